"""The scenario registry.

``names()`` lists the registered scenarios, ``get(name)`` builds one, and
``single_sku(...)`` builds the parametrized single-SKU model used to check the
library against exact optima. Every scenario's parameters live in its
definition below; catalogs of the multi-SKU scenarios are drawn from a fixed
seed so they are the same on every machine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import PlanningError, enum_member, flag, near_names, number_in, whole_number
from hybridinv.core.limits import MAX_QUANTITY
from hybridinv.demand.leadtime import Disruptions, LeadTimeProcess
from hybridinv.demand.processes import (
    CommonFactor,
    DemandDistribution,
    DemandProcess,
    Promotions,
    RegimeShifts,
    Seasonality,
)
from hybridinv.scenario_file import is_scenario_file, load_scenario
from hybridinv.sim.scenario import Scenario

__all__ = ["get", "names", "register", "single_sku"]

_REGISTRY: dict[str, Callable[[], Scenario]] = {}


def register(name: str) -> Callable[[Callable[[], Scenario]], Callable[[], Scenario]]:
    """Decorator adding a scenario factory to the registry under ``name``."""

    def wrap(factory: Callable[[], Scenario]) -> Callable[[], Scenario]:
        if name in _REGISTRY:
            raise ValueError(f"scenario {name!r} is already registered")
        _REGISTRY[name] = factory
        return factory

    return wrap


def names() -> list[str]:
    """Names of the registered scenarios."""
    return sorted(_REGISTRY)


def get(name: str) -> Scenario:
    """Build the registered scenario ``name``, or read the scenario file ``name`` (ending in ``.toml``).

    Every caller that accepts a scenario name (the CLI, :func:`hybridinv.simulate`,
    tuners, trainers, benchmarks) goes through here, so a scenario file works
    wherever a registered name does (:func:`hybridinv.scenario_file.load_scenario`;
    the keys are in docs/scenarios.md).

    Raises
    ------
    PlanningError
        For an unknown name (the message lists the known ones), a name that is not a string or path
        (until 2026-12-06 a list or dict was a bare ``TypeError``), or a missing or invalid scenario file.
    """
    if not isinstance(name, str | Path):  # a list or dict was a bare "unhashable type" TypeError
        raise PlanningError("must be a scenario name or a scenario file (*.toml)", column="scenario", value=name)
    if is_scenario_file(name):
        return load_scenario(name)
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise PlanningError(
            f"unknown scenario{near_names(str(name), names())}; known: {names()} or a scenario file (*.toml)",
            column="scenario", value=name
        ) from None
    return factory()


#: Catalog columns :func:`single_sku` fills, by the argument they come from (named in its errors).
_CATALOG_ARGUMENTS = {"order_cost": "fixed_cost", "demand_mean": "mean", "demand_std": "mean"}


def single_sku(
    mean: float = 5.0,
    lead_time: int = 2,
    holding_cost: float = 1.0,
    shortage_cost: float = 9.0,
    fixed_cost: float = 0.0,
    lost_sales: bool = True,
    demand: str = "poisson",
    periods: int = 1000,
    warmup: int | None = None,
) -> Scenario:
    """One SKU with stationary demand and no shared constraints.

    The unit purchase cost is 0, so the average cost per period is
    ``h * E[on-hand] + p * E[lost or backordered] + K * P(order)``, the cost the
    exact solvers in :mod:`hybridinv.exact` optimize.

    Parameters
    ----------
    mean : float
        Mean demand per period ``[lambda]``.
    lead_time : int
        ``[L]``: an order placed in period t is usable in period t+L.
    holding_cost, shortage_cost, fixed_cost : float
        ``[h]``, ``[p]`` (per lost unit, or per backordered unit per period) and ``[K]``.
    lost_sales : bool
        Lost sales (True) or backorders (False); anything else is a :class:`~hybridinv.PlanningError`
        (until 2026-12-06 an array was a bare "truth value is ambiguous").
    demand : {"poisson", "negative_binomial", "normal"}
    periods : int
        Horizon, a whole number >= 1.
    warmup : int, optional
        Periods excluded from the KPIs (default ``min(50, periods // 10)``).
    """
    lost_sales = flag(lost_sales, "lost_sales")  # before the description: an array was "truth value ambiguous"
    # before ``periods // 10``: None, "3" or [] were a bare TypeError (Scenario checks the upper limit)
    periods = whole_number(periods, "periods", 1)
    dist = enum_member(DemandDistribution, demand, "demand")
    mean = number_in(mean, "mean", 0.0, MAX_QUANTITY)  # was named demand_mean, the catalog's column
    process = DemandProcess(mean=np.array([mean]), distribution=dist)
    try:
        catalog = Catalog(
            sku=np.array(["SKU-0"], dtype=object),
            unit_cost=np.zeros(1),
            holding_cost=np.array([holding_cost]),
            shortage_cost=np.array([shortage_cost]),
            lead_time=np.array([lead_time]),
            order_cost=np.array([fixed_cost]),
            demand_mean=np.array([mean]),
            demand_std=process.base_std(process.mean),
        )
    except PlanningError as error:  # the catalog's column names, not the arguments of this function
        if error.column not in _CATALOG_ARGUMENTS:
            raise
        raise PlanningError(error.message, column=_CATALOG_ARGUMENTS[error.column], value=error.value) from None
    return Scenario(
        name="single_sku",
        catalog=catalog,
        constraints=Constraints(),
        demand=process,
        periods=periods,
        lost_sales=lost_sales,
        warmup=min(50, periods // 10) if warmup is None else warmup,
        description=(
            f"single SKU, {dist.value} mean {mean:g}, L={lead_time}, h={holding_cost:g}, "
            f"p={shortage_cost:g}, K={fixed_cost:g}, {'lost sales' if lost_sales else 'backorders'}"
        ),
        tags=("single", "exact"),
    )


# ---------------------------------------------------------------------- multi-SKU builders
def _catalog(
    n: int,
    rng: np.random.Generator,
    *,
    lead_times: tuple[int, int],
    shelf_life: tuple[int, int] | None = None,
    lead_time_std: float = 0.0,
    suppliers: int = 1,
    moq_share: float = 0.3,
) -> Catalog:
    """A random but fixed catalog: demand means log-normal around 8, costs tied to unit cost.

    Selling prices are 1.3–2x the unit cost; the shortage cost of a lost sale is the
    price plus goodwill, so ordering pays (``shortage_cost > unit_cost``).
    """
    mean = np.round(np.exp(rng.normal(np.log(8.0), 0.8, n)), 1).clip(0.5, 200)
    unit_cost = np.round(np.exp(rng.normal(np.log(20.0), 0.6, n)), 2).astype(np.float64)
    holding = np.round(unit_cost * rng.uniform(0.01, 0.04, n), 3)  # per week
    goodwill_weeks = rng.uniform(3.0, 15.0, n)
    lot = rng.choice([1, 1, 2, 5, 10], size=n).astype(float)
    has_moq = rng.random(n) < moq_share
    moq = np.where(has_moq, lot * np.ceil(mean * rng.uniform(0.5, 1.5, n) / lot), 0.0)
    lead = rng.integers(lead_times[0], lead_times[1] + 1, n)
    volume = np.round(rng.uniform(0.5, 3.0, n), 2)
    shelf = np.zeros(n, dtype=np.int64) if shelf_life is None else rng.integers(shelf_life[0], shelf_life[1] + 1, n)
    price = np.round(unit_cost * rng.uniform(1.3, 2.0, n), 2)
    # A lost sale costs its revenue plus goodwill (a few weeks of holding cost), so
    # minimizing cost (purchases included) is maximizing profit net of goodwill.
    shortage = np.round(price + holding * goodwill_weeks, 3)
    return Catalog(
        sku=np.array([f"SKU-{i:04d}" for i in range(n)], dtype=object),
        unit_cost=unit_cost,
        holding_cost=holding,
        shortage_cost=shortage,
        lead_time=lead,
        order_cost=np.round(rng.uniform(0.0, 20.0, n), 1),
        volume=volume,
        moq=moq,
        lot_size=lot,
        lead_time_std=np.full(n, lead_time_std),
        shelf_life=shelf,
        supplier=np.array([f"S{i % suppliers}" for i in range(n)], dtype=object),
        demand_mean=mean,
        demand_std=np.sqrt(mean + mean**2 / 4.0),
        price=price,
    )


def _with_process_std(catalog: Catalog, demand: DemandProcess) -> Catalog:
    """The catalog whose ``demand_std`` is the base standard deviation of the process that draws the demand.

    ``_catalog`` sets the negative-binomial (k=4) value ``sqrt(m + m^2 / 4)``; a scenario with another
    process (Poisson: ``sqrt(m)``) must not hand that to policies fitted from an observation.
    """
    return catalog.with_values(demand_std=demand.base_std(demand.mean))


def _tight_constraints(catalog: Catalog, capacity_factor: float, budget_factor: float) -> Constraints:
    """Capacity and budget set to fractions of what a generous base-stock policy would use.

    Capacity: ``capacity_factor`` times the volume of (L + 2) periods of mean
    demand; budget: ``budget_factor`` times the mean purchase value per period.
    """
    mean = catalog.demand_mean
    cover = catalog.lead_time + 2.0
    capacity = capacity_factor * float(catalog.volume @ (mean * cover))
    budget = budget_factor * float(catalog.unit_cost @ mean)
    return Constraints(capacity=round(capacity, 1), budget=round(budget, 1))


def _seasonal_demand(catalog: Catalog, rng: np.random.Generator, **extra: object) -> DemandProcess:
    n = catalog.n_skus
    return DemandProcess(
        mean=catalog.demand_mean,
        distribution=DemandDistribution.NEGATIVE_BINOMIAL,
        dispersion=4.0,
        seasonality=(Seasonality(period=52, amplitude=rng.uniform(0.1, 0.5, n), phase=rng.uniform(0, 52, n)),),
        promotions=Promotions(probability=0.03, lift=2.5, duration=2),
        **extra,  # type: ignore[arg-type]
    )


@register("multi_10")
def multi_10() -> Scenario:
    """10 SKUs, weekly, seasonal negative-binomial demand with promotions; MOQs and lots;
    shared capacity and budget that bind at seasonal peaks and promotions."""
    rng = np.random.default_rng(10)
    catalog = _catalog(10, rng, lead_times=(1, 3))
    demand = _seasonal_demand(catalog, rng)
    return Scenario(
        name="multi_10",
        catalog=_with_process_std(catalog, demand),
        constraints=_tight_constraints(catalog, capacity_factor=0.55, budget_factor=1.1),
        demand=demand,
        periods=104,
        warmup=4,
        description="10 SKUs, seasonality + promotions, binding capacity and budget",
        tags=("multi", "constrained", "nonstationary"),
    )


@register("multi_50")
def multi_50() -> Scenario:
    """50 SKUs: seasonality, promotions, unannounced regime shifts and a common factor
    correlating SKUs; binding shared capacity and budget (the main benchmark)."""
    rng = np.random.default_rng(50)
    catalog = _catalog(50, rng, lead_times=(1, 4))
    demand = _seasonal_demand(
        catalog, rng, regime_shifts=RegimeShifts(probability=0.01), common_factor=CommonFactor(0.15, 0.5)
    )
    return Scenario(
        name="multi_50",
        catalog=_with_process_std(catalog, demand),
        constraints=_tight_constraints(catalog, capacity_factor=0.55, budget_factor=1.1),
        demand=demand,
        periods=104,
        warmup=4,
        description="50 SKUs, seasonality + promotions + regime shifts + correlation, binding capacity and budget",
        tags=("multi", "constrained", "nonstationary"),
    )


@register("perishable")
def perishable() -> Scenario:
    """20 perishable SKUs (shelf life 2–6 periods), FIFO issuing, waste cost, capacity."""
    rng = np.random.default_rng(20)
    catalog = _catalog(20, rng, lead_times=(0, 2), shelf_life=(2, 6), moq_share=0.2)
    demand = DemandProcess(
        mean=catalog.demand_mean,
        distribution=DemandDistribution.POISSON,
        seasonality=(Seasonality(period=7, amplitude=0.3),),
    )
    return Scenario(
        name="perishable",
        catalog=_with_process_std(catalog, demand),  # Poisson: sqrt(m), not _catalog's NB value
        constraints=_tight_constraints(catalog, capacity_factor=0.7, budget_factor=1.3),
        demand=demand,
        periods=112,
        warmup=7,
        waste_cost=2.0,
        periods_per_year=365,
        description="20 perishable SKUs, daily with a weekly cycle, expiry waste",
        tags=("multi", "perishable"),
    )


@register("disrupted")
def disrupted() -> Scenario:
    """20 SKUs from 3 suppliers with random lead times and supplier disruptions
    (extra delay and partial deliveries)."""
    rng = np.random.default_rng(30)
    catalog = _catalog(20, rng, lead_times=(2, 4), lead_time_std=0.8, suppliers=3)
    lead = LeadTimeProcess.from_catalog(
        catalog.lead_time,
        catalog.lead_time_std,
        catalog.supplier,
        Disruptions(probability=0.03, mean_duration=4.0, extra_delay=3, fill_fraction=(0.4, 0.9)),
    )
    demand = DemandProcess(mean=catalog.demand_mean, distribution=DemandDistribution.POISSON)
    return Scenario(
        name="disrupted",
        catalog=_with_process_std(catalog, demand),  # Poisson: sqrt(m), not _catalog's NB value
        constraints=_tight_constraints(catalog, capacity_factor=0.8, budget_factor=1.3),
        demand=demand,
        lead_times=lead,
        periods=104,
        warmup=4,
        description="20 SKUs, 3 suppliers, stochastic lead times, disruptions with partial deliveries",
        tags=("multi", "lead_times"),
    )


@register("large_1000")
def large_1000() -> Scenario:
    """1,000 SKUs with seasonality, promotions, MOQs, lots, binding capacity and budget."""
    rng = np.random.default_rng(1000)
    catalog = _catalog(1000, rng, lead_times=(1, 4))
    demand = _seasonal_demand(catalog, rng, common_factor=CommonFactor(0.1, 0.5))
    return Scenario(
        name="large_1000",
        catalog=_with_process_std(catalog, demand),
        constraints=_tight_constraints(catalog, capacity_factor=0.6, budget_factor=1.1),
        demand=demand,
        periods=52,
        warmup=4,
        description="1,000 SKUs, seasonality + promotions, binding capacity and budget",
        tags=("multi", "constrained", "large"),
    )


@register("single_sku")
def _single_sku_default() -> Scenario:
    return single_sku()


@register("hospital_backtest")
def hospital_backtest() -> Scenario:
    """Real-data backtest: 50 hospital-product series, twin fitted on 60 months,
    the actual demand of the last 24 months replayed (needs ``../shared/data`` or
    ``$HYBRIDINV_DATA``; see :mod:`hybridinv.twin.realdata`)."""
    from hybridinv.twin.realdata import real_data_scenario

    return real_data_scenario("hospital", n_series=50, train_months=60)


@register("carparts_backtest")
def carparts_backtest() -> Scenario:
    """Real-data backtest: 50 intermittent car-part series, twin fitted on 39 months,
    the actual demand of the last 12 months replayed."""
    from hybridinv.twin.realdata import real_data_scenario

    return real_data_scenario("carparts", n_series=50, train_months=39)
