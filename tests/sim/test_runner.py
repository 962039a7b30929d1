"""Tests for hybridinv.sim.runner and Scenario.sample: determinism and common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridinv import PlanningError, scenarios
from hybridinv.policies import SS, BaseStock
from hybridinv.reward.evaluate import seed_list
from hybridinv.sim import run_episode, simulate


@pytest.fixture(scope="module")
def disrupted():  # type: ignore[no-untyped-def]
    return scenarios.get("disrupted").replace(periods=60)


def test_same_seed_same_result(disrupted) -> None:  # type: ignore[no-untyped-def]
    policy = BaseStock(np.ceil(disrupted.demand.mean * (disrupted.catalog.lead_time + 3)), repair=None)
    a = simulate(policy, disrupted, seeds=[3, 4])
    b = simulate(policy, disrupted, seeds=[3, 4])
    pd.testing.assert_frame_equal(a.drop(columns="decision_time"), b.drop(columns="decision_time"))
    assert a.loc[0, "avg_cost"] != a.loc[1, "avg_cost"]
    assert list(a["seed"]) == [3, 4]
    for column in ("avg_cost", "fill_rate", "holding_cost", "shortage_cost", "ordering_cost", "violations"):
        assert column in a.columns


def test_scenario_sample_is_reproducible(disrupted) -> None:  # type: ignore[no-untyped-def]
    a, b, c = disrupted.sample(5), disrupted.sample(5), disrupted.sample(6)
    np.testing.assert_array_equal(a.demand.realized, b.demand.realized)
    np.testing.assert_array_equal(a.lead_times.lead_time, b.lead_times.lead_time)
    np.testing.assert_array_equal(a.lead_times.delivered_fraction, b.lead_times.delivered_fraction)
    assert not np.array_equal(a.demand.realized, c.demand.realized)
    assert a.demand.realized.shape == (disrupted.periods + disrupted.lookahead, disrupted.n_skus)


def test_two_policies_see_identical_demand_and_lead_times(disrupted) -> None:  # type: ignore[no-untyped-def]
    n = disrupted.n_skus
    mean, lead = disrupted.demand.mean, disrupted.catalog.lead_time
    low = BaseStock(np.ceil(mean * (lead + 1)), repair=None)
    high = SS(np.ceil(mean * (lead + 2)), np.ceil(mean * (lead + 5)), repair=None)
    ledger_low, _ = run_episode(low, disrupted, seed=11, track=range(n))
    ledger_high, _ = run_episode(high, disrupted, seed=11, track=range(n))
    np.testing.assert_array_equal(ledger_low.track_demand, ledger_high.track_demand)
    np.testing.assert_array_equal(ledger_low.track_demand, disrupted.sample(11).demand.realized[: disrupted.periods])
    assert not np.array_equal(ledger_low.track_orders, ledger_high.track_orders)
    assert ledger_low.summary()["avg_cost"] != ledger_high.summary()["avg_cost"]


def test_simulate_accepts_a_registry_name_and_an_int_seed_count() -> None:
    frame = simulate(BaseStock(12, repair=None), "single_sku", seeds=2, periods=80)
    assert list(frame["seed"]) == [0, 1]
    assert (frame["scenario"] == "single_sku").all() and (frame["policy"] == "base_stock").all()
    assert (frame["periods"] == 60).all()  # 80 periods minus a quarter of them (the scenario's warm-up is 50)


def test_simulation_leaves_global_warning_state_alone_and_is_quiet() -> None:
    """Over-full receipt periods are normal in simulation: no warning, no filter change (thread-safe)."""
    import warnings

    from hybridinv import scenarios
    from hybridinv.policies.registry import make
    from hybridinv.sim.runner import run_episode

    scenario = scenarios.get("disrupted")  # tight capacity: the repair meets over-full rows
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ledger, _ = run_episode(make("base_stock", scenario), scenario, 0, periods=40)
    assert not [w for w in caught if "cannot all be met" in str(w.message)]
    assert list(warnings.filters) == before
    assert ledger.summary()["violations"] == 0


@pytest.mark.parametrize("seeds", [10**30, 1_000_001])
def test_a_seed_count_above_the_bound_is_refused(seeds: int) -> None:
    # list(range(10**30)) raised an OverflowError
    with pytest.raises(PlanningError, match="at most 1,000,000 seeds") as info:
        simulate("base_stock", "single_sku", seeds=seeds, periods=5)
    assert info.value.column == "seeds"
    with pytest.raises(PlanningError, match="at most 1,000,000 seeds"):
        seed_list(seeds, start=7)
    assert seed_list(3, start=7) == [7, 8, 9]
