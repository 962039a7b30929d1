"""plan(): one period's orders from a user's state, catalog, constraints and forecast."""

from __future__ import annotations

import math
import threading
import time
import warnings
import weakref
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from typing import Any

import numpy as np
import pandas as pd

from hybridinv.core._frame import ExtraColumns, by_sku_labels
from hybridinv.core.ages import stock_by_life
from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import (
    ConstraintViolationWarning,
    PlanningError,
    PlanningWarning,
    flag,
    require_policy,
)
from hybridinv.core.errors import periods_per_year as periods_per_year_value
from hybridinv.core.feasibility import OrderCheck, check_orders
from hybridinv.core.flags import text_full
from hybridinv.core.limits import MAX_ORDER, MAX_QUANTITY
from hybridinv.core.state import InventoryState
from hybridinv.forecast import forecast_length, read_forecast
from hybridinv.policies.base import GUARDRAIL_BOUND, Decision, Policy
from hybridinv.policies.explain import NEGATIVE_DESIRED, ROUNDING, implied_explanation
from hybridinv.sim.fifo import expected_outdating
from hybridinv.sim.observation import Observation

__all__ = ["plan"]

#: Horizon of forecast periods handed to the policy (covers lead times and MPC windows).
_MIN_HORIZON = 8
# forecast periods used beyond the longest protection interval: a year (periods_per_year), at least 52
_MAX_LOOKAHEAD = 52
#: ``unbounded_batch`` warns when a SKU's economic order quantity covers more periods of demand than this
_FREE_HOLDING_PERIODS = 520


_POLICY_LOCKS: dict[int, threading.RLock] = {}
_POLICY_LOCKS_GUARD = threading.Lock()


def _policy_lock(policy: object) -> threading.RLock:
    """The lock of a policy object (a name makes a new policy each call and needs none). Its fitted values are
    the object's state, so two threads planning with one object must take turns; other objects plan at once."""
    key = id(policy)
    with _POLICY_LOCKS_GUARD:
        lock = _POLICY_LOCKS.get(key)
        if lock is None:
            lock = _POLICY_LOCKS[key] = threading.RLock()
            with suppress(TypeError):  # an object without weak references keeps its lock
                weakref.finalize(policy, _POLICY_LOCKS.pop, key, None)
        return lock


#: Attributes through which a policy object holds other policy objects (``Monitor.primary`` / ``fallback``,
#: the guardrail's ``policy`` / ``incumbent``, a hybrid's classical ``base``).
_WRAPPED_POLICIES = ("primary", "fallback", "policy", "incumbent", "base")


@contextmanager
def _policy_locks(policy: object) -> Iterator[None]:
    """Hold the lock of ``policy`` and of every policy object it wraps, in one global order (by id: two threads
    taking two wrappers' locks never wait on each other in a cycle). One newsvendor inside two ``Monitor`` objects
    planned 9 of 400 threaded plans with the other catalog's levels when only the outer object was locked."""
    found: dict[int, object] = {}
    pending = [policy]
    while pending:
        item = pending.pop()
        if id(item) in found or isinstance(item, str | Mapping) or not callable(getattr(item, "act", None)):
            continue
        found[id(item)] = item
        pending.extend(getattr(item, name, None) for name in _WRAPPED_POLICIES)
    with ExitStack() as stack:
        for key in sorted(found):
            stack.enter_context(_policy_lock(found[key]))
        yield


def _as_policy(policy: Policy | str, options: dict[str, Any]) -> Policy:
    if isinstance(policy, str):
        from hybridinv.policies import registry

        return registry.make(policy, None, **options)
    if options:
        raise PlanningError(f"policy options {sorted(options)} only apply when the policy is given by name")
    require_policy(policy, "policy", "must be a policy name or an object with act(observation)")
    return policy


def plan(
    state: InventoryState | pd.DataFrame,
    catalog: Catalog | pd.DataFrame,
    constraints: Constraints | Mapping[str, Any] | None = None,
    forecast: pd.DataFrame | None = None,
    policy: Policy | str = "hybrid",
    *,
    open_orders: pd.DataFrame | None = None,
    demand_history: pd.DataFrame | None = None,
    forecast_history: pd.DataFrame | None = None,
    stock_ages: pd.DataFrame | None = None,
    lost_sales: bool = True,
    period: int = 0,
    periods_per_year: int = 52,
    extra_columns: ExtraColumns = "error",
    validate: bool | int = False,
    **options: Any,
) -> pd.DataFrame:
    """Plan this period's orders for every SKU.

    Whatever the policy returns is checked before it leaves: every order in the
    result is a whole number, ``>= 0``, ``0`` or at least ``moq``, a multiple of
    ``lot_size``, at most ``max_order``, and fits the capacity rows, the budget
    and the supplier capacities (:func:`hybridinv.core.check_orders`). Orders that
    break any of these — from a custom policy, or from a registered one built
    with ``repair=None`` — are repaired by :func:`hybridinv.repair.repair_orders`
    with the policy's orders as the desired quantities (``diagnostics["order_check"]``
    says so and lists what was broken), so ``repair=None`` cannot switch the
    repair off in ``plan()``. Negative orders count as 0 desired (reason
    ``negative_desired``); NaN, infinite or absurdly large orders (above
    :data:`hybridinv.core.MAX_ORDER`) are refused. Only rows that no plan can meet
    (stock already above capacity) may stay over-used: they are listed in
    ``diagnostics["violations"]`` and a :class:`ConstraintViolationWarning` is issued.

    Parameters
    ----------
    state : DataFrame or InventoryState
        ``sku``, ``on_hand``, optional ``backorders`` and ``pipeline_<k>`` columns.
    catalog : DataFrame or Catalog
        The catalog (see :class:`hybridinv.Catalog` for the columns).
    constraints : Constraints or dict, optional
        ``capacity``, ``budget``, ``supplier_capacity``.
    forecast : DataFrame, optional
        ``sku``, ``period``, ``mean`` and optionally ``std`` or quantile columns
        ``q0.1`` … ``q0.9``. ``period`` counts whole periods; the frame's first
        period is the one being planned and every SKU's rows must start there
        and have no gaps (see docs/concepts.md). Without it (or for SKUs without
        rows) the catalog's ``demand_mean`` / ``demand_std`` are used.
    policy : str or policy object
        A registered name (``"hybrid"``, ``"newsvendor"``, ``"ss"``, ``"base_stock"``,
        ``"dynamic_ss"``, ``"mpc"``, ...) or any object with ``act(observation)``.
    open_orders : DataFrame, optional
        Long frame of open orders (``sku``, ``arrives_in``, ``quantity``).
    demand_history : DataFrame, optional
        Wide frame (``sku`` + one column per past period, oldest first) for
        policies that look at recent demand.
    forecast_history : DataFrame, optional
        The forecasts that were made for the periods of ``demand_history`` (same
        layout and columns). With both, the hybrid agent measures how far demand
        has drifted from its forecast and corrects the forecast level
        (:mod:`hybridinv.rl.adaptive`); ``demand_history`` alone gives no such
        correction, and ``plan()`` warns (:class:`PlanningWarning`).
    stock_ages : DataFrame, optional
        The ages of perishable stock on hand: a long frame (``sku``, ``life_left``, ``quantity``), a row per lot,
        ``life_left`` the periods its units can still be sold in, this one included (1: they expire at the end
        of this period; at most the SKU's ``shelf_life``). Units on hand that no row covers are fresh, as all
        are without the frame (:func:`hybridinv.core.ages.stock_by_life`). ``mpc`` plans their expiry, and
        ``expiring_before_arrival`` and the ``expiring_stock`` warning count it.
    lost_sales : bool
        Whether unmet demand is lost (True) or backordered.
    period : int
        Index of the planned period, a whole number >= 0 (seasonal context for learned policies).
    periods_per_year : int
        Periods in a year (52 for weeks, 12 for months, a whole number from 1 to MAX_PERIODS): where ``period``
        falls in the year for learned policies that read the season, and how far ahead the
        forecast-based policies build stock for a peak (a year: the forecast is read up to
        ``max(52, periods_per_year)`` periods past the longest lead time + 1).
    extra_columns : "error", "ignore" or list of str
        Columns the state, catalog, forecast and open-order frames do not know are
        an error naming the closest known column (a misspelled optional column
        would otherwise be ignored and change the plan); ``"ignore"`` allows any,
        a list allows the columns named.
    validate : bool or int
        Validation gate of the hybrid (:mod:`hybridinv.rl.gate`): replay the last 12
        (or ``validate``) periods of ``demand_history`` with the hybrid and its base
        policy and plan with the base, saying why, when the hybrid would have cost
        more beyond the noise (the paired 95% intervals over SKUs and over periods above
        zero; ``diagnostics["validation_gate"]``). Needs ``demand_history``. ``False`` or
        ``0``: no gate.
    **options
        Passed to the policy factory when ``policy`` is a name, e.g. ``repair="highs"``
        (the repair backend: ``"fast"``, ``"auto"``, ``"highs"``, ``"pulp"``; by default
        the hybrid uses ``"fast"`` and the classical policies ``"auto"``) or, for the
        hybrid, ``model="DIR"`` (a model directory, verified against its hashes).

    Returns
    -------
    DataFrame
        One row per SKU: ``sku``, ``order_qty``, ``desired_qty`` (what the policy
        wanted), ``reorder_point``, ``order_up_to``, ``on_hand``, ``inventory_position``,
        ``expiring_before_arrival`` (units of a perishable SKU expected to expire before an order placed now
        arrives, at the forecast demand; 0 for SKUs that do not perish; the policies but ``mpc`` count them in
        ``inventory_position``: docs/policies.md, *Perishables in plan()*), ``forecast_mean``, ``order_value``
        (``order_qty * unit_cost``; the catalog's ``order_cost`` is the fixed cost per order); why the
        target is what it is (:mod:`hybridinv.policies.explain`): ``protection_demand``,
        ``forecast_correction``, ``safety_factor``, ``safety_shift``, ``safety_stock``,
        ``capacity_price``, ``order_cap``, ``capped``, ``build_ahead`` (units bought ahead of a
        peak the budget cannot pay for), ``target_reason``; why the order
        differs from the desired quantity: ``reason`` and one boolean column per repair flag
        (``max_order``, ``moq``, ``lot_rounding``, ``capacity``, ``budget``, ``supplier_capacity``,
        ``negative_desired``, ``guardrail``; present when no repair ran too, all false but
        ``negative_desired``). Every code of ``reason`` and ``target_reason`` is explained in
        :data:`hybridinv.reasons.REASON_LEGEND` (docs/concepts.md). ``.attrs`` holds
        ``diagnostics``: policy, objective, bound, gap, ``repair`` (backend, status, the shadow prices
        ``capacity_price``/``budget_price``/``supplier_price``, row use and limits; after a build-ahead
        those of its second repair, and ``rule_repair`` the same of the first, which repaired the rule's
        orders),
        ``violations`` (rows no plan can meet), ``order_check``, ``warnings`` (every
        message of this call: violations, a budget too small for any order, a capacity no SKU's
        volume uses, SKUs whose batch nothing limits, ``demand_history`` without ``forecast_history``, SKUs
        in only one of the two histories: ``history_gaps``, their drift correction off; SKUs in neither, read as their
        forecast in every past period),
        ``budget_too_small``, ``unbounded_batch``,
        ``drift_correction`` (true when some SKU's forecast was corrected for drift), ``spend`` and
        ``budget_used`` (the capacity rows' use of the new orders is in ``repair.row_usage`` when a repair
        ran), timing.

    Raises
    ------
    PlanningError
        Invalid input, naming the column, SKU and value; a policy returning NaN,
        infinite or absurdly large orders, or orders of the wrong shape.

    Warns
    -----
    ConstraintViolationWarning
        When rows cannot all be met (the closest plan is returned).
    PlanningWarning
        When the budget is below the cheapest order of every SKU that needs stock,
        ``demand_history`` comes without ``forecast_history``, or a perishable SKU holds or
        orders more than its forecast sells within the shelf life (stock on hand is taken as
        fresh unless ``stock_ages`` gives its ages; only ``mpc`` models expiry: docs/policies.md, *Perishables in
        plan()*), among others
        listed in ``diagnostics["warnings"]``.

    Notes
    -----
    ``plan()`` changes no global state (no warning filters), so it can run in
    several threads at once. Calls that share one policy *object* take turns (its
    fitted values are its state); a policy given by name is made for the call.
    """
    started = time.perf_counter()
    _check_flags(lost_sales, period)
    periods_per_year = periods_per_year_value(periods_per_year)
    cat = catalog if isinstance(catalog, Catalog) else Catalog.from_frame(catalog, extra_columns=extra_columns)
    if isinstance(state, InventoryState):
        inv = state.aligned(cat)
        if open_orders is not None:
            inv = inv.with_open_orders(open_orders, extra_columns=extra_columns)
    else:
        inv = InventoryState.from_frame(state, catalog=cat, open_orders=open_orders, extra_columns=extra_columns)
    by_life = None if stock_ages is None else stock_by_life(stock_ages, cat, inv.on_hand, extra_columns=extra_columns)
    cons = Constraints.coerce(constraints)
    # the forecast is used as far as it goes, up to a year past the longest lead time (build-ahead)
    given = forecast_length(forecast)
    protection = int(cat.lead_time.max()) + 1
    horizon = max(_MIN_HORIZON, protection + 1, min(given, protection + max(_MAX_LOOKAHEAD, periods_per_year)))
    mean, std, from_catalog, known = read_forecast(cat, forecast, horizon, extra_columns=extra_columns)
    history, no_demand = _history_array(cat, demand_history)
    past_forecast, no_forecast = _history_array(cat, _same_periods(forecast_history, demand_history),
                                                "forecast_history")
    if past_forecast is not None and (history is None or past_forecast.shape != history.shape):
        raise PlanningError(
            "forecast_history needs a demand_history with the same period columns",
            column="forecast_history",
            value=None if forecast_history is None else [c for c in forecast_history.columns if c != "sku"],
        )
    history_gaps = None
    if history is not None and past_forecast is not None and (lone := no_demand ^ no_forecast).any():
        # a SKU in one history and not the other: its drift would compare real numbers with the catalog's
        # demand_mean; the missing history copies the given one instead, so its drift is 0 (no correction)
        given_demand, given_forecast = history, past_forecast
        history = np.where(no_demand[:, None], given_forecast, given_demand)
        past_forecast = np.where(no_forecast[:, None], given_demand, given_forecast)
        first = int(np.flatnonzero(lone)[0])
        table = "demand_history" if no_demand[first] else "forecast_history"
        history_gaps = (
            f"{int(lone.sum())} SKU(s) are in only one of demand_history and forecast_history (first: "
            f"{str(cat.sku[first])!r}, missing from {table}): their forecast-drift correction is off"
        )
    history, past_forecast, history_missing = _fill_missing_history(
        cat, history, past_forecast, no_demand & (no_forecast if past_forecast is not None else True), mean[:, 0])
    obs = Observation.from_state(
        inv, cat, cons, mean, std, history, period=period, lost_sales=lost_sales, forecast_history=past_forecast,
        forecast_periods=known,  # per SKU: what repeats a SKU's last row is not a forecast
        periods_per_year=periods_per_year,
        history_filled=no_demand,  # a Monitor leaves them out of the period it observes: not realized demand
        stock_by_life=by_life,
    )
    # one plan() at a time per policy object: a policy shared by threads refits on each catalog, and another
    # thread's fit read mid-decision planned one catalog with another's levels (wrong orders, no error)
    with _policy_locks(policy):
        pol = _as_policy(policy, options)
        gate = None
        no_gate = validate is False or (
            isinstance(validate, int | np.integer) and not isinstance(validate, bool | np.bool_) and validate == 0
        )  # 0 (== False) raised "must be True, False or a number of periods >= 1"
        if not no_gate:
            pol, gate = _gate(pol, validate, cat, cons, history, past_forecast, lost_sales)
        proposed = _proposed(pol, obs, cat)
        decision, check, order_check = _checked(proposed, obs, cat, inv, cons)
        placed = getattr(pol, "placed", None)
        if callable(placed):  # a Monitor rebuilds the next period's KPIs from the orders placed, not the wanted ones
            placed(np.asarray(check.orders, dtype=np.float64))
    frame = _frame(cat, inv, obs, decision, check.orders, mean)
    notes = _notes(proposed, check, cat, cons, history is not None and past_forecast is None, lost_sales,
                   mean.mean(axis=1), obs)
    if gate is not None and not gate.use_hybrid:
        notes["validation_gate"] = gate.reason
    backorders = np.asarray(obs.backorders, dtype=np.float64)
    owed = np.flatnonzero(backorders > 0)
    if lost_sales and owed.size:  # under lost sales nothing is owed: likely a forgotten lost_sales=False
        notes["backorders_with_lost_sales"] = (
            f"the state owes backorders for {owed.size} SKU(s) (first {str(cat.sku[owed[0]])!r}: "
            f"{backorders[owed[0]]:g}) under lost_sales=True, where unmet demand is lost: they lower the "
            "inventory position and are ordered for; if demand waits for stock, plan with lost_sales=False "
            "(CLI: --backorders), which also changes the cost rules"
        )
    notes.update(_expiry_notes(cat, obs, check.orders, mean, getattr(pol, "name", "")))
    if history_gaps is not None:
        notes["history_gaps"] = history_gaps
    if history_missing is not None:
        notes["history_missing"] = history_missing
    stale = _stale_forecast(forecast, period)
    if stale is not None:
        notes["forecast_period"] = stale
    if forecast is not None and from_catalog.any():  # only in diagnostics before: easy to miss
        notes["catalog_forecast"] = (
            f"{int(from_catalog.sum())} SKU(s) have no rows in the forecast (first: {str(cat.sku[from_catalog][0])!r}) "
            "and are planned on the catalog's demand_mean and demand_std"
        )
    fallback = None if decision.repair is None else decision.repair.diagnostics.fallback_reason
    if fallback is not None:
        notes["solver_fallback"] = f"repair solver fell back to the fast plan: {fallback}"
    diag = _diagnostics(pol, decision, cat, cons, frame, from_catalog, check, notes, started)
    if gate is not None:
        diag["validation_gate"] = gate.to_dict()
    diag["order_check"] = order_check
    # whether the forecast was corrected for drift: histories given and some SKU's forecast moved (it was True for
    # every policy given both histories, also those that never correct and a hybrid whose loose limits turn it off)
    correction = frame["forecast_correction"].to_numpy(dtype=np.float64) if "forecast_correction" in frame else None
    diag["drift_correction"] = bool(history is not None and past_forecast is not None and correction is not None
                                    and (np.abs(np.nan_to_num(correction, nan=1.0) - 1.0) > 1e-12).any())
    frame.attrs["diagnostics"] = diag
    _warn(decision, check, notes, quiet_repair=bool(order_check.get("policy_bounds_kept")))
    return frame


def _gate(
    pol: Policy,
    validate: bool | int,
    cat: Catalog,
    cons: Constraints,
    history: np.ndarray | None,
    past_forecast: np.ndarray | None,
    lost_sales: bool,
) -> tuple[Policy, Any]:
    """The policy to plan with after the validation gate, and the gate's result."""
    from hybridinv.rl.adaptive import AdaptiveHybrid, CappedHybrid
    from hybridinv.rl.gate import MIN_LEAD_IN, validation_gate

    if not isinstance(pol, AdaptiveHybrid | CappedHybrid):
        raise PlanningError(
            "validate= replays the hybrid's learned corrections against its base, which needs an adaptive hybrid "
            "model (parameterization forecast_ss or forecast_capped, such as the shipped default), not this "
            "policy", column="validate", value=getattr(pol, "name", type(pol).__name__))
    if history is None:
        raise PlanningError("validate= replays recent periods and needs a demand_history", column="demand_history")
    count = isinstance(validate, (int, np.integer)) and not isinstance(validate, bool) and validate >= 1
    if validate is not True and not count:
        raise PlanningError("validate must be True, False or a number of periods >= 1", column="validate",
                            value=validate)
    room = history.shape[1] - MIN_LEAD_IN
    if validate is not True and int(validate) > room >= 1:  # True replays up to 12; an explicit count is kept
        raise PlanningError(f"validate asks for more periods than the demand_history holds after its first "
                            f"{MIN_LEAD_IN} (at most {room})", column="validate", value=int(validate))
    periods = 12 if validate is True else int(validate)
    result = validation_gate(pol, cat, cons, history, past_forecast, lost_sales, periods)
    if result.use_hybrid:
        return pol, result
    return pol.base_configuration(name=f"{pol.name}_base"), result


def _check_flags(lost_sales: object, period: object) -> None:
    flag(lost_sales, "lost_sales")
    if (isinstance(period, (bool, np.bool_)) or not isinstance(period, (int, np.integer)) or period < 0
            or period > MAX_QUANTITY):  # 10**30 was accepted: period numbers lie within MAX_QUANTITY
        raise PlanningError(f"must be a whole number from 0 to {MAX_QUANTITY:g}", column="period", value=period)


def _proposed(pol: Policy, obs: Observation, cat: Catalog) -> Decision:
    """The policy's decision: ``decide(obs)`` when it gives a :class:`Decision` (checked), else ``act(obs)``.

    A policy of the user's own with a ``decide`` method that returns orders was an AttributeError ('numpy.ndarray'
    object has no attribute 'orders'); a Decision whose desired quantities were not one finite number per SKU
    failed later with numpy's broadcast error, or (NaN) was explained as ``other``.
    """
    decide = getattr(pol, "decide", None)
    decision = decide(obs) if callable(decide) else None
    if not isinstance(decision, Decision):
        return _act(pol, obs, cat)
    _sku_numbers(decision.desired, cat, "desired_qty", "desired quantities")
    for name, values in (("reorder_point", decision.reorder_point), ("order_up_to", decision.order_up_to)):
        if values is not None:  # NaN: no target
            _sku_numbers(values, cat, name, f"{name} values", finite=False)
    return decision


def _act(pol: Policy, obs: Observation, cat: Catalog) -> Decision:
    """The policy's orders as a decision; a Series keyed by SKU is read by its labels (as the repair reads one)."""
    raw = by_sku_labels(pol.act(obs), cat.sku, "order_qty")  # read by position, each SKU got another's order
    return Decision(raw, raw)  # type: ignore[arg-type]  # checked by _policy_orders


def _sku_numbers(values: object, cat: Catalog, column: str, noun: str, finite: bool = True) -> np.ndarray:
    """A policy's per-SKU ``values`` (its ``noun``) as floats, refusing non-numbers, the wrong shape and (``finite``)
    NaN and inf, naming ``column`` (and the SKU)."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf" and arr.dtype.kind != "O":
        raise PlanningError(f"the policy returned {noun} of type {arr.dtype}, not numbers", column=column)
    try:
        numbers = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise PlanningError(f"the policy returned {noun} that are not numbers", column=column) from None
    if numbers.shape != (cat.n_skus,):
        raise PlanningError(f"the policy returned {noun} of shape {numbers.shape} for {cat.n_skus} SKUs",
                            column=column)
    bad = ~np.isfinite(numbers)
    if finite and bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PlanningError(f"the policy returned {noun} with a NaN or infinite value", column=column,
                            sku=cat.sku[i], value=float(numbers[i]))
    return numbers


def _policy_orders(orders: object, cat: Catalog) -> np.ndarray:
    """The policy's orders as floats, refusing non-numbers, the wrong shape, NaN, inf and absurd sizes."""
    values = _sku_numbers(orders, cat, "order_qty", "orders")
    huge = np.abs(values) > MAX_ORDER
    if huge.any():
        i = int(np.flatnonzero(huge)[0])
        raise PlanningError(
            f"the policy returned an order beyond {MAX_ORDER:g} units (hybridinv.core.MAX_ORDER)",
            column="order_qty",
            sku=cat.sku[i],
            value=float(values[i]),
        )
    return values


def _checked(
    proposed: Decision, obs: Observation, cat: Catalog, inv: InventoryState, cons: Constraints
) -> tuple[Decision, OrderCheck, dict[str, Any]]:
    """Check the policy's orders independently; repair them when they break a rule or an avoidable row."""
    raw = _policy_orders(proposed.orders, cat)
    expected = obs.forecast(int(cat.lead_time.max()) + 1)
    check = check_orders(raw, cat, inv, cons, expected)
    if check.acceptable:
        return proposed, check, {"policy_orders_accepted": True, "repaired": False, "problems": []}
    own = proposed.repair
    bounded = own is not None and own.problem.base is not None
    if own is not None and bounded and check.rules_hold and np.array_equal(raw, np.asarray(own.orders, dtype=float)):
        # the policy's own repair within per-SKU bounds (a guardrail's critical minimum) may have to break a row; it
        # reported the row, and a second repair without the bounds dropped the minimum without a word
        return proposed, check, {"policy_orders_accepted": True, "repaired": False,
                                 "problems": check.problems(cat.sku), "policy_bounds_kept": True}
    from hybridinv.repair import repair_orders

    result = repair_orders(raw, cat, inv, cons, expected_demand=expected)
    final = check_orders(result.orders, cat, inv, cons, expected)
    if not final.acceptable:  # the repair layer is trusted; this guards the guarantee, not the input
        raise PlanningError(f"the repaired orders still break {final.problems(cat.sku)}; please report this")
    decision = Decision(
        result.orders, raw, proposed.reorder_point, proposed.order_up_to, result, dict(proposed.extra),
        proposed.explanation,
    )
    return decision, final, {"policy_orders_accepted": False, "repaired": True, "problems": check.problems(cat.sku)}


def _same_periods(forecast_history: pd.DataFrame | None, demand_history: pd.DataFrame | None) -> pd.DataFrame | None:
    """``forecast_history`` with its period columns in the order of ``demand_history``'s, matched by name.

    Raises
    ------
    PlanningError
        When a period column of one is not a column of the other (the first such column).
    """
    if not (isinstance(forecast_history, pd.DataFrame) and isinstance(demand_history, pd.DataFrame)):
        return forecast_history  # the checks of each table and of their shapes name what is wrong
    periods = [c for c in demand_history.columns if c != "sku"]
    given = [c for c in forecast_history.columns if c != "sku"]
    if given == periods:
        return forecast_history
    for col in given:
        if col not in periods:
            raise PlanningError("forecast_history has a period column that demand_history does not have",
                                column=str(col), value=col)
    for col in periods:
        if col not in given:
            raise PlanningError("forecast_history lacks a period column of demand_history", column=str(col),
                                value=col)
    return forecast_history[[c for c in forecast_history.columns if c == "sku"] + periods]


def _fill_missing_history(
    cat: Catalog, history: np.ndarray | None, past_forecast: np.ndarray | None, missing: np.ndarray,
    forecast: np.ndarray,
) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    """SKUs the histories have no row for get the planned period's forecast in every period of both (no drift),
    and a note naming them (they got the catalog's ``demand_mean``, or 0 without one, without a word: a policy
    read 13 periods without demand, and the validation gate replayed them so)."""
    if history is None or not missing.any():
        return history, past_forecast, None
    history = np.where(missing[:, None], forecast[:, None], history)
    if past_forecast is not None:
        past_forecast = np.where(missing[:, None], forecast[:, None], past_forecast)
    first = int(np.flatnonzero(missing)[0])
    tables = "demand_history" if past_forecast is None else "demand_history nor forecast_history"
    return history, past_forecast, (
        f"{int(missing.sum())} SKU(s) are in no row of {tables} (first: {str(cat.sku[first])!r}): their history "
        "is taken as the planned period's forecast in every period (no drift correction)"
    )


def _history_array(
    cat: Catalog, history: pd.DataFrame | None, name: str = "demand_history"
) -> tuple[np.ndarray | None, np.ndarray]:
    """The history as (SKUs, periods) in catalog order, and which SKUs it has no row for (NaN there: the caller
    fills them, :func:`_fill_missing_history`).

    The period columns are read by position, oldest first: numbered or dated columns out of that order, a summary
    column (``Total``) or a skipped period are a :class:`PlanningError`, as in the backtest's wide histories
    (:func:`hybridinv.core._periods.period_columns_kind`; until 2026-12-06 they planned without a word)."""
    if history is None:
        return None, np.zeros(cat.n_skus, dtype=bool)
    from hybridinv.core._frame import numeric_column, refuse_headerless, require_frame, sku_column
    from hybridinv.core._periods import period_columns_kind

    history = require_frame(history, name)
    skus = sku_column(history, name)
    pos = cat.positions(skus, name)
    cols = [c for c in history.columns if c != "sku"]
    refuse_headerless(cols, name)  # a trailing comma: "value is NaN" named a column the file does not have
    period_columns_kind(cols, name)  # read by position as oldest first: newest first, a Total, a gap are errors
    out = np.full((cat.n_skus, len(cols)), np.nan)
    for k, col in enumerate(cols):
        out[pos, k] = numeric_column(history, col, skus, name, maximum=MAX_QUANTITY)
    missing = np.ones(cat.n_skus, dtype=bool)
    missing[pos] = False
    return out, missing


def _frame(
    cat: Catalog,
    inv: InventoryState,
    obs: Observation,
    decision: Decision,
    orders: np.ndarray,
    mean: np.ndarray,
) -> pd.DataFrame:
    n = cat.n_skus
    nan = np.full(n, np.nan)
    desired = np.asarray(decision.desired, dtype=np.float64)
    columns: dict[str, Any] = {
        "sku": cat.sku,  # an object array of str (Catalog guarantees it)
        "order_qty": orders.astype(np.int64),
        "desired_qty": desired,
        "reorder_point": nan if decision.reorder_point is None else decision.reorder_point,
        "order_up_to": nan if decision.order_up_to is None else decision.order_up_to,
        "on_hand": inv.on_hand,
        "inventory_position": obs.inventory_position,
        "expiring_before_arrival": obs.expiring_before_arrival,
        "forecast_mean": mean[:, 0],
        "order_value": orders * cat.unit_cost,
    }
    explanation = decision.explanation
    if explanation is None:
        explanation = implied_explanation(decision.reorder_point, *obs.protection_forecast())
    columns.update(explanation.columns(obs.inventory_position, decision.reorder_point))
    if decision.repair is not None:
        reasons = decision.repair.reasons(cat)
        first = decision.extra.get("_first_repair")
        if first is not None:  # build-ahead's second repair: SKUs it gave nothing keep the first repair's reasons
            own = ~(np.asarray(decision.extra["build_ahead"], dtype=np.float64) > 0)
            base = first.reasons(cat)
            reasons = {col: np.where(own, base[col], values) for col, values in reasons.items()}
    else:  # the same columns as a repaired plan: a plan.csv without them broke code that reads them
        from hybridinv.repair.result import REASONS, UNCHANGED

        reasons = {"reason": _unrepaired_reason(orders, desired)}
        for col in REASONS:
            reasons[col] = (desired < 0) if col == NEGATIVE_DESIRED else np.zeros(n, dtype=bool)
        bound = decision.extra.get(GUARDRAIL_BOUND)  # a guarded policy's bounds without a repair (no rules, no rows)
        if bound is not None:
            moved = np.asarray(bound, dtype=bool) & (reasons["reason"] != UNCHANGED)
            reasons["reason"] = np.where(moved, "guardrail", reasons["reason"])
            reasons["guardrail"] = moved
    columns.update({col: values for col, values in reasons.items() if col not in columns})
    for column, values in columns.items():
        values = np.asarray(values)
        # ceil(0 - 1e-9) and 0 * -x are -0.0: adding 0.0 makes every zero positive. Every column is a
        # new array, so the frame can take it without a copy of its own and shares nothing (the catalog's
        # SKUs, the state's stock) with the caller or the policy
        columns[column] = values + 0.0 if values.dtype.kind == "f" else values.copy()
    return pd.DataFrame(columns, copy=False)


def _unrepaired_reason(orders: np.ndarray, desired: np.ndarray) -> np.ndarray:
    """``reason`` of orders no repair layer changed: unchanged, rounded up to a whole unit, or a negative desire."""
    from hybridinv.repair.result import OTHER, UNCHANGED

    reason = text_full(orders.shape, OTHER)
    reason[orders == np.ceil(desired - 1e-9)] = ROUNDING
    reason[np.abs(orders - desired) <= 1e-9] = UNCHANGED
    reason[(desired < 0) & (orders == 0)] = NEGATIVE_DESIRED
    return reason


def _violation_message(check: OrderCheck) -> str:
    rows = ", ".join(f"{row.name} over by {row.amount:g}" for row in check.rows)
    return f"constraints cannot all be met; returning the closest plan ({rows})"


def _notes(
    proposed: Decision, check: OrderCheck, cat: Catalog, cons: Constraints, history_alone: bool, lost_sales: bool,
    demand: np.ndarray, obs: Observation,
) -> dict[str, str]:
    """Plan-level warnings, by topic: what the plan could not use or do as the input asked.

    ``demand`` is the mean forecast per period of every SKU (for the batch a holding cost implies).
    """
    notes: dict[str, str] = {}
    if check.rows:
        notes["violations"] = _violation_message(check)
    if cons.has_budget and not (check.orders > 0).any():
        wanted = (np.nan_to_num(np.asarray(proposed.desired, dtype=np.float64)) > 0) | (
            np.nan_to_num(np.asarray(proposed.orders, dtype=np.float64)) > 0
        )
        if not wanted.any():  # a policy that plans under the budget itself (mpc) wants nothing it cannot pay for:
            # the SKUs short of their protection interval's mean demand need stock
            wanted = obs.inventory_position < obs.protection_forecast()[0]
        cheapest = cat.unit_cost * np.maximum(cat.moq, cat.lot_size)
        if wanted.any() and (cheapest[wanted] > cons.budget).all():
            i = int(np.flatnonzero(wanted)[np.argmin(cheapest[wanted])])
            notes["budget_too_small"] = (
                f"budget {cons.budget:.15g} is below the cheapest order of every SKU that needs stock "
                f"({int(wanted.sum())} SKU(s); cheapest: {str(cat.sku[i])!r}, "
                f"{max(cat.moq[i], cat.lot_size[i]):.15g} units at {cat.unit_cost[i]:.15g} = {cheapest[i]:.15g}): "
                "nothing is ordered"
            )
    unpaid = cat.shortage_cost <= cat.unit_cost
    waits_free = cat.shortage_cost <= 0
    if not lost_sales and waits_free.any():  # such a plan stocked nothing for them without a word
        first = str(cat.sku[int(np.flatnonzero(waits_free)[0])])
        notes["no_margin"] = (
            f"{int(waits_free.sum())} SKU(s) (first {first!r}) have shortage_cost 0: with backorders a unit that waits "
            "then costs nothing, so the policies that protect the margin (forecast_ss, the hybrid, mpc) do not "
            "stock them; give shortage_cost the cost of a unit waiting one period (docs/concepts.md)"
        )
    if lost_sales and unpaid.any():
        first = str(cat.sku[int(np.flatnonzero(unpaid)[0])])
        notes["no_margin"] = (
            f"{int(unpaid.sum())} SKU(s) (first {first!r}) have shortage_cost <= unit_cost: with lost sales a lost "
            "sale then costs less than buying the unit (purchases are charged), so the policies that protect the "
            "margin shortage_cost - unit_cost (forecast_ss, the hybrid, mpc) do not stock them, while the textbook "
            "rules (newsvendor, base_stock, ss, rq, dynamic_ss, capped_base_stock) use shortage_cost alone and do, "
            "and forecast_capped_base_stock (a fixed safety factor unless given a capacity_price) uses no cost at "
            "all; shortage_cost should be the price plus goodwill (docs/concepts.md)"
        )
    # the economic order quantity sqrt(2 K mu / h) covers sqrt(2 K / (h mu)) periods of demand: more than
    # _FREE_HOLDING_PERIODS when h is 0 or nearly (1e-6 was not warned about, and under a capacity its batch
    # priced the warehouse so high that no SKU ordered at all)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.sqrt(2.0 * cat.order_cost / (cat.holding_cost * np.maximum(demand, 1e-12)))
    cheap = (cat.holding_cost <= 0) | ((demand > 0) & (cover > _FREE_HOLDING_PERIODS))  # no demand: EOQ 0
    free = (cat.order_cost > 0) & ~np.isfinite(cat.max_order) & cheap
    if free.any():
        i = int(np.flatnonzero(free)[np.argmax(check.orders[free])])
        space = (" and, under a capacity, their batch prices the warehouse's space for every SKU (the others' "
                 "targets fall)") if cons.has_capacity else ""
        notes["unbounded_batch"] = (
            f"{int(free.sum())} SKU(s) (largest order: {str(cat.sku[i])!r}, {check.orders[i]:,.0f} units; "
            f"holding_cost {cat.holding_cost[i]:g}) have an order_cost and a holding_cost of 0 or so small that "
            f"the economic order quantity covers more than {_FREE_HOLDING_PERIODS} periods of demand (infinite at "
            "0): nothing practical limits their batch size, so batch-sizing policies order as much as the other "
            f"rules allow{space}; give a holding_cost or a max_order"
        )
    if cons.has_capacity and not (cat.volume > 0).any():  # a column of 0 for "unknown" turned the limit off
        notes["capacity_unused"] = (
            f"capacity {cons.capacity:.15g} is set but every SKU has volume 0, so it limits nothing: give the "
            "catalog's volume column the space one unit takes (leave the column out for volume 1)"
        )
    if history_alone:
        notes["drift_correction"] = (
            "demand_history was given without forecast_history: the forecast-drift correction needs the "
            "forecasts made for those periods too and is off (the forecast is used as given)"
        )
    return notes


def _window_demand(mean: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Forecast demand of each SKU over its periods ``start .. start + length - 1`` (past the forecast's last
    period, that period repeats, as everywhere in plan())."""
    n, horizon = mean.shape
    total = np.concatenate([np.zeros((n, 1)), np.cumsum(mean, axis=1)], axis=1)
    rows = np.arange(n)

    def before(t: np.ndarray) -> np.ndarray:  # demand of the periods 0 .. t - 1
        return total[rows, np.minimum(t, horizon)] + np.maximum(t - horizon, 0) * mean[:, -1]

    return before(start + length) - before(start)


def _expiry_notes(cat: Catalog, obs: Observation, orders: np.ndarray, mean: np.ndarray,
                  policy: str) -> dict[str, str]:
    """Warnings for perishable SKUs whose stock or order exceeds what the forecast sells within the shelf life.

    plan() takes the stock on hand as fresh unless ``stock_ages`` gives its ages. What the forecast does not sell
    of it, oldest first, before each unit's life ends expires unsold (fresh: the stock beyond the forecast demand
    of the shelf life); every policy but ``mpc`` still counts it in the inventory position, so it orders
    nothing for the periods after the expiry (100 units of a 2-period life under a 3-period lead time and demand
    5 a period: every rule orders 0 and period 3 is sure to run short). Ordering against the position less what
    expires before the order arrives was built and measured, and cost more in simulation (docs/policies.md), so
    the plan shows those units (``expiring_before_arrival``) and this warning names the stock. An order beyond the
    demand of its life after arrival (an MOQ or lot size larger than that) expires in part whatever else is held;
    the backlog still open when it arrives is sold from it first: under backorders ``backorders + demand - on
    hand - arrivals + expired`` over the lead time when positive (net stock is linear in the flows), under lost
    sales the state's backorders less the stock and arrivals (plan() orders for them; new shortfalls are lost).
    Without it an order that covered a backlog was named as expiring where all of it sells.
    """
    notes: dict[str, str] = {}
    on_hand = np.asarray(obs.on_hand, dtype=np.float64)
    rows = np.flatnonzero(cat.shelf_life > 0)  # only these: a million-SKU plan with a few perishables stays light
    if not rows.size:
        return notes
    life, forecast, sku = cat.shelf_life[rows], mean[rows], cat.sku[rows]
    by_life = obs.stock_by_life
    if by_life is None:
        expiring = np.maximum(on_hand[rows] - _window_demand(forecast, np.zeros_like(life), life), 0.0)
    else:  # the simulator's FIFO over the whole life: every unit on hand is sold or expired by its end
        expiring = expected_outdating(on_hand[rows], np.zeros((rows.size, 1)), forecast, None, life, life,
                                      by_life[rows].T)
    ages = "plan() takes the stock on hand as fresh" if by_life is None else "at the ages in stock_ages"
    if (expiring >= 1.0).any():
        i = int(np.argmax(expiring))
        counted = ("" if policy == "mpc" else " the policy counts them in the inventory position (only mpc models "
                   "expiry; column expiring_before_arrival), so its orders can fall short once they expire;")
        notes["expiring_stock"] = (
            f"{int((expiring >= 1.0).sum())} perishable SKU(s) hold more stock than their forecast sells within the "
            f"shelf life ({ages}): about {expiring.sum():,.0f} units will expire "
            f"unsold (most: {str(sku[i])!r}, {expiring[i]:,.0f} of {on_hand[rows[i]]:,.0f} on hand, shelf life "
            f"{int(life[i])} period(s));{counted} see docs/policies.md, *Perishables in plan()*"
        )
    ordered = orders[rows]
    lead = cat.lead_time[rows].astype(np.int64)
    sellable = _window_demand(forecast, lead, life)
    backlog = np.asarray(obs.backorders, dtype=np.float64)[rows]
    if backlog.any() or not obs.lost_sales:  # the backlog still open when the order arrives is sold from it first
        pipeline = np.asarray(obs.pipeline, dtype=np.float64)[rows]
        supply = on_hand[rows] + np.where(np.arange(pipeline.shape[1])[None, :] < lead[:, None], pipeline,
                                          0.0).sum(axis=1)
        # under lost sales only the state's backlog waits (plan() orders for it); new shortfalls are lost
        owed = backlog - supply if obs.lost_sales else (
            backlog + _window_demand(forecast, np.zeros_like(lead), lead) - supply + obs.expiring_before_arrival[rows])
        sellable = sellable + np.maximum(owed, 0.0)
    excess = np.where(ordered > 0, np.maximum(ordered - sellable, 0.0), 0.0)
    if (excess >= 1.0).any():
        i = int(np.argmax(excess))
        notes["expiring_order"] = (
            f"{int((excess >= 1.0).sum())} perishable SKU(s) order more than their forecast sells within the shelf "
            f"life after the order arrives: at least about {excess.sum():,.0f} of the units ordered will expire "
            f"(most: {str(sku[i])!r}, {ordered[i]:,.0f} ordered, about {sellable[i]:,.0f} sellable in "
            f"{int(life[i])} period(s); MOQ {cat.moq[rows[i]]:g}, lot size {cat.lot_size[rows[i]]:g})"
        )
    return notes


def _stale_forecast(forecast: pd.DataFrame | None, period: int) -> str | None:
    """A note when the forecast's first period is a whole number between 0 and ``period`` (exclusive).

    The smallest forecast period is always planned as this period (documented), and ``period`` only places it
    in the year; a forecast numbered 0, 1, ... every run, or 202401, ..., is fine. One that starts after 0 but
    before ``period`` looks numbered like ``period`` and older than it: a forecast file kept from an earlier run
    while ``--period`` moved on was planned as if it were this period's, without a word.
    """
    if forecast is None or period <= 0 or "period" not in forecast.columns or not len(forecast):
        return None
    first = pd.to_numeric(forecast["period"], errors="coerce").min()
    if not (np.isfinite(first) and 0 < first < period):
        return None
    return (f"the forecast starts at period {first:g}, before period={period}: plan() plans the forecast's first "
            f"period as this one; if the forecast is numbered like period, it is {period - first:g} period(s) "
            "old (give this period's forecast), else number it from 0 or from this period")


def _warn(decision: Decision, check: OrderCheck, notes: dict[str, str], quiet_repair: bool = False) -> None:
    """Issue this call's warnings; a repair that already warned about the same violations is not repeated
    (``quiet_repair``: the decision's repair did not warn, as a guarded policy's bounded repair does not)."""
    for topic, message in notes.items():
        if topic == "violations":
            repaired = decision.repair is not None and bool(decision.repair.diagnostics.violations)
            if quiet_repair or not repaired:
                warnings.warn(message, ConstraintViolationWarning, stacklevel=3)
        elif topic == "solver_fallback":
            continue  # the repair issued its SolverFallbackWarning already
        else:
            warnings.warn(message, PlanningWarning, stacklevel=3)


def _diagnostics(
    pol: Policy,
    decision: Decision,
    cat: Catalog,
    cons: Constraints,
    frame: pd.DataFrame,
    from_catalog: np.ndarray,
    check: OrderCheck,
    notes: dict[str, str],
    started: float,
) -> dict[str, Any]:
    orders = frame["order_qty"].to_numpy(dtype=np.float64)
    spend = float(cat.unit_cost @ orders)
    diag: dict[str, Any] = {
        "policy": getattr(pol, "name", type(pol).__name__),
        "n_skus": cat.n_skus,
        "total_units": float(orders.sum()),
        "spend": spend,
        "budget": cons.budget,
        "budget_used": spend / cons.budget if math.isfinite(cons.budget) else float("nan"),
        "capacity": cons.capacity,
        "skus_with_catalog_forecast": [str(s) for s in cat.sku[from_catalog]],
        "violations": [row.to_dict() for row in check.rows],
        "warnings": list(notes.values()),
        "budget_too_small": "budget_too_small" in notes,
        "unbounded_batch": "unbounded_batch" in notes,
        "seconds": time.perf_counter() - started,
    }
    if decision.repair is not None:
        rep = decision.repair
        diag["objective"] = float(rep.objective)
        diag["bound"] = float(rep.bound)
        diag["gap"] = float(rep.gap)
        diag["repair"] = rep.diagnostics.to_dict()
        first = decision.extra.get("_first_repair")
        if first is not None:  # after a build-ahead: the repair above placed it; this one cut the rule's orders
            diag["rule_repair"] = {"objective": float(first.objective), "bound": float(first.bound),
                                   "gap": float(first.gap), **first.diagnostics.to_dict()}
    diag.update({key: value for key, value in decision.extra.items() if not key.startswith("_")})  # "_": internal
    return diag
