"""``tol`` of the lost-sales dynamic programs: a finite number > 0, small relative to the costs."""

from __future__ import annotations

import math

import pytest

from hybridinv import PlanningError
from hybridinv.exact import lost_sales_optimal
from hybridinv.exact.lost_sales_fixed import lost_sales_fixed_cost_optimal

SOLVERS = {
    "lost_sales_optimal": lambda tol: lost_sales_optimal(3.0, 1, 1.0, 9.0, tol=tol),
    "lost_sales_fixed_cost_optimal": lambda tol: lost_sales_fixed_cost_optimal(3.0, 1, 1.0, 9.0, 2.0, tol=tol),
}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("tol", [math.inf, 1e30, 1.0, 0.5, math.nan, -1e-6, 0.0, True, "1e-6"])
def test_tolerance_that_is_not_small_is_refused(solver, tol):
    with pytest.raises(PlanningError) as info:
        SOLVERS[solver](tol)
    assert info.value.column == "tol"


@pytest.mark.parametrize("solver", SOLVERS)
def test_largest_allowed_tolerance_gives_an_optimum_close_to_the_tight_one(solver):
    tight = SOLVERS[solver](1e-9)
    loose = SOLVERS[solver](1e-3 * (1 + 9 + (2 if "fixed" in solver else 0)))
    assert loose.converged
    assert loose.average_cost == pytest.approx(tight.average_cost, abs=0.01)


def test_default_tolerance_is_allowed_with_tiny_costs():
    result = lost_sales_optimal(3.0, 0, 1e-5, 9e-5)
    assert result.converged and result.average_cost > 0
