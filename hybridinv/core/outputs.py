"""Safe text for outputs: CSV cells, matplotlib labels, Markdown and HTML.

SKU, policy and scenario names come from users' files and registries, so every output
that shows them escapes them:

- :func:`write_csv` (used by every CSV the command line writes): a text cell starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so that a
  spreadsheet shows it as text instead of evaluating it as a formula (CSV injection);
  plain numbers written as text (``-5``, ``+1.5e3``) are left alone, numeric columns
  are never touched;
- :func:`plain_label`: ``$`` is escaped so matplotlib does not parse ``$...$`` as mathtext
  (which raises on input like ``$x^$``), and a leading ``_`` is kept visible (matplotlib leaves
  labels starting with ``_`` out of legends);
- :func:`markdown_text`: HTML special characters, backticks and table pipes are escaped;
- :func:`json_safe`: infinite and NaN numbers become ``null`` (JSON has neither).

:func:`output_directory` creates a report's folder or names why it cannot (a :class:`PlanningError`;
:func:`check_output_directory` checks it before the work, creating nothing; :func:`refuse_replacing_inputs` refuses
a report file that is one of the run's input files), :func:`replace_text_file` writes a
file whole or not at all (:func:`replace_files` a report's set of files: all written, then all renamed), and the
reports are written as UTF-8 whatever the locale (their ``±``, ``Δ`` and ``−`` failed under an ASCII or cp1252
locale after ``results.csv`` was written).
"""

from __future__ import annotations

import html
import math
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from hybridinv.core.errors import PlanningError

__all__ = [
    "FORMULA_PREFIXES", "check_output_directory", "escape_formula", "escape_formulas", "json_safe", "markdown_text",
    "nearest_existing", "output_directory", "plain_label", "refuse_replacing_inputs", "replace_file", "replace_files",
    "replace_text_file", "write_csv",
]

#: First characters that make a spreadsheet evaluate a cell (OWASP "CSV injection").
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def json_safe(value: Any) -> Any:
    """``value`` with every infinite or NaN float (at any depth of dicts, lists and tuples) as None.

    JSON has no Infinity or NaN: :func:`json.dumps` writes them by default, and JavaScript's
    ``JSON.parse`` and most other readers then refuse the whole file (``jq`` turns Infinity into
    1.8e308). An unlimited budget or capacity and an undefined ratio are ``null`` instead; dump the
    result with ``allow_nan=False`` so that none slips through.
    """
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):  # np.float64 too (a float subclass)
        return None
    return value


def escape_formula(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would evaluate; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are passed through :func:`escape_formula`."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_datetime64_any_dtype(column.dtype):
            continue
        out.isetitem(position, column.astype(object).map(escape_formula))
    out.columns = [escape_formula(name) for name in out.columns]
    return out


def write_csv(frame: pd.DataFrame, target: str | Any | IO[str], **options: Any) -> None:
    """``frame.to_csv(target, index=False, **options)`` with formula-like text cells escaped."""
    escape_formulas(frame).to_csv(target, index=False, **options)


def replace_file(path: str | Path, write: Callable[[Path], object]) -> None:
    """Write the file ``path`` whole or not at all: ``write`` writes a temporary file beside it, which then replaces it.

    A failure midway (a full disk) left a truncated file where the earlier one had been: a plan CSV cut
    mid-row still read as a shorter plan. Now the temporary file is removed and ``path`` keeps what it
    held. A symbolic link is followed (the file it points to is replaced); a path that is not a regular
    file (``/dev/stdout``, a pipe) is written directly.
    """
    _replace_all([(path, write)])


def _replace_all(writes: Sequence[tuple[str | Path, Callable[[Path], object]]],
                 failed: list[Path] | None = None,
                 folders: Sequence[tuple[str | Path, str | Path | None]] = ()) -> None:
    """Write every file to a temporary beside it, then rename them all into place (:func:`replace_file`, for a set).

    ``folders`` (target, finished folder or None) are swapped in just before the files are renamed
    (:func:`_swap_folder`). A failure before the renames removes the temporaries and leaves every earlier file and
    folder as it was. ``failed``, when given, receives the path being written or renamed when an exception was raised.
    """
    staged: list[tuple[Path, Path]] = []
    swapped: list[tuple[Path, Path | None, Path | None]] = []
    copies: list[Path] = []
    current = Path()
    try:
        ready = []
        for target, new in folders:  # before the files: a copy across file systems is the slow part
            current = Path(target)
            ready.append(_folder_beside(Path(os.path.realpath(target)), new, copies))
        for path, write in writes:
            current = Path(path)
            target = Path(os.path.realpath(path))
            try:
                mode: int | None = target.stat().st_mode
            except FileNotFoundError:
                mode = None
            if mode is not None and not stat.S_ISREG(mode):
                write(target)
                continue
            temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
            staged.append((temporary, target))
            write(temporary)
            with temporary.open("rb+") as handle:
                os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
            if mode is not None:
                os.chmod(temporary, stat.S_IMODE(mode))  # a replaced file keeps its permission bits
        for target, new in ready:
            current = target
            swapped.append(_swap_folder(target, new))
        for temporary, target in staged:
            current = target
            os.replace(temporary, target)
    except BaseException:
        if failed is not None:
            failed.append(current)
        _swap_back(swapped)
        raise
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for copy in copies:
            shutil.rmtree(copy, ignore_errors=True)
    for _, aside, _ in swapped:
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)


def _swap_back(swapped: Sequence[tuple[Path, Path | None, Path | None]]) -> None:
    """Undo :func:`_swap_folder`'s swaps, last first: each earlier folder back in place."""
    for target, aside, new in reversed(swapped):
        if new is not None:
            os.rename(target, new)
        if aside is not None:
            os.rename(aside, target)


def _folder_beside(target: Path, new: str | Path | None, copies: list[Path]) -> tuple[Path, Path | None]:
    """``(target, new)`` with ``new`` on ``target``'s file system (copied beside it when it is on another one, the
    copy listed in ``copies``), ``target``'s parent created."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if new is None:
        return target, None
    new = Path(new)
    if os.stat(new).st_dev == os.stat(target.parent).st_dev:
        return target, new
    copy = target.with_name(f".{target.name}.{secrets.token_hex(8)}.copy")
    copies.append(copy)
    shutil.copytree(new, copy, symlinks=True)
    return target, copy


def _swap_folder(target: Path, new: Path | None) -> tuple[Path, Path | None, Path | None]:
    """Rename the folder ``target`` aside (if there is one) and ``new`` (if any) to ``target``; return
    ``(target, aside, new)``, what it takes to undo the swap."""
    aside = None
    if os.path.lexists(target):
        aside = target.with_name(f".{target.name}.{secrets.token_hex(8)}.replaced")
        os.rename(target, aside)
    if new is not None:
        try:
            os.rename(new, target)
        except BaseException:
            if aside is not None:
                os.rename(aside, target)
            raise
    return target, aside, new


def replace_files(writes: Mapping[str | Path, Callable[[Path], object]], column: str = "out",
                  folders: Mapping[str | Path, str | Path | None] | None = None) -> list[Path]:
    """Write a set of files (a report's CSVs, summary and HTML page), each whole or not at all, as one set.

    Each ``write`` writes a temporary file beside its path; only when all are written are they renamed into
    place, so a failure while writing (a full disk, "File too large") leaves every earlier file as it was, not
    a cut-off ``report.html`` beside the CSVs of the new run. Render the contents before calling this.

    ``folders`` maps a folder of the set to the finished folder that replaces it, or to None to remove it (the
    models ``hybridinv backtest`` trained, beside its reports): they are renamed into place just before the files,
    the folder each replaces renamed aside and removed after the files are in place (a link is followed: the
    folder it points to is replaced), so an interruption before the renames leaves the earlier set as it was.

    Raises
    ------
    PlanningError
        Naming ``column`` and the file that could not be written, with the reason (it was a bare ``OSError``,
        "[Errno 27] File too large", without the path).
    """
    failed: list[Path] = []
    try:
        _replace_all(list(writes.items()), failed, list((folders or {}).items()))
    except OSError as exc:
        raise PlanningError(f"cannot write the file: {exc.strerror or exc} (the earlier files are left as they "
                            "were)", column=column, value=str(failed[0] if failed else "")) from exc
    return [Path(path) for path in writes]


def plain_label(text: object) -> str:
    """``text`` as a matplotlib label shown literally (``$`` escaped, so no mathtext is parsed; a leading ``_``
    behind a zero-width space, or the legend leaves the line out)."""
    label = str(text).replace("$", r"\$")
    return "\u200b" + label if label.startswith("_") else label


def output_directory(out: str | Path, column: str = "out") -> Path:
    """``out`` created (with its parents) as the folder a report is written into.

    Raises
    ------
    PlanningError
        For an empty path (it wrote into the working folder) or one that cannot be a folder (a file, a
        folder without write permission), naming ``column`` and the path (it was a bare ``FileExistsError``).
    """
    if str(out).strip() == "":
        raise PlanningError("must name a folder (an empty path wrote into the working folder)", column=column,
                            value=str(out))
    directory = Path(out)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "is a file" if directory.is_file() else (exc.strerror or str(exc))
        raise PlanningError(f"cannot be the output folder: {reason}", column=column, value=str(out)) from None
    return directory


def refuse_replacing_inputs(folder: str | os.PathLike[str], names: Sequence[str],
                            inputs: Sequence[str | os.PathLike[str]], column: str = "out") -> None:
    """Refuse a report written as ``names`` into ``folder`` where one of them is one of the ``inputs`` (or a link to
    one): ``bench`` into the folder of a scenario file whose catalog is ``results.csv`` replaced the catalog with
    the results, ``tune`` into its scenario file's folder replaced ``spec.toml``, the scenario itself.

    Raises
    ------
    PlanningError
        Naming ``column`` and the input file that would be replaced.
    """
    read = {os.path.realpath(path) for path in inputs}
    for name in names:
        target = os.path.join(folder, name)
        if os.path.realpath(target) in read:
            raise PlanningError(f"{target} would replace an input file of the run; write the report "
                                f"({', '.join(names)}) to another folder", column=column, value=str(folder))


def nearest_existing(path: Path) -> Path:
    """``path`` if it exists, else its nearest existing ancestor (what creating ``path`` would write into)."""
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    return existing


def check_output_directory(out: object, column: str = "out") -> Path:
    """``out`` as the folder a report will be written into (:func:`output_directory`), checked now and created later.

    Nothing is created: a run refused for another reason, or one that fails, leaves no empty folder behind.
    Call it before the work, so that a folder that can never be written is refused before it, not after
    (``tune(..., out="afile/sub")`` simulated every trial first).

    Raises
    ------
    PlanningError
        Naming ``column`` and the path: not a path, an empty one (it wrote into the working folder), a file, or a
        path whose nearest existing folder is a file or not writable.
    """
    if not isinstance(out, str | os.PathLike):
        raise PlanningError("must be a folder path", column=column, value=out)
    text = os.fspath(out)
    if not isinstance(text, str) or text.strip() == "":  # Path("") is "." and passed every check
        raise PlanningError("must name a folder (an empty path wrote into the working folder)", column=column,
                            value=str(text))
    directory = Path(text).absolute()
    existing = nearest_existing(directory)
    if not existing.is_dir():
        reason = "is a file" if existing == directory else f"{str(existing)!r} is a file"
    elif not os.access(existing, os.W_OK | os.X_OK):
        reason = "permission denied"
    else:
        return Path(text)
    raise PlanningError(f"cannot be the output folder: {reason}", column=column, value=text)


def replace_text_file(path: str | Path, text: str, column: str = "out") -> Path:
    """Write ``text`` (UTF-8) as ``path`` whole or not at all (:func:`replace_file`).

    A failure midway (a full disk) leaves ``path`` as it was, an earlier file included, and removes the
    temporary file (a plain ``write_text`` truncated the earlier file first and left half of the new one).

    Raises
    ------
    PlanningError
        Naming ``column`` and ``path`` with the reason, when the file cannot be written (it was a bare
        ``OSError``, "[Errno 28] No space left on device", without the path).
    """
    return replace_files({path: lambda temporary: temporary.write_text(text, encoding="utf-8")}, column)[0]


def markdown_text(text: object) -> str:
    """``text`` safe inside Markdown (and the HTML rendered from it): ``&``, ``<`` and ``>`` HTML-escaped, no
    backticks, pipes or line breaks (each becomes a space). Quotes stay as they are (they are text, not
    attributes, and a terminal shows the summary as written)."""
    # a line break started a heading or table row of the text's own (a scenario file named "x\n### fake")
    flat = " ".join(str(text).splitlines())
    return html.escape(flat, quote=False).replace("`", "&#96;").replace("|", "&#124;")
