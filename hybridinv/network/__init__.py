"""Multi-echelon networks: a tree of locations (suppliers → warehouses → stores).

- :mod:`~hybridinv.network.model`: :class:`Network` (topology, lead times, capacities, budget);
- :mod:`~hybridinv.network.state`: costs, states, observations with installation and echelon positions;
- :mod:`~hybridinv.network.allocation`: balanced (fair-share) allocation of a parent's stock;
- :mod:`~hybridinv.network.simulator`: :class:`NetworkSimulator`, arrays (locations, SKUs);
- :mod:`~hybridinv.network.ledger`: costs, unit flows and KPIs per location and network-wide;
- :mod:`~hybridinv.network.policies`: echelon and installation base-stock;
- :mod:`~hybridinv.network.scenarios`: network scenarios and their registry (``serial_3``, ...);
- :mod:`~hybridinv.network.runner`: :func:`simulate_network` over seeds (common random numbers);
- :mod:`~hybridinv.network.limits`, :mod:`~hybridinv.network.baselines`: orders cut to budget and
  space; exact and fitted base-stock levels, the policies of the ``network`` benchmark suite;
- :mod:`~hybridinv.network.env`: the gymnasium environment (imported on access: it loads gymnasium).
- :mod:`~hybridinv.network.repair`: :func:`repair_network`, supplier orders and allocation under
  stock, capacities, budget, MOQ and lots (HiGHS, PuLP, a certified fast path).
- :mod:`~hybridinv.network.planning`: :func:`plan_network`, one period from a planner's tables
  (:mod:`~hybridinv.network.plan_inputs` reads and validates them).
- :mod:`~hybridinv.network.hybrid`, :mod:`~hybridinv.network.hybrid_training`: :class:`NetworkHybrid`,
  echelon levels corrected by a shared linear map trained by ES, decisions through the repair;
  :mod:`~hybridinv.network.hybrid_env` (gymnasium) and :mod:`~hybridinv.network.sb3_training`
  (torch; neither imported here): its per-item network map trained by PPO or SAC.
- :mod:`~hybridinv.network.mpc`, :mod:`~hybridinv.network.mpc_model`: :class:`NetworkMPC`, a rolling-horizon
  LP over every location and SKU (HiGHS), its first period executed through the repair.

See docs/network_model.md.
"""

from __future__ import annotations

from hybridinv.network.allocation import FairShare, fair_share
from hybridinv.network.baselines import NETWORK_POLICIES, make_policy
from hybridinv.network.hybrid import NetworkHybrid
from hybridinv.network.ledger import NETWORK_COST_COMPONENTS, NETWORK_UNIT_FLOWS, NetworkLedger
from hybridinv.network.limits import WithinLimits
from hybridinv.network.model import LOCATION_COLUMNS, LocationError, Network
from hybridinv.network.mpc import NetworkMPC
from hybridinv.network.planning import PLAN_POLICIES, network_levels, plan_network
from hybridinv.network.policies import EchelonBaseStock, InstallationBaseStock, base_stock_levels
from hybridinv.network.repair import NetworkRepair, repair_network
from hybridinv.network.repair_model import OrderRules
from hybridinv.network.repair_result import NETWORK_REASONS, NetworkRepairResult
from hybridinv.network.runner import simulate_network
from hybridinv.network.scenarios import NetworkScenario
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
    "NETWORK_POLICIES",
    "NETWORK_REASONS",
    "NETWORK_UNIT_FLOWS",
    "Network",
    "NetworkCosts",
    "NetworkDecision",
    "NetworkHybrid",
    "NetworkLedger",
    "NetworkMPC",
    "NetworkObservation",
    "NetworkPolicy",
    "NetworkRepair",
    "NetworkRepairResult",
    "NetworkScenario",
    "NetworkSimulator",
    "NetworkState",
    "OrderRules",
    "PLAN_POLICIES",
    "WithinLimits",
    "base_stock_levels",
    "echelon_position",
    "fair_share",
    "installation_position",
    "make_policy",
    "network_levels",
    "plan_network",
    "poisson_demand",
    "reject_excess",
    "repair_network",
    "simulate_network",
]
