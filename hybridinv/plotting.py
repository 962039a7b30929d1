"""Figures drawn without ``pyplot``, so drawing changes nothing in the caller's matplotlib session.

:func:`new_figure` returns a :class:`matplotlib.figure.Figure` that pyplot does not know: saving it
needs no backend (matplotlib draws a PNG with Agg whatever the session's backend is) and there is
nothing to close. Until 2026-12-06 the library's plots called ``matplotlib.use("Agg")`` and drew
through pyplot, which switched a notebook's inline backend off for the rest of the session.
matplotlib is imported on the first call only (``import hybridinv`` stays light).
"""

from __future__ import annotations

from typing import Any

__all__ = ["new_figure"]


def new_figure(size: tuple[float, float], rows: int = 1, columns: int = 1, squeeze: bool = True) -> tuple[Any, Any]:
    """``(figure, axes)`` as ``pyplot.subplots(rows, columns, figsize=size, squeeze=squeeze)`` gives them."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=size)
    return figure, figure.subplots(rows, columns, squeeze=squeeze)
