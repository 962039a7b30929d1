"""Train the shipped pure-RL baselines (PPO and SAC on order quantities) for the quick suite.

Run from the repository root::

    python benchmarks/train_baselines.py                    # every quick-suite scenario without a model
    python benchmarks/train_baselines.py --only multi_10 --algo ppo --force

Pure RL acts on one scenario's SKU count, so each quick-suite scenario needs its own model
(``models/<algo>_<scenario key>``, the name :func:`hybridinv.rl.factories.ppo` looks up; a
held-out variant uses its base scenario's model). Budgets are fixed per algorithm
(``--ppo-steps``, ``--sac-steps``) and multiplied by ``LONG_EPISODE_FACTOR`` for scenarios
of 500 periods or more (the 1,000-period single-SKU one: 60,000 steps would be 60 episodes),
with the training scenario's own horizon and evaluation on seeds 10001-10005 (never the
suite's seeds 0-3).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hybridinv.bench.suites import QUICK  # noqa: E402
from hybridinv.rl.training import TrainConfig, train  # noqa: E402

MODELS = ROOT / "models"
#: Budget multiplier (PPO, SAC) for scenarios with 500 periods or more.
LONG_EPISODE_FACTOR = {"ppo": 5, "sac": 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="One scenario key (e.g. multi_10).")
    parser.add_argument("--algo", choices=["ppo", "sac", "both"], default="both")
    parser.add_argument("--ppo-steps", type=int, default=60_000)
    parser.add_argument("--sac-steps", type=int, default=20_000)
    parser.add_argument("--force", action="store_true", help="Retrain models that exist.")
    args = parser.parse_args()
    algos = ["ppo", "sac"] if args.algo == "both" else [args.algo]
    seen: set[str] = set()
    for spec in QUICK.scenarios:
        scenario = spec.train_scenario()
        if scenario.name in seen or (args.only and scenario.name != args.only):
            continue
        seen.add(scenario.name)
        for algo in algos:
            out = MODELS / f"{algo}_{scenario.name}"
            if (out / "metadata.json").exists() and not args.force:
                print(f"{out.name}: exists")
                continue
            steps = args.ppo_steps if algo == "ppo" else args.sac_steps
            if scenario.periods >= 500:
                steps *= LONG_EPISODE_FACTOR[algo]
            config = TrainConfig(scenario=scenario.name, algo=algo, timesteps=steps,  # type: ignore[arg-type]
                                 eval_every=max(steps // 5, 1), n_steps=1024, batch_size=256)
            start = time.perf_counter()
            result = train(config, out, scenario=scenario, progress=False)
            print(f"{out.name}: {steps} steps in {time.perf_counter() - start:.0f} s, "
                  f"best evaluation cost {result.best['avg_cost']:.2f}")


if __name__ == "__main__":
    main()
