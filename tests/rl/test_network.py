"""The SKU-shared torch policies (hybridinv/rl/network.py): SAC's actor and critics, numpy export."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import gymnasium as gym  # noqa: E402
import torch  # noqa: E402
from stable_baselines3 import SAC  # noqa: E402

from hybridinv.rl.maps import NetworkMap  # noqa: E402
from hybridinv.rl.network import SharedSkuActor, SharedSkuCritic, SharedSkuSACPolicy, export_weights  # noqa: E402
from hybridinv.rl.sb3_training import silent_logger  # noqa: E402


class _Flat(gym.Env):  # type: ignore[type-arg]
    """n SKUs of F features and G global features, A actions per SKU (a shape-only env)."""

    def __init__(self, n: int, f: int, g: int, a: int) -> None:
        self.observation_space = gym.spaces.Box(-5.0, 5.0, shape=(n * f + g,), dtype=np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(n * a,), dtype=np.float32)

    def reset(self, *, seed=None, options=None):  # type: ignore[no-untyped-def]
        super().reset(seed=seed)
        return self.observation_space.sample(), {}

    def step(self, action):  # type: ignore[no-untyped-def]
        return self.observation_space.sample(), -float(np.sum(np.square(action))), False, False, {}


def _sac(n: int, f: int = 3, g: int = 2, a: int = 4, hidden: int = 8) -> SAC:
    torch.set_num_threads(1)
    kwargs = {"n_sku_features": f, "n_global_features": g, "n_actions": a, "hidden": hidden, "log_std_init": -1.0}
    model = SAC(SharedSkuSACPolicy, _Flat(n, f, g, a), policy_kwargs=kwargs, learning_starts=10, batch_size=8,
                buffer_size=200, seed=0, device="cpu")
    model.set_logger(silent_logger())
    return model


def test_sac_policy_is_shared_across_skus() -> None:
    """The number of weights does not depend on the SKU count; actor and critics are the shared ones."""
    small, large = _sac(3), _sac(40)
    for part in ("actor", "critic"):
        count = [sum(p.numel() for p in getattr(m.policy, part).parameters()) for m in (small, large)]
        assert count[0] == count[1]
    assert isinstance(small.policy.actor, SharedSkuActor) and isinstance(small.policy.critic, SharedSkuCritic)
    q = small.policy.critic(torch.zeros(5, 3 * 3 + 2), torch.zeros(5, 3 * 4))
    assert len(q) == 2 and q[0].shape == (5, 1)


def test_sac_export_plans_like_sb3_predict_after_learning() -> None:
    """The numpy network with tanh squash is SAC's deterministic action (float32 rounding)."""
    model = _sac(5)
    model.learn(60)  # some gradient steps, so the weights are not the initial ones
    net = export_weights(model.policy)  # type: ignore[arg-type]
    assert np.all(net.weights["value_out.weight"] == 0.0) and net.n_actions == 4
    obs = np.random.default_rng(0).uniform(-3, 3, size=(7, 5 * 3 + 2)).astype(np.float32)
    action, _ = model.predict(obs, deterministic=True)
    mapped = NetworkMap(net, squash="tanh")
    for row, expected in zip(obs, action, strict=True):
        sku, glob = net.split(row, 5)
        np.testing.assert_allclose(mapped(sku, glob).reshape(-1), expected, atol=1e-5)
    assert not np.allclose(action, 0.0, atol=1e-3)


def test_sac_policy_rejects_spaces_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="multiple of 3"):
        SAC(SharedSkuSACPolicy, _Flat(4, 3, 2, 4), policy_kwargs={"n_sku_features": 3, "n_global_features": 2,
                                                                  "n_actions": 3}, device="cpu")
    with pytest.raises(ValueError, match="observation size"):
        SAC(SharedSkuSACPolicy, _Flat(4, 3, 2, 4), policy_kwargs={"n_sku_features": 2, "n_global_features": 2,
                                                                  "n_actions": 4}, device="cpu")
