"""plan(): the function a planning pipeline calls each period."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import hybridinv
from hybridinv import Constraints, PlanningError, plan
from hybridinv.examples import EXAMPLE_CONSTRAINTS, example_frames
from hybridinv.policies import SS, BaseStock


class Recorder:
    """A policy that records what it saw and orders a fixed amount."""

    name = "recorder"

    def __init__(self, quantity: float = 3.0) -> None:
        self.quantity = quantity
        self.seen: list[object] = []

    def act(self, obs: object) -> np.ndarray:
        self.seen.append(obs)
        return np.full(obs.n_skus, self.quantity)  # type: ignore[attr-defined]


@pytest.fixture()
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return example_frames()


def test_plan_returns_one_row_per_sku_in_catalog_order(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    shuffled = state.sample(frac=1.0, random_state=0)
    out = plan(shuffled, catalog, None, policy=BaseStock(30, repair=None))
    assert list(out["sku"]) == list(catalog["sku"])
    for col in ("sku", "order_qty", "desired_qty", "reorder_point", "order_up_to", "reason"):
        assert col in out.columns
    position = state["on_hand"] + state["pipeline_1"]
    np.testing.assert_array_equal(out["order_qty"], np.maximum(30 - position, 0))
    assert out.attrs["diagnostics"]["policy"] == "base_stock"


def test_plan_by_name_with_options(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    out = plan(state, catalog, None, policy="ss", s=5, S=40)
    assert (out["order_qty"] >= 0).all()


def test_forecast_reaches_policy_with_quantile_std(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    rows = []
    for sku in catalog["sku"][:3]:
        for period in (5, 6):
            high = 4.0 + 2 * 1.2815515655446004 * 3  # normal 10%/90% quantiles of std 3
            rows.append({"sku": sku, "period": period, "mean": 10.0 + period, "q0.1": 4.0, "q0.9": high})
    policy = Recorder()
    plan(state, catalog, None, forecast=pd.DataFrame(rows), policy=policy)
    obs = policy.seen[0]
    mean = obs.forecast(4)  # type: ignore[attr-defined]
    std = obs.forecast_std(4)  # type: ignore[attr-defined]
    np.testing.assert_allclose(mean[0], [15.0, 16.0, 16.0, 16.0])
    np.testing.assert_allclose(std[0], 3.0, rtol=1e-9)
    # SKUs without forecast rows fall back to the catalog statistics
    np.testing.assert_allclose(mean[5], catalog["demand_mean"][5])
    np.testing.assert_allclose(std[5], catalog["demand_std"][5])


def test_state_sku_not_in_catalog(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    bad = pd.concat([state, pd.DataFrame({"sku": ["GHOST"], "on_hand": [1], "pipeline_1": [0]})])
    with pytest.raises(PlanningError, match="GHOST"):
        plan(bad, catalog, None, policy=Recorder())


def test_forecast_sku_not_in_catalog(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    fc = pd.DataFrame({"sku": ["NOPE"], "period": [1], "mean": [3.0]})
    with pytest.raises(PlanningError, match="NOPE"):
        plan(state, catalog, None, forecast=fc, policy=Recorder())


def test_forecast_nan_names_column_and_sku(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    fc = pd.DataFrame({"sku": ["P-101"], "period": [1], "mean": [np.nan]})
    with pytest.raises(PlanningError, match=r"column 'mean', sku 'P-101'"):
        plan(state, catalog, None, forecast=fc, policy=Recorder())


def test_forecast_negative_mean(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    fc = pd.DataFrame({"sku": ["P-102"], "period": [1], "mean": [-2.0]})
    with pytest.raises(PlanningError, match=r"'mean'.*'P-102'.*-2"):
        plan(state, catalog, None, forecast=fc, policy=Recorder())


def test_forecast_duplicate_rows(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    fc = pd.DataFrame({"sku": ["P-102", "P-102"], "period": [1, 1], "mean": [2.0, 3.0]})
    with pytest.raises(PlanningError, match="more than one row"):
        plan(state, catalog, None, forecast=fc, policy=Recorder())


def test_missing_demand_statistics_without_forecast(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    catalog = catalog.assign(demand_mean=np.nan)
    with pytest.raises(PlanningError, match="demand_mean"):
        plan(state, catalog, None, policy=Recorder())


def test_unknown_policy_name(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match="unknown policy"):
        plan(state, catalog, None, policy="crystal_ball")


def test_policy_object_without_act(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match="act"):
        plan(state, catalog, None, policy=object())  # type: ignore[arg-type]


def test_unknown_constraint_key(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match="capacty"):
        plan(state, catalog, {"capacty": 10.0}, policy=Recorder())


def test_zero_budget_rejected(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, state = frames
    with pytest.raises(PlanningError, match="budget"):
        plan(state, catalog, {"budget": 0.0}, policy=Recorder())


def test_constrained_plan_respects_budget_and_rules(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    pytest.importorskip("hybridinv.repair")
    catalog, state = frames
    out = plan(state, catalog, Constraints(budget=600.0), policy=SS(10, 60))
    cat = hybridinv.Catalog.from_frame(catalog)
    q = out["order_qty"].to_numpy(dtype=float)
    assert float(cat.unit_cost @ q) <= 600.0 + 1e-6
    assert np.all(np.mod(q, cat.lot_size) == 0)
    assert np.all((q == 0) | (q >= cat.moq))
    assert (out["desired_qty"] > out["order_qty"]).any()
    assert out.attrs["diagnostics"]["spend"] <= 600.0 + 1e-6


def test_plan_and_import_do_not_import_torch() -> None:
    code = (
        "import sys, hybridinv\n"
        "from hybridinv.examples import example_frames, EXAMPLE_CONSTRAINTS\n"
        "c, s = example_frames()\n"
        "hybridinv.plan(s, c, EXAMPLE_CONSTRAINTS, policy='ss', s=5, S=30)\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'stable_baselines3' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_example_constraints_are_binding(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    catalog, _ = frames
    mean_spend = float((catalog["unit_cost"] * catalog["demand_mean"]).sum())
    assert EXAMPLE_CONSTRAINTS.budget < 1.2 * mean_spend
