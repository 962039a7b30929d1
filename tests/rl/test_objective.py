"""Training objectives: reward spec cost, KPI targets with Lagrangian multipliers, incumbent leash
(hybridinv/rl/objective.py, wired into ES, PPO and ``hybridinv train``)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hybridinv import PlanningError, scenarios
from hybridinv.reward import RewardSpec
from hybridinv.rl.adaptive import AdaptiveHybrid, train_adaptive, zero_weights
from hybridinv.rl.es import ESConfig
from hybridinv.rl.objective import ConstrainedReward, TrainingObjective, objective_verdict
from hybridinv.sim.runner import run_episode


def test_lagrangian_and_dual_step_by_hand() -> None:
    objective = TrainingObjective(targets=["fill_rate>=0.95", "waste_rate<=0.1"], multiplier_rate=10.0)
    objective.scale = 100.0
    objective.multipliers = np.array([2.0, 0.5])
    # rows: [cost, fill_rate, waste_rate, deviation]
    values = np.array([[110.0, 0.90, 0.05, 0.0], [90.0, 0.97, 0.20, 0.0]])
    # 1.1 + 2 (0.95 - 0.90) + 0.5 (0.05 - 0.1) = 1.175;  0.9 + 2 (-0.02) + 0.5 (0.1) = 0.91
    np.testing.assert_allclose(objective.score(values), [1.175, 0.91])
    objective.update(values)  # mean fill 0.935 (gap 0.015), mean waste 0.125 (gap 0.025)
    np.testing.assert_allclose(objective.multipliers, [2.0 + 0.15, 0.5 + 0.25])
    objective.update(np.array([[100.0, 1.0, 0.0, 0.0]]))  # both met with room: multipliers fall, not below 0
    np.testing.assert_allclose(objective.multipliers, [2.15 - 0.5, 0.0])


def test_feasible_first_selection() -> None:
    feasible_dear = {"avg_cost": 10.0, "violation": 0.0}
    infeasible_cheap = {"avg_cost": 5.0, "violation": 0.01}
    infeasible_closer = {"avg_cost": 50.0, "violation": 0.001}
    assert TrainingObjective.better(feasible_dear, infeasible_cheap)
    assert not TrainingObjective.better(infeasible_cheap, feasible_dear)
    assert TrainingObjective.better(infeasible_closer, infeasible_cheap)
    assert TrainingObjective.better({"avg_cost": 4.0}, {"avg_cost": 5.0})  # no targets: plain cost


def test_measurements_match_the_ledger_and_the_spec() -> None:
    scenario = scenarios.get("multi_10")
    policy = AdaptiveHybrid(zero_weights())
    spec = RewardSpec(holding=2.0)
    objective = TrainingObjective(spec=spec, targets=["fill_rate>=0.9"])
    values = objective.measure(policy, scenario, seed=3, periods=30)
    ledger, _ = run_episode(policy, scenario, 3, 30)
    assert values[0] == pytest.approx(spec.evaluate(ledger)["spec_cost"])
    assert values[1] == pytest.approx(ledger.summary()["fill_rate"])
    assert values[2] == 0.0  # no incumbent, no deviation


def test_deviation_from_the_incumbent_is_zero_for_the_incumbent_itself() -> None:
    from hybridinv.policies.registry import make

    scenario = scenarios.get("multi_10")
    objective = TrainingObjective(incumbent="base_stock", deviation_weight=1.0)
    same = objective.measure(make("base_stock", scenario), scenario, seed=1, periods=25)
    other = objective.measure(AdaptiveHybrid(zero_weights()), scenario, seed=1, periods=25)
    assert same[-1] == 0.0 and other[-1] > 0.0


def test_deviation_is_in_units_of_the_demand_process_mean_when_the_catalog_has_none() -> None:
    # the finding: a catalog read from a CSV (history training) has demand_mean NaN, and the deviation was NaN

    scenario = scenarios.get("multi_10")
    blank = scenario.replace(catalog=scenario.catalog.with_values(demand_mean=np.full(scenario.n_skus, np.nan)))
    assert np.allclose(scenario.catalog.demand_mean, scenario.demand.mean)  # so both scales must agree
    objective = TrainingObjective(incumbent="base_stock", deviation_weight=1.0)
    policy = AdaptiveHybrid(zero_weights())
    known = objective.measure(policy, scenario, seed=1, periods=25)
    missing = objective.measure(policy, blank, seed=1, periods=25)
    assert np.isfinite(missing[-1]) and missing[-1] > 0.0
    assert missing[-1] == pytest.approx(known[-1])


def test_bad_objectives_are_refused() -> None:
    with pytest.raises(PlanningError, match="incumbent"):
        TrainingObjective(deviation_weight=1.0)
    with pytest.raises(PlanningError, match="unknown incumbent"):
        TrainingObjective(incumbent="nope")
    with pytest.raises(PlanningError, match="multiplier_rate"):
        TrainingObjective(targets=["fill_rate>=0.9"], multiplier_rate=-1.0)
    with pytest.raises(PlanningError, match="per-period"):
        ConstrainedReward(TrainingObjective(targets=["profit>=0"]), reward_scale=1.0)
    with pytest.raises(PlanningError, match="carbon_kg target needs a reward spec"):  # as ES's measurements
        ConstrainedReward(TrainingObjective(targets=["carbon_kg<=5"]), reward_scale=1.0)


def test_per_period_carbon_target_is_measured_with_the_spec_factors() -> None:
    """The finding: a carbon_kg target was accepted for PPO/SAC but the period KPIs had no carbon_kg (KeyError)."""
    from hybridinv.policies import BaseStock
    from hybridinv.reward import CarbonTerm

    scenario = scenarios.get("multi_10")
    spec = RewardSpec(carbon=CarbonTerm(shipped_kg=0.5, held_kg=0.25, price=1.0))
    ledger, _ = run_episode(BaseStock.fit(scenario), scenario, 4, 30)
    hook = ConstrainedReward(TrainingObjective(spec=spec, targets=["carbon_kg<=1e9"]), reward_scale=1.0)
    for t in range(30):
        hook.period_reward(ledger, t)
    # by hand: 0.5 kg per unit ordered plus 0.25 kg per unit held at the end of the period, measured periods
    by_hand = (0.5 * ledger.ordered_units[:30] + 0.25 * ledger.held_units[:30])[ledger.warmup:]
    assert by_hand.sum() > 0
    assert hook.rollout_kpis()["carbon_kg"] == pytest.approx(float(by_hand.mean()))
    assert hook.rollout_kpis()["carbon_kg"] == pytest.approx(spec.evaluate(ledger, 30)["carbon_kg"])
    hook.end_rollout()
    assert hook.objective.multipliers[0] == 0.0  # met with room to spare: the multiplier stays at 0


def test_carbon_targets_need_emission_factors() -> None:
    """Without factors every plan emits 0 kg: the target would be met by anything, so it is refused."""
    for spec in (None, RewardSpec(shortage=2.0)):
        with pytest.raises(PlanningError, match="emission factors"):
            ConstrainedReward(TrainingObjective(spec=spec, targets=["carbon_kg<=5"]), reward_scale=1.0)
        objective = TrainingObjective(spec=spec, targets=["carbon_kg<=5"])
        with pytest.raises(PlanningError, match="emission factors"):
            objective.measure(AdaptiveHybrid(zero_weights()), scenarios.get("multi_10"), seed=1, periods=8)


def test_rollout_kpis_aggregate_to_the_episode_kpis_that_judge_the_targets() -> None:
    """The finding: the dual step saw the mean of per-period ratios, warm-up included (fill rate 0.980 where the
    episode filled 0.965, waste rate half the episode's). Ratios of sums over the measured periods instead."""
    from hybridinv.policies import BaseStock

    scenario = scenarios.get("perishable")
    ledger, _ = run_episode(BaseStock.fit(scenario), scenario, 2, 60)
    targets = ["fill_rate>=0.5", "waste_rate<=0.9", "cycle_service_level>=0.1", "avg_cost<=1e9"]
    hook = ConstrainedReward(TrainingObjective(targets=targets), reward_scale=100.0)
    for t in range(60):
        hook.period_reward(ledger, t)
    summary = ledger.summary()
    assert summary["waste_rate"] > 0.0  # the perishable scenario wastes: the check has teeth
    achieved = hook.rollout_kpis()
    for kpi in ("fill_rate", "waste_rate", "cycle_service_level", "avg_cost"):
        assert achieved[kpi] == pytest.approx(summary[kpi], rel=1e-9), kpi


def test_two_targets_on_one_kpi_count_it_once_and_a_cost_slack_is_on_the_reward_scale() -> None:
    from hybridinv.policies import BaseStock

    scenario = scenarios.get("multi_10")
    ledger, _ = run_episode(BaseStock.fit(scenario), scenario, 3, 30)
    summary = ledger.summary()
    band = ConstrainedReward(TrainingObjective(targets=["fill_rate>=0.01", "fill_rate<=0.9999"]), 1.0)
    for t in range(30):
        band.period_reward(ledger, t)
    band.end_rollout()  # both met: neither multiplier moves (before, the sum of both counts read 1.47)
    np.testing.assert_array_equal(band.objective.multipliers, [0.0, 0.0])
    level = 0.5 * summary["avg_cost"]  # missed by half the cost
    objective = TrainingObjective(targets=[f"avg_cost<={level}"], multiplier_rate=2.0)
    cost = ConstrainedReward(objective, reward_scale=250.0)
    for t in range(30):
        cost.period_reward(ledger, t)
    cost.end_rollout()
    # one dual step: rate x shortfall in units of the reward scale (not in raw cost units)
    assert objective.multipliers[0] == pytest.approx(2.0 * (summary["avg_cost"] - level) / 250.0)
    with pytest.raises(PlanningError, match="per-period"):
        ConstrainedReward(TrainingObjective(targets=["waste_units<=3"]), 1.0)  # an episode total


def test_es_multipliers_do_not_depend_on_the_currency_or_the_count_unit() -> None:
    """The finding: ES counted a cost target's slack in raw money, so ``avg_cost<=15000`` missed by 3,000 took
    its multiplier to 60,000 in one step (a fill rate missed by 0.1 to 2) and the Lagrangian's ranking changed
    with the currency. Money slacks now count in the start's cost, count KPIs relative to their level."""
    rng = np.random.default_rng(4)
    cost = rng.uniform(14_000, 20_000, 8)
    fill = rng.uniform(0.80, 0.97, 8)
    waste = rng.uniform(20, 120, 8)
    values = np.column_stack([cost, cost, fill, waste, np.zeros(8)])
    targets = ["avg_cost<=15000", "fill_rate>=0.95", "waste_units<=50"]
    plain = TrainingObjective(targets=targets)
    scores = plain.score(values)
    plain.update(values)
    c0 = float(np.abs(cost).mean())
    # independent arithmetic: each shortfall in its unit (c0, 1, the level), times the rate 20
    expected = 20.0 * np.array([(cost.mean() - 15_000) / c0, 0.95 - fill.mean(), (waste.mean() - 50) / 50])
    np.testing.assert_allclose(plain.multipliers, np.maximum(expected, 0.0), rtol=1e-12)
    # the same episodes in cents and in tens of units: same ranking, same multipliers
    cents = TrainingObjective(targets=["avg_cost<=1500000", "fill_rate>=0.95", "waste_units<=5"])
    scaled = values * np.array([100.0, 100.0, 1.0, 0.1, 1.0])
    assert np.array_equal(np.argsort(cents.score(scaled)), np.argsort(scores))
    cents.update(scaled)
    np.testing.assert_allclose(cents.multipliers, plain.multipliers, rtol=1e-12)


def test_an_infinite_kpi_gives_a_finite_fitness() -> None:
    """The finding: a member that held no stock has ``inventory_turns = inf``; with the multiplier still at 0
    its fitness was 0 x -inf = NaN (a RuntimeWarning, and NaN ranks arbitrarily in ES)."""
    values = np.array([[100.0, np.inf, 0.0], [90.0, 5.0, 0.0], [95.0, 12.0, 0.0]])
    at_least = TrainingObjective(targets=["inventory_turns>=8"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitness = at_least.score(values)
        np.testing.assert_allclose(fitness, values[:, 0] / values[:, 0].mean())  # lambda 0: the cost alone
        at_least.multipliers = np.array([2.0])
        # met by more than one slack unit (the level, 8) earns one unit, no more: inf and 16+ count alike
        np.testing.assert_allclose(at_least.score(values), values[:, 0] / 95.0 + 2.0 * np.array([-1.0, 3 / 8, -0.5]))
        at_most = TrainingObjective(targets=["inventory_turns<=8"])
        at_most.update(values)
    assert np.isfinite(at_most.multipliers).all() and at_most.multipliers[0] > 0


def _es(generations: int) -> ESConfig:
    return ESConfig(population=6, generations=generations, seeds_per_generation=2, eval_every=2,
                    eval_seeds=(11, 12, 13), learning_rate=0.1)


def test_es_with_a_target_keeps_a_model_that_meets_it() -> None:
    """single_sku: the base has fill rate 0.98; cost-only ES trades it below 0.97, the target keeps it."""
    scenario = scenarios.get("single_sku")
    free_policy, free = train_adaptive(scenario, None, _es(6), periods=200)
    held_policy, held = train_adaptive(scenario, None, _es(6), periods=200,
                                       objective=TrainingObjective(targets=["fill_rate>=0.97"]))
    assert free.best["avg_cost"] < free.start["avg_cost"]
    judge = TrainingObjective(targets=["fill_rate>=0.97"])

    def fill_rate(policy: AdaptiveHybrid) -> float:
        return float(np.mean([judge.measure(policy, scenario, s, 200)[1] for s in (11, 12, 13)]))

    assert fill_rate(free_policy) < 0.97  # cheaper, but below the target
    assert held.best["violation"] == 0.0 and fill_rate(held_policy) == pytest.approx(held.best["fill_rate"])
    assert held.best["fill_rate"] >= 0.97


def test_multiplier_grows_while_the_target_is_missed() -> None:
    scenario = scenarios.get("multi_10")
    objective = TrainingObjective(targets=["fill_rate>=0.99"])
    _, result = train_adaptive(scenario, None, _es(4), periods=40, objective=objective)
    lambdas = [h["lambda[fill_rate>=0.99]"] for h in result.history]
    assert all(h["violation"] > 0 for h in result.history)  # 0.99 is out of reach in 4 generations
    assert lambdas[0] == 0.0 and all(b > a for a, b in zip(lambdas, lambdas[1:], strict=False))


def test_cli_train_with_reward_spec_and_target(tmp_path: Path) -> None:
    from hybridinv.cli import main

    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(RewardSpec(shortage=2.0).to_toml())
    out = tmp_path / "model"
    args = ["train", "--scenario", "multi_10", "--algo", "adaptive", "--reward", str(spec_file),
            "--target", "fill_rate>=0.99", "--population", "2", "--generations", "1", "--seeds-per-generation",
            "1", "--eval-seeds", "1", "--eval-every", "1", "--workers", "1", "--out", str(out), "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "targets NOT met" in result.output
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["reward_spec"]["kind"] == "es_objective"
    assert meta["reward_spec"]["targets"] == ["fill_rate>=0.99"]
    assert meta["reward_spec"]["spec"]["weights"]["shortage"] == 2.0
    bad = CliRunner().invoke(main, ["train", "--algo", "adaptive", "--deviation-weight", "1", "--out",
                                    str(tmp_path / "x"), "--quiet"])
    # an option's value: a usage error naming the option (exit 2; until 2026-12-06 exit 1, unlike --target)
    assert bad.exit_code == 2 and "--deviation-weight" in bad.output and "incumbent" in bad.output
    for option, value in (("--multiplier-rate", "-1"), ("--incumbent", "nosuch")):
        bad = CliRunner().invoke(main, ["train", "--algo", "adaptive", option, value, "--deviation-weight", "1",
                                        "--out", str(tmp_path / "x"), "--quiet"])
        assert bad.exit_code == 2 and option in bad.output, bad.output


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_ppo_with_a_target_steps_the_multiplier_per_rollout(tmp_path: Path) -> None:
    pytest.importorskip("stable_baselines3")
    from hybridinv.rl.training import TrainConfig, train

    config = TrainConfig(scenario="multi_10", algo="hybrid", timesteps=256, n_steps=64, batch_size=64, n_epochs=1,
                         eval_every=128, eval_seeds=(1,), eval_periods=20, hidden=8)
    objective = TrainingObjective(targets=["fill_rate>=0.999"], multiplier_rate=1.0)
    result = train(config, tmp_path / "ppo", progress=False, objective=objective)
    assert objective.multipliers[0] > 0.0  # missed in every rollout: the multiplier rose
    assert "violation" in result.best and "fill_rate" in result.best
    meta = json.loads((tmp_path / "ppo" / "metadata.json").read_text())
    assert meta["reward_spec"]["kind"] == "constrained_period_reward"
    assert meta["reward_spec"]["multipliers"] == pytest.approx(list(objective.multipliers))
    # "scale" is the period reward's divisor, the objective's c_0 is its own entry (c_0 overwrote it)
    assert meta["reward_spec"]["cost_scale"] == pytest.approx(objective.scale)
    assert meta["reward_spec"]["scale"] != pytest.approx(objective.scale)


def test_training_refuses_a_target_the_scenario_cannot_measure(tmp_path: Path) -> None:
    """A budget target on single_sku (no budget) trained on, its multiplier rising every generation; tune refused
    the same target."""
    from hybridinv.rl.training import TrainConfig, train

    objective = TrainingObjective(targets=["budget_utilization>=0.5"])
    for algo in ("adaptive", "hybrid"):
        # small budgets: without the check this trains (briefly) and fails the raises below instead of hanging
        sizes = {"timesteps": 64, "n_steps": 32, "batch_size": 32, "eval_every": 64} if algo == "hybrid" else {}
        config = TrainConfig(scenario="single_sku", algo=algo, eval_seeds=(1,), eval_periods=10,  # type: ignore[arg-type]
                             time_limit=2.0, **sizes)
        with pytest.raises(PlanningError, match="no budget"):
            train(config, tmp_path / algo, progress=False, objective=objective)
    assert not (tmp_path / "adaptive").exists()


# ---------------------------------------------------------------- evaluation entries: real avg_cost, own keys
def _spec_costs(policy: object, scenario: object, spec: RewardSpec, seeds: tuple[int, ...], periods: int) -> dict:
    """Mean real average cost, spec cost and fill rate over ``seeds``, from the ledgers (independent of training)."""
    ledgers = [run_episode(policy, scenario, seed, periods)[0] for seed in seeds]
    return {"avg_cost": float(np.mean([ledger.summary()["avg_cost"] for ledger in ledgers])),
            "spec_cost": float(np.mean([spec.evaluate(ledger)["spec_cost"] for ledger in ledgers])),
            "fill_rate": float(np.mean([ledger.summary()["fill_rate"] for ledger in ledgers]))}


@pytest.mark.parametrize(("relative", "targets"), [(False, ["fill_rate>=0.9"]), (True, ["fill_rate>=0.9"]),
                                                  (False, ["fill_rate>=0.9", "avg_cost<=1e6"])])
def test_es_evaluations_keep_the_real_average_cost_and_the_objective_under_its_own_keys(relative: bool,
                                                                                       targets: list[str]) -> None:
    """The finding: ES validation stored the spec's cost (or the ratio to the base) as ``avg_cost`` in the history,
    ``best``, the model metadata and the progress bar; the Lagrangian it had computed was lost."""
    from hybridinv.sim.runner import simulate

    scenario = scenarios.get("multi_10")
    spec = RewardSpec(holding=3.0)
    config = ESConfig(population=4, generations=2, seeds_per_generation=1, eval_every=1, eval_seeds=(11, 12))
    objective = TrainingObjective(spec=spec, targets=targets, multiplier_rate=5.0)
    policy, result = train_adaptive(scenario, None, config, periods=40, relative=relative, objective=objective)
    truth = _spec_costs(policy, scenario, spec, (11, 12), 40)
    best = result.best
    assert best["avg_cost"] == pytest.approx(truth["avg_cost"], rel=1e-12)  # the ledger's, not the spec's
    assert best["avg_cost"] == pytest.approx(simulate(policy, scenario, seeds=[11, 12], periods=40)["avg_cost"].mean())
    base = _spec_costs(AdaptiveHybrid(zero_weights()), scenario, spec, (11, 12), 40)
    # the objective's cost: the spec's, relative to the base's on each episode when ES scores relative costs
    if relative:
        base_policy = AdaptiveHybrid(zero_weights())
        ratios = [_spec_costs(policy, scenario, spec, (s,), 40)["spec_cost"]
                  / _spec_costs(base_policy, scenario, spec, (s,), 40)["spec_cost"] for s in (11, 12)]
        assert best["cost"] == pytest.approx(np.mean(ratios), rel=1e-12)
    else:
        assert best["cost"] == pytest.approx(truth["spec_cost"], rel=1e-12)
    start = result.history[0]  # generation 0 is the base: the scale c0 is its cost
    assert start["avg_cost"] == pytest.approx(base["avg_cost"], rel=1e-12) and start["objective"] == pytest.approx(1.0)
    assert start["cost"] != pytest.approx(start["avg_cost"])  # the spec weighs holding three times
    for entry in result.history:  # the ES fitness at the validation, by hand: cost / c0 + lambda * shortfall
        shortfall = np.clip([0.9 - entry["fill_rate"], (entry["avg_cost"] - 1e6) / objective.scale][:len(targets)],
                            -1.0, None)
        lambdas = [entry[f"lambda[{target}]"] for target in objective.targets]
        assert entry["lagrangian"] == pytest.approx(entry["cost"] / objective.scale + np.dot(lambdas, shortfall))
        assert entry["objective"] == pytest.approx(entry["cost"] / objective.scale)


def test_the_es_progress_bar_shows_the_real_average_cost_and_the_objective() -> None:
    from hybridinv.rl.es import _postfix

    entry = {"avg_cost": 1536.26, "cost": 1604.46, "objective": 0.9731}
    assert _postfix(entry, train="1.02") == {"train": "1.02", "best": "1536.26", "objective": "0.9731"}
    assert _postfix({"avg_cost": 12.5}, train="13.00") == {"train": "13.00", "best": "12.50"}


def test_describe_names_the_objective_cost_apart_from_a_targeted_avg_cost() -> None:
    """With a spec and a target on avg_cost both the spec's cost and the real average cost are reported."""
    spec = RewardSpec(holding=3.0)
    verdict = _verdict([90.0, 120.0, 0.0], [100.0, 110.0, 0.0], spec=spec, targets=["avg_cost<=115"])
    trained, base = verdict["objective"]["trained"], verdict["objective"]["base"]
    assert (trained["cost"], trained["avg_cost"]) == (90.0, 120.0)
    assert (base["cost"], base["avg_cost"]) == (100.0, 110.0)
    assert verdict["accepted"] is False and "the trained weights miss avg_cost<=115" in verdict["reason"]
    plain = objective_verdict(TrainingObjective(), np.array([95.0, 0.0]), np.array([100.0, 0.0]))
    assert plain["accepted"] is True and plain["objective"]["trained"] == {"cost": 95.0, "objective": 0.95}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_sb3_evaluations_keep_the_simulated_average_cost_under_an_objective(tmp_path: Path) -> None:
    """The finding: PPO/SAC evaluations merged the objective's entries over evaluate()'s, so ``avg_cost`` became the
    spec's cost (1847 where the policy cost 1752 per period on multi_10)."""
    pytest.importorskip("stable_baselines3")
    from hybridinv.rl.training import TrainConfig, train

    config = TrainConfig(scenario="multi_10", algo="hybrid", timesteps=128, n_steps=64, batch_size=64, n_epochs=1,
                         eval_every=64, eval_seeds=(1, 2), eval_periods=20, hidden=8)
    spec = RewardSpec(holding=3.0)
    result = train(config, tmp_path / "ppo", progress=False, objective=TrainingObjective(spec=spec))
    truth = _spec_costs(result.policy, scenarios.get("multi_10"), spec, (1, 2), 20)  # the kept (best) policy
    assert result.best["avg_cost"] == pytest.approx(truth["avg_cost"], rel=1e-9)
    assert result.best["cost"] == pytest.approx(truth["spec_cost"], rel=1e-9)
    assert result.best["cost"] != pytest.approx(result.best["avg_cost"])
    meta = json.loads((tmp_path / "ppo" / "metadata.json").read_text())
    assert meta["evaluation"]["best"]["avg_cost"] == pytest.approx(truth["avg_cost"], rel=1e-9)


# ---------------------------------------------------------------- the training gate under an objective
def _verdict(trained: list[float], base: list[float], **objective: object) -> dict:
    return objective_verdict(TrainingObjective(**objective), np.array(trained), np.array(base))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("trained", "base", "decision", "says"),
    [
        # [cost, fill_rate, deviation]; target fill_rate >= 0.95
        ([90.0, 0.93, 0.0], [100.0, 0.96, 0.0], "base", "miss fill_rate>=0.95 on the held-out periods, which the base"),
        ([90.0, 0.96, 0.0], [100.0, 0.97, 0.0], "trained", "and the trained weights have a lower objective"),
        ([110.0, 0.99, 0.0], [100.0, 0.96, 0.0], "base", "but the trained weights have no lower objective"),
        ([120.0, 0.95, 0.0], [100.0, 0.90, 0.0], "trained", "the base misses fill_rate>=0.95"),
        ([130.0, 0.93, 0.0], [100.0, 0.90, 0.0], "trained", "miss by less than the base"),
        ([90.0, 0.90, 0.0], [100.0, 0.93, 0.0], "base", "do not miss by less than the base"),
        ([90.0, 0.90, 0.0], [100.0, 0.90, 0.0], "trained", "both miss by as much"),
        ([100.0, 0.96, 0.0], [100.0, 0.96, 0.0], "base", "have no lower objective"),  # a tie keeps the base
    ],
)
def test_the_training_gate_ranks_targets_first_then_cost(trained: list[float], base: list[float], decision: str,
                                                         says: str) -> None:
    verdict = _verdict(trained, base, targets=["fill_rate>=0.95"])
    judged = verdict["objective"]
    assert judged["decision"] == decision and verdict["accepted"] is (decision == "trained")
    assert says in verdict["reason"] and verdict["reason"].endswith(
        "the trained weights are kept" if decision == "trained" else "the model is the base")
    assert judged["targets"] == ["fill_rate>=0.95"]
    assert judged["met"] == {"trained": {"fill_rate>=0.95": trained[1] >= 0.95},
                             "base": {"fill_rate>=0.95": base[1] >= 0.95}}
    assert judged["trained"]["fill_rate"] == trained[1] and judged["base"]["fill_rate"] == base[1]
    assert judged["trained"]["violation"] == pytest.approx(max(0.95 - trained[1], 0.0))
    assert judged["trained"]["objective"] == pytest.approx(trained[0] / base[0])  # cost relative to the base's


def test_the_training_gate_prices_the_deviation_from_the_incumbent_and_leaves_the_objective_alone() -> None:
    objective = TrainingObjective(incumbent="base_stock", deviation_weight=0.2, scale=7.0)
    # trained: 95/100 + 0.2 * 0.5 = 1.05; base: 1 + 0.2 * 0.1 = 1.02 -> the cheaper trained weights lose
    verdict = objective_verdict(objective, np.array([95.0, 0.5]), np.array([100.0, 0.1]))
    assert verdict["accepted"] is False and verdict["objective"]["targets"] == []
    assert verdict["objective"]["trained"]["objective"] == pytest.approx(1.05)
    assert verdict["objective"]["base"]["objective"] == pytest.approx(1.02)
    assert "the trained weights have no lower objective than the base" in verdict["reason"]
    assert objective.scale == 7.0  # the trained objective's scale is not overwritten
    cheaper = objective_verdict(objective, np.array([90.0, 0.2]), np.array([100.0, 0.1]))  # 0.94 < 1.02
    assert cheaper["accepted"] is True


def test_the_training_gate_compares_a_profit_spec_cost_below_zero_the_right_way_round() -> None:
    from hybridinv.reward.spec import ProfitTerm, RewardSpec

    spec = RewardSpec(profit=ProfitTerm())
    verdict = _verdict([-120.0, 0.97, 0.0], [-100.0, 0.96, 0.0], spec=spec, targets=["fill_rate>=0.95"])
    assert verdict["accepted"] is True and verdict["objective"]["cost"] == "spec_cost"  # more profit: kept
    assert verdict["objective"]["trained"]["objective"] == pytest.approx(-1.2)
    assert _verdict([-80.0, 0.97, 0.0], [-100.0, 0.96, 0.0], spec=spec, targets=["fill_rate>=0.95"])[
        "accepted"] is False


def test_utilization_of_an_unlimited_resource_is_zero_in_training_measurements() -> None:
    """The finding: NaN from Ledger.summary made every ES fitness NaN and the multiplier NaN for good (a history
    family draws episodes without limits); nothing of an unlimited budget is used."""
    objective = TrainingObjective(targets=["budget_utilization<=0.9", "capacity_utilization<=0.9"])
    unlimited = objective.measure(AdaptiveHybrid(zero_weights()), scenarios.get("single_sku"), seed=1, periods=10)
    np.testing.assert_array_equal(unlimited[1:3], [0.0, 0.0])
    limited = objective.measure(AdaptiveHybrid(zero_weights()), scenarios.get("multi_10"), seed=1, periods=10)
    assert np.isfinite(limited).all() and limited[1] > 0.0 and limited[2] > 0.0
