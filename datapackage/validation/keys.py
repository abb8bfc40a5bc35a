"""Identifiers and references: unique ids, foreign keys, folder and id conventions, restates.

Job: the rules about identifiers. Two kinds, both registered per table:

- rules within a folder (:data:`FOLDER_RULES`), vectorised over the rows read: a source folder
  is named after its source_id, a figure's source_id is its folder, its figure_id starts with
  ``<folder>/``, it is not attributed to its own source, a note does not restate its own figure;
- rules that span sources, over an :class:`~.index.Index` of the identifiers of every folder
  (read now or cached): unique fields (``unique`` in the Table Schema), foreign keys
  (``foreignKeys``), and ``Restates <figure_id>`` in a note naming a figure that exists.

Reads: ``schemas/`` through ``schemas``. May import: ``schemas``, ``issues``, ``.index``,
``.tables``; numpy and pyarrow inside functions.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import schemas
from ..issues import Issue
from .index import Index, duplicated_values, restates_targets
from .tables import Sink, TableData

FolderRule = Callable[[TableData, Sink], None]
FOLDER_RULES: dict[str, list[FolderRule]] = {}


def folder_rule(table: str):
    def register(fn: FolderRule) -> FolderRule:
        FOLDER_RULES.setdefault(table, []).append(fn)
        return fn

    return register


def _np(x):
    return x.to_numpy(zero_copy_only=False)


def _report(td: TableData, sink: Sink, mask, fld: str, code: str, why: Callable[[int, str], str]) -> None:
    import numpy as np

    rows = np.nonzero(mask)[0]
    if not len(rows):
        return
    values = td.text(fld, rows)
    for i, v in zip(rows, values):
        folder, issue = td.issue(int(i), fld, v, code, why(int(i), v))
        sink.add(folder, issue)


def _folders(td: TableData):
    return td.folder_column()


@folder_rule("sources")
def source_named_after_its_folder(td: TableData, sink: Sink) -> None:
    import pyarrow.compute as pc

    folder = _folders(td)
    off = td.usable("source_id") & _np(pc.fill_null(pc.not_equal(td.cols["source_id"], folder), False))
    _report(
        td,
        sink,
        off,
        "source_id",
        "folder-mismatch",
        lambda i, v: f"the folder is named {td.where(i).folder!r}; a source folder is named after its source_id",
    )


@folder_rule("figures")
def figure_in_its_sources_folder(td: TableData, sink: Sink) -> None:
    import pyarrow.compute as pc

    folder = _folders(td)
    off = td.usable("source_id") & _np(pc.fill_null(pc.not_equal(td.cols["source_id"], folder), False))
    _report(
        td, sink, off, "source_id", "source-mismatch", lambda i, v: f"the figure is in folder {td.where(i).folder!r}"
    )
    if td.n:
        # a prefix test per row (each row has its own folder)
        starts = _starts_with_each(td.cols["figure_id"], pc.binary_join_element_wise(folder, "/", ""))
        off = td.usable("figure_id") & ~starts
        _report(
            td, sink, off, "figure_id", "id-prefix", lambda i, v: f"figure_id must start with '{td.where(i).folder}/'"
        )
    own = _np(pc.fill_null(pc.equal(td.cols["attributed_to"], folder), False))
    own |= _np(pc.fill_null(pc.equal(td.cols["attributed_to"], td.cols["source_id"]), False))
    _report(
        td,
        sink,
        td.usable("attributed_to") & own,
        "attributed_to",
        "self-attribution",
        lambda i, v: (
            "a figure is attributed to another source (the study it credits), not to its own; empty attributed_to"
        ),
    )


def _starts_with_each(values, prefixes):
    """A numpy mask: each value starts with the prefix of its own row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = pc.utf8_length(prefixes)
    values = pc.fill_null(values, "")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(n, pa.ChunkedArray):
        n = n.combine_chunks()
    if isinstance(prefixes, pa.ChunkedArray):
        prefixes = prefixes.combine_chunks()
    # the same folder in a run of rows: slice each run by its one prefix length
    import numpy as np

    lengths = _np(n)
    out = np.zeros(len(values), dtype=bool)
    for width in np.unique(lengths):
        rows = np.nonzero(lengths == width)[0]
        idx = pa.array(rows, type=pa.int64())
        head = pc.utf8_slice_codeunits(values.take(idx), 0, int(width))
        out[rows] = _np(pc.equal(head, prefixes.take(idx)))
    return out


@folder_rule("figures")
def note_restates_another_figure(td: TableData, sink: Sink) -> None:
    import numpy as np

    targets = restates_targets(td)
    if not targets:
        return
    rows = np.array([i for i, _ in targets], dtype=np.int64)
    own = dict(zip(rows.tolist(), td.text("figure_id", rows)))
    for i, target in targets:
        if target == own[i]:
            folder, issue = td.issue(
                i,
                "note",
                td.text("note", [i])[0],
                "restates-self",
                f"the note says this figure restates itself ({target}); name the earlier figure it restates",
            )
            sink.add(folder, issue)


def folder_rules(tables: dict[str, TableData], sink: Sink) -> None:
    for name, td in tables.items():
        for fn in FOLDER_RULES.get(name, []):
            fn(td, sink)


# ------------------------------------------------------------------ rules that span sources


def cross_source_rules(index: Index, sink: Sink) -> None:
    """Unique fields, foreign keys and restated figures over every folder's identifiers."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def add(folder: str, path: str, line: int, fld: str, value: str, code: str, why: str) -> None:
        sink.add(folder, Issue(path, line, fld, value, code, why), cross=True)

    for name in schemas.contributed_table_names():
        t = schemas.table(name)
        ix = index.tables.get(name)
        if ix is None or not ix.num_rows:
            continue
        record = t.raw_format != "csv"
        for f in t.raw_fields:
            if not f.unique or f.name not in ix.column_names:
                continue
            col = ix.column(f.name)
            dups = duplicated_values(col)
            if not len(dups):
                continue
            hit = np.nonzero(_np(pc.fill_null(pc.is_in(col, value_set=dups), False)))[0]
            sub = ix.take(pa.array(hit, type=pa.int64()))
            # the first use, in folder order and line order, is not reported
            sub = sub.take(pc.sort_indices(sub, sort_keys=[("_folder", "ascending"), ("_line", "ascending")]))
            first: dict[str, tuple[str, int]] = {}
            for v, folder, path, line in zip(
                sub.column(f.name).to_pylist(),
                sub.column("_folder").to_pylist(),
                sub.column("_path").to_pylist(),
                _lines(sub, f.name),
            ):
                if v in first:
                    fp, fl = first[v]
                    why = f"{f.name} is already used in {fp}" if record else f"{f.name} is already used at {fp}:{fl}"
                    add(folder, path, line, f.name, v, "duplicate-id", why)
                else:
                    first[v] = (path, line)
        for fld, ref_table, ref_field in t.foreign_keys:
            if fld not in ix.column_names:
                continue
            ref = index.tables.get(ref_table)
            chunks = [pa.array(sorted(index.unreadable.get(ref_table, set())), type=pa.string())]
            if ref is not None and ref.num_rows:
                filled = ref.filter(pc.is_valid(ref.column(ref_field)))
                # a source whose folder and source_id differ is reported once (folder-mismatch),
                # not again at every figure that names its folder
                for c in (filled.column(ref_field), filled.column("_folder")):
                    chunks += c.chunks
            targets = pa.concat_arrays([c.cast(pa.string()) for c in chunks])
            col = ix.column(fld)
            values = pc.unique(col.drop_null())
            missing = values.filter(pc.invert(pc.is_in(values, value_set=targets)))
            if not len(missing):
                continue
            hit = np.nonzero(_np(pc.fill_null(pc.is_in(col, value_set=missing), False)))[0]
            sub = ix.take(pa.array(hit, type=pa.int64()))
            what = ref_table[:-1] if ref_table.endswith("s") else ref_table
            for v, folder, path, line in zip(
                sub.column(fld).to_pylist(),
                sub.column("_folder").to_pylist(),
                sub.column("_path").to_pylist(),
                _lines(sub, fld),
            ):
                add(folder, path, line, fld, v, "unknown-reference", f"no {what} has {ref_field} {v!r}")
    _restates_known(index, add)


def _lines(sub, fld: str) -> list[int]:
    name = f"_line:{fld}"
    return sub.column(name if name in sub.column_names else "_line").to_pylist()


def _restates_known(index: Index, add) -> None:
    """A note's ``Restates <figure_id>`` names a figure that exists (or may: its folder is unreadable)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rs = index.restates
    if rs is None or not rs.num_rows:
        return
    figures = index.tables.get("figures")
    ids = figures.column("figure_id").drop_null() if figures is not None else pa.array([], type=pa.string())
    # look the few targets up among the many ids (a hash of the targets, not of every figure_id)
    targets = pc.unique(rs.column("target"))
    found = pc.unique(ids.filter(pc.is_in(ids, value_set=targets))) if len(ids) else ids
    known = pc.is_in(rs.column("target"), value_set=found).to_pylist()
    unread = index.unreadable.get("figures", set())
    for ok, target, own, folder, path, line, note in zip(
        known,
        rs.column("target").to_pylist(),
        rs.column("own").to_pylist(),
        rs.column("_folder").to_pylist(),
        rs.column("_path").to_pylist(),
        rs.column("_line").to_pylist(),
        rs.column("note").to_pylist(),
    ):
        if target == own:
            continue  # restates-self, a rule within the folder
        if not ok and target.split("/", 1)[0] not in unread:
            add(
                folder,
                path,
                line,
                "note",
                note,
                "restates-unknown",
                f"the note restates {target}, but no figure has that figure_id",
            )
