"""Projected stock at future receipt periods: the capacity rows shared by the
repair layer, the simulator's violation check and the environments' observations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["CapacityRows", "capacity_rows", "project_on_hand"]


def project_on_hand(
    on_hand: NDArray[np.float64],
    pipeline: NDArray[np.float64],
    expected_demand: NDArray[np.float64],
    horizon: int,
    backorders: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Projected on-hand stock after receipts in each of the next ``horizon`` periods.

    ``x[:, 0] = max(0, on_hand - backorders + pipeline[:, 0])`` and
    ``x[:, k] = max(0, x[:, k-1] - f[:, k-1]) + pipeline[:, k]`` where ``f`` is the
    expected demand per period. New orders are not included.

    Parameters
    ----------
    on_hand : array, shape (n,)
    pipeline : array, shape (n, W)
        Open orders by periods until arrival.
    expected_demand : array, shape (n, >= horizon - 1) or (n,)
        Expected demand per future period (a 1-D array is taken as constant).
    horizon : int
        Number of receipt periods (max lead time + 1).
    backorders : array, shape (n,), optional
    """
    n = on_hand.shape[0]
    demand = np.asarray(expected_demand, dtype=np.float64)
    if demand.ndim == 1:
        demand = demand[:, None]
    # built period by period in contiguous rows (a column of an (n, horizon) array is a strided pass)
    out = np.empty((horizon, n))
    width = pipeline.shape[1]
    if backorders is None:
        np.add(on_hand, pipeline[:, 0], out=out[0])
    else:
        np.subtract(on_hand, backorders, out=out[0])
        out[0] += pipeline[:, 0]
    np.maximum(out[0], 0.0, out=out[0])
    for k in range(1, horizon):
        np.subtract(out[k - 1], demand[:, min(k - 1, demand.shape[1] - 1)], out=out[k])
        np.maximum(out[k], 0.0, out=out[k])
        if k < width:
            out[k] += pipeline[:, k]
    return out.T


@dataclass(frozen=True)
class CapacityRows:
    """Capacity rows of one ordering decision.

    Attributes
    ----------
    row : array of int, shape (n,)
        Receipt period of each SKU's new order (its planned lead time); each SKU
        appears in exactly one capacity row.
    residual : array of float, shape (K,)
        Capacity left in each receipt period for new orders:
        ``capacity - sum_i volume_i * projected_i(k)``. May be negative when the
        projected stock already exceeds the capacity.
    projected : array of float, shape (n, K)
        Projected on-hand stock at each receipt period without new orders.
    """

    row: NDArray[np.int64]
    residual: NDArray[np.float64]
    projected: NDArray[np.float64]


def capacity_rows(
    volume: NDArray[np.float64],
    lead_time: NDArray[np.int64],
    on_hand: NDArray[np.float64],
    pipeline: NDArray[np.float64],
    expected_demand: NDArray[np.float64],
    capacity: float,
    backorders: NDArray[np.float64] | None = None,
) -> CapacityRows:
    """Build the capacity rows: for each receipt period ``k``,
    ``sum_{i: L_i = k} volume_i * order_i <= residual[k]``.

    With all lead times 0 this is ``sum(volume * (on_hand + order)) <= capacity``
    (open orders due now included).
    """
    row = np.asarray(lead_time, dtype=np.int64)
    horizon = int(row.max()) + 1 if row.size else 1
    projected = project_on_hand(on_hand, pipeline, expected_demand, horizon, backorders)
    # the column sums of a C-ordered (n, horizon) product, as before the projection was built period by
    # period: numpy adds those in an order of its own (pairwise for small arrays, SKU after SKU for large
    # ones), and a residual a few ulps off flips ties in the repair and changes simulated paths. Not a
    # BLAS gemv (no thread wake-ups)
    residual = capacity - np.multiply(volume[:, None], projected, order="C").sum(axis=0)
    return CapacityRows(row=row, residual=np.asarray(residual, dtype=np.float64), projected=projected)
