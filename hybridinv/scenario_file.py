"""Scenario files: a :class:`~hybridinv.sim.Scenario` described in TOML, without editing the library.

A scenario file names a catalog CSV, the shared constraints, the demand (a named
process with its parameters, or a sales history replayed by a seeded block
bootstrap), the lead times, the horizon and every other :class:`Scenario` field.
:func:`hybridinv.scenarios.get` routes any name ending in ``.toml`` here, so a file
works wherever a registered scenario name does (``hybridinv bench --scenarios``,
``tune --scenario``, ``train --scenario``, ``hybridinv.simulate(policy, "my.toml")``).
Relative paths inside the file are resolved against the file's folder. The keys are
documented in docs/scenarios.md.

Every problem is a :class:`~hybridinv.PlanningError` naming the key (as ``column``,
dotted for nested tables: ``demand.dispersion``), the value and the file: an unknown
key (with the closest known one), a value of the wrong type or range, a missing CSV,
a catalog or history column problem (naming column, SKU and value as
:meth:`Catalog.from_frame <hybridinv.Catalog.from_frame>` does).
"""

from __future__ import annotations

import math
import tomllib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybridinv.core._frame import leading_comment_rows, read_csv_file
from hybridinv.core.catalog import Catalog
from hybridinv.core.constraints import Constraints
from hybridinv.core.errors import PlanningError, PlanningWarning, near_names
from hybridinv.core.limits import MAX_QUANTITY
from hybridinv.core.state import InventoryState
from hybridinv.demand.leadtime import Disruptions, LeadTimeProcess
from hybridinv.demand.processes import CommonFactor, DemandProcess, Promotions, RegimeShifts, Seasonality
from hybridinv.sim.scenario import COST_BASES, Scenario

__all__ = ["PROCESSES", "is_scenario_file", "load_scenario", "scenario_file_inputs", "scenario_file_text"]

#: Named demand processes of ``[demand] process`` (``empirical`` is the ``history`` form).
PROCESSES: tuple[str, ...] = ("poisson", "negative_binomial", "normal")

_Check = Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_TYPES: dict[str, tuple[_Check, str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "int": (_is_int, "a whole number"),
    "number": (_is_number, "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "strings": (_is_str_list, "a list of strings"),
    "table": (lambda v: isinstance(v, dict), "a table"),
    "tables": (lambda v: isinstance(v, list) and all(isinstance(t, dict) for t in v), "a list of tables"),
    "pair": (lambda v: isinstance(v, list) and len(v) == 2 and all(_is_number(x) for x in v),
             "a list of two numbers"),
    "extra": (lambda v: v in ("error", "ignore") or _is_str_list(v), "'error', 'ignore' or a list of column names"),
}

#: Keys of every table: key -> type name of :data:`_TYPES`.
_TOP = {
    "name": "str", "description": "str", "catalog": "str", "extra_columns": "extra", "state": "str",
    "periods": "int", "warmup": "int", "lost_sales": "bool", "waste_cost": "number", "overflow_cost": "number",
    "periods_per_year": "int", "lookahead": "int", "tags": "strings", "cost_basis": "str",
    "constraints": "table", "demand": "table", "lead_times": "table",
}
_CONSTRAINTS = {"capacity": "number", "budget": "number", "supplier_capacity": "table"}
_HISTORY = {"history": "str", "freq": "str", "season": "int", "block": "int"}
_PROCESS = {
    "process": "str", "mean": "number", "dispersion": "number", "cv": "number", "trend": "number",
    "seasonality": "tables", "promotions": "table", "regime_shifts": "table", "common_factor": "table",
}
#: The file's key for a constructor argument named in an error (the others are the same name).
_FILE_KEYS = {"demand_mean": "demand.mean", "dispersion": "demand.dispersion", "cv": "demand.cv",
              "lead_time_std": "lead_times.std", "supplier_capacity": "constraints.supplier_capacity",
              "capacity": "constraints.capacity", "budget": "constraints.budget",
              "supplier": "constraints.supplier_capacity", "trend": "demand.trend"}
_SEASONALITY = {"period": "int", "amplitude": "number", "phase": "number"}
_PROMOTIONS = {"probability": "number", "lift": "number", "duration": "int"}
_REGIME = {"probability": "number", "low": "number", "high": "number"}
_FACTOR = {"sigma": "number", "rho": "number"}
_LEAD = {"std": "number", "disruptions": "table"}
_DISRUPTIONS = {"probability": "number", "mean_duration": "number", "extra_delay": "int", "fill_fraction": "pair",
                "suppliers": "table"}


#: Why a top-level key is read as a table's: the TOML rule, and the fix.
_BELOW_HEADER = ("'{key}' is a top-level key, written below the [{table}] header: TOML reads every key after a "
                 "[table] header as that table's; move it above the first [table] header")


def is_scenario_file(name: object) -> bool:
    """Whether a scenario name is a scenario file (ends in ``.toml``, any case)."""
    return isinstance(name, str | Path) and str(name).lower().endswith(".toml")


class _File:
    """One scenario file being read: its path and folder, for messages and relative paths."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.folder = path.resolve().parent

    def error(self, message: str, key: str | None = None, value: Any = None) -> PlanningError:
        return PlanningError(f"{self.path.name}: {message}", column=key, value=value)

    def table(self, data: Mapping[str, Any], schema: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
        """``data`` checked against ``schema``: no unknown key, every value of its type."""
        for key, value in data.items():
            dotted = f"{prefix}{key}"
            if key not in schema:
                hint = near_names(key, schema, prefix=prefix)
                if prefix and key in _TOP:  # written below a [table] header, which TOML reads as the table's
                    hint = f" ({_BELOW_HEADER.format(key=key, table=prefix[:-1])})"
                raise self.error(f"unknown key{hint}; known keys{' of [' + prefix[:-1] + ']' if prefix else ''}: "
                                 f"{', '.join(schema)}", dotted)
            check, label = _TYPES[schema[key]]
            if not check(value):
                raise self.error(f"must be {label}, got {type(value).__name__}", dotted, value)
        return dict(data)

    def resolve(self, value: str) -> Path:
        """The file ``value`` names (relative to the scenario file's folder)."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.folder / path

    def _cwd_hint(self, value: str) -> str:
        """A hint when a relative path names a file of the working folder: paths are read from the file's folder."""
        if Path(value).expanduser().is_absolute() or not Path(value).expanduser().is_file():
            return ""
        return (f" (relative paths are read from the folder of {self.path.name}, not the working folder, where "
                f"{value!r} is: move the CSV beside {self.path.name} or write its path from there or in full)")

    def csv(self, key: str, value: str) -> Any:
        """The CSV file ``value`` (relative to the scenario file's folder) as a frame."""
        path = self.resolve(value)
        if not path.is_file():
            raise self.error(f"file not found: {path}{self._cwd_hint(value)}", key, value)
        try:
            options = {"skiprows": leading_comment_rows(path)}  # '#' inside a SKU code is text
            # codes as text: the catalog.csv `hybridinv twin` writes kept '007', which was read back as 7
            return read_csv_file(path, options)
        except pd.errors.EmptyDataError:
            raise self.error(f"{path}: the file is empty (no header row)", key, value) from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise self.error(f"{path}: not a readable CSV file ({exc})", key, value) from None
        except PlanningError as exc:  # a value beyond the header's columns
            raise self.error(exc.message, key, value) from None

    def build(self, cls: Any, spec: Mapping[str, Any], prefix: str) -> Any:
        """``cls(**spec)``; a problem its constructor finds names this file and the key's full dotted path."""
        try:
            return cls(**spec)
        except PlanningError as exc:
            key = prefix + exc.column.rsplit(".", 1)[-1] if exc.column else prefix.rstrip(".")
            raise self.error(exc.message, key, exc.value) from None

    def named(self, exc: PlanningError) -> PlanningError:
        """``exc`` naming this file and the file's key for the constructor argument it names (``demand_mean`` is
        ``demand.mean``); unchanged when it names the file already."""
        if exc.message.startswith(self.path.name):
            return exc
        key = _FILE_KEYS.get(exc.column, exc.column) if exc.column else None
        return PlanningError(f"{self.path.name}: {exc.message}", column=key, sku=exc.sku, value=exc.value)

    def within(self, exc: PlanningError, what: str) -> PlanningError:
        """``exc`` (a catalog, state or history problem) with the file it came from in the message."""
        wrapped = PlanningError(f"{self.path.name}, {what}: {exc}")
        wrapped.column, wrapped.sku, wrapped.value = exc.column, exc.sku, exc.value
        return wrapped


def _at_least(file: _File, data: Mapping[str, Any], key: str, minimum: float, prefix: str = "") -> None:
    if key in data and not data[key] >= minimum:
        raise file.error(f"must be >= {minimum:g}", f"{prefix}{key}", data[key])


def _probability(file: _File, data: Mapping[str, Any], key: str, prefix: str) -> None:
    if key in data and not 0.0 <= data[key] <= 1.0:
        raise file.error("must be a probability in [0, 1]", f"{prefix}{key}", data[key])


def scenario_file_inputs(path: str | Path) -> list[Path]:
    """The files the scenario file ``path`` reads: itself and the CSV files it names (``catalog``, ``state``,
    ``[demand] history``), resolved as :func:`load_scenario` resolves them.

    For a command to refuse an output that would replace one of them (``bench --out`` into the folder of a
    scenario whose catalog is ``results.csv`` replaced the catalog with the results). What cannot be read (a
    missing file, invalid TOML, a key of the wrong type) is left out: :func:`load_scenario` refuses it.
    """
    file = _File(Path(path).expanduser())
    try:
        raw = tomllib.loads(file.path.read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return [file.path]
    demand = raw.get("demand")
    named = [raw.get("catalog"), raw.get("state"), demand.get("history") if isinstance(demand, dict) else None]
    return [file.path, *(file.resolve(value) for value in named if isinstance(value, str))]


def load_scenario(path: str | Path) -> Scenario:
    """The scenario described by the TOML file ``path``.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` file (keys in docs/scenarios.md).

    Returns
    -------
    Scenario
        Named by the file's ``name`` key (default: the file name without ``.toml``).

    Raises
    ------
    PlanningError
        For a missing or unreadable file, an unknown key (with the closest known
        one), a value of the wrong type or range, a missing CSV file, or invalid
        catalog, state or history data (naming column, SKU and value).

    Warns
    -----
    PlanningWarning
        When ``[demand] mean`` replaces catalog ``demand_mean``/``demand_std`` values that differ
        (both columns are those of the simulated demand).
    """
    file = _File(Path(path).expanduser())
    if not file.path.is_file():
        raise PlanningError(f"scenario file not found: {file.path}", column="scenario", value=str(path))
    try:
        raw = tomllib.loads(file.path.read_text(encoding="utf-8-sig"))  # a byte-order mark (Notepad) is skipped
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise file.error(f"not valid TOML ({exc})", "scenario", str(path)) from None
    data = file.table(raw, _TOP)
    for key in ("catalog", "demand"):
        if key not in data:
            table = next((name for name, value in data.items() if isinstance(value, dict) and key in value), None)
            where = f" at the top level ({_BELOW_HEADER.format(key=key, table=table)})" if table else ""
            raise file.error(f"the required key '{key}' is missing{where}", key)
    try:
        return _build(file, data)
    except PlanningError as exc:  # e.g. a mean of inf was "column 'demand_mean'", naming neither file nor key
        raise file.named(exc) from None


def _build(file: _File, data: Mapping[str, Any]) -> Scenario:
    """The scenario of the checked top-level table ``data``."""
    catalog = _catalog(file, data)
    constraints = _constraints(file, data.get("constraints", {}))
    lead_times, catalog = _lead_times(file, data.get("lead_times", {}), catalog)
    fields = _scalars(file, data)
    demand = data["demand"]
    state = None
    if "state" in data:
        frame = file.csv("state", data["state"])  # its errors name the file (a missing file was named twice)
        try:
            # extra_columns covers the state too: its message advised the key that the file already set
            state = InventoryState.from_frame(frame, catalog=catalog, extra_columns=data.get("extra_columns", "error"))
        except PlanningError as exc:
            raise file.within(exc, f"state {data['state']}") from None
    if "history" in demand:
        scenario = _history_scenario(file, demand, catalog, constraints, fields)
        scenario = scenario.replace(lead_times=lead_times, **({} if state is None else {"initial_state": state}))
    else:
        process = _process(file, demand, catalog)
        catalog = _with_moments(file, catalog, process, mean_given="mean" in demand)
        fields.pop("_described")
        scenario = Scenario(catalog=catalog, constraints=constraints, demand=process, lead_times=lead_times,
                            initial_state=state, **fields)
    return scenario


def _catalog(file: _File, data: Mapping[str, Any]) -> Catalog:
    frame = file.csv("catalog", data["catalog"])
    try:
        return Catalog.from_frame(frame, extra_columns=data.get("extra_columns", "error"))
    except PlanningError as exc:
        raise file.within(exc, f"catalog {data['catalog']}") from None


def _constraints(file: _File, data: Mapping[str, Any]) -> Constraints:
    table = file.table(data, _CONSTRAINTS, "constraints.")
    suppliers = table.get("supplier_capacity", {})
    for supplier, value in suppliers.items():
        if not _is_number(value):
            raise file.error("must be a number", f"constraints.supplier_capacity.{supplier}", value)
    for key in ("capacity", "budget"):
        if key in table and not table[key] > 0:
            raise file.error("must be > 0 (inf: no limit)", f"constraints.{key}", table[key])
    return Constraints(capacity=float(table.get("capacity", math.inf)), budget=float(table.get("budget", math.inf)),
                       supplier_capacity={str(k): float(v) for k, v in suppliers.items()})


def _scalars(file: _File, data: Mapping[str, Any]) -> dict[str, Any]:
    """The plain :class:`Scenario` fields of the file (defaults where absent)."""
    for key in ("periods", "periods_per_year"):
        _at_least(file, data, key, 1)
    for key in ("warmup", "lookahead", "waste_cost", "overflow_cost"):
        _at_least(file, data, key, 0)
    periods = int(data.get("periods", 52))
    warmup = int(data.get("warmup", 0))
    if warmup >= periods:
        raise file.error(f"must be smaller than periods ({periods})", "warmup", warmup)
    if "name" in data and not data["name"].strip():  # an empty scenario name in the results and reports
        raise file.error("must not be empty (leave it out to name the scenario by the file name)", "name",
                         data["name"])
    basis = data.get("cost_basis", "valued" if "history" in data.get("demand", {}) else "purchases")
    if basis not in COST_BASES:
        raise file.error(f"must be one of {sorted(COST_BASES)}", "cost_basis", basis)
    return {
        "name": data.get("name", file.path.stem),
        "periods": periods,
        "warmup": warmup,
        "lost_sales": data.get("lost_sales", True),
        "waste_cost": float(data.get("waste_cost", 0.0)),
        "overflow_cost": float(data.get("overflow_cost", 5.0)),
        "periods_per_year": int(data.get("periods_per_year", 52)),
        "lookahead": int(data.get("lookahead", 16)),
        "description": data.get("description", f"scenario file {file.path.name}"),
        "_described": "description" in data,
        "tags": (*data.get("tags", ()), "file"),
        "cost_basis": basis,
    }


def _lead_times(file: _File, data: Mapping[str, Any], catalog: Catalog) -> tuple[LeadTimeProcess, Catalog]:
    table = file.table(data, _LEAD, "lead_times.")
    _at_least(file, table, "std", 0, "lead_times.")
    if "std" in table:  # the catalog carries the std too: policies read it for safety stock
        catalog = replace(catalog, lead_time_std=np.full(catalog.n_skus, float(table["std"])))
    disruptions = _disruptions(file, table["disruptions"]) if "disruptions" in table else None
    try:
        process = LeadTimeProcess.from_catalog(catalog.lead_time, catalog.lead_time_std, catalog.supplier, disruptions)
    except PlanningError as exc:
        if exc.column == "disruptions":  # [lead_times.disruptions.suppliers] names a supplier no SKU has
            raise file.error(exc.message, f"lead_times.disruptions.suppliers.{exc.value}", exc.value) from None
        raise file.within(exc, "catalog") from None  # the catalog's supplier column
    return process, catalog


def _disruptions(file: _File, data: Mapping[str, Any]) -> Disruptions | dict[str, Disruptions]:
    """``[lead_times.disruptions]``: one model for every supplier, or with ``suppliers`` one per supplier named
    (``[lead_times.disruptions.suppliers."ACME"]``; the keys beside ``suppliers`` are defaults each supplier's
    table takes unless it gives its own, and the suppliers not named get none)."""
    prefix = "lead_times.disruptions."
    spec = file.table(data, _DISRUPTIONS, prefix)
    suppliers = spec.pop("suppliers", None)
    if suppliers is None:
        return _disruption(file, spec, prefix)
    per_supplier: dict[str, Disruptions] = {}
    for name, own in suppliers.items():
        where = f"{prefix}suppliers.{name}."
        if not isinstance(own, dict):  # suppliers = { ACME = 0.3 }
            raise file.error("must be a table of the keys of [lead_times.disruptions] (probability, "
                             "mean_duration, extra_delay, fill_fraction)", where[:-1], own)
        schema = {key: kind for key, kind in _DISRUPTIONS.items() if key != "suppliers"}
        per_supplier[name] = _disruption(file, {**spec, **file.table(own, schema, where)}, where)
    return per_supplier


def _disruption(file: _File, spec: dict[str, Any], prefix: str) -> Disruptions:
    """One :class:`Disruptions` from its checked keys (errors named ``prefix`` + key)."""
    _probability(file, spec, "probability", prefix)
    _at_least(file, spec, "mean_duration", 1, prefix)
    _at_least(file, spec, "extra_delay", 0, prefix)
    if "fill_fraction" in spec:
        low, high = spec["fill_fraction"]
        if not 0.0 <= low <= high <= 1.0:
            raise file.error("must be [low, high] with 0 <= low <= high <= 1", f"{prefix}fill_fraction",
                             spec["fill_fraction"])
        spec = {**spec, "fill_fraction": (float(low), float(high))}
    return file.build(Disruptions, spec, prefix)


def _process(file: _File, data: Mapping[str, Any], catalog: Catalog) -> DemandProcess:
    if "process" not in data:
        raise file.error("needs 'process' (a named demand process: " + ", ".join(PROCESSES)
                         + ") or 'history' (a sales history CSV)", "demand")
    table = file.table(data, _PROCESS, "demand.")
    name = table["process"]
    if name not in PROCESSES:
        raise file.error(f"unknown process{near_names(name, PROCESSES, cutoff=0.5)}; known: {', '.join(PROCESSES)}",
                         "demand.process", name)
    for key in ("mean", "cv"):
        _at_least(file, table, key, 0, "demand.")
    if "dispersion" in table and not table["dispersion"] > 0:
        raise file.error("must be > 0", "demand.dispersion", table["dispersion"])
    if "mean" in table:
        mean = np.full(catalog.n_skus, float(table["mean"]))
    else:
        mean = catalog.demand_mean
        missing = np.flatnonzero(np.isnan(mean))
        if missing.size:
            raise PlanningError(
                f"{file.path.name}: no demand mean; give the catalog a demand_mean column or [demand] mean",
                column="demand_mean", sku=str(catalog.sku[missing[0]]),
            )
    seasons = []
    for k, season in enumerate(table.get("seasonality", [])):
        prefix = f"demand.seasonality[{k}]."
        spec = file.table(season, _SEASONALITY, prefix)
        if "period" not in spec:
            raise file.error("the required key 'period' is missing", f"{prefix}period")
        _at_least(file, spec, "period", 1, prefix)
        seasons.append(file.build(Seasonality, spec, prefix))
    parts: dict[str, Any] = {}
    for key, cls, schema in (("promotions", Promotions, _PROMOTIONS), ("regime_shifts", RegimeShifts, _REGIME),
                             ("common_factor", CommonFactor, _FACTOR)):
        if key in table:
            prefix = f"demand.{key}."
            spec = file.table(table[key], schema, prefix)
            _probability(file, spec, "probability", prefix)
            _probability(file, spec, "rho", prefix)
            for bound in ("lift", "low", "high", "sigma"):
                _at_least(file, spec, bound, 0, prefix)
            _at_least(file, spec, "duration", 1, prefix)
            parts[key] = file.build(cls, spec, prefix)
    options = {key: float(table[key]) for key in ("dispersion", "cv", "trend") if key in table}
    return DemandProcess(mean=mean, distribution=name, seasonality=tuple(seasons), **options, **parts)  # type: ignore[arg-type]


def _with_moments(file: _File, catalog: Catalog, process: DemandProcess, mean_given: bool) -> Catalog:
    """The catalog with ``demand_mean``/``demand_std`` of the demand the scenario simulates.

    Without ``[demand] mean`` the process runs at the catalog's ``demand_mean`` and only empty
    cells are filled (``demand_std`` from the process at that mean). With it, both columns are
    the process's for every SKU: the CSV's values describe another demand (they used to stay
    beside a ``demand_std`` computed at the new mean), and a PlanningWarning names what was replaced.
    """
    with np.errstate(over="ignore"):  # refused below
        std = process.base_std(process.mean)
    too_wide = np.flatnonzero(~(std <= MAX_QUANTITY))
    if too_wide.size:  # was "column 'demand_std'", a key the file does not have
        first = int(too_wide[0])
        key, value = {"normal": ("cv", process.cv), "negative_binomial": ("dispersion", process.dispersion)}.get(
            str(process.distribution), ("mean", process.mean))
        raise file.error(
            f"gives sku {str(catalog.sku[first])!r} (mean {float(process.mean[first]):g}) a demand standard "
            f"deviation of {float(std[first]):g}, more than {MAX_QUANTITY:g} (MAX_QUANTITY)",
            f"demand.{key}", float(np.asarray(value)[first]))
    if not mean_given:
        mean = np.where(np.isnan(catalog.demand_mean), process.mean, catalog.demand_mean)
        return replace(catalog, demand_mean=mean, demand_std=np.where(np.isnan(catalog.demand_std), std,
                                                                      catalog.demand_std))
    for column, given, used in (("demand_mean", catalog.demand_mean, process.mean),
                                ("demand_std", catalog.demand_std, std)):
        differs = np.flatnonzero(~np.isnan(given) & ~np.isclose(given, used, rtol=1e-12, atol=0.0))
        if differs.size:
            first = differs[0]
            warnings.warn(PlanningWarning(
                f"{file.path.name}: [demand] mean {float(process.mean[first]):g} replaces the catalog's {column} "
                f"for {differs.size} SKU(s) (sku {str(catalog.sku[first])!r}: {float(given[first]):g} -> "
                f"{float(used[first]):g}); demand_mean and demand_std are those of the simulated demand"),
                stacklevel=3)
    return replace(catalog, demand_mean=process.mean.copy(), demand_std=std)


def _history_scenario(
    file: _File, data: Mapping[str, Any], catalog: Catalog, constraints: Constraints, fields: dict[str, Any]
) -> Scenario:
    """A seeded seasonal block bootstrap of the history with rolling forecasts (as a backtest trains on)."""
    from hybridinv.backtest.history import read_history
    from hybridinv.backtest.setup import training_scenario
    from hybridinv.demand.forecasters import Forecaster

    if "process" in data:
        raise file.error("give either 'history' or 'process', not both", "demand.process", data["process"])
    table = file.table(data, _HISTORY, "demand.")
    _at_least(file, table, "block", 1, "demand.")
    _at_least(file, table, "season", 0, "demand.")
    frame = file.csv("demand.history", table["history"])
    try:
        history = read_history(frame, freq=table.get("freq")).aligned(catalog)
    except PlanningError as exc:
        raise file.within(exc, f"history {table['history']}") from None
    train = history.demand
    if train.shape[0] < 4:
        raise file.error(f"the history needs at least 4 periods, it has {train.shape[0]}", "demand.history",
                         table["history"])
    per_year = fields["periods_per_year"]
    season = table.get("season", per_year if train.shape[0] >= 2 * per_year else 0) or None
    forecaster = Forecaster(season=season).fit(train)
    scenario = training_scenario(
        train, catalog, constraints, forecaster, fields["periods"], fields["lost_sales"], name=fields["name"],
        block=int(table.get("block", 6)), season=season, periods_per_year=per_year,
    )
    description = fields["description"]
    if not fields["_described"]:
        description = f"{description}: seeded block bootstrap of {train.shape[0]} periods of {table['history']}"
    return scenario.replace(
        warmup=fields["warmup"], waste_cost=fields["waste_cost"], overflow_cost=fields["overflow_cost"],
        lookahead=fields["lookahead"], description=description, tags=(*fields["tags"], "bootstrap"),
        cost_basis=fields["cost_basis"],
    )


def scenario_file_text(data: Mapping[str, Any], comment: str = "") -> str:
    """TOML text of a scenario file (``data`` as :func:`load_scenario` reads it), after ``# comment`` lines."""
    import tomli_w

    header = "".join(f"# {line}\n".replace("# \n", "#\n") for line in comment.splitlines())
    return header + tomli_w.dumps(dict(data))
