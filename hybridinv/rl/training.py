"""Training of the hybrid agent and the pure-RL baselines with stable-baselines3.

:func:`train` builds the environment (``TargetEnv`` for the hybrid agent,
``OrderEnv`` for pure PPO/SAC), optionally wraps the scenario in a curriculum
and/or domain randomization (:mod:`hybridinv.rl.variants`), trains with a tqdm
progress bar, evaluates the current policy every ``eval_every`` timesteps with
:func:`hybridinv.simulate` on fixed evaluation seeds of the *unmodified*
scenario, keeps the best evaluated policy, and writes a model directory
(:mod:`hybridinv.rl.model_file`).

Torch runs single-threaded on the CPU and SB3 writes no log folders (its logger
is replaced by one without outputs).
"""

from __future__ import annotations

import io
import math
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecNormalize

from hybridinv.core.errors import (
    ConstraintViolationWarning,
    PlanningError,
    enum_member,
    number_in,
    whole_number,
    whole_numbers,
)
from hybridinv.envs import OrderEnv
from hybridinv.envs.sku_vec import SkuVecEnv
from hybridinv.rl.hybrid import Hybrid
from hybridinv.rl.model_file import save_model
from hybridinv.rl.network import SharedSkuPolicy, SharedSkuSACPolicy, load_weights
from hybridinv.rl.objective import ConstrainedReward, TrainingObjective
from hybridinv.rl.pure import SB3_FILE, PureRL
from hybridinv.rl.variants import Curriculum, DomainRandomization, ScenarioMix, single_sku_grid
from hybridinv.sim.scenario import Scenario

__all__ = [
    "PER_SKU_CREDITS",
    "PPO_FIELDS",
    "SB3_FIELDS",
    "Algorithm",
    "TrainConfig",
    "TrainResult",
    "evaluate",
    "planned_timesteps",
    "sb3_class",
    "silent_logger",
    "train",
    "train_es",
]


class Algorithm(StrEnum):
    """What to train: the hybrid agent (PPO or evolution strategies) or a pure-RL baseline.

    ``ES`` trains the *residual* hybrid agent (:class:`~hybridinv.rl.residual.ResidualHybrid`,
    the shared network correcting capped base-stock) and ``ADAPTIVE`` the adaptive hybrid
    agent (:class:`~hybridinv.rl.adaptive.AdaptiveHybrid`, a shared per-SKU linear policy
    correcting the forecast-driven (s, S); with ``parameterization="forecast_capped"`` a
    :class:`~hybridinv.rl.hybrid.CappedHybrid` correcting the forecast capped base-stock) by evolution strategies
    (:mod:`hybridinv.rl.es`); neither uses SB3 or torch.
    """

    HYBRID = "hybrid"
    PPO = "ppo"
    SAC = "sac"
    ES = "es"
    ADAPTIVE = "adaptive"


#: :class:`TrainConfig` fields only the PPO/SAC trainer reads (refused, unless at their defaults, for ES).
SB3_FIELDS: tuple[str, ...] = ("timesteps", "curriculum", "randomize", "n_envs", "n_steps", "batch_size", "n_epochs",
                               "gamma", "gae_lambda", "ent_coef", "clip_range", "log_std_init", "eval_interval")

#: :class:`TrainConfig` fields only PPO reads (SAC learns from a replay buffer, without rollouts or clipping).
PPO_FIELDS: tuple[str, ...] = ("n_steps", "n_epochs", "gae_lambda", "ent_coef", "clip_range")

#: ``TrainConfig.credit`` values that train every SKU as its own environment (``envs.sku_vec.SkuVecEnv``).
PER_SKU_CREDITS: tuple[str, ...] = ("sku", "priced")


@dataclass(frozen=True)
class TrainConfig:
    """Training configuration (stored in the model's metadata).

    Parameters
    ----------
    scenario : str
        Scenario registry name, or ``"single_sku_grid"`` (one network trained across the
        16 single-SKU lost-sales instances of :func:`~hybridinv.rl.variants.single_sku_grid`); not used
        when :func:`train` is given a scenario (the model's ``training.scenario`` records that one's name).
    algo : Algorithm
        Default ``adaptive``: the adaptive hybrid trained by evolution strategies, the kind of
        the shipped default (``models/hybrid_default``); ``hybrid`` is the PPO-trained network.
    timesteps : int
        Environment steps (periods) of training.
    seed : int
        Seeds the SB3 model (torch, sampling) and the environments.
    eval_every : int
        Evaluate every this many timesteps (0: only at the end).
    eval_seeds : tuple of int
        Simulation seeds of the evaluations (common random numbers across evaluations).
    eval_periods : int, optional
        Horizon of an evaluation episode (default: the scenario's).
    curriculum, randomize : bool
        Use :class:`~hybridinv.rl.variants.Curriculum` / :class:`~hybridinv.rl.variants.DomainRandomization`.
    n_envs : int
        Parallel environments (in one process, ``DummyVecEnv``), at most :data:`ENV_SEED_STRIDE`; environment
        ``k`` draws its episodes from seed ``seed * ENV_SEED_STRIDE + k`` (:func:`env_seed`).
    hidden : int
        Hidden width of the networks.
    learning_rate, gamma, gae_lambda, ent_coef, clip_range : float
        PPO/SAC hyperparameters.
    n_steps, batch_size, n_epochs : int
        PPO rollout length per environment, minibatch size, epochs per update.
    log_std_init : float
        Initial log standard deviation of the Gaussian policy.
    warm_start : str, optional
        Model directory whose weights initialize the hybrid network (PPO).
    parameterization : {"safety_stock", "forecast_ss", "forecast_capped"}, optional
        What the per-SKU outputs mean. ``algo="hybrid"`` (the network map,
        :mod:`hybridinv.rl.sb3_hybrid`): the safety-stock ``(s, S)`` of ``TargetEnv`` (default),
        the corrections of the shipped default's forecast-driven (s, S) on its features, or the
        corrections of the forecast capped base-stock on the same features. ``algo="adaptive"``
        (the linear map, :func:`~hybridinv.rl.adaptive.train_adaptive`): ``forecast_ss``
        (default) or ``forecast_capped``. None: the algorithm's default.
    learner : {"ppo", "sac"}
        ``algo="hybrid"``: the SB3 algorithm that trains the network map.
    time_limit : float, optional
        PPO/SAC: stop learning after this many seconds of wall clock (then evaluate once more);
        the curriculum then advances with the larger of the timesteps' and the time's fraction.
        ``algo="es"`` or ``"adaptive"``: the ES time limit (:attr:`~hybridinv.rl.es.ESConfig.time_limit`,
        recorded in the model's ``training`` metadata) when :func:`train_es` builds the ES settings; given
        with other ES settings (``es=``), it must agree with theirs.
    eval_interval : float, optional
        PPO/SAC: also evaluate whenever this many seconds passed since the last evaluation
        (learning curves against wall clock).
    credit : {"catalog", "sku", "priced"}
        ``algo="hybrid"`` with ``forecast_ss`` or ``forecast_capped``: ``"catalog"`` (default) trains on
        one environment per catalog rewarded with the catalog's period cost; ``"sku"`` on every SKU as
        its own environment rewarded with its own period cost
        (:class:`~hybridinv.envs.sku_vec.SkuVecEnv`; timesteps, ``n_steps`` and ``batch_size`` then
        count SKU-periods per SKU environment as SB3 counts them), and the trained network is folded
        for catalogs (:func:`~hybridinv.rl.sb3_hybrid.fold_own_context`); ``"priced"`` as ``"sku"``
        with each SKU's use of the warehouse, budget and supplier rows charged at the repair's prices
        (``SkuVecEnv(shared="priced")``). The per-SKU credits (:data:`PER_SKU_CREDITS`) take no
        reward spec, targets or incumbent.

    The PPO/SAC options (:data:`SB3_FIELDS`: ``timesteps``, ``curriculum``, ``randomize``, ``n_envs``,
    ``n_steps``, ...) are refused with ``algo="es"`` or ``"adaptive"`` when they differ from their
    defaults (evolution strategies are bounded by generations and ``time_limit``; the options were ignored).
    """

    scenario: str = "multi_50"
    algo: Algorithm = Algorithm.ADAPTIVE
    timesteps: int = 50_000
    seed: int = 0
    eval_every: int = 10_000
    eval_seeds: tuple[int, ...] = (10_001, 10_002, 10_003, 10_004, 10_005)
    eval_periods: int | None = None
    curriculum: bool = False
    randomize: bool = False
    n_envs: int = 1
    hidden: int = 64
    learning_rate: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    ent_coef: float = 0.0
    clip_range: float = 0.2
    n_steps: int = 1024
    batch_size: int = 256
    n_epochs: int = 10
    log_std_init: float = -1.0
    warm_start: str | None = None
    parameterization: str | None = None
    learner: str = "ppo"
    time_limit: float | None = None
    eval_interval: float | None = None
    credit: str = "catalog"

    def __post_init__(self) -> None:
        object.__setattr__(self, "algo", enum_member(Algorithm, self.algo, "algo"))
        self._check_numbers()
        allowed = {Algorithm.HYBRID: ("safety_stock", "forecast_ss", "forecast_capped"),
                   Algorithm.ADAPTIVE: ("forecast_ss", "forecast_capped")}.get(self.algo)
        if self.parameterization not in (None, "safety_stock") and allowed is None:  # the recorded default passes
            raise PlanningError("--parameterization chooses what --algo hybrid or adaptive trains",
                                column="algo", value=self.algo.value)
        if allowed is not None and self.parameterization is not None and self.parameterization not in allowed:
            raise PlanningError(f"--algo {self.algo.value} trains the parameterizations {', '.join(allowed)}",
                                column="parameterization", value=self.parameterization)
        if self.parameterization is None:
            object.__setattr__(self, "parameterization", allowed[0] if allowed else "safety_stock")
        if self.learner not in ("ppo", "sac"):
            raise PlanningError("the SB3 learners are ppo and sac", column="learner", value=self.learner)
        if self.algo is not Algorithm.HYBRID and self.learner != "ppo":
            raise PlanningError("--learner chooses what trains --algo hybrid", column="algo", value=self.algo.value)
        if self.credit not in ("catalog", *PER_SKU_CREDITS):
            raise PlanningError("credit is 'catalog', 'sku' or 'priced'", column="credit", value=self.credit)
        if self.credit in PER_SKU_CREDITS and (self.algo is not Algorithm.HYBRID
                                     or self.parameterization not in ("forecast_ss", "forecast_capped")):
            raise PlanningError("per-SKU credit trains --algo hybrid on the forecast_ss or forecast_capped "
                                "parameterization", column="credit", value=self.credit)
        if self.time_limit is not None and not self.time_limit > 0:
            raise PlanningError("must be > 0 seconds", column="time_limit", value=self.time_limit)
        if self.algo in (Algorithm.ES, Algorithm.ADAPTIVE):
            self._refuse_sb3_options()
        if self.warm_start is not None and (self.algo is not Algorithm.HYBRID or self.learner != "ppo"):
            # the ES trainers start from zero weights and SAC from its own initialization: refuse, do not ignore
            raise PlanningError("--warm-start initializes the network of --algo hybrid --learner ppo "
                                "(with --history: the adaptive model)", column="warm_start", value=self.warm_start)

    def _check_numbers(self) -> None:
        """Every numeric field in its range (PlanningError naming it)."""
        for name, low in (("timesteps", 1), ("n_envs", 1), ("eval_every", 0), ("seed", 0), ("hidden", 1),
                          ("n_steps", 1), ("batch_size", 1), ("n_epochs", 1)):
            whole_number(getattr(self, name), name, low)
        if self.n_envs > ENV_SEED_STRIDE:  # environment seeds would run into the next seed's
            raise PlanningError(f"must be at most {ENV_SEED_STRIDE}", column="n_envs", value=self.n_envs)
        if self.eval_periods is not None:
            whole_number(self.eval_periods, "eval_periods", 1)
        for name in ("learning_rate", "clip_range"):
            number_in(getattr(self, name), name, 0.0, math.inf, open_low=True)
        number_in(self.gamma, "gamma", 0.0, 1.0, open_low=True)
        number_in(self.gae_lambda, "gae_lambda", 0.0, 1.0)
        number_in(self.ent_coef, "ent_coef", 0.0, math.inf)
        number_in(self.log_std_init, "log_std_init", -math.inf, math.inf)
        if self.eval_interval is not None:
            number_in(self.eval_interval, "eval_interval", 0.0, math.inf, open_low=True)
        whole_numbers(self.eval_seeds, "eval_seeds")

    def _refuse_sb3_options(self) -> None:
        """A PPO/SAC option set on an ES run would be ignored (``timesteps=100`` trained for the ES default
        generations and time): PlanningError naming the first, as the command line refuses them."""
        defaults = {item.name: item.default for item in fields(self)}
        given = [name for name in SB3_FIELDS if getattr(self, name) != defaults[name]]
        if given:
            raise PlanningError(
                f"{', '.join(given)} only apply with algo hybrid, ppo or sac; evolution strategies (algo "
                f"{self.algo.value}) are bounded by the ES generations and time_limit",
                column=given[0], value=getattr(self, given[0]),
            )

    @property
    def uses_sac(self) -> bool:
        """Whether SAC trains: pure SAC, or the hybrid with ``learner="sac"``."""
        return self.algo is Algorithm.SAC or (self.algo is Algorithm.HYBRID and self.learner == "sac")

    def to_dict(self) -> dict[str, Any]:
        """The settings as the model's ``training`` metadata records them: those the run used.

        SAC runs leave out PPO's rollout settings (:data:`PPO_FIELDS`) and record SAC's
        ``learning_starts``; pure PPO and SAC record their algorithm as ``learner`` (until
        2026-12-06 a pure SAC model said ``learner: ppo`` and ``n_steps: 1024``).
        """
        data = asdict(self)
        data["algo"] = self.algo.value
        data["eval_seeds"] = list(self.eval_seeds)
        if self.algo in (Algorithm.PPO, Algorithm.SAC):
            data["learner"] = self.algo.value
        if self.uses_sac:
            for name in PPO_FIELDS:
                del data[name]
            data["learning_starts"] = sac_learning_starts(self.timesteps)
        return data


@dataclass
class TrainResult:
    """What :func:`train` produced."""

    path: Path
    policy: Any
    evaluations: list[dict[str, float]] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def sb3_class(algo: str | Algorithm) -> type[BaseAlgorithm]:
    """The SB3 algorithm class for ``algo`` (the hybrid agent uses PPO)."""
    algo = enum_member(Algorithm, algo, "algo")
    return SAC if algo is Algorithm.SAC else PPO


def silent_logger() -> Logger:
    """An SB3 logger that writes nothing (no stdout, no folders)."""
    return Logger(folder=None, output_formats=[])


def evaluate(policy: Any, scenario: Scenario, seeds: tuple[int, ...], periods: int | None = None) -> dict[str, float]:
    """Mean KPIs of ``policy`` over ``seeds`` (via :func:`hybridinv.sim.simulate`)."""
    from hybridinv.sim.runner import simulate

    frame = simulate(policy, scenario, seeds=list(seeds), periods=periods)
    columns = ["avg_cost", "fill_rate", "holding_cost", "shortage_cost", "ordering_cost", "violations"]
    result = {name: float(frame[name].mean()) for name in columns if name in frame}
    result["avg_cost_std"] = float(frame["avg_cost"].std(ddof=1)) if len(frame) > 1 else 0.0
    return result


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


#: Training environments of one run: ``seed * ENV_SEED_STRIDE + k`` for environment ``k`` (at most this many).
ENV_SEED_STRIDE = 1000


def sac_learning_starts(timesteps: int) -> int:
    """SAC's random steps before learning: 1,000, or a quarter of a shorter run."""
    return min(1000, timesteps // 4)


def env_seed(seed: int, k: int) -> int:
    """The seed of training environment ``k`` of a run seeded ``seed``: runs never share an environment stream."""
    return int(seed) * ENV_SEED_STRIDE + k


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


class _Progress(BaseCallback):
    """tqdm bar, curriculum stages, periodic evaluation and best-policy tracking."""

    def __init__(self, trainer: _Trainer) -> None:
        super().__init__(verbose=0)
        self.trainer = trainer
        self.next_eval = trainer.config.eval_every or trainer.config.timesteps + 1
        self.last_eval = time.perf_counter()
        self.planned = trainer.config.timesteps

    def _on_training_start(self) -> None:
        if self.trainer.show_progress:
            from tqdm.auto import tqdm

            self.planned = planned_timesteps(self.model, self.trainer.config.timesteps)
            self.trainer.bar = tqdm(total=self.planned, desc="train", unit="step")

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
            trainer.evaluate_now(self.num_timesteps)
            self.last_eval = time.perf_counter()
        return config.time_limit is None or elapsed < config.time_limit

    def _on_rollout_end(self) -> None:
        if self.trainer.hook is not None:
            self.trainer.hook.end_rollout()

    def _on_training_end(self) -> None:
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
    shared = "priced" if config.credit == "priced" else "none"
    raw_env: DummyVecEnv | SkuVecEnv = (SkuVecEnv([make() for make in env_fns], shared=shared)
                                        if config.credit in PER_SKU_CREDITS
                                        else DummyVecEnv(env_fns))  # type: ignore[arg-type]
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
    model.learn(total_timesteps=config.timesteps, callback=_Progress(trainer))
    trainer.evaluate_now(model.num_timesteps)
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
