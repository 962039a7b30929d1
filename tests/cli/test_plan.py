"""``hybridinv plan``: warnings of the plan reach the shell; extra columns on request."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import hybridinv
from hybridinv.cli import main
from hybridinv.examples import example_frames


def _files(tmp_path: Path, catalog: pd.DataFrame, state: pd.DataFrame) -> list[str]:
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    return ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv"),
            "--policy", "newsvendor", "--out", str(tmp_path / "plan.csv"), "--diagnostics", str(tmp_path / "d.json")]


def test_budget_too_small_for_any_order_is_printed(tmp_path: Path) -> None:
    # the finding: all zeros, exit code 0 and no word about the budget
    catalog, state = example_frames()
    result = CliRunner().invoke(main, [*_files(tmp_path, catalog, state), "--budget", "0.5"])
    assert result.exit_code == 0, result.output
    assert "Warning: budget 0.5 is below the cheapest order" in result.output
    assert result.output.count("Warning:") == 1  # printed once, not also as a Python warning
    assert (pd.read_csv(tmp_path / "plan.csv")["order_qty"] == 0).all()
    diagnostics = json.loads((tmp_path / "d.json").read_text())
    assert diagnostics["budget_too_small"] is True


def test_unknown_column_is_an_error_unless_ignored(tmp_path: Path) -> None:
    catalog, state = example_frames()
    args = _files(tmp_path, catalog.assign(description="part"), state)
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert "unknown column 'description'" in result.output
    result = CliRunner().invoke(main, [*args, "--extra-columns", "ignore"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output


def test_ignoring_other_columns_still_refuses_a_known_one_written_differently_or_a_headerless_one(
        tmp_path: Path) -> None:
    """With --extra-columns ignore, 'pipeline_2 ' (a trailing space) and 'MOQ' were dropped without a word (50 units
    in transit vanished, the MOQ was 0), and so was the cell an unquoted thousands separator split off."""
    catalog, state = example_frames()
    for frame_catalog, frame_state, column in (
        (catalog, state.rename(columns={"pipeline_1": "pipeline_1 "}), "pipeline_1 "),
        (catalog.rename(columns={"moq": "MOQ"}), state, "MOQ"),
    ):
        result = CliRunner().invoke(main, [*_files(tmp_path, frame_catalog, frame_state), "--extra-columns", "ignore"])
        assert result.exit_code == 1 and f"column '{column}'" in result.output
        assert "written another way" in result.output
    (tmp_path / "split.csv").write_text("sku,on_hand,\n" + "".join(f"{sku},1,234\n" if i == 0 else f"{sku},3,\n"
                                                                   for i, sku in enumerate(state["sku"])))
    args = _files(tmp_path, catalog, state)
    args[args.index(str(tmp_path / "state.csv"))] = str(tmp_path / "split.csv")
    result = CliRunner().invoke(main, [*args, "--extra-columns", "ignore"])
    assert result.exit_code == 1 and "no header but holds values, such as 234" in result.output, result.output


@pytest.mark.parametrize(("table", "old", "new", "meant"), [
    ("state", "pipeline_1", "pipeline_01", "pipeline_1"),
    ("state", "pipeline_1", "pipeline1", "pipeline_1"),
    ("state", "pipeline_1", "Pipeline 1", "pipeline_1"),
    ("state", "pipeline_1", "pipeline_\uff11", "pipeline_1"),  # a full-width digit
    ("state", "on_hand", "On-Hand", "on_hand"),
    ("catalog", "lot_size", "lot size", "lot_size"),
    ("catalog", "lot_size", "Lot-Size", "lot_size"),
    ("catalog", "lead_time", "LeadTime", "lead_time"),
])
def test_ignoring_other_columns_refuses_a_known_column_spelt_another_way(
        tmp_path: Path, table: str, old: str, new: str, meant: str) -> None:
    """Under --extra-columns ignore, 'pipeline_01' or 'lot size' were dropped without a word: 12 units in transit
    vanished from A-100's position, and orders broke the case size (51 where the case is 6)."""
    catalog, state = example_frames()
    frames = {"catalog": catalog, "state": state}
    frames[table] = frames[table].rename(columns={old: new})
    result = CliRunner().invoke(main, [*_files(tmp_path, frames["catalog"], frames["state"]),
                                       "--extra-columns", "ignore"])
    assert result.exit_code == 1, result.output
    assert f"column {new!r} is {meant!r} written another way" in result.output


@pytest.mark.parametrize(("old", "new", "meant"), [
    ("moq", "min_order_qty", "moq"),
    ("moq", "Minimum Order Quantity", "moq"),
    ("max_order", "max_order_qty", "max_order"),
    ("lot_size", "pack_size", "lot_size"),
    ("lot_size", "case-size", "lot_size"),
    ("order_cost", "ordering_cost", "order_cost"),
])
def test_ignoring_other_columns_refuses_a_synonym_of_a_missing_catalog_rule(
        tmp_path: Path, old: str, new: str, meant: str) -> None:
    """The finding: under --extra-columns ignore, moq renamed min_order_qty (or max_order renamed max_order_qty)
    planned without the rule, without a word, where the help promises a known column spelt another way is refused."""
    catalog, state = example_frames()
    renamed = catalog.rename(columns={old: new})
    result = CliRunner().invoke(main, [*_files(tmp_path, renamed, state), "--extra-columns", "ignore"])
    assert result.exit_code == 1, result.output
    assert f"column {new!r} reads as {meant!r}, which the table does not have" in result.output
    refused = CliRunner().invoke(main, _files(tmp_path, renamed, state))  # without ignore: the hint names it
    assert refused.exit_code == 1 and f"(did you mean {meant!r}?)" in refused.output
    # beside the rule's own column it is another column: ignored as asked
    both = catalog.assign(**{new: catalog[old]})
    result = CliRunner().invoke(main, [*_files(tmp_path, both, state), "--extra-columns", "ignore", "--out", "-"])
    assert result.exit_code == 0, result.output


def test_ignoring_other_columns_refuses_an_in_transit_synonym_only_without_pipeline_columns(tmp_path: Path) -> None:
    catalog, state = example_frames()
    moved = state.rename(columns={"pipeline_1": "in_transit"})
    result = CliRunner().invoke(main, [*_files(tmp_path, catalog, moved), "--extra-columns", "ignore"])
    assert result.exit_code == 1 and "'in_transit' reads as 'pipeline_<k>'" in result.output
    # beside the pipeline columns it is another column (a total, say): ignored as asked
    both = state.assign(in_transit=state["pipeline_1"], description="x")
    result = CliRunner().invoke(main, [*_files(tmp_path, catalog, both), "--extra-columns", "ignore", "--out", "-"])
    assert result.exit_code == 0, result.output


def _example_args(tmp_path: Path, *extra: str) -> list[str]:
    catalog, state = example_frames()
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    return ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv"),
            "--capacity", "480", "--budget", "1500", *extra]


def test_stdout_is_a_rounded_table_and_the_csv_keeps_full_precision(tmp_path: Path) -> None:
    # the finding: the plan printed to stdout as raw CSV, e.g. reorder_point 25.21701114006592 and desired_qty -0.0
    table = CliRunner().invoke(main, _example_args(tmp_path))
    assert table.exit_code == 0, table.output
    assert not re.search(r"\d\.\d{3,}", table.output)  # no long decimals anywhere
    assert "-0" not in table.output
    lines = table.output.splitlines()
    header = lines[0].split()
    assert header[:3] == ["sku", "order_qty", "desired_qty"] and "target_reason" in header
    full = CliRunner().invoke(main, _example_args(tmp_path, "--output", str(tmp_path / "plan.csv")))
    assert full.exit_code == 0, full.output
    written = pd.read_csv(tmp_path / "plan.csv")
    assert (written["reorder_point"] != written["reorder_point"].round(3)).any()  # not rounded
    rows = {line.split()[0]: line.split() for line in lines[1: len(written) + 1]}
    for record in written.itertuples(index=False):
        row = rows[record.sku]
        assert row[1] == str(record.order_qty)
        assert row[header.index("reorder_point")] == f"{record.reorder_point:.1f}"
        assert row[header.index("order_value")] == f"{record.order_value:.2f}"
    spend = written["order_value"].sum()
    assert f"spend {spend:,.2f} of budget 1,500.00" in table.output
    dash = CliRunner().invoke(main, _example_args(tmp_path, "--output", "-"))
    assert dash.exit_code == 0 and dash.output.startswith("sku,order_qty,desired_qty,")
    alias = CliRunner().invoke(main, _example_args(tmp_path, "--out", str(tmp_path / "alias.csv")))
    assert alias.exit_code == 0 and (tmp_path / "alias.csv").exists()


@pytest.mark.parametrize(("policy", "backend", "used"), [
    ("ss", "highs", "highs"), ("ss", "pulp", "pulp"), ("ss", "fast", "fast"), ("hybrid", None, "fast"),
    ("hybrid", "highs", "highs"),
])
def test_backend_reaches_the_repair(tmp_path: Path, policy: str, backend: str | None, used: str) -> None:
    extra = ["--policy", policy, "--output", str(tmp_path / "p.csv"), "--diagnostics", str(tmp_path / "d.json")]
    if backend is not None:
        extra += ["--backend", backend]
    result = CliRunner().invoke(main, _example_args(tmp_path, *extra))
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "d.json").read_text())["repair"]["backend"] == used


def test_backend_for_a_policy_without_a_repair_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, _example_args(tmp_path, "--policy", "ppo", "--backend", "fast"))
    assert result.exit_code == 1 and "Error:" in result.output and "repair" in result.output
    assert "Traceback" not in result.output


def test_model_directory_is_verified_before_planning(tmp_path: Path) -> None:
    from hybridinv.rl.hybrid import models_directory

    model = tmp_path / "model"
    shutil.copytree(models_directory() / "hybrid_default", model)
    good = CliRunner().invoke(main, _example_args(tmp_path, "--model", str(model), "--output", str(tmp_path / "a.csv")))
    default = CliRunner().invoke(main, _example_args(tmp_path, "--output", str(tmp_path / "b.csv")))
    assert good.exit_code == 0 and default.exit_code == 0, good.output + default.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))
    data = bytearray((model / "policy.npz").read_bytes())
    data[-30] ^= 0xFF  # one flipped byte
    (model / "policy.npz").write_bytes(bytes(data))
    tampered = CliRunner().invoke(main, _example_args(tmp_path, "--model", str(model)))
    assert tampered.exit_code == 1, tampered.output
    assert "Error:" in tampered.output and "SHA-256" in tampered.output and "policy.npz" in tampered.output


def test_a_reader_that_stops_early_ends_the_plan_quietly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``hybridinv plan ... --out - | head`` printed "Error: [Errno 32] Broken pipe"."""
    import subprocess
    import sys

    catalog, state = example_frames()
    copies = 300  # 3,600 SKUs: far more output than a pipe buffers, so the writer meets the closed pipe
    pd.concat([catalog.assign(sku=catalog["sku"] + f"-{i}") for i in range(copies)]).to_csv(
        tmp_path / "catalog.csv", index=False)
    pd.concat([state.assign(sku=state["sku"] + f"-{i}") for i in range(copies)]).to_csv(
        tmp_path / "state.csv", index=False)
    code = ("import sys; from hybridinv.cli import main; sys.argv = ['hybridinv', 'plan', '--catalog', "
            "'catalog.csv', '--state', 'state.csv', '--output', '-']; main()")
    writer = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert writer.stdout is not None and writer.stderr is not None
    assert writer.stdout.readline().startswith(b"sku,order_qty")
    writer.stdout.close()  # the reader goes away after the header, as head -1 does
    error = writer.stderr.read().decode()
    writer.wait(timeout=120)
    assert "Broken pipe" not in error and "Traceback" not in error, error


def test_a_semicolon_file_with_decimal_commas_gets_the_semicolon_hint(tmp_path: Path) -> None:
    catalog, state = example_frames()
    _files(tmp_path, catalog, state)
    semicolons = tmp_path / "semi.csv"
    semicolons.write_text("sku;on_hand;price\nA;1,5;2\nB;2,5;3,25\n")  # decimal commas: ragged rows for pandas
    result = CliRunner().invoke(main, ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(semicolons)])
    assert result.exit_code == 1
    assert "the file looks separated by ';', not commas" in result.output  # the header check's own message
    assert len(result.output.strip().splitlines()) == 1


def test_backtest_refuses_an_empty_policy_list(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["backtest", "--suite", "hospital", "--policies", ""])
    assert result.exit_code == 2 and "no policy named" in result.output  # it ran every default policy


def test_diagnostics_are_standard_json_without_a_budget_or_capacity(tmp_path: Path) -> None:
    # json.dumps wrote "budget": Infinity and "budget_used": NaN, which JSON.parse (and any strict reader) refuses
    catalog, state = example_frames()
    result = CliRunner().invoke(main, _files(tmp_path, catalog, state))
    assert result.exit_code == 0, result.output

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    diagnostics = json.loads((tmp_path / "d.json").read_text(), parse_constant=refuse)
    assert diagnostics["budget"] is None and diagnostics["capacity"] is None and diagnostics["budget_used"] is None
    assert diagnostics["spend"] > 0


def test_period_and_periods_per_year_reach_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the finding: the command had no --period, so every run planned period 0 (the hybrid's season
    # features and a monitor's schedule saw the same period week after week)
    import hybridinv

    seen: dict[str, object] = {}
    real_plan = hybridinv.plan

    def spy(*args: object, **kwargs: object) -> pd.DataFrame:
        seen.update(kwargs)
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(hybridinv, "plan", spy)
    result = CliRunner().invoke(main, _example_args(tmp_path, "--period", "30", "--periods-per-year", "12"))
    assert result.exit_code == 0, result.output
    assert (seen["period"], seen["periods_per_year"]) == (30, 12)
    result = CliRunner().invoke(main, _example_args(tmp_path))
    assert result.exit_code == 0, result.output
    assert (seen["period"], seen["periods_per_year"]) == (0, 52)
    for bad in (["--period", "-1"], ["--periods-per-year", "0"]):
        result = CliRunner().invoke(main, _example_args(tmp_path, *bad))
        assert result.exit_code == 2
        assert bad[0] in result.output


@pytest.mark.parametrize("column, marker", [("max_order", "#N/A"), ("shelf_life", "NA"), ("demand_std", "N/A"),
                                            ("lead_time_std", "nan")])
def test_a_missing_value_marker_in_a_number_column_is_refused_not_read_as_blank(tmp_path: Path, column: str,
                                                                                 marker: str) -> None:
    """#N/A in max_order planned the SKU without a cap (pandas' default markers read it as a blank cell)."""
    catalog, state = example_frames()
    catalog = catalog.astype({column: object}) if column in catalog else catalog.assign(**{column: ""})
    catalog[column] = catalog[column].astype(object)
    catalog.loc[0, column] = marker
    result = CliRunner().invoke(main, _files(tmp_path, catalog, state))
    assert result.exit_code == 1, result.output
    assert f"column '{column}'" in result.output and f"sku '{catalog['sku'][0]}'" in result.output
    assert marker in result.output and "only an empty cell means 'not set'" in result.output
    blank = catalog.copy()
    blank.loc[0, column] = ""  # an empty cell is the column's default
    assert CliRunner().invoke(main, _files(tmp_path, blank, state)).exit_code == 0


@pytest.mark.parametrize("args, option", [(["--capacity", "0"], "--capacity"), (["--budget", "-5"], "--budget"),
                                          (["--capacity", "nan"], "--capacity"), (["--policy", "foo"], "--policy")])
def test_bad_option_values_are_usage_errors_before_the_files_are_read(tmp_path: Path, args: list[str],
                                                                      option: str) -> None:
    """--capacity 0 and --policy foo were PlanningErrors naming a 'column', exit 1, after both files were read."""
    catalog, state = example_frames()
    result = CliRunner().invoke(main, [*_files(tmp_path, catalog, state), *args])
    assert result.exit_code == 2 and option in result.output, result.output


def test_rows_of_empty_cells_are_skipped_like_blank_lines(tmp_path: Path) -> None:
    """A spreadsheet's formatted-but-empty rows (',,') ended the plan with 'state has an empty SKU'."""
    catalog, state = example_frames()
    clean = CliRunner().invoke(main, _files(tmp_path, catalog, state))
    assert clean.exit_code == 0, clean.output
    expected = pd.read_csv(tmp_path / "plan.csv")
    args = _files(tmp_path, catalog, state)
    for name in ("catalog.csv", "state.csv"):
        path = tmp_path / name
        columns = path.read_text().splitlines()[0].count(",")
        path.write_text(path.read_text() + ("," * columns + "\n") * 2)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "plan.csv"), expected)


def test_a_semicolon_file_with_decimal_commas_and_an_excel_separator_line_are_named(tmp_path: Path) -> None:
    """';' with decimal commas splits every row evenly: the error said 'line 2 has 3 cells but the header names 1
    columns'; a 'sep=,' first line was reported as an unknown column 'sep='."""
    catalog, state = example_frames()
    args = _files(tmp_path, catalog, state)
    forecast = tmp_path / "forecast.csv"
    forecast.write_text("sku;period;mean;std\n" + "".join(f"{sku};0;12,5;4,4\n" for sku in catalog["sku"]))
    result = CliRunner().invoke(main, [*args, "--forecast", str(forecast)])
    assert result.exit_code == 1 and "looks separated by ';'" in result.output, result.output
    state_file = tmp_path / "state.csv"
    state_file.write_text("sep=,\n" + state_file.read_text())
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "separator hint" in result.output, result.output


def test_output_files_are_checked_before_planning(tmp_path: Path) -> None:
    """--out onto the --state file overwrote the input without a word; --out into a missing folder failed after
    --diagnostics was written (diagnostics of a plan never written)."""
    catalog, state = example_frames()
    args = _files(tmp_path, catalog, state)
    before = (tmp_path / "state.csv").read_text()
    out = args.index("--out") + 1
    for target, message in ((str(tmp_path / "state.csv"), "is one of the input files"),
                            (str(tmp_path / "nodir" / "x.csv"), "does not exist"), (str(tmp_path), "is a directory")):
        (tmp_path / "d.json").unlink(missing_ok=True)
        run = [*args[:out], target, *args[out + 1:]]
        result = CliRunner().invoke(main, run)
        assert result.exit_code == 2 and message in result.output, result.output
        assert not (tmp_path / "d.json").exists()
    assert (tmp_path / "state.csv").read_text() == before


@pytest.mark.parametrize(("option", "command"), [("--out", "plan"), ("--diagnostics", "plan"),
                                               ("--out", "plan-network")])
def test_an_empty_output_name_is_refused_before_planning(tmp_path: Path, option: str, command: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """--out "$OUT" with OUT unset was taken as no --out: the table printed, exit code 0, and no file written for the
    script that read it next (--diagnostics "" the same, silently)."""
    import hybridinv

    catalog, state = example_frames()
    args = _files(tmp_path, catalog, state)
    if command == "plan-network":
        args = ["plan-network", "--locations", args[2], "--state", args[4], "--catalog", args[2],
                "--out", str(tmp_path / "plan.csv")]
    monkeypatch.setattr(hybridinv, "plan", lambda *a, **k: pytest.fail("planned"))
    args[args.index(option) + 1] = ""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "the file name is empty" in result.output
    assert ("--output" if option == "--out" else option) in result.output
    assert not (tmp_path / "plan.csv").exists()


def test_one_file_for_both_outputs_or_stdout_for_both_is_refused_before_planning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--output o.csv --diagnostics o.csv printed "wrote 6 rows" and left only the diagnostics JSON in o.csv;
    --output - --diagnostics - was refused only after planning."""
    import hybridinv

    catalog, state = example_frames()
    args = _files(tmp_path, catalog, state)
    diag = args.index("--diagnostics") + 1
    monkeypatch.setattr(hybridinv, "plan", lambda *a, **k: pytest.fail("planned"))
    for out, diagnostics in ((str(tmp_path / "plan.csv"), str(tmp_path / "plan.csv")), ("-", "-")):
        run = [*args[:diag], diagnostics, *args[diag + 1:]]
        run[run.index("--out") + 1] = out
        result = CliRunner().invoke(main, run)
        assert result.exit_code == 2 and "'--diagnostics'" in result.output, result.output
    assert not (tmp_path / "plan.csv").exists()


def test_diagnostics_on_stdout_beside_a_plan_file_are_json_alone(tmp_path: Path) -> None:
    """The "wrote N rows" line went to stdout before the JSON: ``| jq`` failed."""
    catalog, state = example_frames()
    args = _files(tmp_path, catalog, state)
    diag = args.index("--diagnostics") + 1
    result = CliRunner().invoke(main, [*args[:diag], "-", *args[diag + 1:]])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_skus"] == len(catalog)
    assert f"wrote {len(catalog)} rows" in result.stderr


def test_a_plan_file_is_written_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk left the first rows of the plan where the earlier plan had been: it read as a shorter plan."""
    import hybridinv.core.outputs as outputs

    catalog, state = example_frames()
    args = _files(tmp_path, catalog, state)
    (tmp_path / "plan.csv").write_text("the earlier plan\n")

    def disk_full(frame: pd.DataFrame, target: object, **options: object) -> None:
        Path(str(target)).write_text(frame.to_csv(index=False)[:40])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "write_csv", disk_full)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "cannot write" in result.output and "No space left" in result.output
    assert (tmp_path / "plan.csv").read_text() == "the earlier plan\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.csv", "plan.csv", "state.csv"]


@pytest.mark.parametrize("policy", ["ppo", "sac"])
def test_a_missing_optional_dependency_is_a_one_line_error_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    """Without the rl extra, ``--policy ppo`` ended in a 49-line traceback: "No module named 'torch'"."""
    import sys

    catalog, state = example_frames()
    args = _files(tmp_path, catalog, state)
    args[args.index("newsvendor")] = policy
    monkeypatch.setitem(sys.modules, "torch", None)  # as on an install without hybridinv[rl]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1, result.output
    assert "'torch'" in result.output and "pip install 'hybridinv[rl]'" in result.output


def test_the_python_api_names_the_extra_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import hybridinv

    catalog, state = example_frames()
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'hybridinv\[rl\]'"):
        hybridinv.plan(state, catalog, None, policy="ppo")


def test_an_empty_cell_of_a_column_without_a_blank_value_says_it_is_empty(tmp_path: Path) -> None:
    """The finding: an empty lot_size cell was "value nan: catalog: value is NaN or infinite" (and docs/first_hour.md
    said an optional column's empty cell takes its default, which is true of max_order, not of lot_size)."""
    catalog, state = example_frames()
    catalog["lot_size"] = catalog["lot_size"].astype(float)
    catalog.loc[1, "lot_size"] = np.nan
    result = CliRunner().invoke(main, _files(tmp_path, catalog, state))
    assert result.exit_code == 1
    sku = catalog["sku"].iloc[1]
    assert (f"column 'lot_size', sku {sku!r}, value nan: catalog: the cell is empty (blank or NaN); an empty cell "
            "does not take the default of an absent column (1)") in result.output
    state["on_hand"] = state["on_hand"].astype(float)
    state.loc[0, "on_hand"] = np.nan
    result = CliRunner().invoke(main, _files(tmp_path, catalog.drop(columns="lot_size"), state))
    assert "column 'on_hand'" in result.output and "state: the cell is empty (blank or NaN); write the value" in (
        result.output)
    catalog.loc[1, "max_order"] = np.nan  # blank means "no cap" there, as documented
    result = CliRunner().invoke(main, _files(tmp_path, catalog.drop(columns="lot_size"), state.fillna(0)))
    assert result.exit_code == 0, result.output


def test_a_sku_written_as_another_number_is_named_in_the_hint(tmp_path: Path) -> None:
    """The finding: state SKU 100 against catalog SKU 00100 (or 101.0 against 101) said only "not in the catalog",
    where a space or case variant was named."""
    catalog, state = example_frames()
    catalog["sku"] = ["00100", "101", *catalog["sku"].iloc[2:]]
    state["sku"] = ["100", "101.0", *state["sku"].iloc[2:]]
    result = CliRunner().invoke(main, _files(tmp_path, catalog, state))
    assert result.exit_code == 1
    assert ("column 'sku', sku '100': state names a SKU that is not in the catalog (the catalog has '00100': SKUs are "
            "compared as text, so leading zeros and a decimal point count") in result.output
    state.loc[0, "sku"] = "00100"
    with pytest.raises(hybridinv.PlanningError, match=r"sku '101.0'.*\(the catalog has '101'"):
        hybridinv.plan(state, catalog, policy="newsvendor")
    state.loc[1, "sku"] = "101"
    orders = pd.DataFrame({"sku": ["0101"], "arrives_in": [1], "quantity": [5]})
    with pytest.raises(hybridinv.PlanningError, match=r"not in the state \(the state has '101'"):
        hybridinv.plan(state, catalog, policy="newsvendor", open_orders=orders)
    state.loc[1, "sku"] = "102"  # no number variant: the message is as before
    with pytest.raises(hybridinv.PlanningError, match=r"not in the catalog$"):
        hybridinv.plan(state, catalog, policy="newsvendor")


def test_an_unquoted_thousands_separator_in_a_later_row_names_the_line(tmp_path: Path) -> None:
    """The finding: '00107,1,200,23' (1,200 unquoted) gave pandas' "Error tokenizing data. C error: Expected 3
    fields in line 9, saw 4"; a longer first data row was already named this way."""
    catalog, state = example_frames()
    state = state[["sku", "on_hand", "pipeline_1"]]
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    lines = state.to_csv(index=False).splitlines()
    lines[8] = lines[8].split(",")[0] + ",1,200,23"
    (tmp_path / "state.csv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state",
                                       str(tmp_path / "state.csv"), "--out", "-"])
    assert result.exit_code == 1
    assert "state.csv: line 9 has 4 cells but the header names 3 columns (value '23' has no column name)" in (
        result.output)
    assert "thousands separator" in result.output and "tokenizing" not in result.output


def test_the_table_shows_perishable_stock_expiring_before_arrival_beside_the_position() -> None:
    """100 units of a 2-period life, lead time 3, demand 5: 90 expire before an order arrives. The table showed an
    inventory position of 100 and an order of 0 without them; a plan where nothing expires keeps its columns."""
    from hybridinv.cli.plan import plan_table

    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 0.1, "shortage_cost": 10.0,
                            "lead_time": 3, "shelf_life": [2, 0], "demand_mean": 5.0, "demand_std": 1.0})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [100.0, 100.0]})
    with pytest.warns(hybridinv.PlanningWarning):
        table = plan_table(hybridinv.plan(state, catalog, policy="base_stock"))
    header = table.splitlines()[0].split()
    assert header[header.index("inventory_position") + 1] == "expiring_before_arrival"
    assert table.splitlines()[1].split()[header.index("expiring_before_arrival")] == "90"
    quiet = plan_table(hybridinv.plan(state.assign(on_hand=[5.0, 5.0]), catalog, policy="base_stock"))
    assert "expiring_before_arrival" not in quiet
