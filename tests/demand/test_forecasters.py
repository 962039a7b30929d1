"""Rolling forecasters (hybridinv/demand/forecasters.py): recursions checked by hand, selection, no look-ahead."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridinv.core.errors import PlanningError
from hybridinv.demand.forecasters import GRIDS, Forecaster, ForecastMethod


def _fit_only(y: np.ndarray, method: ForecastMethod, **params: float) -> Forecaster:
    saved = GRIDS[method]
    GRIDS[method] = {k: (v,) for k, v in params.items()}
    try:
        return Forecaster(season=None, methods=(method,)).fit(y)
    finally:
        GRIDS[method] = saved


def test_ses_one_step_forecasts_follow_the_recursion_by_hand() -> None:
    y = np.array([10.0, 12.0, 8.0, 14.0, 10.0, 9.0, 11.0, 13.0, 12.0, 10.0, 8.0, 12.0, 20.0, 4.0])
    fc = _fit_only(y[:, None], ForecastMethod.SES, alpha=0.3)
    rolled = fc.roll(y[:, None], start=0, horizon=3)
    level = y[:12].mean()  # initial level: mean of the first 12 observations
    for t, value in enumerate(y):
        assert rolled.mean[t, :, 0] == pytest.approx([level] * 3)
        level += 0.3 * (value - level)
    assert rolled.mean[len(y), 0, 0] == pytest.approx(level)


def test_croston_sba_by_hand() -> None:
    """Sizes and intervals are smoothed at demand occurrences only; forecast (1 - a/2) z / p."""
    y = np.array([0, 3, 0, 0, 6, 0, 2, 0, 0, 0, 0, 4, 0, 0, 5], dtype=float)
    alpha = 0.2
    fc = _fit_only(y[:, None], ForecastMethod.CROSTON_SBA, alpha=alpha)
    rolled = fc.roll(y[:, None], start=12, horizon=1)
    head = y[:12]
    hits = head[head > 0]
    size, interval = hits.mean(), 1.0 / ((hits.size + 0.5) / (12 + 1.0))
    since = 1.0
    forecasts = []
    for value in y:
        forecasts.append((1 - alpha / 2) * size / max(interval, 1.0))
        if value > 0:
            size += alpha * (value - size)
            interval += alpha * (since - interval)
            since = 1.0
        else:
            since += 1.0
    forecasts.append((1 - alpha / 2) * size / max(interval, 1.0))
    np.testing.assert_allclose(rolled.mean[:, 0, 0], forecasts[12:], rtol=1e-12)


def test_tsb_by_hand() -> None:
    y = np.array([0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    alpha, beta = 0.1, 0.3
    fc = _fit_only(y[:, None], ForecastMethod.TSB, alpha=alpha, beta=beta)
    rolled = fc.roll(y[:, None], start=0, horizon=1)
    head = y[:12]
    hits = head[head > 0]
    size, prob = hits.mean(), (hits.size + 0.5) / (12 + 1.0)
    for t, value in enumerate(y):
        assert rolled.mean[t, 0, 0] == pytest.approx(prob * size)
        prob += beta * (float(value > 0) - prob)
        if value > 0:
            size += alpha * (value - size)


def _holt_winters(history: np.ndarray, alpha: float, gamma: float) -> Forecaster:
    """A Holt-Winters forecaster (season 12) fitted on ``history`` with its grid fixed at ``alpha`` and ``gamma``."""
    saved = GRIDS[ForecastMethod.HOLT_WINTERS]
    GRIDS[ForecastMethod.HOLT_WINTERS] = {"alpha": (alpha,), "gamma": (gamma,)}
    try:
        return Forecaster(season=12, methods=(ForecastMethod.HOLT_WINTERS,)).fit(history)
    finally:
        GRIDS[ForecastMethod.HOLT_WINTERS] = saved


def test_holt_winters_follows_winters_recursions_and_stays_bounded_after_months_without_demand() -> None:
    """Winters (1960): l_t = l + a (y - l s) / s, s <- g y / l_t + (1 - g) s (the index over the updated level)."""
    t = np.arange(72)
    y = np.random.default_rng(3).poisson(20 + 10 * np.sin(2 * np.pi * t / 12)).astype(float)
    y[48:52] = 0.0  # four months without sales, then demand as before
    fc = _holt_winters(y[:48, None], alpha=0.4, gamma=0.3)
    assert fc.method_[0] == "holt_winters"
    rolled = fc.roll(y[:, None], start=0, horizon=1)
    level = y[:12].mean()
    index = list(np.clip(y[:24].reshape(2, 12).mean(axis=0) / y[:24].mean(), 0.05, 20.0))
    expected = []
    for k, value in enumerate(y):
        expected.append(level * index[k % 12])
        new_level = max(level + 0.4 * (value - level * index[k % 12]) / index[k % 12], 0.0)
        if new_level > 1e-9:
            index[k % 12] = float(np.clip(index[k % 12] + 0.3 * (value / new_level - index[k % 12]), 0.05, 20.0))
        level = new_level
    np.testing.assert_allclose(rolled.mean[:72, 0, 0], expected, rtol=1e-9)
    # the first sale after the zeros set its index to y / l_(t-1): 153.7 forecast in period 64 for a mean of 28.7
    assert rolled.mean[52:, 0, 0].max() < 2.5 * y[:48].max()


def test_damped_trend_extrapolates_a_rising_series_less_than_linearly() -> None:
    y = (50.0 + 3.0 * np.arange(40))[:, None]
    fc = _fit_only(y, ForecastMethod.DAMPED, alpha=0.4, beta=0.3, phi=0.9)
    ahead = fc.roll(y, start=40, horizon=6).mean[0, :, 0]
    assert (np.diff(ahead) > 0).all()  # still rising
    assert ahead[-1] - ahead[0] < 3.0 * 5  # but damped: less than the linear trend
    assert ahead[0] == pytest.approx(50.0 + 3.0 * 40, rel=0.05)


def test_holt_winters_learns_a_seasonal_cycle() -> None:
    season = np.array([0.6, 0.8, 1.0, 1.3, 1.5, 1.2, 1.0, 0.9, 0.8, 0.9, 1.0, 1.0])
    y = (100.0 * np.tile(season, 6))[:, None]
    fc = Forecaster(season=12).fit(y)
    assert fc.method_[0] == "holt_winters"
    ahead = fc.roll(y, start=72, horizon=12).mean[0, :, 0]
    np.testing.assert_allclose(ahead, 100.0 * season, rtol=0.02)


def test_selection_by_demand_pattern() -> None:
    rng = np.random.default_rng(0)
    smooth = rng.poisson(40.0, size=(60, 5)).astype(float)
    sparse = (rng.random((60, 5)) < 0.15) * rng.poisson(3.0, size=(60, 5)).astype(float)
    fc = Forecaster(season=12).fit(np.hstack([smooth, sparse]))
    assert set(fc.method_[:5]) <= {"ses", "damped", "holt_winters"}
    assert set(fc.method_[5:]) <= {"croston_sba", "tsb", "ses"}
    assert list(fc.pattern_) == ["smooth"] * 5 + ["intermittent"] * 5
    assert np.isfinite(fc.mse_).all()


def test_missing_observations_leave_the_state_unchanged() -> None:
    y = np.array([np.nan, np.nan, 10.0, 10.0, 10.0, 10.0, np.nan, 10.0])[:, None]
    fc = _fit_only(y, ForecastMethod.SES, alpha=0.5)
    rolled = fc.roll(y, start=0, horizon=1)
    np.testing.assert_allclose(rolled.mean[2:, 0, 0], 10.0)


def test_standard_deviation_tracks_one_step_errors() -> None:
    rng = np.random.default_rng(1)
    calm = rng.normal(100.0, 2.0, size=(80, 1)).clip(0)
    wild = rng.normal(100.0, 20.0, size=(80, 1)).clip(0)
    fc = Forecaster(season=None).fit(np.hstack([calm, wild]))
    std = fc.roll(np.hstack([calm, wild]), start=80, horizon=1).std[0, 0]
    assert 1.0 < std[0] < 4.0
    assert 12.0 < std[1] < 32.0


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), cut=st.integers(0, 30), intermittent=st.booleans())
def test_forecasts_never_look_ahead(seed: int, cut: int, intermittent: bool) -> None:
    """Changing the periods from ``cut`` on leaves every forecast made at origins <= cut unchanged.

    Cuts inside the first 12 rows included: the starting states used to come from the rolled
    history's first rows (now from the training window's).
    """
    rng = np.random.default_rng(seed)
    rate = 0.3 if intermittent else 20.0
    y = rng.poisson(rate, size=(40, 6)).astype(float)
    changed = y.copy()
    changed[cut:] = rng.poisson(rate * 3, size=(40 - cut, 6))
    fc = Forecaster(season=12).fit(y[:14])
    a = fc.roll(y, start=0, horizon=4)
    b = fc.roll(changed, start=0, horizon=4)
    np.testing.assert_array_equal(a.mean[: cut + 1], b.mean[: cut + 1])
    np.testing.assert_array_equal(a.std[: cut + 1], b.std[: cut + 1])
    assert not np.array_equal(a.mean[cut + 1 :], b.mean[cut + 1 :])


@pytest.mark.parametrize("cut", [0, 3, 7, 15])
def test_holt_winters_and_late_series_start_from_the_training_window_only(cut: int) -> None:
    """Seasonal indices (two cycles) and a series first observed late: no origin sees later rows."""
    rng = np.random.default_rng(5)
    t = np.arange(60)
    y = rng.poisson(40 * (1 + 0.5 * np.sin(2 * np.pi * t / 8))[:, None] * np.ones(4)).astype(float) + 1
    y[:10, 3] = np.nan  # not observed yet
    fc = Forecaster(season=8).fit(y[:24])
    assert list(fc.method_[:3]) == [ForecastMethod.HOLT_WINTERS.value] * 3
    assert fc.method_[3] != ForecastMethod.HOLT_WINTERS.value  # two whole cycles are not observed
    changed = y.copy()
    changed[cut:] *= 3
    for rolled in (y, changed, y[:40]):  # any history that begins with the training window's period
        a = fc.roll(y, start=0, horizon=3)
        b = fc.roll(rolled, start=0, horizon=3)
        last = cut if rolled is changed else 40
        np.testing.assert_array_equal(a.mean[: last + 1], b.mean[: last + 1])
        np.testing.assert_array_equal(a.std[: last + 1], b.std[: last + 1])
    # the fitted forecaster rolled over its own training window forecasts as in fitting (same start)
    inside = fc.roll(y[:24], start=0, horizon=1).one_step
    assert np.isfinite(inside).all() and not np.array_equal(inside[1:], inside[:-1])


def test_subset_rolls_like_the_full_forecaster() -> None:
    rng = np.random.default_rng(2)
    y = rng.poisson(np.linspace(0.2, 30.0, 8), size=(50, 8)).astype(float)
    fc = Forecaster().fit(y[:40])
    cols = np.array([1, 4, 7])
    full = fc.roll(y, start=40, horizon=3)
    part = fc.subset(cols).roll(y[:, cols], start=40, horizon=3)
    np.testing.assert_array_equal(part.mean, full.mean[:, :, cols])
    np.testing.assert_array_equal(part.std, full.std[:, :, cols])


def test_bad_input_is_refused() -> None:
    with pytest.raises(PlanningError, match="history"):
        Forecaster().fit(np.array([[1.0], [-2.0], [3.0]]))
    with pytest.raises(PlanningError, match="fit"):
        Forecaster().roll(np.ones((5, 1)), start=1, horizon=1)
    fc = Forecaster(season=None).fit(np.ones((10, 2)))
    with pytest.raises(PlanningError, match="series"):
        fc.roll(np.ones((10, 3)), start=1, horizon=1)
    # horizon 0 was refused naming start (and start's value); 2.5 for either was a bare TypeError
    for start, horizon, column, value in ((1, 0, "horizon", 0), (1, 2.5, "horizon", 2.5), (2.5, 1, "start", 2.5),
                                          (-1, 1, "start", -1), (11, 1, "start", 11), (1, "3", "horizon", "3")):
        with pytest.raises(PlanningError) as info:
            fc.roll(np.ones((10, 2)), start=start, horizon=horizon)  # type: ignore[arg-type]
        assert (info.value.column, info.value.value) == (column, value)
    assert fc.roll(np.ones((10, 2)), start=10.0, horizon=np.int64(2)).mean.shape == (1, 2, 2)  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="holdout"):
        Forecaster(holdout=1.5).fit(np.ones((10, 1)))
    with pytest.raises(PlanningError, match="at least one method") as info:  # () silently meant every method
        Forecaster(methods=())
    assert info.value.column == "methods"
    assert Forecaster(methods="ses").methods == ("ses",)  # one name was read letter by letter
    for bad in (True, 0):  # "object of type 'bool' has no len()"
        with pytest.raises(PlanningError, match="list of method names") as info:
            Forecaster(methods=bad)  # type: ignore[arg-type]
        assert info.value.column == "methods"


def test_damped_trend_learns_from_its_own_forecast_not_the_one_clipped_at_zero() -> None:
    y = np.r_[np.linspace(40, 4, 30), np.zeros(6), np.full(10, 15.0)]
    fc = _fit_only(y[:36, None], ForecastMethod.DAMPED, alpha=0.4, beta=0.3, phi=0.98)
    rolled = fc.roll(y[:, None], start=0, horizon=1)
    level, trend, expected = y[:12].mean(), 0.0, []
    for value in y:
        forecast = level + 0.98 * trend
        expected.append(max(forecast, 0.0))
        level, trend = forecast + 0.4 * (value - forecast), 0.98 * trend + 0.4 * 0.3 * (value - forecast)
    np.testing.assert_allclose(rolled.mean[: len(y), 0, 0], expected, rtol=1e-9, atol=1e-9)
    assert min(expected[30:37]) == 0.0  # the model's forecast went below 0 in the months without demand


def test_a_series_first_seen_after_the_training_window_starts_at_its_first_value() -> None:
    train = np.c_[np.full(24, 50.0), np.full(24, np.nan)]  # the second SKU is new: no training row
    history = np.r_[train, np.c_[np.full(10, 50.0), np.full(10, 100.0)]]
    rolled = Forecaster(season=None).fit(train).roll(history, start=24, horizon=1)
    np.testing.assert_allclose(rolled.mean[1:, 0, 1], 100.0)  # was 10, 19, 27.1, ... at alpha 0.1


def test_croston_starts_from_the_first_observed_values_of_a_late_series() -> None:
    pattern = np.tile([0.0, 0.0, 100.0, 0.0], 10)
    early = _fit_only(pattern[:, None], ForecastMethod.CROSTON_SBA, alpha=0.1)
    late_history = np.r_[np.full(24, np.nan), pattern][:, None]
    late = _fit_only(late_history, ForecastMethod.CROSTON_SBA, alpha=0.1)
    np.testing.assert_allclose(late.roll(late_history, start=24, horizon=1).mean[:, 0, 0],
                               early.roll(pattern[:, None], start=0, horizon=1).mean[:, 0, 0], rtol=1e-12)


def test_the_forecast_std_of_quantities_that_are_not_counts_does_not_depend_on_the_unit() -> None:
    y = 100.0 + np.random.default_rng(0).normal(0.0, 2.0, 48)
    spreads = []
    for unit in (1e-3, 1.0, 1e3):
        fc = Forecaster(season=None).fit(unit * y[:36, None])
        spreads.append(fc.roll(unit * y[:, None], start=36, horizon=1).std[:, 0, 0] / unit)
    np.testing.assert_allclose(spreads[0], spreads[2], rtol=1e-4)  # was 12 x the noise in thousandths
    np.testing.assert_allclose(spreads[1], spreads[2], rtol=1e-4)
    assert spreads[0].max() < 4.0  # the noise's sd is 2
    counts = np.random.default_rng(1).poisson(100.0, 48).astype(float)  # counts keep the Poisson floor
    fc = Forecaster(season=None).fit(counts[:36, None])
    assert fc.roll(counts[:, None], start=36, horizon=1).std[0, 0, 0] >= np.sqrt(0.25 * counts[:12].mean())


# ---------------------------------------------------------------------- 2026-12-07 probe of forecasting
SEASON = np.array([5, 7, 10, 14, 18, 20, 18, 14, 10, 7, 5, 4], dtype=float)


def test_one_missing_value_in_the_first_two_cycles_keeps_holt_winters_and_its_level() -> None:
    """One NaN (the peak of the first cycle) turned Holt-Winters off: a flat SES forecast of 4.3."""
    y = np.tile(SEASON, 4)
    y[5] = np.nan
    fc = Forecaster(season=12).fit(y)
    assert list(fc.method_) == ["holt_winters"] and fc.fallback_[0] == ""
    # the level is the cycle's deseasonalized mean (the plain mean of the other 11 months was 10.3, not 11.1):
    # on an exact cycle every forecast is exact
    np.testing.assert_allclose(fc.roll(y, start=0, horizon=12).mean[:, 0, 0], np.tile(SEASON, 5)[:49], rtol=1e-12)


def test_holt_winters_with_gaps_in_its_first_cycles_follows_a_reference_recursion() -> None:
    t = np.arange(60)
    y = np.random.default_rng(4).poisson(20 + 10 * np.sin(2 * np.pi * t / 12)).astype(float) + 1.0
    y[[3, 5, 30]] = np.nan  # phases 3 and 5 seen in the second cycle only, and a gap later on
    fc = _holt_winters(y[:48, None], alpha=0.3, gamma=0.2)
    assert fc.method_[0] == "holt_winters"
    head = y[:24].reshape(2, 12)
    by_phase = np.nanmean(head, axis=0)
    index = list(np.clip(by_phase / by_phase.mean(), 0.05, 20.0))
    first = y[:12]
    seen = ~np.isnan(first)
    level = first[seen].sum() / np.array(index)[seen].sum()
    expected = []
    for k, value in enumerate(y):
        expected.append(level * index[k % 12])
        if np.isnan(value):
            continue
        level = max(level + 0.3 * (value - level * index[k % 12]) / index[k % 12], 0.0)
        if level > 1e-9:
            index[k % 12] = float(np.clip(index[k % 12] + 0.2 * (value / level - index[k % 12]), 0.05, 20.0))
    np.testing.assert_allclose(fc.roll(y[:, None], start=0, horizon=1).mean[:60, 0, 0], expected, rtol=1e-9)


def test_seasonal_start_needs_every_phase_once_in_two_cycles_and_a_value_in_the_first() -> None:
    from hybridinv.demand.forecasters import seasonal_start

    y = np.tile(SEASON, 4)[:, None].repeat(5, axis=1)
    y[[5, 17], 1] = np.nan  # phase 5 in neither of the first two cycles
    y[:12, 2] = np.nan  # nothing in the first cycle: no level to start from
    y[[0, 13, 26], 3] = np.nan  # every phase seen at least once (phase 2's third-cycle gap does not matter)
    assert list(seasonal_start(y, 12)) == [True, False, False, True, True]
    assert list(seasonal_start(y[:27], 12)) == [False] * 5  # 2 * 12 + 4 = 28 periods needed
    assert seasonal_start(y[:28], 12).all() == seasonal_start(y, 12).all()
    assert not seasonal_start(y, None).any()
    methods = Forecaster(season=12).fit(y).method_
    assert list(methods == "holt_winters") == [True, False, False, True, True]


def test_methods_that_cannot_apply_are_refused_or_fall_back_with_the_reason() -> None:
    import warnings

    from hybridinv.core.errors import PlanningWarning

    with pytest.raises(PlanningError, match="needs a season") as info:  # every series silently got ses
        Forecaster(season=None, methods=["holt_winters"])
    assert info.value.column == "methods"
    smooth = np.tile(SEASON, 4)[:, None]
    sparse = np.tile([0.0, 0.0, 3.0, 0.0], 12)[:, None]
    with pytest.warns(PlanningWarning, match=r"methods=\['croston_sba'\]\): 1 of 2 series got ses") as caught:
        fc = Forecaster(methods=["croston_sba"]).fit(np.hstack([smooth, sparse]))
    assert len(caught) == 1
    assert list(fc.method_) == ["ses", "croston_sba"]
    assert "croston_sba: a smooth series" in fc.fallback_[0] and fc.fallback_[1] == ""
    assert fc.subset([0]).fallback_[0] == fc.fallback_[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with every method (ses included) nothing to warn about
        assert Forecaster().fit(np.hstack([smooth, sparse])).fallback_.tolist() == ["", ""]
        assert Forecaster(methods=["ses", "croston_sba"]).fit(smooth).method_.tolist() == ["ses"]


@pytest.mark.parametrize(("columns", "value"), [([3], 3), ([0.7], 0.7), ([-1], -1), ([0, 1.0, np.nan], np.nan)])
def test_subset_refuses_positions_that_are_not_series(columns: list, value: object) -> None:
    fc = Forecaster(season=None).fit(np.ones((10, 2)))
    with pytest.raises(PlanningError) as info:  # IndexError, 0.7 read as 0, -1 as the last series
        fc.subset(columns)
    assert info.value.column == "columns"
    assert info.value.value == value or (np.isnan(value) and np.isnan(info.value.value))  # type: ignore[arg-type]
    assert fc.subset([1.0]).n_series_ == 1


def test_a_history_of_text_names_the_argument() -> None:
    with pytest.raises(PlanningError) as info:  # numpy's "could not convert string to float: 'a'"
        Forecaster().fit([["a"], ["b"]])
    assert info.value.column == "history"
