"""One contributed table of every source folder read, as columns, and where its issues go.

Job: :class:`TableData` holds a table's text columns over every file read (null where a file
lacks the column or a cell could not be read), each row's file and line, and after the cell
checks each field's faulty rows; it turns rows into typed Arrow columns (``field_types``) and
into :class:`~.rows.Row` objects. :class:`Sink` collects issues for the folders being
reported.

Reads: nothing. May import: ``schemas``, ``issues``, ``.cells``, ``.rows``; numpy and pyarrow
inside functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import schemas
from ..issues import Issue, IssueList
from .cells import CellChecker
from .rows import Row


class Sink:
    """Issues of the folders reported (every folder unless ``chosen`` names some); with
    ``everywhere`` the rules that span sources report in every folder."""

    def __init__(self, chosen: set[str] | None, everywhere: bool = False):
        self.chosen = chosen
        self.everywhere = everywhere
        self.issues = IssueList()

    def reports(self, folder: str, cross: bool = False) -> bool:
        return self.chosen is None or folder in self.chosen or (cross and self.everywhere)

    def add(self, folder: str, issue: Issue, cross: bool = False) -> None:
        if self.reports(folder, cross):
            self.issues.append(issue)

    def extend(self, folder: str, issues: list[Issue]) -> None:
        if self.reports(folder):
            if isinstance(issues, IssueList):
                self.issues.merge(issues)
            else:
                self.issues.extend(issues)


@dataclass
class FileAt:
    folder: str
    path: str


@dataclass
class TableData:
    """A contributed table over every file read."""

    table: schemas.Table
    files: list[FileAt]
    cols: dict[str, Any]  # field -> pyarrow string column (chunked), null: no such cell
    file: Any  # numpy int32: each row's index into ``files``
    lines: Any  # numpy int64: each row's line
    field_lines: dict[str, Any] = field(default_factory=dict)  # field -> numpy int64 (record files: a key's line)
    bad: dict[str, Any] = field(default_factory=dict)  # field -> numpy bool: faulty, missing or unreadable
    checkers: dict[str, CellChecker] = field(default_factory=dict)
    restates: list[tuple[int, str]] | None = None  # (row, figure_id) restated in a note (index.restates_targets)

    @property
    def n(self) -> int:
        return len(self.lines)

    def folder_column(self):
        import pyarrow as pa

        names = pa.array([f.folder for f in self.files], type=pa.string())
        return names.take(pa.array(self.file, type=pa.int32())) if self.n else pa.array([], type=pa.string())

    def path_column(self):
        import pyarrow as pa

        names = pa.array([f.path for f in self.files], type=pa.string())
        return names.take(pa.array(self.file, type=pa.int32())) if self.n else pa.array([], type=pa.string())

    def line_of(self, fld: str, i: int) -> int:
        lines = self.field_lines.get(fld)
        return int(lines[i] if lines is not None else self.lines[i])

    def where(self, i: int) -> FileAt:
        return self.files[int(self.file[i])]

    def issue(self, i: int, fld: str, value: Any, code: str, why: str) -> tuple[str, Issue]:
        at = self.where(i)
        return at.folder, Issue(at.path, self.line_of(fld, i), fld, "" if value is None else value, code, why)

    def usable(self, fld: str):
        """A numpy mask of the rows whose cell in ``fld`` is filled and passed its own checks."""
        import pyarrow.compute as pc

        return ~self.bad[fld] & pc.not_equal(pc.fill_null(self.cols[fld], ""), "").to_numpy(zero_copy_only=False)

    def text(self, fld: str, rows) -> list[Any]:
        """The cells of ``fld`` at ``rows`` as Python text (one conversion for the column)."""
        import pyarrow as pa

        return self.cols[fld].take(pa.array(rows, type=pa.int64())).to_pylist()

    def typed(self, fld: str):
        """``fld`` as its Arrow type, null where a cell is empty or faulty."""
        return self.checkers[fld].typed_column(self.cols[fld], self.usable(fld))

    def arrow(self):
        """The table as Arrow: every raw field in schema order, typed, then _folder, _path, _line."""
        import pyarrow as pa

        names = [f.name for f in self.table.raw_fields]
        arrays = [self.typed(n) for n in names]
        arrays += [self.folder_column(), self.path_column(), pa.array(self.lines, type=pa.int64())]
        return pa.table(arrays, names=names + ["_folder", "_path", "_line"])

    def rows_at(self, rows, fields: tuple[str, ...]) -> list[Row]:
        """The rows at ``rows`` as :class:`Row` objects with the typed values of ``fields``."""
        texts = {f: self.text(f, rows) for f in fields}
        out = []
        for k, i in enumerate(rows):
            bad = frozenset(f for f in fields if self.bad[f][i])
            values = {f: (None if f in bad else self.checkers[f].check(texts[f][k])[0]) for f in fields}
            at = self.where(i)
            lines = {f: int(v[i]) for f, v in self.field_lines.items()}
            out.append(Row(self.table.name, at.folder, at.path, int(self.lines[i]), values, bad, lines))
        return out


def rows_of(tables: dict[str, Any]) -> dict[str, list[dict]]:
    """``Result.rows``: each Arrow table as a list of dicts (typed values, ``_folder``,
    ``_path``, ``_line``), one conversion per column."""
    out: dict[str, list[dict]] = {}
    for name, t in tables.items():
        cols = {c: t.column(c).to_pylist() for c in t.column_names}
        names = list(cols)
        out[name] = [dict(zip(names, vals)) for vals in zip(*(cols[c] for c in names))] if t.num_rows else []
    return out


Report = Callable[[str, Issue], None]
