"""Benchmark suites, runner, statistics and reports (hybrid vs pure RL vs pure OR).

>>> from hybridinv.bench import QUICK, run_suite, write_outputs  # doctest: +SKIP
>>> result = run_suite(QUICK, backend="process", workers=2)      # doctest: +SKIP
>>> write_outputs(result, "bench-out")                           # doctest: +SKIP

See ``docs/benchmarks.md``.
"""

from __future__ import annotations

from hybridinv.bench.benchmark import RESULT_COLUMNS, BenchResult, resolve_policies, run_suite
from hybridinv.bench.heldout import HELDOUT_KINDS, DemandShift, HeldoutDemand, heldout
from hybridinv.bench.network import NETWORK, run_network_suite
from hybridinv.bench.report import summary_markdown, summary_table, write_outputs
from hybridinv.bench.runner import Task, TaskResult, exact_optimum, execute, map_tasks
from hybridinv.bench.stats import Interval, paired_difference, t_interval
from hybridinv.bench.suites import (
    BASELINES,
    FULL,
    QUICK,
    SUITES,
    ScenarioSpec,
    Suite,
    get_suite,
    lost_sales_grid,
    spec_from_name,
)

__all__ = [
    "BASELINES",
    "FULL",
    "HELDOUT_KINDS",
    "NETWORK",
    "QUICK",
    "RESULT_COLUMNS",
    "SUITES",
    "BenchResult",
    "DemandShift",
    "HeldoutDemand",
    "Interval",
    "ScenarioSpec",
    "Suite",
    "Task",
    "TaskResult",
    "exact_optimum",
    "execute",
    "get_suite",
    "heldout",
    "lost_sales_grid",
    "map_tasks",
    "paired_difference",
    "resolve_policies",
    "run_network_suite",
    "run_suite",
    "spec_from_name",
    "summary_markdown",
    "summary_table",
    "t_interval",
    "write_outputs",
]
