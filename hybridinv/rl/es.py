"""Evolution strategies (ES): black-box policy search on the shared network's weights.

Natural-evolution-strategies gradient estimate of Salimans et al. (2017): for the
mean parameter vector ``theta`` draw ``P/2`` Gaussian directions ``eps_k`` and
evaluate the antithetic pairs ``theta +- sigma eps_k``; with the fitness values
replaced by centered ranks ``u`` (robust to the scale of costs),

.. math::

    g = \\frac{1}{P \\sigma} \\sum_k (u_k^+ - u_k^-)\\, \\epsilon_k,

and ``theta`` follows ``g`` with Adam. All members of a generation are simulated
on the *same* scenario seeds (common random numbers), so the ranks compare
policies, not demand paths. Fitness is minus the average simulated cost
(:class:`hybridinv.sim.Simulator`, the repair layer in the loop).

Every ``eval_every`` generations (and after the last one, also when the time limit
stops the run) the mean ``theta`` is evaluated on fixed
validation seeds and the best evaluated parameters are kept; generation 0 is
the starting point, so with a correcting parameterization (zero output = the base
policy, :mod:`hybridinv.rl.parameterizations`) a trained model is never worse than its
base policy on the validation seeds. The trainers of the hybrid's configurations
(:func:`hybridinv.rl.adaptive.train_adaptive`, :func:`hybridinv.rl.residual.train_residual`,
:func:`hybridinv.rl.linear.train_linear`) build on this module, never the other way round.

References
----------
Salimans, T., Ho, J., Chen, X., Sidor, S. and Sutskever, I. (2017). Evolution
strategies as a scalable alternative to reinforcement learning. arXiv:1703.03864.
Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic optimization. *ICLR*.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import PlanningError, number_in, whole_number, whole_numbers
from hybridinv.rl.numpy_policy import SharedPolicyNetwork
from hybridinv.rl.objective import TrainingObjective

__all__ = [
    "ES_LAYERS",
    "ES_REWARD_SPEC",
    "ESConfig",
    "ESResult",
    "centered_ranks",
    "evolve",
    "evolve_model",
    "expected_generations",
    "flatten",
    "harm_penalized",
    "network_cost_function",
    "policy_cost_function",
    "unflatten",
]

#: Layers searched by ES (the value head and ``log_std`` are not used at inference).
ES_LAYERS: tuple[str, ...] = ("embed1", "embed2", "actor1", "actor2")

#: ``fitness(thetas, seeds) -> costs``: average cost of each parameter vector (rows of
#: ``thetas``) on the given scenario seeds (lower is better).
CostFunction = Callable[[NDArray[np.float64], Sequence[int]], NDArray[np.float64]]


@dataclass(frozen=True)
class ESConfig:
    """Evolution-strategies hyperparameters (stored in the model's metadata).

    Parameters
    ----------
    population : int
        Members per generation (even: antithetic pairs).
    sigma : float
        Standard deviation of the parameter perturbations.
    learning_rate : float
        Adam step size on the mean parameters.
    generations : int
        Maximum number of generations.
    seeds_per_generation : int
        Scenario seeds shared by all members of a generation (common random numbers).
    eval_every : int
        Evaluate the mean on ``eval_seeds`` every this many generations, and after the last generation
        run (the last of ``generations`` or the last the time limit let start).
    eval_seeds : tuple of int
        Fixed validation seeds (best evaluated parameters are kept).
    time_limit : float
        Stop after this many seconds (0: no limit): no generation starts that would end past the
        limit at the pace of the generations so far (the first starts if the limit has not passed;
        the check was only that the limit had not
        passed yet, so a run overshot by up to a generation and its evaluation: 12 s for a limit
        of 5 on ``multi_10``); the mean after the last generation run is then evaluated (so the
        run ends past the limit by that one evaluation). A run stopped by the clock depends on the
        machine's speed and load (how many generations fit), not on ``seed`` alone; for a run the
        seed reproduces, bound it by ``generations`` with ``time_limit=0``.
    weight_decay : float
        L2 pull of the parameters towards their starting point.
    seed : int
        Seeds the perturbations and the training-seed draws.
    """

    population: int = 20
    sigma: float = 0.05
    learning_rate: float = 0.02
    generations: int = 100
    seeds_per_generation: int = 2
    eval_every: int = 5
    eval_seeds: tuple[int, ...] = (10_001, 10_002, 10_003, 10_004)
    time_limit: float = 0.0
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        check_es_settings(self)
        number_in(self.weight_decay, "weight_decay", 0.0, math.inf)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["eval_seeds"] = list(self.eval_seeds)
        return data


def check_es_settings(settings: Any) -> None:
    """Check the ES fields of ``settings`` (a frozen :class:`ESConfig` or settings that build one) and
    store the counts as ``int`` and the seeds as a tuple of ``int``.

    ``population`` an even whole number >= 2, ``sigma`` and ``learning_rate`` finite and > 0,
    ``generations``, ``seeds_per_generation`` and ``eval_every`` whole numbers >= 1,
    ``eval_seeds`` a non-empty sequence of distinct whole numbers >= 0, ``time_limit`` finite and >= 0
    (0: none), ``seed`` a whole number >= 0. A whole-number float (``generations=3.0``,
    ``np.float64(3)``) is stored as the int (it passed the check, then :func:`evolve` failed on it
    with a TypeError).

    Raises
    ------
    PlanningError
        Naming the field and its value.
    """
    for name, low in (("population", 2), ("generations", 1), ("seeds_per_generation", 1), ("eval_every", 1),
                      ("seed", 0)):
        object.__setattr__(settings, name, whole_number(getattr(settings, name), name, low))
    if settings.population % 2:
        raise PlanningError("must be even (antithetic pairs)", column="population", value=settings.population)
    for name in ("sigma", "learning_rate"):
        number_in(getattr(settings, name), name, 0.0, math.inf, open_low=True)
    number_in(settings.time_limit, "time_limit", 0.0, math.inf)
    from hybridinv.sim.runner import seed_numbers

    # a repeated seed counted one validation path twice in every evaluation
    seeds = whole_numbers(settings.eval_seeds, "eval_seeds")
    seed_numbers(list(seeds), "eval_seeds")
    object.__setattr__(settings, "eval_seeds", seeds)


@dataclass
class ESResult:
    """Best parameters found by :func:`evolve` and the run's history."""

    theta: NDArray[np.float64]
    best: dict[str, float]
    start: dict[str, float]
    history: list[dict[str, float]] = field(default_factory=list)
    generations: int = 0
    seconds: float = 0.0


def flatten(network: SharedPolicyNetwork, layers: Sequence[str] = ES_LAYERS) -> NDArray[np.float64]:
    """The searched weights of ``network`` as one vector (weights then bias per layer)."""
    parts = [network.weights[f"{name}.{part}"].ravel() for name in layers for part in ("weight", "bias")]
    return np.concatenate(parts)


def unflatten(
    network: SharedPolicyNetwork, theta: NDArray[np.float64], layers: Sequence[str] = ES_LAYERS
) -> SharedPolicyNetwork:
    """A copy of ``network`` with the searched weights taken from ``theta``."""
    weights = {key: value.copy() for key, value in network.weights.items()}
    offset = 0
    for name in layers:
        for part in ("weight", "bias"):
            key = f"{name}.{part}"
            size = weights[key].size
            weights[key] = np.asarray(theta[offset : offset + size], dtype=np.float64).reshape(weights[key].shape)
            offset += size
    if offset != theta.size:
        raise ValueError(f"theta has {theta.size} values, the network's searched layers {offset}")
    return SharedPolicyNetwork(weights)


def centered_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ranks of ``values`` mapped to [-0.5, 0.5] (Salimans et al. 2017, fitness shaping).

    Examples
    --------
    >>> centered_ranks(np.array([3.0, 1.0, 2.0])).tolist()
    [0.5, -0.5, 0.0]
    """
    ranks = np.empty(values.size)
    ranks[np.argsort(values, kind="stable")] = np.arange(values.size)
    return ranks / max(values.size - 1, 1) - 0.5



def _progress_bar(progress: bool, total: int) -> Any:
    """A tqdm bar of ``total`` generations as a context (closed on leaving it), or a context of None."""
    if not progress:
        return contextlib.nullcontext(None)
    from tqdm.auto import tqdm

    return contextlib.closing(tqdm(total=total, desc="es", unit="gen"))

def evolve(
    cost: CostFunction,
    theta0: NDArray[np.float64],
    config: ESConfig,
    on_eval: Callable[[NDArray[np.float64], dict[str, float]], None] | None = None,
    progress: bool = False,
) -> ESResult:
    """Minimize the simulated cost over parameter vectors by evolution strategies.

    Parameters
    ----------
    cost : callable
        ``cost(thetas, seeds)``: average cost of each row of ``thetas`` (shape (P, d))
        on the scenario ``seeds`` (the same seeds for every row).
    theta0 : numpy.ndarray
        Starting parameters (evaluated first: the result is never worse on the
        validation seeds).
    config : ESConfig
    on_eval : callable, optional
        Called with ``(theta, kpis)`` whenever a new best is found (checkpoints).
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    ESResult
    """
    start = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    theta = np.array(theta0, dtype=np.float64)
    moment1 = np.zeros_like(theta)
    moment2 = np.zeros_like(theta)
    pairs = config.population // 2

    describe = getattr(cost, "describe", None)

    def validate(generation: int) -> dict[str, float]:
        value = float(cost(theta[None, :], config.eval_seeds)[0])
        kpis = {"generation": float(generation), "avg_cost": value}
        # the value returned is what ES minimizes (a Lagrangian, a ratio to a baseline, or the cost itself);
        # describe() then gives the real avg_cost per period and that value's entries under their own names
        kpis.update(describe() if callable(describe) else {})
        kpis["seconds"] = round(time.perf_counter() - start, 1)
        return kpis

    first = validate(0)
    result = ESResult(theta.copy(), dict(first), dict(first), [first])
    if on_eval is not None:
        on_eval(result.theta, result.best)
    # a context, so that an interruption (Ctrl-C, SIGTERM) closes the bar before the command's one-line message
    # (the bar was left open and printed once more after it)
    with _progress_bar(progress, config.generations) as bar:
        generation = 0
        evaluated = 0  # the last generation whose mean was evaluated
        train_cost = math.nan
        ready = time.perf_counter() - start  # the first evaluation's time: not part of the pace per generation

        def keep_if_better(generation: int) -> None:
            kpis = validate(generation)
            kpis["train_cost"] = train_cost
            result.history.append(kpis)
            if TrainingObjective.better(kpis, result.best):
                result.best = dict(kpis)
                result.theta = theta.copy()
                if on_eval is not None:
                    on_eval(result.theta, result.best)

        for generation in range(1, config.generations + 1):
            if config.time_limit:
                # the first generation starts while the limit has not passed (nothing measures its time yet: a
                # guess from the first evaluation's was 2-3x too long, with worker pools and batching, and trained
                # nothing); later ones only when they end before it at the pace so far
                elapsed = time.perf_counter() - start
                pace = (elapsed - ready) / (generation - 1) if generation > 1 else 0.0
                if elapsed + pace > config.time_limit:
                    generation -= 1
                    break
                if bar is not None and generation > 1:  # the total at the stop rule's own pace and moment
                    _retotal(bar, expected_generations(generation - 1, elapsed, config, ready))
            seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=config.seeds_per_generation)]
            noise = rng.standard_normal((pairs, theta.size))
            members = theta[None, :] + config.sigma * np.concatenate([noise, -noise])
            costs = np.asarray(cost(members, seeds), dtype=np.float64)
            ranks = centered_ranks(costs)  # low cost -> low rank: descend
            grad = (ranks[:pairs] - ranks[pairs:]) @ noise / (config.population * config.sigma)
            grad += config.weight_decay * (theta - theta0)
            moment1 = 0.9 * moment1 + 0.1 * grad
            moment2 = 0.999 * moment2 + 0.001 * grad**2
            step = moment1 / (1 - 0.9**generation) / (np.sqrt(moment2 / (1 - 0.999**generation)) + 1e-8)
            theta = theta - config.learning_rate * step
            if bar is not None:
                bar.update(1)
                bar.set_postfix(**_postfix(result.best, train=f"{costs.mean():.2f}"))
            train_cost = float(costs.mean())
            if generation % config.eval_every == 0 or generation == config.generations:
                keep_if_better(generation)
                evaluated = generation
        if generation > evaluated:
            # the time limit stopped the run between evaluations: the generations since the last one are
            # evaluated too (they were dropped: 3 generations with eval_every=5 returned the starting point)
            keep_if_better(generation)
        if bar is not None:
            _retotal(bar, generation)  # the generations made: the bar ends full
    result.generations = generation
    result.seconds = time.perf_counter() - start
    return result


def _postfix(best: dict[str, float], **entries: str) -> dict[str, str]:
    """Progress-bar entries: the best evaluation's real average cost and, under an objective, its objective."""
    out = {**entries, "best": f"{best['avg_cost']:.2f}"}
    if "objective" in best:
        out["objective"] = f"{best['objective']:.4g}"
    return out


def expected_generations(done: int, elapsed: float, config: ESConfig, ready: float = 0.0) -> int:
    """How many generations the run will make: ``config.generations``, or fewer when the time limit binds.

    After ``done`` generations in ``elapsed`` seconds, ``ready`` of them before the first generation (the
    first evaluation), the generations that still end before the limit at the pace ``(elapsed - ready) /
    done`` — the rule that stops the run (so a progress bar's total and ETA end with it; with the first
    evaluation counted in the pace the bar said one generation more than the run made).
    """
    if not config.time_limit or done <= 0 or elapsed <= ready:
        return config.generations
    pace = (elapsed - ready) / done
    fits = done + int(max(config.time_limit - elapsed, 0.0) / pace)
    return max(done, min(config.generations, fits))


def _retotal(bar: Any, total: int) -> None:
    if total != bar.total:
        bar.total = total
        refresh = getattr(bar, "refresh", None)
        if callable(refresh):
            refresh()


def network_cost_function(
    scenario: Any,
    template: SharedPolicyNetwork,
    make_policy: Callable[[SharedPolicyNetwork], Any],
    periods: int | None = None,
    workers: int = 1,
) -> CostFunction:
    """A :data:`CostFunction` simulating ``make_policy(unflatten(template, theta))`` on ``scenario``.

    With ``workers > 1`` the (member, seed) episodes run in a process pool (fork).
    """
    return policy_cost_function(scenario, _NetworkPolicy(template, make_policy), periods, workers)


def policy_cost_function(
    scenario: Any,
    make_policy: Callable[[NDArray[np.float64]], Any],
    periods: int | None = None,
    workers: int = 1,
    baseline: Any = None,
    harm_weight: float = 0.0,
    objective: TrainingObjective | None = None,
) -> CostFunction:
    """A :data:`CostFunction` simulating ``make_policy(theta)`` on ``scenario``.

    ``scenario`` is a :class:`~hybridinv.sim.Scenario` or a family of them with
    ``episode(seed) -> Scenario`` (a scenario drawn per seed, e.g.
    :class:`hybridinv.rl.history.HistoryFamily`). With ``workers > 1`` the (member, seed)
    episodes run in a process pool (fork); the pool is the returned function's ``pool``
    attribute (terminate it when done). When the policy has ``act_batch`` (and the scenario
    is not a family, and there is no training objective) the seeds of a member run as one
    batch (:func:`hybridinv.sim.runner.run_batch`), in the pool one task per member. With a
    ``baseline`` policy each episode's cost is
    divided by the baseline's cost on the same episode (relative cost, 1 = the baseline), plus
    ``harm_weight * max(ratio - 1, 0)``.

    With a non-trivial :class:`~hybridinv.rl.objective.TrainingObjective` each episode is
    measured as ``[cost, KPIs of the targets, deviation from the incumbent]`` (the cost
    relative to the baseline's as above) and the function returns the objective's
    Lagrangian per member; a call with more than one member (an ES generation) then
    takes one dual-ascent step of the multipliers. ``describe()`` on the returned
    function gives the validation entries of the last single-member call: the real
    ``avg_cost`` per period (the ledger's, never relative) and the objective's entries
    (:meth:`~hybridinv.rl.objective.TrainingObjective.describe`: ``cost``, ``objective``, ...);
    without an objective ``cost``, the value returned (relative with a baseline).
    """
    objective = None if objective is None or objective.trivial else objective
    context = _EpisodeContext(scenario.for_fitting(), make_policy, periods, baseline, harm_weight, objective)
    pool: Any = None
    if workers > 1:
        import multiprocessing

        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_set_context, initargs=(context,))

    def measured(thetas: NDArray[np.float64], seeds: Sequence[int]) -> NDArray[np.float64]:
        if pool is None:  # all seeds of a member at once when the policy and scenario allow it
            values = [context.many(theta, seeds) or [context(theta, seed) for seed in seeds] for theta in thetas]
        elif context.batchable(context.make_policy(thetas[0])):  # one task per member, its seeds in one batch
            members = pool.starmap(_run_many_in_worker, [(theta, [int(s) for s in seeds]) for theta in thetas])
            values = [value for member in members for value in member]
        else:
            tasks = [(theta, int(seed)) for theta in thetas for seed in seeds]
            values = pool.starmap(_run_in_worker, tasks, chunksize=1)
        shape = (len(thetas), len(seeds)) + np.shape(values[0][0] if pool is None else values[0])
        return np.asarray(values, dtype=np.float64).reshape(shape).mean(axis=1)

    last: list[NDArray[np.float64]] = []

    def cost(thetas: NDArray[np.float64], seeds: Sequence[int]) -> NDArray[np.float64]:
        values = measured(thetas, seeds)
        values, real = values[:, :-1], values[:, -1]  # the episodes' real avg_cost comes last
        if objective is None:
            scores = values[:, 0]
        else:
            scores = objective.score(values)
            if len(thetas) > 1:
                objective.update(values)
        if len(thetas) == 1:
            last[:] = [values[0], real[:1]]
        return scores

    def describe() -> dict[str, float]:
        if not last:
            return {}
        entries = objective.describe(last[0]) if objective is not None else {"cost": float(last[0][0])}
        return {**entries, "avg_cost": float(last[1][0])}

    cost.pool = pool  # type: ignore[attr-defined]
    cost.describe = describe  # type: ignore[attr-defined]
    return cost


class _NetworkPolicy:
    """``theta -> make_policy(unflatten(template, theta))``."""

    def __init__(self, template: SharedPolicyNetwork, make_policy: Callable[[SharedPolicyNetwork], Any]) -> None:
        self.template = template
        self.make_policy = make_policy

    def __call__(self, theta: NDArray[np.float64]) -> Any:
        return self.make_policy(unflatten(self.template, theta))


def harm_penalized(ratio: float, harm_weight: float) -> float:
    """A cost ratio to a baseline plus ``harm_weight`` times its excess over 1 (the price of doing worse)."""
    return ratio + harm_weight * max(ratio - 1.0, 0.0)


class _EpisodeContext:
    """One (member, seed) episode; ``scenario`` is a Scenario or a family with ``episode(seed) -> Scenario``.

    With a ``baseline`` policy the cost is relative: the member's cost over the baseline's
    on the same episode (cached per seed), so episodes of very different sizes weigh alike,
    plus ``harm_weight`` times the excess over 1 (a penalty on doing worse than the baseline).
    """

    def __init__(
        self,
        scenario: Any,
        make_policy: Callable[[NDArray[np.float64]], Any],
        periods: int | None,
        baseline: Any = None,
        harm_weight: float = 0.0,
        objective: TrainingObjective | None = None,
    ) -> None:
        self.scenario = scenario
        self.make_policy = make_policy
        self.periods = periods
        self.baseline = baseline
        self.harm_weight = harm_weight
        self.objective = objective
        self._baseline_cost: dict[int, float] = {}

    def _measure(self, policy: Any, scenario: Any, seed: int) -> NDArray[np.float64]:
        """The objective's measurements (without one: the scenario's cost), then the real avg_cost per period."""
        if self.objective is not None:
            values, summary = self.objective.measure_episode(policy, scenario, seed, self.periods)
            return np.append(values, summary["avg_cost"])
        from hybridinv.sim.runner import run_episode

        ledger, _ = run_episode(policy, scenario, seed, self.periods)
        summary = ledger.summary()
        return np.array([summary[scenario.cost_key], summary["avg_cost"]])

    def __call__(self, theta: NDArray[np.float64], seed: int) -> NDArray[np.float64]:
        """The episode's measurements (the cost first, relative with a baseline), then the real ``avg_cost``."""
        episode = getattr(self.scenario, "episode", None)
        scenario = episode(int(seed)) if callable(episode) else self.scenario
        values = self._measure(self.make_policy(theta), scenario, int(seed))
        if self.baseline is not None:
            reference = self._baseline_cost.get(int(seed))
            if reference is None:
                reference = float(self._measure(self.baseline, scenario, int(seed))[0])
                self._baseline_cost[int(seed)] = reference
            values[0] = self._relative(values[0], reference)
        return values

    def _relative(self, cost: float, reference: float) -> float:
        return harm_penalized(cost / max(reference, 1e-12), self.harm_weight)

    def batchable(self, policy: Any) -> bool:
        """Whether the seeds of ``policy`` can run as one batch (see :meth:`many`)."""
        from hybridinv.sim.runner import supports_batch

        if self.objective is not None or callable(getattr(self.scenario, "episode", None)):
            return False
        return supports_batch(policy) and (self.baseline is None or supports_batch(self.baseline))

    def many(self, theta: NDArray[np.float64], seeds: Sequence[int]) -> list[NDArray[np.float64]] | None:
        """The costs of all ``seeds`` in one batch (:func:`hybridinv.sim.runner.run_batch`), as ``__call__`` gives them.

        None when the batch does not apply: a scenario family (one scenario per seed), a
        training objective, or a policy (or baseline) without ``act_batch``.
        """
        from hybridinv.sim.runner import run_batch

        policy = self.make_policy(theta)
        if not self.batchable(policy):
            return None
        seed_list = [int(seed) for seed in seeds]
        ledgers, _ = run_batch(policy, self.scenario, seed_list, self.periods)
        key = self.scenario.cost_key
        summaries = [ledger.summary() for ledger in ledgers]
        if self.baseline is not None:
            missing = [seed for seed in seed_list if seed not in self._baseline_cost]
            if missing:
                references, _ = run_batch(self.baseline, self.scenario, missing, self.periods)
                for seed, ledger in zip(missing, references, strict=True):
                    self._baseline_cost[seed] = ledger.summary()[key]
        return [np.array([s[key] if self.baseline is None else self._relative(s[key], self._baseline_cost[seed]),
                          s["avg_cost"]]) for s, seed in zip(summaries, seed_list, strict=True)]


_WORKER_CONTEXT: _EpisodeContext | None = None


def _set_context(context: _EpisodeContext) -> None:
    """A worker's initializer: its episode context, and the signals left to the parent.

    Ctrl-C reaches every process of the terminal's group: each worker printed its own ``KeyboardInterrupt`` traceback
    ("Process ForkPoolWorker-1: ..."). Workers now ignore SIGINT (the parent stops and terminates the pool) and take
    SIGTERM, which ``pool.terminate()`` sends, the default way (a forked worker inherited the ``hybridinv`` command's
    SIGTERM handler, which raises).
    """
    import signal

    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_in_worker(theta: NDArray[np.float64], seed: int) -> NDArray[np.float64]:
    assert _WORKER_CONTEXT is not None
    return _WORKER_CONTEXT(theta, seed)


def _run_many_in_worker(theta: NDArray[np.float64], seeds: list[int]) -> list[NDArray[np.float64]]:
    assert _WORKER_CONTEXT is not None
    values = _WORKER_CONTEXT.many(theta, seeds)
    assert values is not None
    return values


#: ``reward_spec`` of the models trained by ES (stored in their metadata).
ES_REWARD_SPEC: dict[str, Any] = {
    "kind": "negative_average_cost",
    "components": ["holding", "shortage", "ordering", "waste", "overflow"],
    "description": "ES fitness = -(average cost per period over the episode), hybridinv.sim.ledger",
}


def evolve_model(
    scenario: Any,
    out: str | Path | None,
    config: ESConfig,
    cost: CostFunction,
    theta0: NDArray[np.float64],
    weights_of: Callable[[NDArray[np.float64]], Any],
    spec: dict[str, Any],
    training: dict[str, Any],
    periods: int | None = None,
    workers: int = 1,
    progress: bool = False,
    scenario_name: str | None = None,
    objective: TrainingObjective | None = None,
) -> tuple[dict[str, Any], ESResult]:
    """:func:`evolve` with model-directory checkpoints: the shared part of the ES trainers.

    ``weights_of(theta)`` is what :func:`~hybridinv.rl.model_file.save_model` writes (a
    network or parameter arrays); ``spec`` the model-kind entries of the metadata
    (``policy``, ``action_spec``, ...) and ``training`` extra training entries; a non-trivial
    ``objective`` (the one ``cost`` was built with) is recorded as the model's ``reward_spec``
    with its final multipliers. The
    directory ``out`` (if any) is rewritten whenever the validation cost improves and
    once at the end; a process pool behind ``cost`` is terminated.

    Returns
    -------
    (metadata of the final model, ESResult)
    """
    from hybridinv.rl.model_file import save_model

    start = time.perf_counter()

    def metadata(best: dict[str, float], history: list[dict[str, float]]) -> dict[str, Any]:
        return {
            **spec,
            "scenario": scenario.summary(),
            "reward_spec": ES_REWARD_SPEC if objective is None or objective.trivial else {
                "kind": "es_objective",
                "description": "ES fitness = Lagrangian of hybridinv.rl.objective.TrainingObjective",
                **objective.to_dict(),
            },
            "training": {
                "algo": "es",
                "scenario": scenario_name or scenario.name,
                **config.to_dict(),
                **training,
                "periods": periods,
                "workers": workers,
                "seconds": round(time.perf_counter() - start, 1),
                "n_skus": scenario.n_skus,
            },
            "seed": config.seed,
            "evaluation": {"best": best, "history": history},
        }

    improvements: list[dict[str, float]] = []

    def checkpoint(theta: NDArray[np.float64], best: dict[str, float]) -> None:
        improvements.append(dict(best))
        if out is not None:
            save_model(out, weights_of(theta), metadata(best, improvements))

    try:
        result = evolve(cost, theta0, config, on_eval=checkpoint, progress=progress)
    finally:
        pool = getattr(cost, "pool", None)
        if pool is not None:
            pool.terminate()
    meta = metadata(result.best, result.history)
    meta["training"].update(start=result.start, generations=result.generations)
    if out is not None:
        save_model(out, weights_of(result.theta), meta)
    return meta, result
