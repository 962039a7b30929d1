"""PuLP backend: the repair MILP built from PuLP objects, any PuLP solver.

One PuLP variable and constraint per SKU and row, so building is ~100× slower
than the HiGHS backend at 10,000 SKUs; use it for small models, for another MILP
solver (CBC, GLPK, Gurobi, ... through ``solver=``) or to export the model as an
LP or MPS file (:func:`export_model`). The minimum order is modelled with a
binary ``y_i`` and tight bounds ``min_lots_i y_i <= m_i <= upper_lots_i y_i``
(``upper_lots`` is always finite).

The bound is the fast path's Lagrangian bound: PuLP exposes no dual bound, and a
solver's "optimal" holds only within its own relative and absolute gaps, so
trusting it could overstate the certificate. Shadow prices come from the LP
relaxation solved with the same solver.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core._quiet import warnings_filtered
from hybridinv.repair.fast import dual_bound
from hybridinv.repair.model import BackendSolution, RepairProblem

__all__ = ["SolverUnavailableError", "available", "build_pulp_model", "default_solver", "export_model", "solve_pulp"]


class SolverUnavailableError(RuntimeError):
    """The PuLP solver object cannot run here (its program or licence is missing)."""


def available() -> bool:
    """Whether PuLP can be imported."""
    try:
        import pulp  # noqa: F401
    except ImportError:
        return False
    return True


def default_solver(time_limit: float | None = None, gap_tolerance: float | None = None) -> Any:
    """CBC through PuLP, quiet and single-threaded.

    ``COIN_CMD`` when a CBC binary is on the path, else PuLP's bundled
    ``PULP_CBC_CMD`` (its PuLP 4 deprecation warning is silenced here).
    """
    import pulp

    options: dict[str, Any] = {"msg": False, "threads": 1, "timeLimit": time_limit, "gapRel": gap_tolerance}
    coin = pulp.COIN_CMD(**options)
    if coin.available():
        return coin
    with warnings_filtered(("ignore", "", DeprecationWarning, r"pulp(\.|$)")):  # "install pulp[cbc]"
        return pulp.PULP_CBC_CMD(**options)


def _variable(model: Any, name: str, low: float | None, up: float | None, cat: str) -> Any:
    """A variable of ``model`` (``add_variable`` from PuLP 3.3 on, ``LpVariable`` before)."""
    import pulp

    if hasattr(model, "add_variable"):
        return model.add_variable(name, low, up, cat=cat)
    return pulp.LpVariable(name, low, up, cat=cat)


class PulpModel:
    """A PuLP problem for a :class:`RepairProblem` and its variables."""

    def __init__(self, problem: RepairProblem, name: str = "repair") -> None:
        import pulp

        self.problem = problem
        n = problem.n_skus
        lot, under, over = problem.lot_size, problem.under_weight, problem.over_weight
        upper, low = problem.upper_lots, problem.min_lots
        self.model = pulp.LpProblem(name, pulp.LpMinimize)
        model = self.model
        self.lots = [_variable(model, f"m_{i}", 0, float(upper[i]), pulp.LpInteger) for i in range(n)]
        surplus_cap = np.maximum(lot * upper - problem.desired, 0.0)
        self.surplus = [_variable(model, f"o_{i}", 0, float(surplus_cap[i]), pulp.LpContinuous) for i in range(n)]
        shortfall = [_variable(model, f"s_{i}", 0, float(max(problem.desired[i], 0.0)), pulp.LpContinuous)
                     for i in range(n)]
        self.switch: dict[int, Any] = {}
        # every term >= 0 and no constant: written as under (d - q) + (under + over) surplus, the constant
        # sum(under d) was dropped for the solver, whose relative gap then measured against a large negative
        # objective (a plan 9% above the optimum stopped as "optimal" at gapRel 0.5%)
        terms = [(shortfall[i], float(under[i])) for i in range(n)]
        terms += [(self.surplus[i], float(over[i])) for i in range(n)]
        self.model += pulp.LpAffineExpression(terms)
        for i in range(n):
            self.model += self.surplus[i] - float(lot[i]) * self.lots[i] >= float(-problem.desired[i]), f"dev_{i}"
            self.model += shortfall[i] + float(lot[i]) * self.lots[i] >= float(problem.desired[i]), f"short_{i}"
            if low[i] > 1 and upper[i] > 0:
                y = _variable(model, f"y_{i}", 0, 1, pulp.LpBinary)
                self.switch[i] = y
                self.model += self.lots[i] - float(upper[i]) * y <= 0, f"on_{i}"
                self.model += self.lots[i] - float(low[i]) * y >= 0, f"moq_{i}"
        self.rows: list[list[Any]] = []
        # rows below 1 are divided by their right-hand side (absolute solver tolerances; see
        # RepairProblem.coupling_row_factor); columns fixed at 0 stay out of the rows
        self.row_factor = problem.coupling_row_factor()
        offset = 0
        for gi, group in enumerate(problem.groups):
            constraints = []
            for r in range(group.n_rows):
                f = float(self.row_factor[offset + r])
                idx = np.flatnonzero((group.member == r) & (group.coef != 0) & (upper > 0))
                expr = pulp.LpAffineExpression([(self.lots[i], float(group.coef[i]) * f) for i in idx])
                rhs = float(group.rhs[r]) * f
                con = pulp.LpConstraint(expr, sense=pulp.LpConstraintLE, rhs=rhs, name=f"g{gi}_r{r}")
                self.model += con
                constraints.append(con)
            self.rows.append(constraints)
            offset += group.n_rows

    def lot_values(self) -> NDArray[np.float64]:
        """Solution lots (0 where the solver left a variable unset)."""
        values = [v.varValue for v in self.lots]
        return np.round(np.array([0.0 if v is None else float(v) for v in values]))

    @contextlib.contextmanager
    def relaxed(self) -> Any:
        """Temporarily make every variable continuous (the LP relaxation)."""
        import pulp

        saved = [(v, v.cat) for v in self.model.variables()]
        for v, _ in saved:
            v.cat = pulp.LpContinuous
        try:
            yield self.model
        finally:
            for v, cat in saved:
                v.cat = cat


def build_pulp_model(problem: RepairProblem) -> PulpModel:
    """Build the PuLP model (one Python object per variable and row)."""
    return PulpModel(problem)


def export_model(path: str | Path, problem: RepairProblem) -> Path:
    """Write the repair MILP to ``path``: MPS when it ends in ``.mps``, else LP format."""
    target = Path(path)
    model = PulpModel(problem).model
    if target.suffix.lower() == ".mps":
        model.writeMPS(str(target))
    else:
        model.writeLP(str(target))
    return target


def _prices(model: PulpModel, solver: Any) -> tuple[NDArray[np.float64], ...]:
    import pulp

    try:
        with model.relaxed() as lp:
            status = lp.solve(solver)
    except pulp.PulpSolverError:
        status = 0
    out = []
    offset = 0
    for constraints in model.rows:
        pis = [c.pi if status == pulp.LpStatusOptimal and c.pi is not None else 0.0 for c in constraints]
        factor = model.row_factor[offset : offset + len(constraints)]
        out.append(np.maximum(-np.asarray(pis, dtype=np.float64) * factor, 0.0))
        offset += len(constraints)
    return tuple(out)


def solve_pulp(
    problem: RepairProblem,
    *,
    solver: Any | None = None,
    time_limit: float | None = None,
    gap_tolerance: float = 1e-4,
    prices: bool = True,
) -> BackendSolution | None:
    """Solve the repair MILP through PuLP.

    Parameters
    ----------
    problem : RepairProblem
    solver : pulp solver, optional
        Any PuLP solver object; default :func:`default_solver` with the limits.
    time_limit : float, optional
        Seconds (only applied to the default solver).
    gap_tolerance : float
        Relative MIP gap (only applied to the default solver).
    prices : bool
        Also solve the LP relaxation for shadow prices.

    Returns
    -------
    BackendSolution or None
        ``None`` when the solver returned no feasible plan.

    Raises
    ------
    SolverUnavailableError
        When ``solver.available()`` is false (e.g. ``GUROBI_CMD`` without Gurobi).
        Whatever the solver itself raises propagates too;
        :func:`~hybridinv.repair.repair_orders` turns both into a fallback to the
        fast plan with a :class:`hybridinv.SolverFallbackWarning`.
    """
    import pulp

    solver = solver if solver is not None else default_solver(time_limit, gap_tolerance)
    if not solver.available():
        raise SolverUnavailableError(
            f"PuLP solver {type(solver).__name__} is not available here "
            "(not installed, not on the path or not licensed)"
        )
    model = PulpModel(problem)
    model.model.solve(solver)
    status = pulp.LpStatus.get(model.model.status, "Undefined").lower()
    lots = model.lot_values()
    if model.model.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return None
    # PuLP reports no dual bound, and a solver's "optimal" is only optimal within its
    # own (partly absolute) gaps: certify with the Lagrangian bound, which is always valid.
    bound = dual_bound(problem)
    if prices and problem.groups:
        free = problem.for_prices()  # without the row-implied bounds, which take the rows' prices
        row_prices = _prices(model if free is problem else PulpModel(free), solver)
    else:
        row_prices = tuple(np.zeros(g.n_rows) for g in problem.groups)
    return BackendSolution(
        lots=lots,
        bound=max(bound, 0.0),
        status="optimal" if model.model.sol_status == pulp.LpSolutionOptimal else status,
        prices=row_prices,
        iterations=0,
        backend="pulp",
    )
