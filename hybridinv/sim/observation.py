"""What a policy sees at the start of a period (before ordering)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.state import InventoryState
from hybridinv.sim.fifo import expected_outdating

if TYPE_CHECKING:
    from hybridinv.sim.ledger import Ledger
    from hybridinv.sim.view import SimulatorView

__all__ = ["Observation"]


#: Row length from which numpy sums a row pairwise rather than one number after the other.
_PAIRWISE_FROM = 8


class Observation:
    """A read-only view of the simulator at the start of period ``period``.

    Quantities are computed on first access and valid until the next ``step``.
    Policies receive this object from :func:`hybridinv.simulate`, the environments
    and :func:`hybridinv.plan` (which builds one from a user's state and forecast
    via :meth:`from_state`).
    """

    def __init__(self, sim: SimulatorView | None = None) -> None:
        self._sim = sim
        self._cache: dict[str, NDArray[np.float64]] = {}
        self._state: InventoryState | None = None
        self._known: NDArray[np.int64] = np.zeros(0, dtype=np.int64)  # planning: forecast periods per SKU (from_state)
        #: per SKU, True where :meth:`demand_history` is not realized demand (:func:`hybridinv.plan` filled it from a
        #: forecast: the SKU has no row in its ``demand_history``); None: every SKU's is realized
        self.history_filled: NDArray[np.bool_] | None = None
        if sim is not None:
            self.period = sim.t
            self.catalog: Catalog = sim.scenario.catalog
            self.constraints: Constraints = sim.scenario.constraints
            self.lost_sales: bool = sim.scenario.lost_sales
            self.periods_per_year: int = sim.scenario.periods_per_year
            #: cost per expired unit on top of its purchase (the scenario's; 0 when planning)
            self.waste_cost: float = sim.scenario.waste_cost

    @classmethod
    def from_state(
        cls,
        state: InventoryState,
        catalog: Catalog,
        constraints: Constraints,
        forecast_mean: NDArray[np.float64],
        forecast_std: NDArray[np.float64],
        demand_history: NDArray[np.float64] | None = None,
        period: int = 0,
        lost_sales: bool = True,
        forecast_history: NDArray[np.float64] | None = None,
        forecast_periods: int | NDArray[np.int64] | None = None,
        periods_per_year: int = 52,
        history_filled: NDArray[np.bool_] | None = None,
        stock_by_life: NDArray[np.float64] | None = None,
    ) -> Observation:
        """An observation built from planning data (for :func:`hybridinv.plan`).

        ``forecast_mean`` and ``forecast_std`` have shape (n_skus, horizon), of which the
        first ``forecast_periods`` (default: all; one number for every SKU or one per SKU) were
        forecast rather than extended;
        ``demand_history`` and ``forecast_history`` (the forecasts that were made for
        those past periods) have shape (n_skus, periods), oldest first; ``periods_per_year``
        (a whole number >= 1, checked by the caller) places ``period`` in the year;
        ``history_filled`` (per SKU) marks the SKUs whose ``demand_history`` rows are not
        realized demand (:attr:`history_filled`); ``stock_by_life`` (n, B) the stock on hand by periods of
        life left (:attr:`stock_by_life`; :func:`hybridinv.core.ages.stock_by_life` reads it from a frame),
        None to take it as fresh.
        """
        obs = cls(None)
        obs.period = period
        obs.catalog = catalog
        obs.constraints = constraints
        obs.lost_sales = lost_sales
        obs.periods_per_year = periods_per_year
        obs.waste_cost = 0.0
        assert state.backorders is not None and state.pipeline is not None
        obs._cache = {
            "on_hand": np.asarray(state.on_hand, dtype=np.float64),
            "backorders": np.asarray(state.backorders, dtype=np.float64),
            "pipeline": np.asarray(state.pipeline, dtype=np.float64),
            "forecast_mean": np.asarray(forecast_mean, dtype=np.float64),
            "forecast_std": np.asarray(forecast_std, dtype=np.float64),
        }
        width = obs._cache["forecast_mean"].shape[1]
        known = np.broadcast_to(np.asarray(width if forecast_periods is None else forecast_periods), (catalog.n_skus,))
        obs._known = np.clip(known.astype(np.int64), 0, width)
        if demand_history is not None:
            obs._cache["history"] = np.asarray(demand_history, dtype=np.float64)
            if history_filled is not None and np.any(history_filled):
                obs.history_filled = np.asarray(history_filled, dtype=bool)
        if forecast_history is not None:
            obs._cache["forecast_history"] = np.asarray(forecast_history, dtype=np.float64)
        if stock_by_life is not None and bool(catalog.perishable.any()):
            obs._cache["stock_by_life"] = np.asarray(stock_by_life, dtype=np.float64)
        return obs

    def _get(self, key: str) -> NDArray[np.float64]:
        value = self._cache.get(key)
        if value is None:
            sim = self._sim
            assert sim is not None
            if key == "on_hand":
                value = sim.on_hand()
            elif key == "backorders":
                value = sim.backorders()
            elif key == "pipeline":
                value = sim.pipeline()
            else:
                raise KeyError(key)
            self._cache[key] = value
        return value

    @property
    def n_skus(self) -> int:
        return self.catalog.n_skus

    @property
    def simulated(self) -> bool:
        """Whether this observation comes from a simulator (rather than a real planning period)."""
        return self._sim is not None

    @property
    def ledger(self) -> Ledger | None:
        """The episode's :class:`~hybridinv.sim.ledger.Ledger` (periods ``< period`` are recorded);
        None for an observation built from planning data or one episode of a batch."""
        ledger: Ledger | None = getattr(self._sim, "ledger", None)  # a Simulator's; an episode view has none
        return ledger

    @property
    def on_hand(self) -> NDArray[np.float64]:
        """Usable stock per SKU."""
        return self._get("on_hand")

    @property
    def stock_by_life(self) -> NDArray[np.float64] | None:
        """On hand per SKU by periods of life left, shape (n, B), or None when unknown.

        Column ``j`` holds the units usable in this period and the ``j`` after it (they expire at
        the end of period ``j`` from now), as the simulator's age buckets; the rows sum to
        :attr:`on_hand`. None without perishable SKUs, and when planning without the stock's ages
        (``plan(stock_ages=...)``; an :class:`~hybridinv.InventoryState` records none): then the stock
        on hand is taken as fresh.
        """
        if not bool(self.catalog.perishable.any()):
            return None
        value = self._cache.get("stock_by_life")
        sim = self._sim
        if value is None and sim is not None:
            value = np.asarray(sim._stock.T, dtype=np.float64).copy()
            self._cache["stock_by_life"] = value
        return value

    @property
    def backorders(self) -> NDArray[np.float64]:
        """Units owed to customers per SKU (0 under lost sales)."""
        return self._get("backorders")

    @property
    def pipeline(self) -> NDArray[np.float64]:
        """Open orders, shape (n, W): ``pipeline[i, k]`` arrives in ``k`` periods."""
        return self._get("pipeline")

    @property
    def inventory_position(self) -> NDArray[np.float64]:
        """On-hand + open orders − backorders."""
        ip = self._cache.get("ip")
        if ip is None:
            ip = self.on_hand + self.pipeline.sum(axis=1) - self.backorders
            self._cache["ip"] = ip
        return ip

    @property
    def expiring_before_arrival(self) -> NDArray[np.float64]:
        """Units of each perishable SKU expected to expire before an order placed now arrives, shape (n,).

        The stock on hand (by age, in simulation; taken as fresh when planning, see :attr:`stock_by_life`)
        and the open orders, served oldest first at the forecast demand over the SKU's lead time
        (:func:`hybridinv.sim.fifo.expected_outdating`); 0 for SKUs that do not perish.
        """
        value = self._cache.get("expiring")
        if value is None:
            cat = self.catalog
            if not bool(cat.perishable.any()):  # the usual case: nothing to run, no forecast window to build
                value = np.zeros(self.n_skus)
            else:
                by_life = self.stock_by_life
                value = expected_outdating(
                    self.on_hand, self.pipeline, self.forecast(max(int(cat.lead_time.max()), 1)),
                    self.backorders, cat.shelf_life, cat.lead_time, None if by_life is None else by_life.T,
                    lost_sales=self.lost_sales)
            self._cache["expiring"] = value
        return value

    @property
    def usable_position(self) -> NDArray[np.float64]:
        """:attr:`inventory_position` less :attr:`expiring_before_arrival` (the same array without perishable
        SKUs): the stock an order placed now can still count on.

        For a policy of your own. The built-in policies order against :attr:`inventory_position`: ordering
        against this one was measured and cost more in simulation (their service levels price no waste, and
        replacing what expires bought more of it; docs/policies.md, *Perishables in plan()*).
        """
        value = self._cache.get("usable")
        if value is None:
            value = self.inventory_position
            if bool(self.catalog.perishable.any()):
                value = value - self.expiring_before_arrival
            self._cache["usable"] = value
        return value

    def forecast(self, horizon: int) -> NDArray[np.float64]:
        """Expected demand of the next ``horizon`` periods, shape (n, horizon).

        In simulation this is the scenario's forecastable mean (seasonality,
        trend, announced promotions); in planning, the user's forecast (its last
        period repeated where the horizon is longer).
        """
        return self._window("forecast_mean", horizon)

    def forecast_std(self, horizon: int) -> NDArray[np.float64]:
        """Standard deviation of demand of the next ``horizon`` periods, shape (n, horizon)."""
        return self._window("forecast_std", horizon)

    @property
    def forecast_periods(self) -> int:
        """How many periods ahead (this one included) the longest SKU's forecast is known rather than extended.

        Planning: the periods of the longest SKU's forecast rows (:attr:`forecast_periods_by_sku` has
        each SKU's); simulation: the rolling forecast's horizon, or the periods left in the drawn demand
        path for a forecastable mean. :meth:`forecast` repeats the last known period beyond it.
        """
        sim = self._sim
        if sim is None:
            return int(self._known.max()) if self._known.size else 0
        assert sim.path is not None
        demand = sim.path.demand
        if demand.forecast_mean is not None:
            return int(demand.forecast_mean[min(sim.t, demand.forecast_mean.shape[0] - 1)].shape[0])
        return max(int(demand.expected.shape[0]) - sim.t, 0)

    @property
    def forecast_periods_by_sku(self) -> NDArray[np.int64]:
        """How many periods ahead each SKU's forecast is known rather than extended, shape (n,).

        Planning: the periods of each SKU's own forecast rows (a SKU on the catalog's ``demand_mean``
        counts as far as the longest forecast); :meth:`forecast` repeats a SKU's last row past its
        count. Simulation: :attr:`forecast_periods` for every SKU.
        """
        if self._sim is None:
            return self._known
        return np.full(self.n_skus, self.forecast_periods, dtype=np.int64)

    def protection_forecast(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Forecast mean and standard deviation of demand over each SKU's protection interval.

        The protection interval of SKU ``i`` is its next ``L_i + 1`` periods (lead time
        plus the review period); the variance adds the per-period variances (independent
        periods) and, for a SKU with a ``lead_time_std`` ``s_L``, the lead time's share
        ``(mu_P / (L_i + 1))^2 s_L^2`` (the textbook ``sum sigma^2 + mu^2 sigma_L^2``, as in
        the newsvendor). Shapes (n,), (n,); computed once per observation.
        """
        mean = self._cache.get("protection_mean")
        std = self._cache.get("protection_std")
        if mean is None or std is None:
            lead = self.catalog.lead_time
            horizon = int(lead.max()) + 1
            forecast, spread = self.forecast(horizon), self.forecast_std(horizon)
            if horizon < _PAIRWISE_FROM:
                # period by period, fewer passes than over a masked (n, horizon) array, and the same sums: numpy
                # adds fewer than 8 numbers of a row one after the other
                n = lead.size
                mean, variance, term = np.zeros(n), np.zeros(n), np.empty(n)
                for k in range(horizon):
                    within = lead >= k
                    np.multiply(forecast[:, k], within, out=term)
                    mean += term
                    np.multiply(spread[:, k], spread[:, k], out=term)
                    term *= within
                    variance += term
            else:  # numpy sums 8 or more pairwise: the masked array, so that the bits do not depend on the path
                within = np.arange(horizon)[None, :] <= lead[:, None]
                mean = (forecast * within).sum(axis=1)
                variance = (spread**2 * within).sum(axis=1)
            spread_of_lead = self.catalog.lead_time_std
            if spread_of_lead.any():  # uncertain lead times: their spread (was left out: disrupted's levels ignored it)
                variance = variance + (mean / (lead + 1.0)) ** 2 * spread_of_lead**2
            std = np.sqrt(variance)
            self._cache["protection_mean"], self._cache["protection_std"] = mean, std
        return mean, std

    def arrival_forecast(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Forecast mean and standard deviation of the period an order placed now arrives in (``L_i`` periods
        ahead), per SKU: the period the order serves first (the order caps of ``forecast_ss`` and
        ``forecast_capped_base_stock`` scale with it)."""
        lead = self.catalog.lead_time
        if lead.size == 0:
            return np.zeros(0), np.zeros(0)
        horizon = int(lead.max()) + 1
        rows = np.arange(lead.size)
        return self.forecast(horizon)[rows, lead], self.forecast_std(horizon)[rows, lead]

    def _window(self, key: str, horizon: int) -> NDArray[np.float64]:
        sim = self._sim
        if sim is None:
            full = self._cache[key]
            if full.shape[1] >= horizon:
                return full[:, :horizon]
            pad = np.repeat(full[:, -1:], horizon - full.shape[1], axis=1)
            return np.concatenate([full, pad], axis=1)
        assert sim.path is not None
        demand = sim.path.demand
        t = sim.t
        rolling = demand.forecast_mean if key == "forecast_mean" else demand.forecast_std
        if rolling is not None:
            made = rolling[min(t, rolling.shape[0] - 1)]
            if made.shape[0] < horizon:
                made = np.concatenate([made, np.repeat(made[-1:], horizon - made.shape[0], axis=0)], axis=0)
            return np.asarray(made[:horizon].T)
        source = demand.expected if key == "forecast_mean" else demand.std
        window = source[t : t + horizon]
        if window.shape[0] < horizon:
            pad = np.repeat(source[-1:], horizon - window.shape[0], axis=0)
            window = np.concatenate([window, pad], axis=0)
        return window.T

    def demand_history(self, length: int) -> NDArray[np.float64]:
        """Realized demand of the last ``length`` periods, shape (n, length), oldest first.

        Periods before the start of the episode are filled with the expected demand.
        """
        past = self._past("history", "realized", length)
        return np.repeat(self.forecast(1), length, axis=1) if past is None else past

    @property
    def observed_periods(self) -> int:
        """How many past periods of realized demand are recorded (the rest of a history window is padding)."""
        sim = self._sim
        if sim is None:
            hist = self._cache.get("history")
            return 0 if hist is None else int(hist.shape[1])
        assert sim.path is not None
        past = sim.path.demand.past_realized
        return sim.t + (0 if past is None else int(past.shape[0]))

    def forecast_history(self, length: int) -> NDArray[np.float64] | None:
        """The forecast that was made for each of the last ``length`` periods, shape (n, length), oldest first.

        Aligned with :meth:`demand_history` (same padding before the start of the
        episode), so ``demand_history(k).sum(1) / forecast_history(k).sum(1)`` measures
        how far demand has drifted from its forecast. In simulation this is the
        scenario's forecastable mean; when planning, the ``forecast_history`` given to
        :meth:`from_state` (None if none was given).
        """
        return self._past("forecast_history", "expected", length)

    def _past(self, cached: str, simulated: str, length: int) -> NDArray[np.float64] | None:
        """The last ``length`` periods of a history, shape (n, length), oldest first.

        Planning: the cached array ``cached`` (None if absent), padded in front with
        next period's forecast. Simulation: the demand path's ``simulated`` array
        (``"realized"`` or ``"expected"``), preceded by the path's pre-history
        (``past_realized`` / ``past_expected``) when it has one, and padded with the
        first period's expected demand before that.
        """
        sim = self._sim
        if sim is None:
            hist = self._cache.get(cached)
            if hist is None:
                return None
            if hist.shape[1] >= length:
                return hist[:, -length:]
            pad = np.repeat(self.forecast(1), length - hist.shape[1], axis=1)
            return np.concatenate([pad, hist], axis=1)
        assert sim.path is not None
        demand = sim.path.demand
        t = sim.t
        window = getattr(demand, simulated)[max(0, t - length) : t]
        past = getattr(demand, f"past_{simulated}")
        if window.shape[0] < length and past is not None:
            window = np.concatenate([past[max(0, past.shape[0] - (length - window.shape[0])) :], window], axis=0)
        if window.shape[0] < length:
            fill = np.repeat(demand.expected[:1], length - window.shape[0], axis=0)
            window = np.concatenate([fill, window], axis=0)
        return np.asarray(window.T)

    def state(self) -> InventoryState:
        """The state as an :class:`InventoryState` (for the repair layer).

        Not validated again: an observation holds a validated state (:meth:`from_state`)
        or the simulator's, whose stock, backorders and open orders stay finite and >= 0.
        """
        if self._state is None:
            self._state = InventoryState._trusted(self.catalog.sku, self.on_hand, self.backorders, self.pipeline)
        return self._state
