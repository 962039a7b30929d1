"""Multi-echelon networks: a tree of locations (suppliers → warehouses → stores).

- :mod:`~hybridinv.network.model`: :class:`Network` (topology, lead times, capacities, budget);
- :mod:`~hybridinv.network.state`: costs, states, observations with installation and echelon positions;
- :mod:`~hybridinv.network.allocation`: balanced (fair-share) allocation of a parent's stock;
- :mod:`~hybridinv.network.simulator`: :class:`NetworkSimulator`, arrays (locations, SKUs);
- :mod:`~hybridinv.network.ledger`: costs, unit flows and KPIs per location and network-wide;
- :mod:`~hybridinv.network.policies`: echelon and installation base-stock;
- :mod:`~hybridinv.network.repair`: :func:`repair_network`, supplier orders and allocation under
  stock, capacities, budget, MOQ and lots (HiGHS, PuLP, a certified fast path).

See docs/network_model.md.
"""

from __future__ import annotations

from hybridinv.network.allocation import FairShare, fair_share
from hybridinv.network.ledger import NETWORK_COST_COMPONENTS, NETWORK_UNIT_FLOWS, NetworkLedger
from hybridinv.network.model import LOCATION_COLUMNS, LocationError, Network
from hybridinv.network.policies import EchelonBaseStock, InstallationBaseStock, base_stock_levels
from hybridinv.network.repair import NetworkRepair, repair_network
from hybridinv.network.repair_model import OrderRules
from hybridinv.network.repair_result import NETWORK_REASONS, NetworkRepairResult
from hybridinv.network.simulator import NetworkPolicy, NetworkSimulator, poisson_demand, reject_excess
from hybridinv.network.state import (
    NetworkCosts,
    NetworkDecision,
    NetworkObservation,
    NetworkState,
    echelon_position,
    installation_position,
)

__all__ = [
    "EchelonBaseStock",
    "FairShare",
    "InstallationBaseStock",
    "LOCATION_COLUMNS",
    "LocationError",
    "NETWORK_COST_COMPONENTS",
    "NETWORK_REASONS",
    "NETWORK_UNIT_FLOWS",
    "Network",
    "NetworkCosts",
    "NetworkDecision",
    "NetworkLedger",
    "NetworkObservation",
    "NetworkPolicy",
    "NetworkRepair",
    "NetworkRepairResult",
    "NetworkSimulator",
    "NetworkState",
    "OrderRules",
    "base_stock_levels",
    "echelon_position",
    "fair_share",
    "installation_position",
    "poisson_demand",
    "reject_excess",
    "repair_network",
]
