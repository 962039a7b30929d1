"""Tests for the fitted classical policies: BaseStock.fit and SS.fit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hybridinv import scenarios
from hybridinv.policies import RQ, CappedBaseStock
from hybridinv.policies.classical import SS, BaseStock
from hybridinv.sim.runner import run_episode


def _backorder_cost(level: int, mean: float, lead_time: int, holding: float, shortage: float) -> float:
    """Closed form: h E[(S - D)^+] + p E[(D - S)^+], D ~ Poisson((L + 1) mean) (Zipkin 2000, sec. 6.2)."""
    lam = (lead_time + 1) * mean
    d = np.arange(0, int(lam + 20 * np.sqrt(lam) + 20))
    pmf = stats.poisson.pmf(d, lam)
    return float(holding * (pmf * np.maximum(level - d, 0)).sum() + shortage * (pmf * np.maximum(d - level, 0)).sum())


def test_fit_gives_the_critical_fractile_poisson_level() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=2, holding_cost=1.0, shortage_cost=9.0, lost_sales=False)
    level = BaseStock.fit(scenario).level
    assert level[0] == stats.poisson.ppf(0.9, 15.0)


def test_base_stock_reproduces_closed_form_backorder_cost() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=2, lost_sales=False, periods=20000, warmup=20)
    policy = BaseStock.fit(scenario)
    level = int(policy.level[0])
    ledger, _ = run_episode(policy, scenario, seed=11)
    costs = ledger.costs[ledger.warmup :].sum(axis=1)
    batches = costs[: costs.size // 40 * 40].reshape(40, -1).mean(axis=1)
    half_width = 3.0 * batches.std(ddof=1) / np.sqrt(batches.size)
    exact = _backorder_cost(level, 5.0, 2, 1.0, 9.0)
    assert abs(costs.mean() - exact) < half_width
    assert half_width < 0.05 * exact


def test_ss_fit_without_fixed_cost_is_base_stock() -> None:
    scenario = scenarios.single_sku(mean=5.0, lead_time=1, fixed_cost=0.0)
    ss = SS.fit(scenario)
    base = BaseStock.fit(scenario)
    np.testing.assert_array_equal(ss.S, base.level)
    np.testing.assert_array_equal(ss.s, base.level - 1)


def test_ss_fit_batch_is_eoq() -> None:
    scenario = scenarios.single_sku(mean=8.0, lead_time=1, fixed_cost=50.0, holding_cost=2.0)
    ss = SS.fit(scenario)
    assert ss.S[0] - ss.s[0] == np.ceil(np.sqrt(2 * 50.0 * 8.0 / 2.0))


def test_safety_factor_scales_safety_stock_and_service_level_overrides_costs() -> None:
    scenario = scenarios.single_sku(mean=20.0, lead_time=0, demand="normal")
    mean = 20.0
    high = BaseStock.fit(scenario, service_level=0.99).level[0]
    low = BaseStock.fit(scenario, service_level=0.6).level[0]
    assert high > low
    none = BaseStock.fit(scenario, safety_factor=0.0).level[0]
    assert none == pytest.approx(mean)


@pytest.mark.parametrize("level", [True, "10", np.array([True, False]), np.array(["5", "6"]), [1, "x"], 1 + 2j])
def test_levels_that_are_not_numbers_are_refused(level: object) -> None:
    # BaseStock(True) ordered up to 1 and BaseStock("10") up to 10
    from hybridinv import PlanningError, simulate

    scenario = scenarios.single_sku(periods=5, warmup=0)
    with pytest.raises(PlanningError, match="numbers") as info:
        simulate(BaseStock(level, repair=None), scenario, seeds=1)
    assert info.value.column == "level"
    with pytest.raises(PlanningError) as info:
        simulate(SS(level, 20, repair=None), scenario, seeds=1)
    assert info.value.column == "s"
    assert simulate(BaseStock(np.array([7.0]), repair=None), scenario, seeds=1)["avg_cost"].notna().all()


@pytest.mark.parametrize("value", [1e30, -1e30, np.nan, np.inf, [5.0, np.nan], [5.0, 2e15]])
@pytest.mark.parametrize(("make", "column"), [
    (lambda v: BaseStock(v), "level"), (lambda v: SS(v, 1e16), "s"), (lambda v: SS(0.0, v), "S"),
    (lambda v: RQ(reorder_point=v), "reorder_point"), (lambda v: RQ(batch_size=v), "batch_size"),
    (lambda v: CappedBaseStock(level=v), "level"), (lambda v: CappedBaseStock(cap=v), "cap"),
])
def test_levels_out_of_range_are_refused_by_the_constructor(make: object, column: str, value: object) -> None:
    """BaseStock(level=1e30) was accepted; plan() then refused its orders naming ``desired``, not the level."""
    from hybridinv import PlanningError

    with pytest.raises(PlanningError) as info:
        make(value)  # type: ignore[operator]
    assert info.value.column == column  # SS(v, 1e16): s is checked (and named) before S


def test_levels_at_the_order_bound_are_accepted() -> None:
    from hybridinv.core.limits import MAX_ORDER

    assert BaseStock(MAX_ORDER).level == MAX_ORDER and BaseStock(-MAX_ORDER).level == -MAX_ORDER
    assert SS([0.0, 3.0], [MAX_ORDER, 4.0]).S[0] == MAX_ORDER
    assert RQ(reorder_point=-5.0, batch_size=MAX_ORDER).batch_size == MAX_ORDER
    assert CappedBaseStock(level=7.0, cap=0.0).cap == 0.0
    with pytest.raises(ValueError, match="cap"):
        CappedBaseStock(cap=-1.0)


@pytest.mark.parametrize(("make", "option"), [
    ("CappedBaseStock", "safety_factor"), ("CappedBaseStock", "cap_factor"),
    ("ForecastCappedBaseStock", "safety_factor"), ("ForecastCappedBaseStock", "cap_factor"),
    ("DynamicSS", "safety_factor"), ("Newsvendor", "safety_factor"), ("RQ", "safety_factor"),
])
def test_per_sku_factors_of_the_wrong_size_are_refused_naming_them(make: str, option: str) -> None:
    # 3 factors for 10 SKUs were a numpy broadcast error in the first period
    import hybridinv.policies as policies
    from hybridinv import PlanningError

    scenario = scenarios.get("multi_10")
    cls = getattr(policies, make)
    with pytest.raises(PlanningError, match="expected a scalar or 10 per-SKU values") as info:
        run_episode(cls(**{option: [1.0, 1.0, 1.0]}), scenario, seed=0, periods=4)
    assert info.value.column == option
    per_sku = np.linspace(0.5, 1.5, scenario.n_skus)  # one per SKU works
    assert np.isfinite(run_episode(cls(**{option: per_sku}), scenario, seed=0, periods=4)[0].summary()["avg_cost"])
    with pytest.raises(PlanningError, match="safety_factor"):
        BaseStock.fit(scenario, safety_factor=[1.0, 2.0])


@pytest.mark.parametrize("repair", ["FAST", "gurobi", True, 3])
def test_an_unknown_repair_backend_is_refused_when_the_policy_is_made(repair: object) -> None:
    # it failed only in the first period that needed a repair (a plan() or an hour into a benchmark)
    from hybridinv import PlanningError
    from hybridinv.rl import Hybrid

    for make in (lambda: BaseStock(10, repair=repair), lambda: Hybrid.load("hybrid_default", repair=repair)):
        with pytest.raises(PlanningError, match=r"must be one of \['auto', 'fast', 'highs', 'pulp'\]") as info:
            make()  # type: ignore[no-untyped-call]
        assert info.value.column == "repair"
    assert BaseStock(10, repair="highs").repair == "highs" and BaseStock(10, repair=None).repair is None


def test_a_fractional_level_orders_from_every_whole_position_below_it() -> None:
    """q = ceil(max(0, S - IP)): with S = 11.5 a position of 11 orders 1 (it ordered nothing, while 10 ordered 2)."""
    from hybridinv.sim.batch import BatchSimulator

    from ._helpers import observation

    policy = BaseStock([11.5, 12.0], repair=None)
    for position, expected in [(10.0, [2.0, 2.0]), (11.0, [1.0, 1.0]), (12.0, [0.0, 0.0])]:
        obs = observation([position, position], [5.0, 5.0])
        np.testing.assert_array_equal(policy.act(obs), expected)
        assert policy.targets(obs)[0].tolist() == [11.0, 11.0]  # the largest whole position that orders
    scenario = scenarios.get("multi_10")
    batch = BatchSimulator(scenario).reset(seeds=[1, 2])
    fractional = BaseStock(np.linspace(0.5, 30.5, 10))
    rows = fractional.act_batch(batch)
    for e in range(2):
        np.testing.assert_array_equal(rows[e], fractional.act(batch.episode(e)))


def test_an_order_up_to_level_below_the_reorder_point_is_refused_naming_the_sku() -> None:
    """SS(s=20, S=10) (arguments swapped) was run as a base-stock policy at 20 without a word."""
    from hybridinv.core.errors import PlanningError
    from hybridinv.sim.batch import BatchSimulator

    from ._helpers import observation

    obs = observation([0.0, 0.0], [5.0, 5.0])
    with pytest.raises(PlanningError, match="column 'S', sku 'S1', value 10.0"):
        SS([5, 20], [9, 10], repair=None).act(obs)
    np.testing.assert_array_equal(SS([5, 20], [9, 20], repair=None).act(obs), [9.0, 20.0])  # S = s is base-stock
    batch = BatchSimulator(scenarios.single_sku()).reset(seeds=[1, 2])
    with pytest.raises(PlanningError, match="column 'S', sku 'SKU-0'"):
        SS(20, 10).act_batch(batch)


@pytest.mark.parametrize(("holding", "shortage"), [(1.0, 19.0), (1.0, 9.0), (1.0, 1.0), (2.0, 1.0)])
def test_fit_under_lost_sales_against_the_exact_best_base_stock(holding: float, shortage: float) -> None:
    """``p / (p + h)`` under lost sales, as documented: the exact best base-stock level at lead time 0
    (a newsvendor every period), above it with a lead time, by a cost share that grows as ``p / h``
    falls (the figures quoted in BaseStock.fit and docs/policies.md)."""
    from hybridinv.exact import best_base_stock
    from hybridinv.exact.base_stock import base_stock_cost

    excess = {}
    for lead_time in (0, 2):
        scenario = scenarios.single_sku(mean=5.0, lead_time=lead_time, holding_cost=holding,
                                        shortage_cost=shortage, lost_sales=True)
        level = int(BaseStock.fit(scenario).level[0])
        best, cost = best_base_stock(5.0, lead_time, holding, shortage, lost_sales=True)
        assert level == stats.poisson.ppf(shortage / (shortage + holding), 5.0 * (lead_time + 1))
        assert level >= best
        excess[lead_time] = base_stock_cost(level, 5.0, lead_time, holding, shortage, lost_sales=True) / cost - 1
    assert excess[0] == 0.0
    quoted = {19.0: (0.03, 0.05), 9.0: (0.03, 0.05), 1.0: (0.2, 0.3)}[shortage]
    assert quoted[0] < excess[2] < quoted[1]


def test_base_stock_orders_at_a_fractional_position_just_below_its_level() -> None:
    # q = ceil(S - IP): BaseStock(11) at 10.5 ordered nothing (its s = ceil(S) - 1 = 10 is below the position),
    # where CappedBaseStock in the same state ordered 1
    from hybridinv.core import Catalog, Constraints, InventoryState
    from hybridinv.policies.classical import BaseStock
    from hybridinv.policies.rq import CappedBaseStock
    from hybridinv.sim.observation import Observation

    cat = Catalog(sku=np.array(["flour"], dtype=object), unit_cost=np.ones(1), holding_cost=np.ones(1),
                  shortage_cost=np.full(1, 9.0), lead_time=np.array([0]))
    for on_hand, level, expected in ((10.5, 11.0, 1.0), (11.0, 11.0, 0.0), (11.2, 11.0, 0.0), (10.0, 11.0, 1.0),
                                     (11.2, 11.5, 1.0), (9.5, 11.5, 2.0)):
        obs = Observation.from_state(InventoryState(cat.sku, np.array([on_hand])), cat, Constraints(),
                                     np.full((1, 4), 5.0), np.ones((1, 4)))
        decision = BaseStock(level).decide(obs)
        assert decision.orders[0] == expected == np.ceil(max(level - on_hand, 0.0) - 1e-9)
        assert decision.reorder_point[0] == np.ceil(level) - 1.0  # reported as before
        assert CappedBaseStock(level=level, cap=5).decide(obs).orders[0] == expected


def test_levels_keyed_by_sku_are_refused_not_read_by_position() -> None:
    """A Series of levels indexed by SKU in another order than the catalog's was read by position: each SKU got
    another SKU's level and plan() ordered for it without a word (a dict of the same levels was refused)."""
    import pandas as pd

    from hybridinv import PlanningError, plan
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    skus = catalog["sku"].astype(str).tolist()
    keyed = pd.Series({sku: 10.0 * (k + 1) for k, sku in enumerate(skus)}).iloc[::-1]  # another order
    with pytest.raises(PlanningError, match="indexed by labels .* read by position") as info:
        BaseStock(keyed)
    assert info.value.column == "level" and info.value.value == skus[-1]
    with pytest.raises(PlanningError, match="indexed by labels") as info:
        SS(keyed - 1.0, keyed)
    assert info.value.column == "s"
    # the fix the message gives, and a positional Series, plan each SKU at its own level
    out = plan(state, catalog, None, policy=BaseStock(keyed.reindex(skus).to_numpy(), repair=None))
    assert out["order_up_to"].tolist() == [10.0 * (k + 1) for k in range(len(skus))]
    out = plan(state, catalog, None, policy=BaseStock(pd.Series(keyed.reindex(skus).to_numpy()), repair=None))
    assert out["order_up_to"].tolist() == [10.0 * (k + 1) for k in range(len(skus))]
