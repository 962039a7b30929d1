"""Tests for hybridinv.scenarios: the registry and each registered scenario's documented shape."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import PlanningError, scenarios
from hybridinv.demand import DemandDistribution
from hybridinv.policies import BaseStock
from hybridinv.policies.newsvendor import demand_statistics
from hybridinv.sim import Scenario, Simulator, simulate

EXPECTED = {"disrupted": 20, "large_1000": 1000, "multi_10": 10, "multi_50": 50, "perishable": 20, "single_sku": 1}


def test_names() -> None:
    assert set(EXPECTED) <= set(scenarios.names())
    assert scenarios.names() == sorted(scenarios.names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_scenario_builds_the_same_way_every_time(name: str) -> None:
    a, b = scenarios.get(name), scenarios.get(name)
    assert isinstance(a, Scenario) and a.name == name and a.n_skus == EXPECTED[name]
    pd_a, pd_b = a.catalog.to_frame(), b.catalog.to_frame()
    assert pd_a.equals(pd_b)
    assert a.constraints == b.constraints
    assert 0 <= a.warmup < a.periods
    np.testing.assert_array_equal(a.sample(1, periods=10).demand.realized, b.sample(1, periods=10).demand.realized)


@pytest.mark.parametrize("name", ["multi_10", "multi_50", "perishable", "disrupted"])
def test_short_run_of_each_multi_sku_scenario(name: str) -> None:
    scenario = scenarios.get(name)
    level = np.ceil(scenario.demand.mean * (scenario.catalog.lead_time + 2))
    frame = simulate(BaseStock(level, repair=None), scenario, seeds=1, periods=30)
    assert np.isfinite(frame.loc[0, "avg_cost"]) and 0 < frame.loc[0, "fill_rate"] <= 1


def test_constrained_scenarios_have_finite_capacity_and_budget() -> None:
    for name in ("multi_10", "multi_50", "large_1000", "perishable", "disrupted"):
        cons = scenarios.get(name).constraints
        assert cons.has_capacity and cons.has_budget, name


def test_perishable_scenario() -> None:
    scenario = scenarios.get("perishable")
    life = scenario.catalog.shelf_life
    assert life.min() >= 2 and life.max() <= 6 and scenario.catalog.perishable.all()
    assert scenario.waste_cost > 0 and scenario.periods_per_year == 365


def test_disrupted_scenario() -> None:
    scenario = scenarios.get("disrupted")
    assert scenario.lead_times is not None and scenario.lead_times.disruptions is not None
    assert not scenario.lead_times.deterministic
    assert len(set(scenario.catalog.supplier)) == 3


@pytest.mark.parametrize("name", ["multi_10", "multi_50", "perishable", "disrupted", "large_1000"])
def test_catalog_demand_moments_are_those_of_the_simulated_process(name: str) -> None:
    # perishable and disrupted draw Poisson demand but their catalogs carried the negative-binomial (k=4)
    # std sqrt(m + m^2/4), which policies fitted from an observation read (demand_statistics(obs))
    scenario = scenarios.get(name)
    demand, catalog = scenario.demand, scenario.catalog
    np.testing.assert_array_equal(catalog.demand_mean, demand.mean)
    m = demand.mean
    if demand.distribution is DemandDistribution.POISSON:
        truth = np.sqrt(m)  # Poisson variance = mean
    else:
        assert demand.distribution is DemandDistribution.NEGATIVE_BINOMIAL
        truth = np.sqrt(m + m**2 / demand.dispersion)
    np.testing.assert_allclose(catalog.demand_std, truth, rtol=1e-12)
    obs = Simulator(scenario).reset(seed=0)
    np.testing.assert_allclose(demand_statistics(obs).std, demand_statistics(scenario).std, rtol=1e-12)


def test_disrupted_catalog_std_matches_the_spread_of_its_demand() -> None:
    # disrupted has no demand pattern: each SKU's per-period demand is i.i.d. with the catalog's std
    scenario = scenarios.get("disrupted")
    realized = scenario.demand.sample(np.random.default_rng(7), 6000).realized
    ratio = realized.std(axis=0) / scenario.catalog.demand_std
    assert np.all(np.abs(ratio - 1.0) < 0.06), ratio  # ~5 standard errors; the NB value was 1.4-3.8x


def test_multi_50_has_every_demand_component() -> None:
    demand = scenarios.get("multi_50").demand
    assert demand.distribution is DemandDistribution.NEGATIVE_BINOMIAL
    assert demand.seasonality and demand.promotions and demand.regime_shifts and demand.common_factor


def test_single_sku_parameters() -> None:
    scenario = scenarios.single_sku(mean=3.0, lead_time=4, holding_cost=2.0, shortage_cost=7.0, fixed_cost=5.0,
                                    lost_sales=False, demand="negative_binomial", periods=300, warmup=10)
    cat = scenario.catalog
    assert cat.n_skus == 1 and cat.unit_cost[0] == 0
    assert (cat.holding_cost[0], cat.shortage_cost[0], cat.order_cost[0], cat.lead_time[0]) == (2.0, 7.0, 5.0, 4)
    assert not scenario.lost_sales and scenario.periods == 300 and scenario.warmup == 10
    assert scenario.demand.distribution is DemandDistribution.NEGATIVE_BINOMIAL
    assert scenario.initial_state is not None and scenario.initial_state.on_hand[0] == 15  # mean * (L + 1)


def test_unknown_scenario_name() -> None:
    with pytest.raises(PlanningError) as info:
        scenarios.get("multi_100")
    err = info.value
    assert err.column == "scenario" and err.value == "multi_100"
    assert "'multi_100'" in str(err) and "multi_50" in str(err)


def test_register_refuses_a_duplicate_name() -> None:
    with pytest.raises(ValueError, match="already registered"):
        scenarios.register("multi_10")(lambda: scenarios.get("multi_10"))


def test_invalid_scenario_horizon() -> None:
    base = scenarios.single_sku()
    with pytest.raises(PlanningError, match=r"column 'warmup', value 10: need 0 <= warmup < periods \(periods is 10\)"):
        base.replace(periods=10, warmup=10)


@pytest.mark.parametrize(("field", "value"), [
    ("periods", 2.5), ("periods", "20"), ("warmup", -1), ("warmup", 0.5), ("periods_per_year", 0),
    ("lookahead", -1), ("waste_cost", float("nan")), ("overflow_cost", -1.0), ("overflow_cost", float("inf")),
    ("lost_sales", "no"), ("lost_sales", 0),
])
def test_scenario_fields_are_checked(field: str, value: object) -> None:
    # periods=2.5 passed the horizon check and a NaN overflow cost or lost_sales="no" ran silently
    with pytest.raises(PlanningError) as info:
        scenarios.single_sku().replace(**{field: value})
    assert info.value.column == field


@pytest.mark.parametrize(("field", "value", "shown", "hint"), [
    ("catalog", "frame", "DataFrame", "Catalog.from_frame"),
    ("demand", [5.0], "list", "DemandProcess"),
    ("lead_times", [2], "list", "None derives it"),
    ("initial_state", {"on_hand": [3]}, "dict", "InventoryState.from_frame"),
    ("initial_state", "frame", "DataFrame", "InventoryState.from_frame"),
    ("fit_on", "multi_10", "multi_10", "scenarios.get"),
    ("name", 5, 5, "string"),
    ("description", None, None, "string"),
    ("tags", "replay_x", "replay_x", "tuple of strings"),
])
def test_scenario_fields_of_the_wrong_type_are_named(field: str, value: object, shown: object, hint: str) -> None:
    # until 2026-12-07 a DataFrame catalog or a list of means for demand was a bare AttributeError ("'list' object
    # has no attribute 'n_skus'"), fit_on="multi_10" one at the first tuning; name=5 and tags="replay_x" were kept
    # ("replay" in tags then matched the substring: the scenario refused tuning as a held-out replay)
    import pandas as pd

    if value == "frame":
        value = pd.DataFrame({"sku": ["SKU-0"], "on_hand": [3]})
    with pytest.raises(PlanningError, match=hint) as info:
        scenarios.single_sku().replace(**{field: value})
    assert info.value.column == field and info.value.value == shown


def test_scenario_tags_given_as_a_list_are_a_tuple() -> None:
    assert scenarios.single_sku().replace(tags=["mine", "exact"]).tags == ("mine", "exact")


def test_scenario_whole_numbers_written_as_floats_are_ints() -> None:
    scenario = scenarios.single_sku().replace(periods=30.0, warmup=5.0, lost_sales=np.False_)
    assert scenario.periods == 30 and isinstance(scenario.periods, int) and scenario.warmup == 5
    assert scenario.lost_sales is False


def test_unknown_demand_distribution_is_named() -> None:
    with pytest.raises(PlanningError, match="must be one of") as info:  # was the enum's bare ValueError
        scenarios.single_sku(demand="gamma")  # type: ignore[arg-type]
    assert info.value.column == "demand"


def test_lookahead_is_bounded_by_max_periods(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The finding: lookahead=10**9 built, and the first draw asked for 7.45 GiB (from a scenario file the
    process was killed)."""
    from hybridinv.core.limits import MAX_PERIODS
    from hybridinv.scenario_file import load_scenario

    base = scenarios.get("multi_10")
    with pytest.raises(PlanningError, match="must be at most MAX_PERIODS") as err:
        base.replace(lookahead=10**9)
    assert err.value.column == "lookahead" and err.value.value == 10**9
    assert base.replace(lookahead=MAX_PERIODS).lookahead == MAX_PERIODS
    (tmp_path / "catalog.csv").write_text("sku,unit_cost,holding_cost,shortage_cost,lead_time,demand_mean\n"
                                          "A,1,0.1,5,1,10\n")
    (tmp_path / "s.toml").write_text('name = "s"\ncatalog = "catalog.csv"\nlookahead = 100000000\n'
                                     '[demand]\nprocess = "poisson"\n')
    with pytest.raises(PlanningError, match="lookahead"):
        load_scenario(tmp_path / "s.toml")


@pytest.mark.parametrize("value", [None, "no", 0, np.array([True, False])])
def test_single_sku_lost_sales_must_be_a_bool(value: object) -> None:
    with pytest.raises(PlanningError) as info:
        scenarios.single_sku(lost_sales=value)  # type: ignore[arg-type]
    assert info.value.column == "lost_sales"
    assert scenarios.single_sku(lost_sales=False).lost_sales is False


@pytest.mark.parametrize("periods", [None, "abc", "3", [], 2.5, 0, True])
def test_single_sku_periods_is_checked_before_use(periods: object) -> None:
    with pytest.raises(PlanningError) as info:
        scenarios.single_sku(periods=periods)  # type: ignore[arg-type]
    assert info.value.column == "periods"
    assert scenarios.single_sku(periods=30.0).periods == 30


def test_single_sku_names_fixed_cost_not_the_catalog_column() -> None:
    with pytest.raises(PlanningError) as info:
        scenarios.single_sku(fixed_cost=-1)
    assert info.value.column == "fixed_cost"
    assert info.value.value == -1


@pytest.mark.parametrize("mean", [-1, "x", True, float("nan")])
def test_single_sku_names_mean_not_the_catalog_column(mean: object) -> None:
    with pytest.raises(PlanningError) as info:
        scenarios.single_sku(mean=mean)  # type: ignore[arg-type]
    assert info.value.column == "mean"  # was demand_mean, a column the caller never wrote


@pytest.mark.parametrize("name", [[], {}, np.array(["single_sku"]), None, 3])
def test_get_refuses_a_scenario_that_is_not_a_name(name: object) -> None:
    with pytest.raises(PlanningError) as info:
        scenarios.get(name)  # type: ignore[arg-type]
    assert info.value.column == "scenario"


@pytest.mark.parametrize(("field", "hint"), [
    ("period", "(did you mean 'periods'?)"),
    ("lost_sale", "(did you mean 'lost_sales'?)"),
    ("n_skus", "(a read-only property: it follows from the catalog)"),
    ("cost_key", "(a read-only property: it follows from the cost_basis)"),
    ("_derived", "; fields: "),
])
def test_replace_names_a_field_it_does_not_have(field: str, hint: str) -> None:
    # until 2026-12-07 Python's own "Scenario.__init__() got an unexpected keyword argument 'n_skus'" TypeError
    # (and a ValueError of dataclasses for _derived), naming no near field
    with pytest.raises(PlanningError) as info:
        scenarios.single_sku().replace(periods=30, **{field: 5})
    assert info.value.column == field
    assert f"not a field of Scenario {hint}" in str(info.value) if hint.startswith("(") else hint in str(info.value)
    assert "fields: name, catalog, constraints, demand, lead_times, periods," in str(info.value)


def test_an_unknown_scenario_name_suggests_the_one_meant() -> None:
    # until 2026-12-07 also every name less close: "(did you mean 'multi_10' or 'multi_50'?)"
    with pytest.raises(PlanningError, match=r"unknown scenario \(did you mean 'multi_10'\?\); known: "):
        scenarios.get("mutli_10")
