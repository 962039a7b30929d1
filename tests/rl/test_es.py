"""Evolution strategies and the residual hybrid agent (hybridinv/rl/es.py, hybridinv/rl/residual.py)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from hybridinv import scenarios
from hybridinv.core.errors import ConstraintViolationWarning
from hybridinv.envs import GLOBAL_FEATURES, SKU_FEATURES
from hybridinv.policies.rq import CappedBaseStock
from hybridinv.rl import SharedPolicyNetwork
from hybridinv.rl.es import ESConfig, centered_ranks, evolve, expected_generations, flatten, unflatten
from hybridinv.rl.residual import ResidualHybrid, zero_output
from hybridinv.sim.simulator import Simulator


def _network(seed: int = 0, hidden: int = 8) -> SharedPolicyNetwork:
    return SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=hidden, seed=seed)


def test_flatten_roundtrip_and_ranks() -> None:
    net = _network()
    theta = flatten(net)
    again = unflatten(net, theta)
    for key in net.weights:
        np.testing.assert_array_equal(again.weights[key], net.weights[key])
    with pytest.raises(ValueError):
        unflatten(net, theta[:-1])
    assert centered_ranks(np.array([3.0, 1.0, 2.0])).tolist() == [0.5, -0.5, 0.0]


def test_zero_output_reproduces_capped_base_stock_orders_on_multi_10() -> None:
    """With a zero output layer the residual agent places exactly the capped base-stock orders (repair included)."""
    scenario = scenarios.get("multi_10")
    agent = ResidualHybrid(zero_output(_network(3)))
    agent.reset(scenario)
    base = CappedBaseStock(repair="fast").fit(scenario)
    sim = Simulator(scenario, periods=30)
    obs = sim.reset(seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        while not sim.done:
            orders = agent.act(obs)
            np.testing.assert_array_equal(orders, base.act(obs))
            obs = sim.step(orders)


def test_evolve_is_deterministic_and_minimizes_a_quadratic() -> None:
    target = np.linspace(-1.0, 1.0, 6)

    def cost(thetas: np.ndarray, seeds: object) -> np.ndarray:
        return ((thetas - target) ** 2).sum(axis=1)

    config = ESConfig(population=10, sigma=0.1, learning_rate=0.05, generations=150, eval_every=10, eval_seeds=(0,))
    first = evolve(cost, np.zeros(6), config)
    second = evolve(cost, np.zeros(6), config)
    np.testing.assert_array_equal(first.theta, second.theta)
    assert first.best["avg_cost"] < 0.1 * first.start["avg_cost"]


class _RecordingBar:
    """Stands in for tqdm: records the total and the count."""

    made: list[_RecordingBar] = []

    def __init__(self, total: int, **_: object) -> None:
        self.total, self.n = total, 0
        _RecordingBar.made.append(self)

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, **_: object) -> None:
        pass

    def close(self) -> None:
        pass


def test_expected_generations_follows_the_time_limit() -> None:
    config = ESConfig(generations=1000, time_limit=3.0)
    assert expected_generations(10, 1.0, config) == 30  # 0.1 s a generation, 2 s left
    assert expected_generations(10, 5.0, config) == 10  # past the limit: no more
    assert expected_generations(0, 0.0, config) == 1000  # no rate yet
    assert expected_generations(10, 1.0, ESConfig(generations=1000)) == 1000  # no limit
    assert expected_generations(10, 0.001, config) == 1000  # the generation count binds


def test_es_progress_bar_ends_at_the_generations_run_under_a_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", _RecordingBar)
    _RecordingBar.made.clear()

    def cost(thetas: np.ndarray, seeds: object) -> np.ndarray:
        time.sleep(0.01)
        return (thetas**2).sum(axis=1)

    config = ESConfig(population=4, generations=1000, eval_every=1000, time_limit=0.3, eval_seeds=(0,))
    result = evolve(cost, np.ones(3), config, progress=True)
    (bar,) = _RecordingBar.made
    assert 5 < result.generations < 1000
    assert bar.n == result.generations
    assert abs(bar.total - result.generations) <= 2  # the total tracks the limit instead of 1000


def test_es_bar_total_follows_the_stop_rules_pace_with_a_slow_first_evaluation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The bar's pace counted the first evaluation (slow here) and not the evaluations between generations: its
    total said one generation more than the run made at every step. Now the total is set where the stop rule
    decides, at its pace: the total shown while the last generation runs is the generations made."""
    import tqdm.auto

    seen: list[tuple[int, int]] = []

    class Bar(_RecordingBar):
        def update(self, n: int = 1) -> None:
            super().update(n)
            seen.append((self.n, self.total))

    import hybridinv.rl.es as es_module

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    _RecordingBar.made.clear()
    clock = [0.0]  # a fake clock: the test does not depend on the machine's speed
    monkeypatch.setattr(es_module.time, "perf_counter", lambda: clock[0])

    def cost(thetas: np.ndarray, seeds: object) -> np.ndarray:
        clock[0] += 0.12 if thetas.shape[0] == 1 else 0.04  # an evaluation, a generation
        return (thetas**2).sum(axis=1)

    config = ESConfig(population=4, generations=1000, eval_every=1, time_limit=1.0, eval_seeds=(0,))
    result = evolve(cost, np.ones(3), config, progress=True)
    assert 2 < result.generations < 1000
    assert seen[-1] == (result.generations, result.generations)
    assert all(total >= n for n, total in seen)


def test_no_generation_starts_that_would_end_past_the_time_limit() -> None:
    def cost(thetas: np.ndarray, seeds: object) -> np.ndarray:
        time.sleep(0.05 * thetas.shape[0])  # 0.05 s per member: 0.2 s a generation, 0.05 s an evaluation
        return (thetas**2).sum(axis=1)

    config = ESConfig(population=4, generations=1000, eval_every=1000, time_limit=1.0, eval_seeds=(0,),
                      seeds_per_generation=1)
    start = time.perf_counter()
    result = evolve(cost, np.ones(3), config)
    seconds = time.perf_counter() - start
    # generations start at 0.05, 0.25, 0.45, 0.65 and end at 0.85; the one starting at 0.85 would end at
    # 1.05, past the limit (it ran: the check was only whether the limit had passed)
    assert result.generations in (3, 4) and seconds < 1.0  # 3 on a loaded machine, where each step is slower


def _per_episode_costs(make_policy, scenario, thetas, seeds, periods, baseline=None, harm_weight=0.0):  # type: ignore[no-untyped-def]
    """The cost function's value computed one episode at a time with run_episode."""
    from hybridinv.sim.runner import run_episode

    out = []
    for theta in thetas:
        costs = []
        for seed in seeds:
            cost = run_episode(make_policy(theta), scenario, seed, periods)[0].summary()["avg_cost"]
            if baseline is not None:
                ratio = cost / run_episode(baseline, scenario, seed, periods)[0].summary()["avg_cost"]
                cost = ratio + harm_weight * max(ratio - 1.0, 0.0)
            costs.append(cost)
        out.append(np.mean(costs))
    return np.array(out)


def test_policy_cost_function_runs_the_seeds_of_a_member_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batched episodes give the per-episode costs, with and without a baseline; run_episode is not called."""
    from hybridinv.policies import BaseStock
    from hybridinv.rl.es import policy_cost_function
    from hybridinv.sim import runner

    scenario = scenarios.get("multi_10")
    base = BaseStock.fit(scenario)

    def make_policy(theta: np.ndarray) -> BaseStock:
        return BaseStock(np.ceil(np.asarray(base.level) * theta[0]))

    thetas, seeds = np.array([[0.8], [1.1]]), [0, 5, 2]
    expected = _per_episode_costs(make_policy, scenario, thetas, seeds, 30)
    expected_relative = _per_episode_costs(make_policy, scenario, thetas, seeds, 30, base, 2.0)
    calls: list[int] = []
    original = runner.run_episode
    monkeypatch.setattr(runner, "run_episode", lambda *a, **k: calls.append(1) or original(*a, **k))
    cost = policy_cost_function(scenario, make_policy, periods=30)
    np.testing.assert_allclose(cost(thetas, seeds), expected, rtol=1e-12)
    relative = policy_cost_function(scenario, make_policy, periods=30, baseline=base, harm_weight=2.0)
    np.testing.assert_allclose(relative(thetas, seeds), expected_relative, rtol=1e-12)
    assert calls == []


def test_adaptive_hybrid_cost_is_the_same_batched() -> None:
    from hybridinv.rl.adaptive import AdaptiveHybrid, zero_weights
    from hybridinv.rl.es import policy_cost_function

    scenario = scenarios.get("perishable")

    def make_policy(theta: np.ndarray) -> AdaptiveHybrid:
        weights = zero_weights()
        weights[0, 0] = theta[0]
        return AdaptiveHybrid(weights)

    thetas, seeds = np.array([[0.0], [0.3]]), [1, 4]
    expected = _per_episode_costs(make_policy, scenario, thetas, seeds, 25)
    np.testing.assert_allclose(policy_cost_function(scenario, make_policy, periods=25)(thetas, seeds), expected,
                               rtol=1e-12)
    assert expected[0] != expected[1]


def test_policy_cost_function_batches_members_in_worker_processes() -> None:
    from hybridinv.policies import BaseStock
    from hybridinv.rl.es import policy_cost_function

    scenario = scenarios.get("multi_10")
    base = BaseStock.fit(scenario)

    def make_policy(theta: np.ndarray) -> BaseStock:
        return BaseStock(np.ceil(np.asarray(base.level) * theta[0]))

    thetas, seeds = np.array([[0.9], [1.2], [1.0]]), [2, 3]
    expected = _per_episode_costs(make_policy, scenario, thetas, seeds, 20, base, 1.0)
    cost = policy_cost_function(scenario, make_policy, periods=20, workers=2, baseline=base, harm_weight=1.0)
    try:
        np.testing.assert_allclose(cost(thetas, seeds), expected, rtol=1e-12)
    finally:
        cost.pool.terminate()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "value"),
    [("population", 5), ("population", 0), ("sigma", float("nan")), ("sigma", 0.0), ("learning_rate", -0.1),
     ("generations", 0), ("seeds_per_generation", 1.5), ("eval_every", 0), ("eval_seeds", ()),
     ("eval_seeds", (-1,)), ("eval_seeds", (3, 4, 3)), ("time_limit", -1.0), ("weight_decay", -0.5),
     ("seed", True)],
)
def test_es_config_refuses_bad_values_naming_the_field(field: str, value: object) -> None:
    """A NaN sigma used to pass the check and fail later as 'weights must be finite'."""
    from hybridinv.core.errors import PlanningError
    from hybridinv.rl.es import ESConfig

    with pytest.raises(PlanningError) as info:
        ESConfig(**{field: value})  # type: ignore[arg-type]
    assert info.value.column == field


def test_relative_training_records_the_real_average_cost_beside_the_ratio() -> None:
    """With a baseline, ES scores a member by its cost over the baseline's on the same episode: that ratio is
    ``cost``, and ``avg_cost`` stays the member's own average cost per period (it was the ratio before)."""
    from hybridinv.policies import BaseStock
    from hybridinv.rl.es import policy_cost_function
    from hybridinv.sim.runner import run_episode

    scenario = scenarios.get("multi_10")
    baseline = BaseStock.fit(scenario)
    fitted = np.asarray(baseline.level, dtype=np.float64)

    def make(theta: np.ndarray) -> BaseStock:
        return BaseStock(level=np.maximum(fitted * (1.0 + theta[0]), 0.0))

    seeds, periods = (0, 1), 12
    cost = policy_cost_function(scenario, make, periods, baseline=baseline)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        result = evolve(cost, np.array([0.5]), ESConfig(population=2, generations=1, eval_seeds=seeds))

        def own(policy: BaseStock) -> np.ndarray:
            return np.array([run_episode(policy, scenario, seed, periods)[0].summary()["avg_cost"] for seed in seeds])

        member, reference = own(make(np.array([0.5]))), own(baseline)
    start = result.start
    assert start["avg_cost"] == pytest.approx(member.mean(), rel=1e-12)
    assert start["cost"] == pytest.approx((member / reference).mean(), rel=1e-12)
    assert start["cost"] > 1.0 and start["avg_cost"] > 10 * start["cost"]  # a 50% higher level costs more


def test_a_time_limit_stop_evaluates_the_generations_since_the_last_evaluation() -> None:
    """3 generations with eval_every=5 returned the starting point: only generation 0 was ever evaluated."""

    def cost(thetas: np.ndarray, seeds: object) -> np.ndarray:
        time.sleep(0.02 * thetas.shape[0])
        return ((thetas - 3.0) ** 2).sum(axis=1)

    config = ESConfig(population=4, generations=1000, eval_every=1000, learning_rate=0.3, time_limit=0.5,
                      eval_seeds=(0,), seeds_per_generation=1)
    result = evolve(cost, np.zeros(2), config)
    assert 1 <= result.generations < 1000
    assert [entry["generation"] for entry in result.history] == [0.0, float(result.generations)]
    assert result.best["generation"] == result.generations  # the moved mean is closer to 3 than the start
    assert not np.array_equal(result.theta, np.zeros(2))


@pytest.mark.parametrize(
    ("field", "value"),
    [("population", 4.0), ("generations", 3.0), ("generations", np.float64(3)), ("seeds_per_generation", 2.0),
     ("eval_every", 2.0), ("seed", 1.0), ("population", np.int64(4))],
)
def test_es_config_stores_whole_number_floats_as_ints_that_evolve_runs_with(field: str, value: object) -> None:
    """ESConfig(generations=3.0) passed the check, then evolve failed on range(1, 4.0) with a TypeError."""
    config = ESConfig(**{"population": 4, "generations": 3, "eval_seeds": (0,), field: value})  # type: ignore[arg-type]
    assert type(getattr(config, field)) is int and getattr(config, field) == value
    assert config.eval_seeds == (0,) and type(config.eval_seeds) is tuple
    result = evolve(lambda thetas, seeds: (thetas**2).sum(axis=1), np.ones(2), config)
    assert result.generations == config.generations
