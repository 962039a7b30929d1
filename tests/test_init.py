"""The package's lazy public names: what ``import hybridinv`` loads, and that every name resolves."""

from __future__ import annotations

import subprocess
import sys

import pytest

import hybridinv


def _modules_after(code: str) -> set[str]:
    """Top-level and scipy submodule names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport sys\nprint('MODULES', ' '.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return set(out.splitlines()[-1].split()[1:])


def test_import_loads_no_heavy_module() -> None:
    loaded = _modules_after("import hybridinv")
    for heavy in ("numpy", "pandas", "scipy", "scipy.stats", "torch", "highspy"):
        assert heavy not in loaded, heavy


def test_public_api_does_not_import_scipy_stats_or_torch() -> None:
    loaded = _modules_after("from hybridinv import Catalog, InventoryState, plan, simulate, policies, scenarios")
    assert "pandas" in loaded and "hybridinv.planner" in loaded  # the names did load
    assert "scipy.stats" not in loaded
    assert "torch" not in loaded


def test_newsvendor_plan_does_not_import_scipy_stats() -> None:
    code = (
        "import hybridinv\n"
        "from hybridinv.examples import example_frames, EXAMPLE_CONSTRAINTS\n"
        "c, s = example_frames()\n"
        "hybridinv.plan(s, c, EXAMPLE_CONSTRAINTS, policy='dynamic_ss')\n"
    )
    loaded = _modules_after(code)
    assert "hybridinv.policies.dynamic" in loaded
    assert "scipy.stats" not in loaded
    assert "torch" not in loaded


@pytest.mark.parametrize("name", hybridinv.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(hybridinv, name) is not None
    assert name in dir(hybridinv)


def test_names_are_the_objects_of_their_modules() -> None:
    from hybridinv.core.errors import PlanningError
    from hybridinv.planner import plan
    from hybridinv.sim.simulator import Simulator

    assert hybridinv.plan is plan
    assert hybridinv.PlanningError is PlanningError
    assert hybridinv.Simulator is Simulator
    assert hybridinv.repair.repair_orders is not None  # subpackages load on attribute access too


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'plann'"):
        hybridinv.plann  # noqa: B018
    with pytest.raises(AttributeError):
        hybridinv._private  # noqa: B018
