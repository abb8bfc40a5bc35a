"""Run the cell checks and the row rules over a whole table, column-wise.

Job: for a :class:`~.tables.TableData` of every file read, check each field's column
(:meth:`~.cells.CellChecker.check_column`: each distinct value once, or a vectorised
pre-filter) and record its faulty rows; then run the table's row rules
(:mod:`.figure_rules`) once per distinct combination of the fields they read (and of which of
them are faulty), copying each finding to every row of the combination.

Reads: nothing. May import: ``issues``, ``.cells``, ``.figure_rules``, ``.rows``,
``.tables``; numpy and pyarrow inside functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..issues import Issue
from . import figure_rules
from .cells import CellChecker
from .rows import fmt
from .tables import Sink, TableData


def check_cells(td: TableData, sink: Sink) -> None:
    import numpy as np
    import pyarrow.compute as pc

    for f in td.table.raw_fields:
        checker = td.checkers.setdefault(f.name, CellChecker(td.table.name, f))
        col = td.cols[f.name]
        missing = pc.is_null(col).to_numpy(zero_copy_only=False) if col.null_count else np.zeros(td.n, dtype=bool)
        text = pc.fill_null(col, "") if col.null_count else col
        mask, found = checker.check_column(text)
        for i, v, problems in found:
            if missing[i]:
                continue  # no such cell (a missing column, an unreadable value): reported as that
            for code, why in problems:
                folder, issue = td.issue(i, f.name, v, code, why)
                sink.add(folder, issue)
        td.bad[f.name] = mask | missing


def run_rules(td: TableData, sink: Sink, memo: figure_rules.Memo) -> None:
    import numpy as np
    import pyarrow as pa

    fields = figure_rules.reads(td.table.name)
    if not fields or not td.n:
        return
    reported = np.array([sink.reports(f.folder) for f in td.files], dtype=bool)[td.file]
    rows_reported = np.nonzero(reported)[0]
    if not len(rows_reported):
        return
    sig = np.zeros(td.n, dtype=np.int64)
    for k, f in enumerate(fields):
        sig |= td.bad[f].astype(np.int64) << k
    if len(rows_reported) == td.n:  # every folder is reported: no copy of the columns
        cols = {f: td.cols[f] for f in fields}
    else:
        idx = pa.array(rows_reported, type=pa.int64())
        cols = {f: td.cols[f].take(idx) for f in fields}
    reps, members = _groups(cols, list(fields), sig[rows_reported], rows_reported)
    for k, row in enumerate(td.rows_at(reps, fields)):
        found = memo.run(td.table.name, dict(row.values), row.bad)
        if not found:
            continue
        for i in members(k):
            at = td.where(int(i))
            for fld, code, why, value in found:
                v = row.values.get(fld) if value is None else value
                sink.add(
                    at.folder, Issue(at.path, td.line_of(fld, int(i)), fld, "" if v is None else fmt(v), code, why)
                )


SMALL_GROUPING = 50_000  # fewer rows are grouped in Python (pyarrow's group_by first loads its dataset module)


def _groups(cols: dict, fields: list[str], sig, rows) -> tuple[list[int], Callable[[int], Any]]:
    """The rows with the same cells of ``fields`` and the same faulty cells (``sig``): each
    group's first row, and a function of a group's number giving its rows."""
    import pyarrow as pa

    if len(rows) < SMALL_GROUPING:
        found: dict[tuple, list[int]] = {}
        for key, i in zip(zip(*[cols[f].to_pylist() for f in fields], sig.tolist()), rows.tolist()):
            found.setdefault(key, []).append(i)
        groups = list(found.values())
        return [m[0] for m in groups], groups.__getitem__
    table = pa.table({**cols, "__sig": sig, "__idx": rows})
    grouped = table.group_by(fields + ["__sig"], use_threads=False).aggregate([("__idx", "min"), ("__idx", "list")])
    members = grouped.column("__idx_list")
    return grouped.column("__idx_min").to_numpy().tolist(), lambda k: members[k].values.to_numpy()
