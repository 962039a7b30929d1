"""Observation features shared by the environments and by the hybrid policy at plan time.

Every per-SKU quantity is divided by the SKU's demand scale, so the same
network applies to SKUs of any size and to catalogs of any length.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from hybridinv.sim.observation import Observation

__all__ = [
    "GLOBAL_FEATURES",
    "OBSERVATION_VERSION",
    "OBSERVATION_VERSIONS",
    "PIPELINE_SLOTS",
    "SKU_FEATURES",
    "demand_scale",
    "fold_pipeline",
    "observe",
    "season_cycle",
]

#: Bumped whenever the features change (stored in model metadata). Version 2: the season angle
#: turns once per ``periods_per_year`` periods (version 1 turned once per 52 periods whatever the
#: period length, so a monthly catalog saw a 52-month "year").
OBSERVATION_VERSION = 2
#: The versions this library computes, with the season cycle of each (None: ``periods_per_year``).
#: The layout is the same, so models trained on version 1 load and see the features they were
#: trained on.
OBSERVATION_VERSIONS: dict[int, int | None] = {1: 52, 2: None}
#: Pipeline slots reported one by one (later arrivals are summed into the last).
PIPELINE_SLOTS = 5
SKU_FEATURES: tuple[str, ...] = (
    "on_hand",
    "backorders",
    *(f"pipeline_{k}" for k in range(PIPELINE_SLOTS)),
    "inventory_position",
    "lead_time",
    "forecast_protection",
    "forecast_next",
    "std_protection",
    "demand_last",
    "demand_recent",
    "critical_ratio",
    "log_shortage_to_holding",
    "log_scale",
    "fixed_cost",
    "moq",
    "lot_size",
    "shelf_life",
)
GLOBAL_FEATURES: tuple[str, ...] = (
    "capacity_load",
    "budget_load",
    "season_sin",
    "season_cos",
    "mean_position",
    "has_capacity",
    "has_budget",
)
_HISTORY = 4
_SCALE_WINDOW = 8


def fold_pipeline(pipeline: NDArray[np.float64], slots: int) -> NDArray[np.float64]:
    """Open orders by periods until arrival in ``slots`` columns, later arrivals added to the last.

    ``pipeline`` has shape (n, W) (``pipeline[i, k]`` arrives in ``k`` periods); the
    result has shape (n, slots), zero-padded when ``W < slots``.
    """
    folded = np.zeros((pipeline.shape[0], slots))
    width = min(pipeline.shape[1], slots)
    folded[:, :width] = pipeline[:, :width]
    if pipeline.shape[1] > slots:
        folded[:, -1] += pipeline[:, slots:].sum(axis=1)
    return folded


def demand_scale(obs: Observation) -> NDArray[np.float64]:
    """Per-SKU demand scale: the mean forecast over the next 8 periods (at least 0.05)."""
    return np.maximum(obs.forecast(_SCALE_WINDOW).mean(axis=1), 0.05)


def season_cycle(version: object) -> int | None:
    """The season cycle of observation ``version`` (None: the observation's ``periods_per_year``).

    Raises ``KeyError`` for a version this library does not compute.
    """
    if isinstance(version, bool) or not isinstance(version, int):
        raise KeyError(version)
    return OBSERVATION_VERSIONS[version]


def observe(
    obs: Observation, scale: NDArray[np.float64] | None = None, cycle: int | None = None
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Features of an observation.

    ``season_sin``/``season_cos`` place ``obs.period`` on a circle of ``cycle`` periods
    (default: ``obs.periods_per_year``, one turn a year; 52 reproduces observation version 1).

    Returns
    -------
    sku_features : array, shape (n_skus, len(SKU_FEATURES))
    global_features : array, shape (len(GLOBAL_FEATURES),)
    """
    cat = obs.catalog
    n = cat.n_skus
    if scale is None:
        scale = demand_scale(obs)
    lead = cat.lead_time
    protect_mean, protect_std = obs.protection_forecast()
    periods = lead + 1.0
    slots = fold_pipeline(obs.pipeline, PIPELINE_SLOTS)
    history = obs.demand_history(_HISTORY)
    holding = np.maximum(cat.holding_cost, 1e-9)
    shortage = cat.shortage_cost
    feats = np.empty((n, len(SKU_FEATURES)), dtype=np.float64)
    feats[:, 0] = obs.on_hand / scale
    feats[:, 1] = obs.backorders / scale
    feats[:, 2 : 2 + PIPELINE_SLOTS] = slots / scale[:, None]
    c = 2 + PIPELINE_SLOTS
    feats[:, c] = obs.inventory_position / scale
    feats[:, c + 1] = lead / 4.0
    feats[:, c + 2] = protect_mean / (scale * periods)
    feats[:, c + 3] = obs.forecast(1)[:, 0] / scale
    feats[:, c + 4] = protect_std / (scale * np.sqrt(periods))
    feats[:, c + 5] = history[:, -1] / scale
    feats[:, c + 6] = history.mean(axis=1) / scale
    feats[:, c + 7] = shortage / (shortage + holding)
    feats[:, c + 8] = np.log(np.maximum(shortage, 1e-9) / holding) / 5.0
    feats[:, c + 9] = np.log1p(scale) / 5.0
    feats[:, c + 10] = np.log1p(cat.order_cost / (holding * scale)) / 5.0
    feats[:, c + 11] = cat.moq / scale / 4.0
    feats[:, c + 12] = cat.lot_size / scale / 4.0
    feats[:, c + 13] = cat.shelf_life / 10.0
    cons = obs.constraints
    glob = np.zeros(len(GLOBAL_FEATURES), dtype=np.float64)
    if math.isfinite(cons.capacity):
        glob[0] = float(cat.volume @ (obs.on_hand + obs.pipeline.sum(axis=1))) / cons.capacity
        glob[5] = 1.0
    if math.isfinite(cons.budget):
        glob[1] = float(cat.unit_cost @ (protect_mean / periods)) / cons.budget
        glob[6] = 1.0
    turn = obs.periods_per_year if cycle is None else cycle
    angle = 2.0 * np.pi * (obs.period % turn) / turn
    glob[2] = np.sin(angle)
    glob[3] = np.cos(angle)
    glob[4] = float(np.mean(feats[:, c]))
    return np.clip(feats, -50, 50).astype(np.float32), np.clip(glob, -50, 50).astype(np.float32)
