"""A process pool that stops with its command: ``bench`` and ``tune`` (``concurrent.futures``) use it.

An interrupted ``hybridinv bench --workers 2`` (Ctrl-C or SIGTERM) printed its one line, then waited for every
task its workers had taken (a minute for a long episode; a SIGTERM-ed ``bench`` hung there), and Ctrl-C, which a
terminal sends to the whole process group, reached the workers too (a worker waiting for its next task printed a
``KeyboardInterrupt`` traceback). Now the workers never see SIGINT (it is blocked while they are started: a
started process inherits the blocked signal, also across the exec of a spawned one, from its first instruction)
and :func:`stop_pool` terminates them (SIGTERM) instead of waiting; the interruption is the calling process's to
handle (:mod:`hybridinv.cli`: one line, exit code 130 or 143).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

__all__ = ["starting_workers", "stop_pool"]


@contextmanager
def starting_workers() -> Iterator[None]:
    """Within it, processes started by this thread (a pool's workers, at ``submit``) start with SIGINT blocked.

    The calling process still gets a SIGINT sent meanwhile: another of its threads takes it (Python raises the
    ``KeyboardInterrupt`` in the main thread), or it is delivered when the block is lifted on leaving.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process groups for Ctrl-C to reach the workers through
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued tasks of ``pool``, terminate its workers (the tasks they run are not waited for) and wait
    until they have exited, so that none outlives the command or prints into its terminal later."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way before Python 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():  # a worker that does not end on SIGTERM
            process.kill()
            process.join()
    pool.shutdown(wait=True)
