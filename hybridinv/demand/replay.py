"""Demand processes built from a recorded history, with a rolling forecaster.

Two processes serve a backtest, and they differ in what the seed means:

* :class:`ForecastReplay` replays the recorded test periods **exactly** with the
  forecasts a rolling forecaster made before each of them. Every seed gives the
  same path: it is for *evaluation* only (one replay of what happened).
* :class:`BlockBootstrap` draws new paths from the *training* window by a seasonal
  moving-block bootstrap (whole blocks of consecutive periods, the same blocks for
  every series, so the common swings of a warehouse survive) and rolls the same
  forecaster over each drawn path. Different seeds give different paths: it is what
  tuners and trainers simulate, so they never see the test periods.

Both fill the origin-dependent forecasts of :class:`~hybridinv.demand.processes.DemandPath`
(``forecast_mean``/``forecast_std``) and its pre-history (``past_realized``,
``past_expected``), so a policy sees at period ``t`` the forecast made at ``t`` and the
demand and forecasts of the periods before.

References
----------
Künsch, H. R. (1989). The jackknife and the bootstrap for general stationary observations.
*Annals of Statistics* 17(3), 1217-1241 (moving-block bootstrap).
Politis, D. N. (2001). Resampling time series with seasonal components. *Frontiers in
Data Mining and Bioinformatics* (seasonal block bootstrap: blocks start at the same phase).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core._observed import observed_mean, observed_std
from hybridinv.core.errors import PlanningError, number_in, whole_number
from hybridinv.core.limits import MAX_QUANTITY
from hybridinv.demand.forecasters import Forecaster, RollingForecast
from hybridinv.demand.processes import DemandPath, DemandProcess, checked_draw

__all__ = ["REPLAYS", "BlockBootstrap", "ForecastReplay", "ScaledReplay", "SimulatedHistory", "seasonal_block_starts"]


def _path(
    realized: NDArray[np.float64],
    rolled: RollingForecast,
    past: NDArray[np.float64],
    past_forecast: NDArray[np.float64],
    periods: int,
) -> DemandPath:
    """A DemandPath of ``periods`` rows (padded past the record) from a replayed or drawn history."""
    mean, std = rolled.mean, rolled.std
    recorded = realized.shape[0]
    if mean.shape[0] < periods:  # past the last origin: repeat it (never read inside the horizon)
        extra = periods - mean.shape[0]
        mean = np.concatenate([mean, np.repeat(mean[-1:], extra, axis=0)], axis=0)
        std = np.concatenate([std, np.repeat(std[-1:], extra, axis=0)], axis=0)
    mean, std = mean[:periods], std[:periods]
    out = np.zeros((periods, realized.shape[1]))
    take = min(periods, recorded)
    out[:take] = np.nan_to_num(realized[:take], nan=0.0)
    return DemandPath(
        realized=out,
        expected=mean[:, 0, :].copy(),
        std=std[:, 0, :].copy(),
        forecast_mean=mean,
        forecast_std=std,
        past_realized=np.nan_to_num(past, nan=0.0),
        past_expected=past_forecast,
    )


@dataclass(frozen=True)
class ForecastReplay(DemandProcess):
    """Exact replay of recorded periods with the rolling forecasts made before each (evaluation).

    Parameters
    ----------
    realized : array, shape (periods, n)
        The recorded demand of the replayed periods (NaN = not observed, read as 0).
    forecast : RollingForecast
        Forecasts at the origins of the replayed periods (``forecast.mean[k]`` made
        before period ``k``); at least ``periods`` origins.
    past_realized, past_expected : arrays, shape (h, n)
        The periods before the replay and the one-step forecasts made for them.

    Notes
    -----
    ``sample`` ignores its generator: every seed replays the record. Tune and train
    on a :class:`BlockBootstrap` of the training window instead.
    """

    realized: NDArray[np.float64] = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    forecast: RollingForecast = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    past_realized: NDArray[np.float64] = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    past_expected: NDArray[np.float64] = field(default=None, repr=False)  # type: ignore[assignment,arg-type]

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.n_skus
        realized = np.asarray(self.realized, dtype=np.float64)
        if realized.ndim != 2 or realized.shape[1] != n or realized.shape[0] == 0:
            raise PlanningError(f"realized demand must have shape (periods, {n})", column="realized")
        bad = ~np.isnan(realized) & ~((realized >= 0.0) & (realized <= MAX_QUANTITY))
        if bad.any():  # the simulator trusts a process's paths: -7 grew the stock by 7, inf made the cost inf
            period, series = (int(k) for k in np.argwhere(bad)[0])
            raise PlanningError(f"realized demand must be NaN (not observed) or finite, >= 0 and at most "
                                f"{MAX_QUANTITY:g} (period {period}, series {series})", column="realized",
                                value=float(realized[period, series]))
        if self.forecast is None or self.forecast.mean.shape[0] < realized.shape[0]:
            raise PlanningError("need a rolling forecast for every replayed period", column="forecast")
        if self.forecast.mean.shape[2] != n:
            raise PlanningError(f"the rolling forecast must have {n} series", column="forecast")
        for name in ("past_realized", "past_expected"):
            value = np.asarray(getattr(self, name), dtype=np.float64)
            if value.ndim != 2 or value.shape[1] != n:
                raise PlanningError(f"{name} must have shape (h, {n})", column=name)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "realized", realized)

    @property
    def recorded_periods(self) -> int:
        """Number of replayed periods."""
        return int(self.realized.shape[0])

    def base_std(self, mean: NDArray[np.float64]) -> NDArray[np.float64]:
        """Forecast standard deviation of the first replayed period (for closed-form fits)."""
        return np.broadcast_to(self.forecast.std[0, 0], np.shape(mean)).copy()

    def sample(self, rng: np.random.Generator, periods: int) -> DemandPath:
        """The recorded path (every seed gives the same one).

        Raises
        ------
        PlanningError
            Naming ``rng`` or ``periods``, as the other processes do: the generator is not drawn from, but a
            seed or None is refused as every other process refuses it (until 2026-12-07 anything was taken).
        """
        periods = checked_draw(rng, periods)
        return _path(self.realized, self.forecast, self.past_realized, self.past_expected, periods)


def _whole_fields(process: DemandProcess, names: tuple[str, ...], low: int) -> None:
    """Store each named field of a frozen process as an int; a :class:`PlanningError` naming it unless it
    is a whole number >= ``low``."""
    for name in names:
        object.__setattr__(process, name, whole_number(getattr(process, name), name, low))


def seasonal_block_starts(
    rng: np.random.Generator, length: int, available: int, block: int, season: int
) -> NDArray[np.int64]:
    """Source row of every target row of a seasonal moving-block bootstrap path.

    Target rows ``[b * block, (b + 1) * block)`` copy source rows ``[s, s + block)`` with
    ``s`` drawn uniformly among the starts of the same seasonal phase (``s = b * block
    (mod season)``) that fit in ``available`` rows, so row ``r`` of the path has the
    phase of row ``r`` of the history.

    Returns
    -------
    array of int, shape (length,)
    """
    if block < 1 or season < 1 or available < block:
        raise PlanningError("need block >= 1, season >= 1 and a history of at least one block", column="block")
    rows = np.empty(length, dtype=np.int64)
    for first in range(0, length, block):
        phase = first % season
        starts = np.arange(phase, available - block + 1, season)
        if starts.size == 0:  # history shorter than a season past this phase: any start
            starts = np.arange(0, available - block + 1)
        start = int(starts[rng.integers(starts.size)])
        count = min(block, length - first)
        rows[first : first + count] = start + np.arange(count)
    return rows


@dataclass(frozen=True)
class BlockBootstrap(DemandProcess):
    """Seeded seasonal block bootstrap of a training window, with rolling forecasts (training, tuning).

    Parameters
    ----------
    history : array, shape (T, n)
        The training window (NaN = not observed). A drawn block that covers unobserved rows
        replays them as zero demand (as :class:`ForecastReplay` reads them), so a series first
        seen late gets zero-demand stretches at random places of its paths.
    forecaster : Forecaster
        Fitted on the training window; rolled over every drawn path.
    block : int
        Block length in periods, a whole number >= 1 (and at most ``T``).
    season : int
        Blocks start at the phase of the target rows (1: no seasonal alignment), a whole number >= 1.
    lead_in : int
        Drawn periods before period 0: they settle the forecaster and form the
        pre-history the policy sees; a whole number >= 1.
    horizon : int
        Periods ahead of each forecast origin, a whole number >= 1.

    Raises
    ------
    PlanningError
        Naming ``block``, ``season``, ``lead_in`` or ``horizon`` when it is not a whole number >= 1,
        ``history`` or ``forecaster`` when they do not fit.

    Notes
    -----
    Different seeds give different paths (common random numbers hold as usual:
    one seed, one path for every policy).
    """

    history: NDArray[np.float64] = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    forecaster: Forecaster = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    block: int = 6
    season: int = 12
    lead_in: int = 24
    horizon: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        # block 0 was refused only at the first draw, 2.5 or NaN was a TypeError there, a season of 2.5
        # truncated the block starts, and horizon=0 was reported as lead_in
        _whole_fields(self, ("block", "season", "lead_in", "horizon"), 1)
        hist = np.asarray(self.history, dtype=np.float64)
        if hist.ndim != 2 or hist.shape[1] != self.n_skus:
            raise PlanningError(f"history must have shape (T, {self.n_skus})", column="history", value=hist.shape)
        if hist.shape[0] < self.block:
            raise PlanningError(f"block must be at most the history's {hist.shape[0]} periods", column="block",
                                value=self.block)
        if self.forecaster is None or not hasattr(self.forecaster, "method_"):
            raise PlanningError("a fitted forecaster is required", column="forecaster")
        object.__setattr__(self, "history", hist)

    def base_std(self, mean: NDArray[np.float64]) -> NDArray[np.float64]:
        """Standard deviation of demand in the training window, scaled to ``mean``."""
        level = observed_mean(self.history, empty=0.0)
        spread = observed_std(self.history, empty=0.0)
        ratio = np.where(level > 0, spread / np.maximum(level, 1e-12), 1.0)
        return np.asarray(ratio * mean, dtype=np.float64)

    def sample(self, rng: np.random.Generator, periods: int) -> DemandPath:
        """A drawn path of ``periods`` periods after ``lead_in`` drawn periods of pre-history.

        Raises
        ------
        PlanningError
            Naming ``rng`` or ``periods``, as the other processes do (a seed or None was an ``AttributeError``).
        """
        periods = checked_draw(rng, periods)
        total = self.lead_in + periods
        rows = seasonal_block_starts(rng, total, self.history.shape[0], self.block, self.season)
        return _drawn_path(self.history[rows], self.forecaster, self.lead_in, self.horizon, periods)


def _drawn_path(
    drawn: NDArray[np.float64], forecaster: Forecaster, lead_in: int, horizon: int, periods: int
) -> DemandPath:
    """A path from ``lead_in`` drawn rows of pre-history then ``periods`` rows, forecasts rolled over all of them."""
    rolled = forecaster.roll(drawn, start=0, horizon=horizon)
    ahead = RollingForecast(rolled.mean[lead_in:], rolled.std[lead_in:], lead_in)
    return _path(drawn[lead_in:], ahead, drawn[:lead_in], rolled.one_step[:lead_in], periods)


@dataclass(frozen=True)
class SimulatedHistory(DemandProcess):
    """Paths drawn from a fitted demand process, with the rolling forecasts of a fitted forecaster.

    The demand-process side of a training family: where :class:`BlockBootstrap` resamples
    what happened, this draws what the digital twin's fitted process
    (:meth:`hybridinv.twin.DigitalTwin.demand_process`) says could have happened. ``process``
    may cover more series than this one (``columns`` picks them); ``skip`` drawn rows are
    dropped first so that row 0 of the path has the seasonal phase of row 0 of the training
    window (the forecaster's phase).

    Parameters
    ----------
    process : DemandProcess
    columns : array of int
        The series of ``process`` this one draws (in order).
    forecaster : Forecaster
        Fitted on the training window of these series.
    lead_in, horizon : int
        As in :class:`BlockBootstrap`.
    skip : int
        Rows dropped at the start of every draw, a whole number >= 0.

    Raises
    ------
    PlanningError
        Naming ``lead_in`` or ``horizon`` (whole numbers >= 1), ``skip``, ``columns`` or ``forecaster``.
    """

    process: DemandProcess = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    columns: NDArray[np.int64] = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    forecaster: Forecaster = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    lead_in: int = 24
    horizon: int = 8
    skip: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        _whole_fields(self, ("lead_in", "horizon"), 1)
        _whole_fields(self, ("skip",), 0)
        cols = np.asarray(self.columns, dtype=np.int64)
        if self.process is None or cols.shape != (self.n_skus,) or (cols >= self.process.n_skus).any():
            raise PlanningError(f"columns must pick {self.n_skus} series of the process", column="columns")
        if self.forecaster is None or not hasattr(self.forecaster, "method_"):
            raise PlanningError("a fitted forecaster is required", column="forecaster")
        object.__setattr__(self, "columns", cols)

    def base_std(self, mean: NDArray[np.float64]) -> NDArray[np.float64]:
        """Poisson standard deviation at ``mean`` (closed-form fits only)."""
        return np.asarray(np.sqrt(np.maximum(mean, 0.0)), dtype=np.float64)

    def sample(self, rng: np.random.Generator, periods: int) -> DemandPath:
        """A drawn path of ``periods`` periods after ``lead_in`` drawn periods of pre-history.

        Raises
        ------
        PlanningError
            Naming ``rng`` or ``periods``, as the other processes do (a seed or None was an ``AttributeError``).
        """
        periods = checked_draw(rng, periods)
        total = self.skip + self.lead_in + periods
        drawn = self.process.sample(rng, total).realized[self.skip :, self.columns]
        return _drawn_path(drawn, self.forecaster, self.lead_in, self.horizon, periods)


@dataclass(frozen=True)
class ScaledReplay(DemandProcess):
    """A replayed or drawn history whose every path is scaled by ``factor`` (domain randomization).

    A :class:`BlockBootstrap`, :class:`ForecastReplay` or :class:`SimulatedHistory` draws its paths
    from a record (or a fitted process), not from ``mean``: scaling ``mean`` changed nothing that
    was simulated. This scales what is: the realized demand (fractions where ``factor`` is not
    whole), the forecasts, their standard deviations and the pre-history.

    Parameters
    ----------
    mean : array
        ``process.mean * factor`` (what planners read as the expected demand).
    process : DemandProcess
        The replay whose paths are scaled.
    factor : float
        Finite and > 0.

    Raises
    ------
    PlanningError
        Naming ``factor``, or ``process`` when it does not have one series per SKU.
    """

    process: DemandProcess = field(default=None, repr=False)  # type: ignore[assignment,arg-type]
    factor: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "factor", number_in(self.factor, "factor", 0.0, math.inf, open_low=True))
        if not isinstance(self.process, DemandProcess) or self.process.n_skus != self.n_skus:
            raise PlanningError(f"must be a demand process of {self.n_skus} series", column="process")

    @property
    def recorded_periods(self) -> int | None:
        """The replay's number of recorded periods (an exact replay's), else None."""
        return getattr(self.process, "recorded_periods", None)

    def base_std(self, mean: NDArray[np.float64]) -> NDArray[np.float64]:
        """The replay's standard deviation at ``mean``."""
        return self.process.base_std(mean)

    def sample(self, rng: np.random.Generator, periods: int) -> DemandPath:
        """The replay's path for ``rng`` with every quantity times ``factor``.

        Raises
        ------
        PlanningError
            Naming ``rng`` or ``periods``, as the other processes do (a seed or None was an ``AttributeError``).
        """
        path = self.process.sample(rng, checked_draw(rng, periods))
        scaled: dict[str, Any] = {name: None if value is None else value * self.factor
                                  for name, value in vars(path).items()}
        return replace(path, **scaled)


#: Demand processes that replay a record (or draw from a fitted one) rather than from their ``mean``.
REPLAYS: tuple[type[DemandProcess], ...] = (BlockBootstrap, ForecastReplay, SimulatedHistory, ScaledReplay)
