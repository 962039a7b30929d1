"""Plan-time guardrails: hard per-SKU limits on the order quantity.

Guardrails keep a new policy close to what the business already does while it
earns trust: a maximum change versus the incumbent's order, a maximum number of
periods of supply, and a minimum order for critical SKUs. They are expressed as
per-SKU bounds ``lower <= order <= upper`` and enforced *inside* the repair, so
the plan still satisfies MOQ, lot sizes, capacity and budget.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError, number_in
from hybridinv.core.state import InventoryState

if TYPE_CHECKING:
    from hybridinv.policies.base import Policy
    from hybridinv.sim.observation import Observation

__all__ = ["GuardedPolicy", "Guardrails", "apply_guardrails", "guarded_repair", "guardrail_report", "repair_bounds"]

_TOL = 1e-9


@dataclass(frozen=True)
class Guardrails:
    """Optional hard limits on each SKU's order (None = not applied).

    Parameters
    ----------
    max_change_units : float, optional
        An order may differ from the incumbent's by at most this many units...
    max_change_fraction : float, optional
        ...or by this fraction of the incumbent's order. With both, the looser of the
        two applies (``max(units, fraction * incumbent)``), so SKUs the incumbent
        does not order can still move by ``max_change_units``.
    max_periods_of_supply : float, optional
        The inventory position after ordering may not exceed this many periods of
        forecast demand (an order is capped at ``max(0, k * forecast - position)``).
    critical : array of bool, optional
        SKUs that must always be ordered at least ``critical_min_order``.
    critical_min_order : float or array
        Minimum order of each critical SKU (wins over the other limits on conflict).
    """

    max_change_units: float | None = None
    max_change_fraction: float | None = None
    max_periods_of_supply: float | None = None
    critical: NDArray[np.bool_] | None = field(default=None, repr=False)
    critical_min_order: float | NDArray[np.float64] = 0.0

    def __post_init__(self) -> None:
        for name in ("max_change_units", "max_change_fraction", "max_periods_of_supply"):
            if getattr(self, name) is not None:
                number_in(getattr(self, name), name, 0.0, math.inf)
        minimum = np.asarray(self.critical_min_order, dtype=np.float64)
        if not np.isfinite(minimum).all() or (minimum < 0).any():
            raise PlanningError("must be finite and >= 0", column="critical_min_order")

    @property
    def limits_change(self) -> bool:
        return self.max_change_units is not None or self.max_change_fraction is not None


def apply_guardrails(
    guardrails: Guardrails,
    catalog: Catalog,
    state: InventoryState,
    incumbent_orders: ArrayLike | None,
    forecast: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-SKU bounds ``(lower, upper)`` on this period's order quantity.

    Parameters
    ----------
    guardrails : Guardrails
    catalog : Catalog
    state : InventoryState
        Current state (for the inventory position), in catalog order.
    incumbent_orders : array, optional
        The incumbent policy's (or the planner's) order per SKU; required when a
        change limit is set.
    forecast : array, shape (n,) or (n, h)
        Expected demand per period; with 2-D input the mean over the horizon is used.

    Returns
    -------
    lower, upper : arrays of float
        ``0 <= lower <= upper`` (``upper`` may be ``inf``). Where the critical
        minimum exceeds another limit the minimum wins and ``upper`` is raised to it.

    Raises
    ------
    PlanningError
        When a change limit is set without incumbent orders, or shapes do not match.
    """
    n = catalog.n_skus
    lower = np.zeros(n)
    upper = np.full(n, np.inf)
    if guardrails.limits_change:
        if incumbent_orders is None:
            raise PlanningError("a change limit needs the incumbent's orders", column="incumbent_orders")
        incumbent = np.asarray(incumbent_orders, dtype=np.float64)
        if incumbent.shape != (n,):
            raise PlanningError(f"incumbent orders must have {n} values", column="incumbent_orders")
        allowed = np.zeros(n)
        if guardrails.max_change_units is not None:
            allowed = np.maximum(allowed, guardrails.max_change_units)
        if guardrails.max_change_fraction is not None:
            allowed = np.maximum(allowed, guardrails.max_change_fraction * incumbent)
        lower = np.maximum(lower, incumbent - allowed)
        upper = np.minimum(upper, incumbent + allowed)
    if guardrails.max_periods_of_supply is not None:
        demand = np.asarray(forecast, dtype=np.float64)
        demand = demand.mean(axis=1) if demand.ndim == 2 else demand
        if demand.shape != (n,):
            raise PlanningError(f"forecast must have {n} rows", column="forecast")
        room = guardrails.max_periods_of_supply * demand - state.inventory_position
        upper = np.minimum(upper, np.maximum(room, 0.0))
    lower = np.minimum(lower, upper)
    if guardrails.critical is not None:
        critical = np.asarray(guardrails.critical, dtype=bool)
        if critical.shape != (n,):
            raise PlanningError(f"critical must have {n} values", column="critical")
        minimum = np.broadcast_to(np.asarray(guardrails.critical_min_order, dtype=np.float64), (n,))
        lower = np.where(critical, np.maximum(lower, minimum), lower)
        upper = np.maximum(upper, lower)
    return np.ceil(lower - _TOL), np.floor(upper + _TOL)


def _has_rules(catalog: Catalog, constraints: Constraints) -> bool:
    return bool(
        constraints.has_capacity or constraints.has_budget or constraints.supplier_capacity
        or (catalog.moq > 0).any() or (catalog.lot_size > 1).any() or np.isfinite(catalog.max_order).any()
    )


def _min_units(catalog: Catalog) -> NDArray[np.float64]:
    """Smallest positive order: the MOQ in whole lots, at least one lot."""
    return np.maximum(np.round(catalog.moq / catalog.lot_size), 1.0) * catalog.lot_size


def _allowed_range(
    catalog: Catalog, lower: NDArray[np.float64], upper: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Smallest and largest order in ``[lower, upper]`` the catalog allows (whole lots, MOQ)."""
    lot, min_units = catalog.lot_size, _min_units(catalog)
    least = np.where(lower > 0, np.maximum(np.ceil(lower / lot - _TOL) * lot, min_units), 0.0)
    most = np.where(np.isfinite(upper), np.floor(upper / lot + _TOL) * lot, np.inf)
    return least, np.where(most >= min_units, most, 0.0)


def repair_bounds(
    catalog: Catalog, lower: ArrayLike, upper: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Guardrail bounds made consistent with the catalog's lot sizes, MOQs and maximum orders.

    The repair orders whole lots, at least the MOQ when positive. Where no such
    order lies in ``[lower, upper]`` the minimum wins (as in
    :func:`apply_guardrails`): ``upper`` is raised to the smallest allowed order
    ``>= lower``. A minimum above the catalog's largest allowed order is lowered
    to that order.

    Returns
    -------
    lower, upper : arrays of float
        Bounds :func:`hybridinv.repair.repair_orders` accepts without conflict.
    capped : array of bool
        SKUs whose minimum had to be lowered to the catalog's largest order.
    """
    low = np.asarray(lower, dtype=np.float64)
    high = np.asarray(upper, dtype=np.float64)
    need, _ = _allowed_range(catalog, low, high)
    _, largest = _allowed_range(catalog, np.zeros_like(low), np.asarray(catalog.max_order, dtype=np.float64))
    capped = need > largest
    low = np.where(capped, largest, low)
    need = np.minimum(need, largest)
    return low, np.maximum(high, need), capped


def guarded_repair(
    desired: ArrayLike,
    catalog: Catalog,
    state: InventoryState,
    constraints: Constraints,
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    **repair_options: Any,
) -> NDArray[np.float64]:
    """Repair ``desired`` orders with per-SKU bounds ``lower <= order <= upper``.

    The bounds (made consistent with lot sizes, MOQs and maximum orders by
    :func:`repair_bounds`) are enforced inside :func:`hybridinv.repair.repair_orders`,
    so the plan keeps every catalog rule and the capacity, budget and supplier
    rows. A minimum order the shared rows cannot afford is still placed: the
    repair then reports the violated rows with a
    :class:`~hybridinv.core.errors.ConstraintViolationWarning`, as it does for a
    minimum above the catalog's maximum order. Without any catalog rule or shared
    constraint the orders are clipped into the bounds and rounded up.

    Raises
    ------
    RuntimeError
        If the repair returned an order outside the bounds (defensive check).
    """
    low, high, capped = repair_bounds(catalog, lower, upper)
    if capped.any():
        warnings.warn(
            f"{int(capped.sum())} SKU(s) have a guardrail minimum above their maximum order; "
            "ordering the maximum instead",
            ConstraintViolationWarning,
            stacklevel=2,
        )
    if not _has_rules(catalog, constraints):
        return np.ceil(np.clip(np.asarray(desired, dtype=np.float64), low, high) - _TOL)
    from hybridinv.repair import repair_orders

    result = repair_orders(desired, catalog, state, constraints, lower=low, upper=high, **repair_options)
    orders = np.asarray(result.orders, dtype=np.float64)
    outside = (orders < low - _TOL) | (orders > high + _TOL)
    if outside.any():  # the repair enforces the bounds; this only guards against regressions
        i = int(np.flatnonzero(outside)[0])
        raise RuntimeError(
            f"repair returned {orders[i]:g} for SKU {catalog.sku[i]!r} outside [{low[i]:g}, {high[i]:g}]"
        )
    return orders


def guardrail_report(
    guardrails: Guardrails,
    catalog: Catalog,
    state: InventoryState,
    incumbent_orders: ArrayLike | None,
    forecast: ArrayLike,
    desired: ArrayLike,
    final: ArrayLike,
) -> pd.DataFrame:
    """Per SKU: desired and final order, bounds, and which guardrail was active.

    ``active`` names the guardrail that moved the order away from the desired
    quantity (``"max_change"``, ``"periods_of_supply"``, ``"critical_minimum"``) or is
    empty; ``binding`` is True where the final order sits on a bound rounded to
    the orders the catalog allows (whole lots, MOQ), which is where the repair
    keeps it (:func:`guarded_repair`).
    """
    lower, upper = apply_guardrails(guardrails, catalog, state, incumbent_orders, forecast)
    least, most = _allowed_range(catalog, *repair_bounds(catalog, lower, upper)[:2])
    desired_arr = np.asarray(desired, dtype=np.float64)
    final_arr = np.asarray(final, dtype=np.float64)
    n = catalog.n_skus
    unguarded = Guardrails()
    change = (apply_guardrails(Guardrails(guardrails.max_change_units, guardrails.max_change_fraction),
                               catalog, state, incumbent_orders, forecast)
              if guardrails.limits_change else apply_guardrails(unguarded, catalog, state, None, forecast))
    supply = apply_guardrails(Guardrails(max_periods_of_supply=guardrails.max_periods_of_supply),
                              catalog, state, None, forecast)
    critical = (np.asarray(guardrails.critical, dtype=bool) if guardrails.critical is not None
                else np.zeros(n, dtype=bool))
    raised = desired_arr < lower - _TOL
    cut = desired_arr > upper + _TOL
    active = np.full(n, "", dtype=object)
    active = np.where(cut & (desired_arr > change[1] + _TOL), "max_change", active)
    active = np.where(cut & (desired_arr > supply[1] + _TOL) & (active == ""), "periods_of_supply", active)
    active = np.where(raised & (desired_arr < change[0] - _TOL), "max_change", active)
    active = np.where(raised & critical & (lower > change[0]), "critical_minimum", active)
    return pd.DataFrame({
        "sku": catalog.sku,
        "incumbent": np.asarray(incumbent_orders, dtype=np.float64) if incumbent_orders is not None else np.nan,
        "desired": desired_arr,
        "final": final_arr,
        "lower": lower,
        "upper": upper,
        "active": active,
        "binding": ((final_arr <= least + _TOL) & (least > 0)) | (final_arr >= most - _TOL),
    })


class GuardedPolicy:
    """Run ``policy`` under guardrails relative to an ``incumbent`` policy.

    Each period the incumbent's orders and the forecast give per-SKU bounds
    (:func:`apply_guardrails`); the policy's desired orders are repaired within
    them (:func:`guarded_repair`). Implements the policy interface (``act``), so it
    runs in :func:`hybridinv.simulate`, the shadow replay and ``plan()``.

    Parameters
    ----------
    policy : Policy
        The recommended policy; its ``decide(obs).desired`` is used when it has one,
        else its ``act(obs)``.
    incumbent : Policy, optional
        The policy in use today (needed for change limits).
    guardrails : Guardrails
    repair : str
        Repair backend.
    """

    def __init__(self, policy: Policy, guardrails: Guardrails, incumbent: Policy | None = None,
                 repair: str = "auto") -> None:
        self.policy = policy
        self.incumbent = incumbent
        self.guardrails = guardrails
        self.repair = repair
        self.name = f"guarded_{getattr(policy, 'name', type(policy).__name__)}"
        self._last: tuple[Any, ...] | None = None

    def reset(self, scenario: Any = None) -> None:
        for member in (self.policy, self.incumbent):
            reset = getattr(member, "reset", None)
            if callable(reset):
                reset(scenario)

    def act(self, obs: Observation) -> NDArray[np.float64]:
        decide = getattr(self.policy, "decide", None)
        desired = decide(obs).desired if callable(decide) else self.policy.act(obs)
        incumbent = self.incumbent.act(obs) if self.incumbent is not None else None
        forecast = obs.forecast(1)[:, 0]
        state = obs.state()
        lower, upper = apply_guardrails(self.guardrails, obs.catalog, state, incumbent, forecast)
        orders = guarded_repair(desired, obs.catalog, state, obs.constraints, lower, upper, backend=self.repair,
                                expected_demand=obs.forecast(int(obs.catalog.lead_time.max()) + 1), warn=False)
        self._last = (obs.catalog, state, incumbent, forecast, desired, orders)
        return orders

    def report(self) -> pd.DataFrame:
        """Guardrail report (:func:`guardrail_report`) of the last period's decision."""
        if self._last is None:
            raise RuntimeError("no decision yet: call act() first")
        catalog, state, incumbent, forecast, desired, orders = self._last
        return guardrail_report(self.guardrails, catalog, state, incumbent, forecast, desired, orders)

    def __repr__(self) -> str:
        return f"GuardedPolicy({self.policy!r}, {self.guardrails!r})"
