"""Problem data model: catalog, inventory state, constraints, errors."""

from __future__ import annotations

from hybridinv.core.catalog import CATALOG_OPTIONAL, CATALOG_REQUIRED, Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError, PlanningWarning, SolverFallbackWarning
from hybridinv.core.feasibility import OrderCheck, RowUse, check_orders
from hybridinv.core.limits import MAX_LEAD_TIME, MAX_ORDER, MAX_QUANTITY
from hybridinv.core.projection import CapacityRows, capacity_rows, project_on_hand
from hybridinv.core.state import InventoryState

__all__ = [
    "CATALOG_OPTIONAL",
    "CATALOG_REQUIRED",
    "CapacityRows",
    "Catalog",
    "ConstraintViolationWarning",
    "Constraints",
    "InventoryState",
    "MAX_LEAD_TIME",
    "MAX_ORDER",
    "MAX_QUANTITY",
    "OrderCheck",
    "PlanningError",
    "PlanningWarning",
    "RowUse",
    "SolverFallbackWarning",
    "capacity_rows",
    "check_orders",
    "project_on_hand",
]
