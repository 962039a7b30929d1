"""Seeded random repair instances for tests, benchmarks and examples.

:func:`random_instance` is the original generator (fractional desired orders,
default weights, three receipt periods). :func:`family_instance` draws from the
named :data:`FAMILIES`, which vary one thing at a time around a common base: the
weight structure, the share of SKUs with a minimum order, the lead times and the
tightness of the capacity and budget rows, plus the ``plan()``-level instance of
issue 15 (a user base-stock policy on a lead-time-0 catalog).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from hybridinv.core import Catalog, Constraints, InventoryState, capacity_rows

__all__ = ["FAMILIES", "FamilySpec", "RepairInstance", "family_instance", "random_instance"]


@dataclass(frozen=True, eq=False)
class RepairInstance:
    """Inputs of one :func:`~hybridinv.repair.repair_orders` call."""

    desired: NDArray[np.float64]
    catalog: Catalog
    state: InventoryState
    constraints: Constraints
    under_weight: NDArray[np.float64] | None = None
    over_weight: NDArray[np.float64] | None = None

    @property
    def args(self) -> tuple[NDArray[np.float64], Catalog, InventoryState, Constraints]:
        """Positional arguments of :func:`~hybridinv.repair.repair_orders`."""
        return self.desired, self.catalog, self.state, self.constraints

    @property
    def weights(self) -> dict[str, NDArray[np.float64]]:
        """Keyword arguments ``under_weight``/``over_weight`` (empty: the repair defaults)."""
        out = {}
        if self.under_weight is not None:
            out["under_weight"] = self.under_weight
        if self.over_weight is not None:
            out["over_weight"] = self.over_weight
        return out


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


@dataclass(frozen=True)
class FamilySpec:
    """How a family's instances are drawn (see :func:`family_instance`).

    Attributes
    ----------
    weights : {"policy", "shortfall", "uniform"}
        ``policy``: the repair defaults from the catalog costs, as ``plan()`` derives
        them, with shortage cost ``0.5 * unit_cost`` and holding cost
        ``0.2 * unit_cost / 52`` (under-weights ~130 times the over-weights, the
        same shortage cost per unit of budget on every SKU); ``shortfall``: an
        ``under_weight`` shaped like :func:`hybridinv.policies.rq.shortfall_weights`
        (margin times the chance the units are needed, floored at 2 %);
        ``uniform``: both weights 1.
    moq_share : float
        Share of SKUs with a minimum order of 2-6 lots.
    max_lead_time : int
        Lead times drawn from ``0..max_lead_time`` (0: one capacity row).
    tightness : float
        Capacity (above the projected stock) and budget as a share of what the
        desired orders need: ``>= 1`` loose, ``0.7`` binding, ``0.3`` very tight.
    """

    weights: str = "policy"
    moq_share: float = 0.5
    max_lead_time: int = 3
    tightness: float = 0.7


_BASE = FamilySpec()
#: Named instance families: one field changed at a time around a common base.
FAMILIES: dict[str, FamilySpec] = {
    "plan_base_stock": FamilySpec(weights="policy", moq_share=0.8, max_lead_time=0, tightness=0.7),
    "weights_policy": _BASE,
    "weights_shortfall": replace(_BASE, weights="shortfall"),
    "weights_uniform": replace(_BASE, weights="uniform"),
    "moq_none": replace(_BASE, moq_share=0.0),
    "moq_all": replace(_BASE, moq_share=1.0),
    "lead_zero": replace(_BASE, max_lead_time=0),
    "loose": replace(_BASE, tightness=1.2),
    "very_tight": replace(_BASE, tightness=0.3),
}


def family_instance(family: str | FamilySpec, n_skus: int, seed: int = 0) -> RepairInstance:
    """A seeded instance of a named family of :data:`FAMILIES` (or of a spec).

    Whole-unit desired orders (what a target policy asks for: ``ceil(S - IP)``),
    lot sizes 1-12, no pipeline beyond about one period of demand per receipt
    period, capacity and budget at ``tightness`` times the need.

    Raises
    ------
    KeyError
        For an unknown family name.
    """
    spec = FAMILIES[family] if isinstance(family, str) else family
    rng = np.random.default_rng(seed)
    n = int(n_skus)
    lot = rng.choice([1.0, 1.0, 2.0, 5.0, 6.0, 10.0, 12.0], size=n)
    moq = np.where(rng.random(n) < spec.moq_share, lot * rng.integers(2, 7, size=n), 0.0)
    mean = rng.gamma(2.0, 10.0, size=n) + 1.0
    unit_cost = rng.lognormal(1.5, 0.7, size=n)
    desired = np.ceil(mean * rng.uniform(0.2, 2.5, size=n))
    desired[rng.random(n) < 0.1] = 0.0
    lead = rng.integers(0, spec.max_lead_time + 1, size=n)
    catalog = Catalog(
        sku=np.array([f"sku{i:05d}" for i in range(n)], dtype=object),
        unit_cost=unit_cost,
        holding_cost=0.2 * unit_cost / 52,
        shortage_cost=0.5 * unit_cost,
        lead_time=lead,
        volume=rng.lognormal(0.0, 0.6, size=n),
        moq=moq,
        lot_size=lot,
        max_order=np.where(rng.random(n) < 0.2, np.maximum(np.ceil(1.5 * mean / lot) * lot, moq + lot), np.inf),
        demand_mean=mean,
    )
    pipeline = np.zeros((n, spec.max_lead_time + 1))
    pipeline[:, 1:] = mean[:, None]
    on_hand = np.floor(mean * rng.uniform(0.0, 1.5, size=n))
    state = InventoryState(catalog.sku, on_hand, np.zeros(n), pipeline)
    rows = capacity_rows(catalog.volume, lead, on_hand, pipeline, mean, 0.0, state.backorders)
    need = np.bincount(lead, weights=catalog.volume * desired, minlength=rows.residual.size)
    # one capacity for all receipt periods: the most loaded period's projected stock plus a share of its need
    capacity = float(np.max(-rows.residual + spec.tightness * need))
    budget = float(spec.tightness * (unit_cost * desired).sum()) + 1e-9
    under = over = None
    if spec.weights == "shortfall":
        std = np.sqrt(1.5 * mean * (lead + 1.0))
        gap = on_hand + mean * lead + 0.5 * desired - mean * (lead + 1.0)
        need_prob = 1.0 / (1.0 + np.exp(1.702 * gap / std))  # logistic approximation of the normal tail
        margin = np.maximum(catalog.shortage_cost - unit_cost, 0.0) + 0.5 * unit_cost * rng.uniform(0.5, 2.0, size=n)
        under = margin * np.clip(need_prob, 0.02, 1.0) + 1e-3
    elif spec.weights == "uniform":
        under, over = np.ones(n), np.ones(n)
    elif spec.weights != "policy":
        raise ValueError(f"unknown weight structure {spec.weights!r}")
    constraints = Constraints(capacity=capacity, budget=budget)
    return RepairInstance(desired, catalog, state, constraints, under, over)
