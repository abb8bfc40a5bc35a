"""Contributed CSV tables as columns, for validation at scale.

A file is checked as bytes (size, NUL, byte-order mark, UTF-8, line endings), then read by
pyarrow's CSV reader into string columns with each row's physical line number. A file that
pyarrow cannot read exactly as Python's csv module would (ragged rows, unclosed quotes,
blank lines, duplicate or oversized cells) is read again by the line-by-line reader in
:mod:`ketamine_ssri_evidence._rawio`, which reports each problem at its line; the rows it could read
become columns too. Every cell check runs once per distinct value, or, for columns with
very many distinct values, once per value that a vectorised pre-filter flags.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ._rawio import MAX_CELL_CHARS, MAX_COLUMNS, normalised_bytes, read_csv, scan_text, too_many_columns
from .issues import Issue

UNIQUE_LIMIT = 20_000  # above this many distinct values, pre-filter before checking each cell


@dataclass
class ColumnTable:
    path: str
    header: list[str]
    cols: dict = field(default_factory=dict)  # column name -> pyarrow StringArray ("" for empty)
    lines: object = None  # numpy int64 array: the physical line each row starts on
    n: int = 0


def _fast(source, shown: str, header: list[str], coded: set[str]) -> ColumnTable | None:
    """pyarrow's reading of the file, or None when it might differ from Python's csv module."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if len(set(header)) != len(header):
        return None
    for newlines in (False, True):
        try:
            table = pacsv.read_csv(
                str(source) if isinstance(source, Path) else pa.BufferReader(source),
                read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=True, block_size=1 << 22),
                parse_options=pacsv.ParseOptions(newlines_in_values=newlines),
                # coded columns (few distinct values) as dictionaries: a fraction of the memory
                convert_options=pacsv.ConvertOptions(column_types={h: pa.dictionary(pa.int32(), pa.string())
                                                                   if h in coded else pa.string() for h in header},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
            break
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = None
    if table is None:
        return None
    if coded:
        table = table.unify_dictionaries()  # one dictionary per column, not per block
    ct = ColumnTable(shown, header, n=table.num_rows)
    extra = np.zeros(table.num_rows, dtype=np.int64)
    for name in header:
        arr = table.column(name)  # chunked: combining would copy the whole column
        text = pc.cast(arr, pa.string()) if name in coded else arr
        if len(arr) and pc.max(pc.utf8_length(text)).as_py() > MAX_CELL_CHARS:
            return None
        if newlines:
            extra += pc.count_substring(text, "\n").to_numpy()
        ct.cols[name] = arr
    starts = np.arange(table.num_rows, dtype=np.int64) + 2
    if newlines and table.num_rows:
        starts += np.concatenate(([0], np.cumsum(extra)[:-1]))
    ct.lines = starts
    return ct


def read_csv_columns(fs_path: Path, shown: str, issues: list[Issue], max_bytes: int,
                     coded: set[str] = frozenset()) -> ColumnTable | None:
    """The table's columns, or None when the file cannot be read at all (already reported).

    Columns named in ``coded`` hold codes from a vocabulary and are read as dictionaries.
    """
    scan = scan_text(fs_path, shown, issues, max_bytes)
    if scan is None:
        return None
    if scan.first_line.count(b",") >= MAX_COLUMNS:  # refused before any reader builds the columns
        try:
            width = len(next(csv.reader([scan.first_line.decode("utf-8", errors="replace")])))
        except (csv.Error, StopIteration):
            width = scan.first_line.count(b",") + 1
        if width > MAX_COLUMNS:
            issues.append(too_many_columns(shown, width))
            return None
    data = normalised_bytes(fs_path, scan) if scan.bom or scan.cr else None
    first_line = scan.first_line if data is None else data.split(b"\n", 1)[0]
    first = first_line.decode("utf-8", errors="replace")
    clean = not (scan.blank_line or '"' in first or not first)
    if clean:
        try:
            header = next(csv.reader([first]))
        except (csv.Error, StopIteration):
            header = []
        if header:
            # a BOM or CR line endings are reported; the rest of the file is read as usual
            ct = _fast(fs_path if data is None else data, shown, header, set(coded))
            if ct is not None:
                return ct
    # the careful reader: exact messages for every structural problem
    return _careful(fs_path, shown, issues, max_bytes, data if data is not None else normalised_bytes(fs_path, scan))


def _careful(fs_path: Path, shown: str, issues: list[Issue], max_bytes: int, data: bytes) -> ColumnTable | None:
    """The line-by-line reader, its rows gathered into pyarrow columns in batches (a Python
    string per cell for a whole file would cost many times the file's size)."""
    import numpy as np
    import pyarrow as pa

    batch: list[list[str]] = []
    chunks: list[list] = []
    lines: list[int] = []

    def flush():
        if batch:
            chunks.append([pa.array(col, type=pa.string()) for col in zip(*batch)])
            batch.clear()

    def on_row(cells, line):
        batch.append(cells)
        lines.append(line)
        if len(batch) >= 50_000:
            flush()

    raw = read_csv(fs_path, shown, issues, max_bytes, data=data, on_row=on_row)
    if not raw.readable:
        return None
    flush()
    names = list(dict.fromkeys(raw.columns))
    last = {n: k for k, n in enumerate(raw.columns)}  # a repeated column: its last occurrence
    ct = ColumnTable(shown, list(raw.columns), n=len(lines))
    ct.cols = {n: pa.chunked_array([c[last[n]] for c in chunks], type=pa.string()) if chunks
               else pa.array([], type=pa.string()) for n in names}
    ct.lines = np.array(lines, dtype=np.int64)
    return ct
