"""Statistics of benchmark results: t-intervals of means and of paired differences.

Every policy of a benchmark runs on the same seeds (common random numbers), so
the difference between two policies is best judged per seed: the paired
difference ``d_k = cost_A(seed_k) - cost_B(seed_k)`` removes the demand noise the
two runs share, and its t-interval is usually much narrower than the two
separate intervals suggest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, number_array, number_in

__all__ = ["BOOTSTRAP_BLOCK", "Interval", "bootstrap_mean", "paired_cost_intervals", "paired_difference", "t_interval"]


@dataclass(frozen=True)
class Interval:
    """A mean with the half-width of its confidence interval.

    Attributes
    ----------
    mean : float
        Sample mean.
    half_width : float
        ``t_{n-1, (1 + confidence) / 2} * s / sqrt(n)``; NaN with fewer than two values.
    n : int
        Number of values.
    confidence : float
        Coverage of the interval (0.95 for a 95% interval).
    """

    mean: float
    half_width: float
    n: int
    confidence: float = 0.95

    @property
    def low(self) -> float:
        """Lower end of the interval."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """Upper end of the interval."""
        return self.mean + self.half_width

    def excludes_zero(self) -> bool:
        """Whether the interval lies entirely above or entirely below zero."""
        return bool(math.isfinite(self.half_width) and (self.low > 0.0 or self.high < 0.0))

    def format(self, digits: int = 3) -> str:
        """``"mean ± half_width"`` with ``digits`` significant digits (``"mean"`` alone when n < 2)."""
        if not math.isfinite(self.mean):
            return "n/a"
        if not math.isfinite(self.half_width):
            return f"{self.mean:.{digits}g}"
        return f"{self.mean:.{digits}g} ± {self.half_width:.2g}"


#: Most resampled values :func:`bootstrap_mean` holds at once (resamples are drawn in blocks of rows): 2,000
#: resamples of a million SKUs in one array were 16 GB of indices and 16 GB of values.
BOOTSTRAP_BLOCK = 4_000_000


def bootstrap_mean(values: NDArray[np.float64], resamples: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of ``values`` and its 95% percentile-bootstrap interval (seeded; the backtest's paired intervals, the
    validation gates' verdicts). One value: the interval is that value; none: NaN.

    The resamples are drawn in blocks of at most :data:`BOOTSTRAP_BLOCK` values, one after the other from the same
    generator, so the interval is the one of drawing them all at once (the same indices in the same order), in
    bounded memory.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    rows = max(1, BOOTSTRAP_BLOCK // arr.size)
    means = np.concatenate([arr[rng.integers(0, arr.size, size=(min(rows, resamples - start), arr.size))].mean(axis=1)
                            for start in range(0, resamples, rows)])
    low, high = np.quantile(means, [0.025, 0.975])
    return float(arr.mean()), float(low), float(high)


def paired_cost_intervals(costs: NDArray[np.float64], reference: NDArray[np.float64]
                          ) -> dict[str, tuple[float, float, float, float]]:
    """The paired 95% bootstrap intervals (:func:`bootstrap_mean`) of ``costs - reference``, arrays of shape
    (periods, n): ``"SKUs"`` over the per-SKU totals, ``"periods"`` over the per-period totals. Each entry is
    ``(mean, low, high, percent)`` in cost units, ``percent`` the factor that puts them in % of the reference's total
    cost (a mean per SKU times the SKUs, a mean per period times the periods). What both validation gates judge by:
    the training gate's (:func:`hybridinv.rl.history.cost_verdict`) and the plan-time gate's
    (:func:`hybridinv.rl.gate.validation_gate`)."""
    costs = np.atleast_2d(np.asarray(costs, dtype=np.float64))
    reference = np.atleast_2d(np.asarray(reference, dtype=np.float64))
    total = max(abs(float(reference.sum())), 1e-12)
    out = {}
    for over, axis in (("SKUs", 0), ("periods", 1)):  # per-SKU totals (summed over periods), per-period totals
        mean, low, high = bootstrap_mean(costs.sum(axis=axis) - reference.sum(axis=axis))
        out[over] = (mean, low, high, 100.0 * reference.shape[1 - axis] / total)
    return out


def t_interval(values: ArrayLike, confidence: float = 0.95) -> Interval:
    """Student-t confidence interval of the mean of ``values``.

    Parameters
    ----------
    values : array_like
        Independent observations (for example one average cost per seed); NaNs are dropped.
    confidence : float, default 0.95
        Coverage, in (0, 1).

    Returns
    -------
    Interval
        ``mean ± t_{n-1, (1+c)/2} s / sqrt(n)`` with ``s`` the sample standard
        deviation (``ddof=1``). With one value the half-width is NaN; with none
        the mean is NaN too.

    Raises
    ------
    PlanningError
        Naming ``confidence`` when it is not a number in (0, 1) (95 for 95% included), or ``values`` when
        they are not numbers.

    References
    ----------
    Law, A. M. (2015). *Simulation Modeling and Analysis*, 5th ed., McGraw-Hill, eq. (9.1).

    Examples
    --------
    >>> interval = t_interval([1.0, 2.0, 3.0])
    >>> round(interval.half_width, 4)  # t_{2, 0.975} = 4.3027, s = 1
    2.4841
    """
    confidence = checked_confidence(confidence)
    arr = number_array(values, "values").ravel()
    arr = arr[~np.isnan(arr)]
    n = int(arr.size)
    if n == 0:
        return Interval(math.nan, math.nan, 0, confidence)
    mean = float(arr.mean())
    if n == 1:
        return Interval(mean, math.nan, 1, confidence)
    from scipy import stats  # on first use: the plan-time validation gate imports this module for bootstrap_mean

    quantile = float(stats.t.ppf(0.5 + confidence / 2.0, df=n - 1))
    half_width = quantile * float(arr.std(ddof=1)) / math.sqrt(n)
    return Interval(mean, half_width, n, confidence)


def paired_difference(values: ArrayLike, reference: ArrayLike, confidence: float = 0.95) -> Interval:
    """t-interval of the per-seed differences ``values - reference``.

    Parameters
    ----------
    values, reference : array_like
        Results of two policies on the same seeds, aligned (``values[k]`` and
        ``reference[k]`` come from seed ``k``).
    confidence : float, default 0.95

    Returns
    -------
    Interval
        Of the mean difference; a negative mean means ``values`` is lower
        (cheaper) than ``reference``. Pairs with a NaN are dropped.

    Raises
    ------
    PlanningError
        Naming ``reference`` when the two differ in length, ``values`` or ``reference`` when they are not
        numbers, ``confidence`` as :func:`t_interval` does.

    References
    ----------
    Law (2015), section 10.2.1 (paired-t confidence interval).
    """
    a = number_array(values, "values").ravel()
    b = number_array(reference, "reference").ravel()
    if a.shape != b.shape:
        raise PlanningError(f"paired values need equal lengths, got {a.size} values and {b.size} reference values",
                            column="reference", value=b.size)
    return t_interval(a - b, confidence)


def checked_confidence(confidence: object) -> float:
    """``confidence`` as a float in (0, 1), else a :class:`~hybridinv.PlanningError` naming it (until 2026-12-07
    a bare ``ValueError``; ``"0.95"`` a ``TypeError``)."""
    return number_in(confidence, "confidence", 0.0, 1.0, open_low=True, open_high=True)
