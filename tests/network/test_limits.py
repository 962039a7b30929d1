"""Supplier orders cut to the budget and the projected warehouse space."""

from __future__ import annotations

import numpy as np

from hybridinv.network.baselines import echelon_levels, store_safety_factors
from hybridinv.network.limits import WithinLimits, limit_supplier_orders, supplier_order_ratios
from hybridinv.network.policies import EchelonBaseStock
from hybridinv.network.runner import simulate_network
from hybridinv.network.scenarios import get


def test_cut_orders_fit_the_budget_and_the_projected_space_and_are_proportional() -> None:
    scenario = get("owmr_10x50")
    obs = scenario.simulator().reset(scenario.demand_path(0))
    wanted = np.random.default_rng(1).integers(0, 400, (1, scenario.n_skus)).astype(np.float64)
    cut = limit_supplier_orders(scenario, obs, wanted)
    assert (cut <= wanted).all() and (cut == np.round(cut)).all()
    assert cut @ scenario.costs.unit_cost <= scenario.network.budget
    budget, space = supplier_order_ratios(scenario, obs, wanted)
    ratio = min(budget[0], space[0])
    assert ratio < 1.0
    np.testing.assert_array_equal(cut, np.floor(wanted * ratio + 1e-9))  # the same share for every SKU
    # nothing is cut when the orders fit
    small = np.ones((1, scenario.n_skus))
    np.testing.assert_array_equal(limit_supplier_orders(scenario, obs, small), small)


def test_echelon_base_stock_within_limits_has_no_budget_violation_and_counts_its_cuts() -> None:
    scenario = get("owmr_10x50").replace(periods=60, warmup=10)
    z = np.zeros((scenario.n_locations, scenario.n_skus))
    z[scenario.network.stores] = store_safety_factors(scenario)
    plain = EchelonBaseStock(scenario.network, echelon_levels(scenario, z))
    free = simulate_network(plain, scenario, seeds=2)
    capped = simulate_network(WithinLimits(plain, scenario), scenario, seeds=2)
    assert (free["budget_violations"] > 0).all() and (free["overflow_units"] > 0).all()
    assert (capped["budget_violations"] == 0).all() and (capped["violations"] == 0).all()
    assert (capped["overflow_units"] < 0.1 * free["overflow_units"]).all()
    assert (capped["budget_cut_share"] > 0).all() and (capped["capacity_cut_share"] > 0).all()
    assert capped["policy"].iloc[0] == "echelon_base_stock_within_limits"


def test_cut_shares_and_kpis_skip_the_runs_warm_up() -> None:
    """One warm-up rule (Scenario.warmup_for): a run shorter than the scenario skips at most a quarter of it. The
    cut shares skipped the scenario's own warm-up (8 here), so a 6-period run reported 0 in periods that were cut;
    and any explicit ``periods``, even the scenario's own, cut the ledger's warm-up to a quarter."""
    from hybridinv.network.baselines import make_policy
    from hybridinv.network.scenarios import one_warehouse_scenario

    scenario = one_warehouse_scenario(n_stores=2, n_skus=3, periods=40, warmup=12, seed=1, capacity_factor=0.5,
                                      budget_factor=0.5)
    assert [scenario.simulator(periods=p).warmup for p in (40, 80, 20, 6)] == [12, 12, 5, 1]
    assert scenario.simulator().warmup == 12 and scenario.simulator(periods=6, warmup=0).warmup == 0
    policy = make_policy("echelon_fair_share", scenario)
    short = simulate_network(policy, scenario, seeds=1, periods=6).iloc[0]
    assert short["budget_cut_share"] > 0 and short["capacity_cut_share"] > 0  # half the budget binds every period
