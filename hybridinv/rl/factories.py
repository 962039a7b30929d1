"""Policy-registry factories (``hybridinv.policies.registry``): ``ppo``, ``sac``, ``hybrid``.

Each has the signature ``factory(scenario=None, **options) -> Policy``. The
hybrid factory loads the shipped default model (``models/hybrid_default``)
unless ``model=`` names another shipped model or a model directory; it never
imports torch. The pure-RL factories load an SB3 checkpoint and need torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridinv.core.errors import PlanningError
from hybridinv.rl.hybrid import Hybrid, models_directory
from hybridinv.rl.pure import PureRL

if TYPE_CHECKING:
    from hybridinv.sim.scenario import Scenario

__all__ = ["DEFAULT_HYBRID", "hybrid", "ppo", "sac"]

DEFAULT_HYBRID = "hybrid_default"


def hybrid(
    scenario: Scenario | None = None, model: str | Path | None = None, repair: str | None = "fast", **options: Any
) -> Hybrid:
    """The hybrid agent from a model directory (default: the shipped ``hybrid_default``).

    The shared network applies to any catalog size, so ``scenario`` is not needed.

    Raises
    ------
    ModelFileError
        If the model is missing, corrupted or made for other feature specs.
    PlanningError
        On unknown options.
    """
    if options:
        raise PlanningError(f"unknown hybrid options {sorted(options)}", column="options")
    return Hybrid.load(model or DEFAULT_HYBRID, repair=repair)


def _pure(algo: str, scenario: Scenario | None, model: str | Path | None, options: dict[str, Any]) -> PureRL:
    if options:
        raise PlanningError(f"unknown {algo} options {sorted(options)}", column="options")
    if model is None:
        name = scenario.name if scenario is not None else "multi_50"
        model = models_directory() / f"{algo}_{name}"
    return PureRL.load(model, name=algo)


def ppo(scenario: Scenario | None = None, model: str | Path | None = None, **options: Any) -> PureRL:
    """Pure PPO (orders as actions) from ``model`` or the shipped ``models/ppo_<scenario>``."""
    return _pure("ppo", scenario, model, options)


def sac(scenario: Scenario | None = None, model: str | Path | None = None, **options: Any) -> PureRL:
    """Pure SAC (orders as actions) from ``model`` or the shipped ``models/sac_<scenario>``."""
    return _pure("sac", scenario, model, options)
