"""The policy interface shared by the simulator, the environments and plan().

A policy maps an :class:`~hybridinv.sim.observation.Observation` of all SKUs to
one whole-number order per SKU. Target-based policies ((s,S), base-stock,
safety stock, the hybrid agent) first produce per-SKU targets, from which the
desired orders follow; the repair layer then turns the desired orders into
orders that respect MOQ, lot sizes, max order, capacity and budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from hybridinv.core._frame import per_sku

if TYPE_CHECKING:
    from hybridinv.policies.explain import TargetExplanation
    from hybridinv.repair import RepairResult
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

__all__ = ["Decision", "Policy", "TargetPolicy", "needs_repair", "per_sku"]


@runtime_checkable
class Policy(Protocol):
    """Anything with ``act(observation) -> orders`` (and optionally ``reset``)."""

    name: str

    def act(self, obs: Observation) -> NDArray[np.float64]:
        """Orders for all SKUs (whole numbers >= 0, aligned with the catalog)."""
        ...


@dataclass
class Decision:
    """One period's decision with what led to it (for ``plan()`` explanations).

    ``explanation`` (:class:`~hybridinv.policies.explain.TargetExplanation`) says why the
    targets are what they are, from policies that know (the forecast-driven policies and
    the hybrid); ``plan()`` derives one from the reorder points for the others.
    """

    orders: NDArray[np.float64]
    desired: NDArray[np.float64]
    reorder_point: NDArray[np.float64] | None = None
    order_up_to: NDArray[np.float64] | None = None
    repair: RepairResult | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    explanation: TargetExplanation | None = None


def needs_repair(obs: Observation) -> bool:
    """Whether the catalog or constraints have any rule that raw orders could break."""
    cat = obs.catalog
    cons = obs.constraints
    return bool(
        math.isfinite(cons.capacity)
        or math.isfinite(cons.budget)
        or cons.supplier_capacity
        or (cat.moq > 0).any()
        or (cat.lot_size > 1).any()
        or np.isfinite(cat.max_order).any()
    )


class TargetPolicy:
    """Base class of policies that produce (s, S) targets per SKU.

    Subclasses implement :meth:`targets`; ``act`` orders up to ``S`` when the
    inventory position is at or below ``s`` and passes the desired orders
    through the repair layer (``repair=None`` skips it and only rounds up).

    Parameters
    ----------
    repair : str or None
        Repair backend (``"auto"``, ``"fast"``, ``"highs"``, ``"pulp"``) or None.
    """

    name = "target"

    def __init__(self, repair: str | None = "auto") -> None:
        self.repair = repair

    def reset(self, scenario: Scenario | None = None) -> None:
        """Called at the start of each episode."""

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per-SKU ``(reorder_point, order_up_to)`` for this period."""
        raise NotImplementedError

    def decide(self, obs: Observation) -> Decision:
        """Targets → desired orders → repaired orders."""
        reorder_point, order_up_to = self.targets(obs)
        position = obs.inventory_position
        desired = np.where(position <= reorder_point, np.maximum(order_up_to - position, 0.0), 0.0)
        desired = np.ceil(desired - 1e-9)
        return self.finalize(desired, obs, reorder_point, order_up_to)

    def finalize(
        self,
        desired: NDArray[np.float64],
        obs: Observation,
        reorder_point: NDArray[np.float64] | None = None,
        order_up_to: NDArray[np.float64] | None = None,
        **repair_options: Any,
    ) -> Decision:
        """Pass desired orders through the repair layer when any rule applies."""
        if self.repair is None or not needs_repair(obs):
            return Decision(np.maximum(np.ceil(desired - 1e-9), 0.0), desired, reorder_point, order_up_to)
        from hybridinv.repair import repair_orders

        result = repair_orders(
            desired,
            obs.catalog,
            obs.state(),
            obs.constraints,
            backend=self.repair,
            expected_demand=obs.forecast(int(obs.catalog.lead_time.max()) + 1),
            warn=not obs.simulated,  # in simulation over-full receipt periods are expected, not news
            **repair_options,
        )
        return Decision(result.orders, desired, reorder_point, order_up_to, result)

    def act(self, obs: Observation) -> NDArray[np.float64]:
        """Orders for this period."""
        return self.decide(obs).orders

    def __repr__(self) -> str:
        return f"{type(self).__name__}(repair={self.repair!r})"
