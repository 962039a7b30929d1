"""Units are conserved: per period and in total, on a million SKU-periods and on random small instances.

Stock balance: ``on-hand start + received = served + backorders filled + waste + on-hand end``.
Pipeline balance: ``pipeline start + (ordered - cancelled) = pipeline end + received + overflow``
(received are the arrivals left after capacity rejection). Backorders:
``backorders end = backorders start + demand - served - backorders filled``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import make_catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridinv import Catalog, Constraints, InventoryState
from hybridinv.demand import DemandProcess, Disruptions, LeadTimeProcess
from hybridinv.sim import BatchSimulator, Scenario, ScenarioPath, Simulator


def _run_and_check(scenario: Scenario, seed: int, order_up_to: np.ndarray, noise: float = 0.0) -> dict[str, float]:
    """Run an order-up-to rule (plus random extra orders) and check every balance each period."""
    sim = Simulator(scenario)
    obs = sim.reset(seed=seed)
    rng = np.random.default_rng(seed + 1)
    volume, capacity = scenario.catalog.volume, scenario.constraints.capacity
    ledger = sim.ledger
    on_hand, pipeline, backorders = obs.on_hand.sum(), obs.pipeline.sum(), obs.backorders.sum()
    start_on_hand = on_hand
    while not sim.done:
        t = sim.t
        orders = np.maximum(order_up_to - obs.inventory_position, 0.0)
        if noise:
            orders += rng.poisson(noise, orders.size)
        obs = sim.step(orders)
        new_on_hand, new_pipeline, new_back = obs.on_hand.sum(), obs.pipeline.sum(), obs.backorders.sum()
        assert ledger.ordered_units[t] == orders.sum()
        outflow = ledger.served[t] + ledger.backorders_filled[t] + ledger.waste_units[t]
        assert on_hand + ledger.received_units[t] == outflow + new_on_hand, t
        delivered = ledger.ordered_units[t] - ledger.cancelled_units[t]
        assert pipeline + delivered == new_pipeline + ledger.received_units[t] + ledger.overflow_units[t], t
        if scenario.lost_sales:
            assert new_back == 0 and ledger.backorders_filled[t] == 0
        else:
            assert new_back == backorders + ledger.demand[t] - ledger.served[t] - ledger.backorders_filled[t], t
        if np.isfinite(capacity):
            assert volume @ obs.on_hand <= capacity + 1e-9
        assert obs.on_hand.min() >= 0 and obs.pipeline.min() >= 0
        on_hand, pipeline, backorders = new_on_hand, new_pipeline, new_back
    totals = {
        "start": start_on_hand,
        "received": ledger.received_units.sum(),
        "served": ledger.served.sum() + ledger.backorders_filled.sum(),
        "waste": ledger.waste_units.sum(),
        "end": on_hand,
        "ordered": ledger.ordered_units.sum(),
        "cancelled": ledger.cancelled_units.sum(),
        "overflow": ledger.overflow_units.sum(),
        "pipeline": pipeline,
    }
    assert totals["start"] + totals["received"] == totals["served"] + totals["waste"] + totals["end"]
    assert totals["ordered"] - totals["cancelled"] == totals["received"] + totals["overflow"] + totals["pipeline"]
    return totals


def _big_perishable_disrupted(n: int, periods: int, lost_sales: bool) -> tuple[Scenario, np.ndarray]:
    rng = np.random.default_rng(99)
    mean = rng.uniform(1.0, 20.0, n)
    catalog = Catalog(
        sku=np.array([f"P{i:03d}" for i in range(n)], dtype=object),
        unit_cost=rng.uniform(1, 10, n), holding_cost=np.ones(n), shortage_cost=np.full(n, 5.0),
        lead_time=rng.integers(0, 4, n), lead_time_std=np.where(rng.random(n) < 0.5, 0.7, 0.0),
        shelf_life=rng.integers(0, 6, n), volume=rng.uniform(0.5, 2.0, n),
        supplier=np.array([f"V{i % 4}" for i in range(n)], dtype=object),
    )
    lead = LeadTimeProcess.from_catalog(
        catalog.lead_time, catalog.lead_time_std, catalog.supplier, Disruptions(0.05, 4.0, 3, (0.3, 0.9))
    )
    capacity = 0.5 * float(catalog.volume @ (mean * (catalog.lead_time + 2)))  # binding most periods
    scenario = Scenario(
        name="conservation", catalog=catalog, constraints=Constraints(capacity=capacity),
        demand=DemandProcess(mean=mean, distribution="negative_binomial", dispersion=3.0),
        lead_times=lead, periods=periods, lost_sales=lost_sales, overflow_cost=1.0, waste_cost=1.0,
    )
    return scenario, np.ceil(mean * (catalog.lead_time + 3))


def test_conservation_on_a_million_sku_periods() -> None:
    scenario, order_up_to = _big_perishable_disrupted(200, 5_000, lost_sales=False)
    totals = _run_and_check(scenario, seed=7, order_up_to=order_up_to)
    # every mechanism was exercised
    assert totals["waste"] > 0 and totals["overflow"] > 0 and totals["cancelled"] > 0
    assert scenario.n_skus * scenario.periods >= 1_000_000


def test_conservation_lost_sales_perishable() -> None:
    scenario, order_up_to = _big_perishable_disrupted(50, 2_000, lost_sales=True)
    totals = _run_and_check(scenario, seed=8, order_up_to=order_up_to)
    assert totals["waste"] > 0 and totals["overflow"] > 0 and totals["cancelled"] > 0


@st.composite
def _instances(draw: st.DrawFn) -> tuple[Scenario, np.ndarray, int]:
    n = draw(st.integers(1, 4))
    ints = st.lists(st.integers(0, 3), min_size=n, max_size=n)
    lead_time = np.array(draw(ints))
    shelf_life = np.array(draw(ints))
    on_hand = np.array(draw(st.lists(st.integers(0, 10), min_size=n, max_size=n)), dtype=float)
    volume = np.array(draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n, max_size=n)))
    std = np.array(draw(st.lists(st.sampled_from([0.0, 0.6]), min_size=n, max_size=n)))
    catalog = make_catalog(n, lead_time=lead_time, shelf_life=shelf_life, volume=volume, lead_time_std=std)
    use_capacity = draw(st.booleans())
    capacity = float(volume @ on_hand) + draw(st.integers(1, 20)) if use_capacity else np.inf
    disruptions = Disruptions(0.3, 2.0, draw(st.integers(0, 2)), (0.2, 0.8)) if draw(st.booleans()) else None
    lead = LeadTimeProcess.from_catalog(lead_time, std, catalog.supplier, disruptions)
    mean = np.array(draw(st.lists(st.floats(0.0, 8.0), min_size=n, max_size=n)))
    scenario = Scenario(
        name="random", catalog=catalog, constraints=Constraints(capacity=capacity),
        demand=DemandProcess(mean=mean), lead_times=lead, periods=draw(st.integers(1, 15)),
        initial_state=InventoryState.empty(catalog, on_hand), lost_sales=draw(st.booleans()),
    )
    order_up_to = np.array(draw(st.lists(st.integers(0, 25), min_size=n, max_size=n)), dtype=float)
    return scenario, order_up_to, draw(st.integers(0, 2**16))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_instances())
def test_conservation_property(instance: tuple[Scenario, np.ndarray, int]) -> None:
    scenario, order_up_to, seed = instance
    _run_and_check(scenario, seed, order_up_to, noise=1.5)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_instances())
def test_valued_cost_from_flows_equals_the_change_of_position(instance: tuple[Scenario, np.ndarray, int]) -> None:
    """Two independent routes to the closing-stock credit agree per SKU: the position snapshots
    (on hand + pipeline - backorders at both ends) and the flows of every period (bought minus
    sold or demanded, wasted, rejected at receipt), with perishables, capacity and disruptions."""
    scenario, order_up_to, seed = instance
    sim = Simulator(scenario, per_sku_costs=True)
    obs = sim.reset(seed=seed)
    rng = np.random.default_rng(seed + 1)
    while not sim.done:
        obs = sim.step(np.maximum(order_up_to - obs.inventory_position, 0.0) + rng.poisson(1.5, order_up_to.size))
    ledger = sim.ledger
    assert ledger.sku_costs is not None and ledger.sku_valued_costs is not None
    np.testing.assert_allclose(ledger.closing_position, obs.inventory_position, atol=1e-9)
    by_flows = (ledger.sku_costs - ledger.sku_valued_costs).sum(axis=0)
    np.testing.assert_allclose(by_flows, ledger.sku_stock_value_change(), rtol=1e-9, atol=1e-6)
    total = ledger.summary()["valued_cost"] * scenario.periods
    assert total == pytest.approx(ledger.sku_valued_costs.sum(), rel=1e-9, abs=1e-6)


def _fractional_case(shelf_life: int, lost_sales: bool) -> tuple[Scenario, ScenarioPath]:
    """0.7 units on hand and 0.1 arriving in period 1 (in another age bucket when perishable) against a
    demand of 0.8 in period 1: the float sum 0.7 + 0.1 is 0.7999999999999999, a hair below the demand."""
    catalog = make_catalog(1, shelf_life=np.array([shelf_life]))
    state = InventoryState(sku=catalog.sku, on_hand=np.array([0.7]), pipeline=np.array([[0.0, 0.1]]))
    scenario = Scenario(name="fractional", catalog=catalog, constraints=Constraints(),
                        demand=DemandProcess(mean=np.ones(1)), periods=3, initial_state=state,
                        lost_sales=lost_sales, warmup=0)
    path = scenario.sample(0, 3)
    realized = path.demand.realized.copy()
    realized[:3, 0] = [0.0, 0.8, 0.0]
    return scenario, dataclasses.replace(path, demand=dataclasses.replace(path.demand, realized=realized))


@pytest.mark.parametrize("lost_sales", [True, False])
@pytest.mark.parametrize("shelf_life", [0, 3])
def test_fractional_stock_that_covers_demand_is_no_stockout(shelf_life: int, lost_sales: bool) -> None:
    """Stock that covers the demand exactly (0.7 + 0.1 units against 0.8) serves it all: no stockout,
    no backlog of 1e-16 units, no residue left to expire; units are conserved (to rounding)."""
    scenario, path = _fractional_case(shelf_life, lost_sales)
    sim = Simulator(scenario)
    sim.reset(path=path)
    while not sim.done:
        sim.step(np.zeros(1))
    summary, ledger = sim.ledger.summary(), sim.ledger
    assert summary["stockout_sku_periods"] == 0 and summary["cycle_service_level"] == 1.0
    assert summary["fill_rate"] == 1.0 and summary["shortage_cost"] == 0.0
    assert sim.backorders()[0] == 0.0 and sim.on_hand()[0] == 0.0 and ledger.waste_units.sum() == 0.0
    assert ledger.sku_stockouts[0] == 0
    outflow = ledger.served.sum() + ledger.backorders_filled.sum() + ledger.waste_units.sum() + sim.on_hand().sum()
    assert 0.7 + ledger.received_units.sum() == pytest.approx(outflow, abs=1e-12)
    batch = BatchSimulator(scenario)
    batch.reset(paths=[path, path])
    while not batch.done:
        batch.step(np.zeros((2, 1)))
    for e in range(2):
        assert batch.ledger(e).summary()["stockout_sku_periods"] == 0
    assert (batch.position() == 0.0).all()


@pytest.mark.parametrize("lost_sales", [True, False])
def test_conservation_with_fractional_units(lost_sales: bool) -> None:
    """Fractional demand and stock (kilograms, litres), perishable and not: start + receipts =
    sales + backorders filled + expired + end stock, to rounding, and backorders = demand - served."""
    rng = np.random.default_rng(5)
    n, periods = 20, 60
    catalog = make_catalog(n, shelf_life=rng.integers(0, 4, n), lead_time=rng.integers(0, 3, n))
    state = InventoryState(sku=catalog.sku, on_hand=np.round(rng.uniform(0, 5, n), 1),
                           pipeline=np.round(rng.uniform(0, 2, (n, 2)), 1))
    scenario = Scenario(name="fractional", catalog=catalog, constraints=Constraints(),
                        demand=DemandProcess(mean=np.full(n, 2.0)), periods=periods, initial_state=state,
                        lost_sales=lost_sales, warmup=0)
    path = scenario.sample(3, periods)
    realized = np.round(rng.uniform(0, 4, path.demand.realized.shape), 1)
    path = dataclasses.replace(path, demand=dataclasses.replace(path.demand, realized=realized))
    sim = Simulator(scenario)
    obs = sim.reset(path=path)
    start = obs.on_hand.sum() + obs.pipeline.sum()
    while not sim.done:
        obs = sim.step(np.maximum(np.round(6 - obs.inventory_position), 0))
    ledger = sim.ledger
    outflow = ledger.served.sum() + ledger.backorders_filled.sum() + ledger.waste_units.sum()
    assert start + ledger.ordered_units.sum() == pytest.approx(outflow + obs.on_hand.sum() + obs.pipeline.sum(),
                                                              rel=1e-12)
    owed = ledger.demand.sum() - ledger.served.sum() - ledger.backorders_filled.sum()
    assert obs.backorders.sum() == pytest.approx(0.0 if lost_sales else owed, abs=1e-9)
    assert obs.on_hand.min() >= 0 and obs.backorders.min() >= 0
