"""Serving demand from age-bucketed stock, oldest first (FIFO), and the expiry it causes.

:func:`serve_fifo_and_age` is the simulator's step for it; :func:`expected_outdating` runs the same step on
the forecast to estimate the units that expire before a new order arrives
(:attr:`hybridinv.sim.observation.Observation.expiring_before_arrival`, the ``plan()`` column of that name, and
:attr:`~hybridinv.sim.observation.Observation.usable_position`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["ROUNDING", "expected_outdating", "serve_fifo_and_age"]


#: Relative rounding within which stock covers a need (0.7 + 0.1 units against a demand of 0.8: the float sum
#: is 0.7999999999999999). Far above the rounding of a few sums, far below a whole unit up to 1e12 units.
ROUNDING = 1e-12


def serve_fifo_and_age(
    stock: NDArray[np.float64],
    demand: NDArray[np.float64],
    backorders: NDArray[np.float64] | None,
    perishable: NDArray[np.bool_],
    buckets: int,
    whole: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """Serve demand from age-bucketed stock, oldest first, then age the stock (all in place).

    ``stock`` has the age buckets on axis 0 (any trailing shape: SKUs, or episodes x SKUs);
    ``backorders`` is None under lost sales, else the open backlog (served first, updated).
    Returns ``(served, short, waste, cleared)``: new demand served, new demand short, units
    expired (bucket 0 of the perishable SKUs) and the backlog cleared (None under lost sales).

    Stock that covers the need (demand plus backlog) up to a relative :data:`ROUNDING` covers
    it: the need is served in full and no stock is left (fractional stock of 0.1 and 0.2 units
    in two age buckets against a demand of 0.3, or 0.7 and 0.1 against 0.8, was a stockout of
    1e-16 units, a backlog of 1e-16 units kept for ever, or a residue that expired later).
    ``whole=True`` (every quantity a whole number, so every sum exact) skips that test.
    """
    need = demand if backorders is None else demand + backorders
    cum = np.cumsum(stock, axis=0)  # FIFO: oldest (least life left) first
    total = cum[-1]
    if whole:
        taken = np.minimum(need, total)
        remaining = np.maximum(cum - taken, 0.0)
    else:
        exact = np.abs(need - total) <= ROUNDING * need
        covered = exact | (total > need)
        taken = np.where(covered, need, total)
        remaining = np.where(exact, 0.0, np.maximum(cum - taken, 0.0))
    stock[0] = remaining[0]
    stock[1:] = np.diff(remaining, axis=0)
    cleared = None
    if backorders is None:
        served = taken
        short = demand - served
    else:
        cleared = np.minimum(taken, backorders)
        if whole:
            served = taken - cleared
            short = demand - served
            backorders += short - cleared
        else:  # covered: demand served and backlog cleared exactly (need - backlog is not always demand)
            served = np.where(covered, demand, taken - cleared)
            short = np.where(covered, 0.0, demand - served)
            backorders[...] = np.where(covered, 0.0, backorders + short - cleared)
    # age: perishable SKUs lose bucket 0 (expired) and shift down one bucket; a
    # non-perishable SKU keeps all its stock in bucket 0 and zeros above, so
    # shifting the upper buckets of every row leaves it unchanged
    waste = np.where(perishable, stock[0], 0.0)
    if buckets > 1:
        stock[0] = np.where(perishable, stock[1], stock[0])
        stock[1:-1] = stock[2:]
        stock[-1] = 0.0
    else:
        stock[0] -= waste
    return served, short, waste, cleared


def expected_outdating(
    on_hand: NDArray[np.float64],
    pipeline: NDArray[np.float64],
    demand: NDArray[np.float64],
    backorders: NDArray[np.float64] | None,
    shelf_life: NDArray[np.int64],
    lead_time: NDArray[np.int64],
    stock_by_life: NDArray[np.float64] | None = None,
    lost_sales: bool = False,
) -> NDArray[np.float64]:
    """Units of each perishable SKU that expire before an order placed now arrives, at the forecast demand.

    The simulator's own period (:func:`serve_fifo_and_age`) run on the forecast: for the periods
    ``0 .. L_i - 1`` of SKU ``i`` (its lead time ``L_i``), the open orders due arrive with the full
    shelf life, the forecast demand (and first the backlog) is served oldest first, and what is left of
    the oldest age bucket expires; the result is the sum of those expiries. Under ``lost_sales`` demand
    short in a period is lost (a backlog in the state is still served first: ``plan()`` takes it off the
    position either way). This is the correction of the *estimated withdrawal and aging* (EWA) policy of
    Broekmeulen and van Donselaar (2009): a perishable SKU's inventory position less the units it expects
    to lose before its next receipt. Demand at its mean leaves less unsold than a random demand of that mean
    would (``max(stock - D, 0)`` is convex in ``D``), so the estimate errs low.

    Shapes: ``on_hand`` and ``backorders`` (..., n) (None: no backlog), ``pipeline``
    (..., n, W) (``[..., i, k]`` arrives in ``k`` periods), ``demand`` (..., n, H) (its last period
    repeated beyond ``H``), ``shelf_life`` and ``lead_time`` (n,) (0: not perishable, no expiry),
    ``stock_by_life`` (B, ..., n) the on-hand stock by periods of life left as the simulator's age
    buckets (None: every unit on hand is fresh, good for the full shelf life, as ``plan()`` takes it).
    Returns (..., n), 0 for SKUs that do not perish.

    References
    ----------
    Broekmeulen, R. A. C. M. and van Donselaar, K. H. (2009). A heuristic to manage perishable inventory
    with batch ordering, positive lead-times, and time-varying demand. *Computers & Operations Research*
    36(11), 3013-3018.

    Examples
    --------
    100 units of a 2-period life, demand 5 a period, lead time 3: 10 are sold, 90 expire at the end of period 1.

    >>> expected_outdating(np.array([100.0]), np.zeros((1, 1)), np.full((1, 4), 5.0), None,
    ...                    np.array([2]), np.array([3])).tolist()
    [90.0]
    """
    on_hand = np.asarray(on_hand, dtype=np.float64)
    out = np.zeros(on_hand.shape)
    life = np.asarray(shelf_life, dtype=np.int64)
    lead = np.asarray(lead_time, dtype=np.int64)
    # fresh stock (no ages) and orders, which arrive fresh, outlive the lead time when the life is longer: nothing
    # of such a SKU expires before its order arrives (10,000 SKUs of a 365-period life ran 52 periods for nothing)
    sku = np.flatnonzero((life > 0) & (life <= lead) if stock_by_life is None else life > 0)
    lead = lead[sku]
    if sku.size == 0 or int(lead.max()) <= 0:
        return out
    life = life[sku]
    buckets = int(life.max()) if stock_by_life is None else max(int(life.max()), stock_by_life.shape[0])
    shape = on_hand[..., sku].shape
    # fresh[j, ..., i]: whether a unit of SKU i received now has j + 1 periods of life left (j = life - 1)
    fresh = (np.arange(buckets)[:, None] == life[None, :] - 1).reshape((buckets,) + (1,) * (len(shape) - 1) + (-1,))
    stock = np.zeros((buckets,) + shape)
    if stock_by_life is None:
        stock += fresh * on_hand[..., sku]
    else:
        stock[:stock_by_life.shape[0]] = np.asarray(stock_by_life, dtype=np.float64)[..., sku]
    owed = None if backorders is None else np.array(np.asarray(backorders, dtype=np.float64)[..., sku])
    perishable = np.ones(sku.size, dtype=bool)
    total = np.zeros(shape)
    width, known = pipeline.shape[-1], demand.shape[-1]
    for k in range(int(lead.max())):
        if k < width:
            stock += fresh * pipeline[..., sku, k]
        waste = serve_fifo_and_age(stock, np.array(demand[..., sku, min(k, known - 1)]), owed, perishable, buckets)[2]
        total += np.where(k < lead, waste, 0.0)
        if lost_sales and owed is not None:  # the state's backlog was served first; new shortfalls are lost
            owed[...] = 0.0
    out[..., sku] = total
    return out
