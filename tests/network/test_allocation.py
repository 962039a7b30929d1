"""Fair-share allocation: whole units, never above the parent's on-hand, proportional to the requests."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridinv.network import FairShare, Network, fair_share


def test_scarce_stock_is_shared_in_proportion_with_largest_remainders():
    net = Network.one_warehouse(3, 1, 1)
    # requests 4, 4, 2 (total 10) for 5 units: exact shares 2, 2, 1
    assert fair_share(net, [[4], [4], [2]], [[5], [0], [0], [0]]).ravel().tolist() == [2, 2, 1]
    # requests 3, 3, 3 for 7 units: 2.33 each, floors 2+2+2, one more to the first (tie -> earlier store)
    assert fair_share(net, [[3], [3], [3]], [[7], [0], [0], [0]]).ravel().tolist() == [3, 2, 2]
    # requests 5, 1, 0 for 3: exact 2.5, 0.5, 0 -> floors 2, 0; the one left goes to store_1 (tie, earlier)
    assert fair_share(net, [[5], [1], [0]], [[3], [0], [0], [0]]).ravel().tolist() == [3, 0, 0]
    # requests 1, 6, 3 for 5: exact 0.5, 3, 1.5 -> floors 0, 3, 1; the one left: tie 0.5 vs 0.5 -> store_1
    assert fair_share(net, [[1], [6], [3]], [[5], [0], [0], [0]]).ravel().tolist() == [1, 3, 1]


def test_plentiful_stock_ships_every_request_and_serial_is_min():
    net = Network.one_warehouse(2, 1, 1)
    requests = np.array([[3.0, 0.0], [2.0, 7.0]])
    np.testing.assert_array_equal(fair_share(net, requests, [[5.0, 100.0], [0, 0], [0, 0]]), requests)
    chain = Network.serial(3, 1)
    out = fair_share(chain, [[4.0], [9.0]], [[2.0], [20.0], [0.0]])
    assert out.ravel().tolist() == [2.0, 9.0]  # stage_2 gets min(4, 2), stage_1 min(9, 20)


def test_requests_are_rounded_and_negative_requests_get_nothing():
    net = Network.one_warehouse(2, 1, 1)
    out = fair_share(net, [[-3.0], [2.4]], [[10.0], [0], [0]])
    assert out.ravel().tolist() == [0.0, 2.0]


@st.composite
def allocation_problems(draw):
    n_locations = draw(st.integers(2, 9))
    parent = [-1] + [draw(st.integers(-1, i - 1)) for i in range(1, n_locations)]
    if all(p < 0 for p in parent):
        parent[1] = 0
    n_skus = draw(st.integers(1, 4))
    net = Network(tuple(f"L{i}" for i in range(n_locations)), parent, [1] * n_locations, [math.inf] * n_locations)
    k = net.non_roots.size
    big = draw(st.sampled_from([5, 50, 10**6]))
    requests = np.array(draw(st.lists(st.integers(0, big), min_size=k * n_skus, max_size=k * n_skus)),
                        dtype=float).reshape(k, n_skus)
    available = np.array(draw(st.lists(st.integers(0, big), min_size=n_locations * n_skus,
                                       max_size=n_locations * n_skus)), dtype=float).reshape(n_locations, n_skus)
    return net, requests, available


@settings(max_examples=300, deadline=None)
@given(allocation_problems())
def test_fair_share_is_integer_within_requests_and_never_above_on_hand(problem):
    net, requests, available = problem
    out = FairShare(net)(requests, available)
    assert out.shape == requests.shape
    assert (out == np.round(out)).all() and (out >= 0).all()
    assert (out <= requests).all()
    shipped = net.ship_from @ out
    total = net.ship_from @ requests
    assert (shipped <= available).all()
    # all the stock is used when it is scarce, every request is met when it is not
    np.testing.assert_array_equal(shipped, np.minimum(total, available))
    # proportional: each child is within one unit of its exact share
    ratio = np.where(total > available, available / np.where(total > 0, total, 1.0), 1.0)
    exact = requests * ratio[net.parent[net.non_roots]]
    assert (np.abs(out - exact) < 1.0 + 1e-9).all()
