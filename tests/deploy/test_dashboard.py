"""The monitoring dashboard (hybridinv/deploy/dashboard.py) as a planner reads it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hybridinv.core.errors import PlanningError
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


def _history(fallback: list[object]) -> pd.DataFrame:
    n = len(fallback)
    return pd.DataFrame({"period": np.arange(1, n + 1), "fill_rate": np.linspace(0.95, 0.8, n),
                         "cost_ratio": np.linspace(1.0, 1.2, n), "fallback": fallback})


def _events() -> pd.DataFrame:
    return pd.DataFrame(columns=["period", "kind", "reason", "fill_rate", "cost_ratio", "inventory_turns"])


def _images(page: Path) -> list[str]:
    return re.findall(r'src="data:image/png;base64,([^"]*)"', page.read_text())


@pytest.mark.parametrize("missing", ["fallback", "period"])
def test_a_history_without_a_needed_column_is_refused_naming_it(missing: str, tmp_path: Path) -> None:
    # a raw KPI log has no 'fallback' column: the page failed with a bare KeyError, leaving a pyplot figure open
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    with pytest.raises(PlanningError, match=f"no '{missing}' column") as info:
        render_dashboard(_history([False, True, False]).drop(columns=missing), _events(), MonitorThresholds(),
                         tmp_path / "d")
    assert info.value.column == missing
    assert plt.get_fignums() == before
    render_dashboard(_history([False, True, False]), _events(), MonitorThresholds(), tmp_path / "d")
    assert plt.get_fignums() == before                     # nor does a page that is written


def test_a_missing_fallback_cell_reads_as_false_everywhere(tmp_path: Path) -> None:
    # the shading read NaN as True (to_numpy(dtype=bool)) while the share skipped it (mean()): now False for both
    thresholds = MonitorThresholds()
    known = render_dashboard(_history([False, True, False, False]), _events(), thresholds, tmp_path / "a")
    gaps = render_dashboard(_history([False, True, np.nan, None]), _events(), thresholds, tmp_path / "b")
    assert _images(gaps) == _images(known)               # the same charts: no shading for the missing cells
    text = _visible_text(gaps)
    assert "share of periods planned by the fallback: 25.0%" in text  # 1 of 4 (mean() said 1 of 2)
    assert "status:  primary active" in text              # the last cell is missing: not on the fallback
    with pytest.raises(PlanningError, match="fallback") as info:
        render_dashboard(_history([False, "yes"]), _events(), thresholds, tmp_path / "c")
    assert info.value.value == "yes"


def test_rendering_leaves_the_callers_backend_and_pyplot_alone(tmp_path: Path) -> None:
    # render_dashboard called matplotlib.use("Agg"): a notebook's inline backend was switched for the session
    code = f"""
import matplotlib
matplotlib.use("svg")
import sys
import pandas as pd
from hybridinv.deploy import MonitorThresholds, render_dashboard
history = pd.DataFrame({{"period": [1, 2], "fill_rate": [0.9, 0.8], "fallback": [False, True]}})
page = render_dashboard(history, pd.DataFrame(), MonitorThresholds(), {str(tmp_path / "d")!r})
assert page.read_text().count("data:image/png;base64,") == 1
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["svg", "False"]


def test_text_in_a_kpi_column_is_refused_naming_it(tmp_path: Path) -> None:
    # numpy's bare "could not convert string to float: 'x'"
    history = _history([False, False]).assign(fill_rate=["0.9", "x"])
    with pytest.raises(PlanningError, match="not booleans or text") as info:
        render_dashboard(history, _events(), MonitorThresholds(), tmp_path / "d")
    assert info.value.column == "fill_rate"


@pytest.mark.parametrize("missing", ["history", "events", "thresholds"])
def test_an_argument_of_another_type_is_named(missing: str, tmp_path: Path) -> None:
    """None was a bare TypeError (events) or AttributeError (thresholds) deep inside."""
    monitor = Monitor(None, None, MonitorThresholds(window=2))
    for period in range(4):
        monitor.observe(period, 10.0, 9.0, 5.0)
    arguments = {"history": monitor.history(), "events": monitor.events_frame(), "thresholds": monitor.thresholds}
    arguments[missing] = None
    with pytest.raises(PlanningError) as info:
        render_dashboard(arguments["history"], arguments["events"], arguments["thresholds"], tmp_path)
    assert info.value.column == missing


def test_a_failed_write_keeps_the_earlier_dashboard_and_names_the_path(tmp_path: Path, monkeypatch) -> None:
    # a full disk mid-write: write_text truncated the earlier index.html, left half of the new page and raised
    # a bare "[Errno 28] No space left on device" without the path
    import errno
    import io

    thresholds = MonitorThresholds()
    page = render_dashboard(_history([False, True, False]), _events(), thresholds, tmp_path / "d")
    earlier = page.read_text()
    real_open = io.open

    class HalfWritten:
        def __init__(self, handle: io.TextIOWrapper) -> None:
            self.handle = handle

        def write(self, text: str) -> int:
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str) -> object:
            return getattr(self.handle, name)

        def __enter__(self) -> HalfWritten:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

    def disk_full(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_open(file, mode, *args, **kwargs)
        return HalfWritten(handle) if "r" not in mode and Path(file).parent == tmp_path / "d" else handle

    monkeypatch.setattr(io, "open", disk_full)
    with pytest.raises(PlanningError, match="No space left on device") as info:
        render_dashboard(_history([True, True, False, False]), _events(), thresholds, tmp_path / "d")
    monkeypatch.undo()
    assert info.value.column == "out_dir" and info.value.value == str(page)
    assert page.read_text() == earlier                     # the earlier dashboard, whole
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["index.html"]  # no temporary file left


@pytest.mark.parametrize("with_fallback", [True, False])
@pytest.mark.parametrize(("periods", "bad", "why"), [
    (["2024-W01", "2024-W02", "2024-W03", "2024-W04"], "2024-W01", "must be a whole number"),
    (pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]), None, "not a date or time"),
    ([1.0, 2.0, np.nan, 4.0], None, "history row 3: must be a whole number"),
    ([1, 2, 2, 3], 2, "history row 3: must be above the previous row's period"),
])
def test_a_period_that_is_not_a_whole_increasing_number_is_refused_before_the_folder_is_made(
    periods: object, bad: object, why: str, with_fallback: bool, tmp_path: Path
) -> None:
    # week labels failed with a bare ValueError only when a fallback run was shaded (and were drawn otherwise), after
    # the output folder was made; NaN and repeated periods are refused as Monitor.replay_log refuses them
    history = _history([False, True, True, False] if with_fallback else [False] * 4).assign(period=periods)
    with pytest.raises(PlanningError, match=why) as info:
        render_dashboard(history, _events(), MonitorThresholds(), tmp_path / "d")
    assert info.value.column == "period"
    if bad is not None:
        assert info.value.value == bad
    assert not (tmp_path / "d").exists()


def test_a_refused_kpi_column_leaves_no_folder(tmp_path: Path) -> None:
    history = _history([False, False]).assign(fill_rate=["0.9", "x"])
    with pytest.raises(PlanningError):
        render_dashboard(history, _events(), MonitorThresholds(), tmp_path / "d")
    assert not (tmp_path / "d").exists()
