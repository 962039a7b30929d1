"""Fast path of the network repair: priced allocation level by level, then the supplier orders.

1. :func:`~hybridinv.network.repair_dual.maximize_network_dual` prices the capacity rows
   and the budget (``λ``, ``β``) and certifies a lower bound.
2. :func:`build_plan` turns the subproblems' plan at those prices into a whole, feasible
   plan **from the deepest locations up**: the shipments into one depth level use only
   their parents' on-hand (fixed this period) and their own capacity row, whose outflow
   term was decided one level deeper, so each level is a self-contained allocation. Per
   level: start from the priced knapsack plan (whole units, within each parent's on-hand),
   cut every location over its room by dropping the units of least value per volume, and
   fill the remaining shortfalls in order of priced value while parent stock and room
   last (two vectorized rounds, never over a row).
3. The supplier orders are then a single-location repair: columns (root, SKU) with the
   MOQ, lot sizes and max orders, one capacity row per root (its room after the
   shipments it makes) and the budget, solved by :func:`hybridinv.repair.fast.solve_fast`.

Everything is vectorized over locations and SKUs; the only loop is over depth levels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hybridinv.network.repair_dual import DualPoint, NetworkDual, maximize_network_dual, root_problem
from hybridinv.network.repair_model import NetworkRepairProblem
from hybridinv.repair.fast import solve_fast
from hybridinv.repair.model import RepairProblem
from hybridinv.repair.primal import make_feasible

__all__ = ["NetworkSolution", "build_plan", "make_plan_feasible", "solve_network_fast"]

#: Most fill rounds per level (each conservative; the next uses what the previous left).
FILL_ROUNDS = 8
#: Bisection steps per pass and passes of the level prices (:func:`_level_prices`).
PRICE_STEPS = 20
PRICE_PASSES = 6


@dataclass(frozen=True, eq=False)
class NetworkSolution:
    """What a backend hands back: a whole plan ``x`` (L, n) in units and a valid lower bound."""

    x: NDArray[np.float64]
    bound: float
    status: str
    capacity_price: NDArray[np.float64]
    budget_price: float
    iterations: int
    backend: str
    fallback_reason: str | None = None


def _best_whole(problem: NetworkRepairProblem, rows: NDArray[np.int64]) -> NDArray[np.float64]:
    """Best whole shipment per row and SKU ignoring every row: ``floor(d)`` or ``ceil(d)`` by cost."""
    d = problem.desired[rows]
    low = np.floor(d + 1e-9)
    frac = d - low
    up = problem.under_weight[rows] * frac > problem.over_weight[rows] * (1.0 - frac)
    return low + ((frac > 1e-9) & up)


def _before_in_group(keys: NDArray[np.int64], amounts: NDArray[np.float64],
                     order: NDArray[np.int64]) -> NDArray[np.float64]:
    """For each candidate, the sum of ``amounts`` of the candidates before it (in ``order``) with its key."""
    ranked = keys[order]
    regroup = np.argsort(ranked, kind="stable")  # groups together, priority kept inside each
    amt = amounts[order][regroup]
    cum = np.cumsum(amt) - amt
    sorted_keys = ranked[regroup]
    new_group = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    start = np.maximum.accumulate(np.where(new_group, np.arange(sorted_keys.size), 0))
    out = np.empty_like(amounts)
    out[order[regroup]] = cum - cum[start]
    return out


def _cut_to_room(x: NDArray[np.float64], room: NDArray[np.float64], volume: NDArray[np.float64],
                 key: NDArray[np.float64], tolerance: NDArray[np.float64]) -> NDArray[np.float64]:
    """Drop whole units, lowest ``key`` (value per volume) first, until each row's volume fits its room."""
    used = np.einsum("rn,n->r", x, volume)
    excess = used - room
    over = excess > tolerance
    if not over.any():
        return x
    rows = np.flatnonzero(over)
    part = x[rows]
    droppable = (part > 0) & (volume[None, :] > 0)
    order = np.argsort(np.where(droppable, key[rows], np.inf), axis=1, kind="stable")
    vol_sorted = np.take_along_axis(part * volume[None, :], order, axis=1)
    before = np.cumsum(vol_sorted, axis=1) - vol_sorted
    need = excess[rows][:, None] - before
    unit = np.where(volume > 0, volume, 1.0)[order]
    units_sorted = np.take_along_axis(part, order, axis=1)
    drop_sorted = np.where(need > 0, np.minimum(np.ceil(need / unit - 1e-12), units_sorted), 0.0)
    drop = np.zeros_like(part)
    np.put_along_axis(drop, order, drop_sorted, axis=1)
    out = x.copy()
    out[rows] = part - drop
    return out


def _level(problem: NetworkRepairProblem, x: NDArray[np.float64], locs: NDArray[np.int64],
           price: NDArray[np.float64], fill: bool) -> None:
    """Make the shipments into ``locs`` (one depth level) whole and feasible in place; optionally fill."""
    net = problem.network
    parent = net.parent[locs]
    volume = problem.volume
    part = np.clip(np.round(x[locs]), 0.0, None)
    # the parents' on-hand: children of one parent are all on this level
    stock = problem.on_hand[parent]
    sent = np.zeros(problem.shape)
    np.add.at(sent, parent, part)
    if (sent[parent] > stock + 1e-9).any():
        share = np.where(sent[parent] > 0, np.minimum(1.0, stock / np.maximum(sent[parent], 1e-300)), 1.0)
        part = np.floor(part * share + 1e-9)
        sent = np.zeros(problem.shape)
        np.add.at(sent, parent, part)
    x[locs] = part
    room = problem.capacity_rhs[locs] + np.einsum("ln,n->l", problem.outflow(x)[locs], volume)
    value = problem.under_weight[locs] - volume[None, :] * price[:, None]
    unit_volume = np.where(volume > 0, volume, 1.0)
    surplus_first = np.where(part > problem.desired[locs], -problem.over_weight[locs], value)
    tol = problem.capacity_tolerance()[locs]
    part = _cut_to_room(part, room, volume, surplus_first / unit_volume[None, :], tol)
    if fill:
        target = _best_whole(problem, locs)
        left_room = room - np.einsum("rn,n->r", part, volume)
        for _ in range(FILL_ROUNDS):
            sent = np.zeros(problem.shape)
            np.add.at(sent, parent, part)
            stock_left = np.maximum(problem.on_hand - sent, 0.0)[parent]
            fits = np.where(volume[None, :] > 0, np.floor(left_room[:, None] / unit_volume[None, :] + 1e-9), np.inf)
            want = np.minimum(np.minimum(np.maximum(target - part, 0.0), stock_left), fits)
            if not (want > 0).any():
                break
            cand = np.flatnonzero(want.reshape(-1) > 0)
            r, j = np.divmod(cand, problem.shape[1])
            amount = want.reshape(-1)[cand]
            order = np.argsort(-value.reshape(-1)[cand], kind="stable")
            before_stock = _before_in_group(parent[r] * problem.shape[1] + j, amount, order)
            before_room = _before_in_group(r, amount * volume[j], order)
            by_room = np.where(volume[j] > 0, np.floor((left_room[r] - before_room) / unit_volume[j] + 1e-9), np.inf)
            take = np.clip(np.minimum(np.minimum(amount, stock_left[r, j] - before_stock), by_room), 0.0, None)
            take = np.floor(take + 1e-9)
            if not (take > 0).any():
                break
            np.add.at(part, (r, j), take)
            np.subtract.at(left_room, r, take * volume[j])
    x[locs] = part


def _roots(problem: NetworkRepairProblem, x: NDArray[np.float64], optimize: bool, gap_tolerance: float,
           deadline: float) -> RepairProblem:
    """Supplier orders under the budget and each root's room after its shipments (in place)."""
    net = problem.network
    roots = net.roots
    room = problem.capacity_rhs[roots] + np.einsum("ln,n->l", problem.outflow(x)[roots], problem.volume)
    sub = root_problem(problem, np.where(np.isfinite(problem.capacity_limit[roots]), room, np.inf))
    if optimize:
        limit = None if not np.isfinite(deadline) else max(deadline - time.perf_counter(), 1e-3)
        lots = make_feasible(sub, solve_fast(sub, limit, gap_tolerance).lots)
    else:
        lots = make_feasible(sub, x[roots].reshape(-1) / problem.lot[roots].reshape(-1))
    x[roots] = lots.reshape(roots.size, -1) * problem.lot[roots]
    return sub


def _level_prices(dual: NetworkDual, lam: NDArray[np.float64], locs: NDArray[np.int64],
                  room: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Capacity prices of one level's locations at which the priced knapsacks fit their rooms.

    The bound's multipliers need not fit: with ties between stores (the same shortage cost
    everywhere) the relaxation is flat in them and the knapsacks may pile a SKU on one store.
    An ascending auction from price 0 instead: in each of at most ``PRICE_PASSES`` passes the
    over-full locations' prices are bisected (all at once, ``PRICE_STEPS`` steps) between their
    current price and the price at which none of their pieces is worth shipping, keeping the
    fitting end. Raising one location's price only sends stock to the others (substitutes),
    so prices only rise and a later pass raises those that a rise elsewhere filled up.
    Returns the shipments into ``locs`` at the final prices (fractional) and the prices.
    """
    p = dual.problem
    rows = np.searchsorted(dual.k_rows, locs)
    volume = p.volume
    prices = lam.copy()
    prices[locs] = 0.0
    limit = room * (1 + 1e-12) + 1e-9

    def usage(at: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        ship = dual._knapsacks(at)[0][rows]
        return ship, np.einsum("rn,n->r", ship, volume)

    ship, used = usage(prices)
    parent = p.network.parent[locs]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(volume[None, :] > 0, p.under_weight[locs] / volume[None, :], 0.0)
    ceiling = prices[parent] + ratio.max(axis=1) * (1 + 1e-9) + 1e-12
    for _ in range(PRICE_PASSES):
        over = used > limit
        if not over.any():
            break
        low = prices[locs].copy()
        high = np.where(over, np.maximum(ceiling, low), low)
        for _ in range(PRICE_STEPS):
            prices[locs] = 0.5 * (low + high)
            _, used = usage(prices)
            too_much = used > limit
            low = np.where(over & too_much, prices[locs], low)
            high = np.where(over & ~too_much, prices[locs], high)
        prices[locs] = high
        ship, used = usage(prices)
    return ship, prices


def build_plan(problem: NetworkRepairProblem, dual: NetworkDual, point: DualPoint, gap_tolerance: float = 0.005,
               deadline: float = np.inf) -> NDArray[np.float64]:
    """A whole, feasible plan from the subproblems at a dual point (see the module docstring)."""
    net = problem.network
    x = np.zeros(problem.shape)
    k_rows = net.non_roots
    lam = point.capacity_price.copy()
    for depth in range(int(net.depth.max(initial=0)), 0, -1):
        locs = k_rows[net.depth[k_rows] == depth]
        room = problem.capacity_rhs[locs] + np.einsum("ln,n->l", problem.outflow(x)[locs], problem.volume)
        ship, lam = _level_prices(dual, lam, locs, room)
        x[locs] = np.floor(ship + 1e-9)
        _level(problem, x, locs, lam[locs] - lam[net.parent[locs]], fill=True)
    _roots(problem, x, True, gap_tolerance, deadline)
    return x


def make_plan_feasible(problem: NetworkRepairProblem, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Round a solver's plan and enforce every rule and row (a safety net against solver tolerances).

    A plan that already meets everything comes back unchanged.
    """
    net = problem.network
    out: NDArray[np.float64] = np.maximum(np.round(np.asarray(x, dtype=np.float64)), 0.0)
    k_rows = net.non_roots
    zero = np.zeros(problem.shape[0])
    for depth in range(int(net.depth.max(initial=0)), 0, -1):
        locs = k_rows[net.depth[k_rows] == depth]
        _level(problem, out, locs, zero[locs], fill=False)
    _roots(problem, out, False, 0.0, np.inf)
    return out


def solve_network_fast(problem: NetworkRepairProblem, time_limit: float | None = None,
                       gap_tolerance: float = 0.005) -> NetworkSolution:
    """Lagrangian bound plus the better of the plans built at the best prices and at zero prices."""
    start = time.perf_counter()
    deadline = start + time_limit if time_limit is not None else np.inf
    dual = NetworkDual(problem)
    best = maximize_network_dual(dual, deadline)
    plan = build_plan(problem, dual, best, gap_tolerance, deadline)
    if best.capacity_price.any() or best.budget_price > 0:
        zero, _ = dual.evaluate(np.zeros(dual.n_multipliers))
        other = build_plan(problem, dual, zero, gap_tolerance, deadline)
        if problem.objective(other) < problem.objective(plan):
            plan = other
    return NetworkSolution(plan, best.value, "heuristic", best.capacity_price, best.budget_price,
                           dual.evaluations, "fast")
