"""Rolling-origin backtest: every policy plans the test periods seeing only the past.

:func:`backtest` fits everything on the training window ``history[:cutoff]`` — the
rolling forecaster (method and parameters per series), the best static (s, S) and
base-stock levels per series (exhaustive search on the training replay), the
constraints when none are given (:class:`~hybridinv.backtest.setup.ConstraintRule`)
and, optionally, the hybrid trained on that window
(:func:`hybridinv.rl.history.train_on_history`) — then replays the test periods
once for every policy (:func:`~hybridinv.backtest.setup.evaluation_scenario`). At test
period ``t`` the forecast is the one made from ``history[:t]``; orders pass the
repair layer under the shared capacity and budget; costs are recorded per SKU and
period, so policies are compared by paired bootstrap intervals over SKUs and over
periods (:class:`~hybridinv.backtest.result.BacktestResult`).
"""

from __future__ import annotations

import math
import secrets
import shutil
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hybridinv.backtest.history import DemandHistory, read_history, require_demand
from hybridinv.backtest.result import BacktestResult, PolicyRun
from hybridinv.backtest.search import StaticFit, fit_static_base_stock, fit_static_ss
from hybridinv.backtest.setup import evaluation_scenario, resolve_constraints
from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import PlanningError, PlanningWarning, near_names
from hybridinv.core.outputs import check_output_directory, replace_files
from hybridinv.demand.forecasters import Forecaster
from hybridinv.sim.scenario import Scenario

__all__ = ["DEFAULT_POLICIES", "POLICIES", "TRAINED_POLICIES", "BacktestContext", "backtest", "check_model_targets"]

#: Policies a backtest runs by default (see :data:`POLICIES`).
DEFAULT_POLICIES: tuple[str, ...] = (
    "static_ss",
    "static_base_stock",
    "hybrid_base",
    "fitted_base",
    "newsvendor",
    "dynamic_ss",
    "mpc",
    "hybrid",
    "hybrid_trained",
)


#: Policies trained on the window, each saved as ``<model_dir>/<name>`` when a ``model_dir`` is given.
TRAINED_POLICIES: tuple[str, ...] = ("hybrid_trained", "capped_trained")


@dataclass
class BacktestContext:
    """What the policy builders may use: the training window and what was fitted on it."""

    train: NDArray[np.float64]
    catalog: Catalog
    constraints: Constraints
    forecaster: Forecaster
    scenario: Scenario
    lost_sales: bool
    season: int | None
    training: Any = None
    model_dir: Path | None = None
    progress: bool = False
    fitted: dict[str, Any] = field(default_factory=dict)
    #: the constraints as the backtest was given them (``"derive"``, a dict, a Constraints): a trained hybrid
    #: resolves them on the months it fits on, while every policy is evaluated under :attr:`constraints`
    given_constraints: Any = "derive"
    #: the label of each training period (``2023-01``, ...), recorded by a trained hybrid's report
    period_labels: Sequence[object] | None = None

    def static(self, kind: str) -> StaticFit:
        """The best static ``"ss"`` or ``"base_stock"`` levels per series (fitted once, on the training window)."""
        key = f"static_{kind}"
        _check_static_window(self.train.shape[0], self.catalog)
        if key not in self.fitted:
            fit = fit_static_ss if kind == "ss" else fit_static_base_stock
            self.fitted[key] = fit(self.train, self.catalog, self.lost_sales)
        result: StaticFit = self.fitted[key]
        return result


def _check_static_window(periods: int, catalog: Catalog) -> None:
    """Refuse a training window too short for the static search's replay (more than the longest lead time + 1)."""
    needed = int(catalog.lead_time.max()) + 1
    if periods <= needed:  # was named "column 'demand'", a column the planner never wrote
        raise PlanningError(f"the static policies need more than {needed} training periods (the longest "
                            "lead time + 1)", column="cutoff", value=periods)


def _check_windows(policies: Sequence[str], periods: int, catalog: Catalog) -> None:
    """Every policy's need of training periods, checked before any policy runs (a too-short window for the
    trained hybrids or the static policies was found only at their turn, after the others had run)."""
    if {"static_ss", "static_base_stock"} & set(policies):
        _check_static_window(periods, catalog)
    if "fitted_base" in policies and periods < 3:  # its search replays a third of the window held out: none of 2
        raise PlanningError("fitted_base needs at least 3 training periods (it fits its capacity_utilization on "
                            "the last third of them)", column="cutoff", value=periods)
    if set(TRAINED_POLICIES) & set(policies):
        from hybridinv.rl.history import check_training_window

        check_training_window(periods)


def _static_ss(ctx: BacktestContext) -> Any:
    from hybridinv.policies.classical import SS

    fit = ctx.static("ss")
    return SS(fit.reorder_point, fit.order_up_to)


def _static_base_stock(ctx: BacktestContext) -> Any:
    from hybridinv.policies.classical import BaseStock

    return BaseStock(ctx.static("base_stock").order_up_to)


def _hybrid_base(ctx: BacktestContext) -> Any:
    from hybridinv.rl.adaptive import AdaptiveHybrid, zero_weights

    return AdaptiveHybrid(zero_weights(), name="hybrid_base")


def _fitted_base(ctx: BacktestContext) -> Any:
    """``hybrid_base`` with its ``capacity_utilization`` fitted on the training window as a trained hybrid fits its
    base (:func:`~hybridinv.rl.history.fit_base_utilization` on the replay of the periods its gate holds out)."""
    from hybridinv.rl.adaptive import AdaptiveHybrid, zero_weights
    from hybridinv.rl.history import HistoryTraining, fit_base_utilization, validation_split

    settings = ctx.training or HistoryTraining()
    from hybridinv.policies.forecast_ss import ForecastSS

    gate = validation_split(ctx.train, ctx.catalog, ctx.given_constraints, settings, ctx.lost_sales, ctx.season,
                            ctx.scenario.name)[4]
    options, report = fit_base_utilization(gate, None, settings.utilization_grid)
    if report is not None:
        ctx.fitted["fitted_base"] = report
    return AdaptiveHybrid(zero_weights(), base=None if options is None else ForecastSS.from_options(options),
                          name="fitted_base")


def _hybrid_validated(ctx: BacktestContext) -> Any:
    """The shipped hybrid planned with ``plan(..., validate=True)`` every month: the validation gate
    (:class:`~hybridinv.rl.gate.ValidatedHybrid`) on the months observed before each decision."""
    from hybridinv.policies.registry import make
    from hybridinv.rl.gate import ValidatedHybrid

    policy = ValidatedHybrid(make("hybrid", None))  # type: ignore[arg-type]  # the shipped AdaptiveHybrid
    ctx.fitted["hybrid_validated"] = {"periods": policy.periods, "rule": policy.rule,
                                      "kept": policy.kept}  # filled as it runs
    return policy


def _capped_base(ctx: BacktestContext) -> Any:
    from hybridinv.rl.adaptive import CappedHybrid
    from hybridinv.rl.adaptive_features import ADAPTIVE_FEATURES
    from hybridinv.rl.parameterizations import CAPPED_OUTPUTS

    return CappedHybrid(np.zeros((len(CAPPED_OUTPUTS), len(ADAPTIVE_FEATURES))), name="capped_base")


def _registered(name: str) -> Callable[[BacktestContext], Any]:
    def build(ctx: BacktestContext) -> Any:
        from hybridinv.policies.registry import make

        return make(name, None)

    return build


def _trained(label: str, parameterization: str) -> Callable[[BacktestContext], Any]:
    """The builder of a hybrid of ``parameterization`` trained on the window (``train_on_history``)."""

    def build(ctx: BacktestContext) -> Any:
        from hybridinv.rl.history import HistoryTraining, train_on_history

        settings = ctx.training or HistoryTraining()
        if settings.parameterization != parameterization:  # the other one's warm start cannot start this one
            warm = "hybrid_default" if parameterization == "forecast_ss" else None
            settings = replace(settings, parameterization=parameterization, warm_start=warm)
        out = None if ctx.model_dir is None else ctx.model_dir / label
        # the given constraints, not ctx.constraints: derived ones come from the last 12 training months, the
        # months train_on_history holds out for its gate; it derives its own from the months ES fits on
        agent, report = train_on_history(
            ctx.train, ctx.catalog, out, ctx.given_constraints, settings, ctx.lost_sales, ctx.season, ctx.progress,
            name=ctx.scenario.name, period_labels=ctx.period_labels,
        )
        ctx.fitted[label] = report
        agent.name = label
        return agent

    return build


#: Policy name -> builder from the backtest context.
POLICIES: dict[str, Callable[[BacktestContext], Any]] = {
    "static_ss": _static_ss,
    "static_base_stock": _static_base_stock,
    "hybrid_base": _hybrid_base,
    "fitted_base": _fitted_base,
    "forecast_capped_base_stock": _registered("forecast_capped_base_stock"),
    "newsvendor": _registered("newsvendor"),
    "dynamic_ss": _registered("dynamic_ss"),
    "mpc": _registered("mpc"),
    "hybrid": _registered("hybrid"),
    "hybrid_validated": _hybrid_validated,
    "hybrid_trained": _trained("hybrid_trained", "forecast_ss"),
    "capped_base": _capped_base,
    "capped_trained": _trained("capped_trained", "forecast_capped"),
}


def _run(name: str, policy: Any, scenario: Scenario, build_seconds: float) -> PolicyRun:
    from hybridinv.sim.runner import run_episode

    start = time.perf_counter()
    ledger, decision_time = run_episode(policy, scenario, 0, track=range(scenario.n_skus), per_sku_costs=True)
    kpis = ledger.summary()
    capacity = scenario.constraints.capacity
    budget = scenario.constraints.budget
    kpis["capacity_binding_periods"] = (
        float(np.sum(ledger.capacity_util >= 0.99)) if math.isfinite(capacity) else 0.0
    )
    kpis["budget_binding_periods"] = float(np.sum(ledger.spend >= 0.99 * budget)) if math.isfinite(budget) else 0.0
    served = ledger.sku_served
    return PolicyRun(
        name=name,
        sku_costs=ledger.sku_basis_costs().copy(),
        sku_served=served.copy(),
        orders=ledger.track_orders.copy(),
        kpis=kpis,
        seconds=build_seconds + time.perf_counter() - start,
        decision_time=decision_time,
    )


def _warn_unobserved(demand: NDArray[np.float64], split: int, sku: NDArray[np.object_]) -> None:
    """Name SKUs without a single observed period, or first observed after the cutoff (they were scored without a
    word: an empty wide row as a SKU of zero demand, a late SKU planned from nothing by the fitted policies)."""
    observed = ~np.isnan(demand)
    for rows, what, then in (
        (~observed.any(axis=0), "no observed period at all", "they are scored as SKUs without demand"),
        (~observed[:split].any(axis=0) & observed[split:].any(axis=0), "no observed period before the cutoff",
         "the fitted policies plan them from no history"),
    ):
        if rows.any():
            first = str(sku[rows][0])
            warnings.warn(PlanningWarning(f"{int(rows.sum())} SKU(s) have {what} (first: {first!r}): {then}"),
                          stacklevel=3)


def backtest(
    history: pd.DataFrame | DemandHistory,
    catalog: Catalog | pd.DataFrame,
    cutoff: int | str,
    constraints: Constraints | Mapping[str, Any] | str | None = "derive",
    policies: Sequence[str] = DEFAULT_POLICIES,
    *,
    horizon: int | None = None,
    season: int | str | None = "auto",
    lost_sales: bool = True,
    training: Any = None,
    models: Mapping[str, str | Path] | None = None,
    model_dir: str | Path | None = None,
    periods_per_year: int | str = "auto",
    name: str = "backtest",
    progress: bool = False,
    extra_columns: Any = "error",
) -> BacktestResult:
    """Rolling-origin backtest of policies on a demand history.

    Parameters
    ----------
    history : DataFrame or DemandHistory
        Long (``sku, period, quantity``) or wide (``sku`` + one column per period), see
        :func:`~hybridinv.backtest.history.read_history`.
    catalog : DataFrame or Catalog
        Costs, lead times, volumes (``price`` optional) of every SKU in the history.
    cutoff : int or str
        Number of training periods, or the label of the first test period.
    constraints : Constraints, dict, "derive" or None
        ``None`` is ``"derive"`` (``Constraints()`` for no limits).
        A dict may say ``"derive"`` for one limit (``{"capacity": 500.0, "budget": "derive"}``):
        that limit is derived as with ``"derive"`` and the other is given.
        Capacity and budget; ``"derive"`` (default) sizes them from the training
        window by :class:`~hybridinv.backtest.setup.ConstraintRule`.
    policies : sequence of str
        Names in :data:`POLICIES`.
    horizon : int, optional
        Test periods (default: all after the cutoff).
    season : int, None or "auto"
        Seasonal cycle of the forecaster (None: none). ``"auto"`` (default) reads it from the
        history's period labels (:meth:`DemandHistory.calendar`): 12 for months, 52 for weeks,
        4 for quarters, 7 for days; numbered periods (1, 2, 3, ...) are read as months.
    lost_sales : bool
    training : HistoryTraining, optional
        Settings of the hybrids trained on the window: each trained hybrid takes them with its
        own ``parameterization``; where that differs from the settings', the warm start is that
        parameterization's default (``hybrid_trained``: the shipped default; ``capped_trained``:
        none, its base).
    models : mapping, optional
        Extra hybrid models to evaluate, ``{row name: model directory}``.
    model_dir : path, optional
        Where the trained hybrids are saved (``<model_dir>/hybrid_trained``, ``<model_dir>/capped_trained``):
        trained into a hidden staging folder inside it and moved into place together once every policy has run,
        so an interrupted or failed backtest leaves ``model_dir`` as it was. A ``<model_dir>/<name>`` that holds
        anything but an earlier model is refused before any policy runs.
    periods_per_year : int or "auto"
        Planning periods a year (the scenario's per-year quantities); ``"auto"`` as ``season``.
    name : str
    progress : bool
        Show a tqdm bar over the policies (and the trained hybrids' training bars).
    extra_columns : "error", "ignore" or list of str
        Unknown catalog columns (see :meth:`hybridinv.Catalog.from_frame`).

    Returns
    -------
    BacktestResult

    Raises
    ------
    PlanningError
        For invalid input (unknown policy, bad cutoff, SKUs without history, ...).
    """
    started = time.perf_counter()
    if isinstance(policies, str) or not isinstance(policies, Sequence):  # a name was read letter by letter
        raise PlanningError("must be a list of policy names", column="policies", value=policies)
    if models is not None and not isinstance(models, Mapping):  # a list failed with an AttributeError
        raise PlanningError("must be a dict {name: model directory}", column="models", value=models)
    if not policies and not models:  # an IndexError when the result named its reference policy
        raise PlanningError("no policy to backtest: name at least one policy or model", column="policies")
    cat = catalog if isinstance(catalog, Catalog) else Catalog.from_frame(catalog, extra_columns=extra_columns)
    hist = read_history(history).aligned(cat)
    season, periods_per_year = hist.calendar(season, periods_per_year)
    split = hist.cutoff_index(cutoff)
    require_demand(hist.demand)
    named = [p for p in policies if not isinstance(p, str)]
    if named:  # a list inside the list was a bare "unhashable type" TypeError
        raise PlanningError("must be a list of policy names (text)", column="policies", value=named[0])
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise PlanningError(f"unknown backtest policy{near_names(unknown[0], POLICIES)}; known: {sorted(POLICIES)}",
                            column="policies", value=unknown[0])
    repeated = sorted({p for p in policies if list(policies).count(p) > 1})
    if repeated:
        raise PlanningError("a policy is listed twice", column="policies", value=repeated[0])
    _check_windows(policies, split, cat)
    # any built-in policy's name, run or not: a model named "newsvendor" in a run without the newsvendor was ranked
    # as a classical policy in the summary (BacktestResult.cheapest_classical)
    clash = sorted(set(models or {}) & set(POLICIES))
    if clash:
        raise PlanningError(f"an extra model's name is a built-in policy's ({sorted(POLICIES)}); name it otherwise",
                            column="models", value=clash[0])
    if training is not None and not _is_history_training(training):  # an AttributeError once the others had run
        raise PlanningError("must be a HistoryTraining (hybridinv.rl.history) or None", column="training",
                            value=training)
    if model_dir is not None:  # a folder that can never be written failed after the training, at the save
        check_output_directory(model_dir, "model_dir")
        check_model_targets(Path(model_dir), policies)
    y = hist.demand
    train = y[:split]
    _warn_unobserved(y, split, hist.sku)
    limits, constraint_source = resolve_constraints(constraints, train, cat)
    forecaster = Forecaster(season=season).fit(train)
    scenario = evaluation_scenario(y, split, cat, limits, forecaster, horizon, lost_sales, name, season,
                                   periods_per_year)
    # the trained hybrids are saved into a staging folder and moved into model_dir together once every policy has
    # run: an interrupted backtest saved each when its training ended, beside an earlier run's other model
    staging = None if model_dir is None else Path(model_dir) / f".backtest-{secrets.token_hex(8)}"
    ctx = BacktestContext(train, cat, limits, forecaster, scenario, lost_sales, season, training, staging, progress,
                          given_constraints=constraints, period_labels=list(hist.periods[:split]))
    builders: dict[str, Callable[[BacktestContext], Any]] = {p: POLICIES[p] for p in policies}
    caveats: dict[str, str] = {}
    for label, directory in (models or {}).items():  # loaded now: a wrong directory failed after every policy ran
        builders[label] = _model_builder(label, directory, list(hist.periods), split, caveats)
    try:
        runs = _run_all(builders, ctx, progress)
        if model_dir is not None and staging is not None:
            replace_files({}, "model_dir", folders={Path(model_dir) / label: staging / label for label in policies
                                                    if label in TRAINED_POLICIES})
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return BacktestResult(
        name=name,
        history=hist,
        cutoff=split,
        scenario=scenario,
        runs=runs,
        forecaster=forecaster,
        constraint_source=constraint_source,
        fitted={k: v for k, v in ctx.fitted.items()},
        seconds=time.perf_counter() - started,
        caveats=caveats,
    )


def _run_all(builders: Mapping[str, Callable[[BacktestContext], Any]], ctx: BacktestContext,
             progress: bool) -> dict[str, PolicyRun]:
    """Build and replay every policy in turn (a tqdm bar over them with ``progress``)."""
    from tqdm.auto import tqdm

    runs: dict[str, PolicyRun] = {}
    with tqdm(total=len(builders), desc="backtest", unit="policy", disable=not progress) as bar:
        for label, build in builders.items():
            bar.set_postfix_str(label)
            begin = time.perf_counter()
            policy = build(ctx)
            runs[label] = _run(label, policy, ctx.scenario, time.perf_counter() - begin)
            bar.update()
    return runs


def check_model_targets(model_dir: Path, policies: Sequence[str]) -> None:
    """Refuse a ``<model_dir>/<name>`` of a trained policy of ``policies`` that cannot take its model (a file, a
    folder holding anything but an earlier model): :class:`~hybridinv.rl.integrity.ModelFileError`. Called before
    any policy runs, and by ``hybridinv backtest`` for ``<out>/models`` before it reads anything."""
    from hybridinv.rl.integrity import check_model_target

    for label in policies:
        if label in TRAINED_POLICIES:
            check_model_target(model_dir / label)


def _model_builder(label: str, directory: str | Path, periods: Sequence[object], split: int,
                   caveats: dict[str, str]) -> Callable[[BacktestContext], Any]:
    """The builder of the extra model ``label``, loaded now; ``caveats[label]`` says so (with a PlanningWarning) when
    its metadata's training window ends in the test periods (:func:`_seen_test_periods`)."""
    from hybridinv.rl.hybrid import Hybrid

    policy = Hybrid.load(directory)
    policy.name = label
    caveat = _seen_test_periods(label, policy.metadata, periods, split)
    if caveat is not None:
        warnings.warn(PlanningWarning(caveat), stacklevel=3)
        caveats[label] = caveat

    def build(ctx: BacktestContext) -> Any:
        return policy

    return build


def _seen_test_periods(label: str, metadata: Mapping[str, Any], periods: Sequence[object], split: int) -> str | None:
    """Why the model ``label`` is not held out, when the training window its metadata records (a model trained on a
    history: ``validation.window``) ends at a test period of this history, else None.

    A model another backtest (or ``hybridinv train --history``) trained with a later cutoff, compared here with
    ``--model``, was reported beside the held-out policies without a word, though it had trained on the months
    it was tested on.
    """
    window = (metadata.get("validation") or {}).get("window") if isinstance(metadata, Mapping) else None
    if not isinstance(window, Mapping):
        return None
    last = (window.get("held_out") or window.get("fit") or [None])[-1]
    labels = [str(period) for period in periods]
    if last is None or str(last) not in labels or labels.index(str(last)) < split:
        return None
    return (f"{label} was trained on periods up to {last} (its metadata's training window), which include the test "
            f"periods from {labels[split]}, so its row is not held out (train it with this cutoff)")


def _is_history_training(value: object) -> bool:
    from hybridinv.rl.history import HistoryTraining

    return isinstance(value, HistoryTraining)
