"""MPC over the network: the plan's optimum against brute force, feasibility, no look-ahead, options."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest

from hybridinv.core.errors import PlanningError
from hybridinv.network.baselines import NETWORK_POLICIES, make_policy
from hybridinv.network.model import LocationError, Network
from hybridinv.network.mpc import NetworkMPC
from hybridinv.network.policies import EchelonBaseStock
from hybridinv.network.runner import simulate_network
from hybridinv.network.scenarios import NetworkScenario, get, one_warehouse_scenario
from hybridinv.network.simulator import NetworkSimulator
from hybridinv.network.state import NetworkCosts, NetworkState

from ._hybrid_cases import Recorder

SMALL = one_warehouse_scenario(n_stores=3, n_skus=6, periods=40, warmup=5, seed=7, name="small_owmr")


@dataclass(frozen=True, eq=False)
class ConstantDemand:
    """Deterministic demand: ``mean`` every period (standard deviation 0)."""

    mean: np.ndarray

    @property
    def std(self) -> np.ndarray:
        return np.zeros_like(self.mean)

    def sample(self, rng: np.random.Generator, periods: int) -> np.ndarray:
        return np.broadcast_to(self.mean, (int(periods), *self.mean.shape)).astype(np.float64)


def _tiny(n_skus: int, store_lead_times, lost_sales: bool, budget: float = np.inf,
          warehouse_lead_time: int = 1, store_capacity=np.inf) -> NetworkScenario:
    """One warehouse (capacity 4 volume units) and two stores, deterministic demand."""
    net = Network.one_warehouse(2, warehouse_lead_time=warehouse_lead_time, store_lead_times=store_lead_times,
                                warehouse_capacity=4.0, store_capacity=store_capacity, budget=budget)
    costs = NetworkCosts.build(
        net, n_skus,
        holding_cost=np.array([[0.5], [1.0], [1.2]]) * np.linspace(1.0, 1.5, n_skus)[None, :],
        shortage_cost=np.array([[0.0], [6.0], [4.0]]) + np.arange(n_skus)[None, :],
        unit_cost=np.linspace(1.0, 2.0, n_skus), transit_holding_cost=np.array([[0.1], [0.0], [0.3]]),
        volume=np.linspace(1.0, 0.5, n_skus),
    )
    mean = np.array([[2.0], [1.0]]) + np.zeros((1, n_skus))
    return NetworkScenario("tiny", net, costs, ConstantDemand(mean), periods=10, lost_sales=lost_sales)


def _plan_costs(scenario: NetworkScenario, state: NetworkState, inflow: np.ndarray) -> np.ndarray:
    """Cost over ``H`` periods of each candidate plan ``inflow`` (K, H, locations, SKUs); inf if infeasible.

    Written from the period order of docs/network_model.md, independently of the MPC: receipts
    (capacity checked), shipments from the parent's on-hand, orders into the pipeline, lead-time-0
    receipts, demand (lost or backlog first), then holding, in-transit holding, shortage and
    purchase costs on the end-of-period state.
    """
    net, costs = scenario.network, scenario.costs
    count, horizon = inflow.shape[:2]
    depth = horizon + net.max_lead_time + 2
    arrivals = np.zeros((count, depth, net.n_locations, scenario.n_skus))
    width = state.pipeline.shape[2]
    arrivals[:, 1:width] = np.moveaxis(state.pipeline[..., 1:], 2, 0)[None]
    on_hand = np.broadcast_to(state.on_hand, (count, *state.on_hand.shape)).copy()
    backlog = np.broadcast_to(state.backorders, (count, *state.on_hand.shape)).copy()
    cost = np.zeros(count)
    feasible = np.ones(count, dtype=bool)
    stores = net.stores
    for t in range(horizon):
        if t > 0:
            on_hand += arrivals[:, t]
            feasible &= (np.einsum("kln,n->kl", on_hand, costs.volume) <= net.capacity + 1e-9).all(axis=1)
        shipped = inflow[:, t, 1:].sum(axis=1)                  # both stores are fed by the warehouse
        feasible &= (shipped <= on_hand[:, 0] + 1e-9).all(axis=1)
        on_hand[:, 0] -= shipped
        for loc in range(net.n_locations):
            arrivals[:, t + net.lead_time[loc], loc] += inflow[:, t, loc]
            if net.lead_time[loc] == 0:    # received now, after the shipments: not shipped on before t + 1
                on_hand[:, loc] += inflow[:, t, loc]
        feasible &= (np.einsum("kln,n->kl", on_hand, costs.volume) <= net.capacity + 1e-9).all(axis=1)
        demand = scenario.demand.mean
        if scenario.lost_sales:
            served = np.minimum(on_hand[:, stores], demand)
            on_hand[:, stores] -= served
            short = demand - served
        else:
            need = backlog[:, stores] + demand
            served = np.minimum(on_hand[:, stores], need)
            on_hand[:, stores] -= served
            short = need - served
            backlog[:, stores] = short
        in_transit = arrivals[:, t + 1:].sum(axis=1)
        cost += np.einsum("kln,ln->k", on_hand, costs.holding_cost)
        cost += np.einsum("kln,ln->k", in_transit, costs.transit_holding_cost)
        cost += np.einsum("ksn,sn->k", short, costs.shortage_cost[stores])
        spend = np.einsum("kn,n->k", inflow[:, t, 0], costs.unit_cost)
        feasible &= spend <= net.budget + 1e-9
        cost += spend
    return np.where(feasible, cost, np.inf)


def _brute_force(scenario: NetworkScenario, state: NetworkState, horizon: int, top: int) -> float:
    """Least cost over every whole plan with quantities 0..top that arrive within the horizon."""
    net = scenario.network
    cells = [(t, loc, sku) for t in range(horizon) for loc in range(net.n_locations)
             for sku in range(scenario.n_skus) if t + net.lead_time[loc] < horizon]
    best = np.inf
    grid = itertools.product(range(top + 1), repeat=len(cells))
    while True:
        chunk = np.array(list(itertools.islice(grid, 200_000)), dtype=np.float64)
        if chunk.size == 0:
            return best
        inflow = np.zeros((len(chunk), horizon, net.n_locations, scenario.n_skus))
        for k, (t, loc, sku) in enumerate(cells):
            inflow[:, t, loc, sku] = chunk[:, k]
        best = min(best, float(_plan_costs(scenario, state, inflow).min()))


@pytest.mark.parametrize(("lost_sales", "warehouse_lead_time", "store_capacity", "arriving"), [
    (True, 1, np.inf, 1), (False, 1, np.inf, 1), (True, 0, np.inf, 1), (False, 0, np.inf, 1),
    # a receipt of 3 at the warehouse forces shipments now, and store_1 (lead time 0) has room for 1
    (True, 1, [1.0, np.inf], 3), (False, 0, [1.0, np.inf], 3),
])
def test_plan_cost_is_the_brute_force_optimum_one_sku(lost_sales: bool, warehouse_lead_time: int,
                                                       store_capacity, arriving: int) -> None:
    scenario = _tiny(1, store_lead_times=[0, 1], lost_sales=lost_sales, warehouse_lead_time=warehouse_lead_time,
                     store_capacity=store_capacity)
    net = scenario.network
    state = NetworkState.build(net, 1, on_hand=[[2], [0], [1]],
                               pipeline=np.array([[[0, arriving]], [[0, 0]], [[0, 0]]]),
                               backorders=[[0], [0], [0]] if lost_sales else [[0], [1], [0]])
    obs = NetworkSimulator(net, scenario.costs, 3, lost_sales=lost_sales).reset(
        np.zeros((3, 2, 1)), state)
    mpc = NetworkMPC(scenario, horizon=3)
    assert np.all(mpc.floor_ == 0.0)                            # no demand variance: no safety floors
    plan = mpc.plan(obs)
    assert plan.optimal
    best = _brute_force(scenario, state, horizon=3, top=4)
    assert plan.objective == pytest.approx(best, abs=1e-6)
    # the plan itself is whole here, and costs its objective under the independent evaluation
    assert np.allclose(plan.inflow, np.round(plan.inflow), atol=1e-7)
    assert _plan_costs(scenario, state, np.round(plan.inflow)[None])[0] == pytest.approx(plan.objective, abs=1e-6)


def test_plan_cost_is_the_brute_force_optimum_two_skus_sharing_the_budget() -> None:
    scenario = _tiny(2, store_lead_times=[0, 0], lost_sales=True, budget=3.0)
    net = scenario.network
    state = NetworkState.build(net, 2, on_hand=[[1, 1], [0, 1], [1, 0]])
    obs = NetworkSimulator(net, scenario.costs, 2, lost_sales=True).reset(np.zeros((2, 2, 2)), state)
    plan = NetworkMPC(scenario, horizon=2).plan(obs)
    # the budget (3 per period) binds: without it the plan buys more
    assert float(scenario.costs.unit_cost @ plan.inflow[0, 0]) == pytest.approx(3.0)
    free = NetworkMPC(scenario.replace(network=Network.one_warehouse(2, 1, 0, warehouse_capacity=4.0)),
                      horizon=2).plan(obs)
    assert float(scenario.costs.unit_cost @ free.inflow[0, 0]) > 3.0 + 1e-6
    best = _brute_force(scenario, state, horizon=2, top=3)
    assert plan.objective == pytest.approx(best, abs=1e-6)


def test_plan_objective_is_what_the_simulator_charges_for_the_plan() -> None:
    scenario = _tiny(1, store_lead_times=[1, 1], lost_sales=True)
    horizon = 5
    sim = scenario.simulator(periods=horizon, warmup=0)
    obs = sim.reset(scenario.demand_path(0, horizon), NetworkState.build(scenario.network, 1, on_hand=[[3], [1], [0]]))
    plan = NetworkMPC(scenario, horizon=horizon).plan(obs)
    assert np.allclose(plan.inflow, np.round(plan.inflow), atol=1e-7)
    net = scenario.network
    for t in range(horizon):    # the demand is the forecast: the simulator follows the plan exactly
        sim.step(np.round(plan.inflow[t, net.roots]), np.round(plan.inflow[t, net.non_roots]))
    np.testing.assert_allclose(sim.ledger.units["on_hand"], plan.on_hand[..., 0], atol=1e-7)
    assert sim.ledger.units["overflow"].sum() == 0
    assert float(sim.ledger.costs.sum()) == pytest.approx(plan.objective, abs=1e-6)


def test_plan_objective_adds_the_penalty_below_the_safety_floors() -> None:
    scenario = _tiny(2, store_lead_times=[0, 1], lost_sales=False, budget=9.0)
    net, costs = scenario.network, scenario.costs
    mpc = NetworkMPC(scenario, horizon=5, demand_std=np.full((2, 2), 1.5), upstream_service_level=0.8,
                     safety_penalty=0.9)
    assert np.all(mpc.floor_ > 0)
    obs = scenario.simulator(periods=5).reset(scenario.demand_path(0, 5),
                                              NetworkState.build(net, 2, on_hand=[[2, 1], [1, 0], [0, 2]]))
    plan = mpc.plan(obs)
    horizon = 5
    sent = np.zeros((horizon + 3, net.n_locations, 2))          # units in transit by arrival period
    cost = 0.0
    for t in range(horizon):
        for loc in range(net.n_locations):
            sent[t + net.lead_time[loc], loc] += plan.inflow[t, loc]
        in_transit = sent[t + 1:].sum(axis=0)
        below = np.maximum(mpc.floor_ - plan.on_hand[t], 0.0) * (t >= net.lead_time)[:, None]
        cost += float((costs.holding_cost * plan.on_hand[t]).sum() + (costs.transit_holding_cost * in_transit).sum()
                      + (costs.shortage_cost[net.stores] * plan.shortage[t]).sum()
                      + costs.unit_cost @ plan.inflow[t, 0] + (mpc.floor_penalty_ * below).sum())
    assert plan.objective == pytest.approx(cost, rel=1e-9, abs=1e-6)
    # the floors are held in the middle of the horizon (not at its end: nothing values stock after it)
    bare = NetworkMPC(scenario, horizon=5, safety_factor=0.0).plan(obs)
    assert plan.on_hand[1:4].sum() > bare.on_hand[1:4].sum() + 1.0



@pytest.mark.parametrize("scenario", [get("serial_3").replace(periods=60, warmup=0), SMALL.replace(warmup=0)],
                         ids=["serial_3", "small_owmr"])
def test_every_executed_decision_is_whole_and_feasible_and_units_are_conserved(scenario) -> None:
    recorder = Recorder(NetworkMPC(scenario))
    ledger = scenario.simulator().run(recorder, scenario.demand_path(11))
    net, costs = scenario.network, scenario.costs
    for obs, decision in recorder.seen:
        for part in (decision.supplier_orders, decision.shipments):
            assert np.all(part >= 0) and np.array_equal(part, np.round(part))
        assert np.all(net.ship_from @ decision.shipments <= obs.on_hand + 1e-9)
        assert float(costs.unit_cost @ decision.supplier_orders.sum(axis=0)) <= net.budget + 1e-6
    summary = ledger.summary()
    assert summary["violations"] == 0 and summary["budget_violations"] == 0
    units = ledger.units
    # everything ordered is at a location, in transit, sold (on time or from the backlog) or rejected at receipt
    stock_end = units["on_hand"][-1].sum() + units["in_transit"][-1].sum()
    assert units["ordered"].sum() == stock_end + units["served"].sum() + units["backorders_filled"].sum() \
        + units["overflow"].sum()
    assert summary["fill_rate"] > 0.5


def test_reproduces_the_exact_echelon_base_stock_on_serial_3() -> None:
    # without limits the floors are the safety terms of the echelon levels: on serial_3 the store's
    # Clark-Scarf fractile gives the exact optimum (6, 8, 12) and the decisions coincide period by period
    scenario = get("serial_3").replace(periods=80, warmup=0)
    recorder = Recorder(NetworkMPC(scenario))
    scenario.simulator().run(recorder, scenario.demand_path(5))
    exact = make_policy("echelon_base_stock", scenario)
    for obs, decision in recorder.seen:
        expected = exact.act(obs)
        np.testing.assert_array_equal(decision.supplier_orders, expected.supplier_orders)
        np.testing.assert_array_equal(decision.shipments, expected.shipments)


def test_future_demand_does_not_change_the_decisions() -> None:
    scenario = SMALL
    path = scenario.demand_path(3)
    other = path.copy()
    cut = 15
    other[cut:] = np.random.default_rng(99).poisson(3.0 * scenario.demand.mean + 1.0, other[cut:].shape)
    runs = []
    for demand in (path, other):
        recorder = Recorder(NetworkMPC(scenario))
        scenario.simulator().run(recorder, demand)
        runs.append(recorder.seen)
    for t in range(cut + 1):   # the decision of period `cut` is taken before its demand is seen
        for a, b in zip((runs[0][t][1].supplier_orders, runs[0][t][1].shipments),
                        (runs[1][t][1].supplier_orders, runs[1][t][1].shipments), strict=True):
            np.testing.assert_array_equal(a, b)
    # and the comparison can fail: once the different demand has been seen, the decisions differ
    assert any(not np.array_equal(runs[0][t][1].supplier_orders, runs[1][t][1].supplier_orders)
               for t in range(cut + 1, scenario.periods))


def test_same_seed_same_results() -> None:
    scenario = SMALL.replace(periods=25)
    first = simulate_network(NetworkMPC(scenario), scenario, seeds=[4, 5])
    second = simulate_network(NetworkMPC(scenario), scenario, seeds=[4, 5])
    columns = ["avg_cost", "fill_rate", "holding_cost", "shortage_cost", "ordering_cost", "overflow_units"]
    np.testing.assert_array_equal(first[columns].to_numpy(), second[columns].to_numpy())
    assert first.loc[0, "avg_cost"] != first.loc[1, "avg_cost"]
    assert (first["mpc_fallback_share"] == 0).all() and (first["mpc_seconds"] > 0).all()


def test_floors_and_penalties() -> None:
    from scipy.stats import norm

    scenario = SMALL
    mpc = NetworkMPC(scenario, upstream_service_level=0.9)
    costs, net = scenario.costs, scenario.network
    p, h, c = costs.shortage_cost[1], costs.holding_cost[1], costs.unit_cost
    z_store = norm.ppf((p - c) / (p - c + h - costs.holding_cost[0]))    # lost sales: the margin p - c
    mean, std = scenario.location_demand()
    np.testing.assert_allclose(mpc.floor_[1], z_store * std[1] * np.sqrt(net.lead_time[1] + 1.0))
    np.testing.assert_allclose(mpc.floor_[0], norm.ppf(0.9) * std[0] * np.sqrt(net.lead_time[0]))
    np.testing.assert_allclose(mpc.floor_penalty_[1], 0.5 * (p - c))
    np.testing.assert_allclose(mpc.floor_penalty_[0], 0.5 * 0.5 * (costs.shortage_cost[1:] - c).mean(axis=0))
    assert np.all(NetworkMPC(scenario, safety_factor=0.0).floor_ == 0.0)
    # the floors make the plan hold stock: more stock planned at the stores than with none
    obs = scenario.simulator().reset(scenario.demand_path(0))
    with_floors = mpc.plan(obs).on_hand[-1, net.stores].sum()
    without = NetworkMPC(scenario, safety_factor=0.0).plan(obs).on_hand[-1, net.stores].sum()
    assert with_floors > without + 1.0


def test_falls_back_to_echelon_base_stock_when_the_lp_is_not_solved_in_time() -> None:
    scenario = get("owmr_10x50")
    mpc = NetworkMPC(scenario, time_limit=1e-6)
    obs = scenario.simulator().reset(scenario.demand_path(0))
    decision = mpc.act(obs)
    assert mpc.last_plan is not None and not mpc.last_plan.optimal
    assert mpc.statistics()["mpc_fallback_share"] == 1.0
    base = EchelonBaseStock(scenario.network, mpc.levels_, repair=mpc.repair)
    expected = base.act(obs)
    np.testing.assert_array_equal(decision.supplier_orders, expected.supplier_orders)
    np.testing.assert_array_equal(decision.shipments, expected.shipments)
    mpc.reset()
    assert mpc.statistics() == {"mpc_seconds": 0.0, "mpc_fallback_share": 0.0}


@pytest.mark.parametrize(("option", "value"), [
    ("horizon", 3), ("horizon", 0), ("horizon", 2.5), ("horizon", True), ("safety_factor", -1.0),
    ("safety_factor", float("nan")), ("upstream_service_level", 1.0), ("upstream_service_level", 0.0),
    ("safety_penalty", 1.0), ("safety_penalty", -0.1), ("time_limit", 0.0), ("time_limit", "fast"),
])
def test_bad_options_raise_planning_error(option: str, value) -> None:
    scenario = get("serial_3")                       # longest cumulative lead time 4
    with pytest.raises(PlanningError, match=option) as info:
        NetworkMPC(scenario, **{option: value})
    assert info.value.column == option


def test_bad_forecasts_and_observations_raise_planning_error() -> None:
    with pytest.raises(PlanningError, match="demand_mean"):
        NetworkMPC(SMALL, demand_mean=np.ones((2, 6)))
    bad = SMALL.demand.mean.copy()
    bad[1, 4] = -1.0
    with pytest.raises(PlanningError, match="demand_std") as info:
        NetworkMPC(SMALL, demand_std=bad)
    assert info.value.sku == SMALL.costs.skus[4]
    # the second store row is the location called store_2 (was "store index 1", which is no location's name)
    assert isinstance(info.value, LocationError) and info.value.location == "store_2"
    assert "location 'store_2'" in str(info.value) and "index" not in str(info.value)
    obs = get("serial_3").simulator().reset(get("serial_3").demand_path(0))
    with pytest.raises(PlanningError, match="observation"):
        NetworkMPC(SMALL).act(obs)
    for cell in ("2", True):  # read as 2 and 1 units before
        text = SMALL.demand.mean.astype(object)
        text[0, 0] = cell
        with pytest.raises(PlanningError) as info:
            NetworkMPC(SMALL, demand_mean=text)
        assert info.value.column == "demand_mean"


def test_registered_in_the_network_suite() -> None:
    assert "network_mpc" in NETWORK_POLICIES
    policy = make_policy("network_mpc", SMALL)
    assert isinstance(policy, NetworkMPC) and policy.name == "network_mpc"
    assert policy.horizon == 2 * int(SMALL.network.cumulative_lead_time.max()) + 4


def test_default_repair_expects_the_forecast_demand() -> None:
    mpc = NetworkMPC(SMALL)
    assert mpc.repair is not None and mpc.repair.backend == "fast"
    np.testing.assert_array_equal(mpc.repair.expected_demand, SMALL.demand.mean)
    forecast = 2.0 * SMALL.demand.mean
    np.testing.assert_array_equal(NetworkMPC(SMALL, demand_mean=forecast).repair.expected_demand, forecast)
