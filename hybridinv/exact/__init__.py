"""Exact single-SKU solvers: benchmarks and bounds for the heuristic and learned policies.

* :func:`optimal_ss`, :func:`ss_cost` - periodic-review (s, S) with backorders and zero
  lead time, by Zheng and Federgruen (1991).
* :func:`best_base_stock`, :func:`base_stock_cost` - base-stock levels with lead time,
  backorders (closed form) or lost sales (exact Markov chain).
* :func:`lost_sales_optimal` - the optimal lost-sales policy with lead time by relative
  value iteration (Zipkin 2008), returning a :class:`LostSalesResult`.
* :func:`lost_sales_fixed_cost_optimal` - the optimal lost-sales policy with lead time and a
  fixed cost per order; :func:`lost_sales_ss_cost` and :func:`best_lost_sales_ss` - exact
  cost and best (s, S) policy of the same model (Bijvank, Bhulai and Huh 2015).
* :func:`lost_sales_policy_cost` - the exact average cost of *any* stationary lost-sales
  policy (e.g. a learned one) from its stationary distribution.
* :func:`serial_echelon_base_stock`, :func:`serial_echelon_base_stock_cost` - the optimal
  echelon base-stock levels of an N-stage serial chain with backorders (Clark and Scarf
  1960, by the exact algorithm of Chen and Zheng 1994) and the exact cost of any levels,
  returning a :class:`SerialBaseStockResult`.

All solvers take Poisson demand by default or any discrete pmf (the serial solver also
normal demand), and share the timing
of the library's simulator: order, receive what is due, serve demand, charge costs on
end-of-period stock; lead time ``L`` means an order placed in period ``t`` is usable in
period ``t + L``. See ``docs/exact.md``.
"""

from __future__ import annotations

from hybridinv.exact.base_stock import base_stock_cost, best_base_stock, lead_time_demand
from hybridinv.exact.lost_sales import LostSalesResult, lost_sales_optimal
from hybridinv.exact.lost_sales_fixed import best_lost_sales_ss, lost_sales_fixed_cost_optimal, lost_sales_ss_cost
from hybridinv.exact.policy_cost import PolicyEvaluation, lost_sales_policy_cost
from hybridinv.exact.serial import SerialBaseStockResult, serial_echelon_base_stock, serial_echelon_base_stock_cost
from hybridinv.exact.ss import optimal_ss, ss_cost

__all__ = [
    "LostSalesResult",
    "PolicyEvaluation",
    "SerialBaseStockResult",
    "base_stock_cost",
    "best_base_stock",
    "best_lost_sales_ss",
    "lead_time_demand",
    "lost_sales_fixed_cost_optimal",
    "lost_sales_optimal",
    "lost_sales_policy_cost",
    "lost_sales_ss_cost",
    "optimal_ss",
    "serial_echelon_base_stock",
    "serial_echelon_base_stock_cost",
    "ss_cost",
]
