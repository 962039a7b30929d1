"""Training on a planner's history (hybridinv/rl/history.py): episodes, gate, model file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from backtest._data import catalog_frame, history_frame

from hybridinv import Catalog, Constraints
from hybridinv.backtest.setup import ConstraintRule
from hybridinv.core.errors import PlanningError
from hybridinv.demand.forecasters import Forecaster
from hybridinv.demand.replay import BlockBootstrap, SimulatedHistory
from hybridinv.rl import Hybrid
from hybridinv.rl.adaptive import AdaptiveHybrid
from hybridinv.rl.history import HistoryFamily, HistoryTraining, fitted_process, train_on_history

TINY = HistoryTraining(validation=6, episode_periods=8, skus=6, population=4, generations=2, seeds_per_generation=1,
                       eval_every=1, eval_seeds=(1, 2), time_limit=0.0)


def _data() -> tuple[np.ndarray, Catalog]:
    frame = history_frame(long=False)
    return frame.drop(columns="sku").to_numpy(dtype=float).T, Catalog.from_frame(catalog_frame())


def test_episodes_are_seeded_subsets_with_scaled_limits() -> None:
    y, cat = _data()
    train = y[:30]
    limits = ConstraintRule().derive(train, cat)
    family = HistoryFamily(train, cat, Forecaster().fit(train), limits, periods=8, skus=6,
                           fitted=fitted_process(train, cat, 12), fitted_share=0.5)
    a, again = family.episode(5), family.episode(5)
    assert a.n_skus == 6 and list(a.catalog.sku) == list(again.catalog.sku)
    assert a.constraints.to_dict() == again.constraints.to_dict()
    kinds = {type(family.episode(s).demand) for s in range(30)}
    assert kinds == {BlockBootstrap, SimulatedHistory}
    finite = [family.episode(s).constraints.capacity for s in range(30)]
    share = np.array([c for c in finite if np.isfinite(c)]) / limits.capacity
    assert (share < 1.5).all() and (share > 0.0).all()  # a 6-SKU share of the limit, times [0.75, 1.5]
    assert any(np.isinf(c) for c in finite)  # some episodes drop the capacity


def test_training_writes_a_gated_model_whose_base_is_the_fallback(tmp_path: Path) -> None:
    y, cat = _data()
    agent, report = train_on_history(y[:30], cat, tmp_path / "m", Constraints(capacity=1e9, budget=1e9), TINY)
    loaded = Hybrid.load(tmp_path / "m")
    assert isinstance(loaded, AdaptiveHybrid)
    np.testing.assert_array_equal(loaded.weights, agent.weights)
    meta = loaded.metadata
    assert meta["validation"] == report and report["held_out_periods"] == 6
    assert report["accepted"] == (report["trained_cost_per_period"] < report["base_cost_per_period"])
    if not report["accepted"]:
        assert (loaded.weights == 0).all()
    low, high = np.array(meta["feature_range"]["low"]), np.array(meta["feature_range"]["high"])
    assert (low <= high).all()
    assert meta["training"]["kind"] == "history" and meta["training"]["settings"]["validation"] == 6


def test_the_gate_rejects_weights_that_lose_on_the_held_out_periods(tmp_path: Path, monkeypatch) -> None:
    """Force ES to return harmful weights: the gate must keep the base (zero weights)."""
    import hybridinv.rl.history as history

    def harmful(family, out, config, **options):  # type: ignore[no-untyped-def]
        from hybridinv.rl.adaptive import zero_weights

        weights = zero_weights()
        weights[0, 0], weights[1, 0] = 0.3, 1.5
        agent = AdaptiveHybrid(weights)
        agent.metadata = {"training": {}, "action_spec": None}

        class Result:
            best = {"avg_cost": 1.0}
            generations = 0

        return agent, Result()

    monkeypatch.setattr(history, "train_adaptive", harmful)
    y, cat = _data()
    agent, report = train_on_history(y[:30], cat, None, None, TINY)
    assert report["accepted"] is False and report["trained_cost_per_period"] > report["base_cost_per_period"]
    assert (agent.weights == 0).all()


def test_training_starts_from_the_shipped_default_and_moves_only_its_searched_weights(tmp_path: Path) -> None:
    default = Hybrid.load("hybrid_default")
    assert isinstance(default, AdaptiveHybrid)
    weights, mask, base = TINY.start()
    assert weights is not None and mask is not None
    np.testing.assert_array_equal(weights, default.weights)
    searched = np.array(default.metadata["training"]["searched"], dtype=bool)
    assert (mask == searched).all() and (weights[~mask] == 0).all() and 0 < mask.sum() < mask.size
    assert base == default.base.options()
    y, cat = _data()
    agent, report = train_on_history(y[:30], cat, tmp_path / "m", Constraints(capacity=1e9, budget=1e9), TINY)
    training = Hybrid.load(tmp_path / "m").metadata["training"]
    np.testing.assert_array_equal(np.array(training["start_weights"]), default.weights)
    assert (np.array(training["searched"], dtype=bool) == mask).all()
    assert (agent.weights[~mask] == 0).all()  # accepted or not, no unsearched weight moved


def test_training_from_zero_searches_every_weight(tmp_path: Path) -> None:
    settings = replace(TINY, warm_start=None)
    assert settings.start() == (None, None, None)
    y, cat = _data()
    train_on_history(y[:30], cat, tmp_path / "m", Constraints(capacity=1e9, budget=1e9), settings)
    training = Hybrid.load(tmp_path / "m").metadata["training"]
    assert not np.any(training["start_weights"]) and np.all(training["searched"])


def test_a_warm_start_that_is_not_an_adaptive_model_is_refused() -> None:
    from hybridinv.rl.integrity import ModelFileError

    with pytest.raises(ModelFileError, match="adaptive"):
        replace(TINY, warm_start="hybrid_residual").start()


def test_too_short_a_window_is_refused() -> None:
    y, cat = _data()
    with pytest.raises(PlanningError, match="at least 12 periods"):
        train_on_history(y[:8], cat, None, None, TINY)
