"""Tests for hybridinv.exact.lost_sales_fixed: lost sales with lead time and a fixed order cost.

The DP is checked by independent means, not by published figures: K = 0 against
lost_sales_optimal; L = 0 against a brute force over all (s, S) with a chain written here and
against a plain value iteration; the optimal policy of the base case of Bijvank, Bhulai & Huh
(2015) (Poisson 5, L = 2, h = 1, p = 14, K = 5) against a stationary distribution computed
here and a common-random-number simulation; and the ordering optimum <= best (s, S) <= best
base stock + K * order frequency.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hybridinv import PlanningError
from hybridinv.exact import (
    LostSalesResult,
    base_stock_cost,
    best_base_stock,
    best_lost_sales_ss,
    lost_sales_fixed_cost_optimal,
    lost_sales_optimal,
    lost_sales_policy_cost,
    lost_sales_ss_cost,
)

MEAN, LEAD, HOLDING, SHORTAGE, FIXED = 5.0, 2, 1.0, 14.0, 5.0  # Bijvank, Bhulai & Huh (2015), base case
DEMAND = np.arange(60)
PMF = stats.poisson.pmf(DEMAND, MEAN)


def _period_cost(stock: int) -> float:
    """h E[(u - D)^+] + p E[(D - u)^+] for the stock u facing demand (written out, not the library's)."""
    return float(PMF @ (HOLDING * np.maximum(stock - DEMAND, 0) + SHORTAGE * np.maximum(DEMAND - stock, 0)))


def _chain_cost(order: dict[tuple[int, ...], int], lead: int, fixed: float) -> float:
    """Average cost of a stationary policy given as {state: order}, from a dense chain built state by state.

    States are those reachable from the empty state; the stationary distribution solves pi P = pi, sum pi = 1.
    """
    start = (0,) * max(lead, 1)
    index, frontier, rows = {start: 0}, [start], []
    while frontier:
        state = frontier.pop()
        quantity = order[state]
        stock = state[0] + quantity if lead == 0 else state[0]
        left = np.maximum(stock - DEMAND, 0)
        if lead == 0:
            successors = [(int(k),) for k in left]
        elif lead == 1:
            successors = [(int(k) + quantity,) for k in left]
        else:
            successors = [(int(k) + state[1], *state[2:], quantity) for k in left]
        for successor in successors:
            if successor not in index:
                index[successor] = len(index)
                frontier.append(successor)
        cost = _period_cost(stock) + fixed * (quantity > 0)
        rows.append((index[state], [index[s] for s in successors], cost))
    size = len(index)
    matrix, costs = np.zeros((size, size)), np.zeros(size)
    for row, columns, cost in rows:
        np.add.at(matrix[row], columns, PMF)
        costs[row] = cost
    matrix /= matrix.sum(axis=1, keepdims=True)  # the 60-point pmf misses < 1e-20 of mass
    system = np.vstack((matrix.T - np.eye(size), np.ones(size)))
    distribution = np.linalg.lstsq(system, np.append(np.zeros(size), 1.0), rcond=None)[0]
    return float(distribution @ costs)


def _policy_table(result: LostSalesResult) -> dict[tuple[int, ...], int]:
    return {tuple(s): int(q) for s, q in zip(result.states.tolist(), result.policy.tolist(), strict=True)}


def _zero_lead_value_iteration(fixed: float, bound: int) -> float:
    """Plain value iteration for L = 0 over states 0..bound (stock carried over), loops only."""
    values = np.zeros(bound + 1)
    costs = [_period_cost(u) for u in range(bound + 1)]
    for _ in range(5000):
        expected = [float(PMF @ values[np.maximum(u - DEMAND, 0)]) for u in range(bound + 1)]
        updated = np.array(
            [min(costs[u] + expected[u] + fixed * (u > x) for u in range(x, bound + 1)) for x in range(bound + 1)]
        )
        change = updated - values
        values = updated - updated[0]
        if change.max() - change.min() < 1e-10:
            break
    return float(0.5 * (change.max() + change.min()))


@pytest.mark.parametrize(("lead", "shortage"), [(0, 14.0), (1, 4.0), (2, 14.0), (3, 9.0)])
def test_zero_fixed_cost_is_the_lost_sales_optimum(lead: int, shortage: float) -> None:
    with_k = lost_sales_fixed_cost_optimal(MEAN, lead, HOLDING, shortage, 0.0, tol=1e-9)
    without = lost_sales_optimal(MEAN, lead, HOLDING, shortage, tol=1e-9)
    assert with_k.average_cost == pytest.approx(without.average_cost, abs=1e-8)
    assert with_k.position_bound == without.position_bound and with_k.fixed_cost == 0.0
    np.testing.assert_array_equal(with_k.policy, without.policy)


@pytest.mark.parametrize("fixed", [5.0, 20.0])
def test_zero_lead_time_equals_brute_force_over_all_ss_and_plain_value_iteration(fixed: float) -> None:
    result = lost_sales_fixed_cost_optimal(MEAN, 0, HOLDING, SHORTAGE, fixed, tol=1e-10)
    costs = {}
    for order_up_to in range(1, 31):
        for reorder_point in range(order_up_to):
            table = {(x,): order_up_to - x if x <= reorder_point else 0 for x in range(order_up_to + 1)}
            costs[reorder_point, order_up_to] = _chain_cost(table, 0, fixed)
    (reorder_point, order_up_to), best = min(costs.items(), key=lambda item: item[1])
    assert result.average_cost == pytest.approx(best, abs=1e-7)  # (s, S) is optimal with zero lead time
    assert result.average_cost == pytest.approx(_zero_lead_value_iteration(fixed, 30), abs=1e-7)
    expected = [order_up_to - x if x <= reorder_point else 0 for x in range(order_up_to + 1)]
    assert [result.order(x) for x in range(order_up_to + 1)] == expected
    assert best_lost_sales_ss(MEAN, 0, HOLDING, SHORTAGE, fixed) == (reorder_point, order_up_to, pytest.approx(best))


def test_zero_lead_time_never_orders_when_the_fixed_cost_outweighs_the_lost_margin() -> None:
    # p = 4, K = 50: losing all demand (4 * 5 = 20 a period) beats any (s, S) policy.
    result = lost_sales_fixed_cost_optimal(MEAN, 0, HOLDING, 4.0, 50.0, tol=1e-10)
    assert result.average_cost == pytest.approx(20.0, abs=1e-8)
    assert result.max_order_up_to == 0
    assert best_lost_sales_ss(MEAN, 0, HOLDING, 4.0, 50.0)[2] > 20.0 + 0.1


def test_base_case_optimal_policy_cost_from_an_independent_stationary_distribution() -> None:
    result = lost_sales_fixed_cost_optimal(MEAN, LEAD, HOLDING, SHORTAGE, FIXED, tol=1e-10)
    assert result.converged and result.bound_widened_from is None
    assert result.max_order_up_to < result.position_bound
    assert _chain_cost(_policy_table(result), LEAD, FIXED) == pytest.approx(result.average_cost, abs=1e-8)
    evaluation = lost_sales_policy_cost(
        lambda s: result.orders(s[:, 0], s[:, 1:]), MEAN, LEAD, HOLDING, SHORTAGE, fixed_cost=FIXED
    )
    assert evaluation.average_cost == pytest.approx(result.average_cost, abs=1e-8)
    assert evaluation.ordering_cost == pytest.approx(FIXED * evaluation.order_frequency)
    assert result.average_cost == pytest.approx(11.46305, abs=1e-5)  # this library's value, checked above


def _simulate(tables: list[np.ndarray], periods: int, replications: int, seed: int) -> np.ndarray:
    """Per-replication mean cost of L = 2 policies given as order[x, p1] tables, on common demand."""
    demand = np.random.default_rng(seed).poisson(MEAN, (periods, replications))
    means = []
    for table in tables:
        stock = np.zeros(replications, dtype=np.int64)
        arriving = np.zeros(replications, dtype=np.int64)
        total = np.zeros(replications)
        for t in range(periods):
            order = table[stock, arriving]
            left = np.maximum(stock - demand[t], 0)
            cost = HOLDING * left + SHORTAGE * np.maximum(demand[t] - stock, 0) + FIXED * (order > 0)
            if t >= 200:
                total += cost
            stock, arriving = left + arriving, order
        means.append(total / (periods - 200))
    return np.array(means)


def test_base_case_common_random_number_simulation_agrees_with_the_exact_costs() -> None:
    result = lost_sales_fixed_cost_optimal(MEAN, LEAD, HOLDING, SHORTAGE, FIXED)
    reorder_point, order_up_to, ss_cost = best_lost_sales_ss(MEAN, LEAD, HOLDING, SHORTAGE, FIXED)
    size = max(result.position_bound, order_up_to) + 1
    optimal, ss_table = np.zeros((size, size), dtype=np.int64), np.zeros((size, size), dtype=np.int64)
    for (x, p1), q in _policy_table(result).items():
        optimal[x, p1] = q
    x, p1 = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    ss_table[:] = np.where(x + p1 <= reorder_point, order_up_to - x - p1, 0)
    costs = _simulate([optimal, ss_table], periods=2200, replications=200, seed=15)
    half = 3.3 * costs.std(axis=1, ddof=1) / math.sqrt(costs.shape[1])  # 99.9% intervals
    assert abs(costs[0].mean() - result.average_cost) < half[0]
    assert abs(costs[1].mean() - ss_cost) < half[1]
    difference = costs[1] - costs[0]
    half_difference = 3.3 * difference.std(ddof=1) / math.sqrt(difference.size)
    assert abs(difference.mean() - (ss_cost - result.average_cost)) < half_difference
    assert difference.mean() > half_difference  # common random numbers resolve the (s, S) gap


def test_optimum_below_best_ss_below_best_base_stock_plus_ordering_cost() -> None:
    optimal = lost_sales_fixed_cost_optimal(MEAN, LEAD, HOLDING, SHORTAGE, FIXED).average_cost
    reorder_point, order_up_to, ss_cost = best_lost_sales_ss(MEAN, LEAD, HOLDING, SHORTAGE, FIXED)
    level, base_cost = best_base_stock(MEAN, LEAD, HOLDING, SHORTAGE)
    base_with_orders = lost_sales_ss_cost(level - 1, level, MEAN, LEAD, HOLDING, SHORTAGE, FIXED)
    assert base_with_orders.average_cost == pytest.approx(base_cost + FIXED * base_with_orders.order_frequency)
    assert 0 < base_with_orders.order_frequency <= 1 - math.exp(-MEAN)
    assert optimal < ss_cost < base_with_orders.average_cost
    assert (reorder_point, order_up_to) == (17, 23)
    assert ss_cost / optimal - 1 < 0.03  # (s, S) is near-optimal here (1.35 %)


def test_ss_cost_matches_an_independent_chain_and_base_stock_with_zero_fixed_cost() -> None:
    table = {(x, p1): max(24 - x - p1, 0) if x + p1 <= 15 else 0 for x in range(25) for p1 in range(25 - x)}
    exact = lost_sales_ss_cost(15, 24, MEAN, LEAD, HOLDING, SHORTAGE, FIXED)
    assert exact.average_cost == pytest.approx(_chain_cost(table, LEAD, FIXED), abs=1e-9)
    for level in (12, 19):
        zero_k = lost_sales_ss_cost(level - 1, level, MEAN, LEAD, HOLDING, SHORTAGE, 0.0).average_cost
        assert zero_k == pytest.approx(base_stock_cost(level, MEAN, LEAD, HOLDING, SHORTAGE), abs=1e-10)


def test_best_ss_search_widens_a_binding_range_and_is_a_local_minimum() -> None:
    narrow = best_lost_sales_ss(MEAN, LEAD, HOLDING, SHORTAGE, FIXED, max_order_up_to=12)
    assert narrow[:2] == (17, 23)
    s, big_s, cost = narrow
    for ds, dS in [(-1, 0), (1, 0), (0, -1), (0, 1), (1, 1), (-1, -1)]:
        neighbour = lost_sales_ss_cost(s + ds, big_s + dS, MEAN, LEAD, HOLDING, SHORTAGE, FIXED).average_cost
        assert neighbour > cost


def test_bound_insensitivity_and_widening_of_a_binding_bound() -> None:
    default = lost_sales_fixed_cost_optimal(MEAN, LEAD, HOLDING, SHORTAGE, FIXED, tol=1e-9)
    larger = lost_sales_fixed_cost_optimal(
        MEAN, LEAD, HOLDING, SHORTAGE, FIXED, tol=1e-9, position_bound=default.position_bound + 6
    )
    narrow = lost_sales_fixed_cost_optimal(MEAN, LEAD, HOLDING, SHORTAGE, FIXED, tol=1e-9, position_bound=15)
    assert larger.average_cost == pytest.approx(default.average_cost, abs=1e-8)
    assert narrow.bound_widened_from == 15 and narrow.max_order_up_to < narrow.position_bound
    assert narrow.average_cost == pytest.approx(default.average_cost, abs=1e-8)
    with pytest.raises(PlanningError, match="position_bound 15 binds"):
        lost_sales_fixed_cost_optimal(MEAN, LEAD, HOLDING, SHORTAGE, FIXED, position_bound=15, widen_bound=False)


@pytest.mark.parametrize("lead", [0, 1, 2])
def test_deterministic_demand_orders_every_second_period(lead: int) -> None:
    # Demand 2 every period, h = 1, p = 9, K = 5: ordering 2n units every n periods costs K / n + (n - 1)
    # per period (stock 2(n - 1), ..., 2, 0 held), smallest at n = 2: 3.5, below losing everything (18).
    result = lost_sales_fixed_cost_optimal(None, lead, 1, 9, 5, demand_pmf=[0, 0, 1], tol=1e-9)
    assert result.converged
    assert result.average_cost == pytest.approx(min(5 / n + n - 1 for n in range(1, 10)), abs=1e-6)
    assert best_lost_sales_ss(None, lead, 1, 9, 5, demand_pmf=[0, 0, 1])[2] == pytest.approx(3.5, abs=1e-9)


def test_poisson_pmf_given_explicitly_gives_the_same_optimum() -> None:
    by_pmf = lost_sales_fixed_cost_optimal(None, LEAD, HOLDING, SHORTAGE, FIXED, demand_pmf=PMF / PMF.sum())
    by_mean = lost_sales_fixed_cost_optimal(MEAN, LEAD, HOLDING, SHORTAGE, FIXED)
    assert by_pmf.average_cost == pytest.approx(by_mean.average_cost, abs=1e-9)


def test_base_case_converges() -> None:
    # no wall-clock bound here (it failed at 10 s beside a loaded test run): timings belong in benchmarks/
    result = lost_sales_fixed_cost_optimal(MEAN, LEAD, HOLDING, SHORTAGE, FIXED)
    best_lost_sales_ss(MEAN, LEAD, HOLDING, SHORTAGE, FIXED)
    assert result.converged


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: lost_sales_fixed_cost_optimal(5, 2, 1, 14, -1), "fixed_cost"),
        (lambda: lost_sales_fixed_cost_optimal(5, 2, 0, 14, 5), "holding_cost must be > 0"),
        (lambda: lost_sales_fixed_cost_optimal(5, 2, 1, 14, 5, position_bound=-1), "position_bound"),
        (lambda: lost_sales_fixed_cost_optimal(5, 2, 1, 14, 5, tol=0), "tol"),
        (lambda: lost_sales_ss_cost(5, 5, 5, 2, 1, 14, 5), "0 <= s < S"),
        (lambda: lost_sales_ss_cost(-1, 5, 5, 2, 1, 14, 5), "0 <= s < S"),
        (lambda: lost_sales_ss_cost(2.5, 5, 5, 2, 1, 14, 5), "s must be an integer"),
        (lambda: best_lost_sales_ss(5, 2, 0, 14, 0), "holding_cost must be > 0"),
    ],
)
def test_rejects_invalid_input(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_a_shortage_cost_of_1e300_is_refused_not_a_negative_cost() -> None:
    # the finding: lost_sales_fixed_cost_optimal(5, 1, 1, 1e300, 5) and best_lost_sales_ss returned about -4e285
    from hybridinv.exact import best_lost_sales_ss, lost_sales_fixed_cost_optimal

    for call in (lost_sales_fixed_cost_optimal, best_lost_sales_ss):
        with pytest.raises(ValueError, match="MAX_COST"):
            call(5, 1, 1, 1e300, 5)


@pytest.mark.parametrize(("s", "S"), [(3, 12), (17, 23), (5, 60)])
def test_the_direct_stationary_solve_equals_the_power_iteration(s: int, S: int,  # noqa: N803
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The direct solve (a chain that mixes too slowly) replaced a balance row by a dense row of ones, which filled
    the LU factors: 100,000 states ran out of memory. Now one state's balance is dropped; both give one answer."""
    from hybridinv.exact import _chain, lost_sales_fixed

    pmf = stats.poisson.pmf(np.arange(40), 5.0)
    pmf[-1] += 1.0 - pmf.sum()
    chains = lost_sales_fixed._SSChains(pmf, 2, 1.0, 9.0, 5.0)
    iterated = chains.evaluate(s, S).average_cost
    monkeypatch.setattr(lost_sales_fixed, "stationary_distribution",
                        lambda matrix: _chain.stationary_distribution(matrix, max_iter=1))
    assert chains.evaluate(s, S).average_cost == pytest.approx(iterated, rel=1e-9)


def test_an_enumeration_beyond_the_chain_limit_is_refused() -> None:
    """max_order_up_to=10**4 meant 5e7 chains: it ran for hours without a word."""
    with pytest.raises(ValueError, match="MAX_SS_CHAINS"):
        best_lost_sales_ss(5.0, 1, 1.0, 9.0, 5.0, max_order_up_to=10**4)
