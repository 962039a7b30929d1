"""The multi-SKU, multi-period lot-sizing MILP behind MPC and the clairvoyant bound.

:class:`LotSizingProblem` holds the arrays of one multi-period, multi-SKU
lot-sizing model; :func:`solve_lot_sizing` builds the MILP from them in a few
vectorized calls (COO triplets → CSR rows, one ``addRows``; no per-variable
Python objects) and solves it with HiGHS. :class:`MPC` fills a problem from
each period's observation (forecast, safety stock from the forecast's
standard deviation, open orders, constraints) and executes the first period's
orders (:mod:`hybridinv.policies.mpc`); :mod:`hybridinv.policies.clairvoyant` fills
it from a realized path.

Model (SKU ``i``, period ``t``; ``x`` end-of-period on-hand, ``u`` lost units
(lost sales) or end-of-period backlog (backorders), ``z`` lots ordered,
``y`` order indicator, ``w`` units disposed of, ``v`` units expired (perishables only),
``g`` safety-stock shortfall, ``e`` capacity excess)::

    min  sum_t weight_t sum_i [h x + p u + c q + K y + r w + r_e v] + sum_i pi_i g_i + M sum_t e_t
         - sum_i value_i (k_i [- u_i,T-1 if backorders] - start_i),  k_i <= x_i,T-1,  k_i <= limit_i
    s.t. x_it - u_it - x_i,t-1 (+ u_i,t-1 if backorders) - sum_{s: s + L_is = t} q_is + w_it + v_it
             = scheduled_it - demand_it                                  (balance)
         x_it <= units on hand or received still in date at the end of t   (expiry, shelf_life_i > 0;
                                                                            :mod:`hybridinv.policies.expiry`)
         q_it = lot_i z_it,  z_it integer,  q_it <= U_i y_it,  q_it >= moq_i y_it
         sum_i c_i q_it <= budget                                         (budget)
         sum_i v_i (x_i,t-1 + arrivals_it - w_it) - e_t <= capacity       (receipt capacity)
         0 <= u_it <= demand_it (lost sales)
         x_iL + g_i >= safety_i,  0 <= g_i <= safety_i   (safety-stock floor, L = L_i0)

``value`` (``stock_value``) credits the net stock left at the horizon's end up to ``limit``
(``stock_value_limit``; a backlog still to be bought is charged) and charges the net stock at its
start (``start_i``: on hand less backorders, plus open orders), so stock bought to be kept, the
safety stock above all, is not counted as spent.

References
----------
Pochet, Y. and Wolsey, L. A. (2006). *Production Planning by Mixed Integer Programming*. Springer.
Huangfu, Q. and Hall, J. A. J. (2018). Parallelizing the dual revised simplex method.
*Mathematical Programming Computation* 10(1), 119-142 (HiGHS).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from hybridinv._highs import new_highs
from hybridinv.core.errors import PlanningError, flag, number_array, number_in, whole_number
from hybridinv.core.lots import lots_covering, lots_within
from hybridinv.policies.expiry import add_expiry

__all__ = ["LotSizingProblem", "LotSizingSolution", "solve_lot_sizing"]

#: Kinds of values of the problem's arrays: a test of every entry and how the error names it.
_KINDS: dict[str, tuple[Any, str]] = {
    "amount": (lambda a: np.isfinite(a) & (a >= 0), "finite and >= 0"),
    "positive": (lambda a: np.isfinite(a) & (a > 0), "finite and > 0"),
    "whole": (lambda a: np.isfinite(a) & (a >= 0) & (a == np.round(a)), "whole numbers >= 0"),
    "bound": (lambda a: a >= 0, ">= 0 (inf: no bound)"),
    "share": (lambda a: (a >= 0) & (a <= 1), "in [0, 1]"),
}


@dataclass(frozen=True)
class LotSizingProblem:
    """Data of the multi-SKU lot-sizing model, arrays of shape (n,) or (n, T).

    ``lead_time[i, t]`` is the lead time of an order of SKU ``i`` placed in
    period ``t``; ``scheduled`` the arrivals of open orders; ``purchase_weight``
    scales the unit cost in the objective (budget rows always use the full unit
    cost); ``delivered_fraction`` (optional) the share of an order delivered (the
    model's delivered units satisfy ``d <= f q``); ``disposal_cost`` per SKU
    (``inf`` = disposal not allowed); ``safety_stock`` (n,) a soft floor under the
    stock at the end of period ``safety_period`` (default: the SKU's lead
    time, the first period an order placed now reaches), each unit below it priced
    at ``safety_penalty`` (until 2026-12-04 it was a one-time extra demand,
    so a unit bought for it left the model as if sold and was bought only when the
    penalty exceeded its purchase cost); ``stock_value`` (n,) the value per unit of the
    net stock at the horizon's end, credited (weighted like the last period) up to
    ``stock_value_limit`` (n,) units (default: no limit), with the net stock on hand and on
    order at the start of period ``stock_value_period`` (default 0, the horizon's start) charged at the same
    value (weighted like that period): from a later period, the stock at the end of the period before it less
    its backlog, plus the orders arriving from it on (placed before it), so that the purchases of the periods
    before it (weighted 0 for a warm-up) are charged for the stock they leave to it, as ``valued_cost`` charges
    a simulated policy;
    ``capacity_penalty`` None for a
    hard capacity row; ``first_period_rows`` ``(row, residual)`` for the
    simulator's capacity check on period-0 orders; ``integer_periods`` the number
    of leading periods whose lots and order indicators are integer, for all SKUs or per SKU (n,)
    (None = all; MPC relaxes the later periods, which it never executes, except for SKUs whose
    smallest order exceeds the horizon's demand); ``cover_periods``
    the number of (l, S) valid-inequality families added for SKUs with fixed
    costs or MOQs (0 = none). ``shelf_life`` (n,) the periods a unit is usable from its
    receipt (0 = not perishable; None = nothing perishable): perishable stock expires with
    oldest-first issuing as in the simulator (:mod:`hybridinv.policies.expiry`), each unit expired charged
    ``waste_cost`` (n,) on top of its lost purchase; ``on_hand_life`` (n, B) the on hand by
    periods of life left (column ``j``: usable this period and ``j`` more; None = all of it
    with the full shelf life, as the simulator's initial stock). Non-perishable SKUs get no
    expiry variable or row, so their model does not change.

    Every array is checked when the problem is built: its shape, and finite numbers >= 0 (lot sizes
    > 0; lead times, safety periods and shelf lives whole; ``order_upper``, ``disposal_cost`` and
    ``stock_value_limit`` may be inf; ``delivered_fraction`` in [0, 1]); ``capacity`` and ``budget``
    are numbers >= 0 or inf. A bad one is a :class:`~hybridinv.PlanningError` naming the field, the
    SKU index and the value.
    """

    demand: NDArray[np.float64]
    lead_time: NDArray[np.int64]
    on_hand: NDArray[np.float64]
    backorders: NDArray[np.float64]
    scheduled: NDArray[np.float64]
    holding_cost: NDArray[np.float64]
    shortage_cost: NDArray[np.float64]
    unit_cost: NDArray[np.float64]
    order_cost: NDArray[np.float64]
    lot_size: NDArray[np.float64]
    moq: NDArray[np.float64]
    order_upper: NDArray[np.float64]  # (n,) or (n, T): largest useful order (the big-M of q <= U y)
    volume: NDArray[np.float64]
    lost_sales: bool = True
    purchase_weight: float = 1.0
    capacity: float = math.inf
    budget: float = math.inf
    supplier_member: NDArray[np.int64] | None = None
    supplier_limits: NDArray[np.float64] | None = None
    delivered_fraction: NDArray[np.float64] | None = None
    period_weight: NDArray[np.float64] | None = None
    disposal_cost: NDArray[np.float64] | None = None
    safety_stock: NDArray[np.float64] | None = None
    safety_period: NDArray[np.int64] | None = None
    safety_penalty: NDArray[np.float64] | None = None
    stock_value: NDArray[np.float64] | None = None
    stock_value_limit: NDArray[np.float64] | None = None
    stock_value_period: int = 0
    capacity_penalty: float | None = None
    first_period_rows: tuple[NDArray[np.int64], NDArray[np.float64]] | None = None
    integer_periods: int | NDArray[np.int64] | None = None
    cover_periods: int = 4
    shelf_life: NDArray[np.int64] | None = None
    on_hand_life: NDArray[np.float64] | None = None
    waste_cost: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        # the model is public: a NaN holding cost solved 'Optimal' with orders of 1e6 every period, a NaN
        # stock or an infinite demand 'Optimal' with no orders, a negative lead time wrapped to the last period,
        # a lot of 0 divided by zero and a NaN budget or capacity was ignored
        demand = np.asarray(self.demand, dtype=np.float64)
        if demand.ndim != 2:
            raise PlanningError("must be an (SKUs x periods) array", column="demand", value=demand.shape)
        n, periods = demand.shape
        # field, allowed shapes, kind of value (_KINDS)
        rules = (("demand", "nt", "amount"), ("scheduled", "nt", "amount"), ("lead_time", "nt", "whole"),
                 ("on_hand", "n", "amount"), ("backorders", "n", "amount"), ("holding_cost", "n", "amount"),
                 ("shortage_cost", "n", "amount"), ("unit_cost", "n", "amount"), ("order_cost", "n", "amount"),
                 ("lot_size", "n", "positive"), ("moq", "n", "amount"), ("order_upper", "n|nt", "bound"),
                 ("volume", "n", "amount"), ("delivered_fraction", "nt", "share"), ("period_weight", "t", "amount"),
                 ("disposal_cost", "n", "bound"), ("safety_stock", "n", "amount"), ("safety_period", "n", "whole"),
                 ("safety_penalty", "n", "amount"), ("stock_value", "n", "amount"),
                 ("stock_value_limit", "n", "bound"), ("shelf_life", "n", "whole"), ("waste_cost", "n", "amount"))
        shapes = {"n": (n,), "nt": (n, periods), "t": (periods,)}
        for name, allowed, kind in rules:
            raw = getattr(self, name)
            if raw is None:
                continue
            arr = number_array(raw, name)
            wanted = [shapes[k] for k in allowed.split("|")]
            if arr.shape not in wanted:
                raise PlanningError(f"must have shape {' or '.join(map(str, wanted))} for {n} SKUs and {periods} "
                                    "periods", column=name, value=arr.shape)
            good, text = _KINDS[kind]
            bad = ~good(arr)
            if bad.any():
                where = tuple(np.argwhere(bad)[0])
                place = f"period {where[0]}" if allowed == "t" else f"SKU index {where[0]}"
                raise PlanningError(f"must be {text} ({place})", column=name, value=float(arr[where]))
        for name in ("capacity", "budget"):
            number_in(getattr(self, name), name, 0.0, math.inf, allow_inf=True)
        number_in(self.purchase_weight, "purchase_weight", 0.0, math.inf)
        if not 0 <= whole_number(self.stock_value_period, "stock_value_period", 0) < periods:
            raise PlanningError(f"must be a period of the horizon (0 to {periods - 1})", column="stock_value_period",
                                value=self.stock_value_period)
        if self.integer_periods is not None:
            arr = np.asarray(self.integer_periods, dtype=np.float64)
            if arr.shape not in ((), (n,)) or bool((~(arr >= 0) | (arr != np.round(arr))).any()):
                raise PlanningError(f"must be a whole number >= 0 or {n} of them", column="integer_periods",
                                    value=self.integer_periods)

    @property
    def shape(self) -> tuple[int, int]:
        n, periods = self.demand.shape
        return int(n), int(periods)


@dataclass(frozen=True)
class LotSizingSolution:
    """Orders per SKU and period (units), objective, proven bound and solver details."""

    orders: NDArray[np.float64]
    objective: float
    bound: float
    status: str
    seconds: float
    diagnostics: dict[str, Any] = field(default_factory=dict)


class _Builder:
    """Collects bounds, costs and COO triplets block by block."""

    def __init__(self) -> None:
        self.lower: list[NDArray[np.float64]] = []
        self.upper: list[NDArray[np.float64]] = []
        self.cost: list[NDArray[np.float64]] = []
        self.size = 0
        self.rows: list[NDArray[np.int64]] = []
        self.cols: list[NDArray[np.int64]] = []
        self.vals: list[NDArray[np.float64]] = []
        self.row_lower: list[NDArray[np.float64]] = []
        self.row_upper: list[NDArray[np.float64]] = []
        self.n_rows = 0
        #: costs added to variables after their block: (indices, amounts), summed by :meth:`costs`
        self.extra: list[tuple[NDArray[np.int64], NDArray[np.float64]]] = []

    def extra_cost(self, index: ArrayLike, amount: ArrayLike) -> None:
        idx, val = np.broadcast_arrays(np.asarray(index, dtype=np.int64), np.asarray(amount, dtype=np.float64))
        self.extra.append((idx.ravel(), val.ravel()))

    def costs(self) -> NDArray[np.float64]:
        """The objective's coefficients: each block's, plus the extra costs."""
        cost = np.concatenate(self.cost)
        for idx, val in self.extra:
            np.add.at(cost, idx, val)
        return cost

    def block(self, lower: ArrayLike, upper: ArrayLike, cost: ArrayLike) -> NDArray[np.int64]:
        shape = np.shape(lower)
        lo = np.asarray(lower, dtype=np.float64).ravel()
        self.lower.append(lo)
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), shape).ravel().copy())
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), shape).ravel().copy())
        index = np.arange(self.size, self.size + lo.size).reshape(shape)
        self.size += lo.size
        return index

    def add_rows(self, count: int, lower: ArrayLike, upper: ArrayLike) -> int:
        first = self.n_rows
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (count,)).copy())
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (count,)).copy())
        self.n_rows += count
        return first

    def entries(self, rows: ArrayLike, cols: ArrayLike, vals: ArrayLike) -> None:
        r, c, v = np.broadcast_arrays(np.asarray(rows), np.asarray(cols), np.asarray(vals, dtype=np.float64))
        self.rows.append(r.ravel().astype(np.int64))
        self.cols.append(c.ravel().astype(np.int64))
        self.vals.append(v.ravel())


def _order_blocks(b: _Builder, p: LotSizingProblem, weight: NDArray[np.float64], relax: bool) -> dict[str, Any]:
    """Order variables (lots, indicators, delivered units) and their rows."""
    n, periods = p.shape
    t_index = np.arange(periods)[None, :]
    arrival = t_index + p.lead_time
    possible = arrival < periods
    lot = p.lot_size[:, None]
    order_upper = p.order_upper if p.order_upper.ndim == 2 else np.repeat(p.order_upper[:, None], periods, axis=1)
    lots_upper = np.where(possible, lots_within(order_upper, lot), 0.0)
    lots_upper = _row_bounded_lots(p, lots_upper)
    unit_weight = p.purchase_weight * p.unit_cost[:, None] * weight[None, :]
    lots = b.block(np.zeros((n, periods)), lots_upper, 0.0 if p.delivered_fraction is not None else unit_weight * lot)
    needs_binary = (p.order_cost > 0) | (p.moq > 0)
    indicator = b.block(
        np.zeros((n, periods)), np.where(possible & needs_binary[:, None], 1.0, 0.0), p.order_cost[:, None] * weight
    )
    delivered = None
    if p.delivered_fraction is not None:
        delivered = b.block(np.zeros((n, periods)), np.where(possible, lots_upper * lot, 0.0), unit_weight)
        first = b.add_rows(n * periods, -np.inf, 0.0)
        rows = first + np.arange(n * periods).reshape(n, periods)
        b.entries(rows, delivered, 1.0)
        b.entries(rows, lots, -p.delivered_fraction * lot)
    sku_binary = np.flatnonzero(needs_binary)
    if sku_binary.size:
        k = sku_binary.size * periods
        # the tightest big-M is the SKU's own order bound (a fixed 1e9 capped every order at 1e9 units, silently);
        # where it is inf ("no bound"), the largest useful order: an infinite big-M let HiGHS order without paying
        # the order cost or keeping the MOQ ("Optimal", orders 0, objective 0 with every unit lost and uncharged)
        # (only there: a tighter big-M also charges more of the fixed cost in relaxed periods, which changes MPC)
        upper_units = (lots_upper * lot)[sku_binary]
        upper_units = np.where(np.isfinite(upper_units), upper_units, _useful_units(p)[sku_binary, None])
        first = b.add_rows(k, -np.inf, 0.0)
        rows = first + np.arange(k).reshape(sku_binary.size, periods)
        b.entries(rows, lots[sku_binary], lot[sku_binary])
        b.entries(rows, indicator[sku_binary], -upper_units)
        sku_moq = np.flatnonzero(p.moq > 0)
        if sku_moq.size:
            k = sku_moq.size * periods
            first = b.add_rows(k, 0.0, np.inf)
            rows = first + np.arange(k).reshape(sku_moq.size, periods)
            b.entries(rows, lots[sku_moq], lot[sku_moq])
            b.entries(rows, indicator[sku_moq], -p.moq[sku_moq, None])
    integer_periods = np.full(n, periods) if p.integer_periods is None else np.broadcast_to(p.integer_periods, (n,))
    leading = t_index < np.minimum(integer_periods, periods)[:, None]
    integer = [] if relax else [lots[leading], indicator[leading]]
    return {"lots": lots, "indicator": indicator, "delivered": delivered, "possible": possible,
            "arrival": arrival, "integer": integer, "lots_upper": lots_upper}


def _useful_units(p: LotSizingProblem) -> NDArray[np.float64]:
    """Per SKU, an order no plan needs to exceed: all the horizon's demand and the backlog, over the smallest
    delivered fraction, plus one MOQ and one lot, in whole lots (more only adds stock, so it only adds cost)."""
    fraction = 1.0 if p.delivered_fraction is None else np.maximum(p.delivered_fraction.min(axis=1), 1e-3)
    units = (p.demand.sum(axis=1) + p.backorders) / fraction + p.moq + p.lot_size
    return np.asarray(np.ceil(units / p.lot_size) * p.lot_size, dtype=np.float64)


def _row_bounded_lots(p: LotSizingProblem, lots_upper: NDArray[np.float64]) -> NDArray[np.float64]:
    """Upper bound on the lots of every SKU and period from each hard row alone.

    The budget and supplier rows hold in every period, the first-period capacity rows in
    period 0. Lots whose next lot (or MOQ) does not fit one of their rows alone are fixed at
    0 and left out of the rows: otherwise a 1e4-volume SKU sits next to 1e-6-volume ones in a
    row of 1e-6, and scaling that row to 1 would give it a coefficient of 1e10.
    """
    lot = p.lot_size
    every: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
    if math.isfinite(p.budget):
        every.append((p.unit_cost * lot, np.full(lot.size, p.budget)))
    if p.supplier_member is not None and p.supplier_limits is not None and p.supplier_limits.size:
        inside = p.supplier_member >= 0
        room = np.where(inside, p.supplier_limits[np.maximum(p.supplier_member, 0)], np.inf)
        every.append((np.where(inside, lot, 0.0), room))
    first: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
    if p.first_period_rows is not None:
        row, residual = p.first_period_rows
        first.append((p.volume * lot, np.maximum(residual, 0.0)[row]))

    def fit(coef: NDArray[np.float64], room: NDArray[np.float64]) -> NDArray[np.float64]:
        ratio = room / np.where(coef > 0, coef, 1.0)
        return np.where(coef > 0, np.floor(ratio * (1 + 1e-12) + 1e-9), np.inf)

    upper = lots_upper.copy()
    for coef, room in every:
        upper = np.minimum(upper, fit(coef, room)[:, None])
    for coef, room in first:
        upper[:, 0] = np.minimum(upper[:, 0], fit(coef, room))
    min_lots = np.maximum(lots_covering(p.moq, lot), 1.0)
    return np.where(upper >= min_lots[:, None], upper, 0.0)


def _row_factor(rhs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows with ``0 < rhs < 1`` are divided by it: HiGHS's feasibility tolerance (1e-7) is absolute.

    Subnormal right-hand sides (below ``numpy.finfo(float).tiny``) are left alone (``1 / rhs`` would
    overflow); no order with a positive coefficient fits them anyway.
    """
    scaled = (rhs >= np.finfo(np.float64).tiny) & (rhs < 1)
    return np.where(scaled, 1.0 / np.where(scaled, rhs, 1.0), 1.0)


def _build(p: LotSizingProblem, relax: bool) -> tuple[_Builder, dict[str, Any]]:
    n, periods = p.shape
    weight = np.ones(periods) if p.period_weight is None else np.asarray(p.period_weight, dtype=np.float64)
    b = _Builder()
    v = _order_blocks(b, p, weight, relax)
    stock = b.block(np.zeros((n, periods)), np.inf, p.holding_cost[:, None] * weight)
    short_upper = p.demand if p.lost_sales else np.full((n, periods), np.inf)
    short_cost = p.shortage_cost[:, None] * weight
    if p.stock_value is not None and not p.lost_sales:
        short_cost = short_cost.copy()
        short_cost[:, -1] += p.stock_value * weight[-1]  # a backlog left at the end is still to be bought
    short = b.block(np.zeros((n, periods)), short_upper, short_cost)
    disposal_cost = np.full(n, np.inf) if p.disposal_cost is None else p.disposal_cost
    allowed = np.isfinite(disposal_cost)
    disposal = b.block(
        np.zeros((n, periods)), np.where(allowed, np.inf, 0.0)[:, None],
        np.where(allowed, disposal_cost, 0.0)[:, None] * weight,
    )
    # balance rows: one per SKU-period
    grid = np.arange(n * periods).reshape(n, periods)
    start = p.on_hand - p.backorders
    rhs = p.scheduled - p.demand
    rhs[:, 0] += start
    first = b.add_rows(n * periods, rhs.ravel(), rhs.ravel())
    rows = first + grid
    b.entries(rows, stock, 1.0)
    b.entries(rows, short, -1.0)
    b.entries(rows, disposal, 1.0)
    b.entries(rows[:, 1:], stock[:, :-1], -1.0)
    if not p.lost_sales:
        b.entries(rows[:, 1:], short[:, :-1], 1.0)
    possible = v["possible"]
    sku_index, order_period = np.nonzero(possible)
    arrive = v["arrival"][sku_index, order_period]
    incoming_col = (v["delivered"] if v["delivered"] is not None else v["lots"])[sku_index, order_period]
    incoming_val = -1.0 if v["delivered"] is not None else -p.lot_size[sku_index]
    b.entries(first + grid[sku_index, arrive], incoming_col, incoming_val)
    expired = add_expiry(b, p, v, stock, rows, weight)
    _shared_rows(b, p, v, stock, disposal, sku_index, arrive, incoming_col, incoming_val)
    _cover_rows(b, p, v, p.demand, stock, short, disposal, expired)
    if p.stock_value is not None:
        # the stock at the end is credited at its value up to the limit: k_i <= x_i,T-1, 0 <= k_i <= limit_i
        # (a backlog at the end is charged through its cost above; the start is charged: objective_offset).
        # Uncapped, a SKU without holding cost could buy stock for nothing, and an increasing period weight
        # made the model unbounded. (k_i <= x - u with backorders made an end with a backlog and no stock
        # infeasible.)
        limit = np.full(n, np.inf) if p.stock_value_limit is None else np.maximum(p.stock_value_limit, 0.0)
        credit = b.block(np.zeros(n), limit, -p.stock_value * weight[-1])
        credit_rows = b.add_rows(n, -np.inf, 0.0) + np.arange(n)
        b.entries(credit_rows, credit, 1.0)
        b.entries(credit_rows, stock[:, -1], -1.0)
        if p.stock_value_period > 0:
            _charge_opening_position(b, p, v, stock, short, weight)
    if p.safety_stock is not None:
        # a soft floor under the stock at the end of the first period new orders can reach:
        # x_iL + g_i >= safety_i, the shortfall g_i priced at the safety penalty. Later periods have none:
        # a floor there made the model plan to lose sales to keep it (0.5 p a period for the rest of the
        # horizon outweighs p), which a real warehouse never does
        period = np.minimum(p.lead_time[:, 0] if p.safety_period is None else p.safety_period, periods - 1)
        sku = np.flatnonzero(p.safety_stock > 0)
        t = period[sku]
        penalty = np.zeros(n) if p.safety_penalty is None else p.safety_penalty
        shortfall = b.block(np.zeros(sku.size), p.safety_stock[sku], penalty[sku] * weight[t])
        floor_rows = b.add_rows(sku.size, p.safety_stock[sku], np.inf) + np.arange(sku.size)
        b.entries(floor_rows, stock[sku, t], 1.0)
        b.entries(floor_rows, shortfall, 1.0)
    return b, v


def _charge_opening_position(
    b: _Builder, p: LotSizingProblem, v: dict[str, Any], stock: NDArray[np.int64], short: NDArray[np.int64],
    weight: NDArray[np.float64],
) -> None:
    """Charge the net position at the start of period ``s = stock_value_period > 0`` at ``stock_value``: the stock
    at the end of ``s - 1``, less its backlog, and the orders placed before ``s`` that arrive from ``s`` on (the
    open orders of the start that arrive then are a constant: :func:`objective_offset`).

    A backlog's negative cost is bounded: raising stock and backlog of ``s - 1`` together leaves the net position,
    and so the charge, as it was."""
    value = p.stock_value
    assert value is not None
    s = p.stock_value_period
    charge = value * weight[s]
    b.extra_cost(stock[:, s - 1], charge)
    if not p.lost_sales:
        b.extra_cost(short[:, s - 1], -charge)
    t_index = np.arange(p.shape[1])[None, :]
    open_at_s = v["possible"] & (t_index < s) & (v["arrival"] >= s)
    sku, period = np.nonzero(open_at_s)
    if v["delivered"] is not None:
        b.extra_cost(v["delivered"][sku, period], charge[sku])
    else:
        b.extra_cost(v["lots"][sku, period], charge[sku] * p.lot_size[sku])


def objective_offset(p: LotSizingProblem) -> float:
    """The constant of the objective: the net stock at the start (on hand less backorders, plus open
    orders) at ``stock_value``; from ``stock_value_period > 0`` on, the open orders of the start that arrive
    from that period on (the rest of that period's position is a charge on variables)."""
    if p.stock_value is None:
        return 0.0
    s = p.stock_value_period
    first = 1.0 if p.period_weight is None else float(np.asarray(p.period_weight, dtype=np.float64)[s])
    if s > 0:
        return first * float(p.stock_value @ p.scheduled[:, s:].sum(axis=1))
    return first * float(p.stock_value @ (p.on_hand - p.backorders + p.scheduled.sum(axis=1)))


def _cover_rows(
    b: _Builder, p: LotSizingProblem, v: dict[str, Any], demand: NDArray[np.float64],
    stock: NDArray[np.int64], short: NDArray[np.int64], disposal: NDArray[np.int64],
    expired: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None,
) -> None:
    """(l, S)-type valid inequalities that make the fixed-cost LP relaxation tight.

    An order placed in ``t`` and arriving in ``a`` is served to demand, kept,
    disposed of or expires, so for ``k >= 0``:
    ``q_t <= D(a..a+k) y_t + x_{a+k} + sum_{j=a}^{a+k} (w_j + v_j) (+ u_{a-1} with backorders)``,
    valid for ``y_t`` in {0, 1} (Barany, Van Roy & Wolsey 1984; Pochet & Wolsey 2006, ch. 7).
    """
    n, periods = p.shape
    binary = (p.order_cost > 0) | (p.moq > 0)
    base = v["possible"] & binary[:, None]
    if not base.any():
        return
    cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(demand, axis=1)], axis=1)
    order_col = v["delivered"] if v["delivered"] is not None else v["lots"]
    order_val = np.ones(n) if v["delivered"] is not None else p.lot_size
    backlog0 = p.backorders if not p.lost_sales else np.zeros(n)
    position = np.full(n, -1)  # row of each perishable SKU among the expiry columns
    if expired is not None:
        position[expired[0]] = np.arange(expired[0].size)
    for k in range(p.cover_periods):
        sku, t = np.nonzero(base & (v["arrival"] + k < periods))
        if sku.size == 0:
            break
        a = v["arrival"][sku, t]
        window = cumulative[sku, a + k + 1] - cumulative[sku, a]
        upper = np.where((a == 0) & (not p.lost_sales), backlog0[sku], 0.0)
        first = b.add_rows(sku.size, -np.inf, upper)
        rows = first + np.arange(sku.size)
        b.entries(rows, order_col[sku, t], order_val[sku])
        b.entries(rows, v["indicator"][sku, t], -window)
        b.entries(rows, stock[sku, a + k], -1.0)
        for j in range(k + 1):
            b.entries(rows, disposal[sku, a + j], -1.0)
            if expired is not None:
                perishable = position[sku] >= 0
                b.entries(rows[perishable], expired[1][position[sku[perishable]], a[perishable] + j], -1.0)
        if not p.lost_sales:
            later = a >= 1
            b.entries(rows[later], short[sku[later], a[later] - 1], -1.0)


def _shared_rows(
    b: _Builder, p: LotSizingProblem, v: dict[str, Any], stock: NDArray[np.int64], disposal: NDArray[np.int64],
    sku_index: NDArray[np.int64], arrive: NDArray[np.int64], incoming_col: NDArray[np.int64], incoming_val: Any,
) -> None:
    """Budget, supplier, capacity and first-period capacity rows (all SKUs share them)."""
    n, periods = p.shape
    lots = v["lots"]
    lot = p.lot_size[:, None]
    # hard rows with a right-hand side below 1 are scaled to 1 (_row_factor), and lots fixed at 0
    # (_row_bounded_lots) are left out of them, so that HiGHS's absolute tolerance becomes relative
    in_rows = v["lots_upper"] > 0
    if math.isfinite(p.budget):
        budget_factor = float(_row_factor(np.array([p.budget]))[0])
        first = b.add_rows(periods, -np.inf, p.budget * budget_factor)
        rows = np.broadcast_to(first + np.arange(periods)[None, :], (n, periods))
        coef = np.broadcast_to(p.unit_cost[:, None] * lot * budget_factor, (n, periods))
        b.entries(rows[in_rows], lots[in_rows], coef[in_rows])
    if p.supplier_member is not None and p.supplier_limits is not None and p.supplier_limits.size:
        member = p.supplier_member
        keep = member >= 0
        m = p.supplier_limits.size
        factor = _row_factor(p.supplier_limits)
        first = b.add_rows(m * periods, -np.inf, np.repeat(p.supplier_limits * factor, periods))
        rows = first + member[keep, None] * periods + np.arange(periods)[None, :]
        coef = np.broadcast_to(lot[keep] * factor[member[keep], None], rows.shape)
        b.entries(rows[in_rows[keep]], lots[keep][in_rows[keep]], coef[in_rows[keep]])
    if math.isfinite(p.capacity):
        base = p.volume @ p.scheduled
        base[0] += p.volume @ p.on_hand
        first = b.add_rows(periods, -np.inf, p.capacity - base)
        period_rows = first + np.arange(periods)
        b.entries(period_rows[None, 1:], stock[:, :-1], p.volume[:, None])
        b.entries(period_rows[None, :], disposal, -p.volume[:, None])
        b.entries(period_rows[arrive], incoming_col, -np.asarray(incoming_val) * p.volume[sku_index])
        if p.capacity_penalty is not None:
            slack = b.block(np.zeros(periods), np.inf, p.capacity_penalty)
            b.entries(period_rows, slack, -1.0)
    if p.first_period_rows is not None:
        row, residual = p.first_period_rows
        rhs = np.maximum(residual, 0.0)
        factor = _row_factor(rhs)
        first = b.add_rows(residual.size, -np.inf, rhs * factor)
        keep = in_rows[:, 0]
        b.entries(first + row[keep], lots[keep, 0], (p.volume * p.lot_size * factor[row])[keep])


def _start_orders(orders: ArrayLike, p: LotSizingProblem) -> NDArray[np.float64]:
    """``start_orders`` checked: one finite number >= 0 per SKU."""
    q = number_array(orders, "start_orders")
    n = p.shape[0]
    if q.shape != (n,):
        raise PlanningError(f"must have one order per SKU ({n}), got shape {q.shape}", column="start_orders")
    bad = np.flatnonzero(~(np.isfinite(q) & (q >= 0)))
    if bad.size:
        raise PlanningError(f"must be finite numbers >= 0 (SKU index {int(bad[0])})", column="start_orders",
                            value=float(q[bad[0]]))
    return q


def _set_start(h: Any, p: LotSizingProblem, v: dict[str, Any], q: NDArray[np.float64]) -> None:
    """Give HiGHS the period-0 orders ``q`` (units, whole lots) as a partial start (lots and indicators):
    HiGHS completes the other variables itself (a sub-MIP with these fixed, at most ``mip_max_start_nodes``
    nodes) and drops a start it finds infeasible."""
    lots = np.rint(q / p.lot_size)
    open_ = v["possible"][:, 0]
    needs = ((p.order_cost > 0) | (p.moq > 0)) & open_
    cols = np.concatenate([v["lots"][open_, 0], v["indicator"][needs, 0]]).astype(np.int32)
    vals = np.concatenate([lots[open_], (lots[needs] > 0).astype(np.float64)])
    h.setSolution(int(cols.size), cols, vals)


def solve_lot_sizing(
    problem: LotSizingProblem,
    relax: bool = False,
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-4,
    node_limit: int | None = None,
    start_orders: ArrayLike | None = None,
) -> LotSizingSolution:
    """Build and solve the lot-sizing model with HiGHS (threads=1, silent).

    Parameters
    ----------
    problem : LotSizingProblem
    relax : bool
        Solve the LP relaxation (no integrality).
    time_limit : float, optional
        Seconds; on timeout the best solution found and the MIP dual bound are returned.
        A wall-clock limit makes the result depend on the machine's speed and load.
    mip_rel_gap : float
        Relative MIP gap at which HiGHS stops.
    node_limit : int, optional
        Branch-and-bound nodes (HiGHS ``mip_max_nodes``): a work limit that, unlike
        ``time_limit``, gives the same result on every machine (HiGHS runs on one thread).
        At the limit the best solution found and the MIP dual bound are returned.
    start_orders : array, shape (n,), optional
        Period-0 orders in units (whole lots, each 0 or at least the MOQ) given to HiGHS as a partial
        start: with it HiGHS holds an incumbent from its root node on, and stops there when that is within
        ``mip_rel_gap`` of the bound. Ignored with ``relax``. MPC's ``warm_start`` passes its repaired LP
        relaxation.

    Returns
    -------
    LotSizingSolution
        ``orders`` (units, shape (n, T); NaN-free, zeros when no solution was
        found), ``objective``, ``bound`` (a valid lower bound on the model's
        optimum: the LP/MIP dual bound), ``status``.
    """
    import highspy

    # a negative or NaN time limit stopped HiGHS at once and returned a useless bound as a valid one;
    # text, booleans and fractions of nodes were bare errors or read as numbers
    relax = flag(relax, "relax")
    if time_limit is not None:  # inf: no limit
        time_limit = number_in(time_limit, "time_limit", 0.0, math.inf, open_low=True, allow_inf=True)
    mip_rel_gap = number_in(mip_rel_gap, "mip_rel_gap", 0.0, 1.0, open_high=True)
    node_limit = None if node_limit is None else whole_number(node_limit, "node_limit", 1)
    given = None if start_orders is None or relax else _start_orders(start_orders, problem)
    start = time.perf_counter()
    b, v = _build(problem, relax)
    matrix = sparse.csr_matrix(
        (np.concatenate(b.vals), (np.concatenate(b.rows), np.concatenate(b.cols))), shape=(b.n_rows, b.size)
    )
    h = new_highs()
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    h.addVars(b.size, np.concatenate(b.lower), np.concatenate(b.upper))
    cost = b.costs()
    # HiGHS's gap and cost tolerances are absolute: with every cost below 1 (all of a catalog's costs x 1e-9)
    # it stopped at once and the plan depended on the money unit; such a model is solved in units of its
    # largest cost (none is rescaled from 1 up, so other plans do not change)
    largest = float(np.max(np.abs(cost), initial=0.0))
    money = largest if 0.0 < largest < 1.0 else 1.0
    h.changeColsCost(b.size, np.arange(b.size, dtype=np.int32), cost / money)
    h.changeObjectiveOffset(objective_offset(problem) / money)
    h.addRows(
        b.n_rows, np.concatenate(b.row_lower), np.concatenate(b.row_upper), matrix.nnz,
        matrix.indptr[:-1].astype(np.int32), matrix.indices.astype(np.int32), matrix.data,
    )
    if v["integer"]:
        cols = np.concatenate(v["integer"]).astype(np.int32)
        h.changeColsIntegrality(cols.size, cols, np.full(cols.size, highspy.HighsVarType.kInteger))
        if given is not None:
            _set_start(h, problem, v, given)
    built = time.perf_counter() - start
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    n, periods = problem.shape
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if has_solution:
        values = np.asarray(h.getSolution().col_value)
        lots = values[v["lots"]]
        lots = lots if relax else np.rint(lots)
        orders = np.maximum(lots, 0.0) * problem.lot_size[:, None]
        objective = float(info.objective_function_value) * money
    else:
        orders, objective = np.zeros((n, periods)), math.inf
    if relax or not v["integer"]:
        bound = objective if status == "Optimal" else -math.inf
    else:
        bound = float(info.mip_dual_bound) * money
    diagnostics = {"variables": b.size, "rows": b.n_rows, "nonzeros": matrix.nnz, "build_seconds": built,
                   "mip_gap": float(getattr(info, "mip_gap", 0.0)), "nodes": int(getattr(info, "mip_node_count", 0))}
    return LotSizingSolution(orders, objective, bound, status, time.perf_counter() - start, diagnostics)
