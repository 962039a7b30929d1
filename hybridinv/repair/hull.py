"""Closed-form lower convex hull of each SKU's deviation cost (the fast path's subproblems).

For SKU ``i`` the relaxed subproblem is ``min_m f_i(m) + μ_i m`` over
``m ∈ {0} ∪ [min_lots, upper_lots]`` with a per-lot price ``μ_i >= 0``. Its
minimum is attained at a vertex of the lower convex hull of the points
``(m, f_i(m))``; with ``x1 = min_lots`` and ``x2 <= x3`` the lot counts bracketing
``d_i / L_i`` only the points ``0, x1, x2, x3`` can be vertices (``f_i`` is convex
on ``[x1, upper]`` and linear between ``x1`` and ``x2``). The hull is at most
three *segments* with increasing slopes, computed for all SKUs at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hybridinv.repair.model import RepairProblem

__all__ = ["SegmentTable", "lower_hull", "solution_lots"]


@dataclass(frozen=True, eq=False)
class SegmentTable:
    """Lower-hull segments of every SKU's deviation cost, flattened.

    Segments of one SKU are stored left to right. Only segments with a negative
    slope are kept (the others are never used when prices are non-negative).

    Attributes
    ----------
    sku : array of int, shape (E,)
    start, length : array of float, shape (E,)
        Left end and length of the segment in lots.
    slope : array of float, shape (E,)
        Cost change per lot along the segment (< 0).
    position : array of int, shape (E,)
        0, 1 or 2 from the left.
    divisible : array of bool, shape (E,)
        Whether every whole lot count inside the segment is feasible at the
        linear cost (false for a jump from 0 over a minimum order).
    base_cost : float
        ``sum_i f_i(0)``.
    x1, x2, x3 : array of float, shape (n,)
        Per SKU: smallest positive order, and the lot counts bracketing the
        desired quantity (clipped to ``[x1, upper_lots]``; 0 when fixed at 0).
    """

    sku: NDArray[np.int64]
    start: NDArray[np.float64]
    length: NDArray[np.float64]
    slope: NDArray[np.float64]
    position: NDArray[np.int64]
    divisible: NDArray[np.bool_]
    base_cost: float
    x1: NDArray[np.float64]
    x2: NDArray[np.float64]
    x3: NDArray[np.float64]


def lower_hull(problem: RepairProblem) -> SegmentTable:
    """Closed-form lower convex hull of each SKU's ``(lots, cost)`` points."""
    n = problem.n_skus
    act = np.flatnonzero(problem.upper_lots >= 1)
    lot, target = problem.lot_size[act], problem.desired[act]
    under, over = problem.under_weight[act], problem.over_weight[act]
    upper = problem.upper_lots[act]
    x1 = problem.min_lots[act]
    ratio = target / lot
    x2 = np.clip(np.floor(ratio + 1e-9), x1, upper)
    x3 = np.clip(np.ceil(ratio - 1e-9), x1, upper)

    def cost(lots: NDArray[np.float64]) -> NDArray[np.float64]:
        gap = target - lot * lots
        return np.where(gap > 0, under * gap, -over * gap)

    f0 = under * target
    f1, f2, f3 = cost(x1), cost(x2), cost(x3)
    s1, s2, s3 = (f1 - f0) / x1, (f2 - f0) / x2, (f3 - f0) / x3
    first = np.where((s1 <= s2) & (s1 <= s3), 0, np.where(s2 <= s3, 1, 2))
    length = np.stack(
        [np.choose(first, [x1, x2, x3]), np.where(first == 0, x2 - x1, 0.0), np.where(first <= 1, x3 - x2, 0.0)]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.stack([np.choose(first, [s1, s2, s3]), (f2 - f1) / (x2 - x1), f3 - f2])
    keep = (length > 0) & (slope < 0)
    # flat indices into the (3, active) tables: position-major, as np.nonzero orders them, and 1-d gathers
    flat = np.flatnonzero(keep)
    pos = flat // max(act.size, 1)
    local = flat - pos * act.size
    sku = act[local]
    start = np.stack([np.zeros(act.size), x1, x2])
    if act.size == n:
        full = np.stack([x1, x2, x3])
    else:
        full = np.zeros((3, n))
        full[:, act] = np.stack([x1, x2, x3])
    return SegmentTable(
        sku=sku.astype(np.int64),
        start=start.reshape(-1)[flat],
        length=length.reshape(-1)[flat],
        slope=slope.reshape(-1)[flat],
        position=pos.astype(np.int64),
        divisible=(pos > 0) | (x1[local] <= 1),
        base_cost=float((problem.under_weight * problem.desired).sum()),
        x1=full[0],
        x2=full[1],
        x3=full[2],
    )


def solution_lots(segments: SegmentTable, mu: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """Lots chosen by the Lagrangian subproblems at prices ``μ`` (ties resolved to fewer lots)."""
    on = segments.slope + mu[segments.sku] < 0
    return np.bincount(segments.sku[on], weights=segments.length[on], minlength=n).astype(np.float64)
