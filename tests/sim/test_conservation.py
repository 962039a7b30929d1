"""Units are conserved: per period and in total, on a million SKU-periods and on random small instances.

Stock balance: ``on-hand start + received = served + backorders filled + waste + on-hand end``.
Pipeline balance: ``pipeline start + (ordered - cancelled) = pipeline end + received + overflow``
(received are the arrivals left after capacity rejection). Backorders:
``backorders end = backorders start + demand - served - backorders filled``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridinv import Catalog, Constraints, InventoryState
from hybridinv.demand import DemandProcess, Disruptions, LeadTimeProcess
from hybridinv.sim import Scenario, Simulator


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
