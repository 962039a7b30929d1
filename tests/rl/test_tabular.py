"""Single-SKU baselines: tabular Q-learning and the discrete environment (hybridinv/rl/tabular.py)."""

from __future__ import annotations

import numpy as np
import pytest

from hybridinv import scenarios
from hybridinv.exact import best_base_stock
from hybridinv.rl.tabular import QLearning, SingleSkuDiscreteEnv, plot_policy


def test_discrete_env_orders_are_executed() -> None:
    env = SingleSkuDiscreteEnv(scenarios.single_sku(mean=2.0, lead_time=2, periods=20, warmup=0), max_order=6)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (2,)
    _, reward, _, _, info = env.step(5)
    assert env.state()[1] == 5  # lead time 2: one period later the order is due in one period
    before = env.state()[0]
    env.step(0)
    assert env.state()[0] >= 5 and env.state()[0] <= before + 5  # now it is available
    assert reward == pytest.approx(-info["cost"] / 2.0)


def test_q_learning_finds_the_optimal_base_stock() -> None:
    """Zero lead time, Poisson(2), h=1, p=9: the greedy Q policy orders up to the best base-stock level
    of hybridinv.exact.best_base_stock (an independent exact computation)."""
    scenario = scenarios.single_sku(mean=2.0, lead_time=0, holding_cost=1.0, shortage_cost=9.0, periods=500)
    level, _ = best_base_stock(2.0, 0, 1.0, 9.0)
    agent = QLearning(max_order=8, max_stock=12, gamma=0.9, seed=0).fit(scenario, steps=40_000)
    orders = [agent.order(np.array([stock])) for stock in range(8)]
    expected = [max(level - stock, 0) for stock in range(8)]
    assert orders == expected


def test_plot_policy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = plot_policy({"base-stock 4": lambda s: max(4 - int(s[0]), 0)}, 1, 10, tmp_path / "p.png")
    assert path.stat().st_size > 1000


def test_tiny_dqn_run_leaves_no_log_folders() -> None:
    pytest.importorskip("stable_baselines3")
    import tempfile
    from pathlib import Path

    from hybridinv.rl.tabular import train_dqn
    from hybridinv.sim.runner import simulate

    before = {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("SB3-")}
    scenario = scenarios.single_sku(mean=2.0, lead_time=1, periods=50, warmup=0)
    policy = train_dqn(scenario, max_order=6, timesteps=1200, seed=0)
    frame = simulate(policy, scenario, seeds=[0])
    assert np.isfinite(frame["avg_cost"].iloc[0])
    after = {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("SB3-")}
    assert after == before
