"""The library's plots leave the caller's matplotlib session alone (backend, pyplot's figures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_plots_draw_without_pyplot_and_keep_the_callers_backend(tmp_path: Path) -> None:
    # reward.plots, rl.tabular and bench.plots called matplotlib.use("Agg") and drew through pyplot: a notebook's
    # inline backend was switched for the rest of the session
    code = f"""
import matplotlib
matplotlib.use("svg")
import sys
from pathlib import Path
from hybridinv.bench.plots import _encode, _grid
from hybridinv.reward.plots import figure
from hybridinv.reward.targets import KPITarget
from hybridinv.rl.tabular import plot_policy

out = Path({str(tmp_path)!r})
with figure(out / "front.png", (4, 3), KPITarget("fill_rate", ">=", 0.9), "fill rate", "cost", "t") as ax:
    ax.plot([0.8, 0.95], [1.0, 2.0])
plot_policy({{"zero": lambda state: 0}}, 1, 3, out / "policy.png")
grid, axes = _grid(4)
assert len(axes) == 4 and len(_encode(grid)) > 100
assert (out / "front.png").read_bytes()[:4] == b"\\x89PNG" and (out / "policy.png").stat().st_size > 0
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["svg", "False"]
