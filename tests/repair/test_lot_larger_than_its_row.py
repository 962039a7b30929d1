"""A SKU whose one lot is worth more than the whole row (a budget, a capacity) adds no rounding to the plan, so
it must not widen the row's tolerance. The finding: one SKU at 1e12 a unit let plan() and plan_network() spend
2,000 of a budget of 1,000 (and fill 200 of a capacity of 100), reported as feasible: the tolerance was
``1e-9 x`` the largest lot of the row, 1,000 here."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hybridinv
from hybridinv.core.feasibility import budget_tolerance, row_tolerance

BACKENDS = ["fast", "auto", "highs", "pulp"]
MEAN = [95_000.0, 5.0, 94_000.0]


def test_the_lot_term_is_capped_by_the_row() -> None:
    # a lot within the row keeps its term (rounding of order 1e-9 of a lot); one above it counts as the row
    assert row_tolerance(1000.0, 1000.0, 10.0) == pytest.approx(1e-12 * 1000 + 1e-9 * 10)
    assert row_tolerance(1000.0, 1000.0, 1e12) == pytest.approx(1e-12 * 1000 + 1e-9 * 1000)
    assert budget_tolerance(1000.0, 2000.0, 1e12) == pytest.approx(1e-12 * 2000 + 1e-9 * 2000)
    np.testing.assert_allclose(row_tolerance([1e3, 1e9], [0.0, 1e9], [1e12, 5.0]), [1e-9 + 1e-6, 1e-3 + 5e-9])


def _single_site(unit_cost: list[float], volume: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    catalog = pd.DataFrame({"sku": ["A", "B", "C"], "unit_cost": unit_cost, "holding_cost": 1.0, "shortage_cost": 1.0,
                            "lead_time": 0, "volume": volume, "demand_mean": MEAN, "demand_std": 1.0})
    return pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": 0}), catalog


@pytest.mark.parametrize("backend", BACKENDS)
def test_plan_keeps_the_budget_and_the_capacity_beside_a_lot_dearer_than_either(backend: str) -> None:
    for constraints, costs, volumes, row in (({"budget": 1000.0}, [0.1, 1e12, 0.1], [1.0, 1.0, 1.0], "budget"),
                                             ({"capacity": 100.0}, [1.0, 1.0, 1.0], [1.0, 1e12, 1.0], "volume")):
        state, catalog = _single_site(costs, volumes)
        with warnings.catch_warnings():
            warnings.simplefilter("error", hybridinv.ConstraintViolationWarning)
            frame = hybridinv.plan(state, catalog, constraints, policy="base_stock", repair=backend)
        q = frame["order_qty"].to_numpy(dtype=float)
        used = float(np.dot(q, costs if row == "budget" else volumes))
        assert used <= next(iter(constraints.values())) * (1 + 1e-12), (backend, row, q.tolist())  # float sums
        assert q[1] == 0 and q.sum() > 0  # the dear SKU cannot fit; the others fill the row


@pytest.mark.parametrize("backend", BACKENDS)
def test_plan_network_keeps_the_budget_and_a_root_capacity_beside_a_lot_dearer_than_either(backend: str) -> None:
    state = pd.DataFrame({"location": ["W"] * 3 + ["S"] * 3, "sku": ["A", "B", "C"] * 2, "on_hand": 0})
    forecast = pd.DataFrame({"location": "S", "sku": ["A", "B", "C"], "mean": MEAN, "std": 1.0})
    base = {"sku": ["A", "B", "C"], "holding_cost": 1.0, "shortage_cost": 1.0}
    cases = (
        (pd.DataFrame({"location": ["W", "S"], "parent": [None, "W"], "lead_time": [0, 0]}),
         pd.DataFrame({**base, "unit_cost": [0.1, 1e12, 0.1]}), {"budget": 1000.0}),
        (pd.DataFrame({"location": ["W", "S"], "parent": [None, "W"], "lead_time": [0, 0], "capacity": [100, None]}),
         pd.DataFrame({**base, "unit_cost": 1.0, "volume": [1.0, 1e12, 1.0]}), {}),
    )
    for locations, catalog, options in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error", hybridinv.ConstraintViolationWarning)
            frame = hybridinv.plan_network(locations, state, catalog, forecast=forecast, backend=backend, **options)
        supplier = frame[frame["location"] == "W"]["quantity"].to_numpy(dtype=float)
        if options:
            assert float(np.dot(supplier, catalog["unit_cost"])) <= 1000.0 * (1 + 1e-12), (backend, supplier.tolist())
        else:
            assert float(np.dot(supplier, catalog["volume"])) <= 100.0 * (1 + 1e-12), (backend, supplier.tolist())
        assert frame.attrs["diagnostics"]["violations"] == [] and supplier[1] == 0
