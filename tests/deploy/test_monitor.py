"""Monitor: KPI tracking, fallback on degradation, recovery, events, dashboard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridinv import PlanningError, scenarios
from hybridinv.core import Constraints
from hybridinv.deploy import Monitor, MonitorThresholds, render_dashboard
from hybridinv.policies import SS, BaseStock
from hybridinv.sim import Simulator, simulate


class BrokenBetween:
    """Orders nothing during periods [start, stop), else a healthy base-stock."""

    name = "broken"

    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop
        self.inner = BaseStock(25, repair=None)

    def act(self, obs):
        if self.start <= obs.period < self.stop:
            return np.zeros(obs.n_skus)
        return self.inner.act(obs)


@pytest.fixture(scope="module")
def scenario():
    return scenarios.single_sku(mean=5.0, lead_time=2, periods=200, warmup=0)


THRESHOLDS = MonitorThresholds(window=5, min_fill_rate=0.85, max_cost_ratio=None, recovery_periods=5)


def test_reconstructed_kpis_match_the_ledger():
    # multi-SKU, seasonal, promotions, fixed order costs; no shared capacity (rejections at receipt
    # are not visible in an observation, so the balance is exact only without them)
    scenario = scenarios.get("multi_10").replace(constraints=Constraints())
    monitor = Monitor(BaseStock(np.rint(scenario.catalog.demand_mean * 4), repair=None), SS(0, 0, repair=None),
                      MonitorThresholds(min_fill_rate=None, max_cost_ratio=None))
    sim = Simulator(scenario, periods=60)
    obs = sim.reset(seed=3)
    while not sim.done:
        obs = sim.step(monitor.act(obs))
    history = monitor.history()
    assert len(history) == 59  # the last period is observed at the next decision
    assert history["served"].to_numpy() == pytest.approx(sim.ledger.served[:59])
    assert history["demand"].to_numpy() == pytest.approx(sim.ledger.demand[:59])
    period_cost = sim.ledger.costs[:59, :3].sum(axis=1)  # holding + shortage + ordering
    assert history["cost"].to_numpy() == pytest.approx(period_cost, rel=1e-9)


def test_healthy_primary_never_falls_back(scenario):
    monitor = Monitor(BaseStock(25, repair=None), SS(10, 30, repair=None), THRESHOLDS)
    simulate(monitor, scenario, seeds=1)
    assert monitor.events == []
    assert not monitor.history()["fallback"].any()


def test_degradation_triggers_fallback_and_recovery_switches_back(scenario):
    monitor = Monitor(BrokenBetween(60, 80), SS(15, 30, repair=None), THRESHOLDS)
    simulate(monitor, scenario, seeds=1)
    kinds = [event.kind for event in monitor.events]
    assert kinds[:2] == ["fallback", "recover"]
    fallback, recover = monitor.events[0], monitor.events[1]
    assert 60 <= fallback.period <= 70  # stock runs out a few periods after ordering stops
    assert "fill rate" in fallback.reason and fallback.fill_rate < 0.85
    history = monitor.history().set_index("period")
    # recovery condition: the last `recovery_periods` periods before switching back were healthy under the fallback
    window = history.loc[recover.period - THRESHOLDS.recovery_periods + 1: recover.period]
    assert window["healthy"].all()
    assert history.loc[fallback.period + 1: recover.period - 1, "fallback"].all()
    assert not history.loc[recover.period + 1:, "fallback"].any() or len(monitor.events) > 2


def test_recovery_needs_consecutive_healthy_periods():
    monitor = Monitor(None, None, MonitorThresholds(window=1, min_fill_rate=0.9, max_cost_ratio=None,
                                                    recovery_periods=3), expected_unit_cost=1.0)
    served = [10, 5, 10, 10, 5, 10, 10, 10, 10]  # demand 10 each period
    modes = [monitor.observe(t, 10.0, float(s), 1.0) for t, s in enumerate(served)]
    # unhealthy at 1 -> fallback; healthy 2, 3; unhealthy 4 resets the count; healthy 5, 6, 7 -> recover at 7
    assert modes == [False, True, True, True, True, True, True, False, False]
    assert [(e.period, e.kind) for e in monitor.events] == [(1, "fallback"), (7, "recover")]


def test_cost_ratio_is_per_unit_demanded():
    monitor = Monitor(None, None, MonitorThresholds(window=2, min_fill_rate=None, max_cost_ratio=1.5),
                      expected_unit_cost=10.0)
    monitor.observe(0, 1.0, 1.0, 10.0)
    assert not monitor.observe(1, 1.0, 1.0, 12.0)  # (10 + 12) / 2 units = 11 per unit
    assert not monitor.observe(2, 4.0, 4.0, 50.0)  # volume up 4x: (12 + 50) / 5 = 12.4 per unit, ratio 1.24
    assert monitor.observe(3, 1.0, 1.0, 40.0)  # (50 + 40) / 5 = 18 per unit, ratio 1.8 > 1.5
    assert "cost ratio" in monitor.events[0].reason
    assert monitor.history()["cost_ratio"].to_numpy() == pytest.approx([1.0, 1.1, 1.24, 1.8])


def test_replay_log_reproduces_events_and_dashboard(scenario, tmp_path):
    monitor = Monitor(BrokenBetween(60, 80), SS(15, 30, repair=None), THRESHOLDS)
    simulate(monitor, scenario, seeds=1)
    log = monitor.history()
    replayed = Monitor.replay_log(log, THRESHOLDS)
    assert replayed.events == monitor.events
    page = render_dashboard(replayed.history(), replayed.events_frame(), THRESHOLDS, tmp_path / "dash")
    text = page.read_text()
    assert "data:image/png;base64," in text and "fallback" in text
    assert text.count("<img") >= 2


def test_monitor_and_guarded_policy_work_with_plan():
    import pandas as pd

    from hybridinv.deploy import GuardedPolicy, Guardrails
    from hybridinv.planner import plan

    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 9.0,
                            "lead_time": 1, "demand_mean": [5.0, 10.0], "demand_std": [2.0, 3.0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})
    monitor = Monitor(BaseStock(20, repair=None), SS(0, 0, repair=None), auto_observe=False)
    monitor.observe(0, 10.0, 2.0, 1.0)  # the ERP reports a bad period: no decision before the window is full
    result = plan(state, catalog, Constraints(), policy=monitor)
    assert result["order_qty"].tolist() == [20.0, 20.0]
    guarded = GuardedPolicy(BaseStock(20, repair=None), Guardrails(max_periods_of_supply=1.5))
    result = plan(state, catalog, Constraints(), policy=guarded)
    assert result["order_qty"].tolist() == [7.0, 15.0]  # floor(1.5 periods of forecast demand)


def _log(**columns):
    base = {"period": [0, 1, 2], "demand": [10.0, 10.0, 10.0], "served": [9.0, 10.0, 8.0], "cost": [5.0, 5.0, 6.0]}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    ("column", "values", "why"),
    [
        ("period", ["0", "week 1", "2"], "whole number"),
        ("period", [0.0, 1.5, 2.0], "whole number"),
        ("period", [0.0, np.nan, 2.0], "whole number"),
        ("demand", [10.0, "ten", 10.0], "finite number"),
        ("cost", [5.0, np.inf, 5.0], "finite number"),
        ("cogs", [1.0, "n/a", 2.0], "must be a number"),
    ],
)
def test_replay_log_refuses_non_numeric_cells(column, values, why):
    with pytest.raises(PlanningError, match=f"row 2: .*{why}") as info:
        Monitor.replay_log(_log(**{column: values}))
    assert info.value.column == column


def test_replay_log_reads_numbers_written_as_text():
    text = Monitor.replay_log(_log(period=["0", "1", "2"], demand=["10", "10", "10"]))
    numbers = Monitor.replay_log(_log())
    pd.testing.assert_frame_equal(text.history(), numbers.history())
    assert text.history()["period"].tolist() == [0, 1, 2]
