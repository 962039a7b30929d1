"""Adaptive hybrid agent: a shared per-SKU linear policy corrects a forecast-driven (s, S) policy.

Each period the agent reads, for every SKU, a short feature vector ``x_i`` (all
scale-free, so one set of weights serves catalogs of any size and demand level) and
outputs four per-SKU corrections of its base policy
(:class:`~hybridinv.policies.forecast_ss.ForecastSS`):

.. math::

    (a_{i,0}, a_{i,1}, a_{i,2}, a_{i,3}) = \\tau_i\\, \\mathrm{clip}(W x_i)

* ``a_0``: log-multiplier ``m_i = e^{a_0}`` of the forecast level;
* ``a_1``: shift of the safety factor ``z_i``;
* ``a_2``: log-multiplier of the order cap;
* ``a_3``: log-multiplier of the batch (EOQ) size;

so that

.. math::

    B_i = m_i \\mu_i + (z_i + a_{i,1}) \\sqrt{m_i}\\, \\sigma_i, \\qquad
    Q_i = \\max(1, e^{a_{i,3}} \\mathrm{EOQ}_i), \\qquad r_i = e^{a_{i,2}}\\, c\\,(m_i f_i + \\sqrt{m_i}\\, s_i)

and the desired orders (up to ``B_i - 1 + Q_i`` when the position is below ``B_i``, at
most ``max(r_i, Q_i)``) pass the repair layer, so every executed order is feasible.
``W = 0`` is exactly the base policy.

**Trust** ``tau_i``: a model file records the range of every feature seen in training
(1st and 99th percentiles). A SKU whose features leave that range gets its
corrections shrunk towards the base: ``tau_i = clip(1 - d_i / trust_width, 0, 1)``
with ``d_i`` the largest excess of a feature beyond its range, in units of the
range's width. Without recorded ranges ``tau = 1``.

The features (:data:`ADAPTIVE_FEATURES`): a bias; the base safety factor; the
forecast's coefficient of variation ``s / f``; the share of the last 13 periods
without demand (periods before the recorded history count with the Poisson
probability ``e^{-f}``); the lead time; the drift of demand against its forecast
over the last 4, 13 and 52 periods (:func:`drift`, zero without a forecast history);
the forecast trend; the inventory position against the forecast over the protection
interval, ``(IP - mu) / (mu + sigma)``; the pooled warehouse and budget loads; the
periods of demand one EOQ batch covers; whether unmet demand is backordered (1) or lost (0);
and ``space_z``, how far a strong price of warehouse space would lower the SKU's safety factor
(0 without a capacity; :func:`space_z`).

In the composition of :class:`~hybridinv.rl.hybrid.Hybrid` this is the ``forecast_ss``
parameterization (:class:`~hybridinv.rl.parameterizations.ForecastSSTargets`) with a
``linear`` map (:class:`~hybridinv.rl.maps.LinearMap`, output bounds and trust region)
trained by ES; :class:`AdaptiveHybrid` (defined in :mod:`hybridinv.rl.hybrid`, re-exported
here) builds that configuration. The features live in :mod:`hybridinv.rl.adaptive_features`.
Training (:func:`train_adaptive`, :mod:`hybridinv.rl.history`) is evolution strategies
on the simulated cost (:func:`hybridinv.rl.es.evolve`).

References
----------
Mania, H., Guy, A. and Recht, B. (2018). Simple random search of static linear policies is
competitive for reinforcement learning. *NeurIPS*.
Salimans, T., Ho, J., Chen, X., Sidor, S. and Sutskever, I. (2017). Evolution strategies as a
scalable alternative to reinforcement learning. arXiv:1703.03864.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.policies.forecast_ss import ForecastSS
from hybridinv.policies.rq import ForecastCappedBaseStock
from hybridinv.rl.adaptive_features import (
    ADAPTIVE_ACTION_SPEC,
    ADAPTIVE_FEATURES,
    ADAPTIVE_OUTPUTS,
    ADAPTIVE_VERSION,
    DRIFT_PRIOR,
    DRIFT_WINDOWS,
    INTERMITTENCY_WINDOW,
    OUTPUT_BOUNDS,
    SPACE_Z_PRICE,
    TRUST_WIDTH,
    action_spec,
    adaptive_features,
    drift,
    intermittency,
    space_z,
    zero_weights,
)
from hybridinv.rl.es import evolve_model, policy_cost_function
from hybridinv.rl.hybrid import AdaptiveHybrid, CappedHybrid
from hybridinv.rl.parameterizations import CAPPED_OUTPUTS

if TYPE_CHECKING:
    from hybridinv.rl.es import ESConfig, ESResult
    from hybridinv.rl.objective import TrainingObjective

__all__ = [
    "ADAPTIVE_ACTION_SPEC",
    "ADAPTIVE_FEATURES",
    "ADAPTIVE_OUTPUTS",
    "ADAPTIVE_VERSION",
    "DRIFT_PRIOR",
    "DRIFT_WINDOWS",
    "INTERMITTENCY_WINDOW",
    "OUTPUT_BOUNDS",
    "SPACE_Z_PRICE",
    "TRUST_WIDTH",
    "ES_PARAMETERIZATIONS",
    "AdaptiveHybrid",
    "CappedHybrid",
    "action_spec",
    "adaptive_features",
    "drift",
    "intermittency",
    "space_z",
    "train_adaptive",
    "zero_weights",
]

#: The parameterizations :func:`train_adaptive` trains (a linear map on the adaptive features).
ES_PARAMETERIZATIONS: tuple[str, ...] = ("forecast_ss", "forecast_capped")


def train_adaptive(
    scenario: Any,
    out: str | Path | None,
    config: ESConfig,
    weights: ArrayLike | None = None,
    periods: int | None = None,
    workers: int = 1,
    progress: bool = False,
    scenario_name: str | None = None,
    base: dict[str, float | None] | None = None,
    relative: bool = False,
    harm_weight: float = 0.0,
    mask: NDArray[np.bool_] | None = None,
    objective: TrainingObjective | None = None,
    parameterization: str = "forecast_ss",
) -> tuple[AdaptiveHybrid | CappedHybrid, ESResult]:
    """Train an :class:`AdaptiveHybrid` (or a :class:`CappedHybrid`) by ES on ``scenario`` (a Scenario or a family).

    Starts from ``weights`` (default: zero, the base policy) and keeps the weights with the
    best cost on ``config.eval_seeds``; the model directory is rewritten whenever that cost
    improves (checkpoints: an interrupted run keeps its best model). ``base`` overrides the
    base policy's options. ``relative=True`` scores every episode by its cost over the base
    policy's on the same episode (the base: all weights zero, whatever the start; for
    families whose episodes differ in size; costs in the result are then ratios, 1 = the
    base), and ``harm_weight`` ``k`` makes the score of an
    episode ``r + k max(r - 1, 0)``: an episode the corrections make worse than the base
    counts ``1 + k`` times, so ES prefers corrections that help everywhere to ones that
    trade losses on some catalogs for gains on others. ``mask`` (shape of the weights) limits
    the search to the weights where it is True (the others stay at their start).
    ``objective`` (:class:`~hybridinv.rl.objective.TrainingObjective`) trains for a reward
    spec's cost, KPI targets (Lagrangian multipliers updated every generation; the kept
    weights are the best *feasible* ones on the validation seeds) and a leash to an incumbent.
    ``parameterization`` (:data:`ES_PARAMETERIZATIONS`): ``"forecast_ss"`` trains the four
    corrections of the forecast-driven (s, S) (the shipped default's form), ``"forecast_capped"``
    the two of the forecast capped base-stock (:class:`CappedHybrid`; ``base`` then holds
    :class:`~hybridinv.policies.rq.ForecastCappedBaseStock` options).
    """
    if parameterization not in ES_PARAMETERIZATIONS:
        raise ValueError(f"parameterization must be one of {ES_PARAMETERIZATIONS}, got {parameterization!r}")
    outputs = ADAPTIVE_OUTPUTS if parameterization == "forecast_ss" else CAPPED_OUTPUTS
    shape = (len(outputs), len(ADAPTIVE_FEATURES))
    start = (np.zeros(shape) if weights is None else np.asarray(weights, dtype=np.float64)).reshape(shape)
    searched = np.ones(shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool).reshape(shape)
    theta0 = start[searched]
    member = _Member(parameterization, base, start, searched)
    reference = member.base_policy()
    spec = {"policy": "adaptive", "action_spec": action_spec(), **reference.parameterization.metadata(),
            "parameterization": parameterization, "parameter_map": "linear", "learner": "es"}
    meta, result = evolve_model(
        scenario,
        out,
        config,
        policy_cost_function(scenario, member, periods, workers, reference if relative else None, harm_weight,
                             objective),
        theta0,
        lambda theta: member(theta).arrays(),
        spec,
        {"policy": "adaptive", "start_weights": start.tolist(), "searched": searched.tolist()},
        periods,
        workers,
        progress,
        scenario_name,
        objective,
    )
    policy = member(result.theta)
    policy.metadata = meta
    return policy, result


class _Member:
    """``theta -> AdaptiveHybrid`` or ``CappedHybrid``: the searched weights from ``theta``, the others from
    ``start`` (picklable)."""

    def __init__(self, parameterization: str, base: dict[str, Any] | None, start: NDArray[np.float64],
                 searched: NDArray[np.bool_]) -> None:
        self.capped = parameterization == "forecast_capped"
        self.base = dict(base or (ForecastCappedBaseStock().options() if self.capped else ForecastSS().options()))
        self.start = start
        self.searched = searched

    def __call__(self, theta: NDArray[np.float64]) -> AdaptiveHybrid | CappedHybrid:
        weights = self.start.copy()
        weights[self.searched] = theta
        return self.configuration(weights)

    def base_policy(self) -> AdaptiveHybrid | CappedHybrid:
        """The configuration with all weights zero: the base policy."""
        return self.configuration(np.zeros_like(self.start))

    def configuration(self, weights: NDArray[np.float64]) -> AdaptiveHybrid | CappedHybrid:
        if self.capped:
            return CappedHybrid(weights, ForecastCappedBaseStock.from_options(self.base))
        return AdaptiveHybrid(weights, ForecastSS.from_options(self.base))
