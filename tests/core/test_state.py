"""Tests for hybridinv.core.state: wide and long open orders, catalog alignment, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import catalog_frame

from hybridinv import Catalog, InventoryState, PlanningError


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.from_frame(catalog_frame())


def _raises(column: str, sku: str | None, value: object, build) -> PlanningError:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanningError) as info:
        build()
    err = info.value
    assert err.column == column
    assert repr(column) in str(err)
    if sku is not None:
        assert err.sku == sku and repr(sku) in str(err)
    if value is not None:
        assert repr(value) in str(err)
    return err


def test_wide_pipeline_columns_are_read_by_arrival(catalog: Catalog) -> None:
    frame = pd.DataFrame(
        {"sku": ["A", "B", "C"], "on_hand": [5, 0, 2], "pipeline_2": [0, 4, 0], "pipeline_0": [1, 0, 0]}
    )
    state = InventoryState.from_frame(frame, catalog)
    np.testing.assert_array_equal(state.pipeline, [[1, 0, 0], [0, 0, 4], [0, 0, 0]])
    np.testing.assert_array_equal(state.inventory_position, [6, 4, 2])
    np.testing.assert_array_equal(state.backorders, [0, 0, 0])


def test_long_open_orders_add_up_per_sku_and_arrival(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3], "pipeline_1": [10, 0, 0]})
    open_orders = pd.DataFrame(
        {"sku": ["C", "A", "C", "B"], "arrives_in": [3, 1, 3, 0], "quantity": [2, 5, 4, 7]}
    )
    state = InventoryState.from_frame(frame, catalog, open_orders=open_orders)
    expected = np.zeros((3, 4))
    expected[0, 1] = 15  # wide 10 + long 5
    expected[1, 0] = 7
    expected[2, 3] = 6  # two rows added up
    np.testing.assert_array_equal(state.pipeline, expected)


def test_state_is_aligned_to_catalog_order(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["C", "A", "B"], "on_hand": [30, 10, 20], "backorders": [3, 1, 2]})
    state = InventoryState.from_frame(frame, catalog)
    assert list(state.sku) == ["A", "B", "C"]
    np.testing.assert_array_equal(state.on_hand, [10, 20, 30])
    np.testing.assert_array_equal(state.backorders, [1, 2, 3])


def test_round_trip(catalog: Catalog) -> None:
    frame = pd.DataFrame(
        {"sku": ["A", "B", "C"], "on_hand": [1, 2, 3], "pipeline_0": [0, 1, 0], "pipeline_1": [4, 0, 0]}
    )
    state = InventoryState.from_frame(frame, catalog)
    again = InventoryState.from_frame(state.to_frame(), catalog)
    np.testing.assert_array_equal(again.pipeline, state.pipeline)
    np.testing.assert_array_equal(again.on_hand, state.on_hand)
    assert list(state.to_frame().columns) == ["sku", "on_hand", "backorders", "pipeline_0", "pipeline_1"]


def test_empty_state(catalog: Catalog) -> None:
    state = InventoryState.empty(catalog, on_hand=[1.0, 2.0, 3.0], width=4)
    assert state.pipeline.shape == (3, 4)
    assert len(state) == 3
    np.testing.assert_array_equal(state.on_hand, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(state.sku, catalog.sku)
    assert not state.backorders.any() and not state.pipeline.any()


# ---------------------------------------------------------------------- one test per invalid case
def test_missing_on_hand_column(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"]})
    _raises("on_hand", None, None, lambda: InventoryState.from_frame(frame, catalog))


def test_negative_on_hand(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, -4, 0]})
    _raises("on_hand", "B", -4.0, lambda: InventoryState.from_frame(frame, catalog))


def test_nan_on_hand(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, np.nan]})
    _raises("on_hand", "C", float("nan"), lambda: InventoryState.from_frame(frame, catalog))


def test_inf_on_hand(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [np.inf, 2, 0]})
    _raises("on_hand", "A", float("inf"), lambda: InventoryState.from_frame(frame, catalog))


def test_fractional_on_hand(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2.5, 0]})
    _raises("on_hand", "B", 2.5, lambda: InventoryState.from_frame(frame, catalog))


def test_non_numeric_on_hand(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": ["1", "2", "lots"]})
    _raises("on_hand", "C", "lots", lambda: InventoryState.from_frame(frame, catalog))


def test_negative_wide_pipeline(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3], "pipeline_1": [0, 0, -2]})
    _raises("pipeline_1", "C", -2.0, lambda: InventoryState.from_frame(frame, catalog))


def test_negative_open_order_quantity(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3]})
    oo = pd.DataFrame({"sku": ["A"], "arrives_in": [1], "quantity": [-3]})
    _raises("quantity", "A", -3.0, lambda: InventoryState.from_frame(frame, catalog, open_orders=oo))


def test_negative_backorders(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3], "backorders": [0, -1, 0]})
    _raises("backorders", "B", -1.0, lambda: InventoryState.from_frame(frame, catalog))


def test_duplicate_sku_in_state(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "B"], "on_hand": [1, 2, 3]})
    err = _raises("sku", "B", None, lambda: InventoryState.from_frame(frame, catalog))
    assert "more than once" in str(err)


def test_state_sku_not_in_catalog(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C", "Z"], "on_hand": [1, 2, 3, 4]})
    err = _raises("sku", "Z", None, lambda: InventoryState.from_frame(frame, catalog))
    assert "not in the catalog" in str(err)


def test_catalog_sku_missing_from_state(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "C"], "on_hand": [1, 3]})
    err = _raises("sku", "B", None, lambda: InventoryState.from_frame(frame, catalog))
    assert "no row" in str(err)


def test_open_order_for_unknown_sku(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3]})
    oo = pd.DataFrame({"sku": ["A", "Q"], "arrives_in": [1, 2], "quantity": [3, 3]})
    _raises("sku", "Q", None, lambda: InventoryState.from_frame(frame, catalog, open_orders=oo))


def test_open_orders_missing_column(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3]})
    oo = pd.DataFrame({"sku": ["A"], "quantity": [3]})
    _raises("arrives_in", None, None, lambda: InventoryState.from_frame(frame, catalog, open_orders=oo))


def test_fractional_arrival_period(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3]})
    oo = pd.DataFrame({"sku": ["B"], "arrives_in": [1.5], "quantity": [3]})
    _raises("arrives_in", "B", 1.5, lambda: InventoryState.from_frame(frame, catalog, open_orders=oo))


# ---------------------------------------------------------------------- unknown columns, cell types, bounds
@pytest.mark.parametrize(
    ("wrong", "guess"), [("pipeline1", "pipeline_1"), ("in_transit", "pipeline_<k>"), ("onhand_qty", None)]
)
def test_unknown_state_column_is_an_error(catalog: Catalog, wrong: str, guess: str | None) -> None:
    # the finding: pipeline1 / in_transit were ignored, dropping the stock in transit from the plan
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3], wrong: [5, 5, 5]})
    err = _raises(wrong, None, None, lambda: InventoryState.from_frame(frame, catalog))
    assert "unknown column" in str(err)
    if guess is not None:
        assert f"did you mean {guess!r}" in str(err)


def test_extra_state_columns_can_be_allowed(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3], "location": ["x", "y", "z"]})
    for option in ("ignore", ["location"]):
        state = InventoryState.from_frame(frame, catalog, extra_columns=option)
        np.testing.assert_array_equal(state.on_hand, [1, 2, 3])
    oo = pd.DataFrame({"sku": ["A"], "arrives_in": [1], "quantity": [3], "po_number": ["PO-1"]})
    _raises("po_number", None, None, lambda: InventoryState.from_frame(frame, catalog, open_orders=oo,
                                                                      extra_columns=["location"]))
    state = InventoryState.from_frame(frame, catalog, open_orders=oo, extra_columns="ignore")
    assert state.pipeline[0, 1] == 3  # type: ignore[index]


@pytest.mark.parametrize(
    ("values", "kind"),
    [([True, False, True], "boolean"), ([1 + 1j, 2, 3], "complex"), (pd.Series([1, 2, True], dtype=object), "boolean")],
)
def test_bool_and_complex_stock_is_not_a_number(catalog: Catalog, values: object, kind: str) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": values})
    err = _raises("on_hand", None, None, lambda: InventoryState.from_frame(frame, catalog))
    assert kind in str(err)


def test_pipeline_slot_beyond_max_lead_time_is_refused_without_allocating(catalog: Catalog) -> None:
    # the finding: a column pipeline_1000000000 hung while allocating the pipeline
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3], "pipeline_1000000000": [0, 0, 0]})
    err = _raises("pipeline_1000000000", None, 1000000000, lambda: InventoryState.from_frame(frame, catalog))
    assert "520" in str(err)
    ok = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3], "pipeline_520": [0, 4, 0]})
    assert InventoryState.from_frame(ok, catalog).pipeline.shape == (3, 521)  # type: ignore[union-attr]
    with pytest.raises(PlanningError, match="pipeline_521"):
        InventoryState(np.array(["A"]), np.zeros(1), None, np.zeros((1, 522)))


def test_open_order_beyond_max_lead_time_is_refused(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3]})
    oo = pd.DataFrame({"sku": ["B"], "arrives_in": [10**9], "quantity": [3]})
    err = _raises("arrives_in", "B", 1e9, lambda: InventoryState.from_frame(frame, catalog, open_orders=oo))
    assert "MAX_LEAD_TIME" in str(err)


@pytest.mark.parametrize("column", ["on_hand", "backorders", "pipeline_2"])
def test_stock_beyond_max_quantity_is_refused(catalog: Catalog, column: str) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [1, 2, 3]})
    frame[column] = [0.0, 0.0, 1e300]
    err = _raises(column, "C", 1e300, lambda: InventoryState.from_frame(frame, catalog))
    assert "MAX_QUANTITY" in str(err)


def test_the_readme_state_example_names_columns_the_state_reads() -> None:
    # the finding: the README's state example began at pipeline_1, so stock arriving this period had no column
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    line = next(row for row in readme.splitlines() if row.startswith('state = pd.read_csv("state.csv"'))
    named = re.findall(r"\b(sku|on_hand|backorders|pipeline_\d+)\b", line.split("#", 1)[1])
    assert named[:3] == ["sku", "on_hand", "pipeline_0"]
    frame = pd.DataFrame({column: [1] for column in named}).assign(sku=["A"])
    state = InventoryState.from_frame(frame)
    assert state.pipeline is not None and state.pipeline[0, 0] == 1  # pipeline_0: this period's slot


def test_aligned_state_is_the_validated_state_reordered(catalog: Catalog) -> None:
    state = InventoryState(catalog.sku[::-1], np.array([3.0, 2.0, 1.0]), np.array([0.0, 1.0, 0.0]),
                           np.array([[1.0, 0.0], [0.0, 2.0], [5.0, 0.0]]))
    aligned = state.aligned(catalog)
    assert aligned.sku.tolist() == catalog.sku.tolist()
    np.testing.assert_array_equal(aligned.on_hand, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(aligned.backorders, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(aligned.pipeline, [[5.0, 0.0], [0.0, 2.0], [1.0, 0.0]])
    assert aligned.aligned(catalog) is aligned  # already in catalog order: nothing to do
    for arr in (aligned.sku, aligned.on_hand, aligned.backorders, aligned.pipeline):
        assert not arr.flags.writeable


def test_trusted_state_stores_read_only_views_without_copying() -> None:
    on_hand = np.array([1.0, 2.0])
    state = InventoryState._trusted(np.array(["A", "B"], dtype=object), on_hand, np.zeros(2), np.zeros((2, 1)))
    assert np.shares_memory(state.on_hand, on_hand)
    assert not state.on_hand.flags.writeable and on_hand.flags.writeable  # the caller's array is untouched
    with pytest.raises(ValueError):
        state.on_hand[0] = 5.0


def test_state_from_frame_in_catalog_order_skips_the_lookup(catalog: Catalog) -> None:
    frame = pd.DataFrame({"sku": catalog.sku, "on_hand": [1, 2, 3]})
    state = InventoryState.from_frame(frame, catalog=catalog)
    assert state.sku is catalog.sku or state.sku.tolist() == catalog.sku.tolist()
    reordered = InventoryState.from_frame(frame.iloc[::-1], catalog=catalog)
    np.testing.assert_array_equal(reordered.on_hand, state.on_hand)


def test_a_zero_padded_pipeline_column_is_refused_not_read_as_slot_zero() -> None:
    """``pipeline_00`` next to ``pipeline_0`` would silently overwrite slot 0 (found by the slow fuzz run)."""
    import pandas as pd

    from hybridinv import PlanningError
    from hybridinv.core.state import InventoryState

    frame = pd.DataFrame({"sku": ["A"], "on_hand": [1], "pipeline_0": [2], "pipeline_00": [5]})
    with pytest.raises(PlanningError, match="pipeline_00"):
        InventoryState.from_frame(frame)
    assert InventoryState.from_frame(frame.drop(columns="pipeline_00")).pipeline[0, 0] == 2


@pytest.mark.parametrize(("options", "column"), [({"backorders": [5]}, "backorders"),
                                                 ({"backorders": [1, 2, 3]}, "backorders"),
                                                 ({"pipeline": [1, 2, 3]}, "pipeline"),
                                                 ({"pipeline": np.zeros((2, 1, 1))}, "pipeline"),
                                                 ({"on_hand": [1, 2, 3]}, "on_hand")])
def test_the_constructor_checks_every_length(options: dict, column: str) -> None:
    # the finding: one backorder value was applied to every SKU, seven to six SKUs failed in plan() with numpy's
    # broadcast error, a 3-D pipeline was accepted and 3 pipeline values for 2 SKUs were numpy's reshape error
    with pytest.raises(PlanningError, match="SKU") as err:
        InventoryState(**{"sku": ["A", "B"], "on_hand": [3, 4], **options})
    assert err.value.column == column
    assert InventoryState(["A", "B"], on_hand=[3, 4], pipeline=[1, 2, 3, 4]).pipeline.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize(("field", "value", "column"), [
    ("on_hand", [True], "on_hand"), ("on_hand", ["3"], "on_hand"),
    ("on_hand", [np.datetime64("2020-01-01")], "on_hand"), ("on_hand", [{}], "on_hand"),
    ("backorders", [True], "backorders"), ("pipeline", [[True, "2"]], "pipeline"), ("pipeline", [], "pipeline"),
])
def test_the_constructor_refuses_booleans_text_dates_and_an_empty_pipeline(field: str, value: object,
                                                                           column: str) -> None:
    """InventoryState(...) converted to float before checking: True was 1 unit, "3" 3 units, a date its 18,262 days
    since 1970, "abc" a bare ValueError, and pipeline=[] a (n, 0) pipeline that failed later with an IndexError."""
    values: dict[str, object] = {"on_hand": [1.0], field: value}
    with pytest.raises(PlanningError) as info:
        InventoryState(["A"], **values)  # type: ignore[arg-type]
    assert info.value.column == column
    assert InventoryState(["A"], on_hand=[2.5], pipeline=[[0.0, 0.25]]).pipeline.shape == (1, 2)
