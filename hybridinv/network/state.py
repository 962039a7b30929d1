"""Network costs, states and inventory positions, as arrays of shape (locations, SKUs).

**Installation inventory position** of location ``i``: on-hand + units in transit to
``i`` − backorders at ``i`` (backorders exist only at stores). **Echelon inventory
position**: the installation positions summed over ``i``'s subtree (``i`` and every
location below it), which counts the units in transit to ``i`` and to every location
below it. Both are computed for all locations and SKUs at once; the echelon position
is one product with the network's subtree-incidence matrix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._frame import COST_LIMIT_NAME, number_array
from hybridinv.core.errors import number_in, whole_number
from hybridinv.core.limits import MAX_COST
from hybridinv.network.model import LocationError, Network

__all__ = [
    "NetworkCosts",
    "NetworkDecision",
    "NetworkObservation",
    "NetworkState",
    "echelon_position",
    "installation_position",
]


def installation_position(
    on_hand: NDArray[np.float64], pipeline: NDArray[np.float64], backorders: NDArray[np.float64]
) -> NDArray[np.float64]:
    """On-hand + in transit − backorders, shape (locations, SKUs); ``pipeline`` is (locations, SKUs, slots)."""
    return on_hand + pipeline.sum(axis=2) - backorders


def echelon_position(network: Network, installation: NDArray[np.float64]) -> NDArray[np.float64]:
    """Installation positions summed over each location's subtree, shape (locations, SKUs).

    Examples
    --------
    >>> net = Network.serial(3, lead_times=1)        # stage_3 -> stage_2 -> stage_1
    >>> echelon_position(net, np.array([[5.0], [3.0], [-1.0]])).ravel().tolist()
    [7.0, 2.0, -1.0]
    """
    return np.einsum("ij,jn->in", network.subtree, installation)


def _broadcast(
    values: ArrayLike, shape: tuple[int, int], column: str, names: tuple[str, ...] = (), skus: tuple[str, ...] = (),
    maximum: float = math.inf,
) -> NDArray[np.float64]:
    """``values`` broadcast to (locations, SKUs): a number, per SKU (n,), per location (L, 1) or (L, n).

    Finite and >= 0; a finite ``maximum`` is a money bound (:data:`~hybridinv.core.limits.MAX_COST`, named
    in the message). An error names the location (from ``names``; none for per-SKU values) and the SKU
    (from ``skus``).
    """
    arr = number_array(values, column)  # "2" was read as 2, True as 1, "no" was a bare ValueError
    try:
        out = np.broadcast_to(arr, shape).copy()
    except ValueError:
        raise LocationError(
            f"cannot broadcast shape {arr.shape} to (locations, SKUs) = {shape}: give a number, one value per "
            "SKU (n,), one per location (L, 1) or one per location and SKU (L, n)",
            column=column,
        ) from None
    bad = ~np.isfinite(out) | (out < 0)
    if bad.any():
        loc, sku = (int(v[0]) for v in np.nonzero(bad))
        raise LocationError("must be finite and >= 0" + ("" if skus else f" (sku index {sku})"), column=column,
                            location=names[loc] if names else None, sku=skus[sku] if skus else None,
                            value=float(out[loc, sku]))
    high = out > maximum
    if high.any():
        loc, sku = (int(v[0]) for v in np.nonzero(high))
        raise LocationError(f"must be <= {maximum:g}{COST_LIMIT_NAME}", column=column,
                            location=names[loc] if names else None, sku=skus[sku] if skus else None,
                            value=float(out[loc, sku]))
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class NetworkCosts:
    """Cost and volume data of the SKUs at every location, arrays of shape (locations, SKUs).

    Build it with :meth:`build`, which broadcasts numbers, per-SKU vectors (n,),
    per-location columns (L, 1) and full (L, n) arrays.

    Attributes
    ----------
    holding_cost : (L, n)
        ``[h]`` per unit of end-of-period on-hand at the location, per period.
    transit_holding_cost : (L, n)
        Per unit in transit *to* the location at the end of a period (0 by default;
        textbooks charge the parent's rate on the units travelling to a stage).
    shortage_cost : (L, n)
        ``[p]`` at the stores: per lost unit (lost sales) or per unit backordered at the
        end of a period (backorders). Unused at other locations.
    unit_cost : (n,)
        Purchase cost per unit ordered from a supplier; counts against the budget.
    order_cost : (n,)
        ``[K]`` fixed cost per supplier order line (SKU with a positive order at a root).
    shipment_cost : (L, n)
        Fixed cost per shipment line into the location (positive shipment of a SKU).
    volume : (n,)
        Space per unit, for the capacities.
    overflow_cost : float
        Per unit rejected at receipt because the location is full.
    skus : tuple of str
        SKU names (``"0"``, ``"1"``, ... by default), for messages and reports.
    """

    holding_cost: NDArray[np.float64]
    transit_holding_cost: NDArray[np.float64]
    shortage_cost: NDArray[np.float64]
    unit_cost: NDArray[np.float64]
    order_cost: NDArray[np.float64]
    shipment_cost: NDArray[np.float64]
    volume: NDArray[np.float64]
    overflow_cost: float = 0.0
    skus: tuple[str, ...] = field(default=())

    @property
    def n_skus(self) -> int:
        return int(self.unit_cost.size)

    @classmethod
    def build(
        cls,
        network: Network,
        n_skus: int,
        *,
        holding_cost: ArrayLike = 1.0,
        shortage_cost: ArrayLike = 9.0,
        unit_cost: ArrayLike = 0.0,
        order_cost: ArrayLike = 0.0,
        transit_holding_cost: ArrayLike = 0.0,
        shipment_cost: ArrayLike = 0.0,
        volume: ArrayLike = 1.0,
        overflow_cost: float = 0.0,
        skus: tuple[str, ...] | None = None,
    ) -> NetworkCosts:
        """Broadcast the cost data to (locations, SKUs) and validate it.

        Every value finite and >= 0, the costs (all but ``volume``) at most
        :data:`~hybridinv.core.limits.MAX_COST` (1e12), as in a :class:`~hybridinv.Catalog`.
        """
        shape = (network.n_locations, whole_number(n_skus, "n_skus", 1, error=LocationError))  # "3" read, 2.5 cut
        if skus is not None and (isinstance(skus, str) or not isinstance(skus, Sequence | np.ndarray)):
            raise LocationError("must be a list of SKU names", column="sku", value=skus)  # a TypeError, "AB" 2 SKUs
        names = tuple(str(s) for s in skus) if skus is not None else tuple(str(i) for i in range(shape[1]))
        if len(names) != shape[1]:
            raise LocationError(f"expected {shape[1]} SKU names, got {len(names)}", column="sku")
        per_sku = {
            name: _broadcast(value, (1, shape[1]), name, skus=names, maximum=limit)[0]
            for name, value, limit in (("unit_cost", unit_cost, MAX_COST), ("order_cost", order_cost, MAX_COST),
                                       ("volume", volume, math.inf))
        }
        # text was a TypeError, True read as 1
        overflow_cost = number_in(overflow_cost, "overflow_cost", 0.0, MAX_COST, error=LocationError)
        per_cell = {
            name: _broadcast(value, shape, name, network.names, names, maximum=MAX_COST)
            for name, value in (("holding_cost", holding_cost), ("transit_holding_cost", transit_holding_cost),
                                ("shortage_cost", shortage_cost), ("shipment_cost", shipment_cost))
        }
        return cls(
            **per_cell,
            overflow_cost=overflow_cost,
            skus=names,
            **per_sku,
        )


@dataclass(frozen=True, eq=False)
class NetworkState:
    """Stock of every SKU at every location at the start of a period.

    Attributes
    ----------
    on_hand : (L, n)
        Usable stock.
    pipeline : (L, n, slots)
        Units in transit to each location by periods until arrival: ``pipeline[..., k]``
        arrives at the start of the period ``k`` periods from now (``k = 0``: this
        period, received before the decisions). In an observation slot 0 is empty (this
        period's arrivals are already on hand).
    backorders : (L, n)
        Unmet customer demand waiting at the stores (0 elsewhere and under lost sales).
    """

    on_hand: NDArray[np.float64]
    pipeline: NDArray[np.float64]
    backorders: NDArray[np.float64]

    @classmethod
    def zeros(cls, network: Network, n_skus: int) -> NetworkState:
        """Nothing anywhere."""
        shape = (network.n_locations, int(n_skus))
        return cls(np.zeros(shape), np.zeros((*shape, network.max_lead_time + 1)), np.zeros(shape))

    @classmethod
    def build(
        cls,
        network: Network,
        n_skus: int,
        on_hand: ArrayLike = 0.0,
        pipeline: ArrayLike | None = None,
        backorders: ArrayLike = 0.0,
    ) -> NetworkState:
        """Broadcast and validate a state (whole numbers >= 0; backorders only at stores; ``n_skus`` >= 1, whole)."""
        # 2.5 SKUs was cut to 2, "3" read as 3 and True as 1 (as NetworkCosts.build refuses them)
        shape = (network.n_locations, whole_number(n_skus, "n_skus", 1, error=LocationError))
        stock = _whole(_broadcast(on_hand, shape, "on_hand", network.names), "on_hand", network.names)
        back = _whole(_broadcast(backorders, shape, "backorders", network.names), "backorders", network.names)
        network.check_backorders(back)
        slots = network.max_lead_time + 1
        pipe = np.zeros((*shape, slots))
        if pipeline is not None:
            given = number_array(pipeline, "pipeline")  # text was numpy's bare ValueError
            if given.ndim != 3 or given.shape[:2] != shape or given.shape[2] > slots:
                raise LocationError(f"pipeline must have shape (locations, SKUs, <= {slots}), got {given.shape}",
                                    column="pipeline")
            pipe[..., : given.shape[2]] = given
            _whole(pipe, "pipeline", network.names)
        return cls(stock, pipe, back)


@dataclass(frozen=True, eq=False)
class NetworkObservation(NetworkState):
    """What a policy sees at the start of period ``t``, after this period's arrivals are received.

    Besides the state (``pipeline[..., 0]`` is empty: this period's arrivals are on hand),
    it carries both positions, shape (locations, SKUs):

    - ``installation_position``: on-hand + in transit to the location − its backorders;
    - ``echelon_position``: installation positions summed over the location's subtree.
    """

    t: int = 0
    network: Network | None = None
    installation_position: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    echelon_position: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))

    @classmethod
    def of(cls, network: Network, t: int, on_hand: NDArray[np.float64], pipeline: NDArray[np.float64],
           backorders: NDArray[np.float64]) -> NetworkObservation:
        """Build the observation (positions included) from copies of the state arrays."""
        installation = installation_position(on_hand, pipeline, backorders)
        return cls(on_hand, pipeline, backorders, t, network, installation, echelon_position(network, installation))

    @property
    def in_transit(self) -> NDArray[np.float64]:
        """Units in transit to each location, all slots together, shape (locations, SKUs)."""
        return self.pipeline.sum(axis=2)

    @property
    def echelon_stock(self) -> NDArray[np.float64]:
        """Echelon position without the units in transit to the location itself."""
        return self.echelon_position - self.in_transit


@dataclass(frozen=True, eq=False)
class NetworkDecision:
    """One period's decisions: what the roots buy and what the other locations receive.

    Attributes
    ----------
    supplier_orders : (roots, SKUs)
        Units each supplier-fed location orders (rows in ``network.roots`` order).
    shipments : (non-roots, SKUs)
        Units leaving each non-root location's parent for it this period (rows in
        ``network.non_roots`` order).
    requested : (non-roots, SKUs), optional
        What the policy wanted shipped before the parent's stock was allocated.
    """

    supplier_orders: NDArray[np.float64]
    shipments: NDArray[np.float64]
    requested: NDArray[np.float64] | None = None


def _whole(values: NDArray[np.float64], column: str, names: tuple[str, ...]) -> NDArray[np.float64]:
    bad = values != np.round(values)
    if bad.any() or not np.isfinite(values).all() or (values < 0).any():
        index = np.unravel_index(int(np.flatnonzero(bad | ~np.isfinite(values) | (values < 0))[0]), values.shape)
        raise LocationError("must be whole numbers >= 0", column=column, location=names[int(index[0])],
                            value=float(values[index]))
    return values
