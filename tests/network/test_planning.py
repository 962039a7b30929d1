"""plan_network(): output frame, feasibility (independent check), positions, levels, determinism."""

from __future__ import annotations

import io
import math
import subprocess
import sys
import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

import hybridinv
from hybridinv import ConstraintViolationWarning, PlanningError, PlanningWarning
from hybridinv.core.outputs import write_csv
from hybridinv.network import EchelonBaseStock, Network, plan_network
from tests.network._plan_cases import independent_check, random_frames, small_frames


def _plan(frames: dict, **options: object) -> pd.DataFrame:
    return plan_network(frames["locations"], frames["state"], frames["catalog"], forecast=frames.get("forecast"),
                        **options)


def test_a_budget_below_every_supplier_order_is_warned_about() -> None:
    """plan() warns when the budget pays for no order a SKU needs; plan_network gave a plan of zeros whose only
    word was 'budget' in the rows' reasons (a budget of 4 typed for 400 planned nothing, without a warning)."""
    frames = small_frames()  # wh wants A (moq 10 at 2: 20) and B (lot 1 at 5: 5)
    with pytest.warns(PlanningWarning, match=r"budget 4 is below the cheapest supplier order .*2 row\(s\); "
                                             r"cheapest: location 'wh', SKU 'B', 1 units at 5 = 5\)") as caught:
        out = _plan(frames, budget=4.0)
    assert out.loc[out["decision"] == "supplier_order", "quantity"].sum() == 0
    assert any("below the cheapest supplier order" in w for w in out.attrs["diagnostics"]["warnings"])
    assert len([w for w in caught if "cheapest supplier order" in str(w.message)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanningWarning)
        out = _plan(frames, budget=5.0)  # one unit of B fits: an order, no warning
    assert out.loc[(out["location"] == "wh") & (out["sku"] == "B"), "quantity"].item() == 1


def test_capacities_that_no_volume_uses_are_warned_about() -> None:
    """A catalog volume of 0 on every SKU turned the locations' capacities off without a word, as plan()'s did."""
    frames = small_frames()
    flat = {**frames, "catalog": frames["catalog"].assign(volume=0.0)}
    with pytest.warns(PlanningWarning, match=r"location capacities are set \(2, first 'wh'\) but every SKU has "
                                             "volume 0"):
        out = _plan(flat)
    no_limit = _plan({**flat, "locations": frames["locations"].assign(capacity=np.nan)})
    pd.testing.assert_frame_equal(out, no_limit)
    assert any("volume 0" in w for w in out.attrs["diagnostics"]["warnings"])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", ".*every SKU has volume 0")
        _plan(frames)
        _plan({**flat, "locations": frames["locations"].assign(capacity=np.nan)})


def test_one_row_per_location_and_sku_with_the_documented_columns() -> None:
    out = _plan(small_frames(), budget=100.0)
    assert list(out[["location", "sku"]].itertuples(index=False, name=None)) == [
        ("wh", "A"), ("wh", "B"), ("s1", "A"), ("s1", "B"), ("s2", "A"), ("s2", "B")]
    assert out["decision"].tolist() == ["supplier_order"] * 2 + ["shipment"] * 4
    assert out["source"].tolist() == ["supplier"] * 2 + ["wh"] * 4
    for column in ("quantity", "desired_qty", "target_level", "installation_position", "echelon_position",
                   "reason", "parent_stock", "budget", "moq"):
        assert column in out.columns
    diag = out.attrs["diagnostics"]
    assert diag["gap"] <= 1e-4 and diag["violations"] == [] and diag["status"] in ("optimal", "within_gap")
    assert diag["spend"] == pytest.approx(float((out["quantity"] * [2.0, 5.0, 0, 0, 0, 0]).sum()))


def test_positions_match_a_hand_computed_example() -> None:
    """wh/A: 20 on hand + 10 in transit = 30; s1/A: 2 - 1 backordered = 1; s2/A: 5 → echelon 36 at wh."""
    out = _plan(small_frames()).set_index(["location", "sku"])
    installation = {("wh", "A"): 30, ("wh", "B"): 3, ("s1", "A"): 1, ("s1", "B"): 2, ("s2", "A"): 5, ("s2", "B"): 1}
    echelon = {("wh", "A"): 36, ("wh", "B"): 6, ("s1", "A"): 1, ("s1", "B"): 2, ("s2", "A"): 5, ("s2", "B"): 1}
    for key, value in installation.items():
        assert out.at[key, "installation_position"] == value
        assert out.at[key, "echelon_position"] == echelon[key]
    assert out.at[("wh", "A"), "in_transit"] == 10 and out.at[("s1", "A"), "backorders"] == 1


def test_echelon_levels_and_desired_quantities_follow_the_documented_rule() -> None:
    """S_store = 2 mu + z sigma sqrt(2); S_wh = S_s1 + S_s2 + 2 mu_wh + z sigma_wh sqrt(2), z = Phi^-1(p/(p+h))."""
    frames = small_frames()
    out = _plan(frames).set_index(["location", "sku"])
    for sku, p, h, means, stds in (("A", 4.0, 0.2, (4.0, 3.0), (2.0, 1.5)), ("B", 9.0, 0.5, (2.0, 1.5), (1.0, 1.0))):
        z = NormalDist().inv_cdf(p / (p + h))
        s1 = math.ceil(2 * means[0] + z * stds[0] * math.sqrt(2) - 1e-9)
        s2 = math.ceil(2 * means[1] + z * stds[1] * math.sqrt(2) - 1e-9)
        sigma = math.hypot(*stds)
        wh = math.ceil(s1 + s2 + 2 * sum(means) + z * sigma * math.sqrt(2) - 1e-9)
        for name, level in (("s1", s1), ("s2", s2), ("wh", wh)):
            assert out.at[(name, sku), "target_level"] == level
            want = max(0.0, level - out.at[(name, sku), "echelon_position"])
            assert out.at[(name, sku), "desired_qty"] == want


def test_a_misspelt_policy_name_suggests_the_one_meant() -> None:
    # until 2026-12-07 the choices alone, no pointer to the one meant
    with pytest.raises(PlanningError, match=r"unknown network policy \(did you mean 'installation_base_stock'\?\); "
                                            r"choose one of \['echelon_base_stock', 'installation_base_stock'\]"):
        _plan(small_frames(), policy="instalation_base_stock")


def test_installation_policy_and_service_level() -> None:
    frames = small_frames()
    out = _plan(frames, policy="installation_base_stock").set_index(["location", "sku"])
    z = NormalDist().inv_cdf(4.0 / 4.2)
    assert out.at[("s1", "A"), "target_level"] == math.ceil(2 * 4.0 + z * 2.0 * math.sqrt(2))
    assert out.at[("s1", "A"), "desired_qty"] == max(0, out.at[("s1", "A"), "target_level"] - 1)
    served = _plan(frames, service_level=0.5).set_index(["location", "sku"])  # z = 0 above the stores
    base = _plan(frames).set_index(["location", "sku"])
    assert served.at[("wh", "A"), "target_level"] == base.at[("s1", "A"), "target_level"] + \
        base.at[("s2", "A"), "target_level"] + 14
    assert served.at[("s1", "A"), "target_level"] == base.at[("s1", "A"), "target_level"]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("backend", ["fast", "auto", "highs"])
def test_output_is_feasible_by_an_independent_check(seed: int, backend: str) -> None:
    frames = random_frames(seed)
    out = _plan(frames, budget=frames["budget"], backend=backend)
    assert independent_check(frames, out) == []
    assert out.attrs["diagnostics"]["violations"] == []
    # the desired quantities themselves break a rule: the check is not vacuous
    wanted = out.assign(quantity=np.ceil(out["desired_qty"]).astype(int))
    assert independent_check(frames, wanted) != []


def test_the_rules_bind_across_instances() -> None:
    reasons = set()
    for seed in range(6):
        frames = random_frames(seed)
        reasons |= set("+".join(_plan(frames, budget=frames["budget"], backend="fast")["reason"]).split("+"))
    assert {"budget", "parent_stock", "capacity"} <= reasons


def test_same_input_same_output() -> None:
    frames = random_frames(3)
    first = _plan(frames, budget=frames["budget"])
    second = _plan(frames, budget=frames["budget"])
    pd.testing.assert_frame_equal(first, second)
    one, two = (dict(f.attrs["diagnostics"]) for f in (first, second))
    for timing in ("seconds", "repair_seconds"):
        one.pop(timing), two.pop(timing)
    assert one == two and one["status"] in ("optimal", "within_gap")  # no time limit decided the plan


def test_frames_round_trip() -> None:
    """Shuffled input rows come back in network x catalog order; the CSV reads back to the same frame."""
    frames = random_frames(1)
    out = _plan(frames, budget=frames["budget"])
    state = frames["state"].set_index(["location", "sku"])
    mine = out.set_index(["location", "sku"])
    assert (mine["on_hand"] == state.loc[mine.index, "on_hand"]).all()
    assert (mine["in_transit"] == state.loc[mine.index, ["pipeline_0", "pipeline_1"]].sum(axis=1)).all()
    buffer = io.StringIO()
    write_csv(out, buffer)
    back = pd.read_csv(io.StringIO(buffer.getvalue()))
    pd.testing.assert_frame_equal(back, out, check_dtype=False)
    net = Network.from_frame(frames["locations"])
    assert Network.from_frame(net.to_frame()).names == net.names


def test_policy_object_with_own_levels() -> None:
    frames = small_frames()
    net = Network.from_frame(frames["locations"])
    out = _plan(frames, policy=EchelonBaseStock(net, levels=[40, 10, 8]))
    assert out["target_level"].tolist() == [40, 40, 10, 10, 8, 8]
    assert out.loc[0, "desired_qty"] == 40 - 36
    other = Network.one_warehouse(2, 1, 1)
    with pytest.raises(PlanningError, match="built for locations"):
        _plan(frames, policy=EchelonBaseStock(other, levels=10))


def test_a_policy_built_for_the_same_names_in_another_tree_is_refused() -> None:
    """Same location names, another tree (a chain where the table has a warehouse and two stores): its echelon levels
    were planned against the table's positions, silently (until 2026-12-04)."""
    frames = small_frames()
    table = frames["locations"]
    names = table["location"].tolist()
    chain = Network.from_frame(pd.DataFrame({"location": names, "parent": [None, names[0], names[1]],
                                             "lead_time": table["lead_time"].tolist()}))
    assert chain.names == Network.from_frame(table).names
    with pytest.raises(PlanningError, match=rf"column 'policy'.*{names[2]!r} is fed by {names[1]!r}"):
        _plan(frames, policy=EchelonBaseStock(chain, levels=[40, 10, 8]))


def test_a_location_over_capacity_is_reported_with_the_closest_plan() -> None:
    frames = small_frames()
    frames["state"].loc[4, "on_hand"] = 70  # s2/A: 70 units of volume 1 in a 60-unit store
    with pytest.warns(ConstraintViolationWarning, match=r"capacity\[s2\]"):
        out = _plan(frames)
    diag = out.attrs["diagnostics"]
    assert [v["name"] for v in diag["violations"]] == ["capacity[s2]"] and diag["warnings"]
    assert out.set_index(["location", "sku"]).loc["s2", "quantity"].sum() == 0


def test_the_warehouse_row_counts_the_forecast_outflow_before_its_receipt() -> None:
    # wh: lead time 2, capacity 11 (1.1 periods of the stores' forecast 2 x 5); it ships its 6 on hand now, and the
    # 4 arriving next period leave for the stores before the order arrives: room for 11 - (6 - 6 + 4 - 4) = 11
    frames = {
        "locations": pd.DataFrame({"location": ["wh", "s1", "s2"], "parent": [None, "wh", "wh"],
                                   "lead_time": [2, 1, 1], "capacity": [11.0, None, None]}),
        "catalog": pd.DataFrame({"sku": ["A"], "unit_cost": [1.0], "holding_cost": [0.1], "shortage_cost": [5.0],
                                 "volume": [1.0]}),
        "state": pd.DataFrame({"location": ["wh", "s1", "s2"], "sku": ["A"] * 3, "on_hand": [6, 0, 0],
                               "pipeline_1": [4, 0, 0]}),
        "forecast": pd.DataFrame({"location": ["s1", "s2"], "sku": ["A"] * 2, "mean": [5.0, 5.0]}),
    }
    out = _plan(frames).set_index("location")
    assert out.at["wh", "desired_qty"] > 11
    assert out["quantity"].tolist() == [11, 3, 3]
    assert out.at["wh", "capacity"]                      # cut by the room, explained


def test_public_name_and_no_torch() -> None:
    assert hybridinv.plan_network is plan_network
    code = (
        "import sys, hybridinv\n"
        "from tests.network._plan_cases import small_frames\n"
        "f = small_frames()\n"
        "hybridinv.plan_network(f['locations'], f['state'], f['catalog'], forecast=f['forecast'])\n"
        "assert 'torch' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("orders", "words"), [
    ([["a", 1.0]], "must be numbers, not booleans or text"),
    ([[1.0], [2.0, 3.0]], "must be numbers"),
    ([[True, 1.0]], "must be numbers, not booleans or text"),
    (np.ones((3, 3)), r"the policy returned supplier_orders of shape \(3, 3\), expected \(1, 2\)"),
])
def test_a_custom_policy_returning_bad_quantities_is_named(orders: object, words: str) -> None:
    """The finding: text or ragged rows from a custom policy were numpy's bare ValueError ("could not convert
    string to float"), naming nothing."""
    from hybridinv.network.state import NetworkDecision

    frames = small_frames()
    net = Network.from_frame(frames["locations"])

    class Custom:
        def act(self, obs: object) -> NetworkDecision:
            return NetworkDecision(orders, np.ones((net.non_roots.size, 2)))  # type: ignore[arg-type]

    with pytest.raises(PlanningError, match=words) as err:
        _plan(frames, policy=Custom())
    assert err.value.column == "supplier_orders"


@pytest.mark.parametrize(("column", "values"), [("order_cost", [1000.0, 0.0]), ("shelf_life", [1, 0]),
                                                ("lead_time_std", [5.0, 5.0]), ("supplier", ["x", "y"])])
def test_catalog_columns_the_network_plan_does_not_model_are_named(column: str, values: list[object]) -> None:
    """A shelf life of 1 or a fixed cost of 1,000 a line gave the plan of a catalog without them, silently."""
    frames = small_frames()
    plain = plan_network(frames["locations"], frames["state"], frames["catalog"], forecast=frames["forecast"])
    assert plain.attrs["diagnostics"]["warnings"] == []
    catalog = frames["catalog"].assign(**{column: values})
    with pytest.warns(hybridinv.PlanningWarning, match=rf"does not model the catalog's {column} "):
        plan = plan_network(frames["locations"], frames["state"], catalog, forecast=frames["forecast"])
    assert any(column in note for note in plan.attrs["diagnostics"]["warnings"])
    assert plan["quantity"].tolist() == plain["quantity"].tolist()  # planned without it, as the note says
    one_supplier = frames["catalog"].assign(supplier="x", shelf_life=0, order_cost=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan_network(frames["locations"], frames["state"], one_supplier, forecast=frames["forecast"])


def test_make_policy_takes_a_scenario_name_and_names_its_arguments() -> None:
    from hybridinv.network import make_policy

    by_name = make_policy("echelon_base_stock", "serial_3")
    assert np.asarray(by_name.levels).tolist() == [12, 8, 6]  # the exact serial optimum, as for the object
    with pytest.raises(PlanningError, match="column 'scenario'"):
        make_policy("echelon_base_stock", None)  # was AttributeError: 'NoneType' object has no attribute 'network'
    with pytest.raises(PlanningError, match="column 'tuning_periods', value -1"):
        make_policy("echelon_base_stock", "serial_3", tuning_periods=-1)  # named 'periods'


def test_the_forecast_periods_beyond_the_protected_lead_time_are_not_read() -> None:
    """Every forecast period was averaged: a year's forecast whose demand rose after the lead time set today's
    targets several times too high. A store reads its first cumulative lead time + 1 periods (wh 2 + s 1 = 3 here),
    counted from its earliest period, so the plan is the plan of those periods alone."""
    frames = small_frames()
    network = Network.from_frame(frames["locations"])
    window = {name: int(network.cumulative_lead_time[network.index(name)]) + 1 for name in ("s1", "s2")}
    rows = []
    for (location, sku), start in zip([("s1", "A"), ("s1", "B"), ("s2", "A"), ("s2", "B")], [0, 5, 37, 2], strict=True):
        for k in range(12):  # 1 a period while protected, 30 afterwards; stores and SKUs start at other periods
            rows.append({"location": location, "sku": sku, "period": start + k,
                         "mean": 1.0 if k < window[location] else 30.0, "std": 1.0})
    year = pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # row order does not matter
    short = year[year["mean"] == 1.0]
    long_plan = _plan({**frames, "forecast": year})
    short_plan = _plan({**frames, "forecast": short})
    pd.testing.assert_frame_equal(long_plan, short_plan)
    flat = _plan({**frames, "forecast": short.assign(mean=30.0)})
    assert flat["target_level"].sum() > 5 * long_plan["target_level"].sum()  # the later periods would have mattered


@pytest.mark.parametrize(("column", "old", "new", "meant"), [
    ("sku", "A", "a", "the catalog has 'A'"), ("location", "s1", "S1", "the locations table has 's1'"),
])
def test_an_unknown_label_names_the_one_written_another_way(column: str, old: str, new: str, meant: str) -> None:
    """'unknown SKU (not in the catalog)' named only the label: a planner searched for the case, padding or zeros."""
    frames = small_frames()
    state = frames["state"].assign(**{column: frames["state"][column].replace({old: new})})
    with pytest.raises(PlanningError, match=meant) as info:
        _plan({**frames, "state": state})
    assert info.value.column == column


def test_an_unknown_sku_written_as_another_number_is_named() -> None:
    frames = small_frames()
    catalog = frames["catalog"].assign(sku=frames["catalog"]["sku"].replace({"A": "00123"}))
    state = frames["state"].assign(sku=frames["state"]["sku"].replace({"A": "123"}))
    forecast = frames["forecast"].assign(sku=frames["forecast"]["sku"].replace({"A": "00123"}))
    with pytest.raises(PlanningError, match="the catalog has '00123'.*leading zeros"):
        _plan({**frames, "catalog": catalog, "state": state, "forecast": forecast})
