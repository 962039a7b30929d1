"""Small builders shared by the policy tests."""

from __future__ import annotations

import numpy as np

from hybridinv.core import Catalog, Constraints, InventoryState
from hybridinv.sim.observation import Observation


def observation(
    on_hand: list[float],
    forecast: list[float] | np.ndarray,
    *,
    pipeline: np.ndarray | None = None,
    std: float | np.ndarray = 1.0,
    lead_time: list[int] | None = None,
    constraints: Constraints | None = None,
    lost_sales: bool = True,
    **catalog_fields: object,
) -> Observation:
    """An observation of ``len(on_hand)`` SKUs with a flat forecast of 12 periods."""
    n = len(on_hand)
    fields: dict[str, object] = {
        "sku": np.array([f"S{i}" for i in range(n)], dtype=object),
        "unit_cost": np.ones(n),
        "holding_cost": np.ones(n),
        "shortage_cost": np.full(n, 9.0),
        "lead_time": np.array(lead_time if lead_time is not None else [0] * n),
    }
    fields.update(catalog_fields)
    catalog = Catalog(**fields)  # type: ignore[arg-type]
    mean = np.asarray(forecast, dtype=float)
    mean = np.repeat(mean[:, None], 12, axis=1) if mean.ndim == 1 else mean
    state = InventoryState(catalog.sku, np.asarray(on_hand, dtype=float), None, pipeline)
    return Observation.from_state(
        state, catalog, constraints or Constraints(), mean, np.broadcast_to(np.asarray(std, float), mean.shape).copy(),
        lost_sales=lost_sales,
    )
