"""Network topology: constructors, derived arrays, the ``locations`` table and its validation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hybridinv import PlanningError
from hybridinv.network import LocationError, Network


def test_serial_numbers_stages_as_textbooks():
    # lead_times[k] is stage k+1's: stage_1 (store) 1, stage_2 2, stage_3 (supplier-fed) 3
    net = Network.serial(3, lead_times=[1, 2, 3], capacities=[10, 20, 30])
    assert net.names == ("stage_3", "stage_2", "stage_1")
    assert net.parent.tolist() == [-1, 0, 1]
    assert net.lead_time.tolist() == [3, 2, 1]
    assert net.capacity.tolist() == [30, 20, 10]
    assert net.stores.tolist() == [2] and net.roots.tolist() == [0] and net.non_roots.tolist() == [1, 2]
    assert net.depth.tolist() == [0, 1, 2]
    assert net.cumulative_lead_time.tolist() == [3, 5, 6]
    assert net.is_serial and net.max_lead_time == 3


def test_one_warehouse():
    net = Network.one_warehouse(3, warehouse_lead_time=2, store_lead_times=[1, 0, 3], warehouse_capacity=100,
                                budget=50)
    assert net.names == ("warehouse", "store_1", "store_2", "store_3")
    assert net.parent.tolist() == [-1, 0, 0, 0]
    assert net.lead_time.tolist() == [2, 1, 0, 3]
    assert net.capacity.tolist() == [100, math.inf, math.inf, math.inf]
    assert net.budget == 50 and net.n_stores == 3 and not net.is_serial
    assert net.cumulative_lead_time.tolist() == [2, 3, 2, 5]


def test_subtree_and_ship_from_on_a_three_level_tree():
    # R -> {A, B}, A -> {a1, a2}, B -> {b1}
    net = Network(("R", "A", "B", "a1", "a2", "b1"), [-1, 0, 0, 1, 1, 2], [1, 1, 1, 1, 1, 1], [math.inf] * 6)
    below = {
        "R": {"R", "A", "B", "a1", "a2", "b1"}, "A": {"A", "a1", "a2"}, "B": {"B", "b1"},
        "a1": {"a1"}, "a2": {"a2"}, "b1": {"b1"},
    }
    expected = np.array([[name in below[row] for name in net.names] for row in net.names], dtype=float)
    np.testing.assert_array_equal(net.subtree, expected)
    # ship_from: columns are the non-roots A, B, a1, a2, b1; rows their parents
    assert [net.names[int(np.flatnonzero(col)[0])] for col in net.ship_from.T] == ["R", "R", "A", "A", "B"]
    assert [net.names[i] for i in net.stores] == ["a1", "a2", "b1"]
    assert net.depth.tolist() == [0, 1, 1, 2, 2, 2]


def test_from_frame_sorts_rows_topologically_and_round_trips():
    df = pd.DataFrame({
        "location": ["s2", "s1", "dc", "hub"],
        "parent": ["dc", "hub", "hub", None],
        "lead_time": [1, 2, 3, 4],
        "capacity": [10.0, np.nan, 50.0, np.inf],
    })
    net = Network.from_frame(df, budget=1000)
    names = list(net.names)
    for i, p in enumerate(net.parent):
        assert p < i
    by_name = {name: i for i, name in enumerate(names)}
    assert net.parent[by_name["s2"]] == by_name["dc"] and net.parent[by_name["s1"]] == by_name["hub"]
    assert net.lead_time[by_name["dc"]] == 3 and net.capacity[by_name["s1"]] == math.inf
    assert net.capacity[by_name["s2"]] == 10 and net.budget == 1000
    again = Network.from_frame(net.to_frame(), budget=1000)
    assert again.names == net.names and again.parent.tolist() == net.parent.tolist()
    assert again.lead_time.tolist() == net.lead_time.tolist() and again.capacity.tolist() == net.capacity.tolist()


def test_from_frame_keeps_an_ordered_table_and_reads_numbers_as_names():
    # pandas reads a parent column with a blank as floats: 1.0 must still name location 1
    df = pd.DataFrame({"location": [1, 2, 3], "parent": [np.nan, 1.0, 1.0], "lead_time": [2, 1, 1]})
    net = Network.from_frame(df)
    assert net.names == ("1", "2", "3") and net.parent.tolist() == [-1, 0, 0]
    assert net.capacity.tolist() == [math.inf] * 3


def _frame(**changes):
    data = {"location": ["W", "S1", "S2"], "parent": [None, "W", "W"], "lead_time": [2, 1, 1],
            "capacity": [100.0, 10.0, 10.0]}
    data.update(changes)
    return pd.DataFrame(data)


@pytest.mark.parametrize(
    ("frame", "column", "location", "value", "text"),
    [
        (_frame(parent=[None, "W", "X"]), "parent", "S2", "X", "unknown parent"),
        (_frame(parent=["S1", "W", "W"]), "parent", "W", "S1", "cycle"),
        (_frame(parent=[None, "S1", "W"]), "parent", "S1", "S1", "cycle"),
        (_frame(lead_time=[2, -1, 1]), "lead_time", "S1", -1.0, "whole number from 0"),
        (_frame(lead_time=[2, 1.5, 1]), "lead_time", "S1", 1.5, "whole number from 0"),
        (_frame(lead_time=[2, 1, 521]), "lead_time", "S2", 521.0, "whole number from 0"),
        (_frame(lead_time=[2, "soon", 1]), "lead_time", "S1", "soon", "not a number"),
        (_frame(lead_time=[2, True, 1]), "lead_time", "S1", True, "not a number"),
        (_frame(lead_time=[2, None, 1]), "lead_time", "S1", None, "lead time is empty"),
        (_frame(location=["W", "S1", "S1"]), "location", "S1", "S1", "duplicate"),
        (_frame(capacity=[100.0, 0.0, 10.0]), "capacity", "S1", 0.0, "capacity must be > 0"),
        (_frame(capacity=[100.0, -5.0, 10.0]), "capacity", "S1", -5.0, "capacity must be > 0"),
    ],
)
def test_from_frame_errors_name_column_location_and_value(frame, column, location, value, text):
    with pytest.raises(LocationError, match=text) as info:
        Network.from_frame(frame)
    err = info.value
    assert isinstance(err, PlanningError)
    assert err.column == column and err.location == location
    assert err.value == value or (value is None and err.value is None)
    assert f"location {location!r}" in str(err) and f"column {column!r}" in str(err)


def test_from_frame_cycle_message_shows_the_cycle():
    df = pd.DataFrame({"location": ["A", "B", "C", "S"], "parent": ["C", "A", "B", None], "lead_time": [1] * 4})
    with pytest.raises(LocationError, match=r"cycle \(A -> C -> B -> A\)"):
        Network.from_frame(df)


def test_from_frame_table_errors():
    with pytest.raises(LocationError, match="empty") as info:
        Network.from_frame(_frame().iloc[:0])
    assert info.value.column == "location"
    with pytest.raises(PlanningError, match="unknown column 'leadtime'.*did you mean 'lead_time'") as err:
        Network.from_frame(_frame().rename(columns={"lead_time": "leadtime"}))
    assert err.value.column == "leadtime"
    with pytest.raises(PlanningError, match="missing required column") as err:
        Network.from_frame(_frame().drop(columns="parent"))
    assert err.value.column == "parent"
    with pytest.raises(LocationError, match="location name is empty"):
        Network.from_frame(_frame(location=["W", "", "S2"]))
    with pytest.raises(PlanningError, match="DataFrame"):
        Network.from_frame([1, 2])  # type: ignore[arg-type]
    assert Network.from_frame(_frame(note=["a", "b", "c"]), extra_columns=["note"]).n_locations == 3


def test_direct_construction_is_validated():
    with pytest.raises(LocationError, match="topological order") as info:
        Network(("S", "W"), [1, -1], [1, 1], [math.inf, math.inf])
    assert info.value.location == "S" and info.value.column == "parent"
    with pytest.raises(LocationError, match="budget must be > 0"):
        Network(("W",), [-1], [1], [math.inf], budget=0.0)
    with pytest.raises(LocationError, match="no location"):
        Network((), [], [], [])
    with pytest.raises(LocationError, match="whole number") as info:
        Network.serial(2, lead_times=[1, 0.5])
    assert info.value.location == "stage_2"  # lead_times[1] is stage 2's
    with pytest.raises(LocationError, match="n_stores"):
        Network.one_warehouse(0, 1, 1)
    with pytest.raises(LocationError, match="unknown location"):
        Network.serial(2, 1).index("stage_9")
    assert Network.serial(2, 1).index("stage_1") == 1


@pytest.mark.parametrize(("arguments", "column"), [
    ({"warehouse_lead_time": "2"}, "warehouse_lead_time"), ({"warehouse_lead_time": True}, "warehouse_lead_time"),
    ({"warehouse_capacity": "5"}, "warehouse_capacity"), ({"store_lead_times": "1"}, "lead_time"),
])
def test_one_warehouse_refuses_text_and_booleans_for_the_warehouse_too(arguments: dict, column: str) -> None:
    """The stores' values were checked, the warehouse's converted: "2" was 2 periods, True 1, "5" a capacity."""
    values = {"n_stores": 2, "warehouse_lead_time": 2, "store_lead_times": 1, **arguments}
    with pytest.raises(PlanningError, match="not booleans or text") as info:
        Network.one_warehouse(**values)
    assert info.value.column == column
    assert Network.one_warehouse(2, 2, 1, warehouse_capacity=5).capacity.tolist()[0] == 5.0


def test_base_stock_levels_refuse_text_naming_levels() -> None:
    # EchelonBaseStock(net, ["abc", 1, 1]) was numpy's bare "could not convert string to float"
    from hybridinv.network.policies import base_stock_levels

    for levels in (["abc", 1, 1], [True, 1, 1]):
        with pytest.raises(PlanningError, match="not booleans or text") as info:
            base_stock_levels(Network.serial(3, [1, 1, 2]), levels, 2)
        assert info.value.column == "levels"
