"""Supplier orders cut to the purchase budget and to the space a warehouse will have.

:class:`WithinLimits` wraps any network policy. Its supplier orders are scaled down, all SKUs
of a location by the same factor (a fair share of the scarce budget or space, in proportion
to what the policy wanted), rounded down to whole units, so that

- the purchase value of all supplier orders is at most the network's ``budget``, and
- at every supplier-fed location with a finite capacity, the volume of the order plus the
  location's **projected on-hand** when it arrives fits the capacity. The projection is the
  on-hand now plus the units arriving before the order, minus the mean demand of the
  location's subtree over its lead time (per SKU, floored at 0): the rule of the single-location
  repair's capacity rows (DESIGN.md), with the stores' mean demand as the forecast.

The shipments (already a fair share of each parent's on-hand) are left as they are; a store
capacity is only enforced by rejection at receipt. The cut is a heuristic, not the network
repair (a MILP that trades SKUs off by their costs); it makes a base-stock policy run with
zero budget violations and is the "echelon base-stock with fair share" baseline of the
``network`` benchmark suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hybridinv.network.scenarios import NetworkScenario
from hybridinv.network.simulator import NetworkPolicy
from hybridinv.network.state import NetworkDecision, NetworkObservation

__all__ = ["WithinLimits", "limit_supplier_orders", "supplier_order_ratios"]


def limit_supplier_orders(scenario: NetworkScenario, obs: NetworkObservation,
                          orders: NDArray[np.float64]) -> NDArray[np.float64]:
    """``orders`` (roots, SKUs) scaled down per root to fit the budget and the projected space.

    See :func:`supplier_order_ratios` for the factors.

    Examples
    --------
    >>> from hybridinv.network.scenarios import get
    >>> scenario = get("owmr_10x50")
    >>> sim = scenario.simulator()
    >>> obs = sim.reset(scenario.demand_path(0))
    >>> wanted = np.full((1, scenario.n_skus), 1000.0)
    >>> cut = limit_supplier_orders(scenario, obs, wanted)
    >>> bool(cut @ scenario.costs.unit_cost <= scenario.network.budget)
    True
    """
    orders = np.maximum(np.floor(np.asarray(orders, dtype=np.float64) + 1e-9), 0.0)
    budget, space = supplier_order_ratios(scenario, obs, orders)
    ratio = np.minimum(budget, space)
    if (ratio >= 1.0).all():
        return orders
    return np.floor(orders * ratio[:, None] + 1e-9)


def supplier_order_ratios(scenario: NetworkScenario, obs: NetworkObservation,
                          orders: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per root, the factors (<= 1) that fit the budget and the projected space (1: not binding)."""
    network, costs = scenario.network, scenario.costs
    roots = network.roots
    ratio = np.ones(roots.size)
    spend = float(np.einsum("rn,n->", orders, costs.unit_cost))
    budget = np.ones(roots.size)
    if np.isfinite(network.budget) and spend > network.budget:
        budget[:] = network.budget / spend
    capacity = network.capacity[roots]
    finite = np.isfinite(capacity)
    if finite.any():
        lead = network.lead_time[roots]
        slots = np.arange(obs.pipeline.shape[2])
        before = np.einsum("rns,rs->rn", obs.pipeline[roots], (slots[None, :] < lead[:, None]).astype(np.float64))
        mean = scenario.demand.mean
        below = np.zeros((network.n_locations, mean.shape[1]))
        below[network.stores] = mean
        outflow = np.einsum("ij,jn->in", network.subtree, below)[roots] * lead[:, None]
        projected = np.maximum(obs.on_hand[roots] + before - outflow, 0.0)
        room = np.maximum(capacity - np.einsum("rn,n->r", projected, costs.volume), 0.0)
        wanted = np.einsum("rn,n->r", orders, costs.volume)
        over = finite & (wanted > room)
        ratio = np.where(over, room / np.where(over, wanted, 1.0), ratio)
    return budget, ratio


@dataclass
class WithinLimits:
    """A network policy whose supplier orders are cut to the budget and the projected space.

    Parameters
    ----------
    policy : NetworkPolicy
        Any policy with ``act(obs) -> NetworkDecision``.
    scenario : NetworkScenario
        Gives the network, the costs and the stores' mean demand (the forecast).
    name : str, optional
        Defaults to ``"<policy name>_within_limits"``.
    """

    policy: NetworkPolicy
    scenario: NetworkScenario
    name: str = field(default="")

    def __post_init__(self) -> None:
        if not self.name:
            self.name = f"{getattr(self.policy, 'name', type(self.policy).__name__)}_within_limits"
        self.reset()

    def reset(self) -> None:
        """Forget the cut counts (called by :func:`~hybridinv.network.runner.simulate_network` per seed)."""
        self._cuts: list[tuple[bool, bool]] = []

    def statistics(self) -> dict[str, float]:
        """Shares of the periods after warm-up in which the budget or the space cut the orders.

        The warm-up is the run's (:meth:`NetworkScenario.warmup_for` the periods decided since :meth:`reset`),
        as the ledger's KPIs measure it: until 2026-12-06 the scenario's own warm-up was skipped whatever the
        run's length, so a run shorter than it reported shares of 0.
        """
        cuts = np.asarray(self._cuts, dtype=np.float64).reshape(-1, 2)[self.scenario.warmup_for(len(self._cuts)):]
        share = cuts.sum(axis=0) / max(len(cuts), 1)
        return {"budget_cut_share": float(share[0]), "capacity_cut_share": float(share[1])}

    def act(self, obs: NetworkObservation) -> NetworkDecision:
        decision = self.policy.act(obs)
        wanted = np.maximum(np.floor(np.asarray(decision.supplier_orders, dtype=np.float64) + 1e-9), 0.0)
        budget, space = supplier_order_ratios(self.scenario, obs, wanted)
        self._cuts.append((bool((budget < 1.0).any()), bool((space < 1.0).any())))
        ratio = np.minimum(budget, space)
        orders = wanted if (ratio >= 1.0).all() else np.floor(wanted * ratio[:, None] + 1e-9)
        return NetworkDecision(orders, decision.shipments, decision.requested)
