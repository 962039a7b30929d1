"""The broad randomized family the shipped default hybrid is trained on.

Each episode (one per seed) is one of

* **registered synthetic scenario** (share ``registered_share``, 30%): ``multi_50``, ``multi_10``,
  ``perishable`` or ``disrupted`` as registered, on the episode's seed (the benchmarks use
  seeds 100-109; training seeds are drawn from ``[0, 2^31)`` and validation seeds are
  50,000-50,031);
* **real-data bootstrap** (share ``real_share``, when the data folder is present): a
  random subset of 10-1,000 series of the hospital or car-parts *training window*
  (months 1-60 and 1-39; the test months of the built-in backtests are never read),
  drawn by a seasonal block bootstrap with rolling forecasts
  (:func:`hybridinv.backtest.setup.training_scenario`), with freshly drawn economics
  (:func:`random_economics`: margins, holding rates, fixed order costs from none to
  several periods of demand value, volumes, lead times 0-12) and capacity and budget
  from very tight to none (:class:`~hybridinv.backtest.setup.ConstraintRule` with
  factors drawn per episode);
* **synthetic**: a weekly catalog like the registered ``multi_*`` scenarios with 10-1,000
  SKUs, negative-binomial demand with seasonality and, at random, promotions,
  unannounced regime shifts, a common factor, perishability or stochastic lead times,
  and capacity and budget from very tight to none; the forecast is the process's
  expected demand (blind to regime shifts).

All draws come from ``numpy.random.default_rng([seed, ...])``: the same seed gives the
same episode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.backtest.setup import ConstraintRule, training_scenario
from hybridinv.core._observed import observed_mean
from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.demand.forecasters import Forecaster
from hybridinv.demand.leadtime import LeadTimeProcess
from hybridinv.demand.processes import (
    CommonFactor,
    DemandDistribution,
    DemandProcess,
    Promotions,
    RegimeShifts,
    Seasonality,
)
from hybridinv.sim.scenario import Scenario

__all__ = ["BroadFamily", "random_economics"]

_MAX_LEAD = (0, 1, 1, 2, 2, 3, 4, 6, 8, 12)


def _log_uniform(rng: np.random.Generator, low: float, high: float, size: Any = None) -> Any:
    return np.exp(rng.uniform(np.log(low), np.log(high), size))


def random_economics(
    rng: np.random.Generator, mean_demand: NDArray[np.float64], periods_per_year: int, skus: NDArray[np.object_]
) -> Catalog:
    """A catalog with randomly drawn, internally consistent economics for SKUs with the given mean demand.

    Unit cost log-normal (median 5-80), price = cost x (1.1-2.5), shortage cost = price plus
    0-30% goodwill, holding 8-50% of cost per year, fixed order cost none (40% of catalogs) or
    0.05-3 periods of a typical SKU's demand value, volumes log-normal, lead times 0 to a
    maximum drawn from 0-12.
    """
    n = len(skus)
    unit_cost = np.exp(np.log(_log_uniform(rng, 5.0, 80.0)) + 0.9 * rng.standard_normal(n))
    unit_cost = np.maximum(np.round(unit_cost, 2), 0.05)
    price = np.round(unit_cost * rng.uniform(1.1, 2.5, n), 2)
    shortage = np.round(price * (1.0 + rng.uniform(0.0, 0.3, n)), 2)
    holding = unit_cost * rng.uniform(0.08, 0.5) / periods_per_year
    value = float(np.median(unit_cost * np.maximum(mean_demand, 1e-3)))
    fixed = 0.0 if rng.random() < 0.4 else float(value * _log_uniform(rng, 0.05, 3.0))
    top = int(rng.choice(_MAX_LEAD))
    lead = rng.integers(0, top + 1, n) if top else np.zeros(n, dtype=np.int64)
    return Catalog(
        sku=np.asarray(skus, dtype=object),
        unit_cost=unit_cost,
        holding_cost=holding,
        shortage_cost=shortage,
        lead_time=lead,
        order_cost=np.full(n, round(fixed, 2)),
        volume=np.round(np.exp(0.7 * rng.standard_normal(n)), 3).clip(0.001),
        price=price,
    )


def _factor(rng: np.random.Generator, low: float, high: float, unlimited: float) -> float:
    return float("inf") if rng.random() < unlimited else float(_log_uniform(rng, low, high))


@dataclass(frozen=True)
class BroadFamily:
    """Randomized training episodes for the shipped default (see the module notes).

    Parameters
    ----------
    real : tuple of str
        Built-in suites whose training windows are bootstrapped (skipped when the data
        folder is absent).
    real_share : float
        Share of real-data episodes.
    registered, registered_share
        Registered scenarios drawn as they are, and their share of the episodes.
    lost_sales_share : float
        Share of the drawn (real-data and synthetic) episodes with lost sales; the others backorder.
    skus : (int, int)
        Range of SKUs per episode (log-uniform; real-data episodes are capped by the series
        available, synthetic ones by 1,000).
    real_periods, synthetic_periods : int
        Episode lengths (months, weeks).
    data_path : str, optional
        Data folder (default as in :func:`hybridinv.twin.realdata.data_dir`).
    """

    real: tuple[str, ...] = ("hospital", "carparts")
    real_share: float = 0.5
    skus: tuple[int, int] = (10, 1000)
    real_periods: int = 24
    synthetic_periods: int = 52
    registered: tuple[str, ...] = ("multi_50", "multi_10", "perishable", "disrupted")
    registered_share: float = 0.3
    lost_sales_share: float = 0.65
    data_path: str | None = None
    name: str = "broad"
    _sources: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        from hybridinv import scenarios

        for name in self.registered:
            self._sources[f"registered:{name}"] = scenarios.get(name)
        for suite in self.real:
            try:
                self._sources[suite] = _load_source(suite, self.data_path)
            except FileNotFoundError:
                continue

    @property
    def n_skus(self) -> int:
        return self.skus[1]

    def for_fitting(self) -> BroadFamily:
        return self

    def episode(self, seed: int) -> Scenario:
        """The scenario of episode ``seed``."""
        rng = np.random.default_rng([int(seed), 424_242])
        draw = rng.random()
        registered, real = self._source_names()
        if registered and draw < self.registered_share:
            scenario: Scenario = self._sources[registered[int(rng.integers(len(registered)))]]
            return scenario
        if real and draw < self.registered_share + self.real_share:
            return self._real_episode(rng, real[int(rng.integers(len(real)))])
        return self._synthetic_episode(rng)

    def _count(self, rng: np.random.Generator, available: int) -> int:
        return int(min(available, round(float(_log_uniform(rng, *self.skus)))))

    def _real_episode(self, rng: np.random.Generator, name: str) -> Scenario:
        train, skus, forecaster = self._sources[name]
        n = self._count(rng, train.shape[1])
        cols = np.sort(rng.choice(train.shape[1], size=n, replace=False))
        part = train[:, cols]
        mean = observed_mean(part[-12:], empty=0.0)
        catalog = random_economics(rng, mean, 12, skus[cols])
        rule = ConstraintRule(_factor(rng, 0.8, 2.5, 0.2), _factor(rng, 0.9, 2.5, 0.2))
        return training_scenario(
            part, catalog, rule.derive(part, catalog), forecaster.subset(cols), self.real_periods,
            lost_sales=bool(rng.random() < self.lost_sales_share), name=f"{self.name}_{name}",
        )

    def _synthetic_episode(self, rng: np.random.Generator) -> Scenario:
        from hybridinv.scenarios import _catalog, _tight_constraints

        n = self._count(rng, self.skus[1])
        top = int(rng.choice(_MAX_LEAD[1:]))
        perishable = rng.random() < 0.15
        uncertain = rng.random() < 0.2
        catalog = _catalog(
            n, rng, lead_times=(int(rng.integers(0, top + 1)) if top > 1 else 0, top),
            shelf_life=(2, 8) if perishable else None, lead_time_std=0.8 if uncertain else 0.0,
            suppliers=3, moq_share=float(rng.uniform(0.0, 0.5)),
        )
        mean = catalog.demand_mean * _log_uniform(rng, 0.1, 3.0)
        dispersion = float(_log_uniform(rng, 1.0, 20.0))  # drawn where it was: the episode's other draws stay
        # the catalog's std is the process's own (it assumed dispersion 4 whatever was drawn)
        catalog = catalog.with_values(demand_mean=mean, demand_std=np.sqrt(mean + mean**2 / dispersion))
        demand = DemandProcess(
            mean=mean,
            distribution=DemandDistribution.NEGATIVE_BINOMIAL,
            dispersion=dispersion,
            seasonality=(Seasonality(period=52, amplitude=rng.uniform(0.0, 0.5, n), phase=rng.uniform(0, 52, n)),),
            promotions=Promotions(probability=0.03, lift=2.5, duration=2) if rng.random() < 0.5 else None,
            regime_shifts=RegimeShifts(probability=float(rng.uniform(0.005, 0.02))) if rng.random() < 0.5 else None,
            common_factor=CommonFactor(0.15, 0.5) if rng.random() < 0.4 else None,
        )
        limits = _tight_constraints(catalog, _factor(rng, 0.4, 1.5, 0.2), _factor(rng, 0.9, 2.0, 0.2))
        limits = Constraints(capacity=limits.capacity, budget=limits.budget)
        lead = LeadTimeProcess.from_catalog(catalog.lead_time, catalog.lead_time_std, catalog.supplier)
        return Scenario(
            name=f"{self.name}_synthetic",
            catalog=catalog,
            constraints=limits,
            demand=demand,
            lead_times=lead,
            periods=self.synthetic_periods,
            warmup=4,
            lost_sales=bool(rng.random() < self.lost_sales_share),
            waste_cost=2.0 if perishable else 0.0,
        )

    def _source_names(self) -> tuple[list[str], list[str]]:
        """(registered-scenario keys, real-data suite names) of the loaded sources, sorted."""
        names = sorted(self._sources)
        return [k for k in names if k.startswith("registered:")], [k for k in names if not k.startswith("registered:")]

    def summary(self) -> dict[str, Any]:
        _, real = self._source_names()
        return {
            "name": self.name,
            "kind": "broad randomized family (rl/family.py)",
            "real_sources": real,
            "real_share": self.real_share if real else 0.0,
            "registered": list(self.registered),
            "registered_share": self.registered_share,
            "skus": list(self.skus),
            "periods": {"real": self.real_periods, "synthetic": self.synthetic_periods},
            "n_skus": self.n_skus,
        }


def _load_source(name: str, path: str | os.PathLike[str] | None) -> tuple[Any, Any, Forecaster]:
    """The training window, SKU names and fitted forecaster of a built-in suite."""
    from hybridinv.backtest.suites import load_suite

    history, _, spec = load_suite(name, path)
    train = history.demand[: spec.cutoff]
    return train, history.sku, Forecaster(season=12).fit(train)
