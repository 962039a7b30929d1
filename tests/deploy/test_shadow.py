"""Shadow mode: counterfactual replay with common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridinv import scenarios
from hybridinv.core import Catalog, Constraints, PlanningError
from hybridinv.demand.processes import DemandProcess
from hybridinv.deploy import LoggedOrders, shadow_replay
from hybridinv.exact import best_base_stock
from hybridinv.policies import BaseStock
from hybridinv.sim import Scenario, Simulator, simulate


@pytest.fixture(scope="module")
def scenario():
    return scenarios.single_sku(mean=5.0, lead_time=2, periods=300, warmup=20)


def test_identical_policies_have_zero_difference(scenario):
    result = shadow_replay(scenario, BaseStock(15, repair=None), BaseStock(15, repair=None), replications=2)
    assert np.allclose(result.summary[["difference", "ci_low", "ci_high"]].to_numpy(), 0.0)
    assert (result.disagreements["share_periods_different"] == 0).all()


def test_kpis_match_independent_simulation(scenario):
    better, worse = BaseStock(16, repair=None), BaseStock(11, repair=None)
    result = shadow_replay(scenario, better, worse, replications=3, seed=0)
    reference = {name: simulate(p, scenario, seeds=[0, 1, 2]) for name, p in (("b", better), ("w", worse))}
    row = result.summary.set_index("kpi")
    assert row.loc["avg_cost", "recommended"] == pytest.approx(reference["b"]["avg_cost"].mean())
    assert row.loc["avg_cost", "incumbent"] == pytest.approx(reference["w"]["avg_cost"].mean())
    # per-period flows of the replay against the simulator's position snapshots
    assert row.loc["valued_cost", "recommended"] == pytest.approx(reference["b"]["valued_cost"].mean())
    assert row.loc["valued_cost", "incumbent"] == pytest.approx(reference["w"]["valued_cost"].mean())
    # pooled fill rate over seeds ~ mean of per-seed fill rates (equal demand weights per seed)
    assert row.loc["fill_rate", "recommended"] == pytest.approx(reference["b"]["fill_rate"].mean(), abs=0.01)


def test_a_replay_shorter_than_the_scenario_measures_what_simulate_measures(scenario):
    # the replay kept the scenario's whole warm-up (20 of 24 periods: 4 measured) where simulate keeps a quarter
    better, worse = BaseStock(16, repair=None), BaseStock(11, repair=None)
    result = shadow_replay(scenario, better, worse, periods=24, replications=3, seed=0)
    reference = simulate(better, scenario, seeds=[0, 1, 2], periods=24)
    assert result.measured_periods == reference["periods"].iloc[0] == 24 - scenario.warmup_for(24) == 18
    row = result.summary.set_index("kpi")
    assert row.loc["avg_cost", "recommended"] == pytest.approx(reference["avg_cost"].mean())


def test_optimal_base_stock_beats_a_bad_one_significantly(scenario):
    level, _ = best_base_stock(5.0, 2, 1.0, 9.0, lost_sales=True)
    result = shadow_replay(scenario, BaseStock(level, repair=None), BaseStock(level - 5, repair=None),
                           replications=2)
    row = result.summary.set_index("kpi").loc["avg_cost"]
    assert row.ci_high < 0 < row.incumbent - row.recommended
    assert row.ci_low <= row.difference <= row.ci_high
    assert "lower" in result.verdict()


def test_logged_human_orders_replay_exactly(scenario):
    policy = BaseStock(14, repair=None)
    sim = Simulator(scenario, periods=100)
    obs = sim.reset(seed=7)
    log = []
    while not sim.done:
        orders = policy.act(obs)
        log.append(orders)
        obs = sim.step(orders)
    demand = sim.path.demand.realized[:100]
    result = shadow_replay(scenario, policy, np.array(log), demand=demand, replications=1, seed=99)
    assert np.allclose(result.summary["difference"], 0.0)
    incumbent_cost = result.summary.set_index("kpi").loc["avg_cost", "incumbent"]
    assert incumbent_cost == pytest.approx(sim.ledger.summary()["avg_cost"])


def test_logged_orders_from_frame():
    frame = pd.DataFrame({"period": [0, 0, 1], "sku": ["B", "A", "A"], "order_qty": [3, 1, 2]})
    logged = LoggedOrders.from_frame(frame, ["A", "B"])
    assert logged.orders.tolist() == [[1.0, 3.0], [2.0, 0.0]]


def test_disagreements_rank_the_sku_that_differs():
    catalog = Catalog.from_frame(pd.DataFrame({"sku": ["A", "B", "C"], "unit_cost": 1.0, "holding_cost": 1.0,
                                               "shortage_cost": 9.0, "lead_time": 1}))
    scenario = Scenario(name="three", catalog=catalog, constraints=Constraints(),
                        demand=DemandProcess(mean=np.array([5.0, 5.0, 5.0])), periods=60)
    recommended = BaseStock(np.array([12.0, 30.0, 12.0]), repair=None)
    incumbent = BaseStock(np.array([12.0, 12.0, 12.0]), repair=None)
    result = shadow_replay(scenario, recommended, incumbent, replications=2)
    top = result.disagreements.iloc[0]
    assert top["sku"] == "B" and top["cost_difference"] > 0  # overstocking B costs holding
    assert (result.disagreements.set_index("sku").loc[["A", "C"], "share_periods_different"] == 0).all()


def test_demand_history_must_cover_horizon(scenario):
    with pytest.raises(PlanningError, match="shorter than the horizon") as err:
        shadow_replay(scenario, BaseStock(10, repair=None), BaseStock(10, repair=None),
                      demand=np.ones((5, 1)), periods=10)
    assert err.value.column == "demand"


def test_per_sku_costs_add_up_to_the_valued_cost_under_backorders():
    # under backorders a unit owed for three periods is charged shortage three times (as in the ledger)
    catalog = Catalog.from_frame(pd.DataFrame({"sku": ["A", "B"], "unit_cost": 2.0, "holding_cost": 1.0,
                                               "shortage_cost": 9.0, "lead_time": 2}))
    scenario = Scenario(name="back", catalog=catalog, constraints=Constraints(), lost_sales=False,
                        demand=DemandProcess(mean=np.array([6.0, 4.0])), periods=80, warmup=10)
    recommended, incumbent = BaseStock(np.array([22.0, 15.0]), repair=None), BaseStock(np.array([8.0, 6.0]),
                                                                                       repair=None)
    result = shadow_replay(scenario, recommended, incumbent, replications=2, seed=4)
    per_sku = result.disagreements.set_index("sku")
    valued = result.summary.set_index("kpi").loc["valued_cost"]
    measured = result.periods - scenario.warmup
    assert per_sku["cost_recommended"].sum() == pytest.approx(valued["recommended"] * measured, rel=1e-9)
    assert per_sku["cost_incumbent"].sum() == pytest.approx(valued["incumbent"] * measured, rel=1e-9)
    # independent check of SKU A's shortage under the incumbent: units owed per period x 9
    owed = 0.0
    for seed in (4, 5):
        sim = Simulator(scenario, periods=80, per_sku_costs=True)
        obs = sim.reset(path=scenario.sample(seed, 80))
        while not sim.done:
            obs = sim.step(incumbent.act(obs))
            if sim.t - 1 >= scenario.warmup:
                owed += obs.backorders[0]
    shortage_per_period = per_sku.loc["A", "cost_incumbent"] * 2  # two replications averaged
    assert owed > 0 and shortage_per_period >= 9.0 * owed  # the shortage part alone is at least this


def test_logged_fractional_orders_round_as_the_simulator_rounds_a_policys_orders():
    logged = LoggedOrders(np.array([[2.5, 0.5, 1.49, 3.5]]))

    class _Obs:
        period = 0

    assert logged.act(_Obs()).tolist() == [2.0, 0.0, 1.0, 4.0]
    # the same plan replayed as logged orders and as a policy: the same units (the log rounded 2.5 up to 3)
    scenario = scenarios.single_sku(mean=5.0, lead_time=1, periods=6, warmup=0)

    class _Fixed:
        name = "fixed"

        def act(self, obs):
            return np.array([2.5])

    result = shadow_replay(scenario, _Fixed(), LoggedOrders(np.full((6, 1), 2.5)), replications=1)
    assert result.disagreements["mean_abs_order_difference"].iloc[0] == 0.0


def test_fill_rate_without_demand_is_one_as_in_the_ledger():
    """The finding: no demand in the measured periods gave a fill rate of 0.0 (the ledger's is 1.0), and resampled
    blocks without demand pulled the interval towards 0."""
    scenario = scenarios.get("multi_10").replace(periods=12, warmup=0)
    zero = np.zeros((12, scenario.n_skus))
    policy = BaseStock.fit(scenario)
    summary = shadow_replay(scenario, policy, zero, demand=zero, replications=2).summary.set_index("kpi")
    assert summary.loc["fill_rate", ["recommended", "incumbent", "ci_low", "ci_high"]].tolist() == [1.0, 1.0, 0.0, 0.0]


def test_a_replay_of_fewer_than_two_blocks_has_no_interval_and_no_verdict(scenario):
    good, bad = BaseStock(16, repair=None), BaseStock(8, repair=None)
    short = shadow_replay(scenario, good, bad, periods=7, replications=1)  # warm-up 1: 6 measured, block 4
    assert short.measured_periods == 6 and short.block == 4
    assert short.summary[["ci_low", "ci_high"]].isna().all().all()  # were both the point estimate
    assert "no interval: 6 measured period(s)" in short.verdict() and "lower" not in short.verdict()
    enough = shadow_replay(scenario, good, bad, periods=12, replications=1, block=4)  # warm-up 3: 9 measured
    assert enough.summary[["ci_low", "ci_high"]].notna().all().all()
    assert enough.verdict().endswith("-> lower")
    fill = enough.verdict("fill_rate")
    assert "per period" not in fill and f"{enough.summary.set_index('kpi').loc['fill_rate', 'recommended']:.4f}" in fill
    frame = enough.per_period
    assert list(frame["measured"]) == [False] * 3 + [True] * 9
    summary = enough.summary.set_index("kpi")
    assert frame.loc[frame["measured"], "cost_recommended"].mean() == pytest.approx(summary.loc["avg_cost",
                                                                                                "recommended"])


def test_too_few_resamples_for_the_confidence_are_refused(scenario):
    """One resample gave an interval of one bootstrap draw, away from its own estimate, and a verdict on it."""
    good, bad = BaseStock(16, repair=None), BaseStock(8, repair=None)
    for resamples, confidence in ((1, 0.95), (199, 0.95), (999, 0.99)):
        with pytest.raises(PlanningError, match="column 'resamples'"):
            shadow_replay(scenario, good, bad, periods=28, replications=1, resamples=resamples,
                          confidence=confidence)
    fine = shadow_replay(scenario, good, bad, periods=28, replications=1, resamples=200)
    low, high = fine.summary.set_index("kpi").loc["avg_cost", ["ci_low", "ci_high"]]
    assert low <= fine.summary.set_index("kpi").loc["avg_cost", "difference"] <= high


# ------------------------------------------------------------------------ constraint violations of either side


def _budget_scenario() -> Scenario:
    catalog = Catalog.from_frame(pd.DataFrame({"sku": ["A", "B"], "unit_cost": [10.0, 10.0], "holding_cost": 1.0,
                                               "shortage_cost": 30.0, "lead_time": 1}))
    return Scenario(name="budget", catalog=catalog, constraints=Constraints(budget=150.0),
                    demand=DemandProcess(mean=np.array([8.0, 8.0])), periods=16)


def test_a_side_breaking_a_constraint_is_counted_warned_and_noted_in_the_verdict():
    """The finding: a recommended policy without repair broke the budget in most periods and was compared as if
    feasible (fill rate +0.197, 'higher'), without a word."""
    from hybridinv.core.errors import ConstraintViolationWarning

    scenario = _budget_scenario()
    raw, repaired = BaseStock(40, repair=None), BaseStock(40)  # 80 units = 800 > 150 a period without repair
    with pytest.warns(ConstraintViolationWarning, match="the recommended side broke a hard constraint in"):
        result = shadow_replay(scenario, raw, repaired, replications=2, resamples=200)
    row = result.summary.set_index("kpi")
    reference = simulate(raw, scenario, seeds=[0, 1])
    for name in ("violations", "budget_violations", "capacity_violations", "rule_violations"):
        assert row.loc[name, "recommended"] == pytest.approx(reference[name].mean())
        assert row.loc[name, "incumbent"] == 0.0
    assert row.loc["budget_violations", "recommended"] > 0
    assert row.loc["violations", "difference"] == row.loc["violations", "recommended"]
    assert "NOTE: the recommended side broke" in result.verdict("fill_rate")
    assert "incumbent side" not in result.verdict()


def test_logged_orders_breaking_a_constraint_are_reported_as_the_incumbent_side():
    from hybridinv.core.errors import ConstraintViolationWarning

    scenario = _budget_scenario()
    logged = np.zeros((16, 2))
    logged[::2] = 20.0  # every other period 400 > 150
    with pytest.warns(ConstraintViolationWarning, match="the incumbent side broke a hard constraint in"):
        result = shadow_replay(scenario, BaseStock(20), LoggedOrders(logged), replications=1, resamples=200)
    row = result.summary.set_index("kpi")
    measured = np.arange(16) >= 16 - result.measured_periods
    assert row.loc["budget_violations", "incumbent"] == (logged[measured].sum(axis=1) * 10 > 150).sum()
    assert row.loc["violations", "recommended"] == 0.0
    assert "NOTE: the incumbent side broke" in result.verdict("valued_cost")


def test_feasible_sides_give_zero_violation_rows_and_no_warning(recwarn):
    from hybridinv.core.errors import ConstraintViolationWarning

    result = shadow_replay(_budget_scenario(), BaseStock(20), BaseStock(25), replications=1, resamples=200)
    assert (result.summary.set_index("kpi").loc[["violations", "budget_violations"], ["recommended", "incumbent"]]
            == 0).all().all()
    assert not [w for w in recwarn if issubclass(w.category, ConstraintViolationWarning)]
    assert "NOTE" not in result.verdict()
