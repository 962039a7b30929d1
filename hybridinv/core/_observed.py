"""Statistics of demand series in which NaN means "not observed" (a SKU before its first sale, a gap).

``np.nanmean`` of a series never observed in the window is NaN *and* a raw numpy ``RuntimeWarning`` ("Mean of
empty slice"); a launch first sold after the training window met that warning once per training episode. These
return ``empty`` for such a series, without a warning.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def observed_mean(values: NDArray[np.float64], axis: int = 0, empty: float = float("nan")) -> NDArray[np.float64]:
    """Mean of the observed (non-NaN) values along ``axis``; ``empty`` where none is observed."""
    observed = ~np.isnan(values)
    count = observed.sum(axis=axis)
    total = np.where(observed, values, 0.0).sum(axis=axis)
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1), empty), dtype=np.float64)


def observed_std(values: NDArray[np.float64], axis: int = 0, empty: float = float("nan")) -> NDArray[np.float64]:
    """Population standard deviation (``ddof=0``, as ``np.nanstd``) of the observed values; ``empty`` where none."""
    observed = ~np.isnan(values)
    count = observed.sum(axis=axis)
    mean = observed_mean(values, axis=axis, empty=0.0)
    deviation = np.where(observed, values - np.expand_dims(mean, axis), 0.0)
    variance = (deviation**2).sum(axis=axis) / np.maximum(count, 1)
    return np.asarray(np.where(count > 0, np.sqrt(variance), empty), dtype=np.float64)
