"""Common machinery of the inventory environments (one class, parametrized by the action mapping)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from hybridinv.core._frame import action_array
from hybridinv.core.errors import PlanningError, horizon, number_in, whole_number
from hybridinv.envs.features import GLOBAL_FEATURES, SKU_FEATURES, demand_scale, observe
from hybridinv.sim.ledger import COST_COMPONENTS, Ledger
from hybridinv.sim.observation import Observation
from hybridinv.sim.scenario import Scenario
from hybridinv.sim.simulator import Simulator, order_array

__all__ = ["InventoryEnv", "RewardHook", "ScenarioSource", "default_reward_scale"]

#: A scenario, or a function drawing one from the environment's generator
#: (domain randomization, curricula); every drawn scenario has the same SKU count.
ScenarioSource = Scenario | str | Callable[[np.random.Generator], Scenario]


class RewardHook(Protocol):
    """Anything that turns a period of the ledger into a reward (e.g. a RewardSpec)."""

    def period_reward(self, ledger: Ledger, t: int) -> float: ...


def default_reward_scale(scenario: Scenario) -> float:
    """A tenth of the holding + shortage cost of one period of mean demand: ``0.1 (h + p) . mean``.

    Without demand (every mean 0) it is the cost of one unit of every SKU, ``0.1 sum(h + p)``, and without
    those costs 1: the scale floored at 1e-6, so an episode of zero demand had rewards of about -1e8.
    """
    cost = scenario.catalog.holding_cost + scenario.catalog.shortage_cost
    for scale in (float(cost @ scenario.demand.mean) * 0.1, float(cost.sum()) * 0.1):
        if scale > 0 and math.isfinite(scale):
            return scale
    return 1.0


class InventoryEnv(gym.Env[NDArray[np.float32], NDArray[np.float32]]):
    """Base class: simulator episode, normalized observation, reward = −period cost.

    Subclasses define the action space and ``_orders(action, obs)``.

    Parameters
    ----------
    scenario : Scenario, str or callable
        The scenario, a registry name (:func:`hybridinv.scenarios.get`), or
        ``f(np_random) -> Scenario`` called at every reset.
    periods : int, optional
        Episode length (defaults to the scenario's horizon).
    reward_spec : RewardHook, optional
        Replaces the default reward ``-period_cost / reward_scale``.
    reward_scale : float, optional
        Divides the cost, a finite number > 0 (default: :func:`default_reward_scale`, a tenth of the
        expected holding + shortage cost of one period of mean demand, so rewards are O(1)).
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        scenario: ScenarioSource,
        periods: int | None = None,
        reward_spec: RewardHook | None = None,
        reward_scale: float | None = None,
    ) -> None:
        super().__init__()
        if isinstance(scenario, str):  # a registry name, as the network environments take
            from hybridinv.scenarios import get

            scenario = get(scenario)
        elif not isinstance(scenario, Scenario) and not callable(scenario):
            raise PlanningError("must be a Scenario, a registry name or a function of a numpy Generator",
                                column="scenario", value=type(scenario).__name__)
        self._source = scenario
        first = self._draw(np.random.default_rng(0))
        self.scenario = first
        self.n_skus = first.n_skus
        self.n_sku_features = len(SKU_FEATURES)
        self.n_global_features = len(GLOBAL_FEATURES)
        # periods=0 fell back to the horizon; reward_scale=0 to the default and a negative one flipped the reward
        self.periods = None if periods is None else horizon(periods, 1)  # at most MAX_PERIODS
        if self.periods is not None:  # a replay shorter than the episode was refused only at reset()
            first.simulated_periods(self.periods)
        if reward_spec is not None and not callable(getattr(reward_spec, "period_reward", None)):
            # an AttributeError ('str' object has no attribute 'period_reward') at the first step
            raise PlanningError("must be a RewardSpec (or any object with period_reward(ledger, t))",
                                column="reward_spec", value=type(reward_spec).__name__)
        self.reward_spec = reward_spec
        self.reward_scale = (default_reward_scale(first) if reward_scale is None
                             else number_in(reward_scale, "reward_scale", 0.0, math.inf, open_low=True, open_high=True))
        size = self.n_skus * self.n_sku_features + self.n_global_features
        self.observation_space = gym.spaces.Box(-50.0, 50.0, shape=(size,), dtype=np.float32)
        #: record each period's cost per SKU (``simulator.ledger.sku_costs``) from the next reset on
        self.per_sku_costs = False
        self._sim: Simulator | None = None
        self._obs: Observation | None = None
        self._scale: NDArray[np.float64] | None = None

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.float32], dict[str, Any]]:
        """Start an episode: draw the scenario, then its demand path.

        ``options={"path_seed": n}`` replays the demand path of seed ``n`` (a whole number >= 0;
        ``None`` or no key: one drawn from the environment's generator); ``info["path_seed"]`` is the seed used.

        Raises
        ------
        PlanningError
            For a ``path_seed`` that is not a whole number >= 0 (``3.7`` was cut to 3, ``None`` a TypeError),
            ``options`` that are not a dict, or an option other than ``path_seed`` (a misspelled
            ``{"pathseed": 3}`` was ignored: the episode ran on a drawn path).
        """
        if options is not None:
            if not isinstance(options, Mapping):  # a list was an AttributeError ('list' has no attribute 'get')
                raise PlanningError("must be a dict such as {'path_seed': 3}", column="options",
                                    value=type(options).__name__)
            unknown = sorted(str(key) for key in options if key != "path_seed")
            if unknown:
                raise PlanningError("the only reset option is 'path_seed'", column="options", value=unknown[0])
        super().reset(seed=seed)
        rng = self.np_random
        scenario = self._draw(rng)
        if scenario.n_skus != self.n_skus:  # a bare ValueError, and step() went on with the old episode
            self._sim, self._obs = None, None
            raise PlanningError(f"the scenario source changed the SKU count from {self.n_skus} to {scenario.n_skus} "
                                "(the spaces are sized for the first); reset() again", column="scenario",
                                value=scenario.n_skus)
        self.scenario = scenario
        given = None if options is None else options.get("path_seed")
        path_seed = int(rng.integers(2**31 - 1)) if given is None else whole_number(given, "path_seed", 0)
        self._sim = Simulator(scenario, periods=self.periods, per_sku_costs=self.per_sku_costs)
        self._obs = self._sim.reset(seed=path_seed)
        self._start_episode(scenario)
        return self._observe(), {"path_seed": path_seed}

    def step(self, action: NDArray[np.float32]) -> tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        """One period: the action's orders are placed, then arrivals, demand, expiry and costs.

        Finite actions outside ``[-1, 1]`` are clipped; a NaN or infinite entry raises
        :class:`~hybridinv.PlanningError`. ``info`` holds the ledger's cost components
        (``holding``, ``shortage``, ``ordering``, ``waste``, ``overflow``), their sum ``cost``,
        ``violation`` (the orders broke the budget, a capacity row or an order rule) and
        ``orders`` (whole units placed). ``terminated`` is always false; ``truncated`` is true
        on the last period.
        """
        sim, obs = self._sim, self._obs
        if sim is None or obs is None:
            raise RuntimeError("call reset() before step()")
        orders = self._orders(self._checked_action(action), obs)  # simulated: the repair does not warn
        # whole units, as the simulator executes them: info["orders"] (and a reward hook) saw a callable repair's
        # 42.4 where 42 was bought
        orders = order_array(orders, (obs.catalog.n_skus,), obs.catalog.sku)
        observe = getattr(self.reward_spec, "observe", None)
        if callable(observe):  # a hook that prices the orders themselves (hybridinv.rl.objective.ConstrainedReward)
            observe(self.scenario, obs, orders)
        t = sim.t
        self._obs = sim.step(orders)
        ledger = sim.ledger
        if self.reward_spec is not None:
            reward = float(self.reward_spec.period_reward(ledger, t))
        else:
            reward = -ledger.period_cost(t) / self.reward_scale
        info: dict[str, Any] = {name: float(ledger.costs[t, k]) for k, name in enumerate(COST_COMPONENTS)}
        info["cost"] = ledger.period_cost(t)
        info["violation"] = bool(
            ledger.budget_excess[t] > 0 or ledger.capacity_excess[t] > 0 or ledger.rule_breaches[t] > 0
        )
        info["orders"] = orders
        truncated = sim.done
        return self._observe(), reward, False, truncated, info

    # ------------------------------------------------------------------ helpers
    def _checked_action(self, action: object) -> NDArray[np.float64]:
        """The action as flat floats: a shape other than the action space's (a flat ``Box``, SKU by SKU; an
        ``(n, k)`` array or its transpose was reshaped, the transpose onto the wrong SKUs) or a NaN/inf entry is
        a PlanningError naming ``action`` (and, for the entry, its SKU)."""
        shape = tuple(self.action_space.shape or ())
        size = max(math.prod(shape), 1)
        return action_array(action, shape, lambda i: {"sku": str(self.scenario.catalog.sku[i * self.n_skus // size])})

    def _draw(self, rng: np.random.Generator) -> Scenario:
        """The scenario itself, or the one the source function draws (checked to be a Scenario)."""
        if isinstance(self._source, Scenario):
            return self._source
        drawn = self._source(rng)
        if not isinstance(drawn, Scenario):
            raise PlanningError("the scenario function must return a Scenario", column="scenario",
                                value=type(drawn).__name__)
        return drawn

    @property
    def simulator(self) -> Simulator:
        """The simulator of the current episode."""
        if self._sim is None:
            raise RuntimeError("call reset() first")
        return self._sim

    @property
    def observation(self) -> Observation:
        """The current (unnormalized) observation."""
        if self._obs is None:
            raise RuntimeError("call reset() first")
        return self._obs

    def _observe(self) -> NDArray[np.float32]:
        obs = self._obs
        assert obs is not None
        self._scale = demand_scale(obs)
        sku, glob = observe(obs, self._scale)
        return np.concatenate([sku.reshape(-1), glob]).astype(np.float32)

    def _start_episode(self, scenario: Scenario) -> None:
        """Called by :meth:`reset` with the episode's scenario, before the first observation."""

    def _orders(self, action: NDArray[np.float64], obs: Observation) -> NDArray[np.float64]:
        raise NotImplementedError
