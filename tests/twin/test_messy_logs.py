"""Messy but realistic transaction logs (a planner's exports): codes a spreadsheet rewrote, empty date columns,
codes padded with spaces. Each is read right or refused with a message naming the column, the SKU and the value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import main
from hybridinv.core.errors import PlanningError, PlanningWarning
from hybridinv.deploy import LoggedOrders
from hybridinv.twin import DigitalTwin


def _sales(skus: tuple[str, ...] = ("00123", "A1"), weeks: int = 20) -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=weeks, freq="W-MON").strftime("%Y-%m-%d")
    return pd.DataFrame({"date": np.repeat(days, len(skus)), "sku": np.tile(skus, weeks),
                         "quantity": np.tile(np.arange(3, 3 + len(skus)), weeks)})


def _receipts(skus: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"sku": skus, "order_date": "2024-02-05", "promised_date": "2024-02-19",
                         "arrival_date": "2024-02-26", "quantity_ordered": 10, "quantity_received": 10})


def test_catalog_that_dropped_leading_zeros_names_the_sku_meant():
    twin = DigitalTwin(period="week").fit(_sales())
    catalog = pd.DataFrame({"sku": ["123", "A1"], "unit_cost": [2.0, 3.0]})
    with pytest.raises(PlanningError, match=r"the catalog has '123'.*leading zeros") as info:
        twin.catalog(catalog)
    assert info.value.column == "sku" and info.value.sku == "00123"


def test_receipts_that_dropped_leading_zeros_name_the_sales_sku_meant():
    with pytest.warns(PlanningWarning, match=r"first '123'.*the sales log has '00123'"):
        twin = DigitalTwin(period="week").fit(_sales(), _receipts(["123", "A1"]))
    assert twin.report_.set_index("sku").loc["00123", "receipts"] == 0  # not fitted from the other code's receipts
    with pytest.raises(PlanningError, match=r"no receipt names a SKU of the sales log \(the sales log has '00123'"):
        DigitalTwin(period="week").fit(_sales(), _receipts(["123"]))


@pytest.mark.parametrize(("logged", "meant"), [("123", "00123"), ("A1 ", "A1"), ("a1", "A1")])
def test_decisions_naming_a_sku_written_another_way_name_the_sku_meant(logged, meant):
    frame = pd.DataFrame({"period": [0, 0], "sku": [logged, "00123" if meant == "A1" else "A1"], "order_qty": [1, 2]})
    with pytest.raises(PlanningError, match=f"the sales log has {meant!r}") as info:
        LoggedOrders.from_frame(frame, np.array(["00123", "A1"], dtype=object))
    assert info.value.sku == logged


def test_cli_twin_names_the_catalog_row_a_spreadsheet_rewrote(tmp_path):
    _sales().to_csv(tmp_path / "sales.csv", index=False)
    (tmp_path / "catalog.csv").write_text("sku,unit_cost\n123,2\nA1,3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "sales.csv"), "--catalog",
                                       str(tmp_path / "catalog.csv"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "sku '00123'" in result.output and "the catalog has '123'" in result.output
    assert not (tmp_path / "out").exists()


def test_a_date_column_empty_in_every_row_is_said_to_be_empty(tmp_path):
    sales = _sales()
    sales["date"] = ""
    sales.to_csv(tmp_path / "sales.csv", index=False)  # read back, the empty column is NaN, a float column
    read = pd.read_csv(tmp_path / "sales.csv", dtype={"sku": str})
    with pytest.raises(PlanningError, match="the date column is empty") as info:
        DigitalTwin(period="week").fit(read)
    assert info.value.column == "date" and info.value.sku == "00123"
    result = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "sales.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "the date column is empty" in result.output
    assert "not numbers" not in result.output


def test_sku_codes_that_differ_only_in_spaces_or_case_are_warned_about():
    sales = _sales(("00123", "A1"))
    sales.loc[sales.index % 4 == 0, "sku"] = "00123 "  # a padded spreadsheet cell in some rows
    with pytest.warns(PlanningWarning, match=r"sales: 1 SKU code.*'00123' and '00123 '"):
        twin = DigitalTwin(period="week").fit(sales)
    assert sorted(twin.matrix_.sku) == ["00123", "00123 ", "A1"]  # still read as written: codes are text


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_history_sku_codes_that_differ_only_in_spaces_or_case_are_warned_about(layout):
    from hybridinv.backtest.history import read_history

    long = pd.DataFrame({"sku": ["A1", "a1", "B"] * 3, "period": np.repeat([1, 2, 3], 3), "quantity": 4})
    frame = long if layout == "long" else long.pivot(index="sku", columns="period", values="quantity").reset_index()
    with pytest.warns(PlanningWarning, match=r"history: 1 SKU code.*'A1' and 'a1'"):
        history = read_history(frame)
    assert history.demand.shape == (3, 3)


def test_distinct_sku_codes_are_not_warned_about():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanningWarning)
        DigitalTwin(period="week").fit(_sales(("00123", "0123", "A1", "A1-B")))


def test_one_year_of_dates_read_with_the_constant_field_as_the_day_is_warned_about():
    from hybridinv.backtest.history import read_history
    from hybridinv.twin import aggregate_sales

    # 1 to 10 February written day first, or the 2nd of January to October written month first: read as months
    days = pd.DataFrame({"date": [f"{d:02d}/02/2024" for d in range(1, 11)], "sku": "A", "quantity": 1})
    with pytest.warns(PlanningWarning, match=r"'01/02/2024' fit both orders.*read month first.*days of one month"):
        matrix = aggregate_sales(days, "month")
    assert [str(p) for p in matrix.periods[:2]] == ["2024-01", "2024-02"]  # the reading is kept, and said
    with pytest.warns(PlanningWarning, match="fit both orders"):
        read_history(days.rename(columns={"date": "period"}))


def test_dates_of_several_years_with_a_constant_day_are_read_without_a_warning():
    import warnings

    from hybridinv.twin import aggregate_sales

    monthly = pd.DataFrame({"date": [f"01/{m:02d}/{y}" for y in (2023, 2024) for m in range(1, 13)], "sku": "A",
                            "quantity": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanningWarning)
        matrix = aggregate_sales(monthly, "month")
    assert len(matrix.periods) == 24


@pytest.mark.parametrize("written", ["1,234", "3,5", "1,234.5"])
def test_a_quantity_written_with_a_comma_is_named_as_a_separator(tmp_path, written):
    from hybridinv.backtest.history import read_history

    sales = _sales().astype({"quantity": object})
    sales.loc[3, "quantity"] = written
    sales.to_csv(tmp_path / "sales.csv", index=False)  # quoted by pandas: one cell
    result = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "sales.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert f"value '{written}'" in result.output and "thousands separator or a decimal comma" in result.output
    history = pd.DataFrame({"sku": ["A", "A", "A"], "period": [1, 2, 3], "quantity": ["4", written, "5"]})
    with pytest.raises(PlanningError, match="thousands separator or a decimal comma") as info:
        read_history(history)
    assert (info.value.column, info.value.sku, info.value.value) == ("quantity", "A", written)


@pytest.mark.parametrize("header", ["sku, period, quantity", "sku,Period,Quantity", "sku,period ,quantity"])
def test_a_history_header_written_with_spaces_or_case_is_named(tmp_path, header):
    rows = "".join(f"{sku},{period},{qty}\n" for sku in ("00123", "B") for period, qty in ((1, 4), (2, 5), (3, 6)))
    (tmp_path / "history.csv").write_text(header + "\n" + rows, encoding="utf-8")
    (tmp_path / "catalog.csv").write_text("sku,unit_cost,holding_cost,shortage_cost,lead_time\n00123,1,0.2,2,1\n"
                                          "B,2,0.2,2,1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["backtest", "--history", str(tmp_path / "history.csv"), "--catalog",
                                       str(tmp_path / "catalog.csv"), "--cutoff", "count:2"])
    assert result.exit_code == 1
    assert "written with other spaces or case" in result.output and "more than once" not in result.output
