"""Solver faults are visible: a missing or failing solver falls back to the fast plan, warns and says why."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pulp
import pytest

from hybridinv import ConstraintViolationWarning, SolverFallbackWarning
from hybridinv.repair import highs, repair_orders

from ._cases import assert_rules, make_case, rows_ok

# the fast path's certified gap on this case is positive, so ``auto`` always polishes with HiGHS
CASE = make_case([7.0, 7.0], moq=[6, 6], lot_size=[3, 1], volume=[1.0, 1.0], capacity=11.0, shortage_cost=[4.0, 6.0])


class _FailingSolver(pulp.LpSolver):  # type: ignore[misc,name-defined]
    """A custom PuLP solver that breaks while solving (as a buggy plug-in would)."""

    def available(self) -> bool:
        return True

    def actualSolve(self, lp: Any, **kwargs: Any) -> int:  # noqa: N802 - PuLP's name
        raise RuntimeError("licence server went away")


def _broken_highs(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("HiGHS crashed")


def _repair(**kwargs: Any) -> tuple[Any, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = repair_orders(*CASE.args, **kwargs)
    return result, [w for w in caught if issubclass(w.category, SolverFallbackWarning)]


def _assert_fast_plan(result: Any) -> None:
    fast = repair_orders(*CASE.args, backend="fast")
    np.testing.assert_array_equal(result.orders, fast.orders)
    assert_rules(CASE, result.orders)
    assert rows_ok(CASE, result.orders)
    assert result.bound <= result.objective + 1e-9
    assert result.diagnostics.status == "fallback"


def test_uninstalled_pulp_solver_warns_and_records_the_fallback() -> None:
    solver = pulp.GUROBI_CMD(msg=False)
    assert not solver.available()  # the finding needs a solver that is not installed here
    result, fallbacks = _repair(backend="pulp", solver=solver)
    _assert_fast_plan(result)
    assert result.diagnostics.backend == "pulp->fast"
    reason = result.diagnostics.fallback_reason
    assert reason is not None and "GUROBI_CMD" in reason and "not available" in reason
    assert len(fallbacks) == 1 and reason in str(fallbacks[0].message)
    assert result.diagnostics.to_dict()["fallback_reason"] == reason


def test_exception_in_a_custom_pulp_solver_falls_back_to_the_fast_plan() -> None:
    result, fallbacks = _repair(backend="pulp", solver=_FailingSolver(msg=False))
    _assert_fast_plan(result)
    reason = result.diagnostics.fallback_reason
    assert reason is not None and "RuntimeError" in reason and "licence server went away" in reason
    assert len(fallbacks) == 1


def test_exception_in_the_highs_polish_of_auto_falls_back_to_the_fast_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(highs, "solve_highs", _broken_highs)
    result, fallbacks = _repair(backend="auto", gap_tolerance=0.0)
    _assert_fast_plan(result)
    assert result.diagnostics.backend == "fast"
    reason = result.diagnostics.fallback_reason
    assert reason is not None and "HiGHS crashed" in reason
    assert len(fallbacks) == 1


def test_exception_in_the_highs_backend_falls_back_to_the_fast_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(highs, "solve_highs", _broken_highs)
    result, fallbacks = _repair(backend="highs")
    _assert_fast_plan(result)
    assert result.diagnostics.backend == "highs->fast"
    assert "HiGHS crashed" in (result.diagnostics.fallback_reason or "")
    assert len(fallbacks) == 1


def test_no_plan_within_the_limits_is_recorded_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(highs, "solve_highs", lambda *a, **k: None)
    result, fallbacks = _repair(backend="highs")
    _assert_fast_plan(result)
    assert "no feasible plan" in (result.diagnostics.fallback_reason or "")
    assert len(fallbacks) == 1


@pytest.mark.parametrize("backend", ["fast", "auto", "highs", "pulp"])
def test_a_healthy_solve_has_no_fallback(backend: str) -> None:
    result, fallbacks = _repair(backend=backend)
    assert result.diagnostics.fallback_reason is None
    assert result.diagnostics.status != "fallback"
    assert not fallbacks


def test_fallback_warning_is_not_a_constraint_violation_warning() -> None:
    assert not issubclass(SolverFallbackWarning, ConstraintViolationWarning)
    assert issubclass(SolverFallbackWarning, UserWarning)


@pytest.mark.parametrize("site", ["milp_arrays", "load_model", "new_highs", "lp_relaxation_prices"])
@pytest.mark.parametrize("backend", ["highs", "auto"])
def test_faults_injected_anywhere_in_the_highs_backend_never_propagate(
    site: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def boom(*args: Any, **kwargs: Any) -> None:
        calls.append(site)
        raise MemoryError(f"injected in {site}")

    monkeypatch.setattr(highs, site, boom)
    result, fallbacks = _repair(backend=backend, gap_tolerance=0.0)
    if not calls:  # the auto polish skips the LP relaxation prices
        assert (backend, site) == ("auto", "lp_relaxation_prices")
        assert result.diagnostics.fallback_reason is None and not fallbacks
        return
    _assert_fast_plan(result)
    assert f"injected in {site}" in (result.diagnostics.fallback_reason or "")
    assert len(fallbacks) == 1


@pytest.mark.parametrize("method", ["available", "actualSolve"])
def test_faults_injected_in_a_pulp_solver_never_propagate(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise OSError(f"injected in {method}")

    solver = _FailingSolver()
    monkeypatch.setattr(solver, method, boom)
    result, fallbacks = _repair(backend="pulp", solver=solver)
    _assert_fast_plan(result)
    assert f"injected in {method}" in (result.diagnostics.fallback_reason or "")
    assert len(fallbacks) == 1


def test_plan_reports_a_solver_fallback_in_its_diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from hybridinv import plan

    monkeypatch.setattr(highs, "solve_highs", _broken_highs)
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 9.0,
                            "lead_time": 0, "moq": [6, 6], "lot_size": [3, 1], "demand_mean": 7.0})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0, 0]})
    with pytest.warns(SolverFallbackWarning, match="HiGHS crashed"):
        frame = plan(state, catalog, {"capacity": 11.0}, policy="base_stock", repair="highs")
    repair = frame.attrs["diagnostics"]["repair"]
    assert repair["status"] == "fallback" and repair["backend"] == "highs->fast"
    assert "HiGHS crashed" in repair["fallback_reason"]
    assert any("HiGHS crashed" in w for w in frame.attrs["diagnostics"]["warnings"])  # every message of the call
    orders = frame["order_qty"].to_numpy()
    assert orders.sum() <= 11 and all(q == 0 or q >= 6 for q in orders)
