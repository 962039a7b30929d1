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

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.policies.base import Decision
from hybridinv.policies.rq import CappedBaseStock
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
        ``level`` and ``cap`` (single-SKU models) is used as given.
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
        level, cap = self.parameters(obs)
        desired = np.minimum(np.maximum(level - obs.inventory_position, 0.0), cap)
        return self.finalize(np.ceil(desired - 1e-9), obs, level - 1.0, level)

    def __repr__(self) -> str:
        return f"ResidualHybrid(name={self.name!r}, hidden={self.network.hidden}, repair={self.repair!r})"


# ---------------------------------------------------------------- single SKU: vectorized population
def tile_scenario(scenario: Scenario, copies: int) -> Scenario:
    """``scenario`` (one SKU, no shared constraints) with its SKU repeated ``copies`` times."""
    import dataclasses

    from hybridinv.demand.processes import DemandProcess

    if scenario.n_skus != 1:
        raise ValueError("tile_scenario expects a single-SKU scenario")
    catalog = scenario.catalog
    fields = {
        f.name: np.repeat(getattr(catalog, f.name), copies)
        for f in dataclasses.fields(catalog)
        if isinstance(getattr(catalog, f.name), np.ndarray) and getattr(catalog, f.name).shape == (1,)
    }
    names = np.array([f"{catalog.sku[0]}#{k}" for k in range(copies)], dtype=object)
    fields["sku"] = names
    demand = scenario.demand
    process = DemandProcess(mean=np.repeat(demand.mean, copies), distribution=demand.distribution)
    init = scenario.initial_state
    assert init is not None
    state = dataclasses.replace(
        init,
        **{
            f.name: np.repeat(getattr(init, f.name), copies, axis=0)
            for f in dataclasses.fields(init)
            if isinstance(getattr(init, f.name), np.ndarray) and f.name != "sku"
        },
        sku=names,
    )
    return scenario.replace(
        catalog=dataclasses.replace(catalog, **fields), demand=process, lead_times=None, initial_state=state
    )


def tile_path(path: Any, copies: int) -> Any:
    """A single-SKU :class:`~hybridinv.sim.scenario.ScenarioPath` with every column repeated (CRN)."""
    import dataclasses

    def rep(value: Any) -> Any:
        return None if value is None else np.repeat(value, copies, axis=1)

    demand = dataclasses.replace(
        path.demand, realized=rep(path.demand.realized), expected=rep(path.demand.expected), std=rep(path.demand.std)
    )
    leads = dataclasses.replace(
        path.lead_times,
        lead_time=rep(path.lead_times.lead_time),
        delivered_fraction=rep(path.lead_times.delivered_fraction),
    )
    return dataclasses.replace(path, demand=demand, lead_times=leads)


def batched_actions(
    networks: dict[str, NDArray[np.float64]], sku_features: ArrayLike, global_features: ArrayLike
) -> NDArray[np.float64]:
    """Clipped actions of ``P`` networks, each planning its own single-SKU catalog.

    Parameters
    ----------
    networks : dict
        Stacked weights, ``"<layer>.weight"`` of shape (P, out, in) and biases (P, out).
    sku_features : array, shape (P, F)
        One SKU per member (the pooled context is the SKU's own embedding).
    global_features : array, shape (P, G)

    Returns
    -------
    numpy.ndarray, shape (P, A): equal to ``SharedPolicyNetwork.action`` of each member
    on its one-SKU catalog.
    """

    def layer(name: str, x: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.einsum("poi,pi->po", networks[f"{name}.weight"], x) + networks[f"{name}.bias"]
        return out

    x = np.asarray(sku_features, dtype=np.float64)
    embedding = np.tanh(layer("embed2", np.tanh(layer("embed1", x))))
    joined = np.concatenate([embedding, embedding, np.asarray(global_features, dtype=np.float64)], axis=1)
    return np.clip(layer("actor2", np.tanh(layer("actor1", joined))), -1.0, 1.0)


def single_sku_costs(
    scenario: Scenario,
    seed: int,
    level: NDArray[np.float64],
    cap: NDArray[np.float64],
    networks: dict[str, NDArray[np.float64]] | None = None,
    periods: int | None = None,
) -> NDArray[np.float64]:
    """Average cost per period of ``P`` residual policies on one demand path (CRN).

    Member ``k`` orders ``min(max(S'_k - IP, 0), r'_k)`` with ``(S'_k, r'_k)`` the
    base ``(level[k], cap[k])`` corrected by its network (``networks``: stacked
    weights, None: no correction). The ``P`` members are ``P`` columns of one
    simulation of the tiled scenario; every column sees the same demand.
    """
    from hybridinv.envs.features import SKU_FEATURES, observe
    from hybridinv.sim.simulator import Simulator

    copies = level.size
    periods = int(periods or scenario.periods)
    tiled = tile_scenario(scenario, copies)
    sim = Simulator(tiled, periods=periods, check_orders=False)
    obs = sim.reset(path=tile_path(scenario.sample(seed, periods), copies))
    position_index = SKU_FEATURES.index("inventory_position")
    holding, shortage = scenario.catalog.holding_cost[0], scenario.catalog.shortage_cost[0]
    warmup = sim.ledger.warmup
    demand = sim.path.demand.realized if sim.path is not None else None
    assert demand is not None
    total = np.zeros(copies)
    while not sim.done:
        now_level, now_cap = level, cap
        if networks is not None:
            sku, glob = observe(obs)
            glob = np.repeat(glob[None, :], copies, axis=0)
            glob[:, 4] = sku[:, position_index]  # "mean_position" of a one-SKU catalog
            action = batched_actions(networks, sku, glob)
            now_level = level * np.exp(RESIDUAL_RANGE * action[:, 0])
            now_cap = cap * np.exp(RESIDUAL_RANGE * action[:, 1])
        position = obs.inventory_position
        orders = np.ceil(np.minimum(np.maximum(now_level - position, 0.0), now_cap) - 1e-9)
        t = sim.t
        obs = sim.step(orders)
        if t >= warmup:
            # lost sales: position + order - served = new position
            served = position + orders - obs.inventory_position
            total += holding * obs.on_hand + shortage * (demand[t] - served)
    result: NDArray[np.float64] = total / max(periods - warmup, 1)
    return result


def stack_networks(
    template: SharedPolicyNetwork, thetas: NDArray[np.float64], layers: Sequence[str] | None = None
) -> dict[str, NDArray[np.float64]]:
    """Stacked weights (P, ...) of ``template`` with each row of ``thetas`` as its searched ``layers``."""
    from hybridinv.rl.es import ES_LAYERS, unflatten

    members = [unflatten(template, theta, layers or ES_LAYERS).weights for theta in np.atleast_2d(thetas)]
    return {key: np.stack([m[key] for m in members]) for key in members[0]}


def best_capped_base_stock(
    scenario: Scenario, levels: NDArray[np.float64], caps: NDArray[np.float64], seeds: tuple[int, ...], periods: int
) -> tuple[float, float, float]:
    """Grid search of the capped base-stock ``(level, cap)`` of a single SKU by simulation (CRN).

    Returns
    -------
    (level, cap, average cost)
    """
    grid_level, grid_cap = (g.ravel().astype(np.float64) for g in np.meshgrid(levels, caps))
    costs = np.mean([single_sku_costs(scenario, seed, grid_level, grid_cap, periods=periods) for seed in seeds], axis=0)
    best = int(np.argmin(costs))
    return float(grid_level[best]), float(grid_cap[best]), float(costs[best])
