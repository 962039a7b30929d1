"""Linear hybrid agent: an order-up-to level on a *weighted* inventory position, learned by ES.

Each period the agent sees the stock of every SKU by the period it becomes usable,
``y_0`` = on hand (net of backorders) plus what arrives this period, ``y_k`` = what arrives in ``k`` periods
(``k < K``; later arrivals are added to ``y_{K-1}``), and the demand scale ``mu`` (the
forecast mean of :func:`hybridinv.envs.features.demand_scale`). Its action is a linear
function of that state, an order-up-to target on the weighted position:

.. math::

    q = \\Big\\lceil \\min\\Big(\\max\\big(\\mu\\,\\ell - \\textstyle\\sum_k w_k\\, y_k,\\ 0\\big),\\ \\mu\\, c\\Big)
    \\Big\\rceil

with parameters ``theta = (level l, cap c, weights w_0..w_{K-1})`` in demand-scale units.
All weights equal to one give the capped base-stock policy (Xin 2021), and additionally
``c = inf`` gives base-stock (a policy :class:`LinearHybrid` takes; :func:`train_linear` searches
a finite cap). With lost sales, stock on hand now may be partly
wasted on demand that would have been lost anyway, so the learned weights on the oldest
slots are below one: the order reacts less to stock that arrives early than to stock
that arrives late. The orders then pass the repair layer like every target policy.

In the composition of :class:`~hybridinv.rl.hybrid.Hybrid` this is the
``weighted_base_stock`` parameterization
(:class:`~hybridinv.rl.parameterizations.WeightedBaseStockTargets`: level and cap) with a
``linear`` map (the weights ``w``) trained by ES; :class:`LinearHybrid` (defined in
:mod:`hybridinv.rl.hybrid`, re-exported here) builds that configuration.

Training (:func:`train_linear`) is evolution strategies (:func:`hybridinv.rl.es.evolve`):
black-box policy search on the simulated average cost, the population simulated as the
columns of one tiled single-SKU scenario on a common demand path
(:func:`tiled_costs`). Because the policy only reads ``(y_0, ..., y_{K-1})``, its exact
average cost on a stationary single-SKU lost-sales instance follows from the Markov
chain of :func:`hybridinv.exact.lost_sales_policy_cost` (see :meth:`LinearHybrid.state_policy`),
which is how the benchmark compares it with the exact optimum.

References
----------
Mania, H., Guy, A. and Recht, B. (2018). Simple random search of static linear policies is
competitive for reinforcement learning. *NeurIPS*.
Xin, L. (2021). Understanding the performance of capped base-stock policies in lost-sales
inventory models. *Operations Research* 69(1), 61-70.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, horizon, number_array, number_in, whole_number
from hybridinv.rl.es import evolve
from hybridinv.rl.hybrid import LinearHybrid
from hybridinv.rl.model_file import save_model
from hybridinv.rl.parameterizations import stock_by_arrival

if TYPE_CHECKING:
    from hybridinv.rl.es import ESConfig, ESResult
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "LINEAR_ACTION_SPEC",
    "LinearHybrid",
    "stock_by_arrival",
    "tile_paths",
    "tile_scenario",
    "tiled_costs",
    "train_linear",
]

#: Action specification stored in linear model files.
LINEAR_ACTION_SPEC: dict[str, Any] = {
    "kind": "linear",
    "per_sku": ["level", "cap", "weights"],
    "mapping": "hybridinv.rl.linear.LinearHybrid.orders_from_stock",
}


# ------------------------------------------------------------- single SKU: population as columns
def tile_scenario(scenario: Scenario, copies: int) -> Scenario:
    """``scenario`` (one SKU, no shared constraints) with its SKU repeated ``copies`` times."""
    from hybridinv.demand.processes import DemandProcess

    if scenario.n_skus != 1:
        raise ValueError("tile_scenario expects a single-SKU scenario")
    catalog = scenario.catalog
    fields = {
        f.name: np.repeat(getattr(catalog, f.name), copies)
        for f in dataclasses.fields(catalog)
        if isinstance(getattr(catalog, f.name), np.ndarray) and getattr(catalog, f.name).shape == (1,)
    }
    names = np.array([f"{catalog.sku[0]}#{k}" for k in range(copies)], dtype=object)
    fields["sku"] = names
    demand = scenario.demand
    process = DemandProcess(mean=np.repeat(demand.mean, copies), distribution=demand.distribution)
    init = scenario.initial_state
    assert init is not None
    state = dataclasses.replace(
        init,
        **{
            f.name: np.repeat(getattr(init, f.name), copies, axis=0)
            for f in dataclasses.fields(init)
            if isinstance(getattr(init, f.name), np.ndarray) and f.name != "sku"
        },
        sku=names,
    )
    return scenario.replace(
        catalog=dataclasses.replace(catalog, **fields), demand=process, lead_times=None, initial_state=state
    )


def tile_paths(paths: Sequence[Any], copies: int) -> Any:
    """Single-SKU :class:`~hybridinv.sim.scenario.ScenarioPath` s side by side, each repeated ``copies`` times.

    Column ``j * copies + k`` carries path ``j``: the ``copies`` members see the same
    demand (common random numbers) on every path.
    """

    def rep(values: list[Any]) -> Any:
        return None if values[0] is None else np.concatenate([np.repeat(v, copies, axis=1) for v in values], axis=1)

    first = paths[0]
    demand = dataclasses.replace(
        first.demand,
        realized=rep([p.demand.realized for p in paths]),
        expected=rep([p.demand.expected for p in paths]),
        std=rep([p.demand.std for p in paths]),
    )
    leads = dataclasses.replace(
        first.lead_times,
        lead_time=rep([p.lead_times.lead_time for p in paths]),
        delivered_fraction=rep([p.lead_times.delivered_fraction for p in paths]),
    )
    return dataclasses.replace(first, demand=demand, lead_times=leads)


def _measured_periods(scenario: Scenario, periods: int | None) -> int:
    """``periods`` (None: the scenario's) as a whole number past the scenario's warm-up.

    With ``periods <= warmup`` the ledger cuts the warm-up to ``periods - 1``: the cost was that of
    the last period alone.

    Raises
    ------
    PlanningError
        Naming ``periods``.
    """
    count = horizon(periods, scenario.periods)
    if count <= scenario.warmup:
        raise PlanningError(f"must be more than the scenario's warm-up ({scenario.warmup} periods): the cost is "
                            "measured after it", column="periods", value=periods)
    return count


def tiled_costs(
    scenario: Scenario, seeds: Sequence[int], policy: LinearHybrid, periods: int | None = None
) -> NDArray[np.float64]:
    """Average cost per period of each member of a population of single-SKU policies (CRN).

    ``policy`` holds one parameter set per member (``level``, ``cap`` of shape (P,),
    ``weights`` (P, K)). One simulation of ``scenario`` tiled ``len(seeds) * P`` times runs
    every member on every seed's demand path (``scenario.sample(seed)``), so all members
    see the same demand. The cost is the lost-sales ledger's, ``h`` on end-of-period stock
    plus ``p`` per lost unit after the warm-up (equal to ``simulate``'s ``avg_cost``,
    tested), averaged over the seeds. ``periods`` (None: the scenario's) must exceed the
    scenario's warm-up (a :class:`PlanningError` naming it).
    """
    from hybridinv.sim.simulator import Simulator

    members = int(np.size(policy.level))
    seeds = [int(s) for s in seeds]
    copies = members * len(seeds)
    periods = _measured_periods(scenario, periods)
    tiled = tile_scenario(scenario, copies)
    everyone = LinearHybrid(
        np.tile(policy.level, len(seeds)),
        np.tile(policy.cap, len(seeds)),
        np.tile(np.atleast_2d(policy.weights), (len(seeds), 1)),
        repair=None,
    )
    sim = Simulator(tiled, periods=periods, check_orders=False)
    obs = sim.reset(path=tile_paths([scenario.sample(seed, periods) for seed in seeds], members))
    holding, shortage = scenario.catalog.holding_cost[0], scenario.catalog.shortage_cost[0]
    warmup = sim.ledger.warmup
    assert sim.path is not None
    demand = sim.path.demand.realized
    total = np.zeros(copies)
    while not sim.done:
        position = obs.inventory_position
        orders = everyone.act(obs)  # repair=None: the capped orders as they are
        t = sim.t
        obs = sim.step(orders)
        if t >= warmup:
            served = position + orders - obs.inventory_position  # lost sales: nothing is backordered
            total += holding * obs.on_hand + shortage * (demand[t] - served)
    per_column = total / max(periods - warmup, 1)
    result: NDArray[np.float64] = per_column.reshape(len(seeds), members).mean(axis=0)
    return result


def _population(thetas: NDArray[np.float64], centers: NDArray[np.float64], repair: str | None = None) -> LinearHybrid:
    """One :class:`LinearHybrid` whose SKU ``k`` uses the searched ``thetas[k] = (l', c, w_0, ...)``.

    The searched level is *centered*: ``l = l' - sum_k (1 - w_k) centers_k`` with
    ``centers`` the mean stock per slot (in demand-scale units) under the start policy, so
    changing a weight leaves the typical order unchanged and only changes how the order
    responds to deviations of that slot from its mean. Level and weights are then nearly
    uncoupled, which ES needs to move away from all-ones weights.
    """
    thetas = np.atleast_2d(thetas)
    weights = thetas[:, 2:]
    level = thetas[:, 0] - (1.0 - weights) @ centers
    return LinearHybrid(level, thetas[:, 1], weights, repair=repair)


def slot_means(scenario: Scenario, policy: LinearHybrid, seed: int, periods: int) -> NDArray[np.float64]:
    """Mean stock per arrival slot (demand-scale units) of ``policy`` on one simulated path."""
    from hybridinv.envs.features import demand_scale
    from hybridinv.sim.simulator import Simulator

    sim = Simulator(scenario, periods=periods, check_orders=False)
    obs = sim.reset(seed=seed)
    total = np.zeros(policy.slots)
    while not sim.done:
        total += (stock_by_arrival(obs.on_hand, obs.pipeline, policy.slots) / demand_scale(obs)[:, None]).sum(axis=0)
        obs = sim.step(policy.act(obs))
    return total / (periods * scenario.n_skus)


def train_linear(
    scenario: Scenario,
    out: str | Path | None,
    config: ESConfig,
    level: float,
    cap: float,
    slots: int | None = None,
    periods: int = 4000,
    weights: ArrayLike | None = None,
    progress: bool = False,
    evaluate: Callable[[LinearHybrid], dict[str, float]] | None = None,
) -> tuple[LinearHybrid, ESResult]:
    """Train a single-SKU :class:`LinearHybrid` by evolution strategies and save it to ``out``.

    Starts from ``(level, cap)`` in units and ``weights`` (default: all one, the capped
    base-stock policy), searches ``theta = (level / mu, cap / mu, w_0..w_{K-1})`` (the level
    centered, see :func:`_population`) with ``mu`` the demand mean and ``K = slots``
    (default: the lead time, at least 1) on simulated costs (:func:`tiled_costs`,
    ``periods`` per episode, ``config.seeds_per_generation`` fresh seeds per
    generation), keeps the parameters with the best cost on
    ``config.eval_seeds``. ``evaluate(policy)`` adds KPIs to the metadata (e.g. the
    exact cost of :func:`hybridinv.exact.lost_sales_policy_cost`).

    ``level`` must be a finite number >= 0 and ``cap`` a finite number > 0: ES searches the cap,
    so a base-stock start (``cap=inf``, which :class:`LinearHybrid` itself takes) cannot be
    trained; start from a cap well above the level instead. ``slots`` (None: the default) is a
    whole number >= 1, ``periods`` more than the scenario's warm-up (the cost is measured after it).

    Raises
    ------
    PlanningError
        Naming ``scenario`` (not single-SKU), ``level``, ``cap``, ``slots``, ``weights`` or ``periods``.
    """
    if scenario.n_skus != 1:
        raise PlanningError("train_linear expects a single-SKU scenario", column="scenario", value=scenario.name)
    # a cap of -5 trained nothing (every order 0) and saved cap -1; inf failed as "cap must not contain NaN"
    # (ES perturbs it); level "15" was a TypeError; slots 2.5 was cut to 2 and 0 read as the default
    level = number_in(level, "level", 0.0, math.inf)
    if isinstance(cap, float | np.floating) and math.isinf(cap):
        raise PlanningError("ES searches the cap, so a base-stock start (no cap) cannot be trained; give a finite cap "
                            "(e.g. a few times the level)", column="cap", value=cap)
    cap = number_in(cap, "cap", 0.0, math.inf, open_low=True)
    periods = _measured_periods(scenario, periods)
    mean = float(np.mean(scenario.demand.mean))
    slots = max(int(scenario.catalog.lead_time[0]), 1) if slots is None else whole_number(slots, "slots", 1)
    start_weights = np.ones(slots) if weights is None else number_array(weights, "weights").reshape(-1)
    if start_weights.shape != (slots,):
        raise PlanningError(f"must have {slots} entries (one per stock slot), got {start_weights.size}",
                            column="weights")
    begin = LinearHybrid(level / mean, cap / mean, start_weights, repair=None)
    centers = slot_means(scenario, begin, config.seed, periods)
    theta0 = np.concatenate([[level / mean + (1.0 - start_weights) @ centers, cap / mean], start_weights])

    def cost(thetas: NDArray[np.float64], seeds: Sequence[int]) -> NDArray[np.float64]:
        return tiled_costs(scenario, seeds, _population(thetas, centers), periods)

    start = time.perf_counter()
    result = evolve(cost, theta0, config, progress=progress)
    best = _population(result.theta, centers)
    policy = LinearHybrid(best.level[0], best.cap[0], best.weights[0])
    policy.metadata = {
        "policy": "linear",
        "parameterization": "weighted_base_stock",
        "parameter_map": "linear",
        "learner": "es",
        "action_spec": {"version": _action_version(), **LINEAR_ACTION_SPEC},
        "scenario": scenario.summary(),
        "reward_spec": {"kind": "negative_average_cost", "description": "ES fitness = -(average cost per period)"},
        "training": {
            "algo": "es",
            "policy": "linear",
            **config.to_dict(),
            "slots": slots,
            "periods": periods,
            "start_level": level,
            "start_cap": cap,
            "start_weights": start_weights.tolist(),
            "slot_centers": centers.tolist(),
            "seconds": round(time.perf_counter() - start, 1),
            "generations": result.generations,
            "start": result.start,
        },
        "seed": config.seed,
        "evaluation": {"best": result.best, "history": result.history, **(evaluate(policy) if evaluate else {})},
    }
    if out is not None:
        save_model(out, policy.arrays(), policy.metadata)
    return policy, result


def _action_version() -> int:
    from hybridinv.envs.actions import ACTION_VERSION

    return int(ACTION_VERSION)
