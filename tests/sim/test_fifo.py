"""Expected outdating before an order arrives (hybridinv.sim.fifo.expected_outdating) and the usable position.

Checked against a lot-by-lot reference written here (each lot a quantity and the last period it can be sold in,
served oldest first), not against the simulator's age buckets the function shares.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridinv import scenarios
from hybridinv.sim import Simulator
from hybridinv.sim.batch import BatchSimulator
from hybridinv.sim.fifo import expected_outdating


def _reference(lots: list[list[float]], pipeline: list[float], demand: list[float], backlog: float, life: int,
               lead: int, lost_sales: bool) -> float:
    """Units expiring at the end of periods 0 .. lead - 1: ``lots`` are ``[units, last period usable]``."""
    lots = [list(lot) for lot in lots]
    owed = backlog  # served first in both modes (plan() takes it off the position under lost sales too)
    expired = 0.0
    for k in range(lead):
        if k < len(pipeline) and pipeline[k] > 0:
            lots.append([pipeline[k], k + life - 1])
        need = demand[min(k, len(demand) - 1)] + owed
        lots.sort(key=lambda lot: lot[1])  # oldest (soonest to expire) first
        for lot in lots:
            take = min(lot[0], need)
            lot[0] -= take
            need -= take
        owed = 0.0 if lost_sales else need
        expired += sum(lot[0] for lot in lots if lot[1] == k)
        lots = [lot for lot in lots if lot[1] > k]
    return expired


@settings(max_examples=150, deadline=None)
@given(
    life=st.integers(1, 5),
    lead=st.integers(0, 5),
    by_life=st.lists(st.integers(0, 30), min_size=5, max_size=5),
    pipeline=st.lists(st.integers(0, 30), min_size=6, max_size=6),
    demand=st.lists(st.integers(0, 15), min_size=1, max_size=6),
    backlog=st.integers(0, 20),
    lost_sales=st.booleans(),
    aged=st.booleans(),
)
def test_expected_outdating_equals_a_lot_by_lot_reference(life: int, lead: int, by_life: list[int],
                                                          pipeline: list[int], demand: list[int], backlog: int,
                                                          lost_sales: bool, aged: bool) -> None:
    """One perishable SKU beside one that does not perish (0 expiry, whatever its stock), with stock by age or
    fresh (plan()'s reading: every unit good for the full life)."""
    stock = np.array(by_life[:life], dtype=np.float64)
    on_hand = float(stock.sum())
    if aged:
        lots = [[float(units), j] for j, units in enumerate(stock)]
        by_life_arg = np.zeros((max(life, 1), 2))
        by_life_arg[:, 0] = stock
        by_life_arg[0, 1] = 40.0  # the other SKU's stock, all in bucket 0 as the simulator keeps it
    else:
        lots = [[on_hand, life - 1]]
        by_life_arg = None
    out = expected_outdating(
        np.array([on_hand, 40.0]), np.array([pipeline, pipeline], dtype=np.float64),
        np.array([demand, demand], dtype=np.float64), np.array([backlog, backlog], float),
        np.array([life, 0]), np.array([lead, lead]), by_life_arg, lost_sales=lost_sales)
    expected = _reference(lots, [float(p) for p in pipeline], [float(d) for d in demand], float(backlog), life,
                          lead, lost_sales)
    assert out[0] == pytest.approx(expected, abs=1e-9)
    assert out[1] == 0.0


def test_the_usable_position_is_the_position_less_what_expires_before_arrival() -> None:
    """On the perishable scenario (stock by age from the simulator): usable = position - expected outdating, the
    outdating equals the reference per SKU, and SKUs that do not perish (or whose order arrives at once) lose
    nothing."""
    scenario = scenarios.get("perishable")
    sim = Simulator(scenario, periods=30)
    obs = sim.reset(seed=3)
    rng = np.random.default_rng(0)
    cat = scenario.catalog
    for _ in range(12):
        obs = sim.step(rng.integers(0, 25, cat.n_skus).astype(np.float64))
    by_life, forecast = obs.stock_by_life, obs.forecast(int(cat.lead_time.max()) + 1)
    assert by_life is not None
    for i in range(cat.n_skus):
        lots = [[float(u), j] for j, u in enumerate(by_life[i])]
        expected = _reference(lots, list(obs.pipeline[i]), list(forecast[i]), float(obs.backorders[i]),
                              int(cat.shelf_life[i]), int(cat.lead_time[i]), obs.lost_sales)
        assert obs.expiring_before_arrival[i] == pytest.approx(expected, abs=1e-9)
    assert obs.expiring_before_arrival.sum() > 0  # the check is not empty: some stock expires before arrival
    np.testing.assert_allclose(obs.usable_position, obs.inventory_position - obs.expiring_before_arrival)
    assert (obs.expiring_before_arrival[cat.lead_time == 0] == 0).all()


def test_a_catalog_without_perishables_orders_against_the_plain_position() -> None:
    sim = Simulator(scenarios.get("multi_10"), periods=10)
    obs = sim.reset(seed=1)
    assert obs.usable_position is obs.inventory_position
    assert (obs.expiring_before_arrival == 0).all()


def test_the_batch_usable_position_is_each_episodes() -> None:
    scenario = scenarios.get("perishable")
    batch = BatchSimulator(scenario, periods=20)
    obs = batch.reset(seeds=[1, 2, 3])
    rng = np.random.default_rng(5)
    for _ in range(8):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obs = batch.step(rng.integers(0, 25, (3, scenario.catalog.n_skus)).astype(np.float64))
    assert (obs.inventory_position - obs.usable_position).sum() > 0
    for e in range(3):
        np.testing.assert_allclose(obs.usable_position[e], obs.episode(e).usable_position)


def test_a_backlog_in_a_lost_sales_state_is_served_first_not_counted_as_expiring() -> None:
    """plan() takes a state's backorders off the position under lost sales too; the estimate let the stock that
    serves them expire (20 on hand, 10 owed, life 2, lead time 3, demand 5: 10 counted as expiring, so the same
    units came off the position twice). Both modes now give 0: the 10 owed and 10 sold use up the stock."""
    for lost_sales in (True, False):
        out = expected_outdating(np.array([20.0]), np.zeros((1, 1)), np.full((1, 4), 5.0), np.array([10.0]),
                                 np.array([2]), np.array([3]), lost_sales=lost_sales)
        assert out.tolist() == [0.0]
