"""Units are conserved across the network, per location and period and in total, over > 1 M location-SKU-periods.

Per location and period (``received`` are the units accepted at receipt):

- stock: ``on_hand[t-1] + received[t] = shipped_out[t] + served[t] + backorders_filled[t] + on_hand[t]``;
- transit: ``in_transit[t-1] + ordered[t] + shipped_in[t] = received[t] + overflow[t] + in_transit[t]``;
- backorders (stores): ``backorders[t] = backorders[t-1] + demand[t] - served[t] - backorders_filled[t]``.

In total: units from the suppliers (plus the initial stock and pipeline) = stock at the end
everywhere + in transit + units sold + units rejected at receipt. All exact (whole units in float64).
"""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.network import (
    EchelonBaseStock,
    InstallationBaseStock,
    Network,
    NetworkCosts,
    NetworkDecision,
    NetworkObservation,
    NetworkSimulator,
    NetworkState,
    poisson_demand,
)

STORES, SKUS, PERIODS = 10, 1_000, 100


class _Noisy:
    """A base-stock policy plus random extra supplier orders and requests (still fair-shared, so feasible)."""

    name = "noisy"

    def __init__(self, policy: EchelonBaseStock | InstallationBaseStock, seed: int) -> None:
        self.policy = policy
        self.rng = np.random.default_rng(seed)

    def act(self, obs: NetworkObservation) -> NetworkDecision:
        base = self.policy.act(obs)
        orders = base.supplier_orders + self.rng.poisson(2.0, base.supplier_orders.shape)
        assert base.requested is not None
        requested = base.requested + self.rng.poisson(1.0, base.requested.shape)
        return NetworkDecision(orders, self.policy._allocate(requested, obs.on_hand), requested)


@pytest.mark.parametrize(("lost_sales", "policy_class"), [(False, EchelonBaseStock), (True, InstallationBaseStock)])
def test_units_are_conserved_over_a_million_location_sku_periods(lost_sales, policy_class):
    rng = np.random.default_rng(11)
    volume = rng.choice([0.5, 1.0, 2.0], SKUS)
    means = rng.gamma(1.5, 1.0, (STORES, SKUS))
    # tight capacities so that receipts overflow somewhere
    net = Network.one_warehouse(STORES, 2, [1, 2, 0, 3, 1, 1, 2, 0, 1, 3], warehouse_capacity=0.5 * volume @
                                means.sum(axis=0) * 5, store_capacity=volume @ means.mean(axis=0) * 3)
    costs = NetworkCosts.build(net, SKUS, unit_cost=1.0, volume=volume, overflow_cost=1.0)
    shape = (net.n_locations, SKUS)
    initial = NetworkState.build(net, SKUS, on_hand=rng.integers(0, 5, shape),
                                 pipeline=rng.integers(0, 3, (*shape, net.max_lead_time + 1)),
                                 backorders=0 if lost_sales else rng.integers(0, 3, shape) * net.is_store[:, None])
    levels = np.vstack([means.sum(axis=0) * 6, means * 4])
    policy = _Noisy(policy_class(net, levels), seed=5)
    sim = NetworkSimulator(net, costs, PERIODS, lost_sales=lost_sales)
    assert net.n_locations * SKUS * PERIODS >= 1_000_000
    ledger = sim.run(policy, poisson_demand(means, PERIODS, seed=3), initial)
    u = ledger.units
    start = {
        "on_hand": initial.on_hand.sum(axis=1), "in_transit": initial.pipeline.sum(axis=(1, 2)),
        "backorders": initial.backorders.sum(axis=1),
    }
    previous = {k: np.vstack([start[k], u[k][:-1]]) for k in start}
    np.testing.assert_array_equal(previous["on_hand"] + u["received"],
                                  u["shipped_out"] + u["served"] + u["backorders_filled"] + u["on_hand"])
    np.testing.assert_array_equal(previous["in_transit"] + u["ordered"] + u["shipped_in"],
                                  u["received"] + u["overflow"] + u["in_transit"])
    np.testing.assert_array_equal(u["backorders"],
                                  previous["backorders"] + u["demand"] - u["served"] - u["backorders_filled"]
                                  - u["lost"])
    if lost_sales:
        assert u["backorders"].sum() == 0 and u["backorders_filled"].sum() == 0
        np.testing.assert_array_equal(u["lost"], u["demand"] - u["served"])
    else:
        assert u["lost"].sum() == 0
    # what the ledger says matches the simulator's final state
    final = sim.observe()
    assert final.on_hand.sum() == u["on_hand"][-1].sum() and final.pipeline.sum() == u["in_transit"][-1].sum()
    assert final.on_hand.min() >= 0 and final.pipeline.min() >= 0
    # the network-wide balance
    supplied = initial.on_hand.sum() + initial.pipeline.sum() + u["ordered"].sum()
    sold = u["served"].sum() + u["backorders_filled"].sum()
    assert supplied == final.on_hand.sum() + final.pipeline.sum() + sold + u["overflow"].sum()
    # shipped out by the warehouse = shipped in to the stores; capacity held at every receipt
    np.testing.assert_array_equal(u["shipped_out"][:, 0], u["shipped_in"][:, 1:].sum(axis=1))
    assert u["overflow"][:, 0].sum() > 0 and u["overflow"][:, 1:].sum() > 0
    assert np.nanmax(ledger.capacity_use) <= 1.0 + 1e-12
    assert u["ordered"][:, 1:].sum() == 0 and u["shipped_in"][:, 0].sum() == 0


@pytest.mark.parametrize("lost_sales", [False, True])
@pytest.mark.parametrize("warmup", [0, 3])
def test_the_valued_cost_charges_the_goods_sold_owed_or_rejected(lost_sales, warmup):
    # Equal unit costs, so the value balance can be checked against the ledger's unit flows (summed over SKUs):
    # over the measured periods, purchases - change of the position's value = c * (units sold, plus the units
    # backordered with backorders, plus the units rejected at receipt).
    skus, periods, c = 40, 30, 2.5
    rng = np.random.default_rng(3)
    volume = rng.choice([0.5, 1.0, 2.0], skus)
    means = rng.gamma(1.5, 1.0, (3, skus))
    net = Network.one_warehouse(3, 2, [1, 0, 2], warehouse_capacity=0.4 * volume @ means.sum(axis=0) * 4,
                                store_capacity=volume @ means.mean(axis=0) * 2)
    costs = NetworkCosts.build(net, skus, unit_cost=c, volume=volume, overflow_cost=1.0)
    shape = (net.n_locations, skus)
    initial = NetworkState.build(net, skus, on_hand=rng.integers(0, 5, shape),
                                 pipeline=rng.integers(0, 3, (*shape, net.max_lead_time + 1)),
                                 backorders=0 if lost_sales else rng.integers(0, 3, shape) * net.is_store[:, None])
    policy = _Noisy(EchelonBaseStock(net, np.vstack([means.sum(axis=0) * 6, means * 4])), seed=1)
    sim = NetworkSimulator(net, costs, periods, lost_sales=lost_sales, warmup=warmup)
    ledger = sim.run(policy, poisson_demand(means, periods, seed=2), initial)
    out = ledger.summary()
    measured = periods - warmup
    assert ledger.total("overflow") > 0  # the capacities bind, so rejected receipts are part of the check
    taken = ledger.total("served") + ledger.total("backorders_filled") if lost_sales else ledger.total("demand")
    purchases = ledger.spend[warmup:].sum() / measured
    assert out["valued_cost"] - (out["avg_cost"] - purchases) == pytest.approx(
        c * (taken + ledger.total("overflow")) / measured, rel=1e-12)
    assert out["demand_value"] == pytest.approx(c * ledger.total("demand") / measured, rel=1e-12)
    assert out["cost_above_goods"] == pytest.approx(out["valued_cost"] - out["demand_value"], rel=1e-12)


def test_demand_value_weights_each_sku_by_its_unit_cost():
    rng = np.random.default_rng(8)
    skus, periods = 12, 20
    unit_cost = rng.uniform(1.0, 30.0, skus)
    means = rng.gamma(2.0, 1.0, (2, skus))
    net = Network.one_warehouse(2, 1, [1, 1])
    costs = NetworkCosts.build(net, skus, unit_cost=unit_cost)
    path = poisson_demand(means, periods, seed=4)
    sim = NetworkSimulator(net, costs, periods, warmup=5)
    ledger = sim.run(EchelonBaseStock(net, np.vstack([means.sum(axis=0) * 4, means * 2])), path)
    assert ledger.summary()["demand_value"] == pytest.approx((path[5:].sum(axis=1) @ unit_cost).mean(), rel=1e-12)
    policy = EchelonBaseStock(net, np.vstack([means.sum(axis=0) * 4, means * 2]))
    obs = sim.reset(path)
    for _ in range(periods - 1):
        obs = sim.step(policy.act(obs))
    assert np.isnan(sim.ledger.summary()["valued_cost"])          # unfinished: the end value is not known
    sim.step(policy.act(obs))
    assert sim.ledger.summary()["valued_cost"] == pytest.approx(ledger.summary()["valued_cost"], rel=1e-12)
