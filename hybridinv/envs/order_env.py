"""Pure-RL environment: the action is the order quantity of every SKU."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import flag
from hybridinv.envs.actions import orders_from_action
from hybridinv.envs.base import InventoryEnv, RewardHook, ScenarioSource
from hybridinv.policies.base import needs_repair
from hybridinv.sim.observation import Observation

__all__ = ["OrderEnv"]


class OrderEnv(InventoryEnv):
    """Orders as actions: ``a_i ∈ [-1, 1]`` maps to ``(a_i + 1)/2 · 6 · scale_i`` units.

    Constraints are handled the way pure RL does: raw orders are scaled down
    proportionally to fit the capacity rows and the budget and rounded down
    (MOQ and lot sizes may be broken and are counted as violations by the
    simulator); units that do not fit at receipt are rejected and charged.

    Registered as ``hybridinv/Order-v0``.
    """

    def __init__(
        self,
        scenario: ScenarioSource,
        periods: int | None = None,
        reward_spec: RewardHook | None = None,
        reward_scale: float | None = None,
        scale_to_constraints: bool = True,
    ) -> None:
        super().__init__(scenario, periods, reward_spec, reward_scale)
        self.scale_to_constraints = flag(scale_to_constraints, "scale_to_constraints")  # "no" scaled
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(self.n_skus,), dtype=np.float32)

    def _orders(self, action: NDArray[np.float64], obs: Observation) -> NDArray[np.float64]:
        assert self._scale is not None
        raw = orders_from_action(action, self._scale)
        if not self.scale_to_constraints or not needs_repair(obs):
            return raw
        from hybridinv.repair import proportional_scale

        horizon = int(obs.catalog.lead_time.max()) + 1
        return proportional_scale(raw, obs.catalog, obs.state(), obs.constraints, expected_demand=obs.forecast(horizon))
