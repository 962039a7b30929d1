"""Training the network hybrid's map with stable-baselines3: PPO (or SAC) on a per-item shared network.

:func:`train_network_hybrid_sb3` trains the :class:`~hybridinv.network.hybrid.NetworkHybrid`
parameterization — the same features, the same two bounded corrections per location and SKU,
the same base and network repair — with a network map instead of the linear one:

- **Environment**: :class:`~hybridinv.network.hybrid_env.NetworkHybridEnv` (one
  ``DummyVecEnv``, rewards normalized by ``VecNormalize``), by default with the base's cost of the
  period on the same demand path subtracted from the reward (``subtract_base``).
- **Policy**: the per-item shared actor-critic of :mod:`hybridinv.rl.network`
  (:class:`~hybridinv.rl.network.SharedSkuPolicy` for PPO, ``SharedSkuSACPolicy`` for SAC) with
  the (location, SKU) pairs as its items: one small network for every SKU at every location,
  mean-pooled context, no weight depending on the number of locations or SKUs. Its output layer
  starts at zero, so training starts from the base's decisions exactly.
- **Validation**: every ``eval_every`` steps (and at the start and the end, the final weights once),
  run once the learner has learned from those steps (PPO: after its update on the rollout) and
  labelled with the steps the weights learned from, the current policy's numpy twin
  (:func:`~hybridinv.rl.network.export_weights` in a :class:`~hybridinv.rl.maps.NetworkMap`) is
  simulated on the validation seeds of the ES trainer
  (:data:`~hybridinv.network.hybrid_training.VALIDATION_SEEDS`) and scored as ES scores weights
  (:class:`~hybridinv.network.hybrid_training.NetworkHybridCost`: ``avg_cost`` over the base's
  on the same path, plus the harm penalty). The best is kept, the starting point (the base,
  1.0) included, so the result is never worse than the base on the validation seeds.

Seeds: the SB3 model and its environment are seeded with ``TRAIN_SEED_OFFSET + seed``, so the
training paths stay apart from the evaluation seeds ``0..k-1``, the tuning seeds and the
validation seeds. Torch runs single-threaded and SB3 writes no logs
(:func:`hybridinv.rl.training.silent_logger`). The returned hybrid plans with numpy only;
importing this module imports torch.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize
from torch import nn

from hybridinv.core.errors import ConstraintViolationWarning, PlanningError, number_in, whole_number
from hybridinv.network.hybrid import NetworkHybrid
from hybridinv.network.hybrid_env import NetworkHybridEnv
from hybridinv.network.hybrid_training import TRAIN_SEED_OFFSET, VALIDATION_SEEDS, NetworkHybridCost
from hybridinv.network.scenarios import NetworkScenario
from hybridinv.rl.maps import NetworkMap
from hybridinv.rl.network import SharedSkuActor, SharedSkuExtractor, export_weights
from hybridinv.rl.sb3_hybrid import SB3_LEARNERS, policy_class, policy_kwargs
from hybridinv.rl.sb3_training import LearnedEvaluations, silent_logger

__all__ = [
    "PPO_DEFAULTS",
    "SAC_DEFAULTS",
    "SB3NetworkResult",
    "TRAINER_ARGUMENTS",
    "hybrid_of_model",
    "make_model",
    "train_network_hybrid_sb3",
]

#: PPO settings unless ``algo_kwargs`` says otherwise (two 100-period episodes a rollout).
PPO_DEFAULTS: dict[str, Any] = {"n_steps": 200, "batch_size": 50, "n_epochs": 5, "learning_rate": 3e-4,
                                "gamma": 0.99, "gae_lambda": 0.95, "clip_range": 0.2, "ent_coef": 0.0}
#: SAC settings unless ``algo_kwargs`` says otherwise (a transition holds two observations of
#: ``F`` floats per location and SKU: 48 kB on ``owmr_10x50``, so the buffer is kept small).
SAC_DEFAULTS: dict[str, Any] = {"buffer_size": 10_000, "batch_size": 64, "learning_rate": 3e-4, "gamma": 0.99,
                                "learning_starts": 200}
#: Arguments of ``PPO``/``SAC`` the trainer sets itself; ``algo_kwargs`` naming one is refused (``seed`` was
#: "got multiple values for keyword argument", a TypeError).
TRAINER_ARGUMENTS: tuple[str, ...] = ("policy", "env", "policy_kwargs", "seed", "device", "verbose")


@dataclass
class SB3NetworkResult:
    """What :func:`train_network_hybrid_sb3` did.

    Attributes
    ----------
    learner : str
    evaluations : list of dict
        ``timesteps``, ``seconds`` and ``relative_cost`` (validation, harm penalty included) per evaluation.
    best : dict
        The best evaluation (the returned hybrid's).
    timesteps : int
        Environment steps taken.
    seconds : float
        Wall clock of the training, evaluations included.
    final : NetworkHybrid
        The policy at the end of training (validated last; it may differ from the best).
    """

    learner: str
    evaluations: list[dict[str, float]] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)
    timesteps: int = 0
    seconds: float = 0.0
    final: NetworkHybrid | None = None


def hybrid_of_model(model: BaseAlgorithm, template: NetworkHybrid, learner: str) -> NetworkHybrid:
    """The numpy network hybrid of an SB3 model's current policy (PPO: clipped mean, SAC: ``tanh`` of it)."""
    policy = model.policy
    network = export_weights(policy)  # type: ignore[arg-type]
    return template.with_map(NetworkMap(network, squash="tanh" if learner == "sac" else "clip"), learner)


def _start_at_base(model: BaseAlgorithm) -> None:
    """Zero the actor's output layer: the mean action is 0, the decisions are the base's."""
    policy: Any = model.policy
    if isinstance(getattr(policy, "actor", None), SharedSkuActor):
        extractor = policy.actor.shared
    else:
        extractor = policy.mlp_extractor
    assert isinstance(extractor, SharedSkuExtractor)
    with torch.no_grad():
        nn.init.zeros_(extractor.actor2.weight)
        nn.init.zeros_(extractor.actor2.bias)


def make_model(env: NetworkHybridEnv, algo: str = "ppo", hidden: int = 32, log_std_init: float = -1.0,
               seed: int = TRAIN_SEED_OFFSET, algo_kwargs: dict[str, Any] | None = None) -> BaseAlgorithm:
    """A PPO or SAC model of the per-item shared policy on ``env``, its output layer at zero.

    The environment is wrapped in a ``DummyVecEnv`` and a ``VecNormalize`` of the rewards; the
    model writes no logs; its mean action is 0 everywhere (the base's decisions) until it learns.

    Raises
    ------
    PlanningError
        For an unknown ``algo``, ``hidden`` not a whole number >= 1, ``log_std_init`` not a finite
        number, ``seed`` not a whole number >= 0, ``algo_kwargs`` not a dict or naming one of
        :data:`TRAINER_ARGUMENTS` (the trainer sets those; ``seed`` and ``verbose`` were a TypeError).
    """
    if algo not in SB3_LEARNERS:
        raise PlanningError(f"the SB3 learners are {SB3_LEARNERS}", column="algo", value=algo)
    hidden = whole_number(hidden, "hidden", 1)  # 0 was a reshape error, -3 a torch RuntimeError
    log_std_init = number_in(log_std_init, "log_std_init", -math.inf, math.inf)
    seed = whole_number(seed, "seed")
    if algo_kwargs is not None and not isinstance(algo_kwargs, dict):
        raise PlanningError("must be a dict of PPO/SAC arguments", column="algo_kwargs",
                            value=type(algo_kwargs).__name__)
    taken = sorted(str(key) for key in (algo_kwargs or {}) if key in TRAINER_ARGUMENTS)
    if taken:
        raise PlanningError(f"sets arguments the trainer sets itself ({list(TRAINER_ARGUMENTS)}); pass seed= to "
                            "the trainer", column="algo_kwargs", value=taken)
    torch.set_num_threads(1)
    settings = {**(SAC_DEFAULTS if algo == "sac" else PPO_DEFAULTS), **(algo_kwargs or {})}
    vec_env = VecNormalize(DummyVecEnv([lambda: env]), norm_obs=False, norm_reward=True,
                           gamma=float(settings["gamma"]))
    kwargs = policy_kwargs(env, hidden, log_std_init)  # type: ignore[arg-type]  # the env has the widths
    algorithm: type[BaseAlgorithm] = SAC if algo == "sac" else PPO
    model = algorithm(policy_class(algo), vec_env, policy_kwargs=kwargs, seed=seed, device="cpu", verbose=0,
                      **settings)
    model.set_logger(silent_logger())
    _start_at_base(model)
    return model


class _Validation(LearnedEvaluations):
    """Validates the policy every ``eval_every`` steps, keeps the best, stops at the time limit.

    A validation falls due in ``_on_step`` and runs once the learner has learned from the steps
    collected (:class:`~hybridinv.rl.sb3_training.LearnedEvaluations`: PPO's after its update on the
    rollout, the final weights once at the end), labelled with the steps the weights learned from.
    """

    def __init__(self, template: NetworkHybrid, learner: str, cost: NetworkHybridCost, eval_every: int,
                 time_limit: float | None, result: SB3NetworkResult) -> None:
        super().__init__()
        self.template, self.learner, self.cost = template, learner, cost
        self.eval_every = eval_every  # a whole number >= 0 (checked by the trainer; -5 looped forever)
        self.next_eval = self.eval_every or None
        self.time_limit = time_limit
        self.result = result
        self.start = time.perf_counter()
        self.best_hybrid: NetworkHybrid | None = None

    def evaluate_weights(self, timesteps: int) -> None:
        hybrid = hybrid_of_model(self.model, self.template, self.learner)
        relative = float(np.mean([self.cost.relative_cost(hybrid, seed) for seed in VALIDATION_SEEDS]))
        entry = {"timesteps": float(timesteps), "seconds": time.perf_counter() - self.start, "relative_cost": relative}
        self.result.evaluations.append(entry)
        if self.best_hybrid is None or relative < self.result.best["relative_cost"] - 1e-12:
            self.result.best, self.best_hybrid = entry, hybrid

    def _on_step(self) -> bool:
        if self.next_eval is not None and self.num_timesteps >= self.next_eval:
            self.pending = True
            while self.next_eval <= self.num_timesteps:
                self.next_eval += self.eval_every
        self.stopped = self.time_limit is not None and time.perf_counter() - self.start >= self.time_limit
        return not self.stopped


def train_network_hybrid_sb3(
    scenario: NetworkScenario,
    base_levels: NDArray[np.float64],
    algo: str = "ppo",
    timesteps: int = 20_000,
    time_limit: float | None = None,
    seed: int = 0,
    periods: int = 100,
    eval_every: int = 2_000,
    hidden: int = 32,
    log_std_init: float = -1.0,
    subtract_base: bool = True,
    harm_weight: float = 1.0,
    algo_kwargs: dict[str, Any] | None = None,
) -> tuple[NetworkHybrid, SB3NetworkResult]:
    """Train the network hybrid's map, a per-item shared network, with PPO (or SAC).

    Parameters
    ----------
    scenario : NetworkScenario
    base_levels : array (locations, SKUs)
        Echelon levels of the base (e.g. :func:`~hybridinv.network.hybrid_training.repaired_echelon_levels`).
    algo : {"ppo", "sac"}
    timesteps : int
        Environment steps (periods) of training at most, a whole number >= 1.
    time_limit : float, optional
        Stop learning after this many seconds of wall clock (evaluations included), a number > 0
        (``inf``: no limit, as None).
    seed : int
        A whole number >= 0; the model and its environment use ``TRAIN_SEED_OFFSET + seed``.
    periods : int
        Episode length of training and of the validation runs.
    eval_every : int
        Validate every this many steps, a whole number >= 0 (0: only at the start and the end).
    hidden : int
        Hidden width of the shared network, a whole number >= 1.
    log_std_init : float
        Initial log standard deviation of the Gaussian policy (one per output, shared by all items).
    subtract_base : bool
        Reward relative to the base on the same demand path (:class:`NetworkHybridEnv`).
    harm_weight : float
        Penalty per unit of validation relative cost above the base, a finite number >= 0.
    algo_kwargs : dict, optional
        Passed to ``PPO``/``SAC`` over :data:`PPO_DEFAULTS`/:data:`SAC_DEFAULTS`; it may not name
        :data:`TRAINER_ARGUMENTS` (``policy``, ``env``, ``policy_kwargs``, ``seed``, ``device``,
        ``verbose``), which the trainer sets.

    Returns
    -------
    (NetworkHybrid with the best validated network map, SB3NetworkResult)

    Raises
    ------
    PlanningError
        Naming the argument: an unknown ``algo``, ``timesteps`` not a whole number >= 1 (None was a
        TypeError), ``eval_every`` not a whole number >= 0 (-5 trained forever, 2.5 validated every 2
        steps), ``time_limit`` not a number > 0 (NaN stopped after one step), a negative or NaN
        ``harm_weight`` (it rewarded harm), and the refusals of :func:`make_model`.
    """
    timesteps = whole_number(timesteps, "timesteps", 1)
    eval_every = whole_number(eval_every, "eval_every", 0)
    if time_limit is not None:
        time_limit = number_in(time_limit, "time_limit", 0.0, math.inf, open_low=True, allow_inf=True)
    seed = whole_number(seed, "seed")
    template = NetworkHybrid(scenario, base_levels)
    env = NetworkHybridEnv(template, periods, subtract_base=subtract_base)
    cost = NetworkHybridCost(template, periods, harm_weight, fixed_seeds=VALIDATION_SEEDS)
    model = make_model(env, algo, hidden, log_std_init, TRAIN_SEED_OFFSET + seed, algo_kwargs)
    result = SB3NetworkResult(algo)
    callback = _Validation(template, algo, cost, eval_every, time_limit, result)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstraintViolationWarning)
        callback.init_callback(model)
        callback.evaluate_learned()  # the start: the base
        model.learn(total_timesteps=timesteps, callback=callback)  # validates the final weights too
    model.get_env().close()  # type: ignore[union-attr]
    result.timesteps, result.seconds = int(model.num_timesteps), time.perf_counter() - callback.start
    result.final = hybrid_of_model(model, template, algo)
    assert callback.best_hybrid is not None
    return callback.best_hybrid, result
