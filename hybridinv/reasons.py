"""The legend of every reason code ``plan()`` emits: what it means and what a planner can do about it.

``plan()`` explains each SKU twice:

* ``target_reason`` says why the **target** is what it is (the flags of
  :data:`hybridinv.policies.explain.TARGET_REASONS`, joined by ``+``, or ``base_rule`` /
  ``no_target``);
* ``reason`` says why the **order** differs from the desired quantity (the repair layer's
  flags :data:`hybridinv.repair.REASONS` joined by ``+``, or ``unchanged``, ``other``,
  ``rounding``).

:data:`REASON_LEGEND` has one entry per code; :func:`emitted_codes` collects the codes from
the constants that define them (a test checks the two agree); :func:`legend_frame` and
:func:`legend_text` render it (``hybridinv demo`` prints the text; docs/concepts.md has the table).
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from hybridinv.policies import explain
from hybridinv.repair.result import OTHER, REASONS, UNCHANGED, ZERO_WEIGHT

__all__ = ["REASON_LEGEND", "LegendEntry", "emitted_codes", "legend_frame", "legend_text"]


class LegendEntry(NamedTuple):
    """One reason code: the column it appears in, what it means, what the planner can do."""

    column: str
    meaning: str
    action: str


REASON_LEGEND: dict[str, LegendEntry] = {
    explain.BASE_RULE: LegendEntry(
        "target_reason", "the policy's rule on the forecast as given (no correction, cap or space price)",
        "move the target through the forecast or the catalog costs (higher shortage_cost, more safety stock)"),
    explain.NO_TARGET: LegendEntry(
        "target_reason", "the policy orders directly, without a target (MPC, pure RL, a custom policy)",
        "read desired_qty; compare with a target policy (--policy hybrid or forecast_ss)"),
    explain.FORECAST_CORRECTED: LegendEntry(
        "target_reason", "the hybrid scaled the forecast by its learned forecast_correction (>= 1% off 1), e.g. "
        "because recent demand ran above its forecasts",
        "check the forecast for bias; plan with --policy forecast_ss to see the uncorrected target"),
    explain.SAFETY_SHIFTED: LegendEntry(
        "target_reason", "the hybrid shifted the cost-based safety factor by safety_shift",
        "compare with --policy forecast_ss; raise shortage_cost if service matters more than the costs say"),
    explain.CAPACITY_PRICED: LegendEntry(
        "target_reason", "warehouse space is priced into the safety factor (capacity_price per unit and "
        "period): less safety stock for bulky, low-margin SKUs",
        "more capacity (--capacity) or a smaller volume lowers the price and raises the safety stock"),
    explain.CAPPED: LegendEntry(
        "target_reason", "the order was cut to order_cap (a multiple of the forecast of the period the order arrives "
        "in, or for capped_base_stock a fixed cap from the catalog's demand); the rest follows in later periods",
        "if demand really jumped, update the forecast; the policy's cap_factor sets the cap"),
    explain.NOT_STOCKED: LegendEntry(
        "target_reason", "target 0: stocking does not pay (with lost sales shortage_cost <= unit_cost: a lost "
        "sale costs less than buying the unit; with backorders shortage_cost 0: a wait costs nothing)",
        "set shortage_cost to the price plus goodwill, not the margin (docs/concepts.md)"),
    explain.ABOVE_REORDER_POINT: LegendEntry(
        "target_reason", "inventory position above the reorder point: nothing to order this period",
        "nothing; the SKU is ordered when its position falls to the reorder point"),
    explain.BUILD_AHEAD: LegendEntry(
        "target_reason", "build_ahead units of the order are stock bought now, with budget this period leaves "
        "over, for a coming peak the budget cannot pay for when it comes",
        "a larger budget in the peak months removes the need; plan(..., policy='forecast_ss', "
        "build_ahead=False) shows the order without it"),
    UNCHANGED: LegendEntry(
        "reason", "the order equals the desired quantity", "nothing"),
    explain.ROUNDING: LegendEntry(
        "reason", "no rule or limit applies; the desired quantity was rounded to a whole unit (up when no repair "
        "runs, to the cheaper neighbour after one)",
        "nothing"),
    "max_order": LegendEntry(
        "reason", "the desired quantity is above the largest whole-lot order max_order allows (lot_size 5 and "
        "max_order 7: 5)",
        "raise max_order in the catalog if the supplier allows; the rest is ordered in later periods"),
    "moq": LegendEntry(
        "reason", "the desired quantity is below the moq: ordered as 0 or as the moq",
        "negotiate a smaller moq, or accept the larger or skipped order"),
    "lot_rounding": LegendEntry(
        "reason", "rounded to a whole number of lots (a lot_size above 1; until 2026-12-06 also whole units "
        "after a repair)",
        "a smaller lot_size follows the desired quantity more closely"),
    "capacity": LegendEntry(
        "reason", "no room in the warehouse for the next lot in the SKU's receipt period, or the space is scarce "
        "(priced) and went to SKUs that needed it more",
        "more capacity; diagnostics['repair']['capacity_price'] is what one more unit of volume is worth"),
    "budget": LegendEntry(
        "reason", "the period's budget ran out before the SKU's next lot, or is scarce (priced) and went to SKUs "
        "that needed it more",
        "a larger budget; diagnostics['repair']['budget_price'] is what one more unit of budget is worth"),
    "supplier_capacity": LegendEntry(
        "reason", "the supplier's capacity per period ran out, or is scarce (priced) and went to other SKUs of "
        "the supplier",
        "a second supplier or more supplier capacity; see diagnostics['repair']['supplier_price']"),
    explain.NEGATIVE_DESIRED: LegendEntry(
        "reason", "the policy wanted a negative order (stock above its target): ordered as 0",
        "nothing; the excess is sold down"),
    "guardrail": LegendEntry(
        "reason", "a per-SKU guardrail bound (hybridinv.deploy.guardrails) changed the order",
        "review the guardrail limits"),
    ZERO_WEIGHT: LegendEntry(
        "reason", "the repair's weight for this change is 0 (under_weight for an order below the desired "
        "quantity, over_weight above it): the change costs nothing in its objective, so it is not a trade-off",
        "give the SKU a positive under_weight (repair_orders) if its desired quantity matters"),
    OTHER: LegendEntry(
        "reason", "the repair changed the order and no single rule explains it (a trade-off between "
        "SKUs)",
        "check diagnostics['gap']; plan with --backend highs for the exact repair"),
}


def emitted_codes() -> set[str]:
    """Every code ``plan()`` can put in ``reason`` or ``target_reason``, from the constants that define them."""
    return {
        *REASONS, UNCHANGED, OTHER, ZERO_WEIGHT, explain.ROUNDING, explain.NEGATIVE_DESIRED,
        *explain.TARGET_REASONS, *explain.TARGET_DEFAULTS,
    }


def legend_frame() -> pd.DataFrame:
    """The legend as a frame: ``code``, ``column``, ``meaning``, ``action``."""
    return pd.DataFrame(
        [{"code": code, **entry._asdict()} for code, entry in REASON_LEGEND.items()],
        columns=["code", "column", "meaning", "action"],
    )


def legend_text(actions: bool = False) -> str:
    """The legend as plain text, one code per line, grouped by column; with ``actions`` what to do, too."""
    width = max(len(code) for code in REASON_LEGEND)
    lines = []
    for column, title in (("target_reason", "why the target is what it is"),
                          ("reason", "why the order differs from desired_qty")):
        lines.append(f"{column} ({title}; codes joined by '+'):")
        for code, entry in REASON_LEGEND.items():
            if entry.column == column:
                lines.append(f"  {code:<{width}}  {entry.meaning}" + (f" -> {entry.action}" if actions else ""))
    if not actions:
        lines.append("What to do about each code: docs/concepts.md, 'Reason codes'.")
    return "\n".join(lines)
