"""Tests for hybridinv.core.constraints and the unknown-scenario error."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from conftest import make_catalog

from hybridinv import Constraints, PlanningError


def test_defaults_are_unlimited() -> None:
    cons = Constraints()
    assert math.isinf(cons.capacity) and math.isinf(cons.budget)
    assert not cons.has_capacity and not cons.has_budget
    assert dict(cons.supplier_capacity) == {}


def test_finite_limits() -> None:
    cons = Constraints(capacity=100, budget=250.5)
    assert cons.capacity == 100.0 and cons.budget == 250.5
    assert cons.has_capacity and cons.has_budget
    assert cons.to_dict() == {"capacity": 100.0, "budget": 250.5, "supplier_capacity": {}}


@pytest.mark.parametrize("name", ["capacity", "budget"])
@pytest.mark.parametrize("value", [0.0, -5.0, float("nan")])
def test_zero_negative_or_nan_limit(name: str, value: float) -> None:
    with pytest.raises(PlanningError) as info:
        Constraints(**{name: value})
    assert info.value.column == name
    assert f"column {name!r}" in str(info.value)
    assert repr(value) in str(info.value)


def test_non_numeric_limit() -> None:
    with pytest.raises(PlanningError, match="'budget'.*'plenty'"):
        Constraints(budget="plenty")  # type: ignore[arg-type]


def test_an_integer_beyond_the_float_range_is_refused_by_name() -> None:
    # Constraints(budget=10**400) was a bare OverflowError
    for name in ("capacity", "budget"):
        with pytest.raises(PlanningError, match="below 1.8e308") as info:
            Constraints(**{name: 10**400})
        assert info.value.column == name
    with pytest.raises(PlanningError, match="below 1.8e308"):
        Constraints(supplier_capacity={"west": 10**400})


@pytest.mark.parametrize("value", [True, np.True_])
def test_boolean_limit_is_refused(value: object) -> None:
    # Constraints(capacity=True) was a capacity of 1.0
    for name in ("capacity", "budget"):
        with pytest.raises(PlanningError, match="boolean") as info:
            Constraints(**{name: value})  # type: ignore[arg-type]
        assert info.value.column == name
    with pytest.raises(PlanningError, match="boolean") as info:
        Constraints(supplier_capacity={"west": value})  # type: ignore[dict-item]
    assert info.value.column == "supplier_capacity"


def test_supplier_capacity_rows() -> None:
    catalog = make_catalog(4, supplier=np.array(["north", "south", "north", "east"], dtype=object))
    cons = Constraints(supplier_capacity={"north": 10, "east": 3})
    names, member, limits = cons.supplier_rows(catalog)
    assert names == ["north", "east"]
    np.testing.assert_array_equal(member, [0, -1, 0, 1])
    np.testing.assert_array_equal(limits, [10.0, 3.0])


def test_supplier_capacity_must_be_positive() -> None:
    with pytest.raises(PlanningError) as info:
        Constraints(supplier_capacity={"north": 0})
    # the supplier is named in the message, not in the SKU field
    assert info.value.column == "supplier_capacity" and info.value.sku is None and info.value.value == 0
    assert "supplier 'north'" in str(info.value)


def test_supplier_capacity_for_unknown_supplier() -> None:
    catalog = make_catalog(2)
    with pytest.raises(PlanningError, match="'west'"):
        Constraints(supplier_capacity={"west": 4}).supplier_rows(catalog)


def test_constraints_are_frozen() -> None:
    cons = Constraints(capacity=5)
    with pytest.raises(AttributeError):
        cons.capacity = 6  # type: ignore[misc]
    with pytest.raises(TypeError):
        cons.supplier_capacity["x"] = 1  # type: ignore[index]


def test_constraints_pickle_round_trip() -> None:
    # worker processes (benchmarks, plan from the CLI) receive constraints by pickle
    cons = Constraints(capacity=50.0, budget=70.0, supplier_capacity={"north": 10.0})
    again = pickle.loads(pickle.dumps(cons))
    assert again == cons
    assert dict(again.supplier_capacity) == {"north": 10.0}


def test_coerce_accepts_constraints_dicts_and_none_and_names_unknown_keys() -> None:
    from hybridinv import Constraints, PlanningError

    assert Constraints.coerce(None).to_dict() == Constraints().to_dict()
    given = Constraints(capacity=5.0)
    assert Constraints.coerce(given) is given
    assert Constraints.coerce({"budget": 7.0}).budget == 7.0
    with pytest.raises(PlanningError, match="space"):
        Constraints.coerce({"space": 3.0})
    with pytest.raises(PlanningError, match="list"):
        Constraints.coerce([1, 2])


def test_a_supplier_named_twice_as_text_is_refused() -> None:
    with pytest.raises(PlanningError, match="names a supplier twice") as info:
        Constraints(supplier_capacity={1: 2.0, "1": 7.0})  # kept 7 and dropped the tighter 2
    assert info.value.column == "supplier_capacity" and info.value.value == "1"


@pytest.mark.parametrize("value", [None, 0, 5.0, "10", [1, 2], (1,), np.float32(5)])
def test_supplier_capacity_that_is_not_a_mapping_is_refused(value: object) -> None:
    # dict(5) and dict("10") raised a TypeError or a plain ValueError from inside the dataclass
    with pytest.raises(PlanningError, match="must map supplier names to limits") as info:
        Constraints.coerce({"capacity": 10.0, "supplier_capacity": value})
    assert info.value.column == "supplier_capacity"


def test_an_infinite_supplier_capacity_is_no_limit():
    """The finding: an infinite supplier capacity ("use inf for no limit") stayed a row: 0 x inf in the repair's
    prices gave thousands of numpy warnings and other plans than without the row."""
    import warnings

    from hybridinv import scenarios, simulate
    from hybridinv.policies import BaseStock

    assert dict(Constraints(supplier_capacity={"S0": math.inf, "S1": 5.0}).supplier_capacity) == {"S1": 5.0}
    scenario = scenarios.get("multi_10")
    limits = scenario.constraints
    unlimited = scenario.replace(constraints=Constraints(capacity=limits.capacity, budget=limits.budget,
                                                         supplier_capacity={"S0": math.inf}))
    policy = BaseStock.fit(scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with_inf = simulate(policy, unlimited, seeds=2, periods=20)["avg_cost"].tolist()
    assert with_inf == simulate(policy, scenario, seeds=2, periods=20)["avg_cost"].tolist()


def test_a_supplier_written_with_other_spaces_or_case_is_refused_not_left_outside_its_capacity() -> None:
    """' ACME' (a padded cell) escaped the limit of 'ACME': 35 units ordered from a supplier capped at 10."""
    import pandas as pd

    import hybridinv

    cat = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [10.0] * 2, "holding_cost": [1.0] * 2,
                        "shortage_cost": [30.0] * 2, "lead_time": [1] * 2, "demand_mean": [10.0] * 2,
                        "supplier": [" ACME", "ACME"]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})
    for key in ("ACME", "acme"):
        with pytest.raises(PlanningError, match="differs from it only in spaces or case") as info:
            hybridinv.plan(state, cat, {"supplier_capacity": {key: 10}})
        assert info.value.column == "supplier" and info.value.value == key
    plan = hybridinv.plan(state, cat.assign(supplier="ACME"), {"supplier_capacity": {"ACME": 10}})
    assert plan["order_qty"].sum() <= 10


@pytest.mark.parametrize("limits", [{"capacity": "3"}, {"budget": b"3"}, {"supplier_capacity": {"S0": "3"}},
                                    {"supplier_capacity": {None: 3.0}}, {"supplier_capacity": {float("nan"): 3.0}},
                                    {"supplier_capacity": {True: 3.0}}])
def test_text_limits_and_supplier_keys_that_are_not_names_are_refused(limits: dict) -> None:
    """Constraints(capacity="3") was a capacity of 3, and None, NaN or True keys became the suppliers 'None',
    'nan' and 'True' (text is refused everywhere else)."""
    with pytest.raises(PlanningError) as info:
        Constraints(**limits)
    assert info.value.column in ("capacity", "budget", "supplier_capacity")
    assert dict(Constraints(supplier_capacity={7: 3.0, np.int64(8): 4.0, "S0": 5}).supplier_capacity) == {
        "7": 3.0, "8": 4.0, "S0": 5.0}
