"""Small builders shared by the policy tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from hybridinv.core import Catalog, Constraints, InventoryState
from hybridinv.sim.observation import Observation
from hybridinv.sim.scenario import Scenario


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


def assert_levels_follow_their_skus(policies: list[Any], scenario: Scenario) -> Observation:
    """Each policy's order-up-to levels on ``scenario`` with its catalog listed in reverse are every SKU's own
    (and differ by SKU, so the order matters), and a catalog of other SKUs is a PlanningError naming the first.

    Returns the observation of the reversed catalog (for further checks).
    """
    import dataclasses

    import pandas as pd
    import pytest

    from hybridinv import PlanningError
    from hybridinv.sim.simulator import Simulator

    catalog = scenario.catalog
    reverse = Catalog.from_frame(catalog.to_frame().iloc[::-1].reset_index(drop=True))
    obs = Simulator(scenario).reset(seed=0)
    # the lead-time process derived from the catalog in the reversed order (the scenario's carried the first SKU's
    # lead time to the last one, refused since 2026-12-06)
    flipped_obs = Simulator(dataclasses.replace(scenario, catalog=reverse, lead_times=None)).reset(seed=0)
    frame = catalog.to_frame()
    frame["sku"] = [f"X{i}" for i in range(len(frame))]
    stranger = dataclasses.replace(scenario, catalog=Catalog.from_frame(frame), initial_state=None)
    stranger_obs = Simulator(stranger).reset(seed=0)
    for policy in policies:
        own = pd.Series(policy.targets(obs)[1], index=catalog.sku)
        other = pd.Series(policy.targets(flipped_obs)[1], index=reverse.sku)
        pd.testing.assert_series_equal(other.sort_index(), own.sort_index())
        assert not np.array_equal(other.to_numpy(), own.to_numpy())
        with pytest.raises(PlanningError, match="X0"):
            policy.targets(stranger_obs)
    return flipped_obs
