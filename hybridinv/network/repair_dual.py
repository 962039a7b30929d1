"""Lagrangian bound of the network repair: the capacity rows and the budget are priced.

With multipliers ``λ_i >= 0`` on the capacity rows and ``β >= 0`` on the budget, the
problem splits into

* one subproblem per root and SKU, ``min_m f(m) + lot (volume λ_r + unit_cost β) m`` over
  ``{0} ∪ [min_lots, upper]``: solved exactly on the lower convex hull of its points
  (:func:`hybridinv.repair.hull.lower_hull`, MOQ included);
* one subproblem per parent and SKU, a continuous knapsack over its children's shipments
  with the parent's on-hand as the capacity: child ``k``'s first ``d_k`` units cost
  ``-under_k + π_k`` each and further units ``over_k + π_k``, ``π_k = volume (λ_k - λ_parent)``
  (a shipment fills the child and frees the parent); the cheapest negative pieces are taken
  until the on-hand is used, for all parents and SKUs with one sort.

``L(λ, β) = sum of the subproblem minima - λ·rhs - β·budget`` is a valid lower bound for
every ``λ, β >= 0`` (weak duality; the knapsacks are solved as LPs, which only lowers it).
:func:`maximize_network_dual` maximizes it by trust-region cutting planes (a small HiGHS
LP over the handful of multipliers, one cut per evaluation).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hybridinv._highs import new_highs
from hybridinv.network.repair_model import NetworkRepairProblem
from hybridinv.repair.hull import lower_hull, solution_lots
from hybridinv.repair.model import RepairProblem, RowGroup, RowKind

__all__ = ["DualPoint", "NetworkDual", "maximize_network_dual", "root_problem"]

#: Relative stopping tolerance of the cutting-plane search.
DUAL_TOLERANCE = 1e-6
#: Most cutting-plane steps.
MAX_CUTS = 80


def root_problem(problem: NetworkRepairProblem, capacity_room: NDArray[np.float64] | None) -> RepairProblem:
    """The supplier orders as a single-location :class:`RepairProblem` over (root, SKU) columns.

    Columns are the roots' rows of the network arrays, flattened. The budget is one row over
    all of them; with ``capacity_room`` (one value per root, ``inf`` for none) each root with a
    finite room gets a capacity row over its SKUs. Without it the root capacities are left
    to the multipliers (the bound: a root's capacity row also contains its outflow).
    """
    roots = problem.network.roots
    n = problem.shape[1]
    lot = problem.lot[roots].reshape(-1)
    count = roots.size * n
    groups: list[RowGroup] = []
    if capacity_room is not None and np.isfinite(capacity_room).any():
        finite = np.isfinite(capacity_room)
        member = np.where(np.repeat(finite, n), np.repeat(np.arange(roots.size), n), -1)
        names = tuple(f"capacity[{problem.network.names[r]}]" for r in roots)
        room = np.where(finite, capacity_room, 0.0)
        groups.append(RowGroup(RowKind.CAPACITY, names, member.astype(np.int64),
                               np.where(member >= 0, np.tile(problem.volume, roots.size) * lot, 0.0), room,
                               scale=np.where(finite, problem.capacity[roots], 0.0)))
    if problem.has_budget:
        groups.append(RowGroup(RowKind.BUDGET, ("budget",), np.zeros(count, dtype=np.int64),
                               np.tile(problem.unit_cost, roots.size) * lot, np.array([problem.budget]),
                               scale=np.array([problem.budget])))
    moq = problem.min_lots[roots].reshape(-1) * lot
    max_order = problem.max_lots[roots].reshape(-1) * lot
    sku = np.array([f"{problem.network.names[r]}/{s}" for r in roots for s in problem.skus], dtype=object)
    return RepairProblem.build(sku, problem.desired_input[roots].reshape(-1), lot, moq, max_order,
                               problem.under_weight[roots].reshape(-1), problem.over_weight[roots].reshape(-1),
                               tuple(groups))


@dataclass(frozen=True, eq=False)
class DualPoint:
    """One evaluation: ``value = L(λ, β)``, the subproblems' plan ``x`` (L, n, fractional shipments)."""

    capacity_price: NDArray[np.float64]
    budget_price: float
    value: float
    x: NDArray[np.float64]


class NetworkDual:
    """The Lagrangian function of one :class:`NetworkRepairProblem`."""

    def __init__(self, problem: NetworkRepairProblem) -> None:
        net = problem.network
        self.problem = problem
        self.roots_problem = root_problem(problem, None)
        self.segments = lower_hull(self.roots_problem)
        self.rows = problem.capacity_rows
        self.rhs = problem.capacity_rhs[self.rows]
        k_rows = net.non_roots
        self.k_rows = k_rows
        self.k_parent = net.parent[k_rows]
        owners = np.unique(self.k_parent)
        counts = np.array([int((self.k_parent == p).sum()) for p in owners], dtype=np.int64)
        width = int(counts.max()) if owners.size else 0
        table = np.full((owners.size, width), -1, dtype=np.int64)
        order = np.argsort(self.k_parent, kind="stable")
        starts = np.cumsum(counts) - counts
        table[np.repeat(np.arange(owners.size), counts), np.arange(order.size) - np.repeat(starts, counts)] = order
        self.owners = owners
        self.table = np.maximum(table, 0)
        self.valid = table >= 0
        self.stock = problem.on_hand[owners]  # (G, n)
        self.ship_desired = problem.desired[k_rows]
        self.ship_constant = float((problem.under_weight[k_rows] * self.ship_desired).sum())
        self.evaluations = 0

    @property
    def n_multipliers(self) -> int:
        return int(self.rows.size) + int(self.problem.has_budget)

    def split(self, y: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
        """``(λ over all locations, β)`` from the vector of multipliers."""
        lam = np.zeros(self.problem.shape[0])
        lam[self.rows] = y[: self.rows.size]
        return lam, float(y[self.rows.size]) if self.problem.has_budget else 0.0

    def evaluate(self, y: NDArray[np.float64]) -> tuple[DualPoint, NDArray[np.float64]]:
        """``L`` at ``y`` and a supergradient (row usage minus right-hand side)."""
        self.evaluations += 1
        p = self.problem
        lam, beta = self.split(y)
        roots = p.network.roots
        n = p.shape[1]
        x = np.zeros(p.shape)
        # roots: hull segments at per-lot prices
        seg = self.segments
        mu = (p.lot[roots] * (p.volume[None, :] * lam[roots][:, None] + beta * p.unit_cost[None, :])).reshape(-1)
        root_value = seg.base_cost + float((seg.length * np.minimum(0.0, seg.slope + mu[seg.sku])).sum())
        lots = solution_lots(seg, mu, roots.size * n)
        x[roots] = lots.reshape(roots.size, n) * p.lot[roots]
        ship_value = 0.0
        if self.k_rows.size:
            ship, ship_value = self._knapsacks(lam)
            x[self.k_rows] = ship
        value = root_value + self.ship_constant + ship_value - float((lam[self.rows] * self.rhs).sum())
        grad = [p.capacity_usage(x)[self.rows] - self.rhs]
        if p.has_budget:
            value -= beta * p.budget
            grad.append(np.array([p.spend(x) - p.budget]))
        return DualPoint(lam, beta, value, x), np.concatenate(grad)

    def _knapsacks(self, lam: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
        """Per parent and SKU: the cheapest negative shipment pieces up to the on-hand (LP, one sort)."""
        p = self.problem
        k_rows = self.k_rows
        price = p.volume[None, :] * (lam[k_rows] - lam[self.k_parent])[:, None]
        first = -p.under_weight[k_rows] + price  # per unit up to the target
        beyond = p.over_weight[k_rows] + price  # per unit above it
        valid = self.valid[:, :, None]
        cost = np.concatenate([np.where(valid, first[self.table], np.inf), np.where(valid, beyond[self.table], np.inf)],
                              axis=1)
        stock = self.stock[:, None, :]
        length = np.concatenate([np.where(valid, self.ship_desired[self.table], 0.0),
                                 np.where(valid, np.broadcast_to(stock, valid.shape[:2] + stock.shape[2:]), 0.0)],
                                axis=1)
        order = np.argsort(cost, axis=1, kind="stable")
        cost_sorted = np.take_along_axis(cost, order, axis=1)
        length_sorted = np.take_along_axis(length, order, axis=1)
        useful = cost_sorted < 0
        before = np.cumsum(np.where(useful, length_sorted, 0.0), axis=1) - length_sorted
        take = np.where(useful, np.clip(stock - before, 0.0, length_sorted), 0.0)
        # pieces as cheap as the one where the stock runs out share what is left of it in
        # proportion to their lengths (same value, so the same L; spreads ties, e.g. the same
        # shortage cost at every store, instead of piling them on the first child)
        short = take < length_sorted
        edge = np.argmax(short & useful, axis=1)[:, None, :]  # first piece not taken in full
        has_edge = np.take_along_axis(short & useful, edge, axis=1)
        edge_cost = np.take_along_axis(cost_sorted, edge, axis=1)
        tie = useful & has_edge & (np.abs(cost_sorted - edge_cost) <= 1e-12 * np.maximum(1.0, np.abs(edge_cost)))
        tie_length = np.where(tie, length_sorted, 0.0).sum(axis=1, keepdims=True)
        left = stock - np.where(tie, 0.0, take).sum(axis=1, keepdims=True)
        share = np.where(tie_length > 0, np.maximum(left, 0.0) / np.where(tie_length > 0, tie_length, 1.0), 0.0)
        take = np.where(tie, np.minimum(length_sorted * np.minimum(share, 1.0), length_sorted), take)
        value = float((take * np.where(useful, cost_sorted, 0.0)).sum())
        taken = np.zeros_like(take)
        np.put_along_axis(taken, order, take, axis=1)
        width = self.table.shape[1]
        per_child = taken[:, :width] + taken[:, width:]
        ship = np.zeros((k_rows.size, p.shape[1]))
        ship[self.table[self.valid]] = per_child[self.valid]
        return ship, value


def _start_radius(dual: NetworkDual) -> NDArray[np.float64]:
    """Initial trust-region half-width per multiplier: the typical price at which a row matters."""
    p = dual.problem
    out = []
    volume = np.where(p.volume > 0, p.volume, np.nan)
    for i in dual.rows:
        with np.errstate(invalid="ignore"):
            ratio = np.nanmedian(p.under_weight[i] / volume) if np.isfinite(volume).any() else 1.0
        out.append(ratio if np.isfinite(ratio) and ratio > 0 else 1.0)
    if p.has_budget:
        roots = p.network.roots
        cost = np.where(p.unit_cost > 0, p.unit_cost, np.nan)
        with np.errstate(invalid="ignore"):
            ratio = np.nanmedian(p.under_weight[roots] / cost[None, :]) if np.isfinite(cost).any() else 1.0
        out.append(ratio if np.isfinite(ratio) and ratio > 0 else 1.0)
    return 0.5 * np.asarray(out, dtype=np.float64)


def maximize_network_dual(dual: NetworkDual, deadline: float = np.inf, tolerance: float = DUAL_TOLERANCE,
                          max_cuts: int = MAX_CUTS) -> DualPoint:
    """Best ``L(λ, β)`` found by trust-region cutting planes from ``λ = β = 0``.

    Each step maximizes the cutting-plane model ``min_k L_k + g_k (y - y_k)`` in a box around
    the best point (a small LP solved incrementally by HiGHS), evaluates ``L`` there and adds
    its cut; the box doubles after a step that gains at least a tenth of the predicted
    increase and shrinks after a poor one. It stops when the model predicts less than
    ``tolerance`` (relative) inside the box. Every evaluated point is a valid bound.
    """
    import highspy

    dim = dual.n_multipliers
    center = np.zeros(dim)
    best, grad = dual.evaluate(center)
    if dim == 0:
        return best
    if (grad <= 0).all():  # at 0 no priced row is over-used: L(0) is the maximum
        return best
    radius = _start_radius(dual)
    highs = new_highs()
    highs.addVars(dim + 1, np.zeros(dim + 1), np.full(dim + 1, highspy.kHighsInf))
    highs.changeColCost(dim, -1.0)
    highs.changeColBounds(dim, -highspy.kHighsInf, highspy.kHighsInf)
    index = np.arange(dim + 1, dtype=np.int32)

    def add_cut(point: NDArray[np.float64], value: float, slope: NDArray[np.float64]) -> None:
        highs.addRow(-highspy.kHighsInf, value - float((slope * point).sum()), dim + 1, index, np.r_[-slope, 1.0])

    add_cut(center, best.value, grad)
    for _ in range(max_cuts):
        if time.perf_counter() > deadline:
            break
        highs.changeColsBounds(dim, index[:-1], np.maximum(center - radius, 0.0), center + radius)
        highs.run()
        solution = highs.getSolution()
        if not solution.value_valid:
            break
        trial = np.maximum(np.asarray(solution.col_value[:dim], dtype=np.float64), 0.0)
        predicted = float(solution.col_value[dim])
        gain = predicted - best.value
        if gain <= tolerance * max(abs(best.value), 1e-9):
            break
        point, grad = dual.evaluate(trial)
        add_cut(trial, point.value, grad)
        if point.value > best.value + 0.1 * gain:
            at_edge = np.abs(trial - center) >= 0.99 * radius
            center, best = trial, point
            radius = np.where(at_edge, radius * 2.0, radius)
        elif point.value < best.value:  # the model is poor this far out: shrink the box
            radius = radius * 0.5
    return best
