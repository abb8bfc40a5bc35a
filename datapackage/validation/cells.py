"""A cell against its Table Schema field: type, constraints, vocabulary, pattern, safety.

Job: say what is wrong with one cell's text (``CellChecker.check``) and, for a whole column of
them, which rows are wrong (``check_column``) and what their typed values are
(``typed_column``), without a Python step per cell where pyarrow can do the work.

The type of a cell is parsed by ``field_types.field_type(f.type).parse`` (the one type map);
the constraints (required, maxLength, minimum, maximum, pattern, uri format), vocabularies,
formula injection, invisible characters and non-ASCII digits are checked here. A field may
register a refinement of the reason its pattern fails (:func:`pattern_reason`), such as the
snapshot file name, whose rule is the schema's pattern and whose path-like values get the
``unsafe-path`` reason.

Reads: ``schemas/`` through ``schemas``. May import: ``schemas``, ``text_safety``,
``field_types``, ``issues``; numpy and pyarrow inside functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .. import schemas, text_safety
from ..field_types import CellTypeError, field_type
from ..text_safety import lookalikes

Problems = tuple[tuple[str, str], ...]
UNIQUE_LIMIT = 20_000  # above this many distinct values, pre-filter a column before checking each cell
_FORMULA = "=+-@"

# (table, field) -> the reason for a value that fails the field's pattern, or None for the usual one
_PATTERN_REASONS: dict[tuple[str, str], Callable[[str], tuple[str, str] | None]] = {}


def pattern_reason(table: str, fld: str):
    """Register a more precise reason for the values of ``table.fld`` that fail its pattern."""

    def register(fn: Callable[[str], tuple[str, str] | None]):
        _PATTERN_REASONS[(table, fld)] = fn
        return fn

    return register


@pattern_reason("sources", "snapshot")
def _snapshot_path(v: str) -> tuple[str, str] | None:
    # The rule is the schema's pattern (a bare file name); a value it refuses that is written
    # like a path or an address is told why it is unsafe.
    if "/" in v or "\\" in v or ":" in v or v.startswith(("~", ".")):
        return (
            "unsafe-path",
            "snapshot must be a bare file name in the snapshot folder, without folders, '..', drive letters or URLs",
        )
    return None


class CellChecker:
    """Type and constraint checks for the cells of one field.

    Results are memoised by value only for fields with few distinct values (codes, numbers,
    dates): an id or a note is checked each time it is asked for, which is cheap.
    """

    def __init__(self, table: str, f: schemas.Field):
        self.table = table
        self.f = f
        self.type = field_type(f.type)
        self.codes = schemas.vocabulary(f.vocabulary) if f.vocabulary else None
        self.pattern = re.compile(f.pattern) if f.pattern else None
        self.pattern_reason = _PATTERN_REASONS.get((table, f.name))
        self.free_text = self.type.text and not f.vocabulary and not f.pattern
        self.cache: dict[str, tuple[Any, Problems]] | None = None if (f.unique or self.free_text) else {}

    def check(self, value: str) -> tuple[Any, Problems]:
        """``(typed value or None, problems)`` of one cell's text ("" is empty)."""
        if self.cache is None:
            return self._check(value)
        hit = self.cache.get(value)
        if hit is None:
            hit = self.cache[value] = self._check(value)
        return hit

    def _check(self, v: str) -> tuple[Any, Problems]:
        f = self.f
        if v == "":
            return None, ((("required", "a value is required"),) if f.required else ())
        hidden = text_safety.invisible(v)
        if hidden:
            return None, (("invisible-character", text_safety.invisible_reason(hidden)),)
        if self.type.digits:
            odd = text_safety.non_ascii_digits(v)
            if odd:
                names = ", ".join(text_safety.char_name(c) for c in odd[:5])
                return None, (("non-ascii-digit", f"contains {names}; write numbers with the ASCII digits 0-9"),)
        if f.max_length is not None and len(v) > f.max_length:
            return None, (("max-length", f"{len(v):,} characters; at most {f.max_length:,} allowed"),)
        try:
            parsed = self.type.parse(v)
        except CellTypeError as e:
            return None, (("type", str(e)),)
        problems: list[tuple[str, str]] = []
        if self.type.numeric:
            if f.minimum is not None and parsed < f.minimum:
                problems.append(("minimum", f"must be at least {f.minimum}"))
            if f.maximum is not None and parsed > f.maximum:
                problems.append(("maximum", f"must be at most {f.maximum}"))
        if self.type.text:
            if f.format == "uri" and not re.match(r"https?://", v, re.IGNORECASE):
                scheme = v.split(":", 1)[0] if ":" in v else ""
                why = f"the {scheme!r} scheme is not allowed; " if scheme else ""
                return None, (("bad-url", f"{why}use an http:// or https:// address"),)
            if self.codes is not None and v not in self.codes:
                return None, (
                    (
                        "unknown-code",
                        f"not a code of the {f.vocabulary} vocabulary "
                        f"(schemas/vocab/{f.vocabulary}.csv){lookalikes(v)}",
                    ),
                )
            if self.pattern is not None and not self.pattern.fullmatch(v):
                special = self.pattern_reason(v) if self.pattern_reason else None
                if special is not None:
                    return None, (special,)
                return None, (("pattern", f"does not match the pattern {f.pattern}{lookalikes(v)}"),)
            if self.free_text and v[0] in _FORMULA:
                return None, (
                    (
                        "formula-injection",
                        "text must not start with =, +, - or @ (spreadsheets run it "
                        "as a formula); rephrase or start with another character",
                    ),
                )
        return parsed, tuple(problems)

    # ---------------------------------------------------------------- columns

    def suspects(self, arr):
        """A numpy mask of the rows whose cell might fail :meth:`check` (a superset, column-wise)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        f = self.f
        n = len(arr)

        def np_(x):
            return x.to_numpy(zero_copy_only=False)

        empty = np_(pc.equal(arr, ""))
        m = empty.copy() if f.required else np.zeros(n, dtype=bool)
        m |= text_safety.maybe_invisible(arr)
        filled = ~empty
        if f.max_length is not None:
            m |= np_(pc.greater(pc.utf8_length(arr), f.max_length))
        if self.type.text and f.format != "uri":
            if self.codes is not None:
                m |= filled & ~np_(pc.is_in(arr, value_set=pa.array(list(self.codes), type=pa.string())))
            if f.pattern:
                m |= filled & ~np_(pc.match_substring_regex(arr, f"^(?:{f.pattern})$"))
            if self.free_text:
                for c in _FORMULA:
                    m |= np_(pc.starts_with(arr, c))
        elif self.type.grammar is not None:
            ok = np_(pc.match_substring_regex(arr, f"^(?:{self.type.grammar})$"))
            m |= filled & ~ok
            m |= np_(pc.greater(pc.utf8_length(arr), 300))  # so many digits that a float overflows
            if f.minimum is not None or f.maximum is not None:
                vals = np_(pc.cast(pc.if_else(pa.array(ok), arr, "0"), pa.float64()))
                if f.minimum is not None:
                    m |= ok & (vals < f.minimum)
                if f.maximum is not None:
                    m |= ok & (vals > f.maximum)
        else:
            m |= filled  # dates, durations, uris: check every filled cell
        return m

    def check_column(self, arr):
        """``(mask of faulty rows, [(row, value, problems)])`` for a string column without nulls."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(arr)
        # distinct values are checked once each; a column with very many of them (ids, notes)
        # is pre-filtered instead, without hashing all its values
        few = n <= UNIQUE_LIMIT or len(pc.unique(arr.slice(0, UNIQUE_LIMIT))) < UNIQUE_LIMIT // 4
        uniq = pc.unique(arr) if few else None
        found: list[tuple[int, str, Problems]] = []
        if uniq is not None and len(uniq) <= UNIQUE_LIMIT:
            wrong = {}
            for v in uniq.to_pylist():
                problems = self._check(v)[1]
                if problems:
                    wrong[v] = problems
            if not wrong:
                return np.zeros(n, dtype=bool), found
            mask = pc.is_in(arr, value_set=pa.array(list(wrong), type=pa.string())).to_numpy(zero_copy_only=False)
            rows = np.nonzero(mask)[0]
            values = arr.take(pa.array(rows, type=pa.int64())).to_pylist()
            found = [(int(i), v, wrong[v]) for i, v in zip(rows, values)]
            return mask, found
        mask = np.zeros(n, dtype=bool)
        rows = np.nonzero(self.suspects(arr))[0]
        values = arr.take(pa.array(rows, type=pa.int64())).to_pylist()
        for i, v in zip(rows, values):
            problems = self._check(v)[1]
            if problems:
                mask[i] = True
                found.append((int(i), v, problems))
        return mask, found

    def typed_column(self, arr, usable):
        """The column as its Arrow type (``field_types``), null where ``usable`` is False."""
        import pyarrow as pa
        import pyarrow.compute as pc

        target = self.type.arrow_type()
        keep = pa.array(usable, type=pa.bool_())
        if self.type.arrow_casts:
            clean = pc.if_else(keep, arr, pa.scalar(None, pa.string()))
            return pc.cast(clean, target)
        if target == pa.string():
            return pc.if_else(keep, arr, pa.scalar(None, pa.string()))
        # any other type: each distinct usable value parsed once
        clean = pc.if_else(keep, arr, pa.scalar(None, pa.string()))
        uniq = pc.unique(clean).drop_null()
        parsed = pa.array([self.type.parse(v) for v in uniq.to_pylist()], type=target)
        return parsed.take(pc.index_in(clean, value_set=uniq))
