"""Demand processes built by the digital twin.

:class:`FittedDemand` draws each SKU from its own fitted family (Poisson,
negative binomial or an empirical bootstrap), since a fitted catalog mixes
smooth and intermittent items. Recorded histories are replayed by
:class:`hybridinv.demand.replay.ForecastReplay` (evaluation: every seed replays the record)
and resampled by :class:`hybridinv.demand.replay.BlockBootstrap` (training and tuning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.demand.processes import DemandProcess

__all__ = ["DemandFamily", "FittedDemand"]


class DemandFamily(IntEnum):
    """Per-SKU count distribution chosen by the twin."""

    POISSON = 0
    NEGATIVE_BINOMIAL = 1
    EMPIRICAL = 2


@dataclass(frozen=True)
class FittedDemand(DemandProcess):
    """A demand process whose count family is chosen per SKU.

    Parameters
    ----------
    family : array of int, shape (n,)
        :class:`DemandFamily` code of each SKU.
    samples : array, shape (n, h), optional
        Deseasonalized past demand per SKU for the empirical family; NaN cells
        (censored or missing periods) are skipped by the bootstrap.

    Notes
    -----
    ``dispersion`` is the negative binomial size ``k`` of each SKU (variance
    ``m + m^2 / k``); it is ignored for the other families. All other
    components (seasonality, trend, ...) act as in :class:`DemandProcess`.
    """

    family: NDArray[np.int64] = field(default=None)  # type: ignore[assignment,arg-type]
    samples: NDArray[np.float64] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.n_skus
        family = np.zeros(n, dtype=np.int64) if self.family is None else np.asarray(self.family, dtype=np.int64)
        if family.shape != (n,) or not np.isin(family, [f.value for f in DemandFamily]).all():
            raise PlanningError(f"family must hold {n} DemandFamily codes", column="family")
        object.__setattr__(self, "family", family)
        empirical = family == DemandFamily.EMPIRICAL
        if empirical.any():
            if self.samples is None:
                raise PlanningError("the empirical family needs samples", column="samples")
            samples = np.asarray(self.samples, dtype=np.float64)
            if samples.ndim != 2 or samples.shape[0] != n:
                raise PlanningError(f"samples must have shape ({n}, h)", column="samples")
            # valid values first, NaN last, so a bootstrap index below the count is valid
            ordered = np.sort(samples, axis=1)
            counts = np.count_nonzero(~np.isnan(ordered), axis=1)
            if (counts[empirical] == 0).any():
                raise PlanningError("an empirical SKU has no valid sample", column="samples")
            object.__setattr__(self, "samples", ordered)
            object.__setattr__(self, "_counts", counts)
            object.__setattr__(self, "_sample_mean", np.nanmean(np.where(counts[:, None] > 0, ordered, 0.0), axis=1))

    def base_std(self, mean: NDArray[np.float64]) -> NDArray[np.float64]:
        """Standard deviation of one period's demand with the given mean, per family."""
        k = np.asarray(self.dispersion)
        std = np.sqrt(mean)
        std = np.where(self.family == DemandFamily.NEGATIVE_BINOMIAL, np.sqrt(mean + mean**2 / k), std)
        empirical = self.family == DemandFamily.EMPIRICAL
        if empirical.any():
            assert self.samples is not None
            spread = np.nanstd(self.samples, axis=1) / np.maximum(self._sample_mean, 1e-12)  # type: ignore[attr-defined]
            std = np.where(empirical, spread * mean, std)
        return std

    def _draw(self, rng: np.random.Generator, level: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros_like(level)
        streams = rng.spawn(3)
        cols = np.flatnonzero(self.family == DemandFamily.POISSON)
        if cols.size:
            out[:, cols] = streams[0].poisson(level[:, cols])
        cols = np.flatnonzero(self.family == DemandFamily.NEGATIVE_BINOMIAL)
        if cols.size:
            k = np.broadcast_to(np.asarray(self.dispersion)[cols], (level.shape[0], cols.size))
            out[:, cols] = streams[1].negative_binomial(k, k / (k + np.maximum(level[:, cols], 1e-12)))
        cols = np.flatnonzero(self.family == DemandFamily.EMPIRICAL)
        if cols.size:
            out[:, cols] = self._bootstrap(streams[2], level[:, cols], cols)
        return out

    def _bootstrap(
        self, rng: np.random.Generator, level: NDArray[np.float64], cols: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        assert self.samples is not None
        counts = self._counts[cols]  # type: ignore[attr-defined]
        picks = np.floor(rng.random(level.shape) * counts[None, :]).astype(np.int64)
        base = self.samples[cols[None, :], picks]
        scaled = base * level / np.maximum(self._sample_mean[cols], 1e-12)[None, :]  # type: ignore[attr-defined]
        floor = np.floor(scaled)
        return floor + (rng.random(level.shape) < scaled - floor)
