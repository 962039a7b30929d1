"""Run a suite: every policy on every scenario and seed, in worker processes or on Ray.

Work is cut into small picklable :class:`Task` values (a scenario spec, a policy
name and a seed); each worker rebuilds the scenario, builds the policy with
:func:`hybridinv.policies.registry.make` (cached per worker, so a policy that
tunes or trains itself does so at most once per worker), runs one episode with
:func:`hybridinv.sim.run_episode` and sends back one row of KPIs. The same
tasks go to a :class:`~concurrent.futures.ProcessPoolExecutor` (default) or to
a Ray cluster, so both backends give the same numbers.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.bench.suites import ScenarioSpec
from hybridinv.core.errors import PlanningError, PlanningWarning, whole_number
from hybridinv.policies import registry
from hybridinv.scenario_file import is_scenario_file
from hybridinv.sim.runner import run_episode

__all__ = ["Task", "TaskResult", "execute", "exact_optimum", "map_tasks"]

#: Why a process pool usually breaks, said where it happens instead of a bare BrokenProcessPool.
BROKEN_POOL_HINT = (
    "a benchmark worker process died before returning its result. The workers are started with "
    "'spawn' and import the calling script again: a script that calls run_suite (or anything that "
    'starts workers) at top level must put that call under `if __name__ == "__main__":`. '
    "Otherwise the worker was killed (out of memory?); workers=1 runs the tasks in this process "
    "and shows the underlying error."
)

_CACHE_SIZE = 4
_POLICIES: dict[tuple[str, str, Any], Any] = {}


@dataclass(frozen=True)
class Task:
    """One unit of work.

    ``kind`` is ``"episode"`` (run ``policy`` on ``scenario`` with ``seed``),
    ``"optimum"`` (exact optimal cost of a single-SKU scenario) or ``"bound"``
    (the clairvoyant lower bound of ``scenario`` for ``seed``). ``factory`` is the
    registry's ``"module:function"`` of the policy in the submitting process, so
    policies registered at run time also resolve in the workers.
    """

    kind: str
    scenario: ScenarioSpec
    policy: str = ""
    factory: str = ""
    seed: int = 0
    track: int = 0


@dataclass
class TaskResult:
    """What a task sends back: a row of numbers, optional trajectories, or an error; an episode also the
    scenario's cost basis (what the report ranks on)."""

    task: Task
    row: dict[str, float] = field(default_factory=dict)
    trajectory: dict[str, NDArray[Any]] | None = None
    error: str | None = None
    cost_basis: str = "purchases"


class _RepairRecorder:
    """Wraps a policy with ``decide`` and records desired vs repaired orders."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy
        self.name = getattr(policy, "name", type(policy).__name__)
        self.changed = 0.0
        self.relative = 0.0
        self.positive = 0.0
        self.cells = 0.0

    def reset(self, scenario: Any = None) -> None:
        reset = getattr(self.policy, "reset", None)
        if callable(reset):
            reset(scenario)

    def act(self, obs: Any) -> NDArray[np.float64]:
        decision = self.policy.decide(obs)
        desired = np.asarray(decision.desired, dtype=np.float64)
        orders = np.asarray(decision.orders, dtype=np.float64)
        gap = np.abs(desired - orders)
        wanted = desired > 0
        self.changed += float(np.count_nonzero(gap > 0.5))
        self.relative += float((gap[wanted] / desired[wanted]).sum())
        self.positive += float(np.count_nonzero(wanted))
        self.cells += float(desired.size)
        return orders

    def statistics(self) -> dict[str, float]:
        return {
            "repair_change": self.relative / self.positive if self.positive else 0.0,
            "repair_share_changed": self.changed / self.cells if self.cells else 0.0,
        }


def _policy(task: Task, scenario: Any) -> Any:
    # the whole spec, not its report name: two specs of one name (another horizon, a file of the same file name)
    # reused the policy built for the first within a worker
    key = (task.policy, task.factory, task.scenario)
    policy = _POLICIES.get(key)
    if policy is None:
        registry.adopt(task.policy, task.factory)
        policy = registry.make(task.policy, scenario)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(1)
        if len(_POLICIES) >= _CACHE_SIZE:
            _POLICIES.pop(next(iter(_POLICIES)))
        _POLICIES[key] = policy
    return policy


def _tracked(scenario: Any, count: int) -> NDArray[np.int64]:
    """The ``count`` SKUs with the highest mean demand (stable order)."""
    mean = scenario.demand.mean
    return np.sort(np.argsort(-mean, kind="stable")[: min(count, mean.size)])


@contextmanager
def _file_warnings_shown(spec: ScenarioSpec) -> Iterator[None]:
    """Within it a scenario file's own warnings are not shown again: :func:`~hybridinv.bench.run_suite` read
    each file once before the tasks and showed them there (every task read the file again and repeated them,
    16 times for 6 runs, and in worker processes as raw Python warnings)."""
    with warnings.catch_warnings():
        if is_scenario_file(spec.name):
            warnings.simplefilter("ignore", PlanningWarning)
        yield


def _run_episode(task: Task) -> TaskResult:
    spec = task.scenario
    try:
        with _file_warnings_shown(spec):
            policy = _policy(task, spec.train_scenario())
    except Exception as exc:  # noqa: BLE001 - any build failure is reported, not raised
        return TaskResult(task, error=f"build failed: {type(exc).__name__}: {exc}")
    with _file_warnings_shown(spec):
        scenario = spec.test_scenario()
    runner: Any = _RepairRecorder(policy) if callable(getattr(policy, "decide", None)) else policy
    track = _tracked(scenario, task.track) if task.track else None
    try:
        ledger, decision_time = run_episode(runner, scenario, task.seed, track=track)
    except Exception as exc:  # noqa: BLE001
        return TaskResult(task, error=f"episode failed: {type(exc).__name__}: {exc}")
    row = ledger.summary()
    row["decision_time"] = decision_time
    if isinstance(runner, _RepairRecorder):
        row.update(runner.statistics())
    else:
        row.update({"repair_change": math.nan, "repair_share_changed": math.nan})
    trajectory = None
    if track is not None:
        trajectory = {
            "sku": np.asarray(scenario.catalog.sku)[track],
            "on_hand": ledger.track_on_hand,
            "orders": ledger.track_orders,
            "demand": ledger.track_demand,
        }
    return TaskResult(task, row, trajectory, cost_basis=scenario.cost_basis)


@lru_cache(maxsize=64)
def exact_optimum(mean: float, lead_time: int, holding_cost: float, shortage_cost: float) -> tuple[str, float]:
    """Exact optimal average cost of a single-SKU Poisson lost-sales model (cached).

    Returns ``("optimal", cost)`` from :func:`hybridinv.exact.lost_sales_optimal`, or
    ``("best base-stock", cost)`` from :func:`hybridinv.exact.best_base_stock` when the
    optimal model is too large to solve.

    Raises
    ------
    ValueError, MemoryError
        When the base-stock model is too large as well (a long lead time).
    """
    from hybridinv import exact

    try:
        result = exact.lost_sales_optimal(mean, lead_time, holding_cost, shortage_cost)
        return "optimal", float(result.average_cost)
    except (ValueError, MemoryError):
        _, cost = exact.best_base_stock(mean, lead_time, holding_cost, shortage_cost, lost_sales=True)
        return "best base-stock", float(cost)


def _bound(task: Task) -> TaskResult:
    try:
        from hybridinv.policies.clairvoyant import clairvoyant_bound
    except ImportError as exc:
        return TaskResult(task, error=f"no clairvoyant bound: {exc}")
    try:
        with _file_warnings_shown(task.scenario):
            scenario = task.scenario.test_scenario()
        # on the valued basis, compared with valued_cost: on avg_cost's the model bought the measured periods'
        # stock in the warm-up for nothing (weight 0), 25 a period where every policy paid 160 (docs/benchmarks.md)
        value = clairvoyant_bound(scenario, task.seed, basis="valued")
    except Exception as exc:  # noqa: BLE001
        return TaskResult(task, error=f"bound failed: {type(exc).__name__}: {exc}")
    for attribute in ("average_cost", "bound", "value"):
        value = getattr(value, attribute, value)
    return TaskResult(task, {"bound": float(value)})


def execute(task: Task) -> TaskResult:
    """Run one task (in a worker process, a Ray worker or inline)."""
    if task.kind == "episode":
        return _run_episode(task)
    if task.kind == "optimum":
        params = task.scenario.exact_parameters()
        if params is None:
            return TaskResult(task, error="no exact optimum for this scenario")
        try:
            method, cost = exact_optimum(**params)  # type: ignore[arg-type]
        except (ValueError, MemoryError) as exc:  # best_base_stock too large as well: was the suite's traceback
            return TaskResult(task, error=f"no exact optimum for {task.scenario.key} (gap n/a): {exc}")
        return TaskResult(task, {"optimum": cost}, {"method": np.array([method])})
    if task.kind == "bound":
        return _bound(task)
    return TaskResult(task, error=f"unknown task kind {task.kind!r}")


def bound_available() -> bool:
    """Whether ``hybridinv.policies.clairvoyant`` exists in this installation."""
    return importlib.util.find_spec("hybridinv.policies.clairvoyant") is not None


# ---------------------------------------------------------------------- backends
def map_tasks(
    tasks: Sequence[Task],
    backend: str = "process",
    workers: int = 2,
    address: str | None = None,
    progress: bool = True,
) -> list[TaskResult]:
    """Run ``tasks`` and return their results in the same order.

    Parameters
    ----------
    tasks : sequence of Task
    backend : {"process", "ray"}
        Worker processes on this machine, or a Ray cluster.
    workers : int
        Processes (``"process"``; 1 runs inline) or CPUs of a local Ray instance.
    address : str, optional
        Ray cluster address (``"auto"``, ``"ray://host:10001"``); a local Ray
        instance is started (and shut down afterwards) when None.
    progress : bool
        Show a tqdm progress bar over all tasks.
    """
    from tqdm.auto import tqdm

    if backend not in ("process", "ray"):
        raise PlanningError("unknown backend; use 'process' or 'ray'", column="backend", value=backend)
    workers = whole_number(workers, "workers", 1)  # workers=0 ran inline without a word
    bar = tqdm(total=len(tasks), desc="bench", unit="task", disable=not progress)  # runs, optima and bounds
    try:
        if backend == "process":
            return _map_process(tasks, workers, bar.update)
        return _map_ray(tasks, workers, address, bar.update)
    finally:
        bar.close()


def _map_process(tasks: Sequence[Task], workers: int, advance: Callable[[int], Any]) -> list[TaskResult]:
    if workers <= 1 or len(tasks) <= 1:
        results = []
        for task in tasks:
            results.append(execute(task))
            advance(1)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from hybridinv._pool import starting_workers, stop_pool

    out: list[TaskResult | None] = [None] * len(tasks)
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        with starting_workers():  # the workers are started at submit: Ctrl-C is the command's, not theirs
            futures = {pool.submit(execute, task): index for index, task in enumerate(tasks)}
        for future in as_completed(futures):
            out[futures[future]] = future.result()
            advance(1)
    except BrokenProcessPool as error:
        stop_pool(pool)
        raise RuntimeError(BROKEN_POOL_HINT) from error
    except BaseException:
        # Ctrl-C, SIGTERM or a failed task: the workers are terminated, not waited for (an interrupted bench waited
        # for the episodes they had taken, a SIGTERM-ed one hung at exit; until 2026-12-07)
        stop_pool(pool)
        raise
    pool.shutdown()
    return [result for result in out if result is not None]


def _map_ray(
    tasks: Sequence[Task], workers: int, address: str | None, advance: Callable[[int], Any]
) -> list[TaskResult]:
    import ray

    from hybridinv._ray import ray_session

    with ray_session(workers, address):
        remote = ray.remote(num_cpus=1)(execute)
        refs = [remote.remote(task) for task in tasks]
        index = {ref: position for position, ref in enumerate(refs)}
        out: list[TaskResult | None] = [None] * len(tasks)
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                out[index[ref]] = ray.get(ref)
            advance(len(done))
        return [result for result in out if result is not None]
