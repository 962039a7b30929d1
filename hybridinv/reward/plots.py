"""Pareto fronts of tuning trials and the plots both tune reports draw.

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
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    import pandas as pd

    from hybridinv.reward.targets import KPITarget

__all__ = ["draw_front", "figure", "front_target", "pareto_front", "trial_points"]


def pareto_front(x: ArrayLike, y: ArrayLike, x_larger_better: bool = True,
                 y_larger_better: bool = False) -> NDArray[np.bool_]:
    """Mask of the points no other point dominates.

    ``x`` is maximized (minimized when ``x_larger_better`` is False) and ``y`` minimized (maximized when
    ``y_larger_better``, e.g. a tuner run with ``minimize="-fill_rate"``; until 2026-12-06 ``y`` was always
    minimized, so such a run drew its worst trials as the front). A point with a NaN coordinate (an
    unmeasured KPI) is never on the front and dominates nothing (it was marked non-dominated).
    """
    xs = np.asarray(x, dtype=np.float64) * (1.0 if x_larger_better else -1.0)
    ys = np.asarray(y, dtype=np.float64) * (-1.0 if y_larger_better else 1.0)
    better_or_equal = (xs[None, :] >= xs[:, None]) & (ys[None, :] <= ys[:, None])
    strictly = (xs[None, :] > xs[:, None]) | (ys[None, :] < ys[:, None])
    dominated = np.asarray((better_or_equal & strictly).any(axis=1), dtype=bool)
    return ~dominated & ~np.isnan(xs) & ~np.isnan(ys)


@contextmanager
def figure(path: Path, size: tuple[float, float], target: KPITarget, xlabel: str, ylabel: str,
           title: str) -> Iterator[Any]:
    """A matplotlib axes saved to ``path`` (as PNG) on exit, with the target's line, labels and legend (drawn without
    pyplot, :func:`hybridinv.plotting.new_figure`: the session's backend is left as it was)."""
    from hybridinv.plotting import new_figure

    fig, ax = new_figure(size)
    yield ax
    ax.axvline(target.level, ls="--", c="k", lw=0.8, label=str(target))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")  # by name: a temporary file's suffix is not .png


def front_target(targets: list[KPITarget]) -> KPITarget:
    """The KPI on the x axis: the first target, or the fill rate without targets."""
    from hybridinv.reward.targets import KPITarget

    return targets[0] if targets else KPITarget("fill_rate", ">=", 0.0)


def trial_points(trials: pd.DataFrame, target: KPITarget) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The trials' KPI (x) and objective (y)."""
    return trials[target.kpi].to_numpy(dtype=np.float64), trials["objective"].to_numpy(dtype=np.float64)


def draw_front(ax: Any, x: NDArray[np.float64], y: NDArray[np.float64], target: KPITarget,
               y_larger_better: bool = False, **style: Any) -> None:
    """The Pareto front of the points as a step line (``style``: matplotlib line options).

    ``y_larger_better``: the objective on the y axis is maximized (the tuner's ``direction`` is ``"maximize"``).
    """
    front = pareto_front(x, y, x_larger_better=target.op == ">=", y_larger_better=y_larger_better)
    order = np.argsort(x[front])
    if np.unique(np.column_stack([x[front], y[front]]), axis=0).shape[0] <= 1:
        style = {"marker": "o", **style}  # a line through one point is not drawn: the legend named nothing
    # the objective a point reaches holds for every x it also reaches: up to its x when x is maximized (a fill rate),
    # from its x on when x is minimized (waste, carbon, cost); "steps-pre" for both drew, for a minimized x, corners
    # no trial reached (waste 0 at a cost only a trial with more waste had)
    ax.plot(x[front][order], y[front][order], drawstyle="steps-pre" if target.op == ">=" else "steps-post", **style)
