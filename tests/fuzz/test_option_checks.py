"""Options of policies, forecasters, the twin, the monitor and the backtest rule: a bad value is refused where it
is given, with a PlanningError naming the option (before, each of these was accepted and failed later, or
never: a NaN safety factor planned NaN levels, a negative MPC time limit reached HiGHS)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from hybridinv.backtest.setup import ConstraintRule
from hybridinv.core.errors import PlanningError
from hybridinv.demand.forecasters import Forecaster
from hybridinv.deploy.monitor import MonitorThresholds
from hybridinv.policies.forecast_ss import ForecastSS
from hybridinv.policies.mpc import MPC
from hybridinv.policies.rq import ForecastCappedBaseStock
from hybridinv.twin.twin import DigitalTwin

NAN = float("nan")

BAD: list[tuple[Callable[..., Any], str, object]] = [
    (ForecastSS, "safety_factor", NAN),
    (ForecastSS, "safety_factor", "1"),
    (ForecastCappedBaseStock, "safety_factor", NAN),
    (ForecastCappedBaseStock, "safety_factor", np.array([0.5, math.inf])),
    (ForecastCappedBaseStock, "cap_factor", 0.0),
    (ForecastCappedBaseStock, "cap_factor", np.array([1.0, -1.0])),
    (ForecastCappedBaseStock, "cap_std", -1.0),
    (ForecastCappedBaseStock, "cap_std", np.array([1.0, 2.0])),
    (ForecastCappedBaseStock, "capacity_price", NAN),
    (MPC, "horizon", 0),
    (MPC, "safety_factor", -1.0),
    (MPC, "safety_penalty", NAN),
    (MPC, "purchase_cost_weight", -0.5),
    (MPC, "time_limit", 0.0),
    (MPC, "time_limit", -1.0),
    (MPC, "mip_rel_gap", 1.0),
    (MPC, "node_limit", 0),
    (MPC, "node_limit", 2.5),
    (MPC, "integer_periods", 1.5),
    (Forecaster, "season", 0),
    (Forecaster, "season", 12.5),
    (Forecaster, "holdout", 1.5),
    (Forecaster, "error_weight", 0.0),
    (Forecaster, "warmup", -1),
    (Forecaster, "methods", ("ses", "prophet")),
    (DigitalTwin, "period", "fortnight"),
    (DigitalTwin, "holdout", NAN),
    (DigitalTwin, "alpha", 1.0),
    (DigitalTwin, "censoring", "drop"),
    (DigitalTwin, "level_window", 0),
    (MonitorThresholds, "window", 2.5),
    (MonitorThresholds, "min_fill_rate", 1.5),
    (MonitorThresholds, "max_cost_ratio", NAN),
    (MonitorThresholds, "min_inventory_turns", -1.0),
    (MonitorThresholds, "recovery_periods", 0),
    (ConstraintRule, "window", NAN),
    (ConstraintRule, "capacity_factor", NAN),
]


@pytest.mark.parametrize(("make", "option", "value"), BAD, ids=[f"{m.__name__}-{o}-{v!r}" for m, o, v in BAD])
def test_a_bad_option_is_refused_naming_it(make: Callable[..., Any], option: str, value: object) -> None:
    with pytest.raises(PlanningError) as info:
        make(**{option: value})
    assert info.value.column == option


def test_the_values_the_benchmarks_and_model_files_use_still_pass() -> None:
    capped = ForecastCappedBaseStock(safety_factor=-0.5, cap_factor=np.array([1.2, 2.0]), capacity_price=5)
    assert capped.safety_factor == -0.5 and capped.capacity_price == 5.0
    assert ForecastCappedBaseStock.from_options(capped.options()).options() == capped.options()
    assert ForecastSS(safety_factor=-0.2).safety_factor == -0.2
    assert MPC(integer_periods=0, safety_factor=0.0, purchase_cost_weight=0.0).integer_periods == 0
    assert Forecaster(season=None, methods=("ses", "tsb")).season is None
    assert ConstraintRule(capacity_factor=math.inf).capacity_factor == math.inf  # inf: no limit
    assert MonitorThresholds(min_fill_rate=None, max_cost_ratio=None).window == 8
    assert DigitalTwin(period="month", level_window=24).level_window == 24


def _more() -> list[tuple[Callable[..., Any], str, object]]:
    from hybridinv.demand.leadtime import Disruptions
    from hybridinv.demand.processes import CommonFactor, Promotions, RegimeShifts
    from hybridinv.policies.dynamic import DynamicSS
    from hybridinv.policies.forecast_ss import ForecastSS
    from hybridinv.policies.newsvendor import Newsvendor
    from hybridinv.policies.rq import RQ, CappedBaseStock
    from hybridinv.rl.objective import TrainingObjective

    return [
        (DynamicSS, "safety_factor", NAN), (DynamicSS, "resolution", 0.0), (DynamicSS, "method", "optimal"),
        (Newsvendor, "review_period", 0), (Newsvendor, "safety_factor", np.array([1.0, NAN])),
        (Newsvendor, "service_level", 1.0),
        (RQ, "safety_factor", NAN), (RQ, "batch_size", np.array([4.0, 0.0])), (RQ, "reorder_point", "5"),
        (CappedBaseStock, "cap_factor", NAN), (CappedBaseStock, "safety_factor", math.inf),
        (CappedBaseStock, "level", np.array([3.0, NAN])), (CappedBaseStock, "cap", -1.0),
        (Promotions, "promotions.probability", NAN), (Promotions, "promotions.lift", -1.0),
        (Promotions, "promotions.duration", 1.5), (Promotions, "promotions.duration", 0),
        (RegimeShifts, "regime_shifts.probability", 2.0), (RegimeShifts, "regime_shifts.low", 0.0),
        (RegimeShifts, "regime_shifts.high", 0.5),  # below the default low 0.6
        (CommonFactor, "common_factor.sigma", NAN), (CommonFactor, "common_factor.rho", 1.5),
        (Disruptions, "disruptions.mean_duration", NAN), (Disruptions, "disruptions.extra_delay", -1),
        (TrainingObjective, "scale", NAN),
        # bounds found 2026-12-06: each built and failed later with numpy's error (a 1e30-period window, an
        # array compared with a name: "truth value ... ambiguous")
        (Newsvendor, "review_period", 10**30), (DynamicSS, "method", np.array(["exact", "x"])),
        (CappedBaseStock, "cap", np.array([True, False])), (RQ, "reorder_point", np.array(["5", "6"])),
        (Promotions, "promotions.lift", 1e308), (CommonFactor, "common_factor.sigma", 1e300),
        (ForecastSS, "repair_weights", np.ones(2)),
    ]


@pytest.mark.parametrize(("make", "column", "value"), _more(), ids=[f"{m.__name__}-{c}" for m, c, _ in _more()])
def test_policy_and_demand_options_are_refused(make: Callable[..., Any], column: str, value: object) -> None:
    option = column.split(".")[-1]
    with pytest.raises(PlanningError) as info:
        make(**{option: value})
    assert info.value.column == column


def test_valid_policy_and_demand_options_pass() -> None:
    from hybridinv.demand.leadtime import Disruptions
    from hybridinv.demand.processes import Promotions, RegimeShifts
    from hybridinv.policies.newsvendor import Newsvendor
    from hybridinv.policies.rq import CappedBaseStock

    assert CappedBaseStock(level=[3, 4], cap=np.array([2.0, 0.0])).level.tolist() == [3.0, 4.0]
    assert Newsvendor(service_level=0.9, review_period=2.0).review_period == 2
    assert RegimeShifts(low=0.5, high=0.5).high == 0.5 and Promotions(duration=1).duration == 1
    assert Disruptions(probability=0.0, extra_delay=0).extra_delay == 0
