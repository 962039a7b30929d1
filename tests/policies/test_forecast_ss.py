"""The forecast-driven (s, S) base policy (hybridinv/policies/forecast_ss.py)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import hybridinv
from hybridinv import Catalog, Constraints, InventoryState
from hybridinv.core.errors import PlanningError
from hybridinv.policies.explain import target_reasons
from hybridinv.policies.forecast_ss import ForecastSS, Targets, safety_fractile, space_cost
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


@pytest.mark.parametrize(("option", "value"), [
    ("cap_factor", "2"), ("cap_factor", True), ("cap_factor", math.nan),  # "2" was a TypeError, True a cap of 1
    ("batch_factor", math.inf),  # infinite desired orders, refused only inside the repair
    ("space_price", math.inf), ("space_price", "1"), ("capacity_utilization", "0.5"),
    ("build_ahead", "no"), ("build_ahead", 0),  # bool("no") built ahead
    ("service_level", ["high"]),  # a bare ValueError from numpy
])
def test_option_of_the_wrong_kind_is_refused_naming_it(option: str, value: object) -> None:
    with pytest.raises(PlanningError) as info:
        ForecastSS(**{option: value})  # type: ignore[arg-type]
    assert info.value.column == option


def test_an_infinite_cap_factor_means_no_cap_and_model_options_keep_build_ahead_a_switch() -> None:
    cat = _catalog()
    obs = _obs(cat, mean=50.0)
    uncapped = ForecastSS(cap_factor=math.inf, repair=None)
    plan = uncapped.parameters(obs)
    low = np.zeros(cat.n_skus)
    np.testing.assert_array_equal(plan.desired(low), np.ceil(plan.order_up_to - 1e-9))  # up to S from empty
    assert ForecastSS(cap_factor=0.1, repair=None).parameters(obs).desired(low).sum() < plan.desired(low).sum()
    assert ForecastSS.from_options({"build_ahead": 0.0}).build_ahead is False
    with pytest.raises(PlanningError, match="build_ahead"):
        ForecastSS.from_options({"build_ahead": 0.5})


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


def test_a_shelf_life_of_one_orders_no_batch() -> None:
    """The batch covers the periods after the arrival, which a unit of shelf life 1 never sees: a batch of one
    period's forecast all expired (one SKU, Poisson 5, K = 50: waste 10.1 a period where 6.1 is unavoidable)."""
    cat = _catalog(shortage_cost=np.array([13.0, 13.0]), order_cost=np.array([50.0, 50.0]),
                   shelf_life=np.array([1, 3]))
    plan = ForecastSS(batch_factor=1.0).parameters(_obs(cat))
    assert plan.batch[0] == 1.0 and plan.batch[1] == 3 * 10.0


def test_a_service_level_stocks_a_sku_whose_sale_does_not_pay() -> None:
    """p <= c under lost sales is not stocked by the cost rule; a service level asked for it was ignored (level 0)."""
    cat = _catalog(shortage_cost=np.array([0.5, 0.5]))  # below the unit cost
    obs = _obs(cat)
    assert (ForecastSS().parameters(obs).level == 0.0).all()
    plan = ForecastSS(service_level=0.9).parameters(obs)
    np.testing.assert_allclose(plan.level, plan.mean + norm.ppf(0.9) * plan.std)


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


def _newsvendor_catalog(n: int = 6) -> Catalog:
    """Lead time 0, no fixed cost: the level is a newsvendor quantity and the planned stock is the level."""
    rng = np.random.default_rng(7)
    return Catalog(
        sku=np.array([f"S{i}" for i in range(n)], dtype=object),
        unit_cost=rng.uniform(2.0, 6.0, n),
        holding_cost=rng.uniform(0.5, 2.0, n),
        shortage_cost=rng.uniform(10.0, 30.0, n),
        lead_time=np.zeros(n, dtype=int),
        volume=rng.uniform(0.5, 3.0, n),
    )


def test_a_warehouse_that_never_fills_prices_no_space() -> None:
    """Finite but slack capacity plans exactly as no capacity (issue 13: finite/infinite consistency)."""
    cat = _catalog(shortage_cost=np.array([13.0, 20.0]))
    policy = ForecastSS()
    assert policy.space_price_for(_obs(cat, capacity=1e6)) == 0.0
    np.testing.assert_allclose(policy.parameters(_obs(cat, capacity=1e6)).level, policy.parameters(_obs(cat)).level)
    assert ForecastSS(space_price=1.5).space_price_for(_obs(cat, capacity=1e6)) == 1.5  # the floor
    assert ForecastSS(capacity_utilization=None, space_price=3.0).space_price_for(_obs(cat, capacity=10.0)) == 3.0


def test_the_space_price_is_the_multiplier_of_the_multi_item_newsvendor() -> None:
    """Independent truth: SLSQP on the multi-item newsvendor with a storage constraint.

    With lead time 0 and unit batches the level is ``B_i = f_i + z_i sigma_i`` and
    ``D_i ~ N(f_i, sigma_i^2)``. The price enters the fractile ``m / (m + h + lambda v)`` as a cost
    on the space of every unit left over, so at the price the policy chooses its levels must minimise
    ``sum_i h_i E(B_i - D_i)^+ + m_i E(D_i - B_i)^+`` subject to the leftover volume
    ``sum_i v_i E(B_i - D_i)^+`` they leave (the constraint whose Lagrange multiplier it is), and
    their planned volume ``sum_i v_i B_i`` must fill the allowed share of the capacity.
    """
    from scipy.optimize import minimize

    cat = _newsvendor_catalog()
    mean = np.array([10.0, 40.0, 25.0, 5.0, 60.0, 15.0])
    n = cat.n_skus
    state = InventoryState(cat.sku, np.zeros(n), np.zeros(n), np.zeros((n, 1)))
    forecast = np.repeat(mean[:, None], 4, axis=1)
    sigma = np.sqrt(mean)
    unconstrained = float(cat.volume @ (mean + norm.ppf(safety_fractile(cat, 0.0)) * sigma))
    capacity = 0.9 * unconstrained / 0.7  # the planned stock must shrink to 90% of the unpriced one
    obs = Observation.from_state(state, cat, Constraints(capacity=capacity), forecast, np.sqrt(forecast))
    policy = ForecastSS(capacity_utilization=0.7)
    levels = policy.parameters(obs).level
    assert policy.space_price_for(obs) > 0.0
    assert float(cat.volume @ levels) == pytest.approx(0.7 * capacity, rel=1e-4)

    margin = cat.shortage_cost - cat.unit_cost

    def short(b: np.ndarray) -> np.ndarray:  # E(D - B)^+ for normal demand
        k = (b - mean) / sigma
        return np.asarray(sigma * (norm.pdf(k) - k * norm.sf(k)))

    def expected_cost(b: np.ndarray) -> float:
        return float(np.sum(cat.holding_cost * (b - mean + short(b)) + margin * short(b)))

    leftover = float(cat.volume @ (levels - mean + short(levels)))
    room = {"type": "ineq", "fun": lambda b: leftover - cat.volume @ (b - mean + short(b))}
    best = minimize(expected_cost, mean, constraints=[room], method="SLSQP", options={"ftol": 1e-12, "maxiter": 500})
    assert best.success
    np.testing.assert_allclose(levels, best.x, rtol=1e-3, atol=1e-3)
    assert expected_cost(levels) > expected_cost(mean + norm.ppf(safety_fractile(cat, 0.0)) * sigma)  # space costs


def test_the_space_price_is_the_smallest_that_fits() -> None:
    cat = _catalog(shortage_cost=np.array([13.0, 20.0]), volume=np.array([1.0, 3.0]),
                   order_cost=np.array([50.0, 0.0]))
    obs = _obs(cat, capacity=40.0, mean=10.0)
    policy = ForecastSS()
    price = policy.space_price_for(obs)

    def planned(p: float) -> float:  # the documented planned stock, computed here from its definition
        mean, std = obs.protection_forecast()
        per_period = mean / (cat.lead_time + 1.0)
        batch = np.maximum(0.25 * np.sqrt(2.0 * cat.order_cost * per_period / cat.holding_cost), 1.0)
        z = norm.ppf(np.clip(safety_fractile(cat, p), 1e-3, 1 - 1e-3))
        return float(cat.volume @ np.maximum(z * std + per_period + 0.5 * (batch - 1.0), 0.0))

    assert planned(price) == pytest.approx(0.7 * 40.0, rel=1e-5)
    assert planned(price * 0.999) > 0.7 * 40.0
    assert policy.parameters(obs).space_cost == pytest.approx(space_cost(cat, price))  # explained as the capacity price
    tiny = _obs(cat, capacity=1.0, mean=100.0)
    assert policy.space_price_for(tiny) == pytest.approx(1e4)  # even the top price cannot fit: the repair caps


def test_capacity_utilization_is_validated_and_old_model_options_keep_their_fixed_price() -> None:
    for bad in (0.0, 1.5, -0.2):
        with pytest.raises(PlanningError, match="capacity_utilization"):
            ForecastSS(capacity_utilization=bad)
    old = ForecastSS.from_options({"safety_factor": 1.0, "cap_factor": 2.0, "batch_factor": 0.25, "space_price": 1.0})
    assert old.capacity_utilization is None and old.space_price == 1.0
    assert ForecastSS.from_options({}).capacity_utilization == 0.7
    assert ForecastSS.from_options(ForecastSS(capacity_utilization=0.5).options()).capacity_utilization == 0.5


# --- building ahead of a budget-bound peak (issue 13, random catalog 16) ---------------------------------


def _peak_obs(budget: float = 25.0, capacity: float = math.inf, holding: tuple[float, float] = (0.01, 0.01),
              on_hand: tuple[float, float] = (0.0, 0.0)) -> Observation:
    """Two SKUs, lead time 0, unit costs 1 and 2; A peaks at 30 two periods ahead, B is flat at 5.

    The forecast columns are periods t, t+1, ...; past the last column it repeats (10 and 5).
    """
    cat = Catalog(sku=np.array(["A", "B"], dtype=object), unit_cost=np.array([1.0, 2.0]),
                  holding_cost=np.array(holding), shortage_cost=np.array([3.0, 6.0]), lead_time=np.array([0, 0]),
                  volume=np.array([1.0, 1.0]))
    mean = np.array([[10.0, 10.0, 30.0, 10.0, 10.0], [5.0, 5.0, 5.0, 5.0, 5.0]])
    state = InventoryState(cat.sku, np.array(on_hand), np.zeros(2), np.zeros((2, 1)))
    return Observation.from_state(state, cat, Constraints(capacity=capacity, budget=budget), mean, np.ones_like(mean))


def test_build_ahead_is_the_largest_cumulative_excess_over_the_budget_shared_by_value() -> None:
    # purchases of periods t+1, t+2, t+3, ...: A 10, 30, 10, 10 ... at 1, B 5 at 2 -> values 20, 40, 20, 20, ...
    # against a budget of 25: excesses -5, +15, -5, -5 -> cumulative -5, 10, 5, 0, ...: the peak is 10 at t+2.
    # Shares up to the peak: A 1 x (10 + 30) = 40, B 2 x (5 + 5) = 20 -> A 10 x 40/60 / 1, B 10 x 20/60 / 2 units.
    units = ForecastSS().build_ahead_units(_peak_obs())
    np.testing.assert_allclose(units, [20.0 / 3.0, 5.0 / 3.0])
    assert not ForecastSS(build_ahead=False).build_ahead_units(_peak_obs()).any()
    assert not ForecastSS().build_ahead_units(_peak_obs(budget=math.inf)).any()
    assert not ForecastSS().build_ahead_units(_peak_obs(budget=40.0)).any()  # the peak fits the budget


def test_build_ahead_only_where_holding_until_the_peak_pays() -> None:
    # B: margin 6 - 2 = 4 < holding 3 x 2 periods, so B is not built ahead (held one period it would pay:
    # only periods j with h j < m count, and B's demand up to the peak is in periods 1 and 2: 1 x 3 < 4 counts)
    units = ForecastSS().build_ahead_units(_peak_obs(holding=(0.01, 3.0)))
    np.testing.assert_allclose(units, [10.0 * 40.0 / 50.0, 10.0 * 10.0 / 50.0 / 2.0])
    units = ForecastSS().build_ahead_units(_peak_obs(holding=(0.01, 5.0)))  # 5 x 1 > 4: never pays for B
    np.testing.assert_allclose(units, [10.0, 0.0])


def test_build_ahead_fits_beside_the_stock_the_levels_plan() -> None:
    policy = ForecastSS(capacity_utilization=1.0)
    obs = _peak_obs(capacity=1e6)
    plan = policy.parameters(obs)
    np.testing.assert_allclose(policy.build_ahead_units(obs, plan), [20.0 / 3.0, 5.0 / 3.0])
    planned = np.maximum(plan.level - plan.mean + obs.forecast(1)[:, 0] + 0.5 * (plan.batch - 1.0), 0.0).sum()
    room = planned + 4.0  # room for 4 of the 25/3 units built ahead (volume 1 each)
    tight = _peak_obs(capacity=room)
    np.testing.assert_allclose(policy.build_ahead_units(tight, policy.parameters(tight)),
                               np.array([20.0 / 3.0, 5.0 / 3.0]) * 4.0 / (25.0 / 3.0))
    full = _peak_obs(capacity=planned * 0.5)
    assert not policy.build_ahead_units(full, policy.parameters(full)).any()


def test_build_ahead_orders_only_with_what_the_budget_leaves_over() -> None:
    cat_obs = _peak_obs(budget=25.0, on_hand=(14.0, 6.0))  # stocked to about the levels: little to order
    with_ahead = ForecastSS(repair="highs").decide(cat_obs)
    without = ForecastSS(repair="highs", build_ahead=False).decide(cat_obs)
    built = with_ahead.extra["build_ahead"]
    np.testing.assert_array_equal(with_ahead.orders, without.orders + built)
    assert built.sum() > 0 and (built >= 0).all()
    assert with_ahead.orders @ cat_obs.catalog.unit_cost <= 25.0 + 1e-9
    np.testing.assert_array_equal(with_ahead.explanation.build_ahead, built)
    reasons = target_reasons(with_ahead.explanation, cat_obs.inventory_position, with_ahead.reorder_point)
    assert all(("build_ahead" in r) == (b > 0) for r, b in zip(reasons, built, strict=True))
    # once the stock built ahead is on hand it counts: the next decision builds no more
    stocked = _peak_obs(budget=25.0, on_hand=tuple(np.array([14.0, 6.0]) + with_ahead.orders))
    assert "build_ahead" not in ForecastSS(repair="highs").decide(stocked).extra
    # this period's own orders already spend the whole budget: nothing is left to build ahead with
    starved = _peak_obs(budget=12.0)
    decision = ForecastSS(repair="highs").decide(starved)
    np.testing.assert_array_equal(decision.orders, ForecastSS(repair="highs", build_ahead=False).decide(starved).orders)
    assert "build_ahead" not in decision.extra


def test_old_options_build_ahead_and_the_option_round_trips() -> None:
    assert ForecastSS.from_options({"safety_factor": 1.0}).build_ahead
    assert not ForecastSS.from_options(ForecastSS(build_ahead=False).options()).build_ahead


def test_building_ahead_of_a_seasonal_peak_the_budget_cannot_meet_lowers_the_cost() -> None:
    """Common random numbers; a budget at the mean purchase value, demand 40% above the mean at the peak."""
    from hybridinv.demand import DemandDistribution, DemandProcess, Seasonality
    from hybridinv.sim.runner import simulate
    from hybridinv.sim.scenario import Scenario

    n = 6
    rng = np.random.default_rng(5)
    mean = rng.uniform(20.0, 60.0, n)
    cost = rng.uniform(2.0, 10.0, n)
    cat = Catalog(sku=np.array([f"P{i}" for i in range(n)], dtype=object), unit_cost=cost, holding_cost=cost * 0.01,
                  shortage_cost=cost * 2.5, lead_time=np.ones(n, dtype=np.int64), demand_mean=mean)
    demand = DemandProcess(mean=mean, distribution=DemandDistribution("poisson"),
                           seasonality=(Seasonality(period=12, amplitude=np.full(n, 0.4), phase=np.zeros(n)),))
    scenario = Scenario(name="peak", catalog=cat, constraints=Constraints(budget=float(cost @ mean)), demand=demand,
                        periods=36, warmup=4, lost_sales=True, periods_per_year=12)
    seeds = list(range(5))
    on = simulate(ForecastSS(repair="fast"), scenario, seeds=seeds)
    off = simulate(ForecastSS(repair="fast", build_ahead=False), scenario, seeds=seeds)
    assert (on["violations"] == 0).all()
    assert (on["budget_utilization"] <= 1.0 + 1e-9).all()
    saving = off["valued_cost"].to_numpy() - on["valued_cost"].to_numpy()
    assert (saving > 0).all()  # cheaper on every seed
    assert on["fill_rate"].mean() > off["fill_rate"].mean()


def test_build_ahead_looks_no_further_than_the_forecast_goes() -> None:
    """A forecast whose last column is a peak is not extended: two columns look one period ahead."""
    cat = Catalog(sku=np.array(["A", "B"], dtype=object), unit_cost=np.array([1.0, 2.0]),
                  holding_cost=np.array([0.01, 0.01]), shortage_cost=np.array([3.0, 6.0]), lead_time=np.array([0, 0]))
    state = InventoryState(cat.sku, np.zeros(2), np.zeros(2), np.zeros((2, 1)))
    mean = np.array([[10.0, 30.0], [5.0, 5.0]])
    obs = Observation.from_state(state, cat, Constraints(budget=25.0), mean, np.ones_like(mean))
    assert obs.forecast_periods == 2
    # period t+1 only: 30 x 1 + 5 x 2 = 40, 15 over the budget, shared 30 : 10 by value
    np.testing.assert_allclose(ForecastSS().build_ahead_units(obs), [15.0 * 30.0 / 40.0, 15.0 * 10.0 / 40.0 / 2.0])
    one = Observation.from_state(state, cat, Constraints(budget=25.0), mean[:, :1], np.ones((2, 1)))
    assert not ForecastSS().build_ahead_units(one).any()  # a one-period forecast has no peak to build for


def test_plan_builds_ahead_for_the_forecast_given_not_for_its_padding_and_reads_it_beyond_8_periods() -> None:
    """plan() pads a short forecast to its horizon; the padding is no peak. A long one is read in full."""
    cat = pd.DataFrame({"sku": ["A"], "unit_cost": [1.0], "holding_cost": [0.01], "shortage_cost": [5.0],
                        "lead_time": [0]})
    state = pd.DataFrame({"sku": ["A"], "on_hand": [0]})

    def built(means: list[float]) -> float:
        forecast = pd.DataFrame({"sku": "A", "period": range(len(means)), "mean": means,
                                 "std": [4.0] * len(means)})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = hybridinv.plan(state, cat, {"budget": 45.0}, forecast=forecast, policy="forecast_ss")
        return float(out["build_ahead"].iloc[0])

    two = built([20.0, 50.0])  # used to build for the padded 50s of periods 2..7 too (13 units)
    assert two == built([20.0, 50.0] + [20.0] * 6) == 5.0  # the one real peak: 50 - 45
    # a peak 9-12 periods ahead that the slack of periods 1-8 (1 unit each) cannot buy: the
    # forecast used to be cut at 8 periods, where no peak is in sight
    assert built([20.0] + [44.0] * 8 + [100.0] * 4) > 0.0
    assert built([20.0] + [44.0] * 8) == 0.0


def test_plan_reads_a_daily_forecast_a_year_ahead_for_building_ahead() -> None:
    """periods_per_year=365 said to look a year ahead, but plan() read no more than 52 periods past the
    longest protection interval: a peak 100 days away was never built for."""
    cat = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [10.0, 20.0], "holding_cost": [0.1, 0.1],
                        "shortage_cost": [30.0, 50.0], "lead_time": [1, 0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [15, 5]})
    daily = {"A": [10.0] * 100 + [200.0] * 20 + [10.0] * 80, "B": [5.0] * 200}
    forecast = pd.DataFrame([(sku, k, m, 1.0) for sku, means in daily.items() for k, m in enumerate(means)],
                            columns=["sku", "period", "mean", "std"])

    def built(per_year: int) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = hybridinv.plan(state, cat, {"budget": 400.0}, forecast=forecast, policy="forecast_ss",
                                 lost_sales=False, periods_per_year=per_year)
        return float(out["build_ahead"].sum())

    assert built(365) > 0.0
    assert built(52) == 0.0  # a year of weeks does not reach the peak 100 periods away


def test_build_ahead_reads_each_skus_own_forecast_length_not_the_longest_skus() -> None:
    """The finding: B's one row (50) was repeated as a forecast as far as A's 20 rows went, so B built
    12 units ahead for a peak that existed only in its repeated last value."""
    cat = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [1.0, 10.0], "holding_cost": [0.01, 0.1],
                        "shortage_cost": [5.0, 50.0], "lead_time": [1, 1]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [5, 60], "pipeline_1": [0, 50]})

    def plan_b(rows_a: int, rows_b: int) -> list[float]:
        forecast = pd.concat([pd.DataFrame({"sku": "A", "period": range(rows_a), "mean": 2.0}),
                              pd.DataFrame({"sku": "B", "period": range(rows_b), "mean": 50.0})])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = hybridinv.plan(state, cat, {"budget": 500.0}, forecast=forecast, policy="forecast_ss")
        return out.set_index("sku").loc["B", ["order_qty", "build_ahead"]].tolist()

    alone = plan_b(1, 1)
    assert alone[1] == 0.0
    assert plan_b(20, 1) == alone  # A's longer forecast does not lengthen B's
    assert plan_b(20, 20)[1] > 0.0  # B's own 20 rows of 50 are a peak the budget of 500 cannot pay for
    frame = pd.concat([pd.DataFrame({"sku": "A", "period": range(20), "mean": 2.0}),
                       pd.DataFrame({"sku": "B", "period": range(3), "mean": 50.0})])
    from hybridinv.forecast import read_forecast

    read = read_forecast(Catalog.from_frame(cat), frame, 30)
    np.testing.assert_array_equal(read.known, [20, 3])


def test_observation_forecast_periods_per_sku() -> None:
    """One number is every SKU's; an array gives each its own; the longest is forecast_periods."""
    cat = Catalog(sku=np.array(["A", "B"], dtype=object), unit_cost=np.array([1.0, 2.0]),
                  holding_cost=np.array([0.01, 0.01]), shortage_cost=np.array([3.0, 6.0]), lead_time=np.array([0, 0]))
    state = InventoryState(cat.sku, np.zeros(2), np.zeros(2), np.zeros((2, 1)))
    mean = np.array([[10.0, 30.0, 30.0, 10.0], [5.0, 5.0, 5.0, 5.0]])
    same = Observation.from_state(state, cat, Constraints(budget=25.0), mean, np.ones_like(mean), forecast_periods=3)
    np.testing.assert_array_equal(same.forecast_periods_by_sku, [3, 3])
    each = Observation.from_state(state, cat, Constraints(budget=25.0), mean, np.ones_like(mean),
                                  forecast_periods=np.array([3, 1]))
    assert each.forecast_periods == 3
    np.testing.assert_array_equal(each.forecast_periods_by_sku, [3, 1])
    # periods t+1, t+2: A 30, 30 at 1 and B (known for period t only) nothing: 5 and 10 over the budget, all A's
    np.testing.assert_allclose(ForecastSS().build_ahead_units(each), [10.0, 0.0])
    # B's 5s at 2 counted as forecast: 40 a period, 30 over the budget, shared 60 : 20 by value
    np.testing.assert_allclose(ForecastSS().build_ahead_units(same), [22.5, 7.5 / 2.0])


def test_a_sku_the_build_ahead_gave_nothing_is_explained_by_its_own_rule() -> None:
    """Its desired quantity and reason used to be the build-ahead target cut by the budget."""
    cat = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [1.5, 1.0], "holding_cost": [0.01, 0.01],
                        "shortage_cost": [5.0, 5.0], "lead_time": [0, 0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [40, 0]})  # A is above its reorder point
    forecast = pd.DataFrame({"sku": ["A"] * 8 + ["B"] * 8, "period": list(range(8)) * 2,
                             "mean": [20.0, 60, 60, 60, 20, 20, 20, 20] * 2, "std": 4.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = hybridinv.plan(state, cat, {"budget": 60.0}, forecast=forecast, policy="forecast_ss").set_index("sku")
    assert out.loc["B", "build_ahead"] > 0 and out.loc["B", "target_reason"] == "build_ahead"
    assert out.loc["B", "reason"] == "budget" and out.loc["B", "desired_qty"] > out.loc["B", "order_qty"]
    a = out.loc["A"]
    assert (a["order_qty"], a["desired_qty"], a["build_ahead"]) == (0, 0.0, 0.0)
    assert a["target_reason"] == "above_reorder_point" and a["reason"] == "unchanged"
    assert out["budget"].dtype == bool


def test_plan_diagnostics_hold_no_internal_objects_after_a_build_ahead() -> None:
    import json

    cat = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [1.5, 1.0], "holding_cost": [0.01, 0.01],
                        "shortage_cost": [5.0, 5.0], "lead_time": [0, 0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [40, 0]})
    forecast = pd.DataFrame({"sku": ["A"] * 8 + ["B"] * 8, "period": list(range(8)) * 2,
                             "mean": [20.0, 60, 60, 60, 20, 20, 20, 20] * 2, "std": 4.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = hybridinv.plan(state, cat, {"budget": 60.0}, forecast=forecast, policy="forecast_ss")
    diagnostics = out.attrs["diagnostics"]
    assert out["build_ahead"].sum() > 0 and not any(key.startswith("_") for key in diagnostics)
    json.dumps(diagnostics, default=lambda v: v.tolist())  # arrays only: no RepairResult inside


@pytest.mark.parametrize("policy", ["forecast_ss", "forecast_capped_base_stock"])
def test_the_cap_follows_the_forecast_of_the_period_the_order_arrives_in(policy: str) -> None:
    """The cap was twice next period's forecast: a promotion announced for the arrival period got 27 units of a
    protection of 120 (the rest would arrive after it), a launch in period L got 1 unit (forecast capped
    base-stock: 0), and a product whose demand ends before the arrival was still ordered 27 units nobody buys."""
    catalog = pd.DataFrame({"sku": ["S0"], "unit_cost": 10.0, "holding_cost": 1.0, "shortage_cost": 20.0,
                            "lead_time": 2, "order_cost": 50.0})

    def order(means: list[float], **stock: float) -> pd.Series:
        forecast = pd.DataFrame({"sku": "S0", "period": range(len(means)), "mean": means})
        state = pd.DataFrame({"sku": ["S0"], **{k: [v] for k, v in {"on_hand": 0.0, **stock}.items()}})
        return hybridinv.plan(state, catalog, None, forecast, policy=policy).iloc[0]

    promotion = order([10, 10, 100, 10, 10, 10, 10, 10], on_hand=10, pipeline_1=10)
    assert promotion["order_qty"] == np.ceil(promotion["order_up_to"] - promotion["inventory_position"] - 1e-9)
    assert promotion["order_cap"] >= 1.6 * 100 and not promotion["capped"]
    launch = order([0, 0, 10, 20, 20, 20, 20, 20])
    assert launch["order_qty"] >= 10  # at least the arrival period's demand (it was 1, and 0)
    if policy == "forecast_capped_base_stock":
        return
    cliff = order([10, 10, 0, 0, 0, 0, 0, 0])
    assert cliff["order_cap"] < 10 and cliff["order_qty"] < 10  # a batch or the spread at most (it was 27)
