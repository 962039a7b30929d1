"""Real-data backtests (carparts, hospital); skipped when the data folder is absent."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.policies import BaseStock
from hybridinv.sim import simulate
from hybridinv.twin import HistoricalDemand, data_dir, load_series, real_data_backtest, real_data_scenario

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


def test_hospital_backtest_replays_actual_demand():
    backtest = real_data_backtest("hospital", n_series=20, train_months=60)
    scenario = backtest.scenario
    assert scenario.n_skus == 20 and scenario.periods == 24
    assert isinstance(scenario.demand, HistoricalDemand)
    path = scenario.sample(seed=123, periods=24)
    assert path.demand.realized[:24] == pytest.approx(backtest.test.to_numpy())
    # seeds do not change the replayed demand
    assert scenario.sample(seed=1, periods=24).demand.realized[:24] == pytest.approx(path.demand.realized[:24])
    report = backtest.twin.report_
    assert (report["pattern"].isin(["smooth", "erratic"])).all()  # hospital: no zero months


def test_carparts_are_mostly_intermittent():
    backtest = real_data_backtest("carparts", n_series=40, train_months=39)
    report = backtest.twin.report_
    assert report["pattern"].isin(["intermittent", "lumpy"]).mean() > 0.5


def test_backtest_runs_a_policy():
    scenario = real_data_scenario("hospital", n_series=10, train_months=60)
    level = np.rint(scenario.catalog.demand_mean * 2 + 2 * scenario.catalog.demand_std)
    result = simulate(BaseStock(level, repair=None), scenario, seeds=1)
    assert 0.5 < result["fill_rate"].iloc[0] <= 1.0


def test_env_variable_points_to_data(monkeypatch, tmp_path):
    monkeypatch.setenv("HYBRIDINV_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    with pytest.raises(FileNotFoundError, match="HYBRIDINV_DATA"):
        load_series("hospital")
