"""Tests for hybridinv.policies.dynamic: dynamic (s, S)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hybridinv import scenarios
from hybridinv.core.errors import PlanningError
from hybridinv.exact import optimal_ss
from hybridinv.policies.dynamic import DynamicSS
from hybridinv.sim.simulator import Simulator

from ._helpers import observation


def test_exact_method_reproduces_zheng_federgruen_at_zero_lead_time() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=0, fixed_cost=20.0, lost_sales=False)
    policy = DynamicSS(method="exact").fit(scenario)
    obs = Simulator(scenario).reset(seed=0)
    reorder, up_to = policy.targets(obs)
    s, big_s, _ = optimal_ss(5.0, 1.0, 9.0, 20.0)
    assert (reorder[0], up_to[0]) == (s, big_s)
    assert len(policy.cache_) == 1
    policy.targets(obs)
    assert len(policy.cache_) == 1  # cached


def test_exact_method_with_a_lead_time_is_the_optimum_on_the_position() -> None:
    # it solved with lead time 0 and added the lead-time demand plus a normal safety stock: (16, 42), 5.3% above
    # the optimum (12, 38) of Poisson 5, L = 2, h = 1, p = 9, K = 64 (the independent chain in tests/exact)
    scenario = scenarios.single_sku(mean=5.0, lead_time=2, fixed_cost=64.0, lost_sales=False)
    policy = DynamicSS(method="exact").fit(scenario)
    reorder, up_to = policy.targets(Simulator(scenario).reset(seed=0))
    assert (reorder[0], up_to[0]) == (12.0, 38.0)


def test_exact_method_follows_a_forecast_that_is_not_flat() -> None:
    # the levels move by how much the protection interval's forecast exceeds (L + 1) x this period's
    flat = observation([0.0], [[4.0, 4.0]], std=2.0, lead_time=[1], lost_sales=False, order_cost=np.array([10.0]))
    peak = observation([0.0], [[4.0, 10.0]], std=2.0, lead_time=[1], lost_sales=False, order_cost=np.array([10.0]))
    s, big_s, _ = optimal_ss(4.0, 1.0, 9.0, 10.0, lead_time=1)
    low, high = DynamicSS(method="exact").targets(flat)
    assert (low[0], high[0]) == (s, big_s)
    low, high = DynamicSS(method="exact").targets(peak)
    assert (low[0], high[0]) == (s + 6, big_s + 6)


def test_heuristic_levels_are_quantile_plus_eoq() -> None:
    obs = observation([0.0], [8.0], std=2.0, lead_time=[1], order_cost=np.array([16.0]))
    reorder, up_to = DynamicSS().targets(obs)
    z = stats.norm.ppf(0.9)
    assert reorder[0] == np.ceil(16.0 + z * 2.0 * np.sqrt(2.0)) - 1.0
    assert up_to[0] - reorder[0] == np.ceil(np.sqrt(2 * 16.0 * 8.0 / 1.0))


def test_levels_move_with_the_forecast() -> None:
    forecast = np.array([[5.0] * 6 + [20.0] * 6])
    low = DynamicSS().targets(observation([0.0], forecast[:, :], lead_time=[0]))[0]
    high = DynamicSS().targets(observation([0.0], forecast[:, 6:], lead_time=[0]))[0]
    assert high[0] > low[0] + 10


def test_unknown_method() -> None:
    with pytest.raises(PlanningError, match="method"):
        DynamicSS(method="magic").fit(scenarios.single_sku())


@pytest.mark.parametrize("order_cost", [0.0, 64.0])
def test_exact_method_holds_nothing_for_a_sku_without_demand(order_cost: float) -> None:
    """A zero forecast was solved as Poisson(resolution): a dead SKU was stocked (1 unit, or 7 with K = 64)."""
    obs = observation([0.0, 0.0], [0.0, 5.0], std=np.array([[0.0], [np.sqrt(5.0)]]), lost_sales=False,
                      order_cost=np.full(2, order_cost))
    policy = DynamicSS(method="exact")
    reorder, up_to = policy.targets(obs)
    s, big_s, _ = optimal_ss(5.0, 1.0, 9.0, order_cost)
    assert (reorder.tolist(), up_to.tolist()) == ([-1.0, s], [0.0, big_s])
    np.testing.assert_array_equal(policy.act(obs), [0.0, big_s])
