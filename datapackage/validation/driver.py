"""``validate()``: read every source folder, then check every table once.

Job: the order of the steps and nothing else. Walk raw/ (:mod:`.folders`), read each folder's
files into one table per contributed table (:mod:`.gathering`, :mod:`.reading`), then over each whole table run
the cell checks and row rules (:mod:`.checks`), the rules within a folder and the rules that
span sources (:mod:`.keys`, over the :mod:`.index`), provenance (:mod:`.provenance`), and the
check of the published files; collect every problem as an issue.

Reads: raw/, the snapshot folder, build/. May import: every module of the package,
``schemas``, ``text_safety``, ``published_files``, ``issues``; numpy and pyarrow inside functions.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import schemas, text_safety
from ..issues import Issue
from . import checks, figure_rules, folders, index as index_, keys
from .folders import UsageError
from .gathering import max_file_bytes, read_folders
from .tables import Sink, rows_of

SNAPSHOTS_ENV = "DATAPACKAGE_SNAPSHOTS"


@dataclass
class Result:
    """What :func:`validate` found: the issues and, for the build, the typed tables."""

    issues: list[Issue] = field(default_factory=list)
    # per contributed table: one column per raw field in schema order (typed by field_types,
    # null where a cell is empty or faulty), then _folder, _path and _line
    tables: dict[str, Any] = field(default_factory=dict)
    # folders whose file of a table exists but could not be read, per table
    unreadable: dict[str, set[str]] = field(default_factory=dict)
    index: Any = None  # the identifiers of every folder read (index.Index)
    _rows: dict[str, list[dict]] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def rows(self) -> dict[str, list[dict]]:
        """Typed rows per table as dicts (with ``_folder``, ``_path``, ``_line``), from :attr:`tables`."""
        if self._rows is None:
            self._rows = rows_of(self.tables)
            for name in schemas.contributed_table_names():
                self._rows.setdefault(name, [])
        return self._rows


def validate(
    paths: list[str | os.PathLike] | None = None,
    *,
    raw_dir: str | os.PathLike | None = None,
    snapshots: str | os.PathLike | None = None,
    max_bytes: int | None = None,
    keep_rows: bool = True,
    folders: set[str] | None = None,
    cross_sources_everywhere: bool = False,
    build_dir: str | os.PathLike | None = None,
    others: Callable[[list[str], Path, Any], Any] | None = None,
) -> Result:
    """Validate the source folders in ``paths`` (default: every folder of ``raw_dir``).

    ``raw_dir`` defaults to the project's ``raw/`` (or, for a folder outside it, the folder's
    parent); messages show paths relative to its parent. ``paths`` may name source folders
    or files in them, in any form; every folder is read, so the rules that span sources see
    all of them, and problems are reported for the named ones. ``folders`` names the folders
    to report instead (folders that no longer exist included); with
    ``cross_sources_everywhere`` the rules that span sources report in every folder.
    ``snapshots`` (default: the ``DATAPACKAGE_SNAPSHOTS`` environment variable) turns on the
    provenance check. ``max_bytes`` caps a contributed file's size (default:
    ``$DATAPACKAGE_MAX_FILE_MB`` megabytes, else 20 MiB). ``keep_rows=False`` skips building
    the typed tables (``Result.tables``, ``Result.rows``), which only the build needs. Every
    published file under ``build_dir`` (default: ``build/`` beside ``raw_dir``) is checked
    against its ``versions.json``.

    ``others``, when given, reads only the reported folders: it is called with the names of
    the other source folders, raw/ and the :class:`~.index.Index` of the folders read, and
    returns the index of the other folders' rows that the rules spanning sources need to see
    every problem involving them (all their rows will do), as ``validate --changed`` does from
    a cache.
    """
    raw_given = raw_dir is not None
    raw = Path(raw_dir) if raw_dir is not None else schemas.ROOT / "raw"
    cap = max_file_bytes(max_bytes)
    if snapshots is None and os.environ.get(SNAPSHOTS_ENV):
        snapshots = os.environ[SNAPSHOTS_ENV]
    if snapshots is not None and not os.path.isdir(snapshots):
        raise UsageError(f"snapshot directory {snapshots} does not exist")
    chosen: set[str] | None = folders
    if paths:
        raw, named = _folders_mod.select(paths, raw, raw_given)
        chosen = named if chosen is None or named is None else chosen | named
    if not os.path.isdir(raw):
        raise UsageError(f"{text_safety.safe_text(str(raw))} does not exist")
    base = raw.parent
    label = text_safety.safe_text(raw.name or str(raw))

    result = Result()
    sink = Sink(chosen, cross_sources_everywhere)
    by_entry: dict[str, list[Issue]] = {}
    names = _folders_mod.raw_entries(raw, label, by_entry, sink.issues)
    for entry, found in by_entry.items():
        if chosen is None or entry in chosen:
            sink.issues.extend(found)
    read = names if others is None or chosen is None else [n for n in names if n in chosen]
    tables = read_folders(raw, label, read, sink, cap, result.unreadable)
    memo = figure_rules.Memo()
    for td in tables.values():
        checks.check_cells(td, sink)
    for td in tables.values():
        checks.run_rules(td, sink, memo)
    keys.folder_rules(tables, sink)
    result.index = index_.build(tables, result.unreadable)
    everything = result.index
    if others is not None and chosen is not None:
        rest = [n for n in names if n not in chosen]
        everything = index_.combine([result.index, others(rest, raw, result.index)])
    keys.cross_source_rules(everything, sink)
    if snapshots is not None:
        from .provenance import provenance

        provenance(tables, Path(snapshots), sink)
    from ..published_files import verify_published

    build = Path(build_dir) if build_dir is not None else base / "build"
    sink.issues.extend(verify_published(build, text_safety.safe_text(build.name or str(build))))
    if keep_rows:
        result.tables = {name: td.arrow() for name, td in tables.items()}
    result.issues = sorted(set(sink.issues.finish()))
    return result


_folders_mod = folders
