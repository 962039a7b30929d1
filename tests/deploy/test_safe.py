"""IncumbentPenalty: the safe-training penalty, standalone."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import scenarios
from hybridinv.core import PlanningError
from hybridinv.deploy import IncumbentPenalty
from hybridinv.policies import SS
from hybridinv.sim import Simulator


def test_zero_when_agent_matches_incumbent():
    penalty = IncumbentPenalty(weight=2.0)
    targets = (np.array([3.0, 5.0]), np.array([10.0, 20.0]))
    assert penalty(targets, targets) == 0.0


def test_absolute_penalty_hand_computed():
    penalty = IncumbentPenalty(weight=2.0)
    agent = (np.array([4.0, 5.0]), np.array([10.0, 26.0]))
    incumbent = (np.array([3.0, 5.0]), np.array([10.0, 20.0]))
    # deviations / scale: sku0 1/1 + 0/1 = 1, sku1 0/2 + 6/2 = 3; mean 2; weight 2 -> 4
    assert penalty(agent, incumbent, scale=np.array([1.0, 2.0])) == pytest.approx(4.0)


def test_one_scale_for_every_sku_with_several_target_arrays():
    """scale=2.0 with (reorder_point, order_up_to) was a PlanningError blaming the targets' shapes."""
    penalty = IncumbentPenalty(weight=2.0)
    agent = (np.array([4.0, 5.0]), np.array([10.0, 26.0]))
    incumbent = (np.array([3.0, 5.0]), np.array([10.0, 20.0]))
    # deviations / 2: sku0 0.5 + 0 = 0.5, sku1 0 + 3 = 3; mean 1.75; weight 2 -> 3.5
    assert penalty(agent, incumbent, scale=2.0) == pytest.approx(3.5)
    assert penalty(agent, incumbent, scale=2.0) == penalty(agent, incumbent, scale=np.array([2.0, 2.0]))


def test_squared_norm_and_tolerance():
    agent, incumbent = np.array([0.0, 3.0]), np.array([2.0, 3.0])
    assert IncumbentPenalty(norm="squared")(agent, incumbent) == pytest.approx((4.0 + 0.0) / 2)
    assert IncumbentPenalty(tolerance=0.5)(agent, incumbent) == pytest.approx(1.5 / 2)
    assert IncumbentPenalty(tolerance=5)(agent, incumbent) == 0.0


def test_weight_decays_linearly():
    penalty = IncumbentPenalty(weight=1.0, decay_steps=100, final_weight=0.2)
    assert penalty.weight_at(0) == 1.0
    assert penalty.weight_at(50) == pytest.approx(0.6)
    assert penalty.weight_at(1000) == pytest.approx(0.2)
    assert penalty(np.array([1.0]), np.array([0.0]), step=100) == pytest.approx(0.2)


def test_penalty_grows_with_deviation_and_sku_weights():
    penalty = IncumbentPenalty()
    base = np.zeros(3)
    values = [penalty(base + d, base) for d in (0.0, 1.0, 2.0, 4.0)]
    assert values == sorted(values) and values[0] == 0.0
    assert penalty(np.array([1.0, 1.0]), np.zeros(2), sku_weight=np.array([0.0, 2.0])) == pytest.approx(1.0)


def test_against_target_policy_scales_by_lead_time_demand():
    scenario = scenarios.single_sku(mean=5.0, lead_time=2)
    obs = Simulator(scenario).reset(seed=0)
    incumbent = SS(10, 20, repair=None)
    penalty = IncumbentPenalty()
    # scale = forecast over lead time + 1 = 15; deviation (|13 - 10| + |26 - 20|) / 15 = 0.6
    assert penalty.against(incumbent, obs, (np.array([13.0]), np.array([26.0]))) == pytest.approx(0.6)


def test_invalid_arguments():
    with pytest.raises(PlanningError, match="weight"):
        IncumbentPenalty(weight=-1)
    with pytest.raises(PlanningError, match="shapes differ") as err:
        IncumbentPenalty()(np.zeros(2), np.zeros(3))
    assert err.value.column == "targets"
    with pytest.raises(PlanningError, match="must be one of") as info:  # was numpy's bare ValueError
        IncumbentPenalty(norm="cubic")
    assert info.value.column == "norm"


@pytest.mark.parametrize("scale", [None, np.ones(3)])
def test_target_tuples_whose_parts_differ_in_shape_are_a_planning_error(scale) -> None:
    # the finding: (levels of 3 SKUs, caps of 4) on both sides raised numpy's bare broadcast ValueError
    agent, incumbent = (np.ones(3), np.ones(4)), (np.zeros(3), np.zeros(4))
    with pytest.raises(PlanningError, match=r"target array 1 has shape \(4,\), target array 0 \(3,\)") as err:
        IncumbentPenalty(weight=1.0)(agent, incumbent, scale)
    assert err.value.column == "targets"


@pytest.mark.parametrize(("kwargs", "column"), [
    ({"scale": np.array([1.0, 0.0])}, "scale"),
    ({"scale": np.array([1.0, np.nan])}, "scale"),
    ({"scale": -2.0}, "scale"),
    ({"scale": np.ones(3)}, "scale"),
    ({"sku_weight": np.array([1.0, -1.0])}, "sku_weight"),
    ({"sku_weight": np.array([np.inf, 1.0])}, "sku_weight"),
    ({"sku_weight": np.ones((2, 2))}, "sku_weight"),
])
def test_penalty_refuses_bad_scales_and_weights(kwargs, column):
    # a zero scale was floored at 1e-12 (a penalty of ~1e12), a negative weight rewarded deviation
    with pytest.raises(PlanningError) as err:
        IncumbentPenalty().deviation(np.array([3.0, 4.0]), np.array([1.0, 1.0]), **kwargs)
    assert err.value.column == column


@pytest.mark.parametrize(("agent", "incumbent"), [
    (np.array([1.0, np.nan]), np.array([1.0, 1.0])),
    (np.array([1.0, 2.0]), np.array([1.0, np.inf])),
    (np.zeros(0), np.zeros(0)),
    (1.0, 0.0),  # one number: documented as one value per SKU, it was taken as one SKU
    ((np.ones(2), 1.0), (np.ones(2), 0.0)),
    (np.ones(2), np.ones(3)),
    (("a", "b"), np.ones(2)),
    ((), ()),
])
def test_penalty_refuses_bad_targets(agent, incumbent):
    with pytest.raises(PlanningError) as err:
        IncumbentPenalty().deviation(agent, incumbent)
    assert err.value.column == "targets"


@pytest.mark.parametrize("steps", [np.nan, 0, 2.5, True, "10"])
def test_decay_steps_must_be_a_whole_number_of_at_least_one(steps):
    with pytest.raises(PlanningError) as err:
        IncumbentPenalty(decay_steps=steps)
    assert err.value.column == "decay_steps"


def test_scale_and_weight_per_sku_are_applied():
    penalty = IncumbentPenalty(norm="absolute")
    deviation = penalty.deviation(np.array([4.0, 10.0]), np.array([2.0, 4.0]), scale=np.array([2.0, 3.0]),
                                  sku_weight=np.array([1.0, 0.5]))
    assert deviation.tolist() == [1.0, 1.0]  # |4-2|/2 * 1 and |10-4|/3 * 0.5


def test_a_list_of_target_arrays_counts_like_a_tuple_and_a_2d_target_is_refused():
    # the finding: [a, a] was read as one (2, n) target: half the penalty of (a, a), and a per-SKU scale
    # was refused as "must be one number or one per SKU (2, 3)"
    penalty = IncumbentPenalty()
    a, b = np.array([1.0, 2.0, 3.0]), np.zeros(3)
    assert penalty([a, a], [b, b]) == penalty((a, a), (b, b)) == pytest.approx(4.0)
    assert penalty([a, a], (b, b), scale=np.ones(3)) == pytest.approx(4.0)
    assert penalty.deviation([a, a], [b, b]).shape == (3,)
    assert penalty([1.0, 2.0, 3.0], [0.0, 0.0, 0.0]) == pytest.approx(2.0)  # a list of numbers is one target
    with pytest.raises(PlanningError, match=r"shape \(2, 3\): each target array holds one value per SKU") as err:
        penalty(np.vstack([a, a]), np.vstack([b, b]))
    assert err.value.column == "targets"
