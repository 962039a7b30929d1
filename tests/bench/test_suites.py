"""Suites as data (hybridinv/bench/suites.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hybridinv import scenarios
from hybridinv.bench.suites import FULL, QUICK, ScenarioSpec, Suite, get_suite, lost_sales_grid, spec_from_name
from hybridinv.core.errors import PlanningError


def test_lost_sales_grid_matches_the_literature_grid() -> None:
    grid = lost_sales_grid()
    assert len(grid) == 16
    parameters = {(spec.exact_parameters()["shortage_cost"], spec.exact_parameters()["lead_time"])  # type: ignore[index]
                  for spec in grid}
    assert parameters == {(p, lead) for p in (4.0, 9.0, 19.0, 39.0) for lead in (1, 2, 3, 4)}
    scenario = grid[0].test_scenario()
    assert scenario.name == grid[0].key == "single_sku_L1_p4"
    assert float(scenario.demand.mean[0]) == 5.0 and float(scenario.catalog.holding_cost[0]) == 1.0


def test_full_suite_covers_registry_grid_and_heldout() -> None:
    keys = {spec.key for spec in FULL.scenarios}
    assert set(scenarios.names()) <= keys
    assert "large_1000" in keys
    assert {spec.key for spec in lost_sales_grid()} <= keys
    assert {"multi_50_heldout_promotion", "multi_50_heldout_season", "multi_50_heldout_level"} <= keys
    assert set(QUICK.policies) == set(FULL.policies)
    assert "hybrid" in QUICK.policies and "base_stock" in QUICK.policies


def test_heldout_spec_trains_on_original_and_tests_on_changed() -> None:
    spec = ScenarioSpec("multi_10", periods=30, heldout="season")
    assert spec.key == "multi_10_heldout_season"
    assert spec.train_scenario().name == "multi_10"
    assert spec.train_scenario().periods == 30
    assert spec.test_scenario().name == "multi_10_heldout_season"
    assert spec.exact_parameters() is None


def test_exact_parameters_only_for_poisson_lost_sales() -> None:
    assert ScenarioSpec("single_sku").exact_parameters() == {
        "mean": 5.0, "lead_time": 2, "holding_cost": 1.0, "shortage_cost": 9.0}
    assert ScenarioSpec("single_sku", (("lost_sales", False),)).exact_parameters() is None
    assert ScenarioSpec("single_sku", (("fixed_cost", 10.0),)).exact_parameters() is None
    assert ScenarioSpec("multi_10").exact_parameters() is None


def test_a_held_out_suite_scenario_keeps_the_suites_horizon_and_one_kind() -> None:
    known = {spec.key: spec for spec in QUICK.scenarios}
    # multi_10_heldout_level ran on multi_10's own 104 periods beside the quick suite's 52-period multi_10
    held = spec_from_name("multi_10_heldout_level", known)
    assert held == replace(known["multi_10"], heldout="level") and held.periods == 52
    labelled = ScenarioSpec("multi_10", periods=30, label="short")
    assert spec_from_name("short_heldout_season", {"short": labelled}).key == "short_heldout_season"
    single = spec_from_name("single_sku_L2_p9_heldout_level", known)  # was an unknown scenario
    assert single == replace(known["single_sku_L2_p9"], heldout="level")
    with pytest.raises(PlanningError, match="one held-out change") as err:  # 'promotion' was dropped silently
        spec_from_name("multi_10_heldout_promotion_heldout_level", known)
    assert err.value.value == "multi_10_heldout_promotion_heldout_level"


def test_an_unknown_scenario_names_the_near_ones_the_suites_keys_and_the_held_out_kinds() -> None:
    # bench --scenarios perishible listed the registry only: no pointer to 'perishable', no suite key such as
    # single_sku_L2_p9 (which --scenarios takes), no word of the <name>_heldout_<kind> forms
    from hybridinv import scenarios

    known = {spec.key: spec for spec in QUICK.scenarios}
    for name, meant in (("perishible", "'perishable'"), ("single_sku_L2_p8", "'single_sku_L2_p9'"),
                        ("multi_10_heldout_promo", "'multi_10_heldout_promotion'")):
        with pytest.raises(PlanningError, match="unknown scenario") as err:
            spec_from_name(name, known)
        message = str(err.value)
        assert f"(did you mean {meant}" in message and err.value.value == name
        assert "'single_sku_L2_p9'" in message and "<name>_heldout_<kind>" in message and "'season'" in message
    with pytest.raises(PlanningError, match=r"unknown scenario; known") as err:  # nothing near: no guess
        spec_from_name("zzz", known)
    with pytest.raises(PlanningError, match=r"unknown scenario \(did you mean 'perishable'\?\)"):
        scenarios.get("Perishable")  # tune, train, simulate: the same pointer


def test_spec_from_name_and_errors() -> None:
    assert spec_from_name("multi_50_heldout_level") == ScenarioSpec("multi_50", heldout="level")
    assert spec_from_name("perishable") == ScenarioSpec("perishable")
    with pytest.raises(PlanningError, match="unknown scenario"):
        spec_from_name("nowhere")
    with pytest.raises(PlanningError, match="unknown suite"):
        get_suite("medium")
    with pytest.raises(PlanningError, match="held-out"):
        ScenarioSpec("multi_10", heldout="meteor")
    with pytest.raises(PlanningError, match="unique"):
        Suite("dup", (ScenarioSpec("multi_10"), ScenarioSpec("multi_10")), ("ss",), 2)
    with pytest.raises(PlanningError, match="seed"):
        Suite("none", (ScenarioSpec("multi_10"),), ("ss",), 0)


def test_a_suite_names_each_policy_once() -> None:
    """The finding: a repeated policy failed in the report's pivot only after every run had finished."""
    with pytest.raises(PlanningError, match="policy names in a suite must be unique") as info:
        QUICK.with_options(policies=("ss", "base_stock", "ss"))
    assert info.value.value == "ss"
    assert QUICK.with_options(policies=("ss", "base_stock")).policies == ("ss", "base_stock")


@pytest.mark.parametrize(("make", "column"), [
    (lambda: Suite("x", (ScenarioSpec("multi_10"),), ("ss",), 2.5), "seeds"),
    (lambda: Suite("x", (ScenarioSpec("multi_10"),), ("ss",), True), "seeds"),
    (lambda: Suite("x", (ScenarioSpec("multi_10"),), (), 2), "policies"),
    (lambda: Suite("x", (), ("ss",), 2), "scenarios"),
    (lambda: Suite("x", (ScenarioSpec("multi_10"),), ("ss",), 2, track=-1), "track"),
    (lambda: ScenarioSpec("multi_10", periods=0), "periods"),
])
def test_suite_fields_are_checked(make, column: str) -> None:  # type: ignore[no-untyped-def]
    # 2.5 seeds, an empty suite and periods=0 (the scenario's horizon) were accepted without a word
    with pytest.raises(PlanningError) as info:
        make()
    assert info.value.column == column
    assert Suite("x", (ScenarioSpec("multi_10", periods=20.0),), ("ss",), 2.0).seeds == 2


@pytest.mark.parametrize(("options", "column"), [({"workers": 0}, "workers"), ({"backend": "dask"}, "backend")])
def test_run_suite_checks_workers_and_backend(options: dict, column: str) -> None:
    from hybridinv.bench import run_suite

    suite = Suite("x", (ScenarioSpec("single_sku", periods=5),), ("base_stock",), 1)
    with pytest.raises(PlanningError) as info:
        run_suite(suite, progress=False, **{"workers": 1, **options})
    assert info.value.column == column


def test_one_policy_name_is_a_suite_of_one_policy() -> None:
    # 'mpc' was the policies 'm', 'p' and 'c' (all reported missing), 'ss' a repeated policy 's'
    suite = QUICK.with_options(policies="mpc")  # type: ignore[arg-type]
    assert suite.policies == ("mpc",)
    assert Suite("one", (ScenarioSpec("multi_10"),), "ss", 2, baselines="ss").baselines == ("ss",)  # type: ignore[arg-type]


@pytest.mark.parametrize("stem", ["multi_10", "single_sku", "multi_10_heldout_level", "single_sku_L2_p9",
                                  "perishable_heldout_season"])
def test_a_scenario_file_named_as_a_registered_scenario_is_refused(tmp_path, stem: str) -> None:  # type: ignore[no-untyped-def]
    """clash/multi_10.toml was reported as multi_10: results, summary and report read as the registered scenario's,
    and ppo loaded models/ppo_multi_10 for it."""
    import shutil

    from conftest import catalog_frame

    catalog_frame(2).to_csv(tmp_path / "catalog.csv", index=False)
    text = 'catalog = "catalog.csv"\nperiods = 10\n[demand]\nprocess = "poisson"\nmean = 3.0\n'
    (tmp_path / f"{stem}.toml").write_text(text)
    with pytest.raises(PlanningError, match="rename the file") as info:
        spec_from_name(str(tmp_path / f"{stem}.toml"))
    assert info.value.column == "scenario" and f"{stem}.toml" in str(info.value)
    with pytest.raises(PlanningError, match="rename the file"):
        ScenarioSpec(str(tmp_path / f"{stem}.toml"))
    shutil.move(tmp_path / f"{stem}.toml", tmp_path / f"my_{stem}.toml")
    assert spec_from_name(str(tmp_path / f"my_{stem}.toml")).key == f"my_{stem}"
    # a label names it in the reports instead of the file name
    assert ScenarioSpec(str(tmp_path / f"{stem}.toml"), label="mine").key == "mine"
