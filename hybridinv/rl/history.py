"""Train the hybrid on a planner's own demand history.

:func:`train_on_history` turns the training window of a history into a model directory:

1. The last ``validation`` periods of the window are held out. A rolling forecaster
   (:class:`~hybridinv.demand.forecasters.Forecaster`) is fitted on the periods before.
2. Training scenarios are drawn from those earlier periods (:class:`HistoryFamily`):
   every episode is a seeded block bootstrap of a random subset of the SKUs, with the
   rolling forecasts recomputed on the drawn path, and capacity and budget drawn from
   loose to very tight around the planner's (or the rule's) constraints. With
   ``HistoryTraining(episodes="replay")`` they are those periods themselves instead
   (:class:`ReplayFamily`; measured worse on both real suites, docs/backtest.md).
3. Evolution strategies (:func:`hybridinv.rl.adaptive.train_adaptive`) search the
   weights of the :class:`~hybridinv.rl.adaptive.AdaptiveHybrid` (or, with
   ``HistoryTraining(parameterization="forecast_capped")``, of the
   :class:`~hybridinv.rl.hybrid.CappedHybrid`, from zero), starting from the
   shipped default (``warm_start``: its weights, and only the weights it searched) or
   from zero (the base policy, every weight), and keep the best mean on fixed bootstrap
   seeds (generation 0, the start, included). With a training objective
   (:class:`~hybridinv.rl.objective.TrainingObjective`: a reward spec, KPI targets, an
   incumbent leash) the episodes are measured and ranked by the objective's Lagrangian,
   its multipliers stepped every generation, exactly as in scenario training.
4. **Validation gate**: base and trained policy are replayed on the held-out periods
   (exact replay, rolling forecasts, all SKUs, the planner's constraints). Without an
   objective the trained weights are kept only if they cost less than the base; with one,
   by :func:`hybridinv.rl.objective.objective_verdict` (feasible first: targets met on the
   replay, then the objective's cost; :data:`~hybridinv.rl.objective.OBJECTIVE_GATE_RULE`).
   Otherwise the model *is* the base (zero weights). Either way the numbers are in the
   metadata (``validation``), with a paired 95% bootstrap interval over SKUs.
5. The trust region (feature percentiles seen in the training episodes; until 2026-12-06 the held-out
   replay's too, so the gate judged a model partly fitted on its periods) is stored,
   so the model shrinks its corrections on SKUs unlike anything it was trained on.

Costs here are on the *valued* basis (``Scenario.cost_basis = "valued"``, as in every
scenario of :mod:`hybridinv.backtest.setup`): the stock a policy holds at the end of an
episode or of the held-out periods is valued at unit cost, so a 12- or 24-period window
does not charge a policy for the stock it ends with (nor reward running stock down);
docs/backtest.md shows what this changed on hospital demand. A reward spec's cost
(``objective.spec``) weights the ledger's components, purchases included, and is not valued.

Nothing reads a period after the training window; the backtest passes only
``history[:cutoff]`` here.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.backtest.search import demand_window
from hybridinv.backtest.setup import (
    ConstraintRule,
    evaluation_scenario,
    forecast_horizon,
    resolve_constraints,
    training_scenario,
)
from hybridinv.bench.stats import paired_cost_intervals
from hybridinv.core._observed import observed_mean
from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import PlanningError, PlanningWarning, number_in, one_of, whole_number
from hybridinv.demand.forecasters import Forecaster
from hybridinv.demand.processes import DemandProcess
from hybridinv.demand.replay import SimulatedHistory
from hybridinv.rl.adaptive import AdaptiveHybrid, CappedHybrid, train_adaptive
from hybridinv.rl.es import ESConfig, check_es_settings
from hybridinv.sim.scenario import Scenario

if TYPE_CHECKING:
    from hybridinv.rl.objective import TrainingObjective

__all__ = [
    "MIN_TRAINING_PERIODS",
    "EPISODE_KINDS",
    "GATE_RULES",
    "HistoryFamily",
    "HistoryTraining",
    "ReplayFamily",
    "check_training_window",
    "feature_range",
    "train_on_history",
]

#: Shortest training window: the forecaster starts from 12 periods and a third is held out.
MIN_TRAINING_PERIODS = 12


@dataclass(frozen=True)
class HistoryFamily:
    """Training scenarios drawn from a training window, one per seed.

    Parameters
    ----------
    train : array, shape (T, n)
        The training demand (NaN = not observed).
    catalog : Catalog
    forecaster : Forecaster
        Fitted on ``train``.
    constraints : Constraints
        The planner's capacity and budget (their tightness is varied per episode).
    periods : int
        Episode length.
    skus : int
        SKUs per episode (a random subset; all when the catalog is smaller).
    fitted : DemandProcess, optional
        The digital twin's fitted process of the training window (all SKUs); a share
        ``fitted_share`` of the episodes draws from it instead of bootstrapping.
    fitted_share : float
    tightness : (float, float)
        Range of the log-uniform multiplier of capacity and budget per episode
        (relative to their share for the drawn SKUs).
    unlimited : float
        Probability that an episode drops the capacity (and, independently, the budget).
    lost_sales : bool
    season : int or None
    name : str
    """

    train: NDArray[np.float64]
    catalog: Catalog
    forecaster: Forecaster
    constraints: Constraints
    periods: int = 24
    skus: int = 250
    tightness: tuple[float, float] = (0.75, 1.5)
    unlimited: float = 0.15
    lost_sales: bool = True
    season: int | None = 12
    name: str = "history"
    fitted: DemandProcess | None = None
    fitted_share: float = 0.3

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rule_limits", ConstraintRule().derive(self.train, self.catalog))

    @property
    def n_skus(self) -> int:
        return min(self.skus, self.catalog.n_skus)

    def for_fitting(self) -> HistoryFamily:
        return self

    def episode(self, seed: int) -> Scenario:
        """The scenario of episode ``seed`` (its demand path is drawn from the same seed)."""
        rng = np.random.default_rng([int(seed), 20_260_101])
        n = self.catalog.n_skus
        cols = np.sort(rng.choice(n, size=self.n_skus, replace=False)) if n > self.skus else np.arange(n)
        catalog = self.catalog.subset(cols)
        train = self.train[:, cols]
        capacity, budget = self._limits(rng, train, catalog)
        forecaster = self.forecaster.subset(cols)
        demand = None
        if self.fitted is not None and rng.random() < self.fitted_share:
            season = self.season or 1
            demand = SimulatedHistory(
                mean=np.maximum(observed_mean(train[-12:], empty=0.0), 1e-9), process=self.fitted,
                columns=cols, forecaster=forecaster, lead_in=min(24, train.shape[0]),
                horizon=forecast_horizon(catalog), skip=(-self.train.shape[0]) % season,
            )
        return training_scenario(
            train, catalog, Constraints(capacity=capacity, budget=budget), forecaster,
            self.periods, self.lost_sales, name=self.name, season=self.season, demand=demand,
        )

    def _limits(self, rng: np.random.Generator, train: NDArray[np.float64], catalog: Catalog) -> tuple[float, float]:
        """Capacity and budget for the drawn SKUs: their share of the planner's limits, times a random tightness."""
        share = ConstraintRule().derive(train, catalog)
        full: Constraints = self._rule_limits  # type: ignore[attr-defined]
        low, high = np.log(self.tightness[0]), np.log(self.tightness[1])
        out = []
        for limit, part, whole in (
            (self.constraints.capacity, share.capacity, full.capacity),
            (self.constraints.budget, share.budget, full.budget),
        ):
            factor = float(np.exp(rng.uniform(low, high)))
            dropped = rng.random() < self.unlimited
            if dropped or not np.isfinite(limit) or not np.isfinite(whole) or whole <= 0:
                out.append(float("inf"))
            else:
                out.append(float(limit * part / whole * factor))
        return out[0], out[1]

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "history bootstrap",
            "n_skus": self.catalog.n_skus,
            "skus_per_episode": self.n_skus,
            "periods": self.periods,
            "training_periods": int(self.train.shape[0]),
            "tightness": list(self.tightness),
            "unlimited": self.unlimited,
            "constraints": self.constraints.to_dict(),
        }


@dataclass(frozen=True)
class ReplayFamily:
    """Training episodes that replay the training window exactly: each is ``periods`` consecutive periods of it.

    Episode ``seed`` replays ``train[start : start + periods]`` for a start drawn from the seed, with every SKU,
    the planner's ``constraints`` as given and the forecasts a planner would have had: a
    :class:`~hybridinv.demand.forecasters.Forecaster` fitted on ``train[:start]`` and rolled over the window
    (:func:`~hybridinv.backtest.setup.evaluation_scenario`). The starts run from ``lead_in`` (at least
    ``min(12, T // 4)`` periods of history before an episode) to ``T - periods``. Where
    :class:`HistoryFamily` draws new demand paths (a block bootstrap, the twin) under varied capacity and
    budget, these episodes are the months the planner saw, so ES fits corrections to the demand and
    limits they will be judged on, at the risk of fitting those months' noise (the gate's held-out
    periods are not among them).

    Parameters
    ----------
    train : array, shape (T, n)
        The training window (NaN = not observed).
    catalog : Catalog
    constraints : Constraints
    periods : int
        Episode length (shortened to leave ``lead_in`` periods before the first start).
    lost_sales : bool
    season : int or None
    name : str
    """

    train: NDArray[np.float64]
    catalog: Catalog
    constraints: Constraints
    periods: int = 12
    lost_sales: bool = True
    season: int | None = 12
    name: str = "history"

    def __post_init__(self) -> None:
        total = int(self.train.shape[0])
        lead_in = max(2, min(12, total // 4))
        periods = max(1, min(int(self.periods), total - lead_in))
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "starts", tuple(range(lead_in, total - periods + 1)))
        object.__setattr__(self, "_episodes", {})

    @property
    def n_skus(self) -> int:
        return self.catalog.n_skus

    def for_fitting(self) -> ReplayFamily:
        return self

    def start_of(self, seed: int) -> int:
        """The first period (of ``train``) that episode ``seed`` replays."""
        starts: tuple[int, ...] = self.starts  # type: ignore[attr-defined]
        return starts[int(np.random.default_rng([int(seed), 20_261_207]).integers(len(starts)))]

    def episode(self, seed: int) -> Scenario:
        """The exact replay of episode ``seed``'s window (built once per start and kept)."""
        start = self.start_of(seed)
        built: dict[int, Scenario] = self._episodes  # type: ignore[attr-defined]
        if start not in built:
            forecaster = Forecaster(season=self.season).fit(self.train[:start])
            built[start] = evaluation_scenario(
                self.train, start, self.catalog, self.constraints, forecaster, horizon=self.periods,
                lost_sales=self.lost_sales, name=f"{self.name}_replay_{start}", season=self.season,
            )
        return built[start]

    def summary(self) -> dict[str, Any]:
        starts: tuple[int, ...] = self.starts  # type: ignore[attr-defined]
        return {
            "name": self.name,
            "kind": "history replay",
            "n_skus": self.catalog.n_skus,
            "periods": self.periods,
            "training_periods": int(self.train.shape[0]),
            "starts": [starts[0], starts[-1]],
            "constraints": self.constraints.to_dict(),
        }


#: What :func:`train_on_history`'s ES episodes are (``HistoryTraining.episodes``): new demand paths drawn from the
#: training window (:class:`HistoryFamily`) or the window's own months replayed (:class:`ReplayFamily`).
EPISODE_KINDS: tuple[str, ...] = ("bootstrap", "replay")

#: How the gate (:func:`train_on_history`, without an objective) keeps trained weights (``HistoryTraining.gate``):
#: ``"interval"`` when the 95% bootstrap intervals over SKUs and over periods of their held-out cost less the
#: base's both lie below zero, ``"total"`` when their held-out cost is below the base's by any amount (the rule
#: until 2026-12-07, which kept replay-trained corrections 0.02% and 0.37% cheaper on the held-out months of the
#: real suites that were 0.05% and 0.88% dearer on the test months; the interval rule rejects both).
GATE_RULES: tuple[str, ...] = ("interval", "total")

#: The base's ``capacity_utilization`` values :func:`train_on_history` tries (None: space at a fixed price).
UTILIZATION_GRID: tuple[float | None, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, None)


def _utilization_grid(values: object) -> tuple[float | None, ...]:
    """``utilization_grid`` as a tuple of numbers in (0, 1] and None (a list from a TOML or JSON file too)."""
    if isinstance(values, str) or not isinstance(values, tuple | list):
        raise PlanningError("must be a sequence of numbers in (0, 1] or None", column="utilization_grid",
                            value=values)
    return tuple(None if value is None else number_in(value, "utilization_grid", 0.0, 1.0, open_low=True)
                 for value in values)


@dataclass(frozen=True)
class HistoryTraining:
    """Settings of :func:`train_on_history` (stored in the model's metadata).

    Parameters
    ----------
    validation : int
        Held-out periods at the end of the training window (the gate).
    episode_periods : int
        Length of a training episode (``episodes="bootstrap"``; replayed episodes are as long as the
        held-out periods).
    skus : int
        SKUs per training episode (``episodes="bootstrap"``; a replay has every SKU).
    episodes : str
        What ES trains on (:data:`EPISODE_KINDS`): ``"bootstrap"`` (:class:`HistoryFamily`: block-bootstrap and
        twin paths of the training months, random SKU subsets, capacity and budget varied from loose to very
        tight) or ``"replay"`` (:class:`ReplayFamily`: the training months themselves, every SKU, the
        planner's limits, the forecasts of their time).
    population, sigma, learning_rate, generations, seeds_per_generation, eval_every, eval_seeds
        Evolution strategies (:class:`~hybridinv.rl.es.ESConfig`).
    time_limit : float
        Seconds of ES (0: no limit).
    harm_weight : float
        Extra weight of episodes the corrections make worse than the base (see
        :func:`~hybridinv.rl.adaptive.train_adaptive`).
    fitted_share : float
        Share of the training episodes drawn from the digital twin's fitted process instead of
        the block bootstrap.
    range_episodes : int
        Training episodes (seeds ``eval_seeds`` first, then 1000, 1001, ...) whose feature
        percentiles form the trust region (the held-out replay's no longer: the gate judges it). Enough of them that
        the region spans the capacity and budget tightness the episodes vary (with 3, a
        hospital model met the 1.5x-capacity replay outside its ``capacity_load`` range and
        fell back to its base on every SKU).
    warm_start : str or None
        A shipped model name or an adaptive model directory (hash-checked like any model; the default
        name "hybrid_default" always means the shipped model, never a folder of that name here)
        whose weights start the search; only the weights its metadata lists as searched
        (``training.searched``) move. None starts from zero and searches all weights. The
        model must be of the trained ``parameterization`` (no ``forecast_capped`` model is
        shipped: train that one with ``warm_start=None``).
    parameterization : str
        What the linear map corrects (:data:`~hybridinv.rl.adaptive.ES_PARAMETERIZATIONS`):
        ``"forecast_ss"`` (the forecast-driven (s, S), the shipped default's form) or
        ``"forecast_capped"`` (the forecast capped base-stock, :class:`~hybridinv.rl.hybrid.CappedHybrid`).
    utilization_grid : tuple of float or None
        Values of the base's ``capacity_utilization`` (:class:`~hybridinv.policies.forecast_ss.ForecastSS`:
        the share of the warehouse its planned stock may fill before space gets a price; None: a fixed
        price) tried before ES (``forecast_ss`` only, with a finite capacity): each base is replayed on the
        held-out periods and the cheapest is the base ES corrects and the gate judges
        (:func:`fit_base_utilization`). The warm start's own value is tried first, so a tie keeps it; an empty
        tuple keeps it without a search. The shipped default's 0.7 rationed a hospital warehouse that never
        filled (fill rate 0.986 against the newsvendor's 0.997) and is too loose for car parts.
    gate : str
        How the validation gate keeps the trained weights without an objective (:data:`GATE_RULES`):
        ``"interval"`` (the default) when the paired 95% bootstrap intervals over SKUs and over periods of their
        held-out cost less the base's both lie below zero, ``"total"`` when their held-out cost is lower by any
        amount (:func:`cost_verdict`).
        With an objective (KPI targets, a reward spec, an incumbent) its own rule decides
        (:data:`~hybridinv.rl.objective.OBJECTIVE_GATE_RULE`).
    workers : int
        Processes simulating the population.
    seed : int
    """

    validation: int = 12
    episode_periods: int = 24
    skus: int = 250
    population: int = 16
    sigma: float = 0.1
    learning_rate: float = 0.05
    generations: int = 400
    seeds_per_generation: int = 3
    eval_every: int = 5
    eval_seeds: tuple[int, ...] = (91, 92, 93, 94, 95, 96)
    time_limit: float = 240.0
    workers: int = 1
    harm_weight: float = 1.0
    fitted_share: float = 0.3
    range_episodes: int = 16
    warm_start: str | None = "hybrid_default"
    seed: int = 0
    parameterization: str = "forecast_ss"
    utilization_grid: tuple[float | None, ...] = UTILIZATION_GRID
    episodes: str = "bootstrap"
    gate: str = "interval"

    def __post_init__(self) -> None:
        from hybridinv.rl.adaptive import ES_PARAMETERIZATIONS

        check_es_settings(self)
        object.__setattr__(self, "utilization_grid", _utilization_grid(self.utilization_grid))
        for name in ("validation", "episode_periods", "skus", "workers", "range_episodes"):
            object.__setattr__(self, name, whole_number(getattr(self, name), name, 1))  # 12.0 is stored as 12
        number_in(self.harm_weight, "harm_weight", 0.0, math.inf)
        number_in(self.fitted_share, "fitted_share", 0.0, 1.0)
        if self.episodes not in EPISODE_KINDS:
            raise PlanningError(f"must be one of {list(EPISODE_KINDS)}", column="episodes", value=self.episodes)
        one_of(self.gate, GATE_RULES, "gate")
        if self.parameterization not in ES_PARAMETERIZATIONS:
            raise PlanningError(f"must be one of {list(ES_PARAMETERIZATIONS)}", column="parameterization",
                                value=self.parameterization)
        if self.parameterization != "forecast_ss" and self.warm_start == "hybrid_default":
            raise PlanningError(
                f"the shipped default is a forecast_ss model and cannot start a {self.parameterization} search; "
                "give warm_start=None (start from the base) or a model of that parameterization",
                column="warm_start", value=self.warm_start,
            )

    def start(self) -> tuple[NDArray[np.float64] | None, NDArray[np.bool_] | None, dict[str, float | None] | None]:
        """(weights, mask, base options) of the warm start; (None, None, None) from zero."""
        if self.warm_start is None:
            return None, None, None
        from hybridinv.rl.hybrid import Hybrid
        from hybridinv.rl.integrity import ModelFileError
        from hybridinv.rl.paths import models_directory

        # the default warm start is the shipped model, not a folder of that name in the working directory
        shipped = self.warm_start == "hybrid_default"
        agent = Hybrid.load(models_directory() / self.warm_start if shipped else self.warm_start)
        wanted = CappedHybrid if self.parameterization == "forecast_capped" else AdaptiveHybrid
        if not isinstance(agent, wanted):
            raise ModelFileError(
                f"{self.warm_start}: warm_start of a {self.parameterization} search needs a model of that "
                f"parameterization ({wanted.__name__}), got {type(agent).__name__} "
                f"({agent.composition['parameterization']})"
            )
        searched = agent.metadata.get("training", {}).get("searched")
        mask = None if searched is None else np.asarray(searched, dtype=bool)
        if mask is not None and mask.shape != agent.weights.shape:
            mask = None
        if mask is not None:
            mask = mask | (agent.weights != 0)
        return agent.weights.copy(), mask, agent.base.options()

    def es_config(self) -> ESConfig:
        return ESConfig(
            population=self.population,
            sigma=self.sigma,
            learning_rate=self.learning_rate,
            generations=self.generations,
            seeds_per_generation=self.seeds_per_generation,
            eval_every=self.eval_every,
            eval_seeds=self.eval_seeds,
            time_limit=self.time_limit,
            seed=self.seed,
        )


class _FeatureRecorder:
    """A policy wrapper that keeps the agent's feature rows of every period."""

    def __init__(self, agent: AdaptiveHybrid | CappedHybrid) -> None:
        self.agent = agent
        self.name = agent.name
        self.rows: list[NDArray[np.float64]] = []

    def act(self, obs: Any) -> NDArray[np.float64]:
        self.rows.append(self.agent.inputs(obs).sku)
        return self.agent.act(obs)


def feature_range(
    agent: AdaptiveHybrid | CappedHybrid,
    scenarios: list[tuple[Scenario, int]],
    quantiles: tuple[float, float] = (0.01, 0.99),
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Feature percentiles of ``agent`` over the given (scenario, seed) episodes."""
    from hybridinv.sim.runner import run_episode

    recorder = _FeatureRecorder(agent)
    for scenario, seed in scenarios:
        run_episode(recorder, scenario, seed)
    rows = np.vstack(recorder.rows)
    low, high = np.quantile(rows, quantiles, axis=0)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def _replay_costs(policy: Any, scenario: Scenario) -> tuple[NDArray[np.float64], dict[str, float]]:
    """Cost per period and SKU over the replay (on the scenario's cost basis; shape (periods, n)) and the KPIs."""
    from hybridinv.sim.runner import run_episode

    ledger, _ = run_episode(policy, scenario, 0, per_sku_costs=True)
    return ledger.sku_basis_costs(), ledger.summary()


def cost_verdict(trained_costs: NDArray[np.float64], base_costs: NDArray[np.float64],
                 rule: str = "interval") -> dict[str, Any]:
    """The gate's ``accepted``, ``rule`` and ``reason`` from the held-out costs per period and SKU (shape
    (periods, n)) of the trained weights and of their base (:data:`GATE_RULES`).

    ``"interval"`` keeps the weights only when the paired 95% bootstrap intervals of the difference
    (:func:`~hybridinv.bench.stats.paired_cost_intervals`, as the plan-time gate's) over SKUs (per-SKU totals)
    and over periods (per-period totals) both lie below zero: cheaper across the catalog, and in enough of the
    months that the saving is not one good month;
    ``"total"`` whenever their total is lower. The reason gives the difference in % of the base's cost with both
    intervals, so a rejected model says by how much it missed. The returned ``per_sku_difference`` and
    ``per_period_difference`` are the intervals in cost units (per SKU over the replay, per period).
    """
    one_of(rule, GATE_RULES, "gate")
    trained_costs = np.asarray(trained_costs, dtype=np.float64)
    base_costs = np.asarray(base_costs, dtype=np.float64)
    total = max(abs(float(base_costs.sum())), 1e-12)
    cheaper = bool(trained_costs.sum() < base_costs.sum())
    intervals, shown = {}, []
    for over, (mean, low, high, scale) in paired_cost_intervals(trained_costs, base_costs).items():
        intervals[over] = {"mean": mean, "low": low, "high": high, "confidence": 0.95}
        shown.append(f"[{low * scale:+.3f}, {high * scale:+.3f}] over {over}")
    text = f"{100.0 * (trained_costs.sum() - base_costs.sum()) / total:+.3f}% ({', '.join(shown)})"
    beyond_noise = all(entry["high"] < 0.0 for entry in intervals.values())
    accepted = cheaper and (rule == "total" or beyond_noise)
    if accepted:
        reason = f"the trained weights cost less than the base on the held-out periods, {text}"
    elif cheaper:
        reason = (f"the trained weights cost less than the base on the held-out periods, {text}, but not beyond the "
                  "noise (a 95% interval includes zero): the model is the base")
    else:
        reason = f"the trained weights did not beat the base on the held-out periods ({text}): the model is the base"
    return {"accepted": accepted, "rule": rule, "reason": reason, "per_sku_difference": intervals["SKUs"],
            "per_period_difference": intervals["periods"]}


def _objective_verdict(objective: TrainingObjective, agent: AdaptiveHybrid | CappedHybrid,
                       base: AdaptiveHybrid | CappedHybrid, gate: Scenario) -> dict[str, Any]:
    """The gate's ``accepted``, ``reason`` and ``objective`` report when an objective judges."""
    from hybridinv.rl.objective import objective_verdict

    return objective_verdict(objective, objective.measure(agent, gate, 0), objective.measure(base, gate, 0),
                             gate.cost_key)


def fitted_process(train: NDArray[np.float64], catalog: Catalog, season: int | None) -> DemandProcess | None:
    """The digital twin's demand process fitted on ``train`` (None when the twin cannot fit it).

    The twin (:class:`hybridinv.twin.DigitalTwin`) picks Poisson, negative binomial or an
    empirical bootstrap per SKU and tests a seasonal cycle of ``season`` periods; its process
    starts at the period after ``train``.
    """
    import pandas as pd

    from hybridinv.twin.twin import DemandMatrix, DigitalTwin, PlanningPeriod

    period = {12: PlanningPeriod.MONTH, 52: PlanningPeriod.WEEK, 7: PlanningPeriod.DAY}.get(season or 0)
    frequency = {PlanningPeriod.MONTH: "M", PlanningPeriod.WEEK: "W", PlanningPeriod.DAY: "D"}
    chosen = period or PlanningPeriod.MONTH
    matrix = DemandMatrix(
        sku=catalog.sku,
        periods=pd.period_range("2000-01-01", periods=train.shape[0], freq=frequency[chosen]),
        demand=train,
        censored=np.zeros(train.shape, dtype=bool),
        has_stock_info=False,
    )
    try:
        twin = DigitalTwin(period=chosen, level_window=min(24, train.shape[0])).fit_matrix(matrix)
        return twin.demand_process()
    except (PlanningError, ValueError, FloatingPointError):
        return None


def check_training_window(periods: int, column: str = "cutoff") -> None:
    """Refuse a training window too short for :func:`train_on_history`'s validation split.

    Raises
    ------
    PlanningError
        Naming ``column`` (``cutoff`` when a cutoff shortened the window; ``history`` or ``train``
        when the window is all there is: a short history without a cutoff blamed ``cutoff``) and the
        window's periods when fewer than :data:`MIN_TRAINING_PERIODS`.
    """
    if periods < MIN_TRAINING_PERIODS:
        raise PlanningError(
            f"the training window needs at least {MIN_TRAINING_PERIODS} periods for a validation split "
            f"(it has {periods})",
            column=column,
            value=periods,
        )


def held_out_periods(validation: int, periods: int) -> int:
    """Periods the gate holds out of a ``periods``-long window: ``validation``, at most a third of the window
    (ES needs the rest). Warns when that cuts ``validation`` (it was cut without a word)."""
    hold = min(validation, periods // 3)
    if hold < validation:
        warnings.warn(PlanningWarning(
            f"validation: {validation} held-out periods asked, {hold} held out (at most a third of the "
            f"{periods}-period training window, so that ES keeps two thirds to fit on)"), stacklevel=3)
    return hold


def _window_labels(labels: Sequence[object], hold: int) -> dict[str, list[str]]:
    """First and last label of the periods ES fits on and of the held-out ones."""
    text = [str(label) for label in labels]
    cut = len(text) - hold
    return {"fit": [text[0], text[cut - 1]], "held_out": [text[cut], text[-1]]}


def _warn_unobserved(inner: NDArray[np.float64], catalog: Catalog) -> None:
    """Warn about SKUs with no demand observed in the periods ES fits on (first sold later, or not at all), and
    refuse a window without any demand (every episode cost 0: the gate compared nothing)."""
    if not np.nansum(inner) > 0:
        raise PlanningError("the training window records no demand before its held-out periods (every quantity "
                            "is 0 or not observed)", column="train")
    unseen = np.flatnonzero(np.isnan(inner).all(axis=0))
    if unseen.size:
        names = ", ".join(str(s) for s in catalog.sku[unseen[:5]]) + (", ..." if unseen.size > 5 else "")
        warnings.warn(PlanningWarning(
            f"{unseen.size} SKU(s) have no demand observed in the {inner.shape[0]} periods ES fits on ({names}): "
            "training episodes read them as not sold; a plan forecasts them from the history it is "
            "given"), stacklevel=3)


def _training_window(train: object, catalog: object) -> NDArray[np.float64]:
    """``train`` as a float array of shape (periods, catalog SKUs), or PlanningError naming ``train`` or ``catalog``.

    A window of 8 columns for a 4-SKU catalog was numpy's broadcast error in the constraint rule, a 1-D one
    a matmul error; demand of 1e300 trained on overflowing features (the same check as the backtest's
    level search: NaN or a finite number from 0 to MAX_QUANTITY, naming the series and period).
    """
    if not isinstance(catalog, Catalog):
        raise PlanningError("must be a Catalog", column="catalog", value=type(catalog).__name__)
    return demand_window(train, catalog, "train")


def validation_split(
    y: NDArray[np.float64], catalog: Catalog, constraints: Constraints | Mapping[str, Any] | str | None,
    settings: HistoryTraining, lost_sales: bool, season: int | None, name: str,
) -> tuple[int, NDArray[np.float64], Constraints, Forecaster, Scenario]:
    """``(hold, inner, limits, forecaster, gate)`` of a training window ``y``: the periods the gate holds out, the
    window without them (what ES fits on), the limits and the forecaster fitted on it, and the exact replay of the
    held-out periods (:func:`~hybridinv.backtest.setup.evaluation_scenario`)."""
    periods = y.shape[0]
    hold = held_out_periods(settings.validation, periods)
    inner = y[: periods - hold]
    _warn_unobserved(inner, catalog)
    # limits derived from the months ES fits on: the held-out months judge the result and must not shape it
    limits, _ = resolve_constraints(constraints, inner, catalog)
    forecaster = Forecaster(season=season).fit(inner)
    gate = evaluation_scenario(y, periods - hold, catalog, limits, forecaster, lost_sales=lost_sales,
                               name=f"{name}_validation", season=season)
    return hold, inner, limits, forecaster, gate


def fit_base_utilization(
    scenario: Scenario, options: Mapping[str, float | None] | None, grid: Sequence[float | None],
) -> tuple[dict[str, float | None] | None, dict[str, Any] | None]:
    """The base options with the ``capacity_utilization`` of ``grid`` whose base (the ``forecast_ss`` hybrid with
    zero weights, as a backtest's ``hybrid_base``) costs least over the replay ``scenario``, and a report.

    ``options`` (the warm start's, None: :class:`~hybridinv.policies.forecast_ss.ForecastSS`'s defaults) keep
    their other values; their own ``capacity_utilization`` is tried first, so a tie keeps it. The report has the
    ``chosen`` value, the values ``tried`` and their ``costs`` per period on the scenario's cost basis. With an
    empty ``grid`` or a scenario without a capacity (nothing for the value to change) ``(options, None)``.
    """
    if not grid or not scenario.constraints.has_capacity:
        return None if options is None else dict(options), None
    from hybridinv.policies.forecast_ss import ForecastSS
    from hybridinv.rl.adaptive_features import zero_weights

    start = dict(options) if options is not None else dict(ForecastSS().options())
    tried = list(dict.fromkeys([start.get("capacity_utilization"), *grid]))
    costs = []
    for value in tried:
        base = AdaptiveHybrid(zero_weights(), base=ForecastSS.from_options({**start, "capacity_utilization": value}))
        costs.append(float(_replay_costs(base, scenario)[1][scenario.cost_key]))
    chosen = tried[int(np.argmin(costs))]
    return {**start, "capacity_utilization": chosen}, {"chosen": chosen, "tried": tried, "costs": costs}


def train_on_history(
    train: NDArray[np.float64],
    catalog: Catalog,
    out: str | Path | None,
    constraints: Constraints | Mapping[str, Any] | str | None = None,
    settings: HistoryTraining | None = None,
    lost_sales: bool = True,
    season: int | None = 12,
    progress: bool = False,
    name: str = "history",
    objective: TrainingObjective | None = None,
    period_labels: Sequence[object] | None = None,
) -> tuple[AdaptiveHybrid | CappedHybrid, dict[str, Any]]:
    """Train, validate and save a hybrid on the training window ``train`` (periods x SKUs, catalog order).

    Parameters
    ----------
    train : array, shape (T, n)
        The training window only (NaN = not observed).
    catalog : Catalog
    out : path, optional
        Model directory to write.
    constraints : Constraints, dict, "derive" or None
        The planner's capacity and budget, as :func:`~hybridinv.backtest.setup.resolve_constraints`
        takes them: given limits are used as given; ``None``, ``"derive"`` or a dict entry
        ``"derive"`` sizes that limit by :class:`~hybridinv.backtest.setup.ConstraintRule` from the
        months ES fits on, the window without its held-out periods (until 2026-12-06 from the whole
        window: the last 12 months the rule reads were the months the gate holds out, so their demand
        set the limits ES trained under). ES and the gate use the same limits.
    settings : HistoryTraining, optional
    lost_sales : bool
    season : int or None
        Seasonal cycle of the forecaster (12 for months).
    progress : bool
    name : str
    objective : TrainingObjective, optional
        What ES minimizes and the gate judges: a reward spec's cost, KPI targets
        (Lagrangian multipliers per generation) and a leash to an incumbent
        (:mod:`hybridinv.rl.objective`). Episodes are scored relative to the base's cost on
        the same episode, as without an objective, except for a spec with a profit term
        (its cost can be negative, so a ratio means nothing): those are scored by the
        absolute spec cost. None (or a trivial objective) is the plain average cost.
    period_labels : sequence, optional
        The label of each period of ``train`` (``2023-01``, ...): the report then names the periods ES fit on
        and the periods the gate held out (``window``), so a model says which months it has seen.

    Returns
    -------
    (AdaptiveHybrid or CappedHybrid, dict)
        The kept policy (a :class:`CappedHybrid` for ``settings.parameterization="forecast_capped"``;
        the base when the gate rejects the trained weights) and the ``validation`` report
        stored in its metadata; with an objective the report's ``objective`` entry names the
        targets, the rule, which targets trained and base meet on the held-out periods, their
        KPIs and the decision.

    Raises
    ------
    PlanningError
        When the window is too short for a validation split; naming ``train`` when it is not a
        (periods x SKUs) array of numbers with one column per catalog SKU, ``catalog`` when it is not
        a :class:`~hybridinv.Catalog`, ``constraints`` when
        :func:`~hybridinv.backtest.setup.resolve_constraints` does not read it.
    ModelFileError
        Before training, if ``out`` holds anything but an earlier model
        (:func:`~hybridinv.rl.integrity.check_model_target`).
    """
    settings = settings or HistoryTraining()
    if out is not None:
        from hybridinv.rl.integrity import check_model_target

        check_model_target(out)
    y = _training_window(train, catalog)
    periods = y.shape[0]
    check_training_window(periods, column="train")
    if period_labels is not None and len(period_labels) != periods:
        raise PlanningError(f"needs one label per period of train ({periods})", column="period_labels",
                            value=len(period_labels))
    start = time.perf_counter()
    hold, inner, limits, forecaster, gate = validation_split(y, catalog, constraints, settings, lost_sales, season,
                                                             name)
    family: HistoryFamily | ReplayFamily
    if settings.episodes == "replay":
        family = ReplayFamily(inner, catalog, limits, periods=hold, lost_sales=lost_sales, season=season, name=name)
    else:
        family = HistoryFamily(
            inner, catalog, forecaster, limits, periods=min(settings.episode_periods, inner.shape[0]),
            skus=settings.skus, lost_sales=lost_sales, season=season, name=name,
            fitted=fitted_process(inner, catalog, season), fitted_share=settings.fitted_share,
        )
    weights, mask, base_options = settings.start()
    base_search = None
    if settings.parameterization == "forecast_ss":
        base_options, base_search = fit_base_utilization(gate, base_options, settings.utilization_grid)
    objective = None if objective is None or objective.trivial else objective
    relative = objective is None or objective.spec is None or objective.spec.profit is None
    agent, result = train_adaptive(
        family, None, settings.es_config(), weights=weights, workers=settings.workers, progress=progress,
        scenario_name=name, base=base_options, relative=relative, harm_weight=settings.harm_weight, mask=mask,
        objective=objective, parameterization=settings.parameterization,
    )
    seeds = [*settings.eval_seeds, *range(1000, 1000 + settings.range_episodes)][: settings.range_episodes]
    # the trust region from the training episodes only: the gate's replay fed its quantiles too, so the gate judged
    # a model partly fitted on the periods it holds out (12,935 vs 12,898 a period on a hospital probe)
    episodes = [(family.episode(seed), seed) for seed in seeds]
    # the gate judges the model that is saved: with its trust region (it judged the agent without one,
    # whose orders differ from the saved model's)
    agent = agent.with_ranges(*feature_range(agent, episodes))
    base = agent.base_configuration()
    trained_costs, trained_kpis = _replay_costs(agent, gate)
    base_costs, base_kpis = _replay_costs(base, gate)
    costs = cost_verdict(trained_costs, base_costs, settings.gate)
    verdict = costs if objective is None else _objective_verdict(objective, agent, base, gate)
    accepted = bool(verdict["accepted"])
    # the base's orders do not depend on a trust region (zero weights correct nothing); its range is recorded
    kept = agent if accepted else base.with_ranges(*feature_range(base, episodes))
    report = {
        **verdict,
        "held_out_periods": hold,
        **({} if period_labels is None else {"window": _window_labels(period_labels, hold)}),
        "cost_basis": gate.cost_basis,
        "trained_cost_per_period": float(trained_kpis[gate.cost_key]),
        "base_cost_per_period": float(base_kpis[gate.cost_key]),
        "trained_purchase_cost_per_period": float(trained_kpis["avg_cost"]),
        "base_purchase_cost_per_period": float(base_kpis["avg_cost"]),
        "trained_fill_rate": float(trained_kpis["fill_rate"]),
        "base_fill_rate": float(base_kpis["fill_rate"]),
        "per_sku_difference": costs["per_sku_difference"],
        "per_period_difference": costs["per_period_difference"],
        **({} if base_search is None else {"base_search": base_search}),
        "bootstrap_best": result.best,
        "generations": result.generations,
        "seconds": round(time.perf_counter() - start, 1),
    }
    composition: dict[str, Any] = {key: agent.metadata[key] for key in ("parameterization", "parameter_map", "learner")
                   if key in agent.metadata}
    meta = {
        "policy": "adaptive",
        **composition,
        "action_spec": kept.metadata.get("action_spec") or agent.metadata.get("action_spec"),
        "base": kept.base_metadata(),
        "feature_range": kept.range_metadata(),
        "scenario": family.summary(),
        "reward_spec": agent.metadata.get("reward_spec"),
        "training": {
            **agent.metadata.get("training", {}),
            "kind": "history",
            "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(settings).items()},
            "forecaster": forecaster.summary(),
            "lost_sales": lost_sales,
        },
        "validation": report,
        "seed": settings.seed,
        "evaluation": agent.metadata.get("evaluation"),
    }
    kept.metadata = meta
    if out is not None:
        from hybridinv.rl.model_file import save_model

        save_model(out, kept.arrays(), meta)
    return kept, report
