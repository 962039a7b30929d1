"""Monitor: KPI tracking, fallback on degradation, recovery, events, dashboard."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hybridinv import PlanningError, PlanningWarning, scenarios
from hybridinv.core import Constraints
from hybridinv.deploy import Monitor, MonitorThresholds, render_dashboard
from hybridinv.policies import SS, BaseStock
from hybridinv.sim import Observation, Simulator, simulate


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


def _run_to_the_end(monitor, scenario, periods, seed=3):
    sim = Simulator(scenario, periods=periods)
    obs = sim.reset(seed=seed)
    while not sim.done:
        obs = sim.step(monitor.act(obs))
    monitor.act(obs)  # observes the last period
    return sim.ledger


@pytest.mark.parametrize(("name", "constraints"), [
    ("single_sku", Constraints(capacity=6.0)),  # units rejected at receipt
    ("perishable", None),                       # expired stock
    ("disrupted", None),                        # short deliveries, random lead times
    ("multi_10", None),                         # seasonality, promotions, fixed order costs, shared capacity
])
def test_simulated_kpis_are_the_ledgers(name, constraints):
    scenario = scenarios.get(name) if name != "single_sku" else scenarios.single_sku(mean=5.0, periods=60, warmup=5)
    if constraints is not None:
        scenario = scenario.replace(constraints=constraints)
    level = np.rint(scenario.catalog.demand_mean * 4) if name != "single_sku" else np.array([25.0])
    monitor = Monitor(BaseStock(level, repair=None), BaseStock(level / 2, repair=None),
                      MonitorThresholds(min_fill_rate=None, max_cost_ratio=None))
    ledger = _run_to_the_end(monitor, scenario, 60)
    history = monitor.history()
    assert len(history) == 60
    assert history["served"].to_numpy() == pytest.approx(ledger.served)
    assert history["demand"].to_numpy() == pytest.approx(ledger.demand)
    assert history["cost"].to_numpy() == pytest.approx(ledger.costs.sum(axis=1), rel=1e-12)
    measured = history["period"] >= ledger.warmup
    assert history.loc[~measured, "cogs"].isna().all()  # per-SKU sales are kept from the warm-up on
    cogs = ledger.scenario.catalog.unit_cost @ ledger.sku_served
    assert history.loc[measured, "cogs"].sum() == pytest.approx(cogs, rel=1e-9)
    rows = history[measured]
    assert rows["served"].sum() / rows["demand"].sum() == pytest.approx(ledger.summary()["fill_rate"], rel=1e-12)


def test_rolling_fill_rate_counts_units_rejected_at_receipt():
    # capacity 6 rejects most of a base-stock 25's receipts: the fill rate the monitor sees is the ledger's
    scenario = scenarios.single_sku(mean=5.0, periods=120, warmup=0).replace(constraints=Constraints(capacity=6.0))
    monitor = Monitor(BaseStock([25.0], repair=None), BaseStock([12.0], repair=None),
                      MonitorThresholds(window=120, min_fill_rate=None, max_cost_ratio=None))
    ledger = _run_to_the_end(monitor, scenario, 120)
    assert ledger.overflow_units.sum() > 0
    assert monitor.history()["fill_rate"].iloc[-1] == pytest.approx(ledger.summary()["fill_rate"], rel=1e-12)


def test_balance_reconstruction_without_a_ledger_matches_the_simulator():
    # observations built from planning data have no ledger: the monitor reconstructs the period from
    # the inventory balance, exact without capacity rejections, short deliveries or waste
    scenario = scenarios.get("multi_10").replace(constraints=Constraints())
    monitor = Monitor(BaseStock(np.rint(scenario.catalog.demand_mean * 4), repair=None), SS(0, 0, repair=None),
                      MonitorThresholds(min_fill_rate=None, max_cost_ratio=None))
    sim = Simulator(scenario, periods=40)
    obs = sim.reset(seed=3)
    while not sim.done:
        planning = Observation.from_state(obs.state(), obs.catalog, obs.constraints, obs.forecast(1),
                                          obs.forecast_std(1), demand_history=obs.demand_history(1),
                                          period=obs.period, lost_sales=obs.lost_sales)
        assert planning.ledger is None
        obs = sim.step(monitor.act(planning))
    history = monitor.history()
    assert history["served"].to_numpy() == pytest.approx(sim.ledger.served[:39])
    assert history["demand"].to_numpy() == pytest.approx(sim.ledger.demand[:39])
    assert history["cost"].to_numpy() == pytest.approx(sim.ledger.costs[:39, :3].sum(axis=1), rel=1e-9)


@pytest.mark.parametrize(("values", "column"), [
    ((0, np.nan, 5.0, 1.0), "demand"),
    ((0, "10", 5.0, 1.0), "demand"),
    ((0, True, 1.0, 1.0), "demand"),
    ((0, 10.0, -1.0, 1.0), "served"),
    ((0, 10.0, 11.0, 1.0), "served"),
    ((0, 10.0, 5.0, np.inf), "cost"),
    ((-1, 10.0, 5.0, 1.0), "period"),
    ((0.5, 10.0, 5.0, 1.0), "period"),
])
def test_observe_refuses_bad_values(values, column):
    monitor = Monitor(None, None)
    with pytest.raises(PlanningError) as info:
        monitor.observe(*values)
    assert info.value.column == column
    assert monitor.history().empty  # nothing recorded


def test_observe_refuses_periods_out_of_order_and_a_bad_expected_cost():
    monitor = Monitor(None, None)
    monitor.observe(3, 10.0, 9.0, 5.0)
    with pytest.raises(PlanningError, match="after the last observed period 3"):
        monitor.observe(3, 10.0, 9.0, 5.0)
    for bad in (0.0, np.nan, np.inf, -1.0):
        with pytest.raises(PlanningError) as info:
            monitor.observe(4, 10.0, 9.0, 5.0, expected_unit_cost=bad)
        assert info.value.column == "expected_unit_cost"
    with pytest.raises(PlanningError) as info:
        monitor.observe(4, 10.0, 9.0, 5.0, inventory_value=-3.0)
    assert info.value.column == "inventory_value"
    assert len(monitor.history()) == 1


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


class Recording:
    """A policy that notes the periods it decided."""

    def __init__(self, policy) -> None:
        self.policy, self.periods, self.name = policy, [], "recording"

    def act(self, obs):
        self.periods.append(obs.period)
        return self.policy.act(obs)


def test_history_says_which_periods_the_fallback_planned_and_the_dashboard_shades_those(scenario, tmp_path):
    """The ``fallback`` flag of period t is the mode after t's outcome (it decides t + 1); the dashboard shaded and
    counted it as the periods the fallback planned, one period early."""
    fallback = Recording(SS(15, 30, repair=None))
    monitor = Monitor(BrokenBetween(60, 80), fallback, THRESHOLDS)
    simulate(monitor, scenario, seeds=1)
    history = monitor.history()
    switched, back = monitor.events[0].period, monitor.events[1].period
    assert history.loc[history["period"] == switched, ["fallback", "decided_by_fallback"]].values.tolist() == [
        [True, False]]  # the primary planned the period whose outcome triggered the switch
    planned = set(history.loc[history["decided_by_fallback"], "period"])
    observed = set(history["period"])
    assert planned == set(fallback.periods) & observed  # exactly the periods the fallback decided
    assert min(planned) == switched + 1 and back in planned and back + 1 not in planned
    assert len(history) == scenario.periods - 1  # the last period is observed by no later call
    page = render_dashboard(history, monitor.events_frame(), THRESHOLDS, tmp_path / "d").read_text()
    share = len(planned) / len(history)
    assert f"share of periods planned by the fallback: {share:.1%}" in page
    # a slice that starts on the fallback: rebuilt from ``fallback`` its first row read as planned by the primary
    start = min(planned) + 2
    tail = history[history["period"] >= start].reset_index(drop=True)
    assert tail["decided_by_fallback"].iloc[0]
    page = render_dashboard(tail, monitor.events_frame(), THRESHOLDS, tmp_path / "tail").read_text()
    assert f"share of periods planned by the fallback: {tail['decided_by_fallback'].mean():.1%}" in page


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
        ("demand", [10.0, True, 10.0], "not a boolean"),
        ("demand", [10.0, -10.0, 10.0], ">= 0"),
        ("served", [9.0, 11.0, 8.0], "must not exceed the demand"),
        ("period", [0, 0, 2], "above the previous row"),
        ("period", [0, -1, 2], ">= 0"),
        ("period", [3, 1, 4], "above the previous row"),
        ("inventory_value", [1.0, -2.0, 1.0], ">= 0"),
        ("expected_unit_cost", [1.0, 0.0, 1.0], "> 0"),
        ("expected_unit_cost", [1.0, np.inf, 1.0], "blank or a finite number"),
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


def test_replay_log_with_a_turns_threshold_needs_stock_and_cogs():
    thresholds = MonitorThresholds(window=2, min_inventory_turns=4.0)
    with pytest.raises(PlanningError, match="inventory-turns check") as info:
        Monitor.replay_log(_log(), thresholds)
    assert info.value.column == "inventory_value"
    with pytest.raises(PlanningError) as info:
        Monitor.replay_log(_log(inventory_value=[100.0] * 3, cogs=[np.nan] * 3), thresholds)
    assert info.value.column == "cogs"
    # 30 of cogs a period on 100 of stock: 15.6 turns a year, healthy; 1 a period: 0.52, not
    healthy = Monitor.replay_log(_log(inventory_value=[100.0] * 3, cogs=[30.0] * 3), thresholds)
    slow = Monitor.replay_log(_log(inventory_value=[100.0] * 3, cogs=[1.0] * 3), thresholds)
    assert healthy.events == [] and [e.kind for e in slow.events] == ["fallback"]


def test_replay_log_refuses_a_log_that_is_not_a_frame_or_has_a_column_twice():
    with pytest.raises(PlanningError, match="must be a pandas DataFrame"):  # was an AttributeError
        Monitor.replay_log(_log().to_dict("records"))
    log = _log()
    with pytest.raises(PlanningError, match="has the column more than once") as info:  # was an AttributeError
        Monitor.replay_log(pd.concat([log, log[["demand"]]], axis=1))
    assert info.value.column == "demand"
    with pytest.raises(PlanningError, match="missing required column") as info:
        Monitor.replay_log(log.drop(columns="served"))
    assert info.value.column == "served"


@pytest.mark.parametrize(("options", "column"), [
    ({"expected_unit_cost": 0.0}, "expected_unit_cost"), ({"expected_unit_cost": -1.0}, "expected_unit_cost"),
    ({"expected_unit_cost": np.nan}, "expected_unit_cost"), ({"periods_per_year": 0}, "periods_per_year"),
    ({"periods_per_year": -52}, "periods_per_year"), ({"periods_per_year": 10**13}, "periods_per_year"),
    ({"thresholds": {"window": 3}}, "thresholds"),
    ({"auto_observe": "no"}, "auto_observe"),
])
def test_monitor_options_are_checked_where_they_are_given(options, column):
    # each turned a check off or inverted it (a negative expected cost: no cost ratio ever above the limit)
    with pytest.raises(PlanningError) as info:
        Monitor(None, None, **options)
    assert info.value.column == column


def test_a_first_window_without_cost_is_not_the_cost_baseline():
    monitor = Monitor(None, None, MonitorThresholds(window=2, min_fill_rate=None, max_cost_ratio=1.5))
    for period, cost in enumerate([0.0, 0.0, 500.0, 500.0, 900.0, 900.0]):
        monitor.observe(period, 10.0, 10.0, cost)
    # the zero baseline made every later cost ratio NaN; now the first window whose periods all cost is the baseline
    assert monitor.history()["baseline_unit_cost"].iloc[-1] == pytest.approx(50.0)  # (500 + 500) / 20 units
    assert monitor.using_fallback and "cost ratio" in monitor.events[0].reason


def test_reset_forgets_the_periods_per_year_of_the_last_scenario(scenario):
    monitor = Monitor(BaseStock(25, repair=None), SS(0, 0, repair=None), THRESHOLDS)
    simulate(monitor, scenario, seeds=1, periods=10)
    assert monitor.periods_per_year == 52
    monthly = scenario.replace(periods_per_year=12)
    simulate(monitor, monthly, seeds=1, periods=10)
    assert monitor.periods_per_year == 12  # kept 52: turns 4.3 times too high


def test_plan_without_realized_demand_records_nothing_and_a_clash_names_auto_observe():
    from hybridinv.planner import plan

    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 9.0,
                            "lead_time": 1, "demand_mean": [5.0, 10.0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})
    monitor = Monitor(BaseStock(20, repair=None), SS(0, 0, repair=None))
    for week in range(3):
        plan(state, catalog, Constraints(), policy=monitor, period=week)
    assert monitor.history().empty  # it recorded the catalog's demand_mean (15) as each week's demand
    history = pd.DataFrame({"sku": ["A", "B"], "1": [4, 9], "2": [6, 12]})
    with pytest.warns(PlanningWarning, match="without forecast_history"):
        plan(state, catalog, Constraints(), policy=monitor, period=3, demand_history=history)
    assert monitor.history()["demand"].tolist() == [18.0]  # the last period of the given history
    with pytest.raises(PlanningError, match="auto_observe=False"):
        monitor.observe(2, 100.0, 99.0, 1000.0)


def test_thresholds_keep_whole_numbers_given_as_floats_as_ints():
    # the finding: window=4.0 (as read from JSON/TOML) was accepted, kept as a float, and the first observe
    # failed with "slice indices must be integers"; recovery_periods=2.0 printed "recovery after 2.0"
    thresholds = MonitorThresholds(window=4.0, recovery_periods=2.0, min_fill_rate=0.9, max_cost_ratio=None)
    assert (thresholds.window, thresholds.recovery_periods) == (4, 2)
    assert type(thresholds.window) is int and type(thresholds.recovery_periods) is int
    monitor = Monitor(None, None, thresholds)
    for period, served in enumerate([10, 10, 10, 10, 0, 10, 10, 10, 10, 10]):
        monitor.observe(period, 10, served, 1.0)
    assert [(e.period, e.kind, e.reason) for e in monitor.events] == [
        (4, "fallback", "fill rate 0.750 < 0.9"), (9, "recover", "2 consecutive healthy periods")]
    with pytest.raises(PlanningError, match="whole number") as err:
        MonitorThresholds(window=4.5)
    assert err.value.column == "window"


def test_plan_with_the_same_period_twice_tells_to_pass_an_increasing_period():
    # the finding: through plan() with its default period=0 the third call failed with a hint to pass
    # auto_observe=False "when you feed the ERP's numbers", though nothing had been fed
    import warnings

    from hybridinv.planner import plan

    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 9.0,
                            "lead_time": 1, "demand_mean": [5.0, 10.0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})

    def history(weeks):
        return pd.DataFrame({"sku": ["A", "B"], **{str(w): [5, 10] for w in range(1, weeks + 2)}})

    monitor = Monitor(BaseStock(20, repair=None), SS(0, 0, repair=None), MonitorThresholds(window=2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanningWarning)
        for week in range(2):
            plan(state, catalog, Constraints(), policy=monitor, demand_history=history(week))
        with pytest.raises(PlanningError, match=r"pass plan\(\.\.\., period=t\) increasing") as err:
            plan(state, catalog, Constraints(), policy=monitor, demand_history=history(2))
        assert "when you feed the ERP's numbers" not in str(err.value) and err.value.column == "period"
        assert len(monitor.history()) == 1  # nothing recorded by the refused call
        # the same period again is refused again (it planned silently, observing nothing, every other call)
        with pytest.raises(PlanningError, match=r"pass plan\(\.\.\., period=t\) increasing") as err:
            plan(state, catalog, Constraints(), policy=monitor, demand_history=history(2))
        assert err.value.column == "period" and len(monitor.history()) == 1
        for week in range(3, 6):  # as the message says: an increasing period
            plan(state, catalog, Constraints(), policy=monitor, period=week, demand_history=history(week))
    assert monitor.history()["period"].tolist() == [0, 3, 4]


def test_plan_calls_with_rows_in_another_order_or_other_skus_are_matched_by_sku():
    """The finding: the monitor matched the previous plan() call's SKUs by row position: the same data with the
    rows rotated recorded served 65 and cost 6,406.54 instead of 63 and 6,538.97, and a call with fewer SKUs
    failed with numpy's broadcast error on every later call."""
    import warnings

    from hybridinv import plan
    from hybridinv.examples import example_frames, example_scenario

    catalog, state = example_frames()
    scenario = example_scenario()
    history = pd.DataFrame({"sku": catalog["sku"], "w0": 5.0, "w1": 5.0})
    history.loc[0, "w1"] = 50.0
    records = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="demand_history was given without", category=PlanningWarning)
        for order in (np.arange(12), np.r_[1:12, 0], np.arange(12)[::-1]):
            monitor = Monitor(BaseStock.fit(scenario), BaseStock.fit(scenario))
            plan(state, catalog, policy=monitor, demand_history=history, period=0)
            plan(state.iloc[order], catalog.iloc[order], policy=monitor, demand_history=history.iloc[order], period=1)
            records.append(monitor.history().iloc[0])
        for record in records[1:]:
            for column in ("demand", "served", "cost", "cogs"):
                assert record[column] == pytest.approx(records[0][column], rel=1e-12), column
        # fewer SKUs on the next call: the shared ones are recorded, and a warning names the first one left out
        monitor = Monitor(BaseStock.fit(scenario), BaseStock.fit(scenario))
        plan(state, catalog, policy=monitor, demand_history=history, period=0)
        kept = catalog["sku"].iloc[:8]
        with pytest.warns(PlanningWarning, match=r"4 SKU\(s\) planned in only one of the last two plan\(\) calls "
                                                 r"\(first 'P-108'\)"):
            plan(state.iloc[:8], catalog.iloc[:8], policy=monitor, demand_history=history.iloc[:8], period=1)
        plan(state.iloc[:8], catalog.iloc[:8], policy=monitor, demand_history=history.iloc[:8], period=2)
    rows = monitor.history()
    assert rows["period"].tolist() == [0, 1]
    assert rows["demand"].iloc[0] == pytest.approx(history.set_index("sku").loc[kept, "w1"].sum())


@pytest.mark.parametrize(("served", "falls_back"), [(2.7, False), (2.6999, True)])
def test_a_fill_rate_at_the_threshold_is_not_below_it(served: float, falls_back: bool):
    # the finding: 8 periods of 2.7 served of 3 summed row by row gave 0.8999999999999999 and a fallback
    # "below" 0.9; the exactly rounded sum is 0.9, and only a rate below by more than rounding falls back
    monitor = Monitor(None, None, MonitorThresholds(window=8, min_fill_rate=0.9, max_cost_ratio=None))
    for t in range(8):
        monitor.observe(t, 3.0, served, 1.0)
    assert bool(monitor.events) is falls_back
    assert monitor.history()["fill_rate"].iloc[-1] == pytest.approx(served / 3.0, rel=1e-15)


def test_through_plan_the_monitor_records_the_orders_placed_not_the_ones_wanted() -> None:
    """plan() cut the wanted [8, 17] to [7, 3] for the budget, but the monitor rebuilt the period from [8, 17]:
    fill rate 1.0 and cost 107 where the placed orders gave 12 of 14 units (0.857) and 57, so it did not fall back.
    The truth is worked out by hand below from the orders plan() returned."""
    from hybridinv import plan

    cat = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [2.0, 5.0], "holding_cost": [0.5, 1.0],
                        "shortage_cost": [7.0, 11.0], "lead_time": [1, 0], "order_cost": [3.0, 0.0],
                        "demand_mean": [5.0, 4.0]})
    monitor = Monitor(BaseStock(20, repair=None), SS(0, 0, repair=None),
                      MonitorThresholds(window=1, min_fill_rate=0.9, max_cost_ratio=None))
    budget = Constraints(budget=30.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = plan(pd.DataFrame({"sku": ["A", "B"], "on_hand": [10, 3]}), cat, budget, policy=monitor, period=0,
                     open_orders=pd.DataFrame({"sku": ["A"], "arrives_in": [0], "quantity": [2]}),
                     demand_history=pd.DataFrame({"sku": ["A", "B"], "h1": [5, 4]}))
        placed = first.set_index("sku")["order_qty"].reindex(["A", "B"]).to_numpy(dtype=float)
        assert placed.tolist() != first.set_index("sku")["desired_qty"].reindex(["A", "B"]).tolist()
        demand = np.array([6.0, 8.0])  # the period's demand; A: 10 on hand + 2 due, B: 3 + its lead-time-0 order
        served = np.minimum([12.0, 3.0 + placed[1]], demand)
        end = np.array([12.0, 3.0 + placed[1]]) - served
        plan(pd.DataFrame({"sku": ["A", "B"], "on_hand": end}), cat, budget, policy=monitor, period=1,
             open_orders=pd.DataFrame({"sku": ["A"], "arrives_in": [0], "quantity": [placed[0]]}),
             demand_history=pd.DataFrame({"sku": ["A", "B"], "h1": [5, 4], "h2": demand}))
    record = monitor.history().iloc[0]
    cost = (0.5 * end[0] + 1.0 * end[1] + 7.0 * (demand[0] - served[0]) + 11.0 * (demand[1] - served[1])
            + 2.0 * placed[0] + 5.0 * placed[1] + 3.0 * (placed[0] > 0))
    assert record["served"] == served.sum() and record["cost"] == pytest.approx(cost)
    fill = served.sum() / demand.sum()
    assert fill < 0.9 and [e.kind for e in monitor.events] == ["fallback"]


@pytest.mark.parametrize(("column", "value"), [("period", 1e300), ("period", 2.0**70), ("demand", 1e308),
                                               ("cost", 1e16), ("inventory_value", 1e300)])
def test_absurd_magnitudes_in_a_monitoring_log_are_refused(column, value):
    """A period of 1e300 or 2**70 and a demand of 1e308 were accepted (sums overflowed)."""
    log = pd.DataFrame({"period": [0.0, 1.0, 2.0], "demand": [1.0, 2.0, 3.0], "served": [1.0, 2.0, 3.0],
                        "cost": [1.0, 1.0, 1.0], "inventory_value": [5.0, 5.0, 5.0]})
    log.loc[2, column] = value
    if column == "demand":
        log.loc[2, "served"] = 1.0
    with pytest.raises(PlanningError, match=f"column '{column}'.*must be at most"):
        Monitor.replay_log(log)
    monitor = Monitor(None, None, MonitorThresholds())
    row = {"period": 0, "demand": 1.0, "served": 1.0, "cost": 1.0, "inventory_value": 5.0} | {column: value}
    if column == "demand":
        row["served"] = 1.0
    with pytest.raises(PlanningError, match=f"column '{column}'"):
        monitor.observe(**row)
    Monitor.replay_log(log.assign(**{column: [0.0, 1.0, 1e12] if column == "period" else 3.0}))  # large is fine


def test_the_cost_baseline_waits_for_a_full_window_from_the_first_cost_on():
    """Costs 0, 0, 0, 10 and then 10 a period: the mostly empty first window set a baseline of 0.25 a unit, so the
    steady state read a cost ratio of 4 and fell back."""
    thresholds = MonitorThresholds(window=4, min_fill_rate=None, max_cost_ratio=1.3, recovery_periods=2)
    costs = [0.0, 0.0, 0.0, 10.0] + [10.0] * 12
    log = pd.DataFrame({"period": range(len(costs)), "demand": 10.0, "served": 10.0, "cost": costs})
    monitor = Monitor.replay_log(log, thresholds)
    assert monitor.events == []
    history = monitor.history()
    assert history["baseline_unit_cost"].dropna().unique().tolist() == [1.0]  # 40 / 40 units, periods 3-6
    assert history["baseline_unit_cost"].isna().sum() == 6  # no baseline before the first such window
    assert history["expected_unit_cost"].isna().all()  # derived, not given


def test_costs_booked_every_other_period_still_get_a_baseline_and_a_50_fold_rise_falls_back():
    """Requiring every period of the window to cost something never set a baseline for costs billed every other
    period: the cost check was off for good and a 50-fold rise in cost per unit went unnoticed."""
    thresholds = MonitorThresholds(window=4, min_fill_rate=None, max_cost_ratio=1.3, recovery_periods=2)
    costs = [20.0, 0.0] * 10 + [1000.0, 0.0] * 10
    log = pd.DataFrame({"period": range(len(costs)), "demand": 10.0, "served": 10.0, "cost": costs})
    monitor = Monitor.replay_log(log, thresholds)
    history = monitor.history()
    assert history["baseline_unit_cost"].dropna().unique().tolist() == [1.0]  # 40 / 40 units, periods 0-3
    assert history["cost_ratio"].iloc[-1] == pytest.approx(50.0)
    assert [e.kind for e in monitor.events] == ["fallback"]


def _rolling(monitor: Monitor) -> pd.DataFrame:
    return monitor.history()[["period", "baseline_unit_cost", "cost_ratio", "fallback"]]


def test_a_history_replayed_with_another_window_reads_as_the_raw_kpis_do(tmp_path):
    """history() wrote the baseline it derived as expected_unit_cost, which replay_log reads as given row by row: a
    history of a window of 8 replayed with a window of 4 kept its own baseline until row 8, then switched to the
    window of 8's (a cost ratio of 1.33 for 2.0)."""
    costs = [1000.0] * 4 + [2000.0] * 16  # 10 a unit, then 20
    raw = pd.DataFrame({"period": range(20), "demand": 100.0, "served": 100.0, "cost": costs})
    Monitor.replay_log(raw, MonitorThresholds(window=8)).history().to_csv(tmp_path / "history.csv", index=False)
    history = pd.read_csv(tmp_path / "history.csv")
    assert history["expected_unit_cost"].isna().all() and history["baseline_unit_cost"].notna().any()
    for window in (2, 4, 8, 12):
        thresholds = MonitorThresholds(window=window, min_fill_rate=None, recovery_periods=2)
        replayed, fresh = Monitor.replay_log(history, thresholds), Monitor.replay_log(raw, thresholds)
        pd.testing.assert_frame_equal(_rolling(replayed), _rolling(fresh))
        assert [e.period for e in replayed.events] == [e.period for e in fresh.events]
    four = Monitor.replay_log(history, MonitorThresholds(window=4, max_cost_ratio=None))
    assert four.history()["cost_ratio"].iloc[7:].round(6).tolist() == [2.0] * 13  # not 1.33 from row 8 on


def test_an_expected_cost_the_user_gave_is_kept_by_the_history_and_its_replay(tmp_path):
    costs = [1000.0] * 4 + [2000.0] * 16
    raw = pd.DataFrame({"period": range(20), "demand": 100.0, "served": 100.0, "cost": costs,
                        "expected_unit_cost": [np.nan] * 6 + [16.0] + [np.nan] * 13})  # given from period 6 on
    history = Monitor.replay_log(raw, MonitorThresholds(window=4)).history()
    assert history["expected_unit_cost"].isna().sum() == 6 and (history["expected_unit_cost"].iloc[6:] == 16.0).all()
    assert history["baseline_unit_cost"].iloc[3:6].tolist() == [10.0] * 3  # derived before it was given
    assert history["baseline_unit_cost"].iloc[6:].unique().tolist() == [16.0]
    history.to_csv(tmp_path / "history.csv", index=False)
    for window in (2, 8):
        thresholds = MonitorThresholds(window=window, min_fill_rate=None, recovery_periods=2)
        pd.testing.assert_frame_equal(_rolling(Monitor.replay_log(pd.read_csv(tmp_path / "history.csv"), thresholds)),
                                      _rolling(Monitor.replay_log(raw, thresholds)))
    given = Monitor(None, None, MonitorThresholds(window=4), expected_unit_cost=12.5)
    for period in range(3):
        given.observe(period, 10.0, 10.0, 150.0)
    assert given.history()["expected_unit_cost"].tolist() == [12.5] * 3
    assert given.history()["baseline_unit_cost"].tolist() == [12.5] * 3
    assert given.history()["cost_ratio"].iloc[-1] == pytest.approx(1.2)


def test_a_period_whose_turns_cannot_be_measured_does_not_count_towards_recovery():
    """One blank inventory_value made the window's turns NaN, the check was skipped, the periods counted as healthy,
    and the monitor switched back to the primary at 6 on no data (and fell back again at 9)."""
    thresholds = MonitorThresholds(window=4, min_fill_rate=None, max_cost_ratio=None, min_inventory_turns=10,
                                   recovery_periods=2)
    log = pd.DataFrame({"period": range(12), "demand": 100.0, "served": 100.0, "cost": 200.0,
                        "inventory_value": 600.0, "cogs": 100.0})  # 8.7 turns a year: below 10 throughout
    log.loc[5, "inventory_value"] = np.nan
    monitor = Monitor.replay_log(log, thresholds)
    assert [(e.period, e.kind) for e in monitor.events] == [(3, "fallback")]
    history = monitor.history()
    unknown = history["period"].between(5, 8)  # the windows holding the blank
    assert not history.loc[unknown, "healthy"].any()
    assert history.loc[unknown, "reason"].str.startswith("turns unknown").all()
    assert history.loc[~unknown & (history["period"] >= 3), "reason"].str.startswith("turns 8.7 < 10").all()
    # a window without stock holds no excess stock: it passes, and an unknown period alone does not fall back
    log["inventory_value"] = [0.0] * 4 + [np.nan] + [0.0] * 7
    monitor = Monitor.replay_log(log, thresholds)
    assert monitor.events == []
    assert monitor.history()["healthy"].tolist() == [True] * 4 + [False] * 4 + [True] * 4


def test_a_window_without_demand_is_not_healthy_for_recovery():
    """Demand stopped while the cost went to 1e6 a period: the cost ratio was NaN, its check skipped, and the monitor
    logged "recover: 6 consecutive healthy periods" at 12 while the cost was still 1e6."""
    demand = [10.0] * 4 + [0.0] * 10
    log = pd.DataFrame({"period": range(14), "demand": demand, "served": demand, "cost": [20.0] * 4 + [1e6] * 10})
    monitor = Monitor.replay_log(log, MonitorThresholds(window=4))
    assert [(e.period, e.kind) for e in monitor.events] == [(4, "fallback")]
    assert monitor.using_fallback
    history = monitor.history()
    assert not history["healthy"].iloc[7:].any()
    assert (history["reason"].iloc[7:] == "cost ratio unknown (no demand in the window)").all()
    # unknown resets the count: healthy, unknown, healthy does not recover with recovery_periods=2
    monitor = Monitor(None, None, MonitorThresholds(window=1, min_fill_rate=0.9, max_cost_ratio=1.5,
                                                    recovery_periods=2), expected_unit_cost=1.0)
    modes = [monitor.observe(t, d, s, c) for t, (d, s, c) in enumerate(
        [(10, 10, 10), (10, 5, 10), (10, 10, 10), (0, 0, 5), (10, 10, 10), (10, 10, 10)])]
    assert modes == [False, True, True, True, True, False]
    assert [(e.period, e.kind) for e in monitor.events] == [(1, "fallback"), (5, "recover")]


def test_the_stock_value_leaves_out_the_skus_left_out_of_the_period():
    """The stock was valued before the two plan() calls were matched by SKU: a SKU new in the second call holding
    100,000 units made the period's inventory_value 2,355,654.85 where the 11 SKUs of both calls hold 1,654.85."""
    from hybridinv import plan
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    monitor = Monitor(BaseStock(20, repair=None), SS(0, 0, repair=None))
    later = state.copy()
    later.loc[11, "on_hand"] = 100_000
    history = pd.DataFrame({"sku": catalog["sku"], "p0": catalog["demand_mean"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanningWarning)
        plan(state.iloc[:11], catalog.iloc[:11], policy=monitor, period=0)
        plan(later, catalog, policy=monitor, demand_history=history, period=1)
    record = monitor.history().iloc[0]
    shared = catalog["unit_cost"].iloc[:11].to_numpy() @ later["on_hand"].iloc[:11].to_numpy(dtype=float)
    assert record["inventory_value"] == pytest.approx(shared, rel=1e-12)
    assert record["demand"] == pytest.approx(catalog["demand_mean"].iloc[:11].sum())


def test_through_plan_skus_without_a_demand_history_row_are_left_out_of_the_period():
    """plan() reads the history of a SKU with no demand_history row as its forecast, and the monitor recorded that as
    the period's realized demand: demand given for 2 of 12 SKUs (both 0) was recorded as 84, the other 10's forecast.
    Those SKUs are now left out with a warning, so the record is that of a plan() of the 2 SKUs alone."""
    from hybridinv import plan
    from hybridinv.examples import example_frames

    catalog, state = example_frames()
    history = pd.DataFrame({"sku": catalog["sku"].iloc[:2], "p0": [0.0, 0.0]})
    records = []
    for rows in (slice(None), slice(0, 2)):
        monitor = Monitor(BaseStock(20, repair=None), SS(0, 0, repair=None))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlanningWarning)
            plan(state.iloc[rows], catalog.iloc[rows], policy=monitor, period=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plan(state.iloc[rows], catalog.iloc[rows], policy=monitor, demand_history=history, period=1)
        records.append(monitor.history().iloc[0])
        left_out = [str(w.message) for w in caught if "left out of the period's KPIs" in str(w.message)]
        assert left_out == ([] if rows == slice(0, 2) else [
            "period 0: 10 SKU(s) with no row in demand_history (first 'P-102') are left out of the period's KPIs: "
            "their demand is unknown (plan() reads their history as the forecast)"])
    assert records[0]["demand"] == 0.0 and records[0]["served"] == 0.0
    for column in ("demand", "served", "cost", "inventory_value", "cogs"):
        assert records[0][column] == pytest.approx(records[1][column], rel=1e-12), column
    # the 2 SKUs of the first call have no demand_history row in the second: nothing is recorded, and a warning says so
    monitor = Monitor(BaseStock(20, repair=None), SS(0, 0, repair=None))
    others = pd.DataFrame({"sku": catalog["sku"].iloc[2:], "p0": 3.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanningWarning)
        plan(state.iloc[:2], catalog.iloc[:2], policy=monitor, period=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan(state, catalog, policy=monitor, demand_history=others, period=1)
    assert any("no SKU of the last two plan() calls has realized demand in both: the period is not recorded"
               in str(w.message) for w in caught)
    assert monitor.history().empty


def test_replay_log_warns_about_skipped_periods():
    """A log without periods 2 to 4 (an export that dropped rows) was read without a word, though the window counts
    rows: a window of 3 over periods 0, 1, 5 spans 6 periods."""
    gappy = _log(period=[0, 1, 5])
    with pytest.warns(PlanningWarning, match=r"3 period number\(s\) have no row \(1 gap\(s\); first: after period 1, "
                                             r"next 5\)"):
        monitor = Monitor.replay_log(gappy, MonitorThresholds(window=3))
    assert len(monitor.history()) == 3  # still read, every row
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanningWarning)
        Monitor.replay_log(_log(period=[4, 5, 6]), MonitorThresholds(window=3))  # consecutive from any start: silent


def test_a_failing_policy_does_not_block_the_next_plan_call():
    """The fallback raised in plan(period=1); the monitor kept period 0's state, so plan(period=2) was refused as
    repeating a period (a message blaming the period numbers) and that call was lost. Now the failing call's
    error names the role, and the next call starts afresh."""
    from hybridinv import plan
    from hybridinv.examples import example_scenario

    sc = example_scenario(periods=12)
    catalog, state = sc.catalog.to_frame(), sc.initial_state.to_frame()

    class Exploding:
        name = "exploding"
        fail = True

        def act(self, obs):
            if self.fail:
                raise RuntimeError("fallback exploded")
            return np.zeros(obs.n_skus)

    fallback = Exploding()
    monitor = Monitor(BaseStock(0.0), fallback, MonitorThresholds(window=1, min_fill_rate=0.99, recovery_periods=1,
                                                                 max_cost_ratio=None))

    def call(t):
        history = pd.DataFrame({"sku": sc.catalog.sku, **{f"p{k}": 50.0 for k in range(t + 1)}})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return plan(state, catalog, None, policy=monitor, period=t, demand_history=history)

    call(0)
    with pytest.raises(RuntimeError, match="fallback exploded") as info:
        call(1)  # period 0 filled 0 of the demand: the fallback decides period 1, and fails
    assert any("fallback policy 'exploding' in period 1" in note for note in info.value.__notes__)
    fallback.fail = False
    call(2)
    call(3)
    assert monitor.history()["period"].tolist() == [0, 2]


def test_replay_log_refuses_an_empty_log_and_warns_about_one_shorter_than_the_window():
    """An empty log, or one of fewer rows than the window, checked no period: every row read healthy and the
    dashboard showed no switch, without a word."""
    log = pd.DataFrame({"period": range(5), "demand": 10.0, "served": 0.0, "cost": 5.0})  # nothing served
    with pytest.raises(PlanningError, match="no rows") as info:
        Monitor.replay_log(log.iloc[:0])
    assert info.value.column == "period"
    with pytest.warns(PlanningWarning, match="5 row\\(s\\), fewer than the window of 8 periods"):
        monitor = Monitor.replay_log(log, MonitorThresholds(window=8))
    assert monitor.events == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Monitor.replay_log(log, MonitorThresholds(window=5)).events[0].kind == "fallback"
