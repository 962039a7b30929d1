"""docs/first_hour.md runs as written and its column tables describe exactly what the code produces.

The page's fenced blocks run in order in a temporary folder: ``csv``/``toml`` blocks with a
``title="file"`` are written to that file, ``python`` blocks are executed in one shared
namespace, and every command of a ``bash`` block (all start with ``hybridinv``) is invoked
through click's CliRunner. A table after ``<!-- columns: NAME -->`` lists the columns of a
CSV file, the top-level keys of a JSON file, or the columns of the DataFrame bound to
``NAME`` in the namespace; each must match what the run produced (both ways, except that a
row naming ``a`` … ``b`` stands for columns not listed one by one).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import main

PAGE = Path(__file__).resolve().parent.parent / "docs" / "first_hour.md"
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\s*$", re.S | re.M)
_MARKER = re.compile(r"<!-- columns: (\S+) -->\n((?:\|.*\n)+)")


def _blocks(text: str) -> list[tuple[str, str, str]]:
    """(language, title or "", body) of every fenced block, in order."""
    found = []
    for match in _BLOCK.finditer(text):
        title = re.search(r'title="([^"]+)"', match.group(2))
        found.append((match.group(1), title.group(1) if title else "", match.group(3)))
    return found


def _documented(text: str) -> dict[str, tuple[set[str], bool]]:
    """Name -> (documented columns, whether the list is complete) of every marked table."""
    tables = {}
    for name, table in _MARKER.findall(text):
        columns: set[str] = set()
        complete = True
        for row in table.splitlines()[2:]:
            first = row.split("|")[1]
            columns |= set(re.findall(r"`([^`]+)`", first))
            complete &= "…" not in first
        tables[name] = (columns, complete)
    return tables


def _commands(body: str) -> list[list[str]]:
    joined = body.replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def _produced(name: str, folder: Path, namespace: dict[str, Any]) -> set[str]:
    if name.endswith(".csv"):
        return set(pd.read_csv(folder / name).columns)
    if name.endswith(".json"):
        return set(json.loads((folder / name).read_text()))
    frame = namespace[name]
    assert isinstance(frame, pd.DataFrame), name
    return set(frame.columns)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Run the whole page once in a fresh folder; returns the folder and the Python namespace."""
    import os

    folder = tmp_path_factory.mktemp("first_hour")
    namespace: dict[str, Any] = {"__name__": "first_hour"}
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for language, title, body in _blocks(PAGE.read_text()):
            if title:
                (folder / title).write_text(body)
            elif language == "python":
                exec(compile(body, f"{PAGE.name}:python", "exec"), namespace)  # noqa: S102
            elif language == "bash":
                for args in _commands(body):
                    assert args[0] == "hybridinv", args
                    result = CliRunner().invoke(main, args[1:])
                    assert result.exit_code == 0, (args, result.output)
    finally:
        os.chdir(cwd)
    return folder, namespace


def test_the_page_has_the_steps_it_promises() -> None:
    blocks = _blocks(PAGE.read_text())
    titles = {title for _, title, _ in blocks}
    assert {"catalog.csv", "state.csv", "sales.csv", "my.toml"} <= titles
    commands = [args[1] for language, _, body in blocks if language == "bash" for args in _commands(body)]
    assert commands == ["plan", "backtest", "tune"]
    python = "\n".join(body for language, _, body in blocks if language == "python")
    assert "hybridinv.plan(" in python and "backtest(" in python


def test_every_documented_table_matches_the_output(run: tuple[Path, dict[str, Any]]) -> None:
    folder, namespace = run
    tables = _documented(PAGE.read_text())
    assert set(tables) == {"catalog.csv", "state.csv", "sales.csv", "plan.csv", "backtest/results.csv",
                           "backtest/periods.csv", "table", "tuned/trials.csv", "tuned/summary.json", "kpis"}
    for name, (documented, complete) in tables.items():
        produced = _produced(name, folder, namespace)
        assert documented <= produced, (name, sorted(documented - produced))
        if complete:
            assert produced <= documented, (name, "undocumented", sorted(produced - documented))


def test_the_outputs_say_what_the_page_says(run: tuple[Path, dict[str, Any]]) -> None:
    folder, namespace = run
    plan = pd.read_csv(folder / "plan.csv")
    assert list(namespace["orders"].columns) == list(plan.columns)  # the Python plan has the CLI's columns
    assert (plan["order_value"] <= 600 + 1e-9).all() and plan["order_value"].sum() <= 600 + 1e-9
    c300 = plan.set_index("sku").loc["C-300"]
    assert c300["reason"] == "moq+budget" and c300["desired_qty"] > 0 and c300["order_qty"] == 0
    results = pd.read_csv(folder / "backtest" / "results.csv")
    assert set(results["policy"]) == {"static_ss", "newsvendor", "hybrid"} and len(results) == 12
    assert set(pd.read_csv(folder / "backtest" / "periods.csv")["period"]) == {f"w{t}" for t in range(29, 41)}
    summary = json.loads((folder / "tuned" / "summary.json").read_text())
    assert summary["objective"] == "valued_cost" and summary["targets"] == ["fill_rate>=0.95"]
    assert len(pd.read_csv(folder / "tuned" / "trials.csv")) == 8
    assert (folder / "tuned" / "spec.toml").exists() and (folder / "tuned" / "pareto.png").exists()
    kpis = namespace["kpis"]
    assert list(kpis["seed"]) == list(range(100, 110)) and kpis["fill_rate"].between(0, 1).all()
    tuned, week = namespace["tuned"], namespace["week"]
    assert (week["order_up_to"].to_numpy() == tuned.level).all()


def test_the_required_catalog_columns_are_what_a_plan_without_a_forecast_needs(tmp_path: Path) -> None:
    # the finding: the page said five columns were enough, but its own flow (no forecast file) needs demand_mean
    text = " ".join(PAGE.read_text().split())
    claim = re.search(r"Only (.*?) are always required\. (.*?) is required too when you plan without a forecast",
                      text)
    assert claim is not None
    always, without_forecast = (re.findall(r"`([^`]+)`", part) for part in claim.groups())
    assert always == ["sku", "unit_cost", "holding_cost", "shortage_cost", "lead_time"]
    assert without_forecast[:2] == ["demand_mean", "demand_std"]
    catalog, state = tmp_path / "catalog.csv", tmp_path / "state.csv"
    state.write_text("sku,on_hand\nA-100,3\n")
    catalog.write_text(",".join(always) + "\nA-100,8.5,0.2,14,2\n")
    refused = CliRunner().invoke(main, ["plan", "--catalog", str(catalog), "--state", str(state)])
    assert refused.exit_code == 1 and "column 'demand_mean'" in refused.output, refused.output
    catalog.write_text(",".join([*always, "demand_mean"]) + "\nA-100,8.5,0.2,14,2,12\n")
    planned = CliRunner().invoke(main, ["plan", "--catalog", str(catalog), "--state", str(state)])
    assert planned.exit_code == 0, planned.output
