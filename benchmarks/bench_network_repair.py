"""Benchmark of the network repair: one period of 10 stores x 1,000 SKUs, fast path vs HiGHS.

Run ``python benchmarks/bench_network_repair.py`` (about 2 minutes; ``--quick``: fewer seeds,
HiGHS on one). Instances: :func:`hybridinv.network.repair_instances.network_instance` — one
warehouse feeding 10 stores, targets from an echelon base-stock policy, the warehouse short of
stock for part of the SKUs, every store's capacity, the warehouse capacity and the budget at
70 % of what the targets need, lot sizes 1-6 and a MOQ on half the SKUs. Per seed: the fast
path's time (median of repeats), objective, bound and certified gap ``(objective - bound) /
|bound|``; ``auto``'s time; HiGHS (``threads=1``) to a 0.01 % gap with a time limit, its time
and objective, and fast / HiGHS. Prints a markdown section and writes it to
``benchmarks/out/network_repair.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from benchmarks._report import cpu_model, median_time, write_markdown  # noqa: E402
from hybridinv.network.repair import repair_network  # noqa: E402
from hybridinv.network.repair_instances import network_instance  # noqa: E402

TARGET_SECONDS = 1.0
OUT = ROOT / "benchmarks" / "out" / "network_repair.md"




def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds, HiGHS on one")
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--highs-time-limit", type=float, default=60.0)
    args = parser.parse_args(argv)
    seeds = range(3) if args.quick else range(5)
    highs_seeds = set(range(1 if args.quick else 2))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"## Network repair: one period, {args.stores} stores x {args.skus:,} SKUs",
        "",
        f"`python benchmarks/bench_network_repair.py{' --quick' if args.quick else ''}`; {cpu_model()}, "
        f"load average {load:.1f} at the start; Python {platform.python_version()}.",
        "Capacities (every store, warehouse) and budget at 70 % of what the targets need; lot sizes 1-6, MOQ on "
        "half the SKUs. Gap = (objective - bound) / |bound|, the bound certified by the fast path itself.",
        "",
        "| seed | fast (median) | fast gap | auto | HiGHS (0.01 %) | HiGHS status | fast / HiGHS objective |",
        "|---|---|---|---|---|---|---|",
    ]
    fast_times, gaps = [], []
    for seed in seeds:
        inst = network_instance(args.stores, args.skus, seed)
        kw = {"rules": inst.rules, "expected_demand": inst.expected_demand}

        def run(backend: str, **extra: object):  # type: ignore[no-untyped-def]
            return lambda: repair_network(inst.network, inst.costs, inst.observation, inst.desired,  # noqa: B023
                                          backend=backend, **kw, **extra)  # noqa: B023

        fast_time, fast = median_time(run("fast"), 3)
        auto_time, _ = median_time(run("auto"), 1)
        fast_times.append(fast_time)
        gaps.append(fast.gap)
        highs_cells = ["–", "–", "–"]
        if seed in highs_seeds:
            highs_time, exact = median_time(run("highs", gap_tolerance=1e-4, time_limit=args.highs_time_limit), 1)
            highs_cells = [f"{highs_time:.1f} s", exact.status, f"{fast.objective / exact.objective:.5f}"]
        lines.append(f"| {seed} | {fast_time * 1000:.0f} ms | {fast.gap:.4%} | {auto_time * 1000:.0f} ms | "
                     + " | ".join(highs_cells) + " |")
        print(lines[-1], flush=True)
    worst = max(fast_times)
    lines += [
        "",
        f"Fast path: median {statistics.median(fast_times) * 1000:.0f} ms, worst {worst * 1000:.0f} ms per period "
        f"(target <= {TARGET_SECONDS:g} s: {'met' if worst <= TARGET_SECONDS else 'NOT met'}); certified gap at "
        f"most {max(gaps):.4%}.",
    ]
    return write_markdown(OUT, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
