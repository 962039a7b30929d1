"""Pure-RL baseline: an SB3 agent (PPO or SAC) choosing every SKU's order quantity.

The agent acts in :class:`hybridinv.envs.OrderEnv`: one action in [-1, 1] per
SKU, mapped to ``(a + 1)/2 · 6 · scale`` units; constraints are handled the way
pure RL usually does, by scaling the raw orders down proportionally to fit the
capacity rows and the budget (MOQs and lot sizes can be broken, and the
simulator counts those periods as violations). This is the baseline the
hybrid agent is compared with; it needs torch at inference (unlike
:class:`hybridinv.rl.hybrid.Hybrid`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.rl.model_file import METADATA_FILE, ModelFileError

if TYPE_CHECKING:
    from hybridinv.sim.observation import Observation

__all__ = ["SB3_FILE", "PureRL"]

SB3_FILE = "sb3.zip"


class PureRL:
    """Wrap a trained SB3 model on ``OrderEnv`` as a policy for :func:`hybridinv.simulate`.

    Parameters
    ----------
    model : stable_baselines3 BaseAlgorithm
        Trained on an :class:`~hybridinv.envs.OrderEnv` with the same SKU count.
    scale_to_constraints : bool, default True
        Scale orders down to fit capacity and budget, as in training.
    name : str, default "ppo"
    """

    def __init__(self, model: Any, scale_to_constraints: bool = True, name: str = "ppo") -> None:
        self.model = model
        self.scale_to_constraints = scale_to_constraints
        self.name = name
        shape = model.observation_space.shape
        self.n_inputs = int(shape[0]) if shape else 0

    @classmethod
    def load(cls, path: str | Path, name: str | None = None) -> PureRL:
        """Load ``sb3.zip`` (and ``metadata.json`` for the algorithm) from a model directory."""
        from hybridinv.rl.hybrid import resolve_model_path

        directory = resolve_model_path(path)
        zip_path = directory / SB3_FILE if directory.is_dir() else directory
        if not zip_path.exists():
            raise ModelFileError(f"{zip_path}: no stable-baselines3 checkpoint")
        algo = "ppo"
        meta_path = zip_path.parent / METADATA_FILE
        if meta_path.exists():
            algo = str(json.loads(meta_path.read_text()).get("training", {}).get("algo", "ppo"))
        from hybridinv.rl.training import sb3_class

        model = sb3_class(algo).load(str(zip_path), device="cpu")
        return cls(model, name=name or algo)

    def reset(self, scenario: Any = None) -> None:
        """Nothing to reset (the policy is Markov in the observation)."""

    def act(self, obs: Observation) -> NDArray[np.float64]:
        """Orders for all SKUs."""
        from hybridinv.envs.actions import orders_from_action
        from hybridinv.envs.features import demand_scale, observe
        from hybridinv.policies.base import needs_repair

        scale = demand_scale(obs)
        sku, glob = observe(obs, scale)
        flat = np.concatenate([sku.reshape(-1), glob])
        if flat.size != self.n_inputs:
            raise PlanningError(
                f"pure-RL model expects {self.n_inputs} inputs, this catalog gives {flat.size} "
                "(pure RL is tied to its SKU count; use the hybrid agent for other catalogs)",
                column="n_skus",
                value=obs.n_skus,
            )
        action, _ = self.model.predict(flat, deterministic=True)
        orders = orders_from_action(action, scale)
        if not self.scale_to_constraints or not needs_repair(obs):
            return orders
        from hybridinv.repair import proportional_scale

        horizon = int(obs.catalog.lead_time.max()) + 1
        return proportional_scale(
            orders, obs.catalog, obs.state(), obs.constraints, expected_demand=obs.forecast(horizon)
        )

    def __repr__(self) -> str:
        return f"PureRL(name={self.name!r})"
