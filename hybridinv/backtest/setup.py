"""Everything a backtest fixes before the first test period, from the training window only.

* :class:`ConstraintRule` derives a warehouse capacity and a purchase budget from
  the recent training demand (when the planner gives none);
* :func:`initial_state` is the common starting state of every policy;
* :func:`evaluation_scenario` replays the test periods exactly with the rolling
  forecasts made before each (:class:`~hybridinv.demand.replay.ForecastReplay`), and
  carries in ``fit_on`` the :func:`training_scenario`: a seeded block bootstrap of the
  training window (:class:`~hybridinv.demand.replay.BlockBootstrap`) that tuners and
  trainers simulate instead.

Nothing here reads a test period: the rule, the state, the forecaster's
parameters and the bootstrap all come from ``history[:cutoff]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import PlanningError, whole_number
from hybridinv.core.state import InventoryState
from hybridinv.demand.forecasters import Forecaster
from hybridinv.demand.processes import DemandProcess
from hybridinv.demand.replay import BlockBootstrap, ForecastReplay
from hybridinv.sim.scenario import Scenario

__all__ = [
    "ConstraintRule",
    "forecast_horizon",
    "evaluation_scenario",
    "initial_state",
    "recent_moments",
    "resolve_constraints",
    "training_scenario",
]

#: Training periods whose demand sets the constraint rule and the initial state.
RECENT_PERIODS = 12


def recent_moments(train: NDArray[np.float64], window: int = RECENT_PERIODS) -> tuple[NDArray[np.float64], ...]:
    """Mean and standard deviation of each series over the last ``window`` training periods (NaN ignored)."""
    recent = np.asarray(train, dtype=np.float64)[-window:]
    seen = ~np.isnan(recent)
    count = seen.sum(axis=0)
    values = np.where(seen, recent, 0.0)
    mean = values.sum(axis=0) / np.maximum(count, 1)
    var = np.where(seen, (recent - mean) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1)
    return mean, np.sqrt(var)


@dataclass(frozen=True)
class ConstraintRule:
    """Capacity and budget sized from the last ``window`` training periods.

    With ``mu_i``, ``sigma_i`` the mean and standard deviation of SKU ``i``'s demand
    over those periods,

    * ``capacity = capacity_factor * sum_i volume_i (mu_i + sigma_i sqrt(L_i + 1))`` —
      the volume on hand right after a receipt under an order-up-to policy with one
      standard deviation of safety stock, so the warehouse binds when demand or
      safety stocks run above that;
    * ``budget = budget_factor * sum_i unit_cost_i mu_i`` — the purchase value of a
      typical period's demand, so the budget binds when several SKUs order at once
      (after a surge, or in batches).

    The defaults (1.3 and 1.2) make both bind in part of the periods of the
    built-in suites (the backtest reports how often). A factor ``inf`` drops the limit.
    """

    capacity_factor: float = 1.3
    budget_factor: float = 1.2
    window: int = RECENT_PERIODS

    def __post_init__(self) -> None:
        for name in ("capacity_factor", "budget_factor"):
            value = getattr(self, name)
            number = isinstance(value, int | float | np.number) and not isinstance(value, bool)
            if not number or not value > 0:  # text raised a TypeError, True was a factor of 1
                raise PlanningError("factor must be a number > 0 (inf: no limit)", column=name, value=value)
        whole_number(self.window, "window", 1)

    def describe(self, limits: tuple[str, ...] = ("capacity", "budget")) -> str:
        """One line for reports: what the ``limits`` were derived from."""
        rules = {"capacity": f"capacity {self.capacity_factor:g} x the volume on hand after a receipt",
                 "budget": f"budget {self.budget_factor:g} x the mean purchase value"}
        return f"derived from the last {self.window} training periods: " + ", ".join(rules[k] for k in limits)

    def derive(self, train: NDArray[np.float64], catalog: Catalog) -> Constraints:
        """The constraints for ``catalog`` from the training demand ``train`` (periods x SKUs)."""
        mean, std = recent_moments(train, self.window)
        cover = float(catalog.volume @ (mean + std * np.sqrt(catalog.lead_time + 1.0)))
        value = float(catalog.unit_cost @ mean)
        capacity = self.capacity_factor * cover if math.isfinite(self.capacity_factor) and cover > 0 else math.inf
        budget = self.budget_factor * value if math.isfinite(self.budget_factor) and value > 0 else math.inf
        return Constraints(capacity=capacity, budget=budget)


def initial_state(train: NDArray[np.float64], catalog: Catalog, window: int = RECENT_PERIODS) -> InventoryState:
    """The common starting state: the steady state of an order-up-to policy just before a receipt.

    On hand ``round(sigma_i sqrt(L_i + 1))`` (one standard deviation of safety
    stock) and ``round(mu_i)`` on order in each of the ``L_i`` periods ahead, with
    ``mu_i``, ``sigma_i`` as in :class:`ConstraintRule`.
    """
    mean, std = recent_moments(train, window)
    lead = catalog.lead_time.astype(np.int64)
    width = max(int(lead.max()), 1)
    pipeline = np.where(np.arange(width)[None, :] < lead[:, None], np.round(mean)[:, None], 0.0)
    on_hand = np.round(std * np.sqrt(lead + 1.0))
    return InventoryState(catalog.sku, on_hand, np.zeros(catalog.n_skus), pipeline)


def forecast_horizon(catalog: Catalog) -> int:
    """Forecast periods kept per origin: the longest protection interval plus one, at least 8."""
    return max(8, int(catalog.lead_time.max()) + 2)


def _base(mean: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.maximum(mean, 1e-9)


def training_scenario(
    train: NDArray[np.float64],
    catalog: Catalog,
    constraints: Constraints,
    forecaster: Forecaster,
    periods: int,
    lost_sales: bool = True,
    name: str = "training",
    block: int = 6,
    season: int | None = 12,
    periods_per_year: int = 12,
    demand: DemandProcess | None = None,
) -> Scenario:
    """A block bootstrap of the training window with rolling forecasts (tag ``"bootstrap"``).

    Episodes of ``periods`` periods after a drawn lead-in of ``min(24, T)`` periods;
    ``forecaster`` must be fitted on ``train``. ``demand`` replaces the bootstrap (e.g. a
    :class:`~hybridinv.demand.replay.SimulatedHistory` of the twin's fitted process); the
    catalog, constraints and starting state stay those of the training window.
    """
    mean, _ = recent_moments(train)
    if demand is None:
        demand = BlockBootstrap(
            mean=_base(mean),
            history=train,
            forecaster=forecaster,
            block=min(block, train.shape[0]),
            season=season or 1,
            lead_in=min(24, train.shape[0]),
            horizon=forecast_horizon(catalog),
        )
    return Scenario(
        name=name,
        catalog=catalog,
        constraints=constraints,
        demand=demand,
        periods=periods,
        initial_state=initial_state(train, catalog),
        lost_sales=lost_sales,
        periods_per_year=periods_per_year,
        description=f"seeded {type(demand).__name__} of {train.shape[0]} training periods",
        tags=("bootstrap", "real-data"),
        cost_basis="valued",
    )


def evaluation_scenario(
    history: NDArray[np.float64],
    cutoff: int,
    catalog: Catalog,
    constraints: Constraints,
    forecaster: Forecaster,
    horizon: int | None = None,
    lost_sales: bool = True,
    name: str = "backtest",
    season: int | None = 12,
    periods_per_year: int = 12,
    training_periods: int | None = None,
) -> Scenario:
    """The exact replay of the test periods ``history[cutoff : cutoff + horizon]`` (tag ``"replay"``).

    ``forecaster`` must be fitted on ``history[:cutoff]``; it is rolled over the
    whole history, so the forecast of test period ``t`` uses ``history[:t]``.
    ``fit_on`` is the :func:`training_scenario` with episodes of ``training_periods``
    (default: the test horizon).
    """
    y = np.asarray(history, dtype=np.float64)
    cutoff = _in_range(cutoff, "cutoff", 2, y.shape[0] - 1)  # 18.0 failed as a slice index
    # a horizon of 2.5 (or True, or "3") was cut to int(horizon) without a word
    test_periods = y.shape[0] - cutoff if horizon is None else _in_range(horizon, "horizon", 1, y.shape[0] - cutoff)
    # training_periods=0 meant "the test horizon"
    training_periods = test_periods if training_periods is None else whole_number(training_periods,
                                                                                  "training_periods", 1)
    train = y[:cutoff]
    upto = y[: cutoff + test_periods]
    rolled = forecaster.roll(upto, start=cutoff, horizon=forecast_horizon(catalog))
    past = forecaster.roll(train, start=0, horizon=1).one_step[:cutoff]
    mean, _ = recent_moments(train)
    demand = ForecastReplay(
        mean=_base(mean), realized=upto[cutoff:], forecast=rolled, past_realized=train, past_expected=past
    )
    fit_on = training_scenario(
        train, catalog, constraints, forecaster, training_periods, lost_sales,
        name=f"{name}_training", season=season, periods_per_year=periods_per_year,
    )
    return Scenario(
        name=name,
        catalog=catalog,
        constraints=constraints,
        demand=demand,
        periods=test_periods,
        initial_state=initial_state(train, catalog),
        lost_sales=lost_sales,
        periods_per_year=periods_per_year,
        description=f"replay of {test_periods} test periods after {cutoff} training periods, rolling forecasts",
        tags=("replay", "real-data"),
        fit_on=fit_on,
        cost_basis="valued",
    )


def _in_range(value: object, column: str, low: int, high: int) -> int:
    """``value`` as a whole number in ``[low, high]``; one message for every way it is not (-1 and 10**9 alike)."""
    try:
        number = whole_number(value, column)
    except PlanningError:
        number = None
    if number is None or not low <= number <= high:
        raise PlanningError(f"must be a whole number in [{low}, {high}]", column=column, value=value)
    return number


def resolve_constraints(
    given: Constraints | Mapping[str, Any] | str | None, train: NDArray[np.float64], catalog: Catalog
) -> tuple[Constraints, str]:
    """The limits of a backtest or of training on history, and where they came from.

    ``"derive"`` sizes both from the training window ``train`` (periods x SKUs, catalog
    order) by :class:`~hybridinv.backtest.setup.ConstraintRule`; a dict may say
    ``"derive"`` for one limit only; a :class:`Constraints` or a dict of numbers is taken
    as given (each > 0, ``inf`` for no limit: :class:`PlanningError` otherwise). ``None`` is
    ``"derive"``, as in :func:`~hybridinv.rl.history.train_on_history` (it meant no limits here,
    silently; ``Constraints()`` says that).
    """
    if given is None:
        given = "derive"
    if isinstance(given, str):
        if given != "derive":
            raise PlanningError("constraints must be 'derive', a Constraints or a dict", column="constraints",
                                value=given)
        rule = ConstraintRule()
        return rule.derive(train, catalog), rule.describe()
    derive = [k for k in ("capacity", "budget") if isinstance(given, Mapping) and given.get(k) == "derive"]
    if derive and isinstance(given, Mapping):  # {"capacity": 500.0, "budget": "derive"}: the other one derived
        rule = ConstraintRule()
        derived = rule.derive(train, catalog)
        values = {**given, **{k: getattr(derived, k) for k in derive}}
        limits = Constraints.coerce(values)  # first: a given limit "x" was a bare ValueError in the text below
        given_text = ", ".join(f"{k} {float(v):g} given" for k, v in given.items() if k not in derive)
        return limits, "; ".join(part for part in (given_text, rule.describe(tuple(derive))) if part)
    return Constraints.coerce(given), "given"
