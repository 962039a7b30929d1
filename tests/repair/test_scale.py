"""proportional_scale: the pure-RL baseline keeps rows but may break MOQ and lots."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import PlanningError
from hybridinv.repair import proportional_scale

from ._cases import make_case, rows_ok


def test_scales_each_capacity_row_and_rounds_down() -> None:
    case = make_case([10.0, 10.0, 4.0], lead_time=[0, 0, 1], volume=1.0, capacity=15.0)
    out = proportional_scale(*case.args)
    np.testing.assert_array_equal(out, [7.0, 7.0, 4.0])  # row 0 scaled by 0.75; row 1 fits
    assert rows_ok(case, out)


def test_budget_scales_everything() -> None:
    case = make_case([10.0, 20.0], unit_cost=[1.0, 2.0], budget=25.0)
    out = proportional_scale(*case.args)
    np.testing.assert_array_equal(out, [5.0, 10.0])


def test_supplier_rows_and_max_order() -> None:
    case = make_case(
        [30.0, 10.0, 5.0], max_order=[20, np.inf, np.inf], supplier=["a", "a", "b"], supplier_capacity={"a": 15.0}
    )
    out = proportional_scale(*case.args)
    np.testing.assert_array_equal(out, [10.0, 5.0, 5.0])  # 20 + 10 -> scaled by 0.5


def test_can_break_moq_and_lots_documented_behaviour() -> None:
    case = make_case([10.0, 10.0], lot_size=[4, 1], moq=[8, 0], capacity=10.0)
    out = proportional_scale(*case.args)
    np.testing.assert_array_equal(out, [5.0, 5.0])  # 5 < moq 8 and not a multiple of 4
    assert rows_ok(case, out)


def test_over_full_capacity_scales_to_zero_and_negative_orders_are_dropped() -> None:
    case = make_case([-3.0, 6.0], on_hand=[30, 0], capacity=20.0)
    np.testing.assert_array_equal(proportional_scale(*case.args), [0.0, 0.0])


def test_nan_orders_raise() -> None:
    case = make_case([1.0, 2.0])
    with pytest.raises(PlanningError, match="s1"):
        proportional_scale(np.array([1.0, np.nan]), case.catalog, case.state, case.constraints)
