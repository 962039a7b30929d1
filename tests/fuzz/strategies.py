"""Hypothesis strategies and settings profiles shared by the fuzz tests.

An :class:`Instance` is one planning problem held twice: as plain numpy arrays
(what the independent checker in :mod:`tests.fuzz.checker` reads) and as the
pandas frames a user hands to :func:`hybridinv.plan` (built from those arrays, so
the library has to parse them to get the same numbers). Magnitudes span many
orders (volumes 1e-6 … 1e4, capacities from 1e-6 up, quantities up to 1e4) and
the constraints are drawn in regimes: absent, loose, binding, already over-full,
tiny.

Settings: the ``hybridinv-fuzz`` profile (derandomized, so CI runs are
reproducible, no example database) runs a few dozen examples per test; the
``hybridinv-fuzz-slow`` profile, used by the ``-m slow`` variants, runs thousands.
The profiles are registered here but never loaded globally; :func:`run` applies
them to one check.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

__all__ = [
    "FAST_PROFILE",
    "SLOW_PROFILE",
    "Instance",
    "MODES",
    "instances",
    "repair_cases",
    "run",
]

FAST_PROFILE = "hybridinv-fuzz"
SLOW_PROFILE = "hybridinv-fuzz-slow"
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    FAST_PROFILE, derandomize=True, database=None, deadline=None, suppress_health_check=_HEALTH, print_blob=True
)
settings.register_profile(SLOW_PROFILE, settings.get_profile(FAST_PROFILE), max_examples=2000)

#: The two run modes of every fuzz test: ``default`` (a few dozen examples) and ``slow`` (``-m slow``).
MODES = [pytest.param("default", id="default"), pytest.param("slow", id="slow", marks=pytest.mark.slow)]


def run(mode: str, examples: int, strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> None:
    """Run ``check`` on ``examples`` drawn instances (``mode="default"``) or on thousands (``"slow"``)."""
    profile = settings.get_profile(FAST_PROFILE if mode == "default" else SLOW_PROFILE)
    count = examples if mode == "default" else max(profile.max_examples, 20 * examples)
    settings(profile, max_examples=count)(given(strategy)(check))()


@dataclass(frozen=True, eq=False)
class Instance:
    """One planning problem: catalog, state, forecast and constraints as arrays and as user frames."""

    sku: list[str]
    unit_cost: np.ndarray
    holding_cost: np.ndarray
    shortage_cost: np.ndarray
    order_cost: np.ndarray
    volume: np.ndarray
    lead_time: np.ndarray  # int
    moq: np.ndarray
    lot_size: np.ndarray
    max_order: np.ndarray
    supplier: list[str]
    demand_mean: np.ndarray
    on_hand: np.ndarray
    backorders: np.ndarray
    pipeline: np.ndarray  # (n, W): arriving k periods from now
    forecast: np.ndarray | None  # (n, H) per-period means, or None: the catalog's demand_mean
    forecast_std: np.ndarray | None
    capacity: float = math.inf
    budget: float = math.inf
    supplier_capacity: dict[str, float] = field(default_factory=dict)
    lost_sales: bool = True

    @property
    def n(self) -> int:
        return len(self.sku)

    def demand(self, periods: int) -> np.ndarray:
        """Expected demand per SKU for the next ``periods`` periods, as documented for ``plan()``."""
        if self.forecast is None:
            return np.repeat(self.demand_mean[:, None], max(periods, 1), axis=1)
        return self.forecast[:, :periods] if periods <= self.forecast.shape[1] else np.pad(
            self.forecast, ((0, 0), (0, periods - self.forecast.shape[1])), mode="edge"
        )

    def catalog_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "sku": self.sku,
                "unit_cost": self.unit_cost,
                "holding_cost": self.holding_cost,
                "shortage_cost": self.shortage_cost,
                "order_cost": self.order_cost,
                "volume": self.volume,
                "lead_time": self.lead_time,
                "moq": self.moq,
                "lot_size": self.lot_size,
                "max_order": self.max_order,
                "supplier": self.supplier,
                "demand_mean": self.demand_mean,
            }
        )

    def state_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"sku": self.sku, "on_hand": self.on_hand.astype(np.int64)})
        if self.backorders.any():
            frame["backorders"] = self.backorders.astype(np.int64)
        for k in range(self.pipeline.shape[1]):
            frame[f"pipeline_{k}"] = self.pipeline[:, k].astype(np.int64)
        return frame

    def forecast_frame(self) -> pd.DataFrame | None:
        if self.forecast is None:
            return None
        n, periods = self.forecast.shape
        frame = pd.DataFrame(
            {
                "sku": np.repeat(self.sku, periods),
                "period": np.tile(np.arange(periods), n),
                "mean": self.forecast.ravel(),
            }
        )
        if self.forecast_std is not None:
            frame["std"] = self.forecast_std.ravel()
        return frame

    def constraints(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "budget": self.budget, "supplier_capacity": dict(self.supplier_capacity)}

    def plan_args(self) -> dict[str, Any]:
        """Keyword arguments of :func:`hybridinv.plan` for this instance."""
        return {
            "state": self.state_frame(),
            "catalog": self.catalog_frame(),
            "constraints": self.constraints(),
            "forecast": self.forecast_frame(),
            "lost_sales": self.lost_sales,
        }


def _log_uniform(low_exp: float, high_exp: float) -> st.SearchStrategy[float]:
    return st.floats(low_exp, high_exp, allow_nan=False).map(lambda e: float(10.0**e))


def _magnitude(typical: st.SearchStrategy[float], low_exp: float, high_exp: float) -> st.SearchStrategy[float]:
    """Mostly typical values, sometimes extreme ones (and their end points)."""
    extremes = st.sampled_from([10.0**low_exp, 10.0**high_exp])
    return st.one_of(typical, typical, _log_uniform(low_exp, high_exp), extremes)


def _vector(draw: st.DrawFn, n: int, strategy: st.SearchStrategy[Any]) -> np.ndarray:
    return np.array(draw(st.lists(strategy, min_size=n, max_size=n)))


def _limit(draw: st.DrawFn, present: float, need: float) -> float:
    """A capacity or budget in one of the regimes, relative to what is ``present`` and what orders ``need``."""
    regime = draw(st.sampled_from(["none", "none", "loose", "binding", "binding", "over_full", "over_full", "tiny"]))
    if regime == "none":
        return math.inf
    if regime == "tiny":
        return float(draw(st.sampled_from([1e-6, 3e-6, 1e-3])))
    if regime == "over_full" and present > 0:
        value = present * draw(st.floats(0.05, 0.999))
    else:
        share = draw(st.floats(0.0, 1.0)) if regime == "binding" else draw(st.floats(1.0, 3.0))
        value = present + share * need
    # a limit must be > 0 (Constraints); a tiny present stock times a share can underflow to 0.0
    return float(value) if value > 0 else float(draw(st.sampled_from([1e-6, 1.0, 50.0])))


@st.composite
def instances(
    draw: st.DrawFn,
    min_skus: int = 1,
    max_skus: int = 8,
    extreme: bool = True,
    max_lead_time: int = 3,
    with_forecast: bool | None = None,
) -> Instance:
    """Random catalogs, states, forecasts and constraints (see the module docstring).

    Parameters
    ----------
    min_skus, max_skus : int
        Catalog size.
    extreme : bool
        Whether magnitudes span many orders (volumes 1e-6 … 1e4, ...).
    max_lead_time : int
    with_forecast : bool, optional
        Force a forecast frame (True), the catalog's ``demand_mean`` (False) or draw it (None).
    """
    n = draw(st.integers(min_skus, max_skus))
    if extreme:
        volume = _vector(draw, n, st.one_of(st.just(0.0), _magnitude(st.floats(0.1, 3.0), -6, 4)))
        unit_cost = _vector(draw, n, st.one_of(st.just(0.0), _magnitude(st.floats(0.5, 50.0), -3, 3)))
        mean = _vector(draw, n, st.one_of(st.just(0.0), _magnitude(st.floats(0.0, 40.0), -2, 3)))
    else:
        volume = _vector(draw, n, st.floats(0.0, 3.0))
        unit_cost = _vector(draw, n, st.floats(0.0, 20.0))
        mean = _vector(draw, n, st.floats(0.0, 30.0))
    lot = _vector(draw, n, st.sampled_from([1, 1, 1, 2, 3, 5, 12])).astype(float)
    moq = lot * _vector(draw, n, st.sampled_from([0, 0, 0, 1, 2, 5]))
    max_lots = _vector(draw, n, st.sampled_from([math.inf, math.inf, 1, 3, 10, 50]))
    max_order = np.where(np.isfinite(max_lots), np.maximum(max_lots * lot, np.maximum(moq, lot)), math.inf)
    lead = _vector(draw, n, st.integers(0, max_lead_time)).astype(np.int64)
    on_hand = _vector(draw, n, st.one_of(st.integers(0, 60), st.sampled_from([0, 10_000]))).astype(float)
    lost_sales = draw(st.booleans())
    backorders = np.zeros(n) if lost_sales else _vector(draw, n, st.sampled_from([0, 0, 3, 50])).astype(float)
    width = draw(st.integers(0, max_lead_time + 1))
    pipeline = _vector(draw, n * width, st.sampled_from([0, 0, 0, 4, 25])).reshape(n, width).astype(float)
    use_forecast = draw(st.booleans()) if with_forecast is None else with_forecast
    forecast = forecast_std = None
    if use_forecast:
        periods = max(8, int(lead.max()) + 2)
        drift = _vector(draw, n * periods, st.sampled_from([1.0, 1.0, 0.5, 2.0, 0.0])).reshape(n, periods)
        forecast = mean[:, None] * drift
        if draw(st.booleans()):
            forecast_std = np.sqrt(forecast) * draw(st.sampled_from([0.0, 0.5, 2.0]))
    suppliers = [f"sup{k}" for k in _vector(draw, n, st.integers(0, 2))]
    inst = Instance(
        sku=[f"SKU-{i}" for i in range(n)],
        unit_cost=unit_cost,
        holding_cost=_vector(draw, n, st.sampled_from([0.0, 0.1, 1.0, 5.0])),
        shortage_cost=_vector(draw, n, st.sampled_from([0.0, 1.0, 9.0, 100.0])),
        order_cost=_vector(draw, n, st.sampled_from([0.0, 0.0, 5.0, 200.0])),
        volume=volume,
        lead_time=lead,
        moq=moq,
        lot_size=lot,
        max_order=max_order,
        supplier=suppliers,
        demand_mean=mean,
        on_hand=on_hand,
        backorders=backorders,
        pipeline=pipeline,
        forecast=forecast,
        forecast_std=forecast_std,
        lost_sales=lost_sales,
    )
    need = mean * (lead + 1) * 2.0 + moq + lot  # roughly what a policy would order
    arriving_now = pipeline[:, 0] if width else np.zeros(n)
    present = float(volume @ np.maximum(on_hand - backorders + arriving_now, 0.0))  # in stock at receipt period 0
    capacity = _limit(draw, present, float(volume @ need))
    budget = _limit(draw, 0.0, float(unit_cost @ need))
    chosen = draw(st.lists(st.sampled_from(sorted(set(suppliers))), unique=True))
    caps = {s: float(draw(st.sampled_from([0.5, 3.0, 40.0, 1e4]))) for s in chosen}
    return replace(inst, capacity=capacity, budget=budget, supplier_capacity=caps)


@st.composite
def repair_cases(draw: st.DrawFn, small: bool = False, **options: Any) -> tuple[Instance, np.ndarray]:
    """An instance and desired (fractional, sometimes negative) order quantities for it.

    ``small`` keeps desired quantities below 12 and the catalog at 3 SKUs, for brute force.
    """
    if small:
        options = {"max_skus": 3, "extreme": False, "max_lead_time": 2, **options}
    inst = draw(instances(**options))
    top = 12.0 if small else 2e4
    base = st.one_of(st.floats(-5.0, top, allow_nan=False), st.sampled_from([0.0, 0.5, 1.0, 7.0]))
    if small:
        inst = replace(inst, max_order=np.minimum(inst.max_order, 60.0), moq=np.minimum(inst.moq, 12.0))
        inst = replace(inst, moq=inst.moq - inst.moq % inst.lot_size)
        inst = replace(inst, max_order=np.maximum(inst.max_order, np.maximum(inst.moq, inst.lot_size)))
    return inst, _vector(draw, inst.n, base).astype(float)
