"""Tests for hybridinv.forecast: the forecast frame of plan() and its ``period`` rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import catalog_frame

from hybridinv import Catalog, PlanningError
from hybridinv.forecast import forecast_arrays


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.from_frame(catalog_frame(demand_mean=[4.0, 5.0, 6.0]))


def _frame(periods: dict[str, list[int]], mean: float = 10.0) -> pd.DataFrame:
    rows = [{"sku": sku, "period": p, "mean": mean + p} for sku, ps in periods.items() for p in ps]
    return pd.DataFrame(rows)


def test_first_period_is_planned_and_values_follow_by_period(catalog: Catalog) -> None:
    frame = _frame({"A": [5, 6, 7], "B": [5]}).sample(frac=1.0, random_state=1)  # row order does not matter
    mean, std, from_catalog = forecast_arrays(catalog, frame, 5)
    np.testing.assert_array_equal(mean[0], [15, 16, 17, 17, 17])  # last value repeats
    np.testing.assert_array_equal(mean[1], [15, 15, 15, 15, 15])
    np.testing.assert_array_equal(mean[2], [6, 6, 6, 6, 6])  # catalog fallback
    assert from_catalog.tolist() == [False, False, True]
    np.testing.assert_allclose(std[0], np.sqrt([15, 16, 17, 17, 17]))


def test_rows_beyond_the_horizon_are_not_used(catalog: Catalog) -> None:
    mean, _, _ = forecast_arrays(catalog, _frame({"A": list(range(0, 12))}), 3)
    np.testing.assert_array_equal(mean[0], [10, 11, 12])


def test_stray_earlier_row_is_refused_instead_of_shifting_every_sku(catalog: Catalog) -> None:
    # the finding: one row with period -1 became "now" and shifted the forecast of every SKU
    frame = pd.concat([_frame({"A": [0, 1], "B": [0, 1], "C": [0, 1]}), _frame({"B": [-1]})])
    with pytest.raises(PlanningError, match=r"starts at period -1, before the period most SKUs start at \(0\)") as info:
        forecast_arrays(catalog, frame, 4)
    # the stray row is named (until 2026-12-06 the error named A and period 0, a correct row)
    assert info.value.column == "period" and info.value.sku == "B" and info.value.value == -1


def test_gap_in_a_sku_forecast_is_refused(catalog: Catalog) -> None:
    with pytest.raises(PlanningError, match="skips period 2") as info:
        forecast_arrays(catalog, _frame({"A": [0, 1, 3], "B": [0, 1, 2, 3]}), 6)
    assert info.value.sku == "A" and info.value.value == 3


def test_duplicate_period_is_refused(catalog: Catalog) -> None:
    frame = pd.concat([_frame({"A": [0, 1]}), _frame({"A": [1]})])
    with pytest.raises(PlanningError, match="more than one row") as info:
        forecast_arrays(catalog, frame, 4)
    assert info.value.sku == "A" and info.value.value == 1


@pytest.mark.parametrize(
    "periods",
    [
        pd.Series(pd.date_range("2024-01-07", periods=4, freq="W")),
        pd.Series(pd.date_range("2024-01-07", periods=4, freq="W")).astype(str),
        pd.Series(list(pd.date_range("2024-01-07", periods=4, freq="W")), dtype=object),
    ],
)
def test_dates_in_period_are_refused(catalog: Catalog, periods: pd.Series) -> None:
    # the finding: datetime periods were read as nanoseconds and only the first date was used
    frame = pd.DataFrame({"sku": "A", "period": periods, "mean": [10.0, 20.0, 30.0, 40.0]})
    with pytest.raises(PlanningError, match="not a date") as info:
        forecast_arrays(catalog, frame, 4)
    assert info.value.column == "period" and "2024-01-07" in str(info.value.value)


def test_a_pandas_period_column_is_refused_as_dates(catalog: Catalog) -> None:
    # the finding: pd.period_range(...) periods were read as their ordinals (648, 649, ...)
    frame = pd.DataFrame({"sku": "A", "period": pd.period_range("2024-01", periods=3, freq="M"), "mean": 3.0})
    with pytest.raises(PlanningError, match="not a date") as info:
        forecast_arrays(catalog, frame, 3)
    assert info.value.value == "2024-01"


def test_a_period_column_mixing_numbers_and_dates_names_the_date(catalog: Catalog) -> None:
    # the finding: the error said "not a date" of the first row's number, 0
    frame = pd.DataFrame({"sku": ["A", "A", "B", "B"], "period": [0, 1, "2024-01-07", "2024-01-14"],
                          "mean": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(PlanningError, match="not a date") as info:
        forecast_arrays(catalog, frame, 2)
    assert info.value.sku == "B" and info.value.value == "2024-01-07"


def test_period_must_be_whole_and_bounded(catalog: Catalog) -> None:
    with pytest.raises(PlanningError, match="whole number"):
        forecast_arrays(catalog, pd.DataFrame({"sku": ["A"], "period": [0.5], "mean": [1.0]}), 4)
    with pytest.raises(PlanningError, match="MAX_QUANTITY"):
        forecast_arrays(catalog, pd.DataFrame({"sku": ["A"], "period": [1e19], "mean": [1.0]}), 4)
    with pytest.raises(PlanningError, match="not a number"):
        forecast_arrays(catalog, pd.DataFrame({"sku": ["A"], "period": ["soon"], "mean": [1.0]}), 4)


def test_unknown_forecast_columns(catalog: Catalog) -> None:
    frame = _frame({"A": [0, 1]}).assign(sd=3.0)
    with pytest.raises(PlanningError, match=r"unknown column 'sd' \(did you mean 'std'\?\)"):
        forecast_arrays(catalog, frame, 4)
    # ignored, 'sd' left the forecast without its spread (Poisson's was used) without a word: refused
    with pytest.raises(PlanningError, match="'sd' reads as 'std', which the table does not have"):
        forecast_arrays(catalog, frame, 4, extra_columns="ignore")
    # beside a 'std' it is another column, ignored as asked, and not a spread
    mean, std, _ = forecast_arrays(catalog, frame.assign(std=2.0), 4, extra_columns="ignore")
    np.testing.assert_allclose(std[0, :2], 2.0)
    with pytest.raises(PlanningError, match=r"unknown column 'Mean' \(did you mean 'mean'\?\)"):
        forecast_arrays(catalog, frame.rename(columns={"mean": "Mean"}).drop(columns="sd"), 4)


def test_quantiles_without_a_symmetric_pair_are_refused(catalog: Catalog) -> None:
    frame = _frame({"A": [0]}).assign(**{"q0.5": 10.0, "q0.9": 14.0})
    with pytest.raises(PlanningError, match="symmetric pair"):
        forecast_arrays(catalog, frame, 4)


def test_two_columns_for_one_quantile_level_are_refused(catalog: Catalog) -> None:
    # q0.1 and q0.10: the later one was used without a word
    frame = _frame({"A": [0]}).assign(**{"q0.1": 8.0, "q0.10": 0.0, "q0.9": 16.0})
    with pytest.raises(PlanningError, match="two quantile columns for the level 0.1") as err:
        forecast_arrays(catalog, frame, 4)
    assert err.value.column == "q0.10"


def test_std_and_quantiles_together_are_refused(catalog: Catalog) -> None:
    # the quantiles were silently ignored (even crossing ones) when a std column was there too
    frame = _frame({"A": [0, 1]}).assign(std=3.0, **{"q0.1": 14.0, "q0.9": 6.0})
    with pytest.raises(PlanningError, match="not both") as err:
        forecast_arrays(catalog, frame, 4)
    assert err.value.column == "q0.1"
    _, std, _ = forecast_arrays(catalog, frame.drop(columns=["q0.1", "q0.9"]), 4)
    assert std[0, 0] == 3.0


def test_empty_forecast_uses_the_catalog(catalog: Catalog) -> None:
    mean, _, from_catalog = forecast_arrays(catalog, pd.DataFrame(columns=["sku", "period", "mean"]), 2)
    np.testing.assert_array_equal(mean[:, 0], [4, 5, 6])
    assert from_catalog.all()


def test_row_order_does_not_change_the_forecast_arrays() -> None:
    """Sorted frames skip the sort; shuffled ones are sorted: the same arrays either way."""
    rng = np.random.default_rng(4)
    n = 50
    catalog = Catalog.from_frame(catalog_frame(n, sku=[f"S{i:02d}" for i in range(n)], demand_mean=np.ones(n)))
    lengths = rng.integers(1, 7, n)
    frame = pd.DataFrame({
        "sku": np.repeat(catalog.sku, lengths),
        "period": np.concatenate([np.arange(k) for k in lengths]) + 3,
        "mean": rng.uniform(0, 9, lengths.sum()),
        "std": rng.uniform(0, 2, lengths.sum()),
    })
    expected = forecast_arrays(catalog, frame, 8)
    shuffled = frame.sample(frac=1.0, random_state=2)
    for got, want in zip(forecast_arrays(catalog, shuffled, 8), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(expected[0][np.arange(n), lengths - 1], expected[0][:, 7])  # last value repeats
    # a gap in a shuffled frame is named as in a sorted one
    j = int(np.flatnonzero(lengths >= 3)[0])
    broken = frame.drop(index=int(lengths[:j].sum()) + 1)  # SKU j's second period
    messages = []
    for variant in (broken, broken.sample(frac=1.0, random_state=3)):
        with pytest.raises(PlanningError, match="skips period") as info:
            forecast_arrays(catalog, variant, 8)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("per_sku, horizon", [(4, 2), (4, 4), (4, 7), (1, 3)])
def test_the_usual_layout_reads_as_the_row_by_row_path(per_sku: int, horizon: int) -> None:
    """Every SKU with the same periods, in catalog order (read by a reshape) gives the arrays a
    shuffled copy of the frame gives (read row by row), whatever the horizon; one row off the
    layout (a SKU's period shifted) is still refused."""
    rng = np.random.default_rng(per_sku * 10 + horizon)
    n = 30
    catalog = Catalog.from_frame(catalog_frame(n, sku=[f"S{i:02d}" for i in range(n)], demand_mean=np.ones(n)))
    frame = pd.DataFrame({
        "sku": np.repeat(catalog.sku, per_sku),
        "period": np.tile(np.arange(per_sku), n) + 7,
        "mean": rng.uniform(0, 9, n * per_sku),
        "std": rng.uniform(0, 2, n * per_sku),
    })
    usual = forecast_arrays(catalog, frame, horizon)
    for got, want in zip(usual, forecast_arrays(catalog, frame.sample(frac=1.0, random_state=1), horizon),
                         strict=True):
        np.testing.assert_array_equal(got, want)
    used = min(per_sku, horizon)
    np.testing.assert_array_equal(usual[0][:, :used], frame["mean"].to_numpy().reshape(n, per_sku)[:, :used])
    shifted = frame.copy()
    shifted.loc[per_sku * 5, "period"] = 7 + per_sku + 3  # SKU 5's first row moved past its last
    with pytest.raises(PlanningError, match="S05"):
        forecast_arrays(catalog, shifted, horizon)


def test_fill_forward_matches_pandas_ffill_then_bfill() -> None:
    from hybridinv.forecast import _fill_forward

    rng = np.random.default_rng(0)
    values = rng.uniform(0, 5, (40, 9))
    values[rng.random(values.shape) < 0.4] = np.nan
    values[3] = np.nan  # a row without any value stays NaN
    expected = pd.DataFrame(values.T).ffill().bfill().to_numpy().T
    np.testing.assert_array_equal(_fill_forward(values), expected)


def test_forecast_length_counts_the_periods_the_rows_cover_and_never_raises() -> None:
    from hybridinv.forecast import forecast_length

    assert forecast_length(None) == 0
    assert forecast_length(pd.DataFrame({"sku": [], "period": [], "mean": []})) == 0
    assert forecast_length(pd.DataFrame({"sku": ["A", "A", "B"], "period": [37, 38, 37], "mean": 1.0})) == 2
    assert forecast_length(pd.DataFrame({"sku": ["A"], "period": ["soon"], "mean": [1.0]})) == 0  # named later
    assert forecast_length(pd.DataFrame({"sku": ["A"], "mean": [1.0]})) == 0


@pytest.mark.parametrize("written", ["str", "category", "mixed"])
def test_periods_written_as_text_plan_as_numbers_do(written: str) -> None:
    """The finding: a text or categorical period column gave forecast_length 0, so plan() cut the horizon to
    max(8, L + 2) and build-ahead read the repeated last value as forecast: an order of 500 became 0."""
    import hybridinv

    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [2.0, 3.0], "holding_cost": 0.1, "shortage_cost": 20.0,
                            "lead_time": 1})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [100, 100]})
    mean = [20.0 + (400.0 if 10 <= p < 20 else 0.0) for p in range(30)]
    forecast = pd.DataFrame({"sku": ["A"] * 30 + ["B"] * 30, "period": list(range(30)) * 2, "mean": mean * 2,
                             "std": 3.0})
    if written == "mixed":
        text = forecast.astype({"period": object})
        text["period"] = [p if i % 2 else str(p) for i, p in enumerate(forecast["period"])]
    else:
        text = forecast.astype({"period": written})
    constraints = hybridinv.Constraints(budget=1000)
    assert hybridinv.forecast.forecast_length(text) == hybridinv.forecast.forecast_length(forecast) == 30
    as_numbers = hybridinv.plan(state, catalog, constraints, forecast, policy="forecast_ss")
    as_text = hybridinv.plan(state, catalog, constraints, text, policy="forecast_ss")
    assert as_text["order_qty"].tolist() == as_numbers["order_qty"].tolist() == [500, 0]


def test_every_quantile_column_is_checked_not_only_the_pair_that_gives_the_spread(catalog: Catalog) -> None:
    # an inner column was never read: a median above q0.9, crossed inner quantiles and text all gave the outer
    # pair's spread without a word
    frame = _frame({"A": [0, 1]}).assign(**{"q0.1": 8.0, "q0.9": 12.0})
    _, std, _ = forecast_arrays(catalog, frame.assign(**{"q0.5": 10.0, "q0.25": 9.0, "q0.75": 11.0}), 4)
    np.testing.assert_allclose(std[0, :2], 4.0 / (2 * 1.2815515655446004))  # (q0.9 - q0.1) / (2 z_0.9)
    with pytest.raises(PlanningError, match="below the lower quantile q0.5") as err:
        forecast_arrays(catalog, frame.assign(**{"q0.5": [10.0, 13.0]}), 4)
    assert (err.value.column, err.value.sku, err.value.value) == ("q0.9", "A", 12.0)
    with pytest.raises(PlanningError) as err:
        forecast_arrays(catalog, frame.assign(**{"q0.25": [11.5, 9.0], "q0.75": [8.5, 11.0]}), 4)
    assert (err.value.column, err.value.sku, err.value.value) == ("q0.75", "A", 8.5)
    with pytest.raises(PlanningError) as err:
        forecast_arrays(catalog, frame.assign(**{"q0.25": [9.0, "abc"], "q0.75": [11.0, 11.0]}), 4)
    assert err.value.column == "q0.25" and err.value.sku == "A"


def test_a_stray_early_row_is_blamed_not_the_skus_that_start_where_most_do(catalog: Catalog) -> None:
    """B's row typed as period -1 made the error name A and period 0, a correct row."""
    stray = pd.DataFrame({"sku": ["A", "A", "B", "B"], "period": [0, 1, -1, 1], "mean": 10.0})
    with pytest.raises(PlanningError, match="starts at period -1, before the period most SKUs start at") as err:
        forecast_arrays(catalog, stray, 4)
    assert (err.value.sku, err.value.value) == ("B", -1)
    most = pd.DataFrame({"sku": ["A", "A", "B", "B", "C", "C"], "period": [0, 1, -1, 0, 0, 1], "mean": 10.0})
    with pytest.raises(PlanningError) as err:
        forecast_arrays(catalog, most, 4)
    assert (err.value.sku, err.value.value) == ("B", -1)
    far = most.assign(period=[0, 1, -10**11, 0, 0, 1])  # steps of 1e11: counted without an array that long
    with pytest.raises(PlanningError) as err:
        forecast_arrays(catalog, far, 4)
    assert (err.value.sku, err.value.value) == ("B", -10**11)
    late = pd.DataFrame({"sku": ["A", "A", "B", "B"], "period": [0, 1, 1, 2], "mean": 10.0})
    with pytest.raises(PlanningError, match="rows start later") as err:  # a SKU that starts late is still named
        forecast_arrays(catalog, late, 4)
    assert (err.value.sku, err.value.value) == ("B", 1)


@pytest.mark.parametrize("horizon", [None, -1, 0, 2.5, "abc", "3", True, np.nan, np.inf, 10**30, 10**6])
def test_horizon_must_be_a_whole_number_in_range(catalog: Catalog, horizon: object) -> None:
    from hybridinv.forecast import read_forecast

    for read in (forecast_arrays, read_forecast):
        with pytest.raises(PlanningError) as info:
            read(catalog, None, horizon)  # type: ignore[operator]
        assert info.value.column == "horizon"
    mean, _, _ = forecast_arrays(catalog, None, 3.0)  # type: ignore[arg-type]
    assert mean.shape == (3, 3)


@pytest.mark.parametrize("catalog", [None, "catalog.csv", pd.DataFrame({"sku": ["A"]})])
def test_catalog_must_be_a_catalog(catalog: object) -> None:
    from hybridinv.forecast import read_forecast

    with pytest.raises(PlanningError) as info:
        read_forecast(catalog, None, 4)  # type: ignore[arg-type]
    assert info.value.column == "catalog"
