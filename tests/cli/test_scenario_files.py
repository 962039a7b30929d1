"""Scenario files (``--scenario my.toml``) through the ``bench``, ``tune`` and ``train`` commands.

The file ``single.toml`` describes exactly the registered ``single_sku`` scenario, so
every command must give the same result for both names with the same seed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SINGLE_SKU_TOML as SINGLE

from hybridinv.cli import main


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_bench_runs_a_scenario_file_like_the_registered_scenario(single: Path, tmp_path: Path) -> None:
    common = ["--policies", "base_stock", "--seeds", "2", "--workers", "1", "--quiet"]
    _run("bench", "--scenarios", str(single), "--out", str(tmp_path / "file"), *common)
    _run("bench", "--scenarios", "single_sku", "--out", str(tmp_path / "registered"), *common)
    from_file = pd.read_csv(tmp_path / "file" / "results.csv")
    registered = pd.read_csv(tmp_path / "registered" / "results.csv")
    assert set(from_file["scenario"]) == {"single"}  # reports name a file by its file name
    np.testing.assert_array_equal(from_file["avg_cost"], registered["avg_cost"])
    np.testing.assert_array_equal(from_file["fill_rate"], registered["fill_rate"])


def test_tune_on_a_scenario_file_matches_the_registered_scenario(single: Path, tmp_path: Path) -> None:
    common = ["--target", "fill_rate>=0.9", "--trials", "2", "--seeds", "1", "--periods", "120"]
    _run("tune", "--scenario", str(single), *common, "--out", str(tmp_path / "file"))
    _run("tune", "--scenario", "single_sku", *common, "--out", str(tmp_path / "registered"))
    a = json.loads((tmp_path / "file" / "summary.json").read_text())
    b = json.loads((tmp_path / "registered" / "summary.json").read_text())
    assert a == b
    trials_a, trials_b = (pd.read_csv(tmp_path / name / "trials.csv") for name in ("file", "registered"))
    np.testing.assert_array_equal(trials_a["objective"], trials_b["objective"])


def test_train_on_a_scenario_file_matches_the_registered_scenario(single: Path, tmp_path: Path) -> None:
    common = ["--algo", "adaptive", "--population", "2", "--generations", "1", "--seeds-per-generation", "1",
              "--eval-seeds", "1", "--eval-every", "1", "--workers", "1", "--seed", "4", "--quiet"]
    out_file = _run("train", "--scenario", str(single), "--out", str(tmp_path / "file"), *common)
    out_registered = _run("train", "--scenario", "single_sku", "--out", str(tmp_path / "registered"), *common)

    def best(output: str) -> float:
        return float(json.loads(output[output.index("{"):])["best_evaluation"]["avg_cost"])

    assert best(out_file) == best(out_registered)
    weights_a = np.load(tmp_path / "file" / "policy.npz")
    weights_b = np.load(tmp_path / "registered" / "policy.npz")
    assert sorted(weights_a.files) == sorted(weights_b.files)
    for name in weights_a.files:
        np.testing.assert_array_equal(weights_a[name], weights_b[name])


@pytest.mark.parametrize("command", [
    ["bench", "--quiet", "--scenarios"],
    ["tune", "--target", "fill_rate>=0.9", "--out", "x", "--scenario"],
    ["train", "--quiet", "--out", "x", "--scenario"],
])
def test_a_bad_scenario_file_is_one_line_naming_the_key(
    single: Path, command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    single.write_text(SINGLE.replace("warmup", "warmpu"))
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = CliRunner().invoke(main, [*command, str(single)])
    # one line, exit 1, as for every data error (tune printed the usage banner and exited 2)
    assert result.exit_code == 1 and "Traceback" not in result.output and "Usage:" not in result.output
    assert "'warmpu'" in result.output and "did you mean 'warmup'" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # tune made an empty --out folder x first


def test_bench_exits_1_when_a_run_fails_after_writing_its_outputs(single: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A suite where every run failed printed "0 runs" and exited 0: a script could not tell it from a good one."""
    from hybridinv.policies import registry

    monkeypatch.setitem(registry.FACTORIES, "toy_broken", "tests.bench._toy:broken")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["bench", "--scenarios", str(single), "--policies", "base_stock,toy_broken",
                                       "--seeds", "1", "--workers", "1", "--quiet", "--out", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "failed runs: toy_broken on single" in result.output and "1 runs succeeded" in result.output
    assert list(pd.read_csv(out / "results.csv")["policy"]) == ["base_stock"]


def test_bench_names_two_scenario_files_of_one_file_name_as_such(single: Path, tmp_path: Path) -> None:
    """Two different files called p.toml were refused as "'other/p.toml' is scenario 'p' again"."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "single.csv").write_text((tmp_path / "single.csv").read_text())
    (other / "single.toml").write_text(SINGLE.replace("mean = 5.0", "mean = 6.0"))
    result = CliRunner().invoke(main, ["bench", "--scenarios", f"{single},{other / 'single.toml'}", "--policies",
                                       "base_stock", "--seeds", "1", "--workers", "1", "--quiet"])
    assert result.exit_code == 2 and "are both named 'single' in the results" in result.output
    same = CliRunner().invoke(main, ["bench", "--scenarios", f"{single},{tmp_path}/./single.toml",
                                     "--policies", "base_stock", "--seeds", "1", "--workers", "1", "--quiet"])
    assert same.exit_code == 2 and "is scenario 'single' again" in same.output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_scenario_files_warning_is_shown_once_per_bench(single: Path, tmp_path: Path, workers: str,
                                                          capfd: pytest.CaptureFixture[str]) -> None:
    """The file's warning was repeated by every task (16 times for 6 runs; raw Python warnings in workers)."""
    pd.DataFrame({"sku": ["SKU-0"], "unit_cost": [0.0], "holding_cost": [1.0], "shortage_cost": [9.0],
                  "lead_time": [2], "demand_mean": [4.0]}).to_csv(tmp_path / "single.csv", index=False)
    result = CliRunner().invoke(main, ["bench", "--scenarios", str(single), "--policies", "base_stock,ss",
                                       "--seeds", "2", "--workers", workers, "--quiet", "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    captured = capfd.readouterr()  # worker processes write to the inherited stderr
    assert (result.output + captured.out + captured.err).count("replaces the catalog's demand_mean") == 1
