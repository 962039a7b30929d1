"""``hybridinv plan-network``: one period of a distribution network from CSV files."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import click

from hybridinv.cli._io import (
    NearChoice,
    check_outputs,
    emit_plan,
    plan_file_options,
    positive_limit,
    read_csv,
    rounded_table,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TABLE_COLUMNS", "command", "network_table"]

#: Columns of the table ``hybridinv plan-network`` prints, with their number formats (None: text).
TABLE_COLUMNS: dict[str, str | None] = {
    "location": None,
    "sku": None,
    "source": None,
    "quantity": "{:.0f}",
    "desired_qty": "{:.0f}",
    "target_level": "{:.0f}",
    "on_hand": "{:.0f}",
    "installation_position": "{:.0f}",
    "echelon_position": "{:.0f}",
    "forecast_mean": "{:.1f}",
    "order_value": "{:.2f}",
    "reason": None,
}

_EXISTING = click.Path(exists=True, dir_okay=False)


@click.command(name="plan-network")
@click.option("--locations", "locations_path", required=True, type=_EXISTING,
              help="Locations CSV (location, parent (empty: supplier), lead_time[, capacity]).")
@click.option("--state", "state_path", required=True, type=_EXISTING,
              help="State CSV, one row per location and SKU (location, sku, on_hand[, backorders, pipeline_<k>]).")
@click.option("--catalog", "catalog_path", required=True, type=_EXISTING,
              help="Catalog CSV (the single-location columns without lead_time).")
@click.option("--forecast", "forecast_path", type=_EXISTING,
              help="Forecast CSV per store (location, sku, mean[, std, period]); default: the catalog's demand_mean.")
@click.option("--budget", type=float, default=float("inf"), show_default=True, callback=positive_limit,
              help="Purchase budget of this period's supplier orders.")
@click.option("--policy", type=NearChoice(["echelon_base_stock", "installation_base_stock"]),
              default="echelon_base_stock", show_default=True, help="Base-stock policy (levels from the forecast).")
@click.option("--service-level", type=float, default=None,
              help="Service level of the locations above the stores (default: each SKU's critical fractile).")
@click.option("--backend", type=NearChoice(["auto", "fast", "highs", "pulp"]), default="auto", show_default=True,
              help="Network repair backend.")
@plan_file_options
def command(
    locations_path: str,
    state_path: str,
    catalog_path: str,
    forecast_path: str | None,
    budget: float,
    policy: str,
    service_level: float | None,
    backend: str,
    extra_columns: str,
    out_path: str | None,
    diag_path: str | None,
) -> None:
    """Plan one network period: supplier orders at the roots, shipments into the other locations.

    One row per location and SKU; ``reason`` says why the quantity differs from the desired
    one (docs/multi_echelon.md, 'Planning a network period'). Warnings (constraints that
    cannot all be met, catalog columns the network plan does not model, a budget too small for any
    supplier order, capacities no SKU's volume uses) are printed to stderr
    as ``Warning: ...`` lines and kept in the diagnostics.
    """
    from hybridinv import ConstraintViolationWarning, PlanningWarning
    from hybridinv.network.planning import plan_network

    check_outputs(out_path, diag_path, (locations_path, state_path, catalog_path, forecast_path))
    with warnings.catch_warnings():  # printed once below, from the diagnostics
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        warnings.filterwarnings("ignore", "the network plan does not model", PlanningWarning)
        warnings.filterwarnings("ignore", r"budget \S+ is below the cheapest supplier order", PlanningWarning)
        warnings.filterwarnings("ignore", r"location capacities are set .* every SKU has volume 0", PlanningWarning)
        result = plan_network(
            read_csv(locations_path, dtype={"location": str, "parent": str}),
            read_csv(state_path, dtype={"location": str, "sku": str}),
            read_csv(catalog_path, dtype={"sku": str}),
            budget=budget,
            forecast=read_csv(forecast_path, dtype={"location": str, "sku": str}) if forecast_path else None,
            policy=policy,
            backend=backend,
            service_level=service_level,
            extra_columns=extra_columns,
        )
    emit_plan(result, out_path, diag_path, "" if out_path else network_table(result))


def network_table(result: pd.DataFrame) -> str:
    """The plan as a table for people: :data:`TABLE_COLUMNS`, rounded, with a one-line total."""
    table = rounded_table(result, TABLE_COLUMNS)
    diag = result.attrs.get("diagnostics", {})
    budget = diag.get("budget", float("inf"))
    of_budget = f" of budget {budget:,.2f}" if math.isfinite(budget) else ""
    roots = result["decision"] == "supplier_order"
    total = (f"{result['location'].nunique()} locations x {result['sku'].nunique()} SKUs: "
             f"{int(result.loc[roots, 'quantity'].sum()):,} units ordered, "
             f"{int(result.loc[~roots, 'quantity'].sum()):,} shipped, spend {diag.get('spend', 0.0):,.2f}{of_budget}; "
             f"repair {diag.get('backend', '?')} ({diag.get('status', '?')}, gap {diag.get('gap', float('nan')):.2%}); "
             "every column at full precision: --output plan.csv")
    return f"{table}\n\n{total}"
