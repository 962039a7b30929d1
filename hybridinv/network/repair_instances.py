"""Seeded network repair instances (benchmarks and tests): a warehouse feeding stores, rows binding.

:func:`network_instance` draws one period of a one-warehouse network whose targets come from
an echelon base-stock policy (levels at a few periods of mean demand), with the warehouse
short of stock for part of the SKUs, and every limit at ``tightness`` times what the targets
need: each store's capacity, the warehouse capacity and the budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hybridinv.network.model import Network
from hybridinv.network.repair_model import OrderRules
from hybridinv.network.state import NetworkCosts, NetworkObservation

__all__ = ["NetworkInstance", "network_instance"]


@dataclass(frozen=True, eq=False)
class NetworkInstance:
    """Everything :func:`~hybridinv.network.repair.repair_network` needs for one period."""

    network: Network
    costs: NetworkCosts
    observation: NetworkObservation
    desired: NDArray[np.float64]
    rules: OrderRules
    expected_demand: NDArray[np.float64]


def network_instance(n_stores: int, n_skus: int, seed: int, tightness: float = 0.7,
                     moq_share: float = 0.5, warehouse_lead_time: int = 2, store_lead_time: int = 1) -> NetworkInstance:
    """One warehouse and ``n_stores`` stores, ``n_skus`` SKUs, capacities and budget at ``tightness``.

    Store means ``U(0.2, 4)`` per SKU; store levels 3 means, warehouse echelon level
    ``(warehouse lead + 3) ×`` the network mean; on-hand and pipelines at random fractions of
    the levels; lot sizes 1–6, a MOQ of 1–4 lots on ``moq_share`` of the SKUs, volumes
    ``U(0.1, 2)``, unit costs ``U(1, 20)``. Targets are the echelon base-stock wanted units.
    """
    rng = np.random.default_rng(seed)
    n = int(n_skus)
    mean = rng.uniform(0.2, 4.0, (n_stores, n))
    volume = rng.uniform(0.1, 2.0, n)
    unit_cost = rng.uniform(1.0, 20.0, n)
    lot = rng.integers(1, 7, n).astype(float)
    moq = np.where(rng.random(n) < moq_share, lot * rng.integers(1, 5, n), 0.0)
    store_level = np.ceil(3.0 * mean)
    total = mean.sum(axis=0)
    wh_level = np.ceil((warehouse_lead_time + 3.0) * total) + store_level.sum(axis=0)
    store_on_hand = np.floor(store_level * rng.uniform(0.0, 0.8, (n_stores, n)))
    store_pipe = np.floor(store_level * rng.uniform(0.0, 0.3, (n_stores, n)))
    wh_on_hand = np.floor(total * rng.uniform(0.5, 3.0, n))  # often short of the stores' wants
    wh_pipe = np.floor(total[:, None] * rng.uniform(0.0, 1.0, (n, warehouse_lead_time)))
    width = max(warehouse_lead_time, store_lead_time) + 1
    pipeline = np.zeros((n_stores + 1, n, width))
    pipeline[0, :, 1 : warehouse_lead_time + 1] = wh_pipe
    if store_lead_time >= 1:
        pipeline[1:, :, store_lead_time] = store_pipe
    on_hand = np.vstack([wh_on_hand, store_on_hand])
    base = Network.one_warehouse(n_stores, warehouse_lead_time, store_lead_time)
    obs = NetworkObservation.of(base, 0, on_hand, pipeline, np.zeros_like(on_hand))
    levels = np.vstack([wh_level, store_level])
    desired = np.maximum(np.ceil(levels - obs.echelon_position - 1e-9), 0.0)
    # limits at `tightness` x what the targets need at each receipt period
    store_need = ((store_on_hand + store_pipe + desired[1:]) * volume).sum(axis=1)
    wh_need = ((wh_on_hand + wh_pipe.sum(axis=1) + desired[0]) * volume).sum()
    spend = float((desired[0] * unit_cost).sum())
    net = Network.one_warehouse(n_stores, warehouse_lead_time, store_lead_time,
                                warehouse_capacity=max(tightness * wh_need, 1.0),
                                store_capacity=np.maximum(tightness * store_need, 1.0),
                                budget=max(tightness * spend, 1.0) if math.isfinite(tightness) else math.inf)
    holding = np.vstack([0.5 * unit_cost / 52, np.tile(unit_cost / 52, (n_stores, 1))])
    costs = NetworkCosts.build(net, n, holding_cost=holding, shortage_cost=0.5 * unit_cost, unit_cost=unit_cost,
                               volume=volume)
    observation = NetworkObservation.of(net, 0, on_hand, pipeline, np.zeros_like(on_hand))
    rules = OrderRules.build(n, lot_size=lot, moq=moq)
    return NetworkInstance(net, costs, observation, desired, rules, mean)
