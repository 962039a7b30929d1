"""Random network repair instances (hypothesis) and an independent feasibility checker.

The checker recomputes every rule and row from the definitions in docs/network_model.md
(*Network repair*) with plain Python loops over locations and SKUs; it uses nothing of
``hybridinv.network.repair*`` except the result's quantities and reported violations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from hybridinv.network import Network, NetworkCosts, NetworkObservation
from hybridinv.network.repair_model import OrderRules


@dataclass
class Case:
    network: Network
    costs: NetworkCosts
    obs: NetworkObservation
    desired: np.ndarray
    rules: OrderRules
    lot: np.ndarray
    moq: np.ndarray
    max_order: np.ndarray
    demand: np.ndarray  # (stores, n)

    def kwargs(self) -> dict:
        return {"rules": self.rules, "expected_demand": self.demand}


@st.composite
def cases(draw, max_locations: int = 6, max_skus: int = 4, max_qty: int = 30) -> Case:
    n_loc = draw(st.integers(2, max_locations))
    parent = [-1] + [draw(st.integers(-1, i - 1)) for i in range(1, n_loc)]
    if all(p < 0 for p in parent):
        parent[1] = 0
    lead = [draw(st.integers(0, 2)) for _ in range(n_loc)]
    n = draw(st.integers(1, max_skus))
    ints = lambda lo, hi, size: np.array(draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size)), float)  # noqa: E731
    volume = np.array(draw(st.lists(st.sampled_from([0.0, 0.25, 1.0, 2.5]), min_size=n, max_size=n)))
    unit_cost = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, 3.0, 7.5]), min_size=n, max_size=n)))
    on_hand = ints(0, max_qty, n_loc * n).reshape(n_loc, n)
    width = max(lead) + 1
    pipeline = np.zeros((n_loc, n, width))
    if width > 1:
        pipeline[:, :, 1:] = ints(0, max_qty // 3, n_loc * n * (width - 1)).reshape(n_loc, n, width - 1)
    desired = np.array(draw(st.lists(st.sampled_from([-2.0, 0.0, 0.5, 1.0, 3.0, 4.7, 8.0, 15.0, 40.0]),
                                     min_size=n_loc * n, max_size=n_loc * n))).reshape(n_loc, n)
    volume_need = float((np.abs(desired) + on_hand).sum(axis=1).max()) * max(float(volume.max()), 0.25) + 1
    regime = st.sampled_from(["inf", "loose", "tight", "tiny", "over"])
    capacity = []
    for i in range(n_loc):
        kind = draw(regime)
        stock_volume = float((on_hand[i] + pipeline[i].sum(axis=1)) @ volume)
        capacity.append({"inf": math.inf, "loose": volume_need * 3, "tight": stock_volume + volume_need * 0.3,
                         "tiny": stock_volume + 0.6, "over": max(stock_volume * 0.5, 0.1)}[kind])
    budget = draw(st.sampled_from([math.inf, 1.0, 10.0, 60.0, 1e4]))
    net = Network(tuple(f"L{i}" for i in range(n_loc)), parent, lead, capacity, budget)
    backorders = np.zeros((n_loc, n))
    backorders[net.stores] = ints(0, 3, net.n_stores * n).reshape(net.n_stores, n)
    shortage = ints(1, 9, n_loc * n).reshape(n_loc, n)
    holding = np.array(draw(st.lists(st.sampled_from([0.0, 0.1, 1.0]), min_size=n_loc * n,
                                     max_size=n_loc * n))).reshape(n_loc, n)
    costs = NetworkCosts.build(net, n, holding_cost=holding, shortage_cost=shortage, unit_cost=unit_cost,
                               volume=volume)
    lot = ints(1, 4, n)
    moq = lot * np.array(draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 5.0]), min_size=n, max_size=n)))
    max_order = np.maximum(moq, lot) * np.array(draw(st.lists(st.sampled_from([math.inf, 1.0, 3.0]), min_size=n,
                                                                max_size=n)))
    rules = OrderRules.build(n, lot_size=lot, moq=moq, max_order=max_order)
    demand = ints(0, 4, net.n_stores * n).reshape(net.n_stores, n)
    obs = NetworkObservation.of(net, 0, on_hand, pipeline, backorders)
    return Case(net, costs, obs, desired, rules, lot, moq, max_order, demand)


def _below(net: Network, location: int, ancestor: int) -> bool:
    """Whether ``location`` is ``ancestor`` or in its subtree (walking up the parents)."""
    while location >= 0:
        if location == ancestor:
            return True
        location = int(net.parent[location])
    return False


def projected(case: Case) -> np.ndarray:
    """Stock at each location's receipt period, by the documented definition (plain loops)."""
    net, obs = case.network, case.obs
    n_loc, n = obs.on_hand.shape
    out = np.zeros((n_loc, n))
    stores = list(net.stores)
    for i in range(n_loc):
        lead = int(net.lead_time[i])
        for j in range(n):
            if i not in stores:
                # the expected outflow (demand of the stores below) of t+1 .. t+lead-1, served from arrivals
                flow = sum(case.demand[s, j] for s, store in enumerate(stores) if _below(net, store, i))
                arrived = 0.0
                for k in range(lead + 1):
                    if k >= 2:
                        arrived = max(0.0, arrived - flow)
                    arrived += obs.pipeline[i, j, k] if k < obs.pipeline.shape[2] else 0.0
                out[i, j] = obs.on_hand[i, j] + arrived
                continue
            s = stores.index(i)
            if lead == 0:
                out[i, j] = obs.on_hand[i, j] + obs.pipeline[i, j, 0]
                continue
            level = max(0.0, obs.on_hand[i, j] - obs.backorders[i, j] + obs.pipeline[i, j, 0])
            for k in range(1, lead + 1):
                arriving = obs.pipeline[i, j, k] if k < obs.pipeline.shape[2] else 0.0
                level = max(0.0, level - case.demand[s, j]) + arriving
            out[i, j] = level
    return out


def check_plan(case: Case, result) -> None:
    """Every rule and row, recomputed independently; over-full rows must be reported."""
    net, obs = case.network, case.obs
    x = np.asarray(result.quantities)
    n_loc, n = x.shape
    assert x.shape == case.desired.shape
    assert np.isfinite(x).all() and (x >= 0).all() and (x == np.round(x)).all()
    roots = [i for i in range(n_loc) if net.parent[i] < 0]
    for r in roots:
        for j in range(n):
            q = x[r, j]
            assert q % case.lot[j] == 0, (r, j, q)
            if q > 0:
                assert q >= max(case.moq[j], case.lot[j]) - 1e-9 and q <= case.max_order[j] + 1e-9, (r, j, q)
    out = np.zeros((n_loc, n))
    for k in range(n_loc):
        if net.parent[k] >= 0:
            out[net.parent[k]] += x[k]
    assert (out <= obs.on_hand + 1e-9).all(), "shipments above a parent's on-hand"
    spend = sum(x[r, j] * case.costs.unit_cost[j] for r in roots for j in range(n))
    assert spend <= net.budget * (1 + 1e-9) + 1e-9, (spend, net.budget)
    proj = projected(case)
    reported = {v.name for v in result.violations}
    for i in range(n_loc):
        cap = net.capacity[i]
        if not math.isfinite(cap):
            continue
        limit = cap - sum(proj[i, j] * case.costs.volume[j] for j in range(n))
        usage = sum((x[i, j] - out[i, j]) * case.costs.volume[j] for j in range(n))
        tol = 1e-9 * max(1.0, abs(cap))
        assert usage <= max(limit, 0.0) + tol, (i, usage, limit)
        if usage > limit + tol:
            assert f"capacity[{net.names[i]}]" in reported, (i, usage, limit, reported)
    assert result.bound <= result.objective + 1e-9 * max(1.0, abs(result.objective))


def objective(case: Case, x: np.ndarray, result) -> float:
    """Weighted deviation with the result's weights, recomputed."""
    p = result.problem
    d = np.maximum(case.desired, 0.0)
    return float((p.under_weight * np.maximum(d - x, 0) + p.over_weight * np.maximum(x - d, 0)).sum())
