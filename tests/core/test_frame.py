"""Tests for hybridinv.core._frame: columns, SKUs and numeric cells read from pandas frames."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridinv import PlanningError
from hybridinv.core._frame import RowSkus, check_array, check_columns, numeric_column, sku_codes, sku_column


def test_check_columns_names_the_closest_known_column() -> None:
    frame = pd.DataFrame({"sku": ["A"], "holding_cots": [1.0]})
    with pytest.raises(PlanningError, match=r"unknown column 'holding_cots' \(did you mean 'holding_cost'\?\)") as info:
        check_columns(frame, ["sku", "holding_cost", "shortage_cost"], "catalog")
    assert info.value.column == "holding_cots"


def test_check_columns_without_a_close_match_lists_the_known_ones() -> None:
    frame = pd.DataFrame({"sku": ["A"], "colour": ["red"]})
    with pytest.raises(PlanningError) as info:
        check_columns(frame, ["sku", "on_hand"], "state", pattern=re.compile(r"^pipeline_\d+$"),
                      pattern_label="pipeline_<k>")
    message = str(info.value)
    assert "did you mean" not in message
    assert "known columns: sku, on_hand, pipeline_<k>" in message


def test_check_columns_options() -> None:
    frame = pd.DataFrame({"sku": ["A"], "pipeline_3": [1], "note": ["x"]})
    pattern = re.compile(r"^pipeline_\d+$")
    check_columns(frame, ["sku"], "state", "ignore", pattern=pattern)
    check_columns(frame, ["sku"], "state", ["note"], pattern=pattern)
    check_columns(frame, ["sku"], "state", ("note",), pattern=pattern)
    with pytest.raises(PlanningError, match="'note'"):
        check_columns(frame, ["sku"], "state", pattern=pattern)
    for bad in ("allow", 3):
        with pytest.raises(PlanningError, match="extra_columns"):
            check_columns(frame, ["sku"], "state", bad, pattern=pattern)  # type: ignore[arg-type]


def test_sku_column_reads_strings_and_refuses_gaps_and_duplicates() -> None:
    assert sku_column(pd.DataFrame({"sku": [1, 2, 10]}), "t").tolist() == ["1", "2", "10"]
    assert sku_column(pd.DataFrame({"sku": ["A", "A"]}), "t", unique=False).tolist() == ["A", "A"]
    for bad in (["A", None], ["A", ""], [1.0, np.nan], [1.0, np.inf]):
        with pytest.raises(PlanningError, match="empty SKU"):
            sku_column(pd.DataFrame({"sku": bad}), "t")
    with pytest.raises(PlanningError, match="more than once") as info:
        sku_column(pd.DataFrame({"sku": ["A", "B", "B"]}), "t")
    assert info.value.sku == "B"


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        (pd.Series([True, False]), "boolean"),
        (pd.Series([1, True], dtype=object), "boolean"),
        (pd.Series([np.bool_(True), 1], dtype=object), "boolean"),
        (pd.Series(pd.array([True, None], dtype="boolean")), "boolean"),
        (pd.Series([1 + 2j, 3]), "complex"),
        (pd.Series([2, 1 + 2j], dtype=object), "complex"),
        (pd.Series(pd.to_datetime(["2024-01-01", "2024-01-08"])), "date"),
        (pd.Series([dt.date(2024, 1, 1), 3], dtype=object), "date"),
        (pd.Series(pd.to_timedelta([1, 2], unit="D")), "date"),
    ],
)
def test_cells_that_are_not_numbers_are_refused(cells: pd.Series, kind: str) -> None:
    frame = pd.DataFrame({"sku": ["A", "B"], "x": cells})
    with pytest.raises(PlanningError, match=rf"column 'x'.*{kind}"):
        numeric_column(frame, "x", np.array(["A", "B"], dtype=object), "t")


def test_numbers_and_numeric_strings_still_read() -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "x": pd.Series([1, "2.5", 3.0], dtype=object)})
    np.testing.assert_array_equal(numeric_column(frame, "x", np.array(["A", "B", "C"]), "t"), [1, 2.5, 3])
    frame = pd.DataFrame({"sku": ["A", "B"], "x": pd.array([1, None], dtype="Int64")})
    out = numeric_column(frame, "x", np.array(["A", "B"]), "t", blank=np.nan)
    assert out[0] == 1 and np.isnan(out[1])


def test_check_array_maximum_spares_allowed_infinity() -> None:
    skus = np.array(["A", "B"], dtype=object)
    np.testing.assert_array_equal(check_array([5, np.inf], "m", skus, "t", allow_inf=True, maximum=10), [5, np.inf])
    with pytest.raises(PlanningError, match=r"sku 'B', value 11.0: t: value must be <= 10"):
        check_array([5, 11], "m", skus, "t", maximum=10)
    with pytest.raises(PlanningError, match="boolean"):
        check_array(np.array([True, False]), "m", skus, "t")


# --------------------------------------------------------------------------- SKU codes


def test_sku_codes_number_distinct_skus_in_order_of_first_appearance() -> None:
    frame = pd.DataFrame({"sku": ["B", "B", "A", "C", "A", "B"]})
    codes, names = sku_codes(frame, "forecast", unique=False)
    assert names.tolist() == ["B", "A", "C"]
    assert codes.tolist() == [0, 0, 1, 2, 1, 0]
    assert sku_column(frame, "forecast", unique=False).tolist() == frame["sku"].tolist()


def test_sku_codes_read_numbers_as_text_like_the_column_would() -> None:
    codes, names = sku_codes(pd.DataFrame({"sku": [7, 7, 12]}), "forecast", unique=False)
    assert names.tolist() == ["7", "12"] and codes.tolist() == [0, 0, 1]
    # in an object column, 1 and 1.0 are equal neighbours but different SKU texts
    codes, names = sku_codes(pd.DataFrame({"sku": pd.Series([1, 1.0, "1"], dtype=object)}), "t", unique=False)
    assert names.tolist() == ["1", "1.0"] and codes.tolist() == [0, 1, 0]


@pytest.mark.parametrize("column", [["A", "B", "A"], ["A", "A", "B"], ["B", "A", "C", "C"]])
def test_sku_codes_name_the_first_repeated_sku(column: list[str]) -> None:
    first_repeat = next(sku for i, sku in enumerate(column) if sku in column[:i])
    with pytest.raises(PlanningError, match="lists SKU more than once") as info:
        sku_codes(pd.DataFrame({"sku": column}), "state")
    assert info.value.sku == first_repeat


@pytest.mark.parametrize("empty", [None, np.nan, "", pd.NA])
def test_sku_codes_refuse_an_empty_sku_inside_a_run(empty: object) -> None:
    frame = pd.DataFrame({"sku": pd.Series(["A", "A", empty, empty, "B"], dtype=object)})
    with pytest.raises(PlanningError, match="has an empty SKU"):
        sku_codes(frame, "forecast", unique=False)


def test_sku_codes_in_the_known_order_are_not_hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    known = np.array(["A", "B", "C"], dtype=object)
    frame = pd.DataFrame({"sku": np.repeat(known, 4)})

    def no_factorize(*args: object, **kwargs: object) -> None:
        raise AssertionError("factorize called")

    monkeypatch.setattr(pd, "factorize", no_factorize)
    codes, names = sku_codes(frame, "forecast", unique=False, known=known)
    assert names is known and codes.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    # a table listing a SKU twice never takes the fast path
    with pytest.raises(AssertionError, match="factorize called"):
        sku_codes(pd.DataFrame({"sku": ["A", "A", "B", "C"]}), "state", known=known)


def _first_broken_rule(values: np.ndarray, minimum: float | None, strict: bool, allow_inf: bool,
                       integer: bool, maximum: float | None) -> tuple[str, int] | None:
    """Independent reference: the rules in check_array's order, each scanned element by element."""
    rules = [
        ("NaN or infinite", lambda x: math.isnan(x) or x == -math.inf or (x == math.inf and not allow_inf)),
        ("must be", lambda x: minimum is not None and (x <= minimum if strict else x < minimum)),
        ("<=", lambda x: maximum is not None and math.isfinite(x) and x > maximum),
        ("whole number", lambda x: integer and math.isfinite(x) and abs(x - round(x)) > 1e-9),
    ]
    for text, broken in rules:
        for i, x in enumerate(values.tolist()):
            if broken(x):
                return text, i
    return None


cells = st.one_of(st.floats(-5, 5), st.integers(-5, 5).map(float), st.sampled_from([np.nan, np.inf, -np.inf]))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(cells, max_size=12), minimum=st.sampled_from([None, 0.0, -2.0]), strict=st.booleans(),
       allow_inf=st.booleans(), integer=st.booleans(), maximum=st.sampled_from([None, 3.0]),
       as_int=st.booleans())
def test_check_array_agrees_with_an_element_by_element_reference(
    values: list[float], minimum: float | None, strict: bool, allow_inf: bool, integer: bool,
    maximum: float | None, as_int: bool,
) -> None:
    arr = np.array(values, dtype=np.float64)
    if as_int:  # an integer column takes the fast path's integer branch
        arr = np.nan_to_num(np.round(arr), nan=0.0, posinf=4.0, neginf=-4.0)
    data: np.ndarray = arr.astype(np.int64) if as_int else arr
    skus = np.array([f"S{i}" for i in range(arr.size)], dtype=object)
    expected = _first_broken_rule(arr, minimum, strict, allow_inf, integer, maximum)
    options = dict(minimum=minimum, strict=strict, allow_inf=allow_inf, integer=integer, maximum=maximum)
    if expected is None:
        out = check_array(data, "c", skus, "t", **options)  # type: ignore[arg-type]
        reference = np.where(np.isfinite(arr), np.round(arr), arr) if integer else arr
        np.testing.assert_array_equal(out, reference)
        assert out.dtype == np.float64
    else:
        with pytest.raises(PlanningError, match=re.escape(expected[0])) as info:
            check_array(data, "c", skus, "t", **options)  # type: ignore[arg-type]
        assert info.value.sku == f"S{expected[1]}"


def test_row_skus_look_up_the_sku_of_a_row_only_when_asked() -> None:
    names = np.array(["A", "B", "C"], dtype=object)
    rows = RowSkus(names, np.array([2, 2, 0, 1], dtype=np.int64))
    assert len(rows) == 4 and rows[0] == "C" and rows[np.int64(3)] == "B"
    picked = rows[np.array([False, True, True, False])]
    assert isinstance(picked, RowSkus) and [picked[i] for i in range(len(picked))] == ["C", "A"]
    with pytest.raises(PlanningError, match="whole number") as info:
        check_array(np.array([1.0, 2.0, 2.5, 3.0]), "period", rows, "forecast", integer=True)
    assert info.value.sku == "A"


@pytest.mark.parametrize("values", [np.array([1.5, 2.0, 3.0]), np.array([1, 2, 3])])
def test_numeric_column_never_returns_a_view_of_the_callers_frame(values: np.ndarray) -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "x": values})
    out = numeric_column(frame, "x", frame["sku"].to_numpy(dtype=object), "t")
    assert out.dtype == np.float64 and not np.shares_memory(out, frame["x"].to_numpy())
    out[:] = -1.0
    np.testing.assert_array_equal(frame["x"].to_numpy(), values)


def test_numeric_column_reads_nullable_and_text_numbers_and_names_a_missing_one() -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "x": pd.array([1, None, 3], dtype="Int64"),
                          "y": ["1.5", "2", "x"]})
    skus = frame["sku"].to_numpy(dtype=object)
    np.testing.assert_array_equal(numeric_column(frame, "x", skus, "t", blank=0.0), [1.0, 0.0, 3.0])
    with pytest.raises(PlanningError, match="NaN") as info:
        numeric_column(frame, "x", skus, "t")
    assert info.value.sku == "B"
    with pytest.raises(PlanningError, match="not a number") as info:
        numeric_column(frame, "y", skus, "t")
    assert info.value.sku == "C"


def test_multi_level_column_labels_are_refused_naming_the_table() -> None:
    # the finding: "sku" in df.columns matched the first level, df["sku"] was a frame, and the checks failed with
    # "AttributeError: 'DataFrame' object has no attribute 'dtype'" (pivot_table(...).reset_index() makes them)
    import hybridinv
    from hybridinv import PlanningError

    catalog = pd.DataFrame({"sku": ["A"], "unit_cost": [2.0], "holding_cost": 0.1, "shortage_cost": 20.0,
                            "lead_time": 1, "demand_mean": 3.0})
    state = pd.DataFrame({"sku": ["A"], "on_hand": [3]})
    leveled = state.copy()
    leveled.columns = pd.MultiIndex.from_arrays([state.columns, ["x", "x"]])
    with pytest.raises(PlanningError, match="state has column labels of 2 levels"):
        hybridinv.plan(leveled, catalog, extra_columns="ignore")
    history = pd.DataFrame({"sku": ["A"], "w0": [3.0]})
    history.columns = pd.MultiIndex.from_arrays([history.columns, ["", ""]])
    with pytest.raises(PlanningError, match="demand_history has column labels of 2 levels"):
        hybridinv.plan(state, catalog, demand_history=history, forecast_history=history)


def test_an_array_in_a_cell_is_refused_naming_column_and_sku() -> None:
    # the finding: np.array(3) in a numeric cell was pandas' "TypeError: len() of unsized object"
    import hybridinv
    from hybridinv import PlanningError

    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [2.0, 3.0], "holding_cost": 0.1, "shortage_cost": 20.0,
                            "lead_time": 1, "demand_mean": 3.0})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [np.array(3), 4]})
    with pytest.raises(PlanningError, match="state: value is an array, not a number") as err:
        hybridinv.plan(state, catalog)
    assert (err.value.column, err.value.sku) == ("on_hand", "A")
    forecast = pd.DataFrame({"sku": ["A", "B"], "period": [0, 0], "mean": [4.0, np.array([3.0])]})
    with pytest.raises(PlanningError, match="forecast: value is an array") as err:
        hybridinv.plan(state.assign(on_hand=[3, 4]), catalog, None, forecast)
    assert (err.value.column, err.value.sku) == ("mean", "B")


def test_ignored_columns_are_compared_loosely_without_reading_their_numbers_as_integers() -> None:
    # a header of 5,000 digits went through int() (Python refuses more than 4,300): a ValueError, not a column
    frame = pd.DataFrame({"sku": ["A"], "on_hand": [1], "x" + "9" * 5000: [2], "note 01": ["n"]})
    check_columns(frame, ["sku", "on_hand"], "state", "ignore")  # ignored, as asked
    with pytest.raises(PlanningError, match="'On Hand 01' is 'on_hand_1' written another way"):
        check_columns(frame.rename(columns={"on_hand": "On Hand 01"}), ["sku", "on_hand_1"], "state", "ignore")
