"""Model files: exported network weights plus metadata, checked on load.

A model directory ``models/<name>/`` holds

- ``policy.npz``: the numpy weights of the SKU-shared network
  (:class:`hybridinv.rl.numpy_policy.SharedPolicyNetwork`), or, for a policy
  without a network (metadata ``"policy": "linear"``, :mod:`hybridinv.rl.linear`, or
  ``"policy": "adaptive"``, :mod:`hybridinv.rl.adaptive`), its parameter arrays;
- ``metadata.json``: what the hybrid is (``parameterization``, ``parameter_map``,
  ``learner``: :func:`composition`), format version, observation and action specification
  (feature names and versions of :mod:`hybridinv.envs`), reward specification,
  scenario summary, training configuration, seed, evaluation KPIs and the
  SHA-256 of every other file of the directory (``"files"``,
  :mod:`hybridinv.rl.integrity`);
- optionally ``sb3.zip``: the stable-baselines3 checkpoint (to resume training).

Loading verifies every hash before it parses anything (:func:`~hybridinv.rl.integrity.verify_model_files`),
reads the weights with ``allow_pickle=False`` and compares the specification versions with the
installed environments, so a corrupted, tampered or stale model fails loudly with
:class:`ModelFileError` instead of planning with the wrong features.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridinv.rl.integrity import (
    METADATA_FILE,
    ModelFileError,
    check_unpacked_size,
    hash_model_files,
    read_member,
    read_metadata,
    verify_model_files,
    write_file_hashes,
    write_metadata,
    write_model_directory,
)
from hybridinv.rl.numpy_policy import SharedPolicyNetwork

__all__ = [
    "ARRAY_POLICIES",
    "COMPOSITION_KEYS",
    "LEARNERS",
    "FORMAT_VERSION",
    "METADATA_FILE",
    "WEIGHTS_FILE",
    "ModelFile",
    "ModelFileError",
    "check_model_spec",
    "composition",
    "current_spec",
    "hash_model_files",
    "load_model",
    "observation_cycle",
    "read_arrays",
    "save_model",
    "write_file_hashes",
    "write_metadata",
]

FORMAT_VERSION = 1
WEIGHTS_FILE = "policy.npz"
#: Metadata ``"policy"`` values of models stored as parameter arrays instead of a network.
ARRAY_POLICIES: tuple[str, ...] = ("linear", "adaptive")
#: Metadata entries that say what a hybrid model is: target parameterization x parameter map x learner.
COMPOSITION_KEYS: tuple[str, ...] = ("parameterization", "parameter_map", "learner")
#: The ``learner`` values of model files.
LEARNERS: tuple[str, ...] = ("es", "ppo", "sac")
#: ``training.algo`` of a network model -> its learner (``hybrid`` is PPO on the target environment).
_ALGO_LEARNER = {"hybrid": "ppo", "ppo": "ppo", "sac": "sac", "es": "es", "adaptive": "es"}


def composition(meta: Mapping[str, Any]) -> dict[str, str]:
    """``parameterization``, ``parameter_map`` and ``learner`` of a hybrid model's metadata.

    Models written since these entries exist record them; for older ones (the shipped
    models) they follow from the metadata's ``policy`` kind: ``"linear"`` is a weighted
    base-stock with a linear map, ``"adaptive"`` the forecast-driven (s, S) with a linear
    map (both trained by ES), a network with a ``residual`` entry the capped base-stock
    with a network map (ES), any other network the safety-stock (s, S) with a network
    map, its learner from ``training.algo`` (``hybrid``: PPO). Recorded entries win; one that is
    not text raises :class:`ModelFileError`.
    """
    kind = meta.get("policy")
    if kind == "linear":
        derived = {"parameterization": "weighted_base_stock", "parameter_map": "linear", "learner": "es"}
    elif kind == "adaptive":
        derived = {"parameterization": "forecast_ss", "parameter_map": "linear", "learner": "es"}
    elif "residual" in meta:
        derived = {"parameterization": "capped_base_stock", "parameter_map": "network", "learner": "es"}
    else:
        training = meta.get("training")
        algo = training.get("algo") if isinstance(training, Mapping) else None
        derived = {"parameterization": "safety_stock", "parameter_map": "network",
                   "learner": _ALGO_LEARNER.get(str(algo), "ppo")}
    recorded = {key: meta[key] for key in COMPOSITION_KEYS if key in meta}
    for key, value in recorded.items():  # a number or null was replaced by the derived entry, unsaid
        if not isinstance(value, str):
            raise ModelFileError(f"metadata {key!r} must be text naming the model's {key}, got {value!r}")
    return {**derived, **recorded}


def current_spec() -> dict[str, Any]:
    """Observation and action specification of the installed environments."""
    from hybridinv.envs import actions, features

    return {
        "observation": {
            "version": features.OBSERVATION_VERSION,
            "sku_features": list(features.SKU_FEATURES),
            "global_features": list(features.GLOBAL_FEATURES),
        },
        "action": {
            "version": actions.ACTION_VERSION,
            "kind": "target",
            "per_sku": ["safety_factor", "gap"],
            "mapping": "hybridinv.envs.actions.targets_from_action",
        },
    }


@dataclass(frozen=True, eq=False)
class ModelFile:
    """A loaded model: the numpy network (None for an array policy), its arrays and metadata."""

    network: SharedPolicyNetwork | None
    metadata: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    arrays: dict[str, NDArray[np.float64]] = field(default_factory=dict)

    @property
    def policy(self) -> str:
        """``"network"``, or the kind of array policy (one of :data:`ARRAY_POLICIES`)."""
        kind = self.metadata.get("policy")
        return str(kind) if kind in ARRAY_POLICIES else "network"

    @property
    def composition(self) -> dict[str, str]:
        """What the model is: :func:`composition` of its metadata."""
        try:
            return composition(self.metadata)
        except ModelFileError as exc:
            raise ModelFileError(f"{self.path}: {exc}") from None

    @property
    def season_cycle(self) -> int | None:
        """Season cycle of the observation the model was trained on (:func:`observation_cycle`)."""
        return observation_cycle(self.metadata, self.path)

    @property
    def is_linear(self) -> bool:
        """Whether the model is a single-SKU linear policy (:mod:`hybridinv.rl.linear`), not a network."""
        return self.policy == "linear"

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", self.path.name if self.path else "model"))


def _weights_bytes(arrays: Mapping[str, NDArray[np.float64]]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **{key: np.asarray(arrays[key]) for key in sorted(arrays)})  # type: ignore[arg-type]
    return buffer.getvalue()


def save_model(
    directory: str | Path,
    network: SharedPolicyNetwork | Mapping[str, NDArray[np.float64]],
    metadata: dict[str, Any],
    extra_files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write the model folder ``directory``: ``policy.npz``, ``extra_files`` and ``metadata.json``.

    ``network`` is a :class:`SharedPolicyNetwork` or, for an array policy, a mapping
    of its parameter arrays (``metadata["policy"]`` must then be one of :data:`ARRAY_POLICIES`).
    ``extra_files`` maps further file names to their bytes (the SB3 trainer's ``sb3.zip``).
    ``metadata`` is completed with the format version, the current observation
    and action specification (unless given) and the SHA-256 of every file written.
    The folder is written whole (:func:`~hybridinv.rl.integrity.write_model_directory`):
    an earlier model in ``directory`` is replaced with all its files, and a folder holding
    anything else (another file, a folder, a symbolic link) is refused (:class:`ModelFileError`),
    nothing of it overwritten, removed or written through.
    """
    directory = Path(directory)
    is_network = isinstance(network, SharedPolicyNetwork)
    if is_network == (metadata.get("policy") in ARRAY_POLICIES):
        raise ValueError(f'save a SharedPolicyNetwork, or parameter arrays with metadata["policy"] in {ARRAY_POLICIES}')
    arrays = network.weights if isinstance(network, SharedPolicyNetwork) else network
    payload = _weights_bytes(arrays)
    spec = current_spec()
    meta = {
        "format_version": FORMAT_VERSION,
        "name": directory.name,
        "observation_spec": spec["observation"],
        "action_spec": spec["action"],
        **metadata,
        "weights_file": WEIGHTS_FILE,
    }
    for key, value in composition(meta).items():
        meta.setdefault(key, value)
    if isinstance(network, SharedPolicyNetwork):
        meta["network"] = {
            "n_sku_features": network.n_sku_features,
            "n_global_features": network.n_global_features,
            "n_actions": network.n_actions,
            "hidden": network.hidden,
        }
    write_model_directory(directory, {WEIGHTS_FILE: payload, **(extra_files or {})}, meta)
    return directory


def read_arrays(payload: bytes, source: Path) -> dict[str, NDArray[Any]]:
    """The arrays of the (already verified) bytes of an ``.npz``, read as ``numpy.load(allow_pickle=False)`` would.

    Each member must be a ``.npy`` array (format 1.0 or 2.0) without Python objects whose
    header declares no more data than the member holds: ``numpy.load`` allocates the
    declared shape before reading, so a 100-byte member claiming ``(10**13,)`` float64
    raised a ``MemoryError`` instead of being refused.

    Raises
    ------
    ModelFileError
        If the archive is oversized (:func:`~hybridinv.rl.integrity.check_unpacked_size`) or
        corrupt, or a member is not such an array (the message says ``invalid weights``).
    """
    from numpy.lib import format as npy

    archive = check_unpacked_size(payload, source)
    arrays: dict[str, NDArray[Any]] = {}
    for info in archive.infolist():
        raw = read_member(archive, info.filename, source)
        handle = io.BytesIO(raw)
        try:
            if not info.filename.endswith(".npy"):
                raise ValueError(f"member {info.filename!r} is not a .npy array")
            version = npy.read_magic(handle)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"member {info.filename!r} has .npy format version {version}")
            read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
            shape, _, dtype = read_header(handle)
            if dtype.hasobject:
                raise ValueError(f"member {info.filename!r} holds Python objects (pickled data is never loaded)")
            declared = math.prod(shape) * dtype.itemsize
            if declared > len(raw) - handle.tell():
                raise ValueError(f"member {info.filename!r} declares {shape} {dtype} ({declared} bytes) but holds "
                                 f"{len(raw) - handle.tell()} bytes of data")
            handle.seek(0)
            arrays[info.filename[: -len(".npy")]] = np.asarray(npy.read_array(handle, allow_pickle=False))
        except (OSError, ValueError, TypeError) as exc:
            raise ModelFileError(f"{source}: invalid weights ({exc})") from exc
    return arrays


def observation_cycle(meta: Mapping[str, Any], path: Path | None = None) -> int | None:
    """The season cycle of the observation version ``meta`` records (None: ``periods_per_year``).

    Metadata without an ``observation_spec`` reads as the current version.

    Raises
    ------
    ModelFileError
        For a version this library does not compute.
    """
    from hybridinv.envs.features import OBSERVATION_VERSION, OBSERVATION_VERSIONS, season_cycle

    spec = meta.get("observation_spec")
    version = spec.get("version") if isinstance(spec, Mapping) else OBSERVATION_VERSION
    try:
        return season_cycle(version)
    except KeyError:
        raise ModelFileError(f"{path or 'model'}: observation_spec version {version!r} is not one this library "
                             f"computes (it computes {sorted(OBSERVATION_VERSIONS)}); retrain the model") from None


def check_model_spec(meta: dict[str, Any], path: Path) -> None:
    """Refuse metadata whose observation or action specification this library does not compute (versions, the
    names and order of the per-SKU and global features)."""
    spec = current_spec()
    for key, current in (("observation_spec", spec["observation"]), ("action_spec", spec["action"])):
        stored = meta.get(key)
        if not isinstance(stored, dict):
            raise ModelFileError(f"{path}: metadata has no {key}")
        if key == "observation_spec":  # every version this library computes (same layout)
            observation_cycle(meta, path)
        elif stored.get("version") != current["version"]:
            raise ModelFileError(
                f"{path}: model was trained with {key} version {stored.get('version')}, "
                f"the installed environments use version {current['version']}; retrain the model"
            )
    for key, label in (("sku_features", "per-SKU"), ("global_features", "global")):  # reordered globals loaded
        names = meta["observation_spec"].get(key)
        if names is not None and names != spec["observation"][key]:  # JSON gives a list, or junk
            raise ModelFileError(f"{path}: model's {label} features differ from the installed ones; retrain the model")


def _refuse_pure_rl(directory: Path, meta: dict[str, Any]) -> None:
    """A :class:`ModelFileError` saying a verified pure-RL model (``sb3.zip``, order actions) is one, and how to
    load it (it said "weights file 'sb3.zip' is not a numpy .npz archive"). The files are checked against their
    hashes first, so the metadata's word is trusted only for an intact model."""
    action = meta.get("action_spec")
    if not (isinstance(action, dict) and action.get("kind") == "order"):
        return
    verify_model_files(directory, meta, load=[str(meta.get("weights_file"))])  # its checkpoint hashed too
    training = meta.get("training")
    algo = training.get("algo") if isinstance(training, dict) else None
    kind = f"a pure-RL {str(algo).upper()} model" if algo in ("ppo", "sac") else "a pure-RL model"
    raise ModelFileError(f"{directory}: {kind} (orders as actions, a stable-baselines3 checkpoint), not a hybrid: "
                         "load it with hybridinv.rl.PureRL.load")


def load_model(path: str | Path, check_spec: bool = True) -> ModelFile:
    """Load and verify a model directory (or its ``metadata.json``, or the name of a shipped model).

    ``path`` resolves as in :meth:`hybridinv.rl.Hybrid.load`
    (:func:`~hybridinv.rl.paths.resolve_model_path`): itself if it exists, else the shipped
    model of that name (``"hybrid_ppo_multi_50"``).

    Every file of the directory is checked against the SHA-256 hashes of the
    metadata before the weights are parsed (with ``allow_pickle=False``); see
    :func:`~hybridinv.rl.integrity.verify_model_files` for directories written before
    the hashes of every file were recorded.

    Raises
    ------
    ModelFileError
        If a file is missing, unlisted or unreadable, a hash does not match, the
        metadata is oversized or nested too deeply, or the format or spec version differs.
    """
    from hybridinv.rl.paths import resolve_model_path

    path = resolve_model_path(path)
    directory = path.parent if path.name == METADATA_FILE else path
    meta = read_metadata(directory)
    meta_path = directory / METADATA_FILE
    version = meta.get("format_version")
    if isinstance(version, bool) or version != FORMAT_VERSION:  # true == 1 was read as version 1
        raise ModelFileError(
            f"{meta_path}: model format version {meta.get('format_version')}, this library reads {FORMAT_VERSION}"
        )
    name = str(meta.get("weights_file", WEIGHTS_FILE))
    if not name.endswith(".npz"):
        _refuse_pure_rl(directory, meta)
        raise ModelFileError(f"{meta_path}: weights file {name!r} is not a numpy .npz archive")
    payload = verify_model_files(directory, meta, load=[name])[name]
    if check_spec:
        check_model_spec(meta, directory)
    weights_path = directory / name
    weights = read_arrays(payload, weights_path)
    try:
        network = None if meta.get("policy") in ARRAY_POLICIES else SharedPolicyNetwork(weights)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{weights_path}: invalid weights ({exc})") from exc
    return ModelFile(network, meta, directory, weights)
