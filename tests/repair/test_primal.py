"""Primal fix-up: reduce over-used rows, add back, exchange; the safety net."""

from __future__ import annotations

import numpy as np

from hybridinv.repair.hull import lower_hull, solution_lots
from hybridinv.repair.inputs import build_problem
from hybridinv.repair.instances import random_instance
from hybridinv.repair.primal import improve_lots, make_feasible, repair_lots


def _setup(n: int, seed: int, **kwargs):
    inst = random_instance(n, seed=seed, **kwargs)
    problem = build_problem(inst.desired, inst.catalog, inst.state, inst.constraints)
    return problem, lower_hull(problem)


def _holds(problem, lots) -> bool:
    limits = np.concatenate([g.rhs for g in problem.groups])
    return bool((problem.row_usage(lots) <= limits + 1e-7).all())


def test_repair_from_the_unconstrained_plan_is_feasible() -> None:
    problem, seg = _setup(400, 1, n_suppliers=3)
    mu = np.zeros(problem.n_skus)
    start = solution_lots(seg, mu, problem.n_skus)  # every SKU at its own optimum: rows over-used
    assert not _holds(problem, start)
    lots = repair_lots(problem, seg, start, mu)
    assert _holds(problem, lots)
    assert problem.lot_feasible(lots).all()
    assert (lots <= problem.upper_lots).all()


def test_add_back_fills_an_empty_plan() -> None:
    problem, seg = _setup(300, 2)
    mu = np.ones(problem.n_skus)
    lots = repair_lots(problem, seg, np.zeros(problem.n_skus), mu)
    assert _holds(problem, lots)
    assert problem.objective(lots) < problem.objective(np.zeros(problem.n_skus))


def test_improvement_never_worsens_and_stays_feasible() -> None:
    problem, seg = _setup(60, 10)
    mu = np.full(problem.n_skus, 0.5)
    lots = repair_lots(problem, seg, np.zeros(problem.n_skus), mu)
    better = improve_lots(problem, seg, lots, mu, rounds=10)
    assert _holds(problem, better)
    assert problem.lot_feasible(better).all()
    assert problem.objective(better) <= problem.objective(lots) + 1e-9


def test_make_feasible_rounds_clips_and_enforces_rows() -> None:
    problem, _ = _setup(200, 3)
    noisy = problem.upper_lots + 0.4  # above every bound and off-grid
    lots = make_feasible(problem, noisy)
    assert problem.lot_feasible(lots).all()
    assert _holds(problem, lots)
    fine = make_feasible(problem, np.zeros(problem.n_skus))
    np.testing.assert_array_equal(fine, 0.0)
