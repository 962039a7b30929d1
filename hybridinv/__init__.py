"""hybridinv: inventory replenishment joining reinforcement learning with optimization.

The public API: :func:`plan` (one period's orders), :func:`simulate` (evaluate a
policy on a scenario), the data model (:class:`Catalog`, :class:`InventoryState`,
:class:`Constraints`, :class:`Scenario`) and :class:`PlanningError`. Importing
this package never imports torch.
"""

from __future__ import annotations

from hybridinv import policies, scenarios
from hybridinv.core import (
    Catalog,
    Constraints,
    ConstraintViolationWarning,
    InventoryState,
    PlanningError,
    PlanningWarning,
    SolverFallbackWarning,
)
from hybridinv.planner import plan
from hybridinv.sim import Scenario, Simulator, simulate

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "ConstraintViolationWarning",
    "Constraints",
    "InventoryState",
    "PlanningError",
    "PlanningWarning",
    "Scenario",
    "Simulator",
    "SolverFallbackWarning",
    "__version__",
    "plan",
    "policies",
    "scenarios",
    "simulate",
]
