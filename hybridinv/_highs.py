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
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["new_highs", "run_mip"]

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


def run_mip(highs: Any, start: ArrayLike | None = None) -> tuple[NDArray[np.float64], float] | None:
    """Run the MIP loaded into ``highs``, from the column values ``start`` if given.

    Returns the column values and the MIP dual bound (0 where HiGHS reports none), or
    ``None`` when HiGHS found no feasible solution within its limits.
    """
    if start is not None:
        import highspy

        given = highspy.HighsSolution()
        given.col_value = np.asarray(start, dtype=np.float64).tolist()
        highs.setSolution(given)
    highs.run()
    info = highs.getInfo()
    solution = highs.getSolution()
    if not solution.value_valid or info.primal_solution_status == 0:
        return None
    bound = float(info.mip_dual_bound)
    return np.asarray(solution.col_value, dtype=np.float64), bound if math.isfinite(bound) else 0.0


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
