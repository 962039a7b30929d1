"""What a backtest fixes from the training window (hybridinv/backtest/setup.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hybridinv import Catalog
from hybridinv.backtest.setup import ConstraintRule, evaluation_scenario, initial_state
from hybridinv.core.errors import PlanningError
from hybridinv.demand.forecasters import Forecaster
from hybridinv.sim.simulator import Simulator

from ._data import catalog_frame, history_frame


def _data() -> tuple[np.ndarray, Catalog]:
    frame = history_frame(long=False)
    y = frame.drop(columns="sku").to_numpy(dtype=float).T
    return y, Catalog.from_frame(catalog_frame())


def test_constraint_rule_closed_form() -> None:
    y, cat = _data()
    recent = y[12:24]
    mean, std = recent.mean(axis=0), recent.std(axis=0)
    limits = ConstraintRule(capacity_factor=1.5, budget_factor=0.9).derive(y[:24], cat)
    assert limits.capacity == pytest.approx(1.5 * float(cat.volume @ (mean + std * np.sqrt(cat.lead_time + 1))))
    assert limits.budget == pytest.approx(0.9 * float(cat.unit_cost @ mean))
    loose = ConstraintRule(capacity_factor=math.inf, budget_factor=math.inf).derive(y[:24], cat)
    assert math.isinf(loose.capacity) and math.isinf(loose.budget)
    with pytest.raises(PlanningError, match="factor"):
        ConstraintRule(capacity_factor=0.0)


def test_initial_state_is_safety_stock_on_hand_and_mean_demand_in_transit() -> None:
    y, cat = _data()
    state = initial_state(y[:24], cat)
    mean, std = y[12:24].mean(axis=0), y[12:24].std(axis=0)
    np.testing.assert_array_equal(state.on_hand, np.round(std * np.sqrt(cat.lead_time + 1)))
    for i, lead in enumerate(cat.lead_time):
        np.testing.assert_array_equal(state.pipeline[i, : int(lead)], np.round(mean[i]))
        assert (state.pipeline[i, int(lead) :] == 0).all()


def test_evaluation_scenario_replays_the_test_periods_with_the_forecasts_made_before_each() -> None:
    y, cat = _data()
    fc = Forecaster().fit(y[:24])
    scenario = evaluation_scenario(y, 24, cat, ConstraintRule().derive(y[:24], cat), fc)
    assert scenario.periods == 12 and "replay" in scenario.tags
    sim = Simulator(scenario)
    obs = sim.reset(seed=123)
    rolled = fc.roll(y, start=24, horizon=8)
    for t in range(12):
        np.testing.assert_array_equal(obs.forecast(3), rolled.mean[t, :3].T)
        np.testing.assert_array_equal(obs.demand_history(24 + t), y[: 24 + t].T)
        obs = sim.step(np.zeros(cat.n_skus))
    np.testing.assert_array_equal(sim.path.demand.realized[:12], y[24:])


def test_tuners_and_factories_see_the_training_bootstrap_not_the_replay() -> None:
    from hybridinv.policies.tuning import tune_base_stock

    y, cat = _data()
    fc = Forecaster().fit(y[:24])
    scenario = evaluation_scenario(y, 24, cat, ConstraintRule().derive(y[:24], cat), fc)
    fitting = scenario.for_fitting()
    assert "bootstrap" in fitting.tags and fitting is scenario.fit_on
    drawn = fitting.sample(1).demand.realized[:12]
    assert not np.array_equal(drawn, y[24:])
    assert not np.array_equal(fitting.sample(1).demand.realized, fitting.sample(2).demand.realized)
    # every drawn value comes from the training window of its SKU
    for i in range(cat.n_skus):
        assert set(drawn[:, i]) <= set(y[:24, i])
    bare = scenario.replace(fit_on=None)
    with pytest.raises(PlanningError, match="held-out"):
        bare.for_fitting()
    with pytest.raises(PlanningError, match="held-out"):
        tune_base_stock(bare, seeds=[0], rounds=1)
