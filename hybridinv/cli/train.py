"""``hybridinv train``: train the hybrid agent or a pure-RL baseline on a scenario."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from hybridinv.cli import INTERRUPT_NOTE
from hybridinv.cli._io import CUTOFF_READINGS, FolderPath, NearChoice, extra_columns_option

__all__ = ["command"]


@click.command("train")
@click.option("--scenario", default="multi_50", show_default=True,
              help="Registered scenario name or a scenario file (*.toml, see docs/scenarios.md).")
@click.option(
    "--algo",
    type=NearChoice(["hybrid", "es", "adaptive", "ppo", "sac"]),
    default="adaptive",
    show_default=True,
    help=(
        "adaptive: shared per-SKU linear policy correcting a forecast-driven (s, S) (or, with --parameterization "
        "forecast_capped, the forecast capped base-stock), trained by evolution strategies (the form of the "
        "shipped default; the only one for --history, which ignores --algo and trains forecast_ss or forecast_capped); "
        "hybrid: "
        "shared network + repair trained by PPO or SAC (TargetEnv; see --parameterization, --learner); es: residual "
        "hybrid (network correcting capped base-stock) trained by evolution strategies; ppo/sac: pure RL on order "
        "quantities (OrderEnv)."
    ),
)
@click.option("--parameterization", type=NearChoice(["safety_stock", "forecast_ss", "forecast_capped"]),
              default=None,
              help="What the per-SKU outputs mean. --algo hybrid (network): safety_stock (s, S) (default), "
                   "forecast_ss, the shipped default's 4 corrections of the forecast-driven (s, S) on its 15 "
                   "features, or forecast_capped, 2 corrections (safety factor, cap) of the forecast capped "
                   "base-stock on the same features. --algo adaptive (linear map, ES) and --history: forecast_ss "
                   "(default) or forecast_capped (--history: from its base unless --warm-start names a capped model).")
@click.option("--learner", type=NearChoice(["ppo", "sac"]), default="ppo", show_default=True,
              help="--algo hybrid: the stable-baselines3 algorithm that trains the network.")
@click.option("--credit", type=NearChoice(["catalog", "sku", "priced", "difference"]), default="catalog",
              show_default=True,
              help="--algo hybrid on forecast_ss or forecast_capped: reward the catalog's period cost (one "
                   "environment per catalog), each SKU's own cost (sku: every SKU an environment; --timesteps and "
                   "--n-steps then count SKU-periods per SKU), each SKU's own cost plus its use of the "
                   "warehouse and budget at the repair's prices (priced), or plus its effect on the other SKUs' "
                   "cost, measured on copies of the catalog with the SKU at the base's action (difference).")
@click.option("--credit-window", type=int, default=None,
              help="--credit difference: periods between two copies of the catalog (default 8).")
@click.option("--history", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Train on your own demand history (CSV, long or wide) instead of a scenario; needs --catalog.")
@click.option("--catalog", type=click.Path(exists=True, dir_okay=False), default=None, help="Catalog CSV (--history).")
@click.option("--cutoff", default=None,
              help=f"--history: train on the periods before this one (default all): {CUTOFF_READINGS}.")
@click.option("--capacity", type=float, default=None, help="--history: warehouse capacity (default: derived).")
@click.option("--budget", type=float, default=None, help="--history: budget per period (default: derived).")
@click.option("--validation", type=int, default=12, show_default=True,
              help="--history: last training periods held out for the keep-or-discard check (judged by the "
                   "objective when --reward/--target/--incumbent are given: targets first, then cost).")
@click.option("--season", default="auto", show_default=True,
              help="--history: seasonal cycle in periods (0: none; auto: a year of the history's periods, 12 for "
                   "months and numbered periods, 52 for weeks, 4 for quarters, 7 for days).")
@click.option("--episodes", type=NearChoice(["bootstrap", "replay"]), default=None,
              help="--history: what ES trains on: new demand paths drawn from the training months under varied "
                   "limits (bootstrap, the default) or the training months themselves under your limits (replay).")
@click.option("--gate", type=NearChoice(["interval", "total"]), default=None,
              help="--history: when the trained weights are kept over the base on the held-out periods: when the "
                   "95% intervals over SKUs and over periods of their cost less the base's are below zero "
                   "(interval, the default) or when their cost is lower by any amount (total). With "
                   "--reward/--target/--incumbent the objective decides.")
@extra_columns_option
@click.option("--timesteps", type=int, default=50_000, show_default=True, help="PPO/SAC: training periods.")
@click.option("--out", "out", required=True, type=FolderPath(), help="Model directory to write.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--eval-every", type=int, default=10_000, show_default=True, help="Evaluate every K timesteps.")
@click.option("--eval-seeds", type=click.IntRange(min=1), default=5, show_default=True,
              help="Number of evaluation seeds.")
@click.option("--curriculum", is_flag=True,
              help="PPO/SAC: stationary demand first, then seasonality, then the full scenario.")
@click.option("--randomize", is_flag=True,
              help="PPO/SAC: domain randomization of demand means and lead times per episode.")
@click.option("--n-envs", type=click.IntRange(min=1), default=1, show_default=True,
              help="PPO/SAC: environments stepped together.")
@click.option("--learning-rate", type=float, default=3e-4, show_default=True)
@click.option("--n-steps", type=click.IntRange(min=1), default=1024, show_default=True,
              help="PPO rollout length per environment (n_steps * n_envs >= 2).")
@click.option("--warm-start", type=click.Path(), default=None,
              help="Initialize from a model (the hybrid network; with --history an adaptive model, default "
                   "hybrid_default; 'none' starts from the base).")
@click.option("--hidden", type=click.IntRange(min=1), default=None, help="Hidden width (default 64; 16 for --algo es).")
@click.option("--population", type=int, default=None, help="ES: members per generation (even; 20, --history 16).")
@click.option("--sigma", type=float, default=None, help="ES: perturbation standard deviation (0.05, --history 0.1).")
@click.option("--generations", type=int, default=None, help="ES: maximum generations (100, --history 400).")
@click.option("--seeds-per-generation", type=int, default=None,
              help="ES: scenario seeds per generation (2, --history 3).")
@click.option("--time-limit", type=float, default=None,
              help="Stop after this many seconds (ES: default 780, --history 240, 0 = no limit; PPO/SAC: default "
                   "none). A run stopped by the clock depends on the machine's speed, not on --seed alone: for a "
                   "run the seed reproduces, bound ES by --generations with --time-limit 0.")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="ES: simulation processes (1 runs inline).")
@click.option("--reward", "reward_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Reward spec (TOML or JSON, as written by `hybridinv tune`): train for its weighted cost.")
@click.option("--target", "targets", multiple=True,
              help='KPI target such as "fill_rate>=0.95" (repeatable): Lagrangian multipliers during training; '
                   "the kept model is the cheapest that meets every target on the evaluation seeds (with "
                   "--history: the trained weights are kept only if, on the held-out periods, they meet every "
                   "target the base meets and win by the objective; see docs/rl.md).")
@click.option("--multiplier-rate", type=float, default=20.0, show_default=True,
              help="Dual-ascent step of the target multipliers (per ES generation or PPO/SAC rollout).")
@click.option("--incumbent", default=None,
              help="Safe RL: registered policy whose orders the agent is penalized for deviating from.")
@click.option("--deviation-weight", type=float, default=0.0, show_default=True,
              help="Price of one unit of mean deviation from --incumbent (orders, in units of mean demand).")
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
    population: int | None,
    sigma: float | None,
    generations: int | None,
    seeds_per_generation: int | None,
    time_limit: float | None,
    workers: int,
    quiet: bool,
    history: str | None,
    catalog: str | None,
    cutoff: str | None,
    capacity: float | None,
    budget: float | None,
    validation: int,
    season: str,
    episodes: str | None,
    gate: str | None,
    reward_path: str | None,
    targets: tuple[str, ...],
    multiplier_rate: float,
    incumbent: str | None,
    deviation_weight: float,
    parameterization: str | None,
    learner: str,
    credit: str,
    credit_window: int | None,
    extra_columns: str,
) -> None:
    """Train an RL agent (pure RL or hybrid) on a scenario and write a model directory.

    The directory gets policy.npz (hybrid: numpy weights of the SKU-shared
    network) or sb3.zip (pure RL), plus metadata.json with the observation and
    action specification, reward, training configuration, seed, evaluation
    KPIs and the SHA-256 of every file of the directory. With --algo es or adaptive, --learning-rate is the
    Adam step on the mean parameters (default 0.03 for ES) and --eval-every counts generations.

    With --history and --catalog the adaptive hybrid is trained on your own history
    (hybridinv.rl.history.train_on_history): block bootstraps of the training window (--episodes
    replay: the training months themselves), a validation gate on its last --validation periods
    (the model is the base policy when the trained weights do not beat it there), validation
    numbers in the metadata.

    --reward, --target, --incumbent and --deviation-weight train for a reward spec, KPI
    targets and a leash to an incumbent policy (hybridinv.rl.objective; --algo adaptive,
    hybrid, ppo or sac, and --history); the metadata records the objective and its final
    multipliers. With --history the validation gate then judges by the objective, feasible
    first, on the held-out periods: the trained weights are kept if they meet every target
    and the base does not; if both meet every target, when their objective (cost relative to
    the base's plus the deviation price) is lower; if neither does, when they miss by less
    (total shortfall); otherwise the model is the base. The command prints which targets
    trained weights and base meet there.
    """
    from hybridinv.cli._io import writable_target
    from hybridinv.core.errors import PlanningError
    from hybridinv.rl.training import TrainConfig, train, train_es

    es_options: dict[str, Any] = {
        key: value
        for key, value in (("population", population), ("sigma", sigma), ("generations", generations),
                           ("seeds_per_generation", seeds_per_generation), ("time_limit", time_limit))
        if value is not None
    }
    if history is not None and catalog is None:  # a usage error, as --catalog without --history is
        raise click.UsageError("--history needs --catalog (the costs and lead times of its SKUs)")
    objective = _objective(reward_path, targets, multiplier_rate, incumbent, deviation_weight)
    if history is None:
        _refuse_history_options()
    else:
        trained = "forecast_capped" if parameterization == "forecast_capped" else "forecast_ss"
        _refuse_options(_SCENARIO_OPTIONS, f"{{do}} not apply with --history (it trains the {trained} hybrid by ES "
                                           "on the history; --algo is ignored)")
    writable_target(out)  # before the training, not after it (--out afile/sub trained, then failed)
    before = _model_stamp(out)
    click.get_current_context().meta[INTERRUPT_NOTE] = lambda: _model_left(out, before)
    if history is not None:
        if parameterization not in (None, "forecast_ss", "forecast_capped"):
            raise click.ClickException(
                f"--history trains the forecast_ss or forecast_capped parameterization, not {parameterization}"
            )
        if parameterization == "forecast_capped":  # no capped model is shipped: start from its base
            es_options["parameterization"], es_options["warm_start"] = parameterization, None
        if warm_start is not None:
            es_options["warm_start"] = None if warm_start.lower() == "none" else warm_start
        if episodes is not None:
            es_options["episodes"] = episodes
        if gate is not None:
            es_options["gate"] = gate
        _train_on_history(history, catalog, cutoff, capacity, budget, validation, season, out, es_options, workers,
                          seed, quiet, objective, extra_columns)
        return

    is_es = algo in ("es", "adaptive")
    _refuse_options_of_other_algorithms(algo, learner)
    with _options_checked():  # the settings' refusals (PPO's 2-step rollouts included) are usage errors
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
            hidden=hidden if hidden is not None else (16 if is_es else 64),
            parameterization=parameterization,
            learner=learner,
            time_limit=None if is_es else time_limit,
            credit=credit,
            credit_window=credit_window,
        )
        if is_es:
            from hybridinv.rl.es import ESConfig

            es = ESConfig(
                **{"time_limit": 780.0, **es_options},  # type: ignore[arg-type]
                learning_rate=0.03 if learning_rate == 3e-4 else learning_rate,
                eval_every=max(1, eval_every) if eval_every < 1000 else 5,
                eval_seeds=config.eval_seeds,
                seed=seed,
            )
    try:
        if is_es:
            result = train_es(config, out, progress=not quiet, es=es, workers=workers, objective=objective)
        else:
            result = train(config, out, progress=not quiet, objective=objective)
    except (PlanningError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    best = {key: round(value, 4) for key, value in result.best.items()}
    click.echo(f"wrote {result.path} in {result.seconds:.0f} s")
    from hybridinv.rl.objective import FEASIBILITY_TOLERANCE

    if result.best.get("violation", 0.0) > FEASIBILITY_TOLERANCE:  # the tolerance model selection counts as met
        click.echo(f"targets NOT met on the evaluation seeds (total violation {result.best['violation']:.4g}): "
                   "train longer or raise --multiplier-rate")
    click.echo(json.dumps({"best_evaluation": best}, indent=2))


def _model_stamp(out: str) -> tuple[int, int] | None:
    """Identity (inode, modification time) of the model folder's ``metadata.json``; None without one."""
    try:
        status = (Path(out) / "metadata.json").stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns


def _model_left(out: str, before: tuple[int, int] | None) -> str:
    """What an interrupted training left in ``out``: a model folder is written whole (a staging folder renamed into
    place) after every evaluation that improved, so it holds a complete checkpoint, the earlier model, or nothing."""
    now = _model_stamp(out)
    if now is None:
        return f"no model was written to {out}"
    if now == before:
        return f"{out} keeps the model it held before"
    return f"{out} holds the best model evaluated before the interruption (a whole checkpoint)"


@contextmanager
def _options_checked() -> Iterator[None]:
    """The training settings' refusals (``TrainConfig``, ``ESConfig``), made of the options alone, as usage errors
    naming the option (exit 2 with the usage line): a combination such as ``--learner sac`` with ``--algo ppo``
    or ``--warm-start`` with SAC, and a value such as ``--timesteps 0``, were plain errors (exit 1) while
    ``--timesteps`` with ``--algo es`` was a usage error."""
    from hybridinv.core.errors import PlanningError

    try:
        yield
    except PlanningError as exc:
        params = {param.name: param for param in click.get_current_context().command.params}
        param = params.get(str(exc.column))
        if param is None or not param.opts:
            raise click.UsageError(str(exc)) from None
        raise click.BadParameter(str(exc), param_hint=param.opts[0]) from None


def _objective(
    reward_path: str | None, targets: tuple[str, ...], rate: float, incumbent: str | None, weight: float
) -> Any:
    from hybridinv.core.errors import PlanningError
    from hybridinv.reward.spec import RewardSpec
    from hybridinv.reward.targets import parse_targets
    from hybridinv.rl.objective import TrainingObjective

    try:  # an option's value: a usage error (exit 2), as tune reports it
        parse_targets(targets)
    except PlanningError as exc:
        raise click.BadParameter(str(exc), param_hint="--target") from None
    spec = None
    if reward_path is not None:
        spec = RewardSpec.from_file(reward_path)
    try:  # the options' values: usage errors naming the option, as --target is (they were exit 1)
        return TrainingObjective(spec=spec, targets=targets, multiplier_rate=rate, incumbent=incumbent,
                                 deviation_weight=weight)
    except PlanningError as exc:
        option = {"deviation_weight": "--deviation-weight", "multiplier_rate": "--multiplier-rate",
                  "incumbent": "--incumbent"}.get(str(exc.column))
        if option is None:
            raise
        raise click.BadParameter(str(exc), param_hint=option) from None


def _train_on_history(
    history: str,
    catalog: str | None,
    cutoff: str | None,
    capacity: float | None,
    budget: float | None,
    validation: int,
    season: str,
    out: str,
    es_options: dict[str, Any],
    workers: int,
    seed: int,
    quiet: bool,
    objective: Any = None,
    extra_columns: str = "error",
) -> None:
    from hybridinv.backtest.history import read_history, require_demand
    from hybridinv.backtest.setup import resolve_constraints
    from hybridinv.cli._io import cutoff_from_text, read_csv, season_from_text
    from hybridinv.core.catalog import Catalog
    from hybridinv.core.errors import PlanningError
    from hybridinv.rl.history import HistoryTraining, check_training_window, train_on_history

    if catalog is None:
        raise PlanningError("--history needs --catalog", column="catalog")
    cat = Catalog.from_frame(read_csv(catalog), extra_columns=extra_columns)  # type: ignore[arg-type]
    demand = read_history(read_csv(history)).aligned(cat)
    cycle, _ = demand.calendar(season_from_text(season))  # "auto": a year of the history's periods
    periods = demand.n_periods
    if cutoff is not None:
        periods = demand.cutoff_index(cutoff_from_text(cutoff, demand))
    window = demand.demand[:periods]
    check_training_window(periods, column="cutoff" if cutoff is not None else "history")
    require_demand(window, " in the training window")
    given = given_limits(capacity, budget)
    if given is not None:  # checked now, resolved by train_on_history on the months ES fits on
        resolve_constraints(given, window, cat)
    settings = HistoryTraining(validation=validation, workers=workers, seed=seed, **es_options)  # type: ignore[arg-type]
    _, report = train_on_history(window, cat, out, given, settings, season=cycle, progress=not quiet,
                                 name="history", objective=objective, period_labels=list(demand.periods[:periods]))
    click.echo(f"wrote {out}: {report['reason']}")
    for line in _target_lines(report.get("objective")):
        click.echo(line)
    click.echo(json.dumps({k: v for k, v in report.items() if k != "bootstrap_best"}, indent=2, default=str))


#: Options that only mean something with --history (they shape the scenario built from it).
_HISTORY_OPTIONS: tuple[str, ...] = ("catalog", "cutoff", "capacity", "budget", "validation", "season",
                                     "episodes", "gate", "extra_columns")


#: Options of a --scenario run that --history has no use for.
_SCENARIO_OPTIONS: tuple[str, ...] = ("scenario", "timesteps", "eval_every", "eval_seeds", "curriculum", "randomize",
                                      "n_envs", "learning_rate", "n_steps", "hidden", "learner", "credit",
                                      "credit_window")


#: Options of the PPO/SAC trainer that evolution strategies (--algo es, adaptive) have no use for.
_SB3_OPTIONS: tuple[str, ...] = ("timesteps", "curriculum", "randomize", "n_envs", "n_steps", "credit",
                                 "credit_window")

#: Options of the training objective (hybridinv.rl.objective), which the residual ES (--algo es) does not train for.
_OBJECTIVE_OPTIONS: tuple[str, ...] = ("reward_path", "targets", "incumbent", "deviation_weight", "multiplier_rate")

#: Options of evolution strategies that the PPO/SAC trainer (--algo hybrid, ppo, sac) has no use for.
_ES_OPTIONS: tuple[str, ...] = ("population", "sigma", "generations", "seeds_per_generation", "workers")


def _refuse_options_of_other_algorithms(algo: str, learner: str) -> None:
    """An option given on the command line that ``--algo`` ignores would be silently dropped: a usage error."""
    if algo in ("es", "adaptive"):
        _refuse_options(_SB3_OPTIONS, f"{{do}} not apply with --algo {algo} (evolution strategies: bound the run "
                                      "with --generations and --time-limit)")
        if algo == "adaptive":
            _refuse_options(("hidden",), "{does} not apply with --algo adaptive (a linear map per SKU: no hidden "
                                         "layer)")
        if algo == "es":  # the residual hybrid trains for the period cost (train_es refused it, exit 1)
            _refuse_options(_OBJECTIVE_OPTIONS, "{apply} only with --algo adaptive, hybrid, ppo or sac (--algo es "
                                                "trains the residual hybrid for the period cost)")
        return
    _refuse_options(_ES_OPTIONS, f"{{apply}} only with --algo es or adaptive (evolution strategies), not --algo {algo}")
    if algo == "sac" or (algo == "hybrid" and learner == "sac"):
        _refuse_options(("n_steps",), "is PPO's rollout length; SAC does not use it")


def _refuse_history_options() -> None:
    """A --history option given without --history would be silently ignored: a usage error instead."""
    _refuse_options(_HISTORY_OPTIONS, "{apply} only with --history (to shape the scenario built from it); "
                                      "a --scenario run uses the scenario's own limits")


def _refuse_options(names: tuple[str, ...], why: str) -> None:
    """A usage error naming the options of ``names`` given on the command line (they would be ignored).

    ``why`` follows the options' flags; its ``{do}``, ``{does}`` and ``{apply}`` are the verb agreeing with one
    option or several ("--timesteps do not apply" read as a typo).
    """
    from click.core import ParameterSource

    context = click.get_current_context()
    given = [name for name in names if context.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)]
    if given:
        flags = {param.name: param.opts[0] for param in context.command.params if param.opts}
        one = len(given) == 1
        verbs = {"do": "does" if one else "do", "does": "does" if one else "do", "apply": "applies" if one else "apply"}
        raise click.UsageError(f"{', '.join(flags.get(name, name) for name in given)} {why.format(**verbs)}")


def given_limits(capacity: float | None, budget: float | None) -> dict[str, float | str] | None:
    """--capacity/--budget as :func:`hybridinv.backtest.setup.resolve_constraints` takes them.

    None when neither is given (the library derives both); otherwise a dict whose limit not
    given says ``"derive"``, so that it keeps a derived value (:func:`~hybridinv.rl.history.train_on_history`
    derives it from the months ES fits on, a backtest from its training window).
    """
    if capacity is None and budget is None:
        return None
    return {"capacity": "derive" if capacity is None else capacity, "budget": "derive" if budget is None else budget}


def _target_lines(judged: dict[str, Any] | None) -> list[str]:
    """One line per target: its value for the trained weights and the base on the held-out periods, met or not."""
    from hybridinv.reward.targets import KPITarget

    if not judged or not judged["targets"]:
        return []
    lines = [f"targets on the held-out periods (kept: {judged['decision']}):"]
    for target in judged["targets"]:
        kpi = KPITarget.parse(target).kpi
        cells = [f"{name} {judged[name][kpi]:.4g} ({'met' if judged['met'][name][target] else 'NOT met'})"
                 for name in ("trained", "base")]
        lines.append(f"  {target}: " + ", ".join(cells))
    return lines
