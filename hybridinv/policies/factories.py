"""Factories of the classical policies, one per name in :mod:`hybridinv.policies.registry`.

Each factory has the signature ``factory(scenario=None, **options) -> Policy``.
With a scenario, parameters come from its demand process, lead times and costs
(critical-fractile base-stock levels per SKU, EOQ batches, ...). Without one,
the policy fits itself from the first observation it sees (catalog
``demand_mean``/``demand_std`` where known, else the one-period forecast), which
is what :func:`hybridinv.plan` needs. Options are passed to the policy class;
unknown options raise ``TypeError`` (no silent acceptance of misspellings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.policies.base import Decision, TargetPolicy, fitted_on, mark_fitted
from hybridinv.policies.classical import SS, BaseStock
from hybridinv.policies.dynamic import DynamicSS
from hybridinv.policies.forecast_ss import ForecastSS
from hybridinv.policies.newsvendor import Newsvendor
from hybridinv.policies.rq import RQ, CappedBaseStock, ForecastCappedBaseStock

if TYPE_CHECKING:
    from hybridinv.policies.mpc import MPC
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "FitOnFirstUse",
    "base_stock",
    "capped_base_stock",
    "dynamic_ss",
    "forecast_capped_base_stock",
    "forecast_ss",
    "mpc",
    "newsvendor",
    "rq",
    "ss",
]


class FitOnFirstUse:
    """A policy built from the first observation it sees (for use without a scenario).

    Parameters
    ----------
    build : callable
        ``build(observation) -> TargetPolicy``.
    name : str
        Registry name reported in results.
    """

    def __init__(self, build: Callable[[Observation], TargetPolicy], name: str) -> None:
        self.build = build
        self.name = name
        self.policy_: TargetPolicy | None = None

    def reset(self, scenario: Scenario | None = None) -> None:
        """Forget the fitted policy when a new scenario starts (it may have other SKUs)."""
        if scenario is not None:
            self.policy_ = None

    def _policy(self, obs: Observation) -> TargetPolicy:
        if self.policy_ is None or not fitted_on(self, obs, ()):  # another catalog: the next plan() call
            self.policy_ = self.build(obs)
            mark_fitted(self, obs)
        return self.policy_

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self._policy(obs).targets(obs)

    def decide(self, obs: Observation) -> Decision:
        return self._policy(obs).decide(obs)

    def act(self, obs: Observation) -> NDArray[np.float64]:
        return self.decide(obs).orders

    def __repr__(self) -> str:
        return f"FitOnFirstUse({self.name!r}, fitted={self.policy_!r})"


def _no_fit_options(given: str, service_level: float | None, safety_factor: ArrayLike) -> None:
    """Refuse fit options beside given levels (they were dropped without a word)."""
    if service_level is not None:
        raise PlanningError(f"applies to fitted levels only; {given} given", column="service_level",
                            value=service_level)
    if not (np.ndim(safety_factor) == 0 and safety_factor == 1.0):
        raise PlanningError(f"applies to fitted levels only; {given} given", column="safety_factor",
                            value=safety_factor)


def base_stock(
    scenario: Scenario | None = None,
    level: ArrayLike | None = None,
    service_level: float | None = None,
    safety_factor: ArrayLike = 1.0,
    repair: str | None = "auto",
) -> BaseStock | FitOnFirstUse:
    """Base-stock policy; critical-fractile levels per SKU unless ``level`` is given.

    See :meth:`hybridinv.policies.classical.BaseStock.fit`.
    """
    if level is not None:
        _no_fit_options("level", service_level, safety_factor)
        return BaseStock(level, repair=repair)
    if scenario is not None:
        return BaseStock.fit(scenario, service_level, safety_factor, repair)
    return FitOnFirstUse(lambda obs: BaseStock.fit(obs, service_level, safety_factor, repair), "base_stock")


def ss(
    scenario: Scenario | None = None,
    s: ArrayLike | None = None,
    S: ArrayLike | None = None,  # noqa: N803
    service_level: float | None = None,
    safety_factor: ArrayLike = 1.0,
    repair: str | None = "auto",
) -> SS | FitOnFirstUse:
    """(s, S) policy; fitted levels (critical-fractile ``s``, ``S = s + EOQ``) unless both are given.

    See :meth:`hybridinv.policies.classical.SS.fit`.
    """
    if (s is None) != (S is None):  # one level alone was dropped and both were fitted
        raise PlanningError("give both s and S, or neither (fitted)", column="s" if S is None else "S",
                            value=s if S is None else S)
    if s is not None and S is not None:
        _no_fit_options("s and S", service_level, safety_factor)
        return SS(s, S, repair=repair)
    if scenario is not None:
        return SS.fit(scenario, service_level, safety_factor, repair)
    return FitOnFirstUse(lambda obs: SS.fit(obs, service_level, safety_factor, repair), "ss")


def rq(scenario: Scenario | None = None, **options: Any) -> RQ:
    """(R, Q) policy (:class:`~hybridinv.policies.rq.RQ`), fitted to ``scenario`` when given."""
    policy = RQ(**options)
    return policy.fit(scenario) if scenario is not None else policy


def capped_base_stock(scenario: Scenario | None = None, **options: Any) -> CappedBaseStock:
    """Capped base-stock (:class:`~hybridinv.policies.rq.CappedBaseStock`), fitted when a scenario is given."""
    policy = CappedBaseStock(**options)
    return policy.fit(scenario) if scenario is not None else policy


def forecast_capped_base_stock(scenario: Scenario | None = None, **options: Any) -> ForecastCappedBaseStock:
    """Capped base-stock on the forecast (:class:`~hybridinv.policies.rq.ForecastCappedBaseStock`).

    Nothing to fit: level and cap follow each period's forecast. ``capacity_price`` and
    ``safety_factor`` are options (the benchmarks use ``safety_factor=1, capacity_price=5``
    on ``multi_50``, chosen by simulation on seeds 200-219).
    """
    return ForecastCappedBaseStock(**options)


def forecast_ss(scenario: Scenario | None = None, **options: Any) -> ForecastSS:
    """Forecast-driven (s, S) (:class:`~hybridinv.policies.forecast_ss.ForecastSS`), the hybrid's base.

    Nothing to fit: levels, batches and caps follow each period's forecast and the catalog's costs.
    """
    return ForecastSS(**options)


def newsvendor(scenario: Scenario | None = None, **options: Any) -> Newsvendor:
    """Forecast-driven newsvendor policy (:class:`~hybridinv.policies.newsvendor.Newsvendor`)."""
    policy = Newsvendor(**options)
    return policy.fit(scenario) if scenario is not None else policy


def dynamic_ss(scenario: Scenario | None = None, **options: Any) -> DynamicSS:
    """Dynamic (s, S) (:class:`~hybridinv.policies.dynamic.DynamicSS`)."""
    policy = DynamicSS(**options)
    return policy.fit(scenario) if scenario is not None else policy


def mpc(scenario: Scenario | None = None, **options: Any) -> MPC:
    """Rolling-horizon MILP (:class:`~hybridinv.policies.mpc.MPC`); reads everything from the observation."""
    from hybridinv.policies.mpc import MPC

    return MPC(**options)
