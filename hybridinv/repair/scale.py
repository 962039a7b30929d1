"""Proportional scaling: what a pure-RL agent does with orders that break the rules."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core import Catalog, Constraints, InventoryState
from hybridinv.repair.inputs import build_problem

__all__ = ["proportional_scale"]


def proportional_scale(
    orders: ArrayLike,
    catalog: Catalog,
    state: InventoryState,
    constraints: Constraints,
    expected_demand: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Scale raw orders down proportionally until capacity, supplier and budget rows hold.

    Negative orders become 0 and orders are capped at ``max_order``. Then every
    over-used capacity row (receipt period) and supplier row scales its SKUs'
    orders by ``limit / usage`` (a negative capacity residual scales to 0), the
    budget row scales all orders by ``budget / spend``, and the result is rounded
    down to whole units. Rows therefore hold, but minimum order quantities and
    lot sizes are **ignored**: the result can contain orders below the MOQ or not
    a multiple of the lot size. This is the pure-RL baseline; use
    :func:`~hybridinv.repair.repair_orders` for plans that respect every rule.

    Parameters
    ----------
    orders : array of float, shape (n,)
        Raw order quantities aligned with the catalog.
    catalog, state, constraints
        As for :func:`~hybridinv.repair.repair_orders`.
    expected_demand : array, shape (n,) or (n, H), optional
        Forecast for the capacity projection (default ``catalog.demand_mean``, NaN → 0).

    Returns
    -------
    array of float, shape (n,)
        Whole-unit orders.

    Raises
    ------
    PlanningError
        For NaN orders, a misaligned state or a bad forecast.
    """
    problem = build_problem(orders, catalog, state, constraints, expected_demand=expected_demand)
    units = np.minimum(problem.desired, catalog.max_order)
    factor = np.ones(catalog.n_skus)
    for group in problem.groups:  # capacity, budget and supplier rows, in that order
        per_unit = np.where(group.member >= 0, group.coef / catalog.lot_size, 0.0)
        usage = np.bincount(np.maximum(group.member, 0), weights=per_unit * units * factor, minlength=group.n_rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            shrink = np.where(usage > group.rhs, group.rhs / usage, 1.0)
        factor *= np.where((group.member >= 0) & (per_unit > 0), shrink[np.maximum(group.member, 0)], 1.0)
    scaled = units * factor
    return np.where(factor < 1.0, np.floor(scaled), np.floor(scaled + 1e-9))
