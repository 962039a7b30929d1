"""The forecast-driven (s, S) base policy (hybridinv/policies/forecast_ss.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from hybridinv import Catalog, Constraints, InventoryState
from hybridinv.core.errors import PlanningError
from hybridinv.policies.forecast_ss import ForecastSS, Targets, safety_fractile
from hybridinv.sim.observation import Observation


def _obs(catalog: Catalog, capacity: float = math.inf, on_hand: float = 0.0, mean: float = 10.0) -> Observation:
    n = catalog.n_skus
    state = InventoryState(catalog.sku, np.full(n, on_hand), np.zeros(n), np.zeros((n, 1)))
    forecast = np.full((n, 8), mean)
    return Observation.from_state(state, catalog, Constraints(capacity=capacity), forecast, np.sqrt(forecast))


def _catalog(**values: object) -> Catalog:
    base = dict(sku=np.array(["A", "B"], dtype=object), unit_cost=np.array([4.0, 4.0]),
                holding_cost=np.array([1.0, 1.0]), shortage_cost=np.array([13.0, 3.0]), lead_time=np.array([1, 2]))
    base.update(values)
    return Catalog(**base)  # type: ignore[arg-type]


def test_level_is_the_cost_fractile_of_the_protection_forecast() -> None:
    cat = _catalog()
    obs = _obs(cat)
    z = ForecastSS().safety(obs)
    # A: margin 13 - 4 = 9, fractile 9 / (9 + 1) = 0.9; B: shortage cost below unit cost -> no margin
    assert z[0] == pytest.approx(norm.ppf(0.9))
    assert z[1] == pytest.approx(norm.ppf(1e-3))
    plan = ForecastSS().parameters(obs)
    mean = np.array([20.0, 30.0])
    np.testing.assert_allclose(plan.level, [mean[0] + z[0] * np.sqrt(mean[0]), 0.0])


def test_the_margin_rule_is_the_same_with_and_without_a_capacity() -> None:
    """A SKU whose shortage cost does not exceed its unit cost is not stocked either way (issue 13)."""
    cat = _catalog()
    for capacity in (math.inf, 1e9, 50.0):
        orders = ForecastSS(repair=None).act(_obs(cat, capacity=capacity))
        assert orders[1] == 0
        assert orders[0] > 0
    priced = ForecastSS(space_price=2.0)
    np.testing.assert_allclose(safety_fractile(cat, 2.0)[0], 9 / (9 + 1 + 2))
    # space price 2 x the typical holding cost per volume (h = 1, v = 1 here): lambda v = 2
    np.testing.assert_allclose(priced.safety(_obs(cat, capacity=1e9))[0], norm.ppf(9 / 12))
    np.testing.assert_allclose(priced.safety(_obs(cat))[0], norm.ppf(0.9))  # no capacity: no space price


def test_without_fixed_cost_it_is_a_capped_base_stock() -> None:
    cat = _catalog(shortage_cost=np.array([13.0, 13.0]))
    obs = _obs(cat, on_hand=5.0)
    assert ForecastSS().batch_factor == 0.25  # a quarter of the EOQ by default, 1 unit here (no fixed cost)
    plan = ForecastSS(cap_factor=100.0).parameters(obs)
    np.testing.assert_array_equal(plan.batch, [1.0, 1.0])
    np.testing.assert_allclose(plan.order_up_to, plan.level)
    desired = plan.desired(obs.inventory_position)
    np.testing.assert_array_equal(desired, np.ceil(plan.level - 5.0 - 1e-9))
    capped = ForecastSS(cap_factor=0.5).parameters(obs)
    np.testing.assert_array_equal(capped.desired(obs.inventory_position), np.ceil(0.5 * (10 + np.sqrt(10)) - 1e-9))


def test_a_fixed_order_cost_orders_eoq_batches() -> None:
    cat = _catalog(shortage_cost=np.array([13.0, 13.0]), order_cost=np.array([50.0, 0.0]))
    obs = _obs(cat, on_hand=0.0)
    plan = ForecastSS(cap_factor=100.0, batch_factor=1.0).parameters(obs)
    eoq = math.sqrt(2 * 50.0 * 10.0 / 1.0)  # sqrt(2 K mu / h) = 31.6
    np.testing.assert_allclose(plan.batch, [eoq, 1.0])
    np.testing.assert_allclose(plan.order_up_to, plan.level - 1 + plan.batch)
    assert plan.desired(obs.inventory_position)[0] == math.ceil(plan.level[0] - 1 + eoq - 1e-9)
    above = Targets(plan.level, plan.batch, plan.cap, plan.mean, plan.std)
    np.testing.assert_array_equal(above.desired(plan.level), [0.0, 0.0])  # at the level: no order


def test_options_round_trip_and_validation() -> None:
    policy = ForecastSS(safety_factor=0.7, cap_factor=3.0, batch_factor=0.5, space_price=1.5)
    again = ForecastSS.from_options(policy.options())
    assert again.options() == policy.options()
    with pytest.raises(PlanningError, match="unknown base option"):
        ForecastSS.from_options({"safety": 1.0})
    with pytest.raises(PlanningError, match="cap_factor"):
        ForecastSS(cap_factor=0.0)


def test_backorders_use_the_full_shortage_cost_and_no_cap() -> None:
    cat = _catalog()
    state = InventoryState(cat.sku, np.zeros(2), np.array([30.0, 0.0]), np.zeros((2, 1)))
    forecast = np.full((2, 8), 10.0)
    obs = Observation.from_state(state, cat, Constraints(), forecast, np.sqrt(forecast), lost_sales=False)
    z = ForecastSS().safety(obs)
    np.testing.assert_allclose(z, norm.ppf(np.array([13.0 / 14.0, 3.0 / 4.0])))  # p / (p + h), not (p - c)
    plan = ForecastSS(cap_factor=0.5).parameters(obs)
    assert np.isinf(plan.cap).all()
    assert plan.desired(obs.inventory_position)[0] == np.ceil(plan.level[0] + 30.0 - 1e-9)  # clears the backlog


def test_perishables_order_no_batch_past_their_shelf_life() -> None:
    cat = _catalog(shortage_cost=np.array([13.0, 13.0]), order_cost=np.array([50.0, 50.0]),
                   shelf_life=np.array([2, 0]))
    plan = ForecastSS(batch_factor=1.0).parameters(_obs(cat))
    assert plan.batch[0] == 2 * 10.0 and plan.batch[1] == pytest.approx(math.sqrt(2 * 50 * 10))


def test_a_service_level_replaces_the_cost_fractile() -> None:
    obs = _obs(_catalog())
    np.testing.assert_allclose(ForecastSS(service_level=0.8).safety(obs), [norm.ppf(0.8)] * 2)
    np.testing.assert_allclose(ForecastSS(safety_factor=0.5, service_level=[0.7, 0.95]).safety(obs),
                               0.5 * norm.ppf([0.7, 0.95]))
    policy = ForecastSS(service_level=0.8)
    policy.set_service_level(None)  # back to the cost-based fractile
    assert policy.safety(obs)[0] == pytest.approx(norm.ppf(0.9))
    with pytest.raises(PlanningError, match="service_level"):
        ForecastSS(service_level=[0.5, 1.0])
    with pytest.raises(PlanningError, match="3 service levels for 2 SKUs"):
        ForecastSS(service_level=[0.5, 0.6, 0.7]).safety(obs)
