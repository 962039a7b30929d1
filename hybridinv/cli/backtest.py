"""``hybridinv backtest``: rolling-origin backtest of policies on a demand history or a built-in suite."""

from __future__ import annotations

import math
from pathlib import Path

import click

from hybridinv.cli._io import (
    CUTOFF_READINGS,
    FolderPath,
    NearChoice,
    creatable_directory,
    distinct_names,
    positive_limit,
)

__all__ = ["command"]


def _models(values: tuple[str, ...]) -> dict[str, str]:
    models = {}
    for value in values:
        name, sep, directory = value.partition("=")
        if not sep or not name or not directory:
            raise click.BadParameter(f"expected NAME=DIR, got {value!r}", param_hint="--model")
        if name in models:
            raise click.BadParameter(f"the name {name!r} is given twice", param_hint="--model")
        models[name] = directory
    return models


def _stale_models(out: str, ran: list[str]) -> list[Path]:
    """``<out>/models/<name>`` of each trained policy this run did not train, when it is a model folder (removed with
    the reports of the run).

    A rerun into an earlier output folder left ``models/hybrid_trained`` of the earlier run beside reports that
    do not mention it. Only folders this command writes are touched: a trained policy's name, holding
    ``metadata.json`` and model files only (anything else in it, or a link, is left alone).
    """
    from hybridinv.backtest.engine import TRAINED_POLICIES
    from hybridinv.rl.integrity import METADATA_FILE, ModelFileError, check_model_target

    stale = []
    for name in TRAINED_POLICIES:
        folder = Path(out) / "models" / name
        if name in ran or folder.is_symlink() or not (folder / METADATA_FILE).is_file():
            continue
        try:
            check_model_target(folder)  # a model folder: metadata.json and model files, nothing else
        except ModelFileError:
            continue
        stale.append(folder)
    return stale


def _season(ctx: click.Context, param: click.Parameter, value: str) -> int | str | None:
    """``--season`` read as it is given (:func:`~hybridinv.cli._io.season_from_text`), a usage error otherwise."""
    from hybridinv.cli._io import season_from_text
    from hybridinv.core.errors import PlanningError

    try:
        return season_from_text(value)
    except PlanningError as exc:
        raise click.BadParameter(f"{exc.message}, got {value!r}") from None


def _seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """``--train-seconds``: a number of seconds >= 0; 0 and inf are no time limit (``HistoryTraining.time_limit=0``:
    ES runs until its generation limit; inf was refused there, after the history had been read, as not finite)."""
    if not value >= 0.0:  # NaN too
        raise click.BadParameter(f"must be a number of seconds >= 0, got {value:g}")
    return 0.0 if math.isinf(value) else value


def _policies(policies: str | None) -> tuple[str, ...]:
    """``--policies`` as names of :data:`~hybridinv.backtest.engine.POLICIES` (default: the default policies)."""
    from hybridinv.backtest.engine import DEFAULT_POLICIES, POLICIES
    from hybridinv.core.errors import near_names

    if policies is not None and not policies.strip(", "):  # "" ran every default policy, 240 s of training included
        raise click.BadParameter("no policy named; leave the option out for the default policies",
                                 param_hint="--policies")
    chosen = tuple(p.strip() for p in policies.split(",") if p.strip()) if policies else DEFAULT_POLICIES
    unknown = [name for name in chosen if name not in POLICIES]
    if unknown:  # was exit 1, after the history and the catalog were read
        raise click.BadParameter(f"unknown policy {unknown[0]!r}{near_names(unknown[0], POLICIES)}; known: "
                                 f"{', '.join(sorted(POLICIES))}", param_hint="--policies")
    distinct_names(chosen, "--policies")
    return chosen


def _check_sources(suite: str | None, history: str | None, catalog: str | None, cutoff: str | None,
                   n_series: int | None, extra_columns: str) -> None:
    """The options of a suite run and of a history run, as usage errors before any file is read."""
    if (suite is None) == (history is None):
        raise click.UsageError("give either --suite or --history (with --catalog and --cutoff)")
    if suite is not None:
        # a suite draws its own catalog: a --catalog given with it was ignored, the costs its user meant unused
        ignored = [name for name, unused in (("--catalog", catalog is not None),
                                             ("--extra-columns", extra_columns != "error")) if unused]
        if ignored:
            raise click.BadParameter("applies to --history only (a suite draws its own catalog, docs/backtest.md)",
                                     param_hint=ignored[0])
        return
    missing = [name for name, value in (("--catalog", catalog), ("--cutoff", cutoff)) if value is None]
    if missing:
        raise click.UsageError(f"--history needs --catalog and --cutoff (missing {' and '.join(missing)})")
    if n_series is not None:  # was ignored: the whole history ran
        raise click.BadParameter("applies to a --suite only", param_hint="--n-series")


@click.command("backtest")
@click.option("--suite", type=NearChoice(["hospital", "carparts"]), default=None,
              help="A built-in real-data suite (reads $HYBRIDINV_DATA, else ../shared/data beside a source checkout).")
@click.option("--history", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Demand history CSV: long (sku, period, quantity) or wide (sku + one column per period).")
@click.option("--catalog", type=click.Path(exists=True, dir_okay=False), default=None, help="Catalog CSV.")
@click.option("--cutoff", default=None, help=f"The first test period: {CUTOFF_READINGS}.")
@click.option("--capacity", type=float, default=None, callback=positive_limit,
              help="Warehouse capacity, > 0 or inf (default: derived from training).")
@click.option("--budget", type=float, default=None, callback=positive_limit,
              help="Budget per period, > 0 or inf (default: derived from training).")
@click.option("--policies", default=None,
              help="Comma-separated policies (default: all of DEFAULT_POLICIES; also forecast_capped_base_stock, "
                   "capped_base, capped_trained (the capped hybrid trained on the window) and hybrid_validated "
                   "(the shipped hybrid behind plan's validation gate every period)).")
@click.option("--model", "models", multiple=True, help="Extra hybrid model to compare, NAME=DIR (repeatable).")
@click.option("--horizon", type=click.IntRange(min=1), default=None,
              help="Test periods (default: all after the cutoff).")
@click.option("--season", default="auto", show_default=True, callback=_season,
              help="Seasonal cycle of the forecaster in periods (0: none; auto: a year of the history's periods, "
                   "12 for months and numbered periods, 52 for weeks, 4 for quarters, 7 for days).")
@click.option("--backorders", is_flag=True, help="Unmet demand is backordered (default: lost).")
@click.option("--n-series", type=click.IntRange(min=1), default=None,
              help="Suite: only the first N series (a quick run).")
@click.option("--train-seconds", type=float, default=240.0, show_default=True, callback=_seconds,
              help="Time for training each trained hybrid (hybrid_trained, capped_trained) on the training window; "
                   "0 or inf: no time limit (ES runs its 400 generations, far longer on a large history).")
@click.option("--train-episodes", type=NearChoice(["bootstrap", "replay"]), default="bootstrap", show_default=True,
              help="What that training's ES runs on: new demand paths drawn from the training periods under varied "
                   "limits (bootstrap) or the training periods themselves under the backtest's limits (replay).")
@click.option("--train-gate", type=NearChoice(["interval", "total"]), default="interval", show_default=True,
              help="When that training keeps its weights over the base on its held-out periods: the 95% intervals "
                   "over SKUs and over periods of their cost less the base's below zero (interval) or a lower cost "
                   "by any amount (total).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Processes for that training.")
@click.option("--extra-columns", default="error", show_default=True,
              help="'error', 'ignore' or a comma-separated list of catalog columns to allow.")
@click.option("--out", type=FolderPath(), default=None,
              help="Directory for results.csv, periods.csv, summary.md, report.html and the trained model.")
def command(
    suite: str | None,
    history: str | None,
    catalog: str | None,
    cutoff: str | None,
    capacity: float | None,
    budget: float | None,
    policies: str | None,
    models: tuple[str, ...],
    horizon: int | None,
    season: int | str | None,
    backorders: bool,
    n_series: int | None,
    train_seconds: float,
    train_episodes: str,
    train_gate: str,
    workers: int,
    extra_columns: str,
    out: str | None,
) -> None:
    """Backtest policies with a rolling origin: fit on the periods before the cutoff, replay the rest.

    At every test period each policy sees only the past (forecasts are rolled forward
    every period); all policies share the capacity and budget and pass the repair layer.
    Prints the summary (cost, fill rate, paired 95% intervals over SKUs and periods).
    """
    import secrets
    import shutil

    from hybridinv.backtest import backtest
    from hybridinv.backtest.engine import POLICIES, TRAINED_POLICIES, check_model_targets
    from hybridinv.backtest.history import read_history
    from hybridinv.backtest.suites import load_suite, warn_if_shipped_default_saw
    from hybridinv.cli._io import cutoff_from_text, read_csv
    from hybridinv.cli.train import given_limits
    from hybridinv.core.catalog import Catalog
    from hybridinv.rl.history import HistoryTraining

    # usage errors (exit 2), as docs/backtest.md says, and before a suite or history is read
    chosen = _policies(policies)
    extra = _models(models)
    # any built-in policy's name, run or not, as backtest() refuses it: a model called 'mpc' in a run without MPC
    # exited 1 as a data error once the history had been read
    clash = sorted(set(extra) & set(POLICIES))
    if clash:
        raise click.BadParameter(f"the name {clash[0]!r} is a built-in policy's (run or not, the summary would rank "
                                 "a model of that name as that policy); name it otherwise", param_hint="--model")
    _check_sources(suite, history, catalog, cutoff, n_series, extra_columns)
    if out is not None:  # before anything is read or trained: --out afile/sub failed after every policy had run
        creatable_directory(out, "--out")
        creatable_directory(Path(out) / "models", "--out")  # the trained hybrids are saved in <out>/models
        check_model_targets(Path(out) / "models", chosen)
    if suite is not None:
        demand, cat, spec = load_suite(suite, n_series=n_series)
        split: int | str = spec.cutoff if cutoff is None else cutoff_from_text(cutoff, demand)
        training_months = demand.cutoff_index(split)
        if training_months != spec.cutoff:  # series qualify on the training months only, not on months tested
            demand, cat, spec = load_suite(suite, n_series=n_series, cutoff=training_months)
        caveats = warn_if_shipped_default_saw(suite, training_months, chosen)
        name = suite
    else:
        caveats = {}
        assert history is not None and catalog is not None and cutoff is not None  # _check_sources
        allowed = extra_columns if extra_columns in ("error", "ignore") else extra_columns.split(",")
        cat = Catalog.from_frame(read_csv(catalog), extra_columns=allowed)  # type: ignore[arg-type]
        demand = read_history(read_csv(history))  # read here: a whole-number cutoff is read against its labels
        split, name = cutoff_from_text(cutoff, demand), Path(history).stem  # the report's title names the file
    limits = given_limits(capacity, budget) or "derive"  # the one not given keeps the value derived from training
    # the trained hybrids go to a staging folder and into <out>/models with the reports: an interrupted run saved each
    # when its training ended, beside the reports (and the other model) of an earlier run
    staging = None if out is None else Path(out) / "models" / f".backtest-{secrets.token_hex(8)}"
    try:
        result = backtest(
            demand, cat, split, limits, chosen, horizon=horizon, season=season, lost_sales=not backorders,
            training=HistoryTraining(time_limit=train_seconds, workers=workers, episodes=train_episodes,
                                     gate=train_gate),
            models=extra,
            model_dir=staging, name=name, progress=True,
        )
        result.caveats.update(caveats)  # in summary.md and report.html beside the rows, not on stderr only
        click.echo(result.summary_markdown())
        if out is not None and staging is not None:
            stale = _stale_models(out, result.policies)
            trained = [Path(out) / "models" / name for name in chosen if name in TRAINED_POLICIES]
            folders: dict[str | Path, str | Path | None] = {folder: staging / folder.name for folder in trained}
            paths = result.write(out, folders={**folders, **dict.fromkeys(stale)})
            click.echo("wrote " + ", ".join(str(p) for p in [*paths.values(), *trained]))
            for folder in stale:
                click.echo(f"removed {folder}: a model an earlier run trained (this run trained no {folder.name})")
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
