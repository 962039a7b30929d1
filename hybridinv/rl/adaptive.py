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

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.policies.base import Decision, TargetPolicy
from hybridinv.policies.forecast_ss import ForecastSS

if TYPE_CHECKING:
    from hybridinv.rl.es import ESConfig, ESResult
    from hybridinv.rl.model_file import ModelFile
    from hybridinv.rl.objective import TrainingObjective
    from hybridinv.sim.observation import Observation

__all__ = [
    "ADAPTIVE_ACTION_SPEC",
    "ADAPTIVE_FEATURES",
    "ADAPTIVE_OUTPUTS",
    "ADAPTIVE_VERSION",
    "AdaptiveHybrid",
    "adaptive_features",
    "drift",
    "train_adaptive",
]

#: Version of the feature and output definitions (stored in model files, checked on load).
ADAPTIVE_VERSION = 2
#: Windows (periods) of the demand-drift features.
DRIFT_WINDOWS: tuple[int, ...] = (4, 13, 52)
#: Prior weight of the drift estimates, in periods of the mean forecast.
DRIFT_PRIOR = 4.0
#: Periods over which the share of periods without demand is measured.
INTERMITTENCY_WINDOW = 13
ADAPTIVE_FEATURES: tuple[str, ...] = (
    "bias",
    "safety_z",
    "variability",
    "intermittency",
    "lead_time",
    *(f"drift_{w}" for w in DRIFT_WINDOWS),
    "trend",
    "position",
    "capacity_load",
    "budget_load",
    "batch_cover",
    "backorders",
    "space_z",
)
ADAPTIVE_OUTPUTS: tuple[str, ...] = (
    "log_forecast_multiplier",
    "safety_shift",
    "log_cap_multiplier",
    "log_batch_multiplier",
)
#: Bounds of the four outputs.
OUTPUT_BOUNDS = np.array([[-0.3, -1.5, -1.0, -2.0], [0.3, 1.5, 1.0, 1.5]])
#: Written to the model file's ``action_spec``.
ADAPTIVE_ACTION_SPEC: dict[str, Any] = {
    "kind": "adaptive",
    "adaptive_version": ADAPTIVE_VERSION,
    "features": list(ADAPTIVE_FEATURES),
    "per_sku": list(ADAPTIVE_OUTPUTS),
    "mapping": "hybridinv.rl.adaptive.AdaptiveHybrid.parameters",
}
#: Excess (in range widths) at which the corrections are shrunk to zero.
TRUST_WIDTH = 0.5
#: Relative space price of the ``space_z`` feature (a strong price: 20 x the typical holding cost per volume).
SPACE_Z_PRICE = 20.0


def drift(obs: Observation, window: int, prior: float = DRIFT_PRIOR) -> NDArray[np.float64]:
    """Shrunk log ratio of realized to forecast demand over the last ``window`` periods, shape (n,).

    ``log((D + k f) / (F + k f))`` with ``D``, ``F`` the realized and forecast demand of
    the window, ``f = F / window`` and ``k = prior``; zero when no forecast history is
    available. The prior keeps a short, noisy window from claiming a large drift:
    demand 30 against a forecast of 20 over 4 periods gives ``log(50 / 40) = 0.22``,
    not ``log(1.5) = 0.41``.
    """
    forecast = obs.forecast_history(window)
    if forecast is None:
        return np.zeros(obs.n_skus)
    realized = obs.demand_history(window).sum(axis=1)
    planned = forecast.sum(axis=1)
    pseudo = prior * planned / window + 1e-9
    return np.asarray(np.log((realized + pseudo) / (planned + pseudo)), dtype=np.float64)


def intermittency(obs: Observation, window: int = INTERMITTENCY_WINDOW) -> NDArray[np.float64]:
    """Share of the last ``window`` periods without demand, per SKU.

    Periods before the recorded history count with the Poisson probability of no
    demand at next period's forecast, ``e^{-f}``.
    """
    recorded = min(obs.observed_periods, window)
    padded = window - recorded
    zeros = np.zeros(obs.n_skus)
    if recorded:
        zeros += (obs.demand_history(recorded) <= 0.0).sum(axis=1)
    if padded:
        zeros += padded * np.exp(-np.maximum(obs.forecast(1)[:, 0], 0.0))
    return zeros / window


def adaptive_features(obs: Observation, base: ForecastSS, safety: NDArray[np.float64]) -> NDArray[np.float64]:
    """The feature matrix of :data:`ADAPTIVE_FEATURES`, shape (n, k).

    ``safety`` is the base policy's safety factor per SKU (the ``safety_z`` feature).
    """
    cat = obs.catalog
    n = obs.n_skus
    mean, std = obs.protection_forecast()
    periods = cat.lead_time + 1.0
    per_period = mean / periods
    nxt = obs.forecast(1)[:, 0]
    spread = obs.forecast_std(1)[:, 0]
    column = {name: k for k, name in enumerate(ADAPTIVE_FEATURES)}
    feats = np.zeros((n, len(ADAPTIVE_FEATURES)))
    feats[:, column["bias"]] = 1.0
    feats[:, column["safety_z"]] = np.clip(safety, -3.0, 3.0)
    feats[:, column["variability"]] = np.clip(spread / np.maximum(nxt, 1e-6), 0.0, 4.0)
    feats[:, column["intermittency"]] = intermittency(obs)
    feats[:, column["lead_time"]] = np.clip(cat.lead_time / 4.0, 0.0, 3.0)
    for window in DRIFT_WINDOWS:
        feats[:, column[f"drift_{window}"]] = np.clip(drift(obs, window), -2.0, 2.0)
    feats[:, column["trend"]] = np.clip(np.log((nxt + 1e-6) / (per_period + 1e-6)), -2.0, 2.0)
    cover = np.maximum(mean + std, 1e-6)
    feats[:, column["position"]] = np.clip((obs.inventory_position - mean) / cover, -2.0, 2.0)
    cons = obs.constraints
    if math.isfinite(cons.capacity):
        stock = obs.on_hand + obs.pipeline.sum(axis=1)
        feats[:, column["capacity_load"]] = np.clip(float(cat.volume @ stock) / cons.capacity - 1.0, -1.0, 2.0)
    if math.isfinite(cons.budget):
        load = float(cat.unit_cost @ per_period) / cons.budget - 1.0
        feats[:, column["budget_load"]] = np.clip(load, -1.0, 2.0)
    batch = base.economic_batch(obs, per_period)
    feats[:, column["batch_cover"]] = np.clip(np.log1p(batch / np.maximum(per_period, 1e-6)), 0.0, 5.0)
    feats[:, column["backorders"]] = 0.0 if obs.lost_sales else 1.0
    feats[:, column["space_z"]] = space_z(obs)
    return feats


def space_z(obs: Observation, price: float = SPACE_Z_PRICE) -> NDArray[np.float64]:
    """How far a strong price of warehouse space would lower each SKU's safety factor (0 without capacity).

    ``Phi^{-1}(m / (m + h)) - Phi^{-1}(m / (m + h + lambda v))`` with ``lambda = price * median(h / v)``
    (:func:`hybridinv.policies.forecast_ss.space_cost`): large for bulky, low-margin SKUs. A learned
    weight on it sets how strongly space is priced per SKU; clipped to [0, 3].
    """
    if not obs.constraints.has_capacity:
        return np.zeros(obs.n_skus)
    from scipy.special import ndtri

    from hybridinv.policies.forecast_ss import FRACTILE_BOUNDS, safety_fractile

    free = ndtri(np.clip(safety_fractile(obs.catalog, 0.0, obs.lost_sales), *FRACTILE_BOUNDS))
    priced = ndtri(np.clip(safety_fractile(obs.catalog, price, obs.lost_sales), *FRACTILE_BOUNDS))
    return np.asarray(np.clip(free - priced, 0.0, 3.0), dtype=np.float64)


class AdaptiveHybrid(TargetPolicy):
    """Shared per-SKU linear corrections of the forecast-driven (s, S) policy, then the repair layer.

    Parameters
    ----------
    weights : array, shape (4, len(ADAPTIVE_FEATURES))
        Output ``j`` is ``clip(weights[j] @ x_i)`` (see the module notes).
    base : ForecastSS, optional
        The base policy (its options; it runs with this agent's ``repair``). Default options
        when None.
    feature_low, feature_high : arrays, optional
        Feature range seen in training (trust region); None: corrections never shrink.
    trust_width : float
        Excess beyond the range (in range widths) at which corrections reach zero.
    repair : str or None, default "fast"
    metadata : dict, optional
        The model file's metadata.
    name : str, default "hybrid"
    """

    name = "hybrid"

    def __init__(
        self,
        weights: ArrayLike,
        base: ForecastSS | None = None,
        feature_low: ArrayLike | None = None,
        feature_high: ArrayLike | None = None,
        trust_width: float = TRUST_WIDTH,
        repair: str | None = "fast",
        metadata: dict[str, Any] | None = None,
        name: str = "hybrid",
    ) -> None:
        super().__init__(repair=repair)
        self.weights = np.asarray(weights, dtype=np.float64)
        shape = (len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES))
        if self.weights.shape != shape:
            raise ValueError(f"weights must have shape {shape}, got {self.weights.shape}")
        if not np.isfinite(self.weights).all():
            raise ValueError("weights must be finite")
        self.base = ForecastSS.from_options({} if base is None else base.options(), repair=repair)
        if (feature_low is None) != (feature_high is None):
            raise ValueError("give both feature_low and feature_high, or neither")
        self.feature_low = None if feature_low is None else np.asarray(feature_low, dtype=np.float64)
        self.feature_high = None if feature_high is None else np.asarray(feature_high, dtype=np.float64)
        for bound in (self.feature_low, self.feature_high):
            if bound is not None and (bound.shape != (len(ADAPTIVE_FEATURES),) or not np.isfinite(bound).all()):
                raise ValueError(f"feature ranges must be {len(ADAPTIVE_FEATURES)} finite values")
        if not trust_width > 0:
            raise ValueError("trust_width must be > 0")
        self.trust_width = float(trust_width)
        self.metadata = dict(metadata or {})
        self.name = name

    @classmethod
    def from_model(cls, model: ModelFile, repair: str | None = "fast", name: str | None = None) -> AdaptiveHybrid:
        """Rebuild from a loaded adaptive model file.

        Raises
        ------
        ModelFileError
            If the weights are missing or their features differ from this version's.
        """
        from hybridinv.rl.model_file import ModelFileError

        arrays = model.arrays
        if "weights" not in arrays:
            raise ModelFileError(f"{model.path}: adaptive model without the array 'weights'")
        spec = model.metadata.get("action_spec", {})
        features, outputs = spec.get("features"), spec.get("per_sku")
        if features != list(ADAPTIVE_FEATURES) or outputs != list(ADAPTIVE_OUTPUTS):
            raise ModelFileError(
                f"{model.path}: adaptive model for features {features} and outputs {outputs}; this version reads "
                f"{list(ADAPTIVE_FEATURES)} -> {list(ADAPTIVE_OUTPUTS)} (retrain it with hybridinv train)"
            )
        ranges = model.metadata.get("feature_range") or {}
        try:
            return cls(
                arrays["weights"],
                base=ForecastSS.from_options(dict(model.metadata.get("base", {}))),
                feature_low=ranges.get("low"),
                feature_high=ranges.get("high"),
                trust_width=float(ranges.get("trust_width", TRUST_WIDTH)),
                repair=repair,
                metadata=model.metadata,
                name=name or "hybrid",
            )
        except (TypeError, ValueError, PlanningError) as exc:
            raise ModelFileError(f"{model.path}: invalid adaptive model ({exc})") from exc

    def arrays(self) -> dict[str, NDArray[np.float64]]:
        """The parameter arrays written to ``policy.npz``."""
        return {"weights": self.weights}

    def base_metadata(self) -> dict[str, float]:
        """The base policy's options (stored in the model file)."""
        return self.base.options()

    def range_metadata(self) -> dict[str, Any] | None:
        """The trust region (stored in the model file's ``feature_range``)."""
        if self.feature_low is None or self.feature_high is None:
            return None
        return {
            "low": self.feature_low.tolist(),
            "high": self.feature_high.tolist(),
            "trust_width": self.trust_width,
        }

    def with_ranges(self, low: ArrayLike | None, high: ArrayLike | None) -> AdaptiveHybrid:
        """A copy with another trust region (None, None: none)."""
        return AdaptiveHybrid(
            self.weights, self.base, low, high, self.trust_width, self.repair, self.metadata, self.name
        )

    def features(self, obs: Observation, safety: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """The feature matrix of ``obs`` (see :func:`adaptive_features`)."""
        return adaptive_features(obs, self.base, self.base.safety(obs) if safety is None else safety)

    def trust(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """The per-SKU trust ``tau_i`` of feature rows ``x`` (1 without a recorded range)."""
        if self.feature_low is None or self.feature_high is None:
            return np.ones(x.shape[0])
        width = np.maximum(self.feature_high - self.feature_low, 1e-6)
        excess = np.maximum(np.maximum(self.feature_low - x, x - self.feature_high), 0.0) / width
        return np.asarray(np.clip(1.0 - excess.max(axis=1) / self.trust_width, 0.0, 1.0), dtype=np.float64)

    def outputs(self, obs: Observation, safety: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """The per-SKU corrections ``(a_0, a_1, a_2, a_3)`` after the trust shrinkage, shape (n, 4)."""
        x = self.features(obs, safety)
        a = np.clip(x @ self.weights.T, OUTPUT_BOUNDS[0], OUTPUT_BOUNDS[1])
        return np.asarray(a * self.trust(x)[:, None], dtype=np.float64)

    def parameters(self, obs: Observation) -> Any:
        """This period's :class:`~hybridinv.policies.forecast_ss.Targets` with the learned corrections."""
        safety = self.base.safety(obs)
        a = self.outputs(obs, safety)
        return self.base.parameters(
            obs,
            safety=safety,
            multiplier=np.exp(a[:, 0]),
            safety_shift=a[:, 1],
            cap_multiplier=np.exp(a[:, 2]),
            batch_multiplier=np.exp(a[:, 3]),
        )

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        plan = self.parameters(obs)
        return plan.reorder_point, plan.order_up_to

    def decide(self, obs: Observation) -> Decision:
        return self.base.decide_with(obs, self.parameters(obs))

    def __repr__(self) -> str:
        return f"AdaptiveHybrid(weights={np.round(self.weights, 3).tolist()}, repair={self.repair!r})"


def zero_weights() -> NDArray[np.float64]:
    """Weights of the base policy itself (no correction)."""
    return np.zeros((len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES)))


def action_spec() -> dict[str, Any]:
    """The ``action_spec`` entry of an adaptive model's metadata."""
    from hybridinv.envs.actions import ACTION_VERSION

    return {"version": int(ACTION_VERSION), **ADAPTIVE_ACTION_SPEC}


def train_adaptive(
    scenario: Any,
    out: str | Path | None,
    config: ESConfig,
    weights: ArrayLike | None = None,
    periods: int | None = None,
    workers: int = 1,
    progress: bool = False,
    scenario_name: str | None = None,
    base: dict[str, float] | None = None,
    relative: bool = False,
    harm_weight: float = 0.0,
    mask: NDArray[np.bool_] | None = None,
    objective: TrainingObjective | None = None,
) -> tuple[AdaptiveHybrid, ESResult]:
    """Train an :class:`AdaptiveHybrid` by ES on ``scenario`` (a Scenario or a scenario family).

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
    """
    from hybridinv.rl.es import evolve_model, policy_cost_function

    shape = (len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES))
    start = (zero_weights() if weights is None else np.asarray(weights, dtype=np.float64)).reshape(shape)
    searched = np.ones(shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool).reshape(shape)
    theta0 = start[searched]
    member = _Member(base or ForecastSS().options(), start, searched)
    spec = {"policy": "adaptive", "action_spec": action_spec(), "base": member.base}
    meta, result = evolve_model(
        scenario,
        out,
        config,
        policy_cost_function(
            scenario, member, periods, workers,
            AdaptiveHybrid(zero_weights(), ForecastSS.from_options(member.base)) if relative else None, harm_weight,
            objective,
        ),
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
    """``theta -> AdaptiveHybrid``: the searched weights from ``theta``, the others from ``start`` (picklable)."""

    def __init__(self, base: dict[str, float], start: NDArray[np.float64], searched: NDArray[np.bool_]) -> None:
        self.base = base
        self.start = start
        self.searched = searched

    def __call__(self, theta: NDArray[np.float64]) -> AdaptiveHybrid:
        weights = self.start.copy()
        weights[self.searched] = theta
        return AdaptiveHybrid(weights, ForecastSS.from_options(self.base))
