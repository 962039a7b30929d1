"""Escaping of names in outputs (hybridinv/core/outputs.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from hybridinv.core.outputs import escape_formula, escape_formulas, markdown_text, plain_label, write_csv


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("-5", "-5"),
        ("+1.5e3", "+1.5e3"),
        ("A-1", "A-1"),
        ("", ""),
    ],
)
def test_escape_formula(cell: str, written: str) -> None:
    assert escape_formula(cell) == written


def test_only_text_cells_and_names_change() -> None:
    frame = pd.DataFrame({
        "sku": ["=A", "B"],
        "=qty": [-1.0, 2.0],
        "kind": pd.Categorical(["@x", "y"]),
        "flag": [True, False],
    })
    out = escape_formulas(frame)
    assert list(out.columns) == ["sku", "'=qty", "kind", "flag"]
    assert out["sku"].tolist() == ["'=A", "B"] and out["kind"].tolist() == ["'@x", "y"]
    assert out["'=qty"].tolist() == [-1.0, 2.0] and out["flag"].tolist() == [True, False]
    assert frame["sku"].tolist() == ["=A", "B"]  # the input is not modified
    buffer = io.StringIO()
    write_csv(frame, buffer)
    assert buffer.getvalue().splitlines() == ["sku,'=qty,kind,flag", "'=A,-1.0,'@x,True", "B,2.0,y,False"]


def test_plain_label_and_markdown_text() -> None:
    assert plain_label("cost $x^$") == r"cost \$x^\$"
    assert plain_label(3) == "3"
    assert markdown_text("<b>a|b`c</b> & d") == "&lt;b&gt;a&#124;b&#96;c&lt;/b&gt; &amp; d"


def test_replace_files_moves_folders_in_with_the_files_as_one_set(tmp_path: Path) -> None:
    from hybridinv.core.errors import PlanningError
    from hybridinv.core.outputs import replace_files

    out = tmp_path / "out"
    (out / "models" / "a").mkdir(parents=True)
    (out / "models" / "a" / "w").write_text("earlier a")
    (out / "models" / "gone").mkdir()
    (out / "report.txt").write_text("earlier report")
    new_a = out / "models" / ".stage" / "a"
    new_a.mkdir(parents=True)
    (new_a / "w").write_text("new a")

    def fail(path: Path) -> None:
        raise OSError(28, "No space left on device")

    folders = {out / "models" / "a": new_a, out / "models" / "gone": None}
    with pytest.raises(PlanningError, match="No space left"):
        replace_files({out / "report.txt": fail}, folders=folders)
    assert (out / "models" / "a" / "w").read_text() == "earlier a" and (out / "models" / "gone").is_dir()
    assert (new_a / "w").read_text() == "new a" and (out / "report.txt").read_text() == "earlier report"
    replace_files({out / "report.txt": lambda path: path.write_text("new report")}, folders=folders)
    assert (out / "models" / "a" / "w").read_text() == "new a" and not (out / "models" / "gone").exists()
    assert (out / "report.txt").read_text() == "new report"
    assert sorted(p.name for p in (out / "models").iterdir()) == [".stage", "a"]  # nothing left aside
    assert not any((out / "models" / ".stage").iterdir())
