"""``hybridinv tune``: search reward weights for KPI targets with Optuna."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from hybridinv.cli._io import FolderPath, NearChoice

__all__ = ["command"]


@click.command(name="tune")
@click.option("--scenario", required=True,
              help="Registered scenario name (hybridinv.scenarios.names()) or a scenario file (*.toml).")
@click.option("--target", "targets", multiple=True, required=True,
              help='KPI target such as "fill_rate>=0.95" (repeatable).')
@click.option("--minimize", default="cost", show_default=True,
              help='KPI to optimize: "cost", any KPI name, or "-kpi" to maximize.')
@click.option("--policy", "policies", multiple=True, default=("base_stock",), show_default=True,
              help="Policy driven by a service level: base_stock, hybrid (the shipped adaptive hybrid, its "
                   "safety fractile set by the tuned weights), or another registered one. Repeat it to compare "
                   "policies: each is tuned on the same seeds into OUT/<policy>/, with OUT/pareto.png showing "
                   "their fronts and OUT/comparison.csv their held-out reports.")
@click.option("--trials", default=20, show_default=True, type=click.IntRange(min=1), help="Optuna trials.")
@click.option("--seeds", default=5, show_default=True, type=click.IntRange(min=1),
              help="Training seeds (common random numbers).")
@click.option("--eval-seeds", default=None, type=click.IntRange(min=1),
              help="Held-out seeds for the final report (default: as many as --seeds).")
@click.option("--periods", default=None, type=click.IntRange(min=2), help="Shorter horizon for speed.")
@click.option("--backend", type=NearChoice(["process", "ray"]), default="process", show_default=True)
@click.option("--address", default=None,
              help="Ray cluster address, with --backend ray (default: the cluster of RAY_ADDRESS when it is set, "
                   "else a local Ray instance with --jobs CPUs).")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(min=1),
              help="Candidates evaluated in parallel. Optuna proposes them in batches of this size before "
                   "scoring any, so --seed with another --jobs gives other trials (the same --jobs, the same).")
@click.option("--spec", "spec_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Base reward spec (TOML or JSON), e.g. with a [carbon] table.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0, max=2**32 - 1),  # core.limits.MAX_SEED
              help="Seed of the TPE sampler.")
@click.option("--no-repair", is_flag=True, help="Skip the repair layer (raw policy orders).")
@click.option("--out", required=True, type=FolderPath(path_type=Path), help="Output directory.")
def command(
    scenario: str,
    targets: tuple[str, ...],
    minimize: str,
    policies: tuple[str, ...],
    trials: int,
    seeds: int,
    eval_seeds: int | None,
    periods: int | None,
    backend: str,
    address: str | None,
    jobs: int,
    spec_path: Path | None,
    seed: int,
    no_repair: bool,
    out: Path,
) -> None:
    """Tune reward weights so a policy (classical or the hybrid) meets KPI targets at least cost.

    Writes OUT/spec.toml (the chosen reward spec), OUT/trials.csv, OUT/pareto.png
    and OUT/summary.json (held-out check of each target with 95% CIs); with several
    --policy options one such folder per policy plus OUT/pareto.png and OUT/comparison.csv.
    """
    from hybridinv import scenarios
    from hybridinv.cli._io import distinct_names, is_scenario_file
    from hybridinv.core.errors import PlanningError
    from hybridinv.reward.spec import RewardSpec
    from hybridinv.reward.tune import tune

    if address is not None and backend != "ray":  # as bench: it would be ignored without a word
        raise click.BadParameter("applies to --backend ray only", param_hint="--address")
    distinct_names(policies, "--policy")  # each was tuned into the same OUT/<policy> folder
    # a scenario file's contents and the spec file are data: their problems are one-line errors (exit 1, the
    # group's handler), not usage errors with the usage banner (exit 2) as an unknown name and the options' values
    if is_scenario_file(scenario):
        scenarios.get(scenario)
    spec = None
    if spec_path is not None:
        spec = RewardSpec.from_file(spec_path)
    _refuse_inputs_in_out(out, policies, scenario, spec_path)
    # OUT is checked by tune/compare_policies after every other option and policy, creating nothing, and made when
    # the results are written (it was made here, so every refused run left e.g. new/deep/folder behind)
    try:
        options: dict[str, Any] = {
            "minimize": minimize, "spec": spec, "trials": trials, "seeds": seeds, "eval_seeds": eval_seeds,
            "periods": periods, "backend": backend, "address": address, "jobs": jobs, "seed": seed,
            "repair": None if no_repair else "auto",
        }
        if len(set(policies)) > 1:
            from hybridinv.reward.compare import compare_policies

            results = compare_policies(scenario, list(targets), policies, out, **options)
        else:
            results = {policies[0]: tune(scenario, list(targets), policy=policies[0], out=out, **options)}
    except PlanningError as exc:
        if exc.column == "out":  # worded as every command's unwritable --out
            reason = exc.message.removeprefix("cannot be the output folder: ")
            raise click.BadParameter(f"cannot write to {str(exc.value)!r}: {reason}", param_hint="--out") from None
        raise click.UsageError(str(exc)) from exc
    for name, result in results.items():
        if len(results) > 1:
            click.echo(f"{name}:")
        _report(result)
    if len(results) > 1:
        click.echo(f"  pareto: {out / 'pareto.png'}")
        click.echo(f"  comparison: {out / 'comparison.csv'}")


def _refuse_inputs_in_out(out: Path, policies: tuple[str, ...], scenario: str, spec_path: Path | None) -> None:
    """A usage error when a file written into OUT is one the run reads: the scenario file or a CSV it names, or the
    --spec file (``--scenario inp/spec.toml --out inp`` replaced the scenario with the chosen reward spec)."""
    from hybridinv.cli._io import refuse_inputs_in_folder
    from hybridinv.reward.compare import OUTPUT_FILES as COMPARISON_FILES
    from hybridinv.reward.tune import OUTPUT_FILES, scenario_inputs

    names = OUTPUT_FILES if len(set(policies)) == 1 else \
        (*COMPARISON_FILES, *(f"{policy}/{name}" for policy in policies for name in OUTPUT_FILES))
    inputs = [str(path) for path in scenario_inputs(scenario)] + ([str(spec_path)] if spec_path else [])
    refuse_inputs_in_folder(str(out), names, inputs)


def _report(result: object) -> None:
    from hybridinv.reward.tune import TuneResult

    assert isinstance(result, TuneResult)
    click.echo(f"chosen {chosen_weights(result)} ({'meets' if result.feasible else 'MISSES'} the targets on "
               "training seeds)")
    for row in result.report.itertuples():
        click.echo(held_out_line(row))
    click.echo(violation_line(result.held_out))
    for name, path in result.paths.items():
        click.echo(f"  {name}: {path}")


def held_out_line(row: Any) -> str:
    """One target's held-out verdict (a row of :func:`~hybridinv.reward.target_report`).

    "met" is the held-out mean; the line says whether the whole interval is on the right side too (a CI straddling
    the level printed "met" alone). An interval of zero width (every held-out seed gave the same value) measures no
    spread, so it is not "the whole CI" — said in words, where "[95% CI 1, 1] met by the mean, not by the whole CI"
    contradicted itself — and a KPI no held-out seed measured is said to be so, not printed as "nan [95% CI nan, nan]".
    """
    if math.isnan(row.mean):
        return f"  {row.target}: not measured on any held-out seed (NaN), NOT met"
    if math.isfinite(row.ci_low) and row.ci_low == row.ci_high:
        interval = "every held-out seed gave this value, so no spread is measured"
        verdict = "met by the mean (not confident without a spread)" if row.met else "NOT met"
    else:
        interval = f"95% CI {row.ci_low:.4g}, {row.ci_high:.4g}"
        verdict = ("met (the whole CI)" if row.confident else "met by the mean, not by the whole CI") if row.met \
            else "NOT met"
    return f"  {row.target}: held-out {row.mean:.4g} [{interval}] {verdict}"


def chosen_weights(result: object) -> str:
    """The chosen spec's weights: the shortage weight as written to spec.toml, with the multiplier of the base
    spec's that the trials searched (it was printed alone, as "shortage_weight 5.547", beside a spec.toml holding
    16.64 for a base weight of 3), and the carbon price."""
    from hybridinv.reward.tune import TuneResult

    assert isinstance(result, TuneResult)
    multiplier = result.params["shortage_weight"]
    base = result.spec.shortage / multiplier
    parts = [f"shortage weight {result.spec.shortage:.4g} ({multiplier:.4g} x the base spec's {base:.4g})"]
    if "carbon_price" in result.params:
        parts.append(f"carbon price {result.params['carbon_price']:.4g}")
    return ", ".join(parts)


def violation_line(held_out: dict[str, float]) -> str:
    """One line on the hard-rule violations of the held-out runs (the per-period detail stays in the ledgers)."""
    if "violations" not in held_out:
        return "  violations: not measured"
    parts = ", ".join(f"{kind} {held_out.get(f'{kind}_violations', 0.0):g}" for kind in ("budget", "capacity", "rule"))
    periods = held_out.get("periods", float("nan"))
    return f"  violations: {held_out['violations']:g} of {periods:g} periods per held-out run ({parts})"
