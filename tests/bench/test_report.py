"""Benchmark outputs with hostile names (hybridinv/bench/report.py, plots.py)."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hybridinv.bench import ScenarioSpec, Suite, run_suite, write_outputs
from hybridinv.policies import registry

TOY = __name__.rpartition(".")[0] + "._toy" if "." in __name__ else "_toy"
MATH = "cost $x^$"
HTML = "<b>bold</b><script>alert(1)</script>"
FORMULA = "=HYPERLINK(\"http://x\")"
SCENARIO = ScenarioSpec("single_sku", (("lead_time", 1), ("periods", 40)), label="store $a^$ <i>")


@pytest.fixture
def result(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name in (MATH, HTML, FORMULA):
        monkeypatch.setitem(registry.FACTORIES, name, f"{TOY}:level_15")
    suite = Suite("test", (SCENARIO,), (MATH, HTML, FORMULA), 2, baselines=(MATH,), track=1)
    outcome = run_suite(suite, workers=1, progress=False)
    assert not outcome.failures and not outcome.missing
    outcome.trajectories[(SCENARIO.key, MATH)]["sku"] = np.array(["sku $y_$"])
    return outcome


def test_names_with_dollar_signs_do_not_break_the_plots(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = write_outputs(result, tmp_path)["report.html"].read_text()
    images = page.split('src="data:image/png;base64,')[1:]
    assert len(images) >= 4
    for image in images:
        assert base64.b64decode(image.split('"', 1)[0])[:4] == b"\x89PNG"


def test_summary_and_report_escape_html(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = write_outputs(result, tmp_path)
    summary = paths["summary.md"].read_text()
    assert "<script>" not in summary and "<b>" not in summary and "<i>" not in summary
    assert "&lt;b&gt;bold&lt;/b&gt;&lt;script&gt;" in summary
    assert "### store $a^$ &lt;i&gt;" in summary
    page = paths["report.html"].read_text()
    assert "<script>" not in page and "<b>bold" not in page and "<i>" not in page
    assert "<td>&lt;b&gt;bold&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page


def test_results_csv_escapes_formulas(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_outputs(result, tmp_path)["results.csv"]
    frame = pd.read_csv(path)
    assert set(frame["policy"]) == {MATH, HTML, "'" + FORMULA}
    assert not frame["policy"].str.startswith("=").any()
    numbers = frame.select_dtypes("number")
    assert len(numbers.columns) > 10 and np.isfinite(numbers["avg_cost"]).all()


def test_summary_states_the_cost_basis_it_ranks_on(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = write_outputs(result, tmp_path)
    summary = paths["summary.md"].read_text()
    assert "holding + shortage + ordering (fixed cost per order plus unit cost per unit delivered) + waste" in summary
    frame = pd.read_csv(paths["results.csv"])
    parts = frame[["holding_cost", "shortage_cost", "ordering_cost", "waste_cost", "overflow_cost"]].sum(axis=1)
    assert np.allclose(frame["avg_cost"], parts, rtol=1e-12)  # the basis the summary states is the one ranked on


def test_gap_to_the_clairvoyant_bound_uses_the_seeds_that_have_a_bound() -> None:
    """The bound failed (NaN) on seeds 2 and 3: the gap compares seeds 0 and 1 only, (10 - 8) / 8.

    It averaged the cost over all four seeds (15) against the bound of two: (15 - 8) / 8 = 87.5%.
    """
    from hybridinv.bench import BenchResult
    from hybridinv.bench.report import summary_table

    spec = ScenarioSpec("multi_10", label="multi")
    suite = Suite("test", (spec,), ("p",), 4, baselines=("p",))
    runs = pd.DataFrame({"scenario": "multi", "policy": "p", "seed": [0, 1, 2, 3], "avg_cost": [10.0, 10.0, 20.0, 20.0],
                         "fill_rate": 0.9, "cycle_service_level": 0.8, "violations": 0.0,
                         "repair_share_changed": 0.0, "decision_time": 0.001})
    bounds = pd.DataFrame({"scenario": "multi", "seed": [0, 1, 2, 3], "bound": [8.0, 8.0, np.nan, np.nan]})
    row = summary_table(BenchResult(suite, runs, bounds=bounds)).iloc[0]
    assert row["gap_reference"] == "clairvoyant bound"
    assert row["gap"] == pytest.approx(0.25)
    assert row["cost"] == pytest.approx(15.0) and row["seeds"] == 4  # the cost column keeps every seed


def test_the_best_baseline_is_ranked_on_the_seeds_all_baselines_share() -> None:
    """A baseline that failed its worst seed was ranked on the others and called best, while the paired differences
    beside it showed another baseline significantly cheaper."""
    from hybridinv.bench.benchmark import RESULT_COLUMNS, BenchResult
    from hybridinv.bench.report import best_baseline

    common = np.array([90.0, 100.0, 95.0, 130.0, 105.0])  # seed 3 is the costly one
    costs = {"base_stock": common, "ss": common + 2.0}
    rows = [{c: 0.0 for c in RESULT_COLUMNS} | {"scenario": "multi_10", "policy": policy, "seed": seed,
                                                   "avg_cost": float(cost[seed])}
            for policy, cost in costs.items() for seed in range(5) if not (policy == "ss" and seed == 3)]
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS)).astype({"seed": np.int64})
    result = BenchResult(Suite("t", (ScenarioSpec("multi_10"),), ("base_stock", "ss"), 5), frame)
    assert frame[frame["policy"] == "ss"]["avg_cost"].mean() < common.mean()  # ss looks cheaper on its own seeds
    assert best_baseline(result, "multi_10") == "base_stock"


def test_a_policy_that_lost_seeds_is_marked_in_the_summary() -> None:
    """A policy that failed on seed 0 showed cost 6.58 over seeds 1-2 beside the others' over 0-2, as if comparable;
    the header still said 3 seeds."""
    from hybridinv.bench.benchmark import RESULT_COLUMNS, BenchResult
    from hybridinv.bench.report import summary_markdown

    costs = {"base_stock": [9.0, 6.0, 7.0], "flaky": [9.0, 6.0, 7.0]}
    rows = [{c: 0.0 for c in RESULT_COLUMNS} | {"scenario": "multi_10", "policy": policy, "seed": seed,
                                                   "avg_cost": cost[seed]}
            for policy, cost in costs.items() for seed in range(3) if not (policy == "flaky" and seed == 0)]
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS)).astype({"seed": np.int64})
    result = BenchResult(Suite("t", (ScenarioSpec("multi_10"),), ("base_stock", "flaky"), 3,
                               baselines=("base_stock",)), frame)
    text = summary_markdown(result)
    assert "| flaky (2 of 3 seeds) | 6.5" in text and "| base_stock | 7.333" in text
    assert "Rows marked (n of 3 seeds) lost runs" in text


def test_a_cost_or_delta_over_one_seed_says_it_has_no_interval() -> None:
    """bench --seeds 1 printed "1,924" and a Δ of "50.72" bare under "Cost = mean ± 95% t-interval half-width",
    without a word that one seed has no interval."""
    from hybridinv.bench.benchmark import RESULT_COLUMNS, BenchResult
    from hybridinv.bench.report import summary_markdown

    note = "A cost or Δ vs baseline without ± is over one seed"
    costs = {"base_stock": [9.0, 6.0], "ss": [10.0, 8.0]}

    def summary(seeds: int) -> str:
        rows = [{c: 0.0 for c in RESULT_COLUMNS} | {"scenario": "multi_10", "policy": policy, "seed": seed,
                                                       "avg_cost": cost[seed]}
                for policy, cost in costs.items() for seed in range(seeds)]
        frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS)).astype({"seed": np.int64})
        return summary_markdown(BenchResult(Suite("t", (ScenarioSpec("multi_10"),), tuple(costs), seeds,
                                                  baselines=("base_stock",)), frame))

    one = summary(1)
    assert "| ss | 10 |" in one and "| 1 |" in one  # the values alone, no ± (and no NaN)
    assert note in one and "nan" not in one.lower()
    two = summary(2)
    assert "| ss | 9 ± 13 |" in two and note not in two  # with two seeds every cell has its interval


def _captured_axes(monkeypatch: pytest.MonkeyPatch, module: object) -> list:  # type: ignore[type-arg]
    """Every axes the plots of ``module`` draw on (``new_figure`` wrapped to keep them)."""
    from hybridinv import plotting

    axes: list = []  # type: ignore[type-arg]
    original = plotting.new_figure

    def keep(*args, **kwargs):  # type: ignore[no-untyped-def]
        figure, axis = original(*args, **kwargs)
        axes.extend(np.ravel(axis))
        return figure, axis

    monkeypatch.setattr(module, "new_figure", keep)
    return axes


def test_plots_keep_underscore_names_use_distinct_colours_and_name_the_interval_level(
        result, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from hybridinv.bench import plots
    from hybridinv.bench.report import summary_table

    axes = _captured_axes(monkeypatch, plots)
    table = summary_table(result, 0.8)
    titles = [title for title, _ in plots.all_figures(result, table, 0.8)]
    assert titles[0] == "Cost per period by policy (80% CI)"  # said 95% over 80% error bars
    wide = pd.concat([table.iloc[[0]].assign(policy=f"_p{k}") for k in range(12)], ignore_index=True)
    plots.repair_figure(wide)
    legend = axes[-1].get_legend()
    assert [t.get_text().lstrip("\u200b") for t in legend.get_texts()] == sorted(f"_p{k}" for k in range(12))
    colours = {tuple(patch.get_facecolor()) for patch in axes[-1].patches}
    assert len(colours) == 12  # the 11th and 12th policies took the 1st and 2nd colours


def test_a_one_period_fallback_is_shaded_over_its_period(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from hybridinv import plotting
    from hybridinv.deploy import Monitor, MonitorThresholds, dashboard, render_dashboard

    axes = _captured_axes(monkeypatch, plotting)  # the dashboard imports it from there when it draws
    thresholds = MonitorThresholds(window=1, recovery_periods=1, max_cost_ratio=None)
    log = pd.DataFrame({"period": range(10), "demand": [10] * 10, "served": [10] * 5 + [5] + [10] * 4,
                        "cost": [10] * 10})
    monitor = Monitor.replay_log(log, thresholds)
    history = monitor.history()
    on = history.loc[history["decided_by_fallback"], "period"].to_list()  # the periods the fallback planned
    assert on and on == list(range(on[0], on[-1] + 1))
    render_dashboard(history, monitor.events_frame(), thresholds, tmp_path / "dash")
    assert len(axes) >= 2 and dashboard.__name__
    for axis in axes:
        spans = [patch.get_x() for patch in axis.patches], [patch.get_x() + patch.get_width() for patch in axis.patches]
        assert spans == ([on[0] - 0.5], [on[-1] + 0.5])  # fill_between shaded nothing for one period


@pytest.mark.parametrize("bad", ["", "afile", "afile/sub"])
def test_report_folders_that_cannot_be_made_are_planning_errors(result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                bad: str) -> None:  # type: ignore[no-untyped-def]
    from hybridinv import PlanningError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(PlanningError, match="out"):
        write_outputs(result, bad)  # FileExistsError / NotADirectoryError, or the working folder for ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_reports_are_utf8_under_an_ascii_locale(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = (
        "import sys; from hybridinv.bench import Suite, ScenarioSpec, run_suite, write_outputs\n"
        "suite = Suite('t', (ScenarioSpec('single_sku', (('periods', 30),)),), ('base_stock', 'ss'), 2,"
        " baselines=('ss',))\n"
        "write_outputs(run_suite(suite, workers=1, progress=False), sys.argv[1])\n"
    )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
           "PYTHONIOENCODING": "ascii:backslashreplace"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out")], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    text = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "±" in text or "Δ" in text  # the characters an ASCII or cp1252 locale could not encode


def test_summary_numbers_have_no_exponent_and_a_fill_rate_short_of_one_is_not_100_percent() -> None:
    from hybridinv.bench.report import _interval, _number

    assert _interval(12345.678, 234.5) == "12,346 ± 234"  # was "1.235e+04 ± 2.3e+02"
    assert _interval(1726.9, 6.5) == "1,727 ± 6.5"
    assert _interval(0.3, 0.012) == "0.3 ± 0.012"
    assert _interval(5.4, float("nan")) == "5.4"
    assert _number(0.9996, percent=True) == "99.96%"  # was "100.0%"
    # and from 0.99995 up it still was at two decimals; a share above 0 read 0.0%
    assert _number(0.99996, percent=True) == "99.996%" and _number(1 - 1e-12, percent=True) == "99.999999%"
    assert _number(4e-5, percent=True) == "0.004%" and _number(-1e-5, percent=True) == "-0.001%"
    assert _number(0.0, percent=True) == "0.0%" and _number(0.12345, percent=True) == "12.3%"
    assert _number(1.0, percent=True) == "100.0%" and _number(0.95, percent=True) == "95.0%"


def test_a_failed_write_leaves_the_earlier_outputs_whole_and_names_the_file(result, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # the finding: report.html was written in place after the CSV and the summary, so a full disk left a cut-off
    # page beside the new files, and the OSError named no path
    from hybridinv import PlanningError

    (tmp_path / "results.csv").write_text("earlier\n")
    (tmp_path / "report.html").write_text("<p>earlier</p>")
    write_text = Path.write_text

    def cut(self: Path, data: str, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
        if "report.html" in self.name:
            write_text(self, data[:100], *args, **kwargs)
            raise OSError(27, "File too large")
        return write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", cut)
    with pytest.raises(PlanningError, match="File too large") as caught:
        write_outputs(result, tmp_path)
    assert "report.html" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "results.csv"]
    assert (tmp_path / "results.csv").read_text() == "earlier\n"
    assert (tmp_path / "report.html").read_text() == "<p>earlier</p>"


def test_a_baseline_that_lost_runs_marks_the_deltas_paired_on_fewer_seeds() -> None:
    """When the best baseline itself lost seeds, every row's Δ was over its seeds only, unmarked: base_stock showed
    cost over 6 seeds and a Δ over 3; the header counted only policies with results."""
    from hybridinv.bench.benchmark import RESULT_COLUMNS, BenchResult
    from hybridinv.bench.report import summary_markdown, summary_table

    costs = {"flaky": [6.0, 6.0, 6.0, 6.0], "base_stock": [8.0, 9.0, 20.0, 30.0]}
    rows = [{c: 0.0 for c in RESULT_COLUMNS} | {"scenario": "multi_10", "policy": policy, "seed": seed,
                                                   "avg_cost": cost[seed]}
            for policy, cost in costs.items() for seed in range(4) if not (policy == "flaky" and seed >= 2)]
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS)).astype({"seed": np.int64})
    suite = Suite("t", (ScenarioSpec("multi_10"),), ("base_stock", "flaky", "gone"), 4,
                  baselines=("base_stock", "flaky"))
    result = BenchResult(suite, frame)
    table = summary_table(result).set_index("policy")
    assert table.loc["base_stock", "seeds"] == 4 and table.loc["base_stock", "paired_seeds"] == 2
    assert table.loc["base_stock", "paired_difference"] == pytest.approx(2.5)  # seeds 0 and 1: (2 + 3) / 2
    text = summary_markdown(result)
    assert "(2 seeds) |" in text and "a Δ marked (n seeds) is paired on the n seeds" in text
    assert "1 scenarios x 3 policies (2 with results) x 4 seeds" in text


def test_gap_references_are_written_and_names_cannot_break_lines(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """No file held the optimum or bounds the gap divides by; a line break in a name started its own heading."""
    import pandas as pd

    from hybridinv.core.outputs import markdown_text

    paths = write_outputs(result, tmp_path / "out")
    references = pd.read_csv(paths["gap_references.csv"])
    assert list(references.columns) == ["scenario", "seed", "reference", "value"]
    assert len(references) >= 1 and (references["value"] > 0).all()
    assert markdown_text("nl\n| forged |\r\n### fake") == "nl &#124; forged &#124; ### fake"


@pytest.mark.parametrize("name", ["results.csv", "gap_references.csv"])
def test_write_outputs_refuses_to_replace_a_file_a_scenario_file_reads(tmp_path: Path, name: str) -> None:
    """A scenario file whose catalog was results.csv, reported into its own folder: the catalog was replaced by the
    results without a word."""
    from types import SimpleNamespace

    from hybridinv import PlanningError

    (tmp_path / name).write_text("sku,unit_cost,holding_cost,shortage_cost,lead_time,demand_mean\nA,1,1,9,1,5\n")
    (tmp_path / "s.toml").write_text(f'catalog = "{name}"\nperiods = 10\n[demand]\nprocess = "poisson"\n')
    before = (tmp_path / name).read_text()
    suite = Suite("t", (ScenarioSpec(str(tmp_path / "s.toml")),), ("base_stock",), 1)
    result = SimpleNamespace(suite=suite)  # the check comes before the report is rendered
    with pytest.raises(PlanningError, match="would replace an input file") as info:
        write_outputs(result, tmp_path)  # type: ignore[arg-type]
    assert info.value.column == "out" and name in str(info.value)
    assert (tmp_path / name).read_text() == before
    assert suite.input_files() == [tmp_path / "s.toml", tmp_path / name]


_CATALOG = """sku,unit_cost,holding_cost,shortage_cost,lead_time,demand_mean
A,10,0.2,15,1,5
B,20,0.4,30,2,3
C,5,0.1,8,1,10
"""


def _warm_up_suite(tmp_path: Path, basis: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """3 SKUs, 20 periods, warm-up 2, no constraints; base-stock and a policy that stocks up in period 0."""
    (tmp_path / "catalog.csv").write_text(_CATALOG)
    path = tmp_path / f"small_{basis}.toml"
    path.write_text(f'catalog = "catalog.csv"\nperiods = 20\nwarmup = 2\ncost_basis = "{basis}"\n'
                    '[demand]\nprocess = "poisson"\n')
    monkeypatch.setitem(registry.FACTORIES, "stock_up", f"{TOY}:stock_up")
    suite = Suite("warmup", (ScenarioSpec(str(path)),), ("base_stock", "stock_up"), 2,
                  baselines=("base_stock", "stock_up"))
    result = run_suite(suite, workers=1, progress=False)
    assert not result.failures and not result.missing
    return result, path.stem


def test_the_clairvoyant_gap_is_on_the_valued_basis_and_a_warm_up_stock_up_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bound's model bought the measured periods' stock in the warm-up for nothing (weight 0): ~25 a period
    against ~160 for base-stock, a gap of 531% for every policy. On the valued basis the bound is below every
    policy's valued_cost, the stock-up's included, and close to base-stock's; the stock-up policy, cheapest on
    avg_cost, is named in a NOTE pointing to valued_cost."""
    from hybridinv.bench.report import summary_markdown, summary_table

    result, key = _warm_up_suite(tmp_path, "purchases", monkeypatch)
    table = summary_table(result).set_index("policy")
    runs = result.runs.set_index("policy")
    assert (table["cost_key"] == "avg_cost").all()
    assert table.loc["base_stock", "cost"] == pytest.approx(runs.loc["base_stock", "avg_cost"].mean())
    assert (table["gap_reference"] == "clairvoyant bound").all()
    assert (table["gap"] >= -1e-9).all()  # a valid bound of valued_cost: the stock-up's too
    assert table.loc["base_stock", "gap"] < 0.1
    bound = result.bounds["bound"].mean()
    assert table.loc["base_stock", "gap"] == pytest.approx(runs.loc["base_stock", "valued_cost"].mean() / bound - 1)
    assert table.loc["stock_up", "cost"] < 0.5 * table.loc["base_stock", "cost"]  # the loophole, on avg_cost
    summary = summary_markdown(result)
    notes = summary[summary.index("NOTE:"):]
    assert "`stock_up`" in notes and "`valued_cost`" in notes and "`base_stock`" not in notes
    assert f"### {key}" in summary and "compared with each policy's `valued_cost`" in summary


def test_a_valued_scenario_is_ranked_on_valued_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bench ranked every scenario on avg_cost, so the stock-up policy was the best baseline of a scenario whose
    cost_basis is "valued" (as `hybridinv tune` honours it)."""
    from hybridinv.bench.report import best_baseline, summary_markdown, summary_table

    result, key = _warm_up_suite(tmp_path, "valued", monkeypatch)
    table = summary_table(result).set_index("policy")
    runs = result.runs.set_index("policy")
    assert (table["cost_key"] == "valued_cost").all()
    for policy in ("base_stock", "stock_up"):
        assert table.loc[policy, "cost"] == pytest.approx(runs.loc[policy, "valued_cost"].mean())
    assert best_baseline(result, key) == "base_stock"
    paired = runs.loc["stock_up", "valued_cost"].to_numpy() - runs.loc["base_stock", "valued_cost"].to_numpy()
    assert table.loc["stock_up", "paired_difference"] == pytest.approx(paired.mean())
    summary = summary_markdown(result)
    assert "Cost: `valued_cost` (the scenario's `cost_basis = \"valued\"`)" in summary
    assert "NOTE:" not in summary  # ranked on valued_cost already


@pytest.mark.parametrize(("figure", "table", "column"), [
    ("cost_figure", pd.DataFrame({"scenario": ["s"], "policy": ["p"], "cost": [1.0]}), "cost_half_width"),
    ("frontier_figure", pd.DataFrame({"scenario": ["s"], "policy": ["p"], "cost": [1.0], "cost_half_width": [0.1]}),
     "fill_rate"),
    ("repair_figure", pd.DataFrame({"scenario": ["s"], "policy": ["p"]}), "repair_share_changed"),
    ("cost_figure", pd.DataFrame(columns=["scenario", "policy", "cost", "cost_half_width"]), "table"),
    ("cost_figure", {"scenario": ["s"]}, "table"),
])
def test_a_plotted_table_without_its_columns_or_rows_is_refused_naming_them(figure: str, table: object,
                                                                            column: str) -> None:
    # until 2026-12-07 a bare KeyError ('cost_half_width' for the frame of hybridinv.simulate) and an empty table
    # a ZeroDivisionError in the panel grid
    from hybridinv import PlanningError
    from hybridinv.bench import plots

    with pytest.raises(PlanningError) as info:
        getattr(plots, figure)(table)
    assert info.value.column == column
