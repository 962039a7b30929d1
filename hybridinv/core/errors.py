"""Errors and warnings raised by hybridinv."""

from __future__ import annotations

import numpy as np

__all__ = ["ConstraintViolationWarning", "PlanningError", "PlanningWarning", "SolverFallbackWarning"]


class PlanningError(ValueError):
    """Invalid planning input.

    The message names the offending column, SKU and value so that a planner
    can fix the input file directly, for example::

        PlanningError: column 'holding_cost', sku 'A-17': value -1.0 must be >= 0
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        sku: object | None = None,
        value: object | None = None,
    ) -> None:
        self.column = column
        self.sku = sku
        self.value = value
        parts = [
            f"{label} {_shown(item)}" for label, item in (("column", column), ("sku", sku), ("value", value))
            if item is not None
        ]
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


def _shown(item: object) -> str:
    """``repr`` of the plain Python value: ``'A'`` for ``np.str_('A')``, ``1.5`` for ``np.float64(1.5)``."""
    if isinstance(item, np.generic):
        item = item.item()
    return repr(item)


class ConstraintViolationWarning(UserWarning):
    """The constraints could not all be met; the closest plan was returned."""


class PlanningWarning(UserWarning):
    """The plan was made, but part of the input could not be used as given (see the message)."""


class SolverFallbackWarning(UserWarning):
    """A solver was not available, failed or found no plan; the fast repair plan was used instead.

    The reason is also recorded in ``RepairDiagnostics.fallback_reason``.
    """
