"""repair_orders: every backend against brute force, certificates, infeasibility, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from hybridinv import ConstraintViolationWarning, InventoryState, PlanningError
from hybridinv.core.errors import SolverFallbackWarning
from hybridinv.repair import POLISH_TIME_LIMIT, Backend, available_backends, polish_time_limit, repair_orders
from hybridinv.repair import highs as highs_backend
from hybridinv.repair.instances import family_instance, random_instance

from ._cases import EXACT_BACKENDS, assert_rules, brute_force, deviation, make_case, residuals, rows_ok


def test_every_backend_is_installed() -> None:
    """highspy and pulp are required dependencies: an install without them is broken, not a reason to skip."""
    assert set(available_backends()) == set(Backend)


TINY_CASES = {
    "unconstrained_fractional": make_case([3.4, 0.0, 7.6], lot_size=[1, 2, 5]),
    "moq_and_lots": make_case([3.0, 14.0, 26.0], lot_size=[2, 5, 12], moq=[6, 10, 24]),
    "capacity_binding": make_case([10.0, 8.0, 6.0], volume=[1.0, 2.0, 1.5], capacity=20.0),
    "budget_binding": make_case([10.0, 8.0, 6.0], unit_cost=[3.0, 2.0, 5.0], budget=40.0),
    "all_binding": make_case(
        [12.0, 9.5, 20.0, 4.0],
        unit_cost=[2.0, 3.0, 1.0, 4.0],
        volume=[1.0, 2.0, 0.5, 1.0],
        lot_size=[2, 1, 5, 2],
        moq=[4, 3, 10, 0],
        lead_time=[0, 1, 0, 1],
        on_hand=[3, 2, 5, 1],
        demand=[1.0, 2.0, 3.0, 1.0],
        capacity=30.0,
        budget=45.0,
        shortage_cost=[5.0, 9.0, 3.0, 7.0],
    ),
    "max_order_and_supplier": make_case(
        [30.0, 12.0, 9.0],
        max_order=[20, math.inf, 8],
        supplier=["a", "a", "b"],
        supplier_capacity={"a": 25.0},
        budget=100.0,
        unit_cost=[2.0, 3.0, 4.0],
    ),
    "moq_gap_under_capacity": make_case(
        [7.0, 7.0], moq=[6, 6], lot_size=[3, 1], volume=[1.0, 1.0], capacity=11.0, shortage_cost=[4.0, 6.0]
    ),
    "two_rows_lead_times": make_case(
        [9.0, 9.0, 9.0, 9.0], lead_time=[0, 0, 2, 2], on_hand=[4, 4, 6, 6], demand=2.0, capacity=20.0, lot_size=3
    ),
}


@pytest.mark.parametrize("name", sorted(TINY_CASES))
def test_every_backend_matches_brute_force(name: str, backend: str) -> None:
    case = TINY_CASES[name]
    best, _ = brute_force(case)
    result = repair_orders(*case.args, backend=backend, gap_tolerance=0.0)
    assert_rules(case, result.orders)
    assert rows_ok(case, result.orders)
    assert result.objective == pytest.approx(deviation(case, result.orders), rel=1e-9, abs=1e-9)
    assert result.bound <= best + 1e-6
    assert result.bound <= result.objective + 1e-9
    if backend == Backend.FAST.value:
        assert result.objective >= best - 1e-6
        assert result.objective - best <= result.objective - result.bound + 1e-6
    else:
        assert result.objective == pytest.approx(best, rel=1e-7, abs=1e-6)


def test_random_tiny_instances_against_brute_force(backend: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(6):
        n = int(rng.integers(2, 5))
        case = make_case(
            rng.uniform(0, 15, n).round(1),
            unit_cost=rng.uniform(1, 5, n).round(1),
            volume=rng.uniform(0.5, 2, n).round(1),
            lot_size=rng.choice([1, 2, 3], n),
            moq=0,
            lead_time=rng.integers(0, 2, n),
            on_hand=rng.integers(0, 5, n),
            demand=1.0,
            capacity=float(rng.uniform(10, 25)),
            budget=float(rng.uniform(15, 40)),
            shortage_cost=rng.uniform(1, 9, n).round(1),
        )
        best, _ = brute_force(case)
        result = repair_orders(*case.args, backend=backend, gap_tolerance=0.0)
        assert rows_ok(case, result.orders)
        assert result.bound <= best + 1e-6 <= result.objective + 2e-6
        if backend != Backend.FAST.value:
            assert result.objective == pytest.approx(best, abs=1e-6)


def test_custom_weights_against_brute_force(backend: str) -> None:
    case = TINY_CASES["all_binding"]
    under = np.array([1.0, 20.0, 0.5, 3.0])
    over = np.array([0.0, 2.0, 5.0, 0.1])
    best, _ = brute_force(case, under, over)
    result = repair_orders(*case.args, under_weight=under, over_weight=over, backend=backend, gap_tolerance=0.0)
    assert result.objective == pytest.approx(deviation(case, result.orders, under, over))
    assert result.bound <= best + 1e-6
    if backend != Backend.FAST.value:
        assert result.objective == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backends_agree_on_small_random_instances(seed: int) -> None:
    inst = random_instance(25, seed=seed, n_suppliers=2 if seed == 2 else 0)
    args = (inst.desired, inst.catalog, inst.state, inst.constraints)
    results = {b: repair_orders(*args, backend=b, gap_tolerance=0.0, time_limit=20) for b in ("fast", *EXACT_BACKENDS)}
    optimum = min(r.objective for r in results.values())
    for name, result in results.items():
        assert result.bound <= optimum + 1e-6, name
        assert result.objective - optimum <= result.objective - result.bound + 1e-6, name
    for name in EXACT_BACKENDS:
        assert results[name].objective == pytest.approx(optimum, rel=1e-6)


def test_fast_path_meets_its_gap_on_a_large_instance() -> None:
    inst = random_instance(1000, seed=3)
    result = repair_orders(inst.desired, inst.catalog, inst.state, inst.constraints, backend="fast")
    assert result.gap <= 0.005
    assert result.diagnostics.status in ("within_gap", "optimal")
    assert not result.diagnostics.violations


def test_auto_polishes_when_the_gap_is_too_large() -> None:
    case = TINY_CASES["moq_gap_under_capacity"]
    best, _ = brute_force(case)
    result = repair_orders(*case.args, backend="auto", gap_tolerance=0.0)
    assert result.objective == pytest.approx(best)
    assert result.gap == pytest.approx(0.0, abs=1e-9)


def test_auto_keeps_the_fast_plan_when_certified() -> None:
    case = TINY_CASES["unconstrained_fractional"]
    result = repair_orders(*case.args, backend="auto")
    assert result.diagnostics.backend == "fast"
    assert result.gap == 0.0
    assert result.diagnostics.status == "optimal"


def test_backend_enum_and_string_are_equivalent() -> None:
    case = TINY_CASES["budget_binding"]
    a = repair_orders(*case.args, backend=Backend.FAST)
    b = repair_orders(*case.args, backend="fast")
    np.testing.assert_array_equal(a.orders, b.orders)


def test_time_limit_still_returns_a_feasible_plan() -> None:
    inst = random_instance(3000, seed=5)
    args = (inst.desired, inst.catalog, inst.state, inst.constraints)
    with warnings.catch_warnings(record=True) as caught:  # whether HiGHS finds a plan in 0.05 s depends on load
        warnings.simplefilter("always", SolverFallbackWarning)
        result = repair_orders(*args, backend="highs", time_limit=0.05, gap_tolerance=0.0)
    fell_back = any(issubclass(w.category, SolverFallbackWarning) for w in caught)
    assert fell_back == (result.diagnostics.fallback_reason is not None)  # a fallback is always reported
    assert not result.diagnostics.violations
    assert result.bound <= result.objective
    assert result.diagnostics.solve_time < 5.0


def test_expected_demand_matrix_changes_the_projection() -> None:
    case = make_case([10.0, 10.0], lead_time=[1, 1], on_hand=[10, 10], capacity=25.0)
    tight = repair_orders(*case.args, backend="highs", expected_demand=np.zeros((2, 3)))
    loose = repair_orders(*case.args, backend="highs", expected_demand=np.full((2, 3), 5.0))
    assert tight.orders.sum() == 5.0  # 25 - 20 in stock at receipt
    assert loose.orders.sum() == 15.0  # 25 - 10 after a period of demand


# ---------------------------------------------------------------- infeasible by construction
def test_over_full_capacity_orders_nothing_there_and_warns(backend: str) -> None:
    case = make_case([5.0, 5.0, 4.0], volume=[1.0, 1.0, 0.0], on_hand=[20, 15, 0], capacity=30.0, budget=50.0)
    with pytest.warns(ConstraintViolationWarning, match=r"capacity\[k=0\] over by 5"):
        result = repair_orders(*case.args, backend=backend)
    np.testing.assert_array_equal(result.orders, [0.0, 0.0, 4.0])  # the zero-volume SKU still orders
    (violation,) = result.diagnostics.violations
    assert violation.kind == "capacity"
    assert violation.name == "capacity[k=0]"
    assert violation.amount == pytest.approx(-residuals(case)[0]) == pytest.approx(5.0)
    assert violation.usage == 0.0
    assert not result.diagnostics.feasible


def test_over_full_period_only_blocks_its_own_row(backend: str) -> None:
    case = make_case([6.0, 6.0], lead_time=[0, 1], on_hand=[10, 30], demand=[0.0, 5.0], capacity=38.0)
    res = residuals(case)  # period 0: 40 in stock (2 over); period 1: 10 + 25 in stock (3 free)
    assert res == pytest.approx([-2.0, 3.0])
    with pytest.warns(ConstraintViolationWarning, match=r"capacity\[k=0\] over by 2"):
        result = repair_orders(*case.args, backend=backend)
    np.testing.assert_array_equal(result.orders, [0.0, 3.0])
    assert [v.name for v in result.diagnostics.violations] == ["capacity[k=0]"]


def test_budget_below_every_order_cost_orders_nothing_without_violation(backend: str) -> None:
    case = make_case([5.0, 5.0], unit_cost=[10.0, 12.0], lot_size=2, budget=15.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConstraintViolationWarning)
        result = repair_orders(*case.args, backend=backend)
    np.testing.assert_array_equal(result.orders, [0.0, 0.0])
    assert result.diagnostics.feasible


def test_supplier_capacity_below_moq_orders_nothing_from_it(backend: str) -> None:
    case = make_case([8.0, 8.0], moq=[6, 0], supplier=["a", "b"], supplier_capacity={"a": 5.0})
    result = repair_orders(*case.args, backend=backend)
    np.testing.assert_array_equal(result.orders, [0.0, 8.0])
    assert result.diagnostics.feasible


def test_infeasible_case_reports_every_violated_row() -> None:
    case = make_case([5.0, 5.0], lead_time=[0, 2], on_hand=[50, 50], capacity=60.0)
    with pytest.warns(ConstraintViolationWarning):
        result = repair_orders(*case.args, backend="fast")
    names = {v.name: v.amount for v in result.diagnostics.violations}
    assert names == pytest.approx({"capacity[k=0]": 40.0, "capacity[k=1]": 40.0, "capacity[k=2]": 40.0})


# ---------------------------------------------------------------- shadow prices
def test_capacity_price_is_the_marginal_value_of_capacity(backend: str) -> None:
    case = make_case([10.0, 10.0], shortage_cost=[4.0, 6.0], capacity=12.0)
    result = repair_orders(*case.args, backend=backend)
    # one more unit of capacity lets the cheaper-to-short SKU order one more unit: worth 4
    assert result.diagnostics.capacity_price[0] == pytest.approx(4.0 + 1e-6, rel=1e-4)
    assert result.diagnostics.budget_price == 0.0


def test_budget_price_is_the_marginal_value_of_money(backend: str) -> None:
    case = make_case([10.0, 10.0], unit_cost=[2.0, 1.0], shortage_cost=[6.0, 2.0], budget=20.0)
    result = repair_orders(*case.args, backend=backend)
    # the marginal unit bought is SKU 1 (saves 2 per 1 of money) or SKU 0 (saves 6 per 2): 3 or 2 per unit
    assert 2.0 - 1e-3 <= result.diagnostics.budget_price <= 3.0 + 1e-3


@pytest.mark.parametrize("row", ["budget", "capacity"])
def test_a_row_is_priced_when_the_sku_it_limits_sits_at_the_bound_the_row_implies(backend: str, row: str) -> None:
    """Lower bounds leave 3 units of the row, which the one SKU that can use them takes to its row-implied bound
    of 3 lots: the price went on that bound and the row was priced 0 (plan() after a build-ahead)."""
    limit = {"budget": {"budget": 455.0}, "capacity": {"capacity": 455.0}}[row]
    case = make_case([142.0, 29.0, 29.0], unit_cost=[1.0, 10.0, 10.0], volume=[1.0, 10.0, 10.0],
                     shortage_cost=[30.0, 25.0, 20.0], **limit)
    lower = np.array([32.0, 29.0, 13.0])
    result = repair_orders(*case.args, lower=lower, backend=backend)
    assert result.orders.tolist() == [35.0, 29.0, 13.0]
    diag = result.diagnostics
    price = diag.budget_price if row == "budget" else float(diag.capacity_price[0])
    # one more unit of the row: one more unit of the first SKU, 30 less shortfall (independent: re-solved)
    more = {key: value + 1.0 for key, value in limit.items()}
    wider = repair_orders(*make_case([142.0, 29.0, 29.0], unit_cost=[1.0, 10.0, 10.0], volume=[1.0, 10.0, 10.0],
                                     shortage_cost=[30.0, 25.0, 20.0], **more).args, lower=lower, backend=backend)
    assert result.objective - wider.objective == pytest.approx(30.0, rel=1e-6)
    assert price == pytest.approx(30.0, rel=1e-3)


def test_a_sku_whose_smallest_order_fits_no_row_does_not_price_the_row(backend: str) -> None:
    """Prices read without the row-implied bounds freed a SKU whose MOQ alone exceeds the budget: its fraction of
    the row made a budget 50 units short of being used look scarce (7 a unit). Independent truth: re-solved with
    more budget, the plan's cost does not move until the MOQ fits."""
    def solved(budget: float):  # type: ignore[no-untyped-def]
        case = make_case([50.0, 200.0], unit_cost=[1.0, 1.0], moq=[0.0, 200.0], shortage_cost=[9.0, 7.0],
                         budget=budget)
        return repair_orders(*case.args, backend=backend)

    result = solved(100.0)
    assert result.orders.tolist() == [50.0, 0.0]
    assert solved(149.0).objective == pytest.approx(result.objective)  # one more unit of budget is worth 0
    assert result.diagnostics.budget_price == pytest.approx(0.0, abs=1e-9)
    assert not result.priced_use().any()


def test_prices_are_read_past_a_deadline_too() -> None:
    """Past its time limit the fast backend kept the degenerate prices (0 where HiGHS and more time said 30), so
    the reason labels depended on the backend and the clock."""
    case = make_case([142.0, 29.0, 29.0], unit_cost=[1.0, 10.0, 10.0], volume=[1.0, 10.0, 10.0],
                     shortage_cost=[30.0, 25.0, 20.0], budget=455.0)
    lower = np.array([32.0, 29.0, 13.0])
    rushed = repair_orders(*case.args, lower=lower, backend="fast", time_limit=1e-6)
    assert rushed.diagnostics.budget_price == pytest.approx(30.0, rel=1e-3)


def test_priced_use_is_each_skus_share_of_the_rows_at_their_prices(backend: str) -> None:
    case = make_case([10.0, 10.0], shortage_cost=[4.0, 6.0], capacity=12.0, volume=[1.0, 1.0])
    result = repair_orders(*case.args, backend=backend)
    np.testing.assert_array_equal(result.orders, [2.0, 10.0])
    # one capacity row at price ~4: SKU 0 takes 2 units of space, SKU 1 takes 10
    np.testing.assert_allclose(result.priced_use(), [8.0, 40.0], rtol=1e-4)
    unbound = make_case([10.0, 10.0], capacity=50.0, budget=1000.0)
    assert not repair_orders(*unbound.args, backend=backend).priced_use().any()  # no row binds: no charge


@pytest.mark.parametrize("backend", ["fast", "highs"])
@pytest.mark.parametrize(("binding", "shortage_b", "budget", "supplier_b"),
                         [(("capacity[k=0]", "budget"), 7.0, 110.0, 30.0),
                          (("capacity[k=0]", "supplier[b]"), 30.0, 200.0, 12.0)])
def test_priced_use_adds_up_to_the_rows_usage_times_their_prices(
    backend: str, binding: tuple[str, str], shortage_b: float, budget: float, supplier_b: float
) -> None:
    """Volumes, lots and unit costs differ; capacity and the budget, or capacity and a supplier, bind (priced): the
    SKUs' charges add up to sum over rows of price x usage (the row usage the diagnostics compute on their own)."""
    case = make_case([40.0, 30.0, 25.0, 18.0], volume=[0.5, 2.0, 1.0, 1.5], lot_size=[2, 1, 5, 3],
                     unit_cost=[3.0, 2.0, 2.0, 4.0], shortage_cost=[9.0, shortage_b, 5.0, 8.0], capacity=60.0,
                     budget=budget, supplier=["a", "b", "a", "b"], supplier_capacity={"b": supplier_b})
    result = repair_orders(*case.args, backend=backend)
    diag = result.diagnostics
    prices = {"budget": diag.budget_price, "supplier[b]": diag.supplier_price.get("b", 0.0)}
    prices.update({name: float(p) for name, p in zip(
        [n for n in diag.row_usage if n.startswith("capacity")], diag.capacity_price, strict=True)})
    assert all(prices[name] > 0 for name in binding)
    total = sum(price * diag.row_usage[name] for name, price in prices.items())
    charge = result.priced_use()
    assert charge.shape == (4,) and (charge >= 0).all()
    assert float(charge.sum()) == pytest.approx(total, rel=1e-9)
    # per SKU: space at the capacity price plus money at the budget price (and units at supplier b's price)
    cat = case.catalog
    own = (prices["capacity[k=0]"] * cat.volume + diag.budget_price * cat.unit_cost
           + prices["supplier[b]"] * (cat.supplier == "b")) * result.orders
    np.testing.assert_allclose(charge, own, rtol=1e-9)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"under_weight": [1.0, -1.0]}, "under_weight.*s1"),
        ({"over_weight": [1.0, np.inf]}, "over_weight.*s1"),
        ({"under_weight": [1.0, 2.0, 3.0]}, "under_weight"),
        ({"backend": "gurobi"}, "backend"),
        ({"time_limit": -1.0}, "time_limit"),
        ({"gap_tolerance": 1.5}, "gap_tolerance"),
        ({"expected_demand": [1.0, np.nan]}, "expected_demand.*s1"),
        ({"expected_demand": np.ones((3, 2))}, "expected_demand"),
        ({"solver": object()}, "solver"),
    ],
)
def test_bad_arguments_raise_planning_error(kwargs: dict[str, object], match: str) -> None:
    case = make_case([1.0, 2.0])
    with pytest.raises(PlanningError, match=match):
        repair_orders(*case.args, **kwargs)


def test_nan_desired_names_the_sku() -> None:
    case = make_case([1.0, 2.0, 3.0])
    with pytest.raises(PlanningError, match="desired.*'s2'") as err:
        repair_orders(np.array([1.0, 2.0, np.nan]), case.catalog, case.state, case.constraints)
    assert err.value.sku == "s2"


def test_wrong_length_desired_raises() -> None:
    case = make_case([1.0, 2.0])
    with pytest.raises(PlanningError, match="desired"):
        repair_orders([1.0], case.catalog, case.state, case.constraints)


def test_misaligned_state_raises() -> None:
    case = make_case([1.0, 2.0])
    swapped = InventoryState(case.state.sku[::-1], case.state.on_hand[::-1])
    with pytest.raises(PlanningError, match="aligned"):
        repair_orders(case.desired, case.catalog, swapped, case.constraints)
    short = InventoryState(case.state.sku[:1], case.state.on_hand[:1])
    with pytest.raises(PlanningError, match="state has 1 SKUs"):
        repair_orders(case.desired, case.catalog, short, case.constraints)
    # the documented fix works
    result = repair_orders(case.desired, case.catalog, swapped.aligned(case.catalog), case.constraints)
    np.testing.assert_array_equal(result.orders, [1.0, 2.0])


def test_negative_desired_is_treated_as_zero(backend: str) -> None:
    case = make_case([-4.0, 3.0])
    result = repair_orders(*case.args, backend=backend)
    np.testing.assert_array_equal(result.orders, [0.0, 3.0])
    assert result.objective == pytest.approx(0.0, abs=1e-9)


# ---------------------------------------------------------------- tiny rows (fuzz finding)
@pytest.mark.parametrize("scale", [1e-6, 1e-3])
@pytest.mark.parametrize("row", ["capacity", "budget"])
def test_rows_far_below_one_hold_relative_to_their_size(backend: str, scale: float, row: str) -> None:
    # the tolerance used to be 1e-9 in absolute units: 1.0005e-6 passed for a capacity of 1e-6
    sizes = [0.5 * scale, 0.5005 * scale]
    if row == "capacity":
        case = make_case([1.0, 1.0], volume=sizes, capacity=scale)
        used = case.catalog.volume
    else:
        case = make_case([1.0, 1.0], unit_cost=sizes, budget=scale)
        used = case.catalog.unit_cost
    result = repair_orders(*case.args, backend=backend)
    assert float(used @ result.orders) <= scale * (1 + 1e-12)
    assert result.orders.tolist() in ([1.0, 0.0], [0.0, 1.0])
    assert result.diagnostics.feasible


def test_a_small_minimum_order_violation_of_a_tiny_row_is_reported() -> None:
    case = make_case([1.0, 1.0], volume=[0.6e-6, 0.45e-6], capacity=1e-6)
    with pytest.warns(ConstraintViolationWarning, match=r"capacity\[k=0\]"):
        result = repair_orders(*case.args, backend="fast", lower=[1.0, 1.0])
    (violation,) = result.diagnostics.violations
    assert violation.amount == pytest.approx(0.05e-6, rel=1e-9)


@pytest.mark.parametrize("backend_name", EXACT_BACKENDS)
def test_exact_backends_are_exact_on_tiny_rows(backend_name: str) -> None:
    # HiGHS and CBC hold rows to an absolute 1e-7: unscaled, they took A + B (1.0005e-6 in a capacity of
    # 1e-6) and the safety net then dropped B, a plan worth 10 instead of the optimum 9 (A + C)
    case = make_case([1.0, 1.0, 1.0], volume=[0.5e-6, 0.5005e-6, 0.5e-6], shortage_cost=[9.0, 9.0, 1.0], capacity=1e-6)
    best, plan = brute_force(case)
    np.testing.assert_array_equal(plan, [1.0, 0.0, 1.0])
    result = repair_orders(*case.args, backend=backend_name, gap_tolerance=0.0)
    np.testing.assert_array_equal(result.orders, plan)
    assert result.objective == pytest.approx(best)
    # the price is per unit of volume of the original row: B's 9 per 0.5005e-6
    assert result.diagnostics.capacity_price[0] == pytest.approx(9.0 / 0.5005e-6, rel=1e-3)


@pytest.mark.parametrize("backend_name", EXACT_BACKENDS)
def test_a_subnormal_limit_is_not_scaled_to_infinity(backend_name: str) -> None:
    # fuzz finding: a budget of 5e-324 was divided by itself for the solver: 1 / 5e-324 = inf, PuLP refused
    # the row and the call fell back to the fast plan
    case = make_case([3.0, 2.0], unit_cost=[0.0, 1.0], budget=5e-324)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = repair_orders(*case.args, backend=backend_name)
    np.testing.assert_array_equal(result.orders, [3.0, 0.0])
    assert result.diagnostics.fallback_reason is None


def test_polish_time_limit_is_a_safety_net_that_scales_with_the_catalog() -> None:
    assert polish_time_limit(0) == pytest.approx(1.0)
    assert polish_time_limit(1000) == pytest.approx(1.05)
    assert polish_time_limit(10_000) == pytest.approx(1.5)
    assert polish_time_limit(10**7) == POLISH_TIME_LIMIT == 2.0


@pytest.mark.parametrize("n_skus", [None, "abc", "3", float("nan"), float("inf"), [3], True, -1, 2.5, 1e30, 10**10])
def test_polish_time_limit_refuses_a_row_count_that_is_not_a_whole_number_in_range(n_skus: object) -> None:
    with pytest.raises(PlanningError) as info:
        polish_time_limit(n_skus)  # type: ignore[arg-type]
    assert info.value.column == "n_skus"
    assert polish_time_limit(np.int64(1000)) == polish_time_limit(1000.0) == pytest.approx(1.05)  # type: ignore[arg-type]


def _record_polish(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    limits: list[float | None] = []
    solve = highs_backend.solve_highs

    def spy(problem, time_limit=None, **kwargs):  # type: ignore[no-untyped-def]
        limits.append(time_limit)
        return solve(problem, time_limit=time_limit, **kwargs)

    monkeypatch.setattr(highs_backend, "solve_highs", spy)
    return limits


def test_auto_polish_gets_the_scaled_limit_only_above_the_tolerance(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = _record_polish(monkeypatch)
    certified = family_instance("plan_base_stock", 2000, seed=3)
    result = repair_orders(*certified.args, backend="auto")
    assert result.diagnostics.backend == "fast" and result.gap <= 0.005
    assert limits == []  # certified: no polish at all
    hard = random_instance(50, seed=1)  # a 50-SKU instance whose Lagrangian bound is ~1 % below the optimum
    result = repair_orders(*hard.args, backend="auto")
    assert result.diagnostics.backend == "fast+highs"
    assert limits == [pytest.approx(polish_time_limit(50))]
    result = repair_orders(*hard.args, backend="auto", time_limit=5.0)
    assert 4.0 < limits[-1] <= 5.0  # a caller's limit replaces the default: the rest of it


@pytest.mark.parametrize("backend", ["fast", "highs", "auto", "pulp"])
def test_a_large_row_is_not_overspent_within_a_billionth(backend: str) -> None:
    """The repair's row tolerance was 1e-9 of the row and the add-back filled it: a budget of 1e9 met exactly by
    A's million units got two more units of B at 0.5 (1 over), which check_orders refuses (plan() at 1,000,000
    SKUs stopped with 'the repaired orders still break budget'). Every backend's plan now passes check_orders."""
    from hybridinv import Catalog, Constraints
    from hybridinv.core.feasibility import check_orders

    if backend not in available_backends():
        pytest.skip(f"{backend} not installed")
    cat = Catalog(sku=np.array(["A", "B"], dtype=object), unit_cost=np.array([1000.0, 0.5]),
                  holding_cost=np.array([1.0, 0.001]), shortage_cost=np.array([2000.0, 5.0]), lead_time=np.zeros(2))
    state = InventoryState(sku=cat.sku, on_hand=np.zeros(2))
    constraints = Constraints(budget=1e9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        result = repair_orders(np.array([1e6, 10.0]), cat, state, constraints, backend=backend)
    assert float(cat.unit_cost @ result.orders) <= 1e9  # the whole budget, not a unit more
    assert check_orders(result.orders, cat, state, constraints).acceptable


def test_weights_above_max_weight_are_refused_and_an_infinite_objective_is_no_zero_gap() -> None:
    """A weight of 1e300 overflowed the objective to inf: fast ordered nothing with a NaN gap, HiGHS reported
    `optimal` with a certified gap of 0."""
    from hybridinv.core import Catalog, Constraints, InventoryState
    from hybridinv.repair.result import certified_gap

    catalog = Catalog(sku=["a", "b"], unit_cost=[1.0, 2.0], holding_cost=[0.1, 0.1], shortage_cost=[1.0, 1.0],
                      lead_time=[0, 0])
    state = InventoryState(["a", "b"], on_hand=[0.0, 0.0])
    for option in ("under_weight", "over_weight"):
        with pytest.raises(PlanningError, match="at most 1e\\+12") as raised:
            repair_orders([5.0, 5.0], catalog, state, Constraints(budget=7.5), backend="fast", **{option: 1e300})
        assert raised.value.column == option
    assert repair_orders([5.0, 5.0], catalog, state, Constraints(budget=7.5), under_weight=1e12).orders.sum() > 0
    assert certified_gap(math.inf, 0.0) == math.inf and certified_gap(5.0, 5.0) == 0.0
