"""(R, Q) / (s, nQ) and capped base-stock policies.

Both order something other than "up to a level", so they override
:meth:`~hybridinv.policies.base.TargetPolicy.decide` but still pass their raw
orders through the repair layer (``finalize``) on constrained scenarios.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.policies.base import Decision, TargetPolicy, per_sku
from hybridinv.policies.newsvendor import DemandStatistics, critical_fractile, demand_statistics

if TYPE_CHECKING:
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

__all__ = ["RQ", "CappedBaseStock", "economic_order_quantity"]


def economic_order_quantity(
    mean: ArrayLike, order_cost: ArrayLike, holding_cost: ArrayLike, lot_size: ArrayLike = 1.0
) -> NDArray[np.float64]:
    """EOQ ``sqrt(2 K mu / h)`` rounded up to whole lots (at least one lot).

    Parameters
    ----------
    mean : array_like
        Demand per period ``[mu]``.
    order_cost : array_like
        Fixed cost per order ``[K]``.
    holding_cost : array_like
        Holding cost per unit and period ``[h]``.
    lot_size : array_like
        Orders are multiples of this.

    References
    ----------
    Harris, F. W. (1913). How many parts to make at once. *Factory* 10(2).
    Zipkin, P. (2000). *Foundations of Inventory Management*, sec. 3.2.

    Examples
    --------
    >>> economic_order_quantity(100.0, 50.0, 1.0).tolist()  # sqrt(2 * 50 * 100 / 1) = 100
    [100.0]
    """
    mu = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    fixed = np.asarray(order_cost, dtype=np.float64)
    hold = np.maximum(np.asarray(holding_cost, dtype=np.float64), 1e-12)
    lot = np.asarray(lot_size, dtype=np.float64)
    eoq = np.sqrt(2.0 * fixed * np.maximum(mu, 0.0) / hold)
    return np.maximum(np.ceil(eoq / lot - 1e-9), 1.0) * lot


def _statistics(source: Scenario | Observation | DemandStatistics) -> DemandStatistics:
    return source if isinstance(source, DemandStatistics) else demand_statistics(source)


class RQ(TargetPolicy):
    """(R, Q) policy, periodic review (the (s, nQ) policy).

    When the inventory position ``IP`` is at or below the reorder point ``r``,
    order the smallest multiple of ``Q`` that lifts ``IP`` above ``r``:
    ``q = Q * ceil((r - IP + 1) / Q)``.

    Parameters
    ----------
    reorder_point : float or array, optional
        ``[r]``; learned by :meth:`fit` when None.
    batch_size : float or array, optional
        ``[Q]``; learned by :meth:`fit` (EOQ rounded to lots and MOQ) when None.
    safety_factor : float or array
        Multiplier of the safety stock in the fitted reorder point.
    repair : str or None
        Repair backend, see :class:`~hybridinv.policies.base.TargetPolicy`.

    Notes
    -----
    :meth:`fit` sets ``Q`` to the EOQ (Harris 1913), rounded up to whole lots and
    at least the MOQ, and ``r`` to the lead-time-plus-review demand quantile at the
    fractile ``max(0.5, 1 - Q h / (p mu))`` minus one: the classical
    "expected shortage per cycle" approximation (Hadley & Whitin 1963; Zipkin
    2000, sec. 6.5), which lowers the service level as the cycle ``Q / mu`` grows.

    References
    ----------
    Hadley, G. and Whitin, T. M. (1963). *Analysis of Inventory Systems*. Prentice-Hall.
    Zipkin, P. (2000). *Foundations of Inventory Management*, ch. 6.
    """

    name = "rq"

    def __init__(
        self,
        reorder_point: ArrayLike | None = None,
        batch_size: ArrayLike | None = None,
        safety_factor: ArrayLike = 1.0,
        repair: str | None = "auto",
    ) -> None:
        super().__init__(repair)
        self.reorder_point = reorder_point
        self.batch_size = batch_size
        self.safety_factor = safety_factor

    def fit(self, source: Scenario | Observation | DemandStatistics) -> RQ:
        """Learn ``reorder_point_`` and ``batch_size_`` from demand statistics; returns self."""
        st = _statistics(source)
        n = st.mean.size
        if self.batch_size is None:
            batch = economic_order_quantity(st.mean, st.order_cost, st.holding_cost, st.lot_size)
            batch = np.maximum(batch, st.moq)
        else:
            batch = per_sku(self.batch_size, n, "batch_size")
        if (batch <= 0).any():
            raise PlanningError("batch_size must be > 0", column="batch_size")
        if self.reorder_point is None:
            cycle_fractile = 1.0 - batch * st.holding_cost / np.maximum(st.shortage_cost * st.mean, 1e-12)
            fractile = np.clip(cycle_fractile, 0.5, critical_fractile(st.holding_cost, st.shortage_cost))
            mean, _ = st.over_periods(st.lead_time + 1.0)
            level = st.quantile(st.lead_time + 1.0, fractile)
            factor = np.asarray(self.safety_factor, dtype=np.float64)
            reorder = np.ceil(mean + factor * (level - mean)) - 1.0
        else:
            reorder = per_sku(self.reorder_point, n, "reorder_point")
        self.reorder_point_ = reorder
        self.batch_size_ = batch
        return self

    def _fitted(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if not hasattr(self, "reorder_point_") or self.reorder_point_.shape != (obs.n_skus,):
            self.fit(obs)
        return self.reorder_point_, self.batch_size_

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        reorder, batch = self._fitted(obs)
        return reorder, reorder + batch

    def decide(self, obs: Observation) -> Decision:
        reorder, batch = self._fitted(obs)
        position = obs.inventory_position
        batches = np.where(position <= reorder, np.floor((reorder - position) / batch) + 1.0, 0.0)
        desired = batches * batch
        return self.finalize(desired, obs, reorder, reorder + batch)

    def __repr__(self) -> str:
        return f"RQ(reorder_point={self.reorder_point!r}, batch_size={self.batch_size!r})"


class CappedBaseStock(TargetPolicy):
    """Capped base-stock for lost sales: order ``min(max(S - IP, 0), cap)``.

    Parameters
    ----------
    level : float or array, optional
        Base-stock level ``[S]``; learned by :meth:`fit` when None.
    cap : float or array, optional
        Largest order per period ``[r]``; learned by :meth:`fit` when None.
    cap_factor : float
        Fitted cap is ``mu + cap_factor * sigma`` (one-period demand), at least
        one lot and the MOQ.
    safety_factor : float or array
        Multiplier of the safety stock in the fitted level.
    repair : str or None
        Repair backend, see :class:`~hybridinv.policies.base.TargetPolicy`.

    Notes
    -----
    Xin (2021) shows that the capped base-stock policy is asymptotically optimal
    for lost-sales systems as the lead time grows, and near-optimal in
    numerical tests; capping smooths orders, which matters when the uncapped
    policy overreacts to a run of lost sales. :meth:`fit` uses the level
    ``S = F^{-1}_{L+1}(p/(p+h))`` (the uncapped critical-fractile level), a heuristic
    that :mod:`hybridinv.policies.tuning` refines by simulation.

    References
    ----------
    Xin, L. (2021). Understanding the performance of capped base-stock policies in
    lost-sales inventory models. *Operations Research* 69(1), 61-70.
    Johansen, S. G. and Thorstenson, A. (2008). Pure and restricted base-stock
    policies for the lost-sales inventory system with periodic review and
    constant lead times. Working paper, Aarhus University.
    """

    name = "capped_base_stock"

    def __init__(
        self,
        level: ArrayLike | None = None,
        cap: ArrayLike | None = None,
        cap_factor: float = 1.0,
        safety_factor: ArrayLike = 1.0,
        repair: str | None = "auto",
    ) -> None:
        super().__init__(repair)
        self.level = level
        self.cap = cap
        self.cap_factor = cap_factor
        self.safety_factor = safety_factor

    def fit(self, source: Scenario | Observation | DemandStatistics) -> CappedBaseStock:
        """Learn ``level_`` and ``cap_`` from demand statistics; returns self."""
        st = _statistics(source)
        n = st.mean.size
        if self.cap is None:
            cap = np.ceil(st.mean + self.cap_factor * st.std)
            cap = np.maximum(np.ceil(cap / st.lot_size) * st.lot_size, np.maximum(st.moq, st.lot_size))
        else:
            cap = per_sku(self.cap, n, "cap")
        if (cap <= 0).any():
            raise PlanningError("cap must be > 0", column="cap")
        if self.level is None:
            fractile = critical_fractile(st.holding_cost, st.shortage_cost)
            mean, _ = st.over_periods(st.lead_time + 1.0)
            quantile = st.quantile(st.lead_time + 1.0, fractile)
            factor = np.asarray(self.safety_factor, dtype=np.float64)
            level = np.ceil(mean + factor * (quantile - mean))
        else:
            level = per_sku(self.level, n, "level")
        self.level_ = level
        self.cap_ = cap
        return self

    def _fitted(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if not hasattr(self, "level_") or self.level_.shape != (obs.n_skus,):
            self.fit(obs)
        return self.level_, self.cap_

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        level, _ = self._fitted(obs)
        return level - 1.0, level

    def decide(self, obs: Observation) -> Decision:
        level, cap = self._fitted(obs)
        desired = np.minimum(np.maximum(level - obs.inventory_position, 0.0), cap)
        return self.finalize(np.ceil(desired - 1e-9), obs, level - 1.0, level)

    def __repr__(self) -> str:
        return f"CappedBaseStock(level={self.level!r}, cap={self.cap!r})"
