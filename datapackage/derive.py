"""Columns the build computes from the contributed ones (fields marked ``derived``)."""
from __future__ import annotations

from . import _schema
from .durations import duration_days


def derive_figure(row: dict) -> dict:
    """Add the derived fields to one validated figure row (a dict of typed values)."""
    measure = row["measure"]
    dim = _schema.measure_dimension(measure)
    canonical = _schema.vocabulary("dimension")[dim]["canonical_unit"]
    unit = row.get("unit")
    factor = _schema.unit_factor(unit) if unit else None
    out = dict(row)
    out["dimension"] = dim
    out["unit_canonical"] = canonical
    for k in ("value", "low", "high"):
        v = row.get(k)
        out[f"{k}_canonical"] = None if v is None or factor is None else _clean(v * factor)
    for k in ("timepoint", "timepoint_end"):
        v = row.get(k)
        out[f"{k}_days"] = None if v is None else _clean(duration_days(v))
    return out


def _clean(x: float) -> float:
    """Round away binary noise (0.1*3) while keeping every printed digit."""
    return float(f"{x:.12g}")
