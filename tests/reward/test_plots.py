"""The shared tuning plots (hybridinv/reward/plots.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hybridinv.reward.plots import draw_front, figure, front_target, pareto_front, trial_points
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


def _dominated_when(x: np.ndarray, y: np.ndarray, i: int, y_larger_better: bool) -> bool:
    return _dominated(x, -y if y_larger_better else y, i)


def test_a_maximized_objective_has_its_own_front_and_nan_points_are_never_on_it() -> None:
    """The finding: tune(minimize="-fill_rate") drew the front of its *lowest* fill rates (y always minimized),
    and a trial with a NaN KPI was marked non-dominated."""
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0.8, 1.0, 30), rng.uniform(100.0, 200.0, 30)
    front = pareto_front(x, y, y_larger_better=True)
    np.testing.assert_array_equal(front, [not _dominated_when(x, y, i, True) for i in range(x.size)])
    assert not np.array_equal(front, pareto_front(x, y))
    x[3], y[7] = np.nan, np.nan
    for larger in (False, True):
        mask = pareto_front(x, y, y_larger_better=larger)
        assert not mask[3] and not mask[7]
        finite = np.isfinite(x) & np.isfinite(y)
        expected = pareto_front(x[finite], y[finite], y_larger_better=larger)
        np.testing.assert_array_equal(mask[finite], expected)


def test_tune_and_compare_draw_the_front_in_the_tuned_direction(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hybridinv.reward.plots as plots
    from hybridinv.reward.compare import compare_policies
    from hybridinv.reward.tune import tune

    seen: list[bool] = []
    real = plots.draw_front

    def recording(ax, x, y, target, y_larger_better=False, **style):  # type: ignore[no-untyped-def]
        seen.append(y_larger_better)
        real(ax, x, y, target, y_larger_better=y_larger_better, **style)

    monkeypatch.setattr(plots, "draw_front", recording)
    options = {"trials": 2, "seeds": 1, "periods": 20, "minimize": "-fill_rate"}
    result = tune("single_sku", ["avg_cost<=1000"], out=tmp_path / "one", **options)
    assert result.direction == "maximize" and seen == [True]
    compare_policies("single_sku", ["avg_cost<=1000"], ["base_stock", "ss"], tmp_path / "two", **options)
    assert seen == [True] * 5  # the first run, each policy's pareto.png, then the comparison's two fronts
    tune("single_sku", ["fill_rate>=0.5"], trials=1, seeds=1, periods=20, out=tmp_path / "three")
    assert seen[-1] is False and len(seen) == 6


@pytest.mark.parametrize(("op", "style"), [(">=", "steps-pre"), ("<=", "steps-post")])
def test_the_front_line_steps_the_way_the_first_target_goes(op: str, style: str) -> None:
    """For a minimized x (waste, carbon, cost) the line was drawn "steps-pre" too and passed through corners no
    trial reached: waste 0 at the cost of a trial with more waste."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = np.array([0.0, 0.004]), np.array([5200.0, 4100.0])
    if op == ">=":
        y = y[::-1]  # a larger fill rate costs more
    fig, ax = plt.subplots()
    try:
        draw_front(ax, x, y, KPITarget("waste_rate" if op == "<=" else "fill_rate", op, 0.01))
        (line,) = ax.get_lines()
        assert line.get_drawstyle() == style
    finally:
        plt.close(fig)
