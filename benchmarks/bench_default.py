"""Does the shipped default hybrid do harm where it was not trained? 20 random catalogs and the synthetic suites.

    python benchmarks/bench_default.py [--catalogs 20] [--seeds 5] [--model models/hybrid_default]

(1) 20 random catalogs drawn by a generator *unlike the training family* (monthly periods,
    Poisson, lumpy negative-binomial or normal demand with means from 0.2 to 500, markups
    5%-300%, holding 5-60% a year, MOQs and lot sizes on every SKU, lead times 0-6,
    backorders in 40% of catalogs, capacity from very tight to none): the default hybrid
    against its base policy and the fitted base-stock (critical-fractile levels on the true
    demand process), on the same seeds. Target: never more than 1% above the better of the two.
(2) The synthetic suites multi_50, multi_10, perishable and disrupted (benchmark seeds
    100-109): the default against its base and the forecast capped base-stock, paired.
(3) Building ahead of budget-bound peaks (``ForecastSS.build_ahead``), found by diagnosing
    catalog 16 of (1): the base with and without it on catalogs 200-319, which were drawn
    only after the rule was fixed (the held-out check of a fix found on a reported catalog).
Writes the ``default`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _report import machine, update_results

from hybridinv import scenarios
from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import ConstraintViolationWarning
from hybridinv.demand.processes import DemandDistribution, DemandProcess, Seasonality
from hybridinv.policies.registry import make
from hybridinv.rl.adaptive import AdaptiveHybrid, zero_weights
from hybridinv.rl.hybrid import Hybrid
from hybridinv.sim.runner import simulate
from hybridinv.sim.scenario import Scenario


def random_catalog(seed: int) -> Scenario:
    """A catalog from the out-of-training generator (see the module notes)."""
    rng = np.random.default_rng([seed, 777])
    n = int(rng.integers(10, 120))
    mean = np.exp(rng.uniform(np.log(0.2), np.log(500.0), n))
    cost = np.exp(rng.normal(np.log(rng.uniform(2, 200)), 0.7, n))
    price = cost * (1.0 + np.exp(rng.uniform(np.log(0.05), np.log(3.0), n)))
    lot = rng.choice([1.0, 2.0, 5.0, 10.0, 12.0], size=n)
    moq = lot * np.ceil(mean * rng.uniform(0.0, 2.0, n) / lot)
    catalog = Catalog(
        sku=np.array([f"R{seed}-{i}" for i in range(n)], dtype=object),
        unit_cost=cost,
        holding_cost=cost * rng.uniform(0.05, 0.6) / 12.0,
        shortage_cost=price * (1.0 + rng.uniform(0.0, 0.5, n)),
        lead_time=rng.integers(0, 7, n),
        order_cost=np.full(n, 0.0 if rng.random() < 0.5 else float(rng.uniform(5, 200))),
        volume=np.exp(rng.normal(0.0, 1.0, n)),
        moq=moq,
        lot_size=lot,
        demand_mean=mean,
        price=price,
    )
    family = rng.choice(["poisson", "negative_binomial", "normal"])
    demand = DemandProcess(
        mean=mean,
        distribution=DemandDistribution(family),
        dispersion=float(rng.uniform(0.3, 2.0)),
        cv=float(rng.uniform(0.1, 0.5)),
        seasonality=(Seasonality(period=12, amplitude=rng.uniform(0.0, 0.4, n), phase=rng.uniform(0, 12, n)),)
        if rng.random() < 0.5 else (),
    )
    value = float(cost @ mean)
    cover = float(catalog.volume @ (mean * (catalog.lead_time + 2.0)))
    capacity = float("inf") if rng.random() < 0.3 else cover * float(rng.uniform(0.3, 1.5))
    budget = float("inf") if rng.random() < 0.3 else value * float(rng.uniform(0.9, 2.0))
    return Scenario(
        name=f"random_{seed}", catalog=catalog, constraints=Constraints(capacity=capacity, budget=budget),
        demand=demand, periods=48, warmup=6, lost_sales=bool(rng.random() < 0.6), periods_per_year=12,
        description=f"out-of-training random catalog {seed} ({family}, {n} SKUs)",
    )


def scenario_costs(policy: object, scenario: Scenario, seeds: list[int]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        frame = simulate(policy, scenario, seeds=seeds)  # type: ignore[arg-type]
    assert (frame["violations"] == 0).all(), f"{getattr(policy, 'name', policy)} broke a rule on {scenario.name}"
    return frame["avg_cost"].to_numpy()


def _paired(a: np.ndarray, b: np.ndarray) -> str:
    from scipy import stats

    diff = a - b
    half = float(stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size))
    return f"{diff.mean():+,.1f} [{diff.mean() - half:+,.1f}, {diff.mean() + half:+,.1f}]"


def random_catalogs(agent: AdaptiveHybrid, count: int, seeds: int) -> str:
    base = AdaptiveHybrid(zero_weights(), agent.base, name="hybrid_base")
    rows, excess = [], []
    for k in range(count):
        scenario = random_catalog(k)
        seed_list = list(range(1000, 1000 + seeds))
        hybrid = scenario_costs(agent, scenario, seed_list).mean()
        own = scenario_costs(base, scenario, seed_list).mean()
        fitted = scenario_costs(make("base_stock", scenario, repair="auto"), scenario, seed_list).mean()
        better = min(own, fitted)
        excess.append(100.0 * (hybrid / better - 1.0))
        rows.append(f"| {k} | {scenario.n_skus} | {scenario.description.split('(')[1].split(',')[0]} | "
                    f"{'lost' if scenario.lost_sales else 'back'} | {hybrid:,.1f} | {own:,.1f} | {fitted:,.1f} | "
                    f"{100 * (hybrid / own - 1):+.2f}% | {excess[-1]:+.2f}% |")
    values = np.array(excess)
    head = [
        "| catalog | SKUs | demand | sales | default | its base | fitted base-stock | default vs base "
        "| default vs better of the two |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    summary = (f"Default vs the better of its base and the fitted base-stock, over {count} catalogs: median "
               f"{np.median(values):+.2f}%, worst {values.max():+.2f}%, best {values.min():+.2f}%; "
               f"{int((values > 1.0).sum())} catalog(s) more than 1% worse.")
    return "\n".join(head + rows) + "\n\n" + summary


def synthetic_suites(agent: AdaptiveHybrid) -> str:
    base = AdaptiveHybrid(zero_weights(), agent.base, name="hybrid_base")
    lines = ["| scenario | default | its base | forecast capped base-stock | default − base | "
             "default − forecast capped base-stock |", "|---|---|---|---|---|---|"]
    for name in ("multi_50", "multi_10", "perishable", "disrupted"):
        scenario = scenarios.get(name)
        seeds = list(range(100, 110))
        hybrid = scenario_costs(agent, scenario, seeds)
        own = scenario_costs(base, scenario, seeds)
        fcbs = scenario_costs(make("forecast_capped_base_stock", scenario, safety_factor=1.0, capacity_price=5.0),
                      scenario, seeds)
        lines.append(f"| {name} | {hybrid.mean():,.1f} | {own.mean():,.1f} | {fcbs.mean():,.1f} | "
                     f"{_paired(hybrid, own)} | {_paired(hybrid, fcbs)} |")
    return "\n".join(lines)


def build_ahead_check(first: int, last: int, seeds: int) -> str:
    """The base with and without building ahead on catalogs ``first..last - 1`` (those where it orders differently)."""
    from hybridinv.policies.forecast_ss import ForecastSS

    rows, changes, budgeted = [], [], 0
    for k in range(first, last):
        scenario = random_catalog(k)
        if not np.isfinite(scenario.constraints.budget):
            continue
        budgeted += 1
        seed_list = list(range(1000, 1000 + seeds))
        on = scenario_costs(ForecastSS(repair="fast"), scenario, seed_list)
        off = scenario_costs(ForecastSS(repair="fast", build_ahead=False), scenario, seed_list)
        if np.array_equal(on, off):
            continue
        change = 100.0 * (on.mean() / off.mean() - 1.0)
        changes.append(change)
        value = float(scenario.catalog.unit_cost @ scenario.catalog.demand_mean)
        sales = "lost" if scenario.lost_sales else "back"
        rows.append(f"| {k} | {scenario.n_skus} | {sales} | {scenario.constraints.budget / value:.2f} | "
                    f"{off.mean():,.1f} | {on.mean():,.1f} | {change:+.2f}% |")
    values = np.array(changes) if changes else np.zeros(1)
    head = ["| catalog | SKUs | sales | budget / mean purchase value | without | with | change |",
            "|---|---|---|---|---|---|---|"]
    summary = (f"Catalogs {first}-{last - 1}: {budgeted} with a budget, {len(changes)} where building ahead changed an "
               f"order; change of the base's cost there: median {np.median(values):+.2f}%, worst {values.max():+.2f}%, "
               f"best {values.min():+.2f}%, sum {values.sum():+.2f} points.")
    return "\n".join(head + rows) + "\n\n" + summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--model", default="hybrid_default")
    args = parser.parse_args()
    agent = Hybrid.load(args.model)
    assert isinstance(agent, AdaptiveHybrid)
    parts = [
        "## The shipped default off its training family (bench_default.py)",
        "",
        f"Machine: {machine()}. Command: `python benchmarks/bench_default.py` (model `{args.model}`).",
        "",
        f"### {args.catalogs} random catalogs unlike the training family ({args.seeds} seeds x 48 months, "
        "6 warm-up)",
        "",
        random_catalogs(agent, args.catalogs, args.seeds),
        "",
        "### Synthetic suites (seeds 100-109, paired 95% t-intervals)",
        "",
        synthetic_suites(agent),
        "",
        f"### Building ahead of budget-bound peaks: the base with and without it ({args.seeds} seeds)",
        "",
        "Found by diagnosing catalog 16 above (budget 0.97 of the mean purchase value, seasonal demand, "
        "backorders: forecast-following levels never bought before the peaks, +5.44% against the fitted "
        "base-stock), so catalog 16 is not evidence for it; these catalogs were drawn after the rule was fixed.",
        "",
        build_ahead_check(200, 320, args.seeds),
    ]
    text = "\n".join(parts)
    print(text)
    update_results("default", text)


if __name__ == "__main__":
    main()
