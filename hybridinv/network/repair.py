"""The network repair: per-location targets → whole supplier orders and shipments that respect every rule.

>>> import numpy as np
>>> from hybridinv.network import Network, NetworkCosts, NetworkState
>>> net = Network.one_warehouse(2, warehouse_lead_time=1, store_lead_times=0, store_capacity=5)
>>> costs = NetworkCosts.build(net, 1, unit_cost=1.0)
>>> state = NetworkState.build(net, 1, on_hand=[[6], [2], [0]])
>>> result = repair_network(net, costs, state, [[10], [4], [4]], backend="fast")
>>> result.supplier_orders.tolist(), result.shipments.tolist()   # store_1 has room for 3 only
([[10.0]], [[3.0], [3.0]])

See docs/network_model.md (*Network repair*) for the formulation, the backends and the certificate.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import ConstraintViolationWarning, PlanningError, SolverFallbackWarning, flag, number_in
from hybridinv.network.model import Network
from hybridinv.network.repair_dual import NetworkDual, maximize_network_dual
from hybridinv.network.repair_fast import NetworkSolution, make_plan_feasible, solve_network_fast
from hybridinv.network.repair_inputs import NetworkStock, build_network_problem
from hybridinv.network.repair_milp import solve_network_highs, solve_network_pulp
from hybridinv.network.repair_model import NetworkRepairProblem, OrderRules
from hybridinv.network.repair_result import NetworkRepairResult, relative_gap
from hybridinv.network.state import NetworkCosts, NetworkObservation
from hybridinv.repair import highs as single_highs
from hybridinv.repair import pulp_backend as single_pulp
from hybridinv.repair.api import (
    DEFAULT_GAP_TOLERANCE,
    Backend,
    certified_status,
    polish_time_limit,
    repair_backend,
)

__all__ = ["NetworkRepair", "repair_network"]


def _fault(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _fast(problem: NetworkRepairProblem, time_limit: float | None, tolerance: float) -> NetworkSolution:
    return solve_network_fast(problem, time_limit, tolerance)


def _dual(problem: NetworkRepairProblem, deadline: float = math.inf) -> tuple[float, NDArray[np.float64], float, int]:
    dual = NetworkDual(problem)
    point = maximize_network_dual(dual, deadline)
    return point.value, point.capacity_price, point.budget_price, dual.evaluations


def _exact(problem: NetworkRepairProblem, backend: Backend, time_limit: float | None, tolerance: float,
           solver: Any) -> NetworkSolution:
    """HiGHS or PuLP, certified with the better of the solver's bound and the Lagrangian bound."""
    if backend is Backend.HIGHS and not single_highs.available():
        raise PlanningError("backend 'highs' needs the highspy package", column="backend", value="highs")
    if backend is Backend.PULP and not single_pulp.available():
        raise PlanningError("backend 'pulp' needs the pulp package", column="backend", value="pulp")
    # HiGHS's answer is checked against a feasible plan (run_mip): the fast path's, whose bound and prices are
    # the Lagrangian ones _dual computes (its multiplier search without a deadline), so they are taken from it
    fast = _fast(problem, None, tolerance) if backend is Backend.HIGHS else None
    bound, lam, beta, evaluations = (_dual(problem) if fast is None else
                                     (fast.bound, fast.capacity_price, fast.budget_price, fast.iterations))
    try:
        if fast is not None:
            known = fast.x
            reference = problem.objective(known)
            found = solve_network_highs(problem, time_limit=time_limit, gap_tolerance=max(tolerance, 1e-9),
                                        reference=reference)
            if found is not None:
                x, solver_bound, status, nodes = found
                feasible = make_plan_feasible(problem, x)
                if not np.array_equal(feasible, x):  # cut back to the rows: no longer the plan HiGHS proved
                    x, status = feasible, "heuristic"
                if problem.objective(x) > reference:  # HiGHS did worse than the plan it was checked on
                    x, status = known, "heuristic"
                return NetworkSolution(x, max(bound, solver_bound), status, lam, beta, evaluations + nodes, "highs")
        else:
            got = solve_network_pulp(problem, solver=solver, time_limit=time_limit, gap_tolerance=tolerance)
            if got is not None:
                return NetworkSolution(got[0], bound, got[1], lam, beta, evaluations, "pulp")
        reason = f"the {backend.value} solver found no feasible plan within the limits"
    except Exception as exc:  # a missing or crashing solver must not lose the plan
        reason = f"the {backend.value} solver failed ({_fault(exc)})"
    return replace(fast or _fast(problem, None, tolerance), status="fallback", backend=f"{backend.value}->fast",
                   fallback_reason=reason)


def _auto(problem: NetworkRepairProblem, time_limit: float | None, tolerance: float, start: float) -> NetworkSolution:
    first = _fast(problem, time_limit, tolerance)
    objective = problem.objective(first.x)
    if relative_gap(objective, first.bound) <= tolerance or not single_highs.available():
        return first
    remaining = polish_time_limit(problem.desired.size) if time_limit is None else time_limit - (
        time.perf_counter() - start)
    if remaining <= 1e-3:
        return first
    try:
        found = solve_network_highs(problem, time_limit=remaining, gap_tolerance=max(tolerance, 1e-9),
                                    warm_start=first.x)
    except Exception as exc:  # keep the fast plan and say why
        return replace(first, status="fallback", fallback_reason=f"the HiGHS polish failed ({_fault(exc)})")
    if found is None:
        return first
    x, bound, status, nodes = found
    polished = make_plan_feasible(problem, x)
    kept = problem.objective(polished) < objective
    # the status is HiGHS's only for HiGHS's plan (repair_network then judges it by its gap), or its clock
    return replace(first, x=polished if kept else first.x, bound=max(first.bound, bound),
                   status=status if kept or status == "time_limit" else "heuristic",
                   iterations=first.iterations + nodes, backend="fast+highs")


def repair_network(
    network: Network,
    costs: NetworkCosts,
    state: NetworkStock,
    desired: ArrayLike,
    *,
    rules: OrderRules | None = None,
    expected_demand: ArrayLike | None = None,
    under_weight: ArrayLike | None = None,
    over_weight: ArrayLike | None = None,
    backend: Backend | str = Backend.AUTO,
    time_limit: float | None = None,
    gap_tolerance: float = DEFAULT_GAP_TOLERANCE,
    solver: Any | None = None,
    warn: bool = True,
) -> NetworkRepairResult:
    """Whole supplier orders and shipments closest to per-location targets within every rule.

    Solves (docs/network_model.md, *Network repair*)
    ``min sum under (d - x)^+ + over (x - d)^+`` over whole quantities ``x`` (L, n): supplier
    orders at the roots in whole lots, 0 or between the MOQ and the max order; shipments
    from each parent at most its on-hand in total per SKU; at each location with a finite
    capacity the net volume added at its receipt period within the room its projected stock
    leaves; supplier spend within the budget.

    Parameters
    ----------
    network : Network
    costs : NetworkCosts
        Volumes and unit costs (per SKU), holding and shortage costs (default weights).
    state : NetworkObservation or NetworkState
        On-hand (what can be shipped now), pipeline and backorders.
    desired : array (L, n)
        Desired supplier orders in the roots' rows and desired shipments into every other
        location (e.g. a base-stock policy's wanted units); fractional and negative values
        are allowed (negative = 0), NaN and infinity are not.
    rules : OrderRules, optional
        Lot sizes, MOQs and max orders of the supplier orders (default: none).
    expected_demand : array (stores, n), optional
        Expected demand per period at each store (a number or one value per SKU broadcast), for
        the projected stock of the capacity rows: a store's own demand before its receipt, and
        above the stores the expected outflow to the children (the demand of the stores below)
        in the periods between the decision and the receipt
        (:func:`~hybridinv.network.repair_model.projected_stock`). Default 0: nothing leaves
        before a receipt, conservative, and with ``lead time >= 2`` and a capacity near one
        period of throughput it starves the network; pass the forecast.
    under_weight, over_weight : array, optional
        Per unit below / above the target: a number, per SKU, per location (L, 1) or (L, n).
        Defaults: :func:`~hybridinv.network.repair_inputs.default_network_weights`.
    backend : {"auto", "fast", "highs", "pulp"}
        ``fast``: priced allocation level by level + single-location fast repair of the
        supplier orders, certified by the Lagrangian bound. ``highs``: one MILP with highspy
        (``threads=1``, silent). ``pulp``: the same MILP through PuLP/CBC. ``auto``: fast, then
        a HiGHS polish warm-started from it when the certified gap exceeds
        ``gap_tolerance`` (within the rest of ``time_limit`` or ``polish_time_limit(L·n)``).
    time_limit : float, optional
        Seconds; the best plan found is returned when it is reached.
    gap_tolerance : float
        Accepted relative gap (``auto``'s polish trigger, the MILPs' ``mip_rel_gap``).
    solver : pulp solver, optional
        For ``backend="pulp"``.
    warn : bool
        Issue a :class:`~hybridinv.ConstraintViolationWarning` when a row cannot be met.

    Returns
    -------
    NetworkRepairResult
        Always a whole plan within every rule, every parent's on-hand, the budget and
        every capacity whose room is not already negative. A location whose projected
        stock already exceeds its capacity receives nothing net (inflow at most its
        outflow, by volume), and its row is listed in ``violations`` with a warning.

    Raises
    ------
    PlanningError
        (:class:`~hybridinv.network.LocationError` for cell errors) naming the column, the
        location, the SKU and the value: bad desired quantities, weights, state, rules,
        backend, time limit or gap tolerance.
    """
    start = time.perf_counter()
    mode = repair_backend(backend)
    # as repair_orders: inf is no limit, and warn a boolean ("no" warned)
    limit = None if time_limit is None else number_in(time_limit, "time_limit", 0.0, math.inf, open_low=True,
                                                      allow_inf=True)
    tolerance = number_in(gap_tolerance, "gap_tolerance", 0.0, 1.0, open_high=True)
    warn = flag(warn, "warn")
    if solver is not None and mode is not Backend.PULP:
        raise PlanningError("solver= applies to backend='pulp' only", column="solver")
    problem = build_network_problem(network, costs, state, desired, rules, expected_demand, under_weight,
                                    over_weight)
    if mode is Backend.FAST:
        solution = _fast(problem, limit, tolerance)
    elif mode is Backend.AUTO:
        solution = _auto(problem, limit, tolerance, start)
    else:
        solution = _exact(problem, mode, limit, tolerance, solver)
    x = make_plan_feasible(problem, solution.x)
    problem.check_rules(x)
    objective = problem.objective(x)
    bound = min(solution.bound, objective)
    gap = relative_gap(objective, bound)
    status = certified_status(solution.status, gap, tolerance, solution.backend)
    violations = problem.violations(x)
    if solution.fallback_reason is not None:
        warnings.warn(f"network repair backend {mode.value!r}: {solution.fallback_reason}; returned the fast plan",
                      SolverFallbackWarning, stacklevel=2)
    if warn and violations:
        rows = ", ".join(f"{v.name} over by {v.amount:g}" for v in violations)
        warnings.warn(f"network repair: constraints cannot all be met; returning the closest plan ({rows})",
                      ConstraintViolationWarning, stacklevel=2)
    x.setflags(write=False)
    return NetworkRepairResult(
        quantities=x, objective=objective, bound=bound, status=status, backend=solution.backend,
        solve_time=time.perf_counter() - start, iterations=solution.iterations, violations=violations,
        capacity_price=solution.capacity_price, budget_price=solution.budget_price,
        fallback_reason=solution.fallback_reason, problem=problem,
    )


@dataclass
class NetworkRepair:
    """The repair a network policy applies to its wanted units each period (``repair=`` of the policies).

    Holds everything :func:`repair_network` needs besides the observation and the targets.
    Give ``expected_demand`` (the stores' forecast per period) unless the conservative
    capacity rows are wanted (see :func:`repair_network`);
    :func:`hybridinv.network.hybrid.scenario_repair` builds one for a scenario.

    Examples
    --------
    >>> from hybridinv.network import EchelonBaseStock, Network, NetworkCosts
    >>> net = Network.one_warehouse(2, 1, 1, warehouse_capacity=100, budget=50)
    >>> costs = NetworkCosts.build(net, 3, unit_cost=1.0)
    >>> policy = EchelonBaseStock(net, levels=20, repair=NetworkRepair(costs, backend="fast"))
    """

    costs: NetworkCosts
    rules: OrderRules | None = None
    expected_demand: ArrayLike | None = None
    under_weight: ArrayLike | None = None
    over_weight: ArrayLike | None = None
    backend: Backend | str = Backend.FAST
    time_limit: float | None = None
    gap_tolerance: float = DEFAULT_GAP_TOLERANCE
    #: the last result (for diagnostics)
    last: NetworkRepairResult | None = None

    def __call__(self, network: Network, obs: NetworkObservation, desired: NDArray[np.float64]) -> NetworkRepairResult:
        self.last = repair_network(network, self.costs, obs, desired, rules=self.rules,
                                   expected_demand=self.expected_demand, under_weight=self.under_weight,
                                   over_weight=self.over_weight, backend=self.backend, time_limit=self.time_limit,
                                   gap_tolerance=self.gap_tolerance, warn=False)
        return self.last
