"""The examples run end to end (slow: they write a log, fit, replay and render)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.mark.slow
def test_end_to_end_example(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["end_to_end.py", "--workdir", str(tmp_path)])
    runpy.run_path(str(EXAMPLES / "end_to_end.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "95% CI" in out
    assert (tmp_path / "dashboard" / "index.html").exists()
    assert (tmp_path / "sample_log" / "README.md").read_text().startswith("# SYNTHETIC")
