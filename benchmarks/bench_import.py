"""Start-up time: ``import hybridinv``, ``from hybridinv import plan``, ``hybridinv --help``.

Run: ``python benchmarks/bench_import.py [--before PATH]``. Each case runs in a fresh
interpreter (``python -c ...``) with the source tree put first on ``PYTHONPATH``; the
wall time of the whole process is timed (median of 7), next to a bare ``python -c pass``.
``--before PATH`` times another checkout of the package (e.g. ``git worktree add`` of
an older commit) side by side in the same run. Writes the ``startup`` section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _report import machine, update_results

ROOT = Path(__file__).resolve().parent.parent

CASES: dict[str, str] = {
    "python -c pass (interpreter alone)": "pass",
    "import hybridinv": "import hybridinv",
    "from hybridinv import plan, simulate": "from hybridinv import plan, simulate",
    "hybridinv --help": "from hybridinv.cli import main; main(['--help'], standalone_mode=False)",
    "hybridinv plan --help": "from hybridinv.cli import main; main(['plan', '--help'], standalone_mode=False)",
}


def wall_time(code: str, source: Path, repeats: int = 7) -> float:
    """Median wall seconds of ``python -c code`` run in ``source`` (so its package is the one imported)."""
    env = dict(os.environ, PYTHONPATH=str(source))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, cwd=source, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_modules(code: str, source: Path) -> str:
    """Which of numpy, pandas, scipy.stats and torch the code leaves in ``sys.modules``."""
    probe = f"{code}\nimport sys\nprint('MODULES', *[m for m in ('numpy', 'pandas', 'scipy.stats', 'torch') " \
            "if m in sys.modules])"
    env = dict(os.environ, PYTHONPATH=str(source))
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=source, check=True, capture_output=True,
                         text=True).stdout
    names = out.splitlines()[-1].split()[1:]
    return ", ".join(names) if names else "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, default=None, help="another checkout to time side by side")
    parser.add_argument("--before-label", default="the checkout given by --before",
                        help="how the other checkout is named in RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rows = []
    for label, code in CASES.items():
        now = wall_time(code, ROOT)
        cells = [label, f"{now * 1000:.0f}", heavy_modules(code, ROOT)]
        if args.before is not None:
            before = wall_time(code, args.before)
            cells[1:1] = [f"{before * 1000:.0f}"]
            cells.append(heavy_modules(code, args.before))
        rows.append("| " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    if args.before is not None:
        header = "| command | ms before | ms now | heavy modules loaded now | heavy modules loaded before |\n" \
                 "|---|---:|---:|---|---|"
    else:
        header = "| command | ms | heavy modules loaded |\n|---|---:|---|"
    table = "\n".join(rows)
    markdown = f"""## Start-up

`python benchmarks/bench_import.py --before <checkout>` — wall time of a fresh `python -c ...` process
(median of 7), the interpreter's own start included. Machine: {machine()}; shared with other jobs,
1-minute load average at start {load:.1f}. "Before": {args.before_label}, timed in the same run.

{header}
{table}

Targets: `import hybridinv` ≤ 500 ms, `hybridinv --help` ≤ 300 ms. The public names load on first
access; `from hybridinv import plan` pays numpy and pandas (~0.3 s of it), and `scipy.stats`
(0.5–0.7 s alone) is imported only by the functions that use it.
"""
    update_results("startup", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
