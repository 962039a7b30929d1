"""The hybrid agent: a SKU-shared network proposes (s, S) targets, the repair layer places orders.

At every period the agent computes the normalized features of all SKUs
(:func:`hybridinv.envs.features.observe`), runs the numpy forward pass of the
shared network (:class:`~hybridinv.rl.numpy_policy.SharedPolicyNetwork`) to get
two numbers per SKU, maps them to a reorder point ``s`` and an order-up-to
level ``S`` (:func:`hybridinv.envs.actions.targets_from_action`), orders up to
``S`` where the inventory position is at or below ``s``, and passes the desired
orders through the optimization repair layer, which enforces MOQs, lot sizes,
maximum orders, capacity and budget. Torch is never imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.policies.base import TargetPolicy
from hybridinv.rl.model_file import ModelFile, load_model
from hybridinv.rl.numpy_policy import SharedPolicyNetwork

if TYPE_CHECKING:
    from hybridinv.sim.observation import Observation

__all__ = ["Hybrid"]


class Hybrid(TargetPolicy):
    """Shared-network targets + optimization repair.

    Parameters
    ----------
    network : SharedPolicyNetwork
        Trained weights (see :meth:`load`).
    repair : str or None, default "fast"
        Repair backend (as in training, ``"fast"``); ``"highs"`` solves the
        repair exactly; None only rounds (unconstrained catalogs).
    metadata : dict, optional
        The model file's metadata (kept for reports).
    name : str, default "hybrid"

    Examples
    --------
    >>> from hybridinv import scenarios, simulate
    >>> from hybridinv.rl import Hybrid
    >>> agent = Hybrid.load("hybrid_default")            # doctest: +SKIP
    >>> simulate(agent, scenarios.get("multi_50"), seeds=3)  # doctest: +SKIP
    """

    name = "hybrid"

    def __init__(
        self,
        network: SharedPolicyNetwork,
        repair: str | None = "fast",
        metadata: dict[str, Any] | None = None,
        name: str = "hybrid",
    ) -> None:
        super().__init__(repair=repair)
        self.network = network
        self.metadata = dict(metadata or {})
        self.name = name

    @classmethod
    def load(cls, path: str | Path, repair: str | None = "fast", name: str | None = None) -> TargetPolicy:
        """Load a model directory written by :func:`hybridinv.rl.model_file.save_model`.

        ``path`` may also be the name of a shipped model in ``models/``
        (e.g. ``"hybrid_default"``). Returns a :class:`Hybrid` (or its residual
        subclass), a :class:`~hybridinv.rl.linear.LinearHybrid` for a linear model or an
        :class:`~hybridinv.rl.adaptive.AdaptiveHybrid` for an adaptive one.

        Raises
        ------
        ModelFileError
            If the model is missing, corrupted (hash mismatch) or made for other
            observation/action specifications.
        """
        model = load_model(resolve_model_path(path))
        return cls.from_model(model, repair=repair, name=name)

    @classmethod
    def from_model(cls, model: ModelFile, repair: str | None = "fast", name: str | None = None) -> TargetPolicy:
        """Wrap an already loaded :class:`ModelFile`.

        Models whose metadata has a ``residual`` entry (trained by evolution
        strategies, :mod:`hybridinv.rl.es`) give a
        :class:`~hybridinv.rl.residual.ResidualHybrid`; linear models
        (``"policy": "linear"``) a :class:`~hybridinv.rl.linear.LinearHybrid`; adaptive
        models (``"policy": "adaptive"``) an :class:`~hybridinv.rl.adaptive.AdaptiveHybrid`.
        """
        if model.policy == "linear":
            from hybridinv.rl.linear import LinearHybrid

            return LinearHybrid.from_model(model, repair=repair, name=name)
        if model.policy == "adaptive":
            from hybridinv.rl.adaptive import AdaptiveHybrid

            return AdaptiveHybrid.from_model(model, repair=repair, name=name)
        assert model.network is not None
        if "residual" in model.metadata:
            from hybridinv.rl.residual import ResidualHybrid

            return ResidualHybrid.from_metadata(model.network, model.metadata, repair, name or "hybrid")
        return cls(model.network, repair=repair, metadata=model.metadata, name=name or "hybrid")

    def action(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Normalized action (n, 2) and the demand scale used for it."""
        from hybridinv.envs.features import demand_scale, observe

        scale = demand_scale(obs)
        sku_features, global_features = observe(obs, scale)
        return self.network.action(sku_features, global_features), scale

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per-SKU ``(reorder_point, order_up_to)`` from the shared network."""
        from hybridinv.envs.actions import targets_from_action

        action, scale = self.action(obs)
        return targets_from_action(action, obs, scale)

    def __repr__(self) -> str:
        return f"Hybrid(name={self.name!r}, hidden={self.network.hidden}, repair={self.repair!r})"


#: Where a wheel installs the shipped models, under ``sys.prefix`` or the user base (``pyproject.toml`` data-files).
INSTALLED_MODELS = Path("share") / "hybridinv" / "models"


def models_directory() -> Path:
    """The directory of the shipped models.

    ``models/`` next to the package in a source checkout (or an editable install),
    else ``<prefix>/share/hybridinv/models`` where a wheel installs them.
    """
    import site
    import sys

    import hybridinv

    root = Path(hybridinv.__file__).resolve().parent.parent
    checkout = root / "models"
    if (root / "pyproject.toml").exists() and checkout.is_dir():
        return checkout
    for prefix in (sys.prefix, site.getuserbase()):
        installed = Path(prefix) / INSTALLED_MODELS
        if installed.is_dir():
            return installed
    return checkout


def resolve_model_path(path: str | Path) -> Path:
    """``path`` itself if it exists, else ``models/<path>``."""
    candidate = Path(path)
    if candidate.exists():
        return candidate
    shipped = models_directory() / str(path)
    return shipped if shipped.exists() else candidate
