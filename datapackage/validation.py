"""Validate contributed data under ``raw/`` against ``schemas/``.

Collects every problem as an :class:`~ketamine_ssri_evidence.issues.Issue`; never raises on bad data.
Only a usage error (a path that does not exist) raises :class:`UsageError`.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import _schema, _textsafety
from ._columns import UNIQUE_LIMIT
from ._rawio import MAX_FILE_BYTES, RawTable, read_yaml_record
from .durations import duration_days
from .figuretext import parse as parse_figure_text
from .issues import Issue, IssueList

SNAPSHOTS_ENV = "DATAPACKAGE_SNAPSHOTS"
POINT_QUALIFIERS = ("exact", "approx", "up_to", "at_least", "at_most")
RANGE_QUALIFIERS = ("range", "approx_range")
HINT_ALLOWS = {
    "range": {"range", "approx_range"},
    "approx_range": {"approx_range"},
    "approx": {"approx", "approx_range"},
    "up_to": {"up_to"},
    "at_least": {"at_least"},
    "at_most": {"at_most"},
}
MAX_DURATION_DAYS = 365_250  # 1,000 years: a longer duration is a typing slip (or an attack), never data
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_INTEGER = re.compile(r"-?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class UsageError(Exception):
    """The caller asked for something impossible (a missing path, say): exit status 2."""


@dataclass
class Result:
    issues: list[Issue] = field(default_factory=list)
    # typed rows per table, each with "_path" and "_line" for messages
    rows: dict[str, list[dict]] = field(default_factory=dict)
    # folders whose file of a table exists but could not be read, per table
    unreadable: dict[str, set[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.issues


# ---------------------------------------------------------------- cells

def _lookalikes(value: str) -> str:
    odd = [c for c in value if not c.isascii() or not c.isprintable()]
    if not odd:
        return ""
    names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in dict.fromkeys(odd))
    return f"; it contains {names}, which only looks like plain text"


class _CellChecker:
    """Type and constraint checks for the cells of one field, memoised by value."""

    def __init__(self, table: str, f: _schema.Field):
        self.table = table
        self.f = f
        self.codes = _schema.vocabulary(f.vocabulary) if f.vocabulary else None
        self.pattern = re.compile(f.pattern) if f.pattern else None
        self.free_text = f.type == "string" and not f.vocabulary and not f.pattern
        self.cache: dict[str, tuple[object, tuple[tuple[str, str], ...]]] = {}

    def check(self, value: str):
        hit = self.cache.get(value)
        if hit is None:
            hit = self.cache[value] = self._check(value)
        return hit

    def _check(self, v: str):
        f = self.f
        if v == "":
            return None, ((("required", "a value is required"),) if f.required else ())
        problems: list[tuple[str, str]] = []
        parsed: object = v
        hidden = _textsafety.invisible(v)
        if hidden:
            return None, (("invisible-character", _textsafety.invisible_reason(hidden)),)
        if f.type in ("number", "integer", "date", "duration"):
            odd = _textsafety.non_ascii_digits(v)
            if odd:
                names = ", ".join(_textsafety.char_name(c) for c in odd[:5])
                return None, (("non-ascii-digit", f"contains {names}; write numbers with the ASCII digits 0-9"),)
        if f.max_length is not None and len(v) > f.max_length:
            return None, (("max-length", f"{len(v):,} characters; at most {f.max_length:,} allowed"),)
        if f.type == "number":
            if not _NUMBER.fullmatch(v):
                return None, (("type", "not a plain decimal number (digits, an optional minus sign and decimal point; no %, commas, exponent, NaN or infinity)"),)
            parsed = float(v)
            if not math.isfinite(parsed):  # hundreds of digits
                return None, (("type", "too large to be a number (it overflows to infinity)"),)
        elif f.type == "integer":
            if not _INTEGER.fullmatch(v) or len(v) > 18:
                return None, (("type", "not a whole number"),)
            parsed = int(v)
        elif f.type == "date":
            try:
                if not _DATE.fullmatch(v):
                    raise ValueError
                parsed = _dt.date.fromisoformat(v)
            except ValueError:
                return None, (("type", "not an ISO 8601 date (YYYY-MM-DD)"),)
        elif f.type == "duration":
            days = duration_days(v)
            if days is None:
                return None, (("type", "not an ISO 8601 duration such as P6M, P2W, P1D or PT24H"),)
            if not math.isfinite(days) or days > MAX_DURATION_DAYS:
                return None, (("type", "a duration of more than 1,000 years is not a time-point of a study"),)
            parsed = v
        if f.type in ("number", "integer"):
            if f.minimum is not None and parsed < f.minimum:
                problems.append(("minimum", f"must be at least {f.minimum}"))
            if f.maximum is not None and parsed > f.maximum:
                problems.append(("maximum", f"must be at most {f.maximum}"))
        if f.type == "string":
            if self.table == "sources" and f.name == "snapshot" and (
                "/" in v or "\\" in v or ".." in v or ":" in v or v.startswith("~")
            ):
                return None, (("unsafe-path", "snapshot must be a bare file name in the snapshot folder, without folders, '..', drive letters or URLs"),)
            if f.format == "uri" and not re.match(r"https?://", v, re.IGNORECASE):
                scheme = v.split(":", 1)[0] if ":" in v else ""
                why = f"the {scheme!r} scheme is not allowed; " if scheme else ""
                return None, (("bad-url", f"{why}use an http:// or https:// address"),)
            if self.codes is not None and v not in self.codes:
                return None, (("unknown-code", f"not a code of the {f.vocabulary} vocabulary (schemas/vocab/{f.vocabulary}.csv){_lookalikes(v)}"),)
            if self.pattern is not None and not self.pattern.fullmatch(v):
                return None, (("pattern", f"does not match the pattern {f.pattern}{_lookalikes(v)}"),)
            if self.free_text and v[0] in "=+-@":
                return None, (("formula-injection", "text must not start with =, +, - or @ (spreadsheets run it as a formula); rephrase or start with another character"),)
        return parsed, tuple(problems)


# ---------------------------------------------------------------- files

def _shown(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _check_columns(table: _schema.Table, path: str, names: list[str], lines: dict[str, int],
                   issues: list[Issue]) -> None:
    """Unknown columns (or source.yaml keys), and, for CSV tables, missing ones."""
    known = {f.name for f in table.raw_fields}
    derived = {f.name for f in table.fields if f.derived}
    for name in dict.fromkeys(names):
        if name not in known:
            why = ("is computed by the build; remove it" if name in derived
                   else f"is not a field of the {table.name} schema (schemas/{table.name}.schema.json)")
            issues.append(Issue(path, lines.get(name, 1), name, name, "unknown-column", why + _lookalikes(name)))
    if table.raw_format == "csv":  # in source.yaml a missing key is an empty value
        for f in table.raw_fields:
            if f.name not in names:
                issues.append(Issue(path, 1, f.name, "", "missing-column", "the header lacks this column of the schema"))


def _yaml_row(table: _schema.Table, raw: RawTable, checkers: dict[str, _CellChecker], issues: list[Issue]) -> dict:
    """The one record of a source.yaml as typed values, with each key's line for messages."""
    cells = raw.rows[0]
    row: dict = {"_path": raw.path, "_line": 1, "_bad": set(), "_lines": {}}
    for f in table.raw_fields:
        cell = cells.get(f.name)
        value, line = (cell.value, cell.line) if cell is not None else ("", 1)
        row["_lines"][f.name] = line
        if value is None:  # unreadable (already reported by the reader)
            row[f.name] = None
            row["_bad"].add(f.name)
            continue
        parsed, problems = checkers[f.name].check(value)
        row[f.name] = parsed
        for code, why in problems:
            issues.append(Issue(raw.path, line, f.name, value, code, why))
            row["_bad"].add(f.name)
    return row


# ---------------------------------------------------------------- rules

def _line(row: dict, name: str) -> int:
    return row["_lines"].get(name, row["_line"])


def _fig_issue(issues, row, fld, code, why, value=None):
    v = row.get(fld) if value is None else value
    issues.append(Issue(row["_path"], _line(row, fld), fld, "" if v is None else _fmt(v), code, why))


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _figure_rules(row: dict, issues: list[Issue]) -> None:
    bad = row["_bad"]
    q, unit, measure = row.get("qualifier"), row.get("unit"), row.get("measure")
    nums = {k: row.get(k) for k in ("value", "low", "high")}
    have = {k for k, v in nums.items() if v is not None}
    measures = _schema.vocabulary("measure")
    units = _schema.vocabulary("unit")
    dim = measures[measure]["dimension"] if measure in measures else None

    if q == "qualitative":
        for k in sorted(have):
            _fig_issue(issues, row, k, "qualitative-numbers", "a qualitative figure has no numbers; empty value, low and high or change the qualifier")
    elif q in RANGE_QUALIFIERS:
        if not {"low", "high"} <= have or "value" in have:
            missing = [k for k in ("low", "high") if k not in have and k not in bad]
            for k in missing:
                _fig_issue(issues, row, k, "range-ends", f"a {q} figure needs both low and high")
            if "value" in have:
                _fig_issue(issues, row, "value", "range-ends", f"a {q} figure fills low and high, not value")
    elif q in POINT_QUALIFIERS:
        if "value" not in have and "value" not in bad:
            _fig_issue(issues, row, "value", "point-value", f"a {q} figure needs value")
        for k in ("low", "high"):
            if k in have:
                _fig_issue(issues, row, k, "point-value", f"a {q} figure fills value only, not {k}")
    if q and q != "qualitative" and unit is None and "unit" not in bad:
        _fig_issue(issues, row, "unit", "unit-missing", "a figure with numbers needs a unit")
    if unit in units and dim is not None and units[unit]["dimension"] != dim:
        _fig_issue(issues, row, "unit", "unit-dimension",
                   f"unit {unit} measures {units[unit]['dimension']}, but {measure} is a {dim}")
    if dim == "proportion":
        floor = -100 if measure == "rate_difference" else 0
        for k in ("value", "low", "high"):
            v = nums[k]
            if v is not None and not floor <= v <= 100:
                _fig_issue(issues, row, k, "proportion-range", f"a proportion must lie between {floor} and 100 %")
    lo, hi, val = nums["low"], nums["high"], nums["value"]
    if lo is not None and hi is not None and lo > hi:
        _fig_issue(issues, row, "low", "value-order", f"low {_fmt(lo)} is greater than high {_fmt(hi)}")
    if val is not None and ((lo is not None and lo > val) or (hi is not None and hi < val)):
        _fig_issue(issues, row, "value", "value-order", f"value {_fmt(val)} lies outside low–high")
    # value_text agrees with the numbers and the qualifier
    text = row.get("value_text")
    if text is not None and q is not None and not bad & {"value", "low", "high", "qualifier", "unit"}:
        _text_rules(row, text, q, unit, nums, issues)
    # time-points
    for start, end in (("timepoint", "timepoint_end"), ("timepoint_sessions", "timepoint_sessions_end")):
        a, b = row.get(start), row.get(end)
        if b is not None and a is None and start not in bad:
            _fig_issue(issues, row, end, "timepoint-end-alone", f"{end} needs {start}")
        elif a is not None and b is not None:
            da = duration_days(a) if start == "timepoint" else a
            db = duration_days(b) if start == "timepoint" else b
            if da is not None and db is not None and da > db:
                _fig_issue(issues, row, end, "timepoint-order", f"{end} {b} is before {start} {a}")
    has_tp = row.get("timepoint") is not None or row.get("timepoint_sessions") is not None
    if has_tp and row.get("timepoint_anchor") is None and "timepoint_anchor" not in bad:
        _fig_issue(issues, row, "timepoint_anchor", "anchor-missing", "a time-point needs timepoint_anchor (what it is counted from)")
    if not has_tp and row.get("timepoint_anchor") is not None and not bad & {"timepoint", "timepoint_sessions"}:
        _fig_issue(issues, row, "timepoint_anchor", "anchor-alone", "timepoint_anchor is set but no time-point is")
    if measure in measures:
        need = measures[measure].get("requires") or ""
        if need and row.get(need) is None and need not in bad:
            code = "event-missing" if need == "event" else "comparator-missing"
            _fig_issue(issues, row, need, code, f"{measure} needs {need}")


def _text_rules(row, text, q, unit, nums, issues) -> None:
    p = parse_figure_text(text)
    if q == "qualitative":
        if p.numbers:
            _fig_issue(issues, row, "value_text", "text-mismatch",
                       f"value_text holds the number(s) {', '.join(_fmt(n) for n in p.numbers)} but qualifier is qualitative")
        return
    if q in RANGE_QUALIFIERS:
        expected = [nums["low"], nums["high"]]
    else:
        expected = [nums["value"]]
    if None in expected:
        return  # the shape is wrong: reported by point-value / range-ends
    if not p.numbers:
        _fig_issue(issues, row, "value_text", "text-mismatch",
                   f"value_text holds no number, but the figure is {q} {', '.join(_fmt(e) for e in expected)}")
        return
    printed = []
    for n, frac in zip(p.numbers, p.fractions):
        printed.append((n * 100 if frac and unit == "%" else n, 0.5 if frac else 1e-9 * max(1.0, abs(n))))
    agree = len(printed) == len(expected) and all(abs(e - n) <= tol for e, (n, tol) in zip(expected, printed))
    if not agree and len(expected) == 2 and len(printed) > 2:
        # a list read as a range: "3, 4, or even 5" is low 3, high 5
        lo_p, hi_p = min(printed), max(printed)
        agree = abs(lo_p[0] - expected[0]) <= lo_p[1] and abs(hi_p[0] - expected[1]) <= hi_p[1]
    if not agree:
        shown = ", ".join(_fmt(round(n, 4)) for n, _ in printed)
        want = ", ".join(_fmt(e) for e in expected)
        _fig_issue(issues, row, "value_text", "text-mismatch",
                   f"value_text says {shown} but the numbers are {want}")
        return
    if p.hint and q not in HINT_ALLOWS.get(p.hint, {q}):
        _fig_issue(issues, row, "qualifier", "qualifier-mismatch",
                   f"value_text reads as {p.hint}, not {q}")


# ---------------------------------------------------------------- columns

RULE_FIELDS = ("qualifier", "value", "low", "high", "unit", "measure", "event", "comparator", "value_text",
               "timepoint", "timepoint_end", "timepoint_sessions", "timepoint_sessions_end", "timepoint_anchor")


@dataclass
class _CsvPart:
    """One folder's contributed CSV table, as columns, with per-field problem masks."""

    folder: str
    report: bool
    ct: object  # _columns.ColumnTable
    bad: dict  # field -> numpy bool array: the cell had a problem (or the column is missing)


def _prefilter(f: _schema.Field, checker: _CellChecker, arr, n: int):
    """Rows whose cell might fail ``checker`` (a superset, computed column-wise)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def np_(x):
        return x.to_numpy(zero_copy_only=False)

    empty = np_(pc.equal(arr, ""))
    m = empty.copy() if f.required else np.zeros(n, dtype=bool)
    m |= _textsafety.maybe_invisible(arr)
    filled = ~empty
    if f.max_length is not None:
        m |= np_(pc.greater(pc.utf8_length(arr), f.max_length))
    if f.type == "string" and not (f.format == "uri" or (checker.table == "sources" and f.name == "snapshot")):
        if checker.codes is not None:
            m |= filled & ~np_(pc.is_in(arr, value_set=pa.array(list(checker.codes), type=pa.string())))
        if f.pattern:
            m |= filled & ~np_(pc.match_substring_regex(arr, f"^(?:{f.pattern})$"))
        if checker.free_text:
            for c in "=+-@":
                m |= np_(pc.starts_with(arr, c))
    elif f.type in ("number", "integer"):
        rx = r"^-?[0-9]+(\.[0-9]+)?$" if f.type == "number" else r"^-?[0-9]{1,18}$"
        ok = np_(pc.match_substring_regex(arr, rx))
        m |= filled & ~ok
        m |= np_(pc.greater(pc.utf8_length(arr), 300))  # so many digits that a float overflows
        if f.minimum is not None or f.maximum is not None:
            vals = np_(pc.cast(pc.if_else(pa.array(ok), arr, "0"), pa.float64()))
            if f.minimum is not None:
                m |= ok & (vals < f.minimum)
            if f.maximum is not None:
                m |= ok & (vals > f.maximum)
    else:
        m |= filled  # dates, durations: check every filled cell
    return m


def _check_columns_of(t: _schema.Table, ct, checkers: dict[str, _CellChecker], issues: list[Issue]) -> dict:
    """Field checks, one column at a time; returns the problem mask of every field."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = ct.n
    bad = {}
    for f in t.raw_fields:
        if f.name not in ct.cols:
            bad[f.name] = np.ones(n, dtype=bool)
            continue
        arr, checker = ct.cols[f.name], checkers[f.name]
        # distinct values are checked once each; a column with very many of them (ids, notes)
        # is pre-filtered instead, without hashing all its values
        few = n <= UNIQUE_LIMIT or len(pc.unique(arr.slice(0, UNIQUE_LIMIT))) < UNIQUE_LIMIT // 4
        uniq = pc.unique(arr) if few else None
        if few and len(uniq) <= UNIQUE_LIMIT:
            wrong = [v for v in uniq.to_pylist() if checker.check(v)[1]]
            mask = (pc.is_in(arr, value_set=pa.array(wrong, type=pa.string())).to_numpy(zero_copy_only=False)
                    if wrong else np.zeros(n, dtype=bool))
        else:
            mask = np.zeros(n, dtype=bool)
            for i in np.nonzero(_prefilter(f, checker, arr, n))[0]:
                mask[i] = bool(checker.check(arr[int(i)].as_py())[1])
        for i in np.nonzero(mask)[0]:
            v = arr[int(i)].as_py()
            for code, why in checker.check(v)[1]:
                issues.append(Issue(ct.path, int(ct.lines[i]), f.name, v, code, why))
        bad[f.name] = mask
    return bad


def _row(part: _CsvPart, checkers: dict[str, _CellChecker], i: int, fields) -> dict:
    """One row as typed values (None for empty or faulty cells), with what messages need."""
    row = {"_path": part.ct.path, "_line": int(part.ct.lines[i]), "_lines": {}, "_folder": part.folder,
           "_report": part.report, "_bad": {f for f in fields if part.bad[f][i]}}
    for f in fields:
        if f in part.ct.cols and f not in row["_bad"]:
            row[f] = checkers[f].check(part.ct.cols[f][i].as_py())[0]
        else:
            row[f] = None
    return row


def _figure_rules_by_combination(part: _CsvPart, checkers: dict[str, _CellChecker], issues: list[Issue]) -> None:
    """The cross-field rules, run once per distinct combination of the cells they read."""
    import dataclasses

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    ct = part.ct
    if not ct.n:
        return
    present = [f for f in RULE_FIELDS if f in ct.cols]
    sig = np.zeros(ct.n, dtype=np.int64)
    for k, f in enumerate(RULE_FIELDS):
        sig |= part.bad[f].astype(np.int64) << k
    table = pa.table({**{f: ct.cols[f] for f in present}, "__sig": sig, "__idx": np.arange(ct.n)})
    reps = table.group_by(present + ["__sig"], use_threads=False).aggregate([("__idx", "min")])
    for rep in reps.column("__idx_min").to_numpy():
        rep = int(rep)
        local: list[Issue] = []
        _figure_rules(_row(part, checkers, rep, RULE_FIELDS), local)
        if not local:
            continue
        same = sig == sig[rep]
        for f in present:
            same &= pc.equal(ct.cols[f], ct.cols[f][rep].as_py()).to_numpy(zero_copy_only=False)
        for i in np.nonzero(same)[0]:
            issues.extend(dataclasses.replace(x, line=int(ct.lines[i])) for x in local)


# ---------------------------------------------------------------- driver

ALL = None  # a selection of every source folder


def _select(paths, raw_dir: Path, raw_given: bool) -> tuple[Path, set[str] | None]:
    """The raw/ folder and the names of the source folders that ``paths`` name (None: all).

    A path may be written in any form (relative, absolute, ``./``, a trailing slash, from
    inside raw/) and may name raw/ itself, a source folder or a file in one. Paths are
    compared by the folder that holds them, so a link is named, never followed.
    """
    names: set[str] = set()
    every = False
    inferred: Path | None = None
    for p in paths:
        text = os.fspath(p)
        try:
            ap = os.path.abspath(text)
            exists = os.path.lexists(ap)
            real = os.path.realpath(ap)
            parent, name = os.path.split(ap)
            grand, folder = os.path.split(parent)
            raw_real = os.path.realpath(raw_dir)
            real_parent, real_grand = os.path.realpath(parent), os.path.realpath(grand)
        except (OSError, ValueError) as e:
            raise UsageError(f"{_textsafety.safe_text(text)}: {getattr(e, 'strerror', None) or e}") from None
        if not exists:
            raise UsageError(f"{_textsafety.safe_text(text)} is not a source folder (no such directory or file)")
        if real == raw_real and not os.path.islink(ap):
            every = True
        elif real_parent == raw_real:
            names.add(name)
        elif real_grand == raw_real:
            names.add(folder)
        elif not raw_given:
            # a folder outside the project's raw/: its own parent is the raw/ to read
            is_dir = os.path.isdir(ap) and not os.path.islink(ap)
            holds = is_dir and any(os.path.lexists(os.path.join(ap, t.raw_file))
                                   for t in map(_schema.table, _schema.contributed_table_names()))
            here = Path(ap) if is_dir and not holds else Path(parent) if is_dir else Path(grand)
            if inferred is not None and os.path.realpath(here) != os.path.realpath(inferred):
                raise UsageError("the given paths are in different raw/ folders; validate one at a time or pass --raw")
            inferred = raw_dir = here
            if here == Path(ap):
                every = True
            else:
                names.add(name if here == Path(parent) else folder)
        else:
            raise UsageError(f"{_textsafety.safe_text(text)} is not inside {_textsafety.safe_text(str(raw_dir))} "
                             "(a source folder, or a file in one)")
    return raw_dir, (ALL if every else names)


def _raw_entries(raw_dir: Path, label: str, local: dict[str, list[Issue]], general: list[Issue]) -> list[str]:
    """Names of the source folders in ``raw_dir``; every other entry is reported under its name."""
    from . import _filesafety as fs

    found, count, error = fs.entries(raw_dir, fs.MAX_RAW_ENTRIES)
    if error:
        raise UsageError(f"cannot list {raw_dir}: {error}")
    if count > fs.MAX_RAW_ENTRIES:
        general.append(Issue(label, 0, "", "", "too-many-entries",
                             f"raw/ holds more than {fs.MAX_RAW_ENTRIES:,} entries; the limit is {fs.MAX_RAW_ENTRIES:,}; "
                             "nothing was read"))
        return []
    folders = []
    sid = _schema.table("sources").field("source_id")  # a source folder is named after its source_id
    tables = [_schema.table(n) for n in _schema.contributed_table_names()]
    expected = tuple(t.raw_file for t in tables) + _extra_files()[0]
    own = _extra_files()[1]  # files of raw/ itself
    for e in found:
        shown = f"{label}/{fs.shown_name(e.name)}"
        out = local.setdefault(e.name, [])
        if e.name in own and e.kind == "file":
            continue
        if e.name in own and e.kind == "dir":
            out.append(Issue(shown, 0, "", "", "not-a-file", f"{e.name} is a folder; it must be a file"))
        elif e.kind == "dir":
            why = fs.folder_name_problem(e.name, sid.pattern or ".+", sid.max_length)
            if why is None:
                folders.append(e.name)
            else:
                out.append(Issue(shown, 0, "", "", "bad-folder-name", why))
        elif e.kind == "symlink":
            out.append(Issue(shown, 0, "", "", "symlink",
                             "a symbolic link in raw/ is never followed; put the source folder itself here"))
        elif e.kind == "hardlink":
            out.append(Issue(shown, 0, "", "", "hard-link", "a file directly in raw/ is not read, and this one "
                             "has other names (a hard link); raw/ holds only source folders"))
        elif e.kind == "file":
            hint = fs.near_miss(e.name, expected)
            where = (f"; {hint} belongs in the source folder raw/<source_id>/" if hint
                     else "; raw/ holds only source folders")
            out.append(Issue(shown, 0, "", "", "unexpected-file", f"a file directly in raw/ is not read{where}"))
        else:
            out.append(Issue(shown, 0, "", "", "special-file",
                             f"{fs.KIND_WORDS.get(e.kind, 'not a regular file')} is never read; raw/ holds only source folders"))
    return folders


def _extra_files() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Contributed files the build reads besides the tables of schemas/: in a source folder
    (derived figures) and in raw/ itself (reviewed verdicts)."""
    from .derive import DERIVED_FILE
    from .reviews import REVIEWS_FILE

    return (DERIVED_FILE,), (REVIEWS_FILE,)


def _folder_files(d: Path, shown_dir: str, tables, out: list[Issue]) -> dict[str, str]:
    """The kind of each table's file in source folder ``d`` (``file`` can be read); reports
    links, special files, folders where a file belongs, near-miss names and stray entries."""
    from . import _filesafety as fs

    expected = tuple(t.raw_file for t in tables) + _extra_files()[0]
    found, count, error = fs.entries(d, fs.MAX_FOLDER_ENTRIES)
    kinds = {name: "missing" for name in expected}
    if error:
        out.append(Issue(shown_dir, 0, "", "", "missing-file", f"cannot list the folder: {error}"))
        return kinds
    if count > fs.MAX_FOLDER_ENTRIES:
        out.append(Issue(shown_dir, 0, "", "", "too-many-entries",
                         f"the folder holds more than {fs.MAX_FOLDER_ENTRIES} entries; the limit is {fs.MAX_FOLDER_ENTRIES}; "
                         "it was not read"))
        return {name: "unlisted" for name in expected}
    for e in found:
        shown = f"{shown_dir}/{fs.shown_name(e.name)}"
        if e.name in kinds:
            kinds[e.name] = e.kind
            if e.kind == "symlink":
                out.append(Issue(shown, 0, "", "", "symlink", f"{e.name} is a symbolic link; links are never "
                                 "followed or read: commit the file itself"))
            elif e.kind == "hardlink":
                out.append(Issue(shown, 0, "", "", "hard-link", f"{e.name} has other names (a hard link), so it "
                                 "may be another file on this machine; it is never read: put a copy here"))
            elif e.kind == "dir":
                out.append(Issue(shown, 0, "", "", "not-a-file", f"{e.name} is a folder; it must be a file"))
            elif e.kind != "file":
                out.append(Issue(shown, 0, "", "", "special-file",
                                 f"{e.name} is {fs.KIND_WORDS.get(e.kind, 'not a regular file')}; it must be a regular file"))
            continue
        if e.kind == "symlink":
            out.append(Issue(shown, 0, "", "", "symlink", "a symbolic link in a source folder is never followed or read"))
            continue
        if e.kind == "hardlink":
            out.append(Issue(shown, 0, "", "", "hard-link", "a file with other names (a hard link) is never read"))
            continue
        if e.kind not in ("file", "dir"):
            out.append(Issue(shown, 0, "", "", "special-file",
                             f"{fs.KIND_WORDS.get(e.kind, 'not a regular file')} is never read"))
            continue
        hint = fs.near_miss(e.name, expected)
        if hint:
            also = f" ({hint} is there too: merge them)" if (d / hint).exists() or os.path.lexists(d / hint) else ""
            out.append(Issue(shown, 0, "", "", "misnamed-file",
                             f"only {hint} is read (exact name, lower case); rename this {'folder' if e.kind == 'dir' else 'file'} to {hint}{also}"))
        else:
            out.append(Issue(shown, 0, "", "", "unexpected-file",
                             f"{fs.KIND_WORDS[e.kind]} that no table reads; a source folder holds only "
                             f"{', '.join(expected[:-1])} and {expected[-1]}"))
    return kinds


def validate(paths: list[str | os.PathLike] | None = None, *, raw_dir: str | os.PathLike | None = None,
             snapshots: str | os.PathLike | None = None, max_bytes: int = MAX_FILE_BYTES,
             keep_rows: bool = True, folders: set[str] | None = None, cross_sources_everywhere: bool = False,
             build_dir: str | os.PathLike | None = None) -> Result:
    """Validate the source folders in ``paths`` (default: every folder of ``raw_dir``).

    ``raw_dir`` defaults to the project's ``raw/`` (or, for a folder outside it, the folder's
    parent); messages show paths relative to its parent. ``paths`` may name source folders
    or files in them, in any form; every folder is read, so the rules that span sources see
    all of them, and problems are reported for the named ones. ``folders`` names the folders
    to report instead (folders that no longer exist included); with
    ``cross_sources_everywhere`` the rules that span sources report in every folder.
    ``snapshots`` (default: the ``DATAPACKAGE_SNAPSHOTS`` environment variable) turns on the
    provenance check. ``keep_rows=False`` skips building the typed rows (``Result.rows``) of
    the CSV tables, which only the build needs. Every published file under ``build_dir``
    (default: ``build/`` beside ``raw_dir``) is checked against its ``versions.json``.
    """
    raw_given = raw_dir is not None
    raw_dir = Path(raw_dir) if raw_given else _schema.ROOT / "raw"
    if snapshots is None and os.environ.get(SNAPSHOTS_ENV):
        snapshots = os.environ[SNAPSHOTS_ENV]
    if snapshots is not None and not os.path.isdir(snapshots):
        raise UsageError(f"snapshot directory {snapshots} does not exist")
    chosen: set[str] | None = folders
    if paths:
        raw_dir, named = _select(paths, raw_dir, raw_given)
        chosen = named if chosen is None or named is None else chosen | named
    if not os.path.isdir(raw_dir):
        raise UsageError(f"{_textsafety.safe_text(str(raw_dir))} does not exist")
    base = raw_dir.parent
    label = _textsafety.safe_text(raw_dir.name or str(raw_dir))

    from ._columns import read_csv_columns

    result = Result()
    tables = [_schema.table(n) for n in _schema.contributed_table_names()]
    checkers = {t.name: {f.name: _CellChecker(t.name, f) for f in t.raw_fields} for t in tables}
    parts: dict[str, list[_CsvPart]] = {t.name: [] for t in tables if t.raw_format == "csv"}
    reported = IssueList()
    by_entry: dict[str, list[Issue]] = {}
    for t in tables:
        result.rows[t.name] = []
    names = _raw_entries(raw_dir, label, by_entry, reported)
    for entry, found in by_entry.items():
        if chosen is None or entry in chosen:
            reported.extend(found)
    for name in names:
        d = raw_dir / name
        local = IssueList()
        report = chosen is None or name in chosen
        shown_dir = f"{label}/{name}"
        kinds = _folder_files(d, shown_dir, tables, local)
        for t in tables:
            fs_path = d / t.raw_file
            shown = f"{shown_dir}/{t.raw_file}"
            if kinds[t.raw_file] != "file":
                if kinds[t.raw_file] != "missing" or "unlisted" in kinds.values():
                    result.unreadable.setdefault(t.name, set()).add(name)
                elif t.raw_format == "yaml":  # the record is required; tables of rows are optional
                    local.append(Issue(shown, 0, "", "", "missing-file", f"every source folder needs {t.raw_file}"))
                    result.unreadable.setdefault(t.name, set()).add(name)
                continue
            if t.raw_format == "yaml":
                raw = read_yaml_record(fs_path, shown, local)
                if not raw.readable:  # reported once; the folder still counts as a source
                    result.unreadable.setdefault(t.name, set()).add(name)
                    continue
                _check_columns(t, shown, raw.columns, {k: c.line for k, c in raw.rows[0].items()}, local)
                row = _yaml_row(t, raw, checkers[t.name], local)
                row["_folder"], row["_report"] = name, report
                result.rows[t.name].append(row)
                continue
            ct = read_csv_columns(fs_path, shown, local, max_bytes, {f.name for f in t.raw_fields if f.vocabulary})
            if ct is None:
                result.unreadable.setdefault(t.name, set()).add(name)
                continue
            _check_columns(t, shown, ct.header, {}, local)
            if not ct.n and not any(i.path == shown for i in local):
                local.append(Issue(shown, 2, "", "", "no-rows", "the file has a header but no rows"))
            part = _CsvPart(name, report, ct, _check_columns_of(t, ct, checkers[t.name], local))
            parts[t.name].append(part)
            if report and t.name == "figures":
                _figure_rules_by_combination(part, checkers[t.name], local)
        if report:
            reported.merge(local)
    _cross_table_rules(result, parts, reported, everywhere=cross_sources_everywhere)
    if snapshots is not None:
        _provenance(result, parts, Path(snapshots), reported)
    from ._published import verify_published

    build = Path(build_dir) if build_dir is not None else base / "build"
    reported.extend(verify_published(build, _textsafety.safe_text(build.name or str(build))))
    if keep_rows:
        for tname, ps in parts.items():
            fields = [f.name for f in _schema.table(tname).raw_fields]
            for part in ps:
                result.rows[tname].extend(_row(part, checkers[tname], i, fields) for i in range(part.ct.n))
    result.issues = sorted(set(reported.finish()))
    return result


def _cross_table_rules(result: Result, parts: dict[str, list[_CsvPart]], issues: list[Issue],
                       everywhere: bool = False) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def report(row, fld, code, why):
        if row["_report"] or everywhere:
            _fig_issue(issues, row, fld, code, why)

    sources = result.rows.get("sources", [])
    ids: dict[str, dict] = {}
    for s in sources:
        sid = s.get("source_id")
        if sid is None:
            continue
        if sid != s["_folder"]:
            report(s, "source_id", "folder-mismatch", f"the folder is named {s['_folder']!r}; a source folder is named after its source_id")
        if sid in ids:
            report(s, "source_id", "duplicate-id", f"source_id is already used in {ids[sid]['_path']}")
        else:
            ids[sid] = s
        if s.get("snapshot") is not None and s.get("snapshot_sha256") is None and "snapshot_sha256" not in s["_bad"]:
            report(s, "snapshot_sha256", "snapshot-hash-missing", "snapshot is set, so snapshot_sha256 is required")

    def add(part, i, fld, code, why):
        if part.report or everywhere:
            issues.append(Issue(part.ct.path, int(part.ct.lines[i]), fld, part.ct.cols[fld][int(i)].as_py(), code, why))

    def usable(part, fld):
        """Rows whose cell in ``fld`` is filled and passed its own checks."""
        return ~part.bad[fld] & ~pc.equal(part.ct.cols[fld], "").to_numpy(zero_copy_only=False)

    for name, ps in parts.items():
        table = _schema.table(name)
        for f in table.raw_fields:
            if not f.unique:
                continue
            cols = [p.ct.cols[f.name] for p in ps if f.name in p.ct.cols]
            if not cols:
                continue
            # duplicates by sorting (no hash table of every id): equal neighbours are repeats
            everything = pa.chunked_array([c for col in cols for c in getattr(col, "chunks", [col])],
                                          type=pa.string())
            ordered = everything.take(pc.sort_indices(everything))
            if len(ordered) < 2:
                continue
            repeat = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))
            dups = pc.unique(pc.filter(ordered.slice(1), repeat))
            dups = pc.filter(dups, pc.not_equal(dups, ""))
            del everything, ordered, repeat
            if not len(dups):
                continue
            first: dict[str, tuple] = {}
            for p in ps:
                if f.name not in p.ct.cols:
                    continue
                hit = pc.is_in(p.ct.cols[f.name], value_set=dups).to_numpy(zero_copy_only=False) & usable(p, f.name)
                for i in np.nonzero(hit)[0]:
                    v = p.ct.cols[f.name][int(i)].as_py()
                    if v in first:
                        fp, fl = first[v]
                        add(p, i, f.name, "duplicate-id", f"{f.name} is already used at {fp}:{fl}")
                    else:
                        first[v] = (p.ct.path, int(p.ct.lines[i]))
        for fld, ref_table, ref_field in table.foreign_keys:
            targets = {r.get(ref_field) for r in result.rows.get(ref_table, [])}
            # a source whose folder and source_id differ is reported once (folder-mismatch),
            # not again at every figure that names its folder
            targets |= {r["_folder"] for r in result.rows.get(ref_table, []) if r.get(ref_field) is not None}
            targets |= result.unreadable.get(ref_table, set())
            known = pa.array(sorted(t for t in targets if t is not None), type=pa.string())
            for p in ps:
                if fld not in p.ct.cols:
                    continue
                miss = usable(p, fld) & ~pc.is_in(p.ct.cols[fld], value_set=known).to_numpy(zero_copy_only=False)
                for i in np.nonzero(miss)[0]:
                    add(p, i, fld, "unknown-reference", f"no source has source_id {p.ct.cols[fld][int(i)].as_py()!r}")
        if name != "figures":
            continue
        for p in ps:
            if "source_id" in p.ct.cols:
                off = usable(p, "source_id") & pc.not_equal(p.ct.cols["source_id"], p.folder).to_numpy(zero_copy_only=False)
                for i in np.nonzero(off)[0]:
                    add(p, i, "source_id", "source-mismatch", f"the figure is in folder {p.folder!r}")
            if "figure_id" in p.ct.cols:
                off = usable(p, "figure_id") & ~pc.starts_with(p.ct.cols["figure_id"], f"{p.folder}/").to_numpy(zero_copy_only=False)
                for i in np.nonzero(off)[0]:
                    add(p, i, "figure_id", "id-prefix", f"figure_id must start with '{p.folder}/'")
            if "attributed_to" in p.ct.cols:
                own = pc.equal(p.ct.cols["attributed_to"], p.folder).to_numpy(zero_copy_only=False)
                if "source_id" in p.ct.cols:
                    own |= pc.equal(p.ct.cols["attributed_to"], p.ct.cols["source_id"]).to_numpy(zero_copy_only=False)
                for i in np.nonzero(usable(p, "attributed_to") & own)[0]:
                    add(p, i, "attributed_to", "self-attribution",
                        "a figure is attributed to another source (the study it credits), not to its own; empty attributed_to")
        # a figure of a file that could not be read may exist: not reported as unknown
        _restates_rules(ps, add, usable, result.unreadable.get("figures", set()))


# "Restates <figure_id>" in a note names the figure it restates (CONTRIBUTING.md)
_RESTATES = re.compile(r"\bRestates\s+([^\s'\"()\[\],;]+/[^\s'\"()\[\],;]*)", re.IGNORECASE)


def _restates_rules(ps: list[_CsvPart], add, usable, unread: set[str] = frozenset()) -> None:
    """A note's ``Restates <figure_id>`` names another figure that exists."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    found = []  # (part, row, target)
    for p in ps:
        if "note" not in p.ct.cols:
            continue
        hit = ~p.bad["note"] & pc.match_substring(p.ct.cols["note"], "restates", ignore_case=True).to_numpy(zero_copy_only=False)
        for i in np.nonzero(hit)[0]:
            for m in _RESTATES.finditer(p.ct.cols["note"][int(i)].as_py()):
                found.append((p, int(i), m.group(1).rstrip(".:")))
    if not found:
        return
    targets = pa.array([t for _, _, t in found], type=pa.string())
    known = np.zeros(len(found), dtype=bool)
    for p in ps:
        if "figure_id" in p.ct.cols:
            ids = pc.filter(p.ct.cols["figure_id"], pa.array(usable(p, "figure_id")))
            known |= pc.is_in(targets, value_set=ids).to_numpy(zero_copy_only=False)
    for (p, i, target), ok in zip(found, known):
        own = p.ct.cols["figure_id"][i].as_py() if "figure_id" in p.ct.cols else None
        if target == own:
            add(p, i, "note", "restates-self", f"the note says this figure restates itself ({target}); "
                "name the earlier figure it restates")
        elif not ok and target.split("/", 1)[0] not in unread:
            add(p, i, "note", "restates-unknown", f"the note restates {target}, but no figure has that figure_id")


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _provenance(result: Result, parts: dict[str, list[_CsvPart]], snapshots: Path, issues: list[Issue]) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    texts: dict[str, str | None] = {}
    for s in result.rows.get("sources", []):
        name, sid = s.get("snapshot"), s.get("source_id")
        if name is None or sid is None:
            continue
        path = snapshots / name
        if not path.is_file():
            if s["_report"]:
                _fig_issue(issues, s, "snapshot", "snapshot-not-found", f"no file {name} in {snapshots}")
            texts[sid] = None
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if s.get("snapshot_sha256") is not None and digest != s["snapshot_sha256"] and s["_report"]:
            _fig_issue(issues, s, "snapshot_sha256", "snapshot-hash", f"the file {name} has SHA-256 {digest}")
        texts[sid] = _normalise(data.decode("utf-8", errors="replace"))
    for p in parts.get("figures", []):
        text = texts.get(p.folder)
        if not text or not p.report or "value_text" not in p.ct.cols:
            continue
        col = p.ct.cols["value_text"]
        absent = [v for v in pc.unique(col).to_pylist() if v and _normalise(v) not in text]
        if not absent:
            continue
        hit = pc.is_in(col, value_set=pa.array(absent, type=pa.string())).to_numpy(zero_copy_only=False) & ~p.bad["value_text"]
        for i in np.nonzero(hit)[0]:
            issues.append(Issue(p.ct.path, int(p.ct.lines[i]), "value_text", col[int(i)].as_py(), "text-not-in-snapshot",
                                "value_text does not occur in the source's snapshot"))
