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
        demand = np.repeat(demand[:, None], max(horizon, 1), axis=1)
    out = np.empty((n, horizon))
    width = pipeline.shape[1]
    start = on_hand - (backorders if backorders is not None else 0.0)
    out[:, 0] = np.maximum(start + pipeline[:, 0], 0.0)
    for k in range(1, horizon):
        arrivals = pipeline[:, k] if k < width else 0.0
        prev_demand = demand[:, min(k - 1, demand.shape[1] - 1)]
        out[:, k] = np.maximum(out[:, k - 1] - prev_demand, 0.0) + arrivals
    return out


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
    residual = capacity - (volume[:, None] * projected).sum(axis=0)  # not a BLAS gemv: no thread wake-ups
    return CapacityRows(row=row, residual=np.asarray(residual, dtype=np.float64), projected=projected)
