"""plan(): the function a planning pipeline calls each period."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import hybridinv
from hybridinv import Constraints, PlanningError, plan
from hybridinv.examples import EXAMPLE_CONSTRAINTS, example_frames
from hybridinv.policies import SS, BaseStock


class Recorder:
    """A policy that records what it saw and orders a fixed amount."""

    name = "recorder"

    def __init__(self, quantity: float = 3.0) -> None:
        self.quantity = quantity
        self.seen: list[object] = []

    def act(self, obs: object) -> np.ndarray:
        self.seen.append(obs)
        return np.full(obs.n_skus, self.quantity)  # type: ignore[attr-defined]


@pytest.fixture()
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return example_frames()


def test_plan_returns_one_row_per_sku_in_catalog_order(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    catalog = catalog.assign(moq=0, lot_size=1, max_order=np.inf)  # no rule: the policy's orders are kept
    shuffled = state.sample(frac=1.0, random_state=0)
    out = plan(shuffled, catalog, None, policy=BaseStock(30, repair=None))
    assert list(out["sku"]) == list(catalog["sku"])
    for col in ("sku", "order_qty", "desired_qty", "reorder_point", "order_up_to", "reason"):
        assert col in out.columns
    position = state["on_hand"] + state["pipeline_1"]
    np.testing.assert_array_equal(out["order_qty"], np.maximum(30 - position, 0))
    assert out.attrs["diagnostics"]["policy"] == "base_stock"


def test_plan_by_name_with_options(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The options reach the named policy: (s, S) = (5, 40) orders up to 40 where the position is <= 5."""
    catalog, state = frames
    catalog = catalog.assign(moq=0, lot_size=1, max_order=np.inf)  # no rule: the policy's orders are kept
    state = state.assign(on_hand=np.arange(len(state)) % 4 * 2, pipeline_1=np.arange(len(state)) % 3)
    out = plan(state, catalog, None, policy="ss", s=5, S=40)
    position = (state["on_hand"] + state["pipeline_1"]).to_numpy(dtype=float)
    assert (position <= 5).any() and (position > 5).any()  # both branches of the rule are exercised
    np.testing.assert_array_equal(out["order_qty"], np.where(position <= 5, 40 - position, 0.0))
    np.testing.assert_array_equal(out["reorder_point"], 5.0)
    np.testing.assert_array_equal(out["order_up_to"], 40.0)


def test_forecast_reaches_policy_with_quantile_std(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    rows = []
    for sku in catalog["sku"][:3]:
        for period in (5, 6):
            high = 4.0 + 2 * 1.2815515655446004 * 3  # normal 10%/90% quantiles of std 3
            rows.append({"sku": sku, "period": period, "mean": 10.0 + period, "q0.1": 4.0, "q0.9": high})
    policy = Recorder()
    with pytest.warns(hybridinv.PlanningWarning, match="9 SKU"):  # the other 9 SKUs use the catalog's means
        plan(state, catalog, None, forecast=pd.DataFrame(rows), policy=policy)
    obs = policy.seen[0]
    mean = obs.forecast(4)  # type: ignore[attr-defined]
    std = obs.forecast_std(4)  # type: ignore[attr-defined]
    np.testing.assert_allclose(mean[0], [15.0, 16.0, 16.0, 16.0])
    np.testing.assert_allclose(std[0], 3.0, rtol=1e-9)
    # SKUs without forecast rows fall back to the catalog statistics
    np.testing.assert_allclose(mean[5], catalog["demand_mean"][5])
    np.testing.assert_allclose(std[5], catalog["demand_std"][5])


def test_state_sku_not_in_catalog(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    bad = pd.concat([state, pd.DataFrame({"sku": ["GHOST"], "on_hand": [1], "pipeline_1": [0]})])
    with pytest.raises(PlanningError, match="GHOST"):
        plan(bad, catalog, None, policy=Recorder())


def test_forecast_sku_not_in_catalog(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    fc = pd.DataFrame({"sku": ["NOPE"], "period": [1], "mean": [3.0]})
    with pytest.raises(PlanningError, match="NOPE"):
        plan(state, catalog, None, forecast=fc, policy=Recorder())


def test_forecast_nan_names_column_and_sku(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    fc = pd.DataFrame({"sku": ["P-101"], "period": [1], "mean": [np.nan]})
    with pytest.raises(PlanningError, match=r"column 'mean', sku 'P-101'"):
        plan(state, catalog, None, forecast=fc, policy=Recorder())


def test_forecast_negative_mean(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    fc = pd.DataFrame({"sku": ["P-102"], "period": [1], "mean": [-2.0]})
    with pytest.raises(PlanningError, match=r"'mean'.*'P-102'.*-2"):
        plan(state, catalog, None, forecast=fc, policy=Recorder())


def test_forecast_duplicate_rows(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    fc = pd.DataFrame({"sku": ["P-102", "P-102"], "period": [1, 1], "mean": [2.0, 3.0]})
    with pytest.raises(PlanningError, match="more than one row"):
        plan(state, catalog, None, forecast=fc, policy=Recorder())


def test_missing_demand_statistics_without_forecast(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    catalog = catalog.assign(demand_mean=np.nan)
    with pytest.raises(PlanningError, match="demand_mean"):
        plan(state, catalog, None, policy=Recorder())


def test_unknown_policy_name(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match="unknown policy"):
        plan(state, catalog, None, policy="crystal_ball")


def test_policy_object_without_act(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match="act"):
        plan(state, catalog, None, policy=object())  # type: ignore[arg-type]


def test_a_policy_class_instead_of_an_instance_says_so(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # plan(policy=ForecastSS) was a TypeError from act(): "missing 1 required positional argument: 'obs'"
    from hybridinv.policies.forecast_ss import ForecastSS

    catalog, state = frames
    with pytest.raises(PlanningError, match=r"pass an instance, e\.g\. ForecastSS\(\.\.\.\)") as err:
        plan(state, catalog, None, policy=ForecastSS)  # type: ignore[arg-type]
    assert err.value.column == "policy"


def test_unknown_constraint_key(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match="capacty"):
        plan(state, catalog, {"capacty": 10.0}, policy=Recorder())


def test_zero_budget_rejected(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match="budget"):
        plan(state, catalog, {"budget": 0.0}, policy=Recorder())


def test_constrained_plan_respects_budget_and_rules(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    out = plan(state, catalog, Constraints(budget=600.0), policy=SS(10, 60))
    cat = hybridinv.Catalog.from_frame(catalog)
    q = out["order_qty"].to_numpy(dtype=float)
    assert float(cat.unit_cost @ q) <= 600.0 + 1e-6
    assert np.all(np.mod(q, cat.lot_size) == 0)
    assert np.all((q == 0) | (q >= cat.moq))
    assert (out["desired_qty"] > out["order_qty"]).any()
    assert out.attrs["diagnostics"]["spend"] <= 600.0 + 1e-6


def test_plan_and_import_do_not_import_torch() -> None:
    code = (
        "import sys, hybridinv\n"
        "from hybridinv.examples import example_frames, EXAMPLE_CONSTRAINTS\n"
        "c, s = example_frames()\n"
        "hybridinv.plan(s, c, EXAMPLE_CONSTRAINTS, policy='ss', s=5, S=30)\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'stable_baselines3' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_example_constraints_are_binding(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, _ = frames
    mean_spend = float((catalog["unit_cost"] * catalog["demand_mean"]).sum())
    assert EXAMPLE_CONSTRAINTS.budget < 1.2 * mean_spend


# --------------------------------------------------------------------------- every order leaving plan() is checked


class Fixed:
    """A custom policy (act only) returning fixed orders."""

    name = "fixed"

    def __init__(self, orders: object) -> None:
        self.orders = orders

    def act(self, obs: object) -> object:
        return self.orders


def _plain_rows(catalog: pd.DataFrame, state: pd.DataFrame, forecast: np.ndarray) -> list[tuple[list[int], float]]:
    """Capacity rows written out SKU by SKU, as docs/concepts.md defines them: (SKUs in the row, room left)."""
    lead = catalog["lead_time"].astype(int).tolist()
    rows = []
    for k in range(max(lead) + 1):
        used = 0.0
        for i in range(len(catalog)):
            x = max(0.0, state["on_hand"][i] + state.get("pipeline_0", pd.Series([0] * len(state)))[i])
            for j in range(1, k + 1):
                arriving = state[f"pipeline_{j}"][i] if f"pipeline_{j}" in state else 0.0
                x = max(0.0, x - forecast[i]) + arriving
            used += catalog["volume"][i] * x
        rows.append(([i for i in range(len(catalog)) if lead[i] == k], used))
    return rows


def _assert_feasible(out: pd.DataFrame, catalog: pd.DataFrame, state: pd.DataFrame, capacity: float,
                     budget: float) -> None:
    """Independent check of a plan against the rules (catalog order, state in catalog order, forecast = demand_mean)."""
    q = out["order_qty"].to_numpy()
    assert out["order_qty"].dtype == np.int64
    assert (q >= 0).all()
    assert ((q == 0) | (q >= catalog["moq"])).all()
    assert (q % catalog["lot_size"].astype(int) == 0).all()
    assert (q <= catalog["max_order"]).all()
    assert float((q * catalog["unit_cost"]).sum()) <= budget + 1e-6
    for members, used in _plain_rows(catalog, state, catalog["demand_mean"].to_numpy()):
        new = float(sum(catalog["volume"][i] * q[i] for i in members))
        assert new == 0 or used + new <= capacity + 1e-6


def test_custom_policy_output_is_repaired_not_returned_raw() -> None:
    # the finding: [-5, 2.7, nan] under capacity 1 and budget 1 came back as [-5, 2, -9223372036854775808]
    catalog = pd.DataFrame({"sku": ["A", "B", "C"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 5.0,
                            "lead_time": 0, "demand_mean": 3.0})
    state = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [0, 0, 0]})
    out = plan(state, catalog, Constraints(capacity=1, budget=1), policy=Fixed(np.array([-5, 2.7, 3.0])))
    assert out["order_qty"].dtype == np.int64
    assert out["order_qty"][0] == 0 and out["order_qty"].sum() == 1  # one unit fits capacity 1 and budget 1
    assert out["reason"][0] == "negative_desired"
    check = out.attrs["diagnostics"]["order_check"]
    assert check["repaired"] and not check["policy_orders_accepted"]
    assert any(p.startswith("negative") for p in check["problems"])
    assert any(p.startswith("fractional") for p in check["problems"])
    assert out.attrs["diagnostics"]["violations"] == []


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_custom_policy_nan_or_infinite_order_is_refused(bad: float) -> None:
    catalog = pd.DataFrame({"sku": ["A", "B", "C"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 5.0,
                            "lead_time": 0, "demand_mean": 3.0})
    state = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [0, 0, 0]})
    with pytest.raises(PlanningError, match=r"column 'order_qty', sku 'C'.*NaN or infinite") as info:
        plan(state, catalog, Constraints(capacity=1, budget=1), policy=Fixed(np.array([-5, 2.7, bad])))
    assert info.value.sku == "C"


@pytest.mark.parametrize(
    ("orders", "match"),
    [
        (np.array([1.0, 1e19, 0.0]), "beyond 1e\\+15"),
        (np.array([1.0, 2.0]), "shape"),
        (np.array(["a", "b", "c"]), "not numbers"),
        (np.array([1 + 1j, 0, 0]), "not numbers"),
        (np.array([True, False, True]), "not numbers"),
    ],
)
def test_custom_policy_unusable_orders_are_refused(orders: np.ndarray, match: str) -> None:
    catalog = pd.DataFrame({"sku": ["A", "B", "C"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 5.0,
                            "lead_time": 0, "demand_mean": 3.0})
    state = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [0, 0, 0]})
    with pytest.raises(PlanningError, match=match):
        plan(state, catalog, None, policy=Fixed(orders))


def test_base_stock_without_repair_cannot_break_rules_in_plan(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # the finding: policy="base_stock", repair=None broke lot size, MOQ, capacity and budget without a word
    catalog, state = frames
    capacity, budget = 1500.0, 600.0
    out = plan(state, catalog, Constraints(capacity=capacity, budget=budget), policy="base_stock", repair=None)
    _assert_feasible(out, catalog, state.set_index("sku").loc[catalog["sku"]].reset_index(), capacity, budget)
    assert out["order_qty"].sum() > 0
    check = out.attrs["diagnostics"]["order_check"]
    assert check["repaired"]
    assert any(p.startswith("lot_size") for p in check["problems"])
    assert any(p.startswith("budget") for p in check["problems"])
    raw = plan(state, catalog.assign(moq=0, lot_size=1, max_order=np.inf), None, policy="base_stock", repair=None)
    np.testing.assert_array_equal(out["desired_qty"], raw["order_qty"])  # the policy's orders were the desired ones


def test_feasible_policy_orders_leave_plan_unchanged(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    lot = catalog["lot_size"].to_numpy()
    orders = np.where(catalog["moq"] > 0, catalog["moq"], lot).astype(float)
    orders[::2] = 0.0
    out = plan(state, catalog, None, policy=Fixed(orders))
    np.testing.assert_array_equal(out["order_qty"], orders)
    assert out.attrs["diagnostics"]["order_check"] == {"policy_orders_accepted": True, "repaired": False,
                                                      "problems": []}


def test_orders_a_hair_off_whole_numbers_are_snapped_not_truncated(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    catalog = catalog.assign(moq=0, lot_size=1, max_order=np.inf)
    orders = np.full(len(catalog), 10.0) - 1e-9  # as a MILP solver may report 10
    out = plan(state, catalog, None, policy=Fixed(orders))
    assert (out["order_qty"] == 10).all()


@pytest.mark.parametrize("policy", ["newsvendor", "ss", "base_stock", "dynamic_ss", "capped_base_stock"])
def test_registered_policies_give_feasible_plans(policy: str, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    out = plan(state, catalog, Constraints(capacity=1500.0, budget=600.0), policy=policy)
    _assert_feasible(out, catalog, state.set_index("sku").loc[catalog["sku"]].reset_index(), 1500.0, 600.0)


def test_stock_above_capacity_is_reported_once(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.warns(hybridinv.ConstraintViolationWarning) as record:
        out = plan(state, catalog, Constraints(capacity=5.0), policy=Fixed(np.zeros(len(catalog))))
    diag = out.attrs["diagnostics"]
    assert (out["order_qty"] == 0).all()
    assert diag["violations"] and all(v["usage"] == 0 for v in diag["violations"])
    assert diag["order_check"]["policy_orders_accepted"]  # nothing ordered: nothing to repair
    assert len([w for w in record if issubclass(w.category, hybridinv.ConstraintViolationWarning)]) == 1
    assert diag["warnings"] == [str(record[0].message)]


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [("forecast", "mean", 1e19), ("state", "on_hand", 1e300), ("catalog", "demand_mean", 1e19),
     ("catalog", "max_order", 1e19), ("state", "pipeline_1", 1e19)],
)
def test_quantities_beyond_int64_are_refused(table: str, column: str, value: float,
                                             frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    forecast = None
    if table == "forecast":
        forecast = pd.DataFrame({"sku": catalog["sku"], "period": 0, "mean": value})
    elif table == "state":
        state = state.assign(**{column: value})
    else:
        catalog = catalog.assign(**{column: value})
    with pytest.raises(PlanningError, match=rf"column '{column}'.*must be <= 1e\+12 units") as info:
        plan(state, catalog, None, forecast=forecast, policy="newsvendor")
    assert info.value.value == value


# --------------------------------------------------------------------------- no silent wrong answers


@pytest.mark.parametrize(
    ("table", "rename", "guess"),
    [
        ("state", {"pipeline_1": "pipeline1"}, "pipeline_1"),
        ("state", {"pipeline_1": "in_transit"}, "pipeline_<k>"),
        ("catalog", {"volume": "volumne"}, "volume"),
        ("catalog", {"moq": "MOQ"}, "moq"),
    ],
)
def test_misspelled_columns_are_errors_naming_the_closest(
    table: str, rename: dict[str, str], guess: str, frames: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    catalog, state = frames
    if table == "state":
        state = state.rename(columns=rename)
    else:
        catalog = catalog.rename(columns=rename)
    wrong = next(iter(rename.values()))
    with pytest.raises(PlanningError, match=rf"unknown column '{wrong}' \(did you mean '{guess}'\?\)") as info:
        plan(state, catalog, EXAMPLE_CONSTRAINTS, policy="newsvendor")
    assert info.value.column == wrong


def test_forecast_sd_column_is_an_error_not_sqrt_mean(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    forecast = pd.DataFrame({"sku": catalog["sku"], "period": 0, "mean": catalog["demand_mean"], "sd": 100.0})
    with pytest.raises(PlanningError, match=r"unknown column 'sd' \(did you mean 'std'\?\)"):
        plan(state, catalog, None, forecast=forecast, policy=Recorder())


def test_extra_columns_option_allows_descriptive_columns(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    described = catalog.assign(name="widget", description="a part")
    with pytest.raises(PlanningError, match="unknown column 'name'"):
        plan(state, described, None, policy=Recorder())
    expected = plan(state, catalog, None, policy="newsvendor")
    for option in ("ignore", ["name", "description", "note"]):
        out = plan(state.assign(note="x"), described, None, policy="newsvendor", extra_columns=option)
        pd.testing.assert_series_equal(out["order_qty"], expected["order_qty"])
    with pytest.raises(PlanningError, match="extra_columns"):
        plan(state, catalog, None, policy=Recorder(), extra_columns="allow")


def test_bool_and_complex_cells_are_refused(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match=r"column 'on_hand'.*boolean"):
        plan(state.assign(on_hand=True), catalog, None, policy=Recorder())
    with pytest.raises(PlanningError, match=r"column 'on_hand'.*complex"):
        plan(state.assign(on_hand=state["on_hand"] + 1j), catalog, None, policy=Recorder())
    with pytest.raises(PlanningError, match=r"column 'lead_time'.*boolean"):
        plan(state, catalog.assign(lead_time=False), None, policy=Recorder())


@pytest.mark.parametrize(("table", "column"), [("catalog", "unit_cost"), ("state", "on_hand"), ("forecast", "mean"),
                                               ("open_orders", "quantity")])
def test_a_column_given_twice_is_named(table: str, column: str, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # catalog and state raised "'DataFrame' object has no attribute 'dtype'" (df[name] was a frame)
    catalog, state = frames
    tables = {
        "catalog": catalog, "state": state,
        "forecast": pd.DataFrame({"sku": catalog["sku"], "period": 0, "mean": catalog["demand_mean"]}),
        "open_orders": pd.DataFrame({"sku": catalog["sku"].iloc[:1], "arrives_in": 1, "quantity": 5}),
    }
    tables[table] = pd.concat([tables[table], tables[table][[column]]], axis=1)
    with pytest.raises(PlanningError, match=f"{table} has the column more than once") as err:
        plan(tables["state"], tables["catalog"], None, forecast=tables["forecast"], policy=Recorder(),
             open_orders=tables["open_orders"])
    assert err.value.column == column


@pytest.mark.parametrize("value", ["no", "False", 0, None])
def test_lost_sales_must_be_a_bool(value: object, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match="lost_sales"):
        plan(state, catalog, None, policy=Recorder(), lost_sales=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, 1.5, True, "3"])
def test_period_must_be_a_whole_number_from_zero(value: object, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # period=-1 was accepted (a logged-orders policy then read the log's last period)
    catalog, state = frames
    with pytest.raises(PlanningError) as err:
        plan(state, catalog, None, policy=Recorder(), period=value)  # type: ignore[arg-type]
    assert err.value.column == "period"


def test_budget_too_small_for_any_order_warns(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    cheapest = float((catalog["unit_cost"] * np.maximum(catalog["moq"], catalog["lot_size"])).min())
    with pytest.warns(hybridinv.PlanningWarning, match="budget 0.5 is below the cheapest order") as record:
        out = plan(state, catalog, Constraints(budget=0.5), policy="newsvendor")
    assert (out["order_qty"] == 0).all()
    diag = out.attrs["diagnostics"]
    assert diag["budget_too_small"]
    assert diag["warnings"] == [str(w.message) for w in record]
    assert f"= {cheapest:g}" in diag["warnings"][0]
    ok = plan(state, catalog, Constraints(budget=cheapest), policy="newsvendor")
    assert not ok.attrs["diagnostics"]["budget_too_small"] and ok["order_qty"].sum() > 0


def test_a_capacity_that_no_volume_uses_warns(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """A volume column of 0 on every SKU (filled in for "unknown") turned the capacity off: the plan ordered past
    the warehouse without a word, as if no capacity had been given."""
    catalog, state = frames
    flat = catalog.assign(volume=0.0)
    with pytest.warns(hybridinv.PlanningWarning, match="capacity 10 is set but every SKU has volume 0") as record:
        out = plan(state, flat, Constraints(capacity=10), policy="base_stock")
    free = plan(state, flat, None, policy="base_stock")
    assert out["order_qty"].tolist() == free["order_qty"].tolist() and out["order_qty"].sum() > 10
    assert [str(w.message) for w in record if "volume 0" in str(w.message)] == [
        w for w in out.attrs["diagnostics"]["warnings"] if "volume 0" in w]
    with warnings.catch_warnings():  # one SKU that takes space: the capacity binds it, no warning
        warnings.filterwarnings("error", "capacity .* every SKU has volume 0")
        plan(state, flat.assign(volume=[1.0] + [0.0] * (len(flat) - 1)), Constraints(capacity=10), policy="base_stock")
        plan(state, flat, None, policy="base_stock")


def test_budget_too_small_is_named_for_mpc_too(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # mpc plans under the budget itself: it wanted nothing it could not pay for, and the empty plan came silently
    catalog, state = frames
    with pytest.warns(hybridinv.PlanningWarning, match="budget 0.5 is below the cheapest order"):
        out = plan(state, catalog, Constraints(budget=0.5), policy="mpc")
    assert (out["order_qty"] == 0).all() and (out["desired_qty"] == 0).all()
    assert out.attrs["diagnostics"]["budget_too_small"]


def test_demand_history_without_forecast_history_warns(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    history = pd.DataFrame({"sku": catalog["sku"], "h1": catalog["demand_mean"], "h2": catalog["demand_mean"]})
    with pytest.warns(hybridinv.PlanningWarning, match="without forecast_history"):
        out = plan(state, catalog, None, policy=Recorder(), demand_history=history)
    assert out.attrs["diagnostics"]["drift_correction"] is False
    assert any("forecast_history" in w for w in out.attrs["diagnostics"]["warnings"])
    both = plan(state, catalog, None, policy=Recorder(), demand_history=history, forecast_history=history)
    assert both.attrs["diagnostics"]["drift_correction"] is False  # a policy that never corrects (it said True)
    assert both.attrs["diagnostics"]["warnings"] == []
    # the hybrid corrects a forecast demand has run above for half a year: the flag says so
    ran = pd.DataFrame({"sku": catalog["sku"], **{f"p{k}": 1.5 * catalog["demand_mean"] for k in range(26)}})
    said = pd.DataFrame({"sku": catalog["sku"], **{f"p{k}": catalog["demand_mean"] for k in range(26)}})
    hybrid = plan(state, catalog, None, policy="hybrid", demand_history=ran, forecast_history=said)
    assert hybrid.attrs["diagnostics"]["drift_correction"] is True and (hybrid["forecast_correction"] > 1).any()
    same = plan(state, catalog, None, policy="forecast_ss", demand_history=ran, forecast_history=said)
    assert same.attrs["diagnostics"]["drift_correction"] is False


# --------------------------------------------------------------------------- bounded work on absurd input


@pytest.mark.parametrize("lead_time", [521, 1e6, 1e12, 1e18])
def test_absurd_lead_time_is_refused_quickly(lead_time: float, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    catalog = catalog.assign(lead_time=[lead_time] + [1] * (len(catalog) - 1))
    with pytest.raises(PlanningError, match=r"column 'lead_time'.*<= 520 periods.*MAX_LEAD_TIME"):
        plan(state, catalog, None, policy="newsvendor")


def test_absurd_pipeline_slot_is_refused_before_allocating(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match=r"column 'pipeline_1000000000'.*520"):
        plan(state.assign(pipeline_1000000000=0), catalog, None, policy="newsvendor")
    far = pd.DataFrame({"sku": [catalog["sku"][0]], "arrives_in": [10**9], "quantity": [5]})
    with pytest.raises(PlanningError, match=r"column 'arrives_in'.*520"):
        plan(state, catalog, None, policy="newsvendor", open_orders=far)


# --------------------------------------------------------------------------- thread safety


def test_plan_is_thread_safe_and_leaves_warning_filters_alone(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # the finding: from 4 threads diagnostics['warnings'] disagreed with the violations in 39 of 400 calls
    # and a filter leaked into warnings.filters
    import threading
    import warnings

    catalog, state = frames
    tight, loose = Constraints(capacity=5.0, budget=600.0), Constraints(capacity=5000.0, budget=600.0)
    filters_before = list(warnings.filters)
    mismatches: list[str] = []
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            for call in range(75):
                over = (seed + call) % 2 == 0
                out = plan(state, catalog, tight if over else loose, policy=SS(10, 60))
                diag = out.attrs["diagnostics"]
                rows = [v["name"] for v in diag["repair"]["violations"]]  # what the repair found
                said = [w for w in diag["warnings"] if w.startswith("constraints cannot all be met")]
                if bool(rows) != over or len(said) != int(over) or not all(name in said[0] for name in rows):
                    mismatches.append(f"thread {seed} call {call}: violations {rows}, warnings {diag['warnings']}")
                if [v["name"] for v in diag.get("violations", [])] != rows:
                    mismatches.append(f"thread {seed} call {call}: plan's violations differ from the repair's")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hybridinv.ConstraintViolationWarning)
        inside = list(warnings.filters)
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert list(warnings.filters) == inside
    assert not errors, errors
    assert not mismatches, mismatches[:3]
    assert list(warnings.filters) == filters_before


def test_an_option_the_policy_does_not_take_is_a_planning_error() -> None:
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    with pytest.raises(PlanningError, match="does not take option"):
        hybridinv.plan(state, catalog, policy="ss", model="somewhere")


def test_a_shortage_cost_below_the_unit_cost_is_explained_and_not_stocked_with_or_without_capacity() -> None:
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    catalog.loc[0, "shortage_cost"] = catalog.loc[0, "unit_cost"] * 0.5  # someone entered the margin only
    for constraints in (None, Constraints(capacity=1e9)):
        with pytest.warns(hybridinv.PlanningWarning, match="shortage_cost <= unit_cost"):
            frame = hybridinv.plan(state, catalog, constraints, policy="forecast_ss")
        assert frame["order_qty"].iloc[0] == 0 and frame["reorder_point"].iloc[0] < 0  # level 0: never reorders
        assert any("shortage_cost <= unit_cost" in w for w in frame.attrs["diagnostics"]["warnings"])
    # the warning says which policies stock such a SKU anyway (it used to say no cost-based policy does)
    with pytest.warns(hybridinv.PlanningWarning, match="textbook rules .*newsvendor.* use shortage_cost alone and do"):
        frame = hybridinv.plan(state, catalog, policy="newsvendor")
    assert frame["order_qty"].iloc[0] > 0


def test_a_free_to_hold_sku_with_an_order_cost_is_warned_about() -> None:
    """The finding: holding_cost 0 with an order cost made the (s, S) batch 10,658,395 units, without a word."""
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    catalog.loc[0, "holding_cost"] = 0.0
    assert catalog.loc[0, "order_cost"] > 0
    with pytest.warns(hybridinv.PlanningWarning, match="an order_cost and a holding_cost of 0 or so small") as record:
        frame = hybridinv.plan(state, catalog, policy="ss")
    assert frame["order_qty"].iloc[0] > 1_000 * catalog.loc[0, "demand_mean"]  # what the warning is about
    assert f"{frame['order_qty'].iloc[0]:,.0f} units" in str(record[0].message)
    assert frame.attrs["diagnostics"]["unbounded_batch"] is True
    catalog.loc[0, "max_order"] = 500.0  # a limit: nothing to warn about
    with warnings.catch_warnings():
        warnings.simplefilter("error", hybridinv.PlanningWarning)
        limited = hybridinv.plan(state, catalog, policy="ss")
    assert limited.attrs["diagnostics"]["unbounded_batch"] is False


def test_a_nearly_free_to_hold_sku_under_a_capacity_is_warned_about() -> None:
    """The finding: holding_cost 1e-6 on one SKU priced the warehouse so high that no SKU ordered, without a word."""
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    catalog.loc[0, "holding_cost"] = 1e-6
    assert catalog.loc[0, "order_cost"] > 0
    with pytest.warns(hybridinv.PlanningWarning, match="prices the warehouse's space for every SKU") as record:
        frame = hybridinv.plan(state, catalog, {"capacity": 150.0}, policy="forecast_ss")
    assert any("holding_cost 1e-06" in str(r.message) for r in record)
    assert frame.attrs["diagnostics"]["unbounded_batch"] is True
    with warnings.catch_warnings():  # the catalog as shipped: no such SKU, no warning
        warnings.simplefilter("error", hybridinv.PlanningWarning)
        usual = hybridinv.plan(state, example_frames()[0], {"capacity": 150.0}, policy="forecast_ss")
    assert usual.attrs["diagnostics"]["unbounded_batch"] is False


def test_a_budget_near_the_float_range_plans_without_numpy_warnings() -> None:
    # budget=1.7e308 leaked "overflow encountered in accumulate" from the build-ahead
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", hybridinv.PlanningWarning)
        frame = hybridinv.plan(state, catalog, {"budget": 1.7e308}, policy="forecast_ss")
    assert (frame["order_qty"] >= 0).all()


def test_a_sku_in_only_one_history_gets_no_drift_correction_and_a_warning() -> None:
    """The finding: a SKU missing from demand_history got the catalog's demand_mean as its past demand, and
    the hybrid corrected its forecast for a drift nobody observed (1.0 -> 1.0625), without a word."""
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 4.0, "holding_cost": 0.1, "shortage_cost": 9.0,
                            "lead_time": 1})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})
    forecast = pd.DataFrame({"sku": np.repeat(["A", "B"], 8), "period": np.tile(np.arange(8), 2), "mean": 12.0})
    weeks = [str(w) for w in range(12)]
    past = pd.DataFrame({"sku": ["A", "B"], **{w: [12.0, 12.0] for w in weeks}})
    demand = pd.DataFrame({"sku": ["A", "B"], **{w: [18.0, 12.0] for w in weeks}})
    full = hybridinv.plan(state, catalog, None, forecast, policy="hybrid", demand_history=demand,
                          forecast_history=past)
    assert full["forecast_correction"].iloc[1] == pytest.approx(1.0)  # B's demand met its forecast
    for missing, kept in (("demand_history", (demand.iloc[:1], past)), ("forecast_history", (demand, past.iloc[:1]))):
        with pytest.warns(hybridinv.PlanningWarning, match=f"first: 'B', missing from {missing}"):
            out = hybridinv.plan(state, catalog, None, forecast, policy="hybrid", demand_history=kept[0],
                                 forecast_history=kept[1])
        assert out["forecast_correction"].iloc[1] == pytest.approx(1.0)  # no drift made up for B
        assert out["forecast_correction"].iloc[0] == pytest.approx(full["forecast_correction"].iloc[0])


def test_a_sku_in_neither_history_is_named_and_read_as_its_forecast() -> None:
    """The finding: a SKU in no row of either history got the catalog's demand_mean as its past, or 0 without
    one (a policy read 13 periods without demand, the validation gate replayed them so), without a word."""
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 4.0, "holding_cost": 0.1, "shortage_cost": 9.0,
                            "lead_time": 1})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})
    forecast = pd.DataFrame({"sku": np.repeat(["A", "B"], 8), "period": np.tile(np.arange(8), 2),
                             "mean": np.repeat([12.0, 3.0], 8)})
    weeks = [str(w) for w in range(13)]
    past = pd.DataFrame({"sku": ["A"], **{w: [12.0] for w in weeks}})
    demand = pd.DataFrame({"sku": ["A"], **{w: [18.0] for w in weeks}})
    seen: list[np.ndarray] = []

    class Spy:
        name = "spy"

        def act(self, obs):  # type: ignore[no-untyped-def]
            seen.append(np.asarray(obs.demand_history(13)))
            return np.zeros(obs.n_skus)

    for kept in ((demand, past), (demand, None)):
        with pytest.warns(hybridinv.PlanningWarning, match=r"1 SKU\(s\) are in no row of demand_history.* 'B'"):
            out = hybridinv.plan(state, catalog, None, forecast, policy=Spy(), demand_history=kept[0],
                                 forecast_history=kept[1])
        assert seen[-1][1].tolist() == [3.0] * 13 and seen[-1][0].tolist() == [18.0] * 13
        assert any("are in no row of demand_history" in note for note in out.attrs["diagnostics"]["warnings"])
    with pytest.warns(hybridinv.PlanningWarning, match="nor forecast_history"):
        hybrid = hybridinv.plan(state, catalog, None, forecast, policy="hybrid", demand_history=demand,
                                forecast_history=past)
    assert hybrid["forecast_correction"].iloc[1] == pytest.approx(1.0)  # no drift made up for B


def _histories(labels: list[object]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """State, catalog and a demand and forecast history of two SKUs with period columns ``labels``."""
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 4.0, "holding_cost": 0.1, "shortage_cost": 9.0,
                            "lead_time": 1, "demand_mean": [12.0, 3.0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})
    demand = pd.DataFrame({"sku": ["A", "B"], **{label: [18.0, 3.0] for label in labels}})
    past = pd.DataFrame({"sku": ["A", "B"], **{label: [12.0, 3.0] for label in labels}})
    return state, catalog, demand, past


@pytest.mark.parametrize(("labels", "column", "message"), [
    # newest first, as many exports write months: the history was replayed backwards, the gate decided on it
    ([f"2025-{m:02d}" for m in range(12, 0, -1)], "2025-11", "must be oldest first.*'2025-11' follows '2025-12'"),
    ([f"2025-{m:02d}" for m in range(1, 13)] + ["Total"], "Total", "'Total' is not a period like the others"),
    ([f"w{k}" for k in range(12)] + ["total"], "total", "'total' is not a period like the others"),
    ([f"2025-{m:02d}" for m in range(1, 13) if m != 6], "2025-07", "period column is missing: '2025-07' comes"),
    ([str(k) for k in range(1, 13) if k != 6], "7", "period column is missing: '7' follows '5'"),
    (list(range(12, 0, -1)), "11", "must be oldest first"),
])
def test_history_columns_out_of_order_with_a_total_or_a_gap_are_refused(labels, column, message) -> None:
    """The finding: plan() read the history columns by position as oldest first without looking at them: newest
    first dated columns, a Total column (one more period) and a missing month planned silently; the backtest's
    reader refused all three."""
    state, catalog, demand, past = _histories(labels)
    with pytest.raises(PlanningError, match=message) as info:
        plan(state, catalog, policy="hybrid", demand_history=demand, forecast_history=past, validate=4)
    assert info.value.column == column and "demand_history" in str(info.value)
    with pytest.raises(PlanningError, match=message):  # demand_history alone is read so too
        plan(state, catalog, policy="hybrid", demand_history=demand)


def test_a_history_column_without_a_header_is_named_by_position() -> None:
    # a trailing comma: "value is NaN or infinite" named 'Unnamed: 3', a column the file does not have
    state, catalog, demand, past = _histories(["w1", "w2", "Unnamed: 3"])
    with pytest.raises(PlanningError, match="demand_history: column 4 has no header"):
        plan(state, catalog, policy="hybrid", demand_history=demand, forecast_history=past)


@pytest.mark.parametrize("labels", [
    [f"w{k}" for k in range(12)],  # labelled as you like: taken in their order
    [f"t-{k}" for k in range(12, 0, -1)],
    [f"p{k}" for k in range(12, 0, -1)],
    list(range(12)),  # numbered 0..n-1 (integer labels, as a frame built from an array has)
    [str(k) for k in range(1, 13)],
    list(range(-12, 0)),
    [f"2024-{m:02d}" for m in range(7, 13)] + [f"2025-{m:02d}" for m in range(1, 7)],
    [202407, 202408, 202409, 202410, 202411, 202412, 202501, 202502, 202503, 202504, 202505, 202506],  # YYYYMM
    ["h1"],
])
def test_history_columns_labelled_as_documented_plan(labels) -> None:
    state, catalog, demand, past = _histories(labels)
    out = plan(state, catalog, policy="hybrid", demand_history=demand, forecast_history=past)
    assert (out["order_qty"] >= 0).all()
    # forecast_history's columns are matched by name, in any order, against demand_history's (oldest first)
    again = plan(state, catalog, policy="hybrid", demand_history=demand, forecast_history=past[["sku", *labels[::-1]]])
    assert again["order_qty"].tolist() == out["order_qty"].tolist()


@pytest.mark.parametrize(("periods", "follows"), [(26, True), (4, False)])
def test_the_shipped_hybrid_follows_a_sustained_drift_and_reverts_a_short_one(periods: int, follows: bool) -> None:
    """docs/rl.md, 'How it reads a drift': demand 1.5x (0.5x) the forecast over 26 periods raises (lowers) the
    forecast; over only the last 4 periods the learned weights read it as noise and move the other way (a
    limit of the shipped model, documented; this test fails when a new model changes it, for the docs to follow)."""
    catalog, state = example_frames()
    skus = catalog["sku"].tolist()
    past = pd.DataFrame({"sku": skus, **{f"p{i}": catalog["demand_mean"] for i in range(periods)}})
    corrections = {}
    for ratio in (0.5, 1.5):
        demand = pd.DataFrame({"sku": skus, **{f"p{i}": ratio * catalog["demand_mean"] for i in range(periods)}})
        frame = hybridinv.plan(state, catalog, policy="hybrid", demand_history=demand, forecast_history=past)
        corrections[ratio] = frame["forecast_correction"].to_numpy()
    up, down = (corrections[1.5] > 1.0).all(), (corrections[0.5] < 1.0).all()
    assert (up and down) if follows else ((corrections[1.5] < 1.0).all() and (corrections[0.5] > 1.0).all())


# --------------------------------------------------------------------------- input handling is linear


def test_plan_validates_each_input_once(frames: tuple[pd.DataFrame, pd.DataFrame], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Catalog, state and forecast SKUs are read once each; no state is validated again and no SKU strings
    are sorted (np.unique) on the way to the policy."""
    import hybridinv.core.catalog as catalog_module
    import hybridinv.core.state as state_module
    import hybridinv.forecast as forecast_module
    from hybridinv import InventoryState

    catalog, state = frames
    forecast = pd.DataFrame({
        "sku": np.repeat(catalog["sku"].to_numpy(), 3), "period": np.tile([0, 1, 2], len(catalog)),
        "mean": np.repeat(catalog["demand_mean"].to_numpy(), 3),
    })
    tables: list[str] = []
    real_codes = state_module.sku_codes

    def counting_codes(df, table, **options):  # type: ignore[no-untyped-def]
        tables.append(table)
        return real_codes(df, table, **options)

    for module in (catalog_module, state_module, forecast_module):
        monkeypatch.setattr(module, "sku_codes", counting_codes)
    validations = []
    real_post_init = InventoryState.__post_init__

    def counting_post_init(self) -> None:  # type: ignore[no-untyped-def]
        validations.append(len(self.sku))
        real_post_init(self)

    monkeypatch.setattr(InventoryState, "__post_init__", counting_post_init)
    real_unique = np.unique

    def numeric_unique(values, *args, **options):  # type: ignore[no-untyped-def]
        assert np.asarray(values).dtype.kind in "biuf", "np.unique on SKU strings"
        return real_unique(values, *args, **options)

    monkeypatch.setattr(np, "unique", numeric_unique)
    out = plan(state, catalog, EXAMPLE_CONSTRAINTS, forecast=forecast, policy="base_stock")
    assert len(out) == len(catalog)
    assert sorted(tables) == ["catalog", "forecast", "state"]
    assert validations == []


def test_plan_takes_rows_in_any_order(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The fast paths for frames in catalog order give the plan of shuffled frames."""
    catalog, state = frames
    forecast = pd.DataFrame({
        "sku": np.repeat(catalog["sku"].to_numpy(), 2), "period": np.tile([0, 1], len(catalog)),
        "mean": np.repeat(catalog["demand_mean"].to_numpy(), 2) * 1.5,
    })
    ordered = plan(state, catalog, EXAMPLE_CONSTRAINTS, forecast=forecast, policy="newsvendor")
    shuffled = plan(state.sample(frac=1.0, random_state=1), catalog, EXAMPLE_CONSTRAINTS,
                    forecast=forecast.sample(frac=1.0, random_state=2), policy="newsvendor")
    pd.testing.assert_frame_equal(ordered, shuffled)


def test_skus_missing_from_the_forecast_are_named_in_a_warning(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # they were planned on the catalog's demand_mean with only a diagnostics entry to say so
    catalog, state = frames
    forecast = pd.DataFrame({"sku": catalog["sku"].iloc[2:].repeat(2), "period": [0, 1] * (len(catalog) - 2),
                             "mean": 3.0, "std": 1.0})
    with pytest.warns(hybridinv.PlanningWarning, match="2 SKU\\(s\\) have no rows in the forecast") as record:
        out = plan(state, catalog, forecast=forecast, policy="ss")
    assert repr(str(catalog["sku"].iloc[0])) in str(record[0].message)
    assert out.attrs["diagnostics"]["skus_with_catalog_forecast"] == list(catalog["sku"].iloc[:2].astype(str))
    with warnings.catch_warnings():  # no forecast at all: the catalog's means are the forecast, as documented
        warnings.simplefilter("error", hybridinv.PlanningWarning)
        plan(state, catalog, policy="ss")


def test_backorders_under_lost_sales_are_warned_about_and_counted() -> None:
    """Under lost sales nothing is owed: backorders in the state likely mean a forgotten lost_sales=False."""
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [1.0, 1.0], "holding_cost": [0.1, 0.1],
                            "shortage_cost": [5.0, 5.0], "lead_time": [1, 1], "demand_mean": [10.0, 10.0]})
    owed = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0], "backorders": [0, 50]})
    with pytest.warns(hybridinv.PlanningWarning, match=r"owes backorders for 1 SKU\(s\) \(first 'B': 50\)"):
        frame = hybridinv.plan(owed, catalog, policy="newsvendor")
    assert frame["order_qty"].iloc[1] == frame["order_qty"].iloc[0] + 50  # still counted in the position
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no word with backorders allowed, or with none owed
        hybridinv.plan(owed, catalog, policy="newsvendor", lost_sales=False)
        hybridinv.plan(owed.assign(backorders=0), catalog, policy="newsvendor")


def test_custom_policy_orders_keyed_by_sku_are_read_by_label() -> None:
    # a Series indexed by SKU in another order than the catalog: read by position, A got C's 30 units
    catalog = pd.DataFrame({"sku": ["A", "B", "C"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 5.0,
                            "lead_time": 0, "demand_mean": 3.0})
    state = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": [0, 0, 0]})
    orders = pd.Series([30.0, 2.0, 1.0], index=["C", "B", "A"])
    out = plan(state, catalog, None, policy=Fixed(orders))
    assert out["order_qty"].tolist() == [1, 2, 30]
    assert out["desired_qty"].tolist() == [1.0, 2.0, 30.0]
    with pytest.raises(PlanningError, match="one value per catalog SKU") as info:
        plan(state, catalog, None, policy=Fixed(pd.Series([1.0, 2.0, 3.0], index=["A", "B", "X"])))
    assert info.value.column == "order_qty"


@pytest.mark.parametrize("policy", ["hybrid", "forecast_ss", "ss", "dynamic_ss", "rq"])
@pytest.mark.parametrize(("order_cost", "holding_cost"), [(1e12, 0.0), (1e12, 1e-12)])
def test_batch_sizing_policies_plan_any_order_cost(policy: str, order_cost: float, holding_cost: float) -> None:
    # the EOQ sqrt(2 K mu / h) went beyond MAX_ORDER (h = 0 is read as 1e-12) and plan() refused the policy's
    # order ("the policy returned an order beyond 1e+15 units"), for a catalog within every documented bound
    from hybridinv.core.limits import MAX_ORDER, MAX_QUANTITY

    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": [holding_cost, 1.0],
                            "shortage_cost": 5.0, "order_cost": [order_cost, 0.0], "lead_time": 1,
                            "demand_mean": [1e6, 3.0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hybridinv.PlanningWarning)  # holding_cost 0: the unbounded-batch note
        out = plan(state, catalog, None, policy=policy)
    assert MAX_QUANTITY <= out["order_qty"][0] <= MAX_ORDER  # the batch is the largest the bounds allow


def _two_skus(**columns: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [10.0, 10.0], "holding_cost": [1.0, 1.0],
                            "shortage_cost": [20.0, 20.0], "lead_time": [1, 1], "demand_mean": [10.0, 10.0],
                            "demand_std": [3.0, 3.0], **columns})
    return catalog, pd.DataFrame({"sku": ["A", "B"], "on_hand": [0.0, 0.0]})


def test_a_policy_of_ones_own_with_a_decide_method_is_planned_through_act() -> None:
    # plan() took any decide() for the library's Decision protocol: 'numpy.ndarray' object has no attribute 'orders'
    class Mine:
        name = "mine"

        def decide(self, obs: object) -> np.ndarray:
            return np.full(2, 5.0)

        def act(self, obs: object) -> np.ndarray:
            return self.decide(obs)

    catalog, state = _two_skus()
    assert plan(state, catalog, policy=Mine())["order_qty"].tolist() == [5, 5]


@pytest.mark.parametrize(("desired", "message"), [([1.0, 2.0, 3.0], "shape"), ([1.0, np.nan], "NaN or infinite")])
def test_a_decision_with_desired_quantities_that_do_not_fit_is_refused(desired: list[float], message: str) -> None:
    # a broadcast ValueError in the output frame, or NaN explained as 'other'
    from hybridinv.policies.base import Decision

    class Odd:
        name = "odd"

        def decide(self, obs: object) -> Decision:
            return Decision(np.array([1.0, 2.0]), np.array(desired))

        def act(self, obs: object) -> np.ndarray:
            return np.array([1.0, 2.0])

    catalog, state = _two_skus()
    with pytest.raises(PlanningError, match=message) as info:
        plan(state, catalog, policy=Odd())
    assert info.value.column == "desired_qty"


def test_backorders_without_a_shortage_cost_are_warned_about() -> None:
    # forecast_ss stocks nothing for them (no margin under backorders) and nothing said so: the note was lost-sales only
    catalog, state = _two_skus(shortage_cost=[0.0, 5.0])
    with pytest.warns(hybridinv.PlanningWarning, match="shortage_cost 0: with backorders"):
        out = plan(state, catalog, policy="forecast_ss", lost_sales=False)
    assert out["order_qty"].tolist()[0] == 0 and out["target_reason"].iloc[0] == "not_stocked"


def test_the_budget_note_quotes_numbers_that_differ_as_they_differ() -> None:
    # 'budget 1.23457e+06 is below ... 1.23457e+06'
    catalog, state = _two_skus(unit_cost=[1234567.5, 1234567.5], shortage_cost=[5e6, 5e6])
    with pytest.warns(hybridinv.PlanningWarning, match=r"budget 1234567 is below .* at 1234567\.5 = 1234567\.5"):
        plan(state, catalog, {"budget": 1234567.0}, policy="base_stock")


def test_the_example_scenario_runs_for_one_or_two_periods() -> None:
    # a warm-up of 2 was fixed: 'column warmup, value 2: need 0 <= warmup < periods', an option never given
    from hybridinv.examples import example_scenario

    assert [example_scenario(p).warmup for p in (1, 2, 3)] == [0, 1, 2]
    with pytest.raises(PlanningError, match="periods"):
        example_scenario(0)


@pytest.mark.parametrize(("first", "period", "warned"), [(1, 4, True), (3, 4, True), (0, 4, False), (4, 4, False),
                                                          (202401, 4, False), (2, 0, False)])
def test_a_forecast_older_than_the_planned_period_is_warned_about(first: int, period: int, warned: bool) -> None:
    """A forecast file kept from an earlier run while --period moved on was planned as this period's: with a
    forecast of 10, 20, ... from period 1 and period=4, the newsvendor planned on 10 + 20 + 30, silently."""
    import warnings

    catalog = pd.DataFrame({"sku": ["S0"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 9.0,
                            "lead_time": 2})
    state = pd.DataFrame({"sku": ["S0"], "on_hand": [5]})
    forecast = pd.DataFrame({"sku": "S0", "period": range(first, first + 6), "mean": [10.0, 20, 30, 40, 50, 60],
                             "std": 1.0})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = plan(state, catalog, None, forecast, "newsvendor", period=period)
    messages = [str(w.message) for w in caught if "before period=" in str(w.message)]
    assert bool(messages) == warned
    assert any("before period=" in m for m in out.attrs["diagnostics"]["warnings"]) == warned
    assert out["protection_demand"].iloc[0] == pytest.approx(60.0)  # the first row is still planned as this period


def _perishable(on_hand: float, **columns: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [1.0, 1.0], "holding_cost": [0.1, 0.1],
                            "shortage_cost": [10.0, 10.0], "lead_time": [3, 3], "shelf_life": [2, 0],
                            "demand_mean": [5.0, 5.0], "demand_std": [1.0, 1.0], **columns})
    return pd.DataFrame({"sku": ["A", "B"], "on_hand": [on_hand, on_hand]}), catalog


@pytest.mark.parametrize("policy", ["hybrid", "forecast_ss", "base_stock", "ss", "rq", "newsvendor", "dynamic_ss",
                                    "capped_base_stock", "mpc"])
def test_perishable_stock_that_expires_unsold_is_named_and_shown(policy: str) -> None:
    """100 fresh units of a 2-period life sell 10 before they expire (demand 5, lead time 3): 90 expire before an
    order placed now arrives. Every policy but mpc counts them in the position (ordering against the position less
    them cost more in simulation: docs/policies.md) and plans A as a SKU that does not perish with the same stock;
    the warning says so (not for mpc, which models expiry and orders for period 3) and the plan shows the 90 in
    ``expiring_before_arrival``. SKU B (not perishable) holds the same stock and is not named."""
    state, catalog = _perishable(100.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = plan(state, catalog, policy=policy).set_index("sku")
    messages = [str(w.message) for w in caught if "unsold" in str(w.message)]
    assert len(messages) == 1 and "about 90 units will expire unsold" in messages[0], messages
    assert "'A', 90 of 100 on hand, shelf life 2" in messages[0]
    assert ("counts them in the inventory position" in messages[0]) == (policy != "mpc")
    assert messages[0] in out.attrs["diagnostics"]["warnings"]
    assert out["expiring_before_arrival"].tolist() == [90.0, 0.0]
    if policy == "mpc":
        assert out.at["A", "order_qty"] > 0
    else:
        assert out.at["A", "desired_qty"] == out.at["B", "desired_qty"]


def test_a_perishable_order_beyond_its_sellable_demand_is_named_and_stock_within_life_is_not() -> None:
    # an MOQ of 30 with demand 5 and a 2-period life: 30 arrive at lead time 3 and 10 can be sold before they expire
    state, catalog = _perishable(0.0, moq=[30.0, 1.0])
    with pytest.warns(hybridinv.PlanningWarning, match=r"at least about 20 of the units ordered will expire "
                      r"\(most: 'A', 30 ordered, about 10 sellable in 2 period\(s\); MOQ 30"):
        out = plan(state, catalog, policy="base_stock")
    assert out.set_index("sku").at["A", "order_qty"] == 30
    state, catalog = _perishable(10.0)  # exactly the demand of its life: none of the stock expires unsold
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = plan(state, catalog, policy="base_stock")
    messages = [str(w.message) for w in caught if "expire" in str(w.message)]
    assert not [m for m in messages if "unsold" in m]
    # base-stock orders up to its 4-period level (15 more): 10 sell in the 2 periods after arrival, 5 expire
    assert out.set_index("sku").at["A", "order_qty"] == 15
    assert len(messages) == 1, messages
    assert "about 5 of the units ordered" in messages[0] and "15 ordered, about 10" in messages[0]


def test_an_order_that_serves_a_backlog_is_not_named_as_expiring() -> None:
    """No stock and 10 owed, a 2-period life, lead time 3, demand 5: base-stock orders its level plus the 10. Under
    backorders the 10 and the 15 short before arrival are sold from the order first, so all of it sells (about 35
    in the life after arrival with the backlog); the warning took only the 10 of the life and named the rest as
    expiring. Under lost sales the 15 are lost and only the 10 owed wait: the excess is named."""
    state, catalog = _perishable(0.0)
    state = state.assign(backorders=[10.0, 0.0])
    for lost_sales, sellable in ((False, 35), (True, 20)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = plan(state, catalog, policy="base_stock", lost_sales=lost_sales).set_index("sku")
        ordered = out.at["A", "order_qty"]
        assert 30 <= ordered <= 35, ordered
        messages = [str(w.message) for w in caught if "units ordered will expire" in str(w.message)]
        if ordered > sellable:
            assert len(messages) == 1 and f"about {sellable} sellable" in messages[0], messages
        else:
            assert not messages, messages


def test_periods_per_year_beyond_max_periods_is_refused() -> None:
    """10**13 periods a year was accepted by plan() (a Scenario refused it, at MAX_PERIODS)."""
    state, catalog = _perishable(5.0)
    with pytest.raises(hybridinv.PlanningError, match="MAX_PERIODS") as info:
        plan(state, catalog, policy="base_stock", periods_per_year=10**13)
    assert info.value.column == "periods_per_year"
    plan(state, catalog, policy="base_stock", periods_per_year=100_000)  # the limit itself is fine
