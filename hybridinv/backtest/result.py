"""Results of a backtest: per-SKU and per-period costs, paired intervals, tables and reports."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.bench.stats import bootstrap_mean
from hybridinv.core.errors import PlanningError, whole_number
from hybridinv.core.outputs import markdown_text as _md
from hybridinv.core.outputs import output_directory, replace_files, write_csv
from hybridinv.core.outputs import plain_label as _tex

if TYPE_CHECKING:
    from hybridinv.backtest.history import DemandHistory
    from hybridinv.demand.forecasters import Forecaster
    from hybridinv.sim.scenario import Scenario

__all__ = ["CLASSICAL_POLICIES", "LEARNED_PAIRS", "BacktestResult", "PairedInterval", "PolicyRun", "bootstrap_mean"]

#: The backtest policies without learned weights (rules fitted or computed from the training window and the rolling
#: forecasts). Every other policy of a backtest (the shipped and trained hybrids, a user's ``models=``) is compared in
#: the summary with the cheapest of these that ran (:meth:`BacktestResult.cheapest_classical`).
CLASSICAL_POLICIES: tuple[str, ...] = (
    "static_ss",
    "static_base_stock",
    "hybrid_base",
    "fitted_base",
    "forecast_capped_base_stock",
    "newsvendor",
    "dynamic_ss",
    "mpc",
    "capped_base",
)

#: (learned policy, its base) pairs the report compares when both ran: what the learned
#: corrections do to the very policy they correct.
LEARNED_PAIRS: tuple[tuple[str, str], ...] = (
    ("hybrid", "hybrid_base"),
    ("hybrid_trained", "hybrid_base"),
    ("hybrid_trained", "fitted_base"),
    ("capped_trained", "capped_base"),
)


@dataclass(frozen=True)
class PolicyRun:
    """One policy's replay of the test periods.

    Attributes
    ----------
    sku_costs : array, shape (periods, n)
        Cost of every SKU in every test period, on the scenario's cost basis: with
        ``"valued"`` (the backtest's) the units sold, wasted or rejected in a period are
        charged at unit cost instead of the units bought (``Ledger.sku_valued_costs``); the
        sum over periods is ``valued_cost`` of :meth:`hybridinv.sim.Ledger.summary`, and each
        period's cost depends on that period only.
    sku_served : array, shape (n,)
        Units served from stock over the test periods.
    orders : array, shape (periods, n)
        The orders placed in every test period (after the repair).
    kpis : dict
        :meth:`hybridinv.sim.Ledger.summary` plus ``capacity_binding_periods`` and
        ``budget_binding_periods`` (periods at >= 99% of the limit).
    seconds : float
        Fitting or training plus the replay.
    decision_time : float
        Mean seconds per planned period.
    """

    name: str
    sku_costs: NDArray[np.float64]
    sku_served: NDArray[np.float64]
    orders: NDArray[np.float64]
    kpis: dict[str, float]
    seconds: float
    decision_time: float


@dataclass(frozen=True)
class PairedInterval:
    """Mean difference (per period, all SKUs) with a percentile bootstrap interval.

    With fewer than 2 units resampled (``n``: one SKU, or one test period) there is no interval: ``low`` and
    ``high`` are NaN (n/a in the reports) and :meth:`excludes_zero` is False. Until 2026-12-06 every resample was
    the one value, a zero-width "95% interval" that excluded 0.
    """

    mean: float
    low: float
    high: float
    reference_cost: float
    n: int

    @property
    def percent(self) -> tuple[float, float, float]:
        """Mean, low and high in percent of the reference's cost per period."""
        scale = 100.0 / self.reference_cost if self.reference_cost else math.nan
        return self.mean * scale, self.low * scale, self.high * scale

    def excludes_zero(self) -> bool:
        """Whether the interval lies above or below 0 (False for an interval that is n/a, NaN)."""
        return bool(self.low > 0.0 or self.high < 0.0)


def _base_search_text(search: dict[str, Any] | None) -> str:
    """The summary's words for a trained hybrid's base search (:func:`~hybridinv.rl.history.fit_base_utilization`)."""
    if not search:
        return ""
    tried = ", ".join(f"{'none' if u is None else f'{u:g}'}: {cost:,.1f}"
                      for u, cost in zip(search["tried"], search["costs"], strict=True))
    chosen = search["chosen"]
    return (f" Its base's capacity_utilization, {'none' if chosen is None else f'{chosen:g}'}, was the cheapest "
            f"on the held-out periods ({tried} per period).")


def _interval(low: float, high: float) -> str:
    """``[low, high]`` in a report, ``n/a`` for an interval there is not (fewer than 2 SKUs or periods)."""
    if math.isnan(low) or math.isnan(high):
        return "n/a"
    return f"[{low:+.2f}, {high:+.2f}]"


@dataclass
class BacktestResult:
    """Everything a backtest measured (see :func:`hybridinv.backtest.backtest`)."""

    name: str
    history: DemandHistory
    cutoff: int
    scenario: Scenario
    runs: dict[str, PolicyRun]
    forecaster: Forecaster
    constraint_source: str
    fitted: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    #: policy -> why its row is not a held-out result (a suite cut before the shipped default's training months
    #: ended, :func:`~hybridinv.backtest.suites.warn_if_shipped_default_saw`); the reports mark those rows with
    #: "†" and print the caveat under the table
    caveats: dict[str, str] = field(default_factory=dict)

    @property
    def test_periods(self) -> int:
        return int(self.scenario.periods)

    @property
    def policies(self) -> list[str]:
        return list(self.runs)

    def test_demand(self) -> NDArray[np.float64]:
        """Recorded demand of the test periods, shape (periods, n) (NaN read as 0)."""
        y = self.history.demand[self.cutoff : self.cutoff + self.test_periods]
        return np.nan_to_num(y, nan=0.0)

    def default_reference(self) -> str:
        """``static_ss`` when it ran, else the first policy."""
        return "static_ss" if "static_ss" in self.runs else self.policies[0]

    def _ran(self, policy: str | None, column: str = "reference") -> str:
        """``policy`` (None: the default reference), checked to be one this backtest ran.

        Raises
        ------
        PlanningError
            Naming ``column`` and the policy (a bare ``KeyError: 'static_SS'`` before; ``write``
            had written two of its four files by then).
        """
        name = self.default_reference() if policy is None else policy
        if not isinstance(name, str) or name not in self.runs:
            raise PlanningError(f"not a policy of this backtest; it ran {self.policies}", column=column,
                                value=policy)
        return name

    def paired(self, policy: str, reference: str, over: str = "sku", seed: int = 0) -> PairedInterval:
        """Cost difference per period of ``policy - reference`` with a 95% bootstrap interval.

        ``over="sku"`` resamples SKUs (per-SKU total differences), ``over="period"``
        resamples test periods (per-period total differences); ``seed`` (a whole number >= 0, as a
        simulation's seeds) seeds the bootstrap.

        Raises
        ------
        PlanningError
            Naming ``policy``, ``reference``, ``over`` or ``seed`` (``"x"``, ``1.5`` or ``-1`` were bare
            numpy errors).
        """
        if over not in ("sku", "period"):  # was a bare ValueError
            raise PlanningError("must be 'sku' or 'period'", column="over", value=over)
        seed = whole_number(seed, "seed")
        a, b = self.runs[self._ran(policy, "policy")].sku_costs, self.runs[self._ran(reference)].sku_costs
        periods, n = a.shape
        if over == "sku":
            mean, low, high = bootstrap_mean((a - b).sum(axis=0) / periods, seed=seed)
            mean, low, high = mean * n, low * n, high * n
            count = n
        else:
            mean, low, high = bootstrap_mean((a - b).sum(axis=1), seed=seed)
            count = periods
        if count < 2:  # every resample is the one value: a zero-width interval, not a 95% one
            low = high = math.nan
        return PairedInterval(mean, low, high, float(b.sum()) / periods, count)

    def cheapest_classical(self) -> str | None:
        """The policy of :data:`CLASSICAL_POLICIES` that ran with the lowest cost per period over the test periods
        (the table's cost column; the first of equal ones in the order they ran), or None when none ran.

        It is picked after the test periods are known, which favours it: a policy cheaper than it beats every
        classical policy of the run, the best one included, on these periods.
        """
        key = self.scenario.cost_key
        costs = {name: run.kpis[key] for name, run in self.runs.items() if name in CLASSICAL_POLICIES}
        return min(costs, key=costs.__getitem__) if costs else None

    def _against_cheapest_classical(self) -> list[str]:
        """The summary's lines comparing every learned policy with :meth:`cheapest_classical`."""
        best = self.cheapest_classical()
        learned = [name for name in self.runs if name not in CLASSICAL_POLICIES]
        if best is None or not learned:
            return []
        cost = self.runs[best].kpis[self.scenario.cost_key]
        lines = ["", f"Cheapest classical policy over the test periods: `{_md(best)}` ({cost:,.1f} per period; picked "
                 "after the fact, which favours it). Each learned policy against it (paired 95% intervals over SKUs "
                 "and over periods):", ""]
        for name in learned:
            mean, low, high = self.paired(name, best, "sku").percent
            _, plow, phigh = self.paired(name, best, "period").percent
            mark = " †" if name in self.caveats else ""
            lines.append(f"- `{_md(name)}`{mark} − `{_md(best)}`: {mean:+.2f}% {_interval(low, high)} over SKUs, "
                         f"{_interval(plow, phigh)} over periods")
        return lines

    def sku_table(self) -> pd.DataFrame:
        """One row per policy and SKU: cost per period, demand, units served and fill rate."""
        demand = self.test_demand().sum(axis=0)
        rows = []
        for name, run in self.runs.items():
            fill = np.divide(run.sku_served, demand, out=np.ones_like(demand), where=demand > 0)
            rows.append(pd.DataFrame({
                "policy": name,
                "sku": self.history.sku.astype(str),
                "cost_per_period": run.sku_costs.sum(axis=0) / self.test_periods,
                "demand": demand,
                "served": run.sku_served,
                "fill_rate": fill,
            }))
        return pd.concat(rows, ignore_index=True)

    def period_table(self) -> pd.DataFrame:
        """One row per policy and test period: total cost."""
        labels = self.history.periods[self.cutoff : self.cutoff + self.test_periods]
        rows = [
            pd.DataFrame({"policy": name, "period": labels.astype(str), "cost": run.sku_costs.sum(axis=1)})
            for name, run in self.runs.items()
        ]
        return pd.concat(rows, ignore_index=True)

    def table(self, reference: str | None = None) -> pd.DataFrame:
        """One row per policy: KPIs and the paired difference to ``reference`` over SKUs and periods."""
        ref = self._ran(reference)
        rows = []
        for name, run in self.runs.items():
            by_sku = self.paired(name, ref, "sku")
            by_period = self.paired(name, ref, "period")
            diff = run.sku_costs.sum(axis=0) - self.runs[ref].sku_costs.sum(axis=0)
            k = run.kpis
            rows.append({
                "policy": name,
                "cost_per_period": k[self.scenario.cost_key],
                "purchase_cost_per_period": k["avg_cost"],
                "fill_rate": k["fill_rate"],
                "violations": k["violations"],
                "overflow_units": k["overflow_units"],
                "capacity_binding_periods": k["capacity_binding_periods"],
                "budget_binding_periods": k["budget_binding_periods"],
                f"vs_{ref}_pct": by_sku.percent[0],
                "sku_ci_low_pct": by_sku.percent[1],
                "sku_ci_high_pct": by_sku.percent[2],
                "period_ci_low_pct": by_period.percent[1],
                "period_ci_high_pct": by_period.percent[2],
                "share_of_skus_cheaper": float(np.mean(diff < -1e-9)),
                "seconds": run.seconds,
            })
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ outputs
    def summary_markdown(self, reference: str | None = None) -> str:
        """The summary page (markdown): setup, the policy table, and notes."""
        ref = self._ran(reference)
        table = self.table(ref)
        cons = self.scenario.constraints
        n = self.history.demand.shape[1]
        labels = self.history.periods
        basis = (
            " with the stock each policy holds at the end valued at unit cost (`valued_cost`; the "
            "purchase basis charges every unit bought, including the stock left at the end)"
            if self.scenario.cost_basis == "valued" else ""
        )
        lines = [
            f"### Backtest `{_md(self.name)}`",
            "",
            f"{n} SKUs; fit on periods {_md(labels[0])}–{_md(labels[self.cutoff - 1])} ({self.cutoff}), "
            f"test on {_md(labels[self.cutoff])}–{_md(labels[self.cutoff + self.test_periods - 1])} "
            f"({self.test_periods}), one exact replay; forecasts rolled every period "
            f"({', '.join(f'{k}: {v}' for k, v in self.forecaster.summary().items())}).",
            f"Capacity {cons.capacity:,.0f}, budget {cons.budget:,.0f} per period ({_md(self.constraint_source)}).",
            "",
            f"Cost per period{basis}; difference to `{_md(ref)}` in % of its cost with paired 95% bootstrap "
            "intervals over SKUs and over periods.",
            "",
            "| policy | cost / period | purchase basis | fill rate | violations | overflow units "
            f"| capacity / budget binding periods | vs {_md(ref)} | CI over SKUs | CI over periods | SKUs cheaper "
            "| seconds |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in table.itertuples(index=False):
            values = row._asdict()
            mark = " †" if values["policy"] in self.caveats else ""
            lines.append(
                f"| {_md(values['policy'])}{mark} | {values['cost_per_period']:,.1f} | "
                f"{values['purchase_cost_per_period']:,.1f} | {values['fill_rate']:.3f} | "
                f"{values['violations']:.0f} | {values['overflow_units']:,.0f} | "
                f"{values['capacity_binding_periods']:.0f} / {values['budget_binding_periods']:.0f} | "
                f"{values[f'vs_{ref}_pct']:+.2f}% | "
                f"{_interval(values['sku_ci_low_pct'], values['sku_ci_high_pct'])} | "
                f"{_interval(values['period_ci_low_pct'], values['period_ci_high_pct'])} | "
                f"{values['share_of_skus_cheaper']:.0%} | {values['seconds']:.1f} |"
            )
        for caveat in dict.fromkeys(self.caveats.values()):  # each caveat once, naming its rows
            rows = [f"`{_md(name)}`" for name, text in self.caveats.items() if text == caveat and name in self.runs]
            if rows:
                lines += ["", f"† {', '.join(rows)}: not held out. {_md(caveat)}."]
        for name, base in LEARNED_PAIRS:
            if name in self.runs and base in self.runs:
                pair = self.paired(name, base, "sku")
                mean, low, high = pair.percent
                lines += ["", f"`{name}` − `{base}`: {mean:+.2f}% {_interval(low, high)} over SKUs."]
        lines += self._against_cheapest_classical()
        for name in ("hybrid_trained", "capped_trained"):
            report = self.fitted.get(name)
            if report:
                lines += [
                    "",
                    f"`{name}`: validation gate on the last {report['held_out_periods']} training periods — "
                    f"{_md(report['reason'])} (trained {report['trained_cost_per_period']:,.1f} vs base "
                    f"{report['base_cost_per_period']:,.1f} per period); {report['generations']} ES generations, "
                    f"{report['seconds']:.0f} s.{_base_search_text(report.get('base_search'))}",
                ]
        lines += self._validated_lines()
        return "\n".join(lines) + "\n"

    def _validated_lines(self) -> list[str]:
        """What the plan-time validation gate did to the hybrid (``hybrid_validated``, when it ran)."""
        report = self.fitted.get("hybrid_validated")
        if not report or "hybrid_validated" not in self.runs:
            return []
        kept = report["kept"]
        text = (f"`hybrid_validated` (the shipped hybrid planned with `plan(..., validate=True)` every period: the "
                f"gate replays the last {report['periods']} observed periods with the hybrid and its base and plans "
                f"with the base when the hybrid was dearer, rule '{report['rule']}'): the hybrid planned {sum(kept)} "
                f"of the {len(kept)} test periods and its base {len(kept) - sum(kept)}.")
        if "hybrid" in self.runs:
            sku, period = self.paired("hybrid_validated", "hybrid", "sku"), self.paired("hybrid_validated", "hybrid",
                                                                                         "period")
            mean, low, high = sku.percent
            text += (f" `hybrid_validated` − `hybrid`: {mean:+.2f}% {_interval(low, high)} over SKUs, "
                     f"{_interval(*period.percent[1:])} over periods.")
        return ["", text]

    def figures(self) -> list[tuple[str, str]]:
        """(title, base64 PNG) of the report's plots: cost over time and fill-rate distribution."""
        from hybridinv.bench.plots import _encode
        from hybridinv.plotting import new_figure

        labels = [str(p) for p in self.history.periods[self.cutoff : self.cutoff + self.test_periods]]
        figure, axis = new_figure((9, 4))
        for name, run in self.runs.items():
            axis.plot(range(len(labels)), run.sku_costs.sum(axis=1), marker=".", label=_tex(name))
        axis.set_xticks(range(len(labels)))
        axis.set_xticklabels([_tex(label) for label in labels], rotation=90, fontsize=7)
        axis.set_ylabel("cost per period")
        axis.legend(fontsize=7)
        cost = _encode(figure)
        skus = self.sku_table()
        figure, axis = new_figure((9, 4))
        names = list(self.runs)
        data = [skus.loc[skus["policy"] == name, "fill_rate"].to_numpy() for name in names]
        axis.boxplot(data, showfliers=False)
        axis.set_xticks(range(1, len(names) + 1))
        axis.set_xticklabels([_tex(name) for name in names], rotation=30, fontsize=7)
        axis.set_ylabel("fill rate per SKU")
        fill = _encode(figure)
        return [("Cost per test period", cost), ("Fill rate across SKUs", fill)]

    def report_html(self, reference: str | None = None) -> str:
        """A self-contained HTML page: the summary and the plots."""
        from hybridinv.bench.report import html_page

        return html_page("backtest", self.name, self.summary_markdown(reference), self.figures())

    def write(self, out: str | Path, reference: str | None = None, *,
              folders: Mapping[str | Path, str | Path | None] | None = None) -> dict[str, Path]:
        """Write ``results.csv`` (policy x SKU), ``periods.csv`` (policy x period), ``summary.md``
        and ``report.html`` into ``out`` (created if needed).

        Everything is rendered first, then the four files are written to temporaries and renamed into place
        (:func:`~hybridinv.core.outputs.replace_files`): a failure (a full disk) leaves the files of an earlier
        run in ``out`` as they were and names the file, where a cut-off ``report.html`` was left beside the
        new CSVs. ``folders`` (``{folder: finished folder, or None to remove it}``) are moved into place with
        the files, as one set (``hybridinv backtest`` moves the models it trained into ``<out>/models`` so).
        """
        reference = self._ran(reference)  # before any file is written
        skus, periods = self.sku_table(), self.period_table()
        summary, page = self.summary_markdown(reference), self.report_html(reference)
        directory = output_directory(out)
        paths = {name: directory / name for name in ("results.csv", "periods.csv", "summary.md", "report.html")}
        replace_files({
            paths["results.csv"]: lambda path: write_csv(skus, path),
            paths["periods.csv"]: lambda path: write_csv(periods, path),
            paths["summary.md"]: lambda path: path.write_text(summary, encoding="utf-8"),
            paths["report.html"]: lambda path: path.write_text(page, encoding="utf-8"),
        }, folders=folders)
        return paths
