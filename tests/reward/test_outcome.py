"""PeriodOutcome: the reward of a hand-computed period."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import Catalog, PlanningError
from hybridinv.reward import CarbonTerm, PeriodOutcome, ProfitTerm, RewardSpec, ServicePenalty


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(
        sku=np.array(["A", "B"], dtype=object),
        unit_cost=np.array([4.0, 10.0]),
        holding_cost=np.array([0.5, 1.0]),
        shortage_cost=np.array([6.0, 20.0]),
        lead_time=np.array([1, 2]),
        order_cost=np.array([3.0, 7.0]),
        price=np.array([8.0, 25.0]),
    )


@pytest.fixture
def outcome(catalog: Catalog) -> PeriodOutcome:
    # A: 10 demanded, 8 served, 2 short, 6 left, ordered 12; B: 5 demanded and served, 1 expired, 3 left, no order.
    return PeriodOutcome(
        catalog=catalog,
        on_hand=np.array([6.0, 3.0]),
        served=np.array([8.0, 5.0]),
        short=np.array([2.0, 0.0]),
        ordered=np.array([12.0, 0.0]),
        demand=np.array([10.0, 5.0]),
        waste=np.array([0.0, 1.0]),
        overflow=np.array([0.0, 2.0]),
        waste_cost=1.5,
        overflow_cost=4.0,
    )


def test_default_spec_charges_the_simulator_costs(outcome: PeriodOutcome) -> None:
    # holding 0.5*6 + 1*3 = 6; shortage 6*2 = 12; fixed 3 (A ordered); unit 4*12 = 48; waste 1.5*1; overflow 4*2 = 8
    assert RewardSpec().reward(outcome) == pytest.approx(-(6 + 12 + 3 + 48 + 1.5 + 8))


def test_carbon_profit_and_service_terms_by_hand(outcome: PeriodOutcome) -> None:
    spec = RewardSpec(
        unit_ordering=0.0,
        scale=2.0,
        carbon=CarbonTerm(shipped_kg=0.5, held_kg=0.25, price=2.0),
        profit=ProfitTerm(revenue_weight=1.0),
        service=ServicePenalty(fill_rate=0.95, penalty=10.0, shortfall_penalty=100.0),
    )
    cost = 6 + 12 + 3 + 1.5 + 8
    carbon_kg = 0.5 * 12 + 0.25 * (6 + 3)  # 8.25 kg
    revenue = 8 * 8 + 25 * 5  # 189
    fill = 13 / 15
    service = 10.0 + 100.0 * (0.95 - fill)
    expected = -(cost + 2.0 * carbon_kg + service - revenue) / 2.0
    assert spec.reward(outcome) == pytest.approx(expected)
    assert spec.cost_terms(outcome.terms())["carbon"] == pytest.approx(2.0 * carbon_kg)


def test_carbon_of_shipping_counts_the_delivered_units_only(outcome: PeriodOutcome) -> None:
    # a disrupted supplier delivers 7 of A's 12 units: 7 ship (and are paid), 5 are cancelled
    partial = PeriodOutcome(outcome.catalog, outcome.on_hand, outcome.served, outcome.short, outcome.ordered,
                            outcome.demand, delivered=np.array([7.0, 0.0]))
    spec = RewardSpec(carbon=CarbonTerm(shipped_kg=0.5, price=1.0))
    assert spec.cost_terms(partial.terms())["carbon"] == pytest.approx(0.5 * 7)
    assert spec.cost_terms(outcome.terms())["carbon"] == pytest.approx(0.5 * 12)


def test_backorders_are_charged_on_the_end_of_period_backlog(catalog: Catalog) -> None:
    outcome = PeriodOutcome(
        catalog=catalog, on_hand=np.zeros(2), served=np.zeros(2), short=np.array([1.0, 1.0]),
        ordered=np.zeros(2), demand=np.array([1.0, 1.0]), backorders=np.array([3.0, 1.0]), lost_sales=False,
    )
    assert RewardSpec().reward(outcome) == pytest.approx(-(6 * 3 + 20 * 1))


def test_profit_without_price_and_bad_shapes_raise(catalog: Catalog, outcome: PeriodOutcome) -> None:
    no_price = catalog.with_values(price=np.array([8.0, np.nan]))
    unpriced = PeriodOutcome(no_price, outcome.on_hand, outcome.served, outcome.short, outcome.ordered, outcome.demand)
    with pytest.raises(PlanningError) as info:
        RewardSpec(profit=ProfitTerm()).reward(unpriced)
    assert info.value.column == "price" and info.value.sku == "B"
    assert RewardSpec().reward(unpriced) < 0  # without a profit term the price is not needed
    with pytest.raises(PlanningError, match="shape"):
        PeriodOutcome(catalog, np.zeros(3), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2))
    with pytest.raises(PlanningError, match=">= 0"):
        PeriodOutcome(catalog, np.array([np.nan, 0.0]), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2))


def test_kept_outcome_is_not_overwritten_by_the_next_period() -> None:
    """The simulator serves demand into buffers it reuses; an outcome kept by the ledger must not change."""
    from hybridinv import scenarios
    from hybridinv.reward.outcome import OutcomeLedger
    from hybridinv.sim import Simulator

    sim = Simulator(scenarios.get("multi_10"), periods=6)
    obs = sim.reset(seed=3)
    ledger = OutcomeLedger.attach(sim)
    kept = []
    for _ in range(6):
        obs = sim.step(np.maximum(40.0 - obs.inventory_position, 0.0))
        assert ledger.last_outcome is not None
        outcome = ledger.last_outcome
        kept.append((outcome, outcome.served.copy(), outcome.short.copy()))
    assert any(short.sum() > 0 for _, _, short in kept) and any(served.sum() > 0 for _, served, _ in kept)
    for outcome, served, short in kept:
        assert np.array_equal(outcome.served, served)
        assert np.array_equal(outcome.short, short)


def _base(catalog: Catalog) -> dict:
    ones, zeros = np.ones(2), np.zeros(2)
    return {"catalog": catalog, "on_hand": ones, "served": ones, "short": zeros, "ordered": ones, "demand": ones}


@pytest.mark.parametrize(("changes", "column"), [
    ({"order_placed": [True, False, True]}, "order_placed"),  # numpy's broadcast error (three flags, two SKUs)
    ({"order_placed": ["no", "yes"]}, "order_placed"), ({"order_placed": [1, 0]}, "order_placed"),
    ({"overflow": np.array([1.0, -1.0])}, "overflow"),  # the finding: summed to an overflow of 0
    ({"overflow": np.array([1.0, 2.0, 3.0])}, "overflow"), ({"overflow": -1.0}, "overflow"),
    ({"overflow": np.nan}, "overflow"),
    ({"waste_cost": -5.0}, "waste_cost"), ({"waste_cost": np.nan}, "waste_cost"),  # charged as given
    ({"overflow_cost": np.inf}, "overflow_cost"), ({"overflow_cost": "1"}, "overflow_cost"),
    ({"on_hand": np.full(2, np.inf)}, "on_hand"),  # an infinite reward
    ({"served": ["a", "b"]}, "served"), ({"catalog": None}, "catalog"),
])
def test_an_outcome_refuses_what_it_cannot_charge(catalog: Catalog, changes: dict, column: str) -> None:
    with pytest.raises(PlanningError) as info:
        PeriodOutcome(**{**_base(catalog), **changes})
    assert info.value.column == column


def test_an_outcome_takes_flags_and_overflow_per_sku_or_for_all(catalog: Catalog) -> None:
    outcome = PeriodOutcome(**_base(catalog), order_placed=np.array([True, False]), overflow=np.array([1.0, 2.0]),
                            waste_cost=1.0)
    np.testing.assert_array_equal(outcome.order_placed, [True, False])
    assert outcome.overflow == 3.0
    assert PeriodOutcome(**_base(catalog), order_placed=False, overflow=2).order_placed.tolist() == [False, False]
