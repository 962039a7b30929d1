"""Primal fix-up of the fast path: turn a Lagrangian plan into a feasible one.

Vectorized phases (sorting and cumulative sums, no per-SKU loops):

1. **Reduce.** For each group (capacity rows, budget, supplier rows) and each
   over-used row, give up hull segments in order of increasing cost per unit of
   the row's resource (a SKU's rightmost segment is always its cheapest to give
   up), stopping once the row holds; the last segment is cut lot by lot when its
   intermediate lot counts are feasible. Rows only lose usage, so rows fixed
   earlier stay fixed.
2. **Add back.** Repeatedly offer each SKU its next improving move (0 → minimum
   order, up the linear part to the lots just below the desired quantity, one
   more lot to just above), ranked by deviation cost saved per unit of priced
   resource (the Lagrangian prices), and accept moves while each row's
   cumulative demand, counting every earlier candidate in full, fits its slack.
   The acceptance is conservative, so rows never become over-used. A move's
   follow-up that wants more than 5% of a row's limit (a large SKU's climb after
   its minimum order) reserves its room at its own rank in the same pass.
   When the result is still not within the accepted gap (``good_enough``), a
   second plan is filled from nothing along the hull segments with row pressure
   in the ranking (:mod:`hybridinv.repair.greedy`, for degenerate prices) and
   the better plan is kept.
3. **Local search** (:func:`improve_lots`). Among the most promising "give up"
   and "add" moves, apply the best pair whose swap fits every row and lowers the
   cost; when no pair improves, force one of the few most valuable blocked moves
   in (typically a minimum order) and reduce the others to make room. Each move
   is followed by add-back. Useful for small catalogs with chunky MOQs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from hybridinv.repair.greedy import PRESSURE_SHARES, fill_segments, ranking_prices
from hybridinv.repair.hull import SegmentTable, lower_hull
from hybridinv.repair.model import RepairProblem, RowGroup

__all__ = ["breaks_a_row", "improve_lots", "make_feasible", "repair_lots"]

_ADD_PASSES = 8
_EXCHANGE_POOL = 24  # candidates per side of an exchange round
_INSERT_POOL = 3  # forced insertions tried when no exchange improves
_INSERT_PASSES = 3  # add-back passes after each trial insertion
_INSERT_ROUNDS = 2  # insertion moves per local search (each costs _INSERT_POOL repairs)
_TOL = 1e-9
_RESERVE_SHARE = 0.05  # a follow-up reserves its room when it wants more than this share of a row's limit


def _cumsum_by_row(row: NDArray[np.int64], amount: NDArray[np.float64], n_rows: int) -> NDArray[np.float64]:
    """Inclusive cumulative sum of ``amount`` within each row, in the given order."""
    if n_rows == 1:
        return np.cumsum(amount)
    if n_rows <= 16:  # one-hot columns: no sort needed
        onehot = np.zeros((row.size, n_rows))
        onehot[np.arange(row.size), row] = amount
        return np.cumsum(onehot, axis=0)[np.arange(row.size), row]
    order = np.argsort(row, kind="stable")
    csum = np.cumsum(amount[order])
    srow = row[order]
    starts = np.flatnonzero(np.r_[True, srow[1:] != srow[:-1]])
    before = np.r_[0.0, csum][starts]
    out = np.empty_like(csum)
    out[order] = csum - np.repeat(before, np.diff(np.r_[starts, srow.size]))
    return out


def _reduce_group(
    group: RowGroup, segments: SegmentTable, lots: NDArray[np.float64], keep: int = -1
) -> NDArray[np.float64]:
    """Give up the cheapest segments (per unit of resource) of every over-used row of ``group``.

    The SKU ``keep`` (if any) is left untouched unless the safety net needs it.
    """
    excess = group.usage(lots) - group.rhs
    tol = group.tolerance()
    over = excess > tol
    if not over.any():
        return lots
    seg = segments
    member = group.member[seg.sku]
    coef = group.coef[seg.sku]
    on_len = np.clip(lots[seg.sku] - seg.start, 0.0, seg.length)
    idx = np.flatnonzero((member >= 0) & (coef > 0) & (on_len > 0) & (seg.sku != keep))
    idx = idx[over[member[idx]]]
    if idx.size:
        row, cf = member[idx], coef[idx]
        order = np.lexsort((-seg.position[idx], -seg.slope[idx] / cf, row))
        idx, row, cf = idx[order], row[order], cf[order]
        on = on_len[idx]
        freed = cf * on
        after = _cumsum_by_row(row, freed, group.n_rows)
        need = excess[row]
        before = after - freed
        partial = np.minimum(np.ceil((need - before) / cf - 1e-9), on)
        cut = np.where(seg.divisible[idx] & (after > need), partial, on)
        cut = np.where(before < need - tol[row], cut, 0.0)
        # giving up a jump from 0 over the minimum order empties the SKU (lots above the hull included)
        emptied = np.bincount(seg.sku[idx], weights=(cut > 0) & ~seg.divisible[idx], minlength=lots.size) > 0
        removed = np.bincount(seg.sku[idx], weights=cut, minlength=lots.size)
        lots = np.where(emptied, 0.0, np.maximum(lots - removed, 0.0))
    # safety net (numerical corner cases): empty the rows that still do not hold
    still = group.usage(lots) - group.rhs > tol
    if still.any():
        lots = np.where((group.member >= 0) & (group.coef > 0) & still[np.maximum(group.member, 0)], 0.0, lots)
    return lots


def _next_moves(
    problem: RepairProblem, segments: SegmentTable, lots: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]:
    """Next improving move of each SKU: (lots to add, divisible, cost saved); see :func:`_target`."""
    target, divisible = _target(segments.x1, segments.x2, segments.x3, lots)
    saving = problem.deviation_cost(lots) - problem.deviation_cost(target)
    return target - lots, divisible, saving


def _moves_at(
    problem: RepairProblem, segments: SegmentTable, sku: NDArray[np.int64], lots: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]:
    """:func:`_next_moves` of the SKUs ``sku`` only, at their lots ``lots``."""
    target, divisible = _target(segments.x1[sku], segments.x2[sku], segments.x3[sku], lots)
    return target - lots, divisible, problem.deviation_cost_at(sku, lots) - problem.deviation_cost_at(sku, target)


def _target(
    x1: NDArray[np.float64], x2: NDArray[np.float64], x3: NDArray[np.float64], lots: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Lots after each SKU's next move, and whether the move may stop at any whole lot count on the way.

    The moves: 0 to the minimum order (whole, when there is one), then the climb to the lots below
    the desired quantity, then one lot above.
    """
    # the first of x1 <= x2 <= x3 above lots (lots when none is); whole lot counts, so selecting by
    # multiplying with a mask is exact (and much faster than nested np.where on random masks)
    target = lots.copy()
    step = np.empty_like(lots)
    for x in (x3, x2, x1):
        np.subtract(x, target, out=step)
        step *= lots < x
        target += step
    direct = x1 <= 1
    np.subtract(x2, target, out=step)  # no minimum: climb the linear part directly
    step *= (lots == 0) & direct
    target += step
    return np.maximum(target, lots, out=target), (lots >= x1) | direct


class _Rows:
    """Per-group arrays reused by every pass: row per SKU (0 outside) and resource per lot (0 outside)."""

    def __init__(self, problem: RepairProblem) -> None:
        self.groups = [(*g.dense, g.rhs + g.tolerance(), g.n_rows) for g in problem.groups]

    def slacks(self, lots: NDArray[np.float64]) -> list[NDArray[np.float64]]:
        """Room left in every row (with the feasibility tolerance)."""
        out = []
        for row, coef, room, n_rows in self.groups:
            if n_rows == 1:
                out.append(room - (coef * lots).sum())
            else:
                out.append(room - np.bincount(row, weights=coef * lots, minlength=n_rows))
        return out


def _room_for(
    rows: _Rows, slacks: list[NDArray[np.float64]], sku: NDArray[np.int64], want: NDArray[np.float64],
    divisible: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Lots of each move (in rank order; all of it or none unless ``divisible``) that fit every row with
    the moves before it counted in full."""
    allowed = want
    for (row, coef, _, n_rows), slack in zip(rows.groups, slacks, strict=True):
        r, c = row[sku], coef[sku]
        demand = c * want
        room = slack[r] - (_cumsum_by_row(r, demand, n_rows) - demand)
        used = c > 0
        fit = np.floor(room / np.where(used, c, 1.0) + 1e-9)
        cap = np.where(divisible, np.clip(fit, 0.0, want), np.where(room >= demand, want, 0.0))
        allowed = np.minimum(allowed, np.where(used, cap, want))
    return allowed


def _add_back(
    problem: RepairProblem,
    segments: SegmentTable,
    rows: _Rows,
    lots: NDArray[np.float64],
    mu: NDArray[np.float64],
    reserve: bool = True,
    moves: _Moves | None = None,
) -> tuple[NDArray[np.float64], bool]:
    """One conservative add-back pass; returns the new lots and whether any were added.

    A move's follow-up (after a minimum order, the climb to the desired lots) is offered only in
    the next pass; it reserves its room in this one, at its own rank, so that worse moves ranked
    below it do not take the room it will want (without the reservation a 50-SKU plan with a
    binding budget ended 35% above the optimum: small orders filled the budget a large SKU's climb
    at the budget's own price needed). The first move taken is never held back, so each pass adds.
    ``reserve=False`` skips the reservation: the local search's add-backs, after one exchange or
    insertion in a nearly full plan, where it changed no plan measured and cost 10-15% of the
    repair at 50 SKUs.

    ``moves``: the next moves of every SKU at ``lots``, kept up to date across passes (only the
    SKUs a pass adds to get new ones), instead of computed for every SKU in every pass.
    """
    step, divisible, saving = _next_moves(problem, segments, lots) if moves is None else moves.at(lots)
    slacks = rows.slacks(lots)
    least = np.minimum(step, 1.0)  # one lot of a divisible move, all of the others (whole numbers: exact)
    least -= step
    least *= divisible
    least += step
    ok = (step > 0) & (saving > _TOL * (1.0 + problem.under_weight))
    for (row, coef, _, _), slack in zip(rows.groups, slacks, strict=True):
        ok &= coef * least <= slack[row]
    cand = np.flatnonzero(ok)
    if cand.size == 0:
        return lots, False
    price = mu + 1e-12 * (1.0 + mu.max(initial=0.0))  # per lot, never 0
    ratio = saving[cand] / (step[cand] * price[cand])
    rank = np.argsort(-ratio, kind="stable")
    order, ratio = cand[rank], ratio[rank]
    want, div = step[order], divisible[order]
    allowed = _room_for(rows, slacks, order, want, div)
    if not (allowed > 0).any():
        return lots, False
    if reserve:
        ranked = (order, ratio, want, div)
        allowed = _reserve_follow_ups(problem, segments, rows, slacks, lots, price, ranked, allowed)
    lots = lots.copy()
    lots[order] += np.maximum(allowed, 0.0)
    if moves is not None:
        moves.update(order[allowed > 0], lots)
    return lots, True


class _Moves:
    """Every SKU's next move (:func:`_next_moves`) at the lots of the last update, updated SKU by SKU."""

    def __init__(self, problem: RepairProblem, segments: SegmentTable, lots: NDArray[np.float64]) -> None:
        self.problem, self.segments = problem, segments
        self.lots = lots
        self.step, self.divisible, self.saving = _next_moves(problem, segments, lots)

    def at(self, lots: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]:
        """The moves at ``lots``, which must be the lots of the last update."""
        if lots is not self.lots:
            raise ValueError("the moves were kept for other lots")
        return self.step, self.divisible, self.saving

    def update(self, sku: NDArray[np.int64], lots: NDArray[np.float64]) -> None:
        """``lots`` differ from the last ones at ``sku`` only: recompute those SKUs' moves."""
        step, divisible, saving = _moves_at(self.problem, self.segments, sku, lots[sku])
        self.step[sku], self.divisible[sku], self.saving[sku] = step, divisible, saving
        self.lots = lots


def _reserve_follow_ups(
    problem: RepairProblem, segments: SegmentTable, rows: _Rows, slacks: list[NDArray[np.float64]],
    lots: NDArray[np.float64], price: NDArray[np.float64],
    moves: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]],
    allowed: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``allowed`` cut where a large follow-up of a move taken, ranked above, needs the room (see :func:`_add_back`).

    ``price``: the per-lot price of each SKU the ranking divides by; ``moves``: the candidate SKUs in
    rank order, their ranking ratios, lots wanted and divisibility.
    """
    order, ratio, want, div = moves
    taken = np.flatnonzero(allowed > 0)
    sku = order[taken]
    after, after_div, after_saving = _moves_at(problem, segments, sku, lots[sku] + want[taken])
    has = (after > 0) & (after_saving > 0)
    # only follow-ups that want a real share of some row's limit can be crowded out: among many
    # small orders (a catalog of thousands) the ranking's order is the right one without them, and
    # reserving for every minimum order costs extra passes (up to 40% of the repair at 1,000 SKUs)
    big = np.zeros(has.size, dtype=bool)
    for row, coef, limit, _ in rows.groups:
        big |= coef[sku] * after > _RESERVE_SHARE * np.maximum(limit[row[sku]], 0.0)
    has &= big
    if not has.any():
        return allowed
    # the follow-ups of the moves taken join the ranking, never above their own move (a minimum order
    # above the hull's line is followed by a better climb) and after it at a tie (stable sort)
    own = taken[has]
    follow = order[own]
    follow_ratio = np.minimum(after_saving[has] / (after[has] * price[follow]), ratio[own])
    if not (follow_ratio > ratio[taken[-1]]).any():  # only moves taken below a follow-up can lose room to it
        return allowed
    every = np.argsort(-np.r_[ratio, follow_ratio], kind="stable")
    skus, amounts = np.r_[order, follow][every], np.r_[want, after[has]][every]
    reserved = _room_for(rows, slacks, skus, amounts, np.r_[div, after_div[has]][every])
    return np.minimum(allowed, reserved[every < order.size])  # the real moves keep their order


def _exchange(
    problem: RepairProblem,
    segments: SegmentTable,
    rows: _Rows,
    lots: NDArray[np.float64],
    mu: NDArray[np.float64],
) -> tuple[NDArray[np.float64], bool]:
    """Apply the best improving (give up, add) pair that fits every row."""
    x1 = segments.x1
    now = problem.deviation_cost(lots)
    scale = 1e-12 * (1.0 + mu.max(initial=0.0))
    # give-up moves: one lot down the convex part, or back to 0
    held = np.flatnonzero(lots > 0)
    down = np.concatenate([np.where(lots[held] > x1[held], lots[held] - 1.0, 0.0), np.zeros(held.size)])
    down_sku = np.concatenate([held, held])
    loss = problem.deviation_cost_at(down_sku, down) - now[down_sku]
    freed = lots[down_sku] - down
    keep = freed > 0
    down_sku, freed, loss = down_sku[keep], freed[keep], loss[keep]
    # add moves: the next move, and a single lot where the move is divisible
    step, divisible, saving = _next_moves(problem, segments, lots)
    grow = np.flatnonzero((step > 0) & (saving > 0))
    one = grow[divisible[grow] & (step[grow] > 1)]
    up_sku = np.concatenate([grow, one])
    need = np.concatenate([step[grow], np.ones(one.size)])
    gain = np.concatenate([saving[grow], now[one] - problem.deviation_cost_at(one, lots[one] + 1.0)])
    if down_sku.size == 0 or up_sku.size == 0:
        return lots, False
    k = _EXCHANGE_POOL
    best_down = np.argsort(loss / (freed * mu[down_sku] + scale))[:k]
    best_up = np.argsort(-gain / (need * mu[up_sku] + scale))[:k]
    d_sku, d_free, d_loss = down_sku[best_down], freed[best_down], loss[best_down]
    u_sku, u_need, u_gain = up_sku[best_up], need[best_up], gain[best_up]
    value = u_gain[None, :] - d_loss[:, None]
    fits = d_sku[:, None] != u_sku[None, :]
    for (row, coef, _, _), slack in zip(rows.groups, rows.slacks(lots), strict=True):
        u_row, d_row = row[u_sku], row[d_sku]
        same = d_row[:, None] == u_row[None, :]
        room = slack[u_row][None, :] + np.where(same, (coef[d_sku] * d_free)[:, None], 0.0)
        fits &= room >= (coef[u_sku] * u_need)[None, :]
    value = np.where(fits, value, -np.inf)
    pick = int(np.argmax(value))
    i, j = divmod(pick, value.shape[1])
    if not value[i, j] > _TOL * (1.0 + abs(float(now.sum()))) * 1e-3:
        return lots, False
    lots = lots.copy()
    lots[d_sku[i]] -= d_free[i]
    lots[u_sku[j]] += u_need[j]
    return lots, True


def _insert(
    problem: RepairProblem,
    segments: SegmentTable,
    rows: _Rows,
    lots: NDArray[np.float64],
    mu: NDArray[np.float64],
) -> tuple[NDArray[np.float64], bool]:
    """Force in one of the most valuable moves that do not fit, make room by reducing others, refill.

    An ejection move for what one-for-one exchanges cannot do (e.g. a minimum
    order that needs the room of several smaller orders). Tries the
    ``_INSERT_POOL`` best moves by saving and keeps the best improving result.
    """
    step, _, saving = _next_moves(problem, segments, lots)
    grow = np.flatnonzero((step > 0) & (saving > 0))
    if grow.size == 0:
        return lots, False
    now = problem.objective(lots)
    best_lots, best_cost = lots, now
    for sku in grow[np.argsort(-saving[grow])[:_INSERT_POOL]]:
        trial = lots.copy()
        trial[sku] += step[sku]
        for group in problem.groups:
            trial = _reduce_group(group, segments, trial, keep=int(sku))
        for _ in range(_INSERT_PASSES):
            trial, added = _add_back(problem, segments, rows, trial, mu, reserve=False)
            if not added:
                break
        cost = problem.objective(trial)
        if cost < best_cost - _TOL * (1.0 + abs(best_cost)):
            best_lots, best_cost = trial, cost
    return best_lots, best_cost < now



def repair_lots(
    problem: RepairProblem,
    segments: SegmentTable,
    lots: NDArray[np.float64],
    mu: NDArray[np.float64],
    good_enough: float = np.inf,
) -> NDArray[np.float64]:
    """Feasible whole-lot plan close to the Lagrangian plan ``lots``.

    Parameters
    ----------
    problem : RepairProblem
    segments : SegmentTable
        Hull segments from :func:`hybridinv.repair.hull.lower_hull`.
    lots : array of float
        Lagrangian plan (a hull vertex per SKU), possibly over-using rows.
    mu : array of float
        Per-lot Lagrangian price of each SKU (ranks the moves).
    good_enough : float
        When the repaired Lagrangian plan costs more, the plan filled from
        nothing along the hull segments with row pressure in the ranking
        (:func:`hybridinv.repair.greedy.fill_segments`) is tried as well and the
        better one kept (by default always).

    Returns
    -------
    array of float
        Whole lots in ``{0} ∪ [min_lots, upper_lots]`` meeting every floored row.
    """
    lots = np.asarray(lots, dtype=np.float64).copy()
    for group in problem.groups:
        lots = _reduce_group(group, segments, lots)
    rows = _Rows(problem)
    moves = _Moves(problem, segments, lots)
    for _ in range(_ADD_PASSES):
        lots, changed = _add_back(problem, segments, rows, lots, mu, moves=moves)
        if not changed:
            break
    best_cost = problem.objective(lots)
    if not problem.groups or best_cost <= good_enough:
        return lots
    # degenerate prices (many tied segments) make the Lagrangian plan a poor start: also fill from
    # nothing along the segments with a little row pressure in the ranking, and keep the better plan
    empty = np.zeros(problem.n_skus)
    for share in PRESSURE_SHARES:
        trial = fill_segments(problem, segments, empty, ranking_prices(problem, mu, share))
        cost = problem.objective(trial)
        if cost < best_cost - _TOL * (1.0 + abs(best_cost)):
            lots, best_cost = trial, cost
    return lots


def improve_lots(
    problem: RepairProblem,
    segments: SegmentTable,
    lots: NDArray[np.float64],
    mu: NDArray[np.float64],
    rounds: int,
    good_enough: float = -np.inf,
    insert_above: float = -np.inf,
) -> NDArray[np.float64]:
    """Local search on a feasible plan: up to ``rounds`` improving moves, each followed by add-back.

    A move is the best one-for-one exchange or, when none improves and the
    objective is above ``insert_above``, the best forced insertion. Stops early
    once the objective is at most ``good_enough``.
    """
    rows = _Rows(problem)
    inserts = _INSERT_ROUNDS
    for _ in range(rounds):
        lots, changed = _exchange(problem, segments, rows, lots, mu)
        if not changed and inserts > 0 and problem.objective(lots) > insert_above:
            inserts -= 1
            lots, changed = _insert(problem, segments, rows, lots, mu)
        if not changed:
            break
        for _ in range(_ADD_PASSES):  # after one move the plan is nearly full: no room worth reserving
            lots, added = _add_back(problem, segments, rows, lots, mu, reserve=False)
            if not added:
                break
        if problem.objective(lots) <= good_enough:
            break
    return lots


def breaks_a_row(problem: RepairProblem, lots: NDArray[np.float64]) -> bool:
    """Whether ``lots`` use some row beyond its :meth:`~hybridinv.repair.model.RowGroup.tolerance`."""
    return any(bool((group.usage(lots) - group.rhs > group.tolerance()).any()) for group in problem.groups)


def make_feasible(problem: RepairProblem, lots: NDArray[np.float64]) -> NDArray[np.float64]:
    """Round a backend's plan to whole lots inside the rules and enforce the floored rows.

    A safety net against solver tolerances: a plan that already meets everything
    is returned unchanged.
    """
    lots = np.clip(np.round(np.asarray(lots, dtype=np.float64)), 0.0, problem.upper_lots)
    lots = np.where(lots < problem.min_lots, 0.0, lots)
    if breaks_a_row(problem, lots):
        segments = lower_hull(problem)
        for group in problem.groups:
            lots = _reduce_group(group, segments, lots)
    return lots
