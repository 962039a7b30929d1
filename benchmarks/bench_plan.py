"""plan() end to end from 1,000 to 1,000,000 SKUs: frames in, validated, policy, repair, explained frame out.

Run: ``python benchmarks/bench_plan.py`` (``--quick``: up to 100,000 SKUs). Target: <= 1 s for
10,000 SKUs, and time per SKU roughly flat from 10,000 to 1,000,000 SKUs. Besides the total,
each input step is timed on its own with the same frames (catalog, state, forecast: reading and
validating the frames), and the repair's own time is read from the plan's diagnostics.
Writes the ``plan`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _report import machine, update_results

import hybridinv
from hybridinv import Catalog, InventoryState
from hybridinv.forecast import forecast_arrays
from hybridinv.scenarios import _catalog

PERIODS = 8
HEADER = (
    "| SKUs | policy | ms per plan() | µs per SKU | catalog ms | state ms | forecast ms | repair ms "
    "| certified repair gap | budget used |"
)


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
    periods = np.arange(1, PERIODS + 1)
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


def _median(call: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_plan(policy: str, n: int, repeats: int = 5) -> dict[str, Any]:
    """Median seconds of plan() and of each input step, the repair's own time, and the diagnostics."""
    catalog, state, forecast, constraints = frames(n)
    cat = Catalog.from_frame(catalog)
    horizon = max(PERIODS, int(cat.lead_time.max()) + 2)
    steps = {
        "catalog": _median(lambda: Catalog.from_frame(catalog), repeats),
        "state": _median(lambda: InventoryState.from_frame(state, catalog=cat), repeats),
        "forecast": _median(lambda: forecast_arrays(cat, forecast, horizon), repeats),
    }
    totals, repairs = [], []
    out = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hybridinv.ConstraintViolationWarning)
        for _ in range(repeats):
            start = time.perf_counter()
            out = hybridinv.plan(state, catalog, constraints, forecast=forecast, policy=policy)
            totals.append(time.perf_counter() - start)
            repairs.append(out.attrs["diagnostics"].get("repair", {}).get("solve_time", float("nan")))
    assert out is not None
    return {"total": statistics.median(totals), "repair": statistics.median(repairs), **steps,
            "diag": out.attrs["diagnostics"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="stop at 100,000 SKUs")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    sizes = [(1_000, 5), (10_000, 5), (100_000, 3)] + ([] if args.quick else [(1_000_000, 3)])
    rows = []
    for n, repeats in sizes:
        for policy in ("hybrid", "newsvendor", "base_stock"):
            if n >= 1_000_000 and policy != "base_stock":
                continue  # one policy at 1M keeps the run short; the input steps do not depend on it
            t = time_plan(policy, n, repeats)
            diag = t["diag"]
            rows.append(
                f"| {n:,} | {policy} | {t['total'] * 1000:,.0f} | {t['total'] / n * 1e6:.1f} "
                f"| {t['catalog'] * 1000:,.0f} | {t['state'] * 1000:,.0f} | {t['forecast'] * 1000:,.0f} "
                f"| {t['repair'] * 1000:,.0f} | {diag.get('gap', float('nan')):.4%} | {diag['budget_used']:.3f} |"
            )
            print(rows[-1], flush=True)
    table = "\n".join(rows)
    markdown = f"""## plan() end to end

`python benchmarks/bench_plan.py` — catalog, state and an 8-period forecast as DataFrames in (the forecast
has 8 rows per SKU: 8 million rows at 1,000,000 SKUs); validation, the policy, the repair (backend `auto`)
with capacity and budget binding, and the explained plan frame out. Median of 5 calls (3 from 100,000
SKUs). The input steps are timed on their own with the same frames: `Catalog.from_frame`,
`InventoryState.from_frame` against the catalog, and `forecast_arrays` (reading and checking the
forecast); "repair" is the repair's own `solve_time`. Machine: {machine()}; shared with other jobs,
1-minute load average at start {load:.1f}.

{HEADER}
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|
{table}

Target: ≤ 1,000 ms at 10,000 SKUs; time per SKU roughly flat from 10,000 to 1,000,000 SKUs.
"""
    update_results("plan", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
