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

In the composition of :class:`~hybridinv.rl.hybrid.Hybrid` this is the
``capped_base_stock`` parameterization
(:class:`~hybridinv.rl.parameterizations.CappedBaseStockTargets`) with a ``network`` map
trained by ES; :class:`ResidualHybrid` (defined in :mod:`hybridinv.rl.hybrid`, re-exported
here) builds that configuration, and this module trains it (:func:`train_residual`).
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

from pathlib import Path
from typing import Any

from hybridinv.rl.es import ESConfig, ESResult, evolve_model, flatten, network_cost_function, unflatten
from hybridinv.rl.hybrid import ResidualHybrid
from hybridinv.rl.numpy_policy import SharedPolicyNetwork
from hybridinv.rl.parameterizations import RESIDUAL_RANGE, residual_metadata

__all__ = ["RESIDUAL_RANGE", "ResidualHybrid", "residual_metadata", "train_residual", "zero_output"]


def zero_output(network: SharedPolicyNetwork) -> SharedPolicyNetwork:
    """A copy of ``network`` whose output layer is zero (actions are 0: the base policy)."""
    weights = {key: value.copy() for key, value in network.weights.items()}
    weights["actor2.weight"][:] = 0.0
    weights["actor2.bias"][:] = 0.0
    return SharedPolicyNetwork(weights)


def train_residual(
    scenario: Any,
    out: str | Path,
    config: ESConfig,
    hidden: int = 16,
    periods: int | None = None,
    workers: int = 1,
    progress: bool = True,
    scenario_name: str | None = None,
) -> tuple[Any, ESResult]:
    """Train a :class:`~hybridinv.rl.residual.ResidualHybrid` on ``scenario`` by ES and save it.

    The network starts with random hidden layers and a zero output layer (the
    fitted capped base-stock policy); the model directory is rewritten whenever
    the validation cost improves (crash-safe checkpoints).

    Returns
    -------
    (ResidualHybrid, ESResult)
    """
    from hybridinv.envs.features import GLOBAL_FEATURES, SKU_FEATURES

    out = Path(out)
    random = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=hidden, seed=config.seed)
    template = zero_output(random)
    cost = network_cost_function(scenario, template, lambda net: ResidualHybrid(net), periods, workers)
    meta, result = evolve_model(
        scenario,
        out,
        config,
        cost,
        flatten(template),
        lambda theta: unflatten(template, theta),
        {**residual_metadata(), "parameterization": "capped_base_stock", "parameter_map": "network", "learner": "es"},
        {"hidden": hidden},
        periods,
        workers,
        progress,
        scenario_name,
    )
    return ResidualHybrid(unflatten(template, result.theta), metadata=meta), result
