"""Forecast-driven (s, S): the base policy of the hybrid agent.

Every period and SKU, from the forecast over the protection interval (lead time plus
one period) — mean ``mu_P``, standard deviation ``sigma_P`` — and the forecast ``f``, with standard
deviation ``sigma``, of the period an order placed now arrives in:

* level ``B = mu_P + z sigma_P`` with the cost-based safety factor
  ``z = k * Phi^{-1}(m / (m + h + lambda v))``, ``m`` what a unit short costs once
  purchases are charged (:func:`net_margin`: ``p - c`` with lost sales, ``p`` with
  backorders), ``h`` the holding cost, ``v`` the volume and ``lambda`` the price of
  warehouse space (:func:`space_cost`). ``lambda`` is a Lagrange multiplier of the
  capacity (:meth:`ForecastSS.space_price_for`): 0 (or the floor ``space_price``) while
  the stock the levels plan — ``z sigma_P`` of safety stock, a period's demand ``mu_P / (L + 1)``
  and half a batch per SKU — fits into ``capacity_utilization`` of the warehouse, else
  the smallest price at which it fits (Brent's method). In the fractile the price is a cost
  on the space of each unit left over, so the levels are those of the multi-item
  newsvendor under a storage constraint (Hadley and Whitin) on the volume they leave over,
  with the multiplier set so the planned stock fits. So a warehouse that never fills is
  the same as none, and a tight one lowers the safety stock of bulky, low-margin SKUs
  first. A SKU whose shortage cost does not exceed its unit cost (``m <= 0``) is not
  stocked (level 0: under lost sales, buying a unit costs more than losing its sale);
* batch ``Q = max(1, b sqrt(2 K fbar / h))`` — the EOQ on the mean forecast per
  period ``fbar`` (1 without a fixed order cost ``K``: a base-stock policy);
* reorder point ``s = B - 1`` and order-up-to level ``S = B - 1 + Q``: when the
  inventory position ``IP <= s``, order ``S - IP``, at most ``max(r, Q)`` with the
  cap ``r = cap_factor (f + sigma)`` (``f``, ``sigma``: the forecast mean and standard deviation of the period
  the order arrives in, ``L`` periods ahead) under lost
  sales (no cap with backorders, where it would only keep a backlog open), rounded up. Perishable SKUs
  order no batch larger than their demand over the shelf life, and with a shelf life of 1 no batch
  at all (the batch covers the periods after the arrival, which such a unit never sees).

The desired orders pass the repair layer with shortfall-weighted priorities
(:func:`~hybridinv.policies.rq.shortfall_weights`), so when capacity or budget bind
the scarce space goes first to the SKUs closest to a stockout.

**Building ahead of a budget-bound peak** (``build_ahead=True``). The levels follow the
forecast, so on their own they never buy before a seasonal peak that the purchase budget
cannot pay for when it comes. With a finite budget ``B`` the policy looks one seasonal
cycle ahead (``periods_per_year`` periods, no further than the forecast is known): the
purchases period ``t + j`` will need are valued at ``V_j = sum_i c_i f_i(t + L_i + j)``
(the demand the order placed then will replenish), and the stock to build now is the
largest cumulative excess ``A = max_k sum_{j<=k} (V_j - B)`` (Johnson and Montgomery's
anticipation stock of production smoothing). ``A`` is shared among the SKUs in proportion to their demand value up
to that peak, among those it pays to hold that long (``h_i j < m_i``, within the shelf
life), and bought with what this period's budget and capacity leave over: a second repair
whose lower bounds are the first repair's orders, with priorities ``m_i``
(:meth:`ForecastSS.build_ahead_units`). Stock already built counts: the target is the
level plus the SKU's share of ``A``.

:class:`~hybridinv.rl.adaptive.AdaptiveHybrid` learns per-SKU corrections of its four
parameters (forecast level, safety factor, cap, batch); with zero corrections it *is*
this policy.

References
----------
Hadley, G. and Whitin, T. M. (1963). *Analysis of Inventory Systems*, sec. 6-10 (several items
under a storage constraint: a Lagrange multiplier prices the space).
Silver, E. A., Pyke, D. F. and Peterson, R. (1998). *Inventory Management and Production
Planning and Scheduling*, 3rd ed., sec. 7.9 (dynamic (s, S) from a forecast).
Johnson, L. A. and Montgomery, D. C. (1974). *Operations Research in Production Planning,
Scheduling, and Inventory Control*, ch. 4 (aggregate planning: anticipation inventory
before a peak that capacity cannot meet).
Xin, L. (2021). Understanding the performance of capped base-stock policies in lost-sales
inventory models. *Operations Research* 69(1), 61-70.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, flag, number_in, scalar_or_array
from hybridinv.core.limits import MAX_QUANTITY
from hybridinv.policies.base import BatchTargetPolicy, Decision
from hybridinv.policies.rq import check_repair_weights, net_margin, shortfall_weights

if TYPE_CHECKING:
    from hybridinv.core.catalog import Catalog
    from hybridinv.policies.explain import TargetExplanation
    from hybridinv.sim.observation import Observation

__all__ = ["ForecastSS", "Targets", "net_margin", "safety_fractile"]

#: Safety factors are clipped to the normal quantiles of these fractiles.
FRACTILE_BOUNDS = (1e-3, 1.0 - 1e-3)
#: Bracket of the capacity's space price (relative units, :func:`space_cost`) and the tolerance
#: of Brent's method on its logarithm (the price is found to within 1e-9 of itself).
PRICE_BRACKET = (1e-3, 1e4)
PRICE_XTOL = 1e-9


def space_cost(catalog: Catalog, space_price: float) -> NDArray[np.float64]:
    """``lambda v_i``: the price of the space a unit takes, ``lambda = space_price * median(h / v)``.

    ``space_price`` is relative to the catalog's typical holding cost per unit of volume, so
    the same value means the same for any currency, period length or volume unit.
    """
    if space_price <= 0 or not (catalog.volume > 0).any():
        return np.zeros(catalog.n_skus)
    return np.asarray(space_price * catalog.holding_per_volume * catalog.volume, dtype=np.float64)


def safety_fractile(catalog: Catalog, space_price: float = 0.0, lost_sales: bool = True,
                    margin: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """The cost-based fractile ``m / (m + h + lambda v)`` per SKU (0 where ``m <= 0``).

    ``m`` is :func:`net_margin` unless ``margin`` gives it (MPC with a purchase-cost weight),
    ``lambda v`` :func:`space_cost`.
    """
    given = net_margin(catalog, lost_sales) if margin is None else np.asarray(margin, dtype=np.float64)
    margin = np.maximum(given, 0.0)
    over = catalog.holding_cost + space_cost(catalog, space_price)
    total = margin + over
    return np.asarray(np.divide(margin, total, out=np.zeros_like(margin), where=total > 0), dtype=np.float64)


@dataclass(frozen=True)
class Targets:
    """One period's parameters of the forecast-driven (s, S) policy, per SKU (arrays of shape (n,)).

    ``mean`` and ``std`` are the protection-interval forecast after the correction
    ``multiplier``; ``safety_shift`` is the correction of the safety factor and
    ``space_cost`` the price of a unit's space in the safety fractile (for explanations).
    """

    level: NDArray[np.float64]
    batch: NDArray[np.float64]
    cap: NDArray[np.float64]
    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    multiplier: ArrayLike = 1.0
    safety_shift: ArrayLike = 0.0
    space_cost: ArrayLike = 0.0
    not_stocked: ArrayLike = False

    @property
    def reorder_point(self) -> NDArray[np.float64]:
        return self.level - 1.0

    @property
    def order_up_to(self) -> NDArray[np.float64]:
        return self.level - 1.0 + self.batch

    def desired(self, position: NDArray[np.float64]) -> NDArray[np.float64]:
        """Orders before the repair: ``min(S - IP, max(cap, Q))`` where ``IP <= s``, rounded up."""
        gap = np.maximum(self.order_up_to - position, 0.0)
        wanted = np.where(position <= self.reorder_point, np.minimum(gap, np.maximum(self.cap, self.batch)), 0.0)
        return np.asarray(np.ceil(wanted - 1e-9), dtype=np.float64)

    def explain(self, position: NDArray[np.float64], build_ahead: ArrayLike = 0.0) -> TargetExplanation:
        """Why the targets are what they are (``capped``: the cap cut an order the position called for;
        ``build_ahead``: units ordered ahead of a budget-bound peak)."""
        from hybridinv.policies.explain import cut_by_cap, target_explanation

        limit = np.maximum(self.cap, self.batch)
        capped = (position <= self.reorder_point) & cut_by_cap(self.order_up_to - position, limit)
        return target_explanation(
            self.level, self.mean, self.std, correction=self.multiplier, safety_shift=self.safety_shift,
            capacity_price=self.space_cost, cap=limit, capped=capped, not_stocked=self.not_stocked,
            build_ahead=build_ahead,
        )


class ForecastSS(BatchTargetPolicy):
    """Forecast-driven (s, S) with cost-based safety factors, EOQ batches and an order cap.

    Parameters
    ----------
    safety_factor : float
        ``k``, multiplier of the cost-based safety factor.
    cap_factor : float
        Largest order (beyond one batch) in units of the arrival period's forecast plus one
        standard deviation (``inf``: no cap).
    batch_factor : float
        ``b``, multiplier of the EOQ batch.
    space_price : float
        Floor of the price of warehouse space, relative to the catalog's typical holding cost
        per unit of volume (:func:`space_cost`), in the safety fractile; only with a finite
        capacity. With ``capacity_utilization=None`` it is the price.
    capacity_utilization : float or None
        Share of the capacity the planned stock may fill before space gets a price
        (:meth:`space_price_for`); ``None`` prices space at ``space_price`` always.
    repair_weights : {"shortfall", None}
        Repair priorities: :func:`~hybridinv.policies.rq.shortfall_weights` or the defaults.
    build_ahead : bool
        Build stock ahead of a peak the budget cannot pay for when it comes, with what the
        period's budget and capacity leave over (see the module notes). Only with a finite
        budget.
    repair : str or None
        Repair backend, see :class:`~hybridinv.policies.base.TargetPolicy`.
    service_level : float or array, optional
        Replaces the cost-based fractile ``m / (m + h + lambda v)`` by this one (scalar or per
        SKU): how KPI tuning drives the policy (:func:`hybridinv.reward.tune`,
        ``tune --policy hybrid``). Not stored in model files.

    Notes
    -----
    The defaults (``k = 1``, cap 2, ``b = 0.25``, space priced from 0 at 70% of the
    capacity) were chosen on the synthetic suites (seeds 200-201), the training months of
    the real-data suites and random catalogs other than the ones the benchmarks report on
    (a quarter of the EOQ: full EOQ batches fill a binding warehouse and spoil perishables).
    Model files written before ``capacity_utilization`` existed keep the fixed price they
    were trained with (:meth:`from_options`).
    """

    name = "forecast_ss"

    def __init__(
        self,
        safety_factor: float = 1.0,
        cap_factor: float = 2.0,
        batch_factor: float = 0.25,
        space_price: float = 0.0,
        capacity_utilization: float | None = 0.7,
        repair_weights: str | None = "shortfall",
        repair: str | None = "auto",
        service_level: ArrayLike | None = None,
        build_ahead: bool = True,
    ) -> None:
        super().__init__(repair)
        check_repair_weights(repair_weights)
        # text raised a TypeError, True was a factor of 1, "no" built ahead, an infinite batch or space price
        # gave infinite orders or no stock at all
        self.safety_factor = number_in(safety_factor, "safety_factor", -math.inf, math.inf)
        # inf: no cap
        self.cap_factor = number_in(cap_factor, "cap_factor", 0.0, math.inf, open_low=True, allow_inf=True)
        self.batch_factor = number_in(batch_factor, "batch_factor", 0.0, math.inf, open_low=True)
        self.space_price = number_in(space_price, "space_price", 0.0, math.inf)
        self.capacity_utilization = None if capacity_utilization is None else number_in(
            capacity_utilization, "capacity_utilization", 0.0, 1.0, open_low=True)
        self.repair_weights = repair_weights
        self.build_ahead = flag(build_ahead, "build_ahead")
        self.service_level: NDArray[np.float64] | None = None
        if service_level is not None:
            self.set_service_level(service_level)

    def set_service_level(self, service_level: ArrayLike | None) -> None:
        """Fix the safety fractile (scalar or per SKU, in (0, 1)); ``None`` restores the cost-based one."""
        if service_level is None:
            self.service_level = None
            return
        level = np.atleast_1d(scalar_or_array(service_level, "service_level"))  # text was a bare ValueError
        if level.ndim > 1:  # a (1, n) table failed at the first decision in numpy's broadcasting
            raise PlanningError(f"must be a number or one value per SKU, got shape {level.shape}",
                                column="service_level")
        bad = ~((level > 0.0) & (level < 1.0))
        if bad.any():
            raise PlanningError("service levels must be in (0, 1)", column="service_level",
                                value=float(level[np.argmax(bad)]))
        self.service_level = level

    def options(self) -> dict[str, float | None]:
        """The numeric options (stored in model files; :meth:`from_options` rebuilds the policy)."""
        return {
            "safety_factor": self.safety_factor,
            "cap_factor": self.cap_factor,
            "batch_factor": self.batch_factor,
            "space_price": self.space_price,
            "capacity_utilization": self.capacity_utilization,
            "build_ahead": float(self.build_ahead),
        }

    @classmethod
    def from_options(cls, options: dict[str, Any], repair: str | None = "fast") -> ForecastSS:
        """The policy with the numeric ``options`` (missing ones take their defaults).

        Options written before ``capacity_utilization`` existed (they have a ``space_price``
        and no ``capacity_utilization``) rebuild the fixed space price they were trained with.
        Options without ``build_ahead`` build ahead (the default): it changes orders only
        where a finite budget falls short of a coming peak.

        Raises
        ------
        PlanningError
            For an unknown or invalid option.
        """
        known = {"safety_factor", "cap_factor", "batch_factor", "space_price", "capacity_utilization", "build_ahead"}
        unknown = set(options) - known
        if unknown:
            raise PlanningError(f"unknown base option(s) {sorted(unknown)}", column="base")
        values: dict[str, float | None] = {
            key: None if value is None else float(value) for key, value in options.items()
        }
        if "space_price" in values and "capacity_utilization" not in values:
            values["capacity_utilization"] = None  # a model file from before the capacity's dual price
        build = values.pop("build_ahead", 1.0)
        if build not in (0.0, 1.0):  # stored as 1.0 / 0.0
            raise PlanningError("must be 1 (build ahead) or 0", column="build_ahead", value=options["build_ahead"])
        return cls(**values, repair=repair, build_ahead=build == 1.0)  # type: ignore[arg-type]

    def safety(self, obs: Observation) -> NDArray[np.float64]:
        """The safety factor ``z_i`` per SKU (see the module notes)."""
        return self.priced_safety(obs)[0]

    def priced_safety(self, obs: Observation) -> tuple[NDArray[np.float64], float]:
        """The safety factor ``z_i`` per SKU and the relative space price it was computed with."""
        from scipy.special import ndtri

        if self.service_level is not None:
            if self.service_level.size not in (1, obs.catalog.n_skus):
                raise PlanningError(f"{self.service_level.size} service levels for {obs.catalog.n_skus} SKUs",
                                    column="service_level")
            fractile = np.clip(np.broadcast_to(self.service_level, (obs.catalog.n_skus,)), *FRACTILE_BOUNDS)
            return np.asarray(self.safety_factor * ndtri(fractile), dtype=np.float64), 0.0
        price = self.space_price_for(obs)
        fractile = np.clip(safety_fractile(obs.catalog, price, obs.lost_sales), *FRACTILE_BOUNDS)
        return np.asarray(self.safety_factor * ndtri(fractile), dtype=np.float64), price

    def space_price_for(self, obs: Observation, margin: NDArray[np.float64] | None = None) -> float:
        """This period's relative space price ``lambda`` (0 without a capacity).

        With ``capacity_utilization = u`` it is the smallest price ``>= space_price`` at which
        the planned stock ``sum_i v_i max(z_i sigma_P,i + f_i + (Q_i - 1) / 2, 0)`` (safety
        stock, a period's demand ``f_i = mu_P,i / (L_i + 1)`` and half a batch, SKUs that are stocked only)
        fits into ``u`` times the capacity. At that price the levels minimise the expected
        holding and shortage costs of the multi-item newsvendor under a limit on the volume
        left over (the price is that limit's Lagrange multiplier; tested against SLSQP).
        The planned stock falls as the price rises; when even the
        top of :data:`PRICE_BRACKET` does not make it fit, that top is returned (the repair
        layer then keeps the orders within the capacity). ``margin`` (per SKU) replaces
        :func:`net_margin` for a caller that prices a lost unit otherwise (MPC with
        ``purchase_cost_weight`` other than 1).
        """
        cons = obs.constraints
        if not cons.has_capacity:
            return 0.0
        if self.capacity_utilization is None or self.safety_factor <= 0.0:
            return self.space_price
        from scipy.special import ndtri

        cat = obs.catalog
        mean, std = obs.protection_forecast()
        per_period = mean / (cat.lead_time + 1.0)
        room = self.capacity_utilization * cons.capacity
        margin_all = net_margin(cat, obs.lost_sales) if margin is None else np.asarray(margin, dtype=np.float64)
        counted = (margin_all > 0.0) & (cat.volume > 0.0)  # the SKUs whose planned stock takes space
        if not counted.any():
            return self.space_price
        margin = margin_all[counted]
        base = margin + cat.holding_cost[counted]
        space = space_cost(cat, 1.0)[counted]
        spread = self.safety_factor * std[counted]
        fixed = (per_period + 0.5 * (self._batch(obs, per_period) - 1.0))[counted]
        volume = cat.volume[counted]
        work = np.empty_like(margin)

        def excess(log_price: float) -> float:
            """Planned stock volume at the price ``e^log_price`` minus the room (in place: one buffer)."""
            np.multiply(space, np.exp(log_price), out=work)
            np.add(work, base, out=work)
            np.divide(margin, work, out=work)
            np.clip(work, *FRACTILE_BOUNDS, out=work)
            ndtri(work, out=work)
            np.multiply(work, spread, out=work)
            np.add(work, fixed, out=work)
            np.maximum(work, 0.0, out=work)
            return float(np.dot(volume, work)) - room

        if excess(np.log(self.space_price) if self.space_price > 0 else -np.inf) <= 0.0:
            return self.space_price
        low, high = np.log(max(self.space_price, PRICE_BRACKET[0])), np.log(PRICE_BRACKET[1])
        from scipy.optimize import brentq

        try:
            root = brentq(excess, low, high, xtol=PRICE_XTOL)
        except ValueError:  # no sign change: it fits already at the bottom, or not even at the top
            return float(np.exp(high)) if excess(high) > 0.0 else float(np.exp(low))
        return float(np.exp(root))

    def _batch(self, obs: Observation, per_period: NDArray[np.float64],
               multiplier: ArrayLike = 1.0) -> NDArray[np.float64]:
        """The batch: EOQ times ``batch_factor`` and ``multiplier``, at least 1, perishables' within the shelf life,
        at most :data:`~hybridinv.core.limits.MAX_QUANTITY` (an order cost of 1e50 asked for 1e25 units, beyond
        :data:`~hybridinv.core.limits.MAX_ORDER`)."""
        batch = np.minimum(self.economic_batch(obs, per_period) * np.asarray(multiplier, dtype=np.float64),
                           MAX_QUANTITY)
        shelf = obs.catalog.shelf_life
        # the level covers the period an order arrives in, the batch the periods after it; with a shelf life of 1
        # none of them: a batch of f a period all expired (waste 10.1 a period, not 6.1, where every period must
        # order anyway). Longer lives keep f m: units that expire can still space out costly orders (capped at
        # f (m - 1), one SKU with K = 50 and a life of 2 cost 62.3 a period, not 45.0)
        within = per_period * np.where(shelf == 1, 0.0, shelf)
        return np.asarray(np.maximum(np.where(shelf > 0, np.minimum(batch, within), batch), 1.0), dtype=np.float64)

    def economic_batch(self, obs: Observation, per_period: ArrayLike) -> NDArray[np.float64]:
        """The EOQ on the mean forecast per period, at least 1 (``batch_factor`` times)."""
        cat = obs.catalog
        hold = np.maximum(cat.holding_cost, 1e-12)
        eoq = np.sqrt(2.0 * cat.order_cost * np.maximum(np.asarray(per_period, dtype=np.float64), 0.0) / hold)
        return np.asarray(np.maximum(self.batch_factor * eoq, 1.0), dtype=np.float64)

    def parameters(
        self,
        obs: Observation,
        safety: NDArray[np.float64] | None = None,
        multiplier: ArrayLike = 1.0,
        safety_shift: ArrayLike = 0.0,
        cap_multiplier: ArrayLike = 1.0,
        batch_multiplier: ArrayLike = 1.0,
        price: float | None = None,
    ) -> Targets:
        """This period's :class:`Targets`, with optional per-SKU corrections.

        ``multiplier`` scales the forecast mean (its standard deviation by the square
        root), ``safety_shift`` is added to ``z``, ``cap_multiplier`` and
        ``batch_multiplier`` scale the cap and the batch. The defaults give the base policy.
        ``safety`` and ``price`` are :meth:`priced_safety` when the caller has computed it.
        """
        m = np.asarray(multiplier, dtype=np.float64)
        root = np.sqrt(m)
        mean, std = obs.protection_forecast()
        mean, std = mean * m, std * root
        if safety is None:
            safety, price = self.priced_safety(obs)
        elif price is None:
            price = self.space_price_for(obs)
        z = safety
        level = mean + (z + np.asarray(safety_shift, dtype=np.float64)) * std
        # a sale that does not pay is not stocked, unless a service level was asked for (it was 0 regardless)
        unpaid = (net_margin(obs.catalog, obs.lost_sales) <= 0.0) & (self.service_level is None)
        level = np.where(unpaid, 0.0, level)
        per_period = mean / (obs.catalog.lead_time + 1.0)
        batch = self._batch(obs, per_period, batch_multiplier)
        # the cap scales with the forecast of the period the order arrives in (L periods ahead), which it serves:
        # from next period's forecast, an announced promotion or a launch at the arrival was cut to twice the
        # forecast before it (27 units of a protection of 120), and a product whose demand ends before the
        # arrival was still ordered twice its last demand
        arrival_mean, arrival_std = obs.arrival_forecast()
        cap = self.cap_factor * (arrival_mean * m + arrival_std * root) * np.asarray(cap_multiplier, dtype=np.float64)
        if not obs.lost_sales:  # backorders: a cap would only keep a backlog open
            cap = np.full_like(cap, np.inf)
        priced = space_cost(obs.catalog, price) if obs.constraints.has_capacity else 0.0
        return Targets(level=level, batch=batch, cap=cap, mean=mean, std=std, multiplier=m,
                       safety_shift=safety_shift, space_cost=priced, not_stocked=unpaid)

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        plan = self.parameters(obs)
        return plan.reorder_point, plan.order_up_to

    def build_ahead_units(self, obs: Observation, plan: Targets | None = None) -> NDArray[np.float64]:
        """Stock to hold ahead of a coming peak the budget cannot pay for, per SKU (units, >= 0).

        With budget ``B`` and the forecast ``f``, ``V_j = sum_i c_i f_i(t + L_i + j)`` for
        ``j = 1..H`` (``H = periods_per_year``, at most as far as the longest forecast is known rather
        than extended, :attr:`Observation.forecast_periods`; SKUs that are not stocked count 0, and so
        does a SKU in the periods past its own forecast, :attr:`Observation.forecast_periods_by_sku`) and
        ``A = max(0, max_k sum_{j<=k} (V_j - B))``. ``A`` is split among the SKUs in proportion
        to ``c_i sum_{j<=k*} f_i(t + L_i + j)`` (``k*`` the peak), counting only the periods
        ``j`` it pays SKU ``i`` to hold a unit for (``h_i j < m_i`` with ``m_i`` :func:`net_margin`,
        and ``j`` within a perishable's shelf life), and converted to units at ``c_i``.
        Zeros without a finite budget, when ``build_ahead`` is off or when nothing is short.
        ``plan`` supplies the corrected forecast multiplier (the hybrid's) when given, and with a
        finite capacity the units are scaled down to fit beside the stock the levels plan
        (:meth:`_room_share`).
        """
        cat = obs.catalog
        n = cat.n_skus
        budget = obs.constraints.budget
        if not self.build_ahead or not np.isfinite(budget) or n == 0:
            return np.zeros(n)
        lead = cat.lead_time.astype(np.int64)
        known = obs.forecast_periods_by_sku
        horizon = min(obs.periods_per_year, int(known.max()) - int(lead.max()) - 1)
        if horizon <= 0:  # no forecast past the protection intervals: no peak to build for
            return np.zeros(n)
        # periods x SKUs (the layout the forecast is stored in: contiguous sums over periods)
        width = int(lead.max()) + 1 + horizon
        forecast = np.maximum(obs.forecast(width).T, 0.0)
        if int(known.min()) < width:  # a SKU's repeated last row is not a forecast: it counts nothing
            forecast = np.where(np.arange(width)[:, None] < known[None, :], forecast, 0.0)
        margin = net_margin(cat, obs.lost_sales)
        weight = np.where(margin > 0.0, cat.unit_cost, 0.0)  # purchase value per unit of stocked SKUs
        if plan is not None:
            weight = weight * np.asarray(plan.multiplier, dtype=np.float64)
        lags = np.unique(lead)
        value = np.zeros(horizon)  # V_j, j = 1..H: one matrix-vector product per lead time
        for lag in lags:
            value += forecast[lag + 1 : lag + 1 + horizon] @ np.where(lead == lag, weight, 0.0)
        with np.errstate(over="ignore"):  # a budget near the float range (1e308) sums to -inf: no peak
            excess = np.cumsum(value - budget)
        peak = int(np.argmax(excess))
        need = float(excess[peak])
        if need <= 0.0:
            return np.zeros(n)
        # periods it pays to hold a unit for: h j < m, and within the shelf life
        with np.errstate(divide="ignore", invalid="ignore"):
            paying = np.where(cat.holding_cost > 0, np.ceil(margin / cat.holding_cost) - 1.0, np.inf)
        paying = np.where(margin > 0.0, paying, 0.0)
        paying = np.where(cat.shelf_life > 0, np.minimum(paying, cat.shelf_life - 1.0), paying)
        held = np.arange(1, peak + 2)[:, None] <= paying[None, :]  # (peak + 1) x SKUs
        share = np.zeros(n)
        for lag in lags:
            rows = lead == lag
            share = np.where(rows, (forecast[lag + 1 : lag + 2 + peak] * held).sum(axis=0), share)
        share *= weight
        total = float(share.sum())
        if total <= 0.0:
            return np.zeros(n)
        units = np.where(cat.unit_cost > 0, need * share / total / np.maximum(cat.unit_cost, 1e-12), 0.0)
        if plan is not None and obs.constraints.has_capacity:
            units = units * self._room_share(obs, plan, units)
        return np.asarray(units, dtype=np.float64)

    def _room_share(self, obs: Observation, plan: Targets, units: NDArray[np.float64]) -> float:
        """The share of ``units`` that fits beside the planned stock in the room the levels may fill.

        The planned stock is the safety stock, next period's demand and half a batch per SKU
        (:meth:`space_price_for` takes the mean demand per period over the protection interval
        instead of next period's); the room is ``capacity_utilization`` (1 when
        ``None``) times the capacity. Stock built ahead must not crowd out the stock the
        levels plan, or the regular orders of the next periods would find the warehouse full.
        """
        cat = obs.catalog
        volume_ahead = float(cat.volume @ units)
        if volume_ahead <= 0.0:
            return 1.0
        share = 1.0 if self.capacity_utilization is None else self.capacity_utilization
        nxt = obs.forecast(1)[:, 0] * np.asarray(plan.multiplier, dtype=np.float64)
        planned = np.maximum(plan.level - plan.mean + nxt + 0.5 * (plan.batch - 1.0), 0.0)
        planned = np.where(np.asarray(plan.not_stocked, dtype=bool), 0.0, planned)
        room = share * obs.constraints.capacity - float(cat.volume @ planned)
        return float(np.clip(room / volume_ahead, 0.0, 1.0))

    def decide_with(self, obs: Observation, plan: Targets, **extra: object) -> Decision:
        """Orders of the given targets: desired orders, the repair layer, then the build-ahead (if any).

        ``decision.extra["build_ahead"]`` holds the units ordered ahead of a budget-bound peak
        per SKU (beyond the first repair's orders) when the policy built ahead this period.
        """
        position = obs.inventory_position
        desired = plan.desired(position)
        options = {}
        if self.repair_weights == "shortfall":
            options["under_weight"] = shortfall_weights(
                obs, desired, net=obs.lost_sales, protection=(plan.mean, plan.std)
            )
        decision = self.finalize(desired, obs, plan.reorder_point, plan.order_up_to, **options)
        if decision.repair is not None:  # a finite budget always needs the repair
            ahead = self.build_ahead_units(obs, plan)
            if ahead.any():
                decision = self._build_ahead(obs, plan, decision, ahead)
        decision.extra.update(extra)
        decision.explanation = plan.explain(position, decision.extra.get("build_ahead", 0.0))
        return decision

    def _build_ahead(self, obs: Observation, plan: Targets, first: Decision,
                     ahead: NDArray[np.float64]) -> Decision:
        """The second repair: top up to ``level + ahead`` with what the first repair left over.

        Whole units are built ahead (``floor(ahead)``). The second repair runs only where the
        build-ahead asks for more than the first repair's desired orders and one more lot of
        such a SKU fits into the budget left over; otherwise it could add nothing.
        """
        wanted = np.ceil(np.maximum(plan.level + np.floor(ahead + 1e-9) - obs.inventory_position, 0.0) - 1e-9)
        more = wanted > np.maximum(first.desired, first.orders)
        cat = obs.catalog
        budget = obs.constraints.budget
        slack = budget - float(first.orders @ cat.unit_cost) + 1e-9 * budget
        if not more.any() or slack < float(np.min((cat.unit_cost * cat.lot_size)[more])):
            return first
        target = np.maximum(wanted, first.desired)
        weight = np.maximum(net_margin(cat, obs.lost_sales), 0.0) + 1e-3
        second = self.finalize(target, obs, plan.reorder_point, plan.order_up_to,
                               under_weight=weight, lower=first.orders)
        built = second.orders - first.orders
        if not (built > 0).any():
            return first
        second.extra["build_ahead"] = built
        # a SKU the second repair gave nothing keeps its own rule's desired quantity and the first repair's
        # reasons (plan()): it showed the build-ahead target beside "above the reorder point" and a budget
        # cut its rule never asked for
        second.desired = np.where(built > 0, second.desired, first.desired)
        second.extra["_first_repair"] = first.repair  # for plan()'s reasons, not its diagnostics
        return second

    def decide(self, obs: Observation) -> Decision:
        return self.decide_with(obs, self.parameters(obs))

    def __repr__(self) -> str:
        return (
            f"ForecastSS(safety_factor={self.safety_factor!r}, cap_factor={self.cap_factor!r}, "
            f"batch_factor={self.batch_factor!r}, space_price={self.space_price!r}, "
            f"capacity_utilization={self.capacity_utilization!r}, build_ahead={self.build_ahead!r})"
        )
