"""Codes in CSV files are read as written: the finding was SKU ``00042`` planned as ``42`` (and state
``42`` silently matched it) and a SKU named ``NA`` refused as an empty SKU."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from hybridinv.cli import main
from hybridinv.cli._io import read_csv

CATALOG = "sku,unit_cost,holding_cost,shortage_cost,lead_time,demand_mean\n00042,1,0.1,5,1,10\nNA,2,0.1,5,1,10\n"


def _plan(tmp_path: Path, state: str) -> tuple[int, str]:
    (tmp_path / "catalog.csv").write_text(CATALOG)
    (tmp_path / "state.csv").write_text(state)
    result = CliRunner().invoke(main, ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state",
                                       str(tmp_path / "state.csv"), "--output", "-"])
    return result.exit_code, result.output


def test_sku_codes_keep_leading_zeros_and_na_like_names(tmp_path: Path) -> None:
    code, out = _plan(tmp_path, "sku,on_hand\n00042,3\nNA,1\n")
    assert code == 0, out
    plan = pd.read_csv(io.StringIO(out), dtype={"sku": str}, keep_default_na=False)
    assert plan["sku"].tolist() == ["00042", "NA"]
    assert plan["on_hand"].tolist() == [3.0, 1.0]  # each state row went to its own SKU


def test_a_state_code_without_its_zeros_is_not_the_catalog_sku(tmp_path: Path) -> None:
    code, out = _plan(tmp_path, "sku,on_hand\n42,3\nNA,1\n")
    assert code != 0 and "sku '42'" in out and "not in the catalog" in out


def test_an_empty_sku_cell_is_still_refused(tmp_path: Path) -> None:
    code, out = _plan(tmp_path, "sku,on_hand\n00042,3\n,1\n")
    assert code != 0 and "empty SKU" in out


def test_numbers_and_missing_numbers_are_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("sku,location,qty\n007,NA,1.5\n008,,\n")
    frame = read_csv(str(path))
    assert frame["sku"].tolist() == ["007", "008"] and frame["location"].tolist() == ["NA", ""]
    assert frame["qty"].iloc[0] == 1.5 and pd.isna(frame["qty"].iloc[1])


def test_diagnostics_go_first_to_their_file_and_dash_prints_them(tmp_path: Path) -> None:
    """The finding: --diagnostics nodir/x.json printed the whole plan and then failed; '-' made a file named '-'."""
    (tmp_path / "catalog.csv").write_text(CATALOG)
    (tmp_path / "state.csv").write_text("sku,on_hand\n00042,3\nNA,1\n")
    base = ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv")]
    missing = CliRunner().invoke(main, [*base, "--diagnostics", str(tmp_path / "no" / "x.json")])
    assert missing.exit_code != 0 and "00042" not in missing.output  # failed before printing the plan
    shown = CliRunner().invoke(main, [*base, "--output", str(tmp_path / "p.csv"), "--diagnostics", "-"])
    assert shown.exit_code == 0 and '"n_skus": 2' in shown.output and not (Path.cwd() / "-").exists()
    both = CliRunner().invoke(main, [*base, "--output", "-", "--diagnostics", "-"])
    assert both.exit_code != 0 and "stdout carries the plan" in both.output


def test_a_file_not_separated_by_commas_is_named(tmp_path: Path) -> None:
    # a ';'-separated catalog (Excel in many locales) was refused as having one unknown column 'sku;unit_cost;...'
    (tmp_path / "state.csv").write_text("sku,on_hand\n00042,0\nNA,0\n")
    for separator, label in ((";", "';'"), ("\t", "tabs")):
        (tmp_path / "catalog.csv").write_text(CATALOG.replace(",", separator))
        result = CliRunner().invoke(main, ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state",
                                           str(tmp_path / "state.csv")])
        assert result.exit_code != 0
        assert f"looks separated by {label}, not commas" in result.output
    one_column = tmp_path / "skus.csv"
    one_column.write_text("sku\nA\nB\n")  # a real one-column file is read as it is
    assert read_csv(str(one_column))["sku"].tolist() == ["A", "B"]


def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    # pandas renamed the second 'unit_cost' to 'unit_cost.1', which --extra-columns ignore dropped without a word
    (tmp_path / "state.csv").write_text("sku,on_hand\n00042,0\nNA,0\n")
    (tmp_path / "catalog.csv").write_text(CATALOG.replace("sku,unit_cost,", "sku,unit_cost,unit_cost,").replace(
        "00042,1,", "00042,1,7,").replace("NA,2,", "NA,2,7,"))
    result = CliRunner().invoke(main, ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state",
                                       str(tmp_path / "state.csv"), "--extra-columns", "ignore"])
    assert result.exit_code != 0
    assert "column 'unit_cost'" in result.output and "names the column more than once" in result.output
    dotted = tmp_path / "forecast.csv"
    dotted.write_text("sku,period,q0.1,q0.9\nA,0,1,3\n")  # names with a dot are not repeats
    assert list(read_csv(str(dotted)).columns) == ["sku", "period", "q0.1", "q0.9"]


def test_a_trailing_comma_names_the_column_without_a_header(tmp_path: Path) -> None:
    # the finding: "column 'Unnamed: 4': state has unknown column 'Unnamed: 4'", a column the file does not have
    code, out = _plan(tmp_path, "sku,on_hand,pipeline_1,pipeline_2,\n00042,3,0,0,\nNA,1,0,0,\n")
    assert code == 1 and "Traceback" not in out, out
    assert "state: column 5 has no header" in out and "trailing comma" in out and "unknown column" not in out
    (tmp_path / "catalog.csv").write_text(CATALOG.replace("\n", ",\n"))
    result = CliRunner().invoke(main, ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state",
                                       str(tmp_path / "state.csv")])
    assert "catalog: column 7 has no header" in result.output, result.output
    code, out = _plan(tmp_path, "sku,on_hand,Unnamed\n00042,3,0\nNA,1,0\n")  # a column named so is only unknown
    assert code == 1 and "unknown column 'Unnamed'" in out, out


def test_a_row_with_one_cell_more_than_the_header_keeps_the_sku_column(tmp_path: Path) -> None:
    # the finding: a trailing comma on the first data row only made pandas take the SKUs for the index and
    # shift every name one column left: the error named "sku '1'" (a unit cost) and column 'lot_size'
    code, out = _plan(tmp_path, "sku,on_hand\n00042,3,\nNA,1\n")
    assert code == 0, out
    plan = pd.read_csv(io.StringIO(out), dtype={"sku": str}, keep_default_na=False)
    assert plan["sku"].tolist() == ["00042", "NA"] and plan["on_hand"].tolist() == [3.0, 1.0]
    # a value in the extra cell of every row: pandas would drop it (index_col=False) or shift the columns
    code, out = _plan(tmp_path, "sku,on_hand\n00042,3,7\nNA,1,8\n")
    assert code == 1 and "Traceback" not in out, out
    assert "state.csv: line 2 has 3 cells but the header names 2 columns (value '7' has no column name)" in out
    frame = tmp_path / "commented.csv"
    frame.write_text("# exported\n\nsku,on_hand\n\nA,3,x\nB,1,y\n")
    try:
        read_csv(str(frame), comment="#")
    except ValueError as exc:
        assert "line 5 has 3 cells" in str(exc) and "'x'" in str(exc)
    else:
        raise AssertionError("a value without a column name was read")


def test_a_scenario_file_csv_with_a_value_beyond_the_header_names_key_and_line(tmp_path: Path) -> None:
    from hybridinv.scenario_file import load_scenario

    (tmp_path / "catalog.csv").write_text(CATALOG.replace("00042,1,0.1,5,1,10\n", "00042,1,0.1,5,1,10,3\n"))
    (tmp_path / "s.toml").write_text('name = "s"\ncatalog = "catalog.csv"\n[demand]\nprocess = "poisson"\n')
    try:
        load_scenario(tmp_path / "s.toml")
    except ValueError as exc:
        text = str(exc)
        assert text.startswith("column 'catalog', value 'catalog.csv': s.toml: "), text
        assert "line 2 has 7 cells but the header names 6 columns (value '3'" in text, text
    else:
        raise AssertionError("a value without a column name was read")
