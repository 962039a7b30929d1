"""Why each SKU's target is what it is: the target columns and reason codes of ``plan()``.

A target policy (base-stock, (s, S), the forecast-driven policies, the hybrid) turns the
forecast into a **level** ``B`` per SKU (reorder point ``s = B - 1``) and orders up to
its order-up-to level when the inventory position is at or below ``s``:

.. math::

    B_i = m_i \\mu_{P,i} + z_i \\sqrt{m_i}\\, \\sigma_{P,i}

with ``mu_P``, ``sigma_P`` the forecast mean and standard deviation over the protection
interval (lead time plus one period), ``m_i`` a multiplier of the forecast (the hybrid's
learned correction; 1 for every other policy) and ``z_i`` the safety factor (for the
hybrid: its base policy's cost-based factor plus a learned shift). The safety factor of
the capacity-priced policies comes from the fractile ``m / (m + h + lambda v)``: the price
``lambda v`` of the warehouse space a unit takes is added to its holding cost.

:class:`TargetExplanation` holds these numbers per SKU; a policy that knows them attaches
one to its :class:`~hybridinv.policies.base.Decision` (``decision.explanation``). For any
other target policy :func:`implied_explanation` reads them off its reorder points
(safety stock = ``s + 1 - mu_P``, safety factor = safety stock / ``sigma_P``).
:func:`target_reasons` turns an explanation into the codes of :data:`TARGET_REASONS`
(``plan()``'s ``target_reason`` column). The legend of every code ``plan()`` can emit,
these and the repair's, is :data:`hybridinv.policies.legend.REASON_LEGEND`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.flags import join_flags
from hybridinv.repair.result import ROUNDING  # one code whether a repair ran or not

__all__ = [
    "ABOVE_REORDER_POINT",
    "BASE_RULE",
    "BUILD_AHEAD",
    "CAPACITY_PRICED",
    "CAPPED",
    "CORRECTION_TOLERANCE",
    "FORECAST_CORRECTED",
    "NEGATIVE_DESIRED",
    "NOT_STOCKED",
    "NO_TARGET",
    "ROUNDING",
    "SAFETY_SHIFTED",
    "SHIFT_TOLERANCE",
    "TARGET_COLUMNS",
    "TARGET_DEFAULTS",
    "TARGET_REASONS",
    "TargetExplanation",
    "cut_by_cap",
    "implied_explanation",
    "target_explanation",
    "target_reasons",
]

FORECAST_CORRECTED = "forecast_corrected"
SAFETY_SHIFTED = "safety_shifted"
CAPACITY_PRICED = "capacity_priced"
CAPPED = "capped"
NOT_STOCKED = "not_stocked"
ABOVE_REORDER_POINT = "above_reorder_point"
BUILD_AHEAD = "build_ahead"
#: Flags of ``target_reason``, in the order they are joined with ``+``.
TARGET_REASONS: tuple[str, ...] = (
    FORECAST_CORRECTED, SAFETY_SHIFTED, CAPACITY_PRICED, CAPPED, NOT_STOCKED, ABOVE_REORDER_POINT, BUILD_AHEAD,
)
#: ``reason`` of a negative desired quantity, ordered as 0 (the repair layer's flag of the same name).
NEGATIVE_DESIRED = "negative_desired"
BASE_RULE = "base_rule"
NO_TARGET = "no_target"
#: ``target_reason`` when no flag applies: a target from the policy's own rule, or no target at all.
TARGET_DEFAULTS: tuple[str, ...] = (BASE_RULE, NO_TARGET)
#: A forecast correction is flagged when the multiplier differs from 1 by at least this much.
CORRECTION_TOLERANCE = 0.01
#: A learned safety shift is flagged when it is at least this many standard deviations.
SHIFT_TOLERANCE = 0.05
#: Columns :meth:`TargetExplanation.columns` adds to ``plan()``'s output, in order.
TARGET_COLUMNS: tuple[str, ...] = (
    "protection_demand", "forecast_correction", "safety_factor", "safety_shift", "safety_stock",
    "capacity_price", "order_cap", "capped", "build_ahead", "target_reason",
)


@dataclass(frozen=True)
class TargetExplanation:
    """The quantities behind each SKU's target (arrays of shape (n,); NaN where one does not apply).

    Attributes
    ----------
    protection_demand : array
        ``m mu_P``: forecast demand over the lead time plus one period, after the correction.
    forecast_correction : array
        ``m``, the multiplier of the forecast (1: the forecast as given; NaN: the policy's
        level does not follow the forecast, e.g. a static base-stock).
    safety_factor : array
        ``z``: the safety stock in standard deviations of protection-interval demand.
    safety_shift : array
        The learned part of ``z`` (the hybrid's correction; 0 for the other policies).
    safety_stock : array
        ``B - m mu_P``, units held beyond the expected demand of the protection interval.
    capacity_price : array
        ``lambda v``: the price of the space one unit takes per period, added to the holding
        cost in the safety fractile (0 when space is not priced; NaN: unknown).
    order_cap : array
        The largest order the target rule allows (inf: no cap; NaN: no target).
    capped : array of bool
        Whether the order was limited by ``order_cap``.
    not_stocked : array of bool
        Whether the target is 0 because stocking does not pay (lost sales with
        ``shortage_cost <= unit_cost``, backorders with ``shortage_cost`` 0:
        :func:`~hybridinv.policies.rq.net_margin` <= 0).
    build_ahead : array
        Units of the order bought ahead of a coming peak the budget cannot pay for
        (:meth:`~hybridinv.policies.forecast_ss.ForecastSS.build_ahead_units`; 0 for the other
        policies and in periods without one).
    """

    protection_demand: NDArray[np.float64]
    forecast_correction: NDArray[np.float64]
    safety_factor: NDArray[np.float64]
    safety_shift: NDArray[np.float64]
    safety_stock: NDArray[np.float64]
    capacity_price: NDArray[np.float64]
    order_cap: NDArray[np.float64]
    capped: NDArray[np.bool_]
    not_stocked: NDArray[np.bool_]
    build_ahead: NDArray[np.float64]

    def columns(self, position: ArrayLike, reorder_point: ArrayLike | None) -> dict[str, NDArray]:  # type: ignore[type-arg]
        """The :data:`TARGET_COLUMNS` as arrays (``target_reason`` from :func:`target_reasons`)."""
        values: dict[str, NDArray] = {  # type: ignore[type-arg]
            name: np.asarray(getattr(self, name)) for name in TARGET_COLUMNS[:-1]
        }
        values["target_reason"] = target_reasons(self, position, reorder_point)
        return values


def _full(value: ArrayLike, n: int, dtype: type = np.float64) -> NDArray:  # type: ignore[type-arg]
    return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()


def target_explanation(
    level: ArrayLike,
    mean: ArrayLike,
    std: ArrayLike,
    *,
    correction: ArrayLike = 1.0,
    safety_shift: ArrayLike = 0.0,
    capacity_price: ArrayLike = 0.0,
    cap: ArrayLike = np.inf,
    capped: ArrayLike = False,
    not_stocked: ArrayLike = False,
    build_ahead: ArrayLike = 0.0,
) -> TargetExplanation:
    """A :class:`TargetExplanation` from a policy's level ``B`` and its (corrected) protection forecast.

    ``mean`` and ``std`` are the protection-interval forecast the level was set on (after
    any correction); the safety stock is ``B - mean`` and the safety factor
    ``(B - mean) / std`` (NaN where ``std`` is 0).
    """
    level_arr = np.asarray(level, dtype=np.float64)
    n = level_arr.shape[0]
    mean_arr = _full(mean, n)
    std_arr = _full(std, n)
    stock = level_arr - mean_arr
    z = np.divide(stock, std_arr, out=np.full(n, np.nan), where=std_arr > 0)
    return TargetExplanation(
        protection_demand=mean_arr,
        forecast_correction=_full(correction, n),
        safety_factor=z,
        safety_shift=_full(safety_shift, n),
        safety_stock=stock,
        capacity_price=_full(capacity_price, n),
        order_cap=_full(cap, n),
        capped=_full(capped, n, bool),
        not_stocked=_full(not_stocked, n, bool),
        build_ahead=_full(build_ahead, n),
    )


def cut_by_cap(gap: ArrayLike, cap: ArrayLike) -> NDArray[np.bool_]:
    """Whether ``cap`` lowers the whole-unit order a ``gap`` calls for (the ``capped`` flag).

    Orders are rounded up, ``ceil(min(gap, cap))``: a cap of 13.2 on a gap of 13.3 still orders
    14 units, as the gap alone would, so nothing was cut (``gap > cap`` said "capped" there).
    """
    gap_arr = np.asarray(gap, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.ceil(gap_arr - 1e-9) > np.ceil(np.minimum(gap_arr, cap) - 1e-9), dtype=bool)


def implied_explanation(
    reorder_point: ArrayLike | None,
    mean: ArrayLike,
    std: ArrayLike,
    cap: ArrayLike = np.inf,
    capped: ArrayLike = False,
) -> TargetExplanation:
    """What a policy's reorder points imply against the current forecast (for policies that explain less).

    The level is ``s + 1`` and the safety stock ``s + 1 - mu_P``; the forecast correction
    and the capacity price are unknown (NaN), there is no learned shift; ``cap`` and
    ``capped`` come from policies with an order cap. Without reorder points (MPC, pure RL,
    a custom policy's orders) every quantity but the protection demand is NaN.
    """
    mean_arr = np.asarray(mean, dtype=np.float64)
    n = mean_arr.shape[0]
    if reorder_point is None:
        nan = np.full(n, np.nan)
        return target_explanation(nan, mean_arr, std, correction=nan, safety_shift=nan, capacity_price=nan, cap=nan)
    level = np.asarray(reorder_point, dtype=np.float64) + 1.0
    return target_explanation(level, mean_arr, std, correction=np.nan, capacity_price=np.nan, cap=cap,
                              capped=capped)


def target_reasons(
    explanation: TargetExplanation, position: ArrayLike, reorder_point: ArrayLike | None
) -> NDArray[np.object_]:
    """The ``target_reason`` code per SKU: the flags of :data:`TARGET_REASONS` joined by ``+``.

    * ``forecast_corrected``: the forecast multiplier differs from 1 by at least
      :data:`CORRECTION_TOLERANCE`;
    * ``safety_shifted``: a learned shift of the safety factor of at least :data:`SHIFT_TOLERANCE`;
    * ``capacity_priced``: space was priced in the safety factor (``capacity_price > 0``);
    * ``capped``: the order was limited by the order cap;
    * ``not_stocked``: the target is 0 because stocking does not pay;
    * ``above_reorder_point``: the inventory position is above the reorder point, so
      the rule orders nothing (not flagged for SKUs that are not stocked);
    * ``build_ahead``: part of the order is stock bought ahead of a peak the budget cannot
      pay for when it comes (``build_ahead > 0``).

    ``base_rule`` when none applies; ``no_target`` for policies without reorder points.
    """
    e = explanation
    n = e.safety_stock.shape[0]
    with np.errstate(invalid="ignore"):
        flags = {
            FORECAST_CORRECTED: np.abs(np.nan_to_num(e.forecast_correction, nan=1.0) - 1.0) >= CORRECTION_TOLERANCE,
            SAFETY_SHIFTED: np.abs(np.nan_to_num(e.safety_shift)) >= SHIFT_TOLERANCE,
            CAPACITY_PRICED: np.nan_to_num(e.capacity_price) > 0,
            CAPPED: np.asarray(e.capped, dtype=bool),
            NOT_STOCKED: np.asarray(e.not_stocked, dtype=bool),
            ABOVE_REORDER_POINT: np.zeros(n, dtype=bool),
            BUILD_AHEAD: np.nan_to_num(e.build_ahead) > 0,
        }
    if reorder_point is not None:
        above = np.asarray(position, dtype=np.float64) > np.asarray(reorder_point, dtype=np.float64)
        flags[ABOVE_REORDER_POINT] = above & ~flags[NOT_STOCKED]
    return join_flags(flags, TARGET_REASONS, none=BASE_RULE if reorder_point is not None else NO_TARGET)
