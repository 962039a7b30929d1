"""Invalid input to the exact solvers raises PlanningError naming the argument (``.column``)."""

from __future__ import annotations

import pytest

from hybridinv import PlanningError
from hybridinv.exact import base_stock_cost, best_base_stock
from hybridinv.exact._demand import demand_distribution, poisson_pmf
from hybridinv.exact.lost_sales_fixed import best_lost_sales_ss, lost_sales_ss_cost


@pytest.mark.parametrize(
    ("call", "column"),
    [
        (lambda: demand_distribution(None, None), "mean"),
        (lambda: demand_distribution(None, [[0.5, 0.5]]), "demand_pmf"),
        (lambda: demand_distribution(None, [0.5, 0.6]), "demand_pmf"),
        (lambda: demand_distribution(None, [-0.5, 1.5]), "demand_pmf"),
        (lambda: demand_distribution(None, [1.0]), "demand_pmf"),
        (lambda: demand_distribution(3, [0.5, 0.5]), "mean"),
        (lambda: poisson_pmf(-1), "mean"),
        (lambda: poisson_pmf(1e5), "mean"),
        (lambda: best_base_stock(5, 0, holding_cost=-1, shortage_cost=4), "holding_cost"),
        (lambda: best_base_stock(5, 0, holding_cost=0, shortage_cost=4), "holding_cost"),
        (lambda: best_base_stock(5, 0, holding_cost=1, shortage_cost=1e7), "shortage_cost"),
        (lambda: base_stock_cost(-1, 5, 0, holding_cost=1, shortage_cost=4), "S"),
        (lambda: base_stock_cost(400, 5, 3, holding_cost=1, shortage_cost=4), "S"),
        (lambda: best_lost_sales_ss(5, 0, holding_cost=0, shortage_cost=4, fixed_cost=1), "holding_cost"),
        (lambda: best_lost_sales_ss(5, 0, 1, 4, 1, max_order_up_to=2.5), "max_order_up_to"),
        (lambda: best_lost_sales_ss(5, 0, 1, 4, 1, max_order_up_to=0), "max_order_up_to"),
        (lambda: best_lost_sales_ss(5, 0, 1, 4, 1, max_order_up_to=10**4), "max_order_up_to"),
        (lambda: lost_sales_ss_cost(3, 2, 5, 0, 1, 4, 1), "s"),
    ],
)
def test_invalid_input_names_the_argument(call, column):
    with pytest.raises(PlanningError) as info:
        call()
    assert info.value.column == column
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("mean", [1e13, 1e30, 1e300])
def test_huge_mean_is_refused_not_a_nan_conversion(mean):
    with pytest.raises(PlanningError, match="MAX_QUANTITY") as info:
        best_base_stock(mean, 0, holding_cost=1, shortage_cost=4)
    assert info.value.column == "mean"
    assert info.value.value == mean
