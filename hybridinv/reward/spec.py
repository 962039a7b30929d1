"""RewardSpec: the reward as a weighted sum of cost terms, carbon, profit and service penalties.

The reward of a period is ``-cost / scale`` with

.. math::

    cost = w_h H + w_p P + w_K K + w_c C + w_w W + w_o O
         + \\pi_{CO2} (e_s \\cdot shipped + e_h \\cdot held)
         + \\text{service penalty} - w_r \\cdot revenue

where ``H, P, K, C, W, O`` are the simulator's holding, shortage, fixed
ordering, unit ordering (purchase), waste and overflow costs of the period.
With all weights 1 and no optional term, ``cost`` is the simulator's period
cost (:meth:`hybridinv.sim.Ledger.period_cost`).
"""

from __future__ import annotations

import json
import math
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.core.errors import (
    PlanningError,
    PlanningWarning,
    near_names,
    number_array,
    scalar_or_array,
    whole_number,
)
from hybridinv.core.limits import MAX_WEIGHT
from hybridinv.reward.outcome import PeriodOutcome, PeriodTerms, check_revenue, ledger_terms

if TYPE_CHECKING:
    from hybridinv.sim.ledger import Ledger

__all__ = ["WEIGHTS", "CarbonTerm", "ProfitTerm", "RewardSpec", "ServicePenalty", "as_spec"]

#: Cost weights of a RewardSpec, in the order of the cost terms.
WEIGHTS: tuple[str, ...] = ("holding", "shortage", "fixed_ordering", "unit_ordering", "waste", "overflow")
SPEC_VERSION = 1


def _number(section: str, name: str, value: Any, minimum: float = 0.0, maximum: float = MAX_WEIGHT) -> float:
    where = f"{section}.{name}" if section else name
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise PlanningError("must be a number", column=where, value=value)
    try:
        number = float(value)
    except OverflowError:  # a whole number of 400 digits: an OverflowError traceback from train and tune
        digits = int(abs(int(value)).bit_length() * math.log10(2)) + 1  # no str(): over 4,300 digits it raises
        raise PlanningError(f"must be in [{minimum:g}, {maximum:g}]: a whole number of about {digits} digits",
                            column=where, value=f"{'-' if value < 0 else ''}~1e{digits - 1}") from None
    if math.isnan(number) or math.isinf(number):
        raise PlanningError("must be finite (not NaN or inf)", column=where, value=value)
    if not minimum <= number <= maximum:
        limit = " (MAX_WEIGHT)" if maximum == MAX_WEIGHT else ""
        raise PlanningError(f"must be in [{minimum:g}, {maximum:g}]{limit}", column=where, value=value)
    return number


def _validate_fields(obj: Any, section: str, bounds: Mapping[str, tuple[float, float]] | None = None) -> None:
    for f in fields(obj):
        low, high = (bounds or {}).get(f.name, (0.0, MAX_WEIGHT))
        object.__setattr__(obj, f.name, _number(section, f.name, getattr(obj, f.name), low, high))


def _refuse_unknown(given: Iterable[Any], known: Iterable[str], column: str, what: str = "key") -> None:
    """A :class:`PlanningError` naming each of ``given`` not in ``known``, each with the known names closest to it
    (``'shortage_cots' (did you mean 'shortage'?)``), then the whole list: the list alone left the reader to find
    which known name a misspelt weight or KPI key meant."""
    known = sorted(known)
    unknown = sorted(set(given) - set(known), key=str)
    if unknown:
        named = ", ".join(f"{name!r}{near_names(name, known)}" for name in unknown)
        raise PlanningError(f"unknown {what}(s) {named}; known: {known}", column=column)


def _from_mapping(cls: type, section: str, data: Any) -> Any:
    if not isinstance(data, Mapping):
        raise PlanningError("must be a table of key = value", column=section, value=data)
    _refuse_unknown(data, (f.name for f in fields(cls)), section)
    return cls(**data)


@dataclass(frozen=True)
class CarbonTerm:
    """Carbon emissions priced into the reward.

    Parameters
    ----------
    shipped_kg : float
        kg CO2 per unit shipped (transport) ``[e_s]``: units ordered less the share a disrupted
        supplier cancels, which never ships (and is not paid for).
    held_kg : float
        kg CO2 per unit held per period (storage, refrigeration) ``[e_h]``.
    price : float
        Cost per kg CO2 ``[pi]`` (a carbon price, or a Lagrange weight for a carbon budget).
    """

    shipped_kg: float = 0.0
    held_kg: float = 0.0
    price: float = 0.0

    def __post_init__(self) -> None:
        _validate_fields(self, "carbon")

    def kilograms(self, terms: PeriodTerms) -> NDArray[np.float64]:
        """kg CO2 emitted in each period of ``terms``."""
        if self.held_kg > 0 and terms.held_units is None:
            raise PlanningError(
                "carbon per unit held needs per-period held units; pass the episode's Ledger (every "
                "Ledger records them) or extra={'held_units': ...}",
                column="carbon.held_kg",
            )
        held = 0.0 if terms.held_units is None else self.held_kg * terms.held_units
        shipped = terms.ordered_units if terms.shipped_units is None else terms.shipped_units
        return np.asarray(self.shipped_kg * shipped + held, dtype=np.float64)


@dataclass(frozen=True)
class ProfitTerm:
    """Revenue added to the reward (reward = weighted revenue − cost), for margin-driven users.

    Parameters
    ----------
    revenue_weight : float
        Weight of revenue ``price * units served`` (catalog column ``price``).
    """

    revenue_weight: float = 1.0

    def __post_init__(self) -> None:
        _validate_fields(self, "profit")


@dataclass(frozen=True)
class ServicePenalty:
    """Penalty for each period whose fill rate falls below ``fill_rate``.

    Parameters
    ----------
    fill_rate : float
        Period fill-rate level in [0, 1] (units served / units demanded).
    penalty : float
        Charged once per period below the level.
    shortfall_penalty : float
        Charged per unit of fill-rate shortfall (``max(level - fill, 0)``), a
        smooth version useful for gradient-based RL.
    """

    fill_rate: float = 0.95
    penalty: float = 0.0
    shortfall_penalty: float = 0.0

    def __post_init__(self) -> None:
        _validate_fields(self, "service", {"fill_rate": (0.0, 1.0)})

    def cost(self, fill_rate: NDArray[np.float64]) -> NDArray[np.float64]:
        """Penalty of each period given its fill rate."""
        shortfall = np.maximum(self.fill_rate - fill_rate, 0.0)
        return np.asarray(self.penalty * (shortfall > 1e-12) + self.shortfall_penalty * shortfall)


@dataclass(frozen=True)
class RewardSpec:
    """How a period's outcome becomes a reward (see the module docstring for the formula).

    Parameters
    ----------
    holding, shortage, fixed_ordering, unit_ordering, waste, overflow : float
        Weights (>= 0) of the simulator's cost components.
    scale : float
        The reward is ``-cost / scale`` (> 0; e.g. a typical period cost, for RL).
    carbon : CarbonTerm, optional
    profit : ProfitTerm, optional
    service : ServicePenalty, optional

    Raises
    ------
    PlanningError
        For negative, NaN or non-numeric weights.

    Examples
    --------
    >>> spec = RewardSpec(shortage=2.0, carbon=CarbonTerm(shipped_kg=0.5, price=0.1))
    >>> RewardSpec.from_toml(spec.to_toml()) == spec
    True
    """

    holding: float = 1.0
    shortage: float = 1.0
    fixed_ordering: float = 1.0
    unit_ordering: float = 1.0
    waste: float = 1.0
    overflow: float = 1.0
    scale: float = 1.0
    carbon: CarbonTerm | None = None
    profit: ProfitTerm | None = None
    service: ServicePenalty | None = None

    def __post_init__(self) -> None:
        for name in WEIGHTS:
            object.__setattr__(self, name, _number("weights", name, getattr(self, name)))
        object.__setattr__(self, "scale", _number("", "scale", self.scale, minimum=1e-12))
        for name, cls in (("carbon", CarbonTerm), ("profit", ProfitTerm), ("service", ServicePenalty)):
            value = getattr(self, name)
            if value is not None and not isinstance(value, cls):
                raise PlanningError(f"must be a {cls.__name__}", column=name, value=value)

    # ------------------------------------------------------------------ computing
    def cost_terms(self, terms: PeriodTerms) -> dict[str, NDArray[np.float64]]:
        """Weighted cost of each term (arrays over the periods of ``terms``); revenue enters negatively."""
        out = {name: getattr(self, name) * np.asarray(getattr(terms, name), dtype=np.float64) for name in WEIGHTS}
        if self.carbon is not None:
            out["carbon"] = self.carbon.price * self.carbon.kilograms(terms)
        if self.service is not None:
            out["service"] = self.service.cost(terms.fill_rate)
        if self.profit is not None:
            revenue = np.asarray(0.0 if terms.revenue is None else terms.revenue)
            out["revenue"] = -self.profit.revenue_weight * revenue
        return out

    def cost(self, terms: PeriodTerms) -> NDArray[np.float64]:
        """Total weighted cost of each period of ``terms`` (the negative reward before scaling)."""
        return np.asarray(sum(self.cost_terms(terms).values()), dtype=np.float64)

    def reward(self, outcome: PeriodOutcome) -> float:
        """Reward of one period from its per-SKU outcome.

        Raises
        ------
        PlanningError
            With a profit term when a SKU that sold has no ``price``.
        """
        terms = outcome.terms()
        if self.profit is not None:
            check_revenue(terms.revenue, outcome.catalog)
        return float(-self.cost(terms) / self.scale)

    def period_terms(self, ledger: Ledger, index: int | slice, extra: Mapping[str, Any] | None = None) -> PeriodTerms:
        """:class:`PeriodTerms` of period(s) ``index`` from a ledger, overridden by ``extra``.

        ``extra`` may give ``held_units``, ``ordered_units`` or ``revenue`` for
        ledgers that do not record them: for each period the total, or one value per SKU (summed).

        Raises
        ------
        PlanningError
            Naming the ``extra`` field: unknown, not numbers, negative or not finite units, or of another
            shape (three held units for a ten-SKU period were a TypeError when the reward was computed).
        """
        terms = ledger_terms(ledger, index)
        if extra:
            _refuse_unknown(extra, ("held_units", "ordered_units", "revenue"), "extra", what="extra field")
            shape, skus = np.shape(terms.demand), ledger.scenario.n_skus
            values = {}
            for name, value in extra.items():
                column = f"extra.{name}"
                number = number_array(value, column) if name == "revenue" else scalar_or_array(value, column, 0.0)
                number = np.asarray(number, dtype=np.float64)
                if number.shape == (*shape, skus) and number.shape != shape:
                    number = number.sum(axis=-1)
                elif number.shape != shape:
                    raise PlanningError(f"must be the total of each period (shape {shape}) or one value per SKU "
                                        f"(shape {(*shape, skus)})", column=column, value=list(number.shape))
                values[name] = number
            if "ordered_units" in values:  # the shipped units follow (carbon read the ledger's and ignored these)
                cancelled = getattr(ledger, "cancelled_units", None)
                ordered = values["ordered_units"]
                values["shipped_units"] = (ordered if cancelled is None
                                           else np.maximum(ordered - np.asarray(cancelled[index]), 0.0))
            terms = PeriodTerms(**{**asdict_shallow(terms), **values})
        if self.profit is not None:
            check_revenue(terms.revenue, ledger.scenario.catalog)
        return terms

    def period_reward(self, ledger: Ledger, t: int, extra: Mapping[str, Any] | None = None) -> float:
        """Reward of period ``t`` recorded in ``ledger`` (the environments' reward hook).

        Raises
        ------
        PlanningError
            Naming ``t`` unless it is a whole number with ``0 <= t < ledger.periods`` (``-1`` was silently
            the last period, 30 of a 30-period ledger an IndexError, 1.5 and ``"3"`` IndexErrors), or the
            ``extra`` field that does not fit (:meth:`period_terms`).
        """
        periods = len(ledger.costs)
        period = whole_number(t, "t")
        if period >= periods:
            raise PlanningError(f"must be a period of the ledger: 0 <= t < {periods}", column="t", value=t)
        return float(-self.cost(self.period_terms(ledger, period, extra)) / self.scale)

    def episode_rewards(self, ledger: Ledger) -> NDArray[np.float64]:
        """Reward of every period of an episode, shape (periods,)."""
        return -self.cost(self.period_terms(ledger, slice(None))) / self.scale

    def evaluate(self, ledger: Ledger, periods: int | None = None) -> dict[str, float]:
        """The spec's cost over the measured periods ``[warmup, periods)`` of an episode.

        Raises
        ------
        PlanningError
            Naming ``periods`` unless it is a whole number with ``warmup < periods <= ledger.periods``
            (as :meth:`~hybridinv.sim.Ledger.summary`).

        Returns
        -------
        dict
            Per-period means: ``spec_cost`` (the weighted cost), ``reward``
            (``-spec_cost / scale``), each weighted term as ``spec_<term>``, and
            ``carbon_kg`` / ``revenue`` / ``profit`` when the ledger records what they need.
        """
        end = ledger.periods if periods is None else whole_number(periods, "periods", 1)
        if not ledger.warmup < end <= ledger.periods:  # as Ledger.summary: a spec cost of 0 (and NaN terms) for
            # no measured period, a window past the end cut to the episode without a word
            raise PlanningError(f"needs a period after the warm-up ({ledger.warmup}) and at most the "
                                f"{ledger.periods} recorded", column="periods", value=periods)
        terms = self.period_terms(ledger, slice(ledger.warmup, end))
        parts = self.cost_terms(terms)
        total = float(np.mean(sum(parts.values())))
        out = {"spec_cost": total, "reward": -total / self.scale}
        out.update({f"spec_{name}": float(np.mean(value)) for name, value in parts.items()})
        carbon = self.carbon or CarbonTerm()
        if terms.held_units is not None or carbon.held_kg == 0:
            out["carbon_kg"] = float(np.mean(carbon.kilograms(terms)))
        if terms.revenue is not None and not np.isnan(terms.revenue).any():
            out["revenue"] = float(np.mean(terms.revenue))
            out["profit"] = out["revenue"] - float(ledger.costs[ledger.warmup : end].sum(axis=1).mean())
        return out

    # ------------------------------------------------------------------ serialization
    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML/JSON-ready; absent optional terms are left out)."""
        out: dict[str, Any] = {
            "version": SPEC_VERSION,
            "scale": self.scale,
            "weights": {name: getattr(self, name) for name in WEIGHTS},
        }
        for name in ("carbon", "profit", "service"):
            term = getattr(self, name)
            if term is not None:
                out[name] = asdict(term)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RewardSpec:
        """Build a spec from :meth:`to_dict` output; unknown keys raise :class:`PlanningError`."""
        if not isinstance(data, Mapping):
            raise PlanningError("a reward spec must be a table", value=data)
        _refuse_unknown(data, ("version", "scale", "weights", "carbon", "profit", "service"), "reward spec")
        version = data.get("version", SPEC_VERSION)
        # true == 1 and 1.0 == 1 were read as version 1
        if isinstance(version, bool) or not isinstance(version, int) or version != SPEC_VERSION:
            raise PlanningError(f"unsupported spec version (this library reads {SPEC_VERSION})", column="version",
                                value=version)
        weights = data.get("weights", {})
        if not isinstance(weights, Mapping):
            raise PlanningError("must be a table of key = value", column="weights", value=weights)
        _refuse_unknown(weights, WEIGHTS, "weights")
        terms = {
            name: _from_mapping(term_cls, name, data[name])
            for name, term_cls in (("carbon", CarbonTerm), ("profit", ProfitTerm), ("service", ServicePenalty))
            if name in data
        }
        return cls(**dict(weights), scale=data.get("scale", 1.0), **terms)

    def to_toml(self) -> str:
        """TOML text of :meth:`to_dict` (written with ``tomli_w``)."""
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> RewardSpec:
        """Parse TOML text (``tomllib``); syntax errors become :class:`PlanningError`."""
        return cls.from_dict(_toml_table(text))

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RewardSpec:
        """Parse JSON text; NaN/Infinity and syntax errors raise :class:`PlanningError`."""
        return cls.from_dict(_json_value(text))

    @classmethod
    def from_file(cls, path: str | Path) -> RewardSpec:
        """Read a spec file: JSON when its name ends in ``.json`` (any case), TOML otherwise.

        Raises
        ------
        PlanningError
            Naming the file when it is not UTF-8 text (a byte-order mark is allowed) or holds no setting at all
            (empty, ``{}`` or only comments: it read as the default spec), or the key at fault.

        Warns
        -----
        PlanningWarning
            For a term the file sets that cannot change any reward: a ``[carbon]`` price
            without an emission factor, a ``[service]`` table without a penalty.
        """
        path = Path(path)
        try:
            text = path.read_bytes().decode("utf-8-sig")  # a byte-order mark was "invalid TOML at line 1"
        except UnicodeDecodeError as exc:
            raise PlanningError(f"{path}: not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r} at offset "
                                f"{exc.start}); save it as UTF-8", column="reward spec") from None
        data = _json_value(text) if path.suffix.lower() == ".json" else _toml_table(text)
        if isinstance(data, Mapping) and not data:
            # an empty file, a bare {} or only comments read as the default spec (every weight 1): a file left
            # empty by mistake trained (train --reward) or tuned (tune --spec) for the default without a word
            raise PlanningError("the reward spec file is empty (no weights, scale or terms): write one (e.g. "
                                "[weights] shortage = 2.0) or leave the option out for the default spec",
                                column="reward spec", value=str(path))
        spec = cls.from_dict(data)
        for problem in _idle_terms(spec):  # train --reward and tune --spec trained and tuned without them, silently
            warnings.warn(f"{path}: {problem}", PlanningWarning, stacklevel=2)
        return spec

    def replace(self, **changes: Any) -> RewardSpec:
        """A copy with some fields changed (validated again)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        _refuse_unknown(changes, data, "reward spec", what="field")
        data.update(changes)
        return RewardSpec(**data)


def _idle_terms(spec: RewardSpec) -> list[str]:
    """What the optional terms of ``spec`` set that cannot change any reward: a carbon price with both emission
    factors 0 (every period emits 0 kg, so the price multiplies nothing) and a service penalty with ``penalty`` and
    ``shortfall_penalty`` both 0 (its ``fill_rate`` level charges nothing). Empty when every term acts."""
    problems = []
    carbon = spec.carbon
    if carbon is not None and carbon.price > 0 and carbon.shipped_kg == 0 and carbon.held_kg == 0:
        problems.append(f"[carbon] price = {carbon.price:g} has no effect: shipped_kg and held_kg are both 0, so "
                        "every period emits 0 kg (set the kg CO2 per unit shipped or held)")
    service = spec.service
    if service is not None and service.penalty == 0 and service.shortfall_penalty == 0:
        problems.append(f"[service] fill_rate = {service.fill_rate:g} has no effect: penalty and shortfall_penalty "
                        "are both 0, so a period below it is charged nothing (set one of them)")
    return problems


def _toml_table(text: str) -> dict[str, Any]:
    """The table of TOML text; a syntax error is a :class:`PlanningError`."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanningError(f"invalid TOML: {exc}", column="reward spec") from exc


def _json_value(text: str) -> Any:
    """The value of JSON text (a repeated key or NaN/Infinity refused); a syntax error is a :class:`PlanningError`."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise PlanningError(f"invalid JSON: {exc}", column="reward spec") from exc


def as_spec(spec: RewardSpec | Mapping[str, Any] | None, column: str = "spec") -> RewardSpec:
    """``spec`` as a :class:`RewardSpec`: all weights 1 for None, :meth:`RewardSpec.from_dict` for a mapping
    (the form of ``to_dict`` and of a spec file).

    Raises
    ------
    PlanningError
        Naming ``column`` for anything else (a dict was an AttributeError deep inside ``tune`` and
        ``evaluate_policy``), or the key of a mapping that is not a valid spec.
    """
    if spec is None:
        return RewardSpec()
    if isinstance(spec, RewardSpec):
        return spec
    if isinstance(spec, Mapping):
        return RewardSpec.from_dict(spec)
    raise PlanningError("must be a RewardSpec or a mapping like RewardSpec.to_dict()", column=column,
                        value=type(spec).__name__)


def asdict_shallow(terms: PeriodTerms) -> dict[str, Any]:
    """Fields of a :class:`PeriodTerms` as a dict without copying arrays."""
    return {f.name: getattr(terms, f.name) for f in fields(terms)}


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's keys, each at most once (``json`` kept the last of two, as TOML refuses)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise PlanningError("the JSON spec gives the key more than once", column=key)
        data[key] = value
    return data
