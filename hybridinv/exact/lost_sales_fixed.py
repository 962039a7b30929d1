"""Lost sales with lead time and a fixed cost per order: exact optimum and (s, S) policies.

The model of :func:`~hybridinv.exact.lost_sales_optimal` (periodic review, lead time
``L >= 0``, i.i.d. discrete demand, unmet demand lost at ``p`` per unit, ``h`` per unit
of end-of-period stock) with a fixed cost ``K`` charged in every period with a positive
order. State at the decision epoch: ``(x, p_1, ..., p_{L-1})``, the stock available this
period and the orders arriving in ``1, ..., L - 1`` periods (``(x,)`` for ``L = 0``, the
stock carried over); the order ``q`` arrives in ``L`` periods. The expected cost of
ordering ``q`` is ``G(x) + K [q > 0]`` (``G(x + q) + K [q > 0]`` for ``L = 0``).

* :func:`lost_sales_fixed_cost_optimal` - the optimal policy and average cost by relative
  value iteration on the truncated state space, with the truncation widened until it
  does not bind.
* :func:`lost_sales_ss_cost` - the exact average cost of an (s, S) policy (order up to
  ``S`` when the inventory position is ``<= s``) from its stationary distribution.
* :func:`best_lost_sales_ss` - the best (s, S) policy by enumeration.

For ``K > 0`` (s, S) policies are not optimal in general when ``L >= 1`` ([1]); the DP gives
the exact reference against which (s, S)-type heuristics and hybrids are measured.

References
----------
.. [1] Bijvank, M., Bhulai, S. and Huh, W. T. (2015). Parametric replenishment policies
   for inventory systems with lost sales and fixed order cost. *European Journal of
   Operational Research* 241(2), 381-390.
.. [2] Puterman, M. L. (1994). *Markov Decision Processes*, Wiley. Chapter 8.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, flag
from hybridinv.exact._chain import StateSpace, stationary_distribution, transition_matrix
from hybridinv.exact._demand import check_costs, check_lead_time, demand_distribution, pmf_mean
from hybridinv.exact._rvi import Solution, check_iteration, check_size, relative_value_iteration
from hybridinv.exact.base_stock import MAX_CHAIN_STATES, critical_fractile_level, lead_time_demand
from hybridinv.exact.lost_sales import LostSalesResult
from hybridinv.exact.policy_cost import PolicyEvaluation, evaluation_from_distribution

__all__ = ["MAX_SS_CHAINS", "best_lost_sales_ss", "lost_sales_fixed_cost_optimal", "lost_sales_ss_cost"]

#: Most (s, S) chains :func:`best_lost_sales_ss` evaluates in its first range (``S_max = 999``).
MAX_SS_CHAINS = 500_000


def _check_inputs(lead_time: int, holding_cost: float, shortage_cost: float, fixed_cost: float) -> int:
    lead_time = check_lead_time(lead_time)
    check_costs(holding_cost=holding_cost, shortage_cost=shortage_cost, fixed_cost=fixed_cost)
    if fixed_cost > 0 and holding_cost <= 0:
        raise PlanningError("holding_cost must be > 0 when fixed_cost > 0, otherwise no finite order-up-to level is "
                            "best", column="holding_cost", value=holding_cost)
    return lead_time


def default_position_bound(
    mean: float | None,
    lead_time: int,
    holding_cost: float,
    shortage_cost: float,
    fixed_cost: float,
    demand_pmf: ArrayLike | None = None,
) -> int:
    """First truncation bound tried: ``S_bar + ceil(sqrt(2 K mean / h)) + 2``.

    ``S_bar`` is the backorder base-stock level (Morton's bound for ``K = 0``) and the
    square root the economic order quantity; a starting guess, widened if it binds.
    """
    pmf = demand_distribution(mean, demand_pmf)
    level = critical_fractile_level(lead_time_demand(mean, lead_time, demand_pmf), holding_cost, shortage_cost)
    batch = math.ceil(math.sqrt(2.0 * fixed_cost * pmf_mean(pmf) / holding_cost)) if fixed_cost > 0 else 0
    return level + batch + 2


def lost_sales_fixed_cost_optimal(
    mean: float | None,
    lead_time: int,
    holding_cost: float,
    shortage_cost: float,
    fixed_cost: float,
    demand_pmf: ArrayLike | None = None,
    tol: float = 1e-6,
    max_iter: int = 10_000,
    position_bound: int | None = None,
    aperiodicity: float = 0.9,
    widen_bound: bool = True,
) -> LostSalesResult:
    """Optimal lost-sales policy with a fixed order cost, by relative value iteration.

    Parameters
    ----------
    mean : float or None
        Poisson demand mean per period [lambda]; may be None when ``demand_pmf`` is given.
    lead_time : int
        Lead time [L] >= 0: an order placed in period t is usable in period t + L.
    holding_cost : float
        Cost per unit of end-of-period on-hand stock [h], >= 0 (> 0 when ``K > 0``).
    shortage_cost : float
        Cost per unit of lost demand [p], >= 0.
    fixed_cost : float
        Cost per positive order [K], >= 0.
    demand_pmf : array_like, optional
        One-period demand pmf over ``0..len - 1`` instead of Poisson(``mean``).
    tol, max_iter, aperiodicity
        As in :func:`~hybridinv.exact.lost_sales_optimal`; ``tol`` at most ``MAX_TOL_FRACTION`` (1e-3) times
        ``holding_cost + shortage_cost + fixed_cost`` (or 1e-6 if larger).
    position_bound : int, optional
        First largest inventory position after ordering tried; default
        :func:`default_position_bound`.
    widen_bound : bool, default True
        When the optimal policy of the truncated model orders up to the bound (it
        binds), enlarge the bound by ``max(2, ceil(B / 4))`` and solve again, until it
        does not bind (True), or raise :class:`~hybridinv.PlanningError` (False).

    Returns
    -------
    LostSalesResult
        With ``fixed_cost`` set; ``bound_widened_from`` is the first bound tried when it
        was widened. ``max_order_up_to < position_bound`` holds for every result.

    Raises
    ------
    PlanningError
        (a ``ValueError``, naming the argument) On invalid costs, lead time, demand, ``tol``, ``aperiodicity``
        or ``position_bound``; or if the bound binds and ``widen_bound`` is False, or widening would exceed
        ``MAX_DECISIONS`` (6 million (state, order) pairs).

    Notes
    -----
    There is no Morton-type bound on the optimal order-up-to level when ``K > 0``, so
    the truncation is checked after the solve: the optimum of the truncated model is
    accepted once it never orders up to the bound. With ``K = 0`` this solves the model
    of :func:`~hybridinv.exact.lost_sales_optimal`. Mean 5, ``L = 2``, ``p = 14``,
    ``K = 5`` (the base case of [1]): bound 31, 528 states, 22 iterations, about 10 ms.

    References
    ----------
    .. [1] Bijvank, Bhulai and Huh (2015).
    .. [2] Puterman (1994), Chapter 8.

    Examples
    --------
    >>> result = lost_sales_fixed_cost_optimal(5, 2, 1, 14, 5)
    >>> round(result.average_cost, 3), result.order(on_hand=3, pipeline=[5])
    (11.463, 13)
    """
    lead_time = _check_inputs(lead_time, holding_cost, shortage_cost, fixed_cost)
    check_iteration(tol, max_iter, aperiodicity, float(holding_cost) + float(shortage_cost) + float(fixed_cost))
    widen_bound = flag(widen_bound, "widen_bound")  # "no" was True
    pmf = demand_distribution(mean, demand_pmf)
    first = (
        default_position_bound(mean, lead_time, holding_cost, shortage_cost, fixed_cost, demand_pmf)
        if position_bound is None
        else position_bound
    )
    if isinstance(first, bool) or not isinstance(first, (int, np.integer)) or first < 0:
        raise PlanningError(f"position_bound must be an integer >= 0, got {position_bound!r}", column="position_bound",
                            value=position_bound)
    bound = int(first)
    check_size(lead_time, bound)

    def solve(limit: int) -> Solution:
        space = StateSpace(lead_time, limit)
        costs = (holding_cost, shortage_cost, fixed_cost)
        return relative_value_iteration(space, pmf, *costs, tol, max_iter, aperiodicity)

    solution = solve(bound)
    while solution.binding:
        reason = (
            f"position_bound {bound} binds: the optimal policy of the truncated model orders up to "
            f"{solution.max_order_up_to}, the bound itself"
        )
        if not widen_bound:
            raise PlanningError(
                f"{reason}; pass a larger position_bound or widen_bound=True", column="position_bound", value=bound
            )
        bound += max(2, math.ceil(bound / 4))
        check_size(lead_time, bound, reason=reason)
        solution = solve(bound)
    return LostSalesResult.from_solution(solution, lead_time, fixed_cost, None if bound == first else int(first))


class _SSChains:
    """Exact evaluation of (s, S) policies on the state space of positions ``<= S``.

    The stationary distribution comes from power iteration on the lazy chain
    (:func:`hybridinv.exact._chain.stationary_distribution`); for these chains it is
    faster than a sparse LU solve (mean 5, ``L = 3``, ``S = 29``: 8 ms against 90 ms).
    """

    def __init__(self, pmf: NDArray[np.float64], lead_time: int, holding: float, shortage: float, fixed: float):
        self.pmf, self.lead_time = pmf, lead_time
        self.holding, self.shortage, self.fixed = holding, shortage, fixed
        self._space: StateSpace | None = None

    def evaluate(self, reorder_point: int, order_up_to: int) -> PolicyEvaluation:
        if self._space is None or self._space.bound != order_up_to:
            self._space = StateSpace(self.lead_time, order_up_to, max_states=MAX_CHAIN_STATES, column="S")
        space = self._space
        orders = np.where(space.position <= reorder_point, order_up_to - space.position, 0)
        stock, base = space.decisions(orders, np.arange(space.size))
        distribution = stationary_distribution(transition_matrix(stock, base, self.pmf, space.size))
        return evaluation_from_distribution(
            distribution, stock, orders, self.pmf, self.holding, self.shortage, self.fixed, order_up_to
        )


def _check_ss(reorder_point: int, order_up_to: int) -> tuple[int, int]:
    for name, value in (("s", reorder_point), ("S", order_up_to)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise PlanningError(f"{name} must be an integer, got {value!r}", column=name, value=value)
    if not (0 <= reorder_point < order_up_to):
        raise PlanningError(f"need 0 <= s < S, got s={reorder_point!r}, S={order_up_to!r}", column="s",
                            value=reorder_point)
    return int(reorder_point), int(order_up_to)


def lost_sales_ss_cost(
    s: int,
    S: int,
    mean: float | None,
    lead_time: int,
    holding_cost: float,
    shortage_cost: float,
    fixed_cost: float,
    demand_pmf: ArrayLike | None = None,
) -> PolicyEvaluation:
    """Exact long-run average cost of the (s, S) policy with lost sales and lead time.

    The policy orders ``S - y`` when the inventory position ``y = x + p_1 + ... + p_{L-1}``
    (stock available plus orders outstanding) is ``<= s``, else nothing. Its cost is the
    stationary expectation of ``G(x) + K [order > 0]`` on the states with position
    ``<= S`` (closed under the policy), the distribution found by one sparse solve.

    Parameters
    ----------
    s, S : int
        Reorder point and order-up-to level, ``0 <= s < S`` (``s = S - 1``: base stock).
    mean, lead_time, holding_cost, shortage_cost, fixed_cost, demand_pmf
        As in :func:`lost_sales_fixed_cost_optimal`.

    Returns
    -------
    PolicyEvaluation
        ``average_cost`` includes ``ordering_cost = K * order_frequency``.

    Raises
    ------
    PlanningError
        (a ``ValueError``, naming the argument) On invalid input or a chain above ``MAX_CHAIN_STATES`` states.

    Examples
    --------
    >>> round(lost_sales_ss_cost(17, 23, 5, 2, 1, 14, 5).average_cost, 4)  # the best (s, S) of this case
    11.6181
    """
    reorder_point, order_up_to = _check_ss(s, S)
    lead_time = _check_inputs(lead_time, holding_cost, shortage_cost, fixed_cost)
    pmf = demand_distribution(mean, demand_pmf)
    return _SSChains(pmf, lead_time, holding_cost, shortage_cost, fixed_cost).evaluate(reorder_point, order_up_to)


def best_lost_sales_ss(
    mean: float | None,
    lead_time: int,
    holding_cost: float,
    shortage_cost: float,
    fixed_cost: float,
    demand_pmf: ArrayLike | None = None,
    max_order_up_to: int | None = None,
) -> tuple[int, int, float]:
    """Best (s, S) policy with lost sales, lead time and fixed order cost, by enumeration.

    Every pair ``0 <= s < S <= max_order_up_to`` is evaluated exactly with
    :func:`lost_sales_ss_cost`. If the best ``S`` is the largest one searched, the range
    is enlarged by ``max(2, ceil(S_max / 4))`` and searched again (until the chain limit).

    Parameters
    ----------
    mean, lead_time, holding_cost, shortage_cost, fixed_cost, demand_pmf
        As in :func:`lost_sales_fixed_cost_optimal`; ``holding_cost`` must be > 0.
    max_order_up_to : int, optional
        Largest ``S`` searched first; default :func:`default_position_bound`.

    Returns
    -------
    s, S : int
        The best pair (the first found among ties, smallest ``S`` then smallest ``s``).
    cost : float
        Its average cost per period.

    Notes
    -----
    ``S_max (S_max + 1) / 2`` chains, at most :data:`MAX_SS_CHAINS` (a ``ValueError`` beyond); mean 5,
    ``L = 2``, ``p = 14``, ``K = 5``: 496 chains of at most 528 states, about 0.6 s (``L = 3``: about 6 s).
    Never ordering (cost ``p * mean``) is not an (s, S) policy here; compare it separately when ``K`` is large.
    """
    lead_time = _check_inputs(lead_time, holding_cost, shortage_cost, fixed_cost)
    if holding_cost <= 0:
        raise PlanningError("holding_cost must be > 0, otherwise no finite order-up-to level is best",
                            column="holding_cost", value=holding_cost)
    pmf = demand_distribution(mean, demand_pmf)
    if max_order_up_to is not None and (  # 5.5 was read as 5 and True as 1
        isinstance(max_order_up_to, bool) or not isinstance(max_order_up_to, int | np.integer)
    ):
        raise PlanningError(f"max_order_up_to must be an integer >= 1, got {max_order_up_to!r}",
                            column="max_order_up_to", value=max_order_up_to)
    limit = (
        default_position_bound(mean, lead_time, holding_cost, shortage_cost, fixed_cost, demand_pmf)
        if max_order_up_to is None
        else int(max_order_up_to)
    )
    if limit < 1:
        raise PlanningError(f"max_order_up_to must be >= 1, got {max_order_up_to!r}", column="max_order_up_to",
                            value=max_order_up_to)
    if limit * (limit + 1) // 2 > MAX_SS_CHAINS:  # 10**4 was 5e7 chains: it ran for hours without a word
        raise PlanningError(f"max_order_up_to {limit} means {limit * (limit + 1) // 2:,} (s, S) chains to evaluate, "
                            f"more than MAX_SS_CHAINS ({MAX_SS_CHAINS:,}); search a smaller range",
                            column="max_order_up_to", value=max_order_up_to)
    chains = _SSChains(pmf, lead_time, holding_cost, shortage_cost, fixed_cost)
    best = (0, 1, math.inf)
    searched = 0
    while True:
        for order_up_to in range(searched + 1, limit + 1):
            for reorder_point in range(order_up_to):
                cost = chains.evaluate(reorder_point, order_up_to).average_cost
                if cost < best[2]:
                    best = (reorder_point, order_up_to, cost)
        searched = limit
        if best[1] < limit:
            return best
        limit += max(2, math.ceil(limit / 4))
