"""Input checks of the digital twin: stock-out flags, an empty sales log, and receipts
that do not fit the sales log (each a PlanningError naming column, SKU and value)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import main
from hybridinv.core.errors import PlanningError, PlanningWarning
from hybridinv.twin import DigitalTwin, aggregate_sales, data_dir, fit_demand, fit_supply, real_data_backtest


def _sales(stockout: list[object]) -> pd.DataFrame:
    """One row per day of SKU ``A`` with the given stock-out flags."""
    days = pd.date_range("2024-01-01", periods=len(stockout), freq="D").strftime("%Y-%m-%d")
    return pd.DataFrame({"date": days, "sku": "A", "quantity": 3, "stockout": pd.Series(stockout, dtype=object)})


@pytest.mark.parametrize("words", [
    ["yes", "no", "YES", "No"],
    ["Y", "n", "y", "N"],
    ["true", "False", "TRUE", "false"],
    ["t", "f", " T ", "F"],
    [1, 0, 1, 0],
    [1.0, 0.0, 1.0, np.nan],
    ["1", "0", "1", ""],
    [True, False, True, None],
])
def test_stockout_words_are_read_as_flags(words):
    matrix = aggregate_sales(_sales(words), "day")
    assert matrix.censored[:, 0].tolist() == [True, False, True, False]
    assert matrix.has_stock_info


def test_stockout_written_as_yes_no_fits_like_booleans():
    flags = [i % 14 == 0 for i in range(70)]  # a stock-out every other week
    as_words = _sales(["yes" if f else "no" for f in flags])
    as_bools = _sales(flags).astype({"stockout": bool})
    fit_words = DigitalTwin(period="week").fit(as_words).report_
    fit_bools = DigitalTwin(period="week").fit(as_bools).report_
    assert fit_words["censored_share"].tolist() == fit_bools["censored_share"].tolist()
    assert fit_words["mean"].tolist() == pytest.approx(fit_bools["mean"].tolist())
    assert fit_words["censored_share"].iloc[0] == pytest.approx(0.5)  # "no" is not a stock-out


@pytest.mark.parametrize("empty", [None, np.nan])
def test_a_stockout_column_with_every_cell_empty_means_no_stock_out(empty):
    # the finding: an IndexError (the CLI printed a traceback); twin.md: "an empty cell is false"
    fit = DigitalTwin(period="week").fit(_sales([empty] * 28)).report_
    plain = DigitalTwin(period="week").fit(_sales(["no"] * 28)).report_
    assert fit["censored_share"].tolist() == plain["censored_share"].tolist() == [0.0]
    assert fit["mean"].tolist() == plain["mean"].tolist() == [21.0]


@pytest.mark.parametrize("bad", ["maybe", 2, -1, "out"])
def test_unknown_stockout_value_names_column_sku_and_value(bad):
    sales = _sales(["no", "no", bad, "yes"])
    sales.loc[2, "sku"] = "B-7"
    with pytest.raises(PlanningError, match="stockout") as err:
        aggregate_sales(sales, "day")
    assert (err.value.column, err.value.sku, err.value.value) == ("stockout", "B-7", bad)


def test_empty_sales_log_is_a_planning_error():
    empty = pd.DataFrame({"date": [], "sku": [], "quantity": []})
    with pytest.raises(PlanningError, match="sales log has no rows") as err:
        DigitalTwin().fit(empty)
    assert err.value.column == "date"
    with pytest.raises(PlanningError, match="no rows"):
        aggregate_sales(empty)


def test_missing_date_names_the_sku():
    sales = pd.DataFrame({"date": ["2024-01-01", None], "sku": ["A", "B"], "quantity": [1, 2]})
    with pytest.raises(PlanningError, match="date is missing") as err:
        aggregate_sales(sales, "day")
    assert (err.value.column, err.value.sku) == ("date", "B")


def _receipts(**changes: list[object]) -> pd.DataFrame:
    data: dict[str, list[object]] = {
        "sku": ["A", "A"], "order_date": ["2024-01-01", "2024-01-08"], "promised_date": ["2024-01-08", "2024-01-15"],
        "arrival_date": ["2024-01-08", "2024-01-15"], "quantity_ordered": [10, 10], "quantity_received": [10, 10],
    }
    data.update(changes)
    return pd.DataFrame(data)


def test_a_promise_before_the_order_is_refused():
    # it was counted late whenever the order came (SKU A's on-time rate 0.5 -> 0.0)
    with pytest.raises(PlanningError, match="promised before the order date") as err:
        fit_supply(_receipts(sku=["A", "B"], promised_date=["2024-01-08", "2024-01-01"]))
    assert (err.value.column, err.value.sku, err.value.value) == ("promised_date", "B", "2024-01-01")


def test_a_mean_lead_time_of_exactly_half_a_period_rounds_up():
    # 1, 1, 11 and 57 days: 17.5 days, 2.5 weeks exactly; averaged as 0.142857... weeks each it came to
    # 2.4999999999999996 and rounded to 2 (the docs: halves up)
    order = pd.Timestamp("2024-02-01")
    receipts = pd.DataFrame({
        "sku": "A", "order_date": order, "promised_date": order + pd.Timedelta(days=30),
        "arrival_date": order + pd.to_timedelta([1, 1, 11, 57], unit="D"), "quantity_ordered": 10,
        "quantity_received": 10})
    fit = fit_supply(receipts, period_days=7.0)
    assert fit.lead_time_mean[0] == 2.5
    assert fit.lead_time_std[0] == pytest.approx(np.std([1, 1, 11, 57], ddof=1) / 7.0)
    sales = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=364, freq="D"), "sku": "A", "quantity": 3})
    assert DigitalTwin(period="week").fit(sales, receipts).catalog().lead_time[0] == 3


def test_receipts_from_several_suppliers_of_one_sku_are_named():
    # pooled without a word: two spikes (1 and 5 weeks) fitted as one distribution, one supplier kept
    receipts = _receipts(sku=["A", "A", "A"], order_date=["2024-01-01"] * 3, promised_date=["2024-01-08"] * 3,
                         arrival_date=["2024-01-08", "2024-01-08", "2024-02-05"], quantity_ordered=[10] * 3,
                         quantity_received=[10, 10, 5]).assign(supplier=["FAST", "FAST", "SLOW"])
    with pytest.warns(PlanningWarning, match=r"1 SKU\(s\) have receipts from more than one supplier \(first 'A': "
                                             r"FAST 2, SLOW 1\)"):
        fit = fit_supply(receipts)
    assert fit.supplier[0] == "FAST" and fit.receipts[0] == 3


def test_more_received_than_ordered_is_refused():
    with pytest.raises(PlanningError, match="more received than ordered") as err:
        fit_supply(_receipts(sku=["A", "B"], quantity_received=[10, 20]))
    assert (err.value.column, err.value.sku, err.value.value) == ("quantity_received", "B", 20)


def test_short_and_full_deliveries_are_still_accepted():
    fit = fit_supply(_receipts(quantity_received=[10, 5]))
    assert fit.fill_rate == pytest.approx([0.75])


def test_receipts_that_match_no_sku_are_refused_and_others_are_named():
    sales = _sales(["no"] * 28)
    with pytest.raises(PlanningError, match="no receipt names a SKU of the sales log") as err:
        DigitalTwin().fit(sales, _receipts(sku=["X1", "X2"]))  # the finding: silently ignored
    assert (err.value.column, err.value.sku) == ("sku", "X1")
    with pytest.warns(PlanningWarning, match="1 SKU\\(s\\) without sales in the log \\(first 'Z'\\)"):
        partly = DigitalTwin().fit(sales, _receipts(sku=["A", "Z"]))  # a product without sales: not an error
    assert partly.supply_fit_ is not None
    fitted = DigitalTwin().fit(sales, _receipts())
    assert fitted.report_["fill_rate"].tolist() == [1.0]


@pytest.mark.parametrize(("sales_text", "message"), [
    ("date,sku,quantity\n", "column 'date': sales log has no rows"),
    ("date,sku,quantity,stockout\n2024-01-01,A,1,no\n2024-01-02,A,1,maybe\n",
     "column 'stockout', sku 'A', value 'maybe'"),
])
def test_twin_command_reports_bad_sales_in_one_line(tmp_path, sales_text, message):
    (tmp_path / "s.csv").write_text(sales_text)
    result = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "s.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_twin_command_refuses_over_delivery(tmp_path):
    days = pd.date_range("2024-01-01", periods=28, freq="D")
    pd.DataFrame({"date": days, "sku": "A", "quantity": 2}).to_csv(tmp_path / "s.csv", index=False)
    _receipts(quantity_received=[10, 20]).to_csv(tmp_path / "r.csv", index=False)
    result = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "s.csv"), "--receipts",
                                       str(tmp_path / "r.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "column 'quantity_received', sku 'A', value 20: more received than ordered" in result.output
    assert "fill rate" not in result.output


def test_on_hand_text_that_is_not_a_number_is_named():
    """The finding: a non-numeric on_hand became NaN and was silently read as 'in stock'."""
    sales = _sales(["no"] * 28).drop(columns="stockout").assign(on_hand=[5] * 27 + ["out"])
    with pytest.raises(PlanningError, match="on_hand must be a number") as err:
        DigitalTwin().fit(sales)
    assert err.value.column == "on_hand" and err.value.value == "out"
    DigitalTwin().fit(sales.assign(on_hand=[5] * 27 + [None]))  # an empty cell: unknown, as before


def test_an_arrived_receipt_without_its_quantity_is_named():
    """The finding: an empty quantity_received on a receipt that had arrived was read as 0 received."""
    with pytest.raises(PlanningError, match="needs quantity_received") as err:
        fit_supply(_receipts(quantity_received=[10, None]))
    assert err.value.column == "quantity_received"
    still_open = _receipts(arrival_date=["2024-01-08", None], quantity_received=[10, None])
    assert fit_supply(still_open) is not None  # an open order may leave it empty


@pytest.mark.parametrize(("change", "column"), [
    (lambda s: s.assign(quantity=np.inf), "quantity"),  # accepted
    (lambda s: s.assign(quantity=1e15), "quantity"),  # exhausted memory in the fit
    (lambda s: s.assign(quantity=True), "quantity"),  # one unit sold per row
    (lambda s: s.assign(sku=pd.Series([np.nan] + ["A"] * (len(s) - 1), dtype=object)), "sku"),  # a TypeError
    (lambda s: s.assign(sku=[" "] + ["A"] * (len(s) - 1)), "sku"),  # a SKU named " "
    (lambda s: s.assign(date=np.arange(len(s))), "date"),  # nanoseconds since 1970: one period
])
def test_bad_sales_cells_are_named(change, column):
    sales = _sales([False] * 60).drop(columns="stockout")
    with pytest.raises(PlanningError) as info:
        DigitalTwin(period="week").fit(change(sales))
    assert info.value.column == column


def test_a_log_too_short_to_fit_names_its_span():
    # was "demand must have shape (periods >= 4, skus), got (1, 1)"
    sales = _sales([False] * 10).drop(columns="stockout")
    with pytest.raises(PlanningError, match=r"spans 2 week period\(s\).*at least 4") as info:
        DigitalTwin(period="week").fit(sales)
    assert info.value.column == "date"
    assert DigitalTwin(period="day").fit(sales).report_["periods"].tolist() == [10]


def test_outputs_before_fit_are_a_planning_error():
    # report(), catalog() and scenario() raised AttributeError: 'DigitalTwin' object has no attribute 'matrix_'
    twin = DigitalTwin()
    for call in (twin.report, twin.catalog, twin.scenario, twin.demand_process):
        with pytest.raises(PlanningError, match="not fitted yet"):
            call()


def test_a_date_typo_that_spans_centuries_is_named():
    # 1024 for 2024 allocated every day in between for every SKU
    sales = pd.DataFrame({"date": ["1024-01-05", "2024-01-01", "2024-01-02"], "sku": ["A", "A", "B"],
                          "quantity": [1, 2, 3]})
    # refused at every period length: at weeks and months the span was within MAX_PERIODS and 1,000 years
    # of empty periods were fitted (52,190 weeks), with only warnings
    for period in ("day", "week", "month"):
        with pytest.raises(PlanningError, match="a date before 1900") as info:
            aggregate_sales(sales, period)
        assert (info.value.column, info.value.sku, info.value.value) == ("date", "A", "1024-01-05")
    long = sales.assign(date=["1901-01-05", "2200-01-01", "2200-01-02"])
    with pytest.raises(PlanningError, match="more than 100,000 day periods") as info:  # 109,000 days
        aggregate_sales(long, "day")
    assert info.value.column == "date" and info.value.value == "1901-01-05"


# ---------------------------------------------------------------- audit of bad sales, catalogs and receipts

@pytest.mark.parametrize(("column", "bad"), [
    ("quantity", True),  # a boolean among numbers was one unit sold
    ("quantity", 3 + 1j),  # the imaginary part was dropped
    ("on_hand", True),  # read as 1 unit in stock
    ("on_hand", np.inf),  # an infinite stock was read as "in stock"
])
def test_booleans_complex_and_infinite_cells_are_named(column, bad):
    sales = _sales([False] * 60).drop(columns="stockout").assign(**{column: pd.Series([3] * 59 + [bad], dtype=object)})
    sales.loc[59, "sku"] = "B-2"
    with pytest.raises(PlanningError) as info:
        DigitalTwin(period="week").fit(sales)
    assert (info.value.column, info.value.sku, info.value.value) == (column, "B-2", bad)


def test_a_column_given_twice_is_named():
    sales = _sales([False] * 28).drop(columns="stockout")
    with pytest.raises(PlanningError, match="more than once") as info:  # was a TypeError inside pandas
        aggregate_sales(pd.concat([sales, sales[["quantity"]]], axis=1), "day")
    assert info.value.column == "quantity"
    with pytest.raises(PlanningError, match="more than once") as info:  # was a ValueError
        fit_supply(pd.concat([_receipts(), _receipts()[["sku"]]], axis=1))
    assert info.value.column == "sku"


def test_an_unknown_period_of_aggregate_sales_is_named():
    with pytest.raises(PlanningError, match="must be one of") as info:  # was "'year' is not a valid PlanningPeriod"
        aggregate_sales(_sales([False] * 28), "year")
    assert (info.value.column, info.value.value) == ("period", "year")


def test_a_catalog_listing_a_sku_twice_is_named():
    twin = DigitalTwin(period="day").fit(_sales([False] * 28))
    catalog = pd.DataFrame({"sku": ["A", "A"], "unit_cost": [2.0, 3.0]})
    with pytest.raises(PlanningError, match="more than once") as info:  # was "cannot reindex on an axis ..."
        twin.catalog(catalog)
    assert (info.value.column, info.value.sku) == ("sku", "A")
    assert twin.catalog(catalog.iloc[:1]).unit_cost.tolist() == [2.0]


@pytest.mark.parametrize(("changes", "column", "sku"), [
    ({"order_date": [None, "2024-01-08"]}, "order_date", "A"),  # its lead time was dropped, the receipt counted
    ({"promised_date": ["2024-01-08", None]}, "promised_date", "A"),  # counted as on time
    ({"order_date": [20240101, 20240108]}, "order_date", "A"),  # nanoseconds since 1970: 2,819 weeks of lead time
    ({"quantity_ordered": [True, True], "quantity_received": [True, True]}, "quantity_ordered", "A"),
    ({"quantity_received": [10, True]}, "quantity_received", "A"),  # one unit received
    ({"quantity_received": [-1, 10]}, "quantity_received", "A"),  # was named quantity_ordered
    ({"quantity_received": [10, 5 + 1j]}, "quantity_received", "A"),
    ({"sku": [None, "A"]}, "sku", None),  # the receipt was dropped without a word
    ({"sku": ["", "A"]}, "sku", None),  # a SKU named ""
])
def test_bad_receipt_cells_are_named(changes, column, sku):
    with pytest.raises(PlanningError) as info:
        fit_supply(_receipts(**changes))
    assert (info.value.column, info.value.sku) == (column, sku)


def test_an_open_receipt_may_leave_its_dates_and_quantity_empty():
    still_open = _receipts(promised_date=["2024-01-08", None], arrival_date=["2024-01-08", None],
                           quantity_received=[10, None])
    assert fit_supply(still_open).receipts.tolist() == [1.0]


@pytest.mark.parametrize("days", [0, -7, "7", np.nan, True])
def test_period_days_must_be_a_positive_number(days):
    with pytest.raises(PlanningError) as info:  # 0 gave lead times of inf, -7 negative ones, "7" a TypeError
        fit_supply(_receipts(), days)
    assert info.value.column == "period_days"


def test_an_empty_supplier_is_the_default_supplier():
    # a SKU whose receipts all had an empty supplier failed with an IndexError
    fit = fit_supply(_receipts(sku=["A", "B"], supplier=[None, " "]))
    assert fit.supplier.tolist() == ["default", "default"]
    assert fit_supply(_receipts(supplier=["S1", ""])).supplier.tolist() == ["S1"]


_NO_DATA = pytest.mark.skipif(not (data_dir() / "hospital.csv.gz").exists(), reason="real demand data not found")


@_NO_DATA
@pytest.mark.parametrize(("options", "column"), [
    ({"train_months": 30.7}, "train_months"),  # cut to 30 months without a word
    ({"train_months": "40"}, "train_months"),  # read as 40
    ({"n_series": 2.5}, "n_series"),  # an IndexError
    ({"n_series": True}, "n_series"),  # a TypeError inside pandas
    ({"n_series": "3"}, "n_series"),  # a TypeError
])
def test_real_data_counts_must_be_whole_numbers(options, column):
    with pytest.raises(PlanningError) as info:
        real_data_backtest("hospital", **{"n_series": 3, **options})
    assert (info.value.column, info.value.value) == (column, options[column])


_DEMAND = np.random.default_rng(0).poisson(4.0, (20, 2)).astype(float)


@pytest.mark.parametrize(("call", "column"), [
    (lambda: fit_demand(np.where(np.arange(20)[:, None] == 3, np.inf, _DEMAND)), "demand"),  # read as missing
    (lambda: fit_demand(_DEMAND.astype(str)), "demand"),  # text was converted
    (lambda: fit_demand(_DEMAND > 3), "demand"),  # booleans read as 0/1
    (lambda: fit_demand(_DEMAND, censored=np.zeros((3, 3), dtype=bool)), "censored"),  # a broadcasting error
    (lambda: fit_demand(_DEMAND, observed=np.ones((20, 1), dtype=bool)), "observed"),  # broadcast to every SKU
    (lambda: fit_demand(_DEMAND, holdout=np.nan), "holdout"),  # "cannot convert float NaN to integer"
    (lambda: fit_demand(_DEMAND, holdout=1.5), "holdout"),  # no held-out periods, without a word
    (lambda: fit_demand(_DEMAND, alpha=-1), "alpha"),
    (lambda: fit_demand(_DEMAND, censoring="drop"), "censoring"),  # "'drop' is not a valid Censoring"
    (lambda: fit_demand(_DEMAND, level_window=2.5), "level_window"),  # a TypeError in slicing
    (lambda: fit_demand(_DEMAND, level_window=-3), "level_window"),  # every period used
    (lambda: fit_demand(_DEMAND, seasonal_cycles=(0,)), "seasonal_cycles"),  # an IndexError
    (lambda: fit_demand(_DEMAND, seasonal_cycles=(2.5,)), "seasonal_cycles"),
    (lambda: fit_demand(_DEMAND, seasonal_cycles="7"), "seasonal_cycles"),  # a TypeError ('str' read as digits)
    (lambda: fit_demand(_DEMAND, seasonal_cycles=True), "seasonal_cycles"),
    (lambda: fit_demand(_DEMAND, seasonal_cycles=1), "seasonal_cycles"),
])
def test_fit_demand_refuses_bad_arrays_and_options(call, column):
    with pytest.raises(PlanningError) as info:
        call()
    assert info.value.column == column


def test_one_seasonal_cycle_may_be_given_as_a_number():
    """fit_demand(seasonal_cycles=7) was a TypeError ("'int' object is not iterable")."""
    weekly = np.random.default_rng(1).poisson(5.0 * (1 + 0.8 * (np.arange(84) % 7 == 5)), (2, 84)).T.astype(float)
    one = fit_demand(weekly, seasonal_cycles=7)
    again = fit_demand(weekly, seasonal_cycles=(7,))
    assert one.season_period == again.season_period == (7,)
    np.testing.assert_array_equal(one.mean, again.mean)


def test_use_fitted_lead_times_must_be_a_boolean():
    """catalog(use_fitted_lead_times="no") used the fitted lead times: "no" is true."""
    days = pd.date_range("2024-01-01", periods=140, freq="D")
    sales = pd.DataFrame({"date": days, "sku": "A", "quantity": np.random.default_rng(0).poisson(3, days.size)})
    receipts = pd.DataFrame({"sku": ["A"], "order_date": ["2024-01-01"], "promised_date": ["2024-01-29"],
                             "arrival_date": ["2024-01-29"], "quantity_ordered": [10], "quantity_received": [10]})
    twin = DigitalTwin().fit(sales, receipts)
    catalog = pd.DataFrame({"sku": ["A"], "lead_time": [1]})
    assert twin.catalog(catalog, use_fitted_lead_times=False).lead_time[0] == 1
    assert twin.catalog(catalog, use_fitted_lead_times=True).lead_time[0] == 4
    for value in ("no", "False", 0, None):
        with pytest.raises(PlanningError) as info:
            twin.catalog(catalog, use_fitted_lead_times=value)
        assert info.value.column == "use_fitted_lead_times"


def _log(dates: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"date": dates, "sku": "A", "quantity": np.arange(1, len(dates) + 1)})


def test_day_first_dates_are_read_day_first():
    # 13/02/1998 and 01/03/1998 were read month first: the second sale landed on January 3
    iso = aggregate_sales(_log(["1998-02-13", "1998-03-01", "1998-03-20"]), "month")
    day_first = aggregate_sales(_log(["13/02/1998", "01/03/1998", "20/03/1998"]), "month")
    month_first = aggregate_sales(_log(["02/13/1998", "03/01/1998", "03/20/1998"]), "month")
    for matrix in (day_first, month_first):
        assert list(matrix.periods.astype(str)) == ["1998-02", "1998-03"]
        np.testing.assert_array_equal(matrix.demand, iso.demand)
    np.testing.assert_array_equal(iso.demand[:, 0], [1, 5])
    # a monthly log dated on the 1st: the field that never changes is the day
    monthly = aggregate_sales(_log(["01/02/1998", "01/03/1998", "01/04/1998"]), "month")
    assert list(monthly.periods.astype(str)) == ["1998-02", "1998-03", "1998-04"]


def test_two_digit_years_and_times_of_day_keep_the_day_first_reading():
    # the finding: 13/02/98-style dates went to pandas, which read days 1-12 month first and the others day
    # first: four weeks of sales were fitted over 48 weeks
    days = pd.date_range("2024-01-01", "2024-01-28")
    iso = aggregate_sales(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "sku": "A", "quantity": 1}), "week")
    np.testing.assert_array_equal(iso.demand[:, 0], [7, 7, 7, 7])
    for written in ("%d/%m/%y", "%m/%d/%y", "%d.%m.%y %H:%M", "%d-%m-%Y %H:%M:%S"):
        matrix = aggregate_sales(pd.DataFrame({"date": days.strftime(written), "sku": "A", "quantity": 1}), "week")
        assert list(matrix.periods) == list(iso.periods), written
        np.testing.assert_array_equal(matrix.demand, iso.demand)
    # two-digit years: 69 and later are 19yy, earlier ones 20yy (as Python's %y)
    old = aggregate_sales(_log(["13/02/69", "14/02/68"]), "month")
    assert [str(old.periods[0]), str(old.periods[-1])] == ["1969-02", "2068-02"]


def test_the_receipts_date_columns_are_read_in_one_day_month_order():
    # the finding: order_date was read day first (13 > 12) and promised/arrival month first (their second
    # field never changed): lead times of 24 and 19 days became 24 weeks
    receipts = pd.DataFrame({"sku": ["A", "A"], "order_date": ["13/01/2024", "20/01/2024"],
                             "promised_date": ["05/02/2024", "09/02/2024"],
                             "arrival_date": ["06/02/2024", "08/02/2024"],
                             "quantity_ordered": [10, 10], "quantity_received": [10, 10]})
    fit = fit_supply(receipts, period_days=1.0)
    assert fit.lead_time_mean[0] == pytest.approx((24 + 19) / 2)  # 13 Jan -> 6 Feb, 20 Jan -> 8 Feb
    assert fit.on_time_rate[0] == pytest.approx(0.5)  # 6 Feb after 5 Feb, 8 Feb before 9 Feb
    with pytest.raises(PlanningError, match="ambiguous"):  # no column tells: refused, not guessed per column
        fit_supply(receipts.assign(order_date=["01/02/2024", "02/03/2024"]))


def test_a_date_column_mixing_two_ways_of_writing_is_refused():
    with pytest.raises(PlanningError, match="dates written in two ways") as err:
        aggregate_sales(_log(["2024-01-01", "02/01/2024", "03/01/2024"]), "month")
    assert err.value.column == "date"


@pytest.mark.parametrize(("dates", "words"), [
    (["01/02/1998", "03/04/1998"], "ambiguous"),
    (["13/02/1998", "02/13/1998"], "day first in some rows"),
])
def test_dates_that_could_be_either_order_are_refused(dates, words):
    with pytest.raises(PlanningError, match=words) as err:
        aggregate_sales(_log(dates), "month")
    assert err.value.column == "date" and "YYYY-MM-DD" in str(err.value)


def test_a_catalog_sku_without_sales_is_named_when_left_out():
    days = pd.date_range("2024-01-01", periods=70, freq="D").strftime("%Y-%m-%d")
    twin = DigitalTwin(period="week").fit(pd.DataFrame({"date": days, "sku": "A", "quantity": 2}))
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [3.0, 4.0]})
    with pytest.warns(PlanningWarning, match="no sales in the log") as caught:
        fitted = twin.catalog(catalog)
    assert "'B'" in str(caught[0].message)
    assert list(fitted.sku) == ["A"] and fitted.unit_cost[0] == 3.0


def test_a_sku_that_first_sells_late_in_the_log_is_named():
    # a new product sold in the last 2 of 24 months was fitted at 1/12 of its rate without a word
    months = pd.period_range("2000-01", periods=24, freq="M").to_timestamp().strftime("%Y-%m-%d")
    log = pd.concat([pd.DataFrame({"date": months, "sku": "A", "quantity": 3}),
                     pd.DataFrame({"date": months[-2:], "sku": "00003", "quantity": [5, 7]})])
    with pytest.warns(PlanningWarning, match="second half") as caught:
        matrix = aggregate_sales(log, "month")
    assert "'00003'" in str(caught[0].message) and "2001-11" in str(caught[0].message)
    np.testing.assert_array_equal(matrix.demand[:, list(matrix.sku).index("00003")], [0.0] * 22 + [5.0, 7.0])


def test_dates_with_a_time_zone_are_read_on_the_local_clock():
    # a UTC-stamped daily export failed with "Cannot compare tz-naive and tz-aware timestamps", and local
    # stamps whose offset changes with daylight saving time (+01:00, +02:00) were unreadable
    days = pd.date_range("2024-03-18", periods=28, freq="D")
    quantity = np.arange(1, 29)
    plain = aggregate_sales(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "sku": "A", "quantity": quantity}),
                            "week")
    np.testing.assert_array_equal(plain.demand[:, 0], [28, 77, 126, 175])  # Monday-to-Sunday sums by hand
    local = (days + pd.Timedelta(minutes=30)).tz_localize("Europe/Berlin")  # the clocks change on 2024-03-31
    for dates in (days.tz_localize("UTC"), days.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  local.strftime("%Y-%m-%dT%H:%M:%S%z")):
        matrix = aggregate_sales(pd.DataFrame({"date": dates, "sku": "A", "quantity": quantity}), "week")
        assert list(matrix.periods) == list(plain.periods)
        np.testing.assert_array_equal(matrix.demand, plain.demand)


def test_twin_command_names_how_the_censored_skus_were_treated(tmp_path):
    # it printed the first SKU's flag: "2 SKUs affected (none)" when that SKU never ran out
    days = pd.date_range("2024-01-01", periods=56, freq="D").strftime("%Y-%m-%d")
    rows = [pd.DataFrame({"date": days, "sku": sku, "quantity": 3, "stockout": [sku != "A" and i % 9 == 0
                                                                                for i in range(56)]})
            for sku in ("A", "B", "C")]
    pd.concat(rows).to_csv(tmp_path / "s.csv", index=False)
    for censoring, treated in (("impute", "imputed"), ("exclude", "excluded")):
        result = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "s.csv"), "--censoring", censoring,
                                           "--out", str(tmp_path / "o")])
        assert result.exit_code == 0, result.output
        assert f"censored periods: 2 SKUs affected ({treated})" in result.output


def test_twin_command_summarizes_lead_times_over_the_skus_with_receipts(tmp_path):
    # the SKUs without receipts (1 week, on time, in full by default) were averaged in: 1.50 weeks, 75% on time
    days = pd.date_range("2024-01-01", periods=56, freq="D").strftime("%Y-%m-%d")
    pd.concat([pd.DataFrame({"date": days, "sku": sku, "quantity": 3}) for sku in "ABCD"]).to_csv(
        tmp_path / "s.csv", index=False)
    pd.DataFrame({"sku": "A", "order_date": ["2024-01-01", "2024-01-10"], "promised_date": ["2024-01-15", "2024-01-24"],
                  "arrival_date": ["2024-01-22", "2024-01-31"], "quantity_ordered": 10,
                  "quantity_received": [5, 10]}).to_csv(tmp_path / "r.csv", index=False)
    result = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "s.csv"), "--receipts",
                                       str(tmp_path / "r.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    # both receipts 21 days = 3 weeks after the order, a week after the promise; 15 of 20 units received
    assert ("lead time: mean 3.00 weeks, on-time rate 0.0%, supplier fill rate 75.0% (1 of 4 SKUs with receipts)"
            in result.output)


@pytest.mark.parametrize(("options", "column"), [
    ({"seed": None}, "seed"), ({"seed": -1}, "seed"), ({"seed": 2.5}, "seed"), ({"n_skus": 0}, "n_skus"),
    ({"days": 0}, "days"), ({"orders_per_sku": 0}, "orders_per_sku"), ({"censor_probability": 2}, "censor_probability"),
])
def test_synthetic_log_options_are_checked(options, column):
    # seed None drew an irreproducible log, -1 and 2.5 failed inside numpy, a probability of 2 was read as 1
    from hybridinv.twin import synthetic_log

    with pytest.raises(PlanningError) as err:
        synthetic_log(**{"n_skus": 3, "days": 30, **options})
    assert err.value.column == column


def test_the_twin_scenario_reads_constraints_given_as_a_dict():
    """A dict was kept as the scenario's constraints and failed at the first simulated period with
    "'dict' object has no attribute 'supplier_capacity'" (a negative capacity in it went unchecked until then)."""
    from hybridinv import simulate
    from hybridinv.policies import BaseStock

    days = pd.date_range("2024-01-01", periods=70, freq="D")
    sales = pd.DataFrame({"date": np.repeat(days, 2), "sku": np.tile(["A", "B"], 70), "quantity": 3})
    twin = DigitalTwin(period="week").fit(sales)  # 21 units a week each; volume 1 per unit by default
    scenario = twin.scenario(constraints={"capacity": 30.0}, periods=8)
    assert scenario.constraints.capacity == 30.0 and scenario.constraints.budget == np.inf
    frame = simulate(BaseStock(40), scenario, seeds=[0])
    # order-up-to 40 per SKU is 80 units after a receipt: the warehouse of 30 turns units away
    assert frame["overflow_units"].iloc[0] > 0
    with pytest.raises(PlanningError) as info:
        twin.scenario(constraints={"capacity": -1.0})
    assert info.value.column == "capacity"
    assert scenario.replace(constraints={"budget": 5.0}).constraints.budget == 5.0  # any Scenario, not only the twin's


def test_an_unknown_column_of_either_log_is_refused_unless_allowed(tmp_path):
    # the finding: a misspelled 'onhand' was ignored, so the stock-outs it showed were lost without a word
    sales = _sales(["no"] * 28).drop(columns="stockout").assign(onhand=[0, 5, 5] * 9 + [5])
    with pytest.raises(PlanningError, match=r"sales has unknown column 'onhand' \(did you mean 'on_hand'\?\)") as err:
        DigitalTwin(period="week").fit(sales)
    assert err.value.column == "onhand"
    fit = DigitalTwin(period="week").fit(sales.rename(columns={"onhand": "on_hand"})).report_
    assert fit["censored_share"].iloc[0] > 0  # what the misspelled column meant
    # ignored, 'onhand' is still 'on_hand' spelt another way: refused (until 2026-12-06 its stock-outs were lost)
    with pytest.raises(PlanningError, match="'onhand' is 'on_hand' written another way"):
        DigitalTwin(period="week").fit(sales, extra_columns="ignore")
    other = sales.rename(columns={"onhand": "shelf"})
    ignored = DigitalTwin(period="week").fit(other, extra_columns="ignore").report_
    assert ignored["censored_share"].iloc[0] == 0
    with pytest.raises(PlanningError, match="receipts has unknown column 'suplier'"):
        DigitalTwin(period="week").fit(sales.drop(columns="onhand"), _receipts(suplier=["S1", "S1"]))
    assert DigitalTwin(period="week").fit(sales.drop(columns="onhand"), _receipts(po=["1", "2"]),
                                          extra_columns=["po"]).supply_fit_ is not None
    # the command line: --extra-columns error (the default) refuses, ignore reads the log
    sales.to_csv(tmp_path / "s.csv", index=False)
    refused = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "s.csv"), "--out", str(tmp_path / "o")])
    assert refused.exit_code == 1 and "unknown column 'onhand'" in refused.output and "Traceback" not in refused.output
    other.to_csv(tmp_path / "s.csv", index=False)
    read = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "s.csv"), "--out", str(tmp_path / "o"),
                                     "--extra-columns", "ignore"])
    assert read.exit_code == 0, read.output


def test_a_weekly_log_fitted_per_day_and_fractional_quantities_are_warned_about():
    import warnings

    weeks = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=52, freq="W-MON"), "sku": "A",
                          "quantity": np.random.default_rng(0).poisson(70, 52)})
    with pytest.warns(PlanningWarning, match="about one date per week, but it is aggregated per day"):
        aggregate_sales(weeks, "day")  # six days in seven read as 0 sold: fitted as intermittent
    flour = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=28, freq="D"), "sku": ["KG"] * 27 + ["KG"],
                          "quantity": [1.0] * 27 + [0.5]})
    with pytest.warns(PlanningWarning, match=r"1 SKU\(s\) sold fractional quantities .* 'KG', 0.5 in 2024-01-28"):
        aggregate_sales(flour, "day")  # a count family fitted to kilograms depends on the unit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aggregate_sales(weeks, "week")
        halves = flour.iloc[:14].assign(quantity=0.5)  # two rows of half a unit a day: whole units a day
        aggregate_sales(pd.concat([halves, halves]), "day")


def test_a_missing_data_file_names_where_the_folder_came_from(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An installed package looked in <venv>/lib/python3.11/shared/data and said only "not found"."""
    import pytest

    import hybridinv.twin.realdata as realdata

    monkeypatch.delenv("HYBRIDINV_DATA", raising=False)
    monkeypatch.setattr(realdata, "__file__", str(tmp_path / "a" / "b" / "c" / "realdata.py"))  # no data beside it
    with pytest.raises(FileNotFoundError, match=r"in the default, \.\./shared/data beside a source checkout"):
        realdata.load_series("hospital")
    monkeypatch.setenv("HYBRIDINV_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"in \$HYBRIDINV_DATA: .* folder holding hospital.csv.gz"):
        realdata.load_series("hospital")
    with pytest.raises(FileNotFoundError, match="in the folder given"):
        realdata.load_series("carparts", tmp_path)


def test_a_misspelt_dataset_name_points_to_the_one_meant(tmp_path):
    import hybridinv.twin.realdata as realdata

    # the finding: "unknown data set; known: ['carparts', 'hospital']", the one meant left to the reader
    for load in (realdata.load_series, realdata.real_data_backtest, realdata.real_data_scenario):
        with pytest.raises(PlanningError, match=r"unknown data set \(did you mean 'carparts'\?\); "
                                                r"known: \['carparts', 'hospital'\]") as info:
            load("car_parts", path=tmp_path)  # refused before the (absent) data folder is read
        assert (info.value.column, info.value.value) == ("dataset", "car_parts")
    with pytest.raises(PlanningError, match=r"unknown data set; known: \['carparts', 'hospital'\]"):
        realdata.load_series("zzz", tmp_path)  # nothing close: the list alone, as before
