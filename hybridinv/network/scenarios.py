"""Network scenarios: a network, its costs, store demand drawn from a seeded generator, a horizon.

A :class:`NetworkScenario` is everything needed to simulate a distribution network:
the :class:`~hybridinv.network.model.Network`, the cost data
(:class:`~hybridinv.network.state.NetworkCosts`), a store demand model (Poisson per store
and SKU, or a block bootstrap of real monthly series), lost sales or backorders, the
horizon and the warm-up. ``demand_path(seed)`` draws the demand of every period, store and
SKU from ``numpy.random.default_rng(seed)``: the same seed gives every policy the same path
(common random numbers).

The registry (:func:`names`, :func:`get`) holds three scenarios (docs/multi_echelon.md):

- ``serial_3``: three stages in series, Poisson(2) demand, backorders, the instance whose
  exact optimum is in docs/multi_echelon.md (levels ``(6, 8, 12)``, cost ``19.4648`` with
  the pipeline); :func:`serial_chain` builds any serial chain;
- ``owmr_10x50``: one warehouse, 10 stores, 50 SKUs, lost sales, a warehouse capacity and a
  purchase budget that bind part of the time (:func:`one_warehouse_scenario`);
- ``hospital_network``: 5 stores x 20 SKUs whose demand is the hospital series of
  Hyndman et al. (2008), disjoint series per store, months resampled in blocks per seed
  (:func:`real_data_network`; needs the data folder, else :class:`PlanningError`).

These are network scenarios, kept apart from :mod:`hybridinv.scenarios` (whose
``get`` returns single-location :class:`~hybridinv.sim.scenario.Scenario` objects).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, near_names, number_in, whole_number
from hybridinv.demand.processes import checked_draw
from hybridinv.network.model import Network
from hybridinv.network.simulator import NetworkSimulator
from hybridinv.network.state import NetworkCosts

__all__ = [
    "BootstrapDemand",
    "NetworkScenario",
    "PoissonDemand",
    "SerialChain",
    "StoreDemand",
    "get",
    "names",
    "network_scenario",
    "one_warehouse_scenario",
    "real_data_network",
    "register",
    "serial_chain",
]


class StoreDemand(Protocol):
    """A store demand model: means and standard deviations per period, and seeded paths."""

    @property
    def mean(self) -> NDArray[np.float64]: ...  # (stores, SKUs)

    @property
    def std(self) -> NDArray[np.float64]: ...  # (stores, SKUs)

    def sample(self, rng: np.random.Generator, periods: int) -> NDArray[np.float64]: ...


@dataclass(frozen=True, eq=False)
class PoissonDemand:
    """I.i.d. Poisson demand per period, store and SKU with means ``mean`` (stores, SKUs)."""

    mean: NDArray[np.float64]

    def __post_init__(self) -> None:
        mean = np.asarray(self.mean, dtype=np.float64)
        if mean.ndim != 2 or not (np.isfinite(mean).all() and (mean >= 0).all()):
            raise PlanningError("demand means must be a finite array (stores, SKUs) >= 0", column="demand_mean")
        object.__setattr__(self, "mean", mean)

    @property
    def std(self) -> NDArray[np.float64]:
        return np.sqrt(self.mean)

    def sample(self, rng: np.random.Generator, periods: int) -> NDArray[np.float64]:
        periods = checked_draw(rng, periods)
        return rng.poisson(self.mean, (periods, *self.mean.shape)).astype(np.float64)


@dataclass(frozen=True, eq=False)
class BootstrapDemand:
    """Moving-block bootstrap of a demand history ``history`` (months, stores, SKUs).

    A path is made of blocks of ``block`` consecutive months starting at uniformly drawn
    months; every store and SKU takes the same months, so the correlation between series
    (and within a block, over time) is kept. ``mean`` and ``std`` are those of the history.
    ``block`` is a whole number in ``[1, months]`` (a PlanningError naming it: 2.9 was cut to 2
    and ``"3"`` kept as text).
    """

    history: NDArray[np.float64]
    block: int = 12

    def __post_init__(self) -> None:
        history = np.asarray(self.history, dtype=np.float64)
        if history.ndim != 3 or not (np.isfinite(history).all() and (history >= 0).all()):
            raise PlanningError("history must be a finite array (months, stores, SKUs) >= 0", column="demand")
        block = whole_number(self.block, "block", 1)
        if not block <= history.shape[0]:
            raise PlanningError(f"block must be in [1, {history.shape[0]}] months", column="block", value=self.block)
        object.__setattr__(self, "block", block)
        object.__setattr__(self, "history", np.round(history))

    @property
    def mean(self) -> NDArray[np.float64]:
        return self.history.mean(axis=0)

    @property
    def std(self) -> NDArray[np.float64]:
        return self.history.std(axis=0, ddof=1) if self.history.shape[0] > 1 else np.zeros(self.history.shape[1:])

    def sample(self, rng: np.random.Generator, periods: int) -> NDArray[np.float64]:
        periods = checked_draw(rng, periods)
        months, block = self.history.shape[0], int(self.block)
        starts = rng.integers(0, months - block + 1, size=math.ceil(periods / block))
        index = (starts[:, None] + np.arange(block)[None, :]).ravel()[:periods]
        return self.history[index].copy()


@dataclass(frozen=True)
class SerialChain:
    """Parameters of a textbook serial chain, stage 1 (facing demand) first.

    The exact model of :func:`hybridinv.exact.serial_echelon_base_stock`: Poisson(``mean``)
    demand, ``lead_time[j-1] = L_j``, local holding costs ``holding_cost[j-1] = h'_j``,
    backorders at ``shortage_cost`` per unit and period. Stages above the store need ``L_j >= 1``
    (see :func:`serial_chain`): the scenario's simulator would not follow the exact model otherwise.
    """

    mean: float
    lead_time: tuple[int, ...]
    holding_cost: tuple[float, ...]
    shortage_cost: float

    def __post_init__(self) -> None:
        upstream_zero = [stage for stage, value in enumerate(self.lead_time, start=1) if stage > 1 and value == 0]
        if upstream_zero:
            raise PlanningError(
                f"stage {upstream_zero[0]} has lead time 0: above the store the simulator ships what arrives the "
                "next period, the exact model the same period, so the exact levels would not be the simulator's "
                "optimum; give stages 2.. a lead time >= 1", column="lead_time", value=tuple(self.lead_time))

    def exact(self) -> Any:
        """The exact optimum (:class:`~hybridinv.exact.serial.SerialBaseStockResult`)."""
        from hybridinv.exact.serial import serial_echelon_base_stock

        return serial_echelon_base_stock(self.mean, list(self.lead_time), list(self.holding_cost), self.shortage_cost)

    @staticmethod
    def to_locations(per_stage: ArrayLike) -> NDArray[np.float64]:
        """Stage-1-first values in the network's location order (``stage_N`` first)."""
        return np.asarray(per_stage, dtype=np.float64)[::-1].copy()


@dataclass(frozen=True, eq=False)
class NetworkScenario:
    """A network, its costs, a store demand model and a horizon.

    Parameters
    ----------
    name : str
    network : Network
    costs : NetworkCosts
        Arrays (locations, SKUs).
    demand : StoreDemand
        ``mean``/``std`` (stores, SKUs) and ``sample(rng, periods)``.
    periods : int
    lost_sales : bool
        Unmet store demand is lost (True) or backordered.
    warmup : int
        Periods excluded from the KPIs.
    description : str
    tags : tuple of str
    serial : SerialChain, optional
        The textbook parameters of a serial chain (its exact optimum is known).
    """

    name: str
    network: Network
    costs: NetworkCosts
    demand: StoreDemand
    periods: int
    lost_sales: bool = False
    warmup: int = 0
    description: str = ""
    tags: tuple[str, ...] = ()
    serial: SerialChain | None = field(default=None)

    def __post_init__(self) -> None:
        shape = (self.network.n_stores, self.costs.n_skus)
        if self.demand.mean.shape != shape:
            raise PlanningError(f"demand means must have shape (stores, SKUs) = {shape}, got "
                                f"{self.demand.mean.shape}", column="demand_mean")
        # 2.5 periods was kept and the paths cut to 2, "200" read as 200
        object.__setattr__(self, "periods", whole_number(self.periods, "periods", 1))
        object.__setattr__(self, "warmup", whole_number(self.warmup, "warmup", 0))
        if not self.warmup < self.periods:
            raise PlanningError("need periods >= 1 and 0 <= warmup < periods", column="periods", value=self.periods)

    @property
    def n_skus(self) -> int:
        return self.costs.n_skus

    @property
    def n_locations(self) -> int:
        return self.network.n_locations

    def replace(self, **changes: Any) -> NetworkScenario:
        """A copy with some fields changed (``periods``, ``warmup``, ``name``, ...)."""
        return replace(self, **changes)

    def demand_path(self, seed: int, periods: int | None = None) -> NDArray[np.float64]:
        """Store demand (periods, stores, SKUs) drawn from ``numpy.random.default_rng(seed)``.

        ``seed`` is a whole number >= 0 and ``periods`` one >= 1 (a ``PlanningError`` naming it: until
        2026-12-04 a seed of 1.5 drew seed 1's path, "2" seed 2's, and 2.5 periods were cut to 2).
        """
        seed = whole_number(seed, "seed")
        horizon = self.periods if periods is None else whole_number(periods, "periods", 1)
        return self.demand.sample(np.random.default_rng(seed), horizon)

    def warmup_for(self, periods: int) -> int:
        """The warm-up of a run of ``periods`` periods: :attr:`warmup`, but at most a quarter of a run shorter
        than the scenario -- the rule of :meth:`hybridinv.sim.Scenario.warmup_for`.

        Until 2026-12-06 any explicit ``periods`` cut the warm-up to a quarter, so ``simulator(periods=200)``
        of ``owmr_10x50`` (200 periods, warm-up 20) measured from period 50 while ``simulator()`` measured
        from period 20.
        """
        return self.warmup if periods >= self.periods else min(self.warmup, periods // 4)

    def simulator(self, periods: int | None = None, warmup: int | None = None) -> NetworkSimulator:
        """A :class:`NetworkSimulator` for this scenario (decisions above on-hand raise).

        ``periods`` (>= 1) and ``warmup`` (>= 0, below ``periods``) are whole numbers, else a
        PlanningError naming them (a warm-up of 2.5 was cut to 2, as 2.5 periods were). Without
        ``warmup`` the run's is :meth:`warmup_for` its periods.
        """
        horizon = self.periods if periods is None else whole_number(periods, "periods", 1)  # 2.5 was cut to 2
        skip = self.warmup_for(horizon) if warmup is None else whole_number(warmup, "warmup", 0)
        return NetworkSimulator(self.network, self.costs, horizon, lost_sales=self.lost_sales, warmup=skip)

    def location_demand(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean and standard deviation per period of the demand below each location, (locations, SKUs).

        Stores' demands are summed over each subtree (variances added: stores taken as independent).
        """
        network = self.network
        mean = np.zeros((network.n_locations, self.n_skus))
        var = np.zeros_like(mean)
        mean[network.stores] = self.demand.mean
        var[network.stores] = self.demand.std ** 2
        return (np.einsum("ij,jn->in", network.subtree, mean),
                np.sqrt(np.einsum("ij,jn->in", network.subtree, var)))


# ---------------------------------------------------------------------- registry
_REGISTRY: dict[str, Callable[[], NetworkScenario]] = {}


def register(name: str) -> Callable[[Callable[[], NetworkScenario]], Callable[[], NetworkScenario]]:
    """Decorator adding a network scenario factory to the registry under ``name``."""

    def wrap(factory: Callable[[], NetworkScenario]) -> Callable[[], NetworkScenario]:
        if name in _REGISTRY:
            raise ValueError(f"network scenario {name!r} is already registered")
        _REGISTRY[name] = factory
        return factory

    return wrap


def names() -> list[str]:
    """Names of the registered network scenarios."""
    return sorted(_REGISTRY)


def get(name: str) -> NetworkScenario:
    """Build the registered network scenario ``name``.

    Raises
    ------
    PlanningError
        For an unknown name (the message lists the known ones), or a real-data scenario
        whose data folder is missing.
    """
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise PlanningError(f"unknown network scenario{near_names(name, names())}; known: {names()}",
                            column="scenario", value=name) from None
    return factory()


def network_scenario(scenario: object) -> NetworkScenario:
    """``scenario`` itself, or the registered network scenario of that name.

    Raises
    ------
    PlanningError
        Naming ``scenario`` and its type when it is neither (a single-site scenario or None was an
        AttributeError), or an unknown name.
    """
    if isinstance(scenario, str):
        return get(scenario)
    if not isinstance(scenario, NetworkScenario):
        raise PlanningError("must be a NetworkScenario or a registered network scenario name (single-site "
                            "scenarios run in hybridinv.envs)", column="scenario", value=type(scenario).__name__)
    return scenario


# ---------------------------------------------------------------------- builders
def serial_chain(
    mean: float = 2.0,
    lead_time: tuple[int, ...] = (1, 1, 2),
    holding_cost: tuple[float, ...] = (4.0, 2.0, 1.0),
    shortage_cost: float = 9.0,
    n_skus: int = 1,
    periods: int = 1000,
    warmup: int = 100,
    name: str = "serial",
) -> NetworkScenario:
    """A serial chain with Poisson demand and backorders, parameters stage 1 first.

    Stage ``j``'s on-hand costs ``holding_cost[j-1] = h'_j``; the units travelling *to*
    stage ``j < N`` cost the shipping stage's rate ``h'_{j+1}`` (``transit_holding_cost``
    of that location; 0 into stage ``N``). The simulated cost per period is then the
    Clark–Scarf echelon cost, ``SerialBaseStockResult.total_cost`` (on-hand, backorders and
    the pipeline constant). ``n_skus`` identical SKUs are independent copies of the chain.

    ``lead_time`` and ``holding_cost`` give one value per stage and fix the number of stages, so
    a single number is refused, not broadcast (a PlanningError naming it; it was a TypeError
    ``len()``): write ``lead_time=(2,), holding_cost=(1.0,)`` for one stage.

    Stages above the store need a lead time of at least 1: the exact model lets units that arrive
    with lead time 0 be shipped on in the same period, the simulator receives them after the
    period's shipments (:mod:`hybridinv.network.simulator`), so the exact levels were not the
    simulator's optimum (``L = (1, 0, 2)``: the "optimal" ``S* = (6, 5, 10)`` simulated at 27.7 a
    period against its 15.9, and 30% above ``(6, 8, 12)``; until 2026-12-06). The store's own
    lead time may be 0 (demand is served after its arrivals in both).
    """
    for argument, values in (("lead_time", lead_time), ("holding_cost", holding_cost)):
        if not isinstance(values, tuple | list | np.ndarray) or np.ndim(values) != 1:
            raise PlanningError("must be a sequence with one value per stage, stage 1 first (e.g. (1, 1, 2)); "
                                "the number of stages is its length", column=argument, value=values)
    stages = len(lead_time)
    if len(holding_cost) != stages:
        raise PlanningError("one holding cost per stage", column="holding_cost", value=holding_cost)
    network = Network.serial(stages, list(lead_time))
    local = SerialChain.to_locations(holding_cost)
    transit = SerialChain.to_locations([*holding_cost[1:], 0.0])
    costs = NetworkCosts.build(network, n_skus, holding_cost=local[:, None], transit_holding_cost=transit[:, None],
                               shortage_cost=float(shortage_cost))
    chain = SerialChain(float(mean), tuple(int(v) for v in lead_time), tuple(float(v) for v in holding_cost),
                        float(shortage_cost))
    return NetworkScenario(
        name=name, network=network, costs=costs, demand=PoissonDemand(np.full((1, n_skus), float(mean))),
        periods=periods, lost_sales=False, warmup=warmup, serial=chain, tags=("serial", "exact"),
        description=(f"{stages}-stage serial chain, Poisson({mean:g}), L={lead_time}, h'={holding_cost}, "
                     f"p={shortage_cost:g}, backorders"),
    )


def one_warehouse_scenario(
    n_stores: int = 10,
    n_skus: int = 50,
    warehouse_lead_time: int = 2,
    store_lead_time: int = 1,
    capacity_factor: float = 1.02,
    budget_factor: float = 1.02,
    periods: int = 200,
    warmup: int = 20,
    seed: int = 1050,
    name: str = "owmr",
) -> NetworkScenario:
    """One warehouse feeding ``n_stores`` stores with ``n_skus`` SKUs, Poisson demand, lost sales.

    Drawn from ``seed``: SKU demand rates log-normal (median 2 per store and period,
    sigma 0.6) times a store size U(0.5, 1.5); unit cost log-normal (median 20, sigma 0.5);
    store holding cost 1.5% of the unit cost per period, warehouse half of it; a lost sale
    costs the price (1.3-2x the unit cost) plus 10 periods of store holding; volume
    U(0.5, 3); fixed cost 5 per supplier order line.

    Constraints: the warehouse capacity is ``capacity_factor`` times the volume of one
    period of mean network demand (an uncapped echelon base-stock warehouse holds about
    that right after its receipt, the stores pulling its stock each period); the budget is
    ``budget_factor`` times the mean purchase value per period.

    ``n_stores`` and ``n_skus`` are whole numbers >= 1, ``seed`` one >= 0, the factors numbers > 0
    (``inf``: no limit); else a PlanningError naming the argument (``n_stores=2.5`` was numpy's
    TypeError, ``seed=-1`` a bare ValueError, ``n_skus=0`` an error naming the capacity).
    """
    n_stores = whole_number(n_stores, "n_stores", 1)
    n_skus = whole_number(n_skus, "n_skus", 1)
    seed = whole_number(seed, "seed")
    capacity_factor = number_in(capacity_factor, "capacity_factor", 0.0, math.inf, open_low=True, allow_inf=True)
    budget_factor = number_in(budget_factor, "budget_factor", 0.0, math.inf, open_low=True, allow_inf=True)
    rng = np.random.default_rng(seed)
    network_shape = (n_stores, n_skus)
    rate = np.exp(rng.normal(math.log(2.0), 0.6, n_skus))
    size = rng.uniform(0.5, 1.5, n_stores)
    mean = np.round(size[:, None] * rate[None, :], 2)
    unit_cost = np.round(np.exp(rng.normal(math.log(20.0), 0.5, n_skus)), 2)
    store_holding = np.round(0.015 * unit_cost, 3)
    price = unit_cost * rng.uniform(1.3, 2.0, n_skus)
    shortage = np.round(price + 10.0 * store_holding, 2)
    volume = np.round(rng.uniform(0.5, 3.0, n_skus), 2)
    network_mean = mean.sum(axis=0)
    capacity = capacity_factor * float(volume @ network_mean)
    budget = budget_factor * float(unit_cost @ network_mean)
    network = Network.one_warehouse(n_stores, warehouse_lead_time, store_lead_time,
                                    warehouse_capacity=round(capacity, 1), budget=round(budget, 1))
    holding = np.vstack([0.5 * store_holding[None, :], np.broadcast_to(store_holding, network_shape)])
    costs = NetworkCosts.build(network, n_skus, holding_cost=holding, shortage_cost=shortage, unit_cost=unit_cost,
                               order_cost=5.0, volume=volume, overflow_cost=0.0,
                               skus=tuple(f"SKU-{k:03d}" for k in range(n_skus)))
    return NetworkScenario(
        name=name, network=network, costs=costs, demand=PoissonDemand(mean), periods=periods, lost_sales=True,
        warmup=warmup, tags=("owmr", "constrained"),
        description=(f"1 warehouse x {n_stores} stores x {n_skus} SKUs, Poisson, lost sales, L0={warehouse_lead_time}, "
                     f"Li={store_lead_time}, warehouse capacity and budget binding part of the time"),
    )


def real_data_network(
    dataset: str = "hospital",
    n_stores: int = 5,
    n_skus: int = 20,
    warehouse_lead_time: int = 2,
    store_lead_time: int = 1,
    block: int = 12,
    periods: int = 72,
    warmup: int = 12,
    path: str | None = None,
    name: str | None = None,
) -> NetworkScenario:
    """A warehouse and ``n_stores`` stores whose demand is real monthly series.

    The first ``n_stores * n_skus`` series of the built-in suite ``dataset``
    (:func:`hybridinv.backtest.suites.load_suite`, sorted by name) are cut into disjoint
    groups: SKU ``k`` at store ``s`` is series ``k * n_stores + s``, and SKU ``k`` takes the
    suite's economics of its first series (unit cost, holding cost at the stores, half of
    it at the warehouse, lost-sale cost, volume, fixed order cost). Months a series was not
    observed count as 0. Each seed draws a path by a moving-block bootstrap of the months
    (:class:`BootstrapDemand`, blocks of ``block`` months). The warehouse capacity is the
    volume of 3 months of mean network demand, the budget 1.2 times the mean purchase value
    per month.

    Raises
    ------
    PlanningError
        When the data folder does not hold the data set (set ``HYBRIDINV_DATA``), for more
        series than the data set has, or naming ``n_stores``, ``n_skus`` or ``block`` when it is
        not a whole number >= 1 (``n_skus=0`` was numpy's reshape error).
    """
    from hybridinv.backtest.suites import load_suite

    n_stores = whole_number(n_stores, "n_stores", 1)
    n_skus = whole_number(n_skus, "n_skus", 1)
    whole_number(block, "block", 1)  # before the data are read (BootstrapDemand checks it against the months)

    try:
        history, catalog, spec = load_suite(dataset, path)
    except FileNotFoundError as exc:
        raise PlanningError(f"real-data network scenario needs the {dataset!r} data set: {exc}", column="dataset",
                            value=dataset) from None
    needed = n_stores * n_skus
    if needed > history.demand.shape[1]:
        raise PlanningError(f"{dataset} has {history.demand.shape[1]} series, {needed} needed", column="n_skus",
                            value=n_skus)
    demand = np.nan_to_num(history.demand[:, :needed]).reshape(-1, n_skus, n_stores).transpose(0, 2, 1)
    first = np.arange(n_skus) * n_stores
    model = BootstrapDemand(demand, block)
    network_mean = model.mean.sum(axis=0)
    unit_cost = catalog.unit_cost[first]
    volume = catalog.volume[first]
    network = Network.one_warehouse(n_stores, warehouse_lead_time, store_lead_time,
                                    warehouse_capacity=round(3.0 * float(volume @ network_mean), 1),
                                    budget=round(1.2 * float(unit_cost @ network_mean), 1))
    store_holding = catalog.holding_cost[first]
    holding = np.vstack([0.5 * store_holding[None, :], np.broadcast_to(store_holding, (n_stores, n_skus))])
    costs = NetworkCosts.build(network, n_skus, holding_cost=holding, shortage_cost=catalog.shortage_cost[first],
                               unit_cost=unit_cost, order_cost=spec.order_cost, volume=volume,
                               skus=tuple(str(s) for s in catalog.sku[first]))
    return NetworkScenario(
        name=name or f"{dataset}_network", network=network, costs=costs, demand=model, periods=periods,
        lost_sales=True, warmup=warmup, tags=("owmr", "real_data"),
        description=(f"{dataset} series as {n_stores} stores x {n_skus} SKUs (disjoint series), monthly, "
                     f"{block}-month block bootstrap, lost sales"),
    )


@register("serial_3")
def serial_3() -> NetworkScenario:
    """Three stages, Poisson(2), L = (1, 1, 2), h' = (4, 2, 1), p = 9, backorders (exact optimum known)."""
    return serial_chain(name="serial_3")


@register("owmr_10x50")
def owmr_10x50() -> NetworkScenario:
    """1 warehouse x 10 stores x 50 SKUs with binding warehouse capacity and budget."""
    return one_warehouse_scenario(name="owmr_10x50")


@register("hospital_network")
def hospital_network() -> NetworkScenario:
    """5 stores x 20 SKUs of the hospital series (needs ``../shared/data`` or ``$HYBRIDINV_DATA``)."""
    return real_data_network("hospital")
