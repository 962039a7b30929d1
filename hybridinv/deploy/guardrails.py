"""Plan-time guardrails: hard per-SKU limits on the order quantity.

Guardrails keep a new policy close to what the business already does while it
earns trust: a maximum change versus the incumbent's order, a maximum number of
periods of supply, and a minimum order for critical SKUs. They are expressed as
per-SKU bounds ``lower <= order <= upper`` and enforced *inside* the repair, so
the plan still satisfies MOQ, lot sizes, capacity and budget.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import by_sku_labels, check_array
from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError, number_in, require_policy, scalar_or_array
from hybridinv.core.flags import text_full
from hybridinv.core.limits import MAX_PERIODS, MAX_QUANTITY
from hybridinv.core.state import InventoryState
from hybridinv.deploy._breaches import BreachLog

if TYPE_CHECKING:
    from hybridinv.policies.base import Decision, Policy
    from hybridinv.repair.result import RepairResult
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
        SKUs that must always be ordered at least ``critical_min_order``: one flag per SKU in
        catalog order, or a pandas Series indexed by SKU (read by its labels).
    critical_min_order : float or array
        Minimum order of each critical SKU (wins over the other limits on conflict): one
        number, one per SKU in catalog order, or a Series indexed by SKU (read by its labels).
    """

    max_change_units: float | None = None
    max_change_fraction: float | None = None
    max_periods_of_supply: float | None = None
    critical: NDArray[np.bool_] | None = field(default=None, repr=False)
    critical_min_order: float | NDArray[np.float64] = 0.0

    def __post_init__(self) -> None:
        # at most MAX_QUANTITY units or times the incumbent, MAX_PERIODS periods (None: no limit): 1e308 passed and
        # overflowed in the bounds (numpy RuntimeWarnings)
        for name, high in (("max_change_units", MAX_QUANTITY), ("max_change_fraction", MAX_QUANTITY),
                           ("max_periods_of_supply", float(MAX_PERIODS))):
            if getattr(self, name) is not None:
                number_in(getattr(self, name), name, 0.0, high)
        minimum = scalar_or_array(self.critical_min_order, "critical_min_order", 0.0)
        if np.any(np.asarray(minimum) > MAX_QUANTITY):  # 1e13 was placed over the budget, 1e300 a RuntimeError
            raise PlanningError(f"must be at most {MAX_QUANTITY:g} units (MAX_QUANTITY)", column="critical_min_order",
                                value=float(np.max(minimum)))
        if np.ndim(minimum) > 1:
            raise PlanningError("must be one number or one per SKU", column="critical_min_order",
                                value=f"shape {np.shape(minimum)}")
        if self.critical is not None:
            critical = np.asarray(self.critical)
            if critical.ndim != 1 or critical.dtype.kind != "b":
                raise PlanningError("must be an array of booleans, one per SKU", column="critical",
                                    value=f"{critical.dtype} array of shape {critical.shape}")

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
        Whole numbers with ``0 <= lower <= upper`` (``upper`` may be ``inf``): the
        caps are rounded down and the minimum rounded up, and where they cross the
        cap wins. Where no order the catalog allows (whole lots, MOQ) lies in
        ``[lower, upper]`` and rounding the minimum up would pass the
        periods-of-supply cap, ``lower`` drops to the largest allowed order
        under ``upper`` (0 if none). A critical
        minimum wins over every other limit: ``upper`` is then raised to it and, where the band holds no
        allowed order at or above the minimum, to the smallest allowed order ``>= lower`` (a safety floor that
        :func:`repair_bounds`'s closest-order rule would otherwise break by ordering less).

    Raises
    ------
    PlanningError
        When a change limit is set without incumbent orders, or an input has the
        wrong shape or a value that is not a finite number >= 0 (naming the SKU).
    """
    from hybridinv.core.errors import require_type
    from hybridinv.repair.inputs import check_state

    require_type(guardrails, Guardrails, "guardrails")  # None was an AttributeError
    check_state(catalog, state)  # a state in another SKU order gave each SKU another's inventory position
    n = catalog.n_skus
    lower = np.zeros(n)
    upper = np.full(n, np.inf)
    if guardrails.limits_change:
        if incumbent_orders is None:
            raise PlanningError("a change limit needs the incumbent's orders", column="incumbent_orders")
        incumbent = _sku_values(incumbent_orders, "incumbent_orders", catalog)
        allowed = np.zeros(n)
        if guardrails.max_change_units is not None:
            allowed = np.maximum(allowed, guardrails.max_change_units)
        if guardrails.max_change_fraction is not None:
            allowed = np.maximum(allowed, guardrails.max_change_fraction * incumbent)
        lower = np.maximum(lower, incumbent - allowed)
        upper = np.minimum(upper, incumbent + allowed)
    # whole units first, so a fractional cap cannot leave the rounded minimum above the rounded cap
    upper = np.floor(upper + _TOL)
    lower = np.minimum(np.ceil(lower - _TOL), upper)
    if guardrails.max_periods_of_supply is not None:
        demand = _forecast_per_period(forecast, catalog)
        room = guardrails.max_periods_of_supply * demand - state.inventory_position
        supply = np.floor(np.maximum(room, 0.0) + _TOL)
        upper = np.minimum(upper, supply)
        lower = np.minimum(lower, upper)
        # a change-limit minimum that no whole-lot (MOQ) order in [lower, upper] meets wins only while
        # its rounded-up order stays under the cap; past the cap it drops to the largest allowed order
        least, most = _allowed_range(catalog, lower, upper)
        lower = np.where((least > upper) & (least > supply), most, lower)
    if guardrails.critical is not None:
        critical = _critical(guardrails, catalog)
        minimum = np.asarray(by_sku_labels(guardrails.critical_min_order, catalog.sku, "critical_min_order"),
                             dtype=np.float64)
        if minimum.ndim == 0:
            minimum = np.full(n, float(minimum))
        elif minimum.shape != (n,):
            raise PlanningError(f"critical_min_order must be one number or {n} (one per SKU)",
                                column="critical_min_order", value=f"shape {minimum.shape}")
        floor = critical & (minimum > 0)
        lower = np.where(critical, np.maximum(lower, np.ceil(minimum - _TOL)), lower)
        upper = np.maximum(upper, lower)
        upper = np.where(floor, _reach_floor(catalog, lower, upper, np.ceil(minimum - _TOL)), upper)
    return lower + 0.0, upper + 0.0  # ceil(0 - tol) is -0.0: adding 0.0 makes every zero positive


def _reach_floor(catalog: Catalog, lower: NDArray[np.float64], upper: NDArray[np.float64],
                 minimum: NDArray[np.float64]) -> NDArray[np.float64]:
    """``upper`` raised, where no order the catalog allows lies in ``[lower, upper]`` and the largest one under
    ``upper`` is below ``minimum``, to the smallest allowed order ``>= lower`` (when the maximum order allows one).

    A critical minimum is a safety floor: :func:`repair_bounds` takes the allowed order closest to a band that
    holds none, which may be the one below it, under the minimum.
    """
    largest = _largest_allowed(catalog)
    least, _ = _allowed_range(catalog, lower, upper)
    _, most = _allowed_range(catalog, lower, np.minimum(upper, largest))
    below_floor = (least > np.minimum(upper, largest)) & (most < minimum - _TOL) & (least <= largest)
    return np.where(below_floor, least, upper)


def _largest_allowed(catalog: Catalog) -> NDArray[np.float64]:
    """The largest order the catalog allows per SKU (whole lots, MOQ, ``max_order``; 0 if none; inf without a
    maximum)."""
    maximum = np.asarray(catalog.max_order, dtype=np.float64)
    return _allowed_range(catalog, np.zeros_like(maximum), maximum)[1]


def _critical(guardrails: Guardrails, catalog: Catalog) -> NDArray[np.bool_]:
    """``guardrails.critical`` as one flag per catalog SKU (a pandas Series indexed by SKU by its labels:
    read by position, a Series in another SKU order gave the minimum to other SKUs than the critical ones)."""
    critical = np.asarray(by_sku_labels(guardrails.critical, catalog.sku, "critical"))
    if critical.shape != (catalog.n_skus,):
        raise PlanningError(f"critical must have {catalog.n_skus} values (one per SKU)", column="critical",
                            value=f"shape {critical.shape}")
    return critical.astype(bool)


def _sku_values(values: ArrayLike, column: str, catalog: Catalog, *, minimum: float | None = 0.0,
                allow_inf: bool = False) -> NDArray[np.float64]:
    """One number (>= ``minimum``; finite unless ``allow_inf``) per SKU, else a :class:`PlanningError`
    naming the first bad SKU and value.

    A pandas Series indexed by SKU is read by its labels (it was read by position, so a Series
    in another order gave each SKU another's value); it must list every catalog SKU once.
    """
    values = by_sku_labels(values, catalog.sku, column)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise PlanningError("must be numbers, one per SKU", column=column) from None
    if arr.shape != (catalog.n_skus,):
        raise PlanningError(f"must have {catalog.n_skus} values (one per SKU), got shape {arr.shape}",
                            column=column)
    # at most MAX_QUANTITY units (an allowed inf stays allowed): an incumbent or forecast of 1e300 gave bounds the
    # repair could not place, a RuntimeError
    return check_array(arr, column, catalog.sku, "guardrails", minimum=minimum, allow_inf=allow_inf,
                       maximum=MAX_QUANTITY)


def _forecast_per_period(forecast: ArrayLike, catalog: Catalog) -> NDArray[np.float64]:
    """Mean forecast demand per period and SKU from shape (n,) or (n, h), checked finite and >= 0."""
    try:
        demand = np.asarray(forecast, dtype=np.float64)
    except (TypeError, ValueError):
        raise PlanningError("must be numbers", column="forecast") from None
    n = catalog.n_skus
    if demand.ndim == 1:
        return _sku_values(demand, "forecast", catalog)
    if demand.ndim != 2 or demand.shape[0] != n or demand.shape[1] == 0:
        raise PlanningError(f"must have shape ({n},) or ({n}, horizon), got {demand.shape}", column="forecast")
    # each row's worst value (NaN, then inf, then the smallest) names the SKU that fails the check
    worst = np.where(np.isnan(demand).any(axis=1), np.nan,
                     np.where(np.isinf(demand).any(axis=1), np.inf, demand.min(axis=1)))
    _sku_values(worst, "forecast", catalog)
    return demand.mean(axis=1)


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

    The repair orders whole lots, at least the MOQ when positive, at most the maximum order.
    Where such an order lies in ``[lower, upper]`` the bounds are returned as given. Where none
    does, the bounds are moved to the allowed order *closest* to the band: the largest one below
    ``lower`` or the smallest one above ``upper``, whichever is nearer, the lower one on a tie
    (and the largest allowed order when none lies above). A critical minimum is not broken by
    this: :func:`apply_guardrails` widens a critical SKU's band to an allowed order at or above
    its minimum. Until 2026-12-06 the minimum always won, so a band of [2, 12] with a MOQ of 36
    ordered 36, 24 units over the band, where 0 is 2 units under it.

    Returns
    -------
    lower, upper : arrays of float
        Bounds :func:`hybridinv.repair.repair_orders` accepts without conflict.
    outside : array of bool
        SKUs whose order must lie outside ``[lower, upper]`` (no allowed order lies in it).
    """
    low = np.asarray(lower, dtype=np.float64)
    high = np.asarray(upper, dtype=np.float64)
    largest = _largest_allowed(catalog)
    reachable = np.minimum(high, largest)
    least, _ = _allowed_range(catalog, low, high)  # the smallest allowed order >= lower (may pass the largest)
    _, most = _allowed_range(catalog, low, reachable)  # the largest allowed order <= upper
    outside = least > reachable
    with np.errstate(invalid="ignore"):  # inf - inf where a band is open above (never outside)
        down = outside & ((least > largest) | (low - most <= least - high + _TOL))
    up = outside & ~down
    return np.where(down, most, low), np.where(down, most, np.where(up, least, high)), outside


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
    rows. Where no order the catalog allows lies in a SKU's band, the allowed order closest to it
    is placed (the lower one on a tie) and a :class:`~hybridinv.core.errors.ConstraintViolationWarning`
    names the SKU, its band and its order. A minimum order the shared rows cannot afford is still placed: the
    repair then reports the violated rows with a
    :class:`~hybridinv.core.errors.ConstraintViolationWarning`, as it does for a
    minimum above the catalog's maximum order. Without any catalog rule or shared
    constraint the orders are rounded up to whole units and clipped to the whole
    numbers within the bounds (the closest whole number where none fits).

    Raises
    ------
    PlanningError
        For a desired quantity that is not a finite number, or a bound that is
        negative, NaN (or, for ``lower``, infinite) or a ``lower`` above ``upper``, naming the SKU.
    RuntimeError
        If the repair returned an order outside the bounds (defensive check).
    """
    return _guarded(desired, catalog, state, constraints, (lower, upper), repair_options)[0]


def _guarded(
    desired: ArrayLike, catalog: Catalog, state: InventoryState, constraints: Constraints,
    bounds: tuple[ArrayLike, ArrayLike], repair_options: dict[str, Any], warn: bool = True,
) -> tuple[NDArray[np.float64], RepairResult | None, NDArray[np.bool_]]:
    """:func:`guarded_repair`'s orders, the repair's result (None without catalog rules or shared rows) and the
    SKUs whose order lies outside their band (warned about unless ``warn`` is False)."""
    from hybridinv.repair.inputs import check_state

    check_state(catalog, state)
    lower, upper = bounds
    lower = _sku_values(lower, "lower", catalog)
    upper = _sku_values(upper, "upper", catalog, allow_inf=True)
    crossed = lower > upper + _TOL
    if crossed.any():  # lower 5, upper 2 placed 5 without a word
        i = int(np.flatnonzero(crossed)[0])
        raise PlanningError(f"the lower bound is above the upper bound {upper[i]:g}", column="lower",
                            sku=catalog.sku[i], value=float(lower[i]))
    low, high, outside = repair_bounds(catalog, lower, upper)
    if not _has_rules(catalog, constraints):
        wanted = np.maximum(_sku_values(desired, "desired", catalog, minimum=None), 0.0)
        least, most = _allowed_range(catalog, low, high)
        orders = np.clip(np.ceil(wanted - _TOL), least, np.maximum(most, least))
        result = None
    else:
        from hybridinv.repair import repair_orders

        result = repair_orders(desired, catalog, state, constraints, lower=low, upper=high, **repair_options)
        orders = np.asarray(result.orders, dtype=np.float64)
        beyond = (orders < low - _TOL) | (orders > high + _TOL)
        if beyond.any():  # the repair enforces the bounds; this only guards against regressions
            i = int(np.flatnonzero(beyond)[0])
            raise RuntimeError(
                f"repair returned {orders[i]:g} for SKU {catalog.sku[i]!r} outside [{low[i]:g}, {high[i]:g}]"
            )
    if warn and outside.any():
        _warn_outside(catalog, lower, upper, orders, outside)
    return orders, result, outside


def _warn_outside(catalog: Catalog, lower: NDArray[np.float64], upper: NDArray[np.float64],
                  orders: NDArray[np.float64], outside: NDArray[np.bool_]) -> None:
    """Say which SKUs order outside their guardrail band because no order the catalog allows lies in it (a
    band of [2, 12] with a MOQ of 36 ordered 36 without a word until 2026-12-06)."""
    where = np.flatnonzero(outside)
    shown = [f"SKU {catalog.sku[i]!r} orders {orders[i]:g}, band [{lower[i]:g}, {upper[i]:g}] (lots of "
             f"{catalog.lot_size[i]:g}, MOQ {catalog.moq[i]:g}, maximum order {catalog.max_order[i]:g})"
             for i in where[:3]]
    more = f"; and {where.size - 3} more" if where.size > 3 else ""
    warnings.warn(
        f"guardrail broken for {where.size} SKU(s): no order the catalog allows (whole lots, MOQ, maximum order) "
        f"lies in the band, so the closest allowed order is placed (the lower one on a tie): {'; '.join(shown)}"
        f"{more}",
        ConstraintViolationWarning,
        stacklevel=4,  # the caller of guarded_repair
    )


def guardrail_report(
    guardrails: Guardrails,
    catalog: Catalog,
    state: InventoryState,
    incumbent_orders: ArrayLike | None,
    forecast: ArrayLike,
    desired: ArrayLike,
    final: ArrayLike,
) -> pd.DataFrame:
    """Per SKU: incumbent, desired and final order, bounds, and which guardrail was active.

    ``active`` names the guardrail that moved the order away from the desired
    quantity (``"max_change"``, ``"periods_of_supply"``, ``"critical_minimum"``) or is
    empty; ``binding`` is True where the final order sits on a bound rounded to
    the orders the catalog allows (whole lots, MOQ), which is where the repair
    keeps it (:func:`guarded_repair`); ``violated`` is True where the final order lies
    outside ``[lower, upper]``: the closest allowed order to a band no order the catalog allows
    meets (:func:`repair_bounds`), or an order changed by hand after the repair. An order beyond
    a bound is not binding (it was, for any order above the cap).

    ``incumbent_orders``, ``desired`` and ``final`` are one number per SKU, read as
    :func:`apply_guardrails` reads the incumbent: a pandas Series indexed by SKU by its labels.

    Raises
    ------
    PlanningError
        As :func:`apply_guardrails`, and for an ``incumbent_orders``, ``desired`` or ``final``
        that does not have one value per SKU (a Series: every catalog SKU once), is not a
        number, is NaN or infinite, or (``incumbent_orders``, ``final``) is negative; the
        message names the column, the SKU and the value.
    """
    lower, upper = apply_guardrails(guardrails, catalog, state, incumbent_orders, forecast)
    low, high = repair_bounds(catalog, lower, upper)[:2]
    least, most = _allowed_range(catalog, low, high)
    # by SKU label, as apply_guardrails reads the incumbent: they were read by position (and not checked)
    incumbent_arr = (_sku_values(incumbent_orders, "incumbent_orders", catalog) if incumbent_orders is not None
                     else np.full(catalog.n_skus, np.nan))
    desired_arr = _sku_values(desired, "desired", catalog, minimum=None)
    final_arr = _sku_values(final, "final", catalog)
    n = catalog.n_skus
    unguarded = Guardrails()
    change = (apply_guardrails(Guardrails(guardrails.max_change_units, guardrails.max_change_fraction),
                               catalog, state, incumbent_orders, forecast)
              if guardrails.limits_change else apply_guardrails(unguarded, catalog, state, None, forecast))
    supply = apply_guardrails(Guardrails(max_periods_of_supply=guardrails.max_periods_of_supply),
                              catalog, state, None, forecast)
    critical = _critical(guardrails, catalog) if guardrails.critical is not None else np.zeros(n, dtype=bool)
    raised = desired_arr < lower - _TOL
    cut = desired_arr > upper + _TOL
    active = text_full(n, "")
    # a cut order is named after the tighter cap (both may be below the desired quantity)
    by_change = cut & (desired_arr > change[1] + _TOL) & ~(supply[1] < change[1] - _TOL)
    active = np.where(by_change, "max_change", active)
    active = np.where(cut & (desired_arr > supply[1] + _TOL) & (active == ""), "periods_of_supply", active)
    active = np.where(raised & (desired_arr < change[0] - _TOL), "max_change", active)
    active = np.where(raised & critical & (lower > change[0]), "critical_minimum", active)
    # outside the band itself: a band no allowed order meets (the repair places the closest one, outside it) was
    # judged against the repair's bounds, so 36 under a band of [2, 12] read violated=False
    violated = (final_arr < lower - _TOL) | (final_arr > upper + _TOL)
    # a final order far above the cap was called binding (final >= the cap): beyond a bound is a violation
    binding = ~violated & (((final_arr <= least + _TOL) & (least > 0)) | (final_arr >= most - _TOL))
    return pd.DataFrame({
        "sku": catalog.sku,
        "incumbent": incumbent_arr,
        "desired": desired_arr,
        "final": final_arr,
        "lower": lower,
        "upper": upper,
        "active": active,
        "binding": binding,
        "violated": violated,
    })


class GuardedPolicy:
    """Run ``policy`` under guardrails relative to an ``incumbent`` policy.

    Each period the incumbent's orders and the forecast give per-SKU bounds
    (:func:`apply_guardrails`); the policy's desired orders are repaired within
    them (:func:`guarded_repair`). Implements the policy interface (``act``), so it
    runs in :func:`hybridinv.simulate` and the shadow replay, and ``decide``, so ``plan()`` shows the
    policy's own desired quantities, says ``guardrail`` where a bound moved an order, and keeps the
    bounds (a critical minimum the budget cannot pay for is placed and the broken row reported; until
    2026-12-06 ``plan()`` saw only the guarded orders: every SKU read ``unchanged``, and such a
    minimum was repaired away without a word).

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
        for role, member in (("policy", policy), ("incumbent", incumbent)):
            if member is not None or role == "policy":
                require_policy(member, role)
        if not isinstance(guardrails, Guardrails):
            raise PlanningError("must be a Guardrails", column="guardrails", value=type(guardrails).__name__)
        if guardrails.limits_change and incumbent is None:  # refused at the first decision before
            raise PlanningError("a change limit needs the incumbent policy", column="incumbent")
        self.policy = policy
        self.incumbent = incumbent
        self.guardrails = guardrails
        self.repair = repair
        self.name = f"guarded_{getattr(policy, 'name', type(policy).__name__)}"
        self._last: tuple[Any, ...] | None = None
        self._breaches = BreachLog()

    def reset(self, scenario: Any = None) -> None:
        """Reset the policies and start a new episode (:attr:`breaches` empty)."""
        for member in (self.policy, self.incumbent):
            reset = getattr(member, "reset", None)
            if callable(reset):
                reset(scenario)
        self._breaches = BreachLog()

    @property
    def breaches(self) -> pd.DataFrame:
        """The broken guardrails of the current (or last) simulated episode, or of the decisions since the last
        :meth:`reset` outside a simulation: one row per period and SKU whose order lies outside its band because no
        order the catalog allows lies in it, with ``period``, ``sku``, ``order``, ``lower``, ``upper`` and
        ``outside_by`` (units outside the band)."""
        return self._breaches.frame()

    def act(self, obs: Observation) -> NDArray[np.float64]:
        return self.decide(obs).orders

    def decide(self, obs: Observation) -> Decision:
        """The guarded orders with the policy's desired quantities, targets and the bounded repair's result."""
        from hybridinv.policies.base import GUARDRAIL_BOUND, Decision

        decide = getattr(self.policy, "decide", None)
        inner = decide(obs) if callable(decide) else None
        inner = inner if isinstance(inner, Decision) else None
        desired = inner.desired if inner is not None else self.policy.act(obs)
        incumbent = self.incumbent.act(obs) if self.incumbent is not None else None
        forecast = obs.forecast(1)[:, 0]
        state = obs.state()
        lower, upper = apply_guardrails(self.guardrails, obs.catalog, state, incumbent, forecast)
        options = {"backend": self.repair, "expected_demand": obs.forecast(int(obs.catalog.lead_time.max()) + 1),
                   "warn": False}
        # in a simulation the same band is broken period after period: one warning a period printed dozens of lines
        # for one run, so the episode's breaches are kept (breaches) and summarized once, at its last period
        ledger = obs.ledger
        if ledger is not None and obs.period == 0:
            self._breaches = BreachLog()  # a new episode without reset()
        orders, result, outside = _guarded(desired, obs.catalog, state, obs.constraints, (lower, upper), options,
                                           warn=ledger is None)
        self._breaches.add(obs.period, obs.catalog, lower, upper, orders, outside)
        if ledger is not None and obs.period == ledger.periods - 1:
            self._breaches.warn_summary(ledger.periods, stacklevel=3)  # the caller of act()
        self._last = (obs.catalog, state, incumbent, forecast, desired, orders)
        extra = {} if inner is None else dict(inner.extra)
        if result is None:  # no repair to flag what the bounds moved: the bounds against the rounded-up desire
            wanted = np.ceil(np.maximum(np.asarray(desired, dtype=np.float64), 0.0) - _TOL)
            extra[GUARDRAIL_BOUND] = np.abs(orders - wanted) > _TOL
        if inner is None:
            return Decision(orders, np.asarray(desired, dtype=np.float64), repair=result, extra=extra)
        return Decision(orders, inner.desired, inner.reorder_point, inner.order_up_to, result, extra,
                        inner.explanation)

    def report(self) -> pd.DataFrame:
        """Guardrail report (:func:`guardrail_report`) of the last period's decision."""
        if self._last is None:
            raise RuntimeError("no decision yet: call act() first")
        catalog, state, incumbent, forecast, desired, orders = self._last
        return guardrail_report(self.guardrails, catalog, state, incumbent, forecast, desired, orders)

    def __repr__(self) -> str:
        return f"GuardedPolicy({self.policy!r}, {self.guardrails!r})"
