"""KPI targets ("fill_rate>=0.95") and Lagrangian multipliers for constrained RL.

A :class:`KPITarget` names a KPI of :data:`KPI_RANGES` (most of :meth:`hybridinv.sim.Ledger.summary`,
and ``carbon_kg``, ``spec_cost``, ``revenue``, ``profit`` of the reward spec's evaluation; not
``stock_value_change``, ``periods``, ``reward`` or ``spec_<term>``), an operator and a level.
Classical policies meet targets by bisection on their service level (:mod:`hybridinv.reward.enforce`);
RL agents by Lagrangian relaxation: the trainer adds ``lambda * slack / scale`` to the reward and updates
``lambda <- clip(lambda + lr * violation / scale, 0, max_value)`` after each batch of episodes.

References
----------
Altman, E. (1999). *Constrained Markov Decision Processes*. Chapman & Hall.
Tessler, C., Mankowitz, D. J., & Mannor, S. (2019). Reward constrained policy
optimization. *ICLR*.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, near_names, number_in, scalar_or_array

if TYPE_CHECKING:
    from hybridinv.reward.spec import CarbonTerm, RewardSpec
    from hybridinv.sim.ledger import Ledger
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "KPI_RANGES", "MONEY_KPIS", "KPITarget", "LagrangianMultipliers", "check_kpis_defined", "emission_factors",
    "normalized_violation", "parse_targets", "period_kpis", "slack_unit",
]

_RATE = (0.0, 1.0)
_NONNEGATIVE = (0.0, math.inf)
#: Known KPI names and the range a target level must lie in.
KPI_RANGES: dict[str, tuple[float, float]] = {
    "avg_cost": _NONNEGATIVE,
    "valued_cost": _NONNEGATIVE,
    "holding_cost": _NONNEGATIVE,
    "shortage_cost": _NONNEGATIVE,
    "ordering_cost": _NONNEGATIVE,
    "waste_cost": _NONNEGATIVE,
    "overflow_cost": _NONNEGATIVE,
    "fill_rate": _RATE,
    "cycle_service_level": _RATE,
    "stockout_sku_periods": _NONNEGATIVE,
    "inventory_turns": _NONNEGATIVE,
    "capacity_utilization": _NONNEGATIVE,  # above 1 while stock above the capacity is sold down
    "budget_utilization": _NONNEGATIVE,
    "waste_units": _NONNEGATIVE,
    "waste_rate": _RATE,
    "overflow_units": _NONNEGATIVE,
    "violations": _NONNEGATIVE,
    "budget_violations": _NONNEGATIVE,
    "capacity_violations": _NONNEGATIVE,
    "rule_violations": _NONNEGATIVE,
    # added by RewardSpec.evaluate
    "carbon_kg": _NONNEGATIVE,
    "spec_cost": (-math.inf, math.inf),
    "revenue": _NONNEGATIVE,
    "profit": (-math.inf, math.inf),
}
#: KPIs that are 0 on a scenario without a perishable SKU (nothing expires).
WASTE_KPIS = frozenset({"waste_units", "waste_rate", "waste_cost"})
#: KPIs that are 0 on a scenario without a warehouse capacity (nothing is rejected at receipt).
OVERFLOW_KPIS = frozenset({"overflow_units", "overflow_cost"})
#: KPIs measured in money: a target's slack on them is counted in units of a cost scale (``slack_unit``).
MONEY_KPIS = frozenset({"avg_cost", "valued_cost", "holding_cost", "shortage_cost", "ordering_cost", "waste_cost",
                        "overflow_cost", "spec_cost", "revenue", "profit"})
_PATTERN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*([^\s]+)\s*$")


@dataclass(frozen=True)
class KPITarget:
    """A target ``kpi op level`` with ``op`` in ``{">=", "<="}``.

    Raises
    ------
    PlanningError
        For an unknown KPI, operator, or a level that is not a number (booleans and text included), NaN,
        infinite or outside the KPI's range.

    Examples
    --------
    >>> target = KPITarget.parse("fill_rate>=0.95")
    >>> round(float(target.slack(0.97)), 4), target.satisfied(0.94)
    (0.02, False)
    """

    kpi: str
    op: str
    level: float

    def __post_init__(self) -> None:
        if not isinstance(self.kpi, str) or self.kpi not in KPI_RANGES:  # a list was "unhashable type: 'list'"
            raise PlanningError(f"unknown KPI{near_names(self.kpi, KPI_RANGES)}; known: {sorted(KPI_RANGES)}",
                                column="target", value=self.kpi)
        if not isinstance(self.op, str) or self.op not in (">=", "<="):
            raise PlanningError("operator must be '>=' or '<='", column="target", value=self.op)
        low, high = KPI_RANGES[self.kpi]
        # a finite number (an infinite floor or ceiling can never be met, or always is); True and "0.9" are refused
        # rather than read as 1 and 0.9; -0 is 0 (it printed as "fill_rate>=-0")
        level = number_in(self.level, self.kpi, low, high) + 0.0
        object.__setattr__(self, "level", level)

    @classmethod
    def parse(cls, text: str) -> KPITarget:
        """Parse ``"kpi>=level"`` or ``"kpi<=level"``."""
        match = _PATTERN.match(str(text))
        if match is None:
            raise PlanningError("a target reads like 'fill_rate>=0.95' (operators >= and <=)", column="target",
                                value=text)
        kpi, op, number = match.groups()
        try:
            if not number.isascii() or "_" in number:  # float() reads 0.9_5 as 0.95 and a full-width 1 as 1
                raise ValueError(number)
            level = float(number)
        except ValueError:
            raise PlanningError("target level must be a number", column=kpi, value=number) from None
        return cls(kpi, op, level)

    @property
    def sign(self) -> float:
        """+1 for ``>=`` targets (more is better), −1 for ``<=``."""
        return 1.0 if self.op == ">=" else -1.0

    def slack(self, value: float | NDArray[np.float64]) -> Any:
        """How far ``value`` is inside the target (negative when violated)."""
        return self.sign * (np.asarray(value, dtype=np.float64) - self.level)

    def satisfied(self, value: float, margin: float = 0.0) -> bool:
        """Whether ``value`` meets the target by at least ``margin``."""
        return bool(self.slack(value) >= margin - 1e-12)

    def __str__(self) -> str:
        """``kpi op level`` with the level exact: ``KPITarget.parse(str(target)) == target``."""
        return f"{self.kpi}{self.op}{level_text(self.level)}"


def level_text(level: float) -> str:
    """``level`` written exactly: the shortest text that reads back as the same float, without a trailing ``.0``
    (``0.9999995``, ``300``, ``1e+20``).

    Until 2026-12-06 targets printed their level with 6 significant digits: ``fill_rate>=0.9999995`` was
    ``fill_rate>=1`` in every report, CSV column, Optuna constraint name and model metadata.
    """
    text = repr(float(level))
    return text[:-2] if text.endswith(".0") else text


def slack_unit(target: KPITarget, cost_scale: float) -> float:
    """What one unit of ``target``'s slack counts in, so that Lagrangian multipliers of rates, money and counts
    live on one scale.

    Rates (fill rate, utilizations, waste rate: their natural unit is 1) count as they are; money KPIs count in
    ``cost_scale`` (the trainer's typical cost: a cost target 10% off weighs like a fill rate 0.1 short);
    other KPIs (units, SKU-periods, kg, turns) relative to the target's level (at least 1).
    """
    if target.kpi in MONEY_KPIS:
        return max(float(cost_scale), 1e-12)
    if KPI_RANGES[target.kpi] == _RATE:
        return 1.0
    return max(abs(target.level), 1.0)


def normalized_violation(targets: Iterable[KPITarget], achieved: Mapping[str, Any]) -> float:
    """How far ``achieved`` (KPI means) is from meeting all ``targets``: the sum of each target's shortfall relative
    to its level, ``max(0, -slack) / max(|level|, 1e-9)`` (a KPI that was not measured, NaN, counts as infinitely
    far).

    Relative, so that a fill rate 0.01 short and a cost 1% over count alike: the searches pick the trial closest
    to feasible by it when none meets every target (``tune`` added raw shortfalls, in which money swamped rates).
    """
    total = 0.0
    for target in targets:
        shortfall = -float(target.slack(float(achieved[target.kpi])))
        total += math.inf if math.isnan(shortfall) else max(0.0, shortfall) / max(abs(target.level), 1e-9)
    return total


def parse_targets(targets: str | KPITarget | Iterable[str | KPITarget]) -> list[KPITarget]:
    """Parse several targets; a KPI may appear at most once per operator.

    One target (a string such as ``"fill_rate>=0.95"`` or a :class:`KPITarget`) is a list of one; a
    string was read letter by letter ("a target reads like ..., value 'f'").
    """
    if isinstance(targets, str | KPITarget):
        targets = [targets]
    if not isinstance(targets, Iterable):  # a TypeError from the loop below
        raise PlanningError("targets are strings such as 'fill_rate>=0.95' (or a list of them)", column="target",
                            value=targets)
    parsed = [t if isinstance(t, KPITarget) else KPITarget.parse(t) for t in targets]
    keys = [(t.kpi, t.op) for t in parsed]
    duplicates = sorted({f"{k}{o}" for k, o in keys if keys.count((k, o)) > 1})
    if duplicates:
        raise PlanningError(f"target given more than once: {duplicates}", column="target")
    floors = {t.kpi: t.level for t in parsed if t.op == ">="}
    for target in parsed:  # fill_rate>=0.9 with fill_rate<=0.8: no plan meets both, training chased both
        if target.op == "<=" and target.kpi in floors and floors[target.kpi] > target.level:
            raise PlanningError(f"the targets contradict each other: {target.kpi}>={level_text(floors[target.kpi])} "
                                f"and {target}", column="target", value=target.kpi)
    return parsed


def check_kpis_defined(
    kpis: Iterable[str], scenario: Scenario, spec: RewardSpec | None, what: str = "target"
) -> None:
    """Refuse KPIs that the scenario or the spec cannot measure, before anything is simulated.

    ``budget_utilization`` / ``capacity_utilization`` need a finite budget / capacity,
    ``revenue`` / ``profit`` a selling price for every SKU (catalog column ``price``),
    ``inventory_turns`` a SKU with a unit cost above 0 (stock without value turns infinitely often: the
    training trials were feasible with a mean of ``inf``, the held-out report NaN and not met), and
    ``carbon_kg`` a reward spec with a non-zero emission factor (without one every plan emits
    0 kg and a carbon target would be met by anything); for the same reason ``waste_units`` /
    ``waste_rate`` / ``waste_cost`` need a perishable SKU (``shelf_life > 0``) and ``overflow_units`` /
    ``overflow_cost`` a finite warehouse capacity (until 2026-12-06 a waste target on ``single_sku`` was
    accepted and reported as met, the waste being 0 whatever the weights).

    Raises
    ------
    PlanningError
        Naming the KPI (``column=what``) and what is missing.
    """
    cons = scenario.constraints
    for kpi in kpis:
        reason = None
        if kpi == "budget_utilization" and not math.isfinite(cons.budget):
            reason = "the scenario has no budget"
        elif kpi == "capacity_utilization" and not math.isfinite(cons.capacity):
            reason = "the scenario has no warehouse capacity"
        elif kpi in ("revenue", "profit") and np.isnan(scenario.catalog.price).any():
            missing = scenario.catalog.sku[int(np.flatnonzero(np.isnan(scenario.catalog.price))[0])]
            reason = f"the catalog has no selling price (column 'price') for SKU {missing!r} and others"
        elif kpi == "inventory_turns" and not (scenario.catalog.unit_cost > 0).any():
            reason = ("every SKU's unit_cost is 0: the stock has no value, so the turns are infinite whatever "
                      "is held")
        elif kpi == "carbon_kg" and emission_factors(spec) is None:
            reason = "no emission factors: give a reward spec with a [carbon] table (shipped_kg, held_kg)"
        elif kpi in WASTE_KPIS and not scenario.catalog.perishable.any():
            reason = ("no SKU is perishable (catalog column 'shelf_life' > 0): nothing expires, so the waste is 0 "
                      "whatever is held")
        elif kpi in OVERFLOW_KPIS and not math.isfinite(cons.capacity):
            reason = "the scenario has no warehouse capacity: nothing is rejected at receipt, so the overflow is 0"
        if reason is not None:
            raise PlanningError(f"KPI {kpi!r} is not defined here: {reason}", column=what, value=kpi)


def emission_factors(spec: RewardSpec | None) -> CarbonTerm | None:
    """The spec's carbon term when it has a non-zero emission factor, else None (every plan would emit 0 kg)."""
    carbon = None if spec is None else spec.carbon
    if carbon is None or (carbon.shipped_kg == 0 and carbon.held_kg == 0):
        return None
    return carbon


def period_kpis(ledger: Ledger, t: int, carbon: CarbonTerm | None = None) -> dict[str, float]:
    """KPIs of the single period ``t`` (for per-step reward shaping).

    ``fill_rate`` (1 when nothing was demanded), ``cycle_service_level``,
    ``waste_rate`` (units expired / units on hand at the start of ``t`` plus units
    received in ``t``, as in :meth:`Ledger.summary`; 0 when nothing was available), ``waste_units``,
    ``overflow_units``, ``avg_cost`` (the period cost), and, given a ``carbon`` term,
    ``carbon_kg`` (the kg CO2 of the period's orders and end-of-period stock, as in
    :meth:`RewardSpec.evaluate <hybridinv.reward.RewardSpec.evaluate>`).
    """
    demand = float(ledger.demand[t])
    available = ledger.available_units(t, t + 1)
    out = {
        "fill_rate": float(ledger.served[t] / demand) if demand > 0 else 1.0,
        "cycle_service_level": 1.0 - float(ledger.stockouts[t]) / ledger.scenario.n_skus,
        "waste_rate": float(ledger.waste_units[t] / available) if available > 0 else 0.0,
        "waste_units": float(ledger.waste_units[t]),
        "overflow_units": float(ledger.overflow_units[t]),
        "avg_cost": float(ledger.costs[t].sum()),
    }
    if carbon is not None:
        from hybridinv.reward.outcome import ledger_terms

        out["carbon_kg"] = float(carbon.kilograms(ledger_terms(ledger, t)))
    return out


class LagrangianMultipliers:
    """One multiplier ``lambda_k >= 0`` per KPI target, for constrained RL.

    The trainer shapes each reward as ``r + sum_k lambda_k * slack_k`` (see
    :meth:`shape`) and, after each batch, calls :meth:`update` with the KPIs
    the batch achieved: ``lambda_k <- clip(lambda_k + lr_k * (level_k - achieved_k) * sign_k / scale_k, 0, max_value)``,
    i.e. ``lambda`` grows while the target is missed and shrinks back to 0 once
    it is met with room to spare (dual gradient ascent).

    Parameters
    ----------
    targets : sequence of str or KPITarget
    learning_rate : float or sequence of float
        Step size (> 0) of the dual update: one shared, or one per target.
    initial : float
        Starting multiplier (>= 0).
    max_value : float
        Upper clip of each multiplier, at least ``initial`` (keeps early training stable; ``inf`` for none).
    scale : mapping of str to float, optional
        Divides each KPI's slack (e.g. a typical value of a cost KPI), so
        multipliers of rates and costs live on comparable scales. Keys are KPIs the targets name; a
        finite scale > 0 each (default 1).

    Raises
    ------
    PlanningError
        Naming the argument: a learning rate that is not a number > 0 or not one per target, ``initial``
        or ``max_value`` not numbers with ``0 <= initial <= max_value``, a scale of a KPI no target names
        (it was ignored), and, in :meth:`update`, :meth:`bonus` and :meth:`shape`, an achieved KPI that is
        missing, not a number, NaN or infinite (naming the KPI: one NaN poisoned the multipliers for good).

    References
    ----------
    Tessler, Mankowitz & Mannor (2019), *Reward constrained policy optimization*, ICLR.
    """

    def __init__(
        self,
        targets: Sequence[str | KPITarget],
        learning_rate: float | Sequence[float] = 0.05,
        initial: float = 0.0,
        max_value: float = 1e6,
        scale: Mapping[str, float] | None = None,
    ) -> None:
        self.targets = parse_targets(targets)
        k = len(self.targets)
        rate = scalar_or_array(learning_rate, "learning_rate", 0.0, open_low=True)  # text was a numpy ValueError
        if np.shape(rate) not in ((), (1,), (k,)):
            # three rates for two targets was numpy's "could not broadcast" error
            raise PlanningError(f"give one learning rate, or one per target ({k})", column="learning_rate",
                                value=learning_rate)
        initial = number_in(initial, "initial", 0.0, math.inf)
        max_value = number_in(max_value, "max_value", 0.0, math.inf, allow_inf=True)
        if not max_value >= initial:
            raise PlanningError("need 0 <= initial <= max_value", column="initial", value=initial)
        scale = {} if scale is None else scale
        if not isinstance(scale, Mapping):
            raise PlanningError("must map a target's KPI to its scale", column="scale", value=scale)
        unknown = sorted(set(scale) - {t.kpi for t in self.targets}, key=str)
        if unknown:  # a misspelled KPI's scale was ignored without a word
            raise PlanningError(f"scales of KPIs that no target names: {unknown}; targets: "
                                f"{[t.kpi for t in self.targets]}", column="scale", value=unknown[0])
        self.learning_rate = np.broadcast_to(np.asarray(rate, dtype=np.float64), (k,)).copy()
        self.max_value = max_value
        self.scale = np.array([number_in(scale.get(t.kpi, 1.0), "scale", 0.0, math.inf, open_low=True)
                               for t in self.targets])
        self.values = np.full(k, initial)
        self.history: list[NDArray[np.float64]] = [self.values.copy()]

    def _achieved(self, achieved: Mapping[str, float]) -> NDArray[np.float64]:
        missing = [t.kpi for t in self.targets if t.kpi not in achieved]
        if missing:
            raise PlanningError(f"achieved KPIs lack {missing}", column="achieved")
        values = []
        for target in self.targets:
            value = achieved[target.kpi]
            number = None if isinstance(value, bool) or not isinstance(value, int | float | np.number) else value
            if number is None or not math.isfinite(number):  # a NaN made the multiplier NaN for good, inf its cap
                raise PlanningError("an achieved KPI must be a finite number (a NaN or infinite one would set the "
                                    "multiplier to NaN or its cap for good)", column=target.kpi, value=value)
            values.append(float(number))
        return np.array(values, dtype=np.float64)

    def slack(self, achieved: Mapping[str, float]) -> NDArray[np.float64]:
        """Scaled slack of each target (negative when violated)."""
        values = self._achieved(achieved)
        return np.array([t.slack(v) for t, v in zip(self.targets, values, strict=True)]) / self.scale

    def update(self, achieved: Mapping[str, float]) -> NDArray[np.float64]:
        """Dual step from the KPIs achieved by the last batch; returns the new multipliers."""
        self.values = np.clip(self.values - self.learning_rate * self.slack(achieved), 0.0, self.max_value)
        self.history.append(self.values.copy())
        return self.values.copy()

    def bonus(self, achieved: Mapping[str, float]) -> float:
        """``sum_k lambda_k * slack_k``: the shaping term added to a reward."""
        return float(self.values @ self.slack(achieved))

    def shape(self, reward: float, achieved: Mapping[str, float]) -> float:
        """``reward + bonus(achieved)`` (pass per-period KPIs from :func:`period_kpis`)."""
        return float(reward) + self.bonus(achieved)

    def as_dict(self) -> dict[str, float]:
        """``{"fill_rate>=0.95": lambda, ...}`` (for logs and model metadata)."""
        return {str(t): float(v) for t, v in zip(self.targets, self.values, strict=True)}

    def __repr__(self) -> str:
        return f"LagrangianMultipliers({self.as_dict()})"
