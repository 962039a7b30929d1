"""State spaces and sparse transition matrices of the lost-sales model with lead time.

Shared by the exact base-stock evaluation (:mod:`hybridinv.exact.base_stock`) and the
dynamic program (:mod:`hybridinv.exact.lost_sales`).

State encoding (decision epoch at the start of period ``t``, after the order placed in
``t - L`` has arrived): for lead time ``L >= 1`` a state is the integer vector
``(x, p_1, ..., p_{L-1})`` with ``x`` the on-hand stock available to meet this period's
demand and ``p_k`` the order arriving ``k`` periods from now; for ``L = 0`` it is ``(x,)``,
the stock carried over from the previous period (this period's order is added to it).
Only states with inventory position ``x + p_1 + ... + p_{L-1} <= bound`` are kept; that set
is closed under every policy whose orders keep the position after ordering ``<= bound``.

Every decision (a state and an order) is summarised by the stock ``u`` facing this
period's demand and a *base* state ``b``; the next state is ``b + k e_0`` where
``k = (u - D)^+`` is the stock left after demand. For ``L >= 1``, ``u = x`` and
``b = (p_1, ..., p_{L-1}, q)``; for ``L = 0``, ``u = x + q`` and ``b = (0,)``.

States are sorted so that the first coordinate varies fastest: ``index(b + k e_0)``
equals ``index(b) + k``, which makes every transition a contiguous run of columns.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError

__all__ = ["StateSpace", "segments", "stationary_distribution", "transition_matrix"]


def segments(counts: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Expand ``counts[i]`` consecutive slots per item ``i`` without a Python loop.

    Returns
    -------
    owner : numpy.ndarray
        Item of every slot, ``repeat(arange(len(counts)), counts)``.
    offset : numpy.ndarray
        Position of every slot within its item, ``0..counts[i] - 1``.
    starts : numpy.ndarray
        First slot of every item (``offsets`` for ``numpy.ufunc.reduceat`` and CSR ``indptr``).
    """
    starts = np.cumsum(counts) - counts
    owner = np.repeat(np.arange(counts.size), counts)
    return owner, np.arange(owner.size) - starts[owner], starts


def _compositions(dimension: int, bound: int) -> NDArray[np.int64]:
    """All non-negative integer vectors of length ``dimension`` with sum ``<= bound``."""
    rows = np.zeros((1, 0), dtype=np.int64)
    totals = np.zeros(1, dtype=np.int64)
    for _ in range(dimension):
        parent, value, _ = segments(bound - totals + 1)
        rows = np.column_stack((rows[parent], value))
        totals = totals[parent] + value
    return rows


class StateSpace:
    """The states ``(x, p_1, ..., p_{L-1})`` with inventory position at most ``bound``.

    Parameters
    ----------
    lead_time : int
        Lead time ``L >= 0``; states have ``max(L, 1)`` coordinates.
    bound : int
        Largest inventory position kept.
    max_states : int, optional
        Raise :class:`~hybridinv.PlanningError` naming ``column`` instead of building more than this many states.
    column : str, default "position_bound"
        The argument named in that error (the caller's name for ``bound``).

    Attributes
    ----------
    states : numpy.ndarray, shape (n, max(L, 1))
        The states, first coordinate (on-hand stock) varying fastest.
    position : numpy.ndarray, shape (n,)
        Inventory position (sum of the coordinates) of every state.
    """

    def __init__(self, lead_time: int, bound: int, max_states: int | None = None, column: str = "position_bound"):
        self.lead_time = lead_time
        self.bound = bound
        self.dimension = max(lead_time, 1)
        count = math.comb(bound + self.dimension, self.dimension)
        if max_states is not None and count > max_states:
            raise PlanningError(
                f"lead time {lead_time} with inventory positions up to {bound} gives {count} states, "
                f"more than the limit {max_states}; this exact method does not scale to this instance",
                column=column, value=bound,
            )
        raw = _compositions(self.dimension, bound)
        self._radix = (bound + 1) ** np.arange(self.dimension, dtype=np.int64)
        keys = raw @ self._radix
        order = np.argsort(keys, kind="stable")
        self.states: NDArray[np.int64] = raw[order]
        self._keys = keys[order]
        self.position: NDArray[np.int64] = self.states.sum(axis=1)

    @property
    def size(self) -> int:
        """Number of states."""
        return int(self.states.shape[0])

    def index(self, states: NDArray[np.int64]) -> NDArray[np.int64]:
        """Row numbers of the given states (shape ``(m, dimension)``); -1 where absent."""
        rows = np.asarray(states, dtype=np.int64).reshape(-1, self.dimension)
        inside = np.all(rows >= 0, axis=1) & (rows.sum(axis=1) <= self.bound)
        keys = np.where(inside, rows @ self._radix, 0)
        found = np.searchsorted(self._keys, keys)
        return np.where(inside, found, -1)

    def decisions(
        self, orders: NDArray[np.int64], source: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Stock facing demand and base-state index for ordering ``orders`` in states ``source``.

        Parameters
        ----------
        orders : numpy.ndarray of int
            Order quantities; position after ordering must stay ``<= bound``.
        source : numpy.ndarray of int
            Row numbers of the states the orders are placed in.

        Returns
        -------
        stock : numpy.ndarray
            ``u``, the stock that meets this period's demand.
        base : numpy.ndarray
            Row number of ``b``; the next state is row ``base + (u - D)^+``.
        """
        rows = self.states[source]
        if self.lead_time == 0:
            return rows[:, 0] + orders, np.zeros(orders.size, dtype=np.int64)
        shifted = np.column_stack((rows[:, 1:], orders))
        return rows[:, 0], self.index(shifted)


def transition_matrix(
    stock: NDArray[np.int64], base: NDArray[np.int64], pmf: NDArray[np.float64], n_states: int
) -> sp.csr_matrix:
    """Sparse matrix of ``P(next state | decision)``, one row per decision.

    Row ``r`` puts mass ``P((u_r - D)^+ = k)`` on column ``base_r + k`` for
    ``k = 0..u_r`` (only the ``1 + min(u_r, len(pmf))`` values that can occur).
    """
    support = pmf.size
    tail = np.concatenate((np.cumsum(pmf[::-1])[::-1], [0.0]))  # tail[d] = P(D >= d)
    count = 1 + np.minimum(stock, support)
    row, offset, starts = segments(count)
    indptr = np.append(starts, row.size)
    # offset 0 -> k = 0 (stock-out), offset j >= 1 -> k = u - (count - 1) + j, demand u - k.
    remaining = np.where(offset == 0, 0, stock[row] - count[row] + 1 + offset)
    demand = stock[row] - remaining
    data = np.where(offset == 0, tail[np.minimum(stock[row], support)], pmf[np.minimum(demand, support - 1)])
    columns = (base[row] + remaining).astype(np.int32)
    return sp.csr_matrix((data, columns, indptr), shape=(stock.size, n_states))


def stationary_distribution(
    matrix: sp.csr_matrix, tolerance: float = 1e-13, max_iter: int = 5_000
) -> NDArray[np.float64]:
    """Stationary distribution of a row-stochastic matrix by power iteration.

    Starts from the uniform distribution and iterates ``pi <- pi (P + I) / 2`` until
    successive iterates differ by less than ``tolerance`` in total variation. The lazy
    chain ``(P + I) / 2`` has the same stationary distribution and is aperiodic, so the
    iteration converges even for periodic demand (e.g. a deterministic pmf). The chains
    built here forget their start within a few lead times: a few hundred products. A chain
    that mixes too slowly for ``max_iter`` steps (a demand mean of 1e-9: almost never a
    sale; an (s, S) chain with S in the thousands drains for thousands of periods) is solved
    directly, ``pi (P - I) = 0`` with ``sum(pi) = 1`` (a sparse LU); until 2026-12-06 it was
    a ``RuntimeError``, and then 100,000 iterations before the solve (``lost_sales_ss_cost`` with
    S = 3,000: 11 s, now 1 s; S = 1,000,000 ran for minutes).

    Raises
    ------
    RuntimeError
        If neither the iteration nor the direct solve gives a distribution.
    """
    transposed = matrix.T.tocsr()
    distribution = np.full(matrix.shape[0], 1.0 / matrix.shape[0])
    for _ in range(max_iter):
        updated = 0.5 * (transposed @ distribution + distribution)
        updated /= updated.sum()
        if np.abs(updated - distribution).sum() < tolerance:
            return np.asarray(updated)
        distribution = updated
    return _solved_distribution(transposed, distribution)


def _solved_distribution(transposed: sp.csr_matrix, guess: NDArray[np.float64]) -> NDArray[np.float64]:
    """``pi`` with ``(P^T - I) pi = 0`` and ``sum(pi) = 1``: ``pi_k`` fixed at 1 for the likeliest state ``k`` of
    ``guess`` (a recurrent one), its balance row and column dropped, the rest one sparse solve, then normalized.

    Until 2026-12-06 the last balance row was replaced by the sum, a dense row that filled the LU factors: a chain
    of 100,000 states ran out of memory.
    """
    from scipy.sparse.linalg import spsolve

    n = transposed.shape[0]
    k = int(np.argmax(guess))
    system = (transposed - sp.identity(n, format="csr")).tocsc()
    keep = np.flatnonzero(np.arange(n) != k)
    solution = np.ones(n)
    if keep.size:
        rows = system[keep]
        reduced = rows[:, keep]
        rhs = -np.asarray(rows[:, [k]].toarray()).ravel()
        solution[keep] = np.asarray(spsolve(reduced.tocsc(), rhs), dtype=np.float64)
    solution = np.maximum(solution, 0.0)
    if not (np.isfinite(solution).all() and solution.sum() > 0):
        raise RuntimeError("stationary distribution not found: the chain may have several closed classes")
    return solution / solution.sum()
