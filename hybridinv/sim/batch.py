"""Batched simulator: many episodes of one scenario at once, arrays of shape (episodes, SKUs).

:class:`BatchSimulator` runs ``E`` episodes (one per seed) of the same scenario in
lock-step with exactly the dynamics of :class:`~hybridinv.sim.simulator.Simulator`
(same period order, same capacity rejection, same FIFO ageing of perishables, same
order checks). Episode ``e`` with seed ``s`` sees exactly the demand and lead-time
draws the per-episode simulator gives for seed ``s`` (each path is drawn with
:meth:`Scenario.sample`), so results agree with the per-episode path to float
rounding (sums over SKUs may add in another order).

Policies see a :class:`BatchObservation` (arrays with a leading episode axis) through
``act_batch`` (:class:`hybridinv.policies.base.BatchPolicy`); ``episode(e)`` gives the
plain :class:`~hybridinv.sim.observation.Observation` of one episode. At the end,
:meth:`BatchSimulator.ledger` returns each episode's :class:`~hybridinv.sim.ledger.Ledger`
(the same KPIs through :meth:`Ledger.summary`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import PlanningError, whole_number
from hybridinv.core.limits import MAX_ORDER
from hybridinv.sim._views import RebuildsViews
from hybridinv.sim.batch_ledger import BatchLedger
from hybridinv.sim.fifo import expected_outdating
from hybridinv.sim.ledger import Ledger, dot
from hybridinv.sim.observation import Observation
from hybridinv.sim.scenario import Scenario, ScenarioPath
from hybridinv.sim.seeds import seed_numbers
from hybridinv.sim.simulator import (
    ScenarioLayout,
    budget_excess_of,
    capacity_excess_of,
    excess_units,
    order_array,
    refuse_orders,
    serve_fifo_and_age,
    whole_units,
)

__all__ = ["BatchObservation", "BatchSimulator", "capacity_row_excess"]


class _EpisodeView:
    """One episode of a batch as a :class:`~hybridinv.sim.view.SimulatorView` (what an :class:`Observation` reads)."""

    def __init__(self, batch: BatchSimulator, episode: int) -> None:
        self.scenario = batch.scenario
        self.path: ScenarioPath | None = batch.paths[episode]
        self.t = batch.t
        self._batch = batch
        self._e = episode

    @property
    def _stock(self) -> NDArray[np.float64]:
        return self._batch._stock[:, self._e]

    @property
    def _on_hand(self) -> NDArray[np.float64]:
        return self._batch._on_hand[self._e]

    @property
    def _backorders(self) -> NDArray[np.float64]:
        return self._batch._backorders[self._e]

    def on_hand(self) -> NDArray[np.float64]:
        batch = self._batch
        return batch._stock[:, self._e].sum(axis=0) if batch._perishable else batch._on_hand[self._e].copy()

    def backorders(self) -> NDArray[np.float64]:
        return self._batch._backorders[self._e].copy()

    def pipeline(self) -> NDArray[np.float64]:
        batch = self._batch
        order = (batch.t + np.arange(batch.width)) % batch.width
        return batch._ring[order, self._e].T.copy()


class BatchObservation:
    """What the policies see at the start of period ``period`` in every episode of a batch.

    Arrays have a leading episode axis; quantities are computed on first access and valid
    until the next ``step``. :meth:`episode` gives one episode's :class:`Observation`.
    """

    def __init__(self, batch: BatchSimulator) -> None:
        self._batch = batch
        self._cache: dict[str, NDArray[np.float64]] = {}
        self._episodes: dict[int, Observation] = {}
        self.period: int = batch.t
        self.catalog: Catalog = batch.scenario.catalog
        self.constraints: Constraints = batch.scenario.constraints
        self.lost_sales: bool = batch.scenario.lost_sales
        self.periods_per_year: int = batch.scenario.periods_per_year

    @property
    def episodes(self) -> int:
        """Number of episodes ``E``."""
        return self._batch.episodes

    @property
    def n_skus(self) -> int:
        return self.catalog.n_skus

    @property
    def simulated(self) -> bool:
        """Always True (a batch comes from a simulator)."""
        return True

    def episode(self, e: int) -> Observation:
        """Episode ``e``'s observation (the one the per-episode simulator would give)."""
        e = self._batch.episode_index(e)
        obs = self._episodes.get(e)
        if obs is None:
            obs = Observation(_EpisodeView(self._batch, e))
            self._episodes[e] = obs
        return obs

    @property
    def on_hand(self) -> NDArray[np.float64]:
        """Usable stock, shape (E, n)."""
        value = self._cache.get("on_hand")
        if value is None:
            batch = self._batch
            value = batch._stock.sum(axis=0) if batch._perishable else batch._on_hand.copy()
            self._cache["on_hand"] = value
        return value

    @property
    def backorders(self) -> NDArray[np.float64]:
        """Units owed to customers, shape (E, n)."""
        value = self._cache.get("backorders")
        if value is None:
            value = self._batch._backorders.copy()
            self._cache["backorders"] = value
        return value

    @property
    def pipeline(self) -> NDArray[np.float64]:
        """Open orders, shape (E, n, W): ``pipeline[e, i, k]`` arrives in ``k`` periods."""
        value = self._cache.get("pipeline")
        if value is None:
            batch = self._batch
            order = (batch.t + np.arange(batch.width)) % batch.width
            value = np.ascontiguousarray(batch._ring[order].transpose(1, 2, 0))
            self._cache["pipeline"] = value
        return value

    @property
    def inventory_position(self) -> NDArray[np.float64]:
        """On-hand + open orders − backorders, shape (E, n)."""
        value = self._cache.get("ip")
        if value is None:
            value = self.on_hand + self.pipeline.sum(axis=2) - self.backorders
            self._cache["ip"] = value
        return value

    @property
    def usable_position(self) -> NDArray[np.float64]:
        """:attr:`inventory_position` less the units expected to expire before an order placed now arrives,
        shape (E, n): each episode's :attr:`Observation.usable_position <hybridinv.sim.observation.Observation.
        usable_position>`."""
        value = self._cache.get("usable")
        if value is None:
            value = self.inventory_position
            cat = self.catalog
            if bool(cat.perishable.any()):
                batch = self._batch
                value = value - expected_outdating(
                    self.on_hand, self.pipeline, self.forecast(max(int(cat.lead_time.max()), 1)),
                    self.backorders, cat.shelf_life, cat.lead_time, batch._stock, lost_sales=batch.scenario.lost_sales)
            self._cache["usable"] = value
        return value

    def forecast(self, horizon: int) -> NDArray[np.float64]:
        """Expected demand of the next ``horizon`` periods, shape (E, n, horizon)."""
        return np.stack([self.episode(e).forecast(horizon) for e in range(self.episodes)])


class BatchSimulator(ScenarioLayout, RebuildsViews):
    """Simulate ``E`` episodes of a scenario at once (one per seed), all SKUs vectorized.

    Parameters
    ----------
    scenario : Scenario
    periods : int, optional
        Horizon (defaults to ``scenario.periods``).
    check_orders : bool
        Check each period's orders against the rules known at order time, as
        :class:`~hybridinv.sim.simulator.Simulator` does.

    Examples
    --------
    >>> from hybridinv import scenarios
    >>> sim = BatchSimulator(scenarios.single_sku(periods=50))
    >>> obs = sim.reset(seeds=[1, 2, 3])
    >>> while not sim.done:
    ...     obs = sim.step(np.maximum(10 - obs.inventory_position, 0))
    >>> [round(sim.ledger(e).summary()["fill_rate"], 2) > 0.5 for e in range(3)]
    [True, True, True]
    """

    def __init__(self, scenario: Scenario, periods: int | None = None, check_orders: bool = True) -> None:
        self._set_layout(scenario, periods, check_orders)
        self.paths: list[ScenarioPath] = []
        self.episodes = 0
        self.t = 0

    # ------------------------------------------------------------------ episode
    def _view_names(self) -> tuple[str, ...]:
        return ("_on_hand",)

    def _bind_views(self) -> None:
        if "_stock" in self.__dict__:  # reset: on hand is the first age bucket, (E, n)
            self._on_hand = self._stock[0]

    def reset(
        self, seeds: Sequence[int] | None = None, paths: Sequence[ScenarioPath] | None = None
    ) -> BatchObservation:
        """Start one episode per seed (or per pre-drawn path) from the scenario's initial state.

        ``seeds`` reads as in :func:`~hybridinv.sim.runner.simulate`: a count ``k`` is the seeds
        ``0..k-1`` (until 2026-12-06 ``seeds=3`` here was one episode of seed 3), a list is taken
        as given (whole numbers >= 0, each once).
        """
        if paths is None:
            if seeds is None:
                raise PlanningError("give seeds or paths", column="seeds")
            counted = isinstance(seeds, int | np.integer)
            listed = seeds if counted else np.ravel(np.asarray(seeds, dtype=object)).tolist()
            paths = [self.scenario.sample(s, self.periods) for s in seed_numbers(listed)]
        else:
            if not len(paths):
                raise PlanningError("need at least one path", column="paths")
            for path in paths:
                self._check_path(path)
        self.paths = list(paths)
        E, n = len(self.paths), self.n  # noqa: N806
        self.episodes = E
        self._episode_rows = np.arange(E)[:, None]
        # time-major (T, E, n) so each period's slice is contiguous; paths drawn longer than the run may differ
        # in length (np.stack refused them): all are cut to the shortest, at least the run's periods
        T = min(p.demand.realized.shape[0] for p in self.paths)  # noqa: N806
        self._demand = np.stack([p.demand.realized[:T] for p in self.paths], axis=1)
        self._lead = np.stack([p.lead_times.lead_time[:T] for p in self.paths], axis=1)
        fractions = [None if p.lead_times.delivered_fraction is None else p.lead_times.delivered_fraction[:T]
                     for p in self.paths]
        self._fraction: NDArray[np.float64] | None = None
        if any(f is not None for f in fractions):
            ones = np.ones_like(self._demand, dtype=np.float64)
            self._fraction = np.stack([ones[:, 0] if f is None else f for f in fractions], axis=1)
        init = self.scenario.initial_state
        assert init is not None
        self._stock = np.zeros((self.buckets, E, n))
        if self._perishable:
            self._stock[self._receipt_bucket, :, self._rows] = init.on_hand[:, None]
        else:
            self._stock[0] = init.on_hand
        self._bind_views()
        self._backorders = np.tile(np.asarray(init.backorders, dtype=np.float64), (E, 1))
        self._ring = np.zeros((self.width, E, n))
        pipe = init.pipeline
        assert pipe is not None
        k = min(pipe.shape[1], self.width)  # the columns from k on are empty (see ScenarioLayout._set_layout)
        self._ring[:k] = pipe[:, :k].T[:, None, :]
        lead0 = self._lead[0, 0]
        self._same_lead: int | None = None
        if self._fraction is None and bool((self._lead == lead0).all()) and bool((lead0 == lead0[0]).all()):
            self._same_lead = int(lead0[0])
        self._demand_totals = self._demand.sum(axis=2)  # (T, E)
        self._whole = whole_units(init.on_hand, self._backorders, pipe, self._demand[: self.periods])
        self.t = 0
        self._ledger = BatchLedger(self.scenario, self.periods, E)
        return BatchObservation(self)

    @property
    def done(self) -> bool:
        """Whether the horizon has been reached."""
        return self.t >= self.periods

    def ledger(self, e: int) -> Ledger:
        """Episode ``e``'s ledger (its KPIs through :meth:`Ledger.summary`)."""
        if not self.paths:
            raise RuntimeError("call reset() before ledger()")
        return self._ledger.episode(self.episode_index(e))

    def episode_index(self, e: object) -> int:
        """``e`` as an episode of this batch: a whole number ``0 <= e < episodes`` (5 of 2 was a bare IndexError,
        -1 the last episode)."""
        index = whole_number(e, "e")
        if index >= self.episodes:
            raise PlanningError(f"this batch has {self.episodes} episode(s), numbered from 0", column="e", value=e)
        return index

    # ------------------------------------------------------------------ one period
    def step(self, orders: ArrayLike) -> BatchObservation:
        """Place ``orders`` (shape (E, n), whole numbers) and simulate one period of every episode."""
        if not self.paths:
            raise RuntimeError("call reset() before step()")
        if self.t >= self.periods:
            raise RuntimeError("the episodes are over; call reset()")
        t, E = self.t, self.episodes  # noqa: N806
        cat = self.scenario.catalog
        qty = order_array(orders, (E, self.n), cat.sku)
        ordered = qty.sum(axis=1)
        if not (qty.min() >= 0.0 and (bool((ordered <= MAX_ORDER).all()) or qty.max() <= MAX_ORDER)):
            refuse_orders(qty, cat.sku)
        ledger = self._ledger
        if t == ledger.warmup:
            ledger.opening_position = self.position()
        if self.check_orders:
            self._violations(t, qty)
        if self._fraction is None:
            delivered = qty
            cancelled = np.zeros(E)
        else:
            delivered = np.floor(qty * self._fraction[t])
            cancelled = ordered - delivered.sum(axis=1)
        if self._same_lead is not None:
            self._ring[(t + self._same_lead) % self.width] += delivered
        else:
            slot = (t + self._lead[t]) % self.width
            self._ring[slot, self._episode_rows, self._rows] += delivered
        spend = np.array([dot(cat.unit_cost, delivered[e]) for e in range(E)])
        fixed: NDArray[np.float64] | float = 0.0
        if self._has_order_cost:
            fixed = np.array([dot(cat.order_cost, qty[e] > 0) for e in range(E)])

        arrivals = self._ring[t % self.width]
        overflow = np.zeros(E)
        if self._capacity < math.inf:
            overflow = self._receive_with_capacity(t, arrivals)
        demand = self._demand[t]
        received = arrivals.sum(axis=1)
        filled = np.zeros(E)
        if self._perishable:
            served, short, waste = self._serve_perishable(arrivals, demand, filled)
        else:
            served, short = self._serve(arrivals, demand, filled)
            waste = None
        arrivals.fill(0.0)
        self.t = t + 1
        on_hand = self._stock.sum(axis=0) if self._perishable else self._on_hand
        ledger.record(
            t, on_hand, self._backorders, spend, fixed, served, short, waste, overflow, self._demand_totals[t],
            received, ordered, cancelled, filled,
        )
        if self.t == self.periods:
            ledger.closing_position = self.position()
        return BatchObservation(self)

    def position(self) -> NDArray[np.float64]:
        """Inventory position per episode and SKU, shape (E, n): on hand + pipeline - backorders."""
        return np.asarray(self._stock.sum(axis=0) + self._ring.sum(axis=0) - self._backorders, dtype=np.float64)

    def _serve(
        self, arrivals: NDArray[np.float64], demand: NDArray[np.float64], filled: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        on_hand = self._on_hand
        on_hand += arrivals
        if not self._whole:  # fractional units: served with serve_fifo_and_age's rounding tolerance
            back = None if self.scenario.lost_sales else self._backorders
            served, short, _, cleared = serve_fifo_and_age(self._stock, demand, back, self._perish_mask, 1)
            if cleared is not None:
                filled[:] = cleared.sum(axis=1)
            return served, short
        if not self.scenario.lost_sales:
            cleared = np.minimum(on_hand, self._backorders)
            on_hand -= cleared
            self._backorders -= cleared
            filled[:] = cleared.sum(axis=1)
        served = np.minimum(on_hand, demand)
        on_hand -= served
        short = demand - served
        if not self.scenario.lost_sales:
            self._backorders += short
        return served, short

    def _serve_perishable(
        self, arrivals: NDArray[np.float64], demand: NDArray[np.float64], filled: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        stock = self._stock
        stock[self._receipt_bucket[None, :], self._episode_rows, self._rows[None, :]] += arrivals
        backorders = None if self.scenario.lost_sales else self._backorders
        served, short, waste, cleared = serve_fifo_and_age(stock, demand, backorders, self._perish_mask, self.buckets,
                                                           self._whole)
        if cleared is not None:
            filled[:] = cleared.sum(axis=1)
        return served, short, waste

    def _receive_with_capacity(self, t: int, arrivals: NDArray[np.float64]) -> NDArray[np.float64]:
        """Reject arrivals that do not fit (per episode); return the units rejected per episode."""
        volume = self.scenario.catalog.volume
        stock = self._stock.sum(axis=0) if self._perishable else self._on_hand
        overflow = np.zeros(self.episodes)
        for e in range(self.episodes):  # scalars per episode, summed as the per-episode simulator sums them
            used = dot(volume, stock[e])
            incoming = dot(volume, arrivals[e])
            excess = used + incoming - self._capacity
            held = used + incoming
            if excess > 1e-9 and incoming > 0.0:
                rejected = excess_units(arrivals[e], volume, excess)
                arrivals[e] -= rejected
                overflow[e] = float(rejected.sum())
                held -= dot(volume, rejected)
            self._ledger.capacity_util[e, t] = held / self._capacity  # after the receipt (Simulator's rule)
        return overflow

    # ------------------------------------------------------------------ checks
    def _violations(self, t: int, qty: NDArray[np.float64]) -> None:
        """Budget excess, capacity-row excess and rule breaches of every episode's orders at ``t``."""
        cat = self.scenario.catalog
        ledger = self._ledger
        if math.isfinite(self._budget):
            for e in range(self.episodes):
                ledger.budget_excess[e, t] = budget_excess_of(dot(cat.unit_cost, qty[e]), self._budget,
                                                              self._budget_lot)
        if self._has_rules:
            positive = qty > 0
            ledger.rule_breaches[:, t] = (
                np.count_nonzero(positive & (qty < cat.moq), axis=1)
                + np.count_nonzero(np.mod(qty, cat.lot_size) != 0, axis=1)
                + np.count_nonzero(qty > cat.max_order, axis=1)
                + self._supplier_breaches(qty)
            )
        if math.isfinite(self._capacity):
            horizon = int(cat.lead_time.max()) + 1
            obs = BatchObservation(self)
            ledger.capacity_excess[:, t] = capacity_row_excess(
                cat.volume, cat.lead_time, obs.on_hand, obs.pipeline, obs.forecast(horizon), self._capacity,
                obs.backorders, qty, self._capacity_lot,
            )


def capacity_row_excess(
    volume: NDArray[np.float64],
    lead_time: NDArray[np.int64],
    on_hand: NDArray[np.float64],
    pipeline: NDArray[np.float64],
    expected_demand: NDArray[np.float64],
    capacity: float,
    backorders: NDArray[np.float64],
    orders: NDArray[np.float64],
    lot_usage: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Volume by which each episode's orders exceed its capacity rows, shape (E,).

    The rows of :func:`hybridinv.core.projection.capacity_rows` for every episode at once:
    ``on_hand``, ``backorders`` and ``orders`` have shape (E, n), ``pipeline`` (E, n, W) and
    ``expected_demand`` (E, n, >= horizon - 1); the same projection, term by term, with an
    episode axis in front. A row's excess within its tolerance
    (:func:`hybridinv.core.feasibility.capacity_tolerance`, with ``lot_usage`` one lot's volume
    per row: ``largest_per_row(lead_time, volume * lot_size, horizon)``) counts as 0.
    """
    episodes, n = on_hand.shape
    horizon = int(lead_time.max()) + 1 if n else 1
    width = pipeline.shape[2]
    projected = np.empty((episodes, n, horizon))
    projected[:, :, 0] = np.maximum(on_hand - backorders + pipeline[:, :, 0], 0.0)
    last = expected_demand.shape[2] - 1
    for k in range(1, horizon):
        previous = np.maximum(projected[:, :, k - 1] - expected_demand[:, :, min(k - 1, last)], 0.0)
        projected[:, :, k] = previous + pipeline[:, :, k] if k < width else previous
    residual = capacity - (volume[None, :, None] * projected).sum(axis=1)
    cell = (np.arange(episodes)[:, None] * horizon + np.asarray(lead_time, dtype=np.int64)[None, :]).ravel()
    new = np.bincount(cell, weights=(volume * orders).ravel(), minlength=episodes * horizon).reshape(episodes, horizon)
    return np.asarray(capacity_excess_of(new, residual, capacity, lot_usage).sum(axis=1), dtype=np.float64)
