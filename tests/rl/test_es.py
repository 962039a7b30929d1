"""Evolution strategies and the residual hybrid agent (hybridinv/rl/es.py, hybridinv/rl/residual.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from hybridinv import scenarios
from hybridinv.core.errors import ConstraintViolationWarning
from hybridinv.envs import GLOBAL_FEATURES, SKU_FEATURES
from hybridinv.envs.features import observe
from hybridinv.policies.rq import CappedBaseStock
from hybridinv.rl import Hybrid, SharedPolicyNetwork
from hybridinv.rl.es import ESConfig, centered_ranks, evolve, flatten, train_single_sku, unflatten
from hybridinv.rl.residual import (
    ResidualHybrid,
    batched_actions,
    single_sku_costs,
    stack_networks,
    zero_output,
)
from hybridinv.sim.runner import simulate
from hybridinv.sim.simulator import Simulator


def _network(seed: int = 0, hidden: int = 8) -> SharedPolicyNetwork:
    return SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=hidden, seed=seed)


def test_flatten_roundtrip_and_ranks() -> None:
    net = _network()
    theta = flatten(net)
    again = unflatten(net, theta)
    for key in net.weights:
        np.testing.assert_array_equal(again.weights[key], net.weights[key])
    with pytest.raises(ValueError):
        unflatten(net, theta[:-1])
    assert centered_ranks(np.array([3.0, 1.0, 2.0])).tolist() == [0.5, -0.5, 0.0]


def test_zero_output_reproduces_capped_base_stock_orders_on_multi_10() -> None:
    """With a zero output layer the residual agent places exactly the capped base-stock orders (repair included)."""
    scenario = scenarios.get("multi_10")
    agent = ResidualHybrid(zero_output(_network(3)))
    agent.reset(scenario)
    base = CappedBaseStock(repair="fast").fit(scenario)
    sim = Simulator(scenario, periods=30)
    obs = sim.reset(seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        while not sim.done:
            orders = agent.act(obs)
            np.testing.assert_array_equal(orders, base.act(obs))
            obs = sim.step(orders)


def test_batched_forward_matches_the_network_on_one_sku() -> None:
    scenario = scenarios.single_sku(lead_time=3, periods=20)
    obs = Simulator(scenario).reset(seed=1)
    sku, glob = observe(obs)
    nets = [_network(seed) for seed in range(3)]
    thetas = np.stack([flatten(net) for net in nets])
    stacked = stack_networks(nets[0], thetas)
    batched = batched_actions(stacked, np.repeat(sku, 3, axis=0), np.repeat(glob[None, :], 3, axis=0))
    for k, net in enumerate(nets):
        np.testing.assert_allclose(batched[k], net.action(sku, glob)[0], atol=1e-12)


def test_vectorized_population_matches_the_simulator() -> None:
    """Columns of the tiled single-SKU simulation cost what simulate() reports for each member."""
    scenario = scenarios.single_sku(mean=5.0, lead_time=2, shortage_cost=9.0, periods=300, warmup=20)
    nets = [_network(seed) for seed in range(2)]
    stacked = stack_networks(nets[0], np.stack([flatten(net) for net in nets]))
    level, cap = np.array([19.0, 17.0]), np.array([6.0, 9.0])
    costs = single_sku_costs(scenario, 4, level, cap, stacked)
    for k, net in enumerate(nets):
        agent = ResidualHybrid(net, base=CappedBaseStock(level=level[k], cap=cap[k], repair=None), repair=None)
        assert costs[k] == pytest.approx(simulate(agent, scenario, seeds=[4])["avg_cost"].iloc[0], rel=1e-12)


def test_evolve_is_deterministic_and_minimizes_a_quadratic() -> None:
    target = np.linspace(-1.0, 1.0, 6)

    def cost(thetas: np.ndarray, seeds: object) -> np.ndarray:
        return ((thetas - target) ** 2).sum(axis=1)

    config = ESConfig(population=10, sigma=0.1, learning_rate=0.05, generations=150, eval_every=10, eval_seeds=(0,))
    first = evolve(cost, np.zeros(6), config)
    second = evolve(cost, np.zeros(6), config)
    np.testing.assert_array_equal(first.theta, second.theta)
    assert first.best["avg_cost"] < 0.1 * first.start["avg_cost"]


def test_es_improves_a_tiny_single_sku_instance_on_held_out_seeds(tmp_path: Path) -> None:
    """Starting from a poor capped base-stock (level 9, cap 12), ES lowers the held-out cost; the model loads back."""
    scenario = scenarios.single_sku(mean=5.0, lead_time=1, shortage_cost=9.0, periods=600, warmup=20)
    config = ESConfig(
        population=10, sigma=0.1, learning_rate=0.05, generations=20, eval_every=5, eval_seeds=(101, 102), seed=1
    )
    agent, result = train_single_sku(scenario, tmp_path / "tiny", config, level=9.0, cap=12.0, hidden=8, periods=600)
    assert result.best["avg_cost"] < result.start["avg_cost"]
    held_out = [500, 501, 502]
    base = CappedBaseStock(level=9.0, cap=12.0, repair=None)
    loaded = Hybrid.load(tmp_path / "tiny", repair=None)
    assert isinstance(loaded, ResidualHybrid)
    trained_cost = simulate(loaded, scenario, seeds=held_out)["avg_cost"].mean()
    assert trained_cost < simulate(base, scenario, seeds=held_out)["avg_cost"].mean()
    assert trained_cost == pytest.approx(simulate(agent, scenario, seeds=held_out)["avg_cost"].mean())
