"""Single-SKU RL baselines: tabular Q-learning and DQN on discrete order sizes.

Both act in :class:`SingleSkuDiscreteEnv`, a thin gymnasium wrapper around the
library's simulator for one SKU: the state is the stock available for this
period's demand and the open orders, ``(on_hand + pipeline[0], pipeline[1], ...,
pipeline[L-1])`` (the state of :func:`hybridinv.exact.lost_sales_optimal`), the
action is an order of ``0..max_order`` units, the reward is minus the period
cost. Tabular Q-learning [1]_ uses visit-count step sizes and a linearly
decaying epsilon-greedy exploration; it is seeded through one numpy Generator.

References
----------
.. [1] Watkins, C. J. C. H. and Dayan, P. (1992). Q-learning. *Machine Learning*
   8, 279-292.
.. [2] Mnih, V. et al. (2015). Human-level control through deep reinforcement
   learning. *Nature* 518, 529-533 (DQN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.sim.observation import Observation
from hybridinv.sim.scenario import Scenario
from hybridinv.sim.simulator import Simulator

__all__ = ["DQNPolicy", "QLearning", "SingleSkuDiscreteEnv", "plot_policy", "single_sku_state", "train_dqn"]


def single_sku_state(obs: Observation, lead_time: int) -> NDArray[np.int64]:
    """``(on_hand + pipeline[0], pipeline[1..L-1])`` of SKU 0 as integers (length ``max(L, 1)``)."""
    pipe = obs.pipeline[0]
    first = obs.on_hand[0] + (pipe[0] if lead_time >= 1 else 0.0)
    rest = pipe[1:lead_time] if lead_time >= 2 else np.zeros(0)
    return np.rint(np.concatenate([[first], rest])).astype(np.int64)


class SingleSkuDiscreteEnv(gym.Env[NDArray[np.float32], np.int64]):
    """One SKU, discrete orders ``0..max_order``, reward = −period cost / ``mean``.

    Parameters
    ----------
    scenario : Scenario
        A single-SKU scenario (e.g. :func:`hybridinv.scenarios.single_sku`).
    max_order : int
        Largest order.
    periods : int, optional
        Episode length (default: the scenario's).
    """

    metadata = {"render_modes": []}

    def __init__(self, scenario: Scenario, max_order: int, periods: int | None = None) -> None:
        if scenario.n_skus != 1:
            raise PlanningError("needs a single-SKU scenario", column="n_skus", value=scenario.n_skus)
        super().__init__()
        self.scenario = scenario
        self.max_order = int(max_order)
        self.lead_time = int(scenario.catalog.lead_time[0])
        self.mean = float(scenario.demand.mean[0])
        self.periods = periods
        self.action_space = gym.spaces.Discrete(self.max_order + 1)
        width = max(self.lead_time, 1)
        self.observation_space = gym.spaces.Box(0.0, np.inf, shape=(width,), dtype=np.float32)
        self._sim: Simulator | None = None
        self._obs: Observation | None = None

    def state(self) -> NDArray[np.int64]:
        assert self._obs is not None
        return single_sku_state(self._obs, self.lead_time)

    def _observe(self) -> NDArray[np.float32]:
        return (self.state() / self.mean).astype(np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.float32], dict[str, Any]]:
        super().reset(seed=seed)
        self._sim = Simulator(self.scenario, periods=self.periods, check_orders=False)
        self._obs = self._sim.reset(seed=int(self.np_random.integers(2**31 - 1)))
        return self._observe(), {}

    def step(self, action: Any) -> tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        sim = self._sim
        assert sim is not None
        t = sim.t
        self._obs = sim.step(np.array([float(action)]))
        cost = sim.ledger.period_cost(t)
        return self._observe(), -cost / self.mean, False, sim.done, {"cost": cost}


class QLearning:
    """Tabular Q-learning for one SKU (scikit-learn style: ``fit`` then ``act``).

    Parameters
    ----------
    max_order : int
        Orders are ``0..max_order``.
    max_stock : int, optional
        Stock above this is clipped in the state index (default ``3 * max_order``).
    gamma : float
        Discount factor (close to 1 approximates the average-cost criterion).
    epsilon : tuple of float
        Exploration rate, decayed linearly from the first to the second value.
    learning_rate_power : float
        Step size ``1 / visits ** power`` per state-action pair.
    seed : int
    """

    name = "q_learning"

    def __init__(
        self,
        max_order: int,
        max_stock: int | None = None,
        gamma: float = 0.99,
        epsilon: tuple[float, float] = (1.0, 0.02),
        learning_rate_power: float = 0.6,
        seed: int = 0,
    ) -> None:
        self.max_order = int(max_order)
        self.max_stock = int(max_stock if max_stock is not None else 3 * max_order)
        self.gamma = gamma
        self.epsilon = epsilon
        self.learning_rate_power = learning_rate_power
        self.seed = seed

    def _index(self, state: NDArray[np.int64]) -> int:
        dims = (self.max_stock + 1, *([self.max_order + 1] * (state.size - 1)))
        clipped = np.minimum(state, np.array(dims) - 1)
        return int(np.ravel_multi_index(tuple(clipped), dims))

    def fit(self, scenario: Scenario, steps: int = 100_000, episode_periods: int = 500) -> QLearning:
        """Learn ``q_table_`` from ``steps`` simulated periods; returns ``self``."""
        rng = np.random.default_rng(self.seed)
        env = SingleSkuDiscreteEnv(scenario, self.max_order, periods=episode_periods)
        self.lead_time_ = env.lead_time
        n_states = (self.max_stock + 1) * (self.max_order + 1) ** max(env.lead_time - 1, 0)
        q = np.zeros((n_states, self.max_order + 1))
        visits = np.zeros_like(q)
        env.reset(seed=int(rng.integers(2**31 - 1)))
        state = self._index(env.state())
        start, end = self.epsilon
        for step in range(steps):
            epsilon = start + (end - start) * min(step / (0.8 * steps), 1.0)
            action = int(rng.integers(self.max_order + 1)) if rng.random() < epsilon else int(np.argmax(q[state]))
            _, reward, _, truncated, _ = env.step(action)
            following = self._index(env.state())
            visits[state, action] += 1
            rate = 1.0 / visits[state, action] ** self.learning_rate_power
            target = reward + self.gamma * q[following].max()
            q[state, action] += rate * (target - q[state, action])
            state = following
            if truncated:
                env.reset(seed=int(rng.integers(2**31 - 1)))
                state = self._index(env.state())
        self.q_table_ = q
        self.visits_ = visits
        return self

    def order(self, state: NDArray[np.int64]) -> int:
        """Greedy order in ``state``."""
        return int(np.argmax(self.q_table_[self._index(np.asarray(state, dtype=np.int64))]))

    def act(self, obs: Observation) -> NDArray[np.float64]:
        """Greedy order for the single SKU of ``obs``."""
        return np.array([float(self.order(single_sku_state(obs, self.lead_time_)))])


class DQNPolicy:
    """A trained SB3 DQN on :class:`SingleSkuDiscreteEnv`, as a simulator policy."""

    name = "dqn"

    def __init__(self, model: Any, lead_time: int, mean: float) -> None:
        self.model = model
        self.lead_time = lead_time
        self.mean = mean

    def act(self, obs: Observation) -> NDArray[np.float64]:
        state = single_sku_state(obs, self.lead_time) / self.mean
        action, _ = self.model.predict(state.astype(np.float32), deterministic=True)
        return np.array([float(action)])


def train_dqn(scenario: Scenario, max_order: int, timesteps: int = 50_000, seed: int = 0) -> DQNPolicy:
    """Train SB3 DQN on discrete order sizes (torch single-threaded, no log folders)."""
    import torch
    from stable_baselines3 import DQN

    from hybridinv.rl.sb3_training import silent_logger

    torch.set_num_threads(1)
    env = SingleSkuDiscreteEnv(scenario, max_order, periods=500)
    env.reset(seed=seed)
    model = DQN(
        "MlpPolicy",
        env,
        learning_rate=5e-4,
        buffer_size=50_000,
        learning_starts=1000,
        batch_size=128,
        gamma=0.99,
        train_freq=4,
        target_update_interval=1000,
        exploration_fraction=0.4,
        exploration_final_eps=0.02,
        policy_kwargs={"net_arch": [64, 64]},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    model.set_logger(silent_logger())
    model.learn(total_timesteps=timesteps)
    return DQNPolicy(model, env.lead_time, env.mean)


def plot_policy(
    policies: dict[str, Any], lead_time: int, max_stock: int, path: str | Path, title: str = ""
) -> Path:
    """Plot order vs. stock on hand (pipeline empty) for several single-SKU policies.

    ``policies`` maps a label to ``f(state) -> order`` with ``state`` the integer
    vector ``(on_hand + pipeline[0], pipeline[1..L-1])``.
    """
    from hybridinv.plotting import new_figure

    stock = np.arange(max_stock + 1)
    fig, ax = new_figure((6, 4))
    for label, order in policies.items():
        states = [np.concatenate([[x], np.zeros(max(lead_time - 1, 0), dtype=np.int64)]) for x in stock]
        ax.step(stock, [order(s) for s in states], where="mid", label=label)
    ax.set_xlabel("stock available this period (pipeline empty)")
    ax.set_ylabel("order")
    ax.set_title(title)
    ax.legend()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
