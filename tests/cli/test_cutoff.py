"""``--cutoff`` of ``backtest`` and ``train``: a whole number is a count of training periods or, when the history's
period labels are numbers too, a label (the finding: ``29`` was always a count, so with labels 1..40 the test
silently started at period 30, and with labels 101..140 ``129`` was refused)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.backtest.history import DemandHistory
from hybridinv.cli import main
from hybridinv.cli._io import cutoff_from_text
from hybridinv.core.errors import PlanningError


def _labelled(labels: list[str]) -> DemandHistory:
    demand = np.random.default_rng(0).poisson(5.0, (len(labels), 2)).astype(float)
    return DemandHistory(np.array(["A", "B"], dtype=object), np.array(labels, dtype=object), demand)


ONE_TO_40 = _labelled([str(k) for k in range(1, 41)])
FROM_101 = _labelled([str(k) for k in range(101, 141)])
FROM_0 = _labelled([str(k) for k in range(40)])
MONTHS = _labelled([str(p) for p in pd.period_range("2021-01", periods=40, freq="M")])


def _split(text: str, history: DemandHistory) -> int:
    return history.cutoff_index(cutoff_from_text(text, history))


def test_a_number_that_is_only_a_label_is_read_as_the_label() -> None:
    assert _split("129", FROM_101) == 28  # was refused: 129 training periods of 40
    assert _split("140", FROM_101) == 39
    assert _split("40", ONE_TO_40) == 39  # 40 training periods would leave no test period


def test_a_number_that_is_only_a_count_is_read_as_the_count() -> None:
    assert _split("24", MONTHS) == 24
    assert _split("28", FROM_101) == 28
    assert _split("2", ONE_TO_40) == 2  # the label 2 would leave one training period


def test_a_number_whose_two_readings_agree_is_taken() -> None:
    assert _split("29", FROM_0) == 29  # labels 0, 1, 2, ...: 29 training periods end before the period labelled 29


def test_a_number_whose_two_readings_differ_is_an_error_naming_both() -> None:
    with pytest.raises(PlanningError) as info:
        cutoff_from_text("29", ONE_TO_40)
    assert (info.value.column, info.value.value) == ("cutoff", "29")
    message = str(info.value)
    assert "29 training periods (first test period 30)" in message
    assert "the period labelled 29 (after 28 training periods)" in message
    assert "count:29" in message and "label:29" in message


def test_count_and_label_prefixes_pick_one_reading() -> None:
    assert _split("count:29", ONE_TO_40) == 29
    assert _split("label:29", ONE_TO_40) == 28
    assert _split(" label: 2021-03 ", MONTHS) == 2
    assert _split("2021-03", MONTHS) == 2
    with pytest.raises(PlanningError, match="count:28") as info:
        cutoff_from_text("count:x", ONE_TO_40)
    assert info.value.column == "cutoff"
    with pytest.raises(PlanningError, match="not a period of the history"):
        _split("label:29", FROM_101)


def test_a_number_that_fits_neither_reading_names_both() -> None:
    with pytest.raises(PlanningError) as info:
        cutoff_from_text("150", FROM_101)
    assert (info.value.column, info.value.value) == ("cutoff", "150")
    assert "training periods from 2 to 39" in str(info.value) and "(103 to 140)" in str(info.value)


def _files(tmp_path: Path, first: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    labels = [str(first + k) for k in range(40)]
    history, catalog = tmp_path / "sales.csv", tmp_path / "catalog.csv"
    pd.DataFrame({"sku": ["A", "B"], **{m: rng.poisson(8, 2) for m in labels}}).to_csv(history, index=False)
    catalog.write_text("sku,unit_cost,holding_cost,shortage_cost,lead_time\nA,5,0.1,9,1\nB,4,0.1,8,1\n")
    return history, catalog


def _tested(tmp_path: Path, first: int, cutoff: str) -> str:
    history, catalog = _files(tmp_path, first)
    result = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog),
                                       "--cutoff", cutoff, "--policies", "static_ss"])
    assert result.exit_code == 0, result.output
    found = re.search(r"test on (\d+)–(\d+)", result.output)
    assert found is not None, result.output
    return found.group(1)


def test_backtest_reads_a_numeric_label(tmp_path: Path) -> None:
    assert _tested(tmp_path, 101, "129") == "129"
    assert _tested(tmp_path, 1, "label:29") == "29"
    assert _tested(tmp_path, 1, "count:29") == "30"


@pytest.mark.parametrize("command", [["backtest", "--policies", "static_ss"],
                                     ["train", "--validation", "6", "--workers", "1", "--quiet"]])
def test_an_ambiguous_cutoff_is_refused_before_anything_runs(tmp_path: Path, command: list[str]) -> None:
    history, catalog = _files(tmp_path, 1)
    result = CliRunner().invoke(main, [*command, "--history", str(history), "--catalog", str(catalog),
                                       "--cutoff", "29", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "column 'cutoff', value '29': the cutoff is ambiguous" in result.output
    assert "--cutoff count:29 or --cutoff label:29" in result.output
    assert not (tmp_path / "out").exists()


def test_cutoff_help_names_both_readings() -> None:
    for command in ("backtest", "train"):
        text = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
        assert "count:28 or label:28" in text


def test_backtest_suite_with_another_cutoff_chooses_its_series_on_those_training_months(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the suite's series were always chosen on its default 39 months, so --cutoff count:18 tested series picked
    # by whether they were still sold in months 19-39
    from hybridinv.backtest import suites
    from hybridinv.twin.realdata import DATASETS, data_dir

    if not (data_dir() / DATASETS["carparts"]).exists():
        pytest.skip(f"real demand data not found in {data_dir()} (set HYBRIDINV_DATA)")
    calls: list[object] = []
    original = suites.load_suite

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("cutoff"))
        return original(*args, **kwargs)

    monkeypatch.setattr(suites, "load_suite", recording)
    result = CliRunner().invoke(main, ["backtest", "--suite", "carparts", "--cutoff", "count:18", "--n-series", "3",
                                       "--policies", "newsvendor", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert calls == [None, 18]
    skus = pd.read_csv(tmp_path / "out" / "results.csv", dtype={"sku": str})["sku"].tolist()
    assert skus == list(original("carparts", n_series=3, cutoff=18)[0].sku)
    calls.clear()
    result = CliRunner().invoke(main, ["backtest", "--suite", "carparts", "--cutoff", "count:39", "--n-series", "3",
                                       "--policies", "newsvendor"])
    assert result.exit_code == 0 and calls == [None]  # the default window: loaded once
