"""RepairResult: gap, diagnostics and the per-SKU explanation on constructed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hybridinv import PlanningError
from hybridinv.repair import REASONS, repair_orders

from ._cases import make_case


def _reasons(case, **kwargs) -> list[str]:
    result = repair_orders(*case.args, backend=kwargs.pop("backend", "highs"), gap_tolerance=0.0, **kwargs)
    return list(result.explain(case.catalog)["reason"])


def test_rule_reasons_one_sku_each() -> None:
    case = make_case(
        [10.0, 12.0, 3.0, 120.0, 10.4, -2.0],
        lot_size=[1, 5, 1, 1, 1, 1],
        moq=[0, 0, 10, 0, 0, 0],
        max_order=[math.inf, math.inf, math.inf, 100, math.inf, math.inf],
    )
    # 10.4 with no lot size is rounded to whole units: "rounding" (until 2026-12-06 lot_rounding, naming a lot size
    # the SKU does not have; plan() said "rounding" for the same order when no repair ran)
    assert _reasons(case) == ["unchanged", "lot_rounding", "moq", "max_order", "rounding", "negative_desired"]


def test_capacity_reason_names_the_reduced_sku_only() -> None:
    # SKU 1 is cheaper to short: the capacity cut falls on it; SKU 0 keeps its order
    case = make_case([10.0, 10.0], shortage_cost=[9.0, 2.0], capacity=15.0)
    frame = repair_orders(*case.args, backend="highs").explain(case.catalog)
    assert list(frame["order_qty"]) == [10.0, 5.0]
    assert list(frame["reason"]) == ["unchanged", "capacity"]
    assert list(frame["capacity"]) == [False, True]
    assert list(frame["change"]) == [0.0, -5.0]


def test_budget_reason() -> None:
    case = make_case([10.0, 10.0], unit_cost=[1.0, 1.0], budget=15.0, shortage_cost=[9.0, 2.0])
    assert _reasons(case) == ["unchanged", "budget"]


def test_supplier_reason() -> None:
    case = make_case([10.0, 10.0, 10.0], supplier=["a", "b", "b"], supplier_capacity={"a": 4.0}, budget=100.0)
    assert _reasons(case) == ["supplier_capacity", "unchanged", "unchanged"]


def test_every_full_row_of_a_cut_sku_is_named() -> None:
    # the supplier caps s0 at 4 and the budget is then exhausted by s1 and s2: both rows of s0 are full
    case = make_case(
        [10.0, 10.0, 10.0],
        unit_cost=[1, 1, 1],
        supplier=["a", "b", "b"],
        budget=20.0,
        supplier_capacity={"a": 4.0},
        shortage_cost=[9.0, 9.0, 2.0],
    )
    assert _reasons(case) == ["budget+supplier_capacity", "unchanged", "budget"]


def test_combined_reasons_are_joined() -> None:
    # desired 12 with lots of 5 -> 10 unconstrained; capacity 6 leaves one lot
    case = make_case([12.0, 1.0], lot_size=[5, 1], capacity=6.0, shortage_cost=[9.0, 1.0])
    frame = repair_orders(*case.args, backend="highs").explain(case.catalog)
    assert frame["reason"][0] == "lot_rounding+capacity"
    assert frame["lot_rounding"][0] and frame["capacity"][0]
    assert frame["order_qty"][0] == 5.0


def test_over_full_row_is_explained_as_capacity() -> None:
    case = make_case([5.0], on_hand=20, capacity=10.0)
    with pytest.warns(UserWarning):
        result = repair_orders(*case.args, backend="fast")
    assert result.explain(case.catalog)["reason"][0] == "capacity"


def test_explain_has_one_boolean_column_per_reason() -> None:
    case = make_case([1.0, 2.0])
    frame = repair_orders(*case.args).explain(case.catalog)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["sku", "desired", "order_qty", "change", "reason", *REASONS]
    assert all(frame[name].dtype == bool for name in REASONS)


def test_explain_rejects_another_catalog() -> None:
    case = make_case([1.0, 2.0])
    other = make_case([1.0, 2.0, 3.0])
    result = repair_orders(*case.args)
    with pytest.raises(PlanningError, match="catalog"):
        result.explain(other.catalog)
    with pytest.raises(PlanningError, match="catalog"):  # was an AttributeError
        result.explain(None)  # type: ignore[arg-type]


def test_gap_and_diagnostics_fields() -> None:
    case = make_case([10.0, 10.0], unit_cost=[1.0, 2.0], capacity=12.0, budget=15.0)
    result = repair_orders(*case.args, backend="fast")
    assert 0.0 <= result.gap < 1.0
    diag = result.diagnostics
    assert diag.backend == "fast" and diag.solve_time > 0 and diag.iterations >= 1
    assert diag.feasible
    assert set(diag.row_usage) == {"capacity[k=0]", "budget"}
    assert diag.row_usage["budget"] == pytest.approx(float((case.catalog.unit_cost * result.orders).sum()))
    assert diag.row_limit["capacity[k=0]"] == 12.0
    assert diag.capacity_price.shape == (1,) and diag.budget_price >= 0
    assert dict(diag.supplier_price) == {}
    with pytest.raises(ValueError):
        diag.capacity_price[0] = 1.0  # read-only


def test_result_orders_are_whole_lots_as_floats() -> None:
    case = make_case([7.3, 8.8], lot_size=[2, 3])
    result = repair_orders(*case.args)
    assert result.orders.dtype == np.float64
    np.testing.assert_array_equal(result.orders % case.catalog.lot_size, 0.0)


def test_explain_needs_the_catalog_the_repair_was_run_with() -> None:
    from dataclasses import replace

    case = make_case([10.0, 12.0, 3.0])
    result = repair_orders(*case.args, backend="fast")
    same_names = replace(case.catalog, sku=np.array([str(s) for s in case.catalog.sku], dtype=object))
    assert same_names.sku is not case.catalog.sku
    assert list(result.explain(same_names)["order_qty"]) == list(result.orders)  # equal names, another array
    reordered = replace(case.catalog, sku=case.catalog.sku[::-1].copy())
    with pytest.raises(PlanningError, match="the catalog the repair was run with"):
        result.explain(reordered)
    shorter = make_case([10.0, 12.0]).catalog
    with pytest.raises(PlanningError, match="the catalog the repair was run with"):
        result.explain(shorter)


@pytest.mark.parametrize("backend", ["fast", "highs"])
def test_a_cut_that_costs_nothing_is_explained_by_its_zero_weight(backend: str) -> None:
    """No binding row: s0 (under_weight 0) is cut to 0 because not ordering is free, which is no
    trade-off between SKUs ('other'); s2 (both weights 0, lots of 5) too; s1 keeps its order; a
    binding budget does not turn the free cut into one for the budget."""
    weights = {"under_weight": [0.0, 1.0, 0.0], "over_weight": [1.0, 1.0, 0.0]}
    for budget in (math.inf, 15.0):
        case = make_case([10.0, 10.0, 7.0], lot_size=[1, 1, 5], budget=budget)
        frame = repair_orders(*case.args, backend=backend, **weights).explain(case.catalog)
        assert frame["order_qty"].tolist() == [0.0, 10.0, 0.0]
        assert frame["reason"].tolist() == ["zero_weight", "unchanged", "lot_rounding+zero_weight"]
        assert list(frame.columns) == ["sku", "desired", "order_qty", "change", "reason", *REASONS]
    # a zero weight in the other direction says nothing about a cut
    case = make_case([10.0, 10.0], capacity=15.0)
    frame = repair_orders(*case.args, backend=backend, over_weight=0.0).explain(case.catalog)
    assert sorted(frame["reason"]) == ["capacity", "unchanged"]
