"""The legend of reason codes (hybridinv/reasons.py) covers every code plan() can emit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hybridinv import plan
from hybridinv.examples import EXAMPLE_CONSTRAINTS, example_frames
from hybridinv.reasons import REASON_LEGEND, emitted_codes, legend_frame, legend_text

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_code_defined_in_the_code_base_is_in_the_legend_and_nothing_else() -> None:
    codes = emitted_codes()
    assert codes - set(REASON_LEGEND) == set()
    assert set(REASON_LEGEND) - codes == set()  # no stale entries either
    for code, entry in REASON_LEGEND.items():
        assert entry.column in ("reason", "target_reason") and entry.meaning and entry.action, code


def _codes(frame: pd.DataFrame) -> set[str]:
    return {part for column in ("reason", "target_reason") for value in frame[column] for part in value.split("+")}


@pytest.mark.parametrize("policy", ["hybrid", "forecast_capped_base_stock", "base_stock", "mpc", "newsvendor"])
def test_codes_seen_in_real_plans_are_in_the_legend(policy: str) -> None:
    catalog, state = example_frames()
    for constraints, stock in ((EXAMPLE_CONSTRAINTS, 1), (None, 1), (None, 20)):
        out = plan(state.assign(on_hand=state["on_hand"] * stock), catalog, constraints, policy=policy)
        assert _codes(out) <= set(REASON_LEGEND), policy


def test_the_demo_prints_and_the_docs_table_the_whole_legend() -> None:
    text = legend_text()
    for code in REASON_LEGEND:
        assert re.search(rf"^  {code}\s", text, re.MULTILINE), code
    concepts = (DOCS / "concepts.md").read_text()
    section = concepts.split("### Reason codes", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip().strip("`") for line in section.splitlines() if line.startswith("| `")}
    assert rows == set(REASON_LEGEND)
    # the same words: the docs said the cap follows the arrival period's forecast while the demo still printed
    # "a multiple of next period's forecast"
    cells = {line.split("|")[1].strip().strip("`"): [c.strip() for c in line.split("|")[2:5]]
             for line in section.splitlines() if line.startswith("| `")}
    for code, entry in REASON_LEGEND.items():
        assert cells[code] == [f"`{entry.column}`", entry.meaning, entry.action], code
    assert list(legend_frame().columns) == ["code", "column", "meaning", "action"]


def test_no_repair_reason_is_unchanged_rounding_or_negative() -> None:
    from hybridinv.planner import _unrepaired_reason

    orders = np.array([3.0, 5.0, 0.0, 2.0])
    desired = np.array([3.0, 4.2, -2.0, 7.0])
    assert list(_unrepaired_reason(orders, desired)) == ["unchanged", "rounding", "negative_desired", "other"]


def test_the_demo_output_carries_the_legend() -> None:
    from click.testing import CliRunner

    from hybridinv.cli import main

    result = CliRunner().invoke(main, ["demo", "--seeds", "1", "--periods", "4"])
    assert result.exit_code == 0, result.output
    for code in REASON_LEGEND:
        assert re.search(rf"^  {code}\s", result.output, re.MULTILINE), code
    assert "target_reason" in result.output.splitlines()[2]  # the plan table's header
