"""The forecast_capped parameterization trained as a hybrid (CappedHybrid; rl/parameterizations.py, rl/adaptive.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hybridinv import scenarios
from hybridinv.core.errors import PlanningError
from hybridinv.policies.rq import ForecastCappedBaseStock
from hybridinv.rl import CappedHybrid, ForecastCappedTargets, Hybrid, LinearMap, ModelFileError
from hybridinv.rl.adaptive import train_adaptive
from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES
from hybridinv.rl.es import ESConfig
from hybridinv.rl.integrity import write_file_hashes
from hybridinv.rl.objective import TrainingObjective
from hybridinv.rl.parameterizations import CAPPED_OUTPUT_BOUNDS
from hybridinv.rl.training import TrainConfig
from hybridinv.sim.runner import simulate

SHAPE = (2, len(ADAPTIVE_FEATURES))
BIAS = ADAPTIVE_FEATURES.index("bias")


def _cost(policy: object, name: str, seeds: list[int], periods: int = 20) -> np.ndarray:
    scenario = scenarios.get(name)
    return simulate(policy, scenario, seeds=seeds, periods=periods)[scenario.cost_key].to_numpy()


@pytest.mark.parametrize("name", ["multi_10", "perishable", "multi_50"])
def test_zero_weights_are_the_forecast_capped_base_stock(name: str) -> None:
    base = ForecastCappedBaseStock(safety_factor=1.0, capacity_price=5.0, repair="fast")
    agent = CappedHybrid(np.zeros(SHAPE), ForecastCappedBaseStock(safety_factor=1.0, capacity_price=5.0))
    np.testing.assert_array_equal(_cost(agent, name, [3, 4]), _cost(base, name, [3, 4]))


def test_bias_weights_are_a_base_with_another_safety_factor_and_cap_factor() -> None:
    """Only bias weights (u0, u1): safety factor z + tanh(u0), cap factor x e^{0.5 tanh(u1)} -- the classical rule."""
    weights = np.zeros(SHAPE)
    weights[0, BIAS], weights[1, BIAS] = 0.6, -1.1
    agent = CappedHybrid(weights)
    shift, log_cap = np.tanh(0.6) * CAPPED_OUTPUT_BOUNDS[1, 0], np.tanh(-1.1) * -CAPPED_OUTPUT_BOUNDS[0, 1]
    classical = ForecastCappedBaseStock(safety_factor=0.5 + shift, cap_factor=1.6 * np.exp(log_cap), repair="fast")
    np.testing.assert_allclose(_cost(agent, "multi_10", [5, 6]), _cost(classical, "multi_10", [5, 6]), rtol=1e-12)


def test_configuration_equals_the_composition_built_from_parts() -> None:
    weights = np.random.default_rng(1).normal(0.0, 0.3, SHAPE)
    parts = Hybrid(ForecastCappedTargets(), LinearMap(weights, *CAPPED_OUTPUT_BOUNDS, squash="tanh"), "es")
    agent = CappedHybrid(weights)
    assert agent.composition == parts.composition == {
        "parameterization": "forecast_capped", "parameter_map": "linear", "learner": "es"}
    np.testing.assert_array_equal(_cost(agent, "multi_10", [2]), _cost(parts, "multi_10", [2]))
    with pytest.raises(ValueError, match="shape"):
        CappedHybrid(np.zeros((4, len(ADAPTIVE_FEATURES))))


def test_training_round_trips_through_a_model_file(tmp_path: Path) -> None:
    """ES on the capped parameterization with a fill-rate target writes a model that loads as a CappedHybrid."""
    config = ESConfig(population=4, sigma=0.1, generations=2, seeds_per_generation=1, eval_every=1, eval_seeds=(7,))
    base = {"safety_factor": 0.8, "capacity_price": 5.0}
    agent, result = train_adaptive(scenarios.get("multi_10"), tmp_path / "m", config, periods=12, base=base,
                                   objective=TrainingObjective(targets=["fill_rate>=0.9"]),
                                   parameterization="forecast_capped")
    assert isinstance(agent, CappedHybrid) and result.theta.shape == (SHAPE[0] * SHAPE[1],)
    loaded = Hybrid.load(tmp_path / "m")
    assert isinstance(loaded, CappedHybrid)
    np.testing.assert_array_equal(loaded.weights, agent.weights)
    meta = loaded.metadata
    assert (meta["parameterization"], meta["parameter_map"], meta["learner"]) == ("forecast_capped", "linear", "es")
    assert meta["base"] == ForecastCappedBaseStock(safety_factor=0.8, capacity_price=5.0).options()
    assert meta["reward_spec"]["targets"] == ["fill_rate>=0.9"]
    assert loaded.base.safety_factor == 0.8 and loaded.base.capacity_price == 5.0
    np.testing.assert_array_equal(_cost(loaded, "multi_10", [7], 12), _cost(agent, "multi_10", [7], 12))

    meta_path = tmp_path / "m" / "metadata.json"
    for key, value, message in (("action_spec", {**meta["action_spec"], "per_sku": ["a", "b", "c", "d"]}, "outputs"),
                                ("base", {"safety": 1.0}, "unknown base option")):
        changed = json.loads(meta_path.read_text())
        changed[key] = value
        meta_path.write_text(json.dumps(changed))
        write_file_hashes(tmp_path / "m")
        with pytest.raises(ModelFileError, match=message):
            Hybrid.load(tmp_path / "m")


def test_train_config_chooses_the_parameterization_per_algorithm() -> None:
    assert TrainConfig(algo="adaptive").parameterization == "forecast_ss"  # type: ignore[arg-type]
    assert TrainConfig(algo="hybrid").parameterization == "safety_stock"  # type: ignore[arg-type]
    assert TrainConfig(algo="adaptive", parameterization="forecast_capped").parameterization == "forecast_capped"  # type: ignore[arg-type]
    assert TrainConfig(algo="hybrid", parameterization="forecast_capped").parameterization == "forecast_capped"  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="--algo adaptive trains"):
        TrainConfig(algo="adaptive", parameterization="safety_stock")  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="--algo hybrid or adaptive"):
        TrainConfig(algo="es", parameterization="forecast_capped")  # type: ignore[arg-type]
    for algo in ("ppo", "es", "adaptive", "hybrid"):  # a resolved config rebuilds as it is (dataclasses.replace)
        config = TrainConfig(algo=algo)  # type: ignore[arg-type]
        assert replace(config, seed=3).parameterization == config.parameterization
    with pytest.raises(ValueError, match="parameterization"):
        train_adaptive(scenarios.get("multi_10"), None, ESConfig(generations=1), parameterization="safety_stock")
