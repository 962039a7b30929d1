"""Results of a repair: orders, certificate, diagnostics and per-SKU explanations."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core import PlanningError
from hybridinv.core.constraints import supplier_of
from hybridinv.core.flags import join_flags, labels_where
from hybridinv.repair.inputs import same_skus
from hybridinv.repair.model import RepairProblem, RowKind

if TYPE_CHECKING:
    import pandas as pd

    from hybridinv.core import Catalog

__all__ = [
    "OTHER", "REASONS", "UNCHANGED", "ZERO_WEIGHT", "RepairDiagnostics", "RepairResult", "RowViolation",
    "certified_gap", "explain_reasons", "zero_weight",
]

#: Reason flags of :meth:`RepairResult.explain`, in the order they are joined.
REASONS: tuple[str, ...] = (
    "max_order",
    "moq",
    "lot_rounding",
    "capacity",
    "budget",
    "supplier_capacity",
    "negative_desired",
    "guardrail",
)

#: ``reason`` of an order equal to the desired quantity.
UNCHANGED = "unchanged"
#: ``reason`` of an order that differs from the desired quantity although no rule explains it.
OTHER = "other"
#: ``reason`` of an order that only rounds the desired quantity to whole units: up when no repair layer saw it
#: (no rule or constraint applies; :mod:`hybridinv.policies.explain`), to the cheaper neighbour after a repair.
ROUNDING = "rounding"
#: Added to ``reason`` (after the flags of :data:`REASONS`) where the order moved in a direction whose
#: weight is 0 (below the desired quantity with ``under_weight`` 0, above it with ``over_weight`` 0).
ZERO_WEIGHT = "zero_weight"

_ROW_REASON = {RowKind.CAPACITY: "capacity", RowKind.BUDGET: "budget", RowKind.SUPPLIER: "supplier_capacity"}


def certified_gap(objective: float, bound: float) -> float:
    """``(objective - bound) / objective``: 0 when they agree (or both are 0), ``inf`` for an objective that is
    not finite (``inf - bound`` passed the "they agree" test and read as a gap of 0)."""
    if not math.isfinite(objective):
        return math.inf
    diff = objective - bound
    if diff <= 1e-12 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-12)


@dataclass(frozen=True)
class RowViolation:
    """A constraint row the returned plan does not meet.

    Attributes
    ----------
    kind : str
        ``capacity``, ``budget`` or ``supplier_capacity``.
    name : str
        Row name, e.g. ``capacity[k=1]`` (receipt period 1) or ``supplier[acme]``.
    limit : float
        Right-hand side available for new orders (negative: already exceeded).
    usage : float
        Resource used by the plan's orders in the row.
    amount : float
        ``usage - limit`` (> 0).
    """

    kind: str
    name: str
    limit: float
    usage: float
    amount: float


@dataclass(frozen=True)
class RepairDiagnostics:
    """How a repair was solved and what the constraints cost.

    Attributes
    ----------
    backend : str
        Backend(s) that produced the plan, e.g. ``fast`` or ``fast+highs``.
    status : str
        ``optimal``, ``within_gap``, ``heuristic``, ``time_limit``, ...
    solve_time : float
        Wall-clock seconds in :func:`~hybridinv.repair.repair_orders`.
    iterations : int
        Multiplier evaluations (fast) plus branch-and-bound nodes (MILP).
    violations : tuple of RowViolation
        Rows the plan cannot meet (empty when the plan is feasible).
    capacity_price : array of float
        Per receipt period: objective decrease per extra unit of capacity (volume).
    budget_price : float
        Objective decrease per extra unit of budget.
    supplier_price : mapping of str to float
        Objective decrease per extra unit of each supplier's capacity.
    row_usage : mapping of str to float
        Resource used by the plan in each row.
    row_limit : mapping of str to float
        Limit of each row for the new orders.
    fallback_reason : str, optional
        Why the requested solver's plan was replaced by the fast plan (the
        solver is not installed, raised an exception or found no plan within
        the limits); ``None`` when no fallback happened. A
        :class:`hybridinv.SolverFallbackWarning` carries the same text.
    """

    backend: str
    status: str
    solve_time: float
    iterations: int
    violations: tuple[RowViolation, ...]
    capacity_price: NDArray[np.float64]
    budget_price: float
    supplier_price: Mapping[str, float]
    row_usage: Mapping[str, float]
    row_limit: Mapping[str, float]
    fallback_reason: str | None = None

    @property
    def feasible(self) -> bool:
        """Whether every constraint row holds."""
        return not self.violations

    def to_dict(self) -> dict[str, object]:
        """Plain, JSON-friendly form (for ``plan()`` attributes and logs)."""
        return {
            "backend": self.backend,
            "status": self.status,
            "solve_time": float(self.solve_time),
            "iterations": int(self.iterations),
            "feasible": self.feasible,
            "violations": [
                {field: _plain(getattr(v, field)) for field in v.__dataclass_fields__} for v in self.violations
            ],
            "capacity_price": [float(x) for x in np.asarray(self.capacity_price).reshape(-1)],
            "budget_price": float(self.budget_price),
            "supplier_price": {k: float(v) for k, v in self.supplier_price.items()},
            "row_usage": {k: float(v) for k, v in self.row_usage.items()},
            "row_limit": {k: float(v) for k, v in self.row_limit.items()},
            "fallback_reason": self.fallback_reason,
        }


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


@dataclass(frozen=True, eq=False)
class RepairResult:
    """Integer orders from :func:`~hybridinv.repair.repair_orders` with their certificate.

    Attributes
    ----------
    orders : array of float, shape (n,)
        Order quantity per SKU (whole multiples of the lot size), catalog order.
    objective : float
        Weighted deviation of ``orders`` from the desired quantities (with
        bounds too: the original objective, not the residual one).
    bound : float
        A valid lower bound on the optimal objective.
    diagnostics : RepairDiagnostics
    problem : RepairProblem
        The formulation that was solved (for explanations); with bounds, the
        residual problem (``problem.base`` is the unbounded one).
    """

    orders: NDArray[np.float64]
    objective: float
    bound: float
    diagnostics: RepairDiagnostics
    problem: RepairProblem = field(repr=False)

    @property
    def gap(self) -> float:
        """Certified relative gap ``(objective - bound) / objective`` (:func:`certified_gap`)."""
        return certified_gap(self.objective, self.bound)

    def priced_use(self) -> NDArray[np.float64]:
        """Each SKU's use of the coupling rows at the rows' prices, catalog order.

        ``sum_r price_r * use_ir``: the resource SKU ``i``'s order takes from each capacity,
        budget and supplier row times that row's price in :attr:`diagnostics`
        (``capacity_price``, ``budget_price``, ``supplier_price``: what one more unit of the
        resource is worth to the repair's objective). It is what the order costs the other SKUs
        at the margin: 0 where no row binds, and 0 for a row whose backend gave no prices.
        """
        problem = self.problem.base if self.problem.base is not None else self.problem
        lots = self.orders / problem.lot_size
        charge = np.zeros_like(lots)
        for group, price in zip(problem.groups, row_prices(problem, self.diagnostics), strict=True):
            if price is None:  # no prices from this backend
                continue
            inside = group.member >= 0
            charge[inside] += price[group.member[inside]] * group.coef[inside] * lots[inside]
        return charge

    def explain(self, catalog: Catalog) -> pd.DataFrame:
        """One row per SKU: why the order differs from the desired quantity.

        Columns ``sku``, ``desired``, ``order_qty``, ``change``, ``reason`` (flags
        joined by ``+``; ``unchanged`` when the order equals the desired quantity,
        ``other`` when no rule explains the difference) and one boolean column per
        flag in :data:`REASONS`. ``zero_weight`` (:func:`zero_weight`) ends ``reason``
        where the order moved in a direction that costs nothing: a SKU with
        ``under_weight = 0`` cut to 0 without any binding row was ``other``, "a
        trade-off between SKUs", though no other SKU gained anything from it.

        Raises
        ------
        PlanningError
            When ``catalog`` is not the catalog the repair was run with.
        """
        import pandas as pd

        reasons = self.reasons(catalog)  # first: it refuses another catalog
        desired = self.problem.desired_input
        columns: dict[str, NDArray[Any]] = {
            "sku": catalog.sku,
            "desired": desired,
            "order_qty": self.orders,
            "change": self.orders - desired,
        }
        return pd.DataFrame({**columns, **reasons})

    def reasons(self, catalog: Catalog) -> dict[str, NDArray[Any]]:
        """The ``reason`` column and the flag columns of :meth:`explain`, as arrays (no DataFrame).

        Raises
        ------
        PlanningError
            When ``catalog`` is not the catalog the repair was run with.
        """
        if not hasattr(catalog, "sku") or not same_skus(catalog.sku, self.problem.sku):  # None: AttributeError
            raise PlanningError("explain() needs the catalog the repair was run with", column="sku")
        base = self.problem.base if self.problem.base is not None else self.problem
        flags = explain_reasons(self.problem, self.orders, row_prices(base, self.diagnostics))
        same = np.abs(self.orders - self.problem.desired_input) <= 1e-9
        flags[ZERO_WEIGHT] = zero_weight(self.problem, self.orders)
        # an order that only rounds a fractional desired quantity to whole units (no lot size): as when no repair
        # runs, "rounding" (it was lot_rounding, naming a lot size the SKU does not have)
        whole = (np.abs(self.orders - self.problem.desired_input) < 1.0) & (self.problem.lot_size == 1.0)
        none = labels_where(same, UNCHANGED, OTHER)
        none[~same & whole] = ROUNDING
        reason = join_flags(flags, (*REASONS, ZERO_WEIGHT), none=none)
        return {"reason": reason, **{name: flags[name] for name in REASONS}}


def _free_optimum(problem: RepairProblem) -> NDArray[np.float64]:
    """Best lots per SKU under the ordering rules alone (no coupling rows)."""
    lot, upper = problem.lot_size, problem.free_upper_lots
    active = upper >= 1
    ratio = problem.desired / lot
    lo = problem.min_lots
    # whole lot counts: a selection by multiplying with a mask is exact (and a random-mask copyto is slow)
    options = (
        np.minimum(lo, upper) * active,
        np.clip(np.floor(ratio + 1e-9), lo, upper) * active,
        np.clip(np.ceil(ratio - 1e-9), lo, upper) * active,
    )
    best = np.zeros_like(lot)
    best_cost = problem.deviation_cost(best)
    for option in options:  # the first of equal costs wins, as with argmin over the stacked options
        cost = problem.deviation_cost(option)
        better = cost < best_cost
        np.minimum(best_cost, cost, out=best_cost)
        cost = np.subtract(option, best, out=cost)
        cost *= better
        best += cost
    return best


def zero_weight(problem: RepairProblem, orders: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Where the order moved from the desired quantity in a direction whose weight is 0.

    Below ``max(desired, 0)`` with ``under_weight`` 0 or above it with ``over_weight`` 0:
    the repair's objective does not see the change, so no rule, row or other SKU is needed
    to explain it (``problem`` may be a bounded problem; ``orders`` are total orders).
    """
    base = problem.base if problem.base is not None else problem
    target = base.desired
    below = (orders < target - 1e-9) & (base.under_weight == 0.0)
    above = (orders > target + 1e-9) & (base.over_weight == 0.0)
    return np.asarray(below | above, dtype=bool)


def row_prices(problem: RepairProblem, diagnostics: RepairDiagnostics) -> list[NDArray[np.float64] | None]:
    """The shadow price of every row of each of ``problem``'s groups (None where the backend gave none)."""
    out: list[NDArray[np.float64] | None] = []
    for group in problem.groups:
        if group.kind is RowKind.CAPACITY:
            price = np.asarray(diagnostics.capacity_price, dtype=np.float64)
        elif group.kind is RowKind.BUDGET:
            price = np.full(group.n_rows, diagnostics.budget_price)
        else:
            price = np.array([diagnostics.supplier_price.get(supplier_of(name), 0.0) for name in group.names])
        out.append(price if price.size == group.n_rows else None)
    return out


def explain_reasons(
    problem: RepairProblem, orders: NDArray[np.float64], prices: list[NDArray[np.float64] | None] | None = None,
) -> dict[str, NDArray[np.bool_]]:
    """Boolean reason flags per SKU (see :data:`REASONS`).

    * ``max_order``: the desired quantity exceeds the largest whole-lot order.
    * ``moq``: the desired quantity is positive but below the minimum order.
    * ``lot_rounding``: the desired quantity (within the MOQ and max order) is not
      a whole number of lots.
    * ``capacity`` / ``budget`` / ``supplier_capacity``: the order is below the
      best order under the rules alone and the SKU's row of that kind has no room
      for the SKU's next lot (or the minimum order), is over-used, or has a shadow price above 0
      in ``prices`` (one array per group of the base problem, as :func:`row_prices` gives): a priced row is
      scarce even when the plan, within its gap, left a sliver of it (until 2026-12-06 such a cut read
      ``other``, and the label flipped with the backend for the same order).
    * ``negative_desired``: the desired quantity was negative (treated as 0).
    * ``guardrail``: a per-SKU bound (``lower``/``upper`` of
      :func:`~hybridinv.repair.repair_orders`) changed the best order under the
      rules alone; the row flags then compare with the best order within the bounds.

    ``problem`` may be a bounded (residual) problem; ``orders`` are total orders.
    """
    base = problem.base if problem.base is not None else problem
    bounded_best = problem.total_lots(_free_optimum(problem))
    rules_best = bounded_best if base is problem and problem.reserved_lots is None else _free_optimum(base)
    flags = _rule_flags(base, orders, bounded_best, prices)
    changed = np.abs(orders - base.desired_input) > 1e-9
    flags["guardrail"] = changed & (np.abs(bounded_best - rules_best) > 1e-9)
    return flags


def _rule_flags(
    problem: RepairProblem, orders: NDArray[np.float64], best: NDArray[np.float64],
    prices: list[NDArray[np.float64] | None] | None = None,
) -> dict[str, NDArray[np.bool_]]:
    """Flags of :func:`explain_reasons` except ``guardrail`` (``best``: best lots without rows)."""
    lot = problem.lot_size
    desired = problem.desired_input
    target = problem.desired
    lots = orders / lot
    changed = np.abs(orders - desired) > 1e-9
    max_units = problem.max_lots * lot
    moq_units = np.where(problem.min_lots > 1, problem.min_lots * lot, 0.0)
    ratio = target / lot
    off_grid = np.abs(ratio - np.round(ratio)) > 1e-9
    flags: dict[str, NDArray[np.bool_]] = {
        "max_order": changed & (target > max_units + 1e-9),
        "moq": changed & (target > 0) & (target < moq_units - 1e-9),
        # a lot of one unit is no lot rule: rounding to whole units is reason "rounding" (reasons()), not a
        # lot_size a planner could lower
        "lot_rounding": changed & off_grid & (lot > 1) & (target >= moq_units - 1e-9) & (target <= max_units + 1e-9),
        "negative_desired": desired < 0,
    }
    reduced = lots < best - 1e-9
    next_step = np.where(lots < 0.5, problem.min_lots, 1.0)
    for name in ("capacity", "budget", "supplier_capacity"):
        flags[name] = np.zeros(problem.n_skus, dtype=bool)
    for k, group in enumerate(problem.groups):
        inside = (group.member >= 0) & (group.coef > 0)
        row = np.maximum(group.member, 0)
        usage = group.usage(lots)
        slack = group.limit - usage
        tol = 1e-9 * np.maximum(1.0, np.abs(group.limit))
        full = slack[row] < group.coef * next_step - tol[row]
        price = None if prices is None else prices[k]
        if price is not None:
            full |= price[row] > 1e-9
        flags[_ROW_REASON[group.kind]] |= reduced & inside & full
    return flags
