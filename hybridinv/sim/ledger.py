"""Cost accounting and KPIs: defined once here and used everywhere.

Definitions (all over the measured periods, i.e. after the warm-up):

- ``avg_cost``: total cost per period (holding + shortage + ordering + waste + overflow).
  Purchases are charged when ordered and only from ``warmup`` on, so units bought in the warm-up
  are free although sold in the measured periods (a policy that stocks up in period 0 scores a
  third of base-stock's cost): compare such policies on ``valued_cost`` (docs/benchmarks.md).
- ``valued_cost``: ``avg_cost - stock_value_change``, the inventory position carried into the
  measured periods charged at unit cost and the one left at their end credited (:meth:`Ledger.summary`).
- ``holding_cost``: ``sum_i h_i * end-of-period on-hand``, per period.
- ``shortage_cost``: ``p_i`` per unit lost (lost sales) or per unit backordered
  at the end of a period (backorders), per period.
- ``ordering_cost``: fixed cost per order placed plus unit cost per unit delivered (charged in the period the
  order is placed), per period.
- ``waste_cost``, ``overflow_cost``: per unit expired / rejected at receipt, per period.
- ``fill_rate``: units served from stock in the period they were demanded / units demanded.
- ``cycle_service_level``: share of SKU-periods in which demand was met in full
  (the periodic-review "alpha" service level).
- ``stockout_sku_periods``: number of SKU-periods with unmet demand.
- ``inventory_turns``: annualized cost of goods served from stock in the period they were
  demanded / average inventory value (backorders filled in a later period are not counted, as
  in ``fill_rate``).
- ``capacity_utilization``: mean share of warehouse volume used after receipts (after the rejection of the
  whole units that do not fit; above 1 while a stock already above the capacity is sold down).
- ``budget_utilization``: mean share of the period budget spent.
- ``waste_rate``: units expired / units available, where units available are the
  on-hand at the start of the first measured period plus the units received in the
  measured periods (every expired unit is one of them, so the rate is in [0, 1];
  0 when nothing was available).
- ``violations``: periods whose orders broke a hard rule known at order time
  (budget, MOQ, lot size, max order, or a capacity row evaluated with the
  expected demand); ``overflow_units`` counts units rejected at receipt.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, whole_number
from hybridinv.sim._views import RebuildsViews

try:  # einsum's C entry point: the same loop without the Python wrapper (~0.5 µs a call)
    from numpy._core.multiarray import c_einsum as _einsum
except ImportError:  # pragma: no cover - other numpy layouts
    _einsum = np.einsum

if TYPE_CHECKING:
    from hybridinv.sim.scenario import Scenario
    from hybridinv.sim.view import SimulatorView

__all__ = ["COST_COMPONENTS", "TALLY_ROWS", "Ledger", "dot"]

#: Names of the cost components, in the order of :attr:`Ledger.costs` columns.
COST_COMPONENTS: tuple[str, ...] = ("holding", "shortage", "ordering", "waste", "overflow")
#: Rows of the simulator's per-period tally (``Simulator._tally``): on hand (no age buckets), units
#: served, 1.0 where the SKU ran short, units short. The ledger sums and accumulates them in one pass each.
TALLY_ROWS: tuple[str, ...] = ("on_hand", "served", "stockout", "short")

#: The per-period series :meth:`Ledger.record` writes every period, in the order of its one row.
_PERIOD_SERIES: tuple[str, ...] = (
    "overflow_units", "received_units", "ordered_units", "cancelled_units", "backorders_filled", "held_units",
    "spend", "served", "demand", "stockouts",
)


def dot(weights: NDArray[np.float64], values: NDArray[np.float64] | NDArray[np.bool_]) -> float:
    """``sum(weights * values)`` over SKUs in one pass, without BLAS (``numpy.einsum``'s own loop).

    The simulator and the ledger use it instead of ``weights @ values``: OpenBLAS runs
    ``ddot`` on several threads above 10,000 elements, and on a machine shared with other
    jobs those threads wait for cores (the 100,000-SKU step ran 2-8x slower under load).

    Examples
    --------
    >>> dot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    11.0
    """
    return float(_einsum("i,i->", weights, values))


class Ledger(RebuildsViews):
    """Per-period cost components and KPI counters of one episode."""

    def __init__(
        self, scenario: Scenario, periods: int, track: NDArray[np.int64] | None = None, per_sku: bool = False
    ) -> None:
        self.scenario = scenario
        self.periods = periods
        n = scenario.n_skus
        self.warmup = scenario.warmup_for(periods)
        #: cost per period and component, shape (periods, 5)
        self.costs = np.zeros((periods, len(COST_COMPONENTS)))
        # the series written every period are columns of one array, so that a period is
        # recorded in one assignment (``_PERIOD_SERIES`` order); the names below are views (:meth:`_bind_views`)
        self._period = np.zeros((periods, len(_PERIOD_SERIES)))
        #: units ordered, cancelled at order time (partial deliveries of disrupted suppliers) and
        #: earlier backorders served, per period (``ordered_units``, ``cancelled_units``,
        #: ``backorders_filled``); ``held_units``: units on hand at the end of each period (for
        #: carbon-per-unit-held terms)
        self.waste_units = np.zeros(periods)
        #: units on hand at the start of the episode
        init = scenario.initial_state
        self.initial_units = float(np.sum(init.on_hand)) if init is not None else 0.0
        #: price x units served per period (NaN when a SKU sold has no price)
        self.revenue = np.full(periods, np.nan)
        self.capacity_util = np.full(periods, np.nan)
        self.budget_excess = np.zeros(periods)
        self.capacity_excess = np.zeros(periods)
        self.rule_breaches = np.zeros(periods)
        # per-SKU totals over the measured periods: end-of-period stock, units served, periods
        # with a stockout; rows of one array, in the order of the first three TALLY_ROWS
        self._sku_totals = np.zeros((3, n))
        self._bind_views()
        #: inventory position per SKU (on hand + pipeline - backorders) at the start of the first
        #: measured period and after the last period, recorded by the simulator
        self.opening_position: NDArray[np.float64] | None = None
        self.closing_position: NDArray[np.float64] | None = None
        #: total cost per period and SKU, shape (periods, n), when recorded (``per_sku=True``)
        self.sku_costs: NDArray[np.float64] | None = np.zeros((periods, n)) if per_sku else None
        #: the same on the valued basis (see :meth:`summary`): the purchase of the units bought
        #: replaced by the unit cost of the units sold (lost sales) or demanded (backorders),
        #: wasted and rejected at receipt in the period; summed over the measured periods it is
        #: ``valued_cost`` times their number
        self.sku_valued_costs: NDArray[np.float64] | None = np.zeros((periods, n)) if per_sku else None
        self.track = track
        if track is not None:
            k = track.size
            self.track_on_hand = np.zeros((periods, k))
            self.track_orders = np.zeros((periods, k))
            self.track_demand = np.zeros((periods, k))
        cat = scenario.catalog
        self._price_missing = np.isnan(cat.price)
        self._price = np.nan_to_num(cat.price)
        self._all_priced = not self._price_missing.any()
        self._none_priced = bool(self._price_missing.all())
        self._unpriced = self._price_missing.astype(np.float64)
        # weights of the sums taken over end-of-period stock and over units served, one pass each:
        # (holding cost, units held) and (revenue, units served)
        self._stock_weights = np.stack([cat.holding_cost, np.ones(n)])
        self._served_weights = np.stack([self._price, np.ones(n)])
        self._tally_weights = np.stack([np.ones(n), np.ones(n), cat.shortage_cost])  # served, stockout, short
        self._holding = cat.holding_cost
        self._shortage = cat.shortage_cost
        self._unit_cost = cat.unit_cost

    # ------------------------------------------------------------------ recording
    def _view_names(self) -> tuple[str, ...]:
        return (*_PERIOD_SERIES, "sku_stock", "sku_served", "sku_stockouts")

    def _bind_views(self) -> None:
        """The period series as columns of ``_period`` and the per-SKU totals as rows of ``_sku_totals``."""
        (self.overflow_units, self.received_units, self.ordered_units, self.cancelled_units,
         self.backorders_filled, self.held_units, self.spend, self.served, self.demand,
         self.stockouts) = self._period.T
        self.sku_stock, self.sku_served, self.sku_stockouts = self._sku_totals

    def violation(self, t: int, budget_excess: float, capacity_excess: float, rules: int) -> None:
        self.budget_excess[t] = budget_excess
        self.capacity_excess[t] = capacity_excess
        self.rule_breaches[t] = rules

    def capacity_use(self, t: int, share: float) -> None:
        self.capacity_util[t] = share

    def record(
        self,
        t: int,
        sim: SimulatorView,
        orders: NDArray[np.float64],
        spend: float,
        fixed: float,
        served: NDArray[np.float64],
        short: NDArray[np.float64],
        waste: NDArray[np.float64] | None,
        overflow: float,
        demand: NDArray[np.float64],
        received: float,
        *,
        ordered: float = 0.0,
        cancelled: float = 0.0,
        backorders_filled: float = 0.0,
        delivered: NDArray[np.float64] | None = None,
        rejected: NDArray[np.float64] | None = None,
        demand_total: float | None = None,
    ) -> None:
        """Record period ``t`` (called by the simulator after serving demand).

        Units balance per period: on-hand at the start + ``received_units`` =
        ``served`` + ``backorders_filled`` + ``waste_units`` + on-hand at the end,
        and ``ordered_units - cancelled_units`` enter the pipeline, leaving it as
        ``received_units`` or ``overflow_units`` (rejected at receipt).
        ``demand_total`` is ``demand.sum()`` when the caller has it already.

        The vectors passed in may be the simulator's buffers, overwritten next period:
        a subclass that keeps them must copy them.
        """
        scenario = self.scenario
        on_hand = sim._stock.sum(axis=0) if waste is not None else sim._on_hand
        holding, held = _einsum("ij,j->i", self._stock_weights, on_hand)
        wasted = 0.0
        if waste is not None:
            wasted = float(waste.sum())
            self.waste_units[t] = wasted
        # the Simulator's tally (not part of SimulatorView: a batch's episode view has none)
        tally: NDArray[np.float64] | None = getattr(sim, "_tally", None)
        if not (waste is None and scenario.lost_sales and self._none_priced
                and served is getattr(sim, "_served", None) and short is getattr(sim, "_short", None)):
            tally = None
        if tally is not None:
            # the simulator's tally rows (served, stockout, short): units served, SKUs short and
            # the shortage cost in one pass
            served_units, flagged, shortage = _einsum("ij,ij->i", self._tally_weights, tally[1:])
            stockouts = int(flagged)
            if served_units == 0.0:  # nothing sold: no revenue
                self.revenue[t] = 0.0
        else:
            stockouts = int(np.count_nonzero(short))
            shortage = dot(self._shortage, short if scenario.lost_sales else sim._backorders)
            # revenue is unknown (NaN) when a SKU without a price sold something (served >= 0)
            if self._all_priced or (not self._none_priced and dot(self._unpriced, served) == 0.0):
                revenue, served_units = _einsum("ij,j->i", self._served_weights, served)
                self.revenue[t] = revenue
            else:
                served_units = float(served.sum())
                if served_units == 0.0:  # nothing sold: no revenue, priced or not
                    self.revenue[t] = 0.0
        self.costs[t] = (
            holding,
            shortage,
            spend + fixed,
            wasted * scenario.waste_cost if waste is not None else 0.0,
            overflow * scenario.overflow_cost,
        )
        self._period[t] = (  # _PERIOD_SERIES order
            overflow, received, ordered, cancelled, backorders_filled, held, spend, served_units,
            float(demand.sum()) if demand_total is None else demand_total, stockouts,
        )
        if t >= self.warmup:
            if tally is not None:  # on hand, served, stockout rows into sku_stock, sku_served, sku_stockouts
                self._sku_totals += tally[:3]
            else:
                self.sku_stock += on_hand
                self.sku_served += served
                if stockouts:
                    self.sku_stockouts += short > 0
        if self.sku_costs is not None:
            self._record_sku_costs(t, sim, orders, on_hand, short, waste, delivered, rejected, served, demand)
        if self.track is not None:
            self.track_on_hand[t] = on_hand[self.track]
            self.track_orders[t] = orders[self.track]
            self.track_demand[t] = demand[self.track]

    def _record_sku_costs(
        self,
        t: int,
        sim: SimulatorView,
        orders: NDArray[np.float64],
        on_hand: NDArray[np.float64],
        short: NDArray[np.float64],
        waste: NDArray[np.float64] | None,
        delivered: NDArray[np.float64] | None,
        rejected: NDArray[np.float64] | None,
        served: NDArray[np.float64],
        demand: NDArray[np.float64],
    ) -> None:
        """Period ``t``'s cost per SKU, with the components of :attr:`costs` (they add up to it),
        and on the valued basis."""
        assert self.sku_costs is not None and self.sku_valued_costs is not None
        scenario = self.scenario
        cat = scenario.catalog
        bought = orders if delivered is None else delivered
        # units leaving the inventory position this period: sold (lost sales) or demanded (backorders) ...
        consumed = (served if scenario.lost_sales else demand).copy()
        cost = self._holding * on_hand + cat.order_cost * (orders > 0)
        cost += self._shortage * (short if scenario.lost_sales else sim._backorders)
        if waste is not None:
            cost += scenario.waste_cost * waste
            consumed += waste  # ... expired ...
        if rejected is not None:
            cost += scenario.overflow_cost * rejected
            consumed += rejected  # ... or turned away at receipt
        self.sku_costs[t] = cost + self._unit_cost * bought
        self.sku_valued_costs[t] = cost + self._unit_cost * consumed

    # ------------------------------------------------------------------ reporting
    def available_units(self, start: int, end: int) -> float:
        """Units usable (or expiring) in periods ``[start, end)``: on-hand at the start of ``start`` plus receipts."""
        opening = self.initial_units if start == 0 else float(self.held_units[start - 1])
        return opening + float(self.received_units[start:end].sum())

    def sku_basis_costs(self) -> NDArray[np.float64]:
        """Cost per period and SKU on the scenario's cost basis: :attr:`sku_valued_costs` for
        ``cost_basis="valued"``, else :attr:`sku_costs` (needs ``per_sku=True``)."""
        costs = self.sku_valued_costs if self.scenario.cost_basis == "valued" else self.sku_costs
        if costs is None:
            raise ValueError("per-SKU costs were not recorded (per_sku=True)")
        return costs

    def sku_stock_value_change(self, periods: int | None = None) -> NDArray[np.float64]:
        """Unit cost x change of each SKU's inventory position over the measured periods.

        The position is on hand + pipeline - backorders, from the start of the first measured
        period to the end of the episode. NaN when the simulator did not record both ends, or
        for a prefix of the episode (``periods`` before its end).
        """
        end = self.periods if periods is None else periods
        if self.opening_position is None or self.closing_position is None or end != self.periods:
            return np.full(self.scenario.n_skus, np.nan)
        return np.asarray(self._unit_cost * (self.closing_position - self.opening_position), dtype=np.float64)

    def period_cost(self, t: int) -> float:
        """Total cost of period ``t``."""
        return float(self.costs[t].sum())

    def summary(self, periods: int | None = None) -> dict[str, float]:
        """KPIs over the measured periods ``[warmup, periods)``.

        A run shorter than the scenario skips at most a quarter of its periods
        (:meth:`Scenario.warmup_for <hybridinv.sim.scenario.Scenario.warmup_for>`).

        ``avg_cost`` charges every unit when it is bought. ``valued_cost`` is ``avg_cost``
        minus ``stock_value_change``: the unit cost of the change of the inventory position
        (on hand + pipeline - backorders) over the measured periods, per period. It charges
        the units sold, wasted, rejected at receipt or still owed instead of the units bought,
        so a finite window does not count stock left at its end as spent (nor stock run down
        as saved). Both are NaN for a prefix of the episode (``periods`` before its end), and so
        is ``inventory_turns`` (its per-SKU totals cover every recorded period: a prefix of a
        finished episode got the whole episode's cost of goods over the prefix's stock).
        """
        end = self.periods if periods is None else whole_number(periods, "periods", 1)
        if not self.warmup < end <= self.periods:  # an empty window averaged zero periods: costs of 0
            raise PlanningError(f"a summary needs a period after the warm-up ({self.warmup}) and at most the "
                                f"{self.periods} recorded", column="periods", value=periods)
        sl = slice(self.warmup, end)
        measured = max(end - self.warmup, 1)
        costs = self.costs[sl].sum(axis=0) / measured
        n = self.scenario.n_skus
        demand = self.demand[sl].sum()
        budget = self.scenario.constraints.budget
        stock_value = dot(self._unit_cost, self.sku_stock) / measured
        cogs = dot(self._unit_cost, self.sku_served) / measured
        violations = (self.budget_excess[sl] > 0) | (self.capacity_excess[sl] > 0) | (self.rule_breaches[sl] > 0)
        waste_units = float(self.waste_units[sl].sum())
        available_units = self.available_units(self.warmup, end)
        out = {
            "avg_cost": float(costs.sum()),
            "holding_cost": float(costs[0]),
            "shortage_cost": float(costs[1]),
            "ordering_cost": float(costs[2]),
            "waste_cost": float(costs[3]),
            "overflow_cost": float(costs[4]),
            "fill_rate": float(self.served[sl].sum() / demand) if demand > 0 else 1.0,
            "cycle_service_level": float(1.0 - self.stockouts[sl].sum() / (n * measured)),
            "stockout_sku_periods": float(self.stockouts[sl].sum()),
            "inventory_turns": cogs / stock_value * self.scenario.periods_per_year if stock_value > 0 else math.inf,
            "capacity_utilization": _nanmean(self.capacity_util[sl]),
            "budget_utilization": float(self.spend[sl].mean() / budget) if math.isfinite(budget) else float("nan"),
            "waste_units": float(waste_units),
            "waste_rate": waste_units / available_units if available_units > 0 else 0.0,
            "overflow_units": float(self.overflow_units[sl].sum()),
            "violations": float(violations.sum()),
            "budget_violations": float((self.budget_excess[sl] > 0).sum()),
            "capacity_violations": float((self.capacity_excess[sl] > 0).sum()),
            "rule_violations": float((self.rule_breaches[sl] > 0).sum()),
            "periods": float(measured),
        }
        if end != self.periods:  # the per-SKU totals cover every period recorded, not the prefix asked for
            out["inventory_turns"] = float("nan")
        change = float(self.sku_stock_value_change(end).sum()) / measured
        out["stock_value_change"] = change
        out["valued_cost"] = out["avg_cost"] - change
        return out


def _nanmean(values: NDArray[np.float64]) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")
