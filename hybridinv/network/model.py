"""A distribution network: locations in a tree fed by external suppliers.

Each location has a parent (another location, or ``-1``: an external supplier), an
integer lead time from that parent, and a storage capacity in volume units. Locations
without children are the **stores**: they face customer demand. The whole network
shares one purchase ``budget`` per period on supplier orders. Locations are kept in
topological order (every parent before its children), so arrays over locations can
be processed from the roots down.

The derived arrays the simulator and the policies use are computed once here:
``subtree`` (the subtree-incidence matrix, ``subtree[i, j] = 1`` when ``j`` is ``i`` or
below it), ``ship_from`` (which parent a shipment leaves), ``depth`` and
``cumulative_lead_time`` (the lead time from the supplier down to each location).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import ExtraColumns, check_columns, number_array, require_columns, require_frame
from hybridinv.core.errors import PlanningError, whole_number
from hybridinv.core.limits import MAX_LEAD_TIME

__all__ = ["LOCATION_COLUMNS", "LocationError", "Network"]

#: Columns of a ``locations`` table (``capacity`` is optional: blank or absent = no limit).
LOCATION_COLUMNS: tuple[str, ...] = ("location", "parent", "lead_time", "capacity")


class LocationError(PlanningError):
    """Invalid network input; the message names the column, the location and the value.

    ``.location`` holds the location's name (``.column``, ``.sku`` and ``.value`` as for
    every :class:`~hybridinv.PlanningError`).
    """

    def __init__(self, message: str, *, column: str | None = None, location: object = None,
                 sku: object = None, value: object = None) -> None:
        self.location = location
        text = message if location is None else f"location {location!r}: {message}"
        super().__init__(text, column=column, sku=sku, value=value)


@dataclass(frozen=True, eq=False)
class Network:
    """Locations in a tree, in topological order (parents before children).

    Parameters
    ----------
    names : sequence of str
        Unique location names.
    parent : array of int
        Index of each location's parent, ``-1`` for a location fed by an external
        supplier; ``parent[i] < i`` (topological order).
    lead_time : array of int
        Periods from the parent (or supplier) to the location: a shipment sent in
        period ``t`` is usable in period ``t + lead_time``.
    capacity : array of float
        Storage per location in volume units (``inf``: no limit); checked at receipt.
    budget : float
        Purchase budget per period on supplier orders, ``sum(unit_cost * order)``
        over all supplier-fed locations (``inf``: no limit).

    Raises
    ------
    LocationError
        Naming the column (``location``, ``parent``, ``lead_time``, ``capacity``,
        ``budget``), the location and the value.

    Examples
    --------
    >>> net = Network.one_warehouse(2, warehouse_lead_time=2, store_lead_times=1)
    >>> net.names, net.parent.tolist(), net.stores.tolist()
    (('warehouse', 'store_1', 'store_2'), [-1, 0, 0], [1, 2])
    """

    names: tuple[str, ...]
    parent: NDArray[np.int64]
    lead_time: NDArray[np.int64]
    capacity: NDArray[np.float64]
    budget: float = math.inf
    #: locations without children (they face customer demand), ascending
    stores: NDArray[np.int64] = field(init=False, repr=False)
    #: supplier-fed locations (``parent == -1``), ascending
    roots: NDArray[np.int64] = field(init=False, repr=False)
    #: locations fed by another location (the rows of a ``shipments`` decision), ascending
    non_roots: NDArray[np.int64] = field(init=False, repr=False)
    #: 0 at a root, parent's depth + 1 below
    depth: NDArray[np.int64] = field(init=False, repr=False)
    #: ``subtree[i, j] = 1.0`` when location ``j`` is ``i`` or a descendant of ``i``
    subtree: NDArray[np.float64] = field(init=False, repr=False)
    #: ``ship_from[p, k] = 1.0`` when ``non_roots[k]``'s parent is ``p``, shape (locations, non-roots)
    ship_from: NDArray[np.float64] = field(init=False, repr=False)
    #: lead time from the external supplier to each location (sum over the path)
    cumulative_lead_time: NDArray[np.int64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = tuple(str(name) for name in self.names)
        n = len(names)
        if n == 0:
            raise LocationError("network: no location (a network needs at least one store)", column="location")
        parent = _int_array(self.parent, n, "parent", names)
        lead = _int_array(self.lead_time, n, "lead_time", names)
        capacity = np.array(self.capacity, dtype=np.float64).reshape(-1)
        if capacity.size == 1 and n > 1:
            capacity = np.full(n, float(capacity[0]))
        _check_names(names)
        _check_length(capacity, n, "capacity")
        for i in range(n):
            if not -1 <= parent[i] < i:
                why = "parent must come before the location (topological order)" if 0 <= parent[i] < n \
                    else "parent index out of range"
                raise LocationError(f"network: {why}", column="parent", location=names[i], value=int(parent[i]))
            if not 0 <= lead[i] <= MAX_LEAD_TIME:
                raise LocationError(f"network: lead time must be a whole number from 0 to {MAX_LEAD_TIME}",
                                    column="lead_time", location=names[i], value=int(lead[i]))
            if not capacity[i] > 0:  # NaN fails too
                raise LocationError("network: capacity must be > 0 (use inf for no limit)", column="capacity",
                                    location=names[i], value=float(capacity[i]))
        if isinstance(self.budget, bool) or not isinstance(self.budget, int | float | np.number):  # "2" was read
            raise LocationError("network: budget must be a number > 0 (use inf for no limit)", column="budget",
                                value=self.budget)
        budget = float(self.budget)
        if not budget > 0:
            raise LocationError("network: budget must be > 0 (use inf for no limit)", column="budget", value=budget)
        subtree = np.eye(n)
        depth = np.zeros(n, dtype=np.int64)
        for i in range(n):  # parents come first, so each ancestor's row is complete when i is reached
            p = parent[i]
            if p >= 0:
                depth[i] = depth[p] + 1
                subtree[:, i] += subtree[:, p]  # i is below everything p is below (and below p itself)
        has_child = np.zeros(n, dtype=bool)
        has_child[parent[parent >= 0]] = True
        non_roots = np.flatnonzero(parent >= 0)
        ship_from = np.zeros((n, non_roots.size))
        ship_from[parent[non_roots], np.arange(non_roots.size)] = 1.0
        for name, value in (
            ("names", names), ("parent", parent), ("lead_time", lead), ("capacity", capacity), ("budget", budget),
            ("stores", np.flatnonzero(~has_child)), ("roots", np.flatnonzero(parent < 0)),
            ("non_roots", non_roots), ("depth", depth), ("subtree", subtree), ("ship_from", ship_from),
            ("cumulative_lead_time", (subtree.T @ lead).astype(np.int64)),
        ):
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ shape
    @property
    def n_locations(self) -> int:
        return len(self.names)

    @property
    def n_stores(self) -> int:
        return int(self.stores.size)

    @property
    def max_lead_time(self) -> int:
        return int(self.lead_time.max())

    @property
    def is_store(self) -> NDArray[np.bool_]:
        """Mask over locations: True at the stores."""
        mask = np.zeros(self.n_locations, dtype=bool)
        mask[self.stores] = True
        return mask

    def check_backorders(self, backorders: NDArray[np.float64], skus: Sequence[str] | NDArray[np.object_] | None = None,
                         table: str = "") -> None:
        """Raise a :class:`LocationError` naming the first location that owes backorders but is no store.

        Only stores face demand, so only they can owe it (one check for the state builders, the
        planning tables and the repair).
        """
        outside = (np.asarray(backorders) > 0) & ~self.is_store[:, None]
        if outside.any():
            i, j = (int(v[0]) for v in np.nonzero(outside))
            raise LocationError(f"{table + ': ' if table else ''}backorders are only possible at a store (this "
                                "location feeds others)", column="backorders", location=self.names[i],
                                sku=None if skus is None else str(skus[j]), value=float(backorders[i, j]))

    @property
    def is_serial(self) -> bool:
        """One supplier-fed location and every location with at most one child (a chain)."""
        return self.roots.size == 1 and self.n_stores == 1

    def index(self, name: str) -> int:
        """Position of the location called ``name``."""
        try:
            return self.names.index(str(name))
        except ValueError:
            raise LocationError("unknown location", column="location", location=name) from None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def serial(
        cls,
        n_stages: int,
        lead_times: ArrayLike,
        capacities: ArrayLike = math.inf,
        budget: float = math.inf,
    ) -> Network:
        """A chain of ``n_stages`` stages numbered as in the textbooks (Clark–Scarf).

        Stage ``N`` is fed by the supplier and feeds stage ``N - 1``, ..., stage 1 is the
        store. Locations are named ``stage_N``, ..., ``stage_1`` in that (topological)
        order, so location ``i`` is stage ``N - i``.

        Parameters
        ----------
        n_stages : int
        lead_times : int or sequence of int
            ``lead_times[k]`` is the lead time into stage ``k + 1`` (from stage ``k + 2``,
            or from the supplier for stage ``N``); one number for all stages.
        capacities : float or sequence of float
            Per stage, in the same stage order as ``lead_times``.
        budget : float
        """
        n = whole_number(n_stages, "n_stages", 1, error=LocationError)  # "2" or True were read
        names = tuple(f"stage_{n - i}" for i in range(n))
        lead = _int_array(_per_stage(lead_times, n, "lead_time")[::-1], n, "lead_time", names)
        capacity = _per_stage(capacities, n, "capacity")[::-1]
        return cls(names, np.arange(n) - 1, lead, capacity, budget)

    @classmethod
    def one_warehouse(
        cls,
        n_stores: int,
        warehouse_lead_time: int,
        store_lead_times: ArrayLike,
        warehouse_capacity: float = math.inf,
        store_capacity: ArrayLike = math.inf,
        budget: float = math.inf,
    ) -> Network:
        """One supplier-fed ``warehouse`` feeding ``store_1`` ... ``store_M``.

        ``store_lead_times`` and ``store_capacity`` are one number or one per store.
        """
        m = whole_number(n_stores, "n_stores", 1, error=LocationError)
        names = ("warehouse", *(f"store_{i + 1}" for i in range(m)))
        # the warehouse's values pass the stores' checks: "2" was 2 periods and True 1 (np.concatenate converted them)
        lead = _int_array(np.concatenate([_per_stage(warehouse_lead_time, 1, "warehouse_lead_time"),
                                          _per_stage(store_lead_times, m, "lead_time")]), m + 1, "lead_time", names)
        capacity = np.concatenate([_per_stage(warehouse_capacity, 1, "warehouse_capacity"),
                                   _per_stage(store_capacity, m, "capacity")])
        return cls(names, np.concatenate([[-1], np.zeros(m, dtype=np.int64)]), lead, capacity, budget)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, budget: float = math.inf, extra_columns: ExtraColumns = "error") -> Network:
        """Read a ``locations`` table: ``location``, ``parent``, ``lead_time``, optional ``capacity``.

        ``parent`` names another row's location; an empty cell means an external
        supplier. Rows may come in any order; the network keeps them in topological
        order (a table already in that order keeps its order). A blank or absent
        ``capacity`` means no limit.

        Raises
        ------
        LocationError
            Unknown columns, a missing required column, an empty or duplicate location
            name, an unknown parent, a cycle, a lead time that is not a whole number in
            0..520, a capacity <= 0, an empty table (no store).
        """
        df = require_frame(df, "locations")
        check_columns(df, LOCATION_COLUMNS, "locations", extra_columns)
        require_columns(df, LOCATION_COLUMNS[:3], "locations")
        if len(df) == 0:
            raise LocationError("locations: the table is empty (a network needs at least one store)",
                                column="location")
        names = [_label(v) for v in df["location"].tolist()]
        for raw, name in zip(df["location"].tolist(), names, strict=True):
            if name is None:
                raise LocationError("locations: location name is empty", column="location", value=raw)
        located: list[str] = [str(n) for n in names]
        _check_names(tuple(located))
        rows = {name: i for i, name in enumerate(located)}
        parents = [_label(v) for v in df["parent"].tolist()]
        parent_row = np.full(len(located), -1, dtype=np.int64)
        for i, p in enumerate(parents):
            if p is None:
                continue
            if p not in rows:
                raise LocationError("locations: unknown parent (not a location of the table)", column="parent",
                                    location=located[i], value=p)
            parent_row[i] = rows[p]
        lead = _number_column(df, "lead_time", located, integer=True)
        capacity = _number_column(df, "capacity", located, integer=False)
        order = _topological_order(parent_row, located)
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        parent = np.where(parent_row[order] >= 0, position[np.maximum(parent_row[order], 0)], -1)
        return cls(tuple(located[i] for i in order), parent, lead[order].astype(np.int64), capacity[order], budget)

    def to_frame(self) -> pd.DataFrame:
        """The ``locations`` table (``parent`` None for supplier-fed locations); ``from_frame`` reads it back."""
        return pd.DataFrame({
            "location": list(self.names),
            "parent": [self.names[p] if p >= 0 else None for p in self.parent],
            "lead_time": self.lead_time.copy(),
            "capacity": self.capacity.copy(),
        })


# ---------------------------------------------------------------------- helpers
def _label(value: object) -> str | None:
    """A cell as a location name: None for blank cells, ``'3'`` for 3 or 3.0 (pandas reads ``3`` as a float)."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = str(value.item() if isinstance(value, np.generic) else value).strip()
    return text or None


def _check_names(names: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for name in names:
        if not name:
            raise LocationError("location name is empty", column="location", value=name)
        if name in seen:
            raise LocationError("duplicate location name", column="location", location=name, value=name)
        seen.add(name)


def _check_length(values: NDArray[np.float64], n: int, column: str) -> None:
    if values.shape != (n,):
        raise LocationError(f"expected one value per location ({n}), got shape {values.shape}", column=column)


def _int_array(values: ArrayLike, n: int, column: str, names: Sequence[str]) -> NDArray[np.int64]:
    arr = np.array(values, dtype=np.float64).reshape(-1)
    _check_length(arr, n, column)
    bad = ~np.isfinite(arr) | (arr != np.round(arr))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LocationError("network: must be a whole number", column=column, location=names[i], value=float(arr[i]))
    return arr.astype(np.int64)


def _per_stage(values: ArrayLike, n: int, column: str) -> NDArray[np.float64]:
    arr = number_array(values, column).reshape(-1)  # "2" was 2 periods, True 1, "no" a bare ValueError
    if arr.size == 1:
        arr = np.full(n, float(arr[0]))
    _check_length(arr, n, column)
    return arr


def _number_column(df: pd.DataFrame, column: str, names: Sequence[str], *, integer: bool) -> NDArray[np.float64]:
    """``lead_time`` (required, whole, 0..520) or ``capacity`` (blank/absent = inf, > 0), checked per cell."""
    if column not in df.columns:
        return np.full(len(names), math.inf)
    out = np.empty(len(names))
    for i, raw in enumerate(df[column].tolist()):
        blank = raw is None or (isinstance(raw, float | np.floating) and math.isnan(raw)) or \
            (isinstance(raw, str) and not raw.strip())
        if blank and not integer:
            out[i] = math.inf
            continue
        if blank:
            raise LocationError("locations: lead time is empty", column=column, location=names[i], value=None)
        if isinstance(raw, bool | np.bool_) or not isinstance(raw, int | float | str | np.number):
            raise LocationError("locations: value is not a number", column=column, location=names[i], value=raw)
        try:
            value = float(raw)
        except ValueError:
            raise LocationError("locations: value is not a number", column=column, location=names[i],
                                value=raw) from None
        if integer and not (math.isfinite(value) and value.is_integer() and 0 <= value <= MAX_LEAD_TIME):
            raise LocationError(f"locations: lead time must be a whole number from 0 to {MAX_LEAD_TIME}",
                                column=column, location=names[i], value=value)
        if not integer and not value > 0:
            raise LocationError("locations: capacity must be > 0 (blank or inf for no limit)", column=column,
                                location=names[i], value=value)
        out[i] = value
    return out


def _topological_order(parent: NDArray[np.int64], names: Sequence[str]) -> list[int]:
    """Rows with every parent before its children (table order kept where it already is); raises on a cycle."""
    placed = np.zeros(parent.size, dtype=bool)
    order: list[int] = []
    for start in range(parent.size):
        chain: list[int] = []
        on_chain: set[int] = set()
        j = start
        while j >= 0 and not placed[j]:
            if j in on_chain:
                cycle = " -> ".join(names[k] for k in chain[chain.index(j):] + [j])
                raise LocationError(f"locations: parents form a cycle ({cycle})", column="parent",
                                    location=names[j], value=names[int(parent[j])])
            chain.append(j)
            on_chain.add(j)
            j = int(parent[j])
        for k in reversed(chain):
            placed[k] = True
            order.append(k)
    return order
