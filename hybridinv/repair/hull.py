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
    """Closed-form lower convex hull of each SKU's ``(lots, cost)`` points.

    Computed for every SKU (those fixed at 0 keep no segment): gathering the others and
    scattering back cost more than the arithmetic. Lot counts are whole numbers, so the
    selections below are exact arithmetic on them (a random-mask ``np.where`` or
    ``np.choose`` costs 4-8 times a product at a million SKUs).
    """
    n = problem.n_skus
    lot, target, under = problem.lot_size, problem.desired, problem.under_weight
    upper, least_lots = problem.upper_lots, problem.min_lots  # upper is 0 or >= min_lots >= 1
    active = upper >= 1
    ratio = target / lot
    x2 = np.clip(np.floor(ratio + 1e-9), least_lots, upper)  # min_lots > upper = 0: clip gives 0
    x3 = np.clip(np.ceil(ratio - 1e-9), least_lots, upper)
    f0 = under * target
    f1, f2, f3 = (problem.deviation_cost(x) for x in (least_lots, x2, x3))
    with np.errstate(divide="ignore", invalid="ignore"):  # x2 = x3 = 0 where fixed at 0 (no segment kept)
        s1, s2, s3 = (f1 - f0) / least_lots, (f2 - f0) / x2, (f3 - f0) / x3
    # the first segment runs from 0 to the point of least slope (the leftmost at a tie)
    least = np.minimum(np.minimum(s1, s2), s3)
    to_x1 = s1 == least
    to_x2 = (s2 == least) & ~to_x1
    length = np.empty((3, n))
    slope = np.empty((3, n))
    np.subtract(least_lots, x3, out=length[0])
    length[0] *= to_x1
    part = np.subtract(x2, x3)
    part *= to_x2
    length[0] += part
    length[0] += x3
    np.subtract(x2, least_lots, out=length[1])
    length[1] *= to_x1
    np.subtract(x3, x2, out=length[2])
    length[2] *= to_x1 | to_x2
    slope[0] = least
    with np.errstate(divide="ignore", invalid="ignore"):
        np.subtract(f2, f1, out=slope[1])
        slope[1] /= x2 - least_lots
    np.subtract(f3, f2, out=slope[2])
    # the slopes of one SKU rise left to right in exact arithmetic; rounding can make a later one a hair steeper
    # (-17.547 after -17.546999999999997 on the linear stretch past a MOQ), and at a price between the two the
    # subproblem took the second segment without the first: 1 lot against a minimum of 2. Lowering the earlier
    # slope to the later one keeps the hull below the points, so the bound stays a bound.
    later = np.where(length[2] > 0, slope[2], np.inf)
    np.minimum(slope[1], later, out=slope[1])
    np.minimum(slope[0], np.where(length[1] > 0, slope[1], later), out=slope[0])
    keep = (length > 0) & (slope < 0)
    keep &= active
    # segments position-major (all first segments, then the second ones, ...), SKUs ascending within
    sku = [np.flatnonzero(row) for row in keep]
    counts = [k.size for k in sku]
    x1 = least_lots * active
    first = sku[0]
    return SegmentTable(
        sku=np.concatenate(sku),
        start=np.concatenate([np.zeros(counts[0]), x1[sku[1]], x2[sku[2]]]),
        length=np.concatenate([row[k] for row, k in zip(length, sku, strict=True)]),
        slope=np.concatenate([row[k] for row, k in zip(slope, sku, strict=True)]),
        position=np.repeat(np.arange(3, dtype=np.int64), counts),
        divisible=np.concatenate([x1[first] <= 1, np.ones(counts[1] + counts[2], dtype=bool)]),
        base_cost=float(f0.sum()),
        x1=x1,
        x2=x2,
        x3=x3,
    )


def solution_lots(segments: SegmentTable, mu: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """Lots chosen by the Lagrangian subproblems at prices ``μ`` (ties resolved to fewer lots)."""
    on = segments.slope + mu[segments.sku] < 0
    return np.bincount(segments.sku[on], weights=segments.length[on], minlength=n).astype(np.float64)
