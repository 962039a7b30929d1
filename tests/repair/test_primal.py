"""Primal fix-up: reduce over-used rows, add back, exchange; the safety net."""

from __future__ import annotations

import numpy as np

from hybridinv.repair import repair_orders
from hybridinv.repair.hull import lower_hull, solution_lots
from hybridinv.repair.inputs import build_problem
from hybridinv.repair.instances import random_instance
from hybridinv.repair.primal import improve_lots, make_feasible, repair_lots

from ._cases import make_case


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



def _big_sku_case(rng: np.random.Generator) -> tuple[object, np.ndarray, np.ndarray]:
    """A few small SKUs and one large SKU with a minimum order, competing for a binding budget."""
    n = int(rng.integers(4, 9))
    desired = np.round(rng.uniform(3, 30, n))
    big = int(rng.integers(n))
    desired[big] = float(rng.integers(60, 200))
    moq = np.zeros(n)
    moq[big] = np.round(desired[big] * rng.uniform(0.2, 0.6))
    cost = np.round(rng.uniform(5, 50, n))
    under = np.round(cost * rng.uniform(0.1, 0.4, n), 1)
    under[big] = np.round(cost[big] * rng.uniform(0.3, 0.5), 1)
    budget = float(np.round((cost * desired).sum() * rng.uniform(0.4, 0.8)))
    return make_case(desired, unit_cost=cost, moq=moq, budget=budget), under, np.full(n, 0.1)


def test_a_minimum_order_keeps_the_room_its_climb_needs() -> None:
    # The add-back took a large SKU's minimum order and, in the same pass, filled smaller SKUs that save less
    # per unit of budget, so the large SKU's climb (at the budget's own price) found no room: these 200
    # instances cost 0.71% above the optimum on average (now 0.08%, at most 2.1%), the 66 of 3,000 where the
    # fast plan was more than 5% off 19.7% (now 0.07%), one 50-SKU step of multi_50 35%. Now the climb
    # reserves its room. Truth: HiGHS on the same instances.
    rng = np.random.default_rng(7)
    ratios = []
    for _ in range(200):
        case, under, over = _big_sku_case(rng)
        fast = repair_orders(*case.args, under_weight=under, over_weight=over, backend="fast", warn=False)
        exact = repair_orders(*case.args, under_weight=under, over_weight=over, backend="highs", warn=False)
        assert exact.objective <= fast.objective + 1e-9
        ratios.append(fast.objective / exact.objective)
    ratios = np.array(ratios)
    assert ratios.mean() < 1.002 and ratios.max() < 1.05
