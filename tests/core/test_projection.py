"""Tests for hybridinv.core.projection: projected on-hand and capacity rows, checked by hand."""

from __future__ import annotations

import numpy as np

from hybridinv.core import capacity_rows, project_on_hand


def test_projection_by_hand() -> None:
    on_hand = np.array([10.0, 0.0])
    pipeline = np.array([[2.0, 0.0, 5.0], [0.0, 3.0, 0.0]])
    demand = np.array([4.0, 1.0])
    got = project_on_hand(on_hand, pipeline, demand, horizon=4, backorders=np.array([0.0, 2.0]))
    # SKU 0: 12 -> 8 + 0 -> 4 + 5 = 9 -> 5 + 0; SKU 1: max(0, -2) = 0 -> 0 + 3 -> 2 -> 1
    np.testing.assert_array_equal(got, [[12, 8, 9, 5], [0, 3, 2, 1]])


def test_lead_time_zero_rows_are_total_volume() -> None:
    volume = np.array([1.0, 2.0, 0.5])
    on_hand = np.array([3.0, 4.0, 10.0])
    rows = capacity_rows(volume, np.zeros(3, dtype=np.int64), on_hand, np.zeros((3, 1)), np.ones(3), 30.0)
    assert rows.residual.shape == (1,)
    assert rows.residual[0] == 30.0 - (3 + 8 + 5)
    np.testing.assert_array_equal(rows.row, [0, 0, 0])


def test_rows_by_lead_time() -> None:
    volume = np.ones(2)
    rows = capacity_rows(volume, np.array([0, 2]), np.array([5.0, 5.0]), np.zeros((2, 1)), np.array([1.0, 2.0]), 20.0)
    # projected: SKU 0: 5, 4, 3; SKU 1: 5, 3, 1
    np.testing.assert_array_equal(rows.projected, [[5, 4, 3], [5, 3, 1]])
    np.testing.assert_array_equal(rows.residual, [10, 13, 16])
