"""Shared constraints: warehouse capacity, purchase budget, supplier capacity."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from hybridinv.core._frame import text_variant
from hybridinv.core.catalog import Catalog
from hybridinv.core.errors import PlanningError

__all__ = ["Constraints", "capacity_row", "supplier_of", "supplier_row"]


def capacity_row(k: int) -> str:
    """The name of the warehouse row of receipt period ``k`` (0: this period), ``capacity[k=<k>]``."""
    return f"capacity[k={k}]"


def supplier_row(supplier: str) -> str:
    """The name of a supplier's capacity row, ``supplier[<name>]``."""
    return f"supplier[{supplier}]"


def supplier_of(row: str) -> str:
    """The supplier a capacity row named by :func:`supplier_row` belongs to."""
    return row[len("supplier[") : -1]


def _positive(name: str, value: object, supplier: object | None = None) -> float:
    where = "" if supplier is None else f"supplier {str(supplier)!r}: "  # a supplier is not a SKU
    if isinstance(value, bool | np.bool_):  # float(True) would be a capacity of 1
        raise PlanningError(f"{where}must be a number, not a boolean", column=name, value=value)
    if isinstance(value, str | bytes):  # float("3") was a capacity of 3: text is refused, as everywhere
        raise PlanningError(f"{where}must be a number, not text", column=name, value=value)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlanningError(f"{where}must be a number", column=name, value=value) from None
    except OverflowError:  # an int beyond float's range (10**400) is no finite limit
        raise PlanningError(f"{where}must be a number below 1.8e308 (use inf for no limit)", column=name,
                            value=value) from None
    if math.isnan(number) or number <= 0:
        raise PlanningError(f"{where}must be > 0 (use inf for no limit)", column=name, value=value)
    return number


@dataclass(frozen=True)
class Constraints:
    """Constraints shared by all SKUs.

    Parameters
    ----------
    capacity : float
        Warehouse capacity in volume units (``sum(volume * stock) <= capacity``
        at each receipt period). ``inf`` means unlimited.
    budget : float
        Purchase budget per period (``sum(unit_cost * order) <= budget``).
    supplier_capacity : mapping of str to float
        Optional maximum units ordered per period from each supplier; ``inf`` is no limit (the
        supplier is left out of the mapping).

    Raises
    ------
    PlanningError
        For zero, negative or NaN limits, a limit that is not a number (text such as ``"3"``
        and booleans included; until 2026-12-06 ``"3"`` was a limit of 3), a ``supplier_capacity``
        that is not a mapping, and a supplier key that is not text or a whole number (``None``,
        ``nan`` and ``True`` became the suppliers ``'None'``, ``'nan'`` and ``'True'``).
    """

    capacity: float = math.inf
    budget: float = math.inf
    supplier_capacity: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "capacity", _positive("capacity", self.capacity))
        object.__setattr__(self, "budget", _positive("budget", self.budget))
        if not isinstance(self.supplier_capacity, Mapping):  # dict(5) or dict("10") failed with a TypeError
            raise PlanningError(f"must map supplier names to limits, not {type(self.supplier_capacity).__name__}",
                                column="supplier_capacity", value=self.supplier_capacity)
        caps: dict[str, float] = {}
        for key, value in self.supplier_capacity.items():
            # None, NaN and True became the suppliers 'None', 'nan' and 'True'
            if not isinstance(key, str | int | np.integer) or isinstance(key, bool | np.bool_):
                raise PlanningError("a supplier is named by text (or a whole-number code)",
                                    column="supplier_capacity", value=key)
            if str(key) in caps:  # {1: 2, "1": 7} kept the last limit without a word
                raise PlanningError("names a supplier twice (keys are compared as text)",
                                    column="supplier_capacity", value=str(key))
            caps[str(key)] = _positive("supplier_capacity", value, supplier=key)
        # inf is no limit: left out (it was kept as a row, 0 x inf in the repair's prices gave NaN and changed plans)
        finite = {name: limit for name, limit in caps.items() if math.isfinite(limit)}
        object.__setattr__(self, "supplier_capacity", MappingProxyType(finite))

    def __reduce__(self) -> tuple[type[Constraints], tuple[float, float, dict[str, float]]]:
        # the read-only supplier mapping cannot be pickled; rebuild from a plain dict
        return (Constraints, (self.capacity, self.budget, dict(self.supplier_capacity)))

    @property
    def has_capacity(self) -> bool:
        """Whether the warehouse capacity is finite."""
        return math.isfinite(self.capacity)

    @property
    def has_budget(self) -> bool:
        """Whether the budget is finite."""
        return math.isfinite(self.budget)

    def supplier_rows(self, catalog: Catalog) -> tuple[list[str], NDArray[np.int64], NDArray[np.float64]]:
        """Per-supplier capacity rows for a catalog.

        Returns
        -------
        names : list of str
            Suppliers with a finite capacity, in the order of the rows.
        member : array of int, shape (n_skus,)
            Row index of each SKU's supplier, -1 when it has no capacity row.
        limits : array of float
            The capacity of each row.

        Raises
        ------
        PlanningError
            When a supplier with a capacity has no SKU in the catalog.
        """
        names = list(self.supplier_capacity)
        known = set(catalog.supplier)
        for name in names:
            # a catalog name that differs only in spaces or case (' ACME' from a padded cell) escaped the limit
            # without a word: 35 units ordered from a supplier capped at 10
            variant = text_variant(name, sorted(str(s) for s in known))
            if variant is not None:
                raise PlanningError(f"the catalog also names supplier {variant!r}, which differs from it only in "
                                    "spaces or case: the capacity would bind only the SKUs written exactly "
                                    f"{name!r}; write the supplier the same in every row", column="supplier",
                                    value=name)
            if name not in known:
                shown = sorted(str(s) for s in known if s)[:5]
                raise PlanningError("supplier has a capacity but no SKU in the catalog"
                                    + (f" (its suppliers include {shown}; codes are compared as text: 7 in a "
                                       "column of numbers with a blank cell reads '7.0')" if shown else ""),
                                    column="supplier", value=name)
        index = {name: k for k, name in enumerate(names)}
        member = np.array([index.get(s, -1) for s in catalog.supplier], dtype=np.int64)
        limits = np.array([self.supplier_capacity[n] for n in names], dtype=np.float64)
        return names, member, limits

    @classmethod
    def coerce(cls, value: object) -> Constraints:
        """``value`` as Constraints: a Constraints, a dict of its fields, or None (no limits).

        Raises
        ------
        PlanningError
            For unknown keys or any other type.
        """
        if value is None:
            return cls()
        if isinstance(value, Constraints):
            return value
        if isinstance(value, Mapping):
            unknown = set(value) - {"capacity", "budget", "supplier_capacity"}
            if unknown:
                raise PlanningError(f"unknown constraint(s) {sorted(unknown)}", column="constraints")
            return cls(**value)
        raise PlanningError(f"constraints must be a Constraints or a dict, got {type(value).__name__}")

    def to_dict(self) -> dict[str, object]:
        """Plain-dict form (for metadata and reports)."""
        return {"capacity": self.capacity, "budget": self.budget, "supplier_capacity": dict(self.supplier_capacity)}
