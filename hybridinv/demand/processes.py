"""Demand processes: a base distribution shaped by seasonality, trend, promotions,
regime shifts and a common factor that correlates SKUs.

A process generates a whole demand path at once (periods x SKUs) from an explicit
:class:`numpy.random.Generator`, so a scenario and a seed give every policy the
same demand (common random numbers) and no random draw happens inside the
simulator's step loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import number_array, per_sku
from hybridinv.core.errors import PlanningError, enum_member, number_in, whole_number
from hybridinv.core.limits import MAX_QUANTITY

__all__ = [
    "CommonFactor",
    "DemandDistribution",
    "DemandPath",
    "DemandProcess",
    "Promotions",
    "RegimeShifts",
    "Seasonality",
]


#: Shortest seasonal cycle, in periods: sampled at whole periods a shorter one is constant or aliases a longer one.
MIN_SEASON_PERIOD = 2.0


class DemandDistribution(StrEnum):
    """Family of the per-period demand count given its mean."""

    POISSON = "poisson"
    NEGATIVE_BINOMIAL = "negative_binomial"
    NORMAL = "normal"  #: integer normal: round(max(0, N(mean, cv * mean)))
    EMPIRICAL = "empirical"  #: bootstrap from a history, scaled by the pattern


@dataclass(frozen=True)
class Seasonality:
    """Multiplicative cycle ``1 + amplitude * sin(2 pi (t + phase) / period)``.

    ``period`` 7 is a weekly cycle of daily buckets, 52 a yearly cycle of weeks,
    12 a yearly cycle of months; at least 2 (:data:`MIN_SEASON_PERIOD`: a shorter cycle is constant or
    another cycle at whole periods), a fraction allowed (52.18 weeks a year). ``amplitude`` (in [0, 1],
    so the factor stays >= 0) and ``phase`` are scalars or per SKU.
    """

    period: int
    amplitude: float | NDArray[np.float64] = 0.3
    phase: float | NDArray[np.float64] = 0.0

    def __post_init__(self) -> None:
        # period 0 or a NaN amplitude gave numpy's "lam value too large" at the first draw; an amplitude
        # above 1 made the factor negative, clipped to 0 (a different mean than the one written)
        # below 2 periods a cycle cannot be seen in whole periods: 1 or 0.5 gave sin 0 at every period (a
        # no-op), 1.5 the cycle of 3 -- accepted until 2026-12-07
        number_in(self.period, "seasonality.period", MIN_SEASON_PERIOD, math.inf)
        for name, low, high in (("amplitude", 0.0, 1.0), ("phase", -math.inf, math.inf)):
            values = number_array(getattr(self, name), f"seasonality.{name}")  # "0.3" was read as 0.3
            bad = ~np.isfinite(values) | (values < low) | (values > high)
            if bad.any():
                raise PlanningError(f"must be finite and in [{low:g}, {high:g}]", column=f"seasonality.{name}",
                                    value=float(values.reshape(-1)[np.flatnonzero(bad)[0]]))

    def factor(self, periods: NDArray[np.float64]) -> NDArray[np.float64]:
        amp = np.asarray(self.amplitude, dtype=np.float64)
        phase = np.asarray(self.phase, dtype=np.float64)
        return 1.0 + amp * np.sin(2.0 * np.pi * (periods[:, None] + phase) / self.period)


@dataclass(frozen=True)
class Promotions:
    """Planned promotions: each SKU starts one with ``probability`` per period,
    lasting ``duration`` periods (at least 1) with demand multiplied by ``lift``.
    ``probability`` 0 means no promotions.

    Promotions are drawn with the path but are *announced*: they are part of the
    expected demand a forecaster sees.
    """

    probability: float = 0.03
    lift: float = 2.5
    duration: int = 2

    def __post_init__(self) -> None:
        number_in(self.probability, "promotions.probability", 0.0, 1.0)
        number_in(self.lift, "promotions.lift", 0.0, MAX_MULTIPLIER)  # 1e308 x the mean overflowed
        # duration 0 was accepted yet every start still lifted one period; "no promotions" is probability 0
        whole_number(self.duration, "promotions.duration", 1)


@dataclass(frozen=True)
class RegimeShifts:
    """Unannounced level shifts: with ``probability`` per period and SKU the base
    level is multiplied by a factor drawn log-uniformly from ``[low, high]``.

    Shifts are *not* in the expected demand: a policy has to notice them.
    """

    probability: float = 0.01
    low: float = 0.6
    high: float = 1.6

    def __post_init__(self) -> None:
        number_in(self.probability, "regime_shifts.probability", 0.0, 1.0)
        low = number_in(self.low, "regime_shifts.low", 0.0, math.inf, open_low=True)
        number_in(self.high, "regime_shifts.high", 0.0, math.inf, open_low=True)
        if self.high < low:  # was "must be a finite number in [2, inf)", the 2 being low's value
            raise PlanningError(f"must be >= low ({low:g})", column="regime_shifts.high", value=self.high)


@dataclass(frozen=True)
class CommonFactor:
    """Multiplicative noise shared by SKUs.

    ``log multiplier = sigma * (sqrt(rho) z_t + sqrt(1 - rho) e_{t,i}) - sigma^2 / 2`` so
    the multiplier has mean 1 and the log multipliers of two SKUs have correlation ``rho``.
    """

    sigma: float = 0.2
    rho: float = 0.6

    def __post_init__(self) -> None:
        # a log-scale spread: 3 already spreads a period's demand over factors of e^-9 to e^9 (1e300 overflowed)
        number_in(self.sigma, "common_factor.sigma", 0.0, MAX_FACTOR_SIGMA)
        number_in(self.rho, "common_factor.rho", 0.0, 1.0)


@dataclass(frozen=True)
class DemandPath:
    """One realized demand path and what a forecaster could have known.

    Attributes
    ----------
    realized : array, shape (periods, n)
        Demand per period and SKU, finite and >= 0: whole numbers when drawn by a
        :class:`DemandProcess`; a replayed record may hold fractions (kilograms, litres),
        which the simulator serves to a relative ``hybridinv.sim.simulator.ROUNDING``.
    expected : array, shape (periods, n)
        The forecastable mean: base level, seasonality, trend and announced
        promotions (not regime shifts or common-factor shocks).
    std : array, shape (periods, n)
        Standard deviation of demand around ``expected`` under the base distribution.
    forecast_mean, forecast_std : arrays, shape (periods, horizon, n), optional
        Forecasts that depend on the origin (a rolling forecaster): ``forecast_mean[t, j]``
        is the forecast of period ``t + j`` made at the start of period ``t``. When given,
        policies see these (``Observation.forecast``) instead of ``expected``, and
        ``expected`` is the one-step forecast ``forecast_mean[:, 0]``.
    past_realized, past_expected : arrays, shape (h, n), optional
        Demand and one-step forecasts of the ``h`` periods before period 0 (what a
        policy may look back on at the start: ``Observation.demand_history``).
    """

    realized: NDArray[np.float64]
    expected: NDArray[np.float64]
    std: NDArray[np.float64]
    forecast_mean: NDArray[np.float64] | None = None
    forecast_std: NDArray[np.float64] | None = None
    past_realized: NDArray[np.float64] | None = None
    past_expected: NDArray[np.float64] | None = None


#: Smallest negative binomial size ``k`` (variance ``m + 1000 m^2`` at 1e-3; numpy's sampler fails far below).
MIN_DISPERSION = 1e-3
#: From ``k > POISSON_LIMIT * m`` a negative binomial draw is a Poisson draw: its variance differs from
#: Poisson's by a share below 1e-9 there, while ``p = k / (k + m)`` loses digits (it rounds to 1 near 1e16,
#: where numpy's sampler returns zeros).
POISSON_LIMIT = 1e9
#: Largest promotion lift (a multiplier of the mean).
MAX_MULTIPLIER = 1e6
#: Largest spread of the common factor's log multiplier.
MAX_FACTOR_SIGMA = 3.0
#: Log multipliers are clipped to +-this before exp (the level is capped at MAX_QUANTITY afterwards).
_MAX_LOG = 700.0


def check_generator(rng: object, column: str = "rng") -> None:
    """Refuse ``rng`` unless it is a :class:`numpy.random.Generator` (a seed or None had no ``spawn``).

    Raises
    ------
    PlanningError
        Naming ``column`` and the type given.
    """
    if not isinstance(rng, np.random.Generator):
        raise PlanningError(f"must be a numpy Generator, got {type(rng).__name__}: pass numpy.random.default_rng(seed) "
                            "(Scenario.sample takes the seed itself)", column=column, value=type(rng).__name__)


def checked_draw(rng: object, periods: object) -> int:
    """``periods`` as an int after refusing a ``rng`` that is not a :class:`numpy.random.Generator`: the check of
    every ``sample(rng, periods)`` of the demand, lead-time, replay and network demand processes.

    Raises
    ------
    PlanningError
        Naming ``rng`` for a seed, None or a ``RandomState`` (:func:`check_generator`), or ``periods`` when it
        is not a whole number >= 0.
    """
    check_generator(rng)
    return whole_number(periods, "periods")


def _per_sku(value: ArrayLike, n: int, name: str) -> NDArray[np.float64]:
    return per_sku(value, n, name, minimum=0.0)


@dataclass(frozen=True)
class DemandProcess:
    """Stochastic demand of ``n`` SKUs.

    Parameters
    ----------
    mean : array of float, shape (n,)
        Base mean demand per period.
    distribution : DemandDistribution
        Count distribution around the pattern-adjusted mean.
    dispersion : float or array
        Negative binomial size ``k`` (variance ``m + m^2 / k``), at least ``MIN_DISPERSION``; where
        ``k > POISSON_LIMIT * m`` (1e9) the draw is Poisson, the distribution's limit. Ignored otherwise.
    cv : float or array
        Coefficient of variation of the integer-normal distribution.
    seasonality : tuple of Seasonality
        Multiplicative cycles (weekly, yearly, ...).
    trend : float or array
        Relative growth per period (0.01 = +1% per period, linear): the mean times ``max(1 + trend * t, 0)``.
    promotions, regime_shifts, common_factor : optional
        Pattern components, see their classes.
    history : array, shape (n, h), optional
        Past demand per SKU for the empirical distribution (bootstrap), finite and >= 0; each draw
        is a past value times ``mean * pattern / mean of the SKU's history``, so a SKU with a
        positive mean needs some demand in its history.

    Raises
    ------
    PlanningError
        For a negative, NaN or infinite mean, dispersion or cv, per-SKU values of the wrong length,
        and an empirical history of the wrong shape, negative, or all zero for a SKU of positive mean.
    """

    mean: NDArray[np.float64]
    distribution: DemandDistribution = DemandDistribution.POISSON
    dispersion: float | NDArray[np.float64] = 2.0
    cv: float | NDArray[np.float64] = 0.3
    seasonality: tuple[Seasonality, ...] = ()
    trend: float | NDArray[np.float64] = 0.0
    promotions: Promotions | None = None
    regime_shifts: RegimeShifts | None = None
    common_factor: CommonFactor | None = None
    history: NDArray[np.float64] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        mean = np.atleast_1d(number_array(self.mean, "demand_mean"))  # text was numpy's bare ValueError
        n = mean.size
        object.__setattr__(self, "mean", _per_sku(mean, n, "demand_mean"))
        if (self.mean > MAX_QUANTITY).any():  # 1e20 failed in numpy's draw with "lam value too large"
            i = int(np.flatnonzero(self.mean > MAX_QUANTITY)[0])
            raise PlanningError(f"must be <= {MAX_QUANTITY:g} (MAX_QUANTITY)", column="demand_mean",
                                value=float(self.mean[i]))
        object.__setattr__(self, "distribution", enum_member(DemandDistribution, self.distribution, "distribution"))
        object.__setattr__(self, "dispersion", _per_sku(self.dispersion, n, "dispersion"))
        object.__setattr__(self, "cv", _per_sku(self.cv, n, "cv"))
        object.__setattr__(self, "trend", per_sku(self.trend, n, "trend"))  # any sign, finite
        self._check_seasonality_shapes(n)
        if self.distribution is DemandDistribution.NEGATIVE_BINOMIAL and bool(
                np.any(np.asarray(self.dispersion) < MIN_DISPERSION)):
            # 1e-300 was numpy's "n too large or p too small" at the first draw
            raise PlanningError(f"negative binomial dispersion must be >= {MIN_DISPERSION:g} (MIN_DISPERSION: a "
                                "variance of 1,000 x the squared mean)", column="dispersion",
                                value=float(np.min(self.dispersion)))
        if self.distribution is DemandDistribution.EMPIRICAL:
            if self.history is None:
                raise PlanningError("the empirical distribution needs a history", column="history")
            hist = np.asarray(self.history, dtype=np.float64)
            if hist.ndim != 2 or hist.shape[0] != n or hist.shape[1] == 0:
                raise PlanningError(f"history must have shape ({n}, h>0), got {hist.shape}", column="history")
            if not np.isfinite(hist).all() or (hist < 0).any():
                raise PlanningError("history must be finite and >= 0", column="history")
            # an all-zero history cannot be scaled to a positive mean: the draws were 0 for ever while the
            # expected demand (what policies plan for) was the mean
            silent = (hist.max(axis=1) <= 0) & (self.mean > 0)
            if silent.any():
                i = int(np.flatnonzero(silent)[0])
                raise PlanningError(f"SKU {i}: an all-zero history cannot be scaled to demand mean "
                                    f"{self.mean[i]:g}; give a history with demand, or mean 0", column="history",
                                    value=float(self.mean[i]))
            object.__setattr__(self, "history", hist)

    def _check_seasonality_shapes(self, n: int) -> None:
        # components of the wrong type passed here and failed at the first draw ("'int' object has no
        # attribute 'amplitude'", "'Seasonality' object is not iterable")
        for name, kind in (("promotions", Promotions), ("regime_shifts", RegimeShifts),
                           ("common_factor", CommonFactor)):
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise PlanningError(f"must be a {kind.__name__} or None", column=name, value=value)
        if not isinstance(self.seasonality, tuple | list) or not all(
                isinstance(season, Seasonality) for season in self.seasonality):
            raise PlanningError("must be a tuple of Seasonality cycles (one cycle: (Seasonality(...),))",
                                column="seasonality", value=self.seasonality)
        object.__setattr__(self, "seasonality", tuple(self.seasonality))
        # a per-SKU amplitude or phase of the wrong length passed here and failed at the first draw with
        # numpy's "operands could not be broadcast together"
        for k, season in enumerate(self.seasonality):
            for name in ("amplitude", "phase"):
                shape = np.shape(getattr(season, name))
                if shape not in ((), (n,)):
                    raise PlanningError(f"cycle {k}: expected a scalar or {n} per-SKU values, got shape {shape}",
                                        column=f"seasonality.{name}", value=shape)

    @property
    def n_skus(self) -> int:
        return int(self.mean.size)

    def base_std(self, mean: NDArray[np.float64]) -> NDArray[np.float64]:
        """Standard deviation of one period's demand with the given mean."""
        dist = self.distribution
        if dist is DemandDistribution.POISSON:
            return np.sqrt(mean)
        if dist is DemandDistribution.NEGATIVE_BINOMIAL:
            return np.sqrt(mean + mean**2 / self.dispersion)
        if dist is DemandDistribution.NORMAL:
            return self.cv * mean
        hist = self.history
        assert hist is not None
        scale = mean / np.maximum(hist.mean(axis=1), 1e-12)
        return hist.std(axis=1) * scale

    def pattern(self, periods: int, start: int = 0) -> NDArray[np.float64]:
        """Deterministic multiplier (seasonality and trend), shape (periods, n), at most
        :data:`~hybridinv.core.limits.MAX_QUANTITY` (a trend of 1e307 overflowed to infinity, and a
        SKU of mean 0 drew from a NaN mean: numpy's "lam value too large").

        Raises
        ------
        PlanningError
            Naming ``periods`` (not a whole number >= 0) or ``start`` (not a whole number).
        """
        periods = whole_number(periods, "periods")  # -2 was numpy's "negative dimensions are not allowed"
        offset = number_in(start, "start", -MAX_QUANTITY, MAX_QUANTITY)
        if offset != math.floor(offset):
            raise PlanningError("must be a whole number (the pattern's first period)", column="start", value=start)
        start = int(offset)
        t = np.arange(start, start + periods, dtype=np.float64)
        factor = np.ones((periods, self.n_skus))
        for season in self.seasonality:
            factor *= season.factor(t)
        with np.errstate(over="ignore"):
            growth = np.maximum(1.0 + np.asarray(self.trend)[None, :] * t[:, None], 0.0)
        factor *= np.minimum(growth, MAX_QUANTITY)
        return np.clip(factor, 0.0, MAX_QUANTITY)

    def sample(self, rng: np.random.Generator, periods: int) -> DemandPath:
        """Draw one demand path of ``periods`` periods (each period's mean capped at
        :data:`~hybridinv.core.limits.MAX_QUANTITY`).

        The draws are made in a fixed order (promotions, regime shifts, common
        factor, counts) so a change in one component's parameters leaves the
        random numbers of the others unchanged.

        Raises
        ------
        PlanningError
            Naming ``rng`` when it is not a :class:`numpy.random.Generator` (pass
            ``numpy.random.default_rng(seed)``; :meth:`hybridinv.sim.Scenario.sample` takes a seed), or
            ``periods`` when it is not a whole number >= 0 (until 2026-12-07 numpy's "negative dimensions",
            a ``TypeError`` for 2.5 and an ``AttributeError`` for a seed or None).
        """
        periods = checked_draw(rng, periods)
        streams = rng.spawn(4)
        expected = self.mean[None, :] * self.pattern(periods)
        if self.promotions is not None:
            expected = expected * self._promotion_multiplier(streams[0], periods)
        level = expected
        if self.regime_shifts is not None:
            level = level * self._regime_multiplier(streams[1], periods)
        if self.common_factor is not None:
            level = level * self._factor_multiplier(streams[2], periods)
        # patterns can compound past any count numpy draws (regime jumps over a long horizon, a trend):
        # the mean of a period is capped at MAX_QUANTITY, like every other quantity
        expected, level = np.minimum(expected, MAX_QUANTITY), np.minimum(level, MAX_QUANTITY)
        realized = self._draw(streams[3], level)
        return DemandPath(realized=realized, expected=expected, std=self.base_std(expected))

    # ------------------------------------------------------------------ components
    def _promotion_multiplier(self, rng: np.random.Generator, periods: int) -> NDArray[np.float64]:
        promo = self.promotions
        assert promo is not None
        starts = rng.random((periods, self.n_skus)) < promo.probability
        active = np.zeros_like(starts)
        # a start lifts the periods it reaches inside the horizon (a promotion longer than the horizon
        # failed with numpy's "operands could not be broadcast together")
        for lag in range(min(promo.duration, periods)):
            active[lag:] |= starts[: periods - lag] if lag else starts
        return np.where(active, promo.lift, 1.0)

    def _regime_multiplier(self, rng: np.random.Generator, periods: int) -> NDArray[np.float64]:
        shifts = self.regime_shifts
        assert shifts is not None
        happens = rng.random((periods, self.n_skus)) < shifts.probability
        log_jump = rng.uniform(np.log(shifts.low), np.log(shifts.high), size=(periods, self.n_skus))
        # clipped where exp overflows (jumps of 1e300 did, a numpy warning); the level is capped at MAX_QUANTITY
        return np.exp(np.clip(np.cumsum(np.where(happens, log_jump, 0.0), axis=0), -_MAX_LOG, _MAX_LOG))

    def _factor_multiplier(self, rng: np.random.Generator, periods: int) -> NDArray[np.float64]:
        cf = self.common_factor
        assert cf is not None
        common = rng.standard_normal((periods, 1))
        own = rng.standard_normal((periods, self.n_skus))
        z = np.sqrt(cf.rho) * common + np.sqrt(1.0 - cf.rho) * own
        return np.exp(np.clip(cf.sigma * z - 0.5 * cf.sigma**2, -_MAX_LOG, _MAX_LOG))

    def _draw(self, rng: np.random.Generator, level: NDArray[np.float64]) -> NDArray[np.float64]:
        dist = self.distribution
        if dist is DemandDistribution.POISSON:
            return rng.poisson(level).astype(np.float64)
        if dist is DemandDistribution.NEGATIVE_BINOMIAL:
            k = np.broadcast_to(self.dispersion, level.shape)
            m = np.maximum(level, 1e-12)
            poisson = k > POISSON_LIMIT * m  # p = k / (k + m) would round to 1: numpy drew zeros
            if poisson.any():
                out = np.empty(level.shape)
                out[poisson] = rng.poisson(level[poisson])
                rest = ~poisson
                out[rest] = rng.negative_binomial(k[rest], k[rest] / (k[rest] + m[rest]))
                return out
            return rng.negative_binomial(k, k / (k + m)).astype(np.float64)
        if dist is DemandDistribution.NORMAL:
            return np.maximum(np.rint(rng.normal(level, self.cv * level)), 0.0)
        hist = self.history
        assert hist is not None
        picks = rng.integers(0, hist.shape[1], size=level.shape)
        base = hist[np.arange(self.n_skus)[None, :], picks]
        scaled = base * level / np.maximum(hist.mean(axis=1), 1e-12)[None, :]
        floor = np.floor(scaled)
        return floor + (rng.random(level.shape) < scaled - floor)
