"""Gymnasium environments: API conformance, feature scaling, action maps, reward."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import hybridinv.envs as envs
from hybridinv import PlanningError, scenarios
from hybridinv.envs.actions import MAX_ORDER_PERIODS, bounded_outputs, orders_from_action, targets_from_action
from hybridinv.envs.features import GLOBAL_FEATURES, SKU_FEATURES, observe
from hybridinv.policies import BaseStock
from hybridinv.sim import Simulator


@pytest.mark.parametrize("env_cls", [envs.OrderEnv, envs.TargetEnv])
def test_check_env_single_sku(env_cls: type) -> None:
    env = env_cls(scenarios.single_sku(periods=30))
    check_env(env, skip_render_check=True)


@pytest.mark.parametrize("env_cls", [envs.OrderEnv, envs.TargetEnv])
def test_check_env_constrained_multi_sku(env_cls: type) -> None:
    env = env_cls(scenarios.get("multi_10"), periods=12)
    check_env(env, skip_render_check=True)


def test_registered_ids_build_envs() -> None:
    env = gym.make("hybridinv/Target-v0", scenario="multi_10", periods=5)
    obs, _ = env.reset(seed=3)
    n = 10
    assert obs.shape == (n * len(SKU_FEATURES) + len(GLOBAL_FEATURES),)
    assert env.action_space.shape == (2 * n,)
    env = gym.make("hybridinv/Order-v0", scenario="multi_10", periods=5)
    assert env.action_space.shape == (n,)


@pytest.mark.parametrize("code", [
    # the documented way: import hybridinv.envs registers the ids (import hybridinv alone does not, to stay light)
    "import gymnasium, hybridinv\n"
    "assert 'hybridinv/Target-v0' not in gymnasium.registry\n"
    "import hybridinv.envs\n"
    "env = gymnasium.make('hybridinv/Target-v0', scenario='multi_10', periods=2)\n",
    # or the module named in the id: gymnasium imports it
    "import gymnasium\n"
    "env = gymnasium.make('hybridinv.envs:hybridinv/Target-v0', scenario='multi_10', periods=2)\n",
])
def test_the_ids_are_registered_by_importing_hybridinv_envs(code: str) -> None:
    # the finding: the docs listed the ids without saying that import hybridinv does not register them
    probe = code + "obs, _ = env.reset(seed=0)\nprint(obs.shape)\n"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["(217,)"]


def test_same_seed_same_episode() -> None:
    def run(seed: int) -> list[float]:
        env = envs.OrderEnv(scenarios.get("multi_10"), periods=10)
        env.reset(seed=seed)
        env.action_space.seed(seed)
        return [env.step(env.action_space.sample())[1] for _ in range(10)]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_reward_is_minus_scaled_period_cost() -> None:
    env = envs.OrderEnv(scenarios.single_sku(periods=20), reward_scale=2.0)
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step(np.zeros(1, dtype=np.float32))
    assert reward == pytest.approx(-info["cost"] / 2.0)
    assert not terminated and not truncated


def test_episode_truncates_at_horizon() -> None:
    env = envs.TargetEnv(scenarios.single_sku(periods=7))
    env.reset(seed=0)
    flags = [env.step(np.zeros(2, dtype=np.float32))[3] for _ in range(7)]
    assert flags == [False] * 6 + [True]


def test_reward_spec_hook_is_used() -> None:
    class Constant:
        def period_reward(self, ledger: object, t: int) -> float:
            return 42.0 + t

    env = envs.OrderEnv(scenarios.single_sku(periods=5), reward_spec=Constant())
    env.reset(seed=0)
    rewards = [env.step(np.zeros(1, dtype=np.float32))[1] for _ in range(3)]
    assert rewards == [42.0, 43.0, 44.0]


def test_features_scale_free() -> None:
    """Multiplying demand, stock and MOQ of a SKU by 10 leaves its scaled features unchanged."""
    small = scenarios.single_sku(mean=4.0, periods=20)
    large = scenarios.single_sku(mean=40.0, periods=20)
    feats = []
    for sc, level in ((small, 12), (large, 120)):
        sim = Simulator(sc)
        obs = sim.reset(seed=0)
        obs = sim.step(np.array([level / 2]))
        sku, _ = observe(obs)
        feats.append(sku)
    idx = [SKU_FEATURES.index(name) for name in ("pipeline_2", "lead_time", "forecast_protection", "critical_ratio")]
    np.testing.assert_allclose(feats[0][0, idx], feats[1][0, idx], rtol=1e-6)


def test_orders_from_action_bounds() -> None:
    scale = np.array([2.0, 10.0])
    assert orders_from_action(np.array([-1.0, -1.0]), scale).tolist() == [0.0, 0.0]
    assert orders_from_action(np.array([1.0, 1.0]), scale).tolist() == [MAX_ORDER_PERIODS * 2, MAX_ORDER_PERIODS * 10]


def test_targets_from_action_base_stock_limit() -> None:
    """a = (0, -1) gives s = S = expected demand over the protection interval (L + 1 periods)."""
    sc = scenarios.single_sku(mean=5.0, lead_time=2, periods=10)
    obs = Simulator(sc).reset(seed=0)
    s, S = targets_from_action(np.array([[0.0, -1.0]]), obs, np.array([5.0]))
    assert s[0] == pytest.approx(15.0)
    assert S[0] == pytest.approx(15.0)


def test_target_env_matches_base_stock_policy() -> None:
    """The target env with a constant base-stock action reproduces BaseStock in the simulator."""
    sc = scenarios.single_sku(mean=5.0, lead_time=1, periods=60)
    env = envs.TargetEnv(sc, repair=None)
    _, info = env.reset(seed=11)
    costs = []
    for _ in range(60):
        costs.append(env.step(np.array([0.0, -1.0], dtype=np.float32))[4]["cost"])
    sim = Simulator(sc)
    obs = sim.reset(seed=info["path_seed"])
    policy = BaseStock(10.0, repair=None)
    while not sim.done:
        obs = sim.step(policy.act(obs))
    np.testing.assert_allclose(costs, sim.ledger.costs.sum(axis=1))


def test_target_env_orders_are_feasible_on_constrained_scenario() -> None:
    env = envs.TargetEnv(scenarios.get("multi_10"), periods=20)
    env.reset(seed=1)
    rng = np.random.default_rng(0)
    for _ in range(20):
        _, _, _, _, info = env.step(rng.uniform(-1, 1, 20).astype(np.float32))
        assert not info["violation"]


# --------------------------------------------------------------------------- a hybrid's parameterization as the action


def _forecast_ss_env(scenario_name: str = "multi_10", periods: int = 12) -> envs.TargetEnv:
    from hybridinv.rl.adaptive_features import OUTPUT_BOUNDS
    from hybridinv.rl.parameterizations import ForecastSSTargets

    return envs.TargetEnv(scenarios.get(scenario_name), periods=periods, parameterization=ForecastSSTargets(),
                          output_bounds=(OUTPUT_BOUNDS[0], OUTPUT_BOUNDS[1]))


def test_bounded_outputs_keep_zero_and_reach_each_bound() -> None:
    low, high = np.array([-0.3, -1.5, -1.0, -2.0]), np.array([0.3, 1.5, 1.0, 1.5])
    action = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, -1.0, -1.0], [0.5, -0.5, 2.0, -3.0]])
    out = bounded_outputs(action, low, high)
    np.testing.assert_array_equal(out[0], 0.0)
    np.testing.assert_allclose(out[1], high)
    np.testing.assert_allclose(out[2], low)
    np.testing.assert_allclose(out[3], [0.15, -0.75, 1.0, -2.0])  # halfway to each bound; beyond [-1, 1] clipped
    with pytest.raises(ValueError, match="low <= 0 <= high"):
        bounded_outputs(action, high, low)


def test_forecast_ss_env_maps_actions_to_the_parameterizations_targets() -> None:
    from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES, OUTPUT_BOUNDS
    from hybridinv.rl.parameterizations import ForecastSSTargets

    env = _forecast_ss_env()
    n = env.n_skus
    assert env.observation_space.shape == (n * len(ADAPTIVE_FEATURES),) and env.action_space.shape == (n * 4,)
    flat, _ = env.reset(seed=4)
    reference = ForecastSSTargets()
    rng = np.random.default_rng(2)
    for _ in range(5):
        obs = env.observation
        features = reference.features(obs)
        np.testing.assert_allclose(flat, features.sku.reshape(-1).astype(np.float32))
        action = rng.uniform(-1, 1, n * 4)
        a = action.reshape(n, 4)
        outputs = np.where(a >= 0, a * OUTPUT_BOUNDS[1], -a * OUTPUT_BOUNDS[0])  # by hand
        expected = reference.targets(obs, outputs, features)
        orders = reference.decide(None, obs, outputs, features).orders  # type: ignore[arg-type]  # the base repairs
        flat, _, _, _, info = env.step(action.astype(np.float32))
        assert env.last_targets is not None
        np.testing.assert_allclose(env.last_targets[0], expected[0], rtol=1e-6)
        np.testing.assert_allclose(env.last_targets[1], expected[1], rtol=1e-6)
        np.testing.assert_array_equal(info["orders"], orders)
        assert not info["violation"]


def test_forecast_ss_env_zero_action_is_the_base_policy() -> None:
    from hybridinv.policies.forecast_ss import ForecastSS

    env = _forecast_ss_env("multi_50", periods=30)
    _, info = env.reset(seed=9)
    base = ForecastSS(repair="fast")
    sim = Simulator(env.scenario, periods=30)
    obs = sim.reset(seed=info["path_seed"])
    ordered = 0.0
    while not sim.done:
        expected = base.act(obs)
        _, _, _, _, step = env.step(np.zeros(env.action_space.shape, dtype=np.float32))
        np.testing.assert_array_equal(step["orders"], expected)
        ordered += float(expected.sum())
        obs = sim.step(expected)
    assert ordered > 0
    np.testing.assert_allclose(env.simulator.ledger.costs, sim.ledger.costs)


def test_forecast_ss_env_checks_its_arguments() -> None:
    from hybridinv.rl.parameterizations import ForecastSSTargets

    check_env(_forecast_ss_env(periods=5), skip_render_check=True)
    with pytest.raises(ValueError, match="4 values"):
        envs.TargetEnv(scenarios.get("multi_10"), parameterization=ForecastSSTargets(), output_bounds=([-1], [1]))
    with pytest.raises(ValueError, match="backend name"):
        envs.TargetEnv(scenarios.get("multi_10"), parameterization=ForecastSSTargets(), repair=lambda d, o: d)


def test_a_parameterizations_observation_stays_inside_the_declared_space() -> None:
    """WeightedBaseStockTargets' features are stock in units (88 on multi_10), outside Box(-50, 50): gymnasium's
    check_env failed on disrupted and a learner got values its space says cannot happen."""
    from hybridinv.rl.parameterizations import WeightedBaseStockTargets

    env = envs.TargetEnv("multi_10", periods=10, parameterization=WeightedBaseStockTargets(2.0, 3.0, 3))
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    for _ in range(10):
        obs, *_ = env.step(np.zeros(env.action_space.shape, dtype=np.float32))
        assert env.observation_space.contains(obs)
    check_env(envs.TargetEnv("disrupted", periods=10, parameterization=WeightedBaseStockTargets(2.0, 3.0, 3)),
              skip_render_check=True)


def test_info_orders_are_the_whole_units_bought() -> None:
    """A callable repair's 42.4 was reported in info["orders"] while the simulator bought 42."""
    env = envs.TargetEnv("single_sku", periods=5, repair=lambda desired, obs: desired + 0.4)
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([1.0, 1.0], dtype=np.float32))
    assert info["orders"][0] == np.rint(info["orders"][0]) and info["orders"][0] > 0


def test_a_scenario_source_that_changes_the_sku_count_is_named_and_ends_the_episode() -> None:
    """It was a bare ValueError, and step() went on with the previous episode."""
    draw = {"name": "single_sku"}
    env = envs.OrderEnv(lambda rng: scenarios.get(draw["name"]), periods=5)
    env.reset(seed=0)
    draw["name"] = "multi_10"
    with pytest.raises(PlanningError, match="changed the SKU count") as info:
        env.reset(seed=1)
    assert info.value.column == "scenario"
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(env.action_space.shape, dtype=np.float32))


def test_an_episode_longer_than_a_replayed_record_is_refused_when_the_env_is_built() -> None:
    """periods=20 on a 12-month record was accepted and refused only at the first reset()."""
    from conftest import scenario_or_skip

    scenario = scenario_or_skip("carparts_backtest")
    recorded = scenario.demand.recorded_periods
    with pytest.raises(PlanningError, match="replays") as info:
        envs.OrderEnv(scenario, periods=recorded + 1)
    assert info.value.column == "periods"
    envs.OrderEnv(scenario, periods=recorded).reset(seed=0)
