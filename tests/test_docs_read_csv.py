"""The documented ``pd.read_csv`` calls read SKU codes as the command line does (the finding: with only
``dtype={"sku": str}`` a SKU coded ``NA`` became a missing value, and the plan failed on "an empty SKU")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv.cli import main

ROOT = Path(__file__).resolve().parent.parent
_PYTHON = re.compile(r"^```python[^\n]*\n(.*?)^```\s*$", re.S | re.M)

#: SKU codes pandas would read as missing values or numbers, and optional cells left empty (they must stay missing).
CATALOG = """sku,unit_cost,holding_cost,shortage_cost,lead_time,lot_size,max_order,supplier,demand_mean,demand_std
NA,8.5,0.2,14,2,1,,,12,4.4
00042,21,0.45,33,1,1,500,north,4.2,
null,3.2,0.08,5.5,1,10,,south,24,8.2
"""
STATE = "sku,on_hand,pipeline_1\nNA,3,0\n00042,1,2\nnull,40,0\n"
FORECAST = "sku,period,mean,std\n" + "".join(f"{s},{t},5,2\n" for s in ("NA", "00042", "null") for t in range(4))


def _plan_block(page: Path) -> str:
    return next(code for code in _PYTHON.findall(page.read_text()) if "hybridinv.plan(" in code)


@pytest.mark.parametrize("page", [ROOT / "README.md", ROOT / "docs" / "first_hour.md"], ids=lambda p: p.name)
def test_the_documented_read_keeps_sku_codes_as_the_cli_does(page: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "catalog.csv").write_text(CATALOG)
    (tmp_path / "state.csv").write_text(STATE)
    (tmp_path / "forecast.csv").write_text(FORECAST)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "doc"}
    exec(compile(_plan_block(page), str(page), "exec"), namespace)  # noqa: S102
    orders = namespace["orders"]
    assert list(orders["sku"]) == ["NA", "00042", "null"]
    assert pd.isna(namespace["catalog"].loc[0, "max_order"])  # an empty cell is still missing (inf), not ""
    args = ["plan", "--catalog", "catalog.csv", "--state", "state.csv", "--output", "plan.csv"]
    if "forecast=" in _plan_block(page):
        args += ["--forecast", "forecast.csv"]
    if "Constraints(capacity=150, budget=600)" in _plan_block(page):
        args += ["--capacity", "150", "--budget", "600"]
    elif "Constraints(capacity=5_000, budget=20_000)" in _plan_block(page):
        args += ["--capacity", "5000", "--budget", "20000"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(tmp_path / "plan.csv", dtype={"sku": str}, keep_default_na=False)
    assert list(cli["sku"]) == list(orders["sku"]) and list(cli["order_qty"]) == list(orders["order_qty"])
