"""``validate --changed``: read the changed source folders, and only the index of the others.

Job: give :func:`~.driver.validate` the :class:`~.index.Index` of every source folder that did
not change, from a cache keyed by each folder's git tree id at the merge-base (an unchanged
folder is the same tree, so its cached entry holds without reading the folder). Folders
without an entry are read once and added. The cache is one Parquet file under the git
directory (``git rev-parse --git-path``), never inside raw/ or build/; it names the schemas and
the index format it was made with, and a cache that cannot be read, or was made with other
schemas, is discarded and rebuilt, never trusted. Its rows are sorted by table, and the
metadata names each table's run of rows, so a table is a slice of the file, and the column
naming the table is not read. It also holds, per unique field, the values used more than once
among its rows, so that a run counts the uses of the changed folders' values only.

Reads: git (``ls-tree``, ``rev-parse``), the cache file, the folders missing from it. May
import: ``schemas``, ``changes``, ``.gathering``, ``.index``; pyarrow inside functions.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from .. import schemas
from ..changes import ChangesError, _git, toplevel
from . import index as index_

FORMAT = "4"  # the layout of the cache file; another value is never read
CACHE_NAME = "ketamine-ssri-evidence/validate-index.parquet"
_STRING_COLUMNS = ("_table", "_folder", "_path", "target", "own", "note")


def _fingerprint() -> str:
    """What a cached entry depends on besides its folder: the schemas and vocabularies, the format."""
    h = hashlib.sha256(FORMAT.encode())
    for p in sorted(schemas.SCHEMAS.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(schemas.SCHEMAS).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def folder_trees(raw: Path, revision: str) -> dict[str, str]:
    """``{folder: tree id}`` of the entries of ``raw`` at ``revision``."""
    raw_real = os.path.realpath(raw)
    top = toplevel(raw_real)
    rel = Path(os.path.relpath(raw_real, os.path.realpath(top))).as_posix()
    out = {}
    listing = _git(top, "ls-tree", "-z", revision, "--", rel + "/")
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        _, kind, sha = meta.split()
        if kind == "tree":
            out[path.rsplit("/", 1)[-1]] = sha
    return out


def cache_path(raw: Path) -> Path | None:
    """Where the cache lives (under the git directory), or None when that is inside raw/ or build/."""
    raw_real = os.path.realpath(raw)
    top = toplevel(raw_real)
    path = Path(os.path.realpath(os.path.join(top, _git(top, "rev-parse", "--git-path", CACHE_NAME).strip())))
    for forbidden in (Path(raw_real), Path(raw_real).parent / "build"):
        if path == forbidden or forbidden in path.parents:
            return None
    return path


# ------------------------------------------------------------------ the cache file


def _flatten(ix: index_.Index, folders: set[str]):
    """One table of an index's rows in ``folders`` (every table's, the restated figures', the
    unreadable folders'), each row naming its table in ``_table``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = []
    for name, t in ix.tables.items():
        parts.append(t.append_column("_table", pa.array([name] * t.num_rows, type=pa.string())))
    if ix.restates is not None:
        parts.append(
            ix.restates.append_column("_table", pa.array(["_restates"] * ix.restates.num_rows, type=pa.string()))
        )
    rows = [(table, f) for table, fs in ix.unreadable.items() for f in sorted(fs)]
    if rows:
        parts.append(
            pa.table(
                {
                    "_folder": [f for _, f in rows],
                    "_path": [""] * len(rows),
                    "_line": pa.array([0] * len(rows), pa.int64()),
                    "target": [t for t, _ in rows],
                    "_table": ["_unreadable"] * len(rows),
                }
            )
        )
    if not parts:
        return None
    flat = pa.concat_tables(parts, promote_options="default")
    return flat.filter(pc.is_in(flat.column("_folder"), value_set=pa.array(sorted(folders), type=pa.string())))


def _ranges(flat) -> dict[str, list[int]]:
    """``{table: [start, stop]}`` of a flat table sorted by ``_table``."""
    import pyarrow.compute as pc

    counts = pc.value_counts(flat.column("_table"))
    pos, out = 0, {}
    for name, n in sorted(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())):
        out[name] = [pos, pos + n]
        pos += n
    return out


def _with_table(rows, ranges: dict[str, list[int]]):
    """The cached rows with their ``_table`` column again (it is not read from the file)."""
    import numpy as np
    import pyarrow as pa

    names = sorted(ranges, key=lambda k: ranges[k][0])
    codes = np.repeat(np.arange(len(names), dtype=np.int32), [ranges[k][1] - ranges[k][0] for k in names])
    column = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(names, type=pa.string())).cast(pa.string())
    return rows.append_column("_table", column)


def _unflatten(flat, ranges: dict[str, list[int]] | None = None, duplicated: bool = False) -> index_.Index:
    import pyarrow.compute as pc

    ix = index_.Index()
    if flat is None or not flat.num_rows:
        return ix
    if ranges is None:
        ranges = _ranges(flat)

    def rows_of(table: str, columns: list[str]):
        start, stop = ranges.get(table, [0, 0])
        t = flat.slice(start, stop - start)
        # a key's own line (record files) where the table has one
        lines = [
            c for c in t.column_names if c.startswith("_line:") and t.num_rows and t.column(c).null_count < t.num_rows
        ]
        keep = ["_folder", "_path", "_line", *columns, *lines]
        return t.select([c for c in keep if c in t.column_names])

    for name in schemas.contributed_table_names():
        ix.tables[name] = rows_of(name, list(index_.key_fields(name)))
    ix.restates = rows_of("_restates", ["target", "own", "note"])
    start, stop = ranges.get("_unreadable", [0, 0])
    unread = flat.slice(start, stop - start)
    if duplicated:  # the values each unique field uses more than once, "table.field" in note
        start, stop = ranges.get("_duplicated", [0, 0])
        dups = flat.slice(start, stop - start)
        ix.duplicated = {}
        for key in set(dups.column("note").to_pylist()):
            ix.duplicated[key] = dups.column("target").filter(pc.equal(dups.column("note"), key))
    for table, folder in zip(unread.column("target").to_pylist(), unread.column("_folder").to_pylist()):
        ix.unreadable.setdefault(table, set()).add(folder)
    return ix


def _expected_columns() -> dict[str, str]:
    cols = {c: "string" for c in _STRING_COLUMNS}
    cols["_line"] = "int64"
    for name in schemas.contributed_table_names():
        for f in index_.key_fields(name):
            cols[f] = "string"
    return cols


def _load(path: Path, fingerprint: str, label: str):
    """``(rows, {folder: tree}, {table: [start, stop]})`` of the cache (without its ``_table``
    column), or None when there is none or it is damaged or stale (then it is discarded)."""
    import json

    import pyarrow.parquet as pq

    if not path.is_file() or path.is_symlink():
        return None
    try:
        f = pq.ParquetFile(path)
        meta = f.schema_arrow.metadata or {}
        if meta.get(b"fingerprint", b"").decode() != fingerprint or meta.get(b"label", b"").decode() != label:
            raise ValueError("made with other schemas or for another folder")
        trees = json.loads(meta[b"trees"])
        if not isinstance(trees, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in trees.items()):
            raise ValueError("no list of trees")
        ranges = json.loads(meta[b"ranges"])
        rows = f.metadata.num_rows
        if (
            not isinstance(ranges, dict)
            or not all(
                isinstance(k, str)
                and isinstance(v, list)
                and len(v) == 2
                and all(type(x) is int for x in v)
                and 0 <= v[0] <= v[1] <= rows
                for k, v in ranges.items()
            )
            or sum(b - a for a, b in ranges.values()) != rows
            or sorted(a for a, _ in ranges.values()) != sorted({a for a, _ in ranges.values()})
        ):
            raise ValueError("no runs of rows per table")
        spans = sorted(ranges.values())
        if any(spans[k][1] != spans[k + 1][0] for k in range(len(spans) - 1)) or (spans and spans[0][0] != 0):
            raise ValueError("runs of rows that do not tile the file")
        t = f.read(columns=[c for c in f.schema_arrow.names if c != "_table"])
        for name, kind in _expected_columns().items():
            if name == "_table":
                continue
            if name not in t.column_names or str(t.schema.field(name).type) != kind:
                raise ValueError(f"no column {name} of type {kind}")
        return t, trees, ranges, meta.get(b"duplicated") == b"known"
    except Exception:  # noqa: BLE001 - any fault of the cache file: rebuild it
        try:
            path.unlink()
        except OSError:
            pass
        return None


def _save(path: Path, flat, trees: dict[str, str], fingerprint: str, label: str) -> None:
    import json

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    flat = flat.filter(pc.not_equal(flat.column("_table"), "_duplicated"))
    dups = []
    for table in schemas.contributed_table_names():
        rows = flat.filter(pc.equal(flat.column("_table"), table))
        for f in index_.unique_fields(table):
            if f in rows.column_names:
                values = index_.duplicated_values(rows.column(f))
                n = len(values)
                dups.append(
                    pa.table(
                        {
                            "_table": pa.array(["_duplicated"] * n, pa.string()),
                            "_folder": pa.array([""] * n, pa.string()),
                            "_path": pa.array([""] * n, pa.string()),
                            "_line": pa.array([0] * n, pa.int64()),
                            "target": values,
                            "note": pa.array([f"{table}.{f}"] * n, pa.string()),
                        }
                    )
                )
    if dups:
        flat = pa.concat_tables([flat, *dups], promote_options="default")
    cols = {}
    for name, kind in _expected_columns().items():
        cols[name] = (
            flat.column(name)
            if name in flat.column_names
            else pa.nulls(flat.num_rows, type=pa.int64() if kind == "int64" else pa.string())
        )
    for name in flat.column_names:
        if name not in cols:
            cols[name] = flat.column(name)
    t = pa.table(cols)
    t = t.take(pc.sort_indices(t.column("_table")))  # a stable sort: each table's rows stay in order
    meta = {
        "fingerprint": fingerprint,
        "label": label,
        "trees": json.dumps(trees, sort_keys=True),
        "ranges": json.dumps(_ranges(t), sort_keys=True),
        "duplicated": "known",
    }
    t = t.replace_schema_metadata(meta)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".validate-index-", dir=path.parent)
        os.close(fd)
        pq.write_table(t, tmp)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


class CachedIndex:
    """The ``others`` of :func:`~.driver.validate`: the index of the unchanged folders."""

    def __init__(self, raw: Path, merge_base: str, max_bytes: int | None = None):
        self.raw, self.merge_base, self.max_bytes = raw, merge_base, max_bytes
        self.read: list[str] = []  # folders read because the cache had no entry for them

    def __call__(self, names: list[str], raw: Path) -> index_.Index:
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..text_safety import safe_text
        from .gathering import index_of

        label = safe_text(raw.name or str(raw))
        try:
            trees = folder_trees(raw, self.merge_base)
            path = cache_path(raw)
        except ChangesError:
            trees, path = {}, None
        fingerprint = _fingerprint()
        cached = _load(path, fingerprint, label) if path is not None else None
        wanted = {n: trees[n] for n in names if n in trees}
        have: set[str] = set()
        kept: Any = None
        ranges: dict[str, list[int]] | None = None
        duplicated = False
        if cached is not None:
            rows, cached_trees, ranges, duplicated = cached
            have = {n for n, t in wanted.items() if cached_trees.get(n) == t}
            kept = rows
            if have != set(cached_trees):  # the filtered rows stay sorted by table
                kept = _with_table(rows, ranges)
                kept = kept.filter(pc.is_in(kept.column("_folder"), value_set=pa.array(sorted(have), type=pa.string())))
                ranges, duplicated = None, False
        missing = [n for n in names if n not in have]
        self.read = missing
        fresh = index_of(raw, missing, self.max_bytes) if missing else index_.Index()
        # a folder git does not know (untracked, ignored) is read every time, never cached
        new = {n: wanted[n] for n in missing if n in wanted}
        if path is not None and new:
            flat_fresh = _flatten(fresh, set(new))
            if kept is not None and "_table" not in kept.column_names:
                kept = _with_table(kept, ranges or {})
                ranges = None
            parts = [t for t in (kept, flat_fresh) if t is not None and t.num_rows]
            if parts:
                together = pa.concat_tables(parts, promote_options="default") if len(parts) > 1 else parts[0]
                _save(path, together, {**{n: wanted[n] for n in have}, **new}, fingerprint, label)
        known = _unflatten(kept, ranges, duplicated) if kept is not None and kept.num_rows else index_.Index()
        return index_.combine([known, fresh])
