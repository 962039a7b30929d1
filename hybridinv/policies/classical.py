"""Classical static policies: base-stock and (s, S)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.policies.base import TargetPolicy, per_sku
from hybridinv.sim.observation import Observation

__all__ = ["BaseStock", "SS"]


class BaseStock(TargetPolicy):
    """Order up to ``level`` every period: ``q = max(0, S - IP)``.

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
        self.level = level

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        level = per_sku(self.level, obs.n_skus, "level")
        return level - 1.0, level

    def __repr__(self) -> str:
        return f"BaseStock(level={self.level!r})"


class SS(TargetPolicy):
    """(s, S) policy: when the inventory position is at or below ``s``, order up to ``S``.

    Parameters
    ----------
    s : float or array
        Reorder point ``[s]``.
    S : float or array
        Order-up-to level ``[S]`` (``S >= s``).
    """

    name = "ss"

    def __init__(self, s: ArrayLike, S: ArrayLike, repair: str | None = "auto") -> None:  # noqa: N803
        super().__init__(repair)
        self.s = s
        self.S = S

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        n = obs.n_skus
        reorder = per_sku(self.s, n, "s")
        up_to = per_sku(self.S, n, "S")
        return reorder, np.maximum(up_to, reorder)

    def __repr__(self) -> str:
        return f"SS(s={self.s!r}, S={self.S!r})"
