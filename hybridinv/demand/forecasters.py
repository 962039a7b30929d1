"""Rolling forecasters: exponential smoothing and intermittent-demand methods, vectorized over series.

A :class:`Forecaster` is fitted on a training window of a demand history (periods x
series) and then *rolled*: at every forecast origin ``t`` it forecasts periods
``t, t+1, ...`` from the observations before ``t`` only, updating its state with one
more observation per origin. The smoothing parameters and the method of each
series are chosen on the training window and stay fixed while rolling, so

* a forecast made at origin ``t`` depends on ``history[:t]`` and the training
  window only (the leakage test of :mod:`hybridinv.backtest` checks this), and
* the same fitted forecaster can be rolled over any other history of the same
  series (a block bootstrap for training, the test months for evaluation).

Methods (:class:`ForecastMethod`), all in error-correction form:

``ses``
    Simple exponential smoothing, ``l += alpha * e``.
``damped``
    Additive damped trend (Gardner & McKenzie 1985): ``yhat = l + phi b``,
    ``l = yhat + alpha e``, ``b = phi b + alpha beta e``; the h-step forecast is
    ``l + b (phi + ... + phi^h)``.
``holt_winters``
    Level and multiplicative seasonal index (cycle ``season``), ``yhat = l s``,
    ``l += alpha e / s``, then ``s += gamma (y / l - s)`` over the updated level (Winters' form);
    initialised from the first two cycles: the index of a phase is the mean of its observed values
    in them over the mean of those phase means, the level the mean of the first cycle (where a value
    of it is missing: the observed values' sum over the sum of their phases' indices).
``croston_sba``
    Croston's method with the Syntetos-Boylan bias correction: demand size ``z`` and
    interval ``p`` smoothed at demand occurrences, forecast ``(1 - alpha / 2) z / p``.
``tsb``
    Teunter-Syntetos-Babai: occurrence probability ``pi`` smoothed every period
    (``beta``), size ``z`` at occurrences (``alpha``), forecast ``pi z``.

Selection: smooth and erratic series (average inter-demand interval below the
Syntetos-Boylan cut-off 1.32) choose among ``ses``, ``damped`` and ``holt_winters``;
intermittent and lumpy series among ``croston_sba``, ``tsb`` and ``ses``. Holt-Winters
applies to a series with no zero when the training window has at least ``2 * season + 4``
periods, every phase of the cycle is observed at least once in its first two cycles and at
least one value of the first cycle is observed (:func:`seasonal_start`: what the
initialisation needs; until 2026-12-07 one missing value in the first two cycles turned it
off). Parameters minimise the one-step squared
error over the training window (after a warm-up); the method minimises it over the
last ``holdout`` share of the window. ``methods`` restricts the candidates; a series none of
them applies to (or without an observation in the holdout periods) gets ``ses`` at its default
parameters, with the reason in ``fallback_`` (a :class:`~hybridinv.PlanningWarning` counts the
series when ``ses`` was not among ``methods``). Missing observations (NaN) leave the state
unchanged. The forecast standard deviation is the square root of an exponentially
weighted mean of squared one-step errors (weight ``error_weight``), started at the
variance of the first observations; it is the same for every step ahead.

References
----------
Hyndman, R. J., Koehler, A. B., Ord, J. K. & Snyder, R. D. (2008). *Forecasting with
Exponential Smoothing: The State Space Approach*. Springer.
Gardner, E. S. & McKenzie, E. (1985). Forecasting trends in time series. *Management
Science* 31(10), 1237-1246.
Syntetos, A. A. & Boylan, J. E. (2005). The accuracy of intermittent demand estimates.
*International Journal of Forecasting* 21(2), 303-314.
Teunter, R. H., Syntetos, A. A. & Babai, M. Z. (2011). Intermittent demand: linking
forecasting to inventory obsolescence. *European Journal of Operational Research*
214(3), 606-615.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, PlanningWarning, enum_member, number_in, whole_number
from hybridinv.core.flags import text_full
from hybridinv.core.limits import MAX_PERIODS

__all__ = ["ForecastMethod", "Forecaster", "RollingForecast", "seasonal_start"]

#: Average inter-demand interval at or above which a series is intermittent (Syntetos-Boylan).
ADI_CUTOFF = 1.32
#: Observations used to initialise levels, sizes and variances.
_INIT = 12
_SEASON_CLIP = (0.05, 20.0)
#: Periods a training window needs beyond its first two cycles for Holt-Winters (something to fit on).
SEASON_EXTRA = 4


class ForecastMethod(StrEnum):
    """A rolling forecasting method."""

    SES = "ses"
    DAMPED = "damped"
    HOLT_WINTERS = "holt_winters"
    CROSTON_SBA = "croston_sba"
    TSB = "tsb"


#: Parameter grids searched per method (``alpha``, ``beta``, ``phi``, ``gamma``).
GRIDS: dict[ForecastMethod, dict[str, tuple[float, ...]]] = {
    ForecastMethod.SES: {"alpha": (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)},
    ForecastMethod.DAMPED: {"alpha": (0.05, 0.1, 0.2, 0.4), "beta": (0.02, 0.1, 0.3), "phi": (0.8, 0.9, 0.98)},
    ForecastMethod.HOLT_WINTERS: {"alpha": (0.05, 0.1, 0.2, 0.4), "gamma": (0.02, 0.1, 0.3)},
    ForecastMethod.CROSTON_SBA: {"alpha": (0.02, 0.05, 0.1, 0.2, 0.3)},
    ForecastMethod.TSB: {"alpha": (0.02, 0.05, 0.1, 0.2, 0.3), "beta": (0.02, 0.05, 0.1, 0.2, 0.3)},
}
_PARAMS = ("alpha", "beta", "phi", "gamma")
_DEFAULTS = {"alpha": 0.1, "beta": 0.0, "phi": 1.0, "gamma": 0.0}


@dataclass(frozen=True)
class RollingForecast:
    """Forecasts made at consecutive origins.

    Attributes
    ----------
    mean, std : arrays, shape (origins, horizon, n)
        ``mean[k, j, i]``: forecast of series ``i`` for period ``start + k + j`` made at
        origin ``start + k`` (from observations before it); ``std`` its standard deviation.
    start : int
        Row of the history of the first origin.
    """

    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    start: int

    @property
    def one_step(self) -> NDArray[np.float64]:
        """The one-step-ahead forecast of each origin's period, shape (origins, n)."""
        return self.mean[:, 0, :]


def _first_values(y: NDArray[np.float64], count: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and variance of the first ``count`` observed values of each column (0 where none)."""
    observed = ~np.isnan(y)
    rank = np.cumsum(observed, axis=0)
    take = observed & (rank <= count)
    k = take.sum(axis=0)
    values = np.where(take, y, 0.0)
    mean = values.sum(axis=0) / np.maximum(k, 1)
    var = (np.where(take, (y - mean) ** 2, 0.0)).sum(axis=0) / np.maximum(k, 1)
    return mean, var


class _State:
    """Smoothing state of one method for a (grid, series) block of shape (g, n)."""

    def __init__(self, method: ForecastMethod, y: NDArray[np.float64], params: dict[str, NDArray[np.float64]],
                 season: int) -> None:
        self.method = method
        self.p = params
        self.season = season
        shape = np.broadcast_shapes(*(v.shape for v in params.values()), (1, y.shape[1]))
        mean, _ = _first_values(y, _INIT)
        self.level = np.broadcast_to(mean, shape).copy()
        self.trend = np.zeros(shape)
        if method is ForecastMethod.HOLT_WINTERS:
            index = _initial_index(y, season)
            self.index = np.broadcast_to(index[:, None, :], (season, *shape)).copy()
            self.level = np.broadcast_to(_initial_level(y, season, index), shape).copy()
        #: series without any observation yet: their level starts at their first observation (it started at 0
        #: and climbed to it at the default alpha of 0.1: 0, 10, 19, ... for a new SKU selling 100 a period)
        self.unseen = np.broadcast_to(np.isnan(y).all(axis=0), shape).copy()
        if method in (ForecastMethod.CROSTON_SBA, ForecastMethod.TSB):
            # the first 12 *observed* values, as the other methods' start (rows 0-11 gave a SKU first observed
            # after them a size of 1 and an interval of 2 whatever it sold)
            observed = ~np.isnan(y)
            first = observed & (np.cumsum(observed, axis=0) <= _INIT)
            positive = first & (np.where(observed, y, 0.0) > 0)
            seen = first.sum(axis=0)
            hits = positive.sum(axis=0)
            size = np.where(hits > 0, np.where(positive, y, 0.0).sum(axis=0) / np.maximum(hits, 1), 1.0)
            self.level = np.broadcast_to(size, shape).copy()  # demand size z
            prob = np.where(seen > 0, (hits + 0.5) / (seen + 1.0), 0.5)
            if method is ForecastMethod.CROSTON_SBA:
                self.trend = np.broadcast_to(1.0 / prob, shape).copy()  # interval p
            else:
                self.trend = np.broadcast_to(prob, shape).copy()  # probability pi
            self.since = np.ones(shape)

    def predict(self, t: int, steps: int) -> NDArray[np.float64]:
        """Forecasts of periods ``t .. t+steps-1`` made before observing period ``t``, shape (steps, g, n)."""
        m = self.method
        if m is ForecastMethod.SES:
            out = np.broadcast_to(self.level, (steps, *self.level.shape))
        elif m is ForecastMethod.DAMPED:
            phi = self.p["phi"]
            h = np.arange(1, steps + 1, dtype=np.float64).reshape(-1, *([1] * self.level.ndim))
            damp = np.where(np.abs(1.0 - phi) < 1e-12, h, phi * (1.0 - phi**h) / np.where(phi == 1.0, 1.0, 1.0 - phi))
            out = self.level + damp * self.trend
        elif m is ForecastMethod.HOLT_WINTERS:
            phase = (t + np.arange(steps)) % self.season
            out = self.level * self.index[phase]
        elif m is ForecastMethod.CROSTON_SBA:
            value = (1.0 - self.p["alpha"] / 2.0) * self.level / np.maximum(self.trend, 1.0)
            out = np.broadcast_to(value, (steps, *value.shape))
        else:
            value = self.trend * self.level
            out = np.broadcast_to(value, (steps, *value.shape))
        return np.maximum(out, 0.0)

    def update(self, t: int, y: NDArray[np.float64], forecast: NDArray[np.float64]) -> None:
        """Observe period ``t`` (``y`` shape (n,), NaN = missing); ``forecast`` is its one-step forecast."""
        seen = ~np.isnan(y)
        value = np.where(seen, y, 0.0)
        err = np.where(seen, value - forecast, 0.0)
        m, p = self.method, self.p
        starting = seen & self.unseen
        if starting.any() and m in (ForecastMethod.SES, ForecastMethod.DAMPED):
            self.level = np.where(starting, value, self.level)  # and no error to learn from in this period
            err = np.where(starting, 0.0, err)
        self.unseen = self.unseen & ~seen
        if m is ForecastMethod.SES:
            self.level = self.level + p["alpha"] * err
        elif m is ForecastMethod.DAMPED:
            phi = p["phi"]
            # the error against the model's own forecast l + phi b, not the one clipped at 0 for use: with the
            # clipped one a level below 0 kept falling through months without demand
            err = np.where(seen, value - (self.level + phi * self.trend), 0.0)
            self.level = np.where(seen, self.level + phi * self.trend + p["alpha"] * err, self.level)
            self.trend = np.where(seen, phi * self.trend + p["alpha"] * p["beta"] * err, self.trend)
        elif m is ForecastMethod.HOLT_WINTERS:
            phase = t % self.season
            index = self.index[phase]
            self.level = np.maximum(self.level + p["alpha"] * err / np.maximum(index, 1e-9), 0.0)
            # Winters' index update, gamma y / l_t + (1 - gamma) s, over the *updated* level l_t: over the level
            # before it (the additive-error form), months without demand shrank the level and the first sale
            # after them set the index to y / l_{t-1}, up to the 20x clip, for a year of forecasts
            self.index[phase] = np.where(
                seen & (self.level > 1e-9),
                np.clip(index + p["gamma"] * (value / np.maximum(self.level, 1e-9) - index), *_SEASON_CLIP),
                index)
        else:
            hit = seen & (value > 0)
            self.level = np.where(hit, self.level + p["alpha"] * (value - self.level), self.level)
            if m is ForecastMethod.CROSTON_SBA:
                self.trend = np.where(hit, self.trend + p["alpha"] * (self.since - self.trend), self.trend)
                self.since = np.where(hit, 1.0, np.where(seen, self.since + 1.0, self.since))
            else:
                self.trend = np.where(seen, self.trend + p["beta"] * (hit - self.trend), self.trend)


def _mean_seen(y: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    """Mean of the observed values along ``axis``; NaN where none is observed (no warning)."""
    seen = ~np.isnan(y)
    count = seen.sum(axis=axis)
    total = np.where(seen, y, 0.0).sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _initial_index(y: NDArray[np.float64], season: int) -> NDArray[np.float64]:
    """Seasonal index per phase from the first two cycles, shape (season, n) (mean 1)."""
    head = y[: 2 * season]
    if head.shape[0] != 2 * season:
        return np.ones((season, y.shape[1]))
    by_phase = _mean_seen(head.reshape(2, season, -1), axis=0)
    overall = _mean_seen(by_phase, axis=0)
    index = by_phase / np.maximum(np.nan_to_num(overall, nan=1.0), 1e-9)
    return np.clip(np.nan_to_num(index, nan=1.0), *_SEASON_CLIP)


def _initial_level(y: NDArray[np.float64], season: int, index: NDArray[np.float64]) -> NDArray[np.float64]:
    """Level of the first cycle, shape (n,): its mean; where some of it is missing, the observed values' sum
    over the sum of their phases' ``index`` (the mean of the rest was the level of the cycle without its missing
    phases: 10.3 for a cycle of mean 11.1 missing its peak of 20)."""
    head = y[:season] if y.shape[0] >= season else y
    level = _mean_seen(head, axis=0)
    seen = ~np.isnan(head)
    gaps = seen.any(axis=0) & ~seen.all(axis=0)
    if gaps.any() and head.shape[0] == index.shape[0]:
        weight = np.where(seen, index, 0.0).sum(axis=0)
        total = np.where(seen, head, 0.0).sum(axis=0)
        level = np.where(gaps, total / np.maximum(weight, 1e-12), level)
    return np.nan_to_num(level, nan=0.0)


def seasonal_start(history: NDArray[np.float64], season: int | None) -> NDArray[np.bool_]:
    """Per series (columns of ``history``, NaN = not observed): whether Holt-Winters can be initialised.

    It needs at least ``2 * season + SEASON_EXTRA`` periods, every phase of the cycle observed at least
    once in the first two cycles (its seasonal index) and at least one observed value in the first cycle
    (the level). A phase missing in one of the two cycles takes its index from the other.
    """
    y = np.asarray(history, dtype=np.float64)
    n = y.shape[1]
    if season is None or y.shape[0] < 2 * season + SEASON_EXTRA:
        return np.zeros(n, dtype=bool)
    seen = ~np.isnan(y[: 2 * season]).reshape(2, season, n)
    return np.asarray(seen.any(axis=0).all(axis=0) & seen[0].any(axis=0), dtype=bool)


def _grid(method: ForecastMethod) -> dict[str, NDArray[np.float64]]:
    """Parameter grid of ``method`` as columns of shape (g, 1)."""
    spec = GRIDS[method]
    combos = list(itertools.product(*spec.values()))
    out = {name: np.full((len(combos), 1), _DEFAULTS[name]) for name in _PARAMS}
    for k, name in enumerate(spec):
        out[name] = np.array([c[k] for c in combos], dtype=np.float64)[:, None]
    return out


def _one_step(method: ForecastMethod, y: NDArray[np.float64], params: dict[str, NDArray[np.float64]],
              season: int) -> NDArray[np.float64]:
    """One-step forecasts of every period, shape (T, g, n)."""
    state = _State(method, y, params, season)
    out = np.empty((y.shape[0], *state.level.shape))
    for t in range(y.shape[0]):
        out[t] = state.predict(t, 1)[0]
        state.update(t, y[t], out[t])
    return out


class Forecaster:
    """Per-series rolling forecaster chosen on a training window (sklearn style).

    Parameters
    ----------
    season : int, optional
        Cycle length (12 for months, 52 for weeks); None: no seasonal method.
    holdout : float
        Share of the last training periods on which the method is chosen.
    error_weight : float
        Weight of the latest squared one-step error in the variance estimate.
    warmup : int
        First periods left out of the parameter fit (the state is still settling).
    methods : sequence of ForecastMethod, optional
        Candidate methods (default: all). A series none of them applies to gets ``ses`` (see ``fallback_``).

    Raises
    ------
    PlanningError
        Naming the argument: ``season`` not a whole number >= 1, ``holdout`` or ``error_weight`` out of range,
        ``methods`` empty, unknown, or naming ``holt_winters`` without a season.

    Attributes
    ----------
    method_ : array of str, shape (n,)
        Chosen method per series.
    params_ : dict of arrays, shape (n,)
        ``alpha``, ``beta``, ``phi``, ``gamma`` per series.
    pattern_ : array of str
        ``"smooth"`` or ``"intermittent"`` (average inter-demand interval >= 1.32).
    mse_ : array, shape (n,)
        One-step mean squared error of the chosen method on the holdout periods (inf for a series that fell back).
    fallback_ : array of str, shape (n,)
        "" for a series whose method and parameters were chosen as described; otherwise why it got ``ses``
        at its default parameters (none of ``methods`` applies to it, naming each method's reason, or it
        has no observation in the holdout periods).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.tile([10.0, 12.0, 8.0, 11.0], 12)[:, None]
    >>> fc = Forecaster(season=None).fit(y)
    >>> rolled = fc.roll(y, start=len(y), horizon=2)
    >>> rolled.mean.shape
    (1, 2, 1)
    """

    def __init__(
        self,
        season: int | None = 12,
        holdout: float = 0.25,
        error_weight: float = 0.1,
        warmup: int = 6,
        methods: tuple[ForecastMethod | str, ...] | None = None,
    ) -> None:
        self.season = None if season is None else whole_number(season, "season", 1)
        self.holdout = number_in(holdout, "holdout", 0.0, 1.0, open_low=True, open_high=True)
        self.error_weight = number_in(error_weight, "error_weight", 0.0, 1.0, open_low=True)
        self.warmup = whole_number(warmup, "warmup", 0)
        if methods is not None:
            if isinstance(methods, str):  # one name ("naive") was read letter by letter
                methods = (methods,)
            if not isinstance(methods, tuple | list):  # True or 0 raised "has no len()"
                raise PlanningError("must be a list of method names (None: every method)", column="methods",
                                    value=methods)
            if len(methods) == 0:  # an empty tuple silently meant every method
                raise PlanningError("name at least one method (None: every method)", column="methods")
            for m in methods:
                enum_member(ForecastMethod, m, "methods")
            methods = tuple(methods)
            if self.season is None and ForecastMethod.HOLT_WINTERS in {ForecastMethod(m) for m in methods}:
                # it was never tried, and every series silently got ses
                raise PlanningError("holt_winters needs a season: give season (12 for months, 52 for weeks) "
                                    "or leave holt_winters out", column="methods", value=list(methods))
        self.methods = methods

    def fit(self, history: ArrayLike) -> Forecaster:
        """Choose method and parameters per series on ``history`` (periods x series); returns self.

        A series none of the allowed ``methods`` applies to, or without an observation in the holdout
        periods, gets ``ses`` at its default parameters; ``fallback_`` says why.

        Warns
        -----
        PlanningWarning
            Once per fit, counting the series that fell back to ``ses`` by reason, when ``ses`` is not
            among ``methods`` (until 2026-12-07 they got it without a word: ``methods=["croston_sba"]``
            on smooth series returned ``ses`` everywhere).
        """
        y = _as_history(history)
        periods, n = y.shape
        allowed = [m for m in ForecastMethod if self.methods is None or m in {ForecastMethod(k) for k in self.methods}]
        observed = ~np.isnan(y)
        hits = (observed & (np.nan_to_num(y) > 0)).sum(axis=0)
        adi = np.where(hits > 0, observed.sum(axis=0) / np.maximum(hits, 1), np.inf)
        intermittent = adi >= ADI_CUTOFF
        fit_from = min(self.warmup, periods - 1)
        hold_from = max(fit_from, periods - max(int(round(self.holdout * periods)), 1))
        # per series: one series first observed late no longer kept every other one from Holt-Winters
        seasonal_ok = seasonal_start(y, self.season)
        best_mse = np.full(n, np.inf)
        method = text_full(n, ForecastMethod.SES.value)
        params = {name: np.full(n, _DEFAULTS[name]) for name in _PARAMS}
        applies = np.zeros(n, dtype=bool)
        for candidate in allowed:
            eligible = _eligible(candidate, intermittent, y, seasonal_ok, self.season)
            applies |= eligible
            if not eligible.any():
                continue
            grid = _grid(candidate)
            forecast = _one_step(candidate, y, grid, self.season or 1)
            err2 = (y[:, None, :] - forecast) ** 2
            fit_sse = np.nansum(err2[fit_from:], axis=0)
            choice = np.argmin(fit_sse, axis=0)
            cols = np.arange(n)
            hold = err2[hold_from:, choice, cols]
            count = (~np.isnan(hold)).sum(axis=0)
            mse = np.where(count > 0, np.nansum(hold, axis=0) / np.maximum(count, 1), np.inf)
            better = eligible & (mse < best_mse)
            best_mse = np.where(better, mse, best_mse)
            method[better] = candidate.value
            for name in _PARAMS:
                params[name] = np.where(better, grid[name][choice, 0], params[name])
        self.method_ = method
        self.params_ = params
        self.fallback_ = _fallback_reasons(allowed, np.isinf(best_mse), applies, intermittent, y, seasonal_ok,
                                           self.season, periods - hold_from)
        if ForecastMethod.SES not in allowed:
            _warn_fallback(self.fallback_, self.methods)
        # the smoothing states start from the training window's first rows in roll() as here, whatever
        # history is rolled: taken from the rolled one, they saw the demand of its early origins
        self.init_ = y.copy()
        self.pattern_ = np.where(intermittent, "intermittent", "smooth").astype(object)
        self.mse_ = best_mse
        self.n_series_ = n
        return self

    def roll(self, history: ArrayLike, start: int, horizon: int) -> RollingForecast:
        """Forecasts at origins ``start .. len(history)`` for ``horizon`` periods each.

        The history must begin at the same period (seasonal phase) as the training window:
        the smoothing states start from the training window's first rows, as in
        :meth:`fit`, and then observe ``history`` row by row. The forecast at origin ``t``
        uses ``history[:t]`` (and the training window) only; until 2026-12-04 the starting
        states were taken from the rolled history's own first 12 rows (two seasons for
        Holt-Winters), so its early origins saw later demand.

        Raises
        ------
        PlanningError
            Before :meth:`fit`, for a history of another number of series, or naming ``start`` (not a
            whole number from 0 to the history's periods) or ``horizon`` (not a whole number from 1 to
            :data:`~hybridinv.core.limits.MAX_PERIODS`).
        """
        y = _as_history(history)
        if not hasattr(self, "method_"):
            raise PlanningError("fit the forecaster before rolling it", column="forecaster")
        if y.shape[1] != self.n_series_:
            raise PlanningError(f"history has {y.shape[1]} series, the forecaster {self.n_series_}", column="history")
        periods = y.shape[0]
        start = whole_number(start, "start")  # 2.5 was a bare TypeError
        if start > periods:
            raise PlanningError(f"need 0 <= start <= {periods} (the history's periods)", column="start", value=start)
        horizon = whole_number(horizon, "horizon", 1)  # 0 was refused naming start and its value
        if horizon > MAX_PERIODS:
            raise PlanningError(f"must be at most {MAX_PERIODS:,} periods (MAX_PERIODS)", column="horizon",
                                value=horizon)
        origins = periods - start + 1
        mean = np.zeros((origins, horizon, y.shape[1]))
        std = np.zeros_like(mean)
        for candidate in ForecastMethod:
            cols = np.flatnonzero(self.method_ == candidate.value)
            if cols.size == 0:
                continue
            sub = y[:, cols]
            init = self.init_[:, cols]
            params = {name: self.params_[name][cols][None, :] for name in _PARAMS}
            state = _State(candidate, init, params, self.season or 1)
            first, var0 = _first_values(init, _INIT)
            # a floor of a quarter of the Poisson variance, for counts only: in other units (kilograms, thousands)
            # the same floor made the std depend on the unit (x 0.001: 12 x the noise)
            counts = np.all(np.isnan(init) | (np.abs(init - np.round(init)) < 1e-9), axis=0)
            var = np.where(counts, np.maximum(var0, 0.25 * np.maximum(first, 0.0)), var0) + 1e-9
            for t in range(periods + 1):
                ahead = state.predict(t, horizon)[:, 0, :]
                if t >= start:
                    mean[t - start][:, cols] = ahead
                    std[t - start][:, cols] = np.sqrt(var)[None, :]
                if t == periods:
                    break
                obs = sub[t]
                seen = ~np.isnan(obs)
                err = np.where(seen, obs - ahead[0], 0.0)
                var = np.where(seen, (1.0 - self.error_weight) * var + self.error_weight * err**2, var)
                state.update(t, obs, ahead[0][None, :])
        return RollingForecast(mean=mean, std=std, start=start)

    def subset(self, columns: ArrayLike) -> Forecaster:
        """The fitted forecaster of the series at ``columns`` (for a subset of SKUs).

        Raises
        ------
        PlanningError
            Before :meth:`fit`, or naming ``columns`` and the first value that is not a whole number from 0
            to the number of series - 1 (3 of one series was an ``IndexError``, 0.7 read as 0, -1 as the last).
        """
        if not hasattr(self, "method_"):
            raise PlanningError("fit the forecaster before taking a subset", column="forecaster")
        idx = _series_index(columns, self.n_series_)
        out = Forecaster(self.season, self.holdout, self.error_weight, self.warmup, self.methods)
        out.method_ = self.method_[idx]
        out.params_ = {name: value[idx] for name, value in self.params_.items()}
        out.init_ = self.init_[:, idx]
        out.pattern_ = self.pattern_[idx]
        out.mse_ = self.mse_[idx]
        fallback = getattr(self, "fallback_", None)  # a forecaster pickled before 2026-12-07 has none
        out.fallback_ = text_full(idx.size, "") if fallback is None else fallback[idx]
        out.n_series_ = int(idx.size)
        return out

    def summary(self) -> dict[str, int]:
        """Number of series per chosen method."""
        values, counts = np.unique(self.method_.astype(str), return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}


def _eligible(method: ForecastMethod, intermittent: NDArray[np.bool_], y: NDArray[np.float64],
              seasonal_ok: NDArray[np.bool_], season: int | None) -> NDArray[np.bool_]:
    """Per series: whether ``method`` applies (no reason against it, :func:`_why_not`)."""
    return np.asarray(_why_not(method, intermittent, y, seasonal_ok, season) == "", dtype=bool)


def _why_not(method: ForecastMethod, intermittent: NDArray[np.bool_], y: NDArray[np.float64],
             seasonal_ok: NDArray[np.bool_], season: int | None) -> NDArray[np.object_]:
    """Per series: why ``method`` does not apply ("" where it does): the one statement of the methods' rules."""
    n = intermittent.size
    why = text_full(n, "")
    if method in (ForecastMethod.CROSTON_SBA, ForecastMethod.TSB):
        why[~intermittent] = f"a smooth series, average inter-demand interval < {ADI_CUTOFF}"
        return why
    if method is ForecastMethod.SES:
        return why
    if method is ForecastMethod.HOLT_WINTERS:
        if season is None:
            why[:] = "no season"
        else:
            need = 2 * season + SEASON_EXTRA
            why[~seasonal_ok] = (f"fewer than {need} periods" if y.shape[0] < need
                                 else "a phase not observed in the first two cycles or no value in the first")
        zero = ~(np.nan_to_num(y, nan=1.0) > 0).all(axis=0)
        why[zero] = "a zero in the history, which a multiplicative season cannot fit"
    why[intermittent] = f"an intermittent series, average inter-demand interval >= {ADI_CUTOFF}"
    return why


def _fallback_reasons(allowed: list[ForecastMethod], unchosen: NDArray[np.bool_], applies: NDArray[np.bool_],
                      intermittent: NDArray[np.bool_], y: NDArray[np.float64], seasonal_ok: NDArray[np.bool_],
                      season: int | None, holdout: int) -> NDArray[np.object_]:
    """Per series: why it got ``ses`` at its default parameters ("" for a series fitted as described)."""
    n = unchosen.size
    reason = text_full(n, "")
    reason[unchosen & applies] = f"no observation in the holdout, the last {holdout} training periods"
    none = unchosen & ~applies
    if none.any():
        joined = text_full(n, "")
        for method in allowed:
            part = method.value + ": " + _why_not(method, intermittent, y, seasonal_ok, season)
            joined = np.where(joined == "", part, joined + "; " + part)
        reason[none] = "no method of methods applies (" + joined[none] + ")"
    reason[unchosen & np.isnan(y).all(axis=0)] = "no observation in the training window"
    return reason


def _warn_fallback(fallback: NDArray[np.object_], methods: tuple[ForecastMethod | str, ...] | None) -> None:
    """One :class:`PlanningWarning` counting the series that got ``ses`` though it is not among ``methods``."""
    fell = fallback != ""
    if not fell.any():
        return
    reasons, counts = np.unique(fallback[fell].astype(str), return_counts=True)
    order = np.argsort(-counts, kind="stable")[:3]
    shown = "; ".join(f"{counts[k]} x {reasons[k]}" for k in order)
    more = f"; and {reasons.size - 3} other reasons" if reasons.size > 3 else ""
    names = [str(ForecastMethod(m).value) for m in methods or ()]
    warnings.warn(f"Forecaster(methods={names}): {int(fell.sum())} of {fallback.size} series got ses at its default "
                  f"parameters: {shown}{more} (per series: fallback_)", PlanningWarning, stacklevel=3)


def _series_index(columns: ArrayLike, n: int) -> NDArray[np.int64]:
    """``columns`` as positions of series, each a whole number in [0, n)."""
    values = np.asarray(columns)
    if values.ndim != 1 or values.size == 0 or values.dtype.kind not in "iuf":
        raise PlanningError(f"must be a non-empty list of series positions (0 to {n - 1})", column="columns",
                            value=columns if values.size <= 10 else values.shape)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values.astype(np.float64)) | (values != np.floor(values)) | (values < 0) | (values >= n)
    if bad.any():
        raise PlanningError(f"must be whole numbers from 0 to {n - 1} (the forecaster's series)", column="columns",
                            value=values[np.flatnonzero(bad)[0]].item())
    return values.astype(np.int64)


def _as_history(history: ArrayLike) -> NDArray[np.float64]:
    try:
        y = np.asarray(history, dtype=np.float64)
    except (TypeError, ValueError):  # text or ragged rows were numpy's bare ValueError
        raise PlanningError("must be numbers (periods x series; NaN = not observed)", column="history") from None
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] < 2:
        raise PlanningError("history must have shape (periods >= 2, series)", column="history")
    if (y[~np.isnan(y)] < 0).any() or np.isinf(y).any():
        raise PlanningError("history must be finite and >= 0 (NaN = not observed)", column="history")
    return y
