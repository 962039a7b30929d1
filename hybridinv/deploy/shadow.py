"""Shadow mode: replay a recommended policy against the incumbent (or the human
planner's logged decisions) on the digital twin with common random numbers.

Both policies start from the same initial state and face the same demand path
(the realized history when given) and the same lead-time draws in each
replication, so the KPI difference is the counterfactual effect of the decisions
alone. Confidence intervals come from a moving-block bootstrap of the periods
(demand and costs are autocorrelated), pooled over the replications.

References
----------
Künsch, H. R. (1989). The jackknife and the bootstrap for general stationary observations.
*Annals of Statistics* 17(3), 1217–1241. — Law, A. M. (2015). *Simulation Modeling and
Analysis*, 5th ed., §10.2 (common random numbers).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import ExtraColumns, by_sku_labels, check_columns, require_columns, require_frame
from hybridinv.core.catalog import near_sku
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError, number_in, require_policy, whole_number
from hybridinv.core.limits import MAX_PERIODS, MAX_QUANTITY
from hybridinv.sim.ledger import COST_COMPONENTS
from hybridinv.sim.observation import Observation
from hybridinv.sim.scenario import Scenario
from hybridinv.sim.simulator import Simulator

__all__ = ["VIOLATION_KPIS", "LoggedOrders", "ShadowResult", "shadow_replay"]

#: Columns of a logged-decisions frame (:meth:`LoggedOrders.from_frame`).
_DECISION_COLUMNS: tuple[str, ...] = ("period", "sku", "order_qty")

_DECISIONS = "decisions"


class LoggedOrders:
    """The incumbent as a log: period ``t`` returns the orders recorded for ``t``.

    Parameters
    ----------
    orders : array or DataFrame, shape (periods, n)
        Orders per period and SKU, numbers >= 0; a fraction is rounded to
        whole units as the simulator rounds every policy's orders (``numpy.rint``: 2.6 orders 3,
        2.5 orders 2), so both sides of a replay are rounded alike. An array (or a DataFrame
        with columns 0..n-1) is in catalog order; a DataFrame with SKU columns is read by
        column name, in any order, as realized demand is (it was read by position, so
        reordered columns gave each SKU another SKU's logged orders).
    skus : array of str, optional
        The SKUs of the columns: a DataFrame with SKU columns is put in this order at once (and
        must name each of them once, no other) and keeps the labels. Without it the column
        names are kept. Labelled columns are matched to the catalog of each observation by
        label (:meth:`act`, :func:`shadow_replay`).

    Raises
    ------
    PlanningError
        For an array that is not 2-D and non-empty, a value that is not a finite
        number >= 0 (naming its period and SKU column), or SKU columns that repeat a SKU,
        leave one of ``skus`` out or name one not in it (naming the SKU).
    """

    name = "logged"

    def __init__(self, orders: ArrayLike, skus: ArrayLike | None = None) -> None:
        #: SKU of each column of :attr:`orders` when the orders came with SKU labels, else None (catalog order).
        self.skus: NDArray[np.str_] | None = None
        self._index: tuple[tuple[str, ...], NDArray[np.int64]] | None = None
        labelled = isinstance(orders, pd.DataFrame) and not isinstance(orders.columns, pd.RangeIndex)
        if skus is not None:
            skus = _sku_list(skus)
            orders = by_sku_labels(orders, skus, "orders")  # an array stays in catalog order
            if labelled:  # the columns are the SKUs of `skus`: matched to each catalog by label, not position
                self.skus = np.asarray(skus).astype(str)
        elif labelled and isinstance(orders, pd.DataFrame):
            labels = orders.columns.astype(str)
            if labels.duplicated().any():
                raise PlanningError("lists a SKU more than once", column="orders",
                                    sku=labels[labels.duplicated()][0])
            self.skus = labels.to_numpy(dtype=str)
        raw = np.asarray(orders)
        why = f"logged orders must be a (periods, skus) array of numbers from 0 to {MAX_QUANTITY:g}"
        if raw.dtype.kind not in "iuf":
            raise PlanningError(why, column="orders", value=f"{raw.dtype} array")
        self.orders = raw.astype(np.float64)
        if self.orders.ndim != 2 or self.orders.size == 0:
            raise PlanningError(why, column="orders", value=f"shape {self.orders.shape}")
        # an absurd quantity (1e300) was replayed: the cost summary in 1e300s, as the limits refuse elsewhere
        bad = ~np.isfinite(self.orders) | (self.orders < 0) | (self.orders > MAX_QUANTITY)
        if bad.any():
            period, sku = np.argwhere(bad)[0]
            raise PlanningError(f"{why}; period {period}, SKU column {sku}", column="orders",
                                value=float(self.orders[period, sku]))

    def act(self, obs: Observation) -> NDArray[np.float64]:
        """The orders logged for ``obs.period``, rounded to whole units as the simulator rounds orders."""
        if obs.period >= self.orders.shape[0]:
            raise PlanningError("the log has no orders for this period", column="orders", value=obs.period)
        row = self.orders[obs.period]
        if self.skus is not None:
            row = row[self._columns(obs.catalog.sku)]
        return np.rint(row)  # half up gave 3 for a logged 2.5 and 2 for a recommended one

    def aligned(self, skus: ArrayLike) -> LoggedOrders:
        """These orders in the order of ``skus``: read by SKU label when they carry labels, else unchanged.

        Raises
        ------
        PlanningError
            When the labelled columns leave out a SKU of ``skus`` or name one not in it (naming the SKU).
        """
        if self.skus is None:
            return self
        return LoggedOrders(self.orders[:, self._columns(skus)])

    def _columns(self, skus: ArrayLike) -> NDArray[np.int64]:
        """Column of :attr:`orders` for each SKU of ``skus``, by label (cached for the last SKU list)."""
        assert self.skus is not None
        key = tuple(np.asarray(skus).astype(str))
        if self._index is None or self._index[0] != key:
            position = pd.Series(np.arange(self.skus.size), index=pd.Index(self.skus, dtype=object))
            self._index = (key, np.asarray(by_sku_labels(position, key, "orders"), dtype=np.int64))
        return self._index[1]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, skus: ArrayLike, periods: int | None = None,
                   extra_columns: ExtraColumns = "ignore") -> LoggedOrders:
        """From a long frame ``period, sku, order_qty``: one row per period and SKU, ``period``
        a whole number (0 = the first replayed period); rows and periods not logged are 0.
        ``periods``: how many periods the log covers (default: the last logged period + 1;
        give it when periods at the end have no row). :attr:`orders` are in the order of ``skus``
        and keep those labels, so a catalog in another SKU order reads each SKU's own orders.
        ``extra_columns``: other columns are ignored by default (every column read is required);
        ``"error"`` refuses them, naming the closest known column, as the command line does.

        Raises
        ------
        PlanningError
            For a missing column, no rows, ``skus`` naming a SKU twice, a period that is not
            a whole number >= 0, a SKU not in ``skus``, a (period, sku) pair logged twice, or an order quantity that is
            not a number >= 0.
        """
        df = require_frame(frame, _DECISIONS)
        check_columns(df, _DECISION_COLUMNS, _DECISIONS, extra_columns)
        require_columns(df, _DECISION_COLUMNS, _DECISIONS)
        if df.empty:
            raise PlanningError(f"{_DECISIONS} has no rows", column="period")
        names = _sku_list(skus)
        repeated = pd.Index(names).duplicated()
        if repeated.any():
            raise PlanningError("the SKU list names a SKU twice", column="sku", sku=names[int(np.argmax(repeated))])
        sku = df["sku"].astype(str).to_numpy()
        missing = df["sku"].isna().to_numpy()
        if missing.any():
            bad = int(np.flatnonzero(missing)[0])
            raise PlanningError("sku is missing", column="sku", value=df["period"].iloc[bad])
        for name in ("period", "order_qty"):  # True was read as period 1 or one unit
            flags = df[name].map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
            if flags.any():
                bad = int(np.flatnonzero(flags)[0])
                raise PlanningError("must be a number, not a boolean", column=name, sku=sku[bad],
                                    value=df[name].iloc[bad])
        period = pd.to_numeric(df["period"], errors="coerce").to_numpy(dtype=np.float64)
        # periods count replayed periods from 0: 202401 for January 2024 allocated 202,402 rows per SKU
        bad_period = ~np.isfinite(period) | (period < 0) | (period != np.floor(period)) | (period >= MAX_PERIODS)
        if bad_period.any():
            bad = int(np.flatnonzero(bad_period)[0])
            raise PlanningError(f"period must be a whole number from 0 (the first replayed period) below "
                                f"{MAX_PERIODS:,}", column="period", sku=sku[bad], value=df["period"].iloc[bad])
        column = pd.Index(names).get_indexer(sku)
        if (column < 0).any():
            bad = int(np.flatnonzero(column < 0)[0])
            # '123' for the log's '00123', 'A1 ' for 'A1': the hint names the SKU meant
            raise PlanningError(f"{_DECISIONS} name a SKU that is not in the sales log"
                                f"{near_sku(sku[bad], names, 'sales log')}", column="sku", sku=sku[bad])
        row = period.astype(np.int64)
        twice = pd.DataFrame({"period": row, "sku": sku}).duplicated().to_numpy()
        if twice.any():
            bad = int(np.flatnonzero(twice)[0])
            raise PlanningError(f"period {int(row[bad])} is logged more than once for this SKU", column="period",
                                sku=sku[bad], value=int(row[bad]))
        qty = pd.to_numeric(df["order_qty"], errors="coerce").to_numpy(dtype=np.float64)
        bad_qty = ~np.isfinite(qty) | (qty < 0) | (qty > MAX_QUANTITY)
        if bad_qty.any():
            bad = int(np.flatnonzero(bad_qty)[0])
            raise PlanningError(f"order quantity of period {int(row[bad])} must be a number from 0 to "
                                f"{MAX_QUANTITY:g}",
                                column="order_qty", sku=sku[bad], value=df["order_qty"].iloc[bad])
        rows = int(row.max()) + 1
        if periods is not None:
            periods = whole_number(periods, "periods", 1)
            if periods < rows:
                raise PlanningError(f"{_DECISIONS} log period {rows - 1}, outside the {periods} periods given",
                                    column="period", value=rows - 1)
            rows = periods
        orders = np.zeros((rows, names.size))
        orders[row, column] = qty
        # labelled by SKU: a `skus` list in another order than the replayed catalog (the sales log's, say) gave
        # each SKU another's logged orders when the columns were read by position
        return cls(pd.DataFrame(orders, columns=pd.Index(names, dtype=object)), skus=names)


@dataclass(frozen=True)
class ShadowResult:
    """Outcome of a shadow replay.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per KPI: ``recommended``, ``incumbent``, ``difference``
        (recommended − incumbent) and its ``ci_low``/``ci_high``. KPIs: ``avg_cost``
        (as in :mod:`hybridinv.sim.ledger`), ``valued_cost`` (the units sold, expired or
        rejected charged at unit cost instead of the units bought: stock left at the end
        of the replay is not counted as spent, the fair comparison over a short replay),
        ``cost_excluding_purchases`` (without any unit cost),
        the cost components, ``fill_rate``, and the counts of measured periods whose orders broke a
        hard rule (:data:`VIOLATION_KPIS`: ``violations`` — any —, ``budget_violations``,
        ``capacity_violations``, ``rule_violations``; mean over the replications, as ``simulate``
        counts them). When either side broke one, :func:`shadow_replay` warns and :meth:`verdict`
        says so: that side's KPIs are not those of a feasible plan.
    disagreements : pandas.DataFrame
        Per SKU, sorted by disagreement: mean absolute order difference per period,
        share of periods with different orders, units ordered, and each policy's
        cost of the SKU on the valued basis summed over the measured periods
        (``cost_recommended``, ``cost_incumbent``, ``cost_difference``): holding,
        shortage (under backorders, per unit owed per period, as in the ledger), fixed
        order costs, waste, overflow and the unit cost of the units sold, expired or
        rejected. Summed over the SKUs it is ``valued_cost`` times the measured periods.
    per_period : pandas.DataFrame
        Mean cost per period of each policy over the replications, every period of the replay: ``measured``
        is false in the warm-up, which the summary leaves out (so the summary's ``avg_cost`` is the mean of
        the measured rows).
    measured_periods, block : int
        Periods after the warm-up, and the bootstrap's block length. With fewer than two blocks of measured
        periods the intervals are NaN: every resample of one block is the series itself, so the interval
        was the point estimate and the verdict called any difference significant.
    """

    summary: pd.DataFrame
    disagreements: pd.DataFrame
    per_period: pd.DataFrame
    replications: int
    periods: int
    confidence: float
    measured_periods: int = 0
    block: int = 0

    def verdict(self, kpi: str = "avg_cost") -> str:
        """One line: the ``kpi`` difference with its interval and whether it is significant."""
        table = self.summary.set_index("kpi")
        if kpi not in table.index:
            raise PlanningError(f"unknown KPI; the summary has {list(table.index)}", column="kpi", value=kpi)
        row = table.loc[kpi]
        # a fill rate is a share of the demand over the replay, not an amount per period: four decimals
        digits, unit = (4, "") if kpi == "fill_rate" else (2, " per period")
        head = (f"{kpi}: recommended {row.recommended:.{digits}f} vs incumbent {row.incumbent:.{digits}f}{unit}: "
                f"difference {row.difference:+.{digits}f}")
        note = self.violation_note()
        note = f" (NOTE: {note})" if note else ""
        if not (np.isfinite(row.ci_low) and np.isfinite(row.ci_high)):
            return (f"{head} -> no interval: {self.measured_periods} measured period(s), fewer than two "
                    f"bootstrap blocks of {self.block} (replay more periods or pass a shorter block: block=, "
                    f"hybridinv shadow --block){note}")
        sign = "lower" if row.ci_high < 0 else "higher" if row.ci_low > 0 else "not significantly different"
        return (f"{head} [{row.ci_low:+.{digits}f}, {row.ci_high:+.{digits}f}] ({self.confidence:.0%} CI) -> {sign}"
                f"{note}")

    def violation_note(self) -> str:
        """Which side broke a hard rule (budget, capacity, MOQ, lot size, maximum order, supplier) in how many
        measured periods, or ``""`` when neither did: such a side's KPIs are not those of a feasible plan."""
        table = self.summary.set_index("kpi")
        if not set(VIOLATION_KPIS) <= set(table.index):
            return ""
        parts = []
        for side in ("recommended", "incumbent"):
            counts = table.loc[list(VIOLATION_KPIS), side]
            if counts.iloc[0] > 0:
                kinds = ", ".join(f"{label} {counts[name]:g}" for name, label in _VIOLATION_LABELS.items()
                                  if counts[name] > 0)
                parts.append(f"the {side} side broke a hard constraint in {counts.iloc[0]:g} of the "
                             f"{self.measured_periods} measured periods ({kinds})")
        if not parts:
            return ""
        return "; ".join(parts) + " on average over the replications: its KPIs are not those of a feasible plan"


def _run(policy: Any, scenario: Scenario, path: Any, periods: int) -> tuple[Any, NDArray[np.float64]]:
    sim = Simulator(scenario, periods=periods, per_sku_costs=True)
    reset = getattr(policy, "reset", None)
    if callable(reset):
        reset(scenario)
    obs = sim.reset(path=path)
    orders = np.zeros((periods, scenario.n_skus))
    while not sim.done:
        orders[sim.t] = np.rint(np.asarray(policy.act(obs), dtype=np.float64))
        obs = sim.step(orders[sim.t])
    return sim.ledger, orders


def _demand_array(demand: ArrayLike, scenario: Scenario) -> NDArray[np.float64]:
    """Realized demand as a (periods, n) float array of finite numbers >= 0; else a
    :class:`PlanningError` naming the first bad period, SKU and value.

    A DataFrame whose columns are not 0..n-1 is read by SKU name: its columns must be the
    catalog's SKUs (in any order; they were read by position, so reordered columns gave
    each SKU another's demand).
    """
    n = scenario.n_skus
    demand = by_sku_labels(demand, scenario.catalog.sku, "demand")
    raw = np.asarray(demand)
    if raw.dtype.kind not in "iuf":
        raise PlanningError("demand must be numbers", column="demand", value=f"{raw.dtype} array")
    realized = raw.astype(np.float64)
    if realized.ndim != 2 or realized.shape[1] != n or realized.shape[0] == 0:
        raise PlanningError(f"demand must have shape (periods >= 1, {n})", column="demand",
                            value=f"shape {realized.shape}")
    bad = ~np.isfinite(realized) | (realized < 0) | (realized > MAX_QUANTITY)
    if bad.any():
        period, sku = np.argwhere(bad)[0]
        raise PlanningError(f"demand of period {period} must be a finite number from 0 to {MAX_QUANTITY:g}",
                            column="demand", sku=scenario.catalog.sku[sku], value=float(realized[period, sku]))
    return realized


def _sku_list(skus: object) -> NDArray[np.str_]:
    """``skus`` as a 1-D array of SKU codes; one code, a number or None is a PlanningError (``"A"`` was a
    TypeError from pandas, None the SKU ``'None'``)."""
    if skus is None or isinstance(skus, (str, bytes)) or np.ndim(skus) != 1:  # type: ignore[arg-type]
        raise PlanningError("must be a list of SKU codes (one per column of the orders)", column="skus",
                            value=skus if skus is None or isinstance(skus, (str, bytes, int, float)) else
                            type(skus).__name__)
    return np.asarray(skus).astype(str)


def _fill_rate(served: NDArray[np.float64], demanded: NDArray[np.float64]) -> NDArray[np.float64]:
    """Served over demanded; 1 without demand, as the ledger's ``fill_rate`` (it was 0: no demand read as none
    served, in the KPI and in every bootstrap resample of blocks without demand)."""
    return np.where(demanded > 0, served / np.where(demanded > 0, demanded, 1.0), 1.0)


#: The summary's counts of measured periods whose orders broke a hard rule (any, the budget, a capacity row,
#: MOQ/lot size/maximum order or a supplier row), per side and averaged over the replications, as
#: :meth:`hybridinv.sim.ledger.Ledger.summary` counts them.
VIOLATION_KPIS: tuple[str, ...] = ("violations", "budget_violations", "capacity_violations", "rule_violations")
_VIOLATION_LABELS = {"budget_violations": "budget", "capacity_violations": "capacity",
                     "rule_violations": "catalog or supplier rules"}

#: Fewest bootstrap resamples beyond each end of a shadow interval (``resamples * (1 - confidence) / 2``).
MIN_TAIL_RESAMPLES = 5


def _block_indices(rng: np.random.Generator, periods: int, block: int, resamples: int) -> NDArray[np.int64]:
    block = max(1, min(block, periods))
    starts = rng.integers(0, periods - block + 1, size=(resamples, -(-periods // block)))
    index = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(resamples, -1)
    return index[:, :periods]


def shadow_replay(
    scenario: Scenario,
    recommended: Any,
    incumbent: Any,
    demand: ArrayLike | None = None,
    periods: int | None = None,
    replications: int = 10,
    seed: int = 0,
    confidence: float = 0.95,
    resamples: int = 2000,
    block: int = 4,
) -> ShadowResult:
    """Replay ``recommended`` against ``incumbent`` on ``scenario`` with common random numbers.

    Parameters
    ----------
    scenario : Scenario
        The twin (e.g. :meth:`hybridinv.twin.DigitalTwin.scenario`).
    recommended : Policy
    incumbent : Policy, LoggedOrders or array of shape (periods, n)
        The incumbent policy or the human planner's logged orders. A DataFrame with SKU
        columns (or a :class:`LoggedOrders` built from one) is read by column name, in any
        order, like ``demand``.
    demand : array, shape (periods, n), optional
        Realized demand to replay (default: drawn from the scenario per replication). A
        DataFrame with SKU columns is read by column name (in any order).
    periods : int, optional
        Horizon (default: the length of ``demand``, else the scenario's).
    replications : int
        Lead-time (and, without ``demand``, demand) paths, seeds ``seed .. seed+replications-1``
        (at least 1; ``seed`` >= 0).
    confidence : float
        Level of the bootstrap intervals.
    resamples, block : int
        Moving-block bootstrap: number of resamples and block length in periods. At least
        :data:`MIN_TAIL_RESAMPLES` resamples must fall beyond each end of the interval (200 for a 95%
        interval, 1,000 for 99%): the ends are percentiles of the resamples.

    Returns
    -------
    ShadowResult

    Warns
    -----
    ConstraintViolationWarning
        When either side's orders broke a hard rule (budget, capacity, MOQ, lot size, maximum
        order, supplier) in a measured period: its KPIs are not those of a feasible plan (a
        policy without repair was compared as if feasible, without a word). The summary's
        :data:`VIOLATION_KPIS` rows count such periods per side.

    Raises
    ------
    PlanningError
        For ``replications``, ``periods`` or ``block`` below 1, fewer ``resamples`` than the
        ``confidence`` needs (above), a negative
        ``seed``, ``confidence`` outside (0, 1), a demand array of the wrong shape, shorter
        than the horizon or holding a value that is not a finite number >= 0 (naming the
        period and SKU), or logged orders with the wrong number of SKUs or fewer periods
        than the horizon (SKU columns that repeat, leave out or add a SKU: naming it).
    """
    replications = whole_number(replications, "replications", 1)
    seed = whole_number(seed, "seed", 0)
    confidence = number_in(confidence, "confidence", 0.0, 1.0, open_low=True, open_high=True)
    # a percentile interval needs resamples beyond each end: 1 resample gave "+305.06 [+24.98, +24.98] -> higher"
    resamples = whole_number(resamples, "resamples", math.ceil(2 * MIN_TAIL_RESAMPLES / (1 - confidence) - 1e-9))
    block = whole_number(block, "block", 1)
    require_policy(recommended, "recommended")
    incumbent = _incumbent(incumbent, scenario)
    realized = None if demand is None else _demand_array(demand, scenario)
    if periods is not None:
        horizon = whole_number(periods, "periods", 1)
    else:
        horizon = int(realized.shape[0] if realized is not None else scenario.periods)
    if realized is not None and realized.shape[0] < horizon:
        raise PlanningError("demand history is shorter than the horizon", column="demand", value=realized.shape[0])
    if isinstance(incumbent, LoggedOrders):
        _check_log(incumbent, scenario, horizon)
    # the one warm-up rule of every run (a 52-period replay of single_sku measured 2 periods where simulate 39)
    warmup = min(scenario.warmup_for(horizon), horizon - 1)
    n = scenario.n_skus
    cost = np.zeros((2, horizon, len(COST_COMPONENTS)))
    purchases = np.zeros((2, horizon))
    valued = np.zeros((2, horizon))
    served = np.zeros((2, horizon))
    demanded = np.zeros((2, horizon))
    order_gap = np.zeros(n)
    differ = np.zeros(n)
    ordered = np.zeros((2, n))
    sku_cost = np.zeros((2, n))
    broken = np.zeros((2, len(VIOLATION_KPIS), horizon))
    cat = scenario.catalog
    for r in range(replications):
        path = scenario.sample(seed + r, horizon)
        if realized is not None:
            values = path.demand.realized.copy()
            values[:horizon] = realized[:horizon]
            path = replace(path, demand=replace(path.demand, realized=values))
        runs = [_run(policy, scenario, path, horizon) for policy in (recommended, incumbent)]
        for k, (ledger, orders) in enumerate(runs):
            cost[k] += ledger.costs
            purchases[k] += ledger.spend
            assert ledger.sku_valued_costs is not None
            valued[k] += ledger.sku_valued_costs.sum(axis=1)
            served[k] += ledger.served
            demanded[k] += ledger.demand
            ordered[k] += orders[warmup:].sum(axis=0)
            broken[k] += _broken_periods(ledger)
            sku_cost[k] += ledger.sku_valued_costs[warmup:horizon].sum(axis=0)
        gap = np.abs(runs[0][1] - runs[1][1])[warmup:]
        order_gap += gap.mean(axis=0)
        differ += (gap > 0).mean(axis=0)
    cost /= replications
    purchases /= replications
    valued /= replications
    broken /= replications
    measured = slice(warmup, horizon)
    rng = np.random.default_rng(seed)
    index = _block_indices(rng, horizon - warmup, block, resamples)
    alpha = (1.0 - confidence) / 2.0
    rows = []
    series = {name: cost[:, measured, j] for j, name in enumerate(COST_COMPONENTS)}
    total = cost[:, measured].sum(axis=2)
    series = {"avg_cost": total, "valued_cost": valued[:, measured],
              "cost_excluding_purchases": total - purchases[:, measured],
              **{f"{k}_cost": v for k, v in series.items()}}
    # one block (or less than two) resamples the series itself: an interval of zero width, "significant"
    intervals = horizon - warmup >= 2 * block

    def interval(boot: NDArray[np.float64]) -> tuple[float, float]:
        return (float(np.quantile(boot, alpha)), float(np.quantile(boot, 1 - alpha))) if intervals else (np.nan, np.nan)

    for name, values in series.items():
        diff = values[0] - values[1]
        rows.append((name, values[0].mean(), values[1].mean(), diff.mean(), *interval(diff[index].mean(axis=1))))
    s, d = served[:, measured], demanded[:, measured]
    fill = _fill_rate(s.sum(axis=1), d.sum(axis=1))
    boot_fill = (_fill_rate(s[0][index].sum(axis=1), d[0][index].sum(axis=1))
                 - _fill_rate(s[1][index].sum(axis=1), d[1][index].sum(axis=1)))
    rows.append(("fill_rate", fill[0], fill[1], fill[0] - fill[1], *interval(boot_fill)))
    # periods whose orders broke a hard rule, per side (counted as simulate counts them): a recommended policy
    # without repair broke the budget in 22 of 24 periods and was compared as if feasible, without a word
    for j, name in enumerate(VIOLATION_KPIS):
        count = broken[:, j, measured]
        diff = count[0] - count[1]
        rows.append((name, count[0].sum(), count[1].sum(), diff.sum(), *interval(diff[index].sum(axis=1))))
    summary = pd.DataFrame(rows, columns=["kpi", "recommended", "incumbent", "difference", "ci_low", "ci_high"])
    disagreements = pd.DataFrame({
        "sku": cat.sku,
        "mean_abs_order_difference": order_gap / replications,
        "share_periods_different": differ / replications,
        "units_recommended": ordered[0] / replications,
        "units_incumbent": ordered[1] / replications,
        "cost_recommended": sku_cost[0] / replications,
        "cost_incumbent": sku_cost[1] / replications,
    })
    disagreements["cost_difference"] = disagreements["cost_recommended"] - disagreements["cost_incumbent"]
    disagreements = disagreements.sort_values("mean_abs_order_difference", ascending=False, kind="stable")
    per_period = pd.DataFrame({
        "period": np.arange(horizon),
        "measured": np.arange(horizon) >= warmup,
        "cost_recommended": cost[0].sum(axis=1),
        "cost_incumbent": cost[1].sum(axis=1),
    })
    result = ShadowResult(summary, disagreements.reset_index(drop=True), per_period, replications, horizon,
                          confidence, measured_periods=horizon - warmup, block=block)
    note = result.violation_note()
    if note:
        warnings.warn(f"shadow replay: {note}", ConstraintViolationWarning, stacklevel=2)
    return result


def _incumbent(incumbent: Any, scenario: Scenario) -> Any:
    """The incumbent as a policy or :class:`LoggedOrders` in the scenario's SKU order."""
    if incumbent is None:
        raise PlanningError("give the incumbent policy or the logged orders", column="incumbent")
    if isinstance(incumbent, type):
        require_policy(incumbent, "incumbent")
    if not isinstance(incumbent, LoggedOrders) and not hasattr(incumbent, "act"):
        # a frame with SKU columns is read by name, as the demand is (it was read by position)
        return LoggedOrders(incumbent, skus=scenario.catalog.sku)
    if isinstance(incumbent, LoggedOrders):
        return incumbent.aligned(scenario.catalog.sku)
    return incumbent


def _check_log(logged: LoggedOrders, scenario: Scenario, horizon: int) -> None:
    """Refuse logged orders with another number of SKUs than the scenario's or fewer periods than the replay."""
    logged_periods, logged_skus = logged.orders.shape
    if logged_skus != scenario.n_skus:
        raise PlanningError(f"logged orders have {logged_skus} SKU columns, the scenario {scenario.n_skus}",
                            column="orders", value=f"shape {logged.orders.shape}")
    if logged_periods < horizon:
        raise PlanningError(f"logged orders cover {logged_periods} periods, the replay {horizon}",
                            column="orders", value=f"shape {logged.orders.shape}")


def _broken_periods(ledger: Any) -> NDArray[np.float64]:
    """Per period, 1.0 where the orders broke any hard rule, the budget, a capacity row, a catalog rule
    (rows in the order of :data:`VIOLATION_KPIS`), as the ledger's ``violations`` KPIs count them."""
    budget, capacity, rules = ledger.budget_excess > 0, ledger.capacity_excess > 0, ledger.rule_breaches > 0
    return np.stack([budget | capacity | rules, budget, capacity, rules]).astype(np.float64)
