"""Policies that fit on first use refit for another catalog (the next plan() call, another scenario)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import hybridinv
from hybridinv.policies import SS, BaseStock, DynamicSS, Newsvendor, registry
from hybridinv.policies.rq import RQ, CappedBaseStock

CATALOG = pd.DataFrame({
    "sku": ["cheap_to_hold", "costly_to_hold"], "unit_cost": [0.0, 0.0], "holding_cost": [0.01, 10.0],
    "shortage_cost": [10.0, 0.01], "lead_time": [0, 0], "demand_mean": [100.0, 100.0], "demand_std": [10.0, 10.0],
})
STATE = pd.DataFrame({"sku": ["cheap_to_hold", "costly_to_hold"], "on_hand": [0, 0]})
FORECAST = pd.DataFrame({"sku": ["cheap_to_hold", "costly_to_hold"], "period": [0, 0], "mean": [100.0, 100.0],
                         "std": [10.0, 10.0]})


def _orders(policy: object, catalog: pd.DataFrame) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = hybridinv.plan(STATE, catalog, None, forecast=FORECAST, policy=policy, lost_sales=False)
    return dict(zip(frame["sku"], frame["order_qty"], strict=True))


@pytest.mark.parametrize("make", [Newsvendor, DynamicSS, RQ, CappedBaseStock,
                                  lambda: registry.make("base_stock", None)])
def test_a_reused_policy_plans_as_a_fresh_one_after_the_rows_or_costs_change(make) -> None:  # type: ignore[no-untyped-def]
    fresh = _orders(make(), CATALOG)
    assert fresh["cheap_to_hold"] > fresh["costly_to_hold"]  # the costs matter here
    reused = make()
    _orders(reused, CATALOG.iloc[::-1])  # last week: the same SKUs in another row order
    assert _orders(reused, CATALOG) == fresh  # used to swap the two SKUs' fits (matched by position)
    swapped = CATALOG.assign(holding_cost=CATALOG["holding_cost"][::-1].to_numpy(),
                             shortage_cost=CATALOG["shortage_cost"][::-1].to_numpy())
    assert _orders(reused, swapped) == _orders(make(), swapped)  # new costs: refit, not last week's fit


def test_a_fit_from_hand_made_demand_statistics_serves_any_catalog_of_its_size() -> None:
    """Statistics given by hand carry no catalog: the fit stays (as before) while the SKU count matches."""
    from dataclasses import replace

    import numpy as np

    from hybridinv import scenarios, simulate
    from hybridinv.policies.newsvendor import demand_statistics

    scenario = scenarios.get("multi_10")
    doubled = replace(demand_statistics(scenario), mean=2.0 * demand_statistics(scenario).mean)
    policy = RQ().fit(doubled)
    mine = policy.reorder_point_.copy()
    simulate(policy, scenario, seeds=1, periods=6)
    np.testing.assert_array_equal(policy.reorder_point_, mine)  # not refitted from the scenario
    assert not np.array_equal(RQ().fit(scenario).reorder_point_, mine)


def test_a_fit_on_a_scenario_serves_an_equal_copy_of_its_catalog() -> None:
    """A policy fitted on a scenario keeps its fit in a worker process or on the same scenario built again."""
    import pickle

    import numpy as np

    from hybridinv import scenarios, simulate

    policy = CappedBaseStock(repair="fast").fit(scenarios.get("multi_10"))
    policy.level_ = policy.level_ + 7.0  # a fit the catalog alone would not give
    copy = pickle.loads(pickle.dumps(policy))
    again = scenarios.get("multi_10")  # a new, equal catalog object
    assert again.catalog is not policy.fitted_catalog_
    simulate(copy, again, seeds=1, periods=6)
    np.testing.assert_array_equal(copy.level_, policy.level_)  # not refitted
    assert copy.fitted_catalog_ is again.catalog  # bound to the equal copy: later periods take the identity check


def test_the_residual_hybrids_base_refits_for_another_catalog_of_the_same_size() -> None:
    """CappedBaseStockTargets (the residual hybrid's base) refitted only on a new SKU count."""
    import numpy as np

    from hybridinv.envs import SKU_FEATURES
    from hybridinv.rl import Hybrid
    from hybridinv.rl.maps import LinearMap
    from hybridinv.rl.parameterizations import CappedBaseStockTargets

    def make() -> Hybrid:  # zero corrections: the hybrid plans as its base
        return Hybrid(CappedBaseStockTargets(), LinearMap(np.zeros((2, len(SKU_FEATURES)))), "es")

    fresh = _orders(make(), CATALOG)
    reused = make()
    _orders(reused, CATALOG.iloc[::-1])
    assert _orders(reused, CATALOG) == fresh
    swapped = CATALOG.assign(demand_mean=[100.0, 400.0], demand_std=[10.0, 40.0])
    assert _orders(reused, swapped) == _orders(make(), swapped) != fresh


def test_the_residual_hybrid_reports_the_largest_ordering_position_as_its_reorder_point() -> None:
    """With level 11.5, a position of 11 orders: the reorder point is 11, not 10.5 ('above the reorder point')."""
    import numpy as np

    from hybridinv.envs import SKU_FEATURES
    from hybridinv.policies.rq import CappedBaseStock
    from hybridinv.rl import Hybrid
    from hybridinv.rl.maps import LinearMap
    from hybridinv.rl.parameterizations import CappedBaseStockTargets

    catalog = CATALOG.assign(unit_cost=1.0, holding_cost=0.1, shortage_cost=5.0, demand_mean=10.0, demand_std=3.0)
    state = STATE.assign(on_hand=[11, 12])
    base = CappedBaseStock(level=11.5, cap=50.0, repair="fast")
    hybrid = Hybrid(CappedBaseStockTargets(base), LinearMap(np.zeros((2, len(SKU_FEATURES)))), "es")
    frame = hybridinv.plan(state, catalog, None, policy=hybrid)
    assert frame["order_qty"].tolist() == [1, 0]
    assert frame["reorder_point"].tolist() == [11.0, 11.0]
    assert frame["target_reason"].tolist() == ["base_rule", "above_reorder_point"]


def test_levels_fitted_by_class_method_follow_their_skus_to_another_catalog() -> None:
    """BaseStock.fit / SS.fit levels were applied by position: on a catalog with the same SKUs in another order
    (or other SKUs, as many) each SKU got another SKU's level, silently."""
    import numpy as np

    from hybridinv import scenarios
    from hybridinv.policies.classical import SS, BaseStock

    from ._helpers import assert_levels_follow_their_skus

    scenario = scenarios.get("multi_10")
    flipped_obs = assert_levels_follow_their_skus([BaseStock.fit(scenario, repair=None),
                                                   SS.fit(scenario, repair=None)], scenario)
    # levels given by hand stay in catalog order
    hand = BaseStock(np.arange(10.0), repair=None)
    np.testing.assert_array_equal(hand.targets(flipped_obs)[1], np.arange(10.0))


FITS = {
    "BaseStock": BaseStock.fit,
    "SS": SS.fit,
    "RQ": lambda source: RQ().fit(source),
    "CappedBaseStock": lambda source: CappedBaseStock().fit(source),
    "Newsvendor": lambda source: Newsvendor().fit(source),
    "DynamicSS": lambda source: DynamicSS().fit(source),
}


@pytest.mark.parametrize("name", sorted(FITS))
def test_fit_refuses_sources_other_than_scenarios_and_observations_naming_them(name: str) -> None:
    """The finding: fit("multi_10"), fit(5) or fit(None) were AttributeErrors ("'str' object has no attribute
    'catalog'"), and Newsvendor/DynamicSS fitted on DemandStatistics too (which carry no costs)."""
    from hybridinv import PlanningError, scenarios
    from hybridinv.policies.newsvendor import demand_statistics

    with pytest.raises(PlanningError, match=r"for a scenario name pass hybridinv.scenarios.get\('multi_10'\)"):
        FITS[name]("multi_10")
    for bad in (5, None, {}, [1.0]):
        with pytest.raises(PlanningError, match="must be a Scenario or an Observation") as err:
            FITS[name](bad)
        assert err.value.column == "source" and err.value.value == type(bad).__name__
    FITS[name](scenarios.get("multi_10"))
    statistics = demand_statistics(scenarios.get("multi_10"))
    if name in ("Newsvendor", "DynamicSS"):
        with pytest.raises(PlanningError, match="DemandStatistics carry no costs"):
            FITS[name](statistics)
    else:
        FITS[name](statistics)
