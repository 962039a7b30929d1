"""The hybrid trained to KPI targets and on a leash to an incumbent (hybridinv.rl.objective).

    python benchmarks/bench_objective.py [--scenario disrupted] [--time-limit 120] [--workers 2] [--part all]

(1) Cost vs fill rate: the adaptive hybrid trained by ES for the plain cost and for fill-rate
    targets above what cost-only training reaches (Lagrangian multipliers, feasible-first
    selection), next to base-stock tuned to the same targets by ``enforce_targets`` (bisection
    of the shortage weight) and by ``tune`` (Optuna TPE, 20 trials on 5 seeds), and the
    registered base-stock fit. Held-out seeds 100-109, common random numbers; the Pareto front
    of all rows.
(2) Safe RL: the hybrid trained with the incumbent penalty against base-stock for several
    deviation weights: held-out cost against mean deviation of its orders from the
    incumbent's (in units of mean demand per SKU-period) — the trade-off curve.
Every training starts from the base policy (zero weights) with the same ES seed and time limit.
Writes the ``objective`` section of benchmarks/RESULTS.md; each part's table is kept in
benchmarks/out/objective_<part>.md so ``--part targets`` or ``--part leash`` reruns one of them.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._report import OUT, machine, update_results  # noqa: E402
from hybridinv import scenarios  # noqa: E402
from hybridinv.core.errors import ConstraintViolationWarning  # noqa: E402
from hybridinv.reward import enforce_targets  # noqa: E402
from hybridinv.reward.enforce import critical_ratio, policy_family  # noqa: E402
from hybridinv.reward.evaluate import confidence_interval  # noqa: E402
from hybridinv.reward.tune import tune  # noqa: E402
from hybridinv.rl.adaptive import train_adaptive  # noqa: E402
from hybridinv.rl.es import ESConfig  # noqa: E402
from hybridinv.rl.objective import TrainingObjective  # noqa: E402

HELD_OUT = list(range(100, 110))
TARGETS = (None, "fill_rate>=0.99", "fill_rate>=0.995")
WEIGHTS = (0.0, 0.1, 1.0, 10.0)
INCUMBENT = "base_stock"


def _held_out(policy: object, scenario: object, incumbent: str | None = None) -> dict[str, str | float]:
    """Mean cost, fill rate (95% CI inside [0, 1]) and deviation from ``incumbent`` on the held-out seeds."""
    judge = TrainingObjective(targets=["fill_rate>=0"], incumbent=incumbent)
    values = np.array([judge.measure(policy, scenario, seed) for seed in HELD_OUT])  # type: ignore[arg-type]
    cost = confidence_interval(values[:, 0])
    fill = confidence_interval(values[:, 1], bounds=(0.0, 1.0))
    return {"cost": cost[0], "cost_ci": f"[{cost[1]:,.1f}, {cost[2]:,.1f}]", "fill": fill[0],
            "fill_ci": f"[{fill[1]:.4f}, {fill[2]:.4f}]", "deviation": float(values[:, -1].mean())}


def _train(scenario: object, objective: TrainingObjective | None, args: argparse.Namespace) -> tuple[object, float]:
    config = ESConfig(population=8, sigma=0.1, learning_rate=0.05, generations=10_000, seeds_per_generation=2,
                      eval_every=3, eval_seeds=(10_001, 10_002, 10_003), time_limit=args.time_limit, seed=0)
    start = time.perf_counter()
    policy, _ = train_adaptive(scenario, None, config, workers=args.workers, objective=objective)
    return policy, time.perf_counter() - start


def _pareto(points: list[tuple[float, float]]) -> list[bool]:
    """Not dominated: no other point has a fill rate at least as high and a cost at most as low (one strictly)."""
    return [not any(f2 >= f and c2 <= c and (f2 > f or c2 < c) for f2, c2 in points) for f, c in points]


def targets_table(scenario: object, args: argparse.Namespace) -> str:
    rows: list[tuple[str, str, dict[str, str | float]]] = []
    for target in TARGETS:
        objective = TrainingObjective(targets=[target] if target else [])
        policy, seconds = _train(scenario, objective, args)
        rows.append((f"hybrid (ES, {seconds:.0f} s)", target or "cost only", _held_out(policy, scenario)))
        if target:
            classical = enforce_targets(scenario, [target], policy="base_stock", train_seeds=8)  # type: ignore[arg-type]
            rows.append(("base-stock (enforce_targets)", target, _held_out(classical.policy, scenario)))
            tuned = tune(scenario.name, [target], policy="base_stock", trials=20, seeds=5)  # type: ignore[attr-defined]
            level = critical_ratio(scenario.catalog, tuned.spec)  # type: ignore[attr-defined]
            rows.append(("base-stock (tune, Optuna)", target,
                         _held_out(policy_family("base_stock", scenario)(level), scenario)))  # type: ignore[arg-type]
    from hybridinv.policies.registry import make

    rows.append(("base-stock (registered fit)", "cost (critical fractile)",
                 _held_out(make("base_stock", scenario), scenario)))  # type: ignore[arg-type]
    front = _pareto([(float(r[2]["fill"]), float(r[2]["cost"])) for r in rows])
    lines = ["| policy | trained for | held-out cost [95% CI] | held-out fill rate [95% CI] | target met | "
             "on the Pareto front |", "|---|---|---|---|---|---|"]
    for (name, target, kpis), best in zip(rows, front, strict=True):
        level = float(target.split(">=")[1]) if ">=" in target else None
        met = "—" if level is None else ("yes" if float(kpis["fill"]) >= level else "**no**")
        lines.append(f"| {name} | {target} | {kpis['cost']:,.1f} {kpis['cost_ci']} | {kpis['fill']:.4f} "
                     f"{kpis['fill_ci']} | {met} | {'yes' if best else ''} |")
    return "\n".join(lines)


def leash_table(scenario: object, args: argparse.Namespace) -> str:
    lines = ["| deviation weight | held-out cost [95% CI] | fill rate | mean deviation from base-stock |",
             "|---|---|---|---|"]
    from hybridinv.policies.registry import make

    incumbent = _held_out(make(INCUMBENT, scenario), scenario, INCUMBENT)  # type: ignore[arg-type]
    lines.append(f"| (the incumbent itself) | {incumbent['cost']:,.1f} {incumbent['cost_ci']} | "
                 f"{incumbent['fill']:.4f} | 0 |")
    for weight in WEIGHTS:
        objective = TrainingObjective(incumbent=INCUMBENT, deviation_weight=weight)
        policy, _ = _train(scenario, objective, args)
        kpis = _held_out(policy, scenario, INCUMBENT)
        lines.append(f"| {weight:g} | {kpis['cost']:,.1f} {kpis['cost_ci']} | {kpis['fill']:.4f} | "
                     f"{kpis['deviation']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="disrupted")
    parser.add_argument("--time-limit", type=float, default=60.0, help="ES seconds per trained model.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--part", choices=["all", "targets", "leash"], default="all")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConstraintViolationWarning)
    scenario = scenarios.get(args.scenario)
    tables = {}
    for part, build in (("targets", targets_table), ("leash", leash_table)):
        cached = OUT / f"objective_{part}.md"
        if args.part in ("all", part):
            OUT.mkdir(exist_ok=True)
            cached.write_text(build(scenario, args))
        tables[part] = cached.read_text() if cached.exists() else "(not run yet)"
    text = "\n".join([
        "## KPI-targeted and leashed training of the hybrid (bench_objective.py)",
        "",
        f"Machine: {machine()}. Command: `python benchmarks/bench_objective.py --scenario {args.scenario} "
        f"--time-limit {args.time_limit:g} --workers {args.workers}`. Each model: ES from the base policy "
        f"(zero weights), population 8, {args.time_limit:g} s; held-out seeds {HELD_OUT[0]}-{HELD_OUT[-1]}, "
        "common random numbers.",
        "",
        "### Cost vs fill rate: hybrid trained to targets next to base-stock tuned to them",
        "",
        tables["targets"],
        "",
        f"### Safe RL: cost vs deviation from the incumbent ({INCUMBENT})",
        "",
        tables["leash"],
    ])
    print(text)
    update_results("objective", text)


if __name__ == "__main__":
    main()
