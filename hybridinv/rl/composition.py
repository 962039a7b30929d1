"""Compose a hybrid's parts from a model file: parameterization, parameter map and learner.

:func:`parts_of` reads the metadata's ``parameterization``, ``parameter_map`` and
``learner`` (:func:`~hybridinv.rl.model_file.composition`: derived from the ``policy``
kind for files written before those entries existed) and rebuilds each part from the
file's arrays; :meth:`hybridinv.rl.hybrid.Hybrid.from_model` assembles them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from hybridinv.core.errors import PlanningError
from hybridinv.policies.forecast_ss import ForecastSS
from hybridinv.policies.rq import CappedBaseStock, ForecastCappedBaseStock
from hybridinv.rl.adaptive_features import (
    ADAPTIVE_FEATURES,
    ADAPTIVE_OUTPUTS,
    BINARY_FEATURES,
    OUTPUT_BOUNDS,
    TRUST_WIDTH,
)
from hybridinv.rl.maps import MAP_KINDS, LinearMap, NetworkMap, ParameterMap
from hybridinv.rl.model_file import LEARNERS, ModelFile, ModelFileError
from hybridinv.rl.parameterizations import (
    CAPPED_OUTPUT_BOUNDS,
    PARAMETERIZATION_KINDS,
    CappedBaseStockTargets,
    ForecastCappedTargets,
    ForecastSSTargets,
    Parameterization,
    SafetyStockTargets,
    WeightedBaseStockTargets,
)

__all__ = ["capped_map", "correction_map", "parts_of"]


def parts_of(model: ModelFile, repair: str | None = "fast") -> tuple[Parameterization, ParameterMap, str]:
    """``(parameterization, parameter_map, learner)`` of a loaded model.

    Raises
    ------
    ModelFileError
        For an unknown composition, missing arrays or an adaptive model made for other features.
    """
    composition = model.composition
    for key, allowed in (("parameterization", PARAMETERIZATION_KINDS), ("parameter_map", MAP_KINDS),
                         ("learner", LEARNERS)):
        if composition[key] not in allowed:
            raise ModelFileError(f"{model.path}: unknown {key} {composition[key]!r} (this version reads {allowed})")
    try:  # a 0-d, empty, NaN or structured weights array was a bare IndexError/ValueError/TypeError
        parameterization = _parameterization(model, composition["parameterization"], repair)
        parameter_map = _parameter_map(model, composition["parameter_map"], parameterization)
    except (TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{model.path}: invalid arrays for a {composition['parameter_map']} map of the "
                             f"{composition['parameterization']} parameterization ({exc})") from exc
    if isinstance(parameter_map, LinearMap):
        _check_linear_widths(model, parameter_map, parameterization)
    return parameterization, parameter_map, composition["learner"]


def _check_linear_widths(model: ModelFile, linear: LinearMap, parameterization: Parameterization) -> None:
    """A linear map reads the parameterization's per-SKU features and gives its outputs: widths that differ (a
    metadata naming another parameterization) loaded and failed at the first plan() with numpy's matmul error."""
    features, outputs = parameterization.feature_widths()[0], parameterization.n_outputs
    if linear.n_features != features or (outputs and linear.n_outputs != outputs):
        raise ModelFileError(f"{model.path}: weights of shape {linear.weights.shape} do not fit the "
                             f"{parameterization.kind} parameterization ({outputs} output(s) from {features} "
                             "per-SKU features)")


def _parameterization(model: ModelFile, kind: str, repair: str | None) -> Parameterization:
    meta = model.metadata
    if kind == "safety_stock":
        return SafetyStockTargets(model.season_cycle)
    if kind == "capped_base_stock":
        spec = meta.get("residual", {})
        try:
            if not isinstance(spec, Mapping):
                raise TypeError(f"residual must be a mapping of the base's level and cap, got {spec!r}")
            base = CappedBaseStock(level=spec.get("level"), cap=spec.get("cap"), repair=repair)
            return CappedBaseStockTargets(base, model.season_cycle)
        except (TypeError, ValueError) as exc:  # PlanningError is a ValueError
            raise ModelFileError(f"{model.path}: invalid {kind} model ({exc})") from exc
    if kind in ("forecast_ss", "forecast_capped"):
        options = meta.get("base", {})
        try:
            if not isinstance(options, Mapping):
                raise TypeError(f"base must be a mapping of options, got {options!r}")
            if kind == "forecast_ss":
                return ForecastSSTargets(ForecastSS.from_options(dict(options)))
            return ForecastCappedTargets(ForecastCappedBaseStock.from_options(options))
        except (TypeError, ValueError, PlanningError) as exc:
            raise ModelFileError(f"{model.path}: invalid {kind} model ({exc})") from exc
    missing = sorted({"level", "cap", "weights"} - set(model.arrays))
    if missing:
        raise ModelFileError(f"{model.path}: linear model without the arrays {missing}")
    return WeightedBaseStockTargets(model.arrays["level"], model.arrays["cap"], model.arrays["weights"].shape[-1])


def _parameter_map(model: ModelFile, kind: str, parameterization: Parameterization) -> ParameterMap:
    if kind == "network":
        if parameterization.output_names is not None:
            _check_adaptive_spec(model, parameterization.output_names)
        return _network_map(model, parameterization)
    if "weights" not in model.arrays:
        raise ModelFileError(f"{model.path}: {model.policy} model without the array 'weights'")
    weights = model.arrays["weights"]
    if isinstance(parameterization, WeightedBaseStockTargets):  # (K,) shared, or (n, K) one row per SKU
        if weights.ndim == 2:
            parameterization.check_skus(weights.shape[0], "the per-SKU weights have rows for")
        return LinearMap(weights, per_sku=weights.ndim == 2)
    if parameterization.output_names is None:
        return LinearMap(weights)
    _check_adaptive_spec(model, parameterization.output_names)
    ranges = model.metadata.get("feature_range") or {}
    try:
        if not isinstance(ranges, Mapping):
            raise TypeError(f"feature_range must be a mapping, got {ranges!r}")
        if isinstance(parameterization, ForecastCappedTargets):
            return capped_map(weights, ranges.get("low"), ranges.get("high"),
                              float(ranges.get("trust_width", TRUST_WIDTH)))
        return correction_map(weights, ranges.get("low"), ranges.get("high"),
                              float(ranges.get("trust_width", TRUST_WIDTH)), ranges.get("regime_trust"))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{model.path}: invalid {parameterization.kind} model ({exc})") from exc


def _check_adaptive_spec(model: ModelFile, outputs_read: tuple[str, ...]) -> None:
    spec = model.metadata.get("action_spec", {})
    features, outputs = spec.get("features"), spec.get("per_sku")
    if features != list(ADAPTIVE_FEATURES) or outputs != list(outputs_read):
        raise ModelFileError(
            f"{model.path}: adaptive model for features {features} and outputs {outputs}; this version reads "
            f"{list(ADAPTIVE_FEATURES)} -> {list(outputs_read)} (retrain it with hybridinv train)"
        )


def _network_map(model: ModelFile, parameterization: Parameterization) -> NetworkMap:
    """The network map of a model: its ``network_output`` entry says how actions become outputs."""
    network = model.network
    if network is None:
        raise ModelFileError(f"{model.path}: a network map needs the network weights")
    widths = (network.n_sku_features, network.n_global_features, network.n_actions)
    expected = (*parameterization.feature_widths(), parameterization.n_outputs)
    if widths != expected:
        raise ModelFileError(f"{model.path}: network for (features, global features, outputs) {widths}; the "
                             f"{parameterization.kind} parameterization has {expected}")
    spec = model.metadata.get("network_output") or {}
    if not isinstance(spec, dict):
        raise ModelFileError(f"{model.path}: network_output must be a mapping")
    try:
        return NetworkMap(network, spec.get("low"), spec.get("high"), str(spec.get("squash", "clip")))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{model.path}: invalid network_output ({exc})") from exc


def correction_map(
    weights: ArrayLike, low: ArrayLike | None, high: ArrayLike | None, trust_width: float,
    regime_trust: Mapping[str, float] | None = None,
) -> LinearMap:
    """The linear map of the forecast-driven (s, S) corrections (bounded outputs, trust region).

    ``regime_trust`` names binary features (:data:`ADAPTIVE_FEATURES`, e.g. ``backorders``) and
    the scale of the corrections on SKUs where they are 1.
    """
    values = np.asarray(weights, dtype=np.float64)
    shape = (len(ADAPTIVE_OUTPUTS), len(ADAPTIVE_FEATURES))
    if values.shape != shape:
        raise ValueError(f"weights must have shape {shape}, got {values.shape}")
    if not isinstance(regime_trust, Mapping | None):
        raise ValueError(f"regime_trust must map feature names to scales, got {regime_trust!r}")
    regimes = dict(regime_trust or {})
    unknown = sorted(set(regimes) - set(BINARY_FEATURES))
    if unknown:
        raise ValueError(f"regime_trust names {unknown}; binary features are {list(BINARY_FEATURES)}")
    indexed = {ADAPTIVE_FEATURES.index(name): float(scale) for name, scale in regimes.items()}
    return LinearMap(values, OUTPUT_BOUNDS[0], OUTPUT_BOUNDS[1], low, high, trust_width, regime_trust=indexed)


def capped_map(weights: ArrayLike, low: ArrayLike | None = None, high: ArrayLike | None = None,
               trust_width: float = TRUST_WIDTH) -> LinearMap:
    """The linear map of the forecast capped base-stock corrections: ``tanh`` to :data:`CAPPED_OUTPUT_BOUNDS`.

    ``low``, ``high``: the feature range seen in training (trust region), or None.
    """
    values = np.asarray(weights, dtype=np.float64)
    shape = (len(CAPPED_OUTPUT_BOUNDS[0]), len(ADAPTIVE_FEATURES))
    if values.shape != shape:
        raise ValueError(f"weights must have shape {shape}, got {values.shape}")
    return LinearMap(values, CAPPED_OUTPUT_BOUNDS[0], CAPPED_OUTPUT_BOUNDS[1], low, high, trust_width, squash="tanh")
