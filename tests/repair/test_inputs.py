"""Input validation and default weights."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import InventoryState, PlanningError
from hybridinv.repair import repair_orders
from hybridinv.repair.inputs import (
    HOLDING_PERIODS,
    TIE_BREAK_WEIGHT,
    build_problem,
    check_state,
    default_weights,
    desired_array,
    expected_demand_array,
    weight_array,
)

from ._cases import make_case


def test_default_weights_follow_the_cost_model() -> None:
    case = make_case([1.0, 1.0], holding_cost=[0.5, 2.0], shortage_cost=[4.0, 0.0])
    under, over = default_weights(case.catalog)
    np.testing.assert_allclose(under, [4.0 + TIE_BREAK_WEIGHT, TIE_BREAK_WEIGHT])
    np.testing.assert_allclose(over, np.array([0.5, 2.0]) * HOLDING_PERIODS + TIE_BREAK_WEIGHT)
    assert (under > 0).all() and (over > 0).all()


def test_scalar_weight_is_broadcast() -> None:
    case = make_case([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(weight_array(2.0, "under_weight", case.catalog), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_desired_must_be_finite(bad: float) -> None:
    case = make_case([1.0, 1.0])
    with pytest.raises(PlanningError) as err:
        desired_array([1.0, bad], case.catalog)
    assert err.value.sku == "s1" and err.value.column == "desired"


@pytest.mark.parametrize("huge", [1e16, -1e16, 1e300])
def test_desired_beyond_max_order_is_refused(huge: float) -> None:
    # a desired 1e16 with lot size 7 gave the order 1e16, not a multiple of 7 (float64 holds
    # whole numbers exactly only up to 2**53), labelled optimal
    case = make_case([3.0, huge], lot_size=7.0, moq=14.0)
    with pytest.raises(PlanningError, match="at most 1e\\+15") as err:
        repair_orders(*case.args, backend="fast")
    assert err.value.sku == "s1" and err.value.column == "desired" and err.value.value == huge


def test_desired_up_to_max_order_gives_whole_lots() -> None:
    case = make_case([3.0, 1e15], lot_size=7.0, moq=14.0)
    orders = np.asarray(repair_orders(*case.args, backend="fast").orders)
    assert orders[1] == 7 * 142857142857143 and orders[1] % 7 == 0  # ceil(1e15 / 7) lots, exactly


def test_desired_must_be_numeric() -> None:
    case = make_case([1.0, 1.0])
    with pytest.raises(PlanningError, match="must be numbers"):
        desired_array(["a", "b"], case.catalog)


@pytest.mark.parametrize("option", ["under_weight", "over_weight", "expected_demand", "lower", "upper", "desired"])
@pytest.mark.parametrize("value", ["2", True, [1.0, "2"], 1 + 2j])
def test_per_sku_inputs_refuse_booleans_text_and_complex(option: str, value: object) -> None:
    # "2" was read as 2 units, True as 1 (a weight, a bound or a forecast the caller did not mean)
    case = make_case([1.0, 1.0])
    kwargs = {"desired": [1.0, 1.0], option: value}
    with pytest.raises(PlanningError, match="must be numbers") as err:
        repair_orders(kwargs.pop("desired"), case.catalog, case.state, case.constraints, **kwargs)
    assert err.value.column == option


@pytest.mark.parametrize(("option", "value"), [("time_limit", "2"), ("time_limit", True), ("gap_tolerance", "0.01"),
                                               ("gap_tolerance", True), ("warn", "no"), ("warn", 0)])
def test_scalar_options_refuse_text_and_booleans(option: str, value: object) -> None:
    case = make_case([1.0, 1.0])
    with pytest.raises(PlanningError) as err:
        repair_orders([1.0, 1.0], case.catalog, case.state, case.constraints, **{option: value})
    assert err.value.column == option


def test_expected_demand_defaults_to_catalog_mean_with_nan_as_zero() -> None:
    case = make_case([1.0, 1.0], demand=[2.0, 3.0])
    np.testing.assert_array_equal(expected_demand_array(None, case.catalog), [2.0, 3.0])
    nan_mean = case.catalog.with_values(demand_mean=np.array([np.nan, 4.0]))
    np.testing.assert_array_equal(expected_demand_array(None, nan_mean), [0.0, 4.0])


def test_expected_demand_validation() -> None:
    case = make_case([1.0, 1.0])
    assert expected_demand_array(np.ones((2, 4)), case.catalog).shape == (2, 4)
    with pytest.raises(PlanningError, match="s0"):
        expected_demand_array([-1.0, 1.0], case.catalog)
    with pytest.raises(PlanningError, match="shape"):
        expected_demand_array(np.ones((2, 0)), case.catalog)


def test_check_state_accepts_only_aligned_states() -> None:
    case = make_case([1.0, 1.0])
    check_state(case.catalog, case.state)
    with pytest.raises(PlanningError, match="InventoryState"):
        check_state(case.catalog, "state")  # type: ignore[arg-type]
    renamed = InventoryState(np.array(["s0", "x"], dtype=object), case.state.on_hand)
    with pytest.raises(PlanningError, match="aligned") as err:
        check_state(case.catalog, renamed)
    assert err.value.sku == "s1"


def test_constraints_type_is_checked() -> None:
    case = make_case([1.0])
    with pytest.raises(PlanningError, match="Constraints"):
        build_problem(case.desired, case.catalog, case.state, {"capacity": 3})  # type: ignore[arg-type]


def test_expected_demand_indexed_by_sku_is_read_by_its_labels() -> None:
    """A Series or (SKU x period) DataFrame keyed by SKU was read by position: each SKU got another's demand."""
    import numpy as np
    import pandas as pd

    from hybridinv import Catalog, Constraints, InventoryState, PlanningError
    from hybridinv.repair import repair_orders

    cat = Catalog(sku=["A", "B"], unit_cost=[1.0, 1.0], holding_cost=[0.1, 0.1], shortage_cost=[1.0, 1.0],
                  lead_time=[0, 1], volume=[1.0, 1.0])
    state, cons, desired = InventoryState(cat.sku, on_hand=[10.0, 0.0]), Constraints(capacity=12.0), [0.0, 10.0]
    aligned = repair_orders(desired, cat, state, cons, expected_demand=np.array([10.0, 0.0]))
    np.testing.assert_array_equal(aligned.orders, [0.0, 10.0])  # A sells its 10 units: room for B's 10
    for given in (pd.Series({"B": 0.0, "A": 10.0}),
                  pd.DataFrame([[0.0, 0.0], [10.0, 10.0]], index=["B", "A"])):
        result = repair_orders(desired, cat, state, cons, expected_demand=given)
        np.testing.assert_array_equal(result.orders, aligned.orders)
    with pytest.raises(PlanningError) as info:
        repair_orders(desired, cat, state, cons, expected_demand=pd.Series({"A": 1.0, "C": 2.0}))
    assert info.value.column == "expected_demand"
