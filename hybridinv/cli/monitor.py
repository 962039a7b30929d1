"""``hybridinv monitor``: render a static HTML dashboard from a per-period KPI log (a monitoring log)."""

from __future__ import annotations

import os

import click

from hybridinv.cli._io import FolderPath, creatable_directory, read_csv, refuse_input_as_output

__all__ = ["command"]


def _positive(value: float | None) -> float | None:
    """A finite number > 0 (0, a negative, NaN or inf would switch the cost guard off without a word)."""
    import math

    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"must be a finite number > 0, got {value}")
    return value


def _threshold(_context: click.Context, _parameter: click.Parameter, value: str | None) -> float | None:
    """A threshold as a number, or ``off`` (None: the check is disabled, as in ``MonitorThresholds``)."""
    if value is None or value.strip().lower() == "off":
        return None
    try:
        return float(value)
    except ValueError:
        raise click.BadParameter(f"must be a number or 'off', got {value!r}") from None


#: MonitorThresholds fields and the options that set them.
_OPTIONS = {"window": "--window", "min_fill_rate": "--min-fill-rate", "max_cost_ratio": "--max-cost-ratio",
            "min_inventory_turns": "--min-turns", "recovery_periods": "--recovery-periods"}


@click.command(name="monitor")
@click.option("--log", "log_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Per-period KPI log CSV, one row per period with totals over all SKUs: period, demand, served, "
                   "cost [, inventory_value, cogs, expected_unit_cost] (Monitor.history() writes one; a plan, one row "
                   "per SKU, is not one).")
@click.option("--out", "out_dir", required=True, type=FolderPath(),
              help="Dashboard folder (created if needed); DIR/index.html is replaced.")
@click.option("--window", type=int, default=8, show_default=True, help="Rolling window (periods).")
@click.option("--min-fill-rate", default="0.9", show_default=True, callback=_threshold,
              help="Rolling fill rate below which the fallback takes over ('off': no fill-rate check).")
@click.option("--max-cost-ratio", default="1.3", show_default=True, callback=_threshold,
              help="Rolling cost per unit over the expected one above which it does ('off': no cost check).")
@click.option("--min-turns", default=None, callback=_threshold,
              help="Minimum annualized inventory turns (default and 'off': no turns check).")
@click.option("--recovery-periods", type=int, default=6, show_default=True,
              help="Consecutive healthy periods before switching back from the fallback.")
@click.option("--expected-unit-cost", type=float, default=None, callback=lambda _c, _p, v: _positive(v),
              help="Expected cost per unit demanded (default: the log's expected_unit_cost column, "
                   "else the first window).")
@click.option("--periods-per-year", type=click.IntRange(min=1), default=52, show_default=True)
def command(log_path: str, out_dir: str, window: int, min_fill_rate: float | None, max_cost_ratio: float | None,
            min_turns: float | None, recovery_periods: int, expected_unit_cost: float | None,
            periods_per_year: int) -> None:
    """Replay the monitoring rules over a per-period KPI log and write DIR/index.html.

    The log (--log) has one row per period with that period's totals over all SKUs: period (whole numbers,
    increasing), demand and served (units), cost; optionally inventory_value and cogs (for --min-turns) and
    expected_unit_cost. Monitor.history().to_csv(path, index=False) writes one, from a simulation, from plan()
    with a Monitor as the policy, or from Monitor.observe() fed the ERP's totals of each period. A plan (the
    output of hybridinv plan, one row per SKU) is not such a log.
    """
    from hybridinv.core.errors import PlanningError
    from hybridinv.deploy import Monitor, MonitorThresholds, render_dashboard

    # --log DIR/index.html --out DIR replaced the log with the dashboard without a word
    refuse_input_as_output(os.path.join(out_dir, "index.html"), "--out", [log_path],
                           "write the dashboard (index.html) to another folder")
    creatable_directory(out_dir, "--out")  # made by render_dashboard, once the log is read and checked
    try:
        thresholds = MonitorThresholds(window=window, min_fill_rate=min_fill_rate, max_cost_ratio=max_cost_ratio,
                                       min_inventory_turns=min_turns, recovery_periods=recovery_periods)
    except PlanningError as exc:  # named the Python field ('window'), not the option the user typed
        option = _OPTIONS.get(str(exc.column), str(exc.column))
        raise click.BadParameter(f"{exc.message} (got {exc.value!r})" if exc.value is not None else exc.message,
                                 param_hint=option) from None
    log = read_csv(log_path, comment="#")
    if log.empty:
        raise click.ClickException(f"{log_path}: the monitoring log has no rows")
    if expected_unit_cost is not None and "expected_unit_cost" in log.columns:
        log = log.drop(columns="expected_unit_cost")
    monitor = Monitor.replay_log(log, thresholds, expected_unit_cost, periods_per_year)
    try:
        page = render_dashboard(monitor.history(), monitor.events_frame(), thresholds, out_dir)
    except PlanningError as exc:  # the folder or the page (a full disk): named as the option, not 'out_dir'
        if exc.column != "out_dir":
            raise
        raise click.ClickException(f"--out {exc.value!r}: {exc.message}") from None
    events = monitor.events_frame()
    click.echo(f"{len(log)} periods, {len(events)} switch(es), the fallback planned "
               f"{monitor.history()['decided_by_fallback'].mean():.1%} of the periods")
    for row in events.itertuples(index=False):
        click.echo(f"  period {row.period}: {row.kind} ({row.reason})")
    click.echo(f"wrote {page}")
