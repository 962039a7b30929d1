"""Tests for hybridinv.policies.tuning: simulation tuning on common random numbers."""

from __future__ import annotations

import warnings

import numpy as np

from hybridinv import scenarios
from hybridinv.policies.classical import BaseStock
from hybridinv.policies.tuning import per_sku_costs, tune_base_stock, tune_ss
from hybridinv.sim.runner import simulate


def test_per_sku_costs_add_up_to_the_ledger_without_overflow_or_waste() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=2, fixed_cost=3.0, periods=200)
    per_sku, total = per_sku_costs(BaseStock(14.0), scenario, seed=0)
    assert per_sku.sum() == np.float64(total) or abs(per_sku.sum() - total) < 1e-9
    backorders = scenario.replace(lost_sales=False)
    per_sku, total = per_sku_costs(BaseStock(14.0), backorders, seed=0)
    assert abs(per_sku.sum() - total) < 1e-9


def test_tuning_improves_on_held_out_seeds_of_the_disrupted_scenario() -> None:
    scenario = scenarios.get("disrupted")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = tune_base_stock(scenario, seeds=(0, 1, 2), periods=60, rounds=2)
        start = tune_base_stock(scenario, seeds=(0,), periods=10, rounds=0).policy
        held_out = list(range(100, 104))
        tuned_cost = simulate(result.policy, scenario, seeds=held_out, periods=60).avg_cost.mean()
        start_cost = simulate(start, scenario, seeds=held_out, periods=60).avg_cost.mean()
    assert result.cost < result.start_cost
    assert result.history == sorted(result.history, reverse=True)
    assert tuned_cost < start_cost


def test_tuning_lost_sales_single_sku_approaches_the_exact_best_base_stock() -> None:
    from hybridinv.exact import best_base_stock

    scenario = scenarios.single_sku(mean=5.0, lead_time=2, periods=1500, warmup=50)
    result = tune_base_stock(scenario, seeds=(0, 1), rounds=4, step=1.0)
    level, _ = best_base_stock(5.0, 2, 1.0, 9.0, lost_sales=True)
    assert abs(float(np.asarray(result.policy.level)[0]) - level) <= 1


def test_tune_ss_returns_an_ss_policy() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=1, fixed_cost=20.0, lost_sales=False, periods=300)
    result = tune_ss(scenario, seeds=(0,), rounds=2)
    assert result.cost <= result.start_cost
    assert np.all(np.asarray(result.policy.S) > np.asarray(result.policy.s))


def test_tuned_levels_follow_their_skus_to_another_catalog() -> None:
    """tune_base_stock / tune_ss levels were applied by position: on a catalog listing the same SKUs in another
    order each SKU got another SKU's tuned level, silently (BaseStock.fit's levels already followed their SKUs)."""
    from ._helpers import assert_levels_follow_their_skus

    scenario = scenarios.get("multi_10")
    assert_levels_follow_their_skus([tune(scenario, seeds=(0,), periods=20, rounds=1, repair=None).policy
                                     for tune in (tune_base_stock, tune_ss)], scenario)
