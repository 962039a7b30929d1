"""Exact evaluation and optimisation of base-stock (order-up-to) policies, one SKU.

Timing, shared with the library's simulator: at the start of period ``t`` the order
is placed; the order placed in period ``t - L`` arrives (``L = 0``: this period's order
is usable at once); demand ``D`` (i.i.d., discrete) is served from stock; unmet demand
is backordered or lost at ``p`` per unit; ``h`` per unit is charged on end-of-period
on-hand stock. A base-stock policy with level ``S`` orders ``max(S - x, 0)`` where
``x`` is the inventory position (on-hand plus all open orders, minus backorders).

* Backorders: the net stock at the end of period ``t + L`` is ``S - D[t..t+L]``, the
  demand of ``L + 1`` periods, so the cost per period is the newsvendor function
  ``G(S) = h E[(S - D_{L+1})^+] + p E[(D_{L+1} - S)^+]``, minimised at the smallest
  ``S`` with ``P(D_{L+1} <= S) >= p / (p + h)``.
* Lost sales: the cost is the expectation of the one-period cost of the on-hand stock
  under the stationary distribution of the Markov chain of
  ``(on-hand, pipeline)`` (see :mod:`hybridinv.exact._chain`), computed exactly up to the
  ``1e-12`` demand truncation and a ``1e-13`` power-iteration tolerance. The cost is
  convex in ``S`` (Janakiraman and Roundy, 2004), so the best level is found by a
  local search started at the backorder optimum.

References
----------
.. [1] Snyder, L. V. and Shen, Z.-J. M. (2019). *Fundamentals of Supply Chain Theory*,
   2nd ed., Wiley. Chapter 4 (newsvendor and base-stock policies with lead time).
.. [2] Zipkin, P. (2008). Old and new methods for lost-sales inventory systems.
   *Operations Research* 56(5), 1256-1263.
.. [3] Janakiraman, G. and Roundy, R. O. (2004). Lost-sales problems with stochastic
   lead times: convexity results for base-stock policies. *Operations Research* 52(5),
   795-803.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, flag
from hybridinv.exact._chain import StateSpace, stationary_distribution, transition_matrix
from hybridinv.exact._demand import (
    check_costs,
    check_lead_time,
    check_mean,
    convolution_power,
    demand_distribution,
    newsvendor_cost,
    poisson_pmf,
)

__all__ = ["base_stock_cost", "best_base_stock", "critical_fractile_level", "lead_time_demand"]

MAX_CHAIN_STATES = 3_000_000
"""Largest lost-sales chain evaluated (states with inventory position <= S)."""


def lead_time_demand(mean: float | None, lead_time: int, demand_pmf: ArrayLike | None = None) -> NDArray[np.float64]:
    """Pmf of the demand over ``lead_time + 1`` periods (Poisson(``mean (L + 1)``) by default)."""
    periods = check_lead_time(lead_time) + 1
    if demand_pmf is None:
        if mean is None:
            raise PlanningError("either mean or demand_pmf must be given", column="mean")
        return poisson_pmf(check_mean(mean) * periods)  # the mean as given named in an error, not mean * (L + 1)
    return convolution_power(demand_distribution(mean, demand_pmf), periods)


def critical_fractile_level(total_pmf: NDArray[np.float64], holding_cost: float, shortage_cost: float) -> int:
    """Smallest ``S`` with ``P(D <= S) >= p / (p + h)`` for the pmf of ``D`` (0 if both costs are 0).

    A ``1e-12`` slack keeps a level whose cdf equals the ratio up to rounding.
    """
    total_cost = shortage_cost + holding_cost
    ratio = shortage_cost / total_cost if total_cost > 0 else 0.0
    return int(np.searchsorted(np.cumsum(total_pmf), ratio - 1e-12))


def _check_level(level: int) -> int:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 0:
        raise PlanningError(f"base-stock level S must be an integer >= 0, got {level!r}", column="S", value=level)
    return int(level)


def _lost_sales_cost(
    level: int, pmf: NDArray[np.float64], lead_time: int, holding_cost: float, shortage_cost: float
) -> float:
    """Average cost of base-stock level ``level`` with lost sales, from the stationary chain."""
    space = StateSpace(lead_time, level, max_states=MAX_CHAIN_STATES, column="S")
    rows = np.arange(space.size)
    stock, base = space.decisions(level - space.position, rows)
    matrix = transition_matrix(stock, base, pmf, space.size)
    distribution = stationary_distribution(matrix)
    return float(distribution @ newsvendor_cost(pmf, stock, holding_cost, shortage_cost))


def base_stock_cost(
    S: int,
    mean: float | None,
    lead_time: int,
    holding_cost: float,
    shortage_cost: float,
    lost_sales: bool = True,
    demand_pmf: ArrayLike | None = None,
) -> float:
    """Exact long-run average cost per period of the base-stock policy with level ``S``.

    Parameters
    ----------
    S : int
        Base-stock level [S] (target inventory position after ordering), >= 0.
    mean : float or None
        Poisson demand mean per period [lambda]; may be None when ``demand_pmf`` is given.
    lead_time : int
        Lead time [L] >= 0: an order placed in period t is usable in period t + L.
    holding_cost : float
        Cost per unit of end-of-period on-hand stock [h], >= 0.
    shortage_cost : float
        Cost per unit backordered or lost [p], >= 0.
    lost_sales : bool, default True
        Lost sales (exact Markov chain) or backorders (closed form); ``True`` or ``False`` only (until
        2026-12-06 ``None`` was read as backorders and ``"no"`` as lost sales).
    demand_pmf : array_like, optional
        One-period demand pmf over ``0..len - 1`` instead of Poisson(``mean``).

    Returns
    -------
    float
        Average cost per period in steady state.

    Raises
    ------
    PlanningError
        (a ``ValueError``, naming the argument) On negative costs, a negative or non-integer ``S`` or
        lead time, an invalid demand, or a lost-sales chain with more than ``MAX_CHAIN_STATES`` states.

    References
    ----------
    .. [1] Snyder and Shen (2019), Chapter 4 (backorders).
    .. [2] Zipkin (2008) (lost sales).

    Examples
    --------
    >>> round(base_stock_cost(8, 6, 0, holding_cost=1, shortage_cost=4, lost_sales=False), 6)
    3.570107
    """
    level = _check_level(S)
    lead_time = check_lead_time(lead_time)
    check_costs(holding_cost=holding_cost, shortage_cost=shortage_cost)
    if not flag(lost_sales, "lost_sales"):  # None was the backorder model, "no" lost sales
        total = lead_time_demand(mean, lead_time, demand_pmf)
        return float(newsvendor_cost(total, level, holding_cost, shortage_cost))
    pmf = demand_distribution(mean, demand_pmf)
    return _lost_sales_cost(level, pmf, lead_time, holding_cost, shortage_cost)


def best_base_stock(
    mean: float | None,
    lead_time: int,
    holding_cost: float,
    shortage_cost: float,
    lost_sales: bool = True,
    demand_pmf: ArrayLike | None = None,
) -> tuple[int, float]:
    """Best base-stock level and its exact average cost per period.

    Parameters
    ----------
    mean : float or None
        Poisson demand mean per period [lambda]; may be None when ``demand_pmf`` is given.
    lead_time : int
        Lead time [L] >= 0: an order placed in period t is usable in period t + L.
    holding_cost : float
        Cost per unit of end-of-period on-hand stock [h], > 0.
    shortage_cost : float
        Cost per unit backordered or lost [p], >= 0.
    lost_sales : bool, default True
        Lost sales or backorders; ``True`` or ``False`` only (a :class:`~hybridinv.PlanningError` otherwise).
    demand_pmf : array_like, optional
        One-period demand pmf over ``0..len - 1`` instead of Poisson(``mean``).

    Returns
    -------
    S : int
        The best level (among ties, the one nearest the backorder optimum).
    cost : float
        Its average cost per period.

    Raises
    ------
    PlanningError
        (a ``ValueError``, naming the argument) On invalid costs (``holding_cost`` must be > 0), lead time or
        demand.

    Notes
    -----
    Backorders: ``S`` is the smallest level with ``P(D_{L+1} <= S) >= p / (p + h)``
    (critical fractile). Lost sales: starting from that level, the search moves down
    (or up) one unit at a time while the exact chain cost strictly decreases; this finds
    the global minimum because the cost is convex in ``S`` [3]. Each evaluation solves a
    chain with ``C(S + L, L)`` states, e.g. about 0.3 s for mean 5, ``L = 4``.

    References
    ----------
    .. [1] Snyder and Shen (2019), Chapter 4 (critical fractile).
    .. [2] Zipkin (2008), numerical study ("base stock" policy).
    .. [3] Janakiraman and Roundy (2004) (convexity in S).

    Examples
    --------
    >>> best_base_stock(6, 0, holding_cost=1, shortage_cost=4, lost_sales=False)[0]  # Snyder & Shen Ex. 4.7
    8
    """
    lead_time = check_lead_time(lead_time)
    check_costs(holding_cost=holding_cost, shortage_cost=shortage_cost)
    lost_sales = flag(lost_sales, "lost_sales")  # None was the backorder model, "no" lost sales
    if holding_cost <= 0:
        raise PlanningError("holding_cost must be > 0, otherwise no finite base-stock level is best",
                            column="holding_cost", value=holding_cost)
    total = lead_time_demand(mean, lead_time, demand_pmf)
    start = critical_fractile_level(total, holding_cost, shortage_cost)
    if not lost_sales:
        return start, float(newsvendor_cost(total, start, holding_cost, shortage_cost))

    pmf = demand_distribution(mean, demand_pmf)

    def cost(level: int) -> float:
        return _lost_sales_cost(level, pmf, lead_time, holding_cost, shortage_cost)

    best_level, best_cost = start, cost(start)
    for step in (-1, 1):
        level = best_level + step
        while level >= 0:
            value = cost(level)
            if value >= best_cost:
                break
            best_level, best_cost = level, value
            level += step
        if best_level != start:
            break
    return best_level, best_cost
