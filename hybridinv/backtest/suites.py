"""Built-in real-data backtest suites: hospital products and car parts.

The demand is real (Hyndman, Koehler, Ord & Snyder 2008, read from the data folder,
see :mod:`hybridinv.twin.realdata`); the data carry no costs, so each suite draws a
catalog with realistic, documented economics from a fixed seed:

=================  =====================================  =====================================
                   hospital (767 series, monthly)          car parts (2,509 series, monthly)
=================  =====================================  =====================================
unit cost ``c``    log-normal, median 10, sigma 0.9         log-normal, median 40, sigma 0.9
price              ``c (1 + markup)``, markup U(0.3, 1.0)   same
holding cost       25% of ``c`` per year (``c / 48`` a month)  same
shortage cost      price + 10% of price (lost revenue and goodwill; purchases are charged separately)
order cost ``K``   10 per order line                       20 per order line
volume             log-normal, median 1, sigma 0.7          same
lead time          1 month (70%), 2 (30%)                   1 (50%), 2 (35%), 3 (15%)
fit / test         months 1-60 / 61-84                      months 1-39 / 40-51
=================  =====================================  =====================================

Capacity and budget follow :class:`~hybridinv.backtest.setup.ConstraintRule` (from
the last 12 training months). Car-part series observed in fewer than 75% of the
training months are left out (2,509 of 2,674 remain), as are none of the hospital
series. A month without a number after a series' first one (car-part series that stop
at month 14) is a month without demand, as in :func:`~hybridinv.backtest.history.read_history`'s
long layout, for the forecasters and the replay alike. Sales are lost when out of stock.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hybridinv.backtest.history import DemandHistory
from hybridinv.backtest.result import BacktestResult
from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import PlanningError, PlanningWarning, near_names, whole_number

__all__ = ["FROM_SHIPPED_DEFAULT", "SUITES", "SuiteSpec", "load_suite", "run_suite", "suite_catalog",
           "warn_if_shipped_default_saw"]


@dataclass(frozen=True)
class SuiteSpec:
    """Economics and split of a built-in suite (see the module table)."""

    dataset: str
    cutoff: int
    unit_cost_median: float
    order_cost: float
    lead_times: tuple[int, ...]
    lead_time_shares: tuple[float, ...]
    min_observed: float = 0.75
    markup: tuple[float, float] = (0.3, 1.0)
    unit_cost_sigma: float = 0.9
    volume_sigma: float = 0.7
    yearly_holding_rate: float = 0.25
    goodwill: float = 0.10
    periods_per_year: int = 12
    seed: int = 2008


SUITES: dict[str, SuiteSpec] = {
    "hospital": SuiteSpec("hospital", 60, 10.0, 10.0, (1, 2), (0.7, 0.3)),
    "carparts": SuiteSpec("carparts", 39, 40.0, 20.0, (1, 2, 3), (0.5, 0.35, 0.15)),
}


#: Policies whose weights start from the shipped default, which was trained on each suite's default training
#: months (:mod:`hybridinv.rl.family`): with an earlier cutoff they have seen months the backtest tests on.
FROM_SHIPPED_DEFAULT = ("hybrid", "hybrid_trained")


def warn_if_shipped_default_saw(name: str, months: int, policies: tuple[str, ...] | list[str]) -> dict[str, str]:
    """A :class:`~hybridinv.PlanningWarning` when ``policies`` include one built on the shipped default and
    ``months`` training months of suite ``name`` end before the default's own training window does.

    The rows of ``hybrid`` and ``hybrid_trained`` were reported as held out while the shipped default had been
    trained on months 19-39 of a car-parts backtest cut at 18.

    Returns
    -------
    dict of str to str
        The caveat by affected policy (empty when none), for :attr:`BacktestResult.caveats`: the reports print
        it beside those rows (until 2026-12-06 it went to stderr only).
    """
    spec = SUITES.get(name)
    seen = [policy for policy in policies if policy in FROM_SHIPPED_DEFAULT]
    if spec is None or months >= spec.cutoff or not seen:
        return {}
    caveat = (f"{', '.join(seen)} start from the shipped default, trained on months 1-{spec.cutoff} of "
              f"{name!r}; with {months} training months the test months {months + 1}-{spec.cutoff} are among "
              "them, so those rows are not held out (compare the other policies, or keep the suite's cutoff)")
    warnings.warn(caveat, PlanningWarning, stacklevel=3)
    return dict.fromkeys(seen, caveat)


def suite_catalog(spec: SuiteSpec, skus: np.ndarray) -> pd.DataFrame:
    """The suite's catalog frame for ``skus`` (drawn from ``spec.seed``; one row per SKU)."""
    rng = np.random.default_rng(spec.seed)
    n = len(skus)
    unit_cost = np.round(np.exp(np.log(spec.unit_cost_median) + spec.unit_cost_sigma * rng.standard_normal(n)), 2)
    unit_cost = np.maximum(unit_cost, 0.01)
    price = np.round(unit_cost * (1.0 + rng.uniform(*spec.markup, size=n)), 2)
    volume = np.round(np.exp(spec.volume_sigma * rng.standard_normal(n)), 3)
    lead = rng.choice(np.array(spec.lead_times), p=np.array(spec.lead_time_shares), size=n)
    return pd.DataFrame(
        {
            "sku": np.asarray(skus, dtype=str),
            "unit_cost": unit_cost,
            "holding_cost": unit_cost * spec.yearly_holding_rate / spec.periods_per_year,
            "shortage_cost": np.round(price * (1.0 + spec.goodwill), 2),
            "order_cost": spec.order_cost,
            "volume": np.maximum(volume, 0.001),
            "lead_time": lead,
            "price": price,
        }
    )


def load_suite(
    name: str, path: str | os.PathLike[str] | None = None, n_series: int | None = None, cutoff: int | None = None
) -> tuple[DemandHistory, Catalog, SuiteSpec]:
    """The history, catalog and spec of built-in suite ``name``.

    Parameters
    ----------
    name : {"hospital", "carparts"}
    path : path-like, optional
        Data folder (default as in :func:`hybridinv.twin.realdata.data_dir`).
    n_series : int, optional
        Keep only the first ``n_series`` qualifying series (sorted by name), for
        quick runs; their catalog rows are the same as in the full suite.
    cutoff : int, optional
        Number of training months, from 2 to the months less one (default: the suite's,
        ``spec.cutoff``; 1 was accepted until 2026-12-06 and then refused by the backtest). Series qualify on
        these months only (observed in at least ``min_observed`` of them), so a backtest with
        another cutoff does not choose its series by months it tests on. Until 2026-12-04 they
        were always chosen on the default window: car-part series that stop at months 12-14
        were left out of a backtest cut at month 18 although they qualify on its training months.
        The catalog is drawn over the chosen series, so another set of series gets other rows.
        Months without a number after a chosen series' first one are 0 demand (car-part series that
        stop at month 14 qualify on 18 training months); until 2026-12-06 they stayed NaN, which the
        forecasters skipped (forecasts stayed at the last months' level) while the replay read 0.

    Raises
    ------
    PlanningError
        For an unknown suite name.
    FileNotFoundError
        When the data folder does not hold the data set.
    """
    from hybridinv.twin.realdata import load_series

    if name not in SUITES:
        raise PlanningError(f"unknown backtest suite{near_names(name, SUITES)}; known: {sorted(SUITES)}",
                            column="suite", value=name)
    spec = SUITES[name]
    wide = load_series(spec.dataset, path)
    months = spec.cutoff if cutoff is None else whole_number(cutoff, "cutoff")
    if not 2 <= months < len(wide):  # 1 was accepted here and refused by the backtest (DemandHistory.cutoff_index)
        raise PlanningError(f"cutoff must leave at least 2 training months and 1 test month: 2 to {len(wide) - 1} "
                            "training months", column="cutoff", value=cutoff)
    share = wide.iloc[:months].notna().mean(axis=0)
    chosen = sorted(share.index[share >= spec.min_observed].astype(str))
    wide = wide[chosen]
    catalog = Catalog.from_frame(suite_catalog(spec, np.array(chosen)))
    if n_series is not None:
        count = whole_number(n_series, "n_series")  # 2.5, True or "3" failed inside pandas
        if not 1 <= count <= len(chosen):
            raise PlanningError(f"n_series must be in [1, {len(chosen)}]", column="n_series", value=n_series)
        catalog = catalog.subset(np.arange(count))
        wide = wide.iloc[:, :count]
    demand = wide.to_numpy(dtype=np.float64, copy=True)
    # read_history's rule: a month without a number after a series' first one sold nothing (its long layout
    # counts it 0, its wide layout refuses the empty cell); NaN was skipped by the forecasters and read as 0 sold
    # by the replay, so a series that stopped at month 14 kept its forecast while its demand replayed 0
    started = np.maximum.accumulate(~np.isnan(demand), axis=0)
    demand[started & np.isnan(demand)] = 0.0
    history = DemandHistory(
        np.asarray(wide.columns, dtype=object),
        np.array([str(m) for m in wide.index], dtype=object),
        demand,
        freq="M",  # the suites are monthly (their labels are month numbers)
    )
    return history, catalog, spec


def run_suite(
    name: str,
    policies: tuple[str, ...] | None = None,
    path: str | os.PathLike[str] | None = None,
    n_series: int | None = None,
    cutoff: int | str | None = None,
    **options: object,
) -> BacktestResult:
    """Backtest the built-in suite ``name`` (all series unless ``n_series``); options go to
    :func:`~hybridinv.backtest.engine.backtest` (``training=``, ``models=``, ``model_dir=``, ...).

    ``cutoff`` (default: the suite's) is read as :func:`~hybridinv.backtest.engine.backtest` reads it
    (a number of training months or a month label); the series are chosen on those training months,
    as ``hybridinv backtest --suite ... --cutoff`` does (:func:`load_suite`). Until 2026-12-06 a
    ``cutoff`` was a TypeError (given twice to the backtest).
    """
    from hybridinv.backtest.engine import DEFAULT_POLICIES, backtest

    history, catalog, spec = load_suite(name, path, n_series)
    months = spec.cutoff
    if cutoff is not None:
        months = history.cutoff_index(cutoff)
        if months != spec.cutoff:  # series qualify on the training months only, not on the months tested
            history, catalog, spec = load_suite(name, path, n_series, cutoff=months)
    caveats = warn_if_shipped_default_saw(name, months, policies or DEFAULT_POLICIES)
    result = backtest(
        history, catalog, months, policies=policies or DEFAULT_POLICIES, name=name,
        periods_per_year=spec.periods_per_year, **options,  # type: ignore[arg-type]
    )
    result.caveats.update(caveats)  # printed in summary.md and report.html beside those rows
    return result
