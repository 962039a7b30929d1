"""Tests for hybridinv.policies.clairvoyant: the perfect-information bound is below every policy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hybridinv import PlanningError, scenarios
from hybridinv.policies.clairvoyant import clairvoyant_bound, clairvoyant_solve
from hybridinv.policies.registry import make
from hybridinv.sim.runner import simulate

POLICIES = ["base_stock", "ss", "rq", "capped_base_stock", "newsvendor", "dynamic_ss"]


class _Zero:
    name = "zero"

    def act(self, obs: object) -> np.ndarray:
        return np.zeros(obs.n_skus)  # type: ignore[attr-defined]


def _costs(scenario: object, seed: int, periods: int, key: str = "avg_cost") -> dict[str, float]:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in POLICIES:
            result = simulate(make(name, scenario), scenario, seeds=[seed], periods=periods)
            assert result.loc[0, "violations"] == 0
            out[name] = float(result.loc[0, key])
        out["zero"] = float(simulate(_Zero(), scenario, seeds=[seed], periods=periods).loc[0, key])
    return out


@pytest.mark.parametrize(
    "scenario",
    [
        scenarios.single_sku(mean=5.0, lead_time=2, periods=150, warmup=10),
        scenarios.single_sku(mean=5.0, lead_time=1, fixed_cost=15.0, lost_sales=False, periods=150, warmup=10),
        scenarios.single_sku(mean=8.0, lead_time=0, fixed_cost=40.0, lost_sales=True, periods=150, warmup=0),
    ],
    ids=["lost_sales", "backorders_fixed_cost", "lost_sales_fixed_cost"],
)
@pytest.mark.parametrize("basis", ["purchases", "valued"])
def test_bound_is_below_every_policy_single_sku(scenario: object, basis: str) -> None:
    # fixed-cost MILPs over 150 periods stop at the time limit; the dual bound is still valid
    bound = clairvoyant_bound(scenario, seed=4, time_limit=3.0, basis=basis)
    costs = _costs(scenario, 4, 150, "avg_cost" if basis == "purchases" else "valued_cost")
    assert bound <= min(costs.values()) + 1e-6
    assert bound >= 0.0


@pytest.mark.parametrize("name", ["multi_10", "disrupted", "perishable"])
def test_bound_is_below_every_policy_multi_sku(name: str) -> None:
    scenario = scenarios.get(name)
    result = clairvoyant_solve(scenario, seed=1, periods=20, time_limit=10.0)
    costs = _costs(scenario, 1, 20)
    assert result.bound <= min(costs.values()) + 1e-6
    assert result.bound <= result.objective + 1e-6


def test_relaxation_is_weaker_and_rules_only_raise_the_bound() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=1, fixed_cost=20.0, lost_sales=False, periods=60, warmup=0)
    milp = clairvoyant_bound(scenario, seed=2, time_limit=3.0)
    lp = clairvoyant_bound(scenario, seed=2, relax=True)
    assert lp <= milp + 1e-9
    multi = scenarios.get("multi_10")
    free = clairvoyant_bound(multi, seed=0, periods=12, enforce_rules=False)
    ruled = clairvoyant_bound(multi, seed=0, periods=12)
    assert free <= ruled + 1e-6


def test_a_mip_stopped_early_keeps_the_lp_relaxations_bound_when_it_is_better(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before its root LP is solved a MIP stopped at its time limit has the dual bound 0 (seen on multi_50)."""
    import hybridinv.policies.clairvoyant as module
    from hybridinv.policies.lot_sizing import LotSizingSolution, solve_lot_sizing

    scenario = scenarios.get("multi_10")
    lp = clairvoyant_solve(scenario, seed=3, periods=30, relax=True)

    def stopped(problem, relax=False, **options):  # type: ignore[no-untyped-def]
        if relax:
            return solve_lot_sizing(problem, relax=True, **options)
        return LotSizingSolution(np.zeros_like(problem.demand), 1e9, 0.0, "Time limit reached", 20.0)

    monkeypatch.setattr(module, "solve_lot_sizing", stopped)
    early = clairvoyant_solve(scenario, seed=3, periods=30, time_limit=20.0)
    assert lp.bound > 0 and early.relaxed
    assert early.bound == pytest.approx(lp.bound, rel=1e-9)


def test_deterministic_fixed_cost_bound_is_wagner_whitin() -> None:
    # Backorders, lead time 0, no initial stock, p huge: the clairvoyant plan is the Wagner-Whitin
    # optimum of the realized demand, computed here by an independent O(T^2) dynamic program.
    base = scenarios.single_sku(mean=4.0, lead_time=0, fixed_cost=12.0, shortage_cost=1000.0,
                                lost_sales=False, periods=25, warmup=0)
    from hybridinv.core import InventoryState

    scenario = base.replace(initial_state=InventoryState.empty(base.catalog, 0.0))
    demand = scenario.sample(5, 25).demand.realized[:25, 0]
    periods = demand.size
    best = np.full(periods + 1, np.inf)
    best[0] = 0.0
    for end in range(1, periods + 1):
        for start in range(end):  # order in `start` for periods start..end-1
            holding = sum((k - start) * demand[k] for k in range(start, end))
            fixed = 12.0 if demand[start:end].sum() > 0 else 0.0
            best[end] = min(best[end], best[start] + fixed + holding)
    result = clairvoyant_solve(scenario, seed=5)
    assert result.objective == pytest.approx(best[periods] / periods, rel=1e-9)
    assert best[periods] / periods * (1 - 1e-3) <= result.bound <= result.objective + 1e-9


# ---------------------------------------------------------------------------------------------- fill-rate bound
def _budget_limited(budget: float) -> object:
    """One SKU, lead time 0, unit cost 2, a budget below the mean demand's purchase value."""
    from dataclasses import replace

    from hybridinv import Constraints

    base = scenarios.single_sku(mean=5.0, lead_time=0, periods=30, warmup=0)
    catalog = replace(base.catalog, unit_cost=np.array([2.0]))
    return base.replace(catalog=catalog, constraints=Constraints(budget=budget))


@pytest.mark.parametrize("budget", [6.0, 8.0, 9.5])
def test_fill_bound_is_the_greedy_optimum_when_only_the_budget_limits(budget: float) -> None:
    # independent truth: with free storage and lead time 0, buying all the budget allows every period (in whole
    # units: 9.5 / 2 buys 4) and serving as much as possible is optimal for the units served (an exchange argument)
    from hybridinv.policies.clairvoyant import clairvoyant_fill_bound

    scenario = _budget_limited(budget)
    demand = scenario.sample(3, 30).demand.realized[:30, 0]
    stock, served = float(scenario.initial_state.on_hand[0]), 0.0
    for d in demand:
        available = stock + np.floor(budget / 2.0)
        served += min(d, available)
        stock = available - min(d, available)
    assert clairvoyant_fill_bound(scenario, 3) == pytest.approx(served / demand.sum(), abs=1e-7)


@pytest.mark.parametrize("cap", [1.0, 3.0, 4.0])
def test_fill_bound_is_the_greedy_optimum_when_only_the_supplier_capacity_limits(cap: float) -> None:
    # the suppliers' capacities were left out of the model: a supplier shipping 1 unit a period bounded the fill
    # rate at 1.0. Independent truth as for the budget: lead time 0, free storage, buy the capacity every period
    from hybridinv import Constraints
    from hybridinv.policies.clairvoyant import clairvoyant_fill_bound

    base = scenarios.single_sku(mean=5.0, lead_time=0, periods=30, warmup=0)
    supplier = str(base.catalog.supplier[0])
    scenario = base.replace(constraints=Constraints(supplier_capacity={supplier: cap}))
    demand = scenario.sample(3, 30).demand.realized[:30, 0]
    stock, served = float(scenario.initial_state.on_hand[0]), 0.0
    for d in demand:
        available = stock + cap
        served += min(d, available)
        stock = available - min(d, available)
    assert clairvoyant_fill_bound(scenario, 3) == pytest.approx(served / demand.sum(), abs=1e-7)
    assert clairvoyant_fill_bound(scenario, 3, enforce_rules=False) == 1.0  # the capacity is one of the rules


@pytest.mark.parametrize("name", ["multi_10", "perishable"])
def test_fill_bound_is_above_every_policy(name: str) -> None:
    from hybridinv.policies.clairvoyant import clairvoyant_fill_bound

    scenario = scenarios.get(name)
    bounds = np.array([clairvoyant_fill_bound(scenario, seed, periods=40) for seed in (0, 1)])
    assert ((bounds >= 0.0) & (bounds <= 1.0)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for policy in ("base_stock", "newsvendor", "forecast_ss"):
            fills = simulate(make(policy, scenario), scenario, seeds=[0, 1], periods=40)["fill_rate"].to_numpy()
            assert (fills <= bounds + 1e-9).all(), policy


def test_fill_bound_needs_lost_sales() -> None:
    from hybridinv import PlanningError
    from hybridinv.policies.clairvoyant import clairvoyant_fill_bound

    with pytest.raises(PlanningError) as info:
        clairvoyant_fill_bound(scenarios.single_sku(lost_sales=False, periods=20, warmup=0), 0)
    assert info.value.column == "lost_sales"


@pytest.mark.parametrize(("options", "column"), [
    ({"time_limit": -1.0}, "time_limit"), ({"time_limit": float("nan")}, "time_limit"),  # HiGHS stopped at once
    ({"time_limit": "30"}, "time_limit"), ({"relax": "no"}, "relax"), ({"enforce_rules": "no"}, "enforce_rules"),
])
def test_solver_options_of_the_wrong_kind_are_refused(options: dict, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        clairvoyant_bound(scenarios.get("multi_10"), seed=0, periods=6, **options)
    assert info.value.column == column


def test_with_backorders_one_order_may_clear_the_backlog_built_before_it_arrives() -> None:
    """Orders were capped at the demand from their arrival on plus the *initial* backlog, so one order could not
    clear the backlog built up before it arrived: the "bound" was 114.7 where one order of the whole demand cost
    111.9. With a fixed cost of 1,000 over 12 periods the optimum is one order; enumerated here by hand."""
    from hybridinv.core.state import InventoryState

    periods, lead = 12, 2
    sc = scenarios.single_sku(mean=5, lead_time=lead, holding_cost=1, shortage_cost=20, fixed_cost=1000,
                              lost_sales=False, periods=periods, warmup=0)
    sc = sc.replace(initial_state=InventoryState(sku=sc.catalog.sku, on_hand=np.array([0.0])))
    demand = sc.sample(0, periods).demand.realized[:periods, 0]
    cat = sc.catalog

    def cost(when: int, units: float) -> float:
        arrivals = np.zeros(periods)
        if when + lead < periods:
            arrivals[when + lead] = units
        net = np.cumsum(arrivals - demand)
        total = cat.holding_cost[0] * np.maximum(net, 0).sum() + cat.shortage_cost[0] * np.maximum(-net, 0).sum()
        return float(total + (cat.order_cost[0] + cat.unit_cost[0] * units) * (units > 0)) / periods

    best = min(cost(t, q) for t in range(periods) for q in range(int(2 * demand.sum()) + 1))
    result = clairvoyant_solve(sc, 0, time_limit=30)
    assert result.bound == pytest.approx(best, rel=1e-9)


# ---------------------------------------------------------------------------------------------- warm-up loophole
_CATALOG = """sku,unit_cost,holding_cost,shortage_cost,lead_time,demand_mean
A,10,0.2,15,1,5
B,20,0.4,30,2,3
C,5,0.1,8,1,10
"""


def _three_skus(tmp_path: object, warmup: int) -> object:
    """3 SKUs, lost sales, lead times 1-2, no fixed cost and no constraints, 20 periods."""
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "catalog.csv").write_text(_CATALOG)
    (folder / f"w{warmup}.toml").write_text(f'catalog = "catalog.csv"\nperiods = 20\nwarmup = {warmup}\n'
                                            '[demand]\nprocess = "poisson"\n')
    return scenarios.get(str(folder / f"w{warmup}.toml"))


class _StockUpInWarmup:
    """Orders 25 x the mean demand in period 0 and nothing after: on avg_cost its stock is free."""

    name = "stockup"

    def __init__(self, mean: np.ndarray) -> None:
        self.mean, self.t = mean, 0

    def reset(self, scenario: object = None) -> None:
        self.t = 0

    def act(self, obs: object) -> np.ndarray:
        self.t += 1
        return self.mean * 25 if self.t == 1 else np.zeros(self.mean.size)


def test_the_valued_bound_charges_the_stock_bought_in_the_warm_up(tmp_path: object) -> None:
    """With warm-up 2 the purchases-basis model bought the measured periods' stock in the warm-up for nothing: a
    bound of ~25 a period where every policy paid ~160 (and the bound without a warm-up was 147). On the valued
    basis it is the independent optimum: without fixed costs or limits, every measured demand (reachable: warm-up
    >= lead time, shortage cost > unit cost) is sold at unit cost just in time, and the initial stock the warm-up
    did not sell is held until sold; it lies below every policy's valued_cost, the stock-up one's included."""
    scenario = _three_skus(tmp_path, warmup=2)
    without = _three_skus(tmp_path, warmup=0)
    cat, warmup = scenario.catalog, 2
    for seed in (0, 1):
        demand = scenario.sample(seed, 20).demand.realized[:20].T  # (SKUs, periods)
        window = demand[:, warmup:]
        left = np.maximum(scenario.initial_state.on_hand - demand[:, :warmup].sum(axis=1), 0.0)
        held = np.maximum(left[:, None] - np.cumsum(window, axis=1), 0.0)
        expected = float(cat.unit_cost @ window.sum(axis=1) + cat.holding_cost @ held.sum(axis=1)) / window.shape[1]
        bound = clairvoyant_bound(scenario, seed, basis="valued")
        assert bound == pytest.approx(expected, rel=1e-7)
        costs = _costs(scenario, seed, 20, "valued_cost")
        stockup = simulate(_StockUpInWarmup(cat.demand_mean), scenario, seeds=[seed]).loc[0]
        costs["stockup"] = float(stockup["valued_cost"])
        assert bound <= min(costs.values()) + 1e-6
        hollow = clairvoyant_bound(scenario, seed)  # the purchases basis: valid for avg_cost, but hollow
        assert hollow < 0.25 * bound
        assert 0.8 * clairvoyant_bound(without, seed) < bound  # the order of the bound without a warm-up
        assert stockup["avg_cost"] < 0.5 * min(_costs(scenario, seed, 20).values())  # what avg_cost lets a policy do


def test_the_opening_position_is_charged_with_open_orders_and_backorders() -> None:
    """Lead time 2, warm-up 2 (weights 0, 0, 1, 1), backorders, 3 units demanded in period 0: both orders that
    serve the measured demand of 5 + 5 are placed in the warm-up and are still on their way at its end, and the
    warm-up's backlog of 3 is part of the opening position. Charged at 10 a unit, the opening position is
    -3 + 8 + 5 = 10 units: 100, the unit cost of the measured demand (on the purchases basis: nothing)."""
    from hybridinv.policies.lot_sizing import LotSizingProblem, solve_lot_sizing

    one = np.ones(1)
    problem = LotSizingProblem(
        demand=np.array([[3.0, 0.0, 5.0, 5.0]]), lead_time=np.full((1, 4), 2), on_hand=np.zeros(1),
        backorders=np.zeros(1), scheduled=np.zeros((1, 4)), holding_cost=one, shortage_cost=100 * one,
        unit_cost=10 * one, order_cost=np.zeros(1), lot_size=one, moq=np.zeros(1), order_upper=np.full(1, np.inf),
        volume=one, lost_sales=False, period_weight=np.array([0.0, 0.0, 1.0, 1.0]),
    )
    assert solve_lot_sizing(problem).objective == pytest.approx(0.0, abs=1e-9)
    from dataclasses import replace

    valued = replace(problem, stock_value=10 * one, stock_value_period=2)
    solution = solve_lot_sizing(valued)
    assert solution.objective == pytest.approx(100.0, rel=1e-9)
    assert solution.orders[0, :2].tolist() == [8.0, 5.0]
    with pytest.raises(PlanningError) as info:
        replace(problem, stock_value=10 * one, stock_value_period=4)
    assert info.value.column == "stock_value_period"


def test_the_valued_bound_is_below_every_policy_with_backorders_and_open_orders_at_the_warm_ups_end() -> None:
    from dataclasses import replace

    base = scenarios.single_sku(mean=5.0, lead_time=3, fixed_cost=10.0, lost_sales=False, periods=40, warmup=6)
    scenario = base.replace(catalog=replace(base.catalog, unit_cost=np.array([4.0])))
    bound = clairvoyant_bound(scenario, seed=2, time_limit=5.0, basis="valued")
    costs = _costs(scenario, 2, 40, "valued_cost")
    assert clairvoyant_bound(scenario, seed=2, time_limit=5.0) < bound <= min(costs.values()) + 1e-6


def test_an_unknown_basis_is_refused() -> None:
    with pytest.raises(PlanningError) as info:
        clairvoyant_bound(scenarios.get("multi_10"), seed=0, periods=6, basis="value")
    assert info.value.column == "basis"
