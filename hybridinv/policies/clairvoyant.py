"""Perfect-information lower bounds: the clairvoyant plan on a realized path.

:func:`clairvoyant_bound` solves the multi-SKU lot-sizing model of
:mod:`hybridinv.policies.mpc` on the realized demand, lead times and delivered
fractions of ``scenario.sample(seed)``, with the scenario's costs and rules.
Its optimal value, divided by the measured periods, is a lower bound on the
``avg_cost`` (:mod:`hybridinv.sim.ledger`) of every non-anticipative policy
whose orders respect the hard ordering rules, simulated on the same seed, or with
``basis="valued"`` on their ``valued_cost``.

With a warm-up, ``avg_cost`` charges nothing for the units bought in it, though they
are sold in the measured periods: the purchases-basis model buys the measured
window's stock there for free, a bound far below anything a policy that does not
exploit it pays. On the valued basis the model is charged the unit cost of the
inventory position it carries into the measured window (on hand less backorders
plus the orders on their way at the warm-up's end) and credited the one it leaves
at the horizon's end, exactly as ``valued_cost`` charges a simulated policy, so the
warm-up is worth nothing to it; ``hybridinv bench`` compares this bound with each
policy's ``valued_cost``.

Why it is a lower bound
-----------------------
The model is a *relaxation* of the simulator: the trajectory of any policy
(its orders, end-of-period stock, lost or backordered units, expired and
rejected units) is a feasible point of the model with the same cost, so the
model's optimum (or the MILP's dual bound at a time limit, or the LP
relaxation) cannot exceed that policy's cost:

* cost components are the ledger's: holding ``h`` on end-of-period on-hand,
  shortage ``p`` per lost unit (lost sales) or per backordered unit per period,
  fixed cost ``K`` per order placed and unit cost ``c`` per unit delivered;
  expired units cost the scenario's ``waste_cost`` and units rejected at receipt
  its ``overflow_cost``; only periods from ``warmup`` on are counted, as in the
  ledger; on the valued basis, plus the unit cost of the position at the start of
  period ``warmup`` less that of the position at the end (orders arriving after the
  horizon are in neither, so leaving them out changes nothing);
* lost sales: the model may lose demand even with stock on hand (``0 <= lost <=
  demand``), which the simulator never does -- a superset of its behaviour;
* perishables: expiry is not modeled; instead units may be disposed of at the
  waste cost at any time (the simulator's expiries are one such disposal);
* capacity: the simulator rejects arrivals that do not fit, so post-receipt
  stock volume never exceeds ``max(capacity, initial stock volume)``; the model
  keeps that row with disposal (at the overflow cost) standing in for
  rejection. Any rejection pattern is feasible for the model;
* partial deliveries: delivered units are a variable ``0 <= d <= f q``
  (the simulator delivers ``floor(f q)``), charged the unit cost;
* rules: lots, MOQ, max order, the per-period budget and the suppliers' capacities are
  hard, as the simulator's violation check defines them (``enforce_rules=False`` drops
  them, giving a bound for *any* policy); the
  simulator's forward-looking capacity check is not imposed (it would only
  raise the bound). An order is capped at the demand still to come from its
  arrival on (with backorders: all the horizon's demand plus the initial backlog,
  since a backlog built up before the arrival is due too), divided by the smallest
  delivered fraction, plus one MOQ and one lot: the capped order alone covers all
  demand it can serve, so cutting a larger one keeps the plan feasible (less stock,
  same rules) and only saves cost. This tight big-M is what lets the fixed-cost MILP solve fast;
* orders arriving after the horizon are left out (they only add cost).

References
----------
Pochet, Y. and Wolsey, L. A. (2006). *Production Planning by Mixed Integer Programming*, Springer.
Brown, D. B., Smith, J. E. and Sun, P. (2010). Information relaxations and duality in stochastic
dynamic programs. *Operations Research* 58(4), 785-801.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, flag
from hybridinv.core.errors import horizon as checked_horizon
from hybridinv.policies.mpc import LotSizingProblem, solve_lot_sizing
from hybridinv.sim.scenario import Scenario, checked_cost_basis
from hybridinv.sim.simulator import Simulator

__all__ = [
    "ClairvoyantResult", "clairvoyant_bound", "clairvoyant_fill_bound", "clairvoyant_problem", "clairvoyant_solve",
]


@dataclass(frozen=True)
class ClairvoyantResult:
    """Outcome of :func:`clairvoyant_solve`.

    Attributes
    ----------
    bound : float
        Valid lower bound on the average cost per measured period.
    objective : float
        Average cost per measured period of the best plan found (>= ``bound``).
    status : str
        HiGHS model status.
    relaxed : bool
        Whether ``bound`` is the LP relaxation's: asked for (``relax=True``), or better than
        the MIP's dual bound when the MIP stopped early (time limit).
    orders : numpy.ndarray, shape (n, periods)
        The clairvoyant plan's orders (fractional with ``relax=True``).
    """

    bound: float
    objective: float
    status: str
    relaxed: bool
    orders: NDArray[np.float64]


def _measured(scenario: Scenario, periods: int) -> tuple[int, int]:
    warmup = min(scenario.warmup, periods - 1)
    return warmup, max(periods - warmup, 1)


def clairvoyant_problem(
    scenario: Scenario, seed: int, periods: int | None = None, enforce_rules: bool = True, basis: str = "purchases"
) -> LotSizingProblem:
    """The perfect-information lot-sizing model of ``scenario`` on the path of ``seed``, on the cost ``basis``
    (see :func:`clairvoyant_bound`)."""
    enforce_rules = flag(enforce_rules, "enforce_rules")  # "no" enforced them
    basis = checked_cost_basis(basis, "basis")
    horizon = checked_horizon(periods, scenario.periods)
    path = scenario.sample(seed, horizon)
    sim = Simulator(scenario, periods=horizon, check_orders=False)
    sim.reset(path=path)
    cat = scenario.catalog
    n = cat.n_skus
    demand = np.ascontiguousarray(path.demand.realized[:horizon].T, dtype=np.float64)
    lead = np.ascontiguousarray(path.lead_times.lead_time[:horizon].T, dtype=np.int64)
    fraction = path.lead_times.delivered_fraction
    fraction = None if fraction is None else np.ascontiguousarray(fraction[:horizon].T, dtype=np.float64)
    pipeline = sim.pipeline()
    scheduled = np.zeros((n, horizon))
    width = min(pipeline.shape[1], horizon)
    scheduled[:, :width] = pipeline[:, :width]
    on_hand = sim.on_hand()
    min_fraction = np.ones(n) if fraction is None else np.maximum(fraction.min(axis=1), 1e-3)
    # the demand still to come when an order placed in t arrives (its useful size at most)
    remaining = np.cumsum(demand[:, ::-1], axis=1)[:, ::-1]
    arrival = np.minimum(np.arange(horizon)[None, :] + lead, horizon - 1)
    still_due = np.take_along_axis(remaining, arrival, axis=1)
    if not scenario.lost_sales:
        # a backlog built up before the arrival is due too: capped at the demand from the arrival on plus the
        # *initial* backlog, one order could not clear it, the model was tighter than the simulator and its
        # "bound" above a policy's cost (114.7 where ordering the whole demand at once cost 111.9)
        still_due = np.broadcast_to(remaining[:, :1] + sim.backorders()[:, None], still_due.shape)
    lot_size, moq = cat.lot_size[:, None], cat.moq[:, None]
    upper = np.ceil((still_due / min_fraction[:, None] + moq + lot_size) / lot_size) * lot_size
    capacity = scenario.constraints.capacity
    if math.isfinite(capacity):
        capacity = max(capacity, float(cat.volume @ on_hand))
    disposal = np.full(n, np.inf)
    if math.isfinite(capacity):
        disposal[:] = scenario.overflow_cost
    disposal = np.where(cat.perishable, np.minimum(disposal, scenario.waste_cost), disposal)
    warmup, _ = _measured(scenario, horizon)
    weight = np.where(np.arange(horizon) >= warmup, 1.0, 0.0)
    member: NDArray[np.int64] | None = None
    limits: NDArray[np.float64] | None = None
    if enforce_rules:
        lot, moq, max_order, budget = cat.lot_size, cat.moq, cat.max_order, scenario.constraints.budget
        if scenario.constraints.supplier_capacity:  # a rule of the violation check, as the budget: it was left out,
            # and a SKU whose supplier ships 1 unit a period was bounded at a fill rate of 1.0
            _, member, limits = scenario.constraints.supplier_rows(cat)
    else:
        lot, moq, max_order, budget = np.ones(n), np.zeros(n), np.full(n, np.inf), math.inf
    # valued basis: the position carried into the measured window charged at unit cost, the one left at the end
    # credited (valued_cost); without it the warm-up's purchases are free (weight 0) though sold in measured periods
    valued = basis == "valued"
    return LotSizingProblem(
        demand=demand,
        lead_time=lead,
        on_hand=on_hand,
        backorders=sim.backorders(),
        scheduled=scheduled,
        holding_cost=cat.holding_cost,
        shortage_cost=cat.shortage_cost,
        unit_cost=cat.unit_cost,
        order_cost=cat.order_cost,
        lot_size=lot,
        moq=moq,
        order_upper=np.minimum(max_order[:, None], upper),
        volume=cat.volume,
        lost_sales=scenario.lost_sales,
        capacity=capacity,
        budget=budget,
        delivered_fraction=fraction,
        period_weight=weight,
        disposal_cost=disposal,
        supplier_member=member,
        supplier_limits=limits,
        stock_value=cat.unit_cost.copy() if valued else None,
        stock_value_period=warmup if valued else 0,
    )


def clairvoyant_solve(
    scenario: Scenario,
    seed: int,
    periods: int | None = None,
    relax: bool = False,
    time_limit: float = 30.0,
    mip_rel_gap: float = 1e-4,
    enforce_rules: bool = True,
    basis: str = "purchases",
) -> ClairvoyantResult:
    """Solve the clairvoyant model; see :func:`clairvoyant_bound` for the parameters."""
    horizon = checked_horizon(periods, scenario.periods)
    problem = clairvoyant_problem(scenario, seed, horizon, enforce_rules, basis)
    _, measured = _measured(scenario, horizon)
    solution = solve_lot_sizing(problem, relax=relax, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    bound = solution.bound
    relaxed = relax
    if not relax and solution.status != "Optimal":
        # stopped early, the MIP's dual bound can be far below the LP relaxation's (0 before the root
        # LP is solved, as on multi_50 x 104 periods at 20 s on a loaded machine): keep the better valid
        # bound; the LP gets the same time limit (no bound from it if it does not finish either)
        lp = solve_lot_sizing(problem, relax=True, time_limit=time_limit)
        if math.isfinite(lp.bound) and not lp.bound <= bound:
            bound, relaxed = lp.bound, True
    return ClairvoyantResult(
        bound=bound / measured,
        objective=solution.objective / measured,
        status=solution.status,
        relaxed=relaxed,
        orders=solution.orders,
    )


def clairvoyant_bound(
    scenario: Scenario,
    seed: int,
    periods: int | None = None,
    relax: bool = False,
    time_limit: float = 30.0,
    enforce_rules: bool = True,
    basis: str = "purchases",
) -> float:
    """Lower bound on the average cost per period of any policy on ``scenario`` with ``seed``.

    Parameters
    ----------
    scenario : Scenario
    seed : int
        The path is ``scenario.sample(seed, periods)``, the one
        :func:`hybridinv.simulate` uses for that seed (common random numbers).
    periods : int, optional
        Horizon (defaults to the scenario's); the ledger's warm-up is excluded.
    relax : bool
        Solve the LP relaxation (weaker, fast) instead of the MILP.
    time_limit : float
        MILP time limit in seconds; at the limit the MILP's dual bound is
        returned (still valid). If HiGHS returns no finite dual bound the LP
        relaxation is used.
    enforce_rules : bool
        Keep lots, MOQ, max order, the budget and the suppliers' capacities as hard rules (bound
        valid for policies with zero rule/budget violations); False gives a bound for any policy.
    basis : {"purchases", "valued"}
        The cost it bounds. ``"purchases"``: ``avg_cost``, whose units are charged when bought and only from
        the warm-up on, so with a warm-up the model buys the measured periods' stock in the warm-up for nothing
        (a valid but hollow bound: 25 a period where every policy paid 160 and the bound without a warm-up
        was 147); a policy can do the same (docs/benchmarks.md). ``"valued"``: ``valued_cost``, the
        inventory position carried into the measured window charged at unit cost and the one left at its end
        credited, which leaves nothing to gain from the warm-up; compare it with ``valued_cost`` (it is not a
        bound on ``avg_cost``: a policy that runs its stock down pays less than ``valued_cost``).

    Returns
    -------
    float
        Lower bound on ``avg_cost`` (``valued_cost`` for ``basis="valued"``) of :func:`hybridinv.simulate`
        for this seed.

    Examples
    --------
    >>> from hybridinv import scenarios
    >>> scenario = scenarios.single_sku(fixed_cost=20.0, lost_sales=False, periods=30, warmup=0)
    >>> bound = clairvoyant_bound(scenario, seed=0, time_limit=5.0)
    >>> 0.0 < bound < 20.0
    True
    """
    return clairvoyant_solve(scenario, seed, periods, relax, time_limit, enforce_rules=enforce_rules,
                             basis=basis).bound


def clairvoyant_fill_bound(
    scenario: Scenario,
    seed: int,
    periods: int | None = None,
    enforce_rules: bool = True,
    time_limit: float = 30.0,
) -> float:
    """Upper bound on the fill rate of any policy on a lost-sales ``scenario`` with ``seed``.

    The clairvoyant model of :func:`clairvoyant_problem` with every cost set to zero but one
    per unit of measured demand lost, solved as a linear program: its optimum is the fewest
    units any plan that knows the whole path in advance can lose under the capacity, the
    budget and (with ``enforce_rules``) the ordering rules, relaxed to fractions. Every
    non-anticipative policy's trajectory is a feasible point of it (see the module notes), so
    ``1 - lost / demand`` bounds the ``fill_rate`` of :func:`hybridinv.simulate` on this seed
    from above. A target above the bound is out of reach for every policy; a target below it
    may still be out of reach for policies that do not know the future.

    Parameters
    ----------
    scenario : Scenario
        With lost sales (under backorders the model counts backorder-periods, not lost units).
    seed : int
    periods : int, optional
        Horizon (defaults to the scenario's); the ledger's warm-up is excluded.
    enforce_rules : bool
        Keep lots, MOQ, max order, the budget and the suppliers' capacities (relaxed to fractions);
        False drops them.
    time_limit : float
        Seconds for the LP; without an optimal LP the bound is the trivial 1.

    Returns
    -------
    float
        A fill rate in [0, 1] no policy exceeds on this seed.

    Raises
    ------
    PlanningError
        For a backorder scenario.

    Examples
    --------
    >>> from hybridinv import scenarios
    >>> clairvoyant_fill_bound(scenarios.single_sku(periods=30, warmup=4), seed=0)  # no limits: nothing lost
    1.0
    """
    if not scenario.lost_sales:
        raise PlanningError("the fill-rate bound needs a lost-sales scenario", column="lost_sales", value=False)
    problem = clairvoyant_problem(scenario, seed, periods, enforce_rules)
    n = problem.demand.shape[0]
    zero = np.zeros(n)
    only_losses = replace(problem, purchase_weight=0.0, holding_cost=zero, order_cost=zero,
                          shortage_cost=np.ones(n), disposal_cost=zero)  # free disposal: a superset, still valid
    solution = solve_lot_sizing(only_losses, relax=True, time_limit=time_limit)
    assert problem.period_weight is not None
    demand = float((problem.demand @ problem.period_weight).sum())
    if demand <= 0.0:
        return 1.0
    return float(min(1.0, max(0.0, 1.0 - solution.bound / demand)))
