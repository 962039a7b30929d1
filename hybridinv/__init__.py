"""hybridinv: inventory replenishment joining reinforcement learning with optimization.

The public API: :func:`plan` (one period's orders), :func:`plan_network` (one period
of a distribution network: supplier orders and shipments), :func:`simulate` (evaluate a
policy on a scenario), the data model (:class:`Catalog`, :class:`InventoryState`,
:class:`Constraints`, :class:`Scenario`) and :class:`PlanningError`. Importing
this package never imports torch.

The names are loaded on first access (PEP 562), so ``import hybridinv`` and the
``hybridinv`` command's ``--help`` import neither numpy, pandas nor scipy;
``from hybridinv import plan`` loads the data model, the simulator and the
policies (numpy and pandas), and scipy is imported only by the functions that use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from hybridinv.network.planning import plan_network
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
    "plan_network",
    "policies",
    "scenarios",
    "simulate",
]

#: Where each public name lives; loaded by :func:`__getattr__` on first access.
_HOMES: dict[str, str] = {
    "Catalog": "hybridinv.core",
    "ConstraintViolationWarning": "hybridinv.core",
    "Constraints": "hybridinv.core",
    "InventoryState": "hybridinv.core",
    "PlanningError": "hybridinv.core",
    "PlanningWarning": "hybridinv.core",
    "SolverFallbackWarning": "hybridinv.core",
    "Scenario": "hybridinv.sim",
    "Simulator": "hybridinv.sim",
    "simulate": "hybridinv.sim",
    "plan": "hybridinv.planner",
    "plan_network": "hybridinv.network.planning",
}


def __getattr__(name: str) -> Any:
    """Load a public name, or a subpackage (``hybridinv.sim``, ``hybridinv.policies``, ...), on first access."""
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value
    if not name.startswith("_"):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
