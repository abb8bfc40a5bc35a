"""Read one contributed file, from its bytes in ``raw/`` to columns of text: the one place a
file's reading can be followed to the issue it produces.

Job: check a file as bytes (size, NUL, byte-order mark, UTF-8, line endings), then read it with
the strategy that fits it, every problem becoming an :class:`~ketamine_ssri_evidence.issues.Issue`
(nothing here raises on bad input):

- ``source.yaml`` (one record): libyaml's event stream in one pass, refusing anchors, aliases,
  tags, deep nesting and long streams before anything is built; the pure-Python parser only
  words the message of a file libyaml refuses;
- a CSV file below :data:`FAST_BYTES` (a few rows): Python's ``csv`` module line by line (the careful
  reader, exact about every structural problem), its rows appended to one :class:`Gather`
  shared by every small file of the table, so that thousands of small files become one table;
- a larger CSV file: pyarrow's CSV reader into string columns, unless the file might read
  differently than with Python's ``csv`` (ragged rows, quotes in the header, blank lines,
  duplicate or oversized cells), in which case the careful reader reads it.

Reads: the files it is given. May import: the standard library, ``file_safety``, ``issues``;
PyYAML, numpy and pyarrow inside the functions that need them.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..file_safety import KIND_WORDS, NotRegular, open_regular
from ..issues import Issue

MAX_FILE_MB = 20
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024  # a contributed figures.csv (raise it with --max-file-mb)
MAX_FILE_ENV = "DATAPACKAGE_MAX_FILE_MB"
MAX_YAML_BYTES = 256 * 1024
MAX_CELL_CHARS = 10_000
MAX_COLUMNS = 200  # header width of a contributed CSV (the schema has a few dozen fields)
MAX_YAML_DEPTH = 10  # nesting of source.yaml (a flat mapping needs 2)
MAX_YAML_EVENTS = 50_000  # keys, values and list items of source.yaml
_CHUNK = 1 << 24


@dataclass
class Cell:
    value: str | None
    line: int


@dataclass
class RawTable:
    """Rows of one contributed file: ``rows[i][column] -> Cell``."""

    path: str
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Cell]] = field(default_factory=list)
    readable: bool = True


def _issue(path: str, line: int, code: str, reason: str, fld: str = "", value: str = "") -> Issue:
    return Issue(path=path, line=line, field=fld, value=value, code=code, reason=reason)


@dataclass
class Scan:
    """What a streaming pass over a text file found (problems are reported as issues)."""

    bom: bool = False
    cr: bool = False
    size: int = 0
    longest_line: int = 0  # bytes of the longest line, its end of line excluded
    data: bytes | None = None  # the bytes, kept for a file read in one chunk
    blank_line: bool = False  # an empty line (\n\n): CSV readers count lines differently
    first_line: bytes = b""


def scan_text(fs_path: Path, shown: str, issues: list[Issue], max_bytes: int, max_hint: str = "") -> Scan | None:
    """Check a file as text in chunks, never holding all of it: size, NUL, BOM, UTF-8, CR.

    Returns None when the file cannot be read as text (the reason is reported).
    """
    try:
        f, size = open_regular(fs_path)
    except NotRegular as e:
        issues.append(
            _issue(
                shown,
                0,
                {"symlink": "symlink", "hardlink": "hard-link"}.get(e.kind, "special-file"),
                f"the file is {KIND_WORDS.get(e.kind, 'not a regular file')}; it is never read",
            )
        )
        return None
    except OSError as e:
        issues.append(_issue(shown, 0, "missing-file", f"cannot read the file: {e.strerror or e}"))
        return None
    with f:
        return _scan(f, size, shown, issues, max_bytes, max_hint)


def _scan(f, size: int, shown: str, issues: list[Issue], max_bytes: int, max_hint: str = "") -> Scan | None:
    if size > max_bytes:
        issues.append(
            _issue(
                shown, 0, "file-too-large", f"the file has {size:,} bytes; the limit is {max_bytes:,} bytes{max_hint}"
            )
        )
        return None
    if size == 0:
        issues.append(_issue(shown, 1, "empty-file", "the file is empty"))
        return None
    scan = Scan(size=size)
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1  # line of the chunk's first byte
    offset = 0
    carry = 0  # bytes of the line that runs on into the next chunk
    previous = b""
    try:
        if True:
            while True:
                chunk = f.read(_CHUNK)
                last = not chunk
                if offset == 0:
                    if chunk.startswith(b"\xef\xbb\xbf"):
                        scan.bom = True
                        issues.append(
                            _issue(
                                shown,
                                1,
                                "bom",
                                "the file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM",
                            )
                        )
                        chunk, offset = chunk[3:], 3
                    end = chunk.find(b"\n")
                    scan.first_line = chunk if end < 0 else chunk[:end]
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    issues.append(
                        _issue(
                            shown,
                            lines + chunk.count(b"\n", 0, nul),
                            "nul-byte",
                            "the file contains NUL bytes; save it as UTF-8 text (not UTF-16 or a binary format)",
                        )
                    )
                    return None
                try:
                    if not chunk.isascii() or last:
                        decoder.decode(chunk, final=last)
                except UnicodeDecodeError as e:
                    at = e.start if e.start < len(chunk) else len(chunk) - 1
                    byte = chunk[at] if chunk else previous[-1]
                    issues.append(
                        _issue(
                            shown,
                            lines + chunk.count(b"\n", 0, max(at, 0)),
                            "bad-encoding",
                            f"byte 0x{byte:02x} at offset {offset + at} is not UTF-8; save the file as UTF-8",
                        )
                    )
                    return None
                if last:
                    break
                if offset == 0 and len(chunk) + (3 if scan.bom else 0) == size:
                    scan.data = chunk  # the whole file (without its BOM)
                pieces = chunk.split(b"\n")
                if len(pieces) == 1:
                    carry += len(chunk)
                else:
                    scan.longest_line = max(
                        scan.longest_line, carry + len(pieces[0]), max(map(len, pieces[1:-1]), default=0)
                    )
                    carry = len(pieces[-1])
                scan.longest_line = max(scan.longest_line, carry)
                if not scan.cr:
                    cr = chunk.find(b"\r")
                    if cr >= 0:
                        scan.cr = True
                        issues.append(
                            _issue(
                                shown,
                                lines + chunk.count(b"\n", 0, cr),
                                "crlf",
                                "the file has CR or CRLF line endings; save it with LF (\\n) line endings",
                            )
                        )
                if b"\n\n" in previous[-1:] + chunk[:1] or b"\n\n" in chunk:
                    scan.blank_line = True
                lines += chunk.count(b"\n")
                offset += len(chunk)
                previous = chunk
    except OSError as e:
        issues.append(_issue(shown, 0, "missing-file", f"cannot read the file: {e.strerror or e}"))
        return None
    return scan


def normalised_bytes(fs_path: Path, scan: Scan) -> bytes:
    """The bytes of a scanned file, without BOM and with LF line endings."""
    if scan.data is not None:
        data = scan.data
    else:
        f, _ = open_regular(fs_path)
        with f:
            data = f.read()
        if scan.bom:
            data = data[3:]
    if scan.cr:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def checked_bytes(fs_path: Path, shown: str, issues: list[Issue], max_bytes: int) -> bytes | None:
    """The file's bytes without BOM and with LF endings, or None when it cannot be read as text."""
    scan = scan_text(fs_path, shown, issues, max_bytes)
    return None if scan is None else normalised_bytes(fs_path, scan)


def read_text(fs_path: Path, shown: str, issues: list[Issue], max_bytes: int) -> str | None:
    """The file as text, reporting size, NUL, BOM, encoding and line-ending problems."""
    data = checked_bytes(fs_path, shown, issues, max_bytes)
    return None if data is None else data.decode("utf-8")


def too_many_columns(shown: str, n: int) -> Issue:
    return _issue(shown, 1, "too-many-columns", f"the header has {n:,} columns; the limit is {MAX_COLUMNS}")


MAX_RAGGED_ROWS = 1000  # past this many rows of the wrong width, a file is not read further


def read_csv(
    fs_path: Path,
    shown: str,
    issues: list[Issue],
    max_bytes: int = MAX_FILE_BYTES,
    data: bytes | None = None,
    on_row=None,
    on_header=None,
) -> RawTable:
    """Rows of a CSV file; ``data``, when given, is its already checked bytes.

    ``on_row(cells, line)``, when given, receives each well-formed row instead of
    ``RawTable.rows`` (a caller that stores columns needs no dictionary per row).
    """
    table = RawTable(path=shown)
    text = data.decode("utf-8") if data is not None else read_text(fs_path, shown, issues, max_bytes)
    if text is None:
        table.readable = False
        return table
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader)
        except StopIteration:
            issues.append(_issue(shown, 1, "empty-file", "the file has no header row"))
            table.readable = False
            return table
        start = reader.line_num + 1
        if len(header) > MAX_COLUMNS:
            issues.append(too_many_columns(shown, len(header)))
            table.readable = False
            return table
        seen: set[str] = set()
        for name in header:
            if name in seen:
                issues.append(
                    _issue(shown, 1, "duplicate-column", "this column appears twice in the header", name, name)
                )
            seen.add(name)
        table.columns = header
        if on_header is not None:
            on_header(header)
        width = len(header)
        ragged = 0
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if not cells:  # a blank line
                continue
            if len(cells) != width:
                ragged += 1
                if ragged > MAX_RAGGED_ROWS:
                    issues.append(
                        _issue(
                            shown,
                            0,
                            "too-many-problems",
                            f"more than {MAX_RAGGED_ROWS:,} rows have the wrong number of cells; "
                            "the file was not read further: is it a CSV file with this header?",
                        )
                    )
                    table.readable = False
                    return table
                issues.append(
                    _issue(
                        shown,
                        line,
                        "ragged-row",
                        f"the row has {len(cells)} cells; the header has {width}",
                        "",
                        ",".join(cells)[:80],
                    )
                )
                continue
            if on_row is not None:
                on_row(cells, line)
            else:
                table.rows.append({name: Cell(v, line) for name, v in zip(header, cells)})
    except csv.Error as e:
        msg = str(e)
        line = reader.line_num or 1
        if "field larger than field limit" in msg:
            issues.append(_issue(shown, line, "cell-too-large", f"a cell is longer than {MAX_CELL_CHARS:,} characters"))
        else:
            issues.append(_issue(shown, line, "csv-syntax", f"the CSV cannot be read: {msg}"))
        table.readable = False
    finally:
        csv.field_size_limit(old_limit)
    return table


def _events(yaml, text: str, loader) -> list:
    """The YAML event stream, stopped once it is deeper or longer than the limits allow (the
    event that goes past a limit is the last one kept)."""
    opening = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    closing = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    events: list = []
    depth = 0
    parser = loader(text)
    try:
        while parser.check_event():
            ev = parser.get_event()
            events.append(ev)
            kind = type(ev)
            if kind in opening:
                depth += 1
            elif kind in closing:
                depth -= 1
            if depth > MAX_YAML_DEPTH or len(events) > MAX_YAML_EVENTS + 1:
                break
    finally:
        parser.dispose()
    return events


def _refused(yaml, events: list, shown: str) -> Issue | None:
    """The first event source.yaml may not hold (too deep, too many, an anchor, alias or tag)."""
    opening = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    closing = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    depth = 0
    for count, ev in enumerate(events):
        kind = type(ev)
        if kind in opening:
            depth += 1
        elif kind in closing:
            depth -= 1
        if depth > MAX_YAML_DEPTH:
            return _issue(
                shown,
                ev.start_mark.line + 1,
                "yaml-limit",
                f"nested more than {MAX_YAML_DEPTH} levels deep; source.yaml is a flat mapping of keys to text",
            )
        if count > MAX_YAML_EVENTS:
            return _issue(
                shown,
                ev.start_mark.line + 1,
                "yaml-limit",
                f"more than {MAX_YAML_EVENTS:,} keys, values and list items; source.yaml is a short record",
            )
        if kind is yaml.AliasEvent or getattr(ev, "anchor", None):
            return _issue(
                shown,
                ev.start_mark.line + 1,
                "yaml-alias",
                "anchors (&) and aliases (*) are not allowed in source.yaml",
            )
        tag = getattr(ev, "tag", None)
        if tag and not (kind is yaml.ScalarEvent and ev.implicit[0]) and not (kind in opening and ev.implicit):
            return _issue(
                shown, ev.start_mark.line + 1, "yaml-tag", f"tags such as {tag} are not allowed in source.yaml", "", tag
            )
    return None


def read_yaml_record(fs_path: Path, shown: str, issues: list[Issue], max_bytes: int = MAX_YAML_BYTES) -> RawTable:
    """A flat YAML mapping -> one row. Scalars stay text (no YAML type guessing)."""
    import yaml

    table = RawTable(path=shown)
    text = read_text(fs_path, shown, issues, min(max_bytes, MAX_YAML_BYTES))
    if text is None:
        table.readable = False
        return table
    # 1. the event stream: refuse anchors, aliases and tags before building anything
    try:
        # libyaml when PyYAML has it (a hundred times faster on hostile input); a file it
        # refuses is parsed again by the pure-Python parser, for its exact messages
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            events = _events(yaml, text, loader)
        except yaml.YAMLError:
            if loader is yaml.SafeLoader:
                raise
            loader = yaml.SafeLoader
            events = _events(yaml, text, loader)
        refused = _refused(yaml, events, shown)
        if refused is not None:
            issues.append(refused)
            table.readable = False
            return table
        nodes = _nodes(yaml, events)
    except (RecursionError, MemoryError):
        issues.append(
            _issue(
                shown,
                1,
                "yaml-limit",
                "too deeply nested or too large to read; source.yaml is a flat mapping of keys to text",
            )
        )
        table.readable = False
        return table
    except yaml.YAMLError as e:
        # the construct that is broken (context) is more useful than where the parser noticed
        context, problem_mark = getattr(e, "context_mark", None), getattr(e, "problem_mark", None)
        mark = context or problem_mark
        line = mark.line + 1 if mark else 1
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        where = ""
        if context and problem_mark and problem_mark.line != context.line:
            where = f" (noticed on line {problem_mark.line + 1})"
        issues.append(_issue(shown, line, "yaml-syntax", f"not valid YAML: {problem}{where}"))
        table.readable = False
        return table
    if nodes is None:
        issues.append(_issue(shown, 1, "empty-file", "the file holds no YAML document"))
        table.readable = False
        return table
    if not isinstance(nodes[0], yaml.MappingStartEvent):
        issues.append(
            _issue(
                shown, nodes[0].start_mark.line + 1, "yaml-structure", "source.yaml must be a mapping of keys to values"
            )
        )
        table.readable = False
        return table
    row: dict[str, Cell] = {}
    items = _children(yaml, nodes)
    for key_node, val_node in zip(items[::2], items[1::2]):
        line = key_node[0].start_mark.line + 1
        if not isinstance(key_node[0], yaml.ScalarEvent):
            issues.append(_issue(shown, line, "yaml-structure", "keys must be plain text"))
            continue
        key = key_node[0].value
        if key in row:
            issues.append(
                _issue(
                    shown,
                    line,
                    "yaml-duplicate-key",
                    f"key {key!r} is given twice (first on line {row[key].line})",
                    key,
                    key,
                )
            )
            continue
        first = val_node[0]
        if isinstance(first, yaml.ScalarEvent):
            # a plain scalar (libyaml says style '', the pure-Python parser None) that reads as null
            value = "" if not first.style and first.value in ("", "~", "null", "Null", "NULL") else first.value
        elif isinstance(first, yaml.SequenceStartEvent) and all(
            len(n) == 1 and isinstance(n[0], yaml.ScalarEvent) for n in _children(yaml, val_node)
        ):
            value = "; ".join(n[0].value.strip() for n in _children(yaml, val_node))
        else:
            issues.append(
                _issue(shown, line, "yaml-structure", "the value must be text (or, for authors, a list of text)", key)
            )
            row[key] = Cell(None, line)  # present but unreadable: not reported again as missing
            continue
        row[key] = Cell(value.strip(), line)
    table.columns = list(row)
    table.rows = [row]
    return table


def _nodes(yaml, events: list) -> list | None:
    """The events of the stream's one document's root node (what ``yaml.compose`` would build
    from, without a second parse); None for a stream without a document."""
    starts = [k for k, ev in enumerate(events) if isinstance(ev, yaml.DocumentStartEvent)]
    if not starts:
        return None
    ends = [k for k, ev in enumerate(events) if isinstance(ev, yaml.DocumentEndEvent)]
    if len(starts) > 1:
        root = events[starts[0] + 1]
        raise yaml.composer.ComposerError(
            "expected a single document in the stream",
            root.start_mark,
            "but found another document",
            events[starts[1]].start_mark,
        )
    return events[starts[0] + 1 : ends[0]]


def _children(yaml, node: list) -> list[list]:
    """The child nodes (each a list of events) of a collection node's events."""
    opening = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    closing = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    out: list[list] = []
    depth = 0
    for ev in node[1:-1]:
        if depth == 0:
            out.append([ev])
        else:
            out[-1].append(ev)
        kind = type(ev)
        if kind in opening:
            depth += 1
        elif kind in closing:
            depth -= 1
    return out


# ------------------------------------------------------------------ CSV tables as columns

FAST_BYTES = 32 << 10  # a CSV file from this size up is read by pyarrow; smaller ones line by line
THREADS_BYTES = 4 << 20  # pyarrow reads a file from this size up with threads
_BATCH_ROWS = 50_000  # rows of small files gathered before they become pyarrow columns


@dataclass
class FileRows:
    """Where one file's rows are in a :class:`Gather`: its folder, shown path and header."""

    folder: str
    path: str
    header: list[str]


class Gather:
    """The rows of one CSV table from many files, as one table of string columns.

    Each file's cells land in the columns of the fields it names (a field its header lacks
    is null in its rows; a repeated column keeps its last occurrence); ``file`` and
    ``line`` give every row's file (an index into ``files``) and physical line.
    """

    def __init__(self, fields: list[str]):
        self.fields = fields
        self.files: list[FileRows] = []
        self.chunks: dict[str, list] = {f: [] for f in fields}
        self.file_chunks: list = []
        self.line_chunks: list = []
        self._rows: list[list[str]] = []
        self._lines: list[int] = []
        self._file_of_rows: list[int] = []
        self._where: list[int | None] = []  # column position of each field in the current file
        self.rows = 0  # rows gathered so far

    def start(self, folder: str, path: str, header: list[str]) -> int:
        self.files.append(FileRows(folder, path, list(header)))
        last = {n: k for k, n in enumerate(header)}
        self._where = [last.get(f) for f in self.fields]
        self._current = len(self.files) - 1
        return self._current

    def row(self, cells: list[str], line: int) -> None:
        self._rows.append([cells[k] if k is not None else None for k in self._where])  # type: ignore[misc]
        self.rows += 1
        self._lines.append(line)
        self._file_of_rows.append(self._current)
        if len(self._rows) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        import numpy as np
        import pyarrow as pa

        if not self._rows:
            return
        for f, col in zip(self.fields, zip(*self._rows)):
            self.chunks[f].append(pa.array(col, type=pa.string()))
        self.file_chunks.append(np.array(self._file_of_rows, dtype=np.int32))
        self.line_chunks.append(np.array(self._lines, dtype=np.int64))
        self._rows, self._lines, self._file_of_rows = [], [], []

    def columns(self, folder: str, path: str, header: list[str], cols: dict, lines, n: int) -> None:
        """Add a file read as columns (``cols``: name -> pyarrow string or dictionary array)."""
        import numpy as np
        import pyarrow as pa

        self.flush()
        k = self.start(folder, path, header)
        for f in self.fields:
            c = cols.get(f)
            if c is None:
                self.chunks[f].append(pa.nulls(n, type=pa.string()))
                continue
            for chunk in getattr(c, "chunks", [c]):
                self.chunks[f].append(chunk.cast(pa.string()) if pa.types.is_dictionary(chunk.type) else chunk)
        self.file_chunks.append(np.full(n, k, dtype=np.int32))
        self.line_chunks.append(np.asarray(lines, dtype=np.int64))
        self.rows += n

    def finish(self):
        """``(columns, file index per row, line per row)``: chunked string arrays and numpy arrays."""
        import numpy as np
        import pyarrow as pa

        self.flush()
        cols = {}
        for f in self.fields:
            col = pa.chunked_array(self.chunks[f], type=pa.string())
            self.chunks[f] = []
            if (
                col.num_chunks > 64 and len(col) < 256 * col.num_chunks
            ):  # a chunk per small file: one array computes faster
                try:
                    col = pa.chunked_array([col.combine_chunks()])
                except (pa.ArrowInvalid, pa.ArrowCapacityError, OverflowError):
                    pass  # more than 2 GB of text in the column: it stays in chunks
            cols[f] = col
        files = np.concatenate(self.file_chunks) if self.file_chunks else np.zeros(0, dtype=np.int32)
        lines = np.concatenate(self.line_chunks) if self.line_chunks else np.zeros(0, dtype=np.int64)
        return cols, files, lines


def _fast(source, header: list[str], coded: set[str], big: bool, longest_line: int = MAX_CELL_CHARS + 1):
    """pyarrow's reading of the file as ``(columns, lines, n)``, or None when it might differ
    from Python's csv module."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if len(set(header)) != len(header):
        return None
    table = None
    for newlines in (False, True):
        try:
            table = pacsv.read_csv(
                str(source) if isinstance(source, Path) else pa.BufferReader(source),
                read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=big, block_size=1 << 22),
                parse_options=pacsv.ParseOptions(newlines_in_values=newlines),
                # coded columns (few distinct values) as dictionaries: a fraction of the memory
                convert_options=pacsv.ConvertOptions(
                    column_types={
                        h: pa.dictionary(pa.int32(), pa.string()) if h in coded else pa.string() for h in header
                    },
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            break
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = None
    if table is None:
        return None
    if coded:
        table = table.unify_dictionaries()  # one dictionary per column, not per block
    extra = np.zeros(table.num_rows, dtype=np.int64)
    cols = {}
    # a cell longer than the limit needs a line longer than the limit (or a newline in a value)
    long_cells = newlines or longest_line > MAX_CELL_CHARS
    for name in header:
        arr = table.column(name)  # chunked: combining would copy the whole column
        if long_cells and len(arr) and name not in coded and pc.max(pc.utf8_length(arr)).as_py() > MAX_CELL_CHARS:
            return None
        if (
            long_cells
            and len(arr)
            and name in coded
            and pc.max(pc.utf8_length(arr.combine_chunks().dictionary)).as_py() > MAX_CELL_CHARS
        ):
            return None
        if newlines:
            text = pc.cast(arr, pa.string()) if name in coded else arr
            extra += pc.count_substring(text, "\n").to_numpy()
        cols[name] = arr
    starts = np.arange(table.num_rows, dtype=np.int64) + 2
    if newlines and table.num_rows:
        starts += np.concatenate(([0], np.cumsum(extra)[:-1]))
    return cols, starts, table.num_rows


def read_csv_into(
    gather: Gather,
    folder: str,
    fs_path: Path,
    shown: str,
    issues: list[Issue],
    max_bytes: int,
    coded: frozenset[str] | set[str] = frozenset(),
    max_hint: str = "",
    ahead: tuple | bool | None = None,
) -> list[str] | None:
    """Read one contributed CSV file into ``gather``; its header, or None when the file cannot
    be read at all (the reason is reported).

    ``ahead`` is what :func:`read_ahead` returned for the file, when it was called already
    (in another thread, while earlier files were checked).

    Columns named in ``coded`` hold codes from a vocabulary (read as dictionaries by pyarrow).
    """
    if ahead is None:
        ahead = read_ahead(fs_path, max_bytes)
    if isinstance(ahead, tuple):
        header, got = ahead
        gather.columns(folder, shown, header, *got)
        return header
    scan = scan_text(fs_path, shown, issues, max_bytes, max_hint)
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
    if scan.size >= FAST_BYTES:
        first_line = scan.first_line if data is None else data.split(b"\n", 1)[0]
        first = first_line.decode("utf-8", errors="replace")
        if not (scan.blank_line or '"' in first or not first):
            try:
                header = next(csv.reader([first]))
            except (csv.Error, StopIteration):
                header = []
            if header:
                # a BOM or CR line endings are reported; the rest of the file is read as usual
                # coded columns as dictionaries only where a file is big enough for it to save memory
                got = _fast(
                    fs_path if data is None else data,
                    header,
                    set(coded) if scan.size >= THREADS_BYTES else set(),
                    scan.size >= THREADS_BYTES,
                    scan.longest_line,
                )
                if got is not None:
                    gather.columns(folder, shown, header, *got)
                    return header
    # the careful reader: exact messages for every structural problem
    mark = (len(gather.files), 0)
    started: list[bool] = []

    def on_header(header: list[str]) -> None:
        gather.start(folder, shown, header)
        started.append(True)

    raw = read_csv(
        fs_path,
        shown,
        issues,
        max_bytes,
        data=data if data is not None else normalised_bytes(fs_path, scan),
        on_row=gather.row,
        on_header=on_header,
    )
    if not raw.readable:
        _undo(gather, mark, bool(started))
        return None
    return raw.columns


def read_ahead(fs_path: Path, max_bytes: int) -> tuple | bool:
    """A mid-size CSV file read by pyarrow when nothing about it needs a message:
    ``(header, (columns, lines, n))``, else False (the file is read by :func:`read_csv_into`)."""
    quick = _quick_bytes(fs_path, max_bytes)
    if quick is None:
        return False
    scan, data = quick
    header = _plain_header(scan.first_line)
    if header is None or scan.blank_line:
        return False
    got = _fast(data, header, set(), False, scan.longest_line)
    return (header, got) if got is not None else False


def _plain_header(first_line: bytes) -> list[str] | None:
    """The header, when it is plain (UTF-8, no quotes, within the column limit), else None."""
    if not first_line or b'"' in first_line or first_line.count(b",") >= MAX_COLUMNS:
        return None
    try:
        header = next(csv.reader([first_line.decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    return header or None


def _quick_bytes(fs_path: Path, max_bytes: int) -> tuple[Scan, bytes] | None:
    """A mid-size file (from :data:`FAST_BYTES` up to :data:`THREADS_BYTES`) read whole, when
    its bytes show nothing that needs a message (no NUL, BOM or CR): its scan and bytes.

    UTF-8 is left to pyarrow, which refuses a file that is not; such a file, and every file
    this returns None for, is scanned again by :func:`scan_text`, which words the problem.
    """
    import numpy as np

    try:
        f, size = open_regular(fs_path)
    except OSError:
        return None
    with f:
        if not FAST_BYTES <= size < min(THREADS_BYTES, max_bytes + 1):
            return None
        try:
            data = f.read(size + 1)
        except OSError:
            return None
    if len(data) != size or b"\x00" in data or b"\r" in data or data.startswith(b"\xef\xbb\xbf"):
        return None
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    if len(ends):
        longest = int(max(ends[0], np.diff(ends).max(initial=0) - 1, size - ends[-1] - 1))
    else:
        longest = size
    first = data[: ends[0]] if len(ends) else data
    return Scan(size=size, blank_line=b"\n\n" in data, first_line=first, longest_line=longest), data


def _undo(gather: Gather, mark: tuple[int, int], started: bool) -> None:
    """Forget the rows of a file that turned out unreadable (they were gathered as read)."""
    files, _ = mark
    k = files  # the index the unreadable file got
    gather.rows -= sum(1 for f in gather._file_of_rows if f == k) + sum(int((c == k).sum()) for c in gather.file_chunks)
    gather._rows = [r for r, f in zip(gather._rows, gather._file_of_rows) if f != k]
    gather._lines = [ln for ln, f in zip(gather._lines, gather._file_of_rows) if f != k]
    gather._file_of_rows = [f for f in gather._file_of_rows if f != k]
    if any(int(c.max()) >= k for c in gather.file_chunks if len(c)):
        # rows already flushed in batches: drop them from the flushed chunks
        import pyarrow as pa

        keep = [c != k for c in gather.file_chunks]
        for f in gather.fields:
            gather.chunks[f] = [a.filter(pa.array(m)) for a, m in zip(gather.chunks[f], keep)]
        gather.line_chunks = [a[m] for a, m in zip(gather.line_chunks, keep)]
        gather.file_chunks = [a[m] for a, m in zip(gather.file_chunks, keep)]
    if started:
        gather.files.pop()
