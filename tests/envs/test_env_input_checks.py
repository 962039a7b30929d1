"""The environments refuse what made them silently wrong or crash obscurely.

Findings: a registry name raised "'str' object is not callable"; ``periods=0`` and
``reward_scale=0`` fell back to the defaults and a negative scale flipped the reward; a NaN
action ordered nothing (a comparison with NaN is false) and a short one was indexed without a
word; ``output_bounds`` without a parameterization were ignored.
"""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import PlanningError, scenarios
from hybridinv.envs import OrderEnv, TargetEnv
from hybridinv.network.env import NetworkEnv


def test_a_registry_name_is_a_scenario() -> None:
    env = OrderEnv("multi_10", periods=3)
    assert env.scenario.name == scenarios.get("multi_10").name and env.n_skus == 10
    obs, _ = env.reset(seed=0)
    assert np.isfinite(obs).all()


def test_a_scenario_source_must_give_scenarios() -> None:
    with pytest.raises(PlanningError) as info:
        OrderEnv(42)  # type: ignore[arg-type]
    assert info.value.column == "scenario"
    with pytest.raises(PlanningError, match="must return a Scenario"):
        OrderEnv(lambda rng: "multi_10")  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize(("options", "column"), [
    ({"periods": 0}, "periods"), ({"periods": 2.5}, "periods"), ({"reward_scale": 0.0}, "reward_scale"),
    ({"reward_scale": -1.0}, "reward_scale"), ({"reward_scale": float("nan")}, "reward_scale"),
    ({"reward_spec": "cost"}, "reward_spec"),  # an AttributeError at the first step
])
@pytest.mark.parametrize("env_class", [OrderEnv, TargetEnv])
def test_bad_options_are_refused(env_class: type, options: dict, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        env_class("multi_10", **options)
    assert info.value.column == column


def test_a_given_reward_scale_divides_the_cost() -> None:
    env = OrderEnv("multi_10", periods=3, reward_scale=2.0)
    env.reset(seed=1)
    _, reward, *_, info = env.step(np.zeros(env.action_space.shape))
    assert reward == pytest.approx(-info["cost"] / 2.0)


@pytest.mark.parametrize("env_class", [OrderEnv, TargetEnv])
def test_bad_actions_name_the_sku(env_class: type) -> None:
    env = env_class("multi_10", periods=3)
    env.reset(seed=0)
    action = np.zeros(env.action_space.shape)
    action[-1] = np.nan  # the last entry belongs to the last SKU
    with pytest.raises(PlanningError, match="NaN or infinite") as info:
        env.step(action)
    assert info.value.column == "action" and info.value.sku == str(env.scenario.catalog.sku[-1])
    with pytest.raises(PlanningError, match=r"has shape \(3,\) \(3 values\)") as info:
        env.step(np.zeros(3))
    assert info.value.column == "action"
    env.step(np.zeros(env.action_space.shape))  # a good action still runs


@pytest.mark.parametrize("env_class", [OrderEnv, TargetEnv])
def test_an_action_of_another_shape_is_refused_not_reshaped(env_class: type) -> None:
    # the finding: the values of a TargetEnv action as (n, 2) rows and as its (2, n) transpose were both flattened and
    # reshaped, the transpose silently onto the wrong SKUs (other orders); SB3 passes exactly the space's flat shape
    env = env_class("multi_10", periods=3)
    env.reset(seed=0)
    (size,) = env.action_space.shape
    per_sku = np.linspace(-1.0, 1.0, size).reshape(env.n_skus, -1)
    for action in (per_sku, per_sku.T, per_sku.reshape(1, -1), per_sku.reshape(-1, 1), np.float64(0.5)):
        with pytest.raises(PlanningError, match="the action space's shape is") as info:
            env.step(action)
        assert info.value.column == "action" and info.value.value == np.shape(action)
    env.step(per_sku.reshape(-1).astype(np.float32))  # the space's own shape steps


@pytest.mark.parametrize("env_class", [OrderEnv, TargetEnv])
def test_text_boolean_and_complex_actions_are_refused(env_class: type) -> None:
    # the finding: np.array(["0.5"] * n), booleans and [True] * n stepped as numbers; complex ones a ComplexWarning
    env = env_class("multi_10", periods=3)
    env.reset(seed=0)
    shape = env.action_space.shape
    for action in (np.full(shape, "0.5"), np.ones(shape, bool), [True] * int(np.prod(shape)), np.full(shape, 1 + 0j)):
        with pytest.raises(PlanningError, match="must be numbers, not booleans or text") as info:
            env.step(action)
        assert info.value.column == "action"
    env.step(np.zeros(shape, dtype=np.float32))  # SB3's float32 actions still step


@pytest.mark.parametrize("path_seed", ["x", 3.7, -1, True, "3"])
@pytest.mark.parametrize("env_class", [OrderEnv, TargetEnv])
def test_a_path_seed_must_be_a_whole_number(env_class: type, path_seed: object) -> None:
    # the finding: 3.7 was cut to 3 without a word, "x" was a bare ValueError
    with pytest.raises(PlanningError) as info:
        env_class("multi_10", periods=3).reset(seed=0, options={"path_seed": path_seed})
    assert (info.value.column, info.value.value) == ("path_seed", path_seed)


@pytest.mark.parametrize("env_class", [OrderEnv, TargetEnv])
def test_a_path_seed_of_none_is_one_drawn(env_class: type) -> None:
    # the finding: None was a TypeError from int(); it now means "not given", as the key left out does
    env = env_class("multi_10", periods=3)
    drawn = env.reset(seed=5)
    none = env.reset(seed=5, options={"path_seed": None})
    assert none[1] == drawn[1] and np.array_equal(none[0], drawn[0])
    assert env.reset(seed=5, options={"path_seed": 7.0})[1] == {"path_seed": 7}
    assert env.reset(seed=5, options={"path_seed": np.int64(7)})[1] == {"path_seed": 7}


def test_output_bounds_need_a_parameterization() -> None:
    with pytest.raises(PlanningError) as info:
        TargetEnv("multi_10", output_bounds=(np.full(2, -1.0), np.ones(2)))
    assert info.value.column == "output_bounds"


def test_network_env_checks_its_scale_and_actions() -> None:
    with pytest.raises(PlanningError) as info:
        NetworkEnv("owmr_10x50", reward_scale=0.0)
    assert info.value.column == "reward_scale"
    env = NetworkEnv("owmr_10x50", periods=3)
    env.reset(seed=0)
    for action in (np.zeros(env.action_space.shape[0] + 1), np.full(env.action_space.shape, np.nan),
                   np.zeros((1, *env.action_space.shape))):
        with pytest.raises(PlanningError) as info:
            env.step(action)
        assert info.value.column == "action"


def test_switches_and_parameterizations_of_the_wrong_kind_are_refused() -> None:
    with pytest.raises(PlanningError) as info:  # "no" scaled the orders to the constraints
        OrderEnv("multi_10", scale_to_constraints="no")  # type: ignore[arg-type]
    assert info.value.column == "scale_to_constraints"
    with pytest.raises(PlanningError) as info:  # 'str' object has no attribute 'for_repair'
        TargetEnv("multi_10", parameterization="forecast_ss")  # type: ignore[arg-type]
    assert info.value.column == "parameterization"


@pytest.mark.parametrize("options", [{"pathseed": 3}, {"path_seed": 3, "seed": 4}, ["path_seed", 3]])
@pytest.mark.parametrize("env_class", [OrderEnv, TargetEnv])
def test_reset_refuses_options_it_does_not_know(env_class: type, options: object) -> None:
    # the finding: a misspelled {"pathseed": 3} was ignored, so the episode ran on a path drawn from the
    # generator instead of the path of seed 3; a list was an AttributeError
    env = env_class("multi_10", periods=3)
    with pytest.raises(PlanningError) as info:
        env.reset(seed=0, options=options)
    assert info.value.column == "options"
    assert env.reset(seed=0, options={})[1] == env.reset(seed=0)[1]  # no option is the drawn path
    assert env.reset(seed=0, options={"path_seed": 3})[1] == {"path_seed": 3}


def test_a_horizon_beyond_max_periods_is_refused_before_anything_is_allocated() -> None:
    """OrderEnv(periods=10**9), a Scenario of 10**9 periods and simulate(periods=10**9) were accepted and failed
    with a MemoryError when the first reset allocated the arrays."""
    from dataclasses import replace

    from hybridinv import simulate
    from hybridinv.core.limits import MAX_PERIODS

    scenario = scenarios.get("multi_10")
    for build in (lambda: OrderEnv(scenario, periods=MAX_PERIODS + 1), lambda: TargetEnv(scenario, periods=10**9),
                  lambda: replace(scenario, periods=10**9), lambda: simulate("base_stock", scenario, 1, 10**9)):
        with pytest.raises(PlanningError, match="at most 100,000") as info:
            build()
        assert info.value.column == "periods"
    assert OrderEnv(scenario, periods=MAX_PERIODS).periods == MAX_PERIODS  # the bound itself is a horizon


@pytest.mark.parametrize("bounds", [([-np.inf] * 4, [np.inf] * 4), ([1.0] * 4, [-1.0] * 4), ([-1.0] * 4,), 5,
                                    ([-1.0] * 3, [1.0] * 3), ([np.nan] * 4, [1.0] * 4)])
def test_output_bounds_are_two_finite_vectors_around_zero(bounds: object) -> None:
    # the finding: infinite bounds made the zero action (the base) NaN outputs, refused later as 'under_weight';
    # swapped ones were a bare ValueError, one bound an unpacking error and 5 a TypeError
    from hybridinv.rl.parameterizations import ForecastSSTargets

    with pytest.raises(PlanningError) as info:
        TargetEnv("multi_10", parameterization=ForecastSSTargets(), output_bounds=bounds)  # type: ignore[arg-type]
    assert info.value.column == "output_bounds"
    env = TargetEnv("multi_10", parameterization=ForecastSSTargets(), output_bounds=np.array([[-1.0] * 4, [1.0] * 4]))
    assert env.output_bounds is not None and env.output_bounds[1].tolist() == [1.0] * 4


@pytest.mark.parametrize("env_class", [OrderEnv, TargetEnv])
def test_the_default_reward_scale_of_a_scenario_without_demand_is_one_unit_of_cost(env_class: type) -> None:
    # the finding: 0.1 (h + p) . mean floored at 1e-6 without demand, so a step's reward was about -1e8
    from dataclasses import replace

    from hybridinv.envs.base import default_reward_scale

    base = scenarios.get("multi_10")
    catalog = base.catalog
    quiet = replace(base, demand=replace(base.demand, mean=base.demand.mean * 0.0))
    env = env_class(quiet, periods=3)
    assert env.reward_scale == pytest.approx(0.1 * float((catalog.holding_cost + catalog.shortage_cost).sum()))
    env.reset(seed=0)
    for _ in range(3):
        _, reward, *_, info = env.step(np.ones(env.action_space.shape, dtype=np.float32))
        assert reward == pytest.approx(-info["cost"] / env.reward_scale) and abs(reward) < 1e4
    # with demand the scale is unchanged; with neither demand nor holding and shortage costs it is 1
    assert env_class(base, periods=3).reward_scale == pytest.approx(
        0.1 * float((catalog.holding_cost + catalog.shortage_cost) @ base.demand.mean))
    free = replace(quiet, catalog=replace(catalog, holding_cost=catalog.holding_cost * 0.0,
                                          shortage_cost=catalog.shortage_cost * 0.0))
    assert default_reward_scale(free) == 1.0
