"""Evaluate a policy under a RewardSpec over seeds, with confidence intervals.

Every seed gives every candidate the same demand and lead-time path (common
random numbers), so differences between candidates are not sampling noise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hybridinv.core.errors import PlanningError, number_array, number_in
from hybridinv.core.errors import horizon as checked_horizon
from hybridinv.reward.outcome import record_episode
from hybridinv.reward.spec import RewardSpec, as_spec
from hybridinv.sim.runner import policy_for, scenario_of

if TYPE_CHECKING:
    from hybridinv.policies.base import Policy
    from hybridinv.sim.scenario import Scenario

__all__ = ["confidence_interval", "evaluate_policy", "resolve_scenario", "seed_list"]


def seed_list(seeds: int | Iterable[int], start: int = 0, column: str = "seeds") -> list[int]:
    """``k`` → ``[start, ..., start + k - 1]``; a list of distinct whole numbers >= 0 is taken as given.

    Raises
    ------
    PlanningError
        Naming ``column``: a count below 1, text, booleans, fractions, negative or repeated seeds
        (``"2"`` and 2.5 were TypeErrors, ``True`` one seed, a repeat counted one path twice), a count above
        :data:`~hybridinv.core.limits.MAX_EPISODES`.
    """
    from hybridinv.sim.runner import seed_numbers

    numbers = seed_numbers(seeds, column)
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        return [start + seed for seed in numbers]
    return numbers


def resolve_scenario(scenario: Scenario | str, periods: int | None = None, fitting: bool = False) -> Scenario:
    """A scenario object from a registry name, with the horizon shortened to ``periods`` when given.

    Anything but a :class:`~hybridinv.sim.Scenario` or a name is a :class:`PlanningError` naming ``scenario``.

    ``fitting=True`` (tuners) returns the scenario to fit on
    (:meth:`~hybridinv.sim.Scenario.for_fitting`): a replay of held-out periods is
    replaced by the bootstrap of its training window.
    """
    scenario = scenario_of(scenario)  # tune(None, ...) was "'NoneType' object has no attribute ..."
    if fitting:
        scenario = scenario.for_fitting()
    if periods is not None:
        horizon = checked_horizon(periods, scenario.periods)  # "2", True or 2.5 were read (or a bare int() error)
        if horizon != scenario.periods:
            scenario = scenario.replace(periods=horizon, warmup=scenario.warmup_for(horizon))
    return scenario


def evaluate_policy(
    policy: Policy | str,
    scenario: Scenario | str,
    seeds: int | Iterable[int] = 10,
    spec: RewardSpec | None = None,
    periods: int | None = None,
) -> pd.DataFrame:
    """Simulate ``policy`` once per seed; one row per seed.

    ``policy`` is an object with ``act(observation)`` or a registered policy name (fitted to ``scenario`` by
    :func:`hybridinv.policies.registry.make`, as :func:`hybridinv.sim.simulate` does); ``spec`` a
    :class:`RewardSpec` or a mapping (:meth:`RewardSpec.from_dict`), all weights 1 by default.

    Columns are the KPIs of :meth:`hybridinv.sim.Ledger.summary` plus those of
    :meth:`RewardSpec.evaluate` (``spec_cost``, ``reward``, ``carbon_kg``,
    ``revenue``, ``profit``, ``spec_<term>``) and ``seed``.
    """
    scenario = resolve_scenario(scenario, periods)
    spec = as_spec(spec)  # a dict was an AttributeError in the first episode's evaluation
    policy = policy_for(policy, scenario)  # as simulate: a name was "'str' object has no attribute 'act'"
    rows: list[dict[str, Any]] = []
    for seed in seed_list(seeds):
        ledger = record_episode(policy, scenario, seed)
        row: dict[str, Any] = {"seed": seed}
        row.update(ledger.summary())
        row.update(spec.evaluate(ledger))
        rows.append(row)
    return pd.DataFrame(rows)


def confidence_interval(
    values: ArrayLike, level: float = 0.95, bounds: tuple[float, float] | None = None
) -> tuple[float, float, float]:
    """Mean and confidence interval of the mean of independent runs.

    Parameters
    ----------
    values : array_like
        One KPI value per run (seed); NaN values (runs that did not measure the KPI) are dropped, as
        pandas' ``mean`` (the tuner's training means) drops them. An infinite value is kept: the mean is then
        infinite (NaN with both signs) and so is the whole interval, ``(mean, mean)``, as the tuner's
        training means say (until 2026-12-06 infinities were dropped, so ``inventory_turns`` of ``inf`` on every
        seed was feasible in training and NaN, not met, in the held-out report).
    level : float, default 0.95
        Coverage, in (0, 1).
    bounds : (low, high), optional
        The range the KPI lives in (e.g. ``(0, 1)`` for a fill rate, see
        :data:`hybridinv.reward.targets.KPI_RANGES`). The Student-t interval is clipped
        to it, so it never leaves the range however few runs there are (a plain
        t-interval of the two fill rates 0.50 and 0.84 reaches from -1.5 to 2.8; clipped,
        it is the whole of [0, 1], which is what two runs tell). Until 2026-12-04 the
        interval was computed on the logit scale with values on the bounds moved 1e-6
        inside: one run at a fill rate of exactly 1 then became an outlier that widened
        the interval of [0.98, 0.99, 1.0, 0.995, 0.99] to [0.78, 1.0]. A pair ``low < high`` (either may be
        infinite).

    Raises
    ------
    PlanningError
        Naming ``level`` (not a number in (0, 1): 95 gave a NaN interval), ``bounds`` (not a pair with
        ``low < high``) or ``values`` (text or booleans; None, empty or all NaN: until 2026-12-06 these
        returned ``(nan, nan, nan)`` without a word).

    Returns
    -------
    (mean, low, high)
        For a single value the interval is unknown: the whole range (``-inf, inf`` without
        ``bounds``). Until 2026-12-04 it was ``mean, mean``, so one seed reported a zero-width
        interval and a target met "with confidence".
    """
    from scipy import stats

    level = number_in(level, "level", 0.0, 1.0, open_low=True, open_high=True)  # 95 or "0.95": a NaN interval
    if bounds is not None:
        if not isinstance(bounds, tuple | list) or len(bounds) != 2:
            raise PlanningError("must be a pair (low, high)", column="bounds", value=bounds)
        low_bound, high_bound = (number_in(b, "bounds", -math.inf, math.inf, allow_inf=True) for b in bounds)
        if not low_bound < high_bound:  # (1, 0) clipped every interval to the point (1, 0)
            raise PlanningError("need low < high", column="bounds", value=bounds)
        bounds = (low_bound, high_bound)
    if values is None:  # was (nan, nan, nan), like a KPI no run measured
        raise PlanningError("must be numbers, one per run", column="values", value=values)
    arr = number_array(values, "values").reshape(-1)
    arr = arr[~np.isnan(arr)]  # a run that did not measure the KPI; an infinite value is a value
    if arr.size == 0:  # [], nan or all NaN: there is no mean to give an interval for (it was (nan, nan, nan))
        raise PlanningError("needs at least one value that is not NaN (a run that measured the KPI)",
                            column="values", value=values if np.ndim(values) == 0 else None)
    with np.errstate(invalid="ignore"):  # +inf and -inf together: NaN
        mean = float(arr.mean())
    if arr.size < 2:
        return (mean, -math.inf, math.inf) if bounds is None else (mean, bounds[0], bounds[1])
    if not math.isfinite(mean):  # an infinite run makes the mean infinite, whatever the others are
        return mean, mean, mean
    quantile = float(stats.t.ppf(0.5 + level / 2, arr.size - 1))
    half = quantile * float(arr.std(ddof=1)) / math.sqrt(arr.size)
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return mean, low, high
