"""Does the difference charge carry a SKU's effect on the others? (issue 16.3, ``--credit difference``).

    python benchmarks/bench_difference_charge.py [--scenario multi_50] [--episodes 2] [--window 8] [--sigma 0.368]

No learning: the ``forecast_ss`` base on ``SkuVecEnv(shared="difference")`` with every SKU's four
actions drawn N(0, sigma) (clipped to [-1, 1]; sigma = e^-1 is PPO's initial exploration noise),
episodes seeded 20, 21, ... For every SKU and window the window's mean level action (the first of
the four numbers), the SKU's own cost (valued basis, the per-SKU reward) and its difference charge,
each summed over the window, are regressed on the level action with one intercept per SKU. The
slope of the charge is what the reward now says about raising the level; compare it with the
other SKUs' cost in ``bench_sku_externality.py`` (benchmarks/RESULTS.md, *One SKU's larger
target*). Prints the slopes; writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hybridinv import scenarios  # noqa: E402
from hybridinv.core.errors import ConstraintViolationWarning  # noqa: E402
from hybridinv.envs.sku_vec import SkuVecEnv  # noqa: E402
from hybridinv.rl.sb3_hybrid import hybrid_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="multi_50")
    parser.add_argument("--episodes", type=int, default=2)
    parser.add_argument("--window", type=int, default=8)
    parser.add_argument("--sigma", type=float, default=float(np.exp(-1)))
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConstraintViolationWarning)
    k = args.window
    rows = []
    start = time.perf_counter()
    for episode in range(args.episodes):
        vec = SkuVecEnv([hybrid_env(scenarios.get(args.scenario), "forecast_ss")], shared="difference", window=k)
        vec.seed(20 + episode)
        vec.reset()
        n, periods = vec.num_envs, vec.envs[0].simulator.periods
        rng = np.random.default_rng(100 + episode)
        level, own, charge = [], [], []
        for _ in range(periods):
            action = np.clip(rng.normal(0.0, args.sigma, size=(n, vec.n_actions)), -1, 1).astype(np.float32)
            infos = vec.step(action)[3]
            level.append(action[:, 0])
            own.append([info["cost"] for info in infos])
            charge.append([info["shared_charge"] for info in infos])
        lv, ow, ch = np.array(level), np.array(own), np.array(charge)
        for s in range(0, periods // k * k, k):
            rows += [(i, lv[s:s + k, i].mean(), ow[s:s + k, i].sum(), ch[s:s + k, i].sum()) for i in range(n)]
        print(f"episode {episode}: {time.perf_counter() - start:.0f} s; per SKU-period: charge mean {ch.mean():+.1f} "
              f"sd {ch.std():.1f}, own cost mean {ow.mean():.1f} sd {ow.std():.1f}", flush=True)
    table = np.array(rows)
    sku = table[:, 0].astype(int)
    counts = np.bincount(sku)

    def within(x: np.ndarray) -> np.ndarray:  # minus the SKU's mean: one intercept per SKU
        return x - (np.bincount(sku, weights=x) / counts)[sku]

    x = within(table[:, 1])
    print(f"| reward part | slope per unit of level action, per window of {k} periods (se) | "
          "per period for +0.15 | residual sd per window |")
    print("|---|---|---:|---:|")
    for name, y in (("own cost", table[:, 2]), ("difference charge", table[:, 3]),
                    ("own cost + charge", table[:, 2] + table[:, 3])):
        y = within(y)
        slope = float(x @ y / (x @ x))
        residual = y - slope * x
        se = float(np.sqrt(residual @ residual / (len(y) - counts.size - 1) / (x @ x)))
        print(f"| {name} | {slope:+.1f} ({se:.1f}) | {slope * 0.15 / k:+.2f} | {residual.std():.1f} |")
    print(f"n = {len(x)} SKU-windows")


if __name__ == "__main__":
    main()
