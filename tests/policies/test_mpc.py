"""Tests for hybridinv.policies.mpc: the lot-sizing MILP and the rolling-horizon policy."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import hand_path
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hybridinv import ConstraintViolationWarning, PlanningError, SolverFallbackWarning, plan, scenarios
from hybridinv.core import Catalog, Constraints, InventoryState
from hybridinv.demand.processes import DemandDistribution, DemandProcess
from hybridinv.policies.lot_sizing import LotSizingProblem, solve_lot_sizing
from hybridinv.policies.mpc import MPC, plan_objective
from hybridinv.sim.ledger import COST_COMPONENTS
from hybridinv.sim.runner import simulate
from hybridinv.sim.scenario import Scenario
from hybridinv.sim.simulator import Simulator

from ._helpers import observation


def test_deterministic_single_sku_orders_exactly_the_demand_at_the_lead_time() -> None:
    obs = observation([0.0], [5.0], std=0.0, lead_time=[1])
    decision = MPC(safety_factor=0.0, horizon=6).decide(obs)
    assert decision.orders.tolist() == [5.0]
    plan = decision.extra["mpc"]["plan"][0]
    np.testing.assert_array_equal(plan[:5], [5.0] * 5)  # a just-in-time plan: no holding, no shortage
    assert plan[5] == 0.0  # would arrive after the horizon


def test_lots_moq_and_max_order_hold_by_construction() -> None:
    obs = observation(
        [0.0, 0.0, 0.0], [5.0, 1.0, 30.0], std=0.0, lead_time=[0, 0, 0],
        lot_size=np.array([4.0, 1.0, 1.0]), moq=np.array([0.0, 6.0, 0.0]), max_order=np.array([np.inf, np.inf, 12.0]),
        shortage_cost=np.array([9.0, 100.0, 9.0]),
    )
    orders = MPC(safety_factor=0.0, horizon=4).act(obs)
    assert orders[0] % 4 == 0 and orders[0] >= 4
    assert orders[1] == 0 or orders[1] >= 6
    assert orders[2] == 12.0


def test_budget_row_binds() -> None:
    obs = observation([0.0, 0.0], [10.0, 10.0], std=0.0, constraints=Constraints(budget=12.0),
                      unit_cost=np.array([1.0, 1.0]), shortage_cost=np.array([9.0, 5.0]))
    orders = MPC(safety_factor=0.0, horizon=3).act(obs)
    assert orders @ [1.0, 1.0] <= 12.0
    assert orders.tolist() == [10.0, 2.0]  # the SKU with the higher shortage cost is served first


def test_fixed_order_cost_batches_orders() -> None:
    obs = observation([0.0], [4.0], std=0.0, order_cost=np.array([30.0]))
    orders = MPC(safety_factor=0.0, horizon=6, integer_periods=6).act(obs)
    # K = 30, h = 1, d = 4: covering k periods costs 30 + 4 k (k - 1) / 2 -> k = 4 is best over 6 periods
    assert orders[0] in (16.0, 12.0, 24.0)
    assert orders[0] > 4.0


def test_lp_relaxation_bounds_the_milp() -> None:
    obs = observation([0.0, 2.0], [4.0, 3.0], std=1.0, lead_time=[1, 2], order_cost=np.array([10.0, 5.0]),
                      lot_size=np.array([3.0, 1.0]))
    problem = dataclasses.replace(MPC(horizon=6).problem(obs), integer_periods=None)
    milp = solve_lot_sizing(problem)
    lp = solve_lot_sizing(problem, relax=True)
    assert lp.bound <= milp.bound + 1e-6 and milp.bound <= milp.objective + 1e-6  # (a chain added 1e-6 to both)
    assert milp.status == "Optimal"


def _poor_incumbent(monkeypatch: pytest.MonkeyPatch, objective: float, bound: float) -> None:
    """The MILP stops at its time limit with zero orders and the given objective and bound; the LP runs."""
    import hybridinv.policies.mpc as mpc_module

    def solve(problem, relax=False, **options):  # type: ignore[no-untyped-def]
        if relax:
            return solve_lot_sizing(problem, relax=True)
        return mpc_module.LotSizingSolution(np.zeros_like(problem.demand), objective, bound, "Time limit reached", 0.5)

    monkeypatch.setattr(mpc_module, "solve_lot_sizing", solve)


def _lots_obs():  # type: ignore[no-untyped-def]
    return observation([0.0, 0.0, 0.0], [7.3, 2.2, 11.0], std=0.0, lead_time=[0, 0, 0],
                       lot_size=np.array([4.0, 1.0, 5.0]), moq=np.array([0.0, 3.0, 10.0]),
                       constraints=Constraints(budget=60.0), unit_cost=np.array([2.0, 3.0, 2.0]))


def test_a_poor_incumbent_at_the_time_limit_falls_back_to_the_repaired_lp_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    obs = _lots_obs()
    problem = MPC(safety_factor=0.0, horizon=4).problem(obs)
    relaxed = solve_lot_sizing(problem, relax=True).orders[:, 0]
    assert (relaxed % obs.catalog.lot_size != 0).any()  # fractional: the repair has rounding to do
    _poor_incumbent(monkeypatch, objective=1e9, bound=10.0)  # gap ~100%, far worse than any plan
    decision = MPC(safety_factor=0.0, horizon=4).decide(obs)
    details = decision.extra["mpc"]
    assert details["fallback"] == "lp_repaired" and details["gap"] > 0.99
    np.testing.assert_allclose(decision.desired, relaxed)
    orders = decision.orders
    assert orders.sum() > 0  # not the empty incumbent
    cat = obs.catalog
    assert np.all(orders % cat.lot_size == 0) and np.all((orders == 0) | (orders >= cat.moq))
    assert orders @ cat.unit_cost <= 60.0 + 1e-9
    assert decision.repair is not None and decision.repair.diagnostics.feasible
    assert details["fallback_objective"] == pytest.approx(plan_objective(problem, orders))


def test_the_relaxed_and_rounded_plan_must_beat_the_incumbent_by_the_models_own_objective(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _poor_incumbent(monkeypatch, objective=-1.0, bound=-100.0)  # a large gap, but no plan costs less
    decision = MPC(safety_factor=0.0, horizon=4).decide(_lots_obs())
    assert decision.extra["mpc"]["fallback"] == "incumbent_kept"
    np.testing.assert_array_equal(decision.orders, 0.0)


def test_plan_objective_of_the_optimal_first_orders_is_the_milps_optimum() -> None:
    """Fixing period 0 at the MILP's own optimal orders and re-optimizing the rest gives its objective."""
    obs = observation([1.0, 0.0, 4.0], [6.0, 2.5, 9.0], std=1.0, lead_time=[1, 0, 2],
                      lot_size=np.array([4.0, 1.0, 5.0]), moq=np.array([0.0, 3.0, 10.0]),
                      order_cost=np.array([5.0, 0.0, 12.0]), constraints=Constraints(budget=80.0),
                      unit_cost=np.array([2.0, 3.0, 2.0]))
    problem = MPC(horizon=5).problem(obs)
    milp = solve_lot_sizing(problem, mip_rel_gap=1e-9)
    assert milp.status == "Optimal"
    assert plan_objective(problem, milp.orders[:, 0]) == pytest.approx(milp.objective, rel=1e-7, abs=1e-6)
    nothing = plan_objective(problem, np.zeros(3))
    assert nothing >= milp.objective - 1e-6


def test_no_plan_within_a_time_limit_orders_nothing_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 10,000-SKU case of a 0.5 s limit: no MILP incumbent and an unfinished LP; never a silent empty plan."""
    import hybridinv.policies.mpc as mpc_module

    def solve(problem, relax=False, **options):  # type: ignore[no-untyped-def]
        return mpc_module.LotSizingSolution(np.zeros_like(problem.demand), math.inf, -math.inf,
                                            "Time limit reached", 0.5)

    monkeypatch.setattr(mpc_module, "solve_lot_sizing", solve)
    with pytest.warns(SolverFallbackWarning, match=r"no plan within time_limit=0\.5"):
        decision = MPC(safety_factor=0.0, horizon=4, time_limit=0.5).decide(_lots_obs())
    assert decision.extra["mpc"]["fallback"] == "no_plan"
    np.testing.assert_array_equal(decision.orders, 0.0)


def test_a_good_incumbent_at_the_time_limit_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    _poor_incumbent(monkeypatch, objective=100.0, bound=96.0)  # gap 4% <= FALLBACK_GAP
    decision = MPC(safety_factor=0.0, horizon=4).decide(_lots_obs())
    assert decision.extra["mpc"]["fallback"] is None
    np.testing.assert_array_equal(decision.orders, 0.0)


def _branching_obs():  # type: ignore[no-untyped-def]
    """20 SKUs with lots, MOQs, fixed costs and a tight budget: HiGHS needs 48 nodes to prove optimality."""
    rng = np.random.default_rng(5)
    n = 20
    lot = rng.integers(1, 7, n).astype(float)
    return observation(list(rng.integers(0, 5, n).astype(float)), rng.uniform(2, 12, n), std=2.0,
                       lead_time=list(rng.integers(0, 3, n)), lot_size=lot, moq=lot * rng.integers(0, 3, n),
                       order_cost=rng.uniform(0, 40, n), unit_cost=rng.uniform(1, 5, n),
                       constraints=Constraints(budget=150.0, capacity=200.0))


def test_the_node_limit_stops_branch_and_bound_with_a_valid_bound_and_incumbent() -> None:
    problem = MPC(horizon=5).problem(_branching_obs())
    exact = solve_lot_sizing(problem, mip_rel_gap=0.0)
    assert exact.status == "Optimal" and exact.diagnostics["nodes"] > 1  # the instance needs branching
    limited = solve_lot_sizing(problem, mip_rel_gap=0.0, node_limit=1)
    assert limited.diagnostics["nodes"] <= 1 and limited.status != "Optimal"
    assert limited.bound <= exact.objective + 1e-6 <= limited.objective + 2e-6
    assert limited.bound < exact.bound - 1e-6  # stopped before the proof


def test_mpc_sets_no_wall_clock_limit_by_default_so_plans_do_not_depend_on_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hybridinv.policies.mpc as mpc_module

    calls: list[dict[str, object]] = []

    def solve(problem, relax=False, **options):  # type: ignore[no-untyped-def]
        calls.append({"relax": relax, **options})
        return solve_lot_sizing(problem, relax=relax, **options)

    monkeypatch.setattr(mpc_module, "solve_lot_sizing", solve)
    obs = _branching_obs()
    first = MPC(horizon=5, mip_rel_gap=0.0).decide(obs)
    assert calls and all(call["time_limit"] is None for call in calls)
    assert [call["node_limit"] for call in calls if not call["relax"]] == [100]
    calls.clear()
    limited = MPC(horizon=5, mip_rel_gap=0.0, node_limit=1).decide(obs)  # another work limit is passed on and honoured
    assert [call["node_limit"] for call in calls if not call["relax"]] == [1]
    assert limited.extra["mpc"]["nodes"] <= 1 < first.extra["mpc"]["nodes"]
    np.testing.assert_array_equal(MPC(horizon=5, mip_rel_gap=0.0).decide(obs).orders, first.orders)


def test_mpc_is_feasible_on_the_constrained_10_sku_scenario() -> None:
    scenario = scenarios.get("multi_10")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = simulate(MPC(), scenario, seeds=[0], periods=12)
    assert result.loc[0, "violations"] == 0
    assert result.loc[0, "fill_rate"] > 0.6
    assert result.loc[0, "decision_time"] < 2.0  # ~0.05 s idle; loose for loaded CI machines


def test_horizon_must_exceed_lead_time() -> None:
    with pytest.raises(ValueError, match="horizon"):
        MPC(horizon=2).act(observation([0.0], [1.0], lead_time=[2]))


def _receipt_rows(obs_volume: np.ndarray, lead: np.ndarray, on_hand: np.ndarray, mean: float, capacity: float,
                  orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(free space, new volume) per receipt period, from the definition in docs/concepts.md (no pipeline)."""
    periods = int(lead.max()) + 1
    stock = np.empty((on_hand.size, periods))
    stock[:, 0] = on_hand
    for k in range(1, periods):
        stock[:, k] = np.maximum(stock[:, k - 1] - mean, 0.0)
    free = capacity - (obs_volume[:, None] * stock).sum(axis=0)
    new = np.array([(obs_volume * orders)[lead == k].sum() for k in range(periods)])
    return free, new


def test_stock_above_capacity_is_reported_in_the_diagnostics() -> None:
    # 30 units of volume 1 in a warehouse of 20: no order can fix period 0 (the finding: MPC plans
    # carried no violations at all, unlike every repaired policy)
    obs = observation([30.0, 0.0], [5.0, 5.0], std=0.0, lead_time=[0, 1], constraints=Constraints(capacity=20.0),
                      volume=np.array([1.0, 1.0]))
    with pytest.warns(ConstraintViolationWarning, match=r"capacity\[k=0\] over by 10"):
        decision = MPC(safety_factor=0.0, horizon=4).decide(obs)
    assert decision.repair is not None
    reported = {v.name: v.amount for v in decision.repair.diagnostics.violations}
    free, new = _receipt_rows(np.array([1.0, 1.0]), np.array([0, 1]), np.array([30.0, 0.0]), 5.0, 20.0,
                              decision.orders)
    assert free.tolist() == [-10.0, -5.0]  # 30 in stock, then 25 after a period of demand
    assert reported == pytest.approx({"capacity[k=0]": 10.0, "capacity[k=1]": 5.0})
    assert new.tolist() == [0.0, 0.0]  # the closest plan adds nothing to the full periods


def test_plan_with_mpc_reports_violated_rows() -> None:
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 9.0,
                            "lead_time": [0, 0], "volume": [1.0, 2.0], "demand_mean": 3.0})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [12, 0]})
    with pytest.warns(ConstraintViolationWarning):
        frame = plan(state, catalog, {"capacity": 10.0}, policy="mpc")
    violations = frame.attrs["diagnostics"]["repair"]["violations"]
    assert [(v["name"], v["amount"]) for v in violations] == [("capacity[k=0]", 2.0)]
    assert frame["order_qty"].tolist() == [0, 0]


def test_feasible_mpc_orders_pass_the_check_unchanged() -> None:
    obs = observation([0.0, 0.0], [10.0, 10.0], std=0.0, constraints=Constraints(budget=12.0),
                      unit_cost=np.array([1.0, 1.0]), shortage_cost=np.array([9.0, 5.0]))
    decision = MPC(safety_factor=0.0, horizon=3).decide(obs)
    assert decision.repair is not None and decision.repair.diagnostics.feasible
    np.testing.assert_array_equal(decision.orders, decision.desired)  # the MILP's own orders
    np.testing.assert_array_equal(decision.orders, decision.extra["mpc"]["plan"][:, 0])


_VOLUMES = st.lists(
    st.one_of(st.sampled_from([1e-6, 1e4]), st.floats(-6.0, 4.0).map(lambda e: 10.0**e)), min_size=1, max_size=5
)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(volume=_VOLUMES, lead=st.integers(0, 2), mean=st.sampled_from([0.0, 1.0, 5.0]),
       capacity=st.sampled_from([1e-6, 3e-6, 1e-3]))
@example(volume=[1e-6, 1e4, 1e4, 1e-6], lead=0, mean=5.0, capacity=1e-6)  # the fuzzed instance, shrunk
def test_tiny_capacity_rows_hold_whatever_the_volume_range(
    volume: list[float], lead: int, mean: float, capacity: float
) -> None:
    # HiGHS holds rows to an absolute 1e-7: with coefficients from 1e-6 to 1e4 in a row of 1e-6 it
    # took both 1e-6 SKUs (2e-6 in a capacity of 1e-6)
    n = len(volume)
    vol = np.array(volume)
    leads = np.full(n, lead)
    obs = observation([0.0] * n, [mean] * n, std=1.0, lead_time=leads.tolist(),
                      constraints=Constraints(capacity=capacity), volume=vol)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConstraintViolationWarning)  # nothing is over-full here
        orders = MPC().act(obs)
    free, new = _receipt_rows(vol, leads, np.zeros(n), mean, capacity, orders)
    assert (new <= free * (1 + 1e-9)).all(), (orders, new, free)


def test_plan_diagnostics_keep_the_repair_certificate_and_the_mpc_details_apart() -> None:
    # the fuzz finding: MPC's MILP objective and bound overwrote plan()'s repair objective and bound
    # (next to the repair's gap), and its solve time overwrote the call's total time
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 9.0,
                            "lead_time": [0, 1], "lot_size": [5, 1], "demand_mean": [4.0, 7.0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [1, 2]})
    diagnostics = plan(state, catalog, {"budget": 30.0}, policy="mpc").attrs["diagnostics"]
    repair = diagnostics["repair"]
    assert diagnostics["objective"] >= diagnostics["bound"]
    expected_gap = 0.0 if diagnostics["objective"] == diagnostics["bound"] else (
        (diagnostics["objective"] - diagnostics["bound"]) / diagnostics["objective"])
    assert diagnostics["gap"] == pytest.approx(expected_gap)
    assert diagnostics["objective"] == pytest.approx(0.0, abs=1e-12)  # the check keeps the MILP's orders
    assert diagnostics["seconds"] >= diagnostics["mpc"]["seconds"] + repair["solve_time"]
    assert diagnostics["mpc"]["status"] == "Optimal"
    assert diagnostics["mpc"]["objective"] > 0.0  # the lot-sizing cost, kept under its own key


@pytest.mark.parametrize("budget", [5e-324, 1e-6])
def test_tiny_budget_rows_are_scaled_without_overflow(budget: float) -> None:
    # 1 / 5e-324 overflows: a subnormal budget stays unscaled; nothing that costs anything fits it
    obs = observation([0.0, 0.0], [4.0, 4.0], std=0.0, constraints=Constraints(budget=budget),
                      unit_cost=np.array([0.0, 1e3]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decision = MPC(safety_factor=0.0, horizon=3).decide(obs)
    assert decision.orders.tolist() == [4.0, 0.0]
    assert decision.extra["mpc"]["status"] == "Optimal"


def _single(**changes: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = dict(
        demand=np.full((1, 4), 10.0), lead_time=np.zeros((1, 4), dtype=np.int64), on_hand=np.zeros(1),
        backorders=np.zeros(1), scheduled=np.zeros((1, 4)), holding_cost=np.array([0.1]),
        shortage_cost=np.array([5.0]), unit_cost=np.array([2.0]), order_cost=np.zeros(1), lot_size=np.ones(1),
        moq=np.zeros(1), order_upper=np.array([1000.0]), volume=np.ones(1), safety_stock=np.array([20.0]),
        safety_penalty=np.array([2.5]),
    )
    values.update(changes)
    return LotSizingProblem(**values)  # type: ignore[arg-type]


def test_the_safety_stock_is_a_floor_at_the_lead_time_and_the_stock_left_is_credited() -> None:
    """Demand 10 in period 0 only, a floor of 20, shortfall 1.5 a unit, c = 2, h = 0.1, four periods (by hand).

    Credited at c, the 20 units kept cost 0.1 x 20 x 4 = 8 against 1.5 x 20 = 30 of shortfall: bought,
    objective 2 x 30 + 8 - 2 x 20 = 28. Counted as spent (the old model), they cost 40 + 8: not bought, 20 + 30.
    """
    changes = dict(demand=np.array([[10.0, 0.0, 0.0, 0.0]]), safety_penalty=np.array([1.5]))
    solution = solve_lot_sizing(_single(stock_value=np.array([2.0]), **changes), mip_rel_gap=1e-9)
    np.testing.assert_allclose(solution.orders, [[30.0, 0.0, 0.0, 0.0]])
    assert solution.objective == pytest.approx(28.0)
    uncredited = solve_lot_sizing(_single(**changes), mip_rel_gap=1e-9)
    np.testing.assert_allclose(uncredited.orders, [[10.0, 0.0, 0.0, 0.0]])
    assert uncredited.objective == pytest.approx(50.0)
    # the stock held at the start is charged at the same value: 20 units on hand serve as the floor
    held = solve_lot_sizing(_single(stock_value=np.array([2.0]), on_hand=np.array([20.0]), **changes),
                            mip_rel_gap=1e-9)
    np.testing.assert_allclose(held.orders, [[10.0, 0.0, 0.0, 0.0]])
    assert held.objective == pytest.approx(20.0 + 8.0 - 40.0 + 40.0)
    # the floor binds the lead-time period only: later demand may draw the stock down (no sale is lost to keep it)
    later = solve_lot_sizing(_single(stock_value=np.array([2.0])), mip_rel_gap=1e-9)
    np.testing.assert_allclose(later.orders, [[30.0, 0.0, 0.0, 10.0]])
    assert later.objective == pytest.approx(2.0 * 40.0 + 0.1 * (20.0 + 10.0))


def test_a_backlog_left_at_the_end_is_charged_so_the_credit_never_makes_the_model_unbounded() -> None:
    """Backorders: stock and backlog raised together at the end cost h + p - value < 0 without the charge."""
    problem = _single(lost_sales=False, unit_cost=np.array([6.0]), stock_value=np.array([6.0]))
    solution = solve_lot_sizing(problem, mip_rel_gap=1e-9)
    assert solution.status == "Optimal"
    np.testing.assert_allclose(solution.orders, [[30.0, 0.0, 0.0, 10.0]])


@pytest.mark.parametrize(("lost_sales", "unit_cost"), [(True, 1.0), (True, 2.6), (True, 4.0), (True, 6.0),
                                                     (False, 2.6), (False, 6.0)])
def test_mpc_holds_the_newsvendor_safety_stock_of_its_margin(lost_sales: bool, unit_cost: float) -> None:
    """Until 2026-12-04 a SKU whose unit cost was above half its shortage cost got no safety stock (one-time
    demand priced at 0.5 p against its purchase). Now the order is the demand plus z sigma with
    z = Phi^-1(m / (m + h)), m = p - c (lost sales) or p (backorders); none when a sale does not pay (m <= 0)."""
    from scipy.stats import norm

    obs = observation([0.0], [100.0], std=30.0, lead_time=[0], unit_cost=np.array([unit_cost]),
                      shortage_cost=np.array([5.0]), holding_cost=np.array([0.1]), lost_sales=lost_sales)
    orders = MPC(mip_rel_gap=1e-6).act(obs)
    margin = 5.0 - unit_cost if lost_sales else 5.0
    want = 0.0 if margin <= 0 else 100.0 + 30.0 * norm.ppf(margin / (margin + 0.1))
    assert orders[0] == pytest.approx(want, abs=1.0)
    if lost_sales and unit_cost < 5.0:
        assert orders[0] > 130.0  # the safety stock is there (the old model bought exactly 100 for c >= 2.6)


def test_a_tight_warehouse_prices_the_safety_stock_as_the_forecast_ss_does() -> None:
    """The floor's z is the multi-item newsvendor's under the space price of ForecastSS.space_price_for: lower
    in a tight warehouse, the cost fractile without one or with capacity_utilization=None."""
    from hybridinv.policies.forecast_ss import ForecastSS, safety_fractile
    from hybridinv.policies.newsvendor import normal_quantile

    def obs(capacity: float):  # type: ignore[no-untyped-def]
        return observation([0.0, 0.0], [100.0, 50.0], std=30.0, lead_time=[1, 1], unit_cost=np.array([1.0, 2.0]),
                           shortage_cost=np.array([5.0, 5.0]), holding_cost=np.array([0.1, 0.1]),
                           volume=np.array([1.0, 3.0]), constraints=Constraints(capacity=capacity))

    loose, tight = obs(math.inf), obs(300.0)
    free = normal_quantile(safety_fractile(loose.catalog, 0.0, True))
    np.testing.assert_allclose(MPC().safety_factors(loose), free)
    np.testing.assert_allclose(MPC(capacity_utilization=None).safety_factors(tight), free)
    price = ForecastSS().space_price_for(tight)
    assert price > 0
    priced = MPC().safety_factors(tight)
    np.testing.assert_allclose(priced, normal_quantile(safety_fractile(tight.catalog, price, True)))
    assert (priced < free).all() and priced[1] < priced[0]  # the bulkier, lower-margin SKU gives up more
    with pytest.raises(ValueError, match="capacity_utilization"):
        MPC(capacity_utilization=0.0)


def test_without_holding_cost_the_credited_stock_is_not_free() -> None:
    """h = 0: the end credit cancelled the purchase of a unit kept, so MPC bought up to its order bound (65)."""
    obs = observation([0.0], [10.0], std=3.0, lead_time=[1], unit_cost=np.array([2.0]), shortage_cost=np.array([5.0]),
                      holding_cost=np.array([0.0]))
    mpc = MPC(mip_rel_gap=1e-6)
    orders = mpc.act(obs)
    safety = float(mpc.problem(obs).safety_stock[0])
    assert orders[0] <= 2 * 10.0 + safety + 1.0  # two periods of demand (lead time 1) and the safety stock
    assert orders[0] >= 2 * 10.0


def test_weighted_periods_with_a_stock_value_stay_bounded() -> None:
    """Purchases are weighted by their period; an unweighted end credit made late purchases profitable."""
    for lost_sales in (True, False):
        problem = _single(stock_value=np.array([2.0]), order_upper=np.array([np.inf]), lost_sales=lost_sales,
                          period_weight=np.array([1.0, 0.9, 0.8, 0.7]))
        solution = solve_lot_sizing(problem, mip_rel_gap=1e-9)
        assert solution.status == "Optimal"
        assert solution.orders.sum() <= 4 * 10.0 + 20.0 + 1e-9


def test_a_purchase_weight_prices_the_space_with_the_margin_the_model_uses() -> None:
    """purchase_cost_weight=0 with p < c: the space price used to count no SKU (p - c <= 0) and stay 0."""
    from hybridinv.policies.forecast_ss import ForecastSS, safety_fractile
    from hybridinv.policies.newsvendor import normal_quantile

    obs = observation([0.0, 0.0], [100.0, 50.0], std=30.0, lead_time=[1, 1], unit_cost=np.array([6.0, 6.0]),
                      shortage_cost=np.array([5.0, 5.0]), holding_cost=np.array([0.1, 0.1]),
                      volume=np.array([1.0, 3.0]), constraints=Constraints(capacity=300.0))
    assert ForecastSS().space_price_for(obs) == 0.0  # nothing counted at margin p - c < 0
    price = ForecastSS().space_price_for(obs, np.array([5.0, 5.0]))
    assert price > 0
    z = MPC(purchase_cost_weight=0.0).safety_factors(obs)
    free = obs.catalog.with_values(unit_cost=np.zeros(2))
    np.testing.assert_allclose(z, normal_quantile(safety_fractile(free, price, True)))


def test_a_backlog_the_budget_cannot_clear_keeps_the_model_feasible() -> None:
    """Backorders, no budget: the plan ends with a backlog and no stock (a credit row k <= x - u made it infeasible)."""
    problem = _single(lost_sales=False, stock_value=np.array([2.0]), budget=0.0)
    solution = solve_lot_sizing(problem, mip_rel_gap=1e-9)
    assert solution.status == "Optimal"
    np.testing.assert_allclose(solution.orders, 0.0)
    # backlog 10, 20, 30, 40 at p = 5, the safety floor 20 short throughout at 2.5 (period 0 only), end backlog at 2
    assert solution.objective == pytest.approx(5.0 * (10 + 20 + 30 + 40) + 2.5 * 20.0 + 2.0 * 40.0)


# ---------------------------------------------------------------------- perishables: expiry with FIFO issuing
def _perishable_scenario(shelf_life: int, order_cost: float, lead_time: int, mean: float, on_hand: float) -> Scenario:
    """One SKU, deterministic demand ``mean`` a period, c = 1, h = 0.1, p = 10, twelve periods."""
    catalog = Catalog(sku=np.array(["A"], dtype=object), unit_cost=np.ones(1), holding_cost=np.array([0.1]),
                      shortage_cost=np.array([10.0]), order_cost=np.array([order_cost]),
                      lead_time=np.array([lead_time]), shelf_life=np.array([shelf_life]))
    demand = DemandProcess(mean=np.array([mean]), distribution=DemandDistribution.NORMAL, cv=0.0)
    return Scenario(name="perishable_by_hand", catalog=catalog, constraints=Constraints(), demand=demand, periods=12,
                    initial_state=InventoryState(catalog.sku, np.array([on_hand])), waste_cost=1.0)


def _run_mpc(scenario: Scenario) -> tuple[list[float], dict[str, float]]:
    sim = Simulator(scenario)
    obs = sim.reset(seed=0)
    policy = MPC(safety_factor=0.0)
    orders = []
    while not sim.done:
        decision = policy.decide(obs)
        orders.append(float(decision.orders[0]))
        obs = sim.step(decision.orders)
    return orders, sim.ledger.summary()


@pytest.mark.parametrize("shelf_life", [1, 2, 3])
def test_a_perishable_is_batched_only_over_its_shelf_life(shelf_life: int) -> None:
    """K = 50, c = 1, h = 0.1, p = 10, demand 5 a period, L = 0 (by hand).

    An order of k periods' demand costs ``(K + 5 k c + h 5 k (k - 1) / 2) / k`` a period and can cover at
    most the shelf life ``m`` (a larger one expires unsold); not ordering costs ``p 5 = 50``. Best: m = 1
    order nothing (55 > 50), m = 2 order 10 every other period (30.25), m = 3 order 15 every third (22.17).
    Without expiry the model ordered 20 (four periods, the horizon) whatever the shelf life and wasted the rest.
    """
    K, c, h, p, d = 50.0, 1.0, 0.1, 10.0, 5.0
    per_period = {k: (K + d * k * c + h * d * k * (k - 1) / 2) / k for k in range(1, shelf_life + 1)}
    best = min(per_period, key=per_period.__getitem__)
    orders, summary = _run_mpc(_perishable_scenario(shelf_life, K, 0, d, 0.0))
    if per_period[best] >= p * d:
        assert orders == [0.0] * 12
        assert summary["avg_cost"] == pytest.approx(p * d)
    else:
        assert orders == ([best * d] + [0.0] * (best - 1)) * (12 // best)
        assert summary["avg_cost"] == pytest.approx(per_period[best])
        assert summary["fill_rate"] == 1.0
    assert summary["waste_units"] == 0.0


def test_stock_about_to_expire_is_not_planned_on() -> None:
    """12 units with a shelf life of 2, demand 4, L = 1, no fixed cost (by hand).

    Periods 0 and 1 sell 8 of them and 4 expire at the end of period 1, so period 1 must order the 4 units
    period 2 needs (the old model counted the 4 as stock and lost period 2's sales), then 4 every period.
    """
    orders, summary = _run_mpc(_perishable_scenario(2, 0.0, 1, 4.0, 12.0))
    assert orders == [0.0] + [4.0] * 11
    assert summary["waste_units"] == 4.0
    assert summary["fill_rate"] == 1.0


@settings(max_examples=80, deadline=None, derandomize=True)
@given(shelf_life=st.integers(1, 4), lost_sales=st.booleans(), on_hand=st.integers(0, 12),
       start=st.integers(0, 3), holding_cost=st.sampled_from([0.0, 0.5]), waste_cost=st.sampled_from([0.0, 2.0]),
       flows=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 10)), min_size=5, max_size=9))
def test_the_models_expiry_is_the_simulators_fifo_expiry(
    shelf_life: int, lost_sales: bool, on_hand: int, start: int, holding_cost: float, waste_cost: float,
    flows: list[tuple[int, int]],
) -> None:
    """Receipts fixed: the model's optimum is the simulator's (FIFO) holding + shortage + waste cost.

    The simulator runs ``start`` periods first, so the model starts from stock of mixed ages
    (``Observation.stock_by_life``). Without holding cost the oldest-first issue of the simulator
    is optimal (it loses and wastes the fewest units: Pierskalla & Roach 1972), so the model's optimum
    is its cost. With a holding cost the model may throw away units that expire unsold anyway before
    their expiry (saving their holding cost), so its optimum is at most the simulator's cost. A model
    that let units be sold after their expiry or kept them would be below it without holding cost,
    one that wasted units the simulator sells would be above it.
    """
    demand = np.array([[f[0]] for f in flows], dtype=float)
    receipts = np.array([float(f[1]) for f in flows])
    catalog = Catalog(sku=np.array(["A"], dtype=object), unit_cost=np.ones(1), holding_cost=np.array([holding_cost]),
                      shortage_cost=np.array([4.0]), lead_time=np.zeros(1, dtype=np.int64),
                      shelf_life=np.array([shelf_life]))
    scenario = Scenario(name="fifo", catalog=catalog, constraints=Constraints(),
                        demand=DemandProcess(mean=np.ones(1)), periods=len(flows), lost_sales=lost_sales,
                        initial_state=InventoryState(catalog.sku, np.array([float(on_hand)])), waste_cost=waste_cost)
    sim = Simulator(scenario)
    obs = sim.reset(path=hand_path(demand, [0]))
    start = min(start, len(flows) - 1)
    for t in range(start):
        obs = sim.step(receipts[t : t + 1])
    by_life = obs.stock_by_life
    assert by_life is not None
    np.testing.assert_array_equal(by_life.sum(axis=1), obs.on_hand)
    problem = LotSizingProblem(
        demand=demand[start:].T, lead_time=np.zeros((1, len(flows) - start), dtype=np.int64), on_hand=obs.on_hand,
        backorders=obs.backorders, scheduled=receipts[None, start:], holding_cost=np.array([holding_cost]),
        shortage_cost=np.array([4.0]), unit_cost=np.zeros(1), order_cost=np.zeros(1), lot_size=np.ones(1),
        moq=np.zeros(1), order_upper=np.zeros(1), volume=np.ones(1), lost_sales=lost_sales,
        shelf_life=np.array([shelf_life]), on_hand_life=by_life, waste_cost=np.array([waste_cost]),
    )
    while not sim.done:
        sim.step(receipts[sim.t : sim.t + 1])
    holding, shortage, waste = (list(COST_COMPONENTS).index(name) for name in ("holding", "shortage", "waste"))
    simulated = sim.ledger.costs[start:, [holding, shortage, waste]].sum()
    solution = solve_lot_sizing(problem, mip_rel_gap=0.0)
    assert solution.status == "Optimal"
    if holding_cost == 0.0:
        assert solution.objective == pytest.approx(simulated, abs=1e-4)  # HiGHS holds rows to 1e-7 each
    else:
        assert solution.objective <= simulated + 1e-4


def test_expiry_adds_nothing_for_skus_that_do_not_perish() -> None:
    """Shelf life 0 builds the model of no shelf life at all; a perishable SKU adds one waste column and one
    in-date row a period, and nothing else."""
    base = dict(
        demand=np.full((3, 5), 4.0), lead_time=np.ones((3, 5), dtype=np.int64), on_hand=np.array([3.0, 8.0, 0.0]),
        backorders=np.zeros(3), scheduled=np.zeros((3, 5)), holding_cost=np.full(3, 0.2),
        shortage_cost=np.full(3, 5.0), unit_cost=np.ones(3), order_cost=np.array([6.0, 0.0, 3.0]),
        lot_size=np.array([1.0, 5.0, 1.0]), moq=np.zeros(3), order_upper=np.full(3, 100.0), volume=np.ones(3),
        capacity=40.0, budget=30.0,
    )
    plain = solve_lot_sizing(LotSizingProblem(**base))  # type: ignore[arg-type]
    zero = solve_lot_sizing(LotSizingProblem(**base, shelf_life=np.zeros(3, dtype=np.int64),  # type: ignore[arg-type]
                                             waste_cost=np.ones(3)))
    for key in ("variables", "rows", "nonzeros"):
        assert zero.diagnostics[key] == plain.diagnostics[key]
    np.testing.assert_array_equal(zero.orders, plain.orders)
    assert zero.objective == plain.objective
    mixed = solve_lot_sizing(LotSizingProblem(**base, shelf_life=np.array([0, 2, 0]),  # type: ignore[arg-type]
                                              waste_cost=np.ones(3)))
    # the perishable SKU over 5 periods: a waste column and an in-date row a period
    assert mixed.diagnostics["variables"] == plain.diagnostics["variables"] + 5
    assert mixed.diagnostics["rows"] == plain.diagnostics["rows"] + 5


def test_mpc_models_expiry_only_on_catalogs_with_perishables() -> None:
    plain = MPC().problem(Simulator(scenarios.get("multi_10")).reset(seed=0))
    assert plain.shelf_life is None and plain.on_hand_life is None and plain.waste_cost is None
    scenario = scenarios.get("perishable")
    obs = Simulator(scenario).reset(seed=0)
    problem = MPC().problem(obs)
    assert problem.shelf_life is not None and problem.waste_cost is not None and problem.on_hand_life is not None
    np.testing.assert_array_equal(problem.shelf_life, scenario.catalog.shelf_life)
    np.testing.assert_array_equal(problem.waste_cost, scenario.waste_cost)
    np.testing.assert_array_equal(problem.on_hand_life.sum(axis=1), obs.on_hand)
    solution = solve_lot_sizing(problem)
    assert solution.status == "Optimal"
    without = solve_lot_sizing(dataclasses.replace(problem, shelf_life=None))
    assert solution.diagnostics["variables"] > without.diagnostics["variables"]


@pytest.mark.parametrize("horizon", [1e308, 10**30, 100_001])
def test_an_absurd_horizon_is_refused_when_the_policy_is_built(horizon: object) -> None:
    # 1e308 passed as a whole number and overflowed np.arange in act()
    with pytest.raises(PlanningError, match="at most 100,000") as info:
        MPC(horizon=horizon)
    assert info.value.column == "horizon"
    assert MPC(horizon=100_000).horizon == 100_000


def test_backorders_owed_under_lost_sales_do_not_stop_every_order() -> None:
    """The finding: one SKU owing more than it had on hand (lost sales, lead time >= 1) made the model infeasible,
    and MPC ordered nothing for every SKU with a warning blaming the time limit."""
    catalog = pd.DataFrame({"sku": ["A", "C"], "unit_cost": 10.0, "holding_cost": 1.0, "shortage_cost": 30.0,
                            "lead_time": 1, "demand_mean": 10.0})
    plans = {}
    for owed in (0, 1, 5):
        state = pd.DataFrame({"sku": ["A", "C"], "on_hand": [0, 0], "backorders": [owed, 0]})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plans[owed] = plan(state, catalog, policy="mpc")["order_qty"].tolist()
        assert not any("found no plan" in str(w.message) for w in caught), owed
    # the owed units cannot be served before the first arrival: they are lost, and the orders are those without
    assert plans[1] == plans[5] == plans[0] and min(plans[0]) > 0


def _lumpy_scenario(lot_size: float, moq: float) -> Scenario:
    """One SKU, Poisson demand 10 a period, c = 1, h = 0.1, p = 5, lead time 0, no stock, 30 periods."""
    catalog = Catalog(sku=np.array(["A"], dtype=object), unit_cost=np.ones(1), holding_cost=np.array([0.1]),
                      shortage_cost=np.array([5.0]), lead_time=np.zeros(1, dtype=np.int64),
                      lot_size=np.array([lot_size]), moq=np.array([moq]), demand_mean=np.array([10.0]),
                      demand_std=np.array([3.0]))
    return Scenario(name="lumpy_by_hand", catalog=catalog, constraints=Constraints(),
                    demand=DemandProcess(mean=np.array([10.0])), periods=30,
                    initial_state=InventoryState(catalog.sku, np.zeros(1)))


@pytest.mark.parametrize(("lot_size", "moq"), [(100.0, 0.0), (1.0, 100.0)])
def test_a_lot_or_moq_above_the_horizons_demand_is_ordered(lot_size: float, moq: float) -> None:
    """Relaxed after the first period, the model planned a tenth of a lot for the next period in every plan, so
    MPC never ordered (fill rate 0, 48.4 a period, where an (s, S) rule with S = lot + 5 filled 99.7%)."""
    result = simulate(MPC(), _lumpy_scenario(lot_size, moq), seeds=2)
    assert (result["fill_rate"] > 0.95).all()
    assert (result["avg_cost"] < 20.0).all()  # a lot of 100 covers ten periods: ~15 a period with the whole horizon


def test_integer_periods_per_sku_make_only_those_skus_whole_over_the_horizon() -> None:
    """Per-SKU leading integer periods: the lumpy SKU's objective is the all-integer one, the other's stays relaxed."""
    lumpy = {"lot_size": np.array([100.0]), "order_upper": np.array([1000.0])}
    relaxed = solve_lot_sizing(_single(**lumpy, integer_periods=1))
    whole = solve_lot_sizing(_single(**lumpy, integer_periods=None))
    by_sku = solve_lot_sizing(_single(**lumpy, integer_periods=np.array([4])))
    assert relaxed.objective < whole.objective - 1.0  # fractions of a lot after the first period are cheaper
    assert by_sku.objective == pytest.approx(whole.objective, rel=1e-9)
    policy = MPC()
    demand = np.array([[10.0] * 4, [10.0] * 4])
    assert policy.integer_periods_by_sku(demand, np.array([100.0, 5.0]), np.array([0.0, 20.0])).tolist() == [4, 1]
    assert policy.integer_periods_by_sku(demand, np.array([1.0, 1.0]), np.array([41.0, 40.0])).tolist() == [4, 1]
    # a unit lot is no batch: a SKU selling less than one unit over the horizon stays relaxed (whole over the
    # horizon, 2,509 intermittent car parts cost 3.4% more: 89,370.7 a month against 86,416.3, RESULTS.md)
    slow = np.array([[0.2] * 4, [0.2] * 4])
    assert policy.integer_periods_by_sku(slow, np.array([1.0, 2.0]), np.array([0.0, 0.0])).tolist() == [1, 4]
    assert policy.integer_periods_by_sku(slow, np.array([1.0, 1.0]), np.array([1.0, 2.0])).tolist() == [1, 4]


@pytest.mark.parametrize(("changes", "column"), [
    ({"holding_cost": np.array([np.nan])}, "holding_cost"),  # 'Optimal', orders of 1e6 every period
    ({"on_hand": np.array([np.nan])}, "on_hand"),  # 'Optimal', no orders
    ({"demand": np.array([[10.0, np.inf, 10.0, 10.0]])}, "demand"),  # 'Optimal', objective 0
    ({"lead_time": np.full((1, 4), -1)}, "lead_time"),  # arrivals wrapped to the last period
    ({"lot_size": np.zeros(1)}, "lot_size"),  # divide-by-zero warnings, then 'Optimal'
    ({"scheduled": np.zeros((1, 2))}, "scheduled"),  # numpy's broadcast error
    ({"budget": math.nan}, "budget"),  # ignored
    ({"capacity": math.nan}, "capacity"),  # ignored
    ({"integer_periods": np.array([1, 2])}, "integer_periods"),
])
def test_a_lot_sizing_problem_with_bad_data_is_refused_naming_the_field(changes: dict, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        _single(**changes)
    assert info.value.column == column


def test_the_plan_does_not_depend_on_the_money_unit() -> None:
    """HiGHS's gap and cost tolerances are absolute: all costs x 1e-9 stopped it at once ([57, 0] for [16, 10])."""
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})
    orders = []
    for unit in (1.0, 1e-9):
        catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [1.0 * unit, 2.0 * unit],
                                "holding_cost": [0.1 * unit, 0.2 * unit], "shortage_cost": [5.0 * unit, 9.0 * unit],
                                "order_cost": [0.0, 3.0 * unit], "lead_time": [0, 1], "demand_mean": [10.0, 4.0],
                                "demand_std": [3.0, 2.0]})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = plan(state, catalog, policy="mpc")
        orders.append(out["order_qty"].tolist())
        objective = out.attrs["diagnostics"]["mpc"]["objective"]
        assert objective == pytest.approx(124.0 * unit, rel=0.02)
    assert orders[0] == orders[1]


def test_cover_inequalities_order_a_fixed_cost_the_relaxation_spread_thin() -> None:
    """With every later period relaxed, a fixed cost of 150 looked cheaper next period in every plan: never ordered.
    MPC(cover_periods=4) charges it as whole orders do and orders (documented trade-off: off by default)."""
    catalog = Catalog(sku=np.array(["A"], dtype=object), unit_cost=np.ones(1), holding_cost=np.array([0.1]),
                      shortage_cost=np.array([5.0]), lead_time=np.zeros(1, dtype=np.int64),
                      order_cost=np.array([150.0]), demand_mean=np.array([10.0]), demand_std=np.array([3.0]))
    sc = Scenario(name="fixed_cost_by_hand", catalog=catalog, constraints=Constraints(),
                  demand=DemandProcess(mean=np.array([10.0])), periods=30,
                  initial_state=InventoryState(catalog.sku, np.zeros(1)))
    relaxed = simulate(MPC(horizon=8), sc, seeds=2)
    covered = simulate(MPC(horizon=8, cover_periods=4), sc, seeds=2)
    assert (relaxed["fill_rate"] == 0.0).all()
    assert (covered["fill_rate"] > 0.95).all() and (covered["avg_cost"] < relaxed["avg_cost"]).all()
    with pytest.raises(PlanningError):
        MPC(cover_periods=-1)


def test_orders_above_a_billion_units_are_not_capped() -> None:
    """A fixed big-M of 1e9 capped the order of every SKU with a fixed cost or MOQ at 1e9 units, silently."""
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    huge = catalog.assign(demand_mean=1e10, demand_std=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = plan(state, huge, None, policy="mpc")
    fixed = (huge["order_cost"] > 0) | (huge["moq"] > 0)
    assert fixed.any()
    # at least the next period's demand less the stock on hand and on order (every order is above 1e9)
    assert (out["order_qty"] >= 1e10 - state["on_hand"].max() - 1e6).all(), out["order_qty"].tolist()


def test_a_backlog_is_worked_down_within_the_limits() -> None:
    """With backorders the order bound left the backlog out: a backlog of 10,000 units a SKU got 1,045 units in
    all (14,507 of a budget of 100,000), and under a warehouse limit that did not bind MPC ordered nothing."""
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    owed = state.assign(on_hand=0, backorders=10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        budget = plan(owed, catalog, {"budget": 1e5}, policy="mpc", lost_sales=False)
        space = plan(owed, catalog, {"capacity": 500}, policy="mpc", lost_sales=False)
    # the backlog's purchase value (12 SKUs x 10,000 units) is far above the budget: all of it is worth spending
    assert budget.attrs["diagnostics"]["spend"] >= 0.99 * 1e5
    assert space["order_qty"].sum() > 0 and space.attrs["diagnostics"]["violations"] == []


def test_a_model_too_large_for_memory_is_refused_naming_the_longest_lead_time() -> None:
    """The horizon is the longest lead time + 4 for every SKU: one SKU at 520 periods made 1,200 SKUs a model of
    628,800 SKU-periods that ran out of memory (23 GB at 10,000 SKUs) without a word."""
    from hybridinv.examples import example_frames
    from hybridinv.policies.mpc import MAX_SKU_PERIODS

    catalog, state = example_frames()
    copies = 100
    big = pd.concat([catalog.assign(sku=catalog["sku"] + f"-{k}") for k in range(copies)], ignore_index=True)
    stock = pd.concat([state.assign(sku=state["sku"] + f"-{k}") for k in range(copies)], ignore_index=True)
    big.loc[7, "lead_time"] = 520
    assert len(big) * 524 > MAX_SKU_PERIODS
    with pytest.raises(PlanningError, match="1,200 SKUs x 524 periods") as info:
        plan(stock, big, {"budget": 1e6}, policy="mpc")
    assert info.value.column == "lead_time" and info.value.sku == big.loc[7, "sku"] and info.value.value == 520
    # a horizon the planner chose is named as such (the message blamed the longest lead time, 0 here, and a SKU)
    big["lead_time"] = 0
    with pytest.raises(PlanningError, match="give a shorter horizon") as info:
        plan(stock, big, {"budget": 1e6}, policy=MPC(horizon=300))
    assert info.value.column == "horizon" and info.value.value == 300 and info.value.sku is None
    assert "lead time" not in str(info.value)


@pytest.mark.parametrize(("order_cost", "moq"), [(1.0, 0.0), (0.0, 5.0), (3.0, 12.0)])
def test_an_unbounded_order_limit_keeps_the_order_cost_and_the_moq(order_cost: float, moq: float) -> None:
    """``order_upper=inf`` ("no bound") made the big-M of ``q <= M y`` infinite: HiGHS reported "Optimal" with no
    orders and objective 0, every unit lost and uncharged. Independent truth: the same problem with a finite
    limit far above any useful order."""
    def problem(upper: float) -> LotSizingProblem:
        return LotSizingProblem(
            demand=np.full((1, 4), 10.0), lead_time=np.zeros((1, 4), dtype=np.int64), on_hand=np.zeros(1),
            backorders=np.zeros(1), scheduled=np.zeros((1, 4)), holding_cost=np.array([0.1]),
            shortage_cost=np.array([5.0]), unit_cost=np.array([2.0]), order_cost=np.array([order_cost]),
            lot_size=np.ones(1), moq=np.array([moq]), order_upper=np.array([upper]), volume=np.ones(1))

    bounded, unbounded = (solve_lot_sizing(problem(u), mip_rel_gap=1e-9) for u in (1000.0, math.inf))
    assert unbounded.status == bounded.status == "Optimal"
    assert unbounded.objective == pytest.approx(bounded.objective, rel=1e-9) and bounded.objective > 0
    np.testing.assert_allclose(unbounded.orders, bounded.orders)


def _warm_obs():  # type: ignore[no-untyped-def]
    return observation([1.0, 0.0, 4.0, 0.0], [6.0, 2.5, 9.0, 3.2], std=1.0, lead_time=[1, 0, 2, 1],
                       lot_size=np.array([4.0, 1.0, 5.0, 2.0]), moq=np.array([0.0, 3.0, 10.0, 4.0]),
                       order_cost=np.array([5.0, 0.0, 12.0, 3.0]), constraints=Constraints(budget=70.0),
                       unit_cost=np.array([2.0, 3.0, 2.0, 2.5]))


def test_a_warm_start_keeps_the_certificate_and_feasibility() -> None:
    """The MILP started from the repaired LP relaxation: a plan within mip_rel_gap of the bound, so within it of
    the cold MILP's plan, and as feasible."""
    obs = _warm_obs()
    cold = MPC(horizon=5, warm_start=False).decide(obs)
    warm = MPC(horizon=5, warm_start=True).decide(obs)
    assert cold.extra["mpc"]["warm_start"] is False and warm.extra["mpc"]["warm_start"] is True
    details = warm.extra["mpc"]
    assert details["bound"] <= details["objective"] + 1e-6 and details["gap"] <= 1e-2
    assert details["objective"] <= cold.extra["mpc"]["objective"] / (1 - 1e-2) + 1e-6
    assert details["objective"] >= cold.extra["mpc"]["bound"] - 1e-6  # the same model: the cold bound holds
    cat, orders = obs.catalog, warm.orders
    assert np.all(orders % cat.lot_size == 0) and np.all((orders == 0) | (orders >= cat.moq))
    assert orders @ cat.unit_cost <= 70.0 + 1e-9
    # the plan's objective is the model's with these period-0 orders (the rest re-optimized; every later period of
    # these SKUs is relaxed, so plan_objective is exact)
    assert plan_objective(MPC(horizon=5).problem(obs), orders) == pytest.approx(details["objective"], rel=1e-7)


def test_a_start_that_breaks_the_budget_is_not_returned() -> None:
    obs = _warm_obs()
    problem = MPC(horizon=5).problem(obs)
    start = obs.catalog.lot_size * 20  # 20 lots each: far above the budget of 70
    assert start @ obs.catalog.unit_cost > 70.0
    solution = solve_lot_sizing(problem, mip_rel_gap=0.5, start_orders=start)
    assert solution.orders[:, 0] @ obs.catalog.unit_cost <= 70.0 + 1e-6
    assert solution.bound <= solution.objective + 1e-6


def test_the_optimal_start_is_kept() -> None:
    obs = _warm_obs()
    problem = MPC(horizon=5).problem(obs)
    best = solve_lot_sizing(problem, mip_rel_gap=1e-9)
    again = solve_lot_sizing(problem, mip_rel_gap=0.5, node_limit=1, start_orders=best.orders[:, 0])
    assert again.objective == pytest.approx(best.objective, rel=1e-7)


@pytest.mark.parametrize("start", [np.zeros(3), np.array([0.0, -4.0, 0.0, 0.0]), np.array([0.0, np.nan, 0.0, 0.0]),
                                   ["0", "0", "0", "0"]])
def test_a_bad_start_is_refused_by_name(start: object) -> None:
    problem = MPC(horizon=5).problem(_warm_obs())
    with pytest.raises(PlanningError, match="start_orders"):
        solve_lot_sizing(problem, start_orders=start)


def test_mpc_solves_cold_by_default() -> None:
    """The warm start is off unless asked for (its plans cost 6.2% more on the car-parts backtest)."""
    assert MPC(horizon=5).decide(_warm_obs()).extra["mpc"]["warm_start"] is False
    assert MPC(horizon=5).decide(_warm_obs()).extra["mpc"]["start_seconds"] == 0.0
    with pytest.raises(PlanningError, match="warm_start"):
        MPC(warm_start="yes")  # type: ignore[arg-type]


def test_the_fallback_reuses_the_warm_starts_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a poor incumbent the relax-and-round fallback takes the warm start's LP plan: one LP, not two."""
    import hybridinv.policies.mpc as mpc_module

    relaxations = []
    starts = []

    def solve(problem, relax=False, start_orders=None, **options):  # type: ignore[no-untyped-def]
        if relax:
            relaxations.append(1)
            return solve_lot_sizing(problem, relax=True)
        starts.append(start_orders)
        return mpc_module.LotSizingSolution(np.zeros_like(problem.demand), 1e9, 10.0, "Time limit reached", 0.5)

    monkeypatch.setattr(mpc_module, "solve_lot_sizing", solve)
    decision = MPC(safety_factor=0.0, horizon=4, warm_start=True).decide(_lots_obs())
    assert len(relaxations) == 2  # the warm start's LP, and plan_objective's LP of the rest of the horizon
    assert starts[0] is not None and np.array_equal(starts[0], decision.orders)
    assert decision.extra["mpc"]["fallback"] == "lp_repaired"
