"""Ray for a block of work, shared by ``bench`` and ``tune`` (a low module: both import it, neither imports the other).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ray_session"]


@contextmanager
def ray_session(workers: int, address: str | None = None) -> Iterator[None]:
    """Ray for the block: the one already initialized, else a cluster or a local instance started (and shut down
    after the block) here.

    ``address`` (``"auto"``, ``"ray://host:10001"``) joins that cluster; without one, a ``RAY_ADDRESS`` set in the
    environment is joined the same way (Ray refuses ``num_cpus`` when it connects to a cluster: until 2026-12-06
    ``tune --backend ray`` with ``RAY_ADDRESS`` set ended in that traceback); otherwise a local instance with
    ``workers`` CPUs is started whose workers import from the driver's path, so that a policy module registered
    by a script resolves in them (:func:`hybridinv.policies.registry.adopt`).
    """
    import ray

    started = False
    if not ray.is_initialized():
        if address is None and not os.environ.get("RAY_ADDRESS"):
            path = os.pathsep.join(entry for entry in sys.path if entry and os.path.isdir(entry))
            ray.init(num_cpus=max(workers, 1), include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {"PYTHONPATH": path}})
        else:
            ray.init(address=address, log_to_driver=False)  # None: Ray reads RAY_ADDRESS
        started = True
    try:
        yield
    finally:
        if started:
            ray.shutdown()
