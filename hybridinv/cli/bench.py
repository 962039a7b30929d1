"""``hybridinv bench``: run a benchmark suite and write results.csv, summary.md and report.html."""

from __future__ import annotations

import click

__all__ = ["command"]


def _names(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


@click.command("bench")
@click.option("--suite", "suite_name", type=click.Choice(["quick", "full", "network"]), default="quick",
              show_default=True, help="Which suite to run (network: multi-echelon scenarios, run inline).")
@click.option("--scenarios", default=None,
              help="Comma-separated scenarios to run (suite keys, registry names, scenario files *.toml, "
                   "or <name>_heldout_<kind>).")
@click.option("--policies", default=None, help="Comma-separated policy registry names (default: the suite's).")
@click.option("--seeds", type=click.IntRange(min=1), default=None, help="Number of seeds (default: the suite's).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="bench-out", show_default=True,
              help="Output directory.")
@click.option("--backend", type=click.Choice(["process", "ray"]), default="process", show_default=True,
              help="Worker processes on this machine, or a Ray cluster.")
@click.option("--address", default=None, help="Ray cluster address (default: start a local Ray instance).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Worker processes (or local Ray CPUs); 1 runs inline.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(
    suite_name: str,
    scenarios: str | None,
    policies: str | None,
    seeds: int | None,
    out_dir: str,
    backend: str,
    address: str | None,
    workers: int,
    quiet: bool,
) -> None:
    """Run each policy on each scenario on the same seeds and write a report to OUT."""
    from hybridinv.bench import get_suite, run_suite, spec_from_name, write_outputs
    from hybridinv.core.errors import PlanningError

    network = suite_name == "network"
    if network:
        from hybridinv.bench.network import NETWORK, run_network_suite

        suite = NETWORK
    else:
        suite = get_suite(suite_name)
    selected = _names(scenarios)
    specs = None
    if selected is not None:
        by_key = {spec.key: spec for spec in suite.scenarios}
        unknown = [name for name in selected if name not in by_key]
        if network and unknown:
            raise click.BadParameter(f"unknown network scenario {unknown[0]!r}; known: {sorted(by_key)}",
                                     param_hint="--scenarios")
        try:
            specs = tuple(by_key[name] if name in by_key else spec_from_name(name) for name in selected)
        except PlanningError as exc:
            raise click.BadParameter(str(exc), param_hint="--scenarios") from exc
    suite = suite.with_options(scenarios=specs, policies=_names(policies), seeds=seeds)
    if network:
        result = run_network_suite(suite)
    else:
        result = run_suite(suite, backend=backend, workers=workers, address=address, progress=not quiet)
    paths = write_outputs(result, out_dir)
    click.echo(f"{len(result.runs)} runs in {result.elapsed:.1f} s; wrote {', '.join(str(p) for p in paths.values())}")
    if result.missing:
        click.echo("missing policies: " + ", ".join(sorted(result.missing)))
    if result.failures:
        click.echo("failed runs: " + ", ".join(f"{policy} on {scenario}" for scenario, policy in result.failures))
