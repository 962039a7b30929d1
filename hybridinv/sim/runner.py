"""Run a policy on a scenario over several seeds (common random numbers)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from hybridinv.core.errors import PlanningError, flag, require_policy
from hybridinv.sim.episode import play, reset_policy, run_episode
from hybridinv.sim.ledger import Ledger
from hybridinv.sim.scenario import Scenario
from hybridinv.sim.seeds import seed_numbers

if TYPE_CHECKING:
    from hybridinv.policies.base import BatchPolicy, Policy

__all__ = ["BATCH_EPISODES", "run_batch", "run_episode", "simulate", "supports_batch"]

#: Most episodes :func:`simulate` runs in one batch (more seeds run as several batches).
BATCH_EPISODES: int = 32


def supports_batch(policy: object) -> bool:
    """Whether ``policy`` decides for many episodes at once (has ``act_batch``: a ``BatchPolicy``)."""
    return callable(getattr(policy, "act_batch", None))


def run_batch(
    policy: BatchPolicy,
    scenario: Scenario,
    seeds: Iterable[int],
    periods: int | None = None,
) -> tuple[list[Ledger], float]:
    """Simulate one episode per seed at once; return their ledgers and the decision time per period and episode (s).

    The episodes run in lock-step through a :class:`~hybridinv.sim.batch.BatchSimulator`
    and ``policy.act_batch``; ledger ``k`` equals :func:`run_episode`'s for ``seeds[k]``
    to float rounding (same demand and lead-time draws). ``policy.reset(scenario)`` is
    called once. The decision time is the batch's, divided by the number of episodes.
    """
    from hybridinv.sim.batch import BatchSimulator

    seed_list = [int(s) for s in seeds]
    sim = BatchSimulator(scenario, periods=periods)
    reset_policy(policy, scenario)
    decide_time = play(sim, sim.reset(seeds=seed_list), policy.act_batch)
    return [sim.ledger(e) for e in range(len(seed_list))], decide_time / (sim.periods * len(seed_list))


def scenario_of(scenario: Scenario | str) -> Scenario:
    """``scenario`` itself, or the registered scenario (or scenario file) of that name.

    Raises
    ------
    PlanningError
        Naming ``scenario`` when it is neither (an int was "'int' object has no attribute 'periods'").
    """
    if isinstance(scenario, str):
        from hybridinv import scenarios

        return scenarios.get(scenario)
    if not isinstance(scenario, Scenario):
        raise PlanningError("must be a Scenario or a registered scenario name", column="scenario",
                            value=type(scenario).__name__)
    return scenario


def policy_for(policy: Policy | str, scenario: Scenario) -> Policy:
    """``policy`` itself (checked: an object with ``act``), or the registered policy of that name made for
    ``scenario`` (a name was "'str' object has no attribute 'act'")."""
    if isinstance(policy, str):
        from hybridinv.policies.registry import make

        return make(policy, scenario)
    require_policy(policy, "policy", "must be a policy (an object with act(observation)) or a registered policy name")
    return policy


def simulate(
    policy: Policy | str,
    scenario: Scenario | str,
    seeds: int | Iterable[int] = 10,
    periods: int | None = None,
    batch: bool | None = None,
) -> pd.DataFrame:
    """Simulate ``policy`` on ``scenario`` for each seed.

    Parameters
    ----------
    policy : Policy or str
        Any object with ``act(observation) -> orders``, or a registered policy name
        (``"hybrid"``, ``"base_stock"``, ...: :func:`hybridinv.policies.registry.make` fits it
        to ``scenario``, as ``plan(policy=...)`` and ``hybridinv bench`` do).
    scenario : Scenario or str
        A scenario or a registry name (:func:`hybridinv.scenarios.get`).
    seeds : int or iterable of int
        An int ``k`` means seeds ``0..k-1``. The same seed gives every policy
        the same demand and lead-time path (common random numbers).
    periods : int, optional
        Horizon (defaults to the scenario's).
    batch : bool, optional
        Run all seeds at once through the batched simulator (:func:`run_batch`). The
        default (None) does so when the policy has ``act_batch``
        (:class:`~hybridinv.policies.base.BatchPolicy`: ``BaseStock``, ``SS``, ``ForecastSS``
        and the hybrids), at most :data:`BATCH_EPISODES` seeds per batch, and runs one episode
        per seed otherwise; ``False`` always runs one
        episode at a time. Both give the same KPIs (to float rounding).

    Returns
    -------
    pandas.DataFrame
        One row per seed with ``seed``, ``policy``, ``scenario``, ``avg_cost``,
        the cost split, ``fill_rate``, ``violations`` and the other KPIs of
        :mod:`hybridinv.sim.ledger`, plus ``decision_time`` (s per period and episode).

    Raises
    ------
    PlanningError
        ``scenario`` neither a Scenario nor a registered name (or scenario file); ``batch=True``
        with a policy that has no ``act_batch``; ``seeds`` not a whole number
        from 1 to :data:`~hybridinv.core.limits.MAX_EPISODES` or a non-empty list of distinct
        whole numbers >= 0; ``periods`` not a whole number >= 1;
        orders from the policy that are not finite and >= 0 or have the wrong shape (naming
        the SKU).
    """
    scenario = scenario_of(scenario)
    policy = policy_for(policy, scenario)
    seed_list = seed_numbers(seeds)
    batched = supports_batch(policy) if batch is None else flag(batch, "batch")  # batch="no" batched
    if batched and not supports_batch(policy):
        raise PlanningError(
            "batch=True needs a policy with act_batch (hybridinv.policies.base.BatchPolicy)",
            column="batch",
            value=getattr(policy, "name", type(policy).__name__),
        )
    if batched:
        results = []
        for first in range(0, len(seed_list), BATCH_EPISODES):
            ledgers, decision_time = run_batch(
                policy, scenario, seed_list[first : first + BATCH_EPISODES], periods  # type: ignore[arg-type]
            )
            results += [(ledger, decision_time) for ledger in ledgers]
    else:
        results = [run_episode(policy, scenario, seed, periods) for seed in seed_list]
    rows: list[dict[str, Any]] = []
    for seed, (ledger, decision_time) in zip(seed_list, results, strict=True):
        row: dict[str, Any] = {
            "scenario": scenario.name,
            "policy": getattr(policy, "name", type(policy).__name__),
            "seed": seed,
        }
        row.update(ledger.summary())
        row["decision_time"] = decision_time
        rows.append(row)
    return pd.DataFrame(rows)
