"""An independent check of one period's orders against every ordering rule and constraint row.

:func:`hybridinv.plan` runs it on whatever the policy returns, whoever wrote the
policy: the orders must be whole numbers, ``>= 0``, ``0`` or at least ``moq``,
whole multiples of ``lot_size``, at most ``max_order``, and fit the capacity rows
(:func:`hybridinv.core.capacity_rows`), the budget and the supplier capacities.
It shares nothing with the repair layer but the capacity-row projection, and it
is a handful of vectorized passes over the SKUs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import by_sku_labels, number_array
from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints, capacity_row, supplier_row
from hybridinv.core.errors import PlanningError, require_type
from hybridinv.core.projection import capacity_rows
from hybridinv.core.state import InventoryState

__all__ = [
    "RULES",
    "OrderCheck",
    "RowUse",
    "budget_tolerance",
    "capacity_tolerance",
    "check_orders",
    "largest_per_row",
    "row_tolerance",
    "supplier_tolerance",
]

#: Per-SKU rules of :func:`check_orders`, in the order they are reported.
RULES: tuple[str, ...] = ("not_finite", "negative", "fractional", "moq", "lot_size", "max_order")
#: Absolute distance from a whole number still read as that whole number.
_WHOLE_TOL = 1e-6
#: Relative slack of a row, of the size of the numbers it is computed from (the capacity and the stock
#: volume it subtracts, the budget, the usage), before it counts as over-used: rounding noise, far below
#: one unit at any scale the inputs allow.
_ROW_TOL = 1e-12
#: Plus this share of one lot's usage (the repair fills rows to ``floor(room / lot + 1e-9)`` lots).
_LOT_TOL = 1e-9


@dataclass(frozen=True)
class RowUse:
    """One over-used constraint row.

    Attributes
    ----------
    kind : str
        ``capacity``, ``budget`` or ``supplier_capacity``.
    name : str
        ``capacity[k=<receipt period>]``, ``budget`` or ``supplier[<name>]``.
    limit : float
        What the row leaves for new orders (negative: already exceeded without them).
    usage : float
        Volume, money or units the orders use in the row.
    """

    kind: str
    name: str
    limit: float
    usage: float

    @property
    def amount(self) -> float:
        """``usage - limit`` (> 0)."""
        return self.usage - self.limit

    @property
    def avoidable(self) -> bool:
        """Whether the orders themselves break the row (it holds with nothing ordered in it)."""
        return self.usage > 0.0

    def to_dict(self) -> dict[str, object]:
        """Plain form, with the keys of :class:`hybridinv.repair.RowViolation`."""
        return {"kind": self.kind, "name": self.name, "limit": self.limit, "usage": self.usage, "amount": self.amount}


@dataclass(frozen=True)
class OrderCheck:
    """Result of :func:`check_orders`.

    Attributes
    ----------
    orders : array of float, shape (n,)
        The orders with values within ``1e-6`` of a whole number snapped to it.
    breaks : dict of str to bool array
        Per rule of :data:`RULES`, the SKUs that break it.
    rows : tuple of RowUse
        Constraint rows the orders over-use.
    """

    orders: NDArray[np.float64]
    breaks: dict[str, NDArray[np.bool_]] = field(repr=False)
    rows: tuple[RowUse, ...]

    @property
    def rules_hold(self) -> bool:
        """Whether every SKU's order is finite, whole, >= 0 and within its MOQ, lot and max-order rules."""
        return not any(mask.any() for mask in self.breaks.values())

    @property
    def feasible(self) -> bool:
        """Whether the rules hold and every row too."""
        return self.rules_hold and not self.rows

    @property
    def acceptable(self) -> bool:
        """Whether the rules hold and every over-used row is over-used without any order in it
        (stock already above capacity): the best any plan can do."""
        return self.rules_hold and not any(row.avoidable for row in self.rows)

    def problems(self, sku: ArrayLike) -> list[str]:
        """One line per broken rule or avoidably over-used row, naming the first SKU and the count."""
        names = np.asarray(sku, dtype=object)
        out = []
        for rule in RULES:
            mask = self.breaks[rule]
            if mask.any():
                i = int(np.flatnonzero(mask)[0])
                out.append(f"{rule}: {int(mask.sum())} SKU(s), first {str(names[i])!r} ordered {self.orders[i]:g}")
        for row in self.rows:
            if row.avoidable:
                out.append(f"{row.name}: orders use {row.usage:g}, the row allows {row.limit:g}")
        return out


def check_orders(
    orders: ArrayLike,
    catalog: Catalog,
    state: InventoryState,
    constraints: Constraints,
    expected_demand: ArrayLike | None = None,
) -> OrderCheck:
    """Check orders against the ordering rules and constraint rows.

    Parameters
    ----------
    orders : array of float, shape (n,)
        One order per SKU, catalog order.
    catalog, state, constraints
        ``state`` aligned with the catalog; ``constraints`` a :class:`Constraints`, a dict of its fields or None.
    expected_demand : array, shape (n,) or (n, H), optional
        Forecast projecting the stock to each receipt period (default
        ``catalog.demand_mean``, NaN → 0), as in :func:`hybridinv.repair.repair_orders`.

    Returns
    -------
    OrderCheck
    """
    require_type(catalog, Catalog, "catalog")  # None or a dict was an AttributeError
    require_type(state, InventoryState, "state")
    constraints = Constraints.coerce(constraints)  # a dict, as plan() takes it
    # numbers only, one per SKU (by label for a Series): text, booleans and another length were read or
    # failed in a numpy broadcast; NaN and inf stay reportable breaks
    raw = number_array(by_sku_labels(orders, catalog.sku, "order_qty"), "order_qty").reshape(-1)
    if raw.size != catalog.n_skus:
        raise PlanningError(f"needs one order per catalog SKU ({catalog.n_skus}), got {raw.size}",
                            column="order_qty", value=raw.size)
    finite = np.isfinite(raw)
    whole = np.where(finite, np.round(raw), 0.0)
    snapped = np.where(finite & (np.abs(raw - whole) <= _WHOLE_TOL), whole, raw)
    q = np.where(finite, snapped, 0.0)
    fractional = finite & (q != np.round(q))
    positive = q > 0
    breaks = {
        "not_finite": ~finite,
        "negative": q < 0,
        "fractional": fractional,
        "moq": positive & (q < catalog.moq),
        "lot_size": positive & ~fractional & (np.mod(q, catalog.lot_size) != 0),
        "max_order": q > catalog.max_order,
    }
    used = np.maximum(q, 0.0)
    return OrderCheck(orders=snapped, breaks=breaks, rows=_rows(used, catalog, state, constraints, expected_demand))


def expected_demand_array(expected_demand: ArrayLike | None, catalog: Catalog) -> NDArray[np.float64]:
    """Forecast per SKU, shape ``(n,)`` or ``(n, H)``; default ``catalog.demand_mean`` (NaN → 0)."""
    n = catalog.n_skus
    if expected_demand is None:
        return np.nan_to_num(np.asarray(catalog.demand_mean, dtype=np.float64), nan=0.0)
    # a Series or a (SKU x period) DataFrame indexed by SKU is read by its labels (it was read by position)
    if isinstance(expected_demand, pd.DataFrame):
        expected_demand = np.asarray(by_sku_labels(expected_demand.T, catalog.sku, "expected_demand")).T
    else:
        expected_demand = by_sku_labels(expected_demand, catalog.sku, "expected_demand")
    arr = number_array(expected_demand, "expected_demand")
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.ndim not in (1, 2) or arr.shape[0] != n or (arr.ndim == 2 and arr.shape[1] == 0):
        raise PlanningError(
            f"expected_demand has shape {arr.shape}, expected ({n},) or ({n}, H)", column="expected_demand"
        )
    if arr.size and not (float(arr.min()) >= 0.0 and float(arr.max()) < np.inf):  # NaN fails both: two reductions
        bad = ~np.isfinite(arr) | (arr < 0)
        i = int(np.flatnonzero(bad.reshape(n, -1).any(axis=1))[0])
        value = float(arr.reshape(n, -1)[i][bad.reshape(n, -1)[i]][0])
        raise PlanningError(
            "expected demand must be finite and >= 0", column="expected_demand", sku=catalog.sku[i], value=value
        )
    return arr


def row_tolerance(scale: ArrayLike, usage: ArrayLike, lot_usage: ArrayLike) -> NDArray[np.float64]:
    """Excess of a row's usage over its limit still read as rounding noise.

    ``1e-12 * s + 1e-9 * min(lot_usage, s)`` with ``s = max(scale, usage)``: ``scale`` is the size of
    the numbers the limit was computed from (the capacity and the projected stock volume it subtracts,
    the budget, a supplier's capacity), ``lot_usage`` the largest usage of one lot in the row. Until
    2026-12-04 the slack was ``1e-9 * max(1, |limit|, usage)``: relative to what is left of a capacity,
    so an exact fit beside 1e9 units of stock was a violation (the residual 1e9 + 0.3 - 1e9 carries 5e-8
    of rounding), and a billionth of a large row, so 1e9 units at 10 against a budget 5 short passed.
    Until 2026-12-06 the lot term was not capped by ``s``: one SKU whose lot was worth 1e12, which no
    plan within a budget of 1,000 can hold, let the plan spend 2,000 (a lot larger than the row and its
    usage is not in the plan, so it adds no rounding).
    """
    scale, usage = np.asarray(scale, dtype=np.float64), np.asarray(usage, dtype=np.float64)
    size = np.maximum(scale, usage)
    lot = np.minimum(np.asarray(lot_usage, dtype=np.float64), size)
    return np.asarray(_ROW_TOL * size + _LOT_TOL * lot, dtype=np.float64)


def capacity_tolerance(capacity: float, residual: ArrayLike, usage: ArrayLike,
                       lot_usage: ArrayLike) -> NDArray[np.float64]:
    """:func:`row_tolerance` of capacity rows (any shape; ``lot_usage`` broadcasts over them).

    ``residual`` is the capacity less the projected stock volume (:func:`hybridinv.core.capacity_rows`), so its
    rounding is of the size of both: the scale is ``capacity + |capacity - residual|``.
    """
    # with a capacity > 0 the scale is at least |residual| (the limit), as row_tolerance's scale must be
    return row_tolerance(capacity + np.abs(capacity - np.asarray(residual, dtype=np.float64)), usage, lot_usage)


def budget_tolerance(budget: float, spend: float, lot_usage: float) -> float:
    """:func:`row_tolerance` of the budget row, in scalars (the simulator checks it every period): scale the
    budget or the spend, one lot the dearest lot's value."""
    size = max(abs(spend), abs(budget))
    return _ROW_TOL * size + _LOT_TOL * min(lot_usage, size)


def supplier_tolerance(limit: ArrayLike, units: ArrayLike, lot_usage: ArrayLike) -> NDArray[np.float64]:
    """:func:`row_tolerance` of supplier-capacity rows: scale the capacity or the units, one lot the largest lot."""
    units = np.asarray(units, dtype=np.float64)
    return row_tolerance(np.maximum(units, np.abs(np.asarray(limit, dtype=np.float64))), units, lot_usage)


def largest_per_row(rows: NDArray[np.int64], values: NDArray[np.float64], n_rows: int) -> NDArray[np.float64]:
    """The largest of ``values`` per row (0 for a row without SKUs): one lot's usage of each row."""
    out = np.zeros(n_rows)
    np.maximum.at(out, rows, values)
    return out


def _over(kind: str, names: list[str], limit: ArrayLike, usage: ArrayLike, tol: ArrayLike) -> list[RowUse]:
    limit, usage = np.asarray(limit, dtype=np.float64), np.asarray(usage, dtype=np.float64)
    return [RowUse(kind, names[r], float(limit[r]), float(usage[r])) for r in np.flatnonzero(usage - limit > tol)]


def _rows(
    q: NDArray[np.float64],
    catalog: Catalog,
    state: InventoryState,
    constraints: Constraints,
    expected_demand: ArrayLike | None,
) -> tuple[RowUse, ...]:
    out: list[RowUse] = []
    if constraints.has_capacity:
        demand = expected_demand_array(expected_demand, catalog)  # NaN demand made every row NaN, and pass
        assert state.pipeline is not None
        rows = capacity_rows(
            catalog.volume,
            catalog.lead_time,
            state.on_hand,
            state.pipeline,
            demand,
            constraints.capacity,
            state.backorders,
        )
        usage = np.bincount(rows.row, weights=catalog.volume * q, minlength=rows.residual.size)
        names = [capacity_row(k) for k in range(rows.residual.size)]
        lot = largest_per_row(rows.row, catalog.volume * catalog.lot_size, rows.residual.size)
        out += _over("capacity", names, rows.residual, usage,
                     capacity_tolerance(constraints.capacity, rows.residual, usage, lot))
    if constraints.has_budget:
        spend = float(catalog.unit_cost @ q)
        lot_value = float(np.max(catalog.unit_cost * catalog.lot_size, initial=0.0))
        out += _over("budget", ["budget"], np.array([constraints.budget]), np.array([spend]),
                     budget_tolerance(constraints.budget, spend, lot_value))
    if constraints.supplier_capacity:
        suppliers, member, limits = constraints.supplier_rows(catalog)
        inside = member >= 0
        units = np.bincount(member[inside], weights=q[inside], minlength=len(suppliers))
        lot = largest_per_row(member[inside], catalog.lot_size[inside], len(suppliers))
        out += _over("supplier_capacity", [supplier_row(s) for s in suppliers], limits, units,
                     supplier_tolerance(limits, units, lot))
    return tuple(out)
