"""Shared helpers for the repair tests: tiny instances and an independent brute-force oracle."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from hybridinv import Catalog, Constraints, InventoryState
from hybridinv.repair import Backend

#: Every backend. highspy and pulp are required dependencies (pyproject.toml), so a missing solver
#: package fails the tests that use it (and ``test_api.test_every_backend_is_installed``) instead of
#: skipping them.
BACKENDS = [b.value for b in Backend]
EXACT_BACKENDS = [Backend.HIGHS.value, Backend.PULP.value]


@dataclass
class Case:
    """Inputs of one repair call plus what the oracle needs."""

    desired: np.ndarray
    catalog: Catalog
    state: InventoryState
    constraints: Constraints
    demand: np.ndarray  # constant expected demand per period

    @property
    def args(self) -> tuple[object, ...]:
        return (self.desired, self.catalog, self.state, self.constraints)


def make_case(
    desired,
    *,
    unit_cost=1.0,
    volume=1.0,
    lot_size=1.0,
    moq=0.0,
    max_order=math.inf,
    lead_time=0,
    on_hand=0.0,
    demand=0.0,
    holding_cost=1.0,
    shortage_cost=9.0,
    supplier="default",
    capacity=math.inf,
    budget=math.inf,
    supplier_capacity=None,
) -> Case:
    desired = np.asarray(desired, dtype=float)
    n = desired.size

    def arr(value, dtype=float):
        return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

    demand_arr = arr(demand)
    catalog = Catalog(
        sku=np.array([f"s{i}" for i in range(n)], dtype=object),
        unit_cost=arr(unit_cost),
        holding_cost=arr(holding_cost),
        shortage_cost=arr(shortage_cost),
        lead_time=arr(lead_time, np.int64),
        volume=arr(volume),
        moq=arr(moq),
        lot_size=arr(lot_size),
        max_order=arr(max_order),
        supplier=arr(supplier, object),
        demand_mean=demand_arr,
    )
    state = InventoryState.empty(catalog, on_hand=arr(on_hand))
    constraints = Constraints(capacity=capacity, budget=budget, supplier_capacity=supplier_capacity or {})
    return Case(desired, catalog, state, constraints, demand_arr)


def residuals(case: Case) -> np.ndarray:
    """Capacity left per receipt period, recomputed here without the core projection.

    Without open orders, the stock projected to receipt period ``k`` is
    ``max(on_hand - k * demand, 0)``.
    """
    cat = case.catalog
    horizon = int(cat.lead_time.max()) + 1
    stock = np.stack([np.maximum(case.state.on_hand - k * case.demand, 0.0) for k in range(horizon)], axis=1)
    return case.constraints.capacity - (cat.volume[:, None] * stock).sum(axis=0)


def default_weights(case: Case) -> tuple[np.ndarray, np.ndarray]:
    cat = case.catalog
    return cat.shortage_cost + 1e-6, cat.holding_cost + 1e-6


def deviation(case: Case, orders: np.ndarray, under=None, over=None) -> float:
    under_d, over_d = default_weights(case)
    under = under_d if under is None else np.asarray(under, dtype=float)
    over = over_d if over is None else np.asarray(over, dtype=float)
    target = np.maximum(case.desired, 0.0)
    return float((under * np.maximum(target - orders, 0) + over * np.maximum(orders - target, 0)).sum())


def options(case: Case, i: int) -> list[float]:
    """Every order quantity of SKU ``i`` allowed by its rules, up to a generous cap."""
    cat = case.catalog
    lot, moq, top = cat.lot_size[i], cat.moq[i], cat.max_order[i]
    cap = max(moq, max(case.desired[i], 0.0)) + 3 * lot
    top = min(top, cap)
    out = [0.0]
    q = lot
    while q <= top + 1e-9:
        if q >= moq - 1e-9:
            out.append(q)
        q += lot
    return out


def rows_ok(case: Case, orders: np.ndarray, tol: float = 1e-9) -> bool:
    """Whether every row holds, up to ``tol`` relative to the row's limit (capacity, budget, supplier)."""
    cat, cons = case.catalog, case.constraints
    if math.isfinite(cons.capacity):
        res = residuals(case)
        for k in range(res.size):
            used = float((cat.volume * orders)[cat.lead_time == k].sum())
            if used > max(res[k], 0.0) + tol * cons.capacity:
                return False
    if float((cat.unit_cost * orders).sum()) > cons.budget * (1 + tol):
        return False
    for name, limit in cons.supplier_capacity.items():
        if float(orders[cat.supplier == name].sum()) > limit * (1 + tol):
            return False
    return True


def brute_force(case: Case, under=None, over=None) -> tuple[float, np.ndarray]:
    """Optimal deviation by enumeration (over-full capacity rows are floored at 0)."""
    best, best_q = math.inf, None
    for combo in itertools.product(*(options(case, i) for i in range(case.desired.size))):
        q = np.array(combo)
        if not rows_ok(case, q):
            continue
        value = deviation(case, q, under, over)
        if value < best - 1e-12:
            best, best_q = value, q
    assert best_q is not None
    return best, best_q


def assert_rules(case: Case, orders: np.ndarray) -> None:
    cat = case.catalog
    lots = orders / cat.lot_size
    assert np.allclose(lots, np.round(lots)), "orders must be whole lots"
    positive = orders > 0
    assert (orders[positive] >= cat.moq[positive] - 1e-9).all(), "MOQ"
    assert (orders <= cat.max_order + 1e-9).all(), "max order"
    assert (orders >= 0).all()
