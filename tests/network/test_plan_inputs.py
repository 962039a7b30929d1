"""Validation of plan_network's tables: every error names the column, the location, the SKU and the value."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from hybridinv import Catalog, PlanningError
from hybridinv.network import LocationError, Network, plan_network
from hybridinv.network.plan_inputs import read_catalog, read_forecast, read_state
from tests.network._plan_cases import small_frames

Frames = dict[str, pd.DataFrame]


def _state(f: Frames, row: int, column: str, value: object) -> None:
    f["state"][column] = f["state"][column].astype(object)
    f["state"].loc[row, column] = value


def _forecast(f: Frames, row: int, column: str, value: object) -> None:
    f["forecast"][column] = f["forecast"][column].astype(object)
    f["forecast"].loc[row, column] = value


CASES: dict[str, tuple[Callable[[Frames], None], str, str | None, str | None, object]] = {
    # name: (break the frames, column, location, sku, value)
    "unknown location in state": (lambda f: _state(f, 2, "location", "s9"), "location", "s9", "A", "s9"),
    "unknown sku in state": (lambda f: _state(f, 3, "sku", "Z"), "sku", "s1", "Z", "Z"),
    "duplicate state row": (lambda f: _state(f, 3, "sku", "A"), "sku", "s1", "A", "A"),
    "missing state row": (lambda f: f.__setitem__("state", f["state"].drop(index=5)), "sku", "s2", "B", None),
    "negative on hand": (lambda f: _state(f, 1, "on_hand", -2), "on_hand", "wh", "B", -2.0),
    "fractional on hand": (lambda f: _state(f, 4, "on_hand", 1.5), "on_hand", "s2", "A", 1.5),
    "on hand not a number": (lambda f: _state(f, 4, "on_hand", "lots"), "on_hand", "s2", "A", "lots"),
    "empty on hand": (lambda f: _state(f, 4, "on_hand", np.nan), "on_hand", "s2", "A", None),
    "negative pipeline": (lambda f: _state(f, 0, "pipeline_1", -1), "pipeline_1", "wh", "A", -1.0),
    "backorders at a non-store": (lambda f: _state(f, 1, "backorders", 2), "backorders", "wh", "B", 2.0),
    "forecast unknown location": (lambda f: _forecast(f, 0, "location", "s7"), "location", "s7", "A", "s7"),
    "forecast unknown sku": (lambda f: _forecast(f, 1, "sku", "Q"), "sku", "s1", "Q", "Q"),
    "forecast at a non-store": (lambda f: _forecast(f, 0, "location", "wh"), "location", "wh", "A", "wh"),
    "forecast duplicate": (lambda f: _forecast(f, 1, "sku", "A"), "sku", "s1", "A", "A"),
    "forecast missing": (lambda f: f.__setitem__("forecast", f["forecast"].drop(index=3)), "mean", "s2", "B", None),
    "forecast negative mean": (lambda f: _forecast(f, 2, "mean", -1.0), "mean", "s2", "A", -1.0),
    "forecast negative std": (lambda f: _forecast(f, 3, "std", -0.5), "std", "s2", "B", -0.5),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_input_error_names_column_location_sku_and_value(name: str) -> None:
    breaker, column, location, sku, value = CASES[name]
    f = small_frames()
    breaker(f)
    with pytest.raises(LocationError) as info:
        plan_network(f["locations"], f["state"], f["catalog"], forecast=f["forecast"])
    err = info.value
    assert isinstance(err, PlanningError) and isinstance(err, ValueError)
    assert (err.column, err.location, err.sku) == (column, location, sku), str(err)
    if value is not None:
        assert err.value == value
    for part in (column, location, sku):
        if part is not None:
            assert repr(part) in str(err)


def test_unknown_state_column_suggests_the_known_one() -> None:
    f = small_frames()
    f["state"] = f["state"].rename(columns={"pipeline_1": "pipeline1"})
    with pytest.raises(PlanningError, match="did you mean 'pipeline_1'") as info:
        plan_network(f["locations"], f["state"], f["catalog"], forecast=f["forecast"])
    assert info.value.column == "pipeline1"


def test_catalog_lead_time_is_refused_and_the_catalog_checks_still_apply() -> None:
    f = small_frames()
    with pytest.raises(PlanningError, match="per location") as info:
        read_catalog(f["catalog"].assign(lead_time=1))
    assert info.value.column == "lead_time"
    # a Catalog object's lead times were ignored: the plan of lead times 0, without a word
    with pytest.raises(PlanningError, match="per location") as info:
        plan_network(f["locations"], f["state"], Catalog.from_frame(f["catalog"].assign(lead_time=[0, 9])),
                     forecast=f["forecast"])
    assert (info.value.column, info.value.sku, info.value.value) == ("lead_time", "B", 9)
    assert read_catalog(Catalog.from_frame(f["catalog"].assign(lead_time=0))).n_skus == 2
    with pytest.raises(PlanningError) as info:
        read_catalog(f["catalog"].assign(moq=[7, 0]))  # not a multiple of the lot size 5
    assert (info.value.column, info.value.sku) == ("moq", "A")


def test_without_a_forecast_the_catalog_demand_is_used_or_missing_is_an_error() -> None:
    f = small_frames()
    net = Network.from_frame(f["locations"])
    cat = read_catalog(f["catalog"].assign(demand_mean=[4.0, 1.0], demand_std=[2.0, np.nan]))
    mean, std = read_forecast(None, net, cat)
    assert mean.tolist() == [[4.0, 1.0], [4.0, 1.0]] and std.tolist() == [[2.0, 1.0], [2.0, 1.0]]
    with pytest.raises(LocationError, match="no forecast") as info:
        read_forecast(None, net, read_catalog(f["catalog"]))
    assert (info.value.column, info.value.location, info.value.sku) == ("mean", "s1", "A")


def test_forecast_periods_are_averaged() -> None:
    f = small_frames()
    net = Network.from_frame(f["locations"])
    cat = read_catalog(f["catalog"])
    two = pd.concat([f["forecast"].assign(period=0), f["forecast"].assign(period=1, mean=f["forecast"]["mean"] + 2,
                                                                         std=0.0)])
    mean, std = read_forecast(two, net, cat)
    assert mean.tolist() == [[5.0, 3.0], [4.0, 2.5]]
    assert std[0, 0] == pytest.approx(np.sqrt(2.0 ** 2 / 2))


def test_a_forecast_that_skips_a_period_is_refused() -> None:
    """A forecast exported without its zero rows (s1 × A: 8 in periods 0 and 3, nothing in 1 and 2) was averaged
    over the rows it had: s1's protected demand read 8 a period where the four periods it protects (wh 2 + s1 1 + 1)
    hold 16 in all, 4 a period, and its level was set on twice the demand without a word."""
    f = small_frames()
    net = Network.from_frame(f["locations"])
    cat = read_catalog(f["catalog"])
    sparse = pd.concat([f["forecast"].assign(period=0), pd.DataFrame(
        {"location": ["s1"], "sku": ["A"], "mean": [8.0], "std": [2.0], "period": [3]})])
    sparse.loc[(sparse["location"] == "s1") & (sparse["sku"] == "A"), "mean"] = 8.0
    with pytest.raises(LocationError, match="skips period 1; give one row per period") as info:
        read_forecast(sparse, net, cat)
    assert (info.value.column, info.value.location, info.value.sku, info.value.value) == ("period", "s1", "A", 3)
    with pytest.raises(PlanningError, match="skips period 1"):
        plan_network(f["locations"], f["state"], f["catalog"], forecast=sparse)
    # the same forecast with its zero rows written out: read as the average of the four periods
    full = pd.concat([sparse, pd.DataFrame({"location": "s1", "sku": "A", "mean": 0.0, "std": 0.0,
                                            "period": [1, 2]})])
    mean, _ = read_forecast(full, net, cat)
    assert mean[0, 0] == pytest.approx(16.0 / 4)


@pytest.mark.parametrize("dates", [["2026-01-05"] * 4, pd.to_datetime(["2026-01-05"] * 4),
                                   [pd.Timestamp("2026-01-05").date()] * 4])
def test_a_forecast_period_written_as_a_date_is_named_as_such(dates: object) -> None:
    """It was 'value is not a number' (a datetime column: 'value ... is not a number' too), for a date the planner
    wrote on purpose; plan()'s forecast says how to number the periods."""
    f = small_frames()
    forecast = f["forecast"].assign(period=dates)
    with pytest.raises(LocationError, match="period must be a whole number of periods, not a date") as info:
        read_forecast(forecast, Network.from_frame(f["locations"]), read_catalog(f["catalog"]))
    assert (info.value.column, info.value.location, info.value.sku) == ("period", "s1", "A")
    assert str(info.value.value).startswith("2026-01-05")
    with pytest.raises(LocationError, match="value is not a number"):  # text that is no date: as before
        read_forecast(f["forecast"].assign(period="w1"), Network.from_frame(f["locations"]),
                      read_catalog(f["catalog"]))


def test_state_arrays_in_network_and_catalog_order() -> None:
    f = small_frames()
    net = Network.from_frame(f["locations"])
    stock = read_state(f["state"].iloc[::-1], net, read_catalog(f["catalog"]))
    assert stock.on_hand.tolist() == [[20, 3], [2, 0], [5, 1]]
    assert stock.pipeline[..., 1].tolist() == [[10, 0], [0, 2], [0, 0]] and stock.pipeline[..., 0].sum() == 0
    assert stock.backorders.tolist() == [[0, 0], [1, 0], [0, 0]]


@pytest.mark.parametrize(("options", "column"), [
    ({"policy": "ss"}, "policy"),
    ({"policy": object()}, "policy"),
    ({"backend": "gurobi"}, "backend"),
    ({"service_level": 1.5}, "service_level"),
    ({"service_level": "0.9"}, "service_level"), ({"service_level": "no"}, "service_level"),  # a bare ValueError
    ({"service_level": True}, "service_level"),
    ({"budget": "lots"}, "budget"),
    ({"budget": -5.0}, "budget"),
])
def test_bad_options(options: dict[str, object], column: str) -> None:
    f = small_frames()
    with pytest.raises(PlanningError) as info:
        plan_network(f["locations"], f["state"], f["catalog"], forecast=f["forecast"], **options)  # type: ignore[arg-type]
    assert info.value.column == column


@pytest.mark.parametrize(("table", "column"), [("locations", "lead_time"), ("state", "on_hand"),
                                               ("catalog", "unit_cost"), ("forecast", "mean")])
def test_a_column_given_twice_is_named(table: str, column: str) -> None:
    f = small_frames()
    f[table] = pd.concat([f[table], f[table][[column]]], axis=1)  # two columns of one name
    with pytest.raises(PlanningError, match="has the column more than once") as info:
        plan_network(f["locations"], f["state"], f["catalog"], forecast=f["forecast"])
    assert info.value.column == column


@pytest.mark.parametrize("skus", [[7.0, 10.0], [" A", "B "]])
def test_sku_labels_are_read_as_the_catalog_reads_them(skus: list[object]) -> None:
    # plan() takes these catalogs; plan_network read the state's 7.0 as '7' and ' A' as 'A' and refused them
    locations = pd.DataFrame({"location": ["dc", "s1"], "parent": [None, "dc"], "lead_time": [1, 1]})
    catalog = pd.DataFrame({"sku": skus, "unit_cost": [2.0, 5.0], "holding_cost": [0.2, 0.5],
                            "shortage_cost": [4.0, 9.0], "demand_mean": [3.0, 2.0]})
    state = pd.DataFrame({"location": ["dc", "dc", "s1", "s1"], "sku": skus * 2, "on_hand": [5, 5, 1, 1]})
    result = plan_network(locations, state, catalog)
    assert sorted(set(result["sku"])) == sorted(str(s) for s in skus)
