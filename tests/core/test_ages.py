"""Ages of perishable stock on hand in plan(): ``stock_ages`` read into the simulator's age buckets."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridinv import Catalog, PlanningError, PlanningWarning, plan, scenarios
from hybridinv.cli import main
from hybridinv.core.ages import stock_by_life
from hybridinv.policies import MPC
from hybridinv.sim import Simulator

CATALOG = pd.DataFrame({
    "sku": ["milk", "bread", "salt"], "unit_cost": [1.0, 1.0, 1.0], "holding_cost": [0.1, 0.1, 0.1],
    "shortage_cost": [3.0, 3.0, 3.0], "lead_time": [2, 2, 1], "shelf_life": [3, 3, 0],
    "demand_mean": [5.0, 5.0, 5.0], "demand_std": [1.0, 1.0, 1.0],
})
STATE = pd.DataFrame({"sku": ["milk", "bread", "salt"], "on_hand": [20, 20, 10]})


def _ages(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sku", "life_left", "quantity"])


def _plan(policy: str, ages: pd.DataFrame | None) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanningWarning)
        return plan(STATE, CATALOG, policy=policy, stock_ages=ages)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4), st.integers(0, 6)), max_size=8),
       st.lists(st.integers(0, 6), min_size=3, max_size=3))
def test_the_buckets_hold_every_unit_on_hand_at_its_age(lots: list[tuple[int, int, int]], extra: list[int]) -> None:
    """Rows add up per SKU and age; the units no row covers are fresh; a SKU that does not perish keeps its stock
    in bucket 0 (as the simulator does); every row of the result sums to the SKU's on hand."""
    cat = Catalog.from_frame(pd.DataFrame({
        "sku": ["a", "b", "c"], "unit_cost": 1.0, "holding_cost": 0.1, "shortage_cost": 2.0, "lead_time": 1,
        "shelf_life": [4, 2, 0]}))
    lots = [(sku, life, qty) for sku, life, qty in lots if sku != 2 and life <= int(cat.shelf_life[sku])]
    listed = np.zeros((3, 4))
    for sku, life, qty in lots:
        listed[sku, life - 1] += qty
    on_hand = listed.sum(axis=1) + np.array(extra, dtype=float)
    out = stock_by_life(_ages([(str(cat.sku[s]), life, qty) for s, life, qty in lots]), cat, on_hand)
    expected = listed.copy()
    expected[0, 3] += extra[0]
    expected[1, 1] += extra[1]
    expected[2, 0] += extra[2]
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out.sum(axis=1), on_hand)


def test_every_unit_listed_fresh_plans_as_no_ages_at_all() -> None:
    ages = _ages([("milk", 3, 20), ("bread", 3, 5)])
    for policy in ("mpc", "base_stock", "hybrid"):
        pd.testing.assert_frame_equal(_plan(policy, ages), _plan(policy, None))


def test_old_stock_expires_before_the_order_arrives_and_mpc_orders_for_it() -> None:
    """20 milk on hand, 15 of them with one period left; demand 5 a period, lead time 2, life 3. FIFO: period 0
    sells 5 of the old lot and 10 expire at its end, period 1 sells the 5 fresh ones, so period 2 opens empty
    where fresh stock would have left 5: 10 units expire before an order arrives, and mpc orders 5 more."""
    fresh = _plan("mpc", None).set_index("sku")
    aged = _plan("mpc", _ages([("milk", 1, 15)])).set_index("sku")
    assert fresh.loc["milk", "expiring_before_arrival"] == 0.0
    assert aged.loc["milk", "expiring_before_arrival"] == 10.0
    assert aged.loc["milk", "order_qty"] == fresh.loc["milk", "order_qty"] + 5
    for column in ("order_qty", "expiring_before_arrival"):  # the other SKUs are untouched
        assert aged.loc[["bread", "salt"], column].tolist() == fresh.loc[["bread", "salt"], column].tolist()


def test_the_expiring_stock_warning_counts_the_ages() -> None:
    """Fresh, 20 milk of a 3-period life sell within it (15 of them: 5 expire); aged, 15 with one period left,
    10 expire after period 0 and the 5 fresh ones sell."""
    for ages, units, source in ((None, "5", "takes the stock on hand as fresh"),
                                (_ages([("milk", 1, 15)]), "10", "at the ages in stock_ages")):
        with pytest.warns(PlanningWarning) as record:
            out = plan(STATE, CATALOG, policy="base_stock", stock_ages=ages)
        expiring = [str(w.message) for w in record if "expire unsold" in str(w.message)]
        assert len(expiring) == 1 and source in expiring[0], expiring
        assert f"'milk', {units} of 20 on hand" in expiring[0], expiring[0]
        assert any(source in w for w in out.attrs["diagnostics"]["warnings"])


@pytest.mark.parametrize(("ages", "column", "fragment"), [
    (_ages([("salt", 1, 1)]), "sku", "does not perish"),
    (_ages([("milk", 4, 1)]), "life_left", "above the SKU's shelf_life (3)"),
    (_ages([("milk", 0, 1)]), "life_left", ">= 1"),
    (pd.DataFrame({"sku": ["milk"], "life_left": [1.5], "quantity": [1]}), "life_left", "whole number"),
    (_ages([("milk", 1, -1)]), "quantity", ">= 0"),
    (_ages([("milk", 1, 15), ("milk", 2, 6)]), "quantity", "more than its on_hand (20)"),
    (_ages([("milkk", 1, 1)]), "sku", "not in the catalog"),
    (pd.DataFrame({"sku": ["milk"], "life_left": [1], "qty": [1]}), "qty", "unknown column"),
    (pd.DataFrame({"sku": ["milk"], "life_left": [1]}), "quantity", "quantity"),
])
def test_bad_stock_ages_name_the_column_and_sku(ages: pd.DataFrame, column: str, fragment: str) -> None:
    with pytest.raises(PlanningError) as info:
        _plan("base_stock", ages)
    assert info.value.column == column
    assert fragment in str(info.value)
    if column in ("life_left", "quantity") and fragment != "quantity":
        assert info.value.sku == "milk"


def test_plan_with_the_simulators_ages_decides_as_in_simulation() -> None:
    """A perishable scenario run with mpc for 8 periods; its state, forecast and stock ages as plan()'s frames
    give the orders mpc chose in the simulation (and the same expiring_before_arrival); without the ages, the
    stock taken as fresh, they differ."""
    base = scenarios.get("perishable")
    n = base.catalog.n_skus  # lives as short as the lead times, where old stock expires before an order arrives
    cat = base.catalog.with_values(lead_time=np.full(n, 2), shelf_life=np.where(np.arange(n) % 2 == 0, 2, 3))
    scenario = dataclasses.replace(base, catalog=cat, lead_times=None, waste_cost=0.0)  # plan() knows no waste cost
    policy = MPC()
    sim = Simulator(scenario, periods=20)
    obs = sim.reset(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(8):
            obs = sim.step(policy.act(obs))
        in_sim = policy.act(obs)
        horizon = 40
        forecast = pd.DataFrame({
            "sku": np.repeat(cat.sku, horizon), "period": np.tile(np.arange(horizon), cat.n_skus),
            "mean": obs.forecast(horizon).reshape(-1), "std": obs.forecast_std(horizon).reshape(-1)})
        pipeline = obs.pipeline
        state = pd.DataFrame({"sku": cat.sku, "on_hand": obs.on_hand, "backorders": obs.backorders}
                             | {f"pipeline_{k}": pipeline[:, k] for k in range(pipeline.shape[1])})
        by_life = obs.stock_by_life
        assert by_life is not None
        i, j = np.nonzero(by_life[:, :-1] > 0)
        ages = _ages([(str(cat.sku[a]), b + 1, int(by_life[a, b])) for a, b in zip(i, j, strict=True)])
        assert len(ages)  # some stock is older than fresh
        common = dict(policy=policy, lost_sales=scenario.lost_sales, period=int(obs.period),
                      periods_per_year=scenario.periods_per_year)
        with_ages = plan(state, cat.to_frame(), scenario.constraints, forecast, stock_ages=ages, **common)
        as_fresh = plan(state, cat.to_frame(), scenario.constraints, forecast, **common)
    np.testing.assert_array_equal(with_ages["order_qty"].to_numpy(), in_sim)
    np.testing.assert_allclose(with_ages["expiring_before_arrival"], obs.expiring_before_arrival)
    assert not np.array_equal(as_fresh["order_qty"].to_numpy(), in_sim)


def test_the_command_line_reads_stock_ages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    CATALOG.to_csv(tmp_path / "catalog.csv", index=False)
    STATE.to_csv(tmp_path / "state.csv", index=False)
    _ages([("milk", 1, 15)]).to_csv(tmp_path / "ages.csv", index=False)
    base = ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv"),
            "--policy", "mpc"]
    runner = CliRunner()
    fresh = runner.invoke(main, [*base, "--output", str(tmp_path / "fresh.csv")])
    aged = runner.invoke(main, [*base, "--stock-ages", str(tmp_path / "ages.csv"), "--output",
                                str(tmp_path / "aged.csv")])
    assert fresh.exit_code == 0 and aged.exit_code == 0, (fresh.output, aged.output)
    fresh_plan = pd.read_csv(tmp_path / "fresh.csv").set_index("sku")
    aged_plan = pd.read_csv(tmp_path / "aged.csv").set_index("sku")
    assert aged_plan.loc["milk", "expiring_before_arrival"] == 10.0
    assert aged_plan.loc["milk", "order_qty"] == fresh_plan.loc["milk", "order_qty"] + 5
    bad = runner.invoke(main, [*base, "--stock-ages", str(tmp_path / "state.csv")])
    assert bad.exit_code != 0 and "stock_ages" in bad.output
    same = runner.invoke(main, [*base, "--stock-ages", str(tmp_path / "ages.csv"), "--output",
                                str(tmp_path / "ages.csv")])
    assert same.exit_code == 2 and pd.read_csv(tmp_path / "ages.csv").shape == (1, 3)
