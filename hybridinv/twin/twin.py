"""The digital twin: fit demand and supply from transaction logs and build a Scenario.

>>> twin = DigitalTwin(period="week").fit(sales, receipts)      # doctest: +SKIP
>>> twin.report_                                 # one row per SKU  # doctest: +SKIP
>>> scenario = twin.scenario(catalog_frame, periods=52)   # a Scenario  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.core._frame import (
    ExtraColumns,
    check_columns,
    date_column,
    numeric_column,
    require_columns,
    require_frame,
    sku_column,
    warn_text_variants,
)
from hybridinv.core._observed import observed_mean
from hybridinv.core.catalog import Catalog, near_sku
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import (
    PlanningError,
    PlanningWarning,
    enum_member,
    flag,
    horizon,
    number_in,
    whole_number,
)
from hybridinv.core.limits import MAX_PERIODS, MAX_QUANTITY
from hybridinv.demand.leadtime import Disruptions, LeadTimeProcess
from hybridinv.demand.processes import Seasonality
from hybridinv.sim.scenario import Scenario
from hybridinv.twin.demand_fit import Censoring, DemandFit, fit_demand
from hybridinv.twin.processes import DemandFamily, FittedDemand
from hybridinv.twin.supply_fit import SupplyFit, fit_supply

__all__ = [
    "MIN_FIT_PERIODS", "SALES_COLUMNS", "DemandMatrix", "DigitalTwin", "PlanningPeriod", "SeasonalIndex",
    "aggregate_sales",
]

#: Columns a sales log must have; optional: ``on_hand`` (stock after the sale) and ``stockout`` (bool).
SALES_COLUMNS: tuple[str, ...] = ("date", "sku", "quantity")
#: Sales before this day are refused as date typos (1024 for 2024).
_EARLIEST_DATE = pd.Timestamp("1900-01-01")
#: Every column a sales log may have.
SALES_KNOWN: tuple[str, ...] = (*SALES_COLUMNS, "on_hand", "stockout")
#: Fewest planning periods a sales log must span to be fitted (the demand fit's minimum).
MIN_FIT_PERIODS = 4


class PlanningPeriod(StrEnum):
    """Planning period the log is aggregated to."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def freq(self) -> str:
        return {"day": "D", "week": "W", "month": "M"}[self.value]

    @property
    def days(self) -> float:
        return {"day": 1.0, "week": 7.0, "month": 365.25 / 12.0}[self.value]

    @property
    def cycles(self) -> tuple[int, ...]:
        """Seasonal cycles tested: weekly (and yearly) for days, yearly otherwise."""
        return {"day": (7, 365), "week": (52,), "month": (12,)}[self.value]

    @property
    def per_year(self) -> int:
        return {"day": 365, "week": 52, "month": 12}[self.value]


@dataclass(frozen=True)
class SeasonalIndex(Seasonality):
    """A seasonal cycle given by its index per phase (any shape, not only a sine).

    ``factor(t) = index[(t + offset) % period]``; ``offset`` aligns the scenario's
    period 0 with the phase after the end of the fitted history.
    """

    index: NDArray[np.float64] = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    offset: int = 0

    def factor(self, periods: NDArray[np.float64]) -> NDArray[np.float64]:
        phase = (periods.astype(np.int64) + self.offset) % self.period
        return np.asarray(self.index)[phase]


@dataclass(frozen=True)
class DemandMatrix:
    """A sales log aggregated to planning periods.

    Attributes
    ----------
    sku : array of str
    periods : pandas.PeriodIndex
    demand : array, shape (T, n)
        Units sold (or demanded) per period.
    censored : array of bool, shape (T, n)
        Periods with a recorded stock-out (sales are a lower bound on demand).
    has_stock_info : bool
        Whether the log carried ``on_hand`` or ``stockout``.
    """

    sku: NDArray[np.object_]
    periods: pd.PeriodIndex
    demand: NDArray[np.float64]
    censored: NDArray[np.bool_]
    has_stock_info: bool


def aggregate_sales(sales: pd.DataFrame, period: PlanningPeriod | str = PlanningPeriod.WEEK,
                    extra_columns: ExtraColumns = "error") -> DemandMatrix:
    """Sum a transaction log per SKU and planning period (days without a row count as 0).

    A transaction log has rows only where something was sold, so a period without a row is a period of
    zero demand. A :class:`~hybridinv.PlanningWarning` says when that reading is doubtful: a run of periods
    without a row of any SKU that chance does not explain (an export that lost them), SKUs whose first row
    comes after half of the log's span, and SKUs whose last row comes before its second half.

    A period is censored when any of its rows has ``stockout`` true or ``on_hand <= 0``.
    ``extra_columns`` treats columns other than :data:`SALES_COLUMNS`, ``on_hand`` and
    ``stockout`` as a catalog does (by default an error naming the closest known column: a
    misspelled ``onhand`` dropped the stock-out information without a word).

    Raises
    ------
    PlanningError
        For a missing, repeated or unknown column, an unknown ``period``, unreadable dates, quantities
        that are empty, negative, infinite, booleans or not numbers (and such ``on_hand`` values), or a
        SKU's total in a period above :data:`~hybridinv.core.limits.MAX_QUANTITY`.
    """
    df = require_frame(sales, "sales")
    check_columns(df, SALES_KNOWN, "sales", extra_columns)
    require_columns(df, SALES_COLUMNS, "sales")
    period = PlanningPeriod(enum_member(PlanningPeriod, period, "period"))
    if df.empty:
        raise PlanningError("sales log has no rows", column="date")
    sku_text = df["sku"].astype(str)
    no_sku = (df["sku"].isna() | (sku_text.str.strip() == "")).to_numpy()
    if no_sku.any():  # a NaN SKU became the SKU "nan" (or a TypeError when sorting), an empty one a SKU ""
        bad = int(np.flatnonzero(no_sku)[0])
        raise PlanningError(f"row {bad}: the SKU is missing", column="sku", value=df["sku"].iloc[bad])
    if df["date"].isna().all():  # read as numbers (NaN), it was refused as "dates ... not numbers", value nan
        raise PlanningError("the date column is empty (no row has a date)", column="date", sku=df["sku"].iloc[0])
    if pd.api.types.is_numeric_dtype(df["date"]) or pd.api.types.is_bool_dtype(df["date"]):
        # numbers were read as nanoseconds since 1970: a whole log in one period
        raise PlanningError("dates must be dates or date text (such as 2024-01-31), not numbers", column="date",
                            value=df["date"].iloc[0])
    dates = date_column(df["date"], "date")  # 01/02/1998 day first was read as January 2
    if dates.isna().any():
        bad = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise PlanningError("date is missing", column="date", sku=df["sku"].iloc[bad], value=df["date"].iloc[bad])
    early = (dates < _EARLIEST_DATE).to_numpy()
    if early.any():  # a typo such as 1024 for 2024: at weekly periods within MAX_PERIODS, so it was fitted
        bad = int(np.flatnonzero(early)[0])
        raise PlanningError(f"a date before {_EARLIEST_DATE.year} (a typo for a recent year?)", column="date",
                            sku=df["sku"].iloc[bad], value=str(df["date"].iloc[bad]))
    row_skus = df["sku"].to_numpy(dtype=object)
    # booleans (True was one unit sold, also among numbers), complex numbers, empty cells, infinite or absurd
    # quantities (1e15 units exhausted memory in the fit) are refused like negative ones
    quantity = numeric_column(df, "quantity", row_skus, "sales", maximum=MAX_QUANTITY)
    stockout = np.zeros(len(df), dtype=bool)
    has_stock_info = False
    if "stockout" in df.columns:
        stockout |= _flags(df["stockout"], df["sku"], "stockout")
        has_stock_info = True
    if "on_hand" in df.columns:
        # text that is not a number
        unreadable = (pd.to_numeric(df["on_hand"], errors="coerce").isna() & df["on_hand"].notna()).to_numpy()
        if unreadable.any():
            bad = int(np.flatnonzero(unreadable)[0])
            raise PlanningError("on_hand must be a number (empty: unknown)", column="on_hand",
                                sku=df["sku"].iloc[bad], value=df["on_hand"].iloc[bad])
        # a boolean was read as 1 or 0 units, an infinite stock as in stock
        on_hand = numeric_column(df, "on_hand", row_skus, "sales", blank=np.nan, minimum=None)
        stockout |= np.nan_to_num(on_hand, nan=1.0) <= 0
        has_stock_info = True
    frame = pd.DataFrame({
        "period": dates.dt.to_period(period.freq),
        "sku": sku_text,
        "quantity": quantity,
        "stockout": stockout,
    })
    grouped = frame.groupby(["period", "sku"]).agg(quantity=("quantity", "sum"), stockout=("stockout", "any"))
    first, last = frame["period"].min(), frame["period"].max()
    if (last - first).n >= MAX_PERIODS:  # a typo such as 1024-01-05 would allocate every period in between per SKU
        raise PlanningError(f"the sales log spans {first} to {last}, more than {MAX_PERIODS:,} {period.value} "
                            "periods: check the earliest and latest dates", column="date", value=str(first))
    span = pd.period_range(first, last, freq=period.freq)
    skus = np.array(sorted(frame["sku"].unique()), dtype=object)
    warn_text_variants(skus, "sales")  # 'A1' and 'A1 ' split one SKU's sales in two
    wide = grouped["quantity"].unstack("sku").reindex(index=span, columns=skus).fillna(0.0)
    _check_period_totals(wide, period)
    flags = grouped["stockout"].astype(float).unstack("sku").reindex(index=span, columns=skus).fillna(0.0)
    by_sku = frame.groupby("sku")["period"]
    _warn_gaps(frame["period"], by_sku.nunique().reindex(skus), span, period)
    _warn_late_starters(by_sku.min().reindex(skus), first, span.size)
    _warn_early_stoppers(by_sku.max().reindex(skus), last, span.size)
    _warn_fractional(wide)
    _warn_coarse_or_partial(dates, period, last)
    return DemandMatrix(
        sku=skus,
        periods=span,
        demand=wide.to_numpy(dtype=np.float64),
        censored=flags.to_numpy(dtype=np.float64) > 0,
        has_stock_info=has_stock_info,
    )


def _check_period_totals(wide: pd.DataFrame, period: PlanningPeriod) -> None:
    """Refuse a SKU's total in a period above :data:`MAX_QUANTITY` (each row is within it, but daily rows of
    9e11 summed to a month failed only in the catalog, naming 'demand_mean' and no SKU).

    Raises
    ------
    PlanningError
        Naming ``quantity``, the SKU, the period and the total.
    """
    values = wide.to_numpy(dtype=np.float64)
    over = values > MAX_QUANTITY
    if over.any():
        t, i = np.argwhere(over)[0]
        raise PlanningError(f"the SKU's sales in {period.value} {wide.index[t]} sum to {values[t, i]:g}, more "
                            f"than {MAX_QUANTITY:g} units: check the quantities of that {period.value}",
                            column="quantity", sku=wide.columns[i], value=float(values[t, i]))


#: A run of periods without a row of any SKU is warned about when chance (each SKU's share of periods with a
#: row, independently) explains fewer such runs than this in the log's span.
GAP_CHANCE = 0.01


def _warn_gaps(periods: pd.Series, rows_per_sku: pd.Series, span: pd.PeriodIndex, period: PlanningPeriod) -> None:
    """Warn about runs of periods in which no SKU at all has a row, when chance does not explain them: they
    count as zero demand for every SKU (a year lost from an export fitted 36 months of 10 a month as 6.67 a
    month, intermittent). Days of the week without rows in at least half the weeks are closing days, not gaps."""
    empty = ~span.isin(pd.PeriodIndex(periods.unique()))
    if period is PlanningPeriod.DAY and empty.any():
        weekday = np.asarray(span.day_of_week)
        closed = np.bincount(weekday[empty], minlength=7) >= 0.5 * np.bincount(weekday, minlength=7)
        empty &= ~closed[weekday]
    if not empty.any():
        return
    # chance that a period has no row of any SKU, each SKU having rows in its share of the span
    share = np.minimum(rows_per_sku.to_numpy(dtype=np.float64) / span.size, 1.0)
    log_empty = float(np.sum(np.log1p(-share))) if (share < 1.0).all() else -np.inf
    edges = np.flatnonzero(np.diff(np.concatenate(([0], empty.astype(np.int8), [0]))))
    runs = [(int(start), int(end)) for start, end in zip(edges[::2], edges[1::2], strict=True)
            if np.log(span.size) + (end - start) * log_empty < np.log(GAP_CHANCE)]
    if not runs:
        return
    named = ", ".join(str(span[a]) if b - a == 1 else f"{span[a]} to {span[b - 1]}" for a, b in runs[:3])
    more = f" and {len(runs) - 3} more stretch(es)" if len(runs) > 3 else ""
    count = sum(b - a for a, b in runs)
    unit = period.value
    warnings.warn(PlanningWarning(
        f"the sales log has no row of any SKU in {named}{more} ({count} {unit}(s) inside its span {span[0]} to "
        f"{span[-1]}): they count as zero demand for every SKU, which lowers the fitted demand. If the export lost "
        f"them, restore those rows or fit on the log after the gap; if nothing was sold, add a row with quantity 0 "
        f"in each such {unit} (one SKU is enough) to say so"), stacklevel=3)


def _warn_fractional(wide: pd.DataFrame) -> None:
    """Warn when a period's total is not a whole number of units: the demand families are counts."""
    values = wide.to_numpy(dtype=np.float64)
    fractional = np.abs(values - np.round(values)) > 1e-9
    if not fractional.any():
        return
    t, i = np.argwhere(fractional)[0]
    warnings.warn(PlanningWarning(
        f"{int(fractional.any(axis=0).sum())} SKU(s) sold fractional quantities in a period (first: SKU "
        f"{wide.columns[i]!r}, {values[t, i]:g} in {wide.index[t]}); the twin fits counts (Poisson, negative "
        "binomial, the observed counts), so the fit depends on the unit: write the quantities in a whole unit "
        "(grams rather than kilograms, packs rather than cartons)"), stacklevel=3)


def _warn_coarse_or_partial(dates: pd.Series, period: PlanningPeriod, last: pd.Period) -> None:
    """Warn when a log with one date per month is cut into days or weeks, or a log finer than the period
    (daily per week or month, weekly per month) starts or ends inside its first or last period (that period
    then counts only some of its days, and its demand looks low). A dated row stands for the ``step`` days
    from its date (a weekly log dated on Mondays covers each Monday's week)."""
    days = np.unique(dates.dt.normalize().to_numpy())
    if days.size < 3:
        return
    step = float(np.median(np.diff(days).astype("timedelta64[D]").astype(np.float64)))
    if step >= 28 and period is not PlanningPeriod.MONTH:
        warnings.warn(PlanningWarning(
            f"the sales log has about one date per month, but it is aggregated per {period.value}: most "
            f"{period.value}s read as 0 sold (aggregate per month: --period month, DigitalTwin(period='month'))"),
            stacklevel=3)
    elif 7 <= step < 8 and period is PlanningPeriod.DAY:  # a weekly log fitted per day: 6 days in 7 read as 0
        warnings.warn(PlanningWarning(
            "the sales log has about one date per week, but it is aggregated per day: most days read as 0 sold "
            "(aggregate per week: --period week, DigitalTwin(period='week'))"), stacklevel=3)
    elif step <= period.days / 2:
        # dates with sales per period: a log of weekdays only ends each week on Friday, which is no short week;
        # a weekly log has 4 or 5 dates a month, so a last month with 1 or 2 of them is a cut month
        per_period = pd.Series(pd.DatetimeIndex(days).to_period(period.freq)).value_counts(sort=False)
        if per_period.size < 2:
            return
        # the usual sale days of a period: the inner periods', or with two periods the other one's
        inner = per_period.iloc[1:-1]
        usual_first = float(inner.median()) if inner.size else float(per_period.iloc[-1])
        usual_last = float(inner.median()) if inner.size else float(per_period.iloc[0])
        first = per_period.index[0]
        start, end = first.start_time.normalize(), last.end_time.normalize()
        edges = (
            (pd.Timestamp(days[0]) > start and per_period.iloc[0] < 0.75 * usual_first, "starts", days[0], first,
             (first.end_time.normalize() - pd.Timestamp(days[0])).days + 1, "first"),
            (pd.Timestamp(days[-1]) + pd.Timedelta(days=round(step) - 1) < end
             and per_period.iloc[-1] < 0.75 * usual_last, "ends", days[-1], last,
             (pd.Timestamp(days[-1]) - last.start_time.normalize()).days + round(step), "last"),
        )
        for short, verb, day, cut, covered, which in edges:
            if short:
                total = (cut.end_time.normalize() - cut.start_time.normalize()).days + 1
                covered = min(covered, total)
                warnings.warn(PlanningWarning(
                    f"the sales log {verb} on {pd.Timestamp(day).date()}, inside its {which} {period.value} {cut} "
                    f"({covered} of its {total} days): that {period.value}'s demand is understated; {verb[:-1]} the "
                    f"log on the {which} day of a {period.value} or leave that {period.value} out"), stacklevel=3)


#: Share of the log's span before a SKU's first row above which :func:`aggregate_sales` warns.
LATE_START_SHARE = 0.5


def _warn_late_starters(first_rows: pd.Series, first: pd.Period, periods: int) -> None:
    """Warn about SKUs whose first row comes after :data:`LATE_START_SHARE` of the span: the periods before
    it count as no demand, which understates a product that was not sold yet (a new one) many times over."""
    offsets = pd.PeriodIndex(first_rows).asi8 - first.ordinal
    late = offsets >= LATE_START_SHARE * periods
    if periods >= 4 and late.any():
        i = int(np.flatnonzero(late)[0])
        warnings.warn(
            f"{int(late.sum())} SKU(s) first appear in the second half of the sales log (first: "
            f"{first_rows.index[i]!r}, from {first_rows.iloc[i]}); the periods before count as no demand. If they "
            "were not sold yet (new products), fit them on a log that starts at their first sale",
            PlanningWarning, stacklevel=3)


def _warn_early_stoppers(last_rows: pd.Series, last: pd.Period, periods: int) -> None:
    """Warn about SKUs whose last row comes :data:`LATE_START_SHARE` of the span or more before its end (the mirror
    of :func:`_warn_late_starters`): the periods after it count as no demand, which understates a product whose
    rows the export lost, and plans for one no longer sold (a SKU that stopped after 6 of 36 months was fitted
    at a sixth of its demand without a word)."""
    offsets = last.ordinal - pd.PeriodIndex(last_rows).asi8
    early = offsets >= LATE_START_SHARE * periods
    if periods >= 4 and early.any():
        stopped = last_rows[early]
        named = ", ".join(f"{sku!r} (last row {row})" for sku, row in stopped.iloc[:3].items())
        warnings.warn(
            f"{int(early.sum())} SKU(s) have no row in the second half of the sales log (first: {named}"
            f"{', ...' if stopped.size > 3 else ''}); the periods after their last row count as no demand. If they "
            "are no longer sold, leave them out of the log; if the export lost their rows, restore them",
            PlanningWarning, stacklevel=3)


_TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1"})
_FALSE_WORDS = frozenset({"false", "no", "n", "f", "0", ""})


def _flag(value: object) -> bool | None:
    """``value`` as a flag: booleans, 0/1 and true/false, yes/no, y/n, t/f (any case); None when it is none of them."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return bool(value) if value in (0, 1) else None
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE_WORDS else False if word in _FALSE_WORDS else None
    return None


def _flags(values: pd.Series, skus: pd.Series, column: str) -> NDArray[np.bool_]:
    """A yes/no column as booleans (empty cells are False).

    Raises
    ------
    PlanningError
        Naming ``column``, the SKU and the first value that is not a recognized flag.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=bool)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    known = np.zeros(len(uniques), dtype=bool)
    for i, value in enumerate(uniques):
        flag = _flag(value)
        if flag is None:
            bad = int(np.flatnonzero(codes == i)[0])
            raise PlanningError("must be a flag: true/false, yes/no, y/n, t/f or 1/0 (empty is false)",
                                column=column, sku=skus.iloc[bad], value=value)
        known[i] = flag
    if not len(uniques):  # every cell empty (known[...] was an IndexError on the empty array)
        return np.zeros(len(values), dtype=bool)
    return np.where(codes >= 0, known[np.maximum(codes, 0)], False)


class DigitalTwin:
    """Fit per-SKU demand and supply models from transaction logs.

    Parameters
    ----------
    period : PlanningPeriod or str
        Planning period: ``"day"``, ``"week"`` or ``"month"``.
    holdout : float
        Share of the last periods used to choose the demand family.
    alpha : float
        Significance level of the seasonality test.
    censoring : Censoring or str
        Treatment of stock-out periods: ``"impute"`` (default), ``"exclude"`` or ``"ignore"``.
    level_window : int, optional
        Estimate the demand level from the last ``level_window`` periods only.

    Attributes
    ----------
    demand_fit_ : DemandFit
    supply_fit_ : SupplyFit or None
    matrix_ : DemandMatrix
    report_ : pandas.DataFrame
        Fit quality per SKU (see :meth:`report`).
    """

    def __init__(
        self,
        period: PlanningPeriod | str = PlanningPeriod.WEEK,
        holdout: float = 0.25,
        alpha: float = 0.01,
        censoring: Censoring | str = Censoring.IMPUTE,
        level_window: int | None = None,
    ) -> None:
        self.period = enum_member(PlanningPeriod, period, "period")
        self.holdout = number_in(holdout, "holdout", 0.0, 1.0, open_low=True, open_high=True)
        self.alpha = number_in(alpha, "alpha", 0.0, 1.0, open_low=True, open_high=True)
        self.censoring = enum_member(Censoring, censoring, "censoring")
        self.level_window = None if level_window is None else whole_number(level_window, "level_window", 1)

    def fit(self, sales: pd.DataFrame, receipts: pd.DataFrame | None = None,
            extra_columns: ExtraColumns = "error") -> DigitalTwin:
        """Fit demand from ``sales`` and, when given, lead times and reliability from ``receipts``.

        ``extra_columns`` treats columns neither log knows (see :func:`aggregate_sales` and
        :func:`~hybridinv.twin.fit_supply`): ``"error"`` (the default), ``"ignore"`` or names to allow.
        """
        matrix = aggregate_sales(sales, self.period, extra_columns)
        return self.fit_matrix(matrix, receipts, extra_columns)

    def fit_matrix(self, matrix: DemandMatrix, receipts: pd.DataFrame | None = None,
                   extra_columns: ExtraColumns = "error") -> DigitalTwin:
        """Fit from an already aggregated :class:`DemandMatrix` (``extra_columns`` for ``receipts``).

        Raises
        ------
        PlanningError
            For invalid receipts (see :func:`~hybridinv.twin.fit_supply`) or receipts none of
            which names a SKU of the sales log (receipts of some SKUs without sales are not
            used, with a :class:`~hybridinv.PlanningWarning`).
        """
        span = matrix.demand.shape[0]
        if span < MIN_FIT_PERIODS:  # was "demand must have shape (periods >= 4, skus), got (1, 3)"
            raise PlanningError(
                f"the sales log spans {span} {self.period.value} period(s) ({matrix.periods[0]} to "
                f"{matrix.periods[-1]}); the fit needs at least {MIN_FIT_PERIODS}", column="date")
        cycles = tuple(c for c in self.period.cycles if span >= 2 * c)
        self.matrix_ = matrix
        self.demand_fit_: DemandFit = fit_demand(
            matrix.demand, None, matrix.censored, cycles, self.holdout, self.alpha, self.censoring, self.level_window,
            skus=list(matrix.sku),
        )
        self.supply_fit_: SupplyFit | None = None
        if receipts is not None:
            supply = fit_supply(receipts, self.period.days, extra_columns)
            receipt_skus = receipts["sku"].astype(str)
            unknown = ~receipt_skus.isin(set(matrix.sku)).to_numpy()
            if unknown.any():
                first = receipt_skus.iloc[int(np.flatnonzero(unknown)[0])]
                # the sales log's SKU that one means, written another way ('123' for '00123', 'A1 ' for 'A1'):
                # its receipts were dropped and it kept the default lead time, with no word of which SKU was meant
                hint = near_sku(first, matrix.sku, "sales log")
                if unknown.all():  # two logs that do not match: nothing of the receipts would be used
                    raise PlanningError(f"no receipt names a SKU of the sales log{hint}", column="sku", sku=first)
                names = receipt_skus[unknown].unique()
                warnings.warn(f"receipts of {len(names)} SKU(s) without sales in the log (first {first!r}) are "
                              f"not used{hint}", PlanningWarning, stacklevel=2)
            self.supply_fit_ = supply.aligned(matrix.sku)
        self.report_ = self.report()
        return self

    # ------------------------------------------------------------------ outputs
    def _fitted(self) -> DemandFit:
        """The demand fit; before :meth:`fit` a PlanningError (it was an AttributeError on ``matrix_``)."""
        fit: DemandFit | None = getattr(self, "demand_fit_", None)
        if fit is None:
            raise PlanningError("the twin is not fitted yet: call fit(sales) or fit_matrix(matrix) first",
                                column="sales")
        return fit

    def report(self) -> pd.DataFrame:
        """Fit quality per SKU: demand class, chosen family and held-out log-likelihoods,
        seasonality tests, censoring, and lead-time / reliability statistics."""
        fit = self._fitted()
        y = self.matrix_.demand
        family_names = np.array([f.name.lower() for f in DemandFamily], dtype=object)
        out: dict[str, Any] = {
            "sku": self.matrix_.sku,
            "periods": fit.observed,
            "mean": fit.mean,
            "sales_mean": observed_mean(y),
            "pattern": fit.pattern,
            "adi": fit.adi,
            "cv2": fit.cv2,
            "family": family_names[fit.family],
            "dispersion": fit.dispersion,
            "loglik_poisson": fit.loglik[:, 0],
            "loglik_negative_binomial": fit.loglik[:, 1],
            "loglik_empirical": fit.loglik[:, 2],
        }
        for cycle, pvalue, index, amplitude in zip(
            fit.season_period, fit.season_pvalue, fit.season_index, fit.season_amplitude, strict=True
        ):
            out[f"season{cycle}_pvalue"] = pvalue
            out[f"season{cycle}_significant"] = ~np.all(index == 1.0, axis=0)
            out[f"season{cycle}_amplitude"] = amplitude
        censored = fit.censored_share > 0
        flag = {Censoring.IMPUTE: "imputed", Censoring.EXCLUDE: "excluded", Censoring.IGNORE: "ignored (biased low)"}
        out["censored_share"] = fit.censored_share
        out["censoring"] = np.where(censored, flag[self.censoring], "")
        if self.censoring is not Censoring.IGNORE:  # no period shows the demand: the mean sold (fit_demand)
            always = fit.censored_share >= 1.0
            out["censoring"] = np.where(always, "sales used (censored in every period: a lower bound)",
                                        out["censoring"])
        if not self.matrix_.has_stock_info:
            out["censoring"] = np.full(y.shape[1], "unknown (no stock data)", dtype=object)
        supply = self.supply_fit_
        if supply is not None:
            for name in ("lead_time_mean", "lead_time_std", "on_time_rate", "fill_rate", "receipts", "supplier"):
                out[name] = getattr(supply, name)
        return pd.DataFrame(out)

    def demand_process(self) -> FittedDemand:
        """The fitted demand as a process whose period 0 follows the end of the log."""
        fit = self._fitted()
        periods = self.matrix_.demand.shape[0]
        seasons = tuple(
            SeasonalIndex(period=cycle, index=index, offset=periods)
            for cycle, index in zip(fit.season_period, fit.season_index, strict=True)
            if not np.all(index == 1.0)
        )
        size = np.where(np.isfinite(fit.dispersion), fit.dispersion, 1e12)
        return FittedDemand(
            mean=fit.mean, dispersion=size, seasonality=seasons, family=fit.family, samples=fit.samples
        )

    def catalog(self, catalog: pd.DataFrame | None = None, use_fitted_lead_times: bool = True,
                extra_columns: ExtraColumns = "error", **defaults: float) -> Catalog:
        """A catalog for the fitted SKUs.

        Columns of the user's ``catalog`` frame win over the defaults
        (``unit_cost=1``, ``holding_cost=1``, ``shortage_cost=9``, ``lead_time=1``,
        overridable through ``defaults``); ``demand_mean``/``demand_std`` come from the
        fit, and with ``use_fitted_lead_times`` so do ``lead_time`` (the mean in periods
        rounded, halves up) and ``lead_time_std`` of the SKUs with receipts, and ``supplier`` where the
        receipts log one (SKUs without receipts keep the catalog's). ``extra_columns``
        as in :meth:`hybridinv.Catalog.from_frame` (``"ignore"`` drops descriptive columns
        such as a product name). ``use_fitted_lead_times`` must be True or False (``"no"`` was read as
        True).

        Raises
        ------
        PlanningError
            Naming ``use_fitted_lead_times`` when it is not a boolean, or the catalog's column, SKU and value.
        """
        use_fitted_lead_times = flag(use_fitted_lead_times, "use_fitted_lead_times")
        self._fitted()
        skus = self.matrix_.sku
        base: dict[str, Any] = {"unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 9.0, "lead_time": 1}
        base.update(defaults)
        frame = pd.DataFrame({"sku": skus, **{k: np.full(skus.size, v) for k, v in base.items()}})
        if catalog is not None:
            user = require_frame(catalog, "catalog").copy()
            user["sku"] = sku_column(user, "catalog")  # a SKU listed twice could not be matched to the log
            missing = sorted(set(skus) - set(user["sku"]))
            if missing:
                # '123' for the log's '00123' (a spreadsheet dropped the zeros): the hint names the row meant
                raise PlanningError(f"catalog has no row for a SKU of the log{near_sku(missing[0], user['sku'])}",
                                    column="sku", sku=missing[0])
            unsold = sorted(set(user["sku"]) - set(skus))
            if unsold:  # left out without a word: a planner's catalog row that the twin cannot fit
                warnings.warn(f"{len(unsold)} catalog SKU(s) have no sales in the log and are left out of the "
                              f"twin (first: {unsold[0]!r}); plan them with a forecast of your own",
                              PlanningWarning, stacklevel=2)
            user = user.set_index("sku").reindex(skus)
            for column in user.columns:
                frame[column] = user[column].to_numpy()
        process = self.demand_process()
        frame["demand_mean"] = process.mean
        frame["demand_std"] = process.base_std(process.mean)
        supply = self.supply_fit_
        if supply is not None and use_fitted_lead_times:
            # only SKUs with receipts have a fitted lead time, and only a logged supplier is one: the others
            # keep the catalog's (a lead time of 4 became the default 1, every supplier "default")
            fitted = supply.receipts > 0
            # halves round up (np.rint took them to the even neighbour: 1.5 periods became 2, 2.5 also 2)
            # (and a mean a rounding error under the half still rounds up)
            frame["lead_time"] = np.where(fitted, np.floor(supply.lead_time_mean + 0.5 + 1e-9),
                                          frame["lead_time"].to_numpy())
            std = frame["lead_time_std"].to_numpy() if "lead_time_std" in frame else np.zeros(skus.size)
            frame["lead_time_std"] = np.where(fitted, supply.lead_time_std, std)
            logged = fitted & (supply.supplier != "default")
            supplier = frame["supplier"].to_numpy(dtype=object) if "supplier" in frame else np.full(
                skus.size, "default", dtype=object)
            frame["supplier"] = np.where(logged, supply.supplier, supplier)
        return Catalog.from_frame(frame, extra_columns=extra_columns)

    def supplier_disruptions(self, catalog: Catalog | None = None) -> dict[str, Disruptions]:
        """Short deliveries fitted per supplier of ``catalog`` (default: :meth:`catalog` without a frame of
        yours), keyed by its supplier names; a supplier without short receipts (fewer than 1%) or without
        receipts is left out: its SKUs are delivered in full. Empty without receipts."""
        if self.supply_fit_ is None:
            return {}
        cat = self.catalog() if catalog is None else catalog
        return self.supply_fit_.supplier_disruptions(cat.supplier)

    def scenario(
        self,
        catalog: pd.DataFrame | None = None,
        constraints: Constraints | Mapping[str, float] | None = None,
        periods: int | None = None,
        lost_sales: bool = True,
        name: str = "twin",
        extra_columns: ExtraColumns = "error",
        **catalog_defaults: float,
    ) -> Scenario:
        """A simulation scenario from the fit (demand, lead times, short deliveries per supplier:
        :meth:`supplier_disruptions`).

        Parameters
        ----------
        catalog : pandas.DataFrame, optional
            Catalog columns per SKU (see :meth:`catalog`; ``extra_columns`` as there).
        constraints : Constraints or dict, optional
            Capacity and budget (``{"capacity": 500.0}``); none by default.
        periods : int, optional
            Horizon (default: one year of planning periods).
        lost_sales : bool
        name : str
        """
        cat = self.catalog(catalog, True, extra_columns, **catalog_defaults)
        lead = LeadTimeProcess.from_catalog(cat.lead_time, cat.lead_time_std, cat.supplier,
                                            self.supplier_disruptions(cat))
        return Scenario(
            name=name,
            catalog=cat,
            constraints=Constraints.coerce(constraints),
            demand=self.demand_process(),
            lead_times=lead,
            periods=horizon(periods, self.period.per_year),
            lost_sales=lost_sales,
            periods_per_year=self.period.per_year,
            description=f"digital twin of {cat.n_skus} SKUs fitted on {self.matrix_.demand.shape[0]} "
            f"{self.period.value}s",
            tags=("twin",),
        )
