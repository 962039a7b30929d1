"""Fit per-SKU demand models to a period-by-SKU demand matrix.

All statistics are computed on arrays of shape (periods, n_skus) at once: the
Syntetos–Boylan class of each SKU, seasonal indices with a significance test,
censored-period imputation, and the choice of count family (Poisson, negative
binomial, empirical) by held-out log-likelihood.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from hybridinv.core.errors import PlanningError, PlanningWarning, enum_member, number_in, whole_number
from hybridinv.twin.processes import DemandFamily

__all__ = [
    "ADI_CUTOFF",
    "CV2_CUTOFF",
    "Censoring",
    "DemandFit",
    "DemandPattern",
    "classify_demand",
    "fit_demand",
    "seasonal_indices",
]

#: Syntetos–Boylan cut-offs: average inter-demand interval and squared CV of sizes.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
_NB_SIZE_CAP = 1e6  # sizes above this are indistinguishable from Poisson


class DemandPattern(StrEnum):
    """Syntetos–Boylan demand class."""

    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"


class Censoring(StrEnum):
    """How periods whose sales were capped by a stock-out are treated."""

    IMPUTE = "impute"  #: replace by the expected demand given demand >= sales (EM)
    EXCLUDE = "exclude"  #: drop censored periods from the fit
    IGNORE = "ignore"  #: treat sales as demand (biased low; flagged in the report)


@dataclass(frozen=True)
class DemandFit:
    """Fitted demand model per SKU (arrays aligned with the SKUs).

    Attributes
    ----------
    mean : array
        Deseasonalized mean demand per period at the end of the fit window.
    dispersion : array
        Negative binomial size ``k`` (``inf`` when demand is not over-dispersed).
    family : array of int
        :class:`~hybridinv.twin.processes.DemandFamily` chosen by held-out log-likelihood.
    loglik : array, shape (n, 3)
        Held-out mean log-likelihood per period of each family (columns in family order).
    pattern : array of str
        Syntetos–Boylan class.
    adi, cv2 : array
        Average inter-demand interval and squared CV of non-zero demand sizes.
    season_period : tuple of int
        Cycle lengths tested, e.g. ``(7,)`` for daily data.
    season_index : tuple of arrays, each (period, n)
        Multiplicative seasonal index per phase (1 where not significant).
    season_pvalue : tuple of arrays
        p-value of the test of no seasonality per cycle.
    season_amplitude, season_phase : tuple of arrays
        First-harmonic fit ``1 + A sin(2 pi (t + phase) / period)`` of the index,
        with ``t = 0`` the first period of the fit window (0 where not significant).
    censored_share : array
        Share of observed periods flagged as censored.
    observed : array
        Number of observed (non-missing) periods.
    samples : array, shape (n, T)
        Deseasonalized demand (NaN where missing or excluded) for the empirical family.
    """

    mean: NDArray[np.float64]
    dispersion: NDArray[np.float64]
    family: NDArray[np.int64]
    loglik: NDArray[np.float64]
    pattern: NDArray[np.object_]
    adi: NDArray[np.float64]
    cv2: NDArray[np.float64]
    season_period: tuple[int, ...]
    season_index: tuple[NDArray[np.float64], ...]
    season_pvalue: tuple[NDArray[np.float64], ...]
    season_amplitude: tuple[NDArray[np.float64], ...]
    season_phase: tuple[NDArray[np.float64], ...]
    censored_share: NDArray[np.float64]
    observed: NDArray[np.float64]
    samples: NDArray[np.float64]

    def seasonal_factor(self, start: int, periods: int) -> NDArray[np.float64]:
        """Product of the seasonal indices for periods ``start .. start+periods-1``, shape (periods, n)."""
        t = np.arange(start, start + periods)
        factor = np.ones((periods, self.mean.size))
        for cycle, index in zip(self.season_period, self.season_index, strict=True):
            factor *= index[t % cycle]
        return factor


def classify_demand(demand: NDArray[np.float64], observed: NDArray[np.bool_]) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.object_]
]:
    """Syntetos–Boylan classification of each column.

    Parameters
    ----------
    demand : array, shape (T, n)
    observed : array of bool, shape (T, n)
        Cells to use.

    Returns
    -------
    adi, cv2, pattern
        ``ADI = observed periods / periods with demand``; ``CV^2`` of the non-zero sizes.

    References
    ----------
    Syntetos, A. A., Boylan, J. E. & Croston, J. D. (2005). On the categorization of demand
    patterns. *Journal of the Operational Research Society* 56(5), 495–503.
    """
    positive = observed & (demand > 0)
    hits = positive.sum(axis=0)
    adi = np.where(hits > 0, observed.sum(axis=0) / np.maximum(hits, 1), np.inf)
    sizes = np.where(positive, demand, 0.0)
    size_mean = sizes.sum(axis=0) / np.maximum(hits, 1)
    size_var = (np.where(positive, (demand - size_mean) ** 2, 0.0)).sum(axis=0) / np.maximum(hits, 1)
    cv2 = np.where(hits > 1, size_var / np.maximum(size_mean, 1e-12) ** 2, 0.0)
    intermittent = adi >= ADI_CUTOFF
    variable = cv2 >= CV2_CUTOFF
    pattern = np.where(
        intermittent,
        np.where(variable, DemandPattern.LUMPY.value, DemandPattern.INTERMITTENT.value),
        np.where(variable, DemandPattern.ERRATIC.value, DemandPattern.SMOOTH.value),
    ).astype(object)
    return adi, cv2, pattern


def seasonal_indices(
    demand: NDArray[np.float64],
    observed: NDArray[np.bool_],
    cycle: int,
    alpha: float = 0.01,
    eligible: NDArray[np.bool_] | None = None,
    harmonics: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Multiplicative seasonal indices per phase with a quasi-Poisson significance test.

    The test compares the seasonal model's phase means ``f_j`` with the overall
    mean ``ybar`` through the Poisson deviance
    ``G = 2 sum_j [S_j log(f_j / ybar) - n_j (f_j - ybar)]`` (``S_j`` the phase totals),
    scaled by the Pearson dispersion ``phi`` of the seasonal model, against
    ``chi2(dof)`` when ``phi`` is at most 1 (taken as 1, Poisson's), else as ``F(dof, T - dof - 1)`` of
    ``G / dof / phi`` (the dispersion is estimated: McCullagh & Nelder's quasi-likelihood F test).
    With ``harmonics`` the index is smoothed to its first
    ``harmonics`` Fourier terms (``dof = 2 * harmonics``; for long cycles such as a
    year of days, where raw phase means would over-fit); otherwise ``dof = cycle - 1``.
    Indices of SKUs that are not significant at ``alpha`` (or not ``eligible``,
    or with fewer than two full cycles) are set to 1.

    Returns
    -------
    index : array, shape (cycle, n)
    pvalue : array, shape (n,)

    References
    ----------
    McCullagh, P. & Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed., §6.2 (quasi-likelihood).
    """
    periods, n = demand.shape
    phase = np.arange(periods) % cycle
    onehot = (phase[:, None] == np.arange(cycle)[None, :]).astype(np.float64)  # (T, cycle)
    weight = observed.astype(np.float64)
    y = np.where(observed, demand, 0.0)
    count = onehot.T @ weight  # (cycle, n)
    total = onehot.T @ y
    overall = y.sum(axis=0) / np.maximum(weight.sum(axis=0), 1)
    phase_mean = total / np.maximum(count, 1)
    index = np.where(count > 0, phase_mean / np.maximum(overall, 1e-12), 1.0)
    dof = cycle - 1
    if harmonics is not None and 2 * harmonics < cycle - 1:
        angle = 2.0 * np.pi * np.outer(np.arange(cycle), np.arange(1, harmonics + 1)) / cycle
        basis = np.column_stack([np.ones(cycle), np.sin(angle), np.cos(angle)])  # (cycle, 2H+1)
        coef, *_ = np.linalg.lstsq(basis, index, rcond=None)
        index = np.maximum(basis @ coef, 0.05)
        dof = 2 * harmonics
    fitted_mean = index * overall[None, :]
    log_ratio = np.log(np.maximum(index, 1e-12))
    deviance = 2.0 * (total * log_ratio - count * (fitted_mean - overall[None, :])).sum(axis=0)
    fitted = fitted_mean[phase]  # (T, n)
    pearson = np.where(observed & (fitted > 0), (y - fitted) ** 2 / np.maximum(fitted, 1e-12), 0.0).sum(axis=0)
    residual_dof = np.maximum(weight.sum(axis=0) - dof - 1, 1)
    estimated = pearson / residual_dof
    phi = np.maximum(estimated, 1.0)
    # an estimated dispersion makes the scaled deviance an F statistic, not a chi-squared one: compared with
    # chi2(dof), flat over-dispersed series (NB, 36 months) were flagged seasonal 6.6% of the time at alpha 0.01
    # (1.5% with F); a dispersion at or below Poisson's keeps the known phi = 1 and the chi-squared test
    scaled = np.maximum(deviance, 0.0) / phi
    pvalue = np.where(estimated > 1.0, stats.f.sf(scaled / dof, dof, residual_dof), stats.chi2.sf(scaled, dof))
    enough = (count >= 2).all(axis=0) & (overall > 0)
    significant = enough & (pvalue < alpha)
    if eligible is not None:
        significant &= eligible
    index = np.where(significant[None, :], index, 1.0)
    index = index / np.where(significant, index.mean(axis=0), 1.0)[None, :]
    return index, np.where(enough, pvalue, 1.0)


def _harmonic(index: NDArray[np.float64], cycle: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Amplitude and phase of ``1 + A sin(2 pi (j + phase) / cycle)`` fitted to the index."""
    angle = 2.0 * np.pi * np.arange(cycle) / cycle
    b_sin = 2.0 / cycle * (np.sin(angle) @ (index - 1.0))
    b_cos = 2.0 / cycle * (np.cos(angle) @ (index - 1.0))
    amplitude = np.hypot(b_sin, b_cos)
    phase = np.mod(np.arctan2(b_cos, b_sin) * cycle / (2.0 * np.pi), cycle)
    return amplitude, phase


def _impute_censored(
    demand: NDArray[np.float64], censored: NDArray[np.bool_], observed: NDArray[np.bool_],
    factor: NDArray[np.float64], iterations: int = 50,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """EM for the Poisson mean with right-censored periods (demand >= sales).

    Uses ``E[D | D >= c] = m P(D >= c - 1) / P(D >= c)`` for ``D ~ Poisson(m)``.
    Returns the completed demand matrix and the deseasonalized mean.
    """
    y = np.where(observed, demand, 0.0)
    mean = y.sum(axis=0) / np.maximum(np.where(observed, factor, 0.0).sum(axis=0), 1e-12)
    completed = y
    for _ in range(iterations):
        level = np.maximum(mean[None, :] * factor, 1e-12)
        tail = stats.poisson.sf(y - 1, level)
        tail_shift = stats.poisson.sf(y - 2, level)
        conditional = level * tail_shift / np.maximum(tail, 1e-300)
        completed = np.where(censored & observed, np.maximum(conditional, y), y)
        new_mean = completed.sum(axis=0) / np.maximum(np.where(observed, factor, 0.0).sum(axis=0), 1e-12)
        if np.allclose(new_mean, mean, rtol=1e-6):
            mean = new_mean
            break
        mean = new_mean
    return completed, mean


def _ratio_mean(y: NDArray[np.float64], factor: NDArray[np.float64], use: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Deseasonalized level ``sum(y) / sum(factor)`` over the used cells (the ratio
    estimator: less noisy than the mean of ``y / factor``)."""
    return np.where(use, y, 0.0).sum(axis=0) / np.maximum(np.where(use, factor, 0.0).sum(axis=0), 1e-12)


def _nb_size(y: NDArray[np.float64], level: NDArray[np.float64], use: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Maximum-likelihood NB2 size ``k`` per column with the means ``level`` held fixed.

    Profile likelihood on a log grid of ``k`` (``0.02 .. 1e5``, 300 points: steps of about 5.3%, so the size is
    within about 2.6% of the exact maximum; a maximum below 0.02 is read as 0.02), one
    vectorized pass per grid point; ``inf`` when the best size is at the top (Poisson),
    the data are not over-dispersed or there is no demand at all.
    """
    level = np.maximum(level, 1e-9)
    grid = np.exp(np.linspace(np.log(0.02), np.log(_NB_SIZE_CAP / 10), 300))
    best = np.full(y.shape[1], -np.inf)
    size = np.full(y.shape[1], np.inf)
    base = np.where(use, -special.gammaln(y + 1) + y * np.log(level), 0.0).sum(axis=0)
    for k in grid:
        terms = special.gammaln(y + k) - special.gammaln(k) + k * np.log(k) - (k + y) * np.log(k + level)
        value = base + np.where(use, terms, 0.0).sum(axis=0)
        better = value > best
        best = np.where(better, value, best)
        size = np.where(better, k, size)
    poisson = np.where(use, stats.poisson.logpmf(y, level), 0.0).sum(axis=0)
    # no demand in any used period: every size fits a mean of 0 alike, and rounding picked one (27,535)
    quiet = ~(np.where(use, y, 0.0) > 0).any(axis=0)
    return np.where((size >= grid[-1] * 0.999) | (poisson >= best - 1e-9) | quiet, np.inf, size)


def _loglik(
    y: NDArray[np.float64], level: NDArray[np.float64], size: NDArray[np.float64], use: NDArray[np.bool_],
    train: NDArray[np.float64], train_use: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Mean log-likelihood per used period of Poisson, NB and empirical, shape (n, 3)."""
    count = np.maximum(use.sum(axis=0), 1)
    level = np.maximum(level, 1e-9)
    poisson = np.where(use, stats.poisson.logpmf(y, level), 0.0).sum(axis=0) / count
    k = np.minimum(size, _NB_SIZE_CAP)[None, :]
    nb_terms = (
        special.gammaln(y + k) - special.gammaln(k) - special.gammaln(y + 1)
        + k * np.log(k / (k + level)) + y * np.log(level / (k + level))
    )
    negbin = np.where(use, nb_terms, 0.0).sum(axis=0) / count
    # empirical: add-one smoothed histogram of each SKU's own training values over 0..max + 1, the last value
    # standing for "above every training value" (a held-out value beyond it counts there), looked up sparsely (a
    # dense histogram of n x max cells took 194 GiB for weekly demand of 2.6e10 units): P(v) = (c(v) + 1) / (N + top).
    # Until 2026-12-06 ``top`` was the largest value of every SKU, held-out ones included: one fast mover in the log
    # crushed every intermittent SKU's likelihood (-6.38 for -1.63 alone) and moved 574 of 2,674 car-parts SKUs to
    # another family, and the held-out values shaped the fit they judged
    train_values = np.rint(np.where(train_use, train, 0.0)).astype(np.int64)
    top = train_values.max(axis=0, initial=0) + 2  # (n,)
    values = np.minimum(np.rint(np.where(use, y, 0.0)).astype(np.int64), (top - 1)[None, :])
    offsets = np.concatenate([[0], np.cumsum(top)[:-1]]).astype(np.int64)[None, :]
    seen, counts = np.unique((train_values + offsets)[train_use], return_counts=True)
    keys = values + offsets
    hits = np.zeros(keys.shape, dtype=np.int64)
    if seen.size:
        at = np.minimum(np.searchsorted(seen, keys), seen.size - 1)
        hits = np.where(seen[at] == keys, counts[at], 0)
    probability = (hits + 1.0) / (train_use.sum(axis=0) + top)[None, :]
    empirical = np.where(use, np.log(probability), 0.0).sum(axis=0) / count
    return np.column_stack([poisson, negbin, empirical])


def _cycles(seasonal_cycles: object) -> tuple[int, ...]:
    """``seasonal_cycles`` as a tuple of whole numbers >= 2; one number is one cycle (``7`` is ``(7,)``).

    A cycle of 0 or 2.5 failed in numpy indexing, 1 gave a NaN p-value, and ``7`` was a TypeError
    ("'int' object is not iterable").

    Raises
    ------
    PlanningError
        Naming ``seasonal_cycles`` and the first bad value.
    """
    if isinstance(seasonal_cycles, int | float | np.number):  # a boolean is refused by whole_number below
        seasonal_cycles = (seasonal_cycles,)
    if not isinstance(seasonal_cycles, tuple | list | np.ndarray):
        raise PlanningError("must be a whole number or a sequence of them (cycle lengths in periods)",
                            column="seasonal_cycles", value=seasonal_cycles)
    return tuple(whole_number(cycle, "seasonal_cycles", 2) for cycle in seasonal_cycles)


def _sales_when_always_censored(
    mean: NDArray[np.float64], y: NDArray[np.float64], factor: NDArray[np.float64], observed: NDArray[np.bool_],
    censored: NDArray[np.bool_], skus: Sequence[object] | None,
) -> NDArray[np.float64]:
    """``mean``, with the (deseasonalized) mean sold for SKUs censored in every observed period, and a
    :class:`~hybridinv.PlanningWarning` naming them.

    No period shows such a SKU's demand: ``"exclude"`` left it no period (mean 0) and ``"impute"``'s EM
    has no uncensored period to anchor it (the level grows with every iteration, and stopped wherever the
    iterations ran out). The sales are a lower bound of the demand.
    """
    always = (observed.sum(axis=0) > 0) & ~(observed & ~censored).any(axis=0)
    if not always.any():
        return mean
    names = list(skus) if skus is not None else list(range(mean.size))
    flagged = [names[i] for i in np.flatnonzero(always)]
    others = f" (and {len(flagged) - 1} more SKU(s))" if len(flagged) > 1 else ""
    warnings.warn(PlanningWarning(
        f"SKU {flagged[0]!r}{others} ran out of stock in every period of the log: its demand cannot be estimated "
        "above its sales, so the mean sold is used, a lower bound of its demand (give periods in stock, or plan "
        "it with a demand estimate of your own)"), stacklevel=4)
    return np.where(always, _ratio_mean(y, factor, observed), mean)


def fit_demand(
    demand: NDArray[np.float64],
    observed: NDArray[np.bool_] | None = None,
    censored: NDArray[np.bool_] | None = None,
    seasonal_cycles: int | tuple[int, ...] = (),
    holdout: float = 0.25,
    alpha: float = 0.01,
    censoring: Censoring | str = Censoring.IMPUTE,
    level_window: int | None = None,
    skus: Sequence[object] | None = None,
) -> DemandFit:
    """Fit a demand model to each column of ``demand`` (periods x SKUs).

    Parameters
    ----------
    demand : array, shape (T, n)
        Demand (or sales) per period; NaN marks a missing period.
    observed : array of bool, optional
        Cells to use (default: finite cells).
    censored : array of bool, optional
        Cells where sales were capped by a stock-out (demand >= recorded sales).
    seasonal_cycles : int or tuple of int
        Cycle lengths to test, outermost last (e.g. ``(7, 365)`` for days; one number is one cycle,
        ``7`` is ``(7,)``); whole numbers >= 2, others refused. A cycle is
        tested only for smooth/erratic SKUs with at least two full cycles of data; cycles longer
        than 24 periods are smoothed to three harmonics.
    holdout : float
        Share of the last periods held out to choose the family.
    alpha : float
        Significance level of the seasonality test.
    censoring : Censoring
        How censored cells are treated. A SKU censored in every observed period (it ran out in each)
        has no period that shows its demand: with ``"impute"`` or ``"exclude"`` its mean is the mean
        sold, a lower bound, with a :class:`~hybridinv.PlanningWarning` naming it (it was 0 with
        ``"exclude"``, and wherever the non-converging EM stopped with ``"impute"``).
    level_window : int, optional
        Estimate the mean from the last ``level_window`` periods only (default: all).
    skus : sequence, optional
        SKU names of the columns, for warnings (default: the column numbers).

    Returns
    -------
    DemandFit

    Warns
    -----
    PlanningWarning
        Naming the SKUs censored in every observed period.

    Raises
    ------
    PlanningError
        For demand that is not numbers (text, booleans), infinite or negative, fewer than 4
        periods, ``observed``/``censored`` of another shape, or options out of range.
    """
    raw = np.asarray(demand)
    if raw.dtype.kind not in "iuf":  # text such as "3" was converted, booleans read as 0/1
        raise PlanningError(f"demand must be numbers, not {raw.dtype}", column="demand")
    y = raw.astype(np.float64)
    if y.ndim != 2 or y.shape[0] < 4:
        raise PlanningError(f"demand must have shape (periods >= 4, skus), got {y.shape}", column="demand")
    if np.isinf(y).any():  # was read as a missing period
        raise PlanningError("demand must be finite (NaN marks a missing period)", column="demand",
                            value=float(y[np.isinf(y)][0]))
    masks = {name: np.asarray(mask, dtype=bool) for name, mask in (("observed", observed), ("censored", censored))
             if mask is not None}
    for name, mask in masks.items():
        if mask.shape != y.shape:  # a numpy broadcasting error
            raise PlanningError(f"must have the shape of demand {y.shape}, got {mask.shape}", column=name)
    observed = np.isfinite(y) & masks.get("observed", True)
    if (y[observed] < 0).any():
        raise PlanningError("demand must be >= 0", column="demand")
    y = np.where(observed, y, 0.0)
    censored = masks.get("censored", np.zeros_like(observed)) & observed
    censoring = enum_member(Censoring, censoring, "censoring")
    holdout = number_in(holdout, "holdout", 0.0, 1.0, open_low=True, open_high=True)  # NaN failed in round()
    alpha = number_in(alpha, "alpha", 0.0, 1.0, open_low=True, open_high=True)
    level_window = None if level_window is None else whole_number(level_window, "level_window", 1)
    seasonal_cycles = _cycles(seasonal_cycles)
    periods, n = y.shape
    clean = observed & ~censored if censoring is not Censoring.IGNORE else observed
    # a SKU censored in every period is classified on its sales, as its mean is (it had no period: ADI inf, read
    # as "intermittent" whatever it sold)
    seen = np.asarray(clean.sum(axis=0) > 0, dtype=bool)
    adi, cv2, pattern = classify_demand(y, np.where(seen[None, :], clean, observed))
    smooth = adi < ADI_CUTOFF
    factor = np.ones_like(y)
    indices, pvalues, amplitudes, phases = [], [], [], []
    for cycle in seasonal_cycles:
        harmonics = 3 if cycle > 24 else None
        index, pvalue = seasonal_indices(y / factor, clean, cycle, alpha, eligible=smooth, harmonics=harmonics)
        factor = factor * index[np.arange(periods) % cycle]
        amplitude, phase = _harmonic(index, cycle)
        tested = ~np.all(index == 1.0, axis=0)
        indices.append(index)
        pvalues.append(pvalue)
        amplitudes.append(np.where(tested, amplitude, 0.0))
        phases.append(np.where(tested, phase, 0.0))
    factor = np.maximum(factor, 1e-6)
    if censoring is Censoring.IMPUTE and censored.any():
        completed, _ = _impute_censored(y, censored, observed, factor)
        use = observed
    else:
        completed, use = y, clean
    window = np.ones(periods, dtype=bool)
    if level_window is not None:
        window[: max(periods - level_window, 0)] = False
    level_use: NDArray[np.bool_] = np.asarray(use & window[:, None], dtype=bool)
    level_use = np.where((level_use.sum(axis=0) > 0)[None, :], level_use, use)
    mean = _ratio_mean(completed, factor, level_use)
    if censoring is not Censoring.IGNORE:
        mean = _sales_when_always_censored(mean, y, factor, observed, censored, skus)
    dispersion_use = observed & ~censored
    size = _nb_size(y, mean[None, :] * factor, dispersion_use)
    # family choice on a held-out tail, fitted on the head
    split = int(round(periods * (1.0 - holdout)))
    split = min(max(split, 2), periods - 1)
    head, tail = slice(0, split), slice(split, periods)
    head_use, tail_use = dispersion_use[head], dispersion_use[tail]
    head_mean = _ratio_mean(y[head], factor[head], head_use)
    head_size = _nb_size(y[head], head_mean[None, :] * factor[head], head_use)
    loglik = _loglik(
        y[tail], head_mean[None, :] * factor[tail], head_size, tail_use, y[head] / factor[head], head_use
    )
    # the empirical family is only a candidate for intermittent demand (sparse, non-parametric)
    candidates = loglik.copy()
    candidates[~(adi >= ADI_CUTOFF), DemandFamily.EMPIRICAL] = -np.inf
    candidates[~np.isfinite(size), DemandFamily.NEGATIVE_BINOMIAL] = -np.inf
    family = np.argmax(candidates, axis=1).astype(np.int64)
    samples = np.where(dispersion_use, y / factor, np.nan).T
    return DemandFit(
        mean=mean,
        dispersion=size,
        family=family,
        loglik=loglik,
        pattern=pattern,
        adi=adi,
        cv2=cv2,
        season_period=tuple(int(c) for c in seasonal_cycles),
        season_index=tuple(indices),
        season_pvalue=tuple(pvalues),
        season_amplitude=tuple(amplitudes),
        season_phase=tuple(phases),
        censored_share=censored.sum(axis=0) / np.maximum(observed.sum(axis=0), 1),
        observed=observed.sum(axis=0).astype(np.float64),
        samples=samples,
    )
