"""Bad input to ``hybridinv twin`` and ``hybridinv backtest``: one-line errors naming the column (exit 1),
never tracebacks, files written with bad values, or options ignored without a word."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from hybridinv.cli import main


def _planning_error(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def _sales(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    days = pd.date_range("2024-01-01", periods=42, freq="D")
    pd.DataFrame({"date": days, "sku": np.where(np.arange(42) % 2, "A", "B"), "quantity": 2}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--capacity", "-1", "column 'capacity', value -1.0"),
    ("--capacity", "nan", "column 'capacity', value nan"),
    ("--budget", "0", "column 'budget', value 0.0"),
])
def test_twin_refuses_limits_it_would_write_to_the_scenario_file(tmp_path: Path, option: str, value: str,
                                                                 message: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["twin", "--sales", str(_sales(tmp_path)), "--out", str(out), option, value])
    _planning_error(result, message)
    assert not out.exists()  # scenario.toml was written with the bad limit


def test_twin_names_a_catalog_sku_listed_twice(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,unit_cost\nA,1\nB,2\nA,3\n")
    result = CliRunner().invoke(main, ["twin", "--sales", str(_sales(tmp_path)), "--catalog", str(catalog),
                                       "--out", str(tmp_path / "out")])
    # was a traceback: ValueError: cannot reindex on an axis with duplicate labels
    _planning_error(result, "column 'sku', sku 'A': catalog lists SKU more than once")


def test_twin_writes_nothing_when_its_catalog_is_refused(tmp_path: Path) -> None:
    """A catalog error came after fit_report.csv was written: a first run left it alone in the folder, a rerun
    left a new fit report beside the previous run's catalog, history and scenario file."""
    out, sales = tmp_path / "out", str(_sales(tmp_path))
    bad = tmp_path / "catalog.csv"
    bad.write_text("sku,unit_cost\nA,1\n")  # no row for B, a SKU of the log
    result = CliRunner().invoke(main, ["twin", "--sales", sales, "--catalog", str(bad), "--out", str(out)])
    _planning_error(result, "catalog has no row for a SKU of the log")
    assert not out.exists()
    assert CliRunner().invoke(main, ["twin", "--sales", sales, "--out", str(out)]).exit_code == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    assert sorted(before) == ["catalog.csv", "fit_report.csv", "history.csv", "scenario.toml"]
    shorter = tmp_path / "short.csv"
    pd.read_csv(sales).iloc[:35].to_csv(shorter, index=False)
    result = CliRunner().invoke(main, ["twin", "--sales", str(shorter), "--catalog", str(bad), "--out", str(out)])
    _planning_error(result, "catalog has no row for a SKU of the log")
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_twin_names_receipt_dates_written_as_numbers(tmp_path: Path) -> None:
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("sku,order_date,promised_date,arrival_date,quantity_ordered,quantity_received\n"
                        "A,20240101,2024-01-08,2024-01-08,10,10\nB,20240108,2024-01-15,2024-01-15,10,10\n")
    result = CliRunner().invoke(main, ["twin", "--sales", str(_sales(tmp_path)), "--receipts", str(receipts),
                                       "--out", str(tmp_path / "out")])
    # was read as nanoseconds since 1970: a lead time of 2,819 weeks
    _planning_error(result, "column 'order_date', sku 'A', value 20240101: dates must be dates")


def _history(tmp_path: Path, newest_first: bool = False) -> tuple[Path, Path]:
    months = [str(p) for p in pd.period_range("2020-01", periods=24, freq="M")]
    rng = np.random.default_rng(0)
    wide = pd.DataFrame({"sku": ["A", "B"], **{m: rng.poisson(8, 2) for m in months}})
    if newest_first:
        wide = wide[["sku", *months[::-1]]]
    history, catalog = tmp_path / "history.csv", tmp_path / "catalog.csv"
    wide.to_csv(history, index=False)
    catalog.write_text("sku,unit_cost,holding_cost,shortage_cost,lead_time\nA,5,0.1,9,1\nB,4,0.1,8,1\n")
    return history, catalog


def test_backtest_refuses_a_wide_history_newest_first(tmp_path: Path) -> None:
    history, catalog = _history(tmp_path, newest_first=True)
    result = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog),
                                       "--cutoff", "18", "--policies", "newsvendor"])
    _planning_error(result, "column '2021-11'")  # trained on the last 18 months, tested on the first 6


def test_backtest_refuses_n_series_with_a_history(tmp_path: Path) -> None:
    history, catalog = _history(tmp_path)
    args = ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff", "18", "--policies",
            "newsvendor"]
    result = CliRunner().invoke(main, [*args, "--n-series", "1"])
    assert result.exit_code == 2 and "Invalid value for --n-series: applies to a --suite only" in result.output
    # was ignored (both SKUs ran), then a data error (exit 1) until 2026-12-06
    assert CliRunner().invoke(main, args).exit_code == 0


@pytest.mark.parametrize(("extra", "words"), [
    (["--policies", "newsvendor,newsvendor"], "Invalid value for --policies: 'newsvendor' is given more than once"),
    (["--policies", "newsvendor", "--model", "newsvendor=m"], "Invalid value for --model: the name 'newsvendor'"),
    # a built-in policy this run does not run: exit 1 from backtest() after the history was read until 2026-12-07
    (["--policies", "newsvendor", "--model", "mpc=m"], "Invalid value for --model: the name 'mpc'"),
])
def test_backtest_policy_lists_that_repeat_a_name_are_usage_errors(tmp_path: Path, extra: list[str],
                                                                   words: str) -> None:
    # docs/backtest.md: "a usage error in the CLI"; the repeated policy exited 1 as a data error, after the
    # history was read
    history, catalog = _history(tmp_path)
    result = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog),
                                       "--cutoff", "18", *extra])
    assert result.exit_code == 2 and words in result.output, result.output


def test_a_hash_inside_a_sku_code_is_text_and_leading_hash_lines_are_comments(tmp_path: Path) -> None:
    days = pd.date_range("2024-01-01", periods=42, freq="D")
    frame = pd.DataFrame({"date": days, "quantity": 2, "sku": np.array(["PART#12", "PART#13", "BOLT-7"])[
        np.arange(42) % 3]})
    sales = tmp_path / "sales.csv"
    sales.write_text("# exported from the ERP\n# weekly check\n" + frame.to_csv(index=False))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["twin", "--sales", str(sales), "--out", str(out)])
    assert result.exit_code == 0, result.output
    catalog = pd.read_csv(out / "catalog.csv", dtype={"sku": str})
    assert sorted(catalog["sku"]) == ["BOLT-7", "PART#12", "PART#13"]  # the two parts were merged as 'PART'
    from hybridinv.scenario_file import load_scenario

    assert sorted(load_scenario(out / "scenario.toml").catalog.sku) == ["BOLT-7", "PART#12", "PART#13"]


def test_the_librarys_warnings_are_printed_as_warning_lines(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,unit_cost\nA,1\nB,2\nX,3\n")
    result = CliRunner().invoke(main, ["twin", "--sales", str(_sales(tmp_path)), "--catalog", str(catalog),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    # was Python's "/path/hybridinv/cli/twin.py:65: PlanningWarning: ..." followed by the source line
    assert "Warning: 1 catalog SKU(s) have no sales in the log" in result.output
    assert "PlanningWarning" not in result.output and ".py:" not in result.output
    import warnings

    assert warnings.showwarning is not None and warnings.showwarning.__name__ != "show"  # restored after the run


def test_twin_and_train_take_extra_columns_as_the_docs_say(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,unit_cost,name\nA,1,bolt\nB,2,nut\n")
    twin_args = ["twin", "--sales", str(_sales(tmp_path)), "--catalog", str(catalog), "--out", str(tmp_path / "t")]
    refused = CliRunner().invoke(main, twin_args)
    _planning_error(refused, "--extra-columns ignore")  # the message says how, on the command line
    result = CliRunner().invoke(main, [*twin_args, "--extra-columns", "ignore"])  # was "No such option"
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "t" / "catalog.csv")
    assert "name" not in written.columns and written["unit_cost"].tolist() == [1.0, 2.0]
    history = tmp_path / "history.csv"
    history.write_text("sku,w1,w2\nA,1,2\n")
    no_history = CliRunner().invoke(main, ["train", "--scenario", "single_sku", "--extra-columns", "ignore",
                                           "--out", str(tmp_path / "m")])
    assert no_history.exit_code == 2 and "--extra-columns applies only with --history" in no_history.output


@pytest.mark.parametrize(("option", "value", "column"), [
    ("--catalog", "catalog.csv", "catalog"), ("--extra-columns", "ignore", "extra_columns"),
])
def test_backtest_refuses_a_catalog_with_a_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str,
                                                 value: str, column: str) -> None:
    """A suite draws its own catalog: the planner's --catalog (its costs, lead times) was ignored without a word."""
    _, catalog = _history(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["backtest", "--suite", "hospital", "--n-series", "2", "--policies",
                                       "static_ss", option, value])
    assert result.exit_code == 2 and f"Invalid value for {option}" in result.output  # exit 1 until 2026-12-06
    assert "applies to --history only" in result.output
