"""Input checks of the digital twin: stock-out flags, an empty sales log, and receipts
that do not fit the sales log (each a PlanningError naming column, SKU and value)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import main
from hybridinv.core.errors import PlanningError, PlanningWarning
from hybridinv.twin import DigitalTwin, aggregate_sales, fit_supply


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
    with pytest.raises(PlanningError, match="more than 100,000 day periods") as info:
        aggregate_sales(sales, "day")
    assert info.value.column == "date" and info.value.value == "1024-01-05"
    assert aggregate_sales(sales, "month").demand.shape == (12_001, 2)  # the same span in months is allowed
