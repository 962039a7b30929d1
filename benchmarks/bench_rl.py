"""RL benchmark: the hybrid agent against exact optima, classical policies and pure PPO.

Run from the repository root::

    python benchmarks/bench_rl.py            # ~10 min on 2 cores
    python benchmarks/bench_rl.py --quick    # fewer seeds and periods
    python benchmarks/bench_rl.py --no-mpc   # without the (slower) MPC baseline on multi_50

Measures
(a) single SKU, lost sales, Poisson(5), h = 1, p in {4, 9, 19, 39}, L in {1..4}: the
    shipped per-instance linear ES models (``models/single_sku``), their capped base-stock
    start points and the best static base-stock level, all evaluated exactly
    (``hybridinv.exact.lost_sales_policy_cost``) against the exact optimum
    (``hybridinv.exact.lost_sales_optimal``); plus tabular Q-learning on L = 1;
(b) ``multi_50``: the shipped default hybrid (``models/hybrid_default``, the adaptive
    hybrid) vs every classical policy of the registry, MPC, the forecast capped
    base-stock with capacity-priced safety factors, pure PPO and SAC, the residual-network
    and PPO-network hybrids and the adaptive hybrid's untrained start point, on
    the same seeds (paired differences with 95% t-intervals), violations;
(c) hybrid decision time per period on ``large_1000`` (features + policy + repair);
(d) transfer 50 -> 1,000 SKUs: the model trained on ``multi_50`` on ``large_1000``.
Writes the ``rl`` section of benchmarks/RESULTS.md and benchmarks/out/rl*.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import OUT, machine, update_results  # noqa: E402

from hybridinv import scenarios  # noqa: E402
from hybridinv.core.errors import ConstraintViolationWarning  # noqa: E402
from hybridinv.exact import best_base_stock, lost_sales_optimal, lost_sales_policy_cost  # noqa: E402
from hybridinv.policies import registry  # noqa: E402
from hybridinv.rl import Hybrid, ModelFileError, models_directory  # noqa: E402
from hybridinv.rl.adaptive import AdaptiveHybrid, zero_weights  # noqa: E402
from hybridinv.rl.linear import LinearHybrid  # noqa: E402
from hybridinv.rl.tabular import QLearning, plot_policy  # noqa: E402
from hybridinv.rl.variants import GRID_LEAD_TIMES, GRID_SHORTAGE_COSTS  # noqa: E402
from hybridinv.sim.runner import simulate  # noqa: E402

CLASSICAL = ["base_stock", "capped_base_stock", "ss", "rq", "newsvendor", "dynamic_ss"]
#: Forecast capped base-stock with capacity-priced safety factors, options chosen on multi_50 seeds 200-219.
FORECAST_OPTIONS = {"safety_factor": 1.0, "capacity_price": 5.0}  # ForecastCappedBaseStock (absolute price)
FORECAST_LABEL = "forecast_capped_base_stock (lambda=5)"
#: Ablation: the adaptive hybrid's base policy (zero corrections: the forecast-driven (s, S)).
START_LABEL = "hybrid base (zero corrections)"


def markdown(frame: pd.DataFrame, index: bool = True) -> str:
    """A pipe table (without the optional ``tabulate`` dependency)."""
    data = frame.reset_index() if index else frame

    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, (float, np.floating)) else str(value)

    lines = ["| " + " | ".join(map(str, data.columns)) + " |", "|" + "---|" * len(data.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in data.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def paired_ci(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of ``a - b`` and its 95% t-interval (paired over common seeds)."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    mean = float(diff.mean())
    if diff.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size))
    return mean, mean - half, mean + half


def single_sku_grid(seeds: int, periods: int) -> str:
    """(a): the shipped per-instance linear hybrid models against the exact optimum.

    Each model (``models/single_sku/p<p>_L<L>``, trained by ``benchmarks/train_single_sku.py``
    on simulated costs only) is a :class:`~hybridinv.rl.linear.LinearHybrid`. Its cost is
    computed exactly from the stationary distribution of the chain it induces
    (:func:`hybridinv.exact.lost_sales_policy_cost`), like the optimum and the capped
    base-stock start point, so the gaps carry no simulation noise. A simulation of the
    loaded model in the library's simulator (``seeds`` x ``periods``) is reported beside it
    as a cross-check.
    """
    rows = []
    for shortage in GRID_SHORTAGE_COSTS:
        for lead in GRID_LEAD_TIMES:
            name = f"single_sku/p{shortage:g}_L{lead}"
            try:
                agent = Hybrid.load(models_directory() / name, repair=None)
            except ModelFileError as exc:
                return f"### (a) Single SKU\n\nmodel {name} not available: {exc}\n"
            assert isinstance(agent, LinearHybrid)
            optimum = lost_sales_optimal(5.0, lead, 1.0, shortage).average_cost
            _, base_cost = best_base_stock(5.0, lead, 1.0, shortage, lost_sales=True)
            training = agent.metadata["training"]
            level, cap, ramp = training["start_level"], training["start_cap"], training["start_weights"]
            start = LinearHybrid(level / 5.0, cap / 5.0, ramp, repair=None)
            start_cost = lost_sales_policy_cost(start.state_policy(5.0), 5.0, lead, 1.0, shortage).average_cost
            exact = lost_sales_policy_cost(agent.state_policy(5.0), 5.0, lead, 1.0, shortage).average_cost
            scenario = scenarios.single_sku(
                mean=5.0, lead_time=lead, holding_cost=1.0, shortage_cost=shortage, periods=periods, warmup=100
            )
            simulated = simulate(agent, scenario, seeds=range(30_000, 30_000 + seeds))["avg_cost"].to_numpy()
            half = float(stats.t.ppf(0.975, seeds - 1) * simulated.std(ddof=1) / np.sqrt(seeds))
            rows.append(
                {
                    "p": f"{shortage:g}",
                    "L": lead,
                    "optimal (exact)": optimum,
                    "best base-stock gap %": 100 * (base_cost / optimum - 1),
                    "start (S, r, w_0)": f"({level:g}, {cap:g}, {ramp[0]:g})",
                    "start gap %": 100 * (start_cost / optimum - 1),
                    "hybrid (exact)": exact,
                    "hybrid gap %": 100 * (exact / optimum - 1),
                    "hybrid (sim, 95% CI)": f"{simulated.mean():.3f} ± {half:.3f}",
                    "level, cap (x mean)": f"{agent.level.item():.2f}, {agent.cap.item():.2f}",
                    "weights w_0..w_L-1": ", ".join(f"{w:.2f}" for w in agent.weights.ravel()),
                    "train s": training["seconds"],
                }
            )
    frame = pd.DataFrame(rows)
    within = int((frame["hybrid gap %"] <= 1.0).sum())
    return (
        "### (a) Single SKU, lost sales, Poisson(5), h = 1\n\n"
        "One linear hybrid model per (p, L) instance (`models/single_sku/`, `LinearHybrid`): the order-up-to "
        "level acts on a weighted position of the stock by arrival slot, level, cap and weights trained by "
        "evolution strategies on simulated costs only (`benchmarks/train_single_sku.py`: "
        f"{training['generations']} generations of {training['population']} members x "
        f"{training['seeds_per_generation']} seeds x {training['periods']} periods, sigma {training['sigma']}). "
        "All costs except the simulation column are exact "
        "(`hybridinv.exact.lost_sales_policy_cost`, stationary distribution of the policy's chain). "
        f"Hybrid within 1% of the exact optimum on **{within}/16** instances; mean gap "
        f"{frame['hybrid gap %'].mean():.2f}% (max {frame['hybrid gap %'].max():.2f}%); ES start points (best of "
        "a simulated grid of capped base-stock levels, caps and weight ramps) "
        f"{frame['start gap %'].mean():.2f}% (max {frame['start gap %'].max():.2f}%); best static base-stock "
        f"{frame['best base-stock gap %'].mean():.2f}%. Simulation column: {seeds} seeds x {periods} periods.\n\n"
        + markdown(frame, index=False)
    )


def q_learning_plot() -> str:
    """Tabular Q-learning on p = 9, L = 1 and a plot against the exact optimal and base-stock policies."""
    scenario = scenarios.single_sku(mean=5.0, lead_time=1, shortage_cost=9.0, periods=2000, warmup=50)
    start = time.perf_counter()
    agent = QLearning(max_order=16, max_stock=30, gamma=0.95, seed=0).fit(scenario, steps=200_000)
    seconds = time.perf_counter() - start
    exact = lost_sales_optimal(5.0, 1, 1.0, 9.0)
    level, base_cost = best_base_stock(5.0, 1, 1.0, 9.0)
    cost = simulate(agent, scenario, seeds=5)["avg_cost"].mean()
    path = plot_policy(
        {
            "Q-learning": agent.order,
            "optimal (exact DP)": lambda s: exact.order(int(s[0])),
            f"base-stock {level}": lambda s: max(level - int(s[0]), 0),
        },
        lead_time=1,
        max_stock=20,
        path=OUT / "rl_q_learning_policy.png",
        title="Poisson(5), L=1, h=1, p=9, lost sales",
    )
    return (
        "### Tabular Q-learning (p = 9, L = 1)\n\n"
        f"200k steps ({seconds:.0f} s): simulated cost {cost:.3f}; optimum {exact.average_cost:.3f}; "
        f"best base-stock {base_cost:.3f}. Policy plot: `benchmarks/out/{path.name}`.\n"
    )


def compare(scenario_name: str, seeds: list[int], periods: int | None, policies: dict[str, object]) -> pd.DataFrame:
    scenario = scenarios.get(scenario_name)
    frames = []
    for name, policy in policies.items():
        frame = simulate(policy, scenario, seeds=seeds, periods=periods)  # type: ignore[arg-type]
        frame["policy"] = name
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def table(results: pd.DataFrame, reference: str = "hybrid") -> str:
    summary = results.groupby("policy")[["avg_cost", "fill_rate", "violations", "decision_time"]].mean()
    ref = results[results.policy == reference].sort_values("seed")["avg_cost"].to_numpy()
    cis = []
    for name in summary.index:
        other = results[results.policy == name].sort_values("seed")["avg_cost"].to_numpy()
        mean, low, high = paired_ci(ref, other)
        cis.append(f"{mean:+.1f} [{low:+.1f}, {high:+.1f}]" if name != reference else "")
    summary[f"{reference} - policy (95% CI)"] = cis
    summary["decision_time"] = (summary["decision_time"] * 1000).round(1)
    summary = summary.rename(columns={"decision_time": "decision ms"}).sort_values("avg_cost")
    return markdown(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-mpc", action="store_true", help="leave out MPC (0.1-0.2 s per period on multi_50)")
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConstraintViolationWarning)
    seeds = list(range(100, 100 + (3 if args.quick else args.seeds)))
    parts = [f"Machine: {machine()}\n"]
    parts.append(single_sku_grid(seeds=2 if args.quick else 10, periods=2000 if args.quick else 5_000))
    if not args.quick:
        parts.append(q_learning_plot())
    hybrid = Hybrid.load(models_directory() / "hybrid_default")
    meta = hybrid.metadata.get("training", {})
    assert isinstance(hybrid, AdaptiveHybrid)
    policies: dict[str, object] = {"hybrid": hybrid, START_LABEL: AdaptiveHybrid(zero_weights(), hybrid.base)}
    with contextlib.suppress(ModelFileError):
        policies["hybrid (residual network, ES)"] = Hybrid.load(models_directory() / "hybrid_residual")
    with contextlib.suppress(ModelFileError):
        policies["hybrid (PPO network)"] = Hybrid.load(models_directory() / "hybrid_ppo_multi_50")
    for name in CLASSICAL + ([] if args.no_mpc else ["mpc"]):
        policies[name] = registry.make(name, scenarios.get("multi_50"))
    policies[FORECAST_LABEL] = registry.make("forecast_capped_base_stock", None, **FORECAST_OPTIONS)
    for algo in ("ppo", "sac"):
        try:
            policies[f"{algo} (pure RL)"] = registry.make(algo, scenarios.get("multi_50"))
        except (ModelFileError, Exception) as exc:  # noqa: BLE001 - report whatever is missing
            parts.append(f"pure {algo.upper()} not available: {exc}\n")
    results = compare("multi_50", seeds, None, policies)
    results.to_csv(OUT / "rl_multi_50.csv", index=False)
    parts.append(
        "### (b) multi_50: hybrid vs classical policies, MPC and pure RL (PPO, SAC)\n\n"
        f"`models/hybrid_default` ({type(hybrid).__name__}, algo {meta.get('algo', 'hybrid/PPO')}): trained on "
        f"the {meta.get('scenario', '?')} family (multi_50 is one of its registered scenarios, other seeds) for "
        f"{meta.get('generations', '?')} generations in {meta.get('seconds', '?')} s "
        f"(seed {hybrid.metadata.get('seed', '?')}); "
        f"{len(seeds)} common seeds; "
        "costs per period; the last column is the paired difference hybrid - policy (negative: hybrid cheaper).\n\n"
        + table(results)
    )
    large_policies: dict[str, object] = {
        "hybrid": hybrid,
        START_LABEL: AdaptiveHybrid(zero_weights(), hybrid.base),
        **{n: registry.make(n, scenarios.get("large_1000")) for n in CLASSICAL},
        FORECAST_LABEL: registry.make("forecast_capped_base_stock", None, **FORECAST_OPTIONS),
    }
    with contextlib.suppress(ModelFileError):
        large_policies["hybrid (residual network, ES)"] = Hybrid.load(models_directory() / "hybrid_residual")
    large_seeds = seeds[:1] if args.quick else seeds[:3]
    large = compare("large_1000", large_seeds, 20 if args.quick else None, large_policies)
    large.to_csv(OUT / "rl_large_1000.csv", index=False)
    decision = large[large.policy == "hybrid"]["decision_time"].mean() * 1000
    parts.append(
        "### (c, d) large_1000: transfer 50 -> 1,000 SKUs without retraining, decision time\n\n"
        f"Hybrid decision time per period at 1,000 SKUs (features + policy + fast repair): "
        f"**{decision:.1f} ms**.\n\n" + table(large)
    )
    update_results("rl", "## RL agents (bench_rl.py)\n\n" + "\n".join(parts))
    print("\n".join(parts))


if __name__ == "__main__":
    main()
