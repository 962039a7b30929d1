"""Model predictive control: plan a rolling horizon with the lot-sizing MILP, execute the first period.

:class:`MPC` fills a :class:`~hybridinv.policies.lot_sizing.LotSizingProblem` from
each period's observation (forecast, safety stock from the forecast's standard
deviation, open orders, constraints), solves it with HiGHS
(:func:`~hybridinv.policies.lot_sizing.solve_lot_sizing`; the model is described
in :mod:`hybridinv.policies.lot_sizing`) and orders the first period's quantities.

References
----------
Rawlings, J. B., Mayne, D. Q. and Diehl, M. (2017). *Model Predictive Control*, 2nd ed. Nob Hill.
Pochet, Y. and Wolsey, L. A. (2006). *Production Planning by Mixed Integer Programming*. Springer.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, SolverFallbackWarning, flag, number_in, whole_number
from hybridinv.core.limits import MAX_PERIODS
from hybridinv.core.lots import lots_covering
from hybridinv.core.projection import capacity_rows
from hybridinv.policies.base import Decision, TargetPolicy, needs_repair
from hybridinv.policies.lot_sizing import LotSizingProblem, LotSizingSolution, solve_lot_sizing
from hybridinv.policies.newsvendor import normal_quantile

if TYPE_CHECKING:
    from hybridinv.repair.result import RepairResult
    from hybridinv.sim.observation import Observation

# the lot-sizing model is public under this module too (it was defined here before)
__all__ = ["FALLBACK_GAP", "MPC", "LotSizingProblem", "LotSizingSolution", "plan_objective", "solve_lot_sizing"]

#: Relative gap of the MILP incumbent above which (or without an incumbent) MPC orders the LP
#: relaxation's period-0 quantities made whole and feasible by the repair layer instead.
FALLBACK_GAP = 0.05
#: Most SKU-periods (SKUs x horizon) one MPC model may have. The horizon is the longest lead time + 4 for every
#: SKU, so one SKU with a lead time of 520 made a 1,000-SKU model of 524,000 SKU-periods that grew past 3.5 GB
#: and ran for minutes (10,000 SKUs: killed at 23 GB); 10,000 SKUs at lead time 8 (120,000) take about 2 minutes.
MAX_SKU_PERIODS = 250_000


def plan_objective(problem: LotSizingProblem, first_orders: ArrayLike, time_limit: float | None = None) -> float:
    """The model's objective with the period-0 orders fixed at ``first_orders`` (the rest re-optimized).

    The fixed orders become open orders arriving at their lead time and period 0 may order
    nothing more; their purchase and fixed order costs are added. With MPC's
    ``integer_periods=1`` the rest is a linear program, so this is the exact optimum of the
    MILP restricted to those period-0 orders (for a SKU whose later lots MPC keeps integer,
    :meth:`MPC.integer_periods_by_sku`, its relaxation: a lower bound). ``inf`` when the LP does
    not solve in time.
    """
    orders = np.maximum(np.asarray(first_orders, dtype=np.float64), 0.0)
    n, periods = problem.shape
    lead = problem.lead_time[:, 0]
    scheduled = problem.scheduled.copy()
    reaches = np.flatnonzero(lead < periods)
    scheduled[reaches, lead[reaches]] += orders[reaches]
    upper = problem.order_upper
    upper = (upper if upper.ndim == 2 else np.repeat(upper[:, None], periods, axis=1)).copy()
    upper[:, 0] = 0.0
    rest = solve_lot_sizing(replace(problem, scheduled=scheduled, order_upper=upper), relax=True,
                            time_limit=time_limit)
    if rest.status != "Optimal":
        return math.inf
    weight = 1.0 if problem.period_weight is None else float(problem.period_weight[0])
    first = problem.purchase_weight * float(problem.unit_cost @ orders) + float(problem.order_cost @ (orders > 0))
    # the fixed orders joined the open orders, whose value the objective's constant charges: it was paid above
    charged = 0.0 if problem.stock_value is None else float(problem.stock_value @ orders)
    return float(rest.objective) + weight * (first - charged)


def _relative_gap(objective: float, bound: float) -> float:
    """``(objective - bound) / max(|objective|, 1)``; inf without an incumbent or a finite bound."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    return max(objective - bound, 0.0) / max(abs(objective), 1.0)


class MPC(TargetPolicy):
    """Rolling-horizon MILP: plan ``horizon`` periods on the forecast, execute the first.

    Each period the policy builds a :class:`LotSizingProblem` from the
    observation -- forecast demand ``obs.forecast(H)``, planned lead times, open
    orders, MOQ, lots, max order, fixed order costs, per-period budget and the
    receipt-time warehouse capacity (soft beyond period 0) -- with a soft
    safety-stock floor ``z_i sqrt(sum_{k<=L_i} s_ik^2)`` under the stock at the end of
    period ``L_i`` (``s`` from ``obs.forecast_std``, ``z_i`` from :meth:`safety_factors`:
    the fractile of the margin ``m = p - w c`` with lost sales and ``p`` with backorders,
    net of the warehouse's space price, no safety stock when ``m <= 0``) and the stock
    left at the horizon's end credited at
    ``w c`` (``w`` = ``purchase_cost_weight``), solves it with HiGHS and orders the
    first period's quantities. Perishable stock (``shelf_life > 0``) expires in the model as in
    the simulator, oldest units issued first (:mod:`hybridinv.policies.expiry`): the units on hand
    expire as their age says (:attr:`Observation.stock_by_life
    <hybridinv.sim.observation.Observation.stock_by_life>`; when planning, from ``plan(stock_ages=...)``,
    and the units it does not list as if just received), orders after their shelf life, and each expired
    unit costs its purchase plus the scenario's ``waste_cost``.

    The first period's orders are feasible by construction: lots, MOQ and max
    order are variable domains, the budget is a hard row, and the capacity rows
    the simulator checks (:func:`hybridinv.core.projection.capacity_rows` with
    the expected demand) are added as hard rows on period-0 orders. Zero orders
    are always feasible, so the model never fails to have a solution. Hard rows
    below 1 are scaled to 1 and period-0 orders that cannot fit a row alone are
    fixed at 0 (HiGHS's feasibility tolerance of 1e-7 is absolute). Whenever a
    rule applies, the orders then go through
    :func:`~hybridinv.repair.repair_orders` as a check: feasible orders come back
    unchanged, and rows no order can meet (stock already above the capacity)
    are reported in ``decision.repair.diagnostics.violations`` with a
    :class:`~hybridinv.ConstraintViolationWarning`, as for the other policies.

    Parameters
    ----------
    horizon : int, optional
        Planning periods ``[H]``, at most :data:`~hybridinv.core.limits.MAX_PERIODS`
        (default: max lead time + 4). A model of more than :data:`MAX_SKU_PERIODS` SKUs x
        periods is refused (a ``PlanningError`` naming the longest-lead SKU).
    safety_factor : float
        Multiplier of the safety-stock target (0 = plan on the mean only).
    safety_penalty : float
        Penalty per unit below the safety-stock floor (at the end of the first period an
        order placed now reaches), as a share of the shortage cost ``p``.
    purchase_cost_weight : float
        Weight of the unit purchase cost in the objective. 1 (default) is the
        simulator's full cost; 0 treats purchases of units that will be sold as
        recovered by revenue (useful when the catalog's shortage cost is a pure
        goodwill penalty below the unit cost).
    time_limit : float or None
        Wall-clock seconds per solve; None (default) sets none, so the plan depends only
        on the inputs. A limit bounds the decision time but makes plans depend on the
        machine's speed and load.
    warm_start : bool
        Solve the LP relaxation first, make its period-0 quantities whole and feasible with the repair
        layer, and give them to the MILP as its start (a HiGHS partial start: period-0 lots and order
        indicators). HiGHS then holds an incumbent when its root node is solved and stops there when that
        incumbent is within ``mip_rel_gap`` of the bound, instead of separating cuts until a heuristic
        finds one: the plan carries the same certificate (``decision.extra["mpc"]["gap"]``) but may be one
        the cuts would have improved on. Off by default: 4-6x faster on the ``plan()`` benchmark's catalogs
        at an objective 0.1% higher (benchmarks/RESULTS.md, *MPC with a warm start*), but on the car-parts
        backtest 6.2% dearer a month than the cold solve (docs/policies.md, *Warm start*): a plan within 1%
        of the model's bound can still be a poor one.
        ``decision.extra["mpc"]`` says whether it was used (``warm_start``) and the seconds its LP and
        repair took (``start_seconds``; ``seconds`` is the MILP's).
    node_limit : int or None
        Branch-and-bound nodes per solve (HiGHS ``mip_max_nodes``; default 100): a work
        limit that gives the same plan on every machine. Each solve ends at the MIP gap,
        the node limit or the time limit, whichever comes first; MPC then keeps the best
        incumbent if its relative gap is at most :data:`FALLBACK_GAP` (5%). Otherwise (no
        incumbent, or a poor one) MPC also tries relax-and-round: the LP relaxation's
        period-0 quantities go to the repair layer as desired orders, which makes them
        whole and feasible, and these orders replace the incumbent's when the model's own
        objective with them (:func:`plan_objective`, the rest of the horizon re-optimized)
        is lower (``decision.extra["mpc"]["fallback"]``: ``"lp_repaired"`` or
        ``"incumbent_kept"``; ``"no_plan"`` with a :class:`~hybridinv.SolverFallbackWarning`
        when a ``time_limit`` ended both the MILP and the LP without a plan: no orders).
        Measured (one thread; benchmarks/RESULTS.md): HiGHS closes the gap at the root node in
        0.17 s a period on multi_50 (at most 0.56 s), ~0.4 s a month on the 767-SKU hospital backtest and
        ~19 s a month on the 2,509-SKU car-parts backtest (docs/policies.md has the figures before the
        safety-stock floor, and the 10,000-SKU ``plan()`` time).
    mip_rel_gap : float
        Relative MIP gap.
    integer_periods : int
        Leading periods with integer lots and order indicators; later periods are
        LP-relaxed (they are re-planned before being executed). 1 keeps the
        50-SKU model within ~0.5 s per period. SKUs whose smallest order (a lot, at
        least the MOQ) exceeds their forecast demand over the whole horizon keep integer lots over
        it (:meth:`integer_periods_by_sku`): relaxed, they planned a fraction
        of a lot for the next period in every plan and were never ordered.
    repair : str or None
        Backend of the repair check of the MILP's orders (None, the default:
        ``"fast"``, which returns feasible orders unchanged).
    cover_periods : int
        Families of (l, S) valid inequalities for SKUs with fixed costs or MOQs (0, the default:
        none). They make the relaxed later periods charge a fixed cost the way whole orders do,
        so a SKU whose fixed cost the relaxation spread thin is ordered: one SKU with ``K = 150``,
        demand 10, ``p = 5`` and ``horizon=8`` cost 48.4 a period unordered and 34.9 with 4
        (an (s, S) rule 39.4), but ``multi_10`` cost 2.3% more at twice the time (docs/policies.md).
    capacity_utilization : float or None
        Share of the warehouse the safety stock, next period's demand and half a batch may
        plan to fill (:meth:`safety_factors`); None prices no space (docs/policies.md has
        the measurements of the fix that introduced it).

    References
    ----------
    Rawlings, Mayne & Diehl (2017); Pochet & Wolsey (2006); see the module docstring.
    """

    name = "mpc"

    def __init__(
        self,
        horizon: int | None = None,
        safety_factor: float = 1.0,
        safety_penalty: float = 0.5,
        purchase_cost_weight: float = 1.0,
        time_limit: float | None = None,
        mip_rel_gap: float = 1e-2,
        node_limit: int | None = 100,
        integer_periods: int = 1,
        repair: str | None = None,
        capacity_utilization: float | None = 0.7,
        cover_periods: int = 0,
        warm_start: bool = False,
    ) -> None:
        super().__init__(repair)
        self.warm_start = flag(warm_start, "warm_start")
        self.cover_periods = whole_number(cover_periods, "cover_periods", 0)
        self.capacity_utilization = None if capacity_utilization is None else number_in(
            capacity_utilization, "capacity_utilization", 0.0, 1.0, open_low=True)
        self.horizon = None if horizon is None else whole_number(horizon, "horizon", 1)
        if self.horizon is not None and self.horizon > MAX_PERIODS:  # 1e308 overflowed np.arange in act()
            raise PlanningError(f"must be at most {MAX_PERIODS:,} periods", column="horizon", value=horizon)
        self.safety_factor = number_in(safety_factor, "safety_factor", 0.0, math.inf)
        self.safety_penalty = number_in(safety_penalty, "safety_penalty", 0.0, math.inf)
        self.purchase_cost_weight = number_in(purchase_cost_weight, "purchase_cost_weight", 0.0, math.inf)
        self.time_limit = (None if time_limit is None
                           else number_in(time_limit, "time_limit", 0.0, math.inf, open_low=True))
        self.node_limit = None if node_limit is None else whole_number(node_limit, "node_limit", 1)
        self.mip_rel_gap = number_in(mip_rel_gap, "mip_rel_gap", 0.0, 1.0, open_high=True)
        self.integer_periods = whole_number(integer_periods, "integer_periods", 0)

    def problem(self, obs: Observation) -> LotSizingProblem:
        """The lot-sizing model of this period (exposed for inspection and tests)."""
        cat = obs.catalog
        cons = obs.constraints
        lead = cat.lead_time
        horizon = int(self.horizon or int(lead.max()) + 4)
        if horizon <= int(lead.max()):
            raise PlanningError("horizon must exceed the longest lead time", column="horizon", value=horizon)
        if cat.n_skus * horizon > MAX_SKU_PERIODS:
            size = (f"an MPC model of {cat.n_skus:,} SKUs x {horizon} periods ({cat.n_skus * horizon:,} SKU-periods) "
                    f"is above {MAX_SKU_PERIODS:,} (MAX_SKU_PERIODS: memory and minutes of solving)")
            if self.horizon is not None:  # the user's horizon, not a lead time (the message blamed the longest one)
                raise PlanningError(f"{size}: give a shorter horizon, split the catalog, or use another policy",
                                    column="horizon", value=horizon)
            longest = int(np.argmax(lead))
            raise PlanningError(
                f"{size}; the horizon is set by the longest lead time ({int(lead[longest])}, SKU "
                f"{str(cat.sku[longest])!r}) for every SKU: plan long-lead SKUs in a call of their own, split the "
                "catalog, or use another policy", column="lead_time", sku=str(cat.sku[longest]),
                value=int(lead[longest]))
        demand = obs.forecast(horizon)
        backorders = obs.backorders
        if obs.lost_sales and bool((backorders > 0).any()):
            # owed units under lost sales (plan() warns about them) are first-period demand that may be lost: as
            # a negative starting stock no lost sale could cover them before the first arrival, the model was
            # infeasible and MPC ordered nothing for every SKU
            demand = demand.copy()
            demand[:, 0] += backorders
            backorders = np.zeros_like(backorders)
        sigma = obs.forecast_std(horizon)
        z = self.safety_factors(obs)
        protection = np.arange(horizon)[None, :] <= lead[:, None]
        safety = np.maximum(z, 0.0) * np.sqrt((sigma**2 * protection).sum(axis=1))
        pipeline = obs.pipeline
        scheduled = np.zeros((cat.n_skus, horizon))
        width = min(pipeline.shape[1], horizon)
        scheduled[:, :width] = pipeline[:, :width]
        scheduled[:, horizon - 1] += pipeline[:, width:].sum(axis=1)
        # a backlog (backorders) is owed on top of the horizon's demand: without it a backlog of 10,000 units
        # could be worked down by at most the horizon's demand (1,045 units ordered, 14,507 of a 100,000 budget)
        upper = np.ceil((demand.sum(axis=1) + backorders + safety + cat.moq + cat.lot_size) / cat.lot_size)
        order_upper = np.minimum(cat.max_order, upper * cat.lot_size)
        first_rows = None
        if cons.has_capacity:
            rows = capacity_rows(cat.volume, lead, obs.on_hand, pipeline, obs.forecast(int(lead.max()) + 1),
                                 cons.capacity, obs.backorders)
            first_rows = (rows.row, rows.residual)
        member, limits = None, None
        perishable = bool(cat.perishable.any())
        if cons.supplier_capacity:
            _, member, limits = cons.supplier_rows(cat)
        return LotSizingProblem(
            demand=demand,
            lead_time=np.broadcast_to(lead[:, None], (cat.n_skus, horizon)),
            on_hand=obs.on_hand,
            backorders=backorders,
            scheduled=scheduled,
            holding_cost=cat.holding_cost,
            shortage_cost=cat.shortage_cost,
            unit_cost=cat.unit_cost,
            order_cost=cat.order_cost,
            lot_size=cat.lot_size,
            moq=cat.moq,
            order_upper=order_upper,
            volume=cat.volume,
            lost_sales=obs.lost_sales,
            purchase_weight=self.purchase_cost_weight,
            capacity=cons.capacity,
            budget=cons.budget,
            supplier_member=member,
            supplier_limits=limits,
            safety_stock=safety,
            safety_penalty=self.safety_penalty * cat.shortage_cost,
            stock_value=self.purchase_cost_weight * cat.unit_cost,
            # credited up to what a base-stock plan wants at the end (safety + L + 1 periods of the last
            # forecast): with no holding cost, stock credited without limit was free and was bought to the bound
            stock_value_limit=safety + (lead + 1.0) * demand[:, -1],
            capacity_penalty=10.0 * float(cat.shortage_cost.max()) / max(float(cat.volume.min()), 1e-6) + 1.0,
            first_period_rows=first_rows,
            integer_periods=self.integer_periods_by_sku(demand, cat.lot_size, cat.moq),
            # the (l, S) rows tighten the bound but slowed HiGHS's incumbent search at a 0.5 s limit;
            # measured on multi_50: fill rate 0.18 with them vs 0.81 without (benchmarks/bench_mpc.py)
            cover_periods=self.cover_periods,
            # perishables expire with FIFO issuing, as in the simulator (None: nothing perishable, no expiry rows)
            shelf_life=cat.shelf_life if perishable else None,
            on_hand_life=obs.stock_by_life if perishable else None,
            waste_cost=np.full(cat.n_skus, float(obs.waste_cost)) if perishable else None,
        )

    def integer_periods_by_sku(self, demand: NDArray[np.float64], lot_size: NDArray[np.float64],
                               moq: NDArray[np.float64]) -> NDArray[np.int64]:
        """Leading integer periods per SKU: ``integer_periods``, or the whole horizon for a SKU whose smallest
        order (a lot, at least the MOQ) is a batch of more than one unit and exceeds its forecast demand over
        the whole horizon.

        Relaxed, such a SKU bought a tenth of a lot next period in every plan, so the re-planned next
        period again lost its demand and waited for a fraction: MPC never ordered it (lot 100 at a demand
        of 10 and a 4-period horizon: fill rate 0 where an (s, S) rule reached 0.997). Smaller lots
        stay relaxed: at a lot above one period's demand (22 of multi_50's SKUs) the integer horizon cost
        3.5x the time for the same cost (21,801 vs 21,775 a period over 26 periods). A unit lot stays
        relaxed too, whatever the demand: with it, the 2,509 intermittent series of the car-parts backtest
        (no lots, many below one unit a horizon) cost 3.4% more (89,370.7 a month against 86,416.3; fill
        rate 0.701 against 0.695): the whole units it then bought for parts that sell less than one unit in
        four months cost more than the sales they saved.
        """
        smallest = np.maximum(lots_covering(moq, lot_size), 1.0) * lot_size  # as the lot-sizing model's minimum
        # a batch (a lot or MOQ above one unit): a unit lot's fraction is a purchase rate, not a lot never bought
        lumpy = (smallest > demand.sum(axis=1)) & (smallest > 1.0)
        return np.where(lumpy, demand.shape[1], self.integer_periods).astype(np.int64)

    def safety_factors(self, obs: Observation) -> NDArray[np.float64]:
        """``z_i = Phi^-1(m_i / (m_i + h_i + lambda v_i))`` times ``safety_factor`` (0 where ``m_i <= 0``).

        ``m`` is what a unit short costs once its purchase is charged as the model charges it
        (``p - w c`` with lost sales, ``p`` with backorders; ``w`` = ``purchase_cost_weight``),
        ``lambda`` the warehouse's space price of :meth:`ForecastSS.space_price_for
        <hybridinv.policies.forecast_ss.ForecastSS.space_price_for>` at ``capacity_utilization``
        (0 without a capacity or with ``capacity_utilization=None``): the multi-item newsvendor
        under a storage constraint, so the safety stock fits the warehouse.
        """
        from hybridinv.policies.forecast_ss import FRACTILE_BOUNDS, ForecastSS, safety_fractile

        cat = obs.catalog
        margin = cat.shortage_cost - (self.purchase_cost_weight * cat.unit_cost if obs.lost_sales else 0.0)
        price = ForecastSS(safety_factor=self.safety_factor, capacity_utilization=self.capacity_utilization,
                           repair=None).space_price_for(obs, margin)
        fractile = np.clip(safety_fractile(cat, price, obs.lost_sales, margin), *FRACTILE_BOUNDS)
        return np.asarray(np.where(margin > 0, normal_quantile(fractile), 0.0) * self.safety_factor, dtype=np.float64)

    def decide(self, obs: Observation) -> Decision:
        problem = self.problem(obs)
        began = time.perf_counter()
        relaxed = self._relaxed_orders(problem) if self.warm_start else None
        start = None if relaxed is None else self._repair(obs, relaxed, warn=False).orders  # warned below if used
        start_seconds = time.perf_counter() - began
        limit = self.time_limit
        if limit is not None and relaxed is not None:  # the LP took its share of the time
            limit = max(limit - start_seconds, 1e-3)
        solution = solve_lot_sizing(problem, time_limit=limit, mip_rel_gap=self.mip_rel_gap,
                                    node_limit=self.node_limit, start_orders=start)
        gap = _relative_gap(solution.objective, solution.bound)
        orders = solution.orders[:, 0]
        objective = solution.objective
        candidate = None
        if not gap <= FALLBACK_GAP:  # no incumbent (gap inf) or a poor one at the node or time limit
            candidate = self._relax_and_round(obs, problem, relaxed)
            if not math.isfinite(objective):  # no incumbent: zero orders are the plan to beat
                orders = np.zeros(obs.n_skus)
                if candidate is not None:
                    objective = plan_objective(problem, orders, self.time_limit)
        fallback = None
        if candidate is not None:
            fallback = "lp_repaired" if candidate[2] < objective else "incumbent_kept"
        elif not math.isfinite(solution.objective):  # neither the MILP nor its LP gave a plan within the limits
            fallback = "no_plan"
            if not obs.simulated:
                warnings.warn(
                    f"MPC: HiGHS found no plan within time_limit={self.time_limit!r} s (MILP status "
                    f"{solution.status!r}, LP relaxation unfinished); ordering nothing this period. "
                    "Leave time_limit=None (the default) or raise it.",
                    SolverFallbackWarning, stacklevel=2,
                )
        # under their own key: plan() merges decision.extra into its diagnostics, whose objective,
        # bound, gap and seconds belong to the repair certificate and the whole call
        extra = {"mpc": {"status": solution.status, "objective": solution.objective, "bound": solution.bound,
                         "gap": gap, "fallback": fallback,
                         "fallback_objective": None if candidate is None else candidate[2],
                         "seconds": solution.seconds, "plan": solution.orders,
                         "warm_start": relaxed is not None,
                         "start_seconds": start_seconds if self.warm_start else 0.0, **solution.diagnostics}}
        if candidate is not None and fallback == "lp_repaired":
            desired, repaired, _ = candidate
            return Decision(repaired.orders, desired, repair=repaired, extra=extra)
        if not needs_repair(obs):
            return Decision(orders, orders.copy(), extra=extra)
        # the MILP's orders are feasible by construction up to solver tolerances; the repair layer checks
        # them exactly (feasible orders come back unchanged) and reports rows no order can meet
        # (stock already above capacity), as for every repaired policy
        result = self._repair(obs, orders)
        return Decision(result.orders, orders.copy(), repair=result, extra=extra)

    def _repair(self, obs: Observation, orders: NDArray[np.float64], warn: bool = True) -> RepairResult:
        from hybridinv.repair import repair_orders

        return repair_orders(
            orders,
            obs.catalog,
            obs.state(),
            obs.constraints,
            backend=self.repair or "fast",
            expected_demand=obs.forecast(int(obs.catalog.lead_time.max()) + 1),
            warn=warn and not obs.simulated,
        )

    def _relaxed_orders(self, problem: LotSizingProblem) -> NDArray[np.float64] | None:
        """The LP relaxation's period-0 quantities (>= 0), None when the LP does not solve (in time)."""
        relaxed = solve_lot_sizing(problem, relax=True, time_limit=self.time_limit)
        if relaxed.status != "Optimal":
            return None
        return np.maximum(relaxed.orders[:, 0], 0.0)

    def _relax_and_round(
        self, obs: Observation, problem: LotSizingProblem, relaxed: NDArray[np.float64] | None = None,
    ) -> tuple[NDArray[np.float64], RepairResult, float] | None:
        """The LP relaxation's period-0 quantities, made whole and feasible by the repair, and their objective.
        ``relaxed``: those quantities when the warm start solved the LP already."""
        desired = self._relaxed_orders(problem) if relaxed is None else relaxed
        if desired is None:
            return None
        repaired = self._repair(obs, desired)
        return desired, repaired, plan_objective(problem, repaired.orders, self.time_limit)

    def __repr__(self) -> str:
        return (f"MPC(horizon={self.horizon!r}, safety_factor={self.safety_factor!r}, "
                f"capacity_utilization={self.capacity_utilization!r})")
