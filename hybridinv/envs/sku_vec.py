"""Every SKU of a hybrid environment as one environment of a stable-baselines3 ``VecEnv``.

A :class:`~hybridinv.envs.TargetEnv` with a parameterization is one agent that sees all
``n`` SKUs and earns one reward, the catalog's period cost. A policy gradient on that reward
credits every SKU's action with every other SKU's cost: with 50 SKUs, 49 fiftieths of the
return's noise has nothing to do with the action being scored. :class:`SkuVecEnv` gives the
same simulation to a learner as ``n`` environments, one per SKU: environment ``i`` observes SKU
``i``'s features (and the global ones), acts with SKU ``i``'s ``k`` outputs, and is rewarded with
SKU ``i``'s own period cost (``Ledger.sku_valued_costs`` or, with ``basis="purchase"``,
``Ledger.sku_costs``, whose per-SKU rewards add up to the catalog's). The SKUs still share one
warehouse and budget through the repair: a SKU's reward is the cost it incurred under the plan
the repair made of every SKU's targets (independent learners with shared parameters, the usual
way to train one policy for many coupled agents). What a SKU's order takes from the others
(warehouse space, budget) is in their costs, not its own; ``shared="priced"`` adds it to the
SKU's cost at the repair's prices of the shared rows (:meth:`RepairResult.priced_use
<hybridinv.repair.result.RepairResult.priced_use>`), the Lagrangian split of the coupled problem.

The learner sees ``num_envs = sum of the environments' SKU counts``; every SKU of an
environment ends its episode in the same period, and the environment is reset then (the
observation before the reset is in ``info["terminal_observation"]``, with
``info["TimeLimit.truncated"]``: the horizon truncates, it does not terminate).
Importing this module imports stable-baselines3 (not torch's models).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

from hybridinv.core.errors import PlanningError
from hybridinv.envs.target_env import TargetEnv

__all__ = ["SkuVecEnv"]


class SkuVecEnv(VecEnv):
    """The SKUs of one or more :class:`TargetEnv` (each with a parameterization) as environments.

    Parameters
    ----------
    envs : sequence of TargetEnv
        Environments with a parameterization, the same feature and output widths, and the
        default reward (no ``reward_spec``: a spec prices the catalog's period, not a SKU's).
        They are reset on the first :meth:`reset` (with the seeds given by :meth:`seed`).
    basis : {"valued", "purchase"}
        How a SKU's purchases enter its reward. ``"valued"`` (default): at unit cost when the units
        leave the stock (sold, expired, turned away: ``Ledger.sku_valued_costs``), so a period's
        purchase cost is the smooth cost of what the SKU sold; ``"purchase"``: at unit cost in the period
        the order is placed, for the units that will be delivered (``Ledger.sku_costs``, the basis of the
        catalog's reward and of ``avg_cost``). Both charge every unit a SKU buys once it is used; they differ
        by the change of the stock's value. The lumpy purchase payments average out over a catalog but
        dominate one SKU's reward.
    shared : {"none", "priced"}
        ``"priced"``: a SKU's period cost also counts its order's use of the warehouse, budget and
        supplier rows at the prices of that period's repair (``RepairResult.priced_use``; 0 in a
        period where no row binds or no repair ran). ``"none"`` (default): its own cost alone.

    Notes
    -----
    SKU ``i``'s observation is its row of the parameterization's features followed by the
    global features (``F + G`` numbers), its action the ``k`` numbers in [-1, 1] of its row of
    the environment's action; its reward is ``-(cost_i + charge_i) / reward_scale`` with ``cost_i``
    its period cost on ``basis`` and ``charge_i`` its priced use of the shared rows (0 unless
    ``shared="priced"``); both are in ``info`` (``cost``, ``shared_charge``). With
    ``basis="purchase"`` and ``shared="none"`` the rewards of an environment's SKUs add up to that
    environment's own reward.
    """

    def __init__(self, envs: Sequence[TargetEnv], basis: str = "valued", shared: str = "none") -> None:
        if basis not in ("valued", "purchase"):
            raise PlanningError("the cost basis of a SKU's reward is 'valued' or 'purchase'", column="basis",
                                value=basis)
        if shared not in ("none", "priced"):
            raise PlanningError("the shared rows enter a SKU's reward 'none' or 'priced'", column="shared",
                                value=shared)
        self.basis = basis
        self.shared = shared
        envs = list(envs)
        if not envs:
            raise PlanningError("needs at least one environment", column="envs", value=0)
        for env in envs:
            if not isinstance(env, TargetEnv) or env.parameterization is None:
                raise PlanningError("every environment must be a TargetEnv with a parameterization",
                                    column="envs", value=type(env).__name__)
            if env.reward_spec is not None:
                raise PlanningError("per-SKU rewards are the SKU's period cost; a reward spec prices the "
                                    "whole catalog's period", column="reward_spec",
                                    value=type(env.reward_spec).__name__)
            env.per_sku_costs = True
        first = envs[0]
        widths = {(env.n_sku_features, env.n_global_features, env.n_actions) for env in envs}
        if len(widths) > 1:
            raise PlanningError("every environment needs the same feature and output widths", column="envs",
                                value=sorted(widths)[0])
        self.envs = envs
        self.n_sku_features = first.n_sku_features
        self.n_global_features = first.n_global_features
        self.n_actions = first.n_actions
        counts = [env.n_skus for env in envs]
        #: first SKU index of each environment in the flat SKU axis
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        width = self.n_sku_features + self.n_global_features
        observation_space = gym.spaces.Box(-50.0, 50.0, shape=(width,), dtype=np.float32)
        action_space = gym.spaces.Box(-1.0, 1.0, shape=(self.n_actions,), dtype=np.float32)
        self._actions: NDArray[np.float32] | None = None
        super().__init__(int(self.offsets[-1]), observation_space, action_space)

    # ------------------------------------------------------------------ the flat SKU axis
    def _rows(self, flat: NDArray[np.float32], env: TargetEnv) -> NDArray[np.float32]:
        """An environment's flat observation as one row per SKU: its features, then the global ones."""
        width = env.n_skus * self.n_sku_features
        sku = flat[:width].reshape(env.n_skus, self.n_sku_features)
        if not self.n_global_features:
            return sku
        glob = np.broadcast_to(flat[width:], (env.n_skus, self.n_global_features))
        return np.concatenate([sku, glob], axis=1)

    def _env_of(self, index: int) -> TargetEnv:
        return self.envs[int(np.searchsorted(self.offsets, index, side="right")) - 1]

    # ------------------------------------------------------------------ VecEnv API
    def reset(self) -> NDArray[np.float32]:
        rows = []
        for j, env in enumerate(self.envs):
            seed = self._seeds[int(self.offsets[j])]
            options = self._options[int(self.offsets[j])] or None
            flat, info = env.reset(seed=seed, options=options)
            for i in range(int(self.offsets[j]), int(self.offsets[j + 1])):
                self.reset_infos[i] = dict(info)
            rows.append(self._rows(flat, env))
        self._reset_seeds()
        self._reset_options()
        return np.concatenate(rows).astype(np.float32, copy=False)  # float32 already: no second copy

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.float32).reshape(self.num_envs, self.n_actions)

    def step_wait(self) -> VecEnvStepReturn:
        actions = self._actions
        if actions is None:
            raise RuntimeError("call step_async() before step_wait()")
        self._actions = None
        observations, rewards, dones, infos = [], [], [], []
        for j, env in enumerate(self.envs):
            start, end = int(self.offsets[j]), int(self.offsets[j + 1])
            t = env.simulator.t
            flat, _, terminated, truncated, _ = env.step(actions[start:end].reshape(-1))
            ledger = env.simulator.ledger
            costs = ledger.sku_valued_costs if self.basis == "valued" else ledger.sku_costs
            if costs is None:  # an environment reset before it was wrapped records no per-SKU costs
                raise RuntimeError("call reset() before step(): the episode was started without per-SKU costs")
            charge = self._charge(env)
            rewards.append(-(costs[t] + charge) / env.reward_scale)
            done = terminated or truncated
            rows = self._rows(flat, env)
            sku_infos: list[dict[str, Any]] = [{"cost": float(costs[t, i]), "shared_charge": float(charge[i])}
                                               for i in range(env.n_skus)]
            if done:
                for i, sku_info in enumerate(sku_infos):
                    sku_info["terminal_observation"] = rows[i].copy()
                    sku_info["TimeLimit.truncated"] = bool(truncated and not terminated)
                flat, reset_info = env.reset()
                rows = self._rows(flat, env)
                for i in range(start, end):
                    self.reset_infos[i] = dict(reset_info)
            observations.append(rows)
            dones.append(np.full(env.n_skus, done))
            infos += sku_infos
        return (np.concatenate(observations).astype(np.float32, copy=False), np.concatenate(rewards).astype(np.float32),
                np.concatenate(dones), infos)

    def _charge(self, env: TargetEnv) -> NDArray[np.float64]:
        """Each SKU's priced use of the shared rows in the period just stepped (zeros unless priced)."""
        if self.shared == "none" or env.last_repair is None:
            return np.zeros(env.n_skus)
        return env.last_repair.priced_use()

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def _indices(self, indices: VecEnvIndices) -> list[int]:
        return [int(i) for i in self._get_indices(indices)]

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self._env_of(i), attr_name) for i in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        for env in {id(self._env_of(i)): self._env_of(i) for i in self._indices(indices)}.values():
            setattr(env, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: VecEnvIndices = None,
                   **method_kwargs: Any) -> list[Any]:
        # once per environment, its result for each of its SKUs' indices (a reset or a random draw ran once per SKU)
        results: dict[int, Any] = {}
        out = []
        for i in self._indices(indices):
            env = self._env_of(i)
            if id(env) not in results:
                results[id(env)] = getattr(env, method_name)(*method_args, **method_kwargs)
            out.append(results[id(env)])
        return out

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [isinstance(self._env_of(i), wrapper_class) for i in self._indices(indices)]
