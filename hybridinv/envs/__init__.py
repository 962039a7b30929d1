"""Gymnasium environments: pure-RL orders (``hybridinv/Order-v0``) and hybrid
policy parameters repaired by optimization (``hybridinv/Target-v0``).

``gymnasium.make("hybridinv/Target-v0", scenario="multi_50")`` takes a scenario
object or a registry name. The ids are registered when this module is imported (``import hybridinv``
does not import it, to stay free of gymnasium); ``gymnasium.make("hybridinv.envs:hybridinv/Target-v0")``
imports it first.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from hybridinv.envs.actions import ACTION_VERSION, orders_from_action, targets_from_action
from hybridinv.envs.base import InventoryEnv
from hybridinv.envs.features import GLOBAL_FEATURES, OBSERVATION_VERSION, SKU_FEATURES, demand_scale, observe
from hybridinv.envs.order_env import OrderEnv
from hybridinv.envs.target_env import TargetEnv

__all__ = [
    "ACTION_VERSION",
    "GLOBAL_FEATURES",
    "OBSERVATION_VERSION",
    "SKU_FEATURES",
    "InventoryEnv",
    "OrderEnv",
    "TargetEnv",
    "demand_scale",
    "make_order_env",
    "make_target_env",
    "observe",
    "orders_from_action",
    "targets_from_action",
]


def _scenario(value: Any) -> Any:
    if isinstance(value, str):
        from hybridinv import scenarios

        return scenarios.get(value)
    return value


def make_order_env(scenario: Any = "multi_10", **kwargs: Any) -> OrderEnv:
    """Entry point of ``hybridinv/Order-v0``."""
    return OrderEnv(_scenario(scenario), **kwargs)


def make_target_env(scenario: Any = "multi_10", **kwargs: Any) -> TargetEnv:
    """Entry point of ``hybridinv/Target-v0``."""
    return TargetEnv(_scenario(scenario), **kwargs)


for _id, _entry in (("hybridinv/Order-v0", make_order_env), ("hybridinv/Target-v0", make_target_env)):
    if _id not in gym.registry:
        gym.register(id=_id, entry_point=_entry)
