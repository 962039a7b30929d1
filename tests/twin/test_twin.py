"""DigitalTwin: aggregation, report, and the Scenario built from the fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridinv.core.errors import PlanningError
from hybridinv.policies import BaseStock
from hybridinv.sim import Simulator, simulate
from hybridinv.twin import DemandFamily, DigitalTwin, FittedDemand, aggregate_sales, synthetic_log


@pytest.fixture(scope="module")
def log():
    return synthetic_log(n_skus=10, days=728, seed=2, orders_per_sku=100)


@pytest.fixture(scope="module")
def weekly(log):
    return DigitalTwin(period="week").fit(log.sales, log.receipts)


def test_weekly_aggregation_sums_days(log):
    matrix = aggregate_sales(log.sales, "week")
    daily_total = log.sales.groupby("sku")["quantity"].sum().to_numpy()
    assert matrix.demand.sum(axis=0) == pytest.approx(daily_total)
    assert matrix.demand.shape[1] == 10
    assert not matrix.censored.any()


def test_aggregation_fills_missing_days_with_zero():
    sales = pd.DataFrame({"date": ["2024-01-01", "2024-01-04"], "sku": ["A", "A"], "quantity": [3, 5]})
    matrix = aggregate_sales(sales, "day")
    assert matrix.demand[:, 0].tolist() == [3.0, 0.0, 0.0, 5.0]


def test_aggregation_rejects_negative_quantity():
    sales = pd.DataFrame({"date": ["2024-01-01"], "sku": ["A"], "quantity": [-1]})
    with pytest.raises(PlanningError, match="quantity"):
        aggregate_sales(sales)


def test_weekly_means_are_seven_daily_means(log, weekly):
    daily = log.sales.groupby("sku")["quantity"].mean().to_numpy()
    assert weekly.report_["mean"].to_numpy() == pytest.approx(7 * daily, rel=1e-9)


def test_report_has_quality_columns(weekly):
    report = weekly.report_
    for column in ("sku", "mean", "pattern", "family", "dispersion", "loglik_poisson", "loglik_negative_binomial",
                   "loglik_empirical", "season52_pvalue", "censored_share", "censoring", "lead_time_mean",
                   "on_time_rate", "fill_rate"):
        assert column in report.columns
    assert len(report) == 10


def test_scenario_from_fit(log, weekly):
    scenario = weekly.scenario(periods=30)
    assert scenario.n_skus == 10 and scenario.periods == 30
    assert isinstance(scenario.demand, FittedDemand)
    # lead times in weeks from the receipts (3-10 days -> 0-1 weeks after rounding)
    assert scenario.catalog.lead_time == pytest.approx(np.floor(log.truth["lead_time_mean"] / 7 + 0.5))
    assert scenario.lead_times.disruptions is not None  # short deliveries in the log
    result = simulate(BaseStock(np.rint(scenario.catalog.demand_mean * 3), repair=None), scenario, seeds=2)
    assert (result["fill_rate"] > 0.5).all()


def test_user_catalog_columns_win(weekly):
    frame = pd.DataFrame({"sku": weekly.matrix_.sku, "holding_cost": 0.5, "shortage_cost": 4.0})
    catalog = weekly.catalog(frame)
    assert (catalog.holding_cost == 0.5).all() and (catalog.shortage_cost == 4.0).all()
    with pytest.raises(PlanningError, match="sku"):
        weekly.catalog(frame.iloc[1:])


def test_simulated_twin_demand_matches_fit(weekly):
    scenario = weekly.scenario(periods=400)
    path = scenario.sample(0, 400)
    means = path.demand.realized[:400].mean(axis=0)
    fitted = weekly.report_["mean"].to_numpy()
    assert np.abs(means / fitted - 1).max() < 0.15


def test_fitted_demand_mixes_families():
    process = FittedDemand(
        mean=np.array([4.0, 4.0, 4.0]), dispersion=np.array([1e12, 2.0, 1e12]),
        family=np.array([DemandFamily.POISSON, DemandFamily.NEGATIVE_BINOMIAL, DemandFamily.EMPIRICAL]),
        samples=np.array([[0.0] * 4, [0.0] * 4, [0.0, 0.0, 0.0, 16.0]]),
    )
    draws = process.sample(np.random.default_rng(0), 20000).realized
    assert draws.mean(axis=0) == pytest.approx([4.0, 4.0, 4.0], rel=0.05)
    assert draws.var(axis=0) == pytest.approx([4.0, 4.0 + 16 / 2.0, 48.0], rel=0.08)
    assert set(np.unique(draws[:, 2])) <= {0.0, 16.0}


def test_seasonal_scenario_starts_after_the_log():
    rng = np.random.default_rng(4)
    days = 700
    t = np.arange(days)
    demand = rng.poisson(30 * (1 + 0.4 * np.sin(2 * np.pi * t / 7)))
    sales = pd.DataFrame({"date": pd.Timestamp("2024-01-01") + pd.to_timedelta(t, unit="D"),
                          "sku": "A", "quantity": demand})
    twin = DigitalTwin(period="day").fit(sales)
    scenario = twin.scenario(periods=14)
    sim = Simulator(scenario)
    obs = sim.reset(seed=0)
    forecast = obs.forecast(14)[0]
    truth = 30 * (1 + 0.4 * np.sin(2 * np.pi * (days + np.arange(14)) / 7))
    assert np.abs(forecast / truth - 1).max() < 0.08


def test_skus_without_receipts_keep_the_catalogs_lead_time_and_supplier():
    # receipts of A only: B's lead time of 4 became the default 1 and every supplier "default" (the
    # receipts log no supplier), so the twin's scenario protected B over a quarter of its lead time
    days = pd.date_range("2024-01-01", periods=140, freq="D").strftime("%Y-%m-%d")
    sales = pd.DataFrame({"date": np.repeat(days, 2), "sku": np.tile(["A", "B"], len(days)), "quantity": 4})
    orders = ["2024-01-01", "2024-02-01", "2024-03-01"]
    arrivals = ["2024-01-15", "2024-02-19", "2024-03-15"]  # 14, 18 and 14 days: 2, 18/7 and 2 weeks
    receipts = pd.DataFrame({"sku": "A", "order_date": orders, "promised_date": arrivals, "arrival_date": arrivals,
                             "quantity_ordered": 10, "quantity_received": 10})
    catalog = pd.DataFrame({"sku": ["A", "B"], "lead_time": [1, 4], "lead_time_std": [0.5, 1.5],
                            "supplier": ["S1", "S2"]})
    twin = DigitalTwin(period="week").fit(sales, receipts)
    fitted = twin.catalog(catalog)
    weeks = np.array([2.0, 18.0 / 7.0, 2.0])
    assert fitted.lead_time.tolist() == [round(weeks.mean()), 4]
    np.testing.assert_allclose(fitted.lead_time_std, [weeks.std(ddof=1), 1.5])
    assert fitted.supplier.tolist() == ["S1", "S2"]
    logged = twin.fit(sales, receipts.assign(supplier="S9")).catalog(catalog)
    assert logged.supplier.tolist() == ["S9", "S2"]
    scenario = twin.scenario(catalog)
    assert scenario.catalog.lead_time.tolist() == [2, 4]
    assert DigitalTwin(period="week").fit(sales, receipts).catalog().lead_time.tolist() == [2, 1]  # no catalog


@pytest.mark.parametrize(("lead_days", "weeks"), [(3.5, 1), (10.5, 2), (17.5, 3), (24.5, 4), (10.0, 1), (11.0, 2)])
def test_a_fitted_lead_time_rounds_halves_of_a_period_up(lead_days: float, weeks: int) -> None:
    """1.5 and 2.5 weeks both became 2 (np.rint goes to the even neighbour); halves now round up."""
    days = pd.date_range("2024-01-01", periods=140, freq="D").strftime("%Y-%m-%d")
    sales = pd.DataFrame({"date": days, "sku": "A", "quantity": 4})
    ordered = pd.to_datetime(["2024-01-01", "2024-02-01"])
    arrived = ordered + pd.to_timedelta(lead_days, unit="D")  # every receipt the same: the mean is lead_days
    receipts = pd.DataFrame({"sku": "A", "order_date": ordered, "promised_date": arrived, "arrival_date": arrived,
                             "quantity_ordered": 10, "quantity_received": 10})
    twin = DigitalTwin(period="week").fit(sales, receipts)
    assert twin.supply_fit_.lead_time_mean[0] == pytest.approx(lead_days / 7)
    assert twin.catalog().lead_time.tolist() == [weeks]


def test_a_twin_whose_default_initial_stock_is_above_the_limit_names_the_demand_mean() -> None:
    """Sales of 1e11 a day: the scenario's default initial stock (demand mean x (lead time + 1)) is 1.33e12 units,
    which was refused as column 'on_hand' of a state the user never gave."""
    days = pd.date_range("2024-01-01", periods=63, freq="D").strftime("%Y-%m-%d")
    twin = DigitalTwin(period="week").fit(pd.DataFrame({"date": days, "sku": "A", "quantity": 1e11}))
    with pytest.raises(PlanningError, match="default initial stock") as info:
        twin.scenario(periods=4)
    assert (info.value.column, info.value.sku) == ("demand_mean", "A")
    assert info.value.value == pytest.approx(7e11, rel=0.05)  # a week of 1e11 a day
    # with a lead time of 0 the default stock, one period of demand, is within the limit
    scenario = twin.scenario(periods=4, lead_time=0)
    assert scenario.initial_state.on_hand[0] == pytest.approx(twin.demand_process().mean[0], rel=1e-9)
