"""Hybrid environment: the action is (s, S) parameters per SKU; the repair layer places the orders."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from hybridinv.envs.actions import targets_from_action
from hybridinv.envs.base import InventoryEnv, RewardHook, ScenarioSource
from hybridinv.policies.base import TargetPolicy
from hybridinv.sim.observation import Observation

__all__ = ["RepairStep", "TargetEnv"]

#: ``repair(desired, obs) -> orders``: turns desired orders into executable ones.
RepairStep = Callable[[NDArray[np.float64], Observation], NDArray[np.float64]]


class TargetEnv(InventoryEnv):
    """Policy parameters as actions: per SKU ``(a_0, a_1) ∈ [-1, 1]^2`` map to
    ``(s, S)`` relative to the SKU's forecast over its protection interval
    (see :func:`hybridinv.envs.actions.targets_from_action`).

    The desired orders (up to S when the inventory position is at or below s)
    pass through ``repair``: by default the optimization repair layer
    (``hybridinv.repair.repair_orders``, backend ``"fast"``), so every executed
    order respects MOQ, lots, max order, capacity and budget.

    Registered as ``hybridinv/Target-v0``.
    """

    def __init__(
        self,
        scenario: ScenarioSource,
        periods: int | None = None,
        reward_spec: RewardHook | None = None,
        reward_scale: float | None = None,
        repair: RepairStep | str | None = "fast",
    ) -> None:
        super().__init__(scenario, periods, reward_spec, reward_scale)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(self.n_skus * 2,), dtype=np.float32)
        self._repair_fn = repair if callable(repair) else None
        self._target_policy = TargetPolicy(repair=None if callable(repair) else repair)
        self.last_targets: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
        self.last_desired: NDArray[np.float64] | None = None

    def _orders(self, action: NDArray[np.float64], obs: Observation) -> NDArray[np.float64]:
        assert self._scale is not None
        reorder, up_to = targets_from_action(action, obs, self._scale)
        self.last_targets = (reorder, up_to)
        position = obs.inventory_position
        desired = np.ceil(np.where(position <= reorder, np.maximum(up_to - position, 0.0), 0.0) - 1e-9)
        self.last_desired = desired
        if self._repair_fn is not None:
            return np.asarray(self._repair_fn(desired, obs), dtype=np.float64)
        return self._target_policy.finalize(desired, obs, reorder, up_to).orders
