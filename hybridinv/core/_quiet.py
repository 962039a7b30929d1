"""Warning filters changed for the length of a ``with`` block, as safely as Python allows when plan() runs in
several threads.

``warnings.catch_warnings`` saves and restores the process-wide filter list (on Python < 3.14 it is not
thread-safe): two blocks that overlap in two threads restore each other's filters, and one may stay for good. A
thread pool of PuLP plans left a global ``("ignore", None, Warning)`` behind, after which no warning of any kind
was shown, and every other thread lost its warnings while one was solving. So the library's blocks (1) filter
only the warnings they name, never everything, and (2) hold one lock, so that two of them never overlap.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.RLock()


@contextmanager
def warnings_filtered(*filters: tuple[str, str, type[Warning], str]) -> Iterator[None]:
    """Apply ``filters``, each ``(action, message, category, module)`` as :func:`warnings.filterwarnings`
    takes them (regular expressions; ``""`` matches all), inside the block only; one block at a time."""
    with _LOCK, warnings.catch_warnings():
        for action, message, category, module in filters:
            warnings.filterwarnings(action, message=message, category=category, module=module)  # type: ignore[arg-type]
        yield
