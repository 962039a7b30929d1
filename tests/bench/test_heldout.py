"""Held-out demand variants (hybridinv/bench/heldout.py)."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import scenarios
from hybridinv.bench.heldout import HELDOUT_KINDS, heldout
from hybridinv.core.errors import PlanningError


@pytest.mark.parametrize("kind", HELDOUT_KINDS)
def test_forecast_unchanged_realized_changed(kind: str) -> None:
    base = scenarios.get("multi_10")
    changed = heldout(base, kind)
    assert changed.name == f"multi_10_heldout_{kind}"
    assert "heldout" in changed.tags
    original = base.sample(seed=4)
    shifted = changed.sample(seed=4)
    np.testing.assert_array_equal(original.demand.expected, shifted.demand.expected)
    np.testing.assert_array_equal(original.lead_times.lead_time, shifted.lead_times.lead_time)
    assert not np.array_equal(original.demand.realized, shifted.demand.realized)
    assert (shifted.demand.realized >= 0).all()
    np.testing.assert_array_equal(shifted.demand.realized, np.rint(shifted.demand.realized))


def test_level_shift_raises_demand_by_thirty_percent() -> None:
    base = scenarios.single_sku(mean=20.0, periods=4000)
    changed = heldout(base, "level")
    ratio = changed.sample(1).demand.realized.mean() / base.sample(1).demand.realized.mean()
    assert ratio == pytest.approx(1.3, rel=0.03)


def test_promotion_spikes_add_unannounced_demand() -> None:
    base = scenarios.single_sku(mean=20.0, periods=4000)
    realized = heldout(base, "promotion").sample(2).demand.realized[:, 0]
    original = base.sample(2).demand.realized[:, 0]
    # spikes start with probability 0.05 and last 2 periods: ~10% of periods at x3
    spiking = realized > original + 15
    assert 0.05 < spiking.mean() < 0.15
    np.testing.assert_array_equal(realized[~spiking] >= original[~spiking], True)


def test_season_shift_adds_a_cycle_when_there_is_none() -> None:
    base = scenarios.single_sku(mean=50.0, periods=2600)
    realized = heldout(base, "season").sample(0).demand.realized[:, 0]
    phase = np.arange(realized.size) % 26
    peak, trough = realized[phase == 6].mean(), realized[phase == 19].mean()  # sin peaks at t = 26/4
    assert peak / trough == pytest.approx(1.4 / 0.6, rel=0.1)


def test_unknown_kind() -> None:
    with pytest.raises(PlanningError, match="held-out"):
        heldout(scenarios.get("multi_10"), "meteor")


def test_a_spike_lasts_at_least_one_period() -> None:
    """spike_duration 0 was accepted while every spike still lasted one period."""
    from hybridinv.bench.heldout import DemandShift

    with pytest.raises(PlanningError) as info:
        DemandShift("promotion", spike_probability=0.1, spike_lift=2.0, spike_duration=0)
    assert info.value.column == "shift.spike_duration"
