"""Multiplier search of the fast path: maximise the Lagrangian dual of the coupling rows.

With the hull segments of :mod:`hybridinv.repair.hull`,

    L(λ) = sum_i f_i(0) + sum_segments ℓ_e min(0, s_e + μ_{i(e)}) - λ · rhs

is a valid lower bound on the optimum for every ``λ >= 0`` (weak duality). Its
maximum equals the LP over the convexified SKU sets, which is within a few SKUs
of the integer optimum when thousands of SKUs share a handful of rows.

The search exploits that rows of one group are disjoint: given the other
multipliers, each row's best multiplier is a weighted quantile of the segment
breakpoints, found for all rows of a group with one sort. The budget multiplier
(the only row touching every SKU) is found by a safeguarded cutting-plane search
on the concave function ``φ(λ_budget) = max over the other multipliers``. When
capacity and supplier rows overlap, a trust-region cutting-plane polish over all
multipliers follows. Everything is vectorized over segments; there is no
per-SKU Python loop.

References
----------
Fisher, M. L. (1981). The Lagrangian relaxation method for solving integer
programming problems. *Management Science* 27(1), 1-18.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hybridinv._highs import new_highs
from hybridinv.repair.hull import SegmentTable
from hybridinv.repair.model import RepairProblem, RowKind

__all__ = ["DUAL_TOLERANCE", "DualResult", "LagrangianDual", "maximize_dual"]

#: Largest relative stopping tolerance of the multiplier search.
DUAL_TOLERANCE = 5e-5
_MAX_OUTER = 40  # budget multiplier trials
_MAX_CYCLES = 6  # capacity/supplier alternations per budget trial
_BUNDLE_ITERATIONS = 30  # cutting-plane steps when capacity and supplier rows overlap
_SELECT_MIN = 4096  # from this many breakpoints a row's crossing is found in a band, not by a full sort
_BAND = 160  # half-width of that band, in sample positions (of about 2,048)
_BAND_ROWS = 16  # groups of up to this many rows are cut row by row; larger ones by one sort of all rows


@dataclass(frozen=True, eq=False)
class DualResult:
    """Outcome of the multiplier search.

    Attributes
    ----------
    multipliers : tuple of arrays
        Best multipliers found, one array per row group.
    value : float
        ``L(multipliers)``, a valid lower bound.
    evaluations : int
        Number of group solves and dual evaluations.
    """

    multipliers: tuple[NDArray[np.float64], ...]
    value: float
    evaluations: int
    dual: LagrangianDual = field(repr=False)


class LagrangianDual:
    """Lagrangian function of one problem (precomputed segment data per group)."""

    def __init__(self, problem: RepairProblem, segments: SegmentTable) -> None:
        self.n = problem.n_skus
        self.seg = segments
        self.rhs = [g.rhs for g in problem.groups]
        self.limit = [g.rhs * (1 + 1e-12) + 1e-12 for g in problem.groups]
        self.single = [g.n_rows == 1 for g in problem.groups]
        #: per group and SKU: row (0 when outside, with a zero coefficient) and resource per lot
        self.row_of = [g.dense[0] for g in problem.groups]
        self.coef = [g.dense[1] for g in problem.groups]
        # per group: the segments that use one of its rows
        self.items: list[NDArray[np.int64]] = []
        self.item_sku: list[NDArray[np.int64]] = []
        self.item_row: list[NDArray[np.int64]] = []
        self.item_neg_slope: list[NDArray[np.float64]] = []
        self.item_inv_coef: list[NDArray[np.float64]] = []
        self.item_weight: list[NDArray[np.float64]] = []
        self.seg_weight: list[NDArray[np.float64]] = []
        #: per group, the segment at each row's breakpoint and the fraction of it that fills the row
        self.crossing: list[tuple[NDArray[np.int64], NDArray[np.float64]]] = []
        #: per group: whether its items are sorted by row, so that solve_group cuts row by row
        self.by_row = [1 < rhs.size <= _BAND_ROWS for rhs in self.rhs]
        for coef, row, rhs, by_row in zip(self.coef, self.row_of, self.rhs, self.by_row, strict=True):
            seg_coef = coef[segments.sku]
            idx = np.flatnonzero(seg_coef > 0)
            if by_row:  # each row's segments side by side
                idx = idx[np.argsort(row[segments.sku[idx]].astype(np.uint8), kind="stable")]  # a radix sort
            every = idx.size == seg_coef.size and rhs.size == 1  # a budget: every segment, in order (no gathers)
            item_sku = segments.sku if every else segments.sku[idx]
            item_coef = seg_coef if every else seg_coef[idx]
            self.items.append(idx)
            self.item_sku.append(item_sku)
            self.item_row.append(np.zeros(idx.size, dtype=np.int64) if rhs.size == 1 else row[item_sku])
            self.item_neg_slope.append(-(segments.slope if every else segments.slope[idx]))
            self.item_inv_coef.append(1.0 / item_coef)
            self.seg_weight.append(seg_coef * segments.length)
            self.item_weight.append(self.seg_weight[-1] if every else item_coef * segments.length[idx])
            self.crossing.append((np.zeros(0, dtype=np.int64), np.zeros(0)))
        self.evaluations = 0

    def prices(self, lams: list[NDArray[np.float64]], skip: int = -1) -> NDArray[np.float64]:
        """Per-lot price ``μ`` of every SKU (omitting group ``skip``)."""
        mu = np.zeros(self.n)
        for k, lam in enumerate(lams):
            if k == skip or not lam.any():
                continue
            if self.single[k]:
                mu += self.coef[k] * lam[0]
            else:
                mu += self.coef[k] * lam[self.row_of[k]]
        return mu

    def evaluate(self, lams: list[NDArray[np.float64]]) -> tuple[float, NDArray[np.float64], NDArray[np.bool_]]:
        """``L(λ)``, the prices ``μ`` and the segments chosen at ``λ`` (ties resolved to off)."""
        mu = self.prices(lams)
        seg = self.seg
        reduced = seg.slope + mu[seg.sku]
        on = reduced < 0
        # (x * y).sum() rather than x @ y: a BLAS dot may wake idle OpenBLAS threads (ms latency)
        penalty = sum(float((lam * rhs).sum()) for lam, rhs in zip(lams, self.rhs, strict=True))
        self.evaluations += 1
        value = seg.base_cost + float((np.minimum(reduced, 0.0) * seg.length).sum()) - penalty
        return value, mu, on

    def budget_usage(self, k: int, on: NDArray[np.bool_], fractional: list[int]) -> float:
        """Usage of the single row of group ``k`` by the segments ``on``.

        The breakpoint segments of the groups in ``fractional`` count with the
        fraction that exactly fills their rows: with it the usage is a true
        supergradient of the dual maximised over those groups' multipliers.
        """
        weight = self.seg_weight[k]
        used = float(weight[on].sum())
        for j in fractional:
            idx, theta = self.crossing[j]
            if idx.size:
                used += float(((theta - on[idx]) * weight[idx]).sum())
        return used

    def usage_all(self, on: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Usage of every row (group after group) by the segments ``on``."""
        parts = []
        for k, rhs in enumerate(self.rhs):
            chosen = on[self.items[k]]
            parts.append(np.bincount(self.item_row[k][chosen], weights=self.item_weight[k][chosen], minlength=rhs.size))
        return np.concatenate(parts)

    def solve_group(self, k: int, lams: list[NDArray[np.float64]]) -> NDArray[np.float64]:
        """Best multipliers of group ``k`` with the others fixed (exact; one sort, or a band of one row).

        Segment ``e`` of a SKU in row ``r`` is used while ``λ_r < t_e`` with
        ``t_e = (-s_e - base_e) / coef_e``; the best ``λ_r`` is the breakpoint
        where the usage, summed in decreasing ``t`` order, first exceeds the row's
        right-hand side (0 when everything fits).
        """
        rhs, limit = self.rhs[k], self.limit[k]
        out = np.zeros(rhs.size)
        self.crossing[k] = (np.zeros(0, dtype=np.int64), np.zeros(0))
        if self.items[k].size == 0:
            return out
        if any(lam.any() for j, lam in enumerate(lams) if j != k):
            base = self.prices(lams, skip=k)
            t = (self.item_neg_slope[k] - base[self.item_sku[k]]) * self.item_inv_coef[k]
        else:  # no other group priced: no gather of zero prices
            t = self.item_neg_slope[k] * self.item_inv_coef[k]
        weight = self.item_weight[k]
        positive = t > 0
        every = bool(positive.all())  # the usual case (no other row prices the segments out): no gathers
        pos = None if every else np.flatnonzero(positive)
        if pos is not None:
            t, weight = t[pos], weight[pos]
        self.evaluations += 1
        if t.size == 0:
            return out
        row = None if self.single[k] else (self.item_row[k] if pos is None else self.item_row[k][pos])
        if row is None or self.by_row[k]:  # rows side by side (see __init__): each row's crossing in its own band
            bounds = np.array([0, t.size]) if row is None else np.searchsorted(row, np.arange(rhs.size + 1))
            cuts, fills, full_rows = [], [], []
            for r in range(rhs.size):
                a, b = int(bounds[r]), int(bounds[r + 1])
                total = float(weight[a:b].sum())
                if total <= limit[r]:
                    continue
                cut, filled_before = descending_cut(t[a:b], weight[a:b], float(limit[r]), total)
                cuts.append(a + cut)
                fills.append(filled_before)
                full_rows.append(r)
            if not cuts:
                return out
            at = np.asarray(cuts, dtype=np.int64)
            hit_rows = np.asarray(full_rows, dtype=np.int64)
            out[hit_rows] = t[at]
            theta = np.clip((rhs[hit_rows] - np.asarray(fills)) / weight[at], 0.0, 1.0)
            self.crossing[k] = (self.items[k][at if pos is None else pos[at]], theta)
            return out
        # one sort by (row ascending, t descending): rows are small integers, t / t_max in (0, 1]
        order = np.argsort(row - 0.5 * t / (t.max() * (1 + 1e-9)))
        row = row[order]
        csum = np.cumsum(weight[order])
        rows = np.arange(rhs.size)
        first = np.searchsorted(row, rows, side="left")
        before = np.where(first > 0, csum[np.maximum(first - 1, 0)], 0.0)
        cross = np.searchsorted(csum, before + limit, side="right")
        hit = cross < np.searchsorted(row, rows, side="right")
        cross, before, rows = cross[hit], before[hit], rows[hit]
        if cross.size == 0:
            return out
        at = order[cross]
        filled = csum[cross] - weight[at] - before
        out[rows] = t[at]
        theta = np.clip((rhs[rows] - filled) / weight[at], 0.0, 1.0)
        self.crossing[k] = (self.items[k][at if pos is None else pos[at]], theta)
        return out


def descending_cut(
    t: NDArray[np.float64], weight: NDArray[np.float64], limit: float, total: float
) -> tuple[int, float]:
    """Where the weight summed in decreasing ``t`` first exceeds ``limit`` (< ``total``, the sum of ``weight``).

    Returns the index of that element and the weight summed before it: the result of sorting all of
    ``t`` in decreasing order, found by sorting only a band around the crossing. The band comes from a
    strided sample of about 2,048 elements (its weighted quantiles, scaled to the whole); one pass over
    ``t`` checks that the crossing lies inside it, and a full sort decides when it does not (an
    unrepresentative sample costs time, never the result). Equal ``t`` may be summed in any order, as
    with the sort.
    """
    size = t.size
    if size > _SELECT_MIN:
        stride = size // (_SELECT_MIN // 2)
        sample_t, sample_w = t[::stride], weight[::stride]
        order = np.argsort(-sample_t)
        sample_total = float(sample_w.sum())
        if sample_total > 0:
            csum = np.cumsum(sample_w[order]) * (total / sample_total)
            mid = int(np.searchsorted(csum, limit, side="right"))
            last = order.size - 1
            high = float(sample_t[order[mid - _BAND]]) if mid >= _BAND else np.inf
            low = float(sample_t[order[mid + _BAND]]) if mid + _BAND <= last else -np.inf
            above = t > high
            filled = float(weight[above].sum()) if high < np.inf else 0.0
            if filled <= limit:
                band = np.flatnonzero(~above & (t >= low))
                band_w = weight[band]
                band_order = np.argsort(-t[band])
                running = filled + np.cumsum(band_w[band_order])
                j = int(np.searchsorted(running, limit, side="right"))
                if j < band.size:
                    at = int(band[band_order[j]])
                    return at, float(running[j] - weight[at])
    order = np.argsort(-t)
    running = np.cumsum(weight[order])
    j = min(int(np.searchsorted(running, limit, side="right")), size - 1)
    at = int(order[j])
    return at, float(running[j] - weight[at])


def _inner(dual: LagrangianDual, lams: list[NDArray[np.float64]], others: list[int]) -> None:
    """Optimise the multipliers of the groups in ``others`` in place (block ascent)."""
    if len(others) == 1:
        lams[others[0]] = dual.solve_group(others[0], lams)
        return
    for _ in range(_MAX_CYCLES):
        changed = False
        for k in others:
            new = dual.solve_group(k, lams)
            if not changed and np.abs(new - lams[k]).max(initial=0.0) > 1e-9 * (1.0 + np.abs(new).max(initial=0.0)):
                changed = True
            lams[k] = new
        if not changed:
            break


def maximize_dual(
    problem: RepairProblem, segments: SegmentTable, deadline: float = np.inf, tolerance: float = DUAL_TOLERANCE
) -> DualResult:
    """Search the multipliers; return the best bound found.

    ``tolerance`` is the relative accuracy at which the budget search stops.
    """
    dual = LagrangianDual(problem, segments)
    lams = [np.zeros(g.n_rows) for g in problem.groups]
    budget = next((k for k, g in enumerate(problem.groups) if g.kind is RowKind.BUDGET), None)
    others = [k for k in range(len(problem.groups)) if k != budget]
    trials: list[tuple[float, float, list[NDArray[np.float64]]]] = []

    def evaluate(lam_budget: float) -> tuple[float, float]:
        if budget is not None:
            lams[budget] = np.array([lam_budget])
        if others:
            _inner(dual, lams, others)
        value, _, on = dual.evaluate(lams)
        grad = 0.0 if budget is None else dual.budget_usage(budget, on, others) - float(dual.rhs[budget][0])
        trials.append((value, grad, [lam.copy() for lam in lams]))
        return value, grad

    v_lo, g_lo = evaluate(0.0)
    if budget is not None and g_lo > 0:
        saved = [lam.copy() for lam in lams]
        lam_hi = float(dual.solve_group(budget, [np.zeros_like(lam) for lam in lams])[0])
        lams[:] = saved
        lo, hi = 0.0, max(lam_hi, 1e-12)
        v_hi, g_hi = evaluate(hi)
        for _ in range(60):
            if g_hi <= 0:
                break
            lo, v_lo, g_lo = hi, v_hi, g_hi
            hi *= 2.0
            v_hi, g_hi = evaluate(hi)
        _budget_search(evaluate, (lo, v_lo, g_lo), (hi, v_hi, g_hi), deadline, dual, tolerance)
    trials.sort(key=lambda item: -item[0])
    if len(others) > 1:  # capacity and supplier rows overlap: their block ascent may stall
        polished = _bundle_polish(dual, trials[0][2], trials[0][0], deadline)
        if polished is not None and polished[0] > trials[0][0]:
            value, lam_list, on = polished
            grad = 0.0 if budget is None else dual.budget_usage(budget, on, []) - float(dual.rhs[budget][0])
            trials.insert(0, (value, grad, lam_list))
    best_value, _, best = trials[0]
    return DualResult(tuple(best), best_value, dual.evaluations, dual)


def _bundle_polish(
    dual: LagrangianDual,
    start: list[NDArray[np.float64]],
    start_value: float,
    deadline: float,
    iterations: int = _BUNDLE_ITERATIONS,
) -> tuple[float, list[NDArray[np.float64]], NDArray[np.bool_]] | None:
    """Trust-region cutting planes over all multipliers, from the block-ascent point.

    With capacity and supplier rows both present, coordinate-block ascent can
    stop at a kink that is not the maximum. Each iteration adds the cut
    ``L(y) <= L(λ_k) + g_k (y - λ_k)`` to a small LP (one column per row plus
    the epigraph variable, solved incrementally by HiGHS) and moves to its
    maximiser inside a box around the best point; the box grows after an
    improving step and shrinks otherwise.
    """
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a dependency
        return None
    sizes = [lam.size for lam in start]
    splits = np.cumsum(sizes)[:-1]
    center = np.concatenate(start)
    n_dim = center.size
    best_value = start_value
    _, _, on = dual.evaluate(start)
    best_on = on
    grad = dual.usage_all(on) - np.concatenate(dual.rhs)
    highs = new_highs()
    radius = np.maximum(0.5 * center, 0.05 * max(float(center.max(initial=0.0)), 1e-9))
    highs.addVars(n_dim + 1, np.zeros(n_dim + 1), np.full(n_dim + 1, highspy.kHighsInf))
    highs.changeColCost(n_dim, -1.0)
    highs.changeColBounds(n_dim, -highspy.kHighsInf, highspy.kHighsInf)
    index = np.arange(n_dim + 1, dtype=np.int32)

    def add_cut(point: NDArray[np.float64], value: float, slope: NDArray[np.float64]) -> None:
        # t - slope . y <= value - slope . point
        highs.addRow(-highspy.kHighsInf, value - float((slope * point).sum()), n_dim + 1, index, np.r_[-slope, 1.0])

    add_cut(center, best_value, grad)
    tol = DUAL_TOLERANCE * max(abs(best_value), 1e-9)
    for _ in range(iterations):
        if time.perf_counter() > deadline:
            break
        lower = np.maximum(center - radius, 0.0)
        highs.changeColsBounds(n_dim, index[:-1], lower, center + radius)
        highs.run()
        solution = highs.getSolution()
        if not solution.value_valid:
            break
        trial = np.maximum(np.asarray(solution.col_value[:n_dim], dtype=np.float64), 0.0)
        predicted = float(solution.col_value[n_dim])
        if predicted - best_value <= tol and (radius <= np.maximum(np.abs(center), 1e-9)).all():
            break
        lams = np.split(trial, splits)
        value, _, on = dual.evaluate(lams)
        grad = dual.usage_all(on) - np.concatenate(dual.rhs)
        add_cut(trial, value, grad)
        if value > best_value + 0.1 * (predicted - best_value):  # serious step, then one exact block cycle
            center, best_value, best_on = trial, value, on
            radius = radius * 2.0
            for k in range(len(lams)):
                lams[k] = dual.solve_group(k, lams)
            value, _, on = dual.evaluate(lams)
            point = np.concatenate(lams)
            add_cut(point, value, dual.usage_all(on) - np.concatenate(dual.rhs))
            if value > best_value:
                center, best_value, best_on = point, value, on
        elif value < best_value - 0.5 * (predicted - best_value):  # poor model far away: shrink
            radius = radius * 0.7
    return best_value, np.split(center, splits), best_on


def _budget_search(
    evaluate: Callable[[float], tuple[float, float]],
    low: tuple[float, float, float],
    high: tuple[float, float, float],
    deadline: float,
    dual: LagrangianDual,
    tolerance: float,
) -> None:
    """Safeguarded cutting-plane search for the budget multiplier on ``[lo, hi]``.

    ``low`` has a positive supergradient (budget over-used), ``high`` a
    non-positive one; the maximiser of the concave ``φ`` lies in between and
    below the intersection of the two tangents, which gives the stopping rule.
    The next trial is midway between that intersection and the root of the
    slope interpolated between the ends; a bisection step replaces it when two
    steps did not halve the bracket.
    """
    lo, v_lo, g_lo = low
    hi, v_hi, g_hi = high
    widths = [np.inf, np.inf]
    floor = 1e-9 * (abs(dual.seg.base_cost) + 1.0)
    for _ in range(_MAX_OUTER):
        if g_hi >= 0 or g_lo <= 0:
            break
        cross = (v_hi - v_lo + g_lo * lo - g_hi * hi) / (g_lo - g_hi)
        cross = min(max(cross, lo), hi)
        upper = v_lo + g_lo * (cross - lo)
        best = max(v_lo, v_hi)
        span = hi - lo
        if upper - best <= tolerance * max(abs(best), floor) or span < 1e-14 * max(hi, 1e-300):
            break
        if time.perf_counter() > deadline:
            break
        secant = lo + g_lo / (g_lo - g_hi) * span  # where the slope is interpolated to cross 0
        trial = 0.5 * (secant + cross) if span <= 0.5 * widths[-2] else 0.5 * (lo + hi)
        trial = min(max(trial, lo + 1e-4 * span), hi - 1e-4 * span)
        widths.append(span)
        value, grad = evaluate(trial)
        if grad > 0:
            lo, v_lo, g_lo = trial, value, grad
        else:
            hi, v_hi, g_hi = trial, value, grad
