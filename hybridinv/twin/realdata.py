"""Real-data backtests on the public ``carparts`` and ``hospital`` demand histories.

The data are read from a folder given by the caller, else the environment
variable ``HYBRIDINV_DATA``, else ``../shared/data`` next to the repository
(never copied into the project). A backtest fits the digital twin on the first
``train_months`` months and replays the actual demand of the remaining months
(:class:`~hybridinv.twin.processes.HistoricalDemand`), so every policy is
evaluated on what really happened.

References
----------
Hyndman, R. J., Koehler, A. B., Ord, J. K. & Snyder, R. D. (2008). *Forecasting with
Exponential Smoothing: The State Space Approach*. Springer (data sets ``carparts`` and
``hospital`` of the R package expsmooth).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hybridinv.core.errors import PlanningError
from hybridinv.sim.scenario import Scenario
from hybridinv.twin.processes import HistoricalDemand
from hybridinv.twin.twin import DemandMatrix, DigitalTwin, PlanningPeriod

__all__ = ["DATASETS", "RealDataBacktest", "data_dir", "load_series", "real_data_backtest", "real_data_scenario"]

#: Known data sets and their file names.
DATASETS: dict[str, str] = {"carparts": "carparts.csv.gz", "hospital": "hospital.csv.gz"}

_ENV = "HYBRIDINV_DATA"


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``path``, else ``$HYBRIDINV_DATA``, else ``<repo>/../shared/data``."""
    if path is not None:
        return Path(path)
    env = os.environ.get(_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def load_series(name: str, path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Monthly demand of data set ``name`` as a wide frame (months x series, NaN where absent).

    Raises
    ------
    PlanningError
        For an unknown data set name.
    FileNotFoundError
        When the file is not in the data folder (the message names the folder
        and the ``HYBRIDINV_DATA`` variable).
    """
    if name not in DATASETS:
        raise PlanningError(f"unknown data set; known: {sorted(DATASETS)}", column="dataset", value=name)
    file = data_dir(path) / DATASETS[name]
    if not file.exists():
        raise FileNotFoundError(f"{file} not found: pass the data folder or set {_ENV}")
    long = pd.read_csv(file, dtype={"series": str})
    long["series"] = _unique_series_names(long)
    wide = long.pivot_table(index="month", columns="series", values="demand", aggfunc="sum")
    full = pd.RangeIndex(int(long["month"].min()), int(long["month"].max()) + 1, name="month")
    return wide.reindex(full)


def _unique_series_names(long: pd.DataFrame) -> pd.Series:
    """Series names made unique: the files list each series as a block of consecutive
    rows, and some names repeat across blocks (``hospital`` has 767 series under 35 names),
    so a repeated name gets ``#k`` for its k-th block (k >= 2)."""
    name = long["series"].astype(str)
    starts = (name != name.shift()) | (long["month"].diff().fillna(-1) <= 0)
    block = starts.cumsum()
    first = pd.DataFrame({"name": name[starts].to_numpy(), "block": block[starts].to_numpy()})
    first["occurrence"] = first.groupby("name").cumcount() + 1
    label = np.where(first["occurrence"] > 1, first["name"] + "#" + first["occurrence"].astype(str), first["name"])
    return pd.Series(label, index=first["block"].to_numpy()).reindex(block.to_numpy()).set_axis(long.index)


@dataclass(frozen=True)
class RealDataBacktest:
    """A fitted real-data backtest.

    Attributes
    ----------
    scenario : Scenario
        Horizon = test months; demand replays the actual test months.
    twin : DigitalTwin
        The twin fitted on the training months (``twin.report_`` is the fit report).
    train, test : pandas.DataFrame
        The training and test months (months x series).
    """

    scenario: Scenario
    twin: DigitalTwin
    train: pd.DataFrame
    test: pd.DataFrame


def real_data_backtest(
    name: str,
    n_series: int = 50,
    train_months: int = 60,
    path: str | os.PathLike[str] | None = None,
    lead_time: int = 1,
    holding_cost: float = 1.0,
    shortage_cost: float = 9.0,
    lost_sales: bool = True,
    level_window: int | None = 24,
    min_observed: float = 0.75,
) -> RealDataBacktest:
    """Fit the twin on the first ``train_months`` months and build a replay scenario.

    Series are taken in sorted order among those observed in at least
    ``min_observed`` of the training months. The scenario's forecast
    (``Observation.forecast``) is the fitted mean times the fitted seasonal index,
    the realized demand is the recorded one.

    Parameters
    ----------
    name : {"carparts", "hospital"}
    n_series : int
        Number of series (SKUs).
    train_months : int
        Months used to fit; the rest are the test horizon.
    path : path-like, optional
        Data folder (see :func:`data_dir`).
    lead_time, holding_cost, shortage_cost : float
        Catalog values of every SKU (unit cost 0: costs as in the exact models).
    lost_sales : bool
    level_window : int, optional
        Months used for the demand level (recent level), all when None.
    min_observed : float
        Minimum share of observed training months of a series.

    Raises
    ------
    PlanningError
        When ``train_months`` leaves no test month or too few series qualify.
    """
    wide = load_series(name, path)
    total = len(wide)
    if not 4 <= train_months < total:
        raise PlanningError(f"train_months must be in [4, {total - 1}]", column="train_months", value=train_months)
    train, test = wide.iloc[:train_months], wide.iloc[train_months:]
    share = train.notna().mean(axis=0)
    chosen = sorted(share.index[share >= min_observed].astype(str))[:n_series]
    if len(chosen) < n_series:
        raise PlanningError(f"only {len(chosen)} series qualify", column="n_series", value=n_series)
    train, test = train[chosen], test[chosen]
    matrix = DemandMatrix(
        sku=np.array(chosen, dtype=object),
        periods=pd.period_range("2000-01", periods=train_months, freq="M"),
        demand=train.to_numpy(dtype=np.float64),
        censored=np.zeros(train.shape, dtype=bool),
        has_stock_info=False,
    )
    twin = DigitalTwin(period=PlanningPeriod.MONTH, level_window=level_window).fit_matrix(matrix)
    horizon = len(test)
    fitted = twin.demand_process()
    expected = fitted.mean[None, :] * twin.demand_fit_.seasonal_factor(train_months, horizon)
    replay = HistoricalDemand(
        mean=fitted.mean, realized=test.to_numpy(dtype=np.float64), expected=expected, base=fitted
    )
    scenario = twin.scenario(
        periods=horizon, lost_sales=lost_sales, name=f"{name}_backtest",
        unit_cost=0.0, holding_cost=holding_cost, shortage_cost=shortage_cost, lead_time=lead_time,
    )
    scenario = scenario.replace(
        demand=replay, warmup=0,
        description=f"{name}: {n_series} series, fit on {train_months} months, replay of {horizon} actual months",
    )
    return RealDataBacktest(scenario=scenario, twin=twin, train=train, test=test)


def real_data_scenario(name: str, n_series: int = 50, train_months: int = 60, **options: object) -> Scenario:
    """The scenario of :func:`real_data_backtest` (see there for the options)."""
    return real_data_backtest(name, n_series, train_months, **options).scenario  # type: ignore[arg-type]
