"""Array formulation of the repair problem, shared by every backend.

The repair chooses, for each SKU ``i``, a number of lots ``m_i`` (the order is
``q_i = lot_size_i * m_i``) in ``{0} ∪ [min_lots_i, upper_lots_i]`` and minimises
the weighted deviation from the desired quantity ``d_i``::

    f_i(m) = under_weight_i * (d_i - q_i)^+ + over_weight_i * (q_i - d_i)^+

subject to a handful of *coupling rows* ``sum_i coef_gi * m_i <= rhs_gr`` grouped by
kind (capacity per receipt period, budget, supplier). Within a group every SKU
belongs to at most one row, which is what the fast path exploits.

This module knows nothing about solvers: it exposes numpy arrays (objective,
bounds, integrality, row-wise CSR matrix, row bounds) through :func:`milp_arrays`,
and each backend hands them to its solver.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.feasibility import largest_per_row, row_tolerance
from hybridinv.core.lots import lots_covering, lots_within

__all__ = [
    "ROW_TOLERANCE",
    "BackendSolution",
    "MilpArrays",
    "RepairProblem",
    "RowGroup",
    "RowKind",
    "VarKind",
    "milp_arrays",
]

#: Relative tolerance used when turning a real-valued bound into whole lots.
_FLOOR_TOL = 1e-9
#: Relative feasibility tolerance of the network repair's coupling rows (:mod:`hybridinv.network.repair_model`);
#: the single-site rows use check_orders' rule (:meth:`RowGroup.tolerance`).
ROW_TOLERANCE = 1e-9


class RowKind(StrEnum):
    """Kind of a coupling row group."""

    CAPACITY = "capacity"
    BUDGET = "budget"
    SUPPLIER = "supplier_capacity"


class VarKind(IntEnum):
    """Column type in :class:`MilpArrays` (mapped to solver codes by each backend)."""

    CONTINUOUS = 0
    INTEGER = 1
    SEMI_INTEGER = 2


@dataclass(frozen=True, eq=False)
class RowGroup:
    """Coupling rows of one kind; each SKU belongs to at most one row of the group.

    Attributes
    ----------
    kind : RowKind
    names : tuple of str
        One name per row (``capacity[k=2]``, ``budget``, ``supplier[acme]``).
    member : array of int, shape (n,)
        Row of each SKU within the group, ``-1`` when the SKU is not in any row.
    coef : array of float, shape (n,)
        Resource used per *lot* of the SKU (0 where ``member == -1``).
    limit : array of float, shape (R,)
        Right-hand side as given (a capacity residual may be negative).
    scale : array of float, shape (R,), optional
        Size of the numbers the limit was computed from (the capacity, the
        budget, a supplier's capacity), for the feasibility tolerance
        (:meth:`tolerance`); ``None``: ``|limit|``.
    """

    kind: RowKind
    names: tuple[str, ...]
    member: NDArray[np.int64]
    coef: NDArray[np.float64]
    limit: NDArray[np.float64]
    scale: NDArray[np.float64] | None = None

    @property
    def n_rows(self) -> int:
        """Number of rows in the group."""
        return int(self.limit.size)

    @cached_property
    def rhs(self) -> NDArray[np.float64]:
        """Right-hand side used by the solvers: the limit floored at 0.

        A negative capacity residual cannot be met by any order; the solvers then
        order nothing that uses the row and the violation is reported.
        """
        return np.maximum(self.limit, 0.0)

    def tolerance(self) -> NDArray[np.float64]:
        """Usage above :attr:`rhs` accepted as rounding noise, per row.

        :func:`hybridinv.core.feasibility.row_tolerance`, the rule :func:`~hybridinv.core.check_orders`
        judges a plan by, with the row's scale (at least :attr:`rhs`) and one lot's usage (the largest
        ``coef`` of the row): ``1e-12 * max(scale, rhs) + 1e-9 * lot``. The scale here is never larger
        than check_orders' (which adds the stock volume to a capacity's), so every plan within this
        tolerance passes check_orders. Until 2026-12-04 it was ``1e-9 * min(max(1, rhs), max(rhs,
        scale))``, a thousand times looser on large rows: the add-back filled that band, so a budget
        of 1e9 was overspent by 1 with two units at 0.5, and ``plan()`` at 1,000,000 SKUs stopped with
        "the repaired orders still break budget" (0.21 over 264,194,030.35).
        """
        scale = np.abs(self.limit) if self.scale is None else self.scale
        return row_tolerance(np.maximum(scale, self.rhs), self.rhs, self._lot_usage)

    @cached_property
    def _lot_usage(self) -> NDArray[np.float64]:
        """The largest usage of one lot in each row (0 for a row without SKUs)."""
        inside = self.member >= 0
        return largest_per_row(self.member[inside], np.abs(self.coef[inside]), self.n_rows)

    @cached_property
    def dense(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Every SKU's row (0 outside the group) and resource per lot (0 outside the group).

        Arrays over all SKUs, so that a row's usage is one ``bincount`` without masked gathers
        (those cost 5 times the product at a million SKUs).
        """
        inside = self.member >= 0
        return np.where(inside, self.member, 0), np.where(inside, self.coef, 0.0)

    def usage(self, lots: NDArray[np.float64]) -> NDArray[np.float64]:
        """Resource used in each row by an order of ``lots``."""
        if self.n_rows == 0:
            return np.zeros(0)
        row, coef = self.dense  # a SKU outside adds 0.0 to row 0: the same sums as over the members alone
        return np.bincount(row, weights=coef * lots, minlength=self.n_rows).astype(np.float64)


@dataclass(frozen=True, eq=False)
class RepairProblem:
    """The repair problem as numpy arrays (all aligned with the catalog).

    Attributes
    ----------
    sku : array of str
    desired_input : array of float
        Desired order quantities as given (may be fractional or negative).
    desired : array of float
        ``max(desired_input, 0)``: the target ``d`` of the deviation cost.
    lot_size : array of float
        Units per lot ``L`` (>= 1).
    under_weight, over_weight : array of float
        Cost per unit ordered below / above the target.
    min_lots : array of float
        Smallest positive order in lots (``max(moq / L, 1)``).
    max_lots : array of float
        Catalog maximum order in whole lots (``floor(max_order / L)``, may be inf).
    free_upper_lots : array of float
        Tight upper bound without coupling rows:
        ``min(max_lots, max(min_lots, ceil(d / L)))`` (0 when ``d = 0``); ordering
        more is never better because every row has non-negative coefficients.
    upper_lots : array of float
        ``free_upper_lots`` further tightened by each coupling row alone; 0 when no
        positive order fits (the SKU is then fixed at 0). Otherwise ``>= min_lots``.
    groups : tuple of RowGroup
        Coupling rows with a finite limit (capacity, budget, supplier).
    reserved_lots : array of float, optional
        Lots fixed in advance by per-SKU lower bounds (see :meth:`with_bounds`).
        The arrays above then describe the *residual* problem over the lots
        ``m_i`` ordered on top of them: the total order is
        ``lot_size * (reserved_lots + m)`` (:meth:`total_lots`). ``None``: no
        reserved lots.
    objective_offset : float
        Constant added to :meth:`objective` to obtain the deviation cost of the
        total order from the original desired quantities (0 without bounds).
    base : RepairProblem, optional
        The same problem without the per-SKU bounds (original targets, catalog
        maximum orders and row limits); ``None`` when no bound was given.
    """

    sku: NDArray[np.object_]
    desired_input: NDArray[np.float64]
    desired: NDArray[np.float64]
    lot_size: NDArray[np.float64]
    under_weight: NDArray[np.float64]
    over_weight: NDArray[np.float64]
    min_lots: NDArray[np.float64]
    max_lots: NDArray[np.float64]
    free_upper_lots: NDArray[np.float64]
    upper_lots: NDArray[np.float64]
    groups: tuple[RowGroup, ...]
    reserved_lots: NDArray[np.float64] | None = None
    objective_offset: float = 0.0
    base: RepairProblem | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(
        cls,
        sku: NDArray[np.object_],
        desired: NDArray[np.float64],
        lot_size: NDArray[np.float64],
        moq: NDArray[np.float64],
        max_order: NDArray[np.float64],
        under_weight: NDArray[np.float64],
        over_weight: NDArray[np.float64],
        groups: tuple[RowGroup, ...],
    ) -> RepairProblem:
        """Derive lot bounds from validated arrays (see the attribute docs)."""
        target = np.maximum(desired, 0.0)
        lot = np.asarray(lot_size, dtype=np.float64)
        min_lots = np.maximum(np.round(moq / lot), 1.0)
        max_lots = np.where(np.isfinite(max_order), lots_within(max_order, lot), np.inf)
        free_upper, upper = _lot_bounds(target, lot, min_lots, max_lots, groups)
        return cls(
            sku=sku,
            desired_input=np.asarray(desired, dtype=np.float64),
            desired=target,
            lot_size=lot,
            under_weight=np.asarray(under_weight, dtype=np.float64),
            over_weight=np.asarray(over_weight, dtype=np.float64),
            min_lots=min_lots,
            max_lots=max_lots,
            free_upper_lots=free_upper,
            upper_lots=upper,
            groups=groups,
        )

    def with_bounds(self, reserved_lots: NDArray[np.float64], max_lots: NDArray[np.float64]) -> RepairProblem:
        """Residual problem for per-SKU bounds on the total lots (exact reformulation).

        A SKU with ``reserved_lots_i = r_i > 0`` must order at least ``r_i`` lots
        (``r_i >= min_lots_i``, so its MOQ gap disappears): its total order is
        ``L_i (r_i + m_i)`` with ``m_i`` a whole number in ``[0, max_lots_i - r_i]``.
        The residual problem has target ``(d_i - L_i r_i)^+``, minimum 1 lot for
        those SKUs, every row limit reduced by the reserved usage, and
        :attr:`objective_offset` ``= sum_i over_weight_i (L_i r_i - d_i)^+`` so
        that ``objective(m) + objective_offset`` is the original deviation cost
        of the total order (the deviation cost is linear in ``m`` above ``d_i``).

        Parameters
        ----------
        reserved_lots : array of float
            ``0`` or a whole number ``>= min_lots`` per SKU.
        max_lots : array of float
            Largest total lots per SKU (``<= self.max_lots``, ``>= reserved_lots``;
            below ``min_lots`` the SKU can only order 0).

        Returns
        -------
        RepairProblem
            With :attr:`base` set to ``self``.
        """
        reserved = np.asarray(reserved_lots, dtype=np.float64)
        units = self.lot_size * reserved
        target = np.maximum(self.desired - units, 0.0)
        offset = float((self.over_weight * np.maximum(units - self.desired, 0.0)).sum())
        min_lots = np.where(reserved > 0, 1.0, self.min_lots)
        cap = np.asarray(max_lots, dtype=np.float64) - reserved
        groups = tuple(
            replace(g, limit=g.limit - g.usage(reserved), scale=np.abs(g.limit) if g.scale is None else g.scale)
            for g in self.groups
        )
        free_upper, upper = _lot_bounds(target, self.lot_size, min_lots, cap, groups)
        return replace(
            self,
            desired=target,
            min_lots=min_lots,
            max_lots=cap,
            free_upper_lots=free_upper,
            upper_lots=upper,
            groups=groups,
            reserved_lots=reserved,
            objective_offset=offset,
            base=self,
        )

    def total_lots(self, lots: NDArray[np.float64]) -> NDArray[np.float64]:
        """Total lots of a (residual) plan: ``reserved_lots + lots``."""
        return lots if self.reserved_lots is None else self.reserved_lots + lots

    def total_objective(self, lots: NDArray[np.float64]) -> float:
        """Deviation cost of the total order from the original desired quantities."""
        return self.objective(lots) + self.objective_offset

    def for_prices(self) -> RepairProblem:
        """This problem without the bounds each coupling row implies alone (``upper_lots = free_upper_lots``).

        The implied bounds tighten the Lagrangian bound and the MILP, but a SKU held at a bound that a row
        implies carries the row's price on that bound, which is degenerate: one more unit of the row raises the
        bound too. Shadow prices are read from this problem: until 2026-12-06 a repair whose lower bounds left
        3 units of budget, which the one SKU that could use them took to its implied bound of 3 lots, priced
        the budget at 0 where one more unit was worth 105 (``plan()`` after a build-ahead, both backends).
        A SKU whose smallest order does not fit what a row has left (``upper_lots`` 0) stays at 0: freed, the
        relaxation let it take a fraction of the row and priced a budget 50 units short of being used at 7 a
        unit. (So a row that reserved lots use up exactly is priced 0 even where a one-unit lot could use one
        more unit of it: the price of the relaxation, not of the whole-lot plan.)
        """
        upper = np.where(self.upper_lots > 0, self.free_upper_lots, 0.0)
        if np.array_equal(self.upper_lots, upper):
            return self
        return replace(self, upper_lots=upper)

    # ------------------------------------------------------------------ sizes and rows
    @property
    def n_skus(self) -> int:
        """Number of SKUs."""
        return int(self.sku.size)

    @property
    def n_rows(self) -> int:
        """Number of coupling rows over all groups."""
        return sum(g.n_rows for g in self.groups)

    def group(self, kind: RowKind) -> RowGroup | None:
        """The group of the given kind, if the problem has one."""
        for g in self.groups:
            if g.kind is kind:
                return g
        return None

    def row_limits(self) -> NDArray[np.float64]:
        """Limits of all coupling rows (as given), group after group."""
        return np.concatenate([g.limit for g in self.groups]) if self.groups else np.zeros(0)

    def row_usage(self, lots: NDArray[np.float64]) -> NDArray[np.float64]:
        """Resource used in every coupling row by ``lots``."""
        return np.concatenate([g.usage(lots) for g in self.groups]) if self.groups else np.zeros(0)

    def coupling_row_factor(self) -> NDArray[np.float64]:
        """Factor each coupling row is multiplied by before it goes to a MILP solver.

        Rows with ``0 < rhs < 1`` are divided by their right-hand side: solvers
        hold rows to an *absolute* feasibility tolerance (HiGHS and CBC: 1e-7),
        which for a capacity of 1e-6 accepts 10 % too much. Other rows keep
        factor 1. A row's dual in the scaled model times the factor is its price.
        """
        if not self.groups:
            return np.zeros(0)
        rhs = np.concatenate([g.rhs for g in self.groups])
        # a subnormal rhs stays unscaled (1 / rhs overflows); nothing with a positive coefficient fits it
        scaled = (rhs >= np.finfo(np.float64).tiny) & (rhs < 1)
        return np.where(scaled, 1.0 / np.where(scaled, rhs, 1.0), 1.0)

    def coupling_csr(self, scaled: bool = False) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.float64]]:
        """Row-wise CSR ``(indptr, indices, data)`` of the coupling rows over the lot columns.

        With ``scaled`` the rows are multiplied by :meth:`coupling_row_factor` and
        the entries of columns fixed at 0 (``upper_lots == 0``) are left out, so a
        column that cannot order does not widen the row's coefficient range.
        """
        rows, cols, vals = [], [], []
        offset = 0
        factor = self.coupling_row_factor() if scaled else None
        for g in self.groups:
            keep = (g.member >= 0) & (g.coef != 0)
            if factor is not None:
                keep &= self.upper_lots > 0
            idx = np.flatnonzero(keep)
            rows.append(g.member[idx] + offset)
            cols.append(idx)
            vals.append(g.coef[idx] if factor is None else g.coef[idx] * factor[g.member[idx] + offset])
            offset += g.n_rows
        if not rows:
            return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0)
        row = np.concatenate(rows)
        col = np.concatenate(cols)
        val = np.concatenate(vals)
        order = np.argsort(row, kind="stable")
        indptr = np.zeros(offset + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=offset), out=indptr[1:])
        return indptr, col[order].astype(np.int32), val[order]

    # ------------------------------------------------------------------ objective
    def deviation_cost(self, lots: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per-SKU deviation cost ``f_i(m_i)`` of an order of ``lots``."""
        gap = self.lot_size * lots
        np.subtract(self.desired, gap, out=gap)  # units short (> 0) or over (< 0); in place: called often
        cost = np.maximum(gap, 0.0)
        cost *= self.under_weight
        np.minimum(gap, 0.0, out=gap)
        gap *= self.over_weight
        cost -= gap
        return cost

    def deviation_cost_at(self, sku: NDArray[np.int64], lots: NDArray[np.float64]) -> NDArray[np.float64]:
        """:meth:`deviation_cost` of the SKUs ``sku`` only, with ``lots[j]`` lots of SKU ``sku[j]``."""
        gap = self.desired[sku] - self.lot_size[sku] * lots
        return np.where(gap > 0, self.under_weight[sku] * gap, -self.over_weight[sku] * gap)

    def objective(self, lots: NDArray[np.float64]) -> float:
        """Total deviation cost of ``lots``."""
        return float(self.deviation_cost(lots).sum())

    def lot_feasible(self, lots: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Per-SKU check of the ordering rules: whole lots, 0 or within [min_lots, max_lots]."""
        whole = np.abs(lots - np.round(lots)) <= 1e-9
        inside = (lots >= self.min_lots - 1e-9) & (lots <= self.max_lots + 1e-9)
        return whole & ((np.abs(lots) <= 1e-9) | inside)

    def zero_lots(self) -> NDArray[np.float64]:
        """The empty order (always feasible once negative capacity residuals are floored)."""
        return np.zeros(self.n_skus)


def _lot_bounds(
    target: NDArray[np.float64],
    lot: NDArray[np.float64],
    min_lots: NDArray[np.float64],
    max_lots: NDArray[np.float64],
    groups: tuple[RowGroup, ...],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(free_upper_lots, upper_lots)`` (see :class:`RepairProblem`)."""
    ceil_lots = lots_covering(target, lot)
    free_upper = np.minimum(max_lots, np.maximum(min_lots, ceil_lots))
    free_upper = np.where(target > 0, free_upper, 0.0)
    upper = free_upper.copy()
    for group in groups:
        row, coef = group.dense  # coef 0 outside the group: no bound there
        implied = np.divide(group.rhs[row], coef, out=np.full(lot.shape, np.inf), where=coef > 0)
        implied *= 1 + 1e-12
        implied += _FLOOR_TOL
        upper = np.minimum(upper, np.floor(implied, out=implied), out=upper)
    upper = np.where(upper >= min_lots, upper, 0.0)
    return free_upper, upper


@dataclass(frozen=True, eq=False)
class MilpArrays:
    """The MILP in array form over columns ``[m (n lots), o (n surplus units)]``.

    ``minimize offset + c @ x`` subject to ``row_lower <= A x <= row_upper`` and
    ``col_lower <= x <= col_upper``. With ``u = d - q + o`` the objective
    ``under * u + over * o`` becomes ``under * d - under * L * m + (under + over) * o``
    with the single row ``o - L * m >= -d`` per SKU, so no shortfall column is needed.
    ``A`` is row-wise CSR: the ``n`` deviation rows first, then the coupling rows,
    each multiplied by ``row_factor`` (:meth:`RepairProblem.coupling_row_factor`).
    Semi-integer lot columns take 0 or a whole number in ``[col_lower, col_upper]``.
    """

    cost: NDArray[np.float64]
    col_lower: NDArray[np.float64]
    col_upper: NDArray[np.float64]
    kind: NDArray[np.int8]
    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    data: NDArray[np.float64]
    row_lower: NDArray[np.float64]
    row_upper: NDArray[np.float64]
    offset: float
    n_skus: int
    row_factor: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    @property
    def n_cols(self) -> int:
        """Number of columns (``2 n``)."""
        return int(self.cost.size)

    @property
    def n_rows(self) -> int:
        """Number of rows (``n`` deviation rows plus the coupling rows)."""
        return int(self.row_lower.size)


def milp_arrays(problem: RepairProblem, *, relax: bool = False) -> MilpArrays:
    """Array form of the repair MILP (or of its LP relaxation when ``relax``).

    The lot column ``m_i`` is integer on ``[0, upper_lots_i]`` when there is no
    minimum above one lot, semi-integer on ``{0} ∪ [min_lots_i, upper_lots_i]``
    otherwise (no big-M binaries), and fixed at 0 when ``upper_lots_i = 0``.
    The relaxation replaces both by the continuous interval ``[0, upper_lots_i]``.
    """
    n = problem.n_skus
    lot, under, over = problem.lot_size, problem.under_weight, problem.over_weight
    cost = np.concatenate([-under * lot, under + over])
    upper = problem.upper_lots
    semi = (problem.min_lots > 1) & (upper > 0)
    m_lower = np.where(semi, problem.min_lots, 0.0)
    kind = np.full(2 * n, VarKind.CONTINUOUS, dtype=np.int8)
    if not relax:
        kind[:n] = np.where(semi, VarKind.SEMI_INTEGER, VarKind.INTEGER)
    else:
        m_lower = np.zeros(n)
    col_lower = np.concatenate([m_lower, np.zeros(n)])
    surplus_cap = np.maximum(lot * upper - problem.desired, 0.0)
    col_upper = np.concatenate([upper, surplus_cap])
    # deviation rows: o_i - L_i m_i >= -d_i  (columns m_i then o_i: sorted indices)
    dev_indptr = np.arange(0, 2 * n + 1, 2, dtype=np.int64)
    dev_indices = np.empty(2 * n, dtype=np.int32)
    dev_indices[0::2] = np.arange(n)
    dev_indices[1::2] = np.arange(n, 2 * n)
    dev_data = np.empty(2 * n)
    dev_data[0::2] = -lot
    dev_data[1::2] = 1.0
    c_indptr, c_indices, c_data = problem.coupling_csr(scaled=True)
    indptr = np.concatenate([dev_indptr, c_indptr[1:] + dev_indptr[-1]])
    factor = problem.coupling_row_factor()
    rhs = np.concatenate([g.rhs for g in problem.groups]) * factor if problem.groups else np.zeros(0)
    return MilpArrays(
        cost=cost,
        col_lower=col_lower,
        col_upper=col_upper,
        kind=kind,
        indptr=indptr,
        indices=np.concatenate([dev_indices, c_indices]),
        data=np.concatenate([dev_data, c_data]),
        row_lower=np.concatenate([-problem.desired, np.full(rhs.size, -np.inf)]),
        row_upper=np.concatenate([np.full(n, np.inf), rhs]),
        offset=float((under * problem.desired).sum()),
        n_skus=n,
        row_factor=factor,
    )


@dataclass(frozen=True, eq=False)
class BackendSolution:
    """What a backend hands back to :func:`hybridinv.repair.repair_orders`.

    Attributes
    ----------
    lots : array of float, shape (n,)
        Whole lots per SKU, feasible for the floored rows.
    bound : float
        A valid lower bound on the optimal objective.
    status : str
        ``optimal``, ``gap_limit``, ``time_limit``, ``heuristic`` or a solver status.
    prices : tuple of arrays
        Shadow price of each coupling row, one array per group of the problem
        (objective decrease per unit of extra right-hand side, >= 0).
    iterations : int
        Multiplier iterations (fast) or branch-and-bound nodes (MILP).
    backend : str
    fallback_reason : str, optional
        Why the requested solver's plan was replaced by the fast plan (solver
        missing, failed or without a plan); ``None`` when it was not.
    """

    lots: NDArray[np.float64]
    bound: float
    status: str
    prices: tuple[NDArray[np.float64], ...]
    iterations: int
    backend: str
    fallback_reason: str | None = None
