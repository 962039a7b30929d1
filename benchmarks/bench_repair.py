"""Benchmark of the repair layer: fast path vs HiGHS MILP vs PuLP objects.

Run ``python benchmarks/bench_repair.py`` (``--quick`` for shorter solver time
limits). Prints a markdown section and writes the ``repair`` section of ``benchmarks/RESULTS.md``.

Instances come from :func:`hybridinv.repair.instances.random_instance`: seeded,
with MOQs on half the SKUs, lot sizes up to 12, three receipt periods and
capacity and budget both binding (70 % of what the desired orders need).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from hybridinv import ConstraintViolationWarning  # noqa: E402
from hybridinv.repair import repair_orders  # noqa: E402
from hybridinv.repair.inputs import build_problem  # noqa: E402
from hybridinv.repair.instances import RepairInstance, random_instance  # noqa: E402

TARGETS = {1000: 0.020, 10000: 0.200}  # fast-path median seconds
GAP_TARGET = 0.005
SMALL_TARGET = 0.001


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _machine() -> list[str]:
    import highspy
    import pulp

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return [
        f"- platform: {platform.platform()}",
        f"- CPU: {_cpu_model()} ({os.cpu_count()} logical CPUs), load average {load[0]:.1f} / {load[1]:.1f}",
        f"- Python {platform.python_version()}, numpy {np.__version__}, highspy {_version(highspy)}, "
        f"pulp {pulp.__version__}",
    ]


def _version(module: Any) -> str:
    try:
        from importlib.metadata import version

        return version(module.__name__)
    except Exception:  # noqa: BLE001 - informational only
        return "?"


def _args(inst: RepairInstance) -> tuple[Any, ...]:
    return (inst.desired, inst.catalog, inst.state, inst.constraints)


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds over ``repeats`` calls (after one warm-up call)."""
    result = fn()
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _pulp_row(inst: RepairInstance, time_limit: float) -> dict[str, Any]:
    from hybridinv.repair.pulp_backend import PulpModel, default_solver

    problem = build_problem(*_args(inst))
    t0 = time.perf_counter()
    model = PulpModel(problem)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.model.solve(default_solver(time_limit=time_limit, gap_tolerance=GAP_TARGET))
    solve = time.perf_counter() - t0
    lots = model.lot_values()
    feasible = problem.lot_feasible(lots).all() and all((g.usage(lots) <= g.rhs + 1e-6).all() for g in problem.groups)
    return {"build": build, "solve": solve, "objective": problem.objective(lots) if feasible else float("nan")}


def _highs_build(inst: RepairInstance) -> float:
    import highspy

    from hybridinv.repair.highs import load_model
    from hybridinv.repair.model import milp_arrays

    problem = build_problem(*_args(inst))
    t0 = time.perf_counter()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    load_model(highs, milp_arrays(problem))
    return time.perf_counter() - t0


def _size_section(n: int, seed: int, repeats: int, highs_limit: float, pulp_limit: float) -> list[str]:
    inst = random_instance(n, seed=seed)
    args = _args(inst)
    wall, cpu, fast = _timed(lambda: repair_orders(*args, backend="fast"), repeats)
    t0 = time.perf_counter()
    milp = repair_orders(*args, backend="highs", time_limit=highs_limit, gap_tolerance=1e-4)
    milp_time = time.perf_counter() - t0
    highs_build = _highs_build(inst)
    pulp = _pulp_row(inst, pulp_limit)
    best = min(fast.objective, milp.objective, pulp["objective"] if np.isfinite(pulp["objective"]) else np.inf)
    bound = max(fast.bound, milp.bound)
    target = TARGETS.get(n)
    ok = "✅" if target and wall <= target and fast.gap <= GAP_TARGET else ("—" if not target else "❌")
    prices = fast.diagnostics
    lines = [
        f"### {n:,} SKUs (seed {seed})",
        "",
        f"Binding rows: capacity prices {np.round(prices.capacity_price, 3).tolist()}, "
        f"budget price {prices.budget_price:.3f}.",
        "",
        "| method | time | objective | bound | certified gap | vs best known |",
        "|---|---|---|---|---|---|",
        f"| fast (median of {repeats}) | {_ms(wall)} wall, {_ms(cpu)} CPU | {fast.objective:,.2f} | "
        f"{fast.bound:,.2f} | {fast.gap:.4%} | {fast.objective / best - 1:+.4%} |",
        f"| HiGHS MILP (limit {highs_limit:g} s, {milp.diagnostics.status}) | {_ms(milp_time)} "
        f"(build {_ms(highs_build)}) | {milp.objective:,.2f} | {milp.bound:,.2f} | {milp.gap:.4%} | "
        f"{milp.objective / best - 1:+.4%} |",
        f"| PuLP + CBC (limit {pulp_limit:g} s) | build {_ms(pulp['build'])}, solve {_ms(pulp['solve'])} | "
        f"{pulp['objective']:,.2f} | – | – | {pulp['objective'] / best - 1:+.4%} |",
        "",
        f"Ratios: HiGHS MILP / fast = {milp_time / wall:,.0f}×; PuLP build / HiGHS build = "
        f"{pulp['build'] / highs_build:,.0f}×; PuLP build / fast solve = {pulp['build'] / wall:,.0f}×. "
        f"Best bound {bound:,.2f}: fast plan within {(fast.objective - bound) / fast.objective:.4%} of it. "
        f"Target (≤ {_ms(target) if target else '–'}, gap ≤ {GAP_TARGET:.1%}): {ok}",
        "",
    ]
    return lines


def _small_section(repeats: int) -> list[str]:
    header = "| 50-SKU instance | call | median wall | median CPU | certified gap | vs optimum |"
    lines = ["### 50 SKUs (one RL step)", "", header, "|---|---|---|---|---|---|"]
    setups = (
        ("3 capacity rows + budget, all binding", {}, {}),
        ("3 capacity rows + budget, all binding", {}, {"gap_tolerance": 0.05}),
        ("1 capacity row + budget", {"max_lead_time": 0}, {}),
        ("1 capacity row + budget", {"max_lead_time": 0}, {"gap_tolerance": 0.05}),
        ("1 capacity row", {"max_lead_time": 0, "budget_tightness": None}, {}),
    )
    for label, instance_kwargs, call_kwargs in setups:
        args = _args(random_instance(50, seed=1, **instance_kwargs))
        wall, cpu, result = _timed(lambda a=args, kw=call_kwargs: repair_orders(*a, backend="fast", **kw), repeats)
        exact = repair_orders(*args, backend="highs", gap_tolerance=0.0)
        call = "`fast`" + "".join(f", `{k}={v}`" for k, v in call_kwargs.items())
        mark = "✅" if cpu <= SMALL_TARGET else "❌"
        lines.append(
            f"| {label} | {call} | {_ms(wall)} | {_ms(cpu)} {mark} | {result.gap:.2%} | "
            f"{result.objective / exact.objective - 1:+.2%} |"
        )
    lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short solver time limits and fewer repeats")
    parser.add_argument("--out", type=Path, default=None, help="write here instead of the RESULTS.md section")
    opts = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConstraintViolationWarning)
    quick = opts.quick
    lines = ["## Repair layer benchmark", "", *_machine(), ""]
    lines += _size_section(
        1000, seed=1, repeats=7 if quick else 21, highs_limit=5 if quick else 20, pulp_limit=5 if quick else 20
    )
    lines += _size_section(
        10000, seed=2, repeats=3 if quick else 9, highs_limit=10 if quick else 60, pulp_limit=10 if quick else 60
    )
    lines += _small_section(repeats=50 if quick else 300)
    lines.append("Wall times include waiting for the CPU when other processes run; CPU time is the process's own work.")
    text = "\n".join(lines) + "\n"
    print(text)
    if opts.out is None:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from _report import update_results

        update_results("repair", text)
    else:
        opts.out.parent.mkdir(parents=True, exist_ok=True)
        opts.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
