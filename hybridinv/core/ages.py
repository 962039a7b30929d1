"""The ages of perishable stock on hand: a long ``stock_ages`` frame read into the simulator's age buckets.

:func:`hybridinv.plan` (``stock_ages=``) and ``hybridinv plan --stock-ages FILE`` take the stock on hand of
perishable SKUs by the periods of life it has left; without it every unit on hand is taken as fresh, good for
the SKU's whole ``shelf_life``. The array has the layout of
:attr:`hybridinv.sim.observation.Observation.stock_by_life`, so ``mpc`` plans expiries and
``expiring_before_arrival`` counts them from the true ages, as in simulation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.core._frame import (
    ExtraColumns,
    check_columns,
    numeric_column,
    require_columns,
    require_frame,
    sku_column,
)
from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import PlanningError
from hybridinv.core.limits import MAX_QUANTITY, MAX_SHELF_LIFE

__all__ = ["STOCK_AGE_COLUMNS", "stock_by_life"]

#: Columns of a ``stock_ages`` frame: the SKU, the periods its units can still be sold in (this one included:
#: 1 means they expire at the end of this period) and how many units are that old.
STOCK_AGE_COLUMNS = ("sku", "life_left", "quantity")
_TABLE = "stock_ages"


def stock_by_life(
    stock_ages: pd.DataFrame,
    catalog: Catalog,
    on_hand: NDArray[np.float64],
    *,
    extra_columns: ExtraColumns = "error",
) -> NDArray[np.float64]:
    """The stock on hand per SKU by periods of life left, shape (n, B), ``B = max(shelf_life)``.

    ``stock_ages`` is a long frame with a row per lot: ``sku``, ``life_left`` (whole periods the units
    can still be sold in, this one included: 1 = they expire at the end of this period; at most the SKU's
    ``shelf_life``) and ``quantity`` (whole units). Rows of one SKU and age are added up. Units on hand that
    no row covers are fresh (``life_left = shelf_life``), so a frame may list only the older lots. Column
    ``j`` of the result holds the units that expire at the end of period ``j`` from now
    (``life_left = j + 1``), the layout of the simulator's age buckets
    (:attr:`~hybridinv.sim.observation.Observation.stock_by_life`); a SKU that does not perish keeps its
    stock in column 0, as the simulator does. ``on_hand`` is in catalog order.

    Raises
    ------
    PlanningError
        Naming the column, SKU and value: a SKU not in the catalog or that does not perish
        (``shelf_life`` 0); ``life_left`` below 1 or above the SKU's shelf life, or not a whole number;
        ``quantity`` negative or fractional; a SKU's rows adding up to more than its ``on_hand``;
        a missing or unknown column (unless ``extra_columns`` allows it).

    Examples
    --------
    12 units on hand of a 3-period life, 5 of them with one period left:

    >>> cat = Catalog.from_frame(pd.DataFrame({"sku": ["milk"], "unit_cost": [1.0], "holding_cost": [0.1],
    ...                                        "shortage_cost": [2.0], "lead_time": [1], "shelf_life": [3]}))
    >>> ages = pd.DataFrame({"sku": ["milk"], "life_left": [1], "quantity": [5]})
    >>> stock_by_life(ages, cat, np.array([12.0])).tolist()
    [[5.0, 0.0, 7.0]]
    """
    frame = require_frame(stock_ages, _TABLE)
    check_columns(frame, STOCK_AGE_COLUMNS, _TABLE, extra_columns)
    require_columns(frame, STOCK_AGE_COLUMNS, _TABLE)
    skus = sku_column(frame, _TABLE, unique=False)
    life_left = numeric_column(frame, "life_left", skus, _TABLE, integer=True, minimum=1.0, maximum=MAX_SHELF_LIFE)
    quantity = numeric_column(frame, "quantity", skus, _TABLE, integer=True, maximum=MAX_QUANTITY)
    rows = catalog.positions(skus, _TABLE)
    life = catalog.shelf_life.astype(np.int64)
    on_hand = np.asarray(on_hand, dtype=np.float64)
    n = catalog.n_skus
    out = np.zeros((n, max(int(life.max()) if n else 1, 1)))
    fresh = life > 0
    if rows.size:
        lots_of = life[rows]
        bad = np.flatnonzero(lots_of == 0)
        if bad.size:
            i = int(bad[0])
            raise PlanningError(f"{_TABLE}: the SKU does not perish (its shelf_life is 0 or blank); ages apply to "
                                "perishable SKUs only", column="sku", sku=str(skus[i]), value=str(skus[i]))
        bad = np.flatnonzero(life_left > lots_of)
        if bad.size:
            i = int(bad[0])
            raise PlanningError(f"{_TABLE}: life_left is above the SKU's shelf_life ({int(lots_of[i])})",
                                column="life_left", sku=str(skus[i]), value=float(life_left[i]))
        np.add.at(out, (rows, life_left.astype(np.int64) - 1), quantity)
    listed = out.sum(axis=1)
    over = np.flatnonzero(listed > on_hand)
    if over.size:
        i = int(over[0])
        raise PlanningError(f"{_TABLE}: the SKU's lots add up to {listed[i]:,.0f} units, more than its on_hand "
                            f"({on_hand[i]:,.0f})", column="quantity", sku=str(catalog.sku[i]), value=float(listed[i]))
    rest = on_hand - listed  # units no row covers: fresh; a SKU that does not perish keeps all in column 0
    out[np.flatnonzero(fresh), life[fresh] - 1] += rest[fresh]
    out[~fresh, 0] += rest[~fresh]
    return out
