"""Fixtures of the repair tests (helpers live in ``_cases.py``)."""

from __future__ import annotations

import pytest

from ._cases import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every importable repair backend."""
    return str(request.param)
