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
``shared="difference"`` adds the SKU's counterfactual effect on the others instead (a difference
reward): every ``window`` periods each environment is copied once per SKU, and copy ``i`` is stepped
with the same actions but SKU ``i``'s row at zero (the parameterization's base, no correction), so
``charge_i`` is the other SKUs' cost in the real catalog minus theirs in copy ``i``, period by period
until the next copy.

The learner sees ``num_envs = sum of the environments' SKU counts``; every SKU of an
environment ends its episode in the same period, and the environment is reset then (the
observation before the reset is in ``info["terminal_observation"]``, with
``info["TimeLimit.truncated"]``: the horizon truncates, it does not terminate).
Importing this module imports stable-baselines3 (not torch's models).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

from hybridinv.core.errors import PlanningError, whole_number
from hybridinv.envs.target_env import TargetEnv

__all__ = ["DEFAULT_WINDOW", "SHARED", "SkuVecEnv"]

#: How the shared rows enter a SKU's reward (``SkuVecEnv(shared=...)``).
SHARED: tuple[str, ...] = ("none", "priced", "difference")

#: Periods between two copies of the environments for ``shared="difference"``.
DEFAULT_WINDOW = 8


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
    shared : {"none", "priced", "difference"}
        ``"priced"``: a SKU's period cost also counts its order's use of the warehouse, budget and
        supplier rows at the prices of that period's repair (``RepairResult.priced_use``; 0 in a
        period where no row binds or no repair ran). ``"difference"``: it also counts the SKU's effect
        on the other SKUs' cost (see Notes). ``"none"`` (default): its own cost alone.
    window : int, optional
        With ``shared="difference"``: the periods between two copies of the real environments
        (default 8; at each episode's start too). Refused with the other ``shared`` values.

    Notes
    -----
    SKU ``i``'s observation is its row of the parameterization's features followed by the
    global features (``F + G`` numbers), its action the ``k`` numbers in [-1, 1] of its row of
    the environment's action; its reward is ``-(cost_i + charge_i) / reward_scale`` with ``cost_i``
    its period cost on ``basis`` and ``charge_i`` its priced use of the shared rows (0 unless
    ``shared="priced"``); both are in ``info`` (``cost``, ``shared_charge``). With
    ``basis="purchase"`` and ``shared="none"`` the rewards of an environment's SKUs add up to that
    environment's own reward.

    With ``shared="difference"``, at every period ``t`` with ``t % window == 0`` (``t`` counted from
    the episode's start) each environment is copied ``n`` times (``copy.deepcopy``: the same state,
    demand path and generators). Until the next copy, copy ``i`` is stepped with the real period's
    actions but SKU ``i``'s row replaced by zeros (the parameterization's base), and
    ``charge_i = sum over j != i of (cost_j in the real environment - cost_j in copy i)`` on
    ``basis``: what SKU ``i``'s corrections since the copy cost the other SKUs in that period (through
    the warehouse, budget and supplier rows of the repair, the capacity of the receipts and the stock
    they hold). It is exactly 0 where no SKU's decision depends on another's. Effects after the next
    copy are not counted. The copies cost ``n`` environment steps per real step; the real
    environments are stepped exactly as with ``shared="none"``.
    """

    def __init__(self, envs: Sequence[TargetEnv], basis: str = "valued", shared: str = "none",
                 window: int | None = None) -> None:
        if basis not in ("valued", "purchase"):
            raise PlanningError("the cost basis of a SKU's reward is 'valued' or 'purchase'", column="basis",
                                value=basis)
        if shared not in SHARED:
            raise PlanningError("the shared rows enter a SKU's reward 'none', 'priced' or 'difference'",
                                column="shared", value=shared)
        if window is not None and shared != "difference":
            raise PlanningError("the window is the difference reward's (shared='difference')", column="window",
                                value=window)
        self.basis = basis
        self.shared = shared
        #: periods between two copies of the environments (``shared="difference"``)
        self.window = whole_number(DEFAULT_WINDOW if window is None else window, "window", 1)
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
        #: each environment's copies, one per SKU (``shared="difference"``; None until the next copy)
        self._shadows: list[list[TargetEnv] | None] = [None] * len(envs)
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
        self._shadows = [None] * len(self.envs)
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
            if self.shared == "difference" and (t % self.window == 0 or self._shadows[j] is None):
                self._shadows[j] = [copy.deepcopy(env) for _ in range(env.n_skus)]
            flat, _, terminated, truncated, _ = env.step(actions[start:end].reshape(-1))
            costs = self._costs(env)
            charge = self._charge(env, self._shadows[j], actions[start:end], costs[t], t)
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
                self._shadows[j] = None
                rows = self._rows(flat, env)
                for i in range(start, end):
                    self.reset_infos[i] = dict(reset_info)
            observations.append(rows)
            dones.append(np.full(env.n_skus, done))
            infos += sku_infos
        return (np.concatenate(observations).astype(np.float32, copy=False), np.concatenate(rewards).astype(np.float32),
                np.concatenate(dones), infos)

    def _costs(self, env: TargetEnv) -> NDArray[np.float64]:
        """The per-SKU costs (periods, SKUs) of an environment's episode on the reward's basis."""
        ledger = env.simulator.ledger
        costs = ledger.sku_valued_costs if self.basis == "valued" else ledger.sku_costs
        if costs is None:  # an environment reset before it was wrapped records no per-SKU costs
            raise RuntimeError("call reset() before step(): the episode was started without per-SKU costs")
        return costs

    def _charge(self, env: TargetEnv, shadows: list[TargetEnv] | None, actions: NDArray[np.float32],
                real: NDArray[np.float64], t: int) -> NDArray[np.float64]:
        """Each SKU's charge for the period ``t`` just stepped: its priced use of the shared rows (``priced``),
        its effect on the other SKUs' cost (``difference``: ``real`` is the period's real costs), else zeros."""
        if self.shared == "difference":
            assert shadows is not None
            others = np.empty((env.n_skus, env.n_skus))
            for i, shadow in enumerate(shadows):
                action = actions.copy()
                action[i] = 0.0  # SKU i at the parameterization's base
                shadow.step(action.reshape(-1))
                others[i] = self._costs(shadow)[t]
            effect = real[None, :] - others  # effect[i, j]: SKU i's corrections on SKU j's cost
            np.fill_diagonal(effect, 0.0)
            return np.asarray(effect.sum(axis=1), dtype=np.float64)
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
