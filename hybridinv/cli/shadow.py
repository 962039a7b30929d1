"""``hybridinv shadow``: replay a recommended policy against the incumbent on the twin."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import click

from hybridinv.cli._io import (
    FolderPath,
    NearChoice,
    extra_columns_option,
    read_csv,
    refuse_inputs_in_folder,
    writable_directory,
)
from hybridinv.cli.twin import fit_twin_from_files

__all__ = ["command"]


#: The files ``--out DIR`` receives, written as one set.
OUTPUTS: tuple[str, ...] = ("summary.csv", "disagreements.csv", "per_period.csv")


def _policy(name: str, scenario: Any, model: str | None, option: str = "policy") -> Any:
    """The policy ``name`` of the registry (or the hybrid model in ``model``); an error names ``option``, the
    option the name came from (``--incumbent bogus`` was reported as "policy 'bogus'")."""
    from hybridinv import PlanningError
    from hybridinv.policies.registry import make

    if model:
        from hybridinv.rl.hybrid import Hybrid

        return Hybrid.load(model)
    try:
        return make(name, scenario)
    except (PlanningError, TypeError) as exc:
        # the registry's error names its own argument, 'policy': the option is named instead
        detail = exc.message if isinstance(exc, PlanningError) and exc.column == "policy" else str(exc)
        raise click.ClickException(f"--{option} {name!r}: {detail}") from exc


@click.command(name="shadow")
@click.option("--sales", "sales_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Sales log CSV (fits the twin): date, sku, quantity [, on_hand, stockout].")
@click.option("--receipts", "receipts_path", type=click.Path(exists=True, dir_okay=False), help="Receipts CSV.")
@click.option("--catalog", "catalog_path", type=click.Path(exists=True, dir_okay=False),
              help="Catalog CSV (sku plus any catalog columns; costs default to h=1, p=9).")
@click.option("--decisions", "decisions_path", type=click.Path(exists=True, dir_okay=False),
              help="Logged human decisions CSV: period (0 = first replayed period), sku, order_qty. "
                   "The realized demand of the last periods of the sales log is replayed.")
@click.option("--window", type=click.IntRange(min=1), default=None,
              help="Periods the --decisions cover (needs --decisions): the last WINDOW periods of the sales log "
                   "are replayed (default: the last logged period + 1; give it when the log leaves out trailing "
                   "periods without orders).")
@click.option("--state", "state_path", type=click.Path(exists=True, dir_okay=False),
              help="Stock at the start of the replay (sku, on_hand [, backorders, pipeline_<k>]: the state CSV of "
                   "hybridinv plan); "
                   "both sides start from it. Default: the twin's stock, the demand mean over the lead time + 1.")
@click.option("--policy", default="hybrid", show_default=True,
              help="Recommended policy (registry name; the default is plan()'s, the hybrid).")
@click.option("--model", type=click.Path(exists=True), help="Hybrid model directory (overrides --policy).")
@click.option("--incumbent", default="ss", show_default=True,
              help="Incumbent policy name (used when no --decisions are given).")
@click.option("--period", type=NearChoice(["day", "week", "month"]), default="week", show_default=True)
@click.option("--periods", type=click.IntRange(min=1), default=52, show_default=True,
              help="Periods to replay (without --decisions).")
@click.option("--replications", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--block", type=click.IntRange(min=1), default=4, show_default=True,
              help="Block length (periods) of the moving-block bootstrap of the confidence intervals; with fewer "
                   "than two blocks of measured periods there is no interval.")
@click.option("--confidence", type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Level of the confidence intervals.")
@click.option("--resamples", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Bootstrap resamples (at least 5 beyond each end of the interval: 200 for 95%, 1,000 for 99%).")
@extra_columns_option
@click.option("--out", "out_dir", type=FolderPath(),
              help="Output folder for summary.csv, disagreements.csv and per_period.csv (written as one set).")
def command(
    sales_path: str,
    receipts_path: str | None,
    catalog_path: str | None,
    decisions_path: str | None,
    state_path: str | None,
    policy: str,
    model: str | None,
    incumbent: str,
    period: str,
    window: int | None,
    periods: int,
    replications: int,
    seed: int,
    block: int,
    confidence: float,
    resamples: int,
    extra_columns: str,
    out_dir: str | None,
) -> None:
    """Counterfactual KPI difference (recommended - incumbent) with bootstrap confidence intervals."""
    from hybridinv.core.errors import PlanningError
    from hybridinv.core.outputs import replace_files, write_csv
    from hybridinv.deploy import LoggedOrders, shadow_replay
    from hybridinv.twin import DigitalTwin

    if window is not None and not decisions_path:  # it was silently ignored (--periods sets the horizon without)
        raise click.UsageError("--window needs --decisions (it is the number of periods the logged decisions "
                               "cover; without them --periods sets the replay)")
    if out_dir:
        # --decisions DIR/summary.csv --out DIR replaced the decisions with the summary without a word
        refuse_inputs_in_folder(out_dir, OUTPUTS, [sales_path, receipts_path, catalog_path, decisions_path,
                                                   state_path])
        writable_directory(out_dir)  # before the replay, not after it printed its results
    given = click.get_current_context().get_parameter_source("periods")
    if decisions_path and given is not None and given != click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--periods does not apply with --decisions (the replay covers the periods the "
                               "logged decisions cover; set --window if the log leaves out later ones)")
    twin = fit_twin_from_files(sales_path, receipts_path, period, "impute", extra_columns)
    catalog = read_csv(catalog_path, comment="#") if catalog_path else None
    demand = None
    if decisions_path:
        decisions = read_csv(decisions_path, comment="#")
        matrix = twin.matrix_
        # checks the file, its columns as --extra-columns says (a misspelt 'commnet' was read without a word)
        logged = LoggedOrders.from_frame(decisions, matrix.sku, extra_columns=extra_columns).orders.shape[0]
        if window is not None and window < logged:
            raise click.BadParameter(f"the decisions log period {logged - 1}, outside a window of {window} periods",
                                     param_hint="--window")
        horizon = logged if window is None else window
        if horizon >= matrix.demand.shape[0] - 8:
            raise click.ClickException("the decisions cover too much of the sales log to fit the twin on the rest")
        history = type(matrix)(matrix.sku, matrix.periods[:-horizon], matrix.demand[:-horizon],
                               matrix.censored[:-horizon], matrix.has_stock_info)
        supply = twin.supply_fit_
        twin = DigitalTwin(period=period).fit_matrix(history)
        twin.supply_fit_ = supply
        demand = matrix.demand[-horizon:]
        _warn_censored(matrix.censored[-horizon:], matrix.sku, matrix.periods[-horizon:])
        scenario = twin.scenario(catalog, periods=horizon, extra_columns=extra_columns)  # type: ignore[arg-type]
        baseline: Any = LoggedOrders.from_frame(decisions, scenario.catalog.sku, periods=horizon)
        periods = horizon
        hint = "" if window is not None else "; set --window if the log leaves out later ones"
        click.echo(f"decision period 0 is {matrix.periods[-horizon]}, the last replayed one {matrix.periods[-1]} "
                   f"({horizon} periods{hint})")
    else:
        scenario = twin.scenario(catalog, periods=periods, extra_columns=extra_columns)  # type: ignore[arg-type]
        baseline = _policy(incumbent, scenario, None, "incumbent")
    if state_path:  # the stock the logged decisions were made for (the twin's default stock judged them elsewhere)
        from hybridinv.core.state import InventoryState

        state = InventoryState.from_frame(read_csv(state_path, comment="#"), scenario.catalog,
                                          extra_columns=extra_columns)  # type: ignore[arg-type]
        scenario = scenario.replace(initial_state=state.aligned(scenario.catalog))
    recommended = _policy(policy, scenario, model)
    incumbent_name = "the logged decisions" if decisions_path else getattr(baseline, "name", incumbent)
    click.echo(f"recommended: {model or getattr(recommended, 'name', policy)}; incumbent: {incumbent_name}")
    try:
        result = shadow_replay(scenario, recommended, baseline, demand=demand, periods=periods,
                               replications=replications, seed=seed, confidence=confidence, resamples=resamples,
                               block=block)
    except PlanningError as exc:  # too few resamples for the confidence: named as the option
        if exc.column not in ("resamples", "confidence", "block"):
            raise
        raise click.BadParameter(exc.message, param_hint=f"--{exc.column}") from None
    import pandas as pd

    with pd.option_context("display.width", 120, "display.float_format", "{:.3f}".format):
        click.echo(result.summary.to_string(index=False))
        click.echo("\nSKUs where the policies disagree most:")
        click.echo(result.disagreements.head(10).to_string(index=False))
    click.echo("\n" + result.verdict())
    click.echo(result.verdict("valued_cost") + " (stock left at the end valued at unit cost)")
    if out_dir:
        out = Path(out_dir)
        frames = dict(zip(OUTPUTS, (result.summary, result.disagreements, result.per_period), strict=True))
        # one set: a failure while writing the second file left a new summary beside the last run's other files
        replace_files({out / name: functools.partial(write_csv, frame) for name, frame in frames.items()},
                      column="out")
        click.echo(f"wrote {out}/{', '.join(OUTPUTS)}")


def _warn_censored(censored: Any, skus: Any, periods: Any) -> None:
    """Warn when the replayed window has stock-out periods: their sales are replayed as the demand.

    Sales in a stock-out are a lower bound on the demand, so the replay understates the shortages of the
    logged decisions there (the incumbent served all of that "demand" in the log) and the difference leans
    towards the incumbent. The twin's fit imputes such periods; the replay cannot know the demand a
    stock-out hid, so it says how many there are (until 2026-12-06 it said nothing).
    """
    import warnings

    import numpy as np

    from hybridinv.core.errors import PlanningWarning

    flags = np.asarray(censored, dtype=bool)
    if not flags.any():
        return
    t, i = (int(v[0]) for v in np.nonzero(flags))
    warnings.warn(PlanningWarning(
        f"{int(flags.sum())} of the {flags.size} replayed SKU-periods were stock-outs (first: SKU {skus[i]!r} in "
        f"{periods[t]}): their sales are replayed as the demand, a lower bound, so the logged decisions' shortages "
        "there are understated and the difference leans towards them"), stacklevel=2)
