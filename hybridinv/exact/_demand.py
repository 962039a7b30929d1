"""Discrete demand distributions and one-period expected costs shared by the exact solvers.

Every solver in :mod:`hybridinv.exact` works with a probability mass function (pmf)
over ``0, 1, ..., n - 1`` held in a 1-D numpy array. Poisson pmfs are truncated where
the remaining tail probability drops below :data:`TAIL_PROBABILITY` and renormalised,
so that all expectations below are exact for the truncated distribution (the error
against the untruncated Poisson is below ``1e-12`` times the cost scale).

References
----------
.. [1] Snyder, L. V. and Shen, Z.-J. M. (2019). *Fundamentals of Supply Chain Theory*,
   2nd ed., Wiley. Chapter 4 (newsvendor model, loss functions).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import number_array
from hybridinv.core.errors import PlanningError

__all__ = [
    "MAX_SUPPORT",
    "TAIL_PROBABILITY",
    "check_costs",
    "check_mean",
    "check_lead_time",
    "convolution_power",
    "demand_distribution",
    "expected_overage",
    "expected_underage",
    "newsvendor_cost",
    "pmf_mean",
    "poisson_pmf",
]

TAIL_PROBABILITY: float = 1e-12
"""Tail mass dropped when a Poisson pmf is truncated."""

MAX_SUPPORT: int = 20_000
"""Largest demand support (values ``0..n-1``) the exact solvers take: a Poisson mean up to about
19,000 per protection interval. A mean of 1e9 used to allocate its 1e9-value pmf and exhaust memory;
the exact solvers are for single-SKU checks, not for large demand."""

_MEAN_RELATIVE_TOLERANCE = 1e-3


def poisson_pmf(mean: float, tail_probability: float = TAIL_PROBABILITY) -> NDArray[np.float64]:
    """Poisson pmf truncated at a tail probability and renormalised.

    Parameters
    ----------
    mean : float
        Poisson mean [lambda], > 0.
    tail_probability : float, default 1e-12
        The support is cut at the smallest ``n`` with ``P(D > n) < tail_probability``.

    Returns
    -------
    numpy.ndarray
        ``pmf[d] = P(D = d)`` for ``d = 0..n``, summing to one.

    Raises
    ------
    PlanningError
        (a ``ValueError``) If ``mean`` is not a positive finite number at most ``MAX_QUANTITY``.
    """
    check_mean(mean)
    from scipy import stats  # imported here: scipy.stats takes ~0.5 s to import

    upper = int(stats.poisson.isf(tail_probability, mean)) + 1
    _check_support(upper + 1, f"a Poisson mean of {mean:g}", "mean", mean)
    pmf = stats.poisson.pmf(np.arange(upper + 1), mean)
    return np.asarray(pmf / pmf.sum(), dtype=np.float64)


def demand_distribution(mean: float | None, demand_pmf: ArrayLike | None = None) -> NDArray[np.float64]:
    """Validated one-period demand pmf: Poisson(``mean``) or the given ``demand_pmf``.

    Parameters
    ----------
    mean : float or None
        Mean demand per period. Required when ``demand_pmf`` is None. When a pmf is
        given, ``mean`` may be None; if it is a number it must agree with the pmf's
        mean to a relative tolerance of 1e-3 (this catches inconsistent inputs).
    demand_pmf : array_like, optional
        Probabilities of demand ``0, 1, ..., len - 1``; non-negative, summing to one
        within 1e-6 (the pmf is renormalised), with ``P(D = 0) < 1``.

    Returns
    -------
    numpy.ndarray
        The pmf as a float array with trailing zeros removed.

    Raises
    ------
    PlanningError
        (a ``ValueError``, naming ``mean`` or ``demand_pmf``) On a non-positive mean, a pmf that is not 1-D,
        has negative or non-finite
        entries, does not sum to one, puts all mass on zero, or disagrees with ``mean``.
    """
    if demand_pmf is None:
        if mean is None:
            raise PlanningError("either mean or demand_pmf must be given", column="mean")
        return poisson_pmf(check_mean(mean))
    pmf = number_array(demand_pmf, "demand_pmf")  # ["0.5", "0.5"] was read as numbers
    if pmf.ndim != 1 or pmf.size == 0:
        raise PlanningError(f"demand_pmf must be a non-empty 1-D array, got shape {pmf.shape}", column="demand_pmf")
    _check_support(pmf.size, "demand_pmf", "demand_pmf")
    if not np.all(np.isfinite(pmf)) or np.any(pmf < 0):
        raise PlanningError("demand_pmf entries must be finite and non-negative", column="demand_pmf")
    total = float(pmf.sum())
    if abs(total - 1.0) > 1e-6:
        raise PlanningError(f"demand_pmf must sum to one, sums to {total!r}", column="demand_pmf")
    pmf = pmf / total
    last = int(np.flatnonzero(pmf)[-1])
    pmf = pmf[: last + 1]
    if last == 0:
        raise PlanningError("demand_pmf puts all mass on zero demand; the mean must be positive", column="demand_pmf")
    if mean is not None:
        mean = check_mean(mean)  # "1" was reported as disagreeing with the pmf
        implied = pmf_mean(pmf)
        if not math.isclose(float(mean), implied, rel_tol=_MEAN_RELATIVE_TOLERANCE):
            raise PlanningError(f"mean={mean!r} disagrees with the mean {implied:.6g} of demand_pmf; pass mean=None",
                                column="mean", value=mean)
    return pmf


def check_mean(mean: object) -> float:
    """``mean`` as a float when it is a positive finite number at most ``MAX_QUANTITY`` (1e12), else a
    :class:`~hybridinv.PlanningError` (a ``ValueError``) naming ``mean``.

    (until 2026-12-06 a mean of 1e30 ended in "cannot convert float NaN to integer" and the errors were plain
    ``ValueError`` without ``.column``.)
    """
    from hybridinv.core.limits import MAX_QUANTITY

    if isinstance(mean, bool | np.bool_) or not isinstance(mean, int | float | np.integer | np.floating):
        raise PlanningError(f"demand mean must be a positive finite number, got {mean!r}", column="mean",
                            value=mean)  # not "5" or True
    value = float(mean)
    if not (math.isfinite(value) and value > 0):
        raise PlanningError(f"demand mean must be a positive finite number, got {mean!r}", column="mean", value=mean)
    if value > MAX_QUANTITY:
        raise PlanningError(f"demand mean must be a positive finite number at most {MAX_QUANTITY:g} (MAX_QUANTITY), "
                            f"got {mean!r}", column="mean", value=mean)
    return value


def _check_support(size: int, what: str, column: str, value: object = None) -> None:
    if size > MAX_SUPPORT:
        raise PlanningError(f"{what} needs a demand support of {size:,} values, more than the exact solvers' "
                            f"{MAX_SUPPORT:,} (they are meant for single-SKU checks with moderate demand)",
                            column=column, value=value)


def pmf_mean(pmf: NDArray[np.float64]) -> float:
    """Mean ``sum_d d * pmf[d]`` of a pmf over ``0..len - 1``."""
    return float(np.dot(np.arange(pmf.size), pmf))


def convolution_power(pmf: NDArray[np.float64], periods: int) -> NDArray[np.float64]:
    """Pmf of the sum of ``periods`` independent copies (``periods >= 1``).

    The tail beyond :data:`TAIL_PROBABILITY` is cut after each convolution and the
    result renormalised, so the support grows like the mean, not like ``periods * n``.
    """
    if periods < 1:
        raise ValueError(f"periods must be >= 1, got {periods}")
    total = pmf
    for _ in range(periods - 1):
        total = np.convolve(total, pmf)
        tail = np.cumsum(total[::-1])[::-1]
        keep = int(np.searchsorted(-tail, -TAIL_PROBABILITY))
        total = total[: max(keep, 1)]
        total = total / total.sum()
    return np.asarray(total, dtype=np.float64)


def expected_overage(pmf: NDArray[np.float64], levels: ArrayLike) -> NDArray[np.float64]:
    """``E[(y - D)^+]`` for every integer level ``y`` in ``levels`` (any sign).

    Uses ``E[(y - D)^+] = sum_{k < y} P(D <= k)``; beyond the support it is ``y - E[D]``.
    """
    level = np.asarray(levels, dtype=np.int64)
    cdf = np.cumsum(pmf)
    partial = np.concatenate(([0.0], np.cumsum(cdf)))
    inside = np.clip(level, 0, pmf.size)
    result = partial[inside] + np.maximum(level - pmf.size, 0)
    return np.where(level > 0, result, 0.0)


def expected_underage(pmf: NDArray[np.float64], levels: ArrayLike) -> NDArray[np.float64]:
    """``E[(D - y)^+]`` for integer levels, from ``E[(D - y)^+] = E[(y - D)^+] - y + E[D]``."""
    level = np.asarray(levels, dtype=np.int64)
    return expected_overage(pmf, level) - level + pmf_mean(pmf)


def newsvendor_cost(
    pmf: NDArray[np.float64], levels: ArrayLike, holding_cost: float, shortage_cost: float
) -> NDArray[np.float64]:
    """One-period cost ``G(y) = h E[(y - D)^+] + p E[(D - y)^+]`` at integer levels ``y``.

    Parameters
    ----------
    pmf : numpy.ndarray
        Demand pmf over ``0..len - 1``.
    levels : array_like of int
        Stock levels ``y`` available to meet demand (negative means backorders).
    holding_cost : float
        Cost per unit of end-of-period stock [h].
    shortage_cost : float
        Cost per unit short at the end of the period [p] (backordered or lost).

    References
    ----------
    .. [1] Snyder and Shen (2019), Chapter 4 (newsvendor cost, discrete demand).
    """
    level = np.asarray(levels, dtype=np.int64)
    over = expected_overage(pmf, level)
    under = over - level + pmf_mean(pmf)
    return np.asarray(holding_cost * over + shortage_cost * under, dtype=np.float64)


#: Largest ratio of a cost to ``holding_cost`` the exact solvers take: beyond it the best levels lie past the
#: states they enumerate (h = 1e-9 ran for minutes) and the costs past float precision (p = 1e14 returned an
#: "optimum" dearer than a base-stock policy, p = 1e300 a negative cost, K = 1e100 a ZeroDivisionError).
MAX_COST_RATIO = 1e6


def check_costs(**costs: float) -> None:
    """Raise :class:`~hybridinv.PlanningError` (a ``ValueError``) naming the cost unless every named cost is a
    finite number from 0 to ``MAX_COST`` (1e12) and, when
    ``holding_cost`` is one of them and above 0, every other is at most :data:`MAX_COST_RATIO` times it."""
    from hybridinv.core.limits import MAX_COST

    for name, value in costs.items():
        number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if not (number and math.isfinite(value) and 0 <= value <= MAX_COST):  # True was a cost of 1
            raise PlanningError(f"{name} must be a finite number from 0 to {MAX_COST:g} (MAX_COST), got {value!r}",
                                column=name, value=value)
    holding = costs.get("holding_cost", 0.0)
    for name, value in costs.items():
        if holding > 0 and name != "holding_cost" and value > MAX_COST_RATIO * holding:
            raise PlanningError(f"{name} / holding_cost = {value / holding:.3g} is above {MAX_COST_RATIO:g} "
                                "(MAX_COST_RATIO): the best levels lie beyond what the exact solvers enumerate; "
                                "measure the costs in units that keep their ratio smaller", column=name, value=value)


def check_lead_time(lead_time: int) -> int:
    """``lead_time`` as an int: a whole number (``3``, ``np.int64(3)``, ``3.0``) from 0 to
    :data:`~hybridinv.core.limits.MAX_LEAD_TIME`, else a :class:`~hybridinv.PlanningError` (a
    ``ValueError``) naming ``lead_time``.

    The exact solvers shared this check with ``optimal_ss``'s own, which differed: this one refused
    ``2.0`` and had no upper limit (a lead time of 10**6 convolved a million periods' demand).
    """
    from hybridinv.core.errors import whole_number
    from hybridinv.core.limits import MAX_LEAD_TIME

    lead = whole_number(lead_time, "lead_time")
    if lead > MAX_LEAD_TIME:
        raise PlanningError(f"must be a whole number from 0 to {MAX_LEAD_TIME}", column="lead_time",
                            value=lead_time)
    return lead
