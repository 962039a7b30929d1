"""The ``hybridinv bench`` command (hybridinv/cli/bench.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import main
from hybridinv.policies import registry

TOY = __name__.rpartition(".")[0] + "._toy" if "." in __name__ else "_toy"


def test_bench_command_writes_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.FACTORIES, "toy_level_15", f"{TOY}:level_15")
    monkeypatch.setitem(registry.FACTORIES, "toy_absent", "hybridinv.no_such_module:factory")
    out = tmp_path / "bench"
    result = CliRunner().invoke(main, [
        "bench", "--suite", "quick", "--scenarios", "single_sku_L2_p9,single_sku_heldout_level",
        "--policies", "toy_level_15,toy_absent", "--seeds", "2", "--workers", "1", "--out", str(out), "--quiet",
    ])
    assert result.exit_code == 0, result.output
    assert "missing policies: toy_absent" in result.output
    runs = pd.read_csv(out / "results.csv")
    assert set(runs["scenario"]) == {"single_sku_L2_p9", "single_sku_heldout_level"}
    assert sorted(runs["seed"].unique()) == [0, 1]
    assert (out / "summary.md").exists() and (out / "report.html").exists()


def test_bench_command_rejects_unknown_scenario(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "--scenarios", "atlantis", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code != 0
    assert "atlantis" in result.output


def test_bench_help() -> None:
    result = CliRunner().invoke(main, ["bench", "--help"])
    assert result.exit_code == 0
    for option in ("--suite", "--scenarios", "--policies", "--seeds", "--out", "--backend", "--address", "--workers"):
        assert option in result.output
