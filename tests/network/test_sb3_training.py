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
    # the start, then the final weights once, labelled with the whole rollouts PPO learned from: the rollout the
    # limit stopped is not learned from (the final evaluation was labelled with the steps taken)
    labels = [e["timesteps"] for e in result.evaluations]
    assert labels[0] == 0.0 and len(labels) <= 2
    assert labels[-1] % TINY_PPO["n_steps"] == 0 and labels[-1] < result.timesteps


@pytest.mark.parametrize(("algo", "seed"), [("ppo", 0), ("sac", 2)])
def test_each_validation_is_labelled_with_the_steps_its_weights_learned_from(
    algo: str, seed: int, monkeypatch: pytest.MonkeyPatch, no_log_folders: None
) -> None:
    """The finding: validations ran in _on_step at step N, before PPO's update on that rollout (the one labelled
    16 was the untrained network), and the end-of-training check skipped the final weights when the last label
    was N already, so PPO's final trained weights were never validated (here they are the best)."""
    import hybridinv.network.sb3_training as sb3_training
    from hybridinv.network.hybrid_training import VALIDATION_SEEDS, NetworkHybridCost
    from hybridinv.rl.network import export_weights

    torch.set_num_threads(1)
    seen: list[tuple[int, int, dict[str, np.ndarray]]] = []
    evaluate_weights = sb3_training._Validation.evaluate_weights

    def spy(callback, timesteps: int) -> None:
        seen.append((timesteps, callback.model._n_updates, export_weights(callback.model.policy).weights))
        evaluate_weights(callback, timesteps)

    monkeypatch.setattr(sb3_training._Validation, "evaluate_weights", spy)
    settings = ({"learning_starts": 8, "batch_size": 8, "buffer_size": 100} if algo == "sac"
                else {"n_steps": 16, "batch_size": 8, "n_epochs": 2})
    hybrid, result = train_network_hybrid_sb3(SCENARIO, tiny_levels(), algo=algo, timesteps=48, seed=seed, periods=8,
                                              eval_every=16, hidden=8,
                                              algo_kwargs={**settings, "learning_rate": 0.01})
    labels = [int(e["timesteps"]) for e in result.evaluations]
    assert labels == [0, 16, 32, 48]  # the final weights validated once: no repeated final label
    assert [timesteps for timesteps, _, _ in seen] == labels
    # the weights labelled N learned from N steps: PPO updated n_epochs times on each of the N / n_steps
    # rollouts, SAC took a gradient step after each step past learning_starts
    updates = [n // 16 * 2 if algo == "ppo" else max(0, n - 8) for n in labels]
    assert [n_updates for _, n_updates, _ in seen] == updates
    # the returned hybrid holds the weights of the best validation (a trained one) and scores its relative cost
    best = next(k for k, entry in enumerate(result.evaluations) if entry is result.best)
    assert best > 0 and result.best["relative_cost"] < 1.0
    assert hybrid.parameter_map is not None
    for key, value in seen[best][2].items():
        np.testing.assert_array_equal(hybrid.parameter_map.network.weights[key], value)
    cost = NetworkHybridCost(NetworkHybrid(SCENARIO, tiny_levels()), 8, 1.0, fixed_seeds=VALIDATION_SEEDS)
    rescored = float(np.mean([cost.relative_cost(hybrid, path) for path in VALIDATION_SEEDS]))
    assert rescored == pytest.approx(result.best["relative_cost"], abs=1e-12)
    # the final policy is the last validation's weights
    assert result.final is not None and result.final.parameter_map is not None
    for key, value in seen[-1][2].items():
        np.testing.assert_array_equal(result.final.parameter_map.network.weights[key], value)


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
