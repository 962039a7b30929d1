"""Running suites and writing reports (hybridinv/bench/benchmark.py, runner.py, report.py)."""

from __future__ import annotations

import base64
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hybridinv import exact
from hybridinv.bench import (
    RESULT_COLUMNS,
    ScenarioSpec,
    Suite,
    run_suite,
    summary_table,
    write_outputs,
)
from hybridinv.policies import registry
from hybridinv.policies.classical import BaseStock
from hybridinv.sim import simulate

TOY = __name__.rpartition(".")[0] + "._toy" if "." in __name__ else "_toy"
SINGLE = ScenarioSpec("single_sku", (("lead_time", 1), ("shortage_cost", 4.0), ("periods", 120)))
HELDOUT = ScenarioSpec("single_sku", (("lead_time", 1), ("periods", 120)), heldout="level")


@pytest.fixture
def toys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.FACTORIES, "toy_level_15", f"{TOY}:level_15")
    monkeypatch.setitem(registry.FACTORIES, "toy_halving", f"{TOY}:halving")
    monkeypatch.setitem(registry.FACTORIES, "toy_broken", f"{TOY}:broken")
    monkeypatch.setitem(registry.FACTORIES, "toy_absent", "hybridinv.no_such_module:factory")


def _suite(policies: tuple[str, ...], seeds: int = 3) -> Suite:
    return Suite("test", (SINGLE, HELDOUT), policies, seeds, baselines=("toy_level_15",), track=1)


@pytest.fixture
def result(toys: None):  # type: ignore[no-untyped-def]
    return run_suite(_suite(("toy_level_15", "toy_halving", "toy_broken", "toy_absent")), workers=1, progress=False)


def test_results_schema_one_row_per_scenario_policy_seed(result) -> None:  # type: ignore[no-untyped-def]
    runs = result.runs
    assert tuple(runs.columns) == RESULT_COLUMNS
    assert len(runs) == 2 * 2 * 3
    assert set(runs["policy"]) == {"toy_level_15", "toy_halving"}
    assert sorted(runs.groupby(["scenario", "policy"]).size()) == [3, 3, 3, 3]
    costs = runs[["holding_cost", "shortage_cost", "ordering_cost", "waste_cost", "overflow_cost"]].sum(axis=1)
    np.testing.assert_allclose(costs, runs["avg_cost"])
    assert ((runs["fill_rate"] > 0) & (runs["fill_rate"] <= 1)).all()


def test_runs_equal_simulate_on_common_random_numbers(result) -> None:  # type: ignore[no-untyped-def]
    expected = simulate(BaseStock(15.0, repair=None), SINGLE.test_scenario(), seeds=3)
    mine = result.runs[(result.runs["policy"] == "toy_level_15") & (result.runs["scenario"] == SINGLE.key)]
    np.testing.assert_allclose(mine["avg_cost"].to_numpy(), expected["avg_cost"].to_numpy())
    np.testing.assert_allclose(mine["fill_rate"].to_numpy(), expected["fill_rate"].to_numpy())


def test_missing_and_failed_policies_are_named(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "toy_absent" in result.missing
    assert (SINGLE.key, "toy_broken") in result.failures
    assert "always fails" in result.failures[(SINGLE.key, "toy_broken")]
    summary = write_outputs(result, tmp_path)["summary.md"].read_text()
    assert "Missing policies" in summary and "`toy_absent`" in summary
    assert "`toy_broken` on" in summary


def test_gap_to_exact_optimum(result) -> None:  # type: ignore[no-untyped-def]
    optimum = exact.lost_sales_optimal(5.0, 1, 1.0, 4.0).average_cost
    assert result.optima[SINGLE.key] == ("optimal", pytest.approx(optimum))
    table = summary_table(result)
    row = table[(table["scenario"] == SINGLE.key) & (table["policy"] == "toy_level_15")].iloc[0]
    cost = result.runs[(result.runs["scenario"] == SINGLE.key) & (result.runs["policy"] == "toy_level_15")]
    assert row["gap"] == pytest.approx((cost["avg_cost"].mean() - optimum) / optimum)
    held = table[table["scenario"] == HELDOUT.key].iloc[0]
    assert math.isnan(held["gap"]) and held["gap_reference"] == "n/a"


def test_a_single_sku_model_too_large_for_both_exact_methods_leaves_the_gap_out(toys: None) -> None:
    # lead time 8 at mean 5: 3.4e9 states for the optimal model and for best_base_stock; the suite stopped with
    # their ValueError (no result at all) where the docs promised a fallback
    spec = ScenarioSpec("single_sku", (("lead_time", 8), ("periods", 40)))
    result = run_suite(Suite("long", (spec,), ("toy_level_15",), 2, baselines=("toy_level_15",)), workers=1,
                       progress=False)
    assert len(result.runs) == 2 and not result.failures
    assert spec.key not in result.optima
    assert any("no exact optimum" in note and "states" in note for note in result.notes)
    row = summary_table(result).iloc[0]
    assert math.isnan(row["gap"]) and row["gap_reference"] == "n/a"


def test_paired_difference_against_best_baseline(result) -> None:  # type: ignore[no-untyped-def]
    table = summary_table(result)
    runs = result.runs[result.runs["scenario"] == SINGLE.key]
    mine = runs[runs["policy"] == "toy_halving"].set_index("seed")["avg_cost"]
    base = runs[runs["policy"] == "toy_level_15"].set_index("seed")["avg_cost"]
    row = table[(table["scenario"] == SINGLE.key) & (table["policy"] == "toy_halving")].iloc[0]
    assert row["baseline"] == "toy_level_15"
    assert row["paired_difference"] == pytest.approx((mine - base).mean())
    baseline_row = table[(table["scenario"] == SINGLE.key) & (table["policy"] == "toy_level_15")].iloc[0]
    assert baseline_row["paired_difference"] == 0.0


def test_repair_change_recorded(result) -> None:  # type: ignore[no-untyped-def]
    runs = result.runs
    halving = runs[runs["policy"] == "toy_halving"]
    # orders = floor(desired / 2): relative change is 1/2 (even desired) or (d+1)/(2d) (odd)
    assert (halving["repair_change"] >= 0.5).all() and (halving["repair_change"] < 0.75).all()
    assert (halving["repair_share_changed"] > 0.5).all()
    assert (runs[runs["policy"] == "toy_level_15"]["repair_share_changed"] == 0.0).all()


def test_outputs_written(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = write_outputs(result, tmp_path / "out")
    frame = pd.read_csv(paths["results.csv"])
    assert list(frame.columns) == list(RESULT_COLUMNS) and len(frame) == len(result.runs)
    summary = paths["summary.md"].read_text()
    assert f"### {SINGLE.key}" in summary and f"### {HELDOUT.key}" in summary
    assert "±" in summary
    page = paths["report.html"].read_text()
    images = page.count('src="data:image/png;base64,')
    assert images >= 4  # cost, frontier, trajectories, repair
    first = page.split('src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    assert base64.b64decode(first)[:8] == b"\x89PNG\r\n\x1a\n"
    assert (SINGLE.key, "toy_level_15") in result.trajectories
    assert result.trajectories[(SINGLE.key, "toy_level_15")]["on_hand"].shape == (120, 1)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["decision_time"]).sort_values(["scenario", "policy", "seed"]).reset_index(drop=True)


def test_process_pool_equals_inline(toys: None) -> None:
    suite = _suite(("toy_level_15", "toy_halving"), seeds=2)
    inline = run_suite(suite, workers=1, progress=False)
    pooled = run_suite(suite, workers=2, progress=False)
    pd.testing.assert_frame_equal(_comparable(inline.runs), _comparable(pooled.runs))
    assert inline.optima == pooled.optima


@pytest.mark.ray
def test_ray_equals_process(toys: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray")
    import shutil
    import tempfile

    # Ray writes a session folder of logs under its temp root (/tmp/ray) on every start: give it one
    # of its own (short: Ray's socket paths are limited to 107 characters) and remove it afterwards
    root = tempfile.mkdtemp(prefix="ray-")
    monkeypatch.setenv("RAY_TMPDIR", root)
    try:
        _ray_equals_process()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _ray_equals_process() -> None:
    suite = _suite(("toy_level_15", "toy_halving"), seeds=2)
    process = run_suite(suite, backend="process", workers=2, progress=False)
    on_ray = run_suite(suite, backend="ray", workers=2, progress=False)
    import ray

    assert not ray.is_initialized()
    assert on_ray.backend == "ray" and not on_ray.failures
    pd.testing.assert_frame_equal(_comparable(process.runs), _comparable(on_ray.runs))
    assert process.optima == on_ray.optima

