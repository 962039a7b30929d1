"""Forecast input for plan(): a frame of ``sku``, ``period``, ``mean`` and optionally
``std`` or quantile columns (``q0.1``, ``q0.9``, ...)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import norm

from hybridinv.core._frame import numeric_column, require_columns, require_frame, sku_column
from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import PlanningError

__all__ = ["forecast_arrays"]

_TABLE = "forecast"
_QUANTILE = re.compile(r"^q(0?\.\d+)$")


def _std_from_quantiles(df: pd.DataFrame, skus: NDArray[np.object_]) -> NDArray[np.float64] | None:
    """Normal-equivalent std from the widest symmetric pair of quantile columns."""
    levels = {float(m.group(1)): c for c in df.columns if (m := _QUANTILE.match(str(c))) is not None}
    pairs = [(lo, 1.0 - lo) for lo in levels if lo < 0.5 and any(abs(hi - (1.0 - lo)) < 1e-9 for hi in levels)]
    if not pairs:
        return None
    lo, hi_level = min(pairs)
    hi_col = next(c for level, c in levels.items() if abs(level - hi_level) < 1e-9)
    low = numeric_column(df, levels[lo], skus, _TABLE, minimum=None)
    high = numeric_column(df, hi_col, skus, _TABLE, minimum=None)
    if (high < low).any():
        i = int(np.flatnonzero(high < low)[0])
        raise PlanningError("upper quantile below lower quantile", column=hi_col, sku=skus[i], value=float(high[i]))
    return (high - low) / (2.0 * norm.ppf(hi_level))


def forecast_arrays(
    catalog: Catalog, forecast: pd.DataFrame | None, horizon: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Per-SKU forecast mean and std for the next ``horizon`` periods, in catalog order.

    The smallest ``period`` in the frame is the period being planned. SKUs
    without forecast rows fall back to the catalog's ``demand_mean`` /
    ``demand_std`` (std defaults to ``sqrt(mean)``, Poisson); a period missing
    for a SKU takes that SKU's last given value.

    Returns
    -------
    mean, std : arrays, shape (n_skus, horizon)
    from_catalog : bool array, shape (n_skus,)
        Which SKUs used the catalog fallback.

    Raises
    ------
    PlanningError
        For forecast SKUs not in the catalog, NaN or negative values, duplicate
        (sku, period) rows, or a SKU with neither a forecast nor ``demand_mean``.
    """
    n = catalog.n_skus
    mean = np.full((n, horizon), np.nan)
    std = np.full((n, horizon), np.nan)
    if forecast is not None:
        df = require_frame(forecast, _TABLE)
        require_columns(df, ["sku", "period", "mean"], _TABLE)
        skus = sku_column(df, _TABLE, unique=False)
        pos = catalog.positions(skus, _TABLE)
        period = numeric_column(df, "period", skus, _TABLE, minimum=None, integer=True).astype(np.int64)
        values = numeric_column(df, "mean", skus, _TABLE)
        if "std" in df.columns:
            spread: NDArray[np.float64] | None = numeric_column(df, "std", skus, _TABLE)
        else:
            spread = _std_from_quantiles(df, skus)
        duplicated = pd.DataFrame({"sku": skus, "period": period}).duplicated().to_numpy()
        if duplicated.any():
            i = int(np.flatnonzero(duplicated)[0])
            raise PlanningError(
                "more than one row for this sku and period", column="period", sku=skus[i], value=int(period[i])
            )
        step = period - period.min()
        inside = step < horizon
        mean[pos[inside], step[inside]] = values[inside]
        if spread is not None:
            std[pos[inside], step[inside]] = spread[inside]
    from_catalog = np.isnan(mean).all(axis=1)
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
    std = np.where(np.isnan(std), np.sqrt(mean), std)
    return mean, std, from_catalog


def _fill_forward(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fill NaN gaps along the period axis with the last known value (first known for leading gaps)."""
    out = pd.DataFrame(values.T).ffill().bfill().to_numpy().T
    return np.asarray(out, dtype=np.float64)
