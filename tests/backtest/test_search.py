"""Static (s, S) and base-stock search on a replay (hybridinv/backtest/search.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hybridinv import Catalog, Constraints, InventoryState
from hybridinv.backtest.search import fit_static_base_stock, fit_static_ss, replay_costs
from hybridinv.core.errors import PlanningError
from hybridinv.demand.processes import DemandPath, DemandProcess
from hybridinv.exact import best_base_stock
from hybridinv.policies.classical import SS
from hybridinv.sim.scenario import Scenario, ScenarioPath
from hybridinv.sim.simulator import Simulator


def _catalog(n: int, lead: np.ndarray, order_cost: float = 0.0) -> Catalog:
    return Catalog(
        sku=np.array([f"S{i}" for i in range(n)], dtype=object),
        unit_cost=np.full(n, 2.0),
        holding_cost=np.full(n, 1.0),
        shortage_cost=np.full(n, 11.0),
        lead_time=lead,
        order_cost=np.full(n, order_cost),
    )


@pytest.mark.parametrize("lost_sales", [True, False])
def test_replay_costs_equal_the_simulator(lost_sales: bool) -> None:
    """Independent truth: the same (s, S) policies run through hybridinv.sim.Simulator."""
    rng = np.random.default_rng(4)
    n, periods = 5, 40
    lead = np.array([0, 1, 2, 3, 1])
    cat = _catalog(n, lead, order_cost=7.0)
    demand = rng.poisson([2.0, 5.0, 9.0, 4.0, 0.5], size=(periods, n)).astype(float)
    low = np.array([[3.0, 1.0], [8.0, 12.0], [20.0, 25.0], [15.0, 10.0], [0.0, 2.0]])
    high = low + np.array([[4.0, 9.0], [1.0, 5.0], [6.0, 1.0], [3.0, 8.0], [1.0, 3.0]])
    costs = replay_costs(demand, cat, low, high, lost_sales=lost_sales, warmup=4)
    for g in range(2):
        init = InventoryState(cat.sku, np.maximum(high[:, g], 0.0), np.zeros(n), np.zeros((n, 4)))
        scenario = Scenario("t", cat, Constraints(), DemandProcess(mean=np.ones(n)), periods=periods,
                            initial_state=init, lost_sales=lost_sales, warmup=4)
        path = scenario.sample(0)
        path = ScenarioPath(0, DemandPath(np.vstack([demand, np.zeros((16, n))]), path.demand.expected,
                                          path.demand.std), path.lead_times)
        sim = Simulator(scenario)
        obs = sim.reset(path=path)
        policy = SS(low[:, g], high[:, g], repair=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            while not sim.done:
                obs = sim.step(policy.act(obs))
        per_sku = [sim.ledger.summary()["avg_cost"]]  # total over SKUs
        assert costs[:, g].sum() == pytest.approx(per_sku[0], rel=1e-9)


def test_search_finds_the_grid_minimum() -> None:
    """Brute force over every integer pair of a small range agrees with the two-stage search."""
    rng = np.random.default_rng(8)
    demand = rng.poisson(3.0, size=(60, 1)).astype(float)
    cat = _catalog(1, np.array([1]), order_cost=15.0)
    fit = fit_static_ss(demand, cat)
    pairs = [(s, big) for s in range(-1, 16) for big in range(s + 1, 30)]
    low = np.array([[p[0] for p in pairs]], dtype=float)
    high = np.array([[p[1] for p in pairs]], dtype=float)
    brute = replay_costs(demand, cat, low, high)[0]
    assert fit.train_cost[0] == pytest.approx(brute.min(), rel=1e-9)
    assert fit.order_up_to[0] - fit.reorder_point[0] > 1  # a fixed order cost makes batches pay


def test_base_stock_search_recovers_the_exact_optimum_on_a_long_replay() -> None:
    """On 20,000 periods of Poisson demand the fitted level is the exact optimal base-stock level."""
    rng = np.random.default_rng(11)
    mean, lead = 5.0, 2
    demand = rng.poisson(mean, size=(20_000, 1)).astype(float)
    cat = Catalog(sku=np.array(["A"], dtype=object), unit_cost=np.zeros(1), holding_cost=np.ones(1),
                  shortage_cost=np.full(1, 9.0), lead_time=np.array([lead]))
    level, cost = best_base_stock(mean, lead, 1.0, 9.0, lost_sales=False)
    fit = fit_static_base_stock(demand, cat, lost_sales=False)
    assert abs(fit.order_up_to[0] - level) <= 1
    assert fit.train_cost[0] == pytest.approx(cost, rel=0.03)
    np.testing.assert_array_equal(fit.order_up_to - fit.reorder_point, [1.0])


def test_bad_demand_grids_and_candidates_are_refused_naming_them() -> None:
    """The finding: negative or infinite demand gave NaN levels with RuntimeWarnings, an empty grid a bare
    "argmin of an empty sequence", coarse=(2.5, 16) a bare TypeError, demand of another width than the
    catalog a numpy broadcast error, and NaN reorder points a cost."""
    catalog = _catalog(2, np.array([1, 2]), order_cost=5.0)
    y = np.random.default_rng(0).poisson(5, (20, 2)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning before the refusal
        for demand in (-y, np.where(y > 8, np.inf, y)):
            for fit in (fit_static_ss, fit_static_base_stock):
                with pytest.raises(PlanningError, match="demand must be finite, >= 0") as info:
                    fit(demand, catalog)
                assert info.value.column == "demand" and info.value.sku == catalog.sku[0]
    for column, call in (
        ("coarse", lambda v: fit_static_ss(y, catalog, coarse=v)),
        ("fine", lambda v: fit_static_ss(y, catalog, fine=v)),
        ("points", lambda v: fit_static_base_stock(y, catalog, points=v)),
    ):
        for bad in ((0, 16), (2.5, 16), (4,), 5):
            with pytest.raises(PlanningError) as info:
                call(bad)
            assert info.value.column == column
    candidates = np.zeros((2, 1)), np.ones((2, 1))
    with pytest.raises(PlanningError, match=r"shape \(T, 2\)") as info:
        replay_costs(y[:, :1], catalog, *candidates)
    assert info.value.column == "demand"
    with pytest.raises(PlanningError, match="finite") as info:
        replay_costs(y, catalog, np.full((2, 1), np.nan), candidates[1])
    assert info.value.column == "reorder_point"
    with pytest.raises(PlanningError, match="finite") as info:
        replay_costs(y, catalog, candidates[0], np.full((2, 1), np.inf))
    assert info.value.column == "order_up_to"
    assert fit_static_ss(y.tolist(), catalog, coarse=[5, 3], fine=(3.0, 3)).candidates == 24  # lists, 3.0 are fine
