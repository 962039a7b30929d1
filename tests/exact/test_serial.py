"""Tests for hybridinv.exact.serial: exact echelon base-stock levels of serial chains (Clark-Scarf)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from hybridinv import PlanningError
from hybridinv.exact import (
    SerialBaseStockResult,
    best_base_stock,
    serial_echelon_base_stock,
    serial_echelon_base_stock_cost,
)


def _simulate_serial(
    levels: np.ndarray,
    lead_time: list[int],
    holding_cost: list[float],
    shortage_cost: float,
    demand: np.ndarray,
    warm_up: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain simulation of the serial chain under echelon base-stock levels.

    ``demand`` has shape (periods, replications); every replication is an independent run
    started empty. Each period, from the top stage (fed by an unlimited supplier) down to
    stage 1: the stage computes its echelon inventory position (on hand at it and below,
    everything in transit to it and below, minus the customer backlog), asks its supplier
    for the gap to its level, the supplier ships what it has on hand, and the stage
    receives what is due (a shipment of lead time L sent in period t arrives in t + L, so
    L = 0 arrives at once). Then stage 1 serves the backlog and the demand from its stock.
    Returns the mean cost per period of each replication after the warm-up: on-hand
    stock at local holding costs plus backorders at the shortage cost, and separately the
    holding cost of shipments in transit (charged at the shipping stage's local rate).
    """
    stages = len(lead_time)
    periods, replications = demand.shape
    on_hand = np.zeros((stages, replications))
    backlog = np.zeros(replications)
    # pipelines[j][k]: shipments to stage j arriving k periods from now (k = 0: this period).
    pipelines = [[np.zeros(replications) for _ in range(lead_time[j])] for j in range(stages)]
    cost_sum = np.zeros(replications)
    transit_sum = np.zeros(replications)
    for t in range(periods):
        for j in reversed(range(stages)):
            position = on_hand[: j + 1].sum(axis=0) - backlog
            for i in range(j + 1):
                position = position + sum(pipelines[i], np.zeros(replications))
            wanted = np.maximum(levels[j] - position, 0.0)
            if j == stages - 1:
                shipped = wanted
            else:
                shipped = np.minimum(wanted, on_hand[j + 1])
                on_hand[j + 1] -= shipped
            if lead_time[j] == 0:
                on_hand[j] += shipped
            else:
                pipelines[j].append(shipped)
                on_hand[j] += pipelines[j].pop(0)
        owed = backlog + demand[t]
        served = np.minimum(on_hand[0], owed)
        on_hand[0] -= served
        backlog = owed - served
        if t >= warm_up:
            cost_sum += np.asarray(holding_cost) @ on_hand + shortage_cost * backlog
            for j in range(stages - 1):
                transit_sum += holding_cost[j + 1] * sum(pipelines[j], np.zeros(replications))
    kept = periods - warm_up
    return cost_sum / kept, transit_sum / kept


def _interval_99(values: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.995, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return float(values.mean() - half), float(values.mean() + half)


def test_snyder_shen_example_6_1_three_stage_normal() -> None:
    """Snyder and Shen (2019), *Fundamentals of Supply Chain Theory*, 2nd ed., Example 6.1.

    Three stages, demand N(5, 1) per period at stage 1, echelon holding costs
    h = (3, 2, 2) for stages 1, 2, 3 (local costs 7, 4, 2), stockout cost p = 37.12,
    lead times (1, 1, 2). The instance data are those of the book's companion package
    stockpyl (``tests/instances_ssm_serial.py``, "instance corresponding to Example
    6.1"), whose ``optimize_base_stock_levels`` docstring reports for this example
    S* = (6.5144, 12.0123, 22.7002) and C* = 47.668653 from its default discretisation
    (x grid of 1,000 intervals, demand grid of 100). We could not consult the printed
    book, so no figure from its page is quoted or tested.

    Conventions: the book counts L_1 periods of demand at stage 1 and charges echelon j's
    holding cost on its level before that period's demand; in this library's timing the
    same chain has lead times (0, 1, 2) and its echelon cost (``total_cost``) is lower by
    sum_{j >= 2} h_j mu = (2 + 2) * 5 = 20.
    """
    result = serial_echelon_base_stock(5.0, [0, 1, 2], [7.0, 4.0, 2.0], 37.12, demand_std=1.0)
    assert result.echelon_holding_cost.tolist() == [3.0, 2.0, 2.0]
    book_cost = result.total_cost + 20.0
    assert book_cost == pytest.approx(47.668653127136345, abs=0.01)
    assert result.levels == pytest.approx([6.5144388073261155, 12.012332294949644, 22.700237234889784], abs=0.03)
    # Stage 1 is a newsvendor with underage p + h'_1 - h_1 = 41.12 and overage h_1 = 3 on one period of demand.
    assert result.levels[0] == pytest.approx(5.0 + stats.norm.ppf(41.12 / 44.12), abs=0.01)
    # The library's own figures on finer grids: converged to 1e-4.
    finer = serial_echelon_base_stock(5.0, [0, 1, 2], [7.0, 4.0, 2.0], 37.12, demand_std=1.0, step=0.004)
    assert finer.total_cost == pytest.approx(result.total_cost, abs=1e-4)
    assert result.pipeline_holding_cost == pytest.approx(4.0 * 0 * 5 + 2.0 * 1 * 5)


@pytest.mark.parametrize("lead_time", [0, 1, 3])
@pytest.mark.parametrize(("holding", "shortage"), [(1.0, 9.0), (2.0, 3.0)])
def test_one_stage_is_the_critical_fractile_newsvendor(lead_time: int, holding: float, shortage: float) -> None:
    mean = 4.0
    periods = lead_time + 1
    support = np.arange(200)
    pmf = stats.poisson.pmf(support, mean * periods)
    level = int(np.argmax(np.cumsum(pmf) >= shortage / (shortage + holding)))
    over = np.dot(np.maximum(level - support, 0), pmf)
    cost = holding * over + shortage * np.dot(np.maximum(support - level, 0), pmf)
    result = serial_echelon_base_stock(mean, [lead_time], holding, shortage)
    assert result.levels.tolist() == [level]
    assert result.cost == pytest.approx(cost, abs=1e-9)
    assert result.pipeline_holding_cost == 0.0
    assert best_base_stock(mean, lead_time, holding, shortage, lost_sales=False) == (level, pytest.approx(cost))
    for neighbour in (level - 1, level + 1):
        assert serial_echelon_base_stock_cost([neighbour], mean, [lead_time], holding, shortage) > cost


@pytest.mark.parametrize("lead_time", [0, 2])
def test_one_stage_normal_matches_the_closed_form(lead_time: int) -> None:
    mean, std, holding, shortage = 20.0, 4.0, 1.0, 9.0
    spread = std * np.sqrt(lead_time + 1)
    z = stats.norm.ppf(shortage / (shortage + holding))
    result = serial_echelon_base_stock(mean, [lead_time], holding, shortage, demand_std=std)
    assert result.levels[0] == pytest.approx(mean * (lead_time + 1) + z * spread, abs=std / 100)
    assert result.cost == pytest.approx((holding + shortage) * spread * stats.norm.pdf(z), rel=1e-4)


def test_two_stage_optimum_equals_brute_force_minimum() -> None:
    args = (3.0, [1, 2], [3.0, 1.0], 19.0)
    result = serial_echelon_base_stock(*args)
    costs = {
        (s1, s2): serial_echelon_base_stock_cost([s1, s2], *args) for s1 in range(0, 26) for s2 in range(0, 36)
    }
    best = min(costs, key=lambda key: costs[key])
    assert tuple(result.levels.tolist()) == best
    assert result.cost == pytest.approx(costs[best], abs=1e-12)
    assert 0 < best[0] < 25 and best[1] < 35  # interior of the box


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((2.0, [1, 1, 2], [4.0, 2.0, 1.0], 9.0), None),
        # L_2 = 0: stage 2 is worth nothing as a buffer, the optimum has S_2 < S_1 and then
        # S_1 = S_2 costs the same (stage 1's position is min(S_1, IN_2) = IN_2 <= S_2 either way).
        ((2.0, [1, 0, 2], [4.0, 2.0, 1.0], 9.0), (6, 5, 10)),
    ],
)
def test_three_stage_optimum_equals_brute_force_minimum(args: tuple, expected: tuple[int, ...] | None) -> None:
    result = serial_echelon_base_stock(*args)
    if expected is not None:
        assert tuple(result.levels.tolist()) == expected
    box = [range(max(int(level) - 4, 0), int(level) + 5) for level in result.levels]
    costs = {levels: serial_echelon_base_stock_cost(list(levels), *args) for levels in itertools.product(*box)}
    best = min(costs, key=lambda key: costs[key])
    assert result.cost == pytest.approx(costs[best], abs=1e-12)
    assert costs[tuple(result.levels.tolist())] == pytest.approx(result.cost, abs=1e-12)
    others = [cost for levels, cost in costs.items() if np.minimum.accumulate(np.array(levels)[::-1])[::-1].tolist()
              != np.minimum.accumulate(result.levels[::-1])[::-1].tolist()]
    assert min(others) > result.cost + 1e-9  # unique up to levels that act alike (S_j -> min(S_j, S_j+1, ...))


def test_explicit_pmf_gives_the_poisson_answer() -> None:
    pmf = stats.poisson.pmf(np.arange(40), 3.0)
    pmf /= pmf.sum()
    by_mean = serial_echelon_base_stock(3.0, [1, 1, 1], [3.0, 2.0, 1.0], 9.0)
    by_pmf = serial_echelon_base_stock(None, [1, 1, 1], [3.0, 2.0, 1.0], 9.0, demand_pmf=pmf)
    assert by_pmf.levels.tolist() == by_mean.levels.tolist()
    assert by_pmf.cost == pytest.approx(by_mean.cost, abs=1e-9)


@pytest.mark.parametrize(
    "levels",
    [None, [4, 4, 14], [9, 7, 12]],  # the optimum; a poor nested vector; a non-nested one (S_2 < S_1)
)
def test_exact_cost_lies_in_the_simulation_interval(levels: list[int] | None) -> None:
    """A plain simulation (400 independent runs of 700 periods, 200 warm-up) of the policy."""
    lead_time, holding, shortage, mean = [1, 0, 2], [4.0, 2.0, 1.0], 9.0, 2.0
    result = serial_echelon_base_stock(mean, lead_time, holding, shortage)
    chosen = result.levels if levels is None else np.array(levels)
    exact = serial_echelon_base_stock_cost(chosen, mean, lead_time, holding, shortage)
    demand = np.random.default_rng(17).poisson(mean, size=(700, 400)).astype(float)
    costs, transit = _simulate_serial(chosen.astype(float), lead_time, holding, shortage, demand, warm_up=200)
    low, high = _interval_99(costs)
    assert low <= exact <= high
    assert high - low < 0.04 * exact  # the interval is tight enough to mean something
    low, high = _interval_99(transit)
    assert low <= result.pipeline_holding_cost <= high


def test_normal_demand_cost_lies_in_the_simulation_interval() -> None:
    lead_time, holding, shortage = [1, 1], [3.0, 1.0], 19.0
    result = serial_echelon_base_stock(10.0, lead_time, holding, shortage, demand_std=3.0)
    demand = np.random.default_rng(6).normal(10.0, 3.0, size=(700, 400))
    costs, _ = _simulate_serial(result.levels, lead_time, holding, shortage, demand, warm_up=200)
    low, high = _interval_99(costs)
    assert low <= result.cost <= high


def test_result_fields() -> None:
    result = serial_echelon_base_stock(3.0, [1, 0, 2], [4.0, 2.0, 1.0], 9.0)
    assert isinstance(result, SerialBaseStockResult)
    assert result.levels.dtype.kind == "i"
    assert result.local_levels.tolist() == np.diff(result.levels, prepend=0).tolist()
    assert result.total_cost == pytest.approx(result.cost + result.pipeline_holding_cost)
    assert result.pipeline_holding_cost == pytest.approx(2.0 * 1 * 3.0 + 1.0 * 0 * 3.0)
    assert serial_echelon_base_stock_cost(result.levels, 3.0, [1, 0, 2], [4.0, 2.0, 1.0], 9.0) == pytest.approx(
        result.cost, abs=1e-12
    )


def test_uniform_holding_cost_keeps_stock_upstream_free() -> None:
    # Same local cost everywhere: upstream echelons cost nothing, the chain acts as one stage with lead time 1 + 1 + 2.
    # Its on-hand and backorder cost is that stage's newsvendor cost; stock in transit adds h (L_1 + L_2) mu.
    result = serial_echelon_base_stock(2.0, [1, 1, 2], 1.0, 9.0)
    single = serial_echelon_base_stock(2.0, [4], 1.0, 9.0)
    assert result.levels[2] == single.levels[0]
    assert result.cost == pytest.approx(single.cost, abs=1e-9)
    assert result.pipeline_holding_cost == pytest.approx(1.0 * (1 + 1) * 2.0)


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"holding_cost": [1.0, 2.0]}, "holding_cost"),  # local cost increases upstream
        ({"holding_cost": [-1.0, 0.0]}, "holding_cost"),
        ({"holding_cost": [0.0, 0.0]}, "holding_cost"),
        ({"holding_cost": [2.0, 1.0, 1.0]}, "holding_cost"),  # wrong length
        ({"lead_time": [1, 1.5]}, "lead_time"),
        ({"lead_time": [1, -1]}, "lead_time"),
        ({"lead_time": []}, "lead_time"),
        ({"shortage_cost": 0.0}, "shortage_cost"),
        ({"shortage_cost": float("nan")}, "shortage_cost"),
        ({"mean": -2.0}, "mean"),
        ({"mean": None, "demand_pmf": [0.5, 0.6]}, "demand_pmf"),
        ({"demand_std": 1.0, "demand_pmf": [0.5, 0.5]}, "demand_std"),
        ({"demand_std": -1.0}, "demand_std"),
        ({"step": 0.1}, "step"),
        ({"demand_std": 1.0, "step": 0.0}, "step"),
    ],
)
def test_invalid_input_names_the_argument(kwargs: dict[str, object], column: str) -> None:
    arguments: dict[str, object] = {"mean": 3.0, "lead_time": [1, 1], "holding_cost": [2.0, 1.0], "shortage_cost": 9.0}
    arguments.update(kwargs)
    with pytest.raises(PlanningError) as raised:
        serial_echelon_base_stock(**arguments)  # type: ignore[arg-type]
    assert raised.value.column == column
    assert column in str(raised.value)


@pytest.mark.parametrize("levels", [[3, 4.5], [3], [3, float("inf")], [3, True]])
def test_invalid_levels_name_the_argument(levels: list[object]) -> None:
    with pytest.raises(PlanningError, match="levels"):
        serial_echelon_base_stock_cost(levels, 3.0, [1, 1], [2.0, 1.0], 9.0)
