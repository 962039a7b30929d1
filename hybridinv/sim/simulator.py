"""Vectorized simulator: one period for all SKUs in a few numpy operations.

Period order (see docs/concepts.md):

1. orders are placed (an order with lead time L lands in the ring-buffer slot of
   period t+L; L = 0 is usable at once);
2. arrivals due this period are received; capacity is checked at receipt and
   the overflow is rejected and charged;
3. demand is served from stock (oldest first) — unmet demand is lost or backordered;
4. perishable stock ages and units past their shelf life expire (waste);
5. costs are charged on end-of-period stock.

The step calls no BLAS routine: weighted sums over SKUs go through :func:`hybridinv.sim.ledger.dot`
(``numpy.einsum``'s own loop), because a multi-threaded BLAS ``ddot`` on 100,000-SKU
vectors competes for the cores with every other process and, on a loaded machine,
made the step several times slower. Per-period vectors (served, short) live in
buffers allocated once per episode and are updated in place.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import number_array
from hybridinv.core.errors import PlanningError
from hybridinv.core.feasibility import budget_tolerance, capacity_tolerance, largest_per_row, supplier_tolerance
from hybridinv.core.limits import MAX_ORDER
from hybridinv.core.projection import capacity_rows
from hybridinv.core.state import InventoryState
from hybridinv.sim._views import RebuildsViews
from hybridinv.sim.fifo import ROUNDING, serve_fifo_and_age
from hybridinv.sim.ledger import TALLY_ROWS, Ledger, _einsum, dot
from hybridinv.sim.observation import Observation
from hybridinv.sim.scenario import Scenario, ScenarioPath

__all__ = [
    "ROUNDING", "ScenarioLayout", "Simulator", "budget_excess_of", "capacity_excess_of", "excess_units",
    "serve_fifo_and_age", "whole_units",
]


def excess_units(arrivals: NDArray[np.float64], volume: NDArray[np.float64], excess: float) -> NDArray[np.float64]:
    """Whole units to reject so that ``excess`` volume leaves, spread in proportion to the arrivals.

    Each SKU that takes space gives up ``floor(share * arrivals)`` units, ``share = excess /
    incoming volume``; the volume still missing is taken one unit at a time from the SKUs with
    the largest remainders ``share * arrivals - floor(...)`` until it is covered (a SKU with less
    than one unit left arriving, a fractional open order, gives what it has left). The rejected
    volume is at least ``excess`` and exceeds it by less than the volume of one unit; SKUs
    without volume are never rejected.

    Examples
    --------
    >>> excess_units(np.array([10.0, 10.0, 10.0]), np.ones(3), 1.0).tolist()  # one unit, not one per SKU
    [1.0, 0.0, 0.0]
    """
    spacious = volume > 0
    incoming = dot(volume, np.where(spacious, arrivals, 0.0))
    if excess <= 0.0 or incoming <= 0.0:
        return np.zeros_like(arrivals)
    share = min(1.0, excess / incoming)
    exact = np.where(spacious, arrivals * share, 0.0)
    rejected = np.minimum(np.floor(exact + 1e-9), arrivals)
    missing = excess - dot(volume, rejected)
    if missing > 1e-9:
        # a whole unit from each, or what is left of a fractional arrival (0.5 arriving into a full warehouse
        # was kept: stock 5.5 against a capacity of 5, nothing rejected)
        give = np.minimum(arrivals - rejected, 1.0)
        candidates = np.flatnonzero(spacious & (give > 0.0))
        order = candidates[np.argsort(-(exact - rejected)[candidates], kind="stable")]
        covered = np.cumsum(volume[order] * give[order])
        count = min(int(np.searchsorted(covered, missing - 1e-9)) + 1, order.size)
        rejected[order[:count]] += give[order[:count]]
    return rejected


def budget_excess_of(spend: float, budget: float, lot_value: float) -> float:
    """``spend - budget`` when it is above the budget row's tolerance (rounding noise), else 0.

    The tolerance is :func:`hybridinv.core.feasibility.budget_tolerance`, as ``check_orders`` uses it;
    ``lot_value`` is the value of the dearest lot.
    """
    over = spend - budget
    return over if over > budget_tolerance(budget, spend, lot_value) else 0.0


def capacity_excess_of(usage: ArrayLike, residual: ArrayLike, capacity: float,
                       lot_usage: NDArray[np.float64]) -> NDArray[np.float64]:
    """Volume by which orders exceed each capacity row (its room ``max(residual, 0)``), 0 within the row's
    tolerance (:func:`hybridinv.core.feasibility.capacity_tolerance`, as ``check_orders``); any shape whose
    last axis is the rows, ``lot_usage`` one lot's volume per row."""
    usage, residual = np.asarray(usage, dtype=np.float64), np.asarray(residual, dtype=np.float64)
    excess = usage - np.maximum(residual, 0.0)
    if not excess.max(initial=0.0) > 0.0:  # the usual case, every row within its room: no tolerance to compute
        return np.zeros_like(excess)
    return np.where(excess > capacity_tolerance(capacity, residual, usage, lot_usage), excess, 0.0)



def whole_units(*arrays: NDArray[np.float64]) -> bool:
    """Whether every value is a whole number (checked a million values at a time, without a full-size copy).

    With whole stock, open orders and demand every quantity the simulator computes stays whole and exact,
    so :func:`serve_fifo_and_age` can skip its rounding tolerance.
    """
    chunk = 1 << 20
    for array in arrays:
        flat = np.ravel(array)
        for start in range(0, flat.size, chunk):
            part = flat[start:start + chunk]
            if not np.array_equal(part, np.floor(part)):
                return False
    return True


def track_positions(track: ArrayLike, n: int) -> NDArray[np.int64]:
    """SKU positions to track as ints; a :class:`PlanningError` unless each is a whole number in ``[0, n)``.

    100 of 10 SKUs was an IndexError at the first step, -1 tracked the last SKU and 1.5 the second.
    """
    values = np.ravel(number_array(track, "track"))
    bad = ~((values >= 0) & (values < n) & (values == np.floor(values)))
    if bad.any():
        raise PlanningError(f"SKU positions must be whole numbers from 0 to {n - 1}", column="track",
                            value=values[bad][0].item())
    return values.astype(np.int64)


def order_array(orders: ArrayLike, shape: tuple[int, ...], skus: NDArray[np.object_]) -> NDArray[np.float64]:
    """A policy's orders as whole numbers of ``shape``; a :class:`PlanningError` for text or a wrong shape."""
    if isinstance(orders, np.ndarray) and orders.dtype.kind in "iuf":  # the usual case: no scan of the values
        qty = np.rint(orders.astype(np.float64, copy=False))
    else:  # booleans and text were read as numbers ("1" one unit, True one unit)
        qty = np.rint(number_array(orders, "orders"))
    if qty.shape != shape:
        raise PlanningError(f"the policy's orders must have shape {shape} ({skus.size} SKUs), got {qty.shape}",
                            column="orders")
    return qty


def refuse_orders(qty: NDArray[np.float64], skus: NDArray[np.object_]) -> None:
    """Raise the :class:`PlanningError` for orders that are not finite and >= 0, naming the first SKU, or for the
    largest order past :data:`~hybridinv.core.limits.MAX_ORDER` (``plan()``'s limit too: until 2026-12-06 one
    order of 1e308 was simulated, its costs infinite, while two were refused naming that limit).
    """
    bad = ~np.isfinite(qty) | (qty < 0)
    if not bad.any():
        index = np.unravel_index(int(np.argmax(qty)), qty.shape)
        raise PlanningError(f"the policy's orders must be at most {MAX_ORDER:g} an order (MAX_ORDER)",
                            column="orders", sku=skus[index[-1]], value=float(qty[index]))
    index = np.argwhere(bad)[0]
    raise PlanningError("the policy's orders must be finite and >= 0", column="orders", sku=skus[index[-1]],
                        value=float(qty[tuple(index)]))


class ScenarioLayout:
    """The per-scenario constants of a simulator (shared by :class:`Simulator` and the batched one)."""

    def _set_layout(self, scenario: Scenario, periods: int | None, check_orders: bool) -> None:
        self.scenario = scenario
        # a replay runs no longer than its record (a path given to reset() past it had zero-demand periods)
        self.periods = scenario.simulated_periods(periods)
        cat = scenario.catalog
        self.n = cat.n_skus
        lead = scenario.lead_times
        assert lead is not None
        init = scenario.initial_state
        assert init is not None
        # the ring holds every open order: those of the initial state may be due after the longest lead time
        due = np.flatnonzero(np.asarray(init.pipeline).any(axis=0))
        self.width = max(int(lead.max_lead_time.max()) + 1, int(due[-1]) + 1 if due.size else 1)
        self.buckets = int(max(cat.shelf_life.max(), 1))
        self._perishable = bool(cat.perishable.any())
        self._perish_mask = cat.perishable
        self._receipt_bucket = np.where(cat.perishable, cat.shelf_life - 1, 0).astype(np.int64)
        self._rows = np.arange(self.n)
        # supplier capacities: units ordered per supplier and period (the repair's supplier rows)
        self._supplier_onehot, self._supplier_limit = np.zeros((self.n, 0)), np.zeros(0)
        self._supplier_lot = np.zeros(0)  # the largest lot per supplier, for the order check's row tolerance
        if scenario.constraints.supplier_capacity:  # one column per supplier with a capacity
            _, member, self._supplier_limit = scenario.constraints.supplier_rows(cat)
            self._supplier_onehot = (member[:, None] == np.arange(self._supplier_limit.size)[None, :]).astype(float)
            inside = member >= 0
            self._supplier_lot = largest_per_row(member[inside], cat.lot_size[inside], self._supplier_limit.size)
        self._has_rules = bool((cat.moq > 0).any() or (cat.lot_size > 1).any() or np.isfinite(cat.max_order).any()
                               or self._supplier_limit.size > 0)
        # one lot's usage of each row, for the order check's row tolerance (as hybridinv.core.check_orders)
        self._budget_lot = float(np.max(cat.unit_cost * cat.lot_size, initial=0.0))
        self._capacity_lot = largest_per_row(cat.lead_time, cat.volume * cat.lot_size, int(cat.lead_time.max()) + 1)
        self._has_order_cost = bool((cat.order_cost > 0).any())
        # (units, purchase value) of an order in one pass over the SKUs
        self._order_weights = np.stack([np.ones(self.n), cat.unit_cost])
        self._capacity = scenario.constraints.capacity
        self._budget = scenario.constraints.budget
        self.check_orders = check_orders

    def _supplier_breaches(self, qty: NDArray[np.float64]) -> NDArray[np.int64]:
        """Per episode (rows of ``qty``), how many supplier capacities its orders exceed."""
        if self._supplier_limit.size == 0:
            return np.zeros(qty.shape[0], dtype=np.int64)
        units = _einsum("en,nr->er", qty, self._supplier_onehot)  # einsum's own loop, not a BLAS call
        over = units - self._supplier_limit > supplier_tolerance(self._supplier_limit, units, self._supplier_lot)
        return np.count_nonzero(over, axis=1)

    def _check_path(self, path: ScenarioPath) -> None:
        """Refuse a pre-drawn path that does not fit this simulator (drawn for another scenario, or edited).

        Lead times outside the ring would land in the wrong period, and NaN or negative demand would
        give NaN costs next to a fill rate of 1, so each is named rather than simulated.
        """
        if not isinstance(path, ScenarioPath):  # a text was "'str' object has no attribute 'demand'"
            raise PlanningError("must be a ScenarioPath (scenario.sample(seed, periods))", column="path",
                                value=type(path).__name__)
        sku = self.scenario.catalog.sku
        arrays = {"demand": path.demand.realized, "lead_time": path.lead_times.lead_time}
        if path.lead_times.delivered_fraction is not None:
            arrays["delivered_fraction"] = path.lead_times.delivered_fraction
        for name, array in arrays.items():
            if array.ndim != 2 or array.shape[1] != self.n or array.shape[0] < self.periods:
                raise PlanningError(f"the path's {name} has shape {array.shape}; this simulator needs "
                                    f"({self.periods} periods or more, {self.n} SKUs)", column=name)
        # the ring may be wider than the longest lead time (an initial open order due later): the scenario's
        # longest is the bound, as the message says
        longest = int(self.scenario.lead_times.max_lead_time.max())  # type: ignore[union-attr]
        limits = {"demand": (0.0, math.inf), "lead_time": (0, longest), "delivered_fraction": (0.0, 1.0)}
        for name, array in arrays.items():
            low, high = limits[name]
            part = array[: self.periods]
            bad = ~(part >= low) | ~(part <= high) | ~np.isfinite(part)
            if bad.any():
                t, i = np.argwhere(bad)[0]
                what = "whole periods from 0 to the scenario's longest lead time" if name == "lead_time" else (
                    f"finite and in [{low:g}, {high:g}]")
                raise PlanningError(f"the path's {name} must be {what} (period {t}); was the path drawn for "
                                    "another scenario?", column=name, sku=sku[i], value=part[t, i].item())


class Simulator(ScenarioLayout, RebuildsViews):
    """Simulate a scenario period by period for all SKUs at once.

    Parameters
    ----------
    scenario : Scenario
    periods : int, optional
        Horizon (defaults to ``scenario.periods``).
    track : array of int, optional
        SKU positions whose on-hand, orders and demand are recorded per period
        (for trajectory plots).
    check_orders : bool
        Check each period's orders against the hard rules known at order time
        (budget, MOQ, lot size, max order, capacity rows with expected demand)
        and count violations. Off only for raw speed benchmarks.
    per_sku_costs : bool
        Record each period's cost per SKU (``ledger.sku_costs``), for per-SKU
        comparisons such as the backtest's paired intervals over series.

    Examples
    --------
    >>> from hybridinv import scenarios
    >>> sim = Simulator(scenarios.single_sku(periods=50))
    >>> obs = sim.reset(seed=1)
    >>> while not sim.done:
    ...     obs = sim.step(np.maximum(10 - obs.inventory_position, 0))
    >>> round(sim.ledger.summary()["fill_rate"], 2) > 0.5
    True
    """

    def __init__(
        self,
        scenario: Scenario,
        periods: int | None = None,
        track: ArrayLike | None = None,
        check_orders: bool = True,
        per_sku_costs: bool = False,
    ) -> None:
        self._set_layout(scenario, periods, check_orders)
        self.per_sku_costs = per_sku_costs
        self.track = None if track is None else track_positions(track, self.n)
        self.path: ScenarioPath | None = None
        self.t = 0

    # ------------------------------------------------------------------ episode
    def _view_names(self) -> tuple[str, ...]:
        # on hand is a row of the tally when stock has no age buckets, its own array when it has
        stock = ("_stock",) if self.buckets == 1 else ()
        return (*stock, "_served", "_stockout", "_short", "_on_hand", "_flat_ring")

    def _bind_views(self) -> None:
        """The period's per-SKU vectors as rows of one tally, on hand and the flat ring as views."""
        if "_ring" not in self.__dict__:  # not reset yet: nothing to view
            return
        tally = self._tally_rows
        if self.buckets == 1:
            self._stock = tally[0:1]
        self._served, self._stockout, self._short = tally[1], tally[2], tally[3]
        self._on_hand = self._stock[0]  # used on the non-perishable path
        self._flat_ring = self._ring.reshape(-1)

    def reset(self, seed: int | None = None, path: ScenarioPath | None = None) -> Observation:
        """Start an episode from the scenario's initial state.

        Either ``seed`` (the path is drawn from the scenario) or a pre-drawn ``path``.
        """
        if path is None:
            path = self.scenario.sample(0 if seed is None else seed, self.periods)
        else:
            self._check_path(path)
        self.path = path
        self._demand = path.demand.realized
        self._lead = path.lead_times.lead_time
        self._fraction = path.lead_times.delivered_fraction
        init = self.scenario.initial_state
        assert init is not None
        # stock by remaining-life bucket, bucket-major (buckets, n) so every operation runs over
        # contiguous SKU vectors. The period's per-SKU vectors are rows of one array (TALLY_ROWS:
        # on hand, served, stockout flag, short), so that the ledger sums and accumulates them in
        # a few passes; on hand is its own (buckets, n) array when stock has age buckets
        tally = np.zeros((len(TALLY_ROWS), self.n))
        self._tally_rows = tally
        self._tally: NDArray[np.float64] | None = tally if self.buckets == 1 else None
        if self.buckets > 1:
            self._stock = np.zeros((self.buckets, self.n))
        self._ring = np.zeros((self.width, self.n))
        self._bind_views()
        if self._perishable:
            self._stock[self._receipt_bucket, self._rows] = init.on_hand
        else:
            self._stock[0] = init.on_hand
        self._backorders = np.array(init.backorders, dtype=np.float64)
        pipe = init.pipeline
        assert pipe is not None
        k = min(pipe.shape[1], self.width)  # the columns from k on are empty (see _set_layout)
        self._ring[:k] = pipe[:, :k].T
        self._deterministic_lead = self._fraction is None and bool((self._lead == self._lead[0]).all())
        # where this period's orders land in the ring: one row when every SKU has the same
        # fixed lead time, fixed flat positions per SKU when lead times are fixed but differ
        self._same_lead: int | None = None
        if self._deterministic_lead:
            lead0 = self._lead[0]
            if bool((lead0 == lead0[0]).all()):
                self._same_lead = int(lead0[0])
            self._slot_index = [((t + lead0) % self.width) * self.n + self._rows for t in range(self.width)]
        # units per ring slot, kept as orders are placed when they all land in one slot; exact as
        # long as the pipeline holds whole units (else ``received`` is summed over the arrivals)
        self._slot_units: NDArray[np.float64] | None = None
        if self._same_lead is not None and bool((self._ring == np.rint(self._ring)).all()):
            self._slot_units = self._ring.sum(axis=1)
        self._demand_totals = self._demand.sum(axis=1)
        # whole stock, open orders and demand stay whole (orders are whole): no rounding tolerance needed
        self._whole = whole_units(init.on_hand, self._backorders, pipe, self._demand[: self.periods])
        self.t = 0
        self.ledger = Ledger(self.scenario, self.periods, self.track, per_sku=self.per_sku_costs)
        return Observation(self)

    @property
    def done(self) -> bool:
        """Whether the horizon has been reached."""
        return self.t >= self.periods

    # ------------------------------------------------------------------ one period
    def step(self, orders: ArrayLike) -> Observation:
        """Place ``orders`` (one whole number per SKU) and simulate one period."""
        if self.path is None:
            raise RuntimeError("call reset() before step()")
        if self.t >= self.periods:
            raise RuntimeError("the episode is over; call reset()")
        t = self.t
        cat = self.scenario.catalog
        qty = order_array(orders, (self.n,), cat.sku)
        units, value = _einsum("ij,j->i", self._order_weights, qty)
        ordered = float(units)
        # NaN fails the first test; an order past MAX_ORDER the second (the max only when the total is that large)
        if not (qty.min() >= 0.0 and (ordered <= MAX_ORDER or qty.max() <= MAX_ORDER)):
            refuse_orders(qty, cat.sku)
        ledger = self.ledger
        if t == ledger.warmup:
            ledger.opening_position = self.position()
        if self.check_orders:
            ledger.violation(t, *self._violations(qty))
        fraction = self._fraction
        if fraction is None:
            delivered = qty
            cancelled = 0.0
            spend = float(value)
        else:
            delivered = np.floor(qty * fraction[t])
            cancelled = ordered - float(delivered.sum())
            spend = dot(cat.unit_cost, delivered)
        self._filled = 0.0
        slot_units = self._slot_units
        if self._same_lead is not None:
            slot = (t + self._same_lead) % self.width
            self._ring[slot] += delivered
            if slot_units is not None:
                slot_units[slot] += ordered
        elif self._deterministic_lead:
            self._flat_ring[self._slot_index[t % self.width]] += delivered
        else:
            slot = (t + self._lead[t]) % self.width
            self._ring[slot, self._rows] += delivered
        fixed = dot(cat.order_cost, qty > 0) if self._has_order_cost else 0.0

        now = t % self.width
        arrivals = self._ring[now]
        rejected = None
        if self._capacity < math.inf:
            rejected = self._receive_with_capacity(arrivals)
        overflow = 0.0 if rejected is None else float(rejected.sum())
        demand = self._demand[t]
        if slot_units is None:
            received = float(arrivals.sum())
        else:  # the slot's units were counted as they were ordered: no pass over the SKUs
            received = float(slot_units[now]) - overflow
            slot_units[now] = 0.0
        if self._perishable:
            served, short, waste = self._serve_perishable(arrivals, demand)
        else:
            served, short = self._serve(arrivals, demand)
            waste = None
        arrivals.fill(0.0)
        self.t = t + 1
        ledger.record(
            t,
            self,
            qty,
            spend,
            fixed,
            served,
            short,
            waste,
            overflow,
            demand,
            received,
            ordered=ordered,
            cancelled=cancelled,
            backorders_filled=self._filled,
            delivered=delivered,
            rejected=rejected,
            demand_total=float(self._demand_totals[t]),
        )
        if self.t == self.periods:
            ledger.closing_position = self.position()
        return Observation(self)

    def position(self) -> NDArray[np.float64]:
        """Inventory position per SKU now: on hand (every age) + pipeline - backorders."""
        return np.asarray(self._stock.sum(axis=0) + self._ring.sum(axis=0) - self._backorders, dtype=np.float64)

    def _serve(
        self, arrivals: NDArray[np.float64], demand: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        on_hand, served, short = self._on_hand, self._served, self._short
        on_hand += arrivals
        if not self._whole:  # fractional units: served with serve_fifo_and_age's rounding tolerance
            back = None if self.scenario.lost_sales else self._backorders
            served[:], short[:], _, cleared = serve_fifo_and_age(self._stock, demand, back, self._perish_mask, 1)
            if cleared is not None:
                self._filled = float(cleared.sum())
            np.greater(short, 0.0, out=self._stockout)
            return served, short
        if not self.scenario.lost_sales:
            back = self._backorders
            cleared = np.minimum(on_hand, back, out=short)  # ``short`` as scratch until demand is served
            on_hand -= cleared
            back -= cleared
            self._filled = float(cleared.sum())
        np.minimum(on_hand, demand, out=served)
        on_hand -= served
        np.subtract(demand, served, out=short)
        if self.scenario.lost_sales:
            np.greater(short, 0.0, out=self._stockout)  # the tally row the ledger sums (lost sales only)
        else:
            self._backorders += short
        return served, short

    def _serve_perishable(
        self, arrivals: NDArray[np.float64], demand: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        stock = self._stock
        stock[self._receipt_bucket, self._rows] += arrivals
        backorders = None if self.scenario.lost_sales else self._backorders
        served, short, waste, cleared = serve_fifo_and_age(stock, demand, backorders, self._perish_mask, self.buckets,
                                                           self._whole)
        if cleared is not None:
            self._filled = float(cleared.sum())
        return served, short, waste

    def _receive_with_capacity(self, arrivals: NDArray[np.float64]) -> NDArray[np.float64] | None:
        """Reject arrivals that do not fit; return the units rejected per SKU (None when none)."""
        volume = self.scenario.catalog.volume
        used = dot(volume, self._stock.sum(axis=0)) if self._perishable else dot(volume, self._on_hand)
        incoming = dot(volume, arrivals)
        excess = used + incoming - self._capacity
        if excess <= 1e-9 or incoming <= 0.0:
            self.ledger.capacity_use(self.t, (used + incoming) / self._capacity)
            return None
        rejected = excess_units(arrivals, volume, excess)
        arrivals -= rejected
        # the volume held after the receipt: whole units are rejected, so it may stay below the capacity (it was
        # recorded as 1), and a stock already above the capacity shows as above 1 (it was clamped to 1)
        self.ledger.capacity_use(self.t, (used + incoming - dot(volume, rejected)) / self._capacity)
        return rejected

    # ------------------------------------------------------------------ checks
    def _violations(self, qty: NDArray[np.float64]) -> tuple[float, float, int]:
        """Budget excess, capacity-row excess and rule breaches of one period's orders.

        A row counts when its excess is above :func:`hybridinv.core.feasibility.row_tolerance`, the
        rounding noise ``check_orders`` (and so ``plan()``) allows.
        """
        cat = self.scenario.catalog
        budget_excess = 0.0
        if math.isfinite(self._budget):
            spend = dot(cat.unit_cost, qty)
            budget_excess = budget_excess_of(spend, self._budget, self._budget_lot)
        rules = 0
        if self._has_rules:
            positive = qty > 0
            rules = int(
                np.count_nonzero(positive & (qty < cat.moq))
                + np.count_nonzero(np.mod(qty, cat.lot_size) != 0)
                + np.count_nonzero(qty > cat.max_order)
            ) + int(self._supplier_breaches(qty[None, :])[0])
        capacity_excess = 0.0
        if math.isfinite(self._capacity):
            obs = Observation(self)
            horizon = int(cat.lead_time.max()) + 1
            rows = capacity_rows(
                cat.volume,
                cat.lead_time,
                obs.on_hand,
                obs.pipeline,
                obs.forecast(horizon),
                self._capacity,
                obs.backorders,
            )
            new = np.bincount(rows.row, weights=cat.volume * qty, minlength=rows.residual.size)
            capacity_excess = float(capacity_excess_of(new, rows.residual, self._capacity, self._capacity_lot).sum())
        return budget_excess, capacity_excess, rules

    # ------------------------------------------------------------------ state access
    def on_hand(self) -> NDArray[np.float64]:
        """Usable stock per SKU (all age buckets)."""
        return self._stock.sum(axis=0) if self._perishable else self._on_hand.copy()

    def pipeline(self) -> NDArray[np.float64]:
        """Open orders, shape (n, width), by periods until arrival (0 = this period)."""
        order = (self.t + np.arange(self.width)) % self.width
        return self._ring[order].T.copy()

    def backorders(self) -> NDArray[np.float64]:
        return self._backorders.copy()

    def stock_by_age(self) -> NDArray[np.float64]:
        """Stock per SKU and remaining-life bucket (bucket j: j+1 periods of life left)."""
        return self._stock.T.copy()

    def state(self) -> InventoryState:
        """The current state as an :class:`InventoryState` in catalog order."""
        return InventoryState._trusted(self.scenario.catalog.sku, self.on_hand(), self.backorders(), self.pipeline())
