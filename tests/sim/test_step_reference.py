"""The vectorized step against a straightforward reference written here, one SKU at a time.

The reference follows docs/concepts.md's period order literally: orders placed (an order
with lead time L lands in period t+L; a disrupted supplier delivers only its fraction),
arrivals received (capacity checked at receipt, overflow rejected by
:func:`~hybridinv.sim.simulator.excess_units`, the documented rule), demand served oldest
stock first (lost or backordered), perishables age and expire, costs charged on
end-of-period stock. Every period's state, cost components and KPI counters must match
the simulator's to float rounding, on scenarios with perishables, lost sales and
backorders, stochastic lead times, disruptions, capacity, prices and fixed order costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from hybridinv import Catalog, Constraints, InventoryState
from hybridinv.demand import DemandProcess, Disruptions, LeadTimeProcess
from hybridinv.sim import Scenario, Simulator
from hybridinv.sim.scenario import ScenarioPath
from hybridinv.sim.simulator import excess_units


@dataclass
class _Period:
    on_hand: np.ndarray
    backorders: np.ndarray
    pipeline_total: np.ndarray
    costs: np.ndarray  # holding, shortage, ordering, waste, overflow
    served: float
    demand: float
    stockouts: int
    waste: float
    overflow: float
    received: float
    held: float
    revenue: float
    spend: float


@dataclass
class _Reference:
    """One SKU at a time: stock as a list of (periods of life left, units) lots per SKU."""

    scenario: Scenario
    path: ScenarioPath
    lots: list[list[list[float]]] = field(default_factory=list)
    incoming: dict[tuple[int, int], float] = field(default_factory=dict)
    backorders: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        cat, init = self.scenario.catalog, self.scenario.initial_state
        assert init is not None and init.pipeline is not None and init.backorders is not None
        for i in range(cat.n_skus):
            life = int(cat.shelf_life[i]) if cat.shelf_life[i] > 0 else math.inf
            self.lots.append([[life, float(init.on_hand[i])]] if init.on_hand[i] > 0 else [])
            self.backorders.append(float(init.backorders[i]))
            for k in range(init.pipeline.shape[1]):
                if init.pipeline[i, k] > 0:
                    self.incoming[(k, i)] = self.incoming.get((k, i), 0.0) + float(init.pipeline[i, k])

    def on_hand(self) -> np.ndarray:
        return np.array([sum(units for _, units in lots) for lots in self.lots])

    def pipeline_total(self, t: int) -> np.ndarray:
        out = np.zeros(len(self.lots))
        for (period, i), units in self.incoming.items():
            if period >= t:
                out[i] += units
        return out

    def step(self, t: int, orders: np.ndarray) -> _Period:
        sc, cat = self.scenario, self.scenario.catalog
        n = cat.n_skus
        lead = self.path.lead_times.lead_time[t]
        fraction = self.path.lead_times.delivered_fraction
        spend = fixed = 0.0
        for i in range(n):
            q = float(np.rint(orders[i]))
            delivered = q if fraction is None else math.floor(q * fraction[t, i])
            if delivered > 0:
                key = (t + int(lead[i]), i)
                self.incoming[key] = self.incoming.get(key, 0.0) + delivered
            spend += cat.unit_cost[i] * delivered
            fixed += cat.order_cost[i] if q > 0 else 0.0
        arrivals = np.array([self.incoming.pop((t, i), 0.0) for i in range(n)])
        rejected = np.zeros(n)
        if math.isfinite(sc.constraints.capacity):
            used = sum(cat.volume[i] * oh for i, oh in enumerate(self.on_hand()))
            incoming = sum(cat.volume[i] * arrivals[i] for i in range(n))
            excess = used + incoming - sc.constraints.capacity
            if excess > 1e-9 and incoming > 0.0:
                rejected = excess_units(arrivals, cat.volume, excess)
                arrivals = arrivals - rejected
        demand = self.path.demand.realized[t]
        served = np.zeros(n)
        short = np.zeros(n)
        waste = np.zeros(n)
        for i in range(n):
            life = int(cat.shelf_life[i]) if cat.shelf_life[i] > 0 else math.inf
            if arrivals[i] > 0:
                self.lots[i].append([life, arrivals[i]])
            self.lots[i].sort(key=lambda lot: lot[0])  # oldest (least life left) first
            need = demand[i] + (0.0 if sc.lost_sales else self.backorders[i])
            taken = 0.0
            for lot in self.lots[i]:
                use = min(lot[1], need - taken)
                lot[1] -= use
                taken += use
            owed_served = 0.0 if sc.lost_sales else min(taken, self.backorders[i])
            served[i] = taken - owed_served
            short[i] = demand[i] - served[i]
            if not sc.lost_sales:
                self.backorders[i] += short[i] - owed_served
            kept = []
            for lot_life, units in self.lots[i]:
                if lot_life == 1:
                    waste[i] += units
                elif units > 0:
                    kept.append([lot_life - 1, units])
            self.lots[i] = kept
        on_hand = self.on_hand()
        shortage = short if sc.lost_sales else np.array(self.backorders)
        price = cat.price
        sold = served > 0
        revenue = float(np.sum(price[sold] * served[sold])) if not np.isnan(price[sold]).any() else math.nan
        costs = np.array([
            float(np.sum(cat.holding_cost * on_hand)),
            float(np.sum(cat.shortage_cost * shortage)),
            spend + fixed,
            float(waste.sum()) * sc.waste_cost,
            float(rejected.sum()) * sc.overflow_cost,
        ])
        return _Period(
            on_hand=on_hand, backorders=np.array(self.backorders), pipeline_total=self.pipeline_total(t + 1),
            costs=costs, served=float(served.sum()), demand=float(demand.sum()),
            stockouts=int(np.count_nonzero(short)), waste=float(waste.sum()), overflow=float(rejected.sum()),
            received=float(arrivals.sum()), held=float(on_hand.sum()), revenue=revenue, spend=spend,
        )


def _scenario(
    n: int, *, lost_sales: bool, perishable: bool, random_leads: bool, disrupted: bool, capacity: bool,
    same_lead: bool = False, priced: str = "all",
) -> Scenario:
    rng = np.random.default_rng(n + 17 * lost_sales + 5 * perishable + 3 * disrupted)
    mean = rng.uniform(1.0, 15.0, n)
    lead_time = np.full(n, 2) if same_lead else rng.integers(0, 4, n)
    price = rng.uniform(2.0, 12.0, n)
    if priced == "some":
        price[rng.random(n) < 0.3] = np.nan
    elif priced == "none":
        price[:] = np.nan
    catalog = Catalog(
        sku=np.array([f"R{i}" for i in range(n)], dtype=object),
        unit_cost=rng.uniform(1, 10, n), holding_cost=rng.uniform(0.1, 1.0, n), shortage_cost=rng.uniform(2, 9, n),
        order_cost=np.where(rng.random(n) < 0.5, rng.uniform(1, 5, n), 0.0), lead_time=lead_time,
        lead_time_std=np.where(rng.random(n) < 0.6, 0.8, 0.0) if random_leads else np.zeros(n),
        shelf_life=rng.integers(0, 5, n) if perishable else np.zeros(n, dtype=np.int64),
        volume=rng.uniform(0.5, 2.0, n), price=price,
        supplier=np.array([f"V{i % 3}" for i in range(n)], dtype=object),
    )
    lead = LeadTimeProcess.from_catalog(
        catalog.lead_time, catalog.lead_time_std, catalog.supplier,
        Disruptions(0.15, 3.0, 2, (0.2, 0.8)) if disrupted else None,
    )
    limit = 0.45 * float(np.sum(catalog.volume * mean * (catalog.lead_time + 2))) if capacity else math.inf
    pipeline = np.zeros((n, 3))
    pipeline[:, 1] = rng.integers(0, 10, n)
    initial = InventoryState(catalog.sku, rng.integers(0, 30, n).astype(float),
                             np.zeros(n) if lost_sales else rng.integers(0, 5, n).astype(float), pipeline)
    return Scenario(
        name="reference", catalog=catalog, constraints=Constraints(capacity=limit),
        demand=DemandProcess(mean=mean, distribution="negative_binomial", dispersion=2.0),
        lead_times=lead, periods=60, lost_sales=lost_sales, initial_state=initial,
        waste_cost=1.5, overflow_cost=2.5,
    )


CASES = {
    "lost_sales": dict(lost_sales=True, perishable=False, random_leads=False, disrupted=False, capacity=False),
    "lost_sales_same_lead": dict(lost_sales=True, perishable=False, random_leads=False, disrupted=False,
                                 capacity=False, same_lead=True, priced="none"),
    "backorders": dict(lost_sales=False, perishable=False, random_leads=False, disrupted=False, capacity=False,
                       priced="some"),
    "backorders_same_lead_capacity": dict(lost_sales=False, perishable=False, random_leads=False, disrupted=False,
                                          capacity=True, same_lead=True),
    "perishable_lost_sales": dict(lost_sales=True, perishable=True, random_leads=False, disrupted=False,
                                  capacity=False, priced="some"),
    "perishable_backorders_capacity": dict(lost_sales=False, perishable=True, random_leads=True, disrupted=False,
                                           capacity=True),
    "stochastic_leads": dict(lost_sales=True, perishable=False, random_leads=True, disrupted=False, capacity=False),
    "disruptions_capacity": dict(lost_sales=True, perishable=False, random_leads=True, disrupted=True, capacity=True),
    "everything_backorders": dict(lost_sales=False, perishable=True, random_leads=True, disrupted=True,
                                  capacity=True, priced="none"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_step_matches_the_reference(name: str) -> None:
    scenario = _scenario(12, **CASES[name])  # type: ignore[arg-type]
    path = scenario.sample(3)
    sim = Simulator(scenario, check_orders=False)
    obs = sim.reset(path=path)
    ref = _Reference(scenario, path)
    rng = np.random.default_rng(5)
    order_up_to = np.ceil(scenario.demand.mean * (scenario.catalog.lead_time + 2))
    ledger = sim.ledger
    mechanisms = {"waste": 0.0, "overflow": 0.0, "short": 0}
    for t in range(scenario.periods):
        orders = np.maximum(order_up_to - obs.inventory_position, 0.0) + rng.poisson(1.0, scenario.n_skus)
        expected = ref.step(t, orders)
        obs = sim.step(orders)
        assert np.array_equal(obs.on_hand, expected.on_hand), t
        assert np.array_equal(obs.backorders, expected.backorders), t
        assert np.array_equal(obs.pipeline.sum(axis=1), expected.pipeline_total), t
        assert ledger.costs[t] == pytest.approx(expected.costs, rel=1e-12, abs=1e-9), t
        for got, want in [
            (ledger.served[t], expected.served), (ledger.demand[t], expected.demand),
            (ledger.stockouts[t], expected.stockouts), (ledger.waste_units[t], expected.waste),
            (ledger.overflow_units[t], expected.overflow), (ledger.received_units[t], expected.received),
            (ledger.held_units[t], expected.held), (ledger.spend[t], expected.spend),
        ]:
            assert got == pytest.approx(want, rel=1e-12, abs=1e-9), t
        if math.isnan(expected.revenue):
            assert math.isnan(ledger.revenue[t]), t
        else:
            assert ledger.revenue[t] == pytest.approx(expected.revenue, rel=1e-12, abs=1e-9), t
        mechanisms["waste"] += expected.waste
        mechanisms["overflow"] += expected.overflow
        mechanisms["short"] += expected.stockouts
    case = CASES[name]
    assert mechanisms["short"] > 0
    if case["perishable"]:
        assert mechanisms["waste"] > 0
    if case["capacity"]:
        assert mechanisms["overflow"] > 0


def test_summary_totals_match_the_reference_over_the_episode() -> None:
    scenario = _scenario(12, **CASES["everything_backorders"])  # type: ignore[arg-type]
    path = scenario.sample(11)
    sim = Simulator(scenario, check_orders=False, per_sku_costs=True)
    obs = sim.reset(path=path)
    ref = _Reference(scenario, path)
    total = np.zeros(5)
    served = demand = 0.0
    order_up_to = np.ceil(scenario.demand.mean * (scenario.catalog.lead_time + 3))
    for t in range(scenario.periods):
        orders = np.maximum(order_up_to - obs.inventory_position, 0.0)
        period = ref.step(t, orders)
        obs = sim.step(orders)
        if t >= sim.ledger.warmup:
            total += period.costs
            served += period.served
            demand += period.demand
    measured = scenario.periods - sim.ledger.warmup
    summary = sim.ledger.summary()
    assert summary["avg_cost"] == pytest.approx(total.sum() / measured, rel=1e-12)
    assert summary["holding_cost"] == pytest.approx(total[0] / measured, rel=1e-12)
    assert summary["waste_cost"] == pytest.approx(total[3] / measured, rel=1e-12)
    assert summary["fill_rate"] == pytest.approx(served / demand, rel=1e-12)
    assert sim.ledger.sku_costs is not None
    assert sim.ledger.sku_costs.sum(axis=1) == pytest.approx(sim.ledger.costs.sum(axis=1), rel=1e-12)
