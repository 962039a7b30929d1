"""Meet KPI targets with classical policies by bisection on the shortage weight.

A classical policy set by a *service level* (the critical ratio
``alpha = w p / (w p + h)``, Newsvendor style) is a one-parameter family in
the shortage weight ``w`` of the reward spec: raising ``w`` raises every SKU's
service level and stock. :func:`enforce_targets` bisects ``log w`` on training
seeds until each target holds with a one-sided 95% margin, then takes the
cheapest (by the spec's cost on the training seeds) of the weights tried that
meet every target (``w = 1``, the cost-optimal ratio, is always tried when it
lies in the feasible bracket), and reports whether each target is met on held-out seeds, with 95%
confidence intervals.

References
----------
Silver, E. A., Pyke, D. F., & Thomas, D. J. (2017). *Inventory and Production
Management in Supply Chains*, 4th ed., ch. 6 (service-level driven safety stock).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, PlanningWarning, number_in, number_pair, whole_number
from hybridinv.reward.evaluate import confidence_interval, evaluate_policy, resolve_scenario, seed_list
from hybridinv.reward.spec import RewardSpec, as_spec
from hybridinv.reward.targets import KPI_RANGES, KPITarget, check_kpis_defined, normalized_violation, parse_targets

if TYPE_CHECKING:
    from hybridinv.core.catalog import Catalog
    from hybridinv.policies.base import Policy
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "EnforcementResult",
    "base_stock_levels",
    "critical_ratio",
    "enforce_targets",
    "policy_family",
    "searched_spec",
    "target_report",
    "weight_bracket",
]

#: A family of policies indexed by per-SKU service levels in (0, 1).
ServiceLevelFamily = Callable[[NDArray[np.float64]], "Policy"]


def critical_ratio(catalog: Catalog, spec: RewardSpec) -> NDArray[np.float64]:
    """Per-SKU newsvendor critical ratio under the spec's weights.

    ``alpha_i = w_p p_i / (w_p p_i + w_h h_i + pi_CO2 e_h)``, clipped to [0.01, 0.9999]
    (the carbon price of holding a unit counts as holding cost). Purchase cost
    is paid on every unit sold either way and is left out.
    """
    holding = spec.holding * catalog.holding_cost
    if spec.carbon is not None:
        holding = holding + spec.carbon.price * spec.carbon.held_kg
    shortage = spec.shortage * catalog.shortage_cost
    total = shortage + holding
    ratio = np.where(total > 0, shortage / np.where(total > 0, total, 1.0), 0.5)
    return np.clip(ratio, 0.01, 0.9999)


def searched_spec(spec: RewardSpec | Mapping[str, Any] | None) -> RewardSpec:
    """The base spec of a search over the shortage weight (:func:`~hybridinv.reward.spec.as_spec`: all weights 1
    when None, a mapping read as a spec file).

    :func:`enforce_targets` and :func:`~hybridinv.reward.tune.tune` try multiples of its ``shortage`` weight.

    Raises
    ------
    PlanningError
        Naming ``spec`` when it is not a spec, or ``weights.shortage`` when it is 0: every multiple is 0, so
        every candidate was the same spec (the searches tried one policy over and over and reported its weight
        as chosen).
    """
    spec = as_spec(spec)
    if spec.shortage == 0:
        raise PlanningError("the search scales the base spec's shortage weight; at 0 every candidate is the same "
                            "spec (give a weight > 0)", column="weights.shortage", value=spec.shortage)
    return spec


def weight_bracket(weight_range: object) -> tuple[float, float]:
    """``weight_range`` (the searched multipliers of the shortage weight) as ``(low, high)`` with ``0 < low < high``.

    Raises
    ------
    PlanningError
        Naming ``weight_range``: not a pair of finite numbers, ``low <= 0`` or ``low >= high`` (an empty range,
        nothing to search: ``tune`` accepted ``(1, 1)`` and tried weight 1 in every trial).
    """
    low, high = number_pair(weight_range, "weight_range", 0.0, math.inf, open_low=True)
    if not low < high:
        raise PlanningError("need 0 < low < high < inf", column="weight_range", value=weight_range)
    return low, high


def base_stock_levels(scenario: Scenario, service_level: ArrayLike) -> NDArray[np.float64]:
    """Base-stock level per SKU covering ``L + 1`` periods at the given service level.

    Normal approximation of demand over the protection interval:
    ``S = mu (L+1) + z_alpha sqrt((L+1) sigma^2 + mu^2 sigma_L^2)``, rounded up.
    ``sigma`` is the catalog's ``demand_std`` (``sqrt(mu)`` when unknown).
    """
    from scipy import stats

    cat = scenario.catalog
    mean = scenario.demand.mean
    std = np.where(np.isnan(cat.demand_std), np.sqrt(mean), cat.demand_std)
    cover = cat.lead_time + 1.0
    spread = np.sqrt(cover * std**2 + mean**2 * cat.lead_time_std**2)
    z = stats.norm.ppf(np.clip(np.asarray(service_level, dtype=np.float64), 1e-4, 1 - 1e-6))
    return np.maximum(np.ceil(mean * cover + z * spread - 1e-9), 0.0)


def policy_family(name: str, scenario: Scenario, repair: str | None = "auto", **options: Any) -> ServiceLevelFamily:
    """Service-level family for a policy name.

    ``"base_stock"`` uses :func:`base_stock_levels`; any other registered policy
    must accept a ``service_level`` option (scalar or per-SKU array).
    """
    if name == "base_stock":
        from hybridinv.policies.classical import BaseStock

        return lambda level: BaseStock(base_stock_levels(scenario, level), repair=repair)
    from hybridinv.policies.registry import make

    def build(level: NDArray[np.float64]) -> Policy:
        try:
            return make(name, scenario, service_level=level, **options)
        except TypeError as exc:
            raise PlanningError(f"policy does not take a service_level option ({exc})", column="policy",
                                value=name) from exc

    return build


@dataclass(frozen=True, eq=False)
class EnforcementResult:
    """Outcome of :func:`enforce_targets`.

    Attributes
    ----------
    shortage_weight : float
        Chosen multiplier of the base spec's shortage weight (``spec.shortage`` holds the product).
    spec : RewardSpec
        The base spec with the chosen shortage weight.
    service_level : array
        Per-SKU service level of the chosen policy.
    policy : Policy
    feasible : bool
        Whether all targets held on the training seeds.
    report : DataFrame
        One row per target: train and held-out means, 95% CI, ``met`` (held-out
        mean meets the target) and ``confident`` (the whole CI does, and it has a width: seeds that all
        give the same value are not confident).
    evaluations : DataFrame
        Every weight tried during the bisection with its training KPI means.
    """

    shortage_weight: float
    spec: RewardSpec
    service_level: NDArray[np.float64]
    policy: Policy
    feasible: bool
    report: pd.DataFrame
    evaluations: pd.DataFrame

    @property
    def all_met(self) -> bool:
        """Whether every target is met on the held-out seeds."""
        return bool(self.report["met"].all())


def target_report(targets: str | KPITarget | Sequence[str | KPITarget], evaluation: pd.DataFrame,
                  level: float = 0.95) -> pd.DataFrame:
    """Per-target mean, confidence interval and verdict from per-seed KPIs.

    ``targets`` as :func:`~hybridinv.reward.targets.parse_targets` takes them (one target string is a list of
    one; a string was an AttributeError).

    Intervals of KPIs with a bounded range (rates) stay inside it (:func:`confidence_interval`).

    Raises
    ------
    PlanningError
        Naming ``evaluation`` and the KPI when it has no column for a target's KPI, or ``level``.
    """
    rows = []
    for target in parse_targets(targets):
        if target.kpi not in evaluation.columns:  # a KeyError
            raise PlanningError(f"the evaluation has no column for the target's KPI (columns: "
                                f"{sorted(map(str, evaluation.columns))})", column="evaluation", value=target.kpi)
        measured = evaluation[target.kpi]
        if measured.isna().all():  # no run measured the KPI: no mean, not met (confidence_interval refuses it)
            level = number_in(level, "level", 0.0, 1.0, open_low=True, open_high=True)
            mean = low = high = math.nan
        else:
            mean, low, high = confidence_interval(measured, level, KPI_RANGES.get(target.kpi))
        worst = low if target.op == ">=" else high
        rows.append(
            {
                "target": str(target),
                "kpi": target.kpi,
                "op": target.op,
                "level": target.level,
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "met": target.satisfied(mean),
                # a zero-width interval (every seed the same, e.g. a fill rate of 1 on two short runs) says nothing
                # about the spread between seeds: it read as confident
                "confident": target.satisfied(worst) and bool(high > low or not math.isfinite(low)),
            }
        )
    return pd.DataFrame(rows)


class _Search:
    """Cached training evaluations of the family at log shortage weights."""

    def __init__(self, family: ServiceLevelFamily, scenario: Scenario, spec: RewardSpec, seeds: list[int],
                 targets: list[KPITarget], z: float, margin: float) -> None:
        self.family, self.scenario, self.spec, self.seeds = family, scenario, spec, seeds
        self.targets, self.z, self.margin = targets, z, margin
        self.cache: dict[float, dict[str, float]] = {}

    def spec_at(self, log_weight: float) -> RewardSpec:
        return self.spec.replace(shortage=self.spec.shortage * math.exp(log_weight))

    def levels(self, log_weight: float) -> NDArray[np.float64]:
        return critical_ratio(self.scenario.catalog, self.spec_at(log_weight))

    def stats(self, log_weight: float) -> dict[str, float]:
        key = round(log_weight, 12)
        if key not in self.cache:
            frame = evaluate_policy(self.family(self.levels(log_weight)), self.scenario, self.seeds, self.spec)
            row: dict[str, float] = {
                "shortage_weight": math.exp(log_weight),
                "avg_cost": float(frame.avg_cost.mean()),
                "spec_cost": float(frame.spec_cost.mean()),
            }
            for target in self.targets:
                values = frame[target.kpi].to_numpy(dtype=np.float64)
                values = values[~np.isnan(values)]  # NaN seeds are left out, as in the tuner (one made the mean NaN)
                mean = float(values.mean()) if values.size else math.nan
                spread = values.size > 1 and math.isfinite(mean)  # an infinite mean is certain (NaN spread)
                se = float(values.std(ddof=1) / math.sqrt(values.size)) if spread else 0.0
                row[target.kpi] = mean
                row[f"{target.kpi}_se"] = se
            self.cache[key] = row
        return self.cache[key]

    def feasible(self, target: KPITarget, log_weight: float) -> bool:
        row = self.stats(log_weight)
        return target.satisfied(row[target.kpi], self.margin + self.z * row[f"{target.kpi}_se"])

    def violation(self, log_weight: float) -> float:
        return normalized_violation(self.targets, self.stats(log_weight))

    def bound(self, target: KPITarget, low: float, high: float, iterations: int) -> tuple[str, float] | None:
        """('lower'|'upper', log weight) of the feasible side, None if no bound; raises if never feasible."""
        at_low, at_high = self.feasible(target, low), self.feasible(target, high)
        if at_low and at_high:
            return None
        if not (at_low or at_high):
            return ("infeasible", math.nan)
        bad, good = (low, high) if at_high else (high, low)
        for _ in range(iterations):
            middle = 0.5 * (bad + good)
            if self.feasible(target, middle):
                good = middle
            else:
                bad = middle
        return ("lower" if at_high else "upper", good)


def enforce_targets(
    scenario: Scenario | str,
    targets: Iterable[str | KPITarget],
    policy: str | ServiceLevelFamily = "base_stock",
    spec: RewardSpec | None = None,
    train_seeds: int | Iterable[int] = 8,
    eval_seeds: int | Iterable[int] | None = None,
    periods: int | None = None,
    weight_range: tuple[float, float] = (1e-2, 1e3),
    iterations: int = 10,
    z: float = 1.645,
    margin: float = 0.0,
    repair: str | None = "auto",
) -> EnforcementResult:
    """Find the shortage weight whose service-level policy meets the targets.

    Parameters
    ----------
    scenario : Scenario or str
    targets : iterable of str or KPITarget
        E.g. ``["fill_rate>=0.95", "waste_rate<=0.02"]``; each KPI must move
        monotonically with the service level.
    policy : str or callable
        ``"base_stock"``, a registered policy taking ``service_level``, or a
        callable mapping per-SKU service levels to a policy.
    spec : RewardSpec or mapping, optional
        Base weights (default all 1; a mapping as :meth:`RewardSpec.to_dict` gives); the result changes only
        ``shortage`` (a multiple of the base's, which must be > 0).
    train_seeds, eval_seeds : int or iterable of int
        Seeds for the search and disjoint held-out seeds for the report (an int
        ``k`` for eval means ``k`` seeds after the training ones; default as many).
    periods : int, optional
        Shorter horizon for speed.
    weight_range : (float, float)
        Bracket of the shortage weight (searched on a log scale).
    iterations : int
        Bisection steps per target (``log`` precision ``range / 2**iterations``).
    z, margin : float
        On training seeds a target counts as met when ``slack >= margin + z * standard error``; with
        ``z > 0`` and one training seed (no standard error) a :class:`~hybridinv.PlanningWarning` says the
        targets are judged on that seed's value alone.
    repair : str or None
        Repair backend passed to the policy family.

    Returns
    -------
    EnforcementResult

    Raises
    ------
    PlanningError
        For invalid targets, ranges or seeds shared between training and evaluation.
    """
    parsed = parse_targets(targets)
    if not parsed:
        raise PlanningError("give at least one target", column="target")
    low_weight, high_weight = weight_bracket(weight_range)
    iterations = whole_number(iterations, "iterations", 1)  # 2.5 was a TypeError from range()
    z = number_in(z, "z", 0.0, math.inf)
    margin = number_in(margin, "margin", -math.inf, math.inf)
    spec = searched_spec(spec)
    scenario = resolve_scenario(scenario, periods, fitting=True)
    check_kpis_defined([t.kpi for t in parsed], scenario, spec)
    train = seed_list(train_seeds, column="train_seeds")
    if z > 0 and len(train) < 2:  # one seed has no standard error: it is taken as 0, without a word until 2026-12-06
        warnings.warn("one training seed has no standard error: targets are judged on its value alone, as with z=0 "
                      "(give at least 2 train_seeds for the z standard-error rule)", PlanningWarning, stacklevel=2)
    held_out = seed_list(len(train) if eval_seeds is None else eval_seeds, start=max(train) + 1, column="eval_seeds")
    if set(train) & set(held_out):
        raise PlanningError("training and evaluation seeds must differ", column="eval_seeds")
    if not (isinstance(policy, str) or callable(policy)):  # "'float' object is not callable" in the first step
        raise PlanningError("must be a policy name or a function service level -> policy", column="policy",
                            value=policy)
    family = policy_family(policy, scenario, repair) if isinstance(policy, str) else policy
    search = _Search(family, scenario, spec, train, parsed, z, margin)
    low, high = math.log(low_weight), math.log(high_weight)
    lower, upper, infeasible = low, high, False
    for target in parsed:
        bound = search.bound(target, low, high, iterations)
        if bound is None:
            continue
        side, value = bound
        if side == "infeasible":
            infeasible = True
        elif side == "lower":
            lower = max(lower, value)
        else:
            upper = min(upper, value)
    if not infeasible and lower <= upper:
        search.stats(min(max(0.0, lower), upper))  # the cost-optimal weight 1, or the feasible end nearest to it
    feasible_points = [x for x in search.cache if all(search.feasible(t, x) for t in parsed)]
    feasible = bool(feasible_points)
    if feasible:
        chosen = min(feasible_points, key=lambda x: (search.cache[x]["spec_cost"], abs(x)))
    else:
        chosen = min(search.cache, key=lambda x: (search.violation(x), abs(x)))
    chosen_spec = search.spec_at(chosen)
    levels = search.levels(chosen)
    chosen_policy = family(levels)
    evaluation = evaluate_policy(chosen_policy, scenario, held_out, spec)
    report = target_report(parsed, evaluation)
    train_row = search.stats(chosen)
    report.insert(4, "train_mean", [train_row[t.kpi] for t in parsed])
    evaluations = pd.DataFrame(sorted(search.cache.values(), key=lambda r: r["shortage_weight"]))
    return EnforcementResult(math.exp(chosen), chosen_spec, levels, chosen_policy, feasible, report, evaluations)
