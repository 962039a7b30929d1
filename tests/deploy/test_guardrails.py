"""Plan-time guardrails: per-SKU bounds, enforcement in the repair, reporting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridinv.core import Catalog, Constraints, InventoryState, PlanningError
from hybridinv.demand.processes import DemandProcess
from hybridinv.deploy import GuardedPolicy, Guardrails, apply_guardrails, guarded_repair, guardrail_report
from hybridinv.policies import BaseStock
from hybridinv.sim import Scenario, Simulator


def _catalog(n=4, **columns):
    data = {"sku": [f"S{i}" for i in range(n)], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 5.0,
            "lead_time": 1}
    data.update(columns)
    return Catalog.from_frame(pd.DataFrame(data))


def _state(catalog, on_hand, pipeline=0.0):
    n = catalog.n_skus
    return InventoryState(catalog.sku, np.asarray(on_hand, float), np.zeros(n), np.full((n, 1), pipeline))


def test_change_limit_bounds_hand_computed():
    catalog = _catalog()
    state = _state(catalog, [0, 0, 0, 0])
    incumbent = np.array([0.0, 10.0, 100.0, 40.0])
    rails = Guardrails(max_change_units=5, max_change_fraction=0.2)
    lower, upper = apply_guardrails(rails, catalog, state, incumbent, np.full(4, 10.0))
    # allowed change = max(5, 0.2 * incumbent) = 5, 5, 20, 8
    assert lower.tolist() == [0.0, 5.0, 80.0, 32.0]
    assert upper.tolist() == [5.0, 15.0, 120.0, 48.0]


def test_periods_of_supply_cap_uses_inventory_position():
    catalog = _catalog()
    state = _state(catalog, [0, 10, 30, 50], pipeline=5.0)
    rails = Guardrails(max_periods_of_supply=3)
    lower, upper = apply_guardrails(rails, catalog, state, None, np.full((4, 2), 10.0))
    # cap = max(0, 3 * 10 - (on_hand + 5))
    assert upper.tolist() == [25.0, 15.0, 0.0, 0.0]
    assert lower.tolist() == [0.0] * 4


def test_critical_minimum_wins_over_other_limits():
    catalog = _catalog()
    state = _state(catalog, [100, 0, 0, 0])
    rails = Guardrails(max_periods_of_supply=2, critical=np.array([True, True, False, False]),
                       critical_min_order=3.0)
    lower, upper = apply_guardrails(rails, catalog, state, None, np.full(4, 10.0))
    assert lower.tolist() == [3.0, 3.0, 0.0, 0.0]
    assert upper.tolist() == [3.0, 20.0, 20.0, 20.0]  # SKU 0 has no room but must get its minimum


def test_change_limit_needs_incumbent():
    catalog = _catalog()
    with pytest.raises(PlanningError, match="incumbent"):
        apply_guardrails(Guardrails(max_change_units=1), catalog, _state(catalog, [0] * 4), None, np.ones(4))
    with pytest.raises(PlanningError):
        Guardrails(max_change_fraction=-1)


def test_guarded_repair_without_rules_clips():
    catalog = _catalog()
    state = _state(catalog, [0] * 4)
    orders = guarded_repair(np.array([0.0, 50.0, 7.2, 3.0]), catalog, state, Constraints(),
                            lower=np.array([2.0, 0, 0, 0]), upper=np.array([10.0, 20.0, 5.0, np.inf]))
    assert orders.tolist() == [2.0, 20.0, 5.0, 3.0]


def test_guarded_repair_keeps_lot_sizes_and_budget():
    catalog = _catalog(lot_size=[5, 5, 1, 1], moq=[5, 10, 0, 0])
    state = _state(catalog, [0] * 4)
    upper = np.array([12.0, 8.0, 30.0, 30.0])
    orders = guarded_repair(np.array([20.0, 20.0, 30.0, 30.0]), catalog, state, Constraints(budget=50.0),
                            lower=np.zeros(4), upper=upper)
    assert (orders <= upper).all()
    assert (np.mod(orders, catalog.lot_size) == 0).all()
    assert ((orders == 0) | (orders >= catalog.moq)).all()
    assert catalog.unit_cost @ orders <= 50.0 + 1e-9
    assert orders[1] == 0.0  # the only lot-feasible quantities <= 8 are 0 (moq 10)


def test_report_names_active_guardrail():
    catalog = _catalog()
    state = _state(catalog, [0, 0, 40, 0])
    incumbent = np.array([10.0, 10.0, 10.0, 0.0])
    rails = Guardrails(max_change_units=5, max_periods_of_supply=3, critical=np.array([False] * 3 + [True]),
                       critical_min_order=4)
    desired = np.array([30.0, 12.0, 12.0, 0.0])
    lower, upper = apply_guardrails(rails, catalog, state, incumbent, np.full(4, 10.0))
    final = np.clip(desired, lower, upper)
    report = guardrail_report(rails, catalog, state, incumbent, np.full(4, 10.0), desired, final)
    assert report["active"].tolist() == ["max_change", "", "periods_of_supply", "critical_minimum"]
    assert report["final"].tolist() == [15.0, 12.0, 0.0, 4.0]
    assert report["binding"].tolist() == [True, False, True, True]


def test_guarded_policy_stays_within_change_limit_in_simulation():
    n = 3
    catalog = _catalog(n)
    scenario = Scenario(name="g", catalog=catalog, constraints=Constraints(),
                        demand=DemandProcess(mean=np.array([5.0, 10.0, 20.0])), periods=40)
    incumbent = BaseStock(np.array([12.0, 25.0, 45.0]), repair=None)
    aggressive = BaseStock(np.array([40.0, 80.0, 120.0]), repair=None)
    guarded = GuardedPolicy(aggressive, Guardrails(max_change_units=3), incumbent=incumbent)
    sim = Simulator(scenario)
    obs = sim.reset(seed=0)
    while not sim.done:
        reference = incumbent.act(obs)
        orders = guarded.act(obs)
        assert (np.abs(orders - reference) <= 3 + 1e-9).all()
        report = guarded.report()
        assert set(report["active"]) <= {"", "max_change"}
        obs = sim.step(orders)
