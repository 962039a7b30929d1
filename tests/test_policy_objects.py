"""Every entry point that takes a policy object refuses a policy *class* with a PlanningError saying to pass an
instance. The finding: ``simulate(BaseStock, ...)`` (and the Monitor, GuardedPolicy, shadow_replay,
simulate_network, plan_network) accepted the class, whose ``act`` exists, and failed at the first decision with
"act_batch() missing 1 required positional argument: 'obs'"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hybridinv import PlanningError, scenarios, simulate
from hybridinv.deploy.guardrails import GuardedPolicy, Guardrails
from hybridinv.deploy.monitor import Monitor
from hybridinv.deploy.shadow import shadow_replay
from hybridinv.network import EchelonBaseStock, plan_network
from hybridinv.network.runner import simulate_network
from hybridinv.network.scenarios import get as network_scenario
from hybridinv.policies import BaseStock
from tests.network._plan_cases import small_frames


def _plan_network(policy: object) -> object:
    frames = small_frames()
    return plan_network(frames["locations"], frames["state"], frames["catalog"], forecast=frames.get("forecast"),
                        policy=policy)  # type: ignore[arg-type]


CALLS: dict[str, tuple[str, Callable[[object], object]]] = {
    "simulate": ("policy", lambda p: simulate(p, scenarios.get("multi_10"), seeds=1, periods=6)),  # type: ignore[arg-type]
    "Monitor primary": ("primary", lambda p: Monitor(p, None)),
    "Monitor fallback": ("fallback", lambda p: Monitor(None, p)),
    "GuardedPolicy policy": ("policy", lambda p: GuardedPolicy(p, Guardrails())),  # type: ignore[arg-type]
    "GuardedPolicy incumbent": ("incumbent", lambda p: GuardedPolicy(BaseStock(5), Guardrails(), p)),  # type: ignore[arg-type]
    "shadow_replay recommended": ("recommended", lambda p: shadow_replay(scenarios.get("multi_10"), p, BaseStock(5))),
    "shadow_replay incumbent": ("incumbent", lambda p: shadow_replay(scenarios.get("multi_10"), BaseStock(5), p)),
    "simulate_network": ("policy", lambda p: simulate_network(p, network_scenario("serial_3"), seeds=1)),  # type: ignore[arg-type]
    "plan_network": ("policy", _plan_network),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_policy_class_is_refused_with_the_hint_to_pass_an_instance(call: str) -> None:
    column, run = CALLS[call]
    cls = EchelonBaseStock if "network" in call else BaseStock
    with pytest.raises(PlanningError, match=rf"is the class {cls.__name__}; pass an instance") as err:
        run(cls)
    assert err.value.column == column and err.value.value == cls.__name__


@pytest.mark.parametrize("call", sorted(set(CALLS) - {"shadow_replay incumbent"}))  # an incumbent may be orders
def test_an_object_without_act_is_refused_naming_its_type(call: str) -> None:
    column, run = CALLS[call]
    with pytest.raises(PlanningError) as err:
        run(3.5)
    assert err.value.column == column and err.value.value == "float"
