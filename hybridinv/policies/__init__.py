"""Policies: the common interface, classical rules, and (lazily) the RL agents."""

from __future__ import annotations

from hybridinv.policies.base import Decision, Policy, TargetPolicy
from hybridinv.policies.classical import SS, BaseStock

__all__ = ["SS", "BaseStock", "Decision", "Policy", "TargetPolicy"]
