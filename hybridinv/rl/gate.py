"""Validation gate: replay recent history and fall back to the base policy when the hybrid would have lost.

Before the hybrid plans a real period, :func:`validation_gate` replays the last
``periods`` periods of the demand history with the hybrid and with its base policy (the
hybrid with zero corrections: :class:`~hybridinv.policies.forecast_ss.ForecastSS`, or the
forecast capped base-stock for a capped hybrid),
under the planner's catalog and constraints, from the same steady starting state
(:func:`hybridinv.backtest.setup.initial_state` of the periods before). The forecasts of
the replayed periods are the ones the planner made for them (``forecast_history``: the
forecast of each period, repeated over the lead time) or, without them, those of a
rolling forecaster fitted on the periods before the replay. When the hybrid would have cost
more than its base beyond the noise, :func:`hybridinv.plan` plans with the base and says why
(:data:`GATE_RULES`: by default the paired 95% bootstrap intervals of the difference over SKUs
and over periods must both lie above zero; ``"total"``, the rule until 2026-12-07, falls back
whenever the total is higher, and on the car-parts backtest its switches on noise cost 0.48%).

The replay is an approximation of what the hybrid would have done (the real state then
is not known); it catches a hybrid whose corrections are wrong for this catalog.

:class:`ValidatedHybrid` is the policy a planner runs who calls ``plan(..., validate=...)`` every
period: before each decision it runs the gate on the demand and forecasts observed so far and
decides with the hybrid or its base, so a backtest (``hybrid_validated``) measures the gate on
held-out history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, one_of

if TYPE_CHECKING:
    from hybridinv.core.catalog import Catalog
    from hybridinv.core.constraints import Constraints
    from hybridinv.rl.adaptive import AdaptiveHybrid, CappedHybrid

__all__ = ["GATE_RULES", "GateResult", "ValidatedHybrid", "validation_gate"]

#: Periods before the replay needed to start it (state and, without forecasts, the forecaster).
MIN_LEAD_IN = 8

#: How the gate judges the replay (the names of the training gate's rules, ``hybridinv.rl.history.GATE_RULES``: in
#: both the policy in place stays unless the evidence against it clears the noise). ``"interval"``: fall back to
#: the base when the paired 95% bootstrap intervals of (hybrid - base) cost over SKUs (per-SKU totals) and over
#: periods (per-period totals) both lie above zero; ``"total"``: whenever the hybrid's total is higher.
GATE_RULES: tuple[str, ...] = ("interval", "total")


@dataclass(frozen=True)
class GateResult:
    """Outcome of the validation gate."""

    use_hybrid: bool
    periods: int
    hybrid_cost: float
    base_cost: float
    forecasts: str
    rule: str = "interval"
    #: paired 95% bootstrap intervals of (hybrid - base) in % of the base's cost over the replay: over SKUs (their
    #: totals) and over periods (theirs)
    sku_interval: tuple[float, float] = (0.0, 0.0)
    period_interval: tuple[float, float] = (0.0, 0.0)

    @property
    def difference(self) -> float:
        """(hybrid - base) in % of the base's cost over the replay."""
        return 100.0 * (self.hybrid_cost - self.base_cost) / max(abs(self.base_cost), 1e-12)

    @property
    def reason(self) -> str:
        verdict = "keeps the hybrid" if self.use_hybrid else "falls back to the base policy"
        (sku_low, sku_high), (period_low, period_high) = self.sku_interval, self.period_interval
        if self.rule == "total":
            judged = "rule 'total': the lower total decides"
        elif self.use_hybrid and self.difference > 0.0:
            judged = "dearer, but not beyond the noise: a 95% interval reaches zero"
        elif not self.use_hybrid:
            judged = "dearer beyond the noise: both 95% intervals above zero"
        else:
            judged = "not dearer"
        return (
            f"validation gate {verdict}: over the last {self.periods} periods of demand_history "
            f"(forecasts: {self.forecasts}) the hybrid would have cost {self.hybrid_cost:,.2f} per period, "
            f"its base {self.base_cost:,.2f} ({self.difference:+.3f}%, [{sku_low:+.3f}, {sku_high:+.3f}] over SKUs, "
            f"[{period_low:+.3f}, {period_high:+.3f}] over periods; {judged})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_hybrid": self.use_hybrid,
            "periods": self.periods,
            "hybrid_cost": self.hybrid_cost,
            "base_cost": self.base_cost,
            "forecasts": self.forecasts,
            "rule": self.rule,
            "difference_pct": self.difference,
            "sku_interval_pct": list(self.sku_interval),
            "period_interval_pct": list(self.period_interval),
            "reason": self.reason,
        }


def _replay_forecast(
    demand: NDArray[np.float64], forecasts: NDArray[np.float64] | None, start: int, horizon: int
) -> tuple[Any, NDArray[np.float64], str]:
    """Rolling forecasts at the replayed origins and the one-step forecasts of the periods before."""
    from hybridinv.demand.forecasters import Forecaster, RollingForecast

    y = demand.T  # periods x SKUs
    if forecasts is None:
        fitted = Forecaster(season=None).fit(y[:start])
        rolled = fitted.roll(y, start=start, horizon=horizon)
        return rolled, fitted.roll(y[:start], start=0, horizon=1).one_step[:start], "rolling forecaster"
    f = forecasts.T
    errors = y[:start] - f[:start]
    spread = np.sqrt(np.mean(errors**2, axis=0)) + 1e-9
    made = np.concatenate([f[start:], f[-1:]], axis=0)  # one origin per replayed period (+ the next)
    mean = np.repeat(made[:, None, :], horizon, axis=1)
    std = np.broadcast_to(spread, mean.shape).copy()
    return RollingForecast(mean, std, start), f[:start], "forecast_history"


def validation_gate(
    agent: AdaptiveHybrid | CappedHybrid,
    catalog: Catalog,
    constraints: Constraints,
    demand_history: NDArray[np.float64],
    forecast_history: NDArray[np.float64] | None = None,
    lost_sales: bool = True,
    periods: int = 12,
    rule: str = "interval",
) -> GateResult:
    """Replay the last ``periods`` periods with the hybrid and its base (see the module notes).

    Parameters
    ----------
    agent : AdaptiveHybrid or CappedHybrid
        Its base (:meth:`base_configuration`: zero weights) is replayed next to it.
    catalog, constraints
    demand_history, forecast_history : arrays, shape (n, H)
        Realized demand and, optionally, the forecasts made for those periods (oldest first).
    lost_sales : bool
    periods : int
        Periods replayed; at least :data:`MIN_LEAD_IN` periods must precede them.
    rule : {"interval", "total"}
        :data:`GATE_RULES`: fall back when the hybrid is dearer beyond the noise (default) or whenever its total is.

    Raises
    ------
    PlanningError
        When the history is too short, or for an unknown rule.
    """
    from hybridinv.backtest.setup import forecast_horizon, initial_state
    from hybridinv.bench.stats import paired_cost_intervals
    from hybridinv.demand.replay import ForecastReplay
    from hybridinv.sim.episode import run_episode
    from hybridinv.sim.scenario import Scenario

    one_of(rule, GATE_RULES, "rule")
    demand = np.asarray(demand_history, dtype=np.float64)
    length = demand.shape[1]
    replayed = min(int(periods), length - MIN_LEAD_IN)
    if replayed < 1:
        raise PlanningError(
            f"the validation gate needs a demand_history of more than {MIN_LEAD_IN} periods (got {length})",
            column="demand_history",
            value=length,
        )
    start = length - replayed
    rolled, before, source = _replay_forecast(demand, forecast_history, start, forecast_horizon(catalog))
    y = demand.T
    process = ForecastReplay(
        mean=np.maximum(y[:start].mean(axis=0), 1e-9), realized=y[start:], forecast=rolled,
        past_realized=y[:start], past_expected=before,
    )
    scenario = Scenario(
        name="validation_gate", catalog=catalog, constraints=constraints, demand=process, periods=replayed,
        initial_state=initial_state(y[:start], catalog), lost_sales=lost_sales, tags=("replay",),
        cost_basis="valued",
    )
    base = agent.base_configuration()
    costs, matrices = [], []
    for policy in (agent, base):
        ledger, _ = run_episode(policy, scenario, 0, per_sku_costs=True)  # no warnings: the policies see a simulator
        costs.append(float(ledger.summary()[scenario.cost_key]))
        matrices.append(ledger.sku_basis_costs())
    by_sku, by_period = ((low * scale, high * scale)
                         for _, low, high, scale in paired_cost_intervals(matrices[0], matrices[1]).values())
    dearer = costs[0] > costs[1] and (rule == "total" or (by_sku[0] > 0.0 and by_period[0] > 0.0))
    return GateResult(not dearer, replayed, costs[0], costs[1], source, rule, by_sku, by_period)


class ValidatedHybrid:
    """The hybrid planned with the validation gate every period, as ``plan(..., validate=periods)`` plans it.

    Before each decision :func:`validation_gate` replays the last ``periods`` periods of the demand observed so far
    (``obs.demand_history``; the forecasts made for them, ``obs.forecast_history``, as the planner's
    ``forecast_history``) with the hybrid and its base, and the period is decided by the base when the hybrid was
    dearer by ``rule`` (by default beyond the noise), else by the hybrid. The replays run on copies, so the two
    policies that decide keep their own state. :attr:`kept` records each period's verdict (True: the hybrid
    decided).

    Parameters
    ----------
    agent : AdaptiveHybrid or CappedHybrid
    periods : int
        Periods replayed, as ``validate=periods``; fewer while fewer than ``periods`` follow the first
        :data:`MIN_LEAD_IN` observed periods, and the hybrid decides alone while none do.
    rule : {"interval", "total"}
        :data:`GATE_RULES` (``plan()`` judges by ``"interval"``).
    name : str
    """

    def __init__(self, agent: AdaptiveHybrid | CappedHybrid, periods: int = 12, rule: str = "interval",
                 name: str = "hybrid_validated") -> None:
        import copy

        from hybridinv.core.errors import whole_number

        if not callable(getattr(agent, "base_configuration", None)):  # as plan(validate=...) refuses it
            raise PlanningError("the validation gate replays a hybrid's learned corrections against its base, which "
                                "needs an adaptive hybrid (such as the shipped default)", column="agent",
                                value=getattr(agent, "name", type(agent).__name__))
        self.agent = agent
        self.base = agent.base_configuration(name=f"{agent.name}_base")
        self.periods = whole_number(periods, "periods", 1)
        self.rule = one_of(rule, GATE_RULES, "rule")
        self.name = name
        self.kept: list[bool] = []
        self._replayed = copy.deepcopy(agent)  # the gate's run_episode resets the policies it replays

    def reset(self, scenario: Any = None) -> None:
        self.kept.clear()  # the same list: a backtest's report holds it
        for policy in (self.agent, self.base):
            policy.reset(scenario)

    def _chosen(self, obs: Any) -> Any:
        observed = int(obs.observed_periods)
        if observed <= MIN_LEAD_IN:  # plan(validate=True) refuses such a history; nothing to judge the hybrid on
            self.kept.append(True)
            return self.agent
        result = validation_gate(self._replayed, obs.catalog, obs.constraints, obs.demand_history(observed),
                                 obs.forecast_history(observed), obs.lost_sales, self.periods, self.rule)
        self.kept.append(result.use_hybrid)
        return self.agent if result.use_hybrid else self.base

    def decide(self, obs: Any) -> Any:
        return self._chosen(obs).decide(obs)

    def act(self, obs: Any) -> NDArray[np.float64]:
        return np.asarray(self._chosen(obs).act(obs), dtype=np.float64)
