"""Tests for hybridinv.demand.processes: distributions against theory, patterns, determinism."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hybridinv import PlanningError
from hybridinv.demand import (
    CommonFactor,
    DemandDistribution,
    DemandProcess,
    Promotions,
    RegimeShifts,
    Seasonality,
)


def _sample(process: DemandProcess, periods: int, seed: int = 0):  # type: ignore[no-untyped-def]
    return process.sample(np.random.default_rng(seed), periods)


def _within(sample: np.ndarray, mean: float, variance: float, z: float = 4.5) -> None:
    """Sample mean and variance within ``z`` standard errors of theory (variance SE by the 4th moment)."""
    n = sample.size
    assert abs(sample.mean() - mean) < z * np.sqrt(variance / n), (sample.mean(), mean)
    centred = sample - sample.mean()
    se_var = np.sqrt(max(np.mean(centred**4) - variance**2, 1e-12) / n)
    assert abs(sample.var() - variance) < z * se_var, (sample.var(), variance)


# ---------------------------------------------------------------------- distributions
@pytest.mark.parametrize("mean", [0.7, 6.0, 40.0])
def test_poisson_mean_and_variance(mean: float) -> None:
    path = _sample(DemandProcess(mean=np.full(4, mean)), 50_000)
    _within(path.realized.ravel(), mean, mean)
    np.testing.assert_allclose(path.std, np.sqrt(mean))
    assert np.all(path.realized == np.round(path.realized))


@pytest.mark.parametrize(("mean", "dispersion"), [(5.0, 2.0), (20.0, 0.8), (3.0, 10.0)])
def test_negative_binomial_variance_is_m_plus_m2_over_k(mean: float, dispersion: float) -> None:
    process = DemandProcess(mean=np.full(4, mean), distribution="negative_binomial", dispersion=dispersion)
    path = _sample(process, 50_000, seed=1)
    variance = mean + mean**2 / dispersion
    _within(path.realized.ravel(), mean, variance)
    np.testing.assert_allclose(path.std, np.sqrt(variance))


@pytest.mark.parametrize("dispersion", [1e12, 1e17, 1e300])
def test_negative_binomial_of_huge_dispersion_draws_its_poisson_limit(dispersion: float) -> None:
    """p = k / (k + m) rounded to 1 from k/m near 1e16, and numpy drew zeros (fill rate 1 on no demand)."""
    process = DemandProcess(mean=np.array([5.0, 0.002]), distribution="negative_binomial", dispersion=dispersion)
    path = _sample(process, 50_000, seed=3)
    _within(path.realized[:, 0], 5.0, 5.0)
    _within(path.realized[:, 1], 0.002, 0.002)


def test_integer_normal_mean_and_variance() -> None:
    mean, cv = 30.0, 0.2
    process = DemandProcess(mean=np.full(4, mean), distribution=DemandDistribution.NORMAL, cv=cv)
    path = _sample(process, 50_000, seed=2)
    # rounding to integers adds the variance of a uniform on [-1/2, 1/2]
    _within(path.realized.ravel(), mean, (cv * mean) ** 2 + 1.0 / 12.0)
    assert path.realized.min() >= 0 and np.all(path.realized == np.round(path.realized))


def test_empirical_bootstrap_reproduces_history() -> None:
    rng = np.random.default_rng(3)
    history = np.vstack([rng.poisson(4.0, 60), rng.choice([0.0, 0.0, 12.0], 60)]).astype(float)
    process = DemandProcess(mean=history.mean(axis=1), distribution="empirical", history=history)
    path = _sample(process, 40_000, seed=4)
    for i in range(2):
        _within(path.realized[:, i], history[i].mean(), history[i].var())
        assert set(np.unique(path.realized[:, i])) <= set(np.unique(history[i]))


def test_empirical_needs_history() -> None:
    with pytest.raises(PlanningError, match="'history'"):
        DemandProcess(mean=np.ones(2), distribution="empirical")


def test_empirical_history_of_zeros_needs_a_mean_of_zero() -> None:
    # the finding: a SKU whose history held no demand drew 0 every period while its expected demand, what
    # policies plan for, was the mean (3 here): the scale mean / history mean had nothing to scale
    history = np.array([[0.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
    with pytest.raises(PlanningError, match="all-zero history") as info:
        DemandProcess(mean=np.array([2.0, 3.0]), distribution="empirical", history=history)
    assert (info.value.column, info.value.value) == ("history", 3.0)
    # with mean 0 the same history is consistent: no demand expected, none drawn
    path = _sample(DemandProcess(mean=np.array([2.0, 0.0]), distribution="empirical", history=history), 50, seed=1)
    assert (path.realized[:, 1] == 0).all() and (path.expected[:, 1] == 0).all()


def test_negative_mean_is_rejected() -> None:
    with pytest.raises(PlanningError) as info:
        DemandProcess(mean=np.array([1.0, -2.0]))
    assert info.value.column == "demand_mean" and info.value.value == -2.0


def test_a_mean_above_max_quantity_is_rejected() -> None:
    # 1e20 was accepted and failed at the first draw with numpy's "lam value too large"
    with pytest.raises(PlanningError) as info:
        DemandProcess(mean=np.array([5.0, 1e20]))
    assert info.value.column == "demand_mean" and info.value.value == 1e20


@pytest.mark.parametrize("distribution", list(DemandDistribution)[:3])
def test_patterns_that_compound_past_any_count_are_capped_at_max_quantity(distribution) -> None:
    # regime jumps of x1.5-2 in half the periods multiply a mean of 1e9 far past what numpy draws (ValueError)
    process = DemandProcess(mean=[1e9, 3.0], distribution=distribution,
                            regime_shifts=RegimeShifts(probability=0.5, low=1.5, high=2.0))
    path = _sample(process, 200)
    assert np.isfinite(path.realized).all()
    # the level passes 1e12 within ~60 periods: the last 100 periods are draws around the capped mean
    assert path.realized[-100:, 0].mean() == pytest.approx(1e12, rel=0.3)
    assert path.realized[:3, 1].max() < 100  # the other SKU keeps its own level


def test_unknown_distribution_is_rejected() -> None:
    with pytest.raises(ValueError, match="gamma"):
        DemandProcess(mean=np.ones(2), distribution="gamma")


@pytest.mark.parametrize(("kwargs", "column"), [
    ({"distribution": "poison"}, "distribution"), ({"trend": np.nan}, "trend"), ({"trend": np.ones(3)}, "trend"),
    ({"seasonality": (0, 0.3, 0.0)}, "seasonality.period"),
    ({"seasonality": (7, np.nan, 0.0)}, "seasonality.amplitude"),
    ({"seasonality": (7, np.array([0.3, 1.5]), 0.0)}, "seasonality.amplitude"),
    ({"seasonality": (7, 0.3, np.inf)}, "seasonality.phase"),
])
def test_bad_process_parameters_name_the_field(kwargs: dict, column: str) -> None:
    # a NaN trend or seasonality period 0 raised numpy's "lam value too large" at the first draw, a trend of
    # the wrong length a broadcast error, and amplitude 1.5 silently clipped demand to 0 in the off-season
    with pytest.raises(PlanningError) as info:
        if "seasonality" in kwargs:
            kwargs = {"seasonality": (Seasonality(*kwargs["seasonality"]),)}
        DemandProcess(mean=np.ones(2), **kwargs)
    assert info.value.column == column


@pytest.mark.parametrize(("name", "value"), [
    ("amplitude", np.array([0.1, 0.2, 0.3])), ("phase", np.array([1.0])), ("amplitude", np.full((2, 1), 0.2)),
])
def test_per_sku_seasonality_of_the_wrong_length_is_refused_at_construction(name: str, value: np.ndarray) -> None:
    # 3 amplitudes for 2 SKUs were accepted and failed at the first draw with a numpy broadcast error
    season = Seasonality(period=7, **{name: value})
    with pytest.raises(PlanningError) as info:
        DemandProcess(mean=[5.0, 5.0], seasonality=(Seasonality(period=52), season))
    assert (info.value.column, info.value.value) == (f"seasonality.{name}", value.shape)
    assert "cycle 1" in str(info.value) and "2 per-SKU values" in str(info.value)
    one_per_sku = DemandProcess(mean=[5.0, 5.0], seasonality=(Seasonality(period=7, **{name: np.full(2, 0.2)}),))
    assert _sample(one_per_sku, 7).expected.shape == (7, 2)


# ---------------------------------------------------------------------- patterns
def test_a_seasonal_amplitude_given_as_text_is_refused() -> None:
    """"0.3" was read as 0.3 (a period of "7" was refused)."""
    with pytest.raises(PlanningError, match="not booleans or text") as info:
        Seasonality(12, amplitude="0.3")  # type: ignore[arg-type]
    assert info.value.column == "seasonality.amplitude"


@pytest.mark.parametrize("period", [7, 52])
def test_seasonality_in_expected_path(period: int) -> None:
    amplitude, phase = np.array([0.3, 0.5]), np.array([0.0, 2.0])
    process = DemandProcess(mean=np.array([10.0, 4.0]), seasonality=(Seasonality(period, amplitude, phase),))
    path = _sample(process, 3 * period)
    t = np.arange(3 * period)[:, None]
    truth = np.array([10.0, 4.0]) * (1 + amplitude * np.sin(2 * np.pi * (t + phase) / period))
    np.testing.assert_allclose(path.expected, truth)
    np.testing.assert_allclose(path.expected[:period], path.expected[period : 2 * period])


def test_weekly_cycle_visible_in_realized_demand() -> None:
    process = DemandProcess(mean=np.full(50, 20.0), seasonality=(Seasonality(7, 0.4),))
    path = _sample(process, 7 * 200)
    by_day = path.realized.reshape(200, 7, 50).mean(axis=(0, 2))
    truth = 20.0 * (1 + 0.4 * np.sin(2 * np.pi * np.arange(7) / 7))
    np.testing.assert_allclose(by_day, truth, rtol=0.02)


def test_linear_trend_in_expected_path() -> None:
    process = DemandProcess(mean=np.array([10.0, 10.0]), trend=np.array([0.01, -0.002]))
    path = _sample(process, 100)
    t = np.arange(100)
    np.testing.assert_allclose(path.expected[:, 0], 10 * (1 + 0.01 * t))
    np.testing.assert_allclose(path.expected[:, 1], 10 * (1 - 0.002 * t))


def test_promotions_raise_expected_and_realized_demand_by_the_lift() -> None:
    process = DemandProcess(mean=np.full(40, 10.0), promotions=Promotions(probability=0.05, lift=2.5, duration=3))
    path = _sample(process, 5_000, seed=5)
    active = path.expected > 10.0
    np.testing.assert_allclose(np.unique(path.expected), [10.0, 25.0])
    # a promotion starting with probability p and lasting d periods is active w.p. 1 - (1 - p)^d
    share = 1 - 0.95**3
    assert abs(active.mean() - share) < 0.01
    lift = path.realized[active].mean() / path.realized[~active].mean()
    assert lift == pytest.approx(2.5, rel=0.02)
    # promotions last `duration` periods: runs of active periods are multiples-ish, never shorter than 3
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], active[:, 0].astype(int), [0]]))))[::2]
    assert runs.min() >= 3


def test_promotion_duration_zero_is_refused_and_one_lifts_exactly_the_start_period() -> None:
    # duration 0 was accepted yet every start lifted one period (half the periods at probability 0.5)
    with pytest.raises(PlanningError) as info:
        Promotions(probability=0.5, lift=3.0, duration=0)
    assert (info.value.column, info.value.value) == ("promotions.duration", 0)
    process = DemandProcess(mean=np.full(20, 10.0), promotions=Promotions(probability=0.5, lift=3.0, duration=1))
    expected = _sample(process, 200, seed=0).expected
    # truth: the promotion starts drawn from the first of the four spawned streams, one period each
    starts = np.random.default_rng(0).spawn(4)[0].random((200, 20)) < 0.5
    np.testing.assert_array_equal(expected, np.where(starts, 30.0, 10.0))
    no_promotions = DemandProcess(mean=np.full(20, 10.0), promotions=Promotions(probability=0.0, lift=3.0))
    np.testing.assert_array_equal(_sample(no_promotions, 200).expected, 10.0)


def test_a_promotion_longer_than_the_horizon_lifts_every_period_from_its_start() -> None:
    # duration 12 over 5 periods failed with numpy's "operands could not be broadcast together"
    process = DemandProcess(mean=np.full(3, 10.0), promotions=Promotions(probability=0.3, lift=2.0, duration=12))
    for periods in (1, 5, 13, 40):
        expected = _sample(process, periods, seed=4).expected
        # truth: a period is lifted once any start at or before it is within 12 periods
        starts = np.random.default_rng(4).spawn(4)[0].random((periods, 3)) < 0.3
        active = np.array([[starts[max(0, t - 11): t + 1, i].any() for i in range(3)] for t in range(periods)])
        np.testing.assert_array_equal(expected, np.where(active, 20.0, 10.0))


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"seasonality": Seasonality(7)}, "seasonality"),  # "'Seasonality' object is not iterable" at the draw
        ({"seasonality": (7,)}, "seasonality"),  # "'int' object has no attribute 'amplitude'"
        ({"promotions": 0.1}, "promotions"),
        ({"regime_shifts": (0.01, 0.6, 1.6)}, "regime_shifts"),
        ({"common_factor": 0.2}, "common_factor"),
    ],
)
def test_pattern_components_of_the_wrong_type_are_refused_when_built(kwargs: dict[str, object], column: str) -> None:
    with pytest.raises(PlanningError) as info:
        DemandProcess(mean=np.ones(2), **kwargs)  # type: ignore[arg-type]
    assert info.value.column == column


def test_a_list_of_seasonal_cycles_is_a_tuple_of_them() -> None:
    cycles = [Seasonality(7, 0.2), Seasonality(52, 0.3)]
    as_list = DemandProcess(mean=np.full(2, 5.0), seasonality=cycles)  # type: ignore[arg-type]
    assert as_list.seasonality == tuple(cycles)
    np.testing.assert_array_equal(as_list.pattern(60), DemandProcess(mean=np.full(2, 5.0),
                                                                     seasonality=tuple(cycles)).pattern(60))


def test_regime_shifts_move_realized_but_not_expected_demand() -> None:
    base = DemandProcess(mean=np.full(30, 20.0), distribution="normal", cv=0.1)
    shifted = DemandProcess(
        mean=np.full(30, 20.0), distribution="normal", cv=0.1, regime_shifts=RegimeShifts(0.02, 0.5, 2.0)
    )
    a, b = _sample(base, 1_000, seed=6), _sample(shifted, 1_000, seed=6)
    np.testing.assert_array_equal(a.expected, b.expected)
    late = slice(500, 1000)
    ratio = b.realized[late].mean(axis=0) / b.expected[late].mean(axis=0)
    assert np.abs(np.log(ratio)).max() > 0.3  # some SKUs drifted far from the forecast
    assert np.abs(a.realized[late].mean(axis=0) / 20.0 - 1).max() < 0.05


def test_common_factor_correlates_skus() -> None:
    sigma, rho = 0.3, 0.6
    process = DemandProcess(mean=np.full(12, 1e4), common_factor=CommonFactor(sigma, rho))
    path = _sample(process, 4_000, seed=7)
    corr = np.corrcoef(path.realized.T)
    off = corr[~np.eye(12, dtype=bool)]
    # correlation of two log-normal multipliers whose logs have correlation rho
    lognormal = (np.exp(sigma**2 * rho) - 1) / (np.exp(sigma**2) - 1)
    assert off.mean() == pytest.approx(lognormal, abs=0.03)
    assert off.mean() == pytest.approx(rho, abs=0.05)
    assert off.min() > 0.4
    assert path.realized.mean() == pytest.approx(1e4, rel=0.01)  # the multiplier has mean 1
    independent = _sample(DemandProcess(mean=np.full(12, 1e4)), 4_000, seed=7)
    assert abs(np.corrcoef(independent.realized.T)[~np.eye(12, dtype=bool)].mean()) < 0.02


# ---------------------------------------------------------------------- determinism
def _full_process(**changes: object) -> DemandProcess:
    options: dict[str, object] = {
        "mean": np.linspace(2.0, 30.0, 8),
        "distribution": "normal",
        "cv": 0.25,
        "seasonality": (Seasonality(52, 0.3),),
        "promotions": Promotions(0.05, 2.0, 2),
        "regime_shifts": RegimeShifts(0.02),
        "common_factor": CommonFactor(0.2, 0.5),
    }
    options.update(changes)
    return DemandProcess(**options)  # type: ignore[arg-type]


def test_same_seed_same_path_different_seed_different_path() -> None:
    process = _full_process()
    a, b, c = _sample(process, 300, 11), _sample(process, 300, 11), _sample(process, 300, 12)
    np.testing.assert_array_equal(a.realized, b.realized)
    np.testing.assert_array_equal(a.expected, b.expected)
    assert not np.array_equal(a.realized, c.realized)
    assert not np.array_equal(a.expected, c.expected)  # promotions differ too


def test_changing_the_promotion_lift_keeps_every_other_draw() -> None:
    a = _sample(_full_process(), 400, 13)
    b = _sample(_full_process(promotions=Promotions(0.05, 3.0, 2)), 400, 13)
    plain = _sample(_full_process(promotions=None), 400, 13).expected
    np.testing.assert_array_equal(a.expected > plain, b.expected > plain)  # same promotion periods
    quiet = a.expected == plain
    assert 0.8 < quiet.mean() < 1.0
    np.testing.assert_array_equal(a.realized[quiet], b.realized[quiet])
    assert not np.array_equal(a.realized[~quiet], b.realized[~quiet])


def test_changing_the_common_factor_keeps_the_promotions() -> None:
    a = _sample(_full_process(), 400, 14)
    b = _sample(_full_process(common_factor=CommonFactor(0.4, 0.9)), 400, 14)
    np.testing.assert_array_equal(a.expected, b.expected)
    assert not np.array_equal(a.realized, b.realized)


def test_removing_regime_shifts_keeps_the_count_noise() -> None:
    # integer normal: realized = rint(level * (1 + cv z)); the z come from their own stream
    a = _sample(_full_process(regime_shifts=None, common_factor=None), 400, 15)
    b = _sample(_full_process(regime_shifts=RegimeShifts(0.0), common_factor=None), 400, 15)
    np.testing.assert_array_equal(a.realized, b.realized)


@pytest.mark.parametrize("mean", [["a"], [1.0, "2"], [True, 3.0]])
def test_a_mean_that_is_not_numbers_is_refused_naming_it(mean: list) -> None:
    """Text was numpy's bare ValueError ("could not convert string to float"); True was read as 1."""
    with pytest.raises(PlanningError) as info:
        DemandProcess(mean=mean)
    assert info.value.column == "demand_mean"


@pytest.mark.parametrize(("build", "column"), [
    (lambda m: DemandProcess(mean=m, distribution="negative_binomial", dispersion=1e-300), "dispersion"),
    (lambda m: DemandProcess(mean=m, common_factor=CommonFactor(sigma=1e300)), "common_factor.sigma"),
    (lambda m: DemandProcess(mean=m, promotions=Promotions(probability=0.5, lift=1e308)), "promotions.lift"),
])
def test_parameters_beyond_what_can_be_drawn_are_refused(build, column) -> None:  # type: ignore[no-untyped-def]
    # the finding: each built, then failed at the first draw with numpy's own error (n too large or p too
    # small; OverflowError (34); overflow in multiply)
    with pytest.raises(PlanningError) as err:
        build(np.full(3, 5.0))
    assert err.value.column == column


def test_regime_jumps_that_compound_past_floats_are_capped_without_warnings() -> None:
    # jumps of 1e300 overflowed in exp (a RuntimeWarning); the period's mean is capped at MAX_QUANTITY
    from hybridinv.core.limits import MAX_QUANTITY

    process = DemandProcess(mean=np.full(3, 5.0), regime_shifts=RegimeShifts(probability=0.5, low=1e300, high=1e300))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        path = process.sample(np.random.default_rng(0), 50)
    assert np.isfinite(path.realized).all() and path.realized.max() <= 2 * MAX_QUANTITY
    sigma_three = DemandProcess(mean=np.full(3, 5.0), common_factor=CommonFactor(sigma=3.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert np.isfinite(sigma_three.sample(np.random.default_rng(1), 500).realized).all()


def test_a_trend_that_overflows_is_capped_without_warnings() -> None:
    """A trend of 1e307 overflowed to infinity: a SKU of mean 0 drew from 0 x inf (numpy's "lam value too
    large"), the others with overflow RuntimeWarnings."""
    from hybridinv.core.limits import MAX_QUANTITY

    process = DemandProcess(mean=np.array([0.0, 1.0, 5.0]), trend=np.array([1e308, 1e307, 0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        path = process.sample(np.random.default_rng(0), 6)
    assert (path.realized[:, 0] == 0).all() and (path.expected[:, 0] == 0).all()
    assert path.expected[0, 1] == 1.0 and (path.expected[1:, 1] == MAX_QUANTITY).all()
    assert (path.expected[:, 2] == 5.0).all() and np.isfinite(path.realized).all()


# ---------------------------------------------------------------------- 2026-12-07 probe of forecasting
@pytest.mark.parametrize(("args", "column", "value"), [
    ((np.random.default_rng(0), -1), "periods", -1),  # numpy's "negative dimensions are not allowed"
    ((np.random.default_rng(0), 2.5), "periods", 2.5),  # TypeError
    ((None, 3), "rng", "NoneType"),  # AttributeError: no 'spawn'
    ((7, 3), "rng", "int"),
])
def test_sample_names_a_bad_rng_or_periods(args: tuple, column: str, value: object) -> None:
    with pytest.raises(PlanningError, match="default_rng" if column == "rng" else "whole number") as info:
        DemandProcess(mean=[5.0]).sample(*args)
    assert (info.value.column, info.value.value) == (column, value)
    assert DemandProcess(mean=[5.0]).sample(np.random.default_rng(0), np.int64(0)).realized.shape == (0, 1)


@pytest.mark.parametrize(("args", "column"), [((-2,), "periods"), ((3.5,), "periods"), ((3, 0.5), "start")])
def test_pattern_names_bad_periods_or_start(args: tuple, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        DemandProcess(mean=[5.0]).pattern(*args)
    assert info.value.column == column
    assert DemandProcess(mean=[5.0]).pattern(3, -4).shape == (3, 1)


@pytest.mark.parametrize("period", [0.5, 1, 1.5, 1.999])
def test_a_seasonal_cycle_shorter_than_two_periods_is_refused(period: float) -> None:
    # 0.5 and 1 give sin 0 at every whole period: accepted, and the cycle did nothing
    with pytest.raises(PlanningError, match=r"\[2, inf\)") as info:
        Seasonality(period=period, amplitude=0.5)
    assert info.value.column == "seasonality.period"
    alternating = DemandProcess(mean=[10.0], seasonality=(Seasonality(period=2, amplitude=0.5, phase=0.5),))
    np.testing.assert_allclose(alternating.pattern(4)[:, 0], [1.5, 0.5, 1.5, 0.5])
    assert Seasonality(period=52.18).period == 52.18
