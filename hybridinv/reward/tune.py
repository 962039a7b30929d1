"""Tune reward weights under KPI targets with Optuna.

Each trial proposes a shortage weight (and, when the spec prices carbon held,
a carbon price); the classical service-level policy that is cost-optimal for
those weights (:func:`hybridinv.reward.enforce.critical_ratio`) is simulated
on common random numbers, and Optuna's TPE sampler minimizes the chosen KPI
subject to the targets (``constraints_func``: a trial is feasible when every
target's violation is <= 0). Candidates are evaluated in batches, in parallel
processes or on Ray.

References
----------
Akiba, T., Sano, S., Yanase, T., Ohta, T., & Koyama, M. (2019). Optuna: a
next-generation hyperparameter optimization framework. *KDD*.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hybridinv.core.errors import PlanningError, PlanningWarning, near_names, number_pair, whole_number
from hybridinv.core.limits import MAX_SEED
from hybridinv.core.outputs import (
    check_output_directory,
    json_safe,
    output_directory,
    refuse_replacing_inputs,
    replace_files,
    write_csv,
)
from hybridinv.reward.enforce import critical_ratio, policy_family, searched_spec, target_report, weight_bracket
from hybridinv.reward.evaluate import evaluate_policy, resolve_scenario, seed_list
from hybridinv.reward.plots import pareto_front
from hybridinv.reward.spec import CarbonTerm, RewardSpec
from hybridinv.reward.targets import KPI_RANGES, KPITarget, check_kpis_defined, normalized_violation, parse_targets

if TYPE_CHECKING:
    from hybridinv.sim.scenario import Scenario

__all__ = ["OUTPUT_FILES", "TuneResult", "objective_name", "pareto_front", "tune"]

#: The files a run with ``out`` writes into that folder (the order of :attr:`TuneResult.paths`).
OUTPUT_FILES: tuple[str, ...] = ("spec.toml", "trials.csv", "pareto.png", "summary.json")

BACKENDS = ("process", "ray")


def objective_name(minimize: str) -> tuple[str, str]:
    """``(kpi, direction)`` from ``"cost"``, a KPI name, or ``"-kpi"`` (maximize)."""
    if not isinstance(minimize, str):  # an AttributeError ('bool' object has no attribute 'strip')
        raise PlanningError("must be a KPI name such as 'cost' or '-fill_rate'", column="minimize", value=minimize)
    name = minimize.strip()
    direction = "minimize"
    if name.startswith("-"):
        name, direction = name[1:], "maximize"
    name = "avg_cost" if name == "cost" else name
    if name not in KPI_RANGES:
        hint = near_names(name, ["cost", *KPI_RANGES], prefix="-" if direction == "maximize" else "")
        raise PlanningError(f"unknown KPI to optimize{hint}; known: cost, {sorted(KPI_RANGES)}", column="minimize",
                            value=minimize)
    return name, direction


def _candidate_spec(spec: RewardSpec, params: dict[str, float]) -> RewardSpec:
    changes: dict[str, Any] = {"shortage": spec.shortage * params["shortage_weight"]}
    if "carbon_price" in params:
        base = asdict(spec.carbon) if spec.carbon else {}
        changes["carbon"] = CarbonTerm(**{**base, "price": params["carbon_price"]})
    return spec.replace(**changes)


def _evaluate(task: dict[str, Any]) -> dict[str, Any]:
    """Evaluate one candidate (runs in a worker: everything it needs is in ``task``)."""
    from hybridinv.policies import registry

    registry.adopt(task["policy"], task.get("factory", ""))  # a policy the caller registered (a Ray worker's is new)
    scenario = resolve_scenario(task["scenario"], task["periods"], fitting=True)
    spec = RewardSpec.from_dict(task["spec"])
    candidate = _candidate_spec(spec, task["params"])
    family = policy_family(task["policy"], scenario, task["repair"])
    policy = family(critical_ratio(scenario.catalog, candidate))
    frame = evaluate_policy(policy, scenario, task["seeds"], spec)
    means = frame.drop(columns=["seed"], errors="ignore").mean(numeric_only=True).to_dict()  # a seed is not a KPI
    return {"means": {k: float(v) for k, v in means.items()}, "per_seed": frame.to_dict(orient="list")}


def _run_batch(tasks: list[dict[str, Any]], backend: str, jobs: int) -> list[dict[str, Any]]:
    if backend == "ray":
        import ray

        from hybridinv._ray import ray_session

        with ray_session(jobs):  # tune's session when it runs; a local instance for this batch otherwise
            remote = ray.remote(_evaluate)
            try:
                return list(ray.get([remote.remote(task) for task in tasks]))
            except ray.exceptions.RayTaskError as exc:
                # bad input found in a worker is the one-line error it is locally (it was Ray's traceback, with
                # ANSI colours, of the worker)
                if isinstance(exc.cause, PlanningError):
                    raise exc.cause from None
                raise
    if jobs <= 1 or len(tasks) == 1:
        return [_evaluate(task) for task in tasks]
    from concurrent.futures import ProcessPoolExecutor

    from hybridinv._pool import starting_workers, stop_pool

    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)))
    try:
        with starting_workers():  # Ctrl-C is the command's, not the workers' (they printed KeyboardInterrupt)
            results = pool.map(_evaluate, tasks)
        return list(results)
    except BaseException:  # an interruption (or a failed candidate) ends the batch's workers, not waited for
        stop_pool(pool)
        raise
    finally:
        pool.shutdown()


@dataclass(frozen=True, eq=False)
class TuneResult:
    """Outcome of :func:`tune`.

    Attributes
    ----------
    spec : RewardSpec
        The chosen spec (base spec with the tuned weights).
    params : dict
        Chosen trial parameters: ``shortage_weight``, the **multiplier** of the base spec's shortage
        weight (``spec.shortage`` holds the product, as ``spec.toml`` does; the same in ``trials``), and,
        when tuned, ``carbon_price``, the price itself.
    feasible : bool
        Whether the chosen trial met every target on the training seeds (when no trial did, the chosen one
        has the smallest :func:`~hybridinv.reward.targets.normalized_violation`).
    trials : DataFrame
        One row per trial: parameters, training KPI means, violations, feasibility.
    report : DataFrame
        Targets on held-out seeds with 95% confidence intervals.
    objective : str
        The optimized KPI (``avg_cost`` for ``"cost"``).
    paths : dict
        Files written (``spec``, ``trials``, ``pareto``, ``summary``) when ``out`` was given.
    held_out : dict
        Mean KPIs of the chosen spec on the held-out seeds (including the constraint
        violation counts ``violations``, ``budget_violations``, ``capacity_violations``).
    direction : {"minimize", "maximize"}
        How ``objective`` was optimized (``"maximize"`` for ``minimize="-kpi"``).
    """

    spec: RewardSpec
    params: dict[str, float]
    feasible: bool
    trials: pd.DataFrame
    report: pd.DataFrame
    objective: str
    paths: dict[str, Path] = field(default_factory=dict)
    held_out: dict[str, float] = field(default_factory=dict)
    direction: str = "minimize"


def tune(
    scenario: Scenario | str,
    targets: Iterable[str | KPITarget],
    minimize: str = "cost",
    policy: str = "base_stock",
    spec: RewardSpec | None = None,
    trials: int = 20,
    seeds: int | Iterable[int] = 5,
    eval_seeds: int | Iterable[int] | None = None,
    periods: int | None = None,
    backend: str = "process",
    jobs: int = 1,
    seed: int = 0,
    weight_range: tuple[float, float] = (1e-2, 1e3),
    carbon_price_range: tuple[float, float] | None = None,
    repair: str | None = "auto",
    out: str | Path | None = None,
    address: str | None = None,
) -> TuneResult:
    """Search reward weights with Optuna to optimize a KPI subject to KPI targets.

    Parameters
    ----------
    scenario : Scenario or str
        A registry name is needed for parallel evaluation (workers rebuild it).
    targets : iterable of str or KPITarget
    minimize : str
        ``"cost"`` (the scenario's cost: ``avg_cost``, or ``valued_cost`` for a scenario
        with ``cost_basis="valued"`` such as a history file or a backtest's training window),
        any KPI name, or ``"-kpi"`` to maximize.
    policy : str
        ``"base_stock"`` or a registered policy taking ``service_level`` (built once before any trial, to refuse
        one that does not).
    spec : RewardSpec or mapping, optional
        Base spec (a mapping as :meth:`RewardSpec.to_dict` gives); its carbon term (if any) is priced into
        the policy and the KPIs. Its shortage weight is the one the trials multiply (so it must be > 0).
    trials, seeds, eval_seeds : int (seeds and eval_seeds: or a list of distinct seeds)
        Optuna trials, training seeds (CRN, ``0..seeds-1`` for a count) and held-out seeds
        (a count ``k``: the ``k`` seeds after the largest training seed; default as many).
    periods : int, optional
        Shorter horizon for speed.
    backend : {"process", "ray"}
    jobs : int
        Candidates evaluated at once (worker processes or Ray CPUs).
    seed : int
        Seed of the TPE sampler, in ``[0, MAX_SEED]`` (2**32 - 1).
    weight_range : (float, float)
        Log-uniform range of the shortage weight's multiplier, ``0 < low < high``.
    carbon_price_range : (float, float), optional
        Range of the carbon price, tuned when the spec has a carbon term with
        ``held_kg > 0`` (default ``(0, 10 * max(holding_cost) / held_kg)``). Refused without one: the
        price reaches the policy only through the critical ratio's ``price * held_kg`` (it was tuned
        anyway, each trial's price changing nothing the policy does).
    repair : str or None
    out : path, optional
        Directory for ``spec.toml``, ``trials.csv``, ``pareto.png`` and ``summary.json`` (checked before the
        trials, created when they are written).
    address : str, optional
        Ray cluster to run on (``"auto"``, ``"ray://host:10001"``; ``backend="ray"`` only). Without one, the
        cluster of ``RAY_ADDRESS`` when it is set, else a local Ray instance with ``jobs`` CPUs
        (:func:`hybridinv._ray.ray_session`, as ``bench``).

    Returns
    -------
    TuneResult
    """
    return _execute(_prepare(scenario, targets, minimize, policy, spec, trials, seeds, eval_seeds, periods, backend,
                             jobs, seed, weight_range, carbon_price_range, repair, out, address))


@dataclass(frozen=True, eq=False)
class _Run:
    """A tuning run with every option checked (:func:`_prepare`), before anything is simulated."""

    targets: list[KPITarget]
    kpi: str
    direction: str
    policy: str
    spec: RewardSpec
    resolved: Scenario
    periods: int | None
    trials: int
    backend: str
    jobs: int
    seed: int
    weight_range: tuple[float, float]
    carbon_range: tuple[float, float] | None
    train: list[int]
    held_out: list[int]
    task_base: dict[str, Any]
    out: Path | None
    address: str | None


def _prepare(
    scenario: Scenario | str,
    targets: Iterable[str | KPITarget],
    minimize: str,
    policy: str,
    spec: RewardSpec | None,
    trials: int,
    seeds: int | Iterable[int],
    eval_seeds: int | Iterable[int] | None,
    periods: int | None,
    backend: str,
    jobs: int,
    seed: int,
    weight_range: tuple[float, float],
    carbon_price_range: tuple[float, float] | None,
    repair: str | None,
    out: str | Path | None,
    address: str | None,
) -> _Run:
    """Check every option of :func:`tune` (the output folder last, creating nothing) before any trial runs."""
    parsed = parse_targets(targets)
    kpi, direction = objective_name(minimize)
    if backend not in BACKENDS:
        raise PlanningError(f"backend must be one of {BACKENDS}", column="backend", value=backend)
    if address is not None and (backend != "ray" or not isinstance(address, str) or not address.strip()):
        # it would be ignored without a word, as bench refuses it
        raise PlanningError("a Ray cluster address (text), for backend 'ray' only", column="address", value=address)
    # text, booleans, fractions and NaN were TypeErrors (or a KeyError) deep in Optuna or numpy
    trials, jobs, seed = whole_number(trials, "trials", 1), whole_number(jobs, "jobs", 1), whole_number(seed, "seed")
    if seed > MAX_SEED:  # numpy's raw "Seed must be between 0 and 2**32 - 1" from the sampler
        raise PlanningError(f"must be at most {MAX_SEED} (2**32 - 1)", column="seed", value=seed)
    weight_range = weight_bracket(weight_range)  # (1, 1) was accepted: every trial tried weight 1
    if carbon_price_range is not None:
        carbon_price_range = number_pair(carbon_price_range, "carbon_price_range", 0.0, math.inf)
    if repair is not None:
        from hybridinv.repair.api import repair_backend

        repair = repair_backend(repair, "repair").value
    spec = searched_spec(spec)
    resolved = resolve_scenario(scenario, periods, fitting=True)
    check_kpis_defined([kpi], resolved, spec, "minimize")  # the objective was reported as a 'target'
    check_kpis_defined([t.kpi for t in parsed], resolved, spec, "target")
    if kpi == "avg_cost" and minimize.strip().lstrip("-") == "cost":
        kpi = resolved.cost_key
    name = scenario if isinstance(scenario, str) else resolved
    if not isinstance(scenario, str) and (jobs > 1 or backend == "ray"):
        warnings.warn("parallel tuning needs a scenario registry name; evaluating serially", stacklevel=3)
        jobs, backend = 1, "process"
    train = seed_list(seeds, column="seeds")
    # after the largest training seed, as in enforce_targets (from len(train), seeds=[1, 2, 3] were "held out"
    # as 3, 4, 5 and refused for sharing seed 3, an eval_seeds option the caller never gave)
    held_out = seed_list(len(train) if eval_seeds is None else eval_seeds, start=max(train) + 1, column="eval_seeds")
    if set(train) & set(held_out):  # the "held-out" report would score the seeds the search tuned on
        raise PlanningError("training and evaluation seeds must differ", column="eval_seeds",
                            value=sorted(set(train) & set(held_out))[0])
    held_kg = 0.0 if spec.carbon is None else spec.carbon.held_kg
    carbon_range = carbon_price_range
    if carbon_range is not None and held_kg == 0:  # the price moves the policy only through held_kg
        raise PlanningError("a carbon price is tuned only through the carbon of units held: give a base spec with "
                            "[carbon] held_kg > 0", column="carbon_price_range", value=carbon_price_range)
    if carbon_range is None and held_kg > 0:
        carbon_range = (0.0, 10.0 * float(resolved.catalog.holding_cost.max()) / held_kg)
    _check_policy(policy, resolved, spec, repair)
    folder = None if out is None else check_output_directory(out)  # before the trials, not after them
    if folder is not None:  # out=the scenario file's folder replaced the scenario (its spec.toml) with the spec
        refuse_replacing_inputs(folder, OUTPUT_FILES, scenario_inputs(scenario))
    if len(held_out) < 2:  # enforce_targets warned about one seed; tune printed "[95% CI 0, 1] met" without a word
        warnings.warn("one held-out seed has no interval: its 95% CI is the KPI's whole range and no target is met "
                      "confidently (give at least 2 eval_seeds)", PlanningWarning, stacklevel=3)
    from hybridinv.policies import registry

    # the registration goes with each task (Ray workers know the shipped policies only)
    task_base = {"scenario": name, "periods": periods, "spec": spec.to_dict(), "policy": policy,
                 "factory": registry.FACTORIES.get(policy, ""), "repair": repair, "seeds": train}
    return _Run(parsed, kpi, direction, policy, spec, resolved, periods, trials, backend, jobs, seed, weight_range,
                carbon_range, train, held_out, task_base, folder, address)


def scenario_inputs(scenario: object) -> list[Path]:
    """The files a scenario file read (:func:`~hybridinv.scenario_file.scenario_file_inputs`); none for a
    registered name or a :class:`~hybridinv.sim.Scenario`."""
    from hybridinv.scenario_file import is_scenario_file, scenario_file_inputs

    return scenario_file_inputs(scenario) if isinstance(scenario, str | Path) and is_scenario_file(scenario) else []


def _check_policy(policy: object, scenario: Scenario, spec: RewardSpec, repair: str | None) -> None:
    """Build ``policy`` once at the base spec's service levels, before any trial: an unknown policy, or one that
    takes no ``service_level``, is refused up front (``--policy base_stock --policy rq`` tuned base_stock to the
    end and wrote its folder before ``rq`` failed; on Ray the workers started first).

    Raises
    ------
    PlanningError
        Naming ``policy``.
    """
    if not isinstance(policy, str):
        raise PlanningError("must be a policy name", column="policy", value=policy)
    try:
        policy_family(policy, scenario, repair)(critical_ratio(scenario.catalog, spec))
    except PlanningError as exc:
        if exc.column != "options":
            raise
        raise PlanningError("takes no service_level option, which the tuned weights set (policies that do: "
                            "base_stock, ss, newsvendor, forecast_ss, hybrid)", column="policy", value=policy) from None


def _execute(run: _Run) -> TuneResult:
    """The trials of a checked run, its held-out report, and its files."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    native_constraints = hasattr(optuna.trial.Trial, "set_constraint")  # optuna >= 5
    sampler = optuna.samplers.TPESampler(
        seed=run.seed,
        n_startup_trials=min(5, run.trials),
        constraints_func=None if native_constraints else (lambda trial: trial.user_attrs["violations"]),
    )
    study = optuna.create_study(direction=run.direction, sampler=sampler)  # type: ignore[arg-type]
    session: Any = nullcontext()
    if run.backend == "ray":
        from hybridinv._ray import ray_session

        session = ray_session(run.jobs, run.address)  # a cluster (address, RAY_ADDRESS) or a local instance
    with session:
        rows = _search(study, run.trials, run.jobs, run.backend, run.weight_range, run.carbon_range, run.task_base,
                       run.targets, run.kpi, native_constraints)
    table = pd.DataFrame(rows)
    sign = 1.0 if run.direction == "minimize" else -1.0
    feasible = bool(table.feasible.any())
    if feasible:
        best = table[table.feasible].sort_values("objective", key=lambda s: sign * s).iloc[0]
    else:
        # the same relative shortfall as enforce_targets: raw shortfalls added money to rates (a cost 50 over its
        # ceiling outweighed a fill rate 0.5 short)
        total = table.apply(lambda row: normalized_violation(run.targets, row), axis=1)
        best = table.loc[total.idxmin()]
    chosen = {"shortage_weight": float(best.shortage_weight)}
    if run.carbon_range is not None:
        chosen["carbon_price"] = float(best.carbon_price)
    chosen_spec = _candidate_spec(run.spec, chosen)
    final = _evaluate({**run.task_base, "params": chosen, "seeds": run.held_out})
    report = target_report(run.targets, pd.DataFrame(final["per_seed"]))
    result = TuneResult(chosen_spec, chosen, feasible, table, report, run.kpi, held_out=final["means"],
                        direction=run.direction)
    if run.out is not None:
        summary = {"scenario": run.resolved.name, "policy": run.policy, "periods": run.periods, "trials": run.trials,
                   "sampler_seed": run.seed, "jobs": run.jobs, "direction": run.direction,
                   "training_seeds": run.train, "held_out_seeds": run.held_out}
        result.paths.update(_write(run.out, result, run.targets, final["means"], int(best.trial), summary))
    return result


def _search(
    study: Any,
    trials: int,
    jobs: int,
    backend: str,
    weight_range: tuple[float, float],
    carbon_range: tuple[float, float] | None,
    task_base: dict[str, Any],
    parsed: list[KPITarget],
    kpi: str,
    native_constraints: bool,
) -> list[dict[str, Any]]:
    """Ask/tell loop: propose ``jobs`` candidates at a time, evaluate them, report back."""
    rows: list[dict[str, Any]] = []
    while len(rows) < trials:
        batch = [study.ask() for _ in range(min(jobs, trials - len(rows)))]
        params = []
        for trial in batch:
            p = {"shortage_weight": trial.suggest_float("shortage_weight", *weight_range, log=True)}
            if carbon_range is not None:
                p["carbon_price"] = trial.suggest_float("carbon_price", *carbon_range)
            params.append(p)
        results = _run_batch([{**task_base, "params": p} for p in params], backend, jobs)
        for trial, p, evaluated in zip(batch, params, results, strict=True):
            means = evaluated["means"]
            violations = [float(-t.slack(means[t.kpi])) for t in parsed]
            trial.set_user_attr("violations", violations)
            if native_constraints:
                for target, violation in zip(parsed, violations, strict=True):
                    # a KPI undefined on every training seed (NaN): Optuna refuses NaN with a bare ValueError;
                    # the trial is infeasible, as normalized_violation counts it
                    trial.set_constraint(str(target), math.inf if math.isnan(violation) else violation)  # type: ignore[attr-defined]
            study.tell(trial, means[kpi])
            row = {"trial": trial.number, **p, "objective": means[kpi], **{k: means[k] for k in _kpis(parsed, kpi)}}
            row["violation_periods"] = means.get("violations", 0.0)  # periods with a broken rule, per seed
            row.update({f"violation[{t}]": v for t, v in zip(parsed, violations, strict=True)})
            row["feasible"] = all(v <= 1e-12 for v in violations)
            rows.append(row)
    return rows


def _kpis(targets: list[KPITarget], objective: str) -> list[str]:
    names = [objective, "avg_cost", "fill_rate", "carbon_kg", *[t.kpi for t in targets]]
    return list(dict.fromkeys(names))


def _write(out: Path, result: TuneResult, targets: list[KPITarget], held_out: dict[str, float],
           best_trial: int, run: dict[str, Any]) -> dict[str, Path]:
    out = output_directory(out)
    paths = {name.split(".")[0]: out / name for name in OUTPUT_FILES}
    from hybridinv.reward.plots import front_target, pareto_front, trial_points

    # the front the plot draws, machine-readable (it existed only as a picture)
    target = front_target(targets)
    x, y = trial_points(result.trials, target)
    on_front = pareto_front(x, y, x_larger_better=target.op == ">=", y_larger_better=result.direction == "maximize")
    trials = result.trials.assign(on_front=on_front)
    summary = {
        "objective": result.objective,
        "targets": [str(t) for t in targets],
        # what the run was, to audit or repeat it (the seeds, the direction of a "-fill_rate" objective, ...)
        "run": run,
        "chosen_trial": best_trial,
        "params": result.params,
        "feasible_on_training_seeds": result.feasible,
        "held_out_means": dict(held_out),  # an undefined KPI as null (it was left out)
        "held_out_targets": result.report.to_dict(orient="records"),
        "spec": result.spec.to_dict(),
    }
    # standard JSON: an unbounded interval (ci_high inf for one seed of a cost) was written as Infinity
    text = json.dumps(json_safe(summary), indent=2, default=_jsonable, allow_nan=False)
    spec = result.spec.to_toml()
    replace_files({  # one set, each whole: a full disk left a cut-off summary.json beside an earlier run's trials
        paths["spec"]: lambda path: path.write_text(spec, encoding="utf-8"),
        paths["trials"]: lambda path: write_csv(trials, path),
        paths["summary"]: lambda path: path.write_text(text, encoding="utf-8"),
        paths["pareto"]: lambda path: _plot(path, result, targets, best_trial),
    })
    return paths


def _jsonable(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else str(value)


def _plot(path: Path, result: TuneResult, targets: list[KPITarget], best_trial: int) -> None:
    from hybridinv.reward.plots import draw_front, figure, front_target, trial_points

    trials = result.trials
    target = front_target(targets)
    x, y = trial_points(trials, target)
    with figure(path, (6, 4), target, target.kpi, result.objective, f"{len(trials)} trials") as ax:
        feasible = trials.feasible.to_numpy(dtype=bool)
        groups = ((~feasible, "lightgray", "misses a target"), (feasible, "tab:blue", "meets targets"))
        for chosen, color, label in groups:
            if chosen.any():  # an empty group was still listed in the legend
                ax.scatter(x[chosen], y[chosen], c=color, label=label)
        draw_front(ax, x, y, target, y_larger_better=result.direction == "maximize", c="tab:orange",
                   label="Pareto front")
        best = trials.trial.to_numpy() == best_trial
        ax.scatter(x[best], y[best], marker="*", s=200, c="tab:red", label="chosen", zorder=3)
