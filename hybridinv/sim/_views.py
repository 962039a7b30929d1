"""Copies (``copy.deepcopy``, pickle) of objects whose attributes are views of their other arrays.

A copy of a numpy view is an array of its own: a simulator copied mid-episode wrote its
orders into a copy of its ring and never saw them again (and its ledger's named series
stopped following the table they are columns of). Such objects leave their views out of
their state and rebuild them from the arrays they view when a copy is made.
"""

from __future__ import annotations

from typing import Any


class RebuildsViews:
    """Mixin: the attributes :meth:`_view_names` lists are rebuilt by :meth:`_bind_views` in a copy."""

    def _view_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _bind_views(self) -> None:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        views = self._view_names()
        return {name: value for name, value in self.__dict__.items() if name not in views}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind_views()
