"""The SKU-shared policy network as a plain numpy forward pass (no torch needed).

The hybrid agent's actor is one small MLP applied to every SKU. Each SKU's
``F`` features are embedded, the embeddings are mean-pooled across SKUs and
joined with the ``G`` global features into a context vector, and a per-SKU head
maps ``[embedding_i, context]`` to that SKU's ``A`` action components
(``A = 2``: reorder point and order-up-to level relative to demand scale):

.. math::

    e_i = \\tanh(W_2 \\tanh(W_1 x_i + b_1) + b_2), \\qquad
    c = [\\tfrac{1}{n} \\textstyle\\sum_i e_i,\\; g]

    a_i = W_4 \\tanh(W_3 [e_i, c] + b_3) + b_4, \\qquad
    V = w_6^\\top \\tanh(W_5 c + b_5) + b_6

None of the weights depends on the number of SKUs ``n``, so a network trained
on 50 SKUs plans 1,000 (Deep Sets pooling [1]_; the same permutation-invariant
sharing used by [2]_ for multi-product inventory).

This module is what :func:`hybridinv.plan` runs at inference time: it imports
only numpy. :mod:`hybridinv.rl.network` holds the torch twin used in training
and :func:`hybridinv.rl.network.export_weights` converts one into the other.

References
----------
.. [1] Zaheer, M. et al. (2017). Deep Sets. *NeurIPS* 30.
.. [2] Harsha, P. et al. (2021). Deep policy iteration with integer programming
   for inventory management. arXiv:2112.02215.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["LAYER_NAMES", "SharedPolicyNetwork"]

#: Weight names in an exported ``.npz`` file (each has ``.weight`` and ``.bias``),
#: plus ``log_std`` of shape (A,).
LAYER_NAMES: tuple[str, ...] = ("embed1", "embed2", "actor1", "actor2", "value1", "value_out")
_BLOCK = 32


@dataclass(frozen=True, eq=False)
class SharedPolicyNetwork:
    """Weights of the SKU-shared actor-critic and its numpy forward pass.

    Parameters
    ----------
    weights : dict of str to numpy.ndarray
        ``"<layer>.weight"`` of shape (out, in) and ``"<layer>.bias"`` of shape
        (out,) for every layer in :data:`LAYER_NAMES` (torch's ``nn.Linear``
        layout), and ``"log_std"`` of shape (A,).

    Attributes
    ----------
    n_sku_features, n_global_features, n_actions, hidden : int
        ``F``, ``G``, ``A`` and the hidden width ``H`` read off the weights.
    """

    weights: dict[str, NDArray[np.float64]]

    def __post_init__(self) -> None:
        missing = [f"{name}.{part}" for name in LAYER_NAMES for part in ("weight", "bias")]
        missing = [key for key in [*missing, "log_std"] if key not in self.weights]
        if missing:
            raise ValueError(f"network weights are missing {missing}")
        arrays = {key: np.asarray(value, dtype=np.float64) for key, value in self.weights.items()}
        object.__setattr__(self, "weights", arrays)
        hidden = arrays["embed1.weight"].shape[0]
        context = arrays["value1.weight"].shape[1]
        expected = {
            "embed2.weight": (hidden, hidden),
            "actor1.weight": (hidden, hidden + context),
            "actor2.weight": (arrays["log_std"].shape[0], hidden),
            "value_out.weight": (1, arrays["value1.weight"].shape[0]),
        }
        for key, shape in expected.items():
            if arrays[key].shape != shape:
                raise ValueError(f"network weight {key} has shape {arrays[key].shape}, expected {shape}")
        for key, value in arrays.items():
            if not np.isfinite(value).all():
                raise ValueError(f"network weight {key} is not finite")

    @property
    def hidden(self) -> int:
        return int(self.weights["embed1.weight"].shape[0])

    @property
    def n_sku_features(self) -> int:
        return int(self.weights["embed1.weight"].shape[1])

    @property
    def n_global_features(self) -> int:
        return int(self.weights["value1.weight"].shape[1]) - self.hidden

    @property
    def n_actions(self) -> int:
        return int(self.weights["log_std"].shape[0])

    def _layer(self, name: str, inputs: NDArray[np.float64]) -> NDArray[np.float64]:
        weight = self.weights[f"{name}.weight"].T
        rows = inputs.reshape(-1, inputs.shape[-1])
        if rows.shape[0] <= _BLOCK:
            out = rows @ weight
        else:
            # blocks small enough for OpenBLAS to stay single-threaded: waking its thread pool
            # costs ~15 ms per call on a busy machine, 10x the whole forward pass at 1,000 SKUs
            out = np.concatenate([rows[k : k + _BLOCK] @ weight for k in range(0, rows.shape[0], _BLOCK)])
        result: NDArray[np.float64] = (out + self.weights[f"{name}.bias"]).reshape(*inputs.shape[:-1], -1)
        return result

    def _context(
        self, sku_features: NDArray[np.float64], global_features: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        embedding = np.tanh(self._layer("embed2", np.tanh(self._layer("embed1", sku_features))))
        context = np.concatenate([embedding.mean(axis=-2), global_features], axis=-1)
        return embedding, context

    def split(self, flat: ArrayLike, n_skus: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Split flat observations ``(..., n*F + G)`` into ``(..., n, F)`` and ``(..., G)``."""
        values = np.asarray(flat, dtype=np.float64)
        width = n_skus * self.n_sku_features
        if values.shape[-1] != width + self.n_global_features:
            raise ValueError(
                f"observation has {values.shape[-1]} values, "
                f"expected {width + self.n_global_features} for {n_skus} SKUs"
            )
        sku = values[..., :width].reshape(*values.shape[:-1], n_skus, self.n_sku_features)
        return sku, values[..., width:]

    def mean_action(self, sku_features: ArrayLike, global_features: ArrayLike) -> NDArray[np.float64]:
        """Mean (deterministic, unclipped) action per SKU.

        Parameters
        ----------
        sku_features : numpy.ndarray, shape (..., n, F)
        global_features : numpy.ndarray, shape (..., G)

        Returns
        -------
        numpy.ndarray, shape (..., n, A)
        """
        sku = np.asarray(sku_features, dtype=np.float64)
        glob = np.asarray(global_features, dtype=np.float64)
        if sku.shape[-1] != self.n_sku_features or glob.shape[-1] != self.n_global_features:
            raise ValueError(
                f"features have widths ({sku.shape[-1]}, {glob.shape[-1]}), "
                f"the network expects ({self.n_sku_features}, {self.n_global_features})"
            )
        embedding, context = self._context(sku, glob)
        tiled = np.broadcast_to(context[..., None, :], (*embedding.shape[:-1], context.shape[-1]))
        hidden = np.tanh(self._layer("actor1", np.concatenate([embedding, tiled], axis=-1)))
        return self._layer("actor2", hidden)

    def action(self, sku_features: ArrayLike, global_features: ArrayLike) -> NDArray[np.float64]:
        """Deterministic action per SKU, clipped to the action box [-1, 1]."""
        return np.clip(self.mean_action(sku_features, global_features), -1.0, 1.0)

    def value(self, sku_features: ArrayLike, global_features: ArrayLike) -> NDArray[np.float64]:
        """State value, shape ``(...)``."""
        _, context = self._context(np.asarray(sku_features, np.float64), np.asarray(global_features, np.float64))
        return self._layer("value_out", np.tanh(self._layer("value1", context)))[..., 0]

    @classmethod
    def random(
        cls, n_sku_features: int, n_global_features: int, n_actions: int = 2, hidden: int = 64, seed: int = 0
    ) -> SharedPolicyNetwork:
        """A randomly initialized network (tests, untrained baselines)."""
        rng = np.random.default_rng(seed)
        context = hidden + n_global_features
        shapes = {
            "embed1": (hidden, n_sku_features),
            "embed2": (hidden, hidden),
            "actor1": (hidden, hidden + context),
            "actor2": (n_actions, hidden),
            "value1": (hidden, context),
            "value_out": (1, hidden),
        }
        weights: dict[str, NDArray[np.float64]] = {"log_std": np.zeros(n_actions)}
        for name, (rows, cols) in shapes.items():
            weights[f"{name}.weight"] = rng.normal(0.0, 1.0 / np.sqrt(cols), (rows, cols))
            weights[f"{name}.bias"] = rng.normal(0.0, 0.1, rows)
        return cls(weights)
