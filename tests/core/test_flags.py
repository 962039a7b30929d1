"""join_flags: the table-driven labels equal the labels joined element by element."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridinv.core import flags as flags_module
from hybridinv.core.flags import join_flags, labels_where


def _naive(flags: dict[str, np.ndarray], names: tuple[str, ...], none: object) -> list[str]:
    n = len(flags[names[0]])
    out = []
    for i in range(n):
        label = "+".join(name for name in names if flags[name][i])
        out.append(label or (none if isinstance(none, str) else none[i]))
    return out


@settings(max_examples=60, deadline=None)
@given(
    n_flags=st.integers(1, 15),
    n=st.integers(0, 40),
    seed=st.integers(0, 2**32 - 1),
    density=st.floats(0.0, 1.0),
)
def test_matches_element_by_element_join(n_flags: int, n: int, seed: int, density: float) -> None:
    rng = np.random.default_rng(seed)
    names = tuple(f"f{k}" for k in range(n_flags))  # more than _TABLE_BITS flags takes the np.unique path
    flags = {name: rng.random(n) < density for name in names}
    none = labels_where(rng.random(n) < 0.5, "unchanged", "other")
    assert join_flags(flags, names, none).tolist() == _naive(flags, names, none)
    assert join_flags(flags, names, "base_rule").tolist() == _naive(flags, names, "base_rule")


def test_order_follows_names_not_the_mapping() -> None:
    flags = {"b": np.array([True, False]), "a": np.array([True, True])}
    assert join_flags(flags, ("a", "b"), "-").tolist() == ["a+b", "a"]
    assert join_flags(flags, ("b", "a"), "-").tolist() == ["b+a", "a"]


def test_two_dimensional_flags_keep_their_shape() -> None:
    flags = {"x": np.array([[True, False], [False, False]]), "y": np.array([[True, True], [False, False]])}
    none = np.array([["u", "v"], ["w", "z"]], dtype=object)
    assert join_flags(flags, ("x", "y"), none).tolist() == [["x+y", "y"], ["w", "z"]]


def test_table_path_and_unique_path_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    names = tuple("abcdef")
    flags = {name: rng.random(500) < 0.3 for name in names}
    table = join_flags(flags, names, "none")
    monkeypatch.setattr(flags_module, "_TABLE_BITS", 2)
    assert join_flags(flags, names, "none").tolist() == table.tolist()


def test_result_is_a_fresh_array() -> None:
    flags = {"a": np.array([True, False])}
    first = join_flags(flags, ("a",), "none")
    first[0] = "changed"
    assert join_flags(flags, ("a",), "none").tolist() == ["a", "none"]


def test_needs_a_name() -> None:
    with pytest.raises(ValueError, match="at least one"):
        join_flags({}, (), "none")
