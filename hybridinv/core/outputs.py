"""Safe text for outputs: CSV cells, matplotlib labels, Markdown and HTML.

SKU, policy and scenario names come from users' files and registries, so every output
that shows them escapes them:

- :func:`write_csv` (used by every CSV the command line writes): a text cell starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so that a
  spreadsheet shows it as text instead of evaluating it as a formula (CSV injection);
  plain numbers written as text (``-5``, ``+1.5e3``) are left alone, numeric columns
  are never touched;
- :func:`plain_label`: ``$`` is escaped so matplotlib does not parse ``$...$`` as mathtext
  (which raises on input like ``$x^$``);
- :func:`markdown_text`: HTML special characters, backticks and table pipes are escaped;
- :func:`json_safe`: infinite and NaN numbers become ``null`` (JSON has neither).
"""

from __future__ import annotations

import html
import math
import re
from typing import IO, Any

import pandas as pd

__all__ = [
    "FORMULA_PREFIXES", "escape_formula", "escape_formulas", "json_safe", "markdown_text", "plain_label", "write_csv",
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


def plain_label(text: object) -> str:
    """``text`` as a matplotlib label shown literally (``$`` escaped, so no mathtext is parsed)."""
    return str(text).replace("$", r"\$")


def markdown_text(text: object) -> str:
    """``text`` safe inside Markdown (and the HTML rendered from it): ``&``, ``<`` and ``>`` HTML-escaped, no
    backticks or pipes. Quotes stay as they are (they are text, not attributes, and a terminal shows the
    summary as written)."""
    return html.escape(str(text), quote=False).replace("`", "&#96;").replace("|", "&#124;")
