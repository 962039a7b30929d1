"""Waiting for workers (hybridinv/_pool.py): a signal that another thread receives is still handled at once."""

from __future__ import annotations

import multiprocessing.pool
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hybridinv._pool import POLL_SECONDS, completed, gathered

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals to threads")


def _sigint_to_another_thread() -> threading.Thread:
    """A thread that does not block SIGINT and receives it 0.3 s from now (as the OS may pick any such thread for a
    Ctrl-C sent to the process). Python's C handler runs there; the Python handler only when the main thread wakes."""
    idle = threading.Event()
    target = threading.Thread(target=idle.wait, args=(20.0,), daemon=True)
    target.start()

    def send() -> None:
        time.sleep(0.3)
        assert target.ident is not None
        signal.pthread_kill(target.ident, signal.SIGINT)
        time.sleep(0.5)
        idle.set()

    threading.Thread(target=send, daemon=True).start()
    return target


@pytest.fixture
def sigint_raises():  # type: ignore[no-untyped-def]
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_waiting_for_futures_is_interrupted_by_a_sigint_another_thread_took(sigint_raises) -> None:  # type: ignore[no-untyped-def]
    """as_completed waited without a timeout, so a main thread waiting for a long task slept through the Ctrl-C
    another thread had received (an interrupted bench under load ran on 30 s)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        release = threading.Event()
        futures = [pool.submit(release.wait, 10.0)]
        _sigint_to_another_thread()
        start = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            for _ in completed(futures):
                pass
        waited = time.perf_counter() - start
        release.set()
    assert waited < 0.3 + 0.5 + 4 * POLL_SECONDS  # the futures would have taken 10 s


def test_completed_yields_every_future_once() -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(time.sleep, delay) for delay in (0.3, 0.0, 0.1)]
        assert sorted(map(id, completed(futures))) == sorted(map(id, futures))


def test_gathering_a_multiprocessing_result_is_interrupted_likewise(sigint_raises) -> None:  # type: ignore[no-untyped-def]
    """pool.starmap waited without a timeout too (the ES training pool)."""
    with multiprocessing.pool.ThreadPool(1) as pool:
        release = threading.Event()
        result = pool.starmap_async(release.wait, [(10.0,)])
        _sigint_to_another_thread()
        start = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            gathered(result)
        waited = time.perf_counter() - start
        release.set()
        assert gathered(result) == [True]
    assert waited < 0.3 + 0.5 + 4 * POLL_SECONDS
