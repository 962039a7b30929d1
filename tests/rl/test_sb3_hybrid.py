"""PPO and SAC training the shipped default's parameterization (hybridinv/rl/sb3_hybrid.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import torch  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from stable_baselines3 import PPO, SAC  # noqa: E402

from hybridinv import scenarios  # noqa: E402
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError  # noqa: E402
from hybridinv.policies.forecast_ss import ForecastSS  # noqa: E402
from hybridinv.policies.rq import ForecastCappedBaseStock  # noqa: E402
from hybridinv.rl import Hybrid, ModelFileError  # noqa: E402
from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES, ADAPTIVE_OUTPUTS, OUTPUT_BOUNDS  # noqa: E402
from hybridinv.rl.maps import NetworkMap  # noqa: E402
from hybridinv.rl.numpy_policy import SharedPolicyNetwork  # noqa: E402
from hybridinv.rl.parameterizations import CAPPED_OUTPUT_BOUNDS, CAPPED_OUTPUTS  # noqa: E402
from hybridinv.rl.sb3_hybrid import hybrid_env, hybrid_of, network_map, parameterization  # noqa: E402
from hybridinv.rl.training import TrainConfig, TrainResult, train  # noqa: E402
from hybridinv.sim.runner import simulate  # noqa: E402


def _train(learner: str, out: Path, **changes: object) -> TrainResult:
    torch.set_num_threads(1)
    values: dict[str, object] = {
        "scenario": "multi_10", "algo": "hybrid", "parameterization": "forecast_ss", "learner": learner,
        "timesteps": 256, "n_steps": 128, "batch_size": 64, "n_epochs": 2, "eval_every": 128,
        "eval_seeds": (1, 2), "eval_periods": 20, "hidden": 16,
    }  # fmt: skip
    values.update(changes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        return train(TrainConfig(**values), out, progress=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("learner", ["ppo", "sac"])
def test_trained_model_round_trips_and_plans_like_the_sb3_policy(
    learner: str, tmp_path: Path, no_log_folders: None
) -> None:
    """The model file says what it is, loads verified, and plans as the SB3 policy acts in its env."""
    out = tmp_path / learner
    result = _train(learner, out, curriculum=True, randomize=True)
    meta = json.loads((out / "metadata.json").read_text())
    assert (meta["parameterization"], meta["parameter_map"], meta["learner"]) == ("forecast_ss", "network", learner)
    assert meta["network_output"] == {"squash": "tanh" if learner == "sac" else "clip",
                                      "low": OUTPUT_BOUNDS[0].tolist(), "high": OUTPUT_BOUNDS[1].tolist()}
    assert meta["action_spec"]["features"] == list(ADAPTIVE_FEATURES)
    assert meta["action_spec"]["per_sku"] == list(ADAPTIVE_OUTPUTS)
    assert meta["base"] == ForecastSS().options()
    assert meta["training"]["curriculum"] and meta["training"]["randomize"]
    assert set(meta["files"]) == {"policy.npz", "sb3.zip"}
    assert result.best["avg_cost"] == min(e["avg_cost"] for e in result.evaluations)

    agent = Hybrid.load(out)
    assert agent.composition == {"parameterization": "forecast_ss", "parameter_map": "network", "learner": learner}
    # the checkpoint of the same (best) evaluation: its numpy twin plans exactly as the loaded file
    model = (SAC if learner == "sac" else PPO).load(out / "sb3.zip", device="cpu")  # our own file
    twin = hybrid_of(model, "forecast_ss", learner)
    scenario = scenarios.get("multi_10")
    loaded_costs = simulate(agent, scenario, seeds=[0, 1], periods=15)["avg_cost"].to_numpy()
    np.testing.assert_array_equal(loaded_costs, simulate(twin, scenario, seeds=[0, 1], periods=15)["avg_cost"])
    # and acts as the SB3 policy in the training environment (float32 actions: to 1e-5)
    env = hybrid_env(scenario, "forecast_ss")
    flat, _ = env.reset(seed=5)
    assert isinstance(agent.parameter_map, NetworkMap)
    moved = 0.0
    for _ in range(8):
        obs = env.observation
        sb3_action, _ = model.predict(flat, deterministic=True)
        inputs = agent.inputs(obs)
        action = agent.parameter_map.action(inputs.sku, inputs.glob)
        np.testing.assert_allclose(action.reshape(-1), sb3_action, atol=1e-5)
        np.testing.assert_allclose(agent.parameter_map(inputs.sku, inputs.glob), env.outputs(sb3_action), atol=1e-5)
        expected = agent.act(obs)
        flat, _, _, _, info = env.step(action.reshape(-1))
        np.testing.assert_array_equal(info["orders"], expected)
        moved += float(np.abs(env.outputs(action)).sum())
    assert moved > 0  # the network's corrections are not all zero

    data = bytearray((out / "policy.npz").read_bytes())
    data[-20] ^= 0xFF
    (out / "policy.npz").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256|hash"):
        Hybrid.load(out)


@pytest.mark.parametrize(("kind", "outputs", "base_policy"), [("forecast_ss", 4, ForecastSS),
                                                               ("forecast_capped", 2, ForecastCappedBaseStock)])
def test_zero_network_is_exactly_the_base_policy(kind: str, outputs: int, base_policy: type) -> None:
    """A network whose output layer is zero plans its parameterization's base, with bounds and either squash."""
    net = SharedPolicyNetwork.random(len(ADAPTIVE_FEATURES), 0, n_actions=outputs, hidden=8, seed=3)
    weights = dict(net.weights)
    weights["actor2.weight"] = np.zeros_like(weights["actor2.weight"])
    weights["actor2.bias"] = np.zeros_like(weights["actor2.bias"])
    zero = SharedPolicyNetwork(weights)
    scenario = scenarios.get("multi_50")
    base = simulate(base_policy(repair="fast"), scenario, seeds=[3], periods=15)
    for learner in ("ppo", "sac"):
        agent = Hybrid(parameterization(kind), network_map(zero, kind, learner), learner)
        frame = simulate(agent, scenario, seeds=[3], periods=15)
        assert frame["avg_cost"].iloc[0] == base["avg_cost"].iloc[0]


def test_ppo_trains_the_forecast_capped_network(tmp_path: Path, no_log_folders: None) -> None:
    """The capped parameterization's model file records its outputs and bounds and loads as the trained twin."""
    out = tmp_path / "capped"
    _train("ppo", out, parameterization="forecast_capped")
    meta = json.loads((out / "metadata.json").read_text())
    assert (meta["parameterization"], meta["parameter_map"]) == ("forecast_capped", "network")
    assert meta["action_spec"]["per_sku"] == list(CAPPED_OUTPUTS)
    assert meta["network_output"]["low"] == CAPPED_OUTPUT_BOUNDS[0].tolist()
    assert meta["base"] == ForecastCappedBaseStock().options()
    agent = Hybrid.load(out)
    model = PPO.load(out / "sb3.zip", device="cpu")  # our own file
    twin = hybrid_of(model, "forecast_capped", "ppo")
    scenario = scenarios.get("multi_10")
    np.testing.assert_array_equal(simulate(agent, scenario, seeds=[0], periods=15)["avg_cost"],
                                  simulate(twin, scenario, seeds=[0], periods=15)["avg_cost"])


def test_time_limit_stops_learning(tmp_path: Path) -> None:
    result = _train("ppo", tmp_path / "limited", timesteps=1_000_000, eval_every=0, time_limit=1.0)
    assert result.evaluations[-1]["timesteps"] < 5_000
    assert Hybrid.load(tmp_path / "limited").learner == "ppo"


def test_config_rejects_compositions_sb3_does_not_train() -> None:
    with pytest.raises(PlanningError, match="parameterization"):
        TrainConfig(algo="hybrid", parameterization="capped_base_stock")  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="learner"):
        TrainConfig(algo="hybrid", learner="es")  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="--algo hybrid"):
        TrainConfig(algo="sac", parameterization="forecast_ss")  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="time_limit"):
        TrainConfig(algo="hybrid", time_limit=0.0)  # type: ignore[arg-type]


def test_cli_trains_the_forecast_ss_network_with_sac(tmp_path: Path, no_log_folders: None) -> None:
    from hybridinv.cli import main

    out = tmp_path / "cli_sac"
    args = ["train", "--scenario", "multi_10", "--algo", "hybrid", "--parameterization", "forecast_ss",
            "--learner", "sac", "--timesteps", "64", "--eval-every", "0", "--eval-seeds", "1", "--hidden", "8",
            "--out", str(out), "--quiet"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert Hybrid.load(out).composition["learner"] == "sac"
    bad = CliRunner().invoke(main, ["train", "--algo", "sac", "--parameterization", "forecast_ss",
                                    "--out", str(tmp_path / "x"), "--quiet"])
    assert bad.exit_code != 0 and "--algo hybrid" in bad.output


def test_planning_with_a_trained_network_does_not_import_torch(tmp_path: Path) -> None:
    out = tmp_path / "m"
    _train("ppo", out, timesteps=64, n_steps=64, eval_every=0)
    code = (
        "import sys, warnings\n"
        "from hybridinv import scenarios, simulate\n"
        "from hybridinv.rl import Hybrid\n"
        f"agent = Hybrid.load({str(out)!r})\n"
        "simulate(agent, scenarios.get('multi_10'), seeds=[0], periods=3)\n"
        "assert 'torch' not in sys.modules and 'stable_baselines3' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_forecast_ss_network_files_are_checked_on_load(tmp_path: Path) -> None:
    """Feature names, network widths and network_output of a forecast_ss network model are checked."""
    from hybridinv.rl.integrity import write_file_hashes
    from hybridinv.rl.model_file import save_model
    from hybridinv.rl.sb3_hybrid import hybrid_metadata

    net = SharedPolicyNetwork.random(len(ADAPTIVE_FEATURES), 0, n_actions=4, hidden=8, seed=4)
    agent = Hybrid(parameterization("forecast_ss"), network_map(net, "forecast_ss", "sac"), "sac")
    directory = save_model(tmp_path / "ok", net, hybrid_metadata(agent))
    loaded = Hybrid.load(directory)
    scenario = scenarios.get("multi_10")
    np.testing.assert_array_equal(simulate(loaded, scenario, seeds=[2], periods=10)["avg_cost"],
                                  simulate(agent, scenario, seeds=[2], periods=10)["avg_cost"])

    def tampered(change: object, name: str) -> Path:
        meta = json.loads((directory / "metadata.json").read_text())
        change(meta)  # type: ignore[operator]
        target = tmp_path / name
        save_model(target, net, {k: v for k, v in meta.items() if k != "files"})
        (target / "metadata.json").write_text(json.dumps(meta | {"name": name}))
        write_file_hashes(target)
        return target

    with pytest.raises(ModelFileError, match="features"):
        Hybrid.load(tampered(lambda m: m["action_spec"].update(features=["bias"]), "features"))
    with pytest.raises(ModelFileError, match="network_output"):
        Hybrid.load(tampered(lambda m: m["network_output"].update(squash="sigmoid"), "squash"))
    wide = SharedPolicyNetwork.random(21, 7, n_actions=2, hidden=8, seed=4)  # a safety-stock network
    directory = save_model(tmp_path / "wide", wide, hybrid_metadata(agent))
    with pytest.raises(ModelFileError, match="forecast_ss parameterization has"):
        Hybrid.load(directory)
