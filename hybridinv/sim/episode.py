"""One episode of a policy on a scenario (:func:`run_episode`, re-exported by :mod:`hybridinv.sim.runner`).

A module of its own because it needs nothing but the simulator: the plan-time validation gate
(:mod:`hybridinv.rl.gate`), which the backtest runs, replays episodes without depending on
:func:`~hybridinv.sim.runner.simulate` and the scenario registry it reads names from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hybridinv.sim.ledger import Ledger
from hybridinv.sim.scenario import Scenario
from hybridinv.sim.simulator import Simulator

if TYPE_CHECKING:
    from hybridinv.policies.base import Policy

__all__ = ["play", "reset_policy", "run_episode"]


def reset_policy(policy: object, scenario: Scenario) -> None:
    """``policy.reset(scenario)`` where the policy has one (the start of an episode or a batch of them)."""
    reset = getattr(policy, "reset", None)
    if callable(reset):
        reset(scenario)


def play(sim: Any, obs: Any, act: Callable[[Any], Any]) -> float:
    """Step ``sim`` (a :class:`Simulator` or a batch simulator, reset to ``obs``) with ``act(obs)`` to its end; the
    seconds spent in ``act``."""
    decide_time = 0.0
    while not sim.done:
        start = time.perf_counter()
        orders = act(obs)
        decide_time += time.perf_counter() - start
        obs = sim.step(orders)
    return decide_time


def run_episode(
    policy: Policy,
    scenario: Scenario,
    seed: int,
    periods: int | None = None,
    track: Iterable[int] | None = None,
    per_sku_costs: bool = False,
) -> tuple[Ledger, float]:
    """Simulate one episode; return its ledger and the mean decision time per period (s).

    ``per_sku_costs=True`` records each period's cost per SKU (``ledger.sku_costs``).

    The repair layer's :class:`~hybridinv.ConstraintViolationWarning` (stock already
    above capacity, so nothing more can be ordered into that receipt period) is not
    issued in simulation — the library's policies call the repair with ``warn=False``
    when their observation comes from a simulator, since it is a normal consequence of
    demand below forecast and the ledger records capacity use and overflow at receipt.
    No global warning state is touched, so episodes may run in threads.
    """
    tracked = None if track is None else list(track)
    sim = Simulator(scenario, periods=periods, track=tracked, per_sku_costs=per_sku_costs)
    reset_policy(policy, scenario)
    decide_time = play(sim, sim.reset(seed=seed), policy.act)
    return sim.ledger, decide_time / sim.periods
