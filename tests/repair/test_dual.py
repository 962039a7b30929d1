"""Multiplier search: weak duality, exact group multipliers, reaching the Lagrangian dual."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from hybridinv.repair.dual import LagrangianDual, maximize_dual
from hybridinv.repair.hull import lower_hull
from hybridinv.repair.inputs import build_problem
from hybridinv.repair.instances import random_instance

from ._cases import brute_force, make_case


def _problem(inst):
    return build_problem(inst.desired, inst.catalog, inst.state, inst.constraints)


def test_any_multipliers_give_a_lower_bound() -> None:
    case = make_case(
        [12.0, 9.5, 20.0],
        unit_cost=[2, 3, 1],
        volume=[1, 2, 0.5],
        lot_size=[2, 1, 5],
        moq=[4, 3, 10],
        capacity=20.0,
        budget=30.0,
    )
    best, _ = brute_force(case)
    problem = build_problem(*case.args)
    dual = LagrangianDual(problem, lower_hull(problem))
    rng = np.random.default_rng(1)
    for _ in range(50):
        lams = [rng.exponential(2.0, g.n_rows) for g in problem.groups]
        value, _, _ = dual.evaluate(lams)
        assert value <= best + 1e-9


def test_group_multiplier_maximises_its_coordinate() -> None:
    problem = _problem(random_instance(80, seed=4))
    dual = LagrangianDual(problem, lower_hull(problem))
    lams = [np.zeros(g.n_rows) for g in problem.groups]
    lams[1] = np.array([0.3])  # fix the budget multiplier
    lams[0] = dual.solve_group(0, lams)
    best, _, _ = dual.evaluate(lams)
    rng = np.random.default_rng(3)
    for _ in range(40):
        other = [lam.copy() for lam in lams]
        other[0] = np.maximum(lams[0] + rng.normal(0, 0.2, lams[0].size), 0.0)
        assert dual.evaluate(other)[0] <= best + 1e-7


def _convexified_lp(problem) -> float:
    """The LP over hull segments: its optimum equals the Lagrangian dual's maximum."""
    seg = lower_hull(problem)
    rows, rhs = [], []
    for g in problem.groups:
        for r in range(g.n_rows):
            rows.append(np.where(g.member[seg.sku] == r, g.coef[seg.sku], 0.0))
            rhs.append(g.rhs[r])
    bounds = list(zip(np.zeros(seg.sku.size), seg.length, strict=True))
    res = linprog(seg.slope, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
    assert res.status == 0
    return seg.base_cost + res.fun


@pytest.mark.parametrize(("seed", "suppliers"), [(0, 0), (1, 0), (2, 3), (3, 2)])
def test_multiplier_search_reaches_the_lagrangian_dual(seed: int, suppliers: int) -> None:
    problem = _problem(random_instance(300, seed=seed, n_suppliers=suppliers, supplier_tightness=0.6))
    lp = _convexified_lp(problem)
    result = maximize_dual(problem, lower_hull(problem))
    assert result.value <= lp + 1e-6 * abs(lp)
    assert result.value >= lp - 2e-4 * abs(lp)
