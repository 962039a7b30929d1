"""The serial-chain solver applies the exact solvers' shared cost checks (MAX_COST, MAX_COST_RATIO, no booleans)."""

from __future__ import annotations

import pytest

from hybridinv import PlanningError
from hybridinv.exact import serial_echelon_base_stock, serial_echelon_base_stock_cost

BASE = dict(mean=5.0, lead_time=[1, 2], holding_cost=[1.0, 0.5], shortage_cost=9.0)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (dict(shortage_cost=1e30), "shortage_cost"),
        (dict(shortage_cost=1e7), "shortage_cost"),  # 1e7 times the stage-1 holding cost: above MAX_COST_RATIO
        (dict(holding_cost=[True, True]), "holding_cost"),
        (dict(holding_cost=["1", "0.5"]), "holding_cost"),
        (dict(holding_cost={}), "holding_cost"),
        (dict(holding_cost=1e30), "holding_cost"),
        (dict(holding_cost=[1e13, 1.0]), "holding_cost"),
        (dict(demand_std=1e30), "demand_std"),
        (dict(demand_std=1.0, mean=1e30), "mean"),
        (dict(mean=1e30), "mean"),
        (dict(mean=True), "mean"),
    ],
)
@pytest.mark.parametrize("solve", ["optimum", "cost"])
def test_bad_costs_and_demand_are_refused(change, column, solve):
    kwargs = {**BASE, **change}
    with pytest.raises(PlanningError) as info:
        if solve == "optimum":
            serial_echelon_base_stock(**kwargs)
        else:
            serial_echelon_base_stock_cost([10, 20], **kwargs)
    assert info.value.column == column


def test_a_huge_shortage_cost_is_named_against_max_cost():
    with pytest.raises(PlanningError, match="MAX_COST"):
        serial_echelon_base_stock(**{**BASE, "shortage_cost": 1e30})


def test_costs_at_the_limits_still_solve():
    result = serial_echelon_base_stock(**{**BASE, "shortage_cost": 9e5})  # ratio 9e5 <= 1e6
    assert result.cost > 0
    assert serial_echelon_base_stock(**BASE).levels.tolist() == serial_echelon_base_stock(
        **{**BASE, "holding_cost": [1, 0.5]}).levels.tolist()
