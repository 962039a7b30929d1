"""Classical network policies: echelon and installation base-stock with fair-share allocation.

Both policies compute, for every location and SKU, the units it wants to receive this
period from a base-stock level and one of its positions; the supplier-fed locations
order that from the supplier, every other location requests it from its parent, and the
parent's on-hand is shared among its children by :class:`~hybridinv.network.allocation.FairShare`
(proportional to the requests, whole units, never above the on-hand; with one child,
``min(request, on-hand)``). The decisions are therefore always feasible for the simulator.

**Echelon base-stock** (Clark and Scarf 1960; Chen and Zheng 1994): location ``i`` wants
``max(0, S_i - echelon position_i)``. In a serial chain with echelon levels ``S_j`` this is the
optimal policy's form: a stage ships ``min(S_j - IP_j, on-hand upstream)``, and since nothing is
backlogged between stages, units a stage could not ship are requested again next period —
the same echelon positions after shipment as the Clark–Scarf system with inter-stage backlogs.

**Installation base-stock**: location ``i`` wants ``max(0, S_i - installation position_i)``; a
location with children first subtracts its children's requests from its own position (they
are the orders it owes; a textbook installation base-stock system counts them as backorders
at the parent), so in steady state it reorders what its children ask for.

Levels are given as a number, one per location (shape (L,)), or per location and SKU (L, n).

**Repair** (``repair=``): ``None`` (the default) allocates by fair share and passes the wanted
supplier orders unchanged. A :class:`~hybridinv.network.repair.NetworkRepair` instead hands the
wanted units (as targets) to :func:`~hybridinv.network.repair.repair_network` every period, so
the decisions also meet the capacities, the budget, the MOQs and the lot sizes, and a scarce
parent's stock goes where the shortfall weights say (stores before upstream locations). Give
the repair the stores' forecast (``NetworkRepair(costs, expected_demand=...)``): without it an
upstream capacity row counts no outflow before its receipt and starves the stores.

References
----------
Clark, A. J., and H. Scarf (1960). Optimal policies for a multi-echelon inventory problem.
*Management Science* 6(4), 475-490.
Chen, F., and Y.-S. Zheng (1994). Lower bounds for multi-echelon stochastic inventory
systems. *Management Science* 40(11), 1426-1443.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, number_array
from hybridinv.network.allocation import FairShare
from hybridinv.network.model import LocationError, Network
from hybridinv.network.state import NetworkDecision, NetworkObservation

if TYPE_CHECKING:
    from hybridinv.network.repair import NetworkRepair

__all__ = ["EchelonBaseStock", "InstallationBaseStock", "base_stock_levels", "echelon_levels_of",
           "installation_levels_of"]


def installation_levels_of(network: Network, mean: NDArray[np.float64], std: NDArray[np.float64],
                           z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Installation levels (L, n): ``L_i + 1`` periods of the demand below ``i`` (``mean``, ``std``
    per period, shape (L, n)) plus ``z`` (L, n) standard deviations, rounded up, at least 0."""
    cover = network.lead_time.astype(np.float64)[:, None] + 1.0
    return np.maximum(np.ceil(cover * mean + z * std * np.sqrt(cover) - 1e-9), 0.0)


def echelon_levels_of(network: Network, mean: NDArray[np.float64], std: NDArray[np.float64],
                      z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Echelon levels (L, n) from the demand below each location (``mean``, ``std`` per period) and ``z``.

    Stores: ``(L_s + 1) mu_s + z_s sigma_s sqrt(L_s + 1)``; above them, the children's levels
    plus ``L_i mu_i + z_i sigma_i sqrt(L_i)`` (each rounded up, at least 0).
    """
    lead = network.lead_time.astype(np.float64)
    level = np.zeros_like(mean)
    for i in range(network.n_locations - 1, -1, -1):  # children come after their parents
        children = np.flatnonzero(network.parent == i)
        cover = lead[i] if children.size else lead[i] + 1.0
        own = cover * mean[i] + z[i] * std[i] * np.sqrt(cover)
        level[i] = np.maximum(np.ceil(own + level[children].sum(axis=0) - 1e-9), 0.0)
    return level


def base_stock_levels(network: Network, levels: ArrayLike, n_skus: int) -> NDArray[np.float64]:
    """Levels as an array (locations, SKUs): a number, one per location (L,), or (L, n).

    Text and booleans are refused naming ``levels`` (``["abc", 1, 1]`` was numpy's bare ValueError).
    """
    try:
        arr = number_array(levels, "levels")
    except PlanningError as exc:
        raise LocationError(exc.message, column="levels", value=exc.value) from None
    if arr.ndim == 1:
        if arr.size != network.n_locations:
            raise LocationError(f"one level per location expected ({network.n_locations}), got {arr.size}",
                                column="levels")
        arr = arr[:, None]
    try:
        out = np.broadcast_to(arr, (network.n_locations, n_skus)).astype(np.float64)
    except ValueError:
        raise LocationError(f"levels of shape {arr.shape} do not fit (locations, SKUs) = "
                            f"({network.n_locations}, {n_skus})", column="levels") from None
    if not np.isfinite(out).all():
        raise LocationError("levels must be finite", column="levels")
    return out


@dataclass
class _BaseStockNetwork:
    """Shared part: wanted units per location → supplier orders and shipments (fair share or repair)."""

    network: Network
    levels: ArrayLike
    name: str = "base_stock"
    #: None: fair share, orders as wanted; a NetworkRepair: every period's decisions pass the network repair
    repair: NetworkRepair | None = None

    def __post_init__(self) -> None:
        self._allocate = FairShare(self.network)
        self._levels: NDArray[np.float64] | None = None

    def _level(self, n_skus: int) -> NDArray[np.float64]:
        if self._levels is None or self._levels.shape[1] != n_skus:
            self._levels = base_stock_levels(self.network, self.levels, n_skus)
        return self._levels

    def _decide(self, obs: NetworkObservation, wanted: NDArray[np.float64]) -> NetworkDecision:
        network = self.network
        wanted = np.maximum(np.ceil(wanted - 1e-9), 0.0)
        requested = wanted[network.non_roots]
        if self.repair is not None:
            result = self.repair(network, obs, wanted)
            return NetworkDecision(result.supplier_orders, result.shipments, requested)
        shipments = self._allocate(requested, obs.on_hand)
        return NetworkDecision(wanted[network.roots], shipments, requested)


@dataclass
class EchelonBaseStock(_BaseStockNetwork):
    """Order and request up to echelon levels ``S_i`` (see the module docstring).

    Examples
    --------
    >>> net = Network.serial(2, lead_times=1)
    >>> policy = EchelonBaseStock(net, levels=[10, 4])   # stage_2 (echelon 10), stage_1 (4)
    >>> from hybridinv.network.state import NetworkObservation
    >>> obs = NetworkObservation.of(net, 0, np.array([[3.0], [1.0]]), np.zeros((2, 1, 2)), np.zeros((2, 1)))
    >>> d = policy.act(obs)
    >>> d.supplier_orders.tolist(), d.shipments.tolist()    # 10 - (3 + 1) = 6; min(4 - 1, 3) = 3
    ([[6.0]], [[3.0]])
    """

    name: str = "echelon_base_stock"

    def act(self, obs: NetworkObservation) -> NetworkDecision:
        level = self._level(obs.on_hand.shape[1])
        return self._decide(obs, level - obs.echelon_position)


@dataclass
class InstallationBaseStock(_BaseStockNetwork):
    """Order and request up to installation levels ``S_i``, net of the children's requests."""

    name: str = "installation_base_stock"

    def act(self, obs: NetworkObservation) -> NetworkDecision:
        network = self.network
        level = self._level(obs.on_hand.shape[1])
        wanted = np.maximum(np.ceil(level - obs.installation_position - 1e-9), 0.0)
        # a parent's own position is reduced by what its children ask of it this period; depth by
        # depth from the stores up, so a middle location's request counts in its parent's position
        owed = np.zeros_like(wanted)
        for depth in range(int(network.depth.max()), 0, -1):
            rows = network.non_roots[network.depth[network.non_roots] == depth]
            if rows.size:
                np.add.at(owed, network.parent[rows], wanted[rows])
                parents = np.unique(network.parent[rows])
                wanted[parents] = np.maximum(
                    np.ceil(level[parents] - obs.installation_position[parents] + owed[parents] - 1e-9), 0.0)
        return self._decide(obs, wanted)
