"""Greedy filling along the hull segments, and the ranking prices it uses.

The add-back of :mod:`hybridinv.repair.primal` offers every SKU only its *next*
move, so a first pass accepts every cheap first move (often a minimum order
with a surplus) before any SKU's better second move is seen. Here every
remaining part of every hull segment is a candidate at once, ranked by
deviation cost saved per unit of priced resource; on one SKU the ratios fall
from segment to segment (the hull is convex and the SKU's price per lot is one
number), so a plain sort respects the order in which a SKU's segments must be
taken, and a segment is only kept while the SKU's earlier segments are taken in
full. The acceptance is the conservative one of the add-back (every earlier
candidate counts in full against a row's slack), so rows never become over-used.

The ranking price matters when the Lagrangian prices are *degenerate*: with the
repair's default weights ``under = shortage_cost`` and a shortage cost
proportional to the unit cost, every unit below the desired quantity saves the
same amount per unit of budget, the budget multiplier equals that ratio and
every such segment is a tie. Any plan that spends the budget on them is optimal
for the relaxation, but only some of those plans fit the capacity rows, and the
Lagrangian prices (capacity price ≈ 0) cannot tell which. :func:`ranking_prices`
adds a small *pressure* term, each row's resource per lot relative to the row's
right-hand side, which breaks the ties in favour of SKUs that use little of the
rows (the classic multi-dimensional knapsack greedy).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from hybridinv.repair.hull import SegmentTable
from hybridinv.repair.model import RepairProblem

__all__ = ["PRESSURE_SHARES", "fill_segments", "ranking_prices"]

#: Weights of the pressure term (relative to the mean Lagrangian price) of the extra fills.
PRESSURE_SHARES = (0.01,)
_FILL_PASSES = 8
_TOL = 1e-9


def ranking_prices(problem: RepairProblem, mu: NDArray[np.float64], share: float) -> NDArray[np.float64]:
    """Per-lot ranking price ``μ_i + share · μ̄ · p_i / p̄``.

    ``p_i = Σ_g coef_gi / rhs_g[row_gi]`` is the share of its rows one lot of SKU
    ``i`` uses, ``μ̄`` and ``p̄`` are the means over the SKUs that can order
    (``p`` alone when every price is 0).
    """
    pressure = np.zeros(problem.n_skus)
    for group in problem.groups:
        inside = group.member >= 0
        rhs = group.rhs[np.maximum(group.member, 0)]
        pressure += np.where(inside & (rhs > 0), group.coef / np.where(rhs > 0, rhs, 1.0), 0.0)
    active = problem.upper_lots >= 1
    if not active.any():
        return mu
    mean_pressure = float(pressure[active].mean())
    if mean_pressure <= 0:
        return mu
    mean_price = float(mu[active].mean())
    scale = share * mean_price / mean_pressure if mean_price > 0 else 1.0 / mean_pressure
    return mu + scale * pressure



def _group_cumsum(key: NDArray[np.int64], amount: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inclusive cumulative sum of ``amount`` within runs of equal ``key`` (``key`` sorted)."""
    csum = np.cumsum(amount)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    before = np.r_[0.0, csum][starts]
    return csum - np.repeat(before, np.diff(np.r_[starts, key.size]))


def _row_room(
    row: NDArray[np.int64], demand: NDArray[np.float64], slack: NDArray[np.float64], n_rows: int
) -> NDArray[np.float64]:
    """Slack of each candidate's row left after every earlier candidate (in the given order) in full."""
    if n_rows == 1:
        return slack[0] - (np.cumsum(demand) - demand)
    order = np.argsort(row, kind="stable")
    before = np.empty_like(demand)
    before[order] = _group_cumsum(row[order], demand[order]) - demand[order]
    return slack[row] - before


def _slacks(problem: RepairProblem, lots: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    return [g.rhs + g.tolerance() - g.usage(lots) for g in problem.groups]


def _candidates(
    problem: RepairProblem, segments: SegmentTable, lots: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]:
    """Remaining parts of the hull segments above ``lots``: (segment, from, lots, divisible, saving)."""
    seg = segments
    now = lots[seg.sku]
    start = np.maximum(now, seg.start)
    length = seg.start + seg.length - start
    idx = np.flatnonzero(length > 0)
    sku, start, length = seg.sku[idx], start[idx], length[idx]
    saving = problem.deviation_cost_at(sku, start) - problem.deviation_cost_at(sku, start + length)
    divisible = seg.divisible[idx] | (start > seg.start[idx])
    return idx, start, length, divisible, saving


def fill_segments(
    problem: RepairProblem,
    segments: SegmentTable,
    lots: NDArray[np.float64],
    prices: NDArray[np.float64],
    passes: int = _FILL_PASSES,
) -> NDArray[np.float64]:
    """Add whole lots along the hull segments, best saving per unit of ``prices`` first.

    Parameters
    ----------
    problem : RepairProblem
    segments : SegmentTable
    lots : array of float
        A feasible plan (every row holds) in ``{0} ∪ [min_lots, upper_lots]``.
    prices : array of float
        Per-lot ranking price of each SKU (:func:`ranking_prices`).
    passes : int
        Rounds of ranking and acceptance.

    Returns
    -------
    array of float
        A feasible plan with at most the cost of ``lots``.
    """
    lots = np.asarray(lots, dtype=np.float64).copy()
    floor = 1e-12 * (1.0 + float(prices.max(initial=0.0)))
    for _ in range(passes):
        idx, _, length, divisible, saving = _candidates(problem, segments, lots)
        sku = segments.sku[idx]
        slacks = _slacks(problem, lots)
        least = np.where(divisible, np.minimum(length, 1.0), length)
        fits = saving > _TOL * (1.0 + problem.under_weight[sku])
        for group, slack in zip(problem.groups, slacks, strict=True):
            inside = group.member[sku] >= 0
            fits &= ~inside | (group.coef[sku] * least <= slack[np.maximum(group.member[sku], 0)])
        if not fits.any():
            break
        ratio = saving / (length * (prices[sku] + floor))
        order = np.flatnonzero(fits)
        order = order[np.lexsort((segments.position[idx[order]], -ratio[order]))]
        want = length[order]
        allowed = want.copy()
        for group, slack in zip(problem.groups, slacks, strict=True):
            member = group.member[sku[order]]
            inside = member >= 0
            coef = np.where(inside, group.coef[sku[order]], 0.0)
            demand = coef * want
            room = _row_room(np.maximum(member, 0), demand, slack, group.n_rows)
            fit = np.floor(room / np.where(coef > 0, coef, 1.0) + 1e-9)
            cap = np.where(divisible[order], np.clip(fit, 0.0, want), np.where(room >= demand, want, 0.0))
            allowed = np.minimum(allowed, np.where(coef > 0, cap, want))
        taken = np.zeros(idx.size)
        taken[order] = np.maximum(allowed, 0.0)
        # a segment counts only while every earlier segment of its SKU is taken in full
        by_sku = np.lexsort((segments.start[idx], sku))
        short = (taken < length)[by_sku].astype(np.float64)
        earlier_short = _group_cumsum(sku[by_sku], short) - short
        taken[by_sku[earlier_short > 0]] = 0.0
        if not (taken > 0).any():
            break
        lots += np.bincount(sku, weights=taken, minlength=lots.size)
    return lots
