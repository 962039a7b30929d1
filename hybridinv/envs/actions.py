"""Mapping of normalized actions in [-1, 1] to orders or (s, S) targets."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.sim.observation import Observation

__all__ = ["ACTION_VERSION", "MAX_ORDER_PERIODS", "bounded_outputs", "orders_from_action", "targets_from_action"]

#: Bumped whenever the action mapping changes (stored in model metadata).
ACTION_VERSION = 1
#: Largest order of the pure-RL action, in periods of demand.
MAX_ORDER_PERIODS = 6.0
#: Range of the safety factor z of the reorder point.
SAFETY_RANGE = 3.0
#: Largest gap S - s, in periods of demand.
MAX_GAP_PERIODS = 6.0


def orders_from_action(action: NDArray[np.floating], scale: NDArray[np.float64]) -> NDArray[np.float64]:
    """Raw pure-RL orders: ``(a + 1) / 2 * MAX_ORDER_PERIODS * scale``, rounded."""
    a = np.clip(np.asarray(action, dtype=np.float64).reshape(-1), -1.0, 1.0)
    return np.rint((a + 1.0) * 0.5 * MAX_ORDER_PERIODS * scale)


def targets_from_action(
    action: NDArray[np.floating], obs: Observation, scale: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-SKU ``(s, S)`` from a normalized action of shape (n, 2).

    ``s = mu_P + z * sigma_P`` with ``z = 3 a_0`` (mu_P, sigma_P: forecast mean and
    standard deviation over the protection interval of L + 1 periods) and
    ``S = s + (a_1 + 1) / 2 * 6 * scale``. ``a_1 = -1`` gives ``S = s``, a base-stock
    policy with level ``s``; larger ``a_1`` batches orders (fixed costs, MOQs).
    """
    a = np.clip(np.asarray(action, dtype=np.float64).reshape(-1, 2), -1.0, 1.0)
    mean, std = obs.protection_forecast()
    reorder = np.maximum(mean + SAFETY_RANGE * a[:, 0] * std, 0.0)
    up_to = reorder + (a[:, 1] + 1.0) * 0.5 * MAX_GAP_PERIODS * scale
    return reorder, up_to


def bounded_outputs(action: NDArray[np.floating], low: ArrayLike, high: ArrayLike) -> NDArray[np.float64]:
    """Per-SKU outputs in ``[low, high]`` from a normalized action in ``[-1, 1]``, shape (n, k).

    Piecewise linear with zero kept at zero: ``a * high`` for ``a >= 0`` and ``-a * low``
    for ``a < 0`` (``low <= 0 <= high``, one bound per output), so a zero action is a zero
    output (the base of a correcting parameterization) and the bounds may be asymmetric.

    Examples
    --------
    >>> bounded_outputs(np.array([1.0, -0.5, 0.0, -1.0]), [-2, -2, -1, -2], [1.5, 1, 1, 1]).tolist()
    [[1.5, -1.0, 0.0, -2.0]]
    """
    lower = np.asarray(low, dtype=np.float64)
    upper = np.asarray(high, dtype=np.float64)
    if (lower.shape != upper.shape or lower.ndim != 1 or not (np.isfinite(lower).all() and np.isfinite(upper).all())
            or np.any(lower > 0) or np.any(upper < 0)):  # infinite bounds made the zero action (the base) NaN
        raise PlanningError("output bounds must be finite: two vectors of one length with low <= 0 <= high",
                            column="output_low")
    a = np.clip(np.asarray(action, dtype=np.float64).reshape(-1, lower.size), -1.0, 1.0)
    return np.where(a >= 0.0, a * upper, -a * lower)
