"""An independent checker of returned orders, written from the documented definitions only.

Nothing here calls into ``hybridinv``: the capacity rows follow docs/concepts.md
("Capacity rows"), the ordering rules the catalog table there, the deviation
cost and certificates docs/repair.md. Every function raises ``AssertionError``
with the offending SKU or row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .strategies import Instance

__all__ = ["REL", "Row", "brute_force", "check_certificate", "check_order_rules", "check_rows", "deviation", "rows"]

#: Relative tolerance of every comparison (float noise of sums over a few dozen terms is far below it).
REL = 1e-8


@dataclass(frozen=True)
class Row:
    """One constraint row: ``usage <= limit`` for the new orders, with the size of its numbers."""

    name: str
    usage: float
    limit: float
    scale: float

    @property
    def excess(self) -> float:
        return self.usage - self.limit

    @property
    def tol(self) -> float:
        return REL * self.scale


def projected_stock(inst: Instance, periods: int) -> np.ndarray:
    """On-hand stock projected to receipt periods ``0..periods-1`` without new orders (docs/concepts.md)."""
    demand = inst.demand(periods)
    out = np.zeros((inst.n, periods))
    width = inst.pipeline.shape[1]

    def arriving(k: int) -> np.ndarray:
        return inst.pipeline[:, k] if k < width else np.zeros(inst.n)

    out[:, 0] = np.maximum(inst.on_hand - inst.backorders + arriving(0), 0.0)
    for k in range(1, periods):
        out[:, k] = np.maximum(out[:, k - 1] - demand[:, k - 1], 0.0) + arriving(k)
    return out


def rows(inst: Instance, orders: np.ndarray) -> list[Row]:
    """Every capacity row (one per receipt period ``0..max L``), the budget row and the supplier rows."""
    out: list[Row] = []
    q = np.asarray(orders, dtype=float)
    if math.isfinite(inst.capacity):
        periods = int(inst.lead_time.max()) + 1
        stock = projected_stock(inst, periods)
        for k in range(periods):
            stocked = float((inst.volume * stock[:, k]).sum())
            new = float((inst.volume * q)[inst.lead_time == k].sum())
            out.append(Row(f"capacity[k={k}]", new, inst.capacity - stocked, max(inst.capacity, stocked + new)))
    if math.isfinite(inst.budget):
        spend = float((inst.unit_cost * q).sum())
        out.append(Row("budget", spend, inst.budget, max(inst.budget, spend)))
    suppliers = np.array(inst.supplier)
    for name, limit in inst.supplier_capacity.items():
        units = float(q[suppliers == name].sum())
        out.append(Row(f"supplier[{name}]", units, limit, max(limit, units)))
    return out


def check_order_rules(inst: Instance, orders: np.ndarray) -> None:
    """Finite, non-negative whole numbers; whole lots; 0 or at least the MOQ; at most the max order."""
    q = np.asarray(orders)
    assert q.shape == (inst.n,), f"{q.shape} orders for {inst.n} SKUs"
    qf = q.astype(float)
    assert np.isfinite(qf).all(), f"non-finite orders {q}"
    for i, sku in enumerate(inst.sku):
        value = qf[i]
        assert value >= 0, f"{sku}: negative order {value}"
        assert value == math.floor(value), f"{sku}: fractional order {value}"
        lots = value / inst.lot_size[i]
        assert abs(lots - round(lots)) <= 1e-9, f"{sku}: order {value} is not whole lots of {inst.lot_size[i]}"
        assert value == 0 or value >= inst.moq[i], f"{sku}: order {value} below the MOQ {inst.moq[i]}"
        assert value <= inst.max_order[i], f"{sku}: order {value} above max order {inst.max_order[i]}"


def check_rows(inst: Instance, orders: np.ndarray, reported: Mapping[str, float]) -> None:
    """Rows hold, except rows over-full before any order, which must then be reported (and nothing else).

    ``reported`` maps the reported violations' row names to their amounts (``usage - limit``).
    A capacity row whose stock alone exceeds the capacity cannot be met: the closest plan
    adds nothing with a volume to it, and the row must appear in ``reported``.
    """
    names = set()
    for row in rows(inst, orders):
        names.add(row.name)
        allowed = max(row.limit, 0.0) + row.tol
        assert row.usage <= allowed, f"{row.name}: orders use {row.usage!r}, limit {row.limit!r}"
        if row.excess > row.tol:
            assert row.name in reported, f"{row.name} over by {row.excess!r} but not reported ({dict(reported)})"
        elif row.name in reported:
            assert row.excess > -row.tol, f"{row.name} reported as violated but has room {-row.excess!r}"
        if row.name in reported:
            assert abs(reported[row.name] - row.excess) <= row.tol + 1e-9 * abs(row.excess), (
                f"{row.name}: reported amount {reported[row.name]!r}, actual {row.excess!r}"
            )
    unknown = set(reported) - names
    assert not unknown, f"violations reported for rows that do not exist: {sorted(unknown)}"


def deviation(inst: Instance, desired: np.ndarray, orders: np.ndarray) -> float:
    """Default repair objective (docs/repair.md): ``p + 1e-6`` per unit short, ``h + 1e-6`` per unit above."""
    target = np.maximum(np.asarray(desired, dtype=float), 0.0)
    q = np.asarray(orders, dtype=float)
    under = (inst.shortage_cost + 1e-6) * np.maximum(target - q, 0.0)
    over = (inst.holding_cost + 1e-6) * np.maximum(q - target, 0.0)
    return float((under + over).sum())


def check_certificate(
    objective: float, bound: float, gap: float, optimum: tuple[float, float] | None = None
) -> None:
    """``bound <= objective``, ``gap = (objective - bound) / objective`` in [0, 1], and a valid bound.

    With ``optimum`` (:func:`brute_force`'s ``(loose, strict)``), the bound must not exceed the
    optimum and the objective must not be below it.
    """
    tol = 1e-9 * max(1.0, abs(objective))
    assert math.isfinite(objective) and math.isfinite(bound), (objective, bound)
    assert bound <= objective + tol, f"bound {bound!r} above objective {objective!r}"
    assert 0.0 <= gap <= 1.0, f"gap {gap!r}"
    expected = 0.0 if objective - bound <= 1e-12 * max(1.0, abs(objective)) else (objective - bound) / abs(objective)
    assert abs(gap - expected) <= 1e-9, f"gap {gap!r} but (objective - bound) / objective = {expected!r}"
    if optimum is not None:
        loose, strict = optimum
        slack = 1e-7 * max(1.0, abs(strict))
        assert bound <= strict + slack, f"bound {bound!r} above the optimum {strict!r}: not a valid certificate"
        assert objective >= loose - slack, f"objective {objective!r} below the optimum {loose!r}"


def brute_force(inst: Instance, desired: np.ndarray) -> tuple[float, float]:
    """Smallest default deviation over every plan that obeys the rules and the rows (over-full rows floored at 0).

    Ordering more than ``max(moq, lot * ceil(d / lot))`` is never better (every row has
    non-negative coefficients and surplus costs ``h + 1e-6 > 0``), so the options of a SKU
    are 0 and the whole lots from the MOQ up to that, within the max order.

    Returns ``(loose, strict)``: the optimum with rows held to :data:`REL` and exactly
    (a row with no room takes nothing, however small its volume). Any correct solver's
    tolerance lies between, so its optimum is in ``[loose, strict]``: a valid bound is
    at most ``strict``, a plan costs at least ``loose``.
    """
    import itertools

    options = []
    for i in range(inst.n):
        lot, moq, top = inst.lot_size[i], inst.moq[i], inst.max_order[i]
        target = max(float(desired[i]), 0.0)
        cap = min(top, max(moq, lot * math.ceil(target / lot - 1e-12)))
        values = [0.0] + [lot * m for m in range(1, int(cap // lot) + 1) if lot * m >= moq]
        options.append(values)
    loose = strict = math.inf
    for combo in itertools.product(*options):
        q = np.array(combo)
        over = [r.usage - max(r.limit, 0.0) for r in rows(inst, q)]
        scales = [r.scale for r in rows(inst, q)]
        if all(o <= REL * s for o, s in zip(over, scales, strict=True)):
            cost = deviation(inst, desired, q)
            loose = min(loose, cost)
            if all(o <= 0.0 for o in over):
                strict = min(strict, cost)
    return loose, strict
