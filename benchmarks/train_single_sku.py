"""Train the shipped single-SKU hybrid models: one linear ES model per (p, L) instance.

Run from the repository root::

    python benchmarks/train_single_sku.py                 # all 16 instances, ~15 min on one core
    python benchmarks/train_single_sku.py --only p9_L3    # one instance

For each instance (lost sales, Poisson mean 5, h = 1, p in {4, 9, 19, 39}, L in {1..4}):

1. the start point is the ``(S, r, weights)`` with the lowest *simulated* cost on a grid of
   levels, caps and three weight ramps (all ones = capped base-stock); all grid points are
   simulated as columns of one run (common random numbers);
2. evolution strategies (:func:`hybridinv.rl.linear.train_linear`) search the level, cap
   and the weights of the stock-by-arrival slots on simulated costs only;
3. the trained policy's *exact* average cost (:func:`hybridinv.exact.lost_sales_policy_cost`)
   and the exact optimum are stored in the model's metadata for the record; they play no
   part in training.

Writes ``models/single_sku/p<p>_L<L>``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hybridinv import scenarios  # noqa: E402
from hybridinv.exact import best_base_stock, lost_sales_optimal, lost_sales_policy_cost  # noqa: E402
from hybridinv.rl.es import ESConfig  # noqa: E402
from hybridinv.rl.linear import LinearHybrid, tiled_costs, train_linear  # noqa: E402
from hybridinv.rl.variants import GRID_LEAD_TIMES, GRID_SHORTAGE_COSTS  # noqa: E402

MEAN = 5.0
CONFIG = ESConfig(
    population=100,
    sigma=0.1,
    learning_rate=0.05,
    generations=300,
    seeds_per_generation=8,
    eval_every=10,
    eval_seeds=tuple(range(10_001, 10_017)),
    seed=0,
)
PERIODS = 2000


def ramp(discount: float, slots: int) -> np.ndarray:
    """Weights rising linearly from ``discount`` (stock usable now) to 1 (the latest slot)."""
    return discount + (1.0 - discount) * np.arange(slots) / max(slots - 1, 1)


def start_point(scenario: scenarios.Scenario, lead: int, shortage: float) -> tuple[float, float, np.ndarray]:
    """Start ``(S, r, weights)`` with the lowest *simulated* cost on a grid.

    Levels around the best base-stock level, caps 3..12 and weight ramps from 1 (capped
    base-stock) down to 0.6 on the stock usable now; every grid point is a column of one
    simulation (common random numbers).
    """
    slots = max(lead, 1)
    level, _ = best_base_stock(MEAN, lead, 1.0, shortage, lost_sales=True)
    discounts = np.array([1.0, 0.8, 0.6])
    grid_s, grid_r, grid_d = (
        g.ravel() for g in np.meshgrid(np.arange(level - 10, level + 3.0), np.arange(3.0, 13.0), discounts)
    )
    weights = np.stack([ramp(d, slots) for d in grid_d])
    population = LinearHybrid(grid_s / MEAN, grid_r / MEAN, weights)
    costs = tiled_costs(scenario, range(20_001, 20_009), population, PERIODS)
    best = int(np.argmin(costs))
    return float(grid_s[best]), float(grid_r[best]), weights[best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="one instance, e.g. p9_L3")
    parser.add_argument("--out", default=str(ROOT / "models" / "single_sku"))
    parser.add_argument("--seed", type=int, default=CONFIG.seed)
    parser.add_argument("--sigma", type=float, default=CONFIG.sigma)
    parser.add_argument("--learning-rate", type=float, default=CONFIG.learning_rate)
    parser.add_argument("--generations", type=int, default=CONFIG.generations)
    args = parser.parse_args()
    config = dataclasses.replace(
        CONFIG, seed=args.seed, sigma=args.sigma, learning_rate=args.learning_rate, generations=args.generations
    )
    for shortage in GRID_SHORTAGE_COSTS:
        for lead in GRID_LEAD_TIMES:
            name = f"p{shortage:g}_L{lead}"
            if args.only and args.only != name:
                continue
            begin = time.perf_counter()
            scenario = scenarios.single_sku(
                mean=MEAN, lead_time=lead, holding_cost=1.0, shortage_cost=shortage, periods=PERIODS, warmup=50
            )
            level, cap, weights = start_point(scenario, lead, shortage)
            optimum = lost_sales_optimal(MEAN, lead, 1.0, shortage).average_cost

            def exact(
                policy: LinearHybrid, lead: int = lead, shortage: float = shortage, optimum: float = optimum
            ) -> dict[str, float]:
                cost = lost_sales_policy_cost(policy.state_policy(MEAN), MEAN, lead, 1.0, shortage).average_cost
                return {"exact_avg_cost": cost, "exact_optimum": optimum, "exact_gap_pct": 100 * (cost / optimum - 1)}

            policy, result = train_linear(
                scenario, Path(args.out) / name, config, level, cap, periods=PERIODS, weights=weights, evaluate=exact
            )
            gap = policy.metadata["evaluation"]["exact_gap_pct"]
            print(
                f"{name}: start (S={level:g}, r={cap:g}, w={np.round(weights, 2).tolist()}); "
                f"{result.generations} generations in "
                f"{time.perf_counter() - begin:.0f} s; exact gap {gap:.2f}%; {policy!r}",
                flush=True,
            )


if __name__ == "__main__":
    main()
