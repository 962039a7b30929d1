"""Where the shipped models are: ``models/`` of a checkout, or where a wheel installs them.

A leaf module (it imports only :mod:`hybridinv.core.errors`), so every loader of model
directories (:mod:`hybridinv.rl.hybrid`, :mod:`hybridinv.rl.pure`, the registry
factories) can use it without importing one another.
"""

from __future__ import annotations

import os
from pathlib import Path

from hybridinv.core.errors import PlanningError

__all__ = ["INSTALLED_MODELS", "PACKAGE_DIRECTORY", "models_directory", "resolve_model_path"]

#: The directory of the ``hybridinv`` package (``hybridinv/rl/paths.py`` -> ``hybridinv``).
PACKAGE_DIRECTORY = Path(__file__).resolve().parent.parent

#: Where a wheel installs the shipped models, under ``sys.prefix`` or the user base (``pyproject.toml`` data-files).
INSTALLED_MODELS = Path("share") / "hybridinv" / "models"


def models_directory() -> Path:
    """The directory of the shipped models.

    ``models/`` next to the package in a source checkout (or an editable install), else
    ``share/hybridinv/models`` where a wheel installs them: under the install's own prefix
    (an ancestor of the package: ``pip install --target DIR``, ``--prefix``, a system Python
    whose pip installs to ``/usr/local`` while ``sys.prefix`` is ``/usr``), ``sys.prefix``,
    the user base, or wherever the distribution's file list (RECORD) says.
    """
    import site
    import sys

    root = PACKAGE_DIRECTORY.parent
    checkout = root / "models"
    if (root / "pyproject.toml").exists() and checkout.is_dir():
        return checkout
    # the install's own prefix first (site-packages, lib/python3.x/site-packages): only sys.prefix and the user base
    # were looked at, so `pip install --target` planned with "models/hybrid_default: no metadata.json"
    ancestors = list(PACKAGE_DIRECTORY.parents)[:4]
    for prefix in (*ancestors, Path(sys.prefix), Path(site.getuserbase())):
        installed = prefix / INSTALLED_MODELS
        if installed.is_dir():
            return installed
    return _recorded_models() or checkout


def _recorded_models() -> Path | None:
    """The models directory the installed distribution's RECORD lists, if any."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        files = distribution("hybridinv").files or []
    except PackageNotFoundError:
        return None
    marker = INSTALLED_MODELS.as_posix() + "/"
    for file in files:
        posix = file.as_posix()
        if marker in posix:
            located = Path(str(file.locate())).resolve()
            directory = Path(*located.parts[: len(located.parts) - len(Path(posix.split(marker, 1)[1]).parts)])
            if directory.is_dir():
                return directory
    return None


def resolve_model_path(path: str | Path) -> Path:
    """``path`` itself if it exists, else ``models/<path>``.

    Raises
    ------
    PlanningError
        When ``path`` is not a str or path (a number or a list passed as ``model=``).
    """
    if not isinstance(path, str | os.PathLike):
        raise PlanningError(f"must be a model name or directory, not {type(path).__name__}", column="model",
                            value=path)
    if "\x00" in str(path):  # was a bare "embedded null byte" ValueError
        raise PlanningError("a model path cannot hold a NUL character", column="model", value=str(path)[:200])
    candidate = Path(path)
    shipped = models_directory() / str(path)
    try:
        if candidate.exists():
            return candidate
        return shipped if shipped.exists() else candidate
    except OSError as exc:  # a name longer than the file system allows: a bare OSError (Errno 36)
        raise PlanningError(f"not a usable model path ({exc.strerror})", column="model",
                            value=str(path)[:200]) from None
