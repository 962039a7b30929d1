"""Run the quick benchmark suite and write its summary into benchmarks/RESULTS.md.

    python benchmarks/run_quick_suite.py [--workers 2] [--backend process|ray]

Outputs (results.csv, summary.md, report.html) go to benchmarks/out/bench_quick/;
the summary table also goes to the ``bench_quick`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import OUT, machine, update_results  # noqa: E402

from hybridinv.bench import QUICK, run_suite, summary_markdown, write_outputs  # noqa: E402

COMMAND = "python benchmarks/run_quick_suite.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=["process", "ray"], default="process")
    args = parser.parse_args()
    result = run_suite(QUICK, backend=args.backend, workers=args.workers)
    out = OUT / "bench_quick"
    write_outputs(result, out)
    markdown = (
        f"## Benchmark suite: quick\n\nRegenerate with `{COMMAND}` (or `hybridinv bench --suite quick "
        f"--out DIR`). Machine: {machine()}; {args.workers} {args.backend} workers; "
        f"total wall clock {result.elapsed:.0f} s.\n\n" + summary_markdown(result)
    )
    update_results("bench_quick", markdown)
    print(f"quick suite: {len(result.runs)} runs in {result.elapsed:.0f} s; report in {out}")


if __name__ == "__main__":
    main()
