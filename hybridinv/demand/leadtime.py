"""Lead-time processes: per-SKU stochastic lead times and supplier disruptions."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import text_key, text_variant
from hybridinv.core.errors import PlanningError, number_array, number_in, whole_number
from hybridinv.core.limits import MAX_LEAD_TIME
from hybridinv.demand.processes import checked_draw

__all__ = ["Disruptions", "LeadTimePath", "LeadTimeProcess"]


@dataclass(frozen=True)
class Disruptions:
    """Supplier disruptions as a two-state Markov chain per supplier.

    A supplier enters a disruption with ``probability`` per period and stays
    disrupted ``mean_duration`` periods on average (geometric). Orders placed
    while it is disrupted arrive ``1..extra_delay`` periods late (uniform) and
    only a fraction, uniform in ``fill_fraction``, is delivered (the rest is
    cancelled and not paid for).
    """

    probability: float = 0.02
    mean_duration: float = 4.0
    extra_delay: int = 3
    fill_fraction: tuple[float, float] = (0.4, 0.9)

    def __post_init__(self) -> None:
        number_in(self.probability, "disruptions.probability", 0.0, 1.0)
        number_in(self.mean_duration, "disruptions.mean_duration", 1.0, math.inf)
        # like lead times, at most MAX_LEAD_TIME: 10**6 allocated a ring of a million periods per SKU
        if whole_number(self.extra_delay, "disruptions.extra_delay", 0) > MAX_LEAD_TIME:
            raise PlanningError(f"must be a whole number from 0 to {MAX_LEAD_TIME}", column="disruptions.extra_delay",
                                value=self.extra_delay)
        fraction = self.fill_fraction
        # (0.1, 0.2, 0.3) failed to unpack, ("a", 1) was a TypeError comparing text with a float
        if (not isinstance(fraction, tuple | list) or len(fraction) != 2
                or any(isinstance(v, bool) or not isinstance(v, int | float | np.number) for v in fraction)):
            raise PlanningError("must be a pair of numbers (low, high)", column="disruptions.fill_fraction",
                                value=fraction)
        low, high = fraction
        if not 0.0 <= low <= high <= 1.0:
            raise PlanningError("must satisfy 0 <= low <= high <= 1", column="disruptions.fill_fraction",
                                value=tuple(fraction))


@dataclass(frozen=True)
class LeadTimePath:
    """Realized lead time and delivered fraction of an order placed in each period.

    Attributes
    ----------
    lead_time : array of int, shape (periods, n)
    delivered_fraction : array of float, shape (periods, n), or None when every
        order is delivered in full.
    disrupted : array of bool, shape (periods, n_suppliers), or None: one column per distinct supplier
        index, in increasing order.
    """

    lead_time: NDArray[np.int64]
    delivered_fraction: NDArray[np.float64] | None
    disrupted: NDArray[np.bool_] | None


@dataclass(frozen=True)
class LeadTimeProcess:
    """Per-SKU lead times, optionally random, with optional supplier disruptions.

    Parameters
    ----------
    lead_time : array of int, shape (n,)
        Planned lead time ``[L]``.
    std : array of float, shape (n,)
        Standard deviation; the realized lead time is
        ``clip(round(L + std * z), 0, L + ceil(3 std))`` with z standard normal.
    supplier : array of int, shape (n,)
        Supplier index of each SKU (for disruptions), a whole number >= 0: SKUs with the same
        index share their supplier's disruptions (the indices are labels; they need not be 0..k-1).
    disruptions : Disruptions or mapping of int to Disruptions, optional
        One :class:`Disruptions` strikes every supplier (each with its own chain, the same parameters);
        a mapping ``{supplier index: Disruptions}`` gives each supplier named its own parameters, and the
        suppliers it does not name none (an empty mapping is stored as None). Each index must be the
        ``supplier`` of some SKU. :meth:`from_catalog` takes the mapping keyed by supplier name.
    """

    lead_time: NDArray[np.int64]
    std: NDArray[np.float64] | None = None
    supplier: NDArray[np.int64] | None = None
    disruptions: Disruptions | Mapping[int, Disruptions] | None = None

    def __post_init__(self) -> None:
        lead = np.atleast_1d(number_array(self.lead_time, "lead_time"))  # [True] was 1 period, ["3"] 3
        bad = ~(lead >= 0) | ~(lead <= MAX_LEAD_TIME) | (lead != np.round(lead))
        if bad.any():  # 1e6 allocated a ring of a million periods per SKU
            raise PlanningError(f"lead times must be whole numbers from 0 to {MAX_LEAD_TIME}", column="lead_time",
                                value=float(lead[bad][0]))
        n = lead.size
        object.__setattr__(self, "lead_time", lead.astype(np.int64))
        std = np.zeros(n) if self.std is None else number_array(self.std, "lead_time_std")
        if std.ndim > 0 and std.shape != (n,):  # was numpy's "operands could not be broadcast together"
            raise PlanningError(f"expected a scalar or {n} per-SKU values, got shape {std.shape}",
                                column="lead_time_std")
        std = np.broadcast_to(std, (n,)).copy()
        bad = ~(std >= 0) | ~(std <= MAX_LEAD_TIME)
        if bad.any():
            raise PlanningError(f"lead-time std must be finite, >= 0 and at most {MAX_LEAD_TIME}",
                                column="lead_time_std", value=float(std[bad][0]))
        object.__setattr__(self, "std", std)
        raw = np.zeros(n) if self.supplier is None else np.asarray(self.supplier)
        values = raw.astype(np.float64) if raw.dtype.kind in "iuf" else np.full(raw.shape, np.nan)
        # -1 silently indexed the last supplier's disruptions; 1.5 was truncated to supplier 1
        bad = ~(values >= 0) | (values != np.floor(values)) if values.shape == (n,) else np.ones(1, dtype=bool)
        if bad.any():
            first = raw.reshape(-1)[int(np.flatnonzero(bad)[0])] if values.shape == (n,) else None
            raise PlanningError(f"supplier indices must be whole numbers >= 0, one per SKU ({n})", column="supplier",
                                value=first.item() if isinstance(first, np.generic) else first)
        object.__setattr__(self, "supplier", values.astype(np.int64))
        if isinstance(self.disruptions, Mapping):
            object.__setattr__(self, "disruptions", self._per_supplier(self.disruptions) or None)
        elif self.disruptions is not None and not isinstance(self.disruptions, Disruptions):
            raise PlanningError("must be a Disruptions or a mapping of supplier index to Disruptions",
                                column="disruptions", value=self.disruptions)

    def _per_supplier(self, table: Mapping[Any, Any]) -> dict[int, Disruptions]:
        """``table`` checked: whole-number supplier indices of some SKU, each mapped to a Disruptions."""
        assert self.supplier is not None
        known = set(self.supplier.tolist())
        checked: dict[int, Disruptions] = {}
        for key, value in table.items():
            if isinstance(key, bool) or not isinstance(key, int | np.integer) or key < 0:
                raise PlanningError("keys must be supplier indices (whole numbers >= 0)", column="disruptions",
                                    value=key)
            if int(key) not in known:  # its disruptions would strike no SKU, without a word
                raise PlanningError(f"names supplier index {int(key)}, which no SKU has (the SKUs' suppliers: "
                                    f"{sorted(known)[:10]})", column="disruptions", value=int(key))
            if not isinstance(value, Disruptions):
                raise PlanningError(f"supplier {int(key)}: must be a Disruptions", column="disruptions",
                                    value=value)
            checked[int(key)] = value
        return dict(sorted(checked.items()))

    @classmethod
    def from_catalog(
        cls, lead_time: ArrayLike, std: ArrayLike, supplier_names: ArrayLike,
        disruptions: Disruptions | Mapping[str, Disruptions] | None = None,
    ) -> LeadTimeProcess:
        """Build from catalog columns (supplier names are mapped to indices).

        ``disruptions`` is one :class:`Disruptions` for every supplier, or a mapping ``{supplier name:
        Disruptions}``: the suppliers it names get theirs, the others none.

        Raises
        ------
        PlanningError
            With ``disruptions``, for two supplier names that differ only in spaces or case (``"ACME"`` and
            ``"acme "``): they were two suppliers with two disruption chains, as a supplier capacity refuses them;
            for a mapping naming a supplier no SKU has (``column="disruptions"``, the name as ``value``).
        """
        names, codes = np.unique(np.asarray(supplier_names, dtype=str), return_inverse=True)
        if disruptions is not None:
            seen: dict[str, str] = {}
            for name in names.tolist():
                other = seen.setdefault(text_key(name), name)
                if other != name:
                    raise PlanningError(f"the catalog also names supplier {other!r}, which differs from it only in "
                                        "spaces or case: disruptions would strike them as two suppliers; write "
                                        "the supplier the same in every row", column="supplier", value=name)
        table = _by_index(disruptions, names.tolist()) if isinstance(disruptions, Mapping) else disruptions
        return cls(np.asarray(lead_time), np.asarray(std, dtype=float), codes.astype(np.int64), table)

    def disruptions_by_sku(self) -> tuple[list[Disruptions | None], NDArray[np.int64]]:
        """The distinct disruption models and each SKU's position in that list (None: no disruptions).

        One model (and every SKU at 0) for a single :class:`Disruptions` or none; with a mapping, the
        models of the suppliers in increasing index order, then None when some SKU's supplier has none.
        """
        assert self.supplier is not None
        n = self.lead_time.size
        table = self.disruptions
        if not isinstance(table, Mapping):
            return [table], np.zeros(n, dtype=np.int64)
        models: list[Disruptions | None] = [*table.values(), None]
        position = {key: k for k, key in enumerate(table)}
        member = np.array([position.get(s, len(table)) for s in self.supplier.tolist()], dtype=np.int64)
        return models, member

    @property
    def max_lead_time(self) -> NDArray[np.int64]:
        """Largest lead time each SKU can realize (planned + noise + its supplier's disruption delay)."""
        assert self.std is not None
        models, member = self.disruptions_by_sku()
        extra = np.array([0 if d is None else d.extra_delay for d in models], dtype=np.int64)[member]
        return self.lead_time + np.ceil(3.0 * self.std).astype(np.int64) + extra

    @property
    def deterministic(self) -> bool:
        assert self.std is not None
        return not (self.std > 0).any() and self.disruptions is None

    def sample(self, rng: np.random.Generator, periods: int) -> LeadTimePath:
        """Draw the lead time (and delivered fraction) of an order placed in each period.

        Raises
        ------
        PlanningError
            Naming ``rng`` when it is not a :class:`numpy.random.Generator` (pass
            ``numpy.random.default_rng(seed)``), or ``periods`` when it is not a whole number >= 0 (until
            2026-12-07 an ``AttributeError`` for a seed, None or a ``RandomState``, numpy's errors for ``periods``).
        """
        assert self.std is not None and self.supplier is not None
        periods = checked_draw(rng, periods)
        n = self.lead_time.size
        noise_rng, disrupt_rng = rng.spawn(2)
        lead = np.broadcast_to(self.lead_time, (periods, n)).copy()
        if (self.std > 0).any():
            z = noise_rng.standard_normal((periods, n))
            upper = self.lead_time + np.ceil(3.0 * self.std).astype(np.int64)
            lead = np.clip(np.rint(self.lead_time + self.std * z), 0, upper).astype(np.int64)
        if self.disruptions is None:
            return LeadTimePath(lead, None, None)
        # one chain per supplier that has SKUs: the indices are labels (supplier 10**9 of one SKU drew a
        # chain for every index below it, a MemoryError; from_catalog's indices 0..k-1 are unchanged)
        labels, supplier = np.unique(self.supplier, return_inverse=True)
        supplier = supplier.reshape(-1)
        n_sup = labels.size
        # each supplier's parameters (a supplier without disruptions never enters one); the draws are those of
        # one Disruptions for every supplier, so a single Disruptions gives the paths it gave before
        chain = _chain_parameters(self.disruptions, labels.tolist())
        start = disrupt_rng.random((periods, n_sup)) < chain["probability"]
        stop = disrupt_rng.random((periods, n_sup)) < 1.0 / chain["mean_duration"]
        disrupted = np.zeros((periods, n_sup), dtype=bool)
        state = np.zeros(n_sup, dtype=bool)
        for t in range(periods):  # a Markov chain over time: loop over periods, vectorized over suppliers
            state = np.where(state, ~stop[t], start[t])
            disrupted[t] = state
        per_sku = disrupted[:, supplier]
        top = chain["extra_delay"].astype(np.int64)[supplier]
        delay = disrupt_rng.integers(1, np.maximum(top, 1) + 1, size=(periods, n))
        lead = lead + np.where(per_sku & (top > 0), delay, 0)
        low, high = chain["low"][supplier], chain["high"][supplier]
        fraction = np.where(per_sku, disrupt_rng.uniform(low, high, size=(periods, n)), 1.0)
        return LeadTimePath(lead.astype(np.int64), fraction, disrupted)


def _chain_parameters(disruptions: Disruptions | Mapping[int, Disruptions], labels: list[int]) -> dict[
        str, NDArray[np.float64]]:
    """Per supplier label: probability, mean_duration, extra_delay, low, high (no disruptions: probability 0)."""
    none = Disruptions(probability=0.0, mean_duration=1.0, extra_delay=0, fill_fraction=(1.0, 1.0))
    table = disruptions if isinstance(disruptions, Mapping) else dict.fromkeys(labels, disruptions)
    models = [table.get(label, none) for label in labels]
    return {
        "probability": np.array([d.probability for d in models], dtype=np.float64),
        "mean_duration": np.array([d.mean_duration for d in models], dtype=np.float64),
        "extra_delay": np.array([d.extra_delay for d in models], dtype=np.float64),
        "low": np.array([d.fill_fraction[0] for d in models], dtype=np.float64),
        "high": np.array([d.fill_fraction[1] for d in models], dtype=np.float64),
    }


def _by_index(table: Mapping[str, Disruptions], names: list[str]) -> dict[int, Disruptions]:
    """``table`` keyed by supplier name as a table keyed by the index :meth:`LeadTimeProcess.from_catalog`
    gives that name (``names`` sorted); a name no SKU has is refused, naming the catalog's spelling if any."""
    index = {name: k for k, name in enumerate(names)}
    out: dict[int, Disruptions] = {}
    for key, value in table.items():
        # a supplier is named by text or a whole-number code, as in Constraints.supplier_capacity
        if isinstance(key, bool) or not isinstance(key, str | int | np.integer):
            raise PlanningError("a supplier is named by text (or a whole-number code)", column="disruptions",
                                value=key)
        name = str(key)
        if name not in index:
            variant = text_variant(name, names)
            hint = (f"; the catalog names {variant!r}, which differs from it only in spaces or case" if variant
                    else f"; the catalog's suppliers include {names[:5]}")
            raise PlanningError(f"disruptions name supplier {name!r}, which no SKU of the catalog has{hint}",
                                column="disruptions", value=name)
        if index[name] in out:  # 7 and "7": the second replaced the first without a word
            raise PlanningError("disruptions name a supplier twice (names are compared as text)",
                                column="disruptions", value=name)
        out[index[name]] = value
    return out
