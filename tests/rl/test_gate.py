"""The validation gate of plan() (hybridinv/rl/gate.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hybridinv
from hybridinv import Catalog, Constraints
from hybridinv.core.errors import PlanningError
from hybridinv.rl import save_model
from hybridinv.rl.adaptive import ADAPTIVE_FEATURES, ADAPTIVE_OUTPUTS, AdaptiveHybrid, action_spec, zero_weights
from hybridinv.rl.gate import validation_gate

SHAPE = (len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES))


def _inputs(periods: int = 30) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n = 6
    skus = [f"S{i}" for i in range(n)]
    catalog = pd.DataFrame({"sku": skus, "unit_cost": 10.0, "holding_cost": 2.0, "shortage_cost": 14.0,
                            "lead_time": 1, "demand_mean": 20.0, "demand_std": 4.5})
    demand = rng.poisson(20.0, size=(n, periods)).astype(float)
    names = [f"p{k}" for k in range(periods)]
    history = pd.DataFrame({"sku": skus, **{c: demand[:, k] for k, c in enumerate(names)}})
    forecasts = pd.DataFrame({"sku": skus, **{c: np.full(n, 20.0) for c in names}})
    state = pd.DataFrame({"sku": skus, "on_hand": 10.0, "pipeline_0": 20.0})
    return catalog, state, history, forecasts


def _model(tmp_path: Path, weights: np.ndarray) -> Path:
    agent = AdaptiveHybrid(weights)
    return save_model(tmp_path, agent.arrays(), {"policy": "adaptive", "action_spec": action_spec(),
                                                  "base": agent.base_metadata()})


def _overstocking() -> np.ndarray:
    weights = np.zeros(SHAPE)
    weights[0, 0], weights[1, 0] = 0.3, 1.5  # +35% forecast and +1.5 safety factors, everywhere
    return weights


def test_a_hybrid_that_would_have_lost_falls_back_to_its_base(tmp_path: Path) -> None:
    catalog, state, history, forecasts = _inputs()
    model = _model(tmp_path / "bad", _overstocking())
    with pytest.warns(hybridinv.PlanningWarning, match="validation gate falls back"):
        gated = hybridinv.plan(state, catalog, demand_history=history, forecast_history=forecasts, model=model,
                               validate=True)
    gate = gated.attrs["diagnostics"]["validation_gate"]
    assert gate["use_hybrid"] is False and gate["hybrid_cost"] > gate["base_cost"] and gate["periods"] == 12
    assert gate["forecasts"] == "forecast_history"
    base = hybridinv.plan(state, catalog, demand_history=history, forecast_history=forecasts,
                          model=_model(tmp_path / "zero", zero_weights()))
    np.testing.assert_array_equal(gated["order_qty"], base["order_qty"])
    ungated = hybridinv.plan(state, catalog, demand_history=history, forecast_history=forecasts, model=model)
    assert ungated["order_qty"].sum() > gated["order_qty"].sum()


def test_the_base_itself_passes_the_gate_and_history_alone_uses_a_rolling_forecaster(tmp_path: Path) -> None:
    catalog, state, history, _ = _inputs()
    with pytest.warns(hybridinv.PlanningWarning, match="forecast_history"):
        frame = hybridinv.plan(state, catalog, demand_history=history, model=_model(tmp_path, zero_weights()),
                               validate=6)
    gate = frame.attrs["diagnostics"]["validation_gate"]
    assert gate["use_hybrid"] is True and gate["periods"] == 6 and gate["forecasts"] == "rolling forecaster"
    assert gate["hybrid_cost"] == gate["base_cost"]


def test_gate_arithmetic_matches_two_separate_replays() -> None:
    catalog, _, history, forecasts = _inputs()
    cat = Catalog.from_frame(catalog)
    demand = history.drop(columns="sku").to_numpy(dtype=float)
    result = validation_gate(AdaptiveHybrid(_overstocking()), cat, Constraints(), demand,
                             forecasts.drop(columns="sku").to_numpy(dtype=float), periods=10)
    assert not result.use_hybrid and result.periods == 10
    assert "falls back" in result.reason


def test_gate_input_errors(tmp_path: Path) -> None:
    catalog, state, history, _ = _inputs()
    with pytest.raises(PlanningError, match="demand_history"):
        hybridinv.plan(state, catalog, validate=True)
    with pytest.raises(PlanningError, match="needs an adaptive hybrid model") as info:  # said "applies to the
        hybridinv.plan(state, catalog, policy="newsvendor", demand_history=history, validate=True)  # hybrid policy"
    assert info.value.value == "newsvendor"
    with pytest.raises(PlanningError, match="validate"):
        hybridinv.plan(state, catalog, demand_history=history, validate=-2)
    for off in (False, 0, np.int64(0)):  # 0 == False: no gate (0 used to raise), not even without a history
        frame = hybridinv.plan(state, catalog, validate=off)
        assert "validation_gate" not in frame.attrs["diagnostics"]
    room = history.shape[1] - 1 - 8  # period columns after the 8 that lead in (the finding: cut short silently)
    with pytest.raises(PlanningError, match=f"at most {room}") as too_many:
        hybridinv.plan(state, catalog, demand_history=history, validate=room + 1)
    assert too_many.value.value == room + 1
    short = history.iloc[:, :6]
    with pytest.raises(PlanningError, match="more than 8 periods"):
        hybridinv.plan(state, catalog, demand_history=short, model=_model(tmp_path, zero_weights()), validate=True)


def test_the_gate_values_the_stock_left_at_the_end_of_the_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 10% under-forecast runs stock down over the replay: cheaper when the stock it did not buy
    counts as saved (purchase basis), dearer once the closing stock is valued at unit cost. The
    gate judges on the valued basis and falls back."""
    import functools

    import hybridinv.sim.scenario as scenario_module

    catalog, _, history, forecasts = _inputs()
    cat = Catalog.from_frame(catalog)
    demand = history.drop(columns="sku").to_numpy(dtype=float)
    past = forecasts.drop(columns="sku").to_numpy(dtype=float)
    lean = np.zeros(SHAPE)
    lean[0, 0] = -0.1
    # the rule of totals: this test is about the cost basis, not the noise (the saving is within it)
    valued = validation_gate(AdaptiveHybrid(lean), cat, Constraints(), demand, past, periods=12, rule="total")
    assert not valued.use_hybrid and valued.hybrid_cost > valued.base_cost
    purchases = functools.partial(scenario_module.Scenario, cost_basis="purchases")

    def on_purchases(**fields):  # type: ignore[no-untyped-def]
        fields.pop("cost_basis", None)
        return purchases(**fields)

    monkeypatch.setattr(scenario_module, "Scenario", on_purchases)
    bought = validation_gate(AdaptiveHybrid(lean), cat, Constraints(), demand, past, periods=12, rule="total")
    assert bought.use_hybrid and bought.hybrid_cost < bought.base_cost


def _capped_model(tmp_path: Path, weights: np.ndarray) -> Path:
    from hybridinv.rl.hybrid import CappedHybrid

    agent = CappedHybrid(weights)
    meta = {"policy": "adaptive", **agent.composition, **agent.parameterization.metadata()}
    return save_model(tmp_path, agent.arrays(), meta)


def test_a_capped_hybrid_is_gated_against_its_own_base(tmp_path: Path) -> None:
    """A capped model trained on history plans behind the same gate; its fallback is the forecast capped base-stock."""
    catalog, state, history, forecasts = _inputs()
    heavy = np.zeros((2, len(ADAPTIVE_FEATURES)))
    heavy[0, 0], heavy[1, 0] = 3.0, 3.0  # about one more standard deviation of stock, the cap e^0.5 higher
    zero = _capped_model(tmp_path / "zero", np.zeros_like(heavy))
    with pytest.warns(hybridinv.PlanningWarning, match="validation gate falls back"):
        gated = hybridinv.plan(state, catalog, demand_history=history, forecast_history=forecasts,
                               model=_capped_model(tmp_path / "heavy", heavy), validate=True)
    gate = gated.attrs["diagnostics"]["validation_gate"]
    assert gate["use_hybrid"] is False and gate["hybrid_cost"] > gate["base_cost"]
    base = hybridinv.plan(state, catalog, demand_history=history, forecast_history=forecasts, model=zero)
    np.testing.assert_array_equal(gated["order_qty"], base["order_qty"])
    with pytest.warns(hybridinv.PlanningWarning, match="forecast_history"):
        passed = hybridinv.plan(state, catalog, demand_history=history, model=zero, validate=6)
    gate = passed.attrs["diagnostics"]["validation_gate"]
    assert gate["use_hybrid"] is True and gate["hybrid_cost"] == gate["base_cost"]


def _backtest_scenario():  # type: ignore[no-untyped-def]
    """The test periods of a small synthetic backtest (24 training months, 12 test months), as its policies see them."""
    from backtest._data import catalog_frame, history_frame

    from hybridinv.backtest import backtest

    return backtest(history_frame(), catalog_frame(), 24, policies=("hybrid_base",)).scenario


def _switching(forecast: float, safety: float) -> np.ndarray:
    """Corrections of the forecast level (log-multiplier) and of the safety factors, everywhere."""
    weights = np.zeros(SHAPE)
    weights[0, 0], weights[1, 0] = forecast, safety
    return weights


# corrections the gate keeps in some test months of _backtest_scenario and rejects in others, by each rule: the
# forecast times e^-0.2 (-18%) and safety factors + 0.5 (interval: 8 of 12 kept), e^-0.05 and + 0.3 (total: 9 of 12)
SWITCHING = [("interval", (-0.2, 0.5)), ("total", (-0.05, 0.3))]


@pytest.mark.parametrize(("rule", "weights"), SWITCHING)
def test_the_validated_hybrid_runs_the_gate_each_period_on_the_history_observed_before_it(
        rule: str, weights: tuple[float, float]) -> None:
    """Each period's verdict is the gate's on the demand and forecasts of every period before it, sliced here from the
    scenario's own arrays (training months, then the test months already played), not read through the
    observation; the period is then decided by the verdict's policy."""
    from hybridinv.rl.gate import ValidatedHybrid
    from hybridinv.sim.runner import run_episode

    scenario = _backtest_scenario()
    agent = AdaptiveHybrid(_switching(*weights))
    validated = ValidatedHybrid(agent, periods=12, rule=rule)
    ledger, _ = run_episode(validated, scenario, 0, track=range(scenario.n_skus))
    path = scenario.demand.sample(np.random.default_rng(0), scenario.periods)  # a replay: the recorded months
    realized = np.concatenate([path.past_realized, path.realized])  # periods x SKUs
    expected = np.concatenate([path.past_expected, path.expected])
    start = path.past_realized.shape[0]
    verdicts = [validation_gate(AdaptiveHybrid(_switching(*weights)), scenario.catalog, scenario.constraints,
                                realized[: start + t].T, expected[: start + t].T, scenario.lost_sales, 12,
                                rule).use_hybrid for t in range(scenario.periods)]
    assert validated.kept == verdicts and len(verdicts) == 12
    assert 0 < sum(verdicts) < 12  # both policies plan some months: the test checks the switching
    # the periods replay as the two policies would have decided them: orders of the kept one, period by period
    from hybridinv.sim.simulator import Simulator

    sim, base = Simulator(scenario), agent.base_configuration()
    for policy in (agent, base):
        policy.reset(scenario)
    obs = sim.reset(seed=0)
    for t, kept in enumerate(verdicts):
        chosen = agent if kept else base
        orders = chosen.act(obs)
        np.testing.assert_array_equal(orders, ledger.track_orders[t])
        obs = sim.step(orders)


def test_the_validated_hybrid_refuses_a_policy_without_a_base_and_a_bad_period_count() -> None:
    from hybridinv.policies.classical import BaseStock
    from hybridinv.rl.gate import ValidatedHybrid

    with pytest.raises(PlanningError, match="needs an adaptive hybrid") as info:
        ValidatedHybrid(BaseStock(np.full(3, 10.0)))  # type: ignore[arg-type]
    assert info.value.column == "agent"
    for bad in (0, -1, 2.5, "12"):
        with pytest.raises(PlanningError) as info:
            ValidatedHybrid(AdaptiveHybrid(zero_weights()), periods=bad)  # type: ignore[arg-type]
        assert info.value.column == "periods"


def test_the_interval_rule_keeps_a_hybrid_that_is_dearer_within_the_noise_and_the_total_rule_does_not() -> None:
    """In the months where the rule of totals falls back on a small excess, the default rule keeps the hybrid: the
    excess lies inside a 95% interval that reaches zero. Both intervals contain the difference they are around
    (the mean per SKU and the mean per period, scaled to % of the base's cost, are the same number)."""
    scenario = _backtest_scenario()
    path = scenario.demand.sample(np.random.default_rng(0), scenario.periods)
    realized = np.concatenate([path.past_realized, path.realized]).T
    expected = np.concatenate([path.past_expected, path.expected]).T
    start = path.past_realized.shape[0]
    noisy = 0
    for t in range(scenario.periods):
        args = (scenario.catalog, scenario.constraints, realized[:, : start + t], expected[:, : start + t],
                scenario.lost_sales, 12)
        total = validation_gate(AdaptiveHybrid(_switching(-0.05, 0.3)), *args, rule="total")
        interval = validation_gate(AdaptiveHybrid(_switching(-0.05, 0.3)), *args)
        assert (total.hybrid_cost, total.base_cost) == (interval.hybrid_cost, interval.base_cost)
        for low, high in (interval.sku_interval, interval.period_interval):
            assert low - 1e-9 <= interval.difference <= high + 1e-9
        if not total.use_hybrid:
            noisy += 1
            assert interval.use_hybrid and interval.difference > 0.0
            assert min(interval.sku_interval[0], interval.period_interval[0]) <= 0.0
            assert "not beyond the noise" in interval.reason and "falls back" in total.reason
            assert interval.to_dict()["rule"] == "interval" and total.to_dict()["rule"] == "total"
    assert noisy == 3  # months 3, 8 and 10 of 12


def test_an_unknown_gate_rule_names_the_rule_and_the_near_one() -> None:
    from hybridinv.rl.gate import ValidatedHybrid

    catalog, _, history, _ = _inputs()
    demand = history.drop(columns="sku").to_numpy(dtype=float)
    with pytest.raises(PlanningError, match="'total'") as info:
        validation_gate(AdaptiveHybrid(zero_weights()), Catalog.from_frame(catalog), Constraints(), demand,
                        rule="totl")
    assert info.value.column == "rule" and info.value.value == "totl"
    with pytest.raises(PlanningError, match="interval") as info:
        ValidatedHybrid(AdaptiveHybrid(zero_weights()), rule="intervals")
    assert info.value.column == "rule"
