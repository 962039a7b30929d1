"""PPO and SAC on the shipped default's parameterization, against the ES-trained default (issue 16.3).

    python benchmarks/bench_sb3_hybrid.py [--time-limit 900] [--learners ppo sac es] [--eval-interval 150]
        [--credit sku|priced|difference] [--credit-window K] [--n-steps N] [--batch-size B] [--n-epochs E]
        [--learning-rate R] [--clip-range C] [--timesteps T] [--eval-every S] [--out DIR]

Trains the SKU-shared network map of the ``forecast_ss`` parameterization (the shipped
default's 15 per-SKU features in, its 4 bounded corrections out, the forecast-driven (s, S)
base's repair places the orders) on ``multi_50`` with each learner in turn, one process each,
under a wall-clock limit (evaluations included), evaluating every ``--eval-interval`` seconds
on the training evaluation seeds (10001-10005). Then compares on the held-out seeds 100-109
(common random numbers, paired 95% t-intervals of the cost per period): each trained model
against ``models/hybrid_default`` (ES) and against the base of each (zero corrections).
``es`` trains the shipped default's own form (the linear map, ``train_adaptive``, one worker)
on the same base, scenario and wall-clock limit: the learner comparison at an equal budget.
``--credit sku`` trains PPO/SAC on every SKU as its own environment rewarded with its own cost
(:class:`hybridinv.envs.sku_vec.SkuVecEnv`); the PPO options then count per SKU environment.
``--credit priced`` adds each SKU's use of the warehouse and budget at the repair's prices to its cost,
``--credit difference`` its effect on the other SKUs' cost (a difference reward, measured on copies of the
catalog made every ``--credit-window`` periods, with the SKU at the base's action).
``--timesteps T`` bounds PPO/SAC by steps (SKU-steps with a per-SKU credit) instead of the wall clock (no time
limit unless ``--time-limit`` is given too; ES keeps its time limit, 900 s by default), so the machine's load does
not change what is learned; ``--eval-every S`` evaluates every ``S`` steps instead of every ``--eval-interval``
seconds (150 by default when neither is given).
Writes benchmarks/out/sb3_hybrid/ (``sb3_hybrid_sku/``, ``sb3_hybrid_priced/``, ``sb3_hybrid_difference/`` with
``--credit sku``, ``priced``, ``difference``; or ``--out``: models, curves, summary.json, summary.md); it does not
touch benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hybridinv import scenarios, simulate  # noqa: E402
from hybridinv.bench.stats import paired_difference  # noqa: E402
from hybridinv.core.errors import ConstraintViolationWarning  # noqa: E402
from hybridinv.policies.forecast_ss import ForecastSS  # noqa: E402
from hybridinv.rl import Hybrid  # noqa: E402
from hybridinv.rl.adaptive import train_adaptive  # noqa: E402
from hybridinv.rl.es import ESConfig  # noqa: E402
from hybridinv.rl.training import TrainConfig, train  # noqa: E402

HELD_OUT = list(range(100, 110))
OUT = ROOT / "benchmarks" / "out" / "sb3_hybrid"


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _costs(policy: Any, scenario: Any) -> tuple[np.ndarray, float]:
    frame = simulate(policy, scenario, seeds=HELD_OUT)
    return frame["avg_cost"].to_numpy(), float(frame["fill_rate"].mean())


def _label(learner: str) -> str:
    return "ES linear (forecast_ss, same base)" if learner == "es" else f"{learner.upper()} network (forecast_ss)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="multi_50")
    parser.add_argument("--learners", nargs="+", default=["ppo", "sac", "es"], choices=["ppo", "sac", "es"])
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--eval-interval", type=float, default=None)
    parser.add_argument("--timesteps", type=int, default=None)
    parser.add_argument("--eval-every", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--curriculum", action="store_true")
    parser.add_argument("--randomize", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--credit", choices=["catalog", "sku", "priced", "difference"], default="catalog")
    parser.add_argument("--credit-window", type=int, default=None)
    defaults = TrainConfig()
    for name in ("n_steps", "batch_size", "n_epochs"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    for name in ("learning_rate", "clip_range"):
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(defaults, name))
    args = parser.parse_args()
    time_limit = args.time_limit if args.time_limit is not None or args.timesteps else 900.0
    eval_interval = args.eval_interval if args.eval_interval is not None or args.eval_every else 150.0
    out = args.out or (OUT if args.credit == "catalog" else OUT.with_name(f"{OUT.name}_{args.credit}"))
    warnings.simplefilter("ignore", ConstraintViolationWarning)
    out.mkdir(parents=True, exist_ok=True)
    scenario = scenarios.get(args.scenario)
    summary: dict[str, Any] = {"scenario": args.scenario, "time_limit": time_limit, "held_out": HELD_OUT,
                               "timesteps": args.timesteps, "eval_every": args.eval_every,
                               "eval_interval": eval_interval, "curriculum": args.curriculum,
                               "randomize": args.randomize, "credit": args.credit,
                               "credit_window": args.credit_window,
                               "ppo": {name: getattr(args, name) for name in
                                       ("n_steps", "batch_size", "n_epochs", "learning_rate", "clip_range")},
                               "runs": {}}
    trained: dict[str, Hybrid] = {}
    for learner in args.learners:
        if learner == "es":
            load_before = _load()
            start = time.perf_counter()
            es = ESConfig(generations=100_000, time_limit=time_limit or 900.0, learning_rate=0.03, eval_every=5,
                          eval_seeds=tuple(range(10_001, 10_006)), seed=args.seed)
            agent, es_result = train_adaptive(scenario, out / "es", es, base=ForecastSS().options(), workers=1,
                                              scenario_name=args.scenario)
            seconds = time.perf_counter() - start
            curve = [{"seconds": e["seconds"], "generation": e["generation"], "eval_cost": e["avg_cost"]}
                     for e in es_result.history]
            summary["runs"][learner] = {"seconds": round(seconds, 1), "load_before": load_before,
                                        "load_after": _load(), "curve": curve, "best": es_result.best}
            trained[learner] = agent
            print(learner, f"{seconds:.0f} s", json.dumps(curve), flush=True)
            continue
        config = TrainConfig(scenario=args.scenario, algo="hybrid", parameterization="forecast_ss",  # type: ignore[arg-type]
                             learner=learner, timesteps=args.timesteps or 50_000_000, time_limit=time_limit,
                             eval_every=args.eval_every, eval_interval=eval_interval, seed=args.seed,
                             curriculum=args.curriculum, randomize=args.randomize, credit=args.credit,
                             credit_window=args.credit_window,
                             n_steps=args.n_steps, batch_size=args.batch_size, n_epochs=args.n_epochs,
                             learning_rate=args.learning_rate, clip_range=args.clip_range)
        load_before = _load()
        start = time.perf_counter()
        result = train(config, out / learner, progress=False)
        seconds = time.perf_counter() - start
        curve = [{"seconds": e["seconds"], "timesteps": e["timesteps"], "eval_cost": e["avg_cost"],
                  "fill_rate": e["fill_rate"]} for e in result.evaluations]
        summary["runs"][learner] = {"seconds": round(seconds, 1), "load_before": load_before, "load_after": _load(),
                                    "curve": curve, "best": result.best}
        trained[learner] = result.policy
        print(learner, f"{seconds:.0f} s", json.dumps(curve), flush=True)
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
    default = Hybrid.load("hybrid_default")
    assert default.base is not None
    policies: dict[str, Any] = {
        "hybrid_default (ES)": default,
        "base of the PPO/SAC maps (ForecastSS defaults, zero corrections)": ForecastSS(repair="fast"),
        "base of hybrid_default (zero corrections)": ForecastSS.from_options(default.base.options()),
        **{_label(learner): agent for learner, agent in trained.items()},
    }
    costs = {}
    rows = []
    for name, policy in policies.items():
        costs[name], fill = _costs(policy, scenario)
        rows.append({"policy": name, "cost": float(costs[name].mean()), "fill_rate": fill})
    summary["default_model"] = default.metadata.get("name")
    summary["held_out_results"] = rows
    comparisons = {}
    for learner in trained:
        mine = costs[_label(learner)]
        for ref in ("hybrid_default (ES)", "base of the PPO/SAC maps (ForecastSS defaults, zero corrections)"):
            diff = paired_difference(mine, costs[ref])
            comparisons[f"{learner} - {ref}"] = [diff.mean, diff.mean - diff.half_width, diff.mean + diff.half_width]
    summary["paired_differences"] = comparisons
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    lines = ["| policy | held-out cost | fill rate |", "|---|---:|---:|"]
    lines += [f"| {r['policy']} | {r['cost']:,.0f} | {r['fill_rate']:.3f} |" for r in rows]
    lines += ["", "| difference | mean [95% CI] |", "|---|---|"]
    lines += [f"| {k} | {v[0]:+,.0f} [{v[1]:+,.0f}, {v[2]:+,.0f}] |" for k, v in comparisons.items()]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
