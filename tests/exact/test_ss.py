"""Tests for hybridinv.exact.ss: exact (s, S) cost and the Zheng-Federgruen algorithm."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridinv import PlanningError
from hybridinv.exact import best_base_stock, optimal_ss, ss_cost
from hybridinv.exact._demand import newsvendor_cost, poisson_pmf

# Zheng and Federgruen (1991), Table I: Poisson demand, h = 1, p = 9, K = 64.
ZHENG_FEDERGRUEN_TABLE_I = [
    # (mean, s*, S*, optimal average cost)
    (10, 6, 40, 35.022),
    (15, 10, 49, 42.698),
    (20, 14, 62, 49.173),
    (21, 15, 65, 50.406),
    (22, 16, 68, 51.632),
    (23, 17, 52, 52.757),
    (24, 18, 54, 53.518),
    (25, 19, 56, 54.262),
    (30, 23, 66, 57.819),
    (35, 28, 77, 61.215),
    (40, 33, 87, 64.512),
    (45, 37, 97, 67.776),
    (50, 42, 108, 70.975),
    (51, 43, 110, 71.611),
    (52, 44, 112, 72.246),
    (55, 47, 118, 74.149),
    (59, 51, 126, 76.679),
    (60, 52, 129, 77.306),
    (61, 52, 131, 77.929),
    (63, 54, 73, 78.287),
    (64, 55, 74, 78.402),
    (65, 56, 75, 78.518),
    (70, 62, 81, 79.037),
    (75, 67, 86, 79.554),
]


def _markov_chain_cost(s: int, S: int, mean: float, holding: float, shortage: float, fixed: float) -> float:
    """Average cost from the stationary distribution of the position after ordering (independent check)."""
    pmf = poisson_pmf(mean)
    levels = np.arange(s + 1, S + 1)  # positions after ordering
    n = levels.size
    matrix = np.zeros((n, n))
    order_probability = np.zeros(n)
    for i, level in enumerate(levels):
        for demand, probability in enumerate(pmf):
            after = level - demand
            if after <= s:
                matrix[i, n - 1] += probability
                order_probability[i] += probability
            else:
                matrix[i, after - s - 1] += probability
    system = np.vstack((matrix.T - np.eye(n), np.ones(n)))
    rhs = np.concatenate((np.zeros(n), [1.0]))
    stationary = np.linalg.lstsq(system, rhs, rcond=None)[0]
    per_state = newsvendor_cost(pmf, levels, holding, shortage) + fixed * order_probability
    return float(stationary @ per_state)


def test_snyder_shen_example_4_7_cost() -> None:
    # Snyder & Shen (2019), Example 4.7: Poisson(6), h = 1, p = 4, K = 5.
    assert ss_cost(4, 10, 6, 1, 4, 5) == pytest.approx(8.034111561471644, abs=1e-9)
    assert ss_cost(6, 18, 6, 1, 4, 5) == pytest.approx(10.193798671644046, abs=1e-9)


def test_snyder_shen_example_4_7_optimal() -> None:
    s, S, cost = optimal_ss(6, holding_cost=1, shortage_cost=4, fixed_cost=5)
    assert (s, S) == (4, 10)
    assert cost == pytest.approx(8.034111561471644, abs=1e-9)


def test_snyder_shen_problem_4_31() -> None:
    # Snyder & Shen (2019), Problem 4.31: Poisson(4), h = 40, p = 125, K = 150.
    assert ss_cost(4, 10, 4, 40, 125, 150) == pytest.approx(262.2755613772775, abs=1e-7)
    s, S, cost = optimal_ss(4, holding_cost=40, shortage_cost=125, fixed_cost=150)
    assert (s, S) == (2, 7)
    assert cost == pytest.approx(223.5748295669688, abs=1e-7)


@pytest.mark.parametrize(("mean", "s_opt", "S_opt", "cost_opt"), ZHENG_FEDERGRUEN_TABLE_I)
def test_zheng_federgruen_1991_table_i(mean: int, s_opt: int, S_opt: int, cost_opt: float) -> None:
    s, S, cost = optimal_ss(mean, holding_cost=1, shortage_cost=9, fixed_cost=64)
    assert (s, S) == (s_opt, S_opt)
    assert cost == pytest.approx(cost_opt, abs=6e-4)  # the table has three decimals
    assert ss_cost(s_opt, S_opt, mean, 1, 9, 64) == pytest.approx(cost, abs=1e-12)


@pytest.mark.parametrize(
    ("s", "S", "mean", "holding", "shortage", "fixed"),
    [(4, 10, 6, 1, 4, 5), (-3, 5, 2.5, 2, 7, 12), (0, 1, 0.8, 1, 3, 0), (20, 35, 12, 0.5, 10, 40)],
)
def test_ss_cost_equals_markov_chain(
    s: int, S: int, mean: float, holding: float, shortage: float, fixed: float
) -> None:
    expected = _markov_chain_cost(s, S, mean, holding, shortage, fixed)
    assert ss_cost(s, S, mean, holding, shortage, fixed) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(("mean", "holding", "shortage"), [(6, 1, 4), (18, 200, 270), (5, 1, 39), (0.7, 2, 3)])
def test_zero_fixed_cost_gives_base_stock(mean: float, holding: float, shortage: float) -> None:
    s, S, cost = optimal_ss(mean, holding, shortage, fixed_cost=0)
    level, base_cost = best_base_stock(mean, 0, holding, shortage, lost_sales=False)
    assert (s, S) == (level - 1, level)
    assert cost == pytest.approx(base_cost, rel=1e-12)


def test_demand_pmf_gives_same_answer_as_poisson_mean() -> None:
    pmf = poisson_pmf(10.0)
    assert optimal_ss(None, 1, 9, 64, demand_pmf=pmf) == optimal_ss(10, 1, 9, 64)
    assert optimal_ss(10, 1, 9, 64, demand_pmf=pmf) == optimal_ss(10, 1, 9, 64)


def test_optimal_ss_with_general_pmf_beats_neighbours() -> None:
    pmf = np.array([0.0, 0.25, 0.05, 0.1, 0.2, 0.15, 0.1, 0.1, 0.05])  # Snyder & Shen Problem 4.7(b) demand
    s, S, cost = optimal_ss(None, 1, 10, 30, demand_pmf=pmf)
    grid = [ss_cost(a, b, None, 1, 10, 30, demand_pmf=pmf) for a in range(-4, 15) for b in range(a + 1, 40)]
    assert cost == pytest.approx(min(grid), abs=1e-12)
    assert ss_cost(s, S, None, 1, 10, 30, demand_pmf=pmf) == pytest.approx(cost, abs=1e-12)


@settings(max_examples=15, deadline=None, database=None)
@given(
    mean=st.floats(0.5, 6.0),
    holding=st.floats(0.2, 3.0),
    shortage=st.floats(0.5, 30.0),
    fixed=st.floats(0.0, 60.0),
)
def test_optimal_ss_is_optimal_on_a_grid(mean: float, holding: float, shortage: float, fixed: float) -> None:
    s, S, cost = optimal_ss(mean, holding, shortage, fixed)
    grid = min(ss_cost(a, b, mean, holding, shortage, fixed) for a in range(s - 6, s + 7) for b in range(a + 1, S + 12))
    assert cost <= grid + 1e-9
    assert s < S


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((6, -1, 4, 5), "holding_cost"),
        ((6, 1, -4, 5), "shortage_cost"),
        ((6, 1, 4, -5), "fixed_cost"),
        ((6, 0, 4, 5), "must be > 0"),
        ((6, 1, 0, 5), "must be > 0"),
        ((0, 1, 4, 5), "positive"),
    ],
)
def test_optimal_ss_rejects_invalid_input(arguments: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        optimal_ss(*arguments)


def test_ss_cost_rejects_reorder_point_not_below_order_up_to() -> None:
    # plain ValueErrors naming no argument until 2026-12-07
    with pytest.raises(PlanningError, match="s < S") as info:
        ss_cost(5, 5, 6, 1, 4, 5)
    assert (info.value.column, info.value.value) == ("S", 5)
    with pytest.raises(PlanningError, match="integer") as info:
        ss_cost(4.5, 10, 6, 1, 4, 5)  # type: ignore[arg-type]
    assert info.value.column == "s"
    with pytest.raises(PlanningError, match="must be > 0") as info:
        optimal_ss(6, holding_cost=1, shortage_cost=0, fixed_cost=5)
    assert (info.value.column, info.value.value) == ("shortage_cost", 0.0)


def _lead_time_chain_cost(s: int, S: int, mean: float, lead: int, holding: float, shortage: float,
                          fixed: float) -> float:
    """Average cost of (s, S) on the inventory position with lead time ``lead`` (independent check).

    The position after ordering moves as in :func:`_markov_chain_cost`; each period is charged the
    expected end-of-period cost of the period its order arrives in, over Poisson(mean (L + 1)) demand
    computed here with scipy, and K for every order.
    """
    from scipy import stats

    demand = np.arange(int(mean * (lead + 1) * 6 + 60))
    window = stats.poisson.pmf(demand, mean * (lead + 1))
    period = stats.poisson.pmf(demand, mean)
    levels = np.arange(s + 1, S + 1)
    n = levels.size
    matrix = np.zeros((n, n))
    order_probability = np.zeros(n)
    for i, level in enumerate(levels):
        for d, probability in zip(demand, period, strict=True):
            after = level - d
            target = n - 1 if after <= s else after - s - 1
            matrix[i, target] += probability
            order_probability[i] += probability if after <= s else 0.0
    system = np.vstack((matrix.T - np.eye(n), np.ones(n)))
    stationary = np.linalg.lstsq(system, np.concatenate((np.zeros(n), [1.0])), rcond=None)[0]
    net = levels[:, None] - demand[None, :]
    expected = (window[None, :] * (holding * np.maximum(net, 0) + shortage * np.maximum(-net, 0))).sum(axis=1)
    return float(stationary @ (expected + fixed * order_probability))


@pytest.mark.parametrize(("mean", "lead", "holding", "shortage", "fixed"), [(5, 2, 1, 9, 64), (3, 1, 1, 9, 20),
                                                                              (2, 3, 2, 7, 10)])
def test_optimal_ss_with_a_lead_time_is_the_grid_optimum_of_an_independent_chain(
    mean: float, lead: int, holding: float, shortage: float, fixed: float
) -> None:
    # DynamicSS(method="exact") shifted the zero-lead-time optimum by the lead-time demand plus a normal safety
    # stock: for Poisson 5, L = 2, h = 1, p = 9, K = 64 that held (16, 42) at 27.65 against the optimum 26.25
    s, big_s, cost = optimal_ss(mean, holding, shortage, fixed, lead_time=lead)
    assert cost == pytest.approx(_lead_time_chain_cost(s, big_s, mean, lead, holding, shortage, fixed), rel=1e-8)
    centre = int(mean * (lead + 1))
    best = min(_lead_time_chain_cost(low, high, mean, lead, holding, shortage, fixed)
               for low in range(centre - 8, centre + 8) for high in range(low + 1, low + 40))
    assert cost == pytest.approx(best, rel=1e-9)
    assert ss_cost(s, big_s, mean, holding, shortage, fixed, lead_time=lead) == pytest.approx(cost, rel=1e-12)
    if (mean, lead) == (5, 2):
        assert (s, big_s) == (12, 38)


@pytest.mark.parametrize("lead", [-1, 1.5, True, "2", 521])
def test_a_lead_time_that_is_not_a_whole_number_of_periods_is_refused(lead: object) -> None:
    with pytest.raises(ValueError, match="lead_time"):
        optimal_ss(5, 1, 9, 64, lead_time=lead)  # type: ignore[arg-type]


@pytest.mark.parametrize(("args", "words"), [((5, 1, 1e100, 5), "MAX_COST"), ((5, 1e-9, 1, 5), "MAX_COST_RATIO"),
                                             ((5, 1, 9, 1e7), "fixed_cost / holding_cost")])
def test_costs_beyond_the_solvers_reach_are_refused(args: tuple[float, ...], words: str) -> None:
    # the finding: p = 1e100 was a ZeroDivisionError, h = 1e-9 ran for more than 40 s
    with pytest.raises(ValueError, match=words):
        optimal_ss(*args)
