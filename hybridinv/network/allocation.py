"""Balanced (fair-share) allocation of a parent's stock to its children, for all SKUs at once.

When the children of a location request more of a SKU than the location holds, each
child gets a share proportional to its request: ``floor(request * available / total)``,
and the units still left go one each to the children with the largest remainders
(ties to the earlier child). The result is whole, at most the request, and the
children of a parent never get more than its on-hand in total. Where the stock covers
every request, every request is shipped in full. With one child (a serial chain) the
allocation is ``min(request, available)``.

The computation is vectorized over parents, children and SKUs: the children of each
parent are laid out in a padded (parents, max children) table once, and the remainders
are ranked with one ``argsort`` along the children axis.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.network.model import Network

__all__ = ["FairShare", "fair_share"]


class FairShare:
    """Fair-share allocation for one network (the padded child table is built once).

    Parameters
    ----------
    network : Network

    Examples
    --------
    >>> net = Network.one_warehouse(3, warehouse_lead_time=1, store_lead_times=1)
    >>> requests = np.array([[4.0], [4.0], [2.0]])             # stores 1..3, one SKU
    >>> FairShare(net)(requests, np.array([[5.0], [0.0], [0.0], [0.0]])).ravel().tolist()
    [2.0, 2.0, 1.0]
    """

    def __init__(self, network: Network) -> None:
        self.network = network
        parent = network.parent[network.non_roots]  # parent of each request row
        self._parent = parent
        owners = np.unique(parent)
        counts = np.bincount(parent, minlength=network.n_locations)[owners]
        width = int(counts.max()) if owners.size else 0
        # groups[g, c] = request row of the c-th child of the g-th parent (-1: padding)
        groups = np.full((owners.size, width), -1, dtype=np.int64)
        order = np.argsort(parent, kind="stable")
        starts = np.cumsum(counts) - counts
        slot = np.arange(order.size) - np.repeat(starts, counts)
        groups[np.repeat(np.arange(owners.size), counts), slot] = order
        self._owners = owners
        self._groups = np.maximum(groups, 0)
        self._valid = groups >= 0

    def __call__(self, requests: ArrayLike, available: ArrayLike) -> NDArray[np.float64]:
        """Shipments of shape (non-roots, SKUs).

        Parameters
        ----------
        requests : array (non-roots, SKUs)
            Units each non-root location asks its parent for (rounded to whole units;
            negative requests count as 0).
        available : array (locations, SKUs)
            Units each location can ship (its on-hand; rounded down to whole units).
        """
        network = self.network
        want = np.maximum(np.rint(np.asarray(requests, dtype=np.float64)), 0.0)
        have = np.maximum(np.floor(np.asarray(available, dtype=np.float64) + 1e-9), 0.0)
        if want.shape[0] != network.non_roots.size or have.shape != (network.n_locations, want.shape[1]):
            raise PlanningError(
                f"requests must be (non-roots={network.non_roots.size}, n) and available (locations="
                f"{network.n_locations}, n), got {want.shape} and {have.shape}", column="requests"
            )
        total = np.einsum("pk,kn->pn", network.ship_from, want)
        scarce = total > have
        if not scarce.any():
            return want
        ratio = np.where(scarce, have / np.where(scarce, total, 1.0), 1.0)
        exact = want * ratio[self._parent]
        base = np.minimum(np.floor(exact + 1e-9), want)
        left = np.where(scarce, have - np.einsum("pk,kn->pn", network.ship_from, base), 0.0)
        # rank each child's remainder among its siblings (largest first, ties to the earlier child)
        remainder = np.where(self._valid[:, :, None], (exact - base)[self._groups], -np.inf)
        order = np.argsort(-remainder, axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.broadcast_to(np.arange(order.shape[1])[None, :, None], order.shape), axis=1)
        bonus = (rank < left[self._owners][:, None, :]) & self._valid[:, :, None]
        extra = np.zeros_like(base)
        extra[self._groups[self._valid]] = bonus[self._valid]
        return np.minimum(base + extra, want)


def fair_share(network: Network, requests: ArrayLike, available: ArrayLike) -> NDArray[np.float64]:
    """:class:`FairShare` for a single call (see there)."""
    return FairShare(network)(requests, available)
