"""Vectorized simulator, cost accounting and KPIs."""

from __future__ import annotations

from hybridinv.sim.batch import BatchObservation, BatchSimulator
from hybridinv.sim.ledger import COST_COMPONENTS, Ledger
from hybridinv.sim.observation import Observation
from hybridinv.sim.runner import run_batch, run_episode, simulate
from hybridinv.sim.scenario import Scenario, ScenarioPath
from hybridinv.sim.simulator import Simulator

__all__ = [
    "BatchObservation",
    "BatchSimulator",
    "COST_COMPONENTS",
    "Ledger",
    "Observation",
    "Scenario",
    "ScenarioPath",
    "Simulator",
    "run_batch",
    "run_episode",
    "simulate",
]
