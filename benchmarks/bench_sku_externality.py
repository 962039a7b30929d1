"""What one SKU's larger target does to its own cost and to the other SKUs' (issue 16.3, per-SKU credit).

    python benchmarks/bench_sku_externality.py [--scenario multi_50] [--skus 12] [--seeds 10] [--shift 0.15]

Per-SKU PPO (``--credit sku``) rewards each SKU with its own cost. Whether that reward leads the
shared policy astray on a catalog whose SKUs share a warehouse and a budget is measured here
directly, without learning: the ``forecast_ss`` base (the shipped default's parameterization,
zero corrections) is simulated on the evaluation seeds 10001... and then again, on the same
seeds (common random numbers), with **one** SKU's level action (the first of the four numbers in
[-1, 1] the learners emit) raised by ``--shift``: its level-multiplier output ``a0`` becomes
``shift`` times the output bound (0.3), its forecast level ``e^a0`` times the base's. For a
sample of SKUs the table gives the change of that SKU's own cost (on the valued basis the
per-SKU reward uses, and on the purchase basis) and of the other SKUs' cost, with paired 95%
intervals over the seeds. A second table raises (and lowers) every SKU's level at once, with the
scenario's warehouse and budget and without them.
Writes the ``sku_externality`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._report import machine, update_results  # noqa: E402
from hybridinv import scenarios  # noqa: E402
from hybridinv.bench.stats import paired_difference  # noqa: E402
from hybridinv.core.errors import ConstraintViolationWarning  # noqa: E402
from hybridinv.rl.sb3_hybrid import hybrid_env  # noqa: E402
from hybridinv.sim.scenario import Scenario  # noqa: E402

FIRST_SEED = 10_001


def per_sku_costs(scenario: Scenario, actions: np.ndarray, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Cost per period of every SKU on every seed, valued and purchase basis: two arrays (seeds, n)."""
    valued, purchase = [], []
    for seed in seeds:
        env = hybrid_env(scenario, "forecast_ss")
        env.per_sku_costs = True
        env.reset(seed=seed)
        done = False
        while not done:
            _, _, terminated, truncated, _ = env.step(actions.reshape(-1))
            done = terminated or truncated
        ledger = env.simulator.ledger
        assert ledger.sku_valued_costs is not None and ledger.sku_costs is not None
        valued.append(ledger.sku_valued_costs.mean(axis=0))
        purchase.append(ledger.sku_costs.mean(axis=0))
    return np.array(valued), np.array(purchase)


def interval(after: np.ndarray, before: np.ndarray) -> str:
    d = paired_difference(after, before)
    return f"{d.mean:+.1f} [{d.mean - d.half_width:+.1f}, {d.mean + d.half_width:+.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="multi_50")
    parser.add_argument("--skus", type=int, default=12, help="SKUs sampled (seeded) for the one-SKU table")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--shift", type=float, default=0.15, help="the level action of the SKU(s) raised")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConstraintViolationWarning)
    scenario = scenarios.get(args.scenario)
    n = scenario.n_skus
    seeds = list(range(FIRST_SEED, FIRST_SEED + args.seeds))
    env = hybrid_env(scenario, "forecast_ss")
    zero = np.zeros((n, env.n_actions), dtype=np.float32)

    def level_output(shift: float) -> float:
        """The output ``a0`` of a level action ``shift`` (the output bounds map the action to it; level x e^a0)."""
        return float(env.outputs(np.full_like(zero, shift))[0, 0])

    valued0, purchase0 = per_sku_costs(scenario, zero, seeds)
    sample = np.sort(np.random.default_rng(0).choice(n, min(args.skus, n), replace=False))
    lines = [
        f"`python benchmarks/bench_sku_externality.py --scenario {args.scenario} --skus {args.skus} "
        f"--seeds {args.seeds} --shift {args.shift}`; {machine()}.",
        "",
        f"The `forecast_ss` base on `{args.scenario}` (zero corrections) against the same with SKU i's level "
        f"action raised by {args.shift} (output a0 = {level_output(args.shift):.3f}: its level x "
        f"{math.exp(level_output(args.shift)):.3f}), seeds "
        f"{seeds[0]}-{seeds[-1]} (common random numbers); cost per period, paired 95% intervals over the seeds.",
        "",
        "| SKU | own cost, valued basis (the per-SKU reward) | own cost, purchase basis | the other SKUs' cost |",
        "|---|---:|---:|---:|",
    ]
    own_valued, others = [], []
    for i in sample:
        actions = zero.copy()
        actions[i, 0] = args.shift
        valued, purchase = per_sku_costs(scenario, actions, seeds)
        rest, rest0 = purchase.sum(axis=1) - purchase[:, i], purchase0.sum(axis=1) - purchase0[:, i]
        own_valued.append(float((valued[:, i] - valued0[:, i]).mean()))
        others.append(float((rest - rest0).mean()))
        lines.append(f"| {scenario.catalog.sku[i]} | {interval(valued[:, i], valued0[:, i])} | "
                     f"{interval(purchase[:, i], purchase0[:, i])} | {interval(rest, rest0)} |")
        print(lines[-1], flush=True)
    falls = sum(v < 0 for v in own_valued)
    lines += [
        "",
        f"Mean over the {len(sample)} SKUs: own cost (valued) {np.mean(own_valued):+.1f}, the others' "
        f"{np.mean(others):+.1f}; the own cost falls for {falls} of {len(sample)} SKUs, and for "
        f"{sum(v < 0 and o > 0 for v, o in zip(own_valued, others, strict=True))} of those the others' cost rises.",
        "",
        "Every SKU's level raised at once (the catalog's cost per period):",
        "",
        "| level actions | with the warehouse and budget | without them |",
        "|---|---:|---:|",
    ]
    free = scenario.replace(constraints=replace(scenario.constraints, capacity=math.inf, budget=math.inf))
    totals = {}
    for name, sc in (("limits", scenario), ("free", free)):
        # the base with the limits was simulated above
        base = (purchase0 if sc is scenario else per_sku_costs(sc, zero, seeds)[1]).sum(axis=1)
        for shift in (args.shift, -args.shift):
            actions = zero.copy()
            actions[:, 0] = shift
            totals[name, shift] = interval(per_sku_costs(sc, actions, seeds)[1].sum(axis=1), base)
    for shift in (args.shift, -args.shift):
        lines.append(f"| {shift:+g} for every SKU (level x {math.exp(level_output(shift)):.3f}) | "
                     f"{totals['limits', shift]} | {totals['free', shift]} |")
    update_results("sku_externality", "### One SKU's larger target: its own cost and the others'\n\n"
                   + "\n".join(lines) + "\n")
    print("\n".join(lines[-4:]))


if __name__ == "__main__":
    main()
