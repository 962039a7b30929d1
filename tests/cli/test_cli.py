"""The hybridinv command: help texts, plan from CSV files, demo."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import SUBCOMMANDS, main
from hybridinv.examples import example_frames


def test_help_lists_every_subcommand() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in SUBCOMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", ["demo", "plan", "train", "bench", "tune", "monitor"])
def test_subcommand_help(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_plan_from_csv_files(tmp_path: Path) -> None:
    catalog, state = example_frames()
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    forecast = pd.DataFrame({"sku": catalog["sku"], "period": 1, "mean": catalog["demand_mean"] * 2})
    forecast.to_csv(tmp_path / "forecast.csv", index=False)
    args = [
        "plan",
        "--catalog",
        str(tmp_path / "catalog.csv"),
        "--state",
        str(tmp_path / "state.csv"),
        "--forecast",
        str(tmp_path / "forecast.csv"),
        "--capacity",
        "480",
        "--budget",
        "900",
        "--policy",
        "newsvendor",
        "--out",
        str(tmp_path / "plan.csv"),
        "--diagnostics",
        str(tmp_path / "diag.json"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "plan.csv")
    assert list(out["sku"]) == list(catalog["sku"])
    spend = float((out["order_qty"] * catalog["unit_cost"]).sum())
    assert spend <= 900 + 1e-6
    diag = json.loads((tmp_path / "diag.json").read_text())
    assert diag["budget"] == 900


def test_plan_with_demand_and_forecast_history(tmp_path: Path) -> None:
    """--demand-history/--forecast-history reach the hybrid: demand 60% above forecast raises its targets."""
    catalog, state = example_frames()
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    weeks = [f"w{k}" for k in range(26)]
    mean = catalog["demand_mean"].to_numpy()
    pd.DataFrame({"sku": catalog["sku"], **{w: mean * 1.6 for w in weeks}}).to_csv(tmp_path / "demand.csv", index=False)
    pd.DataFrame({"sku": catalog["sku"], **{w: mean for w in weeks}}).to_csv(tmp_path / "past.csv", index=False)
    base = ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv")]
    history = ["--demand-history", str(tmp_path / "demand.csv")]
    plain = CliRunner().invoke(main, [*base, *history, "--out", str(tmp_path / "plain.csv")])
    both = [*history, "--forecast-history", str(tmp_path / "past.csv"), "--out", str(tmp_path / "drift.csv")]
    corrected = CliRunner().invoke(main, [*base, *both])
    assert plain.exit_code == 0 and corrected.exit_code == 0, plain.output + corrected.output
    before = pd.read_csv(tmp_path / "plain.csv")["order_up_to"]
    after = pd.read_csv(tmp_path / "drift.csv")["order_up_to"]
    assert (after >= before).all() and (after > before).any()
    missing = CliRunner().invoke(main, [*base, "--forecast-history", str(tmp_path / "past.csv")])
    assert missing.exit_code != 0 and "forecast_history" in missing.output


def test_plan_bad_input_is_a_clean_error(tmp_path: Path) -> None:
    catalog, state = example_frames()
    catalog.loc[2, "holding_cost"] = -1.0
    catalog.to_csv(tmp_path / "catalog.csv", index=False)
    state.to_csv(tmp_path / "state.csv", index=False)
    result = CliRunner().invoke(
        main,
        ["plan", "--catalog", str(tmp_path / "catalog.csv"), "--state", str(tmp_path / "state.csv"), "--policy", "ss"],
    )
    assert result.exit_code != 0
    assert "holding_cost" in result.output and "P-102" in result.output
    assert "Traceback" not in result.output


def test_demo_runs() -> None:
    result = CliRunner().invoke(main, ["demo", "--seeds", "1", "--periods", "12"])
    assert result.exit_code == 0, result.output
    assert "KPI comparison" in result.output
    assert "order_qty" in result.output
