"""Meeting a fill-rate target by bisection, checked on held-out seeds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hybridinv import PlanningError, PlanningWarning, scenarios
from hybridinv.reward import (
    CarbonTerm,
    RewardSpec,
    base_stock_levels,
    confidence_interval,
    critical_ratio,
    enforce_targets,
    evaluate_policy,
)
from hybridinv.reward.enforce import policy_family, target_report
from hybridinv.reward.targets import KPITarget, parse_targets


def test_critical_ratio_and_levels_follow_the_newsvendor_formula() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=2, holding_cost=1.0, shortage_cost=9.0)
    assert critical_ratio(scenario.catalog, RewardSpec()) == pytest.approx([0.9])
    assert critical_ratio(scenario.catalog, RewardSpec(shortage=3.0)) == pytest.approx([27 / 28])
    carbon = RewardSpec(carbon=CarbonTerm(held_kg=2.0, price=0.5))  # adds 1 per unit held
    assert critical_ratio(scenario.catalog, carbon) == pytest.approx([9 / 11])
    # mean 15 over L+1 = 3 periods, std sqrt(15)
    expected = np.ceil(15 + stats.norm.ppf(0.9) * np.sqrt(15))
    assert base_stock_levels(scenario, 0.9) == pytest.approx([expected])


def test_confidence_interval_matches_student_t() -> None:
    values = np.array([1.0, 2.0, 4.0, 5.0])
    mean, low, high = confidence_interval(values)
    half = stats.t.ppf(0.975, 3) * values.std(ddof=1) / 2.0
    assert (mean, low, high) == pytest.approx((3.0, 3.0 - half, 3.0 + half))
    assert confidence_interval([2.0]) == (2.0, -math.inf, math.inf)  # one run says nothing about the spread
    assert confidence_interval([0.97], bounds=(0.0, 1.0)) == (0.97, 0.0, 1.0)
    report = target_report([parse_targets(["fill_rate>=0.95"])[0]], pd.DataFrame({"fill_rate": [0.97]}))
    assert bool(report["met"].iloc[0]) and not bool(report["confident"].iloc[0])  # was confident on one seed


def test_fill_rate_target_met_on_held_out_seeds() -> None:
    scenario = scenarios.single_sku(periods=400, warmup=20)
    # the cost-optimal ratio (w = 1) gives ~0.975 here, so 0.99 forces a higher shortage weight
    result = enforce_targets(scenario, ["fill_rate>=0.99"], train_seeds=6, eval_seeds=8)
    assert result.feasible
    assert result.shortage_weight > 1.0
    row = result.report.iloc[0]
    assert row["met"] and row["mean"] >= 0.99
    # independent check: simulate the chosen policy on further unseen seeds
    check = evaluate_policy(result.policy, scenario, range(100, 108))
    assert check.fill_rate.mean() >= 0.99
    # and the search did not overshoot: a clearly lower weight misses the target on training seeds
    tried = result.evaluations
    lower = tried[tried.shortage_weight < result.shortage_weight * 0.5]
    assert (lower.fill_rate < 0.99).any()
    assert result.spec.shortage == pytest.approx(result.shortage_weight)


def test_cost_optimal_weight_kept_when_target_is_slack_and_conflicting_targets_flagged() -> None:
    scenario = scenarios.single_sku(periods=200, warmup=10)
    easy = enforce_targets(scenario, ["fill_rate>=0.8"], train_seeds=4, eval_seeds=4)
    assert easy.feasible and easy.shortage_weight <= 1.0 and easy.all_met
    clash = enforce_targets(scenario, ["fill_rate>=0.99", "avg_cost<=3.0"], train_seeds=3, eval_seeds=3,
                            iterations=4)
    assert not clash.feasible and not clash.all_met


def test_enforce_validation() -> None:
    with pytest.raises(PlanningError, match="at least one"):
        enforce_targets("single_sku", [])
    with pytest.raises(PlanningError, match="differ"):
        enforce_targets("single_sku", ["fill_rate>=0.9"], train_seeds=[0, 5], eval_seeds=[5])
    with pytest.raises(PlanningError, match="must not exceed the second"):
        enforce_targets("single_sku", ["fill_rate>=0.9"], weight_range=(5.0, 1.0))
    with pytest.raises(PlanningError, match="low < high"):  # an empty range: nothing to bisect
        enforce_targets("single_sku", ["fill_rate>=0.9"], weight_range=(2.0, 2.0))


def test_one_training_seed_says_its_targets_are_judged_without_a_standard_error() -> None:
    """With one training seed the standard error was taken as 0 without a word: every target judged on one value as
    if certain, against the documented z standard-error rule."""
    with pytest.warns(PlanningWarning, match="one training seed has no standard error"):
        enforce_targets("single_sku", ["fill_rate>=0.9"], train_seeds=1, eval_seeds=1, periods=50, iterations=2)


def test_rate_interval_is_the_t_interval_clipped_to_the_range() -> None:
    # two fill rates: the plain t-interval leaves [0, 1]; clipped, it is the whole range
    t_mean, t_low, t_high = confidence_interval([0.50, 0.84])
    assert t_low < 0.0 and t_high > 1.0
    assert confidence_interval([0.50, 0.84], bounds=(0.0, 1.0)) == (t_mean, 0.0, 1.0)
    # a run exactly on the bound is an ordinary value, not an outlier (the logit interval gave [0.78, 1.0])
    values = [0.98, 0.99, 1.0, 0.995, 0.99]
    half = 2.776445105 * np.std(values, ddof=1) / math.sqrt(5)  # t quantile 0.975 with 4 degrees of freedom
    mean, low, high = confidence_interval(values, bounds=(0.0, 1.0))
    assert mean == pytest.approx(0.991) and low == pytest.approx(0.991 - half) and high == 1.0
    assert low > 0.97
    # many central values: the same as the plain interval
    central = 0.5 + 0.02 * np.random.default_rng(0).standard_normal(200)
    assert confidence_interval(central, bounds=(0.0, 1.0)) == confidence_interval(central)
    # all on the bound: a point interval at the bound
    assert confidence_interval([1.0, 1.0, 1.0], bounds=(0.0, 1.0)) == (1.0, 1.0, 1.0)
    # one-sided ranges: only that side is clipped
    assert confidence_interval([1.0, 3.0], bounds=(0.0, math.inf)) == (2.0, 0.0, confidence_interval([1.0, 3.0])[2])


@pytest.mark.parametrize(("option", "value", "column"), [
    ("iterations", 2.5, "iterations"), ("z", -1.0, "z"), ("margin", np.nan, "margin"),
    ("weight_range", ("0.1", 10.0), "weight_range"), ("weight_range", 5.0, "weight_range"),  # a TypeError
    ("train_seeds", [3, 3], "train_seeds"), ("eval_seeds", "2", "eval_seeds"), ("periods", "10", "periods"),
    ("policy", 3, "policy"),  # "'int' object is not callable" in the first step of the search
])
def test_enforce_targets_refuses_options_of_the_wrong_kind(option: str, value: object, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        enforce_targets("single_sku", ["fill_rate>=0.5"], **{"train_seeds": 1, "periods": 10, option: value})
    assert info.value.column == column


def test_a_base_spec_without_a_shortage_weight_is_refused_by_both_searches() -> None:
    """The finding: weights.shortage = 0 made every multiple 0, so tune and enforce_targets tried one spec over
    and over and reported a "chosen" weight that changed nothing."""
    from hybridinv.reward import RewardSpec
    from hybridinv.reward.tune import tune

    spec = RewardSpec.from_toml("[weights]\nshortage = 0.0\n")
    for search in (lambda: enforce_targets("single_sku", ["fill_rate>=0.9"], spec=spec, train_seeds=1, periods=10),
                   lambda: tune("single_sku", ["fill_rate>=0.9"], spec=spec, trials=1, seeds=1, periods=10)):
        with pytest.raises(PlanningError, match="shortage weight") as info:
            search()
        assert info.value.column == "weights.shortage" and info.value.value == 0.0


def test_infinite_runs_make_an_infinite_mean_and_interval() -> None:
    """The finding: infinities were dropped, so inventory_turns of inf on every seed were feasible in training
    (pandas' mean: inf) and NaN, not met, in the held-out report."""
    assert confidence_interval([2.0, math.inf, 3.0], bounds=(0.0, math.inf)) == (math.inf, math.inf, math.inf)
    assert confidence_interval([math.inf, math.inf]) == (math.inf, math.inf, math.inf)
    mean, low, high = confidence_interval([math.inf, -math.inf])
    assert math.isnan(mean) and math.isnan(low) and math.isnan(high)
    assert confidence_interval([math.inf], bounds=(0.0, math.inf)) == (math.inf, 0.0, math.inf)  # one seed
    # a run that did not measure the KPI is left out, as pandas' mean leaves it out
    assert confidence_interval([0.5, math.nan, 0.7])[0] == pytest.approx(0.6)
    report = target_report([KPITarget.parse("inventory_turns>=3")],
                           pd.DataFrame({"inventory_turns": [math.inf, math.inf, 4.0]}))
    assert report.met.iloc[0] and report.confident.iloc[0] and report["mean"].iloc[0] == math.inf


def test_inventory_turns_without_any_unit_cost_is_refused() -> None:
    from hybridinv.reward import check_kpis_defined
    from hybridinv.reward.tune import tune

    free = scenarios.get("single_sku")  # unit_cost 0: the audit's tune run was feasible (inf) and not met (NaN)
    assert (free.catalog.unit_cost == 0).all()
    with pytest.raises(PlanningError, match="unit_cost") as info:
        check_kpis_defined(["inventory_turns"], free, None)
    assert info.value.value == "inventory_turns"
    with pytest.raises(PlanningError, match="unit_cost"):
        tune(free, ["inventory_turns>=3"], trials=1, seeds=1, periods=10)
    with pytest.raises(PlanningError, match="unit_cost"):
        enforce_targets(free, ["inventory_turns>=3"], train_seeds=1, periods=10)
    check_kpis_defined(["inventory_turns"], scenarios.get("multi_10"), None)


@pytest.mark.parametrize(("options", "column"), [
    ({"level": 95}, "level"), ({"level": 0.0}, "level"), ({"level": 1.0}, "level"),  # 95 gave a NaN interval
    ({"level": float("nan")}, "level"), ({"level": "0.95"}, "level"), ({"level": True}, "level"),
    ({"bounds": (1.0, 0.0)}, "bounds"), ({"bounds": (0.0, 0.0)}, "bounds"),  # (1, 0): every interval (1, 0)
    ({"bounds": (0.0, 1.0, 2.0)}, "bounds"), ({"bounds": 1.0}, "bounds"), ({"bounds": ("0", 1.0)}, "bounds"),
    ({"bounds": (math.nan, 1.0)}, "bounds"),
])
def test_confidence_interval_refuses_a_bad_level_or_bounds(options: dict, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        confidence_interval([0.9, 0.95, 0.97], **options)
    assert info.value.column == column


def test_confidence_interval_takes_infinite_bounds_and_target_report_checks_its_level() -> None:
    assert confidence_interval([1.0, 3.0], bounds=(-math.inf, math.inf)) == confidence_interval([1.0, 3.0])
    assert confidence_interval([1.0, 3.0], bounds=[0, math.inf])[1] == 0.0
    with pytest.raises(PlanningError) as info:
        target_report(parse_targets(["fill_rate>=0.9"]), pd.DataFrame({"fill_rate": [0.9, 0.95]}), level="0.9")
    assert info.value.column == "level"
    with pytest.raises(PlanningError) as info:
        confidence_interval(["a", "b"])
    assert info.value.column == "values"


def test_enforce_and_evaluate_policy_read_a_spec_mapping_and_refuse_other_specs() -> None:
    """The finding: evaluate_policy(spec={...}) was an AttributeError (so was enforce_targets with a dict)."""
    scenario = scenarios.get("multi_10")
    policy = policy_family("base_stock", scenario, None)(np.full(10, 0.9))
    as_dict = evaluate_policy(policy, scenario, 1, spec={"weights": {"holding": 2.0}}, periods=20)
    as_spec = evaluate_policy(policy, scenario, 1, spec=RewardSpec(holding=2.0), periods=20)
    pd.testing.assert_frame_equal(as_dict, as_spec)
    for call in (lambda: evaluate_policy(policy, scenario, 1, spec=[1], periods=20),  # type: ignore[arg-type]
                 lambda: enforce_targets("single_sku", ["fill_rate>=0.5"], spec=2.0, train_seeds=1,  # type: ignore[arg-type]
                                         periods=10)):
        with pytest.raises(PlanningError) as info:
            call()
        assert info.value.column == "spec"
    with pytest.raises(PlanningError) as info:
        evaluate_policy(policy, None, 1)  # type: ignore[arg-type]
    assert info.value.column == "scenario"
    result = enforce_targets("single_sku", ["fill_rate>=0.5"], spec={"weights": {"shortage": 2.0}}, train_seeds=1,
                             periods=10, iterations=1)
    assert result.spec.shortage == pytest.approx(2.0 * result.shortage_weight)


def test_evaluate_policy_takes_a_registered_policy_name() -> None:
    """The finding: evaluate_policy("base_stock", ...) was "'str' object has no attribute 'act'"."""
    from hybridinv.policies.classical import BaseStock
    from hybridinv.policies.registry import make

    scenario = scenarios.get("multi_10")
    by_name = evaluate_policy("base_stock", scenario, [1], periods=20)
    pd.testing.assert_frame_equal(by_name, evaluate_policy(make("base_stock", scenario), scenario, [1], periods=20))
    for policy in (3, BaseStock):  # the class for an instance
        with pytest.raises(PlanningError) as info:
            evaluate_policy(policy, scenario, 1, periods=20)  # type: ignore[arg-type]
        assert info.value.column == "policy"
    with pytest.raises(PlanningError):
        evaluate_policy("no_such_policy", scenario, 1, periods=20)


def test_target_report_names_a_missing_kpi_column() -> None:
    with pytest.raises(PlanningError) as info:  # a KeyError
        target_report(parse_targets(["fill_rate>=0.9", "avg_cost<=100"]), pd.DataFrame({"fill_rate": [0.9, 0.95]}))
    assert info.value.column == "evaluation" and info.value.value == "avg_cost"


def test_a_zero_width_interval_is_met_but_not_confident() -> None:
    """Two short runs both filling every unit gave [95% CI 1, 1] and "confident" for fill_rate>=0.999."""
    report = target_report([KPITarget.parse("fill_rate>=0.999")], pd.DataFrame({"fill_rate": [1.0, 1.0]}))
    assert report.met.iloc[0] and not report.confident.iloc[0]
    spread = target_report([KPITarget.parse("fill_rate>=0.9")], pd.DataFrame({"fill_rate": [0.99, 0.995, 1.0]}))
    assert spread.confident.iloc[0]  # an interval with a width above the level still is


def test_target_report_takes_target_strings_and_measures_capacity_use_above_one() -> None:
    # a string was an AttributeError; capacity use (above 1 while stock above the capacity is sold down) was
    # clipped as a rate: mean 1.05 with the interval [1.02, 1.0] and "confident" that 1.05 <= 1 is not met
    evaluation = pd.DataFrame({"capacity_utilization": [1.02, 1.05, 1.08], "fill_rate": [0.9, 0.92, 0.94]})
    report = target_report("capacity_utilization<=1", evaluation)
    row = report.iloc[0]
    assert row["mean"] == pytest.approx(1.05)
    half = stats.t.ppf(0.975, 2) * np.std([1.02, 1.05, 1.08], ddof=1) / np.sqrt(3)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((1.05 - half, 1.05 + half))
    assert not row["met"]
    assert KPITarget.parse("capacity_utilization<=1.2").level == 1.2  # was refused as a rate above 1
    both = target_report(["fill_rate>=0.9", KPITarget.parse("capacity_utilization<=1.2")], evaluation)
    assert list(both["kpi"]) == ["fill_rate", "capacity_utilization"]


def test_docs_name_the_kpi_ranges_intervals_are_clipped_to() -> None:
    """docs/reward.md listed capacity utilization with the rates whose interval is clipped to [0, 1], but
    KPI_RANGES bounds it only below (it goes above 1); and it left out that the critical ratio is clipped."""
    from pathlib import Path

    from hybridinv.reward import KPI_RANGES

    rates = {kpi for kpi, bounds in KPI_RANGES.items() if bounds == (0.0, 1.0)}
    assert rates == {"fill_rate", "cycle_service_level", "waste_rate"}
    _, _, high = confidence_interval([1.1, 1.3], bounds=KPI_RANGES["capacity_utilization"])
    assert high > 1.3  # not clipped at 1
    docs = " ".join((Path(__file__).parents[2] / "docs" / "reward.md").read_text().split())
    sentence = docs.split("Each interval is clipped to the KPI's range in `KPI_RANGES`", 1)[1].split(")", 1)[0]
    assert "[0, 1] for fill rate, cycle service level and waste rate" in sentence
    assert "capacity utilization" not in docs.split("`confident`: the whole interval does)", 1)[1].split(".", 1)[0]
    catalog = scenarios.single_sku(holding_cost=1.0, shortage_cost=9.0).catalog
    assert critical_ratio(catalog, RewardSpec(shortage=1e9)) == pytest.approx([0.9999])
    assert critical_ratio(catalog, RewardSpec(shortage=1e-9)) == pytest.approx([0.01])
    assert "`hybridinv.reward.critical_ratio`, clipped to [0.01, 0.9999]" in docs


@pytest.mark.parametrize("values", [None, math.nan, [], [math.nan, math.nan], np.array([np.nan])])
def test_confidence_interval_refuses_values_without_a_measured_run(values: object) -> None:
    with pytest.raises(PlanningError) as info:
        confidence_interval(values)  # type: ignore[arg-type]
    assert info.value.column == "values"


def test_confidence_interval_drops_nan_runs_and_the_report_keeps_an_unmeasured_kpi_unmet() -> None:
    assert confidence_interval([1.0, math.nan, 3.0]) == confidence_interval([1.0, 3.0])  # documented
    report = target_report([parse_targets(["fill_rate>=0.95"])[0]],
                           pd.DataFrame({"fill_rate": [math.nan, math.nan]}))
    assert math.isnan(report["mean"].iloc[0]) and math.isnan(report["ci_low"].iloc[0])
    assert not bool(report["met"].iloc[0]) and not bool(report["confident"].iloc[0])
