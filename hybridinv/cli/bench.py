"""``hybridinv bench``: run a benchmark suite and write results.csv, summary.md and report.html."""

from __future__ import annotations

import click

from hybridinv.cli._io import FolderPath, NearChoice, distinct_names, refuse_inputs_in_folder, writable_directory

__all__ = ["command"]


def _names(value: str | None, option: str, known: list[str]) -> tuple[str, ...] | None:
    """The comma-separated names of ``option`` (None when it is not given): at least one, each once."""
    if value is None:
        return None
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    if not names:
        raise click.BadParameter(f"no names in {value!r}; known: {', '.join(known)}", param_hint=option)
    distinct_names(names, option)
    return names


def _refuse_given(names: tuple[str, ...], why: str) -> None:
    """A usage error for the first of the options ``names`` given on the command line (not left at its default)."""
    source = click.get_current_context().get_parameter_source
    for name in names:
        if source(name) is not click.core.ParameterSource.DEFAULT:  # the network suite ignored them without a word
            raise click.BadParameter(why, param_hint="--" + name)


@click.command("bench")
@click.option("--suite", "suite_name", type=NearChoice(["quick", "full", "network"]), default="quick",
              show_default=True, help="Which suite to run (network: multi-echelon scenarios, run inline).")
@click.option("--scenarios", default=None,
              help="Comma-separated scenarios to run (suite keys, registry names, scenario files *.toml, "
                   "or <name>_heldout_<kind>).")
@click.option("--policies", default=None, help="Comma-separated policy registry names (default: the suite's).")
@click.option("--seeds", type=click.IntRange(min=1, max=1_000_000), default=None,  # core.limits.MAX_EPISODES
              help="Number of seeds (default: the suite's).")
@click.option("--out", "out_dir", type=FolderPath(), default="bench-out", show_default=True,
              help="Output directory.")
@click.option("--backend", type=NearChoice(["process", "ray"]), default="process", show_default=True,
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
    from hybridinv.bench.report import OUTPUT_FILES
    from hybridinv.cli._io import is_scenario_file
    from hybridinv.core.errors import PlanningError, near_names
    from hybridinv.policies import registry
    from hybridinv.scenarios import names as scenario_names

    if address is not None and backend != "ray":  # it was ignored without a word
        raise click.BadParameter("applies to --backend ray only", param_hint="--address")
    network = suite_name == "network"
    if network:
        _refuse_given(("backend", "workers"), "does not apply to --suite network (it runs inline)")
        from hybridinv.bench.network import NETWORK, run_network_suite
        from hybridinv.network.baselines import NETWORK_POLICIES

        suite = NETWORK
    else:
        suite = get_suite(suite_name)
    by_key = {spec.key: spec for spec in suite.scenarios}
    known_scenarios = sorted(by_key) if network else sorted({*by_key, *scenario_names()}) + ["a *.toml file"]
    selected = _names(scenarios, "--scenarios", known_scenarios)
    known_policies = sorted(NETWORK_POLICIES if network else registry.FACTORIES)
    chosen = _names(policies, "--policies", known_policies)
    unknown_policies = [name for name in chosen or () if name not in known_policies]
    if unknown_policies:
        hint = near_names(unknown_policies[0], known_policies)
        raise click.BadParameter(f"unknown policy {unknown_policies[0]!r}{hint}; known: {', '.join(known_policies)}",
                                 param_hint="--policies")
    specs = None
    if selected is not None:
        unknown = [name for name in selected if name not in by_key]
        if network and unknown:
            raise click.BadParameter(f"unknown network scenario {unknown[0]!r}{near_names(unknown[0], by_key)}; "
                                     f"known: {sorted(by_key)}", param_hint="--scenarios")
        built = []
        for name in selected:
            try:
                built.append(spec_from_name(name, by_key))
            except PlanningError as exc:
                if is_scenario_file(name):
                    raise  # a one-line data error, not a usage error
                raise click.BadParameter(str(exc), param_hint="--scenarios") from exc
        specs = tuple(built)
        keys = [spec.key for spec in specs]
        repeated = [(k, keys.index(key)) for k, key in enumerate(keys) if key in keys[:k]]
        if repeated:  # two spellings of one scenario (a file and its path, ...), or two files of one file name
            k, first = repeated[0]
            if specs[k] == specs[first]:
                raise click.BadParameter(f"{selected[k]!r} is scenario {keys[k]!r} again", param_hint="--scenarios")
            raise click.BadParameter(f"{selected[first]!r} and {selected[k]!r} are both named {keys[k]!r} in the "
                                     "results (a scenario file is named by its file name); rename one",
                                     param_hint="--scenarios")
    suite = suite.with_options(scenarios=specs, policies=chosen, seeds=seeds)
    # a scenario file's catalog named results.csv, with --out its folder, was replaced by the results (exit 0)
    refuse_inputs_in_folder(out_dir, OUTPUT_FILES, [str(path) for path in suite.input_files()])
    writable_directory(out_dir)  # before the suite runs, not after
    if network:
        result = run_network_suite(suite, progress=not quiet)
    else:
        result = run_suite(suite, backend=backend, workers=workers, address=address, progress=not quiet)
    paths = write_outputs(result, out_dir)
    click.echo(f"{len(result.runs)} runs in {result.elapsed:.1f} s; wrote {', '.join(str(p) for p in paths.values())}")
    if result.missing:
        click.echo("missing policies: " + ", ".join(sorted(result.missing)))
    if result.failures:
        click.echo("failed runs: " + ", ".join(f"{policy} on {scenario}" for scenario, policy in result.failures))
        # the outputs are written; the exit code tells a script (a suite where every run failed exited 0)
        raise click.ClickException(f"{len(result.failures)} scenario x policy cell(s) failed (listed above and in "
                                   f"summary.md; {len(result.runs)} runs succeeded)")
