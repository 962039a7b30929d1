"""Exact long-run cost of any stationary policy of the single-SKU lost-sales model.

A policy that decides from the state ``(x, p_1, ..., p_{L-1})`` of
:mod:`hybridinv.exact.lost_sales` (stock available this period, then the orders arriving
in 1, ..., L - 1 periods) makes that state a Markov chain. Its long-run average cost is
the stationary expectation of the one-period cost, with no simulation noise. This is how
the benchmarks measure a learned policy against the optimum of
:func:`~hybridinv.exact.lost_sales_optimal`: both numbers are exact.

Timing and costs are those of :func:`~hybridinv.exact.lost_sales_optimal` and of the
library's simulator (order, receive what is due, serve demand, lose the rest at ``p`` per
unit, hold end-of-period stock at ``h`` per unit), plus an optional fixed cost ``K`` per
positive order (the model of :func:`~hybridinv.exact.lost_sales_fixed_cost_optimal`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.exact._chain import StateSpace, stationary_distribution, transition_matrix
from hybridinv.exact._demand import (
    check_costs,
    check_lead_time,
    demand_distribution,
    expected_overage,
    pmf_mean,
)
from hybridinv.exact.base_stock import MAX_CHAIN_STATES, critical_fractile_level, lead_time_demand

__all__ = ["PolicyEvaluation", "evaluation_from_distribution", "lost_sales_policy_cost"]

#: ``policy(states) -> orders``: ``states`` has shape (m, max(L, 1)), integer orders (m,) >= 0.
StatePolicy = Callable[[NDArray[np.int64]], ArrayLike]


@dataclass(frozen=True)
class PolicyEvaluation:
    """Stationary performance of a policy (per period, in steady state).

    Attributes
    ----------
    average_cost : float
        ``holding_cost * on_hand + shortage_cost * lost_sales + fixed_cost * order_frequency``.
    on_hand : float
        Expected end-of-period on-hand stock.
    lost_sales : float
        Expected units of demand lost.
    fill_rate : float
        ``1 - lost_sales / mean demand``.
    position_bound : int
        Largest inventory position of the (closed) state space used.
    order_frequency : float
        Long-run fraction of periods with a positive order.
    ordering_cost : float
        ``fixed_cost * order_frequency``, the fixed ordering cost per period (0 when no
        fixed cost is charged).
    """

    average_cost: float
    on_hand: float
    lost_sales: float
    fill_rate: float
    position_bound: int
    order_frequency: float
    ordering_cost: float


def lost_sales_policy_cost(
    policy: StatePolicy,
    mean: float | None,
    lead_time: int,
    holding_cost: float,
    shortage_cost: float,
    demand_pmf: ArrayLike | None = None,
    position_bound: int | None = None,
    fixed_cost: float = 0.0,
) -> PolicyEvaluation:
    """Exact average cost of a stationary deterministic lost-sales policy.

    Parameters
    ----------
    policy : callable
        ``policy(states)`` gives the integer order (>= 0) in every row of ``states``
        (shape (m, max(L, 1)): ``(x, p_1, ..., p_{L-1})``, see
        :mod:`hybridinv.exact.lost_sales`). It is called on every state at once.
    mean : float or None
        Poisson demand mean per period; may be None when ``demand_pmf`` is given.
    lead_time : int
        Lead time ``L >= 0``.
    holding_cost, shortage_cost : float
        ``h`` per unit of end-of-period stock, ``p`` per unit of lost demand.
    demand_pmf : array_like, optional
        One-period demand pmf over ``0..len - 1`` instead of Poisson(``mean``).
    position_bound : int, optional
        Initial largest inventory position (default: the backorder base-stock level
        ``S_bar`` + 2). It is raised until no state orders beyond it, so the state
        space is closed under the policy.
    fixed_cost : float, default 0
        Cost per positive order [K], >= 0 (the model of
        :func:`~hybridinv.exact.lost_sales_fixed_cost_optimal`).

    Returns
    -------
    PolicyEvaluation

    Raises
    ------
    ValueError
        On invalid costs, lead time or demand, negative or non-integer orders, or a
        chain larger than ``MAX_CHAIN_STATES`` states.

    Examples
    --------
    >>> from hybridinv.exact import base_stock_cost
    >>> cost = lost_sales_policy_cost(lambda s: np.maximum(12 - s.sum(axis=1), 0), 5, 1, 1, 9).average_cost
    >>> round(cost, 9) == round(base_stock_cost(12, 5, 1, 1, 9), 9)
    True
    """
    lead_time = check_lead_time(lead_time)
    check_costs(holding_cost=holding_cost, shortage_cost=shortage_cost, fixed_cost=fixed_cost)
    pmf = demand_distribution(mean, demand_pmf)
    if not callable(policy):  # None was "'NoneType' object is not callable" at the first state
        raise PlanningError(f"policy must be a function of the states (an array, one row per state), got {policy!r}",
                            column="policy", value=repr(policy))
    whole = isinstance(position_bound, int | np.integer) and not isinstance(position_bound, bool)
    if position_bound is not None and not (whole and position_bound >= 0):  # 2.5 was 2, True 1, -1 numpy's error
        raise PlanningError(f"position_bound must be an integer >= 0, got {position_bound!r}", column="position_bound",
                            value=position_bound)
    bound = (
        critical_fractile_level(lead_time_demand(mean, lead_time, demand_pmf), holding_cost, shortage_cost) + 2
        if position_bound is None
        else int(position_bound)
    )
    while True:
        space = StateSpace(lead_time, bound, max_states=MAX_CHAIN_STATES)
        raw = np.asarray(policy(space.states), dtype=np.float64).reshape(-1)
        if raw.shape != (space.size,):
            raise PlanningError(f"policy returned {raw.size} orders for {space.size} states", column="policy")
        bad = ~np.isfinite(raw) | (raw < 0) | (raw != np.round(raw))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PlanningError(f"policy orders must be finite integers >= 0 (state {space.states[i].tolist()})",
                                column="policy", value=float(raw[i]))
        orders = raw.astype(np.int64)
        reach = int((space.position + orders).max())
        if reach <= bound:
            break
        bound = reach
    stock, base = space.decisions(orders, np.arange(space.size))
    distribution = stationary_distribution(transition_matrix(stock, base, pmf, space.size))
    costs = (holding_cost, shortage_cost, fixed_cost)
    return evaluation_from_distribution(distribution, stock, orders, pmf, *costs, bound)


def evaluation_from_distribution(
    distribution: NDArray[np.float64],
    stock: NDArray[np.int64],
    orders: NDArray[np.int64],
    pmf: NDArray[np.float64],
    holding_cost: float,
    shortage_cost: float,
    fixed_cost: float,
    bound: int,
) -> PolicyEvaluation:
    """Stationary expectations of the period costs, given the distribution over states.

    ``stock[i]`` is the stock facing demand and ``orders[i]`` the order placed in state ``i``.
    """
    over = float(distribution @ expected_overage(pmf, stock))
    demand = pmf_mean(pmf)
    lost = max(float(distribution @ (expected_overage(pmf, stock) - stock)) + demand, 0.0)  # -8e-17: rounding
    frequency = float(distribution @ (orders > 0))
    return PolicyEvaluation(
        average_cost=holding_cost * over + shortage_cost * lost + fixed_cost * frequency,
        on_hand=over,
        lost_sales=lost,
        fill_rate=1.0 - lost / demand if demand > 0 else 1.0,
        position_bound=bound,
        order_frequency=frequency,
        ordering_cost=fixed_cost * frequency,
    )
