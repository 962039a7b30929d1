"""Residual hybrid agent: the shared network corrects a capped base-stock policy.

The network of :class:`~hybridinv.rl.hybrid.Hybrid` outputs two numbers per SKU
``(a_0, a_1) in [-1, 1]^2``. Here they are *log-multipliers* of the per-SKU level
``S`` and cap ``r`` of a fitted :class:`~hybridinv.policies.rq.CappedBaseStock`
policy (Xin 2021):

.. math::

    S'_i = S_i \\, e^{\\kappa a_{i,0}}, \\qquad r'_i = r_i \\, e^{\\kappa a_{i,1}}, \\qquad
    q_i = \\lceil \\min(\\max(S'_i - IP_i, 0), r'_i) \\rceil

with ``kappa = RESIDUAL_RANGE``. A network whose output layer is zero therefore
reproduces the capped base-stock orders exactly, so training (evolution
strategies, :mod:`hybridinv.rl.es`) starts at the classical policy and a trained
model is only kept if it is better. Because the actions depend on the per-SKU
features (inventory position, pipeline, forecast, costs) and on the pooled
context, the corrected policy is state dependent. Orders then go through the
same repair layer as every target policy.

The model file stores ``"residual": {"base": "capped_base_stock", ...}`` in its
metadata; :meth:`Hybrid.load <hybridinv.rl.hybrid.Hybrid.load>` returns a
:class:`ResidualHybrid` for such models. Inference is numpy only.

References
----------
Xin, L. (2021). Understanding the performance of capped base-stock policies in
lost-sales inventory models. *Operations Research* 69(1), 61-70.
Silver, T. et al. (2018). Residual policy learning. arXiv:1812.06298.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.policies.base import Decision
from hybridinv.policies.rq import CappedBaseStock, capped_orders
from hybridinv.rl.hybrid import Hybrid
from hybridinv.rl.numpy_policy import SharedPolicyNetwork

if TYPE_CHECKING:
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

__all__ = ["RESIDUAL_RANGE", "ResidualHybrid", "residual_metadata", "zero_output"]

#: Largest log-multiplier of the level and the cap (a = +-1 scales them by e^{+-0.5}).
RESIDUAL_RANGE = 0.5


def zero_output(network: SharedPolicyNetwork) -> SharedPolicyNetwork:
    """A copy of ``network`` whose output layer is zero (actions are 0: the base policy)."""
    weights = {key: value.copy() for key, value in network.weights.items()}
    weights["actor2.weight"][:] = 0.0
    weights["actor2.bias"][:] = 0.0
    return SharedPolicyNetwork(weights)


def residual_metadata(
    level: NDArray[np.float64] | None = None, cap: NDArray[np.float64] | None = None
) -> dict[str, Any]:
    """The ``residual`` and ``action_spec`` metadata entries of a residual model file."""
    from hybridinv.envs.actions import ACTION_VERSION

    return {
        "residual": {
            "base": "capped_base_stock",
            "range": RESIDUAL_RANGE,
            "level": None if level is None else [float(v) for v in level],
            "cap": None if cap is None else [float(v) for v in cap],
        },
        "action_spec": {
            "version": ACTION_VERSION,
            "kind": "residual",
            "per_sku": ["log_level_multiplier", "log_cap_multiplier"],
            "mapping": "hybridinv.rl.residual.ResidualHybrid.decide",
        },
    }


class ResidualHybrid(Hybrid):
    """Shared network as a residual on capped base-stock, then the repair layer.

    Parameters
    ----------
    network : SharedPolicyNetwork
        Its two outputs per SKU are log-multipliers (times :data:`RESIDUAL_RANGE`)
        of the base policy's level and cap.
    base : CappedBaseStock, optional
        The base policy. Unfitted (default), it is fitted on the scenario passed
        to :meth:`reset` (as the registry's ``capped_base_stock`` is), or on the
        first observation when planning without a scenario. A base with fixed
        ``level`` and ``cap`` is used as given.
    repair : str or None, default "fast"
    metadata : dict, optional
    name : str, default "hybrid"
    """

    def __init__(
        self,
        network: SharedPolicyNetwork,
        base: CappedBaseStock | None = None,
        repair: str | None = "fast",
        metadata: dict[str, Any] | None = None,
        name: str = "hybrid",
    ) -> None:
        super().__init__(network, repair=repair, metadata=metadata, name=name)
        self.base = base if base is not None else CappedBaseStock(repair=repair)
        self._fitted_on: int | None = None

    @classmethod
    def from_metadata(
        cls, network: SharedPolicyNetwork, metadata: dict[str, Any], repair: str | None, name: str
    ) -> ResidualHybrid:
        """Rebuild from a model file's ``residual`` metadata."""
        spec = metadata.get("residual", {})
        level, cap = spec.get("level"), spec.get("cap")
        base = CappedBaseStock(level=level, cap=cap, repair=repair)
        return cls(network, base=base, repair=repair, metadata=metadata, name=name)

    def reset(self, scenario: Scenario | None = None) -> None:
        """Fit the base policy on ``scenario`` (unless its parameters are fixed).

        Without a scenario, a fitted base is forgotten and refitted on the next observation.
        """
        if self.base.level is not None and self.base.cap is not None:
            return
        if scenario is None:
            self._fitted_on = None
            return
        self.base.fit(scenario)
        self._fitted_on = scenario.n_skus

    def base_parameters(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The base policy's level and cap per SKU (fitted on ``obs`` if needed)."""
        if self._fitted_on != obs.n_skus:
            self.base.fit(obs)
            self._fitted_on = obs.n_skus
        return self.base.level_, self.base.cap_

    def parameters(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Corrected ``(level, cap)`` per SKU for this period."""
        level, cap = self.base_parameters(obs)
        action, _ = self.action(obs)
        return level * np.exp(RESIDUAL_RANGE * action[:, 0]), cap * np.exp(RESIDUAL_RANGE * action[:, 1])

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        level, _ = self.parameters(obs)
        return level - 1.0, level

    def decide(self, obs: Observation) -> Decision:
        """Capped order up to the corrected level, then the repair layer."""
        from hybridinv.policies.explain import implied_explanation

        level, cap = self.parameters(obs)
        position = obs.inventory_position
        decision = self.finalize(capped_orders(level, position, cap), obs, level - 1.0, level)
        decision.explanation = implied_explanation(level - 1.0, *obs.protection_forecast(), cap=cap,
                                                   capped=level - position > cap + 1e-9)
        return decision

    def __repr__(self) -> str:
        return f"ResidualHybrid(name={self.name!r}, hidden={self.network.hidden}, repair={self.repair!r})"
