"""Pure-RL baseline: an SB3 agent (PPO or SAC) choosing every SKU's order quantity.

The agent acts in :class:`hybridinv.envs.OrderEnv`: one action in [-1, 1] per
SKU, mapped to ``(a + 1)/2 · 6 · scale`` units; constraints are handled the way
pure RL usually does, by scaling the raw orders down proportionally to fit the
capacity rows and the budget (MOQs and lot sizes can be broken, and the
simulator counts those periods as violations). This is the baseline the
hybrid agent is compared with.

:meth:`PureRL.load` never runs SB3's own ``load`` (which unpickles): it verifies the
SHA-256 of every file of the model directory, then rebuilds the deterministic actor
from the checkpoint's tensors in numpy (:mod:`hybridinv.rl.sb3_weights`; reading
``policy.pth`` needs torch, acting does not).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.rl.integrity import FILES_KEY, METADATA_FILE, ModelFileError, read_metadata, verify_model_files

if TYPE_CHECKING:
    from hybridinv.sim.observation import Observation

__all__ = ["SB3_FILE", "PureRL"]

SB3_FILE = "sb3.zip"


class PureRL:
    """Wrap a trained SB3 model on ``OrderEnv`` as a policy for :func:`hybridinv.simulate`.

    Parameters
    ----------
    model : stable_baselines3 BaseAlgorithm or SB3Actor
        Trained on an :class:`~hybridinv.envs.OrderEnv` with the same SKU count:
        anything with ``predict(observation, deterministic=True)`` and either
        ``n_inputs`` or an ``observation_space``.
    scale_to_constraints : bool, default True
        Scale orders down to fit capacity and budget, as in training.
    name : str, default "ppo"
    cycle : int, optional
        Season cycle of the observation version the model was trained on
        (:func:`hybridinv.envs.features.season_cycle`; None: the current version's,
        ``periods_per_year``). :meth:`load` reads it from the model's metadata.
    """

    def __init__(self, model: Any, scale_to_constraints: bool = True, name: str = "ppo",
                 cycle: int | None = None) -> None:
        self.model = model
        self.scale_to_constraints = scale_to_constraints
        self.name = name
        self.cycle = cycle
        n_inputs = getattr(model, "n_inputs", None)
        if n_inputs is None:
            shape = model.observation_space.shape
            n_inputs = int(shape[0]) if shape else 0
        self.n_inputs = int(n_inputs)

    @classmethod
    def load(cls, path: str | Path, name: str | None = None) -> PureRL:
        """Load the actor of ``sb3.zip`` from a model directory (a shipped model name or a path).

        Every file of the directory is checked against the SHA-256 hashes in its
        ``metadata.json`` first; the checkpoint's pickled entries are never decoded
        (:func:`~hybridinv.rl.sb3_weights.actor_from_checkpoint`).

        Raises
        ------
        ModelFileError
            If the directory has no verified ``sb3.zip`` (missing, unlisted, hash
            mismatch, no ``files`` hashes), the checkpoint is not a plain PPO/SAC actor, or
            its observation or action specification is not one this library computes
            (:func:`~hybridinv.rl.model_file.check_model_spec`).
        """
        from hybridinv.rl.model_file import check_model_spec, observation_cycle
        from hybridinv.rl.paths import resolve_model_path
        from hybridinv.rl.sb3_weights import actor_from_checkpoint

        directory = resolve_model_path(path)
        if directory.is_file():
            if directory.name == METADATA_FILE:
                directory = directory.parent
            else:
                raise ModelFileError(
                    f"{directory}: load the model directory, whose {METADATA_FILE} lists the checkpoint's SHA-256"
                )
        meta = read_metadata(directory)
        check_model_spec(meta, directory)  # the features' names and order were never compared
        cycle = observation_cycle(meta, directory)
        listed = meta.get(FILES_KEY)
        if not (directory / SB3_FILE).exists() and not (isinstance(listed, dict) and SB3_FILE in listed):
            raise ModelFileError(f"{directory / SB3_FILE}: no stable-baselines3 checkpoint")
        payload = verify_model_files(directory, meta, load=[SB3_FILE])[SB3_FILE]
        training = meta.get("training")
        algo = str(training.get("algo", "ppo")) if isinstance(training, dict) else "ppo"
        actor = actor_from_checkpoint(payload, algo, directory / SB3_FILE)
        return cls(actor, name=name or algo, cycle=cycle)

    def reset(self, scenario: Any = None) -> None:
        """Nothing to reset (the policy is Markov in the observation)."""

    def act(self, obs: Observation) -> NDArray[np.float64]:
        """Orders for all SKUs."""
        from hybridinv.envs.actions import orders_from_action
        from hybridinv.envs.features import demand_scale, observe
        from hybridinv.policies.base import needs_repair

        scale = demand_scale(obs)
        sku, glob = observe(obs, scale, self.cycle)
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
