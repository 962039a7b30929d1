"""plan(): one period's orders from a user's state, catalog, constraints and forecast."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError
from hybridinv.core.state import InventoryState
from hybridinv.forecast import forecast_arrays
from hybridinv.policies.base import Decision, Policy
from hybridinv.sim.observation import Observation

__all__ = ["plan"]

#: Horizon of forecast periods handed to the policy (covers lead times and MPC windows).
_MIN_HORIZON = 8


def _as_catalog(catalog: Catalog | pd.DataFrame) -> Catalog:
    return catalog if isinstance(catalog, Catalog) else Catalog.from_frame(catalog)


def _as_constraints(constraints: Constraints | Mapping[str, Any] | None) -> Constraints:
    if constraints is None:
        return Constraints()
    if isinstance(constraints, Constraints):
        return constraints
    if isinstance(constraints, Mapping):
        unknown = set(constraints) - {"capacity", "budget", "supplier_capacity"}
        if unknown:
            raise PlanningError(f"unknown constraint(s) {sorted(unknown)}", column="constraints")
        return Constraints(**constraints)
    raise PlanningError(f"constraints must be a Constraints or a dict, got {type(constraints).__name__}")


def _as_policy(policy: Policy | str, options: dict[str, Any]) -> Policy:
    if isinstance(policy, str):
        from hybridinv.policies import registry

        return registry.make(policy, None, **options)
    if options:
        raise PlanningError(f"policy options {sorted(options)} only apply when the policy is given by name")
    if not callable(getattr(policy, "act", None)):
        raise PlanningError(f"policy must be a name or have act(observation); got {type(policy).__name__}")
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
    lost_sales: bool = True,
    period: int = 0,
    **options: Any,
) -> pd.DataFrame:
    """Plan this period's orders for every SKU.

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
        ``q0.1`` … ``q0.9``. Without it (or for SKUs without rows) the catalog's
        ``demand_mean`` / ``demand_std`` are used.
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
        (:mod:`hybridinv.rl.adaptive`); without it, it plans on the forecast as given.
    lost_sales : bool
        Whether unmet demand is lost (True) or backordered.
    period : int
        Index of the planned period (seasonal context for learned policies).
    **options
        Passed to the policy factory when ``policy`` is a name.

    Returns
    -------
    DataFrame
        One row per SKU: ``sku``, ``order_qty``, ``desired_qty``, ``reorder_point``,
        ``order_up_to``, ``inventory_position``, ``forecast_mean``, ``order_cost``
        (purchase value), ``reason`` and boolean reason columns. ``.attrs`` holds
        ``diagnostics`` (policy, backend, objective, bound, gap, shadow prices,
        violations, budget and capacity use, timing).

    Raises
    ------
    PlanningError
        Invalid input, naming the column, SKU and value.
    """
    started = time.perf_counter()
    cat = _as_catalog(catalog)
    if isinstance(state, InventoryState):
        inv = state.aligned(cat)
        if open_orders is not None:
            inv = inv.with_open_orders(open_orders)
    else:
        inv = InventoryState.from_frame(state, catalog=cat, open_orders=open_orders)
    cons = _as_constraints(constraints)
    horizon = max(_MIN_HORIZON, int(cat.lead_time.max()) + 2)
    if forecast is not None and len(forecast) == 0:
        forecast = None
    mean, std, from_catalog = forecast_arrays(cat, forecast, horizon)
    history = _history_array(cat, demand_history)
    past_forecast = _history_array(cat, forecast_history, "forecast_history")
    if past_forecast is not None and (history is None or past_forecast.shape != history.shape):
        raise PlanningError(
            "forecast_history needs a demand_history with the same period columns",
            column="forecast_history",
            value=None if forecast_history is None else [c for c in forecast_history.columns if c != "sku"],
        )
    obs = Observation.from_state(
        inv, cat, cons, mean, std, history, period=period, lost_sales=lost_sales, forecast_history=past_forecast
    )
    pol = _as_policy(policy, options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConstraintViolationWarning)
        decide = getattr(pol, "decide", None)
        if callable(decide):
            decision: Decision = decide(obs)
        else:
            raw = np.asarray(pol.act(obs), dtype=np.float64)
            decision = Decision(raw, raw)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    frame = _frame(cat, inv, obs, decision, mean)
    frame.attrs["diagnostics"] = _diagnostics(pol, decision, cat, cons, frame, from_catalog, started, caught)
    return frame


def _history_array(cat: Catalog, history: pd.DataFrame | None, name: str = "demand_history") -> np.ndarray | None:
    if history is None:
        return None
    from hybridinv.core._frame import numeric_column, sku_column

    skus = sku_column(history, name)
    pos = cat.positions(skus, name)
    cols = [c for c in history.columns if c != "sku"]
    out = np.full((cat.n_skus, len(cols)), np.nan)
    for k, col in enumerate(cols):
        out[pos, k] = numeric_column(history, col, skus, name)
    fill = np.where(np.isnan(cat.demand_mean), 0.0, cat.demand_mean)
    return np.where(np.isnan(out), fill[:, None], out)


def _frame(cat: Catalog, inv: InventoryState, obs: Observation, decision: Decision, mean: np.ndarray) -> pd.DataFrame:
    orders = np.asarray(decision.orders, dtype=np.float64)
    n = cat.n_skus
    nan = np.full(n, np.nan)
    frame = pd.DataFrame(
        {
            "sku": cat.sku.astype(str),
            "order_qty": orders.astype(np.int64),
            "desired_qty": np.asarray(decision.desired, dtype=np.float64),
            "reorder_point": nan if decision.reorder_point is None else decision.reorder_point,
            "order_up_to": nan if decision.order_up_to is None else decision.order_up_to,
            "on_hand": inv.on_hand,
            "inventory_position": obs.inventory_position,
            "forecast_mean": mean[:, 0],
            "order_value": orders * cat.unit_cost,
        }
    )
    if decision.repair is not None:
        explain = decision.repair.explain(cat)
        extra = [c for c in explain.columns if c not in frame.columns and c not in ("desired", "change")]
        for col in extra:
            frame[col] = explain[col].to_numpy()
    else:
        frame["reason"] = np.where(orders != np.ceil(frame["desired_qty"].to_numpy() - 1e-9), "rounding", "unchanged")
    return frame


def _diagnostics(
    pol: Policy,
    decision: Decision,
    cat: Catalog,
    cons: Constraints,
    frame: pd.DataFrame,
    from_catalog: np.ndarray,
    started: float,
    caught: list[warnings.WarningMessage],
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
        "warnings": [str(w.message) for w in caught],
        "seconds": time.perf_counter() - started,
    }
    if decision.repair is not None:
        rep = decision.repair
        diag["objective"] = float(rep.objective)
        diag["bound"] = float(rep.bound)
        diag["gap"] = float(rep.gap)
        diag["repair"] = rep.diagnostics.to_dict()
    diag.update(decision.extra)
    return diag
