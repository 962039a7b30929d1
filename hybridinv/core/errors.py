"""Errors and warnings raised by hybridinv."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ConstraintViolationWarning", "PlanningError", "PlanningWarning", "SolverFallbackWarning", "horizon", "number_in",
    "enum_member", "near_names", "periods_per_year", "require_type", "scalar_or_array", "whole_number",
    "whole_numbers",
]


#: Optional dependencies and the extra of ``pyproject.toml`` that installs them.
OPTIONAL_MODULES: dict[str, str] = {"torch": "rl", "stable_baselines3": "rl", "ray": "ray"}


def missing_extra(exc: BaseException) -> str | None:
    """The install hint for a missing optional dependency (``torch`` without ``hybridinv[rl]``), or None.

    Without the ``rl`` extra, ``hybridinv plan --policy ppo`` ended in a 49-line traceback ending in
    "No module named 'torch'"."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    root = exc.name.split(".")[0]
    extra = OPTIONAL_MODULES.get(root)
    if extra is None:
        return None
    first = "pip install torch==2.13.0 (the CPU wheel, as the README's set-up does), then " if root == "torch" else ""
    return (f"this needs the optional dependency {root!r}, which is not installed: {first}"
            f"pip install 'hybridinv[{extra}]'")


def near_names(name: object, known: Iterable[str], *, prefix: str = "", cutoff: float = 0.6) -> str:
    """`` (did you mean 'perishable'?)`` for the known names closest to a misspelt ``name``; empty when none is
    close or ``name`` is not a string.

    One wording for every name a user types (a scenario, a policy, a KPI, a key of a scenario file, a field):
    ``newsvendr`` was refused with the whole list of names and no pointer to the one meant. A name is close
    when its :class:`difflib.SequenceMatcher` ratio is at least ``cutoff``; at most three are shown, the closest
    first, and only those about as close as the closest (within 0.1 of its ratio: ``base_stok`` is
    ``base_stock``, not also ``capped_base_stock``), each with ``prefix`` (``demand.`` for a key of a table).

    Examples
    --------
    >>> near_names("newsvendr", ["base_stock", "newsvendor", "ss"])
    " (did you mean 'newsvendor'?)"
    >>> near_names("zzz", ["base_stock", "newsvendor"])
    ''
    """
    if not isinstance(name, str):
        return ""
    import difflib

    scored = sorted((-difflib.SequenceMatcher(None, str(k), name).ratio(), str(k)) for k in known)  # ties: a to z
    close = [k for score, k in scored[:3] if -score >= cutoff and score <= scored[0][0] + 0.1]
    return f" (did you mean {' or '.join(repr(prefix + c) for c in close)}?)" if close else ""


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
        #: the message without the column, SKU and value prefix (to re-raise it with more context)
        self.message = message
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


def number_in(value: object, column: str, low: float, high: float, *, open_low: bool = False,
              open_high: bool = False, allow_inf: bool = False,
              error: type[PlanningError] = PlanningError) -> float:
    """``value`` as a float when it is a finite number in ``[low, high]`` (ends open where asked).

    Booleans, strings and other non-numbers are refused rather than converted (``"0.5"`` or
    ``True`` for a tolerance is a caller's mistake, not a number). ``allow_inf`` lets an infinite
    end of the interval through (a time limit or a cap where ``inf`` means "none"; NaN never is).
    ``error`` is the class raised (a subclass such as the network's ``LocationError``).

    Raises
    ------
    PlanningError
        Naming ``column`` and the value, with the interval it must lie in.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise error("must be a number", column=column, value=value)
    number = float(value)
    below = number <= low if open_low else number < low
    above = number >= high if open_high else number > high
    admitted = math.isfinite(number) or (allow_inf and not math.isnan(number))
    if not admitted or below or above:
        left = "(" if open_low or (low == -math.inf and not allow_inf) else "["
        right = ")" if open_high or (high == math.inf and not allow_inf) else "]"
        interval = f"{left}{low:g}, {high:g}{right}"
        kind = "number" if allow_inf else "finite number"
        raise error(f"must be a {kind} in {interval}", column=column, value=value)
    return number


def number_pair(value: object, column: str, low: float, high: float, *, open_low: bool = False) -> tuple[float, float]:
    """``value`` as ``(first, last)``: a pair of finite numbers in ``[low, high]`` (``(low, high]`` when
    ``open_low``), the first at most the last (a range such as ``weight_range=(0.01, 1000)``).

    Raises
    ------
    PlanningError
        Naming ``column`` and the pair or its first bad value.
    """
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise PlanningError("must be a pair (first, last)", column=column, value=value)
    first, last = (number_in(v, column, low, high, open_low=open_low) for v in value)
    if first > last:
        raise PlanningError("the first value must not exceed the second", column=column, value=value)
    return first, last


def whole_number(value: object, column: str, low: int = 0, *, error: type[PlanningError] = PlanningError) -> int:
    """``value`` as an int when it is a whole number ``>= low`` (``3.0`` is 3; ``2.5``, ``True``, ``"3"`` are refused).

    An integer is taken exactly, however large (a seed of ``2**53 + 1`` went through a float and
    became ``2**53``, the path of another seed; ``10**400`` was a bare ``OverflowError``).

    Raises
    ------
    PlanningError
        (or ``error``) Naming ``column`` and the value.
    """
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        if value < low:
            raise error(f"must be a whole number >= {low}", column=column, value=value)
        return int(value)
    number = number_in(value, column, -math.inf, math.inf, error=error)
    if number < low or number != math.floor(number):
        raise error(f"must be a whole number >= {low}", column=column, value=value)
    return int(number)


def require_type(value: object, kind: type, column: str) -> None:
    """Refuse ``value`` unless it is a ``kind`` (a ``Catalog`` for ``catalog``, ...): ``None`` or a dict there was an
    ``AttributeError`` at its first use.

    Raises
    ------
    PlanningError
        Naming ``column`` and the type given.
    """
    if not isinstance(value, kind):
        article = "an" if kind.__name__[0] in "AEIOU" else "a"
        raise PlanningError(f"must be {article} {kind.__name__}, got {type(value).__name__}", column=column,
                            value=type(value).__name__)


def flag(value: object, column: str) -> bool:
    """``value`` as a bool when it is one (``"no"``, ``0`` or ``None`` for a switch are a caller's mistake:
    ``bool("no")`` is True).

    Raises
    ------
    PlanningError
        Naming ``column`` and the value.
    """
    if not isinstance(value, bool | np.bool_):
        raise PlanningError("must be True or False", column=column, value=value)
    return bool(value)


def require_policy(value: object, column: str, refusal: str = "must be a policy (an object with act(obs))") -> None:
    """Refuse ``value`` unless it is a policy object: something with a callable ``act``, and not a class.

    A class passed for its instance (``BaseStock`` for ``BaseStock(...)``) has ``act`` too; it failed at
    the first decision with "act() missing 1 required positional argument".

    Raises
    ------
    PlanningError
        ``refusal`` naming ``column`` and the type, or the class with the hint to pass an instance.
    """
    if isinstance(value, type):
        raise PlanningError(f"is the class {value.__name__}; pass an instance, e.g. {value.__name__}(...)",
                            column=column, value=value.__name__)
    if not callable(getattr(value, "act", None)):  # a text is shown as given (a name where none is read)
        raise PlanningError(refusal, column=column, value=value if isinstance(value, str) else type(value).__name__)


def horizon(periods: object, default: int) -> int:
    """``default`` when ``periods`` is None, else ``periods`` as a whole number in ``[1, MAX_PERIODS]``
    (0 is refused, not read as "the default"; 10**9 was a MemoryError when the arrays were allocated).

    Raises
    ------
    PlanningError
        Naming ``periods`` and the value.
    """
    if periods is None:
        return int(default)
    from hybridinv.core.limits import MAX_PERIODS

    count = whole_number(periods, "periods", 1)
    if count > MAX_PERIODS:
        raise PlanningError(f"must be at most {MAX_PERIODS:,} periods", column="periods", value=periods)
    return count


def periods_per_year(value: object) -> int:
    """``value`` as a whole number of periods a year in ``[1, MAX_PERIODS]`` (a ``Scenario``'s, ``plan()``'s and a
    ``Monitor``'s: 10**13 was accepted by the last two, and the monitor annualized its turns with it).

    Raises
    ------
    PlanningError
        Naming ``periods_per_year`` and the value.
    """
    from hybridinv.core.limits import MAX_PERIODS

    count = whole_number(value, "periods_per_year", 1)
    if count > MAX_PERIODS:
        raise PlanningError(f"must be at most MAX_PERIODS = {MAX_PERIODS:,}", column="periods_per_year", value=count)
    return count


def whole_numbers(values: object, column: str, low: int = 0) -> tuple[int, ...]:
    """``values`` (a non-empty list or tuple, e.g. seeds) as a tuple of whole numbers ``>= low``.

    Raises
    ------
    PlanningError
        Naming ``column`` and the first bad value (or the sequence, when it is not one or empty).
    """
    if not isinstance(values, tuple | list) or not values:
        raise PlanningError("must be a non-empty list of whole numbers", column=column, value=values)
    return tuple(whole_number(value, column, low) for value in values)


def number_array(value: object, name: str) -> NDArray[np.float64]:
    """``value`` (a number or an array of numbers, any shape) as a float array.

    Booleans, text and complex numbers are refused, not converted (``True`` was 1 unit, ``"10"``
    10 units, ``1+2j`` a numpy ComplexWarning).

    Raises
    ------
    PlanningError
        Naming ``name`` and the first value that is not a number.
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # a ragged list
        raise PlanningError("must be numbers (a scalar or a regular array)", column=name) from None
    if raw.dtype.kind in "Mm":  # a date was its days since 1970 (2020-01-01: 18,262 units)
        first = raw.reshape(-1)[0] if raw.size else None
        raise PlanningError("must be numbers, not dates or durations", column=name, value=first)
    # a list or tuple is scanned as given: numpy reads (True, 2) as the integers (1, 2) and [1.0, "x"] as text
    listed = isinstance(value, list | tuple)
    if raw.dtype.kind in "bUScOc" or listed:
        not_numbers = (bool, np.bool_, str, bytes, complex, np.complexfloating)
        items = np.asarray(value, dtype=object).reshape(-1) if listed or raw.dtype.kind in "US" else raw.reshape(-1)
        first = next((v for v in items if isinstance(v, not_numbers)), None)
        if first is not None:
            raise PlanningError("must be numbers, not booleans or text", column=name, value=first)
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise PlanningError("must be numbers", column=name, value=value) from None


def scalar_or_array(value: object, column: str, low: float = -math.inf, *, open_low: bool = False,
                    high: float = math.inf) -> Any:
    """A number or an array of numbers (e.g. one per SKU), each finite, ``>= low`` (``> low`` when ``open_low``)
    and ``<= high``.

    Returns a float for a scalar, a float array otherwise.

    Raises
    ------
    PlanningError
        Naming ``column`` and the first bad value.
    """
    if isinstance(value, bool | str):
        raise PlanningError("must be a number or an array of numbers", column=column, value=value)
    # numpy booleans and text inside arrays too (np.array([True] * 10) was read as ones, ["5"] as 5)
    number = number_array(value, column)
    flat = number.reshape(-1)
    bad = ~np.isfinite(flat) | ((flat <= low) if open_low else (flat < low)) | (flat > high)
    if bad.any():
        shown = value if number.ndim == 0 else float(flat[int(np.argmax(bad))])
        bound = "" if low == -math.inf else (f" and > {low:g}" if open_low else f" and >= {low:g}")
        bound += "" if high == math.inf else f" and <= {high:g}"
        raise PlanningError(f"must be finite{bound}", column=column, value=shown)
    return float(number) if number.ndim == 0 else number


def refuse_labelled_series(value: object, column: str) -> None:
    """Refuse a pandas Series indexed by labels where values are read by position (one per SKU, catalog order).

    ``BaseStock(levels)`` with ``levels`` a Series indexed by SKU in another order than the catalog's gave each
    SKU another SKU's level without a word (a dict was refused, its Series accepted).
    """
    if type(value).__name__ != "Series" or not type(value).__module__.startswith("pandas"):
        return
    index: Any = getattr(value, "index", None)
    if type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1:
        return
    raise PlanningError(
        "a pandas Series indexed by labels (SKU codes?) is read by position, not by its labels: pass the values in "
        "catalog order, e.g. series.reindex(catalog['sku']).to_numpy()", column=column,
        value=str(index[0]) if len(index) else None)


def inventory_level(value: object, column: str, *, low: float | None = None) -> Any:
    """A policy level given to a constructor (base-stock ``level``, ``s``, ``S``, a reorder point, a cap): a number
    or one per SKU, finite and within ``±MAX_ORDER`` (``>= low`` when given).

    ``BaseStock(level=1e30)`` was accepted and every plan then refused its orders naming ``desired``, not the level.
    A pandas Series indexed by labels is refused (:func:`refuse_labelled_series`).
    """
    from hybridinv.core.limits import MAX_ORDER

    refuse_labelled_series(value, column)
    return scalar_or_array(value, column, -MAX_ORDER if low is None else low, high=MAX_ORDER)


def one_of(value: object, choices: Sequence[str], column: str) -> str:
    """``value`` when it is one of the names ``choices``, else PlanningError naming ``column``, the choices and the
    nearest one (``'totl'``: ``did you mean 'total'?``)."""
    if not isinstance(value, str) or value not in choices:
        raise PlanningError(f"must be one of {list(choices)}{near_names(value, choices)}", column=column, value=value)
    return value


def enum_member(kind: Any, value: object, column: str) -> Any:
    """``kind(value)`` for an enum class ``kind``, or PlanningError naming ``column`` and the allowed values."""
    try:
        return kind(value)
    except ValueError:
        raise PlanningError(f"must be one of {[m.value for m in kind]}", column=column, value=value) from None
