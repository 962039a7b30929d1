"""Formulation of the network repair, as arrays of shape (locations, SKUs).

Each period the network repair turns per-location targets ``d`` (desired supplier orders at
the roots, desired shipments into every other location) into whole quantities ``x`` of the
same shape (docs/network_model.md, *Network repair*)::

    minimize   sum_{i,j} under_ij (d_ij - x_ij)^+ + over_ij (x_ij - d_ij)^+
    subject to x_rj = lot_j m_rj,  m_rj in {0} ∪ [min_lots_j, max_lots_j] whole     (roots r)
               x_kj whole >= 0                                                   (non-roots k)
               sum_{k child of p} x_kj <= on_hand_pj                             (stock rows)
               sum_j volume_j (x_ij - out_ij) <= residual_i                      (capacity rows)
               sum_{r,j} unit_cost_j x_rj <= budget                              (budget row)

with ``out_ij = sum_{k child of i} x_kj`` (what location ``i`` ships this period) and
``residual_i`` the capacity left at ``i``'s receipt period ``t + lead_time_i`` by the projected
stock (:func:`projected_stock`). Negative residuals are floored at 0 for the solvers (nothing
is added, net, into a location already over full) and reported as violations.

This module knows nothing about solvers or heuristics: it holds the validated arrays and
evaluates plans (objective, row usage, violations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.core.limits import MAX_QUANTITY
from hybridinv.core.projection import project_on_hand
from hybridinv.network.model import LocationError, Network
from hybridinv.repair.model import ROW_TOLERANCE

__all__ = ["NetworkRepairProblem", "OrderRules", "RowCheck", "projected_stock"]


@dataclass(frozen=True, eq=False)
class OrderRules:
    """Per-SKU ordering rules of the supplier orders (the catalog's ``lot_size``, ``moq``, ``max_order``).

    Build with :meth:`build` (numbers or one value per SKU) or :meth:`from_catalog`.
    Shipments between locations are whole units without these rules.

    ``skus`` holds the SKU labels the rules were built for (``from_catalog``, or ``build(...,
    skus=...)``; empty: unlabelled, taken in the costs' SKU order). Labelled rules are matched to
    the costs' SKUs by label (:meth:`aligned`): a catalog listing its SKUs in another order gives
    each SKU its own lot size, MOQ and max order.
    """

    lot_size: NDArray[np.float64]
    moq: NDArray[np.float64]
    max_order: NDArray[np.float64]
    skus: tuple[str, ...] = ()

    @classmethod
    def build(cls, n_skus: int, *, lot_size: ArrayLike = 1.0, moq: ArrayLike = 0.0, max_order: ArrayLike = math.inf,
              skus: tuple[str, ...] | None = None) -> OrderRules:
        """Broadcast and validate the rules; errors name the column, the SKU and the value.

        Raises
        ------
        PlanningError
            As a :class:`hybridinv.Catalog` would: a lot size that is not a whole number
            >= 1, a MOQ that is negative, not finite or not a whole multiple of the lot
            size, a max order below the MOQ or the lot size (or NaN), a value above
            ``MAX_QUANTITY``.
        """
        labels = () if skus is None else tuple(str(s) for s in skus)
        if skus is not None and len(labels) != int(n_skus):
            raise PlanningError(f"expected {int(n_skus)} SKU labels, got {len(labels)}", column="sku")
        if len(set(labels)) != len(labels):
            dup = next(s for k, s in enumerate(labels) if s in labels[:k])
            raise PlanningError("a SKU is listed more than once", column="sku", sku=dup, value=dup)
        names = labels or tuple(str(i) for i in range(int(n_skus)))
        out = {}
        for column, value in (("lot_size", lot_size), ("moq", moq), ("max_order", max_order)):
            try:
                arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (int(n_skus),)).copy()
            except (TypeError, ValueError):
                raise PlanningError(f"expected a number or one value per SKU ({n_skus})", column=column,
                                    value=value if np.ndim(value) == 0 else None) from None
            if column == "lot_size":
                bad = ~np.isfinite(arr) | (arr < 1) | (arr != np.round(arr)) | (arr > MAX_QUANTITY)
                why = "must be a whole number >= 1"
            elif column == "moq":
                bad = ~np.isfinite(arr) | (arr < 0) | (arr > MAX_QUANTITY)
                why = "must be finite and >= 0"
            else:
                bad = np.isnan(arr) | (arr <= 0) | (np.isfinite(arr) & (arr > MAX_QUANTITY))
                why = "must be > 0 (inf: no limit)"
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise PlanningError(why, column=column, sku=names[j], value=float(arr[j]))
            arr.setflags(write=False)
            out[column] = arr
        lot, moq, max_order = out["lot_size"], out["moq"], out["max_order"]
        for bad, column, why, values in (
            ((moq != np.round(moq)) | (np.mod(moq, lot) != 0), "moq", "must be a whole multiple of lot_size", moq),
            (max_order < np.maximum(moq, lot), "max_order", "must be at least moq and lot_size", max_order),
        ):
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise PlanningError(f"{why} (lot_size {lot[j]:g}, moq {moq[j]:g})", column=column, sku=names[j],
                                    value=float(values[j]))
        return cls(**out, skus=labels)

    def aligned(self, skus: tuple[str, ...]) -> OrderRules:
        """The rules in the order of ``skus`` (the costs' SKU labels).

        Unlabelled rules are taken as they are (by position). Labelled rules are reordered by label;
        a SKU of ``skus`` the rules do not name, or one the rules name that ``skus`` lacks, is a
        :class:`PlanningError` naming it (until 2026-12-04 labelled rules were applied by position:
        rules from a catalog in another SKU order put one SKU's lot size and MOQ on another).
        """
        wanted = tuple(str(s) for s in skus)
        if not self.skus or self.skus == wanted:
            return self
        import pandas as pd

        from hybridinv.core._frame import by_sku_labels

        columns = pd.Index(self.skus, dtype=object)
        table = pd.DataFrame([self.lot_size, self.moq, self.max_order], columns=columns)
        rows = by_sku_labels(table, wanted, "sku")  # a SKU on one side only: PlanningError naming it
        out = {}
        for name, row in zip(("lot_size", "moq", "max_order"), rows, strict=True):
            arr = np.array(row, dtype=np.float64)
            arr.setflags(write=False)
            out[name] = arr
        return OrderRules(**out, skus=wanted)

    @classmethod
    def from_catalog(cls, catalog: object) -> OrderRules:
        """Rules of a :class:`hybridinv.Catalog` (SKU order of the catalog)."""
        skus = tuple(str(s) for s in np.asarray(catalog.sku))  # type: ignore[attr-defined]
        return cls.build(len(skus), lot_size=catalog.lot_size, moq=catalog.moq,  # type: ignore[attr-defined]
                         max_order=catalog.max_order, skus=skus)  # type: ignore[attr-defined]


def projected_stock(network: Network, on_hand: NDArray[np.float64], pipeline: NDArray[np.float64],
                    backorders: NDArray[np.float64], expected_demand: NDArray[np.float64]) -> NDArray[np.float64]:
    """Stock of every location at its own receipt period ``t + lead_time``, without this period's decisions.

    **Stores**: the single-location projection (:func:`hybridinv.core.project_on_hand`):
    on-hand plus arrivals, minus the expected demand of each period before the receipt
    (``t .. t + L - 1``: this period's demand comes after its decisions) and the backorders,
    floored at 0 period by period; at lead time 0 the stock on hand now (the receipt comes
    before demand).

    **Locations with children** (``L = lead_time``): on-hand plus everything arriving by the
    receipt, net of the **expected outflow** to the children in the periods between, i.e.
    ``mu`` = the expected demand of the stores in the location's subtree per period and SKU,
    over ``max(L - 1, 0)`` periods. By the period order (receipts, then decisions, then
    demand), a quantity decided in ``t`` arrives at the start of ``t + L``, before the
    shipments of ``t + L``; this period's shipments are the row's own outflow term; so only
    the shipments of ``t + 1 .. t + L - 1`` leave in between: none for ``L = 0`` (received
    now, after this period's shipments) and ``L = 1`` (received before the next shipments),
    one period for ``L = 2``.

    The row subtracts this period's shipments ``u`` linearly, while the true stock at the
    receipt, ``max``-floored, is not linear in ``u``. The projection therefore serves the
    future outflows from the arrivals only: ``on_hand + a(L)`` with ``a(0) = p_0``,
    ``a(1) = p_0 + p_1``, ``a(k) = max(a(k-1) - mu, 0) + p_k`` (``p_k``: arriving ``k``
    periods from now). Minus ``u``, this is exact when the location ships its whole on-hand
    now and never below the projected stock otherwise (units kept now are counted as staying),
    so the row never lets a receipt exceed the capacity under the forecast.

    With ``expected_demand = 0`` (the default of the repair) nothing is subtracted anywhere:
    on-hand plus every arrival by the receipt, which over-states an upstream location's stock
    by the shipments it will make meanwhile (conservative: with ``L >= 2`` and a capacity
    near one period of throughput this starves the network, docs/network_model.md).

    Parameters
    ----------
    network : Network
    on_hand, backorders : array (L, n)
    pipeline : array (L, n, slots)
    expected_demand : array (stores, n)
        Expected demand per period at each store (rows in ``network.stores`` order).

    Returns
    -------
    array (L, n)
    """
    n_loc, n = on_hand.shape
    out = np.empty((n_loc, n))
    width = pipeline.shape[2]
    lead = network.lead_time
    stores = network.stores
    below = np.zeros((n_loc, n))
    below[stores] = expected_demand
    outflow = np.einsum("ij,jn->in", network.subtree, below)  # expected demand of each subtree, per period
    upstream = np.flatnonzero(~network.is_store)
    for k in np.unique(lead[upstream]):  # one projection per distinct lead time
        rows = upstream[lead[upstream] == k]
        flows = np.zeros((rows.size * n, int(k) + 1))
        flows[:, 1:] = outflow[rows].reshape(-1, 1)  # column 0: this period, the row's own shipments
        arriving = project_on_hand(np.zeros(rows.size * n), pipeline[rows].reshape(-1, width), flows, int(k) + 1)
        out[rows] = on_hand[rows] + arriving[:, int(k)].reshape(rows.size, n)
    for k in np.unique(lead[stores]):
        rows = stores[lead[stores] == k]
        idx = np.searchsorted(stores, rows)
        demand = expected_demand[idx].reshape(-1)
        flat = project_on_hand(on_hand[rows].reshape(-1), pipeline[rows].reshape(-1, width), demand, int(k) + 1,
                               backorders[rows].reshape(-1))
        value = flat[:, int(k)] if k > 0 else on_hand[rows].reshape(-1) + pipeline[rows, :, 0].reshape(-1)
        out[rows] = value.reshape(rows.size, n)
    return out


@dataclass(frozen=True)
class RowCheck:
    """A constraint row that a plan does not meet (the network analogue of ``RowViolation``).

    ``kind`` is ``capacity``, ``budget`` or ``parent_stock``; ``name`` e.g. ``capacity[warehouse]``;
    ``limit`` the room for this period's decisions (negative: already exceeded),
    ``usage`` what the plan uses, ``amount = usage - limit``.
    """

    kind: str
    name: str
    limit: float
    usage: float
    amount: float
    location: str | None = None


@dataclass(frozen=True, eq=False)
class NetworkRepairProblem:
    """The validated network repair problem (see the module docstring).

    Attributes
    ----------
    network : Network
    skus : tuple of str
    desired_input, desired : (L, n)
        Targets as given and ``max(desired_input, 0)``.
    under_weight, over_weight : (L, n)
        Cost per unit below / above the target.
    lot : (L, n)
        Units per column step: the lot size at the roots, 1 for shipments.
    min_lots, max_lots : (L, n)
        Smallest positive and largest order in lots at the roots (1 and inf for shipments).
    upper : (L, n)
        Tight upper bound of each column in lots: at the roots
        ``min(max_lots, max(min_lots, ceil(d / lot)))`` (0 when ``d = 0``; ordering more only
        adds surplus), cut by the budget alone (0 below the MOQ); for a shipment the
        parent's on-hand.
    on_hand : (L, n)
        Whole units each location can ship this period.
    volume, unit_cost : (n,)
    capacity_limit : (L,)
        Room for the period's net inflow at each location's receipt period (may be
        negative; ``inf`` without a capacity).
    capacity : (L,)
        The capacities (for the row tolerance).
    budget : float
    projected : (L, n)
        Stock at each location's receipt period without this period's decisions.
    """

    network: Network
    skus: tuple[str, ...]
    desired_input: NDArray[np.float64]
    desired: NDArray[np.float64]
    under_weight: NDArray[np.float64]
    over_weight: NDArray[np.float64]
    lot: NDArray[np.float64]
    min_lots: NDArray[np.float64]
    max_lots: NDArray[np.float64]
    upper: NDArray[np.float64]
    on_hand: NDArray[np.float64]
    volume: NDArray[np.float64]
    unit_cost: NDArray[np.float64]
    capacity_limit: NDArray[np.float64]
    capacity: NDArray[np.float64]
    budget: float
    projected: NDArray[np.float64]

    # ------------------------------------------------------------------ sizes
    @property
    def shape(self) -> tuple[int, int]:
        return self.desired.shape  # type: ignore[return-value]

    @property
    def capacity_rows(self) -> NDArray[np.int64]:
        """Locations with a finite capacity (one row each)."""
        return np.flatnonzero(np.isfinite(self.capacity_limit))

    @property
    def capacity_rhs(self) -> NDArray[np.float64]:
        """Right-hand sides the solvers use: the limits floored at 0 (``inf`` without a capacity)."""
        return np.maximum(self.capacity_limit, 0.0)

    @property
    def has_budget(self) -> bool:
        return math.isfinite(self.budget)

    def capacity_tolerance(self) -> NDArray[np.float64]:
        """Usage above the right-hand side accepted as rounding noise (as ``RowGroup.tolerance``)."""
        rhs = np.where(np.isfinite(self.capacity_rhs), self.capacity_rhs, 0.0)
        scale = np.where(np.isfinite(self.capacity), self.capacity, 0.0)
        return ROW_TOLERANCE * np.minimum(np.maximum(1.0, rhs), np.maximum(rhs, scale))

    def budget_tolerance(self) -> float:
        return ROW_TOLERANCE * max(1.0, self.budget) if self.has_budget else 0.0

    # ------------------------------------------------------------------ plans
    def outflow(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Units each location ships to its children, (L, n)."""
        net = self.network
        return np.einsum("pk,kn->pn", net.ship_from, x[net.non_roots])

    def capacity_usage(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Net volume added at each location's receipt period: ``sum_j volume_j (x_ij - out_ij)``."""
        return np.einsum("ln,n->l", x - self.outflow(x), self.volume)

    def spend(self, x: NDArray[np.float64]) -> float:
        return float(np.einsum("rn,n->", x[self.network.roots], self.unit_cost))

    def deviation_cost(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        gap = self.desired - x
        return self.under_weight * np.maximum(gap, 0.0) + self.over_weight * np.maximum(-gap, 0.0)

    def objective(self, x: NDArray[np.float64]) -> float:
        return float(self.deviation_cost(x).sum())

    def violations(self, x: NDArray[np.float64]) -> tuple[RowCheck, ...]:
        """Capacity and budget rows over their limit (the stock rows always hold for a repaired plan)."""
        names = self.network.names
        out = []
        usage = self.capacity_usage(x)
        tol = self.capacity_tolerance()
        for i in self.capacity_rows:
            limit = float(self.capacity_limit[i])
            if usage[i] - max(limit, 0.0) > tol[i] or (limit < 0 and usage[i] > limit + tol[i]):
                out.append(RowCheck("capacity", f"capacity[{names[i]}]", limit, float(usage[i]),
                                    float(usage[i] - limit), names[i]))
        spend = self.spend(x)
        if self.has_budget and spend > self.budget + self.budget_tolerance():
            out.append(RowCheck("budget", "budget", self.budget, spend, spend - self.budget))
        stock = self.outflow(x) - self.on_hand
        for p, j in zip(*np.nonzero(stock > 1e-9), strict=True):
            out.append(RowCheck("parent_stock", f"stock[{names[p]}, {self.skus[j]}]", float(self.on_hand[p, j]),
                                float(stock[p, j] + self.on_hand[p, j]), float(stock[p, j]), names[p]))
        return tuple(out)

    def check_rules(self, x: NDArray[np.float64]) -> None:
        """Raise ``AssertionError`` unless ``x`` is whole, >= 0 and within the ordering rules (internal check)."""
        lots = x / self.lot
        roots = self.network.roots
        whole = np.abs(lots - np.round(lots)) <= 1e-9
        ok = whole & (x >= 0)
        r = lots[roots]
        ok[roots] &= (r <= 1e-9) | ((r >= self.min_lots[roots] - 1e-9) & (r <= self.max_lots[roots] + 1e-9))
        if not ok.all():  # pragma: no cover - a bug, never an input error
            raise AssertionError("network repair produced a plan outside the ordering rules")


def bad_cell(mask: NDArray[np.bool_], values: NDArray[np.float64], column: str, message: str,
             names: tuple[str, ...], skus: tuple[str, ...]) -> None:
    """Raise a ``LocationError`` naming the first ``(location, SKU)`` where ``mask`` is set."""
    if mask.any():
        i, j = (int(v[0]) for v in np.nonzero(mask))
        raise LocationError(message, column=column, location=names[i], sku=skus[j], value=float(values[i, j]))
