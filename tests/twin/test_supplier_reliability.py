"""Short deliveries fitted per supplier: a SYNTHETIC receipts log with suppliers of different reliability.

Until 2026-12-07 the short receipts of every supplier were pooled into one Disruptions model applied to every
supplier, so one unreliable supplier made every SKU short (a SKU without receipts beside one with half its
receipts at 50% was short in 51% of periods).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hybridinv import scenarios
from hybridinv.cli import main
from hybridinv.policies import BaseStock
from hybridinv.sim import simulate
from hybridinv.twin import DigitalTwin, fit_supply

#: supplier -> (SKUs, probability a receipt is short, delivered fraction range of a short receipt)
SUPPLIERS = {"ACME": (["A1", "A2"], 0.25, (0.4, 0.6)), "BOLT": (["B1", "B2"], 0.0, (1.0, 1.0)),
             "CORE": (["C1"], 0.05, (0.7, 0.9))}
ORDERS = 400


def _receipts(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for supplier, (skus, share, (low, high)) in SUPPLIERS.items():
        for sku in skus:
            ordered = pd.Timestamp("2022-01-03") + pd.to_timedelta(rng.integers(0, 700, ORDERS), unit="D")
            short = rng.random(ORDERS) < share
            received = np.where(short, np.floor(100 * rng.uniform(low, high, ORDERS)), 100)
            week = ordered + pd.Timedelta(7, "D")
            frames.append(pd.DataFrame({
                "sku": sku, "supplier": supplier, "order_date": ordered, "promised_date": week, "arrival_date": week,
                "quantity_ordered": 100, "quantity_received": received,
            }))
    return pd.concat(frames, ignore_index=True)


def _sales(skus: list[str], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2022-01-03", periods=104, freq="7D")
    return pd.DataFrame([{"date": week, "sku": sku, "quantity": int(rng.poisson(20))} for week in weeks
                         for sku in skus])


def _log_share(receipts: pd.DataFrame, supplier: str) -> float:
    rows = receipts[receipts["supplier"] == supplier]
    return float((rows["quantity_received"] < rows["quantity_ordered"]).mean())


def test_each_suppliers_short_share_and_delivered_range_are_recovered() -> None:
    receipts = _receipts()
    fit = fit_supply(receipts, period_days=7.0)
    models = fit.supplier_disruptions()
    assert set(models) == {"ACME", "CORE"}  # BOLT delivered every receipt in full: no disruptions
    for name in models:
        _, share, (low, high) = SUPPLIERS[name]
        n = ORDERS * len(SUPPLIERS[name][0])
        # the fitted share is the log's share of short receipts, which is within sampling error of the truth
        assert models[name].probability == pytest.approx(_log_share(receipts, name), abs=1e-12)
        assert abs(models[name].probability - share) < 4 * np.sqrt(share * (1 - share) / n)
        # drawn independently from period to period (mean_duration 1 / (1 - s)), delivered within the log's range
        assert models[name].mean_duration == pytest.approx(1 / (1 - models[name].probability))
        fitted_low, fitted_high = models[name].fill_fraction
        assert low - 0.01 <= fitted_low <= fitted_high <= high
    # the pooled model mixes them: every supplier at about 0.25 * 2/5 + 0.05 / 5 = 0.11
    pooled = fit.disruptions()
    assert pooled is not None and pooled.probability == pytest.approx(
        (receipts["quantity_received"] < 100).mean(), abs=1e-12)


def test_a_supplier_named_by_the_scenario_catalog_takes_its_own_receipts_share() -> None:
    fit = fit_supply(_receipts(), period_days=7.0)
    # the catalog may name the suppliers otherwise (the log's names are not used): grouped by the names given
    merged = fit.supplier_disruptions(np.where(fit.supplier == "BOLT", "ACME", fit.supplier))
    expected = fit.supplier_disruptions()["ACME"].probability / 2  # as many receipts of BOLT, none short
    assert merged["ACME"].probability == pytest.approx(expected, rel=1e-9)
    assert fit.supplier_disruptions(threshold=0.2).keys() == {"ACME"}


def test_the_twins_scenario_delivers_short_only_for_the_unreliable_suppliers_skus_at_the_fitted_share() -> None:
    receipts = _receipts()
    # NEW1 has no receipts (supplier "default"), NEW2 no receipts but BOLT in the user's catalog
    skus = ["A1", "A2", "B1", "B2", "C1", "NEW1", "NEW2"]
    twin = DigitalTwin(period="week").fit(_sales(skus), receipts)
    catalog = pd.DataFrame({"sku": skus, "supplier": ["x"] * 5 + ["default", "BOLT"]})
    scenario = twin.scenario(catalog, periods=20)
    assert list(scenario.catalog.supplier) == ["ACME", "ACME", "BOLT", "BOLT", "CORE", "default", "BOLT"]
    models = twin.supplier_disruptions(scenario.catalog)
    assert set(models) == {"ACME", "CORE"}
    periods = 20_000
    path = scenario.lead_times.sample(np.random.default_rng(9), periods)
    short = path.delivered_fraction < 1.0
    shares = short.mean(axis=0)
    assert shares[2:4].max() == 0.0 and shares[5:].max() == 0.0  # BOLT and the SKUs without receipts: never short
    for column, name in ((0, "ACME"), (1, "ACME"), (4, "CORE")):
        s = models[name].probability
        assert abs(shares[column] - s) < 4 * np.sqrt(s * (1 - s) / periods)
        low, high = models[name].fill_fraction
        cut = path.delivered_fraction[short[:, column], column]
        assert cut.min() >= low and cut.max() <= high
    np.testing.assert_array_equal(short[:, 0], short[:, 1])  # one supplier, one chain
    assert not np.array_equal(short[:, 0], short[:, 4])
    result = simulate(BaseStock(np.rint(scenario.catalog.demand_mean * 3), repair=None), scenario, seeds=1)
    assert (result["fill_rate"] > 0.9).all()  # the simulator runs the per-supplier process


def test_the_twin_command_writes_each_suppliers_short_deliveries(tmp_path) -> None:
    receipts, skus = _receipts(), ["A1", "A2", "B1", "B2", "C1"]
    _sales(skus).to_csv(tmp_path / "sales.csv", index=False)
    receipts.to_csv(tmp_path / "receipts.csv", index=False)
    out = tmp_path / "twin"
    result = CliRunner().invoke(main, ["twin", "--sales", str(tmp_path / "sales.csv"), "--receipts",
                                       str(tmp_path / "receipts.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / "scenario.toml").read_text()
    assert '[lead_times.disruptions.suppliers.ACME]' in text and "BOLT" not in text
    loaded = scenarios.get(str(out / "scenario.toml"))
    twin = DigitalTwin(period="week").fit(_sales(skus), receipts)
    assert loaded.lead_times.disruptions == twin.scenario().lead_times.disruptions
    assert f"ACME {_log_share(receipts, 'ACME'):.1%} of receipts" in result.output
    assert "1 of 3 supplier(s) none" in result.output
