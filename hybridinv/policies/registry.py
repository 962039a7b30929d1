"""Name → policy factory registry, used at the API edge (``plan``, ``bench``, CLI).

Each entry is a ``"module:function"`` path imported on first use, so naming a
policy never imports heavy dependencies (torch) unless that policy is built.
A factory has the signature ``factory(scenario: Scenario | None = None, **options) -> Policy``;
with a scenario it may tune itself to it (for example from demand statistics).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hybridinv.core.errors import PlanningError, near_names

if TYPE_CHECKING:
    from hybridinv.policies.base import Policy
    from hybridinv.sim.scenario import Scenario

__all__ = ["FACTORIES", "adopt", "available", "make", "register"]

#: Registered policies: name -> "module:function".
FACTORIES: dict[str, str] = {
    "base_stock": "hybridinv.policies.factories:base_stock",
    "ss": "hybridinv.policies.factories:ss",
    "rq": "hybridinv.policies.factories:rq",
    "capped_base_stock": "hybridinv.policies.factories:capped_base_stock",
    "newsvendor": "hybridinv.policies.factories:newsvendor",
    "dynamic_ss": "hybridinv.policies.factories:dynamic_ss",
    "forecast_capped_base_stock": "hybridinv.policies.factories:forecast_capped_base_stock",
    "forecast_ss": "hybridinv.policies.factories:forecast_ss",
    "mpc": "hybridinv.policies.factories:mpc",
    "ppo": "hybridinv.rl.factories:ppo",
    "sac": "hybridinv.rl.factories:sac",
    "hybrid": "hybridinv.rl.factories:hybrid",
}


def register(name: str, target: str) -> None:
    """Register a policy factory under ``name`` (``target`` is ``"module:function"``)."""
    FACTORIES[name] = target


def adopt(name: str, target: str) -> None:
    """Register ``name`` as ``target`` unless it already is; an empty ``target`` changes nothing.

    A worker process or a Ray worker starts with the shipped registry only: the caller sends the
    ``"module:function"`` of each policy it names (``FACTORIES.get(name, "")``) with the work, and the
    worker adopts it, so policies registered at run time resolve there too (:mod:`hybridinv.bench.runner`,
    :func:`hybridinv.reward.tune.tune`).
    """
    if target and FACTORIES.get(name) != target:
        register(name, target)


def _resolve(name: str) -> Any:
    try:
        target = FACTORIES[name]
    except KeyError:
        raise PlanningError(f"unknown policy{near_names(name, FACTORIES)}; known: {sorted(FACTORIES)}", column="policy",
                            value=name) from None
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise PlanningError(f"policy is not available here ({exc})", column="policy", value=name) from exc


def available() -> list[str]:
    """Names whose factory can be imported in this installation."""
    names = []
    for name in sorted(FACTORIES):
        try:
            _resolve(name)
        except PlanningError:
            continue
        names.append(name)
    return names


def make(name: str, scenario: Scenario | None = None, **options: Any) -> Policy:
    """Build the policy registered as ``name``, tuned to ``scenario`` when given.

    The factory sees ``scenario.for_fitting()``: a replay of held-out periods is
    replaced by the bootstrap of its training window, so no policy is fitted to
    the periods it is evaluated on.
    """
    factory = _resolve(name)
    fit_on = None if scenario is None else scenario.for_fitting()  # never fit to held-out periods
    try:
        policy: Policy = factory(fit_on, **options)
    except TypeError as exc:
        if "unexpected keyword argument" not in str(exc):
            raise
        raise PlanningError(f"policy {name!r} does not take option(s) {sorted(options)} ({exc})", column="options",
                            value=name) from None
    return policy
