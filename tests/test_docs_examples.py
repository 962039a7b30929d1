"""The python examples of README.md and every docs page run as written, in page order.

docs/first_hour.md has its own, stricter test (tests/test_docs_first_hour.py). For every other
page the ``python`` blocks run in order in one namespace, in a temporary folder. Three HTML
comments, invisible on the rendered page, steer the run:

- ``<!-- doc-setup ... -->`` holds code that runs at its place in the page, before the blocks
  after it: the inputs a snippet takes for granted (``catalog``, ``desired``, a policy, ...),
  so the reader's snippet stays short and the test still checks the calls it shows;
- ``<!-- doc-check ... -->`` runs the same way, after the blocks before it: assertions on what
  they computed (that the plan the page shows is feasible, ...), so a page that runs but shows
  a wrong result fails too;
- ``<!-- not-run: reason -->`` right before a fence skips that one block (it needs a Ray
  cluster, a user's own files, or hours);
- ``<!-- doc-test: slow -->`` anywhere on the page marks its test slow (training, whole suites).

A page whose example breaks fails here with the block's first line in the message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: A python fence, a hidden set-up comment, or a not-run marker, in page order.
_ITEM = re.compile(
    r"^```python[^\n]*\n(?P<code>.*?)^```\s*$"
    r"|<!-- doc-(?P<kind>setup|check)\n(?P<setup>.*?)^-->"
    r"|<!-- not-run: (?P<skip>[^>]*?) -->\s*\n(?=```)",
    re.S | re.M,
)
_SLOW = "<!-- doc-test: slow -->"
_OWN_TEST = {"first_hour.md"}


def _pages() -> list[Path]:
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    return [p for p in pages if p.name not in _OWN_TEST and "```python" in p.read_text()]


def page_program(text: str) -> list[tuple[str, str]]:
    """``(label, code)`` of what a page runs, in order: set-up comments and the blocks not skipped."""
    program: list[tuple[str, str]] = []
    skip_next = False
    for match in _ITEM.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if match.group("skip") is not None:
            skip_next = True
        elif match.group("setup") is not None:
            program.append((f"doc-{match.group('kind')} at line {line}", match.group("setup")))
        elif skip_next:
            skip_next = False
        else:
            program.append((f"block at line {line}", match.group("code")))
    return program


def _param(page: Path) -> Any:
    marks = [pytest.mark.slow] if _SLOW in page.read_text() else []
    return pytest.param(page, id=page.stem, marks=marks)


def test_the_markers_are_read() -> None:
    text = (
        "<!-- doc-setup\nx = 1\n-->\n```python\ny = x + 1\n```\n"
        "<!-- not-run: needs Ray -->\n```python\nraise SystemExit\n```\n```python\nz = y\n```\n"
        "<!-- doc-check\nassert z == 2\n-->\n"
    )
    program = page_program(text)
    assert [code for _, code in program] == ["x = 1\n", "y = x + 1\n", "z = y\n", "assert z == 2\n"]
    assert program[-1][0].startswith("doc-check")


@pytest.mark.parametrize("page", [_param(page) for page in _pages()])
def test_the_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    program = page_program(page.read_text())
    assert any(label.startswith("block") for label, _ in program), f"{page.name}: nothing runs"
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for label, code in program:
        try:
            exec(compile(code, f"{page.name}:{label}", "exec"), namespace)
        except Exception as exc:  # the failing block named in the message
            first = code.strip().splitlines()[0] if code.strip() else ""
            raise AssertionError(f"{page.name}, {label} ({first!r}): {type(exc).__name__}: {exc}") from exc
