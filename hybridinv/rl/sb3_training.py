"""The stable-baselines3 trainer of the hybrid agent's network map and the pure-RL baselines.

:func:`train_sb3` (called by :func:`hybridinv.rl.training.train` for ``algo`` ``hybrid``, ``ppo``
and ``sac``) builds the environment (``TargetEnv`` for the hybrid agent, ``OrderEnv`` for pure
PPO/SAC), optionally wraps the scenario in a curriculum and/or domain randomization
(:mod:`hybridinv.rl.variants`), trains with a tqdm progress bar, evaluates the current policy every
``eval_every`` timesteps with :func:`hybridinv.simulate` on fixed evaluation seeds of the
*unmodified* scenario, keeps the best evaluated policy, and writes a model directory
(:mod:`hybridinv.rl.model_file`).

Torch runs single-threaded on the CPU and SB3 writes no log folders (its logger is replaced by one
without outputs). Needs the ``rl`` extra (torch, stable-baselines3).
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecNormalize

from hybridinv.core.errors import PlanningError, enum_member
from hybridinv.envs import OrderEnv
from hybridinv.envs.sku_vec import SkuVecEnv
from hybridinv.rl.hybrid import Hybrid
from hybridinv.rl.model_file import save_model
from hybridinv.rl.network import SharedSkuPolicy, SharedSkuSACPolicy, load_weights
from hybridinv.rl.objective import ConstrainedReward, TrainingObjective
from hybridinv.rl.pure import SB3_FILE, PureRL
from hybridinv.rl.train_config import (
    PER_SKU_CREDITS,
    Algorithm,
    TrainConfig,
    TrainResult,
    check_ppo_rollout,
    env_seed,
    evaluate,
    sac_learning_starts,
)
from hybridinv.rl.variants import Curriculum, DomainRandomization, ScenarioMix, single_sku_grid
from hybridinv.sim.scenario import Scenario

__all__ = ["LearnedEvaluations", "planned_timesteps", "sb3_class", "silent_logger", "train_sb3"]


def sb3_class(algo: str | Algorithm) -> type[BaseAlgorithm]:
    """The SB3 algorithm class for ``algo`` (the hybrid agent uses PPO)."""
    algo = enum_member(Algorithm, algo, "algo")
    return SAC if algo is Algorithm.SAC else PPO


def silent_logger() -> Logger:
    """An SB3 logger that writes nothing (no stdout, no folders)."""
    return Logger(folder=None, output_formats=[])


def _source(scenario: Scenario, config: TrainConfig) -> tuple[Any, Curriculum | None]:
    curriculum = Curriculum(scenario) if config.curriculum else None
    inner: Any = curriculum if curriculum is not None else scenario
    if config.randomize:
        return DomainRandomization(inner), curriculum
    return inner, curriculum


def _make_env(source: Any, config: TrainConfig, seed: int) -> Any:
    if config.algo is Algorithm.HYBRID:
        from hybridinv.rl.sb3_hybrid import hybrid_env

        env: Any = hybrid_env(source, str(config.parameterization))
    else:
        env = OrderEnv(source)
    env.reset(seed=seed)
    return env


def _build_model(env: VecEnv, config: TrainConfig, template: Any) -> BaseAlgorithm:
    common: dict[str, Any] = {"verbose": 0, "seed": config.seed, "device": "cpu"}
    hybrid = config.algo is Algorithm.HYBRID
    if config.uses_sac:
        sac_args: dict[str, Any] = {
            "learning_rate": config.learning_rate,
            "gamma": config.gamma,
            "batch_size": config.batch_size,
            "learning_starts": sac_learning_starts(config.timesteps),
        }
        if not hybrid:
            return SAC("MlpPolicy", env, policy_kwargs={"net_arch": [config.hidden, config.hidden]}, **sac_args,
                       **common)
        from hybridinv.rl.sb3_hybrid import policy_kwargs

        # a replay buffer of every step would hold n*F floats twice per step: keep the last 100k
        return SAC(SharedSkuSACPolicy, env, buffer_size=min(config.timesteps, 100_000),
                   policy_kwargs=policy_kwargs(template, config.hidden, config.log_std_init), **sac_args, **common)
    ppo_args: dict[str, Any] = {
        "learning_rate": config.learning_rate,
        "n_steps": config.n_steps,
        "batch_size": min(config.batch_size, config.n_steps * config.n_envs),
        "n_epochs": config.n_epochs,
        "gamma": config.gamma,
        "gae_lambda": config.gae_lambda,
        "ent_coef": config.ent_coef,
        "clip_range": config.clip_range,
    }
    if hybrid:
        from hybridinv.rl.sb3_hybrid import policy_kwargs

        kwargs = policy_kwargs(template, config.hidden, config.log_std_init)
        return PPO(SharedSkuPolicy, env, policy_kwargs=kwargs, **ppo_args, **common)
    mlp_kwargs = {"net_arch": [config.hidden, config.hidden], "log_std_init": config.log_std_init}
    return PPO("MlpPolicy", env, policy_kwargs=mlp_kwargs, **ppo_args, **common)


def planned_timesteps(model: BaseAlgorithm, timesteps: int) -> int:
    """The steps ``model.learn(timesteps)`` takes: on-policy learners collect whole rollouts.

    PPO stops at the first rollout boundary at or past ``timesteps``, so with
    ``n_steps * n_envs`` steps a rollout it runs ``ceil(timesteps / rollout) * rollout``
    steps; off-policy learners stop at ``timesteps`` exactly (one step per environment a call).
    """
    n_steps = getattr(model, "n_steps", None)
    if isinstance(n_steps, int) and n_steps > 0:
        rollout = n_steps * model.n_envs
        return -(-timesteps // rollout) * rollout
    return -(-timesteps // model.n_envs) * model.n_envs


class LearnedEvaluations(BaseCallback):
    """Evaluations of the weights that have learned from the steps they are labelled with (PPO and SAC).

    A subclass marks an evaluation due in ``_on_step`` (``self.pending = True``) and sets ``self.stopped``
    when it stops the learner; the evaluation runs when the learner has learned from the steps collected:
    at the start of the next rollout (SB3 calls ``_on_rollout_start`` after PPO's update on the last
    rollout, after SAC's gradient steps) or at the end of training, which evaluates the final weights
    once. :meth:`evaluate_weights` (the subclass's) is called with the timesteps the weights learned
    from. Evaluating in ``_on_step`` ran PPO's evaluation before the update on its rollout, so the one
    labelled 32 was the untrained network, and a final evaluation after ``learn`` repeated the last label.
    Used by :func:`train_sb3` and :func:`hybridinv.network.sb3_training.train_network_hybrid_sb3`.
    """

    def __init__(self) -> None:
        super().__init__(verbose=0)
        #: an evaluation fell due; it runs once the learner has learned from the steps collected
        self.pending = False
        #: the timesteps the learner has learned from (those collected before the current rollout)
        self.learned = 0
        #: the time limit stopped the learner in a rollout it did not learn from
        self.stopped = False
        #: the label of the last evaluation (None: none yet)
        self.evaluated: int | None = None

    def evaluate_weights(self, timesteps: int) -> None:
        """Evaluate the current weights, which learned from ``timesteps`` steps."""
        raise NotImplementedError

    def evaluate_learned(self) -> None:
        """Evaluate the current weights now, labelled with the steps they learned from."""
        self.pending = False
        self.evaluate_weights(self.learned)
        self.evaluated = self.learned

    def _on_rollout_start(self) -> None:
        self.learned = self.num_timesteps  # SB3 learned from every step collected so far
        if self.pending:
            self.evaluate_learned()

    def _on_training_end(self) -> None:
        # SB3 learns from the last rollout before this, unless the time limit stopped it inside the rollout
        if not self.stopped:
            self.learned = self.num_timesteps
        if self.evaluated != self.learned:  # the final weights, once
            self.evaluate_learned()


class _Progress(LearnedEvaluations):
    """tqdm bar, curriculum stages, periodic evaluation and best-policy tracking.

    An evaluation falls due in ``_on_step`` (every ``eval_every`` steps, or ``eval_interval`` seconds) and runs
    once the learner has learned from the steps collected (:class:`LearnedEvaluations`).
    """

    def __init__(self, trainer: _Trainer) -> None:
        super().__init__()
        self.trainer = trainer
        self.next_eval = trainer.config.eval_every or trainer.config.timesteps + 1
        self.last_eval = time.perf_counter()
        self.planned = trainer.config.timesteps

    def _on_training_start(self) -> None:
        if self.trainer.show_progress:
            from tqdm.auto import tqdm

            self.planned = planned_timesteps(self.model, self.trainer.config.timesteps)
            self.trainer.bar = tqdm(total=self.planned, desc="train", unit="step")

    def evaluate_weights(self, timesteps: int) -> None:
        self.trainer.evaluate_now(timesteps)
        self.last_eval = time.perf_counter()

    def _on_step(self) -> bool:
        trainer = self.trainer
        config = trainer.config
        elapsed = time.perf_counter() - trainer.start
        if trainer.bar is not None:
            trainer.bar.update(self.training_env.num_envs)
            if config.time_limit and elapsed > 0:
                # the steps that fit in the limit at the pace so far (evaluations included), so the ETA ends
                # with the limit (it showed 4014/100352 [00:06<02:28] under an 8 s limit)
                fits = int(self.num_timesteps * config.time_limit / elapsed)
                total = max(self.num_timesteps, min(self.planned, fits))
                if total != trainer.bar.total:
                    trainer.bar.total = total
        if trainer.curriculum is not None:
            by_time = elapsed / config.time_limit if config.time_limit else 0.0
            trainer.curriculum.advance(max(self.num_timesteps / config.timesteps, by_time))
        due = config.eval_interval is not None and time.perf_counter() - self.last_eval >= config.eval_interval
        if self.num_timesteps >= self.next_eval or due:
            while self.next_eval <= self.num_timesteps:
                self.next_eval += config.eval_every or config.timesteps + 1
            self.pending = True
        self.stopped = not (config.time_limit is None or elapsed < config.time_limit)
        return not self.stopped

    def _on_rollout_end(self) -> None:
        if self.trainer.hook is not None:
            self.trainer.hook.end_rollout()

    def _on_training_end(self) -> None:
        super()._on_training_end()
        if self.trainer.bar is not None:
            if self.trainer.config.time_limit:  # stopped by the limit: the bar ends full at the steps taken
                self.trainer.bar.total = self.trainer.bar.n
            self.trainer.bar.close()


class _Trainer:
    def __init__(
        self,
        scenario: Scenario,
        config: TrainConfig,
        out: Path,
        show_progress: bool,
        objective: TrainingObjective | None = None,
    ) -> None:
        self.scenario = scenario
        self.objective = objective
        self.hook: ConstrainedReward | None = None
        self.config = config
        self.out = out
        self.show_progress = show_progress
        self.bar: Any = None
        self.evaluations: list[dict[str, float]] = []
        self.best: dict[str, float] = {}
        self.best_hybrid: Hybrid | None = None
        #: ``sb3.zip``'s bytes for the best policy so far
        self.checkpoint: bytes | None = None
        self.model: BaseAlgorithm | None = None
        self.curriculum: Curriculum | None = None
        self.reward_scale: float | None = None
        self.eval_scenarios: list[Scenario] = [scenario]
        #: recorded as the metadata's training.scenario (config.scenario is only the registry default's name
        #: when a scenario object is trained on)
        self.scenario_name = scenario.name
        self.start = time.perf_counter()

    def current_policy(self) -> Any:
        assert self.model is not None
        if self.config.algo is Algorithm.HYBRID:
            from hybridinv.rl.sb3_hybrid import hybrid_of

            return hybrid_of(self.model, str(self.config.parameterization), self.config.learner,
                             credit=self.config.credit)
        return PureRL(self.model, name=self.config.algo.value)

    def evaluate_now(self, timesteps: int) -> dict[str, float]:
        policy = self.current_policy()
        results = [evaluate(policy, sc, self.config.eval_seeds, self.config.eval_periods) for sc in self.eval_scenarios]
        kpis = {key: float(np.mean([r[key] for r in results])) for key in results[0]}
        if len(results) > 1:
            pairs = zip(self.eval_scenarios, results, strict=True)
            kpis.update({f"avg_cost[{sc.name}]": r["avg_cost"] for sc, r in pairs})
        if self.objective is not None:
            measured = [self.objective.measure(policy, sc, seed, self.config.eval_periods)
                        for sc in self.eval_scenarios for seed in self.config.eval_seeds]
            # the objective's cost is "cost" in these entries: avg_cost stays the simulated average cost
            kpis.update(self.objective.describe(np.mean(measured, axis=0)))
        kpis["timesteps"] = float(timesteps)
        kpis["seconds"] = round(time.perf_counter() - self.start, 1)
        self.evaluations.append(kpis)
        if not self.best or TrainingObjective.better(kpis, self.best):
            self.best = dict(kpis)
            if isinstance(policy, Hybrid):
                self.best_hybrid = policy
            assert self.model is not None
            self.save_checkpoint()
        self.write()
        if self.bar is not None:
            postfix = {"cost": f"{kpis['avg_cost']:.2f}", "best": f"{self.best['avg_cost']:.2f}"}
            if "objective" in self.best:
                postfix["objective"] = f"{self.best['objective']:.4g}"
            self.bar.set_postfix(**postfix)
        return kpis

    def metadata(self) -> dict[str, Any]:
        assert self.reward_scale is not None
        return {
            "scenario": self.scenario.summary(),
            "reward_spec": {
                "kind": "negative_period_cost",
                "scale": self.reward_scale,
                "components": ["holding", "shortage", "ordering", "waste", "overflow"],
                "description": "reward = -(period cost) / scale, cost as charged by hybridinv.sim.ledger",
            } if self.objective is None else {
                "kind": "constrained_period_reward",
                "scale": self.reward_scale,
                "description": "reward = hybridinv.rl.objective.ConstrainedReward (spec cost, Lagrangian, leash)",
                **self.objective.to_dict(),
            },
            "training": {
                **self.config.to_dict(),
                "scenario": self.scenario_name,
                "seconds": round(time.perf_counter() - self.start, 1),
                "n_skus": self.scenario.n_skus,
                "torch_threads": 1,
                "device": "cpu",
            },
            "seed": self.config.seed,
            "evaluation": {"best": self.best, "history": self.evaluations},
        }

    def save_checkpoint(self) -> None:
        """Keep the SB3 checkpoint of the best policy so far (``sb3.zip``'s bytes, written by :meth:`write`)."""
        assert self.model is not None
        buffer = io.BytesIO()
        self.model.save(buffer)
        self.checkpoint = buffer.getvalue()

    def write(self) -> None:
        """(Re)write the model directory with the best policy so far, whole (crash-safe checkpoints)."""
        assert self.checkpoint is not None
        if self.config.algo is Algorithm.HYBRID:
            from hybridinv.rl.sb3_hybrid import hybrid_metadata

            assert self.best_hybrid is not None
            save_model(self.out, self.best_hybrid.network, {**self.metadata(), **hybrid_metadata(self.best_hybrid)},
                       extra_files={SB3_FILE: self.checkpoint})
        else:
            _write_pure_metadata(self.out, self.metadata(), self.checkpoint)


def train_sb3(
    config: TrainConfig, out: Path, scenario: Scenario | None, progress: bool, objective: TrainingObjective | None
) -> TrainResult:
    start = time.perf_counter()
    torch.set_num_threads(1)
    mix: list[Scenario] = []
    if scenario is None and config.scenario == "single_sku_grid":
        mix = single_sku_grid()
        scenario = mix[0]
    elif scenario is None:
        from hybridinv import scenarios

        scenario = scenarios.get(config.scenario)
    objective = None if objective is None or objective.trivial else objective
    if objective is not None and config.credit in PER_SKU_CREDITS:
        raise PlanningError("per-SKU credit rewards each SKU's own cost; a reward spec, targets or an incumbent "
                            "price the catalog's period", column="credit", value=config.credit)
    if objective is not None:
        for each in mix or [scenario]:
            objective.check_scenario(each)
    trainer = _Trainer(scenario, config, out, progress, objective)
    source, trainer.curriculum = _source(scenario, config)
    if mix:
        source = ScenarioMix(mix)
        trainer.scenario_name = config.scenario  # "single_sku_grid", not its first instance
        trainer.eval_scenarios = single_sku_grid(periods=1000, warmup=50)
    env_fns = [lambda k=k: _make_env(source, config, env_seed(config.seed, k)) for k in range(config.n_envs)]
    shared = config.credit if config.credit in ("priced", "difference") else "none"
    raw_env: DummyVecEnv | SkuVecEnv = (SkuVecEnv([make() for make in env_fns], shared=shared,
                                                  window=config.credit_window)
                                        if config.credit in PER_SKU_CREDITS
                                        else DummyVecEnv(env_fns))  # type: ignore[arg-type]
    if config.uses_ppo:  # a per-SKU credit has an environment per SKU (TrainConfig checked the others)
        check_ppo_rollout(config.n_steps, raw_env.num_envs)
    template: Any = raw_env.envs[0]
    if objective is not None:
        hook = ConstrainedReward(objective, template.reward_scale)
        for env in raw_env.envs:
            env.unwrapped.reward_spec = hook  # type: ignore[union-attr]
        trainer.hook = hook
    # returns are O(100) periods of cost: normalize rewards (not observations) for the critic
    vec_env = VecNormalize(raw_env, norm_obs=False, norm_reward=True, gamma=config.gamma)
    model = _build_model(vec_env, config, template)
    # SB3 seeds environment k with seed + k at the first reset, so runs with seeds 3 and 4 shared all but
    # one of their training streams; keep each run's environments on seed * 1000 + k, apart from other runs'
    vec_env.seed(env_seed(config.seed, 0))
    model.set_logger(silent_logger())
    if config.warm_start and config.algo is Algorithm.HYBRID:
        _warm_start(model, config, template)
    trainer.model = model
    trainer.reward_scale = float(template.reward_scale)
    model.learn(total_timesteps=config.timesteps, callback=_Progress(trainer))  # evaluates the final weights too
    vec_env.close()
    policy: Any = Hybrid.load(out) if config.algo is Algorithm.HYBRID else PureRL.load(out)
    return TrainResult(out, policy, trainer.evaluations, trainer.best, time.perf_counter() - start)


def _warm_start(model: BaseAlgorithm, config: TrainConfig, template: Any) -> None:
    """Copy a model directory's network (a path or a shipped model's name) into the PPO policy (same widths)."""
    from hybridinv.rl.model_file import ModelFileError, load_model

    assert isinstance(model.policy, SharedSkuPolicy)  # TrainConfig allows a warm start for PPO only
    warm = load_model(config.warm_start).network  # type: ignore[arg-type]
    if warm is None:
        raise ModelFileError(f"{config.warm_start}: a linear model cannot warm-start a network")
    widths = (warm.n_sku_features, warm.n_global_features, warm.n_actions)
    if widths != (template.n_sku_features, template.n_global_features, template.n_actions):
        raise ModelFileError(f"{config.warm_start}: network of widths {widths} cannot start a "
                             f"{config.parameterization} network")
    load_weights(model.policy, warm)


def _write_pure_metadata(out: Path, metadata: dict[str, Any], checkpoint: bytes) -> None:
    from hybridinv.rl.integrity import write_model_directory
    from hybridinv.rl.model_file import FORMAT_VERSION, current_spec

    spec = current_spec()
    meta = {
        "format_version": FORMAT_VERSION,
        "name": out.name,
        "observation_spec": spec["observation"],
        "action_spec": {**spec["action"], "kind": "order", "mapping": "hybridinv.envs.actions.orders_from_action"},
        **metadata,
        "weights_file": SB3_FILE,
    }
    write_model_directory(out, {SB3_FILE: checkpoint}, meta)
