"""The network hybrid: zero weights are the base, decisions feasible for any weights, model files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridinv.core.errors import PlanningError
from hybridinv.network.baselines import echelon_levels, store_safety_factors
from hybridinv.network.hybrid import (
    NETWORK_HYBRID_FEATURES,
    NetworkHybrid,
    load_network_hybrid,
    save_network_hybrid,
)
from hybridinv.network.hybrid_training import repaired_echelon_policy
from hybridinv.network.repair import NetworkRepair
from hybridinv.network.scenarios import one_warehouse_scenario
from hybridinv.rl.integrity import ModelFileError

SCENARIO = one_warehouse_scenario(n_stores=3, n_skus=6, periods=30, warmup=5, seed=7, name="tiny_owmr")
SHAPE = (2 * len(NETWORK_HYBRID_FEATURES), 2)


def _levels(scenario=SCENARIO, warehouse_z: float = 1.0) -> np.ndarray:
    z = np.zeros((scenario.n_locations, scenario.n_skus))
    z[scenario.network.stores] = store_safety_factors(scenario)
    z[0] = warehouse_z
    return echelon_levels(scenario, z)


class _Recorder:
    """Wraps a policy, keeps every observation and decision."""

    def __init__(self, policy) -> None:
        self.policy = policy
        self.seen: list = []

    def act(self, obs):
        decision = self.policy.act(obs)
        self.seen.append((obs, decision))
        return decision


def test_zero_weights_give_the_base_orders_exactly() -> None:
    levels = _levels()
    base = repaired_echelon_policy(SCENARIO, levels)
    recorder = _Recorder(NetworkHybrid(SCENARIO, levels))
    SCENARIO.simulator().run(recorder, SCENARIO.demand_path(3))
    assert len(recorder.seen) == SCENARIO.periods
    for obs, decision in recorder.seen:
        expected = base.act(obs)
        np.testing.assert_array_equal(decision.supplier_orders, expected.supplier_orders)
        np.testing.assert_array_equal(decision.shipments, expected.shipments)
    # and the comparison can fail: a shift of the safety factor changes the orders
    weights = np.zeros(SHAPE)
    weights[0, 0] = weights[len(NETWORK_HYBRID_FEATURES), 0] = 2.0   # bias of the stores and of the warehouse
    shifted = NetworkHybrid(SCENARIO, levels, weights)
    assert any(not np.array_equal(shifted.act(obs).supplier_orders, base.act(obs).supplier_orders)
               for obs, _ in recorder.seen)


def test_echelon_level_adds_the_corrections_of_the_subtree() -> None:
    levels = _levels()
    weights = np.random.default_rng(1).normal(0.0, 0.5, SHAPE)
    hybrid = NetworkHybrid(SCENARIO, levels, weights)
    obs = SCENARIO.simulator().reset(SCENARIO.demand_path(0))
    shift, multiplier = hybrid.corrections(obs)
    mean, std = SCENARIO.location_demand()
    lead = SCENARIO.network.lead_time
    own = np.empty_like(mean)
    for i in range(SCENARIO.n_locations):  # independent: the formula location by location
        cover = lead[i] + 1.0 if SCENARIO.network.is_store[i] else float(lead[i])
        own[i] = shift[i] * std[i] * np.sqrt(cover) + (multiplier[i] - 1.0) * cover * mean[i]
    got = hybrid.levels(obs)
    np.testing.assert_allclose(got[0], levels[0] + own.sum(axis=0))
    np.testing.assert_allclose(got[1:], levels[1:] + own[1:])
    assert np.all(np.abs(shift) <= hybrid.z_max) and np.all(multiplier > 0)


def test_features_are_finite_and_bounded() -> None:
    hybrid = NetworkHybrid(SCENARIO, _levels())
    sim = SCENARIO.simulator()
    obs = sim.reset(SCENARIO.demand_path(1))
    x = hybrid.features(obs)
    assert x.shape == (SCENARIO.n_locations, SCENARIO.n_skus, len(NETWORK_HYBRID_FEATURES))
    assert np.isfinite(x).all() and np.abs(x).max() <= 5.0
    np.testing.assert_array_equal(x[..., NETWORK_HYBRID_FEATURES.index("is_store")][:, 0], [0, 1, 1, 1])


def _check_decision(obs, decision) -> None:
    """Independent feasibility check of one period's decision."""
    network, costs = SCENARIO.network, SCENARIO.costs
    for part in (decision.supplier_orders, decision.shipments):
        assert np.all(part >= 0) and np.array_equal(part, np.round(part))
    sent = network.ship_from @ decision.shipments            # units leaving each parent, (locations, SKUs)
    assert np.all(sent <= obs.on_hand + 1e-9)
    assert float(costs.unit_cost @ decision.supplier_orders.sum(axis=0)) <= network.budget + 1e-6


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.5, 2.0, 10.0]), path_seed=st.integers(0, 50))
def test_decisions_are_feasible_for_any_weights(seed: int, scale: float, path_seed: int) -> None:
    weights = np.random.default_rng(seed).normal(0.0, scale, SHAPE)
    # the default repair (forecast outflows in the warehouse row) and the conservative one (no forecast)
    for repair in (None, NetworkRepair(SCENARIO.costs, backend="fast")):
        recorder = _Recorder(NetworkHybrid(SCENARIO, _levels(), weights, repair=repair))
        ledger = SCENARIO.simulator().run(recorder, SCENARIO.demand_path(path_seed))
        for obs, decision in recorder.seen:
            _check_decision(obs, decision)
        summary = ledger.summary()
        assert summary["violations"] == 0
        assert np.all(ledger.spend <= SCENARIO.network.budget + 1e-6)
    # without a forecast the rows count every unit as staying: nothing is rejected at the warehouse for any
    # weights (with one, a receipt can overflow by the forecast outflow that did not happen: test_policies.py)
    assert ledger.units["overflow"].sum() == 0


def test_default_repair_uses_the_stores_mean_demand() -> None:
    hybrid = NetworkHybrid(SCENARIO, _levels())
    assert hybrid.repair is not None
    np.testing.assert_array_equal(hybrid.repair.expected_demand, SCENARIO.demand.mean)
    base = repaired_echelon_policy(SCENARIO, _levels())
    assert base.repair is not None
    np.testing.assert_array_equal(base.repair.expected_demand, SCENARIO.demand.mean)


def test_bad_weights_and_levels_raise() -> None:
    with pytest.raises(PlanningError, match="weights"):
        NetworkHybrid(SCENARIO, _levels(), np.zeros((3, 2)))
    with pytest.raises(PlanningError, match="base levels"):
        NetworkHybrid(SCENARIO, np.zeros((2, 2)))


def test_save_load_round_trip(tmp_path) -> None:
    weights = np.random.default_rng(4).normal(0.0, 0.3, SHAPE)
    hybrid = NetworkHybrid(SCENARIO, _levels(), weights, z_max=1.2)
    path = save_network_hybrid(tmp_path / "model", hybrid, {"note": "test"})
    loaded = load_network_hybrid(path, SCENARIO)
    np.testing.assert_array_equal(loaded.weights, hybrid.weights)
    np.testing.assert_array_equal(loaded.base_levels, hybrid.base_levels)
    assert loaded.z_max == 1.2
    obs = SCENARIO.simulator().reset(SCENARIO.demand_path(2))
    np.testing.assert_array_equal(loaded.act(obs).supplier_orders, hybrid.act(obs).supplier_orders)
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["policy"] == "network_hybrid" and meta["note"] == "test" and "policy.npz" in meta["files"]

    other = one_warehouse_scenario(n_stores=2, n_skus=6, periods=30, warmup=5, seed=7)
    with pytest.raises(ModelFileError, match="do not fit"):
        load_network_hybrid(path, other)
    data = bytearray((path / "policy.npz").read_bytes())
    data[-10] ^= 0xFF
    (path / "policy.npz").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_network_hybrid(path, SCENARIO)
