"""HiGHS backend: the repair MILP handed to highspy in one ``passModel`` call.

The arrays of :func:`hybridinv.repair.model.milp_arrays` go straight into a
``HighsLp`` (row-wise CSR) and ``changeColsIntegrality`` (a numpy code array):
no per-variable Python objects. Minimum order
quantities are semi-integer lot columns (``kSemiInteger``: 0 or a whole number
in ``[moq / lot, upper]``), not big-M binaries. The bound is HiGHS's MIP dual
bound; shadow prices come from a second solve of the LP relaxation.

HiGHS accepts a row above its bound by its own feasibility tolerance (1e-6 on the scaled
model), looser than the repair's (:meth:`RowGroup.tolerance`, 1e-9 of the row). A plan that
uses that slack is solved again with :data:`TIGHT_FEASIBILITY` so that what is returned meets
every row: cutting such a plan back afterwards (``make_feasible``) lost up to 1% against the
optimum while the status still said ``optimal``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv._highs import new_highs, run_bounded, run_mip
from hybridinv.repair.fast import dual_bound, solve_fast
from hybridinv.repair.model import BackendSolution, MilpArrays, RepairProblem, VarKind, milp_arrays
from hybridinv.repair.primal import breaks_a_row, make_feasible

__all__ = [
    "BLIND_COST", "LARGE_COST", "SEMI_UPPER_LIMIT", "TIGHT_FEASIBILITY", "available", "cost_scale", "load_model",
    "lp_relaxation_prices", "solve_highs", "start_values", "tolerance_blind",
]

#: HiGHS's primal and MIP feasibility tolerances for the second solve of a plan that broke a row.
TIGHT_FEASIBILITY = 1e-9
#: Largest upper bound HiGHS keeps on a semi-integer column (its ``kMaxSemiVariableUpper``); a
#: larger one is loaded as an integer column with a binary switch (:func:`load_model`).
SEMI_UPPER_LIMIT = 1e5
#: Objective coefficients below this (after :func:`cost_scale`) are near HiGHS's absolute dual feasibility
#: tolerance of 1e-7 (see :func:`tolerance_blind`).
BLIND_COST = 1e-6
#: Largest objective coefficient handed to HiGHS unscaled (see :func:`cost_scale`).
LARGE_COST = 2.0**30


def available() -> bool:
    """Whether highspy can be imported."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def _to_lp(arrays: MilpArrays) -> Any:
    """The continuous part of the model as a ``HighsLp`` (row-wise CSR, numpy arrays)."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = arrays.n_cols
    lp.num_row_ = arrays.n_rows
    lp.col_cost_ = arrays.cost
    lp.col_lower_ = arrays.col_lower
    lp.col_upper_ = arrays.col_upper
    lp.row_lower_ = arrays.row_lower
    lp.row_upper_ = arrays.row_upper
    lp.offset_ = arrays.offset
    matrix = lp.a_matrix_
    matrix.format_ = highspy.MatrixFormat.kRowwise
    matrix.num_col_ = arrays.n_cols
    matrix.num_row_ = arrays.n_rows
    matrix.start_ = arrays.indptr.astype(np.int32)
    matrix.index_ = arrays.indices.astype(np.int32)
    matrix.value_ = arrays.data
    return lp


def cost_scale(arrays: MilpArrays) -> float:
    """Power of two the objective is multiplied by before it goes to HiGHS.

    1 unless the largest cost is below 1 or at least :data:`LARGE_COST`; then the power of two that
    brings it to ``[1, 2)`` (exact: no rounding). HiGHS's optimality tolerances are absolute (dual
    feasibility 1e-7, MIP gap 1e-6): with weights of 1e-7 they are the size of the costs themselves,
    and HiGHS called plans up to 14 % above the optimum optimal, with a dual bound above the
    optimum; and it takes a cost of 1e20 or more for infinite. The bound and the prices are scaled back.
    """
    top = float(np.abs(arrays.cost).max(initial=0.0))
    if not (0.0 < top < 1.0 or LARGE_COST <= top < np.inf):
        return 1.0
    return float(2.0 ** -np.floor(np.log2(top)))


def tolerance_blind(arrays: MilpArrays, reference: float, gap_tolerance: float) -> bool:
    """Whether HiGHS's optimality tolerances can hide a share of the objective that matters (the scaled arrays).

    HiGHS judges reduced costs to an absolute 1e-7: a column whose cost is below :data:`BLIND_COST` (after
    :func:`cost_scale`) is nearly free to it. When such columns, each at its upper bound, could add more than a
    tenth of the accepted gap (at least 1e-7) of ``reference`` — the objective of a plan known to be feasible —
    HiGHS's "optimal" and its dual bound are not a certificate: a 2-SKU instance whose costs spanned 1e17 came
    back "optimal" at 8.48 with a bound of 8.48 where a feasible plan costs 5.42.
    """
    cost = np.abs(arrays.cost)
    small = (cost > 0.0) & (cost < BLIND_COST)
    if not small.any():
        return False
    hidden = float(cost[small] @ np.abs(arrays.col_upper[small]))
    return hidden > 0.1 * max(gap_tolerance, 1e-6) * abs(reference)


def _scaled(arrays: MilpArrays, factor: float) -> MilpArrays:
    return arrays if factor == 1.0 else replace(arrays, cost=arrays.cost * factor, offset=arrays.offset * factor)


def _switched(arrays: MilpArrays) -> tuple[MilpArrays, NDArray[np.int64]]:
    """``arrays`` with every semi-integer column above :data:`SEMI_UPPER_LIMIT` given a binary switch.

    Such a column ``m`` (``0`` or a whole number in ``[l, u]``) becomes an integer column on
    ``[0, u]`` plus a binary column ``y`` appended after the others, with the rows
    ``m - u y <= 0`` and ``m - l y >= 0`` appended after the others: the same set of values, and
    every existing column and row keeps its index. Returns the arrays and the switched columns,
    in the order of their binaries.
    """
    switched = np.flatnonzero((arrays.kind == VarKind.SEMI_INTEGER) & (arrays.col_upper > SEMI_UPPER_LIMIT))
    if switched.size == 0:
        return arrays, switched
    k, n_cols = switched.size, arrays.n_cols
    binary = n_cols + np.arange(k)
    kind = arrays.kind.copy()
    kind[switched] = VarKind.INTEGER
    low, up = arrays.col_lower[switched], arrays.col_upper[switched]
    lower = arrays.col_lower.copy()
    lower[switched] = 0.0
    indices = np.empty(4 * k, dtype=np.int32)
    indices[0::2] = np.repeat(switched, 2)  # rows (m, y) with sorted indices: y comes after every column
    indices[1::2] = np.repeat(binary, 2)
    data = np.empty(4 * k)
    data[0::2] = 1.0
    data[1::4], data[3::4] = -up, -low
    return replace(
        arrays,
        cost=np.concatenate([arrays.cost, np.zeros(k)]),
        col_lower=np.concatenate([lower, np.zeros(k)]),
        col_upper=np.concatenate([arrays.col_upper, np.ones(k)]),
        kind=np.concatenate([kind, np.full(k, VarKind.INTEGER, dtype=np.int8)]),
        indptr=np.concatenate([arrays.indptr, arrays.indptr[-1] + 2 * np.arange(1, 2 * k + 1)]),
        indices=np.concatenate([arrays.indices, indices]),
        data=np.concatenate([arrays.data, data]),
        row_lower=np.concatenate([arrays.row_lower, np.tile([-np.inf, 0.0], k)]),
        row_upper=np.concatenate([arrays.row_upper, np.tile([0.0, np.inf], k)]),
    ), switched


def load_model(highs: Any, arrays: MilpArrays) -> NDArray[np.int64]:
    """Hand the arrays to ``highs``: one ``passModel`` and one ``changeColsIntegrality``.

    A semi-integer column whose upper bound exceeds :data:`SEMI_UPPER_LIMIT` is loaded as an
    integer column with a binary switch appended (:func:`_switched`): HiGHS cuts such a bound to
    1e5 and stops with a solve error when the optimum lies above (a MOQ SKU wanting more than
    100,000 lots had no HiGHS plan). Returns the switched columns, in the order of their
    binaries (:func:`start_values` completes a start for the loaded model).
    """
    import highspy

    arrays, switched = _switched(arrays)
    highs.passModel(_to_lp(arrays))
    if (arrays.kind != VarKind.CONTINUOUS).any():
        codes = np.zeros(len(VarKind), dtype=np.uint8)
        codes[VarKind.INTEGER] = int(highspy.HighsVarType.kInteger)
        codes[VarKind.SEMI_INTEGER] = int(highspy.HighsVarType.kSemiInteger)
        index = np.arange(arrays.n_cols, dtype=np.int32)
        highs.changeColsIntegrality(arrays.n_cols, index, codes[arrays.kind])
    return switched


def start_values(start: NDArray[np.float64], switched: NDArray[np.int64]) -> NDArray[np.float64]:
    """Column values of the model :func:`load_model` loaded: ``start`` and a binary per switched column."""
    return np.concatenate([start, (start[switched] > 0.5).astype(np.float64)])


def _group_prices(problem: RepairProblem, row_dual: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    out = []
    offset = problem.n_skus
    factor = problem.coupling_row_factor()
    for g in problem.groups:
        # HiGHS duals of binding <= rows are <= 0 when minimising; the price is the
        # objective decrease per unit of extra right-hand side (of the unscaled row).
        scaled = factor[offset - problem.n_skus : offset - problem.n_skus + g.n_rows]
        out.append(np.maximum(-row_dual[offset : offset + g.n_rows] * scaled, 0.0))
        offset += g.n_rows
    return tuple(out)


def lp_relaxation_prices(
    problem: RepairProblem, time_limit: float | None = None
) -> tuple[NDArray[np.float64], ...] | None:
    """Shadow prices of the coupling rows from the LP relaxation (one array per group).

    Zeros when the LP has no dual solution; ``None`` when ``time_limit`` (seconds) ran out first.
    """
    if not problem.groups:
        return ()
    if time_limit is not None and time_limit <= 1e-3:
        return None
    highs = new_highs(time_limit)
    problem = problem.for_prices()  # without the row-implied column bounds, which take the rows' prices
    arrays = milp_arrays(problem, relax=True)
    factor = cost_scale(arrays)
    load_model(highs, _scaled(arrays, factor))
    if not run_bounded(highs):  # presolve ran past the limit (see run_bounded)
        return None
    solution = highs.getSolution()
    if not solution.dual_valid:
        if time_limit is not None and _status(highs) == "time_limit":
            return None
        return tuple(np.zeros(g.n_rows) for g in problem.groups)
    return _group_prices(problem, np.asarray(solution.row_dual, dtype=np.float64) / factor)


def _status(highs: Any) -> str:
    import highspy

    status = highs.getModelStatus()
    names = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInterrupt: "interrupted",
        highspy.HighsModelStatus.kSolutionLimit: "solution_limit",
        highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
    }
    return names.get(status, highs.modelStatusToString(status).lower().replace(" ", "_"))


def solve_highs(
    problem: RepairProblem,
    *,
    time_limit: float | None = None,
    gap_tolerance: float = 1e-4,
    warm_start: NDArray[np.float64] | None = None,
    prices: bool = True,
) -> BackendSolution | None:
    """Solve the repair MILP with HiGHS.

    Parameters
    ----------
    problem : RepairProblem
    time_limit : float, optional
        Seconds for the call (the best incumbent is returned when it is reached; a HiGHS run still in
        presolve past it is abandoned, see :func:`hybridinv._highs.run_bounded`, and ``None`` returned).
    gap_tolerance : float
        HiGHS ``mip_rel_gap``.
    warm_start : array of float, optional
        Feasible lots (e.g. the fast path's plan) given to ``setSolution``.
    prices : bool
        Also solve the LP relaxation for shadow prices.

    Returns
    -------
    BackendSolution or None
        ``None`` when HiGHS found no feasible plan within the limits.
    """
    began = time.perf_counter()
    arrays = milp_arrays(problem)
    factor = cost_scale(arrays)  # HiGHS sees the objective times factor; its bound is divided by it
    arrays = _scaled(arrays, factor)
    highs = new_highs(time_limit, gap_tolerance)
    switched = load_model(highs, arrays)
    n = problem.n_skus
    start = None
    # a feasible plan whose objective checks HiGHS's bound (see run_mip): the warm start, else the fast plan's
    fast_plan = None if warm_start is not None else solve_fast(problem)
    known = np.asarray(warm_start, dtype=np.float64) if fast_plan is None else fast_plan.lots
    if warm_start is not None:
        start = start_values(np.concatenate([known, np.maximum(problem.lot_size * known - problem.desired, 0.0)]),
                             switched)
    known_cost = problem.objective(known)
    reference = known_cost * factor
    if time_limit is not None:  # the limit is the call's: building the model and the fast plan took part of it
        highs.setOptionValue("time_limit", max(time_limit - (time.perf_counter() - began), 1e-3))
    solved = run_mip(highs, start, reference)
    if solved is None:
        return None
    values, bound, proven = solved
    lots = np.round(values[:n]).astype(np.float64)
    nodes = int(highs.getInfo().mip_node_count)
    left = None if time_limit is None else time_limit - (time.perf_counter() - began)
    if breaks_a_row(problem, lots) and (left is None or left > 1e-3):
        tight = new_highs(left, gap_tolerance)
        tight.setOptionValue("primal_feasibility_tolerance", TIGHT_FEASIBILITY)
        tight.setOptionValue("mip_feasibility_tolerance", TIGHT_FEASIBILITY)
        load_model(tight, arrays)
        again = run_mip(tight, start, reference)
        nodes += int(tight.getInfo().mip_node_count)
        if again is not None and not breaks_a_row(problem, np.round(again[0][:n])):
            lots, highs = np.round(again[0][:n]).astype(np.float64), tight
            bound, proven = max(bound if proven else 0.0, again[1]), again[2]  # an unproven run's bound is 0
    row_prices = tuple(np.zeros(g.n_rows) for g in problem.groups)
    if prices:
        # the LP gets what is left of the time limit (at 100,000 SKUs it took 12.8 s after a 4 s limit); when
        # that runs out, the fast path's Lagrangian multipliers price the rows instead
        left = None if time_limit is None else time_limit - (time.perf_counter() - began)
        lp_prices = lp_relaxation_prices(problem, left)
        row_prices = lp_prices if lp_prices is not None else (fast_plan or solve_fast(problem)).prices
    feasible = make_feasible(problem, lots)  # a no-op unless even the second solve broke a row (or had no time)
    cost = problem.objective(feasible)
    if known_cost < cost:  # HiGHS did worse than the plan it was checked on
        feasible, proven, cost = known, False, known_cost
    certified = max(bound / factor, 0.0)
    if tolerance_blind(arrays, cost * factor, gap_tolerance):  # the kept plan's cost, never above the known one
        # HiGHS's bound may lie above the optimum: the Lagrangian bound certifies instead
        certified, proven = (fast_plan.bound if fast_plan is not None else dual_bound(problem)), False
    return BackendSolution(
        lots=feasible,
        bound=certified,
        # a plan cut back below HiGHS's, or one whose check failed, is no longer one HiGHS proved:
        # repair_orders judges it by its gap
        status=_status(highs) if proven and np.array_equal(feasible, lots) else "heuristic",
        prices=row_prices,
        iterations=nodes,
        backend="highs",
    )
