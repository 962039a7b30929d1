"""``hybridinv plan``: warnings of the plan reach the shell; extra columns on request."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

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
