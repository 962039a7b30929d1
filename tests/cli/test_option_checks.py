"""Option checks of demo, bench, tune, train and backtest: bad values are clean errors, never tracebacks or
silently different runs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from hybridinv.cli import main


def _usage_error(result: Result, option: str) -> str:
    """A click usage error (exit 2, no traceback) naming ``option``; returns the output."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert option in result.output and "Traceback" not in result.output
    return result.output


def _planning_error(result: Result, column: str) -> str:
    """A one-line PlanningError (exit 1) naming ``column``; returns the output."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"column '{column}'" in result.output and "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize("seeds", ["0", "-1"])
def test_demo_refuses_no_seeds(seeds: str) -> None:
    # the finding: demo --seeds 0 printed the plan, then crashed with KeyError 'avg_cost'
    _usage_error(CliRunner().invoke(main, ["demo", "--seeds", seeds, "--periods", "5"]), "--seeds")


def test_demo_refuses_a_horizon_shorter_than_the_warmup() -> None:
    _usage_error(CliRunner().invoke(main, ["demo", "--seeds", "1", "--periods", "2"]), "--periods")


_BENCH = ["bench", "--seeds", "1", "--workers", "1", "--quiet"]


@pytest.mark.parametrize(
    ("selection", "option", "message"),
    [
        (["--scenarios", "single_sku", "--policies", "ss,ss"], "--policies", "'ss' is given more than once"),
        (["--scenarios", "single_sku, single_sku", "--policies", "ss"], "--scenarios",
         "'single_sku' is given more than once"),
        (["--scenarios", "", "--policies", "ss"], "--scenarios", "no names in ''; known: "),
        (["--scenarios", ",", "--policies", "ss"], "--scenarios", "no names in ','; known: "),
        (["--scenarios", "single_sku", "--policies", ","], "--policies", "no names in ','; known: "),
        (["--scenarios", "single_sku", "--policies", "ss,foo"], "--policies", "unknown policy 'foo'; known: "),
        (["--suite", "network", "--policies", "ss"], "--policies", "unknown policy 'ss'; known: echelon_base_stock"),
    ],
)
def test_bench_refuses_repeated_empty_and_unknown_selections(
    tmp_path: Path, selection: list[str], option: str, message: str
) -> None:
    # the finding: --policies ss,ss failed in the plots after every run; --scenarios "" ran the whole suite;
    # --scenarios "," and --policies foo wrote "0 runs" and exited 0
    out = tmp_path / "b"
    # the network suite runs inline and refuses --workers (it ignored it)
    bench = ["bench", "--seeds", "1", "--quiet"] if "network" in selection else _BENCH
    output = _usage_error(CliRunner().invoke(main, [*bench, *selection, "--out", str(out)]), option)
    assert message in " ".join(output.split())
    if "known: " in message and option == "--policies" and "network" not in selection:
        assert "base_stock" in output and "newsvendor" in output
    if "no names" in message and option == "--scenarios":
        assert "single_sku" in output and "multi_10" in output
    assert not out.exists()  # refused before any run


def test_bench_refuses_more_seeds_than_max_episodes(tmp_path: Path) -> None:
    # the finding: --seeds 99999999999 was accepted and the task list grew by 70 MB a second
    from hybridinv.bench import QUICK
    from hybridinv.core.errors import PlanningError

    args = ["bench", "--scenarios", "single_sku_L2_p9", "--policies", "base_stock", "--seeds", "1000001",
            "--out", str(tmp_path / "b")]
    _usage_error(CliRunner().invoke(main, args), "--seeds")
    with pytest.raises(PlanningError, match="MAX_EPISODES") as err:
        QUICK.with_options(seeds=10**11)
    assert err.value.column == "seeds"


def test_bench_refuses_an_address_without_the_ray_backend(tmp_path: Path) -> None:
    args = ["bench", "--scenarios", "single_sku_L2_p9", "--policies", "base_stock", "--address", "foo",
            "--out", str(tmp_path / "b")]
    assert "applies to --backend ray only" in _usage_error(CliRunner().invoke(main, args), "--address")


def test_bench_runs_a_selection_of_distinct_names(tmp_path: Path) -> None:
    args = [*_BENCH, "--scenarios", "single_sku", "--policies", "ss,base_stock", "--out", str(tmp_path / "b")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 runs")
    assert set(pd.read_csv(tmp_path / "b" / "results.csv")["policy"]) == {"ss", "base_stock"}


_TUNE = ["tune", "--scenario", "single_sku", "--target", "fill_rate>=0.9", "--trials", "1", "--seeds", "1",
         "--periods", "5"]


@pytest.mark.parametrize(("option", "value"), [("--seed", "-1"), ("--seed", str(2**32)), ("--trials", "0"),
                                               ("--seeds", "0")])
def test_tune_refuses_bad_counts_and_seeds(tmp_path: Path, option: str, value: str) -> None:
    # the finding: --seed -1 ended in numpy's "Seed must be between 0 and 2**32 - 1" traceback
    args = [*_TUNE, option, value, "--out", str(tmp_path / "t")]
    _usage_error(CliRunner().invoke(main, args), option)
    assert not (tmp_path / "t").exists()


def test_tune_refuses_a_policy_given_twice(tmp_path: Path) -> None:
    # the finding: accepted, and tuned twice into the same OUT/base_stock folder
    args = ["tune", "--scenario", "multi_10", "--target", "fill_rate>=0.9", "--policy", "base_stock", "--policy",
            "base_stock", "--out", str(tmp_path / "t")]
    assert "'base_stock' is given more than once" in _usage_error(CliRunner().invoke(main, args), "--policy")
    assert not (tmp_path / "t").exists()


def test_tune_with_an_unknown_scenario_name_is_a_usage_error(tmp_path: Path) -> None:
    # a scenario file's contents are data (exit 1, tests/cli/test_scenario_files.py); an unknown name is usage
    args = ["tune", "--scenario", "no_such_scenario", "--target", "fill_rate>=0.9", "--out", str(tmp_path / "t")]
    _usage_error(CliRunner().invoke(main, args), "no_such_scenario")


def test_tune_policy_ss_runs(tmp_path: Path) -> None:
    # the finding: tune --policy ss always failed: BaseStock.fit did float() of the per-SKU service levels
    result = CliRunner().invoke(main, [*_TUNE, "--policy", "ss", "--out", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert re.search(r"chosen shortage weight [0-9.e+-]+ \([0-9.e+-]+ x the base spec's 1\) \((meets|MISSES)",
                     result.output), result.output
    assert (tmp_path / "t" / "spec.toml").is_file() and (tmp_path / "t" / "summary.json").is_file()


def test_ss_and_base_stock_fit_take_one_service_level_per_sku() -> None:
    from hybridinv import scenarios
    from hybridinv.core.errors import PlanningError
    from hybridinv.policies.classical import SS, BaseStock

    scenario = scenarios.get("multi_10")
    levels = np.linspace(0.5, 0.99, scenario.n_skus)
    per_sku = np.asarray(BaseStock.fit(scenario, levels).level, dtype=np.float64)
    for k in (0, scenario.n_skus - 1):
        assert per_sku[k] == np.asarray(BaseStock.fit(scenario, float(levels[k])).level)[k]
    assert np.array_equal(SS.fit(scenario, levels).s, per_sku - 1.0)
    with pytest.raises(PlanningError, match="3 service levels for 10 SKUs"):
        BaseStock.fit(scenario, [0.9, 0.9, 0.9])
    with pytest.raises(PlanningError, match="must be in"):
        SS.fit(scenario, 1.0)


_TRAIN_PPO = ["train", "--scenario", "single_sku", "--timesteps", "64", "--eval-seeds", "1", "--quiet"]


@pytest.mark.parametrize("algo", [["--algo", "ppo"], ["--algo", "hybrid", "--learner", "ppo"]])
def test_train_refuses_a_ppo_rollout_of_one_step(tmp_path: Path, algo: list[str]) -> None:
    # the finding: --n-steps 1 ended in stable-baselines3's AssertionError on batch_size
    args = [*_TRAIN_PPO, *algo, "--n-steps", "1", "--out", str(tmp_path / "m")]
    output = _usage_error(CliRunner().invoke(main, args), "--n-steps")
    assert "at least 2 steps per rollout" in output
    assert not (tmp_path / "m").exists()


def test_train_reports_a_bad_target_and_a_history_without_catalog_as_usage_errors(tmp_path: Path) -> None:
    # the finding: both exited 1 as data errors, where tune's bad --target and train's --catalog without
    # --history exit 2
    out = _usage_error(CliRunner().invoke(main, ["train", "--scenario", "multi_10", "--target", "fill>=0.9",
                                                 "--out", str(tmp_path / "m")]), "--target")
    assert "unknown KPI" in out
    history, _ = _history(tmp_path)
    _usage_error(CliRunner().invoke(main, ["train", "--history", str(history), "--out", str(tmp_path / "m")]),
                 "--history needs --catalog")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("hidden", ["0", "-1"])
def test_train_refuses_a_hidden_width_below_one(tmp_path: Path, hidden: str) -> None:
    # the finding: --hidden 0 silently trained the default width 64
    args = [*_TRAIN_PPO, "--algo", "ppo", "--hidden", hidden, "--out", str(tmp_path / "m")]
    _usage_error(CliRunner().invoke(main, args), "--hidden")


def _history(tmp_path: Path) -> tuple[Path, Path]:
    """A tiny monthly history (4 SKUs, 30 months, wide) and its catalog."""
    rng = np.random.default_rng(3)
    skus = [f"S{i}" for i in range(4)]
    demand = rng.poisson(np.array([30.0, 12.0, 8.0, 3.0]), size=(30, 4))
    months = [str(p) for p in pd.period_range("2021-01", periods=30, freq="M")]
    history, catalog = tmp_path / "sales.csv", tmp_path / "catalog.csv"
    pd.DataFrame({"sku": skus, **{m: demand[k] for k, m in enumerate(months)}}).to_csv(history, index=False)
    cost = np.array([12.0, 30.0, 8.0, 60.0])
    pd.DataFrame({"sku": skus, "unit_cost": cost, "holding_cost": cost / 48, "shortage_cost": cost * 1.6,
                  "order_cost": 5.0, "lead_time": [1, 0, 2, 1]}).to_csv(catalog, index=False)
    return history, catalog


def _backtest_limits(tmp_path: Path, *limits: str) -> tuple[float, float]:
    history, catalog = _history(tmp_path)
    args = ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff", "24", "--policies",
            "static_ss", *limits]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    found = re.search(r"Capacity ([\d,.]+|inf), budget ([\d,.]+|inf) per period", result.output)
    assert found is not None, result.output
    capacity, budget = (float(value.replace(",", "")) for value in found.groups())
    return capacity, budget


@pytest.mark.parametrize("limit", [["--capacity", "0"], ["--budget", "0"], ["--capacity", "-3"],
                                   ["--budget", "0", "--capacity", "100"]])
def test_backtest_refuses_zero_and_negative_limits(tmp_path: Path, limit: list[str]) -> None:
    # the finding: --capacity 0 / --budget 0 silently meant "no limit"
    history, catalog = _history(tmp_path)
    args = ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff", "24", "--policies",
            "static_ss", *limit]
    option = "--budget" if "--budget" in limit else "--capacity"
    assert "must be > 0" in _usage_error(CliRunner().invoke(main, args), option)  # exit 1 until 2026-12-06


def test_backtest_keeps_the_derived_limit_that_was_not_given(tmp_path: Path) -> None:
    # the finding: --capacity alone dropped the derived budget (no budget at all), and vice versa
    capacity, budget = _backtest_limits(tmp_path)
    assert np.isfinite(capacity) and np.isfinite(budget)
    assert _backtest_limits(tmp_path, "--capacity", "500") == (500.0, budget)
    assert _backtest_limits(tmp_path, "--budget", "800") == (capacity, 800.0)
    assert _backtest_limits(tmp_path, "--capacity", "inf") == (float("inf"), budget)  # inf: no limit, on request


def test_backtest_refuses_a_model_name_given_twice(tmp_path: Path) -> None:
    # the finding: the second --model with the same name replaced the first silently
    history, catalog = _history(tmp_path)
    args = ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff", "24", "--policies",
            "static_ss", "--model", "m=models/hybrid_default", "--model", "m=models/hybrid_capped"]
    assert "given twice" in _usage_error(CliRunner().invoke(main, args), "--model")


_TRAIN_HISTORY = ["train", "--validation", "6", "--workers", "1", "--quiet"]


@pytest.mark.parametrize("limit", [["--capacity", "0"], ["--budget", "0"], ["--budget", "-1"]])
def test_train_on_history_refuses_zero_and_negative_limits(tmp_path: Path, limit: list[str]) -> None:
    history, catalog = _history(tmp_path)
    args = [*_TRAIN_HISTORY, "--history", str(history), "--catalog", str(catalog), "--out", str(tmp_path / "m"),
            *limit]
    column = "budget" if "--budget" in limit else "capacity"
    assert "must be > 0" in _planning_error(CliRunner().invoke(main, args), column)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("limit", "given"), [([], None), (["--capacity", "500"], "capacity"),
                                              (["--budget", "800"], "budget")])
def test_train_on_history_keeps_the_derived_limit_that_was_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: list[str], given: str | None
) -> None:
    # the finding: --capacity alone trained with no budget at all (and vice versa), not the derived one
    import hybridinv.rl.history as history_module
    from hybridinv.backtest.history import read_history
    from hybridinv.core.catalog import Catalog

    seen = {}

    def fake_train(train, catalog, out, constraints, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen["train"], seen["catalog"], seen["constraints"] = train, catalog, constraints
        return None, {"reason": "stub"}

    monkeypatch.setattr(history_module, "train_on_history", fake_train)
    history, catalog = _history(tmp_path)
    args = [*_TRAIN_HISTORY, "--history", str(history), "--catalog", str(catalog), "--cutoff", "24", "--out",
            str(tmp_path / "m"), *limit]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    cat = Catalog.from_frame(pd.read_csv(catalog))
    window = read_history(pd.read_csv(history)).aligned(cat).demand[:24]
    assert np.array_equal(seen["train"], window)
    if given is None:
        assert seen["constraints"] is None  # the library derives both
        return
    # the one not given is derived by train_on_history, on the months ES fits on (not the held-out ones)
    expected = {"capacity": "derive", "budget": "derive", given: float(limit[1])}
    assert seen["constraints"] == expected


@pytest.mark.parametrize("extra", [
    ["--policy", "rq"], ["--policy", "base_stock", "--policy", "rq"], ["--policy", "no_such_policy"],
    ["--target", "fill>=0.9"], ["--target", "waste_rate<=0.01"], ["--minimize", "happiness"],
    ["--scenario", "no_such_scenario"], ["--policy", "no_such_policy", "--backend", "ray"],
])
def test_a_refused_tune_run_creates_no_out_folder(tmp_path: Path, extra: list[str]) -> None:
    # the finding: --out was created (new/deep/folder) before the scenario, policies and targets were checked
    out = tmp_path / "new" / "deep" / "folder"
    result = CliRunner().invoke(main, [*_TUNE, *extra, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "new").exists()


def test_tune_refuses_an_out_under_a_file_naming_the_option(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    output = _usage_error(CliRunner().invoke(main, [*_TUNE, "--out", str(tmp_path / "afile" / "sub")]), "--out")
    assert "is a file" in output


@pytest.mark.parametrize(("args", "option", "message"), [
    (["plan", "--policy", "newsvendr"], "--policy",
     "unknown policy 'newsvendr' (did you mean 'newsvendor'?); known: base_stock, capped_base_stock,"),
    ([*_BENCH, "--scenarios", "single_sku", "--policies", "ss,newsvendr"], "--policies",
     "unknown policy 'newsvendr' (did you mean 'newsvendor'?); known: base_stock, capped_base_stock,"),
    (["bench", "--seeds", "1", "--quiet", "--suite", "network", "--policies", "echelon_base_stok"], "--policies",
     "unknown policy 'echelon_base_stok' (did you mean 'echelon_base_stock'?); known: echelon_base_stock,"),
    (["bench", "--seeds", "1", "--quiet", "--suite", "network", "--scenarios", "seral_3"], "--scenarios",
     "unknown network scenario 'seral_3' (did you mean 'serial_3'?); known: ['hospital_network',"),
    (["backtest", "--suite", "hospital", "--policies", "static_s"], "--policies",
     "unknown policy 'static_s' (did you mean 'static_ss'?); known: capped_base, capped_trained,"),
    (["tune", "--scenario", "single_sku", "--target", "fill_rate>=0.9", "--policy", "base_stok"], "column 'policy'",
     "unknown policy (did you mean 'base_stock'?); known: ['base_stock', 'capped_base_stock',"),
    (["tune", "--scenario", "single_sku", "--target", "fill_rat>=0.9"], "column 'target'",
     "unknown KPI (did you mean 'fill_rate'?); known: ['avg_cost',"),
    (["tune", "--scenario", "single_sku", "--target", "fill_rate>=0.9", "--minimize", "-fill_rat"], "column 'minimize'",
     "unknown KPI to optimize (did you mean '-fill_rate'?); known: cost, ['avg_cost',"),
])
def test_a_misspelt_name_suggests_the_one_meant(tmp_path: Path, args: list[str], option: str, message: str) -> None:
    # the finding: plan --policy newsvendr, bench/backtest --policies, tune --policy and --target listed every
    # known name but pointed to none, where bench --scenarios perishible suggested 'perishable'
    out = tmp_path / "o"
    if args[0] == "plan":
        from hybridinv.examples import example_frames

        catalog, state = example_frames()
        catalog.to_csv(tmp_path / "catalog.csv", index=False)
        state.to_csv(tmp_path / "state.csv", index=False)
        args = [*args, "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv")]
    output = _usage_error(CliRunner().invoke(main, [*args, "--out", str(out)]), option)
    assert message in " ".join(output.split())
    assert not out.exists()


def test_demo_suggests_the_policy_meant() -> None:
    result = CliRunner().invoke(main, ["demo", "--policy", "newsvendr"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "unknown policy or not available here (did you mean 'newsvendor'?); available: [" in result.output


@pytest.mark.parametrize(("args", "meant"), [
    (["plan", "--backend", "fsat"], "'fast'"),
    (["train", "--algo", "adaptve", "--out", "m"], "'adaptive'"),
    (["twin", "--period", "wek"], "'week'"),
    (["bench", "--suite", "quik"], "'quick'"),
    (["tune", "--backend", "proces"], "'process'"),
    (["plan-network", "--policy", "echelon_base_stok"], "'echelon_base_stock'"),
    (["plan", "--extra-columns", "ignor"], "'ignore'"),
])
def test_every_fixed_choice_option_points_to_the_choice_meant(args: list[str], meant: str) -> None:
    """Every option with a fixed list of choices (click.Choice) listed them without the one meant."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"(did you mean {meant}?)." in result.output, result.output
