"""Lead-time demand distributions of a serial system on a common grid.

Each stage of :mod:`hybridinv.exact.serial` needs the demand of a whole number of
periods: ``L_1 + 1`` at stage 1 and ``L_j`` at stage ``j >= 2``. They are held as
pmfs over consecutive grid points ``offset, offset + 1, ...`` (grid units; a grid
point ``k`` stands for the quantity ``k * step``). Discrete demand has ``step = 1``;
Poisson pmfs are those of Poisson(``k mean``), other pmfs ``k``-fold convolutions,
both cut where the tail drops below :data:`~hybridinv.exact._demand.TAIL_PROBABILITY`
and renormalised. Normal demand ``N(k mu, k sigma^2)`` is discretised: grid point ``x``
receives the probability of ``[x - step / 2, x + step / 2)``; both tails beyond
``TAIL_PROBABILITY`` are cut and the pmf renormalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.exact._demand import TAIL_PROBABILITY, convolution_power, poisson_pmf

__all__ = ["MAX_GRID_POINTS", "LeadTimeDemand", "SerialDemand", "serial_demand"]

MAX_GRID_POINTS = 2_000_000
"""Largest support of one lead-time demand pmf (grid points); beyond it raise PlanningError."""


@dataclass(frozen=True)
class LeadTimeDemand:
    """Pmf of the demand of some periods over grid points ``offset, offset + 1, ...``."""

    offset: int
    pmf: NDArray[np.float64]


@dataclass(frozen=True)
class SerialDemand:
    """Per-stage lead-time demands on one grid.

    ``stage[0]`` is the demand of ``L_1 + 1`` periods, ``stage[j]`` that of ``L_{j+1}``
    periods (``j >= 1``); ``mean`` is the mean demand per period (real units).
    """

    step: float
    mean: float
    stage: tuple[LeadTimeDemand, ...]


_NONE = LeadTimeDemand(0, np.ones(1))


def _normal_pmf(mean: float, std: float, step: float) -> LeadTimeDemand:
    from scipy import stats  # imported here: scipy.stats takes ~0.5 s to import

    reach = float(stats.norm.isf(TAIL_PROBABILITY))
    low = int(np.floor((mean - reach * std) / step))
    high = int(np.ceil((mean + reach * std) / step))
    if high - low + 1 > MAX_GRID_POINTS:
        raise PlanningError(
            f"the lead-time demand spans {high - low + 1} grid points (limit {MAX_GRID_POINTS}); use a larger step",
            column="step", value=step,
        )
    edges = (np.arange(low, high + 2) - 0.5) * step
    pmf = np.diff(stats.norm.cdf(edges, loc=mean, scale=std))
    return LeadTimeDemand(low, np.asarray(pmf / pmf.sum(), dtype=np.float64))


def serial_demand(
    lead_time: NDArray[np.int64],
    pmf: NDArray[np.float64] | None = None,
    poisson_mean: float | None = None,
    normal: tuple[float, float, float] | None = None,
) -> SerialDemand:
    """Lead-time demands of every stage.

    Parameters
    ----------
    lead_time : numpy.ndarray of int
        ``L_1..L_N``.
    pmf : numpy.ndarray, optional
        One-period pmf over ``0..len - 1`` (discrete demand).
    poisson_mean : float, optional
        When given with ``pmf``, multi-period demands are Poisson(``k * poisson_mean``)
        computed directly instead of by convolution.
    normal : tuple of float, optional
        ``(mean, std, step)`` of normal demand per period and the grid width.
    """
    periods = [int(lead_time[0]) + 1, *(int(value) for value in lead_time[1:])]
    if normal is not None:
        mu, sigma, step = normal
        stages = tuple(
            _NONE if k == 0 else _normal_pmf(k * mu, sigma * float(np.sqrt(k)), step) for k in periods
        )
        return SerialDemand(step, mu, stages)
    if pmf is None:
        raise ValueError("either pmf or normal must be given")
    mean = float(np.dot(np.arange(pmf.size), pmf))
    if poisson_mean is not None:
        stages = tuple(_NONE if k == 0 else LeadTimeDemand(0, poisson_pmf(k * poisson_mean)) for k in periods)
    else:
        stages = tuple(_NONE if k == 0 else LeadTimeDemand(0, convolution_power(pmf, k)) for k in periods)
    return SerialDemand(1.0, mean, stages)
