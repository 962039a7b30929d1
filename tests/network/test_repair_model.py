"""projected_stock: the stock at each location's receipt period, by hand for lead times 0, 1 and 2."""

from __future__ import annotations

import math

import numpy as np

from hybridinv.network import Network
from hybridinv.network.repair_model import projected_stock

# W0 (L=0) -> S_c; W1 (L=1) -> S_d; W2 (L=2) -> M (L=2) -> S_a, S_b; every store L=1
NET = Network(("W0", "W1", "W2", "M", "S_c", "S_d", "S_a", "S_b"), np.array([-1, -1, -1, 2, 0, 1, 3, 3]),
              np.array([0, 1, 2, 2, 1, 1, 1, 1]), np.full(8, math.inf))
ON_HAND = np.array([[8.0], [8.0], [20.0], [4.0], [0.0], [0.0], [0.0], [0.0]])
PIPELINE = np.zeros((8, 1, 3))
PIPELINE[0, 0, 0] = 2.0                        # W0: 2 arriving now (not shippable this period)
PIPELINE[1, 0, :2] = [1.0, 3.0]                # W1
PIPELINE[2, 0, 1:] = [5.0, 9.0]                # W2
PIPELINE[3, 0, 1:] = [10.0, 1.0]               # M
DEMAND = np.array([[5.0], [6.0], [3.0], [4.0]])  # per period at S_c, S_d, S_a, S_b (network.stores order)


def test_upstream_stock_at_receipt_is_net_of_the_expected_outflow_of_the_periods_between():
    got = projected_stock(NET, ON_HAND, PIPELINE, np.zeros_like(ON_HAND), DEMAND)
    # L=0: received this period, after this period's shipments (the row's own term): nothing subtracted
    assert got[0, 0] == 8 + 2
    # L=1: received at the start of t+1, before t+1's shipments: still nothing subtracted
    assert got[1, 0] == 8 + 1 + 3
    # L=2: t+1's expected outflow (the subtree's demand, 3 + 4) is served from what arrives by then (5), the
    # on-hand kept now stays: 20 + max(5 - 7, 0) + 9 (the on-hand shipped now leaves by the row's own term)
    assert got[2, 0] == 20 + 0 + 9
    # a location between the warehouse and the stores, the same rule: 4 + max(10 - 7, 0) + 1
    assert got[3, 0] == 4 + 3 + 1
    # stores: the single-location projection, L periods of their own demand (0 on hand, nothing arriving)
    assert (got[4:, 0] == 0).all()


def test_without_expected_demand_upstream_stock_counts_every_arrival_as_before():
    got = projected_stock(NET, ON_HAND, PIPELINE, np.zeros_like(ON_HAND), np.zeros((4, 1)))
    assert got[:4, 0].tolist() == [10.0, 12.0, 34.0, 15.0]


def test_upstream_projection_is_exact_when_all_on_hand_ships_and_never_below_the_stock_otherwise():
    # brute force over today's shipments u of W2 (0..20): stock at the receipt after the period's outflows
    # s_{t+1} = max(20 - u + 5 - 7, 0), s_{t+2} = s_{t+1} + 9; the row counts projected - u
    got = projected_stock(NET, ON_HAND, PIPELINE, np.zeros_like(ON_HAND), DEMAND)[2, 0]
    truth = np.array([max(20 - u + 5 - 7, 0) + 9 for u in range(21)], dtype=float)
    row = got - np.arange(21.0)
    assert (row >= truth).all()
    assert row[-1] == truth[-1]
