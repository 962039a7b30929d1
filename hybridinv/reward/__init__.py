"""Reward specification, KPI targets and tuning.

- :class:`RewardSpec`: the reward as weighted cost terms plus optional carbon,
  profit and service-level terms; TOML/JSON round trip; computed from a
  per-SKU :class:`PeriodOutcome` or from a :class:`hybridinv.sim.Ledger` row.
- :class:`KPITarget` / :class:`LagrangianMultipliers`: KPI targets such as
  ``"fill_rate>=0.95"`` and the dual-ascent machinery for constrained RL.
- :func:`enforce_targets`: meet targets with a classical policy by bisection.
- :func:`hybridinv.reward.tune.tune`: Optuna search over reward weights under KPI targets
  (``from hybridinv.reward.tune import tune``: it is not re-exported here, where
  ``hybridinv.reward.tune`` names its module).
"""

from __future__ import annotations

from hybridinv.reward.enforce import (
    EnforcementResult,
    base_stock_levels,
    critical_ratio,
    enforce_targets,
    policy_family,
    target_report,
)
from hybridinv.reward.evaluate import confidence_interval, evaluate_policy
from hybridinv.reward.outcome import OutcomeLedger, PeriodOutcome, PeriodTerms, record_episode
from hybridinv.reward.spec import WEIGHTS, CarbonTerm, ProfitTerm, RewardSpec, ServicePenalty
from hybridinv.reward.targets import (
    KPI_RANGES,
    KPITarget,
    LagrangianMultipliers,
    check_kpis_defined,
    parse_targets,
    period_kpis,
    slack_unit,
)

__all__ = [
    "KPI_RANGES",
    "WEIGHTS",
    "CarbonTerm",
    "EnforcementResult",
    "KPITarget",
    "LagrangianMultipliers",
    "OutcomeLedger",
    "PeriodOutcome",
    "PeriodTerms",
    "ProfitTerm",
    "RewardSpec",
    "ServicePenalty",
    "base_stock_levels",
    "confidence_interval",
    "critical_ratio",
    "enforce_targets",
    "evaluate_policy",
    "parse_targets",
    "check_kpis_defined",
    "period_kpis",
    "policy_family",
    "record_episode",
    "slack_unit",
    "target_report",
]
