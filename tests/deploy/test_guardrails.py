"""Plan-time guardrails: per-SKU bounds, enforcement in the repair, reporting."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from hybridinv.core import Catalog, Constraints, ConstraintViolationWarning, InventoryState, PlanningError
from hybridinv.demand.processes import DemandProcess
from hybridinv.deploy import GuardedPolicy, Guardrails, apply_guardrails, guarded_repair, guardrail_report
from hybridinv.policies import BaseStock
from hybridinv.sim import Scenario, Simulator


def _catalog(n=4, **columns):
    data = {"sku": [f"S{i}" for i in range(n)], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 5.0,
            "lead_time": 1}
    data.update(columns)
    return Catalog.from_frame(pd.DataFrame(data))


def _state(catalog, on_hand, pipeline=0.0):
    n = catalog.n_skus
    return InventoryState(catalog.sku, np.asarray(on_hand, float), np.zeros(n), np.full((n, 1), pipeline))


def test_change_limit_bounds_hand_computed():
    catalog = _catalog()
    state = _state(catalog, [0, 0, 0, 0])
    incumbent = np.array([0.0, 10.0, 100.0, 40.0])
    rails = Guardrails(max_change_units=5, max_change_fraction=0.2)
    lower, upper = apply_guardrails(rails, catalog, state, incumbent, np.full(4, 10.0))
    # allowed change = max(5, 0.2 * incumbent) = 5, 5, 20, 8
    assert lower.tolist() == [0.0, 5.0, 80.0, 32.0]
    assert upper.tolist() == [5.0, 15.0, 120.0, 48.0]


def test_bounds_of_zero_are_positive_zeros():
    # ceil(0 - tol) gave lower = -0.0, shown as "-0" in reports and frames
    catalog = _catalog()
    lower, upper = apply_guardrails(Guardrails(max_change_units=5, max_periods_of_supply=1.0), catalog,
                                    _state(catalog, [0, 0, 50, 0]), np.array([0.0, 2.0, 0.0, 0.0]), np.full(4, 10.0))
    assert lower.tolist() == [0.0, 0.0, 0.0, 0.0] and upper.tolist() == [5.0, 7.0, 0.0, 5.0]
    assert not np.signbit(lower).any() and not np.signbit(upper).any()


def test_periods_of_supply_cap_uses_inventory_position():
    catalog = _catalog()
    state = _state(catalog, [0, 10, 30, 50], pipeline=5.0)
    rails = Guardrails(max_periods_of_supply=3)
    lower, upper = apply_guardrails(rails, catalog, state, None, np.full((4, 2), 10.0))
    # cap = max(0, 3 * 10 - (on_hand + 5))
    assert upper.tolist() == [25.0, 15.0, 0.0, 0.0]
    assert lower.tolist() == [0.0] * 4


def test_critical_minimum_wins_over_other_limits():
    catalog = _catalog()
    state = _state(catalog, [100, 0, 0, 0])
    rails = Guardrails(max_periods_of_supply=2, critical=np.array([True, True, False, False]),
                       critical_min_order=3.0)
    lower, upper = apply_guardrails(rails, catalog, state, None, np.full(4, 10.0))
    assert lower.tolist() == [3.0, 3.0, 0.0, 0.0]
    assert upper.tolist() == [3.0, 20.0, 20.0, 20.0]  # SKU 0 has no room but must get its minimum


def test_change_limit_needs_incumbent():
    catalog = _catalog()
    with pytest.raises(PlanningError, match="incumbent"):
        apply_guardrails(Guardrails(max_change_units=1), catalog, _state(catalog, [0] * 4), None, np.ones(4))
    with pytest.raises(PlanningError, match="max_change_fraction"):
        Guardrails(max_change_fraction=-1)


@pytest.mark.parametrize(("name", "high"), [("max_change_units", 1e12), ("max_change_fraction", 1e12),
                                            ("max_periods_of_supply", 1e5)])
def test_limits_are_bounded_so_the_bounds_stay_finite(name: str, high: float) -> None:
    # the finding: 1e308 passed the check and overflowed in the bounds (a numpy RuntimeWarning); None is no limit
    with pytest.raises(PlanningError, match=rf"column '{name}', value 1e\+308: must be a finite number in \[0, "):
        Guardrails(**{name: 1e308})
    catalog = _catalog()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        lower, upper = apply_guardrails(Guardrails(**{name: high}), catalog, _state(catalog, [0] * 4), np.ones(4),
                                        np.ones(4))
    assert np.isfinite(lower).all() and (upper >= lower).all()


def test_guarded_repair_without_rules_clips():
    catalog = _catalog()
    state = _state(catalog, [0] * 4)
    orders = guarded_repair(np.array([0.0, 50.0, 7.2, 3.0]), catalog, state, Constraints(),
                            lower=np.array([2.0, 0, 0, 0]), upper=np.array([10.0, 20.0, 5.0, np.inf]))
    assert orders.tolist() == [2.0, 20.0, 5.0, 3.0]


def test_guarded_repair_keeps_lot_sizes_and_budget():
    catalog = _catalog(lot_size=[5, 5, 1, 1], moq=[5, 10, 0, 0])
    state = _state(catalog, [0] * 4)
    upper = np.array([12.0, 8.0, 30.0, 30.0])
    orders = guarded_repair(np.array([20.0, 20.0, 30.0, 30.0]), catalog, state, Constraints(budget=50.0),
                            lower=np.zeros(4), upper=upper)
    assert (orders <= upper).all()
    assert (np.mod(orders, catalog.lot_size) == 0).all()
    assert ((orders == 0) | (orders >= catalog.moq)).all()
    assert catalog.unit_cost @ orders <= 50.0 + 1e-9
    assert orders[1] == 0.0  # the only lot-feasible quantities <= 8 are 0 (moq 10)


def test_report_names_active_guardrail():
    catalog = _catalog()
    state = _state(catalog, [0, 0, 40, 0])
    incumbent = np.array([10.0, 10.0, 10.0, 0.0])
    rails = Guardrails(max_change_units=5, max_periods_of_supply=3, critical=np.array([False] * 3 + [True]),
                       critical_min_order=4)
    desired = np.array([30.0, 12.0, 12.0, 0.0])
    lower, upper = apply_guardrails(rails, catalog, state, incumbent, np.full(4, 10.0))
    final = np.clip(desired, lower, upper)
    report = guardrail_report(rails, catalog, state, incumbent, np.full(4, 10.0), desired, final)
    assert report["active"].tolist() == ["max_change", "", "periods_of_supply", "critical_minimum"]
    assert report["final"].tolist() == [15.0, 12.0, 0.0, 4.0]
    assert report["binding"].tolist() == [True, False, True, True]


def test_guarded_policy_stays_within_change_limit_in_simulation():
    n = 3
    catalog = _catalog(n)
    scenario = Scenario(name="g", catalog=catalog, constraints=Constraints(),
                        demand=DemandProcess(mean=np.array([5.0, 10.0, 20.0])), periods=40)
    incumbent = BaseStock(np.array([12.0, 25.0, 45.0]), repair=None)
    aggressive = BaseStock(np.array([40.0, 80.0, 120.0]), repair=None)
    guarded = GuardedPolicy(aggressive, Guardrails(max_change_units=3), incumbent=incumbent)
    sim = Simulator(scenario)
    obs = sim.reset(seed=0)
    while not sim.done:
        reference = incumbent.act(obs)
        orders = guarded.act(obs)
        assert (np.abs(orders - reference) <= 3 + 1e-9).all()
        report = guarded.report()
        assert set(report["active"]) <= {"", "max_change"}
        obs = sim.step(orders)


# --------------------------------------------------------------------------- bounds enforced inside the repair


@pytest.mark.parametrize("backend", ["fast", "auto"])
def test_critical_minimum_is_honored_under_a_tight_budget(backend):
    # the budget (40) is worth more on S1..S3 (shortage 5/unit) than on S0, yet S0 is critical
    catalog = _catalog(lot_size=[5, 1, 1, 1], moq=[10, 0, 0, 0], shortage_cost=[0.1, 5.0, 5.0, 5.0])
    state = _state(catalog, [0] * 4)
    rails = Guardrails(critical=np.array([True, False, False, False]), critical_min_order=7.0)
    lower, upper = apply_guardrails(rails, catalog, state, None, np.full(4, 10.0))
    desired = np.array([0.0, 20.0, 20.0, 20.0])
    orders = guarded_repair(desired, catalog, state, Constraints(budget=40.0), lower, upper, backend=backend)
    assert orders[0] == 10.0  # 7 rounded up to whole lots and the MOQ
    assert catalog.unit_cost @ orders <= 40.0 + 1e-9  # the rest of the plan still fits the budget
    assert orders.sum() == pytest.approx(40.0)


def test_critical_minimum_wins_over_lot_rounding_conflict():
    # periods-of-supply cap 3 < one lot of 5: the minimum of 3 wins, so one lot is ordered
    catalog = _catalog(lot_size=[5, 5, 1, 1])
    state = _state(catalog, [17, 17, 0, 0])
    rails = Guardrails(max_periods_of_supply=2, critical=np.array([True, False, False, False]), critical_min_order=3)
    lower, upper = apply_guardrails(rails, catalog, state, None, np.full(4, 10.0))
    # S0's band is widened to the one lot that meets its minimum (a safety floor); S1 keeps its cap
    assert lower[0] == 3.0 and upper[:2].tolist() == [5.0, 3.0]
    orders = guarded_repair(np.array([9.0, 9.0, 1.0, 1.0]), catalog, state, Constraints(capacity=1000.0), lower, upper)
    assert orders[:2].tolist() == [5.0, 0.0]  # S1: no whole lot fits under its cap


def test_critical_minimum_above_max_order_orders_the_maximum():
    catalog = _catalog(lot_size=[2, 1, 1, 1], max_order=[7, np.inf, np.inf, np.inf])
    state = _state(catalog, [0] * 4)
    rails = Guardrails(critical=np.array([True, False, False, False]), critical_min_order=10)
    lower, upper = apply_guardrails(rails, catalog, state, None, np.ones(4))
    with pytest.warns(ConstraintViolationWarning, match="maximum order"):
        orders = guarded_repair(np.zeros(4), catalog, state, Constraints(), lower, upper)
    assert orders[0] == 6.0


def test_minimum_orders_above_budget_keep_the_minimum_and_warn():
    catalog = _catalog(unit_cost=[5.0, 1.0, 1.0, 1.0])
    state = _state(catalog, [0] * 4)
    rails = Guardrails(critical=np.array([True, True, False, False]), critical_min_order=[4.0, 6.0, 0.0, 0.0])
    lower, upper = apply_guardrails(rails, catalog, state, None, np.ones(4))
    with pytest.warns(ConstraintViolationWarning, match="budget"):
        orders = guarded_repair(np.full(4, 10.0), catalog, state, Constraints(budget=20.0), lower, upper)
    assert orders.tolist() == [4.0, 6.0, 0.0, 0.0]


def test_report_binding_uses_whole_lot_bounds():
    catalog = _catalog(lot_size=[5, 5, 1, 1])
    state = _state(catalog, [0] * 4)
    incumbent = np.array([10.0, 10.0, 10.0, 10.0])
    rails = Guardrails(max_change_units=3)
    desired = np.array([30.0, 10.0, 0.0, 11.0])
    lower, upper = apply_guardrails(rails, catalog, state, incumbent, np.full(4, 10.0))
    final = guarded_repair(desired, catalog, state, Constraints(), lower, upper)
    assert final.tolist() == [10.0, 10.0, 7.0, 11.0]  # S0: 13 rounds down to 10 = the largest whole lot
    report = guardrail_report(rails, catalog, state, incumbent, np.full(4, 10.0), desired, final)
    assert report["active"].tolist() == ["max_change", "", "max_change", ""]
    assert report["binding"].tolist() == [True, True, True, False]


def test_report_reads_its_columns_by_sku_label_like_the_bounds():
    # the finding: the bounds read a SKU-indexed incumbent by label, the report's columns by position,
    # so A showed the incumbent 100 next to the bounds [0, 5] that came from its incumbent 0
    catalog = _catalog(3)
    state = _state(catalog, [0, 0, 0])
    rails = Guardrails(max_change_units=5)
    forecast = np.full(3, 10.0)
    incumbent = pd.Series({"S2": 100.0, "S1": 10.0, "S0": 0.0})
    desired = pd.Series({"S2": 50.0, "S0": 40.0, "S1": 30.0})
    final = pd.Series({"S1": 15.0, "S2": 95.0, "S0": 5.0})
    report = guardrail_report(rails, catalog, state, incumbent, forecast, desired, final)
    expected = guardrail_report(rails, catalog, state, np.array([0.0, 10.0, 100.0]), forecast,
                                np.array([40.0, 30.0, 50.0]), np.array([5.0, 15.0, 95.0]))
    pd.testing.assert_frame_equal(report, expected)
    assert report["incumbent"].tolist() == [0.0, 10.0, 100.0]
    assert report["lower"].tolist() == [0.0, 5.0, 95.0] and report["upper"].tolist() == [5.0, 15.0, 105.0]
    assert report["binding"].all() and not report["violated"].any()


@pytest.mark.parametrize(("column", "value", "match", "sku"), [
    ("desired", [np.nan, 1.0, 2.0], "NaN", "S0"),
    ("final", [1.0, np.inf, 2.0], "NaN or infinite", "S1"),
    ("final", [1.0, 2.0, -3.0], ">= 0", "S2"),
    ("incumbent_orders", [1.0, np.nan, 2.0], "NaN", "S1"),
    ("desired", [1.0, 2.0], "3 values", None),
    ("final", ["a", "b", "c"], "numbers", None),
    ("desired", pd.Series({"S0": 1.0, "S1": 2.0, "X": 3.0}), "one is missing", "S2"),
])
def test_report_refuses_bad_orders_naming_the_column(column, value, match, sku):
    catalog = _catalog(3)
    inputs = {"incumbent_orders": np.zeros(3), "desired": np.ones(3), "final": np.ones(3), column: value}
    with pytest.raises(PlanningError, match=match) as err:  # NaN was reported, the rest crashed in numpy
        guardrail_report(Guardrails(max_change_units=5), catalog, _state(catalog, [0, 0, 0]),
                         inputs["incumbent_orders"], np.full(3, 10.0), inputs["desired"], inputs["final"])
    assert (err.value.column, err.value.sku) == (column, sku)


def test_report_calls_a_final_order_beyond_its_bound_violated_not_binding():
    catalog = _catalog(3, lot_size=[1, 5, 1])
    state = _state(catalog, [0, 0, 0])
    rails = Guardrails(max_change_units=5)
    incumbent = np.array([100.0, 1.0, 10.0])  # bounds [95, 105], [0, 6] (whole lots: 0..5), [5, 15]
    final = np.array([1e9, 5.0, 4.0])
    report = guardrail_report(rails, catalog, state, incumbent, np.full(3, 10.0), final, final)
    assert report["violated"].tolist() == [True, False, True]
    assert report["binding"].tolist() == [False, True, False]  # 1e9 over the cap 105 was called binding


def test_guarded_policy_honors_critical_minimum_with_budget_in_simulation():
    n = 3
    catalog = _catalog(n, lot_size=[4, 1, 1], moq=[8, 0, 0], shortage_cost=[0.5, 5.0, 5.0])
    scenario = Scenario(name="g", catalog=catalog, constraints=Constraints(budget=30.0),
                        demand=DemandProcess(mean=np.array([2.0, 10.0, 20.0])), periods=30)
    policy = BaseStock(np.array([0.0, 80.0, 120.0]), repair=None)  # never wants SKU 0
    guarded = GuardedPolicy(policy, Guardrails(critical=np.array([True, False, False]), critical_min_order=5.0))
    sim = Simulator(scenario)
    obs = sim.reset(seed=0)
    while not sim.done:
        orders = guarded.act(obs)
        assert orders[0] == 8.0  # 5 rounded up to the MOQ (two lots), every period
        assert catalog.unit_cost @ orders <= 30.0 + 1e-9
        assert set(guarded.report()["active"]) <= {"", "critical_minimum"}
        obs = sim.step(orders)


# ------------------------------------------------------------------ the periods-of-supply cap is never exceeded


def test_fractional_cap_below_a_change_minimum_wins():
    # change limit: >= 10 - 4 = 6; cap: 2.75 * 2 - 0 = 5.5 units -> 5 whole units; the cap wins
    catalog = _catalog(1)
    rails = Guardrails(max_change_units=4, max_periods_of_supply=2.75)
    lower, upper = apply_guardrails(rails, catalog, _state(catalog, [0.0]), np.array([10.0]), np.array([2.0]))
    assert (lower.tolist(), upper.tolist()) == ([5.0], [5.0])


def test_supply_cap_wins_over_a_change_minimum_no_whole_lot_meets():
    # incumbent 45, change <= 3 -> [42, 48]; cap 41 with lots of 5: no whole lot in [41, 41], so 40
    catalog = _catalog(1, lot_size=5)
    rails = Guardrails(max_change_units=3, max_periods_of_supply=4.1)
    state = _state(catalog, [0.0])
    lower, upper = apply_guardrails(rails, catalog, state, np.array([45.0]), np.array([10.0]))
    assert (lower.tolist(), upper.tolist()) == ([40.0], [41.0])
    orders = guarded_repair(np.array([60.0]), catalog, state, Constraints(), lower, upper)
    assert orders.tolist() == [40.0]


def test_change_limits_alone_take_the_closest_whole_lot_on_a_lot_conflict():
    # no periods-of-supply cap: [42, 44] holds no multiple of 5; 45 is 1 over the band, 40 is 2 under it
    catalog = _catalog(1, lot_size=5)
    state = _state(catalog, [0.0])
    lower, upper = apply_guardrails(Guardrails(max_change_units=1), catalog, state, np.array([43.0]), np.ones(1))
    assert (lower.tolist(), upper.tolist()) == ([42.0], [44.0])
    with pytest.warns(ConstraintViolationWarning, match=r"SKU 'S0' orders 45, band \[42, 44\]"):
        assert guarded_repair(np.zeros(1), catalog, state, Constraints(), lower, upper).tolist() == [45.0]


def _draw_lots(data: st.DataObject, most: int) -> tuple[int, list[int], list[int]]:
    """1 to ``most`` SKUs with lot sizes and MOQs (whole lots, 0 to 3 of them) drawn by hypothesis."""
    n = data.draw(st.integers(1, most))
    lots = data.draw(st.lists(st.sampled_from([1, 2, 5, 12]), min_size=n, max_size=n))
    return n, lots, [lot * data.draw(st.integers(0, 3)) for lot in lots]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_guarded_orders_never_exceed_the_periods_of_supply_cap(data):
    n, lots, moq = _draw_lots(data, 6)
    catalog = _catalog(n, lot_size=lots, moq=moq)
    numbers = st.floats(0, 200, allow_nan=False)
    state = _state(catalog, data.draw(st.lists(numbers, min_size=n, max_size=n)))
    forecast = np.array(data.draw(st.lists(st.floats(0, 60), min_size=n, max_size=n)))
    incumbent = np.array(data.draw(st.lists(numbers, min_size=n, max_size=n)))
    k = data.draw(st.floats(0.5, 6))
    rails = Guardrails(max_change_units=data.draw(st.floats(0, 20)), max_change_fraction=data.draw(st.floats(0, 1)),
                       max_periods_of_supply=k)
    lower, upper = apply_guardrails(rails, catalog, state, incumbent, forecast)
    assert (lower >= 0).all() and (lower <= upper).all()
    assert (lower == np.floor(lower)).all() and (upper == np.floor(upper)).all()
    cap = np.maximum(k * forecast - state.inventory_position, 0.0)
    desired = np.array(data.draw(st.lists(st.floats(0, 400), min_size=n, max_size=n)))
    budget = data.draw(st.one_of(st.none(), st.floats(1, 500)))
    constraints = Constraints() if budget is None else Constraints(budget=budget)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        orders = guarded_repair(desired, catalog, state, constraints, lower, upper, backend="fast")
    assert (orders <= cap + 1e-6).all(), (orders, cap)
    assert (np.mod(orders, catalog.lot_size) == 0).all()
    assert ((orders == 0) | (orders >= catalog.moq)).all()


def test_guarded_repair_without_rules_stays_under_a_fractional_upper():
    catalog = _catalog(3)
    state = _state(catalog, [0] * 3)
    with pytest.warns(ConstraintViolationWarning, match=r"SKU 'S2' orders 2, band \[1.5, 1.7\]"):
        orders = guarded_repair(np.array([3.2, 3.2, 0.0]), catalog, state, Constraints(),
                                lower=np.array([0.0, 0.0, 1.5]), upper=np.array([3.5, np.inf, 1.7]))
    assert orders.tolist() == [3.0, 4.0, 2.0]  # 1.5..1.7 holds no whole number: 2 is the closest


# --------------------------------------------------------------------------- bad input names the SKU


@pytest.mark.parametrize(("incumbent", "match"), [
    ([1.0, np.nan, 0.0, 0.0], "sku 'S1'"),
    ([1.0, 2.0, -3.0, 0.0], "sku 'S2'"),
    ([1.0, 2.0, 3.0], "4 values"),
    (["a", 1, 2, 3], "numbers"),
])
def test_bad_incumbent_orders_are_named(incumbent, match):
    catalog = _catalog()
    with pytest.raises(PlanningError, match=match) as err:
        apply_guardrails(Guardrails(max_change_units=1), catalog, _state(catalog, [0] * 4), incumbent, np.ones(4))
    assert err.value.column == "incumbent_orders"


@pytest.mark.parametrize(("forecast", "match"), [
    ([1.0, 1.0, np.inf, 1.0], "sku 'S2'"),
    ([[1.0, 1.0], [1.0, np.nan], [1.0, 1.0], [1.0, 1.0]], "sku 'S1'"),
    ([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [5.0, -1.0]], "sku 'S3'"),
    (np.ones((3, 2)), "shape"),
])
def test_bad_forecasts_are_named(forecast, match):
    catalog = _catalog()
    with pytest.raises(PlanningError, match=match) as err:
        apply_guardrails(Guardrails(max_periods_of_supply=2), catalog, _state(catalog, [0] * 4), None, forecast)
    assert err.value.column == "forecast"


def test_bad_critical_settings_are_named():
    with pytest.raises(PlanningError, match="critical_min_order"):
        Guardrails(critical=np.ones(4, bool), critical_min_order="two")
    with pytest.raises(PlanningError, match="booleans"):
        Guardrails(critical=np.array([1, 0, 1, 0]))
    catalog = _catalog()
    rails = Guardrails(critical=np.ones(4, bool), critical_min_order=[1.0, 2.0])
    with pytest.raises(PlanningError, match="one per SKU") as err:
        apply_guardrails(rails, catalog, _state(catalog, [0] * 4), None, np.ones(4))
    assert err.value.column == "critical_min_order"


def test_guarded_repair_refuses_nan_desired_and_bounds():
    catalog = _catalog()
    state = _state(catalog, [0] * 4)
    with pytest.raises(PlanningError, match="sku 'S1'"):
        guarded_repair(np.array([1.0, np.nan, 1.0, 1.0]), catalog, state, Constraints(), np.zeros(4), np.full(4, 9.0))
    with pytest.raises(PlanningError, match="column 'lower', sku 'S0'"):
        guarded_repair(np.ones(4), catalog, state, Constraints(), np.array([np.nan, 0, 0, 0]), np.full(4, 9.0))


def test_inputs_labelled_by_sku_are_read_by_label_and_a_misaligned_state_is_refused():
    catalog = _catalog(3)
    rails = Guardrails(max_change_units=5, max_periods_of_supply=4)
    forecast = np.full(3, 10.0)
    by_position = apply_guardrails(rails, catalog, _state(catalog, [0, 0, 100]), np.array([20.0, 0.0, 0.0]), forecast)
    shuffled = pd.Series({"S2": 0.0, "S0": 20.0, "S1": 0.0})  # the same incumbent, keyed by SKU in another order
    by_label = apply_guardrails(rails, catalog, _state(catalog, [0, 0, 100]), shuffled, forecast)
    np.testing.assert_array_equal(by_label, by_position)
    assert by_position[0].tolist() == [15.0, 0.0, 0.0] and by_position[1].tolist() == [25.0, 5.0, 0.0]
    with pytest.raises(PlanningError, match="column 'incumbent_orders', sku 'S1'"):
        apply_guardrails(rails, catalog, _state(catalog, [0, 0, 0]), pd.Series({"S0": 1.0, "S2": 1.0, "X": 1.0}),
                         forecast)
    reversed_state = InventoryState(catalog.sku[::-1].copy(), np.array([100.0, 0, 0]), np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(PlanningError, match="not aligned.*state.aligned"):  # it gave S0 the stock of S2
        apply_guardrails(rails, catalog, reversed_state, np.zeros(3), forecast)
    with pytest.raises(PlanningError, match="state has 2 SKUs"):
        apply_guardrails(rails, catalog, _state(_catalog(2), [0, 0]), np.zeros(3), forecast)


def test_critical_flags_and_minimums_keyed_by_sku_are_read_by_label():
    # the finding: a Series of critical flags (or minimums) keyed by SKU was read by position, so in another SKU
    # order the minimum went to a SKU that is not critical and the critical one got none, without a word
    catalog = _catalog(3)
    state = _state(catalog, [0, 0, 0])
    rails = Guardrails(max_periods_of_supply=0, critical=pd.Series({"S2": False, "S1": False, "S0": True}),
                       critical_min_order=pd.Series({"S2": 7.0, "S1": 5.0, "S0": 3.0}))
    lower, upper = apply_guardrails(rails, catalog, state, None, np.full(3, 10.0))
    assert lower.tolist() == [3.0, 0.0, 0.0] and upper.tolist() == [3.0, 0.0, 0.0]
    report = guardrail_report(rails, catalog, state, None, np.full(3, 10.0), np.zeros(3), lower)
    assert report["active"].tolist() == ["critical_minimum", "", ""]
    with pytest.raises(PlanningError, match="one is missing") as err:
        apply_guardrails(Guardrails(critical=pd.Series({"S0": True, "S1": False})), catalog, state, None,
                         np.ones(3))
    assert (err.value.column, err.value.sku) == ("critical", "S2")


def test_report_names_the_tighter_cap_and_guarded_policy_checks_its_parts():
    catalog = _catalog(2)
    rails = Guardrails(max_change_units=5, max_periods_of_supply=2)
    state, incumbent, forecast = _state(catalog, [12, 12]), np.array([10.0, 10.0]), np.array([10.0, 10.0])
    desired = np.array([20.0, 14.0])  # change band [5, 15], supply cap 2 * 10 - 12 = 8: the supply cap binds
    lower, upper = apply_guardrails(rails, catalog, state, incumbent, forecast)
    final = guarded_repair(desired, catalog, state, Constraints(), lower, upper)
    report = guardrail_report(rails, catalog, state, incumbent, forecast, desired, final)
    assert final.tolist() == [8.0, 8.0] and report["active"].tolist() == ["periods_of_supply"] * 2  # was max_change
    loose = Guardrails(max_change_units=5, max_periods_of_supply=4)  # cap 28: the change band binds
    lower, upper = apply_guardrails(loose, catalog, state, incumbent, forecast)
    final = guarded_repair(desired, catalog, state, Constraints(), lower, upper)
    assert guardrail_report(loose, catalog, state, incumbent, forecast, desired, final)["active"].tolist() == [
        "max_change", ""]
    with pytest.raises(PlanningError, match="column 'incumbent'.*change limit"):  # refused at the first act before
        GuardedPolicy(BaseStock(5, repair=None), rails)
    with pytest.raises(PlanningError, match="column 'incumbent', value 'NoneType'|column 'policy'"):
        GuardedPolicy(None, Guardrails())


def test_guarded_repair_reads_a_desired_series_by_label_with_or_without_shared_rows():
    catalog = _catalog(2)
    state = _state(catalog, [0, 0])
    desired = pd.Series({"S1": 10.0, "S0": 0.0})  # in another order than the catalog
    lower, upper = np.zeros(2), np.full(2, np.inf)
    for constraints in (Constraints(), Constraints(capacity=1000.0)):  # the repair read it by position
        assert guarded_repair(desired, catalog, state, constraints, lower, upper).tolist() == [0.0, 10.0]


def _three_sku_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    catalog = pd.DataFrame({"sku": ["S0", "S1", "S2"], "unit_cost": [10.0] * 3, "holding_cost": [1.0] * 3,
                            "shortage_cost": [20.0] * 3, "lead_time": [1] * 3, "demand_mean": [10.0] * 3,
                            "demand_std": [3.0] * 3})
    return catalog, pd.DataFrame({"sku": ["S0", "S1", "S2"], "on_hand": [0.0, 0.0, 100.0]})


def test_plan_shows_what_the_guardrails_changed_and_keeps_a_critical_minimum() -> None:
    """plan() saw a guarded policy's orders as its desired quantities: every SKU read 'unchanged' (or 'other'), and
    under a budget the critical minimum was repaired away by a second repair without the bounds, without a word."""
    from hybridinv import plan
    from hybridinv.policies.registry import make

    catalog, state = _three_sku_frames()
    rails = Guardrails(max_periods_of_supply=1.0, critical=np.array([False, False, True]), critical_min_order=30)
    guarded = GuardedPolicy(make("base_stock", None), rails)
    free = plan(state, catalog, None, policy=guarded)
    desired = plan(state, catalog, None, policy="base_stock")["desired_qty"].to_numpy()
    assert free["desired_qty"].tolist() == desired.tolist() and desired[0] > 10  # base-stock's own wish
    assert free["order_qty"].tolist() == [10, 10, 30]  # one period of supply; the critical minimum
    assert free["reason"].tolist() == ["guardrail"] * 3 and free["guardrail"].all()
    with pytest.warns(ConstraintViolationWarning, match="budget over by 50"):
        tight = plan(state, catalog, {"budget": 250.0}, policy=guarded)
    assert tight["order_qty"].tolist() == [0, 0, 30]  # the minimum is placed (300 > 250) and the row reported
    check = tight.attrs["diagnostics"]["order_check"]
    assert check["policy_bounds_kept"] and check["problems"] == ["budget: orders use 300, the row allows 250"]
    assert tight["guardrail"].all() and tight["budget"].tolist() == [True, True, False]


def test_quantities_above_the_library_limit_are_refused_naming_them():
    """A critical minimum, an incumbent or a forecast of 1e300 gave bounds the repair could not place (a bare
    RuntimeError), and a minimum of 1e13 was placed 1e13 over the budget."""
    catalog = _catalog(2, lot_size=np.array([5.0, 1.0]))
    state = InventoryState.empty(catalog, 0.0)
    with pytest.raises(PlanningError, match="column 'critical_min_order', value 10000000000000.0: must be at most"):
        Guardrails(critical=np.array([True, False]), critical_min_order=1e13)
    with pytest.raises(PlanningError, match="column 'incumbent_orders', sku '.*', value 1e\\+300"):
        apply_guardrails(Guardrails(max_change_units=5), catalog, state, [1e300, 1.0], [1.0, 1.0])
    with pytest.raises(PlanningError, match="column 'forecast', sku '.*', value 1e\\+300"):
        apply_guardrails(Guardrails(max_periods_of_supply=3), catalog, state, None, [1e300, 1.0])
    lower, upper = apply_guardrails(Guardrails(max_change_units=5), catalog, state, [1e12, 1.0], [1.0, 1.0])
    assert lower[0] == 1e12 - 5 and upper[0] == 1e12 + 5  # the limit itself is accepted


# ------------------------------------------- a band no allowed order meets: the closest allowed order, reported


def _moq_catalog() -> Catalog:
    return Catalog.from_frame(pd.DataFrame(dict(sku=["A"], unit_cost=10.0, holding_cost=1.0, shortage_cost=30.0,
                                                order_cost=0.0, volume=1.0, lead_time=0, moq=36.0, lot_size=12.0,
                                                max_order=np.inf)))


def test_a_change_band_no_allowed_order_meets_orders_the_closest_and_reports_it():
    """The finding: the band [2, 12] with a MOQ of 36 ordered 36 (3x the cap) without a word, and the report said
    violated=False; 0 is 2 units under the band, 36 is 24 over it."""
    catalog = _moq_catalog()
    state = InventoryState.from_frame(pd.DataFrame({"sku": ["A"], "on_hand": [50.0]}), catalog=catalog)
    rails = Guardrails(max_change_units=5)
    lower, upper = apply_guardrails(rails, catalog, state, [7.0], [5.0])
    assert (lower.tolist(), upper.tolist()) == ([2.0], [12.0])
    with pytest.warns(ConstraintViolationWarning, match=r"SKU 'A' orders 0, band \[2, 12\] \(lots of 12, MOQ 36"):
        final = guarded_repair([0.0], catalog, state, Constraints(), lower, upper)
    assert final.tolist() == [0.0]
    report = guardrail_report(rails, catalog, state, [7.0], [5.0], [0.0], final)
    assert report["violated"].tolist() == [True] and report["binding"].tolist() == [False]
    # an incumbent of 30: band [25, 35]; 36 is 1 over it, 24 is not allowed (MOQ): 36, reported too
    lower, upper = apply_guardrails(rails, catalog, state, [30.0], [5.0])
    with pytest.warns(ConstraintViolationWarning, match=r"orders 36, band \[25, 35\]"):
        assert guarded_repair([0.0], catalog, state, Constraints(budget=1e6), lower, upper).tolist() == [36.0]


@pytest.mark.parametrize(("band", "expected"), [((11.0, 13.0), 10.0), ((11.0, 14.0), 10.0), ((12.0, 14.0), 15.0)])
@pytest.mark.parametrize("budget", [None, 1e6])  # without shared rows (the clip) and through the repair
def test_the_closest_allowed_order_and_the_lower_one_on_a_tie(band, expected, budget):
    catalog = _catalog(1, lot_size=5)
    state = _state(catalog, [0.0])
    constraints = Constraints() if budget is None else Constraints(budget=budget)
    with pytest.warns(ConstraintViolationWarning, match="guardrail broken"):
        orders = guarded_repair([40.0], catalog, state, constraints, np.array([band[0]]), np.array([band[1]]))
    assert orders.tolist() == [expected]  # [11, 14]: 10 and 15 are 1 away each, the lower one


def test_guarded_policy_in_plan_takes_the_closest_lot_and_warns():
    from hybridinv import plan

    catalog, _ = _three_sku_frames()
    catalog["lot_size"] = 5.0
    state = pd.DataFrame({"sku": ["S0", "S1", "S2"], "on_hand": [0.0, 0.0, 0.0]})
    # the incumbent orders 12 unrepaired: band [11, 13]; 10 is 1 under it, 15 is 2 over it
    guarded = GuardedPolicy(BaseStock(30.0, repair=None), Guardrails(max_change_units=1),
                            incumbent=BaseStock(12.0, repair=None))
    with pytest.warns(ConstraintViolationWarning, match=r"SKU 'S0' orders 10, band \[11, 13\]"):
        result = plan(state, catalog, None, policy=guarded)
    assert result["order_qty"].tolist() == [10, 10, 10]
    assert guarded.report()["violated"].all()


@pytest.mark.parametrize(("lot", "expected"), [(30.0, 30.0), (8.0, 8.0)])
def test_a_critical_minimum_is_never_broken_for_the_closest_order(lot, expected):
    # change band [10, 12], critical minimum 5. Lots of 30: 0 is closer to the band but under the minimum, so 30;
    # lots of 8: 8 (2 under the band) meets the minimum and is closer than 16
    catalog = _catalog(1, lot_size=lot)
    state = _state(catalog, [0.0])
    rails = Guardrails(max_change_units=1, critical=np.array([True]), critical_min_order=5)
    lower, upper = apply_guardrails(rails, catalog, state, [11.0], [1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        assert guarded_repair([0.0], catalog, state, Constraints(), lower, upper).tolist() == [expected]


def test_guarded_repair_refuses_a_lower_bound_above_the_upper_naming_the_sku():
    catalog = _catalog(3)
    with pytest.raises(PlanningError, match="above the upper bound 2") as err:  # lower 5, upper 2 placed 5
        guarded_repair(np.ones(3), catalog, _state(catalog, [0] * 3), Constraints(), np.array([0.0, 5.0, 0.0]),
                       np.array([9.0, 2.0, 9.0]))
    assert (err.value.column, err.value.sku, err.value.value) == ("lower", "S1", 5.0)


def _allowed_orders(lot: float, moq: float, maximum: float) -> NDArray[np.float64]:
    multiples = np.arange(0, 400) * lot
    return multiples[(multiples == 0) | ((multiples >= moq) & (multiples <= maximum))]


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_final_order_is_the_allowed_order_closest_to_its_band_and_the_report_flags_it(data):
    n, lots, moq = _draw_lots(data, 5)
    maximum = [data.draw(st.sampled_from([np.inf, 3 * lot, 6 * lot])) for lot in lots]
    catalog = _catalog(n, lot_size=lots, moq=moq, max_order=maximum)
    numbers = st.floats(0, 60, allow_nan=False)
    state = _state(catalog, data.draw(st.lists(numbers, min_size=n, max_size=n)))
    forecast = np.array(data.draw(st.lists(st.floats(0, 15), min_size=n, max_size=n)))
    incumbent = np.array(data.draw(st.lists(numbers, min_size=n, max_size=n)))
    rails = Guardrails(max_change_units=data.draw(st.sampled_from([0.0, 1.0, 5.0])),
                       max_change_fraction=data.draw(st.sampled_from([None, 0.2, 0.5])),
                       max_periods_of_supply=data.draw(st.sampled_from([None, 1.0, 3.5])))
    lower, upper = apply_guardrails(rails, catalog, state, incumbent, forecast)
    desired = np.array(data.draw(st.lists(st.floats(0, 80), min_size=n, max_size=n)))
    constraints = data.draw(st.sampled_from([Constraints(), Constraints(capacity=1e6)]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        final = guarded_repair(desired, catalog, state, constraints, lower, upper, backend="fast")
    outside = (final < lower - 1e-9) | (final > upper + 1e-9)
    for i in range(n):
        allowed = _allowed_orders(lots[i], moq[i], maximum[i])
        gap = np.maximum(np.maximum(lower[i] - allowed, allowed - upper[i]), 0.0)
        best = allowed[gap <= gap.min() + 1e-9]
        assert final[i] in (best if gap.min() > 0 else allowed[gap == 0]), (i, final[i], lower[i], upper[i])
        if gap.min() > 0:
            assert final[i] == best.min()  # the lower one on a tie
    assert outside.any() == any("guardrail broken" in str(w.message) for w in caught)
    report = guardrail_report(rails, catalog, state, incumbent, forecast, desired, final)
    assert report["violated"].tolist() == outside.tolist()


class _Drifting:
    """An incumbent that ignores the catalog's lots: 3, 4, 5, ... units (a band that moves every period)."""

    name = "drifting"

    def act(self, obs):
        return np.full(obs.catalog.n_skus, 3.0 + obs.period % 7)


def _breaking_scenario(periods=20):
    catalog = _catalog(3, lot_size=12.0, moq=36.0)  # a band of +-1 around 3..9 units: no allowed order lies in it
    return Scenario(name="g", catalog=catalog, constraints=Constraints(),
                    demand=DemandProcess(mean=np.array([5.0, 10.0, 20.0])), periods=periods)


def _broken(caught):
    return [w for w in caught if issubclass(w.category, ConstraintViolationWarning)
            and "guardrail broken" in str(w.message)]


def test_a_simulation_warns_once_per_episode_about_broken_guardrails_and_keeps_the_detail():
    """The finding: a GuardedPolicy whose band no allowed order meets warned every period of a simulation (40
    warnings for 2 seeds of 20 periods here; as the band moved, Python's once-per-message filter still printed 7)."""
    from hybridinv import simulate

    scenario = _breaking_scenario()
    guarded = GuardedPolicy(BaseStock(np.array([40.0, 80.0, 120.0]), repair=None), Guardrails(max_change_units=1),
                            incumbent=_Drifting())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        simulate(guarded, scenario, seeds=2)
    broken = _broken(caught)
    assert len(broken) == 2  # one per episode (seed), not one per period (40)
    assert all(re.search(r"in 20 of 20 simulated periods, for 3 SKU\(s\) \(60 SKU-periods\)", str(w.message))
               for w in broken)
    assert "lots of 12, MOQ 36" in str(broken[0].message) and "GuardedPolicy.breaches" in str(broken[0].message)
    detail = guarded.breaches  # the last episode, one row per period and SKU
    assert list(detail.columns) == ["period", "sku", "order", "lower", "upper", "outside_by"]
    assert len(detail) == 60 and detail["period"].tolist()[:3] == [0, 0, 0]
    assert ((detail["order"] < detail["lower"]) | (detail["order"] > detail["upper"])).all()
    assert (detail["outside_by"] > 0).all()
    guarded.reset()
    assert guarded.breaches.empty


def test_a_simulator_stepped_by_hand_warns_at_the_last_period_and_plan_time_use_still_warns_at_once():
    scenario = _breaking_scenario(periods=6)
    guarded = GuardedPolicy(BaseStock(40.0, repair=None), Guardrails(max_change_units=1), incumbent=_Drifting())
    sim = Simulator(scenario)
    obs = sim.reset(seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counts = []
        while not sim.done:
            obs = sim.step(guarded.act(obs))
            counts.append(len(_broken(caught)))
    assert counts == [0, 0, 0, 0, 0, 1]
    assert len(guarded.breaches) == 18
    # outside a simulation (a guarded_repair call, plan()) a decision is the whole run: it warns at once
    catalog = scenario.catalog
    state = _state(catalog, [0.0] * 3)
    with pytest.warns(ConstraintViolationWarning, match=r"SKU 'S0' orders 0, band \[2, 4\]"):
        guarded_repair([40.0] * 3, catalog, state, Constraints(), np.full(3, 2.0), np.full(3, 4.0))
