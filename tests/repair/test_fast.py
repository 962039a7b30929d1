"""solve_fast: feasible repaired plans with a certified bound."""

from __future__ import annotations

import numpy as np

from hybridinv.repair.fast import dual_bound, solve_fast
from hybridinv.repair.inputs import build_problem
from hybridinv.repair.instances import random_instance

from ._cases import brute_force, make_case


def _problem(inst):
    return build_problem(inst.desired, inst.catalog, inst.state, inst.constraints)


def test_solve_fast_is_feasible_and_certified() -> None:
    problem = _problem(random_instance(500, seed=9, n_suppliers=2))
    solution = solve_fast(problem)
    lots = solution.lots
    assert problem.lot_feasible(lots).all()
    assert (lots <= problem.upper_lots).all()
    limits = np.concatenate([g.rhs for g in problem.groups])
    assert (problem.row_usage(lots) <= limits + 1e-7).all()
    assert solution.bound <= problem.objective(lots)
    assert all((p >= 0).all() for p in solution.prices)


def test_time_limit_is_honoured_without_losing_feasibility() -> None:
    problem = _problem(random_instance(2000, seed=1))
    solution = solve_fast(problem, time_limit=1e-6)
    limits = np.concatenate([g.rhs for g in problem.groups])
    assert (problem.row_usage(solution.lots) <= limits + 1e-7).all()
    assert solution.bound <= problem.objective(solution.lots)


def test_dual_bound_alone_is_below_the_optimum() -> None:
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
    assert 0.0 <= dual_bound(build_problem(*case.args)) <= best + 1e-9


def test_exchanges_only_run_when_the_gap_is_too_large() -> None:
    problem = _problem(random_instance(50, seed=1))
    loose = solve_fast(problem, gap_tolerance=0.5)
    tight = solve_fast(problem, gap_tolerance=0.0)
    assert problem.objective(tight.lots) < problem.objective(loose.lots)  # this instance needs exchanges
    assert tight.bound >= loose.bound - 1e-6  # and a more accurate multiplier search
