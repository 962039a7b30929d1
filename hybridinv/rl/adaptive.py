"""Adaptive hybrid agent: a shared per-SKU linear policy corrects the forecast capped base-stock.

Each period the agent reads, for every SKU, a short feature vector ``x_i`` (all in
demand-scale units, so one set of weights serves catalogs of any size) and the
pooled context of the catalog, and outputs three per-SKU policy parameters

.. math::

    (a_{i,0}, a_{i,1}, a_{i,2}) = \\mathrm{clip}(W x_i)

* ``a_0``: log-multiplier ``m_i = e^{a_0}`` of the demand forecast (the agent's
  correction of the forecast level from the demand history);
* ``a_1``: shift of the safety factor ``z_i``;
* ``a_2``: log-multiplier of the order cap.

These are the parameters of a forecast capped base-stock policy
(:class:`~hybridinv.policies.rq.ForecastCappedBaseStock`):

.. math::

    S_i = m_i\\,\\mu_i(L_i+1) + (z_i + a_{i,1})\\,\\sqrt{m_i}\\,\\sigma_i(L_i+1), \\qquad
    r_i = e^{a_{i,2}}\\, c\\,(m_i f_i + \\sqrt{m_i}\\, s_i), \\qquad
    q_i = \\lceil \\min(\\max(S_i - IP_i, 0), r_i) \\rceil

and the desired orders ``q`` pass the repair layer (shortfall-weighted priorities on
the corrected forecast), so every executed order is feasible. ``W = 0`` is exactly
the forecast capped base-stock with capacity-priced safety factors.

The features (:data:`ADAPTIVE_FEATURES`) include how far realized demand has drifted
from its forecast over the last 4, 13, 26 and 52 periods
(``log((D_W + k f) / (F_W + k f))``, ``D_W`` and ``F_W`` the realized and forecast
demand of the window, shrunk towards 0 with a prior of ``k`` periods of the mean
forecast ``f``), where the stock position stands in forecast standard deviations,
the SKU's demand variability, lead time and forecast trend, and the pooled
warehouse and budget loads. The forecast in the simulator is the forecastable
mean (seasonality, promotions), blind to unannounced regime shifts; when the
agent plans without a forecast history (:func:`hybridinv.plan` without
``forecast_history``), the drift features are zero and the correction comes from
the other features only.

Training (:func:`train_adaptive`) is evolution strategies on the simulated cost
(:func:`hybridinv.rl.es.evolve`), which suits a policy with few parameters
and a cost that is only available by simulation.

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

from hybridinv.policies.base import Decision, TargetPolicy
from hybridinv.policies.rq import ForecastCappedBaseStock, capped_orders, shortfall_weights

if TYPE_CHECKING:
    from hybridinv.rl.es import ESConfig, ESResult
    from hybridinv.rl.model_file import ModelFile
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "ADAPTIVE_ACTION_SPEC",
    "ADAPTIVE_FEATURES",
    "ADAPTIVE_OUTPUTS",
    "AdaptiveHybrid",
    "adaptive_features",
    "drift",
    "train_adaptive",
]

#: Windows (periods) of the demand-drift features.
DRIFT_WINDOWS: tuple[int, ...] = (4, 13, 26, 52)
#: Prior weight of the drift estimates, in periods of the mean forecast.
DRIFT_PRIOR = 4.0
ADAPTIVE_FEATURES: tuple[str, ...] = (
    "bias",
    *(f"drift_{w}" for w in DRIFT_WINDOWS),
    "position_z",
    "safety_z",
    "variability",
    "lead_time",
    "trend",
    "capacity_load",
    "budget_load",
)
ADAPTIVE_OUTPUTS: tuple[str, ...] = ("log_forecast_multiplier", "safety_shift", "log_cap_multiplier")
#: Bounds of the three outputs (the forecast and cap multipliers stay within e^{+-1}).
OUTPUT_BOUNDS = np.array([[-1.0, -3.0, -1.0], [1.0, 3.0, 1.0]])
#: Written to the model file's ``action_spec`` (with the action version).
ADAPTIVE_ACTION_SPEC: dict[str, Any] = {
    "kind": "adaptive",
    "features": list(ADAPTIVE_FEATURES),
    "per_sku": list(ADAPTIVE_OUTPUTS),
    "mapping": "hybridinv.rl.adaptive.AdaptiveHybrid.parameters",
}


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


def adaptive_features(obs: Observation, safety: NDArray[np.float64]) -> NDArray[np.float64]:
    """The feature matrix of :data:`ADAPTIVE_FEATURES`, shape (n, k).

    ``safety`` is the base policy's safety factor per SKU (the ``safety_z`` feature).
    """
    cat = obs.catalog
    n = obs.n_skus
    mean, std = obs.protection_forecast()
    periods = cat.lead_time + 1.0
    feats = np.zeros((n, len(ADAPTIVE_FEATURES)))
    feats[:, 0] = 1.0
    for k, window in enumerate(DRIFT_WINDOWS):
        feats[:, 1 + k] = drift(obs, window)
    c = 1 + len(DRIFT_WINDOWS)
    feats[:, c] = np.clip((obs.inventory_position - mean) / np.maximum(std, 1e-6), -3.0, 3.0)
    feats[:, c + 1] = safety
    feats[:, c + 2] = np.clip(std / np.maximum(mean, 1e-6), 0.0, 3.0)
    feats[:, c + 3] = cat.lead_time / 4.0
    next_period = obs.forecast(1)[:, 0]
    feats[:, c + 4] = np.clip(np.log((next_period + 1e-6) / (mean / periods + 1e-6)), -2.0, 2.0)
    cons = obs.constraints
    if math.isfinite(cons.capacity):
        stock = obs.on_hand + obs.pipeline.sum(axis=1)
        feats[:, c + 5] = float(cat.volume @ stock) / cons.capacity - 1.0
    if math.isfinite(cons.budget):
        feats[:, c + 6] = float(cat.unit_cost @ (mean / periods)) / cons.budget - 1.0
    return feats


class AdaptiveHybrid(TargetPolicy):
    """Shared per-SKU linear policy on top of the forecast capped base-stock, then the repair layer.

    Parameters
    ----------
    weights : array, shape (3, len(ADAPTIVE_FEATURES))
        Output ``j`` is ``clip(weights[j] @ x_i)`` (see the module notes).
    capacity_price, safety_factor, cap_factor : float
        The base :class:`~hybridinv.policies.rq.ForecastCappedBaseStock`.
    repair : str or None, default "fast"
    metadata : dict, optional
        The model file's metadata.
    name : str, default "hybrid"
    """

    name = "hybrid"

    def __init__(
        self,
        weights: ArrayLike,
        capacity_price: float = 5.0,
        safety_factor: float = 1.0,
        cap_factor: float = 1.6,
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
        self.base = ForecastCappedBaseStock(
            safety_factor=safety_factor, cap_factor=cap_factor, capacity_price=capacity_price, repair=repair
        )
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
        features = model.metadata.get("action_spec", {}).get("features")
        if features != list(ADAPTIVE_FEATURES):
            raise ModelFileError(
                f"{model.path}: adaptive model for features {features}, this version reads {list(ADAPTIVE_FEATURES)}"
            )
        base = model.metadata.get("base", {})
        return cls(
            arrays["weights"],
            capacity_price=float(base.get("capacity_price", 5.0)),
            safety_factor=float(base.get("safety_factor", 1.0)),
            cap_factor=float(base.get("cap_factor", 1.6)),
            repair=repair,
            metadata=model.metadata,
            name=name or "hybrid",
        )

    def arrays(self) -> dict[str, NDArray[np.float64]]:
        """The parameter arrays written to ``policy.npz``."""
        return {"weights": self.weights}

    def base_metadata(self) -> dict[str, float]:
        """The base policy's options (stored in the model file)."""
        return {
            "capacity_price": float(self.base.capacity_price or 0.0),
            "safety_factor": float(np.asarray(self.base.safety_factor)),
            "cap_factor": float(np.asarray(self.base.cap_factor)),
        }

    def outputs(self, obs: Observation, safety: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """The per-SKU outputs ``(a_0, a_1, a_2)``, shape (n, 3).

        ``safety``: the base safety factors ``self.base.safety(obs)``, if already computed.
        """
        x = adaptive_features(obs, self.base.safety(obs) if safety is None else safety)
        return np.clip(x @ self.weights.T, OUTPUT_BOUNDS[0], OUTPUT_BOUNDS[1])

    def parameters(
        self, obs: Observation
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """This period's ``(level, cap, (corrected protection mean, std))`` per SKU."""
        safety = self.base.safety(obs)
        a = self.outputs(obs, safety)
        multiplier = np.exp(a[:, 0])
        root = np.sqrt(multiplier)
        mean, std = obs.protection_forecast()
        mean, std = mean * multiplier, std * root
        level = mean + (safety + a[:, 1]) * std
        factor = np.asarray(self.base.cap_factor, dtype=np.float64)
        cap = factor * (obs.forecast(1)[:, 0] * multiplier + obs.forecast_std(1)[:, 0] * root) * np.exp(a[:, 2])
        return level, cap, (mean, std)

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        level, _, _ = self.parameters(obs)
        return level - 1.0, level

    def decide(self, obs: Observation) -> Decision:
        level, cap, protection = self.parameters(obs)
        desired = capped_orders(level, obs.inventory_position, cap)
        weights = shortfall_weights(obs, desired, protection=protection)
        return self.finalize(desired, obs, level - 1.0, level, under_weight=weights)

    def __repr__(self) -> str:
        return f"AdaptiveHybrid(weights={np.round(self.weights, 3).tolist()}, repair={self.repair!r})"


#: Weight of the 52-period drift on the forecast correction in :func:`start_weights`.
START_DRIFT = 1.0


def start_weights(drift_weight: float = START_DRIFT) -> NDArray[np.float64]:
    """Starting weights: the base policy with its forecast scaled by the shrunk 52-period drift.

    ``drift_weight=0`` is the forecast capped base-stock itself.
    """
    weights = np.zeros((len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES)))
    weights[0, ADAPTIVE_FEATURES.index("drift_52")] = drift_weight
    return weights


def train_adaptive(
    scenario: Scenario,
    out: str | Path | None,
    config: ESConfig,
    weights: ArrayLike | None = None,
    periods: int | None = None,
    workers: int = 1,
    progress: bool = False,
    scenario_name: str | None = None,
) -> tuple[AdaptiveHybrid, ESResult]:
    """Train an :class:`AdaptiveHybrid` on ``scenario`` by ES and save it to ``out``.

    Starts from ``weights`` (default :func:`start_weights`: the forecast capped
    base-stock on the drift-corrected forecast) and keeps the weights with the best
    cost on ``config.eval_seeds``; the model directory is rewritten whenever that
    cost improves (checkpoints: an interrupted run keeps its best model).
    """
    from hybridinv.rl.es import evolve_model, policy_cost_function

    shape = (len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES))
    theta0 = (start_weights() if weights is None else np.asarray(weights, dtype=np.float64)).ravel()
    member = _Member(AdaptiveHybrid(theta0.reshape(shape)).base_metadata())
    spec = {
        "policy": "adaptive",
        "action_spec": {"version": _action_version(), **ADAPTIVE_ACTION_SPEC},
        "base": member.base,
    }
    meta, result = evolve_model(
        scenario,
        out,
        config,
        policy_cost_function(scenario, member, periods, workers),
        theta0,
        lambda theta: member(theta).arrays(),
        spec,
        {"policy": "adaptive", "start_weights": theta0.reshape(shape).tolist()},
        periods,
        workers,
        progress,
        scenario_name,
    )
    policy = member(result.theta)
    policy.metadata = meta
    return policy, result


class _Member:
    """``theta -> AdaptiveHybrid`` (a population member; picklable)."""

    def __init__(self, base: dict[str, float]) -> None:
        self.base = base

    def __call__(self, theta: NDArray[np.float64]) -> AdaptiveHybrid:
        weights = theta.reshape(len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES))
        base = self.base
        return AdaptiveHybrid(weights, base["capacity_price"], base["safety_factor"], base["cap_factor"])


def _action_version() -> int:
    from hybridinv.envs.actions import ACTION_VERSION

    return int(ACTION_VERSION)
