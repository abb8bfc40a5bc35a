"""Ketamine vs SSRI evidence dataset: every stated figure, traceable to where it is printed.

Public API::

    import ketamine_ssri_evidence as kse
    figures = kse.load("figures")          # current release
    sources = kse.load("sources", version="0.1.0")
    kse.tables()                           # ['sources', 'figures', ...]
    kse.versions()                         # every published version, where it is, how it is trusted
    kse.vocabulary("measure")              # codes, labels, definitions
    kse.download("0.2.0", "data/")         # a verified copy in data/0.2.0/

Validation and building live in :mod:`ketamine_ssri_evidence.validation` and :mod:`ketamine_ssri_evidence.release_build`;
they import pandera, frictionless and pyarrow only when called.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .download import DownloadError, TrustWarning, download
from .figure_text import ParsedFigure, parse as parse_figure_text
from .loader import ReleaseError, VersionInfo, current_version, latest_version, load, tables, versions, vocabulary

if TYPE_CHECKING:
    from .validation import Result

__all__ = [
    "load",
    "tables",
    "versions",
    "current_version",
    "latest_version",
    "vocabulary",
    "download",
    "VersionInfo",
    "ReleaseError",
    "DownloadError",
    "TrustWarning",
    "parse_figure_text",
    "ParsedFigure",
    "validate",
    "build",
]


def _version() -> str:
    """The last data release of schemas/package.json (``.postN`` after code-only fixes)."""
    import json

    from . import schemas
    from .release_metadata import package_version

    try:
        return package_version(json.loads((schemas.SCHEMAS / "package.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return "0+unknown"


__version__ = _version()


def validate(
    paths: list[str | os.PathLike] | None = None,
    *,
    raw_dir: str | os.PathLike | None = None,
    snapshots: str | os.PathLike | None = None,
    keep_rows: bool = True,
) -> Result:
    """Validate source folders; see :func:`ketamine_ssri_evidence.validation.validate`."""
    from .validation import validate as _validate

    return _validate(paths, raw_dir=raw_dir, snapshots=snapshots, keep_rows=keep_rows)


def build(
    *,
    raw_dir: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    root_descriptor: str | os.PathLike | None = None,
    snapshots: str | os.PathLike | None = None,
    version: str | None = None,
) -> Path:
    """Validate and build the release; see :func:`ketamine_ssri_evidence.release_build.build`."""
    from .release_build import build as _build

    return _build(
        raw_dir=raw_dir, out_dir=out_dir, root_descriptor=root_descriptor, snapshots=snapshots, version=version
    )
