"""The linear program behind :class:`~hybridinv.network.mpc.NetworkMPC`: one plan for every location and SKU.

A certainty-equivalent plan of ``H`` periods, built from a
:class:`NetworkPlanProblem` (the observation's stock and pipeline, the stores' forecast
demand, the costs, capacities and budget, and soft safety floors) and solved as one LP with
HiGHS. Location ``i``, SKU ``j``, period ``t = 0..H-1`` (``t = 0`` is the current period):

* ``q[i,j,t] >= 0``: units sent into ``i`` in ``t`` (a supplier order at a root, a shipment
  from the parent elsewhere), arriving at the start of ``t + L_i``; 0 when ``t + L_i >= H``.
* ``x[i,j,t] = a + b``: end-of-period on-hand, split into the part up to the safety floor
  ``0 <= a <= F[i,j]`` (``F = 0`` before ``floor_start[i]``) and the part above it ``b >= 0``.
  ``a`` costs ``h - pi`` and ``b`` costs ``h``, so ``pi`` is paid per unit below the floor
  (``pi (F - x)^+``, the constant ``pi F`` added back to the objective).
* ``s[k,j,t] >= 0`` at store ``k``: units lost (lost sales, ``s <= demand``) or the
  end-of-period backlog (backorders), at the shortage cost ``p``.
* ``y[i,j,t] in [0, 1]`` where a fixed cost ``K`` applies (``order_cost`` at the roots,
  ``shipment_cost`` elsewhere): ``q <= U y`` with ``U`` the largest useful quantity (the
  subtree's demand over the horizon, its floors and backlog). This is the LP relaxation: a
  fixed cost is charged as ``K / U`` per unit, far below its integer value.
* ``e >= 0``: volume above a capacity at a receipt, at a penalty far above any shortage cost.

Rows, the simulator's period order (docs/network_model.md):

    x[t] - x[t-1] - q[i, t - L_i] + sum_{c child of i} q[c, t] (- s[t] (+ s[t-1] backorders))
        = arrivals_in_pipeline[t] - demand[t]   (+ on_hand - backorders in t = 0)       (balance)
    x[i,t] >= q[i,t]     (L_i = 0 and i has children: a receipt is not shipped on the same period)
    sum_j v_j (x[t-1] + arrivals[t]) - e <= capacity   (t >= 1, after the start-of-period receipts;
                                   with L_i = 0 also after this period's shipments and receipt)
    sum_{roots, j} c_j q[r,j,t] <= budget                                                    (budget)

Objective, per period: ``h x + p s + (c q at the roots) + K y + transit_holding L_i q`` (each
unit sent is in transit at the end of ``L_i`` periods) ``+ pi (F - x)^+ + M e``. Together with the
constant transit holding of the units already in the pipeline it is what the simulator would
charge over the ``H`` periods for the planned decisions if demand were the forecast and the
fixed costs were integer (tested: ``tests/network/test_mpc.py``).

Every column block and row family is built as numpy index arrays (COO triplets, one CSR
matrix, one ``addRows`` call); there is no loop over locations, SKUs or periods.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv._highs import new_highs
from hybridinv.network.model import Network
from hybridinv.network.state import NetworkCosts

__all__ = ["NetworkPlan", "NetworkPlanProblem", "solve_network_plan"]


@dataclass(frozen=True, eq=False)
class NetworkPlanProblem:
    """Data of one period's plan; arrays over (locations, SKUs) unless named otherwise.

    Attributes
    ----------
    network, costs : Network, NetworkCosts
    demand : (H, stores, SKUs)
        Forecast demand of the stores per period (``H`` is the horizon).
    on_hand, backorders : (L, n)
        The observation's stock (this period's arrivals received).
    pipeline : (L, n, slots)
        Units arriving ``k`` periods from now (``k < H``).
    floor : (L, n)
        Safety floor on the end-of-period on-hand (0: none).
    floor_penalty : (L, n)
        ``pi``: per unit below the floor and period.
    floor_start : (L,)
        First period in which the floor applies.
    lost_sales : bool
    capacity_penalty : float
        ``M``: per volume unit above a capacity at a receipt.
    """

    network: Network
    costs: NetworkCosts
    demand: NDArray[np.float64]
    on_hand: NDArray[np.float64]
    pipeline: NDArray[np.float64]
    backorders: NDArray[np.float64]
    floor: NDArray[np.float64]
    floor_penalty: NDArray[np.float64]
    floor_start: NDArray[np.int64]
    lost_sales: bool
    capacity_penalty: float

    @property
    def horizon(self) -> int:
        return int(self.demand.shape[0])


@dataclass(frozen=True, eq=False)
class NetworkPlan:
    """A solved plan; arrays of shape (H, L, n) (``shortage``: (H, stores, n)).

    ``inflow[0]`` holds this period's supplier orders (roots' rows) and shipments (other rows):
    the quantities the policy hands to the repair. ``objective`` is the plan's cost over the
    horizon (see the module docstring); NaN when the LP was not solved to optimality
    (``status`` says why), and then the arrays are zeros.
    """

    inflow: NDArray[np.float64]
    on_hand: NDArray[np.float64]
    shortage: NDArray[np.float64]
    objective: float
    status: str
    seconds: float
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def optimal(self) -> bool:
        return self.status == "Optimal"


class _Columns:
    """Column bounds and costs, and the COO triplets and bounds of the rows, block by block."""

    def __init__(self) -> None:
        self.size = 0
        self.n_rows = 0
        self._cols: dict[str, list[NDArray[np.float64]]] = {"lower": [], "upper": [], "cost": []}
        self._rows: dict[str, list[NDArray[Any]]] = {"row": [], "col": [], "val": [], "lower": [], "upper": []}

    def block(self, upper: ArrayLike, cost: ArrayLike) -> NDArray[np.int64]:
        """A block of columns ``>= 0`` with the shape of ``upper``; returns their indices."""
        up = np.asarray(upper, dtype=np.float64)
        index = np.arange(self.size, self.size + up.size, dtype=np.int64).reshape(up.shape)
        self.size += up.size
        self._cols["lower"].append(np.zeros(up.size))
        self._cols["upper"].append(up.ravel().copy())
        self._cols["cost"].append(np.broadcast_to(np.asarray(cost, dtype=np.float64), up.shape).ravel().copy())
        return index

    def rows(self, lower: ArrayLike, upper: ArrayLike) -> NDArray[np.int64]:
        """A block of rows with the shape of ``lower`` (``upper`` broadcast to it); returns their indices."""
        lo = np.asarray(lower, dtype=np.float64)
        index = np.arange(self.n_rows, self.n_rows + lo.size, dtype=np.int64).reshape(lo.shape)
        self.n_rows += lo.size
        self._rows["lower"].append(lo.ravel().copy())
        self._rows["upper"].append(np.broadcast_to(np.asarray(upper, dtype=np.float64), lo.shape).ravel().copy())
        return index

    def entries(self, rows: ArrayLike, cols: ArrayLike, vals: ArrayLike) -> None:
        r, c, v = np.broadcast_arrays(np.asarray(rows), np.asarray(cols), np.asarray(vals, dtype=np.float64))
        self._rows["row"].append(r.ravel().astype(np.int64))
        self._rows["col"].append(c.ravel().astype(np.int64))
        self._rows["val"].append(v.ravel())

    def arrays(self) -> dict[str, NDArray[Any]]:
        out = {f"col_{k}": np.concatenate(v) if v else np.zeros(0) for k, v in self._cols.items()}
        out.update({f"row_{k}": np.concatenate(v) if v else np.zeros(0) for k, v in self._rows.items()})
        return out


def _sched(problem: NetworkPlanProblem) -> NDArray[np.float64]:
    """Pipeline arrivals per period (L, n, H): slot ``k`` arrives in period ``k`` (slot 0: already on hand)."""
    shape = problem.on_hand.shape
    horizon = problem.horizon
    out = np.zeros((*shape, horizon))
    width = min(problem.pipeline.shape[2], horizon)
    out[..., 1:width] = problem.pipeline[..., 1:width]
    return out


def _build(p: NetworkPlanProblem) -> tuple[_Columns, dict[str, Any], float]:
    net, costs = p.network, p.costs
    n_loc, n = p.on_hand.shape
    horizon = p.horizon
    lead = net.lead_time
    t = np.arange(horizon)
    reaches = (t[None, :] + lead[:, None]) < horizon  # (L, H): a quantity sent in t arrives within the horizon
    demand = np.zeros((n_loc, n, horizon))
    demand[net.stores] = np.moveaxis(p.demand, 0, 2)
    below = np.einsum("ij,jnt->int", net.subtree, demand).sum(axis=2)
    floors = np.einsum("ij,jn->in", net.subtree, p.floor)
    backlog = np.einsum("ij,jn->in", net.subtree, p.backorders)
    useful = np.maximum(below + floors + backlog, 1.0)  # no single quantity is worth more than this
    m = _Columns()
    # ---- columns
    is_root = (net.parent < 0)[:, None, None]
    q_cost = np.where(is_root, costs.unit_cost[None, :, None], 0.0) + \
        (costs.transit_holding_cost * lead[:, None])[:, :, None]
    q = m.block(np.where(reaches[:, None, :], useful[:, :, None], 0.0), q_cost)
    active = t[None, :] >= p.floor_start[:, None]  # (L, H)
    floor = np.where(active[:, None, :], p.floor[:, :, None], 0.0)
    a = m.block(floor, costs.holding_cost[:, :, None] - p.floor_penalty[:, :, None])
    b = m.block(np.full((n_loc, n, horizon), np.inf), costs.holding_cost[:, :, None])
    stores = net.stores
    short_upper = demand[stores] if p.lost_sales else np.full((stores.size, n, horizon), np.inf)
    s = m.block(short_upper, costs.shortage_cost[stores][:, :, None])
    # ---- balance rows
    sched = _sched(p)
    rhs = sched - demand
    rhs[..., 0] += p.on_hand - p.backorders
    balance = m.rows(rhs, rhs)
    m.entries(balance, a, 1.0)
    m.entries(balance, b, 1.0)
    m.entries(balance[..., 1:], a[..., :-1], -1.0)
    m.entries(balance[..., 1:], b[..., :-1], -1.0)
    loc, sku, when = np.nonzero(np.broadcast_to(reaches[:, None, :], q.shape))
    m.entries(balance[loc, sku, when + lead[loc]], q[loc, sku, when], -1.0)
    children = net.non_roots
    m.entries(balance[net.parent[children]], q[children], 1.0)
    m.entries(balance[stores], s, -1.0)
    if not p.lost_sales:
        m.entries(balance[stores][..., 1:], s[..., :-1], 1.0)
    # ---- a receipt with lead time 0 cannot be shipped on in the same period
    has_children = np.zeros(n_loc, dtype=bool)
    has_children[net.parent[children]] = True
    same = np.flatnonzero(has_children & (lead == 0))
    if same.size:
        rows = m.rows(np.zeros((same.size, n, horizon)), np.inf)
        m.entries(rows, a[same], 1.0)
        m.entries(rows, b[same], 1.0)
        m.entries(rows, q[same], -1.0)
    _capacity_rows(m, p, q, a, b, sched)
    _budget_rows(m, p, q)
    y = _setup_rows(m, p, q, useful, reaches)
    constant = float((p.floor_penalty[:, :, None] * floor).sum())
    slots = np.arange(p.pipeline.shape[2])
    constant += float(np.einsum("lns,s,ln->", p.pipeline, np.minimum(slots, horizon).astype(np.float64),
                                costs.transit_holding_cost))
    return m, {"q": q, "a": a, "b": b, "s": s, "y": y}, constant


def _capacity_rows(m: _Columns, p: NetworkPlanProblem, q: NDArray[np.int64], a: NDArray[np.int64],
                   b: NDArray[np.int64], sched: NDArray[np.float64]) -> None:
    """Soft receipt rows at every location with a finite capacity (slack priced at ``capacity_penalty``)."""
    net, volume = p.network, p.costs.volume
    horizon = p.horizon
    finite = np.flatnonzero(np.isfinite(net.capacity))
    if finite.size == 0 or horizon < 2:
        return
    lead = net.lead_time[finite]
    cap = net.capacity[finite]
    # after the start-of-period receipts of t = 1..H-1: stock of t-1 plus the arrivals of t
    rows = m.rows(np.full((finite.size, horizon - 1), -np.inf),
                  cap[:, None] - np.einsum("fnt,n->ft", sched[finite][..., 1:], volume))
    m.entries(rows[:, None, :], a[finite][..., :-1], volume[None, :, None])
    m.entries(rows[:, None, :], b[finite][..., :-1], volume[None, :, None])
    k, later = np.nonzero((np.arange(1, horizon)[None, :] >= lead[:, None]) & (lead[:, None] >= 1))
    m.entries(rows[k, later][:, None], q[finite[k], :, later + 1 - lead[k]], volume[None, :])
    m.entries(rows, m.block(np.full(rows.shape, np.inf), p.capacity_penalty), -1.0)
    # lead time 0: also after this period's shipments and its own receipt
    zero = finite[lead == 0]
    if zero.size:
        start = np.einsum("zn,n->z", p.on_hand[zero], volume)
        upper = net.capacity[zero][:, None] - np.einsum("znt,n->zt", sched[zero], volume)
        upper[:, 0] -= start
        rows0 = m.rows(np.full(upper.shape, -np.inf), upper)
        m.entries(rows0[:, None, 1:], a[zero][..., :-1], volume[None, :, None])
        m.entries(rows0[:, None, 1:], b[zero][..., :-1], volume[None, :, None])
        m.entries(rows0[:, None, :], q[zero], volume[None, :, None])
        position = np.full(net.n_locations, -1)
        position[zero] = np.arange(zero.size)
        kids = net.non_roots[position[net.parent[net.non_roots]] >= 0]
        m.entries(rows0[position[net.parent[kids]]][:, None, :], q[kids], -volume[None, :, None])
        m.entries(rows0, m.block(np.full(rows0.shape, np.inf), p.capacity_penalty), -1.0)


def _budget_rows(m: _Columns, p: NetworkPlanProblem, q: NDArray[np.int64]) -> None:
    """Hard purchase budget per period on the roots' orders (ordering nothing always fits)."""
    net = p.network
    if not math.isfinite(net.budget):
        return
    rows = m.rows(np.full(p.horizon, -np.inf), net.budget)
    m.entries(rows[None, None, :], q[net.roots], p.costs.unit_cost[None, :, None])


def _setup_rows(m: _Columns, p: NetworkPlanProblem, q: NDArray[np.int64], useful: NDArray[np.float64],
                reaches: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Relaxed fixed costs: ``q <= U y``, ``0 <= y <= 1`` at ``K`` per unit of ``y``, where ``K > 0``."""
    net, costs = p.network, p.costs
    fixed = np.where((net.parent < 0)[:, None], costs.order_cost[None, :], costs.shipment_cost)
    loc, sku, when = np.nonzero((fixed > 0)[:, :, None] & reaches[:, None, :])
    if loc.size == 0:
        return np.zeros(0, dtype=np.int64)
    y = m.block(np.ones(loc.size), fixed[loc, sku])
    rows = m.rows(np.full(loc.size, -np.inf), 0.0)
    m.entries(rows, q[loc, sku, when], 1.0)
    m.entries(rows, y, -useful[loc, sku])
    return y


def solve_network_plan(problem: NetworkPlanProblem, time_limit: float | None = None) -> NetworkPlan:
    """Build the LP of ``problem`` and solve it with HiGHS (``threads=1``, silent, within ``time_limit`` s)."""
    from scipy import sparse

    from hybridinv.repair.highs import load_model
    from hybridinv.repair.model import MilpArrays, VarKind

    start = time.perf_counter()
    m, var, constant = _build(problem)
    arr = m.arrays()
    keep = arr["row_val"] != 0.0
    matrix = sparse.csr_matrix((arr["row_val"][keep], (arr["row_row"][keep], arr["row_col"][keep])),
                               shape=(m.n_rows, m.size))
    h = new_highs(time_limit=time_limit)
    load_model(h, MilpArrays(cost=arr["col_cost"], col_lower=arr["col_lower"], col_upper=arr["col_upper"],
                             kind=np.full(m.size, VarKind.CONTINUOUS, dtype=np.int8), indptr=matrix.indptr,
                             indices=matrix.indices, data=matrix.data, row_lower=arr["row_lower"],
                             row_upper=arr["row_upper"], offset=0.0, n_skus=m.size))
    built = time.perf_counter() - start
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    horizon, (n_loc, n) = problem.horizon, problem.on_hand.shape
    diagnostics = {"variables": m.size, "rows": m.n_rows, "nonzeros": int(matrix.nnz), "build_seconds": built,
                   "solve_seconds": time.perf_counter() - start - built}
    if status != "Optimal":
        zeros = np.zeros((horizon, n_loc, n))
        return NetworkPlan(zeros, zeros.copy(), np.zeros((horizon, problem.network.n_stores, n)), math.nan, status,
                           time.perf_counter() - start, diagnostics)
    values = np.asarray(h.getSolution().col_value)
    objective = float(h.getInfo().objective_function_value) + constant

    def grid(index: NDArray[np.int64]) -> NDArray[np.float64]:
        return np.moveaxis(np.maximum(values[index], 0.0), 2, 0)

    return NetworkPlan(grid(var["q"]), grid(var["a"]) + grid(var["b"]), grid(var["s"]), objective, status,
                       time.perf_counter() - start, diagnostics)
