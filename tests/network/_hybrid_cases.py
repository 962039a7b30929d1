"""Shared network test cases: a small one-warehouse scenario, its levels, a decision check, a recorder."""

from __future__ import annotations

import numpy as np

from hybridinv.network.baselines import echelon_levels, store_safety_factors
from hybridinv.network.scenarios import NetworkScenario, one_warehouse_scenario

SCENARIO = one_warehouse_scenario(n_stores=3, n_skus=6, periods=30, warmup=5, seed=7, name="tiny_owmr")


def tiny_levels(scenario: NetworkScenario = SCENARIO, warehouse_z: float = 1.0) -> np.ndarray:
    """Echelon levels: the stores' critical fractiles, ``warehouse_z`` above them."""
    z = np.zeros((scenario.n_locations, scenario.n_skus))
    z[scenario.network.stores] = store_safety_factors(scenario)
    z[0] = warehouse_z
    return echelon_levels(scenario, z)


class Recorder:
    """Wraps a policy, keeps every observation and decision."""

    def __init__(self, policy) -> None:
        self.policy = policy
        self.seen: list = []

    def act(self, obs):
        decision = self.policy.act(obs)
        self.seen.append((obs, decision))
        return decision


def check_decision(obs, decision, scenario: NetworkScenario = SCENARIO) -> None:
    """Independent feasibility check of one period's decision."""
    network, costs = scenario.network, scenario.costs
    for part in (decision.supplier_orders, decision.shipments):
        assert np.all(part >= 0) and np.array_equal(part, np.round(part))
    sent = network.ship_from @ decision.shipments            # units leaving each parent, (locations, SKUs)
    assert np.all(sent <= obs.on_hand + 1e-9)
    assert float(costs.unit_cost @ decision.supplier_orders.sum(axis=0)) <= network.budget + 1e-6
