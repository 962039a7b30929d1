"""Optimal periodic-review (s, S) policies for discrete demand: Zheng and Federgruen (1991).

Model (one SKU, periodic review, backorders, zero lead time unless ``lead_time`` is given). At the start of each
period the inventory position ``x`` is reviewed; if ``x <= s`` an order raises it to
``S`` at fixed cost ``K`` and the order is usable at once; then demand ``D`` (i.i.d.,
discrete) is served or backordered; finally the end-of-period net stock ``y - D`` is
charged ``h`` per unit held and ``p`` per unit backordered. With ``y`` the stock
after ordering, the expected period cost is ``G(y) = h E[(y - D)^+] + p E[(D - y)^+]``.

With a constant lead time ``L`` (``lead_time``) the same holds on the inventory position
(on hand plus on order minus backorders): an order placed now arrives ``L`` periods later,
and the net stock at the end of that period is ``y - D[L + 1]``, the position after ordering
less the demand of ``L + 1`` periods. So ``G`` is taken over that demand while the position
still falls by one period's demand a period; the (s, S) policy on the position stays optimal
and the algorithm is unchanged (Zheng and Federgruen 1991, section 1; Snyder and Shen 2019,
Chapter 4).

Convention for ``s``: the reorder point is the largest inventory position at which an
order is placed (order when ``x <= s``, never when ``x > s``), as in Zheng and
Federgruen (1991) and Snyder and Shen (2019, Chapter 4). Hence ``s < S`` and the
levels visited without ordering are ``S, S - 1, ..., s + 1``. With ``s = S - 1`` the
policy is a base-stock policy with level ``S``.

References
----------
.. [1] Zheng, Y.-S. and Federgruen, A. (1991). Finding optimal (s, S) policies is about
   as simple as evaluating a single policy. *Operations Research* 39(4), 654-665.
.. [2] Snyder, L. V. and Shen, Z.-J. M. (2019). *Fundamentals of Supply Chain Theory*,
   2nd ed., Wiley. Chapter 4 ((s, S) policies; Example 4.7, Problem 4.31).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.exact._demand import (
    check_costs,
    check_lead_time,
    convolution_power,
    demand_distribution,
    newsvendor_cost,
)

__all__ = ["optimal_ss", "ss_cost"]


class _RenewalCosts:
    """Cost pieces of Zheng and Federgruen's renewal-reward formula for one instance.

    The inventory position drops from ``S`` by i.i.d. demands; ``m(j)`` is the expected
    number of periods the position spends at ``S - j`` before the next order (a renewal
    mass function: ``m(0) = 1 / (1 - p_0)``, ``m(j) = sum_{l=1..j} p_l m(j - l) / (1 - p_0)``)
    and ``M(n) = sum_{j < n} m(j)`` is the expected cycle length for ``S - s = n``. Then
    ``c(s, S) = (K + sum_{j=0}^{S-s-1} m(j) G(S - j)) / M(S - s)`` ([1]).
    """

    def __init__(self, pmf: NDArray[np.float64], holding_cost: float, shortage_cost: float, fixed_cost: float,
                 lead_time: int = 0):
        self.pmf = pmf
        #: demand over the ``lead_time + 1`` periods up to the end of the period an order placed now arrives in
        self.cost_pmf = convolution_power(pmf, lead_time + 1)
        self.holding_cost = holding_cost
        self.shortage_cost = shortage_cost
        self.fixed_cost = fixed_cost
        self.mass = np.empty(0)
        self.cumulative = np.zeros(1)
        self._extend(64)

    def _extend(self, length: int) -> None:
        """Make ``m(0..length - 1)`` and ``M(0..length)`` available."""
        if length <= self.mass.size:
            return
        length = max(length, 2 * self.mass.size)
        stay = self.pmf[0]
        arrivals = self.pmf[1:]
        mass = np.empty(length)
        mass[: self.mass.size] = self.mass
        for j in range(self.mass.size, length):
            if j == 0:
                mass[0] = 1.0 / (1.0 - stay)
                continue
            width = min(j, arrivals.size)
            # sum_{l=1..width} p_l m(j - l): arrivals[:width] against m(j-1), ..., m(j-width).
            mass[j] = np.dot(arrivals[:width], mass[j - 1 :: -1][:width]) / (1.0 - stay)
        self.mass = mass
        self.cumulative = np.concatenate(([0.0], np.cumsum(mass)))

    def one_period(self, levels: ArrayLike) -> NDArray[np.float64]:
        """``G(y)`` at integer levels (with a lead time, over the demand of the ``L + 1`` periods)."""
        return newsvendor_cost(self.cost_pmf, levels, self.holding_cost, self.shortage_cost)

    def average_cost(self, reorder_point: int, order_up_to: int) -> float:
        """``c(s, S)``, the long-run average cost per period of the (s, S) policy."""
        width = order_up_to - reorder_point
        self._extend(width)
        levels = order_up_to - np.arange(width)
        total = self.fixed_cost + float(np.dot(self.mass[:width], self.one_period(levels)))
        return total / float(self.cumulative[width])


def _check_policy(reorder_point: int, order_up_to: int) -> None:
    for name, value in (("s", reorder_point), ("S", order_up_to)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise PlanningError(f"{name} must be an integer, got {value!r}", column=name, value=repr(value))
    if reorder_point >= order_up_to:
        raise PlanningError(f"need s < S (order when inventory position <= s), got s={reorder_point}",
                            column="S", value=int(order_up_to))


def ss_cost(
    s: int,
    S: int,
    mean: float | None,
    holding_cost: float,
    shortage_cost: float,
    fixed_cost: float,
    demand_pmf: ArrayLike | None = None,
    lead_time: int = 0,
) -> float:
    """Exact long-run average cost per period of a given (s, S) policy.

    Parameters
    ----------
    s : int
        Reorder point [s]: order when the inventory position is ``<= s``.
    S : int
        Order-up-to level [S], ``S > s``.
    mean : float or None
        Poisson demand mean per period [lambda]; may be None when ``demand_pmf`` is given.
    holding_cost : float
        Cost per unit of end-of-period on-hand stock [h], >= 0.
    shortage_cost : float
        Cost per unit backordered at the end of a period [p], >= 0.
    fixed_cost : float
        Cost per order placed [K], >= 0.
    demand_pmf : array_like, optional
        Demand pmf over ``0..len - 1`` instead of Poisson(``mean``).
    lead_time : int
        Periods ``L`` between placing an order and its arrival (whole number, 0 to 520). The
        levels are then on the inventory position, and ``G`` charges the net stock at the end
        of the period the order arrives in, against the demand of ``L + 1`` periods.

    Returns
    -------
    float
        ``c(s, S) = (K + sum_{j=0}^{S-s-1} m(j) G(S - j)) / M(S - s)`` (renewal-reward).

    Raises
    ------
    ValueError
        On negative costs, an invalid demand, non-integer levels or ``s >= S``.

    References
    ----------
    .. [1] Zheng and Federgruen (1991) (renewal-reward cost of an (s, S) policy).
    .. [2] Snyder and Shen (2019), Chapter 4, Example 4.7.

    Examples
    --------
    >>> round(ss_cost(4, 10, 6, holding_cost=1, shortage_cost=4, fixed_cost=5), 6)  # Snyder & Shen Ex. 4.7
    8.034112
    """
    check_costs(holding_cost=holding_cost, shortage_cost=shortage_cost, fixed_cost=fixed_cost)
    _check_policy(s, S)
    pmf = demand_distribution(mean, demand_pmf)
    lead = check_lead_time(lead_time)
    return _RenewalCosts(pmf, holding_cost, shortage_cost, fixed_cost, lead).average_cost(int(s), int(S))


def optimal_ss(
    mean: float | None,
    holding_cost: float,
    shortage_cost: float,
    fixed_cost: float,
    demand_pmf: ArrayLike | None = None,
    lead_time: int = 0,
) -> tuple[int, int, float]:
    """Optimal (s, S) policy by the Zheng and Federgruen (1991) algorithm.

    Parameters
    ----------
    mean : float or None
        Poisson demand mean per period [lambda]; may be None when ``demand_pmf`` is given.
    holding_cost : float
        Cost per unit of end-of-period on-hand stock [h], > 0.
    shortage_cost : float
        Cost per unit backordered at the end of a period [p], > 0.
    fixed_cost : float
        Cost per order placed [K], >= 0.
    demand_pmf : array_like, optional
        Demand pmf over ``0..len - 1`` instead of Poisson(``mean``).
    lead_time : int
        Periods ``L`` between placing an order and its arrival (whole number, 0 to 520). The
        levels are then on the inventory position, and ``G`` charges the net stock at the end
        of the period the order arrives in, against the demand of ``L + 1`` periods.

    Returns
    -------
    s : int
        Reorder point: order when the inventory position is ``<= s``.
    S : int
        Order-up-to level.
    cost : float
        Optimal long-run average cost per period ``c(s, S)``.

    Raises
    ------
    ValueError
        On negative costs, a zero holding or shortage cost (no finite optimum) or an
        invalid demand.

    Notes
    -----
    Steps of [1]: ``y*`` minimises ``G``; ``s`` decreases from ``y*`` until
    ``c(s, y*) <= G(s)``; then ``S`` increases from ``y* + 1`` while ``G(S) <= c*``,
    and whenever ``c(s, S) < c*`` the level ``S`` is accepted and ``s`` raised while
    ``c(s, S) <= G(s + 1)``. Each evaluation of ``c`` costs ``O(S - s)`` here, so the
    whole search takes ``O((S - s)^2)`` operations, milliseconds for typical instances.
    Among tied optimal policies the one found first by these steps is returned.

    References
    ----------
    .. [1] Zheng and Federgruen (1991) (the algorithm).
    .. [2] Snyder and Shen (2019), Chapter 4 (the same algorithm, Example 4.7).

    Examples
    --------
    >>> s, S, cost = optimal_ss(6, holding_cost=1, shortage_cost=4, fixed_cost=5)  # Snyder & Shen Ex. 4.7
    >>> (s, S, round(cost, 6))
    (4, 10, 8.034112)
    """
    check_costs(holding_cost=holding_cost, shortage_cost=shortage_cost, fixed_cost=fixed_cost)
    if shortage_cost <= 0 or holding_cost <= 0:
        raise PlanningError(
            "holding_cost and shortage_cost must be > 0: without shortage cost never ordering is optimal, "
            "without holding cost no finite policy is optimal",
            column="holding_cost" if holding_cost <= 0 else "shortage_cost",
            value=float(holding_cost if holding_cost <= 0 else shortage_cost),
        )
    pmf = demand_distribution(mean, demand_pmf)
    costs = _RenewalCosts(pmf, holding_cost, shortage_cost, fixed_cost, check_lead_time(lead_time))
    one_period = costs.one_period
    # G is convex; its minimiser lies in [0, len(cost pmf)] when holding and shortage cost are >= 0.
    candidates = np.arange(costs.cost_pmf.size + 1)
    best_level = int(candidates[np.argmin(one_period(candidates))])

    reorder = best_level - 1
    while costs.average_cost(reorder, best_level) > float(one_period(reorder)[()]):
        reorder -= 1
    order_up_to = best_level
    best_cost = costs.average_cost(reorder, order_up_to)
    candidate = best_level + 1
    while float(one_period(candidate)[()]) <= best_cost:
        if costs.average_cost(reorder, candidate) < best_cost:
            order_up_to = candidate
            while costs.average_cost(reorder, order_up_to) <= float(one_period(reorder + 1)[()]):
                reorder += 1
            best_cost = costs.average_cost(reorder, order_up_to)
        candidate += 1
    return int(reorder), int(order_up_to), float(best_cost)

