"""``hybridinv backtest`` and ``hybridinv train --history`` from CSV files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import _Terminated, main
from hybridinv.rl import Hybrid
from hybridinv.rl.adaptive import AdaptiveHybrid

from ._data import catalog_frame, history_frame


def _files(tmp_path: Path) -> tuple[Path, Path]:
    history, catalog = tmp_path / "sales.csv", tmp_path / "catalog.csv"
    history_frame().to_csv(history, index=False)
    catalog_frame().to_csv(catalog, index=False)
    return history, catalog


def test_backtest_from_csv_writes_the_report(tmp_path: Path) -> None:
    history, catalog = _files(tmp_path)
    out = tmp_path / "bt"
    args = ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff", "2021-01",
            "--policies", "static_ss,hybrid_base,newsvendor", "--budget", "5000", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "| hybrid_base |" in result.output and "CI over SKUs" in result.output
    assert "Backtest `sales`" in result.output                          # titled by the history file
    rows = pd.read_csv(out / "results.csv")
    assert set(rows["policy"]) == {"static_ss", "hybrid_base", "newsvendor"} and len(rows) == 36
    assert (out / "report.html").exists() and (out / "periods.csv").exists()


def test_backtest_input_errors_are_one_line(tmp_path: Path) -> None:
    history, catalog = _files(tmp_path)
    neither = CliRunner().invoke(main, ["backtest"])
    assert neither.exit_code == 2 and "Error: " in neither.output and "--suite or --history" in neither.output
    bad = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff",
                                    "2031-01"])
    assert bad.exit_code == 1 and "cutoff" in bad.output and "Traceback" not in bad.output
    model = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff",
                                      "24", "--model", "nodir"])
    assert model.exit_code != 0 and "NAME=DIR" in model.output


def test_train_on_history_writes_a_validated_model(tmp_path: Path) -> None:
    history, catalog = _files(tmp_path)
    out = tmp_path / "mine"
    args = ["train", "--history", str(history), "--catalog", str(catalog), "--cutoff", "30", "--validation", "6",
            "--population", "4", "--generations", "2", "--seeds-per-generation", "1", "--time-limit", "0",
            "--workers", "1", "--out", str(out), "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    agent = Hybrid.load(out)
    assert isinstance(agent, AdaptiveHybrid)
    report = agent.metadata["validation"]
    assert report["held_out_periods"] == 6 and isinstance(report["accepted"], bool)
    assert json.loads(result.output[result.output.index("{"):])["held_out_periods"] == 6
    assert agent.feature_low is not None
    if not report["accepted"]:
        assert (agent.weights == 0).all()


def test_train_on_history_warm_starts_from_the_default_unless_told_otherwise(tmp_path: Path) -> None:
    history, catalog = _files(tmp_path)
    common = ["train", "--history", str(history), "--catalog", str(catalog), "--cutoff", "30", "--validation", "6",
              "--population", "4", "--generations", "1", "--seeds-per-generation", "1", "--time-limit", "0",
              "--workers", "1", "--quiet"]
    default = Hybrid.load("hybrid_default")
    for flag, start in ((None, default.weights), ("none", np.zeros_like(default.weights))):
        out = tmp_path / f"m_{flag}"
        extra = [] if flag is None else ["--warm-start", flag]
        result = CliRunner().invoke(main, [*common, *extra, "--out", str(out)])
        assert result.exit_code == 0, result.output
        np.testing.assert_array_equal(np.array(Hybrid.load(out).metadata["training"]["start_weights"]), start)


def test_train_on_history_trains_the_capped_parameterization_from_its_base(tmp_path: Path) -> None:
    from hybridinv.rl.hybrid import CappedHybrid

    history, catalog = _files(tmp_path)
    out = tmp_path / "capped"
    args = ["train", "--history", str(history), "--catalog", str(catalog), "--cutoff", "30", "--validation", "6",
            "--population", "4", "--generations", "1", "--seeds-per-generation", "1", "--time-limit", "0",
            "--workers", "1", "--parameterization", "forecast_capped", "--out", str(out), "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    agent = Hybrid.load(out)
    assert isinstance(agent, CappedHybrid)
    training = agent.metadata["training"]
    assert not np.any(training["start_weights"]) and np.all(training["searched"])  # from the base, all weights
    assert training["settings"]["parameterization"] == "forecast_capped"


def test_backtest_runs_the_capped_hybrid_trained_on_the_window(tmp_path: Path) -> None:
    from hybridinv.rl.hybrid import CappedHybrid

    history, catalog = _files(tmp_path)
    out = tmp_path / "bt"
    args = ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff", "2021-01",
            "--policies", "capped_base,capped_trained", "--train-seconds", "1", "--workers", "1", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "| capped_trained |" in result.output and "`capped_trained` − `capped_base`" in result.output
    assert "`capped_trained`: validation gate" in result.output
    assert isinstance(Hybrid.load(out / "models" / "capped_trained"), CappedHybrid)


def test_season_option_reads_auto_none_or_a_cycle(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hybridinv.backtest as package
    from hybridinv.cli._io import season_from_text
    from hybridinv.core.errors import PlanningError

    assert [season_from_text(t) for t in ("auto", "AUTO", "0", "52")] == ["auto", "auto", None, 52]
    for text in ("weekly", "-1", "2.5"):
        try:
            season_from_text(text)
        except PlanningError as error:
            assert error.column == "season"
        else:
            raise AssertionError(f"--season {text} was accepted")
    history, catalog = _files(tmp_path)
    common = ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff", "24",
              "--policies", "newsvendor"]
    bad = CliRunner().invoke(main, [*common, "--season", "weekly"])
    assert bad.exit_code == 2 and "--season" in bad.output and "Traceback" not in bad.output  # a usage error
    real, seen = package.backtest, []

    def spy(*args, **options):  # type: ignore[no-untyped-def]
        result = real(*args, **options)
        seen.append((options["season"], result.forecaster.season))
        return result

    monkeypatch.setattr(package, "backtest", spy)
    for extra in ([], ["--season", "0"], ["--season", "6"]):
        outcome = CliRunner().invoke(main, [*common, *extra])
        assert outcome.exit_code == 0, outcome.output
    assert seen == [("auto", 12), (None, None), (6, 6)]  # monthly labels: auto is a 12-month season


def test_an_out_folder_that_cannot_be_made_is_a_usage_error_before_anything_is_read(tmp_path: Path) -> None:
    # the finding: --out afile/sub was found after every policy had run (and the hybrid trained), then a raw
    # "[Errno 20] Not a directory: .../models"
    _, catalog = _files(tmp_path)
    unreadable = tmp_path / "garbage.csv"
    unreadable.write_text("not,a\nhistory\n")  # read first, it was refused as a data error (exit 1)
    (tmp_path / "afile").write_text("x")
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "models").write_text("x")  # the trained hybrids go to <out>/models
    for out in ("afile/sub", "done"):
        result = CliRunner().invoke(main, ["backtest", "--history", str(unreadable), "--catalog", str(catalog),
                                           "--cutoff", "2021-01", "--policies", "static_ss", "--out",
                                           str(tmp_path / out)])
        assert result.exit_code == 2 and "--out" in result.output and "Traceback" not in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "catalog.csv", "done", "garbage.csv", "sales.csv"]


@pytest.mark.parametrize(("options", "named"), [
    (["--policies", "static_SS"], "--policies"),
    (["--suite", "hospital"], "--suite or --history"),
    (["--cutoff", None], "--cutoff"),
    (["--n-series", "3"], "--n-series"),
    (["--season", "x"], "--season"),
    (["--season", "-3"], "--season"),
    (["--horizon", "-1"], "--horizon"),
    (["--workers", "0"], "--workers"),
    (["--train-seconds", "-1"], "--train-seconds"),
    (["--train-seconds", "nan"], "--train-seconds"),
    (["--capacity", "0"], "--capacity"),
    (["--capacity", "-5"], "--capacity"),
    (["--budget", "nan"], "--budget"),
])
def test_option_errors_are_usage_errors_before_any_file_is_read(tmp_path: Path, options: list[str | None],
                                                                named: str) -> None:
    # the finding: each exited 1 as a data error, some only after the history and the catalog were read
    _, catalog = _files(tmp_path)
    unreadable = tmp_path / "garbage.csv"
    unreadable.write_text("not,a\nhistory\n")  # read first, it was refused as a data error (exit 1)
    args = {"--history": str(unreadable), "--catalog": str(catalog), "--cutoff": "2021-01", "--policies": "static_ss"}
    args.update(dict(zip(options[::2], options[1::2], strict=True)))
    flat = [item for key, value in args.items() if value is not None for item in (key, value)]
    result = CliRunner().invoke(main, ["backtest", *flat])
    assert result.exit_code == 2 and named in result.output and "Traceback" not in result.output, result.output


def test_a_catalog_with_a_suite_is_a_usage_error_before_the_suite_is_read(tmp_path: Path) -> None:
    _, catalog = _files(tmp_path)
    result = CliRunner().invoke(main, ["backtest", "--suite", "hospital", "--catalog", str(catalog)])
    assert result.exit_code == 2 and "--catalog" in result.output and "applies to --history only" in result.output


def test_a_suite_cut_before_the_shipped_defaults_months_says_so_in_the_reports(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # the finding: "hybrid ... start from the shipped default ... those rows are not held out" went to stderr
    # only; summary.md and report.html presented the hybrid row as a held-out result
    import hybridinv.backtest.suites as suites
    from hybridinv.backtest.history import read_history
    from hybridinv.core.catalog import Catalog

    def fake_suite(name: str, path: object = None, n_series: object = None, cutoff: object = None):  # type: ignore[no-untyped-def]
        history = read_history(history_frame(periods=84))
        return history, Catalog.from_frame(catalog_frame()), suites.SUITES[name]  # hospital: default cut at 60

    monkeypatch.setattr(suites, "load_suite", fake_suite)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["backtest", "--suite", "hospital", "--cutoff", "count:50", "--policies",
                                       "static_ss,hybrid", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = (out / "summary.md").read_text()
    assert "| hybrid † |" in summary and "| static_ss |" in summary
    assert "† `hybrid`: not held out. hybrid start from the shipped default, trained on months 1-60" in summary
    assert "hybrid †" in (out / "report.html").read_text() and "not held out" in (out / "report.html").read_text()
    own = CliRunner().invoke(main, ["backtest", "--suite", "hospital", "--policies", "static_ss,hybrid", "--out",
                                    str(tmp_path / "own")])
    assert own.exit_code == 0 and "†" not in (tmp_path / "own" / "summary.md").read_text()  # the suite's cutoff


def test_a_rerun_removes_the_model_an_earlier_run_trained_and_this_one_did_not(tmp_path: Path) -> None:
    # the finding: a rerun into an earlier output folder left models/hybrid_trained of the earlier run, which the
    # new reports did not mention
    import shutil

    history, catalog = _files(tmp_path)
    out = tmp_path / "bt"
    shipped = Path(__file__).resolve().parents[2] / "models" / "hybrid_default"
    shutil.copytree(shipped, out / "models" / "hybrid_trained")      # as an earlier run saved it
    shutil.copytree(shipped, out / "models" / "capped_trained")
    (out / "models" / "capped_trained" / "notes.txt").write_text("mine")  # not only a model: left alone
    shutil.copytree(shipped, out / "models" / "mine")                 # not a name this command writes
    result = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff",
                                       "2021-01", "--policies", "static_ss", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "models" / "hybrid_trained").exists()
    assert f"removed {out / 'models' / 'hybrid_trained'}" in result.output
    assert (out / "models" / "capped_trained" / "notes.txt").exists() and (out / "models" / "mine").is_dir()


def _fake_training(monkeypatch: pytest.MonkeyPatch, marker: str) -> None:
    """``train_on_history`` without training: the shipped default saved into ``out`` (as the real one saves its model
    when its training ends), its metadata marked ``marker``."""
    import shutil

    import hybridinv.rl.history as history_module
    from hybridinv.rl.integrity import read_metadata, write_metadata

    shipped = Path(__file__).resolve().parents[2] / "models" / "hybrid_default"

    def fake(train: object, catalog: object, out: Path | None, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if out is not None:
            shutil.copytree(shipped, out)
            write_metadata(out, {**read_metadata(out), "marker": marker})
        return Hybrid.load(shipped), {}

    monkeypatch.setattr(history_module, "train_on_history", fake)


def _earlier_run(out: Path) -> dict[str, bytes]:
    """``out`` as an earlier run left it: its reports and its models/hybrid_trained (metadata marked "earlier")."""
    import shutil

    from hybridinv.rl.integrity import read_metadata, write_metadata

    shipped = Path(__file__).resolve().parents[2] / "models" / "hybrid_default"
    out.mkdir()
    for name in ("results.csv", "periods.csv", "summary.md", "report.html"):
        (out / name).write_text(f"earlier {name}\n")
    shutil.copytree(shipped, out / "models" / "hybrid_trained")
    write_metadata(out / "models" / "hybrid_trained", {**read_metadata(out / "models" / "hybrid_trained"),
                                                        "marker": "earlier"})
    return {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, _Terminated])
def test_an_interrupted_backtest_leaves_the_earlier_run_in_out_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interruption: type[BaseException]) -> None:
    # the finding: each trained hybrid was saved into <out>/models when its training ended and the reports only at
    # the end, so a run interrupted after the training left a new models/hybrid_trained beside the reports (and the
    # other model) of the earlier run
    import hybridinv.backtest.engine as engine

    history, catalog = _files(tmp_path)
    out = tmp_path / "bt"
    before = _earlier_run(out)
    _fake_training(monkeypatch, "new")

    def interrupted(ctx: object) -> object:
        raise interruption()

    monkeypatch.setitem(engine.POLICIES, "static_ss", interrupted)  # Ctrl-C (or SIGTERM) after the training
    result = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff",
                                       "2021-01", "--policies", "hybrid_trained,static_ss", "--out", str(out)])
    assert result.exit_code in (130, 143), result.output
    after = {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}
    assert after == before                                             # no staging folder left either
    assert sorted(p.name for p in (out / "models").iterdir()) == ["hybrid_trained"]


def test_a_backtest_moves_its_trained_models_into_out_with_its_reports(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridinv.rl.integrity import read_metadata

    history, catalog = _files(tmp_path)
    out = tmp_path / "bt"
    _earlier_run(out)
    _fake_training(monkeypatch, "new")
    result = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff",
                                       "2021-01", "--policies", "hybrid_trained,static_ss", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert read_metadata(out / "models" / "hybrid_trained")["marker"] == "new"
    assert Hybrid.load(out / "models" / "hybrid_trained") is not None   # hash-checked: a whole model
    assert "hybrid_trained" in pd.read_csv(out / "results.csv")["policy"].tolist()
    assert sorted(p.name for p in (out / "models").iterdir()) == ["hybrid_trained"]  # no staging folder left
    assert f"{out / 'models' / 'hybrid_trained'}" in result.output


def test_a_model_folder_holding_other_files_is_refused_before_any_policy_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the check of <out>/models/hybrid_trained was train_on_history's, at that policy's turn (after the policies
    # before it had run); with the models trained into a staging folder it is made before anything is read
    import hybridinv.backtest.engine as engine

    history, catalog = _files(tmp_path)
    out = tmp_path / "bt"
    (out / "models" / "hybrid_trained").mkdir(parents=True)
    (out / "models" / "hybrid_trained" / "notes.txt").write_text("mine")
    ran: list[object] = []
    static = engine.POLICIES["static_ss"]
    monkeypatch.setitem(engine.POLICIES, "static_ss", lambda ctx: ran.append(1) or static(ctx))
    result = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff",
                                       "2021-01", "--policies", "static_ss,hybrid_trained", "--out", str(out)])
    assert result.exit_code == 1 and "notes.txt" in result.output and "in the way" in result.output, result.output
    assert not ran and (out / "models" / "hybrid_trained" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (out / "models").iterdir()) == ["hybrid_trained"]


def test_train_seconds_inf_is_no_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the finding: the option's own check said "inf: until the generation limit", and HistoryTraining then refused
    # inf as not finite (exit 1, after the history was read), also for a run that trains nothing
    import hybridinv.rl.history as history_module

    history, catalog = _files(tmp_path)
    limits: list[float] = []
    shipped = Path(__file__).resolve().parents[2] / "models" / "hybrid_default"

    def fake(train: object, catalog: object, out: object, constraints: object, settings, *args: object,  # type: ignore[no-untyped-def]
             **kwargs: object):
        limits.append(settings.time_limit)
        return Hybrid.load(shipped), {}

    monkeypatch.setattr(history_module, "train_on_history", fake)
    for policies in ("static_ss", "static_ss,hybrid_trained"):
        result = CliRunner().invoke(main, ["backtest", "--history", str(history), "--catalog", str(catalog),
                                           "--cutoff", "2021-01", "--policies", policies, "--train-seconds", "inf"])
        assert result.exit_code == 0, result.output
    assert limits == [0.0]                                              # ES's "no time limit"


def test_a_misspelt_suite_option_points_to_the_one_meant() -> None:
    # the finding: "'carpart' is not one of 'hospital', 'carparts'.", the one meant left to the reader
    result = CliRunner().invoke(main, ["backtest", "--suite", "carpart"])
    assert result.exit_code == 2, result.output
    assert "'carpart' is not one of 'hospital', 'carparts' (did you mean 'carparts'?)." in result.output, result.output
    far = CliRunner().invoke(main, ["backtest", "--suite", "zzz"])
    assert far.exit_code == 2 and "'zzz' is not one of 'hospital', 'carparts'." in far.output, far.output
