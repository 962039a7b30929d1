"""Benchmark of the network hybrid on ``owmr_10x50``: train by ES, compare on held-out seeds.

Run ``python benchmarks/bench_network_hybrid.py`` (about 10 minutes: ES time limit 7 minutes on
one process; ``--train-seconds`` to change it). Steps:

1. base levels: echelon base-stock with the network repair (fast, the stores' mean demand as
   the expected demand of its capacity rows), fitted on tuning seeds 1000, 1001 (100 periods);
   the suite's ``echelon_fair_share`` and ``installation_base_stock``;
2. ES from zero weights (the base): training paths on seeds ``>= 1,000,000``, validation
   seeds 20001 and 20002, 100-period episodes, relative cost with harm penalty 1;
3. evaluation on seeds 0..9 (full 200-period horizon, 20 warm-up): ``avg_cost``,
   ``operating_cost`` (without purchases), fill rate, violations and units rejected at receipt
   (capacity overflow) per policy, and the paired 95 % t-interval of the hybrid minus each
   other policy.

Prints a markdown section, writes it to ``benchmarks/out/network_hybrid.md`` and the model to
``benchmarks/out/network_hybrid/``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from hybridinv.bench.stats import paired_difference  # noqa: E402
from hybridinv.network import make_policy, simulate_network  # noqa: E402
from hybridinv.network.hybrid import save_network_hybrid  # noqa: E402
from hybridinv.network.hybrid_training import (  # noqa: E402
    repaired_echelon_levels,
    repaired_echelon_policy,
    train_network_hybrid,
)
from hybridinv.network.scenarios import get  # noqa: E402
from hybridinv.rl.es import ESConfig  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-seconds", type=float, default=420.0)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    start = time.perf_counter()
    scenario = get("owmr_10x50")
    levels = repaired_echelon_levels(scenario, tuning_periods=100)
    policies = {
        "echelon_fair_share": make_policy("echelon_fair_share", scenario),
        "echelon_repair": repaired_echelon_policy(scenario, levels),
        "installation_base_stock": make_policy("installation_base_stock", scenario),
    }
    fitted = time.perf_counter() - start
    config = ESConfig(population=10, sigma=0.1, learning_rate=0.05, generations=200, seeds_per_generation=2,
                      eval_every=5, time_limit=args.train_seconds, seed=0)
    hybrid, result = train_network_hybrid(scenario, levels, config, periods=100, harm_weight=1.0)
    trained = time.perf_counter() - start - fitted
    save_network_hybrid(OUT / "network_hybrid", hybrid, {"training": {**config.to_dict(), "periods": 100,
                                                                       "harm_weight": 1.0}})
    policies["network_hybrid"] = hybrid
    seeds = list(range(args.seeds))
    frames = {name: simulate_network(policy, scenario, seeds) for name, policy in policies.items()}
    mine = frames["network_hybrid"]
    lines = [
        "## Network hybrid on owmr_10x50",
        "",
        f"ES: {result.generations} generations in {result.seconds:.0f} s (time limit {args.train_seconds:.0f} s, "
        f"1 process, load average {os.getloadavg()[0]:.1f}); validation relative cost "
        f"{result.start['avg_cost']:.4f} -> {result.best['avg_cost']:.4f} (generation "
        f"{result.best['generation']:.0f}); levels fitted in {fitted:.0f} s. Held-out seeds 0..{args.seeds - 1}.",
        "",
        "| policy | avg_cost | operating_cost | fill rate | violations | rejected at receipt (units/seed) "
        "| hybrid - policy, avg_cost (95%) | hybrid - policy, operating (95%) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, frame in frames.items():
        avg = paired_difference(mine["avg_cost"].to_numpy(), frame["avg_cost"].to_numpy())
        op = paired_difference(mine["operating_cost"].to_numpy(), frame["operating_cost"].to_numpy())
        d_avg, h_avg, d_op, h_op = avg.mean, avg.half_width, op.mean, op.half_width
        rel_avg = d_avg / frame["avg_cost"].mean() * 100
        rel_op = d_op / frame["operating_cost"].mean() * 100
        lines.append(
            f"| {name} | {frame['avg_cost'].mean():,.0f} | {frame['operating_cost'].mean():,.0f} | "
            f"{frame['fill_rate'].mean():.3f} | {frame['violations'].sum():.0f} | "
            f"{frame['overflow_units'].mean():,.1f} | "
            f"{d_avg:,.0f} ± {h_avg:,.0f} ({rel_avg:+.1f}%) | {d_op:,.0f} ± {h_op:,.0f} ({rel_op:+.1f}%) |")
    lines += ["", f"trained in {trained:.0f} s; total {time.perf_counter() - start:.0f} s", ""]
    text = "\n".join(lines)
    print(text)
    print("weights:", np.round(np.asarray(hybrid.weights), 3).tolist())
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "network_hybrid.md").write_text(text)


if __name__ == "__main__":
    main()
