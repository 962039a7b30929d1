"""``hybridinv train``: train the hybrid agent or a pure-RL baseline on a scenario."""

from __future__ import annotations

import json

import click

__all__ = ["command"]


@click.command("train")
@click.option("--scenario", default="multi_50", show_default=True, help="Scenario registry name.")
@click.option(
    "--algo",
    type=click.Choice(["hybrid", "ppo", "sac"]),
    default="hybrid",
    show_default=True,
    help="hybrid: shared network + repair (TargetEnv); ppo/sac: pure RL on order quantities (OrderEnv).",
)
@click.option("--timesteps", type=int, default=50_000, show_default=True, help="Training periods.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Model directory to write.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--eval-every", type=int, default=10_000, show_default=True, help="Evaluate every K timesteps.")
@click.option("--eval-seeds", type=int, default=5, show_default=True, help="Number of evaluation seeds.")
@click.option("--curriculum", is_flag=True, help="Stationary demand first, then seasonality, then the full scenario.")
@click.option("--randomize", is_flag=True, help="Domain randomization of demand means and lead times per episode.")
@click.option("--n-envs", type=int, default=1, show_default=True, help="Environments stepped together.")
@click.option("--learning-rate", type=float, default=3e-4, show_default=True)
@click.option("--n-steps", type=int, default=1024, show_default=True, help="PPO rollout length per environment.")
@click.option("--warm-start", type=click.Path(), default=None, help="Initialize the hybrid network from a model.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(
    scenario: str,
    algo: str,
    timesteps: int,
    out: str,
    seed: int,
    eval_every: int,
    eval_seeds: int,
    curriculum: bool,
    randomize: bool,
    n_envs: int,
    learning_rate: float,
    n_steps: int,
    warm_start: str | None,
    quiet: bool,
) -> None:
    """Train an RL agent (pure RL or hybrid) on a scenario and write a model directory.

    The directory gets policy.npz (hybrid: numpy weights of the SKU-shared
    network) or sb3.zip (pure RL), plus metadata.json with the observation and
    action specification, reward, training configuration, seed, evaluation
    KPIs and the SHA-256 of the weights.
    """
    from hybridinv.core.errors import PlanningError
    from hybridinv.rl.training import TrainConfig, train

    try:
        config = TrainConfig(
            scenario=scenario,
            algo=algo,  # type: ignore[arg-type]
            timesteps=timesteps,
            seed=seed,
            eval_every=eval_every,
            eval_seeds=tuple(10_001 + k for k in range(eval_seeds)),
            curriculum=curriculum,
            randomize=randomize,
            n_envs=n_envs,
            learning_rate=learning_rate,
            n_steps=n_steps,
            warm_start=warm_start,
        )
        result = train(config, out, progress=not quiet)
    except (PlanningError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    best = {key: round(value, 4) for key, value in result.best.items()}
    click.echo(f"wrote {result.path} in {result.seconds:.0f} s")
    click.echo(json.dumps({"best_evaluation": best}, indent=2))
