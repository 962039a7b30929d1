"""The hybrid agent: a target parameterization x a parameter map x a learner, then the repair layer.

One class, :class:`Hybrid`. Each period it asks its parameterization
(:mod:`hybridinv.rl.parameterizations`) for the per-SKU features, runs the parameter map
(:mod:`hybridinv.rl.maps`: linear or the SKU-shared network, the same weights for every SKU)
to get the per-SKU outputs, and lets the parameterization turn them into targets and
desired orders; the optimization repair layer then enforces MOQs, lot sizes, maximum
orders, capacity and budget. The learner (``"es"``, ``"ppo"``, ``"sac"``) is what trained
the map; model files record all three (:func:`hybridinv.rl.model_file.composition`).
Inference is numpy only: torch is never imported.

The earlier hybrid classes are configurations of it, kept for their constructors:

========================  ========================  =============  ==========
configuration             parameterization          map            learner
========================  ========================  =============  ==========
:class:`AdaptiveHybrid`   ``forecast_ss``           ``linear``     ES
:class:`CappedHybrid`     ``forecast_capped``       ``linear``     ES
:class:`ResidualHybrid`   ``capped_base_stock``     ``network``    ES
:class:`LinearHybrid`     ``weighted_base_stock``   ``linear``     ES
``Hybrid.from_network``   ``safety_stock``          ``network``    PPO
``sb3_hybrid.hybrid_of``  ``forecast_ss``           ``network``    PPO, SAC
========================  ========================  =============  ==========
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.policies.base import BatchTargetPolicy, Decision
from hybridinv.policies.forecast_ss import ForecastSS
from hybridinv.policies.rq import CappedBaseStock, ForecastCappedBaseStock
from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES, TRUST_WIDTH, adaptive_features
from hybridinv.rl.composition import capped_map, correction_map, parts_of
from hybridinv.rl.maps import LinearMap, NetworkMap, ParameterMap
from hybridinv.rl.model_file import LEARNERS, ModelFile, load_model
from hybridinv.rl.numpy_policy import SharedPolicyNetwork
from hybridinv.rl.parameterizations import (
    CappedBaseStockTargets,
    Features,
    ForecastCappedTargets,
    ForecastSSTargets,
    Parameterization,
    SafetyStockTargets,
    WeightedBaseStockTargets,
    stock_by_arrival,
)
from hybridinv.rl.paths import INSTALLED_MODELS, models_directory, resolve_model_path

if TYPE_CHECKING:
    from hybridinv.policies.forecast_ss import Targets
    from hybridinv.sim.observation import Observation

__all__ = [
    "INSTALLED_MODELS",
    "AdaptiveHybrid",
    "CappedHybrid",
    "Hybrid",
    "LinearHybrid",
    "ResidualHybrid",
    "models_directory",
    "resolve_model_path",
]


class Hybrid(BatchTargetPolicy):
    """Learned per-SKU parameters of a replenishment rule, then the optimization repair.

    Parameters
    ----------
    parameterization : Parameterization
        What the outputs mean (:mod:`hybridinv.rl.parameterizations`).
    parameter_map : LinearMap or NetworkMap
        Features -> outputs, shared across SKUs (:mod:`hybridinv.rl.maps`).
    learner : {"es", "ppo", "sac"}
        What trained (or trains) the map.
    repair : str or None, default "fast"
        Repair backend (as in training, ``"fast"``); ``"highs"`` solves the repair
        exactly; None only rounds (unconstrained catalogs).
    metadata : dict, optional
        The model file's metadata (kept for reports).
    name : str, default "hybrid"

    Examples
    --------
    >>> from hybridinv import scenarios, simulate
    >>> from hybridinv.rl import Hybrid
    >>> agent = Hybrid.load("hybrid_default")            # doctest: +SKIP
    >>> agent.composition                                 # doctest: +SKIP
    {'parameterization': 'forecast_ss', 'parameter_map': 'linear', 'learner': 'es'}
    >>> simulate(agent, scenarios.get("multi_50"), seeds=3)  # doctest: +SKIP
    """

    name = "hybrid"

    def __init__(
        self,
        parameterization: Parameterization,
        parameter_map: ParameterMap,
        learner: str = "es",
        repair: str | None = "fast",
        metadata: dict[str, Any] | None = None,
        name: str = "hybrid",
    ) -> None:
        super().__init__(repair=repair)
        if learner not in LEARNERS:
            raise ValueError(f"learner must be one of {LEARNERS}, got {learner!r}")
        self.parameterization = parameterization.for_repair(repair)
        self.parameter_map = parameter_map
        self.learner = learner
        self.metadata = dict(metadata or {})
        self.name = name

    @classmethod
    def from_network(
        cls,
        network: SharedPolicyNetwork,
        repair: str | None = "fast",
        metadata: dict[str, Any] | None = None,
        name: str = "hybrid",
        learner: str = "ppo",
    ) -> Hybrid:
        """The network hybrid trained by PPO: safety-stock ``(s, S)`` from the shared network."""
        return cls(SafetyStockTargets(), NetworkMap(network), learner, repair, metadata, name)

    @property
    def composition(self) -> dict[str, str]:
        """``parameterization``, ``parameter_map`` and ``learner`` (as model files record them)."""
        return {
            "parameterization": self.parameterization.kind,
            "parameter_map": self.parameter_map.kind,
            "learner": self.learner,
        }

    @property
    def network(self) -> SharedPolicyNetwork:
        """The shared network of a network map (AttributeError for a linear map)."""
        if not isinstance(self.parameter_map, NetworkMap):
            raise AttributeError(f"{type(self).__name__} has a {self.parameter_map.kind} map, not a network")
        return self.parameter_map.network

    @property
    def base(self) -> Any:
        """The base policy the parameterization corrects (AttributeError if it has none)."""
        base = getattr(self.parameterization, "base", None)
        if base is None:
            raise AttributeError(f"the {self.parameterization.kind} parameterization has no base policy")
        return base

    def reset(self, scenario: Any = None) -> None:
        """Start of an episode: the parameterization refits its base where it has one."""
        self.parameterization.reset(scenario)

    def inputs(self, obs: Observation) -> Features:
        """The features the map reads this period (chosen by the parameterization)."""
        return self.parameterization.features(obs)

    def outputs(self, obs: Observation) -> NDArray[np.float64]:
        """The map's per-SKU outputs, shape (n, k)."""
        inputs = self.inputs(obs)
        return self.parameter_map(inputs.sku, inputs.glob)

    def action(self, obs: Observation) -> tuple[NDArray[np.float64], Any]:
        """The map's outputs and the parameterization's context (for a network: the demand scale)."""
        inputs = self.inputs(obs)
        return self.parameter_map(inputs.sku, inputs.glob), inputs.context

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        inputs = self.inputs(obs)
        return self.parameterization.targets(obs, self.parameter_map(inputs.sku, inputs.glob), inputs)

    def decide(self, obs: Observation) -> Decision:
        inputs = self.inputs(obs)
        return self.parameterization.decide(self, obs, self.parameter_map(inputs.sku, inputs.glob), inputs)

    @classmethod
    def load(cls, path: str | Path, repair: str | None = "fast", name: str | None = None) -> Hybrid:
        """Load a model directory written by :func:`hybridinv.rl.model_file.save_model`.

        ``path`` may also be the name of a shipped model in ``models/`` (e.g.
        ``"hybrid_default"``). The result is a :class:`Hybrid` composed as the model's
        metadata says (:meth:`from_model`).

        Raises
        ------
        ModelFileError
            If the model is missing, corrupted (hash mismatch) or made for other
            observation/action specifications.
        """
        return cls.from_model(load_model(resolve_model_path(path)), repair=repair, name=name)

    @classmethod
    def from_model(cls, model: ModelFile, repair: str | None = "fast", name: str | None = None) -> Hybrid:
        """Compose the hybrid of an already loaded :class:`ModelFile`.

        The parts follow the metadata's ``parameterization``, ``parameter_map`` and
        ``learner`` (derived from its ``policy`` kind for models written before those
        entries existed). A composition with a named configuration is returned as that
        configuration (e.g. an :class:`AdaptiveHybrid`); it behaves the same either way.
        """
        parameterization, parameter_map, learner = parts_of(model, repair)
        kind = (parameterization.kind, parameter_map.kind)
        configuration = next((c for c in _CONFIGURATIONS if c.composed_of == kind), Hybrid)
        agent = configuration.__new__(configuration)
        Hybrid.__init__(agent, parameterization, parameter_map, learner, repair, model.metadata, name or "hybrid")
        return agent

    def __repr__(self) -> str:
        parts = ", ".join(f"{key}={value!r}" for key, value in self.composition.items())
        return f"Hybrid({parts}, name={self.name!r}, repair={self.repair!r})"


# ----------------------------------------------------------------- configurations (earlier classes)
class _LinearConfiguration(Hybrid):
    """A configuration whose map is one :class:`LinearMap` on the adaptive features (its weights are the model)."""

    @property
    def _linear(self) -> LinearMap:
        assert isinstance(self.parameter_map, LinearMap)
        return self.parameter_map

    @property
    def weights(self) -> NDArray[np.float64]:
        return self._linear.weights

    def arrays(self) -> dict[str, NDArray[np.float64]]:
        """The parameter arrays written to ``policy.npz``."""
        return self._linear.arrays()

    @property
    def feature_low(self) -> NDArray[np.float64] | None:
        return self._linear.feature_low

    @property
    def feature_high(self) -> NDArray[np.float64] | None:
        return self._linear.feature_high

    @property
    def trust_width(self) -> float:
        return self._linear.trust_width

    def base_metadata(self) -> dict[str, float | None]:
        """The base policy's options (stored in the model file)."""
        return dict(self.base.options())

    def range_metadata(self) -> dict[str, Any] | None:
        """The trust region (stored in the model file's ``feature_range``)."""
        return self._linear.range_metadata()

    def with_ranges(self, low: ArrayLike | None, high: ArrayLike | None) -> Self:
        """A copy with another trust region (None, None: none); everything else is kept."""
        return self._copy(self.weights, low, high)

    def base_configuration(self, name: str | None = None) -> Self:
        """The base policy in this configuration: zero weights, no trust region or metadata, same base and repair."""
        zero = self._copy(np.zeros_like(self.weights), None, None)
        zero.metadata = {}
        zero.name = self.name if name is None else name
        return zero

    def _copy(self, weights: ArrayLike, low: ArrayLike | None, high: ArrayLike | None) -> Self:
        raise NotImplementedError


class AdaptiveHybrid(_LinearConfiguration):
    """Configuration: forecast-driven (s, S) corrections from a linear map (the shipped default).

    Parameters
    ----------
    weights : array, shape (4, len(ADAPTIVE_FEATURES))
        Output ``j`` is ``clip(weights[j] @ x_i)`` (:mod:`hybridinv.rl.adaptive`).
    base : ForecastSS, optional
        The base policy (its options; it runs with this agent's ``repair``).
    feature_low, feature_high : arrays, optional
        Feature range seen in training (trust region); None: corrections never shrink.
    trust_width : float
    regime_trust : mapping of str to float, optional
        ``{feature: s}``: SKUs whose binary feature is 1 get their corrections multiplied by
        ``s`` (the shipped default: ``{"backorders": 0.0}``, docs/rl.md).
    repair, metadata, name
        As for :class:`Hybrid`.
    """

    composed_of = ("forecast_ss", "linear")

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
        regime_trust: Mapping[str, float] | None = None,
    ) -> None:
        parameter_map = correction_map(weights, feature_low, feature_high, trust_width, regime_trust)
        super().__init__(ForecastSSTargets(base), parameter_map, "es", repair, metadata, name)

    @property
    def regime_trust(self) -> dict[str, float]:
        """``{feature name: scale}`` of the corrections on SKUs in that regime (empty: none)."""
        return {ADAPTIVE_FEATURES[j]: v for j, v in sorted(self._linear.regime_trust.items())}

    def range_metadata(self) -> dict[str, Any] | None:
        """The trust region and regime trust (stored in the model file's ``feature_range``)."""
        meta = self._linear.range_metadata()
        if self.regime_trust:
            meta = {**(meta or {}), "regime_trust": self.regime_trust}
        return meta

    def _copy(self, weights: ArrayLike, low: ArrayLike | None, high: ArrayLike | None) -> AdaptiveHybrid:
        return AdaptiveHybrid(
            weights, self.base, low, high, self.trust_width, self.repair, self.metadata, self.name, self.regime_trust
        )

    def features(self, obs: Observation, safety: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """The feature matrix of ``obs`` (:func:`~hybridinv.rl.adaptive_features.adaptive_features`)."""
        return adaptive_features(obs, self.base, self.base.safety(obs) if safety is None else safety)

    def trust(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """The per-SKU trust ``tau_i`` of feature rows ``x`` (1 without a recorded range)."""
        return self._linear.trust(x)

    def outputs(self, obs: Observation, safety: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """The per-SKU corrections ``(a_0, a_1, a_2, a_3)`` after the trust shrinkage, shape (n, 4)."""
        return self._linear(self.features(obs, safety))

    def parameters(self, obs: Observation) -> Targets:
        """This period's targets with the learned corrections."""
        inputs = self.inputs(obs)
        assert isinstance(self.parameterization, ForecastSSTargets)
        return self.parameterization.parameters(obs, self._linear(inputs.sku), inputs.context)

    def __repr__(self) -> str:
        return f"AdaptiveHybrid(weights={np.round(self.weights, 3).tolist()}, repair={self.repair!r})"


class CappedHybrid(_LinearConfiguration):
    """Configuration: forecast capped base-stock corrections (safety shift, cap) from a linear map.

    Parameters
    ----------
    weights : array, shape (2, len(ADAPTIVE_FEATURES))
        ``a_i = b tanh(weights @ x_i)`` with ``b`` the bounds
        :data:`~hybridinv.rl.parameterizations.CAPPED_OUTPUT_BOUNDS`
        (:class:`~hybridinv.rl.parameterizations.ForecastCappedTargets`); zero is the base.
    base : ForecastCappedBaseStock, optional
        The base policy (its options; it runs with this agent's ``repair``).
    feature_low, feature_high : arrays, optional
        Feature range seen in training (trust region); None: corrections never shrink.
    trust_width : float
    repair, metadata, name
        As for :class:`Hybrid`.

    Examples
    --------
    >>> from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES
    >>> agent = CappedHybrid(np.zeros((2, len(ADAPTIVE_FEATURES))))  # the base itself
    >>> agent.composition
    {'parameterization': 'forecast_capped', 'parameter_map': 'linear', 'learner': 'es'}
    """

    composed_of = ("forecast_capped", "linear")

    def __init__(
        self,
        weights: ArrayLike,
        base: ForecastCappedBaseStock | None = None,
        feature_low: ArrayLike | None = None,
        feature_high: ArrayLike | None = None,
        trust_width: float = TRUST_WIDTH,
        repair: str | None = "fast",
        metadata: dict[str, Any] | None = None,
        name: str = "hybrid",
    ) -> None:
        parameter_map = capped_map(weights, feature_low, feature_high, trust_width)
        super().__init__(ForecastCappedTargets(base), parameter_map, "es", repair, metadata, name)

    def parameters(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """This period's corrected ``(level, cap)`` per SKU."""
        assert isinstance(self.parameterization, ForecastCappedTargets)
        return self.parameterization.parameters(obs, self.outputs(obs))

    def _copy(self, weights: ArrayLike, low: ArrayLike | None, high: ArrayLike | None) -> CappedHybrid:
        return CappedHybrid(weights, self.base, low, high, self.trust_width, self.repair, self.metadata, self.name)

    def __repr__(self) -> str:
        return f"CappedHybrid(weights={np.round(self.weights, 3).tolist()}, repair={self.repair!r})"


class ResidualHybrid(Hybrid):
    """Configuration: the shared network corrects a capped base-stock policy's level and cap (ES).

    Parameters
    ----------
    network : SharedPolicyNetwork
        Its two outputs per SKU are log-multipliers (times ``RESIDUAL_RANGE``) of the base's
        level and cap.
    base : CappedBaseStock, optional
        Unfitted (default), it is fitted on the scenario of :meth:`reset` or the first
        observation; a base with fixed ``level`` and ``cap`` is used as given.
    repair, metadata, name
        As for :class:`Hybrid`.
    """

    composed_of = ("capped_base_stock", "network")

    def __init__(
        self,
        network: SharedPolicyNetwork,
        base: CappedBaseStock | None = None,
        repair: str | None = "fast",
        metadata: dict[str, Any] | None = None,
        name: str = "hybrid",
    ) -> None:
        super().__init__(CappedBaseStockTargets(base), NetworkMap(network), "es", repair, metadata, name)

    def base_parameters(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The base policy's level and cap per SKU (fitted on ``obs`` if needed)."""
        assert isinstance(self.parameterization, CappedBaseStockTargets)
        return self.parameterization.base_parameters(obs)

    def parameters(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Corrected ``(level, cap)`` per SKU for this period."""
        assert isinstance(self.parameterization, CappedBaseStockTargets)
        return self.parameterization.parameters(obs, self.outputs(obs))

    def __repr__(self) -> str:
        return f"ResidualHybrid(name={self.name!r}, hidden={self.network.hidden}, repair={self.repair!r})"


class LinearHybrid(Hybrid):
    """Configuration: a capped order-up-to level on a linearly weighted position (single SKU, ES).

    Parameters
    ----------
    level, cap : float or array of shape (n,)
        Order-up-to level and largest order, in demand-scale units (``cap=inf``: none).
    weights : array of shape (K,) or (n, K)
        Weight of the stock usable in ``0..K-1`` periods (per SKU: a population).
    repair, metadata, name
        As for :class:`Hybrid`.

    Examples
    --------
    >>> agent = LinearHybrid(level=4.0, cap=1.2, weights=[0.7, 0.9], repair=None)
    >>> agent.orders_from_stock(np.array([[8.0, 5.0]]), scale=np.array([5.0])).tolist()
    [6.0]
    """

    composed_of = ("weighted_base_stock", "linear")

    def __init__(
        self,
        level: ArrayLike,
        cap: ArrayLike,
        weights: ArrayLike,
        repair: str | None = "fast",
        metadata: dict[str, Any] | None = None,
        name: str = "hybrid",
    ) -> None:
        values = np.atleast_1d(np.asarray(weights, dtype=np.float64))
        if values.ndim > 2 or values.shape[-1] < 1:
            raise ValueError("weights must have shape (K,) or (n, K) with K >= 1")
        if np.any(np.isnan(values)):
            raise ValueError("weights must not contain NaN")
        parameterization = WeightedBaseStockTargets(level, cap, values.shape[-1])
        if values.ndim == 2:
            parameterization.check_skus(values.shape[0], "the per-SKU weights have rows for")
        super().__init__(parameterization, LinearMap(values, per_sku=values.ndim == 2), "es", repair, metadata, name)

    @property
    def _targets(self) -> WeightedBaseStockTargets:
        assert isinstance(self.parameterization, WeightedBaseStockTargets)
        return self.parameterization

    @property
    def level(self) -> NDArray[np.float64]:
        return self._targets.level

    @property
    def cap(self) -> NDArray[np.float64]:
        return self._targets.cap

    @property
    def weights(self) -> NDArray[np.float64]:
        assert isinstance(self.parameter_map, LinearMap)
        return self.parameter_map.weights

    @property
    def slots(self) -> int:
        """Number of stock-by-arrival slots ``K``."""
        return self._targets.slots

    def arrays(self) -> dict[str, NDArray[np.float64]]:
        """The parameter arrays written to ``policy.npz``."""
        return {"level": np.atleast_1d(self.level), "cap": np.atleast_1d(self.cap), "weights": self.weights}

    def orders_from_stock(self, stock: NDArray[np.float64], scale: NDArray[np.float64]) -> NDArray[np.float64]:
        """Whole-unit orders for stock-by-arrival rows ``stock`` (n, K) and demand scales (n,)."""
        return self._targets.orders(self.parameter_map(stock, None)[:, 0], scale)

    def state_policy(self, mean: float) -> Callable[[NDArray[np.int64]], NDArray[np.float64]]:
        """The policy on the exact model's states ``(x, p_1, ..., p_{L-1})`` at demand scale ``mean``.

        For :func:`hybridinv.exact.lost_sales_policy_cost`: those states are the stock by
        arrival, so this is the policy the simulator runs on a stationary instance.
        """

        def policy(states: NDArray[np.int64]) -> NDArray[np.float64]:
            arriving_later = np.column_stack((np.zeros(states.shape[0]), states[:, 1:]))  # nothing "now" beyond x
            stock = stock_by_arrival(states[:, 0], arriving_later, self.slots)
            return self.orders_from_stock(stock, np.full(stock.shape[0], float(mean)))

        return policy

    def __repr__(self) -> str:
        return (
            f"LinearHybrid(level={np.round(self.level, 3).tolist()}, cap={np.round(self.cap, 3).tolist()}, "
            f"weights={np.round(self.weights, 3).tolist()}, repair={self.repair!r})"
        )


#: Named configurations, found by :meth:`Hybrid.from_model` from a model's composition.
_CONFIGURATIONS: tuple[Any, ...] = (AdaptiveHybrid, CappedHybrid, ResidualHybrid, LinearHybrid)
