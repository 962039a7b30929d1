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
