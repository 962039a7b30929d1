"""Policy-registry factories (``hybridinv.policies.registry``): ``ppo``, ``sac``, ``hybrid``.

Each has the signature ``factory(scenario=None, **options) -> Policy``. The
hybrid factory loads the shipped default model (``models/hybrid_default``)
unless ``model=`` names another shipped model or a model directory; it never
imports torch. The pure-RL factories load an SB3 checkpoint and need torch.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridinv.core.errors import PlanningError
from hybridinv.rl.hybrid import Hybrid
from hybridinv.rl.integrity import read_metadata
from hybridinv.rl.paths import models_directory
from hybridinv.rl.pure import PureRL

if TYPE_CHECKING:
    from hybridinv.policies.base import TargetPolicy
    from hybridinv.sim.scenario import Scenario

__all__ = ["DEFAULT_HYBRID", "hybrid", "ppo", "sac"]

DEFAULT_HYBRID = "hybrid_default"


def hybrid(
    scenario: Scenario | None = None, model: str | Path | None = None, repair: str | None = "fast", **options: Any
) -> TargetPolicy:
    """The hybrid agent from a model directory.

    Without ``model``: the shipped model trained for exactly this scenario when there
    is one (the single-SKU instances in ``models/single_sku/``, linear ES models
    (:class:`~hybridinv.rl.linear.LinearHybrid`), matched on the
    scenario's full description: demand, lead time, costs), else the shipped
    ``hybrid_default`` (an :class:`~hybridinv.rl.adaptive.AdaptiveHybrid`, whose
    per-SKU policy applies to any catalog size).

    Raises
    ------
    ModelFileError
        If the model is missing, corrupted or made for other feature specs.
    PlanningError
        On unknown options.

    ``service_level`` (scalar or per SKU) fixes the safety fractile of an adaptive
    hybrid's base policy (:meth:`ForecastSS.set_service_level`): how ``hybridinv tune
    --policy hybrid`` moves the hybrid along its cost/service trade-off.
    """
    service_level = options.pop("service_level", None)
    if options:
        raise PlanningError(f"unknown hybrid options {sorted(options)}", column="options")
    if model is None and scenario is not None and service_level is None:
        model = _trained_for("single_sku/*", scenario)
    # the default is the shipped model, never a folder of that name in the working directory (a path that
    # exists wins for a named model: ./hybrid_default planned with whatever it held, without a word)
    policy = Hybrid.load(models_directory() / DEFAULT_HYBRID if model is None else model, repair=repair)
    if service_level is not None:
        from hybridinv.policies.forecast_ss import ForecastSS

        base = getattr(policy, "base", None)
        if not isinstance(base, ForecastSS):
            raise PlanningError("only an adaptive hybrid (forecast-driven base) takes a service level",
                                column="service_level", value=str(model))
        base.set_service_level(service_level)
    return policy


@lru_cache(maxsize=8)
def _models_by_description(pattern: str) -> dict[tuple[str, int], Path]:
    """Shipped models in the directories matching ``pattern`` by the description and SKU count of the scenario
    they were trained on (the metadata's JSON only: the weights are hash-checked when a model is loaded)."""
    found: dict[tuple[str, int], Path] = {}
    for meta in sorted(models_directory().glob(f"{pattern}/metadata.json")):
        scenario = read_metadata(meta.parent).get("scenario")
        if isinstance(scenario, dict) and scenario.get("description"):
            found[(str(scenario["description"]), int(scenario.get("n_skus", 1)))] = meta.parent
    return found


def _trained_for(pattern: str, scenario: Scenario) -> Path | None:
    """The shipped model matching ``pattern`` trained on a scenario like ``scenario`` (None when there is none)."""
    return _models_by_description(pattern).get((scenario.description, scenario.n_skus))


def _pure(algo: str, scenario: Scenario | None, model: str | Path | None, options: dict[str, Any]) -> PureRL:
    if options:
        raise PlanningError(f"unknown {algo} options {sorted(options)}", column="options")
    if model is None:
        name = scenario.name if scenario is not None else "multi_50"
        model = models_directory() / f"{algo}_{name}"
        if scenario is not None and not model.is_dir():
            # the same instance under another name (the registry's single_sku is the suites' single_sku_L2_p9)
            model = _trained_for(f"{algo}_*", scenario) or model
    return PureRL.load(model, name=algo)


def ppo(scenario: Scenario | None = None, model: str | Path | None = None, **options: Any) -> PureRL:
    """Pure PPO (orders as actions) from ``model``, or the shipped ``models/ppo_<scenario name>``, or the
    shipped PPO model trained on a scenario of the same description."""
    return _pure("ppo", scenario, model, options)


def sac(scenario: Scenario | None = None, model: str | Path | None = None, **options: Any) -> PureRL:
    """Pure SAC (orders as actions) from ``model``, or the shipped ``models/sac_<scenario name>``, or the
    shipped SAC model trained on a scenario of the same description."""
    return _pure("sac", scenario, model, options)
