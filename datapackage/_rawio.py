"""Reading a contributed file: kept under this name for the modules that read raw/ files of their
own (derived figures, reviews); the reading itself is :mod:`ketamine_ssri_evidence.validation.reading`."""
from __future__ import annotations

from .validation.reading import MAX_FILE_BYTES, Cell, RawTable, read_csv, read_text, read_yaml_record

__all__ = ["MAX_FILE_BYTES", "Cell", "RawTable", "read_csv", "read_text", "read_yaml_record"]
