"""Per-SKU order bounds (``lower``/``upper``) enforced inside the repair, on every backend."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridinv import ConstraintViolationWarning, PlanningError
from hybridinv.repair import REASONS, build_problem, repair_orders

from ._cases import BACKENDS, Case, assert_rules, deviation, make_case, options, rows_ok

ALL_BACKENDS = ["fast", "highs", "pulp", "auto"]


def _bounds(case: Case, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    n = case.desired.size
    low = np.broadcast_to(np.asarray(0.0 if lower is None else lower, dtype=float), (n,))
    high = np.broadcast_to(np.asarray(math.inf if upper is None else upper, dtype=float), (n,))
    return low, high


def brute_force_bounded(case: Case, lower=None, upper=None) -> float:
    """Optimal deviation over the rule- and bound-feasible orders, by enumeration (inf: none)."""
    low, high = _bounds(case, lower, upper)
    choices = []
    for i in range(case.desired.size):
        cap = max(case.desired[i], low[i], case.catalog.moq[i]) + 3 * case.catalog.lot_size[i]
        allowed = [q for q in _options_up_to(case, i, cap) if low[i] - 1e-9 <= q <= high[i] + 1e-9]
        choices.append(allowed)
    best = math.inf
    for combo in itertools.product(*choices):
        q = np.array(combo)
        if rows_ok(case, q):
            best = min(best, deviation(case, q))
    return best


def _options_up_to(case: Case, i: int, cap: float) -> list[float]:
    cat = case.catalog
    out = options(case, i)
    q = out[-1] + cat.lot_size[i]
    while q <= min(cap, cat.max_order[i]) + 1e-9:
        out.append(q)
        q += cat.lot_size[i]
    return out


def assert_bounded_plan(case: Case, orders: np.ndarray, lower=None, upper=None) -> None:
    low, high = _bounds(case, lower, upper)
    assert_rules(case, orders)
    assert (orders >= low - 1e-9).all(), "lower bound"
    assert (orders <= high + 1e-9).all(), "upper bound"


def _solve(case: Case, backend: str, **kwargs):
    return repair_orders(*case.args, backend=backend, gap_tolerance=0.0, time_limit=20.0, **kwargs)


# --------------------------------------------------------------------------- named tiny instances

TINY = {
    # budget binding; SKU 0 must get its MOQ (10 units) although SKU 1 is worth more per unit
    "budget_lower_moq": (
        dict(
            desired=[0.0, 30.0, 12.0],
            lot_size=[5, 1, 2],
            moq=[10, 0, 4],
            unit_cost=[1.0, 1.0, 2.0],
            budget=40.0,
            shortage_cost=[1.0, 9.0, 4.0],
        ),
        [3.0, 0.0, 0.0],
        [math.inf, 25.0, 8.0],
    ),
    # capacity binding; upper cuts SKU 1 below its lot-rounded desire, lower forces SKU 2
    "capacity_upper_lower": (
        dict(
            desired=[14.0, 9.0, 0.0, 6.0],
            lot_size=[3, 2, 4, 1],
            moq=[6, 0, 8, 0],
            volume=[1.0, 2.0, 0.5, 1.0],
            capacity=30.0,
        ),
        [0.0, 0.0, 5.0, 2.0],
        [12.0, 7.0, math.inf, math.inf],
    ),
    # capacity and budget both binding, supplier row too
    "all_rows": (
        dict(
            desired=[8.0, 8.0, 5.0],
            lot_size=[2, 4, 1],
            moq=[4, 4, 0],
            unit_cost=[2.0, 1.0, 3.0],
            volume=[1.0, 1.0, 2.0],
            capacity=18.0,
            budget=30.0,
            supplier=["a", "a", "b"],
            supplier_capacity={"a": 12.0},
        ),
        [1.0, 0.0, 2.0],
        [6.0, 12.0, 4.0],
    ),
    # upper below the MOQ: the SKU is fixed at 0; lower above the desired quantity
    "upper_below_moq": (
        dict(desired=[12.0, 2.0], lot_size=[1, 3], moq=[10, 6], budget=20.0),
        [0.0, 4.0],
        [9.0, math.inf],
    ),
}


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_instances_match_brute_force(name: str, backend: str) -> None:
    columns, lower, upper = TINY[name]
    case = make_case(**columns)
    best = brute_force_bounded(case, lower, upper)
    assert math.isfinite(best)
    result = _solve(case, backend, lower=lower, upper=upper)
    assert_bounded_plan(case, result.orders, lower, upper)
    assert rows_ok(case, result.orders)
    assert result.diagnostics.feasible
    assert result.objective == pytest.approx(deviation(case, result.orders), rel=1e-9, abs=1e-9)
    assert result.bound <= best + 1e-6
    assert best <= result.objective + 1e-9
    if backend == "fast":  # heuristic plan: within its certified gap
        assert result.objective <= best + result.gap * result.objective + 1e-6
    else:
        assert result.objective == pytest.approx(best, rel=1e-7, abs=1e-5)


def test_bounds_change_the_plan_hand_computed() -> None:
    # one SKU, lot 5: desired 12 → 10 (cheaper to be 2 short at 1/unit than 3 over at... 1/unit + tie)
    case = make_case([12.0], lot_size=5.0, shortage_cost=1.0, holding_cost=1.0)
    assert _solve(case, "fast").orders.tolist() == [10.0]
    assert _solve(case, "fast", lower=11.0).orders.tolist() == [15.0]
    assert _solve(case, "fast", upper=9.0).orders.tolist() == [5.0]
    assert _solve(case, "fast", upper=4.0).orders.tolist() == [0.0]
    assert _solve(case, "fast", lower=3.0, upper=5.0).orders.tolist() == [5.0]


def test_objective_offset_recovers_the_original_objective() -> None:
    case = make_case([3.0, 20.0, 7.0], lot_size=[2, 5, 1], moq=[4, 10, 0], budget=25.0)
    lower, upper = [9.0, 0.0, 1.0], [np.inf, 15.0, np.inf]
    problem = build_problem(*case.args, lower=lower, upper=upper)
    assert problem.base is not None
    assert problem.reserved_lots.tolist() == [5.0, 0.0, 1.0]
    assert problem.min_lots.tolist() == [1.0, 2.0, 1.0]
    # every residual plan: total objective == original deviation of the total order
    for residual in itertools.product(range(3), range(4), range(3)):
        lots = np.array(residual, dtype=float)
        total = problem.total_lots(lots)
        assert problem.total_objective(lots) == pytest.approx(problem.base.objective(total), abs=1e-12)


def test_no_bounds_builds_the_plain_problem() -> None:
    case = make_case([3.0, 4.0], lot_size=2.0)
    problem = build_problem(*case.args)
    assert problem.base is None and problem.reserved_lots is None and problem.objective_offset == 0.0


# --------------------------------------------------------------------------- property test


@st.composite
def bounded_cases(draw: st.DrawFn) -> tuple[Case, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 4))

    def vec(strategy: st.SearchStrategy) -> list:
        return draw(st.lists(strategy, min_size=n, max_size=n))

    lot = np.array(vec(st.sampled_from([1, 2, 3, 5])), dtype=float)
    moq = lot * np.array(vec(st.sampled_from([0, 1, 2])))
    desired = np.array(vec(st.floats(-3.0, 12.0, allow_nan=False)))
    volume = np.array(vec(st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    unit_cost = np.array(vec(st.sampled_from([0.5, 1.0, 3.0])))
    lower = np.array(vec(st.sampled_from([0.0, 0.0, 1.0, 4.0, 7.0])))
    upper = np.array(vec(st.sampled_from([math.inf, math.inf, 3.0, 8.0, 12.0])))
    upper = np.maximum(upper, np.maximum(np.ceil(lower / lot) * lot, np.where(lower > 0, moq, 0.0)))
    need = np.where(lower > 0, np.maximum(np.ceil(lower / lot) * lot, moq), 0.0)

    # room for the minimum orders plus a share (inf: no row) of what the desired quantities need
    def limit(coef: np.ndarray) -> float:
        share = draw(st.sampled_from([math.inf, 0.6, 0.25]))
        return math.inf if math.isinf(share) else float((coef * need).sum()) + 0.5 + share * float(coef.sum()) * 12

    capacity, budget = limit(volume), limit(unit_cost)
    case = make_case(
        desired,
        lot_size=lot,
        moq=moq,
        volume=volume,
        unit_cost=unit_cost,
        capacity=capacity,
        budget=budget,
        holding_cost=np.array(vec(st.sampled_from([0.0, 1.0]))),
        shortage_cost=np.array(vec(st.sampled_from([1.0, 5.0]))),
    )
    return case, lower, upper


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bounded_cases())
def test_property_every_backend_respects_bounds_and_certifies(data: tuple[Case, np.ndarray, np.ndarray]) -> None:
    case, lower, upper = data
    best = brute_force_bounded(case, lower, upper)
    assert math.isfinite(best)  # the minimum orders fit by construction
    for backend in BACKENDS:
        result = _solve(case, backend, lower=lower, upper=upper)
        assert_bounded_plan(case, result.orders, lower, upper)
        assert rows_ok(case, result.orders)
        assert result.bound <= best + 1e-6 <= result.objective + 2e-6, backend
        assert result.objective == pytest.approx(deviation(case, result.orders), rel=1e-9, abs=1e-9)
        if backend in ("highs", "pulp"):
            assert result.objective == pytest.approx(best, rel=1e-7, abs=1e-5), backend


# --------------------------------------------------------------------------- conflicts and validation


@pytest.mark.parametrize(
    ("lower", "upper", "match"),
    [
        ([0.0, 7.0], [np.inf, 8.0], "exceeds upper bound"),  # lot 5: 10 units needed, 5 allowed
        ([0.0, 11.0], [np.inf, np.inf], "max_order"),  # max_order 10
        ([0.0, 1.0], [np.inf, 3.0], "exceeds upper bound"),  # upper below one lot
    ],
)
def test_conflicting_bounds_raise(lower, upper, match) -> None:
    case = make_case([1.0, 1.0], lot_size=[1, 5], max_order=[math.inf, 10.0])
    with pytest.raises(PlanningError, match=match) as info:
        repair_orders(*case.args, lower=lower, upper=upper)
    assert info.value.sku == "s1"
    assert info.value.column == "lower"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("lower", [0.0, np.nan]),
        ("upper", [np.nan, 1.0]),
        ("lower", [-1.0, 0.0]),
        ("upper", [0.0, -2.0]),
        ("lower", [np.inf, 0.0]),
    ],
)
def test_invalid_bounds_name_the_argument_and_sku(name: str, value: list[float]) -> None:
    case = make_case([1.0, 1.0])
    with pytest.raises(PlanningError) as info:
        repair_orders(*case.args, **{name: value})
    assert info.value.column == name
    assert info.value.sku in ("s0", "s1")


def test_bounds_need_the_catalog_shape() -> None:
    case = make_case([1.0, 1.0])
    with pytest.raises(PlanningError, match="shape"):
        repair_orders(*case.args, lower=[1.0, 2.0, 3.0])


def test_scalars_broadcast_and_upper_may_be_infinite() -> None:
    case = make_case([5.0, 0.0, 9.0])
    result = repair_orders(*case.args, lower=2.0, upper=np.inf, backend="fast")
    assert result.orders.tolist() == [5.0, 2.0, 9.0]


# --------------------------------------------------------------------------- infeasible minimum orders


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_minimum_orders_above_budget_are_kept_and_reported(backend: str) -> None:
    case = make_case([10.0, 10.0, 10.0], unit_cost=[2.0, 3.0, 1.0], lot_size=[1, 5, 1], budget=20.0)
    lower = [6.0, 3.0, 0.0]  # minimum orders 6 and 5 units cost 12 + 15 = 27 > 20
    with pytest.warns(ConstraintViolationWarning, match="budget"):
        result = repair_orders(*case.args, lower=lower, backend=backend)
    assert result.orders.tolist() == [6.0, 5.0, 0.0]  # nothing else fits in the over-used budget
    (violation,) = result.diagnostics.violations
    assert violation.name == "budget"
    assert violation.usage == pytest.approx(27.0)
    assert violation.limit == pytest.approx(20.0)
    assert violation.amount == pytest.approx(7.0)
    assert result.diagnostics.row_usage["budget"] == pytest.approx(27.0)
    assert result.objective == pytest.approx(deviation(case, result.orders))


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_minimum_orders_on_an_over_full_capacity_row(backend: str) -> None:
    # capacity 10 already used by stock 14: the critical SKU still gets its minimum
    case = make_case([5.0, 5.0], on_hand=[14.0, 0.0], capacity=10.0, volume=1.0)
    with pytest.warns(ConstraintViolationWarning, match="capacity"):
        result = repair_orders(*case.args, lower=[0.0, 2.0], backend=backend)
    assert result.orders.tolist() == [0.0, 2.0]
    (violation,) = result.diagnostics.violations
    assert violation.amount == pytest.approx(6.0)


# --------------------------------------------------------------------------- explanations


def test_explain_flags_guardrail() -> None:
    case = make_case([12.0, 3.0, 6.0, 7.0], lot_size=[1, 1, 5, 1], budget=100.0)
    result = repair_orders(*case.args, lower=[0.0, 5.0, 0.0, 0.0], upper=[10.0, np.inf, np.inf, 7.0], backend="fast")
    frame = result.explain(case.catalog)
    assert "guardrail" in REASONS and REASONS[: len(REASONS) - 1][-1] == "negative_desired"
    assert frame["order_qty"].tolist() == [10.0, 5.0, 10.0, 7.0]  # shortage costs more than holding
    assert frame["reason"].tolist() == ["guardrail", "guardrail", "lot_rounding", "unchanged"]
    assert frame["guardrail"].tolist() == [True, True, False, False]
    assert frame["desired"].tolist() == [12.0, 3.0, 6.0, 7.0]


def test_explain_capacity_vs_guardrail() -> None:
    # SKU 0 is capped by its upper bound (guardrail), SKU 1 by the budget below its bound
    case = make_case([12.0, 12.0], unit_cost=1.0, budget=18.0, shortage_cost=[9.0, 1.0])
    result = repair_orders(
        *case.args, upper=[10.0, 11.0], backend="highs" if "highs" in BACKENDS else "fast", gap_tolerance=0.0
    )
    frame = result.explain(case.catalog)
    assert frame["order_qty"].tolist() == [10.0, 8.0]
    assert frame["reason"].tolist() == ["guardrail", "budget+guardrail"]


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_lots_of_a_billion_units_keep_max_order_and_the_bounds_to_the_unit(backend: str) -> None:
    """A billionth of a lot was forgiven in rounding: with lots of 1e9 units an order of 2e9 passed a max_order
    (or upper bound) of 2e9 - 1 and a lower bound of 2e9 + 1, reported optimal and feasible."""
    from hybridinv.core import Catalog, Constraints, InventoryState
    from hybridinv.core.feasibility import check_orders

    def catalog(**extra: list[float]) -> Catalog:
        return Catalog(sku=["a"], unit_cost=[1e-3], holding_cost=[0.1], shortage_cost=[1.0], lead_time=[0],
                       lot_size=[1e9], **extra)

    state, constraints = InventoryState(["a"], on_hand=[0.0]), Constraints(budget=1e12)
    capped = catalog(max_order=[2e9 - 1])
    result = repair_orders([3e9], capped, state, constraints, backend=backend)
    assert result.orders.tolist() == [1e9]
    assert check_orders(result.orders, capped, state, constraints).feasible
    plain = catalog()
    assert repair_orders([3e9], plain, state, constraints, backend=backend, upper=[2e9 - 1]).orders.tolist() == [1e9]
    assert repair_orders([3e9], plain, state, constraints, backend=backend, lower=[2e9 + 1],
                         upper=[4e9]).orders.tolist() == [3e9]


def test_whole_lots_forgive_rounding_but_not_a_unit() -> None:
    from hybridinv.core.lots import lots_covering, lots_within

    assert lots_within([0.7, 6.0, 2e9 - 1, 2e9, 1e12 - 1, math.inf], [0.1, 0.2, 1e9, 1e9, 1.0, 3.0]).tolist() == [
        7.0, 30.0, 1.0, 2.0, 1e12 - 1, math.inf]
    # as before for lots up to a million units: a bound computed as 29.99999999 still holds 3 lots of 10
    assert lots_within([29.99999999, 29.9999], [10.0, 10.0]).tolist() == [3.0, 2.0]
    assert lots_covering([0.3, 6.0, 2e9 + 1, 2e9, 1e12 - 1], [0.1, 0.2, 1e9, 1e9, 1.0]).tolist() == [
        3.0, 30.0, 3.0, 2.0, 1e12 - 1]
