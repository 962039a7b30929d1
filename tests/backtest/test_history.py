"""Reading demand histories (hybridinv/backtest/history.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hybridinv import Catalog
from hybridinv.backtest.history import read_history
from hybridinv.core.errors import PlanningError, PlanningWarning

from ._data import catalog_frame, history_frame


def test_long_and_wide_layouts_give_the_same_history() -> None:
    long = read_history(history_frame(long=True))
    wide = read_history(history_frame(long=False))
    np.testing.assert_array_equal(long.demand, wide.demand)
    assert list(long.periods[:2]) == ["2019-01", "2019-02"] and long.n_periods == 36
    assert list(long.sku) == list(wide.sku)


def test_long_rows_are_summed_and_cells_before_the_first_row_are_not_observed() -> None:
    frame = pd.DataFrame({
        "sku": ["A", "A", "A", "B", "B"],
        "period": [1, 1, 3, 3, 4],
        "quantity": [2, 3, 4, 1, 0],
    })
    hist = read_history(frame)
    assert list(hist.periods) == ["1", "2", "3", "4"]
    np.testing.assert_array_equal(hist.demand[:, 0], [5, 0, 4, 0])  # period 2: no row after the first -> 0
    assert np.isnan(hist.demand[:2, 1]).all()  # B did not exist before period 3
    np.testing.assert_array_equal(hist.demand[2:, 1], [1, 0])


def test_rows_that_repeat_exactly_are_added_up_with_a_warning_naming_the_first() -> None:
    frame = pd.DataFrame({"sku": ["A", "B", "A", "A"], "period": [1, 1, 2, 1], "quantity": [2, 5, 4, 2]})
    with pytest.warns(PlanningWarning, match=r"1 row\(s\) repeat another row exactly \(first: SKU 'A', period 1, "
                      r"quantity 2\)"):
        hist = read_history(frame)
    np.testing.assert_array_equal(hist.demand[:, 0], [4, 4])  # still added up, as documented
    distinct = pd.DataFrame({"sku": ["A", "A"], "period": [1, 1], "quantity": [2, 3]})
    dated = pd.DataFrame({"sku": ["A", "A"], "period": ["2024-01-05", "2024-01-20"], "quantity": [1, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_history(distinct).demand[0, 0] == 5  # two different sales of one period: no warning
        assert read_history(dated, freq="M").demand[0, 0] == 2  # two dates of one month are no repeats


def test_dates_map_to_consecutive_periods_of_their_frequency() -> None:
    frame = pd.DataFrame({
        "sku": ["A", "A", "A"],
        "period": pd.to_datetime(["2020-01-31", "2020-02-29", "2020-04-30"]),
        "quantity": [1, 2, 3],
    })
    hist = read_history(frame)
    assert list(hist.periods) == ["2020-01", "2020-02", "2020-03", "2020-04"]
    np.testing.assert_array_equal(hist.demand[:, 0], [1, 2, 0, 3])


def test_cutoff_by_count_or_label() -> None:
    hist = read_history(history_frame())
    assert hist.cutoff_index(24) == 24
    assert hist.cutoff_index("2021-01") == 24
    with pytest.raises(PlanningError, match="cutoff"):
        hist.cutoff_index("2030-01")
    with pytest.raises(PlanningError, match="cutoff"):
        hist.cutoff_index(36)
    assert hist.cutoff_index(24.0) == hist.cutoff_index(np.float64(24)) == 24  # was "not a period of the history"
    with pytest.raises(PlanningError, match="whole number"):
        hist.cutoff_index(24.5)


def test_alignment_with_the_catalog() -> None:
    catalog = Catalog.from_frame(catalog_frame())
    hist = read_history(history_frame()).aligned(Catalog.from_frame(catalog_frame().iloc[::-1]))
    assert list(hist.sku) == list(catalog.sku[::-1])
    with pytest.raises(PlanningError, match="no demand history") as err:
        read_history(history_frame(n=11)).aligned(catalog)
    assert err.value.sku == "P11"
    with pytest.raises(PlanningError, match="not in the catalog"):
        read_history(history_frame(n=12)).aligned(Catalog.from_frame(catalog_frame(n=11)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quantity": -1.0}, "quantity"),
        ({"quantity": "many"}, "not a number"),
        ({"quantity": True}, "quantity"),
        ({"period": 1.5}, "whole number"),
        ({"period": None}, "period is empty"),
        ({"quantity": np.inf}, "finite"),  # nan_to_num made it 1.8e308 units
        ({"quantity": 1e15}, "at most"),
        ({"quantity": np.nan}, "quantity is empty"),  # was read as 0 sold
    ],
)
def test_bad_cells_are_refused_with_the_sku(change: dict, message: str) -> None:
    frame = history_frame().astype({"quantity": object, "period": object})
    for column, value in change.items():
        frame.loc[5, column] = value
    if "period" in change and change["period"] == 1.5:
        frame["period"] = np.arange(len(frame)) // 12
        frame["period"] = frame["period"].astype(object)
        frame.loc[5, "period"] = 1.5
    with pytest.raises(PlanningError, match=message):
        read_history(frame)


def test_frames_without_sku_or_with_unknown_columns_are_refused() -> None:
    with pytest.raises(PlanningError, match="'sku'"):
        read_history(pd.DataFrame({"item": ["A"], "period": [1], "quantity": [1]}))
    with pytest.raises(PlanningError, match="unknown column"):
        read_history(history_frame().assign(qty=1))
    with pytest.raises(PlanningError, match="no rows"):
        read_history(pd.DataFrame({"sku": [], "period": [], "quantity": []}))


def test_an_absurd_period_span_is_refused_not_allocated() -> None:
    frame = pd.DataFrame({"sku": ["A", "A"], "period": [0, 10**12], "quantity": [1, 1]})
    with pytest.raises(PlanningError, match="span"):
        read_history(frame)


def test_a_wide_column_that_is_not_a_period_is_named() -> None:
    # a "note" column was reported as an unreadable 'quantity'
    wide = history_frame().pivot(index="sku", columns="period", values="quantity").reset_index()
    wide.columns = [str(c) for c in wide.columns]
    with pytest.raises(PlanningError, match="every column but sku is a period") as info:
        read_history(wide.assign(note="call supplier"))
    assert info.value.column == "note"
    with pytest.raises(PlanningError, match="finite") as info:
        read_history(wide.assign(**{wide.columns[1]: np.inf}))
    assert info.value.column == wide.columns[1]
    assert np.isnan(read_history(wide.assign(**{wide.columns[1]: np.nan})).demand[0]).all()  # not observed yet


def test_wide_layout_refuses_headerless_and_total_columns_and_gaps_after_the_first_number() -> None:
    wide = history_frame().pivot(index="sku", columns="period", values="quantity").reset_index()
    wide.columns = [str(c) for c in wide.columns]
    totals = wide.assign(Total=wide.iloc[:, 1:].sum(axis=1))  # was replayed as one more test period
    with pytest.raises(PlanningError, match="'Total' is not a period like the others") as info:
        read_history(totals)
    assert info.value.column == "Total"
    trailing = wide.assign(**{"Unnamed: 37": np.nan})  # what pandas names the column of a trailing comma
    with pytest.raises(PlanningError, match="period column 37 has no header"):
        read_history(trailing)
    long = history_frame().assign(**{"Unnamed: 3": np.nan})  # the long layout named it an unknown column
    with pytest.raises(PlanningError, match=r"\(long layout\): column 4 has no header \(a trailing comma") as info:
        read_history(long)
    assert info.value.column == "Unnamed: 3"
    gap = wide.copy()
    gap.iloc[1, 5] = np.nan  # blank after the SKU's first number: 0 in the replay, missing to the forecasters
    with pytest.raises(PlanningError, match="empty cell after the SKU's first number") as info:
        read_history(gap)
    assert (info.value.column, info.value.sku) == (wide.columns[5], wide["sku"].iloc[1])
    numbered = pd.DataFrame({"sku": ["A"], "1": [2], "2": [3], "3": [1], "sum": [6]})
    with pytest.raises(PlanningError, match="'sum' is not a period"):
        read_history(numbered)
    assert read_history(numbered.drop(columns="sum")).demand[:, 0].tolist() == [2, 3, 1]
    labelled = pd.DataFrame({"sku": ["A"], "w1": [2], "w2": [3]})  # labels that are neither: kept in column order
    assert list(read_history(labelled).periods) == ["w1", "w2"]
    with pytest.raises(PlanningError, match="'Total' is not a period") as info:  # was read as a third week
        read_history(labelled.assign(Total=5))
    assert info.value.column == "Total"


def test_wide_yyyymm_columns_count_months_across_a_year() -> None:
    # 202501 after 202412 was refused as "a period column is missing" (numbers that do not count up by 1)
    months = ["202411", "202412", "202501", "202502"]
    wide = pd.DataFrame({"sku": ["A"], **{m: [k + 1.0] for k, m in enumerate(months)}})
    history = read_history(wide)
    assert list(history.periods) == months and history.demand[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(PlanningError, match="period column is missing: '202502' follows '202412'"):
        read_history(wide.drop(columns="202501"))
    with pytest.raises(PlanningError, match="oldest first"):
        read_history(wide[["sku", *months[::-1]]])


def test_a_cutoff_date_against_week_labels_is_not_a_traceback() -> None:
    from hybridinv.backtest.history import _same_date

    assert _same_date(["2024-07-08/2024-07-14", "2024-07-15/2024-07-21"], "2024-07-15") == 1  # the week it opens
    assert _same_date(["2024-07-08/2024-07-14", "2024-07-15/2024-07-21"], "not a date") == -1


@pytest.mark.parametrize("periods", [[35796, 35827, 35855, 35886], [199811, 199812, 199901, 199902]])
def test_numeric_periods_that_are_dates_are_refused(periods):
    # Excel serial dates and YYYYMM numbers were read as consecutive periods: every number in between became
    # a period of zero demand (a 39-month fit and 12-month test read as 1,482 test periods)
    frame = pd.DataFrame({"sku": "A", "period": periods, "quantity": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(PlanningError, match="must be consecutive") as err:
        read_history(frame)
    assert err.value.column == "period" and err.value.value == periods[1]
    gappy = frame.assign(period=[1, 2, 4, 5])  # a missing period or two is a period without rows, as before
    np.testing.assert_array_equal(read_history(gappy).demand[:, 0], [1.0, 2.0, 0.0, 3.0, 4.0])


def test_a_cutoff_written_like_the_other_layout_names_the_same_period():
    # a long history stores "Jan 1998" as 1998-01 and a wide one keeps it: the same --cutoff was refused in one
    import warnings

    months = pd.period_range("1998-01", periods=12, freq="M")
    names = [p.strftime("%b %Y") for p in months]
    long = pd.DataFrame({"sku": "A", "period": names, "quantity": np.arange(12.0) + 1})
    wide = pd.DataFrame({"sku": ["A"], **{name: [float(i + 1)] for i, name in enumerate(names)}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor does pandas's "Could not infer format" note reach the user
        histories = [read_history(long), read_history(wide)]
        for history in histories:
            assert [history.cutoff_index(c) for c in ("1998-06", "Jun 1998", "June 1998")] == [5, 5, 5]
    with pytest.raises(PlanningError, match="not a period of the history") as err:
        histories[0].cutoff_index("1999-06")
    assert err.value.column == "cutoff"


def test_day_first_dates_are_read_day_first_in_both_layouts() -> None:
    # the wide columns were refused as "not oldest first" ('15/01/2024' follows '08/01/2024'), and the long
    # layout failed with pandas's multi-line advice to pass a format
    labels = ["01/01/2024", "08/01/2024", "15/01/2024", "22/01/2024"]
    wide = read_history(pd.DataFrame({"sku": ["A"], **{label: [k + 1] for k, label in enumerate(labels)}}))
    assert wide.demand[:, 0].tolist() == [1, 2, 3, 4]
    long = read_history(pd.DataFrame({"sku": "A", "period": ["15/01/2024", "15/02/2024", "15/03/2024"],
                                      "quantity": [1, 2, 3]}))
    assert list(long.periods) == ["2024-01", "2024-02", "2024-03"] and long.demand[:, 0].tolist() == [1, 2, 3]
    reversed_wide = pd.DataFrame({"sku": ["A"], "22/01/2024": [1], "15/01/2024": [2]})
    with pytest.raises(PlanningError, match="oldest first"):
        read_history(reversed_wide)


def test_quarters_are_read_as_quarters_and_odd_steps_are_warned_about() -> None:
    """Quarterly dates used to be months with two empty months after each (mean 10.6 for 30 a quarter)."""
    starts = pd.date_range("2020-01-01", periods=12, freq="QS")
    for period in (starts.strftime("%Y-%m-%d"), pd.PeriodIndex(starts, freq="Q").astype(str)):  # 2020Q1, ...
        hist = read_history(pd.DataFrame({"sku": "A", "period": period, "quantity": 30.0}))
        assert hist.demand.shape == (12, 1) and (hist.demand == 30.0).all()
        assert list(hist.periods[:2]) == ["2020Q1", "2020Q2"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas deprecates parsing "2020q1" itself
        hist = read_history(pd.DataFrame({"sku": "A", "period": ["2020q1", "2020-q2", "2020Q3"], "quantity": 3.0}))
    assert list(hist.periods) == ["2020Q1", "2020Q2", "2020Q3"]
    fortnights = pd.date_range("2020-01-06", periods=26, freq="14D").strftime("%Y-%m-%d")
    with pytest.warns(PlanningWarning, match="14 days apart .* read as weeks"):
        hist = read_history(pd.DataFrame({"sku": "A", "period": fortnights, "quantity": 30.0}))
    assert hist.demand.shape[0] == 51 and hist.demand.sum() == 26 * 30.0  # still weeks, but said so
    months = pd.period_range("2020-01", periods=6, freq="M").astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_history(pd.DataFrame({"sku": "A", "period": months, "quantity": 1.0})).demand.shape == (6, 1)


def test_a_missing_wide_period_column_is_refused_and_freq_needs_dates() -> None:
    """A skipped month shifted every later month by one in the wide layout (the long one counts it as 0)."""
    wide = pd.DataFrame({"sku": ["A"], "2020-01": [1.0], "2020-02": [2.0], "2020-04": [4.0], "2020-05": [5.0]})
    with pytest.raises(PlanningError, match="period column is missing: '2020-04' comes 60 days after '2020-02'"):
        read_history(wide)
    assert read_history(wide.assign(**{"2020-03": 0.0})[["sku", "2020-01", "2020-02", "2020-03", "2020-04",
                                                            "2020-05"]]).demand.shape == (5, 1)
    three = pd.DataFrame({"sku": ["A"], "2020-01": [1.0], "2020-02": [2.0], "2020-04": [4.0]})
    with pytest.raises(PlanningError, match="'2020-04' comes 60 days after '2020-02'"):
        read_history(three)  # the median of the gaps (45.5 days) hid it
    months = pd.period_range("2019-11", periods=5, freq="M").astype(str)  # 28 to 31 days apart
    assert read_history(pd.DataFrame({"sku": ["A"], **{m: [1.0] for m in months}})).demand.shape == (5, 1)
    numbers = pd.DataFrame({"sku": "A", "period": [202101, 202102, 202103], "quantity": 1.0})
    with pytest.raises(PlanningError, match="freq= applies to dated periods") as info:  # was one period in 1970
        read_history(numbers, freq="M")
    assert info.value.column == "period"


def test_a_missing_numbered_wide_period_column_is_refused_naming_the_column_after_the_gap() -> None:
    """The finding: columns 1..12, 14..30 gave 29 periods (the long layout 30, period 13 without demand), so
    every period after 12 moved one place earlier and the seasonal phase shifted without a word."""
    rng = np.random.default_rng(0)
    periods = [p for p in range(1, 31) if p != 13]
    demand = rng.poisson(5.0, (2, len(periods))).astype(float)
    long = pd.DataFrame({"sku": np.repeat(["A", "B"], len(periods)), "period": periods * 2,
                         "quantity": demand.ravel()})
    assert read_history(long).n_periods == 30  # period 13: a period without demand
    wide = pd.DataFrame({"sku": ["A", "B"], **{str(p): demand[:, k] for k, p in enumerate(periods)}})
    with pytest.raises(PlanningError, match="period column is missing: '14' follows '12'") as info:
        read_history(wide)
    assert info.value.column == "14"
    numbered = wide.rename(columns={str(p): p for p in periods})  # numbers as headers, not text
    with pytest.raises(PlanningError, match="'14' follows '12'"):
        read_history(numbered)
    whole = wide.assign(**{"13": 0.0})[["sku", *[str(p) for p in range(1, 31)]]]
    np.testing.assert_array_equal(read_history(whole).demand, read_history(long).demand)  # the layouts agree


def test_dated_periods_with_offsets_that_change_for_summer_time_are_read() -> None:
    # daily stamps on the Berlin clock (+01:00 in March, +02:00 from the 31st) were "unreadable period"
    days = pd.date_range("2024-03-25", periods=14, freq="D").tz_localize("Europe/Berlin")
    frame = pd.DataFrame({"sku": "A", "period": days.strftime("%Y-%m-%dT%H:%M:%S%z"), "quantity": np.arange(14.0)})
    history = read_history(frame)
    assert list(history.periods) == [str(d) for d in pd.period_range("2024-03-25", periods=14, freq="D")]
    np.testing.assert_array_equal(history.demand[:, 0], np.arange(14.0))


def _weekly(long: bool, periods: int = 10) -> pd.DataFrame:
    weeks = [str(d.date()) for d in pd.date_range("2024-01-01", periods=periods, freq="W-MON")]
    if not long:
        return pd.DataFrame({"sku": ["A", "B"], **{w: [1.0, 2.0] for w in weeks}})
    return pd.DataFrame({"sku": np.repeat(["A", "B"], periods), "period": weeks * 2, "quantity": 1.0})


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (history_frame(long=True), ("M", (12, 12))),
        (history_frame(long=False), ("M", (12, 12))),
        (_weekly(long=True), ("W", (52, 52))),
        (_weekly(long=False), ("W", (52, 52))),
        (pd.DataFrame({"sku": "A", "period": ["2020Q1", "2020Q2", "2020Q3"], "quantity": 1.0}), ("Q", (4, 4))),
        (pd.DataFrame({"sku": "A", "period": ["2024-03-01", "2024-03-02", "2024-03-04"], "quantity": 1.0}),
         ("D", (7, 365))),
        (pd.DataFrame({"sku": "A", "period": ["2019-01-01", "2020-01-01", "2021-01-01"], "quantity": 1.0}),
         ("Y", (None, 1))),
        (pd.DataFrame({"sku": "A", "period": [1, 2, 3], "quantity": 1.0}), (None, (12, 12))),  # numbered: months
    ],
    ids=["monthly_long", "monthly_wide", "weekly_long", "weekly_wide", "quarters", "days", "years", "numbered"],
)
def test_the_calendar_is_read_from_the_period_labels(frame: pd.DataFrame, expected: tuple) -> None:
    """Backtests read every history as monthly before (a 12-week season on weekly data)."""
    hist = read_history(frame)
    assert (hist.freq, hist.calendar()) == expected
    assert hist.calendar(None, 6) == (None, 6) and hist.calendar(5) == (5, expected[1][1])  # given: as given
    assert hist.aligned(Catalog.from_frame(catalog_frame(len(hist.sku)).assign(sku=hist.sku))).freq == hist.freq


@pytest.mark.parametrize(("season", "per_year"), [("weekly", "auto"), (0, "auto"), (2.5, "auto"), ("auto", "x"),
                                                  ("auto", 0)])
def test_a_calendar_other_than_auto_or_a_whole_number_is_refused(season: object, per_year: object) -> None:
    with pytest.raises(PlanningError) as info:
        read_history(_weekly(long=True)).calendar(season, per_year)  # type: ignore[arg-type]
    assert info.value.column == ("season" if per_year == "auto" else "periods_per_year")


def test_a_weekly_cutoff_may_name_any_day_of_its_week():
    # the finding: '--cutoff 2023-07-17' (the week's Monday) was "not a period of the history"; only the label
    # '2023-07-17/2023-07-23' was found
    weeks = pd.date_range("2023-01-02", periods=40, freq="W-MON")
    history = read_history(pd.DataFrame({"sku": "A", "period": weeks.strftime("%Y-%m-%d"), "quantity": 1.0}))
    for day in ("2023-07-17", "2023-07-19", "2023-07-23", "2023-07-17/2023-07-23"):
        assert history.cutoff_index(day) == 28, day
    assert history.cutoff_index("2023-07-24") == 29  # the next Monday opens the next week
    with pytest.raises(PlanningError, match="not a period of the history"):
        history.cutoff_index("2030-01-01")


@pytest.mark.parametrize("prefix", ["t", "m", "p"])
def test_text_period_labels_are_not_read_as_times_of_day(prefix: str) -> None:
    """pandas' mixed date parser read t01..t30 as daily periods of year 1 (a 7-period season, 365 periods a year)
    and m01..m84 as seconds (refused at m60 as "not a period like the others")."""
    values = np.arange(84 * 2).reshape(2, 84) % 7
    wide = pd.DataFrame(values, columns=[f"{prefix}{i:02d}" for i in range(1, 85)]).assign(sku=["A", "B"])
    history = read_history(wide)
    assert list(history.periods) == [f"{prefix}{i:02d}" for i in range(1, 85)]
    assert history.freq is None and history.calendar("auto", "auto") == (12, 12)
    np.testing.assert_array_equal(history.demand[:, 1], values[1])


def test_skus_dated_on_different_days_of_their_month_are_read_as_months() -> None:
    rows = []
    for month in pd.period_range("2023-01", "2024-12", freq="M"):  # A on the 1st, B on the month's last day
        rows += [("A", month.start_time.strftime("%Y-%m-%d"), 10), ("B", month.end_time.strftime("%Y-%m-%d"), 20)]
    frame = pd.DataFrame(rows, columns=["sku", "period", "quantity"])
    with pytest.warns(PlanningWarning, match="dated on different days .* each SKU's own dates are a month apart"):
        history = read_history(frame)  # was 731 daily periods, 24 of them with demand, and a 7-day season
    assert history.freq == "M" and history.n_periods == 24 and history.calendar() == (12, 12)
    np.testing.assert_array_equal(history.demand, np.tile([10.0, 20.0], (24, 1)))
    rows = []
    for week in pd.period_range("2024-01-01", periods=10, freq="W"):  # Mondays and Sundays
        rows += [("A", week.start_time.strftime("%Y-%m-%d"), 5), ("B", week.end_time.strftime("%Y-%m-%d"), 7)]
    with pytest.warns(PlanningWarning, match="a week apart: read as weeks"):
        weekly = read_history(pd.DataFrame(rows, columns=["sku", "period", "quantity"]))
    assert weekly.freq == "W" and weekly.n_periods == 10
    rows = [(f"S{i}", day.strftime("%Y-%m-%d"), 1)  # sparse weekly sales: each SKU every 4th Monday
            for i in range(4) for day in pd.date_range("2024-01-01", periods=40, freq="W-MON")[i::4]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sparse = read_history(pd.DataFrame(rows, columns=["sku", "period", "quantity"]))
        daily = read_history(pd.DataFrame({"sku": ["A", "B"] * 30, "quantity": 1,  # A and B a day apart, daily
                                           "period": pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d")}))
    assert sparse.freq == "W" and sparse.n_periods == 40
    assert daily.freq == "D"


@pytest.mark.parametrize("long", [True, False])
def test_week_labels_as_pandas_and_the_twin_write_them_are_weeks(long: bool) -> None:
    weeks = pd.period_range("2024-01-01", periods=8, freq="W").astype(str)  # 2024-01-01/2024-01-07, ...
    if long:
        frame = pd.DataFrame({"sku": "A", "period": weeks, "quantity": np.arange(8)})
    else:
        frame = pd.DataFrame([["A", *range(8)]], columns=["sku", *weeks])
    history = read_history(frame)  # wide: numbered months (12, 12); long: "invalid tzoffset" from 4 weeks on
    assert history.freq == "W" and history.calendar() == (52, 52)
    assert list(history.periods[:2]) == ["2024-01-01/2024-01-07", "2024-01-08/2024-01-14"]
    np.testing.assert_array_equal(history.demand[:, 0], np.arange(8))
    assert history.cutoff_index("2024-01-17") == 2  # any day of the third week


def test_a_cutoff_date_that_reads_as_two_periods_is_refused() -> None:
    days = pd.date_range("2024-01-01", "2024-12-31", freq="D")
    history = read_history(pd.DataFrame({"sku": "A", "period": days.strftime("%d/%m/%Y"), "quantity": 1}))
    with pytest.raises(PlanningError, match="2024-03-11 read month first and 2024-11-03 read day first"):
        history.cutoff_index("03/11/2024")  # was 11 March in this day-first file, without a word
    with pytest.raises(PlanningError, match="2024-11-03 read month first and 2024-03-11 read day first"):
        history.cutoff_index("11/03/2024")
    assert history.cutoff_index("2024-11-03") == 307
    assert history.cutoff_index("25/11/2024") == history.cutoff_index("2024-11-25") == 329  # one reading only


def test_a_period_without_a_row_of_any_sku_is_warned_about() -> None:
    months = [m for m in pd.period_range("2023-01", "2024-12", freq="M").astype(str) if m != "2024-03"]
    frame = pd.DataFrame({"sku": np.repeat(["A", "B"], len(months)), "period": months * 2, "quantity": 5})
    with pytest.warns(PlanningWarning, match=r"1 period\(s\) have no row for any SKU \(first: 2024-03\)"):
        history = read_history(frame)  # an export that left a month out lowered every SKU's demand silently
    assert history.n_periods == 24 and (history.demand[14] == 0).all()
    days = pd.bdate_range("2024-01-01", periods=40).strftime("%Y-%m-%d")  # weekdays only: weekends are days
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_history(pd.DataFrame({"sku": "A", "period": days, "quantity": 1}))
        read_history(frame[frame["sku"] == "A"].iloc[:12])  # no month missing before 2024-03


def test_an_unreadable_period_is_named_without_pandas_advice() -> None:
    # "2020-13" gave pandas' "You might want to try: passing `format` ..." inside two "unreadable (...)" wrappers
    frame = pd.DataFrame({"sku": ["A"] * 3, "period": ["2020-11", "2020-12", "2020-13"], "quantity": [1, 2, 3]})
    with pytest.raises(PlanningError, match="unreadable date") as info:
        read_history(frame)
    assert info.value.column == "period" and info.value.value == "2020-13"
    assert "might want" not in str(info.value) and "unreadable period (" not in str(info.value)
    frame["period"] = ["2020-11", "2020-12", "Jan 2021"]  # each a date, written two ways
    with pytest.raises(PlanningError, match="dates written in more than one way") as info:
        read_history(frame)
    assert "might want" not in str(info.value)


@pytest.mark.parametrize("long", [True, False])
def test_a_weekly_cutoff_written_year_first_has_one_reading(long: bool) -> None:
    # the finding: --cutoff 2023-03-06 (a Monday, day <= 12) was refused as "2023-03-06 read month first and
    # 2023-06-03 read day first": pandas reads an ISO date day first when asked to
    weeks = pd.date_range("2022-01-03", periods=80, freq="W-MON").strftime("%Y-%m-%d")
    frame = (pd.DataFrame({"sku": "A", "period": weeks, "quantity": 3.0}) if long
             else pd.DataFrame({"sku": ["A"], **{week: [3.0] for week in weeks}}))
    history = read_history(frame)
    days = ("2023-03-06", "2023/03/06", " 2023-03-06 ") + (("2023-03-08",) if long else ())  # wide: labels as written
    for day in days:
        assert history.cutoff_index(day) == 61, day
    assert str(history.periods[61]).startswith("2023-03-06")
    if long:  # 3 June is in a week of the long history too (the wide one has only its Mondays' dates)
        with pytest.raises(PlanningError, match="read month first and 2023-03-06 read day first"):
            history.cutoff_index("06/03/2023")  # written day or month first, still ambiguous
