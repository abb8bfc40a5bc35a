"""``validate --changed``: read the changed source folders, and only what the rules spanning sources need of the others.

Job: give :func:`~.driver.validate` the :class:`~.index.Index` rows of the source folders that
did not change which the rules that span sources need to report what a full run reports,
from a cache keyed by each folder's git tree id at the merge-base (an unchanged folder is the
same tree, so its cached entry holds without reading the folder). Folders without an entry
are read once and added.

The cache is one Arrow IPC file (lz4) under the git directory (``git rev-parse --git-path``),
never inside raw/ or build/. It holds the index rows of every cached folder, sorted by
section (table, restating notes, unreadable folders), and nothing derived from them: every
string column dictionary-encoded (8, 16 or 32-bit codes), every identifier split at its first
``/`` into a head and a tail (a figure_id is its folder and a number, so both dictionaries
stay small). A run decodes nothing in bulk: it finds the rows of a value, counts the uses of
every value and lists distinct values on integer codes (:class:`_Rows`), and picks
(:func:`_pick`) the rows of unique values used twice among the unchanged folders or also
used by the folders read; the rows whose foreign key names nothing among every folder;
every ``Restates`` note; and, for every row picked or read, the rows its foreign keys and
restated figures name. Only those rows are decoded and handed to the rules, which so see
every row that takes part in a problem a full run reports. Since the run counts and looks
up on the rows themselves, no statistic or summary in the file can hide a problem. The file
names the schemas, the format and the folder it was made for; a file that cannot be read,
was made with other schemas, is a link, or whose columns, types, dictionaries (a value
twice, a ``/`` in a head) or lines are not what this module writes, is discarded and
rebuilt, never trusted. Arrow IPC rather than Parquet: a run reads every column, and
decoding Parquet's pages costs several times more than IPC's buffers.

Reads: git (``ls-tree``, ``rev-parse``), the cache file, the folders missing from it. May
import: ``schemas``, ``changes``, ``text_safety``, ``.gathering``, ``.index``; numpy and
pyarrow inside functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from .. import schemas
from ..changes import ChangesError, _git, toplevel
from . import index as index_

FORMAT = "5"  # the layout of the cache file; another value is never read
CACHE_NAME = "ketamine-ssri-evidence/validate-index.arrow"
OLD_NAMES = ("ketamine-ssri-evidence/validate-index.parquet",)  # earlier layouts, removed when met
RESTATES, UNREADABLE = "_restates", "_unreadable"  # the sections of the file besides the tables
_WHOLE = ("_table", "_folder", "_path", "note")  # string columns stored as they are (dictionary)
MAX_CACHE_BYTES = 1 << 31  # a larger file is not read


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


def _git_paths(raw: Path, names: list[str]) -> list[Path | None]:
    """Where each of ``names`` lives under the git directory (one ``git rev-parse``), None for
    one that would be inside raw/ or build/."""
    raw_real = os.path.realpath(raw)
    top = toplevel(raw_real)
    args = [a for n in names for a in ("--git-path", n)]
    found = _git(top, "rev-parse", *args).split("\n")[: len(names)]
    out: list[Path | None] = []
    for line in found:
        # the folder resolved, not the file: a link in the file's place is seen, and discarded
        where = os.path.join(top, line.strip())
        path = Path(os.path.realpath(os.path.dirname(where))) / os.path.basename(where)
        inside = any(path == f or f in path.parents for f in (Path(raw_real), Path(raw_real).parent / "build"))
        out.append(None if inside else path)
    if len(out) != len(names):
        raise ChangesError("git rev-parse --git-path gave no path")
    return out


def cache_path(raw: Path) -> Path | None:
    """Where the cache lives (under the git directory), or None when that is inside raw/ or build/."""
    return _git_paths(raw, [CACHE_NAME])[0]


# ------------------------------------------------------------------ the file's columns


def _key_fields() -> list[str]:
    """Every field the rules spanning sources read, over the contributed tables, once."""
    out: list[str] = []
    for name in schemas.contributed_table_names():
        out += [f for f in index_.key_fields(name) if f not in out]
    return out


def _split_fields() -> list[str]:
    """The identifier columns, stored as head (before the first ``/``) and tail (after it)."""
    return [*_key_fields(), "target", "own"]


def _schema():
    import pyarrow as pa

    text = pa.dictionary(pa.int32(), pa.string())
    fields = [pa.field(c, text) for c in _WHOLE] + [pa.field("_line", pa.int64())]
    for f in _split_fields():
        fields += [pa.field(f, text), pa.field(f + "/", text)]
    fields += [pa.field(f"_line:{f}", pa.int64()) for f in _key_fields()]
    return pa.schema(fields)


def _narrow(col):
    """``col`` in the narrowest type that holds it: no buffer at all when every value is null,
    dictionary codes of 8, 16 or 32 bits, line numbers of 32 bits when they fit (a smaller
    file, less to decompress)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(col) and col.null_count == len(col):
        return pa.chunked_array([pa.nulls(len(col))])
    if pa.types.is_dictionary(col.type):
        n = len(col.chunk(0).dictionary) if col.num_chunks else 0
        width = pa.int8() if n < 1 << 7 else pa.int16() if n < 1 << 15 else pa.int32()
        return col.cast(pa.dictionary(width, pa.string()))
    bounds = pc.min_max(col).as_py() if len(col) else {"min": None, "max": None}
    if all(v is None or -(1 << 31) <= v < 1 << 31 for v in bounds.values()):
        return col.cast(pa.int32())
    return col


def _same_layout(schema) -> bool:
    """``schema`` is :func:`_schema` up to the types :func:`_narrow` chooses."""
    import pyarrow as pa

    want = _schema()
    if schema.names != want.names:
        return False
    for got, expected in zip(schema, want):
        if got.type == pa.null():
            continue
        if pa.types.is_dictionary(expected.type):
            t = got.type
            if not (
                pa.types.is_dictionary(t)
                and t.value_type == pa.string()
                and t.index_type in (pa.int8(), pa.int16(), pa.int32())
                and not t.ordered
            ):
                return False
        elif got.type not in (pa.int32(), pa.int64()):
            return False
    return True


def _split(col):
    """``(head, tail)`` of a string column: before the first ``/``, and after it (null without one)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks else pa.array([], pa.string())
    parts = pc.split_pattern(col, "/", max_splits=1)  # [head] or [head, tail] per value
    starts = parts.offsets.to_numpy()[:-1].astype(np.int64) - parts.offsets[0].as_py()
    sizes = pc.fill_null(pc.list_value_length(parts), 0).to_numpy(zero_copy_only=False)
    words = parts.flatten()
    if not len(words):
        return pa.nulls(len(col), pa.string()), pa.nulls(len(col), pa.string())
    head = words.take(pa.array(np.where(sizes > 0, starts, 0), mask=sizes < 1))
    tail = words.take(pa.array(np.where(sizes > 1, starts + 1, 0), mask=sizes < 2))
    return head, tail


def _join(head, tail):
    """The strings of :func:`_split`'s halves."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.if_else(pc.is_null(tail), head, pc.binary_join_element_wise(head, tail, pa.scalar("/")))


def _flatten(ix: index_.Index, folders: set[str]):
    """One table of an index's rows in ``folders`` (every table's, the restated figures', the
    unreadable folders'), each row naming its section in ``_table``; plain strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [t.append_column("_table", pa.array([name] * t.num_rows, pa.string())) for name, t in ix.tables.items()]
    if ix.restates is not None:
        parts.append(ix.restates.append_column("_table", pa.array([RESTATES] * ix.restates.num_rows, pa.string())))
    rows = [(table, f) for table, fs in ix.unreadable.items() for f in sorted(fs)]
    if rows:
        parts.append(
            pa.table(
                {
                    "_folder": pa.array([f for _, f in rows], pa.string()),
                    "_path": pa.array([""] * len(rows), pa.string()),
                    "_line": pa.array([0] * len(rows), pa.int64()),
                    "target": pa.array([t for t, _ in rows], pa.string()),
                    "_table": pa.array([UNREADABLE] * len(rows), pa.string()),
                }
            )
        )
    if not parts:
        return None
    flat = pa.concat_tables(parts, promote_options="default")
    return flat.filter(pc.is_in(flat.column("_folder"), value_set=pa.array(sorted(folders), type=pa.string())))


def _encode(flat):
    """The stored form of a flat table (:func:`_schema`), sorted by section."""
    import pyarrow as pa
    import pyarrow.compute as pc

    flat = flat.combine_chunks()
    n = flat.num_rows

    def column(name: str, kind):
        return flat.column(name) if name in flat.column_names else pa.chunked_array([pa.nulls(n, kind)])

    cols: dict[str, Any] = {}
    for name in _WHOLE:
        cols[name] = column(name, pa.string()).dictionary_encode()
    cols["_line"] = column("_line", pa.int64())
    for f in _split_fields():
        head, tail = _split(column(f, pa.string()))
        cols[f], cols[f + "/"] = head.dictionary_encode(), tail.dictionary_encode()
    for f in _key_fields():
        cols[f"_line:{f}"] = column(f"_line:{f}", pa.int64())
    t = pa.table(cols, schema=_schema()).combine_chunks()
    t = t.take(pc.sort_indices(flat.column("_table"))) if n else t  # stable: each section in one run
    return pa.table({name: _narrow(t.column(name)) for name in t.column_names})


def _merged(parts):
    """One stored table of several (:func:`_encode`'s), sorted by section, each dictionary
    holding only the values its rows use."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    wide = _schema()
    t = pa.concat_tables([p.cast(wide) for p in parts]).unify_dictionaries().combine_chunks()
    cols: dict[str, Any] = {}
    for name in t.column_names:
        col = t.column(name)
        if pa.types.is_dictionary(col.type) and col.num_chunks:
            arr = col.chunk(0)
            codes = pc.fill_null(arr.indices, -1).to_numpy()
            used = np.zeros(len(arr.dictionary) + 1, dtype=bool)
            used[codes] = True  # a null's -1 marks the extra last place
            keep = np.nonzero(used[:-1])[0]
            renumber = np.zeros(len(arr.dictionary) + 1, dtype=np.int32)
            renumber[keep] = np.arange(len(keep), dtype=np.int32)
            indices = pa.array(renumber[codes], pa.int32(), mask=codes < 0)
            col = pa.DictionaryArray.from_arrays(indices, arr.dictionary.take(pa.array(keep, pa.int64())))
        cols[name] = col
    t = pa.table(cols, schema=wide)
    t = t.take(pc.sort_indices(t.column("_table").cast(pa.string()))) if t.num_rows else t
    return pa.table({name: _narrow(t.column(name)) for name in t.column_names})


# ------------------------------------------------------------------ reading and writing


def _load(path: Path, fingerprint: str, label: str):
    """``(rows, {folder: tree})`` of the cache, or None when there is none or it is damaged,
    stale or not what :func:`_save` writes (then it is discarded)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        # not through a link; a fifo in its place does not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        if path.is_symlink():
            _discard(path)
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CACHE_BYTES:
                raise ValueError("not a regular file of a sensible size")
            data = fh.read()
        reader = pa.ipc.open_file(pa.py_buffer(data))
        meta = reader.schema.metadata or {}
        if meta.get(b"fingerprint", b"").decode() != fingerprint or meta.get(b"label", b"").decode() != label:
            raise ValueError("made with other schemas or for another folder")
        if not _same_layout(reader.schema):
            raise ValueError("other columns")
        trees = json.loads(meta[b"trees"])
        if not isinstance(trees, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in trees.items()):
            raise ValueError("no list of trees")
        t = reader.read_all()
        t.validate(full=True)  # offsets, codes and text checked before any other use
        t = t.unify_dictionaries().combine_chunks()
        for name in ("_table", "_folder", "_path", "_line"):
            if t.column(name).null_count:
                raise ValueError(f"a row without {name}")
        for name in t.column_names:
            col = t.column(name)
            if not pa.types.is_dictionary(col.type) or not col.num_chunks:
                continue
            words = col.chunk(0).dictionary
            if words.null_count or len(pc.unique(words)) != len(words):
                raise ValueError(f"a dictionary of {name} that repeats a value")
            heads = name in _split_fields()
            if heads and len(words) and pc.any(pc.match_substring(words, "/")).as_py():
                raise ValueError(f"a head of {name} holding '/'")
        return t, trees
    except Exception:  # noqa: BLE001 - any fault of the cache file: rebuild it
        _discard(path)
        return None


def _discard(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _save(path: Path, stored, trees: dict[str, str], fingerprint: str, label: str) -> None:
    import pyarrow as pa

    meta = {"fingerprint": fingerprint, "label": label, "trees": json.dumps(trees, sort_keys=True)}
    t = stored.replace_schema_metadata(meta)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".validate-index-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            sink = pa.PythonFile(fh, mode="w")
            with pa.ipc.new_file(sink, t.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as w:
                w.write_table(t)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            _discard(Path(tmp))


# ------------------------------------------------------------------ what a run picks


class _Rows:
    """The stored rows of the folders kept, by section, with lookups on dictionary codes."""

    def __init__(self, t, keep: set[str]):
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        self.t = t
        self._codes: dict[str, Any] = {}
        self._keys: dict[tuple[str, str], Any] = {}
        folders, words = self.codes("_folder")
        lut = np.append(pc.is_in(words, value_set=pa.array(sorted(keep), pa.string())).to_numpy(False), False)
        sections, names = self.codes("_table")
        self.number = {str(n): i for i, n in enumerate(names.to_pylist())}
        self.sections = sections
        self.kept = None if lut[:-1].all() else lut[folders]  # None: every row (no folder left out)
        self.rows: dict[str, Any] = {}
        # a section's rows in one run, every one kept (the file is sorted by section): a slice
        self.span: dict[str, tuple[int, int]] = {}
        starts: Any = np.concatenate([[0], np.nonzero(sections[1:] != sections[:-1])[0] + 1]) if len(sections) else []
        runs = {int(sections[a]): (int(a), int(b)) for a, b in zip(starts, [*starts[1:], len(sections)])}
        one_run = len(runs) == len(starts)  # no section in two places
        for n, i in self.number.items():
            if one_run:
                a, b = runs.get(i, (0, 0))
                if self.kept is None or self.kept[a:b].all():
                    self.span[n] = (a, b)
                    continue
            rows = np.nonzero(sections == i)[0]
            self.rows[n] = rows if self.kept is None else rows[self.kept[rows]]
        self.picked = np.zeros(t.num_rows, dtype=bool)
        self._picked: list[Any] = []

    def codes(self, name: str):
        """``(codes, dictionary)`` of a column: a numpy int array, -1 for null."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if name not in self._codes:
            col = self.t.column(name)
            if col.type == pa.null():
                import numpy as np

                self._codes[name] = (np.full(len(col), -1, dtype=np.int8), pa.array([], pa.string()))
            elif col.num_chunks:
                arr = col.chunk(0)
                codes = arr.indices.to_numpy() if not arr.null_count else pc.fill_null(arr.indices, -1).to_numpy()
                self._codes[name] = (codes, arr.dictionary)
            else:
                import numpy as np

                self._codes[name] = (np.zeros(0, dtype=np.int32), pa.array([], pa.string()))
        return self._codes[name]

    def section(self, name: str):
        """The row numbers of a section's kept rows."""
        import numpy as np

        if name in self.span:
            return np.arange(*self.span[name], dtype=np.int64)
        return self.rows.get(name, np.zeros(0, dtype=np.int64))

    def _where(self, section: str, test) -> Any:
        """The row numbers of the kept rows of ``section`` for which ``test(rows)`` (a function
        of a slice or of row numbers, giving a mask) holds."""
        import numpy as np

        if section in self.span:
            a, b = self.span[section]
            return np.nonzero(test(slice(a, b)))[0] + a
        rows = self.section(section)
        return rows[test(rows)]

    def keys(self, field: str, rows):
        """One int64 per row naming its value of ``field`` (-1 for null)."""
        import numpy as np

        heads, _ = self.codes(field)
        h = heads[rows].astype(np.int64)
        tails, tail_words = self.codes(field + "/")
        if not len(tail_words):  # no value holds a '/': the head names it
            return h
        k = h * (len(tail_words) + 1) + tails[rows] + 1
        k[h < 0] = -1
        return k

    def find(self, section: str, field: str, values) -> Any:
        """The rows of ``section`` whose ``field`` is one of ``values`` (strings)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        none = np.zeros(0, dtype=np.int64)
        values = pc.unique(pa.array(values, pa.string()).drop_null()) if len(values) else pa.array([], pa.string())
        if not len(values) or (section not in self.span and not len(self.section(section))):
            return none
        heads, head_words = self.codes(field)
        _, tail_words = self.codes(field + "/")
        sh, st = _split(values)
        hi = pc.fill_null(pc.index_in(sh, value_set=head_words), -1).to_numpy().astype(np.int64)
        ti = pc.fill_null(pc.index_in(st, value_set=tail_words), -1).to_numpy().astype(np.int64)
        no_tail = pc.is_null(st).to_numpy(False)
        ok = (hi >= 0) & (no_tail | (ti >= 0))
        if not ok.any():
            return none
        wanted = hi[ok] * (len(tail_words) + 1) + np.where(no_tail[ok], 0, ti[ok] + 1)
        lut = np.zeros(len(head_words) + 1, dtype=bool)
        lut[hi[ok]] = True
        candidates = self._where(section, lambda r: lut[heads[r]])
        return candidates[np.isin(self.keys(field, candidates), wanted)]

    def section_keys(self, section: str, field: str):
        """:meth:`keys` of every row of ``section`` (computed once)."""
        if (section, field) not in self._keys:
            span = self.span.get(section)
            self._keys[section, field] = self.keys(field, slice(*span) if span else self.section(section))
        return self._keys[section, field]

    def _dense(self, field: str, n: int) -> int:
        """The number of possible keys of ``field`` when small enough to count them in an array
        (about the number of rows), else 0."""
        _, head_words = self.codes(field)
        _, tail_words = self.codes(field + "/")
        size = len(head_words) * (len(tail_words) + 1)
        return size if size <= 4 * n + (1 << 16) else 0

    def repeated(self, section: str, field: str) -> Any:
        """The rows of ``section`` whose ``field`` value another of its rows also has."""
        import numpy as np

        k = self.section_keys(section, field)
        s = np.sort(k, kind="stable")  # a radix or merge sort: quick on codes in near order
        s = s[np.searchsorted(s, 0) :]  # without the nulls (-1)
        twice = np.unique(s[1:][s[1:] == s[:-1]])
        if not len(twice):
            return np.zeros(0, dtype=np.int64)
        hit = np.isin(k, twice)
        span = self.span.get(section)
        return np.nonzero(hit)[0] + span[0] if span else self.section(section)[hit]

    def values(self, field: str, rows, section: str | None = None) -> list[str]:
        """The distinct non-null values of ``field`` in ``rows`` (every row of ``section`` if named)."""
        import numpy as np
        import pyarrow as pa

        _, tail_words = self.codes(field + "/")
        if section is not None and not len(tail_words):
            # every value the dictionary holds: a superset of the section's (a value no row
            # has finds no row where it is looked up)
            return self.codes(field)[1].to_pylist()
        k = self.keys(field, rows) if section is None else self.section_keys(section, field)
        k = k[k >= 0]
        size = self._dense(field, len(k))
        if size:
            seen = np.zeros(size, dtype=bool)
            seen[k] = True
            k = np.nonzero(seen)[0]
        else:
            k = np.unique(k)
        if not len(k):
            return []
        _, head_words = self.codes(field)
        _, tail_words = self.codes(field + "/")
        width = len(tail_words) + 1
        tails = k % width - 1
        head = head_words.take(pa.array(k // width))
        if len(tail_words):
            tail = tail_words.take(pa.array(np.where(tails < 0, 0, tails), mask=tails < 0))
        else:
            tail = pa.nulls(len(k), pa.string())
        return _join(head, tail).to_pylist()

    def folders_with(self, section: str, field: str, names) -> Any:
        """The rows of ``section`` whose folder is one of ``names`` and whose ``field`` is filled."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if not len(names):
            return np.zeros(0, dtype=np.int64)
        folders, words = self.codes("_folder")
        lut = np.append(pc.is_in(words, value_set=pa.array(sorted(names), pa.string())).to_numpy(False), False)
        heads, _ = self.codes(field)
        return self._where(section, lambda r: lut[folders[r]] & (heads[r] >= 0))

    def folder_names(self, rows) -> set[str]:
        import numpy as np
        import pyarrow as pa

        folders, words = self.codes("_folder")
        return set(words.take(pa.array(np.unique(folders[rows]))).to_pylist()) if len(rows) else set()

    def pick(self, rows) -> bool:
        """Mark ``rows`` picked; whether any was not yet."""
        import numpy as np

        if not len(rows):
            return False
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        new = rows[~self.picked[rows]]
        self.picked[new] = True
        self._picked.append(new)
        return bool(len(new))

    def picked_of(self, section: str) -> Any:
        import numpy as np

        chosen = np.sort(np.concatenate(self._picked)) if self._picked else np.zeros(0, dtype=np.int64)
        if section not in self.number:
            return chosen[:0]
        mine = self.sections[chosen] == self.number[section]
        return chosen[mine if self.kept is None else mine & self.kept[chosen]]

    def table(self, section: str, fields: list[str]):
        """The picked rows of ``section`` as an index table: folder, path, line, ``fields``."""
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = pa.array(self.picked_of(section), pa.int64())
        t = self.t
        cols: dict[str, Any] = {
            "_folder": t.column("_folder").take(rows).cast(pa.string()),
            "_path": t.column("_path").take(rows).cast(pa.string()),
            "_line": t.column("_line").take(rows).cast(pa.int64()),
        }
        for f in fields:
            whole = f in _WHOLE
            value = t.column(f).take(rows).cast(pa.string())
            cols[f] = value if whole else _join(value, t.column(f + "/").take(rows).cast(pa.string()))
        for f in fields:
            name = f"_line:{f}"
            if name in t.column_names:
                lines = t.column(name).take(rows).cast(pa.int64())
                if len(rows) and lines.null_count < len(rows):
                    cols[name] = pc.fill_null(lines, cols["_line"])
        return pa.table(cols)


def _pick(rows: _Rows, read: index_.Index) -> index_.Index:
    """The index of the stored rows the rules spanning sources need besides ``read`` (the index
    of the folders read): every row that can take part in a problem a full run reports."""

    def read_values(table: str, field: str) -> list:
        t = read.tables.get(table)
        return t.column(field).drop_null().to_pylist() if t is not None and field in t.column_names else []

    names = schemas.contributed_table_names()
    fks = [(n, fld, ref, rf) for n in names for fld, ref, rf in schemas.table(n).foreign_keys]
    out = index_.Index()
    rows.pick(rows.section(UNREADABLE))
    listed = rows.table(UNREADABLE, ["target"])
    for table, folder in zip(listed.column("target").to_pylist(), listed.column("_folder").to_pylist()):
        out.unreadable.setdefault(table, set()).add(folder)
    # a unique value used twice among the stored rows, or also by a folder read
    for n in names:
        for f in index_.unique_fields(n):
            rows.pick(rows.repeated(n, f))
            rows.pick(rows.find(n, f, read_values(n, f)))
    # a reference that names nothing, among every folder
    for n, fld, ref, rf in fks:
        stored = rows.values(fld, None, section=n)
        if not stored:
            continue
        found = set(rows.values(rf, rows.find(ref, rf, stored)))
        found |= rows.folder_names(rows.folders_with(ref, rf, stored))
        found |= set(read_values(ref, rf)) | out.unreadable.get(ref, set()) | read.unreadable.get(ref, set())
        t = read.tables.get(ref)
        if t is not None and rf in t.column_names:
            found |= set(t.filter(t.column(rf).is_valid()).column("_folder").to_pylist())
        rows.pick(rows.find(n, fld, [v for v in stored if v not in found]))
    # every restating note, and the figures that notes restate
    rows.pick(rows.section(RESTATES))
    targets = rows.values("target", None, section=RESTATES)
    if read.restates is not None:
        targets += read.restates.column("target").to_pylist()
    rows.pick(rows.find(index_.RESTATES_TABLE, index_.RESTATED_ID, targets))
    # what the references of every row picked or read name
    grown = True
    while grown:
        grown = False
        for n, fld, ref, rf in fks:
            values = sorted(set(rows.values(fld, rows.picked_of(n))) | set(read_values(n, fld)))
            grown |= rows.pick(rows.find(ref, rf, values))
            grown |= rows.pick(rows.folders_with(ref, rf, values))
    for n in names:
        out.tables[n] = rows.table(n, list(index_.key_fields(n)))
    out.restates = rows.table(RESTATES, ["target", "own", "note"])
    return out


class CachedIndex:
    """The ``others`` of :func:`~.driver.validate`: what the rules spanning sources need of the unchanged folders."""

    def __init__(self, raw: Path, merge_base: str, max_bytes: int | None = None):
        self.raw, self.merge_base, self.max_bytes = raw, merge_base, max_bytes
        self.read: list[str] = []  # folders read because the cache had no entry for them

    def __call__(self, names: list[str], raw: Path, read: index_.Index | None = None) -> index_.Index:
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..text_safety import safe_text
        from .gathering import index_of

        label = safe_text(raw.name or str(raw))
        try:
            trees = folder_trees(raw, self.merge_base)
            path, *earlier = _git_paths(raw, [CACHE_NAME, *OLD_NAMES])
            old = [p for p in earlier if p is not None and os.path.lexists(p)]
        except ChangesError:
            trees, path, old = {}, None, []
        for p in old:
            _discard(p)
        fingerprint = _fingerprint()
        cached = _load(path, fingerprint, label) if path is not None else None
        wanted = {n: trees[n] for n in names if n in trees}
        stored, have = None, set()
        if cached is not None:
            stored, cached_trees = cached
            have = {n for n, t in wanted.items() if cached_trees.get(n) == t}
        missing = [n for n in names if n not in have]
        self.read = missing
        fresh = index_of(raw, missing, self.max_bytes) if missing else index_.Index()
        # a folder git does not know (untracked, ignored) is read every time, never cached
        new = {n: wanted[n] for n in missing if n in wanted}
        if path is not None and new:
            flat = _flatten(fresh, set(new))
            parts = [_encode(flat if flat is not None else pa.table({}))]
            if stored is not None and have:
                folders = stored.column("_folder").cast(pa.string())
                parts.insert(0, stored.filter(pc.is_in(folders, value_set=pa.array(sorted(have), pa.string()))))
            together = _merged(parts) if len(parts) > 1 else parts[0]
            _save(path, together, {**{n: wanted[n] for n in have}, **new}, fingerprint, label)
        if stored is None or not have:
            return fresh
        known = index_.combine([read, fresh]) if read is not None else fresh
        return index_.combine([fresh, _pick(_Rows(stored, have), known)])
