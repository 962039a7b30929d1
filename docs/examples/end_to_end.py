"""End to end on a SYNTHETIC log: fit the twin -> policy -> shadow mode -> monitoring.

1. Write a synthetic sample log (``make_sample_log.py``; not real data) and fit the
   digital twin on it (weekly planning).
2. Load the hybrid agent (``Hybrid.load``) when a trained model is available, else
   fall back to the dynamic (s, S) policy.
3. Shadow mode: replay the recommendation against the planner's logged decisions
   (a weeks-of-cover rule) on the twin, with the same realized demand, and against the
   same planner under guardrails (at most +-50% change per order).
4. Monitoring: run the recommendation under a :class:`~hybridinv.deploy.Monitor` on
   a twin path with an unannounced +70% demand surge from week 26, with a
   high-service (s, S) fallback; write the monitoring log and the HTML dashboard.

Usage::

    python docs/examples/end_to_end.py [--workdir DIR] [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from hybridinv.deploy import (
    GuardedPolicy,
    Guardrails,
    LoggedOrders,
    Monitor,
    MonitorThresholds,
    render_dashboard,
    shadow_replay,
)
from hybridinv.policies import BaseStock
from hybridinv.policies.registry import make
from hybridinv.sim import Simulator
from hybridinv.twin import DigitalTwin

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_sample_log import write_sample_log  # noqa: E402

WEEKS_REPLAYED = 26


def load_recommended(scenario, model: str | None):
    """The hybrid agent when a model loads, else the dynamic (s, S) policy."""
    try:
        from hybridinv.rl.hybrid import Hybrid

        policy = Hybrid.load(model) if model else make("hybrid", scenario)
        print(f"recommended policy: hybrid ({model or 'shipped default'})")
        return policy
    except Exception as exc:  # noqa: BLE001 - any failure to load a model falls back
        print(f"recommended policy: dynamic_ss (hybrid model not available: {type(exc).__name__})")
        return make("dynamic_ss", scenario)


def main() -> None:
    parser = argparse.ArgumentParser(description="twin -> policy -> shadow -> monitor on synthetic data")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--model", default=None, help="hybrid model directory")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hybridinv_e2e_"))
    files = write_sample_log(workdir / "sample_log", skus=30, days=728, seed=1)
    read = {name: pd.read_csv(path, comment="#") for name, path in files.items()}
    print(f"SYNTHETIC sample log written to {workdir / 'sample_log'}")

    # 1. digital twin ------------------------------------------------------------------
    twin = DigitalTwin(period="week").fit(read["sales"], read["receipts"])
    report, truth = twin.report_, read["truth"]
    smooth = ~truth["intermittent"].to_numpy()
    error = np.abs(report["mean"].to_numpy() / (7 * truth["mean"].to_numpy()) - 1)[smooth]
    print("\n== 1. digital twin ==")
    print("classes:", report["pattern"].value_counts().to_dict(),
          "| families:", report["family"].value_counts().to_dict())
    print(f"weekly mean vs truth (smooth SKUs): median error {np.median(error):.1%}, max {error.max():.1%}")
    print(f"censored SKUs: {(report['censored_share'] > 0).sum()} (handling: imputed); "
          f"lead time {report['lead_time_mean'].mean():.2f} weeks, on-time {report['on_time_rate'].mean():.1%}, "
          f"supplier fill rate {report['fill_rate'].mean():.1%}")
    scenario = twin.scenario(read["catalog"], periods=52, name="sample_twin")

    # 2. policies ------------------------------------------------------------------------
    print("\n== 2. policies ==")
    recommended = load_recommended(scenario, args.model)
    cover = np.rint(scenario.catalog.demand_mean * (scenario.catalog.lead_time + 2))
    planner = BaseStock(cover, repair=None)  # the planner's rule: lead time + 2 weeks of cover
    print("incumbent: planner's weeks-of-cover rule (order up to lead time + 2 weeks of mean demand)")

    # 3. shadow mode ---------------------------------------------------------------------
    print(f"\n== 3. shadow mode: {WEEKS_REPLAYED} weeks of logged planner decisions ==")
    sim = Simulator(scenario, periods=WEEKS_REPLAYED)
    obs = sim.reset(seed=100)
    logged = []
    while not sim.done:
        logged.append(planner.act(obs))
        obs = sim.step(logged[-1])
    realized = sim.path.demand.realized[:WEEKS_REPLAYED]
    result = shadow_replay(scenario, recommended, LoggedOrders(np.array(logged)), demand=realized,
                           replications=5, seed=0)
    print(result.summary.round(3).to_string(index=False))
    print(result.verdict())
    print(result.verdict("valued_cost"))
    print("most disagreement:")
    print(result.disagreements.head(5).round(2).to_string(index=False))
    guarded = GuardedPolicy(recommended, Guardrails(max_change_units=2, max_change_fraction=0.5), incumbent=planner)
    guarded_result = shadow_replay(scenario, guarded, LoggedOrders(np.array(logged)), demand=realized,
                                   replications=5, seed=0)
    print("with guardrails (+-50% of the planner's order, at least 2 units):")
    print("  " + guarded_result.verdict("valued_cost"))

    # 4. monitoring ------------------------------------------------------------------------
    print("\n== 4. monitoring with fallback (unannounced +70% demand from week 26) ==")
    path = scenario.sample(7, 52)
    surged = path.demand.realized.copy()
    surged[26:] = np.rint(surged[26:] * 1.7)
    shocked = scenario  # the surge is in the path below: the forecast (path.demand.expected) does not show it
    fallback = make("ss", shocked, service_level=0.99)
    thresholds = MonitorThresholds(window=4, min_fill_rate=0.95, max_cost_ratio=1.5, recovery_periods=4)
    monitor = Monitor(recommended, fallback, thresholds)
    sim = Simulator(shocked, periods=52)
    monitor.reset(shocked)
    obs = sim.reset(path=replace(path, demand=replace(path.demand, realized=surged)))
    while not sim.done:
        obs = sim.step(monitor.act(obs))
    history = monitor.history()
    print(f"fill rate {sim.ledger.summary()['fill_rate']:.3f}; the fallback planned "
          f"{history['decided_by_fallback'].mean():.0%} of the weeks; events:")
    print(monitor.events_frame().round(3).to_string(index=False) if monitor.events else "  none")
    log_path = workdir / "monitoring_log.csv"
    history.to_csv(log_path, index=False)
    page = render_dashboard(history, monitor.events_frame(), thresholds, workdir / "dashboard")
    print(f"monitoring log: {log_path}\ndashboard: {page}")
    print(f"(re-render with: hybridinv monitor --log {log_path} --out {workdir / 'dashboard'} --window 4 "
          "--min-fill-rate 0.95 --max-cost-ratio 1.5 --recovery-periods 4)")


if __name__ == "__main__":
    main()
