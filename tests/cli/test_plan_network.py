"""``hybridinv plan-network`` through click's CliRunner: table, CSV output, diagnostics, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from hybridinv.cli import main
from hybridinv.network import plan_network
from tests.network._plan_cases import small_frames


def _files(tmp_path: Path) -> dict[str, str]:
    paths = {}
    for name, frame in small_frames().items():
        paths[name] = str(tmp_path / f"{name}.csv")
        frame.to_csv(paths[name], index=False)
    return paths


def _args(paths: dict[str, str], *extra: str) -> list[str]:
    return ["plan-network", "--locations", paths["locations"], "--state", paths["state"], "--catalog",
            paths["catalog"], "--forecast", paths["forecast"], *extra]


def test_table_on_stdout(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, _args(_files(tmp_path), "--budget", "100"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["location", "sku", "source", "quantity"]
    assert "3 locations x 2 SKUs" in result.output and "of budget 100.00" in result.output
    assert lines[1].split()[:3] == ["wh", "A", "supplier"]


def test_csv_output_equals_plan_network(tmp_path: Path) -> None:
    paths = _files(tmp_path)
    out = tmp_path / "out.csv"
    diag = tmp_path / "diag.json"
    result = CliRunner().invoke(main, _args(paths, "--budget", "100", "--backend", "fast", "--output", str(out),
                                            "--diagnostics", str(diag)))
    assert result.exit_code == 0, result.output
    f = small_frames()
    expected = plan_network(f["locations"], f["state"], f["catalog"], budget=100.0, forecast=f["forecast"],
                            backend="fast")
    pd.testing.assert_frame_equal(pd.read_csv(out), expected, check_dtype=False)
    assert json.loads(diag.read_text())["backend"] == "fast"


def test_input_error_is_one_line(tmp_path: Path) -> None:
    paths = _files(tmp_path)
    state = pd.read_csv(paths["state"])
    state.loc[1, "backorders"] = 3
    state.to_csv(paths["state"], index=False)
    result = CliRunner().invoke(main, _args(paths))
    assert result.exit_code == 1
    assert "Error: column 'backorders', sku 'B', value 3.0: location 'wh'" in result.output


def test_violations_are_printed_as_warnings(tmp_path: Path) -> None:
    paths = _files(tmp_path)
    state = pd.read_csv(paths["state"])
    state.loc[4, "on_hand"] = 70
    state.to_csv(paths["state"], index=False)
    result = CliRunner().invoke(main, _args(paths, "--output", "-"))
    assert result.exit_code == 0, result.output
    assert "Warning: constraints cannot all be met" in result.output and "capacity[s2]" in result.output


def test_a_budget_too_small_is_printed_once(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, _args(_files(tmp_path), "--budget", "4", "--output", "-"))
    assert result.exit_code == 0, result.output
    assert result.output.count("Warning: budget 4 is below the cheapest supplier order") == 1


def test_capacities_without_volume_are_printed_once(tmp_path: Path) -> None:
    paths = _files(tmp_path)
    pd.read_csv(paths["catalog"]).assign(volume=0.0).to_csv(paths["catalog"], index=False)
    result = CliRunner().invoke(main, _args(paths, "--output", "-"))
    assert result.exit_code == 0, result.output
    assert result.output.count("Warning: location capacities are set (2, first 'wh')") == 1


def test_help() -> None:
    result = CliRunner().invoke(main, ["plan-network", "--help"])
    assert result.exit_code == 0 and "--locations" in result.output and "--budget" in result.output
