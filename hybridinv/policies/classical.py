"""Classical static policies: base-stock and (s, S)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import inventory_level
from hybridinv.policies.base import BatchTargetPolicy, fitted_values, per_sku, record_fit_basis, record_fit_skus
from hybridinv.sim.observation import Observation

if TYPE_CHECKING:
    from hybridinv.policies.newsvendor import DemandStatistics
    from hybridinv.sim.batch import BatchObservation
    from hybridinv.sim.scenario import Scenario

__all__ = ["BaseStock", "SS"]


def _fractiles(service_level: ArrayLike, n_skus: int) -> NDArray[np.float64]:
    """A scalar or per-SKU service level as one fractile per SKU (PlanningError when out of (0, 1) or mis-sized)."""
    from hybridinv.core.errors import PlanningError
    from hybridinv.policies.newsvendor import _service_level

    level = np.atleast_1d(np.asarray(_service_level(service_level), dtype=np.float64))
    if level.ndim != 1 or level.size not in (1, n_skus):
        raise PlanningError(f"{level.size} service levels for {n_skus} SKUs", column="service_level")
    return np.array(np.broadcast_to(level, (n_skus,)), dtype=np.float64)


class BaseStock(BatchTargetPolicy):
    """Order up to ``level`` every period: ``q = max(0, S - IP)``, rounded up to whole units.

    Parameters
    ----------
    level : float or array
        Base-stock level ``[S]`` (scalar or one per SKU), in units of
        inventory position (on-hand + open orders − backorders).
    repair : str or None
        Repair backend for multi-SKU constraints, see :class:`TargetPolicy`.

    References
    ----------
    Zipkin, P. (2000). *Foundations of Inventory Management*, ch. 6.
    """

    name = "base_stock"

    def __init__(self, level: ArrayLike, repair: str | None = "auto") -> None:
        super().__init__(repair)
        self.level = inventory_level(level, "level")

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(ceil(S) - 1, S)``: every whole position below ``S`` orders (``S - 1`` skipped ``floor(S)`` for a
        fractional ``S``: with ``S = 11.5`` a position of 11 ordered nothing, one of 10 ordered up to 12)."""
        from hybridinv.policies.rq import ordering_point

        level = per_sku(fitted_values(self, obs, self.level, "level"), obs.n_skus, "level")
        return ordering_point(level), level

    def targets_batch(self, obs: BatchObservation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The same levels for every episode, shape (1, n)."""
        from hybridinv.policies.rq import ordering_point

        level = per_sku(fitted_values(self, obs, self.level, "level"), obs.n_skus, "level")[None, :]
        return ordering_point(level), level

    @classmethod
    def fit(
        cls,
        source: Scenario | Observation | DemandStatistics,
        service_level: ArrayLike | None = None,
        safety_factor: ArrayLike = 1.0,
        repair: str | None = "auto",
    ) -> BaseStock:
        """Critical-fractile base-stock levels from demand statistics.

        ``S = F^{-1}_{L+1}(alpha)``: the ``alpha`` quantile of demand over the lead
        time plus one review period, with ``alpha = p / (p + h)`` (or
        ``service_level``) and lead-time variability folded in; the safety stock
        ``S - mu (L+1)`` is scaled by ``safety_factor``. Optimal for backorders with
        normal demand (Zipkin 2000, Thm. 6.4.1); for lost sales the same fractile is
        the standard heuristic: exact at lead time 0 (a newsvendor every period), above the
        best base-stock level with a lead time, the more so the lower ``p / h`` (Poisson 5,
        ``L = 2``, against :func:`hybridinv.exact.best_base_stock`: +4% cost for ``p / h``
        = 9 or 19, +22% for ``p = h``, +26% for ``p / h = 0.5``). The unit cost is not
        in the fractile (docs/concepts.md, *What shortage_cost must include*).

        Parameters
        ----------
        source : Scenario, Observation or DemandStatistics
        service_level : float or array, optional
            Target cycle service level (scalar or one per SKU, each in (0, 1)) instead of the cost ratio.
        safety_factor : float or array
        repair : str or None

        Returns
        -------
        BaseStock
            With per-SKU ``level`` (whole units). Fitted on a scenario or an observation, the
            levels belong to its SKUs: on a catalog listing them in another order each SKU gets
            its own level, and a SKU the fit did not cover is a ``PlanningError`` naming it.
        """
        from hybridinv.policies.newsvendor import DemandStatistics, demand_statistics, fit_source

        source = fit_source(source, statistics=True)
        stats = source if isinstance(source, DemandStatistics) else demand_statistics(source)
        fractile = stats.fractile() if service_level is None else _fractiles(service_level, stats.mean.size)
        periods = stats.lead_time + 1.0
        mean, _ = stats.over_periods(periods)
        quantile = stats.quantile(periods, fractile)
        factor = per_sku(safety_factor, mean.size, "safety_factor")  # a wrong size was a numpy broadcast error
        level = np.maximum(np.ceil(mean + factor * (quantile - mean) - 1e-9), 0.0)
        policy = cls(level, repair=repair)
        record_fit_skus(policy, source)  # the levels follow their SKUs to another catalog (fitted_values)
        record_fit_basis(policy, stats)  # plan() explains the level against what it was fitted on
        return policy

    def __repr__(self) -> str:
        return f"BaseStock(level={self.level!r})"


class SS(BatchTargetPolicy):
    """(s, S) policy: when the inventory position is at or below ``s``, order up to ``S``.

    Parameters
    ----------
    s : float or array
        Reorder point ``[s]``.
    S : float or array
        Order-up-to level ``[S]`` (``S >= s``; a smaller ``S`` is a :class:`~hybridinv.PlanningError` naming
        the SKU at the first decision).
    """

    name = "ss"

    def __init__(self, s: ArrayLike, S: ArrayLike, repair: str | None = "auto") -> None:  # noqa: N803
        super().__init__(repair)
        self.s = inventory_level(s, "s")
        self.S = inventory_level(S, "S")

    def _levels(self, obs: Observation | BatchObservation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(s, S)`` per SKU; an ``S`` below its ``s`` is refused (it was raised to ``s`` without a word,
        so swapped arguments ran a base-stock policy at the intended ``S``'s place)."""
        n = obs.n_skus
        reorder = per_sku(fitted_values(self, obs, self.s, "s"), n, "s")
        up_to = per_sku(fitted_values(self, obs, self.S, "S"), n, "S")
        below = up_to < reorder
        if below.any():
            from hybridinv.core.errors import PlanningError

            i = int(np.flatnonzero(below)[0])
            raise PlanningError(f"the order-up-to level must be >= the reorder point s ({reorder[i]:g})", column="S",
                                sku=obs.catalog.sku[i], value=float(up_to[i]))
        return reorder, up_to

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self._levels(obs)

    def targets_batch(self, obs: BatchObservation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The same levels for every episode, shape (1, n)."""
        reorder, up_to = self._levels(obs)
        return reorder[None, :], up_to[None, :]

    @classmethod
    def fit(
        cls,
        source: Scenario | Observation | DemandStatistics,
        service_level: ArrayLike | None = None,
        safety_factor: ArrayLike = 1.0,
        repair: str | None = "auto",
    ) -> SS:
        """(s, S) levels from demand statistics: ``s`` from the lead-time quantile, ``S = s + Q``.

        ``s = F^{-1}_{L+1}(alpha) - 1`` (order when the position falls below the
        critical-fractile level) and ``Q = max(EOQ, MOQ)`` rounded to lots, the
        classical "(s, S) with S - s = EOQ" approximation (Silver, Pyke & Peterson
        1998, sec. 7.7; Zipkin 2000, sec. 6.7). With no fixed cost this is the
        base-stock policy of :meth:`BaseStock.fit`.

        Returns
        -------
        SS
            With per-SKU ``s`` and ``S``, which follow their SKUs as :meth:`BaseStock.fit`'s levels do.
        """
        from hybridinv.policies.newsvendor import DemandStatistics, demand_statistics, fit_source
        from hybridinv.policies.rq import economic_order_quantity, receipt_stock

        source = fit_source(source, statistics=True)
        stats = source if isinstance(source, DemandStatistics) else demand_statistics(source)
        base = BaseStock.fit(stats, service_level, safety_factor)
        level = np.asarray(base.level, dtype=np.float64)
        batch = np.maximum(
            economic_order_quantity(stats.mean, stats.order_cost, stats.holding_cost, stats.lot_size,
                                    stats.shelf_life, receipt_stock(stats, level), stats.expiry_cost), stats.moq
        )
        policy = cls(level - 1.0, level - 1.0 + batch, repair=repair)
        record_fit_skus(policy, source)  # the levels follow their SKUs to another catalog (fitted_values)
        record_fit_basis(policy, stats)
        return policy

    def __repr__(self) -> str:
        return f"SS(s={self.s!r}, S={self.S!r})"
