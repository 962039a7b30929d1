"""Tests for hybridinv.scenario_file: TOML scenario files, resolved through hybridinv.scenarios.get."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SINGLE_SKU_TOML as SINGLE
from conftest import catalog_frame

from hybridinv import PlanningError, PlanningWarning, scenarios
from hybridinv.backtest.setup import training_scenario
from hybridinv.bench.suites import spec_from_name
from hybridinv.core import Catalog, Constraints, InventoryState
from hybridinv.demand import (
    CommonFactor,
    DemandProcess,
    Disruptions,
    LeadTimeProcess,
    Promotions,
    RegimeShifts,
    Seasonality,
)
from hybridinv.demand.forecasters import Forecaster
from hybridinv.policies import BaseStock
from hybridinv.scenario_file import load_scenario, scenario_file_text
from hybridinv.sim import Scenario, simulate

FULL = """
name = "mine"
catalog = "data/catalog.csv"
periods = 40
warmup = 3
lost_sales = false
waste_cost = 1.5
overflow_cost = 2.0
periods_per_year = 12
lookahead = 10
tags = ["own"]

[constraints]
capacity = 300.0
budget = 900

[demand]
process = "negative_binomial"
dispersion = 3.0
trend = 0.01
seasonality = [{ period = 12, amplitude = 0.3, phase = 2.0 }]
promotions = { probability = 0.05, lift = 2.0, duration = 2 }
regime_shifts = { probability = 0.02, low = 0.7, high = 1.4 }
common_factor = { sigma = 0.2, rho = 0.5 }

[lead_times]
std = 0.5

[lead_times.disruptions]
probability = 0.05
mean_duration = 3.0
extra_delay = 2
fill_fraction = [0.5, 0.9]
"""


def _same_kpis(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal simulation results (wall-clock columns aside)."""
    timing = [c for c in a.columns if c == "decision_time" or "seconds" in c]
    pd.testing.assert_frame_equal(a.drop(columns=timing), b.drop(columns=timing))


def _write(folder: Path, text: str, name: str = "my.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def full(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    frame = catalog_frame(4, demand_mean=[3.0, 6.0, 9.0, 12.0], supplier=["X", "X", "Y", "Y"])
    frame.to_csv(tmp_path / "data" / "catalog.csv", index=False)
    return _write(tmp_path, FULL)


def test_single_sku_file_matches_the_registered_scenario(single: Path) -> None:
    from_file, registered = scenarios.get(str(single)), scenarios.get("single_sku")
    policy = BaseStock(14)
    a = simulate(policy, from_file, seeds=[0, 1, 2], periods=200)
    b = simulate(policy, registered, seeds=[0, 1, 2], periods=200)
    _same_kpis(a, b)
    np.testing.assert_array_equal(from_file.initial_state.on_hand, registered.initial_state.on_hand)
    # the catalog gets the process's mean and std where the CSV has none, as single_sku sets them
    assert from_file.catalog.demand_mean[0] == 5.0 and from_file.catalog.demand_std[0] == pytest.approx(5**0.5)
    assert (from_file.periods, from_file.warmup, from_file.lost_sales) == (1000, 50, True)


def test_every_key_matches_the_python_built_scenario(full: Path) -> None:
    frame = catalog_frame(4, demand_mean=[3.0, 6.0, 9.0, 12.0], supplier=["X", "X", "Y", "Y"])
    catalog = Catalog.from_frame(frame.assign(lead_time_std=0.5))
    demand = DemandProcess(
        mean=catalog.demand_mean, distribution="negative_binomial", dispersion=3.0, trend=0.01,
        seasonality=(Seasonality(period=12, amplitude=0.3, phase=2.0),),
        promotions=Promotions(probability=0.05, lift=2.0, duration=2),
        regime_shifts=RegimeShifts(probability=0.02, low=0.7, high=1.4), common_factor=CommonFactor(0.2, 0.5),
    )
    lead = LeadTimeProcess.from_catalog(catalog.lead_time, catalog.lead_time_std, catalog.supplier,
                                        Disruptions(0.05, 3.0, 2, (0.5, 0.9)))
    built = Scenario(name="mine", catalog=catalog, constraints=Constraints(capacity=300.0, budget=900.0),
                     demand=demand, lead_times=lead, periods=40, warmup=3, lost_sales=False, waste_cost=1.5,
                     overflow_cost=2.0, periods_per_year=12, lookahead=10)
    loaded = load_scenario(full)
    assert loaded.name == "mine" and set(loaded.tags) == {"own", "file"}
    assert loaded.constraints == built.constraints
    assert (loaded.lost_sales, loaded.waste_cost, loaded.overflow_cost, loaded.periods_per_year, loaded.lookahead) \
        == (False, 1.5, 2.0, 12, 10)
    np.testing.assert_array_equal(loaded.catalog.lead_time_std, 0.5)  # std reaches the catalog policies read
    assert loaded.lead_times.disruptions == built.lead_times.disruptions
    for seed in (0, 7):
        a, b = loaded.sample(seed), built.sample(seed)
        np.testing.assert_array_equal(a.demand.realized, b.demand.realized)
        np.testing.assert_array_equal(a.lead_times.lead_time, b.lead_times.lead_time)
    policy = BaseStock(np.array([10.0, 20.0, 30.0, 40.0]))
    _same_kpis(simulate(policy, str(full), seeds=2), simulate(policy, built, seeds=2))


def test_demand_mean_in_the_file_sets_both_catalog_moments(tmp_path: Path) -> None:
    # [demand] mean 12 over a CSV demand_mean of 5: the catalog kept 5 beside a demand_std computed at 12
    pd.DataFrame({"sku": ["A", "B", "C"], "unit_cost": 10.0, "holding_cost": 0.5, "shortage_cost": 20.0,
                  "lead_time": 2, "demand_mean": [5.0, np.nan, 12.0], "demand_std": [np.nan, 2.0, np.nan]},
                 ).to_csv(tmp_path / "catalog.csv", index=False)
    text = 'catalog = "catalog.csv"\n[demand]\nprocess = "negative_binomial"\nmean = 12.0\ndispersion = 4.0\n'
    with pytest.warns(PlanningWarning) as record:
        scenario = load_scenario(_write(tmp_path, text))
    messages = [str(w.message) for w in record]
    assert any("demand_mean for 1 SKU(s) (sku 'A': 5 -> 12)" in m for m in messages), messages
    assert any("demand_std for 1 SKU(s) (sku 'B': 2 -> 6.9282" in m for m in messages), messages
    np.testing.assert_array_equal(scenario.demand.mean, 12.0)
    np.testing.assert_array_equal(scenario.catalog.demand_mean, 12.0)
    np.testing.assert_allclose(scenario.catalog.demand_std, np.sqrt(12.0 + 12.0**2 / 4.0))  # NB: m + m^2/k
    realized = scenario.demand.sample(np.random.default_rng(3), 20_000).realized
    np.testing.assert_allclose(realized.mean(axis=0), scenario.catalog.demand_mean, rtol=0.03)
    np.testing.assert_allclose(realized.std(axis=0), scenario.catalog.demand_std, rtol=0.04)
    # without [demand] mean the CSV's values stand (the process runs at them) and nothing is said
    pd.DataFrame({"sku": ["A"], "unit_cost": 10.0, "holding_cost": 0.5, "shortage_cost": 20.0, "lead_time": 2,
                  "demand_mean": [5.0], "demand_std": [3.0]}).to_csv(tmp_path / "catalog.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = load_scenario(_write(tmp_path, text.replace("mean = 12.0\n", "")))
    assert (kept.demand.mean[0], kept.catalog.demand_mean[0], kept.catalog.demand_std[0]) == (5.0, 5.0, 3.0)


def _history(catalog: pd.DataFrame, periods: int = 30) -> np.ndarray:
    rng = np.random.default_rng(5)
    return rng.poisson(np.linspace(2.0, 8.0, len(catalog)), size=(periods, len(catalog))).astype(float)


def test_history_file_is_the_seeded_block_bootstrap_of_the_backtest(tmp_path: Path) -> None:
    frame = catalog_frame(3)
    frame.to_csv(tmp_path / "catalog.csv", index=False)
    y = _history(frame)
    long = pd.DataFrame([(s, t, y[t, i]) for t in range(len(y)) for i, s in enumerate(frame.sku)],
                        columns=["sku", "period", "quantity"])
    long.to_csv(tmp_path / "long.csv", index=False)
    wide = pd.DataFrame(y.T, columns=[f"p{t}" for t in range(len(y))]).assign(sku=frame.sku)
    wide.to_csv(tmp_path / "wide.csv", index=False)
    text = ('catalog = "catalog.csv"\nperiods = 20\nperiods_per_year = 12\n[constraints]\nbudget = 400\n'
            '[demand]\nhistory = "{}"\nseason = 6\nblock = 3\n')
    from_long = scenarios.get(str(_write(tmp_path, text.format("long.csv"), "long.toml")))
    from_wide = scenarios.get(str(_write(tmp_path, text.format("wide.csv"), "wide.toml")))
    catalog = Catalog.from_frame(frame)
    built = training_scenario(y, catalog, Constraints(budget=400.0), Forecaster(season=6).fit(y), 20,
                              block=3, season=6, periods_per_year=12, name="wide")
    assert from_long.name == "long" and "bootstrap" in from_long.tags
    assert from_long.cost_basis == "valued" == built.cost_basis  # a replayed history ranks by valued_cost
    bought = scenarios.get(str(_write(tmp_path, 'cost_basis = "purchases"\n' + text.format("long.csv"), "b.toml")))
    assert bought.cost_basis == "purchases" and bought.cost_key == "avg_cost"
    np.testing.assert_array_equal(from_long.initial_state.on_hand, built.initial_state.on_hand)
    for scenario in (from_long, from_wide):
        for seed in (0, 3):
            np.testing.assert_array_equal(scenario.sample(seed).demand.realized, built.sample(seed).demand.realized)
            np.testing.assert_array_equal(scenario.sample(seed).demand.forecast_mean,
                                          built.sample(seed).demand.forecast_mean)
    # seeds mean something: another seed draws another path of the recorded values
    a, b = from_long.sample(0).demand.realized, from_long.sample(1).demand.realized
    assert not np.array_equal(a, b) and set(np.unique(a)) <= set(np.unique(y))
    policy = BaseStock(np.array([8.0, 15.0, 25.0]))
    _same_kpis(simulate(policy, from_wide, seeds=2), simulate(policy, built, seeds=2))


def test_relative_paths_resolve_against_the_file_and_a_state_file_is_the_start(
    full: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pd.DataFrame({"sku": list("ABCD"), "on_hand": [1, 2, 3, 4], "pipeline_1": [5, 0, 0, 6]}).to_csv(
        tmp_path / "data" / "state.csv", index=False)
    _write(tmp_path, FULL.replace('periods = 40', 'periods = 40\nstate = "data/state.csv"'))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    scenario = scenarios.get("../my.toml")
    np.testing.assert_array_equal(scenario.initial_state.on_hand, [1, 2, 3, 4])
    expected = InventoryState.from_frame(pd.read_csv(tmp_path / "data" / "state.csv"), catalog=scenario.catalog)
    np.testing.assert_array_equal(scenario.initial_state.pipeline, expected.pipeline)


def test_extra_columns_cover_the_state_file_and_a_missing_state_file_is_named_once(full: Path, tmp_path: Path) -> None:
    """A state column 'note' was refused with advice to set extra_columns = "ignore", which the file had set; a
    missing state file read 'my.toml, state x.csv: column ..., value ...: my.toml: file not found'."""
    pd.DataFrame({"sku": list("ABCD"), "on_hand": [1, 2, 3, 4], "note": list("wxyz")}).to_csv(
        tmp_path / "data" / "state.csv", index=False)
    with_state = FULL.replace('periods = 40', 'periods = 40\nstate = "data/state.csv"')
    _write(tmp_path, with_state)
    with pytest.raises(PlanningError, match="unknown column 'note'"):
        scenarios.get(str(full))
    _write(tmp_path, with_state.replace('periods = 40', 'periods = 40\nextra_columns = "ignore"'))
    np.testing.assert_array_equal(scenarios.get(str(full)).initial_state.on_hand, [1, 2, 3, 4])
    _write(tmp_path, FULL.replace('periods = 40', 'periods = 40\nstate = "data/none.csv"'))
    with pytest.raises(PlanningError) as info:
        scenarios.get(str(full))
    assert info.value.column == "state" and info.value.message.count("my.toml") == 1


def test_a_bad_trend_names_the_files_dotted_key(full: Path, tmp_path: Path) -> None:
    _write(tmp_path, FULL.replace("trend = 0.01", "trend = nan"))
    with pytest.raises(PlanningError) as info:
        scenarios.get(str(full))
    assert info.value.column == "demand.trend"


def test_bench_spec_keeps_the_absolute_path_and_names_the_file(full: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(full.parent)
    spec = spec_from_name("my.toml")
    assert Path(spec.name).is_absolute() and spec.key == "my"
    assert spec.train_scenario().name == "my"
    held = spec_from_name("my.toml_heldout_level")
    assert held.heldout == "level" and held.key == "my_heldout_level"


def test_scenario_file_text_round_trips(single: Path) -> None:
    data = {"catalog": "single.csv", "periods": 1000, "warmup": 50, "demand": {"process": "poisson", "mean": 5.0}}
    text = scenario_file_text(data, "first line\nsecond line")
    assert text.startswith("# first line\n# second line\n")
    copy = _write(single.parent, text, "copy.toml")
    a, b = load_scenario(copy), load_scenario(single)
    np.testing.assert_array_equal(a.sample(4).demand.realized, b.sample(4).demand.realized)


# ------------------------------------------------------------------ validation
def _error(folder: Path, text: str) -> PlanningError:
    with pytest.raises(PlanningError) as info:
        load_scenario(_write(folder, text, "bad.toml"))
    return info.value


def test_unknown_top_level_key_names_the_closest(single: Path) -> None:
    error = _error(single.parent, SINGLE.replace("periods =", "perods ="))
    assert error.column == "perods" and "did you mean 'periods'" in str(error) and "bad.toml" in str(error)


def test_unknown_nested_key_names_the_table(full: Path) -> None:
    error = _error(full.parent, FULL.replace("dispersion = 3.0", "dispersoin = 3.0"))
    assert error.column == "demand.dispersoin" and "did you mean 'demand.dispersion'" in str(error)
    error = _error(full.parent, FULL.replace("extra_delay", "extra_dellay"))
    assert error.column == "lead_times.disruptions.extra_dellay"
    assert "did you mean 'lead_times.disruptions.extra_delay'" in str(error)


@pytest.mark.parametrize(("old", "new", "column", "expected"), [
    ("periods = 1000", 'periods = "1000"', "periods", "must be a whole number, got str"),
    ("periods = 1000", "periods = 10.5", "periods", "must be a whole number, got float"),
    ("mean = 5.0", 'mean = "five"', "demand.mean", "must be a number, got str"),
    ("warmup = 50", "warmup = 1000", "warmup", "must be smaller than periods"),
    ("mean = 5.0", "mean = -1.0", "demand.mean", "must be >= 0"),
    ('process = "poisson"', 'process = "poison"', "demand.process", "did you mean 'poisson'"),
    ('name = "single_sku"', 'name = "x"\ntags = "a"', "tags", "must be a list of strings"),
    ('name = "single_sku"', 'name = "x"\ncost_basis = "value"', "cost_basis", "must be one of"),
    # an empty name was accepted: a scenario named '' in the results
    ('name = "single_sku"', 'name = ""', "name", "must not be empty"),
    ('name = "single_sku"', 'name = "  "', "name", "must not be empty"),
    # 10**13 was accepted, and inventory_turns came out near 6.4e12
    ("periods = 1000", "periods = 1000\nperiods_per_year = 10000000000000", "periods_per_year",
     "must be at most MAX_PERIODS = 100,000"),
])
def test_wrong_type_or_value(single: Path, old: str, new: str, column: str, expected: str) -> None:
    error = _error(single.parent, SINGLE.replace(old, new))
    assert error.column == column and expected in str(error)


def test_constraint_and_disruption_values_are_checked(full: Path) -> None:
    error = _error(full.parent, FULL.replace("capacity = 300.0", "capacity = 0"))
    assert error.column == "constraints.capacity" and error.value == 0
    error = _error(full.parent, FULL.replace("fill_fraction = [0.5, 0.9]", "fill_fraction = [0.9, 0.5]"))
    assert error.column == "lead_times.disruptions.fill_fraction"
    error = _error(full.parent, FULL.replace("probability = 0.05, lift", "probability = 5, lift"))
    assert error.column == "demand.promotions.probability" and "probability" in str(error)
    # duration 0 was accepted and still lifted one period per start; probability 0 is "no promotions"
    error = _error(full.parent, FULL.replace("lift = 2.0, duration = 2", "lift = 2.0, duration = 0"))
    assert (error.column, error.value) == ("demand.promotions.duration", 0) and "must be >= 1" in str(error)


@pytest.mark.parametrize(("old", "new", "column", "value"), [
    ("extra_delay = 2", "extra_delay = 600", "lead_times.disruptions.extra_delay", 600),
    ("amplitude = 0.3", "amplitude = 1.5", "demand.seasonality[0].amplitude", 1.5),
    ("high = 1.4", "high = 0.5", "demand.regime_shifts.", None),
])
def test_a_value_only_its_process_refuses_names_the_file_and_the_full_key(
    full: Path, old: str, new: str, column: str, value: object
) -> None:
    # the demand and lead-time constructors check these; their errors named neither the file nor the table
    error = _error(full.parent, FULL.replace(old, new))
    assert error.column is not None and error.column.startswith(column) and "bad.toml" in str(error)
    if value is not None:
        assert error.value == value


@pytest.mark.parametrize(("demand", "column", "value"), [
    ('process = "negative_binomial"\nmean = 1e11\ndispersion = 0.001', "demand.dispersion", 0.001),
    ('process = "normal"\nmean = 10.0\ncv = 2e11', "demand.cv", 2e11),
    ('process = "normal"\nmean = 10.0\ncv = 1e308', "demand.cv", 1e308),
])
def test_a_too_wide_demand_names_the_key_that_made_it(single: Path, demand: str, column: str, value: float) -> None:
    """Values inside their own ranges whose standard deviation passes MAX_QUANTITY were "column 'demand_std'",
    a key the file does not have."""
    error = _error(single.parent, SINGLE.replace('process = "poisson"\nmean = 5.0', demand))
    assert (error.column, error.value) == (column, value)
    assert "bad.toml" in str(error) and "standard deviation" in str(error) and "'SKU-0'" in str(error)


def test_a_regime_high_below_low_says_it_must_be_at_least_low(full: Path) -> None:
    """It said "must be a finite number in [2, inf)", the 2 being low's value."""
    error = _error(full.parent, FULL.replace("low = 0.7, high = 1.4", "low = 2.0, high = 1.0"))
    assert (error.column, error.value) == ("demand.regime_shifts.high", 1.0)
    assert "must be >= low (2)" in str(error) and "inf" not in str(error)


def test_periods_per_year_up_to_max_periods() -> None:
    from hybridinv.core.limits import MAX_PERIODS

    scenario = scenarios.get("single_sku")
    assert scenario.replace(periods_per_year=MAX_PERIODS).periods_per_year == MAX_PERIODS
    with pytest.raises(PlanningError, match="at most MAX_PERIODS") as info:
        scenario.replace(periods_per_year=MAX_PERIODS + 1)
    assert info.value.column == "periods_per_year"


def test_a_byte_order_mark_is_skipped(single: Path) -> None:
    """Windows editors write one; it was "not valid TOML (Invalid statement (at line 1, column 1))"."""
    single.write_text("\ufeff" + SINGLE, encoding="utf-8")
    assert load_scenario(single).name == "single_sku"


def test_missing_catalog_file(single: Path) -> None:
    error = _error(single.parent, SINGLE.replace("single.csv", "nowhere.csv"))
    assert error.column == "catalog" and error.value == "nowhere.csv" and "file not found" in str(error)


def test_a_csv_of_the_working_folder_is_named_in_the_error(single: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario file in a sub-folder naming 'single.csv', run from the folder that holds that CSV, said only
    'file not found: .../sub/single.csv' while the planner could see the file: relative paths are the TOML's."""
    sub = single.parent / "sub"
    sub.mkdir()
    monkeypatch.chdir(single.parent)
    error = _error(sub, SINGLE)
    assert error.column == "catalog" and error.value == "single.csv"
    assert "file not found" in str(error) and "relative paths are read from the folder of bad.toml" in str(error)
    # a file that is nowhere gets no hint
    assert "relative paths" not in str(_error(sub, SINGLE.replace("single.csv", "nowhere.csv")))


def test_a_top_level_key_below_a_table_header_is_named_as_such(single: Path) -> None:
    """TOML reads every key after a [table] header as that table's: 'catalog' written below [constraints] was 'the
    required key 'catalog' is missing' in a file that has it, and 'periods' below [demand] an unknown key of
    [demand] with no word of why."""
    below = '[constraints]\ncapacity = 10\ncatalog = "single.csv"\n[demand]\nprocess = "poisson"\nmean = 5.0\n'
    error = _error(single.parent, below)
    assert error.column == "catalog" and "missing at the top level" in str(error)
    assert "written below the [constraints] header" in str(error) and "move it above the first [table]" in str(error)
    error = _error(single.parent, SINGLE.replace("periods = 1000\n", "") + "periods = 1000\n")
    assert error.column == "demand.periods"
    assert "'periods' is a top-level key, written below the [demand] header" in str(error)
    error = _error(single.parent, SINGLE.replace("mean =", "maen ="))  # a typo keeps its hint
    assert "did you mean 'demand.mean'" in str(error) and "top-level" not in str(error)


def test_catalog_column_problem_names_column_sku_and_value(single: Path) -> None:
    pd.DataFrame({"sku": ["SKU-0"], "unit_cost": [0.0], "holding_cost": [-1.0], "shortage_cost": [9.0],
                  "lead_time": [2]}).to_csv(single.parent / "single.csv", index=False)
    error = _error(single.parent, SINGLE)
    assert (error.column, error.sku, error.value) == ("holding_cost", "SKU-0", -1.0)
    assert "bad.toml, catalog single.csv" in str(error)


def test_catalog_unknown_column_and_extra_columns(single: Path) -> None:
    pd.DataFrame({"sku": ["SKU-0"], "unit_cost": [0.0], "holding_cost": [1.0], "shortage_cost": [9.0],
                  "lead_time": [2], "holdng_cost": [1.0]}).to_csv(single.parent / "single.csv", index=False)
    error = _error(single.parent, SINGLE)
    assert error.column == "holdng_cost" and "did you mean 'holding_cost'" in str(error)
    scenario = load_scenario(_write(single.parent, 'extra_columns = "ignore"\n' + SINGLE))
    assert scenario.n_skus == 1


def test_missing_or_ambiguous_demand(single: Path) -> None:
    error = _error(single.parent, SINGLE.split("[demand]")[0])
    assert error.column == "demand" and "required" in str(error)
    error = _error(single.parent, SINGLE.replace('process = "poisson"', 'kind = "poisson"'))
    assert error.column == "demand" and "'process'" in str(error) and "'history'" in str(error)
    error = _error(single.parent, SINGLE.replace('mean = 5.0', 'history = "single.csv"'))
    assert error.column == "demand.process" and "not both" in str(error)


def test_process_without_any_mean_names_the_sku(single: Path) -> None:
    error = _error(single.parent, SINGLE.replace("mean = 5.0", ""))
    assert (error.column, error.sku) == ("demand_mean", "SKU-0")


def test_history_problems(tmp_path: Path) -> None:
    frame = catalog_frame(2)
    frame.to_csv(tmp_path / "catalog.csv", index=False)
    pd.DataFrame({"sku": ["A"] * 6, "period": range(6), "quantity": [1, 2, 3, 2, 1, 2]}).to_csv(
        tmp_path / "h.csv", index=False)
    text = 'catalog = "catalog.csv"\n[demand]\nhistory = "h.csv"\n'
    error = _error(tmp_path, text)
    assert (error.column, error.sku) == ("sku", "B") and "bad.toml, history h.csv" in str(error)
    pd.DataFrame({"sku": ["A", "B"], "period": [0, 0], "quantity": [1, -2]}).to_csv(tmp_path / "h.csv", index=False)
    error = _error(tmp_path, text)
    assert (error.column, error.sku, error.value) == ("quantity", "B", -2.0)
    error = _error(tmp_path, text.replace("h.csv", "none.csv"))
    assert error.column == "demand.history" and "file not found" in str(error)


def test_unreadable_or_missing_file(tmp_path: Path) -> None:
    error = _error(tmp_path, "catalog = \n")
    assert "not valid TOML" in str(error)
    with pytest.raises(PlanningError, match="scenario file not found") as info:
        scenarios.get(str(tmp_path / "absent.toml"))
    assert info.value.column == "scenario"


def test_the_example_of_the_docs_loads(tmp_path: Path) -> None:
    """docs/scenarios.md: the example file (both demand forms) with the bundled example catalog and state."""
    import re

    from hybridinv.examples import example_frames

    text = (Path(__file__).resolve().parent.parent / "docs" / "scenarios.md").read_text()
    process_form, history_form = re.findall(r"```toml\n(.*?)```", text, re.S)[:2]
    catalog, state = example_frames()
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    weeks = pd.DataFrame(np.arange(30)[None, :] % 7 + 1, columns=[f"w{t}" for t in range(30)]).iloc[[0] * len(state)]
    weeks.assign(sku=catalog["sku"].to_numpy()).to_csv(tmp_path / "sales.csv", index=False)
    scenario = load_scenario(_write(tmp_path, process_form))
    assert scenario.name == "my_warehouse" and scenario.constraints.supplier_capacity["S0"] == 200.0
    np.testing.assert_array_equal(scenario.initial_state.on_hand, state["on_hand"])
    replayed = load_scenario(_write(tmp_path, process_form.split("[demand]")[0] + history_form, "h.toml"))
    assert "bootstrap" in replayed.tags and replayed.lead_times.disruptions is None
    assert set(np.unique(replayed.sample(0).demand.realized)) <= set(range(1, 8))
    # the per-supplier example, over a catalog whose last SKU is supplier S1's
    per_supplier = re.findall(r"```toml\n(.*?)```", text, re.S)[2]
    assert "suppliers" in per_supplier
    catalog.assign(supplier=["S0"] * (len(catalog) - 1) + ["S1"]).to_csv(tmp_path / "catalog.csv", index=False)
    lead = load_scenario(_write(tmp_path, process_form.split("[lead_times")[0] + per_supplier, "s.toml")).lead_times
    assert lead.disruptions == {0: Disruptions(0.05, 4.0, 3, (0.4, 0.9)), 1: Disruptions(0.01, 2.0, 1, (0.8, 0.95))}


def test_a_file_without_demand_is_refused_as_the_docs_say(single: Path) -> None:
    """docs/scenarios.md's key tables listed only `catalog` as required, but a file without a [demand] table is
    refused: the page now says the table is required."""
    error = _error(single.parent, 'catalog = "single.csv"\n')
    assert error.column == "demand" and "required" in str(error)
    text = " ".join((Path(__file__).resolve().parent.parent / "docs" / "scenarios.md").read_text().split())
    assert "`[demand]` (required) holds either `process` or `history`" in text


def test_sku_codes_in_the_catalog_file_are_read_as_written(single: Path) -> None:
    """'007' was read back as 7 (and '007' beside '7' as one SKU listed twice), e.g. from `hybridinv twin`."""
    from hybridinv.scenario_file import load_scenario

    pd.DataFrame({"sku": ["007", "7", "NA"], "unit_cost": 0.0, "holding_cost": 1.0, "shortage_cost": 9.0,
                  "lead_time": 2}).to_csv(single.parent / "single.csv", index=False)
    assert list(load_scenario(single).catalog.sku) == ["007", "7", "NA"]


@pytest.mark.parametrize(("line", "key", "words"), [
    ("lookahead = 100000000", "lookahead", "MAX_PERIODS"),
    ("periods = 1000000000", "periods", "100,000 periods"),
    ("waste_cost = inf", "waste_cost", "finite"),
    ("[demand]\nprocess = 'poisson'\nmean = inf", "demand.mean", "finite"),
    ("[demand]\nprocess = 'negative_binomial'\ndispersion = inf", "demand.dispersion", "finite"),
    ("[lead_times]\nstd = inf", "lead_times.std", "NaN or infinite"),
    ("[constraints]\nsupplier_capacity = { X = -5.0 }", "constraints.supplier_capacity", "must be > 0"),
    ("[constraints]\nsupplier_capacity = { Z = 10.0 }", "constraints.supplier_capacity", "no SKU in the catalog"),
])
def test_constructor_errors_name_the_file_and_its_key(tmp_path: Path, line: str, key: str, words: str) -> None:
    """The finding: these named the constructor argument ('demand_mean', 'lead_time_std') and not the file, and a
    supplier capacity for a supplier without SKUs loaded and failed at the first simulated period."""
    (tmp_path / "data").mkdir()
    catalog_frame(4, demand_mean=[3.0, 6.0, 9.0, 12.0], supplier=["X", "X", "Y", "Y"]).to_csv(
        tmp_path / "data" / "catalog.csv", index=False)
    demand = "" if "[demand]" in line else "\n[demand]\nprocess = 'poisson'\n"
    path = _write(tmp_path, f'name = "mine"\ncatalog = "data/catalog.csv"\n{line}\n{demand}')
    with pytest.raises(PlanningError, match=words) as err:
        load_scenario(path)
    assert err.value.column == key and "my.toml: " in str(err.value), str(err.value)


def test_supplier_names_differing_only_in_case_are_refused_with_disruptions_naming_the_catalog(tmp_path: Path) -> None:
    import pandas as pd

    pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 0.1, "shortage_cost": 5.0, "lead_time": 1,
                  "supplier": ["ACME", "acme "], "demand_mean": 5.0}).to_csv(tmp_path / "cat.csv", index=False)
    text = ('catalog = "cat.csv"\nperiods = 20\n[demand]\nprocess = "poisson"\n[lead_times.disruptions]\n'
            "probability = 0.2\nmean_duration = 3.0\nextra_delay = 2\n")
    error = _error(tmp_path, text)
    assert error.column == "supplier" and "catalog" in str(error) and "only in spaces or case" in str(error)


# ---------------------------------------------------------------- per-supplier disruptions

PER_SUPPLIER = FULL.replace("""[lead_times.disruptions]
probability = 0.05
mean_duration = 3.0
extra_delay = 2
fill_fraction = [0.5, 0.9]
""", """[lead_times.disruptions]
extra_delay = 2

[lead_times.disruptions.suppliers."Y"]
probability = 0.3
mean_duration = 1.5
fill_fraction = [0.5, 0.9]
""")


def test_per_supplier_disruptions_strike_only_the_suppliers_named(full: Path) -> None:
    # the keys beside `suppliers` are defaults of each supplier's table; supplier X, not named, gets none
    path = _write(full.parent, PER_SUPPLIER, "per_supplier.toml")
    loaded = load_scenario(path)
    expected = Disruptions(probability=0.3, mean_duration=1.5, extra_delay=2, fill_fraction=(0.5, 0.9))
    lead = loaded.lead_times
    assert lead is not None and lead.disruptions == {1: expected}  # suppliers X, Y are 0, 1
    built = LeadTimeProcess.from_catalog(loaded.catalog.lead_time, loaded.catalog.lead_time_std,
                                         loaded.catalog.supplier, {"Y": expected})
    path_ = lead.sample(np.random.default_rng(5), 4_000)
    same = built.sample(np.random.default_rng(5), 4_000)
    np.testing.assert_array_equal(path_.lead_time, same.lead_time)
    assert path_.delivered_fraction is not None
    short = path_.delivered_fraction < 1.0
    assert not short[:, :2].any()  # the SKUs of X
    share = 0.3 * 1.5 / (1 + 0.3 * 1.5)  # the chain's stationary share
    assert short[:, 2].mean() == pytest.approx(share, abs=0.05)


def test_per_supplier_disruptions_round_trip_through_the_file_text(full: Path) -> None:
    data = {
        "catalog": "data/catalog.csv", "periods": 30,
        "demand": {"process": "poisson"},
        "lead_times": {"disruptions": {"suppliers": {
            "X": {"probability": 0.1, "mean_duration": 2.0, "extra_delay": 0, "fill_fraction": [0.2, 0.6]},
            "Y": {"probability": 0.4, "mean_duration": 1.0, "extra_delay": 3, "fill_fraction": [0.7, 0.7]},
        }}},
    }
    path = _write(full.parent, scenario_file_text(data), "round.toml")
    lead = load_scenario(path).lead_times
    assert lead is not None and lead.disruptions == {
        0: Disruptions(0.1, 2.0, 0, (0.2, 0.6)), 1: Disruptions(0.4, 1.0, 3, (0.7, 0.7))}
    assert '[lead_times.disruptions.suppliers.X]' in path.read_text()
    data["lead_times"] = {"disruptions": {"suppliers": {}}}  # no supplier named: no disruptions
    assert load_scenario(_write(full.parent, scenario_file_text(data), "none.toml")).lead_times.disruptions is None


@pytest.mark.parametrize(("old", "new", "column", "value", "words"), [
    ('suppliers."Y"]', 'suppliers."Z"]', "lead_times.disruptions.suppliers.Z", "Z", "no SKU of the catalog"),
    ('suppliers."Y"]', 'suppliers."y "]', "lead_times.disruptions.suppliers.y ", "y ", "only in spaces or case"),
    ("probability = 0.3", "probabilty = 0.3", "lead_times.disruptions.suppliers.Y.probabilty", None,
     "did you mean 'lead_times.disruptions.suppliers.Y.probability'"),
    ("probability = 0.3", "probability = 3", "lead_times.disruptions.suppliers.Y.probability", 3, "probability"),
    ("fill_fraction = [0.5, 0.9]", "fill_fraction = [0.9, 0.5]", "lead_times.disruptions.suppliers.Y.fill_fraction",
     [0.9, 0.5], "low <= high"),
    ("extra_delay = 2", "extra_delay = 600", "lead_times.disruptions.suppliers.Y.extra_delay", 600, "520"),
    ("mean_duration = 1.5", "mean_duration = 1.5\nsuppliers = 1", "lead_times.disruptions.suppliers.Y.suppliers",
     None, "unknown key"),
    ('[lead_times.disruptions.suppliers."Y"]\nprobability = 0.3\nmean_duration = 1.5\nfill_fraction = [0.5, 0.9]',
     "suppliers = { Y = 0.3 }", "lead_times.disruptions.suppliers.Y", 0.3, "must be a table"),
])
def test_per_supplier_disruption_problems_name_the_supplier_key(
    full: Path, old: str, new: str, column: str, value: object, words: str
) -> None:
    assert old in PER_SUPPLIER
    error = _error(full.parent, PER_SUPPLIER.replace(old, new))
    assert error.column == column and words in str(error) and "bad.toml" in str(error)
    if value is not None:
        assert error.value == value
