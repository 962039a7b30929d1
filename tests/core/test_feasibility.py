"""Tests for hybridinv.core.feasibility: the order check plan() runs on every policy's output."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_catalog

from hybridinv import Catalog, Constraints, InventoryState, PlanningError
from hybridinv.core import check_orders


def _state(catalog, on_hand, pipeline=None):  # type: ignore[no-untyped-def]
    n = catalog.n_skus
    return InventoryState(catalog.sku, np.asarray(on_hand, dtype=float), np.zeros(n), pipeline)


def test_rules_per_sku() -> None:
    catalog = make_catalog(
        6, moq=np.array([0, 10, 0, 0, 0, 0.0]), lot_size=np.array([1, 5, 4, 1, 1, 1.0]),
        max_order=np.array([np.inf, np.inf, np.inf, 7, np.inf, np.inf]),
    )
    check = check_orders([3, 5, 6, 8, -1, 2.5], catalog, _state(catalog, np.zeros(6)), Constraints())
    assert {rule: np.flatnonzero(mask).tolist() for rule, mask in check.breaks.items()} == {
        "not_finite": [], "negative": [4], "fractional": [5], "moq": [1], "lot_size": [2], "max_order": [3],
    }
    assert not check.rules_hold and not check.acceptable
    problems = check.problems(catalog.sku)
    assert problems[0] == "negative: 1 SKU(s), first 'S4' ordered -1"
    assert [p.split(":")[0] for p in problems] == ["negative", "fractional", "moq", "lot_size", "max_order"]


def test_feasible_orders_and_snapping() -> None:
    catalog = make_catalog(3, moq=np.array([0, 10, 0.0]), lot_size=np.array([1, 5, 4.0]))
    check = check_orders([3 - 1e-9, 15 + 1e-9, 0], catalog, _state(catalog, np.zeros(3)), Constraints())
    assert check.feasible and check.acceptable
    np.testing.assert_array_equal(check.orders, [3, 15, 0])
    assert check.orders[0] == 3.0  # snapped, not truncated


def test_nan_is_a_rule_break() -> None:
    catalog = make_catalog(2)
    check = check_orders([np.nan, 1], catalog, _state(catalog, np.zeros(2)), Constraints(budget=10))
    assert check.breaks["not_finite"].tolist() == [True, False]
    assert not check.rules_hold


def test_budget_and_supplier_rows() -> None:
    catalog = make_catalog(3, unit_cost=np.array([2.0, 3.0, 5.0]), supplier=np.array(["x", "x", "y"], dtype=object))
    cons = Constraints(budget=20.0, supplier_capacity={"x": 4.0})
    assert check_orders([1, 1, 3], catalog, _state(catalog, np.zeros(3)), cons).feasible  # 2+3+15=20, x: 2 units
    over = check_orders([2, 3, 1], catalog, _state(catalog, np.zeros(3)), cons)  # 4+9+5=18, x: 5 units
    assert [(r.name, r.usage, r.limit) for r in over.rows] == [("supplier[x]", 5.0, 4.0)]
    assert over.rows[0].avoidable and not over.acceptable
    assert over.rows[0].to_dict() == {"kind": "supplier_capacity", "name": "supplier[x]", "limit": 4.0,
                                      "usage": 5.0, "amount": 1.0}
    spend = check_orders([0, 0, 5], catalog, _state(catalog, np.zeros(3)), cons)
    assert [(r.kind, r.usage) for r in spend.rows] == [("budget", 25.0)]


def test_capacity_rows_by_receipt_period_worked_by_hand() -> None:
    # SKU 0 (lead 0) and SKU 1 (lead 2), volumes 1 and 2, capacity 30, forecast 4 per period.
    # Projected on hand: SKU 0: 10 -> 6 -> 2; SKU 1: 3 -> max(3-4,0)+5=5 -> 1.
    # Room: k=0: 30 - (10 + 2*3) = 14; k=2: 30 - (2 + 2*1) = 26.
    catalog = make_catalog(2, volume=np.array([1.0, 2.0]), lead_time=np.array([0, 2]))
    state = _state(catalog, [10, 3], np.array([[0, 0], [0, 5.0]]))
    cons = Constraints(capacity=30.0)
    demand = np.full((2, 3), 4.0)
    assert check_orders([14, 13], catalog, state, cons, demand).feasible
    over = check_orders([15, 14], catalog, state, cons, demand)
    assert [(r.name, r.usage, r.limit) for r in over.rows] == [("capacity[k=0]", 15.0, 14.0),
                                                              ("capacity[k=2]", 28.0, 26.0)]


def test_row_full_before_ordering_is_unavoidable_only_without_orders() -> None:
    catalog = make_catalog(2, volume=np.array([1.0, 1.0]))
    state = _state(catalog, [50, 0])
    cons = Constraints(capacity=10.0)
    nothing = check_orders([0, 0], catalog, state, cons)
    assert [r.name for r in nothing.rows] == ["capacity[k=0]"] and nothing.rows[0].limit == pytest.approx(-40.0)
    assert nothing.acceptable and not nothing.feasible
    assert nothing.problems(catalog.sku) == []  # the orders did nothing wrong
    something = check_orders([0, 1], catalog, state, cons)
    assert not something.acceptable
    assert something.problems(catalog.sku) == ["capacity[k=0]: orders use 1, the row allows -40"]


def test_check_orders_refuses_what_it_cannot_read_and_reads_labels() -> None:
    """NaN demand made every capacity row NaN (and pass); a Series was read by position; text was a number."""
    import pandas as pd

    from hybridinv import Catalog, PlanningError

    cat = Catalog(sku=["A", "B"], unit_cost=[1.0, 1.0], holding_cost=[0.1, 0.1], shortage_cost=[1.0, 1.0],
                  lead_time=[0, 1], volume=[1.0, 1.0])
    state, cons = InventoryState(cat.sku, on_hand=[10.0, 0.0]), Constraints(capacity=12.0)
    assert not check_orders([0.0, 10.0], cat, state, cons, [0.0, 0.0]).feasible  # A's 10 stay: room for 2
    assert check_orders([0.0, 10.0], cat, state, cons, [10.0, 0.0]).feasible
    by_label = check_orders(pd.Series({"B": 10.0, "A": 0.0}), cat, state, cons, pd.Series({"B": 0.0, "A": 10.0}))
    assert by_label.feasible and list(by_label.orders) == [0.0, 10.0]
    for orders, demand, column in (([0.0, 10.0], [np.nan, np.nan], "expected_demand"),
                                   ([0.0, 10.0], [-1.0, 0.0], "expected_demand"),
                                   ([0.0, 10.0, 1.0], None, "order_qty"),
                                   (["1", 2.0], None, "order_qty"),
                                   ([True, 2.0], None, "order_qty")):
        with pytest.raises(PlanningError) as info:
            check_orders(orders, cat, state, cons, demand)
        assert info.value.column == column
    assert not check_orders([np.nan, 2.0], cat, state, cons).feasible  # NaN orders stay a reported break


def test_row_slack_is_rounding_of_the_rows_scale_in_both_directions() -> None:
    """1e9 units at 10 against a budget 5 short (half a unit) is a violation, the fit to the unit is
    not; 3 units of 0.1 into the 0.3 left beside 1e9 of stock volume fit exactly (the float residual
    1e9 + 0.3 - 1e9 is 5e-8 short of 0.3: rounding of the capacity's size, not an excess)."""
    catalog = make_catalog(1, unit_cost=np.array([10.0]))
    state = InventoryState.empty(catalog, np.zeros(1))
    over = check_orders(np.array([1e9]), catalog, state, Constraints(budget=1e10 - 5.0)).rows
    assert [(row.kind, row.amount) for row in over] == [("budget", 5.0)]
    assert check_orders(np.array([1e9 - 1]), catalog, state, Constraints(budget=1e10 - 5.0)).feasible
    catalog = make_catalog(1, volume=np.array([0.1]))
    state = InventoryState.empty(catalog, np.array([1e10]))
    capacity = 0.1 * 1e10 + 0.3
    assert check_orders(np.array([3.0]), catalog, state, Constraints(capacity=capacity), np.zeros(1)).feasible
    over = check_orders(np.array([4.0]), catalog, state, Constraints(capacity=capacity), np.zeros(1)).rows
    assert [row.kind for row in over] == ["capacity"] and over[0].amount == pytest.approx(0.1, rel=1e-6)


def test_public_checks_name_an_argument_of_the_wrong_type() -> None:
    """None or a dict where a Catalog, InventoryState or Guardrails belongs was an AttributeError at its first use;
    check_orders now takes constraints as a dict, as plan() does."""
    from hybridinv.deploy import apply_guardrails
    from hybridinv.examples import example_frames
    from hybridinv.repair import default_weights

    frame, state_frame = example_frames()
    catalog = Catalog.from_frame(frame)
    state = InventoryState.from_frame(state_frame, catalog=catalog)
    zeros = np.zeros(catalog.n_skus)
    for call, column in ((lambda: check_orders(zeros, None, state, Constraints()), "catalog"),
                         (lambda: check_orders(zeros, catalog, {}, Constraints()), "state"),
                         (lambda: default_weights(None), "catalog"),
                         (lambda: apply_guardrails(None, catalog, state, None, np.ones(catalog.n_skus)), "guardrails")):
        with pytest.raises(PlanningError, match="must be an? ") as info:
            call()
        assert info.value.column == column
    as_dict = check_orders(zeros + 1, catalog, state, {"budget": 1.0})
    assert not as_dict.feasible and [row.name for row in as_dict.rows] == ["budget"]
