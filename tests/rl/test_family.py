"""The broad training family of the shipped default (rl/family.py)."""

from __future__ import annotations

import numpy as np

from hybridinv.rl.family import BroadFamily


def test_synthetic_episodes_give_the_catalog_the_demand_process_std() -> None:
    # the catalog's demand_std assumed a negative-binomial dispersion of 4 whatever dispersion the process drew,
    # so the policies that read the catalog's std misjudged the noise of the very episodes they trained on
    family = BroadFamily(real=(), registered=(), skus=(5, 20))
    dispersions = set()
    for seed in range(8):
        scenario = family.episode(seed)
        demand = scenario.demand
        dispersions.add(round(float(np.asarray(demand.dispersion).ravel()[0]), 6))
        np.testing.assert_allclose(scenario.catalog.demand_std, demand.base_std(demand.mean), rtol=1e-12)
        np.testing.assert_allclose(scenario.catalog.demand_mean, demand.mean, rtol=1e-12)
    assert len(dispersions) == 8  # a dispersion of its own per episode


def test_episodes_are_reproducible_from_their_seed() -> None:
    family = BroadFamily(real=(), registered=(), skus=(5, 20))
    first, again = family.episode(3), family.episode(3)
    np.testing.assert_array_equal(first.catalog.demand_std, again.catalog.demand_std)
    np.testing.assert_array_equal(first.sample(0).demand.realized, again.sample(0).demand.realized)
