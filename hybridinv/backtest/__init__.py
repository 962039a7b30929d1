"""Rolling-origin backtests on a planner's demand history (and the built-in real-data suites).

``hybridinv.backtest.backtest(history, catalog, cutoff, ...)`` fits every policy on the
periods before ``cutoff`` and replays the periods after it once, each policy seeing only
the past at every period (see :mod:`hybridinv.backtest.engine`); ``run_suite("hospital")``
runs the built-in suite of the same name (:mod:`hybridinv.backtest.suites`).
"""

from __future__ import annotations

from hybridinv.backtest.engine import DEFAULT_POLICIES, POLICIES, backtest
from hybridinv.backtest.history import DemandHistory, read_history
from hybridinv.backtest.result import BacktestResult, PairedInterval, PolicyRun
from hybridinv.backtest.search import StaticFit, fit_static_base_stock, fit_static_ss, replay_costs
from hybridinv.backtest.setup import ConstraintRule, evaluation_scenario, initial_state, training_scenario
from hybridinv.backtest.suites import SUITES, load_suite, run_suite

__all__ = [
    "DEFAULT_POLICIES",
    "POLICIES",
    "SUITES",
    "BacktestResult",
    "ConstraintRule",
    "DemandHistory",
    "PairedInterval",
    "PolicyRun",
    "StaticFit",
    "backtest",
    "evaluation_scenario",
    "fit_static_base_stock",
    "fit_static_ss",
    "initial_state",
    "load_suite",
    "read_history",
    "replay_costs",
    "run_suite",
    "training_scenario",
]
