"""Shared test fixtures: small catalogs, frames and scenarios built by hand.

The repository root is put on ``sys.path`` so the tests run against the working
tree without installing the package.

Hypothesis runs derandomized and without an example database (profile ``hybridinv``): every
run of the suite draws the same examples, so CI passes or fails on the code, not on luck.
``HYBRIDINV_HYPOTHESIS=explore`` draws fresh random examples instead (a search for new
counterexamples; pin any it finds with ``@example``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

settings.register_profile("hybridinv", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None)
settings.load_profile("explore" if os.environ.get("HYBRIDINV_HYPOTHESIS") == "explore" else "hybridinv")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hybridinv.core import Catalog, Constraints  # noqa: E402
from hybridinv.demand import DemandProcess, LeadTimeProcess  # noqa: E402
from hybridinv.demand.leadtime import LeadTimePath  # noqa: E402
from hybridinv.demand.processes import DemandPath  # noqa: E402
from hybridinv.sim import Scenario, ScenarioPath  # noqa: E402


def catalog_frame(n: int = 3, **columns: Any) -> pd.DataFrame:
    """A valid catalog frame of ``n`` SKUs (``A``, ``B``, ...); keyword arguments replace columns."""
    data: dict[str, Any] = {
        "sku": [chr(ord("A") + i) for i in range(n)],
        "unit_cost": np.linspace(10.0, 30.0, n),
        "holding_cost": np.linspace(0.5, 1.5, n),
        "shortage_cost": np.linspace(5.0, 9.0, n),
        "order_cost": np.linspace(0.0, 4.0, n),
        "volume": np.linspace(1.0, 2.0, n),
        "lead_time": np.arange(n) % 3,
        "moq": np.zeros(n),
        "lot_size": np.ones(n),
        "max_order": np.full(n, np.inf),
    }
    data.update(columns)
    return pd.DataFrame(data)


def make_catalog(n: int = 3, **fields: Any) -> Catalog:
    """A catalog of ``n`` SKUs with unit costs 1, holding 1, shortage 4, lead time 0 unless overridden."""
    values: dict[str, Any] = {
        "sku": np.array([f"S{i}" for i in range(n)], dtype=object),
        "unit_cost": np.ones(n),
        "holding_cost": np.ones(n),
        "shortage_cost": np.full(n, 4.0),
        "lead_time": np.zeros(n, dtype=np.int64),
    }
    values.update(fields)
    return Catalog(**values)


def make_scenario(
    catalog: Catalog,
    mean: float | np.ndarray = 5.0,
    *,
    constraints: Constraints | None = None,
    lead_times: LeadTimeProcess | None = None,
    **options: Any,
) -> Scenario:
    """A Poisson-demand scenario on ``catalog`` (other Scenario fields as keyword arguments)."""
    n = catalog.n_skus
    demand = DemandProcess(mean=np.broadcast_to(np.asarray(mean, dtype=float), (n,)).copy())
    return Scenario(
        name=options.pop("name", "test"),
        catalog=catalog,
        constraints=constraints or Constraints(),
        demand=demand,
        lead_times=lead_times,
        **options,
    )


def hand_path(
    demand: Any,
    lead_time: Any,
    delivered_fraction: Any | None = None,
    lookahead: int = 16,
) -> ScenarioPath:
    """A scenario path from hand-written demand (periods x n) and per-order lead times.

    ``lead_time`` is either an array (n,) used in every period or (periods, n).
    The path is padded with zero demand for the simulator's lookahead.
    """
    realized = np.atleast_2d(np.asarray(demand, dtype=float))
    periods, n = realized.shape
    realized = np.vstack([realized, np.zeros((lookahead, n))])
    lead = np.asarray(lead_time, dtype=np.int64)
    lead = np.broadcast_to(lead, (periods, n)) if lead.ndim == 1 else lead
    lead = np.vstack([lead, np.repeat(lead[-1:], lookahead, axis=0)])
    fraction = None
    if delivered_fraction is not None:
        frac = np.broadcast_to(np.asarray(delivered_fraction, dtype=float), (periods, n))
        fraction = np.vstack([frac, np.ones((lookahead, n))])
    return ScenarioPath(
        seed=-1,
        demand=DemandPath(realized=realized, expected=realized.copy(), std=np.zeros_like(realized)),
        lead_times=LeadTimePath(lead_time=lead, delivered_fraction=fraction, disrupted=None),
    )


#: A scenario file describing exactly the registered ``single_sku`` scenario (catalog ``single.csv``).
SINGLE_SKU_TOML = """
name = "single_sku"
catalog = "single.csv"
periods = 1000
warmup = 50

[demand]
process = "poisson"
mean = 5.0
"""


@pytest.fixture
def single(tmp_path: Path) -> Path:
    """``tmp_path/single.toml`` (:data:`SINGLE_SKU_TOML`) with its one-SKU catalog ``single.csv``."""
    pd.DataFrame({"sku": ["SKU-0"], "unit_cost": [0.0], "holding_cost": [1.0], "shortage_cost": [9.0],
                  "lead_time": [2]}).to_csv(tmp_path / "single.csv", index=False)
    path = tmp_path / "single.toml"
    path.write_text(SINGLE_SKU_TOML)
    return path


@pytest.fixture
def frame() -> pd.DataFrame:
    """A valid three-SKU catalog frame."""
    return catalog_frame()


def scenario_or_skip(name: str):  # type: ignore[no-untyped-def]
    """A registered scenario; real-data backtests skip when ../shared/data is absent."""
    import pytest

    from hybridinv import scenarios
    from hybridinv.twin.realdata import DATASETS, data_dir

    dataset = name.removesuffix("_backtest")
    if dataset in DATASETS and not (data_dir() / DATASETS[dataset]).exists():
        pytest.skip(f"real demand data not found in {data_dir()} (set HYBRIDINV_DATA)")
    return scenarios.get(name)


def child_pids(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux /proc; [] once it has ended)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


#: The first statement of a command a test interrupts with SIGINT: Python's handler, as in a terminal's job. A command
#: inherits the test runner's disposition of SIGINT, and when the runner was started with SIGINT ignored (a job put in
#: the background by a shell without job control: ``pytest ... &`` in a script, or a runner that ignores SIGINT),
#: Python leaves it ignored (it installs its KeyboardInterrupt handler only over the default action), so the command
#: never saw the test's Ctrl-C and the test hung, reproduced at will and shown by :func:`signal_states` as SIGINT
#: (0x2) in every thread's ``SigIgn``; the likely cause of the "hang under load" of the interruption tests seen
#: before (same tests, same stacks). A user's ``hybridinv`` run that way ignores Ctrl-C too, by the same convention,
#: and ends on SIGTERM.
AS_A_TERMINAL_JOB = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)"


def signal_states(pid: int) -> str:
    """One line per thread of ``pid`` and of its children: the signal masks the kernel keeps (``SigBlk`` blocked,
    ``SigIgn`` ignored, ``SigCgt`` caught, ``SigPnd``/``ShdPnd`` pending for the thread/the process; bit
    ``n - 1`` is signal ``n``: SIGINT 0x2, SIGTERM 0x4000) and its state. A command that does not end after a signal
    shows here whether the signal waits blocked in every thread, is ignored, or was taken and not acted on (its
    Python stacks alone could not tell: an interrupted bench, its main thread in an untimed wait; a runner that ignores
    SIGINT hangs it so, see :data:`AS_A_TERMINAL_JOB`)."""
    lines = []
    for owner in [pid, *child_pids(pid)]:
        for task in sorted(Path(f"/proc/{owner}/task").glob("*")):
            try:
                fields = dict(line.split(":", 1) for line in (task / "status").read_text().splitlines() if ":" in line)
            except OSError:
                continue
            shown = " ".join(f"{key}={fields[key].strip()}" for key in ("Name", "State", "SigPnd", "ShdPnd", "SigBlk",
                                                                        "SigIgn", "SigCgt") if key in fields)
            lines.append(f"{owner}/{task.name}: {shown}")
    return "\n".join(lines)


def interrupt_and_wait(process: Any, signum: str, timeout: float) -> tuple[str, str]:
    """Send ``signum`` to a command started in its own process group (SIGINT to the whole group, as Ctrl-C does;
    SIGTERM to the command's process only, as ``kill`` does) and return its (stdout, stderr) at its end. Fails the
    test when it is still running ``timeout`` seconds later, with the signal states of its threads
    (:func:`signal_states`) and the stacks it dumps on SIGUSR1 (the command registers ``faulthandler`` for it) in
    the message; the process group is killed either way."""
    import signal
    import subprocess
    import time

    try:
        if signum == "SIGINT":
            os.killpg(process.pid, signal.SIGINT)
        else:
            os.kill(process.pid, signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=timeout)  # at EOF of stderr: every worker holding it has exited
        except subprocess.TimeoutExpired:
            states = signal_states(process.pid)
            os.kill(process.pid, signal.SIGUSR1)
            time.sleep(2)
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"still running {timeout:g} s after {signum}:\n{states}\n{process.communicate()[1][-6000:]}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return out, err
