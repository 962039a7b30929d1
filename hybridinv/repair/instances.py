"""Seeded random repair instances for tests, benchmarks and examples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hybridinv.core import Catalog, Constraints, InventoryState, capacity_rows

__all__ = ["RepairInstance", "random_instance"]


@dataclass(frozen=True, eq=False)
class RepairInstance:
    """Inputs of one :func:`~hybridinv.repair.repair_orders` call."""

    desired: NDArray[np.float64]
    catalog: Catalog
    state: InventoryState
    constraints: Constraints


def random_instance(
    n_skus: int,
    seed: int = 0,
    *,
    capacity_tightness: float | None = 0.7,
    budget_tightness: float | None = 0.7,
    n_suppliers: int = 0,
    supplier_tightness: float = 0.8,
    max_lead_time: int = 2,
    moq_share: float = 0.5,
    fractional: bool = True,
) -> RepairInstance:
    """A random instance with MOQs, lot sizes and binding capacity and budget.

    Parameters
    ----------
    n_skus : int
    seed : int
        Seed of the instance's own generator.
    capacity_tightness, budget_tightness : float or None
        Capacity (in each receipt period) and budget as a share of what the
        desired orders need; ``None`` leaves the row out.
    n_suppliers : int
        Number of suppliers with a capacity of ``supplier_tightness`` times their
        desired units (0: no supplier rows).
    max_lead_time : int
        Lead times are drawn from ``0..max_lead_time``.
    moq_share : float
        Share of SKUs with a minimum order of 2-6 lots.
    fractional : bool
        Whether desired quantities are fractional (an RL policy's raw output).
    """
    rng = np.random.default_rng(seed)
    n = int(n_skus)
    lot = rng.choice([1.0, 1.0, 2.0, 5.0, 6.0, 10.0, 12.0], size=n)
    moq = np.where(rng.random(n) < moq_share, lot * rng.integers(2, 7, size=n), 0.0)
    mean = rng.gamma(2.0, 10.0, size=n) + 1.0
    desired = mean * rng.uniform(0.2, 2.5, size=n)
    desired = desired if fractional else np.round(desired)
    desired[rng.random(n) < 0.1] = 0.0
    max_order = np.where(rng.random(n) < 0.2, np.maximum(np.ceil(1.5 * mean / lot) * lot, moq + lot), np.inf)
    unit_cost = rng.lognormal(1.5, 0.7, size=n)
    suppliers = np.array([f"s{k}" for k in rng.integers(0, max(n_suppliers, 1), size=n)], dtype=object)
    catalog = Catalog(
        sku=np.array([f"sku{i:05d}" for i in range(n)], dtype=object),
        unit_cost=unit_cost,
        holding_cost=0.02 * unit_cost + rng.uniform(0.01, 0.2, size=n),
        shortage_cost=unit_cost * rng.uniform(0.3, 2.0, size=n) + 0.5,
        lead_time=rng.integers(0, max_lead_time + 1, size=n),
        volume=rng.lognormal(0.0, 0.6, size=n),
        moq=moq,
        lot_size=lot,
        max_order=max_order,
        supplier=suppliers,
        demand_mean=mean,
    )
    # open orders of about one period's demand keep the projected stock level over the lead times
    pipeline = np.zeros((n, max_lead_time + 1))
    pipeline[:, 1:] = mean[:, None]
    on_hand = np.floor(mean * rng.uniform(1.0, 2.0, size=n))
    state = InventoryState(catalog.sku, on_hand, np.zeros(n), pipeline)
    capacity = np.inf
    if capacity_tightness is not None:
        rows = capacity_rows(catalog.volume, catalog.lead_time, state.on_hand, pipeline, mean, 0.0, state.backorders)
        projected = -rows.residual  # volume of projected stock per receipt period
        need = np.bincount(catalog.lead_time, weights=catalog.volume * desired, minlength=projected.size)
        used = need > 0
        capacity = float(np.max(projected) + capacity_tightness * np.min(need[used])) if used.any() else np.inf
    budget = np.inf if budget_tightness is None else float(budget_tightness * (unit_cost * desired).sum()) + 1e-9
    supplier_capacity = {}
    if n_suppliers > 0:
        units = {s: float(desired[suppliers == s].sum()) for s in np.unique(suppliers)}
        supplier_capacity = {s: supplier_tightness * u + 1e-9 for s, u in units.items() if u > 0}
    constraints = Constraints(capacity=capacity, budget=max(budget, 1e-6), supplier_capacity=supplier_capacity)
    return RepairInstance(desired=desired, catalog=catalog, state=state, constraints=constraints)
