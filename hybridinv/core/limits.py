"""Bounds on planning input: absurd values are refused instead of exhausting time, memory or int64.

Every array the library allocates per SKU grows with the longest lead time (the
pipeline, the capacity rows, the forecast horizon), and every order is returned
as a 64-bit integer. These bounds keep both finite and exact:

* :data:`MAX_LEAD_TIME` — lead times, their standard deviation, pipeline slots
  (``pipeline_<k>``, ``arrives_in``) are at most 520 periods (ten years of weeks).
* :data:`MAX_QUANTITY` — a quantity in one input cell (stock, backorders, an
  open order, a forecast mean or spread, past demand, ``moq``, ``lot_size``, a
  finite ``max_order``) is at most 1e12 units. Sums over a 521-period pipeline
  then stay below 2**53, where float64 still holds every whole number exactly.
* :data:`MAX_ORDER` — an order a policy returns to :func:`hybridinv.plan` is at
  most 1e15 units (exact in float64, far inside int64); the built-in policies stay
  below it for any input within the bounds above (their batch, the economic order
  quantity, is at most :data:`MAX_QUANTITY` whatever the order and holding costs).
* :data:`MAX_SHELF_LIFE` — a shelf life is at most 1,000 periods (the simulator keeps one
  stock bucket per period of life and SKU: a shelf life of 1e9 asked for 15 GB); a longer
  life is not perishable within any horizon, so leave it 0.
* :data:`MAX_COST` — a money amount in one catalog cell (``unit_cost``, ``holding_cost``,
  ``shortage_cost``, ``order_cost``, ``price``) or one cost of a network's ``NetworkCosts.build``
  (also ``transit_holding_cost``, ``shipment_cost``, ``overflow_cost``) is at most 1e12 (per unit or per order):
  products with quantities up to :data:`MAX_QUANTITY` and their squares (safety stocks priced
  against costs) then stay far from float64's overflow; a unit cost of 1e155 overflowed to
  ``inf`` in the build-ahead of a budget-bound plan.
* :data:`MAX_PERIODS` — a demand history, a log of decisions or a simulated horizon (a
  scenario's, ``simulate``'s, an environment's ``periods``) spans at most 100,000
  periods (arrays are allocated per period: a period written as 202401 for January
  2024 would otherwise ask for 202,402 rows per SKU).
* :data:`MAX_EPISODES` — a number of seeds (``simulate(seeds=k)``, the suites' and the
  trainers' evaluation seeds) is at most 1,000,000 episodes (``seeds=10**30`` overflowed
  when the seed list was built; a million episodes of a year of weeks is already days of work).
* :data:`MAX_SAFETY_FACTOR` — a safety factor or its shift is at most 1,000 standard
  deviations (``NetworkMPC.safety_factor``, the network env's ``z_range``,
  ``NetworkHybrid.z_max``).
* :data:`MAX_SEED` — a seed of a sampler (``tune(seed=...)``, ``hybridinv tune --seed``) is at most
  2**32 − 1, what numpy's legacy ``RandomState`` (Optuna's samplers) takes (``seed=2**40`` was numpy's raw
  "Seed must be between 0 and 2**32 - 1").
* :data:`MAX_WEIGHT` — a number of a reward spec (a cost weight, ``scale``, a carbon, profit or
  service term) and a repair's ``under_weight`` / ``over_weight`` are at most 1e12: weighted costs
  of quantities and costs within the bounds above then stay finite (a holding weight of 1e308
  overflowed to ``inf`` in the rewards, a repair weight of 1e300 the repair's objective).
* :data:`MAX_LOG_PERIOD`, :data:`MAX_LOG_VALUE` — a monitoring log's period number is at most 2**53 (whole
  floats above it alias) and its values (demand, served, cost, ... — totals over all SKUs, so above the
  per-SKU :data:`MAX_QUANTITY`) at most 1e15 (1e308 demand or a period of 1e300 were accepted, and the sums
  overflowed to ``inf``).
"""

from __future__ import annotations

__all__ = [
    "MAX_COST", "MAX_EPISODES", "MAX_LEAD_TIME", "MAX_LOG_PERIOD", "MAX_LOG_VALUE", "MAX_ORDER", "MAX_PERIODS",
    "MAX_QUANTITY", "MAX_SAFETY_FACTOR", "MAX_SEED", "MAX_SHELF_LIFE", "MAX_VOLUME", "MAX_WEIGHT",
]

#: Longest lead time, lead-time standard deviation and pipeline slot, in periods.
MAX_LEAD_TIME: int = 520
#: Largest quantity in one input cell, in units.
MAX_QUANTITY: float = 1e12
#: Largest money amount in one catalog or network cost cell (a cost or price per unit, or a fixed cost per order).
MAX_COST: float = 1e12
#: Largest space one unit takes (a catalog's ``volume``), in the capacity's units.
MAX_VOLUME: float = 1e12
#: Largest order a policy may return to plan(), in units.
MAX_ORDER: float = 1e15
#: Longest shelf life, in periods.
MAX_SHELF_LIFE: int = 1000
#: Longest demand history or decision log, in periods (first to last).
MAX_PERIODS: int = 100_000
#: Most episodes (seeds) in one simulation call.
MAX_EPISODES: int = 1_000_000
#: Largest safety factor or safety-factor shift, in standard deviations (``NetworkMPC.safety_factor``, the network
#: env's ``z_range``, ``NetworkHybrid.z_max``): beyond any service level; 1e300 gave levels of 5e300 units.
MAX_SAFETY_FACTOR: float = 1e3
#: Largest seed of a sampler (numpy's legacy RandomState, which Optuna's samplers use, takes seeds below 2**32).
MAX_SEED: int = 2**32 - 1
#: Largest number in a reward spec (a weight, the scale, a carbon, profit or service term) and repair weight.
MAX_WEIGHT: float = 1e12
#: Largest period number of a monitoring log or observation (whole floats above 2**53 alias).
MAX_LOG_PERIOD: int = 2**53
#: Largest value of a monitoring log or observation (totals over all SKUs: above the per-SKU MAX_QUANTITY).
MAX_LOG_VALUE: float = 1e15
