"""The ledgers of a batch of episodes: :class:`~hybridinv.sim.ledger.Ledger` arrays with an episode axis.

:class:`BatchLedger` records one period of every episode of a
:class:`~hybridinv.sim.batch.BatchSimulator` in a few vectorized passes; :meth:`BatchLedger.episode`
hands out a plain :class:`Ledger` per episode (views of its rows), so the KPI
definitions stay in one place (:meth:`Ledger.summary`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from hybridinv.sim.ledger import COST_COMPONENTS, Ledger
from hybridinv.sim.scenario import Scenario

try:  # einsum's C entry point (as in the ledger)
    from numpy._core.multiarray import c_einsum as _einsum
except ImportError:  # pragma: no cover - other numpy layouts
    _einsum = np.einsum

__all__ = ["BatchLedger"]


class BatchLedger:
    """The :class:`Ledger` arrays of ``E`` episodes, filled a period at a time for all episodes."""

    def __init__(self, scenario: Scenario, periods: int, episodes: int) -> None:
        self.scenario = scenario
        self.periods = periods
        self.warmup = scenario.warmup_for(periods)
        n, E = scenario.n_skus, episodes  # noqa: N806
        self.costs = np.zeros((E, periods, len(COST_COMPONENTS)))
        names = (
            "demand", "served", "stockouts", "waste_units", "overflow_units", "received_units", "ordered_units",
            "cancelled_units", "backorders_filled", "held_units", "spend", "budget_excess", "capacity_excess",
            "rule_breaches",
        )
        self.series: dict[str, NDArray[np.float64]] = {name: np.zeros((E, periods)) for name in names}
        self.series["revenue"] = np.full((E, periods), np.nan)
        self.series["capacity_util"] = np.full((E, periods), np.nan)
        self.budget_excess = self.series["budget_excess"]
        self.capacity_excess = self.series["capacity_excess"]
        self.rule_breaches = self.series["rule_breaches"]
        self.capacity_util = self.series["capacity_util"]
        self.sku_stock = np.zeros((E, n))
        self.sku_served = np.zeros((E, n))
        self.sku_stockouts = np.zeros((E, n))
        #: inventory positions (E, n) at the start of the first measured period and at the end
        self.opening_position: NDArray[np.float64] | None = None
        self.closing_position: NDArray[np.float64] | None = None
        cat = scenario.catalog
        price_missing = np.isnan(cat.price)
        self._all_priced = not price_missing.any()
        self._none_priced = bool(price_missing.all())
        self._unpriced = price_missing.astype(np.float64)
        self._stock_weights = np.stack([cat.holding_cost, np.ones(n)])
        self._served_weights = np.stack([np.nan_to_num(cat.price), np.ones(n)])
        self._shortage = cat.shortage_cost

    def record(
        self,
        t: int,
        on_hand: NDArray[np.float64],
        backorders: NDArray[np.float64],
        spend: NDArray[np.float64],
        fixed: NDArray[np.float64] | float,
        served: NDArray[np.float64],
        short: NDArray[np.float64],
        waste: NDArray[np.float64] | None,
        overflow: NDArray[np.float64],
        demand_total: NDArray[np.float64],
        received: NDArray[np.float64],
        ordered: NDArray[np.float64],
        cancelled: NDArray[np.float64],
        filled: NDArray[np.float64],
    ) -> None:
        """Record period ``t`` of every episode (the quantities of :meth:`Ledger.record`, one per episode)."""
        scenario, series = self.scenario, self.series
        costs = self.costs[:, t]
        stock_sums = _einsum("kj,ej->ek", self._stock_weights, on_hand)
        costs[:, 0] = stock_sums[:, 0]
        costs[:, 1] = _einsum("j,ej->e", self._shortage, short if scenario.lost_sales else backorders)
        costs[:, 2] = spend + fixed
        if waste is not None:
            units = waste.sum(axis=1)
            series["waste_units"][:, t] = units
            costs[:, 3] = units * scenario.waste_cost
        series["overflow_units"][:, t] = overflow
        costs[:, 4] = overflow * scenario.overflow_cost
        series["received_units"][:, t] = received
        series["ordered_units"][:, t] = ordered
        series["cancelled_units"][:, t] = cancelled
        series["backorders_filled"][:, t] = filled
        series["held_units"][:, t] = stock_sums[:, 1]
        served_sums = _einsum("kj,ej->ek", self._served_weights, served)
        revenue = served_sums[:, 0]
        if not self._all_priced:  # unknown (NaN) when a SKU without a price sold something
            known = np.zeros(served.shape[0], dtype=bool)
            if not self._none_priced:
                known = _einsum("j,ej->e", self._unpriced, served) == 0.0
            revenue = np.where(known, revenue, np.where(served_sums[:, 1] == 0.0, 0.0, np.nan))
        series["revenue"][:, t] = revenue
        series["spend"][:, t] = spend
        series["served"][:, t] = served_sums[:, 1]
        series["demand"][:, t] = demand_total
        stockouts = np.count_nonzero(short, axis=1)
        series["stockouts"][:, t] = stockouts
        if t >= self.warmup:
            self.sku_stock += on_hand
            self.sku_served += served
            self.sku_stockouts += short > 0

    def episode(self, e: int) -> Ledger:
        """A :class:`Ledger` whose arrays are episode ``e``'s rows."""
        ledger = Ledger(self.scenario, self.periods)
        ledger.costs = self.costs[e]
        for name, values in self.series.items():
            setattr(ledger, name, values[e])
        ledger.sku_stock = self.sku_stock[e]
        ledger.sku_served = self.sku_served[e]
        ledger.sku_stockouts = self.sku_stockouts[e]
        if self.opening_position is not None:
            ledger.opening_position = self.opening_position[e]
        if self.closing_position is not None:
            ledger.closing_position = self.closing_position[e]
        return ledger
