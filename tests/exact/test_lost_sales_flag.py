"""``lost_sales`` of the base-stock solvers is a strict switch: True or False, nothing read by truthiness."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import PlanningError
from hybridinv.exact import base_stock_cost, best_base_stock


@pytest.mark.parametrize("value", [None, "no", "yes", 0, 1, np.array([True, False]), [True]])
@pytest.mark.parametrize("solve", ["best", "cost"])
def test_lost_sales_that_is_not_a_bool_is_refused(value, solve):
    with pytest.raises(PlanningError) as info:
        if solve == "best":
            best_base_stock(5, 1, holding_cost=1, shortage_cost=9, lost_sales=value)
        else:
            base_stock_cost(12, 5, 1, holding_cost=1, shortage_cost=9, lost_sales=value)
    assert info.value.column == "lost_sales"


def test_lost_sales_bools_choose_the_model():
    lost = best_base_stock(5, 1, holding_cost=1, shortage_cost=9, lost_sales=np.bool_(True))
    backorders = best_base_stock(5, 1, holding_cost=1, shortage_cost=9, lost_sales=False)
    assert lost == best_base_stock(5, 1, holding_cost=1, shortage_cost=9)
    assert lost != backorders
