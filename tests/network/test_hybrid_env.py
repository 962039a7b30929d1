"""The network hybrid's environment: check_env, the hybrid's features and decisions, a zero action is the base."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from hybridinv import PlanningError
from hybridinv.network.hybrid import NETWORK_HYBRID_FEATURES, NetworkHybrid
from hybridinv.network.hybrid_env import NetworkHybridEnv
from hybridinv.network.hybrid_training import repaired_echelon_policy
from hybridinv.network.scenarios import get
from hybridinv.network.state import NetworkDecision

from ._hybrid_cases import SCENARIO, check_decision, tiny_levels


def _serial_env(**kwargs) -> NetworkHybridEnv:
    scenario = get("serial_3")
    assert scenario.serial is not None
    levels = scenario.serial.to_locations(scenario.serial.exact().levels).reshape(-1, 1)
    return NetworkHybridEnv(NetworkHybrid(scenario, levels), **kwargs)


@pytest.mark.parametrize("subtract_base", [False, True])
def test_check_env_passes(subtract_base: bool) -> None:
    check_env(_serial_env(periods=12, subtract_base=subtract_base), skip_render_check=True)
    check_env(NetworkHybridEnv(NetworkHybrid(SCENARIO, tiny_levels()), periods=8, subtract_base=subtract_base),
              skip_render_check=True)


def test_spaces_are_per_location_and_sku() -> None:
    env = NetworkHybridEnv(NetworkHybrid(SCENARIO, tiny_levels()), periods=5)
    items = SCENARIO.n_locations * SCENARIO.n_skus
    features = len(NETWORK_HYBRID_FEATURES)
    assert env.observation_space.shape == (items * features,)
    assert env.action_space.shape == (items * 2,)
    assert (env.n_items, env.n_sku_features, env.n_global_features, env.n_actions) == (items, features, 0, 2)
    flat, _ = env.reset(seed=3)
    assert env.observation is not None
    np.testing.assert_array_equal(flat, env.hybrid.features(env.observation).reshape(-1).astype(np.float32))
    # the first path is the scenario's path of the same seed
    np.testing.assert_array_equal(env._sim._demand, SCENARIO.demand_path(3, 5))


def test_zero_action_is_the_base_and_the_reward_is_its_cost() -> None:
    levels = tiny_levels()
    base = repaired_echelon_policy(SCENARIO, levels)
    env = NetworkHybridEnv(NetworkHybrid(SCENARIO, levels), subtract_base=True)
    plain = NetworkHybridEnv(NetworkHybrid(SCENARIO, levels))
    env.reset(seed=9)
    plain.reset(seed=9)
    zero = np.zeros(env.action_space.shape, dtype=np.float32)
    done, steps = False, 0
    while not done:
        obs = env.observation
        assert obs is not None
        expected = base.act(obs)
        _, reward, _, done, info = env.step(zero)
        _, plain_reward, _, _, plain_info = plain.step(zero)
        np.testing.assert_array_equal(info["supplier_orders"], expected.supplier_orders)
        np.testing.assert_array_equal(info["shipments"], expected.shipments)
        assert reward == 0.0 and info["cost"] == info["base_cost"] == plain_info["cost"]
        assert plain_reward == pytest.approx(-plain_info["cost"] / plain.reward_scale)
        steps += 1
    assert steps == SCENARIO.periods
    # and the comparison can fail: raising every safety factor changes costs and rewards
    env.reset(seed=9)
    rewards = [env.step(np.tile(np.float32([1.0, 0.0]), env.n_items))[1] for _ in range(10)]
    assert any(r != 0.0 for r in rewards)


def test_action_of_one_item_moves_only_that_location_and_sku() -> None:
    env = NetworkHybridEnv(NetworkHybrid(SCENARIO, tiny_levels()), periods=3)
    store, sku = 2, 4                                   # location 2 is the second store
    action = np.zeros(env.action_space.shape, dtype=np.float32)
    action[2 * (store * SCENARIO.n_skus + sku)] = 1.0  # safety shift of item (store, sku), location-major
    env.reset(seed=1)
    base = env.step(np.zeros_like(action))[4]
    env.reset(seed=1)
    moved = env.step(action)[4]
    changed = np.argwhere(moved["requested"] != base["requested"])  # (stores, SKUs) wanted by the stores
    np.testing.assert_array_equal(changed, [[store - 1, sku]])
    changed_orders = np.argwhere(moved["supplier_orders"] != base["supplier_orders"])
    assert set(changed_orders[:, 1]) <= {sku}


def test_decisions_are_feasible_for_random_actions() -> None:
    env = NetworkHybridEnv(NetworkHybrid(SCENARIO, tiny_levels()))
    env.reset(seed=4)
    env.action_space.seed(4)
    done = False
    excess = 0.0
    while not done:
        obs = env.observation
        _, _, _, done, info = env.step(env.action_space.sample())
        check_decision(obs, NetworkDecision(info["supplier_orders"], info["shipments"], info["requested"]))
        excess += info["budget_excess"]
    assert excess == 0.0 and env._sim.ledger.summary()["violations"] == 0


def test_subtract_base_must_be_a_switch() -> None:
    with pytest.raises(PlanningError) as info:  # bool("no") subtracted the base
        _serial_env(periods=4, subtract_base="no")
    assert info.value.column == "subtract_base"


def test_reset_refuses_options_it_would_ignore() -> None:
    """As NetworkEnv.reset: {"path_seed": 3} was ignored without a word, the episode ran on a drawn path."""
    env = NetworkHybridEnv(NetworkHybrid(SCENARIO, tiny_levels()), periods=4)
    with pytest.raises(PlanningError, match="NetworkHybridEnv.reset takes no options") as info:
        env.reset(seed=0, options={"path_seed": 3})
    assert info.value.column == "options" and info.value.value == ["path_seed"]
    first, _ = env.reset(seed=0, options={})
    again, _ = env.reset(seed=0)
    np.testing.assert_array_equal(first, again)  # no options (or none given) is a plain reset


@pytest.mark.parametrize("hybrid", [None, "serial_3", "scenario"])
def test_hybrid_that_is_not_a_network_hybrid_is_refused(hybrid: object) -> None:
    """A scenario (the NetworkEnv argument) was an AttributeError: no attribute 'scenario'."""
    hybrid = SCENARIO if hybrid == "scenario" else hybrid
    with pytest.raises(PlanningError, match=r"NetworkHybrid\(scenario, base_levels\)") as info:
        NetworkHybridEnv(hybrid)  # type: ignore[arg-type]
    assert info.value.column == "hybrid" and info.value.value == type(hybrid).__name__


def test_an_action_of_another_shape_is_refused_not_reshaped() -> None:
    # the finding: a (locations, SKUs, 2) array and its transposes were flattened and reshaped, so a transpose placed
    # its corrections on the wrong items without a word; SB3 passes exactly the space's flat shape
    env = NetworkHybridEnv(NetworkHybrid(SCENARIO, tiny_levels()), periods=3)
    env.reset(seed=0)
    items = np.random.default_rng(0).uniform(-1, 1, (SCENARIO.n_locations, SCENARIO.n_skus, 2))
    for action in (items, items.transpose(2, 0, 1), items.reshape(-1, 2), items.reshape(1, -1)):
        with pytest.raises(PlanningError, match="the action space's shape is") as info:
            env.step(action)
        assert info.value.column == "action" and info.value.value == action.shape
    env.step(items.reshape(-1).astype(np.float32))  # the flat, location-major layout steps


def test_a_nan_action_names_the_location_and_sku() -> None:
    # the finding: docs/rl.md says a NaN action names the SKU in the network environments too; this one named only
    # column 'action' and the value
    from hybridinv.network import LocationError

    env = NetworkHybridEnv(NetworkHybrid(SCENARIO, tiny_levels()), periods=3)
    env.reset(seed=0)
    store, sku = 2, 4
    action = np.zeros(env.action_space.shape, dtype=np.float32)
    action[2 * (store * SCENARIO.n_skus + sku) + 1] = np.inf  # the forecast multiplier of item (store, sku)
    with pytest.raises(LocationError, match="NaN or infinite") as info:
        env.step(action)
    assert info.value.column == "action" and info.value.value == np.inf
    assert info.value.location == SCENARIO.network.names[store]
    assert info.value.sku == (SCENARIO.costs.skus[sku] if SCENARIO.costs.skus else str(sku))
