"""Validate contributed data under ``raw/`` against ``schemas/``.

Collects every problem as an :class:`~ketamine_ssri_evidence.issues.Issue`; never raises on bad
data. Only a usage error (a path that does not exist) raises :class:`UsageError`.

The package, one job a module: :mod:`.folders` (the raw/ walk), :mod:`.reading` (a file, from
its bytes to columns of text), :mod:`.cells` (a cell against its Table Schema field),
:mod:`.rows` (a typed row and what a rule may read of it), :mod:`.figure_rules` (rules over a
typed row, registered per table with the fields they read), :mod:`.tables` (a table over every
file read, and where issues go), :mod:`.checks` (cells and rules over a whole table),
:mod:`.index` (the identifiers the rules spanning sources read), :mod:`.keys` (ids and
references), :mod:`.provenance` (snapshots), :mod:`.incremental` (``validate --changed``),
:mod:`.driver` (``validate()``), :mod:`.pandas_probe` (pyarrow's look for pandas, skipped by
the ``validate`` command).
"""

from __future__ import annotations

from .driver import SNAPSHOTS_ENV, Result, max_file_bytes, validate
from .folders import UsageError
from .reading import MAX_FILE_BYTES, MAX_FILE_ENV, MAX_FILE_MB

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_FILE_ENV",
    "MAX_FILE_MB",
    "SNAPSHOTS_ENV",
    "Result",
    "UsageError",
    "max_file_bytes",
    "validate",
]
