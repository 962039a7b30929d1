"""Digital twin: fit demand, lead times and supplier reliability from transaction
logs, and build simulation scenarios (including real-data backtests) from the fit."""

from __future__ import annotations

from hybridinv.twin.demand_fit import Censoring, DemandFit, DemandPattern, classify_demand, fit_demand, seasonal_indices
from hybridinv.twin.processes import DemandFamily, FittedDemand
from hybridinv.twin.realdata import RealDataBacktest, data_dir, load_series, real_data_backtest, real_data_scenario
from hybridinv.twin.supply_fit import RECEIPT_COLUMNS, SupplyFit, fit_supply
from hybridinv.twin.synthetic import SyntheticLog, synthetic_log
from hybridinv.twin.twin import SALES_COLUMNS, DemandMatrix, DigitalTwin, PlanningPeriod, SeasonalIndex, aggregate_sales

__all__ = [
    "RECEIPT_COLUMNS",
    "SALES_COLUMNS",
    "Censoring",
    "DemandFamily",
    "DemandFit",
    "DemandMatrix",
    "DemandPattern",
    "DigitalTwin",
    "FittedDemand",
    "PlanningPeriod",
    "RealDataBacktest",
    "SeasonalIndex",
    "SupplyFit",
    "SyntheticLog",
    "aggregate_sales",
    "classify_demand",
    "data_dir",
    "fit_demand",
    "fit_supply",
    "load_series",
    "real_data_backtest",
    "real_data_scenario",
    "seasonal_indices",
    "synthetic_log",
]
