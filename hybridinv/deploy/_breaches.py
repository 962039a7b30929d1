"""The guardrails a :class:`~hybridinv.deploy.guardrails.GuardedPolicy` broke in a simulated episode.

A band no order the catalog allows meets (whole lots, MOQ, maximum order) is broken by the closest allowed order.
In ``plan()`` that is one warning for the period planned; in a simulation the same band is usually broken every
period, and one warning a period printed dozens of lines for one run. The episode's breaches are kept here, one row
per period and SKU, and summarized in one warning when the episode ends.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import ConstraintViolationWarning

BREACH_COLUMNS = ("period", "sku", "order", "lower", "upper", "outside_by")


class BreachLog:
    """Rows of broken guardrails (``BREACH_COLUMNS``), one per period and SKU, in the order they happened."""

    def __init__(self) -> None:
        # numpy arrays per period with breaches (no pandas in the step loop); the frame is built when asked for
        self._parts: list[tuple[int, Catalog, NDArray[np.int64], NDArray[np.float64], NDArray[np.float64],
                                NDArray[np.float64]]] = []

    def add(self, period: int, catalog: Catalog, lower: NDArray[np.float64], upper: NDArray[np.float64],
            orders: NDArray[np.float64], outside: NDArray[np.bool_]) -> None:
        """Record the SKUs of one period whose order lies outside ``[lower, upper]`` (``outside``)."""
        where = np.flatnonzero(outside)
        if where.size:
            self._parts.append((int(period), catalog, where, orders[where].copy(), lower[where].copy(),
                                upper[where].copy()))

    def frame(self) -> pd.DataFrame:
        """The rows recorded so far (an empty frame with ``BREACH_COLUMNS`` when none)."""
        if not self._parts:
            return pd.DataFrame({name: pd.Series(dtype=object if name == "sku" else float) for name in BREACH_COLUMNS})
        order, lower, upper = (np.concatenate([part[k] for part in self._parts]) for k in (3, 4, 5))
        return pd.DataFrame({
            "period": np.repeat([part[0] for part in self._parts], [part[2].size for part in self._parts]),
            "sku": np.concatenate([part[1].sku[part[2]] for part in self._parts]),
            "order": order,
            "lower": lower,
            "upper": upper,
            "outside_by": np.maximum(np.maximum(lower - order, order - upper), 0.0),
        })

    def _rules(self, row: int) -> str:
        """The lots, MOQ and maximum order of the SKU of row ``row`` of :meth:`frame`."""
        sizes = np.cumsum([part[2].size for part in self._parts])
        k = int(np.searchsorted(sizes, row, side="right"))
        _, catalog, where, *_ = self._parts[k]
        i = int(where[row - (sizes[k - 1] if k else 0)])
        return f"lots of {catalog.lot_size[i]:g}, MOQ {catalog.moq[i]:g}, maximum order {catalog.max_order[i]:g}"

    def warn_summary(self, periods: int, stacklevel: int = 2) -> None:
        """One :class:`~hybridinv.core.errors.ConstraintViolationWarning` for the episode: how many of its
        ``periods`` periods and which SKUs broke a guardrail, and the worst breach (nothing when none)."""
        if not self._parts:
            return
        rows = self.frame()
        row = int(np.argmax(rows["outside_by"].to_numpy()))  # the first of the largest
        worst = rows.iloc[row]
        skus = rows["sku"].nunique()
        warnings.warn(
            f"guardrail broken in {rows['period'].nunique()} of {periods} simulated periods, for {skus} SKU(s) "
            f"({len(rows)} SKU-periods): no order the catalog allows (whole lots, MOQ, maximum order) lay in the "
            f"band, so the closest allowed order was placed (the lower one on a tie); worst: SKU {worst['sku']!r} "
            f"ordered {worst['order']:g} in period {int(worst['period'])}, band [{worst['lower']:g}, "
            f"{worst['upper']:g}] ({self._rules(row)}), {worst['outside_by']:g} outside; "
            "every period and SKU in GuardedPolicy.breaches",
            ConstraintViolationWarning,
            stacklevel=stacklevel + 1,
        )
