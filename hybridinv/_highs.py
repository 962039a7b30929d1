"""A silent, single-threaded HiGHS instance.

highspy prints its banner when the first ``Highs`` object of a process is
built, before any option can be set; that line would land in the middle of a
planner's CSV on stdout. :func:`new_highs` builds the first instance with the
process's standard output briefly redirected to /dev/null.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

__all__ = ["new_highs"]

_lock = threading.Lock()
_banner_done = False


def new_highs() -> Any:
    """A ``highspy.Highs`` with ``output_flag=False`` and ``threads=1``."""
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
    return highs


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
