"""A static HTML monitoring dashboard (matplotlib PNGs embedded as base64).

The charts are drawn on :class:`matplotlib.figure.Figure` objects, not through ``pyplot``: rendering
changes neither the session's backend (it called ``matplotlib.use("Agg")``, so a notebook's inline
plots stopped showing) nor pyplot's list of open figures (one was left open on every failed call).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, number_array
from hybridinv.core.outputs import output_directory, replace_text_file
from hybridinv.deploy.monitor import MonitorThresholds, decided_by_fallback, log_column

__all__ = ["DASHBOARD_COLUMNS", "render_dashboard"]

#: Columns of the history the dashboard cannot do without (:meth:`Monitor.history` has them).
DASHBOARD_COLUMNS: tuple[str, ...] = ("period", "fallback")


def _fallback_flags(history: pd.DataFrame, name: str = "fallback") -> NDArray[np.bool_]:
    """The ``fallback`` column (or ``name``) as booleans, a missing cell (NaN, None) as False: not known to be on
    the fallback.

    One reading for the shading, the share and the status (``to_numpy(dtype=bool)`` read NaN as True
    while ``mean()`` skipped it).

    Raises
    ------
    PlanningError
        Naming ``fallback`` and the first value that is neither a boolean (0 or 1) nor missing.
    """
    column = history[name]
    missing = column.isna().to_numpy()
    values = column.to_numpy(dtype=object)
    for value in values[~missing]:
        if isinstance(value, str) or value not in (True, False):  # True == 1 == 1.0: a 0/1 column passes
            raise PlanningError("must be True or False (a missing cell reads as False)", column=name,
                                value=value)
    return np.array([bool(v) for v in values], dtype=bool) & ~missing


def _figure_png(periods: NDArray[np.generic], values: NDArray[np.float64], fallback: NDArray[np.bool_],
                label: str, threshold: float | None, kind: str) -> str:
    from hybridinv.plotting import new_figure

    fig, ax = new_figure((9, 2.6))  # not registered with pyplot: nothing to close, no backend to set
    # a marker when there are few points: a line through one point is not drawn
    ax.plot(periods, values, color="#1f77b4", lw=1.5, marker="o" if len(values) <= 2 else None, label=label)
    if threshold is not None:
        ax.axhline(threshold, color="#d62728", ls="--", lw=1, label=f"{kind} {threshold:g}")
    # each run of fallback periods shaded from half a period before its first to half a period after its last
    # (fill_between(where=...) shaded between the run's points: one period short, a one-period run not at all)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], fallback.astype(np.int8), [0]])))
    for k, (start, stop) in enumerate(zip(edges[::2], edges[1::2], strict=True)):
        ax.axvspan(float(periods[start]) - 0.5, float(periods[stop - 1]) + 0.5, color="#ff7f0e", alpha=0.2,
                   label="planned by the fallback" if k == 0 else None)
    ax.set_xlabel("period")
    ax.set_ylabel(label)
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _limit(value: float | None) -> str:
    """A threshold as text: ``off`` for a check that is disabled (None)."""
    return "off" if value is None else f"{value:g}"


def render_dashboard(
    history: pd.DataFrame,
    events: pd.DataFrame,
    thresholds: MonitorThresholds,
    out_dir: str | Path,
    title: str = "hybridinv monitoring",
) -> Path:
    """Write ``out_dir/index.html`` with KPI time series, thresholds and fallback events.

    Parameters
    ----------
    history : pandas.DataFrame
        :meth:`Monitor.history` (rolling ``fill_rate``, ``cost_ratio``,
        ``inventory_turns`` and the ``fallback`` flag per period).
        It needs ``period`` and ``fallback`` (:data:`DASHBOARD_COLUMNS`); ``period`` holds whole
        numbers >= 0 increasing row by row, as in :meth:`Monitor.replay_log`'s log; a missing ``fallback``
        cell reads as False (not on the fallback) in the charts, the share and the status alike.
    events : pandas.DataFrame
        :meth:`Monitor.events_frame`.
    thresholds : MonitorThresholds
    out_dir : path-like
        Created if needed. ``index.html`` is written to a temporary file of the folder that then
        replaces it, so a failed write leaves the earlier dashboard as it was.

    Returns
    -------
    pathlib.Path
        The HTML file (self-contained: images are embedded). Drawn without ``pyplot``: the
        caller's matplotlib backend and open figures are left as they were.

    Raises
    ------
    PlanningError
        Naming the argument when ``history``, ``events`` or ``thresholds`` is of another type (None
        was a bare TypeError), the column when ``history`` lacks ``period`` or ``fallback`` (a bare KeyError
        before), a ``period`` that is not a whole number >= 0 above the previous row's (a label, a date, NaN),
        a ``fallback`` value that is neither True/False (0/1) nor missing, or a KPI value
        that is not a number; naming ``out_dir`` and the path when the folder cannot be made or
        ``index.html`` cannot be written (a full disk).
    """
    # None or another object was a bare TypeError or AttributeError deep inside
    for name, value, kind in (("history", history, pd.DataFrame), ("events", events, pd.DataFrame),
                              ("thresholds", thresholds, MonitorThresholds)):
        if not isinstance(value, kind):
            raise PlanningError(f"must be a {kind.__name__} (Monitor.history(), Monitor.events_frame(), "
                                "MonitorThresholds)", column=name, value=type(value).__name__)
    for name in DASHBOARD_COLUMNS:
        if name not in history:
            raise PlanningError(f"the history has no {name!r} column (render Monitor.history(); it has "
                                f"{list(DASHBOARD_COLUMNS)})", column=name)
    fallback = _fallback_flags(history)
    # the periods the fallback planned: Monitor.history()'s own column, else the row after each "on" (rebuilt from a
    # slice such as history().iloc[8:], whose first row the fallback planned, it read as planned by the primary)
    decided = (_fallback_flags(history, "decided_by_fallback") if "decided_by_fallback" in history
               else decided_by_fallback(fallback))
    # whole numbers increasing row by row, checked as Monitor.replay_log checks a log's: week labels ("2024-W02")
    # failed with a bare ValueError only when a fallback run was shaded, after the folder was made
    periods = log_column(history["period"], "period", "history").to_numpy()
    panels = [
        ("fill_rate", "rolling fill rate", thresholds.min_fill_rate, "minimum"),
        ("cost_ratio", "cost per unit / expected", thresholds.max_cost_ratio, "maximum"),
        ("inventory_turns", "inventory turns (annualized)", thresholds.min_inventory_turns, "minimum"),
    ]
    images = []
    for column, label, threshold, kind in panels:
        # text in a KPI column was numpy's bare "could not convert string to float"
        values = number_array(history[column].to_numpy(), column) if column in history else np.zeros(0)
        if np.isfinite(values).any():
            png = _figure_png(periods, values, decided, label, threshold, kind)
            images.append(f'<h2>{html.escape(label)}</h2><img alt="{html.escape(label)}" '
                          f'src="data:image/png;base64,{png}">')
    share = float(decided.mean()) if len(history) else 0.0
    status = "no data" if not len(history) else ("FALLBACK active" if fallback[-1] else "primary active")
    summary = (
        f"<p>Periods: {len(history)} &middot; status: <b>{status}</b> &middot; "
        f"share of periods planned by the fallback: {share:.1%} &middot; switches: {len(events)}</p>"
        f"<p>Thresholds: window {thresholds.window}, min fill rate {_limit(thresholds.min_fill_rate)}, "
        f"max cost ratio {_limit(thresholds.max_cost_ratio)}, min turns {_limit(thresholds.min_inventory_turns)}, "
        f"recovery after {thresholds.recovery_periods} healthy periods.</p>"
    )
    table = events.to_html(index=False, float_format=lambda v: f"{v:.3f}", border=0, na_rep="-") if len(events) else (
        "<p>No fallback events.</p>"
    )
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:60em;margin:auto}}"
        "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ccc}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{summary}{''.join(images)}<h2>Events</h2>{table}</body></html>"
    )
    out = output_directory(out_dir, "out_dir")  # once the page is drawn: a refused history leaves no folder
    # whole or not at all: a full disk truncated the earlier dashboard and left half of the new one
    return replace_text_file(out / "index.html", page, "out_dir")
