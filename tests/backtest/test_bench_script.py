"""benchmarks/bench_backtest.py's rows at other capacities, which rerun the suite's trained models: they stopped at the
backtest's refusal of extra models named like a built-in policy (``hybrid_trained``), so ``--capacity-scenarios`` failed
after the first suite's training (2026-12-07; the refusal came that morning)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from hybridinv import Catalog
from hybridinv.backtest import backtest
from hybridinv.backtest.history import read_history

from ._data import catalog_frame, history_frame
from .test_engine import TINY

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_the_capacity_rows_rerun_the_trained_models_of_the_suite(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_backtest

    history, catalog = read_history(history_frame()), Catalog.from_frame(catalog_frame())
    models = tmp_path / "models"
    backtest(history, catalog, 24, "derive", ("hybrid_trained", "capped_trained"), training=TINY, model_dir=models)
    assert sorted(p.name for p in models.iterdir()) == ["capped_trained", "hybrid_trained"]
    monkeypatch.setattr(bench_backtest, "load_suite", lambda name: (history, catalog, SimpleNamespace(cutoff=24)))
    header, rule, *rows = bench_backtest._capacity_rows("toy", str(models)).splitlines()
    assert header.startswith("| capacity | hybrid_trained − hybrid_base |") and rule.startswith("|---")
    assert [row.split("|")[1].strip() for row in rows] == ["1.5x derived", "no limit"]
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")[2:-1]]
        assert len(cells) == len(bench_backtest.CAPACITY_PAIRS) and all(c.endswith("]") and "%" in c for c in cells)
