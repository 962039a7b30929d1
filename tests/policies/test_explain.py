"""Target explanations (hybridinv/policies/explain.py), checked by hand through plan()'s columns."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from hybridinv import PlanningWarning, plan
from hybridinv.policies.explain import TARGET_COLUMNS, target_explanation, target_reasons
from hybridinv.policies.rq import CappedBaseStock, ForecastCappedBaseStock

LEAD = np.array([0, 2, 3])
MEAN = np.array([10.0, 4.0, 25.0])
STD = np.array([3.0, 2.0, 5.0])


def _frames(on_hand: list[float], volume: list[float] | None = None) -> tuple[pd.DataFrame, ...]:
    catalog = pd.DataFrame({
        "sku": ["A", "B", "C"], "unit_cost": [4.0, 10.0, 2.0], "holding_cost": [1.0, 0.5, 0.2],
        "shortage_cost": [13.0, 30.0, 5.0], "lead_time": LEAD, "volume": volume or [1.0, 1.0, 1.0],
    })
    state = pd.DataFrame({"sku": ["A", "B", "C"], "on_hand": on_hand})
    forecast = pd.DataFrame([
        {"sku": sku, "period": t, "mean": MEAN[i], "std": STD[i]} for i, sku in enumerate("ABC") for t in range(8)
    ])
    return catalog, state, forecast


def test_safety_stock_of_a_base_stock_type_policy_is_z_sigma_sqrt_lead_time_plus_one() -> None:
    catalog, state, forecast = _frames([0.0, 0.0, 0.0])
    out = plan(state, catalog, None, forecast, policy=ForecastCappedBaseStock(safety_factor=1.3, cap_factor=100.0))
    np.testing.assert_allclose(out["safety_stock"], 1.3 * STD * np.sqrt(LEAD + 1))
    np.testing.assert_allclose(out["safety_factor"], 1.3)
    np.testing.assert_allclose(out["protection_demand"], MEAN * (LEAD + 1))
    np.testing.assert_allclose(out["forecast_correction"], 1.0)
    np.testing.assert_allclose(out["capacity_price"], 0.0)
    level = out["protection_demand"] + out["safety_stock"]
    np.testing.assert_allclose(out["order_up_to"], level)
    np.testing.assert_allclose(out["reorder_point"], np.ceil(level) - 1)  # the largest whole position that orders
    assert list(out["target_reason"]) == ["base_rule"] * 3


def test_a_capped_base_stock_with_a_fractional_level_explains_from_the_level_not_the_reorder_point() -> None:
    catalog, state, forecast = _frames([0.0, 0.0, 0.0])
    level = np.array([11.5, 14.2, 130.0])
    out = plan(state, catalog, None, forecast, policy=CappedBaseStock(level=level, cap=100.0))
    np.testing.assert_allclose(out["order_up_to"], level)
    np.testing.assert_allclose(out["reorder_point"], [11.0, 14.0, 129.0])  # ceil(S) - 1, not S - 1
    np.testing.assert_allclose(out["safety_stock"], level - MEAN * (LEAD + 1))  # docs/concepts.md: S - mu_P


def test_capacity_price_is_lambda_times_volume_and_sets_the_safety_factor() -> None:
    catalog, state, forecast = _frames([0.0, 0.0, 0.0], volume=[1.0, 4.0, 0.5])
    price = 2.0
    policy = ForecastCappedBaseStock(safety_factor=1.0, capacity_price=price, cap_factor=100.0)
    out = plan(state, catalog, {"capacity": 1e6}, forecast, policy=policy)
    volume = catalog["volume"].to_numpy()
    np.testing.assert_allclose(out["capacity_price"], price * volume)
    margin = catalog["shortage_cost"].to_numpy() - catalog["unit_cost"].to_numpy()
    z = norm.ppf(margin / (margin + catalog["holding_cost"].to_numpy() + price * volume))
    np.testing.assert_allclose(out["safety_factor"], z)
    np.testing.assert_allclose(out["safety_stock"], z * STD * np.sqrt(LEAD + 1))
    assert all("capacity_priced" in reason for reason in out["target_reason"])
    unpriced = plan(state, catalog, None, forecast, policy=policy)  # no capacity: nothing to price
    np.testing.assert_allclose(unpriced["capacity_price"], 0.0)


def test_cap_flag_is_set_exactly_when_the_order_hits_the_cap() -> None:
    # cap = 1 * (f + s): A 13, B 6, C 30; levels: A 10 + 3 = 13, B 12 + 4 = 16, C 100 + 10 = 110 (z = 1)
    catalog, state, forecast = _frames([0.0, 12.0, 95.0])
    out = plan(state, catalog, None, forecast, policy=ForecastCappedBaseStock(safety_factor=1.0, cap_factor=1.0))
    cap = MEAN + STD
    level = MEAN * (LEAD + 1) + STD * np.sqrt(LEAD + 1)
    np.testing.assert_allclose(out["order_cap"], cap)
    # positions 0, 12, 95: A's gap 13 equals its cap (not cut), B's gap 4 and C's 15 are below theirs
    assert level[0] == pytest.approx(cap[0])
    assert list(out["capped"]) == [False, False, False]
    assert list(out["target_reason"]) == ["base_rule"] * 3
    low = plan(state.assign(on_hand=[0.0, 0.0, 0.0]), catalog, None, forecast,
               policy=ForecastCappedBaseStock(safety_factor=1.0, cap_factor=1.0))
    expected = level > cap + 1e-9  # position 0: the gap is the level
    assert list(low["capped"]) == list(expected) == [False, True, True]
    np.testing.assert_array_equal(low["desired_qty"][expected], np.ceil(cap[expected]))
    assert list(low["target_reason"]) == ["base_rule", "capped", "capped"]


def test_the_hybrids_forecast_correction_and_safety_shift_are_reported() -> None:
    from hybridinv.policies.forecast_ss import safety_fractile
    from hybridinv.rl.adaptive import ADAPTIVE_FEATURES, AdaptiveHybrid, zero_weights

    catalog, state, forecast = _frames([0.0, 0.0, 0.0])
    weights = zero_weights()
    bias = ADAPTIVE_FEATURES.index("bias")
    weights[0, bias], weights[1, bias] = 0.1, -0.4  # forecast x e^0.1, safety factor - 0.4, on every SKU
    out = plan(state, catalog, None, forecast, policy=AdaptiveHybrid(weights))
    m = math.exp(0.1)
    from hybridinv import Catalog

    z = norm.ppf(safety_fractile(Catalog.from_frame(catalog)))
    np.testing.assert_allclose(out["forecast_correction"], m)
    np.testing.assert_allclose(out["safety_shift"], -0.4)
    np.testing.assert_allclose(out["safety_factor"], z - 0.4)
    np.testing.assert_allclose(out["protection_demand"], m * MEAN * (LEAD + 1))
    np.testing.assert_allclose(out["safety_stock"], (z - 0.4) * math.sqrt(m) * STD * np.sqrt(LEAD + 1))
    assert all(r.startswith("forecast_corrected+safety_shifted") for r in out["target_reason"])
    base = plan(state, catalog, None, forecast, policy=AdaptiveHybrid(zero_weights()))
    np.testing.assert_allclose(base["forecast_correction"], 1.0)
    assert not any("forecast_corrected" in r or "safety_shifted" in r for r in base["target_reason"])


def test_a_sku_that_does_not_pay_is_not_stocked_and_says_so() -> None:
    catalog, state, forecast = _frames([0.0, 50.0, 0.0])
    catalog.loc[0, "shortage_cost"] = 3.0  # below its unit cost 4
    with pytest.warns(PlanningWarning, match="shortage_cost <= unit_cost"):
        out = plan(state, catalog, None, forecast, policy="forecast_ss")
    assert out["target_reason"][0] == "not_stocked" and out["order_qty"][0] == 0
    assert out["target_reason"][1] == "above_reorder_point"  # 50 on hand, level 12 + z 2 sqrt(3)


def test_policies_without_targets_say_so_and_static_ones_imply_their_safety_stock() -> None:
    catalog, state, forecast = _frames([0.0, 0.0, 0.0])
    out = plan(state, catalog, None, forecast, policy="base_stock", level=[20, 20, 200])
    np.testing.assert_allclose(out["safety_stock"], np.array([20, 20, 200]) - MEAN * (LEAD + 1))
    assert out["forecast_correction"].isna().all() and out["capacity_price"].isna().all()

    class Fixed:
        name = "fixed"

        def act(self, obs: object) -> np.ndarray:
            return np.full(3, 2.0)

    direct = plan(state, catalog, None, forecast, policy=Fixed())
    assert list(direct["target_reason"]) == ["no_target"] * 3
    assert direct["safety_stock"].isna().all()
    for column in TARGET_COLUMNS:
        assert column in out.columns and column in direct.columns


def test_target_reasons_join_flags_in_order() -> None:
    explained = target_explanation(np.array([5.0, 5.0]), np.array([4.0, 4.0]), np.array([1.0, 0.0]),
                                   correction=[1.2, 1.0], capacity_price=[0.5, 0.0], capped=[True, False])
    assert np.isnan(explained.safety_factor[1])  # no spread: no factor
    codes = target_reasons(explained, position=np.array([0.0, 9.0]), reorder_point=np.array([4.0, 4.0]))
    assert list(codes) == ["forecast_corrected+capacity_priced+capped", "above_reorder_point"]


@pytest.mark.parametrize(("cap_factor", "order", "capped"), [(0.98, 13, False), (0.9, 12, True)])
def test_capped_means_the_whole_unit_order_was_cut(cap_factor: float, order: int, capped: bool) -> None:
    # A: level 10 + 1 * 3 = 13 at position 0; cap 0.98 * 13 = 12.74 still orders ceil(12.74) = 13, the whole gap:
    # nothing was cut, yet the flag compared the gap 13 with the cap 12.74 and said "capped"
    catalog, state, forecast = _frames([0.0, 50.0, 500.0])
    out = plan(state, catalog, None, forecast, policy=ForecastCappedBaseStock(safety_factor=1.0, cap_factor=cap_factor))
    assert out["order_up_to"][0] == pytest.approx(13.0)
    assert out["order_cap"][0] == pytest.approx(cap_factor * 13.0)
    assert out["order_qty"][0] == order
    assert bool(out["capped"][0]) is capped
    assert ("capped" in out["target_reason"][0].split("+")) is capped


def test_the_forecast_driven_policies_flag_capped_only_when_the_cap_lowered_the_order() -> None:
    catalog = pd.DataFrame({"sku": [f"S{i}" for i in range(40)], "unit_cost": 10.0, "holding_cost": 1.0,
                            "shortage_cost": 20.0, "lead_time": 1, "demand_mean": np.linspace(1.0, 30.0, 40),
                            "demand_std": 2.0})
    state = pd.DataFrame({"sku": catalog["sku"], "on_hand": np.arange(40) % 7})
    for policy in ("hybrid", "forecast_ss", "forecast_capped_base_stock"):
        out = plan(state, catalog, None, policy=policy)
        ordering = out["inventory_position"] <= out["reorder_point"]
        uncapped = np.ceil(out["order_up_to"] - out["inventory_position"] - 1e-9)  # the order without a cap
        cut = ordering & (out["desired_qty"] < uncapped)
        assert list(out["capped"]) == list(cut), policy


@pytest.mark.parametrize("policy", ["base_stock", "ss", "rq", "capped_base_stock"])
def test_a_fitted_static_level_is_explained_against_the_demand_it_was_fitted_on(policy: str) -> None:
    """Lead time 2, forecast 10, 20, 30 (std 1, 2, 3): the base-stock level 33 is fitted on the first period (10 +- 1
    a period); the row said protection_demand 60, safety_stock -27, safety_factor -7.2 (2026-12-07 probe)."""
    catalog = pd.DataFrame({"sku": ["A", "B"], "unit_cost": 1.0, "holding_cost": 1.0, "shortage_cost": 9.0,
                            "lead_time": [2, 0]})
    state = pd.DataFrame({"sku": ["A", "B"], "on_hand": [0.0, 0.0]})
    forecast = pd.DataFrame({"sku": ["A"] * 4 + ["B"] * 4, "period": [0, 1, 2, 3] * 2,
                             "mean": [10.0, 20.0, 30.0, 40.0] * 2, "std": [1.0, 2.0, 3.0, 4.0] * 2})
    out = plan(state, catalog, None, forecast, policy=policy)
    np.testing.assert_allclose(out["protection_demand"], [30.0, 10.0])  # 10 a period over L + 1
    sigma = np.array([math.sqrt(3.0), 1.0])
    level = np.ceil(np.array([30.0, 10.0]) + norm.ppf(0.9) * sigma - 1e-9)  # p / (p + h) = 0.9
    np.testing.assert_allclose(out["reorder_point"] + 1.0, level)
    np.testing.assert_allclose(out["safety_stock"], level - [30.0, 10.0])
    np.testing.assert_allclose(out["safety_factor"], (level - [30.0, 10.0]) / sigma)
    assert (out["safety_stock"] > 0).all() and out["forecast_correction"].isna().all()
    # the forecast-driven policies read the path: 60 with std sqrt(1 + 4 + 9) for A
    news = plan(state, catalog, None, forecast, policy="newsvendor")
    np.testing.assert_allclose(news["protection_demand"], [60.0, 10.0])
    np.testing.assert_allclose(news["safety_stock"] / news["safety_factor"], [math.sqrt(14.0), 1.0])
    for driven in ("forecast_ss", "dynamic_ss"):
        np.testing.assert_allclose(plan(state, catalog, None, forecast, policy=driven)["protection_demand"],
                                   [60.0, 10.0])
