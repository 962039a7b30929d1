"""Levels from safety factors, fitted levels and the policies of the network suite."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hybridinv.core.errors import PlanningError
from hybridinv.network.baselines import (
    NETWORK_POLICIES,
    echelon_levels,
    fit_levels,
    installation_levels,
    make_policy,
    store_safety_factors,
)
from hybridinv.network.limits import WithinLimits
from hybridinv.network.policies import EchelonBaseStock, InstallationBaseStock
from hybridinv.network.scenarios import get, one_warehouse_scenario, serial_chain


def test_echelon_levels_add_the_childrens_levels_and_the_own_lead_time() -> None:
    scenario = one_warehouse_scenario(n_stores=2, n_skus=3, seed=5)
    mean = scenario.demand.mean
    level = echelon_levels(scenario, 0.0)
    np.testing.assert_array_equal(level[1:], np.ceil(2 * mean - 1e-9))  # stores: L + 1 = 2 periods
    np.testing.assert_array_equal(level[0], np.ceil(level[1:].sum(axis=0) + 2 * mean.sum(axis=0) - 1e-9))
    z = echelon_levels(scenario, [1.0, 0.0, 0.0])
    assert (z[0] >= level[0] + np.floor(np.sqrt(2 * mean.sum(axis=0)))).all()
    installation = installation_levels(scenario, 0.0)
    np.testing.assert_array_equal(installation[0], np.ceil(3 * mean.sum(axis=0) - 1e-9))  # L0 + 1 = 3


def test_store_safety_factors_are_the_critical_fractiles() -> None:
    scenario = get("owmr_10x50")
    p, h = scenario.costs.shortage_cost[1], scenario.costs.holding_cost[1]
    np.testing.assert_allclose(store_safety_factors(scenario)[0], stats.norm.ppf(p / (p + h)), rtol=1e-9)


def test_fit_levels_picks_the_cheapest_service_level_of_the_grid() -> None:
    scenario = one_warehouse_scenario(n_stores=3, n_skus=4, periods=80, warmup=10, seed=7)
    network = scenario.network
    grid = (0.1, 0.9)
    levels, alpha = fit_levels(scenario, lambda lv: EchelonBaseStock(network, lv), grid=grid, seeds=(5,))
    costs = {}
    for value in grid:
        z = np.zeros((network.n_locations, 4))
        z[network.stores] = store_safety_factors(scenario)
        z[0] = stats.norm.ppf(value)
        ledger = scenario.simulator().run(EchelonBaseStock(network, echelon_levels(scenario, z)),
                                          scenario.demand_path(5))
        costs[value] = ledger.summary()["avg_cost"]
    assert alpha == min(costs, key=costs.__getitem__)


def test_fit_levels_searches_the_store_shifts_on_the_chosen_metric() -> None:
    scenario = one_warehouse_scenario(n_stores=3, n_skus=4, periods=80, warmup=10, seed=7)
    network = scenario.network
    shifts = (-1.0, 0.0, 1.0)
    levels, alpha = fit_levels(scenario, lambda lv: EchelonBaseStock(network, lv), grid=(0.5,), seeds=(5,),
                               metric="valued_cost", store_shifts=shifts)
    costs = {}
    for shift in shifts:
        z = np.zeros((network.n_locations, 4))
        z[network.stores] = store_safety_factors(scenario) + shift
        candidate = echelon_levels(scenario, z)
        ledger = scenario.simulator().run(EchelonBaseStock(network, candidate), scenario.demand_path(5))
        costs[shift] = (ledger.summary()["valued_cost"], candidate)
    best = min(costs, key=lambda s: costs[s][0])
    assert alpha == 0.5
    np.testing.assert_array_equal(levels, costs[best][1])
    assert len({round(c, 6) for c, _ in costs.values()}) == 3             # the shifts change the cost
    with pytest.raises(PlanningError, match="metric"):
        fit_levels(scenario, lambda lv: EchelonBaseStock(network, lv), metric="fill_rate")


def test_make_policy_uses_the_exact_serial_optimum() -> None:
    scenario = serial_chain()
    echelon = make_policy("echelon_base_stock", scenario)
    installation = make_policy("installation_base_stock", scenario)
    assert isinstance(echelon, EchelonBaseStock) and np.asarray(echelon.levels).tolist() == [12, 8, 6]
    assert isinstance(installation, InstallationBaseStock) and np.asarray(installation.levels).tolist() == [4, 2, 6]
    assert isinstance(make_policy("echelon_fair_share", scenario), WithinLimits)
    with pytest.raises(PlanningError, match="unknown network policy"):
        make_policy("mpc", scenario)
    # a misspelt name points to the one meant, before the full list (until 2026-12-07 the list alone)
    with pytest.raises(PlanningError, match=r"unknown network policy \(did you mean 'echelon_base_stock'\?\); "
                                            r"known: \['echelon_base_stock', 'installation_base_stock'"):
        make_policy("echelon_base_stok", scenario)
    assert set(NETWORK_POLICIES) == {"echelon_base_stock", "installation_base_stock", "echelon_fair_share",
                                     "network_mpc"}


@pytest.mark.parametrize(("kwargs", "column"), [
    ({"grid": [1.5]}, "grid"), ({"grid": [0.0, 0.5]}, "grid"), ({"grid": ["0.9"]}, "grid"), ({"grid": []}, "grid"),
    ({"seeds": ()}, "seeds"), ({"seeds": (1.5,)}, "seeds"), ({"store_shifts": ()}, "store_shifts"),
    ({"store_shifts": [float("nan")]}, "store_shifts"), ({"grid": 0.9}, "grid"),
])
def test_fit_levels_refuses_a_bad_grid_seeds_or_shifts(kwargs: dict[str, object], column: str) -> None:
    """A service level of 1.5 was clipped to 0.999999 and returned as 1.5, 0 gave z = -4.75, "0.9" was read, no
    tuning seed returned the first candidate without simulating it, an empty grid was an AssertionError."""
    scenario = one_warehouse_scenario(n_stores=2, n_skus=2, periods=12, warmup=2)
    with pytest.raises(PlanningError, match=rf"column '{column}'"):
        fit_levels(scenario, lambda lv: EchelonBaseStock(scenario.network, lv), **kwargs)  # type: ignore[arg-type]
    levels, alpha = fit_levels(scenario, lambda lv: EchelonBaseStock(scenario.network, lv), grid=(np.float64(0.9),),
                               seeds=[np.int64(3)], store_shifts=(0,))
    assert alpha == 0.9 and levels.shape == (3, 2)
