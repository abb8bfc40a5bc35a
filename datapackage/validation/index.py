"""The identifiers the rules that span sources read, per source folder: the index.

Job: from the tables read (:class:`~.tables.TableData`), keep per contributed table the rows'
folder, path and line and the usable cells (null when empty or faulty) of the fields that
cross-source rules read: unique fields, foreign keys and the fields they reference; and the
figures a note says it restates. ``validate --changed`` keeps the index rows of the unchanged
folders in a cache instead of reading the folders again, and hands the rules only those rows
that can take part in a problem (:mod:`.incremental`); :func:`combine` joins indexes of
disjoint folders (the rules order what they report by folder and line, so the order of the
parts does not matter).

Reads: nothing (the cache files are read by :mod:`.incremental`). May import: ``schemas``,
``.tables``; numpy and pyarrow inside functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import schemas
from .tables import TableData

# "Restates <figure_id>" in a note names the figure it restates (CONTRIBUTING.md)
RESTATES = re.compile(r"\bRestates\s+([^\s'\"()\[\],;]+/[^\s'\"()\[\],;]*)", re.IGNORECASE)
RESTATES_TABLE, RESTATES_FIELD, RESTATED_ID = "figures", "note", "figure_id"  # where restating is written


@dataclass
class Index:
    tables: dict[str, Any] = field(default_factory=dict)  # table -> pyarrow.Table
    restates: Any = None  # pyarrow.Table: _folder, _path, _line, target, own, note
    unreadable: dict[str, set[str]] = field(default_factory=dict)  # table -> folders


def unique_fields(name: str) -> list[str]:
    """The fields of ``name`` whose values are unique over every source."""
    return [f.name for f in schemas.table(name).raw_fields if f.unique]


def duplicated_values(column) -> Any:
    """The values used more than once in ``column`` (nulls are no value)."""
    import pyarrow.compute as pc

    counts = pc.value_counts(column.drop_null())
    return pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))


def key_fields(name: str) -> tuple[str, ...]:
    """The fields of ``name`` that the rules spanning sources read, in schema order."""
    t = schemas.table(name)
    wanted = {f.name for f in t.raw_fields if f.unique}
    wanted |= {fld for fld, _, _ in t.foreign_keys}
    for other in schemas.contributed_table_names():
        wanted |= {ref_field for _, ref, ref_field in schemas.table(other).foreign_keys if ref == name}
    return tuple(f.name for f in t.raw_fields if f.name in wanted)


def restates_targets(td: TableData) -> list[tuple[int, str]]:
    """``(row, figure_id)`` for every ``Restates <figure_id>`` in a usable note of ``td``."""
    import numpy as np
    import pyarrow.compute as pc

    if td.table.name != RESTATES_TABLE or not td.n:
        return []
    if td.restates is not None:
        return td.restates
    col = td.cols[RESTATES_FIELD]
    hit = ~td.bad[RESTATES_FIELD] & pc.fill_null(pc.match_substring(col, "restates", ignore_case=True), False).to_numpy(
        zero_copy_only=False
    )
    rows = np.nonzero(hit)[0]
    out = []
    for i, text in zip(rows, td.text(RESTATES_FIELD, rows)):
        for m in RESTATES.finditer(text):
            out.append((int(i), m.group(1).rstrip(".:")))
    td.restates = out
    return out


def build(tables: dict[str, TableData], unreadable: dict[str, set[str]]) -> Index:
    """The index of the tables read."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    ix = Index(unreadable={k: set(v) for k, v in unreadable.items()})
    for name, td in tables.items():
        cols: dict[str, Any] = {
            "_folder": td.folder_column(),
            "_path": td.path_column(),
            "_line": pa.array(td.lines, type=pa.int64()),
        }
        for f in key_fields(name):
            cols[f] = pc.if_else(pa.array(td.usable(f), type=pa.bool_()), td.cols[f], pa.scalar(None, pa.string()))
            if f in td.field_lines:
                cols[f"_line:{f}"] = pa.array(td.field_lines[f], type=pa.int64())
        ix.tables[name] = pa.table(cols)
        if name == RESTATES_TABLE:
            found = restates_targets(td)
            rows = np.array([i for i, _ in found], dtype=np.int64)
            own = td.text(RESTATED_ID, rows) if len(rows) else []
            ix.restates = pa.table(
                {
                    "_folder": pa.array([td.where(i).folder for i, _ in found], type=pa.string()),
                    "_path": pa.array([td.where(i).path for i, _ in found], type=pa.string()),
                    "_line": pa.array([int(td.lines[i]) for i, _ in found], type=pa.int64()),
                    "target": pa.array([t for _, t in found], type=pa.string()),
                    "own": pa.array(own, type=pa.string()),
                    "note": pa.array(td.text(RESTATES_FIELD, rows) if len(rows) else [], type=pa.string()),
                }
            )
    return ix


def combine(parts: list[Index]) -> Index:
    """One index of several, of disjoint folders (the rules order what they need by folder and line)."""
    import pyarrow as pa

    out = Index()
    for p in parts:
        for k, v in p.unreadable.items():
            out.unreadable.setdefault(k, set()).update(v)

    def join(tables: list) -> Any:
        tables = [t for t in tables if t is not None]
        if not tables:
            return None
        return pa.concat_tables(tables, promote_options="default")

    names = {n for p in parts for n in p.tables}
    for n in names:
        out.tables[n] = join([p.tables.get(n) for p in parts])
    out.restates = join([p.restates for p in parts])
    return out
