"""A static HTML monitoring dashboard (matplotlib PNGs embedded as base64)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from hybridinv.deploy.monitor import MonitorThresholds

__all__ = ["render_dashboard"]


def _figure_png(history: pd.DataFrame, column: str, label: str, threshold: float | None, kind: str) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 2.6))
    periods = history["period"].to_numpy()
    ax.plot(periods, history[column].to_numpy(dtype=float), color="#1f77b4", lw=1.5, label=label)
    if threshold is not None:
        ax.axhline(threshold, color="#d62728", ls="--", lw=1, label=f"{kind} {threshold:g}")
    fallback = history["fallback"].to_numpy(dtype=bool)
    if fallback.any():
        ax.fill_between(periods, 0, 1, where=fallback, transform=ax.get_xaxis_transform(), color="#ff7f0e",
                        alpha=0.2, step="mid", label="fallback active")
    ax.set_xlabel("period")
    ax.set_ylabel(label)
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
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
    events : pandas.DataFrame
        :meth:`Monitor.events_frame`.
    thresholds : MonitorThresholds
    out_dir : path-like
        Created if needed.

    Returns
    -------
    pathlib.Path
        The HTML file (self-contained: images are embedded).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    panels = [
        ("fill_rate", "rolling fill rate", thresholds.min_fill_rate, "minimum"),
        ("cost_ratio", "cost per unit / expected", thresholds.max_cost_ratio, "maximum"),
        ("inventory_turns", "inventory turns (annualized)", thresholds.min_inventory_turns, "minimum"),
    ]
    images = []
    for column, label, threshold, kind in panels:
        if column in history and np.isfinite(history[column].to_numpy(dtype=float)).any():
            png = _figure_png(history, column, label, threshold, kind)
            images.append(f'<h2>{html.escape(label)}</h2><img alt="{html.escape(label)}" '
                          f'src="data:image/png;base64,{png}">')
    share = float(history["fallback"].mean()) if len(history) else 0.0
    last = history.iloc[-1] if len(history) else None
    status = "no data" if last is None else ("FALLBACK active" if bool(last["fallback"]) else "primary active")
    summary = (
        f"<p>Periods: {len(history)} &middot; status: <b>{status}</b> &middot; "
        f"share of periods on fallback: {share:.1%} &middot; switches: {len(events)}</p>"
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
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
