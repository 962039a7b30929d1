"""Several policies tuned to the same KPI targets, with their Pareto fronts side by side.

``hybridinv tune --policy hybrid --policy base_stock ...`` runs :func:`~hybridinv.reward.tune.tune`
once per policy on the same seeds (common random numbers), writes each policy's usual outputs
to ``OUT/<policy>/`` and adds ``OUT/pareto.png`` (every policy's trials and Pareto front of
the objective against the first target's KPI) and ``OUT/comparison.csv`` (one row per policy:
the chosen weights and the held-out report of each target).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybridinv.core.errors import PlanningError
from hybridinv.reward.targets import KPITarget, parse_targets
from hybridinv.reward.tune import TuneResult, pareto_front, tune

__all__ = ["compare_policies"]


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
        policy taking ``service_level``).
    out : path
        Output directory (see the module notes).
    **options
        Passed to every :func:`tune` call (``trials``, ``seeds``, ``spec``, ...).

    Returns
    -------
    dict
        The :class:`TuneResult` of each policy.
    """
    names = list(dict.fromkeys(policies))
    if len(names) < 2:
        raise PlanningError("compare at least two distinct policies", column="policy", value=list(policies))
    parsed = parse_targets(targets)
    root = Path(out)
    results = {name: tune(scenario, parsed, policy=name, out=root / name, **options) for name in names}
    rows = []
    for name, result in results.items():
        row: dict[str, Any] = {"policy": name, **result.params, "feasible_on_training_seeds": result.feasible,
                               "held_out_" + result.objective: result.held_out.get(result.objective, np.nan)}
        for item in result.report.itertuples():
            row[f"{item.target} mean"] = item.mean
            row[f"{item.target} ci"] = f"[{item.ci_low:.4g}, {item.ci_high:.4g}]"
            row[f"{item.target} met"] = bool(item.met)
        rows.append(row)
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(root / "comparison.csv", index=False)
    _plot(root / "pareto.png", results, parsed)
    return results


def _plot(path: Path, results: dict[str, TuneResult], targets: list[KPITarget]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = targets[0] if targets else KPITarget("fill_rate", ">=", 0.0)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for k, (name, result) in enumerate(results.items()):
        colour = f"C{k}"
        x = result.trials[target.kpi].to_numpy(dtype=np.float64)
        y = result.trials["objective"].to_numpy(dtype=np.float64)
        ax.scatter(x, y, s=14, c=colour, alpha=0.35)
        front = pareto_front(x, y, x_larger_better=target.op == ">=")
        order = np.argsort(x[front])
        ax.plot(x[front][order], y[front][order], c=colour, marker="o", drawstyle="steps-pre", label=f"{name} (front)")
    ax.axvline(target.level, ls="--", c="k", lw=0.8, label=str(target))
    ax.set_xlabel(f"{target.kpi} (training seeds)")
    ax.set_ylabel(next(iter(results.values())).objective)
    ax.set_title("Pareto fronts of the tuned policies")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
