"""Entry point of the repair layer: :func:`repair_orders`."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import replace
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core import (
    Catalog,
    Constraints,
    ConstraintViolationWarning,
    InventoryState,
    PlanningError,
    SolverFallbackWarning,
)
from hybridinv.core.constraints import supplier_of
from hybridinv.core.errors import flag, number_in, whole_number
from hybridinv.repair import fast, highs, pulp_backend
from hybridinv.repair.inputs import build_problem
from hybridinv.repair.model import BackendSolution, RepairProblem, RowKind
from hybridinv.repair.primal import make_feasible
from hybridinv.repair.result import RepairDiagnostics, RepairResult, RowViolation, certified_gap

__all__ = [
    "DEFAULT_GAP_TOLERANCE",
    "POLISH_BASE_SECONDS",
    "POLISH_SECONDS_PER_SKU",
    "POLISH_TIME_LIMIT",
    "Backend",
    "available_backends",
    "certified_status",
    "polish_time_limit",
    "repair_backend",
    "repair_orders",
]

#: Default certified relative gap accepted from the fast path before polishing.
DEFAULT_GAP_TOLERANCE: float = 0.005
#: Largest number of seconds the ``auto`` backend gives the HiGHS polish when no time limit is set.
POLISH_TIME_LIMIT: float = 2.0
#: Seconds of the ``auto`` polish for any instance ... A safety net rather than a budget: HiGHS
#: stops at its gap in 2-350 ms on the benchmark instances below 1,000 SKUs, and a plan that
#: depended on where the clock stopped it would differ between runs of the same seed on a busy
#: machine (a base of 0.2 s was reached at 80-150 SKUs under a load of 2-4).
POLISH_BASE_SECONDS: float = 1.0
#: ... plus this many per SKU (1.05 s at 1,000 SKUs, 1.5 s at 10,000, capped at ``POLISH_TIME_LIMIT``).
POLISH_SECONDS_PER_SKU: float = 5e-5


#: Largest ``n_skus`` :func:`polish_time_limit` takes (rows of a repair problem; more than fit in memory).
MAX_POLISH_ROWS: int = 10**9


def polish_time_limit(n_skus: int) -> float:
    """Seconds of the ``auto`` backend's HiGHS polish without a caller's time limit.

    ``min(POLISH_BASE_SECONDS + POLISH_SECONDS_PER_SKU * n_skus, POLISH_TIME_LIMIT)``:
    the polish only runs when the fast certificate is above the tolerance, and then
    keeps the better plan, so running out of time loses nothing.

    Raises
    ------
    PlanningError
        Naming ``n_skus`` unless it is a whole number from 0 to :data:`MAX_POLISH_ROWS` (until 2026-12-06
        None, ``"abc"``, NaN, inf or a list were bare errors, and ``True``, ``"3"``, -1 or 1e30 were taken).
    """
    count = whole_number(n_skus, "n_skus", 0)
    if count > MAX_POLISH_ROWS:
        raise PlanningError(f"must be a whole number from 0 to {MAX_POLISH_ROWS:,}", column="n_skus", value=n_skus)
    return min(POLISH_BASE_SECONDS + POLISH_SECONDS_PER_SKU * count, POLISH_TIME_LIMIT)


class Backend(StrEnum):
    """Repair backends (``repair_orders(..., backend=...)`` also takes the strings)."""

    AUTO = "auto"
    FAST = "fast"
    HIGHS = "highs"
    PULP = "pulp"


def available_backends() -> list[Backend]:
    """Backends whose solver packages can be imported."""
    out = [Backend.AUTO, Backend.FAST]
    if highs.available():
        out.append(Backend.HIGHS)
    if pulp_backend.available():
        out.append(Backend.PULP)
    return out


def repair_backend(value: Backend | str, column: str = "backend") -> Backend:
    """The :class:`Backend` named by ``value`` (a member or its name).

    Raises
    ------
    PlanningError
        Naming ``column`` (``"repair"`` for a policy's option) and the known names.
    """
    try:
        return Backend(value)
    except ValueError:
        names = [b.value for b in Backend]
        raise PlanningError(f"unknown repair backend; must be one of {names}", column=column, value=value) from None


def certified_status(status: str, gap: float, tolerance: float, backend: str | None) -> str:
    """The status a repair reports from its backend's status and its certified ``gap`` (single site and network).

    ``"optimal"`` at gap 0, ``"within_gap"`` up to ``tolerance``, else the backend's own status, except that
    PuLP's ``"optimal"`` (judged by its solver's own gaps; PuLP reports no bound) becomes ``"heuristic"``:
    HiGHS's answers are checked against its bound (``run_mip``). A ``"fallback"`` stays as it is.
    """
    if status == "fallback":
        return status
    if gap == 0.0:
        return "optimal"
    if gap <= tolerance:
        return "within_gap"
    return "heuristic" if status == "optimal" and backend == "pulp" else status


def _fault(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _run_auto(problem: RepairProblem, time_limit: float | None, gap_tolerance: float, start: float) -> BackendSolution:
    first = fast.solve_fast(problem, time_limit, gap_tolerance)
    objective = problem.objective(first.lots)
    if certified_gap(objective, first.bound) <= gap_tolerance or not highs.available():
        return first
    elapsed = time.perf_counter() - start
    remaining = polish_time_limit(problem.n_skus) if time_limit is None else time_limit - elapsed
    if remaining <= 1e-3:
        return first
    try:
        polish = highs.solve_highs(
            problem, time_limit=remaining, gap_tolerance=gap_tolerance, warm_start=first.lots, prices=False
        )
    except Exception as exc:  # a solver fault must not lose the plan: keep the fast one and say why
        reason = f"the HiGHS polish failed ({_fault(exc)}); the fast plan is returned"
        return replace(first, status="fallback", fallback_reason=reason)
    if polish is None:
        return first
    kept = problem.objective(polish.lots) < objective
    return BackendSolution(
        lots=polish.lots if kept else first.lots,
        bound=max(first.bound, polish.bound),
        # HiGHS's verdict is on HiGHS's plan only; a polish cut short by the clock says so either way
        status=polish.status if kept or polish.status == "time_limit" else "heuristic",
        prices=first.prices,
        iterations=first.iterations + polish.iterations,
        backend="fast+highs",
    )


def _fallback(problem: RepairProblem, backend: Backend, reason: str) -> BackendSolution:
    """The fast plan in place of a backend that could not deliver one."""
    plan = fast.solve_fast(problem)
    return replace(plan, status="fallback", backend=f"{backend.value}->fast", fallback_reason=reason)


def _solve(
    problem: RepairProblem,
    backend: Backend,
    time_limit: float | None,
    gap_tolerance: float,
    solver: Any,
    start: float,
) -> BackendSolution:
    if backend is Backend.AUTO:
        return _run_auto(problem, time_limit, gap_tolerance, start)
    if backend is Backend.FAST:
        return fast.solve_fast(problem, time_limit, gap_tolerance)
    if backend is Backend.HIGHS:
        if not highs.available():
            raise PlanningError("backend 'highs' needs the highspy package", column="backend", value="highs")
    elif not pulp_backend.available():
        raise PlanningError("backend 'pulp' needs the pulp package", column="backend", value="pulp")
    try:
        if backend is Backend.HIGHS:
            solution = highs.solve_highs(problem, time_limit=time_limit, gap_tolerance=gap_tolerance)
        else:
            solution = pulp_backend.solve_pulp(
                problem, solver=solver, time_limit=time_limit, gap_tolerance=gap_tolerance
            )
    except Exception as exc:  # a missing or crashing solver must not lose the plan
        return _fallback(problem, backend, f"the {backend.value} solver failed ({_fault(exc)})")
    if solution is None:
        return _fallback(problem, backend, f"the {backend.value} solver found no feasible plan within the limits")
    return solution


def _violations(problem: RepairProblem, lots: NDArray[np.float64]) -> tuple[RowViolation, ...]:
    """Rows of ``problem`` over-used by ``lots`` (an unbounded problem and total lots)."""
    out = []
    for group in problem.groups:
        usage = group.usage(lots)
        excess = usage - group.limit
        tol = group.tolerance()
        for r in np.flatnonzero(excess > tol):
            out.append(
                RowViolation(
                    kind=group.kind.value,
                    name=group.names[r],
                    limit=float(group.limit[r]),
                    usage=float(usage[r]),
                    amount=float(excess[r]),
                )
            )
    return tuple(out)


def _diagnostics(
    problem: RepairProblem, solution: BackendSolution, lots: NDArray[np.float64], status: str, seconds: float
) -> RepairDiagnostics:
    """Diagnostics of the residual ``lots``, with usage and violations of the total order against the given rows."""
    original = problem.base if problem.base is not None else problem
    lots = problem.total_lots(lots)
    capacity = np.zeros(0)
    budget = 0.0
    supplier: dict[str, float] = {}
    usage: dict[str, float] = {}
    limit: dict[str, float] = {}
    for group, price in zip(original.groups, solution.prices, strict=True):
        price = np.asarray(price, dtype=np.float64)
        if group.kind is RowKind.CAPACITY:
            capacity = price.copy()
        elif group.kind is RowKind.BUDGET:
            budget = float(price[0])
        else:
            supplier = {supplier_of(name): float(p) for name, p in zip(group.names, price, strict=True)}
        for name, used, lim in zip(group.names, group.usage(lots), group.limit, strict=True):
            usage[name] = float(used)
            limit[name] = float(lim)
    capacity.setflags(write=False)
    return RepairDiagnostics(
        backend=solution.backend,
        status=status,
        solve_time=seconds,
        iterations=solution.iterations,
        violations=_violations(original, lots),
        capacity_price=capacity,
        budget_price=budget,
        supplier_price=dict(supplier),
        row_usage=dict(usage),
        row_limit=dict(limit),
        fallback_reason=solution.fallback_reason,
    )


def repair_orders(
    desired: ArrayLike,
    catalog: Catalog,
    state: InventoryState,
    constraints: Constraints,
    under_weight: ArrayLike | None = None,
    over_weight: ArrayLike | None = None,
    backend: Backend | str = Backend.AUTO,
    time_limit: float | None = None,
    expected_demand: ArrayLike | None = None,
    gap_tolerance: float = DEFAULT_GAP_TOLERANCE,
    solver: Any | None = None,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    warn: bool = True,
) -> RepairResult:
    """Turn desired order quantities into whole-lot orders that respect every rule.

    Solves ``min sum_i under_weight_i (d_i - q_i)^+ + over_weight_i (q_i - d_i)^+``
    over ``q_i ∈ {0} ∪ [moq_i, max_order_i]``, ``q_i`` a multiple of ``lot_size_i``,
    subject to the capacity rows of :func:`hybridinv.core.capacity_rows` (one per
    receipt period), the budget row and the supplier rows. ``d_i = max(desired_i, 0)``.
    Optional per-SKU bounds add ``lower_i <= q_i <= upper_i`` inside the
    optimization (see :meth:`RepairProblem.with_bounds`).

    Parameters
    ----------
    desired : array of float, shape (n,)
        Desired order quantity per SKU (catalog order); fractional and negative
        values are allowed, NaN is not.
    catalog : Catalog
    state : InventoryState
        Aligned with the catalog (``state.aligned(catalog)``).
    constraints : Constraints
    under_weight, over_weight : array of float, optional
        Cost per unit below / above the desired quantity. Defaults:
        ``shortage_cost + 1e-6`` and ``holding_cost * 1 period + 1e-6``.
    backend : {"auto", "fast", "highs", "pulp"} or Backend
        ``fast``: Lagrangian decomposition with a certified bound (milliseconds).
        ``highs``: exact MILP with HiGHS. ``pulp``: the MILP through PuLP objects.
        ``auto``: fast, then a HiGHS polish warm-started from it when the
        certified gap exceeds ``gap_tolerance``, for at most the rest of
        ``time_limit`` or, without one, :func:`polish_time_limit` seconds.
    time_limit : float, optional
        Seconds for the whole call; the best plan found so far is returned.
    expected_demand : array, shape (n,) or (n, H), optional
        Forecast used to project stock to each receipt period
        (default ``catalog.demand_mean``, NaN → 0).
    gap_tolerance : float
        Accepted relative gap (fast path acceptance and MILP ``mip_rel_gap``).
    solver : pulp solver, optional
        Solver object for ``backend="pulp"``.
    lower, upper : array of float, optional
        Per-SKU bounds on the order in units (catalog order; a scalar is
        broadcast; ``upper`` may be ``inf``). Every order satisfies
        ``lower_i <= q_i <= upper_i`` after whole-lot and MOQ rounding:
        ``upper`` allows at most ``floor(upper_i / lot_size_i)`` lots (0 when that
        is below the MOQ), ``lower_i > 0`` forces at least
        ``max(ceil(lower_i / lot_size_i), moq lots)`` lots (zero is then not allowed).
    warn : bool
        Issue :class:`~hybridinv.ConstraintViolationWarning` when rows cannot all be met
        (they are in ``diagnostics.violations`` either way). Policies pass ``False`` in
        simulation, where a receipt period already over capacity is a normal consequence
        of demand below forecast; solver fallbacks always warn.

    Returns
    -------
    RepairResult
        Always a plan. When constraints cannot all be met (stock already above
        capacity, or minimum orders from ``lower`` alone above the budget or a
        capacity), the plan keeps the minimum orders, orders nothing else that
        uses the over-full rows, each violated row is listed in
        ``diagnostics.violations`` and a :class:`hybridinv.ConstraintViolationWarning`
        is issued. ``objective`` and ``bound`` refer to the deviation from the
        original desired quantities, bounds or not.

    Raises
    ------
    PlanningError
        For invalid inputs (NaN desired quantities, negative or non-finite
        weights, misaligned state, unknown backend, NaN or negative bounds, ...)
        and for conflicting bounds (``lower`` above ``upper`` or ``max_order``
        after rounding), naming the SKU and the values.
    """
    start = time.perf_counter()
    mode = repair_backend(backend)
    # "2" or True were read; inf: no limit
    limit = None if time_limit is None else number_in(time_limit, "time_limit", 0.0, math.inf, open_low=True,
                                                      allow_inf=True)
    tolerance = number_in(gap_tolerance, "gap_tolerance", 0.0, 1.0, open_high=True)  # "0.01" was read
    warn = flag(warn, "warn")
    if solver is not None and mode is not Backend.PULP:
        raise PlanningError("solver= applies to backend='pulp' only", column="solver")
    problem = build_problem(
        desired, catalog, state, constraints, under_weight, over_weight, expected_demand, lower, upper
    )
    solution = _solve(problem, mode, limit, tolerance, solver, start)
    lots = make_feasible(problem, solution.lots)
    # the backends solve the residual problem; the offset is a constant, so the bound stays valid
    objective = problem.total_objective(lots)
    bound = min(max(solution.bound, 0.0) + problem.objective_offset, objective)
    gap = certified_gap(objective, bound)
    status = certified_status(solution.status, gap, tolerance, solution.backend)
    diagnostics = _diagnostics(problem, solution, lots, status, time.perf_counter() - start)
    if solution.fallback_reason is not None:
        warnings.warn(
            f"repair backend {mode.value!r}: {solution.fallback_reason}; returned the fast plan "
            f"(diagnostics.fallback_reason)",
            SolverFallbackWarning,
            stacklevel=2,
        )
    if warn and diagnostics.violations:
        rows = ", ".join(f"{v.name} over by {v.amount:g}" for v in diagnostics.violations)
        warnings.warn(
            f"constraints cannot all be met; returning the closest plan ({rows})",
            ConstraintViolationWarning,
            stacklevel=2,
        )
    orders = problem.total_lots(lots) * problem.lot_size
    orders.setflags(write=False)
    return RepairResult(
        orders=orders,
        objective=objective,
        bound=bound,
        diagnostics=diagnostics,
        problem=problem,
    )
