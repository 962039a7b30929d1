"""network_instance: seeded, whole targets, and its budget and store capacities bind for the targets."""

from __future__ import annotations

import numpy as np

from hybridinv.network.repair_instances import network_instance


def test_instances_are_seeded_and_their_limits_bind():
    first, again = network_instance(3, 40, seed=7), network_instance(3, 40, seed=7)
    np.testing.assert_array_equal(first.desired, again.desired)
    inst = first
    assert (inst.desired == np.round(inst.desired)).all() and (inst.desired >= 0).all()
    net, costs = inst.network, inst.costs
    spend = float(inst.desired[0] @ costs.unit_cost)
    assert net.budget < spend  # the targets cost more than the budget (70 %)
    obs = inst.observation
    need = ((obs.on_hand + obs.pipeline.sum(axis=2) + inst.desired) * costs.volume).sum(axis=1)
    assert (net.capacity < need).all()  # every location's targets need more room than it has
    assert ((inst.rules.moq == 0) | (inst.rules.moq % inst.rules.lot_size == 0)).all()
