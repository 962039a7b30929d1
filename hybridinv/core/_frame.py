"""Validation helpers that turn pandas columns into checked numpy arrays."""

from __future__ import annotations

import bz2
import datetime as _dt
import decimal
import difflib
import gzip
import io
import lzma
import math
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from hybridinv.core._quiet import warnings_filtered
from hybridinv.core.errors import PlanningError, PlanningWarning, number_array, refuse_labelled_series
from hybridinv.core.limits import MAX_LEAD_TIME, MAX_QUANTITY

__all__ = [
    "COST_LIMIT_NAME",
    "ExtraColumns",
    "RowSkus",
    "check_columns",
    "per_sku",
    "require_frame",
    "require_columns",
    "sku_codes",
    "sku_column",
    "numeric_column",
    "check_array",
]


#: How a table treats columns it does not know: ``"error"`` (the default: a misspelled
#: optional column would otherwise be ignored and silently change the plan), ``"ignore"``,
#: or a collection of column names that may appear in addition to the known ones.
ExtraColumns: TypeAlias = Literal["error", "ignore"] | Collection[str]



def by_sku_labels(values: Any, skus: ArrayLike, column: str) -> Any:
    """``values`` in the order of ``skus`` when they carry SKU labels, else ``values`` unchanged.

    A pandas Series whose index, or a DataFrame whose columns, are not a plain 0..n-1 range is
    read by those labels (compared as text): every SKU once, no other. Read by position, such an
    input in another SKU order gave each SKU another's value.

    Raises
    ------
    PlanningError
        Naming ``column`` and the SKU that is repeated, missing or unknown.
    """
    if isinstance(values, pd.Series) and not isinstance(values.index, pd.RangeIndex):
        labels = values.index.astype(str)
    elif isinstance(values, pd.DataFrame) and not isinstance(values.columns, pd.RangeIndex):
        labels = values.columns.astype(str)
    else:
        return values
    if labels.duplicated().any():
        raise PlanningError("lists a SKU more than once", column=column, sku=labels[labels.duplicated()][0])
    wanted = pd.Index(np.asarray(skus).astype(str))
    missing, extra = wanted.difference(labels), labels.difference(wanted)
    if len(missing) or len(extra):
        raise PlanningError("must have one value per catalog SKU, read by its label" + (
            " (one is missing)" if len(missing) else " (it names a SKU that is not in the catalog)"),
            column=column, sku=(missing if len(missing) else extra)[0])
    if isinstance(values, pd.Series):
        return pd.Series(values.to_numpy(), index=labels).reindex(wanted).to_numpy()
    return values.set_axis(labels, axis=1)[wanted].to_numpy()


def leading_comment_rows(path: object) -> int:
    """How many lines open the text file ``path`` with ``#`` comments (or blanks): the rows to skip.

    Only leading lines count. ``pandas.read_csv(comment="#")`` also cut every line at its first
    ``#``, so SKU codes such as ``PART#12`` and ``PART#13`` were both read as ``PART`` and merged.
    """
    count = 0
    try:
        with _open_text(str(path)) as handle:
            for line in handle:
                text = line.strip()
                if text and not text.startswith("#"):
                    break
                count += 1
    except (OSError, EOFError, ValueError, zipfile.BadZipFile):  # not a readable file: let pandas say so
        return 0
    return count


@contextmanager
def _open_text(path: str) -> Iterator[IO[str]]:
    """``path`` as text, decompressed as pandas infers it from the suffix (a gzip log's comment lines were read
    as compressed bytes, none skipped, and pandas then failed on them)."""
    options: dict[str, Any] = {"encoding": "utf-8-sig", "errors": "replace"}
    suffix = path.lower().rsplit(".", 1)[-1]
    if suffix == "zip":  # pandas reads a zip's only member
        with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as member:
            yield io.TextIOWrapper(member, **options)
        return
    openers: dict[str, Callable[..., IO[str]]] = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}
    opener = openers.get(suffix, open)
    with opener(path, "rt", **options) as handle:
        yield handle


#: Columns that hold codes, read from CSV files as text (``007`` stays ``007``, ``NA`` is a name).
KEY_COLUMNS = ("sku", "location", "parent", "supplier")


def read_csv_file(path: object, options: dict[str, Any]) -> pd.DataFrame:
    """``pandas.read_csv(path, **options)`` that never takes the first column for an index; codes as text.

    When the first data row has one cell more than the header, pandas made the first column
    the index and shifted every name one column left (a catalog's unit costs were read as
    its SKUs, and the error named SKU ``'21.31'``). Read with ``index_col=False``, trailing
    empty cells (a comma closing each line) are dropped; a row whose extra cell holds a value
    is a :class:`PlanningError` naming its line. Then :func:`keys_as_text`.

    Only an empty cell is missing (``keep_default_na=False, na_values=[""]``, as the README reads files): a
    spreadsheet's ``#N/A`` or ``NA`` in a number column is text the table's checks refuse by name, not a blank
    (``#N/A`` in ``max_order`` planned without a cap, in ``shelf_life`` as not perishable, without a word).
    """
    options = {"index_col": False, "keep_default_na": False, "na_values": [""], **options}
    # pandas' only signal that index_col=False drops a value: "Length of header or names does not match ..."
    with warnings_filtered(("error", "Length of header", pd.errors.ParserWarning, "")):
        try:
            frame = pd.read_csv(str(path), **options)
        except pd.errors.ParserWarning:
            raise PlanningError(f"{path}: {_longer_row(path, options) or _LONGER_ROW}") from None
        except pd.errors.ParserError as exc:  # a later row longer than the first: "Expected 3 fields in line 9, saw 4"
            longer = _longer_row(path, options) if "Expected" in str(exc) else None
            if longer is None:
                raise
            raise PlanningError(f"{path}: {longer}") from None
    frame = keys_as_text(path, frame, options)
    # a row of empty cells only (",,,": a spreadsheet's formatted but empty row) is skipped like a blank line; it was
    # "state has an empty SKU", naming neither the file nor the line
    # column by column, stopping at the first that leaves no row empty (the SKU column, in a file without such rows):
    # no copy of the frame on every read
    empty = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        values = frame[column]
        # a code column was read as text, where an empty cell is ""
        empty &= values.to_numpy(dtype=object) == "" if column in KEY_COLUMNS else values.isna().to_numpy()
        if not empty.any():
            return frame
    return frame.loc[~empty].reset_index(drop=True) if len(frame.columns) else frame


#: what :func:`read_csv_file` says when :func:`_longer_row` finds no line
_LONGER_ROW = "a row has more cells than the header names columns"


def _longer_row(path: object, options: dict[str, Any]) -> str | None:
    """Which line holds a value beyond the header's columns (found by the :mod:`csv` module), or why the header is
    not one; None when no line does."""
    import csv

    skip = options.get("skiprows")
    skip = skip if isinstance(skip, int) else 0
    separator = options.get("sep") or ","
    encoding = options.get("encoding") or "utf-8-sig"
    with open(str(path), encoding=encoding, errors="replace", newline="") as handle:
        rows = csv.reader(handle, delimiter=separator)
        header: list[str] | None = None
        for number, row in enumerate(rows, start=1):
            if number <= skip or not any(cell.strip() for cell in row):  # pandas skips blank lines too
                continue
            if header is None:
                header = row
                problem = header_problem(row)  # ';' with decimal commas splits every row evenly
                if problem is not None:
                    return problem
            elif len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                return (f"line {number} has {len(row)} cells but the header names {len(header)} columns "
                        f"(value {row[len(header)]!r} has no column name): name its column in the header "
                        "or remove the cell (a number written with a thousands separator, 1,234, splits into two "
                        "cells: remove the separators or quote the number)")
    return None


def text_variant(name: object, candidates: Iterable[object]) -> str | None:
    """The first of ``candidates`` that is ``name`` written with other spaces at its ends or other case, else None.

    Codes and names are compared as text, so a padded spreadsheet cell (``"A1 "``, ``" ACME"``) or another case
    (``MOQ``) is another value; the checks that name the one meant use this one rule.
    """
    text = str(name)
    key = text_key(text)
    return next((str(c) for c in candidates if str(c) != text and text_key(c) == key), None)


#: a code written as a plain number: 00100, 100, 100.0, 1.5e3 (no sign, no thousands separator)
_NUMBER_CODE = re.compile(r"\d+(\.\d*)?([eE][+-]?\d+)?")


def number_variant(name: object, candidates: Iterable[object]) -> str | None:
    """The first of ``candidates`` that is ``name`` written as another number (``00100`` and ``100``, ``100.0`` and
    ``100``: a spreadsheet, or a file read without ``dtype=str``, drops leading zeros or writes a float), else None.

    Checked only to explain a code that was not found: codes are compared as text.
    """
    text = str(name).strip()
    if not _NUMBER_CODE.fullmatch(text):
        return None
    value = decimal.Decimal(text)
    return next((str(c) for c in candidates if str(c) != str(name) and _NUMBER_CODE.fullmatch(str(c).strip())
                 and decimal.Decimal(str(c).strip()) == value), None)


def warn_text_variants(names: Iterable[object], table: str, stacklevel: int = 3) -> None:
    """Warn when two of ``names`` (a log's distinct SKU codes) are one code written with other spaces at its ends or
    other case (:func:`text_key`): ``"A1"`` and ``"A1 "`` from a padded spreadsheet cell are read as two SKUs, each
    with part of the sales, and the fit, the forecast and the plan split one SKU's demand in two without a word."""
    seen: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for name in (str(n) for n in names):
        other = seen.setdefault(text_key(name), name)
        if other != name:
            pairs.append((other, name))
    if pairs:
        first, second = pairs[0]
        warnings.warn(PlanningWarning(
            f"{table}: {len(pairs)} SKU code(s) are another code written with other spaces at its ends or other case "
            f"(first: {first!r} and {second!r}); codes are compared as text, so they are read as different SKUs, "
            "each with part of the rows: write each SKU's code one way if they are one SKU"), stacklevel=stacklevel)


def text_key(name: object) -> str:
    """``name`` as :func:`text_variant` compares it: without spaces at its ends, case folded."""
    return str(name).strip().casefold()


def header_problem(header: Sequence[object]) -> str | None:
    """Why a CSV header read with commas is not a header, or None: a spreadsheet's ``sep=,`` line, or one
    column whose name holds ``;``, a tab or ``|`` (the file was written with another separator)."""
    cells = [str(cell) for cell in header]
    if cells and cells[0].strip().lower().startswith("sep="):
        return f"its first line starts {cells[0]!r}, a spreadsheet's separator hint, not the header: remove that line"
    if len(cells) == 1:
        for separator, label in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")):
            if separator in cells[0]:
                return (f"the header is one column; the file looks separated by {label}, not commas (save it as "
                        "comma-separated CSV, with '.' as the decimal point)")
    return None


def keys_as_text(path: object, frame: pd.DataFrame, options: dict[str, Any] | None = None) -> pd.DataFrame:
    """``frame`` (read from the CSV file ``path`` with ``options``) with its :data:`KEY_COLUMNS` read again as text.

    pandas reads ``007`` as the number 7 and ``NA`` as missing; a code column is read a second
    time with ``dtype=str`` and no missing-value markers (a blank cell is ``""``).
    """
    keys = [c for c in frame.columns if c in KEY_COLUMNS]
    if not keys or not len(frame):
        return frame
    text = {k: v for k, v in (options or {}).items() if k not in ("dtype", "usecols", "converters", "na_values")}
    codes = pd.read_csv(str(path), **{**text, "usecols": keys, "dtype": str, "keep_default_na": False})
    for key in keys:
        frame[key] = codes[key].to_numpy(dtype=object)
    return frame


def require_frame(df: object, table: str) -> pd.DataFrame:
    """Return ``df`` if it is a DataFrame with distinct column names, else raise :class:`PlanningError`."""
    if not isinstance(df, pd.DataFrame):
        raise PlanningError(f"{table} must be a pandas DataFrame, got {type(df).__name__}")
    if isinstance(df.columns, pd.MultiIndex):  # df["sku"] was a frame: an AttributeError deep in the checks
        raise PlanningError(f"{table} has column labels of {df.columns.nlevels} levels (e.g. from pivot_table); give "
                            "one name per column (df.columns = [...]: 'sku', ...)", column=str(df.columns[0]))
    distinct_columns(df, table)
    return df


def distinct_columns(df: pd.DataFrame, table: str) -> None:
    """Refuse a column name that ``df`` has twice: ``df[name]`` would be a frame, not a column (an
    AttributeError or TypeError deep in pandas; a frame glued together with ``pd.concat(axis=1)``)."""
    repeated = df.columns[df.columns.duplicated()]
    if len(repeated):
        raise PlanningError(f"{table} has the column more than once", column=str(repeated[0]))


def require_columns(df: pd.DataFrame, columns: Iterable[str], table: str) -> None:
    """Raise naming the first missing column of ``table`` (or one it has twice)."""
    distinct_columns(df, table)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise PlanningError(
            f"{table} is missing required column(s) {missing}; it has {list(df.columns)}",
            column=missing[0],
        )


def sku_codes(
    df: pd.DataFrame, table: str, *, unique: bool = True, known: NDArray[np.object_] | None = None
) -> tuple[NDArray[np.int64], NDArray[np.object_]]:
    """The ``sku`` column as integer codes into its distinct SKUs, checked for gaps (and duplicates).

    Each row's SKU is ``names[codes[row]]``; ``names`` holds each distinct SKU once (as
    ``str``), in order of first appearance. SKU strings are hashed once per distinct SKU:
    without ``unique``, runs of equal neighbouring rows (a forecast sorted by SKU) are
    collapsed first; when the distinct SKUs are exactly ``known`` (a catalog's SKUs, in its
    order) they are not hashed at all, and a missing cell (None, NaN, ``pd.NA``) is found by
    the hashing itself rather than by a pass of its own.

    Parameters
    ----------
    df : DataFrame
    table : str
        Table name for messages.
    unique : bool
        Refuse a SKU listed on more than one row.
    known : array of str, optional
        Unique SKUs the column is expected to list (in that order), for the fast path.

    Raises
    ------
    PlanningError
        Naming the first empty SKU (NaN, None, "", only spaces or an infinite number) or, with
        ``unique``, the first SKU listed twice.
    """
    require_columns(df, ["sku"], table)
    raw = df["sku"]
    values = raw.to_numpy(dtype=object)
    n = values.size
    # equal neighbours have equal text only within one type (1 == 1.0 == True, -0.0 == 0.0); in a table
    # of unique SKUs equal neighbours are an error anyway, so its rows are not compared
    text_only = raw.dtype.kind in "iuT" or isinstance(raw.dtype, pd.StringDtype)
    runs = not unique and (text_only or raw.dtype.kind == "O")
    heads = _run_heads(values) if runs else np.arange(n, dtype=np.int64)
    if raw.dtype.kind == "O":
        # a str equals only a str: when every run starts with one, every cell is one (the type is read per run)
        text_only = pd.api.types.infer_dtype(values[heads], skipna=False) == "string"
        if not text_only and heads.size < n:
            heads = np.arange(n, dtype=np.int64)
    whole = heads.size == n
    text = (raw if whole else raw.iloc[heads]).astype(str).to_numpy(dtype=object)  # same conversion as the column
    lengths = None if whole else np.diff(np.append(heads, n))
    if known is not None and text.size == known.size and (not unique or whole) and _same(text, known):
        # equal to a catalog's SKUs: no cell is empty
        codes = np.arange(text.size, dtype=np.int64)
        return (codes if lengths is None else np.repeat(codes, lengths)), known
    head_codes, names = pd.factorize(text)  # a missing cell (None, NaN, pd.NA: NaN as text) gets code -1
    names = np.asarray(names, dtype=object)
    # spaces alone are empty too ("   " was planned as a SKU where "" was refused): one pass over the distinct
    # names (~90 ms at a million; the state and forecast of a plan take the catalog's fast path above)
    blank = np.fromiter((not name.strip() for name in names), dtype=bool, count=names.size)
    empty = np.append(blank, True)[head_codes]  # code -1 reads the appended True
    if not text_only:  # a cell whose text is not missing though the cell is (pd.isna knows more kinds of gap)
        empty |= pd.isna(values[heads])
    if raw.dtype.kind == "f":
        empty |= np.isinf(raw.to_numpy(dtype=np.float64)[heads])
    if empty.any():
        value = raw.iloc[int(heads[int(np.flatnonzero(empty)[0])])]
        raise PlanningError(f"{table} has an empty SKU", column="sku", value=value)
    codes = np.asarray(head_codes, dtype=np.int64)
    if lengths is not None:
        codes = np.repeat(codes, lengths)
    if unique and names.size < n:
        # codes are numbered in order of first appearance: a row repeats an earlier SKU
        # exactly when its code is not above every code before it
        seen = np.maximum.accumulate(np.r_[np.int64(-1), codes[:-1]])
        dup = int(np.flatnonzero(codes <= seen)[0])
        raise PlanningError(f"{table} lists SKU more than once", column="sku", sku=str(names[codes[dup]]))
    return codes, names


class RowSkus(Sequence[object]):
    """Each row's SKU as ``names[codes[row]]``, looked up only when a message names one.

    Stands in for the per-row SKU array that the column checks take for their messages, so
    a frame of millions of rows (a forecast) does not build an object array of that size.
    Indexing with an integer gives the SKU; with a slice, mask or index array another
    ``RowSkus`` of those rows.
    """

    def __init__(self, names: NDArray[np.object_], codes: NDArray[np.int64]) -> None:
        self.names, self.codes = names, codes

    def __len__(self) -> int:
        return int(self.codes.size)

    def __getitem__(self, rows: Any) -> Any:
        if isinstance(rows, (int, np.integer)):
            return self.names[self.codes[rows]]
        return RowSkus(self.names, self.codes[rows])


def _run_heads(values: NDArray[np.object_]) -> NDArray[np.int64]:
    """Rows whose value differs from the row before (every row when values cannot be compared)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.ones(values.size, dtype=bool)
    try:
        np.not_equal(values[1:], values[:-1], out=change[1:])
    except (TypeError, ValueError):  # cells that do not compare to a single bool (pd.NA, arrays)
        change[:] = True
    return np.flatnonzero(change)


def _same(text: NDArray[np.object_], known: NDArray[np.object_]) -> bool:
    try:
        return bool(np.equal(text, known).all())
    except (TypeError, ValueError):
        return False


def sku_column(df: pd.DataFrame, table: str, *, unique: bool = True) -> NDArray[np.object_]:
    """Return the ``sku`` column as an object array of strings, checked for gaps and duplicates."""
    codes, names = sku_codes(df, table, unique=unique)
    return names if unique else names[codes]


def headerless_position(column: object) -> int | None:
    """The 1-based position of a column pandas read without a header (``Unnamed: 4`` is column 5), else None."""
    found = re.fullmatch(r"Unnamed: (\d+)", str(column))
    return None if found is None else int(found.group(1)) + 1


def refuse_headerless(columns: Sequence[object], table: str) -> None:
    """Raise for the first of ``columns`` pandas read without a header (a trailing comma), naming its position.

    An "unknown column 'Unnamed: 4'" named a column the file does not have.
    """
    for column in columns:
        position = headerless_position(column)
        if position is not None:
            raise PlanningError(f"{table}: column {position} has no header (a trailing comma at the end of every "
                                f"line? pandas names it {str(column)!r}); remove the empty column or give it a name",
                                column=str(column))


def check_columns(
    df: pd.DataFrame,
    known: Sequence[str],
    table: str,
    extra_columns: ExtraColumns = "error",
    *,
    pattern: re.Pattern[str] | None = None,
    pattern_label: str = "",
    suggestions: Sequence[str] = (),
    hints: Mapping[str, str] | None = None,
) -> None:
    """Raise on a column ``table`` does not know, naming the closest known column.

    Parameters
    ----------
    df : DataFrame
    known : sequence of str
        Column names the table reads.
    table : str
        Table name for messages.
    extra_columns : "error", "ignore" or collection of str
        ``"error"``: any other column is an error; ``"ignore"``: other columns are
        allowed; a collection: those columns are allowed too.
    pattern : compiled regex, optional
        Further known names (``pipeline_<k>``, quantile columns ``q0.1``).
    pattern_label : str
        How ``pattern`` is shown in the message (``pipeline_<k>``).
    suggestions : sequence of str
        Extra candidates for the "did you mean" hint (e.g. ``pipeline_1``).
    hints : mapping, optional
        Synonyms mapped to the column they stand for (``in_transit`` → ``pipeline_<k>``), compared without case,
        spaces, dashes or underscores (:func:`_loose_key`).

    Raises
    ------
    PlanningError
        Naming the unknown column and the closest known one.
    """
    distinct_columns(df, table)
    allowed = _allowed_extra(extra_columns)
    if allowed is None:
        _refuse_hidden_known(df, known, table, pattern, hints)
        return
    names = set(known) | allowed
    unknown = [c for c in df.columns if str(c) not in names and (pattern is None or not pattern.match(str(c)))]
    if not unknown:
        return
    column = str(unknown[0])
    refuse_headerless([column], table)
    candidates = list(dict.fromkeys([*known, *suggestions]))
    lower = {c.lower(): c for c in candidates}
    key = column.strip().lower()
    guess = _hint(column, hints) or lower.get(key)
    if guess is None:
        close = difflib.get_close_matches(key, list(lower), n=1, cutoff=0.6)
        guess = lower[close[0]] if close else None
    hint = f" (did you mean {guess!r}?)" if guess is not None else ""
    raise PlanningError(
        f"{table} has unknown column {column!r}{hint}; known columns: {', '.join(known)}"
        + (f", {pattern_label}" if pattern_label else "")
        + "; pass extra_columns='ignore' (or a list of names; on the command line --extra-columns ignore) to "
        "allow other columns",
        column=column,
    )


def _refuse_hidden_known(df: pd.DataFrame, known: Sequence[str], table: str,
                         pattern: re.Pattern[str] | None, hints: Mapping[str, str] | None = None) -> None:
    """With other columns ignored, still refuse those that hide data a plan needs.

    A known column written another way (``MOQ``, ``'pipeline_2 '``, ``lot size``, ``Lot-Size``, ``pipeline_01``,
    ``pipeline1``, a full-width digit): ignored, the MOQ was 0 and 50 units in transit vanished, without a word.
    A synonym of a column the table lacks (``in_transit`` without any ``pipeline_<k>``, ``sd`` without ``std``,
    ``min_order_qty`` without ``moq``).
    A column without a header that holds values after the first (an unquoted thousands separator, ``1,234``,
    splits a number into two cells): ignored, on hand read 1.
    """
    loose = {_loose_key(k): k for k in known}
    present = {str(c) for c in df.columns}
    patterned = pattern is not None and any(pattern.match(name) for name in present)
    for position, column in enumerate(df.columns):
        name = str(column)
        if name in known or (pattern is not None and pattern.match(name)):
            continue
        meant = loose.get(_loose_key(name))
        if meant is None and pattern is not None:
            meant = next((s for s in _spellings(name) if pattern.match(s)), None)
        if meant is not None:
            raise PlanningError(f"{table} column {name!r} is {meant!r} written another way (case, spaces, dashes "
                                "or a zero-padded number); name it exactly (other columns are ignored, this one "
                                "would have been dropped without a word)", column=name)
        target = _hint(name, hints)
        if target is not None and not (target in present or (target not in known and patterned)):
            raise PlanningError(f"{table} column {name!r} reads as {target!r}, which the table does not have; "
                                f"name it {target!r} (other columns are ignored, this one would have been dropped "
                                "without a word) or remove it", column=name)
        if position > 0 and headerless_position(column) is not None and df[column].notna().any():
            value = df[column][df[column].notna()].iloc[0]
            value = value.item() if isinstance(value, np.generic) else value
            raise PlanningError(f"{table}: column {position + 1} has no header but holds values, such as {value!r} "
                                "(a number written with a thousands separator, 1,234, splits into two cells); "
                                "remove the separators or name the column", column=name)


def _hint(name: str, hints: Mapping[str, str] | None) -> str | None:
    """The column the synonym ``name`` stands for, compared as :func:`_loose_key` does (``Min Order Qty`` is
    ``min_order_qty``), else None."""
    if not hints:
        return None
    key = _loose_key(name)
    return next((target for synonym, target in hints.items() if _loose_key(synonym) == key), None)


def _spellings(name: str) -> tuple[str, str]:
    """``name`` in the canonical spelling of a patterned column: ``Pipeline 01`` and ``pipeline1`` → ``pipeline_1``."""
    text = unicodedata.normalize("NFKC", name).strip().casefold()
    text = re.sub(r"[\s\-]+", "_", text)
    text = re.sub(r"(?<![\d.])0+(?=\d)", "", text)  # zero-padded whole numbers
    return text, re.sub(r"(?<=[^\W\d_])(?=\d)", "_", text)  # a letter right before a digit


def _loose_key(name: object) -> str:
    """``name`` without case, spaces, dashes, underscores or leading zeros of its numbers (NFKC-normalized)."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    text = re.sub(r"\d+", lambda m: m.group().lstrip("0") or "0", text)
    return re.sub(r"[\W_]+", "", text)


def _allowed_extra(extra_columns: ExtraColumns) -> set[str] | None:
    """The extra column names allowed (None: any)."""
    if isinstance(extra_columns, str):
        if extra_columns == "ignore":
            return None
        if extra_columns == "error":
            return set()
        raise PlanningError("must be 'error', 'ignore' or a list of column names", column="extra_columns",
                            value=extra_columns)
    try:
        return {str(c) for c in extra_columns}
    except TypeError:
        raise PlanningError("must be 'error', 'ignore' or a list of column names", column="extra_columns",
                            value=extra_columns) from None


def _cell_kind(value: object) -> str:
    """What a cell holds when it is not a plain number or string ("" otherwise)."""
    if isinstance(value, (bool, np.bool_)):
        return "a boolean"
    if isinstance(value, (complex, np.complexfloating)):
        return "a complex number"
    if isinstance(value, (_dt.date, _dt.timedelta, np.datetime64, np.timedelta64)):
        return "a date or time"
    if isinstance(value, np.ndarray):  # np.array(3) in a cell: pandas' "TypeError: len() of unsized object"
        return "an array"
    return ""


#: Names of the bounds of :mod:`hybridinv.core.limits`, quoted in messages.
_LIMIT_NAMES = {
    float(MAX_LEAD_TIME): " periods (hybridinv.core.limits.MAX_LEAD_TIME)",
    MAX_QUANTITY: " units (hybridinv.core.limits.MAX_QUANTITY)",
}
#: How :data:`~hybridinv.core.limits.MAX_COST` is named in messages (its value equals MAX_QUANTITY's, so pass it
#: as ``maximum_name``).
COST_LIMIT_NAME = " (money per unit or per order, hybridinv.core.limits.MAX_COST)"
#: How :data:`~hybridinv.core.limits.MAX_VOLUME` is named in messages.
VOLUME_LIMIT_NAME = " (space per unit, hybridinv.core.limits.MAX_VOLUME)"

_KIND_NAMES = {"b": "a boolean", "c": "a complex number", "M": "a date or time", "m": "a date or time"}


def _refuse_non_numbers(
    series: pd.Series, column: str, skus: Sequence[object] | NDArray[np.object_], table: str
) -> None:
    """Refuse booleans (read as 0/1), complex numbers (imaginary part dropped) and dates (read as nanoseconds)."""
    kind = series.dtype.kind
    if kind in _KIND_NAMES:
        bad = series.notna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PlanningError(f"{table}: value is {_KIND_NAMES[kind]}, not a number", column=column, sku=skus[i],
                                value=_plain(series.iloc[i]))
        return
    if kind != "O":
        return
    kinds = series.map(_cell_kind).to_numpy(dtype=object)
    bad = kinds != ""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PlanningError(f"{table}: value is {kinds[i]}, not a number", column=column, sku=skus[i],
                            value=_plain(series.iloc[i]))


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def check_array(
    values: ArrayLike,
    column: str,
    skus: Sequence[object] | NDArray[np.object_],
    table: str,
    *,
    minimum: float | None = 0.0,
    strict: bool = False,
    allow_inf: bool = False,
    integer: bool = False,
    maximum: float | None = None,
    maximum_name: str | None = None,
) -> NDArray[np.float64]:
    """Check a float array column-wise and raise naming the first bad SKU and value.

    Booleans, complex numbers and dates are refused (they would be read as 0/1,
    lose their imaginary part, or become nanoseconds). ``maximum`` bounds the
    finite values (an allowed ``inf`` stays allowed); ``maximum_name`` (e.g. ``" (MAX_COST)"``)
    follows the bound in the message, by default the unit and name of a quantity or lead-time limit.
    """
    raw = np.asarray(values)
    if raw.dtype.kind in _KIND_NAMES:
        raise PlanningError(f"{table}: values are {_KIND_NAMES[raw.dtype.kind]}, not numbers", column=column)
    arr = np.asarray(raw, dtype=np.float64)
    clean = _within(raw, arr, minimum, strict, allow_inf, maximum)
    if clean and (not integer or raw.dtype.kind in "iu"):
        return arr  # the usual input: two reductions instead of a mask per rule
    if clean:
        rounded = np.rint(arr)
        with np.errstate(invalid="ignore"):  # an allowed inf gives inf - inf = NaN: the exact path below decides
            diff = np.subtract(arr, rounded)
            off = float(np.abs(diff, out=diff).max(initial=0.0))
        if off <= 1e-9 or (math.isnan(off) and np.array_equal(rounded, arr)):
            return rounded
    finite = np.isfinite(arr)
    bad = ~finite if not allow_inf else np.isnan(arr) | np.isneginf(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PlanningError(f"{table}: value is NaN or infinite", column=column, sku=skus[i], value=float(arr[i]))
    if minimum is not None:
        low = arr <= minimum if strict else arr < minimum
        if low.any():
            i = int(np.flatnonzero(low)[0])
            op = ">" if strict else ">="
            raise PlanningError(
                f"{table}: value must be {op} {minimum:g}", column=column, sku=skus[i], value=float(arr[i])
            )
    if maximum is not None:
        high = finite & (arr > maximum)
        if high.any():
            i = int(np.flatnonzero(high)[0])
            raise PlanningError(
                f"{table}: value must be <= {maximum:g}"
                f"{_LIMIT_NAMES.get(maximum, '') if maximum_name is None else maximum_name}",
                column=column,
                sku=skus[i],
                value=float(arr[i]),
            )
    if integer:
        if finite.all():
            rounded = np.round(arr)
            frac = np.abs(arr - rounded) > 1e-9
        else:  # an allowed inf stays inf
            safe = np.where(finite, arr, 0.0)
            whole = np.round(safe)
            frac = np.abs(safe - whole) > 1e-9
            rounded = np.where(finite, whole, arr)
        if frac.any():
            i = int(np.flatnonzero(frac)[0])
            raise PlanningError(
                f"{table}: value must be a whole number", column=column, sku=skus[i], value=float(arr[i])
            )
        arr = rounded
    return arr


def _within(
    raw: NDArray[Any], arr: NDArray[np.float64], minimum: float | None, strict: bool, allow_inf: bool,
    maximum: float | None,
) -> bool:
    """True when every value passes :func:`check_array`'s range rules, judged from the smallest and largest.

    NaN propagates through ``min``/``max``, so it makes this False (as do ``-inf``, an ``inf`` that is
    not allowed, or one beside a ``maximum``, which applies to the finite values); the caller then finds
    the first offending value the slow way, for its message.
    """
    if arr.size == 0:
        return True
    source = raw if raw.dtype.kind in "iu" else arr  # integers: reduce without the float copy
    low, high = float(source.min()), float(source.max())
    if math.isnan(low) or math.isnan(high) or low == -math.inf:
        return False
    if high == math.inf and (not allow_inf or maximum is not None):
        return False
    if minimum is not None and not (low > minimum if strict else low >= minimum):
        return False
    return maximum is None or high <= maximum


#: Texts pandas reads as missing by default; files are read with only the empty cell missing (read_csv_file).
_MISSING_MARKERS = frozenset({"na", "n/a", "#n/a", "#na", "nan", "-nan", "null", "none", "<na>"})

#: A number written with a comma: a thousands separator (``1,234``, ``1,234.5``) or a decimal comma (``3,5``).
_COMMA_NUMBER = re.compile(r"\s*[+-]?\d+(,\d+)+(\.\d+)?\s*")


def not_a_number_hint(value: object) -> str:
    """Why a cell that is not a number is text, for the error: a missing-value marker (``#N/A``) or a number written
    with a comma (a thousands separator or a decimal comma, quoted in a CSV file: ``"1,234"``, ``"3,5"``), else ""."""
    text = str(value).strip()
    if text.lower() in _MISSING_MARKERS:
        return (" (only an empty cell means 'not set'; a missing-value marker is refused, since #N/A is also "
                "a spreadsheet's failed lookup)")
    if _COMMA_NUMBER.fullmatch(text):
        return (" (a number written with a comma: a thousands separator or a decimal comma? write it without "
                "thousands separators and with '.' as the decimal point, 1234 or 3.5)")
    return ""


def numeric_column(
    df: pd.DataFrame,
    column: str,
    skus: Sequence[object] | NDArray[np.object_],
    table: str,
    *,
    default: float | None = None,
    blank: float | None = None,
    minimum: float | None = 0.0,
    strict: bool = False,
    allow_inf: bool = False,
    integer: bool = False,
    maximum: float | None = None,
) -> NDArray[np.float64]:
    """Read a numeric column (or ``default`` when absent) and validate it.

    Empty cells are an error unless ``blank`` is given, in which case they take
    that value (for columns where a blank means "not set", such as ``shelf_life``).
    Cells holding booleans, complex numbers or dates are errors, not numbers.
    """
    if column not in df.columns:
        if default is None:
            require_columns(df, [column], table)
        return np.full(len(df), default, dtype=np.float64)
    series = df[column]
    _refuse_non_numbers(series, column, skus, table)
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
        # whole numbers: checked on their own (no NaN, no fractions), then one float copy in check_array
        arr = series.to_numpy()
    elif isinstance(series.dtype, np.dtype) and series.dtype.kind == "f":
        # plain numpy numbers: nothing to convert (NaN stays NaN); one plain copy, never a view of the caller's frame
        arr = series.to_numpy(dtype=np.float64, copy=True)
    else:
        numeric = pd.to_numeric(series, errors="coerce")
        not_numeric = (numeric.isna() & series.notna()).to_numpy()
        if not_numeric.any():
            i = int(np.flatnonzero(not_numeric)[0])
            value = series.iloc[i]
            raise PlanningError(f"{table}: value is not a number{not_a_number_hint(value)}", column=column,
                                sku=skus[i], value=value)
        arr = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    empty = series.isna().to_numpy() if blank is not None else np.zeros(0, dtype=bool)
    if blank is not None and empty.any():
        arr = np.where(empty, blank, arr)
        if np.isnan(blank):  # blank means "unknown": check only the filled cells
            known = ~empty
            out = arr.copy()
            at = np.flatnonzero(known)
            out[known] = check_array(
                arr[known],
                column,
                skus[at] if isinstance(skus, RowSkus) else RowSkus(np.asarray(skus, dtype=object), at),
                table,
                minimum=minimum,
                strict=strict,
                allow_inf=allow_inf,
                integer=integer,
                maximum=maximum,
            )
            return out
    try:
        return check_array(arr, column, skus, table, minimum=minimum, strict=strict, allow_inf=allow_inf,
                           integer=integer, maximum=maximum)
    except PlanningError as exc:
        if not (isinstance(exc.value, float) and math.isnan(exc.value)):
            raise
        # NaN here is an empty cell (text was refused above): "value nan ... is NaN or infinite" did not say so
        rule = (f"an empty cell does not take the default of an absent column ({default:g}): write the value, or "
                "leave the column out" if default is not None else "write the value")
        raise PlanningError(f"{table}: the cell is empty (blank or NaN); {rule}", column=column, sku=exc.sku,
                            value=exc.value) from None


def action_array(
    action: object,
    shape: tuple[int, ...],
    entry: Callable[[int], dict[str, Any]] | None = None,
    error: type[PlanningError] = PlanningError,
) -> NDArray[np.float64]:
    """An environment's action as a flat float array: exactly the action space's ``shape``, finite values.

    Another shape, text, booleans, complex numbers or a NaN/inf entry (a diverged policy) is a
    :class:`PlanningError` (``error``) naming ``action`` (and, for a NaN/inf entry, the keywords
    ``entry(flat_index)`` gives, e.g. ``{"sku": ...}``): a NaN action used to order nothing, a comparison
    with NaN being false, and a short one to be indexed without a word; ``"0.5"`` and ``True`` were read as
    numbers (:func:`number_array`); an action of the right size in another shape (the ``(2, n)`` transpose of
    a hybrid's ``(n, 2)`` values) was flattened and reshaped, silently onto the wrong SKUs.
    """
    arr = number_array(action, "action")
    want = tuple(int(n) for n in shape)
    if arr.shape != want:
        def values(n: int) -> str:
            return f"{n} value{'' if n == 1 else 's'}"

        raise error(f"the action has shape {arr.shape} ({values(arr.size)}); the action space's shape is {want} "
                    f"({values(math.prod(want))})", column="action", value=arr.shape)
    arr = arr.reshape(-1)
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        i = int(bad[0])
        raise error("the action is NaN or infinite", column="action", value=float(arr[i]),
                    **({} if entry is None else entry(i)))
    return arr


def per_sku(value: ArrayLike, n: int, name: str, *, minimum: float | None = None) -> NDArray[np.float64]:
    """Broadcast a scalar or per-SKU parameter to shape (n,), checked finite (and >= ``minimum``).

    Booleans and text are refused, not converted (``BaseStock(True)`` was a level of 1, ``"10"`` a level of 10).
    A pandas Series indexed by labels is refused: its values are read by position, so ``BaseStock(levels)`` with
    ``levels`` indexed by SKU in another order than the catalog's gave each SKU another SKU's level, silently.
    """
    refuse_labelled_series(value, name)
    arr = number_array(value, name)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise PlanningError(f"expected a scalar or {n} per-SKU values, got shape {arr.shape}", column=name)
    bad = ~np.isfinite(arr)
    if minimum is not None:
        bad |= arr < minimum
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        limit = "" if minimum is None else f" and >= {minimum:g}"
        raise PlanningError(f"must be finite{limit}", column=name, value=float(arr[i]))
    return arr


@contextmanager
def quiet_date_parsing() -> Iterator[None]:
    """Silence pandas's "Could not infer format" note (dates such as ``Jan 1998`` parsed one by one): it is
    about pandas's own speed, not the user's data, and leaked into normal output; and its "Parsing dates in
    %d/%m/%Y format when dayfirst=False" note, where the caller reads a date both ways on purpose."""
    with warnings_filtered(("ignore", "Could not infer format", UserWarning, ""),
                           ("ignore", "Parsing dates in .* format when dayfirst", UserWarning, "")):
        yield


#: A numeric date with the year last (four or two digits), perhaps with a time of day: ``01/02/1998``,
#: ``1.2.98``, ``01-02-1998 14:30``.
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})"
                           r"((?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)\s*$")
#: Two-digit years: below this one 20yy, else 19yy (the POSIX ``%y`` rule: 68 is 2068, 69 is 1969).
_CENTURY_PIVOT = 69


def date_column(values: pd.Series, column: str) -> pd.Series:
    """``values`` read as dates (:func:`pandas.to_datetime`), with day-first dates told from month-first.

    pandas reads ``01/02/1998`` month first, so a log written day first (most of the world) moved each
    day 1-12 of a month to another month without a word. Numeric dates with the year last (four digits,
    or two: ``98`` is 1998, ``24`` is 2024, the POSIX ``%y`` rule) are read day first when some first field
    is above 12, month first when some second field is; when neither, the field that never changes is the
    day (a monthly log dated on the 1st: ``01/02/1998``, ``01/03/1998``); when both change, a
    :class:`PlanningError` asks for ISO dates, as it does for a column mixing such dates with others.
    Anything else goes to pandas as given; pandas periods (``dates.dt.to_period("M")``) are read as their
    first day. Dates with a time zone or UTC offset
    (``2024-03-31T00:30:00+02:00``, ``...Z``) are read as the clock where they were recorded showed them,
    without the time zone. :func:`date_columns` reads the date columns of one file with one order.

    Raises
    ------
    PlanningError
        Ambiguous numeric dates, or text pandas cannot read, naming ``column``.
    """
    return date_columns({column: values})[column]


def date_columns(columns: Mapping[str, pd.Series]) -> dict[str, pd.Series]:
    """Each of ``columns`` (name -> values) read as :func:`date_column` does, the numeric ones with **one**
    day/month order decided from all of them: a receipts log read ``order_date`` day first (a day above 12)
    and ``promised_date`` month first (its second field never changed), 24 days apart became 24 weeks."""
    # pandas periods (dates.dt.to_period("M")) as their first day: pandas.to_datetime refused them ("Passing
    # PeriodDtype data is invalid"), which read as "dates written in more than one way"
    columns = {column: values.dt.to_timestamp() if isinstance(values.dtype, pd.PeriodDtype) else values
               for column, values in columns.items()}
    numeric: dict[str, pd.DataFrame] = {}
    for column, values in columns.items():
        text = values.dropna().astype(str)
        parts = text.str.extract(_NUMERIC_DATE)
        matched = parts[0].notna()
        if matched.any() and not matched.all():
            raise PlanningError(f"dates written in two ways ({text[matched].iloc[0]!r} and {text[~matched].iloc[0]!r});"
                                " write them all as YYYY-MM-DD", column=column, value=text[~matched].iloc[0])
        if len(text) and matched.all():
            numeric[column] = parts
    out: dict[str, pd.Series] = {}
    if numeric:
        day_first = _day_first({c: (p[0].astype(int), p[2].astype(int), columns[c].dropna().astype(str))
                                for c, p in numeric.items()})
        for column, parts in numeric.items():
            first, second = parts[0].astype(int), parts[2].astype(int)
            day, month = (first, second) if day_first else (second, first)
            year = parts[3].astype(int)
            year = year.where(parts[3].str.len() == 4, year + np.where(year < _CENTURY_PIVOT, 2000, 1900))
            iso = (year.map("{:04d}".format) + "-" + month.map("{:02d}".format) + "-" + day.map("{:02d}".format)
                   + parts[4].str.replace("T", " ", regex=False))
            try:
                parsed = pd.to_datetime(iso, format="ISO8601")
            except ValueError as exc:
                raise PlanningError(f"unreadable date ({exc})", column=column) from None
            out[column] = parsed.reindex(columns[column].index)
    for column, values in columns.items():
        if column not in out:
            out[column] = _pandas_dates(values, column)
    return out


def _day_first(fields: Mapping[str, tuple[pd.Series, pd.Series, pd.Series]]) -> bool:
    """Whether the numeric dates of ``fields`` (column -> first field, second field, text) are day first."""
    day_evidence = [(c, t[f > 12]) for c, (f, _, t) in fields.items() if (f > 12).any()]
    month_evidence = [(c, t[s > 12]) for c, (_, s, t) in fields.items() if (s > 12).any()]
    if day_evidence and month_evidence:
        column, text = month_evidence[0]
        raise PlanningError("numeric dates are day first in some rows and month first in others; write them "
                            "as YYYY-MM-DD", column=column, value=text.iloc[0])
    if day_evidence or month_evidence:
        return bool(day_evidence)
    first = pd.concat([f for f, _, _ in fields.values()])
    second = pd.concat([s for _, s, _ in fields.values()])
    if first.nunique() == 1 < second.nunique() or second.nunique() == 1 < first.nunique():
        day_first = bool(first.nunique() == 1)  # the constant field is the day
        _warn_one_year_reading(fields, day_first)
        return day_first
    column, (_, _, text) = next(iter(fields.items()))
    raise PlanningError("ambiguous dates: day/month or month/day? (no day above 12 tells); write them as "
                        "YYYY-MM-DD", column=column, value=text.iloc[0])


def _warn_one_year_reading(fields: Mapping[str, tuple[pd.Series, pd.Series, pd.Series]], day_first: bool) -> None:
    """Warn when numeric dates read with the constant field as the day all fall in one year: read the other way
    they are days 1-12 of one month, just as regular (``01/02/2024`` to ``10/02/2024``: the 2nd of January to
    October, or 1 to 10 February written day first). Across years the other reading puts every date in one month
    of each year, so it is not warned about."""
    text = pd.concat([t for _, _, t in fields.values()])
    years = text.str.extract(_NUMERIC_DATE)[3]
    if years.nunique() != 1:
        return
    column, (_, _, values) = next(iter(fields.items()))
    example = values.iloc[0]
    order, other = ("day first", "month first") if day_first else ("month first", "day first")
    warnings.warn(PlanningWarning(
        f"column {column!r}: numeric dates such as {example!r} fit both orders; they are read {order}, as one date "
        f"a month apart (the field that never changes is taken for the day), but read {other} they are days of "
        "one month. If they are days, write the dates as YYYY-MM-DD"), stacklevel=5)


def _pandas_dates(values: pd.Series, column: str) -> pd.Series:
    """``values`` read by :func:`pandas.to_datetime`; a time zone dropped (the local clock kept)."""
    try:
        with quiet_date_parsing():
            parsed = pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        if "timezone" not in str(exc).lower() and "time zone" not in str(exc).lower():
            raise _unreadable(values, column, exc) from None
        parsed = _each_on_its_clock(values, column)  # offsets that change with daylight saving time
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # each date as the clock where it was recorded showed it (a UTC-stamped export failed in the twin's
        # comparisons with a bare TypeError, "Cannot compare tz-naive and tz-aware timestamps")
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _unreadable(values: pd.Series, column: str, exc: Exception) -> PlanningError:
    """The error for dates pandas does not read: the first value that is no date on its own (``2020-13``), else
    pandas' reason without its advice on ``to_datetime`` arguments a planner cannot pass (it was the message)."""
    with quiet_date_parsing():
        for value in values.dropna().unique():
            try:
                pd.Timestamp(str(value))
            except (ValueError, TypeError):
                return PlanningError("unreadable date (write dates as YYYY-MM-DD, months as YYYY-MM)",
                                     column=column, value=value)
    reason = str(exc).split(" You might want to try")[0].rstrip(". ")
    return PlanningError(f"dates written in more than one way ({reason}); write them all as YYYY-MM-DD",
                         column=column)


def _each_on_its_clock(values: pd.Series, column: str) -> pd.Series:
    """Dates with differing UTC offsets (``+01:00`` in winter, ``+02:00`` in summer) as the local clock showed
    them; pandas reads them only when converted to one time zone, which moves a sale at 00:30 to the day before."""
    stamps: dict[object, pd.Timestamp] = {}
    for value in values.dropna().unique():
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise PlanningError(f"unreadable date ({exc})", column=column, value=value) from None
        stamps[value] = stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    return pd.to_datetime(values.map(stamps))
