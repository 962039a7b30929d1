"""Benchmark of plan_network: one network period, 10 stores x 1,000 SKUs, end to end from frames.

Run ``python benchmarks/bench_network_plan.py`` (about 30 s; ``--quick``: 2 seeds). Each seed
draws :func:`hybridinv.network.repair_instances.network_instance` (one warehouse, 10 stores,
capacities and budget at 70 % of what echelon base-stock targets need, lot sizes 1-6, a MOQ on
half the SKUs) and writes it as the planner's tables: ``locations``, a state of 11,000 rows,
the catalog and a forecast of 10,000 rows. The time is that of one
:func:`hybridinv.plan_network` call on those frames (validation, levels from the forecast,
the policy, the network repair, the output frame with its reasons), median of the repeats,
per backend. Prints a markdown section and writes it to ``benchmarks/out/network_plan.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from benchmarks._report import median_time, write_markdown  # noqa: E402
from hybridinv import plan_network  # noqa: E402
from hybridinv.network.repair_instances import network_instance  # noqa: E402

TARGET_SECONDS = 1.0
OUT = ROOT / "benchmarks" / "out" / "network_plan.md"


def frames(n_stores: int, n_skus: int, seed: int) -> dict[str, object]:
    """The planner's tables of one seeded instance (and its budget)."""
    inst = network_instance(n_stores, n_skus, seed)
    net, obs, costs, rules = inst.network, inst.observation, inst.costs, inst.rules
    skus = [f"SKU{j:05d}" for j in range(n_skus)]
    n_loc = net.n_locations
    state = pd.DataFrame({"location": np.repeat(net.names, n_skus), "sku": np.tile(skus, n_loc),
                          "on_hand": obs.on_hand.reshape(-1)})
    for k in range(obs.pipeline.shape[2]):
        state[f"pipeline_{k}"] = obs.pipeline[..., k].reshape(-1)
    catalog = pd.DataFrame({"sku": skus, "unit_cost": costs.unit_cost, "holding_cost": costs.holding_cost[1],
                            "shortage_cost": costs.shortage_cost[1], "volume": costs.volume,
                            "moq": rules.moq, "lot_size": rules.lot_size})
    stores = [net.names[s] for s in net.stores]
    mean = inst.expected_demand
    forecast = pd.DataFrame({"location": np.repeat(stores, n_skus), "sku": np.tile(skus, len(stores)),
                             "mean": mean.reshape(-1), "std": np.sqrt(mean).reshape(-1)})
    return {"locations": net.to_frame(), "state": state, "catalog": catalog, "forecast": forecast,
            "budget": net.budget}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds")
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    seeds = range(2) if args.quick else range(5)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"## plan_network: one period, {args.stores} stores x {args.skus:,} SKUs, end to end",
        "",
        f"`python benchmarks/bench_network_plan.py{' --quick' if args.quick else ''}`; load average {load:.1f} at "
        f"the start; Python {platform.python_version()}. One call of `hybridinv.plan_network` on the frames "
        "(validation, echelon levels from the forecast, policy, network repair, output with reasons), median of "
        f"{args.repeats}; capacities and budget at 70 % of what base-stock targets need.",
        "",
        "| seed | backend | total (median) | of which repair | repair status | gap | violations |",
        "|---|---|---|---|---|---|---|",
    ]
    totals: dict[str, list[float]] = {"fast": [], "auto": []}
    for seed in seeds:
        f = frames(args.stores, args.skus, seed)
        for backend in totals:
            total, out = median_time(
                lambda: plan_network(f["locations"], f["state"], f["catalog"], budget=f["budget"],  # type: ignore[arg-type]  # noqa: B023
                                     forecast=f["forecast"], backend=backend),  # type: ignore[arg-type]  # noqa: B023
                args.repeats)
            diag = out.attrs["diagnostics"]
            totals[backend].append(total)
            lines.append(f"| {seed} | {backend} | {total * 1000:.0f} ms | {diag['repair_seconds'] * 1000:.0f} ms | "
                         f"{diag['status']} | {diag['gap']:.4%} | {len(diag['violations'])} |")
            print(lines[-1], flush=True)
    lines.append("")
    for backend, values in totals.items():
        worst = max(values)
        lines.append(f"`{backend}`: median {statistics.median(values) * 1000:.0f} ms, worst {worst * 1000:.0f} ms per "
                     f"period (target <= {TARGET_SECONDS:g} s: {'met' if worst <= TARGET_SECONDS else 'NOT met'}).")
    return write_markdown(OUT, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
