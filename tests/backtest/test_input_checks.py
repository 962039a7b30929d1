"""Bad input to backtests (history.py, setup.py, search.py, engine.py): each a PlanningError naming its column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridinv.backtest import backtest
from hybridinv.backtest.history import DemandHistory, read_history
from hybridinv.backtest.search import replay_costs
from hybridinv.backtest.setup import ConstraintRule, evaluation_scenario
from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import PlanningError
from hybridinv.demand.forecasters import Forecaster

from ._data import catalog_frame, history_frame


def test_a_column_given_twice_is_named() -> None:
    long, wide = history_frame(3, 12), history_frame(3, 12, long=False)
    for frame, column in ((pd.concat([long, long[["quantity"]]], axis=1), "quantity"),
                          (pd.concat([wide, wide[["2019-03"]]], axis=1), "2019-03")):
        with pytest.raises(PlanningError, match="more than once") as info:  # was a TypeError inside pandas
            read_history(frame)
        assert info.value.column == column


@pytest.mark.parametrize(("rename", "missing"), [({"quantity": "qty"}, "quantity"), ({"period": "date"}, "period")])
def test_half_a_long_layout_names_the_missing_column(rename: dict[str, str], missing: str) -> None:
    # was read as a wide layout: "history lists SKU more than once"
    with pytest.raises(PlanningError, match="missing required column") as info:
        read_history(history_frame(3, 12).rename(columns=rename))
    assert info.value.column == missing


@pytest.mark.parametrize("far", [np.inf, 1e30])
def test_a_non_finite_or_huge_period_number_is_named(far: float) -> None:
    frame = history_frame(3, 12).assign(period=np.repeat(np.r_[np.arange(11), far], 3))
    with pytest.raises(PlanningError, match="finite|span") as info:  # the span overflowed int64, value named 10
        read_history(frame)
    assert (info.value.column, info.value.value) == ("period", far)


def test_wide_period_columns_newest_first_are_refused() -> None:
    wide = history_frame(3, 12, long=False)
    reversed_ = wide[["sku", *wide.columns[1:][::-1]]]  # silently trained on the test periods
    with pytest.raises(PlanningError, match="oldest first") as info:
        read_history(reversed_)
    assert info.value.column == "2019-11"
    numbered = wide.set_axis(["sku", *[str(k) for k in range(12, 0, -1)]], axis=1)
    with pytest.raises(PlanningError, match="oldest first"):
        read_history(numbered)
    weeks = [str(p) for p in pd.period_range("2024-01-01", periods=12, freq="W")]  # what `hybridinv twin` writes
    assert read_history(wide.set_axis(["sku", *weeks], axis=1)).periods.tolist() == weeks
    labels = [f"w{k}" for k in range(12, 0, -1)]  # not dates: the columns' order is the periods' order
    assert read_history(wide.set_axis(["sku", *labels], axis=1)).periods.tolist() == labels


@pytest.mark.parametrize("demand", [np.array([["1"], ["2"]]), np.array([[True], [False]])])
def test_demand_history_of_text_or_booleans_is_refused(demand: np.ndarray) -> None:
    with pytest.raises(PlanningError, match="must be numbers") as info:  # text: a bare ValueError; booleans: 0/1
        DemandHistory(np.array(["A"], dtype=object), np.array(["1", "2"], dtype=object), demand)
    assert info.value.column == "demand"


def test_demand_history_listing_a_sku_twice_is_refused() -> None:
    # aligned() kept one of the two columns without a word
    with pytest.raises(PlanningError, match="more than once") as info:
        DemandHistory(np.array(["A", "B", "A"], dtype=object), np.array(["1", "2"], dtype=object), np.ones((2, 3)))
    assert (info.value.column, info.value.sku) == ("sku", "A")


def _evaluation(cutoff: object = 18, horizon: object = None, training_periods: object = None) -> int:
    catalog = Catalog.from_frame(catalog_frame(3))
    y = np.random.default_rng(0).poisson(5.0, (24, 3)).astype(float)
    forecaster = Forecaster(season=12).fit(y[:18])
    scenario = evaluation_scenario(y, cutoff, catalog, ConstraintRule().derive(y[:18], catalog), forecaster,  # type: ignore[arg-type]
                                   horizon=horizon, training_periods=training_periods)  # type: ignore[arg-type]
    assert scenario.fit_on is not None
    return int(scenario.periods) * 100 + int(scenario.fit_on.periods)


@pytest.mark.parametrize(("options", "column"), [
    ({"cutoff": 18.5}, "cutoff"),  # 18.0 and 18.5 failed as slice indices (TypeError)
    ({"cutoff": "18"}, "cutoff"),
    ({"horizon": 2.5}, "horizon"),  # cut to 2 periods without a word
    ({"horizon": True}, "horizon"),  # one period
    ({"horizon": "3"}, "horizon"),
    ({"training_periods": 0}, "training_periods"),  # read as "the test horizon"
])
def test_evaluation_scenario_refuses_periods_that_are_not_whole_numbers(options: dict[str, object],
                                                                        column: str) -> None:
    with pytest.raises(PlanningError) as info:
        _evaluation(**options)  # type: ignore[arg-type]
    assert info.value.column == column


@pytest.mark.parametrize(("options", "column", "allowed"), [
    ({"horizon": value}, "horizon", "[1, 6]") for value in (0, -1, 7, 10**9, 2.5)
] + [({"cutoff": value}, "cutoff", "[2, 23]") for value in (1, -1, 24, 10**9, 18.5)])
def test_a_horizon_or_cutoff_out_of_range_gets_one_message_with_the_range(options: dict[str, object], column: str,
                                                                          allowed: str) -> None:
    """-1 said "must be a whole number >= 0" where 0 and 7 said "horizon must be in [1, 6]"."""
    with pytest.raises(PlanningError) as info:
        _evaluation(**options)  # type: ignore[arg-type]
    assert (info.value.column, info.value.value) == (column, options[column])
    assert f"must be a whole number in {allowed}" in str(info.value)


def test_evaluation_scenario_takes_whole_floats() -> None:
    assert _evaluation(cutoff=18.0, horizon=3.0, training_periods=4.0) == 304


@pytest.mark.parametrize("warmup", [-1, 2.5])
def test_replay_warmup_must_be_a_whole_number(warmup: float) -> None:
    catalog = Catalog.from_frame(catalog_frame(3))
    y = np.ones((12, 3))
    with pytest.raises(PlanningError) as info:  # -1 divided the cost by periods + 1, 2.5 was cut to 2
        replay_costs(y, catalog, np.zeros((3, 1)), np.ones((3, 1)), warmup=warmup)
    assert (info.value.column, info.value.value) == ("warmup", warmup)


@pytest.mark.parametrize("factor", ["x", True])
def test_constraint_rule_factors_must_be_numbers(factor: object) -> None:
    with pytest.raises(PlanningError) as info:  # "x" raised a TypeError, True was a factor of 1
        ConstraintRule(capacity_factor=factor)  # type: ignore[arg-type]
    assert (info.value.column, info.value.value) == ("capacity_factor", factor)


@pytest.mark.parametrize("policies", ["newsvendor", None, [], [["static_ss"]], ["static_ss", 3]])
def test_policies_must_be_a_non_empty_list_of_names(policies: object) -> None:
    # a name was read letter by letter ('n'), None a TypeError, [] an IndexError in the result, a list inside
    # the list an "unhashable type: 'list'" TypeError
    with pytest.raises(PlanningError) as info:
        backtest(history_frame(3, 24), catalog_frame(3), 18, policies=policies)  # type: ignore[arg-type]
    assert info.value.column == "policies"


def test_models_must_be_a_dict() -> None:
    with pytest.raises(PlanningError, match="must be a dict") as info:  # an AttributeError on .items()
        backtest(history_frame(3, 24), catalog_frame(3), 18, policies=["newsvendor"], models=["models/mine"])  # type: ignore[arg-type]
    assert info.value.column == "models"


def test_a_given_limit_beside_a_derived_one_is_checked() -> None:
    with pytest.raises(PlanningError) as info:  # was "could not convert string to float: 'x'"
        backtest(history_frame(3, 24), catalog_frame(3), 18, {"capacity": "derive", "budget": "x"},
                 policies=["newsvendor"])
    assert (info.value.column, info.value.value) == ("budget", "x")


def test_a_history_without_any_demand_is_refused() -> None:
    # every policy cost 0: the comparisons in % were NaN
    with pytest.raises(PlanningError, match="records no demand") as info:
        backtest(history_frame(3, 24).assign(quantity=0.0), catalog_frame(3), 18, policies=["newsvendor"])
    assert info.value.column == "quantity"
    one_zero_sku = history_frame(3, 24)
    one_zero_sku.loc[one_zero_sku["sku"] == "P01", "quantity"] = 0.0
    result = backtest(one_zero_sku, catalog_frame(3), 18, policies=["static_ss", "newsvendor"])
    assert not result.table().isna().any().any()


def test_a_training_window_too_short_for_the_static_search_names_the_cutoff() -> None:
    # was "column 'demand', value 2: the replay needs more than 3 periods"
    catalog = catalog_frame(3).assign(lead_time=2)
    with pytest.raises(PlanningError, match="more than 3 training periods") as info:
        backtest(history_frame(3, 24), catalog, 3, policies=["static_ss"])
    assert (info.value.column, info.value.value) == ("cutoff", 3)
    assert backtest(history_frame(3, 24), catalog, 4, policies=["static_ss"]).cutoff == 4


def test_a_misspelt_suite_name_points_to_the_one_meant() -> None:
    from hybridinv.backtest.suites import load_suite

    # the finding: "unknown backtest suite; known: ['carparts', 'hospital']", the one meant left to the reader
    with pytest.raises(PlanningError, match=r"unknown backtest suite \(did you mean 'hospital'\?\); "
                                            r"known: \['carparts', 'hospital'\]") as info:
        load_suite("hospitl")
    assert (info.value.column, info.value.value) == ("suite", "hospitl")
    with pytest.raises(PlanningError, match=r"unknown backtest suite; known: \['carparts', 'hospital'\]"):
        load_suite("zzz")  # nothing close: the list alone, as before
