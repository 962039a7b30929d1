"""Demand histories for backtests: read, check and split a planner's sales per period.

Two layouts are accepted (both pandas frames):

* **long**: columns ``sku``, ``period``, ``quantity`` — one row per SKU and period
  (rows of the same SKU and period are added up; rows that repeat another row
  exactly get a :class:`~hybridinv.PlanningWarning`, as a file exported twice would);
* **wide**: a ``sku`` column and one column per period, oldest first, none skipped (numbered
  columns count up by 1, dated ones are a period apart: a missing column is an error naming the
  column after it, where the long layout reads the periods between as periods without sales).

``period`` values are whole numbers (consecutive periods; a missing number is a
period without any row) or dates / period strings (``"2001-03"``), which are mapped
to consecutive periods of the frequency they imply (months for ``2001-03``; pass
``freq=`` to force one). A cell with no row *before a SKU's first row* is "not
observed" (NaN: the SKU did not exist yet); after it, a missing cell is a period
without sales (0).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.core._frame import (
    date_column,
    not_a_number_hint,
    quiet_date_parsing,
    refuse_headerless,
    require_columns,
    require_frame,
    text_variant,
    warn_text_variants,
)
from hybridinv.core._periods import STEPS, WEEK_LABEL, period_columns_kind, step_kind, week_starts
from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import PlanningError, PlanningWarning, whole_number
from hybridinv.core.limits import MAX_PERIODS, MAX_QUANTITY

__all__ = ["PERIODS_PER_YEAR", "YEAR_SEASON", "DemandHistory", "read_history"]

_TABLE = "history"

#: planning periods a year of each period kind (:attr:`DemandHistory.freq`)
PERIODS_PER_YEAR: dict[str, int] = {"Y": 1, "Q": 4, "M": 12, "W": 52, "D": 365}
#: the forecasters' seasonal cycle for each period kind: a year, except days (the week) and years (none)
YEAR_SEASON: dict[str, int | None] = {"Y": None, "Q": 4, "M": 12, "W": 52, "D": 7}


@dataclass(frozen=True)
class DemandHistory:
    """Demand per period and SKU.

    Attributes
    ----------
    sku : array of str, shape (n,)
    periods : array of str, shape (T,)
        Period labels, oldest first.
    demand : array, shape (T, n)
        Units demanded (NaN: not observed).
    freq : {"Y", "Q", "M", "W", "D"} or None
        The period the labels are, when they are dates (set by :func:`read_history`); None for
        numbered periods (1, 2, 3, ...), read as months by :meth:`calendar`.
    """

    sku: NDArray[np.object_]
    periods: NDArray[np.object_]
    demand: NDArray[np.float64]
    freq: str | None = None

    def __post_init__(self) -> None:
        if self.freq is not None and self.freq not in PERIODS_PER_YEAR:
            raise PlanningError(f"must be one of {list(PERIODS_PER_YEAR)} or None", column="freq", value=self.freq)
        raw = np.asarray(self.demand)
        if raw.dtype.kind not in "iuf":  # text raised a bare ValueError, booleans were read as 0/1
            raise PlanningError(f"demand must be numbers, not {raw.dtype}", column="demand")
        demand = raw.astype(np.float64)
        if demand.ndim != 2 or demand.shape != (len(self.periods), len(self.sku)):
            raise PlanningError("demand must have shape (periods, skus)", column="demand")
        repeated = pd.Index(np.asarray(self.sku, dtype=str)).duplicated()
        if repeated.any():  # aligned() kept one of its columns without a word
            raise PlanningError(f"{_TABLE} lists SKU more than once", column="sku",
                                sku=str(self.sku[int(np.flatnonzero(repeated)[0])]))
        finite = demand[~np.isnan(demand)]
        if np.isinf(finite).any() or (finite < 0).any():
            col = int(np.flatnonzero(((demand < 0) | np.isinf(demand)).any(axis=0))[0])
            row = int(np.flatnonzero((demand[:, col] < 0) | np.isinf(demand[:, col]))[0])
            raise PlanningError(
                f"{_TABLE}: quantity must be finite and >= 0 (period {self.periods[row]})",
                column="quantity",
                sku=str(self.sku[col]),
                value=float(demand[row, col]),
            )
        object.__setattr__(self, "demand", demand)

    @property
    def n_periods(self) -> int:
        return int(self.demand.shape[0])

    def calendar(
        self, season: int | str | None = "auto", periods_per_year: int | str = "auto"
    ) -> tuple[int | None, int]:
        """``(season, periods_per_year)`` for this history: ``"auto"`` reads them from :attr:`freq`.

        Dated periods give a seasonal cycle of a year (12 months, 52 weeks, 4 quarters; days: the
        7-day week; years: none) and their count per year; numbered periods (``freq`` None) are
        read as months (12, 12), the library's monthly default. A number (or None: no season) is
        taken as given. Until 2026-12-04 backtests read every history as monthly, so a weekly one
        was forecast with a 12-week season.

        Raises
        ------
        PlanningError
            For a value that is neither ``"auto"`` nor a whole number in range.
        """
        freq = self.freq or "M"
        if isinstance(season, str):
            if season != "auto":
                raise PlanningError("must be 'auto', a whole number >= 1 or None", column="season", value=season)
            season = YEAR_SEASON[freq]
        elif season is not None:
            season = whole_number(season, "season", 1)
        if isinstance(periods_per_year, str):
            if periods_per_year != "auto":
                raise PlanningError("must be 'auto' or a whole number >= 1", column="periods_per_year",
                                    value=periods_per_year)
            periods_per_year = PERIODS_PER_YEAR[freq]
        return season, whole_number(periods_per_year, "periods_per_year", 1)

    def cutoff_index(self, cutoff: int | str) -> int:
        """Number of training periods for ``cutoff``: a whole number (``24.0`` is 24), or the label of the first
        test period."""
        if isinstance(cutoff, (int, np.integer, float, np.floating)) and not isinstance(cutoff, bool):
            index = whole_number(cutoff, "cutoff")  # 24.0 was looked up as the label "24.0": "not a period"
        else:
            labels = [str(p) for p in self.periods]
            index = labels.index(str(cutoff)) if str(cutoff) in labels else _same_date(labels, cutoff)
            if index < 0:
                raise PlanningError(
                    f"cutoff is not a period of the history (first {labels[0]}, last {labels[-1]})",
                    column="cutoff",
                    value=cutoff,
                )
        if not 2 <= index < self.n_periods:
            raise PlanningError(
                f"cutoff must leave at least 2 training periods and 1 test period (history has {self.n_periods})",
                column="cutoff",
                value=cutoff,
            )
        return index

    def aligned(self, catalog: Catalog) -> DemandHistory:
        """The history of the catalog's SKUs, in catalog order.

        Raises
        ------
        PlanningError
            For a catalog SKU without history or a history SKU not in the catalog.
        """
        position = catalog.positions(self.sku, _TABLE)
        if len(set(position.tolist())) != catalog.n_skus:
            have = set(self.sku.astype(str).tolist())
            missing = next(str(s) for s in catalog.sku if str(s) not in have)
            raise PlanningError("catalog SKU has no demand history", column="sku", sku=missing)
        order = np.empty(catalog.n_skus, dtype=np.int64)
        order[position] = np.arange(len(self.sku))
        return DemandHistory(catalog.sku.astype(object), self.periods, self.demand[:, order], self.freq)

    def subset(self, columns: NDArray[np.int64]) -> DemandHistory:
        """The history of the SKUs at ``columns``."""
        return DemandHistory(self.sku[columns], self.periods, self.demand[:, columns], self.freq)


def _period_codes(values: pd.Series, freq: str | None,
                  skus: pd.Series | None = None) -> tuple[NDArray[np.int64], NDArray[np.object_], str | None]:
    """Consecutive integer codes and labels of the ``period`` column, and the period kind of dated ones
    (``skus``, the rows' SKUs, tell the period from each SKU's own dates when SKUs are dated differently)."""
    if values.map(lambda v: isinstance(v, (bool, np.bool_))).any():
        raise PlanningError(f"{_TABLE}: period must be a whole number or a date, not a bool", column="period")
    dated = pd.api.types.is_datetime64_any_dtype(values.dtype) or isinstance(values.dtype, pd.PeriodDtype)
    numeric = pd.to_numeric(values, errors="coerce") if not dated else pd.Series(np.nan, index=values.index)
    if numeric.notna().all() and freq is not None:  # 202101 was read as nanoseconds after 1970: one period
        raise PlanningError(f"{_TABLE}: freq= applies to dated periods; numeric periods count 1, 2, 3, ... "
                            "(write dates such as 2021-01 to use freq)", column="period", value=values.iloc[0])
    if numeric.notna().all():
        whole = numeric.to_numpy(dtype=np.float64)
        if not np.isfinite(whole).all():  # overflowed the int64 span, which then named another period
            bad = values.iloc[int(np.flatnonzero(~np.isfinite(whole))[0])]
            raise PlanningError(f"{_TABLE}: period must be a finite whole number or a date", column="period",
                                value=bad)
        if whole.max() - whole.min() >= MAX_PERIODS:  # checked as floats: 1e30 overflowed the int64 span
            far = values.iloc[int(np.argmax(np.abs(whole - np.median(whole))))]
            raise PlanningError(
                f"{_TABLE}: periods span {whole.max() - whole.min() + 1:g} periods (at most {MAX_PERIODS})",
                column="period", value=far,
            )
        if (np.abs(whole - np.round(whole)) > 1e-9).any():
            bad = values.iloc[int(np.flatnonzero(np.abs(whole - np.round(whole)) > 1e-9)[0])]
            raise PlanningError(f"{_TABLE}: period must be a whole number or a date", column="period", value=bad)
        codes = np.round(whole).astype(np.int64)
        first, last = int(codes.min()), int(codes.max())
        distinct = np.unique(codes)
        if distinct.size >= 3 and distinct.size < 0.5 * (last - first + 1):
            # Excel serial dates (35796, 35827, ...) or YYYYMM numbers (199812, 199901) counted every number
            # between them as a period without demand: 1,482 test periods of zeros instead of 12
            raise PlanningError(
                f"{_TABLE}: numeric periods must be consecutive (1, 2, 3, ...), but {distinct.size} distinct "
                f"periods span {first}..{last}, most of it empty; write dates instead (spreadsheet date "
                "numbers such as 35796 saved as dates, YYYYMM numbers such as 199801 as 1998-01)",
                column="period", value=int(distinct[1]))
        labels = np.array([str(p) for p in range(first, last + 1)], dtype=object)
        return codes - first, labels, None
    try:
        quarters = values.astype(str).str.fullmatch(r"\d{4}-?[Qq][1-4]").all() and freq in (None, "Q")
        weeks = None if dated or freq not in (None, "W") else week_starts(values.astype(str), _TABLE)
        if isinstance(values.dtype, pd.PeriodDtype):
            periods = pd.PeriodIndex(values)
        elif weeks is not None:  # 2024-01-01/2024-01-07, as pandas and hybridinv twin's history.csv write a week
            periods = pd.PeriodIndex(weeks[0], freq=weeks[1])
        elif quarters:  # 2020Q1 (was read as 2020-01 with two empty months after it; pandas deprecates the parse)
            periods = pd.PeriodIndex(values.astype(str).str.replace("-", "", regex=False).str.upper(), freq="Q")
        else:
            with quiet_date_parsing():
                # day-first numeric dates (15/01/2024) are told from month-first ones, as in the twin
                stamps = date_column(values.astype(str), "period") if freq is None else pd.to_datetime(values)
                inferred = freq or _infer_freq(values, stamps, skus)
            periods = pd.PeriodIndex(stamps, freq=inferred)
    except PlanningError as exc:  # named the value; it was wrapped in a second "unreadable period (...)"
        raise PlanningError(f"{_TABLE}: {exc.message}", column="period", value=exc.value) from None
    except (ValueError, TypeError) as exc:
        raise PlanningError(f"{_TABLE}: unreadable period ({exc})", column="period") from None
    first = periods.min()
    if (periods.max() - first).n >= MAX_PERIODS:
        raise PlanningError(f"{_TABLE}: periods span more than {MAX_PERIODS} periods", column="period",
                            value=str(periods.max()))
    span = pd.period_range(first, periods.max(), freq=periods.freq)
    codes = np.asarray((periods - first).map(lambda offset: offset.n), dtype=np.int64)
    kind = str(periods.freqstr)[0].upper()  # "W-SUN", "Q-DEC", "Y-DEC", "M", "D"
    return codes, np.array([str(p) for p in span], dtype=object), kind if kind in PERIODS_PER_YEAR else None


def _same_date(labels: list[str], cutoff: object) -> int:
    """Position of the label that is the same date as ``cutoff`` written another way, or -1.

    A long history's labels are normalized (``Apr 2001`` is stored as ``2001-04``) and a wide one's are
    kept as written, so the same ``--cutoff`` was refused in one layout and accepted in the other. Week
    labels (``2024-07-15/2024-07-21``) match any day of their week (the Monday was refused). A cutoff that
    reads as two periods of the history, month first and day first (``03/11/2024``), is a
    :class:`PlanningError` asking for ``YYYY-MM-DD`` (it was read month first, also in a day-first file);
    a date written year first (``2023-03-06``) is read as ``YYYY-MM-DD`` only.
    """
    # a date written year first (2023-03-06, ISO) has one reading: pandas read it day first as 2023-06-03 too, so
    # the Monday of a weekly history's week was refused as "2023-03-06 ... and 2023-06-03 read day first"
    year_first = re.fullmatch(r"\s*\d{4}([-/.])\d{1,2}\1\d{1,2}\s*", str(cutoff)) is not None
    with quiet_date_parsing():
        readings: list[pd.Timestamp] = []
        for day_first in (False,) if year_first else (False, True):  # 03/11/2024: 11 March or 3 November
            try:
                reading = pd.to_datetime(str(cutoff), dayfirst=day_first)
            except (ValueError, TypeError, OverflowError):
                continue
            if reading not in readings:
                readings.append(reading)
        ranges = pd.Series(labels).str.extract(WEEK_LABEL)
        if ranges[0].notna().all():
            start, end = pd.to_datetime(ranges[0]), pd.to_datetime(ranges[1])
            hits = [np.flatnonzero(((start <= wanted) & (wanted <= end)).to_numpy()) for wanted in readings]
        else:
            try:
                dates = pd.to_datetime(pd.Series(labels), errors="coerce", format="mixed")
            except (ValueError, TypeError, OverflowError):
                return -1
            hits = [np.flatnonzero((dates == wanted).to_numpy()) for wanted in readings]
    found = {wanted: int(hit[0]) for wanted, hit in zip(readings, hits, strict=True) if hit.size == 1}
    if len(set(found.values())) > 1:  # read month first it was always taken, whichever order the file has
        first, second = found  # in the order read: month first, then day first
        raise PlanningError(f"cutoff is {first:%Y-%m-%d} read month first and {second:%Y-%m-%d} read day first, "
                            "both periods of the history; write it as YYYY-MM-DD", column="cutoff", value=cutoff)
    return next(iter(found.values()), -1)


#: coarseness of the period kinds, finest first
_COARSENESS = {"D": 0, "W": 1, "M": 2, "Q": 3, "Y": 4}


def _per_sku_kind(stamps: pd.Series, skus: pd.Series | None) -> str | None:
    """The period each SKU's own dates imply when SKUs are dated on different days of one period, or None.

    A monthly history dated on the 1st for some SKUs and on the last day for others has dates a day apart
    (31 January, 1 February): the steps between all distinct dates read it as daily, 731 days of which 24
    had demand. Each SKU's own dates are a month apart, on a fixed day of the month (or its last day): those
    are read as months. The same for weeks (a fixed weekday per SKU), quarters and years.
    """
    if skus is None:
        return None
    frame = pd.DataFrame({"sku": skus.to_numpy(), "stamp": pd.Series(stamps).to_numpy()}).drop_duplicates()
    frame = frame.sort_values(["sku", "stamp"], kind="stable")
    same = frame["sku"].to_numpy()[1:] == frame["sku"].to_numpy()[:-1]
    steps = np.diff(frame["stamp"].to_numpy()).astype("timedelta64[s]").astype(np.float64)[same] / 86400.0
    if not steps.size:
        return None
    kind = step_kind(round(float(np.median(steps))))
    low = next((low for low, _, k in STEPS if k == kind), None)
    if kind is None or low is None or float(steps.min()) < low:  # some SKU has two dates inside one such period
        return None
    stamp = pd.DatetimeIndex(frame["stamp"])
    by_sku = pd.DataFrame({"sku": frame["sku"].to_numpy(), "weekday": stamp.day_of_week, "day": stamp.day,
                           "end": stamp.is_month_end}).groupby("sku")
    if kind == "W":
        fixed = bool((by_sku["weekday"].nunique() == 1).all())
    else:
        fixed = bool(((by_sku["day"].nunique() == 1) | by_sku["end"].all()).all())
    return kind if fixed else None


def _infer_freq(values: pd.Series, stamps: pd.Series, skus: pd.Series | None = None) -> str:
    """The period the dates imply: from the labels' form, else from the median step between distinct dates.

    When the median step fits no period, the shortest step may (a long history leaves out periods
    without sales); when neither does (two weeks, ...) the dates are read as the nearest shorter
    period, so the periods between count as periods without demand, with a :class:`PlanningWarning`.
    When each SKU's own dates imply a longer period than all dates together (SKUs dated on different
    days of a month, :func:`_per_sku_kind`), that period is taken, with a :class:`PlanningWarning`.
    """
    text = values.astype(str)
    if text.str.fullmatch(r"\d{4}-\d{2}").all():
        return "M"
    if text.str.fullmatch(r"\d{4}").all():
        return "Y"
    distinct = pd.Series(stamps).drop_duplicates().sort_values()
    if len(distinct) < 2:
        return "D"
    steps = np.diff(distinct.to_numpy()).astype("timedelta64[D]").astype(np.float64)
    step = float(np.median(steps))
    pooled = next((k for k in (step_kind(step), step_kind(float(steps.min()))) if k is not None), None)
    own = _per_sku_kind(stamps, skus)
    if own is not None and _COARSENESS[own] > _COARSENESS.get(pooled or "D", 0):
        warnings.warn(PlanningWarning(
            f"{_TABLE}: the SKUs are dated on different days (all dates together are {step:g} days apart, "
            f"median), but each SKU's own dates are a {_FREQ_NAMES[own][:-1]} apart: read as {_FREQ_NAMES[own]}. "
            f"Pass freq= (read_history) to read them otherwise"), stacklevel=5)
        return own
    if pooled is not None:  # the shortest step: periods left out of a long history
        return pooled
    freq = next((f for low, _, f in STEPS if step >= low), "D")
    warnings.warn(PlanningWarning(
        f"{_TABLE}: the dates are {step:g} days apart (median), which is no whole period; they are read as "
        f"{_FREQ_NAMES[freq]}, so the {_FREQ_NAMES[freq]} between them count as periods without demand. "
        "Pass freq= (read_history) to read them otherwise, or aggregate the dates to one period each"),
        stacklevel=5)
    return freq


_FREQ_NAMES = {"Y": "years", "Q": "quarters", "M": "months", "W": "weeks", "D": "days"}


def require_demand(demand: NDArray[np.float64], where: str = "") -> None:
    """Refuse a history (or its training window, ``where``) in which every quantity is 0 or not observed: every
    cost is then 0, the comparisons in % were NaN and a trained model was its base with a report of zeros.

    Raises
    ------
    PlanningError
        Naming ``quantity``.
    """
    if not np.nansum(demand) > 0:
        raise PlanningError(f"the history records no demand{where} (every quantity is 0)", column="quantity")


def read_history(frame: pd.DataFrame | DemandHistory, freq: str | None = None) -> DemandHistory:
    """A :class:`DemandHistory` from a long or wide frame (see the module notes).

    Raises
    ------
    PlanningError
        For a missing ``sku`` column, unreadable periods or quantities, negative
        quantities, wide period columns out of order or skipping a period, or an empty history.
    """
    if isinstance(frame, DemandHistory):
        return frame
    df = require_frame(frame, _TABLE)
    if "sku" not in df.columns:
        raise PlanningError(
            f"{_TABLE} needs a 'sku' column (long: sku, period, quantity; wide: sku + one column per period); "
            f"it has {list(df.columns)}",
            column="sku",
        )
    if len(df) == 0:
        raise PlanningError(f"{_TABLE} has no rows", column="sku")
    for column in df.columns:  # 'sku, period, quantity' (a space after each comma) was read as the wide layout
        meant = text_variant(column, ("period", "quantity"))
        if meant is not None:
            raise PlanningError(f"{_TABLE} column {str(column)!r} is {meant!r} written with other spaces or case; "
                                f"name it exactly (long layout: sku, period, quantity)", column=str(column))
    if {"period", "quantity"} & set(df.columns):  # half a long layout was read as wide: "lists SKU more than once"
        require_columns(df, ["sku", "period", "quantity"], f"{_TABLE} (long layout)")
        extra = sorted(set(df.columns) - {"sku", "period", "quantity"})
        refuse_headerless(extra, f"{_TABLE} (long layout)")
        if extra:
            raise PlanningError(f"{_TABLE} (long layout) has unknown column(s) {extra}", column=extra[0])
        return _from_long(df, freq)
    return _from_wide(df)


def _quantities(values: pd.Series, skus: pd.Series, period: str | None = None) -> NDArray[np.float64]:
    """Quantities as floats (NaN where empty); ``period``: the wide layout's column, named in errors."""
    where = "quantity" if period is None else f"period column {period!r}"
    column = "quantity" if period is None else period
    not_numbers = values.map(lambda v: isinstance(v, (bool, np.bool_, complex, np.complexfloating))).to_numpy()
    if not_numbers.any():
        i = int(np.flatnonzero(not_numbers)[0])
        raise PlanningError(f"{_TABLE}: {where} must be numbers", column=column, sku=str(skus.iloc[i]),
                            value=values.iloc[i])
    numeric = pd.to_numeric(values, errors="coerce")
    bad = numeric.isna() & values.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        hint = not_a_number_hint(values.iloc[i])  # "1,234" or "3,5": the comma, named
        if not hint and period is not None:
            hint = " (every column but sku is a period of the wide layout)"
        raise PlanningError(f"{_TABLE}: {where} holds something that is not a number{hint}", column=column,
                            sku=str(skus.iloc[i]), value=values.iloc[i])
    out = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    wrong = ~np.isnan(out) & ~((out >= 0) & (out <= MAX_QUANTITY))  # inf, negative or absurd
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise PlanningError(f"{_TABLE}: {where} must be finite, >= 0 and at most {MAX_QUANTITY:g}", column=column,
                            sku=str(skus.iloc[i]), value=float(out[i]))
    return out


def _from_long(df: pd.DataFrame, freq: str | None) -> DemandHistory:
    skus = df["sku"].astype(str)
    if (skus.str.len() == 0).any() or df["sku"].isna().any():
        raise PlanningError(f"{_TABLE} has an empty SKU", column="sku")
    if df["period"].isna().any():
        i = int(np.flatnonzero(df["period"].isna().to_numpy())[0])
        raise PlanningError(f"{_TABLE}: period is empty", column="period", sku=skus.iloc[i])
    quantity = _quantities(df["quantity"], skus)
    if np.isnan(quantity).any():  # was read as 0 sold: a row says the period was observed
        i = int(np.flatnonzero(np.isnan(quantity))[0])
        raise PlanningError(f"{_TABLE}: quantity is empty in period {df['period'].iloc[i]} (write 0 for a period "
                            "without sales, or leave the row out before a SKU existed)", column="quantity",
                            sku=skus.iloc[i], value=float("nan"))
    codes, labels, kind = _period_codes(df["period"], freq, skus)
    sku_codes, names = pd.factorize(skus, sort=True)
    _warn_repeated_rows(df, skus)
    warn_text_variants(names, _TABLE, stacklevel=4)  # 'A1' and 'A1 ' split one SKU's demand in two
    _warn_empty_periods(codes, labels, kind)
    demand = np.full((len(labels), len(names)), np.nan)
    sums = np.zeros_like(demand)
    np.add.at(sums, (codes, sku_codes), quantity)
    seen = np.zeros(demand.shape, dtype=bool)
    seen[codes, sku_codes] = True
    started = np.maximum.accumulate(seen, axis=0)
    demand = np.where(started, sums, np.nan)
    return DemandHistory(np.asarray(names, dtype=object), labels, demand, kind)


def _warn_empty_periods(codes: NDArray[np.int64], labels: NDArray[np.object_], kind: str | None) -> None:
    """Warn when a period inside the history has no row of any SKU (not for days: weekday logs leave out every
    weekend). It is read as a period without sales for every SKU, as documented, but a whole month missing from
    an export looks the same, and it then lowered every SKU's demand without a word."""
    if kind == "D":
        return
    empty = np.flatnonzero(np.bincount(codes, minlength=len(labels)) == 0)
    if empty.size:
        warnings.warn(PlanningWarning(
            f"{_TABLE}: {empty.size} period(s) have no row for any SKU (first: {labels[empty[0]]}); they are read as "
            "periods without sales for every SKU. If the export left them out, add them or cut the history"),
            stacklevel=4)


def _warn_repeated_rows(df: pd.DataFrame, skus: pd.Series) -> None:
    """Warn when rows repeat another row exactly, as written (SKU, period, quantity): they are added up,
    which doubles a file exported twice. Rows of different dates in one period are not repeats."""
    repeated = pd.DataFrame({"sku": skus, "period": df["period"].astype(str), "quantity": df["quantity"]},
                            copy=False).duplicated()
    if not repeated.any():
        return
    first = int(np.flatnonzero(repeated.to_numpy())[0])
    warnings.warn(PlanningWarning(
        f"{_TABLE}: {int(repeated.sum())} row(s) repeat another row exactly (first: SKU {skus.iloc[first]!r}, "
        f"period {df['period'].iloc[first]}, quantity {df['quantity'].iloc[first]}); rows of the same SKU and "
        "period are added up, so remove the repeats if the file holds the same rows twice"), stacklevel=4)


def _from_wide(df: pd.DataFrame) -> DemandHistory:
    skus = df["sku"].astype(str)
    if (skus.str.len() == 0).any() or df["sku"].isna().any():
        raise PlanningError(f"{_TABLE} has an empty SKU", column="sku")
    if skus.duplicated().any():
        raise PlanningError(f"{_TABLE} lists SKU more than once", column="sku", sku=skus[skus.duplicated()].iloc[0])
    warn_text_variants(skus, _TABLE, stacklevel=4)
    columns = [c for c in df.columns if c != "sku"]
    if len(columns) < 2:
        raise PlanningError(f"{_TABLE} (wide layout) needs at least 2 period columns", column="sku")
    for position, column in enumerate(columns):
        if str(column).startswith("Unnamed: "):  # pandas's name for an empty header: a trailing comma
            raise PlanningError(f"{_TABLE} (wide layout): period column {position + 1} has no header; every "
                                "column but sku is a period (remove empty or total columns)", column=str(column))
    kind = period_columns_kind(columns, f"{_TABLE} (wide layout)", long_layout=True)
    demand = np.column_stack([_quantities(df[c], skus, str(c)) for c in columns]).T
    started = np.maximum.accumulate(~np.isnan(demand), axis=0)
    gap = started & np.isnan(demand)
    if gap.any():  # the replay read it as 0 sold, the forecasters as not observed
        t, i = np.argwhere(gap)[0]
        raise PlanningError(f"{_TABLE}: empty cell after the SKU's first number (write 0 for a period without "
                            "sales; leave cells empty only before a SKU existed)", column=str(columns[t]),
                            sku=str(skus.iloc[i]), value=float("nan"))
    return DemandHistory(skus.to_numpy(dtype=object), np.array([str(c) for c in columns], dtype=object), demand,
                         kind)
