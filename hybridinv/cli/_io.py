"""What every subcommand shares: reading CSV input, and turning input errors into one-line messages.

:func:`user_error` is applied once, by the ``hybridinv`` group (:mod:`hybridinv.cli`), to
whatever a subcommand raises: invalid input (:class:`~hybridinv.PlanningError`, an
unverifiable model file, an unreadable CSV, a missing or unwritable path) is printed as
``Error: <message>`` on one line with exit code 1; anything else is a bug and keeps its
traceback. CSV outputs go through :func:`hybridinv.core.outputs.write_csv`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    import pandas as pd

    from hybridinv.backtest.history import DemandHistory

__all__ = ["check_outputs", "cutoff_from_text", "distinct_names", "emit_plan", "extra_columns_option",
           "plan_file_options", "positive_limit", "read_csv", "refuse_input_as_output", "rounded_table", "user_error",
           "creatable_directory", "writable_directory", "writable_target", "FolderPath", "NearChoice"]

_Command = TypeVar("_Command", bound=Callable[..., Any])


class NearChoice(click.Choice):
    """``click.Choice`` whose refusal also names the choices closest to a misspelt value
    (:func:`~hybridinv.core.errors.near_names`): ``--suite hospitl`` was refused with the list alone."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:  # click's own message (its wording differs between click versions)
            from hybridinv.core.errors import near_names

            hint = near_names(value, [str(choice) for choice in self.choices])
            if not hint:
                raise
            self.fail(f"{exc.message.removesuffix('.')}{hint}.", param, ctx)


#: ``--extra-columns``: what a command does with catalog columns it does not know.
extra_columns_option = click.option(
    "--extra-columns", type=NearChoice(["error", "ignore"]), default="error", show_default=True,
    help="Columns the input files do not know: an error naming the closest known column, or ignored (a known "
         "column spelt another way, 'lot size' or 'pipeline_01', or a common synonym of a column the file lacks, "
         "'min_order_qty' without 'moq', is refused either way).")

#: The options of a planning command's files, in help order (their values feed :func:`emit_plan`).
_PLAN_FILE_OPTIONS = (
    extra_columns_option,
    click.option("--output", "--out", "out_path", type=click.Path(dir_okay=False, allow_dash=True),
                 help="Write the plan as CSV (every column, full precision) to this file, or '-' for stdout; "
                      "default: print a rounded table."),
    click.option("--diagnostics", "diag_path", type=click.Path(dir_okay=False),
                 help="Write diagnostics JSON here ('-': print them after the plan); an unlimited budget or capacity "
                      "and other infinite or undefined numbers are null."),
)


def plan_file_options(command: _Command) -> _Command:
    """Add ``--extra-columns``, ``--output/--out`` and ``--diagnostics`` (``plan``, ``plan-network``)."""
    for option in reversed(_PLAN_FILE_OPTIONS):
        command = option(command)
    return command

#: Modules and names of the exception classes that mean "bad input", checked without importing the modules.
_INPUT_ERRORS: tuple[tuple[str, str], ...] = (
    ("hybridinv.core.errors", "PlanningError"),
    ("hybridinv.rl.integrity", "ModelFileError"),
    ("pandas.errors", "EmptyDataError"),
    ("pandas.errors", "ParserError"),
    ("builtins", "OSError"),
    ("builtins", "UnicodeDecodeError"),
)


def read_csv(path: str, **options: Any) -> pd.DataFrame:
    """``pandas.read_csv(path, **options)`` with the code columns read as text
    (:func:`hybridinv.core._frame.keys_as_text`: ``007`` keeps its zeros, ``NA`` is a name) and
    no column taken for an index (:func:`hybridinv.core._frame.read_csv_file`: a cell beyond the
    header's columns is refused naming its line).

    ``comment="#"`` skips the ``#`` lines that open the file, and only those
    (:func:`hybridinv.core._frame.leading_comment_rows`).

    An empty or malformed file is a :class:`PlanningError` naming it. An empty key cell
    stays empty (``""``), for the table's checks to refuse.
    """
    import pandas as pd  # imported here so that ``hybridinv <command> --help`` stays light

    from hybridinv.core._frame import read_csv_file
    from hybridinv.core.errors import PlanningError

    if options.get("comment") == "#":  # only leading comment lines: a '#' inside a SKU code is text
        from hybridinv.core._frame import leading_comment_rows

        options = {key: value for key, value in options.items() if key != "comment"}
        options["skiprows"] = leading_comment_rows(path)
    try:
        frame = read_csv_file(path, options)
        if any("\x00" in str(column) for column in frame.columns):  # UTF-16 without a byte-order mark
            raise PlanningError(f"{path}: not UTF-8 text (NUL bytes between the letters: UTF-16 without a byte-order "
                                "mark?); save it as 'CSV UTF-8'")
        _refuse_other_separator(path, frame)
        _refuse_repeated_header(path, frame, options)
        return frame
    except pd.errors.EmptyDataError:
        raise PlanningError(f"{path}: the file is empty (no header row)") from None
    except UnicodeDecodeError as exc:  # e.g. a spreadsheet's "CSV" in its local code page
        raise PlanningError(f"{path}: not UTF-8 text ({_first_bad_byte(path, exc)}); save it as 'CSV UTF-8'") from None
    except pd.errors.ParserError as exc:
        # ';' with decimal commas: the commas split the cells unevenly before the header check could name ';'
        try:
            header = pd.read_csv(path, nrows=0, skiprows=options.get("skiprows"))
        except (ValueError, OSError):  # ParserError and EmptyDataError are ValueErrors
            header = None
        if header is not None:
            try:
                _refuse_other_separator(path, header)
            except PlanningError as refused:
                raise refused from None
        raise PlanningError(f"{path}: not a readable CSV file ({_one_line(str(exc))})") from None


def _first_bad_byte(path: str, exc: UnicodeDecodeError) -> str:
    """Where the file stops being UTF-8: the byte and its line (the decoder's position is within a cell or chunk)."""
    try:
        with open(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as bad:
                    return f"byte {line[bad.start:bad.start + 1]!r} on line {number}, column {bad.start + 1}"
    except OSError:
        pass
    return f"byte {exc.object[exc.start:exc.start + 1]!r}"


def _refuse_other_separator(path: str, frame: pd.DataFrame) -> None:
    """A file written with another separator than commas, or opening with a ``sep=,`` line
    (:func:`hybridinv.core._frame.header_problem`)."""
    from hybridinv.core._frame import header_problem
    from hybridinv.core.errors import PlanningError

    problem = header_problem(frame.columns)
    if problem is not None:
        raise PlanningError(f"{path}: {problem}", column=str(frame.columns[0]))


def _refuse_repeated_header(path: str, frame: pd.DataFrame, options: dict[str, Any]) -> None:
    """A header naming a column twice: pandas renames the second ``unit_cost.1``, which
    ``--extra-columns ignore`` then dropped without a word (whichever of the two was meant)."""
    import pandas as pd

    from hybridinv.core.errors import PlanningError

    if not any("." in str(c) for c in frame.columns):  # pandas marks every repeat with a ".k" suffix
        return
    passed = {k: v for k, v in options.items() if k in ("comment", "sep", "encoding", "skiprows")}
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, **passed).iloc[0]
    seen: set[str] = set()
    for name in (str(v).strip() for v in header):
        if name and name in seen:
            raise PlanningError(f"{path}: the header names the column more than once", column=name)
        seen.add(name)


#: How ``--cutoff`` is read (``backtest``, ``train``): the end of both options' help.
CUTOFF_READINGS = ("its label (2023-01) or the number of training periods (28); when the history's labels are "
                   "numbers too and the two differ, write count:28 or label:28")


def cutoff_from_text(text: str, history: DemandHistory) -> int | str:
    """``--cutoff`` as :meth:`~hybridinv.backtest.history.DemandHistory.cutoff_index` takes it:
    a number of training periods (int) or the label of the first test period (str).

    ``count:N`` and ``label:L`` ask for one reading. Otherwise a whole number is read both ways:
    when only one reading fits the history it is taken, when both fit and cut the history at
    different periods (labels ``1, 2, 3, ...``: ``29`` is 29 training periods, or period ``29``
    first tested) it is an error naming both readings and the prefixes.

    Raises
    ------
    PlanningError
        Naming ``cutoff`` and the text, for an ambiguous cutoff or one that fits neither reading.
    """
    import contextlib
    import re

    from hybridinv.core.errors import PlanningError

    given = text.strip()
    kind, prefixed, rest = given.partition(":")
    if prefixed and kind.strip() in ("count", "label"):
        rest = rest.strip()
        if kind.strip() == "label":
            return rest
        if not re.fullmatch(r"[+-]?[0-9]+", rest):
            raise PlanningError("count: takes a whole number of training periods (count:28)", column="cutoff",
                                value=text)
        return int(rest)
    if not re.fullmatch(r"[+-]?[0-9]+", given):
        return given  # a label: 2023-01, w29, Apr 2001
    count, labels, n = int(given), [str(p) for p in history.periods], history.n_periods
    fits: dict[str, int] = {}
    for reading, value in (("count", count), ("label", given)):
        with contextlib.suppress(PlanningError):
            fits[reading] = history.cutoff_index(value)
    if len(fits) == 2 and fits["count"] != fits["label"]:
        raise PlanningError(
            f"the cutoff is ambiguous: {count} training periods (first test period {labels[fits['count']]}) or "
            f"the period labelled {given} (after {fits['label']} training periods); write --cutoff count:{given} "
            f"or --cutoff label:{given}", column="cutoff", value=given)
    if "count" in fits:
        return count
    if "label" in fits:
        return given
    if n < 3:  # no test period can follow 2 training periods: the count's error says so
        history.cutoff_index(count)
    raise PlanningError(
        f"the cutoff is neither a number of training periods from 2 to {n - 1} (the history has {n} periods) "
        f"nor the label of a test period ({labels[2]} to {labels[-1]})", column="cutoff", value=given)


def season_from_text(text: str) -> int | str | None:
    """``--season``: ``auto`` (from the history's period labels), ``0`` (no season) or a cycle in periods.

    Raises
    ------
    PlanningError
        Naming ``season`` for anything else.
    """
    from hybridinv.core.errors import PlanningError

    if text.strip().lower() == "auto":
        return "auto"
    try:
        number = int(text)
    except ValueError:
        raise PlanningError("must be 'auto', 0 (no season) or a whole number of periods", column="season",
                            value=text) from None
    if number < 0:
        raise PlanningError("must be 'auto', 0 (no season) or a whole number of periods", column="season",
                            value=text)
    return number or None


def distinct_names(names: Sequence[str], option: str) -> None:
    """Refuse a name given more than once in ``option``: a usage error (each would run, or be written, twice)."""
    repeated = [name for k, name in enumerate(names) if name in names[:k]]
    if repeated:
        raise click.BadParameter(f"{repeated[0]!r} is given more than once", param_hint=option)


def positive_limit(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """A click callback: a capacity or budget must be > 0 (inf: none), a usage error naming the option otherwise.

    ``--capacity 0`` was a PlanningError naming "column 'capacity'" with exit code 1, after both files were read.
    The rule is :class:`~hybridinv.Constraints`'s own, checked here as the option is read. None (an option
    left out, where the command derives the limit) passes.
    """
    from hybridinv.core.constraints import Constraints
    from hybridinv.core.errors import PlanningError

    if value is None:
        return None
    try:
        Constraints(capacity=value) if param.name == "capacity" else Constraints(budget=value)
    except PlanningError as exc:
        raise click.BadParameter(f"{exc.message}, got {value:g}") from None
    return value


class FolderPath(click.Path):
    """``click.Path(file_okay=False)`` that refuses an empty value: ``--out ""`` named the current folder to
    ``Path`` and passed every check before the run, to be refused (or written into ``.``) after it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(file_okay=False, **options)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("must name a folder, got an empty path", param, ctx)
        return super().convert(value, param, ctx)


def writable_directory(path: str | os.PathLike[str], option: str = "--out") -> None:
    """Create the output directory now and check that a file can be written in it, before the run.

    A bench suite (hours) or a tuning run first found ``--out afile/sub`` unwritable when it wrote its results.

    Raises
    ------
    click.BadParameter
        Naming the option and the path (a usage error, exit code 2).
    """
    import tempfile

    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise click.BadParameter(f"cannot write to {str(path)!r}: {exc.strerror or exc}", param_hint=option) from None


def writable_target(path: str | os.PathLike[str], option: str = "--out") -> None:
    """Check, creating nothing, that a model folder can be written as ``path`` (``train`` writes it after the run
    and refuses bad options without a folder left behind; ``--out afile/sub`` trained to the end and then failed).

    The nearest existing ancestor of its parent must be a writable folder (the model is written beside
    ``path`` and renamed into place), and ``path`` must be new, empty or hold an earlier model
    (:func:`~hybridinv.rl.integrity.check_model_target`).

    Raises
    ------
    click.BadParameter
        Naming the option and the path (a usage error, exit code 2).
    """
    from hybridinv.rl.integrity import ModelFileError, check_model_target

    _nearest_folder_writable(Path(os.path.realpath(path)).parent, path, option)
    try:
        check_model_target(Path(path))
    except ModelFileError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def creatable_directory(path: str | os.PathLike[str], option: str = "--out") -> None:
    """Check, creating nothing, that ``path`` is a folder that can be written into or can be made one: its
    nearest existing ancestor (itself, if it exists) is a writable folder.

    For a command that checks its input before it makes ``--out`` (``monitor``: a refused log leaves no folder),
    so that a bad ``--out`` is a usage error naming the option, not an error naming the library's argument.

    Raises
    ------
    click.BadParameter
        Naming the option and the path (a usage error, exit code 2).
    """
    _nearest_folder_writable(Path(os.path.realpath(path)), path, option)


def _nearest_folder_writable(start: Path, path: str | os.PathLike[str], option: str) -> None:
    """Refuse ``path`` unless the nearest existing of ``start`` and its ancestors is a folder that can be written."""
    from hybridinv.core.outputs import nearest_existing

    existing = nearest_existing(start)
    if not existing.is_dir():
        raise click.BadParameter(f"cannot write to {str(path)!r}: {str(existing)!r} is not a folder", param_hint=option)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise click.BadParameter(f"cannot write to {str(path)!r}: permission denied", param_hint=option)


def is_scenario_file(name: str) -> bool:
    """Whether a ``--scenario``/``--scenarios`` name is a scenario file that exists.

    Its contents are data: a problem in them is a one-line error (exit 1), where an unknown name is
    a usage error (exit 2).
    """
    from pathlib import Path

    return name.endswith(".toml") and Path(name).is_file()


def _one_line(text: str) -> str:
    return "; ".join(part.strip() for part in text.splitlines() if part.strip())


def user_error(exc: BaseException) -> str | None:
    """The one-line message for an input error, or None if ``exc`` is not one (a bug: keep the traceback)."""
    from hybridinv.core.errors import missing_extra

    hint = missing_extra(exc)  # an optional dependency the command needs is not installed
    if hint is not None:
        return hint
    for module, name in _INPUT_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return _one_line(str(exc)) or type(exc).__name__
    return None


def check_outputs(out_path: str | None, diag_path: str | None, inputs: Sequence[str | None]) -> None:
    """Refuse output files that cannot be written, or that are input files, before anything is planned.

    ``--out`` naming the ``--state`` file overwrote the input without a word; a missing folder for ``--out``
    failed after ``--diagnostics`` was written, leaving the diagnostics of a plan never written; one file for
    both outputs kept the diagnostics only; both on stdout were refused only after planning; an empty name
    (``--out "$OUT"`` with ``OUT`` unset) printed the table and wrote no file.

    Raises
    ------
    click.BadParameter
        Naming the option and the path (exit code 2).
    """
    for path, option in ((out_path, "--output"), (diag_path, "--diagnostics")):
        if path is not None and not path.strip():  # was taken as "not given": the table printed, no file written
            raise click.BadParameter("the file name is empty (an unset shell variable?); give a file, or '-' for "
                                     "stdout", param_hint=option)
    if diag_path == "-" and out_path == "-":  # refused before planning, not after
        raise click.BadParameter("stdout carries the plan (--output -); give the diagnostics a file",
                                 param_hint="'--diagnostics'")
    if out_path and diag_path and out_path != "-" and os.path.realpath(out_path) == os.path.realpath(diag_path):
        # the diagnostics JSON replaced the plan CSV, and the command said "wrote 6 rows"
        raise click.BadParameter(f"{diag_path!r} is the --output file too; write them to two files",
                                 param_hint="'--diagnostics'")
    for path, option in ((out_path, "--output"), (diag_path, "--diagnostics")):
        if not path or path == "-":
            continue
        refuse_input_as_output(path, option, inputs)
        folder = os.path.dirname(os.path.abspath(path))  # (a folder as the file: click's Path(dir_okay=False))
        if not os.path.isdir(folder):
            raise click.BadParameter(f"the folder of {path!r} does not exist", param_hint=option)


def refuse_input_as_output(path: str, option: str, inputs: Sequence[str | None],
                           instead: str = "write to another file") -> None:
    """Refuse an output file that is one of the ``inputs`` (or a link to one): writing it would destroy the input.

    ``instead`` ends the message: what to do.

    Raises
    ------
    click.BadParameter
        Naming ``option`` and the path (exit code 2).
    """
    if os.path.realpath(path) in {os.path.realpath(read) for read in inputs if read}:
        raise click.BadParameter(f"{path!r} is one of the input files; {instead}", param_hint=option)


def refuse_inputs_in_folder(out_dir: str, names: Sequence[str], inputs: Sequence[str | None],
                            what: str = "the results") -> None:
    """Refuse an ``--out`` folder where one of the files ``names`` the command writes is one of the ``inputs``
    (:func:`refuse_input_as_output` for each: ``--decisions DIR/summary.csv --out DIR`` replaced the decisions)."""
    for name in names:
        refuse_input_as_output(os.path.join(out_dir, name), "--out", inputs,
                               f"write {what} ({', '.join(names)}) to another folder")


def emit_plan(result: pd.DataFrame, out_path: str | None, diag_path: str | None, table: str) -> None:
    """What ``plan`` and ``plan-network`` print: the diagnostics' warnings to stderr, then the plan.

    ``out_path`` ``-`` writes the CSV to stdout, another path to that file (full precision);
    without one ``table`` (the rounded table for people) is printed. ``diag_path`` receives the
    diagnostics as JSON (after the plan's file, before anything is printed; ``-`` prints them after
    the plan, unless the plan goes to stdout, and then the "wrote N rows" line goes to stderr so stdout
    is the JSON alone). The files are written whole or not at all, as one set
    (:func:`~hybridinv.core.outputs.replace_files`: a full disk left a truncated plan that read as a shorter one;
    an error names the file, ``/proc/version``'s bare 'Input/output error' included). :func:`check_outputs`
    checked both paths before planning.
    """
    import json

    import click

    from hybridinv.core.outputs import json_safe, replace_files, write_csv

    # standard JSON: Python's Infinity and NaN (no budget, budget_used without a budget) broke JSON.parse and jq
    diagnostics = json.dumps(json_safe(result.attrs["diagnostics"]), indent=2, default=str, allow_nan=False)
    files: dict[str | Path, Callable[[Path], object]] = {}
    if out_path and out_path != "-":
        files[out_path] = lambda temporary: write_csv(result, temporary)
    if diag_path and diag_path != "-":
        files[diag_path] = lambda temporary: temporary.write_text(diagnostics, encoding="utf-8")
    if files:  # one set: diagnostics are never left beside a plan not written
        replace_files(files, column="output")
    for message in result.attrs["diagnostics"]["warnings"]:
        click.echo(f"Warning: {message}", err=True)
    if out_path == "-":
        write_csv(result, sys.stdout)
    elif out_path:
        click.echo(f"wrote {len(result)} rows to {out_path}", err=diag_path == "-")
    else:
        click.echo(table)
    if diag_path == "-":
        click.echo(diagnostics)


def rounded_table(result: pd.DataFrame, formats: dict[str, str | None]) -> str:
    """The columns of ``formats`` that ``result`` has, each cell formatted by its format (NaN as ``-``).

    Text cells a spreadsheet would evaluate are escaped as in the CSV
    (:func:`hybridinv.core.outputs.escape_formulas`).
    """
    import pandas as pd

    from hybridinv.core.outputs import escape_formulas

    columns = [c for c in formats if c in result.columns]
    shown = escape_formulas(result[columns])
    formatters = {
        column: (lambda value, fmt=fmt: "-" if pd.isna(value) else fmt.format(value + 0.0))
        for column, fmt in formats.items()
        if fmt is not None and column in columns
    }
    return str(shown.to_string(index=False, formatters=formatters, na_rep="-"))  # type: ignore[arg-type]
