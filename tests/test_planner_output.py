"""plan()'s output frame: signs, columns the docstring promises, target explanations."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import hybridinv
from hybridinv import plan
from hybridinv.examples import EXAMPLE_CONSTRAINTS, example_frames


@pytest.mark.parametrize("policy", ["hybrid", "forecast_ss", "base_stock", "ss", "newsvendor"])
def test_no_negative_zero_in_the_output(policy: str) -> None:
    # the finding: with stock above every target, desired_qty was -0.0 (ceil(0 - 1e-9)) in the frame and the CSV
    catalog, state = example_frames()
    state = state.assign(on_hand=state["on_hand"] * 20)
    out = plan(state, catalog, None, policy=policy)
    assert (out["order_qty"] == 0).all()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values.dtype):
            assert not np.signbit(values.to_numpy()[values.to_numpy() == 0]).any(), column
    assert "-0.0" not in out.to_csv(index=False)


def test_the_docstring_names_every_output_column() -> None:
    # the finding: the docstring promised ``order_cost`` but the column is ``order_value``
    catalog, state = example_frames()
    out = plan(state, catalog, EXAMPLE_CONSTRAINTS)  # with the repair: every repair flag column too
    doc = plan.__doc__ or ""
    returns = doc.split("Returns\n    -------", 1)[1].split("Raises\n", 1)[0]
    named = set(re.findall(r"``([a-z_]+)``", returns))
    assert set(out.columns) <= named, set(out.columns) - named
    assert "``order_cost`` is the fixed cost per order" in " ".join(returns.split())


def test_the_backends_plan_uses_are_the_ones_docs_repair_md_states() -> None:
    # the finding: docs/repair.md said plan() uses auto, while the hybrid (plan()'s default) repairs with fast
    from hybridinv.repair import DEFAULT_GAP_TOLERANCE

    catalog, state = example_frames()
    hybrid = plan(state, catalog, EXAMPLE_CONSTRAINTS).attrs["diagnostics"]
    assert hybrid["repair"]["backend"] == "fast" and hybrid["gap"] > DEFAULT_GAP_TOLERANCE  # auto would polish
    polished = plan(state, catalog, EXAMPLE_CONSTRAINTS, repair="auto").attrs["diagnostics"]
    assert polished["repair"]["backend"] == "fast+highs" and polished["objective"] <= hybrid["objective"] + 1e-9
    classical = plan(state, catalog, EXAMPLE_CONSTRAINTS, policy="capped_base_stock").attrs["diagnostics"]
    assert classical["repair"]["backend"] == "fast+highs"  # auto: polished past the tolerance


@pytest.mark.parametrize("policy", ["forecast_ss", "hybrid"])
def test_plan_builds_ahead_of_a_forecast_peak_the_budget_cannot_pay_for(policy: str) -> None:
    """A forecast peak two periods out that the budget of 25 cannot buy in time: build_ahead > 0, within budget."""
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [1.0, 2.0], "holding_cost": [0.01, 0.01],
                            "shortage_cost": [3.0, 6.0], "lead_time": [0, 0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [14.0, 6.0]})
    forecast = pd.DataFrame({"sku": ["A"] * 5 + ["B"] * 5, "period": list(range(5)) * 2,
                             "mean": [10.0, 10.0, 30.0, 10.0, 10.0] + [5.0] * 5, "std": 1.0})
    out = plan(state, catalog, {"budget": 25.0}, forecast=forecast, policy=policy).set_index("sku")
    assert out["build_ahead"].sum() > 0
    assert (out["order_qty"] * catalog.set_index("sku")["unit_cost"]).sum() <= 25.0 + 1e-9
    for sku, row in out.iterrows():
        assert ("build_ahead" in row["target_reason"]) == (row["build_ahead"] > 0), sku
    flat = forecast.assign(mean=[10.0] * 5 + [5.0] * 5)  # no peak: nothing is built ahead
    assert (plan(state, catalog, {"budget": 25.0}, forecast=flat, policy=policy)["build_ahead"] == 0).all()
    if policy == "forecast_ss":
        off = plan(state, catalog, {"budget": 25.0}, forecast=forecast, policy=policy, build_ahead=False)
        assert (off["build_ahead"] == 0).all()
        assert off["order_qty"].sum() < out["order_qty"].sum()


def test_a_build_ahead_plan_reports_both_repairs_with_their_own_prices() -> None:
    """After a build-ahead the diagnostics were the second repair's alone, and it priced a binding budget at 0;
    the first repair, which cut the rule's orders (reason 'budget'), was not reported."""
    import warnings

    catalog = pd.DataFrame({"sku": ["A", "B", "C"], "unit_cost": [1.0, 10.0, 10.0], "holding_cost": [0.01, 0.1, 0.1],
                            "shortage_cost": [30.0, 25.0, 20.0], "lead_time": 1, "volume": 1.0,
                            "demand_mean": 20.0, "demand_std": 5.0})
    state = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": 30})
    peak = [1, 1, 1, 1, 1, 3, 3, 3, 1, 1, 1, 1]
    forecast = pd.DataFrame([{"sku": s, "period": k, "mean": 20.0 * m, "std": 5.0}
                             for s in catalog["sku"] for k, m in enumerate(peak)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = plan(state, catalog, {"budget": 455}, forecast=forecast, policy="forecast_ss", lost_sales=False)
        rule = plan(state, catalog, {"budget": 455}, forecast=forecast, policy="forecast_ss", lost_sales=False,
                    build_ahead=False)
    diag = out.attrs["diagnostics"]
    assert out["build_ahead"].sum() > 0 and diag["spend"] == 455.0  # the budget binds
    assert diag["repair"]["budget_price"] > 1.0  # what one more unit of budget buys ahead (it said 0.0)
    first = diag["rule_repair"]  # the rule's own repair: the plan without the build-ahead repaired the same
    expected = rule.attrs["diagnostics"]
    assert first["budget_price"] == pytest.approx(expected["repair"]["budget_price"], rel=1e-9)
    assert first["objective"] == pytest.approx(expected["objective"], rel=1e-9)
    assert "rule_repair" not in expected


@pytest.mark.parametrize("constraints", [None, {"budget": 1e9}])
def test_every_plan_has_the_repair_flag_columns(constraints: dict[str, float] | None) -> None:
    # without lots, MOQs or limits no repair runs; docs/first_hour.md lists the flag columns in every plan.csv
    from hybridinv.repair import REASONS

    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 5.0,
                            "lead_time": 1, "demand_mean": 3.0})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 50]})
    out = plan(state, catalog, constraints, policy="forecast_ss")
    assert list(out.columns[-len(REASONS):]) == list(REASONS)
    for col in REASONS:
        assert out[col].dtype == bool and not out[col].any()
    assert list(out["reason"]) == ["unchanged", "unchanged"]


def test_whole_unit_rounding_after_a_repair_is_rounding_not_lot_rounding() -> None:
    """A custom policy's 2.5 on a SKU without a lot size: 'rounding' without a repair, 'lot_rounding' after one."""
    class Half:
        name = "half"

        def act(self, obs: object) -> np.ndarray:
            return np.array([2.5])

    cat = pd.DataFrame({"sku": ["A"], "unit_cost": [10.0], "holding_cost": [1.0], "shortage_cost": [30.0],
                        "lead_time": [1]})
    state = pd.DataFrame({"sku": ["A"], "on_hand": [0]})
    forecast = pd.DataFrame({"sku": ["A"], "period": [0], "mean": [10.0]})
    for constraints in (None, {"budget": 1e6}):
        row = plan(state, cat, constraints, forecast=forecast, policy=Half()).iloc[0]
        assert (row["order_qty"], row["reason"], bool(row["lot_rounding"])) == (3.0, "rounding", False)


def _random_frames(seed: int, n: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A catalog with lead times, fixed costs, MOQs, lots and max orders, and a state with stock on order."""
    rng = np.random.default_rng(seed)
    catalog = pd.DataFrame({
        "sku": [f"S{i:03d}" for i in range(n)], "unit_cost": rng.uniform(2, 40, n).round(2),
        "holding_cost": rng.uniform(0.05, 1.0, n).round(3), "lead_time": rng.integers(0, 4, n),
        "order_cost": rng.uniform(0, 20, n).round(1), "volume": rng.uniform(0.5, 3, n).round(2),
        "moq": np.where(rng.random(n) < 0.3, rng.integers(5, 30, n), 0),
        "lot_size": np.where(rng.random(n) < 0.5, rng.choice([2, 5, 10, 12], n), 1),
        "max_order": np.where(rng.random(n) < 0.3, rng.integers(20, 80, n), np.inf),
        "demand_mean": rng.uniform(2, 30, n).round(1),
    })
    catalog["moq"] = (np.ceil(catalog["moq"] / catalog["lot_size"]) * catalog["lot_size"]).astype(int)
    catalog["max_order"] = np.where(np.isfinite(catalog["max_order"]),
                                    np.maximum(catalog["max_order"], catalog["moq"]), np.inf)
    catalog["shortage_cost"] = (catalog["unit_cost"] * rng.uniform(1.3, 3, n)).round(2)
    catalog["demand_std"] = (catalog["demand_mean"] * rng.uniform(0.2, 0.8, n)).round(2)
    state = pd.DataFrame({"sku": catalog["sku"], "on_hand": rng.integers(0, 40, n),
                          "pipeline_1": rng.integers(0, 20, n), "pipeline_2": rng.integers(0, 10, n)})
    return catalog, state


@pytest.mark.parametrize("seed", range(4))
def test_the_same_order_gets_the_same_reason_from_every_backend(seed: int) -> None:
    """A SKU cut by a binding, priced row read 'other' when the plan (within its gap) left a sliver of the row, and
    'capacity' from another backend that left none: the label flipped with the backend for the same order."""
    import warnings

    catalog, state = _random_frames(seed)
    volume = float((catalog["demand_mean"] * catalog["volume"]).sum())
    value = float((catalog["demand_mean"] * catalog["unit_cost"]).sum())
    constraints = {"capacity": round(volume), "budget": round(5 * value)}
    plans = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for backend in ("fast", "auto", "highs"):
            plans[backend] = plan(state, catalog, constraints, policy="ss", repair=backend).set_index("sku")
    for backend in ("fast", "auto"):
        same = plans[backend]["order_qty"] == plans["highs"]["order_qty"]
        pd.testing.assert_series_equal(plans[backend].loc[same, "reason"], plans["highs"].loc[same, "reason"])
    assert (plans["highs"]["reason"] != "other").all()  # every cut has a named rule or row


class _Fixed:
    name = "fixed"

    def __init__(self, orders: list[float]) -> None:
        self.orders = np.asarray(orders, dtype=np.float64)

    def act(self, obs: object) -> np.ndarray:
        return self.orders.copy()


def test_a_binding_budget_is_priced_and_a_slack_capacity_is_not_at_a_tie_of_breakpoints() -> None:
    # S4's weight per unit (6) sat on both rows' breakpoints (capacity 2 x volume 3, budget 1 x unit cost 6): the
    # pricing ascent stalled at capacity 2, budget 0 (Lagrangian 42.56 where (0, 1) gives 75.56), so the budget
    # that binds (144 of 144) was priced 0, the capacity row with 12 of 30 free priced 2, and S4 labelled 'capacity'
    # (HiGHS: budget 1, capacity 0; raising the capacity changes nothing, raising the budget lowers the objective)
    catalog = pd.DataFrame({
        "sku": ["S0", "S1", "S2", "S3", "S4"], "unit_cost": [6.0, 9, 2, 4, 6],
        "holding_cost": [0.29, 0.51, 0.46, 0.56, 0.92], "shortage_cost": [24.0, 33, 21, 19, 6],
        "lead_time": [2, 2, 2, 2, 0], "volume": [3.0, 1, 3, 1, 3], "moq": [0, 0, 0, 2, 6],
        "lot_size": [1, 1, 1, 1, 2], "demand_mean": [2.0, 4, 0, 0, 1]})
    state = pd.DataFrame({"sku": catalog["sku"], "on_hand": [11, 7, 2, 4, 0]})
    with pytest.warns(hybridinv.PlanningWarning, match="shortage_cost <= unit_cost"):
        out = plan(state, catalog, hybridinv.Constraints(capacity=80, budget=144), policy=_Fixed([10, 5, 2, 1, 17]))
    repair = out.attrs["diagnostics"]["repair"]
    assert list(out["order_qty"]) == [10, 4, 2, 2, 6]
    assert repair["budget_price"] == pytest.approx(1.0, abs=1e-6) and repair["capacity_price"][0] == 0.0
    assert out.set_index("sku").loc["S4", "reason"] == "lot_rounding+budget"
    assert not out.set_index("sku").loc["S4", "capacity"]
