"""``hybridinv train``: train the hybrid agent or a pure-RL baseline on a scenario."""

from __future__ import annotations

import json

import click

__all__ = ["command"]


@click.command("train")
@click.option("--scenario", default="multi_50", show_default=True, help="Scenario registry name.")
@click.option(
    "--algo",
    type=click.Choice(["hybrid", "es", "adaptive", "ppo", "sac"]),
    default="hybrid",
    show_default=True,
    help=(
        "hybrid: shared network + repair trained by PPO (TargetEnv); es: residual hybrid (network correcting "
        "capped base-stock) trained by evolution strategies; adaptive: shared per-SKU linear policy correcting the "
        "forecast capped base-stock, trained by evolution strategies (the shipped default); ppo/sac: pure RL on "
        "order quantities (OrderEnv)."
    ),
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
@click.option("--hidden", type=int, default=None, help="Hidden width (default 64; 16 for --algo es).")
@click.option("--population", type=int, default=20, show_default=True, help="ES: members per generation (even).")
@click.option("--sigma", type=float, default=0.05, show_default=True, help="ES: perturbation standard deviation.")
@click.option("--generations", type=int, default=1000, show_default=True, help="ES: maximum generations.")
@click.option(
    "--seeds-per-generation", type=int, default=2, show_default=True, help="ES: scenario seeds per generation."
)
@click.option("--time-limit", type=float, default=780.0, show_default=True, help="ES: stop after this many seconds.")
@click.option("--workers", type=int, default=2, show_default=True, help="ES: simulation processes.")
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
    hidden: int | None,
    population: int,
    sigma: float,
    generations: int,
    seeds_per_generation: int,
    time_limit: float,
    workers: int,
    quiet: bool,
) -> None:
    """Train an RL agent (pure RL or hybrid) on a scenario and write a model directory.

    The directory gets policy.npz (hybrid: numpy weights of the SKU-shared
    network) or sb3.zip (pure RL), plus metadata.json with the observation and
    action specification, reward, training configuration, seed, evaluation
    KPIs and the SHA-256 of every file of the directory. With --algo es or adaptive, --learning-rate is the
    Adam step on the mean parameters (default 0.03 for ES) and --eval-every counts generations.
    """
    from hybridinv.core.errors import PlanningError
    from hybridinv.rl.training import TrainConfig, train, train_es

    is_es = algo in ("es", "adaptive")
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
            hidden=hidden or (16 if is_es else 64),
        )
        if is_es:
            from hybridinv.rl.es import ESConfig

            es = ESConfig(
                population=population,
                sigma=sigma,
                learning_rate=0.03 if learning_rate == 3e-4 else learning_rate,
                generations=generations,
                seeds_per_generation=seeds_per_generation,
                eval_every=max(1, eval_every) if eval_every < 1000 else 5,
                eval_seeds=config.eval_seeds,
                time_limit=time_limit,
                seed=seed,
            )
            result = train_es(config, out, progress=not quiet, es=es, workers=workers)
        else:
            result = train(config, out, progress=not quiet)
    except (PlanningError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    best = {key: round(value, 4) for key, value in result.best.items()}
    click.echo(f"wrote {result.path} in {result.seconds:.0f} s")
    click.echo(json.dumps({"best_evaluation": best}, indent=2))
