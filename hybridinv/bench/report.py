"""Benchmark outputs: ``results.csv``, ``summary.md`` and ``report.html`` with embedded plots.

The summary gives, per scenario and policy, the mean cost per period with its
95% t-interval, the fill rate, the gap to the exact optimum (single-SKU
lost-sales scenarios) or to the clairvoyant lower bound (when available), and
the paired per-seed difference to the best classical baseline of the scenario.
The cost is the scenario's :attr:`~hybridinv.sim.Scenario.cost_key` (``avg_cost``, or
``valued_cost`` for ``cost_basis = "valued"``); the gap to the clairvoyant bound is on
``valued_cost``, and a NOTE names the policies whose ``avg_cost`` leans on the stock value
they carry (the warm-up loophole, docs/benchmarks.md).

Names (suite, scenarios, policies, failure reasons, notes) are escaped wherever they
are written: HTML special characters in ``summary.md`` and ``report.html``
(:func:`hybridinv.core.outputs.markdown_text`), formula-like cells in ``results.csv``
(:func:`hybridinv.core.outputs.write_csv`), ``$`` in the plots.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybridinv.bench import plots
from hybridinv.bench.benchmark import BenchResult
from hybridinv.bench.stats import paired_difference, t_interval
from hybridinv.core.outputs import markdown_text as _md
from hybridinv.core.outputs import output_directory, refuse_replacing_inputs, replace_files, write_csv
from hybridinv.sim.scenario import COST_BASES

__all__ = ["OUTPUT_FILES", "summary_markdown", "summary_table", "write_outputs"]

#: The files :func:`write_outputs` writes into its folder.
OUTPUT_FILES: tuple[str, ...] = ("results.csv", "gap_references.csv", "summary.md", "report.html")


#: Share of ``avg_cost`` above which a policy's ``stock_value_change`` earns a note: its score leans on stock
#: bought in the warm-up (free on ``avg_cost``) or left at the end.
STOCK_VALUE_SHARE = 0.05


def cost_key(result: BenchResult, scenario: str) -> str:
    """The column ``scenario`` is ranked on: ``valued_cost`` for a scenario with ``cost_basis = "valued"``, else
    ``avg_cost`` (until 2026-12-07 always ``avg_cost``, while ``hybridinv tune`` honoured the basis)."""
    return COST_BASES.get(result.cost_bases.get(scenario, "purchases"), "avg_cost")


def _gap(result: BenchResult, scenario: str, runs: pd.DataFrame, key: str = "avg_cost") -> tuple[float, str]:
    """Relative gap of the mean cost to the optimum or lower bound, and what it is measured against.

    The exact optimum is compared with the ranked cost ``key``. The clairvoyant bound is on the valued basis
    (:func:`~hybridinv.policies.clairvoyant.clairvoyant_bound`), so it is compared with ``valued_cost`` whatever
    ``key`` is (``avg_cost`` in frames without it): on ``avg_cost``'s basis the model bought the measured
    periods' stock in the warm-up for nothing and was no use as a reference (25 a period where every policy paid
    160). The bound is per seed, so cost and bound are averaged over the same seeds: those with both a cost and a
    finite bound (a bound that failed on some seeds used to be averaged over the others while the cost kept every
    seed).
    """
    cost = float(runs[key].mean())
    if scenario in result.optima:
        method, optimum = result.optima[scenario]
        return (cost - optimum) / optimum if optimum > 0 else math.nan, method
    bounds = result.bounds[result.bounds["scenario"] == scenario] if len(result.bounds) else result.bounds
    if len(bounds):
        valued = "valued_cost" if "valued_cost" in runs.columns else "avg_cost"
        merged = runs[["seed", valued]].merge(bounds[["seed", "bound"]], on="seed")
        both = merged[np.isfinite(merged["bound"].to_numpy(dtype=float)) & merged[valued].notna()]
        bound = float(both["bound"].mean()) if len(both) else math.nan
        if math.isfinite(bound) and bound > 0:
            paired_cost = float(both[valued].mean())
            return (paired_cost - bound) / bound, "clairvoyant bound"
    return math.nan, "n/a"


def stock_value_notes(result: BenchResult, scenario: str) -> list[str]:
    """Policies ranked on ``avg_cost`` whose mean ``|stock_value_change|`` exceeds :data:`STOCK_VALUE_SHARE` of
    their mean ``|avg_cost|``, one sentence each (none where the scenario is ranked on ``valued_cost``)."""
    if cost_key(result, scenario) != "avg_cost" or "stock_value_change" not in result.runs.columns:
        return []
    runs = result.runs[result.runs["scenario"] == scenario]
    notes = []
    for policy in result.policies:
        mine = runs[runs["policy"] == policy]
        change, cost = float(mine["stock_value_change"].mean()), float(mine["avg_cost"].mean())
        if not (math.isfinite(change) and math.isfinite(cost)) or abs(change) <= STOCK_VALUE_SHARE * abs(cost):
            continue
        how = "more stock than it started the measured periods with (bought, not yet sold)" if change > 0 else \
            "stock it did not pay for on this basis (bought in the warm-up, sold in the measured periods)"
        notes.append(f"`{_md(policy)}`: the value of its inventory position changed by {_plain(change)} a period "
                     f"over the measured periods ({_percent(abs(change) / abs(cost))} of its cost {_plain(cost)}): "
                     f"its cost counts {how}. Compare `valued_cost` in results.csv ({_plain(cost - change)}), or "
                     "rank on it with `cost_basis = \"valued\"` in the scenario.")
    return notes


def best_baseline(result: BenchResult, scenario: str) -> str | None:
    """The baseline policy with the lowest mean cost on ``scenario`` (None when no baseline ran).

    Means are taken over the seeds every baseline that ran has (common random numbers): a baseline that
    failed its worst seed was ranked on the others and called best while the paired differences beside
    it showed another baseline cheaper. Without a seed they all share, over each one's own seeds.
    """
    runs = result.runs[(result.runs["scenario"] == scenario) & result.runs["policy"].isin(result.suite.baselines)]
    if not len(runs):
        return None
    key = cost_key(result, scenario)
    shared = runs.pivot_table(index="seed", columns="policy", values=key, aggfunc="mean").dropna()
    means = shared.mean() if len(shared) else runs.groupby("policy")[key].mean()
    return str(means.idxmin())


def summary_table(result: BenchResult, confidence: float = 0.95) -> pd.DataFrame:
    """One row per scenario and policy with means, intervals, gaps and paired differences.

    Columns: ``scenario, policy, cost_key, seeds, cost, cost_half_width, fill_rate, service_level,
    violations, gap, gap_reference, baseline, paired_difference, paired_half_width, paired_seeds,
    repair_share_changed, decision_ms``; ``paired_seeds`` counts the seeds the paired difference is over (those
    the policy shares with the baseline: fewer than ``seeds`` when the baseline lost runs). ``cost_key`` is the
    column cost and paired differences are taken from (:func:`cost_key`); the gap to a clairvoyant bound is on
    ``valued_cost`` (:func:`_gap`).
    """
    rows: list[dict[str, Any]] = []
    frame = result.runs
    for scenario in result.scenarios:
        runs = frame[frame["scenario"] == scenario]
        key = cost_key(result, scenario)
        baseline = best_baseline(result, scenario)
        reference = runs[runs["policy"] == baseline].set_index("seed")[key] if baseline else None
        for policy in result.policies:
            mine = runs[runs["policy"] == policy]
            if not len(mine):
                continue
            cost = t_interval(mine[key], confidence)
            gap, gap_reference = _gap(result, scenario, mine, key)
            paired, shared = None, 0
            if reference is not None:
                aligned = mine.set_index("seed")[key].align(reference, join="inner")
                paired = paired_difference(aligned[0].to_numpy(), aligned[1].to_numpy(), confidence)
                shared = len(aligned[0])
            rows.append({
                "scenario": scenario,
                "policy": policy,
                "cost_key": key,
                "seeds": cost.n,
                "cost": cost.mean,
                "cost_half_width": cost.half_width,
                "fill_rate": float(mine["fill_rate"].mean()),
                "service_level": float(mine["cycle_service_level"].mean()),
                "violations": float(mine["violations"].mean()),
                "gap": gap,
                "gap_reference": gap_reference,
                "baseline": baseline or "",
                "paired_difference": paired.mean if paired else math.nan,
                "paired_half_width": paired.half_width if paired else math.nan,
                "paired_seeds": shared,
                "repair_share_changed": float(mine["repair_share_changed"].mean()),
                "decision_ms": 1000.0 * float(mine["decision_time"].mean()),
            })
    return pd.DataFrame(rows)


def _number(value: float, digits: int = 4, percent: bool = False) -> str:
    if not math.isfinite(value):
        return "n/a"
    if percent:
        return _percent(value)
    return _plain(value, digits)


def _percent(value: float) -> str:
    """``value`` as a percentage with one decimal, more where rounding would reach 100% or 0% (0.9996 read
    100.0%, as if nothing was short, and 0.99996 still did at two decimals; 4e-05 read 0.0%; -1e-05 -0.0%)."""
    for decimals in range(1, 7):
        text = f"{100 * value:.{decimals}f}"
        shown = float(text)
        if not ((value < 1.0 and shown >= 100.0) or (value > 0.0 and shown <= 0.0) or (value < 0.0 and shown >= 0.0)):
            return f"{text}%"
    if value > 0.5:  # within 1e-8 of 1: cut, never rounded up to 100
        return f"{math.floor(100 * value * 10**6) / 10**6:.6f}%"
    return f"{100 * value:.2g}%"


def _plain(value: float, digits: int = 4) -> str:
    """``value`` without an exponent: whole with thousands separators from 1,000 on (``.4g`` printed 12,345.6 as
    ``1.235e+04``), else ``digits`` significant digits."""
    return f"{value:,.0f}" if abs(value) >= 10 ** (digits - 1) else f"{value:.{digits}g}"


def _interval(mean: float, half_width: float) -> str:
    if not math.isfinite(mean):
        return "n/a"
    return _plain(mean) if not math.isfinite(half_width) else f"{_plain(mean)} ± {_plain(half_width, 2)}"


def _single_seed_rows(part: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """The rows of a scenario's summary table whose cost, or Δ vs the baseline, is a value with no interval."""
    def bare(mean: str, half: str) -> pd.Series:
        means, halves = part[mean].to_numpy(dtype=np.float64), part[half].to_numpy(dtype=np.float64)
        return pd.Series(np.isfinite(means) & ~np.isfinite(halves), index=part.index)

    return part[bare("cost", "cost_half_width") | (bare("paired_difference", "paired_half_width")
                                                    & (part["policy"] != baseline))]


def _policy_count(result: BenchResult) -> str:
    """"4 policies", or "4 policies (3 with results)" when some failed everywhere (they were not counted)."""
    asked, present = len(result.suite.policies), len(result.policies)
    return f"{asked} policies" + (f" ({present} with results)" if present < asked else "")


def summary_markdown(result: BenchResult, confidence: float = 0.95) -> str:
    """The summary as Markdown: one table per scenario, then skipped policies and notes."""
    table = summary_table(result, confidence)
    level = f"{100 * confidence:g}%"
    lines = [
        f"Suite `{_md(result.suite.name)}`: {len(result.scenarios)} scenarios x {_policy_count(result)} x "
        f"{result.suite.seeds} seeds (common random numbers), backend `{_md(result.backend)}`, "
        f"{result.elapsed:.0f} s wall clock.",
        "",
        f"Cost = mean cost per period ± {level} t-interval half-width over seeds; a period's cost is holding + "
        "shortage + ordering (fixed cost per order plus unit cost per unit delivered) + waste + overflow, so every "
        "unit is charged when it is bought (`avg_cost` in results.csv), except in scenarios with "
        "`cost_basis = \"valued\"`, ranked on `valued_cost` (`avg_cost` less the change of the inventory "
        "position's value over the measured periods: the stock a policy carries into them and leaves at their "
        "end valued at unit cost) as their heading says. Gap = (cost − reference) / "
        "reference against the exact optimum or the clairvoyant lower bound (perfect foresight of demand, so a "
        "gap to it over-states the true optimality gap); the bound is on the valued basis and compared with each "
        "policy's `valued_cost` (on `avg_cost`'s, units bought in the warm-up are free: docs/benchmarks.md). "
        "Δ vs baseline = paired per-seed "
        f"cost difference to the best classical baseline (mean ± {level} half-width; negative is cheaper).",
    ]
    for scenario in result.scenarios:
        part = table[table["scenario"] == scenario]
        baseline = part["baseline"].iloc[0] if len(part) else ""
        reference = part["gap_reference"].iloc[0] if len(part) else "n/a"
        basis = " Cost: `valued_cost` (the scenario's `cost_basis = \"valued\"`)." \
            if cost_key(result, scenario) == "valued_cost" else ""
        lines += ["", f"### {_md(scenario)}", "",
                  f"Gap reference: {_md(reference)}; best baseline: {_md(baseline or 'n/a')}.{basis}", "",
                  "| policy | cost | fill rate | service level | violations | gap | Δ vs baseline | repair changed "
                  "| decision ms |",
                  "|---|---|---|---|---|---|---|---|---|"]
        partial = part[part["seeds"] < result.suite.seeds]
        fewer_pairs = part[(part["paired_seeds"] < part["seeds"]) & (part["policy"] != baseline)]
        for row in part.itertuples():
            # a policy that failed on some seeds: its cost and gap are over fewer seeds than the others' (the
            # paired difference is on the seeds it shares with the baseline); the row says so
            seeds = f" ({row.seeds} of {result.suite.seeds} seeds)" if row.seeds < result.suite.seeds else ""
            # a baseline that lost runs pairs every row on its own seeds only: the Δ cell says over how many
            pairs = f" ({row.paired_seeds} seeds)" if row.Index in fewer_pairs.index else ""
            lines.append(
                f"| {_md(row.policy)}{seeds} | {_interval(row.cost, row.cost_half_width)} "
                f"| {_number(row.fill_rate, percent=True)} "
                f"| {_number(row.service_level, percent=True)} | {row.violations:.3g} "
                f"| {_number(row.gap, percent=True)} "
                f"| {_interval(row.paired_difference, row.paired_half_width)}{pairs} "
                f"| {_number(row.repair_share_changed, percent=True)} | {row.decision_ms:.3g} |"
            )
        if len(fewer_pairs):
            lines += ["", "The best baseline lost runs: a Δ marked (n seeds) is paired on the n seeds the row shares "
                      "with it, fewer than its cost is over (until 2026-12-06 this was not marked)."]
        if len(partial):
            lines += ["", f"Rows marked (n of {result.suite.seeds} seeds) lost runs (see *Failed runs*): their cost, "
                      "fill rate and gap are over those seeds only, not comparable with the other rows; Δ vs "
                      "baseline is paired on the seeds they share."]
        if len(_single_seed_rows(part, baseline)):
            # one seed has no t-interval: "1,924" and a Δ of "50.72" stood bare under a heading promising "± the
            # half-width", as if exact
            lines += ["", "A cost or Δ vs baseline without ± is over one seed: that seed's value alone, with no "
                      "interval (a t-interval needs at least 2 seeds), so no difference in it can be judged "
                      "significant; run more seeds (--seeds 2 or more)."]
        valued = stock_value_notes(result, scenario)
        if valued:
            lines += ["", f"NOTE: on `avg_cost` these policies' scores lean on the stock value they carry (more than "
                      f"{_percent(STOCK_VALUE_SHARE)} of their cost):", ""] + [f"- {note}" for note in valued]
    if result.missing:
        lines += ["", "**Missing policies** (skipped):", ""]
        lines += [f"- `{_md(name)}`: {_md(reason)}" for name, reason in result.missing.items()]
    if result.failures:
        lines += ["", "**Failed runs** (build or episode raised; first error per scenario and policy):", ""]
        grouped: dict[str, dict[str, list[str]]] = {}
        for (scenario, policy), reason in result.failures.items():
            grouped.setdefault(policy, {}).setdefault(reason, []).append(scenario)
        for policy, reasons in grouped.items():
            lines += [f"- `{_md(policy)}` on {', '.join(f'`{_md(key)}`' for key in keys)}: {_md(reason)}"
                      for reason, keys in reasons.items()]
    if result.notes:
        lines += ["", "Notes:", ""] + [f"- {_md(note)}" for note in result.notes]
    return "\n".join(lines) + "\n"


def _text(markdown: str) -> str:
    """Markdown text (whose names are already entity-escaped) as HTML text: decode once, escape once."""
    return html.escape(html.unescape(markdown))


def _markdown_to_html(markdown: str) -> str:
    """A minimal renderer for the summary's headings, tables, lists and paragraphs."""
    out: list[str] = []
    in_table = False
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [_text(cell.strip()) for cell in line.strip("|").split("|")]
            if set("".join(cells)) <= {"-"}:
                continue
            tag = "th" if not in_table else "td"
            if not in_table:
                out.append("<table>")
                in_table = True
            out.append("<tr>" + "".join(f"<{tag}>{cell}</{tag}>" for cell in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("### "):
            out.append(f"<h3>{_text(line[4:])}</h3>")
        elif line.startswith("- "):
            out.append(f"<li>{_text(line[2:])}</li>")
        elif line.strip():
            out.append(f"<p>{_text(line)}</p>")
    if in_table:
        out.append("</table>")
    return "\n".join(out)


def html_page(kind: str, name: str, markdown: str, figures: list[tuple[str, str]]) -> str:
    """A self-contained HTML page: a title, the rendered summary and (title, base64 PNG) figures."""
    body = [f"<h1>hybridinv {html.escape(kind)}: {html.escape(name)}</h1>", _markdown_to_html(markdown)]
    for title, png in figures:
        body.append(f"<h2>{html.escape(title)}</h2>\n<img alt=\"{html.escape(title)}\" "
                    f"src=\"data:image/png;base64,{png}\"/>")
    style = ("body{font-family:sans-serif;max-width:1200px;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}img{max-width:100%}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>hybridinv {html.escape(kind)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def report_html(result: BenchResult, confidence: float = 0.95) -> str:
    """A self-contained HTML page: the summary tables and the plots as base64 PNGs."""
    figures = plots.all_figures(result, summary_table(result, confidence), confidence)
    return html_page("benchmark", result.suite.name, summary_markdown(result, confidence), figures)


def gap_references(result: BenchResult) -> pd.DataFrame:
    """What the gap column is measured against: ``scenario, seed, reference, value`` — one row per scenario with an
    exact optimum (``seed`` empty) and one per scenario and seed with a clairvoyant lower bound."""
    rows = [{"scenario": scenario, "seed": pd.NA, "reference": method, "value": value}
            for scenario, (method, value) in result.optima.items()]
    for bound in result.bounds.itertuples(index=False):
        if bound.scenario not in result.optima:
            rows.append({"scenario": bound.scenario, "seed": bound.seed, "reference": "clairvoyant bound",
                         "value": float(bound.bound)})
    return pd.DataFrame(rows, columns=["scenario", "seed", "reference", "value"])


def write_outputs(result: BenchResult, out: str | Path, confidence: float = 0.95) -> dict[str, Path]:
    """Write ``results.csv``, ``gap_references.csv`` (:func:`gap_references`: the optima and per-seed bounds the gap
    column divides by; until 2026-12-06 no file held them, so a gap could not be checked, and a bound stopped by its
    time limit can differ from run to run), ``summary.md`` and ``report.html`` into ``out`` (created if needed),
    each whole or not at all and as one set (:func:`~hybridinv.core.outputs.replace_files`).

    Returns
    -------
    dict of str to Path
        The written files by name.

    Raises
    ------
    PlanningError
        Naming ``out`` when one of the files is a file the suite's scenario files read
        (:meth:`~hybridinv.bench.Suite.input_files`: a catalog ``results.csv`` was replaced by the results).
    """
    refuse_replacing_inputs(out, OUTPUT_FILES, result.suite.input_files())
    summary, page = summary_markdown(result, confidence), report_html(result, confidence)  # rendered first
    directory = output_directory(out)
    paths = {name: directory / name for name in OUTPUT_FILES}
    references = gap_references(result)
    replace_files({  # all written, then all renamed: a full disk leaves an earlier run's files as they were
        paths["results.csv"]: lambda path: write_csv(result.runs, path),
        paths["gap_references.csv"]: lambda path: write_csv(references, path),
        paths["summary.md"]: lambda path: path.write_text(summary, encoding="utf-8"),
        paths["report.html"]: lambda path: path.write_text(page, encoding="utf-8"),
    })
    return paths


