"""Warning filters changed for a block (hybridinv/core/_quiet.py): safe beside other threads."""

from __future__ import annotations

import threading
import warnings

from hybridinv.core._quiet import warnings_filtered


def test_overlapping_blocks_in_two_threads_leave_the_filters_as_they_were() -> None:
    """With bare ``catch_warnings`` the second block saved the first one's filter and restored it after the first
    had ended: it stayed in the process for good (a thread pool of PuLP plans left "ignore every warning")."""
    before = list(warnings.filters)
    first_inside, second_inside, first_done = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with warnings_filtered(("ignore", "first block", UserWarning, "")):
            first_inside.set()
            second_inside.wait(0.5)  # unguarded, the second block opens now and closes after this one
        first_done.set()

    def second() -> None:
        first_inside.wait(5)
        with warnings_filtered(("ignore", "second block", UserWarning, "")):
            second_inside.set()
            first_done.wait(5)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert warnings.filters == before


def test_only_the_named_warnings_are_filtered_inside_the_block() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with warnings_filtered(("ignore", "Could not infer format", UserWarning, "")):
            warnings.warn("Could not infer format, so each element will be parsed individually", UserWarning,
                          stacklevel=1)
            warnings.warn("a planner's warning", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["a planner's warning"]
