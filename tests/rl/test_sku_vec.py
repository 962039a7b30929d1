"""Every SKU as its own environment (hybridinv/envs/sku_vec.py) and PPO trained on it."""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import torch  # noqa: E402
from stable_baselines3 import PPO, SAC  # noqa: E402

from hybridinv import scenarios  # noqa: E402
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError  # noqa: E402
from hybridinv.envs import TargetEnv  # noqa: E402
from hybridinv.envs.sku_vec import SkuVecEnv  # noqa: E402
from hybridinv.rl import Hybrid  # noqa: E402
from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES  # noqa: E402
from hybridinv.rl.maps import NetworkMap  # noqa: E402
from hybridinv.rl.numpy_policy import SharedPolicyNetwork  # noqa: E402
from hybridinv.rl.objective import ConstrainedReward, TrainingObjective  # noqa: E402
from hybridinv.rl.sb3_hybrid import fold_own_context, hybrid_env  # noqa: E402
from hybridinv.rl.training import TrainConfig, train  # noqa: E402
from hybridinv.sim.scenario import Scenario  # noqa: E402


def _env(scenario: str | Scenario = "multi_10", kind: str = "forecast_ss", periods: int | None = None) -> TargetEnv:
    env = hybrid_env(scenarios.get(scenario) if isinstance(scenario, str) else scenario, kind)
    if periods is not None:
        env.periods = periods
    return env


@pytest.mark.parametrize("basis", ["purchase", "valued"])
def test_sku_rewards_are_each_skus_cost_on_the_catalogs_path(basis: str) -> None:
    """Same seed, same actions: the SKU environments see the catalog's feature rows and place the same
    orders; each SKU's reward is its own ledger cost, and on the purchase basis they add up to the
    catalog environment's reward (conservation of cost)."""
    catalog, per_sku = _env(), SkuVecEnv([_env()], basis=basis)
    flat, _ = catalog.reset(seed=7)
    per_sku.seed(7)
    rows = per_sku.reset()
    n, width = catalog.n_skus, catalog.n_sku_features
    assert per_sku.num_envs == n and rows.shape == (n, width)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        for t in range(12):
            np.testing.assert_array_equal(rows, flat.reshape(n, width))
            action = rng.uniform(-1, 1, size=(n, catalog.n_actions)).astype(np.float32)
            flat, reward, _, _, info = catalog.step(action.reshape(-1))
            rows, rewards, dones, infos = per_sku.step(action)
            assert rewards.shape == (n,) and not dones.any()
            ledger = per_sku.envs[0].simulator.ledger
            np.testing.assert_array_equal(ledger.costs, catalog.simulator.ledger.costs)
            costs = ledger.sku_costs if basis == "purchase" else ledger.sku_valued_costs
            assert costs is not None
            np.testing.assert_allclose(rewards, -costs[t] / catalog.reward_scale, rtol=1e-6)
            assert [i["cost"] for i in infos] == costs[t].tolist()
            if basis == "purchase":
                assert float(rewards.astype(np.float64).sum()) == pytest.approx(reward, rel=1e-5)
                assert sum(i["cost"] for i in infos) == pytest.approx(info["cost"], rel=1e-12)
    # the SKUs' costs differ: the credit is each SKU's own
    assert np.ptp(rewards) > 0


def test_priced_credit_adds_each_skus_use_of_the_shared_rows_at_the_repairs_prices() -> None:
    """multi_50's warehouse and budget bind in some periods: there the SKUs' charges add up to the priced row usage
    of the period's repair, and the reward is the cost plus the charge; same seed, same costs as unpriced."""
    plain, priced = SkuVecEnv([_env("multi_50")]), SkuVecEnv([_env("multi_50")], shared="priced")
    for vec in (plain, priced):
        vec.seed(3)
        vec.reset()
    rng = np.random.default_rng(1)
    charged = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        for _ in range(10):
            action = rng.uniform(-1, 1, size=(50, plain.n_actions)).astype(np.float32)
            _, plain_rewards, _, plain_infos = plain.step(action)
            _, rewards, _, infos = priced.step(action)
            cost = np.array([i["cost"] for i in infos])
            charge = np.array([i["shared_charge"] for i in infos])
            assert cost.tolist() == [i["cost"] for i in plain_infos]  # the same simulation
            assert not any(i["shared_charge"] for i in plain_infos)
            env = priced.envs[0]
            np.testing.assert_allclose(rewards, -(cost + charge) / env.reward_scale, rtol=1e-5)
            np.testing.assert_allclose(plain_rewards, -cost / env.reward_scale, rtol=1e-5)
            assert env.last_repair is not None
            diag = env.last_repair.diagnostics
            capacity = [name for name in diag.row_usage if name.startswith("capacity")]
            total = (sum(p * diag.row_usage[name] for name, p in zip(capacity, diag.capacity_price, strict=True))
                     + diag.budget_price * diag.row_usage.get("budget", 0.0))
            assert float(charge.sum()) == pytest.approx(total, rel=1e-9, abs=1e-9)
            charged += bool(charge.sum() > 0)
    assert charged > 0
    with pytest.raises(PlanningError, match="shared"):
        SkuVecEnv([_env()], shared="marginal")


def test_episode_end_resets_every_sku_and_keeps_the_terminal_observation() -> None:
    per_sku = SkuVecEnv([_env(periods=3), _env("multi_50", periods=3)])
    assert per_sku.num_envs == 60 and per_sku.offsets.tolist() == [0, 10, 60]
    per_sku.seed(1)
    per_sku.reset()
    zero = np.zeros((60, per_sku.n_actions), dtype=np.float32)
    for _ in range(2):
        _, _, dones, infos = per_sku.step(zero)
        assert not dones.any() and "terminal_observation" not in infos[0]
    last = np.concatenate([env._observe().reshape(env.n_skus, -1) for env in per_sku.envs])
    rows, _, dones, infos = per_sku.step(zero)
    assert dones.all()
    assert all(info["TimeLimit.truncated"] for info in infos)
    assert [env.simulator.t for env in per_sku.envs] == [0, 0]  # both reset
    terminal = np.stack([info["terminal_observation"] for info in infos])
    assert not np.array_equal(terminal, rows)  # the reset's first observation is returned, the last one kept
    assert terminal.shape == last.shape
    # attribute access by SKU index maps to the SKU's catalog environment
    assert per_sku.get_attr("n_skus", [0, 9, 10, 59]) == [10, 10, 50, 50]


def test_sku_environment_rejects_what_it_cannot_credit_per_sku() -> None:
    with pytest.raises(PlanningError, match="parameterization"):
        SkuVecEnv([TargetEnv(scenarios.get("multi_10"))])
    with pytest.raises(PlanningError, match="at least one"):
        SkuVecEnv([])
    spec = TargetEnv(scenarios.get("multi_10"), parameterization=_env().parameterization,
                     reward_spec=ConstrainedReward(TrainingObjective(targets=("fill_rate>=0.9",)), 1.0))
    with pytest.raises(PlanningError, match="reward_spec"):
        SkuVecEnv([spec])
    with pytest.raises(PlanningError, match="widths"):
        SkuVecEnv([_env(), _env(kind="forecast_capped")])
    with pytest.raises(PlanningError, match="basis"):
        SkuVecEnv([_env()], basis="delivered")
    started = _env()
    started.reset(seed=1)  # an episode begun before the wrapper asked for per-SKU costs
    wrapped = SkuVecEnv([started])
    with pytest.raises(RuntimeError, match="reset"):
        wrapped.step(np.zeros((started.n_skus, wrapped.n_actions), dtype=np.float32))
    wrapped.reset()
    assert wrapped.step(np.zeros((started.n_skus, wrapped.n_actions), dtype=np.float32))[1].shape == (10,)


def test_folded_network_acts_on_a_catalog_as_the_one_sku_network_on_each_sku() -> None:
    """The fold is exact: every SKU's action on the whole catalog equals the unfolded network's on that SKU alone."""
    net = SharedPolicyNetwork.random(len(ADAPTIVE_FEATURES), 2, n_actions=4, hidden=8, seed=5)
    folded = fold_own_context(net)
    rng = np.random.default_rng(3)
    sku, glob = rng.normal(size=(30, len(ADAPTIVE_FEATURES))), rng.normal(size=2)
    alone = np.concatenate([net.mean_action(sku[i : i + 1], glob) for i in range(30)])
    np.testing.assert_allclose(folded.mean_action(sku, glob), alone, rtol=1e-12, atol=1e-12)
    # unfolded, the pooled context makes the catalog's actions differ from the SKU-alone ones
    assert not np.allclose(net.mean_action(sku, glob), alone)
    assert np.array_equal(folded.weights["log_std"], net.weights["log_std"])


@pytest.mark.parametrize("learner", ["ppo", "sac"])
def test_per_sku_credit_writes_a_hybrid_that_acts_as_its_sb3_policy(
    learner: str, tmp_path: Path, no_log_folders: None
) -> None:
    torch.set_num_threads(1)
    config = TrainConfig(scenario="multi_10", algo="hybrid", parameterization="forecast_ss",  # type: ignore[arg-type]
                         learner=learner, credit="sku", timesteps=640, n_steps=32, batch_size=160, n_epochs=2,
                         eval_every=320, eval_seeds=(1, 2), eval_periods=15, hidden=16, learning_rate=3e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        result = train(config, tmp_path / "sku", progress=False)
    assert result.evaluations[-1]["timesteps"] == 640  # SKU-periods: 64 periods of 10 SKUs
    meta = json.loads((tmp_path / "sku" / "metadata.json").read_text())
    assert meta["training"]["credit"] == "sku" and meta["parameter_map"] == "network"
    agent = Hybrid.load(tmp_path / "sku")
    assert isinstance(agent.parameter_map, NetworkMap) and agent.learner == learner
    model = (SAC if learner == "sac" else PPO).load(tmp_path / "sku" / "sb3.zip", device="cpu")  # our own file
    env = _env()
    env.reset(seed=4)
    inputs = agent.inputs(env.observation)
    per_sku_actions, _ = model.predict(np.asarray(inputs.sku, dtype=np.float32), deterministic=True)
    np.testing.assert_allclose(agent.parameter_map.action(inputs.sku, inputs.glob), per_sku_actions, atol=1e-5)
    assert np.abs(per_sku_actions).max() > 0  # trained: the corrections are not all zero


def _trained_weights(out: Path, **options: object) -> dict[str, np.ndarray]:
    """The network weights of a per-SKU hybrid trained with ``options`` (tiny budget, no evaluations)."""
    torch.set_num_threads(1)
    config = TrainConfig(algo="hybrid", eval_every=0, eval_seeds=(1,), hidden=8, **options)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        train(config, out, progress=False)
    agent = Hybrid.load(out)
    assert isinstance(agent.parameter_map, NetworkMap)
    return agent.parameter_map.network.weights


def test_per_sku_training_is_reproducible_from_its_seed(tmp_path: Path, no_log_folders: None) -> None:
    options = {"scenario": "multi_10", "parameterization": "forecast_capped", "credit": "sku", "timesteps": 400,
               "n_steps": 20, "batch_size": 100, "n_epochs": 2, "eval_periods": 10, "seed": 3}
    weights = [_trained_weights(tmp_path / run, **options) for run in ("a", "b")]
    assert weights[0].keys() == weights[1].keys()
    for key in weights[0]:
        np.testing.assert_array_equal(weights[0][key], weights[1][key])
    assert np.abs(weights[0]["actor2.weight"]).max() > 0


def test_priced_credit_trains_on_the_priced_rewards(tmp_path: Path, no_log_folders: None) -> None:
    """Same seed, same rollout: on multi_50, whose rows bind in the first periods, the priced rewards move the
    weights elsewhere than the SKU's own cost alone (the trainer passes the credit on to the environment)."""
    options = {"scenario": "multi_50", "parameterization": "forecast_ss", "timesteps": 500, "n_steps": 10,
               "batch_size": 250, "n_epochs": 1, "eval_periods": 5, "seed": 2}
    weights = {credit: _trained_weights(tmp_path / credit, credit=credit, **options) for credit in ("sku", "priced")}
    assert not np.array_equal(weights["sku"]["actor2.weight"], weights["priced"]["actor2.weight"])


def test_config_takes_per_sku_credit_only_where_it_applies(tmp_path: Path) -> None:
    with pytest.raises(PlanningError, match="credit"):
        TrainConfig(algo="hybrid", parameterization="forecast_ss", credit="skus")  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="credit"):
        TrainConfig(algo="hybrid", parameterization="safety_stock", credit="sku")  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="credit"):
        TrainConfig(algo="adaptive", credit="sku")  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="credit"):
        TrainConfig(algo="hybrid", parameterization="safety_stock", credit="priced")  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="credit_window"):
        TrainConfig(algo="hybrid", parameterization="forecast_ss", credit="sku", credit_window=4)  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="credit_window"):
        TrainConfig(algo="hybrid", parameterization="forecast_ss", credit="difference", credit_window=0)  # type: ignore[arg-type]
    for credit in ("sku", "priced", "difference"):
        config = TrainConfig(scenario="multi_10", algo="hybrid", parameterization="forecast_ss",  # type: ignore[arg-type]
                             credit=credit, timesteps=20)
        objective = TrainingObjective(targets=("fill_rate>=0.9",))
        with pytest.raises(PlanningError, match="per-SKU credit"):
            train(config, tmp_path / "refused", progress=False, objective=objective)


@pytest.mark.parametrize("credit", ["sku", "priced", "difference"])
def test_cli_trains_with_per_sku_credit_and_refuses_it_where_it_does_not_apply(
    credit: str, tmp_path: Path, no_log_folders: None
) -> None:
    from click.testing import CliRunner

    from hybridinv.cli import main

    out = tmp_path / "cli_sku"
    args = ["train", "--scenario", "multi_10", "--algo", "hybrid", "--parameterization", "forecast_ss",
            "--credit", credit, "--timesteps", "200", "--n-steps", "10", "--eval-every", "0", "--eval-seeds", "1",
            "--hidden", "8", "--out", str(out), "--quiet"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["training"]["credit"] == credit and meta["training"]["n_skus"] == 10
    agent = Hybrid.load(out)
    assert isinstance(agent.parameter_map, NetworkMap)  # the written model loads as a network hybrid
    for bad_args in (["--algo", "adaptive", "--credit", credit],
                     ["--algo", "hybrid", "--parameterization", "safety_stock", "--credit", credit]):
        bad = CliRunner().invoke(main, ["train", *bad_args, "--out", str(tmp_path / "x"), "--quiet"])
        assert bad.exit_code != 0 and "credit" in bad.output, bad.output


def test_env_method_runs_once_per_environment() -> None:
    """env_method("reset") on one 10-SKU env called its reset 10 times (set_attr already ran once per env)."""
    env = _env()
    calls = []
    env.count_me = lambda: calls.append(1) or len(calls)  # type: ignore[attr-defined]
    vec = SkuVecEnv([env])
    assert vec.env_method("count_me") == [1] * vec.num_envs and len(calls) == 1


# ---------------------------------------------------------------------------- difference reward (shared="difference")
def _steps(vec: SkuVecEnv, actions: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rewards, costs and charges (periods, SKUs) of ``vec`` (seeded 3) stepped with ``actions``."""
    vec.seed(3)
    vec.reset()
    rewards, costs, charges = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        for action in actions:
            _, reward, _, infos = vec.step(action)
            rewards.append(reward)
            costs.append([i["cost"] for i in infos])
            charges.append([i["shared_charge"] for i in infos])
    return np.array(rewards), np.array(costs), np.array(charges)


def _random_actions(n: int, k: int, periods: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, size=(n, k)).astype(np.float32) for _ in range(periods)]


def test_difference_credit_is_zero_where_no_sku_touches_another() -> None:
    """Without the warehouse and budget no SKU's order changes another's cost: the difference charge is exactly
    0 in every period (across an episode's end too), and the rewards are the SKU's own cost, as shared='none'."""
    scenario = scenarios.get("multi_10")
    free = scenario.replace(constraints=replace(scenario.constraints, capacity=math.inf, budget=math.inf))
    actions = _random_actions(10, 4, 9)
    plain = _steps(SkuVecEnv([_env(free, periods=6)]), actions)
    difference = _steps(SkuVecEnv([_env(free, periods=6)], shared="difference", window=4), actions)
    assert not difference[2].any()
    np.testing.assert_array_equal(difference[0], plain[0])
    np.testing.assert_array_equal(difference[1], plain[1])


def _others_cost_by_resimulation(actions: list[np.ndarray], sku: int, window: int) -> np.ndarray:
    """The other SKUs' cost in each period when SKU ``sku`` takes the zero action (the base) from the start of
    that period's window on, re-simulated from the seed (no copies): ``(periods,)``."""
    others = np.empty(len(actions))
    for start in range(0, len(actions), window):
        env = _env()
        vec = SkuVecEnv([env])  # the seeding of _steps: the same demand path
        vec.seed(3)
        vec.reset()
        for t, action in enumerate(actions[: start + window]):
            if t >= start:
                action = action.copy()
                action[sku] = 0.0
            vec.step(action)
            if t >= start:
                costs = env.simulator.ledger.sku_valued_costs
                assert costs is not None
                others[t] = float(np.delete(costs[t], sku).sum())
    return others


def test_difference_credit_is_each_skus_effect_on_the_others_by_resimulation() -> None:
    """multi_10's warehouse and budget bind: the charge of SKU i in period t is the other SKUs' real cost minus
    their cost when SKU i took the base's action since the window began, re-simulated from the seed; the
    real path (each SKU's own cost) is the one of shared='none', and the same seed gives the same rewards."""
    actions = _random_actions(10, 4, 7, seed=2)
    plain = _steps(SkuVecEnv([_env()]), actions)
    rewards, costs, charges = _steps(SkuVecEnv([_env()], shared="difference", window=3), actions)
    np.testing.assert_array_equal(costs, plain[1])  # the copies leave the real path alone
    scale = _env().reward_scale
    np.testing.assert_allclose(rewards, -(costs + charges) / scale, rtol=1e-5)
    assert np.count_nonzero(charges[:, [0, 4, 9]]) > 5  # the rows bind: SKUs change each other's costs
    real_others = costs.sum(axis=1, keepdims=True) - costs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        for sku in (0, 4, 9):
            expected = real_others[:, sku] - _others_cost_by_resimulation(actions, sku, window=3)
            np.testing.assert_allclose(charges[:, sku], expected, rtol=1e-9, atol=1e-6)
    again = _steps(SkuVecEnv([_env()], shared="difference", window=3), actions)
    np.testing.assert_array_equal(again[0], rewards)
    np.testing.assert_array_equal(again[2], charges)


def test_difference_window_is_refused_where_it_does_not_apply() -> None:
    with pytest.raises(PlanningError, match="window"):
        SkuVecEnv([_env()], window=4)
    with pytest.raises(PlanningError, match="window"):
        SkuVecEnv([_env()], shared="difference", window=0)
    with pytest.raises(PlanningError, match="shared"):
        SkuVecEnv([_env()], shared="differences")
    assert SkuVecEnv([_env()], shared="difference").window == 8
