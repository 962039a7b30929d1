"""The linear hybrid agent (hybridinv/rl/linear.py): policy, vectorized population, exact link, training, files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridinv import PlanningError, scenarios
from hybridinv.exact import lost_sales_optimal, lost_sales_policy_cost
from hybridinv.policies.rq import CappedBaseStock
from hybridinv.rl import Hybrid, LinearHybrid, ModelFileError, load_model, save_model
from hybridinv.rl.es import ESConfig
from hybridinv.rl.hybrid import models_directory
from hybridinv.rl.linear import stock_by_arrival, tiled_costs, train_linear
from hybridinv.rl.variants import GRID_LEAD_TIMES, GRID_SHORTAGE_COSTS
from hybridinv.sim.runner import simulate
from hybridinv.sim.simulator import Simulator


def test_stock_by_arrival_counts_this_periods_arrival_as_usable_and_folds_late_slots() -> None:
    pipeline = np.array([[2.0, 3.0, 4.0, 5.0]])
    np.testing.assert_array_equal(stock_by_arrival([10.0], pipeline, 4), [[12.0, 3.0, 4.0, 5.0]])
    np.testing.assert_array_equal(stock_by_arrival([10.0], pipeline, 2), [[12.0, 12.0]])  # 3 + 4 + 5 folded
    np.testing.assert_array_equal(stock_by_arrival([10.0], np.zeros((1, 0)), 3), [[10.0, 0.0, 0.0]])


@pytest.mark.parametrize("lost_sales", [True, False])
def test_unit_weights_reproduce_capped_base_stock_orders(lost_sales: bool) -> None:
    """All weights one: the linear agent is the capped base-stock policy (levels in demand-scale units)."""
    scenario = scenarios.single_sku(mean=5.0, lead_time=3, shortage_cost=9.0, periods=60, lost_sales=lost_sales)
    agent = LinearHybrid(24 / 5, 6 / 5, np.ones(3), repair=None)
    base = CappedBaseStock(level=24.0, cap=6.0, repair=None)
    sim = Simulator(scenario)
    obs = sim.reset(seed=2)
    while not sim.done:
        orders = agent.act(obs)
        np.testing.assert_array_equal(orders, base.act(obs))
        obs = sim.step(orders)


def test_the_exact_model_state_is_what_the_simulator_shows() -> None:
    """state_policy applied to (on_hand + arriving now, later arrivals) gives the simulator's order every period."""
    scenario = scenarios.single_sku(mean=5.0, lead_time=3, shortage_cost=9.0, periods=80)
    agent = LinearHybrid(3.6, 1.2, [0.6, 0.8, 0.95], repair=None)
    on_states = agent.state_policy(5.0)
    sim = Simulator(scenario)
    obs = sim.reset(seed=7)
    while not sim.done:
        pipe = obs.pipeline[0]
        state = np.array([[obs.on_hand[0] + pipe[0], pipe[1], pipe[2]]], dtype=np.int64)
        orders = agent.act(obs)
        assert orders[0] == on_states(state)[0]
        obs = sim.step(orders)


def test_simulated_cost_converges_to_the_exact_cost() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=2, shortage_cost=19.0, periods=6000, warmup=50)
    agent = LinearHybrid(3.9, 1.5, [0.7, 0.9], repair=None)
    exact = lost_sales_policy_cost(agent.state_policy(5.0), 5.0, 2, 1.0, 19.0).average_cost
    costs = simulate(agent, scenario, seeds=range(12))["avg_cost"].to_numpy()
    half = 3.1 * costs.std(ddof=1) / np.sqrt(costs.size)  # 99.5% t-interval, 11 degrees of freedom
    assert abs(costs.mean() - exact) < half < 0.03 * exact


def test_tiled_population_costs_equal_simulate_for_every_member() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=2, shortage_cost=9.0, periods=300, warmup=20)
    thetas = np.array([[19 / 5, 6 / 5, 1.0, 1.0], [3.2, 1.1, 0.7, 0.9], [2.5, 2.0, 0.5, 1.2]])
    population = LinearHybrid(thetas[:, 0], thetas[:, 1], thetas[:, 2:], repair=None)
    costs = tiled_costs(scenario, [4, 5], population)
    for k, theta in enumerate(thetas):
        member = LinearHybrid(theta[0], theta[1], theta[2:], repair=None)
        expected = simulate(member, scenario, seeds=[4, 5])["avg_cost"].mean()
        assert costs[k] == pytest.approx(expected, rel=1e-12)


def test_training_improves_a_poor_start_and_the_model_file_round_trips(tmp_path: Path) -> None:
    """ES from a poor capped base-stock (S = 9, r = 12) lowers the exact cost; the file loads back, hash-checked."""
    scenario = scenarios.single_sku(mean=5.0, lead_time=1, shortage_cost=9.0, periods=600, warmup=20)
    config = ESConfig(population=20, sigma=0.1, learning_rate=0.1, generations=25, eval_every=5, eval_seeds=(1, 2))
    start = LinearHybrid(9 / 5, 12 / 5, [1.0], repair=None)
    policy, result = train_linear(scenario, tmp_path / "tiny", config, level=9.0, cap=12.0, periods=600)
    assert result.best["avg_cost"] < result.start["avg_cost"]

    def exact(agent: LinearHybrid) -> float:
        return lost_sales_policy_cost(agent.state_policy(5.0), 5.0, 1, 1.0, 9.0).average_cost

    assert exact(policy) < exact(start) - 0.1
    loaded = Hybrid.load(tmp_path / "tiny", repair=None)
    assert isinstance(loaded, LinearHybrid)
    np.testing.assert_array_equal(loaded.weights, policy.weights)
    assert loaded.metadata["policy"] == "linear" and loaded.metadata["training"]["algo"] == "es"
    held_out = simulate(loaded, scenario, seeds=[500, 501])["avg_cost"]
    assert held_out.tolist() == simulate(policy, scenario, seeds=[500, 501])["avg_cost"].tolist()
    weights = tmp_path / "tiny" / "policy.npz"
    weights.write_bytes(weights.read_bytes()[:-3] + b"xyz")
    with pytest.raises(ModelFileError, match="SHA-256"):
        Hybrid.load(tmp_path / "tiny")


def test_saving_requires_the_matching_policy_kind(tmp_path: Path) -> None:
    agent = LinearHybrid(3.0, 1.0, [0.8, 1.0])
    with pytest.raises(ValueError, match="linear"):
        save_model(tmp_path / "m", agent.arrays(), {})
    save_model(tmp_path / "m", agent.arrays(), {"policy": "linear"})
    assert load_model(tmp_path / "m").network is None
    save_model(tmp_path / "partial", {"level": np.ones(1)}, {"policy": "linear"})
    with pytest.raises(ModelFileError, match="without the arrays"):
        Hybrid.load(tmp_path / "partial")


def test_parameters_are_validated() -> None:
    with pytest.raises(ValueError, match="NaN"):
        LinearHybrid(np.nan, 1.0, [1.0])
    with pytest.raises(ValueError, match="weights"):
        LinearHybrid(1.0, 1.0, np.ones((2, 2, 2)))


def test_per_sku_arrays_must_fit_each_other_and_the_planned_catalog(tmp_path: Path) -> None:
    """Per-SKU weights or levels of another SKU count: numpy broadcast 2 rows onto a 1-SKU plan (two orders for
    one SKU) or failed with a bare shape error; now refused, naming both counts."""
    with pytest.raises(PlanningError, match="level has 2 values .* weights have rows for 1 SKUs"):
        LinearHybrid([1.0, 2.0], 2.0, np.ones((1, 2)))
    save_model(tmp_path / "m", {"level": np.ones(3), "cap": np.ones(1), "weights": np.ones((2, 1))},
               {"policy": "linear"})
    with pytest.raises(ModelFileError, match="level has 3 values"):
        Hybrid.load(tmp_path / "m")
    one_sku = scenarios.single_sku(mean=5.0, lead_time=1, shortage_cost=9.0, periods=5)
    for agent, message in ((LinearHybrid(1.0, 2.0, np.ones((2, 2))), "per-SKU weights for 2 SKUs; this plan has 1"),
                           (LinearHybrid([1.0, 2.0], 2.0, [1.0, 1.0]), "level has 2 values .* this plan has 1 SKUs")):
        with pytest.raises(PlanningError, match=message):
            simulate(agent, one_sku, seeds=1)


SHIPPED = models_directory() / "single_sku"


@pytest.mark.parametrize("shortage", GRID_SHORTAGE_COSTS)
@pytest.mark.parametrize("lead", GRID_LEAD_TIMES)
def test_shipped_single_sku_models_are_within_one_percent_of_the_optimum(shortage: float, lead: int) -> None:
    """Each shipped instance model, evaluated exactly (no simulation noise), against the exact optimum."""
    path = SHIPPED / f"p{shortage:g}_L{lead}"
    agent = Hybrid.load(path)
    assert isinstance(agent, LinearHybrid)
    cost = lost_sales_policy_cost(agent.state_policy(5.0), 5.0, lead, 1.0, shortage).average_cost
    optimum = lost_sales_optimal(5.0, lead, 1.0, shortage).average_cost
    assert cost <= 1.01 * optimum
    recorded = json.loads((path / "metadata.json").read_text())["evaluation"]["exact_avg_cost"]
    assert cost == pytest.approx(recorded, rel=1e-9)


def test_the_weights_quoted_in_the_docs_are_the_shipped_models() -> None:
    # the finding: docs/rl.md gave two different weight vectors for the p = 4, L = 4 model
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "rl.md").read_text()
    quoted = re.findall(r"p = (\d+), L = (\d+)`?:\s+`w = ([0-9., ]+)`", text)
    assert len(quoted) >= 2
    for p, lead, values in quoted:
        weights = load_model(models_directory() / "single_sku" / f"p{p}_L{lead}").arrays["weights"]
        assert [float(v) for v in values.split(",")] == [round(float(w), 2) for w in weights], (p, lead)


_TINY = ESConfig(population=2, generations=1, eval_every=1, eval_seeds=(1,), seeds_per_generation=1)


@pytest.mark.parametrize(
    ("options", "column"),
    [({"cap": -5.0}, "cap"),  # trained nothing (every order 0) and saved cap -1
     ({"cap": float("inf")}, "cap"),  # "cap must not contain NaN" (ES perturbed the infinite cap)
     ({"cap": 0.0}, "cap"), ({"level": "15"}, "level"),  # a TypeError
     ({"level": float("nan")}, "level"), ({"slots": 2.5}, "slots"),  # cut to 2
     ({"slots": 0}, "slots"),  # read as the default
     ({"weights": [1.0, 1.0, 1.0]}, "weights"), ({"periods": 30}, "periods"),  # the last period's cost only
     ({"periods": 50}, "periods")],
)
def test_training_options_are_refused_naming_them(options: dict, column: str) -> None:
    scenario = scenarios.get("single_sku")  # warm-up 50, lead time 2
    values = {"level": 15.0, "cap": 8.0, "periods": 300, **options}
    with pytest.raises(PlanningError) as info:
        train_linear(scenario, None, _TINY, **values)
    assert info.value.column == column
    if column == "cap" and options["cap"] == float("inf"):
        assert "base-stock" in str(info.value)


def test_tiled_costs_refuse_episodes_within_the_warm_up() -> None:
    """periods <= warmup measured the last period alone (the ledger cuts the warm-up to periods - 1)."""
    policy = LinearHybrid(np.array([3.0]), np.array([1.6]), np.array([[1.0, 1.0]]), repair=None)
    with pytest.raises(PlanningError) as info:
        tiled_costs(scenarios.get("single_sku"), [1], policy, 50)
    assert info.value.column == "periods"
    assert tiled_costs(scenarios.get("single_sku"), [1], policy, 51).shape == (1,)


def test_a_multi_sku_scenario_is_refused_naming_it() -> None:
    with pytest.raises(PlanningError) as info:
        train_linear(scenarios.get("multi_10"), None, _TINY, 10.0, 5.0)
    assert info.value.column == "scenario"
