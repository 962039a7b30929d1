"""Demand fitting: recovery of known parameters from SYNTHETIC logs."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.core.errors import PlanningError
from hybridinv.twin import (
    Censoring,
    DemandFamily,
    DigitalTwin,
    classify_demand,
    fit_demand,
    seasonal_indices,
    synthetic_log,
)


@pytest.fixture(scope="module")
def fitted():
    log = synthetic_log(n_skus=20, days=1092, seed=3, orders_per_sku=400)
    return log, DigitalTwin(period="day").fit(log.sales, log.receipts).report_


def test_classify_demand_hand_computed():
    # column 0: demand in 2 of 6 periods, sizes 2 and 6 -> ADI 3, CV^2 = 4 / 16 = 0.25 (intermittent)
    # column 1: demand every period 10, 10, 10, 10, 10, 10 -> ADI 1, CV^2 0 (smooth)
    demand = np.array([[0, 10], [2, 10], [0, 10], [0, 10], [6, 10], [0, 10]], dtype=float)
    adi, cv2, pattern = classify_demand(demand, np.ones_like(demand, dtype=bool))
    assert adi == pytest.approx([3.0, 1.0])
    assert cv2 == pytest.approx([0.25, 0.0])
    assert list(pattern) == ["intermittent", "smooth"]


def test_classify_demand_lumpy_and_erratic():
    demand = np.array([[0, 1], [1, 20], [0, 1], [19, 20]], dtype=float)
    _, cv2, pattern = classify_demand(demand, np.ones_like(demand, dtype=bool))
    assert (cv2 > 0.49).all()
    assert list(pattern) == ["lumpy", "erratic"]


def test_seasonal_indices_detects_only_real_cycles():
    rng = np.random.default_rng(0)
    t = np.arange(700)
    level = 20.0 * np.column_stack([1 + 0.3 * np.sin(2 * np.pi * t / 7), np.ones_like(t, dtype=float)])
    demand = rng.poisson(level).astype(float)
    index, pvalue = seasonal_indices(demand, np.ones_like(demand, dtype=bool), 7, alpha=0.01)
    assert pvalue[0] < 1e-6 and pvalue[1] > 0.01
    assert np.allclose(index[:, 1], 1.0)
    truth = 1 + 0.3 * np.sin(2 * np.pi * np.arange(7) / 7)
    assert np.abs(index[:, 0] - truth).max() < 0.05


def test_means_recovered_within_four_standard_errors(fitted):
    log, report = fitted
    truth = log.truth
    smooth = ~truth["intermittent"].to_numpy()
    variance = np.where(np.isfinite(truth["dispersion"]), truth["mean"] + truth["mean"] ** 2 / 3.0, truth["mean"])
    standard_error = np.sqrt(variance / 1092) / truth["mean"]
    relative = (report["mean"] / truth["mean"] - 1.0).to_numpy()
    assert (np.abs(relative) < 4 * standard_error).all()
    # "within a few %": every smooth SKU with mean >= 5 per day is within 4%
    large = smooth & (truth["mean"].to_numpy() >= 5)
    assert large.sum() >= 5
    assert np.abs(relative[large]).max() < 0.04


def test_negative_binomial_dispersion_and_family(fitted):
    log, report = fitted
    nb = np.isfinite(log.truth["dispersion"].to_numpy())
    assert (report["family"][nb] == "negative_binomial").all()
    assert np.abs(report["dispersion"][nb] / 3.0 - 1.0).max() < 0.3
    poisson = ~nb & ~log.truth["intermittent"].to_numpy()
    # Poisson SKUs: Poisson chosen, or an NB so close that the variance is within 25% of the mean's
    inflation = 1.0 + report["mean"][poisson] / report["dispersion"][poisson]
    assert (inflation < 1.25).all()
    assert (report["family"][poisson] == "poisson").mean() >= 0.5


def test_weekly_seasonality_amplitude_recovered(fitted):
    log, report = fitted
    truth = log.truth["weekly_amplitude"].to_numpy()
    assert (report["season7_significant"].to_numpy() == (truth > 0)).all()
    assert np.abs(report["season7_amplitude"].to_numpy() - truth).max() < 0.06


def test_intermittent_skus_detected(fitted):
    log, report = fitted
    intermittent = log.truth["intermittent"].to_numpy()
    assert set(report["pattern"][intermittent]) <= {"intermittent", "lumpy"}
    assert set(report["pattern"][~intermittent]) <= {"smooth", "erratic"}
    assert (report["adi"][intermittent] > 3).all()  # demand on 25% of days -> ADI ~ 4
    # no seasonality is fitted to intermittent SKUs
    assert not report["season7_significant"][intermittent].any()


def test_censored_demand_imputed_and_flagged():
    log = synthetic_log(n_skus=12, days=728, seed=5, censor_probability=0.3)
    truth = log.truth["mean"].to_numpy()
    smooth = ~log.truth["intermittent"].to_numpy()
    imputed = DigitalTwin(period="day").fit(log.sales).report_
    ignored = DigitalTwin(period="day", censoring="ignore").fit(log.sales).report_
    naive_error = (ignored["mean"].to_numpy() / truth - 1)[smooth]
    imputed_error = (imputed["mean"].to_numpy() / truth - 1)[smooth]
    assert naive_error.mean() < -0.08  # capped sales understate demand
    assert np.abs(imputed_error).max() < 0.06
    assert np.abs(imputed_error).mean() < np.abs(naive_error).mean() / 3
    assert (imputed["censoring"][imputed["censored_share"] > 0] == "imputed").all()
    assert (ignored["censoring"][ignored["censored_share"] > 0] == "ignored (biased low)").all()
    assert imputed["censored_share"][smooth].between(0.05, 0.3).all()


def test_censoring_unknown_without_stock_columns():
    log = synthetic_log(n_skus=3, days=100, seed=1)
    report = DigitalTwin(period="day").fit(log.sales[["date", "sku", "quantity"]]).report_
    assert (report["censoring"] == "unknown (no stock data)").all()


def test_exclude_censoring_drops_flagged_periods():
    demand = np.array([[5.0], [5.0], [1.0], [5.0], [5.0], [5.0]])
    censored = np.array([[False], [False], [True], [False], [False], [False]])
    fit = fit_demand(demand, censored=censored, censoring=Censoring.EXCLUDE)
    assert fit.mean[0] == pytest.approx(5.0)
    assert fit.censored_share[0] == pytest.approx(1 / 6)


@pytest.mark.parametrize("censoring", ["impute", "exclude"])
def test_a_sku_censored_in_every_period_falls_back_to_its_sales_with_a_warning(censoring):
    """Its mean was 0 with "exclude" and wherever the non-converging EM stopped with "impute"."""
    import pandas as pd

    from hybridinv.core.errors import PlanningWarning

    rng = np.random.default_rng(0)
    demand = rng.poisson(10.0, (30, 2)).astype(float)
    censored = np.zeros_like(demand, dtype=bool)
    censored[:, 0] = True
    with pytest.warns(PlanningWarning, match="SKU 'A' ran out of stock in every period"):
        fit = fit_demand(demand, censored=censored, censoring=censoring, skus=["A", "B"])
    assert fit.mean[0] == pytest.approx(demand[:, 0].mean())  # the sales: a lower bound
    assert list(fit.pattern) == ["smooth", "smooth"]  # classified on the sales too (it was "intermittent")
    days = pd.date_range("2024-01-01", periods=7 * 30, freq="D")
    sales = pd.concat([pd.DataFrame({"date": days, "sku": sku, "quantity": rng.poisson(10, days.size),
                                     "stockout": sku == "A"}) for sku in ("A", "B")])
    with pytest.warns(PlanningWarning, match="SKU 'A' ran out of stock in every period"):
        report = DigitalTwin(period="week", censoring=censoring).fit(sales).report_
    row = report.set_index("sku").loc["A"]
    assert row["mean"] == pytest.approx(row["sales_mean"]) and row["mean"] > 0
    assert row["censoring"].startswith("sales used")


def test_missing_periods_are_not_zero():
    demand = np.array([[np.nan], [np.nan], [4.0], [6.0], [4.0], [6.0]])
    fit = fit_demand(demand)
    assert fit.mean[0] == pytest.approx(5.0)
    assert fit.observed[0] == 4


def test_family_codes_cover_all_families(fitted):
    _, report = fitted
    assert set(report["family"]) <= {f.name.lower() for f in DemandFamily}


def test_bad_input_raises():
    with pytest.raises(PlanningError, match="demand"):
        fit_demand(np.array([[1.0], [-1.0], [1.0], [1.0]]))
    with pytest.raises(PlanningError, match=r"periods >= 4") as err:
        fit_demand(np.ones((2, 3)))
    assert err.value.column == "demand"


def test_empirical_loglik_is_the_add_one_smoothed_histogram() -> None:
    # reference by counting: P(v) = (count of v among the SKU's training values + 1) / (N + top), top = the SKU's own
    # largest training value + 2; a held-out value above it counts as max + 1 ("above every training value")
    from hybridinv.twin.demand_fit import _loglik

    rng = np.random.default_rng(7)
    y = rng.poisson(6.0, (12, 3)).astype(float)
    train = rng.poisson(6.0, (12, 3)).astype(float)
    use, train_use = rng.random((12, 3)) < 0.8, rng.random((12, 3)) < 0.7
    expected = []
    for i in range(3):
        past = train[train_use[:, i], i].tolist()
        top = int(max(past, default=0)) + 2
        logs = [np.log((past.count(min(v, top - 1)) + 1) / (len(past) + top)) for v in y[use[:, i], i]]
        expected.append(sum(logs) / max(len(logs), 1))
    got = _loglik(y, np.full(3, 6.0), np.full(3, 4.0), use, train, train_use)[:, 2]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_high_volume_demand_fits_without_a_dense_histogram() -> None:
    # weekly sums of 2.6e10 units allocated a 194 GiB histogram (MemoryError)
    demand = np.random.default_rng(3).integers(0, 3, (30, 2)).astype(float) * 7e9
    fit = fit_demand(demand)
    assert np.isfinite(fit.loglik).all() and (fit.mean > 1e9).all()


def test_a_series_without_demand_is_not_called_over_dispersed() -> None:
    """Every negative binomial size fits a mean of 0 alike, and rounding picked 27,535 (family negative binomial);
    twin.md says dispersion is inf where the data are not over-dispersed."""
    y = np.column_stack([np.zeros(36), np.random.default_rng(0).poisson(5.0, 36)]).astype(float)
    fit = fit_demand(y)
    assert fit.mean[0] == 0.0 and np.isinf(fit.dispersion[0])
    assert fit.family[0] == DemandFamily.POISSON


def test_a_skus_empirical_likelihood_does_not_depend_on_the_other_skus() -> None:
    """The histogram's support was the largest value of every SKU, held-out ones included: beside a fast mover an
    intermittent SKU's empirical log-likelihood fell from -1.63 to -6.38 and 574 of 2,674 car-parts SKUs changed
    family."""
    rng = np.random.default_rng(1)
    periods = 48
    slow = np.where(rng.random(periods) < 0.35, rng.choice([1, 2, 3, 6], size=periods), 0).astype(float)
    fast = rng.poisson(5000, periods).astype(float)
    alone = fit_demand(slow[:, None])
    beside = fit_demand(np.column_stack([slow, fast]))
    np.testing.assert_allclose(beside.loglik[0], alone.loglik[0], rtol=1e-12)
    assert beside.family[0] == alone.family[0]


def test_the_seasonality_test_keeps_its_level_on_flat_over_dispersed_series() -> None:
    """The scaled deviance against chi2 flagged 6.6% of flat negative-binomial series (36 months) seasonal at
    alpha 0.01; with the estimated dispersion it is an F test (about 1.5%)."""
    rng = np.random.default_rng(5)
    size, mean = 3.0, 20.0
    demand = rng.negative_binomial(size, size / (size + mean), (36, 1500)).astype(float)
    pvalue = fit_demand(demand, seasonal_cycles=(12,)).season_pvalue[0]
    assert (pvalue < 0.01).mean() < 0.03
