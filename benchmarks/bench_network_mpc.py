"""Benchmark of MPC over the network against echelon base-stock on ``serial_3`` and ``owmr_10x50``.

Run ``python benchmarks/bench_network_mpc.py`` (about 4 minutes on the shared 2-core machine;
``--seeds`` and ``--serial-seeds`` change the number of held-out seeds). Policies:

- ``network_mpc``: :class:`hybridinv.network.mpc.NetworkMPC` with its defaults (nothing fitted);
- ``echelon_fair_share``: echelon base-stock with fair share and the orders cut to the budget and
  the warehouse space (the suite's policy, levels fitted on tuning seeds 1000 and 1001; on
  ``serial_3`` the exact Clark–Scarf levels);
- ``echelon_repair``: echelon base-stock whose decisions pass the network repair (levels fitted
  with the repair in the loop on the tuning seeds, 100 periods; on ``serial_3`` the exact levels).

Evaluation on held-out seeds ``0..k-1`` (never used for fitting), the scenarios' full horizons
(serial_3: 1,000 periods, 100 warm-up; owmr_10x50: 200, 20 warm-up). Differences are MPC minus the
policy, paired over seeds (common random numbers), with 95 % t-intervals; decision time is the
seconds per period spent in ``act`` (for MPC: building and solving the LP, then the repair).

Prints a markdown section and writes it to ``benchmarks/out/network_mpc.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from hybridinv.network import make_policy, simulate_network  # noqa: E402
from hybridinv.network.hybrid_training import repaired_echelon_levels, repaired_echelon_policy  # noqa: E402
from hybridinv.network.mpc import NetworkMPC  # noqa: E402
from hybridinv.network.scenarios import NetworkScenario, get  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    diff = a - b
    if diff.size < 2:
        return float(diff.mean()), float("nan")
    half = float(stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size))
    return float(diff.mean()), half


def _policies(scenario: NetworkScenario) -> dict[str, object]:
    if scenario.serial is not None:
        levels = scenario.serial.to_locations(scenario.serial.exact().levels)
    else:
        levels = repaired_echelon_levels(scenario, tuning_periods=100)
    return {
        "network_mpc": NetworkMPC(scenario),
        "echelon_fair_share": make_policy("echelon_fair_share", scenario),
        "echelon_repair": repaired_echelon_policy(scenario, levels),
    }


def _section(scenario: NetworkScenario, frames: dict[str, pd.DataFrame], seeds: list[int], fitted: float) -> list[str]:
    mine = frames["network_mpc"]
    exact = ""
    if scenario.serial is not None:
        exact = f" Exact optimum (Clark–Scarf, with the pipeline): {scenario.serial.exact().total_cost:.4f}."
    lines = [
        f"### {scenario.name}",
        "",
        f"Held-out seeds {seeds[0]}..{seeds[-1]}, {scenario.periods} periods ({scenario.warmup} warm-up); baseline "
        f"levels fitted in {fitted:.0f} s.{exact}",
        "",
        "| policy | avg_cost | operating_cost | fill rate | violations | rejected (units/seed) | decision ms/period "
        "| MPC - policy, avg_cost (95%) | MPC - policy, operating (95%) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, frame in frames.items():
        d_avg, h_avg = _paired(mine["avg_cost"].to_numpy(), frame["avg_cost"].to_numpy())
        d_op, h_op = _paired(mine["operating_cost"].to_numpy(), frame["operating_cost"].to_numpy())
        rel_avg = d_avg / frame["avg_cost"].mean() * 100
        rel_op = d_op / frame["operating_cost"].mean() * 100
        diffs = "| |" if name == "network_mpc" else (
            f"| {d_avg:,.4g} ± {h_avg:,.3g} ({rel_avg:+.2f}%) | {d_op:,.4g} ± {h_op:,.3g} ({rel_op:+.1f}%) |")
        lines.append(
            f"| {name} | {frame['avg_cost'].mean():,.6g} | {frame['operating_cost'].mean():,.6g} | "
            f"{frame['fill_rate'].mean():.3f} | {frame['violations'].sum():.0f} | "
            f"{frame['overflow_units'].mean():,.1f} | {1000 * frame['decision_time'].mean():.1f} {diffs}")
    if "mpc_fallback_share" in mine:
        lines += ["", f"MPC: LP {1000 * mine['mpc_seconds'].mean():.1f} ms per period (build and solve), fallback "
                      f"to echelon base-stock in {100 * mine['mpc_fallback_share'].mean():.1f}% of the periods."]
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="held-out seeds of owmr_10x50")
    parser.add_argument("--serial-seeds", type=int, default=10, help="held-out seeds of serial_3")
    args = parser.parse_args()
    start = time.perf_counter()
    lines = ["## MPC over the network", ""]
    for name, count in (("serial_3", args.serial_seeds), ("owmr_10x50", args.seeds)):
        scenario = get(name)
        begin = time.perf_counter()
        policies = _policies(scenario)
        fitted = time.perf_counter() - begin
        seeds = list(range(count))
        frames = {label: simulate_network(policy, scenario, seeds) for label, policy in policies.items()}  # type: ignore[arg-type]
        lines += _section(scenario, frames, seeds, fitted)
        print("\n".join(lines[-(len(frames) + 9):]), flush=True)
    lines.append(f"Total {time.perf_counter() - start:.0f} s; load average {os.getloadavg()[0]:.1f} at the end "
                 f"(2 cores, shared).")
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "network_mpc.md").write_text(text)


if __name__ == "__main__":
    main()
