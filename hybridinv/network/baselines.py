"""Base-stock levels for network scenarios: the exact serial optimum, and levels fitted per SKU.

**Levels from safety factors.** :func:`echelon_levels` builds echelon levels from the stores
up. A store covers its lead time and the review period, a location above the stores covers its
children's levels plus its own lead time:

    S_s = (L_s + 1) mu_s + z_s sigma_s sqrt(L_s + 1)                      (store)
    S_i = sum_children S_c + L_i mu_i + z_i sigma_i sqrt(L_i)              (above)

rounded up and at least 0, where ``mu_i`` and ``sigma_i`` are the mean and standard deviation
per period of the demand of the stores below ``i`` (:meth:`NetworkScenario.location_demand`).
Counting the children's levels (their safety stock included) in the warehouse's echelon level
matters: with only ``(L_0 + L_s + 1)`` periods of pooled demand the warehouse level falls below
what the stores hold and it ships out everything every period. :func:`installation_levels`
gives every location ``(L_i + 1) mu_i + z_i sigma_i sqrt(L_i + 1)``.

**Fitted levels** (:func:`fit_levels`), for scenarios without an exact optimum: each store
takes its newsvendor critical fractile per SKU, ``z = Phi^{-1}(p / (p + h))`` with the store's
shortage cost ``p`` and holding cost ``h``; the locations above the stores share one service
level ``alpha`` (``z = Phi^{-1}(alpha)``) chosen from :data:`SERVICE_GRID` by simulation on
tuning seeds (``1000, 1001, ...``, never the evaluation seeds), the policy's mean cost being
minimised on common random numbers. Optionally the stores' safety factors are shifted by a grid
of ``store_shifts`` too, and the cost minimised is ``valued_cost`` or ``cost_above_goods``
instead of ``avg_cost`` (:data:`FIT_METRICS`).

**Exact levels**: for a serial chain with textbook parameters (``scenario.serial``) the echelon
levels are the Clark–Scarf optimum of :func:`hybridinv.exact.serial_echelon_base_stock`.

:func:`make_policy` builds the policies of the ``network`` benchmark suite by name
(:data:`NETWORK_POLICIES`), MPC over the network (:class:`~hybridinv.network.mpc.NetworkMPC`) included.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, near_names, number_in, whole_number, whole_numbers
from hybridinv.network.limits import WithinLimits
from hybridinv.network.mpc import NetworkMPC
from hybridinv.network.policies import (
    EchelonBaseStock,
    InstallationBaseStock,
    echelon_levels_of,
    installation_levels_of,
)
from hybridinv.network.scenarios import NetworkScenario, network_scenario
from hybridinv.network.simulator import NetworkPolicy

__all__ = [
    "FIT_METRICS",
    "NETWORK_POLICIES",
    "SERVICE_GRID",
    "check_fit_metric",
    "echelon_levels",
    "fit_levels",
    "installation_levels",
    "make_policy",
    "store_safety_factors",
]

#: Service levels tried for the locations above the stores.
SERVICE_GRID: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.995)

#: Costs :func:`fit_levels` can minimise (:meth:`~hybridinv.network.ledger.NetworkLedger.summary` keys).
FIT_METRICS: tuple[str, ...] = ("avg_cost", "valued_cost", "cost_above_goods")

#: Policies of the ``network`` benchmark suite (see :func:`make_policy`).
NETWORK_POLICIES: tuple[str, ...] = ("echelon_base_stock", "installation_base_stock", "echelon_fair_share",
                                     "network_mpc")


def _ndtri(p: ArrayLike) -> NDArray[np.float64]:
    from scipy.special import ndtri

    return np.asarray(ndtri(np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)), dtype=np.float64)


def _factors(z: ArrayLike, shape: tuple[int, int]) -> NDArray[np.float64]:
    arr = np.asarray(z, dtype=np.float64)
    return np.broadcast_to(arr.reshape(-1, 1) if arr.ndim == 1 else arr, shape)


def echelon_levels(scenario: NetworkScenario, z: ArrayLike) -> NDArray[np.float64]:
    """Echelon levels (locations, SKUs) from safety factors ``z``: a number, one per location, or (L, n).

    Stores: ``(L_s + 1) mu_s + z_s sigma_s sqrt(L_s + 1)``; above them, the children's levels
    plus ``L_i mu_i + z_i sigma_i sqrt(L_i)`` (each rounded up, at least 0).
    """
    mean, std = scenario.location_demand()
    return echelon_levels_of(scenario.network, mean, std, _factors(z, mean.shape))


def installation_levels(scenario: NetworkScenario, z: ArrayLike) -> NDArray[np.float64]:
    """Installation levels (locations, SKUs): ``L_i + 1`` periods of the demand below ``i`` plus safety."""
    mean, std = scenario.location_demand()
    return installation_levels_of(scenario.network, mean, std, _factors(z, mean.shape))


def check_fit_metric(metric: str) -> str:
    """``metric`` when it is one of :data:`FIT_METRICS`, else :class:`PlanningError` naming it."""
    if metric not in FIT_METRICS:
        raise PlanningError(f"must be one of {list(FIT_METRICS)}", column="metric", value=metric)
    return metric


def store_safety_factors(scenario: NetworkScenario) -> NDArray[np.float64]:
    """``Phi^{-1}(p / (p + h))`` per store and SKU, shape (stores, SKUs)."""
    stores = scenario.network.stores
    p = scenario.costs.shortage_cost[stores]
    h = scenario.costs.holding_cost[stores]
    return _ndtri(p / np.maximum(p + h, 1e-12))


def fit_levels(
    scenario: NetworkScenario,
    build: Callable[[NDArray[np.float64]], NetworkPolicy],
    levels: Callable[[NetworkScenario, ArrayLike], NDArray[np.float64]] = echelon_levels,
    grid: Sequence[float] = SERVICE_GRID,
    seeds: Sequence[int] = (1000, 1001),
    periods: int | None = None,
    metric: str = "avg_cost",
    store_shifts: Sequence[float] = (0.0,),
) -> tuple[NDArray[np.float64], float]:
    """Levels with the stores' critical fractiles (optionally shifted) and the best common service level above them.

    Parameters
    ----------
    scenario : NetworkScenario
    build : callable
        ``build(levels) -> policy`` (levels of shape (locations, SKUs)).
    levels : callable
        :func:`echelon_levels` or :func:`installation_levels`.
    grid : sequence of float
        Service levels tried for the locations above the stores.
    seeds : sequence of int
        Tuning seeds (common random numbers across the grid).
    periods : int, optional
        Tuning horizon (default: the scenario's).
    metric : str
        The :meth:`~hybridinv.network.ledger.NetworkLedger.summary` cost minimised: ``avg_cost``
        (every unit charged when bought), ``valued_cost`` or ``cost_above_goods`` (the stock held
        at the end valued at unit cost; the two rank alike on common random numbers).
    store_shifts : sequence of float
        Shifts added to the stores' critical-fractile safety factors, tried for every service
        level (default: none).

    Returns
    -------
    (levels, service_level)
        The best levels (locations, SKUs) and the service level chosen.

    Raises
    ------
    PlanningError
        For a metric that is not one of the three, a service level of ``grid`` outside (0, 1), a
        shift that is not a finite number, or ``grid``, ``store_shifts`` or ``seeds`` empty
        (seeds are whole numbers >= 0).
    """
    check_fit_metric(metric)
    # a service level of 1.5 was clipped to 0.999999 and reported as 1.5, "0.9" read as 0.9, no tuning seed
    # returned the first candidate unsimulated, an empty grid or store_shifts an AssertionError
    grid = [number_in(alpha, "grid", 0.0, 1.0, open_low=True, open_high=True) for alpha in _sequence(grid, "grid")]
    store_shifts = [number_in(shift, "store_shifts", -math.inf, math.inf)
                    for shift in _sequence(store_shifts, "store_shifts")]
    seeds = whole_numbers(list(_sequence(seeds, "seeds")), "seeds", 0)
    network = scenario.network
    z = np.zeros((network.n_locations, scenario.n_skus))
    fractiles = store_safety_factors(scenario)
    upper = ~network.is_store
    paths = [scenario.demand_path(seed, periods) for seed in seeds]
    best: tuple[float, NDArray[np.float64], float] | None = None
    for alpha in grid if upper.any() else grid[:1]:
        z[upper] = float(_ndtri(alpha))
        for shift in store_shifts:
            z[network.stores] = fractiles + float(shift)
            candidate = levels(scenario, z)
            policy = build(candidate)
            cost = 0.0
            for path in paths:
                sim = scenario.simulator(periods=path.shape[0])
                cost += sim.run(policy, path).summary()[metric]
            if best is None or cost < best[0] - 1e-9:
                best = (cost, candidate, float(alpha))
    assert best is not None
    return best[1], best[2]


def _sequence(values: object, column: str) -> Sequence[object]:
    """``values`` as a non-empty sequence (a lone number or text is a caller's mistake, named)."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray) or len(values) == 0:
        raise PlanningError("must be a non-empty list", column=column, value=values)
    return list(values)


def make_policy(name: str, scenario: NetworkScenario | str, tuning_periods: int | None = None) -> NetworkPolicy:
    """A policy of the ``network`` suite, with levels for ``scenario``.

    - ``echelon_base_stock``: :class:`EchelonBaseStock` with the exact optimal levels of a
      serial chain (``scenario.serial``), else the fitted levels (:func:`fit_levels`);
    - ``installation_base_stock``: :class:`InstallationBaseStock`, for a serial chain the exact
      optimum's local levels ``S_j - S_{j-1}``, else fitted installation levels;
    - ``echelon_fair_share``: echelon base-stock whose supplier orders are cut to the budget
      and the warehouse's projected space (:class:`~hybridinv.network.limits.WithinLimits`),
      levels fitted with the cut in place (serial: the exact levels);
    - ``network_mpc``: :class:`~hybridinv.network.mpc.NetworkMPC` with its default options (no
      fitting: its safety floors come from the costs and the demand's standard deviation).

    ``scenario`` is a :class:`NetworkScenario` or a registered name, as :func:`simulate_network` takes.

    Raises
    ------
    PlanningError
        For an unknown name, a ``scenario`` that is neither a network scenario nor a registered name,
        ``tuning_periods`` not a whole number >= 1 (until 2026-12-06 the scenario's name was an
        AttributeError, and a bad ``tuning_periods`` an error naming ``periods``).
    """
    scenario = network_scenario(scenario)
    if tuning_periods is not None:
        tuning_periods = whole_number(tuning_periods, "tuning_periods", 1)
    network = scenario.network
    if name not in NETWORK_POLICIES:
        raise PlanningError(f"unknown network policy{near_names(name, NETWORK_POLICIES)}; known: "
                            f"{list(NETWORK_POLICIES)}", column="policy", value=name)
    if name == "network_mpc":
        return NetworkMPC(scenario)
    exact = scenario.serial.exact() if scenario.serial is not None else None
    if name == "installation_base_stock":
        if exact is not None:
            return InstallationBaseStock(network, scenario.serial.to_locations(exact.local_levels))  # type: ignore[union-attr]
        levels, _ = fit_levels(scenario, lambda lv: InstallationBaseStock(network, lv), installation_levels,
                               periods=tuning_periods)
        return InstallationBaseStock(network, levels)
    if name == "echelon_base_stock":
        if exact is not None:
            return EchelonBaseStock(network, scenario.serial.to_locations(exact.levels))  # type: ignore[union-attr]
        levels, _ = fit_levels(scenario, lambda lv: EchelonBaseStock(network, lv), periods=tuning_periods)
        return EchelonBaseStock(network, levels)
    if exact is not None:
        return WithinLimits(EchelonBaseStock(network, scenario.serial.to_locations(exact.levels)),  # type: ignore[union-attr]
                            scenario, name)
    levels, _ = fit_levels(scenario, lambda lv: WithinLimits(EchelonBaseStock(network, lv), scenario),
                           periods=tuning_periods)
    return WithinLimits(EchelonBaseStock(network, levels), scenario, name)
