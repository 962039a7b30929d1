"""A simulator, batch simulator or environment copied mid-episode continues exactly like the original.

The simulator keeps per-period vectors as views of one tally, on hand as a view of its stock
and a flat view of the pipeline ring; the ledger keeps its series as columns of one table. A
copy of a view is an array of its own: until 2026-12-06 a copy (``copy.deepcopy`` or pickle)
made mid-episode wrote its orders into a copy of its ring (88 units ordered never arrived)
and its ledger reported a budget use of 0.054 against the original's 0.732.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from hybridinv import scenarios
from hybridinv.envs import OrderEnv, TargetEnv
from hybridinv.sim import Simulator
from hybridinv.sim.batch import BatchSimulator

COPIES: dict[str, Callable[[Any], Any]] = {
    "deepcopy": copy.deepcopy,
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
}
# multi_10: fixed lead times that differ between SKUs (orders land through the flat ring);
# perishable: stock in age buckets; disrupted: random lead times and partial deliveries
SCENARIOS = ["multi_10", "perishable", "disrupted"]


def _orders(obs: Any, level: float) -> np.ndarray:
    return np.maximum(np.rint(level - obs.inventory_position), 0.0)


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("name", SCENARIOS)
def test_simulator_copied_mid_episode_continues_like_the_original(name: str, how: str) -> None:
    scenario = scenarios.get(name)
    level = 3.0 * scenario.catalog.demand_mean * (scenario.catalog.lead_time + 1)
    sim = Simulator(scenario, periods=16)
    obs = sim.reset(seed=4)
    for _ in range(5):
        obs = sim.step(_orders(obs, level))
    clone = COPIES[how](sim)
    obs_clone = obs
    while not sim.done:
        obs = sim.step(_orders(obs, level))
        obs_clone = clone.step(_orders(obs_clone, level))
        np.testing.assert_array_equal(obs_clone.inventory_position, obs.inventory_position)
        np.testing.assert_array_equal(obs_clone.pipeline, obs.pipeline)
    assert clone.ledger.summary() == sim.ledger.summary()
    np.testing.assert_array_equal(clone.ledger.ordered_units, sim.ledger.ordered_units)
    np.testing.assert_array_equal(clone.ledger.sku_served, sim.ledger.sku_served)
    assert sim.ledger.ordered_units.sum() > 0  # the orders after the copy were recorded, not only before


@pytest.mark.parametrize("name", SCENARIOS)
def test_batch_simulator_copied_mid_episode_continues_like_the_original(name: str) -> None:
    scenario = scenarios.get(name)
    level = 3.0 * scenario.catalog.demand_mean * (scenario.catalog.lead_time + 1)
    sim = BatchSimulator(scenario, periods=12)
    obs = sim.reset(seeds=[1, 2])
    for _ in range(4):
        obs = sim.step(_orders(obs, level))
    clone = copy.deepcopy(sim)
    obs_clone = obs
    while not sim.done:
        obs = sim.step(_orders(obs, level))
        obs_clone = clone.step(_orders(obs_clone, level))
        np.testing.assert_array_equal(obs_clone.inventory_position, obs.inventory_position)
    for e in range(2):
        assert clone.ledger(e).summary() == sim.ledger(e).summary()


@pytest.mark.parametrize("env_class", [OrderEnv, TargetEnv])
@pytest.mark.parametrize("name", SCENARIOS)
def test_env_copied_mid_episode_continues_like_the_original(env_class: type, name: str) -> None:
    env = env_class(name, periods=14)
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(3):
        env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
    clone = copy.deepcopy(env)
    done = False
    while not done:
        action = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        obs, reward, terminated, truncated, info = env.step(action)
        obs_c, reward_c, terminated_c, truncated_c, info_c = clone.step(action)
        np.testing.assert_array_equal(obs_c, obs)
        assert reward_c == reward and (terminated_c, truncated_c) == (terminated, truncated)
        np.testing.assert_array_equal(info_c["orders"], info["orders"])
        done = terminated or truncated
    assert clone.simulator.ledger.summary() == env.simulator.ledger.summary()
