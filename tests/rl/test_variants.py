"""Curriculum and domain randomization scenario sources (hybridinv/rl/variants.py)."""

from __future__ import annotations

import numpy as np

from hybridinv import scenarios
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
