"""Plots of a benchmark run, rendered to base64 PNGs without pyplot (:func:`hybridinv.plotting.new_figure`).

* cost by policy with confidence intervals, one panel per scenario;
* the cost vs fill-rate frontier;
* on-hand and order trajectories of the tracked SKUs (first seed);
* how much the repair layer changed the policies' desired orders.

Policy, scenario and SKU names go through :func:`hybridinv.core.outputs.plain_label`,
so a ``$`` in a name is drawn as a dollar sign instead of starting mathtext.
"""

from __future__ import annotations

import base64
import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hybridinv.core._frame import require_columns
from hybridinv.core.errors import PlanningError, require_type
from hybridinv.core.outputs import plain_label
from hybridinv.plotting import new_figure

if TYPE_CHECKING:
    from hybridinv.bench.benchmark import BenchResult

__all__ = ["all_figures", "cost_figure", "frontier_figure", "repair_figure", "trajectory_figure"]

_MAX_TRAJECTORY_SCENARIOS = 3
_TRAJECTORY_PERIODS = 60


def _encode(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _colors(count: int) -> list[Any]:
    """``count`` distinct colours: matplotlib's 10-colour cycle repeated its colours from the 11th policy on (the
    full suite's 12: ``ss`` drawn as ``capped_base_stock``)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if count <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(count)]


def _legend(axis: Any, entries: int, fontsize: float = 6, ncol: int = 1) -> None:
    """A legend inside the axes, or beside them when it has more than 8 entries (it covered the data)."""
    outside = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0} if entries > 8 else {}
    axis.legend(fontsize=fontsize, ncol=ncol, **outside)


def _grid(count: int, width: float = 4.0, height: float = 3.0) -> tuple[Any, list[Any]]:
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    figure, axes = new_figure((width * columns, height * rows), rows, columns, squeeze=False)
    flat = list(axes.ravel())
    for axis in flat[count:]:
        axis.set_visible(False)
    return figure, flat[:count]


def _check_table(table: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Refuse a ``table`` that is not a non-empty frame with ``columns`` (of
    :func:`~hybridinv.bench.report.summary_table`), naming the missing column.

    Until 2026-12-07 a missing column was a bare ``KeyError`` (``'cost_half_width'`` for the frame of
    :func:`hybridinv.simulate`) and an empty table a ``ZeroDivisionError`` in the panel grid.
    """
    require_type(table, pd.DataFrame, "table")  # a dict of columns was "'dict' object has no attribute ..."
    require_columns(table, columns, "the plotted table (hybridinv.bench.report.summary_table's)")
    if not len(table):
        raise PlanningError("has no rows to plot", column="table", value="empty")


def cost_figure(table: pd.DataFrame) -> str:
    """Mean cost per period by policy with t-interval error bars, one panel per scenario; a policy without an
    interval (one seed) is hatched, not drawn with a zero-width bar that looks exact.

    ``table`` is :func:`~hybridinv.bench.report.summary_table`'s (``scenario``, ``policy``, ``cost``,
    ``cost_half_width``); a missing column or an empty table is a :class:`~hybridinv.PlanningError` naming it.
    """
    _check_table(table, ("scenario", "policy", "cost", "cost_half_width"))
    scenarios = list(dict.fromkeys(table["scenario"]))
    figure, axes = _grid(len(scenarios))
    for axis, scenario in zip(axes, scenarios, strict=True):
        part = table[table["scenario"] == scenario]
        positions = np.arange(len(part))
        half = part["cost_half_width"].to_numpy(dtype=np.float64)
        errors = np.nan_to_num(half, nan=0.0)
        bars = axis.bar(positions, part["cost"], yerr=errors, capsize=3, color="tab:blue", alpha=0.8)
        for bar, known in zip(bars, np.isfinite(half), strict=True):
            if not known:
                bar.set_hatch("//")
                bar.set_alpha(0.4)
        if not np.isfinite(half).all():
            axis.text(0.99, 0.99, "hatched: no interval", transform=axis.transAxes, ha="right", va="top",
                      fontsize=7)
        axis.set_xticks(positions, [plain_label(p) for p in part["policy"]], rotation=45, ha="right", fontsize=8)
        axis.set_title(plain_label(scenario), fontsize=9)
        axis.set_ylabel("cost per period")
    return _encode(figure)


def frontier_figure(table: pd.DataFrame) -> str:
    """Cost per period against fill rate, one point per policy, one panel per scenario (``table`` as in
    :func:`cost_figure`, with ``fill_rate``)."""
    _check_table(table, ("scenario", "policy", "cost", "cost_half_width", "fill_rate"))
    scenarios = list(dict.fromkeys(table["scenario"]))
    figure, axes = _grid(len(scenarios))
    for axis, scenario in zip(axes, scenarios, strict=True):
        part = table[table["scenario"] == scenario]
        axis.errorbar(part["fill_rate"], part["cost"], yerr=np.nan_to_num(part["cost_half_width"].to_numpy()),
                      fmt="o", capsize=3)
        for row in part.itertuples():
            axis.annotate(plain_label(row.policy), (row.fill_rate, row.cost), fontsize=7, xytext=(3, 3),
                          textcoords="offset points")
        axis.set_xlabel("fill rate")
        axis.set_ylabel("cost per period")
        axis.set_title(plain_label(scenario), fontsize=9)
    return _encode(figure)


def trajectory_figure(result: BenchResult, scenario: str) -> str:
    """On-hand (lines) and orders (dotted steps) of the tracked SKUs for each policy on ``scenario``.

    Shows the first 60 periods of the first seed.
    """
    policies = [policy for policy in result.policies if (scenario, policy) in result.trajectories]
    figure, axes = _grid(len(policies), width=4.5)
    for axis, policy in zip(axes, policies, strict=True):
        track = result.trajectories[(scenario, policy)]
        shown = slice(0, min(_TRAJECTORY_PERIODS, track["on_hand"].shape[0]))
        colors = _colors(len(track["sku"]))
        for column, sku in enumerate(track["sku"]):
            name = plain_label(sku)
            on_hand = track["on_hand"][shown, column]
            marker = "o" if on_hand.size <= 2 else None  # a line through one point is not drawn
            axis.plot(on_hand, linewidth=1, marker=marker, color=colors[column], label=f"{name} on-hand")
            orders = track["orders"][shown, column]
            axis.step(np.arange(orders.size), orders, where="post", marker=marker,
                      linewidth=0.8, linestyle=":", color=colors[column], label=f"{name} orders")
        axis.set_title(plain_label(f"{scenario}: {policy}"), fontsize=9)
        axis.set_xlabel("period")
        _legend(axis, 2 * len(track["sku"]))
    return _encode(figure)


def repair_figure(table: pd.DataFrame) -> str:
    """Share of SKU-periods whose desired order the repair changed, by scenario and policy (``table`` as in
    :func:`cost_figure`, with ``repair_share_changed``)."""
    _check_table(table, ("scenario", "policy", "repair_share_changed"))
    pivot = table.pivot(index="scenario", columns="policy", values="repair_share_changed")
    pivot = pivot.loc[list(dict.fromkeys(table["scenario"]))]
    pivot = pivot.rename(index=plain_label, columns=plain_label)
    figure, axis = new_figure((max(6.0, 1.2 * len(pivot)), 3.5))
    pivot.plot.bar(ax=axis, rot=30, color=_colors(pivot.shape[1]))
    axis.set_ylabel("share of SKU-periods changed")
    _legend(axis, pivot.shape[1], fontsize=7, ncol=2)
    return _encode(figure)


def all_figures(result: BenchResult, table: pd.DataFrame, confidence: float = 0.95) -> list[tuple[str, str]]:
    """``(title, base64 PNG)`` of every plot of the report (``confidence``: the level of ``table``'s intervals)."""
    if not len(table):
        return []
    figures = [
        (f"Cost per period by policy ({confidence:.0%} CI)", cost_figure(table)),
        ("Cost vs fill rate", frontier_figure(table)),
    ]
    scenarios = [key for key in result.scenarios if any((key, p) in result.trajectories for p in result.policies)]
    for scenario in scenarios[:_MAX_TRAJECTORY_SCENARIOS]:
        figures.append((f"Trajectories of tracked SKUs: {scenario} (seed 0)", trajectory_figure(result, scenario)))
    if table["repair_share_changed"].notna().any():
        figures.append(("How much the repair changed the desired orders", repair_figure(table)))
    return figures
