"""A scenario: catalog, constraints, demand and lead-time processes, horizon, initial state."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import PlanningError, flag, near_names, number_in, whole_number
from hybridinv.core.errors import horizon as checked_horizon
from hybridinv.core.errors import periods_per_year as periods_per_year_value
from hybridinv.core.limits import MAX_PERIODS, MAX_QUANTITY
from hybridinv.core.state import InventoryState
from hybridinv.demand.leadtime import LeadTimePath, LeadTimeProcess
from hybridinv.demand.processes import DemandPath, DemandProcess

__all__ = ["Scenario", "ScenarioPath"]


def checked_cost_basis(value: object, column: str = "cost_basis") -> str:
    """``value`` when it is a key of :data:`COST_BASES` (a scenario's ``cost_basis``, the clairvoyant bound's
    ``basis``), else a :class:`PlanningError` naming ``column``."""
    if not isinstance(value, str) or value not in COST_BASES:
        raise PlanningError(f"must be one of {sorted(COST_BASES)}", column=column, value=value)
    return value


@dataclass(frozen=True)
class ScenarioPath:
    """All random inputs of one episode: demand and lead times (common random numbers)."""

    seed: int
    demand: DemandPath
    lead_times: LeadTimePath


#: Scenario.cost_basis -> the Ledger.summary key that is an episode's cost.
COST_BASES = {"purchases": "avg_cost", "valued": "valued_cost"}


def _check_planned_lead_times(catalog: Catalog, process: LeadTimeProcess) -> None:
    """Refuse a lead-time process whose planned lead times are not the catalog's.

    Policies, forecasts and capacity checks plan with ``catalog.lead_time`` while the simulator
    delivers with the process: until 2026-12-06 a process with ``L = 4`` under a catalog with ``L = 1``
    was accepted and a base-stock policy planned for 1 period of cover what arrived after 4 (cost 6.1
    -> 106.6 a period). The planned lead time ``[L]`` of the process is compared, not a realized draw.
    """
    planned = np.asarray(process.lead_time)
    differ = planned != np.asarray(catalog.lead_time)
    if differ.any():
        i = int(np.flatnonzero(differ)[0])
        raise PlanningError(
            f"the lead-time process plans {int(planned[i])} periods, the catalog {int(catalog.lead_time[i])}: "
            "policies plan with the catalog's lead time while the simulator delivers with the process's, so "
            "they must agree (build it with LeadTimeProcess.from_catalog, or pass lead_times=None to derive it "
            "from the catalog); to simulate deliveries that differ from the plan, give the process a std "
            "(random lead times around the planned one) or Disruptions (late, partial deliveries)",
            column="lead_time", sku=catalog.sku[i], value=int(planned[i]))


def _check_field_types(scenario: Scenario) -> None:
    """Refuse a field of ``scenario`` that is not of its type, naming the field (and how to build one from a frame).

    ``fit_on`` is checked against :data:`_SCENARIO_TYPE`, the class itself, not the module's global name
    ``Scenario``, which a caller may have replaced (a test wraps it to build scenarios on another cost basis).

    Until 2026-12-07 a DataFrame catalog, a list of means for ``demand``, a dict or frame for ``initial_state``,
    a list for ``lead_times`` or a scenario name for ``fit_on`` failed with a bare ``AttributeError`` ("'list'
    object has no attribute 'n_skus'"), or later; ``name=5`` and ``tags="replay"`` were kept (``"replay" in
    tags`` then matched a substring).
    """
    kinds: tuple[tuple[str, type, bool, str], ...] = (
        ("catalog", Catalog, False, "; for a table use Catalog.from_frame(df)"),
        ("demand", DemandProcess, False, "; e.g. DemandProcess(mean=np.array([...])), one mean per SKU"),
        ("lead_times", LeadTimeProcess, True, "; None derives it from the catalog"),
        ("initial_state", InventoryState, True, "; for a table use InventoryState.from_frame(df, catalog)"),
        ("fit_on", _SCENARIO_TYPE, True, "; for a registered name use hybridinv.scenarios.get(name)"),
    )
    for column, kind, optional, hint in kinds:
        value = getattr(scenario, column)
        if not (isinstance(value, kind) or (optional and value is None)):
            shown = value if isinstance(value, str) else type(value).__name__
            article = "an" if kind.__name__[0] in "AEIOU" else "a"
            raise PlanningError(f"must be {article} {kind.__name__}{' or None' if optional else ''}{hint}",
                                column=column, value=shown)
    for column in ("name", "description"):
        if not isinstance(getattr(scenario, column), str):
            raise PlanningError("must be a string", column=column, value=getattr(scenario, column))
    tags = scenario.tags
    if isinstance(tags, str) or not isinstance(tags, tuple | list) or not all(isinstance(t, str) for t in tags):
        raise PlanningError("must be a tuple of strings, e.g. ('replay',)", column="tags", value=tags)
    object.__setattr__(scenario, "tags", tuple(tags))


@dataclass(frozen=True, eq=False)
class Scenario:
    """Everything needed to simulate one replenishment problem.

    Parameters
    ----------
    name : str
        Registry name.
    catalog : Catalog
    constraints : Constraints
        Or a dict of its fields (``{"capacity": 500.0}``) or None (no limits), read by
        :meth:`Constraints.coerce <hybridinv.Constraints.coerce>`.
    demand : DemandProcess
        Must have one SKU per catalog row.
    lead_times : LeadTimeProcess, optional
        Defaults to the catalog's deterministic lead times. A given process must plan the
        catalog's lead times (its ``lead_time``, the planned ``[L]``, equal to
        ``catalog.lead_time``; a ``PlanningError`` naming ``lead_time``, the SKU and the process's
        value otherwise); its std and disruptions make deliveries differ from the plan.
    periods : int
        Default horizon of an episode.
    initial_state : InventoryState, optional
        Defaults to on-hand = expected demand over lead time + 1 periods.
    lost_sales : bool
        Lost sales (True) or backorders (False).
    warmup : int
        Periods at the start excluded from the KPIs (a run of another length: :meth:`warmup_for`).
    waste_cost : float
        Cost per expired unit on top of its purchase cost (disposal).
    overflow_cost : float
        Cost per unit rejected at receipt because the warehouse is full.
    periods_per_year : int
        For annualized KPIs (inventory turns).
    lookahead : int
        Extra periods of demand drawn past the horizon so forecasts exist at its end.
    description : str
    tags : tuple of str
    cost_basis : {"purchases", "valued"}
        What an episode's cost is for those who rank policies on this scenario (trainers,
        validation gates, backtests: :attr:`cost_key`). ``"purchases"`` (default) is
        ``avg_cost``, every unit charged when bought; ``"valued"`` is ``valued_cost``, the
        stock left at the end of the window valued at unit cost
        (:meth:`hybridinv.sim.Ledger.summary`), for short windows of history where the
        stock a policy ends with would otherwise count as spent.
    fit_on : Scenario, optional
        What tuners and trainers simulate instead of this scenario. A replay of
        held-out periods (tag ``"replay"``) carries a bootstrap of its training
        window here, so nothing fitted to it sees the periods it is evaluated on
        (:meth:`for_fitting`).
    """

    name: str
    catalog: Catalog
    constraints: Constraints
    demand: DemandProcess
    lead_times: LeadTimeProcess | None = None
    periods: int = 200
    initial_state: InventoryState | None = None
    lost_sales: bool = True
    warmup: int = 0
    waste_cost: float = 0.0
    overflow_cost: float = 5.0
    periods_per_year: int = 52
    lookahead: int = 16
    description: str = ""
    tags: tuple[str, ...] = field(default=())
    fit_on: Scenario | None = field(default=None, repr=False)
    cost_basis: str = "purchases"
    #: whether lead_times / initial_state were derived from the catalog (re-derived by :meth:`replace`)
    _derived: tuple[bool, bool] = field(default=(False, False), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_field_types(self)
        n = self.catalog.n_skus
        # a dict was kept as given and failed at the first simulated period ("'dict' object has no attribute
        # 'supplier_capacity'"), a capacity of -1 in it unchecked until then
        object.__setattr__(self, "constraints", Constraints.coerce(self.constraints))
        if self.constraints.supplier_capacity:  # a supplier without SKUs failed only at the first simulated period
            self.constraints.supplier_rows(self.catalog)
        if self.demand.n_skus != n:
            raise PlanningError(f"demand process has {self.demand.n_skus} SKUs, catalog has {n}", column="demand")
        derived_lead = self.lead_times is None
        if self.lead_times is None:
            lt = LeadTimeProcess.from_catalog(self.catalog.lead_time, self.catalog.lead_time_std, self.catalog.supplier)
            object.__setattr__(self, "lead_times", lt)
        elif self.lead_times.lead_time.size != n:
            raise PlanningError("lead-time process does not match the catalog", column="lead_time")
        else:
            _check_planned_lead_times(self.catalog, self.lead_times)
        checked_cost_basis(self.cost_basis)
        # whole numbers and finite costs: periods=2.5, a NaN overflow cost or lost_sales="no" ran silently
        # at most MAX_PERIODS (arrays are allocated per period: 10**9 was a MemoryError at the first reset)
        object.__setattr__(self, "periods", checked_horizon(whole_number(self.periods, "periods", 1), 1))
        object.__setattr__(self, "warmup", whole_number(self.warmup, "warmup", 0))
        if self.warmup >= self.periods:
            raise PlanningError(f"need 0 <= warmup < periods (periods is {self.periods})", column="warmup",
                                value=self.warmup)
        # 10**13 was accepted, and annualized KPIs (inventory_turns ~ 6e12) with it
        object.__setattr__(self, "periods_per_year", periods_per_year_value(self.periods_per_year))
        lookahead = whole_number(self.lookahead, "lookahead", 0)
        if lookahead > MAX_PERIODS:  # 10**9: a MemoryError at the first draw (7.45 GiB)
            raise PlanningError(f"must be at most MAX_PERIODS = {MAX_PERIODS:,}", column="lookahead", value=lookahead)
        object.__setattr__(self, "lookahead", lookahead)
        for name in ("waste_cost", "overflow_cost"):
            object.__setattr__(self, name, number_in(getattr(self, name), name, 0.0, math.inf, open_high=True))
        object.__setattr__(self, "lost_sales", flag(self.lost_sales, "lost_sales"))
        derived_state = self.initial_state is None
        if self.initial_state is None:
            start = np.rint(self.demand.mean * (self.catalog.lead_time + 1))
            if (start > MAX_QUANTITY).any():  # was refused as the 'on_hand' of a state the user never gave
                i = int(np.flatnonzero(start > MAX_QUANTITY)[0])
                raise PlanningError(
                    f"the default initial stock, demand mean x (lead time + 1) = {start[i]:.6g} units, is above "
                    f"{MAX_QUANTITY:.0e} units (hybridinv.core.limits.MAX_QUANTITY): count in larger units "
                    "(cases, tonnes) or give an initial_state", column="demand_mean", sku=self.catalog.sku[i],
                    value=float(np.asarray(self.demand.mean)[i]))
            state = InventoryState.empty(self.catalog, start)
        else:
            state = self.initial_state.aligned(self.catalog)
        object.__setattr__(self, "initial_state", state)
        owed = np.asarray(state.backorders, dtype=np.float64)
        if self.lost_sales and bool((owed > 0).any()):
            i = int(np.flatnonzero(owed > 0)[0])
            raise PlanningError("a lost-sales scenario cannot start with backorders (they would never be served, "
                                "yet lower the inventory position); set them to 0 or use lost_sales=False",
                                column="backorders", sku=self.catalog.sku[i], value=float(owed[i]))
        object.__setattr__(self, "_derived", (derived_lead, derived_state))

    @property
    def n_skus(self) -> int:
        return self.catalog.n_skus

    @property
    def cost_key(self) -> str:
        """The :meth:`~hybridinv.sim.Ledger.summary` key of an episode's cost (:attr:`cost_basis`)."""
        return COST_BASES[self.cost_basis]

    def warmup_for(self, periods: int) -> int:
        """The warm-up of a run of ``periods`` periods: :attr:`warmup`, but at most a quarter of a run shorter than
        the scenario.

        One rule for every run (the simulator's ledger, ``simulate``, ``evaluate_policy`` and ``tune``, the
        benchmark suites, training): until 2026-12-06 the ledger kept the warm-up up to ``periods - 1`` while
        tuning and the suites cut it to ``periods // 4``, so a fill-rate target tuned on 12 periods of
        ``multi_10`` was judged on 9 periods and ``simulate`` reported 8 for the same run.
        """
        return self.warmup if periods >= self.periods else min(self.warmup, periods // 4)

    def for_fitting(self) -> Scenario:
        """The scenario to tune or train on: :attr:`fit_on` when set, else this one.

        Raises
        ------
        PlanningError
            For a replay of held-out periods (tag ``"replay"``) without a training
            scenario: fitting to it would fit the periods it is evaluated on.
        """
        if self.fit_on is not None:
            return self.fit_on.for_fitting()
        if "replay" in self.tags:
            raise PlanningError(
                "this scenario replays held-out test periods; tune and train on its training window "
                "(a scenario with fit_on, e.g. from hybridinv.backtest)",
                column="scenario",
                value=self.name,
            )
        return self

    def simulated_periods(self, periods: int | None = None) -> int:
        """The periods a run of ``periods`` (None: the scenario's) simulates.

        Raises
        ------
        PlanningError
            Naming ``periods`` when it is not a whole number >= 1, or when the demand replays a record
            (``recorded_periods``, e.g. :class:`~hybridinv.demand.replay.ForecastReplay`) shorter than
            it: the periods past the record had no demand, so a longer run reported the cost of
            holding stock nobody asked for.
        """
        simulated = checked_horizon(periods, self.periods)
        recorded = getattr(self.demand, "recorded_periods", None)
        if recorded is not None and simulated > recorded:
            raise PlanningError(f"this scenario replays {recorded} recorded periods; it cannot be simulated for "
                                f"{simulated} (run at most {recorded})", column="periods", value=simulated)
        return simulated

    def sample(self, seed: int, periods: int | None = None) -> ScenarioPath:
        """Draw the demand and lead-time path for ``seed`` (same seed, same path).

        Raises
        ------
        PlanningError
            Naming ``periods`` as :meth:`simulated_periods` does.
        """
        horizon = self.simulated_periods(periods) + self.lookahead
        seed = whole_number(seed, "seed")  # "1" or 1.5 were a TypeError from numpy, -1 a ValueError, True seed 1
        demand_rng, lead_rng = np.random.default_rng(seed).spawn(2)
        assert self.lead_times is not None
        return ScenarioPath(
            seed=int(seed),
            demand=self.demand.sample(demand_rng, horizon),
            lead_times=self.lead_times.sample(lead_rng, horizon),
        )

    def replace(self, **changes: Any) -> Scenario:
        """A modified copy (validated again).

        The lead-time process and the initial state that were derived from the catalog (not
        given) are derived again from a new ``catalog``, so a copy with other lead times is
        also delivered with them (until 2026-12-04 it kept the old process: policies planned
        with the new lead times while the simulator delivered with the old).

        Raises
        ------
        PlanningError
            For a name that is not a field (``n_skus``, a misspelt ``period``), naming it and the fields closest to
            it (until 2026-12-07 Python's own "unexpected keyword argument" TypeError), or an invalid value.
        """
        known = [f.name for f in fields(self) if f.init]
        unknown = [name for name in changes if name not in known]
        if unknown:
            name = unknown[0]
            source = {"n_skus": "catalog", "cost_key": "cost_basis"}.get(name, "fields")
            note = f" (a read-only property: it follows from the {source})" \
                if isinstance(getattr(type(self), name, None), property) else ""
            raise PlanningError(f"not a field of Scenario{note}{near_names(name, known)}; fields: "
                                f"{', '.join(known)}", column=name)
        names = ("lead_times", "initial_state")
        if "catalog" in changes:
            for name, derived in zip(names, self._derived, strict=True):
                if derived:
                    changes.setdefault(name, None)
        copy = replace(self, **changes)
        # a field carried over unchanged keeps its origin (dataclasses.replace passes it on as if given)
        kept = tuple(new if name in changes else old
                     for name, old, new in zip(names, self._derived, copy._derived, strict=True))
        object.__setattr__(copy, "_derived", kept)
        return copy

    def summary(self) -> dict[str, Any]:
        """Short description for reports and model metadata."""
        return {
            "name": self.name,
            "n_skus": self.n_skus,
            "periods": self.periods,
            "lost_sales": self.lost_sales,
            "constraints": self.constraints.to_dict(),
            "perishable": bool(self.catalog.perishable.any()),
            "stochastic_lead_times": not self.lead_times.deterministic,  # type: ignore[union-attr]
            "description": self.description,
        }


#: :class:`Scenario` under a name no caller replaces (:func:`_check_field_types`).
_SCENARIO_TYPE: type = Scenario
