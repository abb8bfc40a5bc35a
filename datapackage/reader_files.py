"""The files of a release that are made for outside readers, beside the tables and the descriptor.

One call from the build: ``reader_files(version, tables, files)`` returns ``{file name: bytes}``
for the spreadsheet workbook (:mod:`.workbook`).
"""
from __future__ import annotations

from . import workbook


def reader_files(version: str, tables: dict[str, list[dict]], files: dict[str, bytes]) -> dict[str, bytes]:
    """``tables``: each table's records; ``files``: the release files written so far (tables)."""
    return {workbook.file_name(): workbook.workbook_bytes(version, tables)}
