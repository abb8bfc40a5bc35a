"""A release table as CSV text, written from its Arrow columns.

The bytes are those of Python's ``csv.writer`` (minimal quoting, ``\\n`` line ends) over the
cells of :func:`cell` (the reference formatting: a whole float without its ``.0``, dates in ISO
8601, ``True``/``False``, an empty cell for a missing value), computed a column at a time: a
cell's text is formatted once per distinct value, and quoting and joining run in Arrow.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
from collections.abc import Callable
from functools import lru_cache
from typing import Any

BATCH_ROWS = 65_536  # rows joined at a time: bounds the memory of the text being built


def cell(v: Any) -> str:
    """A value as its CSV cell (before quoting)."""
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v)


def rows_bytes(names: list[str], rows) -> bytes:
    """CSV bytes of a header and rows of cell values, with ``csv.writer`` (the reference)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for r in rows:
        w.writerow([cell(v) for v in r])
    return buf.getvalue().encode("utf-8")


@lru_cache(maxsize=1)
def _quoted_characters() -> str:
    """The characters that make ``csv.writer`` quote a cell (asked of it, not restated)."""
    out = []
    for c in ",\"\n\r\t ;'|\\\x0b\x0c":
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator="\n").writerow([f"a{c}b", "x"])
        if buf.getvalue().startswith('"'):
            out.append(c)
    return "".join(out)


def _by_distinct(arr, fn: Callable[[Any], str]):
    """``fn`` over the distinct values of ``arr``, spread back over its rows (a string array)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    uniq = pc.unique(arr)
    texts = pa.array([fn(v) for v in uniq.to_pylist()], type=pa.string())
    return texts.take(pc.index_in(arr, value_set=uniq))


def column_cells(arr):
    """The CSV cells of one Arrow column (an array of strings, quoted where ``csv.writer`` quotes)."""
    import re

    import pyarrow as pa
    import pyarrow.compute as pc

    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        text = pc.fill_null(arr.cast(pa.string()), "")
    elif pa.types.is_integer(t):
        text = pc.fill_null(arr.cast(pa.string()), "")
    else:  # floats, dates, booleans: the reference formatting, once per distinct value
        text = _by_distinct(arr, cell)
    chars = _quoted_characters()
    need = pc.match_substring_regex(text, "[" + re.escape(chars) + "]")
    if pc.any(need).as_py():
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        text = pc.if_else(need, quoted, text)
    return text


def _body(columns: list) -> bytes:
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = pc.binary_join_element_wise(*columns, ",") if len(columns) > 1 else columns[0]
    lines = pc.binary_join_element_wise(lines, "\n", "")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if len(lines) == 0:
        return b""
    import numpy as np

    _, offsets, data = lines.buffers()
    off = np.frombuffer(offsets, dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    return data.slice(int(off[0]), int(off[-1] - off[0])).to_pybytes()


def table_bytes(tbl, names: list[str]) -> bytes:
    """CSV bytes of the columns ``names`` of Arrow table ``tbl``: a header, then one line per row."""
    out = io.BytesIO()  # its value is handed over without a copy
    out.write(rows_bytes(names, []))
    for start in range(0, tbl.num_rows, BATCH_ROWS):
        part = tbl.slice(start, BATCH_ROWS)
        out.write(_body([column_cells(part.column(n).combine_chunks()) for n in names]))
    return out.getvalue()
