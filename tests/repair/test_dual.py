"""Multiplier search: weak duality, exact group multipliers, reaching the Lagrangian dual."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from hybridinv.repair import dual as dual_module
from hybridinv.repair.dual import LagrangianDual, descending_cut, maximize_dual
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


def _cut_by_sorting(t, weight, limit):
    """The crossing the band search must find: sort everything by decreasing t, sum, find the first excess."""
    order = np.argsort(-t, kind="stable")
    running = np.cumsum(weight[order])
    j = int(np.searchsorted(running, limit, side="right"))
    return float(t[order[j]]), float(running[j] - weight[order[j]])


@pytest.mark.parametrize("layout", ["random", "sorted", "reversed", "periodic", "ties", "heavy"])
@pytest.mark.parametrize("share", [1e-6, 0.01, 0.3, 0.5, 0.97, 0.999999])
def test_descending_cut_finds_the_crossing_of_a_full_sort(layout: str, share: float) -> None:
    rng = np.random.default_rng(len(layout) * 1000 + int(share * 1e6))
    n = 50_000
    t = rng.exponential(1.0, n)
    weight = rng.uniform(0.5, 2.0, n)
    if layout == "sorted":
        t = np.sort(t)
    elif layout == "reversed":
        t = np.sort(t)[::-1].copy()
    elif layout == "periodic":  # the strided sample sees only one phase of a period that divides its stride
        t = np.tile(np.array([5.0, 0.1, 0.2, 0.3]), n // 4) * (1 + 1e-3 * rng.random(n))
    elif layout == "ties":
        t = rng.integers(1, 6, n).astype(float)
    elif layout == "heavy":  # a few elements carry most of the weight
        weight = rng.pareto(0.7, n) + 1e-3
    total = float(weight.sum())
    limit = share * total
    cut, before = descending_cut(t, weight, limit, total)
    value, expected_before = _cut_by_sorting(t, weight, limit)
    assert t[cut] == value  # the multiplier: the breakpoint where the row fills
    # what fills before the crossing element: the whole weight strictly above its t, plus some of its ties
    strictly_above = float(weight[t > value].sum())
    assert strictly_above - 1e-9 * total <= before <= limit + 1e-9 * total
    assert before + weight[cut] > limit - 1e-9 * total
    if layout != "ties":  # distinct values: the same element and the same partial sum as the sort
        assert before == pytest.approx(expected_before, rel=1e-9, abs=1e-9 * total)


@pytest.mark.parametrize(("seed", "suppliers", "lead"), [(0, 0, 3), (1, 4, 2), (2, 12, 5)])
def test_row_by_row_cuts_match_one_sort_of_all_rows(monkeypatch, seed: int, suppliers: int, lead: int) -> None:
    """Groups of a few rows are cut row by row in bands; the multipliers are those of one sort of every row.

    Where segments tie at a row's breakpoint, which of them is the crossing one depends on the order
    ties are summed in (arbitrary with either method); what must hold is that the crossing segment sits
    at the breakpoint and the row's fill before it lies between the weight strictly above the breakpoint
    and that plus the tied weight.
    """
    problem = _problem(random_instance(30_000, seed=seed, n_suppliers=suppliers, max_lead_time=lead))
    segments = lower_hull(problem)
    banded = LagrangianDual(problem, segments)
    monkeypatch.setattr(dual_module, "_BAND_ROWS", 0)  # read when a dual is built
    sorted_once = LagrangianDual(problem, segments)
    assert any(banded.by_row) and not any(sorted_once.by_row)
    multi = [k for k, g in enumerate(problem.groups) if g.n_rows > 1]
    assert multi, "the instance needs a group of several rows"
    rng = np.random.default_rng(seed)
    full_rows = 0
    for scale in (0.1, 0.3, 1.0):
        lams = [rng.exponential(scale, g.n_rows) for g in problem.groups]
        for k in multi:
            got, want = banded.solve_group(k, lams), sorted_once.solve_group(k, lams)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)  # one sort's key rounds near-ties
            # every row's breakpoint by brute force over the segments of the row
            d = sorted_once
            t = (d.item_neg_slope[k] - d.prices(lams, skip=k)[d.item_sku[k]]) * d.item_inv_coef[k]
            idx, theta = banded.crossing[k]
            seg_t = dict(zip(d.items[k].tolist(), t.tolist(), strict=True))
            for r in np.flatnonzero(got > 0):
                full_rows += 1
                in_row = d.item_row[k] == r
                at = int(idx[np.flatnonzero(got[np.flatnonzero(got > 0)] == got[r])[0]])
                assert seg_t[at] == got[r]
                w = d.item_weight[k][in_row]
                near = np.abs(t[in_row] - got[r]) <= 1e-12 * got[r]  # ties, up to the last bits
                above = float(w[(t[in_row] > got[r]) & ~near].sum())
                tied = float(w[near].sum())
                crossing_w = float(d.seg_weight[k][at])
                filled = float(problem.groups[k].rhs[r]) - float(theta[list(idx).index(at)]) * crossing_w
                tol = 1e-9 * float(problem.groups[k].rhs[r])
                assert above - tol <= filled <= above + tied + tol
    assert full_rows > 0  # some row is full at these prices
