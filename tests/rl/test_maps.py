"""Parameter maps of the hybrid (hybridinv/rl/maps.py), checked against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.rl.maps import LinearMap, NetworkMap
from hybridinv.rl.numpy_policy import SharedPolicyNetwork


def test_linear_map_is_w_x_clipped_to_its_bounds() -> None:
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    linear = LinearMap([[1.0, 1.0], [2.0, -1.0]], output_low=[-1.0, -1.0], output_high=[2.5, 1.0])
    # row 0: (3, 0) -> (2.5, 0); row 1: (-0.5, 2) -> (-0.5, 1)
    np.testing.assert_array_equal(linear(x), [[2.5, 0.0], [-0.5, 1.0]])
    assert linear.n_outputs == 2 and linear.n_features == 2


def test_trust_shrinks_outputs_of_skus_outside_the_training_range() -> None:
    """Range [0, 2] (width 2), trust width 0.5: a feature at 2.5 is 0.25 widths out -> tau = 1 - 0.25/0.5 = 0.5."""
    linear = LinearMap([[1.0]], feature_low=[0.0], feature_high=[2.0], trust_width=0.5)
    np.testing.assert_allclose(linear(np.array([[1.0], [2.5], [4.0]])), [[1.0], [1.25], [0.0]])
    assert linear.with_ranges(None, None)(np.array([[4.0]]))[0, 0] == 4.0


def test_regime_trust_scales_the_outputs_of_rows_in_that_regime() -> None:
    """Feature 1 marks the regime: scale 0.25 there, 1 elsewhere; with and without a feature range."""
    x = np.array([[2.0, 0.0], [2.0, 1.0]])
    plain = LinearMap([[1.0, 0.0]], regime_trust={1: 0.25})
    np.testing.assert_allclose(plain(x), [[2.0], [0.5]])
    ranged = LinearMap([[1.0, 0.0]], feature_low=[0.0, 0.0], feature_high=[1.5, 1.0], trust_width=1.0,
                       regime_trust={1: 0.25})
    # feature 0 at 2 is 0.5/1.5 widths out -> tau = 1 - 1/3; the regime multiplies it
    np.testing.assert_allclose(ranged(x), [[2.0 * (2 / 3)], [2.0 * (2 / 3) * 0.25]])
    assert ranged.with_ranges(None, None).regime_trust == {1: 0.25}
    with pytest.raises(ValueError, match="regime_trust"):
        LinearMap([[1.0, 0.0]], regime_trust={2: 0.5})
    with pytest.raises(ValueError, match="regime_trust"):
        LinearMap([[1.0, 0.0]], regime_trust={1: 1.5})


def test_one_output_maps_shared_and_per_sku() -> None:
    stock = np.array([[8.0, 5.0], [2.0, 1.0]])
    np.testing.assert_allclose(LinearMap([0.7, 0.9])(stock), [[0.7 * 8 + 0.9 * 5], [0.7 * 2 + 0.9 * 1]])
    per_sku = LinearMap([[1.0, 0.0], [0.0, 1.0]], per_sku=True)
    np.testing.assert_array_equal(per_sku(stock), [[8.0], [1.0]])


def test_linear_map_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match="finite"):
        LinearMap([np.nan])
    with pytest.raises(ValueError, match="both bounds"):
        LinearMap([[1.0]], output_low=[0.0])
    with pytest.raises(ValueError, match="feature ranges"):
        LinearMap([[1.0, 1.0]], feature_low=[0.0], feature_high=[1.0])
    with pytest.raises(ValueError, match="trust_width"):
        LinearMap([1.0], trust_width=0.0)


def test_network_map_is_the_shared_networks_action() -> None:
    net = SharedPolicyNetwork.random(3, 2, hidden=4, seed=1)
    rng = np.random.default_rng(0)
    sku, glob = rng.normal(size=(5, 3)), rng.normal(size=2)
    np.testing.assert_array_equal(NetworkMap(net)(sku, glob), net.action(sku, glob))
    assert NetworkMap(net).arrays().keys() == net.weights.keys()


def test_network_map_with_bounds_maps_its_action_like_the_training_env() -> None:
    net = SharedPolicyNetwork.random(3, 0, n_actions=2, hidden=4, seed=2)
    sku = np.random.default_rng(1).normal(size=(6, 3)) * 5.0
    low, high = np.array([-0.3, -2.0]), np.array([0.3, 1.5])
    bounded = NetworkMap(net, low, high)
    a = net.action(sku, np.zeros(0))
    expected = np.where(a >= 0, a * high, -a * low)  # zero stays zero, each side to its bound
    np.testing.assert_allclose(bounded(sku, None), expected)
    assert np.all(bounded(sku, None) >= low) and np.all(bounded(sku, None) <= high)
    squashed = NetworkMap(net, low, high, squash="tanh")  # SAC's deterministic action
    t = np.tanh(net.mean_action(sku, np.zeros(0)))
    np.testing.assert_allclose(squashed(sku, None), np.where(t >= 0, t * high, -t * low))
    assert squashed.output_metadata() == {"squash": "tanh", "low": [-0.3, -2.0], "high": [0.3, 1.5]}
    with pytest.raises(ValueError, match="2 values"):
        NetworkMap(net, [0.0], [1.0])
    with pytest.raises(ValueError, match="squash"):
        NetworkMap(net, squash="sigmoid")
    with pytest.raises(ValueError, match="both bounds"):
        NetworkMap(net, low, None)


def test_tanh_squash_maps_tanh_of_w_x_to_the_bounds_keeping_zero() -> None:
    """Symmetric bounds +-b give b tanh(W x); asymmetric ones scale each side by its own bound."""
    x = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 0.0]])
    weights = np.array([[1.0, 1.0], [2.0, -1.0]])
    symmetric = LinearMap(weights, output_low=[-1.0, -0.5], output_high=[1.0, 0.5], squash="tanh")
    u = x @ weights.T
    np.testing.assert_allclose(symmetric(x), np.tanh(u) * [1.0, 0.5])
    assert np.all(symmetric(x)[2] == 0.0)
    skewed = LinearMap(weights, output_low=[-2.0, -0.5], output_high=[1.0, 3.0], squash="tanh")
    t = np.tanh(u)
    np.testing.assert_allclose(skewed(x), np.where(t >= 0, t * [1.0, 3.0], -t * [-2.0, -0.5]))
    np.testing.assert_allclose(LinearMap(weights, squash="tanh")(x), t)  # no bounds: tanh alone
    assert skewed.with_ranges([0.0, 0.0], [1.0, 1.0]).squash == "tanh"
    with pytest.raises(ValueError, match="squash"):
        LinearMap(weights, squash="sigmoid")
    with pytest.raises(ValueError, match="low <= 0 <= high"):
        LinearMap(weights, output_low=[0.5, -1.0], output_high=[1.0, 1.0], squash="tanh")


def test_a_swapped_feature_range_and_a_boolean_trust_width_are_refused() -> None:
    # the finding: a feature_range with low > high (metadata edited by hand) loaded and changed the plan;
    # trust_width true was read as 1
    from hybridinv.rl.maps import LinearMap

    weights = np.ones((1, 2))
    LinearMap(weights, feature_low=[0.0, 0.0], feature_high=[1.0, 1.0])
    with pytest.raises(ValueError, match="low <= high"):
        LinearMap(weights, feature_low=[0.0, 2.0], feature_high=[1.0, 1.0])
    with pytest.raises(ValueError, match="trust_width"):
        LinearMap(weights, trust_width=True)  # type: ignore[arg-type]


@pytest.mark.parametrize(("options", "column"), [
    ({"weights": np.array([[np.nan]])}, "weights"), ({"weights": np.zeros((1, 0))}, "weights"),
    ({"squash": "relu"}, "squash"), ({"trust_width": 0.0}, "trust_width"), ({"output_low": [0.0]}, "output_low"),
    ({"regime_trust": {5: 0.5}}, "regime_trust"),
])
def test_bad_map_settings_are_planning_errors_naming_the_setting(options: dict, column: str) -> None:
    """They were plain ValueErrors without a column (the library's errors name what was wrong)."""
    from hybridinv import PlanningError

    with pytest.raises(PlanningError) as info:
        LinearMap(**{"weights": np.zeros((1, 2)), **options})
    assert info.value.column == column
