"""Read the files of many source folders into one table per contributed table.

Job: for each source folder, in order, ask the folder walk (:mod:`.folders`) which files it
holds, read each with :mod:`.reading` (mid-size CSV files two threads ahead), report header
problems (unknown and missing columns, a file with no rows) and gather every table's rows of
every folder into one :class:`~.tables.TableData`; and the :func:`index_of` of folders that
are only needed for their identifiers.

Reads: the source folders. May import: ``schemas``, ``text_safety``, ``issues``,
``.checks``, ``.folders``, ``.index``, ``.reading``, ``.tables``; numpy and pyarrow inside
functions.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from .. import schemas, text_safety
from ..issues import Issue, IssueList
from ..text_safety import lookalikes
from . import checks, folders, index as index_
from .folders import UsageError
from .reading import (
    FAST_BYTES,
    MAX_FILE_BYTES,
    MAX_FILE_ENV,
    THREADS_BYTES,
    Cell,
    Gather,
    read_csv_into,
    read_yaml_record,
)
from .tables import FileAt, Sink, TableData

MAX_HINT = (
    f"; raise the limit with --max-file-mb N (or the environment variable {MAX_FILE_ENV}), "
    "or split the source's figures"
)


@functools.lru_cache(maxsize=None)
def _names(table: str) -> tuple[list[str], set[str]]:
    t = schemas.table(table)
    return [f.name for f in t.raw_fields], {f.name for f in t.fields if f.derived}


def check_header(table: schemas.Table, path: str, names: list[str], lines: dict[str, int], issues: list[Issue]) -> None:
    """Unknown columns (or source.yaml keys), and, for CSV tables, missing ones."""
    known, derived = _names(table.name)
    if table.raw_format == "csv" and names == known:  # the header of the schema, in its order
        return
    for name in dict.fromkeys(names):
        if name not in known:
            why = (
                "is computed by the build; remove it"
                if name in derived
                else f"is not a field of the {table.name} schema (schemas/{table.name}.schema.json)"
            )
            issues.append(Issue(path, lines.get(name, 1), name, name, "unknown-column", why + lookalikes(name)))
    if table.raw_format == "csv":  # in source.yaml a missing key is an empty value
        for f in table.raw_fields:
            if f.name not in names:
                issues.append(
                    Issue(path, 1, f.name, "", "missing-column", "the header lacks this column of the schema")
                )


class _Records:
    """The one-record files (source.yaml) of a table, gathered into columns."""

    def __init__(self, table: schemas.Table):
        self.table = table
        self.files: list[FileAt] = []
        self.cells: list[dict[str, Cell]] = []

    def add(self, folder: str, path: str, row: dict[str, Cell]) -> None:
        self.files.append(FileAt(folder, path))
        self.cells.append(row)

    def finish(self) -> TableData:
        import numpy as np
        import pyarrow as pa

        cols, lines = {}, {}
        for f in self.table.raw_fields:
            got = [r.get(f.name) for r in self.cells]
            cols[f.name] = pa.chunked_array([pa.array([("" if c is None else c.value) for c in got], type=pa.string())])
            lines[f.name] = np.array([1 if c is None else c.line for c in got], dtype=np.int64)
        n = len(self.cells)
        return TableData(self.table, self.files, cols, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.int64), lines)


class _Ahead:
    """Mid-size CSV files read by pyarrow in two threads, a few folders ahead of the checks
    (pyarrow and numpy release the GIL); a file is opened only as a regular file, never
    through a link, and what the folder walk then refuses is never used."""

    WINDOW = 8

    def __init__(self, raw_dir: Path, names: list[str], tables: list[schemas.Table], max_bytes: int):
        self.jobs = [(n, str(t.raw_file)) for n in names for t in tables]
        self.raw_dir, self.max_bytes = raw_dir, max_bytes
        self.pos = {job: k for k, job in enumerate(self.jobs)}
        self.futures: dict[tuple[str, str], Any] = {}
        self.next = 0
        self.pool = None
        if len(names) >= 16:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(2)

    def _fill(self, upto: int) -> None:
        from .reading import read_ahead

        while self.pool is not None and self.next < min(upto, len(self.jobs)):
            name, file = self.jobs[self.next]
            self.next += 1
            path = self.raw_dir / name / file
            try:
                size = os.lstat(path).st_size
            except OSError:
                continue
            if FAST_BYTES <= size < THREADS_BYTES:  # what read_ahead reads
                self.futures[(name, file)] = self.pool.submit(read_ahead, path, self.max_bytes)

    def get(self, name: str, file: str):
        """What :func:`~.reading.read_ahead` gave for the file, or None (then it is read as usual)."""
        i = self.pos.get((name, file))
        if self.pool is None or i is None:
            return None
        self._fill(i + self.WINDOW)
        for job in [j for j in self.futures if self.pos[j] < i]:  # files the walk did not read
            self.futures.pop(job).cancel()
        fut = self.futures.pop((name, file), None)
        if fut is None:
            return False  # not a mid-size regular file: read_csv_into reads it its own way
        try:
            return fut.result()
        except Exception:  # noqa: BLE001 - the file is read again, by the reader that words problems
            return None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def read_folders(
    raw_dir: Path, label: str, names: list[str], sink: Sink, max_bytes: int, unreadable: dict[str, set[str]]
) -> dict[str, TableData]:
    """Every contributed table of the folders ``names``, each gathered into one :class:`TableData`."""
    tables = [schemas.table(n) for n in schemas.contributed_table_names()]
    gathers: dict[str, Any] = {
        t.name: (Gather([f.name for f in t.raw_fields]) if t.raw_format == "csv" else _Records(t)) for t in tables
    }
    coded = {t.name: {f.name for f in t.raw_fields if f.vocabulary} for t in tables}
    hint = MAX_HINT
    ahead = _Ahead(raw_dir, names, [t for t in tables if t.raw_format == "csv"], max_bytes)
    for name in names:
        d = raw_dir / name
        local = IssueList()
        shown_dir = f"{label}/{name}"
        kinds = folders.folder_files(d, shown_dir, tables, local)
        for t in tables:
            file = str(t.raw_file)  # a contributed table has its file
            fs_path = d / file
            shown = f"{shown_dir}/{file}"
            if kinds[file] != "file":
                if kinds[file] != "missing" or "unlisted" in kinds.values():
                    unreadable.setdefault(t.name, set()).add(name)
                elif t.raw_format == "yaml":  # the record is required; tables of rows are optional
                    local.append(Issue(shown, 0, "", "", "missing-file", f"every source folder needs {file}"))
                    unreadable.setdefault(t.name, set()).add(name)
                continue
            if t.raw_format == "yaml":
                raw = read_yaml_record(fs_path, shown, local)
                if not raw.readable:  # reported once; the folder still counts as a source
                    unreadable.setdefault(t.name, set()).add(name)
                    continue
                check_header(t, shown, raw.columns, {k: c.line for k, c in raw.rows[0].items()}, local)
                gathers[t.name].add(name, shown, raw.rows[0])
                continue
            g = gathers[t.name]
            before = g.rows
            file_issues: list[Issue] = []
            header = read_csv_into(
                g, name, fs_path, shown, file_issues, max_bytes, coded[t.name], hint, ahead.get(name, file)
            )
            if header is None:
                local.extend(file_issues)
                unreadable.setdefault(t.name, set()).add(name)
                continue
            check_header(t, shown, header, {}, file_issues)
            after = g.rows
            if after == before and not file_issues:
                file_issues.append(Issue(shown, 2, "", "", "no-rows", "the file has a header but no rows"))
            local.extend(file_issues)
        sink.extend(name, local)
    ahead.close()
    out = {}
    for t in tables:
        g = gathers[t.name]
        if isinstance(g, _Records):
            out[t.name] = g.finish()
        else:
            cols, file, lines = g.finish()
            out[t.name] = TableData(t, [FileAt(f.folder, f.path) for f in g.files], cols, file, lines)
    return out


def index_of(raw: Path, names: list[str], max_bytes: int | None = None) -> index_.Index:
    """The index of the source folders ``names`` of ``raw`` (their identifiers, as the rules
    spanning sources read them), read and checked cell by cell; nothing is reported."""
    label = text_safety.safe_text(raw.name or str(raw))
    unreadable: dict[str, set[str]] = {}
    quiet = Sink(set())
    tables = read_folders(raw, label, names, quiet, _cap(max_bytes), unreadable)
    for td in tables.values():
        checks.check_cells(td, quiet)
    return index_.build(tables, unreadable)


def max_file_bytes(max_bytes: int | None = None) -> int:
    """The size cap of a contributed file: ``max_bytes``, else ``$DATAPACKAGE_MAX_FILE_MB``, else 20 MiB."""
    if max_bytes is not None:
        return max_bytes
    text = os.environ.get(MAX_FILE_ENV, "").strip()
    if text:
        try:
            mb = float(text)
        except ValueError:
            raise UsageError(f"{MAX_FILE_ENV}={text_safety.safe_text(text)} is not a number of megabytes") from None
        if not mb > 0 or mb != mb or mb == float("inf"):
            raise UsageError(f"{MAX_FILE_ENV} must be a positive number of megabytes")
        return int(mb * 1024 * 1024)
    return MAX_FILE_BYTES


def _cap(max_bytes: int | None) -> int:
    return max_file_bytes(max_bytes)
