"""Fuzz ``repair_orders`` with every backend; judge the plans with the independent checker."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import strategies as st

from hybridinv import Catalog, Constraints, ConstraintViolationWarning, InventoryState, SolverFallbackWarning
from hybridinv.repair import RepairResult, repair_orders

from .checker import brute_force, check_certificate, check_order_rules, check_rows, deviation
from .strategies import MODES, Instance, repair_cases, run

BACKENDS = ["fast", "auto", "highs", "pulp"]
#: Examples per backend in the default run (the slow run takes 20x as many, at least 2,000).
EXAMPLES = {"fast": 120, "auto": 50, "highs": 40, "pulp": 20}


def _repair(inst: Instance, desired: np.ndarray, backend: str, **options: object) -> RepairResult:
    catalog = Catalog.from_frame(inst.catalog_frame())
    state = InventoryState.from_frame(inst.state_frame(), catalog=catalog)
    constraints = Constraints(**inst.constraints())
    demand = None if inst.forecast is None else inst.demand(int(inst.lead_time.max()) + 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = repair_orders(desired, catalog, state, constraints, backend=backend, expected_demand=demand, **options)
    violated = [w for w in caught if issubclass(w.category, ConstraintViolationWarning)]
    assert bool(violated) == bool(result.diagnostics.violations), "a violation warning iff violations are reported"
    fallbacks = [str(w.message) for w in caught if issubclass(w.category, SolverFallbackWarning)]
    assert not fallbacks and result.diagnostics.fallback_reason is None, fallbacks
    return result


def _check(inst: Instance, desired: np.ndarray, result: RepairResult) -> None:
    check_order_rules(inst, result.orders)
    reported = {v.name: v.amount for v in result.diagnostics.violations}
    check_rows(inst, result.orders, reported)
    assert result.diagnostics.feasible == (not reported)
    assert result.objective == pytest.approx(deviation(inst, desired, result.orders), rel=1e-9, abs=1e-12)
    check_certificate(result.objective, result.bound, result.gap)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_repair_plans_obey_every_rule(backend: str, mode: str) -> None:
    def check(drawn: tuple[tuple[Instance, np.ndarray], float]) -> None:
        (inst, desired), tolerance = drawn
        _check(inst, desired, _repair(inst, desired, backend, gap_tolerance=tolerance))

    # gap_tolerance 0 makes auto polish with HiGHS whenever the fast plan is not proven optimal
    run(mode, EXAMPLES[backend], st.tuples(repair_cases(max_skus=12), st.sampled_from([0.005, 0.0, 0.05])), check)


@pytest.mark.parametrize("mode", MODES)
def test_fast_path_on_wide_catalogs(mode: str) -> None:
    def check(case: tuple[Instance, np.ndarray]) -> None:
        inst, desired = case
        _check(inst, desired, _repair(inst, desired, "fast"))

    run(mode, 25, repair_cases(min_skus=30, max_skus=150), check)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_certificates_hold_against_brute_force(backend: str, mode: str) -> None:
    exact = backend in ("highs", "pulp")

    def check(case: tuple[Instance, np.ndarray]) -> None:
        inst, desired = case
        optimum = brute_force(inst, desired)
        result = _repair(inst, desired, backend, gap_tolerance=0.0)
        _check(inst, desired, result)
        check_certificate(result.objective, result.bound, result.gap, optimum)
        if exact:  # abs: the MILP solvers' own absolute gap (1e-6) is the size of the tie-break weights
            assert result.objective <= optimum[1] + 1e-5 * max(1.0, optimum[1]), (result.objective, optimum)
        assert math.isfinite(optimum[1])  # zero orders are always a plan

    run(mode, {"fast": 40, "auto": 25, "highs": 25, "pulp": 12}[backend], repair_cases(small=True), check)
