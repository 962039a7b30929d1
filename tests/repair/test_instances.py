"""The seeded instance generator used by tests and benchmarks."""

from __future__ import annotations

import numpy as np

from hybridinv.repair import repair_orders
from hybridinv.repair.instances import random_instance


def test_same_seed_same_instance() -> None:
    a, b = random_instance(100, seed=4), random_instance(100, seed=4)
    np.testing.assert_array_equal(a.desired, b.desired)
    np.testing.assert_array_equal(a.catalog.moq, b.catalog.moq)
    assert a.constraints == b.constraints
    assert not np.array_equal(a.desired, random_instance(100, seed=5).desired)


def test_capacity_and_budget_bind() -> None:
    inst = random_instance(500, seed=0)
    result = repair_orders(inst.desired, inst.catalog, inst.state, inst.constraints, backend="fast")
    diag = result.diagnostics
    assert diag.budget_price > 0
    assert (diag.capacity_price > 0).all()
    assert not diag.violations
    assert (inst.catalog.moq > 0).any() and (inst.catalog.lot_size > 1).any()
