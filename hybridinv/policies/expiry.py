"""Expiry of perishable stock in the lot-sizing model, with the simulator's oldest-first (FIFO) issuing.

A unit of SKU ``i`` with shelf life ``m_i`` received in period ``a`` is usable in periods
``a .. a + m_i - 1`` and expires at the end of the last of them; a unit on hand at the start
with ``j + 1`` periods of life left (the simulator's age bucket ``j``) is usable in periods
``0 .. j``. The simulator issues the oldest units first, so the stock left after serving is
always the youngest units received, and the stock it keeps at the end of period ``t`` is the
smaller of the stock left after serving and the in-date units: those received in the last
``m_i - 1`` periods (``t - m_i + 2 .. t``) and those on hand at the start with more than
``t + 1`` periods of life left. The rest (all of it from the oldest cohort) expires. For each
perishable SKU and period the model gets a waste variable ``v_it >= 0``, an outflow of the
period's balance row priced at the waste cost, and one row::

    x_it <= sum_{j > t} o_ij + sum_{a = max(0, t-m_i+2)}^{t} (scheduled_ia + new orders received_ia)

(``o_ij`` the units on hand with ``j + 1`` periods of life left). Given the sales, the least
waste the rows allow is the simulator's FIFO waste, ``max(stock after serving - in-date units, 0)``,
and units cannot be sold after their expiry. The model may throw units away earlier than the
simulator would, which saves it only the holding cost of units that expire unsold anyway
(so its optimum with fixed orders is the simulator's cost without holding costs, and at most
that cost with them: tests/policies/test_mpc.py). The purchase of an expired unit is paid and
never credited (it is not in the stock left at the horizon's end), so an expired unit costs
its unit cost plus the waste cost, as in the simulator's ledger. Non-perishable SKUs get no
variable and no row: their model is unchanged.

The rows are as many as the balance rows of the perishable SKUs. Tracking each receipt cohort
with its own issue variables (``O(T m)`` columns per SKU instead of ``O(T)``) forbids early
disposal but lets the model issue the freshest units first, an error of the same kind and size;
solved to optimality the two gave the same first-period orders on the ``perishable`` scenario, but
at MPC's 1% MIP gap the larger model's incumbents cost more in simulation (docs/policies.md).

References
----------
Nahmias, S. (1982). Perishable inventory theory: a review. *Operations Research* 30(4), 680-708.
Pierskalla, W. P. and Roach, C. D. (1972). Optimal issuing policies for perishable inventory.
*Management Science* 18(11), 603-614.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from hybridinv.policies.lot_sizing import LotSizingProblem, _Builder

__all__ = ["add_expiry", "in_date_units"]


def in_date_units(p: LotSizingProblem, sku: NDArray[np.int64]) -> NDArray[np.float64]:
    """Units of ``sku`` on hand or on order that are still in date at the end of each period, shape (k, T).

    The stock on hand with more than ``t + 1`` periods of life left (all of it with the full
    shelf life when ``on_hand_life`` is None, as the simulator's initial stock) plus the open
    orders received in the last ``m - 1`` periods (``t - m + 2 .. t``).
    """
    assert p.shelf_life is not None
    n, periods = p.shape
    life = np.asarray(p.shelf_life, dtype=np.int64)[sku]
    t = np.arange(periods)
    if p.on_hand_life is None:
        on_hand = p.on_hand[sku, None] * (t[None, :] + 1 < life[:, None])
    else:
        by_life = np.asarray(p.on_hand_life, dtype=np.float64)[sku]
        # longer[:, j]: units with more than j periods of life left (a zero column past the last)
        longer = np.concatenate([np.cumsum(by_life[:, ::-1], axis=1)[:, ::-1], np.zeros((sku.size, 1))], axis=1)
        on_hand = longer[:, np.minimum(t + 1, longer.shape[1] - 1)]
    cumulative = np.concatenate([np.zeros((sku.size, 1)), np.cumsum(p.scheduled[sku], axis=1)], axis=1)
    oldest = np.maximum(t[None, :] - life[:, None] + 2, 0)  # the first receipt period still in date at the end of t
    received = cumulative[:, 1:] - np.take_along_axis(cumulative, oldest, axis=1)
    return np.asarray(on_hand + received, dtype=np.float64)


def add_expiry(
    b: _Builder, p: LotSizingProblem, v: dict[str, Any], stock: NDArray[np.int64], balance: NDArray[np.int64],
    weight: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    """Waste columns and in-date rows of the perishable SKUs; ``(skus, waste columns (k, T))``, or None.

    None without perishable SKUs (nothing is added). ``balance`` holds the balance row of each SKU
    and period, ``stock`` the end-of-period stock columns.
    """
    if p.shelf_life is None:
        return None
    n, periods = p.shape
    life = np.asarray(p.shelf_life, dtype=np.int64)
    sku = np.flatnonzero(life > 0)
    if sku.size == 0:
        return None
    cost = np.zeros(n) if p.waste_cost is None else np.broadcast_to(np.asarray(p.waste_cost, dtype=np.float64), (n,))
    waste = b.block(np.zeros((sku.size, periods)), np.inf, cost[sku, None] * weight[None, :])
    b.entries(balance[sku], waste, 1.0)
    first = b.add_rows(sku.size * periods, -np.inf, in_date_units(p, sku).ravel())
    rows = first + np.arange(sku.size * periods).reshape(sku.size, periods)
    b.entries(rows, stock[sku], 1.0)
    # a new order received in a is in date at the end of a .. a + m - 2
    local, placed = np.nonzero(v["possible"][sku])
    arrive = v["arrival"][sku[local], placed]
    delivered = v["delivered"] is not None
    column = (v["delivered"] if delivered else v["lots"])[sku[local], placed]
    units = np.ones(local.size) if delivered else p.lot_size[sku[local]]
    for later in range(min(int(life[sku].max()) - 1, periods)):  # a loop over periods, vectorized over SKUs
        keep = (later < life[sku[local]] - 1) & (arrive + later < periods)
        b.entries(rows[local[keep], arrive[keep] + later], column[keep], -units[keep])
    return sku, waste
