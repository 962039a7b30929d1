"""Safe deployment: plan-time guardrails, incumbent-anchored training penalty,
shadow mode on the digital twin, and monitoring with fallback."""

from __future__ import annotations

from hybridinv.deploy.dashboard import render_dashboard
from hybridinv.deploy.guardrails import GuardedPolicy, Guardrails, apply_guardrails, guarded_repair, guardrail_report
from hybridinv.deploy.monitor import LOG_COLUMNS, Monitor, MonitorEvent, MonitorThresholds
from hybridinv.deploy.safe import DeviationNorm, IncumbentPenalty
from hybridinv.deploy.shadow import LoggedOrders, ShadowResult, shadow_replay

__all__ = [
    "LOG_COLUMNS",
    "DeviationNorm",
    "GuardedPolicy",
    "Guardrails",
    "IncumbentPenalty",
    "LoggedOrders",
    "Monitor",
    "MonitorEvent",
    "MonitorThresholds",
    "ShadowResult",
    "apply_guardrails",
    "guarded_repair",
    "guardrail_report",
    "render_dashboard",
    "shadow_replay",
]
