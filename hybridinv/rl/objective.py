"""What a trainer minimizes: a reward spec's cost, KPI targets and a leash to an incumbent.

:class:`TrainingObjective` turns one simulated episode into a vector of measurements
``[cost, kpi_1, ..., kpi_k, deviation]`` and a population of such vectors into ES
fitness values, the Lagrangian

.. math::

    L_j = c_j / c_0 + \\sum_k \\lambda_k g_k(x_j) + w \\, d_j ,

with ``c_j`` the member's cost (the spec's weighted cost, or the ledger's average cost
without a spec), ``c_0`` the cost scale (the start's cost, so multipliers and the
deviation weight are in "share of the start's cost"), ``g_k = (level_k - kpi_k) / u_k`` for a
``>=`` target (``(kpi_k - level_k) / u_k`` for ``<=``; negative when the target holds) with
``u_k`` the target's :func:`~hybridinv.reward.targets.slack_unit` (1 for rates, ``c_0`` for
money KPIs, the level, at least 1, for counts and kg), and
``d_j`` the mean absolute deviation of the member's orders from the incumbent's orders
in the same state, in units of the SKU's mean demand per period. After every
generation the multipliers take a projected dual-ascent step at the population's mean
KPIs, ``lambda_k <- max(0, lambda_k + eta g_k)`` (Bertsekas 1999, sec. 6.3; the
constrained-RL form of Tessler, Mankowitz and Mannor 2019), so a target that keeps
failing weighs more and more until the population meets it.

The stable-baselines3 learners get the same objective per period through
:class:`ConstrainedReward`, an environment reward hook whose multipliers
(:class:`~hybridinv.reward.targets.LagrangianMultipliers`) take one step per rollout.

Validation picks the best evaluated parameters *feasible first*: any parameters that
meet every target on the validation seeds beat any that do not; among feasible ones
the lower cost wins, among infeasible ones the smaller total violation.
:func:`objective_verdict` applies the same order to trained weights and their base
replayed on held-out periods: the keep-or-discard gate of training on a planner's
history (:func:`hybridinv.rl.history.train_on_history`; rule :data:`OBJECTIVE_GATE_RULE`).

References
----------
Bertsekas, D. P. (1999). *Nonlinear Programming*, 2nd ed., Athena Scientific.
Tessler, C., Mankowitz, D. J. and Mannor, S. (2019). Reward constrained policy
optimization. *ICLR*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, number_in
from hybridinv.reward.targets import KPITarget, parse_targets

if TYPE_CHECKING:
    from hybridinv.reward.spec import RewardSpec
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "FEASIBILITY_TOLERANCE",
    "OBJECTIVE_GATE_RULE",
    "ConstrainedReward",
    "TrainingObjective",
    "deviation_scale",
    "objective_verdict",
]

#: A target counts as met on the validation seeds when its violation is at most this.
FEASIBILITY_TOLERANCE = 1e-9

#: The keep-or-discard rule of :func:`objective_verdict` (stored in the validation report).
OBJECTIVE_GATE_RULE = (
    "trained weights and base are replayed on the held-out periods and ranked as the objective ranks evaluations, "
    "feasible first (TrainingObjective.better): (a) the trained weights meet every target and the base does not: "
    "trained; (b) the base meets every target and the trained weights do not: base; (c) both meet every target: "
    "trained only if its objective (cost / base cost + deviation_weight * deviation) is strictly lower; (d) neither "
    "meets every target: trained only if its total violation (sum of the shortfalls) is strictly smaller, or equal "
    "with a strictly lower objective. Without targets, (c). Ties keep the base"
)


def deviation_scale(scenario: Scenario) -> NDArray[np.float64]:
    """Each SKU's mean demand per period, the unit of the deviation from the incumbent.

    The catalog's ``demand_mean`` where it is known, else the scenario's demand process mean
    (a catalog read from a CSV, as in history training, has none); floored at 1e-9.
    """
    known = np.asarray(scenario.catalog.demand_mean, dtype=np.float64)
    mean = np.where(np.isfinite(known), known, np.asarray(scenario.demand.mean, dtype=np.float64))
    return np.maximum(np.nan_to_num(mean, nan=0.0), 1e-9)


#: Largest violation counted, in slack units (an infinite KPI misses a ``<=`` target by this much).
_MAX_VIOLATION = 1e6


@dataclass
class TrainingObjective:
    """Cost, KPI targets (Lagrangian) and an incumbent leash for ES training.

    Parameters
    ----------
    spec : RewardSpec, optional
        Its weighted cost (``spec_cost``) replaces the ledger's average cost, and its
        KPIs (``carbon_kg``, ``profit``, ...) can be targeted.
    targets : sequence of str or KPITarget
        E.g. ``["fill_rate>=0.95"]``; any KPI of ``Ledger.summary()`` or of the spec.
    multiplier_rate : float, default 20.0
        Dual-ascent step ``eta`` per generation (multipliers are in shares of the
        start's cost per slack unit of the KPI: a fill rate 1% short, or a cost target
        missed by 1% of the start's cost, raises them by 0.2 a generation).
    incumbent : str, optional
        Registered policy name (:func:`hybridinv.policies.registry.make`) built for
        each episode's scenario; its orders in the member's states are the reference.
    deviation_weight : float, default 0.0
        ``w``: the price of one unit of mean deviation (see the module notes).
    multipliers : array
        Current ``lambda`` (starts at 0; updated by :meth:`update`).
    scale : float
        ``c_0``; set from the first evaluation when left at 0.
    """

    spec: RewardSpec | None = None
    targets: Sequence[str | KPITarget] = ()
    multiplier_rate: float = 20.0
    incumbent: str | None = None
    deviation_weight: float = 0.0
    multipliers: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    scale: float = 0.0

    def __post_init__(self) -> None:
        self.targets = tuple(parse_targets(self.targets))
        for name in ("multiplier_rate", "deviation_weight", "scale"):  # scale 0: set from the first costs
            number_in(getattr(self, name), name, 0.0, math.inf)
        if self.deviation_weight > 0 and self.incumbent is None:
            raise PlanningError("a deviation weight needs an incumbent policy", column="deviation_weight",
                                value=self.deviation_weight)
        if self.incumbent is not None:
            from hybridinv.policies.registry import available

            if self.incumbent not in available():
                raise PlanningError(f"unknown incumbent policy; known: {available()}", column="incumbent",
                                    value=self.incumbent)
        if self.multipliers.size != len(self.targets):
            self.multipliers = np.zeros(len(self.targets))

    @property
    def goals(self) -> tuple[KPITarget, ...]:
        """The parsed targets."""
        return tuple(t for t in self.targets if isinstance(t, KPITarget))

    @property
    def trivial(self) -> bool:
        """True when it is the plain average cost (no spec, targets or incumbent)."""
        return self.spec is None and not self.targets and self.incumbent is None

    @property
    def names(self) -> list[str]:
        """Names of the measurement vector's entries."""
        return ["cost", *[t.kpi for t in self.goals], "deviation"]

    # ------------------------------------------------------------------ one episode
    def measure(self, policy: Any, scenario: Scenario, seed: int, periods: int | None = None) -> NDArray[np.float64]:
        """Simulate one episode of ``policy``: ``[cost, kpi_1, ..., kpi_k, deviation]``."""
        return self.measure_episode(policy, scenario, seed, periods)[0]

    def measure_episode(
        self, policy: Any, scenario: Scenario, seed: int, periods: int | None = None
    ) -> tuple[NDArray[np.float64], dict[str, float]]:
        """:meth:`measure` and the episode's ``Ledger.summary()`` (its ``avg_cost`` is the real cost per period,
        whatever the objective's cost is)."""
        from hybridinv.deploy.safe import IncumbentPenalty
        from hybridinv.sim.simulator import Simulator

        sim = Simulator(scenario, periods=periods)
        incumbent = None
        if self.incumbent is not None:
            from hybridinv.policies.registry import make

            incumbent = make(self.incumbent, scenario)
        for agent in (policy, incumbent):
            reset = getattr(agent, "reset", None)
            if callable(reset):
                reset(scenario)
        obs = sim.reset(seed=seed)
        leash, scale = IncumbentPenalty(), deviation_scale(scenario)
        deviation, measured = 0.0, 0
        while not sim.done:
            orders = policy.act(obs)
            if incumbent is not None and sim.t >= sim.ledger.warmup:
                deviation += float(np.mean(leash.deviation(orders, incumbent.act(obs), scale)))
                measured += 1
            obs = sim.step(orders)
        summary = dict(sim.ledger.summary())
        return self._values(sim.ledger, dict(summary), deviation / max(measured, 1)), summary

    def measurements(self, ledger: Any, deviation: float = 0.0) -> NDArray[np.float64]:
        """``[cost, kpi_1, ..., kpi_k, deviation]`` of a finished episode's ledger."""
        return self._values(ledger, dict(ledger.summary()), deviation)

    def _values(self, ledger: Any, kpis: dict[str, float], deviation: float) -> NDArray[np.float64]:
        """:meth:`measurements` from the ledger's summary ``kpis`` (completed here)."""
        from hybridinv.reward.targets import OVERFLOW_KPIS, WASTE_KPIS, check_kpis_defined

        scenario = ledger.scenario
        # an episode of a history family may draw no capacity or no perishable SKU: its overflow or waste is 0
        # (check_scenario refused those targets on a scenario that never has any)
        per_episode = OVERFLOW_KPIS | WASTE_KPIS
        checked = [t.kpi for t in self.goals if not t.kpi.endswith("_utilization") and t.kpi not in per_episode]
        check_kpis_defined(checked, scenario, self.spec)
        # nothing of an unlimited budget or warehouse is used (a history family draws such episodes)
        for kpi, limit in (("budget_utilization", scenario.constraints.budget),
                           ("capacity_utilization", scenario.constraints.capacity)):
            if not math.isfinite(limit):
                kpis[kpi] = 0.0
        if self.spec is not None:
            kpis.update(self.spec.evaluate(ledger))
        cost = kpis["spec_cost"] if self.spec is not None else kpis[ledger.scenario.cost_key]
        values = [cost]
        for target in self.goals:
            if target.kpi not in kpis:
                raise PlanningError(f"the episode does not report KPI {target.kpi!r}"
                                    + ("" if self.spec is not None else " (give a reward spec that defines it)"),
                                    column="target", value=str(target))
            values.append(kpis[target.kpi])
        values.append(deviation)
        return np.asarray(values, dtype=np.float64)

    # ------------------------------------------------------------------ a population
    def _set_scale(self, values: NDArray[np.float64]) -> None:
        """``c_0`` from the first measurements seen (the mean absolute cost), unless given."""
        if self.scale <= 0:
            self.scale = max(float(np.abs(np.atleast_2d(values)[:, 0]).mean()), 1e-12)

    def violations(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``g_k`` per row of ``values`` (shape (..., k)): > 0 where a target is missed, in the target's
        :func:`~hybridinv.reward.targets.slack_unit` (money in ``c_0``, counts relative to the level)."""
        from hybridinv.reward.targets import slack_unit

        values = np.asarray(values, dtype=np.float64)
        self._set_scale(values)
        out = np.empty(values.shape[:-1] + (len(self.targets),))
        for k, target in enumerate(self.goals):
            out[..., k] = -target.slack(values[..., 1 + k]) / slack_unit(target, self.scale)
        # a target beaten by more than one slack unit earns no more, and an infinite KPI (turns with no stock
        # held) stays finite: a zero multiplier times it is 0, not NaN
        return np.clip(out, -1.0, _MAX_VIOLATION)

    def score(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """The Lagrangian of each row of ``values`` (shape (P, 2 + k)); lower is better."""
        values = np.atleast_2d(np.asarray(values, dtype=np.float64))
        self._set_scale(values)
        fitness = values[:, 0] / self.scale + self.violations(values) @ self.multipliers
        return np.asarray(fitness + self.deviation_weight * values[:, -1], dtype=np.float64)

    def update(self, values: NDArray[np.float64]) -> None:
        """One projected dual-ascent step at the mean of ``values`` (a generation's population)."""
        if self.targets:
            mean = np.atleast_2d(np.asarray(values, dtype=np.float64)).mean(axis=0)
            self.multipliers = np.maximum(self.multipliers + self.multiplier_rate * self.violations(mean), 0.0)

    def describe(self, values: NDArray[np.float64]) -> dict[str, float]:
        """Validation entries for one parameter vector's mean measurements.

        ``cost`` is the objective's cost ``values[0]`` (the spec's ``spec_cost``, else the scenario's cost,
        relative to a baseline's when the trainer scores relative costs); ``objective`` is
        ``cost / c0 + w * deviation``, what :meth:`better` ranks feasible entries by; with targets also
        ``violation``, ``lambda[target]`` and ``lagrangian`` (:meth:`score` at the current multipliers, the
        ES fitness), and each targeted KPI under its own name. There is no ``avg_cost`` entry unless
        ``avg_cost`` is targeted (then it is that KPI): a trainer adds the real average cost per period
        next to these entries (before 2026-12-04 the cost was written as ``avg_cost`` and overwrote it).
        """
        values = np.asarray(values, dtype=np.float64).ravel()
        out = {"cost": float(values[0])}
        gaps = self.violations(values)
        for k, target in enumerate(self.goals):
            out[target.kpi] = float(values[1 + k])
        if self.targets:
            out["violation"] = float(np.maximum(gaps, 0.0).sum())
            out.update({f"lambda[{t}]": float(m) for t, m in zip(self.targets, self.multipliers, strict=True)})
        if self.incumbent is not None:
            out["deviation"] = float(values[-1])
        self._set_scale(values)
        out["objective"] = float(values[0] / self.scale + self.deviation_weight * values[-1])
        if self.targets:
            out["lagrangian"] = float(self.score(values)[0])
        return out

    @staticmethod
    def better(new: dict[str, float], old: dict[str, float]) -> bool:
        """Feasible first, then ``objective`` (cost plus the deviation price; in entries without it, those of
        training without an objective, ``cost``, the value trained on, else ``avg_cost``); among infeasible
        entries the smaller violation."""
        def key(entry: dict[str, float]) -> tuple[bool, float, float]:
            violation = entry.get("violation", 0.0)
            infeasible = violation > FEASIBILITY_TOLERANCE
            score = next(entry[key] for key in ("objective", "cost", "avg_cost") if key in entry)
            return infeasible, violation if infeasible else 0.0, score

        return key(new) < key(old)

    def to_dict(self) -> dict[str, Any]:
        """Metadata entry of a trained model."""
        return {
            "spec": None if self.spec is None else self.spec.to_dict(),
            "targets": [str(t) for t in self.targets],
            "multiplier_rate": self.multiplier_rate,
            "multipliers": self.multipliers.tolist(),
            "incumbent": self.incumbent,
            "deviation_weight": self.deviation_weight,
            # c_0, the cost a slack is measured in; not "scale", which in a PPO/SAC model's reward_spec is the
            # divisor of the period reward (this entry overwrote it: 15.68 recorded for a reward scale of 5)
            "cost_scale": self.scale,
        }

    def check_scenario(self, scenario: Any) -> None:
        """Refuse targets on KPIs ``scenario`` cannot measure, before training on it
        (:func:`~hybridinv.reward.targets.check_kpis_defined`; a budget target without a budget trained on,
        its multiplier rising every generation, while ``tune`` refused it). Episodes of a history family, with
        and without a budget, skip the check: there an unlimited budget counts as none used."""
        from hybridinv.reward.targets import check_kpis_defined

        check_kpis_defined([t.kpi for t in self.goals], scenario, self.spec)


def objective_verdict(
    objective: TrainingObjective, trained: NDArray[np.float64], base: NDArray[np.float64], cost_key: str = "avg_cost"
) -> dict[str, Any]:
    """Keep-or-discard decision between trained weights and their base under ``objective``.

    Parameters
    ----------
    objective : TrainingObjective
        The objective the weights were trained for (not modified).
    trained, base : arrays
        :meth:`TrainingObjective.measure` of the trained policy and of its base on the same
        held-out replay: ``[cost, kpi_1, ..., kpi_k, deviation]``.
    cost_key : str
        The replay's cost KPI without a spec (``Scenario.cost_key``: ``valued_cost`` on
        replays of history), reported as ``objective["cost"]``.

    Returns
    -------
    dict
        ``accepted`` (keep the trained weights, by :data:`OBJECTIVE_GATE_RULE`), ``reason``,
        and ``objective``: the rule, ``cost`` (``spec_cost`` or ``cost_key``), the targets,
        which of them each policy meets (``met``), each policy's entries
        (:meth:`TrainingObjective.describe`: ``cost`` is that cost, the spec's weighted
        cost when there is a spec, the targeted KPIs, ``violation``, ``deviation`` and ``objective``,
        whose cost part is relative to the base's cost) and the ``decision``.
    """
    from dataclasses import replace

    trained = np.asarray(trained, dtype=np.float64).ravel()
    base = np.asarray(base, dtype=np.float64).ravel()
    judge = replace(objective, multipliers=objective.multipliers.copy(), scale=max(abs(float(base[0])), 1e-12))
    entries = {"trained": judge.describe(trained), "base": judge.describe(base)}
    met = {
        name: {str(t): bool(g <= FEASIBILITY_TOLERANCE) for t, g in zip(judge.goals, judge.violations(v), strict=True)}
        for name, v in (("trained", trained), ("base", base))
    }
    accepted = TrainingObjective.better(entries["trained"], entries["base"])
    return {
        "accepted": accepted,
        "reason": _verdict_reason(accepted, met, entries),
        "objective": {
            "rule": OBJECTIVE_GATE_RULE,
            "cost": "spec_cost" if objective.spec is not None else cost_key,
            "targets": [str(t) for t in judge.goals],
            "met": met,
            "decision": "trained" if accepted else "base",
            **entries,
        },
    }


def _verdict_reason(accepted: bool, met: dict[str, dict[str, bool]], entries: dict[str, dict[str, float]]) -> str:
    trained, base = entries["trained"], entries["base"]
    missed = {name: [t for t, ok in flags.items() if not ok] for name, flags in met.items()}
    score = {name: entry["objective"] for name, entry in entries.items()}
    compare = f"objective {score['trained']:.4g} against the base's {score['base']:.4g}"
    if not met["trained"]:
        verdict = "a lower" if accepted else "no lower"
        head = f"the trained weights have {verdict} objective than the base on the held-out periods ({compare})"
    elif not missed["trained"] and missed["base"]:
        head = (f"the trained weights meet every target on the held-out periods, the base misses "
                f"{', '.join(missed['base'])}")
    elif not missed["trained"]:
        verdict = "and the trained weights have a lower" if accepted else "but the trained weights have no lower"
        head = f"trained weights and base meet every target on the held-out periods, {verdict} objective ({compare})"
    elif not missed["base"]:
        head = f"the trained weights miss {', '.join(missed['trained'])} on the held-out periods, which the base meets"
    elif trained["violation"] == base["violation"]:
        verdict = "a lower" if accepted else "no lower"
        head = (f"neither meets every target on the held-out periods and both miss by as much; the trained weights "
                f"have {verdict} objective ({compare})")
    else:
        verdict = "miss by less" if accepted else "do not miss by less"
        head = (f"neither meets every target on the held-out periods; the trained weights {verdict} than "
                f"the base (total violation {trained['violation']:.4g} against {base['violation']:.4g})")
    return head + (": the trained weights are kept" if accepted else ": the model is the base")


class ConstrainedReward:
    """Environment reward hook: the objective per period, for stable-baselines3 learners.

    ``r_t = -(cost_t / reward_scale) + sum_k lambda_k slack_k(t) - w d_t`` with ``cost_t``
    the spec's (or the ledger's) cost of period ``t``, ``slack_k(t)`` the target's slack
    at the period's KPIs (:func:`~hybridinv.reward.targets.period_kpis`; a cost slack is
    divided by ``reward_scale`` and a carbon slack by the target level, so that they are on
    the scale of the cost term), and ``d_t`` the deviation of the period's orders from the
    incumbent's in the same state (the environment reports orders through :meth:`observe`).
    :meth:`end_rollout` (called by the trainer after each rollout) takes a dual step with the
    KPIs of the rollout's measured periods (after each episode's warm-up), aggregated as the
    episode KPIs that judge the targets are (:meth:`Ledger.summary`, :meth:`RewardSpec.evaluate`):
    served over demanded units, expired over available units, means per period of the cycle
    service level, the cost and the carbon. Targets on episode totals (``waste_units``, ...)
    are refused: a rollout is not an episode. One hook may serve several in-process
    environments (``DummyVecEnv``).
    """

    #: KPIs a per-period reward can target (aggregated in :meth:`end_rollout`).
    PER_PERIOD = ("fill_rate", "cycle_service_level", "waste_rate", "avg_cost", "carbon_kg")

    def __init__(self, objective: TrainingObjective, reward_scale: float) -> None:
        from hybridinv.reward.targets import LagrangianMultipliers, emission_factors, slack_unit

        for target in objective.goals:
            if target.kpi not in self.PER_PERIOD:
                raise PlanningError(f"per-period rewards can target only {sorted(self.PER_PERIOD)} (use ES for "
                                    "the others)", column="target", value=str(target))
        self.objective = objective
        self.reward_scale = float(reward_scale)
        # a carbon target is measured with the spec's emission factors, as TrainingObjective.measurements does
        self._carbon = None
        for target in objective.goals:
            if target.kpi == "carbon_kg":
                self._carbon = emission_factors(objective.spec)
                if self._carbon is None:
                    raise PlanningError("a carbon_kg target needs a reward spec with emission factors (a [carbon] "
                                        "table with shipped_kg or held_kg)", column="target", value=str(target))
        scale = {t.kpi: slack_unit(t, self.reward_scale) for t in objective.goals}
        self.multipliers = (
            LagrangianMultipliers(objective.goals, learning_rate=max(objective.multiplier_rate, 1e-12), scale=scale)
            if objective.targets else None
        )
        self._totals: dict[str, float] = {}
        self._last_period: dict[int, int] = {}  # per ledger: the last measured period recorded
        self._deviation = 0.0
        self._incumbents: dict[int, Any] = {}

    def observe(self, scenario: Scenario, obs: Any, orders: NDArray[np.float64]) -> None:
        """The orders about to be placed in ``obs``: measures their deviation from the incumbent's."""
        if self.objective.incumbent is None:
            return
        from hybridinv.deploy.safe import IncumbentPenalty
        from hybridinv.policies.registry import make

        incumbent = self._incumbents.get(id(scenario))
        if incumbent is None:
            self._incumbents = {id(scenario): make(self.objective.incumbent, scenario)}  # one scenario at a time
            incumbent = self._incumbents[id(scenario)]
        scale = deviation_scale(scenario)
        self._deviation = float(np.mean(IncumbentPenalty().deviation(orders, incumbent.act(obs), scale)))

    def period_reward(self, ledger: Any, t: int) -> float:
        from hybridinv.reward.targets import period_kpis

        spec = self.objective.spec
        cost = -spec.period_reward(ledger, t) * spec.scale if spec is not None else ledger.period_cost(t)
        reward = -cost / self.reward_scale - self.objective.deviation_weight * self._deviation
        if self.multipliers is not None:
            kpis = period_kpis(ledger, t, self._carbon)
            if t >= ledger.warmup:
                self._record(ledger, t, kpis)
            reward = self.multipliers.shape(reward, kpis)
        return float(reward)

    def _record(self, ledger: Any, t: int, kpis: dict[str, float]) -> None:
        """Add period ``t`` to the numerators and denominators of the rollout's KPIs."""
        key = id(ledger)
        # expired over available units: the stock on hand counts once per run of consecutive periods
        continues = self._last_period.get(key) == t - 1
        self._last_period[key] = t
        available = float(ledger.received_units[t]) if continues else ledger.available_units(t, t + 1)
        totals = self._totals
        for name, value in (("served", float(ledger.served[t])), ("demand", float(ledger.demand[t])),
                            ("waste", float(ledger.waste_units[t])), ("available", available),
                            ("periods", 1.0), ("cycle_service_level", kpis["cycle_service_level"]),
                            ("avg_cost", kpis["avg_cost"]), ("carbon_kg", kpis.get("carbon_kg", 0.0))):
            totals[name] = totals.get(name, 0.0) + value

    def rollout_kpis(self) -> dict[str, float]:
        """The KPIs of the measured periods since the last dual step, aggregated as episode KPIs."""
        totals = self._totals
        periods = totals.get("periods", 0.0)
        if periods == 0:
            return {}
        demand, available = totals["demand"], totals["available"]
        return {
            "fill_rate": totals["served"] / demand if demand > 0 else 1.0,
            "waste_rate": totals["waste"] / available if available > 0 else 0.0,
            "cycle_service_level": totals["cycle_service_level"] / periods,
            "avg_cost": totals["avg_cost"] / periods,
            "carbon_kg": totals["carbon_kg"] / periods,
        }

    def end_rollout(self) -> None:
        """One dual step with the rollout's KPIs (:meth:`rollout_kpis`); none without a measured period."""
        achieved = self.rollout_kpis()
        if self.multipliers is not None and achieved:
            self.multipliers.update(achieved)
            self.objective.multipliers = self.multipliers.values.copy()
        self._totals = {}
        self._last_period = {}
