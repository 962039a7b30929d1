"""What to train and how: :class:`TrainConfig`, :class:`Algorithm`, :class:`TrainResult` and evaluation.

Nothing here imports torch or stable-baselines3, so the evolution-strategies trainers
(:func:`hybridinv.rl.training.train_es`, ``hybridinv train --algo es|adaptive`` and ``--history``)
run on the core install; the PPO/SAC trainer is :mod:`hybridinv.rl.sb3_training` (the ``rl`` extra).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from hybridinv.core.errors import (
    PlanningError,
    enum_member,
    number_in,
    whole_number,
    whole_numbers,
)
from hybridinv.sim.scenario import Scenario

__all__ = [
    "ENV_SEED_STRIDE",
    "PER_SKU_CREDITS",
    "PPO_FIELDS",
    "SB3_FIELDS",
    "Algorithm",
    "TrainConfig",
    "TrainResult",
    "check_ppo_rollout",
    "env_seed",
    "evaluate",
    "sac_learning_starts",
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
PER_SKU_CREDITS: tuple[str, ...] = ("sku", "priced", "difference")


def check_ppo_rollout(n_steps: int, n_envs: int) -> None:
    """PPO needs at least 2 steps per rollout, ``n_steps`` on each of ``n_envs`` environments (stable-baselines3
    asserted it with a bare ``AssertionError``): a PlanningError naming ``n_steps``."""
    if n_steps * n_envs < 2:
        raise PlanningError(f"PPO needs at least 2 steps per rollout (n_steps {n_steps} x {n_envs} environment(s))",
                            column="n_steps", value=n_steps)


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
        PPO rollout length per environment, minibatch size, epochs per update. PPO needs
        ``batch_size >= 2`` and ``n_steps * n_envs >= 2`` (a PlanningError naming the field).
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
    credit : {"catalog", "sku", "priced", "difference"}
        ``algo="hybrid"`` with ``forecast_ss`` or ``forecast_capped``: ``"catalog"`` (default) trains on
        one environment per catalog rewarded with the catalog's period cost; ``"sku"`` on every SKU as
        its own environment rewarded with its own period cost
        (:class:`~hybridinv.envs.sku_vec.SkuVecEnv`; timesteps, ``n_steps`` and ``batch_size`` then
        count SKU-periods per SKU environment as SB3 counts them), and the trained network is folded
        for catalogs (:func:`~hybridinv.rl.sb3_hybrid.fold_own_context`); ``"priced"`` as ``"sku"``
        with each SKU's use of the warehouse, budget and supplier rows charged at the repair's prices
        (``SkuVecEnv(shared="priced")``); ``"difference"`` as ``"sku"`` with each SKU's effect on the
        other SKUs' cost, measured on copies of the environment in which the SKU takes the base's action
        (``SkuVecEnv(shared="difference")``, a difference reward). The per-SKU credits
        (:data:`PER_SKU_CREDITS`) take no reward spec, targets or incumbent.
    credit_window : int, optional
        ``credit="difference"``: the periods between two copies of the environment
        (``SkuVecEnv(window=...)``, default 8); refused with the other credits.

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
    credit_window: int | None = None

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
            raise PlanningError("credit is 'catalog', 'sku', 'priced' or 'difference'", column="credit",
                                value=self.credit)
        if self.credit_window is not None:
            if self.credit != "difference":
                raise PlanningError("the window is the difference credit's (credit='difference')",
                                    column="credit_window", value=self.credit_window)
            whole_number(self.credit_window, "credit_window", 1)
        if self.credit in PER_SKU_CREDITS and (self.algo is not Algorithm.HYBRID
                                     or self.parameterization not in ("forecast_ss", "forecast_capped")):
            raise PlanningError("per-SKU credit trains --algo hybrid on the forecast_ss or forecast_capped "
                                "parameterization", column="credit", value=self.credit)
        self._check_ppo_batches()
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

    def _check_ppo_batches(self) -> None:
        """PPO's minibatches hold at least 2 steps: ``batch_size`` >= 2 and, on one environment per catalog,
        ``n_steps * n_envs`` >= 2 (a per-SKU credit has an environment per SKU: :func:`train` checks its
        rollout). Both were accepted and ``train`` ended in stable-baselines3's bare ``AssertionError``."""
        if not self.uses_ppo:
            return
        if self.batch_size < 2:
            raise PlanningError("PPO needs a minibatch of at least 2 steps", column="batch_size",
                                value=self.batch_size)
        if self.credit not in PER_SKU_CREDITS:
            check_ppo_rollout(self.n_steps, self.n_envs)


    def _refuse_sb3_options(self) -> None:
        """A PPO/SAC option set on an ES run would be ignored (``timesteps=100`` trained for the ES default
        generations and time): PlanningError naming the first, as the command line refuses them."""
        defaults = {item.name: item.default for item in fields(self)}
        given = [name for name in SB3_FIELDS if getattr(self, name) != defaults[name]]
        if given:
            raise PlanningError(
                f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} only with algo hybrid, ppo or sac; "
                f"evolution strategies (algo {self.algo.value}) are bounded by the ES generations and time_limit",
                column=given[0], value=getattr(self, given[0]),
            )

    @property
    def uses_ppo(self) -> bool:
        """Whether PPO trains: pure PPO, or the hybrid with ``learner="ppo"``."""
        return self.algo is Algorithm.PPO or (self.algo is Algorithm.HYBRID and self.learner == "ppo")

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


def evaluate(policy: Any, scenario: Scenario, seeds: tuple[int, ...], periods: int | None = None) -> dict[str, float]:
    """Mean KPIs of ``policy`` over ``seeds`` (via :func:`hybridinv.sim.simulate`)."""
    from hybridinv.sim.runner import simulate

    frame = simulate(policy, scenario, seeds=list(seeds), periods=periods)
    columns = ["avg_cost", "fill_rate", "holding_cost", "shortage_cost", "ordering_cost", "violations"]
    result = {name: float(frame[name].mean()) for name in columns if name in frame}
    result["avg_cost_std"] = float(frame["avg_cost"].std(ddof=1)) if len(frame) > 1 else 0.0
    return result


#: Training environments of one run: ``seed * ENV_SEED_STRIDE + k`` for environment ``k`` (at most this many).
ENV_SEED_STRIDE = 1000


def sac_learning_starts(timesteps: int) -> int:
    """SAC's random steps before learning: 1,000, or a quarter of a shorter run."""
    return min(1000, timesteps // 4)


def env_seed(seed: int, k: int) -> int:
    """The seed of training environment ``k`` of a run seeded ``seed``: runs never share an environment stream."""
    return int(seed) * ENV_SEED_STRIDE + k
