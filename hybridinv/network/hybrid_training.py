"""Training the network hybrid by evolution strategies, relative to its base policy.

:func:`repaired_echelon_levels` fits the base: echelon base-stock whose decisions pass the
network repair (fast backend, the stores' mean demand as the expected demand of its capacity
rows: :func:`~hybridinv.network.hybrid.scenario_repair`), levels from
:func:`~hybridinv.network.baselines.fit_levels` on the tuning seeds. :class:`NetworkHybridCost`
measures weight vectors the way the adaptive trainer does
(:func:`hybridinv.rl.es.policy_cost_function`): each member and seed is simulated on the same
demand path (common random numbers), its ``avg_cost`` (or another ``metric``:
``cost_above_goods`` compares the cost above the goods' value, which that value does not dilute)
divided by the base policy's on that path (cached), plus ``harm_weight * max(ratio - 1, 0)``.
:func:`train_network_hybrid` runs :func:`hybridinv.rl.es.evolve` from zero weights (the base), so
the result is never worse than the base on the validation seeds.

Seeds: training paths use ``TRAIN_SEED_OFFSET + s`` for the generator's draws ``s`` and the
validation seeds are ``20_001...``; the evaluation seeds of the benchmark (``0..k-1``) and the
tuning seeds of the levels (``1000, 1001``) are never trained on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, number_in
from hybridinv.network.baselines import check_fit_metric, fit_levels
from hybridinv.network.hybrid import NetworkHybrid, scenario_repair
from hybridinv.network.policies import EchelonBaseStock
from hybridinv.network.scenarios import NetworkScenario
from hybridinv.rl.es import ESConfig, ESResult, evolve, harm_penalized

__all__ = [
    "NetworkHybridCost",
    "TRAIN_SEED_OFFSET",
    "VALIDATION_SEEDS",
    "repaired_echelon_levels",
    "repaired_echelon_policy",
    "train_network_hybrid",
]

#: Added to the training seeds drawn by ES (keeps them above every evaluation and tuning seed).
TRAIN_SEED_OFFSET = 1_000_000
#: Validation seeds of the ES runs (best mean weights kept).
VALIDATION_SEEDS: tuple[int, ...] = (20_001, 20_002)


def repaired_echelon_policy(scenario: NetworkScenario, levels: NDArray[np.float64]) -> EchelonBaseStock:
    """Echelon base-stock at ``levels`` whose decisions pass the network repair (:func:`scenario_repair`)."""
    return EchelonBaseStock(scenario.network, levels, name="echelon_repair", repair=scenario_repair(scenario))


def repaired_echelon_levels(scenario: NetworkScenario, tuning_periods: int | None = None,
                            **fit: Any) -> NDArray[np.float64]:
    """Fitted echelon levels of the repaired echelon base-stock (tuning seeds 1000 and 1001).

    ``fit`` goes to :func:`~hybridinv.network.baselines.fit_levels` (``metric``, ``grid``, ``store_shifts``).
    """
    levels, _ = fit_levels(scenario, lambda lv: repaired_echelon_policy(scenario, lv), periods=tuning_periods,
                           **fit)
    return levels


def _episode_summary(policy: Any, scenario: NetworkScenario, seed: int, periods: int | None) -> dict[str, float]:
    path = scenario.demand_path(seed, periods)
    ledger = scenario.simulator(periods=path.shape[0] if periods is not None else None).run(policy, path)
    return ledger.summary()


class NetworkHybridCost:
    """``cost(thetas, seeds)``: mean relative cost of each weight vector over the seeds.

    Parameters
    ----------
    hybrid : NetworkHybrid
        Template (scenario, base levels, repair); its weights are replaced by each ``theta``.
    periods : int, optional
        Episode horizon (default the scenario's; a shorter one keeps at most a quarter as warm-up).
    harm_weight : float
        Penalty per unit of relative cost above the base, a finite number >= 0 (a negative one or NaN
        rewarded harm: a policy worse than the base scored better than it; PlanningError).
    seed_offset : int
        Added to every seed not in ``fixed_seeds`` (training seeds are drawn from ``[0, 2^31)``).
    fixed_seeds : sequence of int
        Seeds used as given (the validation seeds).
    metric : str
        The cost compared (:data:`~hybridinv.network.baselines.FIT_METRICS`): ``avg_cost``, or
        ``cost_above_goods``, whose ratios are not diluted by the value of the goods every
        policy buys alike (it must be positive on the base's episodes).
    """

    def __init__(self, hybrid: NetworkHybrid, periods: int | None = None, harm_weight: float = 1.0,
                 seed_offset: int = 0, fixed_seeds: Sequence[int] = (), metric: str = "avg_cost") -> None:
        self.metric = check_fit_metric(metric)
        self.hybrid = hybrid
        self.fixed_seeds = frozenset(int(s) for s in fixed_seeds)
        self.periods = periods
        self.harm_weight = number_in(harm_weight, "harm_weight", 0.0, math.inf)  # as rl.history's ESConfig
        self.seed_offset = int(seed_offset)
        self.base = repaired_echelon_policy(hybrid.scenario, np.asarray(hybrid.base_levels))
        self._base_cost: dict[int, float] = {}
        self._last: tuple[float, float] | None = None

    def relative_cost(self, policy: Any, seed: int) -> float:
        """Cost of any network policy on ``seed`` over the base's, plus the harm penalty."""
        return self._measure(policy, seed)[0]

    def _measure(self, policy: Any, seed: int) -> tuple[float, float]:
        """``(relative cost with the harm penalty, the policy's own avg_cost per period)`` on ``seed``."""
        scenario = self.hybrid.scenario
        path_seed = int(seed) if int(seed) in self.fixed_seeds else int(seed) + self.seed_offset
        if path_seed not in self._base_cost:
            base = float(_episode_summary(self.base, scenario, path_seed, self.periods)[self.metric])
            if base <= 0:
                raise PlanningError("the base's cost must be positive to compare ratios", column="metric",
                                    value=f"{self.metric}={base:.6g} on seed {path_seed}")
            self._base_cost[path_seed] = base
        summary = _episode_summary(policy, scenario, path_seed, self.periods)
        ratio = float(summary[self.metric]) / self._base_cost[path_seed]
        return harm_penalized(ratio, self.harm_weight), float(summary["avg_cost"])

    def __call__(self, thetas: NDArray[np.float64], seeds: Sequence[int]) -> NDArray[np.float64]:
        members = np.atleast_2d(thetas)
        measured = np.array([[self._measure(self.hybrid.with_weights(theta), int(s)) for s in seeds]
                             for theta in members]).mean(axis=1)
        if len(members) == 1:  # a validation: describe() reports it
            self._last = (float(measured[0, 0]), float(measured[0, 1]))
        return measured[:, 0]

    def describe(self) -> dict[str, float]:
        """The last single-member call: ``cost`` (relative, what ES minimizes) and the real ``avg_cost``."""
        return {} if self._last is None else {"cost": self._last[0], "avg_cost": self._last[1]}


def train_network_hybrid(
    scenario: NetworkScenario,
    base_levels: NDArray[np.float64],
    config: ESConfig | None = None,
    periods: int | None = None,
    harm_weight: float = 1.0,
    metric: str = "avg_cost",
) -> tuple[NetworkHybrid, ESResult]:
    """Train the hybrid's weights by ES from zero (the base), relative cost with the harm penalty.

    Parameters
    ----------
    scenario : NetworkScenario
    base_levels : array (locations, SKUs)
        Echelon levels of the base (e.g. :func:`repaired_echelon_levels`).
    config : ESConfig, optional
        Its ``eval_seeds`` are replaced by :data:`VALIDATION_SEEDS`.
    periods : int, optional
        Training horizon.
    harm_weight : float
        Penalty per unit of relative cost above the base, a finite number >= 0.
    metric : str
        The cost whose ratio to the base's is minimised (:class:`NetworkHybridCost`).

    Returns
    -------
    (NetworkHybrid with the best validated weights, ESResult)
    """
    from dataclasses import replace

    config = replace(config or ESConfig(population=8, sigma=0.1, learning_rate=0.05, generations=30,
                                        seeds_per_generation=1, eval_every=5), eval_seeds=VALIDATION_SEEDS)
    template = NetworkHybrid(scenario, base_levels)
    cost = NetworkHybridCost(template, periods, harm_weight, TRAIN_SEED_OFFSET, VALIDATION_SEEDS, metric)
    theta0 = np.zeros(np.asarray(template.weights).size)
    result = evolve(cost, theta0, config)
    return template.with_weights(result.theta), result
