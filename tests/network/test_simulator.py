"""The network period: a hand-computed example, lead time 0, decision checks, capacity rejection, seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hybridinv import PlanningError
from hybridinv.network import (
    EchelonBaseStock,
    LocationError,
    Network,
    NetworkCosts,
    NetworkDecision,
    NetworkSimulator,
    NetworkState,
    poisson_demand,
    reject_excess,
)
from hybridinv.sim.simulator import excess_units


def _hand_example(lost_sales: bool = False) -> NetworkSimulator:
    # stage_2 (warehouse, from the supplier in 1 period) -> stage_1 (store, 1 period, capacity 6)
    net = Network.serial(2, lead_times=[1, 1], capacities=[6, math.inf])
    costs = NetworkCosts.build(net, 1, holding_cost=[[1.0], [2.0]], shortage_cost=10.0, unit_cost=3.0,
                               order_cost=5.0, shipment_cost=1.0, transit_holding_cost=[[0.0], [0.5]],
                               overflow_cost=4.0)
    return NetworkSimulator(net, costs, periods=3, lost_sales=lost_sales)


def _hand_initial(sim: NetworkSimulator) -> NetworkState:
    pipeline = np.zeros((2, 1, 2))
    pipeline[0, 0, 0] = 2  # to the warehouse, arriving at the start of period 0
    pipeline[1, 0, 1] = 3  # to the store, arriving at the start of period 1
    return NetworkState.build(sim.network, 1, on_hand=[[4], [2]], pipeline=pipeline)


DEMAND = np.array([[[5.0]], [[1.0]], [[4.0]]])


def test_period_order_by_hand_backorders():
    sim = _hand_example()
    obs = sim.reset(DEMAND, _hand_initial(sim))
    # start of period 0: the warehouse has received its 2 units; nothing is in slot 0 any more
    assert obs.on_hand.ravel().tolist() == [6, 2] and obs.pipeline[..., 0].sum() == 0
    assert obs.installation_position.ravel().tolist() == [6, 5]
    assert obs.echelon_position.ravel().tolist() == [11, 5]
    # period 0: order 3, ship 4 -> warehouse 2; store serves 2 of 5, 3 backordered
    obs = sim.step([[3]], [[4]])
    led = sim.ledger
    assert led.costs[0].tolist() == [[2.0, 0.0, 0.0, 14.0, 0.0, 0.0], [0.0, 3.5, 30.0, 0.0, 1.0, 0.0]]
    # start of period 1: the warehouse receives 3 (-> 5); the store receives 3 + 4 = 7 into 0 units of
    # stock with capacity 6: one unit is rejected (overflow, charged in period 1)
    assert obs.on_hand.ravel().tolist() == [5, 6] and obs.backorders.ravel().tolist() == [0, 3]
    assert led.units["overflow"][1].tolist() == [0, 1] and led.units["received"][1].tolist() == [3, 6]
    assert led.capacity_use[1].tolist()[1] == 1.0 and math.isnan(led.capacity_use[1][0])
    # period 1: ship 2; the backlog of 3 is cleared first, then 1 demanded is served
    obs = sim.step([[0]], [[2]])
    assert led.costs[1].tolist() == [[3.0, 0.0, 0.0, 0.0, 0.0, 0.0], [4.0, 1.0, 0.0, 0.0, 1.0, 4.0]]
    assert led.units["backorders_filled"][1].tolist() == [0, 3] and led.units["served"][1].tolist() == [0, 1]
    # period 2: the store received 2 (-> 4) and serves all 4; the order of 1 is still in transit at the end
    obs = sim.step([[1]], [[0]])
    assert led.costs[2].tolist() == [[3.0, 0.0, 0.0, 8.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
    assert sim.done and obs.on_hand.ravel().tolist() == [3, 0] and obs.in_transit.ravel().tolist() == [1, 0]
    summary = led.summary()
    assert summary["avg_cost"] == pytest.approx((50.5 + 13 + 11) / 3)
    assert summary["fill_rate"] == pytest.approx(0.7) and summary["overflow_units"] == 1
    assert summary["ordered_units"] == 4 and summary["shipped_units"] == 6
    by_location = led.by_location()
    assert by_location["fill_rate"].isna().tolist() == [True, False]
    assert by_location["fill_rate"].iloc[1] == pytest.approx(0.7)
    assert by_location["overflow_cost"].tolist() == pytest.approx([0.0, 4.0 / 3])


def test_period_order_by_hand_lost_sales():
    sim = _hand_example(lost_sales=True)
    sim.reset(DEMAND, _hand_initial(sim))
    sim.step([[3]], [[4]])
    sim.step([[0]], [[2]])
    obs = sim.step([[1]], [[0]])
    led = sim.ledger
    # period 0: 3 lost (charged once); period 1: 6 on hand after the rejection, 1 sold -> 5;
    # period 2: 5 + 2 = 7 > 6 rejects 1 -> 6, 4 sold -> 2
    assert led.units["lost"][:, 1].tolist() == [3, 0, 0]
    assert led.costs[:, 1, 2].tolist() == [30.0, 0.0, 0.0]
    assert led.units["overflow"][:, 1].tolist() == [0, 1, 1]
    assert obs.on_hand.ravel().tolist() == [3, 2] and obs.backorders.sum() == 0


def test_lead_time_zero_arrives_before_demand():
    net = Network.serial(2, lead_times=[0, 2])  # the store is fed by the warehouse at once
    sim = NetworkSimulator(net, NetworkCosts.build(net, 1), periods=1)
    sim.reset([[[3.0]]], NetworkState.build(net, 1, on_hand=[[5], [0]]))
    obs = sim.step([[0]], [[3]])
    assert sim.ledger.summary()["fill_rate"] == 1.0 and obs.on_hand.ravel().tolist() == [2, 0]


def test_shipments_above_on_hand_raise_naming_location_sku_and_value():
    net = Network.one_warehouse(2, 1, 1)
    sim = NetworkSimulator(net, NetworkCosts.build(net, 2, skus=("a", "b")), periods=2)
    sim.reset(np.zeros((2, 2, 2)), NetworkState.build(net, 2, on_hand=[[5, 5], [0, 0], [0, 0]]))
    with pytest.raises(LocationError, match="shipments of 7 units to its children exceed its on-hand 5") as info:
        sim.step([[0, 0]], [[1, 4], [2, 3]])  # SKU b: 4 + 3 = 7 > 5
    err = info.value
    assert (err.column, err.location, err.sku, err.value) == ("shipments", "warehouse", "b", 7.0)
    with pytest.raises(LocationError) as info:
        sim.step([[0, 0]], [[4, 1], [2, 0]])  # SKU a: 6 > 5
    assert (info.value.location, info.value.sku, info.value.value) == ("warehouse", "a", 6.0)
    assert sim.t == 0  # nothing was applied


def test_clip_mode_cuts_by_fair_share_and_reports_a_violation():
    net = Network.one_warehouse(2, 1, 1)
    sim = NetworkSimulator(net, NetworkCosts.build(net, 1), periods=1, infeasible="clip")
    sim.reset(np.zeros((1, 2, 1)), NetworkState.build(net, 1, on_hand=[[5], [0], [0]]))
    obs = sim.step([[0]], [[4], [4]])
    assert obs.in_transit.ravel().tolist() == [0, 3, 2]  # exact 2.5 each; the odd unit to store_1
    assert sim.ledger.shipment_excess[0] == 3
    assert sim.ledger.summary()["shipment_violations"] == 1 and sim.ledger.summary()["violations"] == 1


def test_budget_excess_is_counted_and_the_order_placed():
    net = Network.serial(1, 1)
    net = Network(net.names, net.parent, net.lead_time, net.capacity, budget=5.0)
    sim = NetworkSimulator(net, NetworkCosts.build(net, 1, unit_cost=3.0), periods=2)
    sim.reset(np.zeros((2, 1, 1)))
    obs = sim.step([[2]])
    assert sim.ledger.budget_excess[0] == 1.0 and obs.on_hand.ravel().tolist() == [2]
    assert sim.ledger.summary()["budget_violations"] == 1


@pytest.mark.parametrize(
    ("orders", "shipments", "text"),
    [
        ([[-1]], [[0]], "finite and >= 0"),
        ([[np.nan]], [[0]], "finite and >= 0"),
        ([[1]], [[np.inf]], "finite and >= 0"),
        ([[1, 2]], [[0]], "must have shape"),
        ([[1]], None, "required"),
    ],
)
def test_bad_decisions_raise(orders, shipments, text):
    net = Network.serial(2, 1)
    sim = NetworkSimulator(net, NetworkCosts.build(net, 1), periods=2)
    sim.reset(np.zeros((2, 1, 1)))
    with pytest.raises(LocationError, match=text):
        sim.step(orders, shipments)


def test_episode_guards_and_demand_checks():
    net = Network.serial(2, 1)
    sim = NetworkSimulator(net, NetworkCosts.build(net, 1), periods=1)
    with pytest.raises(RuntimeError, match="reset"):
        sim.step([[0]], [[0]])
    with pytest.raises(LocationError, match="demand must have shape"):
        sim.reset(np.zeros((2, 1, 1)))
    with pytest.raises(LocationError, match="whole numbers"):
        sim.reset(np.full((1, 1, 1), 0.5))
    sim.reset(np.zeros((1, 1, 1)))
    sim.step(NetworkDecision(np.zeros((1, 1)), np.zeros((1, 1))))
    with pytest.raises(RuntimeError, match="over"):
        sim.step([[0]], [[0]])
    with pytest.raises(LocationError, match="infeasible"):
        NetworkSimulator(net, NetworkCosts.build(net, 1), periods=1, infeasible="ignore")  # type: ignore[arg-type]
    with pytest.raises(LocationError, match="locations"):
        NetworkSimulator(Network.serial(3, 1), NetworkCosts.build(net, 1), periods=1)


def test_reject_excess_matches_the_single_location_rule_row_by_row():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 8))
        rows = int(rng.integers(1, 5))
        arrivals = rng.integers(0, 12, (rows, n)).astype(float)
        volume = rng.choice([0.0, 0.5, 1.0, 2.5], n)
        excess = rng.uniform(-2, 1.2, rows) * (arrivals @ volume)
        out = reject_excess(arrivals, volume, excess)
        for r in range(rows):
            expected = excess_units(arrivals[r], volume, float(excess[r])) if excess[r] > 0 else np.zeros(n)
            np.testing.assert_array_equal(out[r], expected)


def _run(seed: int) -> tuple[np.ndarray, np.ndarray]:
    net = Network.one_warehouse(3, 2, [1, 2, 1], warehouse_capacity=400, store_capacity=60)
    n = 20
    means = np.random.default_rng(0).uniform(1, 4, (3, n))
    sim = NetworkSimulator(net, NetworkCosts.build(net, n, overflow_cost=2.0), periods=30, lost_sales=True)
    policy = EchelonBaseStock(net, np.vstack([means.sum(axis=0) * 6, means * 4]))
    ledger = sim.run(policy, poisson_demand(means, 30, seed))
    return ledger.costs.copy(), np.stack([ledger.units[k] for k in sorted(ledger.units)])


def test_same_seed_same_result():
    costs_a, units_a = _run(7)
    costs_b, units_b = _run(7)
    np.testing.assert_array_equal(costs_a, costs_b)
    np.testing.assert_array_equal(units_a, units_b)
    costs_c, _ = _run(8)
    assert not np.array_equal(costs_a, costs_c)


@pytest.mark.parametrize(("options", "column"), [
    ({"periods": 2.5}, "periods"), ({"periods": "3"}, "periods"), ({"periods": 0}, "periods"),  # 2.5 ran 2 periods
    ({"lost_sales": "no"}, "lost_sales"),  # bool("no") lost the sales
    ({"warmup": 1.5}, "warmup"), ({"warmup": 3}, "warmup"),  # a warmup of every period left no KPI period
])
def test_simulator_options_of_the_wrong_kind_are_refused(options: dict, column: str) -> None:
    net = Network.serial(2, lead_times=1)
    with pytest.raises(PlanningError) as info:
        NetworkSimulator(net, NetworkCosts.build(net, 1), **{"periods": 3, **options})
    assert info.value.column == column


@pytest.mark.parametrize("periods", [2.5, -1, 0, "3", True, math.nan])
def test_poisson_demand_refuses_periods_that_are_not_a_whole_number_of_at_least_one(periods) -> None:
    # 2.5 was cut to 2 periods, -1 raised numpy's "negative dimensions are not allowed"
    with pytest.raises(PlanningError, match="column 'periods'") as info:
        poisson_demand([[1.0]], periods, 0)
    assert info.value.column == "periods"


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True, None, math.inf])
def test_poisson_demand_refuses_a_seed_that_is_not_a_whole_number(seed) -> None:
    # -1 raised numpy's "expected non-negative integer", 1.5 its TypeError, None drew a fresh (irreproducible) path
    with pytest.raises(PlanningError, match="column 'seed'") as info:
        poisson_demand([[1.0]], 3, seed)
    assert info.value.column == "seed"


def test_poisson_demand_takes_a_whole_float_or_numpy_number_of_periods() -> None:
    np.testing.assert_array_equal(poisson_demand([[1.0]], 3.0, 0), poisson_demand([[1.0]], np.int64(3), 0))
    assert poisson_demand([[1.0, 2.0]], 3.0, 0).shape == (3, 1, 2)


def test_an_initial_state_built_directly_is_checked_as_build_checks_it() -> None:
    """A NetworkState made with its constructor bypassed build(): backorders at the warehouse were served from its
    stock (3 units gone without a store seeing them), 2.5 units were simulated, a wrong backorders shape was numpy's
    broadcast error (until 2026-12-04)."""
    net = Network.one_warehouse(1, warehouse_lead_time=1, store_lead_times=1)
    sim = NetworkSimulator(net, NetworkCosts.build(net, 1), periods=2)
    demand = np.zeros((2, 1, 1))
    pipe = np.zeros((2, 1, 2))
    cases = [
        (NetworkState(np.array([[5.0], [0.0]]), pipe, np.array([[3.0], [0.0]])), "column 'backorders', value 3.0"),
        (NetworkState(np.array([[2.5], [0.0]]), pipe, np.zeros((2, 1))), "column 'on_hand', value 2.5"),
        (NetworkState(np.array([[-4.0], [0.0]]), pipe, np.zeros((2, 1))), "column 'on_hand', value -4.0"),
        (NetworkState(np.array([[1.0], [0.0]]), pipe, np.zeros((3, 1))), "column 'initial'"),
        (NetworkState(np.array([[1.0], [0.0]]), np.full((2, 1, 2), 0.5), np.zeros((2, 1))), "column 'pipeline'"),
    ]
    for state, match in cases:
        with pytest.raises(PlanningError, match=match):
            sim.reset(demand, state)
    obs = sim.reset(demand, NetworkState(np.array([[5.0], [1.0]]), np.array([[[0.0, 2.0]], [[0.0, 0.0]]]),
                                         np.array([[0.0], [1.0]])))
    sim.step(np.zeros((1, 1)), np.zeros((1, 1)))
    assert obs.on_hand.ravel().tolist() == [5.0, 1.0] and sim.ledger.units["backorders_filled"][0].tolist() == [0, 1]


def test_capacity_use_keeps_the_receipt_before_a_lead_time_zero_shipment() -> None:
    """A warehouse full after its receipt that ships 5 of its 10 units to a lead-time-0 store: the second receipt of
    the period (the store's) overwrote the warehouse's use with its level after shipping (0.5, and the capacity did
    not count as binding) until 2026-12-04."""
    from hybridinv.network.runner import binding_rates

    net = Network.one_warehouse(1, warehouse_lead_time=1, store_lead_times=0, warehouse_capacity=10, store_capacity=8)
    costs = NetworkCosts.build(net, 1)
    sim = NetworkSimulator(net, costs, periods=1)
    sim.reset(np.zeros((1, 1, 1)), NetworkState.build(net, 1, on_hand=[[0], [2]], pipeline=[[[10, 0]], [[0, 0]]]))
    sim.step(np.zeros((1, 1)), np.array([[5.0]]))
    # warehouse: 10 / 10 after its receipt; store: 2 / 8 at the start, 7 / 8 after its lead-time-0 receipt
    assert sim.ledger.capacity_use[0].tolist() == [1.0, 7 / 8]
    assert sim.ledger.by_location()["capacity_utilization"].tolist() == [1.0, 7 / 8]
    assert binding_rates(sim.ledger, costs)["capacity_binding"] == 1.0


@pytest.mark.parametrize(("orders", "shipments", "column"), [([[True]], [[0.0]], "supplier_orders"),
                                                             ([["3"]], [[0.0]], "supplier_orders"),
                                                             ([[1.0]], [[True]], "shipments")])
def test_decisions_of_booleans_or_text_are_refused_naming_them(orders, shipments, column) -> None:
    """True was shipped as 1 unit and "3" ordered as 3; the single-location simulator refuses them."""
    net = Network.one_warehouse(1, 1, 1)
    sim = NetworkSimulator(net, NetworkCosts.build(net, 1), periods=2)
    sim.reset(np.zeros((2, 1, 1)), NetworkState.build(net, 1, on_hand=[[2], [0]]))
    with pytest.raises(PlanningError, match=rf"column '{column}'"):
        sim.step(orders, shipments)


def test_a_lost_sales_network_cannot_start_with_backorders() -> None:
    """Until 2026-12-06 a lost-sales simulator accepted 3 starting backorders at the store: nothing ever served them
    (demand is lost, not backlogged), yet they stayed in the state and lowered its positions all episode (the
    single-location Scenario refuses them)."""
    net = Network.one_warehouse(1, warehouse_lead_time=1, store_lead_times=1)
    costs = NetworkCosts.build(net, 1, skus=("A",))
    owed = NetworkState.build(net, 1, on_hand=[[5], [2]], backorders=[[0], [3]])
    lost = NetworkSimulator(net, costs, 4, lost_sales=True)
    with pytest.raises(LocationError, match="column 'backorders', sku 'A', value 3.0: location 'store_1'") as info:
        lost.reset(np.ones((4, 1, 1)), owed)
    assert info.value.location == "store_1" and "lost_sales=False" in str(info.value)
    with pytest.raises(LocationError, match="column 'backorders'"):  # run() resets too
        lost.run(EchelonBaseStock(net, np.zeros((2, 1))), np.ones((4, 1, 1)), owed)
    # without backorders, or with backorders under backorders, it runs
    assert lost.reset(np.ones((4, 1, 1)), NetworkState.build(net, 1, on_hand=[[5], [2]])).backorders.sum() == 0
    obs = NetworkSimulator(net, costs, 4, lost_sales=False).reset(np.ones((4, 1, 1)), owed)
    assert obs.installation_position.ravel().tolist() == [5.0, -1.0]


def test_capacity_use_is_the_volume_held_after_the_rejection() -> None:
    """Store capacity 10, volume 3, 4 units arriving into an empty store: 1 unit is rejected, 9 of 10 held -> 0.9;
    15 units in a capacity of 10 (volume 1) -> 1.5. Until 2026-12-06 both were min(volume before the rejection,
    capacity) / capacity = 1.0, unlike the single-location ledger."""
    from hybridinv.network.runner import binding_rates

    net = Network.one_warehouse(1, warehouse_lead_time=1, store_lead_times=1, store_capacity=10.0)
    costs = NetworkCosts.build(net, 1, volume=3.0)
    sim = NetworkSimulator(net, costs, 2)
    sim.reset(np.zeros((2, 1, 1)), NetworkState.build(net, 1, pipeline=[[[0, 0]], [[4, 0]]]))
    assert sim.ledger.units["overflow"][0].tolist() == [0, 1] and sim.observe().on_hand.ravel().tolist() == [0, 3]
    assert math.isnan(sim.ledger.capacity_use[0, 0]) and sim.ledger.capacity_use[0, 1] == pytest.approx(0.9)
    sim.step(np.zeros((1, 1)), np.zeros((1, 1)))
    sim.step(np.zeros((1, 1)), np.zeros((1, 1)))
    # binding in both periods: units were rejected, then 9 of 10 held leave no room for a unit of volume 3
    assert binding_rates(sim.ledger, costs)["capacity_binding"] == 1.0

    unit = NetworkCosts.build(net, 1, volume=1.0)
    over = NetworkSimulator(net, unit, 2)
    over.reset(np.array([[[3.0]], [[0.0]]]), NetworkState.build(net, 1, on_hand=[[0], [15]]))
    over.step(np.zeros((1, 1)), np.zeros((1, 1)))
    over.step(np.zeros((1, 1)), np.zeros((1, 1)))
    assert over.ledger.capacity_use[:, 1].tolist() == [1.5, 1.2]  # 15 / 10, then 12 / 10 after selling 3
    assert over.ledger.by_location()["capacity_utilization"].iloc[1] == pytest.approx(1.35)
    assert binding_rates(over.ledger, unit)["capacity_binding"] == 1.0
