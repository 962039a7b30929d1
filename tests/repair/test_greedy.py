"""fill_segments and ranking_prices: the second start of the fast primal (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.repair import repair_orders
from hybridinv.repair.greedy import fill_segments, ranking_prices
from hybridinv.repair.hull import lower_hull
from hybridinv.repair.inputs import build_problem
from hybridinv.repair.instances import family_instance

from ._cases import brute_force, make_case

# Two SKUs that save the same 0.5 per unit of budget (a tie at the budget price);
# the first is ten times bulkier and has a minimum order of 5. Budget 10,
# capacity 5: the optimum spends the budget on the compact SKU (objective 2.5);
# taking the bulky minimum order first fills the capacity with half the budget
# unspent (objective 5).
TIE = make_case([5.0, 10.0], unit_cost=1.0, volume=[1.0, 0.1], moq=[5.0, 0.0], capacity=5.0, budget=10.0)
TIE_WEIGHTS = {"under_weight": 0.5, "over_weight": 0.01}


def _tie_problem():
    return build_problem(*TIE.args, **TIE_WEIGHTS)


def test_ranking_prices_add_row_pressure_relative_to_the_mean_price() -> None:
    problem = _tie_problem()
    mu = np.array([0.5, 0.5])
    np.testing.assert_array_equal(ranking_prices(problem, mu, 0.0), mu)
    prices = ranking_prices(problem, mu, 0.01)
    # pressure per lot: 1/5 + 1/10 (bulky) and 0.1/5 + 1/10 (compact), scaled so its mean is 1 % of 0.5
    pressure = np.array([0.3, 0.12])
    np.testing.assert_allclose(prices, mu + 0.01 * 0.5 * pressure / pressure.mean())
    np.testing.assert_allclose(ranking_prices(problem, np.zeros(2), 0.01), pressure / pressure.mean())


def test_pressure_breaks_a_budget_tie_in_favour_of_the_compact_sku() -> None:
    problem = _tie_problem()
    segments = lower_hull(problem)
    mu = np.array([0.5, 0.5])  # the exact Lagrangian prices: every segment is a tie
    plain = fill_segments(problem, segments, np.zeros(2), mu)
    assert problem.objective(plain) == pytest.approx(5.0)
    filled = fill_segments(problem, segments, np.zeros(2), ranking_prices(problem, mu, 0.01))
    np.testing.assert_array_equal(filled, [0.0, 10.0])
    best, _ = brute_force(TIE, under=np.full(2, 0.5), over=np.full(2, 0.01))
    assert problem.objective(filled) == pytest.approx(best) == pytest.approx(2.5)
    result = repair_orders(*TIE.args, **TIE_WEIGHTS, backend="fast")
    assert result.objective == pytest.approx(2.5) and result.gap <= 1e-9


def test_fill_keeps_rules_and_rows_and_never_loses_cost() -> None:
    inst = family_instance("moq_all", 400, seed=2)
    problem = build_problem(*inst.args)
    segments = lower_hull(problem)
    start = np.zeros(problem.n_skus)
    lots = fill_segments(problem, segments, start, ranking_prices(problem, np.ones(problem.n_skus), 0.01))
    assert problem.lot_feasible(lots).all() and (lots <= problem.upper_lots).all()
    assert all((g.usage(lots) <= g.rhs + g.tolerance()).all() for g in problem.groups)
    assert problem.objective(lots) < problem.objective(start)
    again = fill_segments(problem, segments, lots, ranking_prices(problem, np.ones(problem.n_skus), 0.01))
    assert problem.objective(again) <= problem.objective(lots)
