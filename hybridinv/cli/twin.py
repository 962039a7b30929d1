"""``hybridinv twin``: fit a digital twin from a transaction log and write the fit report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from hybridinv.cli._io import read_csv

if TYPE_CHECKING:
    from hybridinv.twin import DigitalTwin

__all__ = ["command", "fit_twin_from_files"]


def fit_twin_from_files(sales_path: str, receipts_path: str | None, period: str, censoring: str) -> DigitalTwin:
    """Read the CSV logs and fit a :class:`~hybridinv.twin.DigitalTwin` (shared with ``shadow``)."""
    from hybridinv.twin import DigitalTwin

    sales = read_csv(sales_path, comment="#")
    receipts = read_csv(receipts_path, comment="#") if receipts_path else None
    return DigitalTwin(period=period, censoring=censoring).fit(sales, receipts)


@click.command(name="twin")
@click.option("--sales", "sales_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Sales log CSV: date, sku, quantity [, on_hand, stockout].")
@click.option("--receipts", "receipts_path", type=click.Path(exists=True, dir_okay=False),
              help="Receipts CSV: sku, order_date, promised_date, arrival_date, quantity_ordered, quantity_received.")
@click.option("--period", type=click.Choice(["day", "week", "month"]), default="week", show_default=True,
              help="Planning period the log is aggregated to.")
@click.option("--censoring", type=click.Choice(["impute", "exclude", "ignore"]), default="impute",
              show_default=True, help="Treatment of stock-out periods.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for fit_report.csv and catalog.csv.")
def command(sales_path: str, receipts_path: str | None, period: str, censoring: str, out_dir: str) -> None:
    """Fit demand, lead times and supplier reliability per SKU; write the fit report."""
    from hybridinv.core.outputs import write_csv

    twin = fit_twin_from_files(sales_path, receipts_path, period, censoring)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = twin.report_
    write_csv(report, out / "fit_report.csv")
    write_csv(twin.catalog().to_frame(), out / "catalog.csv")
    click.echo(f"fitted {len(report)} SKUs over {twin.matrix_.demand.shape[0]} {period}s")
    click.echo("demand classes: " + ", ".join(f"{k} {v}" for k, v in report["pattern"].value_counts().items()))
    click.echo("families:       " + ", ".join(f"{k} {v}" for k, v in report["family"].value_counts().items()))
    seasonal = [c for c in report.columns if c.endswith("_significant")]
    for column in seasonal:
        click.echo(f"{column.removesuffix('_significant')}: significant for {int(report[column].sum())} SKUs")
    censored = int((report["censored_share"] > 0).sum())
    click.echo(f"censored periods: {censored} SKUs affected ({report['censoring'].iloc[0] or 'none'})")
    if "lead_time_mean" in report:
        click.echo(f"lead time: mean {report['lead_time_mean'].mean():.2f} {period}s, on-time rate "
                   f"{report['on_time_rate'].mean():.1%}, supplier fill rate {report['fill_rate'].mean():.1%}")
    click.echo(f"wrote {out / 'fit_report.csv'} and {out / 'catalog.csv'}")
