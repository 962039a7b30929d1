"""What one period produced, per SKU, and a ledger that records it.

:class:`PeriodOutcome` holds the per-SKU quantities of one simulated period
(stock at the end, units served, short, ordered, delivered, expired, rejected)
from which :class:`~hybridinv.reward.spec.RewardSpec` computes a reward in a
few dot products. :class:`OutcomeLedger` is a :class:`~hybridinv.sim.Ledger`
that also keeps the per-period totals the carbon and profit terms need
(``held_units``, ``ordered_units``, ``revenue``) and the last period's
:class:`PeriodOutcome`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import per_sku
from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import PlanningError, number_in, scalar_or_array
from hybridinv.sim.ledger import Ledger

if TYPE_CHECKING:
    from hybridinv.policies.base import Policy
    from hybridinv.sim.scenario import Scenario
    from hybridinv.sim.simulator import Simulator
    from hybridinv.sim.view import SimulatorView

__all__ = ["OutcomeLedger", "PeriodOutcome", "PeriodTerms", "record_episode"]

_PER_SKU = ("on_hand", "served", "short", "ordered", "delivered", "waste", "demand", "backorders")


@dataclass(frozen=True)
class PeriodTerms:
    """Cost components and unit totals of one or many periods (arrays over periods).

    All fields are arrays of the same shape (``()`` for one period, ``(T,)`` for
    an episode). Costs are unweighted (as charged by the simulator).
    """

    holding: NDArray[np.float64]
    shortage: NDArray[np.float64]
    fixed_ordering: NDArray[np.float64]
    unit_ordering: NDArray[np.float64]
    waste: NDArray[np.float64]
    overflow: NDArray[np.float64]
    ordered_units: NDArray[np.float64]
    held_units: NDArray[np.float64] | None
    revenue: NDArray[np.float64] | None
    demand: NDArray[np.float64]
    served: NDArray[np.float64]
    #: units that ship: ordered less a disrupted supplier's cancelled share (None: ``ordered_units``)
    shipped_units: NDArray[np.float64] | None = None

    @property
    def fill_rate(self) -> NDArray[np.float64]:
        """Units served / units demanded in each period (1 where nothing was demanded)."""
        demand = np.asarray(self.demand, dtype=np.float64)
        served = np.asarray(self.served, dtype=np.float64)
        return np.where(demand > 0, served / np.where(demand > 0, demand, 1.0), 1.0)


@dataclass(frozen=True, eq=False)
class PeriodOutcome:
    """Per-SKU results of one period, aligned with ``catalog``.

    Parameters
    ----------
    catalog : Catalog
    on_hand : array
        Usable stock at the end of the period (after expiry).
    served, short, demand : array
        Units served from stock, units not served, units demanded.
    ordered : array
        Units ordered this period; ``delivered`` the part that will arrive
        (partial deliveries), defaulting to ``ordered``.
    waste : array
        Units expired this period.
    overflow : float or array
        Units rejected at receipt because the warehouse was full.
    backorders : array
        Backorders at the end of the period (charged when ``lost_sales`` is False).
    order_placed : array of bool
        SKUs with an order this period (defaults to ``ordered > 0``); each pays ``order_cost``.
    lost_sales : bool
    waste_cost, overflow_cost : float
        Cost per expired / rejected unit (the scenario's), finite and >= 0.

    Raises
    ------
    PlanningError
        Naming the field: an array (``order_placed`` and a per-SKU ``overflow`` too) that does not have one
        value per SKU, a negative, NaN or infinite quantity (each SKU's overflow, before they are summed) or
        cost, text or booleans for numbers, numbers for ``order_placed``, or a ``catalog`` that is not one.
    """

    catalog: Catalog
    on_hand: NDArray[np.float64]
    served: NDArray[np.float64]
    short: NDArray[np.float64]
    ordered: NDArray[np.float64]
    demand: NDArray[np.float64]
    delivered: NDArray[np.float64] = None  # type: ignore[assignment]  # filled in __post_init__
    waste: NDArray[np.float64] = None  # type: ignore[assignment]
    overflow: float | NDArray[np.float64] = 0.0
    backorders: NDArray[np.float64] = None  # type: ignore[assignment]
    order_placed: NDArray[np.bool_] = None  # type: ignore[assignment]
    lost_sales: bool = True
    waste_cost: float = 0.0
    overflow_cost: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.catalog, Catalog):  # None was "'NoneType' object has no attribute 'n_skus'"
            raise PlanningError("must be a Catalog", column="catalog", value=type(self.catalog).__name__)
        n = self.catalog.n_skus
        defaults: dict[str, ArrayLike] = {"delivered": self.ordered, "waste": 0.0, "backorders": 0.0}
        for name in _PER_SKU:
            value = getattr(self, name)
            object.__setattr__(self, name, per_sku(defaults[name] if value is None else value, n, name, minimum=0.0))
        placed = self.ordered > 0 if self.order_placed is None else np.asarray(self.order_placed)
        if placed.dtype != np.bool_:  # "no" or 2 read as True
            raise PlanningError("must be True or False per SKU", column="order_placed", value=self.order_placed)
        if placed.shape not in ((), (n,)):  # two flags for ten SKUs were numpy's broadcast error
            raise PlanningError(f"outcome has shape {placed.shape}, expected ({n},)", column="order_placed")
        object.__setattr__(self, "order_placed", np.broadcast_to(placed, (n,)).copy())
        overflow = scalar_or_array(self.overflow, "overflow", 0.0)  # each SKU's, before the sum ([1, -1] was 0)
        if np.ndim(overflow) and np.shape(overflow) != (n,):
            raise PlanningError(f"outcome has shape {np.shape(overflow)}, expected () or ({n},)", column="overflow")
        object.__setattr__(self, "overflow", float(np.sum(overflow)))
        for name in ("waste_cost", "overflow_cost"):  # NaN or negative costs were charged as given
            object.__setattr__(self, name, number_in(getattr(self, name), name, 0.0, math.inf))

    def terms(self) -> PeriodTerms:
        """Unweighted cost components and unit totals of this period (the simulator's accounting)."""
        cat = self.catalog
        shortage = cat.shortage_cost @ (self.short if self.lost_sales else self.backorders)
        return PeriodTerms(
            holding=np.asarray(cat.holding_cost @ self.on_hand),
            shortage=np.asarray(shortage),
            fixed_ordering=np.asarray(cat.order_cost @ self.order_placed),
            unit_ordering=np.asarray(cat.unit_cost @ self.delivered),
            waste=np.asarray(self.waste_cost * self.waste.sum()),
            overflow=np.asarray(self.overflow_cost * float(self.overflow)),
            ordered_units=np.asarray(self.ordered.sum()),
            held_units=np.asarray(self.on_hand.sum()),
            revenue=np.asarray(_revenue(cat, self.served)),
            demand=np.asarray(self.demand.sum()),
            served=np.asarray(self.served.sum()),
            shipped_units=np.asarray(self.delivered.sum()),
        )


def _revenue(catalog: Catalog, served: NDArray[np.float64]) -> float:
    """``price @ served``; NaN when a SKU that sold has no price."""
    sold = served > 0
    if np.isnan(catalog.price[sold]).any():
        return float("nan")
    return float(np.where(sold, catalog.price, 0.0) @ served)


def check_revenue(revenue: NDArray[np.float64] | None, catalog: Catalog) -> NDArray[np.float64]:
    """Raise a :class:`PlanningError` naming a SKU without a price when revenue is unknown."""
    if revenue is None or np.isnan(revenue).any():
        missing = np.flatnonzero(np.isnan(catalog.price))
        sku = catalog.sku[missing[0]] if missing.size else None
        raise PlanningError(
            "the profit term needs a selling price for every SKU sold (catalog column 'price') "
            "and per-period revenue (every Ledger records it once the catalog has prices)",
            column="price",
            sku=sku,
        )
    return revenue


class OutcomeLedger(Ledger):
    """A :class:`~hybridinv.sim.Ledger` that also keeps the last period's per-SKU
    :class:`PeriodOutcome` in ``last_outcome`` (for rewards computed per SKU).

    The per-period totals that carbon and profit terms need (``held_units``,
    ``ordered_units``, ``revenue``) are recorded by every Ledger.

    Use :meth:`attach` right after ``Simulator.reset`` (each reset builds a
    fresh plain ledger).
    """

    def __init__(
        self,
        scenario: Scenario,
        periods: int,
        track: NDArray[np.int64] | None = None,
        keep_outcome: bool = True,
    ) -> None:
        super().__init__(scenario, periods, track)
        self.keep_outcome = keep_outcome
        self.last_outcome: PeriodOutcome | None = None

    @classmethod
    def attach(cls, sim: Simulator, keep_outcome: bool = True) -> OutcomeLedger:
        """Replace ``sim.ledger`` (before the first step of an episode) by an OutcomeLedger.

        ``keep_outcome=False`` skips building :attr:`last_outcome` (faster).
        """
        if sim.t != 0:
            raise RuntimeError("attach the OutcomeLedger right after reset(), before any step()")
        ledger = cls(sim.scenario, sim.periods, sim.track, keep_outcome)
        sim.ledger = ledger
        return ledger

    def record(  # noqa: D102 - same contract as Ledger.record
        self,
        t: int,
        sim: SimulatorView,
        orders: NDArray[np.float64],
        spend: float,
        fixed: float,
        served: NDArray[np.float64],
        short: NDArray[np.float64],
        waste: NDArray[np.float64] | None,
        overflow: float,
        demand: NDArray[np.float64],
        received: float,
        **counters: Any,
    ) -> None:
        super().record(t, sim, orders, spend, fixed, served, short, waste, overflow, demand, received, **counters)
        if not self.keep_outcome:
            return
        scenario = self.scenario
        on_hand = sim.on_hand()
        fraction = sim.path.lead_times.delivered_fraction if sim.path is not None else None
        delivered = orders if fraction is None else np.floor(orders * fraction[t])
        self.last_outcome = PeriodOutcome(
            catalog=scenario.catalog,
            on_hand=on_hand,
            served=served.copy(),  # the simulator reuses these buffers next period
            short=short.copy(),
            ordered=orders,
            demand=demand,
            delivered=delivered,
            waste=waste,  # type: ignore[arg-type]  # None = no perishables
            overflow=overflow,
            backorders=sim.backorders(),
            lost_sales=scenario.lost_sales,
            waste_cost=scenario.waste_cost,
            overflow_cost=scenario.overflow_cost,
        )


def ledger_terms(ledger: Ledger, index: int | slice) -> PeriodTerms:
    """Cost components and unit totals of period(s) ``index`` read from a ledger.

    ``held_units`` and ``revenue`` are None when the ledger does not record them
    (every :class:`~hybridinv.sim.Ledger` does; a ledger-like object may not).
    """
    costs = ledger.costs[index]
    spend = ledger.spend[index]
    held = getattr(ledger, "held_units", None)
    revenue = getattr(ledger, "revenue", None)
    return PeriodTerms(
        holding=np.asarray(costs[..., 0]),
        shortage=np.asarray(costs[..., 1]),
        fixed_ordering=np.asarray(costs[..., 2] - spend),
        unit_ordering=np.asarray(spend),
        waste=np.asarray(costs[..., 3]),
        overflow=np.asarray(costs[..., 4]),
        ordered_units=np.asarray(ledger.ordered_units[index]),
        held_units=None if held is None else np.asarray(held[index]),
        revenue=None if revenue is None else np.asarray(revenue[index]),
        demand=np.asarray(ledger.demand[index]),
        served=np.asarray(ledger.served[index]),
        shipped_units=_shipped(ledger, index),
    )


def _shipped(ledger: Ledger, index: int | slice) -> NDArray[np.float64] | None:
    """Units ordered less the cancelled share, per period; None for a ledger-like object without
    ``cancelled_units`` (its orders are taken as shipped)."""
    cancelled = getattr(ledger, "cancelled_units", None)
    if cancelled is None:
        return None
    return np.asarray(ledger.ordered_units[index] - cancelled[index], dtype=np.float64)


def record_episode(
    policy: Policy,
    scenario: Scenario,
    seed: int,
    periods: int | None = None,
    track: Iterable[int] | None = None,
) -> OutcomeLedger:
    """Simulate one episode (as :func:`hybridinv.sim.run_episode`) into an :class:`OutcomeLedger`."""
    from hybridinv.sim.episode import play, reset_policy
    from hybridinv.sim.simulator import Simulator

    sim = Simulator(scenario, periods=periods, track=None if track is None else list(track))
    reset_policy(policy, scenario)
    obs = sim.reset(seed=seed)
    ledger = OutcomeLedger.attach(sim, keep_outcome=False)
    play(sim, obs, policy.act)
    return ledger
