"""A gymnasium environment for networks: echelon safety factors as actions.

``NetworkEnv`` (registered as ``hybridinv/Network-v0``) runs a
:class:`~hybridinv.network.scenarios.NetworkScenario` one period per step.

- **Action**: one number in ``[-1, 1]`` per depth level of the tree (warehouse, stores; or
  stage ``N`` ... stage 1 of a chain), shared by all SKUs and all locations of that level.
  It is the safety factor ``z = z_range * a`` of :func:`hybridinv.network.baselines.echelon_levels`,
  which turns it into echelon base-stock levels per location and SKU from the stores' mean
  demand. Each location wants ``max(0, S - echelon position)``; a parent's stock is shared
  among its children by fair share (:class:`~hybridinv.network.allocation.FairShare`) and the
  supplier orders are cut to the budget and the warehouse's projected space
  (:func:`~hybridinv.network.limits.limit_supplier_orders`).

  What every decision keeps: whole, non-negative orders and shipments; shipments within each
  parent's on-hand; the purchase value of the supplier orders within the budget (no budget or
  shipment violation, ``ledger.summary()["violations"] == 0``). What it does not: capacities.
  The warehouse's space is checked against a *projection* of its on-hand at the receipt that
  subtracts the stores' mean demand over its lead time; when the stores pull less than that, the
  receipt does not fit and the excess is rejected at receipt. Store capacities are not looked
  at (rejection at receipt only). Rejected units are bought, counted in the ledger
  (``units["overflow"]``, ``summary()["overflow_units"]``) and charged ``overflow_cost``; they
  are not counted as ``violations``. On ``owmr_10x50`` (60 periods, ``reset(seed=0)``, no
  warm-up), a constant action -1 had 9,879 of its 27,458 ordered units rejected at the
  warehouse (28 of 60 periods), 0 had 6,117 of 91,327 (49 periods), +1 none.
- **Observation** (flattened ``Box``, float32): per location and SKU the installation
  position, the echelon position and the forecast (mean demand per period below the
  location), each divided by the location's mean demand over its lead time plus two periods
  and clipped to ``[-obs_clip, obs_clip]``; then the share of the episode elapsed.
- **Reward**: minus the network's cost of the period divided by ``reward_scale`` (default: the
  purchase value of one period of mean demand, or the stores' holding cost of it when units
  cost nothing).

Each episode draws its demand path from the environment's own generator (``reset(seed=...)``).
Importing this module imports gymnasium; ``import hybridinv.network`` does not.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import action_array
from hybridinv.core.errors import PlanningError, horizon, number_in
from hybridinv.core.limits import MAX_SAFETY_FACTOR
from hybridinv.network.allocation import FairShare
from hybridinv.network.baselines import echelon_levels
from hybridinv.network.ledger import NetworkLedger
from hybridinv.network.limits import limit_supplier_orders
from hybridinv.network.scenarios import NetworkScenario, network_scenario
from hybridinv.network.state import NetworkDecision, NetworkObservation

__all__ = [
    "MAX_Z_RANGE", "NETWORK_FEATURES", "NetworkEnv", "default_reward_scale", "make_network_env", "period_outcome",
    "refuse_options",
]

#: Largest ``z_range``: a safety factor of 1000 standard deviations is beyond any service level
#: (:data:`hybridinv.core.limits.MAX_SAFETY_FACTOR`); 1e300 gave echelon levels of 5e300 units.
MAX_Z_RANGE: float = MAX_SAFETY_FACTOR
#: Features per location and SKU, in the order of the observation.
NETWORK_FEATURES: tuple[str, ...] = ("installation_position", "echelon_position", "forecast")


def default_reward_scale(scenario: NetworkScenario) -> float:
    """The purchase value of one period of mean demand (units that cost nothing: the stores' holding cost of it)."""
    network, costs = scenario.network, scenario.costs
    mean = scenario.location_demand()[0]
    value = float(costs.unit_cost @ mean[network.roots].sum(axis=0))
    if value <= 0:
        value = float(np.einsum("sn,sn->", costs.holding_cost[network.stores], mean[network.stores]))
    return max(value, 1e-6)


def refuse_options(options: object, env: str) -> None:
    """Raise for any reset ``options``: the network environments take none (``seed=`` reseeds their paths).

    They were ignored without a word, so ``{"path_seed": 3}``, which the single-site environments
    read, ran on a drawn path.

    Raises
    ------
    PlanningError
        Naming ``options`` and its keys (or its type, when it is not a dict).
    """
    if options:
        raise PlanningError(f"{env}.reset takes no options (seed= reseeds its demand paths)", column="options",
                            value=sorted(str(key) for key in options) if isinstance(options, dict)
                            else type(options).__name__)


def period_outcome(ledger: NetworkLedger, t: int) -> dict[str, float]:
    """The ``info`` of period ``t``: the network's ``cost``, the stores' ``fill_rate``, the ``budget_excess``."""
    demand = float(ledger.units["demand"][t].sum())
    served = float(ledger.units["served"][t].sum())
    return {"cost": float(ledger.costs[t].sum()), "fill_rate": served / demand if demand > 0 else 1.0,
            "budget_excess": float(ledger.budget_excess[t])}


class NetworkEnv(gym.Env[NDArray[np.float32], NDArray[np.float32]]):
    """Echelon safety factors per depth level as actions (see the module docstring).

    Parameters
    ----------
    scenario : NetworkScenario or str
        A scenario or a network registry name.
    periods : int, optional
        Episode length (default: the scenario's horizon).
    z_range : float
        Safety factor at action ``+-1``, a finite number in ``(0, 1000]`` (``MAX_Z_RANGE``; a negative
        one mirrored the actions, NaN failed at the first step).
    reward_scale : float, optional
    obs_clip : float
        Bound of the scaled features, a finite number > 0 that float32 holds (a negative one or NaN
        was gymnasium's bare ValueError, 0 an observation of zeros).

    Raises
    ------
    PlanningError
        Naming ``z_range``, ``reward_scale`` or ``obs_clip`` and the value when it is out of range
        or not a number; naming ``scenario`` when it is neither a network scenario nor a registered
        name (a single-site scenario or None was an AttributeError).
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, scenario: NetworkScenario | str, periods: int | None = None, z_range: float = 3.0,
                 reward_scale: float | None = None, obs_clip: float = 20.0) -> None:
        self.scenario = network_scenario(scenario)
        network = self.scenario.network
        self.periods = horizon(periods, self.scenario.periods)
        self.z_range = number_in(z_range, "z_range", 0.0, MAX_Z_RANGE, open_low=True)
        self.obs_clip = number_in(obs_clip, "obs_clip", 0.0, float(np.finfo(np.float32).max), open_low=True)
        self._sim = self.scenario.simulator(periods=self.periods, warmup=0)
        self._allocate = FairShare(network)
        self._mean = self.scenario.location_demand()[0]
        cover = network.lead_time[:, None] + 2.0
        self._scale = np.maximum(self._mean * cover, 1.0)
        self.reward_scale = (default_reward_scale(self.scenario) if reward_scale is None else number_in(
            reward_scale, "reward_scale", 0.0, math.inf, open_low=True, open_high=True))  # 0 meant the default
        self.n_levels = int(network.depth.max()) + 1
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(self.n_levels,), dtype=np.float32)
        size = len(NETWORK_FEATURES) * network.n_locations * self.scenario.n_skus + 1
        self.observation_space = gym.spaces.Box(-self.obs_clip, self.obs_clip, shape=(size,), dtype=np.float32)
        self._obs: NetworkObservation | None = None
        self.last_levels: NDArray[np.float64] | None = None

    def _features(self, obs: NetworkObservation) -> NDArray[np.float32]:
        parts = [obs.installation_position / self._scale, obs.echelon_position / self._scale,
                 self._mean / self._scale]
        flat = np.concatenate([p.ravel() for p in parts] + [np.array([obs.t / self.periods])])
        return np.clip(flat, -self.obs_clip, self.obs_clip).astype(np.float32)

    def levels(self, action: ArrayLike) -> NDArray[np.float64]:
        """Echelon levels (locations, SKUs) of an action."""
        a = np.clip(action_array(action, (self.n_levels,)), -1.0, 1.0)
        return echelon_levels(self.scenario, self.z_range * a[self.scenario.network.depth])

    def decide(self, obs: NetworkObservation, action: ArrayLike) -> NetworkDecision:
        """Supplier orders and shipments of an action: echelon base-stock, fair share, orders cut to the budget
        and the warehouse's projected space (its receipts can still be partly rejected: see the module docstring).
        """
        network = self.scenario.network
        self.last_levels = self.levels(action)
        wanted = np.maximum(np.ceil(self.last_levels - obs.echelon_position - 1e-9), 0.0)
        requested = wanted[network.non_roots]
        shipments = self._allocate(requested, obs.on_hand)
        orders = limit_supplier_orders(self.scenario, obs, wanted[network.roots])
        return NetworkDecision(orders, shipments, requested)

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[NDArray[np.float32], dict[str, Any]]:
        """A new episode on a demand path drawn from the environment's generator (``seed`` reseeds it).

        Raises
        ------
        PlanningError
            For any ``options``: the network environment takes none (they were ignored without a word,
            so ``{"path_seed": 3}``, which the single-site environments read, ran on a drawn path).
        """
        refuse_options(options, "NetworkEnv")
        super().reset(seed=seed)
        demand = self.scenario.demand.sample(self.np_random, self.periods)
        self._obs = self._sim.reset(demand)
        return self._features(self._obs), {}

    def step(self, action: NDArray[np.float32]) -> tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        if self._obs is None:
            raise RuntimeError("call reset() before step()")
        sim = self._sim
        decision = self.decide(self._obs, action)
        t = sim.t
        self._obs = sim.step(decision)
        info = period_outcome(sim.ledger, t)
        return self._features(self._obs), -info["cost"] / self.reward_scale, False, sim.done, info


def make_network_env(scenario: NetworkScenario | str = "serial_3", **kwargs: Any) -> NetworkEnv:
    """Entry point of ``hybridinv/Network-v0``."""
    return NetworkEnv(scenario, **kwargs)


if "hybridinv/Network-v0" not in gym.registry:
    gym.register(id="hybridinv/Network-v0", entry_point=make_network_env)
