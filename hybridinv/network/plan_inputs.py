"""Frames of :func:`~hybridinv.network.planning.plan_network` → validated arrays (locations, SKUs).

Three tables besides the ``locations`` table (:meth:`Network.from_frame`):

- the **state**, one row per location × SKU: ``location``, ``sku``, ``on_hand``, optional
  ``backorders`` (stores only) and ``pipeline_<k>`` (units arriving at the location ``k``
  periods from now, ``k = 0``: this period), whole numbers >= 0;
- the **catalog** (:class:`hybridinv.Catalog`; its ``lead_time`` is not used: lead times are per
  location in the ``locations`` table);
- the **forecast** (optional), per store and SKU: ``location``, ``sku``, ``mean``, optional
  ``std`` and ``period`` (several periods per store and SKU are averaged).

Every check is vectorized over the rows; errors are :class:`~hybridinv.network.LocationError`
(a :class:`hybridinv.PlanningError`) naming the column, the location, the SKU and the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.core._frame import ExtraColumns, check_columns, require_columns, require_frame, sku_column
from hybridinv.core.catalog import Catalog, near_sku
from hybridinv.core.limits import MAX_LEAD_TIME, MAX_QUANTITY
from hybridinv.forecast import DATE_PERIOD_HINT, date_row
from hybridinv.network.model import LocationError, Network

__all__ = ["FORECAST_COLUMNS", "STATE_COLUMNS", "NetworkFrames", "read_catalog", "read_forecast", "read_state"]

#: Columns of the network state table (plus ``pipeline_<k>``).
STATE_COLUMNS: tuple[str, ...] = ("location", "sku", "on_hand", "backorders")
#: Columns of the network forecast table.
FORECAST_COLUMNS: tuple[str, ...] = ("location", "sku", "period", "mean", "std")

_PIPELINE = re.compile(r"^pipeline_(0|[1-9]\d*)$")  # as hybridinv.core.state: no leading zeros


@dataclass(frozen=True, eq=False)
class NetworkFrames:
    """The state as arrays: ``on_hand`` and ``backorders`` (L, n), ``pipeline`` (L, n, slots)."""

    on_hand: NDArray[np.float64]
    backorders: NDArray[np.float64]
    pipeline: NDArray[np.float64]


def _labels(series: pd.Series, column: str, table: str) -> NDArray[np.object_]:
    """A label column as strings (``3.0`` read by pandas as a float → ``'3'``); blanks are an error."""
    values = series.to_numpy(dtype=object)
    blank = pd.isna(series).to_numpy().copy()
    text = np.array([str(int(v)) if isinstance(v, float | np.floating) and float(v).is_integer() else str(v).strip()
                     for v in values], dtype=object) if values.size else values
    blank |= text == ""
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise LocationError(f"{table}: {column} is empty (row {i})", column=column, value=values[i])
    return text


def _index(labels: NDArray[np.object_], known: tuple[str, ...] | NDArray[np.object_], column: str, table: str,
           other: NDArray[np.object_]) -> NDArray[np.int64]:
    rows = np.asarray(pd.Index(list(known)).get_indexer(labels), dtype=np.int64)
    bad = rows < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if column == "location":
            hint = near_sku(str(labels[i]), known, "locations table", column)
            raise LocationError(f"{table}: unknown location (not in the locations table){hint}", column=column,
                                location=labels[i], sku=other[i], value=labels[i])
        hint = near_sku(str(labels[i]), known)
        raise LocationError(f"{table}: unknown SKU (not in the catalog){hint}", column=column, location=other[i],
                            sku=labels[i], value=labels[i])
    return rows


def _numbers(df: pd.DataFrame, column: str, table: str, locs: NDArray[np.object_], skus: NDArray[np.object_], *,
             default: float | None = None, integer: bool = True, maximum: float = MAX_QUANTITY) -> NDArray[np.float64]:
    """A numeric column checked cell by cell (vectorized): finite, >= 0, whole when ``integer``."""
    if column not in df.columns:
        if default is None:
            require_columns(df, [column], table)
        return np.full(len(df), float(default if default is not None else 0.0))
    series = df[column]
    kinds = series.map(type) if series.dtype == object else None
    if kinds is not None:
        odd = kinds.map(lambda t: issubclass(t, bool | np.bool_) or not issubclass(t, int | float | str | np.number))
        if odd.any():
            i = int(np.flatnonzero(odd.to_numpy())[0])
            raise LocationError(f"{table}: value is not a number", column=column, location=locs[i], sku=skus[i],
                                value=series.iloc[i])
    elif series.dtype.kind == "b":
        raise LocationError(f"{table}: value is not a number", column=column, location=locs[0], sku=skus[0],
                            value=series.iloc[0])
    numeric = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(numeric)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        why = "value is empty" if pd.isna(series.iloc[i]) else "value is not a number"
        raise LocationError(f"{table}: {why}", column=column, location=locs[i], sku=skus[i], value=series.iloc[i])
    wrong = ~np.isfinite(numeric) | (numeric < 0) | (numeric > maximum)
    if integer:
        wrong |= numeric != np.round(numeric)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        need = "a whole number" if integer else "a number"
        raise LocationError(f"{table}: must be {need} from 0 to {maximum:g}", column=column, location=locs[i],
                            sku=skus[i], value=float(numeric[i]))
    return numeric


def _keys(df: pd.DataFrame, table: str, network: Network, catalog: Catalog
          ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.object_], NDArray[np.object_]]:
    require_columns(df, ["location", "sku"], table)
    locs = _labels(df["location"], "location", table)
    # SKUs as the catalog reads them (text of the value, spaces kept): a catalog of SKUs 7.0 or ' A' was refused
    skus = sku_column(df, table, unique=False)
    loc_row = _index(locs, network.names, "location", table, skus)
    sku_row = _index(skus, catalog.sku.astype(str), "sku", table, locs)
    return loc_row, sku_row, locs, skus


def _duplicates(codes: NDArray[np.int64], table: str, locs: NDArray[np.object_], skus: NDArray[np.object_],
                what: str = "") -> None:
    order = np.argsort(codes, kind="stable")
    dup = np.flatnonzero(np.diff(codes[order]) == 0)
    if dup.size:
        i = int(order[dup[0] + 1])
        raise LocationError(f"{table}: duplicate row for this location and SKU{what}", column="sku",
                            location=locs[i], sku=skus[i], value=skus[i])


def read_state(df: pd.DataFrame, network: Network, catalog: Catalog,
               extra_columns: ExtraColumns = "error") -> NetworkFrames:
    """The state table as arrays; every location × SKU must have exactly one row.

    Raises
    ------
    LocationError
        Unknown columns, locations or SKUs, duplicate or missing location × SKU rows,
        quantities that are negative, fractional, empty or not numbers, backorders at a
        location that is not a store, a pipeline slot beyond 520 periods.
    """
    table = "state"
    df = require_frame(df, table)
    check_columns(df, STATE_COLUMNS, table, extra_columns, pattern=_PIPELINE, pattern_label="pipeline_<k>",
                  suggestions=["pipeline_0", "pipeline_1"], hints={"in_transit": "pipeline_<k>"})
    require_columns(df, ["location", "sku", "on_hand"], table)
    loc_row, sku_row, locs, skus = _keys(df, table, network, catalog)
    n_loc, n = network.n_locations, catalog.n_skus
    codes = loc_row * n + sku_row
    _duplicates(codes, table, locs, skus)
    if codes.size != n_loc * n:
        present = np.zeros(n_loc * n, dtype=bool)
        present[codes] = True
        i, j = divmod(int(np.flatnonzero(~present)[0]), n)
        raise LocationError(f"{table}: no row for this location and SKU (every location needs a row for every "
                            "catalog SKU)", column="sku", location=network.names[i], sku=str(catalog.sku[j]))
    on_hand = np.zeros((n_loc, n))
    on_hand[loc_row, sku_row] = _numbers(df, "on_hand", table, locs, skus)
    back = np.zeros((n_loc, n))
    back[loc_row, sku_row] = _numbers(df, "backorders", table, locs, skus, default=0.0)
    network.check_backorders(back, catalog.sku, table)
    slots = sorted((int(m.group(1)), str(c)) for c in df.columns if (m := _PIPELINE.match(str(c))) is not None)
    if slots and slots[-1][0] > MAX_LEAD_TIME:
        raise LocationError(f"{table}: pipeline slots go up to {MAX_LEAD_TIME} periods", column=slots[-1][1])
    pipeline = np.zeros((n_loc, n, (slots[-1][0] + 1) if slots else 1))
    for k, column in slots:
        pipeline[loc_row, sku_row, k] = _numbers(df, column, table, locs, skus)
    return NetworkFrames(on_hand, back, pipeline)


def read_catalog(catalog: Catalog | pd.DataFrame, extra_columns: ExtraColumns = "error") -> Catalog:
    """The catalog; a frame without ``lead_time`` gets 0 there (lead times come from the locations table).

    A :class:`Catalog` with a lead time is refused as a frame with the column is (its lead times were
    ignored without a word until 2026-12-06).
    """
    if isinstance(catalog, Catalog):
        late = np.flatnonzero(catalog.lead_time != 0)
        if late.size:
            first = int(late[0])
            raise LocationError("catalog: lead times are per location in the locations table (lead_time); build "
                                "the Catalog with lead_time 0", column="lead_time", sku=str(catalog.sku[first]),
                                value=int(catalog.lead_time[first]))
        return catalog
    df = require_frame(catalog, "catalog")
    if "lead_time" in df.columns:
        raise LocationError("catalog: lead times are per location in the locations table (lead_time); drop the "
                            "catalog's lead_time column", column="lead_time")
    return Catalog.from_frame(df.assign(lead_time=0), extra_columns=extra_columns)


def _no_dates(series: pd.Series, table: str, locs: NDArray[np.object_], skus: NDArray[np.object_]) -> None:
    """Refuse dates in the ``period`` column with the hint ``plan()``'s forecast gives (it said only 'value is not
    a number', naming a date the planner had written on purpose)."""
    row = date_row(series)
    if row is not None and len(series):
        raise LocationError(f"{table}: {DATE_PERIOD_HINT}", column="period", location=locs[row], sku=skus[row],
                            value=str(series.iloc[row]))


def _skipped_periods(codes: NDArray[np.int64], period: NDArray[np.float64], table: str,
                     locs: NDArray[np.object_], skus: NDArray[np.object_]) -> None:
    """Refuse a store × SKU (``codes``) whose rows skip a period: one row per period, as ``plan()``'s forecast.

    A forecast exported without its zero rows (periods 0 and 2, no row for 1) was averaged over the rows it had,
    so a period without demand counted as one with the others' demand: the protected demand, and the levels on it,
    too high without a word (until 2026-12-07)."""
    order = np.lexsort((period, codes))
    c, p = codes[order], period[order]
    gap = np.flatnonzero((c[1:] == c[:-1]) & (p[1:] != p[:-1] + 1))
    if gap.size:
        k = int(gap[0])
        i = int(order[k + 1])
        raise LocationError(f"{table}: the forecast of this store and SKU skips period {int(p[k]) + 1}; give one "
                            "row per period, without gaps (a period without demand is a row with mean 0)",
                            column="period", location=locs[i], sku=skus[i], value=int(period[i]))


def _within_lead_time(codes: NDArray[np.int64], period: NDArray[np.float64],
                      window: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Rows among the first ``window`` periods of their store × SKU (``codes``), counted from its earliest period."""
    order = np.lexsort((period, codes))
    sorted_codes = codes[order]
    start = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]
    first_period = period[order][np.maximum.accumulate(np.where(start, np.arange(codes.size), 0))]
    keep = np.empty(codes.size, dtype=bool)
    keep[order] = period[order] - first_period < window[order]
    return keep


def read_forecast(df: pd.DataFrame | None, network: Network, catalog: Catalog,
                  extra_columns: ExtraColumns = "error") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and standard deviation of demand per period at each store, arrays (stores, SKUs).

    Without a forecast, every store takes the catalog's ``demand_mean`` / ``demand_std`` (std
    blank: ``sqrt(mean)``, Poisson-like). With one, every store × SKU needs rows; the periods a
    store's stock protects are averaged (the standard deviation as the root mean square): its
    first ``cumulative_lead_time + 1`` periods (from the supplier down to the store, the
    longest echelon it belongs to), counted from its earliest ``period``. Later periods are
    not read: until 2026-12-07 every period was averaged, so a year's forecast whose demand rose
    after the lead time set today's targets several times too high.

    Raises
    ------
    LocationError
        Unknown columns, locations or SKUs, a forecast for a location that is not a store,
        duplicate (location, SKU, period) rows, a store × SKU whose rows skip a period, negative or
        non-numeric values, a store × SKU without a forecast (or, without a forecast table, a catalog
        without ``demand_mean``).
    """
    stores = network.stores
    n = catalog.n_skus
    if df is None:
        mean = np.broadcast_to(catalog.demand_mean, (stores.size, n)).copy()
        std = np.broadcast_to(catalog.demand_std, (stores.size, n)).copy()
        missing = np.isnan(mean)
        if missing.any():
            i, j = (int(v[0]) for v in np.nonzero(missing))
            raise LocationError("no forecast: give a forecast table (location, sku, mean[, std]) or the catalog's "
                                "demand_mean", column="mean", location=network.names[stores[i]],
                                sku=str(catalog.sku[j]))
        return mean, np.where(np.isnan(std), np.sqrt(mean), std)
    table = "forecast"
    df = require_frame(df, table)
    check_columns(df, FORECAST_COLUMNS, table, extra_columns)
    require_columns(df, ["location", "sku", "mean"], table)
    loc_row, sku_row, locs, skus = _keys(df, table, network, catalog)
    not_store = ~network.is_store[loc_row]
    if not_store.any():
        i = int(np.flatnonzero(not_store)[0])
        raise LocationError(f"{table}: forecasts are for stores (customer demand); this location feeds others",
                            column="location", location=locs[i], sku=skus[i], value=locs[i])
    store_row = np.searchsorted(stores, loc_row)
    if "period" in df.columns:
        _no_dates(df["period"], table, locs, skus)
    period = _numbers(df, "period", table, locs, skus, default=0.0)
    codes = store_row * n + sku_row
    _, period_code = np.unique(period, return_inverse=True)
    _duplicates(codes * (int(period_code.max(initial=0)) + 1) + period_code, table, locs, skus, " and period")
    _skipped_periods(codes, period, table, locs, skus)
    mean_rows = _numbers(df, "mean", table, locs, skus, integer=False)
    std_rows = _numbers(df, "std", table, locs, skus, integer=False) if "std" in df.columns else np.sqrt(mean_rows)
    protected = _within_lead_time(codes, period, network.cumulative_lead_time[stores][store_row] + 1)
    codes, mean_rows, std_rows = codes[protected], mean_rows[protected], std_rows[protected]
    size = stores.size * n
    count = np.bincount(codes, minlength=size).astype(np.float64)
    if (count == 0).any():
        i, j = divmod(int(np.flatnonzero(count == 0)[0]), n)
        raise LocationError(f"{table}: no forecast for this store and SKU", column="mean",
                            location=network.names[stores[i]], sku=str(catalog.sku[j]))
    mean = np.bincount(codes, weights=mean_rows, minlength=size) / count
    std = np.sqrt(np.bincount(codes, weights=std_rows ** 2, minlength=size) / count)
    return mean.reshape(stores.size, n), std.reshape(stores.size, n)
