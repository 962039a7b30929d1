"""Curriculum and domain randomization scenario sources (hybridinv/rl/variants.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hybridinv import PlanningError, scenarios
from hybridinv.envs import TargetEnv
from hybridinv.rl.variants import Curriculum, DomainRandomization, ScenarioMix, curriculum_stage, single_sku_grid


def test_curriculum_stages_simplify_demand() -> None:
    base = scenarios.get("multi_50")
    stationary = curriculum_stage(base, 0)
    assert stationary.demand.seasonality == () and stationary.demand.promotions is None
    assert stationary.demand.regime_shifts is None and stationary.demand.common_factor is None
    path = stationary.sample(1, periods=30)
    np.testing.assert_allclose(path.demand.expected, np.broadcast_to(base.demand.mean, path.demand.expected.shape))
    seasonal = curriculum_stage(base, 1)
    assert seasonal.demand.seasonality and seasonal.demand.promotions is None
    assert curriculum_stage(base, 2) is base
    curriculum = Curriculum(base)
    assert [curriculum.advance(p) for p in (0.0, 0.3, 0.6, 1.0)] == [0, 1, 2, 2]


def test_randomization_is_seeded_and_scales_demand() -> None:
    base = scenarios.get("multi_10")
    source = DomainRandomization(base, demand_range=(0.5, 2.0), lead_time_shift=(-1, 1))
    first = source(np.random.default_rng(4))
    again = source(np.random.default_rng(4))
    np.testing.assert_array_equal(first.demand.mean, again.demand.mean)
    factor = first.demand.mean / base.demand.mean
    assert np.allclose(factor, factor[0]) and 0.5 <= factor[0] <= 2.0
    shift = first.catalog.lead_time - base.catalog.lead_time
    assert np.all((shift == shift[0]) | (first.catalog.lead_time == 0))
    env = TargetEnv(source)
    obs, _ = env.reset(seed=1)
    assert obs.shape == env.observation_space.shape


def test_single_sku_grid() -> None:
    grid = single_sku_grid()
    assert len(grid) == 16
    pairs = {(float(s.catalog.shortage_cost[0]), int(s.catalog.lead_time[0])) for s in grid}
    assert pairs == {(p, lead) for p in (4.0, 9.0, 19.0, 39.0) for lead in (1, 2, 3, 4)}
    picked = {ScenarioMix(grid)(np.random.default_rng(k)).name for k in range(200)}
    assert len(picked) == 16


@pytest.mark.parametrize(("option", "value"), [
    ("demand_range", (2.0, 1.0)),  # log-uniform over an empty range: NaN means at the first reset
    ("demand_range", (0.0, 1.0)), ("demand_range", (0.5, math.inf)), ("demand_range", 1.5),
    ("demand_range", ("0.5", 1.0)),  # a TypeError at the first reset
    ("lead_time_shift", (0.5, 1.5)),  # cut to (0, 1) without a word
    ("lead_time_shift", (1, -1)), ("lead_time_shift", (0, 1, 2)),
])
def test_domain_randomization_refuses_bad_ranges_naming_them(option: str, value: object) -> None:
    with pytest.raises(PlanningError) as info:
        DomainRandomization(scenarios.get("multi_10"), **{option: value})  # type: ignore[arg-type]
    assert info.value.column == option


@pytest.mark.parametrize(("options", "column"), [
    ({"boundaries": (0.5, 0.25)}, "boundaries"),  # stage 1 never ran
    ({"boundaries": (0.25, 1.5)}, "boundaries"), ({"stage": 3}, "stage"), ({"stage": 1.5}, "stage"),
])
def test_curriculum_refuses_bad_options_naming_them(options: dict, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        Curriculum(scenarios.get("multi_10"), **options)
    assert info.value.column == column


def test_valid_ranges_are_kept_as_numbers() -> None:
    source = DomainRandomization(scenarios.get("multi_10"), demand_range=[0.8, 1.25], lead_time_shift=(0.0, 2.0))
    assert source.demand_range == (0.8, 1.25) and source.lead_time_shift == (0, 2)
    assert isinstance(source.lead_time_shift[0], int)
    drawn = source(np.random.default_rng(3))
    factor = drawn.demand.mean / scenarios.get("multi_10").demand.mean
    assert 0.8 <= factor[0] <= 1.25 and np.allclose(factor, factor[0])


def test_a_lead_time_shift_keeps_the_supplier_disruptions_and_noise() -> None:
    """The shifted process was rebuilt from the catalog: only 11 of 30 draws of "disrupted" kept its disruptions."""
    base = scenarios.get("disrupted")
    assert base.lead_times is not None and base.lead_times.disruptions is not None
    source = DomainRandomization(base, lead_time_shift=(1, 1))
    drawn = source(np.random.default_rng(0))
    assert drawn.lead_times is not None
    assert drawn.lead_times.disruptions == base.lead_times.disruptions
    np.testing.assert_array_equal(drawn.lead_times.lead_time, base.lead_times.lead_time + 1)
    np.testing.assert_array_equal(drawn.lead_times.std, base.lead_times.std)
    np.testing.assert_array_equal(drawn.lead_times.supplier, base.lead_times.supplier)
    np.testing.assert_array_equal(drawn.catalog.lead_time, base.catalog.lead_time + 1)
    assert all(source(np.random.default_rng(k)).lead_times.disruptions is not None  # type: ignore[union-attr]
               for k in range(30))


def test_randomization_scales_the_demand_a_replay_simulates() -> None:
    """A backtest's training bootstrap draws from its record: scaling its mean moved the catalog's means only."""
    from backtest._data import catalog_frame, history_frame

    from hybridinv import Catalog
    from hybridinv.backtest.setup import ConstraintRule, evaluation_scenario
    from hybridinv.demand.forecasters import Forecaster
    from hybridinv.demand.replay import BlockBootstrap, ScaledReplay
    from hybridinv.rl.variants import randomized

    y = history_frame(long=False).drop(columns="sku").to_numpy(dtype=float).T
    cat = Catalog.from_frame(catalog_frame())
    limits = ConstraintRule().derive(y[:24], cat)
    fitting = evaluation_scenario(y, 24, cat, limits, Forecaster().fit(y[:24])).for_fitting()
    assert isinstance(fitting.demand, BlockBootstrap)
    doubled = randomized(fitting, np.random.default_rng(0), (2.0, 2.0), (0, 0))
    assert isinstance(doubled.demand, ScaledReplay)
    before, after = fitting.sample(3, 12).demand, doubled.sample(3, 12).demand
    np.testing.assert_allclose(after.realized, 2.0 * before.realized)
    np.testing.assert_allclose(after.forecast_mean, 2.0 * before.forecast_mean)  # type: ignore[operator]
    np.testing.assert_allclose(after.past_realized, 2.0 * before.past_realized)  # type: ignore[operator]
    np.testing.assert_allclose(doubled.catalog.demand_mean, 2.0 * fitting.catalog.demand_mean)
    again = randomized(doubled, np.random.default_rng(0), (1.5, 1.5), (0, 0))
    np.testing.assert_allclose(again.sample(3, 12).demand.realized, 3.0 * before.realized)
