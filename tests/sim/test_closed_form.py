"""The simulator against the closed-form cost of a base-stock policy with backorders.

With backorders, Poisson(lambda) demand, lead time L and base-stock level S, the
net inventory at the end of a period is ``S - D`` with ``D ~ Poisson(lambda (L + 1))``
(Zipkin 2000, sec. 6.2; Snyder & Shen 2019, sec. 4.3), so the expected cost per period is
``h E[(S - D)+] + b E[(D - S)+]``. The closed form is computed here from scipy's
Poisson pmf, independently of :mod:`hybridinv.exact`.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hybridinv import Catalog, Constraints, scenarios
from hybridinv.demand import DemandProcess
from hybridinv.policies import BaseStock
from hybridinv.sim import Scenario, Simulator, simulate

# (lambda, L, S, h, b)
CASES = [(5.0, 0, 7, 1.0, 9.0), (5.0, 2, 18, 1.0, 9.0), (2.0, 3, 10, 2.0, 5.0), (12.0, 1, 27, 0.5, 4.0)]


def closed_form(mean: float, lead_time: int, level: int, holding: float, shortage: float) -> float:
    lead_demand = stats.poisson(mean * (lead_time + 1))
    d = np.arange(level)
    overage = float(np.sum((level - d) * lead_demand.pmf(d)))  # E[(S - D)+]
    underage = lead_demand.mean() - level + overage  # E[(D - S)+]
    return holding * overage + shortage * underage


def _replicated_scenario(replicas: int, periods: int) -> tuple[Scenario, np.ndarray]:
    """Every case repeated ``replicas`` times as independent SKUs of one scenario."""
    rows = np.repeat(np.array(CASES), replicas, axis=0)
    n = rows.shape[0]
    catalog = Catalog(
        sku=np.array([f"S{i}" for i in range(n)], dtype=object),
        unit_cost=np.zeros(n),
        holding_cost=rows[:, 3],
        shortage_cost=rows[:, 4],
        lead_time=rows[:, 1].astype(np.int64),
    )
    scenario = Scenario(
        name="closed_form", catalog=catalog, constraints=Constraints(),
        demand=DemandProcess(mean=rows[:, 0]), periods=periods, lost_sales=False, warmup=100,
    )
    return scenario, rows


def test_base_stock_backorder_cost_matches_closed_form_within_99_percent_ci() -> None:
    replicas, periods = 40, 3_000
    scenario, rows = _replicated_scenario(replicas, periods)
    policy = BaseStock(rows[:, 2], repair=None)
    sim = Simulator(scenario)
    obs = sim.reset(seed=2024)
    per_sku = np.zeros(scenario.n_skus)
    holding, shortage = scenario.catalog.holding_cost, scenario.catalog.shortage_cost
    while not sim.done:
        t = sim.t
        obs = sim.step(policy.act(obs))
        cost = holding * obs.on_hand + shortage * obs.backorders  # end-of-period stock, computed here
        assert cost.sum() == pytest.approx(sim.ledger.period_cost(t))  # the ledger agrees
        if t >= scenario.warmup:
            per_sku += cost
    per_sku /= periods - scenario.warmup
    # each SKU is an independent replication; a t interval over the replicas of each case
    quantile = stats.t.ppf(0.995, replicas - 1)
    for k, case in enumerate(CASES):
        sample = per_sku[k * replicas : (k + 1) * replicas]
        half_width = quantile * sample.std(ddof=1) / np.sqrt(replicas)
        truth = closed_form(case[0], int(case[1]), int(case[2]), case[3], case[4])
        assert abs(sample.mean() - truth) <= half_width, (case, sample.mean(), truth, half_width)
        assert half_width < 0.03 * truth  # the interval is tight enough to mean something


def test_single_sku_simulate_over_independent_seeds_matches_closed_form() -> None:
    mean, lead_time, level = 5.0, 2, 19
    scenario = scenarios.single_sku(mean=mean, lead_time=lead_time, lost_sales=False, periods=2_000, warmup=50)
    frame = simulate(BaseStock(level, repair=None), scenario, seeds=range(16))
    assert len(frame) == 16 and (frame["violations"] == 0).all()
    costs = frame["avg_cost"].to_numpy()
    half_width = stats.t.ppf(0.995, costs.size - 1) * costs.std(ddof=1) / np.sqrt(costs.size)
    truth = closed_form(mean, lead_time, level, 1.0, 9.0)
    assert abs(costs.mean() - truth) <= half_width, (costs.mean(), truth, half_width)
    np.testing.assert_allclose(frame["avg_cost"], frame["holding_cost"] + frame["shortage_cost"])
    assert (frame["ordering_cost"] == 0).all()  # unit cost 0 in the single-SKU model
