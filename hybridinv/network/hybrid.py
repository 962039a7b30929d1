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
2. **Map** shared by all SKUs and locations, an action ``u`` in ``[-1, 1]^2`` per location and
   SKU (:meth:`NetworkHybrid.action`): the linear map ``u = tanh([x * store, x * (1 - store)] @ W)``,
   ``W`` of shape (2 F, 2) (separate slopes for stores and the locations above them), trained by
   ES; or a :class:`~hybridinv.rl.maps.NetworkMap` (``parameter_map``), the per-item Deep Sets
   network of :mod:`hybridinv.rl.numpy_policy` with the (location, SKU) pairs as its items,
   trained by PPO or SAC (:mod:`hybridinv.network.sb3_training`).
3. **Corrections**: a safety-factor shift ``dz = z_max u_0`` and a forecast multiplier
   ``m = exp(log_multiplier_max u_1)`` change the location's own part of the level by
   ``dz sigma_i sqrt(c_i) + (m - 1) c_i mu_i`` (``c_i``: ``L_i + 1`` periods at a store,
   ``L_i`` above, as in :func:`~hybridinv.network.baselines.echelon_levels`); the echelon
   level of a location adds the corrections of its whole subtree.
4. **Decision**: each location wants ``max(0, ceil(level - echelon position))``; the wanted
   units go to the network repair (:func:`scenario_repair`: fast backend, the stores' mean
   demand as the expected demand of the capacity rows), which returns whole supplier
   orders and shipments within on-hand stock, capacities and budget. No decision is
   infeasible whatever the weights.

With ``W = 0`` (or a network whose output layer is zero) the corrections are exactly 0 and the
orders equal the base policy's. :meth:`NetworkHybrid.decide` takes the action from outside (the
training environment :mod:`hybridinv.network.hybrid_env`).

Model files (:func:`save_network_hybrid`, :func:`load_network_hybrid`) follow the library's
conventions of :mod:`hybridinv.rl.integrity`: ``policy.npz`` (the linear weights or the
network's layers, and the base levels) and ``metadata.json`` with the SHA-256 of every file,
verified before anything is parsed, numpy read with ``allow_pickle=False``; the metadata records
``parameter_map`` (``linear``, ``network``) and ``learner`` (``es``, ``ppo``, ``sac``). See
docs/multi_echelon.md (*The network hybrid*).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import PlanningError, number_in
from hybridinv.core.limits import MAX_SAFETY_FACTOR
from hybridinv.network.repair import NetworkRepair
from hybridinv.network.scenarios import NetworkScenario
from hybridinv.network.state import NetworkDecision, NetworkObservation

if TYPE_CHECKING:
    from hybridinv.rl.maps import NetworkMap

__all__ = [
    "MAX_LOG_MULTIPLIER",
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
#: Largest ``log_multiplier_max``: a forecast multiplier of at most e^20 (4.9e8).
MAX_LOG_MULTIPLIER: float = 20.0
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
        The linear map (zeros: the base policy); unused when ``parameter_map`` is given.
    repair : NetworkRepair, optional
        Default :func:`scenario_repair` (fast backend, the stores' mean demand as expected demand).
    z_max, log_multiplier_max : float
        Bounds of the safety-factor shift (in ``[0, 1000]``, ``MAX_SAFETY_FACTOR``) and of ``log`` of the
        forecast multiplier (in ``[0, 20]``: a multiplier of at most ``e^20``, 4.9e8); 0 turns a correction off.
    name : str
    parameter_map : NetworkMap, optional
        A network map (``F`` features and 2 actions per item, no global features) used instead
        of the linear map; its items are the (location, SKU) pairs, location by location.
    learner : {"es", "ppo", "sac"}
        What trained the map (recorded in model files).
    """

    scenario: NetworkScenario
    base_levels: ArrayLike
    weights: ArrayLike | None = None
    repair: NetworkRepair | None = None
    z_max: float = 1.5
    log_multiplier_max: float = 0.5
    name: str = "network_hybrid"
    parameter_map: NetworkMap | None = None
    learner: str = "es"
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # a negative bound mirrored the corrections, NaN or 1e300 gave NaN or 1e300-unit levels at the first period
        self.z_max = number_in(self.z_max, "z_max", 0.0, MAX_SAFETY_FACTOR)
        self.log_multiplier_max = number_in(self.log_multiplier_max, "log_multiplier_max", 0.0, MAX_LOG_MULTIPLIER)
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
        network_map = self.parameter_map
        if network_map is not None:
            widths = (network_map.network.n_sku_features, network_map.network.n_global_features,
                      network_map.network.n_actions)
            expected = (len(NETWORK_HYBRID_FEATURES), 0, len(NETWORK_HYBRID_OUTPUTS))
            if widths != expected:
                raise PlanningError(f"the network map must have (features, global features, actions) = {expected}, "
                                    f"got {widths}", column="parameter_map")
        from hybridinv.rl.model_file import LEARNERS

        if self.learner not in LEARNERS:
            raise PlanningError(f"must be one of {LEARNERS}", column="learner", value=self.learner)
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

    def action(self, obs: NetworkObservation) -> NDArray[np.float64]:
        """The map's action in ``[-1, 1]`` per location, SKU and output, shape (locations, SKUs, 2)."""
        x = self.features(obs)
        if self.parameter_map is not None:
            flat = self.parameter_map.action(x.reshape(-1, x.shape[-1]), None)
            return np.asarray(flat, dtype=np.float64).reshape(*x.shape[:-1], len(NETWORK_HYBRID_OUTPUTS))
        store = self._cache["store"][..., None]
        inputs = np.concatenate([x * store, x * (1.0 - store)], axis=-1)
        return np.tanh(inputs @ np.asarray(self.weights))

    def corrections(self, obs: NetworkObservation,
                    action: ArrayLike | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Safety-factor shift and forecast multiplier per location and SKU (of ``action``, default the map's)."""
        u = self.action(obs) if action is None else np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        return self.z_max * u[..., 0], np.exp(self.log_multiplier_max * u[..., 1])

    def levels(self, obs: NetworkObservation, action: ArrayLike | None = None) -> NDArray[np.float64]:
        """Corrected echelon levels (locations, SKUs): the base plus the subtree's corrections."""
        shift, multiplier = self.corrections(obs, action)
        own = shift * self._cache["safety_unit"] + (multiplier - 1.0) * self._cache["cycle"]
        return np.asarray(self.base_levels) + self.scenario.network.subtree @ own

    def decide(self, obs: NetworkObservation, action: ArrayLike) -> NetworkDecision:
        """The decision of an action (locations, SKUs, 2) in ``[-1, 1]`` (clipped): wanted units, repaired."""
        network = self.scenario.network
        wanted = np.maximum(np.ceil(self.levels(obs, action) - obs.echelon_position - 1e-9), 0.0)
        assert self.repair is not None
        result = self.repair(network, obs, wanted)
        return NetworkDecision(result.supplier_orders, result.shipments, wanted[network.non_roots])

    def act(self, obs: NetworkObservation) -> NetworkDecision:
        """Wanted units ``max(0, ceil(level - echelon position))``, repaired into feasible decisions."""
        return self.decide(obs, self.action(obs))

    def with_weights(self, weights: ArrayLike) -> NetworkHybrid:
        """The same hybrid (base levels, repair, bounds, learner) with the linear map ``weights``."""
        return NetworkHybrid(self.scenario, np.asarray(self.base_levels), np.reshape(weights, _n_weights()),
                             self.repair, self.z_max, self.log_multiplier_max, self.name, learner=self.learner)

    def with_map(self, parameter_map: NetworkMap, learner: str) -> NetworkHybrid:
        """The same hybrid (base levels, repair, bounds) with a network map trained by ``learner``."""
        return NetworkHybrid(self.scenario, np.asarray(self.base_levels), None, self.repair, self.z_max,
                             self.log_multiplier_max, self.name, parameter_map, learner)


# ---------------------------------------------------------------------- model files
def save_network_hybrid(directory: str | Path, hybrid: NetworkHybrid, metadata: dict[str, Any] | None = None) -> Path:
    """Write the model folder: ``policy.npz`` (the map's arrays, base levels) and ``metadata.json`` (SHA-256s).

    The folder is written whole (:func:`~hybridinv.rl.integrity.write_model_directory`): an
    earlier model there is replaced, a folder holding anything else refused.

    The metadata records the composition: ``parameterization: echelon_correction``,
    ``parameter_map`` (``linear`` or ``network``, then with ``network_output`` and the
    network's widths) and ``learner``.
    """
    from hybridinv.rl.integrity import write_model_directory

    directory = Path(directory)
    network_map = hybrid.parameter_map
    arrays = {"weights": np.asarray(hybrid.weights)} if network_map is None else network_map.arrays()
    buffer = io.BytesIO()
    np.savez(buffer, base_levels=np.asarray(hybrid.base_levels), **arrays)  # type: ignore[arg-type]
    meta = {
        **(metadata or {}),
        "policy": _POLICY_KIND, "version": NETWORK_HYBRID_VERSION, "weights_file": "policy.npz",
        "features": list(NETWORK_HYBRID_FEATURES), "outputs": list(NETWORK_HYBRID_OUTPUTS),
        "scenario": hybrid.scenario.name, "shape": [hybrid.scenario.n_locations, hybrid.scenario.n_skus],
        "locations": list(hybrid.scenario.network.names), "skus": list(hybrid.scenario.costs.skus),
        "tree": _tree(hybrid.scenario.network),
        "z_max": hybrid.z_max, "log_multiplier_max": hybrid.log_multiplier_max,
        "parameterization": "echelon_correction", "parameter_map": "linear" if network_map is None else "network",
        "learner": hybrid.learner,
    }
    if network_map is not None:
        net = network_map.network
        meta["network_output"] = network_map.output_metadata()
        meta["network"] = {"n_sku_features": net.n_sku_features, "n_global_features": net.n_global_features,
                           "n_actions": net.n_actions, "hidden": net.hidden}
    write_model_directory(directory, {"policy.npz": buffer.getvalue()}, meta)
    return directory


def _network_map(arrays: dict[str, NDArray[np.float64]], meta: dict[str, Any], directory: Path) -> NetworkMap:
    """The network map of a model file's arrays (``ModelFileError`` when they do not make one)."""
    from hybridinv.rl.integrity import ModelFileError
    from hybridinv.rl.maps import SQUASHES, NetworkMap
    from hybridinv.rl.numpy_policy import SharedPolicyNetwork

    output = meta.get("network_output")
    output = output if isinstance(output, dict) else {}
    squash = output.get("squash")
    if squash not in SQUASHES or output.get("low") is not None or output.get("high") is not None:
        raise ModelFileError(f"{directory}: network_output must name a squash in {SQUASHES} and no bounds")
    try:
        return NetworkMap(SharedPolicyNetwork(arrays), squash=str(squash))
    except ValueError as exc:
        raise ModelFileError(f"{directory}: invalid network weights ({exc})") from exc


def _tree(network: Any) -> dict[str, list[Any]]:
    """Each location's parent (``None``: a supplier) and lead time, by location name (what the base levels fit)."""
    names = [str(v) for v in network.names]
    return {"parents": [None if p < 0 else names[p] for p in network.parent.tolist()],
            "lead_times": [int(v) for v in network.lead_time.tolist()]}


def _check_tree(meta: dict[str, Any], scenario: NetworkScenario, directory: Path) -> None:
    """Refuse a model saved for another tree or other lead times (models before 2026-12-06 record none)."""
    from hybridinv.rl.integrity import ModelFileError

    saved = meta.get("tree")
    if saved is None:
        return
    names = [str(v) for v in scenario.network.names]
    recorded = [str(v) for v in meta.get("locations", names)] if isinstance(meta.get("locations"), list) else names
    wanted = _tree(scenario.network)
    if not isinstance(saved, dict) or any(not isinstance(saved.get(k), list) or len(saved[k]) != len(recorded)
                                          for k in wanted):
        raise ModelFileError(f"{directory}: 'tree' must give 'parents' and 'lead_times', one per location")
    for key, label in (("parents", "parent"), ("lead_times", "lead time")):
        by_name = dict(zip(recorded, saved[key], strict=True))
        for name, value in zip(names, wanted[key], strict=True):
            if by_name.get(name, value) != value:
                raise ModelFileError(
                    f"{directory}: the model was trained for another network: location {name!r} has {label} "
                    f"{by_name[name]!r} there and {value!r} in scenario {scenario.name!r} (its base levels fit "
                    "the other network; retrain for this one)")


def _limit(meta: dict[str, Any], key: str, directory: Path) -> float:
    """A number the metadata must give (``z_max``, ``log_multiplier_max``): a ModelFileError otherwise."""
    from hybridinv.rl.integrity import ModelFileError

    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelFileError(f"{directory}: metadata {key!r} must be a number, got {value!r}")
    return float(value)


def _by_label(base: NDArray[np.float64], meta: dict[str, Any], scenario: NetworkScenario,
              directory: Path) -> NDArray[np.float64]:
    """The saved base levels in the scenario's location and SKU order, matched by the names the metadata records.

    A model file written before 2026-12-04 records no names: its levels are taken by position (shape checked).
    """
    from hybridinv.rl.integrity import ModelFileError

    for axis, key, names in ((0, "locations", scenario.network.names), (1, "skus", scenario.costs.skus)):
        saved = meta.get(key)
        if saved is None:
            continue
        saved = [str(v) for v in saved] if isinstance(saved, list) else []
        wanted = [str(v) for v in names]
        if saved == wanted:
            continue
        if len(set(saved)) != len(saved) or set(saved) != set(wanted):
            missing = [v for v in wanted if v not in saved]
            what = (f"{missing[0]!r} of the scenario is not in it" if missing else
                    f"it names {sorted(set(saved) - set(wanted))[:1] or saved} the scenario does not have")
            raise ModelFileError(f"{directory}: the model's base levels were saved for other {key} ({what})")
        base = np.take(base, [saved.index(v) for v in wanted], axis=axis)
    return base


def load_network_hybrid(directory: str | Path, scenario: NetworkScenario,
                        repair: NetworkRepair | None = None) -> NetworkHybrid:
    """Load a network hybrid for ``scenario``, every file's SHA-256 checked before parsing.

    Raises
    ------
    hybridinv.rl.integrity.ModelFileError
        On a missing, unlisted or altered file, another policy kind or feature version, a
        model of another shape or saved for other locations or SKUs (the base levels follow the
        names recorded in the metadata, so a scenario listing the SKUs in another order gets each
        SKU its own levels), for another tree or other lead times (``tree``, recorded since
        2026-12-06), a missing or non-numeric ``z_max``/``log_multiplier_max`` (a bare
        ``KeyError``/``ValueError`` until 2026-12-06), or a map or learner this version does not know.
    """
    from hybridinv.rl.integrity import ModelFileError, read_metadata, verify_model_files
    from hybridinv.rl.maps import MAP_KINDS
    from hybridinv.rl.model_file import LEARNERS, read_arrays

    directory = Path(directory)
    meta = read_metadata(directory)
    if meta.get("policy") != _POLICY_KIND or meta.get("version") != NETWORK_HYBRID_VERSION \
            or meta.get("features") != list(NETWORK_HYBRID_FEATURES):
        raise ModelFileError(f"{directory}: not a network hybrid of version {NETWORK_HYBRID_VERSION} "
                             "with the installed features; retrain it")
    kind, learner = meta.get("parameter_map", "linear"), meta.get("learner", "es")
    if kind not in MAP_KINDS or learner not in LEARNERS:
        raise ModelFileError(f"{directory}: unknown parameter_map {kind!r} or learner {learner!r}")
    payload = verify_model_files(directory, meta, load=["policy.npz"])["policy.npz"]
    arrays = read_arrays(payload, directory / "policy.npz")
    base = arrays.pop("base_levels", np.zeros(0))
    if base.shape != (scenario.n_locations, scenario.n_skus):
        raise ModelFileError(f"{directory}: base levels of shape {base.shape} do not fit the scenario "
                             f"({scenario.n_locations}, {scenario.n_skus})")
    # by name: a scenario listing the same SKUs in another order got each SKU another SKU's levels (by position)
    base = _by_label(base, meta, scenario, directory)
    _check_tree(meta, scenario, directory)  # levels for lead times 2 and 1 were used where they are 5 and 3
    if kind == "linear" and "weights" not in arrays:
        raise ModelFileError(f"{directory}: a linear network hybrid without weights")
    network_map = _network_map(arrays, meta, directory) if kind == "network" else None
    try:
        return NetworkHybrid(scenario, base, arrays.get("weights") if network_map is None else None, repair,
                             _limit(meta, "z_max", directory), _limit(meta, "log_multiplier_max", directory),
                             parameter_map=network_map, learner=str(learner))
    except PlanningError as exc:
        raise ModelFileError(f"{directory}: {exc}") from exc
