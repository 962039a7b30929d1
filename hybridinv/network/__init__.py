"""Multi-echelon networks: a tree of locations (suppliers → warehouses → stores).

- :mod:`~hybridinv.network.model`: :class:`Network` (topology, lead times, capacities, budget);
- :mod:`~hybridinv.network.state`: costs, states, observations with installation and echelon positions;
- :mod:`~hybridinv.network.allocation`: balanced (fair-share) allocation of a parent's stock.

See docs/network_model.md.
"""

from __future__ import annotations

from hybridinv.network.allocation import FairShare, fair_share
from hybridinv.network.model import LOCATION_COLUMNS, LocationError, Network
from hybridinv.network.state import (
    NetworkCosts,
    NetworkDecision,
    NetworkObservation,
    NetworkState,
    echelon_position,
    installation_position,
)

__all__ = [
    "FairShare",
    "LOCATION_COLUMNS",
    "LocationError",
    "Network",
    "NetworkCosts",
    "NetworkDecision",
    "NetworkObservation",
    "NetworkState",
    "echelon_position",
    "fair_share",
    "installation_position",
]
