"""Tests for hybridinv.exact._demand: truncated pmfs and one-period expected costs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hybridinv.exact import (
    best_base_stock,
    best_lost_sales_ss,
    lost_sales_fixed_cost_optimal,
    lost_sales_optimal,
)
from hybridinv.exact._demand import (
    TAIL_PROBABILITY,
    check_costs,
    check_lead_time,
    convolution_power,
    demand_distribution,
    expected_overage,
    expected_underage,
    newsvendor_cost,
    pmf_mean,
    poisson_pmf,
)


@pytest.mark.parametrize("mean", [0.3, 1.0, 5.0, 25.0, 120.0])
def test_poisson_pmf_is_truncated_at_tail_probability(mean: float) -> None:
    pmf = poisson_pmf(mean)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-14)
    assert stats.poisson.sf(pmf.size - 1, mean) < TAIL_PROBABILITY
    assert np.max(np.abs(pmf - stats.poisson.pmf(np.arange(pmf.size), mean))) < 1e-11
    assert pmf_mean(pmf) == pytest.approx(mean, rel=1e-9)


def test_convolution_power_of_poisson_is_poisson() -> None:
    total = convolution_power(poisson_pmf(5.0), 5)
    reference = stats.poisson.pmf(np.arange(total.size), 25.0)
    assert np.max(np.abs(total - reference)) < 1e-11
    assert stats.poisson.sf(total.size - 1, 25.0) < 1e-10


def test_convolution_power_of_two_point_demand() -> None:
    total = convolution_power(np.array([0.5, 0.5]), 3)
    np.testing.assert_allclose(total, [1 / 8, 3 / 8, 3 / 8, 1 / 8])


@settings(max_examples=40, deadline=None, database=None)
@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=8).filter(lambda w: sum(w[1:]) > 1e-3),
    level=st.integers(-5, 12),
    holding_cost=st.floats(0.0, 10.0),
    shortage_cost=st.floats(0.0, 10.0),
)
def test_newsvendor_cost_matches_brute_force_sum(
    weights: list[float], level: int, holding_cost: float, shortage_cost: float
) -> None:
    pmf = demand_distribution(None, np.array(weights) / sum(weights))
    demand = np.arange(pmf.size)
    over = float(np.dot(pmf, np.maximum(level - demand, 0)))
    under = float(np.dot(pmf, np.maximum(demand - level, 0)))
    assert float(expected_overage(pmf, level)) == pytest.approx(over, abs=1e-12)
    assert float(expected_underage(pmf, level)) == pytest.approx(under, abs=1e-12)
    expected = holding_cost * over + shortage_cost * under
    assert float(newsvendor_cost(pmf, level, holding_cost, shortage_cost)) == pytest.approx(expected, abs=1e-10)


def test_demand_distribution_trims_trailing_zeros_and_checks_mean() -> None:
    pmf = demand_distribution(2.0, [0.0, 0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(pmf, [0.0, 0.0, 1.0])
    assert pmf_mean(demand_distribution(None, [0.5, 0.5])) == 0.5


@pytest.mark.parametrize(
    ("mean", "pmf", "message"),
    [
        (0.0, None, "positive"),
        (-1.0, None, "positive"),
        (float("nan"), None, "positive"),
        (None, None, "either mean"),
        (None, [[0.5, 0.5]], "1-D"),
        (None, [0.5, -0.1, 0.6], "non-negative"),
        (None, [0.5, 0.4], "sum to one"),
        (None, [1.0, 0.0], "all mass on zero"),
        (3.0, [0.5, 0.5], "disagrees"),
        (1e9, None, "exact solvers"),  # allocated a 1e9-value pmf and exhausted memory
        (None, np.full(30_000, 1 / 30_000), "exact solvers"),
        ("5", None, "positive"),
        (True, None, "positive"),
    ],
)
def test_demand_distribution_rejects_invalid_input(mean: float | None, pmf: list | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        demand_distribution(mean, pmf)


def test_check_costs_and_lead_time() -> None:
    check_costs(holding_cost=0.0, shortage_cost=3)
    with pytest.raises(ValueError, match="holding_cost"):
        check_costs(holding_cost=-1.0)
    with pytest.raises(ValueError, match="shortage_cost"):
        check_costs(shortage_cost=float("inf"))
    assert check_lead_time(np.int64(3)) == 3
    assert check_lead_time(3.0) == 3  # a whole float, as optimal_ss accepted and the exact solvers refused
    from hybridinv.core.limits import MAX_LEAD_TIME

    assert check_lead_time(MAX_LEAD_TIME) == MAX_LEAD_TIME
    for bad in (-1, 1.5, True, "3", MAX_LEAD_TIME + 1, 10**6):
        with pytest.raises(ValueError, match="lead_time"):
            check_lead_time(bad)  # type: ignore[arg-type]


def test_exact_solvers_refuse_a_lead_time_beyond_the_limit_at_once() -> None:
    """base_stock_cost with a lead time of 10**6 convolved a million periods' demand before anything failed."""
    import time

    from hybridinv import PlanningError
    from hybridinv.exact import base_stock_cost, optimal_ss

    for call in (lambda: base_stock_cost(10, 5.0, 10**6, 1.0, 9.0), lambda: optimal_ss(5.0, 1.0, 9.0, 64.0,
                                                                                         lead_time=10**6)):
        began = time.perf_counter()
        with pytest.raises(PlanningError, match="lead_time"):
            call()
        assert time.perf_counter() - began < 1.0
    assert base_stock_cost(10, 5.0, 2.0, 1.0, 9.0) == base_stock_cost(10, 5.0, 2, 1.0, 9.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: best_base_stock(5, 0, True, 9, lost_sales=False), "holding_cost"),  # True was a cost of 1
        (lambda: lost_sales_fixed_cost_optimal(2, 1, 1, 9, True), "fixed_cost"),
        (lambda: best_base_stock(None, 0, 1, 9, demand_pmf=["0.5", "0.5"]), "demand_pmf"),  # text was read
        (lambda: best_base_stock("1", 0, 1, 9, demand_pmf=[0.5, 0.5]), "demand mean must be"),  # "disagrees"
        (lambda: lost_sales_optimal(2, 1, 1, 9, tol="1e-6"), "tol must be a number"),  # TypeError before
        (lambda: lost_sales_optimal(2, 1, 1, 9, aperiodicity="0.5"), "aperiodicity must be a number"),
        (lambda: lost_sales_optimal(2, 1, 1, 9, position_bound=2, widen_bound="no"), "True or False"),  # widened
        (lambda: lost_sales_fixed_cost_optimal(2, 1, 1, 9, 5, widen_bound="no"), "True or False"),
        (lambda: best_lost_sales_ss(2, 1, 1, 9, 5, max_order_up_to=5.5), "max_order_up_to"),  # read as 5
        (lambda: best_lost_sales_ss(2, 1, 1, 9, 5, max_order_up_to=True), "max_order_up_to"),
    ],
)
def test_exact_solvers_refuse_booleans_text_and_fractions(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
