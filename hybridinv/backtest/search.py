"""Best static (s, S) and base-stock levels per series by exhaustive search on a replay.

The classical baselines of a backtest are fitted the way a careful analyst would fit
them with hindsight of the *training* window: every candidate ``(s, S)`` pair of a
grid is simulated on the recorded training demand of its series, and the cheapest
pair is kept. The simulation runs over candidates x series at once (arrays of shape
(series, candidates)), with the period order and costs of the simulator
(:mod:`hybridinv.sim.simulator`): orders placed, arrivals after the lead time
received, demand served (lost or backordered), holding charged on the end-of-period
stock, the purchase cost per unit and the fixed cost per order charged when ordering.
Capacity and budget are not part of the fit: they are shared by all series, and the
repair layer enforces them when the fitted policy runs.

The grid has two stages: a coarse grid spanning no stock to 1.3 times the largest
demand over the protection interval (and order quantities up to the larger of
twice the EOQ and that demand), then a fine grid around the coarse optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import PlanningError, number_array, scalar_or_array, whole_number, whole_numbers
from hybridinv.core.limits import MAX_QUANTITY

__all__ = ["StaticFit", "demand_window", "fit_static_base_stock", "fit_static_ss", "replay_costs"]


@dataclass(frozen=True)
class StaticFit:
    """Fitted static levels per series.

    Attributes
    ----------
    reorder_point, order_up_to : arrays, shape (n,)
        ``s`` and ``S`` (a base-stock level ``B`` is ``s = B - 1``, ``S = B``).
    train_cost : array, shape (n,)
        Average cost per period of the chosen levels on the training replay.
    candidates : int
        Number of (s, S) pairs simulated per series.
    """

    reorder_point: NDArray[np.float64]
    order_up_to: NDArray[np.float64]
    train_cost: NDArray[np.float64]
    candidates: int


def replay_costs(
    demand: NDArray[np.float64],
    catalog: Catalog,
    reorder_point: NDArray[np.float64],
    order_up_to: NDArray[np.float64],
    lost_sales: bool = True,
    warmup: int | None = None,
) -> NDArray[np.float64]:
    """Average cost per period of static ``(s, S)`` candidates on a recorded demand path.

    Parameters
    ----------
    demand : array, shape (T, n)
        Recorded demand per period and series (NaN read as 0).
    catalog : Catalog
        Costs and lead times of the ``n`` series.
    reorder_point, order_up_to : arrays, shape (n, G)
        ``G`` candidate pairs per series: order ``S - IP`` when the inventory position
        ``IP <= s``.
    lost_sales : bool
    warmup : int, optional
        Periods excluded from the average (default: longest lead time + 1). Each
        candidate starts with ``S`` on hand and nothing on order.

    Returns
    -------
    array, shape (n, G)

    Raises
    ------
    PlanningError
        Naming ``demand`` (not of shape (T, n) for the catalog's ``n`` series, negative, infinite
        or above :data:`~hybridinv.core.limits.MAX_QUANTITY`), ``reorder_point`` or ``order_up_to``
        (NaN, infinite, not of shape (n, G) or of different shapes) or ``warmup``.
    """
    y = np.nan_to_num(demand_window(demand, catalog), nan=0.0)
    periods, n = y.shape
    low = np.asarray(scalar_or_array(reorder_point, "reorder_point"), dtype=np.float64)
    high = np.asarray(scalar_or_array(order_up_to, "order_up_to"), dtype=np.float64)
    if low.shape != high.shape or low.ndim != 2 or low.shape[0] != n:
        raise PlanningError(f"candidates must have shape ({n}, G), both reorder_point {low.shape} and order_up_to "
                            f"{high.shape}", column="order_up_to")
    lead = catalog.lead_time.astype(np.int64)
    width = int(lead.max()) + 1
    skip = width if warmup is None else whole_number(warmup, "warmup")  # -1 divided by periods + 1
    if periods <= skip:
        raise PlanningError(f"the replay needs more than {skip} periods", column="demand", value=periods)
    rows = np.arange(n)
    pipe = np.zeros((width, n, low.shape[1]))
    on_hand = np.maximum(high, 0.0).copy()
    back = np.zeros_like(on_hand)
    total = np.zeros_like(on_hand)
    hold = catalog.holding_cost[:, None]
    short_cost = catalog.shortage_cost[:, None]
    unit = catalog.unit_cost[:, None]
    fixed = catalog.order_cost[:, None]
    for t in range(periods):
        position = on_hand + pipe.sum(axis=0) - back
        order = np.where(position <= low, np.maximum(high - position, 0.0), 0.0)
        pipe[(t + lead) % width, rows] += order
        slot = t % width
        on_hand += pipe[slot]
        pipe[slot] = 0.0
        if not lost_sales:
            cleared = np.minimum(on_hand, back)
            on_hand -= cleared
            back -= cleared
        need = y[t][:, None]
        served = np.minimum(on_hand, need)
        on_hand -= served
        short = need - served
        if not lost_sales:
            back += short
        if t >= skip:
            penalty = short if lost_sales else back
            total += hold * on_hand + short_cost * penalty + unit * order + fixed * (order > 0)
    result: NDArray[np.float64] = total / (periods - skip)
    return result


def demand_window(demand: object, catalog: Catalog, column: str = "demand") -> NDArray[np.float64]:
    """``demand`` as a float array of shape (T, n) for the catalog's ``n`` series: NaN (not observed) or
    finite numbers from 0 to :data:`~hybridinv.core.limits.MAX_QUANTITY` (negative demand gave NaN levels,
    infinite demand overflowed, a width other than the catalog's failed in a numpy broadcast).

    Raises
    ------
    PlanningError
        Naming ``column``, and for a bad number the series (as ``sku``), the period and the value.
    """
    y = number_array(demand, column)
    if y.ndim != 2 or y.shape[1] != catalog.n_skus:
        raise PlanningError(f"{column} must have shape (T, {catalog.n_skus}): periods x the catalog's series",
                            column=column, value=y.shape)
    bad = ~np.isnan(y) & ~((y >= 0.0) & (y <= MAX_QUANTITY))
    if bad.any():
        period, series = (int(k) for k in np.argwhere(bad)[0])
        raise PlanningError(f"{column} must be finite, >= 0 and at most {MAX_QUANTITY:g} (NaN: not observed; "
                            f"period {period})", column=column, sku=str(catalog.sku[series]),
                            value=float(y[period, series]))
    return y


def _grid_points(value: object, column: str) -> tuple[int, int]:
    """``value`` as a pair of whole numbers >= 1 (grid points: 0 left nothing to choose from, 2.5 was a
    TypeError inside numpy)."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise PlanningError("must be a pair of whole numbers >= 1 (grid points)", column=column, value=value)
    first, second = whole_numbers(value, column, 1)
    return first, second


def _span(demand: NDArray[np.float64], lead: NDArray[np.int64]) -> NDArray[np.float64]:
    """Largest demand over any ``L + 1`` consecutive periods, per series."""
    y = np.nan_to_num(demand, nan=0.0)
    cum = np.vstack([np.zeros((1, y.shape[1])), np.cumsum(y, axis=0)])
    periods = y.shape[0]
    width = np.minimum(lead + 1, periods)
    ends = np.arange(1, periods + 1)[:, None]
    starts = np.maximum(ends - width[None, :], 0)
    sums = np.take_along_axis(cum, ends.repeat(y.shape[1], axis=1), axis=0) - np.take_along_axis(cum, starts, axis=0)
    return np.asarray(sums.max(axis=0), dtype=np.float64)


def _eoq(demand: NDArray[np.float64], catalog: Catalog) -> NDArray[np.float64]:
    observed = np.isfinite(demand)
    # a series not observed in the training window orders on a mean of 0 (nanmean warned "Mean of empty slice")
    mean = np.where(observed, demand, 0.0).sum(axis=0) / np.maximum(observed.sum(axis=0), 1)
    hold = np.maximum(catalog.holding_cost, 1e-12)
    return np.asarray(np.sqrt(2.0 * catalog.order_cost * mean / hold), dtype=np.float64)


def _grid(low: NDArray[np.float64], high: NDArray[np.float64], points: int) -> NDArray[np.float64]:
    """``points`` integers per series from ``low`` to ``high`` (shape (n, points); may repeat)."""
    u = np.linspace(0.0, 1.0, points)[None, :]
    return np.asarray(np.round(low[:, None] + u * (high - low)[:, None]), dtype=np.float64)


def _search(
    demand: NDArray[np.float64],
    catalog: Catalog,
    levels: NDArray[np.float64],
    gaps: NDArray[np.float64],
    lost_sales: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Cheapest (level, gap) pair per series: order up to ``level - 1 + gap`` when ``IP <= level - 1``."""
    n = demand.shape[1]
    lv = np.repeat(levels, gaps.shape[1], axis=1)
    gp = np.tile(gaps, (1, levels.shape[1]))
    cost = replay_costs(demand, catalog, lv - 1.0, lv - 1.0 + gp, lost_sales)
    best = np.argmin(cost, axis=1)
    rows = np.arange(n)
    return lv[rows, best], gp[rows, best], cost[rows, best]


def fit_static_ss(
    demand: NDArray[np.float64],
    catalog: Catalog,
    lost_sales: bool = True,
    coarse: tuple[int, int] = (41, 16),
    fine: tuple[int, int] = (21, 11),
) -> StaticFit:
    """Best static (s, S) per series on the recorded ``demand`` (training window, shape (T, n)).

    Parameters
    ----------
    demand : array, shape (T, n)
    catalog : Catalog
    lost_sales : bool
    coarse, fine : (int, int)
        Grid points for the level ``s + 1`` and the order quantity ``S - s`` in the
        coarse and the fine stage.

    Returns
    -------
    StaticFit

    Raises
    ------
    PlanningError
        Naming ``demand`` (not of shape (T, n), negative or infinite; NaN is "not observed"), or
        ``coarse`` or ``fine`` when not a pair of whole numbers >= 1.
    """
    return _fit(demand, catalog, lost_sales, _grid_points(coarse, "coarse"), _grid_points(fine, "fine"),
                batches=True)


def fit_static_base_stock(
    demand: NDArray[np.float64], catalog: Catalog, lost_sales: bool = True, points: tuple[int, int] = (121, 21)
) -> StaticFit:
    """Best static base-stock level per series on the recorded ``demand`` (coarse, fine grid points).

    ``demand`` and ``points`` are checked as :func:`fit_static_ss` checks ``demand`` and ``coarse``
    (a PlanningError naming them).
    """
    first, second = _grid_points(points, "points")
    return _fit(demand, catalog, lost_sales, (first, 1), (second, 1), batches=False)


def _fit(
    demand: NDArray[np.float64],
    catalog: Catalog,
    lost_sales: bool,
    coarse: tuple[int, int],
    fine: tuple[int, int],
    batches: bool,
) -> StaticFit:
    y = demand_window(demand, catalog)
    lead = catalog.lead_time.astype(np.int64)
    top = np.ceil(1.3 * _span(y, lead)) + 1.0
    n = y.shape[1]
    zeros = np.zeros(n)
    ones = np.ones(n)
    gap_top = np.maximum(np.ceil(np.maximum(2.0 * _eoq(y, catalog), _span(y, lead))), 1.0) if batches else ones
    levels = _grid(zeros, top, coarse[0])
    gaps = _grid(ones, gap_top, coarse[1]) if batches else ones[:, None]
    level, gap, _ = _search(y, catalog, levels, gaps, lost_sales)
    level_step = np.maximum(np.ceil(top / max(coarse[0] - 1, 1)), 1.0)
    gap_step = np.maximum(np.ceil((gap_top - 1.0) / max(coarse[1] - 1, 1)), 1.0)
    levels = _grid(np.maximum(level - level_step, 0.0), level + level_step, fine[0])
    gaps = _grid(np.maximum(gap - gap_step, 1.0), gap + gap_step, fine[1]) if batches else ones[:, None]
    level, gap, cost = _search(y, catalog, levels, gaps, lost_sales)
    candidates = coarse[0] * coarse[1] + fine[0] * fine[1]
    return StaticFit(reorder_point=level - 1.0, order_up_to=level - 1.0 + gap, train_cost=cost, candidates=candidates)
