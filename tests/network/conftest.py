"""Fixtures of the network tests: the SB3 log-folder guard of the RL tests."""

from __future__ import annotations

from tests.rl.conftest import no_log_folders

__all__ = ["no_log_folders"]
