"""Toy policy factories registered by the bench tests (importable by worker processes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hybridinv.policies.base import Decision
from hybridinv.policies.classical import BaseStock


class HalvingPolicy:
    """Wants base-stock 20 orders but a fake repair halves them (rounded down)."""

    name = "halving"

    def decide(self, obs: Any) -> Decision:
        desired = np.maximum(20.0 - obs.inventory_position, 0.0)
        return Decision(np.floor(desired / 2.0), desired)

    def act(self, obs: Any) -> np.ndarray:
        return self.decide(obs).orders


def halving(scenario: Any = None, **options: Any) -> HalvingPolicy:
    return HalvingPolicy()


def level_15(scenario: Any = None, **options: Any) -> BaseStock:
    return BaseStock(15.0, repair=None)


def broken(scenario: Any = None, **options: Any) -> BaseStock:
    raise RuntimeError("this factory always fails")


class StockUp:
    """Orders 25 x the mean demand in period 0 and nothing after: bought in the warm-up, free on avg_cost."""

    name = "stock_up"

    def __init__(self, mean: np.ndarray) -> None:
        self.mean, self.t = np.asarray(mean, dtype=np.float64), 0

    def reset(self, scenario: Any = None) -> None:
        self.t = 0

    def act(self, obs: Any) -> np.ndarray:
        self.t += 1
        return self.mean * 25 if self.t == 1 else np.zeros(self.mean.size)


def stock_up(scenario: Any = None, **options: Any) -> StockUp:
    return StockUp(scenario.catalog.demand_mean)
