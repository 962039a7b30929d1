"""Tests for hybridinv.policies.newsvendor: fractiles, quantiles, the forecast-driven newsvendor."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hybridinv import scenarios
from hybridinv.core.errors import PlanningError
from hybridinv.demand.processes import DemandProcess, Seasonality
from hybridinv.policies.newsvendor import (
    Newsvendor,
    critical_fractile,
    demand_cdf,
    demand_quantile,
    demand_statistics,
)
from hybridinv.sim.simulator import Simulator

from ._helpers import observation


def test_snyder_shen_example_4_1_normal_newsvendor() -> None:
    # Snyder & Shen (2019), Example 4.1: h = 0.18, p = 0.70, D ~ N(50, 8^2) -> S* = 56.60.
    fractile = critical_fractile(0.18, 0.70)
    assert float(fractile) == pytest.approx(0.70 / 0.88)
    assert float(demand_quantile(50.0, 8.0, fractile)) == pytest.approx(56.60, abs=0.01)


def test_poisson_quantile_is_smallest_level_reaching_the_fractile() -> None:
    mean, fractile = 10.0, 0.9
    cdf, level = 0.0, -1
    while cdf < fractile:  # independent: sum the pmf by hand
        level += 1
        cdf += math.exp(-mean) * mean**level / math.factorial(level)
    assert float(demand_quantile(mean, math.sqrt(mean), fractile, "poisson")) == level == 14


def test_negative_binomial_quantile_matches_moments() -> None:
    mean, std = 20.0, 8.0
    size = mean**2 / (std**2 - mean)
    expected = stats.nbinom.ppf(0.95, size, size / (size + mean))
    assert float(demand_quantile(mean, std, 0.95, "negative_binomial")) == expected
    # variance <= mean falls back to Poisson
    assert float(demand_quantile(4.0, 1.0, 0.95, "negative_binomial")) == stats.poisson.ppf(0.95, 4.0)


def test_unknown_distribution_is_rejected() -> None:
    with pytest.raises(PlanningError, match="distribution"):
        demand_quantile(1.0, 1.0, 0.5, "gamma")


def test_order_up_to_is_quantile_of_lead_time_plus_review_demand() -> None:
    obs = observation([0.0, 3.0], [10.0, 4.0], std=2.0, lead_time=[2, 0])
    _, up_to = Newsvendor(service_level=0.95).targets(obs)
    z = stats.norm.ppf(0.95)
    expected = np.ceil([30.0 + z * 2.0 * math.sqrt(3.0), 4.0 + z * 2.0])
    np.testing.assert_array_equal(up_to, expected)
    np.testing.assert_array_equal(Newsvendor(service_level=0.95, repair=None).act(obs), expected - [0.0, 3.0])


def test_service_level_defaults_to_cost_ratio() -> None:
    obs = observation([0.0], [10.0], std=3.0, holding_cost=np.array([1.0]), shortage_cost=np.array([4.0]))
    _, up_to = Newsvendor().targets(obs)
    assert up_to[0] == math.ceil(10.0 + stats.norm.ppf(0.8) * 3.0)


def test_invalid_service_level_raises() -> None:
    with pytest.raises(PlanningError, match="service_level"):
        Newsvendor(service_level=1.5).targets(observation([0.0], [1.0]))


def test_levels_follow_the_seasonal_forecast() -> None:
    base = scenarios.single_sku(mean=20.0, lead_time=1, periods=52, warmup=0)
    seasonal = base.replace(demand=DemandProcess(mean=np.array([20.0]), seasonality=(Seasonality(26, 0.5),)))
    policy = Newsvendor(service_level=0.9).fit(seasonal)
    sim = Simulator(seasonal, periods=26)
    obs = sim.reset(seed=0)
    levels, forecasts = [], []
    while not sim.done:
        levels.append(policy.targets(obs)[1][0])
        forecasts.append(obs.forecast(2).sum())
        obs = sim.step(policy.act(obs))
    assert np.corrcoef(levels, forecasts)[0, 1] > 0.99
    assert max(levels) - min(levels) > 20


def test_demand_statistics_from_scenario_and_observation_agree_on_stationary_demand() -> None:
    scenario = scenarios.single_sku(mean=7.0, lead_time=3)
    from_scenario = demand_statistics(scenario)
    from_obs = demand_statistics(Simulator(scenario).reset(seed=0))
    np.testing.assert_allclose(from_scenario.mean, from_obs.mean)
    np.testing.assert_allclose(from_scenario.std, from_obs.std)
    assert from_scenario.distribution == "poisson"


def test_a_per_sku_service_level_is_each_skus_fractile() -> None:
    """enforce_targets drives the newsvendor with one service level per SKU (it used to fail on arrays)."""
    import warnings

    from hybridinv import simulate
    from hybridinv.reward.enforce import policy_family

    scenario = scenarios.get("multi_10")
    levels = np.linspace(0.6, 0.95, 10)
    policy = Newsvendor(service_level=levels).fit(scenario)
    np.testing.assert_array_equal(policy.fractile_, levels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = simulate(policy_family("newsvendor", scenario)(np.full(10, 0.8)), scenario, seeds=[1, 2])
        scalar = simulate(Newsvendor(service_level=0.8), scenario, seeds=[1, 2])
    np.testing.assert_array_equal(same["avg_cost"].to_numpy(), scalar["avg_cost"].to_numpy())
    with pytest.raises(PlanningError, match="in \\(0, 1\\)"):
        Newsvendor(service_level=np.array([0.5, 1.0]))
    with pytest.raises(PlanningError, match="one value per SKU"):
        Newsvendor(service_level=np.array([0.5, 0.9])).fit(scenario)


def test_with_a_review_period_it_orders_only_at_reviews_up_to_the_lead_time_plus_review_quantile() -> None:
    """(R, S) periodic review: orders every R periods; ordering every period up to the L + R level
    held about R - 1 periods of demand too much (it ignored R between reviews)."""
    from hybridinv.sim.runner import run_episode

    scenario = scenarios.single_sku(mean=5.0, lead_time=1, lost_sales=False, periods=40)
    target = stats.poisson.ppf(0.9, 5.0 * (1 + 4))  # p / (p + h) = 0.9; normal approximation below, close to it
    seen: list[tuple[float, float, float]] = []

    class Recording:
        name = "recording"

        def __init__(self) -> None:
            self.inner = Newsvendor(review_period=4).fit(scenario)

        def reset(self, scenario: object = None) -> None:
            self.inner.reset(scenario)  # type: ignore[arg-type]

        def act(self, obs):  # type: ignore[no-untyped-def]
            decision = self.inner.decide(obs)
            seen.append((float(obs.inventory_position[0]), float(decision.orders[0]), float(decision.order_up_to[0])))
            return decision.orders

    for _ in range(2):  # a second episode starts with a review again
        seen.clear()
        run_episode(Recording(), scenario, seed=3)
        periods = len(seen)
        ordering = [t for t, (_, qty, _) in enumerate(seen) if qty > 0]
        assert set(ordering) <= set(range(0, periods, 4))
        for t in range(0, periods, 4):  # at a review: up to the level of L + R = 5 periods
            position, qty, level = seen[t]
            assert qty == max(level - position, 0.0)
            assert abs(level - target) <= 2


@pytest.mark.parametrize("make", ["newsvendor", "forecast_ss"])
def test_a_table_of_service_levels_is_refused_naming_them(make: str) -> None:
    """A (1, n) array of service levels failed at the first decision with numpy's broadcasting ValueError."""
    from hybridinv.policies.forecast_ss import ForecastSS

    obs = observation([0.0, 0.0], [5.0, 3.0])
    table = np.array([[0.9, 0.8]])
    with pytest.raises(PlanningError, match="service_level.*shape \\(1, 2\\)"):
        policy = Newsvendor(service_level=table) if make == "newsvendor" else ForecastSS(service_level=table)
        policy.act(obs)


@pytest.mark.parametrize(("field", "value", "match"), [
    ("mean", np.array([5.0, np.nan]), "column 'mean', value nan"),
    ("std", np.array([2.0, -1.0]), "column 'std', value -1.0"),
    ("mean", np.array([5.0, 3.0, 1.0]), "column 'std': needs one value per SKU \\(3"),
    ("lot_size", np.zeros(2), "column 'lot_size', value 0.0"),
    ("distribution", "gamma", "column 'distribution'"),
])
def test_hand_made_demand_statistics_are_checked(field: str, value: object, match: str) -> None:
    """A NaN mean gave NaN levels, another length numpy's broadcasting error, lot 0 NaN batches."""
    from dataclasses import replace

    from hybridinv.policies.classical import BaseStock

    stats_ = demand_statistics(scenarios.get("multi_10"))
    two = replace(stats_, **{name: getattr(stats_, name)[:2] for name in (
        "mean", "std", "lead_time", "lead_time_std", "holding_cost", "shortage_cost", "order_cost", "lot_size", "moq",
        "lead_time_delay", "shelf_life", "expiry_cost")})
    assert BaseStock.fit(replace(two, mean=[5.0, 3.0])).level.shape == (2,)  # type: ignore[union-attr]  # a list is fine
    with pytest.raises(PlanningError, match=match):
        BaseStock.fit(replace(two, **{field: value}))


def test_disruption_delay_moments_are_those_of_the_sampled_lead_times() -> None:
    """The delay was taken as extra_delay on every late order: variance s (1 - s) E^2 (0.86 on disrupted, the
    sampled delay's is 0.45), and its mean (0.21 periods) was left out of the protection interval."""
    from hybridinv.demand.leadtime import Disruptions, LeadTimeProcess
    from hybridinv.policies.newsvendor import disruption_delay_moments

    for d in (Disruptions(probability=0.03, mean_duration=4.0, extra_delay=3), Disruptions(0.2, 2.0, 6)):
        process = LeadTimeProcess(np.full(50, 2), supplier=np.arange(50) % 5, disruptions=d)
        delay = process.sample(np.random.default_rng(0), 40_000).lead_time - 2
        mean, var = disruption_delay_moments(d)
        assert mean == pytest.approx(delay.mean(), rel=0.02)
        assert var == pytest.approx(delay.var(), rel=0.03)
    assert disruption_delay_moments(Disruptions(extra_delay=0)) == (0.0, 0.0)


def test_demand_statistics_fold_the_disruption_delay_into_the_protection_interval() -> None:
    from hybridinv.policies.newsvendor import disruption_delay_moments

    scenario = scenarios.get("disrupted")
    stats_ = demand_statistics(scenario)
    delay, delay_var = disruption_delay_moments(scenario.lead_times.disruptions)
    np.testing.assert_allclose(stats_.lead_time_delay, delay)
    lead_std = np.asarray(scenario.lead_times.std, dtype=np.float64)
    np.testing.assert_allclose(stats_.lead_time_std, np.sqrt(lead_std**2 + delay_var))
    # demand over L + 1 periods plus the mean delay: a random sum's mean and variance
    span = stats_.lead_time + 1.0 + delay
    mean, std = stats_.over_periods(stats_.lead_time + 1.0)
    np.testing.assert_allclose(mean, stats_.mean * span)
    np.testing.assert_allclose(std**2, span * stats_.std**2 + stats_.mean**2 * stats_.lead_time_std**2)
    assert (demand_statistics(scenarios.get("multi_10")).lead_time_delay == 0.0).all()


def test_demand_statistics_take_each_skus_supplier_disruption_delay() -> None:
    """With per-supplier disruptions the delay is each SKU's supplier's (none for a supplier not named), measured
    on the sampled lead times."""
    from hybridinv.demand.leadtime import Disruptions, LeadTimeProcess
    from hybridinv.policies.newsvendor import disruption_delay_moments

    base = scenarios.get("disrupted")
    late = Disruptions(probability=0.2, mean_duration=2.0, extra_delay=4)
    names = np.asarray(base.catalog.supplier, dtype=str)
    first = sorted(set(names.tolist()))[0]
    lead = LeadTimeProcess.from_catalog(base.catalog.lead_time, base.lead_times.std, names, {first: late})
    stats_ = demand_statistics(base.replace(lead_times=lead))
    named = names == first
    mean, var = disruption_delay_moments(late)
    np.testing.assert_allclose(stats_.lead_time_delay, np.where(named, mean, 0.0))
    np.testing.assert_allclose(stats_.lead_time_std**2 - np.asarray(lead.std) ** 2, np.where(named, var, 0.0),
                               atol=1e-12)
    noiseless = LeadTimeProcess(lead.lead_time, supplier=lead.supplier, disruptions=lead.disruptions)
    delay = noiseless.sample(np.random.default_rng(0), 40_000).lead_time - lead.lead_time
    assert (delay[:, ~named] == 0).all()
    assert delay[:, named].mean() == pytest.approx(mean, rel=0.03)


@pytest.mark.parametrize("distribution", ["poisson", "negative_binomial"])
def test_demand_cdf_is_the_distribution_demand_quantile_inverts(distribution: str) -> None:
    mean, std = np.array([0.5, 4.0, 30.0]), np.array([1.0, 3.0, 8.0])
    for fractile in (0.1, 0.5, 0.9, 0.99):
        level = demand_quantile(mean, std, fractile, distribution)
        assert (demand_cdf(level, mean, std, distribution) >= fractile - 1e-12).all()
        assert (demand_cdf(level - 1.0, mean, std, distribution) < fractile).all()
    np.testing.assert_allclose(demand_cdf(mean + std, mean, std, "normal"), stats.norm.cdf(1.0))
    assert demand_cdf(np.array([3.9, 4.0]), np.array([4.0, 4.0]), np.zeros(2), "normal").tolist() == [0.0, 1.0]


@pytest.mark.parametrize("review", [1, 2, 3])
def test_plan_explains_the_level_over_the_lead_time_plus_the_review_period(review: int) -> None:
    """The explanation columns used the L + 1 window whatever R: with R = 2 the protection demand was 60 where the
    level covers 80, and the safety stock counted a period of cycle demand."""
    import pandas as pd

    import hybridinv
    from hybridinv.policies import Newsvendor

    catalog = pd.DataFrame({"sku": ["S0"], "unit_cost": 10.0, "holding_cost": 1.0, "shortage_cost": 20.0,
                            "lead_time": 2})
    forecast = pd.DataFrame({"sku": "S0", "period": range(8), "mean": 20.0, "std": 5.0})
    row = hybridinv.plan(pd.DataFrame({"sku": ["S0"], "on_hand": [0]}), catalog, None, forecast,
                         policy=Newsvendor(review_period=review)).iloc[0]
    periods = 2 + review
    z = stats.norm.ppf(20.0 / 21.0)  # p / (p + h)
    assert row["protection_demand"] == pytest.approx(20.0 * periods)
    assert row["order_up_to"] == math.ceil(20.0 * periods + z * 5.0 * math.sqrt(periods) - 1e-9)
    assert row["safety_stock"] == pytest.approx(row["order_up_to"] - 20.0 * periods)


@pytest.mark.parametrize("review", [1, 3])
def test_a_decision_reads_the_demand_window_once(review: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The levels and the explanation each computed the L + R window: the forecast sums twice a simulated period."""
    policy = Newsvendor(review_period=review)
    obs = observation([0.0, 5.0], [10.0, 4.0], lead_time=[1, 2])
    policy.fit(obs)
    calls = []
    window = Newsvendor.window
    monkeypatch.setattr(Newsvendor, "window", lambda self, o: calls.append(1) or window(self, o))
    decision = policy.decide(obs)
    assert len(calls) == 1
    np.testing.assert_array_equal(decision.order_up_to, policy.targets(obs)[1])  # the levels targets() reports
