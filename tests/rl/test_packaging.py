"""The shipped models reach a wheel install: pyproject data-files and models_directory()."""

from __future__ import annotations

import site
import sys
import tomllib
from pathlib import Path

import pytest

from hybridinv.rl import paths
from hybridinv.rl.paths import INSTALLED_MODELS, models_directory

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_model_file_is_in_the_wheel_data_files() -> None:
    """Each file under models/ matches a data-files glob that installs it at the same relative path."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data_files: dict[str, list[str]] = config["tool"]["setuptools"]["data-files"]
    shipped = sorted(p.relative_to(ROOT) for p in (ROOT / "models").rglob("*") if p.is_file())
    assert shipped, "no shipped models"
    for path in shipped:
        target = f"share/hybridinv/{path.parent.as_posix()}"
        assert target in data_files, f"{path} is not installed by a wheel (no data-files entry {target!r})"
        assert any(path.match(pattern) for pattern in data_files[target]), f"{path} not matched by {target!r}"
    for target, patterns in data_files.items():
        for pattern in patterns:
            assert list(ROOT.glob(pattern)), f"data-files entry {target!r}: {pattern!r} matches nothing"


def test_models_directory_in_a_checkout_is_the_top_level_models() -> None:
    assert models_directory() == ROOT / "models"


def test_models_directory_of_a_wheel_install_is_under_the_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "hybridinv"
    package.mkdir(parents=True)
    (tmp_path / "site-packages" / "models").mkdir()  # another distribution's "models": not ours, no pyproject.toml
    monkeypatch.setattr(paths, "PACKAGE_DIRECTORY", package)
    prefix = tmp_path / "prefix"
    monkeypatch.setattr(sys, "prefix", str(prefix))
    monkeypatch.setattr(site, "getuserbase", lambda: str(tmp_path / "userbase"))
    assert models_directory() == tmp_path / "site-packages" / "models"  # nothing installed: path for the error
    (tmp_path / "userbase" / INSTALLED_MODELS).mkdir(parents=True)
    assert models_directory() == tmp_path / "userbase" / INSTALLED_MODELS  # pip install --user
    (prefix / INSTALLED_MODELS).mkdir(parents=True)
    assert models_directory() == prefix / INSTALLED_MODELS


@pytest.mark.parametrize("site_packages", ["target", "prefix/lib/python3.11/site-packages",
                                           "usr/local/lib/python3.11/dist-packages"])
def test_models_directory_is_found_under_the_install_s_own_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site_packages: str
) -> None:
    """`pip install --target DIR` puts the models in DIR/share/hybridinv/models, `--prefix P` in P/share/..., and
    a Debian system Python's pip in /usr/local/share/... while sys.prefix is /usr: only sys.prefix and the user
    base were looked at, so plan() and `hybridinv demo` failed with "models/hybrid_default: no metadata.json"."""
    package = tmp_path / site_packages / "hybridinv"
    package.mkdir(parents=True)
    install_prefix = tmp_path / site_packages.split("/lib/")[0]
    monkeypatch.setattr(paths, "PACKAGE_DIRECTORY", package)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "elsewhere"))
    monkeypatch.setattr(site, "getuserbase", lambda: str(tmp_path / "userbase"))
    (install_prefix / INSTALLED_MODELS).mkdir(parents=True)
    assert models_directory() == install_prefix / INSTALLED_MODELS


def test_models_directory_falls_back_to_the_distribution_s_file_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata

    package = tmp_path / "somewhere" / "deep" / "down" / "below" / "hybridinv"
    package.mkdir(parents=True)
    models = tmp_path / "data" / INSTALLED_MODELS
    (models / "hybrid_default").mkdir(parents=True)
    (models / "hybrid_default" / "metadata.json").write_text("{}")
    monkeypatch.setattr(paths, "PACKAGE_DIRECTORY", package)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "elsewhere"))
    monkeypatch.setattr(site, "getuserbase", lambda: str(tmp_path / "userbase"))

    class Recorded:
        def __init__(self, path: str) -> None:
            self.path = path

        def as_posix(self) -> str:
            return self.path

        def locate(self) -> Path:
            return package.parent / self.path

    relative = "../../../../data/share/hybridinv/models/hybrid_default/metadata.json"
    fake = type("Dist", (), {"files": [Recorded("hybridinv/__init__.py"), Recorded(relative)]})()
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: fake)
    assert models_directory().resolve() == models.resolve()
