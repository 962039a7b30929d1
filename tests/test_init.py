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


def test_write_example_files_writes_the_readme_s_inputs_and_never_overwrites(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The README's first plan read catalog.csv, state.csv and forecast.csv that only a hidden setup block made."""
    import pandas as pd
    import pytest

    import hybridinv
    from hybridinv.examples import example_frames, write_example_files

    paths = write_example_files(tmp_path / "new", periods=3)
    assert [p.name for p in paths] == ["catalog.csv", "state.csv", "forecast.csv"]
    catalog, state = example_frames()
    forecast = pd.read_csv(paths[2])
    assert len(forecast) == 3 * len(catalog) and sorted(set(forecast["period"])) == [0, 1, 2]
    means = forecast.groupby("sku")["mean"].first().reindex(catalog["sku"]).to_numpy()
    assert (means == catalog["demand_mean"].to_numpy()).all()
    orders = hybridinv.plan(pd.read_csv(paths[1]), pd.read_csv(paths[0]), forecast=forecast, policy="base_stock")
    assert list(orders["sku"]) == list(catalog["sku"])
    paths[1].write_text("mine\n")
    with pytest.raises(hybridinv.PlanningError, match="exists already") as info:
        write_example_files(tmp_path / "new")
    assert info.value.value == str(paths[0]) and paths[1].read_text() == "mine\n"
