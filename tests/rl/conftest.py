"""Fixtures shared by the RL tests."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest


def _sb3_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("SB3-")}


@pytest.fixture()
def no_log_folders():  # type: ignore[no-untyped-def]
    """Fails the test if stable-baselines3 left a log folder in the temp dir (learn() needs a logger)."""
    before = _sb3_dirs()
    yield
    assert _sb3_dirs() == before, "SB3 left log folders in the temp dir"
