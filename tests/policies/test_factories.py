"""Tests for hybridinv.policies.factories: every classical registry name runs everywhere."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from hybridinv import scenarios
from hybridinv.core.errors import ConstraintViolationWarning, PlanningError
from hybridinv.policies import factories
from hybridinv.policies.registry import FACTORIES, make
from hybridinv.sim.runner import simulate
from tests.conftest import scenario_or_skip

CLASSICAL = ["base_stock", "ss", "rq", "capped_base_stock", "newsvendor", "dynamic_ss", "mpc"]


def test_every_classical_registry_name_has_a_factory() -> None:
    for name in CLASSICAL:
        module, _, attr = FACTORIES[name].partition(":")
        assert module == "hybridinv.policies.factories"
        assert callable(getattr(factories, attr))


@pytest.mark.parametrize("scenario_name", scenarios.names())
@pytest.mark.parametrize("policy_name", CLASSICAL)
def test_factory_policies_run_without_violations(policy_name: str, scenario_name: str) -> None:
    scenario = scenario_or_skip(scenario_name)
    periods = 2 if scenario.n_skus >= 1000 else 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        policy = make(policy_name, scenario)
        result = simulate(policy, scenario, seeds=[0], periods=periods)
    assert result.loc[0, "violations"] == 0
    assert np.isfinite(result.loc[0, "avg_cost"])


@pytest.mark.parametrize("policy_name", CLASSICAL)
def test_factories_without_scenario_fit_on_first_observation(policy_name: str) -> None:
    scenario = scenarios.get("multi_10")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        lazy = simulate(make(policy_name), scenario, seeds=[1], periods=6)
    assert lazy.loc[0, "violations"] == 0
    assert lazy.loc[0, "fill_rate"] > 0.3


def test_lazy_fit_reads_the_catalog_statistics() -> None:
    # single_sku's catalog says mean 6, std sqrt(6); the lazy fit uses the normal approximation of those
    scenario = scenarios.single_sku(mean=6.0, lead_time=2)
    lazy = make("base_stock")
    simulate(lazy, scenario, seeds=[2], periods=5)
    expected = np.ceil(18.0 + stats.norm.ppf(0.9) * np.sqrt(6.0 * 3.0))
    assert lazy.policy_.level.tolist() == [expected]
    fitted = simulate(make("base_stock", scenario), scenario, seeds=[2], periods=300).loc[0, "avg_cost"]
    lazy_cost = simulate(lazy, scenario, seeds=[2], periods=300).loc[0, "avg_cost"]
    assert lazy_cost == pytest.approx(fitted, rel=0.15)


def test_explicit_parameters_and_unknown_options() -> None:
    assert make("base_stock", level=7.0).level == 7.0
    policy = make("ss", s=3.0, S=9.0)
    assert (policy.s, policy.S) == (3.0, 9.0)
    with pytest.raises(PlanningError, match="reorder_pont"):  # a misspelled option, named
        make("rq", scenarios.single_sku(), reorder_pont=3.0)


@pytest.mark.parametrize(("name", "options", "column"), [
    ("ss", {"s": 3.0}, "s"),
    ("ss", {"S": 50.0}, "S"),
    ("ss", {"s": 3.0, "S": 9.0, "service_level": 0.9}, "service_level"),
    ("base_stock", {"level": 10.0, "service_level": 0.5}, "service_level"),
    ("base_stock", {"level": 10.0, "safety_factor": 3.0}, "safety_factor"),
])
def test_options_the_factory_would_drop_are_refused(name: str, options: dict, column: str) -> None:
    """make("ss", sc, s=3) fitted both levels (s=19); fit options beside given levels were dropped."""
    with pytest.raises(PlanningError) as info:
        make(name, scenarios.single_sku(mean=5.0, lead_time=2), **options)
    assert info.value.column == column
