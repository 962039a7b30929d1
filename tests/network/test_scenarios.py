"""Network scenarios: the registry, seeded demand paths, and the serial chain against its exact optimum."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hybridinv.core.errors import PlanningError
from hybridinv.exact import serial_echelon_base_stock, serial_echelon_base_stock_cost
from hybridinv.network.policies import EchelonBaseStock
from hybridinv.network.runner import simulate_network
from hybridinv.network.scenarios import BootstrapDemand, PoissonDemand, get, names, serial_chain
from hybridinv.twin.realdata import data_dir

HAVE_DATA = (data_dir() / "hospital.csv.gz").exists()


def test_registry_lists_the_three_network_scenarios_and_names_unknown_ones() -> None:
    assert {"serial_3", "owmr_10x50", "hospital_network"} <= set(names())
    with pytest.raises(PlanningError, match="unknown network scenario.*serial_3"):
        get("serial_4")
    # the one meant first, then the list (until 2026-12-07 the list alone)
    with pytest.raises(PlanningError, match=r"unknown network scenario \(did you mean 'serial_3'\?\); known: \["):
        get("seral_3")


def test_serial_3_is_the_textbook_poisson_chain() -> None:
    scenario = get("serial_3")
    network, costs = scenario.network, scenario.costs
    assert network.names == ("stage_3", "stage_2", "stage_1") and network.lead_time.tolist() == [2, 1, 1]
    assert costs.holding_cost[:, 0].tolist() == [1.0, 2.0, 4.0]
    # units travelling to stage j < N are charged the shipping stage's local rate h'_{j+1}
    assert costs.transit_holding_cost[:, 0].tolist() == [0.0, 1.0, 2.0]
    assert not scenario.lost_sales and scenario.serial is not None
    assert scenario.serial.exact().levels.tolist() == [6, 8, 12]


def test_demand_paths_repeat_per_seed_and_differ_between_seeds() -> None:
    scenario = get("owmr_10x50")
    first, again, other = scenario.demand_path(3), scenario.demand_path(3), scenario.demand_path(4)
    assert first.shape == (scenario.periods, 10, 50)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    # Poisson: the sample mean over the horizon is close to the means per store and SKU
    assert abs(first.mean() - scenario.demand.mean.mean()) < 0.05 * scenario.demand.mean.mean()


def test_owmr_10x50_has_finite_warehouse_capacity_and_budget() -> None:
    scenario = get("owmr_10x50")
    network = scenario.network
    assert network.n_stores == 10 and scenario.n_skus == 50 and scenario.lost_sales
    assert np.isfinite(network.capacity[0]) and np.isinf(network.capacity[1:]).all()
    assert np.isfinite(network.budget)
    # capacity = 1.02 x the volume of one period of mean network demand, budget = 1.02 x its value
    network_mean = scenario.demand.mean.sum(axis=0)
    assert network.capacity[0] == pytest.approx(1.02 * scenario.costs.volume @ network_mean, abs=0.1)
    assert network.budget == pytest.approx(1.02 * scenario.costs.unit_cost @ network_mean, abs=0.1)


def test_location_demand_sums_the_stores_below() -> None:
    scenario = get("owmr_10x50")
    mean, std = scenario.location_demand()
    np.testing.assert_allclose(mean[0], scenario.demand.mean.sum(axis=0))
    np.testing.assert_allclose(std[0] ** 2, scenario.demand.mean.sum(axis=0))  # Poisson variances add
    np.testing.assert_allclose(mean[1:], scenario.demand.mean)


def test_bootstrap_demand_takes_whole_blocks_of_the_history() -> None:
    history = np.arange(24, dtype=np.float64).reshape(24, 1, 1) * np.ones((1, 2, 3))
    model = BootstrapDemand(history, block=6)
    path = model.sample(np.random.default_rng(0), 15)
    months = path[:, 0, 0]
    assert path.shape == (15, 2, 3)
    assert np.all(np.diff(months[:6]) == 1) and np.all(np.diff(months[6:12]) == 1)  # consecutive within blocks
    assert (path == path[:, :1, :1]).all()  # every store and SKU takes the same months
    with pytest.raises(PlanningError, match="block"):
        BootstrapDemand(history, block=30)
    with pytest.raises(PlanningError, match="demand"):
        PoissonDemand(np.array([-1.0]))


@pytest.mark.skipif(not HAVE_DATA, reason=f"real demand data not found in {data_dir()}")
def test_hospital_network_stores_are_disjoint_hospital_series() -> None:
    from hybridinv.backtest.suites import load_suite

    scenario = get("hospital_network")
    history, _, _ = load_suite("hospital")
    demand = scenario.demand.history  # type: ignore[attr-defined]
    assert demand.shape == (84, 5, 20)
    np.testing.assert_array_equal(demand[:, 2, 3], history.demand[:, 3 * 5 + 2])  # SKU 3 at store 3
    columns = demand.reshape(84, -1).T
    assert len({tuple(c) for c in columns}) == 100  # no series used twice
    path = scenario.demand_path(0)
    assert path.shape == (72, 5, 20) and np.isin(path[:12, 0, 0], demand[:, 0, 0]).all()


def test_real_data_network_without_data_raises_a_planning_error(tmp_path: object) -> None:
    from hybridinv.network.scenarios import real_data_network

    with pytest.raises(PlanningError, match="HYBRIDINV_DATA"):
        real_data_network("hospital", path=str(tmp_path))


# ---------------------------------------------------------------------- the serial-chain target
COPIES, PERIODS, SEEDS = 150, 300, 10


def _per_copy_cost(scenario, levels: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    policy = EchelonBaseStock(scenario.network, scenario.serial.to_locations(levels))
    return simulate_network(policy, scenario, seeds=SEEDS)["avg_cost"].to_numpy() / COPIES


def _interval(values: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.995, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return float(values.mean() - half), float(values.mean() + half)


def test_serial_3_exact_levels_and_cost_are_reproduced_by_the_network_simulator() -> None:
    """Clark-Scarf optimum (Chen-Zheng recursion) vs the vectorized network simulator.

    Each seed runs 150 independent copies of the chain (SKUs) for 270 measured periods; the
    99% t-interval over 10 seeds of the cost per copy holds the exact echelon cost (on-hand at
    local rates + backorders + pipeline at the shipping stage's rate), and not the cost
    without the pipeline. Every neighbour of the optimal levels (one level +-1) costs more on
    common random numbers, by what the exact evaluation says (within the paired 99% interval).
    """
    scenario = serial_chain(n_skus=COPIES, periods=PERIODS, warmup=30)
    chain = scenario.serial
    exact = serial_echelon_base_stock(chain.mean, list(chain.lead_time), list(chain.holding_cost),
                                      chain.shortage_cost)
    assert exact.levels.tolist() == [6, 8, 12] and exact.total_cost == pytest.approx(19.4648, abs=1e-4)
    optimal = _per_copy_cost(scenario, exact.levels)
    low, high = _interval(optimal)
    assert low <= exact.total_cost <= high
    assert not low <= exact.cost <= high  # the pipeline constant must be charged
    for stage in range(3):
        for step in (-1, 1):
            levels = exact.levels.copy()
            levels[stage] += step
            worse = serial_echelon_base_stock_cost(levels, chain.mean, list(chain.lead_time),
                                                   list(chain.holding_cost), chain.shortage_cost)
            difference = _per_copy_cost(scenario, levels) - optimal
            assert difference.mean() > 0, levels
            low, high = _interval(difference)
            assert low <= worse - exact.cost <= high, (levels, low, high, worse - exact.cost)


def test_a_serial_chain_with_lead_time_0_above_the_store_is_refused_and_at_the_store_is_exact() -> None:
    """L = (1, 0, 2): the exact model ships stage 2's arrivals on in the same period, the simulator in the next,
    so the "optimal" S* = (6, 5, 10) simulated at 27.7 a period against its 15.9 (and above (6, 8, 12))."""
    from hybridinv.network.scenarios import SerialChain

    for lead_time in ((1, 0, 2), (2, 0)):
        with pytest.raises(PlanningError, match="stage 2 has lead time 0") as info:
            serial_chain(lead_time=lead_time, holding_cost=(1.0,) * len(lead_time))
        assert info.value.column == "lead_time"
    with pytest.raises(PlanningError, match="stage 3 has lead time 0"):
        SerialChain(2.0, (1, 1, 0), (4.0, 2.0, 1.0), 9.0)
    scenario = serial_chain(lead_time=(0, 1, 2), n_skus=COPIES, periods=PERIODS, warmup=30)
    exact = scenario.serial.exact()
    low, high = _interval(_per_copy_cost(scenario, exact.levels))
    assert low <= exact.total_cost <= high  # a store lead time of 0 means the same in both


@pytest.mark.parametrize(("argument", "value"), [
    ("n_stores", 2.5), ("n_stores", 0), ("n_skus", 0), ("n_skus", "3"), ("seed", -1), ("seed", 1.5),
    ("capacity_factor", 0.0), ("capacity_factor", float("nan")), ("budget_factor", -1.0),
])
def test_one_warehouse_scenario_refuses_bad_arguments_naming_them(argument: str, value: object) -> None:
    # n_stores=2.5 was numpy's TypeError, seed=-1 a bare ValueError, n_skus=0 an error naming 'capacity'
    from hybridinv.network.scenarios import one_warehouse_scenario

    with pytest.raises(PlanningError) as info:
        one_warehouse_scenario(**{"n_stores": 2, "n_skus": 2, argument: value})  # type: ignore[arg-type]
    assert info.value.column == argument
    no_limits = one_warehouse_scenario(n_stores=2, n_skus=2, capacity_factor=float("inf"), budget_factor=float("inf"))
    assert np.isinf(no_limits.network.budget) and np.isinf(no_limits.network.capacity[no_limits.network.roots]).all()


@pytest.mark.parametrize(("argument", "value"), [("n_skus", 0), ("n_stores", 1.5), ("block", 0), ("block", "3")])
def test_real_data_network_refuses_bad_sizes_before_reading_data(argument: str, value: object, tmp_path) -> None:
    # n_skus=0 was numpy's reshape error (with the data); the check now comes first, so no data are needed
    from hybridinv.network.scenarios import real_data_network

    with pytest.raises(PlanningError) as info:
        real_data_network("hospital", path=str(tmp_path), **{argument: value})  # type: ignore[arg-type]
    assert info.value.column == argument


@pytest.mark.parametrize("per_stage", ["lead_time", "holding_cost"])
def test_serial_chain_refuses_a_single_number_for_a_per_stage_argument(per_stage: str) -> None:
    # serial_chain(lead_time=2, holding_cost=1.0) was TypeError: object of type 'int' has no len()
    with pytest.raises(PlanningError, match="one value per stage") as info:
        serial_chain(**{per_stage: 2})  # type: ignore[arg-type]
    assert info.value.column == per_stage
    one_stage = serial_chain(lead_time=(2,), holding_cost=(1.0,), periods=10, warmup=0, name="one")
    assert one_stage.n_locations == 1 and one_stage.name == "one"


@pytest.mark.parametrize("block", [2.9, "3", True, 0])
def test_bootstrap_block_must_be_a_whole_number(block: object) -> None:
    # 2.9 was silently 2 and "3" kept as text
    with pytest.raises(PlanningError) as info:
        BootstrapDemand(np.ones((5, 1, 1)), block=block)  # type: ignore[arg-type]
    assert info.value.column == "block"
    assert BootstrapDemand(np.ones((5, 1, 1)), block=3.0).block == 3


@pytest.mark.parametrize("warmup", [2.5, -1, "2"])
def test_simulator_warmup_must_be_a_whole_number(warmup: object) -> None:
    # scenario.simulator(warmup=2.5) ran with a warm-up of 2 (NetworkSimulator(warmup=2.5) raises)
    with pytest.raises(PlanningError) as info:
        get("serial_3").simulator(periods=30, warmup=warmup)  # type: ignore[arg-type]
    assert info.value.column == "warmup"
    assert get("serial_3").simulator(periods=30, warmup=2.0).warmup == 2


@pytest.mark.parametrize("rng", [0, None, np.random.RandomState(0)], ids=["seed", "none", "randomstate"])
@pytest.mark.parametrize("make", ["poisson", "bootstrap"])
def test_network_demand_refuses_a_generator_that_is_not_one(make: str, rng: object) -> None:
    """A seed, None or a RandomState was an AttributeError inside numpy's draw; now a PlanningError naming rng, as
    the single-location demand processes raise."""
    process = (PoissonDemand(np.full((2, 3), 4.0)) if make == "poisson"
               else BootstrapDemand(np.ones((6, 2, 3)), block=2))
    with pytest.raises(PlanningError) as info:
        process.sample(rng, 5)  # type: ignore[arg-type]
    assert info.value.column == "rng" and "numpy Generator" in str(info.value)
    with pytest.raises(PlanningError) as info:
        process.sample(np.random.default_rng(0), 2.5)  # type: ignore[arg-type]
    assert info.value.column == "periods"
    assert process.sample(np.random.default_rng(0), 5).shape == (5, 2, 3)
