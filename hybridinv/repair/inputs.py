"""Validate repair inputs and build the :class:`~hybridinv.repair.model.RepairProblem`.

Everything a user can get wrong is checked here and raised as
:class:`hybridinv.PlanningError` naming the argument and the SKU.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core import Catalog, Constraints, InventoryState, PlanningError, capacity_rows
from hybridinv.core._frame import by_sku_labels, number_array
from hybridinv.core.constraints import capacity_row, supplier_row
from hybridinv.core.errors import require_type
from hybridinv.core.feasibility import expected_demand_array
from hybridinv.core.limits import MAX_ORDER, MAX_WEIGHT
from hybridinv.core.lots import lots_covering, lots_within
from hybridinv.repair.model import RepairProblem, RowGroup, RowKind

__all__ = [
    "HOLDING_PERIODS",
    "TIE_BREAK_WEIGHT",
    "bound_array",
    "build_problem",
    "check_state",
    "default_weights",
    "desired_array",
    "expected_demand_array",
    "same_skus",
    "weight_array",
]

#: Periods a unit ordered above the desired quantity is assumed to be held:
#: the default ``over_weight`` is ``holding_cost * HOLDING_PERIODS``.
HOLDING_PERIODS: float = 1.0
#: Added to both default weights so that every deviation costs something and
#: ties (zero holding or shortage cost) resolve towards the desired quantity.
TIE_BREAK_WEIGHT: float = 1e-6


def check_state(catalog: Catalog, state: InventoryState) -> None:
    """Raise unless ``state`` lists exactly the catalog's SKUs in catalog order."""
    require_type(state, InventoryState, "state")
    require_type(catalog, Catalog, "catalog")
    if len(state) != catalog.n_skus:
        raise PlanningError(
            f"state has {len(state)} SKUs but the catalog has {catalog.n_skus}; use state.aligned(catalog)",
            column="sku",
        )
    if same_skus(state.sku, catalog.sku):
        return
    mismatch = state.sku.astype(str) != catalog.sku.astype(str)
    if mismatch.any():
        i = int(np.flatnonzero(mismatch)[0])
        raise PlanningError(
            f"state is not aligned with the catalog (position {i} holds {state.sku[i]!r}); use state.aligned(catalog)",
            column="sku",
            sku=catalog.sku[i],
        )


def same_skus(a: NDArray[np.object_], b: NDArray[np.object_]) -> bool:
    """Whether two SKU arrays name the same SKUs in the same order, compared as text.

    The same array, or equal object arrays of str, answer without converting (a million SKUs);
    only arrays that differ as objects are compared as str.
    """
    if a is b:
        return True
    if len(a) != len(b):
        return False
    try:
        if np.array_equal(a, b):
            return True
    except (TypeError, ValueError):
        pass
    return bool((a.astype(str) == b.astype(str)).all())


def _per_sku(values: ArrayLike, name: str, catalog: Catalog) -> NDArray[np.float64]:
    values = by_sku_labels(values, catalog.sku, name)  # a Series keyed by SKU was read by position
    arr = number_array(values, name)  # booleans and text were converted ("2" was 2 units, True 1)
    n = catalog.n_skus
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise PlanningError(f"{name} has shape {arr.shape}, expected ({n},) aligned with the catalog", column=name)
    return arr.astype(np.float64, copy=True)


def _first_bad(mask: NDArray[np.bool_], arr: NDArray[np.float64], name: str, catalog: Catalog, why: str) -> None:
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        raise PlanningError(why, column=name, sku=catalog.sku[i], value=float(arr[i]))


def desired_array(desired: ArrayLike, catalog: Catalog) -> NDArray[np.float64]:
    """Desired order quantities as a float array; NaN, infinite or absurd values are errors.

    Negative values are kept (they are treated as 0 by the formulation). A quantity beyond
    ``MAX_ORDER`` (1e15 units) is refused: above 2**53 float64 no longer holds every whole number,
    and a desired 1e16 gave an order that is not a multiple of its lot size.
    """
    arr = _per_sku(desired, "desired", catalog)
    _first_bad(~np.isfinite(arr), arr, "desired", catalog, "desired order quantity is NaN or infinite")
    _first_bad(np.abs(arr) > MAX_ORDER, arr, "desired", catalog,
               f"desired order quantity must be at most {MAX_ORDER:g} units in size (hybridinv.core.limits.MAX_ORDER)")
    return arr


def weight_array(values: ArrayLike, name: str, catalog: Catalog) -> NDArray[np.float64]:
    """A per-SKU deviation weight: finite, non-negative and at most :data:`~hybridinv.core.limits.MAX_WEIGHT` (a
    scalar is broadcast; 1e300 overflowed the objective to ``inf``, reported as a gap of 0)."""
    arr = _per_sku(values, name, catalog)
    _first_bad(~np.isfinite(arr), arr, name, catalog, "weight is NaN or infinite")
    _first_bad(arr < 0, arr, name, catalog, "weight must be >= 0")
    _first_bad(arr > MAX_WEIGHT, arr, name, catalog, f"weight must be at most {MAX_WEIGHT:g} "
               "(hybridinv.core.limits.MAX_WEIGHT)")
    return arr


def bound_array(values: ArrayLike, name: str, catalog: Catalog) -> NDArray[np.float64]:
    """A per-SKU order bound in units: not NaN, ``>= 0``; ``upper`` may be ``inf`` (a scalar is broadcast)."""
    arr = _per_sku(values, name, catalog)
    _first_bad(np.isnan(arr), arr, name, catalog, f"{name} bound is NaN")
    _first_bad(arr < 0, arr, name, catalog, f"{name} bound must be >= 0")
    if name == "lower":
        _first_bad(~np.isfinite(arr), arr, name, catalog, "lower bound must be finite")
    return arr


def _bounded(
    problem: RepairProblem, lower: ArrayLike | None, upper: ArrayLike | None, catalog: Catalog
) -> RepairProblem:
    """Apply per-SKU bounds ``lower <= q <= upper`` (units) through :meth:`RepairProblem.with_bounds`."""
    lot = problem.lot_size
    low = np.zeros(catalog.n_skus) if lower is None else bound_array(lower, "lower", catalog)
    high = np.full(catalog.n_skus, np.inf) if upper is None else bound_array(upper, "upper", catalog)
    high_lots = np.where(np.isfinite(high), lots_within(high, lot), np.inf)
    cap = np.minimum(problem.max_lots, high_lots)
    cap = np.where(cap >= problem.min_lots, cap, 0.0)  # no whole-lot order >= MOQ fits: only 0
    reserved = np.where(low > 0, np.maximum(lots_covering(low, lot), problem.min_lots), 0.0)
    conflict = reserved > cap
    if conflict.any():
        i = int(np.flatnonzero(conflict)[0])
        need, most = reserved[i] * lot[i], cap[i] * lot[i]
        if reserved[i] > problem.max_lots[i]:
            why = f"lower bound {low[i]:g} needs {need:g} units, above the largest allowed order {most:g} (max_order)"
        else:
            why = (
                f"lower bound {low[i]:g} (rounded up to lots/MOQ: {need:g}) exceeds upper bound {high[i]:g} "
                f"(rounded down to lots/MOQ: {most:g})"
            )
        raise PlanningError(why, column="lower", sku=catalog.sku[i], value=float(low[i]))
    return problem.with_bounds(reserved, cap)


def default_weights(catalog: Catalog) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Default ``(under_weight, over_weight)`` from the cost model.

    ``under_weight = shortage_cost + TIE_BREAK_WEIGHT``: a unit not ordered is
    assumed to become one unit short. ``over_weight = holding_cost *
    HOLDING_PERIODS + TIE_BREAK_WEIGHT``: a surplus unit is assumed to be held
    one extra period.
    """
    require_type(catalog, Catalog, "catalog")  # None was an AttributeError
    under = catalog.shortage_cost + TIE_BREAK_WEIGHT
    over = catalog.holding_cost * HOLDING_PERIODS + TIE_BREAK_WEIGHT
    return np.asarray(under, dtype=np.float64), np.asarray(over, dtype=np.float64)


def _row_groups(
    catalog: Catalog, state: InventoryState, constraints: Constraints, demand: NDArray[np.float64]
) -> tuple[RowGroup, ...]:
    lot = catalog.lot_size
    n = catalog.n_skus
    groups: list[RowGroup] = []
    if constraints.has_capacity:
        rows = capacity_rows(
            catalog.volume,
            catalog.lead_time,
            state.on_hand,
            state.pipeline,  # type: ignore[arg-type]
            demand,
            constraints.capacity,
            state.backorders,
        )
        groups.append(
            RowGroup(
                kind=RowKind.CAPACITY,
                names=tuple(capacity_row(k) for k in range(rows.residual.size)),
                member=rows.row.astype(np.int64),
                coef=catalog.volume * lot,
                limit=rows.residual.astype(np.float64),
                scale=np.full(rows.residual.size, constraints.capacity),
            )
        )
    if constraints.has_budget:
        groups.append(
            RowGroup(
                kind=RowKind.BUDGET,
                names=("budget",),
                member=np.zeros(n, dtype=np.int64),
                coef=catalog.unit_cost * lot,
                limit=np.array([constraints.budget]),
            )
        )
    if not constraints.supplier_capacity:
        return tuple(groups)
    names, member, limits = constraints.supplier_rows(catalog)
    if names:
        groups.append(
            RowGroup(
                kind=RowKind.SUPPLIER,
                names=tuple(supplier_row(s) for s in names),
                member=member,
                coef=np.where(member >= 0, lot, 0.0),
                limit=limits,
            )
        )
    return tuple(groups)


def build_problem(
    desired: ArrayLike,
    catalog: Catalog,
    state: InventoryState,
    constraints: Constraints,
    under_weight: ArrayLike | None = None,
    over_weight: ArrayLike | None = None,
    expected_demand: ArrayLike | None = None,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
) -> RepairProblem:
    """Validate all inputs and return the array formulation.

    With per-SKU bounds ``lower``/``upper`` (units, catalog order) the residual
    problem of :meth:`RepairProblem.with_bounds` is returned: ``upper`` caps the
    lots at ``floor(upper / lot_size)`` (with ``max_order``; below the MOQ the SKU
    orders 0) and ``lower > 0`` reserves ``max(ceil(lower / lot_size), min_lots)``
    lots.

    Raises
    ------
    PlanningError
        For a misaligned state, NaN desired quantities, bad weights, forecasts or
        bounds (NaN, negative, infinite ``lower``), and for conflicting bounds
        (``lower`` above ``upper`` or above ``max_order`` after rounding to whole
        lots and the MOQ).
    """
    check_state(catalog, state)
    if not isinstance(constraints, Constraints):
        raise PlanningError(f"constraints must be a Constraints, got {type(constraints).__name__}")
    target = desired_array(desired, catalog)
    default_under, default_over = default_weights(catalog)
    under = default_under if under_weight is None else weight_array(under_weight, "under_weight", catalog)
    over = default_over if over_weight is None else weight_array(over_weight, "over_weight", catalog)
    demand = expected_demand_array(expected_demand, catalog)
    problem = RepairProblem.build(
        sku=catalog.sku,
        desired=target,
        lot_size=catalog.lot_size,
        moq=catalog.moq,
        max_order=catalog.max_order,
        under_weight=under,
        over_weight=over,
        groups=_row_groups(catalog, state, constraints, demand),
    )
    if lower is None and upper is None:
        return problem
    return _bounded(problem, lower, upper, catalog)
