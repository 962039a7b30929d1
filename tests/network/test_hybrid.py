"""The network hybrid: zero weights are the base, decisions feasible for any weights, network maps, model files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridinv.core.errors import PlanningError
from hybridinv.network.hybrid import (
    NETWORK_HYBRID_FEATURES,
    NetworkHybrid,
    load_network_hybrid,
    save_network_hybrid,
)
from hybridinv.network.hybrid_training import repaired_echelon_policy
from hybridinv.network.repair import NetworkRepair
from hybridinv.network.scenarios import one_warehouse_scenario
from hybridinv.rl.integrity import ModelFileError, write_file_hashes
from hybridinv.rl.maps import NetworkMap
from hybridinv.rl.numpy_policy import SharedPolicyNetwork

from ._hybrid_cases import SCENARIO, Recorder, check_decision, tiny_levels

SHAPE = (2 * len(NETWORK_HYBRID_FEATURES), 2)


def test_zero_weights_give_the_base_orders_exactly() -> None:
    levels = tiny_levels()
    base = repaired_echelon_policy(SCENARIO, levels)
    recorder = Recorder(NetworkHybrid(SCENARIO, levels))
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
    levels = tiny_levels()
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
    hybrid = NetworkHybrid(SCENARIO, tiny_levels())
    sim = SCENARIO.simulator()
    obs = sim.reset(SCENARIO.demand_path(1))
    x = hybrid.features(obs)
    assert x.shape == (SCENARIO.n_locations, SCENARIO.n_skus, len(NETWORK_HYBRID_FEATURES))
    assert np.isfinite(x).all() and np.abs(x).max() <= 5.0
    np.testing.assert_array_equal(x[..., NETWORK_HYBRID_FEATURES.index("is_store")][:, 0], [0, 1, 1, 1])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.5, 2.0, 10.0]), path_seed=st.integers(0, 50))
def test_decisions_are_feasible_for_any_weights(seed: int, scale: float, path_seed: int) -> None:
    weights = np.random.default_rng(seed).normal(0.0, scale, SHAPE)
    # the default repair (forecast outflows in the warehouse row) and the conservative one (no forecast)
    for repair in (None, NetworkRepair(SCENARIO.costs, backend="fast")):
        recorder = Recorder(NetworkHybrid(SCENARIO, tiny_levels(), weights, repair=repair))
        ledger = SCENARIO.simulator().run(recorder, SCENARIO.demand_path(path_seed))
        for obs, decision in recorder.seen:
            check_decision(obs, decision)
        summary = ledger.summary()
        assert summary["violations"] == 0
        assert np.all(ledger.spend <= SCENARIO.network.budget + 1e-6)
    # without a forecast the rows count every unit as staying: nothing is rejected at the warehouse for any
    # weights (with one, a receipt can overflow by the forecast outflow that did not happen: test_policies.py)
    assert ledger.units["overflow"].sum() == 0


def test_default_repair_uses_the_stores_mean_demand() -> None:
    hybrid = NetworkHybrid(SCENARIO, tiny_levels())
    assert hybrid.repair is not None
    np.testing.assert_array_equal(hybrid.repair.expected_demand, SCENARIO.demand.mean)
    base = repaired_echelon_policy(SCENARIO, tiny_levels())
    assert base.repair is not None
    np.testing.assert_array_equal(base.repair.expected_demand, SCENARIO.demand.mean)


def test_bad_weights_and_levels_raise() -> None:
    with pytest.raises(PlanningError, match="weights"):
        NetworkHybrid(SCENARIO, tiny_levels(), np.zeros((3, 2)))
    with pytest.raises(PlanningError, match="base levels"):
        NetworkHybrid(SCENARIO, np.zeros((2, 2)))


@pytest.mark.parametrize(("option", "value"), [
    ("z_max", -1.0), ("z_max", float("nan")), ("z_max", 1e300), ("z_max", "1.5"), ("z_max", True),
    ("log_multiplier_max", -0.5), ("log_multiplier_max", float("inf")), ("log_multiplier_max", 800.0),
])
def test_out_of_range_correction_bounds_are_refused_naming_them(option: str, value: object) -> None:
    """A negative bound mirrored the corrections; NaN, 1e300 or exp(800) gave NaN or infinite levels."""
    with pytest.raises(PlanningError) as info:
        NetworkHybrid(SCENARIO, tiny_levels(), **{option: value})
    assert info.value.column == option


def test_correction_bounds_at_their_edges_scale_the_corrections() -> None:
    u = np.array([[1.0, -1.0]])
    for z_max, log_max in ((0.0, 0.0), (1000.0, 20.0)):
        hybrid = NetworkHybrid(SCENARIO, tiny_levels(), z_max=z_max, log_multiplier_max=log_max)
        shift, multiplier = hybrid.corrections(None, u)  # type: ignore[arg-type]  # an explicit action: no obs
        assert shift[0] == z_max and multiplier[0] == pytest.approx(np.exp(-log_max), rel=1e-12)


def test_save_load_round_trip(tmp_path) -> None:
    weights = np.random.default_rng(4).normal(0.0, 0.3, SHAPE)
    hybrid = NetworkHybrid(SCENARIO, tiny_levels(), weights, z_max=1.2)
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


def test_unreadable_weights_are_a_model_file_error(tmp_path) -> None:
    """Object arrays (refused with allow_pickle=False) were numpy's bare ValueError, not a ModelFileError."""
    hybrid = NetworkHybrid(SCENARIO, tiny_levels(), np.zeros(SHAPE))
    path = save_network_hybrid(tmp_path / "model", hybrid)
    objects = np.empty(1, dtype=object)
    objects[0] = {"not": "an array"}
    np.savez(path / "policy.npz", base_levels=tiny_levels(), weights=objects)
    write_file_hashes(path)
    with pytest.raises(ModelFileError, match="invalid weights .*Python objects"):
        load_network_hybrid(path, SCENARIO)


def _network_hybrid(seed: int = 0, squash: str = "clip") -> NetworkHybrid:
    """A hybrid with a random per-item network map (no torch)."""
    network = SharedPolicyNetwork.random(len(NETWORK_HYBRID_FEATURES), 0, 2, hidden=8, seed=seed)
    return NetworkHybrid(SCENARIO, tiny_levels()).with_map(NetworkMap(network, squash=squash), "ppo")


def test_network_map_acts_item_by_item() -> None:
    """The map's action of location l, SKU k is the network's on that item's features (location-major)."""
    hybrid = _network_hybrid(squash="tanh")
    obs = SCENARIO.simulator().reset(SCENARIO.demand_path(4))
    x = hybrid.features(obs)
    action = hybrid.action(obs)
    assert action.shape == (SCENARIO.n_locations, SCENARIO.n_skus, 2)
    assert hybrid.parameter_map is not None
    net = hybrid.parameter_map.network
    for location, sku in [(0, 0), (2, 5), (3, 1)]:
        np.testing.assert_allclose(action[location, sku],
                                   np.tanh(net.mean_action(x.reshape(-1, x.shape[-1]), np.zeros(0))[
                                       location * SCENARIO.n_skus + sku]))
    shift, multiplier = hybrid.corrections(obs)
    np.testing.assert_allclose(shift, hybrid.z_max * action[..., 0])
    np.testing.assert_allclose(np.log(multiplier), hybrid.log_multiplier_max * action[..., 1])
    with pytest.raises(PlanningError, match="network map"):
        NetworkHybrid(SCENARIO, tiny_levels(), parameter_map=NetworkMap(SharedPolicyNetwork.random(3, 0, 2, 4)))


@pytest.mark.parametrize("squash", ["clip", "tanh"])
def test_network_map_round_trip_records_the_learner(tmp_path, squash: str) -> None:
    hybrid = _network_hybrid(seed=2, squash=squash)
    path = save_network_hybrid(tmp_path / "model", hybrid)
    meta = json.loads((path / "metadata.json").read_text())
    assert (meta["parameter_map"], meta["learner"]) == ("network", "ppo")
    assert meta["network_output"] == {"squash": squash, "low": None, "high": None}
    loaded = load_network_hybrid(path, SCENARIO)
    assert loaded.learner == "ppo" and isinstance(loaded.parameter_map, NetworkMap)
    for seed in (1, 2):
        obs = SCENARIO.simulator().reset(SCENARIO.demand_path(seed))
        np.testing.assert_array_equal(loaded.action(obs), hybrid.action(obs))
        np.testing.assert_array_equal(loaded.act(obs).supplier_orders, hybrid.act(obs).supplier_orders)
    # an altered network layer is refused before anything is parsed
    with np.load(path / "policy.npz") as data:
        arrays = {key: np.array(data[key]) for key in data.files}
    arrays["actor2.bias"] = arrays["actor2.bias"] + 1.0
    np.savez(path / "policy.npz", **arrays)
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_network_hybrid(path, SCENARIO)


def test_linear_model_without_weights_is_refused(tmp_path) -> None:
    path = save_network_hybrid(tmp_path / "model", NetworkHybrid(SCENARIO, tiny_levels()))
    np.savez(path / "policy.npz", base_levels=tiny_levels())
    write_file_hashes(path)  # a directory we trust, whose weights are missing
    with pytest.raises(ModelFileError, match="without weights"):
        load_network_hybrid(path, SCENARIO)


def test_saving_never_writes_through_a_planted_symlink(tmp_path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("important user data\n")
    out = tmp_path / "model"
    out.mkdir()
    (out / "policy.npz").symlink_to(victim)
    with pytest.raises(ModelFileError, match="policy.npz: a symbolic link"):
        save_network_hybrid(out, NetworkHybrid(SCENARIO, tiny_levels()))
    assert victim.read_text() == "important user data\n"


def test_network_model_plans_without_torch(tmp_path) -> None:
    path = save_network_hybrid(tmp_path / "model", _network_hybrid(seed=3))
    code = (
        "import sys\n"
        "from hybridinv.network.hybrid import load_network_hybrid\n"
        "from tests.network._hybrid_cases import SCENARIO\n"
        f"hybrid = load_network_hybrid({str(path)!r}, SCENARIO)\n"
        "SCENARIO.simulator().run(hybrid, SCENARIO.demand_path(0))\n"
        "print(hybrid.learner, 'torch' in sys.modules, 'stable_baselines3' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.split() == ["ppo", "False", "False"]


def _skus_permuted(scenario, perm):
    """The same scenario with its SKUs listed in the order ``perm``."""
    from dataclasses import replace as dc_replace

    from hybridinv.network.scenarios import PoissonDemand

    c = scenario.costs
    costs = dc_replace(c, holding_cost=c.holding_cost[:, perm], transit_holding_cost=c.transit_holding_cost[:, perm],
                       shortage_cost=c.shortage_cost[:, perm], unit_cost=c.unit_cost[perm],
                       order_cost=c.order_cost[perm], shipment_cost=c.shipment_cost[:, perm], volume=c.volume[perm],
                       skus=tuple(c.skus[k] for k in perm))
    return scenario.replace(costs=costs, demand=PoissonDemand(scenario.demand.mean[:, perm]))


def test_loaded_base_levels_follow_their_skus_and_locations(tmp_path) -> None:
    """Base levels were applied by position: a scenario listing the same SKUs in another order gave each SKU another
    SKU's levels (until 2026-12-04); a scenario with other SKUs or locations of the same shape is refused."""
    weights = np.random.default_rng(5).normal(0.0, 0.3, SHAPE)
    hybrid = NetworkHybrid(SCENARIO, tiny_levels(), weights)
    path = save_network_hybrid(tmp_path / "model", hybrid)
    perm = np.array([3, 0, 5, 1, 4, 2])
    shuffled = _skus_permuted(SCENARIO, perm)
    loaded = load_network_hybrid(path, shuffled)
    np.testing.assert_array_equal(loaded.base_levels, hybrid.base_levels[:, perm])
    obs = SCENARIO.simulator().reset(SCENARIO.demand_path(2))
    obs_shuffled = shuffled.simulator().reset(SCENARIO.demand_path(2)[:, :, perm])
    np.testing.assert_array_equal(loaded.act(obs_shuffled).supplier_orders, hybrid.act(obs).supplier_orders[:, perm])
    renamed = shuffled.replace(costs=replace_skus(shuffled.costs, ("X", *shuffled.costs.skus[1:])))
    with pytest.raises(ModelFileError, match="other skus \\('X' of the scenario"):
        load_network_hybrid(path, renamed)


def replace_skus(costs, skus):
    from dataclasses import replace as dc_replace

    return dc_replace(costs, skus=tuple(skus))


def _edit_metadata(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    meta = json.loads((path / "metadata.json").read_text())
    change(meta)
    (path / "metadata.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("value", ["missing", "abc", None, [1], True])
def test_a_malformed_limit_in_the_metadata_is_a_model_file_error(tmp_path, value: object) -> None:
    """A missing z_max was a bare KeyError, "abc" a ValueError, null or a list a TypeError."""
    path = save_network_hybrid(tmp_path / "model", NetworkHybrid(SCENARIO, tiny_levels()))
    _edit_metadata(path, lambda meta: meta.pop("z_max") if value == "missing" else meta.update(z_max=value))
    with pytest.raises(ModelFileError, match="'z_max' must be a number"):
        load_network_hybrid(path, SCENARIO)


def test_a_model_of_another_tree_or_other_lead_times_is_refused(tmp_path) -> None:
    """Levels fitted for lead times 2 and 1 were used, without a word, in a network of the same names with 5 and 3."""
    path = save_network_hybrid(tmp_path / "model", NetworkHybrid(SCENARIO, tiny_levels()))
    meta = json.loads((path / "metadata.json").read_text())
    names = [str(v) for v in SCENARIO.network.names]
    assert meta["tree"]["lead_times"] == SCENARIO.network.lead_time.tolist()
    assert meta["tree"]["parents"] == [None if p < 0 else names[p] for p in SCENARIO.network.parent.tolist()]
    assert load_network_hybrid(path, SCENARIO).base_levels.shape == tiny_levels().shape
    store = names[-1]
    _edit_metadata(path, lambda m: m["tree"]["lead_times"].__setitem__(-1, 7))
    with pytest.raises(ModelFileError, match=rf"location '{store}' has lead time 7 there"):
        load_network_hybrid(path, SCENARIO)
    _edit_metadata(path, lambda m: m["tree"].update(lead_times=SCENARIO.network.lead_time.tolist(),
                                                     parents=[None] * len(names)))
    with pytest.raises(ModelFileError, match="has parent None there"):
        load_network_hybrid(path, SCENARIO)
    _edit_metadata(path, lambda m: m.pop("tree"))  # a model written before the tree was recorded
    assert load_network_hybrid(path, SCENARIO).base_levels.shape == tiny_levels().shape
