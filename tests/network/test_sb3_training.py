"""PPO and SAC training the network hybrid's per-item shared network (hybridinv/network/sb3_training.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import torch  # noqa: E402

from hybridinv.core.errors import PlanningError  # noqa: E402
from hybridinv.network.hybrid import NetworkHybrid, load_network_hybrid, save_network_hybrid  # noqa: E402
from hybridinv.network.hybrid_env import NetworkHybridEnv  # noqa: E402
from hybridinv.network.hybrid_training import repaired_echelon_policy  # noqa: E402
from hybridinv.network.sb3_training import hybrid_of_model, make_model, train_network_hybrid_sb3  # noqa: E402
from hybridinv.rl.integrity import ModelFileError  # noqa: E402
from hybridinv.rl.network import SharedSkuActor, SharedSkuExtractor  # noqa: E402

from ._hybrid_cases import SCENARIO, Recorder, check_decision, tiny_levels  # noqa: E402

TINY_PPO = {"n_steps": 60, "batch_size": 30, "n_epochs": 2}
TINY_SAC = {"learning_starts": 30, "batch_size": 16, "buffer_size": 500}


def _output_layer(model) -> SharedSkuExtractor:
    actor = getattr(model.policy, "actor", None)
    extractor = actor.shared if isinstance(actor, SharedSkuActor) else model.policy.mlp_extractor
    assert isinstance(extractor, SharedSkuExtractor)
    return extractor


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_fresh_model_is_the_base_and_its_numpy_twin_acts_as_sb3(algo: str, no_log_folders: None) -> None:
    levels = tiny_levels()
    template = NetworkHybrid(SCENARIO, levels)
    env = NetworkHybridEnv(template, periods=10)
    model = make_model(env, algo, hidden=8, seed=5)
    hybrid = hybrid_of_model(model, template, algo)
    assert hybrid.learner == algo
    recorder = Recorder(hybrid)
    SCENARIO.simulator().run(recorder, SCENARIO.demand_path(2))
    base = repaired_echelon_policy(SCENARIO, levels)
    for obs, decision in recorder.seen:                # the zero output layer: the base's decisions, exactly
        expected = base.act(obs)
        np.testing.assert_array_equal(decision.supplier_orders, expected.supplier_orders)
        np.testing.assert_array_equal(decision.shipments, expected.shipments)
    flat, _ = env.reset(seed=0)
    sampled, _ = model.predict(flat, deterministic=False)
    assert np.abs(sampled).max() > 0.05               # exploration around the zero mean
    # move the output layer: SB3's deterministic action and the numpy twin agree item by item
    with torch.no_grad():
        layer = _output_layer(model).actor2
        layer.weight.copy_(torch.randn_like(layer.weight, generator=torch.Generator().manual_seed(1)))
        layer.bias.fill_(0.2)
    twin = hybrid_of_model(model, template, algo)
    for _ in range(4):
        obs = env.observation
        assert obs is not None
        action, _ = model.predict(flat, deterministic=True)
        np.testing.assert_allclose(twin.action(obs).reshape(-1), action, atol=1e-5)
        flat = env.step(action)[0]
    assert np.abs(action).max() > 0.1


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_tiny_training_is_feasible_validated_and_round_trips(algo: str, tmp_path: Path, no_log_folders: None) -> None:
    levels = tiny_levels()
    hybrid, result = train_network_hybrid_sb3(SCENARIO, levels, algo=algo, timesteps=120, seed=1, periods=10,
                                              eval_every=60, hidden=8,
                                              algo_kwargs=TINY_SAC if algo == "sac" else TINY_PPO)
    assert result.learner == algo and result.timesteps == 120
    assert [e["timesteps"] for e in result.evaluations] == [0.0, 60.0, 120.0]
    assert result.evaluations[0]["relative_cost"] == 1.0  # the start is the base
    assert result.best["relative_cost"] == min(e["relative_cost"] for e in result.evaluations)
    assert hybrid.learner == algo and result.final is not None
    # the policy at the end has moved away from the base, and its decisions are feasible every period
    for policy in (result.final, hybrid):
        recorder = Recorder(policy)
        ledger = SCENARIO.simulator().run(recorder, SCENARIO.demand_path(0))
        assert len(recorder.seen) == SCENARIO.periods
        for obs, decision in recorder.seen:
            check_decision(obs, decision)
        assert ledger.summary()["violations"] == 0
    moved = [np.abs(result.final.action(obs)).max() for obs, _ in recorder.seen]
    assert max(moved) > 0.0
    # saved with its learner, loaded with every hash checked
    path = save_network_hybrid(tmp_path / "model", hybrid, {"training": {"algo": algo}})
    meta = json.loads((path / "metadata.json").read_text())
    assert (meta["parameterization"], meta["parameter_map"], meta["learner"]) == \
        ("echelon_correction", "network", algo)
    loaded = load_network_hybrid(path, SCENARIO)
    obs = SCENARIO.simulator().reset(SCENARIO.demand_path(7))
    np.testing.assert_array_equal(loaded.action(obs), hybrid.action(obs))
    data = bytearray((path / "policy.npz").read_bytes())
    data[len(data) // 2] ^= 0x01
    (path / "policy.npz").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_network_hybrid(path, SCENARIO)


def test_time_limit_stops_learning(no_log_folders: None) -> None:
    _, result = train_network_hybrid_sb3(SCENARIO, tiny_levels(), timesteps=100_000, time_limit=1.0, periods=10,
                                         eval_every=0, hidden=8, algo_kwargs=TINY_PPO)
    assert result.timesteps < 100_000
    assert [e["timesteps"] for e in result.evaluations] == [0.0, float(result.timesteps)]


def test_bad_arguments_raise() -> None:
    with pytest.raises(PlanningError, match="algo"):
        train_network_hybrid_sb3(SCENARIO, tiny_levels(), algo="a2c")
    with pytest.raises(PlanningError, match="timesteps"):
        train_network_hybrid_sb3(SCENARIO, tiny_levels(), timesteps=0)


@pytest.mark.parametrize(("argument", "value"), [
    ("timesteps", None), ("timesteps", 2.5),           # None was a TypeError
    ("eval_every", -5), ("eval_every", 2.5),           # -5 trained forever, 2.5 validated every 2 steps
    ("time_limit", float("nan")), ("time_limit", 0.0), ("time_limit", -1.0), ("time_limit", "10"),  # NaN: one step
    ("hidden", 0), ("hidden", -3), ("hidden", 2.5),    # a reshape error, a torch RuntimeError
    ("harm_weight", -5.0), ("harm_weight", float("nan")),
    ("seed", -1), ("log_std_init", float("nan")),
])
def test_bad_settings_are_refused_before_training(argument: str, value: object, no_log_folders: None) -> None:
    with pytest.raises(PlanningError, match=argument) as error:
        settings: dict[str, object] = {"timesteps": 20, "periods": 10, "eval_every": 10, "hidden": 8}
        train_network_hybrid_sb3(SCENARIO, tiny_levels(), algo_kwargs=TINY_PPO, **{**settings, argument: value})
    assert error.value.column == argument


@pytest.mark.parametrize("key", ["seed", "verbose", "policy_kwargs", "device", "env", "policy"])
def test_algo_kwargs_naming_a_trainer_argument_is_refused(key: str, no_log_folders: None) -> None:
    # seed and verbose were "got multiple values for keyword argument" (TypeError) from PPO
    with pytest.raises(PlanningError, match=f"'{key}'") as error:
        train_network_hybrid_sb3(SCENARIO, tiny_levels(), timesteps=20, periods=10, hidden=8,
                                 algo_kwargs={**TINY_PPO, key: 1})
    assert error.value.column == "algo_kwargs"
    with pytest.raises(PlanningError, match="algo_kwargs"):
        make_model(NetworkHybridEnv(NetworkHybrid(SCENARIO, tiny_levels()), periods=10), algo_kwargs=[("n_steps", 10)])


def test_time_limit_infinity_is_no_limit(no_log_folders: None) -> None:
    _, result = train_network_hybrid_sb3(SCENARIO, tiny_levels(), timesteps=60, time_limit=float("inf"), periods=10,
                                         eval_every=0, hidden=8, algo_kwargs=TINY_PPO)
    assert result.timesteps == 60
