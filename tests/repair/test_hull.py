"""Closed-form hull of each SKU's subproblem."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.repair.hull import lower_hull, solution_lots
from hybridinv.repair.inputs import build_problem
from hybridinv.repair.instances import random_instance


def _problem(inst):
    return build_problem(inst.desired, inst.catalog, inst.state, inst.constraints)


def _subproblem_brute(problem, i: int, price: float) -> float:
    """min over the feasible lots of SKU i of f_i(m) + price * m, by enumeration."""
    upper = int(problem.upper_lots[i])
    lots = [0] + list(range(int(problem.min_lots[i]), upper + 1)) if upper >= 1 else [0]
    values = [problem.deviation_cost(np.where(np.arange(problem.n_skus) == i, m, 0.0))[i] + price * m for m in lots]
    return min(values)


def test_hull_solves_every_sku_subproblem_exactly() -> None:
    problem = _problem(random_instance(60, seed=11, capacity_tightness=None, budget_tightness=None))
    seg = lower_hull(problem)
    rng = np.random.default_rng(0)
    for price_scale in (0.0, 0.5, 5.0, 50.0):
        mu = rng.uniform(0, price_scale, problem.n_skus)
        per_sku = np.zeros(problem.n_skus)
        np.add.at(per_sku, seg.sku, np.minimum(seg.slope + mu[seg.sku], 0.0) * seg.length)
        closed_form = problem.under_weight * problem.desired + per_sku
        lots = solution_lots(seg, mu, problem.n_skus)
        for i in range(problem.n_skus):
            assert closed_form[i] == pytest.approx(_subproblem_brute(problem, i, mu[i]), abs=1e-8)
        chosen = problem.deviation_cost(lots) + mu * lots
        np.testing.assert_allclose(chosen, closed_form, atol=1e-8)


def test_segments_have_increasing_slopes_per_sku() -> None:
    seg = lower_hull(_problem(random_instance(300, seed=2)))
    same = seg.sku[1:] == seg.sku[:-1]
    order = np.lexsort((seg.position, seg.sku))
    s, k = seg.slope[order], seg.sku[order]
    same = k[1:] == k[:-1]
    assert (s[1:][same] >= s[:-1][same] - 1e-12).all()
    assert (seg.slope < 0).all() and (seg.length > 0).all()
