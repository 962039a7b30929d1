"""Demand and lead-time processes."""

from __future__ import annotations

from hybridinv.demand.leadtime import Disruptions, LeadTimePath, LeadTimeProcess
from hybridinv.demand.processes import (
    CommonFactor,
    DemandDistribution,
    DemandPath,
    DemandProcess,
    Promotions,
    RegimeShifts,
    Seasonality,
)

__all__ = [
    "CommonFactor",
    "DemandDistribution",
    "DemandPath",
    "DemandProcess",
    "Disruptions",
    "LeadTimePath",
    "LeadTimeProcess",
    "Promotions",
    "RegimeShifts",
    "Seasonality",
]
