"""The bundled example catalog (12 SKUs) used by ``hybridinv demo`` and the docs."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import whole_number
from hybridinv.core.state import InventoryState
from hybridinv.demand.processes import DemandDistribution, DemandProcess, Promotions, Seasonality
from hybridinv.sim.scenario import Scenario

__all__ = ["EXAMPLE_CONSTRAINTS", "example_frames", "example_scenario", "write_example_files"]

#: Capacity (volume units) and weekly budget of the example warehouse.
EXAMPLE_CONSTRAINTS = Constraints(capacity=480.0, budget=1500.0)


def example_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The example catalog and state as DataFrames (as a planner would load them from CSV)."""
    data = resources.files("hybridinv") / "data"
    with resources.as_file(data / "example_catalog.csv") as path:
        catalog = pd.read_csv(path)
    with resources.as_file(data / "example_state.csv") as path:
        state = pd.read_csv(path)
    return catalog, state


def write_example_files(folder: str | Path = ".", periods: int = 4) -> list[Path]:
    """Write the example's ``catalog.csv``, ``state.csv`` and ``forecast.csv`` (``periods`` periods of each SKU's
    ``demand_mean`` and ``demand_std``) into ``folder``, the files the README's first plan reads; returns their paths.

    Raises
    ------
    PlanningError
        If one of the three files exists already (it is not overwritten), naming it.
    """
    from hybridinv.core.errors import PlanningError

    periods = whole_number(periods, "periods", 1)
    catalog, state = example_frames()
    forecast = pd.DataFrame({"sku": catalog["sku"].repeat(periods), "period": list(range(periods)) * len(catalog),
                             "mean": catalog["demand_mean"].repeat(periods),
                             "std": catalog["demand_std"].repeat(periods)})
    target = Path(folder)
    paths = [target / name for name in ("catalog.csv", "state.csv", "forecast.csv")]
    for path in paths:
        if path.exists():
            raise PlanningError("exists already; it is not overwritten (choose another folder)", column="folder",
                                value=str(path))
    target.mkdir(parents=True, exist_ok=True)
    for path, frame in zip(paths, (catalog, state, forecast), strict=True):
        frame.to_csv(path, index=False)
    return paths


def example_scenario(periods: int = 52) -> Scenario:
    """A weekly scenario on the example catalog: seasonal negative-binomial demand
    with promotions, the example capacity and budget, starting from the example state (a warm-up of 2
    periods, fewer in a shorter run)."""
    periods = whole_number(periods, "periods", 1)
    catalog_df, state_df = example_frames()
    catalog = Catalog.from_frame(catalog_df)
    state = InventoryState.from_frame(state_df, catalog=catalog)
    rng = np.random.default_rng(12)
    demand = DemandProcess(
        mean=catalog.demand_mean,
        distribution=DemandDistribution.NEGATIVE_BINOMIAL,
        dispersion=4.0,
        seasonality=(Seasonality(period=52, amplitude=rng.uniform(0.1, 0.4, catalog.n_skus)),),
        promotions=Promotions(probability=0.03, lift=2.0, duration=2),
    )
    return Scenario(
        name="example",
        catalog=catalog,
        constraints=EXAMPLE_CONSTRAINTS,
        demand=demand,
        periods=periods,
        initial_state=state,
        warmup=min(2, periods - 1),  # periods=1 or 2 failed naming a warmup the caller never gave
        description="bundled 12-SKU example catalog, weekly",
    )
