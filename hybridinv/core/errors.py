"""Errors and warnings raised by hybridinv."""

from __future__ import annotations

__all__ = ["PlanningError", "ConstraintViolationWarning"]


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
        parts = []
        if column is not None:
            parts.append(f"column {column!r}")
        if sku is not None:
            parts.append(f"sku {sku!r}")
        if value is not None:
            parts.append(f"value {value!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConstraintViolationWarning(UserWarning):
    """The constraints could not all be met; the closest plan was returned."""
