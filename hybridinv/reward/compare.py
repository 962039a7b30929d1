"""Several policies tuned to the same KPI targets, with their Pareto fronts side by side.

``hybridinv tune --policy hybrid --policy base_stock ...`` runs :func:`~hybridinv.reward.tune.tune`
once per policy on the same seeds (common random numbers), writes each policy's usual outputs
to ``OUT/<policy>/`` and adds ``OUT/pareto.png`` (every policy's trials and Pareto front of
the objective against the first target's KPI) and ``OUT/comparison.csv`` (one row per policy:
the chosen weights and the held-out report of each target).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybridinv.core.errors import PlanningError
from hybridinv.core.outputs import (
    check_output_directory,
    output_directory,
    refuse_replacing_inputs,
    replace_files,
    write_csv,
)
from hybridinv.reward.targets import KPITarget, parse_targets
from hybridinv.reward.tune import TuneResult, _execute, _prepare, scenario_inputs, tune

__all__ = ["OUTPUT_FILES", "compare_policies"]

#: The files of the comparison in the output folder (each policy's own are in ``<policy>/``).
OUTPUT_FILES: tuple[str, ...] = ("comparison.csv", "pareto.png")


def compare_policies(
    scenario: Any,
    targets: Iterable[str | KPITarget],
    policies: Sequence[str],
    out: str | Path,
    **options: Any,
) -> dict[str, TuneResult]:
    """Tune each of ``policies`` to ``targets`` (same seeds and options) and compare their fronts.

    Parameters
    ----------
    scenario, targets
        As in :func:`~hybridinv.reward.tune.tune`.
    policies : sequence of str
        At least two distinct policy names (``"hybrid"``, ``"base_stock"``, any registered
        policy taking ``service_level``); one name alone is one policy, and refused.
    out : path
        Output directory (see the module notes).
    **options
        Passed to every :func:`tune` call (``trials``, ``seeds``, ``spec``, ...).

    Returns
    -------
    dict
        The :class:`TuneResult` of each policy.
    """
    # one name is one policy ("base_stock" was read letter by letter: policies 'b', 'a', 's', ...)
    listed = [policies] if isinstance(policies, str) else policies
    if not isinstance(listed, Iterable) or not all(isinstance(name, str) for name in listed):
        raise PlanningError("must be policy names (a list of text)", column="policy", value=policies)
    names = list(dict.fromkeys(listed))
    if len(names) < 2:
        raise PlanningError("compare at least two distinct policies", column="policy", value=names)
    parsed = parse_targets(targets)
    # every policy's options and the folders checked before the first trial (a policy that takes no service level
    # failed after the policies before it were tuned and written; out="" wrote into the working folder)
    root = check_output_directory(out)
    refuse_replacing_inputs(root, OUTPUT_FILES, scenario_inputs(scenario))  # each policy's: by tune's check
    runs = {name: _prepare(**_arguments(scenario, parsed, policy=name, out=root / name, **options)) for name in names}
    results = {name: _execute(run) for name, run in runs.items()}
    rows = []
    for name, result in results.items():
        row: dict[str, Any] = {"policy": name, **result.params, "feasible_on_training_seeds": result.feasible,
                               "held_out_" + result.objective: result.held_out.get(result.objective, np.nan)}
        for item in result.report.itertuples():
            row[f"{item.target} mean"] = item.mean
            row[f"{item.target} ci"] = f"[{item.ci_low:.4g}, {item.ci_high:.4g}]"
            row[f"{item.target} met"] = bool(item.met)
            row[f"{item.target} confident"] = bool(item.confident)  # the whole CI meets it
        rows.append(row)
    root = output_directory(root)
    comparison = pd.DataFrame(rows)
    replace_files({  # one set, each whole, as tune's own outputs
        root / OUTPUT_FILES[0]: lambda path: write_csv(comparison, path),  # policy names escaped as in every CSV
        root / OUTPUT_FILES[1]: lambda path: _plot(path, results, parsed),
    })
    return results


def _arguments(*args: Any, **options: Any) -> dict[str, Any]:
    """The arguments of a :func:`tune` call, defaults included (an unknown option is a TypeError, as in ``tune``)."""
    bound = inspect.signature(tune).bind(*args, **options)
    bound.apply_defaults()
    return dict(bound.arguments)


def _plot(path: Path, results: dict[str, TuneResult], targets: list[KPITarget]) -> None:
    from hybridinv.reward.plots import draw_front, figure, front_target, trial_points

    target = front_target(targets)
    ylabel = next(iter(results.values())).objective
    with figure(path, (6.5, 4.2), target, f"{target.kpi} (training seeds)", ylabel,
                "Pareto fronts of the tuned policies") as ax:
        for k, (name, result) in enumerate(results.items()):
            x, y = trial_points(result.trials, target)
            ax.scatter(x, y, s=14, c=f"C{k}", alpha=0.35)
            draw_front(ax, x, y, target, y_larger_better=result.direction == "maximize", c=f"C{k}", marker="o",
                       label=f"{name} (front)")
