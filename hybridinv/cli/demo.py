"""``hybridinv demo``: plan one period for the bundled example and compare policies."""

from __future__ import annotations

import click

__all__ = ["command"]

_COMPARE = ("hybrid", "newsvendor", "dynamic_ss", "ss", "base_stock")


@click.command(name="demo")
@click.option("--policy", default=None, help="Policy for the plan (default: hybrid if its model is available).")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True, help="Seeds for the KPI comparison.")
@click.option("--periods", type=click.IntRange(min=3), default=52, show_default=True,
              help="Periods per simulated run (the example scenario warms up for 2).")
def command(policy: str | None, seeds: int, periods: int) -> None:
    """Plan one period for the bundled 12-SKU catalog and print a KPI comparison."""
    import pandas as pd

    from hybridinv import PlanningError, plan, simulate
    from hybridinv.core.errors import near_names
    from hybridinv.examples import EXAMPLE_CONSTRAINTS, example_frames, example_scenario
    from hybridinv.policies import registry
    from hybridinv.reasons import legend_text

    available = registry.available()
    chosen = policy or next(p for p in _COMPARE if p in available)
    if chosen not in available:
        raise PlanningError(f"unknown policy or not available here{near_names(chosen, available)}; available: "
                            f"{available}", column="policy", value=chosen)
    catalog, state = example_frames()
    click.echo(
        f"Planning one period for {len(catalog)} SKUs with policy '{chosen}' "
        f"(capacity {EXAMPLE_CONSTRAINTS.capacity:g}, budget {EXAMPLE_CONSTRAINTS.budget:g})\n"
    )
    orders = plan(state, catalog, EXAMPLE_CONSTRAINTS, policy=chosen)
    cols = [
        c
        for c in ("sku", "on_hand", "inventory_position", "forecast_mean", "safety_stock", "desired_qty", "order_qty",
                  "target_reason", "reason")
        if c in orders.columns
    ]
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        click.echo(orders[cols].round(1).to_string(index=False))
    diag = orders.attrs["diagnostics"]
    click.echo(f"\nspend {diag['spend']:.0f} of budget {diag['budget']:g}; {diag['total_units']:.0f} units ordered\n")
    click.echo(legend_text() + "\n")
    scenario = example_scenario(periods)
    rows = []
    for name in _COMPARE:
        if name not in available:
            continue
        result = simulate(registry.make(name, scenario), scenario, seeds=seeds)
        rows.append(
            {
                "policy": name,
                "avg_cost": result["avg_cost"].mean(),
                "fill_rate": result["fill_rate"].mean(),
                "violations": result["violations"].sum(),
                "ms/period": 1000 * result["decision_time"].mean(),
            }
        )
    table = pd.DataFrame(rows).sort_values("avg_cost")
    click.echo(f"KPI comparison on the example scenario ({seeds} seeds x {periods} weeks, common random numbers):")
    click.echo(table.round(3).to_string(index=False))
    missing = [p for p in _COMPARE if p not in available]
    if missing:
        click.echo(f"(not available in this installation: {', '.join(missing)})")
