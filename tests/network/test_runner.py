"""simulate_network: one row per seed, common random numbers, binding rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridinv import PlanningError
from hybridinv.network.ledger import NetworkLedger
from hybridinv.network.policies import EchelonBaseStock
from hybridinv.network.runner import NETWORK_RESULT_COLUMNS, binding_rates, simulate_network
from hybridinv.network.scenarios import get, serial_chain


def test_one_row_per_seed_with_the_cost_split_and_the_same_paths_per_seed() -> None:
    scenario = serial_chain(periods=120, warmup=20)
    policy = EchelonBaseStock(scenario.network, [12, 8, 6])
    frame = simulate_network(policy, scenario, seeds=[4, 7])
    assert list(frame.columns[: len(NETWORK_RESULT_COLUMNS)]) == list(NETWORK_RESULT_COLUMNS)
    assert frame["seed"].tolist() == [4, 7] and (frame["policy"] == "echelon_base_stock").all()
    parts = frame[["holding_cost", "transit_holding_cost", "shortage_cost", "ordering_cost", "shipping_cost",
                   "overflow_cost"]].sum(axis=1)
    np.testing.assert_allclose(frame["avg_cost"], parts)
    again = simulate_network(policy, scenario, seeds=[7])
    pd.testing.assert_series_equal(again.iloc[0].drop("decision_time"), frame.iloc[1].drop("decision_time"),
                                   check_names=False)
    # the same path through the simulator by hand
    ledger = scenario.simulator().run(policy, scenario.demand_path(4))
    assert frame["avg_cost"].iloc[0] == ledger.summary()["avg_cost"]
    assert np.isnan(frame["capacity_binding"]).all() and np.isnan(frame["budget_binding"]).all()


def test_binding_rates_count_full_receipts_and_spend_at_the_budget() -> None:
    scenario = get("owmr_10x50")
    ledger = NetworkLedger(scenario.network, periods=4, warmup=0)
    ledger.capacity_use[:, 0] = [0.5, 1.0, 0.2, 0.99]
    ledger.units["overflow"][2, 0] = 3.0
    ledger.spend[:] = [0.0, scenario.network.budget, scenario.network.budget * 2, 0.0]
    rates = binding_rates(ledger, scenario.costs)
    # period 1 full, 2 overflows, 3 has 1% (~33 volume) free, less than one unit of every SKU (~90)
    assert rates == {"capacity_binding": 0.75, "budget_binding": 0.5}


def test_simulate_network_accepts_a_registry_name() -> None:
    scenario = get("serial_3")
    frame = simulate_network(EchelonBaseStock(scenario.network, [12, 8, 6]), "serial_3", seeds=1, periods=50)
    assert frame["scenario"].iloc[0] == "serial_3" and frame["periods"].iloc[0] == 50 - 12


def test_bad_seeds_raise_planning_error_naming_seeds_as_simulate_does() -> None:
    # 0 and -1 returned an empty frame, "3" ran seed 3, [1.5] seed 1, True seed 0; 2.5 and [-1] raised a bare
    # TypeError / numpy ValueError
    scenario = serial_chain(periods=30, warmup=5)
    policy = EchelonBaseStock(scenario.network, [12, 8, 6])
    for seeds in (0, -1, "3", [1.5], True, 2.5, [-1], [], [2, 2]):
        with pytest.raises(PlanningError, match="column 'seeds'") as err:
            simulate_network(policy, scenario, seeds=seeds)
        assert err.value.column == "seeds", seeds
    assert simulate_network(policy, scenario, seeds=np.int64(2))["seed"].tolist() == [0, 1]
    assert simulate_network(policy, scenario, seeds=(3, np.int64(1)))["seed"].tolist() == [3, 1]


@pytest.mark.parametrize("periods", [2.5, "30", True, 0, -4])
def test_bad_periods_raise_planning_error_naming_periods(periods: object) -> None:
    """2.5 ran 2 periods, "30" 30 and True 1 (silently), -4 was numpy's negative-dimensions error."""
    scenario = get("serial_3")
    policy = EchelonBaseStock(scenario.network, [12.0, 8.0, 6.0])
    with pytest.raises(PlanningError, match=r"column 'periods'"):
        simulate_network(policy, scenario, seeds=1, periods=periods)  # type: ignore[arg-type]


def test_a_policy_name_or_a_scenario_of_another_kind_is_a_planning_error() -> None:
    scenario = get("serial_3")
    with pytest.raises(PlanningError, match=r"column 'policy', value 'echelon_base_stock'"):
        simulate_network("echelon_base_stock", scenario, seeds=1)  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match=r"column 'scenario'"):
        simulate_network(EchelonBaseStock(scenario.network, 10.0), 5, seeds=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "column"), [
    ({"seed": 1.5}, "seed"), ({"seed": "2"}, "seed"), ({"seed": -1}, "seed"), ({"seed": 0, "periods": 2.5}, "periods")])
def test_demand_path_checks_its_seed_and_periods(kwargs: dict[str, object], column: str) -> None:
    """A seed of 1.5 drew seed 1's path and "2" seed 2's, 2.5 periods were cut to 2, -1 was numpy's error."""
    with pytest.raises(PlanningError, match=rf"column '{column}'"):
        get("serial_3").demand_path(**kwargs)  # type: ignore[arg-type]
    assert get("serial_3").demand_path(np.int64(3), 4.0).shape == (4, 1, 1)
