"""A small synthetic history and catalog shared by the backtest tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def catalog_frame(n: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cost = np.round(rng.uniform(5, 40, n), 2)
    price = np.round(cost * rng.uniform(1.3, 2.0, n), 2)
    return pd.DataFrame({
        "sku": [f"P{i:02d}" for i in range(n)],
        "unit_cost": cost,
        "holding_cost": cost / 48,
        "shortage_cost": price * 1.1,
        "order_cost": 5.0,
        "volume": np.round(rng.uniform(0.5, 2.0, n), 2),
        "lead_time": rng.integers(0, 3, n),
        "price": price,
    })


def history_frame(n: int = 12, periods: int = 36, seed: int = 0, long: bool = True) -> pd.DataFrame:
    """Monthly demand: half smooth seasonal, half intermittent; long (sku, period, quantity) or wide."""
    rng = np.random.default_rng(seed)
    t = np.arange(periods)
    rate = np.where(np.arange(n) < n // 2, rng.uniform(10, 60, n), rng.uniform(0.2, 1.0, n))
    season = 1.0 + 0.3 * np.sin(2 * np.pi * t / 12)
    demand = rng.poisson(rate[None, :] * season[:, None]).astype(float)
    skus = [f"P{i:02d}" for i in range(n)]
    months = [str(p) for p in pd.period_range("2019-01", periods=periods, freq="M")]
    if not long:
        return pd.DataFrame({"sku": skus, **{m: demand[k] for k, m in enumerate(months)}})
    return pd.DataFrame({
        "sku": np.tile(skus, periods),
        "period": np.repeat(months, n),
        "quantity": demand.ravel(),
    })
