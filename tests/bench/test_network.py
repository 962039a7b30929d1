"""The network benchmark suite and ``hybridinv bench --suite network``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from hybridinv.bench.benchmark import RESULT_COLUMNS
from hybridinv.bench.network import NETWORK, run_network_suite
from hybridinv.bench.report import summary_table
from hybridinv.bench.suites import ScenarioSpec
from hybridinv.cli import main
from hybridinv.network.baselines import make_policy
from hybridinv.network.runner import simulate_network
from hybridinv.network.scenarios import get


def test_network_suite_rows_are_the_network_runs_in_benchmark_columns() -> None:
    suite = NETWORK.with_options(scenarios=(ScenarioSpec("serial_3", periods=200),), seeds=2)
    result = run_network_suite(suite)
    assert list(result.runs.columns) == list(RESULT_COLUMNS)
    assert len(result.runs) == 4 * 2 and result.policies == list(NETWORK.policies)
    scenario = get("serial_3").replace(periods=200, warmup=50)
    direct = simulate_network(make_policy("echelon_base_stock", scenario), scenario, seeds=2)
    mine = result.runs[result.runs["policy"] == "echelon_base_stock"]
    np.testing.assert_allclose(mine["avg_cost"], direct["avg_cost"])
    np.testing.assert_allclose(mine["holding_cost"], direct["holding_cost"] + direct["transit_holding_cost"])
    method, optimum = result.optima["serial_3"]
    assert method.startswith("exact") and abs(optimum - 19.4648) < 1e-4
    table = summary_table(result)
    assert table["gap"].notna().all() and (table["gap"].abs() < 0.1).all()


def test_network_suite_notes_binding_and_cuts_on_the_constrained_scenario() -> None:
    suite = NETWORK.with_options(scenarios=(ScenarioSpec("owmr_10x50", periods=40),), seeds=1,
                                 policies=("echelon_fair_share",))
    result = run_network_suite(suite)
    assert (result.runs["violations"] == 0).all()
    assert any("budget cut the supplier orders" in note for note in result.notes)
    assert any("operating cost" in note and "cost above the goods' unit cost" in note for note in result.notes)


def test_bench_cli_runs_the_network_suite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["bench", "--suite", "network", "--scenarios", "serial_3", "--seeds", "2", "--policies",
            "echelon_base_stock", "--out", str(out), "--quiet"]
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 0, outcome.output
    assert "2 runs" in outcome.output and (out / "summary.md").exists()
    assert "serial_3" in (out / "summary.md").read_text()
    bad = CliRunner().invoke(main, ["bench", "--suite", "network", "--scenarios", "multi_10", "--out", str(out)])
    assert bad.exit_code != 0 and "unknown network scenario" in bad.output


def test_network_suite_progress_counts_every_scenario_policy_pair(capsys) -> None:  # type: ignore[no-untyped-def]
    suite = NETWORK.with_options(scenarios=(ScenarioSpec("serial_3", periods=40),), seeds=1,
                                 policies=("echelon_base_stock", "no_such_policy"))
    result = run_network_suite(suite, progress=True)
    err = capsys.readouterr().err
    assert "bench network" in err and "2/2" in err  # a failed run advances the bar too
    assert list(result.failures) == [("serial_3", "no_such_policy")]
    run_network_suite(suite)
    assert "bench network" not in capsys.readouterr().err
