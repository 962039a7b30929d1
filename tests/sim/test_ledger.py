"""Tests for hybridinv.sim.ledger: cost components and KPIs on tiny hand-computed examples."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import hand_path, make_catalog, make_scenario

from hybridinv import Constraints, InventoryState
from hybridinv.sim import BatchSimulator, Simulator


def _tiny_scenario(warmup: int):  # type: ignore[no-untyped-def]
    catalog = make_catalog(2, unit_cost=np.array([2.0, 1.0]))
    return make_scenario(
        catalog, 1.0, constraints=Constraints(capacity=20.0, budget=30.0),
        initial_state=InventoryState.empty(catalog, [3.0, 0.0]), warmup=warmup, periods=3,
    )


def _tiny(warmup: int = 0) -> Simulator:
    """2 SKUs, lost sales, lead time 0; every number below is worked out by hand in the test."""
    sim = Simulator(_tiny_scenario(warmup))
    sim.reset(path=hand_path([[2, 1], [2, 0], [0, 3]], [0, 0]))
    for q in ([0, 2], [1, 0], [0, 0]):
        sim.step(np.array(q, dtype=float))
    return sim


def test_kpis_by_hand() -> None:
    summary = _tiny().ledger.summary()
    # end-of-period on-hand: [1, 1], [0, 1], [0, 0]; SKU 1 loses 2 units in period 2
    assert summary["holding_cost"] == pytest.approx((2 + 1 + 0) / 3)
    assert summary["shortage_cost"] == pytest.approx(4 * 2 / 3)
    assert summary["ordering_cost"] == pytest.approx((2 + 2 + 0) / 3)
    assert summary["avg_cost"] == pytest.approx(1 + 8 / 3 + 4 / 3)
    assert summary["fill_rate"] == pytest.approx(6 / 8)
    assert summary["cycle_service_level"] == pytest.approx(5 / 6)
    assert summary["stockout_sku_periods"] == 1
    # turns: cost of goods served (2*4 + 1*2) / average stock value (2*1 + 1*2), times 52 periods a year
    assert summary["inventory_turns"] == pytest.approx(10 / 4 * 52)
    # stock after receipts / capacity: 5/20, 3/20, 1/20
    assert summary["capacity_utilization"] == pytest.approx(0.15)
    assert summary["budget_utilization"] == pytest.approx(4 / 3 / 30)
    assert summary["violations"] == 0 and summary["periods"] == 3
    assert summary["waste_rate"] == 0.0


def test_warmup_excludes_early_periods() -> None:
    summary = _tiny(warmup=1).ledger.summary()
    assert summary["periods"] == 2
    assert summary["fill_rate"] == pytest.approx(3 / 5)
    assert summary["holding_cost"] == pytest.approx(0.5)
    assert summary["inventory_turns"] == pytest.approx((2 * 2 + 1 * 1) / (1 * 1) * 52)


@pytest.mark.parametrize("batched", [False, True])
def test_a_run_shorter_than_the_scenario_skips_at_most_a_quarter_of_it(batched: bool) -> None:
    # one rule with tune and the suites (Scenario.warmup_for): a 2-period run of a scenario with warm-up 2 measured
    # period 1 alone (warm-up cut to 1) where tuning the same run measured both periods
    scenario = _tiny_scenario(warmup=2)
    path = hand_path([[2, 1], [2, 0], [0, 3]], [0, 0])
    if batched:
        batch = BatchSimulator(scenario, periods=2)
        batch.reset(paths=[path])
        for q in ([0, 2], [1, 0]):
            batch.step(np.array([q], dtype=float))
        ledger = batch.ledger(0)
    else:
        sim = Simulator(scenario, periods=2)
        sim.reset(path=path)
        for q in ([0, 2], [1, 0]):
            sim.step(np.array(q, dtype=float))
        ledger = sim.ledger
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = ledger.summary()
    # by hand, periods 0 and 1: end-of-period on-hand [1, 1] and [0, 1]; every unit demanded (3, then 2) is served
    assert ledger.warmup == 0 and summary["periods"] == 2
    assert summary["fill_rate"] == 1.0 and summary["holding_cost"] == pytest.approx(1.5)
    assert [scenario.warmup_for(k) for k in (1, 2, 3, 4)] == [0, 0, 2, 2]  # the scenario's own 3 periods: 2
    # the run as long as the scenario keeps its warm-up of 2: period 2 alone
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _tiny(warmup=2).ledger.summary()["periods"] == 1


def test_tuning_the_suites_and_simulate_measure_a_short_run_alike() -> None:
    from hybridinv import scenarios, simulate
    from hybridinv.bench.suites import ScenarioSpec
    from hybridinv.policies import BaseStock
    from hybridinv.reward import evaluate_policy

    scenario = scenarios.get("multi_10")  # warm-up 4 of 104 periods
    policy = BaseStock.fit(scenario)
    ran = simulate(policy, scenario, seeds=[0], periods=12).iloc[0]
    tuned = evaluate_policy(policy, scenario, seeds=[0], periods=12).iloc[0]
    assert ran["periods"] == tuned["periods"] == 9  # simulate measured 8 periods, tuning 9
    assert ran["fill_rate"] == pytest.approx(tuned["fill_rate"]) and ran["avg_cost"] == pytest.approx(tuned["avg_cost"])
    assert ScenarioSpec("multi_10", periods=12).train_scenario().warmup == 3


def test_valued_cost_by_hand() -> None:
    """Closing stock valued at unit cost: SKU 0 (unit cost 2) runs down from 3 units to 0, SKU 1
    starts and ends with none, so the valued cost is the purchase cost plus 6 of stock used up."""
    ledger = _tiny().ledger
    summary = ledger.summary()
    np.testing.assert_array_equal(ledger.opening_position, [3.0, 0.0])
    np.testing.assert_array_equal(ledger.closing_position, [0.0, 0.0])
    assert summary["stock_value_change"] == pytest.approx(-6 / 3)
    # the same from what was used: holding 3 + lost sales 8 + units sold at cost (2*4 + 1*2), over 3 periods
    assert summary["valued_cost"] == pytest.approx((3 + 8 + 10) / 3)
    assert summary["valued_cost"] == pytest.approx(summary["avg_cost"] + 2)


def test_valued_cost_counts_from_the_first_measured_period() -> None:
    ledger = _tiny(warmup=1).ledger
    np.testing.assert_array_equal(ledger.opening_position, [1.0, 1.0])  # after period 0
    assert ledger.summary()["stock_value_change"] == pytest.approx(-(2 * 1 + 1 * 1) / 2)
    assert np.isnan(ledger.summary(periods=2)["valued_cost"])  # a prefix has no closing position


def test_summary_total_is_the_sum_of_components() -> None:
    ledger = _tiny().ledger
    summary = ledger.summary()
    parts = ["holding_cost", "shortage_cost", "ordering_cost", "waste_cost", "overflow_cost"]
    assert summary["avg_cost"] == pytest.approx(sum(summary[p] for p in parts))
    assert ledger.period_cost(2) == pytest.approx(8.0)


def test_waste_rate_is_expired_over_available_without_starting_stock() -> None:
    catalog = make_catalog(1, shelf_life=np.array([1]))
    scenario = make_scenario(catalog, 1.0, initial_state=InventoryState.empty(catalog, 0.0), waste_cost=1.5)
    sim = Simulator(scenario, periods=2)
    sim.reset(path=hand_path([[4], [5]], [0]))
    sim.step(np.array([5.0]))
    sim.step(np.array([5.0]))
    summary = sim.ledger.summary()
    assert summary["waste_rate"] == pytest.approx(1 / 10)
    assert summary["waste_cost"] == pytest.approx(1.5 / 2)
    assert summary["fill_rate"] == 1.0


def test_waste_rate_counts_starting_stock_as_available() -> None:
    """102 units on hand expire while 4 arrive: 102 of 106 available units wasted (not 102 / 4 = 25.5)."""
    catalog = make_catalog(1, shelf_life=np.array([1]))
    scenario = make_scenario(catalog, 1.0, initial_state=InventoryState.empty(catalog, 102.0))
    sim = Simulator(scenario, periods=1)
    sim.reset(path=hand_path([[4]], [0]))
    sim.step(np.array([4.0]))
    ledger = sim.ledger
    assert ledger.waste_units[0] == 102.0 and ledger.received_units[0] == 4.0
    assert ledger.summary()["waste_rate"] == pytest.approx(102 / 106)


def test_waste_rate_after_warmup_starts_from_the_stock_then_on_hand() -> None:
    catalog = make_catalog(1, shelf_life=np.array([2]))
    scenario = make_scenario(catalog, 1.0, initial_state=InventoryState.empty(catalog, 0.0), warmup=1)
    sim = Simulator(scenario, periods=3)
    sim.reset(path=hand_path([[0], [1], [0]], [0]))
    for q in (10.0, 0.0, 3.0):
        sim.step(np.array([q]))
    ledger = sim.ledger
    # period 0 (warm-up) ends with 10 on hand; they expire at the end of period 1 after 1 is served
    assert ledger.held_units[0] == 10.0 and ledger.waste_units[1] == 9.0
    summary = ledger.summary()
    assert summary["waste_units"] == 9.0
    assert summary["waste_rate"] == pytest.approx(9 / (10 + 3))
    assert ledger.available_units(1, 3) == 13.0 and ledger.available_units(0, 1) == 10.0


def test_no_demand_means_full_fill_rate_and_infinite_turns() -> None:
    catalog = make_catalog(1)
    sim = Simulator(make_scenario(catalog, 1.0, initial_state=InventoryState.empty(catalog, 0.0)), periods=2)
    sim.reset(path=hand_path([[0], [0]], [0]))
    sim.step(np.zeros(1))
    sim.step(np.zeros(1))
    summary = sim.ledger.summary()
    assert summary["fill_rate"] == 1.0
    assert summary["inventory_turns"] == float("inf")
    assert np.isnan(summary["capacity_utilization"]) and np.isnan(summary["budget_utilization"])


def test_tracked_skus_record_trajectories() -> None:
    catalog = make_catalog(3)
    scenario = make_scenario(catalog, 1.0, initial_state=InventoryState.empty(catalog, 5.0))
    sim = Simulator(scenario, periods=2, track=[2, 0])
    sim.reset(path=hand_path([[1, 2, 3], [1, 1, 1]], [0, 0, 0]))
    sim.step(np.array([0.0, 0.0, 4.0]))
    sim.step(np.zeros(3))
    ledger = sim.ledger
    np.testing.assert_array_equal(ledger.track_on_hand, [[6, 4], [5, 3]])
    np.testing.assert_array_equal(ledger.track_orders, [[4, 0], [0, 0]])
    np.testing.assert_array_equal(ledger.track_demand, [[3, 1], [1, 1]])


def test_basis_costs_need_per_sku_recording() -> None:
    with pytest.raises(ValueError, match="per_sku"):
        _tiny().ledger.sku_basis_costs()


def test_inventory_turns_of_a_prefix_are_unknown_not_the_whole_episodes() -> None:
    from hybridinv import scenarios
    from hybridinv.sim import Simulator

    base = scenarios.single_sku(periods=6, warmup=0)
    sim = Simulator(base.replace(catalog=base.catalog.with_values(unit_cost=[2.0])))
    obs = sim.reset(seed=1)
    while not sim.done:
        obs = sim.step(np.maximum(40 - obs.inventory_position, 0))
    assert 0 < sim.ledger.summary()["inventory_turns"] < np.inf
    # the per-SKU totals cover all 6 periods: over 2 periods' stock they gave 11.56 where 28.36 was right
    assert np.isnan(sim.ledger.summary(periods=2)["inventory_turns"])


def test_a_summary_window_must_reach_past_the_warmup_and_stay_within_the_run() -> None:
    """summary(periods=end) with end <= warm-up averaged no period at all: every cost 0."""
    from hybridinv import PlanningError, scenarios
    from hybridinv.policies import BaseStock
    from hybridinv.sim.runner import run_episode

    scenario = scenarios.get("multi_10")  # warm-up 4
    ledger, _ = run_episode(BaseStock.fit(scenario), scenario, seed=0, periods=20)  # keeps the warm-up of 4
    assert ledger.summary(periods=5)["avg_cost"] > 0  # one measured period
    for bad in (4, 0, 21, 2.5, True):
        with pytest.raises(PlanningError) as info:
            ledger.summary(periods=bad)
        assert info.value.column == "periods"


def test_capacity_utilization_is_the_volume_held_after_the_whole_units_rejected() -> None:
    catalog = make_catalog(1, volume=np.array([0.6]))
    scenario = make_scenario(catalog, 1.0, constraints=Constraints(capacity=5.0),
                             initial_state=InventoryState.empty(catalog, [9.0]), periods=3)
    for batched in (False, True):
        path = hand_path([[0], [3], [0]], [0])
        if batched:
            sim = BatchSimulator(scenario)
            sim.reset(paths=[path])
            for q in ([0], [0], [3]):
                sim.step(np.array([q], dtype=float))
            ledger = sim.ledger(0)
        else:
            sim = Simulator(scenario)
            sim.reset(path=path)
            for q in ([0], [0], [3]):
                sim.step(np.array(q, dtype=float))
            ledger = sim.ledger
        # 9 units of 0.6 = 5.4 of a capacity of 5 (was cut to 1); 6 units (3.6) after period 1's demand of 3;
        # then 3 arrive (5.4 again), 1 whole unit is rejected: 8 units (4.8) held, which was recorded as 1
        np.testing.assert_allclose(ledger.capacity_util, [5.4 / 5, 5.4 / 5, 4.8 / 5])
        assert ledger.overflow_units[2] == 1.0
