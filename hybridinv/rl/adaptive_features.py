"""Features and outputs of the adaptive hybrid: the forecast-driven (s, S) parameterization's inputs.

The features (:data:`ADAPTIVE_FEATURES`, all scale-free, so one set of weights serves
catalogs of any size and demand level): a bias; the base safety factor; the forecast's
coefficient of variation ``s / f``; the share of the last 13 periods without demand
(periods before the recorded history count with the Poisson probability ``e^{-f}``); the
lead time; the drift of demand against its forecast over the last 4, 13 and 52 periods
(:func:`drift`, zero without a forecast history); the forecast trend; the inventory
position against the forecast over the protection interval, ``(IP - mu) / (mu + sigma)``;
the pooled warehouse and budget loads; the periods of demand one EOQ batch covers; whether
unmet demand is backordered (1) or lost (0); and ``space_z``, how far a strong price of
warehouse space would lower the SKU's safety factor (0 without a capacity; :func:`space_z`).

The outputs (:data:`ADAPTIVE_OUTPUTS`) correct the base
(:class:`~hybridinv.policies.forecast_ss.ForecastSS`): the log-multiplier of the forecast
level, the shift of the safety factor, the log-multipliers of the cap and of the batch;
:class:`~hybridinv.rl.parameterizations.ForecastSSTargets` applies them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from hybridinv.policies.forecast_ss import ForecastSS
    from hybridinv.sim.observation import Observation

__all__ = [
    "ADAPTIVE_ACTION_SPEC",
    "ADAPTIVE_FEATURES",
    "ADAPTIVE_OUTPUTS",
    "ADAPTIVE_VERSION",
    "BINARY_FEATURES",
    "DRIFT_PRIOR",
    "DRIFT_WINDOWS",
    "INTERMITTENCY_WINDOW",
    "OUTPUT_BOUNDS",
    "SPACE_Z_PRICE",
    "TRUST_WIDTH",
    "action_spec",
    "adaptive_features",
    "drift",
    "intermittency",
    "space_z",
    "zero_weights",
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
#: Features that are 0 or 1 (regimes a model's ``regime_trust`` may name).
BINARY_FEATURES: tuple[str, ...] = ("backorders",)
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


def zero_weights() -> NDArray[np.float64]:
    """Weights of the base policy itself (no correction)."""
    return np.zeros((len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES)))


def action_spec() -> dict[str, Any]:
    """The ``action_spec`` entry of an adaptive model's metadata."""
    from hybridinv.envs.actions import ACTION_VERSION

    return {"version": int(ACTION_VERSION), **ADAPTIVE_ACTION_SPEC}
