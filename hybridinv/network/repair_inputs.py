"""Validation and defaults of the network repair's inputs: builds a :class:`NetworkRepairProblem`."""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import number_array
from hybridinv.core.limits import MAX_ORDER, MAX_WEIGHT
from hybridinv.core.lots import lots_covering, lots_within
from hybridinv.network.model import LocationError, Network
from hybridinv.network.repair_model import NetworkRepairProblem, OrderRules, bad_cell, projected_stock
from hybridinv.network.state import NetworkCosts
from hybridinv.repair.inputs import HOLDING_PERIODS, TIE_BREAK_WEIGHT

__all__ = ["UPSTREAM_UNDER_SHARE", "NetworkStock", "build_network_problem", "default_network_weights"]

#: Under-weight of an upstream location relative to the mean shortage cost of the stores below it.
UPSTREAM_UNDER_SHARE: float = 0.5


class NetworkStock(Protocol):
    """A :class:`NetworkObservation` or :class:`NetworkState`: on-hand, pipeline and backorders."""

    @property
    def on_hand(self) -> NDArray[np.float64]: ...

    @property
    def pipeline(self) -> NDArray[np.float64]: ...

    @property
    def backorders(self) -> NDArray[np.float64]: ...


def default_network_weights(network: Network, costs: NetworkCosts) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Default ``(under_weight, over_weight)``, arrays (L, n).

    ``under = shortage_cost + 1e-6`` at a store (a unit not shipped is taken as a unit short
    where customers see it); at any other location ``UPSTREAM_UNDER_SHARE`` (0.5) times the
    mean shortage cost of the stores below it, ``+ 1e-6`` (a unit missing upstream can still be
    made good before it reaches a customer, so store shortfalls weigh more). ``over =
    holding_cost * HOLDING_PERIODS + 1e-6`` at every location (a surplus unit is held one period).
    """
    stores = network.stores
    below = network.subtree[:, stores]  # (L, stores): 1 when the store is in the location's subtree
    mean_shortage = np.einsum("ls,sn->ln", below, costs.shortage_cost[stores]) / below.sum(axis=1)[:, None]
    under = np.where(network.is_store[:, None], costs.shortage_cost, UPSTREAM_UNDER_SHARE * mean_shortage)
    over = costs.holding_cost * HOLDING_PERIODS
    return under + TIE_BREAK_WEIGHT, over + TIE_BREAK_WEIGHT


def _grid(values: ArrayLike, shape: tuple[int, int], column: str, network: Network,
          skus: tuple[str, ...]) -> NDArray[np.float64]:
    """A number, one value per SKU (n,), per location (L, 1) or per location and SKU (L, n), finite and >= 0."""
    given = number_array(values, column)  # "2" was read as 2 and True as 1
    try:
        arr = np.broadcast_to(given, shape).copy()
    except (TypeError, ValueError):
        raise LocationError(f"cannot read as (locations, SKUs) = {shape}: give a number, one value per SKU, "
                            "one per location (L, 1) or one per location and SKU", column=column) from None
    bad_cell(~np.isfinite(arr) | (arr < 0), arr, column, "must be finite and >= 0", network.names, skus)
    return arr


def _weights(values: ArrayLike, shape: tuple[int, int], column: str, network: Network,
             skus: tuple[str, ...]) -> NDArray[np.float64]:
    """Deviation weights: :func:`_grid` and at most :data:`~hybridinv.core.limits.MAX_WEIGHT` (1e300 overflowed the
    objective)."""
    arr = _grid(values, shape, column, network, skus)
    bad_cell(arr > MAX_WEIGHT, arr, column, f"must be at most {MAX_WEIGHT:g} (hybridinv.core.limits.MAX_WEIGHT)",
             network.names, skus)
    return arr


def _stock(stock: NetworkStock, network: Network, n: int, skus: tuple[str, ...]) -> tuple[NDArray[np.float64], ...]:
    shape = (network.n_locations, n)
    try:
        on_hand = np.asarray(stock.on_hand, dtype=np.float64)
        pipeline = np.asarray(stock.pipeline, dtype=np.float64)
        backorders = np.asarray(stock.backorders, dtype=np.float64)
    except AttributeError:
        raise LocationError("state must have on_hand, pipeline and backorders (a NetworkObservation or "
                            "NetworkState)", column="state") from None
    for column, arr in (("on_hand", on_hand), ("backorders", backorders)):
        if arr.shape != shape:
            raise LocationError(f"expected shape {shape}, got {arr.shape}", column=column)
        bad_cell(~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr)), arr, column, "must be whole numbers >= 0",
                 network.names, skus)
    if pipeline.ndim != 3 or pipeline.shape[:2] != shape:
        raise LocationError(f"expected shape {shape} + (slots,), got {pipeline.shape}", column="pipeline")
    bad = ~np.isfinite(pipeline) | (pipeline < 0) | (pipeline != np.round(pipeline))  # 0.5 was accepted
    if bad.any():
        i, j, k = (int(v[0]) for v in np.nonzero(bad))
        raise LocationError(f"must be whole numbers >= 0 (slot {k})", column="pipeline", location=network.names[i],
                            sku=skus[j], value=float(pipeline[i, j, k]))
    network.check_backorders(backorders, skus)  # were planned as if owed to customers
    if pipeline.shape[2] == 0:
        pipeline = np.zeros((*shape, 1))
    return on_hand, pipeline, backorders


def build_network_problem(
    network: Network,
    costs: NetworkCosts,
    state: NetworkStock,
    desired: ArrayLike,
    rules: OrderRules | None = None,
    expected_demand: ArrayLike | None = None,
    under_weight: ArrayLike | None = None,
    over_weight: ArrayLike | None = None,
) -> NetworkRepairProblem:
    """Validate the inputs of :func:`~hybridinv.network.repair.repair_network` and build the arrays.

    Raises
    ------
    LocationError
        (a :class:`hybridinv.PlanningError`) naming the column, the location, the SKU and the
        value: desired quantities that are NaN, infinite or beyond ``MAX_ORDER``, weights that
        are negative or not finite, a state that is not whole numbers >= 0 or has the wrong
        shape, costs or rules for another number of SKUs, a negative or non-finite expected
        demand.
    """
    n_loc, n = network.n_locations, costs.n_skus
    skus = costs.skus if costs.skus else tuple(str(j) for j in range(n))
    if costs.holding_cost.shape != (n_loc, n):
        raise LocationError(f"costs are for {costs.holding_cost.shape[0]} locations, the network has {n_loc}",
                            column="costs")
    rules = rules.aligned(skus) if rules is not None else OrderRules.build(n, skus=skus)  # by label, not position
    if rules.lot_size.shape != (n,):
        raise LocationError(f"order rules are for {rules.lot_size.size} SKUs, the costs for {n}", column="lot_size")
    target_in = number_array(desired, "desired")  # text, booleans (True was 1 unit) or ragged rows are named
    if target_in.shape != (n_loc, n):
        raise LocationError(f"desired must have shape (locations={n_loc}, SKUs={n}), got {target_in.shape}",
                            column="desired")
    bad_cell(~np.isfinite(target_in) | (np.abs(target_in) > MAX_ORDER), target_in, "desired",
             f"must be finite and at most {MAX_ORDER:g} in size", network.names, skus)
    on_hand, pipeline, backorders = _stock(state, network, n, skus)
    stores = network.stores
    if expected_demand is None:
        demand = np.zeros((stores.size, n))
    else:
        given = number_array(expected_demand, "expected_demand")  # "1.5" was read as 1.5 and True as 1
        try:
            demand = np.broadcast_to(given, (stores.size, n)).copy()
        except (TypeError, ValueError):
            raise LocationError(f"expected_demand must be (stores={stores.size}, SKUs={n}), a number or one per SKU",
                                column="expected_demand") from None
        bad_cell(~np.isfinite(demand) | (demand < 0), demand, "expected_demand", "must be finite and >= 0",
                 tuple(network.names[s] for s in stores), skus)
    default_under, default_over = default_network_weights(network, costs)
    under = default_under if under_weight is None else _weights(under_weight, (n_loc, n), "under_weight", network, skus)
    over = default_over if over_weight is None else _weights(over_weight, (n_loc, n), "over_weight", network, skus)
    target = np.maximum(target_in, 0.0)
    roots, non_roots = network.roots, network.non_roots
    lot = np.ones((n_loc, n))
    lot[roots] = rules.lot_size
    min_lots = np.ones((n_loc, n))
    min_lots[roots] = np.maximum(np.round(rules.moq / rules.lot_size), 1.0)
    max_lots = np.full((n_loc, n), np.inf)
    finite_max = np.isfinite(rules.max_order)
    max_lots[roots] = np.where(finite_max, lots_within(rules.max_order, rules.lot_size), np.inf)
    upper = np.zeros((n_loc, n))
    free = np.minimum(max_lots[roots], np.maximum(min_lots[roots], lots_covering(target[roots], lot[roots])))
    free = np.where(target[roots] > 0, free, 0.0)
    step_cost = costs.unit_cost * rules.lot_size
    if math.isfinite(network.budget):
        with np.errstate(divide="ignore"):
            afford = np.where(step_cost > 0, np.floor(network.budget / step_cost * (1 + 1e-12) + 1e-9), np.inf)
        free = np.minimum(free, afford)
    upper[roots] = np.where(free >= min_lots[roots], free, 0.0)
    available = np.floor(on_hand + 1e-9)
    upper[non_roots] = available[network.parent[non_roots]]
    projected = projected_stock(network, on_hand, pipeline, backorders, demand)
    with np.errstate(invalid="ignore"):
        limit = network.capacity - np.einsum("ln,n->l", projected, costs.volume)
    limit = np.where(np.isfinite(network.capacity), limit, np.inf)
    for arr in (target, under, over, lot, min_lots, max_lots, upper, available, projected, limit):
        arr.setflags(write=False)
    return NetworkRepairProblem(
        network=network, skus=skus, desired_input=target_in, desired=target, under_weight=under, over_weight=over,
        lot=lot, min_lots=min_lots, max_lots=max_lots, upper=upper, on_hand=available, volume=costs.volume,
        unit_cost=costs.unit_cost, capacity_limit=limit, capacity=network.capacity, budget=float(network.budget),
        projected=projected,
    )
