"""A policy factory registered at run time by the tuning tests (importable by worker processes and Ray workers)."""

from __future__ import annotations

from typing import Any

from hybridinv.policies import factories


def levelled(scenario: Any = None, **options: Any) -> Any:
    """Base-stock under another name: a policy the shipped registry does not know."""
    return factories.base_stock(scenario, **options)
