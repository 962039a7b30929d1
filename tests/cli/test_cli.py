"""The hybridinv command: help texts, plan from CSV files, demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import SUBCOMMANDS, main
from hybridinv.examples import example_frames


def test_help_lists_every_subcommand() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in SUBCOMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", ["demo", "plan", "train", "bench", "tune", "monitor"])
def test_subcommand_help(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_help_imports_no_heavy_module() -> None:
    """``hybridinv --help`` and every ``hybridinv <command> --help`` load click, not numpy, pandas or scipy."""
    code = (
        "import sys\n"
        "from hybridinv.cli import SUBCOMMANDS, main\n"
        "for args in [['--help'], *[[name, '--help'] for name in SUBCOMMANDS]]:\n"
        "    assert main(args, standalone_mode=False) == 0, args\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = set(out.splitlines()[-1].split()[1:])
    assert "click" in loaded and "hybridinv.cli.plan" in loaded and "hybridinv.cli.shadow" in loaded
    for heavy in ("numpy", "pandas", "scipy", "torch", "hybridinv.core"):
        assert heavy not in loaded, heavy


def test_plan_from_csv_files(tmp_path: Path) -> None:
    catalog, state = example_frames()
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    forecast = pd.DataFrame({"sku": catalog["sku"], "period": 1, "mean": catalog["demand_mean"] * 2})
    forecast.to_csv(tmp_path / "forecast.csv", index=False)
    args = [
        "plan",
        "--catalog",
        str(tmp_path / "catalog.csv"),
        "--state",
        str(tmp_path / "state.csv"),
        "--forecast",
        str(tmp_path / "forecast.csv"),
        "--capacity",
        "480",
        "--budget",
        "900",
        "--policy",
        "newsvendor",
        "--out",
        str(tmp_path / "plan.csv"),
        "--diagnostics",
        str(tmp_path / "diag.json"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "plan.csv")
    assert list(out["sku"]) == list(catalog["sku"])
    spend = float((out["order_qty"] * catalog["unit_cost"]).sum())
    assert spend <= 900 + 1e-6
    diag = json.loads((tmp_path / "diag.json").read_text())
    assert diag["budget"] == 900


def test_plan_with_demand_and_forecast_history(tmp_path: Path) -> None:
    """--demand-history/--forecast-history reach the hybrid: demand 60% above forecast raises its targets."""
    catalog, state = example_frames()
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    weeks = [f"w{k}" for k in range(26)]
    mean = catalog["demand_mean"].to_numpy()
    pd.DataFrame({"sku": catalog["sku"], **{w: mean * 1.6 for w in weeks}}).to_csv(tmp_path / "demand.csv", index=False)
    pd.DataFrame({"sku": catalog["sku"], **{w: mean for w in weeks}}).to_csv(tmp_path / "past.csv", index=False)
    from hybridinv.rl import save_model
    from hybridinv.rl.adaptive import ADAPTIVE_FEATURES, AdaptiveHybrid, action_spec, zero_weights

    weights = zero_weights()
    weights[0, ADAPTIVE_FEATURES.index("drift_13")] = 1.0  # a model that follows the forecast drift
    agent = AdaptiveHybrid(weights)
    model = save_model(tmp_path / "model", agent.arrays(),
                       {"policy": "adaptive", "action_spec": action_spec(), "base": agent.base_metadata()})
    base = ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv"),
            "--model", str(model)]
    history = ["--demand-history", str(tmp_path / "demand.csv")]
    plain = CliRunner().invoke(main, [*base, *history, "--out", str(tmp_path / "plain.csv")])
    both = [*history, "--forecast-history", str(tmp_path / "past.csv"), "--out", str(tmp_path / "drift.csv")]
    corrected = CliRunner().invoke(main, [*base, *both])
    assert plain.exit_code == 0 and corrected.exit_code == 0, plain.output + corrected.output
    before = pd.read_csv(tmp_path / "plain.csv")["order_up_to"]
    after = pd.read_csv(tmp_path / "drift.csv")["order_up_to"]
    assert (after >= before).all() and (after > before).any()
    missing = CliRunner().invoke(main, [*base, "--forecast-history", str(tmp_path / "past.csv")])
    assert missing.exit_code != 0 and "forecast_history" in missing.output


def test_plan_bad_input_is_a_clean_error(tmp_path: Path) -> None:
    catalog, state = example_frames()
    catalog.loc[2, "holding_cost"] = -1.0
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    result = CliRunner().invoke(
        main,
        ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv"), "--policy", "ss"],
    )
    assert result.exit_code != 0
    assert "holding_cost" in result.output and "P-102" in result.output
    assert "Traceback" not in result.output


def test_demo_runs() -> None:
    result = CliRunner().invoke(main, ["demo", "--seeds", "1", "--periods", "12"])
    assert result.exit_code == 0, result.output
    assert "KPI comparison" in result.output
    assert "order_qty" in result.output


def _error_line(result) -> str:  # type: ignore[no-untyped-def]
    """The single ``Error:`` line of a failed run (and nothing else: no traceback)."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_empty_csv_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    _, state = example_frames()
    state.to_csv(tmp_path / "state.csv", index=False)
    args = ["plan", "--catalog", str(tmp_path / "empty.csv"), "--state", str(tmp_path / "state.csv")]
    line = _error_line(CliRunner().invoke(main, args))
    assert "empty.csv" in line and "empty" in line


def test_unparseable_csv_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text('period,demand,served,cost\n1,2,3,4\n"5,6\n')
    args = ["monitor", "--log", str(tmp_path / "log.csv"), "--out", str(tmp_path)]
    line = _error_line(CliRunner().invoke(main, args))
    assert "log.csv" in line and "not a readable CSV" in line


def test_a_csv_in_another_code_page_is_named_with_the_fix(tmp_path: Path) -> None:
    # a spreadsheet's "CSV" in Latin-1 gave "'utf-8' codec can't decode byte 0xdc in position 40"
    (tmp_path / "log.csv").write_bytes("period,demand,served,cost,note\n1,2,2,4,Größe\n".encode("latin-1"))
    args = ["monitor", "--log", str(tmp_path / "log.csv"), "--out", str(tmp_path)]
    line = _error_line(CliRunner().invoke(main, args))
    assert "log.csv: not UTF-8 text" in line and "save it as 'CSV UTF-8'" in line
    # the line and column of the byte ('position 3' was its offset within the cell)
    assert "byte b'\\xf6' on line 2, column 11" in line, line


def test_utf16_without_a_byte_order_mark_is_named_with_the_fix(tmp_path: Path) -> None:
    # was "state has unknown column 's\x00k\x00u\x00' (did you mean 'sku'?)"
    (tmp_path / "log.csv").write_bytes("period,demand,served,cost\n1,2,2,4\n".encode("utf-16-le"))
    args = ["monitor", "--log", str(tmp_path / "log.csv"), "--out", str(tmp_path)]
    line = _error_line(CliRunner().invoke(main, args))
    assert "log.csv: not UTF-8 text (NUL bytes" in line and "save it as 'CSV UTF-8'" in line


def test_a_compressed_sales_log_with_comment_lines_is_read_like_the_plain_one(tmp_path: Path) -> None:
    # the comment lines of a .gz log were not skipped: "Error tokenizing data. C error: Expected 2 fields in line 4"
    import bz2
    import gzip
    import lzma
    import zipfile

    days = pd.date_range("2024-01-01", periods=70, freq="D")
    text = "# exported by the ERP\n# SKU codes as text\n" + pd.DataFrame(
        {"date": days.strftime("%Y-%m-%d"), "sku": "A", "quantity": np.arange(70) % 5}).to_csv(index=False)
    (tmp_path / "sales.csv").write_text(text)
    (tmp_path / "sales.csv.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "sales.csv.bz2").write_bytes(bz2.compress(text.encode()))
    (tmp_path / "sales.csv.xz").write_bytes(lzma.compress(text.encode()))
    with zipfile.ZipFile(tmp_path / "sales.csv.zip", "w") as archive:
        archive.writestr("sales.csv", text)
    reports = {}
    for name in ("sales.csv", "sales.csv.gz", "sales.csv.bz2", "sales.csv.xz", "sales.csv.zip"):
        out = tmp_path / name.replace(".", "_")
        result = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / name), "--out", str(out)])
        assert result.exit_code == 0, (name, result.output)
        reports[name] = (out / "history.csv").read_text()
    assert len(set(reports.values())) == 1


@pytest.mark.parametrize("option", [["--expected-unit-cost", "0"], ["--expected-unit-cost", "-1"],
                                    ["--expected-unit-cost", "nan"], ["--expected-unit-cost", "inf"],
                                    ["--periods-per-year", "0"], []])
def test_monitor_refuses_options_that_would_switch_a_guard_off_and_an_empty_log(
    tmp_path: Path, option: list[str]
) -> None:
    """The finding: --expected-unit-cost 0 (or -1, nan, inf) turned the cost guard off silently, periods per year 0
    became 52 and an empty log printed 'fallback active in nan% of periods'."""
    rows = "" if not option else "".join(f"{t},10,10,{50 if t < 10 else 90}\n" for t in range(20))
    (tmp_path / "log.csv").write_text("period,demand,served,cost\n" + rows)
    result = CliRunner().invoke(main, ["monitor", "--log", str(tmp_path / "log.csv"), "--out",
                                       str(tmp_path / "out"), *option])
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)  # a click error, not a crash
    expected = ("must be a finite number > 0" if "--expected-unit-cost" in option else "x>=1") if option else "no rows"
    assert expected in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing written


def test_unknown_demo_policy_is_a_one_line_error() -> None:
    line = _error_line(CliRunner().invoke(main, ["demo", "--policy", "nonsense"]))
    assert "'nonsense'" in line and "unknown policy" in line


def test_missing_output_folder_is_a_one_line_error(tmp_path: Path) -> None:
    catalog, state = example_frames()
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    args = ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv"),
            "--policy", "ss", "--out", str(tmp_path / "no" / "such" / "plan.csv")]
    result = CliRunner().invoke(main, args)  # checked before planning: a usage error naming the option
    assert result.exit_code == 2 and "--output" in result.output and "does not exist" in result.output


def test_only_input_errors_are_shortened() -> None:
    from hybridinv.cli._io import user_error
    from hybridinv.rl.integrity import ModelFileError

    assert user_error(ModelFileError("m: SHA-256 mismatch\nsecond line")) == "m: SHA-256 mismatch; second line"
    assert user_error(pd.errors.EmptyDataError("No columns to parse from file")) is not None
    assert user_error(RuntimeError("a bug")) is None
    assert user_error(KeyError("a bug")) is None


def test_plan_csv_escapes_formulas(tmp_path: Path) -> None:
    catalog, state = example_frames()
    skus = ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)", "+1+2", "-1", "-2.5e3", "\tTAB"]
    mapping = dict(zip(catalog["sku"][: len(skus)], skus, strict=True))
    catalog["sku"] = catalog["sku"].replace(mapping)
    state["sku"] = state["sku"].replace(mapping)
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    base = ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv")]
    base += ["--policy", "ss"]
    result = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "plan.csv")])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "plan.csv", dtype={"sku": str}, keep_default_na=False)
    expected = ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(A1)", "'+1+2", "-1", "-2.5e3", "'\tTAB"]
    assert list(written["sku"][: len(skus)]) == expected
    assert (written["order_qty"] >= 0).all()
    printed = CliRunner().invoke(main, base)
    assert printed.exit_code == 0 and "'@SUM(A1)" in printed.output
