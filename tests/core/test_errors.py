"""PlanningError messages (hybridinv/core/errors.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hybridinv
from hybridinv import PlanningError
from hybridinv.core.errors import flag, number_in, whole_number
from hybridinv.examples import example_frames


def test_message_names_column_sku_and_value() -> None:
    error = PlanningError("value must be >= 0", column="holding_cost", sku="A-17", value=-1.0)
    assert str(error) == "column 'holding_cost', sku 'A-17', value -1.0: value must be >= 0"
    assert (error.column, error.sku, error.value) == ("holding_cost", "A-17", -1.0)
    assert str(PlanningError("plain")) == "plain"


def test_numpy_scalars_print_as_plain_values() -> None:
    error = PlanningError("bad", column=np.str_("on_hand"), sku=np.str_("A"), value=np.float64(1.5))
    assert str(error) == "column 'on_hand', sku 'A', value 1.5: bad"
    assert str(PlanningError("bad", sku=np.int64(7), value=np.bool_(True))) == "sku 7, value True: bad"


def test_duplicate_sku_in_state_is_named_plainly() -> None:
    catalog, state = example_frames()
    with pytest.raises(PlanningError) as info:
        hybridinv.plan(pd.concat([state, state.iloc[:1]]), catalog, hybridinv.Constraints())
    assert "sku 'P-100'" in str(info.value) and "np.str_" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        ("0.5", {}, "must be a number"),
        (True, {}, "must be a number"),
        (None, {}, "must be a number"),
        (float("nan"), {}, r"finite number in \[0, 1\]"),
        (-0.1, {}, r"\[0, 1\]"),
        (1.0, {"open_high": True}, r"\[0, 1\)"),
        (0.0, {"open_low": True}, r"\(0, 1\]"),
    ],
)
def test_number_in_refuses_non_numbers_and_values_outside(value: object, kwargs: dict, message: str) -> None:
    with pytest.raises(PlanningError, match=message) as info:
        number_in(value, "gap_tolerance", 0.0, 1.0, **kwargs)
    assert info.value.column == "gap_tolerance"


def test_number_in_accepts_numpy_and_python_numbers_in_range() -> None:
    assert number_in(np.float32(0.25), "x", 0.0, 1.0) == 0.25
    assert number_in(1, "x", 0.0, 1.0) == 1.0
    assert number_in(3.0, "time_limit", 0.0, math.inf, open_low=True) == 3.0
    with pytest.raises(PlanningError, match=r"\(0, inf\)"):
        number_in(math.inf, "time_limit", 0.0, math.inf, open_low=True)


@pytest.mark.parametrize("value", [2.5, -1, True, "3", float("nan"), math.inf, None])
def test_whole_number_refuses_fractions_values_below_and_non_numbers(value: object) -> None:
    with pytest.raises(PlanningError) as info:
        whole_number(value, "workers", 1)
    assert info.value.column == "workers"


def test_whole_number_accepts_whole_floats_and_numpy_integers() -> None:
    assert whole_number(3.0, "x", 1) == 3 and isinstance(whole_number(np.int64(4), "x"), int)
    assert whole_number(0, "x") == 0
    with pytest.raises(PlanningError, match=">= 1"):
        whole_number(0, "x", 1)


def test_whole_numbers_reads_a_non_empty_list_of_whole_numbers() -> None:
    from hybridinv.core.errors import whole_numbers

    assert whole_numbers([1, 2.0, np.int64(3)], "eval_seeds") == (1, 2, 3)
    for bad in ((), [], "12", (1, -1), (0.5,), None):
        with pytest.raises(PlanningError) as info:
            whole_numbers(bad, "eval_seeds")
        assert info.value.column == "eval_seeds"


def test_enum_member_names_the_column_and_the_allowed_values() -> None:
    from enum import StrEnum

    from hybridinv.core.errors import enum_member

    class Color(StrEnum):
        RED = "red"
        BLUE = "blue"

    assert enum_member(Color, "red", "color") is Color.RED
    with pytest.raises(PlanningError, match=r"\['red', 'blue'\]") as info:
        enum_member(Color, "green", "color")
    assert info.value.column == "color" and info.value.value == "green"


@pytest.mark.parametrize("value", ["no", "False", 0, 1, None, 1.0])
def test_flag_refuses_what_is_not_a_bool(value: object) -> None:
    with pytest.raises(PlanningError, match="must be True or False") as info:  # bool("no") is True
        flag(value, "build_ahead")
    assert info.value.column == "build_ahead"


def test_flag_accepts_python_and_numpy_bools() -> None:
    assert flag(True, "x") is True and flag(np.bool_(False), "x") is False


@pytest.mark.parametrize("value", [np.array([True, False]), np.bool_(True), np.array(["5", "6"]), [1.0, "x"],
                                   np.array([1 + 0j]), [True, 2.0]])
def test_scalar_or_array_refuses_booleans_text_and_complex_inside_arrays(value: object) -> None:
    # the finding: RQ(reorder_point=np.array([True] * 10)) and Newsvendor(safety_factor=np.array(["1"] * 10))
    # were read as numbers (only a plain bool or str was refused)
    from hybridinv.core.errors import scalar_or_array

    with pytest.raises(PlanningError, match="must be numbers") as err:
        scalar_or_array(value, "reorder_point")
    assert err.value.column == "reorder_point"


def test_scalar_or_array_reads_numbers_and_numeric_arrays() -> None:
    from hybridinv.core.errors import scalar_or_array

    assert scalar_or_array(np.int64(3), "x") == 3.0 and isinstance(scalar_or_array(2, "x"), float)
    np.testing.assert_array_equal(scalar_or_array([1, 2.5], "x", 0.0), [1.0, 2.5])


def test_near_names_points_to_the_name_meant() -> None:
    # one wording for every misspelt name (policy, KPI, scenario, field, key of a scenario file); only the names about
    # as close as the closest are shown: 'base_stok' is 'base_stock', not also 'capped_base_stock'
    from hybridinv import scenarios
    from hybridinv.core.errors import near_names

    known = ["base_stock", "capped_base_stock", "newsvendor", "ss"]
    assert near_names("newsvendr", known) == " (did you mean 'newsvendor'?)"
    assert near_names("base_stok", known) == " (did you mean 'base_stock'?)"
    assert near_names("zzz", known) == "" and near_names(["newsvendr"], known) == "" and near_names("x", []) == ""
    assert near_names("dispersoin", ["mean", "dispersion"], prefix="demand.") == " (did you mean 'demand.dispersion'?)"
    two = near_names("multi_0", ["single_sku", "multi_50", "multi_10"])
    assert two == " (did you mean 'multi_10' or 'multi_50'?)"
    assert scenarios.near_names is near_names  # the name bench and older callers import
