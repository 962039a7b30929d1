"""A stand-in for evolution strategies: training that returns given weights (to test what is done with them)."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.rl.adaptive import AdaptiveHybrid


def fixed_candidate(monkeypatch: pytest.MonkeyPatch, weights: np.ndarray, configuration: type = AdaptiveHybrid) -> dict:
    """Make ES return ``weights`` (a ``configuration``); the dict records what train_adaptive was called with."""
    import hybridinv.rl.history as history

    seen: dict = {}

    def fixed(family, out, config, **options):  # type: ignore[no-untyped-def]
        seen.update(options)
        agent = configuration(weights.copy())
        agent.metadata = {"training": {}, "action_spec": None}

        class Result:
            best = {"avg_cost": 1.0}
            generations = 0

        return agent, Result()

    monkeypatch.setattr(history, "train_adaptive", fixed)
    return seen
