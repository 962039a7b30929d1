"""Lead times and supplier reliability recovered from a SYNTHETIC receipts log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridinv.core.errors import PlanningError
from hybridinv.twin import fit_supply, synthetic_log


@pytest.fixture(scope="module")
def log():
    return synthetic_log(n_skus=12, days=400, seed=11, orders_per_sku=400)


def test_lead_time_mean_and_std_recovered(log):
    fit = fit_supply(log.receipts, period_days=1.0)
    truth = log.truth
    # lead times are drawn from N(mu, sigma) and rounded to days: mean mu, std sqrt(sigma^2 + 1/12)
    standard_error = truth["lead_time_std"] / np.sqrt(400)
    assert (np.abs(fit.lead_time_mean - truth["lead_time_mean"]) < 4 * standard_error).all()
    expected_std = np.sqrt(truth["lead_time_std"] ** 2 + 1 / 12)
    assert np.abs(fit.lead_time_std / expected_std - 1).max() < 0.15


def test_on_time_and_fill_rates_recovered(log):
    fit = fit_supply(log.receipts, period_days=1.0)
    truth = log.truth
    assert np.abs(fit.on_time_rate - truth["on_time_rate"]).max() < 0.1  # 4 standard errors at 400 receipts
    # 10% of receipts short at 50-90%: fill rate ~ 0.97 (floor of the delivered units lowers it a little)
    assert np.abs(fit.fill_rate - truth["fill_rate"]).max() < 0.015
    assert np.abs(fit.short_share - truth["short_probability"]).max() < 0.06


def test_period_conversion_to_weeks(log):
    days = fit_supply(log.receipts, period_days=1.0)
    weeks = fit_supply(log.receipts, period_days=7.0)
    assert weeks.lead_time_mean == pytest.approx(days.lead_time_mean / 7.0)


def test_disruptions_from_short_deliveries(log):
    fit = fit_supply(log.receipts, period_days=7.0)
    disruptions = fit.disruptions()
    assert disruptions is not None
    assert disruptions.probability == pytest.approx(0.05, abs=0.02)  # half the SKUs short 10% of the time
    low, high = disruptions.fill_fraction
    assert 0.4 <= low <= high <= 0.95


def test_open_orders_skipped_and_alignment():
    receipts = pd.DataFrame({
        "sku": ["A", "A", "B"],
        "order_date": ["2024-01-01", "2024-01-08", "2024-01-01"],
        "promised_date": ["2024-01-08", "2024-01-15", "2024-01-05"],
        "arrival_date": ["2024-01-08", None, "2024-01-15"],
        "quantity_ordered": [10, 10, 5],
        "quantity_received": [10, 0, 4],
    })
    fit = fit_supply(receipts, period_days=7.0)
    assert list(fit.sku) == ["A", "B"]
    assert fit.lead_time_mean == pytest.approx([1.0, 2.0])
    assert fit.on_time_rate == pytest.approx([1.0, 0.0])
    assert fit.fill_rate == pytest.approx([1.0, 0.8])
    aligned = fit.aligned(np.array(["C", "B"], dtype=object), default_lead_time=3.0)
    assert aligned.lead_time_mean == pytest.approx([3.0, 2.0])
    assert aligned.fill_rate == pytest.approx([1.0, 0.8])


def test_arrival_before_order_raises():
    receipts = pd.DataFrame({
        "sku": ["A"], "order_date": ["2024-01-10"], "promised_date": ["2024-01-12"],
        "arrival_date": ["2024-01-01"], "quantity_ordered": [1], "quantity_received": [1],
    })
    with pytest.raises(PlanningError, match="arrival_date"):
        fit_supply(receipts)


@pytest.mark.parametrize("short", [3, 12])
def test_the_twin_delivers_short_as_often_as_the_receipts_did(short):
    # the chain entered a disruption with the logged share s and always left it after one period, so its
    # orders were short s / (1 + s) of the time: 23% for 30% of receipts short (12 of 20: 38% for 60%)
    from hybridinv.demand.leadtime import LeadTimeProcess

    received = [7] * short + [10] * (20 - short)
    receipts = pd.DataFrame({"sku": "A", "order_date": "2024-01-01", "promised_date": "2024-01-08",
                             "arrival_date": "2024-01-08", "quantity_ordered": 10, "quantity_received": received})
    disruptions = fit_supply(receipts, period_days=7.0).disruptions()
    process = LeadTimeProcess.from_catalog(np.array([1]), np.zeros(1), np.array(["default"], dtype=object),
                                           disruptions)
    path = process.sample(np.random.default_rng(0), 200_000)
    shorted = path.delivered_fraction[:, 0] < 1.0
    assert shorted.mean() == pytest.approx(short / 20, abs=0.005)  # 4.5 standard errors
    # independent from period to period: short after a short order as often as after a full one
    assert shorted[1:][shorted[:-1]].mean() == pytest.approx(short / 20, abs=0.01)


def test_an_arrival_during_the_promised_day_is_on_time() -> None:
    """On time means on or before the promised date: an arrival at 15:00 on that date was counted late."""
    receipts = pd.DataFrame({"sku": ["A", "A"], "order_date": ["2024-01-01", "2024-01-01"],
                             "promised_date": ["2024-01-08", "2024-01-08"],
                             "arrival_date": ["2024-01-08 15:00", "2024-01-09 08:00"],
                             "quantity_ordered": [10, 10], "quantity_received": [10, 10]})
    fit = fit_supply(receipts, period_days=7.0)
    assert fit.on_time_rate.tolist() == [0.5]
