"""Echelon and installation base-stock: the Clark–Scarf serial dynamics, fair-share allocation, feasibility."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.network import (
    EchelonBaseStock,
    InstallationBaseStock,
    LocationError,
    Network,
    NetworkCosts,
    NetworkObservation,
    NetworkSimulator,
    NetworkState,
    base_stock_levels,
    poisson_demand,
)


def clark_scarf_reference(levels, lead_times, on_hand, demand):
    """A serial echelon base-stock system with backlogs between stages, one stage at a time in plain Python.

    Stage index 0 is the store (stage 1). Each period: receive; every stage orders up to its echelon
    level, counting the units its upstream stage still owes it as on order; each stage ships what it
    can of what it owes downstream (the rest stays owed); what travels with lead time 0 is received;
    the store serves its backlog, then demand.
    Returns the on-hand of every stage and the store's backorders at the end of each period.
    """
    n = len(levels)
    stock = list(on_hand)
    owed = [0] * n  # owed[j]: units stage j+1 owes stage j
    pipe: list[dict[int, int]] = [{} for _ in range(n)]
    back = 0
    history = []
    for t, d in enumerate(demand):
        for j in range(n):
            stock[j] += pipe[j].pop(t, 0)
        transit = [sum(p.values()) for p in pipe]
        position = [sum(stock[: j + 1]) + sum(transit[: j + 1]) + owed[j] - back for j in range(n)]
        orders = [max(0, levels[j] - position[j]) for j in range(n)]
        top = n - 1
        pipe[top][t + lead_times[top]] = pipe[top].get(t + lead_times[top], 0) + orders[top]
        for j in range(top):
            owed[j] += orders[j]
        for j in range(top):
            sent = min(stock[j + 1], owed[j])
            stock[j + 1] -= sent
            owed[j] -= sent
            pipe[j][t + lead_times[j]] = pipe[j].get(t + lead_times[j], 0) + sent
        for j in range(n):  # lead time 0: received before demand (not shipped on in the same period)
            stock[j] += pipe[j].pop(t, 0)
        cleared = min(stock[0], back)
        stock[0] -= cleared
        back -= cleared
        served = min(stock[0], d)
        stock[0] -= served
        back += d - served
        history.append((list(stock), back))
    return history


@pytest.mark.parametrize("seed", range(6))
def test_serial_echelon_base_stock_reproduces_clark_scarf_dynamics(seed):
    rng = np.random.default_rng(seed)
    n_stages = int(rng.integers(2, 5))
    lead_times = [int(x) for x in rng.integers(0, 4, n_stages)]  # stage 1 first
    mean = 4.0
    # echelon levels rising upstream, tight enough upstream that stages run short
    levels = np.cumsum(rng.integers(1, 8, n_stages)) + int(mean * (lead_times[0] + 1))
    on_hand = [int(x) for x in rng.integers(0, 10, n_stages)]  # stage 1 first
    periods = 120
    demand = poisson_demand(np.array([[mean]]), periods, seed=100 + seed)
    net = Network.serial(n_stages, lead_times)
    policy = EchelonBaseStock(net, levels[::-1])  # locations run stage_N ... stage_1
    sim = NetworkSimulator(net, NetworkCosts.build(net, 1), periods)
    obs = sim.reset(demand, NetworkState.build(net, 1, on_hand=np.array(on_hand[::-1])[:, None]))
    short_upstream = 0
    while not sim.done:
        decision = policy.act(obs)
        assert decision.requested is not None
        short_upstream += int((decision.requested > decision.shipments).sum())
        obs = sim.step(decision)
    reference = clark_scarf_reference(levels.tolist(), lead_times, on_hand, demand[:, 0, 0].astype(int).tolist())
    # observations include the next period's arrivals: compare the ledger's end-of-period records
    end_on_hand = sim.ledger.units["on_hand"][:, ::-1]
    end_back = sim.ledger.units["backorders"][:, -1]
    for t, (stock, back) in enumerate(reference):
        assert end_on_hand[t].tolist() == stock, t
        assert end_back[t] == back, t
    assert short_upstream > 0  # the upstream stages did run short: the re-requests were exercised


def test_one_warehouse_scarce_stock_is_shared_in_proportion_to_the_stores_needs():
    net = Network.one_warehouse(3, 2, 1)
    levels = [100, 10, 20, 30]
    on_hand = np.array([[12.0], [4.0], [5.0], [6.0]])  # store needs 6, 15, 24 (total 45) for 12 units
    obs = NetworkObservation.of(net, 0, on_hand, np.zeros((4, 1, 3)), np.zeros((4, 1)))
    for policy in (EchelonBaseStock(net, levels), InstallationBaseStock(net, levels)):
        decision = policy.act(obs)
        assert decision.requested is not None
        assert decision.requested.ravel().tolist() == [6, 15, 24]
        # exact shares 1.6, 4, 6.4 -> floors 1, 4, 6; the unit left to the largest remainder (1.6)
        assert decision.shipments.ravel().tolist() == [2, 4, 6]
    # echelon: 100 - (12 + 15) = 73; installation: 100 - 12 + the stores' requests 45 = 133
    assert EchelonBaseStock(net, levels).act(obs).supplier_orders.tolist() == [[73]]
    assert InstallationBaseStock(net, levels).act(obs).supplier_orders.tolist() == [[133]]


def test_installation_base_stock_reorders_the_stores_demand_in_steady_state():
    net = Network.one_warehouse(2, 1, 1)
    n = 3
    store_level = np.array([[8.0, 6.0, 9.0], [7.0, 5.0, 4.0]])
    levels = np.vstack([[30.0, 30.0, 30.0], store_level])
    demand = poisson_demand(np.full((2, n), 2.0), 40, seed=4)
    demand = np.minimum(demand, 4.0)  # never more than the stores hold: no backorders
    initial = NetworkState.build(net, n, on_hand=np.vstack([[30.0] * n, store_level]))
    sim = NetworkSimulator(net, NetworkCosts.build(net, n), 40)
    policy = InstallationBaseStock(net, levels)
    obs = sim.reset(demand, initial)
    orders = []
    while not sim.done:
        decision = policy.act(obs)
        orders.append(decision.supplier_orders[0])
        np.testing.assert_array_equal(decision.shipments, decision.requested)  # enough stock: all shipped
        obs = sim.step(decision)
    # each period the stores request yesterday's demand and the warehouse reorders exactly that
    np.testing.assert_array_equal(np.array(orders[1:]), demand[:-1].sum(axis=1))
    assert orders[0].sum() == 0


@pytest.mark.parametrize("seed", range(10))
def test_decisions_are_feasible_on_random_trees_and_states(seed):
    rng = np.random.default_rng(seed)
    n_locations = int(rng.integers(2, 10))
    parent = [-1] + [int(rng.integers(0, i)) for i in range(1, n_locations)]
    net = Network(tuple(f"L{i}" for i in range(n_locations)), parent, rng.integers(0, 3, n_locations),
                  [np.inf] * n_locations)
    n = 5
    shape = (n_locations, n)
    state = NetworkState.build(net, n, on_hand=rng.integers(0, 8, shape),
                               pipeline=rng.integers(0, 3, (*shape, net.max_lead_time + 1)),
                               backorders=rng.integers(0, 4, shape) * net.is_store[:, None])
    obs = NetworkObservation.of(net, 0, state.on_hand, state.pipeline, state.backorders)
    levels = rng.integers(0, 40, shape)
    for policy in (EchelonBaseStock(net, levels), InstallationBaseStock(net, levels)):
        decision = policy.act(obs)
        assert (decision.shipments >= 0).all() and (decision.supplier_orders >= 0).all()
        assert (net.ship_from @ decision.shipments <= obs.on_hand).all()
        assert (decision.shipments == np.round(decision.shipments)).all()
        sim = NetworkSimulator(net, NetworkCosts.build(net, n), 1)
        sim.reset(np.zeros((1, net.n_stores, n)), state)
        sim.step(decision)  # accepted by the simulator's check


def test_levels_shapes():
    net = Network.one_warehouse(2, 1, 1)
    assert base_stock_levels(net, 5, 2).tolist() == [[5, 5]] * 3
    assert base_stock_levels(net, [9, 3, 4], 2).tolist() == [[9, 9], [3, 3], [4, 4]]
    full = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(base_stock_levels(net, full, 2), full)
    with pytest.raises(LocationError, match="one level per location"):
        base_stock_levels(net, [1, 2], 2)
    with pytest.raises(LocationError, match="do not fit"):
        base_stock_levels(net, np.ones((3, 4)), 2)
    with pytest.raises(LocationError, match="finite"):
        base_stock_levels(net, [1, np.nan, 2], 2)


# ---------------------------------------------------------------------- repair= option
def _binding_network():
    from hybridinv.network import OrderRules

    net = Network.one_warehouse(3, warehouse_lead_time=2, store_lead_times=1, warehouse_capacity=900.0,
                                store_capacity=[120.0, 150.0, 90.0], budget=700.0)
    n = 12
    rng = np.random.default_rng(3)
    means = rng.uniform(1.0, 6.0, (3, n))
    costs = NetworkCosts.build(net, n, unit_cost=rng.uniform(1.0, 5.0, n), volume=rng.uniform(0.5, 2.0, n))
    lot = rng.integers(1, 4, n).astype(float)
    rules = OrderRules.build(n, lot_size=lot, moq=lot * rng.integers(0, 3, n))
    levels = np.vstack([means.sum(axis=0) * 6, means * 3])
    return net, costs, rules, means, levels


class _Recorder:
    def __init__(self, policy):
        self.policy, self.name, self.orders = policy, policy.name, []

    def act(self, obs):
        decision = self.policy.act(obs)
        self.orders.append(np.array(decision.supplier_orders))
        return decision


@pytest.mark.parametrize("policy_class", [EchelonBaseStock, InstallationBaseStock])
def test_repair_option_keeps_budget_capacities_moq_and_lots_where_fair_share_breaks_them(policy_class):
    from hybridinv.network import NetworkRepair

    net, costs, rules, means, levels = _binding_network()
    demand = poisson_demand(means, 60, seed=5)
    plain = NetworkSimulator(net, costs, periods=60).run(policy_class(net, levels), demand).summary()
    assert plain["budget_violations"] > 0 and plain["overflow_units"] > 0  # the instance binds
    repair = NetworkRepair(costs, rules=rules, backend="fast")
    recorder = _Recorder(policy_class(net, levels, repair=repair))
    repaired = NetworkSimulator(net, costs, periods=60).run(recorder, demand).summary()  # raises on bad shipments
    assert repaired["budget_violations"] == 0 and repaired["overflow_units"] == 0
    orders = np.vstack(recorder.orders)
    lot = np.broadcast_to(rules.lot_size, orders.shape)
    assert (orders % lot == 0).all()
    assert ((orders == 0) | (orders >= np.maximum(rules.moq, rules.lot_size))).all()
    assert repair.last is not None and repair.last.feasible and repair.last.backend == "fast"
    assert repaired["fill_rate"] > 0.5


def test_repair_none_keeps_the_fair_share_decisions():
    from hybridinv.network import NetworkRepair

    net, costs, rules, means, levels = _binding_network()
    obs = NetworkObservation.of(net, 0, np.full((4, 12), 3.0), np.zeros((4, 12, 3)), np.zeros((4, 12)))
    default = EchelonBaseStock(net, levels).act(obs)
    explicit = EchelonBaseStock(net, levels, repair=None).act(obs)
    np.testing.assert_array_equal(default.shipments, explicit.shipments)
    np.testing.assert_array_equal(default.supplier_orders, explicit.supplier_orders)
    # with a repair whose rows do not bind and without rules, scarce stock is still shared whole and within on-hand
    loose = Network.one_warehouse(3, 2, 1)
    repaired = EchelonBaseStock(loose, levels, repair=NetworkRepair(NetworkCosts.build(loose, 12))).act(obs)
    assert (repaired.shipments.sum(axis=0) <= obs.on_hand[0]).all()
    np.testing.assert_array_equal(repaired.supplier_orders, default.supplier_orders)


class _RowRecorder:
    """Keeps each period's shipments per SKU and the warehouse row's room (negative: reported over full)."""

    def __init__(self, policy, repair):
        self.policy, self.name, self.repair = policy, policy.name, repair
        self.shipped, self.room = [], []

    def act(self, obs):
        decision = self.policy.act(obs)
        self.shipped.append(decision.shipments.sum(axis=0))
        self.room.append(float(self.repair.last.problem.capacity_limit[0]))
        return decision


def test_with_a_forecast_a_receipt_overflows_only_by_the_forecast_outflow_that_did_not_happen():
    # L0 = 2, capacity 1.1 periods of network demand, volume 1. The warehouse row credits at most the stores'
    # mean demand mu_j of each SKU as leaving in period t+1, between the order of t and its receipt in t+2;
    # what stays instead is all that can overflow: overflow[t+2] <= sum_j (mu_j - shipped_j[t+1])^+, plus the
    # excess of a row the repair reported as already over full.
    from hybridinv.network import NetworkRepair

    rng = np.random.default_rng(4)
    n, periods = 8, 300
    means = rng.uniform(1.0, 4.0, (3, n))
    mu = means.sum(axis=0)
    net = Network.one_warehouse(3, warehouse_lead_time=2, store_lead_times=1, warehouse_capacity=1.1 * mu.sum())
    costs = NetworkCosts.build(net, n, holding_cost=[[0.5]] + [[1.0]] * 3, shortage_cost=9.0, unit_cost=1.0)
    levels = np.vstack([np.ceil(mu * 2 + means.sum(axis=0) * 2), np.ceil(means * 2)])
    demand = poisson_demand(means, periods, seed=2)
    runs = {}
    for label, expected in (("forecast", means), ("conservative", None)):
        repair = NetworkRepair(costs, expected_demand=expected)
        recorder = _RowRecorder(EchelonBaseStock(net, levels, repair=repair), repair)
        ledger = NetworkSimulator(net, costs, periods=periods, lost_sales=True).run(recorder, demand)
        runs[label] = (ledger, recorder)
    ledger, recorder = runs["forecast"]
    overflow = ledger.units["overflow"][:, 0]
    shipped = np.array(recorder.shipped)
    room = np.array(recorder.room)
    allowed = np.maximum(mu - shipped[1:-1], 0.0).sum(axis=1) + np.maximum(-room[:-2], 0.0)
    assert (overflow[2:] <= allowed + 1e-9).all()
    assert overflow.sum() > 0                                             # the bound is exercised
    # the conservative rows reject nothing, at the price of starving the stores
    plain = runs["conservative"][0].summary()
    assert plain["overflow_units"] == 0
    assert ledger.summary()["fill_rate"] > plain["fill_rate"] + 0.1
