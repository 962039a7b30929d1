"""The actor of a stable-baselines3 checkpoint, read without unpickling code, run in numpy.

``sb3.zip`` (written by SB3's ``save``) holds a ``data`` entry whose non-JSON values
(spaces, policy class, schedules) are cloudpickle blobs, and the network weights in
``policy.pth`` (a torch state dict). SB3's own ``load`` decodes the blobs, which runs
whatever code they contain. This module never decodes them: it reads ``data`` as plain
JSON (only the plain fields: ``policy_kwargs``, ``use_sde``, the action bounds), reads
``policy.pth`` with ``torch.load(weights_only=True)`` (tensors only), and rebuilds the
deterministic action of the two policies hybridinv trains on
:class:`~hybridinv.envs.OrderEnv`:

- PPO ``MlpPolicy``: ``mean = action_net(tanh(... tanh(W_0 x + b_0) ...))``, clipped to
  the action bounds;
- SAC ``MlpPolicy``: ``tanh(mu(relu(... relu(W_0 x + b_0) ...)))``, rescaled from [-1, 1]
  to the action bounds.

Checkpoints with custom policy arguments (an activation function, gSDE, shared
layers) cannot be described without unpickling and are refused with
:class:`~hybridinv.rl.integrity.ModelFileError`.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridinv.core.errors import missing_extra
from hybridinv.rl.integrity import ModelFileError, check_unpacked_size, read_member

__all__ = ["ORDER_ACTION_BOUNDS", "SB3Actor", "actor_from_checkpoint"]

#: Plain ``policy_kwargs`` entries each algorithm's actor can be rebuilt with.
_ALLOWED_KWARGS: dict[str, frozenset[str]] = {
    "ppo": frozenset({"net_arch", "log_std_init"}),
    "sac": frozenset({"net_arch", "use_sde"}),
}
#: State-dict prefixes of the actor's hidden layers and of its output layer.
_LAYERS: dict[str, tuple[str, str]] = {
    "ppo": ("mlp_extractor.policy_net.", "action_net."),
    "sac": ("actor.latent_pi.", "actor.mu."),
}


@dataclass(frozen=True, eq=False)
class SB3Actor:
    """Deterministic actor of an SB3 PPO or SAC ``MlpPolicy`` as float32 numpy layers.

    Implements the ``predict(observation, deterministic=True) -> (action, None)``
    part of SB3's interface that :class:`~hybridinv.rl.pure.PureRL` uses.
    """

    algo: str
    hidden: tuple[tuple[NDArray[np.float32], NDArray[np.float32]], ...]
    output: tuple[NDArray[np.float32], NDArray[np.float32]]
    low: NDArray[np.float32]
    high: NDArray[np.float32]

    @property
    def n_inputs(self) -> int:
        return int(self.hidden[0][0].shape[1] if self.hidden else self.output[0].shape[1])

    @property
    def n_actions(self) -> int:
        return int(self.output[0].shape[0])

    def predict(self, observation: ArrayLike, deterministic: bool = True) -> tuple[NDArray[np.float32], None]:
        """The deterministic action for one flat observation (``deterministic`` must be True)."""
        if not deterministic:
            raise ValueError("the numpy actor only computes the deterministic action")
        x = np.asarray(observation, dtype=np.float32).reshape(-1)
        activation = np.tanh if self.algo == "ppo" else _relu
        for weight, bias in self.hidden:
            x = activation(weight @ x + bias)
        weight, bias = self.output
        action = weight @ x + bias
        if self.algo == "sac":
            squashed = np.tanh(action)
            return (self.low + 0.5 * (squashed + 1.0) * (self.high - self.low)).astype(np.float32), None
        return np.clip(action, self.low, self.high).astype(np.float32), None


def _relu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    return np.maximum(x, np.float32(0.0))


#: The action bounds of :class:`~hybridinv.envs.OrderEnv` (``Box(-1, 1)`` per SKU), the space pure RL trains in.
ORDER_ACTION_BOUNDS: tuple[float, float] = (-1.0, 1.0)


def _printed_array(text: object) -> tuple[NDArray[np.float32], bool]:
    """The values of a numpy array as SB3 saved it (``str(array)``) and whether numpy abbreviated it.

    Above 1,000 values numpy prints only the first and last three around ``...``.
    """
    parts = str(text).strip("[]").split()
    return np.array([part for part in parts if part != "..."], dtype=np.float32), "..." in parts


def _bounds(space: Any, source: Path, size: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Action bounds from the plain (printed) fields of the saved action space.

    SB3 saves the bounds as numpy prints them, which above 1,000 values (pure RL on more than
    1,000 SKUs) is abbreviated: ``[-1. -1. -1. ... -1. -1. -1.]``. Such bounds are read as
    :data:`ORDER_ACTION_BOUNDS` over the saved ``_shape`` when every printed value is that bound
    (the space of ``OrderEnv``, the only one pure RL trains in); other abbreviated bounds cannot be
    read without unpickling and are refused. Until 2026-12-04 every checkpoint above 1,000 SKUs was
    refused ("could not convert string to float: '...'"), so ``train`` failed at its end. ``size`` is the
    output layer's: an abbreviated space of another ``_shape`` is refused before anything is allocated
    (a ``_shape`` of 2**45 was a MemoryError).
    """
    if not isinstance(space, dict):
        raise ModelFileError(f"{source}: checkpoint has no readable action space")
    try:
        (low, low_cut), (high, high_cut) = (_printed_array(space[key]) for key in ("low", "high"))
    except (KeyError, ValueError) as exc:
        raise ModelFileError(f"{source}: checkpoint's action bounds are unreadable ({exc})") from exc
    shape = space.get("_shape")
    if low_cut or high_cut:
        lower, upper = ORDER_ACTION_BOUNDS
        if not (isinstance(shape, list) and len(shape) == 1 and isinstance(shape[0], int)
                and not isinstance(shape[0], bool) and shape[0] > max(low.size, high.size)):
            raise ModelFileError(f"{source}: checkpoint's action bounds are abbreviated and its action shape "
                                 f"{shape!r} is unreadable")
        if shape[0] != size:  # checked before allocating: a _shape of 2**45 was a MemoryError
            raise ModelFileError(f"{source}: action bounds and the output layer disagree on the action size "
                                 f"(_shape {shape[0]}, output layer {size})")
        if not ((low == lower).all() and (high == upper).all()):
            raise ModelFileError(f"{source}: checkpoint's action bounds are abbreviated and not OrderEnv's "
                                 f"[{lower:g}, {upper:g}]; they cannot be read without unpickling")
        low, high = np.full(shape[0], lower, dtype=np.float32), np.full(shape[0], upper, dtype=np.float32)
    elif isinstance(shape, list) and shape != [low.size]:
        raise ModelFileError(f"{source}: checkpoint's action bounds ({low.size} values) disagree with its action "
                             f"shape {shape!r}")
    if low.shape != high.shape or not (np.isfinite(low).all() and np.isfinite(high).all() and (low < high).all()):
        raise ModelFileError(f"{source}: checkpoint's action bounds are not finite intervals")
    return low, high


def _plain_settings(data: dict[str, Any], algo: str, source: Path) -> None:
    kwargs = data.get("policy_kwargs", {})
    if not isinstance(kwargs, dict) or ":serialized:" in kwargs:
        raise ModelFileError(f"{source}: policy_kwargs hold pickled objects; only plain settings are loaded")
    extra = sorted(set(kwargs) - _ALLOWED_KWARGS[algo])
    if extra or kwargs.get("use_sde") or data.get("use_sde"):
        raise ModelFileError(f"{source}: unsupported policy settings {extra or ['use_sde']} for a numpy {algo} actor")


def _state_dict(archive: zipfile.ZipFile, source: Path) -> dict[str, NDArray[np.float32]]:
    try:
        import torch
    except ModuleNotFoundError as exc:  # the core install (no "rl" extra): say what to install
        hint = missing_extra(exc) or str(exc)
        raise ModuleNotFoundError(f"{source}: reading a stable-baselines3 checkpoint: {hint}", name=exc.name) from None

    try:
        weights = read_member(archive, "policy.pth", source)
    except KeyError:
        raise ModelFileError(f"{source}: checkpoint has no policy.pth") from None
    # torch.save writes a zip archive whose records torch inflates to their declared sizes: bound them as
    # the checkpoint's own (a 1.5 MB policy.pth of deflated zeros otherwise allocates gigabytes)
    if not zipfile.is_zipfile(io.BytesIO(weights)):
        raise ModelFileError(f"{source}: policy.pth is not a torch zip archive (torch.save's format since torch 1.6)")
    check_unpacked_size(weights, source / "policy.pth")
    try:
        state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, ... on anything but tensors
        raise ModelFileError(f"{source}: policy.pth is not a plain tensor state dict ({exc})") from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(f"{source}: policy.pth is not a tensor state dict")
    return {str(key): value.detach().cpu().numpy().astype(np.float32) for key, value in state.items()}


def _layers(
    state: dict[str, NDArray[np.float32]], algo: str, source: Path
) -> tuple[list[tuple[NDArray[np.float32], NDArray[np.float32]]], tuple[NDArray[np.float32], NDArray[np.float32]]]:
    hidden_prefix, output_prefix = _LAYERS[algo]
    if any(key.startswith("mlp_extractor.shared_net.") for key in state):
        raise ModelFileError(f"{source}: shared actor-critic layers are not supported")
    pattern = re.compile(re.escape(hidden_prefix) + r"(\d+)\.weight")
    indices = sorted(int(m.group(1)) for key in state if (m := pattern.fullmatch(key)))
    try:
        hidden = [(state[f"{hidden_prefix}{i}.weight"], state[f"{hidden_prefix}{i}.bias"]) for i in indices]
        output = (state[f"{output_prefix}weight"], state[f"{output_prefix}bias"])
    except KeyError as exc:
        raise ModelFileError(f"{source}: policy.pth lacks {exc} of a {algo} MlpPolicy") from None
    for weight, bias in [*hidden, output]:
        if weight.ndim != 2 or bias.shape != (weight.shape[0],):
            raise ModelFileError(f"{source}: policy.pth has inconsistent layer shapes")
    chain = [w.shape for w, _ in hidden] + [output[0].shape]
    if any(chain[k][0] != chain[k + 1][1] for k in range(len(chain) - 1)):
        raise ModelFileError(f"{source}: policy.pth layers do not chain")
    return hidden, output


def actor_from_checkpoint(payload: bytes, algo: str, source: Path) -> SB3Actor:
    """Rebuild the deterministic actor from the (already verified) bytes of an ``sb3.zip``.

    Raises
    ------
    ModelFileError
        If the archive is malformed, holds more than plain tensors in ``policy.pth``,
        or was trained with settings the numpy actor does not reproduce.
    """
    if algo not in _LAYERS:
        raise ModelFileError(f"{source}: pure-RL algorithm {algo!r} is not one of {sorted(_LAYERS)}")
    archive = check_unpacked_size(payload, source)
    try:
        data = json.loads(read_member(archive, "data", source).decode("utf-8"))
    except KeyError:
        raise ModelFileError(f"{source}: checkpoint has no data entry") from None
    except ModelFileError:  # the member's own check (a ValueError too): its message names the member
        raise
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:  # ValueError: JSON errors, a 5,000-digit int
        raise ModelFileError(f"{source}: checkpoint's data entry is unreadable ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{source}: checkpoint's data entry is not a JSON object")
    _plain_settings(data, algo, source)
    hidden, output = _layers(_state_dict(archive, source), algo, source)
    low, high = _bounds(data.get("action_space"), source, output[0].shape[0])
    if low.shape != (output[0].shape[0],):
        raise ModelFileError(f"{source}: action bounds and the output layer disagree on the action size")
    return SB3Actor(algo, tuple(hidden), output, low, high)
