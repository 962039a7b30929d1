"""Benchmark of the network hybrid on ``owmr_10x50``: train by ES, compare on held-out seeds.

Run ``python benchmarks/bench_network_hybrid.py`` (about 10 minutes: ES time limit 7 minutes on
one process; ``--train-seconds`` to change it). Steps:

1. levels, on tuning seeds 1000, 1001 (200 periods), all on the same search: a service level
   above the stores from :data:`GRID` times a shift of the stores' critical-fractile safety
   factors from :data:`STORE_SHIFTS`, minimising ``valued_cost`` (the stock held at the end
   valued at unit cost), for the base — echelon base-stock with the network repair (fast, the
   stores' mean demand as the expected demand of its capacity rows) — and for echelon
   base-stock with fair-share allocation (``WithinLimits``, as the suite's
   ``echelon_fair_share``); the suite's own ``echelon_fair_share`` (service level only,
   ``avg_cost``) and ``installation_base_stock`` as they are registered;
2. ES from zero weights (the base): training paths on seeds ``>= 1,000,000``, validation
   seeds 20001 and 20002, 100-period episodes, the ratio of ``--metric`` (default
   ``cost_above_goods``) to the base's with harm penalty 1;
3. evaluation on seeds 0..9 (full 200-period horizon, 20 warm-up): ``avg_cost``,
   ``valued_cost``, ``cost_above_goods`` (valued cost minus the unit cost of the demand: the
   cost of models without a purchase cost), ``operating_cost`` (without purchases), fill
   rate, violations and units rejected at receipt (capacity overflow) per policy, and the
   paired 95 % t-intervals of the hybrid minus each other policy.

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
from hybridinv.network import EchelonBaseStock, make_policy, simulate_network  # noqa: E402
from hybridinv.network.baselines import fit_levels  # noqa: E402
from hybridinv.network.hybrid import save_network_hybrid  # noqa: E402
from hybridinv.network.hybrid_training import (  # noqa: E402
    repaired_echelon_levels,
    repaired_echelon_policy,
    train_network_hybrid,
)
from hybridinv.network.limits import WithinLimits  # noqa: E402
from hybridinv.network.scenarios import get  # noqa: E402
from hybridinv.rl.es import ESConfig  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
#: Service levels above the stores and shifts of the stores' safety factors searched for every base-stock.
GRID = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98)
STORE_SHIFTS = (-0.5, -0.25, 0.0, 0.25, 0.5)
TUNING = {"metric": "valued_cost", "grid": GRID, "store_shifts": STORE_SHIFTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-seconds", type=float, default=420.0)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--metric", default="cost_above_goods", help="the ES fitness (a ratio to the base's)")
    args = parser.parse_args()
    start = time.perf_counter()
    scenario = get("owmr_10x50")
    network = scenario.network
    levels = repaired_echelon_levels(scenario, **TUNING)
    fair_levels, _ = fit_levels(scenario, lambda lv: WithinLimits(EchelonBaseStock(network, lv), scenario),
                                **TUNING)
    policies = {
        "echelon_fair_share (tuned like the base)": WithinLimits(EchelonBaseStock(network, fair_levels), scenario,
                                                                  "echelon_fair_share_tuned"),
        "echelon_fair_share (suite)": make_policy("echelon_fair_share", scenario),
        "echelon_repair (the base)": repaired_echelon_policy(scenario, levels),
        "installation_base_stock (suite)": make_policy("installation_base_stock", scenario),
    }
    fitted = time.perf_counter() - start
    config = ESConfig(population=10, sigma=0.1, learning_rate=0.05, generations=200, seeds_per_generation=2,
                      eval_every=5, time_limit=args.train_seconds, seed=0)
    hybrid, result = train_network_hybrid(scenario, levels, config, periods=100, harm_weight=1.0,
                                          metric=args.metric)
    trained = time.perf_counter() - start - fitted
    save_network_hybrid(OUT / "network_hybrid", hybrid, {"training": {**config.to_dict(), "periods": 100,
                                                                       "harm_weight": 1.0, "metric": args.metric}})
    policies["network_hybrid"] = hybrid
    seeds = list(range(args.seeds))
    frames = {name: simulate_network(policy, scenario, seeds) for name, policy in policies.items()}
    mine = frames["network_hybrid"]
    lines = [
        "## Network hybrid on owmr_10x50",
        "",
        f"ES: {result.generations} generations in {result.seconds:.0f} s (time limit {args.train_seconds:.0f} s, "
        f"1 process, load average {os.getloadavg()[0]:.1f}); validation relative cost "
        f"{result.start['cost']:.4f} -> {result.best['cost']:.4f} (generation "
        f"{result.best['generation']:.0f}); levels fitted in {fitted:.0f} s. Held-out seeds 0..{args.seeds - 1}.",
        "",
        "| policy | avg_cost | valued_cost | cost_above_goods | operating_cost | fill rate | violations "
        "| rejected at receipt (units/seed) | hybrid - policy, avg_cost (95%) "
        "| hybrid - policy, cost_above_goods (95%) | hybrid - policy, operating (95%) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def versus(frame: object, column: str) -> str:
        d = paired_difference(mine[column].to_numpy(), frame[column].to_numpy())  # type: ignore[index]
        scale = 100.0 / frame[column].mean()  # type: ignore[index]
        return (f"{d.mean:,.0f} ± {d.half_width:,.0f} ({d.mean * scale:+.1f}% "
                f"[{(d.mean - d.half_width) * scale:+.1f}, {(d.mean + d.half_width) * scale:+.1f}])")

    for name, frame in frames.items():
        lines.append(
            f"| {name} | {frame['avg_cost'].mean():,.0f} | {frame['valued_cost'].mean():,.0f} | "
            f"{frame['cost_above_goods'].mean():,.0f} | {frame['operating_cost'].mean():,.0f} | "
            f"{frame['fill_rate'].mean():.3f} | {frame['violations'].sum():.0f} | "
            f"{frame['overflow_units'].mean():,.1f} | {versus(frame, 'avg_cost')} | "
            f"{versus(frame, 'cost_above_goods')} | {versus(frame, 'operating_cost')} |")
    fair = min((n for n in frames if n.startswith("echelon_fair_share")),
               key=lambda n: frames[n]["cost_above_goods"].mean())
    lines += ["", f"Target (>= 5% below the best echelon base-stock with fair share, here `{fair}`): "
              f"cost_above_goods {versus(frames[fair], 'cost_above_goods')}; "
              f"avg_cost {versus(frames[fair], 'avg_cost')}; "
              f"violations {mine['violations'].sum():.0f}."]
    lines += ["", f"trained in {trained:.0f} s; total {time.perf_counter() - start:.0f} s", ""]
    text = "\n".join(lines)
    print(text)
    print("weights:", np.round(np.asarray(hybrid.weights), 3).tolist())
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "network_hybrid.md").write_text(text)


if __name__ == "__main__":
    main()
