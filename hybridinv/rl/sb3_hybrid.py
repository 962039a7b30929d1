"""The hybrid's parts as stable-baselines3 trains them: environment, shared policy, numpy hybrid, metadata.

:func:`hybridinv.rl.training.train` trains a hybrid's SKU-shared network map with PPO or SAC
(``--algo hybrid``; ``TrainConfig.learner``) on one of three target parameterizations
(``TrainConfig.parameterization``):

- ``"safety_stock"``: :class:`~hybridinv.envs.TargetEnv` as registered (``hybridinv/Target-v0``),
  two outputs per SKU (``targets_from_action``), observation ``envs.features.observe``;
- ``"forecast_ss"``: the shipped default's parameterization
  (:class:`~hybridinv.rl.parameterizations.ForecastSSTargets`): the same 15 per-SKU features
  (:data:`~hybridinv.rl.adaptive_features.ADAPTIVE_FEATURES`, no global features) in, the same
  4 per-SKU corrections out, each action in [-1, 1] mapped to the linear map's clip ranges
  (:data:`~hybridinv.rl.adaptive_features.OUTPUT_BOUNDS`) with zero kept at zero, so a zero
  action is exactly the forecast-driven (s, S) base; the base's repair places the orders;
- ``"forecast_capped"``: the same features in, the 2 corrections of the forecast capped
  base-stock out (:class:`~hybridinv.rl.parameterizations.ForecastCappedTargets`, bounds
  :data:`~hybridinv.rl.parameterizations.CAPPED_OUTPUT_BOUNDS`), zero action = that base.

The trained network becomes a numpy :class:`~hybridinv.rl.hybrid.Hybrid` with a
:class:`~hybridinv.rl.maps.NetworkMap` (bounds, and ``tanh`` for SAC), and its model file
records ``parameterization``, ``parameter_map: network``, ``learner`` and ``network_output``.
Importing this module imports torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm

from hybridinv.envs import TargetEnv
from hybridinv.policies.forecast_ss import ForecastSS
from hybridinv.policies.rq import ForecastCappedBaseStock
from hybridinv.rl.adaptive_features import OUTPUT_BOUNDS, action_spec
from hybridinv.rl.hybrid import Hybrid
from hybridinv.rl.maps import NetworkMap
from hybridinv.rl.network import SharedSkuPolicy, SharedSkuSACPolicy, export_weights
from hybridinv.rl.numpy_policy import SharedPolicyNetwork
from hybridinv.rl.parameterizations import (
    CAPPED_OUTPUT_BOUNDS,
    ForecastCappedTargets,
    ForecastSSTargets,
    Parameterization,
    SafetyStockTargets,
)

__all__ = [
    "SB3_PARAMETERIZATIONS",
    "SB3_LEARNERS",
    "fold_own_context",
    "hybrid_env",
    "hybrid_metadata",
    "hybrid_of",
    "network_map",
    "parameterization",
    "policy_class",
    "policy_kwargs",
]

#: The parameterizations whose network map PPO and SAC train.
SB3_PARAMETERIZATIONS: tuple[str, ...] = ("safety_stock", "forecast_ss", "forecast_capped")
#: The SB3 learners of a hybrid.
SB3_LEARNERS: tuple[str, ...] = ("ppo", "sac")


def parameterization(kind: str, base: dict[str, Any] | None = None) -> Parameterization:
    """The parameterization ``kind`` (``base``: the options of its base policy)."""
    if kind == "forecast_ss":
        return ForecastSSTargets(ForecastSS.from_options(base) if base else ForecastSS(repair="fast"))
    if kind == "forecast_capped":
        return ForecastCappedTargets(ForecastCappedBaseStock.from_options(base or {}))
    if kind == "safety_stock":
        return SafetyStockTargets()
    raise ValueError(f"PPO and SAC train the parameterizations {SB3_PARAMETERIZATIONS}, not {kind!r}")


def _bounds(kind: str) -> tuple[np.ndarray, np.ndarray] | None:
    bounds = {"forecast_ss": OUTPUT_BOUNDS, "forecast_capped": CAPPED_OUTPUT_BOUNDS}.get(kind)
    return None if bounds is None else (bounds[0].copy(), bounds[1].copy())


def hybrid_env(source: Any, kind: str, base: dict[str, Any] | None = None) -> TargetEnv:
    """The training environment of parameterization ``kind`` on a scenario source."""
    if kind == "safety_stock":
        return TargetEnv(source)
    return TargetEnv(source, parameterization=parameterization(kind, base), output_bounds=_bounds(kind))


def policy_class(learner: str) -> type:
    """The SKU-shared SB3 policy of ``learner``."""
    return SharedSkuSACPolicy if learner == "sac" else SharedSkuPolicy


def policy_kwargs(env: TargetEnv, hidden: int, log_std_init: float) -> dict[str, Any]:
    """``policy_kwargs`` of the shared policy on ``env``."""
    return {
        "n_sku_features": env.n_sku_features,
        "n_global_features": env.n_global_features,
        "n_actions": env.n_actions,
        "hidden": hidden,
        "log_std_init": log_std_init,
    }


def network_map(network: SharedPolicyNetwork, kind: str, learner: str) -> NetworkMap:
    """The numpy map of a trained network: its action as the environment maps it (bounds, squash)."""
    bounds = _bounds(kind)
    squash = "tanh" if learner == "sac" else "clip"
    return NetworkMap(network, None if bounds is None else bounds[0], None if bounds is None else bounds[1], squash)


def fold_own_context(network: SharedPolicyNetwork) -> SharedPolicyNetwork:
    """The network of a policy trained one SKU at a time, for any number of SKUs.

    Trained on :class:`~hybridinv.envs.sku_vec.SkuVecEnv`, the shared network saw one SKU per
    observation, so its pooled context was that SKU's own embedding: the actor's first layer
    computed ``W_e e_i + W_c e_i + W_g g``. On a catalog the pooled context is the mean of every
    SKU's embedding; this returns the same actor with ``W_e + W_c`` on the SKU's embedding and
    zero on the pool, so each SKU's action is exactly the one the trained policy gives it alone
    (the value head, unused in planning, keeps its weights).
    """
    weights = {key: value.copy() for key, value in network.weights.items()}
    hidden = network.hidden
    actor = weights["actor1.weight"]
    actor[:, :hidden] += actor[:, hidden : 2 * hidden]
    actor[:, hidden : 2 * hidden] = 0.0
    return SharedPolicyNetwork(weights)


def hybrid_of(model: BaseAlgorithm, kind: str, learner: str, base: dict[str, Any] | None = None,
              name: str = "hybrid", credit: str = "catalog") -> Hybrid:
    """The numpy hybrid of the SB3 model's current policy.

    ``credit="sku"``, ``"priced"`` or ``"difference"``: the policy was trained per SKU
    (:class:`~hybridinv.envs.sku_vec.SkuVecEnv`); its network is folded by :func:`fold_own_context`.
    """
    policy = model.policy
    assert isinstance(policy, SharedSkuPolicy | SharedSkuSACPolicy)
    network = export_weights(policy)
    if credit != "catalog":
        network = fold_own_context(network)
    return Hybrid(parameterization(kind, base), network_map(network, kind, learner), learner, name=name)


def hybrid_metadata(agent: Hybrid) -> dict[str, Any]:
    """The model-file entries that say what ``agent`` is and how its network's action becomes outputs."""
    assert isinstance(agent.parameter_map, NetworkMap)
    meta: dict[str, Any] = {**agent.composition, "network_output": agent.parameter_map.output_metadata()}
    if isinstance(agent.parameterization, ForecastSSTargets):
        spec = {**action_spec(), "kind": "forecast_ss_network",
                "mapping": "hybridinv.envs.actions.bounded_outputs, then ForecastSSTargets.decide"}
        meta.update({"action_spec": spec, **agent.parameterization.metadata()})
    elif isinstance(agent.parameterization, ForecastCappedTargets):
        meta.update(agent.parameterization.metadata())
        meta["action_spec"] = {**meta["action_spec"], "kind": "forecast_capped_network",
                               "mapping": "hybridinv.envs.actions.bounded_outputs, then ForecastCappedTargets.decide"}
    return meta
