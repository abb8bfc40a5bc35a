"""Read contributed files defensively: size, encoding, line endings, CSV and YAML shape.

Every problem becomes an :class:`~ketamine_ssri_evidence.issues.Issue`; nothing here raises on bad
input. Standard library plus PyYAML (imported when a YAML file is read).
"""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ._filesafety import KIND_WORDS, NotRegular, open_regular
from .issues import Issue

MAX_FILE_BYTES = 20 * 1024 * 1024  # a contributed figures.csv or source.yaml
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
    blank_line: bool = False  # an empty line (\n\n): CSV readers count lines differently
    first_line: bytes = b""


def scan_text(fs_path: Path, shown: str, issues: list[Issue], max_bytes: int) -> Scan | None:
    """Check a file as text in chunks, never holding all of it: size, NUL, BOM, UTF-8, CR.

    Returns None when the file cannot be read as text (the reason is reported).
    """
    try:
        f, size = open_regular(fs_path)
    except NotRegular as e:
        issues.append(_issue(shown, 0, {"symlink": "symlink", "hardlink": "hard-link"}.get(e.kind, "special-file"),
                             f"the file is {KIND_WORDS.get(e.kind, 'not a regular file')}; it is never read"))
        return None
    except OSError as e:
        issues.append(_issue(shown, 0, "missing-file", f"cannot read the file: {e.strerror or e}"))
        return None
    with f:
        return _scan(f, size, shown, issues, max_bytes)


def _scan(f, size: int, shown: str, issues: list[Issue], max_bytes: int) -> Scan | None:
    if size > max_bytes:
        issues.append(_issue(shown, 0, "file-too-large", f"the file has {size:,} bytes; the limit is {max_bytes:,} bytes"))
        return None
    if size == 0:
        issues.append(_issue(shown, 1, "empty-file", "the file is empty"))
        return None
    scan = Scan()
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1  # line of the chunk's first byte
    offset = 0
    previous = b""
    try:
        if True:
            while True:
                chunk = f.read(_CHUNK)
                last = not chunk
                if offset == 0:
                    if chunk.startswith(b"\xef\xbb\xbf"):
                        scan.bom = True
                        issues.append(_issue(shown, 1, "bom", "the file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM"))
                        chunk, offset = chunk[3:], 3
                    end = chunk.find(b"\n")
                    scan.first_line = chunk if end < 0 else chunk[:end]
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    issues.append(_issue(shown, lines + chunk.count(b"\n", 0, nul), "nul-byte",
                                         "the file contains NUL bytes; save it as UTF-8 text (not UTF-16 or a binary format)"))
                    return None
                try:
                    if not chunk.isascii() or last:
                        decoder.decode(chunk, final=last)
                except UnicodeDecodeError as e:
                    at = e.start if e.start < len(chunk) else len(chunk) - 1
                    byte = chunk[at] if chunk else previous[-1]
                    issues.append(_issue(shown, lines + chunk.count(b"\n", 0, max(at, 0)), "bad-encoding",
                                         f"byte 0x{byte:02x} at offset {offset + at} is not UTF-8; save the file as UTF-8"))
                    return None
                if last:
                    break
                if not scan.cr:
                    cr = chunk.find(b"\r")
                    if cr >= 0:
                        scan.cr = True
                        issues.append(_issue(shown, lines + chunk.count(b"\n", 0, cr), "crlf",
                                             "the file has CR or CRLF line endings; save it with LF (\\n) line endings"))
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


def read_csv(fs_path: Path, shown: str, issues: list[Issue], max_bytes: int = MAX_FILE_BYTES,
             data: bytes | None = None, on_row=None) -> RawTable:
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
                issues.append(_issue(shown, 1, "duplicate-column", "this column appears twice in the header", name, name))
            seen.add(name)
        table.columns = header
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
                    issues.append(_issue(shown, 0, "too-many-problems",
                                         f"more than {MAX_RAGGED_ROWS:,} rows have the wrong number of cells; "
                                         "the file was not read further: is it a CSV file with this header?"))
                    table.readable = False
                    return table
                issues.append(_issue(shown, line, "ragged-row",
                                     f"the row has {len(cells)} cells; the header has {width}",
                                     "", ",".join(cells)[:80]))
                continue
            if on_row is not None:
                on_row(cells, line)
            else:
                table.rows.append({name: Cell(v, line) for name, v in zip(header, cells)})
    except csv.Error as e:
        msg = str(e)
        line = reader.line_num or 1
        if "field larger than field limit" in msg:
            issues.append(_issue(shown, line, "cell-too-large",
                                 f"a cell is longer than {MAX_CELL_CHARS:,} characters"))
        else:
            issues.append(_issue(shown, line, "csv-syntax", f"the CSV cannot be read: {msg}"))
        table.readable = False
    finally:
        csv.field_size_limit(old_limit)
    return table


def _events(yaml, text: str, loader):
    """The YAML event stream, stopped once it is deeper or longer than the limits allow."""
    depth = 0
    for count, ev in enumerate(yaml.parse(text, Loader=loader)):
        yield ev
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if depth > MAX_YAML_DEPTH or count > MAX_YAML_EVENTS:
            return


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
        bad = False
        depth = 0
        # libyaml when PyYAML has it (a hundred times faster on hostile input); a file it
        # refuses is parsed again by the pure-Python parser, for its exact messages
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            events = list(_events(yaml, text, loader))
        except yaml.YAMLError:
            if loader is yaml.SafeLoader:
                raise
            loader = yaml.SafeLoader
            events = list(_events(yaml, text, loader))
        for count, ev in enumerate(events):
            line = ev.start_mark.line + 1
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if depth > MAX_YAML_DEPTH:
                issues.append(_issue(shown, line, "yaml-limit", f"nested more than {MAX_YAML_DEPTH} levels deep; "
                                     "source.yaml is a flat mapping of keys to text"))
                bad = True
            elif count > MAX_YAML_EVENTS:
                issues.append(_issue(shown, line, "yaml-limit", f"more than {MAX_YAML_EVENTS:,} keys, values and "
                                     "list items; source.yaml is a short record"))
                bad = True
            elif isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                issues.append(_issue(shown, line, "yaml-alias", "anchors (&) and aliases (*) are not allowed in source.yaml"))
                bad = True
            elif getattr(ev, "tag", None) and not (isinstance(ev, yaml.ScalarEvent) and ev.implicit[0]) \
                    and not (isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)) and ev.implicit):
                issues.append(_issue(shown, line, "yaml-tag", f"tags such as {ev.tag} are not allowed in source.yaml", "", ev.tag))
                bad = True
            if bad:
                break
        if bad:
            table.readable = False
            return table
        root = yaml.compose(text, Loader=loader)
    except (RecursionError, MemoryError):
        issues.append(_issue(shown, 1, "yaml-limit", "too deeply nested or too large to read; "
                             "source.yaml is a flat mapping of keys to text"))
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
    if root is None:
        issues.append(_issue(shown, 1, "empty-file", "the file holds no YAML document"))
        table.readable = False
        return table
    if not isinstance(root, yaml.MappingNode):
        issues.append(_issue(shown, root.start_mark.line + 1, "yaml-structure", "source.yaml must be a mapping of keys to values"))
        table.readable = False
        return table
    row: dict[str, Cell] = {}
    for key_node, val_node in root.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            issues.append(_issue(shown, line, "yaml-structure", "keys must be plain text"))
            continue
        key = key_node.value
        if key in row:
            issues.append(_issue(shown, line, "yaml-duplicate-key", f"key {key!r} is given twice (first on line {row[key].line})", key, key))
            continue
        if isinstance(val_node, yaml.ScalarNode):
            value = "" if val_node.tag.endswith(":null") and val_node.value in ("", "~", "null", "Null", "NULL") else val_node.value
        elif isinstance(val_node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in val_node.value):
            value = "; ".join(n.value.strip() for n in val_node.value)
        else:
            issues.append(_issue(shown, line, "yaml-structure", "the value must be text (or, for authors, a list of text)", key))
            row[key] = Cell(None, line)  # present but unreadable: not reported again as missing
            continue
        row[key] = Cell(value.strip(), line)
    table.columns = list(row)
    table.rows = [row]
    return table
