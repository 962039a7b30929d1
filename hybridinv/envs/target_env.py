"""Hybrid environment: the action is per-SKU policy parameters; the repair layer places the orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import gymnasium as gym
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import number_array
from hybridinv.core.errors import PlanningError
from hybridinv.envs.actions import bounded_outputs, targets_from_action
from hybridinv.envs.base import InventoryEnv, RewardHook, ScenarioSource
from hybridinv.policies.base import Decision, TargetPolicy
from hybridinv.sim.observation import Observation
from hybridinv.sim.scenario import Scenario

if TYPE_CHECKING:
    from hybridinv.repair.result import RepairResult

__all__ = ["RepairStep", "TargetEnv", "TargetParameterization"]

#: Bounds of a parameterization's observation: its features are clipped to them (the declared space).
_FEATURE_BOUND = (-50.0, 50.0)

#: ``repair(desired, obs) -> orders``: turns desired orders into executable ones.
RepairStep = Callable[[NDArray[np.float64], Observation], NDArray[np.float64]]


class TargetParameterization(Protocol):
    """What :class:`TargetEnv` needs of a hybrid's target parameterization.

    Satisfied by :mod:`hybridinv.rl.parameterizations` (e.g. ``ForecastSSTargets``);
    ``features`` returns an object with ``sku`` (n, f), ``glob`` (g,) or None and ``context``.
    """

    kind: str
    n_outputs: int

    def for_repair(self, repair: str | None) -> TargetParameterization: ...

    def feature_widths(self) -> tuple[int, int]: ...

    def reset(self, scenario: Scenario | None = None) -> None: ...

    def features(self, obs: Observation) -> Any: ...

    def decide(self, policy: TargetPolicy, obs: Observation, outputs: NDArray[np.float64], features: Any) -> Decision:
        ...


class TargetEnv(InventoryEnv):
    """Policy parameters as actions, the repair layer places the orders.

    Without ``parameterization`` (the registered ``hybridinv/Target-v0``): per SKU
    ``(a_0, a_1) ∈ [-1, 1]^2`` map to ``(s, S)`` relative to the SKU's forecast over its
    protection interval (:func:`hybridinv.envs.actions.targets_from_action`), the
    observation is :func:`hybridinv.envs.features.observe`; the desired orders (up to S
    when the inventory position is at or below s) pass through ``repair``: by default the
    optimization repair layer (``hybridinv.repair.repair_orders``, backend ``"fast"``), so
    every executed order respects MOQ, lots, max order, capacity and budget.

    With a ``parameterization`` (e.g. :class:`hybridinv.rl.parameterizations.ForecastSSTargets`):
    the observation is its per-SKU features (SKU by SKU, then its global features), the
    action is ``k = parameterization.n_outputs`` numbers in [-1, 1] per SKU, mapped to its
    outputs by :func:`~hybridinv.envs.actions.bounded_outputs` with ``output_bounds``
    (zero stays zero, so a zero action is the parameterization's base) or taken as they are
    without bounds, and the parameterization places the orders (its own repair, backend
    ``repair``) exactly as a :class:`~hybridinv.rl.hybrid.Hybrid` of it does.
    """

    def __init__(
        self,
        scenario: ScenarioSource,
        periods: int | None = None,
        reward_spec: RewardHook | None = None,
        reward_scale: float | None = None,
        repair: RepairStep | str | None = "fast",
        parameterization: TargetParameterization | None = None,
        output_bounds: tuple[ArrayLike, ArrayLike] | None = None,
    ) -> None:
        super().__init__(scenario, periods, reward_spec, reward_scale)
        self._repair_fn = repair if callable(repair) else None
        self._target_policy = TargetPolicy(repair=None if callable(repair) else repair)
        self.parameterization: TargetParameterization | None = None
        self.output_bounds: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
        self.n_actions = 2
        if parameterization is None and output_bounds is not None:  # they were silently ignored
            raise PlanningError("output bounds apply to a parameterization's outputs; pass one",
                                column="output_bounds")
        if parameterization is not None:
            if not callable(getattr(parameterization, "for_repair", None)):  # was an AttributeError
                raise PlanningError("must be a target parameterization (hybridinv.rl.parameterizations)",
                                    column="parameterization", value=type(parameterization).__name__)
            if callable(repair):
                raise PlanningError("a parameterization places its orders with its own repair: pass a backend name",
                                    column="repair")
            self.parameterization = parameterization.for_repair(self._target_policy.repair)
            self.n_actions = int(parameterization.n_outputs)
            self.n_sku_features, self.n_global_features = parameterization.feature_widths()
            size = self.n_skus * self.n_sku_features + self.n_global_features
            self.observation_space = gym.spaces.Box(*_FEATURE_BOUND, shape=(size,), dtype=np.float32)
            if output_bounds is not None:
                self.output_bounds = _output_bounds(output_bounds, self.n_actions)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(self.n_skus * self.n_actions,), dtype=np.float32)
        self._features: Any = None
        self.last_targets: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
        self.last_desired: NDArray[np.float64] | None = None
        #: the repair of the last period's orders (None: no repair ran, or a callable ``repair`` placed them)
        self.last_repair: RepairResult | None = None

    def outputs(self, action: ArrayLike) -> NDArray[np.float64]:
        """The parameterization's per-SKU outputs ``(n, k)`` of a flat action."""
        a = np.clip(np.asarray(action, dtype=np.float64).reshape(self.n_skus, self.n_actions), -1.0, 1.0)
        if self.output_bounds is None:
            return a
        return bounded_outputs(a, *self.output_bounds)

    def _start_episode(self, scenario: Scenario) -> None:
        if self.parameterization is not None:
            self.parameterization.reset(scenario)

    def _observe(self) -> NDArray[np.float32]:
        if self.parameterization is None:
            return super()._observe()
        assert self._obs is not None
        self._features = self.parameterization.features(self._obs)
        glob = np.zeros(0) if self._features.glob is None else np.asarray(self._features.glob).reshape(-1)
        flat = np.concatenate([np.asarray(self._features.sku).reshape(-1), glob])
        # inside the declared Box(-50, 50): WeightedBaseStockTargets' features are stock in units (88 on multi_10),
        # outside the space the learner was promised (gymnasium's check_env failed on disrupted)
        return np.clip(flat, _FEATURE_BOUND[0], _FEATURE_BOUND[1]).astype(np.float32)

    def _orders(self, action: NDArray[np.float64], obs: Observation) -> NDArray[np.float64]:
        if self.parameterization is not None:
            decision = self.parameterization.decide(self._target_policy, obs, self.outputs(action), self._features)
            if decision.reorder_point is not None and decision.order_up_to is not None:
                self.last_targets = (decision.reorder_point, decision.order_up_to)
            self.last_desired = decision.desired
            self.last_repair = decision.repair
            return np.asarray(decision.orders, dtype=np.float64)
        assert self._scale is not None
        reorder, up_to = targets_from_action(action, obs, self._scale)
        self.last_targets = (reorder, up_to)
        position = obs.inventory_position
        desired = np.ceil(np.where(position <= reorder, np.maximum(up_to - position, 0.0), 0.0) - 1e-9)
        self.last_desired = desired
        self.last_repair = None
        if self._repair_fn is not None:
            return np.asarray(self._repair_fn(desired, obs), dtype=np.float64)
        decision = self._target_policy.finalize(desired, obs, reorder, up_to)
        self.last_repair = decision.repair
        return decision.orders


def _output_bounds(value: object, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(low, high)``: two sequences of ``n`` finite numbers with ``low <= 0 <= high``.

    Infinite bounds turned the zero action (the base) into NaN outputs (0 x inf), swapped ones were a bare
    ValueError, and a single number or one bound a TypeError or an unpacking error.
    """
    why = f"must be (low, high): two lists of {n} finite numbers with low <= 0 <= high"
    if not isinstance(value, tuple | list | np.ndarray) or len(value) != 2:
        raise PlanningError(why, column="output_bounds",
                            value=value if isinstance(value, str | int | float) else type(value).__name__)
    low, high = (number_array(bound, "output_bounds").reshape(-1) for bound in value)
    if low.size != n or high.size != n:
        raise PlanningError(f"output bounds need {n} values each", column="output_bounds")
    try:
        bounded_outputs(np.zeros(n), low, high)  # finite, low <= 0 <= high
    except ValueError:
        raise PlanningError(why, column="output_bounds", value=f"low {low.tolist()}, high {high.tolist()}") from None
    return low, high
