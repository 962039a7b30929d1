"""The hybrid agent: shared network + repair, on 50 and 1,000 SKUs (hybridinv/rl/hybrid.py)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from hybridinv import scenarios
from hybridinv.core.errors import ConstraintViolationWarning
from hybridinv.envs import GLOBAL_FEATURES, SKU_FEATURES, TargetEnv
from hybridinv.policies.base import TargetPolicy
from hybridinv.rl import Hybrid, ModelFileError, SharedPolicyNetwork, save_model
from hybridinv.rl.hybrid import models_directory
from hybridinv.sim.runner import simulate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    net = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=16, seed=7)
    return save_model(tmp_path_factory.mktemp("models") / "random", net, {"seed": 7})


def test_is_a_target_policy(model_dir: Path) -> None:
    agent = Hybrid.load(model_dir)
    assert isinstance(agent, TargetPolicy)
    assert agent.repair == "fast"


def test_targets_match_the_environment(model_dir: Path) -> None:
    """Hybrid.targets on an observation equals what TargetEnv does with the same network's action."""
    agent = Hybrid.load(model_dir)
    env = TargetEnv(scenarios.get("multi_10"))
    flat, _ = env.reset(seed=3)
    sku, glob = agent.network.split(flat.astype(np.float64), env.n_skus)
    action = agent.network.action(sku, glob)
    env.step(action.reshape(-1).astype(np.float32))
    assert env.last_targets is not None
    env2 = TargetEnv(scenarios.get("multi_10"))
    env2.reset(seed=3)
    reorder, up_to = agent.targets(env2.observation)
    np.testing.assert_allclose(reorder, env.last_targets[0], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(up_to, env.last_targets[1], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(("name", "periods"), [("multi_50", 30), ("large_1000", 8)])
def test_feasible_orders_on_50_and_1000_skus(model_dir: Path, name: str, periods: int) -> None:
    """Every executed order passes the repair layer: zero violations in simulate."""
    agent = Hybrid.load(model_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        frame = simulate(agent, scenarios.get(name), seeds=[0], periods=periods)
    assert frame["violations"].iloc[0] == 0
    assert np.isfinite(frame["avg_cost"].iloc[0])


def test_missing_model_raises() -> None:
    with pytest.raises(ModelFileError):
        Hybrid.load("no_such_model_anywhere")


def test_shipped_default_model_loads_and_plans_without_torch() -> None:
    """The shipped default plans a catalog of another size, and torch is never imported."""
    assert (models_directory() / "hybrid_default" / "metadata.json").exists()
    code = (
        "import sys, warnings\n"
        "from hybridinv import scenarios\n"
        "from hybridinv.rl.factories import hybrid\n"
        "from hybridinv.sim.runner import simulate\n"
        "warnings.simplefilter('ignore')\n"
        "agent = hybrid()\n"
        "frame = simulate(agent, scenarios.get('multi_10'), seeds=[0], periods=12)\n"
        "assert frame['violations'].iloc[0] == 0\n"
        "assert 'torch' not in sys.modules and 'stable_baselines3' not in sys.modules, 'torch imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ok" in result.stdout
