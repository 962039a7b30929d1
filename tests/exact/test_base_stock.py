"""Tests for hybridinv.exact.base_stock: exact base-stock costs, backorders and lost sales."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hybridinv.exact import base_stock_cost, best_base_stock, lead_time_demand
from hybridinv.exact._demand import poisson_pmf

# Snyder & Shen (2019), Problem 4.7(b): P(D = d) for d = 0..8.
PROBLEM_4_7B_PMF = np.array([0.0, 0.25, 0.05, 0.1, 0.2, 0.15, 0.1, 0.1, 0.05])


def _simulate_base_stock(
    level: int, mean: float, lead_time: int, holding: float, shortage: float, lost_sales: bool, periods: int, seed: int
) -> tuple[float, float]:
    """Independent period-by-period simulation; returns (mean cost, 95% half-width by batch means)."""
    demand = np.random.default_rng(seed).poisson(mean, periods)
    pipeline = [0] * lead_time  # pipeline[k] arrives k periods from now (k = 0: this period)
    net_stock = level
    costs = np.empty(periods)
    for t in range(periods):
        position = net_stock + sum(pipeline)
        order = max(level - position, 0)
        if lead_time == 0:
            net_stock += order
        else:
            pipeline.append(order)
            net_stock += pipeline.pop(0)
        end = net_stock - demand[t]
        costs[t] = holding * max(end, 0) + shortage * max(-end, 0)
        net_stock = max(end, 0) if lost_sales else end
    batches = costs[1000:].reshape(50, -1).mean(axis=1)
    return float(costs[1000:].mean()), float(1.96 * batches.std(ddof=1) / np.sqrt(batches.size))


def test_snyder_shen_example_4_7_newsvendor() -> None:
    # Example 4.7 without fixed cost: Poisson(6), h = 1, p = 4.
    assert best_base_stock(6, 0, 1, 4, lost_sales=False) == (8, pytest.approx(3.570106945770946, abs=1e-9))
    assert base_stock_cost(5, 6, 0, 1, 4, lost_sales=False) == pytest.approx(6.590296024616344, abs=1e-9)


def test_snyder_shen_problem_4_8a_newsvendor() -> None:
    # Problem 4.8(a): Poisson(18), h = 200, p = 270.
    assert best_base_stock(18, 0, 200, 270, lost_sales=False) == (19, pytest.approx(786.0884409351115, abs=1e-6))
    assert base_stock_cost(13, 18, 0, 200, 270, lost_sales=False) == pytest.approx(1445.751062891969, abs=1e-6)


def test_snyder_shen_problem_4_7b_discrete_newsvendor() -> None:
    level, cost = best_base_stock(None, 0, 500_000, 1_000_000, lost_sales=False, demand_pmf=PROBLEM_4_7B_PMF)
    assert (level, cost) == (5, pytest.approx(1_225_000, abs=1e-3))
    cost_3 = base_stock_cost(3, None, 0, 500_000, 1_000_000, lost_sales=False, demand_pmf=PROBLEM_4_7B_PMF)
    assert cost_3 == pytest.approx(1_725_000, abs=1e-3)


@pytest.mark.parametrize(("level", "lead_time"), [(14, 1), (23, 3), (40, 4), (3, 2)])
def test_backorder_cost_equals_analytic_sum(level: int, lead_time: int) -> None:
    demand = np.arange(400)
    pmf = stats.poisson.pmf(demand, 5.0 * (lead_time + 1))
    expected = float(np.dot(pmf, 1.0 * np.maximum(level - demand, 0) + 9.0 * np.maximum(demand - level, 0)))
    assert base_stock_cost(level, 5, lead_time, 1, 9, lost_sales=False) == pytest.approx(expected, abs=1e-9)


def test_backorder_cost_matches_simulation() -> None:
    exact = base_stock_cost(22, 5, 2, 1, 9, lost_sales=False)
    simulated, half_width = _simulate_base_stock(22, 5, 2, 1, 9, lost_sales=False, periods=201_000, seed=11)
    assert abs(simulated - exact) < 2 * half_width


def test_backorder_optimum_is_critical_fractile_and_global() -> None:
    level, cost = best_base_stock(5, 3, 1, 19, lost_sales=False)
    assert level == int(stats.poisson.ppf(19 / 20, 20))
    costs = [base_stock_cost(s, 5, 3, 1, 19, lost_sales=False) for s in range(0, 60)]
    assert cost == pytest.approx(min(costs), abs=1e-12)
    assert int(np.argmin(costs)) == level


def test_general_pmf_with_lead_time_convolves_demand() -> None:
    pmf = poisson_pmf(4.0)
    for lost_sales in (False, True):
        by_pmf = base_stock_cost(12, None, 2, 1, 9, lost_sales=lost_sales, demand_pmf=pmf)
        by_mean = base_stock_cost(12, 4.0, 2, 1, 9, lost_sales=lost_sales)
        assert by_pmf == pytest.approx(by_mean, abs=1e-9)
    np.testing.assert_allclose(lead_time_demand(None, 2, pmf)[:30], poisson_pmf(12.0)[:30], atol=1e-11)


@pytest.mark.parametrize("level", [0, 3, 8, 15])
def test_lost_sales_with_zero_lead_time_is_the_newsvendor(level: int) -> None:
    lost = base_stock_cost(level, 6, 0, 1, 4, lost_sales=True)
    assert lost == pytest.approx(base_stock_cost(level, 6, 0, 1, 4, lost_sales=False), abs=1e-10)


@pytest.mark.parametrize(("level", "lead_time", "shortage"), [(19, 2, 9), (25, 4, 4), (16, 1, 39)])
def test_lost_sales_cost_matches_simulation(level: int, lead_time: int, shortage: float) -> None:
    exact = base_stock_cost(level, 5, lead_time, 1, shortage, lost_sales=True)
    simulated, half_width = _simulate_base_stock(level, 5, lead_time, 1, shortage, True, periods=151_000, seed=3)
    assert abs(simulated - exact) < 2 * half_width


def test_lost_sales_best_level_is_global_minimum() -> None:
    level, cost = best_base_stock(5, 3, 1, 9, lost_sales=True)
    costs = {s: base_stock_cost(s, 5, 3, 1, 9) for s in range(level - 5, level + 6)}
    assert cost == pytest.approx(min(costs.values()), abs=1e-12)
    assert costs[level] == pytest.approx(cost, abs=1e-12)


def test_lost_sales_periodic_demand() -> None:
    # Deterministic demand 2 with L = 2: S = 6 covers the three periods exactly, S = 3 loses one unit a period.
    assert base_stock_cost(6, None, 2, 1, 9, demand_pmf=[0, 0, 1]) == pytest.approx(0.0, abs=1e-9)
    assert base_stock_cost(3, None, 2, 1, 9, demand_pmf=[0, 0, 1]) == pytest.approx(9.0, abs=1e-9)


# Best lost-sales base-stock levels and costs from the exact chain for Poisson(5), h = 1 (our timing, with which
# the optimal costs of Zipkin (2008) for p = 4, 9, 19 are reproduced with the same L). The base-stock costs
# quoted earlier for Zipkin's test bed (L=1: 4.16, 5.56, 6.78, 7.88; L=4: 5.06, 7.19, 9.26, 11.07) were
# mis-transcribed; the values below are right and are checked here against a common-random-number simulation
# of S* - 1, S*, S* + 1 written in this file (each exact cost and each exact cost difference inside its
# 99.9 % interval), besides the neighbour search of test_lost_sales_best_level_is_global_minimum.
LOST_SALES_BASE_STOCK = [
    # (lead_time, shortage_cost, best level, cost)
    (1, 4, 12, 4.1628),
    (1, 9, 13, 5.5475),
    (1, 19, 15, 6.7278),
    (1, 39, 16, 7.8626),
    (2, 4, 16, 4.6386),
    (2, 9, 19, 6.3163),
    (2, 19, 21, 7.8422),
    (2, 39, 22, 9.1903),
    (4, 4, 25, 5.1978),
    (4, 9, 28, 7.2709),
    (4, 19, 31, 9.2319),
    (4, 39, 33, 11.0623),
]


def _crn_base_stock_costs(
    levels: list[int], lead_time: int, shortage: float, periods: int, replications: int, seed: int
) -> np.ndarray:
    """Mean cost per replication (rows: levels) of lost-sales base stock, Poisson(5), h = 1, common demand."""
    demand = np.random.default_rng(seed).poisson(5.0, (periods, replications))
    result = np.empty((len(levels), replications))
    for row, level in enumerate(levels):
        stock = np.full(replications, level)
        pipeline = np.zeros((replications, lead_time), dtype=np.int64)  # column 0 arrives next
        total = np.zeros(replications)
        for t in range(periods):
            order = level - stock - pipeline.sum(axis=1)
            if lead_time == 0:
                stock = stock + order
            else:
                full = np.column_stack((pipeline, order))
                stock, pipeline = stock + full[:, 0], full[:, 1:]
            if t >= 200:
                total += np.maximum(stock - demand[t], 0) + shortage * np.maximum(demand[t] - stock, 0)
            stock = np.maximum(stock - demand[t], 0)
        result[row] = total / (periods - 200)
    return result


@pytest.mark.parametrize(("lead_time", "shortage", "level_opt", "cost_opt"), LOST_SALES_BASE_STOCK)
def test_zipkin_2008_test_bed_best_lost_sales_base_stock(
    lead_time: int, shortage: float, level_opt: int, cost_opt: float
) -> None:
    level, cost = best_base_stock(5, lead_time, 1, shortage, lost_sales=True)
    assert level == level_opt
    assert cost == pytest.approx(cost_opt, abs=5e-5)
    levels = [level - 1, level, level + 1]
    exact = np.array([base_stock_cost(s, 5, lead_time, 1, shortage) for s in levels])
    simulated = _crn_base_stock_costs(levels, lead_time, shortage, periods=1200, replications=100, seed=lead_time)
    half = 3.3 * simulated.std(axis=1, ddof=1) / np.sqrt(simulated.shape[1])
    assert np.all(np.abs(simulated.mean(axis=1) - exact) < half)
    differences = simulated[[0, 2]] - simulated[1]
    half_differences = 3.3 * differences.std(axis=1, ddof=1) / np.sqrt(differences.shape[1])
    assert np.all(np.abs(differences.mean(axis=1) - (exact[[0, 2]] - exact[1])) < half_differences)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((-1, 5, 1, 1, 9), "S must be"),
        ((2.5, 5, 1, 1, 9), "S must be"),
        ((10, 5, -1, 1, 9), "lead_time"),
        ((10, 5, 1, -1, 9), "holding_cost"),
        ((10, 5, 1, 1, -9), "shortage_cost"),
        ((10, -5, 1, 1, 9), "positive"),
        ((10, -5, 1, 1, 9), r"got -5(\.0)?$"),  # the mean as given, not the lead-time mean -10
        ((10, 1e9, 1, 1, 9), "exact solvers"),
    ],
)
def test_base_stock_cost_rejects_invalid_input(arguments: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        base_stock_cost(*arguments)


def test_best_base_stock_rejects_zero_holding_cost_and_huge_chains() -> None:
    with pytest.raises(ValueError, match="holding_cost must be > 0"):
        best_base_stock(5, 1, 0, 9)
    with pytest.raises(ValueError, match="does not scale"):
        base_stock_cost(400, 100, 4, 1, 9)
