"""Real-data backtests on the public ``carparts`` and ``hospital`` demand histories.

The data are read from a folder given by the caller, else the environment
variable ``HYBRIDINV_DATA``, else ``../shared/data`` next to the repository
(never copied into the project). :func:`real_data_backtest` builds the registered
scenarios ``hospital_backtest`` and ``carparts_backtest``: the built-in suites of
:mod:`hybridinv.backtest` (realistic costs, constraints from the training months, an
exact replay of the actual test months with rolling forecasts, a training bootstrap
in ``fit_on``) with the digital twin fitted on the training months for its report.
The rolling-origin backtest of many policies is :func:`hybridinv.backtest.backtest`.

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

from hybridinv.core.errors import PlanningError, near_names, whole_number
from hybridinv.sim.scenario import Scenario
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


def _require_dataset(name: str) -> None:
    """A :class:`PlanningError` naming ``name`` (with the near ones) unless it is one of :data:`DATASETS`."""
    if name not in DATASETS:
        raise PlanningError(f"unknown data set{near_names(name, DATASETS)}; known: {sorted(DATASETS)}",
                            column="dataset", value=name)


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
    _require_dataset(name)
    file = data_dir(path) / DATASETS[name]
    if not file.exists():
        source = ("the folder given" if path is not None else f"${_ENV}" if os.environ.get(_ENV)
                  else "the default, ../shared/data beside a source checkout (an installed package has none)")
        raise FileNotFoundError(f"{file} not found in {source}: pass the data folder or set {_ENV} to the folder "
                                f"holding {DATASETS[name]}")
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
    """A real-data backtest scenario with the twin fitted on its training months.

    Attributes
    ----------
    scenario : Scenario
        Horizon = test months; an exact replay of the actual test months with the forecasts
        a rolling forecaster made before each (tag ``"replay"``), the built-in suite's
        catalog (:mod:`hybridinv.backtest.suites`) and the constraint rule's capacity and
        budget; ``scenario.fit_on`` is the seeded block bootstrap of the training months
        that tuners and trainers use.
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
    n_series: int | None = 50,
    train_months: int | None = None,
    path: str | os.PathLike[str] | None = None,
    level_window: int | None = 24,
) -> RealDataBacktest:
    """The built-in suite ``name`` as one replay scenario, with the twin fitted on its training months.

    Parameters
    ----------
    name : {"carparts", "hospital"}
    n_series : int, optional
        The first ``n_series`` qualifying series (all when None).
    train_months : int, optional
        Months used to fit (default: the suite's cutoff, 60 for hospital, 39 for car parts). The
        series qualify on these months only (:func:`~hybridinv.backtest.suites.load_suite`).
    path : path-like, optional
        Data folder (see :func:`data_dir`).
    level_window : int, optional
        Months the twin uses for the demand level.

    Raises
    ------
    PlanningError
        For an unknown data set or a ``train_months`` that leaves no test month.
    """
    from hybridinv.backtest.setup import ConstraintRule, evaluation_scenario
    from hybridinv.backtest.suites import load_suite
    from hybridinv.demand.forecasters import Forecaster

    _require_dataset(name)
    history, catalog, spec = load_suite(name, path, n_series)
    # 30.7 was cut to 30 months and "40" read as 40
    cutoff = spec.cutoff if train_months is None else whole_number(train_months, "train_months")
    if not 4 <= cutoff < history.n_periods:
        raise PlanningError(f"train_months must be in [4, {history.n_periods - 1}]", column="train_months",
                            value=train_months)
    if cutoff != spec.cutoff:  # the series qualify on the training months only, not on months tested
        history, catalog, spec = load_suite(name, path, n_series, cutoff=cutoff)
    y = history.demand
    matrix = DemandMatrix(
        sku=history.sku,
        periods=pd.period_range("2000-01", periods=cutoff, freq="M"),
        demand=y[:cutoff],
        censored=np.zeros((cutoff, y.shape[1]), dtype=bool),
        has_stock_info=False,
    )
    twin = DigitalTwin(period=PlanningPeriod.MONTH, level_window=level_window).fit_matrix(matrix)
    forecaster = Forecaster(season=12).fit(y[:cutoff])
    limits = ConstraintRule().derive(y[:cutoff], catalog)
    scenario = evaluation_scenario(y, cutoff, catalog, limits, forecaster, name=f"{name}_backtest")
    scenario = scenario.replace(
        description=f"{name}: {y.shape[1]} series, fit on {cutoff} months, replay of {y.shape[0] - cutoff} "
        "actual months with rolling forecasts",
    )
    months = pd.RangeIndex(1, y.shape[0] + 1, name="month")
    frame = pd.DataFrame(y, index=months, columns=history.sku.astype(str))
    return RealDataBacktest(scenario=scenario, twin=twin, train=frame.iloc[:cutoff], test=frame.iloc[cutoff:])


def real_data_scenario(name: str, n_series: int | None = 50, train_months: int | None = None,
                       **options: object) -> Scenario:
    """The scenario of :func:`real_data_backtest` (see there for the options)."""
    return real_data_backtest(name, n_series, train_months, **options).scenario  # type: ignore[arg-type]
