"""Plots of tuning trials: the figure frame and the Pareto front both tune reports draw.

:func:`hybridinv.reward.tune` draws one policy's trials (``pareto.png``) and
:func:`hybridinv.reward.compare.compare_policies` every policy's trials and fronts on one
figure; both go through these helpers, so the axes, the target line and the front look the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from hybridinv.reward.targets import KPITarget
    from hybridinv.reward.tune import TuneResult

__all__ = ["draw_front", "figure", "front_target", "trial_points"]


@contextmanager
def figure(path: Path, size: tuple[float, float], target: KPITarget, xlabel: str, ylabel: str,
           title: str) -> Iterator[Any]:
    """A matplotlib axes (Agg backend) saved to ``path`` on exit, with the target's line, labels and legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size)
    try:
        yield ax
        ax.axvline(target.level, ls="--", c="k", lw=0.8, label=str(target))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)


def front_target(targets: list[KPITarget]) -> KPITarget:
    """The KPI on the x axis: the first target, or the fill rate without targets."""
    from hybridinv.reward.targets import KPITarget

    return targets[0] if targets else KPITarget("fill_rate", ">=", 0.0)


def trial_points(result: TuneResult, target: KPITarget) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The trials' KPI (x) and objective (y)."""
    trials = result.trials
    return trials[target.kpi].to_numpy(dtype=np.float64), trials["objective"].to_numpy(dtype=np.float64)


def draw_front(ax: Any, x: NDArray[np.float64], y: NDArray[np.float64], target: KPITarget, **style: Any) -> None:
    """The Pareto front of the points as a step line (``style``: matplotlib line options)."""
    from hybridinv.reward.tune import pareto_front

    front = pareto_front(x, y, x_larger_better=target.op == ">=")
    order = np.argsort(x[front])
    ax.plot(x[front][order], y[front][order], drawstyle="steps-pre", **style)
