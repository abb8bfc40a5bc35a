"""Ketamine vs SSRI evidence dataset: every stated figure, traceable to where it is printed.

Public API::

    import ketamine_ssri_evidence as kse
    figures = kse.load("figures")          # current release
    sources = kse.load("sources", version="0.1.0")
    kse.tables()                           # ['sources', 'figures']

Validation and building live in :mod:`ketamine_ssri_evidence.validation` and :mod:`ketamine_ssri_evidence.building`;
they import pandera, frictionless and pyarrow only when called.
"""
from __future__ import annotations

from .figuretext import ParsedFigure, parse as parse_figure_text
from .loading import ReleaseError, current_version, load, tables, versions

__all__ = [
    "load", "tables", "versions", "current_version", "ReleaseError",
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
