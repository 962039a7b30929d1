"""Input checks of shadow mode: logged decisions and the replay options
(each a PlanningError naming column, SKU and value; one-line errors in the CLI)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv import scenarios
from hybridinv.cli import main
from hybridinv.core.errors import PlanningError
from hybridinv.deploy import LoggedOrders, shadow_replay
from hybridinv.policies import BaseStock
from hybridinv.twin import synthetic_log

SKUS = np.array(["A", "B"], dtype=object)


def _decisions(rows: list[tuple[object, object, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["period", "sku", "order_qty"])


def test_logged_orders_from_frame_places_each_period():
    orders = LoggedOrders.from_frame(_decisions([(0, "A", 3), (2, "B", 5), (2.0, "A", 1)]), SKUS).orders
    assert orders.tolist() == [[3.0, 0.0], [0.0, 0.0], [1.0, 5.0]]


@pytest.mark.parametrize("missing", ["period", "sku", "order_qty"])
def test_missing_decision_column_is_named(missing):
    frame = _decisions([(0, "A", 3)]).drop(columns=missing)
    with pytest.raises(PlanningError, match="missing required column") as err:
        LoggedOrders.from_frame(frame, SKUS)
    assert err.value.column == missing


def test_decisions_without_rows():
    with pytest.raises(PlanningError, match="decisions has no rows"):
        LoggedOrders.from_frame(_decisions([]), SKUS)


@pytest.mark.parametrize("period", ["3x", -1, 1.5, np.nan, 202401])  # 202401 (YYYYMM) allocated 202,402 rows
def test_period_must_be_a_whole_number(period):
    with pytest.raises(PlanningError, match="whole number") as err:
        LoggedOrders.from_frame(_decisions([(0, "A", 3), (period, "B", 1)]), SKUS)
    assert (err.value.column, err.value.sku) == ("period", "B")


def test_unknown_sku_is_named():
    with pytest.raises(PlanningError, match="not in the sales log") as err:
        LoggedOrders.from_frame(_decisions([(0, "A", 3), (0, "Q-9", 1)]), SKUS)
    assert (err.value.column, err.value.sku) == ("sku", "Q-9")


def test_duplicate_period_and_sku_is_named():
    with pytest.raises(PlanningError, match="period 1 is logged more than once") as err:
        LoggedOrders.from_frame(_decisions([(1, "B", 3), (0, "A", 1), (1, "B", 2)]), SKUS)
    assert (err.value.sku, err.value.value) == ("B", 1)


@pytest.mark.parametrize("qty", [np.nan, -2, "lots"])
def test_order_quantity_must_be_a_number_at_least_zero(qty):
    with pytest.raises(PlanningError, match="order quantity of period 4") as err:
        LoggedOrders.from_frame(_decisions([(0, "A", 3), (4, "B", qty)]), SKUS)
    assert (err.value.column, err.value.sku) == ("order_qty", "B")


@pytest.mark.parametrize(("option", "value"), [
    ("replications", 0), ("replications", -1), ("periods", 0), ("seed", -1), ("confidence", 1.0),
    ("block", 0), ("resamples", 0),
])
def test_shadow_replay_refuses_bad_options(option, value):
    scenario = scenarios.single_sku(mean=5.0, lead_time=2, periods=30, warmup=5)
    policy = BaseStock(15, repair=None)
    with pytest.raises(PlanningError) as err:
        shadow_replay(scenario, policy, policy, **{option: value})
    assert (err.value.column, err.value.value) == (option, value)


@pytest.fixture(scope="module")
def sales(tmp_path_factory):
    folder = tmp_path_factory.mktemp("log")
    synthetic_log(n_skus=2, days=182, seed=0, orders_per_sku=5).sales.to_csv(folder / "sales.csv", index=False)
    return folder / "sales.csv"


@pytest.mark.parametrize(("text", "message"), [
    ("sku,order_qty\nSYN-000,3\n", "column 'period': decisions is missing required column(s) ['period']"),
    ("period,sku\n0,SYN-000\n", "column 'order_qty': decisions is missing required column(s) ['order_qty']"),
    ("period,sku,order_qty\n", "decisions has no rows"),
    ("period,sku,order_qty\n0,SYN-000,3\n3x,SYN-001,2\n", "column 'period', sku 'SYN-001', value '3x'"),
    ("period,sku,order_qty\n0,SYN-000,3\n1,NOPE,2\n", "sku 'NOPE': decisions name a SKU that is not in the sales log"),
    ("period,sku,order_qty\n0,SYN-000,3\n0,SYN-000,2\n", "sku 'SYN-000', value 0: period 0 is logged more than once"),
    ("period,sku,order_qty\n0,SYN-000,3\n1,SYN-001,\n", "sku 'SYN-001', value nan: order quantity of period 1"),
])
def test_shadow_command_reports_bad_decisions_in_one_line(sales, tmp_path, text, message):
    (tmp_path / "d.csv").write_text(text)
    result = CliRunner().invoke(main, ["shadow", "--sales", str(sales), "--decisions", str(tmp_path / "d.csv"),
                                       "--policy", "base_stock", "--replications", "1"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("option", "value"), [
    ("--replications", "0"), ("--replications", "-1"), ("--periods", "0"), ("--seed", "-1"),
])
def test_shadow_command_refuses_bad_counts(sales, option, value):
    result = CliRunner().invoke(main, ["shadow", "--sales", str(sales), "--policy", "base_stock", option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output


@pytest.mark.parametrize(("demand", "match", "sku"), [
    (np.array([[1.0, 2.0], [np.nan, 1.0]]), "period 1", "A"),
    (np.array([[1.0, -2.0], [1.0, 1.0]]), "period 0", "B"),
    (np.array([[1.0, 2.0], [1.0, np.inf]]), "period 1", "B"),
    (np.array([["1", "x"], ["1", "2"]]), "numbers", None),
    (np.zeros((0, 2)), "shape", None),
    (np.ones(4), "shape", None),
])
def test_shadow_replay_refuses_bad_demand(demand, match, sku):
    with pytest.raises(PlanningError, match=match) as err:
        shadow_replay(_two_sku_scenario(), BaseStock(5, repair=None), BaseStock(5, repair=None), demand=demand,
                      replications=1)
    assert (err.value.column, err.value.sku) == ("demand", sku)


def test_shadow_replay_reads_a_demand_frame_by_sku_column():
    scenario = _two_sku_scenario()
    values = np.column_stack([np.arange(20) % 7, np.full(20, 2.0)])
    ordered = pd.DataFrame(values, columns=["A", "B"])
    policies = (BaseStock(np.array([12.0, 4.0]), repair=None), BaseStock(np.array([8.0, 8.0]), repair=None))
    expected = shadow_replay(scenario, *policies, demand=values, replications=1).summary
    for frame in (ordered, ordered[["B", "A"]]):  # the reordered columns were read by position
        result = shadow_replay(scenario, *policies, demand=frame, replications=1)
        pd.testing.assert_frame_equal(result.summary, expected)
    with pytest.raises(PlanningError, match="one is missing") as err:
        shadow_replay(scenario, *policies, demand=ordered.rename(columns={"B": "C"}), replications=1)
    assert (err.value.column, err.value.sku) == ("demand", "B")


def test_shadow_replay_reads_logged_orders_by_sku_column():
    # the finding: demand was read by SKU name but a logged-orders frame by position, so reordered
    # columns gave each SKU another SKU's orders without a word
    scenario = _two_sku_scenario()
    demand = np.column_stack([np.arange(20) % 7, np.full(20, 2.0)])
    values = np.column_stack([np.full(20, 6.0), np.zeros(20)])
    ordered = pd.DataFrame(values, columns=["A", "B"])
    policy = BaseStock(np.array([12.0, 4.0]), repair=None)
    expected = shadow_replay(scenario, policy, values, demand=demand, replications=1)
    for orders in (ordered, ordered[["B", "A"]], LoggedOrders(ordered[["B", "A"]])):
        result = shadow_replay(scenario, policy, orders, demand=demand, replications=1)
        pd.testing.assert_frame_equal(result.summary, expected.summary)
        pd.testing.assert_frame_equal(result.disagreements, expected.disagreements)
    units = expected.disagreements.set_index("sku")["units_incumbent"]
    assert (units["A"], units["B"]) == (120.0, 0.0)
    for frame, sku, match in ((ordered.rename(columns={"B": "C"}), "B", "one is missing"),
                              (ordered.assign(C=1.0), "C", "not in the catalog")):
        for orders in (frame, LoggedOrders(frame)):
            with pytest.raises(PlanningError, match=match) as err:
                shadow_replay(scenario, policy, orders, demand=demand, replications=1)
            assert (err.value.column, err.value.sku) == ("orders", sku)
    with pytest.raises(PlanningError, match="more than once") as err:
        LoggedOrders(pd.DataFrame(values, columns=["A", "A"]))
    assert (err.value.column, err.value.sku) == ("orders", "A")


def test_logged_orders_with_sku_columns_follow_the_catalog_as_a_policy():
    from hybridinv import simulate

    scenario = _two_sku_scenario()
    values = np.column_stack([np.full(20, 6.0), np.zeros(20)])
    expected = simulate(LoggedOrders(values), scenario, seeds=1).drop(columns="decision_time")
    reordered = simulate(LoggedOrders(pd.DataFrame(values, columns=["A", "B"])[["B", "A"]]), scenario, seeds=1)
    pd.testing.assert_frame_equal(reordered.drop(columns="decision_time"), expected)


def test_logged_orders_from_frame_keep_their_sku_labels():
    # the finding: from_frame(frame, skus) placed the orders in the order of `skus` and dropped the labels, so
    # a SKU list in another order than the replayed catalog (the sales log's, say) gave each SKU another's orders
    scenario = _two_sku_scenario()
    decisions = _decisions([(t, sku, qty) for t in range(20) for sku, qty in (("A", 6.0), ("B", 0.0))])
    demand = np.column_stack([np.arange(20) % 7, np.full(20, 2.0)])
    policy = BaseStock(np.array([12.0, 4.0]), repair=None)
    results = [shadow_replay(scenario, policy, LoggedOrders.from_frame(decisions, skus), demand=demand,
                             replications=1) for skus in (["A", "B"], ["B", "A"])]
    for result in results:
        units = result.disagreements.set_index("sku")["units_incumbent"]
        assert (units["A"], units["B"]) == (120.0, 0.0)  # 20 periods of 6 units, all for A
    pd.testing.assert_frame_equal(results[1].summary, results[0].summary)
    assert LoggedOrders.from_frame(decisions, ["B", "A"]).orders[0].tolist() == [0.0, 6.0]  # in the order given
    # as a policy too: each SKU of the catalog gets its own logged order
    from hybridinv.core import Catalog

    class _Obs:
        period = 0
        catalog = Catalog.from_frame(pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0,
                                                   "shortage_cost": 9.0, "lead_time": 1}))

    assert LoggedOrders.from_frame(decisions, ["B", "A"]).act(_Obs()).tolist() == [6.0, 0.0]


def test_absurd_logged_orders_and_demand_are_refused_naming_period_and_sku():
    # the finding: a logged order (or realized demand) of 1e300 was replayed and the summary came out in 1e300s;
    # like the sales log, the decisions and the demand hold at most MAX_QUANTITY units per cell
    from hybridinv.core.limits import MAX_QUANTITY

    scenario = _two_sku_scenario()
    policy = BaseStock(np.array([12.0, 4.0]), repair=None)
    orders = np.ones((20, 2))
    orders[3, 1] = 1e300
    with pytest.raises(PlanningError, match="period 3, SKU column 1") as err:
        shadow_replay(scenario, policy, orders, replications=1)
    assert (err.value.column, err.value.value) == ("orders", 1e300)
    with pytest.raises(PlanningError, match="order quantity of period 2") as err:
        LoggedOrders.from_frame(_decisions([(0, "A", 3), (2, "B", 2e12)]), SKUS)
    assert (err.value.column, err.value.sku) == ("order_qty", "B")
    demand = np.ones((20, 2))
    demand[5, 0] = 1e300
    with pytest.raises(PlanningError, match="demand of period 5") as err:
        shadow_replay(scenario, policy, np.ones((20, 2)), demand=demand, replications=1)
    assert (err.value.column, err.value.sku) == ("demand", "A")
    edge = np.full((20, 2), MAX_QUANTITY)  # the limit itself is allowed
    assert LoggedOrders(edge).orders.max() == MAX_QUANTITY


def _two_sku_scenario():
    from hybridinv.core import Catalog, Constraints
    from hybridinv.demand.processes import DemandProcess
    from hybridinv.sim import Scenario

    catalog = Catalog.from_frame(pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0,
                                               "shortage_cost": 9.0, "lead_time": 1}))
    return Scenario(name="two", catalog=catalog, constraints=Constraints(),
                    demand=DemandProcess(mean=np.array([5.0, 5.0])), periods=20, warmup=0)


@pytest.mark.parametrize(("orders", "match"), [
    (np.ones((20, 3)), "3 SKU columns"),
    (np.ones((5, 2)), "cover 5 periods"),
])
def test_shadow_replay_refuses_logged_orders_that_do_not_fit(orders, match):
    with pytest.raises(PlanningError, match=match) as err:
        shadow_replay(_two_sku_scenario(), BaseStock(5, repair=None), orders, replications=1)
    assert err.value.column == "orders"


@pytest.mark.parametrize("orders", [np.array([[1.0, np.nan]]), np.array([[True, False]]), np.zeros((0, 2)),
                                    np.array([[1.0, -1.0]])])
def test_logged_orders_refuse_bad_arrays(orders):
    with pytest.raises(PlanningError) as err:
        LoggedOrders(orders)
    assert err.value.column == "orders"


def test_sku_list_naming_a_sku_twice_is_refused():
    with pytest.raises(PlanningError, match="twice") as err:
        LoggedOrders.from_frame(_decisions([(0, "A", 3)]), ["A", "A"])
    assert (err.value.column, err.value.sku) == ("sku", "A")


def test_logged_orders_take_the_periods_they_cover_and_refuse_booleans():
    frame = _decisions([(0, "A", 3), (1, "B", 5)])
    assert LoggedOrders.from_frame(frame, SKUS, periods=4).orders.tolist() == [[3, 0], [0, 5], [0, 0], [0, 0]]
    with pytest.raises(PlanningError, match="outside the 1 periods given"):
        LoggedOrders.from_frame(frame, SKUS, periods=1)
    for column, rows in (("order_qty", [(0, "A", True)]), ("period", [(True, "A", 3)])):
        with pytest.raises(PlanningError, match="not a boolean") as err:  # True was one unit, or period 1
            LoggedOrders.from_frame(_decisions(rows), SKUS)
        assert (err.value.column, err.value.sku) == (column, "A")


def test_shadow_replay_and_verdict_name_what_is_missing():
    scenario = _two_sku_scenario()
    policy = BaseStock(5, repair=None)
    with pytest.raises(PlanningError, match="column 'incumbent'"):
        shadow_replay(scenario, policy, None, replications=1)
    with pytest.raises(PlanningError, match="column 'recommended'"):
        shadow_replay(scenario, None, policy, replications=1)
    result = shadow_replay(scenario, policy, policy, replications=1, periods=5)
    with pytest.raises(PlanningError, match="column 'kpi', value 'cost': unknown KPI"):  # a KeyError before
        result.verdict("cost")


def test_incumbent_penalty_steps_are_whole_numbers():
    from hybridinv.deploy import IncumbentPenalty

    penalty = IncumbentPenalty(weight=1.0, final_weight=0.0, decay_steps=10)
    assert penalty.weight_at(5) == 0.5 and penalty.weight_at(np.int64(20)) == 0.0
    for step in (np.nan, -5, "10", 2.5):  # NaN made the reward NaN, -5 was read as 0, "10" a TypeError
        with pytest.raises(PlanningError, match="column 'step'"):
            penalty.weight_at(step)


@pytest.mark.parametrize("skus", ["A", None, 3, np.array([["A"]])])
def test_skus_must_be_a_list_of_codes(skus: object) -> None:
    # the finding: "A" was pandas' TypeError ("Index(...) must be called with a collection"), None the SKU 'None'
    frame = pd.DataFrame({"period": [0], "sku": ["A"], "order_qty": [1.0]})
    with pytest.raises(PlanningError, match="must be a list of SKU codes") as err:
        LoggedOrders.from_frame(frame, skus)  # type: ignore[arg-type]
    assert err.value.column == "skus"
    if skus is not None:  # without skus the constructor keeps the frame's column names
        with pytest.raises(PlanningError, match="must be a list of SKU codes"):
            LoggedOrders(pd.DataFrame({"A": [1.0]}), skus=skus)  # type: ignore[arg-type]
    assert LoggedOrders.from_frame(frame, ("A",)).orders.tolist() == [[1.0]]
