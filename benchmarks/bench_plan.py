"""plan() end to end at 10,000 SKUs: frames in, validated, policy, repair, explained frame out.

Run: ``python benchmarks/bench_plan.py``. Target: <= 1 s for 10,000 SKUs.
Writes the ``plan`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
import pandas as pd
from _report import machine, update_results

import hybridinv
from hybridinv.scenarios import _catalog


def frames(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, hybridinv.Constraints]:
    """A catalog, state and 8-period forecast of ``n`` SKUs as a planner would load them."""
    rng = np.random.default_rng(seed)
    catalog = _catalog(n, rng, lead_times=(1, 4)).to_frame()
    mean = catalog["demand_mean"].to_numpy()
    state = pd.DataFrame(
        {
            "sku": catalog["sku"],
            "on_hand": np.rint(mean * rng.uniform(0.0, 3.0, n)),
            "pipeline_1": np.rint(mean * rng.uniform(0.0, 1.0, n)),
        }
    )
    periods = np.arange(1, 9)
    forecast = pd.DataFrame(
        {
            "sku": np.repeat(catalog["sku"].to_numpy(), periods.size),
            "period": np.tile(periods, n),
            "mean": np.repeat(mean, periods.size) * rng.uniform(0.8, 1.2, n * periods.size),
        }
    )
    forecast["std"] = np.sqrt(forecast["mean"] * 1.5)
    volume = float((catalog["volume"] * mean * (catalog["lead_time"] + 2)).sum())
    budget = float((catalog["unit_cost"] * mean).sum())
    return catalog, state, forecast, hybridinv.Constraints(capacity=0.6 * volume, budget=1.0 * budget)


def time_plan(policy: str, n: int, repeats: int = 5) -> tuple[float, dict[str, object]]:
    catalog, state, forecast, constraints = frames(n)
    times = []
    out = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hybridinv.ConstraintViolationWarning)
        for _ in range(repeats):
            start = time.perf_counter()
            out = hybridinv.plan(state, catalog, constraints, forecast=forecast, policy=policy)
            times.append(time.perf_counter() - start)
    assert out is not None
    diag = out.attrs["diagnostics"]
    return statistics.median(times), diag


def main() -> None:
    rows = []
    for n in (1_000, 10_000):
        for policy in ("hybrid", "newsvendor", "base_stock"):
            seconds, diag = time_plan(policy, n)
            rows.append(
                f"| {n:,} | {policy} | {seconds * 1000:.0f} | {diag.get('gap', float('nan')):.4%} "
                f"| {diag['budget_used']:.3f} |"
            )
            print(rows[-1], flush=True)
    table = "\n".join(rows)
    markdown = f"""## plan() end to end

`python benchmarks/bench_plan.py` — catalog, state and an 8-period forecast as DataFrames in; validation,
the policy, the repair (backend `auto`) with capacity and budget binding, and the explained plan frame out.
Median of 5 calls. Machine: {machine()}.

| SKUs | policy | ms per plan() | certified repair gap | budget used |
|---:|---|---:|---:|---:|
{table}

Target: ≤ 1,000 ms at 10,000 SKUs.
"""
    update_results("plan", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
