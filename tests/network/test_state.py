"""Costs, states and positions: broadcasting, validation, and the installation/echelon identities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hybridinv import PlanningError
from hybridinv.network import (
    LocationError,
    Network,
    NetworkCosts,
    NetworkObservation,
    NetworkState,
    echelon_position,
    installation_position,
)


def random_tree(rng: np.random.Generator, n_locations: int) -> Network:
    """A random forest in topological order (each location's parent is an earlier one or a supplier)."""
    parent = [-1] + [int(rng.integers(-1, i)) if rng.random() < 0.2 else int(rng.integers(0, i))
                     for i in range(1, n_locations)]
    return Network(tuple(f"L{i}" for i in range(n_locations)), parent, rng.integers(0, 4, n_locations),
                   [math.inf] * n_locations)


def random_state(rng: np.random.Generator, net: Network, n_skus: int) -> NetworkState:
    shape = (net.n_locations, n_skus)
    back = rng.integers(0, 5, shape) * net.is_store[:, None]
    pipe = rng.integers(0, 4, (*shape, net.max_lead_time + 1))
    return NetworkState.build(net, n_skus, on_hand=rng.integers(0, 20, shape), pipeline=pipe, backorders=back)


@pytest.mark.parametrize("seed", range(20))
def test_position_identities_on_random_states(seed):
    rng = np.random.default_rng(seed)
    net = random_tree(rng, int(rng.integers(1, 12)))
    state = random_state(rng, net, 7)
    obs = NetworkObservation.of(net, 0, state.on_hand, state.pipeline, state.backorders)
    # installation: on-hand + everything in transit to the location - its backorders
    np.testing.assert_array_equal(obs.installation_position,
                                  state.on_hand + state.pipeline.sum(axis=2) - state.backorders)
    # echelon by brute force: walk up from every location and add its installation position to each ancestor
    expected = np.zeros_like(obs.installation_position)
    for j in range(net.n_locations):
        i = j
        while i >= 0:
            expected[i] += obs.installation_position[j]
            i = int(net.parent[i])
    np.testing.assert_array_equal(obs.echelon_position, expected)
    # recursion: echelon_i = installation_i + sum of the children's echelon positions
    children_sum = np.zeros_like(expected)
    for c in net.non_roots:
        children_sum[net.parent[c]] += obs.echelon_position[c]
    np.testing.assert_array_equal(obs.echelon_position, obs.installation_position + children_sum)
    # at a store both positions agree; summed over the roots the echelon counts the whole system
    np.testing.assert_array_equal(obs.echelon_position[net.stores], obs.installation_position[net.stores])
    system = state.on_hand.sum(axis=0) + state.pipeline.sum(axis=(0, 2)) - state.backorders.sum(axis=0)
    np.testing.assert_array_equal(obs.echelon_position[net.roots].sum(axis=0), system)
    np.testing.assert_array_equal(obs.echelon_stock, obs.echelon_position - state.pipeline.sum(axis=2))


def test_serial_echelon_position_by_hand():
    net = Network.serial(3, lead_times=1)  # stage_3, stage_2, stage_1
    on_hand = np.array([[5.0], [2.0], [0.0]])
    pipeline = np.zeros((3, 1, 2))
    pipeline[1, 0, 1] = 4.0  # in transit to stage_2
    pipeline[2, 0, 1] = 3.0  # in transit to stage_1
    back = np.array([[0.0], [0.0], [6.0]])
    inst = installation_position(on_hand, pipeline, back)
    assert inst.ravel().tolist() == [5.0, 6.0, -3.0]
    assert echelon_position(net, inst).ravel().tolist() == [8.0, 3.0, -3.0]


def test_costs_broadcast_per_sku_per_location_and_full():
    net = Network.one_warehouse(2, 1, 1)
    costs = NetworkCosts.build(net, 3, holding_cost=[[0.5], [1.0], [2.0]], shortage_cost=[1.0, 2.0, 3.0],
                               unit_cost=4.0, volume=[1.0, 2.0, 3.0], skus=("a", "b", "c"))
    np.testing.assert_array_equal(costs.holding_cost, [[0.5] * 3, [1.0] * 3, [2.0] * 3])
    np.testing.assert_array_equal(costs.shortage_cost, [[1.0, 2.0, 3.0]] * 3)
    assert costs.unit_cost.tolist() == [4.0] * 3 and costs.volume.tolist() == [1.0, 2.0, 3.0]
    assert costs.skus == ("a", "b", "c") and costs.n_skus == 3
    assert NetworkCosts.build(net, 2).skus == ("0", "1")
    with pytest.raises(LocationError, match="broadcast") as info:
        NetworkCosts.build(net, 3, holding_cost=[1.0, 2.0])
    assert info.value.column == "holding_cost"
    with pytest.raises(LocationError, match="finite and >= 0") as info:
        NetworkCosts.build(net, 3, shortage_cost=[[1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [1.0, 1.0, 1.0]])
    assert info.value.location == "store_1" and info.value.value == -1.0
    with pytest.raises(LocationError, match="SKU names"):
        NetworkCosts.build(net, 3, skus=("a",))
    with pytest.raises(LocationError, match="overflow_cost"):
        NetworkCosts.build(net, 3, overflow_cost=-1.0)


def test_state_validation():
    net = Network.one_warehouse(2, 2, 1)
    state = NetworkState.build(net, 2, on_hand=[[5], [1], [1]], pipeline=np.ones((3, 2, 2)))
    assert state.pipeline.shape == (3, 2, 3) and state.pipeline[..., 2].sum() == 0
    with pytest.raises(LocationError, match="only possible at a store") as info:
        NetworkState.build(net, 2, backorders=[[1], [0], [0]])
    assert info.value.location == "warehouse"
    with pytest.raises(LocationError, match="whole numbers") as info:
        NetworkState.build(net, 2, on_hand=[[1], [0.5], [0]])
    assert info.value.location == "store_1" and info.value.value == 0.5
    with pytest.raises(LocationError, match="pipeline must have shape"):
        NetworkState.build(net, 2, pipeline=np.ones((3, 2, 4)))
    with pytest.raises(LocationError, match="finite and >= 0"):
        NetworkState.build(net, 2, on_hand=-1)


@pytest.mark.parametrize(("options", "column"), [
    ({"unit_cost": "2"}, "unit_cost"), ({"holding_cost": True}, "holding_cost"),  # were read as 2 and 1
    ({"volume": "no"}, "volume"),  # a bare ValueError
    ({"overflow_cost": "2"}, "overflow_cost"), ({"overflow_cost": True}, "overflow_cost"),  # a TypeError / 1
    ({"n_skus": 2.5}, "n_skus"), ({"n_skus": "3"}, "n_skus"), ({"skus": "AB"}, "sku"),  # "AB" was 2 SKUs
])
def test_cost_data_of_the_wrong_kind_is_refused_naming_it(options: dict, column: str) -> None:
    net = Network.serial(2, lead_times=1)
    with pytest.raises(PlanningError) as info:
        NetworkCosts.build(net, **{"n_skus": 2, **options})
    assert info.value.column == column


@pytest.mark.parametrize(("options", "column"), [
    ({"n_stages": "2"}, "n_stages"), ({"n_stages": True}, "n_stages"), ({"lead_times": "2"}, "lead_time"),
    ({"lead_times": True}, "lead_time"), ({"budget": "100"}, "budget"), ({"capacities": "no"}, "capacity"),
])
def test_serial_network_options_of_the_wrong_kind_are_refused(options: dict, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        Network.serial(**{"n_stages": 2, "lead_times": 1, **options})
    assert info.value.column == column


def test_cost_errors_name_the_sku_and_the_location() -> None:
    net = Network(["w"], [-1], [0], [4.0])
    with pytest.raises(PlanningError) as info:  # was "location 0: ... (sku index 1)" with no SKU
        NetworkCosts.build(net, 2, skus=("A", "B"), unit_cost=[1.0, -1.0])
    assert (info.value.column, info.value.sku, info.value.value) == ("unit_cost", "B", -1.0)
    with pytest.raises(PlanningError) as info:
        NetworkCosts.build(net, 2, skus=("A", "B"), holding_cost=[[1.0, -2.0]])
    assert (info.value.column, info.value.location, info.value.sku) == ("holding_cost", "w", "B")


@pytest.mark.parametrize(("kwargs", "column"), [({"n_skus": 2.5}, "n_skus"), ({"n_skus": "3"}, "n_skus"),
                                                ({"n_skus": True}, "n_skus"),
                                                ({"n_skus": 1, "pipeline": [[["a"]], [["b"]]]}, "pipeline")])
def test_state_build_refuses_a_fractional_sku_count_and_text(kwargs: dict, column: str) -> None:
    """2.5 SKUs was cut to 2, "3" read as 3 and True as 1; a pipeline of text was numpy's bare ValueError."""
    net = Network.one_warehouse(1, 1, 1)
    with pytest.raises(PlanningError, match=rf"column '{column}'"):
        NetworkState.build(net, on_hand=1, **kwargs)


@pytest.mark.parametrize(("column", "per_location"), [
    ("unit_cost", False), ("order_cost", False), ("holding_cost", True), ("transit_holding_cost", True),
    ("shortage_cost", True), ("shipment_cost", True),
])
def test_costs_above_max_cost_are_refused_naming_location_sku_and_value(column: str, per_location: bool) -> None:
    """Network costs had no upper bound (1e300 was accepted) while a catalog's stop at MAX_COST = 1e12."""
    from hybridinv.core.limits import MAX_COST

    net = Network.one_warehouse(2, 1, 1)  # warehouse, store_1, store_2
    skus = ("A", "B", "C")
    values = np.ones((3, 3)) if per_location else np.ones(3)
    if per_location:
        values[2, 1] = 1e155
    else:
        values[1] = 1e155
    with pytest.raises(LocationError, match="MAX_COST") as info:
        NetworkCosts.build(net, 3, skus=skus, **{column: values})
    error = info.value
    assert (error.column, error.sku, error.value) == (column, "B", 1e155)
    assert error.location == ("store_2" if per_location else None)
    values[values > 1] = MAX_COST  # the bound itself is a valid cost
    costs = NetworkCosts.build(net, 3, skus=skus, **{column: values})
    assert getattr(costs, column).max() == MAX_COST


def test_overflow_cost_above_max_cost_is_refused() -> None:
    from hybridinv.core.limits import MAX_COST

    net = Network.one_warehouse(1, 1, 1)
    with pytest.raises(LocationError, match="1e\\+12") as info:
        NetworkCosts.build(net, 1, overflow_cost=1e13)
    assert (info.value.column, info.value.value) == ("overflow_cost", 1e13)
    assert NetworkCosts.build(net, 1, overflow_cost=MAX_COST).overflow_cost == MAX_COST
