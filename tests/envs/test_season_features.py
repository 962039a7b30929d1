"""The season features turn once a year of the scenario's periods; version-1 models keep their 52-period turn."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hybridinv
from hybridinv import scenarios
from hybridinv.envs.features import GLOBAL_FEATURES, OBSERVATION_VERSION, SKU_FEATURES, observe, season_cycle
from hybridinv.rl import Hybrid
from hybridinv.rl.model_file import METADATA_FILE, ModelFileError, load_model, observation_cycle, save_model
from hybridinv.rl.numpy_policy import SharedPolicyNetwork
from hybridinv.rl.paths import resolve_model_path
from hybridinv.sim import Simulator

SIN, COS = GLOBAL_FEATURES.index("season_sin"), GLOBAL_FEATURES.index("season_cos")


def _observation_at(scenario: hybridinv.Scenario, period: int) -> Any:
    sim = Simulator(scenario)
    obs = sim.reset(seed=0)
    for _ in range(period):
        obs = sim.step(np.zeros(scenario.n_skus))
    assert obs.period == period
    return obs


@pytest.mark.parametrize("per_year", [12, 52, 365])
def test_the_season_angle_turns_once_per_year_of_the_scenarios_periods(per_year: int) -> None:
    scenario = scenarios.single_sku(periods=40).replace(periods_per_year=per_year)
    for period in (0, 3, 9, 15, 27):
        _, glob = observe(_observation_at(scenario, period))
        angle = 2 * math.pi * period / per_year  # by hand: the period's place in its year
        assert glob[SIN] == pytest.approx(math.sin(angle), abs=1e-6)
        assert glob[COS] == pytest.approx(math.cos(angle), abs=1e-6)


def test_a_monthly_scenario_repeats_its_season_features_every_twelve_periods() -> None:
    scenario = scenarios.single_sku(periods=40).replace(periods_per_year=12)
    month_3 = observe(_observation_at(scenario, 3))[1]
    month_15 = observe(_observation_at(scenario, 15))[1]
    np.testing.assert_allclose(month_3[[SIN, COS]], month_15[[SIN, COS]], atol=1e-6)
    assert month_3[SIN] == pytest.approx(1.0)  # a quarter of the year in
    # version 1 put month 3 at 3/52 of a turn
    old = observe(_observation_at(scenario, 3), cycle=season_cycle(1))[1]
    assert old[SIN] == pytest.approx(math.sin(2 * math.pi * 3 / 52), abs=1e-6)


def test_versions_and_their_cycles() -> None:
    assert OBSERVATION_VERSION == 2
    assert season_cycle(1) == 52 and season_cycle(2) is None
    for bad in (3, 0, True, "2", None, 2.0):
        with pytest.raises(KeyError):
            season_cycle(bad)


def test_shipped_version_1_models_keep_their_52_period_turn() -> None:
    """The PPO network hybrid was trained on version-1 features: loading it feeds it those."""
    model = load_model("hybrid_ppo_multi_50")
    assert model.metadata["observation_spec"]["version"] == 1
    assert model.season_cycle == 52
    agent = Hybrid.load("hybrid_ppo_multi_50")
    assert agent.parameterization.cycle == 52  # type: ignore[attr-defined]
    assert Hybrid.load("hybrid_residual").parameterization.cycle == 52  # type: ignore[attr-defined]
    scenario = scenarios.get("multi_50").replace(periods_per_year=12)  # where the versions differ
    obs = _observation_at(scenario, 5)
    glob = agent.parameterization.features(obs).glob
    assert glob[SIN] == pytest.approx(math.sin(2 * math.pi * 5 / 52), abs=1e-6)


def test_new_models_record_version_2_and_read_the_scenarios_year(tmp_path: Path) -> None:
    net = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=4, n_actions=2, seed=1)
    directory = save_model(tmp_path / "m", net, {"policy": "hybrid"})
    model = load_model(directory)
    assert model.metadata["observation_spec"]["version"] == 2 and model.season_cycle is None
    agent = Hybrid.load(directory)
    obs = _observation_at(scenarios.single_sku(periods=20).replace(periods_per_year=12), 3)
    glob = agent.parameterization.features(obs).glob
    assert glob[SIN] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("version", [3, "1", None, True])
def test_an_observation_version_this_library_does_not_compute_is_refused(version: object) -> None:
    with pytest.raises(ModelFileError, match=r"computes \[1, 2\]\); retrain"):
        observation_cycle({"observation_spec": {"version": version}})
    assert observation_cycle({}) is None  # no spec at all: the current version


def test_a_pure_rl_model_reads_its_cycle_from_the_metadata(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from hybridinv.rl import PureRL
    from hybridinv.rl.integrity import write_file_hashes

    assert PureRL.load("ppo_perishable").cycle == 52  # shipped, version 1
    copy = tmp_path / "ppo"
    shutil.copytree(resolve_model_path("ppo_perishable"), copy)
    meta = json.loads((copy / METADATA_FILE).read_text())
    meta["observation_spec"]["version"] = 2
    (copy / METADATA_FILE).write_text(json.dumps(meta))
    write_file_hashes(copy)
    assert PureRL.load(copy).cycle is None
    meta["observation_spec"]["version"] = 7
    (copy / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="observation_spec version 7"):
        PureRL.load(copy)


class _Recorder:
    name = "recorder"

    def reset(self, scenario: Any = None) -> None:
        pass

    def act(self, obs: Any) -> np.ndarray:
        self.seen = (obs.period, obs.periods_per_year)
        return np.zeros(obs.n_skus)


def test_plan_places_the_period_in_a_year_of_periods_per_year() -> None:
    state = pd.DataFrame({"sku": ["a"], "on_hand": [5.0]})
    catalog = pd.DataFrame({"sku": ["a"], "unit_cost": [1.0], "holding_cost": [0.1], "shortage_cost": [5.0],
                            "lead_time": [1], "demand_mean": [3.0], "demand_std": [1.0]})
    recorder = _Recorder()
    hybridinv.plan(state, catalog, policy=recorder, period=7)
    assert recorder.seen == (7, 52)
    hybridinv.plan(state, catalog, policy=recorder, period=7, periods_per_year=12)
    assert recorder.seen == (7, 12)
    for bad in (0, 2.5, "12", True, -1, float("nan")):
        with pytest.raises(hybridinv.PlanningError, match="periods_per_year"):
            hybridinv.plan(state, catalog, policy=recorder, periods_per_year=bad)
