"""(R, Q) / (s, nQ) and capped base-stock policies.

Both order something other than "up to a level", so they override
:meth:`~hybridinv.policies.base.TargetPolicy.decide` but still pass their raw
orders through the repair layer (``finalize``) on constrained scenarios.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, inventory_level, number_in, scalar_or_array
from hybridinv.core.limits import MAX_ORDER, MAX_QUANTITY
from hybridinv.core.lots import lots_covering
from hybridinv.policies.base import (
    Decision,
    TargetPolicy,
    explain_fitted,
    fit_basis,
    fitted_on,
    mark_fitted,
    per_sku,
    record_fit_basis,
)
from hybridinv.policies.newsvendor import DemandStatistics, critical_fractile, demand_statistics, fit_source

if TYPE_CHECKING:
    from hybridinv.core.catalog import Catalog
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "RQ",
    "CappedBaseStock",
    "ForecastCappedBaseStock",
    "backorder_reorder_point",
    "capped_orders",
    "check_repair_weights",
    "economic_order_quantity",
    "net_margin",
    "shortfall_weights",
]


def capped_orders(level: ArrayLike, position: ArrayLike, cap: ArrayLike) -> NDArray[np.float64]:
    """Whole-unit capped base-stock orders ``ceil(min(max(level - position, 0), cap))``.

    The ordering rule shared by :class:`CappedBaseStock`, :class:`ForecastCappedBaseStock`
    and the hybrid agents built on them (``position`` may be a weighted position).
    """
    desired = np.minimum(np.maximum(np.asarray(level) - np.asarray(position), 0.0), cap)
    return np.asarray(np.ceil(desired - 1e-9), dtype=np.float64)


def ordering_point(level: ArrayLike) -> NDArray[np.float64]:
    """The reorder point reported for the capped base-stock rule: the largest whole position that orders.

    The rule orders while the position is below ``level``; with a fractional level (11.5) a
    position of 11 orders, so ``level - 1`` (10.5) called it "above the reorder point".
    """
    return np.asarray(np.ceil(np.asarray(level, dtype=np.float64) - 1e-9) - 1.0, dtype=np.float64)


def economic_order_quantity(
    mean: ArrayLike, order_cost: ArrayLike, holding_cost: ArrayLike, lot_size: ArrayLike = 1.0,
    shelf_life: ArrayLike = 0.0, ahead: ArrayLike | None = None, expiry_cost: ArrayLike = 0.0,
) -> NDArray[np.float64]:
    """EOQ ``sqrt(2 K mu / h)`` rounded up to whole lots (at least one lot), at most
    :data:`~hybridinv.core.limits.MAX_QUANTITY` before the rounding, and for a perishable SKU at most the
    demand of its shelf life.

    A batch of a SKU with shelf life ``m`` is capped at ``mu m`` before the rounding (``m >= 2``): more
    expires unsold whatever the rest of the rule does, and the EOQ's holding-cost trade-off does not price
    waste. With ``m = 1`` the batch is one lot: the reorder level covers the period an order arrives in,
    the batch the periods after it, and a unit of a 1-period life cannot serve those (the same caps as
    :class:`~hybridinv.policies.forecast_ss.ForecastSS`'s batch). Until 2026-12-07 the (s, S) and (R, Q)
    batches ignored the shelf life (docs/policies.md, *Perishables*).

    With ``ahead`` — the stock a batch arrives on top of, sold before it (first in, first out) — the batch is
    chosen by its cost per period among whole lots up to that cap (:func:`perishable_batch`): the order cost
    ``K`` against the units that expire. A rule that reorders at ``s`` receives its batch on about
    ``s + 1 - mu L`` units (a period's demand and the safety stock: the level covers the period the order
    arrives in), so a batch of ``mu m`` left about that much to expire every cycle (the (s, S) rule on the
    registered ``perishable`` scenario wasted 5,796 units in 104 periods without a warehouse or budget,
    base-stock 773); where an order costs much more than the units (``K = 50``, ``c = 1``, demand 5, life 2)
    ordering every second period and throwing some away is still cheaper, and the batch stays ``mu m``.

    The bound matters only for absurd ratios (an ``order_cost`` of 1e50, or ``holding_cost`` 0 —
    read as 1e-12 — beside a large order cost and demand): the batch was then beyond
    :data:`~hybridinv.core.limits.MAX_ORDER` and ``plan()`` refused the policy's order.

    Parameters
    ----------
    mean : array_like
        Demand per period ``[mu]``.
    order_cost : array_like
        Fixed cost per order ``[K]``.
    holding_cost : array_like
        Holding cost per unit and period ``[h]``.
    lot_size : array_like
        Orders are multiples of this.
    shelf_life : array_like
        Periods a unit can be sold for after it arrives, 0 for SKUs that do not perish.
    ahead : array_like, optional
        Stock on hand when a perishable SKU's batch arrives, sold before it (the reorder point + 1 less the
        lead time's demand); None: the batch is the capped EOQ.
    expiry_cost : array_like
        Cost of a unit that expires unsold (its purchase plus any waste cost), with ``ahead``.

    References
    ----------
    Harris, F. W. (1913). How many parts to make at once. *Factory* 10(2).
    Zipkin, P. (2000). *Foundations of Inventory Management*, sec. 3.2.

    Examples
    --------
    >>> economic_order_quantity(100.0, 50.0, 1.0).tolist()  # sqrt(2 * 50 * 100 / 1) = 100
    [100.0]
    """
    mu = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    fixed = np.asarray(order_cost, dtype=np.float64)
    hold = np.maximum(np.asarray(holding_cost, dtype=np.float64), 1e-12)
    lot = np.asarray(lot_size, dtype=np.float64)
    eoq = np.minimum(np.sqrt(2.0 * fixed * np.maximum(mu, 0.0) / hold), MAX_QUANTITY)
    life = np.asarray(shelf_life, dtype=np.float64)
    plain = np.maximum(lots_covering(eoq, lot), 1.0) * lot
    if not (life > 0).any():
        return plain
    rate = np.maximum(mu, 0.0)
    whole = rate * np.where(life == 1, 0.0, life)  # the shelf life's demand (one lot for a 1-period life)
    capped = np.maximum(lots_covering(np.minimum(eoq, whole), lot), 1.0) * lot
    if ahead is not None:
        capped = perishable_batch(rate, fixed, hold, lot, life, ahead, expiry_cost, capped)
    return np.where(life > 0, capped, plain)


#: Candidate batches of :func:`perishable_batch` per SKU (fractions of the cap), and SKUs per block of the search.
_BATCH_POINTS = 33
_BATCH_BLOCK = 32_768


def perishable_batch(
    mean: ArrayLike, order_cost: ArrayLike, holding_cost: ArrayLike, lot_size: ArrayLike, shelf_life: ArrayLike,
    ahead: ArrayLike, expiry_cost: ArrayLike, cap: ArrayLike,
) -> NDArray[np.float64]:
    """The batch of a perishable (s, S) / (R, Q) rule: the cheapest per period of 33 whole-lot batches up to ``cap``.

    A rule whose batch ``Q`` arrives on ``B`` units (``ahead``, sold first) orders every ``T = max(Q / mu, 1)``
    periods and pays per period ``(K + e W) / T + h Q / 2``, where ``W`` is what expires of a cycle's stock,
    ``max(B' + max(Q, mu) - mu m, 0)``: the stock before the receipt ``B'`` and the batch (at least a period's
    demand: a rule orders every period then), less the demand of the batch's shelf life ``m``; ``e`` is
    ``expiry_cost``. ``B' = B - 1 + Q - mu`` when ``Q < mu`` (the position falls a period's demand below the
    order-up-to level every period) and ``B - 1 - mu / 2`` otherwise (it crosses the reorder point half a
    period's demand low, on average). A rough renewal model, not a policy optimum: it ranks batches, and
    measured on the registered ``perishable`` scenario and four generated catalogs it ranked them as
    simulation did (docs/policies.md, *Perishables*). ``cap`` (whole lots, the shelf life's demand) bounds the
    search; arrays of shape (n,), scalars broadcast.
    """
    values = [np.asarray(v, dtype=np.float64)
              for v in (mean, order_cost, holding_cost, lot_size, shelf_life, ahead, expiry_cost, cap)]
    shape = np.broadcast_shapes(*(v.shape for v in values))  # a scalar shelf life beside per-SKU demand too
    rate, fixed, hold, lot, life, before, waste, top = (np.broadcast_to(v, shape).reshape(-1) for v in values)
    n = life.size
    out = np.array(top, dtype=np.float64)
    steps = np.linspace(0.0, 1.0, _BATCH_POINTS)[:, None]
    for lo in range(0, n, _BATCH_BLOCK):  # 33 candidates per SKU: blocks keep a million SKUs' search small
        rows = slice(lo, min(lo + _BATCH_BLOCK, n))
        mu, unit = rate[rows], lot[rows]
        batch = np.maximum(lots_covering(steps * top[rows], unit), 1.0) * unit
        cycle = np.maximum(batch / np.maximum(mu, 1e-12), 1.0)
        left = np.maximum(before[rows] - 1.0 + np.where(batch < mu, batch - mu, -mu / 2.0), 0.0)
        expired = np.maximum(left + np.maximum(batch, mu) - mu * life[rows], 0.0)
        cost = (fixed[rows] + waste[rows] * expired) / cycle + hold[rows] * batch / 2.0
        out[rows] = batch[np.argmin(cost, axis=0), np.arange(batch.shape[1])]
    return np.where(life > 0, out, top).reshape(shape)


def receipt_stock(st: DemandStatistics, level: ArrayLike | None = None) -> NDArray[np.float64] | None:
    """The stock a perishable SKU's batch arrives on top of, ``level - mu L`` (None without perishable SKUs).

    ``level`` is where the rule reorders plus one (default: the critical fractile's quantile of the demand
    over ``L + 1`` periods, the base-stock level):
    the position then holds the lead time's demand and the stock that is left when the batch arrives, a
    period's demand and the safety stock. The ``ahead`` of :func:`economic_order_quantity`.
    """
    life = np.asarray(st.shelf_life, dtype=np.float64)
    if not (life > 0).any():
        return None
    if level is None:
        level = st.quantile(st.lead_time + 1.0, st.fractile())
    return np.asarray(np.maximum(np.asarray(level, dtype=np.float64) - st.mean * st.lead_time, 0.0),
                      dtype=np.float64)


def _statistics(source: Scenario | Observation | DemandStatistics) -> DemandStatistics:
    return source if isinstance(source, DemandStatistics) else demand_statistics(source)


#: Points of the order-up-to window at which :func:`backorder_reorder_point` averages the demand distribution.
_WINDOW_POINTS = 64


def backorder_reorder_point(st: DemandStatistics, batch: NDArray[np.float64]) -> NDArray[np.float64]:
    """The cost-minimizing reorder point of (r, Q) with backorders charged ``p`` per unit and period.

    After ordering the position is uniform on ``r+1..r+Q``, so the cost per period is
    ``(1/Q) sum_{y=r+1}^{r+Q} G(y)`` plus ordering, with ``G`` the newsvendor cost of the demand over
    ``L+1`` periods; as ``G(y+1) - G(y) = (h + p) F(y) - p`` it is least at the smallest ``r`` whose window
    has ``mean F >= p / (p + h)`` (Zipkin 2000, sec. 6.5). ``r`` lies between the base-stock level less
    ``Q + 1`` and the base-stock level less 1 and is found by bisection, the window's mean from at most
    :data:`_WINDOW_POINTS` evenly spread levels.
    """
    periods = st.lead_time + 1.0
    target = critical_fractile(st.holding_cost, st.shortage_cost)
    top = np.ceil(st.quantile(periods, target)) - 1.0  # its window starts at the base-stock level: mean F >= target
    size = np.maximum(np.ceil(batch), 1.0)
    low, high = top - size - 1.0, top  # the window ending below the level: mean F < target
    points = int(min(float(size.max(initial=1.0)), _WINDOW_POINTS))
    k = np.arange(points, dtype=np.float64)[None, :]
    small = size[:, None] <= points  # every level of the window, else evenly spread ones
    offsets = np.where(small, k, np.floor((k + 0.5) * size[:, None] / points))
    counted = np.where(small, k < size[:, None], True)

    def window_mean(r: NDArray[np.float64]) -> NDArray[np.float64]:
        cdf = st.cdf(periods, r[:, None] + 1.0 + offsets)
        return np.asarray((cdf * counted).sum(axis=1) / counted.sum(axis=1), dtype=np.float64)

    while bool(np.any(high - low > 1.0)):
        middle = np.floor((low + high) / 2.0)
        enough = window_mean(middle) >= target
        high = np.where(enough, middle, high)
        low = np.where(enough, low, middle)
    return high


class RQ(TargetPolicy):
    """(R, Q) policy, periodic review (the (s, nQ) policy).

    When the inventory position ``IP`` is at or below the reorder point ``r``,
    order the smallest multiple of ``Q`` that lifts ``IP`` above ``r``:
    ``q = Q * ceil((r - IP + 1) / Q)``.

    Parameters
    ----------
    reorder_point : float or array, optional
        ``[r]``; learned by :meth:`fit` when None.
    batch_size : float or array, optional
        ``[Q]``; learned by :meth:`fit` (EOQ rounded to lots and MOQ) when None.
    safety_factor : float or array
        Multiplier of the safety stock in the fitted reorder point.
    repair : str or None
        Repair backend, see :class:`~hybridinv.policies.base.TargetPolicy`.

    Notes
    -----
    :meth:`fit` sets ``Q`` to the EOQ (Harris 1913), rounded up to whole lots and
    at least the MOQ, and ``r`` to the lead-time-plus-review demand quantile at the
    fractile ``min(max(0.5, 1 - Q h / (p mu)), p / (p + h))`` minus one (so ``p / (p + h)``
    itself where that is below 0.5, i.e. ``p < h``): the classical
    "expected shortage per cycle" approximation (Hadley & Whitin 1963; Zipkin
    2000, sec. 6.5), which lowers the service level as the cycle ``Q / mu`` grows; this is
    for lost sales (``p`` per unit short). With backorders (``p`` per unit and period) ``r`` is
    the exact optimum for the fitted ``Q``, :func:`backorder_reorder_point`.

    References
    ----------
    Hadley, G. and Whitin, T. M. (1963). *Analysis of Inventory Systems*. Prentice-Hall.
    Zipkin, P. (2000). *Foundations of Inventory Management*, ch. 6.
    """

    name = "rq"

    def __init__(
        self,
        reorder_point: ArrayLike | None = None,
        batch_size: ArrayLike | None = None,
        safety_factor: ArrayLike = 1.0,
        repair: str | None = "auto",
    ) -> None:
        super().__init__(repair)
        self.reorder_point = None if reorder_point is None else inventory_level(reorder_point, "reorder_point")
        self.batch_size = (None if batch_size is None
                           else scalar_or_array(batch_size, "batch_size", 0.0, open_low=True, high=MAX_ORDER))
        self.safety_factor = scalar_or_array(safety_factor, "safety_factor")

    def fit(self, source: Scenario | Observation | DemandStatistics) -> RQ:
        """Learn ``reorder_point_`` and ``batch_size_`` from demand statistics; returns self."""
        source = fit_source(source, statistics=True)
        st = _statistics(source)
        n = st.mean.size
        if self.batch_size is None:
            batch = economic_order_quantity(st.mean, st.order_cost, st.holding_cost, st.lot_size, st.shelf_life,
                                            receipt_stock(st), st.expiry_cost)
            batch = np.maximum(batch, st.moq)
        else:
            batch = per_sku(self.batch_size, n, "batch_size")
        if (batch <= 0).any():
            raise PlanningError("batch_size must be > 0", column="batch_size")
        if self.reorder_point is None:
            mean, _ = st.over_periods(st.lead_time + 1.0)
            if st.lost_sales:
                cycle_fractile = 1.0 - batch * st.holding_cost / np.maximum(st.shortage_cost * st.mean, 1e-12)
                fractile = np.clip(cycle_fractile, 0.5, critical_fractile(st.holding_cost, st.shortage_cost))
                level = st.quantile(st.lead_time + 1.0, fractile)
            else:
                level = backorder_reorder_point(st, batch) + 1.0
            factor = per_sku(self.safety_factor, n, "safety_factor")
            # a hair of tolerance, as BaseStock's level: -0.9999999999999998 took the ceiling to 0 and r one unit up
            reorder = np.ceil(mean + factor * (level - mean) - 1e-9) - 1.0
        else:
            reorder = per_sku(self.reorder_point, n, "reorder_point")
        record_fit_basis(self, st if self.reorder_point is None else None)  # what plan() explains r + 1 against
        self.reorder_point_ = reorder
        self.batch_size_ = batch
        mark_fitted(self, source)
        return self

    def _fitted(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if not fitted_on(self, obs, getattr(self, "reorder_point_", None)):
            self.fit(obs)
        return self.reorder_point_, self.batch_size_

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        reorder, batch = self._fitted(obs)
        return reorder, reorder + batch

    def decide(self, obs: Observation) -> Decision:
        reorder, batch = self._fitted(obs)
        position = obs.inventory_position
        batches = np.where(position <= reorder, np.floor((reorder - position) / batch) + 1.0, 0.0)
        desired = batches * batch
        return explain_fitted(self, obs, self.finalize(desired, obs, reorder, reorder + batch))

    def __repr__(self) -> str:
        return f"RQ(reorder_point={self.reorder_point!r}, batch_size={self.batch_size!r})"


class CappedBaseStock(TargetPolicy):
    """Capped base-stock for lost sales: order ``min(max(S - IP, 0), cap)``.

    Parameters
    ----------
    level : float or array, optional
        Base-stock level ``[S]``; learned by :meth:`fit` when None.
    cap : float or array, optional
        Largest order per period ``[r]``; learned by :meth:`fit` when None.
    cap_factor : float
        Fitted cap is ``mu + cap_factor * sigma`` (one-period demand), at least
        one lot and the MOQ.
    safety_factor : float or array
        Multiplier of the safety stock in the fitted level.
    repair : str or None
        Repair backend, see :class:`~hybridinv.policies.base.TargetPolicy`.

    Notes
    -----
    Xin (2021) shows that the capped base-stock policy is asymptotically optimal
    for lost-sales systems as the lead time grows, and near-optimal in
    numerical tests; capping smooths orders, which matters when the uncapped
    policy overreacts to a run of lost sales. :meth:`fit` uses the level
    ``S = F^{-1}_{L+1}(p/(p+h))`` (the uncapped critical-fractile level), a heuristic
    that :mod:`hybridinv.policies.tuning` refines by simulation.

    References
    ----------
    Xin, L. (2021). Understanding the performance of capped base-stock policies in
    lost-sales inventory models. *Operations Research* 69(1), 61-70.
    Johansen, S. G. and Thorstenson, A. (2008). Pure and restricted base-stock
    policies for the lost-sales inventory system with periodic review and
    constant lead times. Working paper, Aarhus University.
    """

    name = "capped_base_stock"

    def __init__(
        self,
        level: ArrayLike | None = None,
        cap: ArrayLike | None = None,
        cap_factor: float = 1.0,
        safety_factor: ArrayLike = 1.0,
        repair: str | None = "auto",
    ) -> None:
        super().__init__(repair)
        self.level = None if level is None else inventory_level(level, "level")
        self.cap = None if cap is None else inventory_level(cap, "cap", low=0.0)
        self.cap_factor = scalar_or_array(cap_factor, "cap_factor", 0.0, open_low=True)
        self.safety_factor = scalar_or_array(safety_factor, "safety_factor")

    def fit(self, source: Scenario | Observation | DemandStatistics) -> CappedBaseStock:
        """Learn ``level_`` and ``cap_`` from demand statistics; returns self."""
        source = fit_source(source, statistics=True)
        st = _statistics(source)
        n = st.mean.size
        if self.cap is None:
            cap = np.ceil(st.mean + per_sku(self.cap_factor, n, "cap_factor") * st.std)
            cap = np.maximum(np.ceil(cap / st.lot_size) * st.lot_size, np.maximum(st.moq, st.lot_size))
        else:
            cap = per_sku(self.cap, n, "cap")
        if (cap <= 0).any():
            raise PlanningError("cap must be > 0", column="cap")
        if self.level is None:
            fractile = critical_fractile(st.holding_cost, st.shortage_cost)
            mean, _ = st.over_periods(st.lead_time + 1.0)
            quantile = st.quantile(st.lead_time + 1.0, fractile)
            factor = per_sku(self.safety_factor, n, "safety_factor")
            level = np.ceil(mean + factor * (quantile - mean))
        else:
            level = per_sku(self.level, n, "level")
        record_fit_basis(self, st if self.level is None else None)  # what plan() explains the level against
        self.level_ = level
        self.cap_ = cap
        mark_fitted(self, source)
        return self

    def _fitted(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if not fitted_on(self, obs, getattr(self, "level_", None)):
            self.fit(obs)
        return self.level_, self.cap_

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        level, _ = self._fitted(obs)
        return level - 1.0, level

    def decide(self, obs: Observation) -> Decision:
        from hybridinv.policies.explain import cut_by_cap, implied_explanation

        level, cap = self._fitted(obs)
        position = obs.inventory_position
        decision = self.finalize(capped_orders(level, position, cap), obs, ordering_point(level), level)
        basis = fit_basis(self, obs) or obs.protection_forecast()  # a fitted level: the demand it was fitted on
        decision.explanation = implied_explanation(level - 1.0, *basis, cap=cap,
                                                   capped=cut_by_cap(level - position, cap))
        return decision

    def __repr__(self) -> str:
        return f"CappedBaseStock(level={self.level!r}, cap={self.cap!r})"


def check_repair_weights(value: object) -> None:
    """Raise unless ``value`` names a repair-priority rule: ``"shortfall"`` or None (the repair defaults)."""
    if not (value is None or (isinstance(value, str) and value == "shortfall")):  # an array: "truth value ambiguous"
        raise PlanningError("repair_weights must be 'shortfall' or None", column="repair_weights", value=value)


def net_margin(catalog: Catalog, lost_sales: bool = True) -> NDArray[np.float64]:
    """What a unit short costs once purchases are charged: ``p - c`` with lost sales, ``p`` with backorders.

    The ledger charges the unit cost of every unit bought and the shortage cost of
    every unit lost, so under lost sales stocking a unit that sells saves ``p`` and
    costs ``c``; a backordered unit is bought anyway, later, so its shortage cost ``p``
    (per period it waits) is the whole saving.
    """
    if not lost_sales:
        return np.asarray(catalog.shortage_cost, dtype=np.float64)
    return np.asarray(catalog.shortage_cost - catalog.unit_cost, dtype=np.float64)


def shortfall_weights(
    obs: Observation,
    desired: ArrayLike,
    share: float = 0.5,
    floor: float = 0.02,
    net: bool = True,
    protection: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> NDArray[np.float64]:
    """State-dependent repair ``under_weight``: margin of a unit times the chance it is needed.

    ``w_i = m_i * max(P(D_i(L_i+1) > IP_i + share * d_i), floor)`` with ``D_i(L_i+1)``
    normal with the forecast mean and standard deviation over the lead time plus
    one period (``obs.protection_forecast()``), ``IP_i`` the inventory position,
    ``d_i`` the desired order and ``m_i`` the margin of a sale: ``p_i - c_i`` with
    ``net=True`` (a unit that is sold is paid for, so a lost sale costs its
    shortage cost minus the purchase it saved), else ``p_i``.

    With the default ``under_weight = p_i``, a binding capacity or budget row is
    spent on the SKUs with the highest ``p_i`` per unit of the row, filling some
    completely while others with little stock get nothing. Weighting by the
    probability that the *middle* unit of the desired order is still needed
    sends scarce capacity first to the SKUs that are closest to a stockout.
    ``protection`` replaces the forecast ``(mean, std)`` (e.g. a corrected forecast).
    """
    from scipy.stats import norm

    cat = obs.catalog
    desired = np.maximum(np.asarray(desired, dtype=np.float64), 0.0)
    mean, std = obs.protection_forecast() if protection is None else protection
    gap = obs.inventory_position + share * desired - mean
    need = norm.sf(gap / np.maximum(std, 1e-6))
    margin = np.maximum(cat.shortage_cost - cat.unit_cost, 0.0) if net else np.asarray(cat.shortage_cost, float)
    weights: NDArray[np.float64] = margin * np.clip(need, floor, 1.0) + 1e-3
    return weights


class ForecastCappedBaseStock(TargetPolicy):
    """Capped base-stock on the forecast: level and cap move with the forecast every period.

    ``S_it = mu_i(L_i+1) + z_i * sigma_i(L_i+1)`` (forecast mean and
    standard deviation over the lead time plus one period, seasonality and
    announced promotions included), ``r_it = cap_factor * (f_it + cap_std * s_it)`` (``f``, ``s``: the forecast
    of the period the order arrives in, ``L_i`` periods ahead) and
    ``q_it = ceil(min(max(S_it - IP_it, 0), r_it))``.

    The safety factor is ``z_i = safety_factor`` or, with a ``capacity_price``
    ``lambda`` on a catalog with a capacity, the capacity-priced critical fractile
    ``z_i = s * Phi^{-1}(m_i / (m_i + h_i + lambda * v_i))`` with ``m_i = p_i - c_i`` under lost
    sales, ``p_i`` with backorders (:func:`net_margin`), and ``s = safety_factor``, which keeps less
    safety stock of bulky, low-margin SKUs (``v`` volume, ``p`` shortage cost, ``c`` unit cost, ``h`` holding cost): a
    unit of stock costs its holding cost plus the shadow price of the space it takes.

    Parameters
    ----------
    safety_factor : float or array
        Standard deviations of lead-time demand kept as safety stock (a multiplier
        of the capacity-priced ``z_i`` when ``capacity_price`` is set). The default
        0.5 was chosen by simulation on ``multi_50`` (training seeds 200-219; 0.2 to
        1.5 tried): with binding capacity and budget less safety stock pays.
    capacity_price : float, optional
        ``[lambda]``, cost per unit of volume and period; None: a uniform ``z``.
        On ``multi_50``, ``capacity_price=5`` with ``safety_factor=1`` costs about
        0.8% less than the best uniform ``z`` (training seeds 200-219; 1-16 tried).
    cap_factor : float or array
        Largest order as a multiple of the forecast of the period the order arrives in plus ``cap_std``
        standard deviations of it (:meth:`~hybridinv.sim.observation.Observation.arrival_forecast`).
    cap_std : float
    repair_weights : {"shortfall", None}
        ``"shortfall"`` passes :func:`shortfall_weights` as the repair ``under_weight``;
        None uses the repair defaults.
    repair : str or None
        Repair backend, see :class:`~hybridinv.policies.base.TargetPolicy`.
    """

    name = "forecast_capped_base_stock"

    def __init__(
        self,
        safety_factor: ArrayLike = 0.5,
        cap_factor: ArrayLike = 1.6,
        cap_std: float = 1.0,
        capacity_price: float | None = None,
        repair_weights: str | None = "shortfall",
        repair: str | None = "auto",
    ) -> None:
        super().__init__(repair)
        check_repair_weights(repair_weights)
        self.safety_factor = scalar_or_array(safety_factor, "safety_factor")
        self.cap_factor = scalar_or_array(cap_factor, "cap_factor", 0.0, open_low=True)
        self.cap_std = number_in(cap_std, "cap_std", 0.0, math.inf)
        self.capacity_price = None if capacity_price is None else number_in(capacity_price, "capacity_price", 0.0,
                                                                             math.inf)
        self.repair_weights = repair_weights

    def safety(self, obs: Observation) -> NDArray[np.float64]:
        """The safety factor ``z_i`` per SKU (see the class notes)."""
        factor = per_sku(self.safety_factor, obs.n_skus, "safety_factor")
        if self.capacity_price is None or not obs.constraints.has_capacity:
            return factor
        from scipy.stats import norm

        cat = obs.catalog
        # p - c with lost sales, p with backorders (a backordered unit is bought anyway): p - c under backorders
        # cut a cheap-to-wait SKU's level by ~4 sigma (p 5, c 40: z -3.72 where p / (p + h) gives 1.34)
        margin = np.maximum(net_margin(cat, obs.lost_sales), 1e-9)
        fractile = margin / (margin + cat.holding_cost + float(self.capacity_price) * cat.volume)
        z: NDArray[np.float64] = factor * norm.ppf(np.clip(fractile, 1e-4, 1 - 1e-4))
        return z

    def parameters(
        self,
        obs: Observation,
        safety: NDArray[np.float64] | None = None,
        safety_shift: ArrayLike = 0.0,
        cap_multiplier: ArrayLike = 1.0,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """This period's ``(level, cap)`` per SKU, with optional per-SKU corrections.

        ``safety_shift`` is added to the safety factor ``z_i`` and ``cap_multiplier`` scales the
        cap (the defaults give the policy itself); ``safety`` is :meth:`safety` when the caller
        has computed it.
        """
        mean, std = obs.protection_forecast()
        z = self.safety(obs) if safety is None else safety
        level = mean + (z + np.asarray(safety_shift, dtype=np.float64)) * std
        # the arrival period's forecast (L periods ahead), which the order serves first: next period's cut an
        # announced promotion at the arrival to 1.6 times the forecast before it, and ordered nothing for a launch
        arrival_mean, arrival_std = obs.arrival_forecast()
        cap = np.asarray(cap_multiplier, dtype=np.float64) * per_sku(self.cap_factor, obs.n_skus, "cap_factor") * (
            arrival_mean + self.cap_std * arrival_std
        )
        return level, cap

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        level, _ = self.parameters(obs)
        return level - 1.0, level

    def repair_options(self, obs: Observation, desired: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """Extra arguments of the repair call (the ``under_weight`` of ``repair_weights``)."""
        if self.repair_weights == "shortfall":
            return {"under_weight": shortfall_weights(obs, desired, net=obs.lost_sales)}
        return {}

    def space_cost(self, obs: Observation) -> NDArray[np.float64]:
        """``lambda v_i``: the price of a unit's space in the safety fractile (0 when space is not priced)."""
        if self.capacity_price is None or not obs.constraints.has_capacity:
            return np.zeros(obs.n_skus)
        return np.asarray(float(self.capacity_price) * obs.catalog.volume, dtype=np.float64)

    def options(self) -> dict[str, Any]:
        """The options as a model file stores them (:meth:`from_options` rebuilds the policy)."""
        return {
            "safety_factor": _plain(self.safety_factor),
            "cap_factor": _plain(self.cap_factor),
            "cap_std": float(self.cap_std),
            "capacity_price": None if self.capacity_price is None else float(self.capacity_price),
            "repair_weights": self.repair_weights,
        }

    @classmethod
    def from_options(cls, options: Mapping[str, Any], repair: str | None = "fast") -> ForecastCappedBaseStock:
        """The policy with ``options`` (as :meth:`options` writes them; missing ones take their defaults).

        Raises
        ------
        PlanningError
            For an unknown or invalid option.
        """
        unknown = sorted(set(options) - {"safety_factor", "cap_factor", "cap_std", "capacity_price", "repair_weights"})
        if unknown:
            raise PlanningError(f"unknown base option(s) {unknown}", column="base")
        return cls(**dict(options), repair=repair)  # the constructor checks every value

    def decide(self, obs: Observation) -> Decision:
        return self.decide_with(obs, *self.parameters(obs))

    def decide_with(self, obs: Observation, level: NDArray[np.float64], cap: NDArray[np.float64]) -> Decision:
        """The decision for this period's ``level`` and ``cap`` per SKU (:meth:`parameters`, or corrected ones)."""
        from hybridinv.policies.explain import cut_by_cap, target_explanation

        position = obs.inventory_position
        desired = capped_orders(level, position, cap)
        decision = self.finalize(desired, obs, ordering_point(level), level, **self.repair_options(obs, desired))
        mean, std = obs.protection_forecast()
        decision.explanation = target_explanation(
            level, mean, std, capacity_price=self.space_cost(obs), cap=cap, capped=cut_by_cap(level - position, cap)
        )
        return decision

    def __repr__(self) -> str:
        return (
            f"ForecastCappedBaseStock(safety_factor={self.safety_factor!r}, cap_factor={self.cap_factor!r}, "
            f"capacity_price={self.capacity_price!r}, repair_weights={self.repair_weights!r})"
        )


def _plain(value: ArrayLike) -> float | list[float]:
    """A scalar or per-SKU option as JSON: a float, or a list of floats."""
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else [float(v) for v in array.reshape(-1)]
