"""Seeds of simulated episodes: a count ``k`` is seeds ``0..k-1``, a list is taken as given (distinct, >= 0)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from hybridinv.core.errors import PlanningError, whole_number, whole_numbers
from hybridinv.core.limits import MAX_EPISODES

__all__ = ["episode_count", "seed_numbers"]


def episode_count(seeds: object, column: str = "seeds") -> int:
    """A number of seeds: a whole number from 1 to :data:`~hybridinv.core.limits.MAX_EPISODES`."""
    count = whole_number(seeds, column, 1)
    if count > MAX_EPISODES:  # list(range(10**30)) raised an OverflowError
        raise PlanningError(f"must be at most {MAX_EPISODES:,} seeds (MAX_EPISODES)", column=column, value=seeds)
    return count


def seed_numbers(seeds: int | Iterable[int], column: str = "seeds") -> list[int]:
    """``seeds`` as a list: an int ``k`` (>= 1) is ``0..k-1``, else each a whole number >= 0 (numpy's range).

    At most :data:`~hybridinv.core.limits.MAX_EPISODES` seeds.
    """
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        return list(range(episode_count(seeds, column)))
    if isinstance(seeds, str | bytes | bool) or not isinstance(seeds, Iterable):
        raise PlanningError("must be a number of seeds or a list of seeds", column=column, value=seeds)
    numbers = list(whole_numbers(list(seeds), column, 0))
    seen: set[int] = set()
    for seed in numbers:
        if seed in seen:  # its path counted twice in every mean and interval
            raise PlanningError("a seed is listed more than once", column=column, value=seed)
        seen.add(seed)
    return numbers
