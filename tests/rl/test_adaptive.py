"""The adaptive hybrid agent (hybridinv/rl/adaptive.py): features, policy, files, training, plan()."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hybridinv
from hybridinv import Constraints, scenarios
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError
from hybridinv.policies.forecast_ss import ForecastSS
from hybridinv.rl import CappedHybrid, Hybrid, ModelFileError, save_model
from hybridinv.rl.adaptive import (
    ADAPTIVE_FEATURES,
    ADAPTIVE_OUTPUTS,
    DRIFT_PRIOR,
    AdaptiveHybrid,
    action_spec,
    adaptive_features,
    drift,
    intermittency,
    train_adaptive,
    zero_weights,
)
from hybridinv.rl.es import ESConfig
from hybridinv.rl.hybrid import models_directory
from hybridinv.sim.observation import Observation
from hybridinv.sim.runner import simulate
from hybridinv.sim.simulator import Simulator

SHAPE = (len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES))


def test_zero_weights_are_the_forecast_ss_base() -> None:
    """W = 0: every period's orders equal the base forecast-driven (s, S)'s."""
    scenario = scenarios.get("multi_10")
    agent = AdaptiveHybrid(np.zeros(SHAPE))
    base = ForecastSS(repair="fast")
    sim = Simulator(scenario)
    obs = sim.reset(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        for _ in range(30):
            orders = agent.act(obs)
            np.testing.assert_array_equal(orders, base.act(obs))
            obs = sim.step(orders)


def test_forecast_history_is_the_forecast_of_the_demand_history_periods() -> None:
    scenario = scenarios.get("multi_10")
    sim = Simulator(scenario)
    obs = sim.reset(seed=1)
    assert sim.path is not None
    first = sim.path.demand.expected[0]
    # before the episode both histories are padded with the first period's forecast: no drift
    np.testing.assert_allclose(obs.forecast_history(4), np.repeat(first[:, None], 4, axis=1))
    np.testing.assert_allclose(obs.demand_history(4), obs.forecast_history(4))
    np.testing.assert_array_equal(drift(obs, 13), np.zeros(10))
    for _ in range(20):
        obs = sim.step(np.zeros(10))
    np.testing.assert_allclose(obs.forecast_history(6), sim.path.demand.expected[14:20].T)
    realized = sim.path.demand.realized[7:20].sum(axis=0)
    planned = sim.path.demand.expected[7:20].sum(axis=0)
    pseudo = DRIFT_PRIOR * planned / 13
    np.testing.assert_allclose(drift(obs, 13), np.log((realized + pseudo) / (planned + pseudo)), rtol=1e-9)


def _planning_observation(demand: float, forecast: float, periods: int = 52) -> Observation:
    scenario = scenarios.get("multi_10")
    sim = Simulator(scenario)
    base = sim.reset(seed=0)
    n = base.n_skus
    return Observation.from_state(
        base.state(),
        base.catalog,
        Constraints(capacity=1e9, budget=1e9),  # finite (capacity-priced safety factors), never binding
        base.forecast(6),
        base.forecast_std(6),
        demand_history=np.full((n, periods), demand),
        forecast_history=np.full((n, periods), forecast),
    )


def test_drift_closed_form_and_its_shrinkage() -> None:
    """Demand at twice the forecast over W periods: log((2WF + kF) / (WF + kF))."""
    obs = _planning_observation(demand=10.0, forecast=5.0)
    for window in (4, 13, 52):
        expected = math.log((window * 10.0 + DRIFT_PRIOR * 5.0) / (window * 5.0 + DRIFT_PRIOR * 5.0))
        np.testing.assert_allclose(drift(obs, window), expected, rtol=1e-9)
    assert drift(obs, 4)[0] < drift(obs, 52)[0] < math.log(2.0)  # short windows are shrunk more
    without = Observation.from_state(
        obs.state(), obs.catalog, obs.constraints, obs.forecast(6), obs.forecast_std(6), np.full((10, 52), 10.0)
    )
    assert without.forecast_history(13) is None
    np.testing.assert_array_equal(drift(without, 13), np.zeros(10))


def test_feature_matrix_layout() -> None:
    obs = _planning_observation(demand=10.0, forecast=5.0)
    safety = np.linspace(0.5, 2.0, 10)
    x = adaptive_features(obs, ForecastSS(), safety)
    assert x.shape == (10, len(ADAPTIVE_FEATURES))
    np.testing.assert_array_equal(x[:, ADAPTIVE_FEATURES.index("bias")], 1.0)
    np.testing.assert_array_equal(x[:, ADAPTIVE_FEATURES.index("safety_z")], safety)
    np.testing.assert_allclose(x[:, ADAPTIVE_FEATURES.index("drift_13")], drift(obs, 13))
    np.testing.assert_allclose(x[:, ADAPTIVE_FEATURES.index("lead_time")], obs.catalog.lead_time / 4.0)
    np.testing.assert_array_equal(x[:, ADAPTIVE_FEATURES.index("intermittency")], 0.0)  # demand 10 every period
    mean, std = obs.protection_forecast()
    position = (obs.inventory_position - mean) / (mean + std)
    np.testing.assert_allclose(x[:, ADAPTIVE_FEATURES.index("position")], np.clip(position, -2, 2))
    assert np.isfinite(x).all()


def test_a_missing_limit_reads_as_load_zero_and_a_loose_one_sends_the_default_to_its_base() -> None:
    """Feature version 2 (docs/rl.md, "A missing limit is not the same as a loose one")."""
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    free = hybridinv.plan(state, catalog)
    loose = hybridinv.plan(state, catalog, {"budget": 1e9, "capacity": 1e12})
    assert (free["safety_shift"] < -0.2).all()  # corrections as at a budget exactly used
    assert (loose["safety_shift"] == 0.0).all()  # load ~ -1: outside the trained range, the base
    base = hybridinv.plan(state, catalog, {"budget": 1e9, "capacity": 1e12}, policy="forecast_ss")
    np.testing.assert_array_equal(loose["desired_qty"], base["desired_qty"])
    planning = _planning_observation(demand=10.0, forecast=10.0)
    for constraints, expected in ((Constraints(), 0.0), (Constraints(capacity=1e12, budget=1e12), -1.0)):
        obs = Observation.from_state(planning.state(), planning.catalog, constraints, planning.forecast(6),
                                     planning.forecast_std(6))
        x = adaptive_features(obs, ForecastSS(), np.zeros(obs.n_skus))
        for name in ("capacity_load", "budget_load"):
            np.testing.assert_allclose(x[:, ADAPTIVE_FEATURES.index(name)], expected, atol=1e-3)


def test_intermittency_counts_zero_periods_and_pads_with_the_poisson_zero_probability() -> None:
    obs = _planning_observation(demand=0.0, forecast=5.0, periods=13)
    np.testing.assert_array_equal(intermittency(obs), 1.0)
    short = _planning_observation(demand=0.0, forecast=5.0, periods=3)
    forecast = short.forecast(1)[:, 0]
    np.testing.assert_allclose(intermittency(short), (3 + 10 * np.exp(-forecast)) / 13)


def test_trust_region_shrinks_corrections_outside_the_training_range() -> None:
    obs = _planning_observation(demand=5.0, forecast=5.0)
    weights = np.zeros(SHAPE)
    weights[1, ADAPTIVE_FEATURES.index("bias")] = 1.0  # safety shift +1 everywhere
    x = AdaptiveHybrid(weights).features(obs)
    inside = AdaptiveHybrid(weights, feature_low=x.min(axis=0) - 1, feature_high=x.max(axis=0) + 1)
    np.testing.assert_allclose(inside.outputs(obs)[:, 1], 1.0)
    low, high = x.min(axis=0), x.max(axis=0)
    column = ADAPTIVE_FEATURES.index("safety_z")
    high = high.copy()
    low = low.copy()
    high[column] = low[column] = x[:, column].min() - 10.0  # every SKU far above the seen range
    outside = AdaptiveHybrid(weights, feature_low=low - 1.0, feature_high=high)
    np.testing.assert_array_equal(outside.outputs(obs)[:, 1], 0.0)
    np.testing.assert_array_equal(outside.act(obs), AdaptiveHybrid(np.zeros(SHAPE)).act(obs))


def test_regime_trust_zero_gives_backordering_skus_the_base_policy() -> None:
    """``regime_trust={"backorders": 0}``: the base's orders under backorders, the corrections under lost sales."""
    weights = np.zeros(SHAPE)
    weights[1, ADAPTIVE_FEATURES.index("bias")] = 1.0  # safety shift +1 everywhere
    gated = AdaptiveHybrid(weights, regime_trust={"backorders": 0.0})
    base = AdaptiveHybrid(np.zeros(SHAPE))
    lost = _planning_observation(demand=5.0, forecast=5.0)
    backordering = _planning_observation(demand=5.0, forecast=5.0)
    backordering.lost_sales = False
    np.testing.assert_array_equal(gated.outputs(backordering)[:, 1], 0.0)
    np.testing.assert_array_equal(gated.act(backordering), base.act(backordering))
    np.testing.assert_array_equal(gated.outputs(lost)[:, 1], 1.0)
    assert gated.act(lost).sum() > base.act(lost).sum()
    with pytest.raises(ValueError, match="binary features"):
        AdaptiveHybrid(weights, regime_trust={"safety_z": 0.0})


def test_forecast_multiplier_scales_level_mean_and_std() -> None:
    """a_0 = log 1.25 on every SKU: level = 1.25 mu + z sqrt(1.25) sigma (the forecast of a faster demand rate)."""
    obs = _planning_observation(demand=5.0, forecast=5.0)
    weights = np.zeros(SHAPE)
    weights[0, ADAPTIVE_FEATURES.index("bias")] = math.log(1.25)
    agent = AdaptiveHybrid(weights)
    plan = agent.parameters(obs)
    base_mean, base_std = obs.protection_forecast()
    z = agent.base.safety(obs)
    np.testing.assert_allclose(plan.level, 1.25 * base_mean + z * math.sqrt(1.25) * base_std, rtol=1e-12)
    np.testing.assert_allclose(plan.mean, 1.25 * base_mean, rtol=1e-12)
    base_cap = agent.base.parameters(obs).cap
    assert (plan.cap > base_cap).all() and (plan.cap < 1.25 * base_cap).all()


def test_outputs_are_clipped_to_their_bounds() -> None:
    obs = _planning_observation(demand=5.0, forecast=5.0)
    weights = np.zeros(SHAPE)
    weights[:, 0] = [50.0, -50.0, 50.0, -50.0]
    a = AdaptiveHybrid(weights).outputs(obs)
    np.testing.assert_array_equal(a, np.tile([0.3, -1.5, 1.0, -2.0], (10, 1)))


def test_a_drift_weight_raises_targets_and_orders_when_demand_ran_above_forecast() -> None:
    weights = np.zeros(SHAPE)
    weights[0, ADAPTIVE_FEATURES.index("drift_52")] = 1.0
    agent = AdaptiveHybrid(weights)
    calm, hot = _planning_observation(demand=5.0, forecast=5.0), _planning_observation(demand=9.0, forecast=5.0)
    assert (agent.targets(hot)[1] > agent.targets(calm)[1]).all()
    assert agent.act(hot).sum() > agent.act(calm).sum()


def test_bad_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match="shape"):
        AdaptiveHybrid(np.zeros((2, 3)))
    bad = np.zeros(SHAPE)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        AdaptiveHybrid(bad)


@pytest.mark.parametrize(("configuration", "shape"), [(AdaptiveHybrid, SHAPE), (CappedHybrid, (2, SHAPE[1]))])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 3.0))
def test_any_weights_give_feasible_orders(configuration: type, shape: tuple[int, int], seed: int,
                                          scale: float) -> None:
    """Whatever the learned weights (of either ES parameterization), the repair keeps every order feasible."""
    weights = np.random.default_rng(seed).normal(0.0, scale, shape)
    frame = simulate(configuration(weights), scenarios.get("multi_10"), seeds=[seed], periods=15)
    assert frame["violations"].iloc[0] == 0
    assert frame["budget_violations"].iloc[0] == 0 and frame["capacity_violations"].iloc[0] == 0


def _save(agent: AdaptiveHybrid, directory: Path) -> Path:
    from hybridinv.rl.adaptive import action_spec

    meta = {"policy": "adaptive", "action_spec": action_spec(), "base": agent.base_metadata(),
            "feature_range": agent.range_metadata()}
    return save_model(directory, agent.arrays(), meta)


def test_model_file_round_trip_and_checks(tmp_path: Path) -> None:
    weights = np.random.default_rng(0).normal(0.0, 0.2, SHAPE)
    low, high = -np.ones(len(ADAPTIVE_FEATURES)), 2.0 * np.ones(len(ADAPTIVE_FEATURES))
    agent = AdaptiveHybrid(weights, ForecastSS(space_price=3.0, safety_factor=0.8), low, high,
                           regime_trust={"backorders": 0.5})
    directory = _save(agent, tmp_path / "adaptive")
    loaded = Hybrid.load(directory)
    assert isinstance(loaded, AdaptiveHybrid)
    np.testing.assert_array_equal(loaded.weights, weights)
    np.testing.assert_array_equal(loaded.feature_low, low)
    assert loaded.regime_trust == {"backorders": 0.5}
    unranged = Hybrid.load(_save(AdaptiveHybrid(weights, regime_trust={"backorders": 0.0}), tmp_path / "unranged"))
    assert isinstance(unranged, AdaptiveHybrid)
    assert unranged.regime_trust == {"backorders": 0.0} and unranged.feature_low is None
    assert loaded.base.space_price == 3.0 and loaded.base.safety_factor == 0.8
    obs = _planning_observation(demand=7.0, forecast=5.0)
    np.testing.assert_array_equal(loaded.act(obs), agent.act(obs))

    from hybridinv.rl.integrity import write_file_hashes

    meta_path = directory / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["action_spec"]["features"] = ["bias", "something_else"]
    meta_path.write_text(json.dumps(meta))
    write_file_hashes(directory)
    with pytest.raises(ModelFileError, match="features"):
        Hybrid.load(directory)

    unknown = dict(agent.range_metadata() or {}, regime_trust={"lead_time": 0.0})
    odd = save_model(tmp_path / "odd", agent.arrays(), {"policy": "adaptive", "action_spec": action_spec(),
                                                         "base": agent.base_metadata(), "feature_range": unknown})
    with pytest.raises(ModelFileError, match="binary features"):
        Hybrid.load(odd)

    bare = save_model(tmp_path / "bare", {"level": np.ones(1)}, {"policy": "adaptive"})
    with pytest.raises(ModelFileError, match="weights"):
        Hybrid.load(bare)


def test_training_writes_a_model_no_worse_than_its_start(tmp_path: Path) -> None:
    config = ESConfig(population=4, sigma=0.05, generations=2, seeds_per_generation=1, eval_every=1, eval_seeds=(7,))
    agent, result = train_adaptive(scenarios.get("multi_10"), tmp_path / "m", config, periods=12)
    assert result.best["avg_cost"] <= result.start["avg_cost"]
    assert result.generations == 2
    loaded = Hybrid.load(tmp_path / "m")
    assert isinstance(loaded, AdaptiveHybrid)
    np.testing.assert_array_equal(loaded.weights, agent.weights)
    meta = loaded.metadata
    assert meta["training"]["algo"] == "es" and meta["training"]["policy"] == "adaptive"
    assert meta["evaluation"]["best"]["avg_cost"] == result.best["avg_cost"]
    again = simulate(loaded, scenarios.get("multi_10"), seeds=[7], periods=12)["avg_cost"].iloc[0]
    assert again == pytest.approx(result.best["avg_cost"], rel=1e-12)


def test_relative_costs_are_against_the_base_even_from_a_warm_start() -> None:
    """The reference of ``relative=True`` is the zero-weight base, not the start (ratio 1 = the base)."""
    start = zero_weights()
    start[1, 0] = -0.8  # much less safety stock than the base
    config = ESConfig(population=2, sigma=0.05, generations=1, seeds_per_generation=1, eval_every=1, eval_seeds=(7,))
    mask = np.zeros_like(start, dtype=bool)
    mask[2, 0] = True  # the start's own correction is not searched: a "zero theta" is still not the base
    _, result = train_adaptive(scenarios.get("multi_10"), None, config, weights=start, periods=12, relative=True,
                               mask=mask)
    scenario = scenarios.get("multi_10")
    warm = simulate(AdaptiveHybrid(start), scenario, seeds=[7], periods=12)["avg_cost"].iloc[0]
    base = simulate(AdaptiveHybrid(zero_weights()), scenario, seeds=[7], periods=12)["avg_cost"].iloc[0]
    assert result.start["cost"] == pytest.approx(warm / base, rel=1e-9)  # what ES minimizes: the ratio
    assert result.start["cost"] != pytest.approx(1.0, abs=1e-3)
    assert result.start["avg_cost"] == pytest.approx(warm, rel=1e-9)  # the start's own cost per period


def test_shipped_default_hybrid_is_adaptive_and_plans_catalogs_of_any_size() -> None:
    agent = Hybrid.load("hybrid_default")
    assert isinstance(agent, AdaptiveHybrid)
    assert agent.metadata["training"]["kind"] == "broad family"
    assert agent.feature_low is not None and (agent.feature_low <= agent.feature_high).all()
    for name in ("multi_10", "multi_50"):
        frame = simulate(agent, scenarios.get(name), seeds=[0], periods=10)
        assert frame["violations"].iloc[0] == 0
    assert (models_directory() / "hybrid_residual" / "metadata.json").exists()


def _catalog() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": ["A", "B"],
            "unit_cost": [4.0, 6.0],
            "holding_cost": [0.1, 0.1],
            "shortage_cost": [9.0, 12.0],
            "lead_time": [2, 1],
            "demand_mean": [10.0, 4.0],
            "demand_std": [4.0, 2.0],
        }
    )


def test_plan_uses_forecast_history_to_correct_the_forecast(tmp_path: Path) -> None:
    catalog = _catalog()
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [20.0, 8.0]})
    periods = [f"w{k}" for k in range(26)]
    demand = pd.DataFrame({"sku": ["A", "B"], **{p: [18.0, 4.0] for p in periods}})
    forecast = pd.DataFrame({"sku": ["A", "B"], **{p: [10.0, 4.0] for p in periods}})
    weights = np.zeros(SHAPE)
    weights[0, ADAPTIVE_FEATURES.index("drift_13")] = 1.0
    model = _save(AdaptiveHybrid(weights), tmp_path / "drift")
    with pytest.warns(hybridinv.PlanningWarning, match="forecast_history"):
        plain = hybridinv.plan(state, catalog, demand_history=demand, model=model)
    corrected = hybridinv.plan(state, catalog, demand_history=demand, forecast_history=forecast, model=model)
    a_plain, a_corrected = plain.set_index("sku").loc["A"], corrected.set_index("sku").loc["A"]
    assert a_corrected["order_up_to"] > a_plain["order_up_to"]  # A sold 80% above its forecast
    b_plain, b_corrected = plain.set_index("sku").loc["B"], corrected.set_index("sku").loc["B"]
    assert b_corrected["order_up_to"] == b_plain["order_up_to"]  # B sold as forecast: no correction
    with pytest.raises(PlanningError, match="forecast_history"):
        hybridinv.plan(state, catalog, forecast_history=forecast)
    with pytest.raises(PlanningError, match="forecast_history"):
        hybridinv.plan(state, catalog, demand_history=demand, forecast_history=forecast.iloc[:, :10])
    negative = forecast.copy()
    negative.loc[0, "w3"] = -1.0
    with pytest.raises(PlanningError, match="w3"):
        hybridinv.plan(state, catalog, demand_history=demand, forecast_history=negative)


def test_forecast_history_periods_are_matched_to_the_demand_history_by_name(tmp_path: Path) -> None:
    """The finding: the two tables were lined up by position, so reversed columns gave another plan silently
    and renamed columns were accepted."""
    catalog = _catalog()
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [20.0, 8.0]})
    periods = [f"w{k}" for k in range(26)]
    demand = pd.DataFrame({"sku": ["A", "B"], **{p: [18.0 + k % 5, 4.0] for k, p in enumerate(periods)}})
    forecast = pd.DataFrame({"sku": ["A", "B"], **{p: [10.0 + k, 4.0] for k, p in enumerate(periods)}})
    weights = np.zeros(SHAPE)
    weights[0, ADAPTIVE_FEATURES.index("drift_13")] = 1.0
    model = _save(AdaptiveHybrid(weights), tmp_path / "drift")
    straight = hybridinv.plan(state, catalog, demand_history=demand, forecast_history=forecast, model=model)
    reversed_columns = forecast[["sku", *periods[::-1]]]
    again = hybridinv.plan(state, catalog, demand_history=demand, forecast_history=reversed_columns, model=model)
    pd.testing.assert_frame_equal(straight.drop(columns="decision_ms", errors="ignore"),
                                  again.drop(columns="decision_ms", errors="ignore"))
    # position-wise, the reversed table is another forecast: the plan differs (the test has teeth)
    by_position = reversed_columns.set_axis(["sku", *periods], axis=1)
    other = hybridinv.plan(state, catalog, demand_history=demand, forecast_history=by_position, model=model)
    assert not other["order_up_to"].equals(straight["order_up_to"])
    renamed = forecast.rename(columns={"w3": "z3"})
    with pytest.raises(PlanningError, match="period column") as info:
        hybridinv.plan(state, catalog, demand_history=demand, forecast_history=renamed, model=model)
    assert info.value.column == "z3"


def test_the_docs_count_the_weights_the_shipped_default_searched() -> None:
    # docs/rl.md said 20 searched weights; metadata.json of models/hybrid_default records 19
    import re

    from hybridinv.rl.hybrid import models_directory
    from hybridinv.rl.integrity import read_metadata

    searched = np.asarray(read_metadata(models_directory() / "hybrid_default")["training"]["searched"], dtype=bool)
    text = (Path(__file__).resolve().parents[2] / "docs" / "rl.md").read_text()
    quoted = re.search(r"Only (\d+) interpretable weights are searched", text)
    assert quoted is not None and int(quoted.group(1)) == int(searched.sum())


@pytest.mark.parametrize("weights", [np.full(SHAPE, np.nan), np.zeros(()), np.zeros((0, SHAPE[1])),
                                     np.zeros(SHAPE[::-1]), np.zeros((SHAPE[0], SHAPE[1] + 6))])
def test_weights_that_do_not_fit_are_a_model_file_error_naming_the_file(tmp_path: Path, weights) -> None:  # type: ignore[no-untyped-def]
    """The finding: a (re-hashed) file whose weights were NaN, 0-d, empty or transposed, or metadata naming a
    parameterization of other widths, raised bare ValueError/IndexError (or loaded and failed at the first
    plan() with numpy's matmul error); the CLI printed tracebacks."""
    from hybridinv.rl.adaptive import action_spec

    meta = {"policy": "adaptive", "action_spec": action_spec(), "base": AdaptiveHybrid(np.zeros(SHAPE)).base_metadata()}
    directory = save_model(tmp_path / "m", {"weights": weights}, meta)
    with pytest.raises(ModelFileError, match=str(directory.name)):
        Hybrid.load(directory)


@pytest.mark.parametrize("weights", [np.array([np.nan, 1.0]), np.zeros(()), np.zeros((0,))])
def test_bad_weights_of_a_linear_single_sku_model_name_the_file(tmp_path: Path, weights) -> None:  # type: ignore[no-untyped-def]
    source = models_directory() / "single_sku" / "p4_L2"
    meta = json.loads((source / "metadata.json").read_text())
    meta = {k: v for k, v in meta.items() if k not in ("files", "weights_sha256", "format_version")}
    with np.load(source / "policy.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    directory = save_model(tmp_path / "linear", {**arrays, "weights": weights}, meta)
    with pytest.raises(ModelFileError, match="linear: invalid arrays for a linear map"):
        Hybrid.load(directory)


def test_metadata_naming_a_parameterization_of_other_widths_is_refused_at_load(tmp_path: Path) -> None:
    import shutil

    directory = tmp_path / "m"
    shutil.copytree(models_directory() / "hybrid_default", directory)
    meta = json.loads((directory / "metadata.json").read_text())
    meta["parameterization"] = "safety_stock"
    (directory / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match=r"weights of shape \(4, 15\) do not fit the safety_stock"):
        Hybrid.load(directory)
