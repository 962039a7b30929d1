"""Parameter maps of the hybrid: per-SKU features -> per-SKU outputs, shared across SKUs.

A :class:`~hybridinv.rl.hybrid.Hybrid` is a target parameterization
(:mod:`hybridinv.rl.parameterizations`: what the outputs mean) times a parameter map (this
module: how features become outputs) times a learner (what trained the map). The maps:

- :class:`LinearMap` (``"linear"``): ``a_i = W x_i`` with one weight matrix for every SKU,
  optionally clipped (or squashed by ``tanh``) to output bounds and shrunk toward zero (the parameterization's base)
  for SKUs whose features leave the range seen in training (a trust region) or that are in a
  regime where the corrections were found to do harm (``regime_trust``);
- :class:`NetworkMap` (``"network"``): the SKU-shared Deep Sets network
  (:class:`~hybridinv.rl.numpy_policy.SharedPolicyNetwork`: per-SKU MLP plus pooled context),
  its action in [-1, 1] optionally mapped to output bounds (the ``forecast_ss`` corrections
  trained by PPO or SAC use the linear map's clip ranges).

Both are numpy only; neither weight shape depends on the number of SKUs (except a
:class:`LinearMap` built with ``per_sku=True``, how evolution strategies simulates a
population of single-SKU policies side by side).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.rl.numpy_policy import SharedPolicyNetwork

__all__ = ["MAP_KINDS", "SQUASHES", "LinearMap", "NetworkMap", "ParameterMap"]

#: The ``parameter_map`` values of model files.
MAP_KINDS: tuple[str, ...] = ("linear", "network")
#: How a network map turns its mean into an action in [-1, 1]: PPO clips, SAC squashes by tanh.
SQUASHES: tuple[str, ...] = ("clip", "tanh")


class ParameterMap(Protocol):
    """Per-SKU outputs ``(n, k)`` from per-SKU features ``(n, f)`` and global features ``(g,)`` (or None)."""

    kind: str

    def __call__(
        self, sku_features: NDArray[np.float64], global_features: NDArray[np.float64] | None
    ) -> NDArray[np.float64]: ...

    def arrays(self) -> dict[str, NDArray[np.float64]]:
        """The parameter arrays a model file stores (``policy.npz``)."""
        ...


class LinearMap:
    """``a_i = clip(W x_i)`` (or ``tanh`` mapped to the bounds), times the trust ``tau_i`` of SKU ``i``'s features.

    Parameters
    ----------
    weights : array
        ``(k, f)``: output ``j`` is ``weights[j] @ x_i``. ``(f,)``: one output,
        ``sum_j weights[j] x_ij``. With ``per_sku=True``, ``(n, f)``: one output per SKU
        from its own row (a population of policies simulated as the SKUs of one scenario).
    output_low, output_high : arrays of shape (k,), optional
        Bounds of the outputs (both or neither).
    feature_low, feature_high : arrays of shape (f,), optional
        Feature range seen in training (trust region); None: outputs never shrink.
    trust_width : float
        Excess beyond the range (in range widths) at which the outputs reach zero:
        ``tau_i = clip(1 - d_i / trust_width, 0, 1)``, ``d_i`` the largest excess of a feature.
    per_sku : bool
        Whether the rows of a 2-D ``weights`` belong to the SKUs (see ``weights``).
    regime_trust : mapping of int to float, optional
        ``{j: s}``: on rows whose binary feature ``j`` is 1, the outputs are multiplied by
        ``s`` in [0, 1] as well (e.g. ``s = 0`` on backordering SKUs: there the map gives the
        base's parameters). Applies with or without a feature range.
    squash : {"clip", "tanh"}
        ``"clip"``: ``W x_i`` clipped to the output bounds; ``"tanh"``: ``tanh(W x_i)`` mapped to
        them by :func:`hybridinv.envs.actions.bounded_outputs` (``low <= 0 <= high``; zero stays
        zero; symmetric bounds ``+-b`` give ``b tanh(W x_i)``), smooth where clipping is flat.
    """

    kind = "linear"

    def __init__(
        self,
        weights: ArrayLike,
        output_low: ArrayLike | None = None,
        output_high: ArrayLike | None = None,
        feature_low: ArrayLike | None = None,
        feature_high: ArrayLike | None = None,
        trust_width: float = 0.5,
        per_sku: bool = False,
        regime_trust: Mapping[int, float] | None = None,
        squash: str = "clip",
    ) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.ndim not in (1, 2) or self.weights.shape[-1] < 1:
            raise PlanningError("weights must have shape (f,), (k, f) or, per SKU, (n, f) with f >= 1",
                                column="weights")
        if not np.isfinite(self.weights).all():
            raise PlanningError("weights must be finite", column="weights")
        self.per_sku = bool(per_sku)
        if (output_low is None) != (output_high is None) or (feature_low is None) != (feature_high is None):
            raise PlanningError("give both bounds of a range, or neither", column="output_low")
        self.output_low = None if output_low is None else np.asarray(output_low, dtype=np.float64)
        self.output_high = None if output_high is None else np.asarray(output_high, dtype=np.float64)
        if squash not in SQUASHES:
            raise PlanningError(f"squash must be one of {SQUASHES}, got {squash!r}", column="squash")
        self.squash = squash
        if squash == "tanh" and self.output_low is not None and self.output_high is not None:
            from hybridinv.envs.actions import bounded_outputs

            bounded_outputs(np.zeros(self.output_low.shape), self.output_low, self.output_high)  # low <= 0 <= high
        self.feature_low = None if feature_low is None else np.asarray(feature_low, dtype=np.float64)
        self.feature_high = None if feature_high is None else np.asarray(feature_high, dtype=np.float64)
        for bound in (self.feature_low, self.feature_high):
            if bound is not None and (bound.shape != (self.n_features,) or not np.isfinite(bound).all()):
                raise PlanningError(f"feature ranges must be {self.n_features} finite values", column="feature_low")
        low, high = self.feature_low, self.feature_high
        if low is not None and high is not None and (low > high).any():  # a swapped range shrank the outputs
            raise PlanningError("feature ranges need low <= high", column="feature_low")
        if isinstance(trust_width, bool) or not trust_width > 0:
            raise PlanningError("trust_width must be > 0", column="trust_width")
        self.trust_width = float(trust_width)
        self.regime_trust = {int(j): float(v) for j, v in (regime_trust or {}).items()}
        for j, v in self.regime_trust.items():
            if not 0 <= j < self.n_features or not 0.0 <= v <= 1.0:
                raise PlanningError(f"regime_trust needs feature indices in [0, {self.n_features}) and "
                                    f"scales in [0, 1], got {j}: {v}", column="regime_trust")

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[-1])

    @property
    def n_outputs(self) -> int:
        return 1 if self.weights.ndim == 1 or self.per_sku else int(self.weights.shape[0])

    @property
    def shrinks(self) -> bool:
        """Whether outputs can be shrunk (a feature range or a regime trust is set)."""
        return self.feature_low is not None or bool(self.regime_trust)

    def trust(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """The per-SKU trust ``tau_i`` of feature rows ``x`` (1 without a range or regime trust)."""
        tau = np.ones(x.shape[0])
        if self.feature_low is not None and self.feature_high is not None:
            width = np.maximum(self.feature_high - self.feature_low, 1e-6)
            excess = np.maximum(np.maximum(self.feature_low - x, x - self.feature_high), 0.0) / width
            tau = np.clip(1.0 - excess.max(axis=1) / self.trust_width, 0.0, 1.0)
        for j, scale in self.regime_trust.items():
            tau = tau * np.where(x[:, j] > 0.5, scale, 1.0)
        return np.asarray(tau, dtype=np.float64)

    def __call__(
        self, sku_features: NDArray[np.float64], global_features: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Outputs ``(n, k)``; global features are not used by a linear map."""
        x = sku_features
        if self.per_sku and self.weights.shape[0] != x.shape[0]:  # numpy broadcast one row, or failed with 3
            raise PlanningError(f"the map has per-SKU weights for {self.weights.shape[0]} SKUs; this plan has "
                                f"{x.shape[0]} (per-SKU weights plan the catalog they were trained on)")
        one_output = self.weights.ndim == 1 or self.per_sku
        a = np.sum(self.weights * x, axis=1)[:, None] if one_output else x @ self.weights.T
        if self.squash == "tanh":
            a = np.tanh(a)
            if self.output_low is not None and self.output_high is not None:
                from hybridinv.envs.actions import bounded_outputs

                a = bounded_outputs(a, self.output_low, self.output_high)
        elif self.output_low is not None and self.output_high is not None:
            a = np.clip(a, self.output_low, self.output_high)
        if self.shrinks:
            a = a * self.trust(x)[:, None]
        return np.asarray(a, dtype=np.float64)

    def with_ranges(self, low: ArrayLike | None, high: ArrayLike | None) -> LinearMap:
        """A copy with another trust region (None, None: none); the regime trust is kept."""
        return LinearMap(self.weights, self.output_low, self.output_high, low, high, self.trust_width, self.per_sku,
                         self.regime_trust, self.squash)

    def arrays(self) -> dict[str, NDArray[np.float64]]:
        return {"weights": self.weights}

    def range_metadata(self) -> dict[str, object] | None:
        """The trust region as a model file stores it (``feature_range``), or None."""
        if self.feature_low is None or self.feature_high is None:
            return None
        return {"low": self.feature_low.tolist(), "high": self.feature_high.tolist(), "trust_width": self.trust_width}


class NetworkMap:
    """The SKU-shared network: ``a_i`` from SKU ``i``'s features and the pooled context.

    Parameters
    ----------
    network : SharedPolicyNetwork
    output_low, output_high : arrays of shape (k,), optional
        Bounds of the outputs (both or neither, ``low <= 0 <= high``): the network's action
        in [-1, 1] is mapped to them by :func:`hybridinv.envs.actions.bounded_outputs`
        (zero stays zero), as :class:`~hybridinv.envs.TargetEnv` does in training.
        Without bounds the outputs are the action itself.
    squash : {"clip", "tanh"}
        How the network's mean becomes the action in [-1, 1]: clipped (PPO's Gaussian) or
        ``tanh`` (SAC's squashed Gaussian).
    """

    kind = "network"

    def __init__(
        self,
        network: SharedPolicyNetwork,
        output_low: ArrayLike | None = None,
        output_high: ArrayLike | None = None,
        squash: str = "clip",
    ) -> None:
        self.network = network
        if (output_low is None) != (output_high is None):
            raise PlanningError("give both bounds of a range, or neither", column="output_low")
        if squash not in SQUASHES:
            raise PlanningError(f"squash must be one of {SQUASHES}, got {squash!r}", column="squash")
        self.squash = squash
        self.output_low = None if output_low is None else np.asarray(output_low, dtype=np.float64)
        self.output_high = None if output_high is None else np.asarray(output_high, dtype=np.float64)
        if self.output_low is not None and self.output_high is not None:
            from hybridinv.envs.actions import bounded_outputs

            if self.output_low.shape != (network.n_actions,) or self.output_high.shape != (network.n_actions,):
                raise PlanningError(f"output bounds need {network.n_actions} values each (the network's outputs)",
                                    column="output_low")
            # finite, low <= 0 <= high (NaN bounds loaded and silently ordered nothing for some SKUs)
            bounded_outputs(np.zeros(network.n_actions), self.output_low, self.output_high)

    def action(
        self, sku_features: NDArray[np.float64], global_features: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """The network's deterministic action in [-1, 1], shape (n, k)."""
        glob = np.zeros(self.network.n_global_features) if global_features is None else global_features
        if self.squash == "tanh":
            return np.tanh(self.network.mean_action(sku_features, glob))
        return self.network.action(sku_features, glob)

    def __call__(
        self, sku_features: NDArray[np.float64], global_features: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        a = self.action(sku_features, global_features)
        if self.output_low is None or self.output_high is None:
            return a
        from hybridinv.envs.actions import bounded_outputs

        return bounded_outputs(a, self.output_low, self.output_high)

    def arrays(self) -> dict[str, NDArray[np.float64]]:
        return dict(self.network.weights)

    def output_metadata(self) -> dict[str, object]:
        """How the action becomes outputs, as a model file stores it (``network_output``)."""
        return {
            "squash": self.squash,
            "low": None if self.output_low is None else self.output_low.tolist(),
            "high": None if self.output_high is None else self.output_high.tolist(),
        }
