"""The seeded instance generator used by tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv.repair import repair_orders
from hybridinv.repair.instances import FAMILIES, family_instance, random_instance


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


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_is_seeded_and_varies_what_it_names(name: str) -> None:
    spec = FAMILIES[name]
    a, b = family_instance(name, 400, seed=3), family_instance(name, 400, seed=3)
    np.testing.assert_array_equal(a.desired, b.desired)
    assert a.constraints == b.constraints
    cat = a.catalog
    assert int(cat.lead_time.max()) <= spec.max_lead_time
    share = float((cat.moq > 0).mean())
    assert abs(share - spec.moq_share) < 0.1
    assert np.array_equal(a.desired, np.round(a.desired))  # whole units, as a target policy asks
    if spec.weights == "policy":
        assert a.under_weight is None and a.over_weight is None
        np.testing.assert_allclose(cat.shortage_cost, 0.5 * cat.unit_cost)
        np.testing.assert_allclose(cat.holding_cost, 0.2 * cat.unit_cost / 52)
    elif spec.weights == "uniform":
        assert (a.under_weight == 1).all() and (a.over_weight == 1).all()
    else:
        assert a.under_weight is not None and a.over_weight is None
        assert (a.under_weight > 0).all() and np.unique(a.under_weight).size > 100


@pytest.mark.parametrize(("name", "binding"), [("loose", False), ("weights_policy", True), ("very_tight", True)])
def test_family_tightness(name: str, binding: bool) -> None:
    inst = family_instance(name, 500, seed=0)
    result = repair_orders(*inst.args, **inst.weights, backend="fast")
    spent = result.diagnostics.row_usage["budget"] / result.diagnostics.row_limit["budget"]
    assert (result.diagnostics.budget_price > 0) is binding
    assert spent > 0.99 if binding else spent < 0.97


def test_plan_base_stock_family_is_the_issue15_catalog() -> None:
    inst = family_instance("plan_base_stock", 300, seed=0)
    assert (inst.catalog.lead_time == 0).all()
    assert (inst.catalog.moq > 0).mean() > 0.7 and (inst.catalog.lot_size > 1).any()
    with pytest.raises(KeyError):
        family_instance("no_such_family", 10)
