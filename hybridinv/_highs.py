"""A silent, single-threaded HiGHS instance, and running a loaded MIP from a start point.

highspy prints its banner when the first ``Highs`` object of a process is
built, before any option can be set; that line would land in the middle of a
planner's CSV on stdout. :func:`new_highs` builds the first instance with the
process's standard output briefly redirected to /dev/null.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["ABANDON_GRACE", "new_highs", "run_bounded", "run_mip"]

#: A run with a finite ``time_limit`` is abandoned when it has not returned ``ABANDON_GRACE`` seconds
#: (or 5% of the limit if more) after its limit: HiGHS's presolve does not look at the clock.
ABANDON_GRACE = 0.05

_lock = threading.Lock()
_banner_done = False


def new_highs(time_limit: float | None = None, gap: float | None = None) -> Any:
    """A ``highspy.Highs`` with ``output_flag=False``, ``threads=1`` and the optional limits.

    ``time_limit`` in seconds (at least 1 ms), ``gap`` the relative MIP gap ``mip_rel_gap``.
    """
    global _banner_done
    import highspy

    with _lock:
        if _banner_done:
            highs = highspy.Highs()
        else:
            highs = _quiet_first(highspy)
            _banner_done = True
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    if time_limit is not None:
        highs.setOptionValue("time_limit", max(float(time_limit), 1e-3))
    if gap is not None:
        highs.setOptionValue("mip_rel_gap", float(gap))
    return highs


def run_mip(
    highs: Any, start: ArrayLike | None = None, reference: float | None = None
) -> tuple[NDArray[np.float64], float, bool] | None:
    """Run the MIP loaded into ``highs``, from the column values ``start`` if given, and check the answer.

    Returns the column values, the MIP dual bound (0 where HiGHS reports none) and whether the
    answer passed two checks, or ``None`` when HiGHS found no feasible solution within its limits
    (or did not return within its time limit, see :func:`run_bounded`).
    The checks guard against presolve errors seen with HiGHS 1.16, each then solved again with
    presolve off:

    * the returned values must have the objective HiGHS reports (after ``setSolution``, a model
      that presolve solved outright handed back the start's values with the optimum's objective);
    * ``reference``, the objective of a plan known to be feasible, must not lie below the dual
      bound (on 7-digit coefficients presolve returned a worse plan as optimal, with a bound above
      the true optimum).

    When the second solve fails a check too, the values of the run with the lower objective are
    returned with a bound of 0 (none) and ``False``: the caller must not call the plan proven. The
    second solve gets what is left of the first one's time limit.
    """
    began = time.perf_counter()
    first = _solve(highs, start)
    if first is None or _consistent(highs, first, reference):
        return None if first is None else (*first, True)
    limit = _time_limit(highs)
    left = limit - (time.perf_counter() - began)
    if math.isfinite(limit) and left <= 1e-3:
        return first[0], 0.0, False
    highs.clearSolver()
    highs.setOptionValue("presolve", "off")
    if math.isfinite(limit):
        highs.setOptionValue("time_limit", left)  # HiGHS restarts its clock on every run
    again = _solve(highs, None)
    if again is not None and _consistent(highs, again, reference):
        return (*again, True)
    if again is None or _objective(highs, first[0])[0] <= _objective(highs, again[0])[0]:
        return first[0], 0.0, False
    return again[0], 0.0, False


def _time_limit(highs: Any) -> float:
    option = highs.getOptionValue("time_limit")  # (status, value) in highspy 1.16, the value in others
    return float(option[1] if isinstance(option, tuple) else option)


def run_bounded(highs: Any) -> bool:
    """``highs.run()`` that returns within its ``time_limit`` option; False when the run was abandoned.

    HiGHS checks its clock in the solvers, not in presolve, which on large models ran far past
    the limit (a 1 s limit took 2.9-5.0 s at 20,000 SKUs, a 4 s limit 6-56 s at 100,000). With a finite
    limit the run goes to a daemon thread (HiGHS releases the GIL while it solves) and is waited
    for up to ``limit + max(ABANDON_GRACE, 0.05 limit)``; past that it is abandoned: ``highs`` is left to the
    thread, which HiGHS's own limit stops after presolve, and must not be used again. Without a
    limit, or when the run returns in time, this is ``highs.run()``.
    """
    limit = _time_limit(highs)
    if not math.isfinite(limit):
        highs.run()
        return True
    finished = threading.Event()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            highs.run()
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread below
            failure.append(error)
        finally:
            finished.set()

    threading.Thread(target=work, name="hybridinv-highs", daemon=True).start()
    if not finished.wait(limit + max(ABANDON_GRACE, 0.05 * limit)):
        return False
    if failure:
        raise failure[0]
    return True


def _solve(highs: Any, start: ArrayLike | None) -> tuple[NDArray[np.float64], float] | None:
    if start is not None:
        import highspy

        given = highspy.HighsSolution()
        given.col_value = np.asarray(start, dtype=np.float64).tolist()
        highs.setSolution(given)
    if not run_bounded(highs):
        return None
    info = highs.getInfo()
    solution = highs.getSolution()
    if not solution.value_valid or info.primal_solution_status == 0:
        return None
    bound = float(info.mip_dual_bound)
    return np.asarray(solution.col_value, dtype=np.float64), bound if math.isfinite(bound) else 0.0


def _objective(highs: Any, values: NDArray[np.float64]) -> tuple[float, float]:
    """The model's objective at ``values`` and the size of its terms (``|offset| + sum |c_j x_j|``)."""
    lp = highs.getLp()
    terms = np.asarray(lp.col_cost_) * values
    offset = float(lp.offset_)
    return float(terms.sum()) + offset, float(np.abs(terms).sum()) + abs(offset)


def _consistent(highs: Any, solved: tuple[NDArray[np.float64], float], reference: float | None) -> bool:
    """Whether the values have HiGHS's objective and ``reference`` does not undercut the bound.

    The tolerance grows with the size of the objective's terms: an offset that large terms cancel
    (a deviation cost of 0.6 over desired quantities of 1e6) carries their rounding error, in
    HiGHS's numbers as in ours.
    """
    values, bound = solved
    objective, size = _objective(highs, values)
    reported = float(highs.getInfo().objective_function_value)
    tolerance = 1e-7 * max(1.0, abs(reported)) + 1e-9 * size
    if abs(objective - reported) > tolerance:
        return False
    return reference is None or reference >= bound - tolerance


def _quiet_first(highspy: Any) -> Any:
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real file descriptor (e.g. captured stdout)
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
