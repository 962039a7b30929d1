"""The array formulation: lot bounds, coupling rows, MILP arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hybridinv.repair.inputs import build_problem
from hybridinv.repair.model import RowKind, VarKind, milp_arrays

from ._cases import make_case


def _problem(case, **kwargs):
    return build_problem(*case.args, **kwargs)


def test_lot_bounds_follow_the_rules() -> None:
    case = make_case(
        [13.0, 3.0, 0.0, 250.0, -5.0],
        lot_size=[5, 2, 1, 10, 1],
        moq=[10, 6, 0, 0, 0],
        max_order=[math.inf, math.inf, 4, 95, math.inf],
    )
    p = _problem(case)
    np.testing.assert_array_equal(p.min_lots, [2, 3, 1, 1, 1])
    np.testing.assert_array_equal(p.max_lots, [np.inf, np.inf, 4, 9, np.inf])
    # ceil(13/5)=3; desired 3 < moq 6 -> the MOQ is the only positive option; desired 0 -> fixed at 0
    np.testing.assert_array_equal(p.free_upper_lots, [3, 3, 0, 9, 0])
    np.testing.assert_array_equal(p.upper_lots, p.free_upper_lots)
    np.testing.assert_array_equal(p.desired, [13.0, 3.0, 0.0, 250.0, 0.0])
    np.testing.assert_array_equal(p.desired_input, [13.0, 3.0, 0.0, 250.0, -5.0])


def test_single_rows_tighten_the_upper_bound() -> None:
    case = make_case([40.0, 40.0], lot_size=[5, 5], moq=[20, 0], volume=[1.0, 2.0], capacity=18.0)
    p = _problem(case)
    # SKU 0: 18 / 5 -> 3 lots < moq 4 lots -> fixed at 0; SKU 1: 18 / 10 -> 1 lot
    np.testing.assert_array_equal(p.upper_lots, [0, 1])


def test_groups_mirror_the_constraints() -> None:
    case = make_case(
        [1.0, 2.0, 3.0],
        lead_time=[0, 2, 2],
        unit_cost=[1, 2, 3],
        lot_size=[1, 2, 3],
        supplier=["a", "b", "a"],
        capacity=100.0,
        budget=50.0,
        supplier_capacity={"a": 7.0},
    )
    p = _problem(case)
    kinds = [g.kind for g in p.groups]
    assert kinds == [RowKind.CAPACITY, RowKind.BUDGET, RowKind.SUPPLIER]
    cap, bud, sup = p.groups
    assert cap.names == ("capacity[k=0]", "capacity[k=1]", "capacity[k=2]")
    np.testing.assert_array_equal(cap.member, [0, 2, 2])
    np.testing.assert_array_equal(bud.coef, [1, 4, 9])  # cost per lot
    np.testing.assert_array_equal(sup.member, [0, -1, 0])
    np.testing.assert_array_equal(sup.coef, [1, 0, 3])  # units per lot
    assert p.n_rows == 5


def test_infinite_limits_have_no_rows() -> None:
    p = _problem(make_case([1.0, 2.0]))
    assert p.groups == ()
    assert p.row_usage(np.ones(2)).size == 0


def test_negative_residual_is_floored_for_the_solvers() -> None:
    case = make_case([5.0], on_hand=20, capacity=10.0)
    (group,) = _problem(case).groups
    assert group.limit[0] == pytest.approx(-10.0)
    assert group.rhs[0] == 0.0


def test_milp_arrays_reproduce_the_objective_and_rows() -> None:
    case = make_case(
        [7.5, 3.0, 12.0],
        lot_size=[2, 1, 5],
        moq=[4, 0, 10],
        unit_cost=[1, 2, 3],
        volume=[1, 1, 2],
        lead_time=[0, 1, 0],
        capacity=30.0,
        budget=40.0,
    )
    p = _problem(case)
    a = milp_arrays(p)
    n = p.n_skus
    assert a.n_cols == 2 * n and a.n_rows == n + p.n_rows
    kinds = a.kind[:n]
    np.testing.assert_array_equal(kinds, [VarKind.SEMI_INTEGER, VarKind.INTEGER, VarKind.SEMI_INTEGER])
    assert (a.kind[n:] == VarKind.CONTINUOUS).all()
    dense = np.zeros((a.n_rows, a.n_cols))
    for r in range(a.n_rows):
        lo, hi = a.indptr[r], a.indptr[r + 1]
        dense[r, a.indices[lo:hi]] = a.data[lo:hi]
    lots = np.array([2.0, 3.0, 2.0])
    surplus = np.maximum(p.lot_size * lots - p.desired, 0.0)
    x = np.concatenate([lots, surplus])
    assert a.offset + a.cost @ x == pytest.approx(p.objective(lots))
    rows = dense @ x
    assert (rows >= a.row_lower - 1e-9).all() and (rows <= a.row_upper + 1e-9).all()
    np.testing.assert_allclose(rows[n:], p.row_usage(lots))


def test_relaxation_drops_integrality_and_the_semi_gap() -> None:
    p = _problem(make_case([7.5], lot_size=2, moq=4))
    a = milp_arrays(p, relax=True)
    assert (a.kind == VarKind.CONTINUOUS).all()
    assert a.col_lower[0] == 0.0 and a.col_upper[0] == p.upper_lots[0]


def test_lot_feasible_checks_each_rule() -> None:
    p = _problem(make_case([10.0, 10.0, 10.0], lot_size=[2, 1, 1], moq=[4, 0, 0], max_order=[math.inf, 5, math.inf]))
    np.testing.assert_array_equal(p.lot_feasible(np.array([0.0, 5.0, 2.5])), [True, True, False])
    np.testing.assert_array_equal(p.lot_feasible(np.array([1.0, 6.0, 0.0])), [False, False, True])
