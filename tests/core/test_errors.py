"""PlanningError messages (hybridinv/core/errors.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hybridinv
from hybridinv import PlanningError
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
