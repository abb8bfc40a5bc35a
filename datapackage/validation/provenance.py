"""Provenance: each source's snapshot file exists and has its hash, and each figure's
value_text occurs in its source's snapshot.

Job: the ``--snapshots`` check. Reads: the snapshot files named by ``source.yaml`` in the
snapshot folder (a bare file name, by the schema's pattern). May import: ``issues``,
``.tables``; numpy and pyarrow inside functions.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..issues import Issue
from .tables import Sink, TableData

SNAPSHOT_TABLE = "sources"  # the record that names a snapshot
TEXT_TABLE, TEXT_FIELD = "figures", "value_text"  # the text that must occur in it


def _normalise(text: str) -> str:
    return " ".join(text.split())


def provenance(tables: dict[str, TableData], snapshots: Path, sink: Sink) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    texts: dict[str, str | None] = {}
    src = tables.get(SNAPSHOT_TABLE)
    if src is not None and src.n:
        for s in src.rows_at(list(range(src.n)), ("source_id", "snapshot", "snapshot_sha256")):
            name, sid = s.get("snapshot"), s.get("source_id")
            if name is None or sid is None:
                continue
            path = snapshots / name
            if not path.is_file():
                sink.add(s.folder, s.issue("snapshot", "snapshot-not-found", f"no file {name} in {snapshots}"))
                texts[sid] = None
                continue
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if s.get("snapshot_sha256") is not None and digest != s.get("snapshot_sha256"):
                sink.add(s.folder, s.issue("snapshot_sha256", "snapshot-hash", f"the file {name} has SHA-256 {digest}"))
            texts[sid] = _normalise(data.decode("utf-8", errors="replace"))
    fig = tables.get(TEXT_TABLE)
    if fig is None or not fig.n or not any(texts.values()):
        return
    folders = fig.folder_column()
    col = pc.fill_null(fig.cols[TEXT_FIELD], "")
    pairs = pa.table({"f": folders, "v": col}).group_by(["f", "v"], use_threads=False).aggregate([])
    absent_f, absent_v = [], []
    for f, v in zip(pairs.column("f").to_pylist(), pairs.column("v").to_pylist()):
        text = texts.get(f)
        if text and v and sink.reports(f) and _normalise(v) not in text:
            absent_f.append(f)
            absent_v.append(v)
    if not absent_f:
        return
    key = pc.binary_join_element_wise(folders, col, "\x00")
    wanted = pa.array([f"{f}\x00{v}" for f, v in zip(absent_f, absent_v)], type=pa.string())
    hit = pc.is_in(key, value_set=wanted).to_numpy(zero_copy_only=False) & ~fig.bad[TEXT_FIELD]
    rows = np.nonzero(hit)[0]
    for i, v in zip(rows, fig.text(TEXT_FIELD, rows)):
        at = fig.where(int(i))
        sink.add(
            at.folder,
            Issue(
                at.path,
                int(fig.lines[i]),
                TEXT_FIELD,
                v,
                "text-not-in-snapshot",
                "value_text does not occur in the source's snapshot",
            ),
        )
