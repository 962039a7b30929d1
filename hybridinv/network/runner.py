"""Simulate a network policy on a network scenario over seeds (common random numbers).

:func:`simulate_network` is the network twin of :func:`hybridinv.simulate`: one row per seed
with the cost per period and its components, the stores' fill rate, the violations and how
often the warehouse capacity and the budget bind. Seed ``k`` draws the demand path
``scenario.demand_path(k)``, the same for every policy.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from hybridinv.core.errors import require_policy, whole_number
from hybridinv.network.ledger import NetworkLedger
from hybridinv.network.scenarios import NetworkScenario, network_scenario
from hybridinv.network.simulator import NetworkPolicy
from hybridinv.network.state import NetworkCosts, NetworkObservation
from hybridinv.sim.runner import seed_numbers

__all__ = ["NETWORK_RESULT_COLUMNS", "binding_rates", "simulate_network"]

#: Columns of :func:`simulate_network` before the remaining :meth:`NetworkLedger.summary` KPIs.
NETWORK_RESULT_COLUMNS: tuple[str, ...] = (
    "seed", "policy", "scenario", "avg_cost", "holding_cost", "transit_holding_cost", "shortage_cost",
    "ordering_cost", "shipping_cost", "overflow_cost", "purchase_cost", "operating_cost", "valued_cost",
    "cost_above_goods", "fill_rate",
    "violations", "budget_violations", "capacity_binding", "budget_binding", "decision_time",
)


class _Timed:
    """Wraps a policy and adds up the seconds spent in ``act``."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy
        self.name = getattr(policy, "name", type(policy).__name__)
        self.seconds = 0.0

    def act(self, obs: NetworkObservation) -> Any:
        start = time.perf_counter()
        decision = self.policy.act(obs)
        self.seconds += time.perf_counter() - start
        return decision


def binding_rates(ledger: NetworkLedger, costs: NetworkCosts) -> dict[str, float]:
    """Shares of the measured periods in which a capacity or the budget binds.

    ``capacity_binding``: some location with a finite capacity is full after its receipts
    (less than one unit of every SKU's volume left) or rejects units; ``budget_binding``: the
    supplier orders leave less than one unit of every SKU's cost of the budget unspent, or
    exceed it (a violation). NaN where there is no such limit. The tolerance of one unit per
    SKU is what rounding a proportional cut down to whole units can leave unused.
    """
    network = ledger.network
    measured = slice(ledger.warmup, ledger.periods)
    finite = np.isfinite(network.capacity)
    out = {"capacity_binding": float("nan"), "budget_binding": float("nan")}
    if finite.any():
        capacity = network.capacity[finite]
        used = np.nan_to_num(ledger.capacity_use[measured][:, finite], nan=0.0) * capacity
        overflow = ledger.units["overflow"][measured][:, finite]
        full = used >= capacity - float(costs.volume.sum()) - 1e-9
        out["capacity_binding"] = float((full | (overflow > 0)).any(axis=1).mean())
    if np.isfinite(network.budget):
        slack = network.budget - float(costs.unit_cost.sum()) * network.roots.size
        out["budget_binding"] = float((ledger.spend[measured] >= slack - 1e-9).mean())
    return out


def simulate_network(
    policy: NetworkPolicy,
    scenario: NetworkScenario | str,
    seeds: int | Iterable[int] = 10,
    periods: int | None = None,
) -> pd.DataFrame:
    """Run ``policy`` on ``scenario`` once per seed.

    Parameters
    ----------
    policy : NetworkPolicy
        Anything with ``act(observation) -> NetworkDecision``.
    scenario : NetworkScenario or str
        A scenario or a network registry name (:func:`hybridinv.network.scenarios.get`).
    seeds : int or iterable of int
        ``k`` (>= 1) means seeds ``0..k-1``, else each a whole number >= 0, none twice; seed ``s``
        gives every policy the same demand path.
    periods : int, optional
        Horizon (default the scenario's; a shorter one keeps at most a quarter as warm-up).

    Returns
    -------
    pandas.DataFrame
        One row per seed: :data:`NETWORK_RESULT_COLUMNS` (costs per period: ``avg_cost`` and
        its components, ``purchase_cost`` the unit cost of the supplier orders and
        ``operating_cost = avg_cost - purchase_cost``; ``valued_cost`` and ``cost_above_goods``
        (the stock held at the end valued at unit cost, and that minus the unit cost of the
        demand: :meth:`NetworkLedger.summary`); ``fill_rate`` at the stores,
        ``violations``, binding rates, ``decision_time`` in seconds per period),
        then the other KPIs of :meth:`NetworkLedger.summary` and the policy's own
        ``statistics()`` when it has them (e.g. how often :class:`~hybridinv.network.limits.WithinLimits`
        cut the orders). A policy with ``reset()`` is reset before each seed.

    Raises
    ------
    PlanningError
        ``seeds`` is not a positive number of seeds or a list of distinct whole numbers >= 0
        (column ``seeds``), ``periods`` not a whole number >= 1, ``scenario`` neither a network
        scenario nor a registered name, ``policy`` without ``act``, as in :func:`hybridinv.simulate`.
    """
    seed_list = seed_numbers(seeds)  # as hybridinv.simulate: 0, "3", [1.5] or True were run (or not) silently
    scenario = network_scenario(scenario)  # another object was AttributeError: ... has no attribute 'demand_path'
    # a name was AttributeError: 'str' object has no attribute 'act'
    require_policy(policy, "policy", "must be a network policy (an object with act(observation)); build one by name "
                   "with hybridinv.network.make_policy")
    if periods is not None:  # 2.5 ran 2 periods, "30" 30, True 1, -4 was numpy's negative-dimensions error
        periods = whole_number(periods, "periods", 1)
    rows = []
    for seed in seed_list:
        path = scenario.demand_path(seed, periods)
        sim = scenario.simulator(periods=periods)
        reset = getattr(policy, "reset", None)
        if callable(reset):
            reset()
        timed = _Timed(policy)
        ledger = sim.run(timed, path)
        statistics = getattr(policy, "statistics", None)
        summary = ledger.summary()
        purchase = float(ledger.spend[ledger.warmup:].mean())
        rows.append({"seed": seed, "policy": timed.name, "scenario": scenario.name, **summary,
                     "purchase_cost": purchase, "operating_cost": summary["avg_cost"] - purchase,
                     **binding_rates(ledger, scenario.costs), "decision_time": timed.seconds / sim.periods,
                     **(statistics() if callable(statistics) else {})})
    frame = pd.DataFrame(rows)
    first = [c for c in NETWORK_RESULT_COLUMNS if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]
