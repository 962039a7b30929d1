"""Newsvendor-type policies and the demand statistics the classical policies are fitted from.

The functions here are shared by the other classical policies:

* :func:`critical_fractile` -- the cost ratio ``p / (p + h)``;
* :func:`demand_quantile` -- quantiles of demand over several periods (normal,
  Poisson or negative binomial with matched moments), vectorized over SKUs;
* :class:`DemandStatistics` and :func:`demand_statistics` -- per-SKU mean and
  standard deviation of demand, lead times and costs read from a scenario or an
  observation.

:class:`Newsvendor` re-solves a newsvendor problem each period on the forecast
of the next ``lead time + review period`` periods, so its order-up-to level
follows seasonality and announced promotions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, scalar_or_array, whole_number
from hybridinv.policies.base import Decision, TargetPolicy, fitted_on, mark_fitted, per_sku

if TYPE_CHECKING:
    from hybridinv.demand.leadtime import Disruptions
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "DemandStatistics",
    "Newsvendor",
    "critical_fractile",
    "demand_cdf",
    "demand_quantile",
    "demand_statistics",
    "disruption_delay_moments",
    "normal_quantile",
]


def normal_quantile(probability: ArrayLike) -> NDArray[np.float64]:
    """The standard normal quantile ``z = Phi^-1(probability)`` (``scipy.stats.norm.ppf``, the same values).

    scipy is imported on the first call, so importing the policies stays light.

    Examples
    --------
    >>> round(float(normal_quantile(0.975)), 4)
    1.96
    """
    from scipy.special import ndtri

    return np.asarray(ndtri(np.asarray(probability, dtype=np.float64)), dtype=np.float64)


def critical_fractile(holding_cost: ArrayLike, shortage_cost: ArrayLike) -> NDArray[np.float64]:
    """The newsvendor critical ratio ``p / (p + h)``, clipped to ``[1e-4, 0.9999]``.

    Parameters
    ----------
    holding_cost : array_like
        Cost per unit left over per period ``[h]``.
    shortage_cost : array_like
        Cost per unit short ``[p]``.

    Returns
    -------
    numpy.ndarray
        The fractile per SKU.

    References
    ----------
    Snyder, L. V. and Shen, Z.-J. M. (2019). *Fundamentals of Supply Chain Theory*, 2nd ed., sec. 4.3.

    Examples
    --------
    >>> round(float(critical_fractile(0.18, 0.70)), 4)  # Snyder & Shen's newsvendor example 4.1 costs
    0.7955
    """
    holding = np.asarray(holding_cost, dtype=np.float64)
    shortage = np.asarray(shortage_cost, dtype=np.float64)
    total = holding + shortage
    ratio = np.divide(shortage, total, out=np.full(np.broadcast(holding, shortage).shape, 0.5), where=total > 0)
    return np.clip(ratio, 1e-4, 0.9999)


def _negative_binomial(
    mean: NDArray[np.float64], std: NDArray[np.float64]
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:
    """Moment-matched negative binomial ``(over, size, success)``; ``over`` False where ``sigma^2 <= mu`` (Poisson)."""
    variance = std**2
    over = variance > mean * (1.0 + 1e-9)
    safe_var = np.where(over, variance, mean + 1.0)
    success = np.where(over, mean / safe_var, 0.5)
    size = np.where(over, mean**2 / np.maximum(safe_var - mean, 1e-12), 1.0)
    return over, np.maximum(size, 1e-9), np.clip(success, 1e-12, 1.0)


def demand_quantile(
    mean: ArrayLike,
    std: ArrayLike,
    fractile: ArrayLike,
    distribution: str = "normal",
) -> NDArray[np.float64]:
    """Quantile of demand with the given mean and standard deviation, per SKU.

    Parameters
    ----------
    mean, std : array_like
        Mean ``[mu]`` and standard deviation ``[sigma]`` of the (multi-period) demand.
    fractile : array_like
        Probability level(s) in (0, 1).
    distribution : {"normal", "poisson", "negative_binomial"}
        ``"normal"``: ``mu + z sigma`` (not rounded). ``"poisson"``: Poisson(``mu``)
        quantile (``std`` ignored). ``"negative_binomial"``: moments matched
        (falls back to Poisson where ``sigma^2 <= mu``). Discrete quantiles are
        the smallest integer ``y`` with ``F(y) >= fractile``.

    Returns
    -------
    numpy.ndarray
    """
    mean_arr = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    std_arr = np.maximum(np.asarray(std, dtype=np.float64), 0.0)
    prob = np.asarray(fractile, dtype=np.float64)
    if distribution == "normal":
        return np.asarray(mean_arr + normal_quantile(prob) * std_arr, dtype=np.float64)
    from scipy import stats  # imported here: scipy.stats takes ~0.5 s to import

    if distribution == "poisson":
        return np.asarray(stats.poisson.ppf(prob, np.maximum(mean_arr, 1e-9)), dtype=np.float64)
    if distribution == "negative_binomial":
        over, size, success = _negative_binomial(mean_arr, std_arr)
        nb = stats.nbinom.ppf(prob, size, success)
        poisson = stats.poisson.ppf(prob, np.maximum(mean_arr, 1e-9))
        return np.asarray(np.where(over, nb, poisson), dtype=np.float64)
    raise PlanningError("unknown demand distribution", column="distribution", value=distribution)


def demand_cdf(
    level: ArrayLike,
    mean: ArrayLike,
    std: ArrayLike,
    distribution: str = "normal",
) -> NDArray[np.float64]:
    """``P(D <= level)`` for the demand :func:`demand_quantile` inverts (same moments, same distributions).

    ``level`` broadcasts against ``mean`` and ``std``; a normal demand of standard deviation 0 is a
    point mass at its mean.
    """
    y = np.asarray(level, dtype=np.float64)
    mean_arr = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    std_arr = np.maximum(np.asarray(std, dtype=np.float64), 0.0)
    from scipy import stats  # imported here: scipy.stats takes ~0.5 s to import

    if distribution == "normal":
        spread = np.where(std_arr > 0, std_arr, 1.0)
        return np.asarray(np.where(std_arr > 0, stats.norm.cdf((y - mean_arr) / spread), y >= mean_arr),
                          dtype=np.float64)
    poisson = stats.poisson.cdf(y, np.maximum(mean_arr, 1e-9))
    if distribution == "poisson":
        return np.asarray(poisson, dtype=np.float64)
    if distribution == "negative_binomial":
        over, size, success = _negative_binomial(mean_arr, std_arr)
        return np.asarray(np.where(over, stats.nbinom.cdf(y, size, success), poisson), dtype=np.float64)
    raise PlanningError("unknown demand distribution", column="distribution", value=distribution)


_STATISTICS = ("mean", "std", "lead_time", "lead_time_std", "holding_cost", "shortage_cost", "order_cost",
               "lot_size", "moq", "lead_time_delay", "shelf_life", "expiry_cost")
_DISTRIBUTIONS = ("normal", "poisson", "negative_binomial")


@dataclass(frozen=True)
class DemandStatistics:
    """Per-SKU inputs of the closed-form policies (arrays of shape (n,)).

    Attributes
    ----------
    mean, std : one-period demand mean ``[mu]`` and standard deviation ``[sigma]``.
    lead_time, lead_time_std : planned lead time ``[L]`` and its standard deviation (the
        disruption delay's included).
    holding_cost, shortage_cost, order_cost : ``[h]``, ``[p]``, ``[K]``.
    lot_size, moq : ordering rules.
    lost_sales : whether unmet demand is lost.
    distribution : ``"normal"``, ``"poisson"`` or ``"negative_binomial"``.
    lead_time_delay : mean delay beyond the planned lead time ``[delta]`` (supplier
        disruptions), scalar or per SKU; 0 by default.
    shelf_life : periods a unit can be sold for after it arrives (0: it does not perish), scalar or
        per SKU; 0 by default. Bounds the batches of the (s, S) and (R, Q) rules
        (:func:`~hybridinv.policies.rq.economic_order_quantity`).
    expiry_cost : what a unit that expires unsold costs (its purchase and the scenario's ``waste_cost``),
        scalar or per SKU; 0 by default. Weighs a perishable batch's waste against its order cost
        (:func:`~hybridinv.policies.rq.perishable_batch`).
    """

    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    lead_time: NDArray[np.float64]
    lead_time_std: NDArray[np.float64]
    holding_cost: NDArray[np.float64]
    shortage_cost: NDArray[np.float64]
    order_cost: NDArray[np.float64]
    lot_size: NDArray[np.float64]
    moq: NDArray[np.float64]
    lost_sales: bool = True
    distribution: str = "normal"
    lead_time_delay: NDArray[np.float64] | float = 0.0
    shelf_life: NDArray[np.float64] | float = 0.0
    expiry_cost: NDArray[np.float64] | float = 0.0

    def __post_init__(self) -> None:
        """Every field one finite value per SKU (``>= 0``; ``lot_size > 0``), a known distribution.

        Statistics made by hand were not checked: lists failed with a ``TypeError``, arrays of another
        length with numpy's broadcasting error, and a NaN mean gave NaN levels.
        """
        from hybridinv.core._frame import number_array

        n = np.size(self.mean)
        for name in ("lead_time_delay", "shelf_life", "expiry_cost"):
            if np.ndim(getattr(self, name)) == 0:  # a scalar applies to every SKU
                object.__setattr__(self, name, np.full(n, getattr(self, name), dtype=np.float64))
        for name in _STATISTICS:
            values = number_array(getattr(self, name), name)
            if values.ndim != 1 or values.size != n:
                raise PlanningError(f"needs one value per SKU ({n}, as mean), got shape {values.shape}", column=name)
            low = float(values.min()) if values.size else 1.0
            high = float(values.max()) if values.size else 0.0
            if not (low > 0.0 if name == "lot_size" else low >= 0.0) or not high < np.inf:  # NaN fails both
                bad = ~np.isfinite(values) | ((values <= 0.0) if name == "lot_size" else (values < 0.0))
                i = int(np.flatnonzero(bad)[0])
                raise PlanningError(f"must be finite and {'> 0' if name == 'lot_size' else '>= 0'} (SKU {i})",
                                    column=name, value=float(values[i]))
            # a read-only array (a catalog's) cannot change under the statistics: no copy needed
            owned = values.dtype == np.float64 and not values.flags.writeable
            object.__setattr__(self, name, values if owned else values.astype(np.float64))
        if self.distribution not in _DISTRIBUTIONS:
            raise PlanningError(f"must be one of {_DISTRIBUTIONS}", column="distribution", value=self.distribution)

    def over_periods(self, periods: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean and std of demand over ``periods`` periods with the random lead time folded in.

        ``periods`` is a protection interval that contains the lead time; with the mean delay
        ``delta`` it lasts ``N = periods + delta`` periods on average, and the demand over it has
        ``mean = mu N`` and ``var = N sigma^2 + mu^2 sigma_L^2`` (a random sum of independent
        periods; Zipkin 2000, sec. 7.3 / Silver, Pyke & Peterson).
        """
        span = np.asarray(periods, dtype=np.float64) + self.lead_time_delay
        mean = self.mean * span
        var = span * self.std**2 + self.mean**2 * self.lead_time_std**2
        return mean, np.sqrt(var)

    def quantile(self, periods: ArrayLike, fractile: ArrayLike) -> NDArray[np.float64]:
        """Quantile of demand over ``periods`` periods (lead-time uncertainty included)."""
        mean, std = self.over_periods(periods)
        spread = self._spread_lead()
        if spread is None:
            return demand_quantile(mean, std, fractile, self.distribution)
        return np.where(spread, demand_quantile(mean, std, fractile, "negative_binomial"),
                        demand_quantile(mean, std, fractile, "poisson"))

    def cdf(self, periods: ArrayLike, level: ArrayLike) -> NDArray[np.float64]:
        """``P(demand over periods <= level)``, the distribution :meth:`quantile` inverts; ``level`` of shape
        (n,) or (n, k)."""
        mean, std = self.over_periods(periods)
        y = np.asarray(level, dtype=np.float64)
        extra = (slice(None),) + (None,) * (y.ndim - 1)
        spread = self._spread_lead()
        if spread is None:
            return demand_cdf(y, mean[extra], std[extra], self.distribution)
        return np.where(spread[extra], demand_cdf(y, mean[extra], std[extra], "negative_binomial"),
                        demand_cdf(y, mean[extra], std[extra], "poisson"))

    def _spread_lead(self) -> NDArray[np.bool_] | None:
        """Poisson SKUs whose lead time varies (their demand over it is over-dispersed: negative binomial), or
        None when the distribution is the same for every SKU. Per SKU: one SKU's lead-time spread switched every
        SKU of the catalog, and a SKU's level depended on the others (37 alone, 41 beside one with a spread)."""
        spread = np.asarray(self.lead_time_std) > 0
        if self.distribution != "poisson" or not spread.any():
            return None
        return np.broadcast_to(spread, np.shape(self.mean))

    def fractile(self) -> NDArray[np.float64]:
        """Critical ratio ``p / (p + h)``."""
        return critical_fractile(self.holding_cost, self.shortage_cost)


def _distribution_name(scenario: Scenario) -> str:
    name = str(getattr(scenario.demand.distribution, "value", scenario.demand.distribution))
    return name if name in ("poisson", "negative_binomial") else "normal"


def disruption_delay_moments(disruptions: Disruptions) -> tuple[float, float]:
    """Mean and variance of the delay supplier disruptions add to an order's lead time.

    The supplier is disrupted a long-run share ``s = p D / (1 + p D)`` of the periods (the
    stationary law of the two-state chain: entry probability ``p``, mean duration ``D``), and an
    order placed while it is disrupted is late by ``U``, uniform on ``1..E`` (``E =
    extra_delay``). The delay ``X = B U`` with ``B ~ Bernoulli(s)`` has ``E[X] = s (E + 1) / 2``
    and ``Var[X] = s (E + 1)(2E + 1) / 6 - E[X]^2``. (Until 2026-12-04 the variance was taken as
    ``s (1 - s) E^2``, as if every late order were ``E`` periods late: 0.86 instead of 0.45 on
    ``disrupted``, and the mean delay was left out.) Delivered fractions below 1 are not
    modelled here.
    """
    top = int(disruptions.extra_delay)
    if top <= 0:
        return 0.0, 0.0
    rate = disruptions.probability * disruptions.mean_duration
    share = rate / (1.0 + rate)
    mean = share * (top + 1) / 2.0
    return mean, share * (top + 1) * (2 * top + 1) / 6.0 - mean**2


def _review_period(value: object) -> int:
    """A whole number of periods from 1 to MAX_LEAD_TIME (10**30 passed, then numpy's "Maximum allowed size
    exceeded" at the first decision: the protection window is allocated per period)."""
    from hybridinv.core.limits import MAX_LEAD_TIME

    periods = whole_number(value, "review_period", 1)
    if periods > MAX_LEAD_TIME:
        raise PlanningError(f"must be at most MAX_LEAD_TIME = {MAX_LEAD_TIME} periods", column="review_period",
                            value=value)
    return periods


def fit_source(source: object, *, statistics: bool = False) -> Any:
    """What a policy's ``fit`` reads: a Scenario or an Observation (or :class:`DemandStatistics` where
    ``statistics``).

    Raises
    ------
    PlanningError
        Naming ``source`` and its type (``fit(5)`` and ``fit("multi_10")`` were AttributeErrors: "'str' object
        has no attribute 'catalog'"), with the call that turns a scenario name into a scenario (the policies
        do not import the registry, which imports them), and saying that statistics carry no costs where they
        are not enough.
    """
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

    if isinstance(source, Scenario | Observation) or (statistics and isinstance(source, DemandStatistics)):
        return source
    kinds = "a Scenario or an Observation" + (" or DemandStatistics" if statistics else "")
    if isinstance(source, str):
        raise PlanningError(f"must be {kinds}: for a scenario name pass hybridinv.scenarios.get({source!r})",
                            column="source", value=source)
    hint = " (DemandStatistics carry no costs: fit on the scenario)" if isinstance(source, DemandStatistics) else ""
    raise PlanningError(f"must be {kinds}{hint}", column="source", value=type(source).__name__)


def demand_statistics(source: Scenario | Observation) -> DemandStatistics:
    """Demand statistics per SKU from a scenario (its demand process) or an observation.

    From an observation the catalog's ``demand_mean``/``demand_std`` are used
    where known, else the one-period forecast and its standard deviation.
    """
    from hybridinv.sim.scenario import Scenario

    read: Scenario | Observation = fit_source(source)
    catalog = read.catalog
    delay: NDArray[np.float64] | float = 0.0
    if isinstance(read, Scenario):
        scenario = read
        mean = np.asarray(scenario.demand.mean, dtype=np.float64)
        std = np.asarray(scenario.demand.base_std(mean), dtype=np.float64)
        lead = scenario.lead_times
        assert lead is not None
        lead_std = np.asarray(lead.std, dtype=np.float64)
        if lead.disruptions is not None:
            # each SKU's supplier's delay (per supplier when the disruptions are)
            models, member = lead.disruptions_by_sku()
            moments = np.array([(0.0, 0.0) if d is None else disruption_delay_moments(d) for d in models])
            delay_var = moments[member, 1] if len(models) > 1 else moments[0, 1]
            delay = moments[member, 0] if len(models) > 1 else float(moments[0, 0])
            lead_std = np.sqrt(lead_std**2 + delay_var)
        lost_sales = bool(scenario.lost_sales)
        distribution = _distribution_name(scenario)
    else:
        obs = read
        forecast = obs.forecast(1)[:, 0]
        forecast_std = obs.forecast_std(1)[:, 0]
        mean = np.where(np.isnan(catalog.demand_mean), forecast, catalog.demand_mean)
        std = np.where(np.isnan(catalog.demand_std), forecast_std, catalog.demand_std)
        lead_std = np.asarray(catalog.lead_time_std, dtype=np.float64)
        lost_sales = bool(obs.lost_sales)
        distribution = "normal"
    return DemandStatistics(
        mean=mean,
        std=std,
        lead_time=catalog.lead_time.astype(np.float64),
        lead_time_std=lead_std,
        holding_cost=np.asarray(catalog.holding_cost, dtype=np.float64),
        shortage_cost=np.asarray(catalog.shortage_cost, dtype=np.float64),
        order_cost=np.asarray(catalog.order_cost, dtype=np.float64),
        lot_size=np.asarray(catalog.lot_size, dtype=np.float64),
        moq=np.asarray(catalog.moq, dtype=np.float64),
        lost_sales=lost_sales,
        distribution=distribution,
        lead_time_delay=delay,
        shelf_life=np.asarray(catalog.shelf_life, dtype=np.float64),
        expiry_cost=np.asarray(catalog.unit_cost, dtype=np.float64) + float(read.waste_cost),
    )


def _service_level(value: object) -> float | NDArray[np.float64]:
    """A scalar or per-SKU service level, each in (0, 1) (PlanningError otherwise)."""
    level = scalar_or_array(value, "service_level", 0.0, open_low=True)
    if np.ndim(level) > 1:  # a (1, n) table failed later in numpy's broadcasting
        raise PlanningError(f"must be a number or one value per SKU, got shape {np.shape(level)}",
                            column="service_level")
    if np.any(np.asarray(level) >= 1.0):
        raise PlanningError("must be in (0, 1)", column="service_level", value=float(np.max(level)))
    return level  # type: ignore[no-any-return]


class Newsvendor(TargetPolicy):
    """Order up to the newsvendor quantile of the forecast over lead time + review period.

    Each period, for every SKU, the order-up-to level is

    ``S_t = mu_t + z_alpha * sigma_t``, with ``mu_t = sum_{k=0}^{L+R-1} f_{t+k}`` the
    forecast over the protection interval and
    ``sigma_t^2 = sum_k s_{t+k}^2 + (mu_t / (L+R))^2 sigma_L^2``,

    and ``alpha`` the target service level or the critical ratio ``p / (p + h)``.
    Because it reads ``obs.forecast``/``obs.forecast_std`` every period it
    follows seasonality and announced promotions.

    Orders are placed at reviews only: in simulation the first period of each episode
    and every ``R``-th period after it (the periodic-review ``(R, S)`` policy; in the
    other periods it orders nothing); each ``plan()`` call is a review.

    Parameters
    ----------
    service_level : float or array, optional
        Target cycle service level ``[alpha]`` in (0, 1), scalar or one per SKU (how
        :func:`hybridinv.reward.enforce_targets` drives it); None uses ``p / (p + h)`` per SKU.
    review_period : int
        Periods between reviews ``[R]`` (1 = every period); orders are placed at reviews only.
    safety_factor : float or array
        Multiplier of the safety stock ``z sigma`` (1 = textbook; tuned by
        :mod:`hybridinv.policies.tuning`).
    repair : str or None
        Repair backend, see :class:`~hybridinv.policies.base.TargetPolicy`.

    References
    ----------
    Snyder, L. V. and Shen, Z.-J. M. (2019). *Fundamentals of Supply Chain Theory*, ch. 4.
    Zipkin, P. (2000). *Foundations of Inventory Management*, sec. 6.4 and 9.
    """

    name = "newsvendor"

    def __init__(
        self,
        service_level: float | None = None,
        review_period: int = 1,
        safety_factor: ArrayLike = 1.0,
        repair: str | None = "auto",
    ) -> None:
        super().__init__(repair)
        self.service_level = None if service_level is None else _service_level(service_level)
        self.review_period = _review_period(review_period)
        self.safety_factor = scalar_or_array(safety_factor, "safety_factor")

    def fit(self, source: Scenario | Observation) -> Newsvendor:
        """Learn the per-SKU fractile ``fractile_`` (and z-score ``z_``) from costs; returns self."""
        _review_period(self.review_period)  # the attributes may have been set since
        source = fit_source(source)
        catalog = source.catalog
        if self.service_level is None:
            fractile = critical_fractile(catalog.holding_cost, catalog.shortage_cost)
        else:
            level = _service_level(self.service_level)
            if np.ndim(level) and np.size(level) != catalog.n_skus:
                raise PlanningError(f"needs one value per SKU ({catalog.n_skus}), got {np.size(level)}",
                                    column="service_level")
            fractile = np.broadcast_to(np.asarray(level, dtype=np.float64), (catalog.n_skus,)).copy()
        self.fractile_ = fractile
        self.z_ = normal_quantile(fractile) * per_sku(self.safety_factor, catalog.n_skus, "safety_factor")
        self.lead_time_std_ = np.asarray(catalog.lead_time_std, dtype=np.float64)
        mark_fitted(self, source)
        return self

    def reset(self, scenario: Scenario | None = None) -> None:
        """Start an episode: its first period is a review."""
        self.periods_since_review_: int | None = None

    def _is_review(self, obs: Observation) -> bool:
        """Whether ``obs``'s period is a review (always outside simulation: a ``plan()`` call is one).

        Until 2026-12-04 every period was a review, so with ``review_period = R > 1`` the policy
        ordered every period up to a level covering ``L + R`` periods and held about ``R - 1``
        periods of demand too much.
        """
        if not obs.simulated or self.review_period == 1:
            return True
        since: int | None = getattr(self, "periods_since_review_", None)
        if since is None or since + 1 >= self.review_period:
            self.periods_since_review_ = 0
            return True
        self.periods_since_review_ = since + 1
        return False

    def decide(self, obs: Observation) -> Decision:
        """Order up to the level at a review; between reviews order nothing (targets still reported)."""
        mean, std = self.window(obs)  # once a period: the levels and the explanation both read it
        reorder_point, order_up_to = self._levels(mean, std)
        if self._is_review(obs):
            decision = self.order_to(obs, reorder_point, order_up_to)
        else:
            nothing = np.zeros(obs.n_skus)
            decision = Decision(nothing, nothing.copy(), reorder_point, order_up_to)
        # the explanation over the window the level covers, L + R periods: plan() explained it over L + 1, so with
        # R > 1 the protection demand left R - 1 periods out and the safety stock counted them
        from hybridinv.policies.explain import implied_explanation

        decision.explanation = implied_explanation(decision.reorder_point, mean, std)
        return decision

    def window(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean and standard deviation of the demand over the lead time plus the review period, per SKU."""
        if not fitted_on(self, obs, getattr(self, "z_", None)):
            self.fit(obs)
        lead = obs.catalog.lead_time
        span = int(lead.max()) + self.review_period
        mask = np.arange(span)[None, :] < (lead + self.review_period)[:, None]
        mean = (obs.forecast(span) * mask).sum(axis=1)
        var = (obs.forecast_std(span) ** 2 * mask).sum(axis=1)
        per_period = mean / (lead + self.review_period)
        var = var + per_period**2 * self.lead_time_std_**2
        return mean, np.sqrt(var)

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self._levels(*self.window(obs))

    def _levels(
        self, mean: NDArray[np.float64], std: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(reorder_point, order_up_to)`` of the window's demand ``mean`` and ``std``."""
        order_up_to = np.maximum(np.ceil(mean + self.z_ * std - 1e-9), 0.0)
        return order_up_to - 1.0, order_up_to

    def __repr__(self) -> str:
        return f"Newsvendor(service_level={self.service_level!r}, review_period={self.review_period!r})"
