"""Benchmark of the network hybrid trained by PPO on ``owmr_10x50``, against ES, its base and fair share.

Run ``python benchmarks/bench_network_sb3.py`` (about 8 minutes: PPO time limit 240 s and ES 60 s
on one process, levels and evaluation around 3 minutes; ``--ppo-seconds``, ``--es-seconds``,
``--seeds`` to change them). Steps:

1. base levels: the repaired echelon base-stock of the network hybrid, fitted on tuning seeds
   1000, 1001 (100 periods); the suite's ``echelon_fair_share``;
2. PPO (:func:`hybridinv.network.sb3_training.train_network_hybrid_sb3`): the per-item shared
   network over the 11 x 50 (location, SKU) pairs, output layer at zero (the base), 100-period
   episodes on paths seeded from 1,000,000, reward relative to the base on the same path,
   validation on seeds 20001 and 20002 every ``--eval-every`` steps, the best validated kept;
3. ES (:func:`hybridinv.network.hybrid_training.train_network_hybrid`), the linear map, same
   validation seeds, ``--es-seconds``;
4. evaluation on seeds 0..k-1 (full 200-period horizon, 20 warm-up): ``avg_cost``,
   ``operating_cost`` (without purchases), fill rate, violations, units rejected at receipt
   per seed, and the paired 95 % t-interval of PPO (best validated) minus each other policy.

Prints a markdown section and writes it to ``benchmarks/out/network_sb3.md``, the PPO model to
``benchmarks/out/network_sb3/``.
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
from hybridinv.network.sb3_training import train_network_hybrid_sb3  # noqa: E402
from hybridinv.network.scenarios import get  # noqa: E402
from hybridinv.rl.es import ESConfig  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def _row(name: str, frame, mine) -> str:  # type: ignore[no-untyped-def]
    cells = [name, f"{frame['avg_cost'].mean():,.0f}", f"{frame['operating_cost'].mean():,.0f}",
             f"{frame['fill_rate'].mean():.3f}", f"{frame['violations'].sum():.0f}",
             f"{frame['overflow_units'].mean():,.1f}"]
    for column in ("avg_cost", "operating_cost"):
        if mine is None:
            cells.append("")
            continue
        diff = paired_difference(mine[column].to_numpy(), frame[column].to_numpy())
        cells.append(f"{diff.mean:,.0f} ± {diff.half_width:,.0f} ({diff.mean / frame[column].mean() * 100:+.2f}%)")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ppo-seconds", type=float, default=240.0)
    parser.add_argument("--es-seconds", type=float, default=60.0)
    parser.add_argument("--eval-every", type=int, default=1_000)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    start = time.perf_counter()
    scenario = get("owmr_10x50")
    levels = repaired_echelon_levels(scenario, tuning_periods=100)
    policies = {"echelon_fair_share": make_policy("echelon_fair_share", scenario, tuning_periods=100),
                "echelon_repair (the base)": repaired_echelon_policy(scenario, levels)}
    fitted = time.perf_counter() - start
    load_start = os.getloadavg()[0]
    ppo, result = train_network_hybrid_sb3(scenario, levels, "ppo", timesteps=10_000_000, time_limit=args.ppo_seconds,
                                           seed=0, periods=100, eval_every=args.eval_every)
    save_network_hybrid(OUT / "network_sb3", ppo, {"training": {"algo": "ppo", "time_limit": args.ppo_seconds,
                                                                "timesteps": result.timesteps, "periods": 100,
                                                                "best": result.best}})
    config = ESConfig(population=10, sigma=0.1, learning_rate=0.05, generations=200, seeds_per_generation=2,
                      eval_every=5, time_limit=args.es_seconds, seed=0)
    es, es_result = train_network_hybrid(scenario, levels, config, periods=100, harm_weight=1.0)
    load_end = os.getloadavg()[0]
    assert result.final is not None
    policies.update({"network hybrid, ES (linear map)": es, "network hybrid, PPO (final policy)": result.final,
                     "network hybrid, PPO (best validated)": ppo})
    seeds = list(range(args.seeds))
    frames = {name: simulate_network(policy, scenario, seeds) for name, policy in policies.items()}
    mine = frames["network hybrid, PPO (best validated)"]
    curve = ", ".join(f"{e['timesteps']:.0f}: {e['relative_cost']:.4f}" for e in result.evaluations)
    lines = [
        "PPO: {steps:,} steps in {sec:.0f} s (time limit {limit:.0f} s, 1 process, load average {l0:.1f} at the "
        "start, {l1:.1f} at the end); validation relative cost by step: {curve}; best at step {best:.0f} "
        "({rel:.4f}). ES: {gens} generations in {es_sec:.0f} s, validation relative cost {es0:.4f} -> "
        "{es1:.4f}. Levels fitted in {fitted:.0f} s. Held-out seeds 0..{last}, 200 periods (20 warm-up); "
        "differences are PPO (best validated) minus the policy, paired over seeds, 95% t-intervals.".format(
            steps=result.timesteps, sec=result.seconds, limit=args.ppo_seconds, l0=load_start, l1=load_end,
            curve=curve, best=result.best["timesteps"], rel=result.best["relative_cost"],
            gens=es_result.generations, es_sec=es_result.seconds, es0=es_result.start["cost"],
            es1=es_result.best["cost"], fitted=fitted, last=args.seeds - 1),
        "",
        "| policy | avg_cost | operating_cost | fill rate | violations | rejected (units/seed) "
        "| PPO - policy, avg_cost | PPO - policy, operating |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [_row(name, frame, None if name.endswith("(best validated)") else mine)
              for name, frame in frames.items()]
    lines += ["", f"total {time.perf_counter() - start:.0f} s", ""]
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "network_sb3.md").write_text(text)
    print("ES weights:", np.round(np.asarray(es.weights), 3).tolist())


if __name__ == "__main__":
    main()
