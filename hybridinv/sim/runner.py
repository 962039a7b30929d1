"""Run a policy on a scenario over several seeds (common random numbers)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hybridinv.sim.ledger import Ledger
from hybridinv.sim.scenario import Scenario
from hybridinv.sim.simulator import Simulator

if TYPE_CHECKING:
    from hybridinv.policies.base import Policy

__all__ = ["run_episode", "simulate"]


def run_episode(
    policy: Policy,
    scenario: Scenario,
    seed: int,
    periods: int | None = None,
    track: Iterable[int] | None = None,
    per_sku_costs: bool = False,
) -> tuple[Ledger, float]:
    """Simulate one episode; return its ledger and the mean decision time per period (s).

    ``per_sku_costs=True`` records each period's cost per SKU (``ledger.sku_costs``).

    The repair layer's :class:`~hybridinv.ConstraintViolationWarning` (stock already
    above capacity, so nothing more can be ordered into that receipt period) is not
    issued in simulation — the library's policies call the repair with ``warn=False``
    when their observation comes from a simulator, since it is a normal consequence of
    demand below forecast and the ledger records capacity use and overflow at receipt.
    No global warning state is touched, so episodes may run in threads.
    """
    tracked = None if track is None else list(track)
    sim = Simulator(scenario, periods=periods, track=tracked, per_sku_costs=per_sku_costs)
    reset = getattr(policy, "reset", None)
    if callable(reset):
        reset(scenario)
    obs = sim.reset(seed=seed)
    decide_time = 0.0
    while not sim.done:
        start = time.perf_counter()
        orders = policy.act(obs)
        decide_time += time.perf_counter() - start
        obs = sim.step(orders)
    return sim.ledger, decide_time / sim.periods


def simulate(
    policy: Policy,
    scenario: Scenario | str,
    seeds: int | Iterable[int] = 10,
    periods: int | None = None,
) -> pd.DataFrame:
    """Simulate ``policy`` on ``scenario`` for each seed.

    Parameters
    ----------
    policy : Policy
        Any object with ``act(observation) -> orders``.
    scenario : Scenario or str
        A scenario or a registry name (:func:`hybridinv.scenarios.get`).
    seeds : int or iterable of int
        An int ``k`` means seeds ``0..k-1``. The same seed gives every policy
        the same demand and lead-time path (common random numbers).
    periods : int, optional
        Horizon (defaults to the scenario's).

    Returns
    -------
    pandas.DataFrame
        One row per seed with ``seed``, ``policy``, ``scenario``, ``avg_cost``,
        the cost split, ``fill_rate``, ``violations`` and the other KPIs of
        :mod:`hybridinv.sim.ledger`, plus ``decision_time`` (s per period).
    """
    if isinstance(scenario, str):
        from hybridinv import scenarios

        scenario = scenarios.get(scenario)
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    rows: list[dict[str, Any]] = []
    for seed in seed_list:
        ledger, decision_time = run_episode(policy, scenario, seed, periods)
        row: dict[str, Any] = {
            "scenario": scenario.name,
            "policy": getattr(policy, "name", type(policy).__name__),
            "seed": seed,
        }
        row.update(ledger.summary())
        row["decision_time"] = decision_time
        rows.append(row)
    return pd.DataFrame(rows)
