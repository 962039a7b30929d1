"""RewardSpec: serialization, validation, ledger consistency."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from hybridinv import PlanningError, PlanningWarning, scenarios
from hybridinv.policies import BaseStock
from hybridinv.reward import CarbonTerm, OutcomeLedger, ProfitTerm, RewardSpec, ServicePenalty, record_episode
from hybridinv.sim import Ledger, Simulator, run_episode

FULL = RewardSpec(
    holding=0.5,
    shortage=3.0,
    fixed_ordering=0.0,
    unit_ordering=1.25,
    waste=2.0,
    overflow=0.1,
    scale=10.0,
    carbon=CarbonTerm(shipped_kg=0.4, held_kg=0.05, price=0.08),
    profit=ProfitTerm(revenue_weight=0.9),
    service=ServicePenalty(fill_rate=0.9, penalty=5.0, shortfall_penalty=20.0),
)


@pytest.mark.parametrize("spec", [RewardSpec(), FULL, RewardSpec(carbon=CarbonTerm(shipped_kg=1.0))])
def test_round_trips_through_toml_json_and_dict(spec: RewardSpec) -> None:
    assert RewardSpec.from_toml(spec.to_toml()) == spec
    assert RewardSpec.from_json(spec.to_json()) == spec
    assert RewardSpec.from_dict(spec.to_dict()) == spec
    assert json.loads(spec.to_json()) == spec.to_dict()


def test_toml_written_by_hand_is_read() -> None:
    text = """
    scale = 2.0
    [weights]
    shortage = 4
    [carbon]
    shipped_kg = 0.5
    price = 0.1
    """
    spec = RewardSpec.from_toml(text)
    assert spec.shortage == 4.0 and spec.holding == 1.0 and spec.scale == 2.0
    assert spec.carbon == CarbonTerm(shipped_kg=0.5, held_kg=0.0, price=0.1)
    assert spec.profit is None and spec.service is None


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("[weights]\nholdng = 1.0", "weights"),
        ("colour = 1", "reward spec"),
        ("[weights]\nshortage = -1.0", "weights.shortage"),
        ("[weights]\nshortage = nan", "weights.shortage"),
        ("[weights]\nshortage = inf", "weights.shortage"),
        ("[weights]\nshortage = 'high'", "weights.shortage"),
        ("[weights]\nshortage = true", "weights.shortage"),
        ("scale = 0.0", "scale"),
        ("[carbon]\nprice = -0.1", "carbon.price"),
        ("[carbon]\nkg = 1.0", "carbon"),
        ("[service]\nfill_rate = 1.2", "service.fill_rate"),
        ("version = 7", "version"),
        ("version = true", "version"),  # the finding: true == 1 was read as version 1
        ("[weights\n", "reward spec"),
    ],
)
def test_invalid_specs_name_the_problem(text: str, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        RewardSpec.from_toml(text)
    assert info.value.column == column


def test_invalid_json_and_constructor_arguments() -> None:
    with pytest.raises(PlanningError, match="finite"):
        RewardSpec.from_json('{"weights": {"holding": NaN}}')
    with pytest.raises(PlanningError, match="invalid JSON"):
        RewardSpec.from_json("{")
    with pytest.raises(PlanningError, match=r"must be in \[0, 1e\+12\]"):
        RewardSpec(waste=-2.0)
    with pytest.raises(PlanningError, match="CarbonTerm"):
        RewardSpec(carbon={"price": 1.0})  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="unknown field"):
        RewardSpec().replace(shortage_weight=2.0)


@pytest.mark.parametrize("text", ["[weights]\nholding = 1e308\n", "scale = 1e13\n", "[carbon]\nprice = 1e200\n",
                                  "[profit]\nrevenue_weight = 1e13\n", "[service]\nfill_rate = 0.9\npenalty = 1e300\n"])
def test_a_reward_number_above_max_weight_is_refused(text: str) -> None:
    """The finding: a holding weight of 1e308 was accepted and overflowed to inf in the rewards (a RuntimeWarning)."""
    with pytest.raises(PlanningError, match=r"MAX_WEIGHT"):
        RewardSpec.from_toml(text)
    spec = RewardSpec.from_toml("[weights]\nholding = 1e12\nshortage = 1e12\n")  # the largest weight allowed
    scenario = scenarios.get("multi_10").replace(periods=12, warmup=2)
    ledger, _ = run_episode(BaseStock(np.full(scenario.n_skus, 1e12), repair=None), scenario, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert np.isfinite(spec.episode_rewards(ledger)).all()


@pytest.mark.parametrize("name", ["single_sku", "multi_10", "perishable", "disrupted"])
def test_default_spec_reproduces_ledger_costs(name: str) -> None:
    scenario = scenarios.get(name).replace(periods=40, warmup=2)
    policy = BaseStock(np.ceil(scenario.demand.mean * (scenario.catalog.lead_time + 2)), repair=None)
    ledger, _ = run_episode(policy, scenario, seed=3)
    spec = RewardSpec()
    rewards = spec.episode_rewards(ledger)
    np.testing.assert_allclose(-rewards, ledger.costs.sum(axis=1), rtol=1e-12, atol=1e-9)
    for t in (0, 17, 39):
        assert spec.period_reward(ledger, t) == pytest.approx(-ledger.period_cost(t), rel=1e-12, abs=1e-9)
    summary = ledger.summary()
    assert spec.evaluate(ledger)["spec_cost"] == pytest.approx(summary["avg_cost"], rel=1e-12)


def test_weights_scale_each_component_and_scale_divides() -> None:
    scenario = scenarios.get("perishable").replace(periods=30, warmup=0)
    ledger, _ = run_episode(BaseStock(np.ceil(scenario.demand.mean * 3), repair=None), scenario, seed=1)
    spec = RewardSpec(holding=2.0, shortage=0.5, fixed_ordering=0.0, unit_ordering=3.0, waste=0.0, overflow=4.0,
                      scale=7.0)
    costs = ledger.costs
    fixed = costs[:, 2] - ledger.spend
    expected = (2 * costs[:, 0] + 0.5 * costs[:, 1] + 3 * ledger.spend + 0 * fixed + 4 * costs[:, 4]) / 7.0
    assert fixed.max() > 0 and costs[:, 3].sum() > 0  # the zero weights do remove something
    np.testing.assert_allclose(-spec.episode_rewards(ledger), expected, rtol=1e-12)


def test_plain_ledger_records_held_units_and_revenue() -> None:
    scenario = scenarios.get("multi_10").replace(periods=10, warmup=0)
    ledger, _ = run_episode(BaseStock(20.0, repair=None), scenario, seed=0)
    held = RewardSpec(carbon=CarbonTerm(held_kg=1.0, price=1.0))
    assert held.period_reward(ledger, 3) == pytest.approx(-(ledger.period_cost(3) + ledger.held_units[3]))
    profit = RewardSpec(profit=ProfitTerm()).period_reward(ledger, 3)
    assert profit == pytest.approx(ledger.revenue[3] - ledger.period_cost(3))


def test_docs_say_a_plain_ledger_records_held_units_and_revenue() -> None:
    # the finding: docs/reward.md said a plain Ledger lacks them (attach an OutcomeLedger, else PlanningError)
    sim = Simulator(scenarios.get("multi_10"), periods=6)
    sim.reset(seed=0)
    assert type(sim.ledger) is Ledger  # the simulator's own, plain ledger
    docs = " ".join((Path(__file__).parents[2] / "docs" / "reward.md").read_text().split())
    section = docs.split("## Computing rewards", 1)[1].split("## ", 1)[0]
    assert "does not keep" not in section
    assert "`revenue` that every `Ledger` records" in section


def test_carbon_and_profit_need_recorded_units_or_extra() -> None:
    scenario = scenarios.get("multi_10").replace(periods=10, warmup=0)
    unpriced = scenario.replace(catalog=scenario.catalog.with_values(price=np.full(scenario.n_skus, np.nan)))
    ledger, _ = run_episode(BaseStock(20.0, repair=None), unpriced, seed=0)
    ledger.held_units = None  # type: ignore[assignment]  # a ledger that does not record held units
    held = RewardSpec(carbon=CarbonTerm(held_kg=1.0, price=1.0))
    with pytest.raises(PlanningError, match="held units"):
        held.period_reward(ledger, 3)
    extra = {"held_units": 100.0}
    assert held.period_reward(ledger, 3, extra) == pytest.approx(-(ledger.period_cost(3) + 100.0))
    with pytest.raises(PlanningError, match="unknown extra"):
        held.period_reward(ledger, 3, {"carbon": 1.0})
    with pytest.raises(PlanningError, match="price"):
        RewardSpec(profit=ProfitTerm()).period_reward(ledger, 3)


def test_outcome_ledger_terms_match_a_recount() -> None:
    """Carbon and revenue read from an OutcomeLedger equal a recount from the tracked SKU trajectories."""
    scenario = scenarios.get("multi_10").replace(periods=25, warmup=0)
    n = scenario.n_skus
    sim = Simulator(scenario, track=np.arange(n))
    obs = sim.reset(seed=5)
    ledger = OutcomeLedger.attach(sim)
    policy = BaseStock(np.ceil(scenario.demand.mean * 4), repair=None)
    while not sim.done:
        obs = sim.step(policy.act(obs))
    assert ledger.held_units == pytest.approx(ledger.track_on_hand.sum(axis=1))
    assert ledger.ordered_units == pytest.approx(ledger.track_orders.sum(axis=1))
    spec = RewardSpec(carbon=CarbonTerm(shipped_kg=0.3, held_kg=0.02, price=2.0), profit=ProfitTerm(0.5))
    t = 11
    expected_kg = 0.3 * ledger.track_orders[t].sum() + 0.02 * ledger.track_on_hand[t].sum()
    expected = ledger.period_cost(t) + 2.0 * expected_kg - 0.5 * ledger.revenue[t]
    assert spec.period_reward(ledger, t) == pytest.approx(-expected)
    assert spec.reward(ledger.last_outcome) == pytest.approx(spec.period_reward(ledger, scenario.periods - 1))
    evaluation = spec.evaluate(ledger)
    assert evaluation["profit"] == pytest.approx(ledger.revenue.mean() - ledger.costs.sum(axis=1).mean())
    recorded = record_episode(policy, scenario, seed=5)
    np.testing.assert_array_equal(recorded.costs, ledger.costs)
    assert math.isfinite(evaluation["carbon_kg"])


def test_evaluate_measures_the_window_asked_for_and_refuses_an_empty_or_longer_one() -> None:
    ledger = record_episode(BaseStock(15), scenarios.single_sku(periods=60), 0)
    assert ledger.warmup == 6
    spec = RewardSpec()
    # truth: the plain mean of the period costs over [warmup, end)
    for end in (7, 30, 60, None):
        stop = 60 if end is None else end
        assert spec.evaluate(ledger, periods=end)["spec_cost"] == pytest.approx(
            float(ledger.costs[6:stop].sum(axis=1).mean()), rel=1e-12)
    # periods=6 (the warm-up) gave a spec cost of 0 beside NaN terms; 100 was cut to the 60 recorded; 2.5 a TypeError
    for bad in (6, 3, 0, 100, 2.5, "30", True):
        with pytest.raises(PlanningError) as err:
            spec.evaluate(ledger, periods=bad)  # type: ignore[arg-type]
        assert err.value.column == "periods"


@pytest.fixture(scope="module")
def short_ledger() -> Ledger:
    scenario = scenarios.get("multi_10")
    return record_episode(BaseStock(np.full(10, 60.0)), scenario, 0, periods=30)


@pytest.mark.parametrize("t", [-1, 30, 1.5, "3", True, np.nan])
def test_period_reward_needs_a_period_of_the_ledger(short_ledger: Ledger, t: object) -> None:
    """The finding: t=-1 was silently the last period, 30 (of 30) an IndexError, 1.5 and '3' IndexErrors."""
    with pytest.raises(PlanningError) as info:
        RewardSpec().period_reward(short_ledger, t)  # type: ignore[arg-type]
    assert info.value.column == "t"


def test_period_reward_reads_any_period_and_extra_totals_or_per_sku_values(short_ledger: Ledger) -> None:
    spec = RewardSpec(carbon=CarbonTerm(held_kg=1.0, price=1.0))
    rewards = [spec.period_reward(short_ledger, t) for t in (0, np.int64(29), 3.0)]
    assert rewards == pytest.approx(spec.episode_rewards(short_ledger)[[0, 29, 3]])
    per_sku = np.arange(10.0)
    assert spec.period_reward(short_ledger, 3, extra={"held_units": per_sku}) == pytest.approx(
        spec.period_reward(short_ledger, 3, extra={"held_units": per_sku.sum()}))
    for value in ([1, 2, 3], np.ones((2, 10)), "x", -1.0, np.inf):  # [1, 2, 3] was a TypeError
        with pytest.raises(PlanningError) as info:
            spec.period_reward(short_ledger, 3, extra={"held_units": value})
        assert info.value.column == "extra.held_units"
    with pytest.raises(PlanningError) as info:
        spec.period_reward(short_ledger, 3, extra={"revenue": "x"})  # a numpy ValueError
    assert info.value.column == "extra.revenue"


@pytest.mark.parametrize("loader", ["toml", "json"])
def test_a_whole_number_beyond_any_float_names_its_key(loader: str) -> None:
    """shortage = 1 followed by 400 zeros ended train and tune with an OverflowError traceback."""
    big = "1" + "0" * 400
    with pytest.raises(PlanningError, match="about 401 digits") as info:
        if loader == "toml":
            RewardSpec.from_toml(f"[weights]\nshortage = {big}\n")
        else:
            RewardSpec.from_json(f'{{"weights": {{"shortage": {big}}}}}')
    assert info.value.column == "weights.shortage"


def test_ordered_units_given_in_extra_are_the_units_shipped(short_ledger: Ledger) -> None:
    # the carbon term read the ledger's shipped units and ignored the ordered units given in extra
    spec = RewardSpec(carbon=CarbonTerm(shipped_kg=1.0, price=1.0))
    base = spec.period_reward(short_ledger, 5, extra={"ordered_units": 0.0})
    more = spec.period_reward(short_ledger, 5, extra={"ordered_units": 1000.0})
    assert base - more == pytest.approx(1000.0)  # kg price 1, reward scale 1: 1,000 kg more cost 1,000
    ledger_only = spec.period_reward(short_ledger, 5)
    shipped = short_ledger.ordered_units[5] - short_ledger.cancelled_units[5]
    assert base - ledger_only == pytest.approx(shipped)


@pytest.mark.parametrize(("name", "data"), [
    ("spec.JSON", b'{"scale": 2.0}'),
    ("spec.toml", b"\xef\xbb\xbfscale = 2.0\n"),  # a byte-order mark was "invalid TOML at line 1, column 1"
    ("spec.json", b"\xef\xbb\xbf" + b'{"scale": 2.0}'),
])
def test_spec_files_by_suffix_in_any_case_with_or_without_a_byte_order_mark(tmp_path: Path, name: str,
                                                                              data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    assert RewardSpec.from_file(tmp_path / name).scale == 2.0


@pytest.mark.parametrize(("name", "data"), [("spec.toml", b""), ("spec.toml", b"# weights to come\n\n"),
                                           ("spec.json", b"{}"), ("spec.json", b"\xef\xbb\xbf {} \n")])
def test_an_empty_spec_file_is_refused_naming_the_file(tmp_path: Path, name: str, data: bytes) -> None:
    # the finding: train --reward EMPTYFILE (and tune --spec) trained for the default spec without a word
    (tmp_path / name).write_bytes(data)
    with pytest.raises(PlanningError, match="the reward spec file is empty") as err:
        RewardSpec.from_file(tmp_path / name)
    assert (err.value.column, err.value.value) == ("reward spec", str(tmp_path / name))
    assert RewardSpec.from_dict({}) == RewardSpec()  # in Python, an empty mapping is still the default spec
    (tmp_path / name).write_bytes(b'{"version": 1}' if name.endswith(".json") else b"version = 1\n")
    assert RewardSpec.from_file(tmp_path / name) == RewardSpec()  # a file that says something is read


def test_train_and_tune_refuse_an_empty_spec_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hybridinv.cli import main

    empty = tmp_path / "empty.toml"
    empty.write_text("")
    small = ["--generations", "1", "--time-limit", "0", "--workers", "1", "--eval-seeds", "1", "--population", "2",
             "--seeds-per-generation", "1", "--quiet"]  # a run the check misses ends quickly
    for args in (["train", "--scenario", "single_sku", "--algo", "adaptive", "--reward", str(empty), *small],
                 ["tune", "--scenario", "single_sku", "--target", "fill_rate>=0.9", "--spec", str(empty),
                  "--trials", "1", "--seeds", "1", "--periods", "20"]):
        result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
        assert result.exit_code == 1 and "the reward spec file is empty" in result.output, result.output
        assert str(empty) in result.output and not (tmp_path / "out").exists()


def test_spec_files_refuse_other_encodings_repeated_json_keys_and_a_fractional_version(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_bytes("scale = 2.0\n".encode("utf-16"))
    with pytest.raises(PlanningError, match=r"spec.toml: not UTF-8 text"):
        RewardSpec.from_file(tmp_path / "spec.toml")
    with pytest.raises(PlanningError, match="more than once") as err:  # json kept the last of the two
        RewardSpec.from_json('{"scale": 1, "scale": 2}')
    assert err.value.column == "scale"
    with pytest.raises(PlanningError, match="unsupported spec version"):  # 1.0 == 1 was read as version 1
        RewardSpec.from_toml("version = 1.0\n")


@pytest.mark.parametrize(("text", "term"), [
    ("[carbon]\nprice = 5.0\n", r"\[carbon\] price = 5 has no effect: shipped_kg and held_kg are both 0"),
    ("[service]\nfill_rate = 0.95\n", r"\[service\] fill_rate = 0.95 has no effect: penalty and shortfall_penalty"),
])
def test_a_spec_file_term_that_changes_no_reward_is_warned_about(tmp_path: Path, text: str, term: str) -> None:
    # the finding: train --reward / tune --spec with a carbon price but no emission factor (or a service level
    # without a penalty) trained and tuned as if the term were not there, without a word
    path = tmp_path / "spec.toml"
    path.write_text("[weights]\nshortage = 2.0\n" + text)
    with pytest.warns(PlanningWarning, match=term) as caught:
        spec = RewardSpec.from_file(path)
    assert str(path) in str(caught[0].message) and spec.shortage == 2.0  # the spec is still read
    # a term that acts is read without a word (emission factors priced at 0 measure carbon_kg for tune, as documented)
    path.write_text("[carbon]\nshipped_kg = 0.5\nprice = 0.0\n[service]\nfill_rate = 0.9\nshortfall_penalty = 1.0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RewardSpec.from_file(path)


@pytest.mark.parametrize(("text", "column", "message"), [
    ("[weights]\nshortage_cots = 2.0\n", "weights", "unknown key(s) 'shortage_cots' (did you mean 'shortage'?); "
                                                    "known: ['fixed_ordering', 'holding', 'overflow', 'shortage'"),
    ("[service]\nfill_rat = 0.9\npenalty = 1.0\n", "service",
     "unknown key(s) 'fill_rat' (did you mean 'fill_rate'?); known: ['fill_rate', 'penalty', 'shortfall_penalty']"),
    ("[weigths]\nholding = 2.0\n", "reward spec", "unknown key(s) 'weigths' (did you mean 'weights'?); known: "),
    ("[weights]\nzz = 1.0\nholdng = 2.0\n", "weights",  # each unknown key with its own hint, if it has one
     "unknown key(s) 'holdng' (did you mean 'holding'?), 'zz'; known: "),
])
def test_a_misspelt_reward_spec_key_points_to_the_one_meant(tmp_path: Path, text: str, column: str,
                                                            message: str) -> None:
    # the finding: "unknown key(s) ['shortage_cots']; known: [...]", the weight meant left to the reader
    path = tmp_path / "spec.toml"
    path.write_text(text)
    for read in (lambda: RewardSpec.from_toml(text), lambda: RewardSpec.from_file(path)):
        with pytest.raises(PlanningError) as info:
            read()
        assert message in str(info.value) and info.value.column == column, str(info.value)


def test_misspelt_reward_fields_and_extras_point_to_the_ones_meant(short_ledger: Ledger) -> None:
    with pytest.raises(PlanningError, match=r"unknown field\(s\) 'holding_cost' \(did you mean 'holding'\?\)"):
        RewardSpec().replace(holding_cost=2.0)
    with pytest.raises(PlanningError, match=r"unknown extra field\(s\) 'held_unit' \(did you mean 'held_units'\?\); "
                                            r"known: \['held_units', 'ordered_units', 'revenue'\]"):
        RewardSpec().period_reward(short_ledger, 0, extra={"held_unit": 1.0})


def test_a_reward_dict_with_a_key_that_is_not_text_is_named() -> None:
    # the finding: {1: 2.0, "zz": 1.0} was a TypeError sorting the unknown keys ('<' between str and int)
    with pytest.raises(PlanningError, match=r"unknown key\(s\) 1, 'zz'; known: \['carbon'"):
        RewardSpec.from_dict({1: 2.0, "zz": 1.0})
    with pytest.raises(PlanningError, match=r"column 'weights': unknown key\(s\) 2, 'holdng' \(did you mean"):
        RewardSpec.from_dict({"weights": {2: 1.0, "holdng": 1.0}})
