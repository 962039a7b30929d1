"""Inventory state of all SKUs at the start of a period (before ordering)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import (
    ExtraColumns,
    check_array,
    check_columns,
    numeric_column,
    require_columns,
    require_frame,
    sku_codes,
    sku_column,
)
from hybridinv.core.catalog import Catalog, near_sku
from hybridinv.core.errors import PlanningError, number_array
from hybridinv.core.limits import MAX_LEAD_TIME, MAX_QUANTITY

__all__ = ["InventoryState"]

_TABLE = "state"
_PIPELINE_COLUMN = re.compile(r"^pipeline_(0|[1-9]\d*)$")  # canonical only: pipeline_00 would shadow pipeline_0
_STATE_COLUMNS = ("sku", "on_hand", "backorders")
_OPEN_ORDER_COLUMNS = ("sku", "arrives_in", "quantity")
#: Synonyms users write for the open-order columns (named in the "did you mean" hint).
_PIPELINE_HINTS = {
    name: "pipeline_<k>"
    for name in ("in_transit", "intransit", "on_order", "onorder", "open_orders", "pipeline", "incoming", "inbound")
}


@dataclass(frozen=True, eq=False)
class InventoryState:
    """On-hand stock, backorders and open orders per SKU.

    Parameters
    ----------
    sku : array of str
        SKU identifiers.
    on_hand : array of float
        Usable units in stock now, finite, >= 0 and at most ``MAX_QUANTITY`` (1e12).
    backorders : array of float, optional
        Units owed to customers (backorder scenarios), as ``on_hand``.
    pipeline : array of float, shape (n_skus, W), optional
        Open orders: ``pipeline[i, k]`` units of SKU i arrive ``k`` periods from now.
        ``k = 0`` arrives this period before demand is served.

    Raises
    ------
    PlanningError
        Naming the column and the SKU: a value that is negative, NaN, infinite or above
        ``MAX_QUANTITY``; booleans, text and dates (until 2026-12-06 converted: ``True`` was 1
        unit, ``"3"`` 3 units, a date its days since 1970); a length that is not one per SKU; a
        pipeline without a column; a SKU listed twice.

    Notes
    -----
    Built directly, quantities may be fractional (goods counted in kilograms or litres):
    the simulator serves such stock to a relative ``hybridinv.sim.simulator.ROUNDING``
    (docs/simulator.md, "Fractional units"). :meth:`from_frame`, the planner's table
    reader, requires whole numbers.

    From a frame, open orders come either as wide columns ``pipeline_0``,
    ``pipeline_1``, ... on the state frame or as a long ``open_orders`` frame
    with columns ``sku``, ``arrives_in`` and ``quantity`` (rows for the same SKU
    and arrival are added up).

    Examples
    --------
    >>> state = InventoryState(["flour"], on_hand=[2.5], pipeline=[[0.0, 0.25]])
    >>> state.on_hand.tolist(), state.pipeline.tolist()
    ([2.5], [[0.0, 0.25]])
    """

    sku: NDArray[np.object_]
    on_hand: NDArray[np.float64]
    backorders: NDArray[np.float64] | None = None
    pipeline: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        sku = np.array([str(s) for s in np.asarray(self.sku, dtype=object).reshape(-1)], dtype=object)
        n = sku.size
        uniq, counts = np.unique(sku.astype(str), return_counts=True)
        if (counts > 1).any():
            raise PlanningError("state lists SKU more than once", column="sku", sku=str(uniq[counts > 1][0]))
        # lengths first: one backorder value was applied to every SKU, and a value past the SKUs named none
        # number_array first: np.asarray(float) read True as 1 unit, "3" as 3 and a date as its days since 1970
        on_hand = number_array(self.on_hand, "on_hand").reshape(-1)
        if on_hand.shape != (n,):
            raise PlanningError(f"on_hand has {on_hand.size} values for {n} SKUs", column="on_hand")
        on_hand = check_array(on_hand, "on_hand", sku, _TABLE, maximum=MAX_QUANTITY)
        back = np.zeros(n) if self.backorders is None else number_array(self.backorders, "backorders").reshape(-1)
        if back.shape != (n,):
            raise PlanningError(f"backorders has {back.size} values for {n} SKUs", column="backorders")
        back = check_array(back, "backorders", sku, _TABLE, maximum=MAX_QUANTITY)
        pipe = np.zeros((n, 1)) if self.pipeline is None else number_array(self.pipeline, "pipeline")
        if pipe.ndim == 1 and n and pipe.size % n == 0:
            pipe = pipe.reshape(n, -1)
        # 3 values for 2 SKUs was numpy's reshape error, 3-D accepted; no column (pipeline=[]) an IndexError later
        if pipe.ndim != 2 or pipe.shape[0] != n or pipe.shape[1] == 0:
            raise PlanningError(f"pipeline has shape {pipe.shape}; it needs one row per SKU ({n}) and one column per "
                                "period of arrival", column="pipeline")
        _check_slot(pipe.shape[1] - 1, f"pipeline_{pipe.shape[1] - 1}")
        bad = ~np.isfinite(pipe) | (pipe < 0) | (pipe > MAX_QUANTITY)
        if bad.any():  # one check of the whole matrix; the message names the first bad cell's column
            k = int(np.flatnonzero(bad.any(axis=0))[0])
            check_array(pipe[:, k], f"pipeline_{k}", sku, _TABLE, maximum=MAX_QUANTITY)
        for name, arr in (("sku", sku), ("on_hand", on_hand), ("backorders", back), ("pipeline", pipe)):
            arr = np.array(arr, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @classmethod
    def _trusted(
        cls,
        sku: NDArray[np.object_],
        on_hand: NDArray[np.float64],
        backorders: NDArray[np.float64],
        pipeline: NDArray[np.float64],
    ) -> InventoryState:
        """A state from arrays that are valid already, without checking them again.

        For library code only, deriving a state from validated data: a state reordered
        to a catalog (:meth:`aligned`), read from a frame whose columns were checked
        (:meth:`from_frame`), or the simulator's and an observation's current state (the
        simulator keeps stock, backorders and open orders finite and >= 0). ``sku`` must be
        unique str, ``on_hand``/``backorders`` of shape (n,), ``pipeline`` of shape (n, W).
        The arrays are not copied: read-only arrays are stored as they are, writable ones as
        read-only views.
        """
        state = object.__new__(cls)
        for name, arr in (("sku", sku), ("on_hand", on_hand), ("backorders", backorders), ("pipeline", pipeline)):
            view = np.asarray(arr)
            if view.flags.writeable:
                view = view.view()
                view.setflags(write=False)
            object.__setattr__(state, name, view)
        return state

    # ------------------------------------------------------------------ pandas edge
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        catalog: Catalog | None = None,
        open_orders: pd.DataFrame | None = None,
        *,
        extra_columns: ExtraColumns = "error",
    ) -> InventoryState:
        """Build a state from a frame with columns ``sku``, ``on_hand`` (optionally
        ``backorders`` and ``pipeline_<k>``), and an optional long ``open_orders`` frame.

        With a ``catalog`` the state is checked against it and returned in catalog
        order; every catalog SKU must appear and no other SKU may. Other columns
        are an error (a misspelled ``pipeline1`` or ``in_transit`` would otherwise
        drop the stock in transit) unless ``extra_columns`` allows them
        (``"ignore"``, or a list of names); the same applies to ``open_orders``.
        Pipeline slots beyond :data:`~hybridinv.core.limits.MAX_LEAD_TIME` are refused.
        """
        df = require_frame(df, _TABLE)
        slots = [f"pipeline_{k}" for k in range(4)]
        check_columns(
            df,
            _STATE_COLUMNS,
            _TABLE,
            extra_columns,
            pattern=_PIPELINE_COLUMN,
            pattern_label="pipeline_<k>",
            suggestions=slots,
            hints=_PIPELINE_HINTS,
        )
        _, skus = sku_codes(df, _TABLE, known=None if catalog is None else catalog.sku)  # unique
        require_columns(df, ["on_hand"], _TABLE)
        on_hand = numeric_column(df, "on_hand", skus, _TABLE, integer=True, maximum=MAX_QUANTITY)
        back = numeric_column(df, "backorders", skus, _TABLE, default=0.0, integer=True, maximum=MAX_QUANTITY)
        wide = sorted((int(m.group(1)), c) for c in df.columns if (m := _PIPELINE_COLUMN.match(str(c))) is not None)
        for k, col in wide:
            _check_slot(k, col)
        width = (max(k for k, _ in wide) + 1) if wide else 1
        pipe = np.zeros((len(skus), width))
        for k, col in wide:
            pipe[:, k] = numeric_column(df, col, skus, _TABLE, integer=True, maximum=MAX_QUANTITY)
        state = cls._trusted(skus, on_hand, back, pipe)  # every column was checked above
        if open_orders is not None:
            state = state.with_open_orders(open_orders, extra_columns=extra_columns)
        return state.aligned(catalog) if catalog is not None else state

    def with_open_orders(self, open_orders: pd.DataFrame, *, extra_columns: ExtraColumns = "error") -> InventoryState:
        """Add a long frame of open orders (``sku``, ``arrives_in``, ``quantity``).

        ``arrives_in`` is at most :data:`~hybridinv.core.limits.MAX_LEAD_TIME`; other
        columns are an error unless ``extra_columns`` allows them.
        """
        table = "open_orders"
        oo = require_frame(open_orders, table)
        check_columns(oo, _OPEN_ORDER_COLUMNS, table, extra_columns)
        require_columns(oo, ["sku", "arrives_in", "quantity"], table)
        skus = sku_column(oo, table, unique=False)
        arrives = numeric_column(oo, "arrives_in", skus, table, integer=True, maximum=MAX_LEAD_TIME)
        qty = numeric_column(oo, "quantity", skus, table, integer=True, maximum=MAX_QUANTITY)
        rows = np.asarray(pd.Index(self.sku.astype(str)).get_indexer(skus.astype(str)), dtype=np.int64)
        if (rows < 0).any():
            sku = skus[int(np.flatnonzero(rows < 0)[0])]
            raise PlanningError(f"open order for a SKU that is not in the state{near_sku(str(sku), self.sku, 'state')}",
                                column="sku", sku=sku)
        current = self.pipeline
        assert current is not None  # always set by __post_init__
        width = max(current.shape[1], int(arrives.max()) + 1 if arrives.size else 1)
        pipe = np.zeros((len(self.sku), width))
        pipe[:, : current.shape[1]] = current
        np.add.at(pipe, (rows, arrives.astype(np.int64)), qty)
        return InventoryState(self.sku, self.on_hand, self.backorders, pipe)

    def to_frame(self) -> pd.DataFrame:
        """The state as a frame with ``sku``, ``on_hand``, ``backorders`` and ``pipeline_<k>``."""
        data: dict[str, ArrayLike] = {
            "sku": self.sku,
            "on_hand": self.on_hand,
            "backorders": self.backorders,  # type: ignore[dict-item]
        }
        for k in range(self.pipeline.shape[1]):  # type: ignore[union-attr]
            data[f"pipeline_{k}"] = self.pipeline[:, k]  # type: ignore[index]
        return pd.DataFrame(data)

    # ------------------------------------------------------------------ helpers
    def aligned(self, catalog: Catalog) -> InventoryState:
        """The state reordered to the catalog's SKU order, checking both SKU sets."""
        pos = catalog.positions(self.sku, _TABLE)
        if pos.size != catalog.n_skus:
            missing = sorted(set(catalog.sku) - set(self.sku))
            raise PlanningError("state has no row for a catalog SKU", column="sku", sku=missing[0])
        back, pipe = self.backorders, self.pipeline
        assert back is not None and pipe is not None  # always set by __post_init__
        if np.array_equal(pos, np.arange(pos.size)):
            return self if self.sku is catalog.sku else InventoryState._trusted(catalog.sku, self.on_hand, back, pipe)
        order = np.empty_like(pos)
        order[pos] = np.arange(pos.size)
        return InventoryState._trusted(catalog.sku, self.on_hand[order], back[order], pipe[order])

    @classmethod
    def empty(cls, catalog: Catalog, on_hand: ArrayLike = 0.0, width: int = 1) -> InventoryState:
        """A state with the given on-hand stock and no open orders, in catalog order."""
        n = catalog.n_skus
        oh = np.broadcast_to(np.asarray(on_hand, dtype=np.float64), (n,)).copy()
        return cls(catalog.sku, oh, np.zeros(n), np.zeros((n, max(width, 1))))

    @property
    def inventory_position(self) -> NDArray[np.float64]:
        """On-hand plus all open orders minus backorders."""
        return self.on_hand + self.pipeline.sum(axis=1) - self.backorders  # type: ignore[union-attr,operator]

    def __len__(self) -> int:
        return int(self.sku.size)


def _check_slot(k: int, column: str) -> None:
    """Refuse a pipeline slot beyond :data:`MAX_LEAD_TIME` before anything is allocated for it."""
    if k > MAX_LEAD_TIME:
        raise PlanningError(
            f"state: open orders can arrive at most {MAX_LEAD_TIME} periods ahead (MAX_LEAD_TIME)",
            column=column,
            value=k,
        )
