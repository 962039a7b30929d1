"""``hybridinv twin``: fit a digital twin from a transaction log and write the fit report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hybridinv.cli._io import FolderPath, NearChoice, extra_columns_option, read_csv, refuse_inputs_in_folder

if TYPE_CHECKING:
    import pandas as pd

    from hybridinv.core.catalog import Catalog
    from hybridinv.twin import DigitalTwin

__all__ = ["OUTPUT_FILES", "command", "fit_twin_from_files", "history_frame", "reliability_line", "scenario_text"]

#: The files ``hybridinv twin`` writes into its --out folder.
OUTPUT_FILES: tuple[str, ...] = ("fit_report.csv", "catalog.csv", "history.csv", "scenario.toml")


def fit_twin_from_files(sales_path: str, receipts_path: str | None, period: str, censoring: str,
                        extra_columns: str = "error") -> DigitalTwin:
    """Read the CSV logs and fit a :class:`~hybridinv.twin.DigitalTwin` (shared with ``shadow``)."""
    from hybridinv.twin import DigitalTwin

    sales = read_csv(sales_path, comment="#")
    receipts = read_csv(receipts_path, comment="#") if receipts_path else None
    return DigitalTwin(period=period, censoring=censoring).fit(sales, receipts, extra_columns)  # type: ignore[arg-type]


@click.command(name="twin")
@click.option("--sales", "sales_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Sales log CSV: date, sku, quantity [, on_hand, stockout].")
@click.option("--receipts", "receipts_path", type=click.Path(exists=True, dir_okay=False),
              help="Receipts CSV: sku, order_date, promised_date, arrival_date, quantity_ordered, quantity_received.")
@click.option("--catalog", "catalog_path", type=click.Path(exists=True, dir_okay=False),
              help="Your catalog CSV (sku plus any catalog columns): its costs replace the defaults "
                   "(unit_cost 1, holding_cost 1, shortage_cost 9, lead_time 1).")
@click.option("--period", type=NearChoice(["day", "week", "month"]), default="week", show_default=True,
              help="Planning period the log is aggregated to.")
@click.option("--censoring", type=NearChoice(["impute", "exclude", "ignore"]), default="impute",
              show_default=True, help="Treatment of stock-out periods.")
@click.option("--capacity", type=float, default=None, help="Warehouse capacity written to scenario.toml.")
@click.option("--budget", type=float, default=None, help="Budget per period written to scenario.toml.")
@extra_columns_option
@click.option("--out", "out_dir", required=True, type=FolderPath(),
              help="Folder for fit_report.csv, catalog.csv, history.csv and scenario.toml.")
def command(sales_path: str, receipts_path: str | None, catalog_path: str | None, period: str, censoring: str,
            capacity: float | None, budget: float | None, extra_columns: str, out_dir: str) -> None:
    """Fit demand, lead times and supplier reliability per SKU; write the fit report and a scenario file.

    OUT/scenario.toml (read by --scenario of bench, tune and train) names OUT/catalog.csv
    (your --catalog columns, fitted demand and lead times) and replays OUT/history.csv (the
    sales per period) by a seeded block bootstrap; each supplier's short deliveries become its
    [lead_times.disruptions.suppliers."NAME"] table.
    """
    from hybridinv.core.constraints import Constraints
    from hybridinv.core.outputs import replace_files, write_csv

    # --sales OUT/history.csv --catalog OUT/catalog.csv --out OUT replaced both inputs with the outputs, exit 0
    refuse_inputs_in_folder(out_dir, OUTPUT_FILES, [sales_path, receipts_path, catalog_path], "the twin's files")
    # first: a capacity of -1 or nan was written to scenario.toml, to fail only where the file was used
    Constraints.coerce({key: value for key, value in (("capacity", capacity), ("budget", budget)) if value is not None})
    twin = fit_twin_from_files(sales_path, receipts_path, period, censoring, extra_columns)
    user_catalog = read_csv(catalog_path, comment="#") if catalog_path else None
    report = twin.report_
    # every file is made before any is written: a catalog error left a new fit_report.csv beside the last run's files
    fitted = twin.catalog(user_catalog, extra_columns=extra_columns)  # type: ignore[arg-type]
    catalog = fitted.to_frame()
    history, scenario = history_frame(twin), scenario_text(twin, sales_path, capacity, budget, fitted)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # one set, each whole: a failure midway (a full disk) left a new fit report beside the last run's other files
    replace_files({
        out / "fit_report.csv": lambda temporary: write_csv(report, temporary),
        out / "catalog.csv": lambda temporary: write_csv(catalog, temporary),
        out / "history.csv": lambda temporary: write_csv(history, temporary),
        out / "scenario.toml": lambda temporary: temporary.write_text(scenario, encoding="utf-8"),
    }, column="out")
    click.echo(f"fitted {len(report)} SKUs over {twin.matrix_.demand.shape[0]} {period}s")
    click.echo("demand classes: " + ", ".join(f"{k} {v}" for k, v in report["pattern"].value_counts().items()))
    click.echo("families:       " + ", ".join(f"{k} {v}" for k, v in report["family"].value_counts().items()))
    seasonal = [c for c in report.columns if c.endswith("_significant")]
    for column in seasonal:
        click.echo(f"{column.removesuffix('_significant')}: significant for {int(report[column].sum())} SKUs")
    censored = (report["censored_share"] > 0).to_numpy()
    if not twin.matrix_.has_stock_info:  # "0 SKUs affected (unknown (no stock data))" contradicted itself
        click.echo("censored periods: unknown (the sales log has no on_hand or stockout column)")
    else:
        # how the affected SKUs were treated (the first SKU's flag said "none" when it had no stock-out)
        how = report["censoring"][censored].iloc[0] if censored.any() else report["censoring"].iloc[0] or "none"
        click.echo(f"censored periods: {int(censored.sum())} SKUs affected ({how})")
    if "lead_time_mean" in report:
        # over the SKUs with arrived receipts: the others' defaults (1 period, always on time, in full) diluted it
        logged = report[report["receipts"] > 0]
        if logged.empty:
            click.echo("lead time: no receipt has arrived (no lead time fitted)")
        else:
            click.echo(f"lead time: mean {logged['lead_time_mean'].mean():.2f} {period}s, on-time rate "
                       f"{logged['on_time_rate'].mean():.1%}, supplier fill rate {logged['fill_rate'].mean():.1%} "
                       f"({len(logged)} of {len(report)} SKUs with receipts)")
    if twin.supply_fit_ is not None:
        click.echo(reliability_line(twin, fitted))
    if user_catalog is None:
        click.echo("costs: defaults (unit_cost 1, holding_cost 1, shortage_cost 9); pass --catalog for yours")
    click.echo(f"wrote {out / 'fit_report.csv'}, catalog.csv, history.csv and scenario.toml")


def history_frame(twin: DigitalTwin) -> pd.DataFrame:
    """The aggregated sales of the log, wide: ``sku`` and one column per period (oldest first)."""
    import pandas as pd

    matrix = twin.matrix_
    frame = pd.DataFrame(matrix.demand.T, columns=[str(p) for p in matrix.periods])
    frame.insert(0, "sku", matrix.sku)
    return frame


def reliability_line(twin: DigitalTwin, catalog: Catalog, shown: int = 5) -> str:
    """The summary's line on short deliveries per supplier (those of ``catalog``, as scenario.toml models them)."""
    models = twin.supplier_disruptions(catalog)
    suppliers = sorted(set(str(s) for s in catalog.supplier))
    if not models:
        return (f"short deliveries: none modelled (fewer than 1% of each supplier's receipts short; "
                f"{len(suppliers)} supplier(s))")
    worst = sorted(models.items(), key=lambda item: -item[1].probability)
    parts = [f"{name} {d.probability:.1%} of receipts (delivered {d.fill_fraction[0]:.0%}-{d.fill_fraction[1]:.0%})"
             for name, d in worst[:shown]]
    more = f", {len(worst) - shown} more" if len(worst) > shown else ""
    return (f"short deliveries: {', '.join(parts)}{more}; {len(suppliers) - len(models)} of {len(suppliers)} "
            "supplier(s) none")


def scenario_text(twin: DigitalTwin, sales_path: str, capacity: float | None, budget: float | None,
                  catalog: Catalog | None = None) -> str:
    """``scenario.toml`` for the files the command writes next to it; short deliveries per supplier of
    ``catalog`` (the catalog.csv written beside it; default: ``twin.catalog()``)."""
    from hybridinv.scenario_file import scenario_file_text

    per_year = twin.period.per_year
    data: dict[str, Any] = {
        "name": "twin",
        "description": f"digital twin of {Path(sales_path).name}: sales per {twin.period.value} replayed by a "
                       "seeded block bootstrap",
        "catalog": "catalog.csv",
        "periods": per_year,
        "periods_per_year": per_year,
        "lost_sales": True,
    }
    limits = {key: value for key, value in (("capacity", capacity), ("budget", budget)) if value is not None}
    if limits:
        data["constraints"] = limits
    data["demand"] = {"history": "history.csv"}
    models = twin.supplier_disruptions(catalog)
    if models:  # one table per supplier with short receipts; the others are delivered in full
        data["lead_times"] = {"disruptions": {"suppliers": {name: {
            "probability": float(d.probability), "mean_duration": float(d.mean_duration),
            "extra_delay": int(d.extra_delay), "fill_fraction": [float(x) for x in d.fill_fraction],
        } for name, d in models.items()}}}
    comment = ("Written by `hybridinv twin`; keys in docs/scenarios.md. Use it as --scenario scenario.toml.\n"
               "history.csv holds the sales as recorded: periods with a stock-out are not imputed.")
    return scenario_file_text(data, comment)
