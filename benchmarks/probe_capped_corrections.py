"""Probe for issue 16: learned corrections on the forecast capped base-stock instead of the forecast (s, S).

    python benchmarks/probe_capped_corrections.py perishable --safety-factor 1 --targets 0,0.975,0.98
    python benchmarks/probe_capped_corrections.py multi_50 --targets 0,0.88,0.9

Not a library parameterization yet: a research script behind the numbers in docs/rl.md
(*Cost against fill rate*). The policy is :class:`~hybridinv.policies.rq.ForecastCappedBaseStock`
(its registered fit, or ``--safety-factor``) with two per-SKU corrections from a linear map of
the adaptive features (:data:`~hybridinv.rl.adaptive_features.ADAPTIVE_FEATURES`), shared by all
SKUs: ``a = tanh(x W)``, safety factor ``z + a_0``, order cap times ``exp(0.5 a_1)``; ``W = 0`` is the
capped base-stock exactly (checked on the held-out seeds before training). ``W`` is trained as
bench_objective.py trains the adaptive hybrid: ES from zero, population 8, sigma 0.1, Adam step
0.05, 45 generations, 2 training seeds per generation, validation seeds 10001-10003, seed 0, for
cost alone (target 0) or with a fill-rate target (Lagrangian multiplier, feasible-first
selection). Each trained point is compared on the held-out seeds 100-109 with classical points
of the fronts (bench_objective's ``dominance``: paired 95% intervals).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from benchmarks.bench_objective import dominance, evaluate  # noqa: E402
from hybridinv import scenarios  # noqa: E402
from hybridinv.policies.forecast_ss import ForecastSS  # noqa: E402
from hybridinv.policies.registry import make  # noqa: E402
from hybridinv.policies.rq import ForecastCappedBaseStock  # noqa: E402
from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES, adaptive_features  # noqa: E402
from hybridinv.rl.es import ESConfig, evolve_model, policy_cost_function  # noqa: E402
from hybridinv.rl.objective import TrainingObjective  # noqa: E402

N_FEATURES = len(ADAPTIVE_FEATURES)


class CorrectedCappedBaseStock(ForecastCappedBaseStock):
    """The capped base-stock ``base`` with the safety factor and cap corrected by ``tanh(x W)``."""

    name = "capped_corrected"

    def __init__(self, base: ForecastCappedBaseStock, weights: NDArray[np.float64]) -> None:
        super().__init__(base.safety_factor, base.cap_factor, base.cap_std, base.capacity_price,
                         base.repair_weights, base.repair)
        self.weights = np.asarray(weights, dtype=np.float64).reshape(2, N_FEATURES)

    def parameters(self, obs):  # type: ignore[no-untyped-def]
        level, cap = super().parameters(obs)  # the capped base-stock's own level and cap
        _, std = obs.protection_forecast()
        a = np.tanh(adaptive_features(obs, ForecastSS(), self.safety(obs)) @ self.weights.T)
        return level + a[:, 0] * std, cap * np.exp(0.5 * a[:, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--safety-factor", type=float, default=None, help="default: the registered fit")
    parser.add_argument("--targets", default="0", help="fill-rate targets, 0 = cost only (comma-separated)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    scenario = scenarios.get(args.scenario)
    options = {} if args.safety_factor is None else {"safety_factor": args.safety_factor}
    base = make("forecast_capped_base_stock", scenario, **options)
    zero = evaluate("probe", "zero", CorrectedCappedBaseStock(base, np.zeros(2 * N_FEATURES)), scenario)
    classical = {
        "capped base-stock (the base)": base,
        "capped base-stock (registered)": make("forecast_capped_base_stock", scenario),
        "forecast (s, S) (registered)": make("forecast_ss", scenario),
        "newsvendor (service level 0.7)": make("newsvendor", scenario, service_level=0.7),
        "newsvendor (service level 0.8)": make("newsvendor", scenario, service_level=0.8),
    }
    points = {label: evaluate("classical", label, policy, scenario) for label, policy in classical.items()}
    assert np.array_equal(zero.cost, points["capped base-stock (the base)"].cost), "W = 0 must be the base"
    print(f"`{args.scenario}`, held-out seeds 100-109 (fill rate, cost per period):")
    for label, point in points.items():
        print(f"- {label}: {point.fill.mean():.4f}, {point.cost.mean():,.1f}")
    for level in (float(v) for v in args.targets.split(",")):
        config = ESConfig(population=8, sigma=0.1, learning_rate=0.05, generations=45, seeds_per_generation=2,
                          eval_every=3, eval_seeds=(10_001, 10_002, 10_003), seed=0)
        objective = TrainingObjective(targets=[f"fill_rate>={level:g}"]) if level > 0 else TrainingObjective()
        cost = policy_cost_function(scenario, lambda theta: CorrectedCappedBaseStock(base, theta), None,
                                    args.workers, None, 0.0, objective)
        start = time.perf_counter()
        _, result = evolve_model(scenario, None, config, cost, np.zeros(2 * N_FEATURES), lambda theta: {"w": theta},
                                 {"policy": "probe"}, {}, None, args.workers, False, None, objective)
        trained = evaluate("hybrid", "trained", CorrectedCappedBaseStock(base, result.theta), scenario)
        print(f"\nES, {'cost only' if level <= 0 else f'fill_rate>={level:g}'} ({time.perf_counter() - start:.0f} s): "
              f"{trained.fill.mean():.4f}, {trained.cost.mean():,.1f}")
        for label, point in points.items():
            print(f"- vs {label}: cost {(trained.cost - point.cost).mean():+,.1f}, fill "
                  f"{(trained.fill - point.fill).mean():+.4f}, dominates: {dominance(trained, point)}")


if __name__ == "__main__":
    main()
