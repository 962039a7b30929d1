"""Vectorized simulation of a distribution network: arrays of shape (locations, SKUs).

The period ``t`` (docs/network_model.md):

1. **Arrivals due in ``t`` are received** at every location (before the decisions, so a
   policy sees them on hand). With a finite capacity the volume after receipt may not
   exceed it: the excess is rejected, counted as ``overflow`` and charged (the single
   location's rule, :func:`hybridinv.sim.simulator.excess_units`, for all locations at once).
2. **Decisions are applied**: supplier orders at the supplier-fed locations and shipments
   from each parent to its children. Shipments leave the parent's on-hand and may not
   exceed it (``infeasible="raise"``: :class:`~hybridinv.network.model.LocationError`;
   ``"clip"``: cut by fair share and counted as a shipment violation). A quantity with lead
   time ``L`` enters the pipeline and arrives at the start of period ``t + L``; with
   ``L = 0`` it is received now, before demand (capacity checked again).
3. **Demand is served at the stores** from on-hand: under backorders the backlog first,
   then the new demand, the rest is backordered; under lost sales the rest is lost.
4. **Costs are charged** on the end-of-period stock (:mod:`hybridinv.network.ledger`).

There are no backlogs between locations: a parent that cannot ship a request ships less,
and a policy that recomputes its requests from positions asks again next period.

Sums over SKUs and locations use ``numpy.einsum`` rather than ``@``: BLAS would run them on
several threads, which wait for cores on a shared machine (see :func:`hybridinv.sim.ledger.dot`).
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import number_array
from hybridinv.core.errors import flag, whole_number
from hybridinv.network.allocation import FairShare
from hybridinv.network.ledger import NetworkLedger
from hybridinv.network.model import LocationError, Network
from hybridinv.network.state import NetworkCosts, NetworkDecision, NetworkObservation, NetworkState

__all__ = ["NetworkPolicy", "NetworkSimulator", "poisson_demand", "reject_excess"]


@runtime_checkable
class NetworkPolicy(Protocol):
    """Anything with ``act(observation) -> NetworkDecision``."""

    name: str

    def act(self, obs: NetworkObservation) -> NetworkDecision: ...


def poisson_demand(means: ArrayLike, periods: int, seed: int) -> NDArray[np.float64]:
    """Poisson store demand of shape (periods, stores, SKUs) from means (stores, SKUs); same seed, same path.

    ``periods`` is a whole number >= 1 and ``seed`` one >= 0 (a ``PlanningError`` naming the argument
    otherwise: a ``periods`` of 2.5 was cut to 2, a ``seed`` of -1 was numpy's own ValueError).
    """
    periods = whole_number(periods, "periods", 1)
    seed = whole_number(seed, "seed")
    mean = np.asarray(means, dtype=np.float64)
    if mean.ndim != 2 or not (np.isfinite(mean).all() and (mean >= 0).all()):
        raise LocationError("means must be a finite array (stores, SKUs) >= 0", column="demand_mean")
    rng = np.random.default_rng(seed)
    return rng.poisson(mean, (periods, *mean.shape)).astype(np.float64)


def reject_excess(arrivals: NDArray[np.float64], volume: NDArray[np.float64],
                  excess: NDArray[np.float64]) -> NDArray[np.float64]:
    """Whole units to reject per row so that ``excess[r]`` volume leaves row ``r``.

    The rule of :func:`hybridinv.sim.simulator.excess_units`, for all rows at once: each
    SKU with volume gives up ``floor(share * arrivals)``, ``share = excess / incoming
    volume``; the volume still missing is taken one unit at a time from the SKUs with the
    largest remainders until it is covered. Rows with ``excess <= 0`` reject nothing.
    """
    spacious = volume > 0
    arr = np.where(spacious, arrivals, 0.0)
    incoming = np.einsum("rn,n->r", arr, volume)
    active = (excess > 0.0) & (incoming > 0.0)
    share = np.where(active, np.minimum(1.0, np.maximum(excess, 0.0) / np.where(active, incoming, 1.0)), 0.0)
    exact = arr * share[:, None]
    rejected = np.minimum(np.floor(exact + 1e-9), arrivals)
    missing = np.where(active, excess - np.einsum("rn,n->r", rejected, volume), 0.0)
    candidate = spacious & (arrivals - rejected >= 1.0)
    key = np.where(candidate, exact - rejected, -np.inf)
    order = np.argsort(-key, axis=1, kind="stable")
    sorted_volume = np.where(np.take_along_axis(candidate, order, axis=1), volume[order], 0.0)
    before = np.cumsum(sorted_volume, axis=1) - sorted_volume
    take = (sorted_volume > 0) & (before < (missing - 1e-9)[:, None]) & (missing > 1e-9)[:, None]
    extra = np.zeros_like(rejected)
    np.put_along_axis(extra, order, take.astype(np.float64), axis=1)
    return rejected + extra


class NetworkSimulator:
    """Simulate a network period by period for all locations and SKUs at once.

    Parameters
    ----------
    network : Network
    costs : NetworkCosts
        Cost and volume data, arrays (locations, SKUs).
    periods : int
        Horizon.
    lost_sales : bool
        Unmet store demand is lost (True) or backordered (False).
    warmup : int
        Periods excluded from the KPIs.
    infeasible : "raise" or "clip"
        Shipments above the parent's on-hand raise a ``LocationError`` ("raise") or are
        cut to a fair share of it and counted in ``ledger.shipment_excess`` ("clip").

    Examples
    --------
    >>> net = Network.serial(2, lead_times=1)
    >>> sim = NetworkSimulator(net, NetworkCosts.build(net, 1), periods=3)
    >>> obs = sim.reset(np.array([[[2.0]], [[2.0]], [[2.0]]]), NetworkState.build(net, 1, on_hand=[[4], [2]]))
    >>> while not sim.done:
    ...     obs = sim.step(np.array([[2.0]]), np.array([[2.0]]))
    >>> sim.ledger.summary()["fill_rate"]
    1.0
    """

    def __init__(
        self,
        network: Network,
        costs: NetworkCosts,
        periods: int,
        *,
        lost_sales: bool = False,
        warmup: int = 0,
        infeasible: Literal["raise", "clip"] = "raise",
    ) -> None:
        if costs.holding_cost.shape[0] != network.n_locations:
            raise LocationError(f"costs are for {costs.holding_cost.shape[0]} locations, the network has "
                                f"{network.n_locations}", column="holding_cost")
        if infeasible not in ("raise", "clip"):
            raise LocationError("must be 'raise' or 'clip'", column="infeasible", value=infeasible)
        self.network = network
        self.costs = costs
        # 2.5 periods was cut to 2, "3" read as 3, lost_sales="no" was True, a warmup >= periods left no KPI period
        self.periods = whole_number(periods, "periods", 1)
        self.lost_sales = flag(lost_sales, "lost_sales")
        self.warmup = whole_number(warmup, "warmup", 0)
        if self.warmup >= self.periods:
            raise LocationError("must be below periods", column="warmup", value=warmup)
        self.infeasible = infeasible
        self.n = costs.n_skus
        self.width = network.max_lead_time + 1
        self._locations = np.arange(network.n_locations)
        self._has_zero_lead = bool((network.lead_time == 0).any())
        self._capacity = network.capacity
        self._finite_capacity = bool(np.isfinite(network.capacity).any())
        self._allocate = FairShare(network)
        self.t = 0
        self._demand: NDArray[np.float64] | None = None

    # ------------------------------------------------------------------ episode
    def reset(self, demand: ArrayLike, initial: NetworkState | None = None) -> NetworkObservation:
        """Start an episode: ``demand`` has shape (periods, stores, SKUs), whole numbers >= 0.

        The demand path is drawn by the caller (the same array for every policy compared:
        common random numbers). ``initial`` defaults to nothing anywhere; it is checked as
        :meth:`NetworkState.build` checks a state (whole numbers >= 0, backorders only at the
        stores; until 2026-12-04 a state built directly with backorders at the warehouse had them
        served from the warehouse's stock, and fractional stock was simulated). Under lost sales
        it may owe no backorders (a ``LocationError`` naming ``backorders``, the store, the SKU and
        the units, as a lost-sales :class:`~hybridinv.Scenario` refuses them): until 2026-12-06
        they were kept, never served, and lowered the store's positions for the whole episode.
        """
        network, n = self.network, self.n
        path = np.asarray(demand, dtype=np.float64)
        if path.shape != (self.periods, network.n_stores, n):
            raise LocationError(f"demand must have shape (periods={self.periods}, stores={network.n_stores}, "
                                f"SKUs={n}), got {path.shape}", column="demand")
        if not (np.isfinite(path).all() and (path >= 0).all() and (path == np.round(path)).all()):
            raise LocationError("demand must be whole numbers >= 0", column="demand")
        self._demand = path
        state = initial if initial is not None else NetworkState.zeros(network, n)
        shape = (network.n_locations, n)
        if (np.shape(state.on_hand) != shape or np.shape(state.backorders) != shape or np.ndim(state.pipeline) != 3
                or np.shape(state.pipeline)[:2] != shape or np.shape(state.pipeline)[2] > self.width):
            raise LocationError("initial state does not match the network and SKUs", column="initial")
        if initial is not None:  # a state built directly: whole units >= 0, backorders only at the stores (as build)
            state = NetworkState.build(network, n, state.on_hand, state.pipeline, state.backorders)
            self._check_lost_sales_backorders(state.backorders)
        self._on_hand = state.on_hand.astype(np.float64)
        self._backorders = state.backorders.astype(np.float64)
        self._ring = np.zeros((self.width, network.n_locations, n))
        self._ring[: state.pipeline.shape[2]] = np.moveaxis(state.pipeline, 2, 0)
        self._transit = self._ring.sum(axis=0)
        self._store_demand = np.zeros((network.n_locations, n))
        self.t = 0
        self.ledger = NetworkLedger(network, self.periods, self.warmup)
        self.ledger.initial_value = self._position_value()
        self._receive(0, self._ring[0])
        return self.observe()

    def _check_lost_sales_backorders(self, backorders: NDArray[np.float64]) -> None:
        """Refuse starting backorders under lost sales: nothing serves them, yet they lower the positions."""
        owed = backorders > 0
        if self.lost_sales and owed.any():
            loc, sku = (int(v[0]) for v in np.nonzero(owed))
            raise LocationError("a lost-sales network cannot start with backorders (they would never be served, "
                                "yet lower the store's inventory positions); set them to 0 or use lost_sales=False",
                                column="backorders", location=self.network.names[loc], sku=self.costs.skus[sku],
                                value=float(backorders[loc, sku]))

    @property
    def done(self) -> bool:
        return self.t >= self.periods

    def observe(self) -> NetworkObservation:
        """The state at the start of the current period (after its arrivals), with both positions."""
        slots = (self.t + np.arange(self.width)) % self.width
        pipeline = np.moveaxis(self._ring[slots], 0, 2).copy()
        return NetworkObservation.of(self.network, self.t, self._on_hand.copy(), pipeline, self._backorders.copy())

    def run(self, policy: NetworkPolicy, demand: ArrayLike, initial: NetworkState | None = None) -> NetworkLedger:
        """Run ``policy`` over the horizon; return the ledger."""
        obs = self.reset(demand, initial)
        while not self.done:
            obs = self.step(policy.act(obs))
        return self.ledger

    # ------------------------------------------------------------------ one period
    def step(self, supplier_orders: ArrayLike | NetworkDecision,
             shipments: ArrayLike | None = None) -> NetworkObservation:
        """Apply one period's decisions (a :class:`NetworkDecision` or the two arrays) and simulate it."""
        if self._demand is None:
            raise RuntimeError("call reset() before step()")
        if self.done:
            raise RuntimeError("the episode is over; call reset()")
        if isinstance(supplier_orders, NetworkDecision):
            given_orders: ArrayLike = supplier_orders.supplier_orders
            given_shipments: ArrayLike | None = supplier_orders.shipments
        else:
            given_orders, given_shipments = supplier_orders, shipments
        network, costs, ledger, t = self.network, self.costs, self.ledger, self.t
        orders = self._quantities(given_orders, network.roots, "supplier_orders")
        ships = self._quantities(given_shipments, network.non_roots, "shipments")
        ships = self._check_shipments(t, ships)
        spend_by_root = np.einsum("rn,n->r", orders, costs.unit_cost)
        spend = float(spend_by_root.sum())
        ledger.spend[t] = spend
        if spend > network.budget * (1 + 1e-9):
            ledger.budget_excess[t] = spend - network.budget
        inflow = np.zeros_like(self._on_hand)
        inflow[network.roots] = orders
        inflow[network.non_roots] = ships
        outflow = np.einsum("pk,kn->pn", network.ship_from, ships)
        self._on_hand -= outflow
        self._ring[(t + network.lead_time) % self.width, self._locations] += inflow
        self._transit += inflow
        if self._has_zero_lead:
            self._receive(t, self._ring[t % self.width])
        served, short, filled = self._serve(self._demand[t])
        self._record(t, orders, ships, inflow, outflow, spend_by_root, served, short, filled)
        self.t = t + 1
        if self.t < self.periods:
            self._receive(self.t, self._ring[self.t % self.width])
        return self.observe()

    def _quantities(self, values: ArrayLike | None, rows: NDArray[np.int64], column: str) -> NDArray[np.float64]:
        shape = (rows.size, self.n)
        if values is None:
            if rows.size:
                raise LocationError(f"{column} are required (shape {shape})", column=column)
            return np.zeros(shape)
        qty = np.rint(number_array(values, column))  # as the single-location simulator: True was 1 unit
        if qty.shape != shape:
            raise LocationError(f"{column} must have shape {shape}, got {qty.shape}", column=column)
        bad = ~np.isfinite(qty) | (qty < 0)
        if bad.any():
            row, sku = (int(v[0]) for v in np.nonzero(bad))
            raise LocationError(f"{column} must be finite and >= 0", column=column,
                                location=self.network.names[rows[row]], sku=self.costs.skus[sku],
                                value=float(qty[row, sku]))
        return qty

    def _check_shipments(self, t: int, ships: NDArray[np.float64]) -> NDArray[np.float64]:
        """Shipments within the parents' on-hand; raise, or cut by fair share and record the excess."""
        network = self.network
        over = np.einsum("pk,kn->pn", network.ship_from, ships) - self._on_hand
        if not (over > 1e-9).any():
            return ships
        if self.infeasible == "raise":
            loc, sku = (int(v[0]) for v in np.nonzero(over > 1e-9))
            raise LocationError(
                f"period {t}: shipments of {over[loc, sku] + self._on_hand[loc, sku]:g} units to its children "
                f"exceed its on-hand {self._on_hand[loc, sku]:g}",
                column="shipments", location=network.names[loc], sku=self.costs.skus[sku],
                value=float(over[loc, sku] + self._on_hand[loc, sku]),
            )
        self.ledger.shipment_excess[t] = float(np.maximum(over, 0.0).sum())
        return self._allocate(ships, self._on_hand)

    def _position_value(self) -> float:
        """Unit cost of on hand + in transit - backorders over all locations."""
        return float(np.einsum("ln,n->", self._on_hand + self._transit - self._backorders, self.costs.unit_cost))

    def _receive(self, t: int, arrivals: NDArray[np.float64]) -> None:
        """Receive ``arrivals`` (a ring slot, emptied here), rejecting what does not fit."""
        self._transit -= arrivals
        rejected = np.zeros_like(arrivals)
        use = None
        if self._finite_capacity:
            volume = self.costs.volume
            after = np.einsum("ln,n->l", self._on_hand + arrivals, volume)
            excess = after - self._capacity
            if (excess > 1e-9).any():
                rejected = reject_excess(arrivals, volume, np.where(excess > 1e-9, excess, 0.0))
            # the volume held after the rejection, as the single-location ledger: whole units are rejected, so it
            # may stay below the capacity, and a stock already above it shows above 1 (until 2026-12-06 both were
            # min(volume before the rejection, capacity): 1)
            held = after - np.einsum("ln,n->l", rejected, volume)
            with np.errstate(invalid="ignore", divide="ignore"):
                use = np.where(np.isfinite(self._capacity), held / self._capacity, np.nan)
        accepted = arrivals - rejected
        self._on_hand += accepted
        overflow = rejected.sum(axis=1)
        self.ledger.receipt(t, accepted.sum(axis=1), overflow, overflow * self.costs.overflow_cost, use)
        arrivals.fill(0.0)

    def _serve(self, demand: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        """Serve this period's store demand (backlog first); return served, short and backlog filled (L, n)."""
        stores = self.network.stores
        need = self._store_demand
        need[stores] = demand
        on_hand = self._on_hand
        filled = np.zeros_like(on_hand)
        if not self.lost_sales:
            np.minimum(on_hand, self._backorders, out=filled)
            on_hand -= filled
            self._backorders -= filled
        served = np.minimum(on_hand, need)
        on_hand -= served
        short = need - served
        if not self.lost_sales:
            self._backorders += short
        return served, short, filled

    def _record(self, t: int, orders: NDArray[np.float64], ships: NDArray[np.float64], inflow: NDArray[np.float64],
                outflow: NDArray[np.float64], spend_by_root: NDArray[np.float64], served: NDArray[np.float64],
                short: NDArray[np.float64], filled: NDArray[np.float64]) -> None:
        network, costs, ledger = self.network, self.costs, self.ledger
        row = ledger.costs[t]
        row[:, 0] = np.einsum("ij,ij->i", costs.holding_cost, self._on_hand)
        row[:, 1] = np.einsum("ij,ij->i", costs.transit_holding_cost, self._transit)
        penalized = short if self.lost_sales else self._backorders
        row[:, 2] = np.einsum("ij,ij->i", costs.shortage_cost, penalized) * network.is_store
        row[network.roots, 3] = spend_by_root + np.einsum("rn,n->r", orders > 0, costs.order_cost)
        row[:, 4] = np.einsum("ij,ij->i", costs.shipment_cost, inflow > 0) * (network.parent >= 0)
        units = ledger.units
        units["ordered"][t, network.roots] = orders.sum(axis=1)
        units["shipped_in"][t, network.non_roots] = ships.sum(axis=1)
        units["shipped_out"][t] = outflow.sum(axis=1)
        units["demand"][t] = self._store_demand.sum(axis=1)
        units["served"][t] = served.sum(axis=1)
        units["backorders_filled"][t] = filled.sum(axis=1)
        units["lost"][t] = short.sum(axis=1) if self.lost_sales else 0.0
        units["stockouts"][t] = np.count_nonzero(short, axis=1)
        units["on_hand"][t] = self._on_hand.sum(axis=1)
        units["in_transit"][t] = self._transit.sum(axis=1)
        units["backorders"][t] = self._backorders.sum(axis=1)
        ledger.position_value[t] = self._position_value()
        ledger.demand_value[t] = float(np.einsum("ln,n->", self._store_demand, costs.unit_cost))
