"""The network repair as one MILP, for HiGHS (one ``passModel``) and PuLP (any PuLP solver).

Columns, location-major over (location, SKU): ``x`` — lots at the roots (integer, or
semi-integer ``{0} ∪ [min_lots, upper]`` under a MOQ), whole units for shipments (integer in
``[0, parent's on-hand]``) — then a surplus column ``v >= lot·x - d`` per cell, so the
objective ``sum under (d - q)^+ + over (q - d)^+`` is ``sum under d - under·lot·x +
(under + over) v`` (the single-location trick of :mod:`hybridinv.repair.model`). Rows: one
deviation row per cell, one stock row per parent with two or more children and SKU (with
one child the column bound is the row), one capacity row per location with a finite
capacity (inflow minus outflow, by volume) and the budget. Rows whose right-hand side is
in ``(0, 1)`` are divided by it (solvers hold rows to an absolute tolerance).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.network.repair_model import NetworkRepairProblem
from hybridinv.repair.highs import _status, load_model, start_values
from hybridinv.repair.model import MilpArrays, VarKind

__all__ = ["network_milp_arrays", "solve_network_highs", "solve_network_pulp"]


def _row_factor(rhs: NDArray[np.float64]) -> NDArray[np.float64]:
    scaled = (rhs >= np.finfo(np.float64).tiny) & (rhs < 1)
    return np.where(scaled, 1.0 / np.where(scaled, rhs, 1.0), 1.0)


def network_milp_arrays(problem: NetworkRepairProblem) -> MilpArrays:
    """The MILP of ``problem`` as arrays (row-wise CSR), columns ``[x (L·n), v (L·n)]``."""
    net = problem.network
    n_loc, n = problem.shape
    cells = n_loc * n
    lot = problem.lot.reshape(-1)
    under, over = problem.under_weight.reshape(-1), problem.over_weight.reshape(-1)
    desired = problem.desired.reshape(-1)
    upper = problem.upper.reshape(-1)
    is_root = np.zeros((n_loc, n), dtype=bool)
    is_root[net.roots] = True
    semi = (is_root & (problem.min_lots > 1)).reshape(-1) & (upper > 0)
    kind = np.full(2 * cells, VarKind.CONTINUOUS, dtype=np.int8)
    kind[:cells] = np.where(semi, VarKind.SEMI_INTEGER, VarKind.INTEGER)
    col_lower = np.concatenate([np.where(semi, problem.min_lots.reshape(-1), 0.0), np.zeros(cells)])
    col_upper = np.concatenate([upper, np.maximum(lot * upper - desired, 0.0)])
    cost = np.concatenate([-under * lot, under + over])
    cell = np.arange(cells)
    rows: list[NDArray[np.int64]] = [np.repeat(cell, 2)]
    cols: list[NDArray[np.int64]] = [np.stack([cell, cell + cells], axis=1).reshape(-1)]
    vals: list[NDArray[np.float64]] = [np.stack([-lot, np.ones(cells)], axis=1).reshape(-1)]
    lower_rows: list[NDArray[np.float64]] = [-desired]
    upper_rows: list[NDArray[np.float64]] = [np.full(cells, np.inf)]
    n_rows = cells
    # stock rows: parents with two or more children
    k_rows = net.non_roots
    parent = net.parent[k_rows]
    counts = np.bincount(parent, minlength=n_loc)
    shared = np.flatnonzero(counts >= 2)
    if shared.size:
        slot = np.full(n_loc, -1)
        slot[shared] = np.arange(shared.size)
        kids = k_rows[counts[parent] >= 2]
        row = n_rows + (slot[net.parent[kids]][:, None] * n + np.arange(n)[None, :])
        rows.append(row.reshape(-1))
        cols.append((kids[:, None] * n + np.arange(n)[None, :]).reshape(-1))
        vals.append(np.ones(kids.size * n))
        lower_rows.append(np.full(shared.size * n, -np.inf))
        upper_rows.append(problem.on_hand[shared].reshape(-1))
        n_rows += shared.size * n
    # capacity rows: + volume x (lots at roots) at the location, - volume x at its children
    cap = problem.capacity_rows
    rhs_cap = problem.capacity_rhs[cap]
    factor_cap = _row_factor(rhs_cap)
    for r, (i, f) in enumerate(zip(cap, factor_cap, strict=True)):
        children = k_rows[parent == i]
        own = i * n + np.arange(n)
        kid_cols = (children[:, None] * n + np.arange(n)[None, :]).reshape(-1)
        coef = np.concatenate([problem.volume * problem.lot[i], -np.tile(problem.volume, children.size)]) * f
        keep = coef != 0
        rows.append(np.full(int(keep.sum()), n_rows + r))
        cols.append(np.concatenate([own, kid_cols])[keep])
        vals.append(coef[keep])
    lower_rows.append(np.full(cap.size, -np.inf))
    upper_rows.append(rhs_cap * factor_cap)
    n_rows += cap.size
    factors = [factor_cap]
    if problem.has_budget:
        f = _row_factor(np.array([problem.budget]))
        root_cols = (net.roots[:, None] * n + np.arange(n)[None, :]).reshape(-1)
        coef = (problem.unit_cost[None, :] * problem.lot[net.roots]).reshape(-1) * f[0]
        keep = coef != 0
        rows.append(np.full(int(keep.sum()), n_rows))
        cols.append(root_cols[keep])
        vals.append(coef[keep])
        lower_rows.append(np.array([-np.inf]))
        upper_rows.append(np.array([problem.budget]) * f)
        n_rows += 1
        factors.append(f)
    row = np.concatenate(rows)
    col = np.concatenate(cols)
    val = np.concatenate(vals)
    order = np.lexsort((col, row))
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=indptr[1:])
    return MilpArrays(cost=cost, col_lower=col_lower, col_upper=col_upper, kind=kind, indptr=indptr,
                      indices=col[order].astype(np.int32), data=val[order], row_lower=np.concatenate(lower_rows),
                      row_upper=np.concatenate(upper_rows), offset=float((under * desired).sum()), n_skus=cells,
                      row_factor=np.concatenate(factors))


def _quantities(problem: NetworkRepairProblem, values: NDArray[np.float64]) -> NDArray[np.float64]:
    cells = problem.desired.size
    return np.round(np.asarray(values[:cells], dtype=np.float64)).reshape(problem.shape) * problem.lot


def solve_network_highs(problem: NetworkRepairProblem, *, time_limit: float | None = None,
                        gap_tolerance: float = 1e-4, warm_start: NDArray[np.float64] | None = None,
                        reference: float | None = None) -> tuple[NDArray[np.float64], float, str, int] | None:
    """Solve the MILP with HiGHS (``threads=1``, silent).

    Returns ``(x, bound, status, nodes)`` with ``x`` in units (L, n) and ``bound`` HiGHS's MIP
    dual bound, or ``None`` when HiGHS found no plan within the limits. ``reference`` is the
    objective of a plan known to be feasible (the warm start's by default), which HiGHS's answer
    is checked against (:func:`hybridinv._highs.run_mip`); an answer that fails the check has
    status ``heuristic`` and bound 0.
    """
    from hybridinv._highs import new_highs, run_mip

    arrays = network_milp_arrays(problem)
    highs = new_highs(time_limit, gap_tolerance)
    switched = load_model(highs, arrays)
    start = None
    if warm_start is not None:
        lots = np.asarray(warm_start, dtype=np.float64) / problem.lot
        # with the binary switches load_model appends for MOQ columns above SEMI_UPPER_LIMIT lots (a start
        # without them has the wrong length and HiGHS ignored it)
        start = start_values(
            np.concatenate([lots.reshape(-1), np.maximum(warm_start - problem.desired, 0.0).reshape(-1)]), switched)
        if reference is None:
            reference = problem.objective(warm_start)
    solved = run_mip(highs, start, reference)
    if solved is None:
        return None
    values, bound, proven = solved
    status = _status(highs) if proven else "heuristic"
    return _quantities(problem, values), bound, status, int(highs.getInfo().mip_node_count)


def solve_network_pulp(problem: NetworkRepairProblem, *, solver: Any | None = None, time_limit: float | None = None,
                       gap_tolerance: float = 1e-4) -> tuple[NDArray[np.float64], str] | None:
    """Solve the same MILP built from PuLP objects (default CBC, quiet, one thread).

    The MOQ is a binary ``y`` with ``min_lots y <= x <= upper y``; the objective is ``under s +
    over v`` with a shortfall column ``s >= d - lot·x`` (no constant term, which PuLP would drop and
    CBC's relative gap would then be measured without). Returns ``(x, status)`` or
    ``None`` without a feasible plan. PuLP reports no dual bound; the caller certifies the
    plan with the Lagrangian bound.
    """
    import pulp

    from hybridinv.repair.pulp_backend import SolverUnavailableError, _variable, default_solver

    solver = solver if solver is not None else default_solver(time_limit, gap_tolerance)
    if not solver.available():
        raise SolverUnavailableError(f"PuLP solver {type(solver).__name__} is not available here")
    arrays = network_milp_arrays(problem)
    model = pulp.LpProblem("network_repair", pulp.LpMinimize)
    columns = []
    for c in range(arrays.n_cols):
        integer = arrays.kind[c] != VarKind.CONTINUOUS
        low = 0.0 if arrays.kind[c] == VarKind.SEMI_INTEGER else float(arrays.col_lower[c])
        columns.append(_variable(model, f"c{c}", low, float(arrays.col_upper[c]),
                                 pulp.LpInteger if integer else pulp.LpContinuous))
    # the deviation as under·s + over·v with a shortfall s >= d - lot·x next to the surplus v: every term >= 0 and
    # no constant. Written as the arrays' under·d - under·lot·x + (under + over)·v, PuLP dropped the constant
    # sum(under·d), and CBC's relative gap was measured against a large negative objective (a plan 1.6% above
    # the optimum stopped as "optimal" at gapRel 0.5%), as in the single-location model (repair/pulp_backend.py)
    cells = problem.desired.size
    lot = problem.lot.reshape(-1)
    under, over = problem.under_weight.reshape(-1), problem.over_weight.reshape(-1)
    desired = problem.desired.reshape(-1)
    terms = [(columns[cells + c], float(over[c])) for c in np.flatnonzero(over > 0).tolist()]
    for c in np.flatnonzero((under > 0) & (desired > 0)).tolist():
        short = _variable(model, f"s{c}", 0.0, float(desired[c]), pulp.LpContinuous)
        terms.append((short, float(under[c])))
        model += short + float(lot[c]) * columns[c] >= float(desired[c]), f"short{c}"
    model += pulp.LpAffineExpression(terms)
    for semi in np.flatnonzero(arrays.kind == VarKind.SEMI_INTEGER).tolist():
        y = _variable(model, f"y{semi}", 0, 1, pulp.LpBinary)
        model += columns[semi] - float(arrays.col_upper[semi]) * y <= 0, f"on{semi}"
        model += columns[semi] - float(arrays.col_lower[semi]) * y >= 0, f"moq{semi}"
    for r in range(arrays.n_rows):
        span = slice(arrays.indptr[r], arrays.indptr[r + 1])
        expr = pulp.LpAffineExpression([(columns[c], float(v)) for c, v in
                                        zip(arrays.indices[span], arrays.data[span], strict=True)])
        if math.isfinite(arrays.row_upper[r]):
            model += pulp.LpConstraint(expr, sense=pulp.LpConstraintLE, name=f"r{r}u", rhs=float(arrays.row_upper[r]))
        if math.isfinite(arrays.row_lower[r]):
            model += pulp.LpConstraint(expr, sense=pulp.LpConstraintGE, name=f"r{r}l", rhs=float(arrays.row_lower[r]))
    model.solve(solver)
    if model.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return None
    values = np.array([0.0 if v.varValue is None else float(v.varValue) for v in columns])
    status = "optimal" if model.sol_status == pulp.LpSolutionOptimal else "feasible"
    return _quantities(problem, values), status
