"""Costs, unit flows and KPIs of a network episode, per period and location (summed over SKUs).

Cost components per location and period (the single-location ledger's conventions):

- ``holding``: ``sum_sku h * end-of-period on-hand``;
- ``transit_holding``: ``sum_sku transit_holding_cost * units in transit to the location`` at
  the end of the period;
- ``shortage`` (stores): ``p`` per unit lost (lost sales) or per unit backordered at the end
  of the period (backorders);
- ``ordering`` (supplier-fed locations): unit cost per unit ordered plus ``K`` per order line;
- ``shipping``: the fixed ``shipment_cost`` per shipment line into the location;
- ``overflow``: ``overflow_cost`` per unit rejected at receipt.

Units per location and period: ``ordered`` (from the supplier), ``shipped_in`` (sent to the
location by its parent), ``shipped_out`` (sent by the location to its children),
``received`` (accepted at receipt), ``overflow`` (rejected at receipt), and at the stores
``demand``, ``served`` (on time), ``backorders_filled`` (earlier backorders served) and
``lost`` (lost sales); end-of-period ``on_hand``, ``in_transit`` and ``backorders``.
The customers' **fill rate** is units served on time / units demanded, over all stores.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.network.model import Network

__all__ = ["NETWORK_COST_COMPONENTS", "NETWORK_UNIT_FLOWS", "NetworkLedger"]

#: Cost components, in the order of the last axis of :attr:`NetworkLedger.costs`.
NETWORK_COST_COMPONENTS: tuple[str, ...] = ("holding", "transit_holding", "shortage", "ordering", "shipping",
                                            "overflow")
#: Unit counts kept per period and location in :attr:`NetworkLedger.units`.
NETWORK_UNIT_FLOWS: tuple[str, ...] = (
    "ordered", "shipped_in", "shipped_out", "received", "overflow", "demand", "served", "backorders_filled",
    "lost", "on_hand", "in_transit", "backorders", "stockouts",
)


class NetworkLedger:
    """Per-period, per-location costs and unit flows of one episode.

    Attributes
    ----------
    costs : array (periods, locations, components)
        Cost per component (:data:`NETWORK_COST_COMPONENTS`).
    units : dict of str to array (periods, locations)
        Unit flows and end-of-period stock (:data:`NETWORK_UNIT_FLOWS`); ``stockouts``
        counts the SKUs with unmet demand at a store.
    spend : array (periods,)
        Purchase value of the supplier orders.
    budget_excess : array (periods,)
        Spend above the budget (0 when within it).
    shipment_excess : array (periods,)
        Units the decisions wanted to ship beyond the parents' on-hand (cut by the
        simulator when it runs with ``infeasible="clip"``).
    capacity_use : array (periods, locations)
        Volume held after the period's receipts and the rejection of whole units that do not fit, over
        the capacity (NaN without a limit): below 1 when a rejection leaves room for less than a unit,
        above 1 while a stock already above the capacity (such as an initial state) is sold down, as
        the single-location ledger's ``capacity_utilization`` (until 2026-12-06 it was capped at 1 and
        taken before the rejection). In a period with a second receipt (lead time 0, after the
        decisions) the larger of the two.
    """

    def __init__(self, network: Network, periods: int, warmup: int = 0) -> None:
        self.network = network
        self.periods = int(periods)
        self.warmup = min(int(warmup), self.periods - 1)
        shape = (self.periods, network.n_locations)
        self.costs = np.zeros((*shape, len(NETWORK_COST_COMPONENTS)))
        self.units = {name: np.zeros(shape) for name in NETWORK_UNIT_FLOWS}
        self.spend = np.zeros(self.periods)
        self.budget_excess = np.zeros(self.periods)
        self.shipment_excess = np.zeros(self.periods)
        self.capacity_use = np.full(shape, np.nan)
        #: Unit cost of the network's inventory position (on hand + in transit - backorders, all
        #: locations) at the start of the episode, before its first receipt, and at the end of each period
        #: (NaN until recorded, so the valued costs of an unfinished episode are NaN).
        self.initial_value = 0.0
        self.position_value = np.full(self.periods, np.nan)
        #: Unit cost of the stores' demand per period.
        self.demand_value = np.zeros(self.periods)

    # ------------------------------------------------------------------ recording
    def receipt(self, t: int, received: NDArray[np.float64], overflow: NDArray[np.float64],
                overflow_cost: NDArray[np.float64], capacity_use: NDArray[np.float64] | None) -> None:
        """Add a receipt (per location: units accepted, rejected, and the rejection's cost)."""
        self.units["received"][t] += received
        self.units["overflow"][t] += overflow
        self.costs[t, :, 5] += overflow_cost
        if capacity_use is not None:
            # a period has a second receipt when quantities with lead time 0 arrive after the decisions: keep the
            # fuller of the two (it overwrote the first, so a warehouse full after its receipt read as half full
            # once it had shipped to a lead-time-0 store)
            self.capacity_use[t] = np.fmax(self.capacity_use[t], capacity_use)

    # ------------------------------------------------------------------ reporting
    def _measured(self) -> slice:
        return slice(self.warmup, self.periods)

    def total(self, name: str) -> float:
        """A unit flow summed over the measured periods and all locations."""
        return float(self.units[name][self._measured()].sum())

    def summary(self) -> dict[str, float]:
        """Network-wide KPIs over the measured periods (costs per period).

        ``avg_cost`` charges every unit when it is bought. ``valued_cost`` is ``avg_cost`` minus
        ``stock_value_change``, the unit cost of the change of the network's inventory position
        (on hand and in transit at every location, minus backorders) over the measured periods,
        per period: it charges the units sold, owed or rejected at receipt instead of the units
        bought (as :meth:`hybridinv.sim.ledger.Ledger.summary`). ``demand_value`` is the unit
        cost of the stores' demand per period, the same for every policy on the same demand
        path, and ``cost_above_goods = valued_cost - demand_value`` what holding, shortage (with
        lost sales net of the unit cost of the unit not bought), fixed order and shipment costs
        and rejected receipts add to it: the cost of models without a purchase cost, such as
        the deep-RL literature's one-warehouse multi-retailer benchmarks (docs/multi_echelon.md).
        The valued costs are NaN before the episode's last period is recorded.
        """
        sl = self._measured()
        measured = self.periods - self.warmup
        costs = self.costs[sl].sum(axis=(0, 1)) / measured
        stores = self.network.stores
        demand = float(self.units["demand"][sl][:, stores].sum())
        served = float(self.units["served"][sl][:, stores].sum())
        n_store_periods = measured * stores.size
        budget = self.network.budget
        out = {"avg_cost": float(costs.sum())}
        out.update({f"{name}_cost": float(value) for name, value in zip(NETWORK_COST_COMPONENTS, costs, strict=True)})
        out.update({
            "fill_rate": served / demand if demand > 0 else 1.0,
            "demand_units": demand,
            "served_units": served,
            "lost_units": self.total("lost"),
            "backorders_end": float(self.units["backorders"][-1].sum()),
            "stockout_store_sku_periods": float(self.units["stockouts"][sl][:, stores].sum()),
            "stockouts_per_store_period": float(self.units["stockouts"][sl][:, stores].sum()) / n_store_periods,
            "ordered_units": self.total("ordered"),
            "shipped_units": self.total("shipped_out"),
            "overflow_units": self.total("overflow"),
            "budget_utilization": float(self.spend[sl].mean() / budget) if math.isfinite(budget) else math.nan,
            "budget_violations": float((self.budget_excess[sl] > 0).sum()),
            "shipment_violations": float((self.shipment_excess[sl] > 0).sum()),
            "violations": float(((self.budget_excess[sl] > 0) | (self.shipment_excess[sl] > 0)).sum()),
            "periods": float(measured),
        })
        start = self.initial_value if self.warmup == 0 else float(self.position_value[self.warmup - 1])
        change = (float(self.position_value[-1]) - start) / measured
        out["stock_value_change"] = change
        out["valued_cost"] = out["avg_cost"] - change
        out["demand_value"] = float(self.demand_value[sl].mean())
        out["cost_above_goods"] = out["valued_cost"] - out["demand_value"]
        return out

    def by_location(self) -> pd.DataFrame:
        """One row per location: costs per period by component, fill rate (stores), average units per period."""
        network = self.network
        sl = self._measured()
        measured = self.periods - self.warmup
        costs = self.costs[sl].sum(axis=0) / measured
        frame = pd.DataFrame({
            "location": list(network.names),
            "parent": [network.names[p] if p >= 0 else None for p in network.parent],
            "store": network.is_store,
            "avg_cost": costs.sum(axis=1),
        })
        for k, name in enumerate(NETWORK_COST_COMPONENTS):
            frame[f"{name}_cost"] = costs[:, k]
        demand = self.units["demand"][sl].sum(axis=0)
        served = self.units["served"][sl].sum(axis=0)
        frame["fill_rate"] = np.where(network.is_store, served / np.where(demand > 0, demand, 1.0), np.nan)
        frame.loc[network.is_store & (demand == 0), "fill_rate"] = 1.0
        for name in NETWORK_UNIT_FLOWS:
            frame[f"{name}_per_period"] = self.units[name][sl].sum(axis=0) / measured
        with np.errstate(all="ignore"):
            use = self.capacity_use[sl]
            known = ~np.isnan(use)
            frame["capacity_utilization"] = np.where(known.any(axis=0), np.nansum(use, axis=0) /
                                                     np.maximum(known.sum(axis=0), 1), np.nan)
        return frame
