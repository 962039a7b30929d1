"""Target parameterizations of the hybrid (hybridinv/rl/parameterizations.py)."""

from __future__ import annotations

import numpy as np

from hybridinv import scenarios
from hybridinv.envs.actions import targets_from_action
from hybridinv.envs.features import SKU_FEATURES, demand_scale
from hybridinv.policies.rq import CappedBaseStock
from hybridinv.rl.hybrid import Hybrid
from hybridinv.rl.maps import LinearMap
from hybridinv.rl.parameterizations import (
    RESIDUAL_RANGE,
    CappedBaseStockTargets,
    SafetyStockTargets,
    WeightedBaseStockTargets,
)
from hybridinv.sim.simulator import Simulator


def _obs(name: str = "multi_10", seed: int = 1):  # type: ignore[no-untyped-def]
    sim = Simulator(scenarios.get(name), periods=6)
    obs = sim.reset(seed=seed)
    for _ in range(3):
        obs = sim.step(np.full(obs.n_skus, 2.0))
    return obs


def test_weighted_base_stock_orders_up_to_the_scaled_level_capped() -> None:
    """level 4, cap 1.2, scale 5: order min(max(20 - P, 0), 6), rounded up."""
    targets = WeightedBaseStockTargets(4.0, 1.2, slots=2)
    np.testing.assert_array_equal(targets.orders(np.array([17.5, 10.0, 25.0]), np.full(3, 5.0)), [3.0, 6.0, 0.0])


def test_safety_stock_targets_are_the_environments_action_mapping() -> None:
    obs = _obs()
    outputs = np.tile([0.3, -0.2], (obs.n_skus, 1))
    parameterization = SafetyStockTargets()
    features = parameterization.features(obs)
    s, big_s = parameterization.targets(obs, outputs, features)
    expected = targets_from_action(outputs, obs, demand_scale(obs))
    np.testing.assert_array_equal(s, expected[0])
    np.testing.assert_array_equal(big_s, expected[1])


def test_capped_base_stock_multiplies_level_and_cap_and_zero_is_the_base() -> None:
    scenario = scenarios.get("multi_10")
    obs = _obs()
    parameterization = CappedBaseStockTargets()
    parameterization.reset(scenario)
    level, cap = parameterization.base_parameters(obs)
    outputs = np.tile([1.0, -1.0], (obs.n_skus, 1))
    new_level, new_cap = parameterization.parameters(obs, outputs)
    np.testing.assert_allclose(new_level, level * np.exp(RESIDUAL_RANGE))
    np.testing.assert_allclose(new_cap, cap * np.exp(-RESIDUAL_RANGE))
    zero = Hybrid(CappedBaseStockTargets(), LinearMap(np.zeros((2, len(SKU_FEATURES)))), "es")
    zero.reset(scenario)
    base = CappedBaseStock(repair="fast").fit(scenario)
    np.testing.assert_array_equal(zero.act(obs), base.act(obs))
