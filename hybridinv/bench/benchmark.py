"""Run a :class:`~hybridinv.bench.suites.Suite` and collect the results.

:func:`run_suite` resolves the policies (unavailable ones are skipped and
named), builds one task per scenario x policy x seed plus the exact optima and
clairvoyant bounds, runs them on the chosen backend and returns a
:class:`BenchResult` holding a tidy frame (one row per run) and everything the
report needs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.bench.runner import Task, TaskResult, bound_available, map_tasks
from hybridinv.bench.suites import Suite
from hybridinv.core.errors import PlanningError
from hybridinv.policies import registry
from hybridinv.scenario_file import is_scenario_file

__all__ = ["RESULT_COLUMNS", "BenchResult", "resolve_policies", "run_suite"]

#: Columns of ``results.csv`` in order (identifiers, costs per period, KPIs, repair and timing).
RESULT_COLUMNS: tuple[str, ...] = (
    "scenario", "policy", "seed",
    "avg_cost", "holding_cost", "shortage_cost", "ordering_cost", "waste_cost", "overflow_cost",
    "stock_value_change", "valued_cost",
    "fill_rate", "cycle_service_level", "inventory_turns", "stockout_sku_periods",
    "capacity_utilization", "budget_utilization", "violations", "budget_violations",
    "capacity_violations", "rule_violations", "overflow_units", "waste_units", "waste_rate", "periods",
    "repair_change", "repair_share_changed", "decision_time",
)


@dataclass
class BenchResult:
    """Everything a benchmark run produced.

    Attributes
    ----------
    suite : Suite
        The suite as run (after command-line filters).
    runs : pandas.DataFrame
        One row per scenario x policy x seed with :data:`RESULT_COLUMNS`.
    missing : dict of str to str
        Policies that were skipped (factory not importable or unknown), with the reason.
    failures : dict of (str, str) to str
        Per (scenario, policy) whose build or episode raised: the first error.
    optima : dict of str to (str, float)
        Per scenario with a known optimum: the method and the optimal cost per period.
    bounds : pandas.DataFrame
        ``scenario, seed, bound``: clairvoyant lower bounds (empty when unavailable).
    trajectories : dict of (str, str) to dict
        Per (scenario, policy): tracked SKUs' ``on_hand``, ``orders``, ``demand`` of the first seed.
    backend : str
    elapsed : float
        Wall-clock seconds.
    cost_bases : dict of str to str
        Per scenario, its :attr:`~hybridinv.sim.Scenario.cost_basis` (``"purchases"`` when absent): the
        report ranks on ``valued_cost`` where it is ``"valued"``, else on ``avg_cost``.
    """

    suite: Suite
    runs: pd.DataFrame
    missing: dict[str, str] = field(default_factory=dict)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    optima: dict[str, tuple[str, float]] = field(default_factory=dict)
    bounds: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["scenario", "seed", "bound"]))
    trajectories: dict[tuple[str, str], dict[str, NDArray[Any]]] = field(default_factory=dict)
    backend: str = "process"
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)
    cost_bases: dict[str, str] = field(default_factory=dict)

    @property
    def policies(self) -> list[str]:
        """Policies with results, in suite order."""
        present = set(self.runs["policy"]) if len(self.runs) else set()
        return [name for name in self.suite.policies if name in present]

    @property
    def scenarios(self) -> list[str]:
        """Scenario keys with results, in suite order."""
        present = set(self.runs["scenario"]) if len(self.runs) else set()
        return [spec.key for spec in self.suite.scenarios if spec.key in present]


def resolve_policies(names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Split policy names into available ones (name -> ``"module:function"``) and missing ones (name -> reason)."""
    available: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name in names:
        try:
            registry._resolve(name)
        except PlanningError as exc:
            missing[name] = str(exc)
            continue
        available[name] = registry.FACTORIES[name]
    return available, missing


def _tasks(suite: Suite, available: dict[str, str], with_bounds: bool) -> list[Task]:
    tasks: list[Task] = []
    for spec in suite.scenarios:
        if spec.exact_parameters() is not None:
            tasks.append(Task("optimum", spec))
        elif with_bounds:
            tasks.extend(Task("bound", spec, seed=seed) for seed in range(suite.seeds))
        for policy, factory in available.items():
            tasks.extend(
                Task("episode", spec, policy, factory, seed, suite.track if seed == 0 else 0)
                for seed in range(suite.seeds)
            )
    return tasks


def run_suite(
    suite: Suite,
    backend: str = "process",
    workers: int = 2,
    address: str | None = None,
    progress: bool = True,
) -> BenchResult:
    """Run every available policy of ``suite`` on every scenario and seed.

    Parameters
    ----------
    suite : Suite
    backend : {"process", "ray"}
        See :func:`hybridinv.bench.runner.map_tasks`.
    workers : int
        Worker processes (or local Ray CPUs).
    address : str, optional
        Ray cluster address; a local Ray instance when None.
    progress : bool
        Show a progress bar.

    Returns
    -------
    BenchResult
    """
    start = time.perf_counter()
    for spec in suite.scenarios:  # a scenario file's warnings once, here; its tasks do not repeat them
        if is_scenario_file(spec.name):
            try:
                spec.test_scenario()
            except Exception:  # noqa: BLE001, S112 - its tasks report it as failed runs
                continue
    available, missing = resolve_policies(suite.policies)
    with_bounds = bound_available()
    results = map_tasks(_tasks(suite, available, with_bounds), backend, workers, address, progress)
    result = _collect(suite, results, missing)
    if not with_bounds:
        result.notes.append("hybridinv.policies.clairvoyant is not available: multi-SKU gaps are n/a")
    result.backend = backend
    result.elapsed = time.perf_counter() - start
    return result


def _collect(suite: Suite, results: list[TaskResult], missing: dict[str, str]) -> BenchResult:
    rows: list[dict[str, Any]] = []
    bounds: list[dict[str, Any]] = []
    result = BenchResult(suite, pd.DataFrame(), dict(missing))
    for item in results:
        task = item.task
        if task.kind == "episode":
            if item.error is not None:
                result.failures.setdefault((task.scenario.key, task.policy), item.error)
                continue
            rows.append({"scenario": task.scenario.key, "policy": task.policy, "seed": task.seed, **item.row})
            result.cost_bases[task.scenario.key] = item.cost_basis
            if item.trajectory is not None:
                result.trajectories[(task.scenario.key, task.policy)] = item.trajectory
        elif task.kind == "optimum" and item.error is None:
            method = str(item.trajectory["method"][0]) if item.trajectory else "optimal"
            result.optima[task.scenario.key] = (method, item.row["optimum"])
        elif task.kind == "optimum" and item.error not in result.notes:
            result.notes.append(str(item.error))
        elif task.kind == "bound":
            value = item.row.get("bound", math.nan) if item.error is None else math.nan
            bounds.append({"scenario": task.scenario.key, "seed": task.seed, "bound": value})
            if item.error is not None and item.error not in result.notes:
                result.notes.append(item.error)
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    if len(frame):
        frame = frame.astype({"seed": np.int64})
    result.runs = frame
    if bounds:
        result.bounds = pd.DataFrame(bounds)
    return result
