"""solve_fast: feasible repaired plans with a certified bound."""

from __future__ import annotations

import numpy as np
import pytest

import hybridinv
from hybridinv.policies import BaseStock
from hybridinv.repair import repair_orders
from hybridinv.repair.fast import dual_bound, solve_fast
from hybridinv.repair.inputs import build_problem
from hybridinv.repair.instances import family_instance, random_instance

from ._cases import brute_force, make_case


def _problem(inst):
    return build_problem(inst.desired, inst.catalog, inst.state, inst.constraints)


def test_solve_fast_is_feasible_and_certified() -> None:
    problem = _problem(random_instance(500, seed=9, n_suppliers=2))
    solution = solve_fast(problem)
    lots = solution.lots
    assert problem.lot_feasible(lots).all()
    assert (lots <= problem.upper_lots).all()
    limits = np.concatenate([g.rhs for g in problem.groups])
    assert (problem.row_usage(lots) <= limits + 1e-7).all()
    assert solution.bound <= problem.objective(lots)
    assert all((p >= 0).all() for p in solution.prices)


def test_time_limit_is_honoured_without_losing_feasibility() -> None:
    problem = _problem(random_instance(2000, seed=1))
    solution = solve_fast(problem, time_limit=1e-6)
    limits = np.concatenate([g.rhs for g in problem.groups])
    assert (problem.row_usage(solution.lots) <= limits + 1e-7).all()
    assert solution.bound <= problem.objective(solution.lots)


def test_dual_bound_alone_is_below_the_optimum() -> None:
    case = make_case(
        [12.0, 9.5, 20.0],
        unit_cost=[2, 3, 1],
        volume=[1, 2, 0.5],
        lot_size=[2, 1, 5],
        moq=[4, 3, 10],
        capacity=20.0,
        budget=30.0,
    )
    best, _ = brute_force(case)
    assert 0.0 <= dual_bound(build_problem(*case.args)) <= best + 1e-9


def test_exchanges_only_run_when_the_gap_is_too_large() -> None:
    problem = _problem(random_instance(50, seed=1))
    loose = solve_fast(problem, gap_tolerance=0.5)
    tight = solve_fast(problem, gap_tolerance=0.0)
    assert problem.objective(tight.lots) < problem.objective(loose.lots)  # this instance needs exchanges
    assert tight.bound >= loose.bound - 1e-6  # and a more accurate multiplier search


def test_issue15_plan_base_stock_family_is_certified_by_the_fast_path() -> None:
    """Issue 15: lead time 0, MOQs on most SKUs, shortage 0.5 x cost, holding 0.2 x cost / 52.

    The fast path returned a 45 % certified gap at plan() level (21 % at 10,000
    SKUs of this family, 2.6 % at 1,000) where HiGHS proves the optimum.
    """
    for n in (1000, 10000):
        inst = family_instance("plan_base_stock", n, seed=0)
        result = repair_orders(*inst.args, **inst.weights, backend="fast")
        assert result.gap <= 0.005, (n, result.gap)
        assert not result.diagnostics.violations


@pytest.mark.filterwarnings("ignore::hybridinv.PlanningWarning")
def test_issue15_plan_with_user_base_stock_is_certified_by_the_fast_path() -> None:
    """The finding itself: plan() with BaseStock(level=on_hand + desired) and the fast repair."""
    inst = family_instance("plan_base_stock", 1000, seed=1)
    level = inst.state.on_hand + inst.desired
    out = hybridinv.plan(
        inst.state.to_frame(), inst.catalog.to_frame(), inst.constraints, policy=BaseStock(level=level, repair="fast")
    )
    diag = out.attrs["diagnostics"]
    assert diag["repair"]["backend"] == "fast"
    np.testing.assert_array_equal(out["desired_qty"].to_numpy(), inst.desired)
    assert diag["gap"] <= 0.005, diag["gap"]


def test_a_rounding_steeper_second_slope_no_longer_plans_below_the_moq() -> None:
    """The hull's slope past the MOQ came out -17.547 after -17.546999999999997: at a price between the two the
    fast plan held 1 lot against a minimum of 2; auto then judged its gap on that infeasible plan's cost and
    skipped the polish, and highs threw away its own optimum (bound 0). Truth by enumeration: [9, 0] at 75.032."""
    import itertools
    import warnings

    from hybridinv import Catalog, Constraints, InventoryState
    from hybridinv.repair import repair_orders
    from hybridinv.repair.inputs import build_problem

    cat = Catalog(sku=["a", "b"], unit_cost=[4.1, 1.4], holding_cost=[0.0, 0.0], shortage_cost=[0.0, 0.0],
                  lead_time=[0, 0], moq=[6.0, 15.0], lot_size=[3.0, 5.0], demand_mean=[0.0, 0.0])
    state, cons = InventoryState(cat.sku, [0.0, 0.0]), Constraints(budget=38.0)
    desired, under, over = [14.0, 7.0], [5.849, 6.541], [1.0, 1.0]

    def cost(a: float, b: float) -> float:
        return 5.849 * max(14 - a, 0) + max(a - 14, 0) + 6.541 * max(7 - b, 0) + max(b - 7, 0)

    best = min(cost(a, b) for a, b in itertools.product([0, 6, 9, 12, 15], [0, 15]) if 4.1 * a + 1.4 * b <= 38)
    problem = build_problem(desired, cat, state, cons, under_weight=under, over_weight=over)
    lots = solve_fast(problem).lots
    assert ((lots == 0) | (lots >= problem.min_lots)).all()
    for backend in ("fast", "auto", "highs"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = repair_orders(desired, cat, state, cons, under_weight=under, over_weight=over, backend=backend,
                                   gap_tolerance=0.0)
        assert result.bound <= best + 1e-9
        if backend != "fast":
            assert result.objective == pytest.approx(best) and result.bound == pytest.approx(best)


def test_auto_polishes_the_moq_all_instance_the_infeasible_plan_hid() -> None:
    from hybridinv.repair import repair_orders
    from hybridinv.repair.instances import family_instance

    instance = family_instance("moq_all", 10, 2)
    auto = repair_orders(*instance.args, **instance.weights, backend="auto")
    exact = repair_orders(*instance.args, **instance.weights, backend="highs", gap_tolerance=0.0)
    assert auto.gap <= 0.005 and auto.objective <= exact.objective * 1.005  # was 429.21 against 340.69
