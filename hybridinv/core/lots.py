"""Whole lots in a quantity of units, with float rounding forgiven at every lot size.

``floor(units / lot + 1e-9)`` forgave a billionth of a *lot*: one unit or more once a lot holds
1e9 units or more (the catalog allows lot sizes to 1e12), so an order one unit above a
``max_order`` of ``2e9 - 1`` with lots of 1e9 was taken as two lots. These functions forgive
the rounding of the division and its inputs (four units in the last place of the quotient), or a
billionth of a lot but at most a thousandth of a unit where that is more: as before for lots of up
to a million units (a bound computed as 29.99999999 still holds 3 lots of 10), never a whole unit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["lots_covering", "lots_within"]

_ULPS = 4 * float(np.finfo(np.float64).eps)


def _slack(quotient: NDArray[np.float64], lot: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.maximum(_ULPS * np.abs(quotient), np.minimum(1e-9, 1e-3 / lot))


def lots_within(units: ArrayLike, lot: ArrayLike) -> NDArray[np.float64]:
    """Most whole lots of size ``lot`` whose units do not exceed ``units`` (``inf`` stays ``inf``).

    >>> lots_within([0.7, 2e9 - 1, 2e9], [0.1, 1e9, 1e9]).tolist()
    [7.0, 1.0, 2.0]
    """
    size = np.asarray(lot, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        quotient = np.asarray(units, dtype=np.float64) / size
        return np.floor(quotient + _slack(quotient, size))


def lots_covering(units: ArrayLike, lot: ArrayLike) -> NDArray[np.float64]:
    """Fewest whole lots of size ``lot`` whose units reach ``units``.

    >>> lots_covering([0.3, 2e9 + 1, 2e9], [0.1, 1e9, 1e9]).tolist()
    [3.0, 3.0, 2.0]
    """
    size = np.asarray(lot, dtype=np.float64)
    quotient = np.asarray(units, dtype=np.float64) / size
    return np.ceil(quotient - _slack(quotient, size))
