"""Confidence intervals and paired differences (hybridinv/bench/stats.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hybridinv.bench.stats import paired_difference, t_interval


def test_t_interval_matches_hand_computation() -> None:
    # values 1, 2, 3: mean 2, s = 1, t_{2, 0.975} = 4.3026527297 (tables: 4.303)
    interval = t_interval([1.0, 2.0, 3.0])
    assert interval.mean == pytest.approx(2.0)
    assert interval.half_width == pytest.approx(4.3026527297 / math.sqrt(3), rel=1e-9)
    assert interval.n == 3
    assert interval.low == pytest.approx(2.0 - 2.4841377, rel=1e-7)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_t_interval_agrees_with_scipy(confidence: float) -> None:
    values = np.random.default_rng(3).normal(10.0, 2.0, size=12)
    low, high = stats.t.interval(confidence, df=11, loc=values.mean(), scale=stats.sem(values))
    interval = t_interval(values, confidence)
    assert interval.low == pytest.approx(low, rel=1e-12)
    assert interval.high == pytest.approx(high, rel=1e-12)


def test_t_interval_small_samples_and_nans() -> None:
    assert math.isnan(t_interval([4.0]).half_width)
    assert t_interval([4.0]).mean == 4.0
    assert math.isnan(t_interval([]).mean)
    assert t_interval([1.0, np.nan, 3.0]).n == 2
    assert t_interval([1.0]).format() == "1"
    with pytest.raises(ValueError):
        t_interval([1.0, 2.0], confidence=1.5)


def test_paired_difference_is_interval_of_differences() -> None:
    a = np.array([10.0, 12.0, 9.0, 11.0])
    b = np.array([9.0, 11.5, 8.0, 10.0])
    paired = paired_difference(a, b)
    # differences 1, 0.5, 1, 1: mean 0.875, s = 0.25
    assert paired.mean == pytest.approx(0.875)
    assert paired.half_width == pytest.approx(stats.t.ppf(0.975, 3) * 0.25 / 2.0)
    assert paired.excludes_zero()


def test_paired_difference_removes_common_noise() -> None:
    rng = np.random.default_rng(0)
    common = rng.normal(100.0, 10.0, size=20)
    a = common + 1.0 + rng.normal(0, 0.1, 20)
    b = common + rng.normal(0, 0.1, 20)
    paired = paired_difference(a, b)
    assert paired.half_width < 0.1 * t_interval(a).half_width
    assert paired.low > 0.8 and paired.high < 1.2


def test_paired_difference_length_mismatch() -> None:
    with pytest.raises(ValueError, match="equal lengths"):
        paired_difference([1.0, 2.0], [1.0])


@pytest.mark.parametrize(("call", "column", "value"), [
    (lambda: t_interval([1.0, 2.0], confidence=95), "confidence", 95),  # 95 meant 95%
    (lambda: t_interval([1.0, 2.0], confidence="0.95"), "confidence", "0.95"),  # was a bare TypeError
    (lambda: t_interval([1.0, 2.0], confidence=True), "confidence", True),
    (lambda: t_interval(["1.0", 2.0]), "values", "1.0"),
    (lambda: paired_difference([1.0, 2.0], [1.0]), "reference", 1),
    (lambda: paired_difference([1.0], ["x"]), "reference", "x"),
])
def test_bad_interval_inputs_are_planning_errors_naming_the_argument(call, column: str, value: object) -> None:  # type: ignore[no-untyped-def]
    # until 2026-12-07 bare ValueErrors ("could not convert string to float") or TypeErrors naming no argument
    from hybridinv import PlanningError

    with pytest.raises(PlanningError) as info:
        call()
    assert info.value.column == column and info.value.value == value


def test_a_paired_interval_of_one_pair_or_of_equal_differences() -> None:
    # one pair: no interval (NaN half-width, printed as the mean alone, never "± nan"); equal differences: zero width
    one = paired_difference([3.0], [2.0])
    assert one.n == 1 and one.mean == 1.0 and math.isnan(one.half_width) and one.format() == "1"
    assert not one.excludes_zero()
    same = paired_difference([3.0, 4.0, 5.0], [2.0, 3.0, 4.0])
    assert same.half_width == 0.0 and same.format() == "1 ± 0" and same.excludes_zero()
    assert paired_difference([np.nan], [1.0]).format() == "n/a"


def test_bootstrap_mean_in_blocks_is_the_interval_of_all_resamples_at_once_in_bounded_memory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocks draw the same indices as one (resamples, n) array (computed here directly); a catalog of 50,000
    SKUs held 2 x 800 MB at once before the blocks."""
    import tracemalloc

    from hybridinv.bench import stats as bench_stats

    values = np.random.default_rng(4).normal(0.3, 2.0, 5_003)
    picks = np.random.default_rng(0).integers(0, values.size, size=(2000, values.size))
    direct = np.quantile(values[picks].mean(axis=1), [0.025, 0.975])
    monkeypatch.setattr(bench_stats, "BOOTSTRAP_BLOCK", 7 * values.size + 11)  # 7 rows: 285 blocks and one of 5
    mean, low, high = bench_stats.bootstrap_mean(values)
    assert (mean, low, high) == (float(values.mean()), float(direct[0]), float(direct[1]))
    monkeypatch.undo()
    tracemalloc.start()
    try:
        bench_stats.bootstrap_mean(np.ones(50_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200e6, peak  # blocks of 4,000,000 values: 32 MB of indices and 32 MB of values
