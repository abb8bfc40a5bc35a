"""The files of a release that are made for outside readers, beside the tables and the descriptor.

One call from the build: ``reader_files(version, tables, files)`` returns ``{file name: bytes}``
for the spreadsheet workbook (:mod:`.workbook`), the Croissant metadata (:mod:`.croissant`)
and the dataset card (:mod:`.dataset_card`).
"""

from __future__ import annotations

import json

from . import croissant, dataset_card, workbook

CROISSANT = "croissant.json"
CARD = "README.md"


def reader_files(version: str, tables: dict[str, list[dict]], files: dict[str, bytes]) -> dict[str, bytes]:
    """``tables``: each table's records; ``files``: the release files written so far (tables)."""
    meta = croissant.croissant(version, files)
    return {
        workbook.file_name(): workbook.workbook_bytes(version, tables),
        CROISSANT: (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        CARD: dataset_card.dataset_card(version, tables).encode("utf-8"),
    }
