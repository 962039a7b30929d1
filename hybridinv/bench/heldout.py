"""Held-out demand patterns: test a policy on demand that differs from what it was tuned on.

:func:`heldout` returns a copy of a scenario whose *realized* demand follows a
changed pattern while its *forecast* (the expected demand a policy observes)
stays the one of the original scenario, as when the market moves away from the
history a model was trained on. The change is applied on top of the original
path of the same seed, so the original and the held-out scenario share their
random numbers (common random numbers) and differ only by the change.

Kinds
-----
``promotion``
    Unannounced promotion spikes: each SKU starts a spike with probability
    0.05 per period, lasting 2 periods, with demand x3 (not in the forecast).
``season``
    Seasonality shifted by a quarter period with 1.5x the amplitude (capped at
    0.9); scenarios without seasonality get a cycle of 26 periods, amplitude 0.4.
``level``
    The demand level rises by 30% (not in the forecast).

References
----------
Boute, R. N., Gijsbrechts, J., van Jaarsveld, W. and Vanvuchelen, N. (2022).
Deep reinforcement learning for inventory control: a roadmap. *European Journal
of Operational Research* 298(2), 401-412 (section 5: test on out-of-sample demand).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, whole_number
from hybridinv.demand.processes import DemandPath, DemandProcess, Seasonality
from hybridinv.sim.scenario import Scenario

__all__ = ["HELDOUT_KINDS", "DemandShift", "HeldoutDemand", "heldout"]

#: Names of the held-out demand changes.
HELDOUT_KINDS: tuple[str, ...] = ("promotion", "season", "level")


@dataclass(frozen=True)
class DemandShift:
    """A change of realized demand that the forecast does not show.

    Parameters
    ----------
    kind : str
        One of :data:`HELDOUT_KINDS` (for names in reports).
    spike_probability, spike_lift, spike_duration : float, float, int
        Unannounced spikes: start probability per SKU and period, demand
        multiplier while active, length in periods.
    seasonality : tuple of Seasonality or None
        Replacement seasonality of the realized demand (None keeps the original).
    level : float
        Multiplier of the realized demand level.
    """

    kind: str
    spike_probability: float = 0.0
    spike_lift: float = 1.0
    spike_duration: int = 2
    seasonality: tuple[Seasonality, ...] | None = None
    level: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in HELDOUT_KINDS:
            raise PlanningError(f"unknown held-out kind; known: {list(HELDOUT_KINDS)}", column="kind", value=self.kind)
        if not 0.0 <= self.spike_probability <= 1.0 or self.spike_lift < 0 or self.level < 0:
            raise PlanningError("spike probability must be in [0, 1], lift and level >= 0", column="shift")
        # 0 was accepted while every spike still lasted one period (as Promotions.duration)
        whole_number(self.spike_duration, "shift.spike_duration", 1)


@dataclass(frozen=True)
class HeldoutDemand(DemandProcess):
    """A demand process whose realized path is changed by ``shift``; the expected path is not.

    The original path is drawn first from the same generator (so it equals the
    original scenario's path for the seed); the change is then applied by
    Poisson thinning (multiplier below 1: binomial) or addition (above 1:
    ``Poisson((multiplier - 1) * expected)`` extra units) with one more
    independent stream.
    """

    shift: DemandShift | None = None

    def sample(self, rng: np.random.Generator, periods: int) -> DemandPath:
        path = super().sample(rng, periods)
        if self.shift is None:
            return path
        (extra_rng,) = rng.spawn(1)
        multiplier = self._multiplier(extra_rng, periods)
        realized = path.realized
        thin = multiplier < 1.0
        changed = np.where(thin, extra_rng.binomial(realized.astype(np.int64), np.clip(multiplier, 0.0, 1.0)), realized)
        extra_mean = np.maximum(multiplier - 1.0, 0.0) * path.expected
        changed = changed + extra_rng.poisson(extra_mean)
        return DemandPath(realized=changed.astype(np.float64), expected=path.expected, std=path.std)

    def _multiplier(self, rng: np.random.Generator, periods: int) -> NDArray[np.float64]:
        shift = self.shift
        assert shift is not None
        n = self.n_skus
        multiplier = np.full((periods, n), shift.level)
        if shift.seasonality is not None:
            changed = dataclasses.replace(self, seasonality=shift.seasonality, shift=None)
            multiplier *= changed.pattern(periods) / np.maximum(self.pattern(periods), 1e-9)
        if shift.spike_probability > 0.0:
            starts = rng.random((periods, n)) < shift.spike_probability
            active = starts.copy()
            for lag in range(1, shift.spike_duration):
                active[lag:] |= starts[: periods - lag]
            multiplier *= np.where(active, shift.spike_lift, 1.0)
        return multiplier


def _shifted_seasonality(seasonality: tuple[Seasonality, ...]) -> tuple[Seasonality, ...]:
    if not seasonality:
        return (Seasonality(period=26, amplitude=0.4, phase=0.0),)
    return tuple(
        Seasonality(
            period=season.period,
            amplitude=np.minimum(1.5 * np.asarray(season.amplitude, dtype=np.float64), 0.9),
            phase=np.asarray(season.phase, dtype=np.float64) + season.period / 4.0,
        )
        for season in seasonality
    )


def heldout(scenario: Scenario, kind: str) -> Scenario:
    """A copy of ``scenario`` whose realized demand changes in a way its forecast does not show.

    Parameters
    ----------
    scenario : Scenario
        The scenario policies were built (tuned or trained) on.
    kind : {"promotion", "season", "level"}
        The change, see the module docstring.

    Returns
    -------
    Scenario
        Named ``f"{scenario.name}_heldout_{kind}"``, tagged ``"heldout"``.

    Raises
    ------
    PlanningError
        For an unknown ``kind``.
    """
    base = scenario.demand
    if kind == "promotion":
        shift = DemandShift(kind, spike_probability=0.05, spike_lift=3.0, spike_duration=2)
    elif kind == "season":
        shift = DemandShift(kind, seasonality=_shifted_seasonality(base.seasonality))
    elif kind == "level":
        shift = DemandShift(kind, level=1.3)
    else:
        raise PlanningError(f"unknown held-out kind; known: {list(HELDOUT_KINDS)}", column="kind", value=kind)
    fields = {field.name: getattr(base, field.name) for field in dataclasses.fields(DemandProcess)}
    demand = HeldoutDemand(**fields, shift=shift)
    return scenario.replace(
        name=f"{scenario.name}_heldout_{kind}",
        demand=demand,
        description=f"{scenario.description} [held-out: {kind}]",
        tags=(*scenario.tags, "heldout"),
    )
