"""Real-data backtests (carparts, hospital); skipped when the data folder is absent."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.demand.replay import ForecastReplay
from hybridinv.policies.registry import make
from hybridinv.sim import simulate
from hybridinv.twin import data_dir, load_series, real_data_backtest, real_data_scenario

pytestmark = pytest.mark.skipif(
    not (data_dir() / "hospital.csv.gz").exists(),
    reason=f"real demand data not found in {data_dir()} (set HYBRIDINV_DATA to the folder with hospital.csv.gz)",
)


def test_load_series_shapes():
    hospital = load_series("hospital")
    assert hospital.shape == (84, 767)
    carparts = load_series("carparts")
    assert carparts.shape == (51, 2674)
    assert carparts.isna().any().any()  # early months missing for some series


def test_hospital_backtest_replays_actual_demand_and_tunes_on_the_training_months():
    backtest = real_data_backtest("hospital", n_series=20)
    scenario = backtest.scenario
    assert scenario.n_skus == 20 and scenario.periods == 24 and "replay" in scenario.tags
    assert isinstance(scenario.demand, ForecastReplay)
    path = scenario.sample(seed=123, periods=24)
    assert path.demand.realized[:24] == pytest.approx(backtest.test.to_numpy())
    # seeds do not change the replay (evaluation) ...
    assert scenario.sample(seed=1, periods=24).demand.realized[:24] == pytest.approx(path.demand.realized[:24])
    # ... and whatever is fitted sees a seeded bootstrap of the training months instead
    fitting = scenario.for_fitting()
    drawn = fitting.sample(seed=1).demand.realized
    assert not np.array_equal(drawn, fitting.sample(seed=2).demand.realized)
    train = backtest.train.to_numpy()
    assert all(set(drawn[:, i]) <= set(train[:, i]) for i in range(20))
    assert (scenario.catalog.unit_cost > 0).all()  # realistic costs, not unit cost 0
    assert np.isfinite(scenario.constraints.capacity) and np.isfinite(scenario.constraints.budget)
    report = backtest.twin.report_
    assert (report["pattern"].isin(["smooth", "erratic"])).all()  # hospital: no zero months


def test_carparts_are_mostly_intermittent():
    backtest = real_data_backtest("carparts", n_series=40)
    report = backtest.twin.report_
    assert report["pattern"].isin(["intermittent", "lumpy"]).mean() > 0.5
    assert backtest.train.shape[0] == 39


def test_backtest_runs_a_policy():
    scenario = real_data_scenario("hospital", n_series=10)
    result = simulate(make("newsvendor", scenario), scenario, seeds=1)
    assert 0.5 < result["fill_rate"].iloc[0] <= 1.0
    assert result["violations"].iloc[0] == 0


def test_suites_hold_every_qualifying_series():
    from hybridinv.backtest.suites import load_suite

    hospital, catalog, spec = load_suite("hospital")
    assert hospital.demand.shape == (84, 767) and spec.cutoff == 60 and catalog.n_skus == 767
    carparts, _, spec = load_suite("carparts")
    assert carparts.demand.shape == (51, 2509) and spec.cutoff == 39
    # the catalog of a quick run is the same as the first rows of the full one
    _, small, _ = load_suite("hospital", n_series=5)
    np.testing.assert_array_equal(small.unit_cost, catalog.unit_cost[:5])


def test_series_qualify_on_the_training_months_of_the_cutoff_asked_for():
    # the series were chosen on the default 39 months whatever the cutoff: at 18 training months, car-part
    # series that stop at months 12-14 were left out although they qualify on those months
    from hybridinv import PlanningError
    from hybridinv.backtest.suites import load_suite

    wide = load_series("carparts")
    default, _, _ = load_suite("carparts")
    early, _, _ = load_suite("carparts", cutoff=18)
    observed = wide.iloc[:18].notna().mean(axis=0)
    assert sorted(early.sku) == sorted(str(c) for c in observed.index[observed >= 0.75])  # by hand
    stopped = [sku for sku in early.sku if wide[sku].iloc[18:].isna().all()]
    assert stopped and not set(stopped) & set(default.sku)
    same, _, _ = load_suite("carparts", cutoff=39)
    np.testing.assert_array_equal(same.sku, default.sku)
    assert real_data_backtest("carparts", n_series=20, train_months=18).train.columns.tolist() == list(early.sku[:20])
    for bad in (0, 1, 51, 2.5):  # 1 was accepted here and refused by the backtest
        with pytest.raises(PlanningError, match="cutoff"):
            load_suite("carparts", cutoff=bad)  # type: ignore[arg-type]
    assert load_suite("carparts", cutoff=2)[0].cutoff_index(2) == 2


def test_a_suite_series_that_stops_sells_nothing_for_the_forecaster_and_the_replay_alike():
    """The finding: car-part series that stop at month 14 qualify on 18 training months; their later months
    stayed NaN, which the forecasters skipped (forecasts stayed at 2.35) while the replay read 0 sold."""
    from hybridinv.backtest import backtest
    from hybridinv.backtest.suites import load_suite

    wide = load_series("carparts")
    early, catalog, _ = load_suite("carparts", cutoff=18)
    stopped = np.array([i for i, sku in enumerate(early.sku) if wide[sku].iloc[18:].isna().all()])
    assert stopped.size == 155
    demand = early.demand[:, stopped]
    started = np.maximum.accumulate(~np.isnan(early.demand), axis=0)
    assert not np.isnan(early.demand[started]).any()  # read_history's rule: 0 after a series' first number
    assert (demand[18:] == 0).all()
    given = wide[list(early.sku)].iloc[: early.n_periods].to_numpy()
    np.testing.assert_array_equal(early.demand[~np.isnan(given)], given[~np.isnan(given)])  # the numbers are kept
    result = backtest(early.subset(stopped[:3]), catalog.subset(stopped[:3]), 18, policies=["newsvendor"])
    forecast = result.scenario.demand.forecast.mean[:, 0, :]  # next month's forecast at each test origin
    assert (np.diff(forecast, axis=0) <= 1e-12).all() and (forecast[-1] < forecast[0]).any()  # they fall


def test_run_suite_takes_a_cutoff_and_chooses_the_series_on_its_training_months():
    """The finding: run_suite(..., cutoff=50) was a TypeError (cutoff given twice to backtest)."""
    from hybridinv.backtest.suites import load_suite, run_suite

    result = run_suite("hospital", policies=("static_ss",), n_series=2, cutoff=50)
    assert result.cutoff == 50 and result.test_periods == 84 - 50
    chosen, _, _ = load_suite("hospital", n_series=2, cutoff=50)
    np.testing.assert_array_equal(result.history.sku, chosen.sku)
    label = run_suite("hospital", policies=("static_ss",), n_series=2, cutoff=str(load_series("hospital").index[50]))
    assert label.test_periods == 84 - 50


def test_env_variable_points_to_data(monkeypatch, tmp_path):
    monkeypatch.setenv("HYBRIDINV_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    with pytest.raises(FileNotFoundError, match="HYBRIDINV_DATA"):
        load_series("hospital")


def test_a_cutoff_before_the_shipped_defaults_training_months_warns_for_the_rows_built_on_it(monkeypatch):
    """The shipped default was trained on months 1-60 of hospital (1-39 of car parts): a backtest cut earlier
    reported the hybrid and hybrid_trained rows as held out while their weights had seen its test months."""
    import warnings
    from types import SimpleNamespace

    import hybridinv.backtest.engine as engine
    from hybridinv import PlanningWarning
    from hybridinv.backtest.suites import run_suite, warn_if_shipped_default_saw

    # the split is the point, not the replay
    monkeypatch.setattr(engine, "backtest", lambda *args, **kwargs: SimpleNamespace(caveats={}))
    with pytest.warns(PlanningWarning, match=r"months 1-60 of 'hospital'.*test months 51-60"):
        run_suite("hospital", policies=("static_ss", "hybrid"), n_series=2, cutoff=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanningWarning)
        run_suite("hospital", policies=("static_ss", "hybrid"), n_series=2)  # the suite's own cutoff
        run_suite("hospital", policies=("static_ss",), n_series=2, cutoff=50)  # nothing built on the default
        warn_if_shipped_default_saw("carparts", 39, ("hybrid_trained",))
    with pytest.warns(PlanningWarning, match="hybrid_trained"):
        warn_if_shipped_default_saw("carparts", 18, ("hybrid_trained",))
