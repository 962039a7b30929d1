"""The monitoring dashboard (hybridinv/deploy/dashboard.py) as a planner reads it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from hybridinv.deploy import Monitor, MonitorThresholds, render_dashboard


def _visible_text(page: Path) -> str:
    html = page.read_text()
    html = re.sub(r'src="data:image/png;base64,[^"]*"', "", html)
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


def test_disabled_checks_read_off_not_none(tmp_path: Path) -> None:
    # the finding: the page said "min turns None" for a check that is simply not used
    periods = np.arange(20)
    served = np.where((periods >= 8) & (periods < 11), 40.0, 100.0)
    log = pd.DataFrame({"period": periods, "demand": 100.0, "served": served, "cost": 10.0,
                        "inventory_value": 200.0, "cogs": 90.0})  # 23 turns a year: the turns check passes
    for thresholds in (MonitorThresholds(window=2, recovery_periods=3),
                       MonitorThresholds(window=2, min_fill_rate=None, max_cost_ratio=None, recovery_periods=3),
                       MonitorThresholds(window=2, min_inventory_turns=4.0, recovery_periods=3)):
        monitor = Monitor.replay_log(log, thresholds)
        page = render_dashboard(monitor.history(), monitor.events_frame(), thresholds, tmp_path / "d")
        text = _visible_text(page)
        assert "None" not in text and "nan" not in text.lower()
        turns = thresholds.min_inventory_turns
        assert (f"min turns {turns:g}" if turns is not None else "min turns off") in text
        fill = thresholds.min_fill_rate
        assert (f"min fill rate {fill:g}" if fill is not None else "min fill rate off") in text
