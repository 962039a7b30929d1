"""KPITarget parsing and the Lagrangian multiplier update."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridinv import PlanningError, scenarios
from hybridinv.policies import BaseStock
from hybridinv.reward import KPI_RANGES, KPITarget, LagrangianMultipliers, parse_targets, period_kpis
from hybridinv.sim import run_episode


@pytest.mark.parametrize(
    ("text", "kpi", "op", "level"),
    [
        ("fill_rate>=0.95", "fill_rate", ">=", 0.95),
        (" waste_rate <= 0.02 ", "waste_rate", "<=", 0.02),
        ("cycle_service_level>=0.9", "cycle_service_level", ">=", 0.9),
        ("carbon_kg<=1e3", "carbon_kg", "<=", 1000.0),
    ],
)
def test_parse(text: str, kpi: str, op: str, level: float) -> None:
    target = KPITarget.parse(text)
    assert (target.kpi, target.op, target.level) == (kpi, op, level)
    assert KPITarget.parse(str(target)) == target


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fill_rat>=0.95", r"unknown KPI \(did you mean 'fill_rate'\?\); known: \['avg_cost'"),
        ("cycle_servce_level>=0.9", r"unknown KPI \(did you mean 'cycle_service_level'\?\)"),
        ("fill_rate>0.95", "operators"),
        ("fill_rate=>0.95", "operators"),
        ("fill_rate>=high", "number"),
        # float() reads these: 0.9_5 as 0.95, a full-width digit as 1
        ("fill_rate>=0.9_5", "number"),
        ("fill_rate>=\uff11", "number"),
        ("fill_rate>=1.2", r"\[0, 1\]"),
        ("waste_rate<=-0.1", r"\[0, 1\]"),
        ("fill_rate>=nan", "finite"),
        # the finding: infinite levels were accepted (avg_cost>=inf made the multiplier grow to its cap)
        ("avg_cost>=inf", "finite"),
        ("profit>=-inf", "finite"),
        ("inventory_turns>=Infinity", "finite"),
        ("spec_cost<=inf", "finite"),
        ("", "operators"),
    ],
)
def test_invalid_targets(text: str, message: str) -> None:
    with pytest.raises(PlanningError, match=message):
        KPITarget.parse(text)


def test_duplicates_rejected_and_slack_signs() -> None:
    with pytest.raises(PlanningError, match="more than once"):
        parse_targets(["fill_rate>=0.9", "fill_rate>=0.95"])
    assert len(parse_targets(["fill_rate>=0.9", "fill_rate<=0.99"])) == 2
    assert len(parse_targets(["fill_rate>=0.9", "fill_rate<=0.9"])) == 2  # a band of one point is still met
    with pytest.raises(PlanningError, match="contradict") as info:  # no plan meets both: training chased both
        parse_targets(["fill_rate>=0.9", "fill_rate<=0.8"])
    assert info.value.value == "fill_rate"
    high, low = KPITarget.parse("fill_rate>=0.9"), KPITarget.parse("waste_rate<=0.02")
    assert high.slack(0.95) == pytest.approx(0.05) and high.slack(0.85) == pytest.approx(-0.05)
    assert low.slack(0.01) == pytest.approx(0.01) and low.slack(0.03) == pytest.approx(-0.01)
    assert high.satisfied(0.9) and not high.satisfied(0.9, margin=0.01)


def test_lagrangian_update_is_projected_dual_ascent() -> None:
    multipliers = LagrangianMultipliers(["fill_rate>=0.95", "waste_rate<=0.02"], learning_rate=[2.0, 10.0])
    np.testing.assert_array_equal(multipliers.values, [0.0, 0.0])
    # both missed: lambda += lr * violation
    values = multipliers.update({"fill_rate": 0.85, "waste_rate": 0.05})
    np.testing.assert_allclose(values, [2.0 * 0.10, 10.0 * 0.03])
    # fill met with room, waste still missed
    values = multipliers.update({"fill_rate": 0.99, "waste_rate": 0.03})
    np.testing.assert_allclose(values, [0.2 - 2.0 * 0.04, 0.3 + 10.0 * 0.01])
    # fill far above target: projected to 0, never negative
    values = multipliers.update({"fill_rate": 1.0, "waste_rate": 0.0})
    np.testing.assert_allclose(values, [0.12 - 2.0 * 0.05, 0.4 - 10.0 * 0.02])
    values = multipliers.update({"fill_rate": 1.0, "waste_rate": 0.02})
    assert values[0] == 0.0 and values[1] == pytest.approx(0.2)
    assert len(multipliers.history) == 5
    # shaping adds lambda * slack
    bonus = multipliers.bonus({"fill_rate": 0.90, "waste_rate": 0.01})
    assert bonus == pytest.approx(0.0 * -0.05 + 0.2 * 0.01)
    assert multipliers.shape(-3.0, {"fill_rate": 0.90, "waste_rate": 0.01}) == pytest.approx(-3.0 + bonus)
    assert set(multipliers.as_dict()) == {"fill_rate>=0.95", "waste_rate<=0.02"}


def test_lagrangian_converges_on_a_toy_constrained_problem() -> None:
    """max -x s.t. x >= 0.7 where the 'policy' best-responds x = clip(lambda / 2, 0, 1): lambda* = 1.4."""
    multipliers = LagrangianMultipliers(["fill_rate>=0.7"], learning_rate=0.5, max_value=10.0)
    for _ in range(400):
        x = float(np.clip(multipliers.values[0] / 2.0, 0.0, 1.0))
        multipliers.update({"fill_rate": x})
    assert multipliers.values[0] == pytest.approx(1.4, abs=1e-3)


def test_lagrangian_validation() -> None:
    with pytest.raises(PlanningError, match="learning_rate.*> 0"):
        LagrangianMultipliers(["fill_rate>=0.9"], learning_rate=0.0)
    with pytest.raises(PlanningError, match="initial"):
        LagrangianMultipliers(["fill_rate>=0.9"], initial=-1.0)
    with pytest.raises(PlanningError, match="lack"):
        LagrangianMultipliers(["fill_rate>=0.9"]).update({"waste_rate": 0.1})


def test_period_kpis_aggregate_to_the_summary() -> None:
    scenario = scenarios.single_sku(periods=60, warmup=0)
    ledger, _ = run_episode(BaseStock(15), scenario, seed=2)
    per_period = [period_kpis(ledger, t) for t in range(60)]
    served = sum(k["fill_rate"] * ledger.demand[t] for t, k in enumerate(per_period))
    summary = ledger.summary()
    assert served / ledger.demand.sum() == pytest.approx(summary["fill_rate"])
    assert np.mean([k["cycle_service_level"] for k in per_period]) == pytest.approx(summary["cycle_service_level"])
    assert sum(k["avg_cost"] for k in per_period) / 60 == pytest.approx(summary["avg_cost"])


def test_period_waste_rate_counts_starting_stock() -> None:
    """102 units on hand expire in a period that receives 4: the rate is 102 / 106, never above 1."""
    from conftest import hand_path, make_catalog, make_scenario

    from hybridinv import InventoryState
    from hybridinv.sim import Simulator

    catalog = make_catalog(1, shelf_life=np.array([1]))
    sim = Simulator(make_scenario(catalog, 1.0, initial_state=InventoryState.empty(catalog, 102.0)), periods=1)
    sim.reset(path=hand_path([[4]], [0]))
    sim.step(np.array([4.0]))
    assert period_kpis(sim.ledger, 0)["waste_rate"] == pytest.approx(102 / 106)


def test_kpis_the_scenario_cannot_measure_are_refused_before_anything_runs() -> None:
    """The finding: profit on a catalog without prices was a KeyError in tune and enforce_targets, a utilization
    without the limit a NaN that optuna refused with a raw traceback, carbon without factors met by anything."""
    from hybridinv.reward import CarbonTerm, RewardSpec, check_kpis_defined, enforce_targets
    from hybridinv.reward.tune import tune

    single = scenarios.get("single_sku")  # no price, no budget, no capacity
    for kpi, reason in (("profit", "selling price"), ("revenue", "selling price"), ("budget_utilization", "budget"),
                        ("capacity_utilization", "capacity"), ("carbon_kg", "emission factors")):
        with pytest.raises(PlanningError, match=reason) as info:
            check_kpis_defined([kpi], single, RewardSpec())
        assert info.value.value == kpi
    check_kpis_defined(["fill_rate", "carbon_kg"], single, RewardSpec(carbon=CarbonTerm(held_kg=1.0)))
    check_kpis_defined(["budget_utilization", "capacity_utilization"], scenarios.get("multi_10"), None)
    with pytest.raises(PlanningError, match="selling price"):
        tune("single_sku", ["profit>=0"], trials=1, seeds=1)
    with pytest.raises(PlanningError, match="selling price") as info:
        tune("single_sku", [], minimize="-profit", trials=1, seeds=1)
    assert info.value.column == "minimize"  # the objective, not a target (it said 'target')
    with pytest.raises(PlanningError, match="capacity") as info:
        tune("single_sku", ["capacity_utilization<=0.9"], minimize="-fill_rate", trials=1, seeds=1)
    assert info.value.column == "target"
    with pytest.raises(PlanningError, match="capacity"):
        enforce_targets("single_sku", ["capacity_utilization<=0.9"])


def test_one_target_string_is_one_target_not_a_list_of_letters() -> None:
    # parse_targets("fill_rate>=0.95") read the string letter by letter: "a target reads like ..., value 'f'"
    one = parse_targets("fill_rate>=0.95")
    assert one == [KPITarget("fill_rate", ">=", 0.95)] == parse_targets(["fill_rate>=0.95"])
    assert parse_targets(KPITarget("avg_cost", "<=", 10.0)) == [KPITarget("avg_cost", "<=", 10.0)]
    assert LagrangianMultipliers("fill_rate>=0.9").targets == [KPITarget("fill_rate", ">=", 0.9)]  # type: ignore[arg-type]
    for bad in (0.95, None):
        with pytest.raises(PlanningError, match="targets are strings") as info:
            parse_targets(bad)  # type: ignore[arg-type]
        assert info.value.column == "target"


@pytest.mark.parametrize(("text", "shown"), [
    ("fill_rate>=0.9999995", "fill_rate>=0.9999995"),  # the finding: printed as fill_rate>=1
    ("avg_cost<=1234567.5", "avg_cost<=1234567.5"),  # was avg_cost<=1.23457e+06
    ("waste_rate<=0.0000123456789", "waste_rate<=1.23456789e-05"),
    ("carbon_kg<=300.0", "carbon_kg<=300"), ("avg_cost<=1e20", "avg_cost<=1e+20"),
    ("fill_rate>=-0", "fill_rate>=0"), ("spec_cost<=-0.0", "spec_cost<=0"),  # -0 is 0 (it printed as -0)
])
def test_a_target_prints_its_level_exactly(text: str, shown: str) -> None:
    target = KPITarget.parse(text)
    assert str(target) == shown and KPITarget.parse(str(target)) == target
    assert str(target.level) != "-0.0"
    assert list(LagrangianMultipliers([target]).as_dict()) == [shown]


@given(kpi=st.sampled_from(sorted(KPI_RANGES)), op=st.sampled_from([">=", "<="]),
       fraction=st.floats(0.0, 1.0), big=st.floats(-1e300, 1e300))
@settings(max_examples=300, deadline=None)
def test_str_and_parse_round_trip(kpi: str, op: str, fraction: float, big: float) -> None:
    low, high = KPI_RANGES[kpi]
    level = fraction if high == 1.0 else (abs(big) if low == 0.0 else big)
    target = KPITarget(kpi, op, level)
    assert KPITarget.parse(str(target)) == target
    assert not str(target).endswith(".0")


@pytest.mark.parametrize(("kpi", "op", "level", "column"), [
    (["fill_rate"], ">=", 0.9, "target"),  # the finding: TypeError unhashable type: 'list'
    ("fill_rate", [">="], 0.9, "target"),
    ("fill_rate", ">=", True, "fill_rate"),  # read as the level 1
    ("fill_rate", ">=", "0.9", "fill_rate"),  # text read as a number
    ("fill_rate", ">=", 1j, "fill_rate"),
    ("fill_rate", ">=", np.array([0.9, 0.8]), "fill_rate"),
])
def test_a_target_of_the_wrong_kind_is_refused(kpi: object, op: object, level: object, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        KPITarget(kpi, op, level)  # type: ignore[arg-type]
    assert info.value.column == column


@pytest.mark.parametrize(("options", "column"), [
    ({"learning_rate": [0.1, 0.2, 0.3]}, "learning_rate"),  # numpy's broadcast error for two targets
    ({"learning_rate": "x"}, "learning_rate"), ({"learning_rate": [[0.1, 0.2]]}, "learning_rate"),
    ({"learning_rate": True}, "learning_rate"),
    ({"initial": "1"}, "initial"), ({"max_value": "1"}, "max_value"),  # TypeErrors from math.isfinite / >=
    ({"initial": 2.0, "max_value": 1.0}, "initial"), ({"max_value": np.nan}, "max_value"),
    ({"scale": {"fill_rte": 5.0}}, "scale"),  # the finding: a scale of no target's KPI was ignored
    ({"scale": {"fill_rate": "x"}}, "scale"), ({"scale": {"fill_rate": np.inf}}, "scale"),
    ({"scale": {"fill_rate": 0.0}}, "scale"), ({"scale": [("fill_rate", 2.0)]}, "scale"),
])
def test_lagrangian_multipliers_refuse_bad_arguments(options: dict, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        LagrangianMultipliers(["fill_rate>=0.9", "waste_rate<=0.1"], **options)
    assert info.value.column == column


def test_lagrangian_multipliers_take_one_rate_per_target_and_an_unbounded_cap() -> None:
    both = LagrangianMultipliers(["fill_rate>=0.9", "waste_rate<=0.1"], learning_rate=[0.1, 0.2],
                                 max_value=np.inf, scale={"waste_rate": 2.0})
    np.testing.assert_array_equal(both.learning_rate, [0.1, 0.2])
    np.testing.assert_array_equal(both.scale, [1.0, 2.0])
    assert both.max_value == np.inf
    np.testing.assert_array_equal(LagrangianMultipliers(["fill_rate>=0.9"], learning_rate=[0.3]).learning_rate, [0.3])


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, "x", None, True])
def test_an_unmeasured_achieved_kpi_is_refused_and_does_not_poison_the_multipliers(value: object) -> None:
    """The finding: update({"fill_rate": nan}) set the multiplier to NaN, and every later update kept it NaN."""
    multipliers = LagrangianMultipliers(["fill_rate>=0.9"], initial=1.0)
    for step in (multipliers.update, multipliers.bonus, multipliers.slack):
        with pytest.raises(PlanningError, match="finite") as info:
            step({"fill_rate": value})  # type: ignore[dict-item]
        assert info.value.column == "fill_rate"
    assert multipliers.update({"fill_rate": 0.5}) == pytest.approx([1.0 + 0.05 * 0.4])
    assert len(multipliers.history) == 2


def test_docs_list_exactly_the_kpis_a_target_may_name() -> None:
    """The finding: reward.md said "any KPI of Ledger.summary() or RewardSpec.evaluate", but stock_value_change,
    periods, reward and spec_<term> are refused."""
    import re
    from pathlib import Path

    docs = " ".join((Path(__file__).parents[2] / "docs" / "reward.md").read_text().split())
    listed = docs.split("a KPI of `KPI_RANGES`", 1)[1].split("(not `stock_value_change`", 1)[0]
    assert set(re.findall(r"`([a-z_]+)`", listed)) == set(KPI_RANGES)
    for refused in ("stock_value_change<=0", "periods>=10", "reward>=0", "spec_holding<=5"):
        with pytest.raises(PlanningError, match="unknown KPI"):
            KPITarget.parse(refused)


@pytest.mark.parametrize(("kpi", "scenario", "reason"), [
    ("waste_rate", "single_sku", "perishable"), ("waste_units", "multi_10", "perishable"),
    ("waste_cost", "single_sku", "perishable"), ("overflow_units", "single_sku", "capacity"),
    ("overflow_cost", "single_sku", "capacity"),
])
def test_waste_without_a_perishable_sku_and_overflow_without_a_capacity_are_refused(
    kpi: str, scenario: str, reason: str
) -> None:
    """The finding: ``waste_rate<=0.01`` on single_sku (nothing expires) and ``overflow_units`` without a capacity
    were accepted and reported as met, the KPI being 0 whatever the weights (carbon_kg without factors was refused
    for the same reason)."""
    from hybridinv.reward import RewardSpec, check_kpis_defined, enforce_targets
    from hybridinv.reward.tune import tune
    from hybridinv.rl.objective import TrainingObjective

    with pytest.raises(PlanningError, match=reason) as info:
        check_kpis_defined([kpi], scenarios.get(scenario), RewardSpec())
    assert (info.value.column, info.value.value) == ("target", kpi)
    assert "\n" not in str(info.value)
    with pytest.raises(PlanningError, match=reason):
        tune(scenario, [f"{kpi}<=1"], trials=1, seeds=1, periods=10)
    with pytest.raises(PlanningError, match=reason):
        enforce_targets(scenario, [f"{kpi}<=1"])
    with pytest.raises(PlanningError, match=reason):
        TrainingObjective(targets=[f"{kpi}<=1"]).check_scenario(scenarios.get(scenario))


def test_waste_on_a_perishable_scenario_and_overflow_with_a_capacity_are_accepted() -> None:
    from hybridinv.reward import check_kpis_defined

    check_kpis_defined(["waste_rate", "waste_units", "waste_cost", "overflow_units"], scenarios.get("perishable"), None)
    check_kpis_defined(["overflow_units", "overflow_cost"], scenarios.get("multi_10"), None)
