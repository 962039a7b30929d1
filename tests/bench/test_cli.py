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


def test_an_unwritable_out_is_refused_before_anything_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--out afile/sub ran the whole suite (and tune its trials), then failed with 'Not a directory'."""
    import hybridinv.bench as bench_module
    import hybridinv.reward.compare  # noqa: F401  imported here, not under the patch: it binds tune's _execute by name
    import hybridinv.reward.tune as tune_module

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("ran before the output directory was checked")

    monkeypatch.setattr(bench_module, "run_suite", never)
    monkeypatch.setattr(tune_module, "_execute", never)  # tune checks --out (after its other options), then runs
    (tmp_path / "afile").write_text("")
    out = str(tmp_path / "afile" / "sub")
    for args in (["bench", "--scenarios", "single_sku", "--policies", "base_stock", "--seeds", "1", "--out", out],
                 ["tune", "--scenario", "single_sku", "--target", "fill_rate>=0.9", "--out", out]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "cannot write to" in result.output and "--out" in result.output, result.output
        # an empty --out passed the check (the current folder) and was refused after the whole run
        args[-1] = ""
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "empty path" in result.output and "--out" in result.output, result.output


@pytest.mark.parametrize("option", [["--backend", "ray"], ["--workers", "2"]])
def test_the_network_suite_refuses_the_options_it_ignored(option: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "--suite", "network", *option, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "does not apply to --suite network" in result.output


def _scenario_folder(folder: Path, toml: str, catalog: str) -> Path:
    """``folder/toml``, a scenario file whose catalog CSV is ``folder/catalog``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / catalog).write_text("sku,unit_cost,holding_cost,shortage_cost,lead_time,demand_mean\nA,10,1,9,1,5\n")
    (folder / toml).write_text(f'catalog = "{catalog}"\nperiods = 10\n[demand]\nprocess = "poisson"\n')
    return folder / toml


@pytest.mark.parametrize("catalog", ["results.csv", "gap_references.csv", "summary.md"])
def test_bench_refuses_an_out_folder_where_a_report_file_is_an_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog: str
) -> None:
    """--out the scenario file's folder replaced its catalog, results.csv, with the results (exit 0)."""
    import hybridinv.bench as bench_module

    monkeypatch.setattr(bench_module, "run_suite", lambda *a, **k: pytest.fail("ran before --out was checked"))
    scenario = _scenario_folder(tmp_path / "inp", "s.toml", catalog)
    before = (tmp_path / "inp" / catalog).read_text()
    result = CliRunner().invoke(main, ["bench", "--scenarios", str(scenario), "--policies", "base_stock", "--seeds",
                                       "1", "--workers", "1", "--out", str(tmp_path / "inp"), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and catalog in result.output and "is one of the input files" in result.output
    assert (tmp_path / "inp" / catalog).read_text() == before


def test_bench_refuses_a_scenario_file_named_as_a_registered_scenario(tmp_path: Path) -> None:
    """clash/multi_10.toml ran as 'multi_10'; beside multi_10_heldout_level it read as a matched pair."""
    scenario = _scenario_folder(tmp_path / "clash", "multi_10.toml", "catalog.csv")
    for names in (str(scenario), f"{scenario},multi_10_heldout_level"):
        result = CliRunner().invoke(main, ["bench", "--scenarios", names, "--policies", "base_stock", "--seeds", "1",
                                           "--workers", "1", "--out", str(tmp_path / "out"), "--quiet"])
        assert result.exit_code == 1, result.output
        assert "multi_10.toml" in result.output and "rename the file" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("toml", "catalog", "policies", "spec"), [
    ("spec.toml", "catalog.csv", ["base_stock"], False),  # the scenario replaced by the reward spec
    ("s.toml", "trials.csv", ["base_stock"], False),  # its catalog by the trials
    ("s.toml", "catalog.csv", ["base_stock"], True),  # --spec inp/spec.toml: the base spec by the chosen one
    ("s.toml", "comparison.csv", ["base_stock", "hybrid"], False),
    ("hybrid/spec.toml", "catalog.csv", ["base_stock", "hybrid"], False),  # OUT/<policy>/spec.toml
])
def test_tune_refuses_an_out_folder_where_an_output_is_an_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, catalog: str, policies: list[str], spec: bool
) -> None:
    import hybridinv.reward.tune as tune_module

    monkeypatch.setattr(tune_module, "_execute", lambda *a, **k: pytest.fail("ran before --out was checked"))
    folder = tmp_path / "inp"
    scenario = _scenario_folder(folder / Path(toml).parent, Path(toml).name, catalog)
    options = ["--scenario", str(scenario)]
    if spec:
        (folder / "spec.toml").write_text("version = 1\n[weights]\nshortage = 3.0\n")
        options += ["--spec", str(folder / "spec.toml")]
    written = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    result = CliRunner().invoke(main, ["tune", *options, "--target", "fill_rate>=0.9", "--trials", "1", "--seeds",
                                       "2", "--periods", "10", *(f"--policy={p}" for p in policies),
                                       "--out", str(folder)])
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "is one of the input files" in result.output
    assert {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == written
