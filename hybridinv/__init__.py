"""hybridinv: inventory replenishment joining reinforcement learning with optimization."""

from __future__ import annotations

from hybridinv.core import Catalog, ConstraintViolationWarning, Constraints, InventoryState, PlanningError

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "ConstraintViolationWarning",
    "Constraints",
    "InventoryState",
    "PlanningError",
    "__version__",
]
