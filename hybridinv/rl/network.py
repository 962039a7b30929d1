"""The SKU-shared actor-critic in torch, as a stable-baselines3 policy for PPO.

Importing this module imports torch and stable-baselines3; the library imports
it only inside training functions. The architecture is documented in
:mod:`hybridinv.rl.numpy_policy`, whose numpy forward pass reproduces
:class:`SharedSkuPolicy` exactly (:func:`export_weights`).

The flat observation is ``[x_1, ..., x_n, g]`` (``n*F`` per-SKU features, SKU
by SKU, then ``G`` global features); the flat action is ``[a_1, ..., a_n]``
with ``A`` components per SKU. The Gaussian's log standard deviation is one
parameter per action component, shared across SKUs (``A`` parameters, not
``n*A``), so nothing in the policy depends on ``n``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from numpy.typing import NDArray
from stable_baselines3.common.distributions import DiagGaussianDistribution, Distribution
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn

from hybridinv.rl.numpy_policy import LAYER_NAMES, SharedPolicyNetwork

__all__ = ["SharedSkuExtractor", "SharedSkuPolicy", "export_weights", "load_weights"]


class SharedSkuExtractor(nn.Module):
    """Per-SKU embedding, mean pooling and per-SKU actor head (the ``mlp_extractor``).

    ``forward_actor`` returns the mean actions directly (``latent_dim_pi = n*A``;
    the policy's ``action_net`` is the identity); ``forward_critic`` returns the
    value head's hidden layer (``latent_dim_vf = H``).
    """

    def __init__(self, n_skus: int, n_sku_features: int, n_global_features: int, n_actions: int, hidden: int) -> None:
        super().__init__()
        self.n_skus = n_skus
        self.n_sku_features = n_sku_features
        self.n_global_features = n_global_features
        self.n_actions = n_actions
        context = hidden + n_global_features
        self.embed1 = nn.Linear(n_sku_features, hidden)
        self.embed2 = nn.Linear(hidden, hidden)
        self.actor1 = nn.Linear(hidden + context, hidden)
        self.actor2 = nn.Linear(hidden, n_actions)
        self.value1 = nn.Linear(context, hidden)
        self.latent_dim_pi = n_skus * n_actions
        self.latent_dim_vf = hidden

    def _context(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        width = self.n_skus * self.n_sku_features
        sku = features[:, :width].reshape(-1, self.n_skus, self.n_sku_features)
        embedding = torch.tanh(self.embed2(torch.tanh(self.embed1(sku))))
        context = torch.cat([embedding.mean(dim=1), features[:, width:]], dim=1)
        return embedding, context

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        embedding, context = self._context(features)
        tiled = context.unsqueeze(1).expand(-1, self.n_skus, -1)
        hidden = torch.tanh(self.actor1(torch.cat([embedding, tiled], dim=2)))
        return self.actor2(hidden).reshape(features.shape[0], -1)

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        _, context = self._context(features)
        return torch.tanh(self.value1(context))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_actor(features), self.forward_critic(features)


class SharedSkuPolicy(ActorCriticPolicy):
    """ActorCriticPolicy whose actor is shared across SKUs.

    Extra keyword arguments (pass through ``policy_kwargs``):

    n_sku_features, n_global_features : int
        ``F`` and ``G`` (the environment's ``n_sku_features``/``n_global_features``).
    n_actions : int, default 2
        Action components per SKU.
    hidden : int, default 64
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        lr_schedule: Any,
        *,
        n_sku_features: int,
        n_global_features: int,
        n_actions: int = 2,
        hidden: int = 64,
        **kwargs: Any,
    ) -> None:
        self.n_sku_features = n_sku_features
        self.n_global_features = n_global_features
        self.n_actions = n_actions
        self.hidden = hidden
        total = int(np.prod(action_space.shape))
        if total % n_actions:
            raise ValueError(f"action size {total} is not a multiple of {n_actions} per SKU")
        self.n_skus = total // n_actions
        expected = self.n_skus * n_sku_features + n_global_features
        if int(np.prod(observation_space.shape or (0,))) != expected:
            raise ValueError(f"observation size {observation_space.shape} does not match {expected}")
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = SharedSkuExtractor(  # type: ignore[assignment]
            self.n_skus, self.n_sku_features, self.n_global_features, self.n_actions, self.hidden
        )

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        if not isinstance(self.action_dist, DiagGaussianDistribution):
            raise ValueError("SharedSkuPolicy needs a Box action space (diagonal Gaussian)")
        self.action_net = nn.Identity()
        self.log_std = nn.Parameter(torch.full((self.n_actions,), float(self.log_std_init)))
        extractor = self.mlp_extractor
        assert isinstance(extractor, SharedSkuExtractor)
        nn.init.orthogonal_(extractor.actor2.weight, gain=0.01)
        nn.init.zeros_(extractor.actor2.bias)
        self.optimizer = self.optimizer_class(  # type: ignore[call-arg]
            self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )

    def _get_action_dist_from_latent(self, latent_pi: torch.Tensor) -> Distribution:
        log_std = self.log_std.repeat(self.n_skus)
        assert isinstance(self.action_dist, DiagGaussianDistribution)
        return self.action_dist.proba_distribution(latent_pi, log_std)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(
            n_sku_features=self.n_sku_features,
            n_global_features=self.n_global_features,
            n_actions=self.n_actions,
            hidden=self.hidden,
        )
        return data


def export_weights(policy: SharedSkuPolicy) -> SharedPolicyNetwork:
    """The numpy twin of a trained :class:`SharedSkuPolicy` (float64 copies of its weights)."""
    extractor = policy.mlp_extractor
    assert isinstance(extractor, SharedSkuExtractor)
    modules: dict[str, nn.Linear] = {
        "embed1": extractor.embed1,
        "embed2": extractor.embed2,
        "actor1": extractor.actor1,
        "actor2": extractor.actor2,
        "value1": extractor.value1,
        "value_out": policy.value_net,
    }
    weights: dict[str, NDArray[np.float64]] = {}
    with torch.no_grad():
        for name in LAYER_NAMES:
            weights[f"{name}.weight"] = modules[name].weight.detach().cpu().double().numpy().copy()
            weights[f"{name}.bias"] = modules[name].bias.detach().cpu().double().numpy().copy()
        weights["log_std"] = policy.log_std.detach().cpu().double().numpy().copy()
    return SharedPolicyNetwork(weights)


def load_weights(policy: SharedSkuPolicy, network: SharedPolicyNetwork) -> None:
    """Copy numpy weights into a torch policy (warm start, e.g. from a shipped model)."""
    extractor = policy.mlp_extractor
    assert isinstance(extractor, SharedSkuExtractor)
    modules = {
        "embed1": extractor.embed1,
        "embed2": extractor.embed2,
        "actor1": extractor.actor1,
        "actor2": extractor.actor2,
        "value1": extractor.value1,
        "value_out": policy.value_net,
    }
    with torch.no_grad():
        for name in LAYER_NAMES:
            module = modules[name]
            module.weight.copy_(torch.as_tensor(network.weights[f"{name}.weight"], dtype=module.weight.dtype))
            module.bias.copy_(torch.as_tensor(network.weights[f"{name}.bias"], dtype=module.bias.dtype))
        policy.log_std.copy_(torch.as_tensor(network.weights["log_std"], dtype=policy.log_std.dtype))
