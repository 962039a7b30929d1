"""The SKU catalog: costs, volumes, lead times and ordering rules per SKU."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import (
    COST_LIMIT_NAME,
    VOLUME_LIMIT_NAME,
    ExtraColumns,
    check_array,
    check_columns,
    number_variant,
    numeric_column,
    require_frame,
    sku_codes,
    text_variant,
)
from hybridinv.core.errors import PlanningError, number_array
from hybridinv.core.flags import text_full
from hybridinv.core.limits import MAX_COST, MAX_LEAD_TIME, MAX_QUANTITY, MAX_SHELF_LIFE, MAX_VOLUME

__all__ = ["Catalog", "CATALOG_REQUIRED", "CATALOG_OPTIONAL"]

#: Columns a catalog frame must have.
CATALOG_REQUIRED: tuple[str, ...] = ("sku", "unit_cost", "holding_cost", "shortage_cost", "lead_time")
#: Optional columns and the value used when the column is absent.
CATALOG_OPTIONAL: dict[str, object] = {
    "order_cost": 0.0,
    "volume": 1.0,
    "moq": 0.0,
    "lot_size": 1.0,
    "max_order": np.inf,
    "lead_time_std": 0.0,
    "shelf_life": 0,
    "supplier": "default",
    "demand_mean": np.nan,
    "demand_std": np.nan,
    "price": np.nan,
}

_TABLE = "catalog"

#: Common other names of the catalog's rule and cost columns (compared without case, spaces, dashes or
#: underscores). With other columns ignored (``extra_columns="ignore"``) such a column is refused when the catalog
#: lacks the column it names: ``min_order_qty`` instead of ``moq`` planned without the MOQ, without a word.
CATALOG_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("min_order_qty", "min_order_quantity", "minimum_order_qty", "minimum_order_quantity",
                     "min_order", "minimum_order", "moq_units", "moq_qty", "min_qty"), "moq"),
    **dict.fromkeys(("max_order_qty", "max_order_quantity", "maximum_order", "maximum_order_qty",
                     "maximum_order_quantity", "max_qty"), "max_order"),
    **dict.fromkeys(("lot", "lot_qty", "lot_quantity", "pack_size", "case_size", "case_pack", "order_multiple"),
                    "lot_size"),
    **dict.fromkeys(("lead_time_periods", "lead_time_weeks", "lead_time_days", "lt"), "lead_time"),
    **dict.fromkeys(("ordering_cost", "fixed_order_cost", "setup_cost"), "order_cost"),
    **dict.fromkeys(("unit_volume", "volume_per_unit"), "volume"),
}


def _float(values: ArrayLike, n: int, default: float, owned: bool = False, name: str = "value") -> NDArray[np.float64]:
    """A float copy of ``values`` (``default`` when None); ``owned``: the catalog's own float arrays, not copied.

    Values given to the constructor pass :func:`~hybridinv.core.errors.number_array`: booleans and text are refused
    naming the field (``shelf_life=[True]`` was a shelf life of 1, ``unit_cost=True`` a cost of 1), as
    :meth:`Catalog.from_frame` refuses them in every numeric column.
    """
    if values is None:
        return np.full(n, default, dtype=np.float64)
    arr = np.asarray(values, dtype=np.float64) if owned else number_array(values, name)
    return np.broadcast_to(arr, (n,)).copy() if arr.ndim == 0 else arr.astype(np.float64, copy=not owned)


@dataclass(frozen=True, eq=False)
class Catalog:
    """Per-SKU data, one entry per SKU, numpy arrays aligned by position.

    Parameters
    ----------
    sku : array of str
        Unique SKU identifiers.
    unit_cost : array of float
        Purchase cost per unit ``[c]``; counts against the purchase budget.
    holding_cost : array of float
        Cost per unit of end-of-period on-hand stock per period ``[h]``.
    shortage_cost : array of float
        Cost per unit of unmet demand (lost sale) or per unit backordered per period ``[p]``.
    lead_time : array of int
        Planned lead time ``[L]``: an order placed in period t is usable in period t+L.
    order_cost : array of float
        Fixed cost per order placed ``[K]``.
    volume : array of float
        Warehouse space per unit; the capacity constraint is on total volume.
    moq : array of float
        Minimum order quantity: an order is 0 or at least ``moq`` (0 = no minimum).
    lot_size : array of float
        Orders are whole multiples of ``lot_size`` (>= 1). ``moq`` must be a multiple of it.
    max_order : array of float
        Largest single order (``inf`` = unlimited).
    lead_time_std : array of float
        Standard deviation of the lead time in periods (0 = deterministic).
    shelf_life : array of int
        Periods a unit stays usable after receipt (0 = not perishable).
    supplier : array of str
        Supplier of each SKU (for per-supplier capacity and disruptions).
    demand_mean, demand_std : array of float
        Demand statistics per period used when no forecast is given (NaN = unknown).
    price : array of float
        Selling price per unit, for profit-based rewards (NaN = unknown).
    """

    sku: NDArray[np.object_]
    unit_cost: NDArray[np.float64]
    holding_cost: NDArray[np.float64]
    shortage_cost: NDArray[np.float64]
    lead_time: NDArray[np.int64]
    order_cost: NDArray[np.float64] = field(default=None)  # type: ignore[assignment,arg-type]
    volume: NDArray[np.float64] = field(default=None)  # type: ignore[assignment,arg-type]
    moq: NDArray[np.float64] = field(default=None)  # type: ignore[assignment,arg-type]
    lot_size: NDArray[np.float64] = field(default=None)  # type: ignore[assignment,arg-type]
    max_order: NDArray[np.float64] = field(default=None)  # type: ignore[assignment,arg-type]
    lead_time_std: NDArray[np.float64] = field(default=None)  # type: ignore[assignment,arg-type]
    shelf_life: NDArray[np.int64] = field(default=None)  # type: ignore[assignment,arg-type]
    supplier: NDArray[np.object_] = field(default=None)  # type: ignore[assignment,arg-type]
    demand_mean: NDArray[np.float64] = field(default=None)  # type: ignore[assignment,arg-type]
    demand_std: NDArray[np.float64] = field(default=None)  # type: ignore[assignment,arg-type]
    price: NDArray[np.float64] = field(default=None)  # type: ignore[assignment,arg-type]

    def __post_init__(self) -> None:
        self._finish(checked_text=False)

    def _finish(self, checked_text: bool) -> None:
        """Convert and validate the fields; ``checked_text``: ``sku`` (unique) and ``supplier`` are str already,
        and the numeric fields are arrays the catalog owns (read from a frame: no caller holds them)."""
        if checked_text:
            sku = self.sku
        else:
            sku = np.asarray(self.sku, dtype=object).reshape(-1)
            sku = np.array([str(s) for s in sku], dtype=object)
        n = sku.size
        if n == 0:
            raise PlanningError("catalog has no SKUs", column="sku")
        if not checked_text:
            sku_codes(pd.DataFrame({"sku": sku}, copy=False), _TABLE)  # raises naming a duplicate
        object.__setattr__(self, "sku", sku)
        for f in fields(self):
            if f.name in ("sku", "supplier"):
                continue
            default = CATALOG_OPTIONAL.get(f.name, np.nan)
            arr = _float(getattr(self, f.name), n, float(default), owned=checked_text,  # type: ignore[arg-type]
                         name=f.name)
            if arr.shape != (n,):
                raise PlanningError(f"catalog field has shape {arr.shape}, expected ({n},)", column=f.name)
            object.__setattr__(self, f.name, arr)
        supplier = self.supplier
        if supplier is None:
            supplier = text_full(n, "default")
        supplier = np.asarray(supplier, dtype=object)
        supplier = np.broadcast_to(supplier, (n,)).copy() if supplier.ndim == 0 else supplier
        if supplier.shape != (n,):  # 7 names for 6 SKUs failed later, in plan() or to_frame()
            raise PlanningError(f"supplier has shape {supplier.shape}, expected ({n},)", column="supplier")
        if not checked_text:
            supplier = np.array([str(s) for s in supplier], dtype=object)
        object.__setattr__(self, "supplier", supplier)
        self._validate()
        object.__setattr__(self, "lead_time", self.lead_time.astype(np.int64))
        object.__setattr__(self, "shelf_life", self.shelf_life.astype(np.int64))
        for f in fields(self):
            arr = getattr(self, f.name)
            arr.setflags(write=False)

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        sku = self.sku
        for name in ("unit_cost", "holding_cost", "shortage_cost", "order_cost"):
            check_array(
                getattr(self, name), name, sku, _TABLE, minimum=0.0, maximum=MAX_COST, maximum_name=COST_LIMIT_NAME
            )
        check_array(self.lead_time_std, "lead_time_std", sku, _TABLE, minimum=0.0, maximum=MAX_LEAD_TIME)
        # 1.7e308 overflowed the capacity rows to inf and NaN: the plan reported no violation
        check_array(self.volume, "volume", sku, _TABLE, minimum=0.0, maximum=MAX_VOLUME, maximum_name=VOLUME_LIMIT_NAME)
        # whole-number columns keep the rounded values: a lot size of 6.000000000001 passes the 1e-9 check, and
        # kept as given its lots were never whole units (the repair's own check then failed)
        whole = {
            "lead_time": check_array(self.lead_time, "lead_time", sku, _TABLE, minimum=0.0, integer=True,
                                     maximum=MAX_LEAD_TIME),
            "shelf_life": check_array(self.shelf_life, "shelf_life", sku, _TABLE, minimum=0.0, integer=True,
                                      maximum=MAX_SHELF_LIFE),
            "lot_size": check_array(self.lot_size, "lot_size", sku, _TABLE, minimum=1.0, integer=True,
                                    maximum=MAX_QUANTITY),
            "moq": check_array(self.moq, "moq", sku, _TABLE, minimum=0.0, integer=True, maximum=MAX_QUANTITY),
            "max_order": check_array(self.max_order, "max_order", sku, _TABLE, minimum=0.0, allow_inf=True,
                                     integer=True, maximum=MAX_QUANTITY),
        }
        for name, values in whole.items():
            object.__setattr__(self, name, np.asarray(values, dtype=np.float64))
        for name in ("demand_mean", "demand_std", "price"):
            arr = getattr(self, name)
            known = ~np.isnan(arr)
            limit, limit_name = (MAX_COST, COST_LIMIT_NAME) if name == "price" else (MAX_QUANTITY, None)
            if known.all():  # the usual full column: no copies of it and of the SKUs
                check_array(arr, name, sku, _TABLE, minimum=0.0, maximum=limit, maximum_name=limit_name)
            elif known.any():
                check_array(arr[known], name, sku[known], _TABLE, minimum=0.0, maximum=limit, maximum_name=limit_name)
        # whole numbers below 2**53: moq / lot_size is a whole number exactly when moq is a multiple (np.mod is slow)
        ratio = self.moq / self.lot_size
        not_multiple = (self.moq > 0) & (ratio != np.floor(ratio))
        if not_multiple.any():
            i = int(np.flatnonzero(not_multiple)[0])
            raise PlanningError(
                f"moq must be a whole multiple of lot_size ({self.lot_size[i]:g})",
                column="moq",
                sku=sku[i],
                value=float(self.moq[i]),
            )
        too_small = self.max_order < np.maximum(self.moq, self.lot_size)
        if too_small.any():
            i = int(np.flatnonzero(too_small)[0])
            raise PlanningError(
                f"max_order must be at least moq ({self.moq[i]:g}) and lot_size ({self.lot_size[i]:g})",
                column="max_order",
                sku=sku[i],
                value=float(self.max_order[i]),
            )

    # ------------------------------------------------------------------ pandas edge
    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, extra_columns: ExtraColumns = "error") -> Catalog:
        """Build a catalog from a DataFrame with the columns in :data:`CATALOG_REQUIRED`.

        Optional columns (:data:`CATALOG_OPTIONAL`) take their defaults when absent;
        blank cells are accepted only in ``max_order`` (unlimited), ``shelf_life``
        (not perishable), ``lead_time_std`` (0), ``supplier``, ``demand_mean``,
        ``demand_std`` and ``price`` (unknown).

        Parameters
        ----------
        df : DataFrame
        extra_columns : "error", "ignore" or collection of str
            Columns other than the known ones are an error by default (a misspelled
            optional column, such as ``volumne`` or ``MOQ``, would otherwise silently
            take its default); ``"ignore"`` allows any, a list allows those named.

        Raises
        ------
        PlanningError
            Naming the column, SKU and value of the first problem found.
        """
        df = require_frame(df, _TABLE)
        check_columns(df, [*CATALOG_REQUIRED, *CATALOG_OPTIONAL], _TABLE, extra_columns, hints=CATALOG_SYNONYMS)
        _, skus = sku_codes(df, _TABLE)  # unique: the distinct SKUs are the rows
        kw: dict[str, Any] = {"sku": skus}
        for name in CATALOG_REQUIRED[1:]:
            kw[name] = numeric_column(df, name, skus, _TABLE, allow_inf=False)
        blanks = {"max_order": np.inf, "shelf_life": 0.0, "lead_time_std": 0.0}
        for name, default in CATALOG_OPTIONAL.items():
            if name == "supplier":
                continue
            if name in ("demand_mean", "demand_std", "price"):
                blank: float | None = np.nan
            else:
                blank = blanks.get(name)
            kw[name] = numeric_column(
                df,
                name,
                skus,
                _TABLE,
                default=float(default),  # type: ignore[arg-type]
                blank=blank,
                minimum=None,
                allow_inf=name == "max_order",
            )
        if "supplier" in df.columns:
            # a blank cell is the default supplier whether pandas read it as NaN or (CLI: key columns as text) ""
            kw["supplier"] = _supplier_column(df["supplier"])
        return cls._checked(kw)

    @classmethod
    def _checked(cls, values: dict[str, Any]) -> Catalog:
        """A catalog whose ``sku`` (unique) and ``supplier`` values are str already; the rest is validated."""
        catalog = object.__new__(cls)
        for f in fields(cls):
            object.__setattr__(catalog, f.name, values.get(f.name))
        catalog._finish(checked_text=True)
        return catalog

    def to_frame(self) -> pd.DataFrame:
        """Return the catalog as a DataFrame (one row per SKU, all columns)."""
        return pd.DataFrame({f.name: np.asarray(getattr(self, f.name)) for f in fields(self)})

    # ------------------------------------------------------------------ helpers
    def __len__(self) -> int:
        return int(self.sku.size)

    @property
    def n_skus(self) -> int:
        """Number of SKUs."""
        return int(self.sku.size)

    @property
    def perishable(self) -> NDArray[np.bool_]:
        """Mask of SKUs with a finite shelf life."""
        return self.shelf_life > 0

    @cached_property
    def holding_per_volume(self) -> float:
        """The median holding cost per unit of volume over the SKUs with a volume (0 when none has one).

        The scale of a relative space price (:func:`hybridinv.policies.forecast_ss.space_cost`),
        computed once per catalog (its arrays are read-only).
        """
        bulky = self.volume > 0
        return float(np.median(self.holding_cost[bulky] / self.volume[bulky])) if bulky.any() else 0.0

    @cached_property
    def _index(self) -> pd.Index:
        """The SKUs as a pandas index, built once per catalog (with its hash table) for :meth:`positions`."""
        return pd.Index(self.sku, dtype=object)

    def positions(self, skus: ArrayLike, table: str, column: str = "sku") -> NDArray[np.int64]:
        """Map SKU identifiers to catalog positions; raise on any SKU not in the catalog.

        SKUs listed in catalog order (the usual case) are recognized in one comparison
        pass; others are looked up in the catalog's hash table, built on first use.
        """
        if skus is self.sku:  # the catalog's own array (a frame read against it): nothing to compare
            return np.arange(self.sku.size, dtype=np.int64)
        names = np.asarray(skus, dtype=object).reshape(-1)
        if names.size and not _all_str(names):
            names = np.array([str(s) for s in names], dtype=object)
        if names.size == self.sku.size and _equal(names, self.sku):
            return np.arange(names.size, dtype=np.int64)
        out = np.asarray(self._index.get_indexer(names), dtype=np.int64)
        missing = out < 0
        if missing.any():
            sku = str(names[int(np.flatnonzero(missing)[0])])
            raise PlanningError(f"{table} names a SKU that is not in the catalog{near_sku(sku, self.sku)}",
                                column=column, sku=sku)
        return out

    def subset(self, index: ArrayLike) -> Catalog:
        """Catalog restricted to (and reordered by) the given positions."""
        idx = np.asarray(index)
        return Catalog(**{f.name: np.asarray(getattr(self, f.name))[idx] for f in fields(self)})

    def with_values(self, **changes: Any) -> Catalog:
        """A copy with some fields replaced (validated again)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise PlanningError(f"unknown catalog field(s) {sorted(unknown)}")
        return replace(self, **changes)


def near_sku(sku: str, known: Iterable[object], table: str = "catalog", column: str = "sku") -> str:
    """A hint naming the label of ``table`` that ``sku`` matches but for spaces or case, or as another number (``100``
    for ``00100``, ``100.0`` for ``100``), else "". ``column``: which labels (``sku``, or ``location`` for a network's
    location names).

    SKUs are compared as text, spaces included: ``"A1 "`` from a padded spreadsheet cell is not
    ``"A1"``, and the bare "not in the catalog" did not say which catalog SKU was meant.
    """
    labels = "SKUs" if column == "sku" else f"{column} names"
    match = text_variant(sku, known)
    if match is not None:  # location names are trimmed: only their case can differ
        kept = "spaces and case" if column == "sku" else "case"
        return f" (the {table} has {match!r}: {labels} are compared as text, {kept} included)"
    match = number_variant(sku, known)
    if match is not None:  # 100 for 00100, 100.0 for 100: a spreadsheet or a read without dtype=str
        return (f" (the {table} has {match!r}: {labels} are compared as text, so leading zeros and a decimal point "
                "count; keep the codes as text: a spreadsheet drops the leading zeros of a number column, pandas needs "
                f"dtype={{{column!r}: str}})")
    return ""


def _all_str(values: NDArray[np.object_]) -> bool:
    return bool(pd.api.types.infer_dtype(values, skipna=False) == "string")


def _equal(a: NDArray[np.object_], b: NDArray[np.object_]) -> bool:
    return bool(np.equal(a, b).all())


def _supplier_column(raw: pd.Series) -> NDArray[np.object_]:
    """The ``supplier`` column as str; a blank cell (NaN, None, "" or spaces) is the supplier ``"default"``.

    Text columns are factorized first, so each distinct supplier is converted and stripped
    once (a catalog of a million SKUs names a few hundred suppliers). Other columns (numbers,
    mixed types, where 1 and 1.0 hash alike but read as different text) go cell by cell, as
    ``str(value)``.
    """
    values = raw.to_numpy(dtype=object)
    if isinstance(raw.dtype, pd.StringDtype) or (
        raw.dtype.kind == "O" and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    ):
        codes, uniques = pd.factorize(values)  # missing cells get code -1: the appended "default"
        names = [str(u) for u in uniques]
        lookup = np.array([name if name.strip() else "default" for name in names] + ["default"], dtype=object)
        return lookup[codes]
    text = [str(v) for v in values]
    return np.array(["default" if gap or not t.strip() else t for gap, t in zip(pd.isna(values), text, strict=True)],
                    dtype=object)
