"""Training of the hybrid agent and the pure-RL baselines: :func:`train` and :func:`train_es`.

:func:`train` checks the output folder, then trains by evolution strategies (``algo`` ``es`` and
``adaptive``: :func:`train_es`, numpy only) or with stable-baselines3 (``hybrid``, ``ppo``, ``sac``:
:func:`hybridinv.rl.sb3_training.train_sb3`, which needs the ``rl`` extra and is imported only
then). The configuration types live in :mod:`hybridinv.rl.train_config` and are re-exported here;
``sb3_class``, ``silent_logger`` and ``planned_timesteps`` are :mod:`hybridinv.rl.sb3_training`'s,
reached through this module on first use (until 2026-12-06 this module imported torch, so
``hybridinv train --history`` and ``--algo es`` needed the ``rl`` extra though they never use it).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

from hybridinv.core.errors import ConstraintViolationWarning, PlanningError, whole_number
from hybridinv.rl import train_config
from hybridinv.rl.objective import TrainingObjective
from hybridinv.rl.train_config import Algorithm, TrainConfig, TrainResult
from hybridinv.sim.scenario import Scenario

__all__ = ["Algorithm", "TrainConfig", "TrainResult", "train", "train_es"]

#: Names of :mod:`hybridinv.rl.sb3_training` this module hands out on first use (they need torch).
_SB3_NAMES = ("planned_timesteps", "sb3_class", "silent_logger")


def __getattr__(name: str) -> Any:
    """The other names of :mod:`hybridinv.rl.train_config` (``SB3_FIELDS``, ``env_seed``, ...) and, on first use,
    the SB3 helpers of :mod:`hybridinv.rl.sb3_training`, as this module had them."""
    if name in train_config.__all__:
        return getattr(train_config, name)
    if name in _SB3_NAMES:
        from hybridinv.rl import sb3_training

        return getattr(sb3_training, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def train(
    config: TrainConfig,
    out: str | Path,
    scenario: Scenario | None = None,
    progress: bool = True,
    objective: TrainingObjective | None = None,
) -> TrainResult:
    """Train an agent and write its model directory.

    Parameters
    ----------
    config : TrainConfig
    out : str or Path
        Model directory to write (``policy.npz`` + ``metadata.json`` for the
        hybrid agent, ``sb3.zip`` + ``metadata.json`` for pure RL): a new or empty
        folder, or one holding an earlier model, which is replaced whole after every
        evaluation; a folder holding anything else is refused before training
        (:class:`~hybridinv.rl.integrity.ModelFileError`).
    scenario : Scenario, optional
        Defaults to ``hybridinv.scenarios.get(config.scenario)``.
    progress : bool
        Show a tqdm progress bar.
    objective : TrainingObjective, optional
        A reward spec's cost, KPI targets (Lagrangian multipliers) and a leash to an
        incumbent (:mod:`hybridinv.rl.objective`). ES minimizes its Lagrangian per episode;
        PPO and SAC get it per period (:class:`~hybridinv.rl.objective.ConstrainedReward`,
        multipliers stepped after every rollout). The kept policy is the best *feasible*
        one on the evaluation seeds.

    Returns
    -------
    TrainResult
        The best evaluated policy (numpy :class:`Hybrid` or :class:`PureRL`), the
        evaluation history and the best KPIs.
    """
    from hybridinv.rl.integrity import check_model_target

    check_model_target(out)  # before the training, not after it
    if scenario is None and config.scenario != "single_sku_grid":
        from hybridinv import scenarios

        scenario = scenarios.get(config.scenario)
    if scenario is not None:
        scenario = scenario.for_fitting()  # a replay of held-out periods trains on its training window
    with warnings.catch_warnings():
        # the repair layer warns when a plan cannot meet every row; training sees thousands
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        if config.algo in (Algorithm.ES, Algorithm.ADAPTIVE):
            return train_es(config, out, scenario, progress, objective=objective)
        return _train(config, Path(out), scenario, progress, objective)


def train_es(
    config: TrainConfig,
    out: str | Path,
    scenario: Scenario | None = None,
    progress: bool = True,
    es: Any = None,
    workers: int = 1,
    objective: TrainingObjective | None = None,
) -> TrainResult:
    """Train the residual (``--algo es``) or adaptive (``--algo adaptive``) hybrid agent by evolution strategies.

    ``config`` supplies the algorithm, scenario, seed, evaluation seeds, time limit and hidden width; ``es``
    (an :class:`~hybridinv.rl.es.ESConfig`) the ES hyperparameters (default: ESConfig
    with ``config``'s seed, evaluation seeds and time limit). ``workers`` processes simulate the
    population in parallel (1 runs them inline); ``objective`` as in :func:`train`. The model's
    ``training.scenario`` is the name of the scenario trained on (``scenario``'s when given).

    Raises
    ------
    PlanningError
        If ``workers`` is not a whole number >= 1, an objective is given with ``--algo es``, or
        ``config.time_limit`` is given with an ``es`` whose time limit differs (the config's was ignored).
    ModelFileError
        Before training, if ``out`` holds anything but an earlier model
        (:func:`~hybridinv.rl.integrity.check_model_target`).
    """
    from hybridinv.rl.es import ESConfig
    from hybridinv.rl.integrity import check_model_target
    from hybridinv.rl.residual import train_residual

    whole_number(workers, "workers", 1)
    check_model_target(out)
    start = time.perf_counter()
    if scenario is None:
        from hybridinv import scenarios

        scenario = scenarios.get(config.scenario)
    if objective is not None:
        objective.check_scenario(scenario)
    es_config = es if es is not None else ESConfig(seed=config.seed, eval_seeds=config.eval_seeds,
                                                   time_limit=config.time_limit or 0.0)
    if config.time_limit is not None and es_config.time_limit != config.time_limit:
        raise PlanningError(f"differs from the ES settings' time_limit={es_config.time_limit:g}; give it in one "
                            "place", column="time_limit", value=config.time_limit)
    if config.algo is Algorithm.ADAPTIVE:
        from hybridinv.rl.adaptive import train_adaptive

        policy, result = train_adaptive(
            scenario,
            out,
            es_config,
            periods=config.eval_periods,
            workers=workers,
            progress=progress,
            scenario_name=scenario.name,
            objective=objective,
            parameterization=str(config.parameterization),
        )
        return TrainResult(Path(out), policy, result.history, result.best, time.perf_counter() - start)
    if objective is not None and not objective.trivial:
        raise PlanningError("a reward spec, targets or an incumbent need --algo adaptive, hybrid, ppo or sac",
                            column="algo", value=config.algo.value)
    policy, result = train_residual(
        scenario,
        out,
        es_config,
        hidden=config.hidden,
        periods=config.eval_periods,
        workers=workers,
        progress=progress,
        scenario_name=scenario.name,
    )
    return TrainResult(Path(out), policy, result.history, result.best, time.perf_counter() - start)


def _train(
    config: TrainConfig, out: Path, scenario: Scenario | None, progress: bool, objective: TrainingObjective | None
) -> TrainResult:
    """PPO/SAC training (:func:`hybridinv.rl.sb3_training.train_sb3`), imported only now: it needs torch."""
    from hybridinv.rl.sb3_training import train_sb3

    return train_sb3(config, out, scenario, progress, objective)
