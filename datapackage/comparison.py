"""Figures as numbers and keys: what the claim checks and the contradictions compare.

Every figure becomes an interval in its dimension's canonical unit: a printed number stands
for half a unit of its last printed digit either side, a hedged one ("about") for a share of
itself (``approx_relative_tolerance`` in schemas/comparison.json), and a bound ("up to",
"at least") for a half-open interval. A comparative word ("similar") stands for the ratio
interval declared in ``comparative_words``. The comparison key (which fields must match, and
how an unspecified field counts) is read from schemas/comparison.json.

Pure functions over figure records (dicts of typed values, as the build has them); no I/O.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from . import schemas
from .durations import duration_days
from .figure_text import parse

_DIGITS = re.compile(r"[0-9][0-9,]*(?:\.([0-9]+))?")


@dataclass(frozen=True)
class Span:
    """A figure as numbers: ``lo``–``hi`` it allows, and the ``head`` value it states."""

    lo: float
    hi: float
    head: float  # the printed value (a range's midpoint); for a bound, the bound
    tol: float  # how far from head the printed figure still reaches (rounding, 'about', half a range)
    bound: str | None  # the qualifier code of a bound (its ``bound`` column is set), else None


def _rounding(f: dict) -> float:
    """Half a unit of the last printed digit, in the figure's own unit."""
    return _rounding_of(f.get("value_text") or "", f.get("unit"))


_WORDISH = re.compile(r"half|third|quarter|fifth|[a-z]+-[a-z]+", re.IGNORECASE)


@lru_cache(maxsize=65536)
def _rounding_of(text: str, unit: str | None) -> float:
    if _DIGITS.search(text) and not _WORDISH.search(text):  # plain digits: no need to parse words
        return 0.5 * 10 ** -max(len(m.group(1) or "") for m in _DIGITS.finditer(text))
    p = parse(text)
    if any(p.fractions):
        return 0.5 if unit == "%" else 0.005
    decimals = [len(m.group(1) or "") for m in _DIGITS.finditer(text)]
    if not decimals:  # spelled out ("three months", "a month"): a whole number
        return 0.5 if p.numbers else 0.0
    return 0.5 * 10 ** -max(decimals)


@lru_cache(maxsize=None)
def _qualifier(code: str | None) -> tuple[str | None, str | None, bool]:
    """``(shape, bound, hedged)`` of a qualifier code, from schemas/vocab/qualifier.csv."""
    return schemas.qualifier_shape(code), schemas.qualifier_bound(code), schemas.qualifier_hedged(code)


@lru_cache(maxsize=None)
def reached_bounds() -> frozenset[str]:
    """Qualifiers whose bound the figure says is reached ('up to 77%': some reach 77%), as opposed
    to a bound that only limits ('less than 20%'): ``reached_bounds`` in schemas/comparison.json."""
    return frozenset(schemas.comparison()["reached_bounds"]["qualifiers"])


@lru_cache(maxsize=None)
def printed_ranges() -> frozenset[str]:
    """Qualifiers of a range printed without a hedge (30–40%, not 'about 30–40%')."""
    return frozenset(q for q in schemas.qualifiers_of_shape("range") if not schemas.qualifier_hedged(q))


@lru_cache(maxsize=None)
def _comparative_measures() -> frozenset[str]:
    return frozenset(schemas.comparison().get("comparative_words", {}).get("measures", ()))


def comparative(f: dict) -> dict | None:
    """The declared ratio interval of a qualitative comparative figure ('similar'), else None."""
    if f.get("measure") not in _comparative_measures() or _qualifier(f.get("qualifier"))[0] != "none":
        return None
    words = schemas.comparison().get("comparative_words", {})
    hit = words.get((f.get("value_text") or "").strip().lower())
    return hit if isinstance(hit, dict) else None


def span(f: dict) -> Span | None:
    """The interval a figure allows, in canonical units; None for qualitative figures."""
    q = f.get("qualifier")
    word = comparative(f)
    if word is not None:
        w_lo, w_hi = float(word["low"]), float(word["high"])
        return Span(w_lo, w_hi, 1.0, max(1.0 - w_lo, w_hi - 1.0), None)
    shape, bound, hedged = _qualifier(q)
    if shape == "none" or f.get("unit") is None:
        return None
    factor = schemas.unit_factor(f["unit"])
    rel = float(schemas.comparison()["approx_relative_tolerance"])
    tol = f["_tol"] if "_tol" in f else _rounding(f)  # a derived figure carries its propagated tolerance
    v, lo, hi = f.get("value"), f.get("low"), f.get("high")
    if shape == "range":
        if lo is None or hi is None:
            return None
        a, b = lo - tol, hi + tol
        if hedged:
            a, b = min(a, lo * (1 - rel)), max(b, hi * (1 + rel))
        head = (lo + hi) / 2
    else:
        if v is None:
            return None
        t = max(tol, rel * abs(v)) if hedged else tol
        a, b, head = v - t, v + t, v
    width = b - head
    if bound == "upper":
        a = -math.inf
    elif bound == "lower":
        b = math.inf
    return Span(a * factor, b * factor, head * factor, width * factor, q if bound else None)


def overlap(x: Span, y: Span) -> bool:
    return x.lo <= y.hi and y.lo <= x.hi


def shown(f: dict) -> str:
    """A figure as a reader sees it: its printed text (or a derived figure's expression) and id."""
    if f.get("derived_id"):
        return f"[derived: {f['expression']}] ({f['derived_id']})"
    return f"'{f.get('value_text')}' ({f['figure_id']})"


def fid(f: dict) -> str:
    return f.get("derived_id") or f["figure_id"]


# ------------------------------------------------------------------ keys


def key_fields() -> list[dict]:
    return schemas.comparison()["key"]


@lru_cache(maxsize=1)
def _points() -> dict[str, str]:
    """End fields and the start fields they close (``point_of`` in schemas/comparison.json)."""
    return {k["field"]: k["point_of"] for k in key_fields() if k.get("point_of")}


@lru_cache(maxsize=None)
def in_days(field: str) -> bool:
    """Is key ``field`` compared in days? It is when the figures table types it a duration."""
    try:
        return schemas.table("figures").field(field).type == "duration"
    except KeyError:
        return False


def key_value(f: dict, field: str):
    """A figure's value for a key field, as compared: time-points in days; an empty end of a
    stated start is the start itself (a single time-point, not an unspecified end)."""
    v = f.get(field)
    if (v is None or v == "") and field in _points():
        v = f.get(_points()[field])
    if in_days(field) and v is not None and v != "":
        return duration_days(v)
    return v


def key_shown(f: dict, field: str) -> str:
    """A key field as printed in a reason: its code, the start for the end of a single time-point, or '∅'."""
    v = f.get(field)
    if (v is None or v == "") and field in _points():
        v = f.get(_points()[field])
    return v if v is not None and v != "" else "∅"


def own_end_missing(a: dict, b: dict, field: str) -> bool:
    """Is ``field`` an end field that neither figure states itself? (Its start field then decides.)"""
    return field in _points() and not a.get(field) and not b.get(field)


def is_unspecified(k: dict, v) -> bool:
    return v is None or v == "" or (k["match"] != "equal" and v == k.get("unspecified", ""))


def key_compare(a: dict, b: dict) -> tuple[list[str], list[str]]:
    """(differences, unspecified matches) between two figures over the comparison key.

    A difference reads ``field: a → b``; an unspecified match ``field (a unspecified)``.
    Symmetric in what it tolerates: used for contradictions, where neither side is the claim.
    """
    diffs, wild = [], []
    for k in key_fields():
        field = k["field"]
        if own_end_missing(a, b, field):
            continue
        va, vb = key_value(a, field), key_value(b, field)
        if k["match"] == "equal":
            if va != vb:
                diffs.append(f"{field}: {key_shown(a, field)} → {key_shown(b, field)}")
            continue
        ua, ub = is_unspecified(k, va), is_unspecified(k, vb)
        if ua and ub:
            continue
        if ua or ub:
            wild.append(f"{field} ({'a' if ua else 'b'} unspecified)")
        elif va != vb:
            diffs.append(f"{field}: {key_shown(a, field)} → {key_shown(b, field)}")
    return diffs, wild


def key_text(f: dict, fields=None) -> str:
    """The comparison key of a figure as 'field=value; ...' (fields with a value only)."""
    out = []
    for k in key_fields():
        if fields is not None and k["field"] not in fields:
            continue
        v = f.get(k["field"])
        if v is not None and v != "":
            out.append(f"{k['field']}={v}")
    return "; ".join(out)
