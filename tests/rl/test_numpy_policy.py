"""The numpy forward pass of the SKU-shared network (hybridinv/rl/numpy_policy.py)."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.rl.numpy_policy import SharedPolicyNetwork


def test_shapes_and_any_catalog_size() -> None:
    net = SharedPolicyNetwork.random(n_sku_features=6, n_global_features=3, hidden=16, seed=1)
    rng = np.random.default_rng(0)
    for n in (1, 50, 1000):
        action = net.action(rng.normal(size=(n, 6)), rng.normal(size=3))
        assert action.shape == (n, 2)
        assert np.all(np.abs(action) <= 1.0)


def test_permutation_equivariant() -> None:
    """Reordering the SKUs reorders the actions and leaves the value unchanged (pooling is a mean)."""
    net = SharedPolicyNetwork.random(5, 2, hidden=8, seed=2)
    rng = np.random.default_rng(1)
    sku, glob = rng.normal(size=(7, 5)), rng.normal(size=2)
    order = rng.permutation(7)
    np.testing.assert_allclose(net.mean_action(sku[order], glob), net.mean_action(sku, glob)[order], atol=1e-12)
    assert net.value(sku[order], glob) == pytest.approx(net.value(sku, glob))


def test_batched_matches_single() -> None:
    net = SharedPolicyNetwork.random(4, 3, hidden=8, seed=3)
    rng = np.random.default_rng(2)
    sku, glob = rng.normal(size=(5, 6, 4)), rng.normal(size=(5, 3))
    batched = net.mean_action(sku, glob)
    for b in range(5):
        np.testing.assert_allclose(batched[b], net.mean_action(sku[b], glob[b]), atol=1e-12)


def test_hand_computed_one_sku() -> None:
    """A 1-feature, 1-hidden network against the formula in the module docstring."""
    w = {
        "embed1.weight": [[2.0]], "embed1.bias": [0.1],
        "embed2.weight": [[0.5]], "embed2.bias": [-0.2],
        "actor1.weight": [[1.0, 1.0, 0.3]], "actor1.bias": [0.0],
        "actor2.weight": [[1.5], [-1.0]], "actor2.bias": [0.2, 0.0],
        "value1.weight": [[1.0, 2.0]], "value1.bias": [0.0],
        "value_out.weight": [[3.0]], "value_out.bias": [1.0],
        "log_std": [0.0, 0.0],
    }
    net = SharedPolicyNetwork({k: np.asarray(v, float) for k, v in w.items()})
    x, g = 0.7, -0.4
    e = np.tanh(0.5 * np.tanh(2.0 * x + 0.1) - 0.2)
    h = np.tanh(e + e + 0.3 * g)
    expected = [1.5 * h + 0.2, -h]
    np.testing.assert_allclose(net.mean_action(np.array([[x]]), np.array([g]))[0], expected, atol=1e-12)
    assert net.value(np.array([[x]]), np.array([g])) == pytest.approx(3.0 * np.tanh(e + 2.0 * g) + 1.0)


def test_rejects_bad_weights_and_widths() -> None:
    net = SharedPolicyNetwork.random(4, 3, hidden=8)
    weights = dict(net.weights)
    del weights["actor1.bias"]
    with pytest.raises(ValueError, match="missing"):
        SharedPolicyNetwork(weights)
    bad = dict(net.weights)
    bad["embed2.weight"] = np.full((8, 8), np.nan)
    with pytest.raises(ValueError, match="not finite"):
        SharedPolicyNetwork(bad)
    with pytest.raises(ValueError, match="expects"):
        net.action(np.zeros((3, 5)), np.zeros(3))


def test_matches_torch_policy_to_1e5() -> None:
    """The exported numpy network reproduces the SB3 torch policy (mean action and value)."""
    torch = pytest.importorskip("torch")
    gym = pytest.importorskip("gymnasium")
    from stable_baselines3 import PPO

    from hybridinv.rl.network import SharedSkuPolicy, export_weights, load_weights
    from hybridinv.rl.sb3_training import silent_logger

    n, features, globals_ = 6, 5, 3
    observation_space = gym.spaces.Box(-50, 50, (n * features + globals_,), np.float32)
    action_space = gym.spaces.Box(-1, 1, (n * 2,), np.float32)

    class Dummy(gym.Env):  # type: ignore[misc]
        def __init__(self) -> None:
            self.observation_space, self.action_space = observation_space, action_space

        def reset(self, *, seed=None, options=None):  # type: ignore[no-untyped-def]
            super().reset(seed=seed)
            return np.zeros(observation_space.shape, np.float32), {}

        def step(self, action):  # type: ignore[no-untyped-def]
            return self.np_random.normal(size=observation_space.shape).astype(np.float32), 0.0, False, False, {}

    torch.set_num_threads(1)
    model = PPO(
        SharedSkuPolicy, Dummy(), n_steps=32, batch_size=32, n_epochs=1, device="cpu", verbose=0, seed=0,
        policy_kwargs={"n_sku_features": features, "n_global_features": globals_, "hidden": 16},
    )
    model.set_logger(silent_logger())
    # random (not tiny) actor weights so the comparison is meaningful
    load_weights(model.policy, SharedPolicyNetwork.random(features, globals_, hidden=16, seed=5))
    assert sum(p.numel() for p in model.policy.log_std.unsqueeze(0)) == 2  # shared log-std: 2 parameters
    net = export_weights(model.policy)
    obs = np.random.default_rng(3).normal(size=(8, n * features + globals_)).astype(np.float32)
    with torch.no_grad():
        tensor = torch.as_tensor(obs)
        mean = model.policy.get_distribution(tensor).distribution.mean.numpy()
        value = model.policy.predict_values(tensor).numpy()[:, 0]
        deterministic, _ = model.predict(obs, deterministic=True)
    sku, glob = net.split(obs, n)
    np.testing.assert_allclose(net.mean_action(sku, glob).reshape(8, -1), mean, atol=1e-5)
    np.testing.assert_allclose(net.value(sku, glob), value, atol=1e-5)
    np.testing.assert_allclose(net.action(sku, glob).reshape(8, -1), deterministic, atol=1e-5)
