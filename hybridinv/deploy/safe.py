"""Safe training: penalize an agent for straying from the incumbent policy.

The RL environment or trainer subtracts ``IncumbentPenalty(...)(...)`` from the
reward of each period. Early in training this keeps the agent near a policy the
business trusts (a trust-region towards the incumbent); a decaying weight lets it
move away as it learns.

References
----------
Thomas, P., Theocharous, G. & Ghavamzadeh, M. (2015). High confidence policy improvement.
*ICML*. — García, J. & Fernández, F. (2015). A comprehensive survey on safe reinforcement
learning. *JMLR* 16, 1437–1480.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, enum_member, number_in, whole_number

if TYPE_CHECKING:
    from hybridinv.policies.base import TargetPolicy
    from hybridinv.sim.observation import Observation

__all__ = ["DeviationNorm", "IncumbentPenalty"]


class DeviationNorm(StrEnum):
    """How per-SKU deviations are combined."""

    ABSOLUTE = "absolute"  #: mean |agent - incumbent| / scale
    SQUARED = "squared"  #: mean ((agent - incumbent) / scale)^2


@dataclass(frozen=True)
class IncumbentPenalty:
    """Penalty on the deviation of the agent's targets from the incumbent's.

    ``penalty = weight(step) * mean_i w_i * d((agent_i - incumbent_i) / scale_i)``,
    summed over the target arrays given (e.g. reorder point and order-up-to),
    with ``d`` the absolute value or the square and ``w_i`` optional SKU weights.
    The penalty is >= 0 and in the reward's units when ``weight`` is.

    Parameters
    ----------
    weight : float
        Penalty weight at step 0.
    norm : DeviationNorm
    tolerance : float
        Deviations up to this many scale units are free (a dead zone).
    decay_steps : int, optional
        The weight falls linearly to ``final_weight`` over this many training steps.
    final_weight : float
    """

    weight: float = 1.0
    norm: DeviationNorm | str = DeviationNorm.ABSOLUTE
    tolerance: float = 0.0
    decay_steps: int | None = None
    final_weight: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "norm", enum_member(DeviationNorm, self.norm, "norm"))
        for name in ("weight", "tolerance", "final_weight"):
            number_in(getattr(self, name), name, 0.0, math.inf)
        if self.decay_steps is not None:
            object.__setattr__(self, "decay_steps", whole_number(self.decay_steps, "decay_steps", 1))

    def weight_at(self, step: int = 0) -> float:
        """The weight after ``step`` training steps (a whole number >= 0)."""
        step = whole_number(step, "step", 0)  # NaN made the training reward NaN, -5 read as 0
        if self.decay_steps is None:
            return float(self.weight)
        progress = min(step / self.decay_steps, 1.0)
        return float(self.weight + (self.final_weight - self.weight) * progress)

    def deviation(
        self,
        agent: ArrayLike | tuple[ArrayLike, ...],
        incumbent: ArrayLike | tuple[ArrayLike, ...],
        scale: ArrayLike | None = None,
        sku_weight: ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        """Per-SKU deviation (before the weight), shape (n,).

        ``agent`` and ``incumbent`` are each one target array or several, as a tuple or a
        list of arrays (e.g. ``(reorder_point, order_up_to)``); a list of numbers is one array.

        Raises
        ------
        PlanningError
            When the agent and incumbent give different numbers of target arrays or
            arrays of different shapes, the target arrays of one side differ in shape, an
            array is one number (0-d) or empty, has more than one dimension or holds NaN or
            an infinite value, a ``scale`` is not > 0 and finite, a ``sku_weight`` is negative
            or not finite, or ``scale``/``sku_weight`` is neither one number nor one per SKU.
            The message names the SKU position and the value.
        """
        agent_parts, incumbent_parts = _target_parts(agent), _target_parts(incumbent)
        if len(agent_parts) != len(incumbent_parts):
            raise PlanningError("agent and incumbent give different numbers of target arrays", column="targets")
        total: NDArray[np.float64] | None = None
        unit: NDArray[np.float64] | None = None
        for position, (mine, theirs) in enumerate(zip(agent_parts, incumbent_parts, strict=True)):
            a = _finite(mine, "targets")
            b = _finite(theirs, "targets")
            if a.shape != b.shape:
                raise PlanningError(f"target shapes differ: {a.shape} vs {b.shape}", column="targets")
            if a.ndim == 0:  # one number was taken as one SKU, though a target array holds one value per SKU
                raise PlanningError(f"target array {position} is one number: each target array holds one value "
                                    "per SKU (give a 1-D array, e.g. [value] for one SKU)", column="targets",
                                    value=float(a))
            if a.ndim > 1:  # [a, a] as one (2, n) target halved the penalty
                raise PlanningError(f"target array {position} has shape {a.shape}: each target array holds one "
                                    "value per SKU (give several as a tuple or list of arrays)", column="targets",
                                    value=f"shape {a.shape}")
            if a.size == 0:
                raise PlanningError("target arrays are empty (no SKUs)", column="targets")
            if unit is not None and a.shape != unit.shape:  # every part holds one value per SKU
                raise PlanningError(f"target array {position} has shape {a.shape}, target array 0 {unit.shape}",
                                    column="targets", value=a.shape)
            if unit is None:
                unit = np.ones_like(a) if scale is None else _per_sku_factor(scale, "scale", a.shape, positive=True)
                # one number for every SKU: a 0-d unit failed the next target's shape check, blaming the targets
                unit = np.broadcast_to(unit, a.shape)
            gap = np.maximum(np.abs(a - b) / unit - self.tolerance, 0.0)
            part = gap if self.norm is DeviationNorm.ABSOLUTE else gap**2
            total = part if total is None else total + part
        if total is None:
            raise PlanningError("no target arrays given", column="targets")
        if sku_weight is not None:
            total = total * _per_sku_factor(sku_weight, "sku_weight", total.shape, positive=False)
        return total

    def __call__(
        self,
        agent: ArrayLike | tuple[ArrayLike, ...],
        incumbent: ArrayLike | tuple[ArrayLike, ...],
        scale: ArrayLike | None = None,
        step: int = 0,
        sku_weight: ArrayLike | None = None,
    ) -> float:
        """The penalty of one period (a float >= 0) to subtract from the reward.

        Parameters
        ----------
        agent, incumbent : array, or tuple or list of arrays
            Per-SKU targets, e.g. ``(reorder_point, order_up_to)``; each array 1-D, one value per SKU.
        scale : array, optional
            Per-SKU scale making deviations comparable across SKUs (e.g. mean
            demand over the lead time); 1 when omitted.
        step : int
            Training step (for the decaying weight).
        sku_weight : array, optional
            Per-SKU importance.
        """
        return self.weight_at(step) * float(np.mean(self.deviation(agent, incumbent, scale, sku_weight)))

    def against(
        self,
        incumbent: TargetPolicy,
        obs: Observation,
        agent_targets: tuple[ArrayLike, ArrayLike],
        step: int = 0,
    ) -> float:
        """The penalty versus an incumbent :class:`~hybridinv.policies.base.TargetPolicy`
        in observation ``obs``, scaled by the forecast demand over the lead time + 1, at least 1 unit."""
        reorder_point, order_up_to = incumbent.targets(obs)
        horizon = obs.catalog.lead_time + 1
        forecast = obs.forecast(int(horizon.max()))
        covered = np.arange(forecast.shape[1])[None, :] < horizon[:, None]
        scale = np.maximum((forecast * covered).sum(axis=1), 1.0)
        return self(tuple(agent_targets), (reorder_point, order_up_to), scale, step)


def _target_parts(targets: ArrayLike | tuple[ArrayLike, ...]) -> tuple[ArrayLike, ...]:
    """The target arrays of one side: a tuple, or a list holding arrays, is several; anything else one.

    A list of arrays was read as one 2-D target, which halved the penalty of ``[a, a]`` against
    ``(a, a)``; a list of numbers stays one target (one value per SKU).
    """
    if isinstance(targets, tuple):
        return targets
    if isinstance(targets, list):
        try:
            nested = any(np.ndim(item) >= 1 for item in targets)
        except ValueError:  # a ragged item: several arrays, whose shapes the caller checks
            nested = True
        if nested:
            return tuple(targets)
    return (targets,)


def _finite(values: ArrayLike, column: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise PlanningError("must be numbers", column=column) from None
    if not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr.reshape(-1)))[0])
        raise PlanningError(f"must be finite (SKU position {i})", column=column, value=float(arr.reshape(-1)[i]))
    return arr


def _per_sku_factor(values: ArrayLike, column: str, shape: tuple[int, ...], *, positive: bool) -> NDArray[np.float64]:
    """A scale (finite, > 0) or weight (finite, >= 0): one number or one per SKU."""
    arr = _finite(values, column)
    if arr.shape not in ((), shape):
        raise PlanningError(f"must be one number or one per SKU {shape}", column=column, value=f"shape {arr.shape}")
    bad = (arr <= 0) if positive else (arr < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        raise PlanningError(f"must be {'> 0' if positive else '>= 0'} (SKU position {i})", column=column,
                            value=float(arr.reshape(-1)[i]))
    return arr
