"""Monitoring and fallback: watch rolling KPIs and switch to a safe policy when they degrade.

:class:`Monitor` wraps a primary policy (e.g. the hybrid agent) and a fallback
(e.g. a tuned (s, S) policy) and is itself a policy (``act(obs)``), so it runs in
:func:`hybridinv.simulate`, the shadow replay and ``plan()``. Each period it
reconstructs the previous period's KPIs from the inventory balance, updates
rolling fill rate, cost ratio (rolling cost per unit demanded / expected cost per
unit) and inventory turns,
and

- switches to the fallback when any rolling KPI breaches its threshold, and
- switches back after ``recovery_periods`` consecutive healthy periods (a period
  whose thresholded KPI cannot be measured, e.g. the cost ratio of a window without
  demand, is not healthy).

Every switch is recorded as a :class:`MonitorEvent`. In a real deployment the
period KPIs come from the ERP instead: call :meth:`Monitor.observe` directly (or
:meth:`Monitor.replay_log` on a KPI log).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.core._frame import _KIND_NAMES, _cell_kind, require_columns, require_frame
from hybridinv.core.errors import PlanningError, PlanningWarning, flag, number_in, require_policy, whole_number
from hybridinv.core.errors import periods_per_year as periods_per_year_value
from hybridinv.core.limits import MAX_LOG_PERIOD, MAX_LOG_VALUE
from hybridinv.sim.observation import Observation

__all__ = ["LOG_COLUMNS", "Monitor", "MonitorEvent", "MonitorThresholds"]

#: Columns of a monitoring log (one row per period); ``inventory_value``, ``cogs`` and
#: ``expected_unit_cost`` are optional.
LOG_COLUMNS: tuple[str, ...] = ("period", "demand", "served", "cost")
_OPTIONAL_LOG_COLUMNS: tuple[str, ...] = ("inventory_value", "cogs", "expected_unit_cost")
#: what a plan() call that repeats the period it observes is told, after :func:`_not_after`'s message
_REPEATED_PLAN_PERIOD = (" (the monitor observes the period of the previous plan() call itself: pass plan(..., "
                         "period=t) increasing with each call (e.g. the week number), or build the monitor with "
                         "auto_observe=False and feed the ERP's numbers through observe())")


#: Relative rounding of the window's KPIs: a KPI at its threshold within it is not "below" (or "above") it.
_ROUNDING = 1e-12


def _not_after(last: int, period: int, hint: str = "") -> PlanningError:
    """The error for a ``period`` that does not come after the ``last`` observed one."""
    return PlanningError(f"must come after the last observed period {last}{hint}", column="period", value=period)


@dataclass(frozen=True)
class MonitorThresholds:
    """When the primary policy counts as degraded (None disables a check).

    Parameters
    ----------
    window : int
        Periods in the rolling window; no decision before it is full.
    min_fill_rate : float, optional
        Rolling fill rate below this is unhealthy.
    max_cost_ratio : float, optional
        Rolling cost per unit demanded / expected cost per unit above this is
        unhealthy (per unit, so a rise in volume alone is not a degradation).
    min_inventory_turns : float, optional
        Annualized rolling turns below this is unhealthy (excess stock).
    recovery_periods : int
        Consecutive healthy periods under the fallback before switching back.
    """

    window: int = 8
    min_fill_rate: float | None = 0.9
    max_cost_ratio: float | None = 1.3
    min_inventory_turns: float | None = None
    recovery_periods: int = 6

    def __post_init__(self) -> None:
        # the checked int is kept: a window of 4.0 (thresholds read from JSON/TOML) failed later as a slice
        object.__setattr__(self, "window", whole_number(self.window, "window", 1))
        object.__setattr__(self, "recovery_periods", whole_number(self.recovery_periods, "recovery_periods", 1))
        if self.min_fill_rate is not None:
            number_in(self.min_fill_rate, "min_fill_rate", 0.0, 1.0)
        if self.max_cost_ratio is not None:
            number_in(self.max_cost_ratio, "max_cost_ratio", 0.0, math.inf, open_low=True)
        if self.min_inventory_turns is not None:
            number_in(self.min_inventory_turns, "min_inventory_turns", 0.0, math.inf)


@dataclass(frozen=True)
class MonitorEvent:
    """A switch between the primary and the fallback policy."""

    period: int
    kind: str  #: "fallback" or "recover"
    reason: str
    fill_rate: float
    cost_ratio: float
    inventory_turns: float


class Monitor:
    """Run ``primary`` while rolling KPIs are healthy, else ``fallback``.

    Parameters
    ----------
    primary, fallback : Policy
    thresholds : MonitorThresholds
    expected_unit_cost : float, optional
        Expected total cost per unit demanded (e.g. from the twin's simulation of
        the primary: ``avg_cost / mean demand``). When None, the cost per unit of
        the first full window in which every period has a cost above 0.
    periods_per_year : int, optional
        For annualized turns, a whole number from 1 to MAX_PERIODS (default: the observation's).
    auto_observe : bool
        Reconstruct each period's KPIs from consecutive observations (simulation).
        Through :func:`hybridinv.plan` pass ``period=t`` increasing with each call (each
        call observes the period of the one before; with the default 0 the third call is
        refused), or set False in production, where each call sees a fresh state, and feed
        the ERP's numbers through :meth:`observe` instead.
    """

    def __init__(self, primary: Any, fallback: Any, thresholds: MonitorThresholds | None = None,
                 expected_unit_cost: float | None = None, periods_per_year: int | None = None,
                 auto_observe: bool = True) -> None:
        for role, member in (("primary", primary), ("fallback", fallback)):
            if member is not None:  # None: KPI tracking only
                require_policy(member, role, "must be a policy (an object with act(obs)) or None")
        if thresholds is not None and not isinstance(thresholds, MonitorThresholds):
            raise PlanningError("must be a MonitorThresholds", column="thresholds", value=type(thresholds).__name__)
        self.primary = primary
        self.fallback = fallback
        self.thresholds = thresholds or MonitorThresholds()
        # a zero, negative or NaN expected cost turned the cost check off (or inverted it) without a word
        self.expected_unit_cost = None if expected_unit_cost is None else number_in(
            expected_unit_cost, "expected_unit_cost", 0.0, math.inf, open_low=True)
        self._given_periods_per_year = (None if periods_per_year is None
                                        else periods_per_year_value(periods_per_year))
        self.auto_observe = flag(auto_observe, "auto_observe")
        self.name = f"monitor({getattr(primary, 'name', 'primary')}|{getattr(fallback, 'name', 'fallback')})"
        self.reset()

    # ------------------------------------------------------------------ policy interface
    def reset(self, scenario: Any = None) -> None:
        """Start over: primary active, no history, no events."""
        for member in (self.primary, self.fallback):
            reset = getattr(member, "reset", None)
            if callable(reset) and scenario is not None:
                reset(scenario)
        self.using_fallback = False
        self.periods_per_year = self._given_periods_per_year  # not the last scenario's
        self.events: list[MonitorEvent] = []
        self._records: list[dict[str, Any]] = []
        #: index in ``_records`` of the first period with a cost above 0 (None: none yet)
        self._first_cost: int | None = None
        self._healthy_streak = 0
        self._baseline = self.expected_unit_cost
        #: the expected cost per unit the user gave (constructor or observe), None while only derived or none
        self._given = self.expected_unit_cost
        self._previous: tuple[Any, ...] | None = None
        #: the last observed period when a plan() call was refused for repeating it (None: none refused)
        self._refused_after: int | None = None
        self._observing_itself = False

    @property
    def active(self) -> Any:
        """The policy deciding now."""
        return self.fallback if self.using_fallback else self.primary

    def act(self, obs: Observation) -> NDArray[np.float64]:
        """Update the KPIs with the last period's outcome, maybe switch, then decide."""
        if self._refused_after is not None:  # a call refused for a repeated period: only a later one goes on
            if obs.period <= self._refused_after:
                raise _not_after(self._refused_after, obs.period, _REPEATED_PLAN_PERIOD)
            self._refused_after = None
        if self.auto_observe and self._previous is not None:
            self._observing_itself = True
            try:
                self._observe_from(obs)
            except PlanningError as exc:
                if exc.column == "period":  # a repeated period: the next call, with a later period, starts afresh
                    self._previous = None
                    self._refused_after = int(self._records[-1]["period"])
                raise
            finally:
                self._observing_itself = False
        if self.active is None:
            raise PlanningError("this monitor only tracks KPIs: give it a primary and a fallback policy to act",
                                column="fallback" if self.using_fallback else "primary")
        role = "fallback" if self.using_fallback else "primary"
        try:
            orders = np.asarray(self.active.act(obs), dtype=np.float64)
        except Exception as exc:
            # this period's orders are unknown, so its outcome cannot be rebuilt: the next call starts afresh (the
            # last call's state was kept, and the next plan(period=t + 1) was refused as repeating a period)
            self._previous = None
            exc.add_note(f"raised by the monitor's {role} policy {getattr(self.active, 'name', '')!r} in period "
                         f"{obs.period}")
            raise
        ledger = obs.ledger
        self._previous = (obs.on_hand.copy(), obs.backorders.copy(), obs.pipeline[:, 0].copy(), orders.copy(),
                          obs.period, ledger, None if ledger is None else ledger.sku_served.copy(), obs.catalog.sku)
        if self.periods_per_year is None:
            self.periods_per_year = obs.periods_per_year
        return orders

    def placed(self, orders: NDArray[np.float64]) -> None:
        """The orders actually placed for the last :meth:`act` (``plan()`` calls it after its check).

        ``plan()`` repairs orders that break the budget, capacity, MOQ or lots; without a ledger the next
        period's KPIs are rebuilt from the orders placed, so they must be these, not the wanted ones (a
        budget that cut [8, 17] to [7, 3] was recorded as fill rate 1.0 where it was 0.857, and the
        fallback did not fire).
        """
        if self._previous is not None:
            placed = np.asarray(orders, dtype=np.float64)
            if placed.shape != self._previous[3].shape:
                raise PlanningError(f"expected {self._previous[3].size} orders, one per SKU of the last act()",
                                    column="orders", value=placed.shape)
            self._previous = (*self._previous[:3], placed.copy(), *self._previous[4:])

    def _observe_from(self, obs: Observation) -> None:
        """Record the last period's KPIs.

        In a simulation the episode's ledger has them: demand, units served and the
        period's cost (every component: holding, shortage, ordering, waste, overflow),
        so units rejected at receipt, short deliveries and expired stock count as they
        do in :meth:`~hybridinv.sim.ledger.Ledger.summary`. The cost of goods sold
        (for turns) is the unit cost of the units served, known per SKU from the end of
        the warm-up (NaN before it). Without a ledger (an observation built by hand)
        the KPIs are reconstructed from the inventory balance: ``available = on_hand +
        arrivals due + orders with lead time 0``, ``served = min(max(available -
        backorders, 0), demand)``, costs at the catalog's rates; this is exact only
        without capacity rejections, short deliveries, waste or random lead times.
        """
        on_hand, backorders, due, orders, period, ledger, sku_served, skus = self._previous  # type: ignore[misc]
        cat = obs.catalog
        if ledger is obs.ledger and ledger is not None:
            cogs = (float(cat.unit_cost @ (ledger.sku_served - sku_served)) if period >= ledger.warmup
                    else np.nan)
            self.observe(period, float(ledger.demand[period]), float(ledger.served[period]),
                         float(ledger.costs[period].sum()), inventory_value=float(cat.unit_cost @ obs.on_hand),
                         cogs=cogs)
            return
        if obs.observed_periods == 0:  # no realized demand to observe: the forecast would be recorded as demand
            return
        now_on_hand, now_backorders, demand = obs.on_hand, obs.backorders, obs.demand_history(1)[:, 0]
        matched = _matched_skus(skus, cat.sku, obs.history_filled, period)
        if matched is not None:
            before, now = matched
            if not now.size:
                return
            on_hand, backorders, due, orders = on_hand[before], backorders[before], due[before], orders[before]
            now_on_hand, now_backorders, demand = now_on_hand[now], now_backorders[now], demand[now]
            cat = cat.subset(now)
        available = on_hand + due + np.where(cat.lead_time == 0, orders, 0.0)
        served = np.minimum(np.maximum(available - backorders, 0.0), demand)
        shortage = now_backorders if not obs.lost_sales else demand - served
        cost = (cat.holding_cost @ now_on_hand + cat.shortage_cost @ shortage + cat.unit_cost @ orders
                + cat.order_cost @ (orders > 0))
        # the stock of the SKUs left out is left out too (it was valued before they were: a SKU new in this call
        # holding 100,000 units put its stock into the turns of SKUs whose sales did not include it)
        self.observe(period, float(demand.sum()), float(served.sum()), float(cost),
                     inventory_value=float(cat.unit_cost @ now_on_hand), cogs=float(cat.unit_cost @ served))
        self._records[-1]["auto"] = 1.0

    # ------------------------------------------------------------------ KPI tracking
    def observe(self, period: int, demand: float, served: float, cost: float,
                inventory_value: float = np.nan, cogs: float = np.nan,
                expected_unit_cost: float | None = None) -> bool:
        """Record one period's outcome, update the rolling KPIs and switch if needed.

        Parameters
        ----------
        period : int
            Whole number >= 0, above the previous observed period.
        demand, served, cost : float
            Units demanded, units of that demand served (``0 <= served <= demand``) and
            the period's total cost (>= 0), all SKUs.
        inventory_value, cogs : float
            Stock value and cost of goods sold (>= 0; NaN = unknown). Turns need both:
            with either unknown in the window the turns check cannot be made, and the
            period is not healthy (it neither switches to the fallback nor counts
            towards recovery).
        expected_unit_cost : float, optional
            Overrides the expected cost per unit demanded from this period on (> 0).

        Returns whether the fallback is active after this period.

        Raises
        ------
        PlanningError
            For a value outside the ranges above (a boolean or text is not a number),
            naming the argument and the value.
        """
        th = self.thresholds
        period = whole_number(period, "period", 0)
        if period > MAX_LOG_PERIOD:
            raise PlanningError(f"must be at most {MAX_LOG_PERIOD} (2**53: whole floats above it alias)",
                                column="period", value=period)
        if self._records and period <= self._records[-1]["period"]:
            if self._observing_itself:  # plan() called again with the same (default 0) period: nobody fed numbers
                hint = _REPEATED_PLAN_PERIOD
            elif self._records[-1].get("auto"):
                hint = (" (the monitor observed it itself from the planning data: pass auto_observe=False when you "
                        "feed the ERP's numbers)")
            else:
                hint = ""
            raise _not_after(int(self._records[-1]["period"]), period, hint)
        demand = number_in(demand, "demand", 0.0, MAX_LOG_VALUE)
        served = number_in(served, "served", 0.0, MAX_LOG_VALUE)
        if served > demand * (1 + 1e-9) + 1e-9:
            raise PlanningError(f"must not exceed the demand {demand:g}", column="served", value=served)
        cost = number_in(cost, "cost", 0.0, MAX_LOG_VALUE)
        inventory_value, cogs = (_unknown_or_number(inventory_value, "inventory_value"),
                                 _unknown_or_number(cogs, "cogs"))
        if expected_unit_cost is not None:
            self._given = self._baseline = number_in(expected_unit_cost, "expected_unit_cost", 0.0, math.inf,
                                                     open_low=True)
        self._record({"period": period, "demand": demand, "served": served, "cost": cost,
                      "inventory_value": inventory_value, "cogs": cogs})
        recent = self._records[-th.window:]
        # exactly rounded sums (math.fsum): added row by row, 8 periods of 2.7 served of 3 gave a fill rate of
        # 0.8999999999999999 and a fallback "below" a threshold of 0.9
        demand_sum = math.fsum(r["demand"] for r in recent)
        unit_cost = math.fsum(r["cost"] for r in recent) / demand_sum if demand_sum > 0 else np.nan
        if self._baseline is None and np.isfinite(unit_cost):
            self._baseline = self._first_baseline(unit_cost, th.window)
        fill = math.fsum(r["served"] for r in recent) / demand_sum if demand_sum > 0 else 1.0
        ratio = unit_cost / self._baseline if self._baseline else np.nan
        stock = float(np.mean([r["inventory_value"] for r in recent]))
        per_year = self.periods_per_year or 52
        turns = float(np.mean([r["cogs"] for r in recent])) * per_year / stock if stock > 0 else np.nan
        reasons: list[str] = []
        unknown: list[str] = []
        if len(recent) >= th.window:
            reasons, unknown = self._breaches(fill, ratio, turns, demand_sum, stock)
        healthy = not reasons and not unknown
        record = self._records[-1]
        # the baseline the monitor derived is kept apart from the expected cost the user gave: a replay of this
        # history reads expected_unit_cost as given, and another window derives another baseline
        record.update(fill_rate=fill, cost_ratio=ratio, inventory_turns=turns, healthy=float(healthy),
                      reason="; ".join(reasons + unknown),
                      expected_unit_cost=self._given if self._given is not None else np.nan,
                      baseline_unit_cost=self._baseline if self._baseline is not None else np.nan)
        if not self.using_fallback and reasons:  # an unmeasurable KPI alone does not switch
            self.using_fallback = True
            self._healthy_streak = 0
            self.events.append(MonitorEvent(period, "fallback", "; ".join(reasons), fill, ratio, turns))
        elif self.using_fallback:  # a period with a KPI that cannot be measured is not healthy: the count restarts
            self._healthy_streak = self._healthy_streak + 1 if healthy else 0
            if self._healthy_streak >= th.recovery_periods:
                self.using_fallback = False
                self._healthy_streak = 0
                self.events.append(MonitorEvent(
                    period, "recover", f"{th.recovery_periods} consecutive healthy periods", fill, ratio, turns))
        record["fallback"] = float(self.using_fallback)
        return self.using_fallback

    def _breaches(self, fill: float, ratio: float, turns: float, demand: float,
                  stock: float) -> tuple[list[str], list[str]]:
        """The thresholds a full window's rolling KPIs breach, and those whose KPI cannot be measured.

        A KPI that cannot be measured is *unknown*, not healthy: until 2026-12-07 its check was skipped, so a
        period with no demand (cost ratio NaN) or an unknown stock value (turns NaN) counted towards recovery and
        the monitor switched back to the primary while the cost was 50,000 times the expected one. A window
        without stock (``inventory_value`` 0 throughout) holds no excess stock: the turns check passes.
        """
        th = self.thresholds
        reasons, unknown = [], []
        if th.min_fill_rate is not None and fill < th.min_fill_rate - _ROUNDING:
            reasons.append(f"fill rate {fill:.3f} < {th.min_fill_rate:g}")
        if th.max_cost_ratio is not None:
            if np.isfinite(ratio):
                if ratio > th.max_cost_ratio * (1 + _ROUNDING):
                    reasons.append(f"cost ratio {ratio:.2f} > {th.max_cost_ratio:g}")
            else:
                unknown.append("cost ratio unknown (" + ("no demand in the window" if not demand > 0
                                                         else "no expected cost per unit yet") + ")")
        if th.min_inventory_turns is not None:
            if np.isfinite(turns):
                if turns < th.min_inventory_turns * (1 - _ROUNDING):
                    reasons.append(f"turns {turns:.1f} < {th.min_inventory_turns:g}")
            elif stock != 0:  # NaN: a stock value or cost of goods sold unknown in the window
                unknown.append("turns unknown (inventory_value or cogs blank in the window)")
        return reasons, unknown

    # ------------------------------------------------------------------ reports
    def _record(self, row: dict[str, Any]) -> None:
        """Append an observed period, noting the first one with a cost (the baseline's window starts there)."""
        if self._first_cost is None and row["cost"] > 0:
            self._first_cost = len(self._records)
        self._records.append(row)

    def _first_baseline(self, unit_cost: float, window: int) -> float | None:
        """``unit_cost`` once a full window from the first period with a cost on has been observed, else None.

        A window of a start-up without cost turned the cost check off for good, and one that was mostly empty
        (costs 0, 0, 0, 10) set a baseline a quarter of the steady cost, so every later window read a cost ratio
        of 4 and fell back. (Requiring every period of the window to cost something, as from 2026-12-06 morning,
        never set one for costs booked every other period, and a 50-fold rise in cost went unnoticed.)
        """
        started = self._first_cost is not None and len(self._records) - self._first_cost >= window
        return unit_cost if started else None

    def history(self) -> pd.DataFrame:
        """One row per observed period: raw KPIs, rolling KPIs, health and mode (a monitoring log).

        ``decided_by_fallback``: the fallback decided this period (it was on when the period was planned);
        ``fallback``: the fallback is on after this period's outcome, so it decides the next period. A switch
        recorded at period ``t`` (an event) therefore shows as ``fallback`` from row ``t`` and as
        ``decided_by_fallback`` from row ``t + 1``. In a simulation each period is observed when the next one
        is planned, so the episode's last period has no row.

        ``healthy``: the rolling KPIs are within all thresholds (True while the window is not yet full); ``reason``
        says why not: the thresholds breached, and the KPIs whose threshold is set that cannot be measured
        (``cost ratio unknown (no demand in the window)``, ``turns unknown (...)``). Such a period neither
        switches to the fallback by itself nor counts towards recovery (the consecutive count starts again).

        ``expected_unit_cost`` is the expected cost per unit the user gave (the constructor's, or the last one passed
        to :meth:`observe` or read from a log's column), blank while none was given; ``baseline_unit_cost`` is the
        one ``cost_ratio`` divides by: the given one, else the one the monitor derived from its first full window.
        So :meth:`replay_log` of this history with other thresholds reads only what the user gave, and gives the
        rolling KPIs a replay of the raw KPIs gives (until 2026-12-06 the derived baseline was written as
        ``expected_unit_cost``, and a replay with another ``window`` switched to it partway).
        """
        columns = [*LOG_COLUMNS, "inventory_value", "cogs", "expected_unit_cost", "baseline_unit_cost", "fill_rate",
                   "cost_ratio", "inventory_turns", "healthy", "reason", "decided_by_fallback", "fallback"]
        frame = pd.DataFrame(self._records, columns=columns)
        for name in ("healthy", "fallback"):
            frame[name] = frame[name].astype(bool)
        frame["decided_by_fallback"] = decided_by_fallback(frame["fallback"].to_numpy(dtype=bool))
        return frame

    def events_frame(self) -> pd.DataFrame:
        """The switches as a frame."""
        return pd.DataFrame([asdict(e) for e in self.events],
                            columns=["period", "kind", "reason", "fill_rate", "cost_ratio", "inventory_turns"])

    @classmethod
    def replay_log(cls, log: pd.DataFrame, thresholds: MonitorThresholds | None = None,
                   expected_unit_cost: float | None = None, periods_per_year: int = 52) -> Monitor:
        """Run the monitoring rules over a KPI log (:data:`LOG_COLUMNS`, one row per period).

        An ``expected_unit_cost`` column, when present, overrides the argument period by period (a blank cell
        keeps the one before). A ``baseline_unit_cost`` column (the baseline :meth:`history` reports, derived
        with the thresholds of its run) is not read.

        Raises
        ------
        PlanningError
            When ``log`` is not a DataFrame, has a column twice or misses a required one, a
            cell fails the checks of the log (a required cell blank or not a finite number, an
            optional one not blank or a finite number, a negative value or
            ``expected_unit_cost <= 0``, ``period`` not a whole number above the previous
            row's, ``served > demand``), or the thresholds check inventory turns and
            ``inventory_value`` or ``cogs`` is missing. The message names the column, the
            row and the value.
        """
        # not a frame (an AttributeError) or a column twice (a frame where a column was read) are refused too
        require_columns(require_frame(log, "monitoring log"), LOG_COLUMNS, "monitoring log")
        log = _numeric_log(log)
        if thresholds is not None and thresholds.min_inventory_turns is not None:
            for column in ("inventory_value", "cogs"):
                if column not in log.columns or log[column].isna().all():
                    raise PlanningError("the inventory-turns check needs this column in the monitoring log "
                                        "(or drop min_inventory_turns)", column=column)
        _warn_skipped_periods(log["period"].to_numpy())
        monitor = cls(None, None, thresholds, expected_unit_cost, periods_per_year)
        _check_log_length(len(log), monitor.thresholds.window)
        has_expected = "expected_unit_cost" in log.columns and log["expected_unit_cost"].notna().any()
        for row in log.itertuples(index=False):
            monitor.observe(
                int(row.period), float(row.demand), float(row.served), float(row.cost),
                float(getattr(row, "inventory_value", np.nan)), float(getattr(row, "cogs", np.nan)),
                float(row.expected_unit_cost) if has_expected and pd.notna(row.expected_unit_cost) else None,
            )
        return monitor


def _check_log_length(rows: int, window: int) -> None:
    """Refuse a log without rows and warn about one shorter than the window: no period of it is checked, yet every
    row read as healthy and ``hybridinv monitor`` drew a dashboard without a switch (a window of 8 over a log of
    5 rows, or an empty log, gave "no fallback" without a word)."""
    if rows == 0:
        raise PlanningError("the monitoring log has no rows (one row per period is needed)", column="period")
    if rows < window:
        warnings.warn(f"monitoring log: {rows} row(s), fewer than the window of {window} periods: no rolling window "
                      "is full, so no period is checked against the thresholds (every row reads healthy); give a "
                      "longer log or a smaller window", PlanningWarning, stacklevel=3)


def _warn_skipped_periods(period: NDArray[Any]) -> None:
    """Warn when the log skips period numbers: the rolling window and ``recovery_periods`` count logged rows, so a
    window of 8 over a log without periods 3 to 6 spans 12 periods (an export that dropped rows, or monitoring that
    was down, read without a word)."""
    step = np.diff(np.asarray(period, dtype=np.float64))
    gaps = np.flatnonzero(step > 1)
    if gaps.size:
        first = int(gaps[0])
        missing = int((step[gaps] - 1).sum())
        warnings.warn(f"monitoring log: {missing} period number(s) have no row ({gaps.size} gap(s); first: after "
                      f"period {int(period[first])}, next {int(period[first + 1])}); the rolling window "
                      "and recovery_periods count logged rows, so a window spans the missing periods: add their rows "
                      "if the export dropped them", PlanningWarning, stacklevel=3)


def _matched_skus(before: NDArray[Any], now: NDArray[Any], filled: NDArray[np.bool_] | None,
                  period: int) -> tuple[NDArray[np.intp], NDArray[np.intp]] | None:
    """The positions in the last ``plan()`` call's SKUs (``before``) and in this call's (``now``) of the SKUs a
    period's KPIs count, or None for all of both calls, in the same order; a :class:`PlanningWarning` names the
    SKUs left out.

    Left out are the SKUs planned in only one of the two calls (matched by position, the KPIs mixed SKUs up when the
    rows came in another order, and a call with fewer SKUs failed with numpy's broadcast error) and those whose
    demand ``plan()`` filled from the forecast (``filled``: no ``demand_history`` row; until 2026-12-07 their
    forecast was recorded as the period's realized demand).
    """
    same = before is now or np.array_equal(before, now)
    if same and filled is None:
        return None
    position = np.arange(now.size) if same else pd.Index(before).get_indexer(now)
    shared = position >= 0
    kept = shared & ~filled if filled is not None else shared
    if (only := now.size - int(shared.sum()) + before.size - int(shared.sum())) > 0:
        first = next(iter([*np.setdiff1d(now, before), *np.setdiff1d(before, now)]))
        warnings.warn(f"period {period}: {only} SKU(s) planned in only one of the last two plan() calls "
                      f"(first {str(first)!r}) are left out of the period's KPIs", PlanningWarning, stacklevel=4)
    if (unknown := shared & ~kept).any():
        warnings.warn(f"period {period}: {int(unknown.sum())} SKU(s) with no row in demand_history (first "
                      f"{str(now[unknown][0])!r}) are left out of the period's KPIs: their demand is unknown (plan() "
                      "reads their history as the forecast)", PlanningWarning, stacklevel=4)
    if not kept.any():
        warnings.warn(f"period {period}: no SKU of the last two plan() calls has realized demand in both: the period "
                      "is not recorded", PlanningWarning, stacklevel=4)
    indices = np.flatnonzero(kept)
    return position[indices], indices


def decided_by_fallback(fallback: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Which periods the fallback decided, from the mode after each period (``fallback`` of the row before).

    Until 2026-12-06 the dashboard shaded and counted the ``fallback`` column itself, one period early: the
    period whose outcome triggered the switch was planned by the primary.
    """
    flags = np.asarray(fallback, dtype=bool)
    return np.concatenate([np.zeros(min(flags.size, 1), dtype=bool), flags[:-1]])


def _unknown_or_number(value: object, column: str) -> float:
    """NaN (unknown) or a finite number >= 0."""
    if isinstance(value, float | np.floating) and math.isnan(value):
        return math.nan
    return number_in(value, column, 0.0, MAX_LOG_VALUE)


#: Smallest value of each column of a monitoring log (``>`` where the flag is True).
_LOG_MINIMUM: dict[str, tuple[float, bool]] = {
    "period": (0.0, False), "demand": (0.0, False), "served": (0.0, False), "cost": (0.0, False),
    "inventory_value": (0.0, False), "cogs": (0.0, False), "expected_unit_cost": (0.0, True),
}


def _numeric_log(log: pd.DataFrame) -> pd.DataFrame:
    """The log's KPI columns as numbers, every cell checked.

    A required cell must be a finite number, an optional one blank or a finite number;
    none may be negative (``expected_unit_cost``: must be > 0), ``period`` holds whole
    numbers that increase row by row, and ``served <= demand``. Booleans, complex numbers
    and dates are not numbers. The :class:`PlanningError` names the column, the row and
    the value.
    """
    out = pd.DataFrame(index=log.index)
    for column in (*LOG_COLUMNS, *(c for c in _OPTIONAL_LOG_COLUMNS if c in log.columns)):
        out[column] = log_column(log[column], column)
    demand, served = out["demand"].to_numpy(), out["served"].to_numpy()
    _refuse_rows("monitoring log", served > demand * (1 + 1e-9) + 1e-9, log["served"], "served",
                 "must not exceed the demand")
    return out


def log_column(raw: pd.Series, column: str, what: str = "monitoring log") -> pd.Series:
    """One column of a monitoring log (``column`` one of its KPI columns) as float numbers, every cell checked as
    :func:`_numeric_log` says; the :class:`PlanningError` names the column, ``what`` with the row, and the value.

    :func:`~hybridinv.deploy.render_dashboard` checks a history's ``period`` with it.
    """
    kinds = (np.full(len(raw), _KIND_NAMES[raw.dtype.kind], dtype=object) if raw.dtype.kind in _KIND_NAMES
             else raw.map(_cell_kind).to_numpy(dtype=object) if raw.dtype.kind == "O"
             else np.full(len(raw), "", dtype=object))
    _refuse_rows(what, kinds != "", raw, column, f"must be a number, not {next((k for k in kinds if k), '')}")
    values = pd.to_numeric(raw, errors="coerce").astype(np.float64)
    arr = values.to_numpy()
    text = (values.isna() & raw.notna()).to_numpy()
    if column == "period":
        with np.errstate(invalid="ignore"):
            _refuse_rows(what, ~np.isfinite(arr) | (arr % 1 != 0), raw, column, "must be a whole number")
    elif column in LOG_COLUMNS:
        _refuse_rows(what, ~np.isfinite(arr), raw, column, "must be a finite number")
    else:
        _refuse_rows(what, text, raw, column, "must be a number")
        _refuse_rows(what, np.isinf(arr), raw, column, "must be blank or a finite number")
    low, strict = _LOG_MINIMUM[column]
    high = MAX_LOG_PERIOD if column == "period" else MAX_LOG_VALUE
    with np.errstate(invalid="ignore"):
        _refuse_rows(what, (arr <= low) if strict else (arr < low), raw, column,
                     f"must be {'>' if strict else '>='} 0")
        _refuse_rows(what, arr > high, raw, column, f"must be at most {high:g}")
    if column == "period":
        _refuse_rows(what, np.r_[False, np.diff(arr) <= 0], raw, column, "must be above the previous row's period")
    return values


def _refuse_rows(what: str, bad: NDArray[np.bool_], raw: pd.Series, column: str, why: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = raw.iloc[row]
        value = value.item() if isinstance(value, np.generic) else value
        raise PlanningError(f"{what} row {row + 1}: {why}", column=column,
                            value=None if _blank(value) else value)


def _blank(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
