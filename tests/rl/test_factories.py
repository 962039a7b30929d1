"""Registry factories of the RL policies (hybridinv/rl/factories.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridinv.core.errors import PlanningError
from hybridinv.envs import GLOBAL_FEATURES, SKU_FEATURES
from hybridinv.policies import registry
from hybridinv.rl import AdaptiveHybrid, Hybrid, ModelFileError, SharedPolicyNetwork, save_model
from hybridinv.rl.factories import hybrid
from hybridinv.rl.hybrid import models_directory, resolve_model_path
from hybridinv.rl.residual import ResidualHybrid


def test_hybrid_factory_with_a_path(tmp_path: Path) -> None:
    net = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=8)
    path = save_model(tmp_path / "mine", net, {})
    agent = registry.make("hybrid", None, model=path, repair="highs")
    assert isinstance(agent, Hybrid) and agent.repair == "highs"
    with pytest.raises(PlanningError, match="unknown hybrid options"):
        hybrid(None, model=path, colour="red")
    with pytest.raises(ModelFileError):
        hybrid(None, model=tmp_path / "missing")


def test_models_directory_is_next_to_the_package() -> None:
    assert models_directory().name == "models"
    assert (models_directory().parent / "hybridinv" / "__init__.py").exists()
    assert resolve_model_path("hybrid_default") == models_directory() / "hybrid_default"


def test_default_hybrid_is_shipped() -> None:
    agent = registry.make("hybrid")
    assert isinstance(agent, AdaptiveHybrid)
    assert agent.metadata["weights_sha256"]
    residual = Hybrid.load("hybrid_residual")
    assert isinstance(residual, ResidualHybrid)


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_shipped_pure_rl_acts_on_its_scenario_only(algo: str) -> None:
    pytest.importorskip("stable_baselines3")
    assert (models_directory() / f"{algo}_multi_50" / "sb3.zip").exists()
    from hybridinv import scenarios
    from hybridinv.rl import PureRL
    from hybridinv.sim.simulator import Simulator

    agent = registry.make(algo, scenarios.get("multi_50"))
    assert isinstance(agent, PureRL)
    obs = Simulator(scenarios.get("multi_50")).reset(seed=0)
    orders = agent.act(obs)
    assert orders.shape == (50,) and (orders >= 0).all()
    other = Simulator(scenarios.get("multi_10")).reset(seed=0)
    with pytest.raises(PlanningError, match="tied to its SKU count"):
        agent.act(other)


def test_hybrid_factory_picks_the_instance_model_of_a_single_sku_scenario() -> None:
    from hybridinv import scenarios
    from hybridinv.rl.factories import hybrid

    matched = hybrid(scenarios.single_sku(shortage_cost=9.0, lead_time=2))
    assert (
        matched.metadata["scenario"]["description"] == scenarios.single_sku(shortage_cost=9.0, lead_time=2).description
    )
    other = hybrid(scenarios.single_sku(shortage_cost=10.0, lead_time=2))
    default = hybrid(scenarios.get("multi_50"))
    assert other.metadata["name"] == default.metadata["name"]
    assert matched.metadata["name"] != default.metadata["name"]


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_pure_rl_of_a_registry_scenario_finds_the_model_shipped_for_the_same_instance(algo: str) -> None:
    """The finding: ``hybridinv bench --scenarios single_sku --policies ppo`` failed (no models/ppo_single_sku)
    although ``models/ppo_single_sku_L2_p9`` was trained on exactly that instance (the suites' name for it)."""
    pytest.importorskip("stable_baselines3")
    from hybridinv import scenarios
    from hybridinv.rl import PureRL
    from hybridinv.rl.factories import _trained_for
    from hybridinv.sim.simulator import Simulator

    scenario = scenarios.get("single_sku")
    assert _trained_for(f"{algo}_*", scenario) == models_directory() / f"{algo}_single_sku_L2_p9"
    agent = registry.make(algo, scenario)
    assert isinstance(agent, PureRL)
    orders = agent.act(Simulator(scenario).reset(seed=0))
    assert orders.shape == (1,) and (orders >= 0).all()
    with pytest.raises(ModelFileError, match=f"{algo}_single_sku"):  # another instance: still no model
        registry.make(algo, scenarios.single_sku(shortage_cost=10.0))


@pytest.mark.parametrize("model", [-1, 2.5, True, [1, 2], {"a": 1}, (1,)])
def test_a_model_that_is_not_a_name_or_path_is_refused(model: object) -> None:
    # a number or a list passed as model= was a TypeError from pathlib (pd.NA one from `model or default`)
    with pytest.raises(PlanningError, match="must be a model name or directory") as info:
        hybrid(model=model)  # type: ignore[arg-type]
    assert info.value.column == "model"
    with pytest.raises(PlanningError, match="must be a model name or directory"):
        resolve_model_path(model)  # type: ignore[arg-type]


@pytest.mark.parametrize("planted", ["folder", "file"])
def test_the_default_hybrid_is_the_shipped_one_whatever_the_working_directory_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, planted: str
) -> None:
    """A ./hybrid_default folder (here a copy of another shipped model) was planned with instead of the shipped
    default, without a word; a file of that name made every default plan fail."""
    import shutil

    if planted == "folder":
        shutil.copytree(models_directory() / "hybrid_residual", tmp_path / "hybrid_default")
    else:
        (tmp_path / "hybrid_default").write_text("not a model")
    monkeypatch.chdir(tmp_path)
    policy = hybrid()
    shipped = Hybrid.load(models_directory() / "hybrid_default")
    assert type(policy) is type(shipped) and policy.metadata == shipped.metadata
