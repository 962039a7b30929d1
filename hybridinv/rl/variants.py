"""Scenario variants for training: curriculum stages and domain randomization.

Both are *scenario sources* for :class:`hybridinv.envs.InventoryEnv`: callables
``source(np_random) -> Scenario`` that the environment calls at every reset
with its own generator, so randomization is reproducible from the
environment's seed and independent across parallel copies.

- :class:`Curriculum`: stage 0 trains on stationary demand (the scenario's
  base means, no seasonality, promotions, regime shifts or common factor),
  stage 1 adds seasonality and trend, stage 2 is the full scenario.
  :meth:`Curriculum.advance` is called by the trainer as timesteps pass.
- :class:`DomainRandomization`: per episode, every demand mean is scaled by a
  common factor drawn log-uniformly from ``demand_range`` (a replayed history's
  demand and forecasts too) and lead times are shifted by an integer from
  ``lead_time_shift`` (floored at 0; lead-time noise and supplier disruptions are
  kept), so the policy sees more operating points than the one scenario (Tobin et al. [1]_).

References
----------
.. [1] Tobin, J. et al. (2017). Domain randomization for transferring deep
   neural networks from simulation to the real world. *IROS*, 23-30.
.. [2] Bengio, Y. et al. (2009). Curriculum learning. *ICML*, 41-48.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from hybridinv.core.errors import PlanningError, number_pair, whole_number
from hybridinv.core.limits import MAX_LEAD_TIME
from hybridinv.demand.processes import DemandProcess
from hybridinv.demand.replay import REPLAYS, ScaledReplay
from hybridinv.sim.scenario import Scenario

__all__ = [
    "CURRICULUM_STAGES",
    "GRID_LEAD_TIMES",
    "GRID_SHORTAGE_COSTS",
    "Curriculum",
    "DomainRandomization",
    "ScenarioMix",
    "curriculum_stage",
    "randomized",
    "single_sku_grid",
]

CURRICULUM_STAGES: tuple[str, ...] = ("stationary", "seasonal", "full")


def curriculum_stage(scenario: Scenario, stage: int) -> Scenario:
    """The scenario with demand simplified to curriculum ``stage`` (0, 1 or 2)."""
    if stage >= len(CURRICULUM_STAGES) - 1:
        return scenario
    demand = scenario.demand
    if stage == 0:
        simple = replace(
            demand, seasonality=(), trend=0.0, promotions=None, regime_shifts=None, common_factor=None
        )
    else:
        simple = replace(demand, promotions=None, regime_shifts=None, common_factor=None)
    return scenario.replace(demand=simple, name=f"{scenario.name}[{CURRICULUM_STAGES[stage]}]")


def randomized(
    scenario: Scenario, rng: np.random.Generator, demand_range: tuple[float, float], lead_time_shift: tuple[int, int]
) -> Scenario:
    """One randomized copy of ``scenario`` (demand scaled, lead times shifted).

    The demand is scaled by one factor: a parametric process's means, or every path of a replay
    (:data:`~hybridinv.demand.replay.REPLAYS`, e.g. the block bootstrap of a backtest's
    :meth:`~hybridinv.sim.Scenario.for_fitting` scenario) through
    :class:`~hybridinv.demand.replay.ScaledReplay` (scaling its ``mean`` changed the catalog's
    means but not the demand simulated). The shift moves the planned lead times of the catalog and of
    the scenario's lead-time process, keeping the process's noise, suppliers and disruptions (the
    process was rebuilt from the catalog, which dropped the disruptions of ``disrupted``).
    """
    low, high = demand_range
    factor = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    shift = int(rng.integers(lead_time_shift[0], lead_time_shift[1] + 1))
    catalog = scenario.catalog
    lead_time = np.maximum(catalog.lead_time + shift, 0)
    catalog = catalog.with_values(demand_mean=catalog.demand_mean * factor, lead_time=lead_time)
    process = scenario.lead_times
    assert process is not None  # a Scenario derives it from the catalog when not given
    lead_times = process if shift == 0 else replace(process, lead_time=np.maximum(process.lead_time + shift, 0))
    return scenario.replace(
        catalog=catalog,
        demand=_scaled_demand(scenario.demand, factor),
        lead_times=lead_times,
        initial_state=None,
        name=f"{scenario.name}[x{factor:.2f},L{shift:+d}]",
    )


def _scaled_demand(demand: DemandProcess, factor: float) -> DemandProcess:
    """``demand`` with its means times ``factor``; a replay's paths too (:class:`ScaledReplay`)."""
    if isinstance(demand, ScaledReplay):
        return replace(demand, mean=demand.mean * factor, factor=demand.factor * factor)
    if isinstance(demand, REPLAYS):
        return ScaledReplay(mean=demand.mean * factor, process=demand, factor=factor)
    return replace(demand, mean=demand.mean * factor)


@dataclass
class Curriculum:
    """Scenario source that simplifies the scenario in early training stages.

    Parameters
    ----------
    scenario : Scenario
    boundaries : tuple of float
        Fractions of the training budget at which stages 1 and 2 start (in [0, 1], in order).
    stage : int
        The stage to start in (0, 1 or 2).

    Raises
    ------
    PlanningError
        For options out of range or of the wrong kind, naming the option.
    """

    scenario: Scenario
    boundaries: tuple[float, float] = (0.25, 0.5)
    stage: int = 0
    _cache: dict[int, Scenario] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.scenario, Scenario):
            raise PlanningError("must be a Scenario", column="scenario", value=type(self.scenario).__name__)
        # boundaries out of [0, 1] or out of order skipped stages without a word; text raised a TypeError
        self.boundaries = number_pair(self.boundaries, "boundaries", 0.0, 1.0)  # type: ignore[assignment]
        self.stage = whole_number(self.stage, "stage")
        if self.stage >= len(CURRICULUM_STAGES):
            raise PlanningError(f"must be below {len(CURRICULUM_STAGES)}", column="stage", value=self.stage)

    def advance(self, progress: float) -> int:
        """Set the stage from the fraction of timesteps done; return it."""
        self.stage = int(sum(progress >= b for b in self.boundaries))
        return self.stage

    def __call__(self, rng: np.random.Generator) -> Scenario:
        if self.stage not in self._cache:
            self._cache[self.stage] = curriculum_stage(self.scenario, self.stage)
        return self._cache[self.stage]


@dataclass
class DomainRandomization:
    """Scenario source drawing a randomized copy of the inner source's scenario each episode.

    Parameters
    ----------
    inner : Scenario or callable
        A scenario or another source (e.g. a :class:`Curriculum`).
    demand_range : tuple of float
        Range of the common demand scaling factor (log-uniform; finite, > 0, low <= high).
    lead_time_shift : tuple of int
        Inclusive range of the lead-time shift (whole numbers, low <= high).

    Raises
    ------
    PlanningError
        For options out of range or of the wrong kind, naming the option.
    """

    inner: Scenario | Curriculum
    demand_range: tuple[float, float] = (0.6, 1.6)
    lead_time_shift: tuple[int, int] = (-1, 1)

    def __post_init__(self) -> None:
        if not (isinstance(self.inner, Scenario) or callable(self.inner)):
            raise PlanningError("must be a Scenario or a scenario source", column="inner",
                                value=type(self.inner).__name__)
        # a range (2, 1), (0, 1) or (1, inf) gave NaN or infinite demand means, text a TypeError at the first reset
        low, high = number_pair(self.demand_range, "demand_range", 0.0, math.inf, open_low=True)
        self.demand_range = (low, high)
        first, last = number_pair(self.lead_time_shift, "lead_time_shift", -MAX_LEAD_TIME, MAX_LEAD_TIME)
        if first != math.floor(first) or last != math.floor(last):  # 0.5 was cut to 0 without a word
            raise PlanningError("must be two whole numbers", column="lead_time_shift", value=self.lead_time_shift)
        self.lead_time_shift = (int(first), int(last))

    def __call__(self, rng: np.random.Generator) -> Scenario:
        base = self.inner if isinstance(self.inner, Scenario) else self.inner(rng)
        return randomized(base, rng, self.demand_range, self.lead_time_shift)


#: The single-SKU lost-sales grid of the quality benchmark: Poisson mean 5, h = 1.
GRID_SHORTAGE_COSTS: tuple[float, ...] = (4.0, 9.0, 19.0, 39.0)
GRID_LEAD_TIMES: tuple[int, ...] = (1, 2, 3, 4)


def single_sku_grid(periods: int = 200, warmup: int = 0) -> list[Scenario]:
    """The 16 single-SKU lost-sales instances (p in {4, 9, 19, 39}, L in {1, 2, 3, 4}, mean 5, h = 1)."""
    from hybridinv.scenarios import single_sku

    return [
        single_sku(
            mean=5.0, lead_time=lead, holding_cost=1.0, shortage_cost=shortage, periods=periods, warmup=warmup
        ).replace(name=f"single_sku[p={shortage:g},L={lead}]")
        for shortage in GRID_SHORTAGE_COSTS
        for lead in GRID_LEAD_TIMES
    ]


@dataclass
class ScenarioMix:
    """Scenario source drawing one of several same-size scenarios uniformly per episode
    (e.g. the single-SKU grid, so one network conditioned on ``(p, L)`` features covers it)."""

    scenarios: list[Scenario]

    def __call__(self, rng: np.random.Generator) -> Scenario:
        return self.scenarios[int(rng.integers(len(self.scenarios)))]
