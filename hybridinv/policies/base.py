"""The policy interface shared by the simulator, the environments and plan().

A policy maps an :class:`~hybridinv.sim.observation.Observation` of all SKUs to
one whole-number order per SKU. Target-based policies ((s,S), base-stock,
safety stock, the hybrid agent) first produce per-SKU targets, from which the
desired orders follow; the repair layer then turns the desired orders into
orders that respect MOQ, lot sizes, max order, capacity and budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from hybridinv.core._frame import per_sku

if TYPE_CHECKING:
    from hybridinv.policies.explain import TargetExplanation
    from hybridinv.policies.newsvendor import DemandStatistics
    from hybridinv.repair import RepairResult
    from hybridinv.sim.batch import BatchObservation
    from hybridinv.sim.observation import Observation
    from hybridinv.sim.scenario import Scenario

__all__ = [
    "GUARDRAIL_BOUND", "BatchPolicy", "BatchTargetPolicy", "Decision", "Policy", "TargetPolicy", "explain_fitted",
    "fit_basis", "fitted_on", "mark_fitted", "fitted_values", "needs_repair", "per_sku", "record_fit_basis",
    "record_fit_skus",
]


@runtime_checkable
class Policy(Protocol):
    """Anything with ``act(observation) -> orders`` (and optionally ``reset``)."""

    name: str

    def act(self, obs: Observation) -> NDArray[np.float64]:
        """Orders for all SKUs (whole numbers >= 0, aligned with the catalog)."""
        ...


@runtime_checkable
class BatchPolicy(Protocol):
    """A policy that decides for many episodes at once: ``act_batch(batch_observation) -> orders``.

    ``act_batch`` receives a :class:`~hybridinv.sim.batch.BatchObservation` (arrays with a
    leading episode axis, ``episode(e)`` for one episode's :class:`Observation`) and
    returns orders of shape (episodes, n_skus), row ``e`` equal to what ``act`` returns on
    ``episode(e)``. :func:`hybridinv.simulate` runs such policies through the
    :class:`~hybridinv.sim.batch.BatchSimulator`. Only policies whose decision depends on
    the current observation alone (no state carried from period to period) may
    implement it: episodes of a batch advance in lock-step, ``reset`` is called once.
    """

    name: str

    def act(self, obs: Observation) -> NDArray[np.float64]: ...

    def act_batch(self, obs: BatchObservation) -> NDArray[np.float64]: ...


#: ``Decision.extra`` key of a guarded policy planned without a repair (no catalog rule, no shared row): per SKU,
#: whether a guardrail bound moved the order (``plan()`` then says ``guardrail``; with a repair, the repair's flags do).
GUARDRAIL_BOUND = "guardrail_bound"


@dataclass
class Decision:
    """One period's decision with what led to it (for ``plan()`` explanations).

    ``explanation`` (:class:`~hybridinv.policies.explain.TargetExplanation`) says why the
    targets are what they are, from policies that know (the forecast-driven policies and
    the hybrid); ``plan()`` derives one from the reorder points for the others.
    """

    orders: NDArray[np.float64]
    desired: NDArray[np.float64]
    reorder_point: NDArray[np.float64] | None = None
    order_up_to: NDArray[np.float64] | None = None
    repair: RepairResult | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    explanation: TargetExplanation | None = None


def mark_fitted(policy: object, source: object) -> None:
    """Record what ``policy`` just fitted its per-SKU values on (see :func:`fitted_on`).

    A scenario or an observation binds the fit to its catalog object; anything else (demand
    statistics given by hand) to any catalog with as many SKUs.
    """
    catalog = getattr(source, "catalog", None)
    policy.fitted_catalog_ = _ANY_CATALOG if catalog is None else catalog  # type: ignore[attr-defined]


def fitted_on(policy: object, obs: Observation, values: object) -> bool:
    """Whether ``policy``'s fitted per-SKU ``values`` belong to ``obs``'s catalog.

    The catalog the fit was made on, or one with the same values in the same SKU order (a
    copy in a worker process, the same scenario built again). Policies that fit on first use
    refit when this is false: in the next ``plan()`` call whose catalog lists the SKUs in
    another order or at other costs, or in another scenario. Until 2026-12-04 they refit only
    when the number of SKUs changed, so a reused policy object applied one SKU's fit to another
    by row position.
    """
    catalog = getattr(policy, "fitted_catalog_", None)
    if values is None or catalog is None:
        return False
    if catalog is _ANY_CATALOG:
        return getattr(values, "shape", None) == (obs.n_skus,)
    if catalog is obs.catalog:
        return True
    if not _same_catalog(catalog, obs.catalog):
        return False
    policy.fitted_catalog_ = obs.catalog  # type: ignore[attr-defined]  # an equal copy (another process, another
    return True  # scenarios.get): bound to it, so later periods take the identity check


def _same_catalog(a: object, b: object) -> bool:
    """Whether two catalogs hold the same values in the same SKU order (NaN equal to NaN)."""
    import dataclasses

    if type(a) is not type(b) or not dataclasses.is_dataclass(a):
        return False
    for f in dataclasses.fields(a):
        x, y = np.asarray(getattr(a, f.name)), np.asarray(getattr(b, f.name))
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f" and y.dtype.kind == "f"):
            return False
    return True


_ANY_CATALOG = object()


def record_fit_skus(policy: object, source: object) -> None:
    """Remember the SKUs whose per-SKU values a class-method ``fit`` (``BaseStock.fit``, ``SS.fit``) made.

    Nothing is remembered for demand statistics given by hand (they carry no SKUs): their values
    stay in catalog order, as values given to the constructor do.
    """
    catalog = getattr(source, "catalog", None)
    policy.fit_skus_ = None if catalog is None else np.asarray(catalog.sku).copy()  # type: ignore[attr-defined]


def record_fit_basis(policy: object, stats: DemandStatistics | None) -> None:
    """Remember the protection-interval demand a static policy's levels were fitted on (None: levels given).

    The mean and standard deviation of demand over the lead time plus one period, lead-time spread
    included (:meth:`~hybridinv.policies.newsvendor.DemandStatistics.over_periods`): ``plan()`` explains
    the levels against them (:func:`fit_basis`). Against the current forecast's protection demand, a
    base-stock level fitted on the forecast's first period (10 a period, lead time 2: level 33) read as a
    safety stock of -27 and a safety factor of -7.2 for a forecast of 10, 20, 30 until 2026-12-07.
    """
    if stats is None:
        policy.fit_basis_ = None  # type: ignore[attr-defined]
        return
    mean, std = stats.over_periods(stats.lead_time + 1.0)
    policy.fit_basis_ = (np.array(mean, dtype=np.float64), np.array(std, dtype=np.float64))  # type: ignore[attr-defined]


def fit_basis(policy: object, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """The ``(mean, std)`` of :func:`record_fit_basis` in ``obs``'s SKU order, or None (levels given, not fitted)."""
    basis = getattr(policy, "fit_basis_", None)
    if basis is None:
        return None
    mean, std = (np.asarray(fitted_values(policy, obs, values, "level"), dtype=np.float64) for values in basis)
    return mean, std


def explain_fitted(policy: object, obs: Observation, decision: Decision) -> Decision:
    """Attach the explanation of fitted static levels: the level ``reorder_point + 1`` against the demand it was
    fitted on (:func:`~hybridinv.policies.base.fit_basis`). Levels given by hand keep ``plan()``'s reading
    against the current forecast."""
    basis = fit_basis(policy, obs)
    if basis is not None and decision.reorder_point is not None:
        from hybridinv.policies.explain import implied_explanation

        decision.explanation = implied_explanation(decision.reorder_point, *basis)
    return decision


def fitted_values(policy: object, obs: Observation | BatchObservation, values: Any, name: str) -> Any:
    """``values`` (one per SKU the policy was fitted on, see :func:`record_fit_skus`) in ``obs``'s SKU order.

    Until 2026-12-04 they were applied by position: levels fitted on one catalog and used on
    another with as many SKUs (another order, other SKUs) gave each SKU another SKU's level,
    silently. A SKU the fit did not cover is a :class:`~hybridinv.PlanningError` naming it.
    Values without a fit (given to the constructor) are returned as they are.
    """
    skus = getattr(policy, "fit_skus_", None)
    if skus is None or np.ndim(values) != 1 or np.size(values) != skus.size:
        return values
    catalog = obs.catalog
    cached = getattr(policy, "_fit_map_", None)
    if cached is None or cached[0] is not catalog:
        current = np.asarray(catalog.sku)
        if current.shape == skus.shape and (current == skus).all():
            index = None
        else:
            import pandas as pd

            from hybridinv.core.errors import PlanningError

            index = pd.Index(skus).get_indexer(current)
            if (index < 0).any():
                missing = current[int(np.flatnonzero(index < 0)[0])]
                raise PlanningError(f"fitted on {skus.size} other SKUs (fit the policy on this catalog)",
                                    column=name, sku=str(missing))
        cached = (catalog, index)
        policy._fit_map_ = cached  # type: ignore[attr-defined]
    return values if cached[1] is None else np.asarray(values)[cached[1]]


def needs_repair(obs: Observation) -> bool:
    """Whether the catalog or constraints have any rule that raw orders could break."""
    cat = obs.catalog
    cons = obs.constraints
    return bool(
        math.isfinite(cons.capacity)
        or math.isfinite(cons.budget)
        or cons.supplier_capacity
        or (cat.moq > 0).any()
        or (cat.lot_size > 1).any()
        or np.isfinite(cat.max_order).any()
    )


class TargetPolicy:
    """Base class of policies that produce (s, S) targets per SKU.

    Subclasses implement :meth:`targets`; ``act`` orders up to ``S`` when the
    inventory position is at or below ``s`` and passes the desired orders
    through the repair layer (``repair=None`` skips it and only rounds up).

    Parameters
    ----------
    repair : str or None
        Repair backend (``"auto"``, ``"fast"``, ``"highs"``, ``"pulp"``) or None.
    """

    name = "target"

    def __init__(self, repair: str | None = "auto") -> None:
        if repair is not None:  # an unknown name ("FAST", True) failed only at the first repaired period
            from hybridinv.repair.api import repair_backend

            repair = repair_backend(repair, "repair").value
        self.repair = repair

    def reset(self, scenario: Scenario | None = None) -> None:
        """Called at the start of each episode."""

    def targets(self, obs: Observation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per-SKU ``(reorder_point, order_up_to)`` for this period."""
        raise NotImplementedError

    def decide(self, obs: Observation) -> Decision:
        """Targets → desired orders → repaired orders; fitted static levels (:func:`record_fit_basis`) are
        explained against the demand they were fitted on (:func:`explain_fitted`)."""
        return explain_fitted(self, obs, self.order_to(obs, *self.targets(obs)))

    def order_to(
        self, obs: Observation, reorder_point: NDArray[np.float64], order_up_to: NDArray[np.float64]
    ) -> Decision:
        """The repaired decision of the levels ``(reorder_point, order_up_to)``: order up to ``order_up_to``
        where the inventory position is at or below ``reorder_point``."""
        desired = np.ceil(_desired(obs.inventory_position, reorder_point, order_up_to) - 1e-9)
        return self.finalize(desired, obs, reorder_point, order_up_to)

    def finalize(
        self,
        desired: NDArray[np.float64],
        obs: Observation,
        reorder_point: NDArray[np.float64] | None = None,
        order_up_to: NDArray[np.float64] | None = None,
        **repair_options: Any,
    ) -> Decision:
        """Pass desired orders through the repair layer when any rule applies."""
        if self.repair is None or not needs_repair(obs):
            return Decision(np.maximum(np.ceil(desired - 1e-9), 0.0), desired, reorder_point, order_up_to)
        from hybridinv.repair import repair_orders

        result = repair_orders(
            desired,
            obs.catalog,
            obs.state(),
            obs.constraints,
            backend=self.repair,
            expected_demand=obs.forecast(int(obs.catalog.lead_time.max()) + 1),
            warn=not obs.simulated,  # in simulation over-full receipt periods are expected, not news
            **repair_options,
        )
        return Decision(result.orders, desired, reorder_point, order_up_to, result)

    def act(self, obs: Observation) -> NDArray[np.float64]:
        """Orders for this period."""
        return self.decide(obs).orders

    def __repr__(self) -> str:
        return f"{type(self).__name__}(repair={self.repair!r})"


class BatchTargetPolicy(TargetPolicy):
    """A :class:`TargetPolicy` whose targets depend on the current observation alone, batched.

    Adds ``act_batch`` (the :class:`BatchPolicy` protocol): targets for every episode
    (:meth:`targets_batch`, by default :meth:`targets` per episode), desired orders for all
    episodes in one vectorized pass, then the repair per episode (each episode has its own
    capacity and budget rows, so it is solved on its own, exactly as :meth:`finalize` does
    in the per-episode path). A subclass that overrides :meth:`decide` (or ``act``) gets
    it called per episode instead, and so does one that overrides :meth:`order_to`; one that overrides
    :meth:`targets` below the class that defines :meth:`targets_batch` gets its :meth:`targets` per episode
    (until 2026-12-06 both overrides were ignored by the batch: a ``BaseStock`` subclass with its own
    ``targets`` planned the parent's levels under ``simulate()``, its own under ``batch=False``).
    Subclasses that keep state from one period to the next must not derive from it (the episodes of a
    batch share one policy object).
    """

    def targets_batch(self, obs: BatchObservation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(reorder_point, order_up_to)`` of every episode, shapes broadcastable to (E, n)."""
        pairs = [self.targets(obs.episode(e)) for e in range(obs.episodes)]
        return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])

    def act_batch(self, obs: BatchObservation) -> NDArray[np.float64]:
        """Orders of every episode, shape (E, n); row ``e`` equals ``act(obs.episode(e))``."""
        if type(self).act is not TargetPolicy.act:
            return np.stack([self.act(obs.episode(e)) for e in range(obs.episodes)])
        if type(self).decide is not TargetPolicy.decide or type(self).order_to is not TargetPolicy.order_to:
            return np.stack([self.decide(obs.episode(e)).orders for e in range(obs.episodes)])
        # a subclass's own targets() below a targets_batch() that reads the parent's levels: targets per episode
        single, batched = _defined_in(type(self), "targets"), _defined_in(type(self), "targets_batch")
        own_targets = single is not batched and issubclass(single, batched)
        batch_targets = BatchTargetPolicy.targets_batch if own_targets else type(self).targets_batch
        reorder_point, order_up_to = batch_targets(self, obs)
        desired = np.ceil(_desired(obs.inventory_position, reorder_point, order_up_to) - 1e-9)
        if self.repair is None or not needs_repair(obs.episode(0)):
            return np.maximum(np.ceil(desired - 1e-9), 0.0)
        return np.stack([self.finalize(desired[e], obs.episode(e)).orders for e in range(obs.episodes)])


def _defined_in(cls: type, name: str) -> type:
    """The first class of ``cls``'s method resolution order whose body defines ``name``."""
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def _desired(position: NDArray[np.float64], reorder_point: NDArray[np.float64],
             order_up_to: NDArray[np.float64]) -> NDArray[np.float64]:
    """``S - IP`` where the position is at or below ``s``, else 0. Where every whole position below ``S`` orders
    (``s >= S - 1``: a base-stock rule, reported with ``s = ceil(S) - 1``) a fractional position below ``S`` orders
    too: ``BaseStock(11)`` at a position of 10.5 ordered nothing, above its ``s`` of 10 though short of ``S``."""
    orders = (position <= reorder_point) | ((reorder_point >= order_up_to - 1.0 - 1e-9) & (position < order_up_to))
    return np.where(orders, np.maximum(order_up_to - position, 0.0), 0.0)
