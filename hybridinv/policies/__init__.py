"""Policies: the common interface, classical rules, MPC, bounds, and (lazily) the RL agents.

``PureRL`` and ``Hybrid`` live in :mod:`hybridinv.rl`; they are importable from here
on first access without importing torch for inference.
"""

from __future__ import annotations

from typing import Any

from hybridinv.policies.base import Decision, Policy, TargetPolicy
from hybridinv.policies.classical import SS, BaseStock
from hybridinv.policies.dynamic import DynamicSS
from hybridinv.policies.newsvendor import Newsvendor
from hybridinv.policies.rq import RQ, CappedBaseStock, ForecastCappedBaseStock

__all__ = [
    "MPC",
    "RQ",
    "SS",
    "BaseStock",
    "CappedBaseStock",
    "Decision",
    "DynamicSS",
    "ForecastCappedBaseStock",
    "Hybrid",
    "Newsvendor",
    "Policy",
    "PureRL",
    "TargetPolicy",
    "clairvoyant_bound",
]


def __getattr__(name: str) -> Any:
    if name == "MPC":
        from hybridinv.policies.mpc import MPC

        return MPC
    if name == "clairvoyant_bound":
        from hybridinv.policies.clairvoyant import clairvoyant_bound

        return clairvoyant_bound
    if name == "Hybrid":
        from hybridinv.rl.hybrid import Hybrid

        return Hybrid
    if name == "PureRL":
        from hybridinv.rl.pure import PureRL

        return PureRL
    raise AttributeError(f"module 'hybridinv.policies' has no attribute {name!r}")
