"""Period labels of wide tables (``sku`` plus one column per period): their order, gaps and kind.

Shared by the backtest's wide histories (:func:`hybridinv.backtest.read_history`) and ``plan()``'s
``demand_history`` / ``forecast_history``, which both read the columns by position as oldest first.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hybridinv.core._frame import date_column, text_key
from hybridinv.core._quiet import warnings_filtered
from hybridinv.core.errors import PlanningError

__all__ = ["STEPS", "WEEK_LABEL", "period_columns_kind", "step_kind", "week_starts"]

#: a week written by its first and last day, as pandas writes a weekly period: 2024-01-01/2024-01-07
WEEK_LABEL = r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$"
#: (shortest, longest step in days, period kind) of dated periods
STEPS = ((360, 367, "Y"), (85, 95, "Q"), (28, 32, "M"), (7, 7, "W"), (1, 1, "D"))
#: headers of summary columns that are never a period, whatever the other columns are called (text_key form)
_SUMMARIES = frozenset({"total", "totals", "grand total", "sum", "average", "avg", "mean", "median"})
#: YYYYMM labels (202401): months, which count up by 1 only within a year
_YYYYMM = re.compile(r"(1[89]|2[01])\d{2}(0[1-9]|1[0-2])")


def step_kind(days: float) -> str | None:
    """The period kind whose length is ``days``, or None."""
    return next((kind for low, high, kind in STEPS if low <= days <= high), None)


def week_starts(text: pd.Series, table: str = "history") -> tuple[pd.DatetimeIndex, str] | None:
    """The first days and the pandas frequency (``W-SUN``, ...) of week labels ``2024-01-01/2024-01-07``, or None
    when the labels are not all of that form (pandas read them as a date and a time zone: "invalid tzoffset")."""
    parts = text.str.extract(WEEK_LABEL)
    if len(text) == 0 or not parts[0].notna().all():
        return None
    start, end = pd.DatetimeIndex(pd.to_datetime(parts[0])), pd.DatetimeIndex(pd.to_datetime(parts[1]))
    wrong = (end - start) != pd.Timedelta(days=6)
    if wrong.any():
        raise PlanningError(f"{table}: a period written first/last day must be one week (7 days)", column="period",
                            value=text[wrong].iloc[0])
    ends = pd.Series(end.day_name().str[:3].str.upper())
    if ends.nunique() > 1:
        raise PlanningError(f"{table}: weeks written first/last day end on different weekdays "
                            f"({ends.iloc[0]} and {ends[ends != ends.iloc[0]].iloc[0]})", column="period",
                            value=text[(ends != ends.iloc[0]).to_numpy()].iloc[0])
    return start, f"W-{ends.iloc[0]}"


def _keys(labels: pd.Series, table: str) -> pd.Series | None:
    """The labels as numbers or dates to compare (NaN where a label is neither), or None for dates pandas cannot
    read (they go unchecked, in the columns' order)."""
    keys = pd.to_numeric(labels, errors="coerce")
    # pandas' "mixed" parser reads text labels such as t01 or m01 as times of day (t01..t30 became daily
    # periods of year 1 with a 7-period season; m01..m84 failed at m60): only labels with a year or a day/month
    # date are dates
    dated = labels.str.contains(r"\d{4}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2}")
    weeks = week_starts(labels, table)
    if weeks is not None:  # 2024-01-01/2024-01-07 (pandas read it as a date and a time zone): weeks
        return pd.Series(weeks[0])
    if keys.notna().all() and len(labels) >= 2 and labels.str.fullmatch(_YYYYMM).all():
        # YYYYMM numbers (202412, 202501) count months: 202501 follows 202412 without a gap
        whole = keys.astype(np.int64)
        return (whole // 100 * 12 + whole % 100).astype(np.float64)
    if keys.isna().any() and keys.notna().sum() < 2 and dated.sum() >= 2:
        try:
            with warnings_filtered(("ignore", "Parsing '.*' as a quarterly string", Warning, "")):  # "2019Q1"
                keys = pd.to_datetime(labels, errors="coerce", format="mixed").where(dated)
                if keys.notna().all():  # day-first numeric labels (15/01/2024) told from month-first ones
                    keys = date_column(labels, "period")  # ambiguous ones (a PlanningError) go unchecked
        except (ValueError, TypeError, OverflowError):  # e.g. weeks "2024-01-01/2024-01-07" read as time zones
            return None
    return keys


def period_columns_kind(columns: list[object], table: str, *, long_layout: bool = False) -> str | None:
    """Refuse period columns that are all numbers or all dates but not oldest first (newest first was read as
    oldest first, without a word), that skip a period (numbers that do not count up by 1, dates further apart
    than the others), or that are a summary (``Total``: one more period); the period kind of dated ones.

    Columns of other labels (``w1``, ``t-3``, ...) are taken in their order. ``table`` starts each message;
    ``long_layout``: the table also has a long layout (the backtest's), named in the missing-period message.
    """
    labels = pd.Series([str(c) for c in columns], dtype=object)
    odd = next((label for label in labels if text_key(label) in _SUMMARIES), None)
    keys = None if odd is not None else _keys(labels, table)
    if odd is None and keys is not None and keys.notna().sum() >= 2 and keys.isna().any():
        odd = labels[keys.isna()].iloc[0]  # dates or numbers and a note: not a period
    if odd is not None:
        raise PlanningError(f"{table}: column {odd!r} is not a period like the others (every column but sku is "
                            "a period; remove total or note columns)", column=odd)
    if keys is None:
        return None
    if keys.isna().any():
        return None  # labels such as "w1", "w2": their order is the columns' order
    behind = np.flatnonzero(~(keys.iloc[1:].to_numpy() > keys.iloc[:-1].to_numpy()))
    if behind.size:
        i = int(behind[0]) + 1
        raise PlanningError(f"{table}: period columns must be oldest first, each once; "
                            f"{labels[i]!r} follows {labels[i - 1]!r}", column=labels[i])
    if pd.api.types.is_datetime64_any_dtype(keys.dtype):
        return _dated_kind(keys, labels, table)
    if not pd.api.types.is_numeric_dtype(keys.dtype):
        return None
    skipped = np.flatnonzero(np.diff(keys.to_numpy(dtype=np.float64)) != 1.0)
    if skipped.size:  # numbered columns count periods: a missing one shifted every later one, as a missing month
        i = int(skipped[0]) + 1
        between = " (the long layout reads the periods between as periods without demand)" if long_layout else ""
        raise PlanningError(
            f"{table}: a period column is missing: {labels[i]!r} follows {labels[i - 1]!r}, where numbered period "
            f"columns count 1, 2, 3, ...{between}; add the missing period (0 where nothing was sold), or label the "
            "columns with dates", column=labels[i])
    return None


def _dated_kind(keys: pd.Series, labels: pd.Series, table: str) -> str | None:
    """The period kind of dated columns (oldest first), refusing a missing one (three columns at least)."""
    if len(keys) < 3:
        return None
    # dated columns are consecutive periods: a missing month shifted every later one (the long layout
    # counts it as a month without demand)
    days = np.diff(keys.to_numpy()).astype("timedelta64[s]").astype(np.float64) / 86400.0
    usual = float(days.min())  # the median missed the one gap of three columns (31 and 60 days: 45.5)
    skipped = np.flatnonzero(days > 1.5 * usual)
    if usual > 0 and skipped.size:
        i = int(skipped[0]) + 1
        raise PlanningError(
            f"{table}: a period column is missing: {labels[i]!r} comes {days[i - 1]:.0f} days after "
            f"{labels[i - 1]!r}, where the columns are about {usual:.0f} days apart; add the missing period "
            "(0 where nothing was sold)", column=labels[i])
    return step_kind(round(usual))

