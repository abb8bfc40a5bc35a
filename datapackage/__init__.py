"""Ketamine vs SSRI evidence dataset: every stated figure, traceable to where it is printed.

Public API::

    import ketamine_ssri_evidence as kse
    figures = kse.load("figures")          # current release
    sources = kse.load("sources", version="0.1.0")
    kse.tables()                           # ['sources', 'figures', ...]
    kse.versions()                         # every published version, where it is, how it is trusted
    kse.vocabulary("measure")              # codes, labels, definitions
    kse.download("0.2.0", "data/")         # a verified copy in data/0.2.0/

Validation and building live in :mod:`ketamine_ssri_evidence.validation` and :mod:`ketamine_ssri_evidence.building`;
they import pandera, frictionless and pyarrow only when called.
"""
from __future__ import annotations

from .figuretext import ParsedFigure, parse as parse_figure_text
from .download import DownloadError, TrustWarning, download
from .loading import ReleaseError, VersionInfo, current_version, latest_version, load, tables, versions, vocabulary

__all__ = [
    "load", "tables", "versions", "current_version", "latest_version", "vocabulary", "download", "VersionInfo",
    "ReleaseError", "DownloadError", "TrustWarning",
    "parse_figure_text", "ParsedFigure", "validate", "build",
]
__version__ = "0.1.0"


def validate(paths=None, **kwargs):
    """Validate source folders; see :func:`ketamine_ssri_evidence.validation.validate`."""
    from .validation import validate as _validate

    return _validate(paths, **kwargs)


def build(**kwargs):
    """Validate and build the release; see :func:`ketamine_ssri_evidence.building.build`."""
    from .building import build as _build

    return _build(**kwargs)
