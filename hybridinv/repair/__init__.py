"""The optimization repair layer: desired per-SKU quantities → feasible integer orders.

>>> from hybridinv.repair import repair_orders            # doctest: +SKIP
>>> result = repair_orders(desired, catalog, state, constraints)  # doctest: +SKIP
>>> result.orders, result.gap, result.explain(catalog)     # doctest: +SKIP

Backends (``backend=``): ``fast`` (Lagrangian decomposition, certified bound),
``highs`` (MILP through highspy), ``pulp`` (MILP through PuLP objects, LP/MPS
export) and ``auto`` (fast, polished with HiGHS when the gap is too large).
"""

from __future__ import annotations

from hybridinv.repair.api import (
    DEFAULT_GAP_TOLERANCE,
    POLISH_TIME_LIMIT,
    Backend,
    available_backends,
    polish_time_limit,
    repair_orders,
)
from hybridinv.repair.inputs import HOLDING_PERIODS, TIE_BREAK_WEIGHT, build_problem, default_weights
from hybridinv.repair.model import MilpArrays, RepairProblem, RowGroup, RowKind, milp_arrays
from hybridinv.repair.pulp_backend import export_model
from hybridinv.repair.result import REASONS, RepairDiagnostics, RepairResult, RowViolation
from hybridinv.repair.scale import proportional_scale

__all__ = [
    "DEFAULT_GAP_TOLERANCE",
    "HOLDING_PERIODS",
    "POLISH_TIME_LIMIT",
    "REASONS",
    "TIE_BREAK_WEIGHT",
    "Backend",
    "MilpArrays",
    "RepairDiagnostics",
    "RepairProblem",
    "RepairResult",
    "RowGroup",
    "RowKind",
    "RowViolation",
    "available_backends",
    "build_problem",
    "default_weights",
    "export_model",
    "milp_arrays",
    "polish_time_limit",
    "proportional_scale",
    "repair_orders",
]
