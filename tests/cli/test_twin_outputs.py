"""``hybridinv twin``'s output folder: never an input's file, written as one set, and a summary that does not
contradict itself without stock data."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import main


def _sales(path: Path) -> Path:
    days = pd.date_range("2024-01-01", periods=42, freq="D")
    pd.DataFrame({"date": days, "sku": np.where(np.arange(42) % 2, "A", "B"), "quantity": 2}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("inputs", [("history.csv", None, None), (None, "catalog.csv", None),
                                    (None, None, "fit_report.csv"), ("history.csv", "catalog.csv", None)])
def test_an_out_folder_whose_files_are_inputs_is_refused_before_any_work(tmp_path: Path,
                                                                         inputs: tuple[str | None, ...]) -> None:
    # --sales ow/history.csv --catalog ow/catalog.csv --out ow replaced both inputs with the outputs, exit 0
    out = tmp_path / "ow"
    out.mkdir()
    sales_name, catalog_name, receipts_name = inputs
    sales = _sales(out / sales_name if sales_name else tmp_path / "sales.csv")
    args = ["twin", "--sales", str(sales), "--period", "week", "--out", str(out)]
    if catalog_name:
        (out / catalog_name).write_text("sku,unit_cost\nA,1\nB,2\n")
        args += ["--catalog", str(out / catalog_name)]
    if receipts_name:
        (out / receipts_name).write_text("sku,order_date,promised_date,arrival_date,quantity_ordered,"
                                         "quantity_received\nA,2024-01-01,2024-01-08,2024-01-08,5,5\n")
        args += ["--receipts", str(out / receipts_name)]
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "is one of the input files" in result.output
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_a_failure_while_writing_leaves_the_earlier_run_s_files(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # four plain writes: a full disk at history.csv left a new fit report and catalog beside the old history
    import hybridinv.core.outputs as outputs

    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["twin", "--sales", str(_sales(tmp_path / "s.csv")), "--out", str(out)])
    assert first.exit_code == 0, first.output
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    write_csv = outputs.write_csv

    def full_disk(frame: pd.DataFrame, target: Path, **options: object) -> None:
        if "history.csv" in Path(target).name:  # the temporary .history.csv.<random>.tmp or the file itself
            raise OSError(errno.ENOSPC, "No space left on device")
        write_csv(frame, target, **options)

    monkeypatch.setattr(outputs, "write_csv", full_disk)
    shorter = tmp_path / "short.csv"
    pd.read_csv(tmp_path / "s.csv").iloc[:35].to_csv(shorter, index=False)
    result = CliRunner().invoke(main, ["twin", "--sales", str(shorter), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and "history.csv" in result.output
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before  # no temporaries left either


def test_without_stock_columns_the_summary_says_censoring_is_unknown(tmp_path: Path) -> None:
    # "censored periods: 0 SKUs affected (unknown (no stock data))"
    result = CliRunner().invoke(main, ["twin", "--sales", str(_sales(tmp_path / "s.csv")), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    line = next(text for text in result.output.splitlines() if text.startswith("censored periods"))
    assert line == "censored periods: unknown (the sales log has no on_hand or stockout column)"
