"""Result of a network repair: decisions, certificate, violated rows and per location × SKU explanations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.flags import join_flags, labels_where
from hybridinv.network.repair_dual import root_problem
from hybridinv.network.repair_model import NetworkRepairProblem, RowCheck
from hybridinv.network.state import NetworkDecision
from hybridinv.repair.result import OTHER, UNCHANGED, explain_reasons

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NETWORK_REASONS", "NetworkRepairResult", "network_reasons"]

#: Reason flags of :meth:`NetworkRepairResult.explain`, in the order they are joined.
NETWORK_REASONS: tuple[str, ...] = (
    "parent_stock",
    "capacity",
    "parent_capacity",
    "budget",
    "moq",
    "lot_rounding",
    "max_order",
    "negative_desired",
)


def relative_gap(objective: float, bound: float) -> float:
    """``(objective - bound) / |bound|``; 0 when they agree, ``inf`` when the bound is 0 and the objective is not,
    or the objective is not finite."""
    if not math.isfinite(objective):
        return math.inf
    diff = objective - bound
    if diff <= 1e-12 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(bound) if abs(bound) > 1e-12 else math.inf


@dataclass(frozen=True, eq=False)
class NetworkRepairResult:
    """Whole, feasible network decisions from :func:`~hybridinv.network.repair.repair_network`.

    Attributes
    ----------
    quantities : (L, n)
        Supplier orders at the roots' rows, shipments into the other locations' rows.
    objective : float
        Weighted deviation of ``quantities`` from the desired quantities.
    bound : float
        A valid lower bound on the optimum (Lagrangian dual, or the MILP's dual bound).
    status : str
        ``optimal``, ``within_gap``, ``heuristic``, ``time_limit``, ``fallback``, ...
    backend : str
        ``fast``, ``highs``, ``pulp``, ``fast+highs`` (auto with a polish), ``highs->fast`` (fallback).
    violations : tuple of RowCheck
        Rows the plan cannot meet (a location whose projected stock already exceeds its
        capacity); empty when every row holds.
    capacity_price : (L,)
        Objective decrease per extra unit of room (volume) at each location (Lagrangian multipliers).
    budget_price : float
    """

    quantities: NDArray[np.float64]
    objective: float
    bound: float
    status: str
    backend: str
    solve_time: float
    iterations: int
    violations: tuple[RowCheck, ...]
    capacity_price: NDArray[np.float64]
    budget_price: float
    fallback_reason: str | None = None
    problem: NetworkRepairProblem = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def gap(self) -> float:
        """Certified relative gap ``(objective - bound) / |bound|`` (0 when both are 0)."""
        return relative_gap(self.objective, self.bound)

    @property
    def feasible(self) -> bool:
        """Whether every row holds."""
        return not self.violations

    @property
    def supplier_orders(self) -> NDArray[np.float64]:
        """(roots, SKUs), rows in ``network.roots`` order."""
        return self.quantities[self.problem.network.roots]

    @property
    def shipments(self) -> NDArray[np.float64]:
        """(non-roots, SKUs), rows in ``network.non_roots`` order."""
        return self.quantities[self.problem.network.non_roots]

    def decision(self) -> NetworkDecision:
        """The decisions for :meth:`NetworkSimulator.step` (``requested``: the desired shipments)."""
        net = self.problem.network
        return NetworkDecision(self.supplier_orders, self.shipments, self.problem.desired_input[net.non_roots])

    def to_dict(self) -> dict[str, object]:
        """Plain, JSON-friendly summary."""
        return {
            "backend": self.backend, "status": self.status, "objective": float(self.objective),
            "bound": float(self.bound), "gap": float(self.gap), "solve_time": float(self.solve_time),
            "iterations": int(self.iterations), "feasible": self.feasible,
            "violations": [v.__dict__.copy() for v in self.violations],
            "capacity_price": dict(zip(self.problem.network.names, map(float, self.capacity_price), strict=True)),
            "budget_price": float(self.budget_price), "fallback_reason": self.fallback_reason,
        }

    def explain(self) -> pd.DataFrame:
        """One row per location × SKU: why the quantity differs from the desired one.

        Columns ``location``, ``sku``, ``decision`` (``supplier_order`` or ``shipment``),
        ``desired``, ``quantity``, ``change``, ``reason`` (flags of :data:`NETWORK_REASONS`
        joined by ``+``; ``unchanged`` when equal, ``other`` when no rule explains it) and one
        boolean column per flag.
        """
        import pandas as pd

        problem = self.problem
        net = problem.network
        flags = network_reasons(problem, self.quantities)
        desired = problem.desired_input
        same = np.abs(self.quantities - desired) <= 1e-9
        reason = join_flags(flags, NETWORK_REASONS, none=labels_where(same, UNCHANGED, OTHER))
        n_loc, n = problem.shape
        kind = np.where(net.parent < 0, "supplier_order", "shipment")
        frame = pd.DataFrame({
            "location": np.repeat(np.array(net.names, dtype=object), n),
            "sku": np.tile(np.array(problem.skus, dtype=object), n_loc),
            "decision": np.repeat(kind, n),
            "desired": desired.reshape(-1),
            "quantity": self.quantities.reshape(-1),
            "change": (self.quantities - desired).reshape(-1),
            "reason": reason.reshape(-1),
        })
        for name in NETWORK_REASONS:
            frame[name] = flags[name].reshape(-1)
        return frame


def _best_whole(problem: NetworkRepairProblem) -> NDArray[np.float64]:
    d = problem.desired
    low = np.floor(d + 1e-9)
    frac = d - low
    return low + ((frac > 1e-9) & (problem.under_weight * frac > problem.over_weight * (1.0 - frac)))


def network_reasons(problem: NetworkRepairProblem, x: NDArray[np.float64]) -> dict[str, NDArray[np.bool_]]:
    """Boolean flags per location × SKU (see :data:`NETWORK_REASONS`).

    Supplier orders (roots) get the single-location flags (:func:`hybridinv.repair.result.explain_reasons`)
    of their orders under the budget and the room each root has after its shipments:
    ``max_order``, ``moq``, ``lot_rounding``, ``capacity``, ``budget``, ``negative_desired``.
    Shipments:

    * ``parent_stock``: below the best whole shipment and the parent has no unit of the SKU left;
    * ``capacity``: below it and the location's capacity row has no room for one more unit
      (or is over-full);
    * ``parent_capacity``: above it while the parent's capacity row is full (shipping out
      made room for the parent's own inflow);
    * ``lot_rounding``: the desired quantity is not a whole number;
    * ``negative_desired``: the desired quantity was negative (treated as 0).
    """
    net = problem.network
    shape = problem.shape
    flags = {name: np.zeros(shape, dtype=bool) for name in NETWORK_REASONS}
    changed = np.abs(x - problem.desired_input) > 1e-9
    flags["negative_desired"] = problem.desired_input < 0
    roots, k_rows = net.roots, net.non_roots
    # room left at each location (inf without a capacity; negative when already over full)
    room = np.minimum(problem.capacity_limit, problem.capacity_rhs) - problem.capacity_usage(x)
    root_room = problem.capacity_rhs[roots] + np.einsum("ln,n->l", problem.outflow(x)[roots], problem.volume)
    sub = root_problem(problem, np.where(np.isfinite(problem.capacity_limit[roots]), root_room, np.inf))
    root_flags = explain_reasons(sub, x[roots].reshape(-1))
    for name in ("max_order", "moq", "lot_rounding", "capacity", "budget"):
        flags[name][roots] = root_flags[name].reshape(roots.size, -1)
    if k_rows.size:
        best = _best_whole(problem)[k_rows]
        ship = x[k_rows]
        parent = net.parent[k_rows]
        left = (problem.on_hand - problem.outflow(x))[parent]
        below = ship < best - 1e-9
        tol = problem.capacity_tolerance()[k_rows]
        no_room = room[k_rows][:, None] < problem.volume[None, :] - tol[:, None]
        flags["parent_stock"][k_rows] = below & (left < 1.0 - 1e-9)
        flags["capacity"][k_rows] = below & no_room & (problem.volume[None, :] > 0)
        # full for this SKU: less room than one more unit of it (as the capacity flag reads it)
        parent_full = room[parent][:, None] < problem.volume[None, :] - problem.capacity_tolerance()[parent][:, None]
        flags["parent_capacity"][k_rows] = (ship > best + 1e-9) & parent_full
        d = problem.desired_input[k_rows]
        flags["lot_rounding"][k_rows] = changed[k_rows] & (np.abs(d - np.round(d)) > 1e-9) & (d > 0)
    return flags
