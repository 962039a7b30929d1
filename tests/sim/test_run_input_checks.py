"""simulate() and the simulators refuse bad seeds, horizons and policy orders with a PlanningError."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import PlanningError, scenarios
from hybridinv.policies import BaseStock
from hybridinv.sim import BatchSimulator, Simulator, simulate


@pytest.fixture(scope="module")
def scenario():
    return scenarios.single_sku(periods=20, warmup=0)


class _Fixed:
    name = "fixed"

    def __init__(self, orders):
        self.orders = orders

    def act(self, obs):
        return self.orders


@pytest.mark.parametrize("seeds", [0, -2, [-1], [1.5], [], "3", True, [True], [2, 3, 2]])
def test_simulate_refuses_bad_seeds(scenario, seeds):
    # seeds=0 returned an empty frame, [1.5] ran seed 1, [-1] raised numpy's error, [2, 3, 2] counted seed 2 twice
    with pytest.raises(PlanningError) as err:
        simulate(BaseStock(10), scenario, seeds=seeds)
    assert err.value.column == "seeds"


def test_seeds_given_as_numpy_values_run(scenario):
    frame = simulate(BaseStock(10), scenario, seeds=np.array([3, 4]))
    assert frame["seed"].tolist() == [3, 4]
    again = simulate(BaseStock(10), scenario, seeds=[3.0, 4.0])  # whole numbers written as floats
    columns = [c for c in frame.columns if c != "decision_time"]
    assert frame[columns].equals(again[columns])


def test_seeds_beyond_a_float_s_precision_stay_distinct(scenario):
    """Seeds went through a float: 2**53 and 2**53 + 1 sampled one path, and simulate refused them as one seed
    listed twice (seeds from ``secrets.randbits(64)`` are that large)."""
    big = 2**53
    first, second = scenario.sample(big), scenario.sample(big + 1)
    assert (first.seed, second.seed) == (big, big + 1)
    assert not np.array_equal(first.demand.realized, second.demand.realized)
    assert scenario.sample(2**64 + 12345).seed == 2**64 + 12345
    frame = simulate(BaseStock(10), scenario, seeds=[big, big + 1])
    assert frame["seed"].tolist() == [big, big + 1]
    with pytest.raises(PlanningError, match="whole number >= 0"):
        simulate(BaseStock(10), scenario, seeds=[-(10**400)])  # was float()'s OverflowError


@pytest.mark.parametrize("periods", [0, -1, 2.5, "5"])
def test_simulate_refuses_bad_periods(scenario, periods):
    # periods=0 silently ran the scenario's horizon, "5" ran 5 periods
    with pytest.raises(PlanningError) as err:
        simulate(BaseStock(10), scenario, seeds=1, periods=periods)
    assert err.value.column == "periods"


@pytest.mark.parametrize(("orders", "match"), [
    (np.array([np.nan]), "finite"), (np.array([-1.0]), "finite"), (np.array([np.inf]), "finite"),
    (np.ones(3), "shape"), ("x", "numbers"),
    (np.array(["1"]), "not booleans or text"), (np.array([True]), "not booleans or text"),  # were 1 unit each
])
@pytest.mark.parametrize("batch", [False, True])
def test_bad_policy_orders_name_the_sku(scenario, orders, match, batch):
    policy = _Fixed(orders)
    if batch:
        policy.act_batch = lambda obs: np.broadcast_to(orders, (obs.episodes, *np.shape(orders))) if not isinstance(
            orders, str) else orders
    with pytest.raises(PlanningError, match=match) as err:
        simulate(policy, scenario, seeds=2, batch=batch)
    assert err.value.column == "orders"
    if match == "finite":
        assert err.value.sku == "SKU-0"


def test_simulators_take_periods_as_given(scenario):
    assert Simulator(scenario, periods=7).periods == 7
    assert Simulator(scenario).periods == scenario.periods
    assert BatchSimulator(scenario, periods=3.0).periods == 3
    with pytest.raises(PlanningError, match="periods"):
        BatchSimulator(scenario, periods=0)


def test_zero_horizon_is_refused_everywhere(scenario):
    # `periods or default` read 0 as "the default horizon" in the scenario, the clairvoyant bound and the twin
    from hybridinv.policies.clairvoyant import clairvoyant_problem

    with pytest.raises(PlanningError) as err:
        scenario.sample(0, periods=0)
    assert err.value.column == "periods"
    with pytest.raises(PlanningError, match="periods"):
        clairvoyant_problem(scenario, 0, periods=0)
    assert scenario.sample(0, periods=None).demand.realized.shape[0] == scenario.periods + scenario.lookahead
    assert scenario.sample(0, periods=4.0).demand.realized.shape[0] == 4 + scenario.lookahead


@pytest.mark.parametrize("seed", ["1", -1, 1.5, True])
def test_a_path_seed_must_be_a_whole_number(scenario, seed):
    # "1" and 1.5 were numpy TypeErrors, -1 a ValueError, True drew seed 1
    with pytest.raises(PlanningError) as err:
        scenario.sample(seed)
    assert err.value.column == "seed"
    with pytest.raises(PlanningError, match="seed"):
        Simulator(scenario).reset(seed=seed)
    assert scenario.sample(np.int64(3)).seed == 3


def test_batch_must_be_a_bool(scenario):
    with pytest.raises(PlanningError, match="True or False") as err:  # batch="no" batched
        simulate(BaseStock(10), scenario, seeds=1, batch="no")
    assert err.value.column == "batch"


def test_a_policy_may_be_given_by_its_registered_name() -> None:
    # was AttributeError: 'str' object has no attribute 'act' (plan() and the CLI take names)
    from hybridinv.policies.registry import make

    by_name = simulate("base_stock", "multi_10", seeds=[1, 2], periods=8)
    fitted = simulate(make("base_stock", scenarios.get("multi_10")), "multi_10", seeds=[1, 2], periods=8)
    np.testing.assert_array_equal(by_name["avg_cost"], fitted["avg_cost"])
    with pytest.raises(PlanningError, match="unknown policy") as err:
        simulate("no_such_policy", "multi_10", seeds=1, periods=3)
    assert err.value.column == "policy"
    with pytest.raises(PlanningError, match="must be a policy") as err:
        simulate(None, "multi_10", seeds=1, periods=3)  # type: ignore[arg-type]
    assert err.value.column == "policy"


@pytest.mark.parametrize("bad", [5, None, {"name": "multi_10"}])
def test_the_scenario_must_be_a_scenario_or_a_name(bad):
    # was AttributeError: 'int' object has no attribute 'periods'
    with pytest.raises(PlanningError, match="must be a Scenario") as err:
        simulate(BaseStock(10), bad, seeds=1)
    assert err.value.column == "scenario"


@pytest.mark.parametrize("track", [[100], [-1], [1.5], ["a"], [True]])
def test_tracked_positions_must_be_skus_of_the_scenario(scenario, track):
    # 100 was an IndexError at the first step, -1 tracked the last SKU and 1.5 the second, without a word
    with pytest.raises(PlanningError) as err:
        Simulator(scenario, track=track)
    assert err.value.column == "track"


def test_tracked_positions_record_those_skus():
    scenario = scenarios.get("multi_10")
    sim = Simulator(scenario, periods=4, track=[2, 0])
    obs = sim.reset(seed=1)
    on_hand = []
    while not sim.done:
        obs = sim.step(np.zeros(scenario.n_skus))
        on_hand.append(obs.on_hand[[2, 0]])
    np.testing.assert_array_equal(sim.ledger.track_on_hand, np.array(on_hand))


@pytest.mark.parametrize("warmup", [52, 104])
def test_a_warmup_as_long_as_the_run_names_the_warmup(scenario, warmup):
    with pytest.raises(PlanningError, match="warmup < periods") as err:
        scenario.replace(periods=52, warmup=warmup)
    assert err.value.column == "warmup" and err.value.value == warmup


@pytest.mark.parametrize("path", ["x", 5, {}])
def test_reset_refuses_a_path_that_is_not_a_scenario_path(path):
    # the finding: reset(path="x") was "'str' object has no attribute 'demand'"
    with pytest.raises(PlanningError, match="must be a ScenarioPath") as info:
        Simulator(scenarios.get("multi_10"), periods=5).reset(path=path)
    assert info.value.column == "path"
