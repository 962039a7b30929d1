"""plan_network(): one period of a distribution network from a planner's tables.

:func:`plan_network` is the network counterpart of :func:`hybridinv.plan`: it reads the
``locations`` table, a state per location × SKU, the catalog and an optional forecast per
store (:mod:`~hybridinv.network.plan_inputs`), computes base-stock levels from the forecast
(:func:`network_levels`), lets the policy say what every location wants, and always passes
that through :func:`~hybridinv.network.repair.repair_network` (whole quantities within parent
stock, capacities, budget, MOQs and lots, with a certified gap). See docs/multi_echelon.md,
*Planning a network period*.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.core._frame import ExtraColumns, number_array
from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import (
    ConstraintViolationWarning,
    PlanningError,
    PlanningWarning,
    near_names,
    number_in,
    require_policy,
)
from hybridinv.network.model import Network
from hybridinv.network.plan_inputs import read_catalog, read_forecast, read_state
from hybridinv.network.policies import (
    EchelonBaseStock,
    InstallationBaseStock,
    base_stock_levels,
    echelon_levels_of,
    installation_levels_of,
)
from hybridinv.network.repair import repair_network
from hybridinv.network.repair_model import OrderRules
from hybridinv.network.repair_result import NETWORK_REASONS, NetworkRepairResult
from hybridinv.network.state import NetworkCosts, NetworkDecision, NetworkObservation

__all__ = ["PLAN_POLICIES", "network_levels", "plan_network"]

#: Policies ``plan_network`` builds by name (levels from the forecast, :func:`network_levels`).
PLAN_POLICIES: tuple[str, ...] = ("echelon_base_stock", "installation_base_stock")


def _ndtri(p: NDArray[np.float64]) -> NDArray[np.float64]:
    from scipy.special import ndtri

    return np.asarray(ndtri(np.clip(p, 1e-6, 1 - 1e-6)), dtype=np.float64)


def network_levels(
    network: Network,
    mean: NDArray[np.float64],
    std: NDArray[np.float64],
    holding_cost: NDArray[np.float64],
    shortage_cost: NDArray[np.float64],
    kind: str = "echelon",
    service_level: float | None = None,
) -> NDArray[np.float64]:
    """Base-stock levels (locations, SKUs) from the store forecasts.

    ``mu_i`` and ``sigma_i`` are the mean and standard deviation per period of the demand of
    the stores below location ``i`` (variances added). The safety factor is the newsvendor
    critical fractile ``z = Phi^{-1}(p / (p + h))`` of the SKU (shortage cost ``p``, holding
    cost ``h`` of the catalog) at every location, or ``Phi^{-1}(service_level)`` at the
    locations above the stores when ``service_level`` is given. Echelon levels (``kind =
    "echelon"``, as :func:`hybridinv.network.baselines.echelon_levels`)::

        S_s = (L_s + 1) mu_s + z sigma_s sqrt(L_s + 1)                 (store)
        S_i = sum_children S_c + L_i mu_i + z sigma_i sqrt(L_i)         (above)

    installation levels (``kind = "installation"``): ``(L_i + 1) mu_i + z sigma_i sqrt(L_i + 1)``
    everywhere. Each is rounded up and at least 0.

    Parameters
    ----------
    network : Network
    mean, std : array (stores, SKUs)
        Demand per period at each store (rows in ``network.stores`` order).
    holding_cost, shortage_cost : array (SKUs,)
    kind : {"echelon", "installation"}
    service_level : float, optional
        In (0, 1): the service level of the locations above the stores.
    """
    below = network.subtree[:, network.stores]
    mu = below @ mean
    sigma = np.sqrt(below @ (std ** 2))
    z = np.broadcast_to(_ndtri(shortage_cost / np.maximum(shortage_cost + holding_cost, 1e-12)),
                        mu.shape).copy()
    if service_level is not None:
        # "0.9" and True were read as numbers, "no" was a bare ValueError
        level = number_in(service_level, "service_level", 0.0, 1.0, open_low=True, open_high=True)
        z[~network.is_store] = float(_ndtri(np.array([level]))[0])
    if kind == "installation":
        return installation_levels_of(network, mu, sigma, z)
    if kind != "echelon":
        raise PlanningError("must be 'echelon' or 'installation'", column="kind", value=kind)
    return echelon_levels_of(network, mu, sigma, z)


def _network(locations: Network | pd.DataFrame, budget: float | None, extra_columns: ExtraColumns) -> Network:
    if budget is not None and not (isinstance(budget, int | float | np.number) and not isinstance(budget, bool)):
        raise PlanningError("must be a number (inf: no limit)", column="budget", value=budget)
    if isinstance(locations, Network):
        if budget is None or float(budget) == locations.budget:
            return locations
        return Network(locations.names, locations.parent, locations.lead_time, locations.capacity, float(budget))
    return Network.from_frame(locations, budget=math.inf if budget is None else float(budget),
                              extra_columns=extra_columns)


def _policy(policy: object, network: Network, mean: NDArray[np.float64], std: NDArray[np.float64],
            cat: Catalog, service_level: float | None) -> tuple[Any, NDArray[np.float64]]:
    """The policy object and its levels (NaN for a custom policy without levels)."""
    n = cat.n_skus
    if isinstance(policy, str):
        if policy not in PLAN_POLICIES:
            raise PlanningError(f"unknown network policy{near_names(policy, PLAN_POLICIES)}; choose one of "
                                f"{list(PLAN_POLICIES)} or pass a policy object", column="policy", value=policy)
        kind = policy.split("_")[0]
        levels = network_levels(network, mean, std, cat.holding_cost, cat.shortage_cost, kind, service_level)
        cls = EchelonBaseStock if kind == "echelon" else InstallationBaseStock
        return cls(network, levels), levels
    if service_level is not None:
        raise PlanningError("service_level applies to a policy given by name", column="service_level",
                            value=service_level)
    require_policy(policy, "policy", "must be a policy name or an object with act(observation)")
    own = getattr(policy, "network", None)
    if isinstance(own, Network) and own.names != network.names:
        raise PlanningError(f"the policy was built for locations {list(own.names)}, the locations table has "
                            f"{list(network.names)}", column="policy")
    if isinstance(own, Network) and not np.array_equal(own.parent, network.parent):
        # same names, another tree: its echelon levels and allocation were for other subtrees (planned silently)
        k = int(np.flatnonzero(own.parent != network.parent)[0])
        theirs, ours = (names[p] if p >= 0 else None for names, p in ((own.names, own.parent[k]),
                                                                      (network.names, network.parent[k])))
        raise PlanningError(f"the policy was built for a network where {network.names[k]!r} is fed by {theirs!r}; "
                            f"in the locations table its parent is {ours!r}", column="policy")
    own_levels = getattr(policy, "levels", None)
    if isinstance(own, Network) and own_levels is not None:
        return policy, base_stock_levels(network, own_levels, n)
    return policy, np.full((network.n_locations, n), np.nan)


def _desired(decision: object, network: Network, n: int) -> NDArray[np.float64]:
    """A decision as desired quantities (L, n): supplier orders at the roots, requested shipments elsewhere."""
    if not isinstance(decision, NetworkDecision):
        raise PlanningError(f"the policy returned {type(decision).__name__}, not a NetworkDecision", column="policy")
    out = np.zeros((network.n_locations, n))
    shipments = decision.requested if decision.requested is not None else decision.shipments
    for rows, values, name in ((network.roots, decision.supplier_orders, "supplier_orders"),
                               (network.non_roots, shipments, "shipments")):
        arr = number_array(values, name)  # text or ragged rows were numpy's bare ValueError
        if arr.shape != (rows.size, n):
            raise PlanningError(f"the policy returned {name} of shape {arr.shape}, expected {(rows.size, n)}",
                                column=name)
        out[rows] = arr
    return out


def plan_network(
    locations: Network | pd.DataFrame,
    state: pd.DataFrame,
    catalog: Catalog | pd.DataFrame,
    budget: float | None = None,
    forecast: pd.DataFrame | None = None,
    policy: str | object = "echelon_base_stock",
    *,
    backend: str = "auto",
    service_level: float | None = None,
    time_limit: float | None = None,
    extra_columns: ExtraColumns = "error",
) -> pd.DataFrame:
    """Plan one period of a network: supplier orders at the roots, shipments into every other location.

    The policy's wanted quantities always pass the network repair, so every quantity in the
    result is whole, ``>= 0``, within the parent's on-hand stock (shipments), within the
    budget, in whole lots and ``0`` or at least the MOQ and at most the max order (supplier
    orders), and within every capacity that is not already exceeded (a location whose stock
    already exceeds its capacity receives nothing net; its row is listed in
    ``diagnostics["violations"]`` and a :class:`~hybridinv.ConstraintViolationWarning` is issued).

    Parameters
    ----------
    locations : DataFrame or Network
        ``location``, ``parent`` (empty: an external supplier), ``lead_time``, optional
        ``capacity`` (volume units, blank: no limit); see :meth:`Network.from_frame`.
    state : DataFrame
        One row per location × catalog SKU: ``location``, ``sku``, ``on_hand``, optional
        ``backorders`` (stores only) and ``pipeline_<k>`` (arriving at the location ``k``
        periods from now, as in :meth:`hybridinv.InventoryState.from_frame`). Units of
        ``pipeline_0`` arrive this period but cannot be shipped on before the next one.
        There is no lost-sales switch: backorders are demand that waits (they lower the
        positions and are shipped for); where unmet demand is lost, leave them at 0.
    catalog : DataFrame or Catalog
        The single-location catalog's columns without ``lead_time`` (lead times are per
        location): costs and volumes per SKU apply at every location, ``shortage_cost`` at
        the stores; ``moq``, ``lot_size``, ``max_order`` rule the supplier orders.
    budget : float, optional
        Purchase budget of this period, ``sum(unit_cost * supplier orders)``; default: none
        (or a ``Network``'s own).
    forecast : DataFrame, optional
        ``location`` (stores only), ``sku``, ``mean``, optional ``std`` (default
        ``sqrt(mean)``) and ``period`` (the first ``cumulative_lead_time + 1`` periods of each store
        are averaged, later ones not read). Every store × SKU needs rows, one per period without gaps
        (a period without demand is a row with mean 0). Without it the catalog's
        ``demand_mean`` / ``demand_std`` hold at each store.
    policy : str or policy object
        ``"echelon_base_stock"`` or ``"installation_base_stock"`` (levels of
        :func:`network_levels`), or an object with ``act(NetworkObservation) ->
        NetworkDecision`` built for the same locations (e.g. :class:`EchelonBaseStock` with
        your own levels); its supplier orders and requested shipments are the desired quantities.
    backend : {"auto", "fast", "highs", "pulp"}
        Repair backend (:func:`~hybridinv.network.repair.repair_network`).
    service_level : float, optional
        Service level of the locations above the stores (default: each SKU's critical fractile).
    time_limit : float, optional
        Seconds for the repair.
    extra_columns : "error", "ignore" or list of str
        Columns the tables do not know (see :func:`hybridinv.plan`).

    Returns
    -------
    DataFrame
        One row per location × SKU (locations parents first, SKUs in catalog order):
        ``location``, ``sku``, ``decision`` (``supplier_order`` at a root, ``shipment``
        elsewhere), ``source`` (``supplier`` or the parent's name), ``quantity`` (repaired),
        ``desired_qty`` (what the policy wanted), ``target_level`` (the policy's base-stock
        level: echelon or installation), ``on_hand``, ``backorders``, ``in_transit``,
        ``installation_position``, ``echelon_position`` (before this period's decisions),
        ``forecast_mean`` (demand per period of the stores at and below the location),
        ``order_value`` (``unit_cost * quantity`` at the roots, 0 for shipments), ``reason``
        and one boolean column per flag of :data:`~hybridinv.network.NETWORK_REASONS`.
        ``.attrs["diagnostics"]``: policy, backend, status, objective, bound, gap,
        violations, warnings, spend, budget, budget_used, capacity_price, fallback_reason,
        repair_seconds, seconds (the whole call).

    Raises
    ------
    PlanningError
        (:class:`~hybridinv.network.LocationError` for cells) naming the column, the
        location, the SKU and the value: unknown locations or SKUs, duplicate or missing
        rows, negative or fractional stock, backorders at a location that is not a store,
        a forecast for a non-store or a store × SKU without one, an unknown policy or backend.
    """
    started = time.perf_counter()
    network = _network(locations, budget, extra_columns)
    cat = read_catalog(catalog, extra_columns)
    stock = read_state(state, network, cat, extra_columns)
    mean, std = read_forecast(forecast, network, cat, extra_columns)
    n = cat.n_skus
    skus = tuple(str(s) for s in cat.sku)
    costs = NetworkCosts.build(network, n, holding_cost=cat.holding_cost, shortage_cost=cat.shortage_cost,
                               unit_cost=cat.unit_cost, order_cost=cat.order_cost, volume=cat.volume, skus=skus)
    rules = OrderRules.build(n, lot_size=cat.lot_size, moq=cat.moq, max_order=cat.max_order, skus=skus)
    obs = NetworkObservation.of(network, 0, stock.on_hand, stock.pipeline, stock.backorders)
    pol, levels = _policy(policy, network, mean, std, cat, service_level)
    desired = _desired(pol.act(obs), network, n)
    result = repair_network(network, costs, obs, desired, rules=rules, expected_demand=mean, backend=backend,
                            time_limit=time_limit, warn=False)
    frame = _frame(network, cat, obs, result, levels, mean)
    notes: list[tuple[str, type[Warning]]] = []
    unused = unused_catalog_columns(cat)
    if unused:
        notes.append((unused, PlanningWarning))
    limited = np.isfinite(network.capacity)
    if limited.any() and not (cat.volume > 0).any():  # a volume column of 0 for "unknown" turned the limits off
        first = network.names[int(np.flatnonzero(limited)[0])]
        notes.append((f"location capacities are set ({int(limited.sum())}, first {first!r}) but every SKU has "
                      "volume 0, so they limit nothing: give the catalog's volume column the space one unit takes "
                      "(leave the column out for volume 1)", PlanningWarning))
    too_small = _budget_too_small(network, cat, frame)
    if too_small:
        notes.append((too_small, PlanningWarning))
    if result.violations:
        rows = ", ".join(f"{v.name} over by {v.amount:g}" for v in result.violations)
        notes.append((f"constraints cannot all be met; returning the closest plan ({rows})",
                      ConstraintViolationWarning))
    frame.attrs["diagnostics"] = _diagnostics(pol, result, network, frame, [m for m, _ in notes], started)
    for message, category in notes:
        warnings.warn(message, category, stacklevel=2)
    return frame


def _budget_too_small(network: Network, cat: Catalog, frame: pd.DataFrame) -> str:
    """A note when the budget is below the cheapest supplier order of every row that wants one, or "".

    As ``plan()`` says it (``budget_too_small``): a budget of 1 against orders of at least 5 gave a plan of zeros
    whose only word was ``budget`` in the rows' reasons, and the same plan with ``budget_used`` 0 from a typo.
    """
    supplier = (frame["decision"] == "supplier_order").to_numpy()
    if not math.isfinite(network.budget) or (frame["quantity"].to_numpy()[supplier] > 0).any():
        return ""
    wanted = supplier & (frame["desired_qty"].to_numpy() > 0)
    sku = pd.Index(cat.sku.astype(str)).get_indexer(frame["sku"].astype(str))
    lot = np.maximum(cat.moq, cat.lot_size)[sku]
    cheapest = cat.unit_cost[sku] * lot
    if not wanted.any() or (cheapest[wanted] <= network.budget).any():
        return ""
    i = int(np.flatnonzero(wanted)[np.argmin(cheapest[wanted])])
    return (f"budget {network.budget:.15g} is below the cheapest supplier order of every location and SKU that "
            f"wants one ({int(wanted.sum())} row(s); cheapest: location {frame['location'].iloc[i]!r}, SKU "
            f"{frame['sku'].iloc[i]!r}, {lot[i]:.15g} units at {cat.unit_cost[sku[i]]:.15g} = {cheapest[i]:.15g}): "
            "nothing is ordered from the supplier")


#: Catalog columns a network period's plan does not use, with what their values would have needed.
_UNUSED_COLUMNS = {
    "order_cost": "fixed order costs (the echelon levels and the repair charge none)",
    "shelf_life": "expiry",
    "lead_time_std": "random lead times (the locations table's lead times are taken as fixed)",
    "supplier": "several suppliers (one supplier feeds every root)",
}


def unused_catalog_columns(catalog: Catalog) -> str:
    """A note naming the catalog columns set to values the network planner does not model, or "".

    ``plan_network`` reads the single-location catalog, but plans without fixed order costs, expiry,
    random lead times or several suppliers: until 2026-12-06 a shelf life of 1 or a fixed cost of 1,000 a
    line gave the same plan as none, without a word.
    """
    used = {
        "order_cost": bool((catalog.order_cost > 0).any()),
        "shelf_life": bool((catalog.shelf_life > 0).any()),
        "lead_time_std": bool((catalog.lead_time_std > 0).any()),
        "supplier": np.unique(catalog.supplier.astype(str)).size > 1,
    }
    named = [f"{name} ({_UNUSED_COLUMNS[name]})" for name, set_ in used.items() if set_]
    if not named:
        return ""
    return ("the network plan does not model the catalog's " + "; ".join(named)
            + ": those columns are ignored (plan such SKUs with hybridinv.plan at one location)")


def _frame(network: Network, cat: Catalog, obs: NetworkObservation, result: NetworkRepairResult,
           levels: NDArray[np.float64], mean: NDArray[np.float64]) -> pd.DataFrame:
    explain = result.explain()
    n_loc, n = obs.on_hand.shape
    source = np.array(["supplier" if p < 0 else network.names[p] for p in network.parent], dtype=object)
    quantity = result.quantities
    value = np.where((network.parent < 0)[:, None], quantity * cat.unit_cost[None, :], 0.0)
    demand_below = network.subtree[:, network.stores] @ mean
    frame = pd.DataFrame({
        "location": explain["location"].to_numpy(),
        "sku": explain["sku"].to_numpy(),
        "decision": explain["decision"].to_numpy(),
        "source": np.repeat(source, n),
        "quantity": quantity.reshape(-1).astype(np.int64),
        "desired_qty": explain["desired"].to_numpy() + 0.0,
        "target_level": levels.reshape(-1) + 0.0,
        "on_hand": obs.on_hand.reshape(-1) + 0.0,
        "backorders": obs.backorders.reshape(-1) + 0.0,
        "in_transit": obs.in_transit.reshape(-1) + 0.0,
        "installation_position": obs.installation_position.reshape(-1) + 0.0,
        "echelon_position": obs.echelon_position.reshape(-1) + 0.0,
        "forecast_mean": demand_below.reshape(-1) + 0.0,
        "order_value": value.reshape(-1) + 0.0,
        "reason": explain["reason"].to_numpy(),
    })
    for name in NETWORK_REASONS:
        frame[name] = explain[name].to_numpy()
    return frame


def _diagnostics(pol: object, result: NetworkRepairResult, network: Network, frame: pd.DataFrame,
                 notes: list[str], started: float) -> dict[str, Any]:
    spend = float(frame["order_value"].sum())
    repair = result.to_dict()
    return {
        "policy": getattr(pol, "name", type(pol).__name__),
        "n_locations": network.n_locations,
        "n_skus": int(len(frame) // max(network.n_locations, 1)),
        "backend": result.backend,
        "status": result.status,
        "objective": float(result.objective),
        "bound": float(result.bound),
        "gap": float(result.gap),
        "violations": repair["violations"],
        "warnings": list(notes),
        "spend": spend,
        "budget": float(network.budget),
        "budget_used": spend / network.budget if math.isfinite(network.budget) else float("nan"),
        "capacity_price": repair["capacity_price"],
        "budget_price": repair["budget_price"],
        "fallback_reason": result.fallback_reason,
        "total_units": float(frame["quantity"].sum()),
        "repair_seconds": float(result.solve_time),
        "seconds": time.perf_counter() - started,
    }
