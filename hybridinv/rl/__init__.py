"""Reinforcement learning: the hybrid agent, pure-RL baselines, training and model files.

One :class:`Hybrid` = a target parameterization (:mod:`hybridinv.rl.parameterizations`)
x a parameter map shared across SKUs (:mod:`hybridinv.rl.maps`) x a learner (ES, PPO, SAC);
:class:`AdaptiveHybrid`, :class:`CappedHybrid`, :class:`ResidualHybrid` and :class:`LinearHybrid`
are named configurations of it.

Importing this package does not import torch or stable-baselines3: the hybrid
agent plans with a numpy forward pass (:mod:`hybridinv.rl.numpy_policy`).
Training (:func:`train`, :class:`TrainConfig`) and the torch network are loaded
lazily on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

from hybridinv.rl.hybrid import AdaptiveHybrid, CappedHybrid, Hybrid, LinearHybrid, ResidualHybrid
from hybridinv.rl.integrity import hash_model_files, write_file_hashes
from hybridinv.rl.maps import LinearMap, NetworkMap
from hybridinv.rl.model_file import ModelFile, ModelFileError, load_model, save_model
from hybridinv.rl.numpy_policy import SharedPolicyNetwork
from hybridinv.rl.parameterizations import (
    CappedBaseStockTargets,
    ForecastCappedTargets,
    ForecastSSTargets,
    SafetyStockTargets,
    WeightedBaseStockTargets,
)
from hybridinv.rl.paths import models_directory, resolve_model_path
from hybridinv.rl.pure import PureRL
from hybridinv.rl.tabular import QLearning, SingleSkuDiscreteEnv
from hybridinv.rl.variants import Curriculum, DomainRandomization

__all__ = [
    "AdaptiveHybrid",
    "CappedBaseStockTargets",
    "CappedHybrid",
    "Curriculum",
    "DomainRandomization",
    "ForecastCappedTargets",
    "ForecastSSTargets",
    "Hybrid",
    "LinearHybrid",
    "LinearMap",
    "ModelFile",
    "ModelFileError",
    "NetworkMap",
    "PureRL",
    "QLearning",
    "ResidualHybrid",
    "SafetyStockTargets",
    "SharedPolicyNetwork",
    "SingleSkuDiscreteEnv",
    "TrainConfig",
    "WeightedBaseStockTargets",
    "hash_model_files",
    "load_model",
    "models_directory",
    "resolve_model_path",
    "save_model",
    "train",
    "write_file_hashes",
]

_LAZY = {"TrainConfig": "hybridinv.rl.training", "train": "hybridinv.rl.training"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hybridinv.rl' has no attribute {name!r}")
