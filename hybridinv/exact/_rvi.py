"""Relative value iteration on the truncated lost-sales state space (shared solver core).

Used by :func:`hybridinv.exact.lost_sales_optimal` (no fixed order cost) and
:func:`hybridinv.exact.lost_sales_fixed_cost_optimal` (fixed cost ``K`` per positive
order). The state space, timing and sparse transitions are those of
:mod:`hybridinv.exact._chain`; the decision cost of ordering ``q`` in a state whose stock
facing demand is ``u`` is ``G(u) + K [q > 0]`` with ``G`` the newsvendor function.

References
----------
.. [1] Puterman, M. L. (1994). *Markov Decision Processes*, Wiley. Chapter 8
   (relative value iteration, span stopping rule and bounds, aperiodicity
   transformation).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, PlanningWarning
from hybridinv.exact._chain import StateSpace, segments, transition_matrix
from hybridinv.exact._demand import newsvendor_cost

__all__ = [
    "MAX_DECISIONS", "Solution", "check_iteration", "check_size", "decision_count", "relative_value_iteration",
]

MAX_DECISIONS = 6_000_000
"""Largest number of (state, order) pairs the dynamic programs accept."""


#: Largest ``tol`` as a fraction of the one-period cost scale ``holding_cost + shortage_cost + fixed_cost``:
#: beyond it the span test stops before the values mean anything (``tol=inf`` returned 15.17 marked converged
#: for an optimum of 4.25).
MAX_TOL_FRACTION = 1e-3

#: The solvers' default ``tol``; always allowed, however small the costs.
DEFAULT_TOL = 1e-6


def check_iteration(tol: float, max_iter: int, aperiodicity: float, cost_scale: float = 0.0) -> None:
    """Settings of :func:`relative_value_iteration` (``max_iter=0`` returned a NaN cost as a result).

    ``tol`` must be a finite number > 0 and at most :data:`MAX_TOL_FRACTION` times ``cost_scale`` (the sum of
    the one-period unit costs), or :data:`DEFAULT_TOL` if that is larger. Raises
    :class:`~hybridinv.PlanningError` naming the setting.
    """
    for name, value in (("tol", tol), ("aperiodicity", aperiodicity)):  # "1e-6" raised a TypeError, True was 1
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
            raise PlanningError(f"{name} must be a number, got {value!r}", column=name, value=value)
    if not (math.isfinite(tol) and tol > 0):
        raise PlanningError(f"tol must be a finite number > 0, got {tol!r}", column="tol", value=tol)
    limit = max(MAX_TOL_FRACTION * cost_scale, DEFAULT_TOL)
    if tol > limit:
        raise PlanningError(
            f"tol must be at most {MAX_TOL_FRACTION:g} (MAX_TOL_FRACTION) times holding_cost + shortage_cost + "
            f"fixed_cost = {cost_scale:g} (or the default {DEFAULT_TOL:g} if larger), i.e. {limit:g}: a larger "
            "tolerance stops before the values mean anything", column="tol", value=tol)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise PlanningError(f"max_iter must be an integer >= 1, got {max_iter!r}", column="max_iter", value=max_iter)
    if not (0 < aperiodicity <= 1):
        raise PlanningError(f"aperiodicity must be in (0, 1], got {aperiodicity!r}", column="aperiodicity",
                            value=aperiodicity)


@dataclass(frozen=True, eq=False)
class Solution:
    """Raw output of :func:`relative_value_iteration` on one truncated state space."""

    lower_bound: float
    upper_bound: float
    values: NDArray[np.float64]
    policy: NDArray[np.int64]
    iterations: int
    converged: bool
    max_order_up_to: int
    space: StateSpace

    @property
    def binding(self) -> bool:
        """Whether the policy orders up to the largest position the truncation allows."""
        return self.max_order_up_to >= self.space.bound


def decision_count(lead_time: int, bound: int) -> int:
    """Number of (state, order) pairs with position after ordering ``<= bound``: ``C(B + d + 1, d + 1)``."""
    dimension = max(lead_time, 1)
    return math.comb(int(bound) + dimension + 1, dimension + 1)


def check_size(lead_time: int, bound: int, reason: str = "") -> None:
    """Raise ValueError (PlanningError when ``reason`` is given) if the model exceeds ``MAX_DECISIONS``."""
    count = decision_count(lead_time, bound)
    if count <= MAX_DECISIONS:
        return
    message = (
        f"lead time {lead_time} with position bound {bound} gives {count} (state, order) pairs, "
        f"more than the limit {MAX_DECISIONS}; this instance is too large for the exact dynamic program"
    )
    if reason:
        raise PlanningError(f"{reason}; {message}", column="position_bound", value=int(bound))
    raise ValueError(message)


def relative_value_iteration(
    space: StateSpace,
    pmf: NDArray[np.float64],
    holding_cost: float,
    shortage_cost: float,
    fixed_cost: float,
    tol: float,
    max_iter: int,
    aperiodicity: float,
) -> Solution:
    """Solve the average-cost optimality equation on ``space`` (positions ``<= space.bound``).

    Decisions ``(state, q)`` are enumerated once; a sparse matrix maps the value function to
    ``E[v(next state)]`` of every decision, so one iteration is a sparse product and a
    segmented minimum (``numpy.minimum.reduceat``), with no Python loop over states.
    Iterates ``v <- (1 - tau) v + tau T v`` (``tau = aperiodicity``) until
    ``span(T v - v) <= tol``; ``min`` and ``max`` of ``T v - v`` bracket the optimal gain of
    the truncated model ([1], Chapter 8). Among optimal orders the smallest is returned.
    """
    # Every feasible (state, order) pair, grouped by state: orders 0..bound - position.
    source, orders, starts = segments(space.bound - space.position + 1)
    stock, base = space.decisions(orders, source)
    expected_next = transition_matrix(stock, base, pmf, space.size)
    decision_cost = newsvendor_cost(pmf, stock, holding_cost, shortage_cost) + fixed_cost * (orders > 0)

    values = np.zeros(space.size)
    lower, upper, converged, iterations = -np.inf, np.inf, False, 0
    while iterations < max_iter:
        iterations += 1
        updated = np.minimum.reduceat(decision_cost + expected_next @ values, starts)
        change = updated - values
        lower, upper = float(change.min()), float(change.max())
        values = values + aperiodicity * change
        values -= values[0]
        if upper - lower <= tol:
            converged = True
            break
    if not converged:  # was only converged=False: at a mean of 1e-4 the cost returned was 650 x the optimum
        warnings.warn(
            f"relative value iteration stopped at max_iter={max_iter} with the optimal average cost only bracketed "
            f"in [{lower:.6g}, {upper:.6g}] (tol {tol:g}): the result is not the optimum; raise max_iter "
            "(slow mixing: very small demand means need many more iterations)", PlanningWarning, stacklevel=4)

    totals = decision_cost + expected_next @ values
    best = np.minimum.reduceat(totals, starts)
    candidate = np.where(totals <= best[source], orders, np.iinfo(np.int64).max)
    policy = np.minimum.reduceat(candidate, starts)
    return Solution(
        lower_bound=lower,
        upper_bound=upper,
        values=values,
        policy=policy,
        iterations=iterations,
        converged=converged,
        max_order_up_to=int(np.max(np.where(policy > 0, space.position + policy, 0))),
        space=space,
    )
