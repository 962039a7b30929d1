"""plan()'s output frame: signs, columns the docstring promises, target explanations."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hybridinv import plan
from hybridinv.examples import EXAMPLE_CONSTRAINTS, example_frames


@pytest.mark.parametrize("policy", ["hybrid", "forecast_ss", "base_stock", "ss", "newsvendor"])
def test_no_negative_zero_in_the_output(policy: str) -> None:
    # the finding: with stock above every target, desired_qty was -0.0 (ceil(0 - 1e-9)) in the frame and the CSV
    catalog, state = example_frames()
    state = state.assign(on_hand=state["on_hand"] * 20)
    out = plan(state, catalog, None, policy=policy)
    assert (out["order_qty"] == 0).all()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values.dtype):
            assert not np.signbit(values.to_numpy()[values.to_numpy() == 0]).any(), column
    assert "-0.0" not in out.to_csv(index=False)


def test_the_docstring_names_every_output_column() -> None:
    # the finding: the docstring promised ``order_cost`` but the column is ``order_value``
    catalog, state = example_frames()
    out = plan(state, catalog, EXAMPLE_CONSTRAINTS)  # with the repair: every repair flag column too
    doc = plan.__doc__ or ""
    returns = doc.split("Returns\n    -------", 1)[1].split("Raises\n", 1)[0]
    named = set(re.findall(r"``([a-z_]+)``", returns))
    assert set(out.columns) <= named, set(out.columns) - named
    assert "``order_cost`` is the fixed cost per order" in " ".join(returns.split())


def test_the_backends_plan_uses_are_the_ones_docs_repair_md_states() -> None:
    # the finding: docs/repair.md said plan() uses auto, while the hybrid (plan()'s default) repairs with fast
    from hybridinv.repair import DEFAULT_GAP_TOLERANCE

    catalog, state = example_frames()
    hybrid = plan(state, catalog, EXAMPLE_CONSTRAINTS).attrs["diagnostics"]
    assert hybrid["repair"]["backend"] == "fast" and hybrid["gap"] > DEFAULT_GAP_TOLERANCE  # auto would polish
    polished = plan(state, catalog, EXAMPLE_CONSTRAINTS, repair="auto").attrs["diagnostics"]
    assert polished["repair"]["backend"] == "fast+highs" and polished["objective"] <= hybrid["objective"] + 1e-9
    classical = plan(state, catalog, EXAMPLE_CONSTRAINTS, policy="capped_base_stock").attrs["diagnostics"]
    assert classical["repair"]["backend"] == "fast+highs"  # auto: polished past the tolerance
