"""The rolling-origin backtest (hybridinv/backtest/engine.py, result.py): outputs and no look-ahead."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from hybridinv import Catalog, Constraints
from hybridinv.backtest import backtest
from hybridinv.backtest.history import read_history
from hybridinv.backtest.setup import ConstraintRule
from hybridinv.core.errors import PlanningError
from hybridinv.rl.history import HistoryTraining

from ._data import catalog_frame, history_frame

TINY = HistoryTraining(validation=6, episode_periods=8, skus=8, population=4, generations=2, seeds_per_generation=1,
                       eval_every=1, eval_seeds=(1, 2), time_limit=0.0)
FAST = ("static_ss", "static_base_stock", "hybrid_base", "newsvendor", "dynamic_ss", "hybrid")


def _run(history: pd.DataFrame, policies=FAST, **options):  # type: ignore[no-untyped-def]
    return backtest(history, catalog_frame(), 24, policies=policies, training=TINY, **options)


def test_every_policy_replays_the_test_periods_feasibly_and_costs_add_up() -> None:
    result = _run(history_frame())
    assert result.policies == list(FAST) and result.test_periods == 12
    for run in result.runs.values():
        assert run.kpis["violations"] == 0
        assert run.sku_costs.shape == (12, 12)
        assert run.sku_costs.sum() / 12 == pytest.approx(run.kpis["valued_cost"], rel=1e-9)
        if run.kpis["overflow_units"] == 0:  # units conserved: position change = bought - sold (lost sales)
            unit_cost = result.scenario.catalog.unit_cost
            change = unit_cost @ (run.orders.sum(axis=0) - run.sku_served)
            assert run.kpis["avg_cost"] - run.kpis["valued_cost"] == pytest.approx(change / 12, rel=1e-9, abs=1e-9)
        assert (run.orders >= 0).all() and (run.orders == np.round(run.orders)).all()
    table = result.table()
    assert list(table["policy"]) == list(FAST)
    assert table.loc[table["policy"] == "static_ss", "vs_static_ss_pct"].iloc[0] == 0.0
    skus = result.sku_table()
    assert len(skus) == 12 * len(FAST) and skus["fill_rate"].between(0, 1).all()


def test_paired_intervals_match_a_direct_computation() -> None:
    result = _run(history_frame())
    a, b = result.runs["hybrid_base"].sku_costs, result.runs["static_ss"].sku_costs
    by_sku = result.paired("hybrid_base", "static_ss", "sku")
    assert by_sku.mean == pytest.approx((a - b).sum() / 12)
    by_period = result.paired("hybrid_base", "static_ss", "period")
    assert by_period.mean == pytest.approx((a - b).sum() / 12)
    assert by_sku.low <= by_sku.mean <= by_sku.high and by_period.low <= by_period.mean <= by_period.high
    assert by_sku.reference_cost == pytest.approx(result.runs["static_ss"].kpis["valued_cost"])


def test_long_and_wide_histories_give_the_same_backtest() -> None:
    long = _run(history_frame(long=True), policies=("static_base_stock", "hybrid_base"))
    wide = _run(history_frame(long=False), policies=("static_base_stock", "hybrid_base"))
    for name in long.runs:
        np.testing.assert_array_equal(long.runs[name].sku_costs, wide.runs[name].sku_costs)


def _untimed(report: object) -> object:
    """A report without its wall-clock entries (``seconds``), which differ between any two runs."""
    if isinstance(report, dict):
        return {k: _untimed(v) for k, v in report.items() if k != "seconds"}
    return report


def test_changing_the_test_periods_changes_nothing_decided_before_them() -> None:
    """The leakage test: fitted parameters, forecasts and decisions before period t do not see t."""
    frame = history_frame(long=False)
    changed = frame.copy()
    months = [c for c in frame.columns if c != "sku"]
    later = months[30:]  # test periods 7..12 (the test starts at month 25)
    rng = np.random.default_rng(9)
    changed[later] = rng.poisson(80.0, size=(len(frame), len(later)))
    policies = (*FAST, "hybrid_trained", "hybrid_validated")
    a, b = _run(frame, policies=policies), _run(changed, policies=policies)
    assert a.fitted["hybrid_validated"]["kept"][:7] == b.fitted["hybrid_validated"]["kept"][:7]
    for key in ("static_ss", "static_base_stock"):
        np.testing.assert_array_equal(a.fitted[key].order_up_to, b.fitted[key].order_up_to)
        np.testing.assert_array_equal(a.fitted[key].reorder_point, b.fitted[key].reorder_point)
    assert _untimed(a.fitted["hybrid_trained"]) == _untimed(b.fitted["hybrid_trained"])
    assert list(a.forecaster.method_) == list(b.forecaster.method_)
    for name in a.forecaster.params_:
        np.testing.assert_array_equal(a.forecaster.params_[name], b.forecaster.params_[name])
    assert a.scenario.constraints.to_dict() == b.scenario.constraints.to_dict()
    fa, fb = a.scenario.demand.forecast, b.scenario.demand.forecast
    np.testing.assert_array_equal(fa.mean[:7], fb.mean[:7])  # forecasts made at test origins 1..7
    assert not np.array_equal(fa.mean[7:], fb.mean[7:])
    for name in policies:
        np.testing.assert_array_equal(a.runs[name].orders[:7], b.runs[name].orders[:7])
        np.testing.assert_array_equal(a.runs[name].sku_costs[:6], b.runs[name].sku_costs[:6])


def test_outputs_are_written_and_escaped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame = history_frame(long=False)
    catalog = catalog_frame()
    frame.loc[0, "sku"] = catalog.loc[0, "sku"] = "=cmd|'/c calc'!A1"
    frame.loc[1, "sku"] = catalog.loc[1, "sku"] = "$x^$"
    result = backtest(frame, catalog, 24, policies=("static_base_stock", "hybrid_base"), name="<b>bt</b>")
    paths = result.write(tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == ["periods.csv", "report.html", "results.csv", "summary.md"]
    rows = pd.read_csv(paths["results.csv"])
    assert "'=cmd|'/c calc'!A1" in set(rows["sku"])
    assert "<b>" not in paths["summary.md"].read_text()
    html = paths["report.html"].read_text()
    assert "<b>bt</b>" not in html and html.count("data:image/png;base64,") == 2


def test_the_summary_names_where_the_limits_came_from_in_plain_words() -> None:
    # the finding: the terminal showed "derived from the training window: {&#x27;capacity_factor&#x27;: 1.3, ...}"
    derived = _run(history_frame(), policies=("hybrid_base",)).summary_markdown()
    assert "(derived from the last 12 training periods: capacity 1.3 x the volume on hand after a receipt, " \
           "budget 1.2 x the mean purchase value)" in derived
    one = _run(history_frame(), policies=("hybrid_base",), constraints={"capacity": "derive", "budget": 5e3})
    text = one.summary_markdown()
    assert "budget 5000 given; derived from the last 12 training periods: capacity 1.3 x" in text
    assert "budget 1.2" not in text and "&#" not in text
    assert "it's" in _run(history_frame(), policies=("hybrid_base",), name="it's").summary_markdown()


def test_given_constraints_and_bad_input() -> None:
    result = _run(history_frame(), policies=("hybrid_base",), constraints=Constraints(capacity=1e9, budget=5e3))
    assert result.scenario.constraints.budget == 5e3 and result.constraint_source == "given"
    with pytest.raises(PlanningError, match=r"unknown backtest policy; known: \['capped_base'"):
        _run(history_frame(), policies=("magic",))
    with pytest.raises(PlanningError, match=r"unknown backtest policy \(did you mean 'static_ss'\?\); known: "):
        _run(history_frame(), policies=("static_s",))  # until 2026-12-07 the list alone
    with pytest.raises(PlanningError, match="cutoff"):
        backtest(history_frame(), catalog_frame(), 36)
    with pytest.raises(PlanningError, match="unknown constraint"):
        _run(history_frame(), policies=("hybrid_base",), constraints={"space": 3})
    # the finding: a repeated policy ran once, and an extra model named like a policy replaced it silently
    with pytest.raises(PlanningError, match="listed twice") as caught:
        _run(history_frame(), policies=("hybrid_base", "newsvendor", "hybrid_base"))
    assert caught.value.column == "policies" and caught.value.value == "hybrid_base"
    with pytest.raises(PlanningError, match="a built-in policy's") as caught:
        _run(history_frame(), policies=("hybrid_base", "newsvendor"), models={"newsvendor": "models/hybrid_default"})
    assert caught.value.column == "models" and caught.value.value == "newsvendor"
    # a built-in name the run does not use too: the summary ranked such a model among the classical policies
    with pytest.raises(PlanningError, match="a built-in policy's") as caught:
        _run(history_frame(), policies=("hybrid_base",), models={"mpc": "models/hybrid_default"})
    assert caught.value.value == "mpc"


def test_the_capped_hybrid_trained_on_the_window_is_compared_with_its_own_base() -> None:
    from hybridinv.policies.rq import ForecastCappedBaseStock
    from hybridinv.sim.runner import run_episode

    result = _run(history_frame(), policies=("capped_base", "capped_trained"))
    base, trained = result.runs["capped_base"], result.runs["capped_trained"]
    for run in (base, trained):
        assert run.kpis["violations"] == 0
    report = result.fitted["capped_trained"]
    assert report["held_out_periods"] == 6 and isinstance(report["accepted"], bool)
    # accepted weights plan differently from the base; rejected ones are the base, the very same replay
    # (test_a_rejected_capped_hybrid_replays_exactly_as_its_base forces the rejection)
    assert np.array_equal(trained.orders, base.orders) is not report["accepted"]
    # zero weights are the classical forecast capped base-stock (with the hybrid's fast repair), replayed on its own
    ledger, _ = run_episode(ForecastCappedBaseStock(repair="fast"), result.scenario, 0, per_sku_costs=True)
    np.testing.assert_allclose(base.sku_costs, ledger.sku_basis_costs(), rtol=1e-12)
    text = result.summary_markdown()
    assert "`capped_trained` − `capped_base`" in text and "`capped_trained`: validation gate" in text


def test_a_rejected_capped_hybrid_replays_exactly_as_its_base(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """ES made to return harmful weights: the gate keeps the base, whose replay the trained row repeats."""
    from rl._es import fixed_candidate

    from hybridinv.rl.hybrid import CappedHybrid

    harmful = np.zeros((2, 15))
    harmful[0, 0], harmful[1, 0] = -3.0, -3.0  # safety factor about 1 lower, the cap e^-0.5 smaller
    fixed_candidate(monkeypatch, harmful, CappedHybrid)
    result = _run(history_frame(), policies=("capped_base", "capped_trained"))
    report = result.fitted["capped_trained"]
    assert report["accepted"] is False and report["trained_cost_per_period"] > report["base_cost_per_period"]
    np.testing.assert_array_equal(result.runs["capped_trained"].orders, result.runs["capped_base"].orders)
    assert result.runs["capped_trained"].kpis == result.runs["capped_base"].kpis


def test_each_trained_hybrid_gets_a_warm_start_of_its_own_parameterization(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    import hybridinv.rl.history as history
    from hybridinv.backtest.engine import POLICIES, BacktestContext

    seen: list[tuple[str, str | None]] = []

    def fake(train, catalog, out, constraints, settings, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((settings.parameterization, settings.warm_start))
        raise RuntimeError("stop")

    monkeypatch.setattr(history, "train_on_history", fake)
    for given in (TINY, HistoryTraining(parameterization="forecast_capped", warm_start="/my/capped")):
        scenario = SimpleNamespace(name="suite")
        ctx = BacktestContext(None, None, None, None, scenario, True, 12, given)  # type: ignore[arg-type]
        for name in ("hybrid_trained", "capped_trained"):
            with pytest.raises(RuntimeError, match="stop"):
                POLICIES[name](ctx)
    assert seen == [("forecast_ss", "hybrid_default"), ("forecast_capped", None),  # capped: from its base
                    ("forecast_ss", "hybrid_default"), ("forecast_capped", "/my/capped")]


def test_the_trained_hybrid_gets_the_constraints_as_given_and_every_policy_is_evaluated_under_the_derived_ones(
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the backtest passed the limits derived from the last 12 training months, the months train_on_history
    # holds out for its gate; it now passes what it was given and train_on_history derives on the months it fits on
    import hybridinv.rl.history as history

    seen: list[object] = []

    def fake(train, catalog, out, constraints, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(constraints)
        raise RuntimeError("stop")

    monkeypatch.setattr(history, "train_on_history", fake)
    for given in (None, "derive", {"capacity": 500.0, "budget": "derive"}):
        with pytest.raises(RuntimeError, match="stop"):
            _run(history_frame(), policies=("hybrid_trained",), constraints=given)
    assert seen == [None, "derive", {"capacity": 500.0, "budget": "derive"}]
    derived = _run(history_frame(), policies=("static_ss",)).scenario.constraints
    train = read_history(history_frame()).aligned(Catalog.from_frame(catalog_frame())).demand[:24]
    assert derived == ConstraintRule().derive(train, Catalog.from_frame(catalog_frame()))  # evaluation: unchanged


def test_constraints_none_derives_them_as_training_on_history_does() -> None:
    # None meant "no limits" here, silently, while train_on_history reads it as "derive"
    derived = _run(history_frame(), policies=("static_ss",))
    none = _run(history_frame(), policies=("static_ss",), constraints=None)
    assert none.scenario.constraints == derived.scenario.constraints
    assert np.isfinite(none.scenario.constraints.capacity) and np.isfinite(none.scenario.constraints.budget)
    np.testing.assert_array_equal(none.runs["static_ss"].orders, derived.runs["static_ss"].orders)


def test_progress_shows_one_step_per_policy(capsys) -> None:  # type: ignore[no-untyped-def]
    _run(history_frame(), policies=("static_ss", "newsvendor"), progress=True)
    err = capsys.readouterr().err
    assert "backtest" in err and "2/2" in err and "newsvendor" in err
    _run(history_frame(), policies=("static_ss",))
    assert "backtest" not in capsys.readouterr().err


def test_a_reference_the_backtest_did_not_run_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # table/summary/write raised a bare KeyError: 'static_SS' (write after two of its files), paired a ValueError
    result = _run(history_frame(), policies=("static_ss", "newsvendor"))
    calls = [lambda: result.table("static_SS"), lambda: result.summary_markdown("nv"),
             lambda: result.paired("nv", "static_ss"), lambda: result.write(tmp_path / "out", reference="nv")]
    for call, column in zip(calls, ("reference", "reference", "policy", "reference"), strict=True):
        with pytest.raises(PlanningError, match="ran \\['static_ss', 'newsvendor'\\]") as err:
            call()
        assert err.value.column == column
    assert not (tmp_path / "out").exists()
    with pytest.raises(PlanningError, match="'sku' or 'period'") as err:
        result.paired("newsvendor", "static_ss", over="skus")
    assert err.value.column == "over"
    assert result.table("newsvendor").set_index("policy").loc["newsvendor", "vs_newsvendor_pct"] == 0.0
    for seed in ("x", 1.5, -1, True, None):  # bare TypeError / ValueError from numpy's default_rng
        with pytest.raises(PlanningError, match="whole number|must be a number") as err:
            result.paired("newsvendor", "static_ss", seed=seed)  # type: ignore[arg-type]
        assert err.value.column == "seed"
    same = result.paired("newsvendor", "static_ss", seed=3.0)  # type: ignore[arg-type]
    assert same == result.paired("newsvendor", "static_ss", seed=np.int64(3))


def test_bad_training_settings_and_model_directories_stop_the_backtest_before_any_policy_runs(
        tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # both failed only when their row came up, after every policy before it had run (minutes of MPC or training)
    from hybridinv.backtest import engine
    from hybridinv.rl.integrity import ModelFileError

    built: list[str] = []
    monkeypatch.setitem(engine.POLICIES, "newsvendor", lambda ctx: built.append("newsvendor"))
    with pytest.raises(PlanningError, match="HistoryTraining") as err:
        backtest(history_frame(), catalog_frame(), 24, policies=("newsvendor", "hybrid_trained"),
                 training={"time_limit": 1})
    assert err.value.column == "training"
    with pytest.raises(ModelFileError, match="not a model directory"):
        backtest(history_frame(), catalog_frame(), 24, policies=("newsvendor",), models={"mine": tmp_path})
    assert built == []


def test_a_training_window_too_short_for_any_policy_stops_the_backtest_before_any_policy_runs(
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the trained hybrids' 12 periods and the static policies' lead time + 2 were checked only at their turn
    from hybridinv.backtest import engine

    built: list[str] = []
    monkeypatch.setitem(engine.POLICIES, "newsvendor", lambda ctx: built.append("newsvendor"))
    catalog = catalog_frame().assign(lead_time=2)
    for policies, cutoff, message in ((("newsvendor", "hybrid_trained"), 11, "at least 12 periods"),
                                      (("newsvendor", "capped_trained"), 5, "at least 12 periods"),
                                      (("newsvendor", "static_base_stock"), 3, "more than 3 training periods"),
                                      # was "must be a whole number in [2, 1]" once the newsvendor had run
                                      (("newsvendor", "fitted_base"), 2, "fitted_base needs at least 3")):
        with pytest.raises(PlanningError, match=message) as err:
            backtest(history_frame(), catalog, cutoff, policies=policies, training=TINY)
        assert (err.value.column, err.value.value) == ("cutoff", cutoff)
    assert built == []


def test_deriving_both_limits_by_name_reads_as_a_sentence() -> None:
    result = _run(history_frame(), policies=("newsvendor",), constraints={"capacity": "derive", "budget": "derive"})
    assert result.constraint_source.startswith("derived from the last 12 training periods")  # was "; derived ..."
    assert result.scenario.constraints == _run(history_frame(), policies=("newsvendor",)).scenario.constraints


def test_a_weekly_history_is_forecast_with_a_yearly_season_of_52_weeks() -> None:
    """Before, every history got season=12: a weekly one was forecast with a 12-week cycle."""
    rng = np.random.default_rng(4)
    weeks = [str(d.date()) for d in pd.date_range("2022-01-03", periods=120, freq="W-MON")]
    rate = rng.uniform(20, 60, 12)[None, :] * (1 + 0.4 * np.sin(2 * np.pi * np.arange(120) / 52))[:, None]
    demand = rng.poisson(rate).astype(float)
    skus = catalog_frame()["sku"].tolist()
    frame = pd.DataFrame({"sku": np.tile(skus, 120), "period": np.repeat(weeks, 12), "quantity": demand.ravel()})
    auto = backtest(frame, catalog_frame(), 110, policies=("newsvendor",))
    assert auto.forecaster.season == 52 and auto.scenario.periods_per_year == 52
    given = backtest(frame, catalog_frame(), 110, policies=("newsvendor",), season=52, periods_per_year=52)
    np.testing.assert_array_equal(auto.runs["newsvendor"].sku_costs, given.runs["newsvendor"].sku_costs)
    monthly = backtest(frame, catalog_frame(), 110, policies=("newsvendor",), season=12, periods_per_year=12)
    assert monthly.forecaster.season == 12  # as given
    assert "holt_winters" in auto.forecaster.summary()


def _files_too_large(monkeypatch, name: str) -> None:  # type: ignore[no-untyped-def]
    """Make writing any file whose name contains ``name`` fail midway, as a disk that fills up does."""
    from pathlib import Path

    write_text = Path.write_text

    def cut(self, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name in self.name:
            write_text(self, data[: len(data) // 2], *args, **kwargs)
            raise OSError(27, "File too large")
        return write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", cut)


def test_a_failed_write_leaves_the_earlier_report_whole_and_names_the_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the finding: a failure midway left a cut-off report.html beside the new run's CSVs, and the error
    # ("[Errno 27] File too large") named no path
    out = tmp_path / "out"
    _run(history_frame(), policies=("static_ss", "hybrid_base")).write(out)
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    later = _run(history_frame(), policies=("static_ss", "newsvendor"))
    _files_too_large(monkeypatch, "report.html")
    with pytest.raises(PlanningError, match="File too large") as caught:
        later.write(out)
    assert "report.html" in str(caught.value) and "File too large" in str(caught.value)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before  # no temporaries, nothing mixed


def test_a_model_folder_that_cannot_be_made_is_refused_before_any_policy_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "afile").write_text("x")
    with pytest.raises(PlanningError, match="model_dir.*afile"):
        _run(history_frame(), policies=("hybrid_base",), model_dir=tmp_path / "afile" / "sub")


def test_one_sku_or_one_test_period_has_no_interval() -> None:
    # the finding: with 1 SKU the report showed "[+1.89, +1.89]" as a 95% interval over SKUs and
    # excludes_zero() was True; with one test period the same over periods
    one_sku = backtest(history_frame(n=1, seed=1), catalog_frame(n=1, seed=1), 24,
                       policies=("static_ss", "hybrid_base"))
    by_sku = one_sku.paired("hybrid_base", "static_ss", "sku")
    by_period = one_sku.paired("hybrid_base", "static_ss", "period")
    assert by_sku.n == 1 and np.isnan(by_sku.low) and np.isnan(by_sku.high) and not by_sku.excludes_zero()
    assert np.isfinite(by_sku.percent[0])  # the mean difference is still reported
    assert by_period.n == 12 and by_period.low < by_period.high
    row = one_sku.summary_markdown().splitlines()[-1]
    assert row.startswith("| hybrid_base |") and "| n/a | [" in row and "nan" not in row
    one_period = _run(history_frame(), policies=("static_ss", "hybrid_base"), horizon=1)
    by_period = one_period.paired("hybrid_base", "static_ss", "period")
    assert by_period.n == 1 and np.isnan(by_period.low) and not by_period.excludes_zero()
    row = one_period.summary_markdown().splitlines()[-1]
    assert row.startswith("| hybrid_base |") and "] | n/a |" in row and "nan" not in row


def test_skus_never_observed_or_first_observed_after_the_cutoff_are_named() -> None:
    """An empty wide row was scored as a SKU of zero demand, a SKU first sold in the test periods planned from
    nothing, both without a word."""
    import warnings

    from hybridinv import PlanningWarning
    from hybridinv.examples import example_frames

    catalog = example_frames()[0].iloc[:3]
    rng = np.random.default_rng(0)
    wide = pd.DataFrame({"sku": catalog["sku"]})
    for t in range(36):
        wide[str(t + 1)] = [rng.poisson(5), rng.poisson(5) if t >= 30 else np.nan, np.nan]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backtest(wide, catalog, cutoff=28, policies=["static_base_stock"])
    named = [str(w.message) for w in caught if issubclass(w.category, PlanningWarning) and "SKU(s) have" in
             str(w.message)]
    assert named == [
        "1 SKU(s) have no observed period at all (first: 'P-102'): they are scored as SKUs without demand",
        "1 SKU(s) have no observed period before the cutoff (first: 'P-101'): the fitted policies plan them from "
        "no history",
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backtest(wide.iloc[:1], catalog.iloc[:1], cutoff=28, policies=["static_base_stock"])
    assert not [w for w in caught if "SKU(s) have" in str(w.message)]


def test_the_summary_compares_every_learned_policy_with_the_cheapest_classical_one() -> None:
    # a planner's question: does the hybrid beat the best classical rule on my history? The static levels only were
    # compared by the RESULTS tables; the cheapest classical row (newsvendor on hospital) was left to the reader
    result = _run(history_frame())
    costs = {name: run.kpis["valued_cost"] for name, run in result.runs.items()}
    classical = [name for name in FAST if name != "hybrid"]
    best = min(classical, key=costs.__getitem__)
    assert result.cheapest_classical() == best
    assert all(costs[best] <= costs[name] for name in classical)
    text = result.summary_markdown()
    assert f"Cheapest classical policy over the test periods: `{best}` ({costs[best]:,.1f} per period" in text
    line = next(row for row in text.splitlines() if row.startswith(f"- `hybrid` − `{best}`: "))
    mean, low, high = result.paired("hybrid", best, "sku").percent
    assert line.startswith(f"- `hybrid` − `{best}`: {mean:+.2f}% [{low:+.2f}, {high:+.2f}] over SKUs")
    # only learned policies are compared; without one, or without a classical one, there is no such block
    assert f"- `{best}` − `{best}`" not in text
    assert "Cheapest classical" not in _run(history_frame(), policies=("static_ss", "hybrid_base")).summary_markdown()
    only_learned = _run(history_frame(), policies=("hybrid",))
    assert only_learned.cheapest_classical() is None and "Cheapest classical" not in only_learned.summary_markdown()


def test_every_backtest_policy_is_classed_as_classical_or_learned() -> None:
    from hybridinv.backtest import POLICIES
    from hybridinv.backtest.result import CLASSICAL_POLICIES

    # a policy added to POLICIES without a class would be compared as a learned one
    assert set(CLASSICAL_POLICIES) <= set(POLICIES)
    assert set(POLICIES) - set(CLASSICAL_POLICIES) == {"hybrid", "hybrid_trained", "capped_trained",
                                                       "hybrid_validated"}


def test_model_dir_takes_the_trained_models_together_once_every_policy_has_run(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # the finding: each trained hybrid was saved into model_dir when its training ended, so a backtest interrupted
    # while training capped_trained left a new hybrid_trained beside the earlier run's capped_trained
    import shutil
    from pathlib import Path

    import hybridinv.rl.history as history_module
    from hybridinv.rl import Hybrid
    from hybridinv.rl.integrity import read_metadata, write_metadata

    shipped = Path(__file__).resolve().parents[2] / "models" / "hybrid_default"
    models = tmp_path / "models"
    for name in ("hybrid_trained", "capped_trained"):
        shutil.copytree(shipped, models / name)
        write_metadata(models / name, {**read_metadata(models / name), "marker": "earlier"})
    calls: list[str] = []

    def fake(train, catalog, out, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(str(out))
        if len(calls) == 2 and interrupt_second:
            raise KeyboardInterrupt
        shutil.copytree(shipped, out)
        write_metadata(out, {**read_metadata(out), "marker": "new"})
        return Hybrid.load(shipped), {}

    monkeypatch.setattr(history_module, "train_on_history", fake)
    cat = Catalog.from_frame(catalog_frame())
    interrupt_second = True
    with pytest.raises(KeyboardInterrupt):
        backtest(history_frame(), cat, "2021-01", policies=["hybrid_trained", "capped_trained"], model_dir=models)
    assert [read_metadata(models / name)["marker"] for name in ("hybrid_trained", "capped_trained")] == [
        "earlier", "earlier"]
    assert sorted(p.name for p in models.iterdir()) == ["capped_trained", "hybrid_trained"]  # no staging left
    interrupt_second, calls = False, []
    result = backtest(history_frame(), cat, "2021-01", policies=["hybrid_trained", "capped_trained"],
                      model_dir=models)
    assert [read_metadata(models / name)["marker"] for name in ("hybrid_trained", "capped_trained")] == ["new", "new"]
    assert sorted(p.name for p in models.iterdir()) == ["capped_trained", "hybrid_trained"]
    assert all(not call.startswith(str(models / "hybrid_trained")) for call in calls)  # trained into a staging folder
    assert set(result.policies) == {"hybrid_trained", "capped_trained"}


def test_a_model_dir_entry_in_the_way_is_refused_before_any_policy_runs(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hybridinv.backtest.engine as engine
    from hybridinv.rl.integrity import ModelFileError

    (tmp_path / "models" / "capped_trained").mkdir(parents=True)
    (tmp_path / "models" / "capped_trained" / "notes.txt").write_text("mine")
    ran: list[str] = []
    static = engine.POLICIES["static_ss"]
    monkeypatch.setitem(engine.POLICIES, "static_ss", lambda ctx: ran.append("static_ss") or static(ctx))
    with pytest.raises(ModelFileError, match="notes.txt"):  # was found at capped_trained's turn, after the others
        backtest(history_frame(), Catalog.from_frame(catalog_frame()), "2021-01",
                 policies=["static_ss", "capped_trained"], model_dir=tmp_path / "models")
    assert not ran


def test_an_extra_model_trained_on_the_test_periods_is_marked_not_held_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the finding: --model NAME=DIR of a model trained with a later cutoff (an earlier run's models/hybrid_trained)
    # was compared beside the held-out policies without a word, though it had trained on the test months
    import shutil
    from pathlib import Path

    from hybridinv.core.errors import PlanningWarning
    from hybridinv.rl.integrity import read_metadata, write_metadata

    shipped = Path(__file__).resolve().parents[2] / "models" / "hybrid_default"
    for name, last in (("late", "2021-06"), ("early", "2020-12")):
        shutil.copytree(shipped, tmp_path / name)
        meta = read_metadata(tmp_path / name)
        write_metadata(tmp_path / name, {**meta, "validation": {**(meta.get("validation") or {}), "window": {
            "fit": ["2019-01", "2019-12"], "held_out": ["2020-01", last]}}})
    cat = Catalog.from_frame(catalog_frame())
    with pytest.warns(PlanningWarning, match="late was trained on periods up to 2021-06.*from 2021-01"):
        result = backtest(history_frame(), cat, "2021-01", policies=["static_ss"],
                          models={"late": tmp_path / "late", "early": tmp_path / "early"})
    assert set(result.caveats) == {"late"}
    assert "| late † |" in result.summary_markdown() and "| early |" in result.summary_markdown()


def test_fitted_base_is_the_hybrid_base_with_the_capacity_utilization_a_trained_hybrid_would_fit() -> None:
    from hybridinv.backtest.engine import DEFAULT_POLICIES
    from hybridinv.backtest.result import CLASSICAL_POLICIES

    assert "fitted_base" in DEFAULT_POLICIES and "fitted_base" in CLASSICAL_POLICIES
    grid = (0.3, 0.5, 0.9, None)
    training = replace(TINY, utilization_grid=grid)
    result = backtest(history_frame(), catalog_frame(), 24, policies=("hybrid_base", "fitted_base"), training=training)
    search = result.fitted["fitted_base"]
    assert search["tried"] == [0.7, *grid] and search["chosen"] == search["tried"][int(np.argmin(search["costs"]))]
    # the test periods replayed with that base, built by hand, cost the same
    from hybridinv.policies.forecast_ss import ForecastSS
    from hybridinv.rl.adaptive import AdaptiveHybrid, zero_weights
    from hybridinv.sim.runner import run_episode

    by_hand = AdaptiveHybrid(zero_weights(), base=ForecastSS(capacity_utilization=search["chosen"]))
    cost = run_episode(by_hand, result.scenario, 0)[0].summary()["valued_cost"]
    assert result.runs["fitted_base"].kpis["valued_cost"] == pytest.approx(cost, rel=1e-12)
    if search["chosen"] == 0.7:
        assert cost == pytest.approx(result.runs["hybrid_base"].kpis["valued_cost"], rel=1e-12)


def test_the_validated_hybrid_row_says_how_often_the_gate_kept_the_hybrid_and_what_it_cost() -> None:
    """``hybrid_validated``: the shipped hybrid behind plan()'s validation gate every month. Here the hybrid passes the
    gate every month and the row is the hybrid's; the summary counts the months and compares (switching months are
    tested in tests/rl/test_gate.py)."""
    result = _run(history_frame(), policies=("hybrid", "hybrid_validated"))
    report = result.fitted["hybrid_validated"]
    assert report["kept"] == [True] * 12 and report["periods"] == 12 and report["rule"] == "interval"
    np.testing.assert_array_equal(result.runs["hybrid_validated"].orders, result.runs["hybrid"].orders)
    text = result.summary_markdown()
    line = next(row for row in text.splitlines() if row.startswith("`hybrid_validated` (the shipped hybrid"))
    assert "rule 'interval'): the hybrid planned 12 of the 12 test periods and its base 0." in line
    assert "`hybrid_validated` − `hybrid`: +0.00% [+0.00, +0.00] over SKUs, [+0.00, +0.00] over periods." in line
    assert "hybrid_validated" not in _run(history_frame(), policies=("hybrid",)).summary_markdown()
