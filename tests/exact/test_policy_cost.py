"""Tests for hybridinv.exact.policy_cost: exact average cost of any stationary lost-sales policy."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import PlanningError
from hybridinv.exact import base_stock_cost, lost_sales_optimal, lost_sales_policy_cost


@pytest.mark.parametrize(("lead", "shortage"), [(1, 4.0), (2, 9.0), (3, 19.0)])
def test_the_optimal_policy_costs_the_dynamic_program_value(lead: int, shortage: float) -> None:
    result = lost_sales_optimal(5.0, lead, 1.0, shortage)
    evaluation = lost_sales_policy_cost(
        lambda s: result.orders(s[:, 0], s[:, 1:] if lead > 1 else None), 5.0, lead, 1.0, shortage
    )
    assert evaluation.average_cost == pytest.approx(result.average_cost, abs=1e-5)


@pytest.mark.parametrize(("level", "lead"), [(7, 0), (12, 1), (17, 2), (21, 3)])
def test_base_stock_matches_the_exact_base_stock_chain(level: int, lead: int) -> None:
    evaluation = lost_sales_policy_cost(lambda s: np.maximum(level - s.sum(axis=1), 0), 5.0, lead, 1.0, 9.0)
    assert evaluation.average_cost == pytest.approx(base_stock_cost(level, 5.0, lead, 1.0, 9.0), rel=1e-9)


def _simulate_model(policy: object, lead: int, periods: int, seed: int) -> np.ndarray:
    """Per-period costs of the lost-sales model (h = 1, p = 9), written from its definition."""
    rng = np.random.default_rng(seed)
    demand = rng.poisson(5.0, periods)
    stock, pipeline = 10, [0] * (lead - 1)
    costs = np.empty(periods)
    for t in range(periods):
        state = np.array([[stock, *pipeline]])
        order = int(policy(state)[0])  # type: ignore[operator]
        left = max(stock - demand[t], 0)
        costs[t] = left + 9.0 * max(demand[t] - stock, 0)
        if lead > 1:
            stock, pipeline = left + pipeline[0], [*pipeline[1:], order]
        else:
            stock = left + order
    return costs


def test_a_state_dependent_policy_agrees_with_a_plain_simulation_of_the_model() -> None:
    """Weighted position policy, L = 3: the exact cost lies in the batch-means 99.9% interval of 200k periods."""
    weights = np.array([0.7, 0.85, 1.0])

    def policy(states: np.ndarray) -> np.ndarray:
        return np.clip(np.ceil(18.0 - states @ weights), 0, 6)

    exact = lost_sales_policy_cost(policy, 5.0, 3, 1.0, 9.0)
    costs = _simulate_model(policy, 3, 200_000, seed=3)[1000:]
    batches = costs[: len(costs) // 500 * 500].reshape(500, -1).mean(axis=1)
    half = 3.3 * batches.std(ddof=1) / np.sqrt(batches.size)
    assert abs(batches.mean() - exact.average_cost) < half
    assert half < 0.02 * exact.average_cost  # the check is sharp enough to matter


def test_cost_parts_fill_rate_and_closure() -> None:
    # orders up to 40 whatever the state: the bound must grow to 40 + 1 so the chain is closed
    evaluation = lost_sales_policy_cost(lambda s: np.maximum(40 - s.sum(axis=1), 0), 5.0, 1, 2.0, 9.0)
    assert evaluation.position_bound >= 40
    assert evaluation.average_cost == pytest.approx(2.0 * evaluation.on_hand + 9.0 * evaluation.lost_sales)
    assert evaluation.fill_rate == pytest.approx(1 - evaluation.lost_sales / 5.0)
    assert evaluation.lost_sales < 1e-6  # 40 units of stock never run out of Poisson(5) demand
    never = lost_sales_policy_cost(lambda s: np.zeros(len(s)), 5.0, 2, 1.0, 9.0)
    assert never.fill_rate == pytest.approx(0.0, abs=1e-9)
    assert never.average_cost == pytest.approx(45.0, rel=1e-9)  # every unit of demand lost at 9


@pytest.mark.parametrize(
    ("policy", "match"),
    [
        (lambda s: -np.ones(len(s)), "integers >= 0"),
        (lambda s: np.full(len(s), 0.5), "integers >= 0"),
        (lambda s: np.full(len(s), np.nan), "integers >= 0"),
        (lambda s: np.zeros(3), "orders for"),
    ],
)
def test_invalid_orders_are_rejected(policy: object, match: str) -> None:
    with pytest.raises(PlanningError, match=match) as info:  # a plain ValueError until 2026-12-07
        lost_sales_policy_cost(policy, 5.0, 2, 1.0, 9.0)  # type: ignore[arg-type]
    assert info.value.column == "policy"
    if match != "orders for":  # the first bad order is named with its state
        assert "state [" in str(info.value) and info.value.value is not None


@pytest.mark.parametrize("bound", [-1, 2.5, True])
def test_policy_cost_checks_its_position_bound_and_policy(bound: object) -> None:
    # the finding: -1 was numpy's "zero-size array to reduction operation", 2.5 and True were read as 2 and 1,
    # and policy=None a TypeError
    with pytest.raises(ValueError, match="position_bound must be an integer >= 0"):
        lost_sales_policy_cost(lambda s: np.maximum(12 - s.sum(axis=1), 0), 5, 1, 1, 9, position_bound=bound)
    with pytest.raises(PlanningError, match="policy must be a function") as info:
        lost_sales_policy_cost(None, 5, 1, 1, 9)  # type: ignore[arg-type]
    assert info.value.column == "policy"


def test_a_chain_too_slow_for_the_power_iteration_is_solved_directly() -> None:
    # the finding: a mean of 1e-9 (a sale every billion periods) was "stationary distribution did not converge".
    # Each rare sale moves the position one unit down from S = 8 until it reaches s = 3 and is ordered back up,
    # so the stock spends equal time at 4, 5, 6, 7 and 8: holding 6 a period, lost sales and orders ~0
    from hybridinv.exact import lost_sales_ss_cost

    result = lost_sales_ss_cost(3, 8, 1e-9, 1, 1, 9, 3)
    assert result.average_cost == pytest.approx(6.0, rel=1e-6) and 0.0 <= result.lost_sales < 1e-8
    assert result.fill_rate <= 1.0
