"""The SKU-shared actor-critic in torch, as stable-baselines3 policies for PPO and SAC.

Importing this module imports torch and stable-baselines3; the library imports
it only inside training functions. The architecture is documented in
:mod:`hybridinv.rl.numpy_policy`, whose numpy forward pass reproduces
:class:`SharedSkuPolicy` exactly (:func:`export_weights`).

The flat observation is ``[x_1, ..., x_n, g]`` (``n*F`` per-SKU features, SKU
by SKU, then ``G`` global features); the flat action is ``[a_1, ..., a_n]``
with ``A`` components per SKU. The Gaussian's log standard deviation is one
parameter per action component, shared across SKUs (``A`` parameters, not
``n*A``), so nothing in the policy depends on ``n``.

:class:`SharedSkuPolicy` is PPO's actor-critic (value on the pooled context);
:class:`SharedSkuSACPolicy` is SAC's: the same shared actor (its mean squashed by
``tanh``, as SAC's Gaussian is) and Deep Sets Q-functions (:class:`SharedSkuCritic`:
each SKU's features and action embedded, mean-pooled, joined with the global
features, then an MLP to ``Q(s, a)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from numpy.typing import NDArray
from stable_baselines3.common.distributions import DiagGaussianDistribution, Distribution
from stable_baselines3.common.policies import ActorCriticPolicy, ContinuousCritic
from stable_baselines3.sac.policies import LOG_STD_MAX, LOG_STD_MIN, Actor, SACPolicy
from torch import nn

from hybridinv.rl.numpy_policy import LAYER_NAMES, SharedPolicyNetwork

__all__ = [
    "SharedSkuActor",
    "SharedSkuCritic",
    "SharedSkuExtractor",
    "SharedSkuPolicy",
    "SharedSkuSACPolicy",
    "export_weights",
    "load_weights",
]


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
        self.n_skus = _shared_sizes(observation_space, action_space, n_sku_features, n_global_features, n_actions)
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


def _shared_sizes(observation_space: spaces.Space, action_space: spaces.Space, n_sku_features: int,
                  n_global_features: int, n_actions: int) -> int:
    """The SKU count of flat spaces ``n*F + G`` and ``n*A`` (ValueError if they do not fit)."""
    total = int(np.prod(action_space.shape or (0,)))
    if n_actions < 1 or total % n_actions:
        raise ValueError(f"action size {total} is not a multiple of {n_actions} per SKU")
    n_skus = total // n_actions
    expected = n_skus * n_sku_features + n_global_features
    if int(np.prod(observation_space.shape or (0,))) != expected:
        raise ValueError(f"observation size {observation_space.shape} does not match {expected}")
    return n_skus


class SharedSkuActor(Actor):
    """SAC's actor shared across SKUs: the mean of SKU ``i``'s actions from :class:`SharedSkuExtractor`.

    The log standard deviation is one parameter per action component (shared by all SKUs,
    state independent, clamped to SB3's bounds); the action is ``tanh`` of the Gaussian, so
    the deterministic action is ``tanh(mean)``.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        net_arch: list[int],
        features_extractor: nn.Module,
        features_dim: int,
        *,
        n_sku_features: int,
        n_global_features: int,
        n_actions: int,
        hidden: int,
        log_std_init: float = -1.0,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("use_sde", None)
        super().__init__(observation_space, action_space, [], features_extractor, features_dim,
                         log_std_init=log_std_init, **kwargs)
        self.n_skus = _shared_sizes(observation_space, action_space, n_sku_features, n_global_features, n_actions)
        self.n_sku_features, self.n_global_features = n_sku_features, n_global_features
        self.n_actions, self.hidden = n_actions, hidden
        del self.mu, self.log_std  # the dense heads of SB3's actor; replaced by the shared ones
        self.shared = SharedSkuExtractor(self.n_skus, n_sku_features, n_global_features, n_actions, hidden)
        self.shared_log_std = nn.Parameter(torch.full((n_actions,), float(log_std_init)))
        nn.init.orthogonal_(self.shared.actor2.weight, gain=0.01)
        nn.init.zeros_(self.shared.actor2.bias)

    def get_action_dist_params(self, obs: Any) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        features = self.extract_features(obs, self.features_extractor)
        mean = self.shared.forward_actor(features)
        log_std = torch.clamp(self.shared_log_std, LOG_STD_MIN, LOG_STD_MAX).repeat(self.n_skus)
        return mean, log_std.expand_as(mean), {}

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(n_sku_features=self.n_sku_features, n_global_features=self.n_global_features,
                    n_actions=self.n_actions, hidden=self.hidden)
        return data


class _SkuQ(nn.Module):
    """``Q(s, a)``: per-SKU embedding of ``[x_i, a_i]``, mean pooling, global features, MLP."""

    def __init__(self, n_skus: int, n_sku_features: int, n_global_features: int, n_actions: int, hidden: int) -> None:
        super().__init__()
        self.n_skus, self.n_sku_features, self.n_actions = n_skus, n_sku_features, n_actions
        self.embed1 = nn.Linear(n_sku_features + n_actions, hidden)
        self.embed2 = nn.Linear(hidden, hidden)
        self.head1 = nn.Linear(hidden + n_global_features, hidden)
        self.head2 = nn.Linear(hidden, 1)

    def forward(self, features: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        width = self.n_skus * self.n_sku_features
        sku = features[:, :width].reshape(-1, self.n_skus, self.n_sku_features)
        joint = torch.cat([sku, actions.reshape(-1, self.n_skus, self.n_actions)], dim=2)
        embedding = torch.tanh(self.embed2(torch.tanh(self.embed1(joint))))
        context = torch.cat([embedding.mean(dim=1), features[:, width:]], dim=1)
        out: torch.Tensor = self.head2(torch.tanh(self.head1(context)))
        return out


class SharedSkuCritic(ContinuousCritic):
    """SAC's Q-functions shared across SKUs (``n_critics`` copies of a Deep Sets ``Q(s, a)``)."""

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        net_arch: list[int],
        features_extractor: Any,
        features_dim: int,
        *,
        n_sku_features: int,
        n_global_features: int,
        n_actions: int,
        hidden: int,
        n_critics: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(observation_space, action_space, [], features_extractor, features_dim, n_critics=0,
                         **kwargs)
        n_skus = _shared_sizes(observation_space, action_space, n_sku_features, n_global_features, n_actions)
        self.n_critics = n_critics
        for idx in range(n_critics):
            q_net = _SkuQ(n_skus, n_sku_features, n_global_features, n_actions, hidden)
            self.add_module(f"qf{idx}", q_net)
            self.q_networks.append(q_net)

    def forward(self, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with torch.set_grad_enabled(not self.share_features_extractor):
            features = self.extract_features(obs, self.features_extractor)
        return tuple(q_net(features, actions) for q_net in self.q_networks)

    def q1_forward(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            features = self.extract_features(obs, self.features_extractor)
        out: torch.Tensor = self.q_networks[0](features, actions)
        return out


class SharedSkuSACPolicy(SACPolicy):
    """SACPolicy whose actor and critics are shared across SKUs (keyword arguments as :class:`SharedSkuPolicy`)."""

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
        self.shared_kwargs: dict[str, Any] = {"n_sku_features": n_sku_features, "n_global_features": n_global_features,
                              "n_actions": n_actions, "hidden": hidden}
        _shared_sizes(observation_space, action_space, n_sku_features, n_global_features, n_actions)
        kwargs.setdefault("net_arch", [])
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    def make_actor(self, features_extractor: Any = None) -> SharedSkuActor:
        actor_kwargs = self._update_features_extractor(self.actor_kwargs, features_extractor)
        return SharedSkuActor(**actor_kwargs, **self.shared_kwargs).to(self.device)

    def make_critic(self, features_extractor: Any = None) -> SharedSkuCritic:
        critic_kwargs = self._update_features_extractor(self.critic_kwargs, features_extractor)
        return SharedSkuCritic(**critic_kwargs, **self.shared_kwargs).to(self.device)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self.shared_kwargs)
        return data


def _copy(module: nn.Linear) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return (module.weight.detach().cpu().double().numpy().copy(), module.bias.detach().cpu().double().numpy().copy())


def export_weights(policy: SharedSkuPolicy | SharedSkuSACPolicy) -> SharedPolicyNetwork:
    """The numpy twin of a trained shared policy (float64 copies of its weights).

    For SAC the value layers are zero (its critics are Q-functions of the action, kept in
    the SB3 checkpoint only) and ``log_std`` is the shared one before squashing; the numpy
    network's mean is the actor's, whose ``tanh`` is SAC's deterministic action.
    """
    with torch.no_grad():
        if isinstance(policy, SharedSkuSACPolicy):
            actor = policy.actor
            assert isinstance(actor, SharedSkuActor)
            extractor = actor.shared
            hidden = extractor.value1.out_features
            value = {"value1": (np.zeros((hidden, extractor.value1.in_features)), np.zeros(hidden)),
                     "value_out": (np.zeros((1, hidden)), np.zeros(1))}
            log_std = actor.shared_log_std
        else:
            extractor = policy.mlp_extractor  # type: ignore[assignment]
            assert isinstance(extractor, SharedSkuExtractor)
            value = {"value1": _copy(extractor.value1), "value_out": _copy(policy.value_net)}
            log_std = policy.log_std
        layers = {"embed1": _copy(extractor.embed1), "embed2": _copy(extractor.embed2),
                  "actor1": _copy(extractor.actor1), "actor2": _copy(extractor.actor2), **value}
        weights: dict[str, NDArray[np.float64]] = {"log_std": log_std.detach().cpu().double().numpy().copy()}
        for name in LAYER_NAMES:
            weights[f"{name}.weight"], weights[f"{name}.bias"] = layers[name]
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
