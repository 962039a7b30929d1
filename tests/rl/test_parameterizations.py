"""Target parameterizations of the hybrid (hybridinv/rl/parameterizations.py)."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import scenarios
from hybridinv.core.errors import PlanningError
from hybridinv.envs.actions import targets_from_action
from hybridinv.envs.features import SKU_FEATURES, demand_scale
from hybridinv.policies.rq import CappedBaseStock, ForecastCappedBaseStock
from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES
from hybridinv.rl.hybrid import Hybrid
from hybridinv.rl.maps import LinearMap
from hybridinv.rl.parameterizations import (
    CAPPED_OUTPUTS,
    RESIDUAL_RANGE,
    CappedBaseStockTargets,
    ForecastCappedTargets,
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


def test_safety_stock_targets_are_the_documented_action_mapping() -> None:
    """s = mu_P + 3 a0 sigma_P over the protection interval (L + 1 periods), S = s + (a1 + 1) / 2 * 6 * scale,
    worked out here from the per-period forecast, not through the mapping under test."""
    obs = _obs()
    n = obs.n_skus
    outputs = np.column_stack([np.linspace(-0.5, 0.8, n), np.linspace(-1.0, 0.6, n)])
    parameterization = SafetyStockTargets()
    features = parameterization.features(obs)
    s, big_s = parameterization.targets(obs, outputs, features)
    lead = obs.catalog.lead_time.astype(int)
    horizon = int(lead.max()) + 1
    means, stds = obs.forecast(horizon), obs.forecast_std(horizon)
    mu = np.array([means[i, : lead[i] + 1].sum() for i in range(n)])
    sigma = np.sqrt([np.square(stds[i, : lead[i] + 1]).sum() for i in range(n)])
    scale = demand_scale(obs)
    np.testing.assert_array_equal(features.context, scale)
    expected_s = np.maximum(mu + 3.0 * outputs[:, 0] * sigma, 0.0)
    np.testing.assert_allclose(s, expected_s, rtol=1e-12)
    np.testing.assert_allclose(big_s, expected_s + (outputs[:, 1] + 1.0) / 2.0 * 6.0 * scale, rtol=1e-12)
    assert (sigma > 0).all() and (big_s[0] == s[0])  # a1 = -1: base-stock, S = s
    # the environments' mapping is the same function
    np.testing.assert_array_equal(targets_from_action(outputs, obs, scale)[1], big_s)


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


def test_forecast_capped_shifts_the_safety_factor_and_scales_the_cap() -> None:
    """Outputs (a0, a1): level + a0 sigma, cap e^{a1}; constant ones are the base with z + a0, cap factor x e^{a1}."""
    obs = _obs("multi_50")
    base = ForecastCappedBaseStock(safety_factor=0.5, cap_factor=1.6, repair="fast")
    parameterization = ForecastCappedTargets(base)
    outputs = np.tile([0.4, -0.3], (obs.n_skus, 1))
    level, cap = parameterization.parameters(obs, outputs)
    shifted = ForecastCappedBaseStock(safety_factor=0.9, cap_factor=1.6 * np.exp(-0.3), repair="fast")
    expected_level, expected_cap = shifted.parameters(obs)
    np.testing.assert_allclose(level, expected_level)
    np.testing.assert_allclose(cap, expected_cap)
    features = parameterization.features(obs)
    assert features.sku.shape == (obs.n_skus, len(ADAPTIVE_FEATURES)) and features.glob is None
    decision = parameterization.decide(base, obs, outputs, features)
    np.testing.assert_array_equal(decision.orders, shifted.decide(obs).orders)
    s, big_s = parameterization.targets(obs, outputs, features)
    np.testing.assert_allclose(big_s, expected_level)
    np.testing.assert_allclose(s, expected_level - 1.0)


def test_forecast_capped_metadata_rebuilds_its_base() -> None:
    base = ForecastCappedBaseStock(safety_factor=1.0, capacity_price=5.0, repair_weights=None)
    meta = ForecastCappedTargets(base).metadata()
    assert meta["base"] == {"safety_factor": 1.0, "cap_factor": 1.6, "cap_std": 1.0, "capacity_price": 5.0,
                            "repair_weights": None}
    assert meta["action_spec"]["features"] == list(ADAPTIVE_FEATURES)
    assert meta["action_spec"]["per_sku"] == list(CAPPED_OUTPUTS)
    rebuilt = ForecastCappedBaseStock.from_options(meta["base"], repair="highs")
    assert rebuilt.options() == meta["base"] and rebuilt.repair == "highs"
    assert ForecastCappedTargets(base).for_repair(None).base.repair is None
    with pytest.raises(PlanningError, match="unknown base option"):
        ForecastCappedBaseStock.from_options({"safety": 1.0})
    for key, value in (("safety_factor", float("nan")), ("cap_std", "wide"), ("capacity_price", [1.0, 2.0]),
                       ("cap_factor", float("inf"))):
        with pytest.raises(PlanningError, match=key):
            ForecastCappedBaseStock.from_options({key: value})
    with pytest.raises(PlanningError, match="repair_weights"):
        ForecastCappedBaseStock.from_options({"repair_weights": "everything"})
