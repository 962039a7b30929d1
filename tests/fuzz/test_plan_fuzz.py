"""Fuzz ``hybridinv.plan()`` with every registered policy; judge its orders with the independent checker."""

from __future__ import annotations

import warnings
from contextlib import suppress
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st

from hybridinv import ConstraintViolationWarning, PlanningError, plan
from hybridinv.policies import registry

from .checker import check_certificate, check_order_rules, check_rows
from .strategies import MODES, Instance, instances, run

#: Pure-RL policies: their shipped SB3 models take exactly 50 SKUs and need torch.
PURE_RL = ("ppo", "sac")
#: Target policies that take ``repair=None`` (orders only rounded up, no repair layer).
UNREPAIRED = ("base_stock", "ss", "rq", "capped_base_stock", "forecast_capped_base_stock", "newsvendor",
              "dynamic_ss", "hybrid")
#: Examples per policy in the default run.
EXAMPLES = {"mpc": 20, "dynamic_ss": 20, "ppo": 8, "sac": 8}


@cache
def _pure_rl(name: str) -> Any:
    return registry.make(name)  # loads the shipped model once (torch)


def _orders(frame: pd.DataFrame, inst: Instance) -> np.ndarray:
    assert len(frame) == inst.n and sorted(frame["sku"]) == sorted(inst.sku)
    assert pd.api.types.is_integer_dtype(frame["order_qty"]), frame["order_qty"].dtype
    return frame.set_index("sku").loc[inst.sku, "order_qty"].to_numpy()


def check_plan(inst: Instance, policy: Any, **options: Any) -> None:
    """Plan ``inst`` and check every returned order, the reported violations and the certificate."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = plan(**inst.plan_args(), policy=policy, **options)
    orders = _orders(frame, inst)
    check_order_rules(inst, orders)
    diagnostics = frame.attrs["diagnostics"]
    reported = {v["name"]: v["amount"] for v in diagnostics["violations"]}
    check_rows(inst, orders, reported)
    if "repair" in diagnostics:  # the repair's own report agrees
        check_rows(inst, orders, {v["name"]: v["amount"] for v in diagnostics["repair"]["violations"]})
    if reported:
        assert any(issubclass(w.category, ConstraintViolationWarning) for w in caught), "violations but no warning"
        assert diagnostics["warnings"], "violations but diagnostics['warnings'] is empty"
    if "repair" in diagnostics:
        check_certificate(diagnostics["objective"], diagnostics["bound"], diagnostics["gap"])


def _policy_params() -> list[Any]:
    return sorted(registry.FACTORIES)


def test_every_registered_policy_is_fuzzed() -> None:
    assert "hybrid" in registry.FACTORIES
    assert {p if isinstance(p, str) else p.values[0] for p in _policy_params()} == set(registry.FACTORIES)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", _policy_params())
def test_plan_orders_obey_every_rule(policy: str, mode: str) -> None:
    if policy in PURE_RL:
        model = _pure_rl(policy)
        strategy = instances(min_skus=50, max_skus=50)
        run(mode, EXAMPLES[policy], strategy, lambda inst: check_plan(inst, model))
        return
    run(mode, EXAMPLES.get(policy, 30), instances(), lambda inst: check_plan(inst, policy))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", UNREPAIRED)
def test_plan_without_the_repair_still_obeys_every_rule(policy: str, mode: str) -> None:
    run(mode, 15, instances(), lambda inst: check_plan(inst, policy, repair=None))


class _Raw:
    """A user policy returning whatever it is given (the finding: ``[-5, 2.7, nan]`` came back unrepaired)."""

    name = "raw"

    def __init__(self, orders: np.ndarray) -> None:
        self.orders = orders

    def act(self, obs: Any) -> np.ndarray:
        return self.orders


_RAW_VALUES = st.one_of(
    st.floats(-10.0, 1e4, allow_nan=False),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 2.7, -5.0, 1e30, 9.3e18]),
)


@st.composite
def _raw_cases(draw: st.DrawFn) -> tuple[Instance, np.ndarray]:
    inst = draw(instances())
    return inst, np.array(draw(st.lists(_RAW_VALUES, min_size=inst.n, max_size=inst.n)))


@pytest.mark.parametrize("mode", MODES)
def test_plan_repairs_or_refuses_raw_user_orders(mode: str) -> None:
    def check(case: tuple[Instance, np.ndarray]) -> None:
        inst, raw = case
        with suppress(PlanningError):  # refusing is allowed; returning broken orders is not
            check_plan(inst, _Raw(raw))

    run(mode, 30, _raw_cases(), check)
