"""A gymnasium environment for the network hybrid: the corrections of every location and SKU as the action.

``NetworkHybridEnv`` runs a :class:`~hybridinv.network.scenarios.NetworkScenario` one period
per step in the parameterization of a :class:`~hybridinv.network.hybrid.NetworkHybrid`:

- **Observation** (flat ``Box`` in ``[-5, 5]``, float32): the hybrid's scale-free features
  (:data:`~hybridinv.network.hybrid.NETWORK_HYBRID_FEATURES`, ``F`` of them) of every
  location and SKU, item by item (location-major: item ``l * n_skus + k``), no global features.
  This is the ``[x_1, ..., x_n]`` layout of the per-item shared network of
  :mod:`hybridinv.rl.network`, with the (location, SKU) pairs as its items.
- **Action** (flat ``Box`` in ``[-1, 1]``): two numbers per item, the safety-factor shift
  ``dz = z_max u_0`` and the forecast multiplier ``m = exp(log_multiplier_max u_1)``; the decision
  is :meth:`NetworkHybrid.decide` — the corrected echelon levels, the wanted units
  ``max(0, ceil(level - echelon position))`` and the hybrid's network repair — so every
  decision keeps the budget and the parents' on-hand, and a zero action is exactly the base
  policy. The warehouse's capacity row projects its stock with the stores' mean demand, so part
  of a receipt can be rejected (counted as ``overflow`` in the ledger, not as a violation).
- **Reward**: minus the network's cost of the period divided by ``reward_scale`` (default
  :func:`~hybridinv.network.env.default_reward_scale`, the purchase value of one period of
  mean demand). With ``subtract_base=True`` the base policy runs alongside on the same demand
  path and its cost of the period is subtracted: a term that does not depend on the actions
  (it changes no policy's ranking) and removes most of the demand noise from the returns.
- **Info**: ``cost``, ``fill_rate``, ``budget_excess`` of the period
  (:func:`~hybridinv.network.env.period_outcome`), the decision's arrays (``supplier_orders``,
  ``shipments``, ``requested``: :class:`~hybridinv.network.state.NetworkDecision`) and, with
  ``subtract_base``, ``base_cost``.

Each episode draws its demand path from the environment's own generator (``reset(seed=...)``;
seed ``s`` gives the path of ``scenario.demand_path(s)``). Importing this module imports gymnasium.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from hybridinv.core._frame import action_array
from hybridinv.core.errors import PlanningError, flag, horizon, number_in
from hybridinv.network.env import default_reward_scale, period_outcome, refuse_options
from hybridinv.network.hybrid import NETWORK_HYBRID_FEATURES, NETWORK_HYBRID_OUTPUTS, NetworkHybrid
from hybridinv.network.model import LocationError
from hybridinv.network.state import NetworkObservation

__all__ = ["NetworkHybridEnv"]

_OBS_BOUND = 5.0  # the hybrid clips its features to this


class NetworkHybridEnv(gym.Env[NDArray[np.float32], NDArray[np.float32]]):
    """The network hybrid's corrections per location and SKU as actions (see the module docstring).

    Parameters
    ----------
    hybrid : NetworkHybrid
        Supplies the scenario, the base levels, the repair and the correction bounds; its own
        map is not used.
    periods : int, optional
        Episode length (default: the scenario's horizon).
    reward_scale : float, optional
    subtract_base : bool
        Subtract the base policy's cost of the period on the same demand path from the cost.

    Raises
    ------
    PlanningError
        Naming ``hybrid`` when it is not a :class:`NetworkHybrid` (a scenario was an AttributeError;
        build one with ``NetworkHybrid(scenario, base_levels)``), or ``periods``, ``reward_scale``,
        ``subtract_base`` out of range.

    Attributes
    ----------
    n_sku_features, n_global_features, n_actions : int
        ``F``, 0 and 2: the widths of the per-item shared policy
        (:func:`hybridinv.rl.sb3_hybrid.policy_kwargs`).
    n_items : int
        Locations times SKUs.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, hybrid: NetworkHybrid, periods: int | None = None, reward_scale: float | None = None,
                 subtract_base: bool = False) -> None:
        if not isinstance(hybrid, NetworkHybrid):
            raise PlanningError("must be a NetworkHybrid (its scenario, base levels and repair): build one with "
                                "NetworkHybrid(scenario, base_levels)", column="hybrid", value=type(hybrid).__name__)
        self.hybrid = hybrid
        scenario = hybrid.scenario
        self.periods = horizon(periods, scenario.periods)
        self.reward_scale = (default_reward_scale(scenario) if reward_scale is None else number_in(
            reward_scale, "reward_scale", 0.0, math.inf, open_low=True, open_high=True))  # 0 meant the default
        self.subtract_base = flag(subtract_base, "subtract_base")
        self.n_sku_features = len(NETWORK_HYBRID_FEATURES)
        self.n_global_features = 0
        self.n_actions = len(NETWORK_HYBRID_OUTPUTS)
        self.n_items = scenario.n_locations * scenario.n_skus
        self._shape = (scenario.n_locations, scenario.n_skus, self.n_actions)
        self.observation_space = gym.spaces.Box(-_OBS_BOUND, _OBS_BOUND, shape=(self.n_items * self.n_sku_features,),
                                                dtype=np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(self.n_items * self.n_actions,), dtype=np.float32)
        self._sim = scenario.simulator(periods=self.periods, warmup=0)
        self._base_sim = scenario.simulator(periods=self.periods, warmup=0)
        self._zero = np.zeros(self._shape)
        self._obs: NetworkObservation | None = None
        self._base_obs: NetworkObservation | None = None

    @property
    def observation(self) -> NetworkObservation | None:
        """The current network observation (None before ``reset``)."""
        return self._obs

    def features(self, obs: NetworkObservation) -> NDArray[np.float32]:
        """The flat observation of a network observation."""
        return self.hybrid.features(obs).reshape(-1).astype(np.float32)

    def _item_of(self, index: int) -> dict[str, Any]:
        """The location and SKU of a flat action entry, as a :class:`LocationError` names them."""
        scenario = self.hybrid.scenario
        location, sku = divmod(index // self.n_actions, scenario.n_skus)
        skus = scenario.costs.skus
        return {"location": scenario.network.names[location], "sku": skus[sku] if skus else str(sku)}

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[NDArray[np.float32], dict[str, Any]]:
        """A new episode on a demand path drawn from the environment's generator (``seed`` reseeds it).

        Raises
        ------
        PlanningError
            For any ``options``, as :meth:`NetworkEnv.reset <hybridinv.network.env.NetworkEnv.reset>`
            (they were ignored without a word: ``{"path_seed": 3}`` ran on a drawn path).
        """
        refuse_options(options, "NetworkHybridEnv")
        super().reset(seed=seed)
        demand = self.hybrid.scenario.demand.sample(self.np_random, self.periods)
        self._obs = self._sim.reset(demand)
        if self.subtract_base:
            self._base_obs = self._base_sim.reset(demand)
        return self.features(self._obs), {}

    def step(self, action: NDArray[np.float32]) -> tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        """One period under the corrections ``action`` (the flat space's shape; finite entries outside [-1, 1]
        are clipped by the hybrid).

        Raises
        ------
        PlanningError
            A :class:`~hybridinv.network.LocationError` naming ``action`` for another shape, or for a NaN or
            infinite entry with its location and SKU (the message named only ``action`` and the value).
        """
        if self._obs is None:
            raise RuntimeError("call reset() before step()")
        sim, t = self._sim, self._sim.t
        # exactly the flat space's shape: a (locations, SKUs, 2) array was flattened, so its transposes were reshaped
        # onto the wrong items
        corrections = action_array(action, (self.n_items * self.n_actions,), self._item_of,
                                   error=LocationError).reshape(self._shape)
        decision = self.hybrid.decide(self._obs, corrections)
        self._obs = sim.step(decision)
        info: dict[str, Any] = {**period_outcome(sim.ledger, t), "supplier_orders": decision.supplier_orders,
                                "shipments": decision.shipments, "requested": decision.requested}
        cost = info["cost"]
        if self.subtract_base:
            assert self._base_obs is not None
            self._base_obs = self._base_sim.step(self.hybrid.decide(self._base_obs, self._zero))
            info["base_cost"] = period_outcome(self._base_sim.ledger, t)["cost"]
            cost -= info["base_cost"]
        return self.features(self._obs), -cost / self.reward_scale, False, sim.done, info
