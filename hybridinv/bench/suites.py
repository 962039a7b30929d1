"""Benchmark suites as data: which scenarios, which policies, how many seeds.

A :class:`ScenarioSpec` names a scenario by how to build it (a registry name or
single-SKU parameters, an optional shorter horizon, an optional held-out demand
change), so runs can be sent to worker processes or a Ray cluster as small
picklable values and the scenario is rebuilt where it runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hybridinv import scenarios
from hybridinv.bench.heldout import HELDOUT_KINDS, heldout
from hybridinv.core.errors import PlanningError, PlanningWarning, near_names, whole_number
from hybridinv.policies.registry import FACTORIES
from hybridinv.scenario_file import is_scenario_file, scenario_file_inputs
from hybridinv.sim.scenario import Scenario
from hybridinv.sim.seeds import episode_count

__all__ = [
    "BASELINES",
    "FULL",
    "QUICK",
    "SUITES",
    "ScenarioSpec",
    "Suite",
    "get_suite",
    "lost_sales_grid",
    "spec_from_name",
]

#: Classical (pure-OR) policies; the best of them per scenario is the reference of paired differences.
BASELINES: tuple[str, ...] = (
    "base_stock",
    "ss",
    "rq",
    "capped_base_stock",
    "forecast_capped_base_stock",
    "newsvendor",
    "dynamic_ss",
    "mpc",
)


@dataclass(frozen=True)
class ScenarioSpec:
    """How to build one benchmark scenario.

    Parameters
    ----------
    name : str
        A registry name (:func:`hybridinv.scenarios.names`), a scenario file
        (``*.toml``, named by its file name in reports: a file named as a registered
        scenario, ``multi_10.toml``, is refused), or ``"single_sku"``
        with ``options`` passed to :func:`hybridinv.scenarios.single_sku`.
    options : tuple of (str, value) pairs
        Keyword arguments of ``single_sku`` (ignored for other names).
    periods : int, optional
        Shorter (or longer) horizon than the scenario's own.
    heldout : str, optional
        A held-out demand change (:data:`~hybridinv.bench.heldout.HELDOUT_KINDS`):
        policies are built on the original scenario and evaluated on the changed one.
    label : str, optional
        Name in reports; derived from the other fields by default.
    """

    name: str
    options: tuple[tuple[str, Any], ...] = ()
    periods: int | None = None
    heldout: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.periods is not None:  # periods=0 meant the scenario's own horizon
            object.__setattr__(self, "periods", whole_number(self.periods, "periods", 1))
        if self.heldout is not None and self.heldout not in HELDOUT_KINDS:
            raise PlanningError(f"unknown held-out kind; known: {list(HELDOUT_KINDS)}", column="heldout",
                                value=self.heldout)
        if self.label is None and is_scenario_file(self.name):
            _refuse_registered_stem(self.name)

    @property
    def key(self) -> str:
        """Unique name of the scenario in results and reports."""
        if self.label:
            return self.label
        key = Path(self.name).stem if is_scenario_file(self.name) else self.name
        if self.options:
            key += "".join(f"_{_SHORT.get(k, k)}{_text(v)}" for k, v in self.options if k not in _HORIZON)
        if self.heldout:
            key += f"_heldout_{self.heldout}"
        return key

    def train_scenario(self) -> Scenario:
        """The scenario policies are built on (without the held-out change)."""
        single = self.name == "single_sku"
        scenario = scenarios.single_sku(**dict(self.options)) if single else scenarios.get(self.name)
        if self.periods is not None:
            scenario = scenario.replace(periods=self.periods, warmup=scenario.warmup_for(self.periods))
        base_key = ScenarioSpec(self.name, self.options, self.periods).key if self.heldout else self.key
        return scenario.replace(name=base_key)

    def test_scenario(self) -> Scenario:
        """The scenario the policies are evaluated on."""
        scenario = self.train_scenario()
        return scenario if self.heldout is None else heldout(scenario, self.heldout).replace(name=self.key)

    def exact_parameters(self) -> dict[str, float] | None:
        """Parameters of :func:`hybridinv.exact.lost_sales_optimal` when the optimum is known, else None.

        Known: single SKU, Poisson demand, lost sales, no fixed cost, no held-out change.
        """
        if self.name != "single_sku" or self.heldout is not None:
            return None
        options = dict(self.options)
        if not options.get("lost_sales", True) or options.get("fixed_cost", 0.0) or \
                options.get("demand", "poisson") != "poisson":
            return None
        return {
            "mean": float(options.get("mean", 5.0)),
            "lead_time": int(options.get("lead_time", 2)),
            "holding_cost": float(options.get("holding_cost", 1.0)),
            "shortage_cost": float(options.get("shortage_cost", 9.0)),
        }


def _refuse_registered_stem(path: str) -> None:
    """Refuse a scenario file whose name in reports (its file name) is one a registered scenario has there:
    ``clash/multi_10.toml`` was reported as ``multi_10``, indistinguishable from the registered scenario (and the
    ``ppo`` policy loaded ``models/ppo_multi_10`` for it); ``multi_10_heldout_level.toml`` read as ``multi_10``
    held out, ``single_sku_L2_p9.toml`` as the suites' single-SKU scenario."""
    stem = Path(path).stem
    base = stem
    for kind in HELDOUT_KINDS:
        base = base.removesuffix(f"_heldout_{kind}")
    registered = base if base in scenarios.names() else "single_sku" if base.startswith("single_sku_") else None
    if registered is not None:
        raise PlanningError(f"the scenario file {Path(path).name} would be reported as {stem!r}, a name the results "
                            f"give registered scenario {registered!r}; rename the file (e.g. my_{stem}.toml)",
                            column="scenario", value=str(path))


_SHORT = {"mean": "m", "lead_time": "L", "holding_cost": "h", "shortage_cost": "p", "fixed_cost": "K",
          "lost_sales": "lost", "demand": ""}
_HORIZON = ("periods", "warmup")


def _text(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value)


def lost_sales_grid(
    shortage_costs: tuple[float, ...] = (4.0, 9.0, 19.0, 39.0),
    lead_times: tuple[int, ...] = (1, 2, 3, 4),
    periods: int = 1000,
) -> tuple[ScenarioSpec, ...]:
    """The single-SKU lost-sales grid with known optima (Poisson mean 5, h = 1).

    References
    ----------
    Zipkin, P. (2008). Old and new methods for lost-sales inventory systems.
    *Operations Research* 56(5), 1256-1263 (Table 1 uses this grid).
    """
    return tuple(
        ScenarioSpec("single_sku", (("lead_time", lead), ("shortage_cost", shortage), ("periods", periods)))
        for shortage in shortage_costs
        for lead in lead_times
    )


def spec_from_name(name: str, known: Mapping[str, ScenarioSpec] | None = None) -> ScenarioSpec:
    """A spec from a name on the command line: a registry name or a scenario file (``*.toml``),
    optionally ``<name>_heldout_<kind>``.

    ``known`` maps the names of a suite's scenarios to their specs: ``<key>_heldout_<kind>`` of one of
    them is that spec, held out (``multi_10_heldout_level`` ran on ``multi_10``'s own 104 periods beside
    the suite's 52-period ``multi_10``, and ``single_sku_L2_p9_heldout_level`` was unknown).

    A scenario file is read once here (so a bad file fails before any run) and kept
    by its absolute path, so worker processes find it from any directory; its warnings are
    shown once when the suite runs (:func:`~hybridinv.bench.run_suite`), not here too.
    """
    known = known or {}
    if name in known:
        return known[name]
    for kind in HELDOUT_KINDS:
        suffix = f"_heldout_{kind}"
        if name.endswith(suffix):
            base = spec_from_name(name[: -len(suffix)], known)
            if base.heldout is not None:  # the inner kind was dropped without a word
                raise PlanningError(f"a scenario takes one held-out change, not {base.heldout!r} and {kind!r}",
                                    column="scenario", value=name)
            return replace(base, heldout=kind, label=None if base.label is None else f"{base.label}{suffix}")
    if is_scenario_file(name):
        path = str(Path(name).expanduser().resolve())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlanningWarning)
            scenarios.get(path)
        return ScenarioSpec(path)
    if name not in scenarios.names():
        # the suite's own keys (single_sku_L2_p9) and the held-out forms were missing from the list, and a misspelt
        # name (perishible, multi_10_heldout_promo) got no pointer to the one meant
        bases = [*known, *(n for n in scenarios.names() if n not in known)]
        held = (f"{base}_heldout_{kind}" for base in bases if "_heldout_" not in base for kind in HELDOUT_KINDS)
        candidates = list(dict.fromkeys([*bases, *held]))
        raise PlanningError(f"unknown scenario{near_names(name, candidates)}; known: {bases}, each also "
                            f"as <name>_heldout_<kind> with kind one of {list(HELDOUT_KINDS)}, or a scenario file "
                            "(*.toml)", column="scenario", value=name)
    return ScenarioSpec(name)


@dataclass(frozen=True)
class Suite:
    """A benchmark suite: scenarios x policies x seeds.

    Parameters
    ----------
    name : str
    scenarios : tuple of ScenarioSpec
    policies : tuple of str
        Registry names (:mod:`hybridinv.policies.registry`); unavailable ones are
        skipped and named in the report.
    seeds : int
        Seeds ``0..seeds-1``, the same for every policy (common random numbers).
    baselines : tuple of str
        Policies eligible as the reference of paired differences.
    track : int
        Number of SKUs whose trajectories are recorded (first seed only).
    """

    name: str
    scenarios: tuple[ScenarioSpec, ...]
    policies: tuple[str, ...]
    seeds: int
    baselines: tuple[str, ...] = BASELINES
    track: int = 3

    def __post_init__(self) -> None:
        # 2.5 seeds was accepted, and 99,999,999,999 seeds grew the task list by 70 MB a second
        object.__setattr__(self, "seeds", episode_count(self.seeds))
        for name in ("policies", "baselines"):  # one name is a tuple of one ('mpc' was the policies m, p and c)
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))
        object.__setattr__(self, "track", whole_number(self.track, "track", 0))
        if not self.scenarios or not self.policies:  # an empty suite ran nothing and reported nothing
            raise PlanningError("a suite needs at least one scenario and one policy",
                                column="scenarios" if not self.scenarios else "policies")
        keys = [spec.key for spec in self.scenarios]
        if len(set(keys)) != len(keys):
            raise PlanningError("scenario names in a suite must be unique", column="scenarios")
        repeated = [name for k, name in enumerate(self.policies) if name in self.policies[:k]]
        if repeated:  # the report pivots on the name: a repeat failed only after every run had finished
            raise PlanningError("policy names in a suite must be unique", column="policies", value=repeated[0])

    def input_files(self) -> list[Path]:
        """The files the suite's scenario files read: each file and the CSV files it names
        (:func:`~hybridinv.scenario_file.scenario_file_inputs`); a report must not replace them."""
        return [path for spec in self.scenarios if is_scenario_file(spec.name)
                for path in scenario_file_inputs(spec.name)]

    def with_options(
        self,
        scenarios: tuple[ScenarioSpec, ...] | None = None,
        policies: tuple[str, ...] | None = None,
        seeds: int | None = None,
    ) -> Suite:
        """A copy with some fields replaced (None keeps the suite's)."""
        return Suite(
            self.name,
            self.scenarios if scenarios is None else scenarios,
            self.policies if policies is None else policies,
            self.seeds if seeds is None else seeds,
            self.baselines,
            self.track,
        )


_ALL_POLICIES = tuple(FACTORIES)

#: Small and fast (one year of weekly periods, 4 seeds): at most about 10 minutes on 2 cores.
QUICK = Suite(
    name="quick",
    scenarios=(
        ScenarioSpec("single_sku", (("lead_time", 2), ("shortage_cost", 9.0), ("periods", 1000))),
        ScenarioSpec("multi_10", periods=52),
        ScenarioSpec("multi_50", periods=52),
        ScenarioSpec("perishable", periods=56),
        ScenarioSpec("disrupted", periods=52),
        ScenarioSpec("multi_10", periods=52, heldout="promotion"),
    ),
    policies=_ALL_POLICIES,
    seeds=4,
)

#: Everything: the registry, the lost-sales grid with known optima, and held-out demand.
FULL = Suite(
    name="full",
    scenarios=(
        *(ScenarioSpec(name) for name in scenarios.names()),
        *lost_sales_grid(),
        *(ScenarioSpec(base, heldout=kind) for base in ("multi_10", "multi_50") for kind in HELDOUT_KINDS),
        *(ScenarioSpec("single_sku", heldout=kind) for kind in HELDOUT_KINDS),
    ),
    policies=_ALL_POLICIES,
    seeds=10,
)

SUITES: dict[str, Suite] = {"quick": QUICK, "full": FULL}


def get_suite(name: str) -> Suite:
    """The suite registered as ``name`` (``"quick"`` or ``"full"``)."""
    try:
        return SUITES[name]
    except KeyError:
        raise PlanningError(f"unknown suite; known: {sorted(SUITES)}", column="suite", value=name) from None
