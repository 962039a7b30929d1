"""Target parameterizations of the hybrid: what a parameter map's per-SKU outputs mean.

A :class:`~hybridinv.rl.hybrid.Hybrid` is a target parameterization (this module) times a
parameter map (:mod:`hybridinv.rl.maps`) times a learner. Each parameterization chooses the
per-SKU features its map reads (:meth:`Parameterization.features`) and turns the map's
outputs into targets and desired orders, which then pass the repair layer:

============================  ========  ======================================================
``parameterization``          outputs   meaning
============================  ========  ======================================================
``"safety_stock"``            2         ``s = mu_P + 3 a_0 sigma_P``, ``S = s + (a_1+1)/2 * 6 * scale``
                                        (:func:`hybridinv.envs.actions.targets_from_action`); features
                                        :func:`hybridinv.envs.features.observe`
``"capped_base_stock"``       2         log-multipliers (times :data:`RESIDUAL_RANGE`) of the level and
                                        cap of a fitted :class:`~hybridinv.policies.rq.CappedBaseStock`;
                                        features ``observe``
``"forecast_ss"``             4         corrections of the forecast-driven (s, S)
                                        (:class:`~hybridinv.policies.forecast_ss.ForecastSS`): forecast
                                        level, safety factor, cap, batch; features
                                        :func:`~hybridinv.rl.adaptive_features.adaptive_features`
``"forecast_capped"``         2         corrections of the forecast capped base-stock
                                        (:class:`~hybridinv.policies.rq.ForecastCappedBaseStock`): safety
                                        factor shift, log cap multiplier (:data:`CAPPED_OUTPUTS`, within
                                        :data:`CAPPED_OUTPUT_BOUNDS`); features ``adaptive_features``
``"weighted_base_stock"``     1         the weighted inventory position ``sum_k w_k y_k`` of a capped
                                        order-up-to level; features: the stock by arrival slot ``y_k``
============================  ========  ======================================================

Outputs of zero give the base policy exactly for ``capped_base_stock``, ``forecast_ss`` and ``forecast_capped``
(the safe fallback of a learned correction). Inference is numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.policies.base import Decision, TargetPolicy, fitted_on
from hybridinv.policies.forecast_ss import ForecastSS
from hybridinv.policies.rq import CappedBaseStock, ForecastCappedBaseStock, capped_orders, ordering_point
from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES, ADAPTIVE_OUTPUTS, adaptive_features

if TYPE_CHECKING:
    from hybridinv.policies.forecast_ss import Targets
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "CAPPED_OUTPUTS",
    "CAPPED_OUTPUT_BOUNDS",
    "PARAMETERIZATION_KINDS",
    "RESIDUAL_RANGE",
    "CappedBaseStockTargets",
    "Features",
    "ForecastCappedTargets",
    "ForecastSSTargets",
    "Parameterization",
    "SafetyStockTargets",
    "WeightedBaseStockTargets",
    "residual_metadata",
    "stock_by_arrival",
]

#: The ``parameterization`` values of model files.
PARAMETERIZATION_KINDS: tuple[str, ...] = (
    "safety_stock", "capped_base_stock", "forecast_ss", "forecast_capped", "weighted_base_stock"
)
#: Largest log-multiplier of the capped base-stock level and cap (a = +-1 scales them by e^{+-0.5}).
RESIDUAL_RANGE = 0.5
#: The per-SKU outputs of the ``forecast_capped`` parameterization.
CAPPED_OUTPUTS: tuple[str, ...] = ("safety_shift", "log_cap_multiplier")
#: Their bounds (rows low, high): the safety factor moves by at most 1, the cap by at most e^{+-0.5}.
CAPPED_OUTPUT_BOUNDS = np.array([[-1.0, -0.5], [1.0, 0.5]])


@dataclass(frozen=True)
class Features:
    """What a parameter map reads: per-SKU rows ``sku`` (n, f), ``glob`` (g,) or None, and ``context``.

    ``context`` is what the parameterization computed on the way and needs again (the demand
    scale, the base safety factor), so it is computed once per period.
    """

    sku: NDArray[Any]
    glob: NDArray[Any] | None
    context: Any = None


class Parameterization:
    """Base of the target parameterizations (see the module table).

    ``output_names`` names the outputs of a parameterization whose map reads the adaptive
    features (model files record both in their ``action_spec``, checked on load); None for
    the others.
    """

    kind = "parameterization"
    n_outputs = 0
    output_names: tuple[str, ...] | None = None

    def for_repair(self, repair: str | None) -> Parameterization:
        """The parameterization as a hybrid with repair backend ``repair`` runs it (default: itself)."""
        return self

    def reset(self, scenario: Scenario | None = None) -> None:
        """Called at the start of each episode."""

    def feature_widths(self) -> tuple[int, int]:
        """``(f, g)``: per-SKU and global features of :meth:`features` (the environment's observation size)."""
        raise NotImplementedError

    def features(self, obs: Observation) -> Features:
        raise NotImplementedError

    def targets(
        self, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per-SKU ``(reorder_point, order_up_to)`` of the map's ``outputs``."""
        raise NotImplementedError

    def decide(
        self, policy: TargetPolicy, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> Decision:
        """Order up to ``S`` where the position is at or below ``s``, then ``policy``'s repair."""
        reorder_point, order_up_to = self.targets(obs, outputs, features)
        position = obs.inventory_position
        desired = np.where(position <= reorder_point, np.maximum(order_up_to - position, 0.0), 0.0)
        desired = np.ceil(desired - 1e-9)
        return policy.finalize(desired, obs, reorder_point, order_up_to)

    def metadata(self) -> dict[str, Any]:
        """The model-file entries this parameterization needs to be rebuilt."""
        return {}


class _ObservedFeatures(Parameterization):
    """A parameterization whose map reads the environment's observation (``envs.features.observe``).

    ``context`` is the demand scale. ``cycle``: the season cycle of the observation version the
    map was trained on (:func:`hybridinv.envs.features.season_cycle`; None: the current one).
    """

    def __init__(self, cycle: int | None = None) -> None:
        self.cycle = cycle

    def feature_widths(self) -> tuple[int, int]:
        from hybridinv.envs.features import GLOBAL_FEATURES, SKU_FEATURES

        return len(SKU_FEATURES), len(GLOBAL_FEATURES)

    def features(self, obs: Observation) -> Features:
        from hybridinv.envs.features import demand_scale, observe

        scale = demand_scale(obs)
        sku_features, global_features = observe(obs, scale, self.cycle)
        return Features(sku_features, global_features, scale)


class SafetyStockTargets(_ObservedFeatures):
    """``(s, S)`` from a safety factor and a gap per SKU (the PPO network hybrid's action)."""

    kind = "safety_stock"
    n_outputs = 2

    def targets(
        self, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        from hybridinv.envs.actions import targets_from_action

        return targets_from_action(outputs, obs, features.context)


class _LevelAndCap:
    """Targets ``(level - 1, level)`` of a parameterization whose outputs set an order-up-to level and a cap."""

    def parameters(
        self, obs: Observation, outputs: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        raise NotImplementedError

    def targets(
        self, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        level, _ = self.parameters(obs, outputs)
        return level - 1.0, level


def residual_metadata(
    level: NDArray[np.float64] | None = None, cap: NDArray[np.float64] | None = None
) -> dict[str, Any]:
    """The ``residual`` and ``action_spec`` metadata entries of a capped base-stock (residual) model file."""
    from hybridinv.envs.actions import ACTION_VERSION

    return {
        "residual": {
            "base": "capped_base_stock",
            "range": RESIDUAL_RANGE,
            "level": None if level is None else [float(v) for v in level],
            "cap": None if cap is None else [float(v) for v in cap],
        },
        "action_spec": {
            "version": ACTION_VERSION,
            "kind": "residual",
            "per_sku": ["log_level_multiplier", "log_cap_multiplier"],
            "mapping": "hybridinv.rl.residual.ResidualHybrid.decide",
        },
    }


class CappedBaseStockTargets(_LevelAndCap, _ObservedFeatures):
    """Log-multipliers of a capped base-stock policy's level and cap (Xin 2021), order capped.

    ``S'_i = S_i e^{kappa a_i0}``, ``r'_i = r_i e^{kappa a_i1}``, ``q_i = ceil(min(max(S'_i - IP_i, 0), r'_i))``
    with ``kappa`` = :data:`RESIDUAL_RANGE`. The base is fitted on the scenario of
    :meth:`reset` (or the first observation) unless its level and cap are fixed.
    """

    kind = "capped_base_stock"
    n_outputs = 2

    def __init__(self, base: CappedBaseStock | None = None, cycle: int | None = None) -> None:
        super().__init__(cycle)
        self._given = base is not None
        self.base = base if base is not None else CappedBaseStock(repair="fast")

    def for_repair(self, repair: str | None) -> CappedBaseStockTargets:
        return self if self._given else CappedBaseStockTargets(CappedBaseStock(repair=repair), self.cycle)

    def reset(self, scenario: Scenario | None = None) -> None:
        """Fit the base on ``scenario`` (unless its parameters are fixed); None forgets a fitted base."""
        if self.base.level is not None and self.base.cap is not None:
            return
        if scenario is None:
            self.base.fitted_catalog_ = None  # type: ignore[attr-defined]  # forgotten: refit on next use
            return
        self.base.fit(scenario)

    def base_parameters(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The base policy's level and cap per SKU, fitted on ``obs`` unless fitted on its catalog
        (:func:`~hybridinv.policies.base.fitted_on`: until 2026-12-04 only a change in the number of
        SKUs refitted, so a hybrid reused across ``plan()`` calls kept the first catalog's levels)."""
        if not fitted_on(self.base, obs, getattr(self.base, "level_", None)):
            self.base.fit(obs)
        return self.base.level_, self.base.cap_

    def parameters(
        self, obs: Observation, outputs: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Corrected ``(level, cap)`` per SKU."""
        level, cap = self.base_parameters(obs)
        return level * np.exp(RESIDUAL_RANGE * outputs[:, 0]), cap * np.exp(RESIDUAL_RANGE * outputs[:, 1])

    def decide(
        self, policy: TargetPolicy, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> Decision:
        from hybridinv.policies.explain import cut_by_cap, implied_explanation

        level, cap = self.parameters(obs, outputs)
        position = obs.inventory_position
        decision = policy.finalize(capped_orders(level, position, cap), obs, ordering_point(level), level)
        decision.explanation = implied_explanation(level - 1.0, *obs.protection_forecast(), cap=cap,
                                                   capped=cut_by_cap(level - position, cap))
        return decision

    def metadata(self) -> dict[str, Any]:
        level, cap = self.base.level, self.base.cap
        return residual_metadata(None if level is None else np.asarray(level, dtype=np.float64),
                                 None if cap is None else np.asarray(cap, dtype=np.float64))


class ForecastSSTargets(Parameterization):
    """Corrections of the forecast-driven (s, S): forecast level, safety factor, cap and batch.

    Outputs ``a`` (:data:`~hybridinv.rl.adaptive_features.ADAPTIVE_OUTPUTS`):
    ``B_i = m_i mu_i + (z_i + a_i1) sqrt(m_i) sigma_i`` with ``m_i = e^{a_i0}``, the cap
    times ``e^{a_i2}`` and the batch times ``e^{a_i3}``
    (:meth:`ForecastSS.parameters <hybridinv.policies.forecast_ss.ForecastSS.parameters>`).
    """

    kind = "forecast_ss"
    n_outputs = len(ADAPTIVE_OUTPUTS)
    output_names = ADAPTIVE_OUTPUTS

    def __init__(self, base: ForecastSS | None = None) -> None:
        self.base = base if base is not None else ForecastSS(repair="fast")

    def for_repair(self, repair: str | None) -> ForecastSSTargets:
        """A copy whose base runs with ``repair`` (the base places the orders)."""
        return ForecastSSTargets(ForecastSS.from_options(self.base.options(), repair=repair))

    def feature_widths(self) -> tuple[int, int]:
        return len(ADAPTIVE_FEATURES), 0

    def features(self, obs: Observation) -> Features:
        safety, price = self.base.priced_safety(obs)
        return Features(adaptive_features(obs, self.base, safety), None, (safety, price))

    def parameters(self, obs: Observation, outputs: NDArray[np.float64],
                   priced: tuple[NDArray[np.float64], float]) -> Targets:
        """This period's targets with the corrections ``outputs`` (``priced``: the base's safety and space price)."""
        a = outputs
        safety, price = priced
        return self.base.parameters(
            obs,
            safety=safety,
            price=price,
            multiplier=np.exp(a[:, 0]),
            safety_shift=a[:, 1],
            cap_multiplier=np.exp(a[:, 2]),
            batch_multiplier=np.exp(a[:, 3]),
        )

    def targets(
        self, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        plan = self.parameters(obs, outputs, features.context)
        return plan.reorder_point, plan.order_up_to

    def decide(
        self, policy: TargetPolicy, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> Decision:
        return self.base.decide_with(obs, self.parameters(obs, outputs, features.context))

    def metadata(self) -> dict[str, Any]:
        return {"base": self.base.options()}


class ForecastCappedTargets(_LevelAndCap, Parameterization):
    """Corrections of the forecast capped base-stock: its safety factor and its order cap.

    Outputs ``a`` (:data:`CAPPED_OUTPUTS`) move the base's level and cap
    (:meth:`ForecastCappedBaseStock.parameters <hybridinv.policies.rq.ForecastCappedBaseStock.parameters>`):
    ``S'_i = S_i + a_i0 sigma_i`` (the safety factor ``z_i + a_i0``; ``sigma_i`` the forecast's
    standard deviation over the lead time plus one period) and ``r'_i = r_i e^{a_i1}``; the base
    then orders ``ceil(min(max(S'_i - IP_i, 0), r'_i))`` with its own repair weights. The map
    reads the adaptive hybrid's features (:func:`~hybridinv.rl.adaptive_features.adaptive_features`,
    the batch feature from a default :class:`~hybridinv.policies.forecast_ss.ForecastSS`).
    Outputs of zero are the base exactly. Where the forecast (s, S) of ``forecast_ss`` batches
    orders, this base orders every period up to a level, capped: on lost-sales, perishable or
    warehouse-bound catalogs it is the cheaper classical rule for a high fill rate (docs/rl.md).
    """

    kind = "forecast_capped"
    n_outputs = len(CAPPED_OUTPUTS)
    output_names = CAPPED_OUTPUTS

    def __init__(self, base: ForecastCappedBaseStock | None = None) -> None:
        self.base = base if base is not None else ForecastCappedBaseStock(repair="fast")
        self._batch = ForecastSS()

    def for_repair(self, repair: str | None) -> ForecastCappedTargets:
        """A copy whose base runs with ``repair`` (the base places the orders)."""
        return ForecastCappedTargets(ForecastCappedBaseStock.from_options(self.base.options(), repair=repair))

    def feature_widths(self) -> tuple[int, int]:
        return len(ADAPTIVE_FEATURES), 0

    def features(self, obs: Observation) -> Features:
        """The adaptive features; ``context`` is the base's safety factor per SKU (computed once a period)."""
        safety = self.base.safety(obs)
        return Features(adaptive_features(obs, self._batch, safety), None, safety)

    def parameters(
        self, obs: Observation, outputs: NDArray[np.float64], safety: NDArray[np.float64] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Corrected ``(level, cap)`` per SKU for this period (``safety``: the base's, if computed)."""
        return self.base.parameters(obs, safety, safety_shift=outputs[:, 0], cap_multiplier=np.exp(outputs[:, 1]))

    def decide(
        self, policy: TargetPolicy, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> Decision:
        return self.base.decide_with(obs, *self.parameters(obs, outputs, features.context))

    def metadata(self) -> dict[str, Any]:
        """The base's options and the ``action_spec`` (the features read, the outputs written)."""
        from hybridinv.rl.adaptive_features import action_spec

        spec = {**action_spec(), "kind": "forecast_capped", "per_sku": list(CAPPED_OUTPUTS),
                "mapping": "hybridinv.rl.parameterizations.ForecastCappedTargets.parameters"}
        return {"base": self.base.options(), "action_spec": spec}


def stock_by_arrival(on_hand: ArrayLike, pipeline: ArrayLike, slots: int) -> NDArray[np.float64]:
    """Stock of each SKU by the period it becomes usable, shape (n, slots).

    Column 0 is ``on_hand + pipeline[:, 0]`` (the order arriving this period is usable
    now), column ``k`` is ``pipeline[:, k]``; arrivals later than ``slots - 1`` periods
    are added to the last column.
    """
    from hybridinv.envs.features import fold_pipeline

    stock = np.asarray(on_hand, dtype=np.float64).reshape(-1)
    out = fold_pipeline(np.asarray(pipeline, dtype=np.float64).reshape(stock.size, -1), slots)
    out[:, 0] += stock
    return out


class WeightedBaseStockTargets(Parameterization):
    """A capped order-up-to level on a weighted inventory position (the map's one output).

    ``q = ceil(min(max(mu l - P, 0), mu c))`` with ``P`` the map's output (a linear map over
    the stock by arrival slot, ``P = sum_k w_k y_k``), ``mu`` the demand scale, ``l`` the
    level and ``c`` the cap in demand-scale units (scalars, or one per SKU).
    """

    kind = "weighted_base_stock"
    n_outputs = 1

    def __init__(self, level: ArrayLike, cap: ArrayLike, slots: int) -> None:
        self.level = np.asarray(level, dtype=np.float64)
        self.cap = np.asarray(cap, dtype=np.float64)
        for label, value in (("level", self.level), ("cap", self.cap)):
            if np.any(np.isnan(value)):
                raise ValueError(f"{label} must not contain NaN")
        if slots < 1:
            raise ValueError("weights must have shape (K,) or (n, K) with K >= 1")
        self.slots = int(slots)

    def check_skus(self, n: int, against: str) -> None:
        """Refuse a level or cap with one value per SKU of another count than ``n`` (numpy broadcast a 2-SKU
        level onto 1 SKU, and failed with 3)."""
        for label, value in (("level", self.level), ("cap", self.cap)):
            if value.size not in (1, n):
                raise PlanningError(f"the {label} has {value.size} values (one per SKU of its catalog); {against} "
                                    f"{n} SKUs")

    def feature_widths(self) -> tuple[int, int]:
        return self.slots, 0

    def features(self, obs: Observation) -> Features:
        from hybridinv.envs.features import demand_scale

        self.check_skus(obs.n_skus, "this plan has")
        scale = demand_scale(obs)
        net = obs.on_hand - obs.backorders  # backorders are served first from what becomes usable
        return Features(stock_by_arrival(net, obs.pipeline, self.slots), None, scale)

    def orders(self, position: NDArray[np.float64], scale: NDArray[np.float64]) -> NDArray[np.float64]:
        """Whole-unit orders for weighted positions ``position`` (n,) and demand scales (n,)."""
        return capped_orders(self.level * scale, position, self.cap * scale)

    def targets(
        self, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Equivalent ``(s, S)`` on the plain inventory position: ``S`` = position + order."""
        level = obs.inventory_position + self.orders(outputs[:, 0], features.context)
        return level - 1.0, level

    def decide(
        self, policy: TargetPolicy, obs: Observation, outputs: NDArray[np.float64], features: Features
    ) -> Decision:
        orders = self.orders(outputs[:, 0], features.context)
        level = obs.inventory_position + orders
        return policy.finalize(orders, obs, level - 1.0, level)
