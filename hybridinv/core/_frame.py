"""Validation helpers that turn pandas columns into checked numpy arrays."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError

__all__ = [
    "per_sku",
    "require_frame",
    "require_columns",
    "sku_column",
    "numeric_column",
    "check_array",
]


def require_frame(df: object, table: str) -> pd.DataFrame:
    """Return ``df`` if it is a DataFrame, else raise :class:`PlanningError`."""
    if not isinstance(df, pd.DataFrame):
        raise PlanningError(f"{table} must be a pandas DataFrame, got {type(df).__name__}")
    return df


def require_columns(df: pd.DataFrame, columns: Iterable[str], table: str) -> None:
    """Raise naming the first missing column of ``table``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise PlanningError(
            f"{table} is missing required column(s) {missing}; it has {list(df.columns)}",
            column=missing[0],
        )


def sku_column(df: pd.DataFrame, table: str, *, unique: bool = True) -> NDArray[np.object_]:
    """Return the ``sku`` column as an object array of strings, checked for gaps and duplicates."""
    require_columns(df, ["sku"], table)
    raw = df["sku"].to_numpy(dtype=object)
    for value in raw:
        if value is None or (isinstance(value, float) and not np.isfinite(value)) or str(value) == "":
            raise PlanningError(f"{table} has an empty SKU", column="sku", value=value)
    skus = np.array([str(v) for v in raw], dtype=object)
    if unique:
        uniq, counts = np.unique(skus.astype(str), return_counts=True)
        if (counts > 1).any():
            dup = uniq[counts > 1][0]
            raise PlanningError(f"{table} lists SKU more than once", column="sku", sku=dup)
    return skus


def check_array(
    values: ArrayLike,
    column: str,
    skus: Sequence[object] | NDArray[np.object_],
    table: str,
    *,
    minimum: float | None = 0.0,
    strict: bool = False,
    allow_inf: bool = False,
    integer: bool = False,
) -> NDArray[np.float64]:
    """Check a float array column-wise and raise naming the first bad SKU and value."""
    arr = np.asarray(values, dtype=np.float64)
    bad = np.isnan(arr) | (np.isinf(arr) if not allow_inf else np.isneginf(arr))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PlanningError(f"{table}: value is NaN or infinite", column=column, sku=skus[i], value=float(arr[i]))
    if minimum is not None:
        low = arr <= minimum if strict else arr < minimum
        if low.any():
            i = int(np.flatnonzero(low)[0])
            op = ">" if strict else ">="
            raise PlanningError(
                f"{table}: value must be {op} {minimum:g}", column=column, sku=skus[i], value=float(arr[i])
            )
    if integer:
        finite = np.isfinite(arr)
        frac = np.zeros(arr.shape, dtype=bool)
        frac[finite] = np.abs(arr[finite] - np.round(arr[finite])) > 1e-9
        if frac.any():
            i = int(np.flatnonzero(frac)[0])
            raise PlanningError(
                f"{table}: value must be a whole number", column=column, sku=skus[i], value=float(arr[i])
            )
        arr = np.where(finite, np.round(arr), arr)
    return arr


def numeric_column(
    df: pd.DataFrame,
    column: str,
    skus: NDArray[np.object_],
    table: str,
    *,
    default: float | None = None,
    blank: float | None = None,
    minimum: float | None = 0.0,
    strict: bool = False,
    allow_inf: bool = False,
    integer: bool = False,
) -> NDArray[np.float64]:
    """Read a numeric column (or ``default`` when absent) and validate it.

    Empty cells are an error unless ``blank`` is given, in which case they take
    that value (for columns where a blank means "not set", such as ``shelf_life``).
    """
    if column not in df.columns:
        if default is None:
            require_columns(df, [column], table)
        return np.full(len(df), default, dtype=np.float64)
    series = df[column]
    numeric = pd.to_numeric(series, errors="coerce")
    not_numeric = numeric.isna() & series.notna()
    if not_numeric.any():
        i = int(np.flatnonzero(not_numeric.to_numpy())[0])
        raise PlanningError(f"{table}: value is not a number", column=column, sku=skus[i], value=series.iloc[i])
    arr = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    if blank is not None:
        empty = series.isna().to_numpy()
        arr = np.where(empty, blank, arr)
        if np.isnan(blank):  # blank means "unknown": check only the filled cells
            known = ~empty
            out = arr.copy()
            out[known] = check_array(
                arr[known],
                column,
                skus[known],
                table,
                minimum=minimum,
                strict=strict,
                allow_inf=allow_inf,
                integer=integer,
            )
            return out
    return check_array(arr, column, skus, table, minimum=minimum, strict=strict, allow_inf=allow_inf, integer=integer)


def per_sku(value: ArrayLike, n: int, name: str, *, minimum: float | None = None) -> NDArray[np.float64]:
    """Broadcast a scalar or per-SKU parameter to shape (n,), checked finite (and >= ``minimum``)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise PlanningError(f"expected a scalar or {n} per-SKU values, got shape {arr.shape}", column=name)
    bad = ~np.isfinite(arr)
    if minimum is not None:
        bad |= arr < minimum
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        limit = "" if minimum is None else f" and >= {minimum:g}"
        raise PlanningError(f"must be finite{limit}", column=name, value=float(arr[i]))
    return arr
