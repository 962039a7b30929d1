"""The network hybrid: a shared linear map corrects echelon base-stock levels, the network repair decides.

:class:`NetworkHybrid` starts from echelon base-stock levels ``S`` (locations, SKUs) — the
base policy is :class:`~hybridinv.network.policies.EchelonBaseStock` with the same levels and
the same :class:`~hybridinv.network.repair.NetworkRepair` — and corrects them every period:

1. **Features** per location and SKU, all scale-free (:data:`NETWORK_HYBRID_FEATURES`): a bias,
   the echelon position relative to the base level, the installation position relative to the
   demand of ``L_i + 1`` periods, store or not, depth, lead time, the parent's stock cover
   (periods of the location's mean demand the parent holds; a root: its own), the load of the
   root's capacity (volume on hand and in transit over the capacity), the budget load (value of
   the base policy's supplier orders over the budget), the coefficient of variation of the
   demand below the location and the cost fractile ``p / (p + h)`` (above the stores: the
   stores' mean).
2. **Linear map** shared by all SKUs and locations: ``a = [x * store, x * (1 - store)] @ W``,
   ``W`` of shape (2 F, 2) (separate slopes for stores and the locations above them).
3. **Corrections**: a safety-factor shift ``dz = z_max tanh(a_0)`` and a forecast multiplier
   ``m = exp(log_multiplier_max tanh(a_1))`` change the location's own part of the level by
   ``dz sigma_i sqrt(c_i) + (m - 1) c_i mu_i`` (``c_i``: ``L_i + 1`` periods at a store,
   ``L_i`` above, as in :func:`~hybridinv.network.baselines.echelon_levels`); the echelon
   level of a location adds the corrections of its whole subtree.
4. **Decision**: each location wants ``max(0, ceil(level - echelon position))``; the wanted
   units go to the network repair (:func:`scenario_repair`: fast backend, the stores' mean
   demand as the expected demand of the capacity rows), which returns whole supplier
   orders and shipments within on-hand stock, capacities and budget. No decision is
   infeasible whatever the weights.

With ``W = 0`` the corrections are exactly 0 and the orders equal the base policy's.

Model files (:func:`save_network_hybrid`, :func:`load_network_hybrid`) follow the library's
conventions of :mod:`hybridinv.rl.integrity`: ``policy.npz`` (weights and base levels) and
``metadata.json`` with the SHA-256 of every file, verified before anything is parsed, numpy
read with ``allow_pickle=False``. See docs/multi_echelon.md (*The network hybrid*).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError
from hybridinv.network.repair import NetworkRepair
from hybridinv.network.scenarios import NetworkScenario
from hybridinv.network.state import NetworkDecision, NetworkObservation

__all__ = [
    "NETWORK_HYBRID_FEATURES",
    "NETWORK_HYBRID_OUTPUTS",
    "NETWORK_HYBRID_VERSION",
    "NetworkHybrid",
    "load_network_hybrid",
    "save_network_hybrid",
    "scenario_repair",
]

#: Features per location and SKU, in the order of the map's rows (stores first, then above).
NETWORK_HYBRID_FEATURES: tuple[str, ...] = (
    "bias", "echelon_position", "installation_position", "is_store", "depth", "lead_time", "parent_cover",
    "capacity_load", "budget_load", "demand_cv", "cost_fractile",
)
#: Outputs of the map per location and SKU.
NETWORK_HYBRID_OUTPUTS: tuple[str, ...] = ("safety_shift", "forecast_multiplier")
#: Version of the features, outputs and decisions (stored in model files; bump on any change).
#: 2: the repair's upstream capacity rows count the expected outflow (base decisions changed).
NETWORK_HYBRID_VERSION = 2
_POLICY_KIND = "network_hybrid"
_CLIP = 5.0


def scenario_repair(scenario: NetworkScenario, backend: str = "fast") -> NetworkRepair:
    """The network repair of a scenario's policies: its costs, the stores' mean demand as the expected demand.

    The expected demand sets the projected stock of the capacity rows
    (:func:`~hybridinv.network.repair_model.projected_stock`): at the stores their own demand
    before the receipt, upstream the outflow to the children before it. Without it an upstream
    row counts every unit as staying until the receipt and starves a warehouse whose capacity
    is near one period of throughput (docs/network_model.md).
    """
    return NetworkRepair(scenario.costs, expected_demand=np.asarray(scenario.demand.mean), backend=backend)


def _n_weights() -> tuple[int, int]:
    return 2 * len(NETWORK_HYBRID_FEATURES), len(NETWORK_HYBRID_OUTPUTS)


@dataclass(eq=False)
class NetworkHybrid:
    """Echelon base-stock levels corrected by a shared linear map, decisions by the network repair.

    Parameters
    ----------
    scenario : NetworkScenario
        Supplies the network, the costs and the mean and deviation of the demand.
    base_levels : array (locations, SKUs)
        Echelon levels of the base policy.
    weights : array (2 F, 2), optional
        The map (zeros: the base policy).
    repair : NetworkRepair, optional
        Default :func:`scenario_repair` (fast backend, the stores' mean demand as expected demand).
    z_max, log_multiplier_max : float
        Bounds of the safety-factor shift and of ``log`` of the forecast multiplier.
    """

    scenario: NetworkScenario
    base_levels: ArrayLike
    weights: ArrayLike | None = None
    repair: NetworkRepair | None = None
    z_max: float = 1.5
    log_multiplier_max: float = 0.5
    name: str = "network_hybrid"
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        scenario = self.scenario
        network = scenario.network
        shape = (network.n_locations, scenario.n_skus)
        base = np.asarray(self.base_levels, dtype=np.float64)
        if base.shape != shape or not np.isfinite(base).all():
            raise PlanningError(f"base levels must be finite with shape (locations, SKUs) = {shape}, got "
                                f"{base.shape}", column="base_levels")
        self.base_levels = base
        weights = np.zeros(_n_weights()) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        if weights.shape != _n_weights() or not np.isfinite(weights).all():
            raise PlanningError(f"weights must be finite with shape {_n_weights()}, got {weights.shape}",
                                column="weights")
        self.weights = weights
        if self.repair is None:
            self.repair = scenario_repair(scenario)
        self._prepare()

    # ------------------------------------------------------------------ constants
    def _prepare(self) -> None:
        scenario, network, costs = self.scenario, self.scenario.network, self.scenario.costs
        mean, std = scenario.location_demand()
        lead = network.lead_time.astype(np.float64)
        store = network.is_store.astype(np.float64)[:, None]
        cover = np.where(network.is_store, lead + 1.0, lead)[:, None]
        stores = network.stores
        p, h = costs.shortage_cost, costs.holding_cost
        store_fractile = p[stores] / np.maximum(p[stores] + h[stores], 1e-12)
        fractile = np.broadcast_to(store_fractile.mean(axis=0), mean.shape).copy()
        fractile[stores] = store_fractile
        root_of = np.argmax(network.subtree[network.roots], axis=0)  # index into roots of each location's root
        constant = np.zeros((*mean.shape, len(NETWORK_HYBRID_FEATURES)))
        constant[..., 0] = 1.0
        constant[..., 3] = store
        constant[..., 4] = (network.depth / max(int(network.depth.max()), 1))[:, None]
        constant[..., 5] = (lead / max(float(lead.max()), 1.0))[:, None]
        constant[..., 9] = np.clip(std / np.maximum(mean, 1e-9), 0.0, _CLIP)
        constant[..., 10] = fractile
        self._cache = {
            "mean": mean, "store": store, "constant": constant, "root_of": network.roots[root_of],
            "safety_unit": std * np.sqrt(cover), "cycle": cover * mean,
            "installation_scale": np.maximum((lead[:, None] + 1.0) * mean, 1.0),
            "echelon_scale": np.maximum(np.asarray(self.base_levels), 1.0),
            "parent": np.where(network.parent >= 0, network.parent, np.arange(network.n_locations)),
        }

    # ------------------------------------------------------------------ features and levels
    def features(self, obs: NetworkObservation) -> NDArray[np.float64]:
        """Scale-free features (locations, SKUs, F), :data:`NETWORK_HYBRID_FEATURES`."""
        cache, network, costs = self._cache, self.scenario.network, self.scenario.costs
        base = np.asarray(self.base_levels)
        x = cache["constant"].copy()
        x[..., 1] = obs.echelon_position / cache["echelon_scale"] - 1.0
        x[..., 2] = obs.installation_position / cache["installation_scale"] - 1.0
        x[..., 6] = obs.on_hand[cache["parent"]] / np.maximum(cache["mean"], 1e-9)
        held = (obs.on_hand + obs.in_transit) @ costs.volume
        load = np.where(np.isfinite(network.capacity), held / network.capacity, 0.0)
        x[..., 7] = load[cache["root_of"]][:, None]
        if np.isfinite(network.budget):
            wanted = np.maximum(np.ceil(base - obs.echelon_position - 1e-9), 0.0)[network.roots]
            x[..., 8] = float(costs.unit_cost @ wanted.sum(axis=0)) / network.budget
        return np.clip(x, -_CLIP, _CLIP)

    def corrections(self, obs: NetworkObservation) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Safety-factor shift and forecast multiplier per location and SKU."""
        x = self.features(obs)
        store = self._cache["store"][..., None]
        inputs = np.concatenate([x * store, x * (1.0 - store)], axis=-1)
        a = inputs @ np.asarray(self.weights)
        return self.z_max * np.tanh(a[..., 0]), np.exp(self.log_multiplier_max * np.tanh(a[..., 1]))

    def levels(self, obs: NetworkObservation) -> NDArray[np.float64]:
        """Corrected echelon levels (locations, SKUs): the base plus the subtree's corrections."""
        shift, multiplier = self.corrections(obs)
        own = shift * self._cache["safety_unit"] + (multiplier - 1.0) * self._cache["cycle"]
        return np.asarray(self.base_levels) + self.scenario.network.subtree @ own

    def act(self, obs: NetworkObservation) -> NetworkDecision:
        """Wanted units ``max(0, ceil(level - echelon position))``, repaired into feasible decisions."""
        network = self.scenario.network
        wanted = np.maximum(np.ceil(self.levels(obs) - obs.echelon_position - 1e-9), 0.0)
        assert self.repair is not None
        result = self.repair(network, obs, wanted)
        return NetworkDecision(result.supplier_orders, result.shipments, wanted[network.non_roots])

    def with_weights(self, weights: ArrayLike) -> NetworkHybrid:
        """The same hybrid (base levels, repair, bounds) with other weights."""
        return NetworkHybrid(self.scenario, np.asarray(self.base_levels), np.reshape(weights, _n_weights()),
                             self.repair, self.z_max, self.log_multiplier_max, self.name)


# ---------------------------------------------------------------------- model files
def save_network_hybrid(directory: str | Path, hybrid: NetworkHybrid, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``policy.npz`` (weights, base levels) and ``metadata.json`` (with SHA-256 of every file)."""
    from hybridinv.rl.integrity import write_metadata

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, weights=np.asarray(hybrid.weights), base_levels=np.asarray(hybrid.base_levels))
    (directory / "policy.npz").write_bytes(buffer.getvalue())
    meta = {
        **(metadata or {}),
        "policy": _POLICY_KIND, "version": NETWORK_HYBRID_VERSION, "weights_file": "policy.npz",
        "features": list(NETWORK_HYBRID_FEATURES), "outputs": list(NETWORK_HYBRID_OUTPUTS),
        "scenario": hybrid.scenario.name, "shape": [hybrid.scenario.n_locations, hybrid.scenario.n_skus],
        "z_max": hybrid.z_max, "log_multiplier_max": hybrid.log_multiplier_max,
        "parameterization": "echelon_correction", "parameter_map": "linear", "learner": "es",
    }
    write_metadata(directory, meta)
    return directory


def load_network_hybrid(directory: str | Path, scenario: NetworkScenario,
                        repair: NetworkRepair | None = None) -> NetworkHybrid:
    """Load a network hybrid for ``scenario``, every file's SHA-256 checked before parsing.

    Raises
    ------
    hybridinv.rl.integrity.ModelFileError
        On a missing, unlisted or altered file, another policy kind or feature version, or a
        model of another shape.
    """
    from hybridinv.rl.integrity import ModelFileError, check_unpacked_size, read_metadata, verify_model_files

    directory = Path(directory)
    meta = read_metadata(directory)
    if meta.get("policy") != _POLICY_KIND or meta.get("version") != NETWORK_HYBRID_VERSION \
            or meta.get("features") != list(NETWORK_HYBRID_FEATURES):
        raise ModelFileError(f"{directory}: not a network hybrid of version {NETWORK_HYBRID_VERSION} "
                             "with the installed features; retrain it")
    payload = verify_model_files(directory, meta, load=["policy.npz"])["policy.npz"]
    check_unpacked_size(payload, directory / "policy.npz")
    with np.load(io.BytesIO(payload), allow_pickle=False) as data:
        weights, base = np.array(data["weights"]), np.array(data["base_levels"])
    if base.shape != (scenario.n_locations, scenario.n_skus):
        raise ModelFileError(f"{directory}: base levels of shape {base.shape} do not fit the scenario "
                             f"({scenario.n_locations}, {scenario.n_skus})")
    return NetworkHybrid(scenario, base, weights, repair, float(meta["z_max"]), float(meta["log_multiplier_max"]))
