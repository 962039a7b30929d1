"""Reason flags joined into one label per element, in time linear in the elements.

The explanations of :meth:`~hybridinv.repair.RepairResult.explain`, ``plan()``'s
``target_reason`` and the network repair all turn a few boolean flag arrays into labels such as
``"capacity+budget"``. Joining strings element by element costs seconds at a million SKUs; here
each element gets an integer code (one bit per flag) and the labels come from a table with one
entry per possible code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["join_flags", "labels_where", "text_full"]

#: Up to this many flags the labels of every possible code are tabled once (4,096 at most);
#: beyond it only the codes that occur are labelled (through :func:`numpy.unique`).
_TABLE_BITS = 12


@lru_cache(maxsize=64)
def _table(names: tuple[str, ...]) -> NDArray[np.object_]:
    return _labels(names, range(1 << len(names)))


def _labels(names: tuple[str, ...], codes: Iterable[int]) -> NDArray[np.object_]:
    labels = ["+".join(name for bit, name in enumerate(names) if code >> bit & 1) for code in codes]
    table = np.empty(len(labels), dtype=object)
    table[:] = labels
    return table


def join_flags(
    flags: Mapping[str, NDArray[np.bool_]],
    names: Sequence[str],
    none: str | NDArray[np.object_],
) -> NDArray[np.object_]:
    """Per element, the ``names`` whose flag is on, joined by ``+`` in the order of ``names``.

    ``none`` labels the elements with no flag on: one string, or an array of the flags' shape
    (e.g. ``"unchanged"`` where the order equals the desired quantity, ``"other"`` elsewhere).
    """
    names = tuple(names)
    if not names:
        raise ValueError("join_flags needs at least one flag name")
    shape = np.shape(flags[names[0]])
    code = np.zeros(shape, dtype=np.int64)
    bits = np.empty(shape, dtype=np.int64)
    for bit, name in enumerate(names):  # shifts rather than a masked or: a random mask is slow
        np.left_shift(np.asarray(flags[name], dtype=bool), bit, out=bits, casting="unsafe")
        code |= bits
    if len(names) <= _TABLE_BITS:
        out = _table(names)[code]
    else:
        values, inverse = np.unique(code, return_inverse=True)
        out = _labels(names, values.tolist())[inverse.reshape(shape)]
    empty = code == 0
    out[empty] = none if isinstance(none, str) else np.asarray(none, dtype=object)[empty]
    return out


def text_full(shape: int | tuple[int, ...], value: str) -> NDArray[np.object_]:
    """An object array of ``shape`` holding the one string ``value`` everywhere.

    ``np.full(shape, value, dtype=object)`` goes through a unicode array and makes a new string
    object per element (about 0.1 s at a million); here every element refers to ``value``.
    """
    out = np.empty(shape, dtype=object)
    out.fill(value)
    return out


def labels_where(mask: NDArray[np.bool_], if_true: str, if_false: str) -> NDArray[np.object_]:
    """An object array of ``if_true`` where ``mask`` holds and ``if_false`` elsewhere."""
    out = text_full(np.shape(mask), if_false)
    out[mask] = if_true
    return out
