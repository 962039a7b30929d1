"""Model predictive control over a network: plan every location and SKU ``H`` periods ahead, execute period 0.

:class:`NetworkMPC` solves, each period, the certainty-equivalent LP of
:mod:`hybridinv.network.mpc_model` on the stores' forecast (the scenario's mean demand per
period, or ``demand_mean``; never the realized demand path) from the observation's on-hand,
pipeline and backorders, with every location's holding, in-transit holding, shortage, purchase
and (relaxed) fixed costs, the capacities at receipt, the purchase budget of every period and
lost sales or backorders as the scenario says. The plan's first-period supplier orders and
shipments are the wanted quantities of the scenario's network repair
(:func:`~hybridinv.network.hybrid.scenario_repair`), so the executed decisions are whole and
feasible with the repair's guarantees (stock, capacities, budget).

**Safety stock.** A certainty-equivalent plan holds none: it lands every unit just in time for
the mean demand, and with Poisson demand the stores would run out about half the periods.
Each location gets a **soft floor** on its end-of-period on-hand from the first period its own
decision of now can reach (its lead time ``L_i``) to the end of the horizon,

    F_i = z_i sigma_i sqrt(c_i),   c_i = L_i + 1 at a store, L_i above,

``sigma_i`` the standard deviation per period of the demand below ``i`` (stores independent),
priced at ``pi_i`` per unit below it and period. These are exactly the safety terms of the
echelon base-stock levels (:func:`~hybridinv.network.policies.echelon_levels_of`): without
limits, the plan orders each location up to ``sum_children S_c + L_i mu_i + F_i`` in echelon
terms, an echelon base-stock policy; when the budget or a capacity binds, the LP gives up
safety stock where it costs least, in the SKUs, locations and periods it chooses.

``z`` at a store is the newsvendor fractile of its echelon, ``Phi^{-1}(u / (u + h - h_parent))``
with the underage ``u = p - c`` under lost sales (a lost sale costs ``p`` and saves the purchase
``c``, both of which the plan counts) and ``u = p + h_parent`` under backorders (the unit is
bought anyway; the Clark–Scarf store newsvendor, which gives the exact store level of
``serial_3``); above the stores ``Phi^{-1}(upstream_service_level)`` (default 0.5: no upstream
floor, the stores' floors already pass through the echelon, as in the exact serial optimum).
Both are multiplied by ``safety_factor`` and negative ones are set to 0. The penalty is
``safety_penalty`` times ``u_s = p - c`` (lost sales) or ``p`` (backorders) at a store and half
the mean of the stores below upstream (the repair's upstream share), so store floors come
before upstream ones, and a plan keeps a store's floor at the expense of a lost sale only when
the floor would otherwise stay short for more than ``1 / safety_penalty`` periods (serving costs
``pi`` per period short plus the replacement ``c``, losing costs ``p``).

A soft floor was preferred to a quantile shift of the demand (planning on a high quantile of
demand every period): the shift inflates the demand of every period and the plan buys, and
pays the budget for, units it expects to sell, while a floor is a stock level, met once and
carried, which is what a base-stock safety stock is.

If HiGHS does not solve the LP within ``time_limit`` the period falls back to the echelon
base-stock levels the floors imply (counted in ``statistics()``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import number_array
from hybridinv.core.errors import PlanningError, number_in
from hybridinv.core.limits import MAX_SAFETY_FACTOR
from hybridinv.network.mpc_model import NetworkPlan, NetworkPlanProblem, solve_network_plan
from hybridinv.network.policies import echelon_levels_of
from hybridinv.network.repair import NetworkRepair
from hybridinv.network.repair_inputs import UPSTREAM_UNDER_SHARE
from hybridinv.network.repair_model import bad_cell
from hybridinv.network.scenarios import NetworkScenario
from hybridinv.network.state import NetworkDecision, NetworkObservation

__all__ = ["NetworkMPC", "default_horizon"]


def default_horizon(scenario: NetworkScenario) -> int:
    """Twice the longest lead time from a supplier to a store, plus 4 periods."""
    return 2 * int(scenario.network.cumulative_lead_time.max()) + 4


def _demand(values: ArrayLike | None, default: NDArray[np.float64], column: str,
            stores: tuple[str, ...], skus: tuple[str, ...]) -> NDArray[np.float64]:
    """A forecast (stores, SKUs), finite and >= 0; an error names the store and the SKU by their labels."""
    if values is None:
        return np.asarray(default, dtype=np.float64)
    arr = number_array(values, column)  # np.asarray read text "2" and True as numbers
    if arr.shape != default.shape:
        raise PlanningError(f"must have shape (stores, SKUs) = {default.shape}, got {arr.shape}", column=column)
    bad_cell(~np.isfinite(arr) | (arr < 0), arr, column, "must be finite and >= 0", stores, skus)
    return arr


@dataclass(eq=False)
class NetworkMPC:
    """Rolling-horizon LP over the network, first period executed through the network repair.

    Parameters
    ----------
    scenario : NetworkScenario
        Network, costs, lost sales or backorders, and the stores' mean and standard deviation
        of demand per period (the forecast; the demand path is never read).
    horizon : int, optional
        Planning periods ``[H]``; default :func:`default_horizon` (2 x the longest cumulative
        lead time + 4). Must exceed the longest cumulative lead time.
    safety_factor : float
        Multiplier of every safety factor ``z`` (0: plan on the mean only).
    upstream_service_level : float
        Service level of the floors above the stores, in (0, 1) (0.5: no upstream floor).
    safety_penalty : float
        Penalty per unit below a floor and period, as a share of a store's shortfall value
        (``p - c`` under lost sales, ``p`` under backorders; upstream half the mean of the stores
        below). In [0, 1).
    time_limit : float
        Seconds per LP; beyond it the period falls back to echelon base-stock.
    demand_mean, demand_std : array (stores, SKUs), optional
        Forecast per period replacing the scenario's.
    repair : NetworkRepair, optional
        Default: as :func:`~hybridinv.network.hybrid.scenario_repair` (fast backend), with the
        forecast ``demand_mean`` (default the scenario's mean) as the expected demand.
    name : str

    Raises
    ------
    PlanningError
        For an option outside its range (naming the option and the value) or a forecast of
        the wrong shape or with negative or non-finite values (a
        :class:`~hybridinv.network.LocationError` naming the store and the SKU by their labels).

    Examples
    --------
    >>> from hybridinv.network.scenarios import get
    >>> scenario = get("serial_3")
    >>> mpc = NetworkMPC(scenario)
    >>> mpc.horizon, mpc.floor_[:, 0].round(2).tolist()    # stage_3, stage_2, stage_1 (the store)
    (12, [0.0, 0.0, 2.04])
    """

    scenario: NetworkScenario
    horizon: int | None = None
    safety_factor: float = 1.0
    upstream_service_level: float = 0.5
    safety_penalty: float = 0.5
    time_limit: float = 2.0
    demand_mean: ArrayLike | None = None
    demand_std: ArrayLike | None = None
    repair: NetworkRepair | None = None
    name: str = "network_mpc"
    #: the last plan (None before the first period)
    last_plan: NetworkPlan | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        scenario = self.scenario
        longest = int(scenario.network.cumulative_lead_time.max())
        if self.horizon is None:
            self.horizon = default_horizon(scenario)
        elif isinstance(self.horizon, bool) or not isinstance(self.horizon, int | np.integer) \
                or not self.horizon > longest:
            raise PlanningError(f"horizon must be a whole number of periods > the longest cumulative lead time "
                                f"({longest})", column="horizon", value=self.horizon)
        self.horizon = int(self.horizon)
        self.safety_factor = number_in(self.safety_factor, "safety_factor", 0.0, MAX_SAFETY_FACTOR)
        self.upstream_service_level = number_in(self.upstream_service_level, "upstream_service_level", 0.0, 1.0,
                                              open_low=True, open_high=True)
        self.safety_penalty = number_in(self.safety_penalty, "safety_penalty", 0.0, 1.0, open_high=True)
        self.time_limit = number_in(self.time_limit, "time_limit", 0.0, 1e6, open_low=True)
        skus = scenario.costs.skus
        stores = tuple(scenario.network.names[s] for s in scenario.network.stores)
        self._mean = _demand(self.demand_mean, scenario.demand.mean, "demand_mean", stores, skus)
        self._std = _demand(self.demand_std, scenario.demand.std, "demand_std", stores, skus)
        if self.repair is None:  # scenario_repair with this forecast as the expected demand
            self.repair = NetworkRepair(scenario.costs, expected_demand=self._mean, backend="fast")
        self._prepare()
        self.reset()

    # ------------------------------------------------------------------ constants
    def _prepare(self) -> None:
        from scipy.special import ndtri

        scenario, network, costs = self.scenario, self.scenario.network, self.scenario.costs
        stores = network.stores
        mean = np.zeros((network.n_locations, scenario.n_skus))
        var = np.zeros_like(mean)
        mean[stores], var[stores] = self._mean, self._std**2
        mean = np.einsum("ij,jn->in", network.subtree, mean)
        std = np.sqrt(np.einsum("ij,jn->in", network.subtree, var))
        p, h = costs.shortage_cost[stores], costs.holding_cost[stores]
        parent = network.parent[stores]
        h_parent = np.where((parent >= 0)[:, None], costs.holding_cost[np.maximum(parent, 0)], 0.0)
        # a lost sale costs p and saves the purchase; a backorder's unit is bought anyway, and kept upstream
        # it costs h_parent instead of h (the Clark-Scarf store newsvendor)
        value = np.maximum(p - costs.unit_cost, 0.0) if self.scenario.lost_sales else p
        under = value if self.scenario.lost_sales else p + h_parent
        fractile = np.clip(under / np.maximum(under + np.maximum(h - h_parent, 0.0), 1e-12), 1e-6, 1 - 1e-6)
        z = np.full(mean.shape, float(ndtri(self.upstream_service_level)))
        z[stores] = ndtri(fractile)
        z = np.maximum(self.safety_factor * z, 0.0)
        lead = network.lead_time.astype(np.float64)
        cover = np.where(network.is_store, lead + 1.0, lead)[:, None]
        below = network.subtree[:, stores]  # (L, stores): the stores in each location's subtree
        weight = np.einsum("ls,sn->ln", below, value) / below.sum(axis=1)[:, None]
        #: safety floor per location and SKU (units of end-of-period on-hand)
        self.floor_ = z * std * np.sqrt(cover)
        #: penalty per unit below the floor and period
        self.floor_penalty_ = self.safety_penalty * np.where(network.is_store[:, None], weight,
                                                             UPSTREAM_UNDER_SHARE * weight)
        #: echelon levels of the fallback (the levels the floors imply without limits)
        self.levels_ = echelon_levels_of(network, mean, std, z)
        positive = costs.volume[costs.volume > 0]
        worst = max(float(costs.shortage_cost[stores].max(initial=0.0)), float(costs.unit_cost.max(initial=0.0)))
        self._capacity_penalty = 10.0 * worst / (float(positive.min()) if positive.size else 1.0) + 1.0
        self._demand = np.broadcast_to(self._mean, (int(self.horizon or 1), *self._mean.shape))

    # ------------------------------------------------------------------ diagnostics
    def reset(self) -> None:
        """Forget the counters (called by :func:`~hybridinv.network.runner.simulate_network` per seed)."""
        self._periods = 0
        self._fallbacks = 0
        self._seconds = 0.0

    def statistics(self) -> dict[str, float]:
        """Mean LP seconds per period (build and solve) and the share of periods that fell back."""
        periods = max(self._periods, 1)
        return {"mpc_seconds": self._seconds / periods, "mpc_fallback_share": self._fallbacks / periods}

    # ------------------------------------------------------------------ planning
    def problem(self, obs: NetworkObservation) -> NetworkPlanProblem:
        """This period's LP data (exposed for inspection and tests)."""
        network = self.scenario.network
        shape = (network.n_locations, self.scenario.n_skus)
        if np.shape(obs.on_hand) != shape:
            raise PlanningError(f"observation of shape {np.shape(obs.on_hand)} does not fit the scenario's "
                                f"(locations, SKUs) = {shape}", column="observation")
        return NetworkPlanProblem(
            network=network, costs=self.scenario.costs, demand=np.asarray(self._demand),
            on_hand=np.asarray(obs.on_hand, dtype=np.float64), pipeline=np.asarray(obs.pipeline, dtype=np.float64),
            backorders=np.asarray(obs.backorders, dtype=np.float64), floor=self.floor_,
            floor_penalty=self.floor_penalty_, floor_start=network.lead_time.astype(np.int64),
            lost_sales=self.scenario.lost_sales, capacity_penalty=self._capacity_penalty,
        )

    def plan(self, obs: NetworkObservation) -> NetworkPlan:
        """Solve this period's LP (the whole horizon's plan)."""
        return solve_network_plan(self.problem(obs), time_limit=self.time_limit)

    def act(self, obs: NetworkObservation) -> NetworkDecision:
        """The plan's first-period quantities, repaired into whole feasible supplier orders and shipments."""
        network = self.scenario.network
        start = time.perf_counter()
        plan = self.plan(obs)
        self.last_plan = plan
        self._seconds += time.perf_counter() - start
        self._periods += 1
        wanted: NDArray[np.float64]
        if plan.optimal:
            wanted = plan.inflow[0]
        else:
            self._fallbacks += 1
            wanted = np.maximum(np.ceil(self.levels_ - obs.echelon_position - 1e-9), 0.0)
        assert self.repair is not None
        result = self.repair(network, obs, wanted)
        return NetworkDecision(result.supplier_orders, result.shipments, wanted[network.non_roots])

    def __repr__(self) -> str:
        return (f"NetworkMPC(scenario={self.scenario.name!r}, horizon={self.horizon!r}, "
                f"safety_factor={self.safety_factor!r}, upstream_service_level={self.upstream_service_level!r})")
