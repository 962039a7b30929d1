"""HiGHS backend: vectorized model, semi-integer MOQs, warm start, bounds and prices."""

from __future__ import annotations

import warnings

import highspy
import numpy as np
import pytest

from hybridinv import SolverFallbackWarning
from hybridinv.repair import repair_orders
from hybridinv.repair.fast import solve_fast
from hybridinv.repair.highs import load_model, lp_relaxation_prices, solve_highs
from hybridinv.repair.inputs import build_problem
from hybridinv.repair.instances import random_instance
from hybridinv.repair.model import milp_arrays

from ._cases import brute_force, make_case


def test_moq_columns_are_semi_integer_not_big_m() -> None:
    case = make_case([13.0, 3.0, 4.0], lot_size=[5, 1, 1], moq=[10, 0, 3])
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    load_model(highs, milp_arrays(build_problem(*case.args)))
    lp = highs.getLp()
    kinds = list(lp.integrality_)
    semi, integer = highspy.HighsVarType.kSemiInteger, highspy.HighsVarType.kInteger
    assert kinds[:3] == [semi, integer, semi]
    assert list(lp.col_lower_[:3]) == [2.0, 0.0, 3.0]  # MOQ in lots
    assert lp.num_col_ == 6  # lots and surplus only: no binaries


def test_matches_brute_force_with_moq_lots_capacity_and_budget() -> None:
    case = make_case(
        [12.0, 9.5, 20.0, 4.0],
        unit_cost=[2, 3, 1, 4],
        volume=[1, 2, 0.5, 1],
        lot_size=[2, 1, 5, 2],
        moq=[4, 3, 10, 0],
        capacity=22.0,
        budget=40.0,
    )
    best, _ = brute_force(case)
    problem = build_problem(*case.args)
    solution = solve_highs(problem, gap_tolerance=0.0)
    assert solution is not None
    assert problem.objective(solution.lots) == pytest.approx(best)
    assert solution.bound == pytest.approx(best, rel=1e-6)
    assert solution.status == "optimal"


def test_warm_start_is_never_worse_than_the_start() -> None:
    problem = build_problem(*(lambda i: (i.desired, i.catalog, i.state, i.constraints))(random_instance(400, seed=8)))
    start = solve_fast(problem).lots
    solution = solve_highs(problem, time_limit=0.5, gap_tolerance=0.0, warm_start=start, prices=False)
    assert solution is not None
    assert problem.objective(solution.lots) <= problem.objective(start) + 1e-6
    assert solution.bound <= problem.objective(solution.lots) + 1e-6


def test_lp_relaxation_prices_match_a_hand_computed_dual() -> None:
    # capacity 12 shared by two SKUs wanting 10 each; shortage 4 vs 6: the LP gives the cheaper one 2 units,
    # so one more unit of capacity saves 4 (+ the tie-break weight)
    case = make_case([10.0, 10.0], shortage_cost=[4.0, 6.0], capacity=12.0)
    (capacity,) = lp_relaxation_prices(build_problem(*case.args))
    assert capacity[0] == pytest.approx(4.0 + 1e-6)


def test_the_shadow_price_lp_gets_what_is_left_of_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # the LP ran without a limit after the MIP had used it all (12.8 s after a 4 s limit at 100,000 SKUs)
    import hybridinv.repair.highs as module

    problem = build_problem(*random_instance(300, 2).args)
    assert lp_relaxation_prices(problem, 0.0) is None  # no time left: no LP at all
    given: list[float | None] = []

    def out_of_time(prob, time_limit=None):  # type: ignore[no-untyped-def]
        given.append(time_limit)
        return None

    monkeypatch.setattr(module, "lp_relaxation_prices", out_of_time)
    solution = solve_highs(problem, time_limit=5.0)
    assert given and given[0] is not None and 0.0 < given[0] < 5.0
    fast_prices = solve_fast(problem).prices  # the Lagrangian multipliers stand in, not zeros
    assert any(p.any() for p in fast_prices)
    for got, expected in zip(solution.prices, fast_prices, strict=True):
        np.testing.assert_allclose(got, expected)


def test_prices_are_zero_for_slack_rows() -> None:
    case = make_case([1.0, 1.0], capacity=100.0, budget=100.0)
    capacity, budget = lp_relaxation_prices(build_problem(*case.args))
    assert capacity[0] == 0.0 and budget[0] == 0.0


def test_a_plan_using_highs_own_tolerance_is_solved_again_tighter() -> None:
    """HiGHS took the budget 1.7e-5 above its limit (inside its 1e-6 scaled tolerance, above the repair's
    1e-9): cut back afterwards, the plan lost 1% and still said "optimal". Solved again with tight
    tolerances it meets every row and beats the fast plan, in the HiGHS backend and in the auto polish."""
    from hybridinv.repair import repair_orders
    from hybridinv.repair.instances import FamilySpec, family_instance
    from hybridinv.repair.primal import breaks_a_row

    inst = family_instance(FamilySpec(weights="policy", moq_share=0.5, max_lead_time=3, tightness=0.3), 11, 1226)
    problem = build_problem(*inst.args, **inst.weights)
    loose = highspy.Highs()
    loose.setOptionValue("output_flag", False)
    load_model(loose, milp_arrays(problem))
    loose.setOptionValue("mip_rel_gap", 1e-6)
    loose.run()
    first = np.round(np.asarray(loose.getSolution().col_value)[: problem.n_skus])
    assert breaks_a_row(problem, first)  # the instance still shows what it was kept for
    fast = repair_orders(*inst.args, **inst.weights, backend="fast")
    exact = repair_orders(*inst.args, **inst.weights, backend="highs", gap_tolerance=1e-6, time_limit=10.0)
    assert not breaks_a_row(problem, exact.orders / problem.lot_size) and not exact.diagnostics.violations
    assert exact.diagnostics.status in ("optimal", "within_gap")
    assert exact.bound <= exact.objective <= fast.objective
    assert exact.objective <= exact.bound * (1 + 1e-5)
    auto = repair_orders(*inst.args, **inst.weights, backend="auto", gap_tolerance=1e-6)
    assert auto.objective <= fast.objective and not auto.diagnostics.violations


def _presolve_trap() -> tuple:
    """Two SKUs, one capacity of 4, volumes 0.6666667 and 0.5: HiGHS 1.16's presolve returns the plan
    (2, 5) of cost 4 as optimal with a bound of 4, while (3, 3) fits (volume 3.5000001) and costs 3."""
    import pandas as pd

    from hybridinv import Catalog, Constraints, InventoryState

    catalog = Catalog.from_frame(pd.DataFrame({
        "sku": ["A", "B"], "unit_cost": 0.0, "holding_cost": 0.1, "shortage_cost": [3.0, 1.0],
        "volume": [0.6666667, 0.5], "lead_time": 0}))
    state = InventoryState.from_frame(pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]}), catalog=catalog)
    return catalog, state, Constraints(capacity=4.0)


def test_a_presolve_answer_that_a_known_plan_undercuts_is_solved_again() -> None:
    import itertools

    from hybridinv.repair import repair_orders

    catalog, state, constraints = _presolve_trap()
    # the truth by enumeration: deviation cost 3 * (3 - a) + (6 - b) over the plans that fit
    best = min(3 * (3 - a) + (6 - b) for a, b in itertools.product(range(4), range(7))
               if 0.6666667 * a + 0.5 * b <= 4.0)
    for backend in ("highs", "auto"):
        result = repair_orders([3, 6], catalog, state, constraints, under_weight=[3.0, 1.0], backend=backend,
                               expected_demand=[0.0, 0.0])
        assert result.orders.tolist() == [3.0, 3.0] and result.objective == pytest.approx(best)
        assert result.bound <= best + 1e-9  # a valid bound: HiGHS's presolve claimed 4


def test_large_quantities_do_not_fail_the_answer_checks() -> None:
    # an objective of 0.62 over desired quantities of 1e6: the offset cancels large terms, and a check with a
    # tolerance relative to the objective alone called HiGHS's correct answer inconsistent (bound 0, heuristic)
    from hybridinv import Catalog, Constraints, InventoryState
    from hybridinv.repair import repair_orders

    rng = np.random.default_rng(3)
    n = 500
    desired = np.round(1e6 * rng.uniform(1, 2, n))
    desired[0] += 0.5
    catalog = Catalog(sku=np.array([f"s{i}" for i in range(n)], dtype=object), unit_cost=np.ones(n),
                      holding_cost=rng.uniform(0.3, 1.3, n), shortage_cost=rng.uniform(3, 9, n),
                      lead_time=np.zeros(n, dtype=np.int64), volume=rng.uniform(0.5, 2, n))
    result = repair_orders(desired, catalog, InventoryState.empty(catalog), Constraints(capacity=1e15),
                           backend="highs", gap_tolerance=1e-6)
    assert result.diagnostics.status == "optimal" and result.bound > 0.6
    assert result.objective == pytest.approx(min(0.5 * catalog.holding_cost[0], 0.5 * catalog.shortage_cost[0]))


def test_moq_sku_wanting_more_than_100k_lots_is_solved_by_highs() -> None:
    # HiGHS cuts a semi-integer column's upper bound to 1e5 and stops with a solve error when the
    # optimum lies above it: a MOQ SKU wanting 150,000 lots had no HiGHS plan (fallback to fast)
    case = make_case([150_000.0, 3.0], moq=10.0, budget=150_000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SolverFallbackWarning)
        result = repair_orders(*case.args, backend="highs", gap_tolerance=0.0)
    # by hand: SKU 1 orders 0 (3 units short at 9 + 1e-6) or its MOQ of 10, which leaves SKU 0
    # 10 short (90) and SKU 1 7 over (7): 27 is the optimum
    assert result.diagnostics.backend == "highs" and result.diagnostics.status == "optimal"
    assert list(result.orders) == [150_000.0, 0.0]
    assert result.objective == pytest.approx(3 * (9 + 1e-6))
    problem = build_problem(*case.args)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    switched = load_model(highs, milp_arrays(problem))
    assert list(switched) == [0]  # the 150,000-lot column got a binary; the 3-lot one stays semi-integer
    assert list(highs.getLp().integrality_)[:2] == [highspy.HighsVarType.kInteger, highspy.HighsVarType.kSemiInteger]


@pytest.mark.parametrize("scale", [1e-7, 1.0, 1e11])
def test_tiny_and_huge_weights_are_solved_to_the_brute_force_optimum(scale: float) -> None:
    # HiGHS's tolerances are absolute (dual feasibility 1e-7, MIP gap 1e-6): with weights of 1e-7 it
    # returned a plan 14 % above the optimum as "optimal" (and on other instances a dual bound above
    # the optimum); weights of 1e25 it took for infinite costs (weights are now at most MAX_WEIGHT = 1e12, and
    # 1e11 is still scaled down: above 2**30). The same instance at scale 1 is fine.
    case = make_case(
        [14.98, 6.36, 8.0], lot_size=[3, 3, 2], moq=[3, 6, 2], volume=[1.94, 0.66, 1.97], capacity=36.34
    )
    under = np.array([0.577, 0.396, 0.574]) * scale
    over = np.array([0.024, 0.075, 0.222]) * scale
    best, _ = brute_force(case, under=under, over=over)
    result = repair_orders(*case.args, under_weight=under, over_weight=over, backend="highs", gap_tolerance=0.0)
    assert result.objective == pytest.approx(best, rel=1e-9)
    assert result.bound <= best * (1 + 1e-9)
    assert result.diagnostics.status == "optimal"
    prices = lp_relaxation_prices(build_problem(*case.args, under_weight=under, over_weight=over))
    unit = lp_relaxation_prices(build_problem(*case.args, under_weight=under / scale, over_weight=over / scale))
    np.testing.assert_allclose(prices[0], unit[0] * scale, rtol=1e-6)  # prices scale with the weights


class _SlowPresolve:
    """A HiGHS whose ``run`` first ignores the clock for ``delay`` seconds (as 1.16's presolve does on large models)."""

    def __init__(self, inner: object, delay: float) -> None:
        self._inner, self._delay = inner, delay

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def run(self) -> object:
        import time

        time.sleep(self._delay)
        return self._inner.run()  # type: ignore[attr-defined]


def test_a_highs_run_past_its_time_limit_is_abandoned_and_the_fast_plan_returned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 1 s limit took 2.9 s at 20,000 SKUs and a 4 s limit 56 s at 100,000: presolve does not look at the
    clock. The call now returns at its limit with the fast plan (status fallback) however long HiGHS runs."""
    import time

    from hybridinv import _highs
    from hybridinv.repair import highs as highs_backend

    real = _highs.new_highs
    monkeypatch.setattr(highs_backend, "new_highs", lambda *a, **k: _SlowPresolve(real(*a, **k), 3.0))
    inst = random_instance(200, 3)
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SolverFallbackWarning)
        result = repair_orders(inst.desired, inst.catalog, inst.state, inst.constraints, backend="highs",
                               time_limit=0.3, **inst.weights)
    assert time.perf_counter() - began < 1.5  # 3 s without the bound
    assert result.diagnostics.status == "fallback"
    fast = solve_fast(build_problem(inst.desired, inst.catalog, inst.state, inst.constraints, **inst.weights))
    assert result.objective == pytest.approx(build_problem(
        inst.desired, inst.catalog, inst.state, inst.constraints, **inst.weights).objective(fast.lots))
    # the LP for shadow prices is bounded the same way: None (out of time) instead of waiting
    problem = build_problem(inst.desired, inst.catalog, inst.state, inst.constraints, **inst.weights)
    began = time.perf_counter()
    assert lp_relaxation_prices(problem, 0.2) is None
    assert time.perf_counter() - began < 1.5


def test_a_bounded_highs_run_hands_its_failure_to_the_caller() -> None:
    from hybridinv._highs import run_bounded

    class Broken:
        def getOptionValue(self, name: str) -> tuple[int, float]:  # noqa: N802 - highspy's name
            return 0, 5.0

        def run(self) -> None:
            raise RuntimeError("solver crashed")

    with pytest.raises(RuntimeError, match="solver crashed"):
        run_bounded(Broken())


def test_highs_is_not_trusted_where_its_tolerances_cannot_see_the_smallest_costs() -> None:
    """Costs spanning 1e17: HiGHS said optimal at 8.48 with a bound of 8.48, but the plan q below fits and costs
    5.42; the bound is now the Lagrangian one and the status heuristic."""
    import warnings

    from hybridinv import Catalog, Constraints, InventoryState
    from hybridinv.repair import repair_orders

    cat = Catalog(sku=["a", "b"], unit_cost=[0.002274738375090286, 28742.8927211694], holding_cost=[0.0, 0.0],
                  shortage_cost=[0.0, 0.0], lead_time=[0, 0], volume=[143.0423871536001, 0.00018380011882145836],
                  lot_size=[7.0, 3.0], demand_mean=[0.0, 0.0])
    cons = Constraints(capacity=13853438564.09072, budget=3449396691825.609)
    desired = np.array([133343892.5, 190373919.5])
    under = np.array([9.723299300282145e-08, 2.6621417974952804e-08])
    over = np.array([689272452.3979414, 81382412353.76038])
    q = np.array([7 * 13835475, 3 * 40002891])
    assert cat.volume @ q <= cons.capacity and cat.unit_cost @ q <= cons.budget
    feasible_cost = float(under @ np.maximum(desired - q, 0) + over @ np.maximum(q - desired, 0))
    for backend in ("auto", "highs"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = repair_orders(desired, cat, InventoryState(cat.sku, [0.0, 0.0]), cons, under_weight=under,
                                   over_weight=over, backend=backend, gap_tolerance=0.0)
        assert result.bound <= feasible_cost * (1 + 1e-9)
        assert result.diagnostics.status == "heuristic"
