"""Lead-time distributions and supplier reliability from a receipts log."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import (
    ExtraColumns,
    check_columns,
    date_columns,
    numeric_column,
    require_columns,
    require_frame,
    sku_column,
)
from hybridinv.core.errors import PlanningError, PlanningWarning, number_in
from hybridinv.core.limits import MAX_QUANTITY
from hybridinv.demand.leadtime import Disruptions

__all__ = ["RECEIPT_COLUMNS", "SupplyFit", "fit_supply"]

#: Columns a receipts frame must have (``supplier`` is optional).
RECEIPT_COLUMNS: tuple[str, ...] = (
    "sku", "order_date", "promised_date", "arrival_date", "quantity_ordered", "quantity_received",
)

_TABLE = "receipts"


@dataclass(frozen=True)
class SupplyFit:
    """Per-SKU lead time and supplier reliability (arrays aligned with ``sku``).

    Attributes
    ----------
    sku : array of str
    lead_time_mean, lead_time_std : array
        Realized lead time (arrival - order date) in planning periods.
    on_time_rate : array
        Share of receipts that arrived on or before the promised date.
    fill_rate : array
        Units received / units ordered.
    short_share : array
        Share of receipts delivered short (received < ordered).
    short_fraction : array
        Mean delivered fraction of the short receipts (1 when none).
    receipts : array
        Number of receipts used.
    supplier : array of str
        Supplier of each SKU (most frequent), ``"default"`` when not logged.
    """

    sku: NDArray[np.object_]
    lead_time_mean: NDArray[np.float64]
    lead_time_std: NDArray[np.float64]
    on_time_rate: NDArray[np.float64]
    fill_rate: NDArray[np.float64]
    short_share: NDArray[np.float64]
    short_fraction: NDArray[np.float64]
    receipts: NDArray[np.float64]
    supplier: NDArray[np.object_]

    def aligned(self, skus: NDArray[np.object_], default_lead_time: float = 1.0) -> SupplyFit:
        """The fit for ``skus`` in that order; SKUs without receipts get perfect
        reliability and ``default_lead_time``."""
        index = pd.Index(self.sku.astype(str)).get_indexer(np.asarray(skus, dtype=str))
        found = index >= 0

        def pick(values: NDArray[np.float64], default: float) -> NDArray[np.float64]:
            if not values.size:
                return np.full(len(skus), default)
            return np.where(found, values[np.maximum(index, 0)], default)

        supplier = np.where(found, self.supplier[np.maximum(index, 0)], "default") if self.sku.size else (
            np.full(len(skus), "default", dtype=object)
        )
        return SupplyFit(
            sku=np.asarray(skus, dtype=object),
            lead_time_mean=pick(self.lead_time_mean, default_lead_time),
            lead_time_std=pick(self.lead_time_std, 0.0),
            on_time_rate=pick(self.on_time_rate, 1.0),
            fill_rate=pick(self.fill_rate, 1.0),
            short_share=pick(self.short_share, 0.0),
            short_fraction=pick(self.short_fraction, 1.0),
            receipts=pick(self.receipts, 0.0),
            supplier=np.asarray(supplier, dtype=object),
        )

    def disruptions(self, threshold: float = 0.01) -> Disruptions | None:
        """Short deliveries of every supplier pooled as one :class:`~hybridinv.demand.leadtime.Disruptions`
        model (:meth:`supplier_disruptions` fits one per supplier, which the twin's scenario uses).

        Each order is delivered short with the receipt-weighted share ``s`` of short
        receipts, independently from period to period (a disruption starts with
        probability ``s`` and lasts ``1 / (1 - s)`` periods on average, so the chain's
        disrupted share is ``s``; a mean duration of 1 gave ``s / (1 + s)``: 23% short
        orders for 30% short receipts), at a delivered fraction spanning the observed
        short fractions; ``None`` when fewer than ``threshold`` of receipts were short.
        """
        return _short_deliveries(self, np.ones(self.sku.size, dtype=bool), threshold)

    def supplier_disruptions(self, supplier: ArrayLike | None = None, threshold: float = 0.01) -> dict[
            str, Disruptions]:
        """Short deliveries per supplier: ``{supplier: Disruptions}`` as :meth:`disruptions` fits them, over the
        receipts of that supplier's SKUs only (share ``s`` of its short receipts, delivered fraction spanning its
        SKUs' mean short fractions).

        ``supplier`` names each SKU's supplier (aligned with ``sku``; default: the logged one, ``"default"``
        where the log names none), e.g. the scenario catalog's column. A supplier with fewer than ``threshold``
        of its receipts short, or without receipts, is left out: it gets no disruptions.
        """
        names = self.supplier if supplier is None else np.asarray(supplier, dtype=object)
        if names.shape != self.sku.shape:
            raise PlanningError(f"expected one supplier per SKU ({self.sku.size}), got shape {names.shape}",
                                column="supplier")
        names = names.astype(str)
        fitted: dict[str, Disruptions] = {}
        for name in sorted(set(names.tolist())):
            model = _short_deliveries(self, names == name, threshold)
            if model is not None:
                fitted[name] = model
        return fitted

    def to_frame(self) -> pd.DataFrame:
        """One row per SKU."""
        return pd.DataFrame({name: getattr(self, name) for name in self.__dataclass_fields__})


def _short_deliveries(fit: SupplyFit, member: NDArray[np.bool_], threshold: float) -> Disruptions | None:
    """The :meth:`SupplyFit.disruptions` model of the receipts of the SKUs ``member`` selects."""
    receipts, short_share = fit.receipts[member], fit.short_share[member]
    total = receipts.sum()
    if total == 0:
        return None
    share = float((short_share * receipts).sum() / total)
    if share < threshold:
        return None
    shorted = fit.short_fraction[member][short_share > 0]
    low = float(np.clip(shorted.min(), 0.0, 1.0))
    high = float(np.clip(shorted.max(), low, 1.0))
    duration = 1.0 / max(1.0 - share, 1e-9)  # stays disrupted with probability share (every receipt short: ~always)
    return Disruptions(probability=share, mean_duration=duration, extra_delay=0, fill_fraction=(low, high))


def fit_supply(receipts: pd.DataFrame, period_days: float = 7.0, extra_columns: ExtraColumns = "error") -> SupplyFit:
    """Fit lead times and supplier reliability per SKU.

    Parameters
    ----------
    receipts : pandas.DataFrame
        One row per order with :data:`RECEIPT_COLUMNS` (dates as anything
        :func:`pandas.to_datetime` reads; optional ``supplier``). Orders not yet
        received (empty ``arrival_date``) are skipped.
    period_days : float
        Length of the planning period in days (1, 7, or ~30.44 for months).

    Returns
    -------
    SupplyFit

    Raises
    ------
    PlanningError
        For a missing or repeated column, a ``period_days`` that is not > 0, an empty SKU,
        unreadable dates or dates written as numbers, an arrived receipt without its order or
        promised date or its received quantity, quantities that are not numbers (booleans
        included), infinite, ordered <= 0 or received < 0, arrivals before the order, a promise
        before the order, or more received than ordered.

    Warns
    -----
    PlanningWarning
        When a SKU's receipts name more than one supplier (they are fitted together).
    """
    df = require_frame(receipts, _TABLE)
    check_columns(df, (*RECEIPT_COLUMNS, "supplier"), _TABLE, extra_columns)  # a misspelled 'suplier' was dropped
    require_columns(df, RECEIPT_COLUMNS, _TABLE)
    period_days = number_in(period_days, "period_days", 0.0, np.inf, open_low=True)
    skus = sku_column(df, _TABLE, unique=False)  # a NaN SKU was dropped without a word, "" became a SKU
    date_names = ("order_date", "promised_date", "arrival_date")
    for column in date_names:
        if pd.api.types.is_numeric_dtype(df[column]) and df[column].notna().any():  # read as nanoseconds
            raise PlanningError("dates must be dates or date text (such as 2024-01-31), not numbers",
                                column=column, sku=skus[0], value=df[column].iloc[0])
    # one day/month order for the file: 01/02/1998 day first was read as January 2, and a column whose
    # second field never changed was read month first beside one read day first
    dates = date_columns({column: df[column] for column in date_names})
    received = dates["arrival_date"].notna().to_numpy()
    for column in ("order_date", "promised_date"):  # an empty one dropped the lead time or counted as on time
        undated = received & dates[column].isna().to_numpy()
        if undated.any():
            bad = int(np.flatnonzero(undated)[0])
            raise PlanningError(f"an arrived receipt needs its {column}", column=column, sku=skus[bad])
    ordered = numeric_column(df, "quantity_ordered", skus, _TABLE, strict=True, maximum=MAX_QUANTITY)
    got = numeric_column(df, "quantity_received", skus, _TABLE, blank=np.nan, maximum=MAX_QUANTITY)
    missing = np.isnan(got) & received  # an arrived receipt needs its quantity (an open one may leave it empty)
    if missing.any():
        bad = int(np.flatnonzero(missing)[0])
        raise PlanningError("an arrived receipt needs quantity_received (a number)", column="quantity_received",
                            sku=skus[bad], value=df["quantity_received"].iloc[bad])
    got = np.nan_to_num(got, nan=0.0)
    if (got > ordered).any():
        bad = int(np.flatnonzero(got > ordered)[0])
        raise PlanningError(f"more received than ordered ({ordered[bad]:g}); log an "
                            "over-delivery as received = ordered", column="quantity_received",
                            sku=skus[bad], value=df["quantity_received"].iloc[bad])
    days = (dates["arrival_date"] - dates["order_date"]).dt.total_seconds().to_numpy() / 86400.0
    if (days[received] < 0).any():
        bad = int(np.flatnonzero(received & (days < 0))[0])
        raise PlanningError("arrival before the order date", column="arrival_date", sku=skus[bad])
    promised_early = (dates["promised_date"].dt.normalize() < dates["order_date"].dt.normalize()).to_numpy()
    if promised_early.any():  # it was counted late, whenever the order came
        bad = int(np.flatnonzero(promised_early)[0])
        raise PlanningError("promised before the order date", column="promised_date", sku=skus[bad],
                            value=str(dates["promised_date"].iloc[bad].date()))
    # on or before the promised *day*: an arrival at 15:00 on the promised date was counted late
    late = (dates["arrival_date"].dt.normalize() > dates["promised_date"].dt.normalize()).to_numpy()
    fraction = np.minimum(got / ordered, 1.0)
    frame = pd.DataFrame({
        "sku": skus,
        "days": days,
        "on_time": ~late,
        "ordered": ordered,
        "received": got,
        "short": fraction < 1.0,
        "short_fraction": np.where(fraction < 1.0, fraction, np.nan),
        "supplier": _suppliers(df),
    })[received]
    grouped = frame.groupby("sku", sort=True)
    stats = grouped.agg(
        lead_days_mean=("days", "mean"),
        lead_days_std=("days", "std"),
        on_time_rate=("on_time", "mean"),
        ordered=("ordered", "sum"),
        received=("received", "sum"),
        short_share=("short", "mean"),
        short_fraction=("short_fraction", "mean"),
        receipts=("days", "size"),
        supplier=("supplier", lambda s: s.mode().iloc[0]),
        suppliers=("supplier", "nunique"),
    )
    pooled = stats[stats["suppliers"] > 1]
    if len(pooled):  # their lead times and short deliveries were pooled, and the catalog kept one, without a word
        first = str(pooled.index[0])
        counts = frame[frame["sku"] == first]["supplier"].value_counts()
        named = ", ".join(f"{name} {count}" for name, count in counts.items())
        warnings.warn(PlanningWarning(
            f"{len(pooled)} SKU(s) have receipts from more than one supplier (first {first!r}: {named}); their lead "
            "times and short deliveries are fitted over every supplier together, and the catalog names the supplier "
            "of most receipts (ties: the first by name)"), stacklevel=3)
    # in days, divided once: days / period_days averaged put 17.5 days a hair under 2.5 weeks, which rounded to 2
    stats["lead_time_mean"] = stats["lead_days_mean"] / period_days
    stats["lead_time_std"] = stats["lead_days_std"] / period_days
    return SupplyFit(
        sku=stats.index.to_numpy(dtype=object),
        lead_time_mean=stats["lead_time_mean"].to_numpy(dtype=np.float64),
        lead_time_std=stats["lead_time_std"].fillna(0.0).to_numpy(dtype=np.float64),
        on_time_rate=stats["on_time_rate"].to_numpy(dtype=np.float64),
        fill_rate=(stats["received"] / stats["ordered"]).to_numpy(dtype=np.float64),
        short_share=stats["short_share"].to_numpy(dtype=np.float64),
        short_fraction=stats["short_fraction"].fillna(1.0).to_numpy(dtype=np.float64),
        receipts=stats["receipts"].to_numpy(dtype=np.float64),
        supplier=stats["supplier"].to_numpy(dtype=object),
    )


def _suppliers(df: pd.DataFrame) -> NDArray[np.object_] | str:
    """The ``supplier`` column as text, ``"default"`` where it is empty (or absent); a SKU whose
    receipts all had an empty supplier failed with an IndexError."""
    if "supplier" not in df.columns:
        return "default"
    text = df["supplier"].astype(str).str.strip()
    return np.where(df["supplier"].isna() | (text == ""), "default", text).astype(object)
