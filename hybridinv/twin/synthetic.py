"""SYNTHETIC transaction logs drawn from known parameters.

These logs are made up: they exist to test the digital twin (fit a log whose
true parameters are known and check they are recovered) and to run the
examples without real data. They are not real sales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hybridinv.core.errors import number_in, whole_number

__all__ = ["SyntheticLog", "synthetic_log"]


@dataclass(frozen=True)
class SyntheticLog:
    """A synthetic log and the parameters it was drawn from.

    Attributes
    ----------
    sales : pandas.DataFrame
        ``date, sku, quantity, on_hand, stockout`` (one row per SKU and day,
        zero-sale days included).
    receipts : pandas.DataFrame
        ``sku, supplier, order_date, promised_date, arrival_date, quantity_ordered, quantity_received``.
    truth : pandas.DataFrame
        Per SKU: ``mean`` (per day), ``dispersion`` (NB size, inf = Poisson),
        ``weekly_amplitude``, ``intermittent``, ``lead_time_mean``/``lead_time_std`` (days),
        ``on_time_rate`` (probability), ``short_probability``, ``fill_rate`` (expected).
    demand : numpy.ndarray, shape (days, n)
        True (uncensored) demand.
    """

    sales: pd.DataFrame
    receipts: pd.DataFrame
    truth: pd.DataFrame
    demand: np.ndarray


def synthetic_log(
    n_skus: int = 20,
    days: int = 728,
    seed: int = 0,
    start: str = "2024-01-01",
    censor_probability: float = 0.0,
    orders_per_sku: int = 60,
) -> SyntheticLog:
    """Draw a SYNTHETIC daily sales and receipts log from known parameters.

    SKU ``i`` has a mean daily demand log-uniform in [2, 40]; every third SKU is
    negative binomial (size 3), every fifth intermittent (demand occurs on 25% of
    days, sizes 1 + Poisson(3)), and half of the smooth SKUs have a weekly cycle
    ``1 + A sin(2 pi t / 7)`` with ``A`` in [0.2, 0.5]. With ``censor_probability``
    > 0, on that share of days the stock on hand before demand is uniform on
    ``[0, mean]`` and sales are capped by it (``stockout`` marks days ending at 0).

    Lead times are normal around 3–10 days (std 1–2.5), promised at floor(mean − 0.5 std) days,
    and 10% of receipts of every other SKU arrive short at 50–90%.

    Raises
    ------
    PlanningError
        For a ``seed`` that is not a whole number >= 0, counts below 1 or a ``censor_probability``
        outside [0, 1], naming the argument.
    """
    # seed None drew an irreproducible log, -1 or 2.5 failed inside numpy; a probability of 2 was read as 1
    seed = whole_number(seed, "seed")
    n_skus, days = whole_number(n_skus, "n_skus", 1), whole_number(days, "days", 1)
    orders_per_sku = whole_number(orders_per_sku, "orders_per_sku", 1)
    censor_probability = number_in(censor_probability, "censor_probability", 0.0, 1.0)
    rng = np.random.default_rng(seed)
    demand_rng, stock_rng, lead_rng = rng.spawn(3)
    sku = np.array([f"SYN-{i:03d}" for i in range(n_skus)], dtype=object)
    index = np.arange(n_skus)
    mean = np.exp(rng.uniform(np.log(2.0), np.log(40.0), n_skus))
    negative_binomial = index % 3 == 1
    intermittent = index % 5 == 4
    negative_binomial &= ~intermittent
    dispersion = np.where(negative_binomial, 3.0, np.inf)
    amplitude = np.where(~intermittent & (index % 2 == 0), rng.uniform(0.2, 0.5, n_skus), 0.0)
    t = np.arange(days)
    level = mean[None, :] * (1.0 + amplitude[None, :] * np.sin(2 * np.pi * t[:, None] / 7.0))
    k = np.where(negative_binomial, 3.0, 1.0)
    demand = np.where(
        negative_binomial[None, :],
        demand_rng.negative_binomial(k[None, :], k[None, :] / (k[None, :] + level), size=level.shape),
        demand_rng.poisson(level),
    ).astype(np.float64)
    occurs = demand_rng.random(level.shape) < 0.25
    sizes = 1.0 + demand_rng.poisson(3.0, size=level.shape)
    demand = np.where(intermittent[None, :], np.where(occurs, sizes, 0.0), demand)
    mean = np.where(intermittent, 0.25 * 4.0, mean)
    capped = stock_rng.random(level.shape) < censor_probability
    stock = np.floor(stock_rng.uniform(0.0, 1.0, level.shape) * mean[None, :] + 1.0)
    sales = np.where(capped, np.minimum(demand, stock), demand)
    on_hand = np.where(capped, stock - sales, 999.0)
    dates = pd.Timestamp(start) + pd.to_timedelta(t, unit="D")
    sales_frame = pd.DataFrame({
        "date": np.repeat(dates.to_numpy(), n_skus),
        "sku": np.tile(sku, days),
        "quantity": sales.reshape(-1),
        "on_hand": on_hand.reshape(-1),
        "stockout": (capped & (on_hand <= 0)).reshape(-1),
    })
    lead_mean = rng.uniform(3.0, 10.0, n_skus)
    lead_std = rng.uniform(1.0, 2.5, n_skus)
    short_probability = np.where(index % 2 == 1, 0.1, 0.0)
    receipts = _receipts(lead_rng, sku, mean, lead_mean, lead_std, short_probability, days, orders_per_sku, start)
    promised = np.floor(lead_mean - 0.5 * lead_std)
    on_time = _normal_cdf((promised + 0.5 - lead_mean) / lead_std)
    truth = pd.DataFrame({
        "sku": sku,
        "mean": mean,
        "dispersion": dispersion,
        "weekly_amplitude": amplitude,
        "intermittent": intermittent,
        "lead_time_mean": lead_mean,
        "lead_time_std": lead_std,
        "on_time_rate": on_time,
        "short_probability": short_probability,
        "fill_rate": 1.0 - short_probability * 0.3,
    })
    return SyntheticLog(sales_frame, receipts, truth, demand)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return np.asarray(ndtr(x))


def _receipts(
    rng: np.random.Generator, sku: np.ndarray, mean: np.ndarray, lead_mean: np.ndarray, lead_std: np.ndarray,
    short_probability: np.ndarray, days: int, orders: int, start: str,
) -> pd.DataFrame:
    n = sku.size
    order_day = np.sort(rng.integers(0, max(days - 20, 1), size=(orders, n)), axis=0)
    lead = np.maximum(np.rint(lead_mean[None, :] + lead_std[None, :] * rng.standard_normal((orders, n))), 0.0)
    promised = np.floor(lead_mean - 0.5 * lead_std)[None, :] + np.zeros((orders, 1))
    quantity = np.maximum(np.rint(mean * 7.0), 1.0)[None, :] + np.zeros((orders, 1))
    short = rng.random((orders, n)) < short_probability[None, :]
    fraction = np.where(short, rng.uniform(0.5, 0.9, (orders, n)), 1.0)
    received = np.floor(quantity * fraction)
    origin = pd.Timestamp(start)
    return pd.DataFrame({
        "sku": np.tile(sku, orders),
        "supplier": np.tile(np.array([f"SUP-{i % 3}" for i in range(n)], dtype=object), orders),
        "order_date": origin + pd.to_timedelta(order_day.reshape(-1), unit="D"),
        "promised_date": origin + pd.to_timedelta((order_day + promised).reshape(-1), unit="D"),
        "arrival_date": origin + pd.to_timedelta((order_day + lead).reshape(-1), unit="D"),
        "quantity_ordered": quantity.reshape(-1),
        "quantity_received": received.reshape(-1),
    })
