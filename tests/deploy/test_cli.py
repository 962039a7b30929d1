"""The ``twin``, ``shadow`` and ``monitor`` commands on a small SYNTHETIC log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import main
from hybridinv.twin import synthetic_log


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("log")
    log = synthetic_log(n_skus=4, days=364, seed=0, orders_per_sku=20)
    log.sales.to_csv(folder / "sales.csv", index=False)
    log.receipts.to_csv(folder / "receipts.csv", index=False)
    weeks = 8
    decisions = pd.DataFrame({"period": np.repeat(np.arange(weeks), 4), "sku": np.tile(log.truth["sku"], weeks),
                              "order_qty": np.tile(np.rint(log.truth["mean"] * 7), weeks)})
    decisions.to_csv(folder / "decisions.csv", index=False)
    return folder


def test_twin_command_writes_report(files, tmp_path):
    result = CliRunner().invoke(main, ["twin", "--sales", str(files / "sales.csv"), "--receipts",
                                       str(files / "receipts.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = pd.read_csv(tmp_path / "fit_report.csv")
    assert len(report) == 4 and "family" in report.columns


def test_shadow_command_with_logged_decisions(files, tmp_path):
    result = CliRunner().invoke(main, ["shadow", "--sales", str(files / "sales.csv"), "--decisions",
                                       str(files / "decisions.csv"), "--policy", "base_stock",
                                       "--replications", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert {"avg_cost", "fill_rate"} <= set(summary["kpi"])
    assert "95% CI" in result.output


def test_shadow_decisions_with_an_unknown_column_follow_extra_columns(files, tmp_path):
    # a misspelt 'commnet' column was read without a word under --extra-columns error (the sales file's was not)
    decisions = pd.read_csv(files / "decisions.csv").assign(commnet="x")
    decisions.to_csv(tmp_path / "decisions.csv", index=False)
    args = ["shadow", "--sales", str(files / "sales.csv"), "--decisions", str(tmp_path / "decisions.csv"),
            "--policy", "base_stock", "--replications", "2"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "decisions has unknown column 'commnet'" in refused.output, refused.output
    assert CliRunner().invoke(main, [*args, "--extra-columns", "ignore"]).exit_code == 0


def test_monitor_command_renders_dashboard(tmp_path):
    periods = np.arange(30)
    served = np.where((periods >= 10) & (periods < 14), 50.0, 100.0)
    log = pd.DataFrame({"period": periods, "demand": 100.0, "served": served, "cost": 10.0})
    log.to_csv(tmp_path / "log.csv", index=False)
    result = CliRunner().invoke(main, ["monitor", "--log", str(tmp_path / "log.csv"), "--out", str(tmp_path / "d"),
                                       "--window", "2", "--recovery-periods", "3"])
    assert result.exit_code == 0, result.output
    assert "period 10: fallback" in result.output
    assert "recover" in result.output
    assert "data:image/png;base64," in (tmp_path / "d" / "index.html").read_text()


def test_monitor_command_reports_missing_column(tmp_path):
    pd.DataFrame({"period": [0], "demand": [1.0]}).to_csv(tmp_path / "bad.csv", index=False)
    result = CliRunner().invoke(main, ["monitor", "--log", str(tmp_path / "bad.csv"), "--out", str(tmp_path)])
    assert result.exit_code != 0 and "served" in result.output


def test_monitor_command_reports_a_text_period_in_one_line(tmp_path):
    log = pd.DataFrame({"period": ["0", "1", "week 3"], "demand": 10.0, "served": 9.0, "cost": 5.0})
    log.to_csv(tmp_path / "log.csv", index=False)
    result = CliRunner().invoke(main, ["monitor", "--log", str(tmp_path / "log.csv"), "--out", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: column 'period', value 'week 3': monitoring log row 3: must be a whole number"
    ]


def test_twin_catalog_costs_reach_the_scenario_file(files, tmp_path):
    from hybridinv import scenarios
    from hybridinv.cli.twin import fit_twin_from_files

    skus = sorted(pd.read_csv(files / "sales.csv")["sku"].unique())
    costs = pd.DataFrame({"sku": skus, "unit_cost": [3.0, 4.0, 5.0, 6.0], "holding_cost": [0.1, 0.2, 0.3, 0.4],
                          "shortage_cost": [7.0, 8.0, 9.5, 10.0], "order_cost": [2.0, 0.0, 1.0, 0.0]})
    costs.to_csv(tmp_path / "costs.csv", index=False)
    out = tmp_path / "twin"
    result = CliRunner().invoke(main, ["twin", "--sales", str(files / "sales.csv"), "--receipts",
                                       str(files / "receipts.csv"), "--catalog", str(tmp_path / "costs.csv"),
                                       "--budget", "900", "--out", str(out)])
    assert result.exit_code == 0, result.output
    scenario = scenarios.get(str(out / "scenario.toml"))
    for column in ("unit_cost", "holding_cost", "shortage_cost", "order_cost"):
        np.testing.assert_array_equal(getattr(scenario.catalog, column), costs[column])
    assert scenario.constraints.budget == 900 and scenario.periods == 52 and "bootstrap" in scenario.tags
    # the twin's Python scenario with the same catalog carries the same costs and fitted lead times
    twin = fit_twin_from_files(str(files / "sales.csv"), str(files / "receipts.csv"), "week", "impute")
    fitted = twin.scenario(costs)
    np.testing.assert_array_equal(scenario.catalog.lead_time, fitted.catalog.lead_time)
    np.testing.assert_allclose(scenario.catalog.lead_time_std, fitted.catalog.lead_time_std)
    assert scenario.lead_times.disruptions == fitted.lead_times.disruptions
    # the replayed history is the weekly sales of the log
    history = pd.read_csv(out / "history.csv")
    np.testing.assert_array_equal(history.drop(columns="sku").to_numpy().T, twin.matrix_.demand)


def test_twin_without_catalog_says_the_costs_are_defaults(files, tmp_path):
    from hybridinv import scenarios

    result = CliRunner().invoke(main, ["twin", "--sales", str(files / "sales.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "costs: defaults (unit_cost 1, holding_cost 1, shortage_cost 9)" in result.output
    scenario = scenarios.get(str(tmp_path / "scenario.toml"))
    assert (scenario.catalog.holding_cost == 1).all() and (scenario.catalog.shortage_cost == 9).all()
    assert scenario.lead_times.disruptions is None


def test_shadow_recommends_what_plan_recommends_by_default(files, tmp_path):
    # the finding: shadow's --policy defaulted to dynamic_ss while plan() plans with the hybrid
    import inspect

    from hybridinv import plan
    from hybridinv.cli.shadow import command

    default = next(p.default for p in command.params if p.name == "policy")
    assert default == inspect.signature(plan).parameters["policy"].default == "hybrid"
    result = CliRunner().invoke(main, ["shadow", "--sales", str(files / "sales.csv"), "--decisions",
                                       str(files / "decisions.csv"), "--replications", "2"])
    assert result.exit_code == 0, result.output
    assert "recommended: hybrid; incumbent: the logged decisions" in result.output


def test_shadow_window_replays_a_log_that_leaves_out_its_last_periods_like_one_that_lists_them(files, tmp_path):
    decisions = pd.read_csv(files / "decisions.csv", dtype={"sku": str})
    listed = decisions.assign(order_qty=np.where(decisions["period"] == 7, 0, decisions["order_qty"]))
    listed.to_csv(tmp_path / "listed.csv", index=False)
    listed[listed["period"] < 7].to_csv(tmp_path / "sparse.csv", index=False)  # the zero-order rows left out
    outputs = {}
    for name, extra in (("listed", []), ("sparse", ["--window", "8"])):
        result = CliRunner().invoke(main, ["shadow", "--sales", str(files / "sales.csv"), "--decisions",
                                           str(tmp_path / f"{name}.csv"), "--policy", "base_stock",
                                           "--replications", "2", "--out", str(tmp_path / name), *extra])
        assert result.exit_code == 0, result.output
        assert "(8 periods" in result.output  # the window it replays, with its first period named
        outputs[name] = pd.read_csv(tmp_path / name / "summary.csv")
    pd.testing.assert_frame_equal(outputs["listed"], outputs["sparse"])  # sparse was replayed a week late
    result = CliRunner().invoke(main, ["shadow", "--sales", str(files / "sales.csv"), "--decisions",
                                       str(tmp_path / "sparse.csv"), "--window", "5"])
    assert result.exit_code == 2 and "outside a window of 5 periods" in result.output


def test_shadow_says_when_the_replayed_window_holds_stock_outs(files, tmp_path):
    """Stock-out sales (a lower bound on demand) were replayed as the demand without a word."""
    sales = pd.read_csv(files / "sales.csv", dtype={"sku": str})
    args = ["shadow", "--decisions", str(files / "decisions.csv"), "--policy", "base_stock", "--replications", "2"]
    clean = CliRunner().invoke(main, [*args, "--sales", str(files / "sales.csv")])
    assert clean.exit_code == 0 and "stock-out" not in clean.output
    dates = pd.to_datetime(sales["date"])
    # SKU-000 out of stock on two days of the last week and one day of week 40 (outside the 8 replayed weeks)
    out = (sales["sku"] == "SYN-000") & dates.isin(pd.to_datetime(["2024-12-26", "2024-12-27", "2024-10-01"]))
    sales.assign(stockout=out).to_csv(tmp_path / "sales.csv", index=False)
    result = CliRunner().invoke(main, [*args, "--sales", str(tmp_path / "sales.csv")])
    assert result.exit_code == 0, result.output
    assert ("Warning: 1 of the 32 replayed SKU-periods were stock-outs (first: SKU 'SYN-000' in "
            "2024-12-23/2024-12-29)") in result.output


def test_shadow_window_without_decisions_is_a_usage_error(files):
    # the finding: --window without --decisions was silently ignored
    result = CliRunner().invoke(main, ["shadow", "--sales", str(files / "sales.csv"), "--policy", "base_stock",
                                       "--incumbent", "base_stock", "--periods", "6", "--window", "3",
                                       "--replications", "1"])
    assert result.exit_code == 2, result.output
    assert "--window needs --decisions" in result.output


def test_twin_warns_about_a_monthly_log_cut_into_weeks_and_a_last_week_cut_short():
    from hybridinv import PlanningWarning
    from hybridinv.twin import aggregate_sales

    months = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=24, freq="MS"), "sku": "A", "quantity": 30})
    with pytest.warns(PlanningWarning, match="about one date per month, but it is aggregated per week"):
        aggregate_sales(months, "week")
    days = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=66, freq="D"), "sku": "A", "quantity": 2})
    with pytest.warns(PlanningWarning, match=r"ends on 2024-03-06, inside its last week .* \(3 of its 7 days\)"):
        matrix = aggregate_sales(days, "week")
    assert matrix.demand[-1, 0] == 6  # the short week, summed as it is
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aggregate_sales(days.iloc[:63], "week")  # nine whole weeks: nothing to say
        aggregate_sales(months, "month")
        weekdays = pd.DataFrame({"date": pd.bdate_range("2024-01-01", "2024-06-28"), "sku": "A", "quantity": 2})
        aggregate_sales(weekdays, "week")  # a log of weekdays ends every week on a Friday: no short week
    late = pd.DataFrame({"date": pd.date_range("2024-01-25", "2024-06-30", freq="D"), "sku": "A", "quantity": 10})
    with pytest.warns(PlanningWarning, match=r"starts on 2024-01-25, inside its first month 2024-01 \(7 of its 31"):
        matrix = aggregate_sales(late, "month")  # the first month's demand was understated without a word
    assert matrix.demand[0, 0] == 70
    two = pd.DataFrame({"date": pd.date_range("2024-01-01", "2024-02-10", freq="D"), "sku": "A", "quantity": 1})
    with pytest.warns(PlanningWarning, match="ends on 2024-02-10, inside its last month"):
        aggregate_sales(two, "month")  # two periods: the other one is the usual one (was dropped for a while)
    # a weekly log (dated on Mondays) per month: its last month held 2 of June's weeks and read as a slow month
    weeks = pd.DataFrame({"date": pd.date_range("2024-01-22", "2024-06-10", freq="W-MON"), "sku": "A",
                          "quantity": 70})
    with pytest.warns(PlanningWarning) as caught:
        matrix = aggregate_sales(weeks, "month")
    said = [str(w.message) for w in caught]
    assert any("starts on 2024-01-22, inside its first month 2024-01 (10 of its 31 days)" in m for m in said), said
    assert any("ends on 2024-06-10, inside its last month 2024-06 (16 of its 30 days)" in m for m in said), said
    np.testing.assert_array_equal(matrix.demand[:, 0], [140, 280, 280, 350, 280, 140])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # whole months of weeks: the last Monday's week ends on June 30
        whole = pd.DataFrame({"date": pd.date_range("2024-01-01", "2024-06-24", freq="W-MON"), "sku": "A",
                              "quantity": 70})
        aggregate_sales(whole, "month")


def test_monitor_command_turns_a_check_off(tmp_path):
    periods = np.arange(30)
    served = np.where((periods >= 10) & (periods < 14), 50.0, 100.0)
    pd.DataFrame({"period": periods, "demand": 100.0, "served": served, "cost": 10.0}).to_csv(
        tmp_path / "log.csv", index=False)
    args = ["monitor", "--log", str(tmp_path / "log.csv"), "--out", str(tmp_path / "d"), "--window", "2"]
    result = CliRunner().invoke(main, [*args, "--min-fill-rate", "off"])  # was "not a valid float"
    assert result.exit_code == 0, result.output
    assert "0 switch(es)" in result.output  # the fill-rate drop no longer switches
    assert "off" in (tmp_path / "d" / "index.html").read_text()
    bad = CliRunner().invoke(main, [*args, "--max-cost-ratio", "high"])
    assert bad.exit_code == 2 and "must be a number or 'off'" in bad.output


@pytest.mark.parametrize(("option", "value"), [("--window", "0"), ("--max-cost-ratio", "0"),
                                             ("--min-fill-rate", "1.5"), ("--recovery-periods", "0")])
def test_monitor_names_the_option_of_a_bad_threshold(tmp_path, option, value):
    """The error named the Python field ('column 'window'') where the user typed --window."""
    pd.DataFrame({"period": [0, 1], "demand": 1.0, "served": 1.0, "cost": 1.0}).to_csv(tmp_path / "log.csv",
                                                                                         index=False)
    result = CliRunner().invoke(main, ["monitor", "--log", str(tmp_path / "log.csv"), "--out", str(tmp_path / "d"),
                                       option, value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}: must be" in result.output and "column" not in result.output


def test_shadow_periods_with_decisions_is_a_usage_error(files):
    # --periods was silently replaced by the periods the logged decisions cover
    result = CliRunner().invoke(main, ["shadow", "--sales", str(files / "sales.csv"), "--decisions",
                                       str(files / "decisions.csv"), "--periods", "6", "--replications", "1"])
    assert result.exit_code == 2, result.output
    assert "--periods does not apply with --decisions" in result.output


def test_shadow_out_is_checked_before_the_replay(files, tmp_path):
    (tmp_path / "afile").write_text("x")
    result = CliRunner().invoke(main, ["shadow", "--sales", str(files / "sales.csv"), "--policy", "base_stock",
                                       "--incumbent", "ss", "--periods", "12", "--replications", "1",
                                       "--out", str(tmp_path / "afile" / "sub")])
    assert result.exit_code == 2 and "cannot write to" in result.output
    assert "recommended" not in result.output  # the replay did not run (it printed its results, then failed)


def test_monitor_refuses_to_write_the_dashboard_over_its_log(tmp_path):
    # --log d/index.html --out d replaced the log with the dashboard without a word
    (tmp_path / "d").mkdir()
    log = tmp_path / "d" / "index.html"
    text = "period,demand,served,cost\n0,10,9,5\n1,10,9,5\n"
    log.write_text(text)
    (tmp_path / "link.csv").symlink_to(log)
    for given, out in ((log, tmp_path / "d"), (tmp_path / "link.csv", tmp_path / "d" / "." / "")):
        result = CliRunner().invoke(main, ["monitor", "--log", str(given), "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert "Invalid value for --out" in result.output and "index.html' is one of the input files" in result.output
        assert log.read_text() == text
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["index.html"]
    result = CliRunner().invoke(main, ["monitor", "--log", str(log), "--out", str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    assert log.read_text() == text and (tmp_path / "e" / "index.html").read_text().startswith("<!DOCTYPE html>")


def test_monitor_help_says_what_the_log_is():
    # "Render a monitoring dashboard from a planning log": it takes a per-period KPI log, not a plan
    overview = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert "planning log" not in overview
    assert "monitor Replay the fallback rules over a per-period KPI log (period, demand, served, cost" in overview
    assert "Monitor.history()" in overview
    own = " ".join(CliRunner().invoke(main, ["monitor", "--help"]).output.split())
    assert "one row per period with that period's totals over all SKUs" in own
    assert "Monitor.history().to_csv(path, index=False) writes one" in own and "is not such a log" in own


def _kpi_log(tmp_path):
    pd.DataFrame({"period": range(4), "demand": 10.0, "served": 9.0, "cost": 5.0}).to_csv(tmp_path / "log.csv",
                                                                                         index=False)
    return str(tmp_path / "log.csv")


def test_monitor_names_out_not_the_python_argument_for_a_folder_it_cannot_make(tmp_path):
    # "Error: column 'out_dir', value 'afile/sub': cannot be the output folder: Not a directory" (exit 1)
    (tmp_path / "afile").write_text("")
    result = CliRunner().invoke(main, ["monitor", "--log", _kpi_log(tmp_path), "--out", str(tmp_path / "afile" / "s")])
    assert result.exit_code == 2, result.output
    assert "Invalid value for --out" in result.output and "is not a folder" in result.output
    assert "out_dir" not in result.output


def test_monitor_names_out_when_the_page_cannot_be_written(tmp_path, monkeypatch):
    import errno
    import io

    def full(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if "r" not in mode and str(file).startswith(str(tmp_path / "d")):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    real_open = io.open
    monkeypatch.setattr(io, "open", full)
    result = CliRunner().invoke(main, ["monitor", "--log", _kpi_log(tmp_path), "--out", str(tmp_path / "d")])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith(f"Error: --out '{tmp_path / 'd' / 'index.html'}': cannot write the file: No space")
    assert "out_dir" not in result.output and "Traceback" not in result.output
    assert list((tmp_path / "d").iterdir()) == []


# ----------------------------------------------------------------------- shadow: outputs, options, violations


def _shadow(files, *args):
    return CliRunner().invoke(main, ["shadow", "--sales", str(files / "sales.csv"), "--policy", "base_stock",
                                     "--replications", "1", *args])


def test_shadow_out_refuses_to_overwrite_an_input(files, tmp_path):
    # the finding: --decisions DIR/summary.csv --out DIR replaced the decisions with the summary
    out = tmp_path / "out"
    out.mkdir()
    decisions = out / "summary.csv"
    decisions.write_bytes((files / "decisions.csv").read_bytes())
    before = decisions.read_bytes()
    result = _shadow(files, "--decisions", str(decisions), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "is one of the input files" in result.output
    assert decisions.read_bytes() == before and sorted(p.name for p in out.iterdir()) == ["summary.csv"]


def test_shadow_writes_its_three_files_as_one_set(files, tmp_path, monkeypatch):
    # the finding: three write_csv calls, so a failure on the third left a new summary beside the old other files
    import errno

    from hybridinv.core import outputs

    out = tmp_path / "out"
    out.mkdir()
    for name in ("summary.csv", "disagreements.csv", "per_period.csv"):
        (out / name).write_text("old\n")
    write = outputs.write_csv

    def full_disk(frame, path, *args, **kwargs):
        if "per_period" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(frame, path, *args, **kwargs)

    monkeypatch.setattr(outputs, "write_csv", full_disk)
    result = _shadow(files, "--decisions", str(files / "decisions.csv"), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output
    assert {p.name: p.read_text() for p in out.iterdir()} == {name: "old\n" for name in
                                                             ("summary.csv", "disagreements.csv", "per_period.csv")}


def test_shadow_names_the_incumbent_option_of_an_unknown_incumbent(files):
    result = _shadow(files, "--incumbent", "bogus", "--periods", "6")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: --incumbent 'bogus': unknown policy; known: ['base_stock'")
    assert "policy 'bogus'" not in result.output and "column 'policy'" not in result.output


def test_shadow_block_confidence_and_resamples_options(files):
    # the verdict's "no interval" told the user to pass a shorter block, which the command had no option for
    base = ["--incumbent", "base_stock", "--periods", "6"]
    short = _shadow(files, *base)
    assert short.exit_code == 0, short.output
    assert "no interval: 6 measured period(s), fewer than two bootstrap blocks of 4" in short.output
    assert "--block" in short.output
    result = _shadow(files, *base, "--block", "2", "--confidence", "0.9", "--resamples", "300")
    assert result.exit_code == 0, result.output
    assert "(90% CI)" in result.output and "no interval" not in result.output
    refused = _shadow(files, *base, "--resamples", "50")  # 5 beyond each end of a 95% interval needs 200
    assert refused.exit_code == 2 and "--resamples" in refused.output, refused.output


def test_shadow_shows_the_constraint_violations_of_the_logged_decisions(files, tmp_path):
    # the finding: a side breaking the rules was compared as if feasible, without a word
    skus = sorted(pd.read_csv(files / "sales.csv")["sku"].unique())
    pd.DataFrame({"sku": skus, "lot_size": 5.0}).to_csv(tmp_path / "catalog.csv", index=False)
    decisions = pd.read_csv(files / "decisions.csv").assign(order_qty=3)  # not a whole lot of 5
    decisions.to_csv(tmp_path / "decisions.csv", index=False)
    result = _shadow(files, "--decisions", str(tmp_path / "decisions.csv"), "--catalog", str(tmp_path / "catalog.csv"),
                     "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "Warning: shadow replay: the incumbent side broke a hard constraint in 8 of the 8 measured periods" \
        in result.output
    assert "(NOTE: the incumbent side broke" in result.output
    summary = pd.read_csv(tmp_path / "out" / "summary.csv").set_index("kpi")
    assert summary.loc["rule_violations", "incumbent"] == 8 and summary.loc["violations", "recommended"] == 0
    assert "rule_violations" in result.output


def test_shadow_state_sets_the_stock_both_sides_start_from(files, tmp_path):
    """The replay always started from the twin's default stock (demand mean x (lead time + 1)): logged decisions
    that ordered nothing because the shelves were full were charged the stock-outs of that emptier start.
    ``--state`` gives the stock the decisions were made for."""
    skus = pd.read_csv(files / "sales.csv")["sku"].astype(str).unique()
    weeks = 8
    pd.DataFrame({"period": np.repeat(np.arange(weeks), skus.size), "sku": np.tile(skus, weeks),
                  "order_qty": 0.0}).to_csv(tmp_path / "decisions.csv", index=False)
    pd.DataFrame({"sku": skus, "on_hand": 100_000.0}).to_csv(tmp_path / "state.csv", index=False)
    args = ["shadow", "--sales", str(files / "sales.csv"), "--decisions", str(tmp_path / "decisions.csv"),
            "--policy", "base_stock", "--replications", "1"]

    def incumbent_fill_rate(*extra):
        out = tmp_path / f"out{len(extra)}"
        result = CliRunner().invoke(main, [*args, *extra, "--out", str(out)])
        assert result.exit_code == 0, result.output
        summary = pd.read_csv(out / "summary.csv").set_index("kpi")
        return summary.loc["fill_rate", "incumbent"]

    assert incumbent_fill_rate() < 0.9  # the default start runs out under zero orders
    assert incumbent_fill_rate("--state", str(tmp_path / "state.csv")) == 1.0
    pd.DataFrame({"sku": skus[:-1], "on_hand": 5.0}).to_csv(tmp_path / "short.csv", index=False)
    refused = CliRunner().invoke(main, [*args, "--state", str(tmp_path / "short.csv")])
    assert refused.exit_code == 1 and "on_hand" not in refused.output.split("sku")[0], refused.output
    assert skus[-1] in refused.output, refused.output
