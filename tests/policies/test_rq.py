"""Tests for hybridinv.policies.rq: (R, Q) and capped base-stock."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats

from hybridinv import scenarios
from hybridinv.policies.rq import RQ, CappedBaseStock, economic_order_quantity, perishable_batch
from hybridinv.sim.runner import simulate

from ._helpers import observation


def test_eoq_harris_example() -> None:
    # sqrt(2 K D / h): D = 100, K = 50, h = 1 -> 100; rounded up to lots of 30 -> 120
    assert economic_order_quantity(100.0, 50.0, 1.0).tolist() == [100.0]
    assert economic_order_quantity(100.0, 50.0, 1.0, 30.0).tolist() == [120.0]
    assert economic_order_quantity(100.0, 0.0, 1.0, 5.0).tolist() == [5.0]


def test_rq_orders_the_smallest_multiple_of_q_above_the_reorder_point() -> None:
    obs = observation([3.0, 12.0, 10.0], [5.0, 5.0, 5.0])
    policy = RQ(reorder_point=10.0, batch_size=[4.0, 4.0, 4.0], repair=None)
    # IP 3 <= 10: need > 7 units -> 2 batches; IP 12 > 10: nothing; IP 10 <= 10: one batch
    np.testing.assert_array_equal(policy.act(obs), [8.0, 0.0, 4.0])


def test_rq_fit_uses_eoq_and_moq() -> None:
    scenario = scenarios.single_sku(mean=10.0, lead_time=1, fixed_cost=20.0, holding_cost=1.0)
    policy = RQ().fit(scenario)
    assert policy.batch_size_[0] == 20.0  # sqrt(2 * 20 * 10 / 1)
    assert 10.0 <= policy.reorder_point_[0] <= 30.0


def test_capped_base_stock_caps_orders() -> None:
    obs = observation([0.0, 8.0], [5.0, 5.0])
    policy = CappedBaseStock(level=[20.0, 10.0], cap=[6.0, 6.0], repair=None)
    np.testing.assert_array_equal(policy.act(obs), [6.0, 2.0])


def test_capped_base_stock_fit_cap_is_mean_plus_std_in_lots() -> None:
    scenario = scenarios.single_sku(mean=9.0, lead_time=3)
    policy = CappedBaseStock(cap_factor=1.0).fit(scenario)
    assert policy.cap_[0] == 12.0  # 9 + sqrt(9)
    assert policy.level_[0] >= 36.0


def test_capped_base_stock_is_competitive_on_lost_sales() -> None:
    # Xin (2021): on lost sales with lead time the capped policy is not worse than base-stock by much
    scenario = scenarios.single_sku(mean=5.0, lead_time=4, shortage_cost=19.0, periods=3000)
    capped = simulate(CappedBaseStock(cap_factor=1.0).fit(scenario), scenario, seeds=[0]).avg_cost[0]
    uncapped = simulate(CappedBaseStock(cap=1e6).fit(scenario), scenario, seeds=[0]).avg_cost[0]
    assert capped <= uncapped * 1.05


def test_invalid_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        RQ(batch_size=0.0).fit(scenarios.single_sku())


def test_forecast_capped_base_stock_follows_the_forecast_and_prices_capacity() -> None:
    """Level = forecast over L+1 plus z std; a capacity price lowers z most for bulky SKUs; weights stay in range."""
    from hybridinv.policies.rq import ForecastCappedBaseStock, shortfall_weights
    from hybridinv.sim.simulator import Simulator

    scenario = scenarios.get("multi_10")
    obs = Simulator(scenario, periods=10).reset(seed=2)
    mean, std = obs.protection_forecast()
    level, cap = ForecastCappedBaseStock(safety_factor=0.5).parameters(obs)
    np.testing.assert_allclose(level, mean + 0.5 * std)
    lead, rows = obs.catalog.lead_time, np.arange(obs.n_skus)  # the cap: the arrival period's forecast
    horizon = int(lead.max()) + 1
    np.testing.assert_allclose(cap, 1.6 * (obs.forecast(horizon)[rows, lead] + obs.forecast_std(horizon)[rows, lead]))
    cat = obs.catalog
    free = ForecastCappedBaseStock(safety_factor=1.0, capacity_price=0.0).safety(obs)
    priced = ForecastCappedBaseStock(safety_factor=1.0, capacity_price=5.0).safety(obs)
    assert (priced < free).all()
    margin = cat.shortage_cost - cat.unit_cost
    expected = stats.norm.ppf(margin / (margin + cat.holding_cost + 5.0 * cat.volume))
    np.testing.assert_allclose(priced, expected)
    desired = np.full(cat.n_skus, 3.0)
    weights = shortfall_weights(obs, desired)
    margin = np.maximum(margin, 0.0)
    assert (weights >= 0.02 * margin).all() and (weights <= margin + 1e-3 + 1e-12).all()
    assert (weights > 0).all()
    with pytest.raises(Exception, match="repair_weights"):
        ForecastCappedBaseStock(repair_weights="bogus")


@pytest.mark.parametrize("policy", ["forecast_capped_base_stock", "capped_base_stock"])
def test_the_capped_rule_orders_exactly_when_the_position_is_at_or_below_its_reported_reorder_point(policy) -> None:  # type: ignore[no-untyped-def]
    """A fractional level B = 11.5 orders at position 11: the reorder point is 11, not B - 1 = 10.5."""
    import warnings

    import pandas as pd

    import hybridinv

    cat = pd.DataFrame({"sku": ["A"], "unit_cost": [1.0], "holding_cost": [0.1], "shortage_cost": [5.0],
                        "lead_time": [0], "demand_mean": [10.0], "demand_std": [3.0]})
    fc = pd.DataFrame({"sku": ["A"], "period": [0], "mean": [10.0], "std": [3.0]})
    options = {"level": 11.5, "cap": 100.0} if policy == "capped_base_stock" else {}
    for on_hand in range(8, 15):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = hybridinv.plan(pd.DataFrame({"sku": ["A"], "on_hand": [on_hand]}), cat, None, forecast=fc,
                                 policy=policy, **options).iloc[0]
        below = row["inventory_position"] <= row["reorder_point"]
        assert (row["order_qty"] > 0) == below, (on_hand, row["reorder_point"])
        assert (row["target_reason"] == "above_reorder_point") == (not below)


def _exact_rq_cost(r: int, q: int, mean: float, h: float, p: float, k: float) -> float:
    """(r, Q) with backorders, Poisson demand ``mean`` over the lead time and review: the position after ordering is
    uniform on r+1..r+Q, so the cost per period is K mu / Q plus the mean of G(y) = E[h (y-D)^+ + p (D-y)^+]."""
    d = np.arange(int(mean * 6 + 60))
    pmf = stats.poisson.pmf(d, mean)
    window = np.arange(r + 1, r + q + 1)[:, None]
    g = (pmf * (h * np.maximum(window - d, 0) + p * np.maximum(d - window, 0))).sum(axis=1)
    return float(g.mean())


@pytest.mark.parametrize(("mean", "lead", "h", "p", "k"), [(5.0, 2, 1.0, 9.0, 64.0), (10.0, 1, 1.0, 19.0, 20.0),
                                                          (5.0, 0, 1.0, 99.0, 100.0), (3.0, 3, 2.0, 5.0, 10.0)])
def test_the_backorder_reorder_point_is_the_exact_optimum_for_its_batch(mean: float, lead: int, h: float, p: float,
                                                                        k: float) -> None:
    """The lost-sales cycle-fractile rule served backorders too: r = 25 where 21 is optimal (+6.1%)."""
    sc = scenarios.single_sku(mean=mean, lead_time=lead, holding_cost=h, shortage_cost=p, fixed_cost=k,
                              lost_sales=False)
    policy = RQ().fit(sc)
    r, q = int(policy.reorder_point_[0]), int(policy.batch_size_[0])
    costs = {x: _exact_rq_cost(x, q, mean * (lead + 1), h, p, k) for x in range(r - 15, r + 16)}
    best = min(costs, key=costs.__getitem__)
    assert costs[r] == pytest.approx(costs[best], rel=1e-12)


def test_forecast_capped_base_stock_prices_a_backordered_unit_at_its_shortage_cost_not_p_minus_c() -> None:
    """With backorders a unit short costs p (it is bought anyway): p = 5 < c = 40 kept z = -3.72, not 1.335."""
    import pandas as pd

    import hybridinv

    cat = pd.DataFrame({"sku": ["A"], "unit_cost": [40.0], "holding_cost": [0.5], "shortage_cost": [5.0],
                        "lead_time": [2]})
    forecast = pd.DataFrame({"sku": ["A"] * 3, "period": [0, 1, 2], "mean": [100.0] * 3, "std": [20.0] * 3})
    state = pd.DataFrame({"sku": ["A"], "on_hand": [0]})
    plan = hybridinv.plan(state, cat, {"capacity": 1e6}, forecast=forecast, policy="forecast_capped_base_stock",
                          lost_sales=False, safety_factor=1.0, capacity_price=0.0)
    z = stats.norm.ppf(5.0 / 5.5)
    assert plan["safety_factor"].iloc[0] == pytest.approx(z)
    assert plan["order_up_to"].iloc[0] == pytest.approx(300.0 + z * 20.0 * np.sqrt(3.0))


def test_forecast_capped_base_stock_weights_a_backordered_shortfall_by_its_shortage_cost() -> None:
    """The repair's under_weight used p - c under backorders too: p 5 < c 40 weighed 1e-3, as if never short."""
    from hybridinv.policies.rq import ForecastCappedBaseStock

    obs = observation([0.0, 0.0], [10.0, 10.0], lost_sales=False, unit_cost=np.array([40.0, 1.0]),
                      shortage_cost=np.array([5.0, 5.0]))
    weights = ForecastCappedBaseStock().repair_options(obs, np.array([10.0, 10.0]))["under_weight"]
    # both SKUs are equally far from a stockout and a backordered unit costs p = 5 whatever it costs to buy
    assert weights[0] == pytest.approx(weights[1]) and weights[0] > 1.0


def _statistics(mean: list[float], std: list[float], lead_time_std: list[float], lead_time: float = 2.0,
                holding: float = 1.0, shortage: float = 9.0):  # type: ignore[no-untyped-def]
    from hybridinv.policies.newsvendor import DemandStatistics

    n = len(mean)

    def column(value: object) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()

    return DemandStatistics(mean=column(mean), std=column(std), lead_time=column(lead_time),
                            lead_time_std=column(lead_time_std), holding_cost=column(holding),
                            shortage_cost=column(shortage), order_cost=column(0.0), lot_size=column(1.0),
                            moq=column(0.0), lost_sales=False, distribution="poisson")


def test_a_poisson_skus_level_does_not_depend_on_the_other_skus() -> None:
    # one SKU's lead-time spread switched the whole catalog to the negative binomial: 37 alone, 41 beside it
    from hybridinv.policies.classical import BaseStock

    alone = BaseStock.fit(_statistics([10.0], [5.0], [0.0])).level
    spread_alone = BaseStock.fit(_statistics([10.0], [5.0], [1.0])).level
    together = BaseStock.fit(_statistics([10.0, 10.0], [5.0, 5.0], [0.0, 1.0])).level
    np.testing.assert_array_equal(together, np.r_[alone, spread_alone])
    # alone, a Poisson SKU's level is the Poisson critical fractile over L + 1 periods
    assert alone[0] == stats.poisson.ppf(0.9, 30.0)


def test_rq_reorder_point_with_backorders_has_no_rounding_step() -> None:
    # mean + (level - mean) came to -0.9999999999999998 and the ceiling put r one unit above the optimum
    from hybridinv.policies.rq import backorder_reorder_point

    mean = 1.130118227400444
    st = _statistics([mean], [mean**0.5], [0.0], lead_time=0.0, holding=2.442628735798169,
                     shortage=21.59162126152785)
    exact = backorder_reorder_point(st, np.array([21.0]))
    assert exact[0] == -2.0
    assert RQ(batch_size=21).fit(st).reorder_point_[0] == exact[0]


def test_rq_reorder_point_with_backorders_and_a_long_window_is_within_one_unit_of_the_optimum() -> None:
    # the 64 levels read from a window longer than 64 leaned to its low end: r up to 3 units above the optimum
    # (Poisson 18.94, L = 2, Q = 179: 22 where 21 is optimal); now one level in the middle of each 64th
    from hybridinv.policies.rq import backorder_reorder_point

    rng = np.random.default_rng(5)
    off = 0
    for _ in range(40):
        mean, lead, h, p, q = rng.uniform(1, 40), int(rng.integers(0, 4)), rng.uniform(0.5, 3), rng.uniform(1, 30), \
            float(rng.integers(65, 400))
        st = _statistics([mean], [mean**0.5], [0.0], lead_time=float(lead), holding=h, shortage=p)
        r = backorder_reorder_point(st, np.array([q]))[0]
        demand = stats.poisson(mean * (lead + 1))
        best = r - 10  # the smallest r whose window y = r+1..r+Q has mean F >= p / (p + h), by enumeration
        while demand.cdf(np.arange(best + 1, best + q + 1)).mean() < p / (p + h):
            best += 1
        assert abs(r - best) <= 1.0
        off += r != best
    assert off <= 8
    st = _statistics([18.940316264837676], [18.940316264837676**0.5], [0.0], holding=2.349488501711061,
                     shortage=9.395684004628379)
    assert RQ(batch_size=179.0).fit(st).reorder_point_[0] == 21.0


def test_a_perishable_batch_is_at_most_the_demand_of_its_shelf_life() -> None:
    """sqrt(2 K D / h) = sqrt(2 * 50 * 10 / 0.1) = 100, but 10 a period sell 30 in a 3-period life: the batch is 30
    (rounded up to lots of 7: 35); a 1-period life gets one lot; 0 (no expiry) keeps the EOQ. Until 2026-12-07 the
    (s, S) and (R, Q) batches were the plain EOQ, most of it sure to expire."""
    life = np.array([3.0, 3.0, 1.0, 0.0, 20.0])
    lot = np.array([1.0, 7.0, 4.0, 1.0, 1.0])
    got = economic_order_quantity(np.full(5, 10.0), 50.0, 0.1, lot, life)
    assert got.tolist() == [30.0, 35.0, 4.0, 100.0, 100.0]


def _batch_cost(q, mu, k, h, life, ahead, waste):  # type: ignore[no-untyped-def]
    """The per-period cost of perishable_batch's docstring, written out for one SKU and one batch."""
    cycle = max(q / mu, 1.0)
    left = max(ahead - 1.0 + (q - mu if q < mu else -mu / 2.0), 0.0)
    expired = max(left + max(q, mu) - mu * life, 0.0)
    return (k + waste * expired) / cycle + h * q / 2.0


@settings(max_examples=150, deadline=None)
@given(hs.floats(0.5, 40.0), hs.floats(0.0, 200.0), hs.floats(0.01, 3.0), hs.sampled_from([1.0, 2.0, 5.0]),
       hs.integers(1, 6), hs.floats(0.0, 80.0), hs.floats(0.0, 100.0), hs.integers(1, 32))
def test_the_perishable_batch_is_the_cheapest_whole_lot_batch_up_to_the_cap(  # type: ignore[no-untyped-def]
        mu, k, h, lot, life, ahead, waste, lots):
    """Up to 32 lots the 33 candidates hold every whole number of lots, so the batch is the exact minimum of the
    cost model over them (an enumeration written here); a SKU that does not perish keeps the cap."""
    cap = lots * lot
    got = perishable_batch(np.array([mu, mu]), k, h, lot, np.array([life, 0]), ahead, waste, cap)
    costs = {j * lot: _batch_cost(j * lot, mu, k, h, life, ahead, waste) for j in range(1, lots + 1)}
    assert got[0] in costs and costs[got[0]] == pytest.approx(min(costs.values()), rel=1e-12, abs=1e-12)
    assert got[1] == cap


def test_a_perishable_batch_weighs_order_cost_against_waste() -> None:
    """Demand 5, life 2, 11 units ahead of a batch (the (s, S) rule's s + 1 - mu L): at K = 50 and units worth 1
    two periods' demand (10) are cheaper than ordering every period, at K = 2 and units worth 20 one lot is. A
    SKU that does not perish, or a call without ``ahead``, keeps the EOQ capped at the shelf life's demand."""
    eoq = economic_order_quantity(np.full(3, 5.0), np.array([50.0, 2.0, 50.0]), 0.1, 1.0, np.array([2, 2, 0]),
                                  ahead=11.0, expiry_cost=np.array([1.0, 20.0, 1.0]))
    assert eoq.tolist() == [10.0, 1.0, 71.0]
    assert economic_order_quantity(np.full(2, 5.0), np.array([50.0, 2.0]), 0.1, 1.0, 2).tolist() == [10.0, 10.0]
    # one shelf life and one stock ahead for every SKU (scalars) broadcast against per-SKU demand and costs
    same = economic_order_quantity(np.full(2, 5.0), np.array([50.0, 2.0]), 0.1, 1.0, 2, 11.0, np.array([1.0, 20.0]))
    assert same.tolist() == [10.0, 1.0]


@pytest.mark.parametrize("make", ["ss", "rq", "dynamic_ss"])
def test_fitted_batches_of_a_perishable_catalog_keep_within_the_shelf_life(make: str) -> None:
    """On the perishable scenario every (s, S) / (R, Q) batch beyond the MOQ is at most the mean demand of the
    SKU's shelf life, rounded up to a lot (one lot for a 1-period life), and the stock a batch arrives on makes
    some of them smaller (until 2026-12-07, evening, every batch was that cap)."""
    from hybridinv.policies import registry

    scenario = scenarios.get("perishable")
    cat = scenario.catalog
    policy = registry.make(make, scenario)
    obs = simulate_observation(scenario)
    reorder, up_to = policy.targets(obs)
    batch = np.asarray(up_to - reorder) if make != "rq" else np.asarray(policy.batch_size_)
    mean = scenario.demand.mean if make != "dynamic_ss" else obs.forecast(1)[:, 0]
    within = np.maximum(np.ceil(mean * np.where(cat.shelf_life == 1, 0, cat.shelf_life) / cat.lot_size - 1e-9), 1.0)
    allowed = np.maximum(within * cat.lot_size, cat.moq)
    assert (cat.shelf_life > 0).all()
    assert (batch <= allowed + 1e-9).all(), (batch, allowed)
    assert (batch < allowed - 1e-9).sum() >= 5, (batch, allowed)


def test_a_costly_order_of_cheap_perishables_keeps_the_shelf_life_batch() -> None:
    """One SKU, Poisson 5, K = 50, c = 1, p = 13, life 2, lead time 1, 20 seeds x 200 periods: the fitted (s, S)
    batch of 10 costs less than ordering every period (a batch of one lot) with the same s, which wastes less."""
    from hybridinv import Catalog, Constraints, simulate
    from hybridinv.demand import DemandDistribution, DemandProcess
    from hybridinv.policies import SS
    from hybridinv.sim.scenario import Scenario

    cat = Catalog.from_frame(pd.DataFrame({"sku": ["bread"], "unit_cost": [1.0], "holding_cost": [0.1],
                                           "shortage_cost": [13.0], "order_cost": [50.0], "lead_time": [1],
                                           "shelf_life": [2], "demand_mean": [5.0], "demand_std": [5**0.5]}))
    scenario = Scenario(name="bread", catalog=cat, constraints=Constraints(), periods=200, warmup=10,
                        demand=DemandProcess(mean=cat.demand_mean, distribution=DemandDistribution.POISSON))
    fitted = SS.fit(scenario)
    assert (np.asarray(fitted.S) - np.asarray(fitted.s)).tolist() == [10.0]
    every_period = SS(fitted.s, np.asarray(fitted.s) + 1.0)
    batch = simulate(fitted, scenario, seeds=range(20))
    single = simulate(every_period, scenario, seeds=range(20))
    assert batch["avg_cost"].mean() < 0.85 * single["avg_cost"].mean()
    assert batch["waste_units"].mean() > single["waste_units"].mean()


def test_ss_wastes_less_and_costs_less_on_the_perishable_scenario_than_with_a_shelf_life_batch() -> None:
    """The registered perishable scenario without its warehouse and budget (the batches alone), seeds 100-102:
    the fitted (s, S) against the same s with the batch of the old cap, ``mu m`` (an independent build)."""
    import dataclasses

    from hybridinv import Constraints, simulate
    from hybridinv.policies import SS

    scenario = dataclasses.replace(scenarios.get("perishable"), constraints=Constraints())
    cat = scenario.catalog
    fitted = SS.fit(scenario)
    old_batch = np.maximum(economic_order_quantity(scenario.demand.mean, cat.order_cost, cat.holding_cost,
                                                   cat.lot_size, cat.shelf_life), cat.moq)
    old = SS(fitted.s, np.asarray(fitted.s) + old_batch)
    new_run = simulate(fitted, scenario, seeds=[100, 101, 102], periods=104)
    old_run = simulate(old, scenario, seeds=[100, 101, 102], periods=104)
    assert new_run["waste_units"].mean() < 0.6 * old_run["waste_units"].mean()
    assert (new_run["avg_cost"].to_numpy() < old_run["avg_cost"].to_numpy()).all()


def simulate_observation(scenario):  # type: ignore[no-untyped-def]
    from hybridinv.sim import Simulator

    return Simulator(scenario, periods=5).reset(seed=0)
