"""The shared tuning plots (hybridinv/reward/plots.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hybridinv.reward.plots import draw_front, figure, front_target, trial_points
from hybridinv.reward.targets import KPITarget


def _dominated(x: np.ndarray, y: np.ndarray, i: int) -> bool:
    """Brute force: another point has x at least as large and y at most as large, one strictly."""
    better = (x >= x[i]) & (y <= y[i]) & ((x > x[i]) | (y < y[i]))
    return bool(better.any())


def test_the_drawn_front_is_the_set_of_undominated_points(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0.8, 1.0, 40), rng.uniform(100.0, 200.0, 40)
    target = KPITarget("fill_rate", ">=", 0.9)
    path = tmp_path / "front.png"
    with figure(path, (4, 3), target, "fill_rate", "cost", "t") as ax:
        draw_front(ax, x, y, target, c="k", label="front")
        line = ax.get_lines()[0]
    drawn_x = np.asarray(line.get_xdata())
    expected = np.sort(x[[i for i in range(x.size) if not _dominated(x, y, i)]])
    np.testing.assert_allclose(drawn_x, expected)
    assert path.stat().st_size > 0  # saved on exit


def test_trial_points_and_the_default_axis() -> None:
    trials = pd.DataFrame({"trial": [0, 1], "fill_rate": [0.9, 0.95], "objective": [10.0, 12.0],
                           "feasible": [True, True]})
    x, y = trial_points(trials, KPITarget("fill_rate", ">=", 0.9))
    np.testing.assert_array_equal(x, [0.9, 0.95])
    np.testing.assert_array_equal(y, [10.0, 12.0])
    assert front_target([]).kpi == "fill_rate"
    assert front_target([KPITarget("waste_rate", "<=", 0.01)]).kpi == "waste_rate"
