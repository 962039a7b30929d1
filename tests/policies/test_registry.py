"""The policy registry (hybridinv/policies/registry.py): a misspelt name points to the one meant."""

from __future__ import annotations

import pytest

import hybridinv
from hybridinv import PlanningError, scenarios
from hybridinv.examples import example_frames
from hybridinv.policies import registry


def _refused(call: object) -> PlanningError:
    with pytest.raises(PlanningError) as info:
        call()  # type: ignore[operator]
    return info.value


@pytest.mark.parametrize(("name", "meant"), [("base_stok", "base_stock"), ("newsvendr", "newsvendor"),
                                             ("hybird", "hybrid")])
def test_a_misspelt_policy_name_suggests_the_one_meant(name: str, meant: str) -> None:
    # the finding: registry.make, plan(policy=...) and simulate("hybird", ...) listed every name, none pointed out
    catalog, state = example_frames()
    scenario = scenarios.single_sku(periods=20)
    for call in (lambda: registry.make(name, None), lambda: hybridinv.plan(state, catalog, policy=name),
                 lambda: hybridinv.simulate(name, scenario, seeds=1)):
        error = _refused(call)
        assert (error.column, error.value) == ("policy", name)
        assert f"unknown policy (did you mean {meant!r}?); known: " in str(error)
        assert "'capped_base_stock'" in str(error) and "'mpc'" in str(error)  # the full list stays


def test_a_name_near_none_lists_the_known_ones_only() -> None:
    error = _refused(lambda: registry.make("magic", None))
    assert "unknown policy; known: ['base_stock'" in str(error)
