"""Forecast input for plan(): a frame of ``sku``, ``period``, ``mean`` and optionally
``std`` or quantile columns (``q0.1``, ``q0.9``, ...)."""

from __future__ import annotations

import datetime as _dt
import re
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.core._frame import (
    ExtraColumns,
    RowSkus,
    check_columns,
    numeric_column,
    require_columns,
    require_frame,
    sku_codes,
)
from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import PlanningError, whole_number
from hybridinv.core.limits import MAX_PERIODS, MAX_QUANTITY

__all__ = ["Forecast", "forecast_arrays", "forecast_length", "read_forecast"]

_TABLE = "forecast"
_QUANTILE = re.compile(r"^q(0?\.\d+)$")
_COLUMNS = ("sku", "period", "mean", "std")
#: Synonyms users write for the forecast columns (named in the "did you mean" hint).
_HINTS = {"sd": "std", "stdev": "std", "std_dev": "std", "sigma": "std", "forecast": "mean", "date": "period"}


def _std_from_quantiles(df: pd.DataFrame, skus: RowSkus) -> NDArray[np.float64] | None:
    """Normal-equivalent std from the widest symmetric pair of quantile columns."""
    levels: dict[float, str] = {}
    for c in df.columns:
        if (m := _QUANTILE.match(str(c))) is None:
            continue
        level = float(m.group(1))
        if level in levels:  # q0.1 and q0.10: one of the two was used without a word
            raise PlanningError(f"two quantile columns for the level {level:g} ({levels[level]!s} and {c!s}); "
                                "keep one", column=str(c), value=level)
        levels[level] = str(c)
    pairs = [(lo, 1.0 - lo) for lo in levels if lo < 0.5 and any(abs(hi - (1.0 - lo)) < 1e-9 for hi in levels)]
    if not pairs:
        if levels:  # quantiles were given but give no spread: refuse rather than fall back to sqrt(mean)
            raise PlanningError(
                "quantile columns need a symmetric pair (such as q0.1 and q0.9) to give the spread; "
                f"got {sorted(str(c) for c in levels.values())}",
                column=str(next(iter(levels.values()))),
            )
        return None
    lo, hi_level = min(pairs)
    hi = next(level for level in levels if abs(level - hi_level) < 1e-9)
    # every quantile column is read and checked, not only the pair that gives the spread: a median above the
    # upper quantile, or text in an inner column, says the row is not one distribution's quantiles
    values = {level: numeric_column(df, levels[level], skus, _TABLE, minimum=-MAX_QUANTITY, maximum=MAX_QUANTITY)
              for level in sorted(levels)}
    for below, above in pairwise(values):
        crossed = values[above] < values[below]
        if crossed.any():
            i = int(np.flatnonzero(crossed)[0])
            raise PlanningError(f"quantile below the lower quantile {levels[below]} ({float(values[below][i]):g}); "
                                "quantiles must not fall as the level rises",
                                column=levels[above], sku=skus[i], value=float(values[above][i]))
    low, high = values[lo], values[hi]
    from scipy.special import ndtri  # the normal quantile (scipy.stats.norm.ppf), imported when used

    return (high - low) / (2.0 * float(ndtri(hi_level)))


def forecast_length(forecast: object) -> int:
    """Periods from the planned one to the last row of a forecast frame (0 without rows).

    Read before :func:`forecast_arrays` checks the frame (it never raises: a frame it cannot
    read gives 0 and :func:`forecast_arrays` names the problem).
    """
    if not isinstance(forecast, pd.DataFrame) or len(forecast) == 0 or "period" not in forecast.columns:
        return 0
    column = forecast["period"]
    if isinstance(column, pd.DataFrame) or column.dtype == bool or column.dtype.kind in "mM":
        return 0  # dates and durations are refused by forecast_arrays
    if pd.api.types.is_integer_dtype(column) and not column.hasnans:  # one pass each, no float copy
        values = column.to_numpy()
        return int(min(float(values.max()) - float(values.min()), 1e6)) + 1
    if not pd.api.types.is_numeric_dtype(column):
        # periods written as text ('1', '2', ...), categories or Decimals, which forecast_arrays reads as numbers:
        # they were 0 here, so the horizon ignored the rows past max(8, L + 2) and build-ahead read the repeated
        # last value as forecast (an order of 500 became 0 without a word)
        try:
            column = pd.Series(np.asarray(column, dtype=object))
        except (TypeError, ValueError):
            return 0
    period = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = period[np.isfinite(period)]
    if finite.size == 0:
        return 0
    return int(min(finite.max() - finite.min(), 1e6)) + 1


class Forecast(NamedTuple):
    """A forecast frame read for planning (:func:`read_forecast`)."""

    #: expected demand, shape (n_skus, horizon), catalog order
    mean: NDArray[np.float64]
    #: its standard deviation, same shape
    std: NDArray[np.float64]
    #: which SKUs used the catalog fallback, shape (n_skus,)
    from_catalog: NDArray[np.bool_]
    #: periods each SKU's forecast is known rather than extended (at most ``horizon``), shape (n_skus,)
    known: NDArray[np.int64]


def forecast_arrays(
    catalog: Catalog, forecast: pd.DataFrame | None, horizon: int, *, extra_columns: ExtraColumns = "error"
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Per-SKU forecast mean and std for the next ``horizon`` periods, in catalog order.

    The first three fields of :func:`read_forecast`, which documents the frame's rules and the checks of
    ``catalog`` and ``horizon``.
    """
    read = read_forecast(catalog, forecast, horizon, extra_columns=extra_columns)
    return read.mean, read.std, read.from_catalog


def read_forecast(
    catalog: Catalog, forecast: pd.DataFrame | None, horizon: int, *, extra_columns: ExtraColumns = "error"
) -> Forecast:
    """Per-SKU forecast mean and std for the next ``horizon`` periods, in catalog order, and how far each is known.

    ``period`` holds whole numbers. The frame's smallest ``period`` is the period
    being planned (its orders are placed now), and every SKU with forecast rows
    must have a row for it and one for each following period up to its last row
    (no gaps): a stray row with an earlier period, or a SKU whose rows start
    later, is an error instead of shifting forecasts. After a SKU's last row its
    last value repeats; rows ``horizon`` or more periods ahead are not used. SKUs
    without forecast rows fall back to the catalog's ``demand_mean`` /
    ``demand_std`` (std defaults to ``sqrt(mean)``, Poisson).

    Returns
    -------
    Forecast
        ``mean`` and ``std``, shape (n_skus, horizon); ``from_catalog``, shape (n_skus,): which SKUs
        used the catalog fallback; ``known``, shape (n_skus,): the periods of each SKU's own rows
        (at most ``horizon``): the values past them repeat its last row and are not a forecast. A SKU
        on the catalog fallback counts as known as far as the longest SKU's rows, every SKU as far as
        ``horizon`` without forecast rows.

    Raises
    ------
    PlanningError
        For forecast SKUs not in the catalog, NaN or negative values, values above
        :data:`~hybridinv.core.limits.MAX_QUANTITY`, duplicate (sku, period) rows,
        dates or fractions in ``period``, a SKU whose rows do not start at the
        planned period or skip a period, unknown columns (unless ``extra_columns``
        allows them), or a SKU with neither a forecast nor ``demand_mean``; for a ``catalog`` that is not a
        :class:`~hybridinv.Catalog` or a ``horizon`` that is not a whole number from 1 to
        :data:`~hybridinv.core.limits.MAX_PERIODS` (until 2026-12-06 these were bare ``AttributeError``s
        and numpy errors).
    """
    if not isinstance(catalog, Catalog):  # None was an AttributeError on catalog.n_skus
        raise PlanningError("must be a Catalog", column="catalog", value=type(catalog).__name__)
    horizon = whole_number(horizon, "horizon", 1)  # None, 2.5, "abc", True, nan were bare numpy errors
    if horizon > MAX_PERIODS:
        raise PlanningError(f"must be a whole number from 1 to {MAX_PERIODS:,} (MAX_PERIODS)", column="horizon",
                            value=horizon)
    n = catalog.n_skus
    mean = np.full((n, horizon), np.nan)
    std = np.full((n, horizon), np.nan)
    rows = np.zeros(n, dtype=np.int64)  # each SKU's forecast rows (steps 0, 1, ... without gaps: the last step + 1)
    if forecast is not None and len(require_frame(forecast, _TABLE)) > 0:
        df = forecast
        check_columns(
            df, _COLUMNS, _TABLE, extra_columns, pattern=_QUANTILE, pattern_label="q<level> (q0.1, q0.9, ...)",
            hints=_HINTS,
        )
        require_columns(df, ["sku", "period", "mean"], _TABLE)
        codes, names = sku_codes(df, _TABLE, unique=False, known=catalog.sku)
        # each distinct SKU looked up once; none when they are the catalog's own (sku_codes recognized them)
        pos = codes if names is catalog.sku else catalog.positions(names, _TABLE)[codes]
        skus = RowSkus(names, codes)
        period = _period_column(df, skus)
        per_sku = _regular_length(pos, period, n)
        step = _steps(period, skus, pos) if per_sku is None else None
        values = numeric_column(df, "mean", skus, _TABLE, maximum=MAX_QUANTITY)
        if "std" in df.columns:
            quantiles = sorted(str(c) for c in df.columns if _QUANTILE.match(str(c)))
            if quantiles:  # one of the two spreads would be ignored without a word
                raise PlanningError(f"give std or quantile columns, not both (got std and {quantiles})",
                                    column=quantiles[0])
            spread: NDArray[np.float64] | None = numeric_column(df, "std", skus, _TABLE, maximum=MAX_QUANTITY)
        else:
            spread = _std_from_quantiles(df, skus)
        if step is None:  # every SKU's rows in catalog order, the same periods: a reshape, no scatter
            used = min(per_sku or 0, horizon)
            rows[:] = per_sku or 0
            mean[:, :used] = values.reshape(n, -1)[:, :used]
            if spread is not None:
                std[:, :used] = spread.reshape(n, -1)[:, :used]
        else:
            rows = np.bincount(pos, minlength=n).astype(np.int64)
            inside = step < horizon
            if not inside.all():
                pos, step, values = pos[inside], step[inside], values[inside]
                spread = None if spread is None else spread[inside]
            cells = pos * horizon + step  # flat scatter: one index array instead of two
            mean.reshape(-1)[cells] = values
            if spread is not None:
                std.reshape(-1)[cells] = spread
    from_catalog = np.isnan(mean).all(axis=1)
    # the catalog's demand_mean is known as far as the longest forecast (everything without one)
    known = np.minimum(np.where(from_catalog, int(rows.max()) if rows.any() else horizon, rows), horizon)
    fallback_mean = catalog.demand_mean
    missing = from_catalog & np.isnan(fallback_mean)
    if missing.any():
        raise PlanningError(
            "no forecast rows and no demand_mean in the catalog",
            column="demand_mean",
            sku=catalog.sku[int(np.flatnonzero(missing)[0])],
        )
    mean[from_catalog] = fallback_mean[from_catalog, None]
    mean = _fill_forward(mean)
    fallback_std = np.where(np.isnan(catalog.demand_std), np.sqrt(np.nan_to_num(fallback_mean)), catalog.demand_std)
    std[from_catalog] = fallback_std[from_catalog, None]
    std = _fill_forward(std)
    unknown = np.isnan(std)
    if unknown.any():  # in place: a forecast with a std column has none, and (n, horizon) temporaries cost page faults
        std[unknown] = np.sqrt(mean[unknown])
    return Forecast(mean, std, from_catalog, known.astype(np.int64))


def _regular_length(pos: NDArray[np.int64], period: NDArray[np.float64], n: int) -> int | None:
    """Rows per SKU when the frame is the usual layout, else None.

    The usual layout: every catalog SKU has rows, in catalog order, each SKU's rows for the same
    periods in order without gaps, starting at the frame's first period (what :func:`_steps`
    checks row by row; here two comparisons).
    """
    rows = pos.size
    if n == 0 or rows % n:
        return None
    per_sku = rows // n
    if not bool((pos.reshape(n, per_sku) == np.arange(n)[:, None]).all()):
        return None
    first = float(period.min())
    return per_sku if bool((period.reshape(n, per_sku) == first + np.arange(per_sku)).all()) else None


def _steps(period: NDArray[np.float64], skus: RowSkus, pos: NDArray[np.int64]) -> NDArray[np.int64]:
    """Periods ahead of the planned period (the frame's first ``period``), checked per SKU.

    Every SKU's rows must start at the planned period and follow each other
    without gaps or duplicates.
    """
    first = float(period.min())
    step = (period - first).astype(np.int64)
    order = _sku_period_order(pos, step)
    s_pos, s_step = (pos, step) if order is None else (pos[order], step[order])
    new_sku = np.empty(step.size, dtype=bool)
    new_sku[:1] = True
    np.not_equal(s_pos[1:], s_pos[:-1], out=new_sku[1:])
    previous = np.empty_like(s_step)
    previous[:1] = -1
    previous[1:] = s_step[:-1]
    expected = previous + 1  # 0 on a SKU's first row, the row before's step + 1 on the others
    expected *= ~new_sku
    if np.array_equal(s_step, expected):  # one check when nothing is wrong
        return step
    order = np.arange(step.size) if order is None else order
    duplicate = ~new_sku & (s_step == previous)
    if duplicate.any():
        i = int(order[np.flatnonzero(duplicate)[0]])
        raise PlanningError(
            "more than one row for this sku and period", column="period", sku=skus[i], value=_whole(period[i])
        )
    late = new_sku & (s_step != 0)
    if late.any():
        i = int(order[np.flatnonzero(late)[0]])
        origin = int(np.flatnonzero(step == 0)[0])
        starts = s_step[new_sku]
        own = np.sort(step[pos == pos[origin]])
        skips = own.size > 1 and own[1] != 1  # the earliest SKU's next row is not the period after: a stray row
        early, later = int((starts == 0).sum()), int((starts != 0).sum())
        if early < later or (early == later and skips):
            # fewer SKUs start at the smallest period than later: the stray is that early row (period -1 typed for
            # one SKU), not the SKUs that start where most do (the error named a correct row)
            values, counts = np.unique(starts[starts != 0], return_counts=True)  # steps may be huge: no bincount
            common = _whole(first + float(values[int(np.argmax(counts))]))
            raise PlanningError(
                f"this SKU's forecast starts at period {_whole(first)}, before the period most SKUs start at "
                f"({common}); every SKU's rows must start at the period planned now",
                column="period", sku=skus[origin], value=_whole(first),
            )
        raise PlanningError(
            f"the forecast of every SKU must start at the planned period {_whole(first)} (the smallest period in "
            f"the frame, given for SKU {skus[origin]!r}), but this SKU's rows start later; periods count whole "
            "periods, the first one being the period planned now",
            column="period",
            sku=skus[i],
            value=_whole(period[i]),
        )
    gap = ~new_sku & (s_step != previous + 1)
    if gap.any():
        k = int(np.flatnonzero(gap)[0])
        i = int(order[k])
        missing = _whole(first + float(previous[k]) + 1.0)
        raise PlanningError(
            f"the forecast of this SKU skips period {missing}; give one row per period, without gaps",
            column="period",
            sku=skus[i],
            value=_whole(period[i]),
        )
    return step


def _sku_period_order(pos: NDArray[np.int64], step: NDArray[np.int64]) -> NDArray[np.int64] | None:
    """Row order by (catalog position, step); None when the rows are in that order already (the usual frame)."""
    span = int(step.max()) + 1 if step.size else 1
    if step.size and span * (int(pos.max()) + 1) < 2**62:
        key = pos * span + step
        if bool((key[1:] >= key[:-1]).all()):
            return None
        return np.argsort(key, kind="stable")
    return np.lexsort((step, pos))


#: Why a ``period`` column of dates is refused, and what to write instead (forecast frames of plan() and plan_network).
DATE_PERIOD_HINT = ("period must be a whole number of periods, not a date: number the periods 0, 1, 2, ... from the "
                    "period being planned (e.g. (date - first_date) // pd.Timedelta(weeks=1) for weekly data)")


def date_row(series: pd.Series) -> int | None:
    """The first row of a ``period`` column that holds a date, or None (not the first row: a column may mix
    numbers and dates; a column of dates or pandas periods, which read as their ordinals, from its first value)."""
    if series.dtype.kind == "M" or isinstance(series.dtype, pd.PeriodDtype):
        return int(np.flatnonzero(series.notna().to_numpy())[0]) if series.notna().any() else 0
    if series.dtype.kind == "O":  # object, or the str dtype of the command line's read
        odd = np.flatnonzero((pd.to_numeric(series, errors="coerce").isna() & series.notna()).to_numpy())
        if odd.size and _is_date(series.iloc[int(odd[0])]):
            return int(odd[0])
    return None


def _period_column(df: pd.DataFrame, skus: RowSkus) -> NDArray[np.float64]:
    """The ``period`` column as whole numbers; dates are refused with a hint."""
    series = df["period"]
    i = date_row(series)
    if i is not None:
        raise PlanningError(
            DATE_PERIOD_HINT,
            column="period",
            sku=skus[i] if len(skus) else None,
            value=str(series.iloc[i]) if len(series) else None,
        )
    return numeric_column(
        df, "period", skus, _TABLE, minimum=-MAX_QUANTITY, maximum=MAX_QUANTITY, integer=True
    )


def _is_date(value: object) -> bool:
    """Whether ``value`` is a date, or text pandas reads as one ('' and 'NaT' read as NaT: not dates)."""
    if isinstance(value, (_dt.date, np.datetime64)):
        return True
    try:
        return isinstance(value, str) and pd.Timestamp(value) is not pd.NaT
    except (ValueError, TypeError):
        return False


def _whole(value: float) -> int:
    return int(round(float(value)))


def _fill_forward(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fill NaN gaps along the period axis with the last known value (first known for leading gaps).

    A loop over the (few) periods, vectorized over SKUs; a copy only when there is a gap to fill.
    """
    if not np.isnan(values).any():
        return values
    out = np.array(values, dtype=np.float64)
    for k in range(1, out.shape[1]):
        col = out[:, k]
        np.copyto(col, out[:, k - 1], where=np.isnan(col))
    for k in range(out.shape[1] - 2, -1, -1):
        col = out[:, k]
        np.copyto(col, out[:, k + 1], where=np.isnan(col))
    return out
