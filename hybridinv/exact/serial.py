"""Serial supply chains with backorders: the exact optimal echelon base-stock levels.

Model (Clark and Scarf 1960; Chen and Zheng 1994; Zipkin 2000, ch. 8; Snyder and Shen
2019, ch. 6). ``N`` stages in series: stage 1 (index 0 in every array) faces i.i.d.
customer demand ``D`` per period, stage ``j`` is replenished by stage ``j + 1`` and
stage ``N`` by an external supplier with unlimited stock. A shipment to stage ``j``
takes ``L_j`` periods. Unmet customer demand is backordered at ``p`` per unit and
period; stock on hand at stage ``j`` costs its *local* holding cost ``h'_j`` per unit
and period. The echelon holding cost is ``h_j = h'_j - h'_{j+1}`` (``h'_{N+1} = 0``);
it must be ``>= 0``: stock gains value as it moves downstream.

Timing, shared with the library's simulator: each period, from stage ``N`` down to
stage 1, the stage orders, its supplier ships what its on-hand stock allows (the
external supplier ships everything) and the stage receives what is due; a shipment
sent in period ``t`` is usable in period ``t + L_j`` (``L_j = 0``: at once, also by
the next stage down in the same period). Then the customer demand is served at stage
1 (backlog first) and costs are charged on end-of-period stock.

An *echelon base-stock* policy with levels ``S_1..S_N`` lets stage ``j`` order up to
``S_j`` on its echelon inventory position (stock at ``j`` and downstream, in transit
to ``j`` and below, minus backorders). It is optimal for this model (Clark and Scarf
1960). In steady state the echelon position of stage ``j`` after shipping is
``min(S_j, IN_{j+1})``, where ``IN_{j+1}`` is the echelon inventory level of stage
``j + 1`` after its receipts, and ``IN_j = position - D^{(L_j)}`` one lead time later.
This gives the exact recursion (costs per period, ``h'_1 = h_1 + ... + h_N``)::

    G_1(y) = E[ h_1 (y - D^{(L_1 + 1)}) + (p + h'_1) (D^{(L_1 + 1)} - y)^+ ]
    G_j(y) = E[ h_j (y - D^{(L_j)} - mu) + G_{j-1}(min(S_{j-1}, y - D^{(L_j)})) ],  j = 2..N

where ``D^{(k)}`` is the demand of ``k`` periods and ``mu = E[D]``. ``G_N(S_N)`` is
the expected echelon cost ``sum_j h_j E[IN_j] + (p + h'_1) E[backorders]`` at the
end of a period; it equals the cost of on-hand stock at the local rates plus ``p``
times the backorders plus the holding cost of stock in transit, charged to the
shipping stage's local rate, ``sum_{j<N} h'_{j+1} L_j mu`` (a constant).
:func:`serial_echelon_base_stock_cost` evaluates any levels with this recursion;
:func:`serial_echelon_base_stock` minimises ``G_1``, then ``G_2`` with the optimal
``S_1``, and so on (Chen and Zheng 1994), which is the global optimum.

Demand is Poisson(``mean``), any discrete pmf, or normal(``mean``, ``demand_std``)
per period. Discrete demand is exact up to the ``1e-12`` tail cut of each lead-time
demand pmf (see :mod:`hybridinv.exact._demand`). Normal demand is discretised on a
grid of width ``step`` (default ``demand_std / 100``): each lead-time demand
``N(k mu, k sigma^2)`` puts the mass of ``[x - step/2, x + step/2)`` on ``x``
(tails beyond ``1e-12`` cut); the optimal levels are multiples of ``step`` and the
cost error is ``O(step^2)``.

References
----------
.. [1] Clark, A. J. and Scarf, H. (1960). Optimal policies for a multi-echelon
   inventory problem. *Management Science* 6(4), 475-490.
.. [2] Chen, F. and Zheng, Y.-S. (1994). Lower bounds for multi-echelon stochastic
   inventory systems. *Management Science* 40(11), 1426-1443.
.. [3] Zipkin, P. H. (2000). *Foundations of Inventory Management*. McGraw-Hill,
   Chapter 8 (series systems, echelon base-stock policies).
.. [4] Snyder, L. V. and Shen, Z.-J. M. (2019). *Fundamentals of Supply Chain Theory*,
   2nd ed., Wiley. Chapter 6 (stochastic-service serial systems; Example 6.1).
.. [5] Shang, K. H. and Song, J.-S. (2003). Newsvendor bounds and heuristic for
   optimal policies in serial supply chains. *Management Science* 49(5), 618-638.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, number_array
from hybridinv.core.limits import MAX_QUANTITY
from hybridinv.exact._demand import check_costs, check_mean, demand_distribution, expected_overage, pmf_mean
from hybridinv.exact._serial_demand import LeadTimeDemand, SerialDemand, serial_demand

__all__ = ["SerialBaseStockResult", "serial_echelon_base_stock", "serial_echelon_base_stock_cost"]


@dataclass(frozen=True)
class SerialBaseStockResult:
    """Optimal echelon base-stock levels of a serial system and their cost.

    Attributes
    ----------
    levels : numpy.ndarray
        Optimal echelon base-stock levels ``S_1..S_N`` (stage 1, facing demand, first);
        integers for discrete demand, multiples of ``step`` for normal demand.
    cost : float
        Expected cost per period in steady state: on-hand stock at every stage at its
        local holding cost plus ``shortage_cost`` times the backorders at stage 1, all
        at the end of the period (what the library's simulator charges).
    pipeline_holding_cost : float
        Expected holding cost per period of stock in transit between stages,
        ``sum_{j<N} h'_{j+1} L_j mu`` (the same for every policy).
    echelon_holding_cost : numpy.ndarray
        ``h_j = h'_j - h'_{j+1}`` per stage.
    """

    levels: NDArray[np.float64] | NDArray[np.int64]
    cost: float
    pipeline_holding_cost: float
    echelon_holding_cost: NDArray[np.float64]

    @property
    def total_cost(self) -> float:
        """``cost + pipeline_holding_cost``: the echelon cost of the Clark-Scarf model."""
        return self.cost + self.pipeline_holding_cost

    @property
    def local_levels(self) -> NDArray[np.float64] | NDArray[np.int64]:
        """Installation base-stock levels ``S_j - S_{j-1}`` (``S_0 = 0``)."""
        return np.diff(self.levels, prepend=0)


def _check_positive(name: str, value: object, *, quantity: bool = True) -> float:
    """``value`` as a float when it is a finite number > 0, and at most ``MAX_QUANTITY`` when it is a
    ``quantity`` (a standard deviation of 1e30 was taken until 2026-12-06; costs are bounded by
    :func:`~hybridinv.exact._demand.check_costs`)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise PlanningError("must be a number", column=name, value=value)
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise PlanningError("must be a finite number > 0", column=name, value=value)
    if quantity and number > MAX_QUANTITY:
        raise PlanningError(f"must be a finite number > 0 and at most {MAX_QUANTITY:g} (MAX_QUANTITY)", column=name,
                            value=value)
    return number


def _check_stages(
    lead_time: ArrayLike, holding_cost: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Validated lead times, local and echelon holding costs (stage 1 first)."""
    lead = np.atleast_1d(np.asarray(lead_time, dtype=object))
    if lead.ndim != 1 or lead.size == 0:
        raise PlanningError("must be a non-empty 1-D sequence, one lead time per stage", column="lead_time",
                            value=lead_time)
    for stage, value in enumerate(lead, start=1):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
            raise PlanningError(f"stage {stage}: lead time must be an integer >= 0", column="lead_time", value=value)
    # booleans and text were read as numbers ([True, True], ["1", "0.5"]) and {} was a bare TypeError
    holding = np.atleast_1d(number_array(holding_cost, "holding_cost"))
    if holding.size == 1 and lead.size > 1:
        holding = np.full(lead.size, holding[0])
    if holding.shape != lead.shape:
        raise PlanningError(f"needs one local holding cost per stage ({lead.size})", column="holding_cost",
                            value=holding_cost)
    for stage, value in enumerate(holding.tolist(), start=1):
        if not (math.isfinite(value) and value >= 0):
            raise PlanningError(f"stage {stage}: must be a finite number >= 0", column="holding_cost", value=value)
    if holding[0] <= 0:
        raise PlanningError("stage 1: the local holding cost must be > 0", column="holding_cost", value=holding[0])
    echelon = holding - np.append(holding[1:], 0.0)
    if np.any(echelon < 0):
        index = int(np.flatnonzero(echelon < 0)[0])
        raise PlanningError(
            f"stage {index + 1}: local holding costs must not increase upstream (echelon holding cost "
            f"{echelon[index]:g} < 0)", column="holding_cost", value=float(holding[index]),
        )
    return lead.astype(np.int64), holding, echelon


def _shortfall(demand: LeadTimeDemand, levels: NDArray[np.int64]) -> NDArray[np.float64]:
    """``E[(D - y)^+]`` in grid units for integer grid levels ``y``."""
    over = expected_overage(demand.pmf, levels - demand.offset)
    return over - (levels - demand.offset) + pmf_mean(demand.pmf)


class _Recursion:
    """The functions ``G_j`` on the grid ``lo..hi`` (grid units), stage by stage."""

    def __init__(self, demand: SerialDemand, echelon: NDArray[np.float64], holding: NDArray[np.float64],
                 shortage_cost: float, lo: int, hi: int):
        self.demand = demand
        self.echelon = echelon
        self.penalty = shortage_cost + float(holding[0])  # p + h'_1
        self.lo, self.hi = lo, hi
        self.grid = np.arange(lo, hi + 1, dtype=np.int64)

    def first(self) -> NDArray[np.float64]:
        """``G_1`` on the grid, in closed form."""
        demand, step = self.demand.stage[0], self.demand.step
        mean = (demand.offset + pmf_mean(demand.pmf)) * step
        return np.asarray(
            self.echelon[0] * (self.grid * step - mean) + self.penalty * step * _shortfall(demand, self.grid),
            dtype=np.float64,
        )

    def next(self, stage: int, previous: NDArray[np.float64], level: float) -> NDArray[np.float64]:
        """``G_stage`` on the grid from ``G_{stage-1}`` and the level ``S_{stage-1}`` (grid units).

        Below the grid ``G_{stage-1}`` is affine with slope ``h_1 + .. + h_{stage-1} - (p + h'_1)``
        (every lead-time demand exceeds the shortfall point there); the caller makes ``lo`` low
        enough. Above ``S_{stage-1}`` the truncated function is the constant ``G_{stage-1}(S)``.
        """
        demand, step = self.demand.stage[stage - 1], self.demand.step
        top = demand.offset + demand.pmf.size - 1
        slope = (float(self.echelon[: stage - 1].sum()) - self.penalty) * step
        points = np.arange(self.lo - top, self.hi - demand.offset + 1, dtype=np.int64)
        inside = np.clip(points - self.lo, 0, self.grid.size - 1)
        values = previous[inside] + slope * np.minimum(points - self.lo, 0)
        at_level = float(np.interp(level, self.grid, previous))
        values = np.where(points >= level, at_level, values)
        values = values + self.echelon[stage - 1] * (points * step - self.demand.mean)
        return np.asarray(np.convolve(values, demand.pmf, mode="valid"), dtype=np.float64)


def _grid_bounds(demand: SerialDemand, levels: NDArray[np.float64] | None) -> tuple[int, int]:
    """Grid range holding every level and the affine region of each ``G_j``."""
    lows = np.array([d.offset for d in demand.stage])
    highs = np.array([d.offset + d.pmf.size - 1 for d in demand.stage])
    affine = float(lows[0])  # G_1 is affine below the smallest stage-1 demand
    lowest = min(affine, 0.0)
    for stage in range(1, lows.size):
        bound = affine if levels is None else min(affine, float(levels[stage - 1]))
        affine = bound + float(lows[stage])
        lowest = min(lowest, affine)
    hi = int(highs.sum()) + 1
    if levels is not None:
        lowest = min(lowest, float(levels.min()))
        hi = max(hi, math.ceil(float(levels.max())) + 1)
    return math.floor(lowest) - 2, hi


def _prepare(
    mean: float | None, lead_time: ArrayLike, holding_cost: ArrayLike, shortage_cost: float,
    demand_pmf: ArrayLike | None, demand_std: float | None, step: float | None,
) -> tuple[SerialDemand, NDArray[np.float64], NDArray[np.float64], float, NDArray[np.int64]]:
    lead, holding, echelon = _check_stages(lead_time, holding_cost)
    penalty = _check_positive("shortage_cost", shortage_cost, quantity=False)
    # the shared checks of the exact solvers: MAX_COST and MAX_COST_RATIO (a shortage cost of 1e30 gave a
    # negative cost); the stage-1 local holding cost is the largest, and the one the ratio is taken to
    check_costs(holding_cost=float(holding[0]), shortage_cost=penalty)
    if demand_std is not None and demand_pmf is not None:
        raise PlanningError("give demand_pmf (discrete) or demand_std (normal), not both", column="demand_std",
                            value=demand_std)
    if demand_std is None and step is not None:
        raise PlanningError("the grid step applies to normal demand (demand_std) only", column="step", value=step)
    if demand_std is not None:
        sigma = _check_positive("demand_std", demand_std)
        mu = check_mean(mean)
        width = sigma / 100 if step is None else _check_positive("step", step)
        demand = serial_demand(lead, normal=(mu, sigma, width))
    else:
        if mean is not None:
            check_mean(mean)
        try:
            pmf = demand_distribution(mean, demand_pmf)
        except PlanningError:
            raise
        except ValueError as error:
            raise PlanningError(str(error), column="demand_pmf" if demand_pmf is not None else "mean",
                                value=mean if demand_pmf is None else None) from error
        poisson_mean = float(mean) if demand_pmf is None and mean is not None else None
        demand = serial_demand(lead, pmf=pmf, poisson_mean=poisson_mean)
    return demand, holding, echelon, penalty, lead


def _pipeline_cost(holding: NDArray[np.float64], lead: NDArray[np.int64], mean: float) -> float:
    return float(np.dot(holding[1:], lead[:-1]) * mean)


def serial_echelon_base_stock_cost(
    levels: ArrayLike,
    mean: float | None,
    lead_time: ArrayLike,
    holding_cost: ArrayLike,
    shortage_cost: float,
    demand_pmf: ArrayLike | None = None,
    demand_std: float | None = None,
    step: float | None = None,
) -> float:
    """Exact expected cost per period of given echelon base-stock levels in a serial system.

    Parameters
    ----------
    levels : array_like
        Echelon base-stock levels ``S_1..S_N`` [S], stage 1 (facing demand) first; integers
        for discrete demand, any real numbers for normal demand. Any vector is allowed
        (levels that are not non-decreasing act like ``min(S_j, S_{j+1}, ...)``).
    mean : float or None
        Mean demand per period [mu]: Poisson mean, or the normal mean with ``demand_std``;
        may be None when ``demand_pmf`` is given.
    lead_time : array_like of int
        Shipping lead time into each stage [L_j] >= 0, stage 1 first; ``L_N`` is the
        supplier's lead time into stage ``N``.
    holding_cost : float or array_like
        Local holding cost per unit on hand per period at each stage [h'_j], stage 1
        first, > 0 at stage 1 and non-increasing upstream (echelon costs
        ``h_j = h'_j - h'_{j+1} >= 0``). A scalar means the same at every stage.
    shortage_cost : float
        Cost per unit backordered at stage 1 per period [p], > 0.
    demand_pmf : array_like, optional
        One-period demand pmf over ``0..len - 1`` instead of Poisson(``mean``).
    demand_std : float, optional
        Standard deviation [sigma] of normal demand per period (then ``mean`` is its mean).
    step : float, optional
        Grid width for normal demand (default ``demand_std / 100``).

    Returns
    -------
    float
        Expected end-of-period cost per period in steady state: local holding cost of
        on-hand stock at every stage plus ``shortage_cost`` times the backorders. The
        holding cost of stock in transit, ``sum_{j<N} h'_{j+1} L_j mu``, is not included
        (it is the same for every policy; see :class:`SerialBaseStockResult`).

    Raises
    ------
    hybridinv.PlanningError
        On invalid costs, lead times, demand or levels (the message names the argument,
        the stage and the value).

    References
    ----------
    .. [1] Chen and Zheng (1994); Zipkin (2000), Section 8.3; Snyder and Shen (2019), Section 6.2.

    Examples
    --------
    >>> round(serial_echelon_base_stock_cost([8], 6, [0], 1, 4), 6)  # one stage: the newsvendor
    3.570107
    """
    demand, holding, echelon, penalty, lead = _prepare(
        mean, lead_time, holding_cost, shortage_cost, demand_pmf, demand_std, step
    )
    raw = np.atleast_1d(np.asarray(levels, dtype=object))
    if raw.shape != (lead.size,):
        raise PlanningError(f"needs one level per stage ({lead.size})", column="levels", value=levels)
    for stage, value in enumerate(raw, start=1):
        number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
        if not (number and math.isfinite(value)):
            raise PlanningError(f"stage {stage}: must be a finite number", column="levels", value=value)
        if demand_std is None and value != round(value):
            raise PlanningError(f"stage {stage}: must be an integer for discrete demand", column="levels",
                                value=value)
    scaled = raw.astype(np.float64) / demand.step
    lo, hi = _grid_bounds(demand, scaled)
    recursion = _Recursion(demand, echelon, holding, penalty, lo, hi)
    current = recursion.first()
    for stage in range(2, lead.size + 1):
        current = recursion.next(stage, current, float(scaled[stage - 2]))
    total = float(np.interp(scaled[-1], recursion.grid, current))
    return total - _pipeline_cost(holding, lead, demand.mean)


def serial_echelon_base_stock(
    mean: float | None,
    lead_time: ArrayLike,
    holding_cost: ArrayLike,
    shortage_cost: float,
    demand_pmf: ArrayLike | None = None,
    demand_std: float | None = None,
    step: float | None = None,
) -> SerialBaseStockResult:
    """Optimal echelon base-stock levels of a serial system with backorders (Clark-Scarf).

    Parameters are those of :func:`serial_echelon_base_stock_cost` without ``levels``.

    Returns
    -------
    SerialBaseStockResult
        ``levels`` (stage 1 first), ``cost`` (on-hand holding plus backorders per period),
        ``pipeline_holding_cost``, ``echelon_holding_cost``; ``total_cost`` and
        ``local_levels`` as properties.

    Raises
    ------
    hybridinv.PlanningError
        On invalid costs, lead times or demand.

    Notes
    -----
    Chen and Zheng's (1994) exact algorithm: ``S_1 = argmin G_1`` (a newsvendor on the
    demand of ``L_1 + 1`` periods with underage ``p + h'_1 - h_1`` and overage ``h_1``),
    then ``S_j = argmin G_j`` given ``S_{j-1}``. Each ``G_j`` is computed on the whole
    grid by one convolution, so the cost is ``O(N n m)`` for a grid of ``n`` points
    and lead-time demand supports of ``m`` points. Ties go to the smallest level.

    References
    ----------
    .. [1] Clark and Scarf (1960); Chen and Zheng (1994); Zipkin (2000), Section 8.3;
       Snyder and Shen (2019), Section 6.2.

    Examples
    --------
    >>> result = serial_echelon_base_stock(5, [1, 1], [2, 1], 9)
    >>> result.levels.tolist()
    [14, 19]
    """
    demand, holding, echelon, penalty, lead = _prepare(
        mean, lead_time, holding_cost, shortage_cost, demand_pmf, demand_std, step
    )
    lo, hi = _grid_bounds(demand, None)
    recursion = _Recursion(demand, echelon, holding, penalty, lo, hi)
    current = recursion.first()
    chosen = [int(np.argmin(current))]
    for stage in range(2, lead.size + 1):
        current = recursion.next(stage, current, float(recursion.grid[chosen[-1]]))
        chosen.append(int(np.argmin(current)))
    grid_levels = recursion.grid[np.array(chosen)]
    total = float(current[chosen[-1]])
    levels: NDArray[np.float64] | NDArray[np.int64]
    levels = grid_levels if demand_std is None else grid_levels * demand.step
    pipeline = _pipeline_cost(holding, lead, demand.mean)
    return SerialBaseStockResult(
        levels=levels, cost=total - pipeline, pipeline_holding_cost=pipeline, echelon_holding_cost=echelon
    )

