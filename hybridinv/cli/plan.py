"""``hybridinv plan``: orders for one period from CSV files."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import click

from hybridinv.cli._io import (
    FolderPath,
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

__all__ = ["TABLE_COLUMNS", "command", "plan_table"]

#: Columns of the table ``hybridinv plan`` prints, with their number formats (None: text).
TABLE_COLUMNS: dict[str, str | None] = {
    "sku": None,
    "order_qty": "{:.0f}",
    "desired_qty": "{:.0f}",
    "on_hand": "{:.0f}",
    "inventory_position": "{:.0f}",
    "reorder_point": "{:.1f}",
    "order_up_to": "{:.1f}",
    "forecast_mean": "{:.1f}",
    "safety_stock": "{:.1f}",
    "order_value": "{:.2f}",
    "target_reason": None,
    "reason": None,
}


@click.command(name="plan")
@click.option(
    "--catalog", "catalog_path", required=True, type=click.Path(exists=True, dir_okay=False), help="Catalog CSV."
)
@click.option(
    "--state",
    "state_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="State CSV (sku, on_hand, ...).",
)
@click.option(
    "--forecast",
    "forecast_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Forecast CSV (sku, period, mean[, std]).",
)
@click.option(
    "--open-orders",
    "orders_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Open orders CSV (sku, arrives_in, quantity).",
)
@click.option(
    "--stock-ages",
    "ages_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Ages of perishable stock on hand CSV (sku, life_left, quantity; life_left 1 = expires at the end of this "
         "period); stock it does not list is fresh.",
)
@click.option(
    "--demand-history",
    "history_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Past demand CSV (sku + one column per past period, oldest first).",
)
@click.option(
    "--forecast-history",
    "past_forecast_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The forecasts made for those past periods (same columns); lets the hybrid correct forecast drift.",
)
@click.option(
    "--capacity", type=float, default=float("inf"), show_default=True, callback=positive_limit,
    help="Warehouse capacity (volume units)."
)
@click.option("--budget", type=float, default=float("inf"), show_default=True, callback=positive_limit,
              help="Purchase budget for this period.")
@click.option(
    "--policy",
    default="hybrid",
    show_default=True,
    help="Policy name (hybrid, newsvendor, ss, base_stock, dynamic_ss, mpc, ...).",
)
@click.option("--model", "model", type=FolderPath(), default=None,
              help="Model directory for --policy hybrid/ppo/sac (e.g. from hybridinv train --history); its files "
                   "must match the SHA-256 hashes in its metadata.json.")
@click.option("--backend", type=NearChoice(["fast", "auto", "highs", "pulp"]), default=None,
              help="Repair backend of the policy (plan(..., repair=...)); default: the policy's own "
                   "(hybrid: fast; classical policies: auto).")
@click.option("--validate", type=click.IntRange(min=0), default=0, show_default=True,
              help="Hybrid: replay the last N periods of --demand-history and fall back to the base if it lost "
                   "beyond the noise (paired 95% intervals over SKUs and periods).")
@click.option("--backorders", is_flag=True, help="Unmet demand is backordered (default: lost sales).")
@click.option("--period", type=click.IntRange(min=0), default=0, show_default=True,
              help="Index of the planned period (e.g. the week number; plan(..., period=N)), read by learned "
                   "policies' season features: give the next one on each run.")
@click.option("--periods-per-year", type=click.IntRange(min=1), default=52, show_default=True,
              help="Periods in a year (52 for weeks, 12 for months): where --period falls in the seasonal cycle.")
@plan_file_options
def command(
    catalog_path: str,
    state_path: str,
    forecast_path: str | None,
    orders_path: str | None,
    ages_path: str | None,
    history_path: str | None,
    past_forecast_path: str | None,
    capacity: float,
    budget: float,
    policy: str,
    model: str | None,
    backend: str | None,
    validate: int,
    backorders: bool,
    period: int,
    periods_per_year: int,
    extra_columns: str,
    out_path: str | None,
    diag_path: str | None,
) -> None:
    """Plan one period's orders: a rounded table on stdout, or every column as CSV (--output).

    The table shows quantities as whole units, targets and forecasts to one decimal and
    money to two; target_reason and reason are explained by the legend of
    ``hybridinv demo`` (docs/concepts.md, 'Reason codes'). Warnings of the plan
    (constraints that cannot all be met, a budget too small for any order, demand
    history without forecast history) are printed to stderr as ``Warning: ...``
    lines and kept in the diagnostics.
    """
    from hybridinv import Constraints, ConstraintViolationWarning, PlanningWarning, plan
    from hybridinv.core.errors import near_names
    from hybridinv.policies.registry import FACTORIES

    if policy not in FACTORIES:  # a usage error before the files are read (was exit 1 after reading them)
        raise click.BadParameter(f"unknown policy {policy!r}{near_names(policy, FACTORIES)}; known: "
                                 f"{', '.join(sorted(FACTORIES))}", param_hint="--policy")
    check_outputs(out_path, diag_path, (catalog_path, state_path, forecast_path, orders_path, ages_path,
                                        history_path, past_forecast_path))
    options: dict[str, Any] = {} if model is None else {"model": model}
    if backend is not None:
        options["repair"] = backend
    with warnings.catch_warnings():  # printed once below, from the diagnostics (a CLI run is single-threaded)
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        warnings.simplefilter("ignore", PlanningWarning)
        result = plan(
            read_csv(state_path),
            read_csv(catalog_path),
            Constraints(capacity=capacity, budget=budget),
            forecast=read_csv(forecast_path) if forecast_path else None,
            policy=policy,
            open_orders=read_csv(orders_path) if orders_path else None,
            demand_history=read_csv(history_path) if history_path else None,
            forecast_history=read_csv(past_forecast_path) if past_forecast_path else None,
            stock_ages=read_csv(ages_path) if ages_path else None,
            lost_sales=not backorders,
            period=period,
            periods_per_year=periods_per_year,
            extra_columns=extra_columns,
            validate=validate if validate > 0 else False,
            **options,
        )
    emit_plan(result, out_path, diag_path, "" if out_path else plan_table(result))


def plan_table(result: pd.DataFrame) -> str:
    """The plan as a table for people: :data:`TABLE_COLUMNS`, rounded, with a one-line total.

    ``expiring_before_arrival`` follows ``inventory_position`` when some perishable stock expires before an
    order placed now arrives. Quantities are whole units, targets, forecasts and safety stocks one decimal, money two
    decimals; NaN (a policy without targets) prints as ``-``. Text cells a spreadsheet would
    evaluate are escaped as in the CSV (:func:`hybridinv.core.outputs.escape_formulas`).
    """
    formats = TABLE_COLUMNS
    if "expiring_before_arrival" in result.columns and (result["expiring_before_arrival"] > 0).any():
        # beside the position that counts it: 100 units on hand of which 90 expire before an order arrives read as
        # ample stock; shown only when some stock expires (every other plan keeps its width)
        formats = {}
        for column, fmt in TABLE_COLUMNS.items():
            formats[column] = fmt
            if column == "inventory_position":
                formats["expiring_before_arrival"] = "{:.0f}"
    table = rounded_table(result, formats)
    diag = result.attrs.get("diagnostics", {})
    spend = float(result["order_value"].sum())
    budget = diag.get("budget", float("inf"))
    of_budget = f" of budget {budget:,.2f}" if math.isfinite(budget) else ""
    total = (f"{len(result)} SKUs, {int(result['order_qty'].sum()):,} units ordered, spend {spend:,.2f}{of_budget}; "
             "every column at full precision: --output plan.csv")
    return f"{table}\n\n{total}"
