"""Multi-echelon networks: a tree of locations (suppliers → warehouses → stores).

- :mod:`~hybridinv.network.model`: :class:`Network` (topology, lead times, capacities, budget).

See docs/network_model.md.
"""

from __future__ import annotations

from hybridinv.network.model import LOCATION_COLUMNS, LocationError, Network

__all__ = ["LOCATION_COLUMNS", "LocationError", "Network"]
