"""The ``network`` benchmark suite: network scenarios x network policies x seeds.

Network scenarios (:mod:`hybridinv.network.scenarios`) run through their own simulator, so
this suite has its own runner, :func:`run_network_suite`; it returns the same
:class:`~hybridinv.bench.benchmark.BenchResult` as :func:`~hybridinv.bench.benchmark.run_suite`,
with one row per scenario x policy x seed in :data:`~hybridinv.bench.benchmark.RESULT_COLUMNS`,
so :func:`~hybridinv.bench.report.write_outputs` writes the usual ``results.csv``,
``summary.md`` and ``report.html`` (the paired differences are to the best of the four
policies; for a serial chain the gap is to the exact Clark–Scarf cost). ``hybridinv bench
--suite network`` runs it. The notes give, for the constrained scenarios, the operating cost
(``avg_cost`` without the purchase value, which is nearly the same for every policy), the cost
above the goods (``cost_above_goods``: the stock left at the end valued at unit cost, minus the
unit cost of the demand; :meth:`~hybridinv.network.ledger.NetworkLedger.summary`), how often
capacity and budget bind and how often the cut policy cut its orders.

Column mapping: ``holding_cost`` is on-hand plus in-transit holding, ``ordering_cost`` is
purchases, order lines and shipment lines, ``fill_rate`` is at the stores,
``stockout_sku_periods`` counts store-SKU-periods with unmet demand, ``violations`` counts
periods over the budget (or with shipments cut). Columns without a network meaning
(service level, turns, waste, repair statistics) are NaN.

Policies (:func:`hybridinv.network.baselines.make_policy`): echelon base-stock with the exact
optimal levels (serial) or fitted levels, installation base-stock, echelon base-stock with
fair share and the orders cut to the budget and space, and MPC over the network (``network_mpc``:
a rolling-horizon LP per period, 0.1-0.2 s per period on ``owmr_10x50``, most of the suite's time).
A scenario that cannot be built (the real-data one without its data folder) is skipped with a
note.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pandas as pd

from hybridinv.bench.benchmark import RESULT_COLUMNS, BenchResult
from hybridinv.bench.suites import ScenarioSpec, Suite
from hybridinv.core.errors import PlanningError
from hybridinv.network import scenarios as network_scenarios
from hybridinv.network.baselines import NETWORK_POLICIES, make_policy
from hybridinv.network.runner import simulate_network

__all__ = ["NETWORK", "NETWORK_SCENARIOS", "network_rows", "run_network_suite"]

#: Scenarios of the ``network`` suite.
NETWORK_SCENARIOS: tuple[str, ...] = ("serial_3", "owmr_10x50", "hospital_network")

#: serial_3 (1,000 periods), owmr_10x50 (200), hospital_network (72 months) x 4 policies x 10 seeds.
NETWORK = Suite(
    name="network",
    scenarios=tuple(ScenarioSpec(name) for name in NETWORK_SCENARIOS),
    policies=NETWORK_POLICIES,
    seeds=10,
    baselines=NETWORK_POLICIES,
    track=0,
)


def network_rows(frame: pd.DataFrame, scenario: str, policy: str) -> pd.DataFrame:
    """:func:`~hybridinv.network.runner.simulate_network` rows in the benchmark's columns."""
    nan = math.nan
    mapped: dict[str, Any] = {
        "scenario": scenario, "policy": policy, "seed": frame["seed"],
        "avg_cost": frame["avg_cost"],
        "holding_cost": frame["holding_cost"] + frame["transit_holding_cost"],
        "shortage_cost": frame["shortage_cost"],
        "ordering_cost": frame["ordering_cost"] + frame["shipping_cost"],
        "waste_cost": 0.0, "overflow_cost": frame["overflow_cost"],
        "stock_value_change": frame.get("stock_value_change", nan), "valued_cost": frame.get("valued_cost", nan),
        "fill_rate": frame["fill_rate"], "cycle_service_level": nan, "inventory_turns": nan,
        "stockout_sku_periods": frame["stockout_store_sku_periods"],
        "capacity_utilization": nan, "budget_utilization": frame["budget_utilization"],
        "violations": frame["violations"], "budget_violations": frame["budget_violations"],
        "capacity_violations": 0.0, "rule_violations": frame["shipment_violations"],
        "overflow_units": frame["overflow_units"], "waste_units": 0.0, "waste_rate": 0.0,
        "periods": frame["periods"], "repair_change": nan, "repair_share_changed": nan,
        "decision_time": frame["decision_time"],
    }
    return pd.DataFrame(mapped, columns=list(RESULT_COLUMNS))


def run_network_suite(suite: Suite = NETWORK, progress: bool = False) -> BenchResult:
    """Run every policy of ``suite`` on every network scenario and seed (inline, common random numbers).

    ``suite.scenarios`` name network scenarios (``spec.periods`` shortens the horizon);
    ``suite.policies`` are names of :data:`~hybridinv.network.baselines.NETWORK_POLICIES`.
    Levels are fitted on tuning seeds 1000 and 1001, never on the evaluation seeds ``0..seeds-1``.
    ``progress`` shows a tqdm bar over the (scenario, policy) pairs.
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    bar = tqdm(total=len(suite.scenarios) * len(suite.policies), desc="bench network", unit="run",
               disable=not progress)
    result = BenchResult(suite, pd.DataFrame(columns=list(RESULT_COLUMNS)), backend="inline")
    frames = []
    for spec in suite.scenarios:
        try:
            scenario = network_scenarios.get(spec.name)
        except PlanningError as exc:
            result.notes.append(f"network scenario {spec.name} skipped: {exc}")
            bar.update(len(suite.policies))
            continue
        if spec.periods is not None:
            scenario = scenario.replace(periods=spec.periods, warmup=min(scenario.warmup, spec.periods // 4))
        if scenario.serial is not None:
            result.optima[spec.key] = ("exact (Clark-Scarf)", float(scenario.serial.exact().total_cost))
        for name in suite.policies:
            bar.set_postfix_str(f"{name} on {spec.key}")
            try:
                policy = make_policy(name, scenario)
                runs = simulate_network(policy, scenario, seeds=suite.seeds)
            except (PlanningError, ValueError) as exc:
                bar.update()
                result.failures.setdefault((spec.key, name), f"{type(exc).__name__}: {exc}")
                continue
            bar.update()
            frames.append(network_rows(runs, spec.key, name))
            if not math.isnan(runs["budget_binding"].mean()):
                result.notes.append(
                    f"{spec.key}, {name}: operating cost (without purchases) {runs['operating_cost'].mean():.5g} "
                    f"and cost above the goods' unit cost {runs['cost_above_goods'].mean():.5g} "
                    f"per period; capacity binding in {100 * runs['capacity_binding'].mean():.0f}%, budget "
                    f"in {100 * runs['budget_binding'].mean():.0f}% of the periods")
            if "budget_cut_share" in runs:
                result.notes.append(
                    f"{spec.key}, {name}: the budget cut the supplier orders in "
                    f"{100 * runs['budget_cut_share'].mean():.0f}% and the warehouse space in "
                    f"{100 * runs['capacity_cut_share'].mean():.0f}% of the periods")
    bar.close()
    if frames:
        result.runs = pd.concat(frames, ignore_index=True).astype({"seed": "int64"})
    result.elapsed = time.perf_counter() - start
    return result
