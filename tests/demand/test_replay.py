"""Replay and block-bootstrap demand (hybridinv/demand/replay.py): what a seed means, no look-ahead."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.core.errors import PlanningError
from hybridinv.demand.forecasters import Forecaster
from hybridinv.demand.replay import BlockBootstrap, ForecastReplay, ScaledReplay, seasonal_block_starts


def _history(periods: int = 48, n: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    season = 1.0 + 0.4 * np.sin(2 * np.pi * np.arange(periods) / 12)
    return rng.poisson(20.0 * season[:, None], size=(periods, n)).astype(float)


def _replay(y: np.ndarray, cut: int) -> ForecastReplay:
    fc = Forecaster(season=12).fit(y[:cut])
    rolled = fc.roll(y, start=cut, horizon=5)
    past = fc.roll(y[:cut], start=0, horizon=1).one_step[:cut]
    return ForecastReplay(mean=y[:cut].mean(axis=0), realized=y[cut:], forecast=rolled, past_realized=y[:cut],
                          past_expected=past)


def test_replay_gives_the_record_for_every_seed() -> None:
    y = _history()
    process = _replay(y, 36)
    a = process.sample(np.random.default_rng(1), 20)
    b = process.sample(np.random.default_rng(2), 20)
    np.testing.assert_array_equal(a.realized[:12], y[36:])
    np.testing.assert_array_equal(a.realized, b.realized)
    np.testing.assert_array_equal(a.forecast_mean, b.forecast_mean)
    assert a.forecast_mean.shape == (20, 5, 4)
    np.testing.assert_array_equal(a.expected, a.forecast_mean[:, 0])
    np.testing.assert_array_equal(a.past_realized, y[:36])


def test_replay_refuses_too_few_forecast_origins() -> None:
    y = _history()
    fc = Forecaster(season=12).fit(y[:36])
    short = fc.roll(y[:40], start=36, horizon=2)  # 5 origins for 12 replayed periods
    with pytest.raises(PlanningError, match="rolling forecast"):
        ForecastReplay(mean=np.ones(4), realized=y[36:], forecast=short, past_realized=y[:36], past_expected=y[:36])


@pytest.mark.parametrize("bad", [-7.0, np.inf, 1e300])
def test_replay_refuses_recorded_demand_out_of_range(bad: float) -> None:
    """The simulator trusts a process's paths: a recorded -7 grew the stock by 7, inf made the cost inf."""
    y = _history()
    fc = Forecaster(season=12).fit(y[:36])
    record = y[36:].copy()
    record[2, 1] = bad
    with pytest.raises(PlanningError, match="period 2, series 1") as info:
        ForecastReplay(mean=np.ones(4), realized=record, forecast=fc.roll(y, start=36, horizon=2),
                       past_realized=y[:36], past_expected=y[:36])
    assert info.value.column == "realized" and info.value.value == bad


def test_replay_reads_unobserved_recorded_demand_as_zero() -> None:
    y = _history()
    record = y.copy()
    record[38, 0] = np.nan
    path = _replay(record, 36).sample(np.random.default_rng(0), 12)
    assert path.realized[2, 0] == 0.0 and path.realized[2, 1] == y[38, 1]


def test_bootstrap_block_longer_than_the_history_is_named_as_the_block() -> None:
    """block=49 on 48 periods was reported as a bad history."""
    y = _history()
    with pytest.raises(PlanningError, match="at most the history's 48 periods") as info:
        BlockBootstrap(mean=np.ones(4), history=y, forecaster=Forecaster(season=12).fit(y), block=49)
    assert info.value.column == "block" and info.value.value == 49


def test_seasonal_blocks_keep_the_phase() -> None:
    rows = seasonal_block_starts(np.random.default_rng(3), 60, 48, 6, 12)
    assert ((rows % 12) == (np.arange(60) % 12)).all()
    assert rows.max() < 48


def test_bootstrap_same_seed_same_path_other_seed_other_path() -> None:
    y = _history()
    fc = Forecaster(season=12).fit(y)
    process = BlockBootstrap(mean=y.mean(axis=0), history=y, forecaster=fc, block=6, season=12, lead_in=24,
                             horizon=4)
    a = process.sample(np.random.default_rng(5), 20)
    again = process.sample(np.random.default_rng(5), 20)
    other = process.sample(np.random.default_rng(6), 20)
    np.testing.assert_array_equal(a.realized, again.realized)
    assert not np.array_equal(a.realized, other.realized)
    assert a.past_realized.shape == (24, 4) and a.forecast_mean.shape == (20, 4, 4)
    drawn = np.vstack([a.past_realized, a.realized])
    whole = fc.roll(drawn, start=24, horizon=4)
    np.testing.assert_array_equal(a.forecast_mean, whole.mean[:20])  # forecasts of the drawn path itself
    # every drawn row is a row of the history at the same seasonal phase
    for r, row in enumerate(drawn):
        matches = np.flatnonzero((y == row).all(axis=1))
        assert any(m % 12 == r % 12 for m in matches)


def test_simulated_history_draws_the_process_with_rolling_forecasts() -> None:
    from hybridinv.demand.processes import DemandProcess
    from hybridinv.demand.replay import SimulatedHistory

    y = _history(n=4)
    fc = Forecaster(season=12).fit(y)
    full = DemandProcess(mean=np.array([5.0, 20.0, 40.0, 80.0, 160.0]))  # five series, three drawn
    process = SimulatedHistory(mean=np.ones(3), process=full, columns=np.array([4, 0, 2]),
                               forecaster=fc.subset(np.array([0, 1, 2])), lead_in=12, horizon=3, skip=5)
    a = process.sample(np.random.default_rng(3), 10)
    b = process.sample(np.random.default_rng(3), 10)
    np.testing.assert_array_equal(a.realized, b.realized)
    drawn = full.sample(np.random.default_rng(3), 5 + 12 + 10 + 16).realized[5:, [4, 0, 2]]
    np.testing.assert_array_equal(a.realized, drawn[12:22])
    np.testing.assert_array_equal(a.past_realized, drawn[:12])
    assert a.realized[:, 0].mean() > a.realized[:, 1].mean()  # mean 160 vs 5
    with pytest.raises(PlanningError, match="columns"):
        SimulatedHistory(mean=np.ones(2), process=full, columns=np.array([0, 9]), forecaster=fc.subset([0, 1]))


def test_an_observation_knows_the_rolling_forecast_horizon() -> None:
    """Observation.forecast_periods is the rolled forecast's horizon (5 here), not the path's length."""
    from hybridinv import Catalog, Constraints
    from hybridinv.sim import Scenario, Simulator

    y = _history()
    n = y.shape[1]
    catalog = Catalog(sku=np.array([f"S{i}" for i in range(n)], dtype=object), unit_cost=np.ones(n),
                      holding_cost=np.ones(n), shortage_cost=np.full(n, 5.0), lead_time=np.zeros(n, dtype=np.int64))
    scenario = Scenario(name="replay", catalog=catalog, constraints=Constraints(), demand=_replay(y, 36), periods=12,
                        warmup=0, lookahead=0)
    obs = Simulator(scenario).reset(seed=0)
    assert obs.forecast_periods == 5
    np.testing.assert_array_equal(obs.forecast(7)[:, 5:], np.repeat(obs.forecast(5)[:, -1:], 2, axis=1))


def test_a_replay_is_not_simulated_past_its_record() -> None:
    """12 recorded periods: simulating 20 ran 8 periods without demand (their holding cost lowered the average)."""
    from hybridinv import Catalog, Constraints
    from hybridinv.policies import BaseStock
    from hybridinv.sim import BatchSimulator, Scenario, Simulator, simulate

    y = _history()
    n = y.shape[1]
    catalog = Catalog(sku=np.array([f"S{i}" for i in range(n)], dtype=object), unit_cost=np.ones(n),
                      holding_cost=np.ones(n), shortage_cost=np.full(n, 5.0), lead_time=np.zeros(n, dtype=np.int64))
    scenario = Scenario(name="replay", catalog=catalog, constraints=Constraints(), demand=_replay(y, 36), periods=12)
    path = scenario.sample(0)  # the horizon itself, and the lookahead past it, are fine
    np.testing.assert_array_equal(path.demand.realized[:12], y[36:])
    assert simulate(BaseStock(25.0), scenario, seeds=1, periods=12)["periods"].iloc[0] == 12
    for run in (lambda: scenario.sample(0, 20), lambda: Simulator(scenario, periods=13).reset(seed=0),
                lambda: BatchSimulator(scenario, periods=20).reset(seeds=[0]),
                lambda: simulate(BaseStock(25.0), scenario, seeds=1, periods=20),
                lambda: Simulator(scenario.replace(periods=24)).reset(seed=1)):
        with pytest.raises(PlanningError, match="replays 12 recorded periods") as err:
            run()
        assert err.value.column == "periods"


@pytest.mark.parametrize(("name", "value"), [
    ("block", 0), ("block", 2.5), ("block", float("nan")), ("season", 0), ("season", 2.5),
    ("lead_in", 0), ("lead_in", 2.5), ("horizon", 0), ("horizon", 2.5), ("horizon", True),
])
def test_bootstrap_refuses_a_block_season_lead_in_or_horizon_that_is_not_a_whole_number(name: str,
                                                                                         value: object) -> None:
    # the finding: block 0 was refused only at the first draw, 2.5 and NaN were TypeErrors there, a season
    # of 2.5 was accepted and truncated the block starts, horizon=0 was reported as lead_in=24
    y = _history()
    fc = Forecaster(season=12).fit(y)
    options: dict[str, object] = {"block": 6, "season": 12, "lead_in": 24, "horizon": 4, name: value}
    with pytest.raises(PlanningError) as info:
        BlockBootstrap(mean=y.mean(axis=0), history=y, forecaster=fc, **options)  # type: ignore[arg-type]
    assert info.value.column == name


@pytest.mark.parametrize(("name", "value"), [("lead_in", 0), ("horizon", 1.5), ("skip", -1), ("skip", 0.5)])
def test_simulated_history_refuses_a_lead_in_horizon_or_skip_that_is_not_a_whole_number(name: str,
                                                                                        value: object) -> None:
    from hybridinv.demand.processes import DemandProcess
    from hybridinv.demand.replay import SimulatedHistory

    y = _history(n=2)
    fc = Forecaster(season=12).fit(y)
    options: dict[str, object] = {"lead_in": 24, "horizon": 4, "skip": 0, name: value}
    with pytest.raises(PlanningError) as info:
        SimulatedHistory(mean=np.ones(2), process=DemandProcess(mean=np.ones(3)), columns=np.array([0, 2]),
                         forecaster=fc, **options)  # type: ignore[arg-type]
    assert info.value.column == name


def _bootstrap(y: np.ndarray, cut: int) -> BlockBootstrap:
    return BlockBootstrap(mean=y[:cut].mean(axis=0), history=y[:cut], forecaster=Forecaster(season=12).fit(y[:cut]))


@pytest.mark.parametrize("bad", [7, None, np.random.RandomState(0)])
@pytest.mark.parametrize("make", ["replay", "bootstrap", "scaled"])
def test_sample_names_an_rng_that_is_not_a_generator(bad: object, make: str) -> None:
    """As DemandProcess.sample: the bootstrap's seed, None or RandomState was an AttributeError ('no attribute
    integers') deep in seasonal_block_starts, and the replay took any object (a seed seemed to mean something)."""
    y = _history()
    scaled = ScaledReplay(mean=2 * y[:36].mean(axis=0), process=_bootstrap(y, 36), factor=2.0)
    process = {"replay": _replay(y, 36), "bootstrap": _bootstrap(y, 36), "scaled": scaled}[make]
    with pytest.raises(PlanningError, match="default_rng") as info:
        process.sample(bad, 5)  # type: ignore[arg-type]
    assert (info.value.column, info.value.value) == ("rng", type(bad).__name__)
    assert process.sample(np.random.default_rng(0), 5).realized.shape == (5, 4)


@pytest.mark.parametrize("periods", [-1, 2.5])
def test_sample_names_bad_periods(periods: float) -> None:
    y = _history()
    for process in (_replay(y, 36), _bootstrap(y, 36)):
        with pytest.raises(PlanningError, match="whole number") as info:
            process.sample(np.random.default_rng(0), periods)  # type: ignore[arg-type]
        assert info.value.column == "periods"
