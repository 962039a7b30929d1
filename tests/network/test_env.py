"""The network gymnasium environment: check_env, feasible decisions, actions that matter."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from hybridinv import PlanningError
from hybridinv.network.baselines import echelon_levels
from hybridinv.network.env import MAX_Z_RANGE, NETWORK_FEATURES, NetworkEnv
from hybridinv.network.scenarios import get, one_warehouse_scenario


@pytest.mark.parametrize("name", ["serial_3", "owmr_10x50"])
def test_check_env_passes(name: str) -> None:
    check_env(NetworkEnv(name, periods=12), skip_render_check=True)


def test_spaces_follow_the_network() -> None:
    env = NetworkEnv("owmr_10x50", periods=5)
    obs, _ = env.reset(seed=0)
    assert env.action_space.shape == (2,)  # warehouse level, store level
    assert obs.shape == (len(NETWORK_FEATURES) * 11 * 50 + 1,) and obs.dtype == np.float32
    assert NetworkEnv("serial_3").action_space.shape == (3,)


def test_episodes_repeat_per_seed_and_decisions_stay_within_the_budget() -> None:
    env = NetworkEnv("owmr_10x50", periods=20)
    totals = []
    for _ in range(2):
        env.reset(seed=11)
        total, excess = 0.0, 0.0
        done = False
        while not done:
            _, reward, terminated, truncated, info = env.step(np.array([1.0, 1.0], dtype=np.float32))
            total += reward
            excess += info["budget_excess"]
            done = terminated or truncated
        totals.append(total)
        assert excess == 0.0  # high levels want more than the budget, the cut keeps orders within it
    assert totals[0] == totals[1]


def test_store_safety_factor_moves_the_fill_rate() -> None:
    scenario = one_warehouse_scenario(n_stores=3, n_skus=5, periods=60, seed=3, capacity_factor=50.0,
                                      budget_factor=50.0)
    fill = {}
    for a in (-0.5, 0.8):
        env = NetworkEnv(scenario)
        env.reset(seed=2)
        rates = [env.step(np.array([0.5, a], dtype=np.float32))[4]["fill_rate"] for _ in range(60)]
        fill[a] = np.mean(rates[10:])
    assert fill[0.8] > fill[-0.5] + 0.1


def test_registered_id_and_lazy_gymnasium() -> None:
    env = gym.make("hybridinv/Network-v0", scenario=get("serial_3"), periods=4)
    obs, _ = env.reset(seed=1)
    assert obs.shape == env.observation_space.shape
    code = "import hybridinv.network, sys; print('gymnasium' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(("option", "value"), [
    ("z_range", -3.0),  # mirrored the actions: a = +1 gave the lowest levels
    ("z_range", 0.0),  # every action the same levels
    ("z_range", float("nan")),  # accepted, then a LocationError about supplier_orders at the first step
    ("z_range", float("inf")), ("z_range", 1e300),  # levels of 5e300 units
    ("z_range", "3"),  # text read as 3
    ("obs_clip", -1.0), ("obs_clip", float("nan")),  # gymnasium's bare ValueError about the Box
    ("obs_clip", 0.0),  # every observation all zeros
    ("obs_clip", 1e39),  # beyond float32: an infinite Box
])
def test_out_of_range_z_range_and_obs_clip_are_refused_naming_them(option: str, value: object) -> None:
    with pytest.raises(PlanningError) as info:
        NetworkEnv("serial_3", periods=4, **{option: value})
    assert info.value.column == option


def test_z_range_and_obs_clip_set_the_action_scale_and_the_observation_bound() -> None:
    """At the edges of their ranges: z = z_range * a on the levels, features clipped to +-obs_clip."""
    scenario = get("serial_3")
    tight = NetworkEnv(scenario, periods=4, z_range=MAX_Z_RANGE, obs_clip=1e-3)
    reference = NetworkEnv(scenario, periods=4)
    action = np.full(3, 0.5, dtype=np.float32)
    np.testing.assert_array_equal(tight.levels(action), echelon_levels(scenario, 0.5 * MAX_Z_RANGE))
    np.testing.assert_array_equal(reference.levels(action), echelon_levels(scenario, 1.5))
    obs, _ = tight.reset(seed=0)
    assert np.abs(obs).max() <= np.float32(1e-3) and tight.observation_space.contains(obs)


def test_reset_refuses_options_it_would_ignore() -> None:
    """{"path_seed": 3}, which the single-site environments read, was ignored: the episode ran on a drawn path."""
    env = NetworkEnv("serial_3")
    with pytest.raises(PlanningError) as info:
        env.reset(seed=0, options={"path_seed": 3})
    assert info.value.column == "options"
    first, _ = env.reset(seed=0, options={})
    again, _ = env.reset(seed=0)
    np.testing.assert_array_equal(first, again)  # no options (or none given) is a plain reset


@pytest.mark.parametrize("scenario", [None, 3, "single_sku_object"])
def test_a_scenario_that_is_not_a_network_scenario_is_refused(scenario: object) -> None:
    """A single-site scenario or None was an AttributeError ('Scenario' object has no attribute 'network')."""
    if scenario == "single_sku_object":
        from hybridinv import scenarios

        scenario = scenarios.get("single_sku")
    with pytest.raises(PlanningError, match="NetworkScenario") as info:
        NetworkEnv(scenario)  # type: ignore[arg-type]
    assert info.value.column == "scenario"
    assert info.value.value == type(scenario).__name__
    with pytest.raises(PlanningError, match="unknown network scenario"):
        NetworkEnv("serial3")


def test_decisions_keep_the_budget_but_warehouse_receipts_can_be_rejected_and_are_counted() -> None:
    """What docs/multi_echelon.md promises, no more: the budget and the parents' on-hand always hold, but the
    warehouse's space is checked against a projection with the stores' mean outflow, so units it bought can be
    rejected at receipt (counted in the ledger, not as violations). The docs said every decision was feasible."""
    from hybridinv.network.scenarios import one_warehouse_scenario

    scenario = one_warehouse_scenario(n_stores=3, n_skus=4, periods=40, warmup=0, capacity_factor=0.5)
    env = NetworkEnv(scenario)
    env.reset(seed=0)
    truncated = False
    while not truncated:
        truncated = env.step(np.full(env.n_levels, -1.0, np.float32))[3]
    ledger = env._sim.ledger
    assert (ledger.spend <= scenario.network.budget + 1e-9).all()
    summary = ledger.summary()
    assert summary["violations"] == 0
    rejected = ledger.units["overflow"]
    assert rejected[:, scenario.network.roots].sum() > 0          # the warehouse rejected units it bought
    assert rejected[:, scenario.network.stores].sum() == 0
    assert summary["overflow_units"] == rejected.sum() == 233
    units = ledger.units                                           # and every rejected unit is accounted for
    assert units["ordered"].sum() == (units["on_hand"][-1].sum() + units["in_transit"][-1].sum()
                                      + units["served"].sum() + rejected.sum())
