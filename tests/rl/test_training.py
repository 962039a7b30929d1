"""Tiny training runs of the hybrid agent and pure PPO (hybridinv/rl/training.py, hybridinv/cli/train.py)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from click.testing import CliRunner  # noqa: E402

from hybridinv import scenarios  # noqa: E402
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError  # noqa: E402
from hybridinv.rl import Hybrid, PureRL, load_model  # noqa: E402
from hybridinv.rl.training import TrainConfig, train  # noqa: E402
from hybridinv.sim.runner import simulate  # noqa: E402


def _tiny(algo: str, **changes: object) -> TrainConfig:
    values: dict[str, object] = {
        "scenario": "multi_10",
        "algo": algo,
        "timesteps": 256,
        "n_steps": 128,
        "batch_size": 64,
        "n_epochs": 2,
        "eval_every": 128,
        "eval_seeds": (1, 2),
        "eval_periods": 20,
        "hidden": 16,
    }
    values.update(changes)
    return TrainConfig(**values)  # type: ignore[arg-type]


def test_tiny_hybrid_run_writes_a_loadable_model(tmp_path: Path, no_log_folders: None) -> None:
    result = train(_tiny("hybrid", curriculum=True, randomize=True), tmp_path / "hybrid", progress=False)
    assert isinstance(result.policy, Hybrid)
    assert len(result.evaluations) >= 2
    assert result.best["avg_cost"] == min(e["avg_cost"] for e in result.evaluations)
    model = load_model(tmp_path / "hybrid")
    meta = model.metadata
    assert meta["training"]["algo"] == "hybrid" and meta["training"]["curriculum"] is True
    assert meta["seed"] == 0 and meta["scenario"]["name"] == "multi_10"
    assert meta["reward_spec"]["kind"] == "negative_period_cost"
    assert meta["evaluation"]["best"]["violations"] == 0
    assert (tmp_path / "hybrid" / "sb3.zip").exists()
    # the network trained on 10 SKUs plans 50
    loaded = Hybrid.load(tmp_path / "hybrid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        frame = simulate(loaded, scenarios.get("multi_50"), seeds=[0], periods=5)
    assert frame["violations"].iloc[0] == 0


def test_same_seed_same_weights(tmp_path: Path) -> None:
    config = _tiny("hybrid", eval_every=0, timesteps=128)
    first = train(config, tmp_path / "a", progress=False).policy.network.weights
    second = train(config, tmp_path / "b", progress=False).policy.network.weights
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


def test_tiny_pure_ppo_run(tmp_path: Path, no_log_folders: None) -> None:
    result = train(_tiny("ppo"), tmp_path / "ppo", progress=False)
    assert isinstance(result.policy, PureRL)
    meta = json.loads((tmp_path / "ppo" / "metadata.json").read_text())
    assert meta["action_spec"]["kind"] == "order"
    again = PureRL.load(tmp_path / "ppo")
    frame = simulate(again, scenarios.get("multi_10"), seeds=[0], periods=5)
    assert np.isfinite(frame["avg_cost"]).all()


def test_the_checkpoint_is_never_written_through_a_planted_symlink(tmp_path: Path) -> None:
    from hybridinv.rl.integrity import ModelFileError

    victim = tmp_path / "victim.txt"
    victim.write_text("important user data\n")
    out = tmp_path / "ppo"
    out.mkdir()
    (out / "sb3.zip").symlink_to(victim)
    with pytest.raises(ModelFileError, match="sb3.zip: a symbolic link"):
        train(_tiny("ppo", timesteps=128, eval_every=0), out, progress=False)
    assert victim.read_text() == "important user data\n"


@pytest.mark.parametrize(("algo", "learner"), [("sac", "ppo"), ("hybrid", "sac"), ("ppo", "ppo"), ("hybrid", "ppo")])
def test_training_metadata_records_the_settings_the_learner_used(algo: str, learner: str) -> None:
    """A pure SAC model's metadata said learner "ppo" and n_steps 1024: PPO's defaults, which SAC never read."""
    from hybridinv.rl.training import PPO_FIELDS

    config = _tiny(algo, learner=learner, n_steps=1024, n_epochs=10)
    recorded = config.to_dict()
    sac = algo == "sac" or learner == "sac"
    assert recorded["learner"] == (algo if algo in ("ppo", "sac") else learner)
    assert all((name in recorded) != sac for name in PPO_FIELDS)
    assert recorded.get("learning_starts") == (64 if sac else None)  # a quarter of the 256 timesteps
    assert recorded["batch_size"] == 64 and recorded["timesteps"] == 256


def test_cli_train(tmp_path: Path, no_log_folders: None) -> None:
    from hybridinv.cli import main

    out = tmp_path / "cli_model"
    args = [
        "train", "--scenario", "multi_10", "--algo", "hybrid", "--timesteps", "128", "--n-steps", "64",
        "--eval-every", "0", "--eval-seeds", "1", "--out", str(out), "--seed", "3", "--quiet",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "best_evaluation" in result.output
    assert load_model(out).metadata["seed"] == 3
    bad = CliRunner().invoke(main, ["train", "--scenario", "nope", "--out", str(tmp_path / "x"), "--quiet"])
    assert bad.exit_code != 0 and "unknown scenario" in bad.output


def test_train_refuses_an_out_folder_holding_other_files_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model replaces its folder whole, so a folder holding anything but a model is refused, untouched."""
    import hybridinv.rl.training as training
    from hybridinv.cli import main
    from hybridinv.rl.integrity import ModelFileError

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    monkeypatch.setattr(training, "_train", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(ModelFileError, match="notes.txt: not a model file is in the way"):
        train(_tiny("ppo", timesteps=128), out, progress=False)
    result = CliRunner().invoke(main, ["train", "--scenario", "multi_10", "--algo", "es", "--out", str(out),
                                       "--generations", "1", "--quiet"])
    assert result.exit_code == 2 and "notes.txt: not a model file is in the way" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"] and (out / "notes.txt").read_text() == "mine\n"


def test_cli_train_adaptive(tmp_path: Path) -> None:
    """``--algo adaptive`` writes an adaptive model with the ES options it was given."""
    from hybridinv.cli import main
    from hybridinv.rl.adaptive import AdaptiveHybrid

    out = tmp_path / "adaptive"
    args = [
        "train", "--scenario", "multi_10", "--algo", "adaptive", "--out", str(out), "--population", "2",
        "--generations", "1", "--seeds-per-generation", "1", "--eval-seeds", "1", "--eval-every", "1",
        "--workers", "1", "--seed", "5", "--quiet",
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    agent = Hybrid.load(out)
    assert isinstance(agent, AdaptiveHybrid)
    training = agent.metadata["training"]
    assert training["population"] == 2 and training["seeds_per_generation"] == 1 and training["generations"] == 1
    assert agent.metadata["seed"] == 5 and training["eval_seeds"] == [10_001]
    capped = CliRunner().invoke(main, [*args, "--parameterization", "forecast_capped"])
    assert capped.exit_code == 0, capped.output
    assert Hybrid.load(out).composition["parameterization"] == "forecast_capped"
    history = tmp_path / "history.csv"
    history.write_text("sku,period,demand\nA,1,3\n")
    refused = CliRunner().invoke(main, ["train", "--history", str(history), "--catalog", str(history),
                                        "--parameterization", "safety_stock", "--out", str(tmp_path / "h")])
    assert refused.exit_code != 0 and "--history trains the forecast_ss or forecast_capped" in refused.output


def test_train_dispatches_adaptive_to_evolution_strategies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hybridinv.rl.training as training
    from hybridinv.rl.adaptive import AdaptiveHybrid
    from hybridinv.rl.es import ESConfig

    config = TrainConfig(scenario="multi_10", algo="adaptive", eval_seeds=(3,), eval_periods=8)
    es = ESConfig(population=2, generations=1, seeds_per_generation=1, eval_every=1, eval_seeds=(3,))
    result = training.train_es(config, tmp_path / "direct", progress=False, es=es)
    assert isinstance(result.policy, AdaptiveHybrid)
    assert result.policy.metadata["training"]["periods"] == 8
    calls: list[str] = []
    monkeypatch.setattr(training, "train_es", lambda cfg, out, scenario, progress, **_: calls.append(cfg.algo.value))
    train(config, tmp_path / "via_train", progress=False)
    assert calls == ["adaptive"]


def test_ppo_progress_bar_total_is_the_steps_ppo_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_log_folders: None
) -> None:
    """PPO collects whole rollouts: 200 steps asked with 128-step rollouts run 256, and the bar says so."""
    import tqdm.auto

    bars: list[dict[str, int]] = []

    class Bar:
        def __init__(self, total: int, **_: object) -> None:
            self.state = {"total": total, "n": 0}
            bars.append(self.state)

        def update(self, n: int = 1) -> None:
            self.state["n"] += n

        def set_postfix(self, **_: object) -> None:
            pass

        def close(self) -> None:
            pass

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    result = train(_tiny("hybrid", timesteps=200, eval_every=0), tmp_path / "bar", progress=True)
    (bar,) = bars
    assert result.policy is not None
    assert bar["n"] == bar["total"] == 256


@pytest.mark.parametrize("algo", ["ppo", "hybrid"])
def test_each_evaluation_is_labelled_with_the_steps_its_weights_learned_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_log_folders: None, algo: str
) -> None:
    """The finding: PPO evaluated at step N before its update on that rollout and once more after learn() under the
    same N: the history said 32, 64, 64 and "best at 32" was the untrained network."""
    import torch
    from stable_baselines3 import PPO

    import hybridinv.rl.sb3_training as sb3_training

    seen: list[tuple[int, int, dict[str, Any]]] = []
    evaluate_now = sb3_training._Trainer.evaluate_now

    def spy(trainer: Any, timesteps: int) -> dict[str, float]:
        weights = {key: value.clone() for key, value in trainer.model.policy.state_dict().items()}
        seen.append((timesteps, trainer.model._n_updates, weights))
        return evaluate_now(trainer, timesteps)

    monkeypatch.setattr(sb3_training._Trainer, "evaluate_now", spy)
    config = _tiny(algo, scenario="single_sku", timesteps=96, n_steps=32, batch_size=16, eval_every=32,
                   eval_seeds=(1,), eval_periods=10, hidden=8)
    result = train(config, tmp_path / "m", progress=False)
    labels = [int(entry["timesteps"]) for entry in result.evaluations]
    assert labels == [32, 64, 96]  # no repeated final label
    # PPO updates n_epochs times per rollout: the weights labelled N learned from the N / n_steps rollouts
    assert [(timesteps, updates) for timesteps, updates, _ in seen] == [(n, n // 32 * 2) for n in labels]
    # the saved checkpoint holds the weights of the best evaluation
    best = next(k for k, entry in enumerate(result.evaluations) if entry == result.best)
    saved = PPO.load(tmp_path / "m" / "sb3.zip", device="cpu").policy.state_dict()
    for key, value in seen[best][2].items():
        torch.testing.assert_close(saved[key], value)


def test_ppo_progress_bar_total_follows_the_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_log_folders: None
) -> None:
    """Under --time-limit 8 the bar read 4014/100352 [00:06<02:28]: its total was the steps asked, not those
    that fit in the limit; now it shrinks to them and ends full at the steps taken."""
    import tqdm.auto

    bars: list[Any] = []

    class Bar:
        def __init__(self, total: int, **_: object) -> None:
            self.total, self.n, self.totals = total, 0, [total]
            bars.append(self)

        def update(self, n: int = 1) -> None:
            self.n += n
            self.totals.append(self.total)

        def set_postfix(self, **_: object) -> None:
            pass

        def close(self) -> None:
            pass

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    train(_tiny("hybrid", timesteps=1_000_000, eval_every=0, time_limit=1.5), tmp_path / "bar", progress=True)
    (bar,) = bars
    assert bar.n < 1_000_000 and bar.total == bar.n  # stopped by the limit, full at the end
    assert min(bar.totals[1:]) < 1_000_000 / 10  # the total followed the limit while it ran


@pytest.mark.parametrize(
    ("field", "value"),
    [("timesteps", 0), ("n_envs", 0), ("eval_every", -1), ("hidden", 0), ("learning_rate", -1.0),
     ("gamma", 1.5), ("gamma", 0.0), ("gae_lambda", float("nan")), ("ent_coef", -0.1), ("clip_range", 0.0),
     ("n_steps", 2.5), ("batch_size", 0), ("n_epochs", 0), ("log_std_init", float("inf")), ("eval_periods", 0),
     ("eval_interval", -3.0), ("eval_seeds", []), ("seed", -2)],
)
def test_train_config_refuses_bad_numbers_naming_the_field(field: str, value: object) -> None:
    """Before, hidden=0, gamma=1.5 or a negative learning rate reached stable-baselines3 (or torch) and failed
    there, if at all."""
    from hybridinv.core.errors import PlanningError

    with pytest.raises(PlanningError) as info:
        TrainConfig(**{field: value})  # type: ignore[arg-type]
    assert info.value.column == field


@pytest.mark.parametrize("algo", [{"algo": "ppo"}, {"algo": "hybrid", "learner": "ppo"}])
@pytest.mark.parametrize(("changes", "field"), [({"n_steps": 1}, "n_steps"), ({"batch_size": 1}, "batch_size")])
def test_ppo_settings_refuse_minibatches_of_one_step(algo: dict, changes: dict, field: str) -> None:
    """The finding: TrainConfig(algo="ppo", n_steps=1) (one environment) or batch_size=1 was accepted and train()
    ended in stable-baselines3's bare ``AssertionError: batch_size must be greater than 1``."""
    with pytest.raises(PlanningError, match="PPO needs") as info:
        TrainConfig(**algo, **changes)
    assert (info.value.column, info.value.value) == (field, 1)
    assert TrainConfig(**algo, n_steps=1, n_envs=2).n_steps == 1  # a rollout of 2 steps is enough
    assert TrainConfig(algo="sac", batch_size=1).batch_size == 1  # SAC has no PPO minibatches
    # a per-SKU credit has an environment per SKU: its rollout is n_steps x n_envs x SKUs, checked by train()
    assert TrainConfig(algo="hybrid", parameterization="forecast_ss", credit="sku", n_steps=1).n_steps == 1


def test_a_per_sku_rollout_of_one_step_is_refused_before_training(tmp_path: Path) -> None:
    config = TrainConfig(scenario="single_sku", algo="hybrid", parameterization="forecast_ss", credit="sku", n_steps=1,
                         timesteps=8, batch_size=4, eval_every=0, eval_seeds=(1,), eval_periods=5, hidden=8)
    with pytest.raises(PlanningError, match="at least 2 steps per rollout") as info:
        train(config, tmp_path / "m", progress=False)
    assert info.value.column == "n_steps" and not (tmp_path / "m").exists()


@pytest.mark.parametrize(("algo", "learner"), [("es", "ppo"), ("adaptive", "ppo"), ("ppo", "ppo"), ("hybrid", "sac")])
def test_a_warm_start_the_learner_cannot_use_is_refused(algo: str, learner: str) -> None:
    """Before, ``train --algo es --warm-start DIR`` trained from zero weights and said nothing."""
    from hybridinv.core.errors import PlanningError

    with pytest.raises(PlanningError, match="--warm-start") as info:
        TrainConfig(algo=algo, learner=learner, warm_start="models/hybrid_default")  # type: ignore[arg-type]
    assert info.value.column == "warm_start"
    assert TrainConfig(algo="hybrid", warm_start="models/hybrid_default").warm_start == "models/hybrid_default"


def test_a_warm_start_names_a_shipped_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, ``--warm-start hybrid_ppo_multi_50`` failed with "no metadata.json" outside the checkout's root."""
    import hybridinv.rl.sb3_training as sb3_training
    from hybridinv.rl import models_directory

    copied = []
    monkeypatch.setattr(sb3_training, "load_weights", lambda policy, network: copied.append(network))
    monkeypatch.chdir(tmp_path)  # no ./hybrid_ppo_multi_50 here
    config = _tiny("hybrid", timesteps=64, n_steps=32, eval_every=0, eval_seeds=(1,), hidden=64,
                   warm_start="hybrid_ppo_multi_50")
    train(config, tmp_path / "warm", progress=False)
    shipped = load_model(models_directory() / "hybrid_ppo_multi_50").network
    assert len(copied) == 1 and shipped is not None
    for key, value in shipped.weights.items():
        np.testing.assert_array_equal(copied[0].weights[key], value)


def test_unknown_algorithm_is_named() -> None:
    with pytest.raises(PlanningError, match="must be one of") as info:  # was the enum's bare ValueError
        TrainConfig(algo="ddpg")  # type: ignore[arg-type]
    assert info.value.column == "algo"


def test_runs_with_neighbouring_seeds_train_on_separate_streams(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """SB3 reseeds environment k with seed + k: runs seeded 3 and 4 (3 environments) shared two streams."""
    from hybridinv.envs.order_env import OrderEnv

    seen: list[int] = []
    original = OrderEnv.reset

    def recording(self, *, seed=None, options=None):  # type: ignore[no-untyped-def]
        if seed is not None:
            seen.append(int(seed))
        return original(self, seed=seed, options=options)

    monkeypatch.setattr(OrderEnv, "reset", recording)
    streams = []
    for seed in (3, 4):
        seen.clear()
        config = _tiny("ppo", seed=seed, n_envs=3, timesteps=96, n_steps=32, batch_size=32, eval_every=0)
        train(config, tmp_path / str(seed), progress=False)
        streams.append(set(seen))
    assert streams[0] == {3000, 3001, 3002} and streams[1] == {4000, 4001, 4002}
    with pytest.raises(PlanningError, match="at most"):
        _tiny("ppo", n_envs=1001)


def test_es_training_takes_the_config_time_limit_and_records_it(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """train(TrainConfig(algo="adaptive", time_limit=5)) ran under ESConfig's default (no limit): it was ignored."""
    import hybridinv.rl.adaptive as adaptive
    import hybridinv.rl.residual as residual
    from hybridinv.rl.es import ESConfig

    seen: list[ESConfig] = []

    def record(scenario, out, es_config, **_):  # type: ignore[no-untyped-def]
        seen.append(es_config)
        raise SystemExit

    monkeypatch.setattr(adaptive, "train_adaptive", record)
    monkeypatch.setattr(residual, "train_residual", record)
    for algo in ("adaptive", "es"):
        with pytest.raises(SystemExit):
            train(TrainConfig(algo=algo, time_limit=5.0, eval_periods=10), tmp_path / algo,  # type: ignore[arg-type]
                  progress=False)
    assert [config.time_limit for config in seen] == [5.0, 5.0]
    assert seen[0].to_dict()["time_limit"] == 5.0  # what the model's training metadata records
    from hybridinv.rl.training import train_es

    with pytest.raises(PlanningError, match="differs from the ES settings' time_limit=0") as info:
        train_es(TrainConfig(algo="adaptive", time_limit=5.0), tmp_path / "both", progress=False,  # type: ignore[arg-type]
                 es=ESConfig(population=2, generations=1))
    assert info.value.column == "time_limit"


@pytest.mark.parametrize(("field", "value"), [("timesteps", 100), ("curriculum", True), ("randomize", True),
                                              ("n_envs", 2), ("n_steps", 64), ("eval_interval", 5.0)])
@pytest.mark.parametrize("algo", ["es", "adaptive"])
def test_es_refuses_the_ppo_options_it_would_ignore(algo: str, field: str, value: object) -> None:
    """docs/rl.md: options an algorithm ignores are refused; in Python, timesteps=100 trained the ES default."""
    with pytest.raises(PlanningError, match="applies only with algo hybrid, ppo or sac") as info:
        TrainConfig(algo=algo, **{field: value})  # type: ignore[arg-type]
    assert info.value.column == field
    assert TrainConfig(algo="hybrid", **{field: value}).algo == "hybrid"  # type: ignore[arg-type]


def test_es_model_records_the_scenario_it_trained_on(tmp_path: Path) -> None:
    """training.scenario said "multi_50" (the config default) for a model trained on a passed scenario."""
    from hybridinv.rl.es import ESConfig
    from hybridinv.rl.training import train_es

    scenario = scenarios.get("multi_10").replace(name="my_catalog", periods=12)
    es = ESConfig(population=2, generations=1, seeds_per_generation=1, eval_every=1, eval_seeds=(3,))
    train_es(TrainConfig(algo="adaptive", eval_seeds=(3,), eval_periods=8), tmp_path / "m", scenario,  # type: ignore[arg-type]
             progress=False, es=es)
    assert load_model(tmp_path / "m").metadata["training"]["scenario"] == "my_catalog"


def test_ppo_model_records_the_scenario_it_trained_on(tmp_path: Path, no_log_folders: None) -> None:
    scenario = scenarios.get("multi_10").replace(name="my_catalog", periods=12)
    config = _tiny("hybrid", timesteps=32, n_steps=32, batch_size=32, n_epochs=1, eval_every=0, eval_seeds=(1,),
                   eval_periods=8, hidden=8)
    train(config, tmp_path / "m", scenario, progress=False)
    assert load_model(tmp_path / "m").metadata["training"]["scenario"] == "my_catalog"
