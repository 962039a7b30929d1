"""``aggregate_sales`` on logs whose missing rows are doubtful zeros, sums above the quantity limit, and dates given
as pandas periods."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hybridinv.core.errors import PlanningError, PlanningWarning
from hybridinv.twin import DigitalTwin, aggregate_sales

MONTHS = pd.date_range("2019-01-01", periods=36, freq="MS")


def _monthly(skus: tuple[str, ...] = ("A", "B"), quantity: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame({"date": np.repeat(MONTHS, len(skus)), "sku": np.tile(skus, MONTHS.size),
                         "quantity": quantity})


def _messages(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, PlanningWarning)]


def _quiet(log: pd.DataFrame, period: str = "month") -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        aggregate_sales(log, period)
    return _messages(caught)


def test_a_stretch_without_a_row_of_any_sku_is_named_as_counted_zero():
    # a year lost from the export: 10 a month fitted as 6.67 a month, intermittent, without a word
    full = _monthly()
    gap = full[~full["date"].between("2020-01-01", "2020-12-01")]
    with pytest.warns(PlanningWarning, match="no row of any SKU") as caught:
        twin = DigitalTwin(period="month").fit(gap)
    message = next(m for m in _messages(caught.list) if "no row of any SKU" in m)
    assert "2020-01 to 2020-12" in message and "12 month(s)" in message
    assert "count as zero demand" in message and "add a row with quantity 0" in message
    assert twin.report_["mean"].round(2).tolist() == [6.67, 6.67]  # still fitted as the docs say: zeros
    # a real zero said with one row of quantity 0 per month: no warning
    zeros = pd.DataFrame({"date": MONTHS[12:24], "sku": "A", "quantity": 0.0})
    assert not [m for m in _quiet(pd.concat([gap, zeros])) if "no row of any SKU" in m]


def test_several_stretches_are_named_and_a_single_lost_month_among_many_skus_too():
    skus = tuple(f"S{i}" for i in range(20))
    full = _monthly(skus)
    lost = full[~full["date"].isin([MONTHS[5], MONTHS[20], MONTHS[21]])]
    messages = [m for m in _quiet(lost) if "no row of any SKU" in m]
    assert len(messages) == 1
    assert "2019-06, 2020-09 to 2020-10 (3 month(s)" in messages[0]


def test_empty_periods_that_chance_explains_are_not_warned_about():
    # a transaction log has no row where nothing sold: one intermittent SKU often has no row for months
    rng = np.random.default_rng(3)
    sold = rng.random(MONTHS.size) < 0.4
    log = pd.DataFrame({"date": MONTHS[sold], "sku": "A", "quantity": 2})
    log = pd.concat([log, pd.DataFrame({"date": MONTHS[[0, -1]], "sku": "A", "quantity": 1})])
    assert "0" * 5 in "".join(str(int(v > 0)) for v in aggregate_sales(log, "month").demand[:, 0])  # 5 empty
    assert not [m for m in _quiet(log) if "no row of any SKU" in m]


def test_days_of_the_week_a_shop_is_closed_are_no_gap_but_a_lost_week_is():
    days = pd.date_range("2024-01-01", periods=140, freq="D")
    open_days = days[days.day_of_week < 5]  # closed on weekends, every week
    log = pd.DataFrame({"date": np.repeat(open_days, 3), "sku": np.tile(["A", "B", "C"], open_days.size),
                        "quantity": 4})
    assert not _quiet(log, "day")
    lost = log[~pd.to_datetime(log["date"]).between("2024-03-04", "2024-03-10")]
    messages = [m for m in _quiet(lost, "day") if "no row of any SKU" in m]
    assert len(messages) == 1 and "2024-03-04 to 2024-03-08" in messages[0]


def test_a_sku_whose_rows_stop_early_is_named_like_a_late_starter():
    # B's rows stop after 6 of 36 months: it was fitted at a sixth of its demand without a word
    full = _monthly()
    stop = full[~((full["sku"] == "B") & (full["date"] >= "2019-07-01"))]
    with pytest.warns(PlanningWarning, match="second half") as caught:
        matrix = aggregate_sales(stop, "month")
    message = next(m for m in _messages(caught.list) if "have no row in the second half" in m)
    assert message.startswith("1 SKU(s)") and "'B' (last row 2019-06)" in message
    assert "count as no demand" in message
    np.testing.assert_array_equal(matrix.demand[:, 1], [10.0] * 6 + [0.0] * 30)
    # rows up to past the middle are not warned about (the late starters' threshold)
    later = full[~((full["sku"] == "B") & (full["date"] >= "2020-08-01"))]
    assert not [m for m in _quiet(later) if "second half" in m]


def test_many_skus_that_stop_early_are_warned_about_once_with_their_count():
    skus = tuple(f"P{i:02d}" for i in range(10))
    full = _monthly(skus)
    stop = full[~(full["sku"].isin(skus[2:]) & (full["date"] >= "2020-03-01"))]
    messages = [m for m in _quiet(stop) if "have no row in the second half" in m]
    assert len(messages) == 1
    assert messages[0].startswith("8 SKU(s)") and "'P02' (last row 2020-02)" in messages[0]
    assert "'P04'" in messages[0] and "'P05'" not in messages[0] and ", ...)" in messages[0]


def test_a_period_total_above_the_quantity_limit_names_the_sku_and_period():
    # each daily row of 9e11 is within 1e12; their month was refused only in the catalog, naming 'demand_mean'
    days = pd.date_range("2019-01-01", periods=120, freq="D")
    log = pd.DataFrame({"date": days, "sku": "A", "quantity": np.where(days.month == 2, 9e11, 1.0)})
    log = pd.concat([log, pd.DataFrame({"date": days, "sku": "B", "quantity": 1.0})])
    with pytest.raises(PlanningError, match="2019-02") as caught:
        aggregate_sales(log, "month")
    assert caught.value.column == "quantity" and caught.value.sku == "A"
    assert caught.value.value == pytest.approx(28 * 9e11)
    aggregate_sales(log, "day")  # each day alone is within the limit


def test_dates_given_as_pandas_periods_are_read():
    # "dates written in more than one way (Passing PeriodDtype data is invalid...)"
    log = _monthly()
    plain = aggregate_sales(log, "month")
    periods = aggregate_sales(log.assign(date=pd.DatetimeIndex(log["date"]).to_period("M")), "month")
    assert list(periods.periods) == list(plain.periods)
    np.testing.assert_array_equal(periods.demand, plain.demand)
