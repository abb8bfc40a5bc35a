"""Claim checks and contradictions, computed from the figures alone.

Every figure becomes an interval in its dimension's canonical unit: a printed number stands
for half a unit of its last printed digit either side, a hedged one ("about") for a share of
itself (``approx_relative_tolerance`` in schemas/comparison.json), and a bound ("up to",
"at least") for a half-open interval. The comparison key (which fields must match, and
which match anything when unspecified) is read from schemas/comparison.json.

Pure functions over figure and source records (dicts of typed values, as the build has
them); no I/O.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from . import _schema
from .durations import duration_days
from .figuretext import parse

BOUNDS = ("up_to", "at_least", "at_most")
CONTRASTS = ("effect_size", "relative_ratio", "rate_difference")
_DIGITS = re.compile(r"[0-9][0-9,]*(?:\.([0-9]+))?")


# ------------------------------------------------------------------ intervals

@dataclass(frozen=True)
class Span:
    """A figure as numbers: ``lo``–``hi`` it allows, and the ``head`` value it states."""

    lo: float
    hi: float
    head: float  # the printed value (a range's midpoint); for a bound, the bound
    tol: float  # how far from head the printed figure still reaches (rounding, 'about', half a range)
    bound: str | None  # up_to / at_least / at_most, else None


def _rounding(f: dict) -> float:
    """Half a unit of the last printed digit, in the figure's own unit."""
    text = f.get("value_text") or ""
    p = parse(text)
    if any(p.fractions):
        return 0.5 if f.get("unit") == "%" else 0.005
    decimals = [len(m.group(1) or "") for m in _DIGITS.finditer(text)]
    if not decimals:  # spelled out ("three months", "a month"): a whole number
        return 0.5 if p.numbers else 0.0
    return 0.5 * 10 ** -max(decimals)


def span(f: dict) -> Span | None:
    """The interval a figure allows, in canonical units; None for qualitative figures."""
    q = f.get("qualifier")
    if q == "qualitative" or f.get("unit") is None:
        return None
    factor = _schema.unit_factor(f["unit"])
    rel = float(_schema.comparison()["approx_relative_tolerance"])
    tol = _rounding(f)
    v, lo, hi = f.get("value"), f.get("low"), f.get("high")
    if v is None and (lo is None or hi is None):
        return None
    if q in ("range", "approx_range"):
        a, b = lo - tol, hi + tol
        if q == "approx_range":
            a, b = min(a, lo * (1 - rel)), max(b, hi * (1 + rel))
        head = (lo + hi) / 2
    else:
        t = max(tol, rel * abs(v)) if q == "approx" else tol
        a, b, head = v - t, v + t, v
    width = b - head
    if q in ("up_to", "at_most"):
        a = -math.inf
    elif q == "at_least":
        b = math.inf
    return Span(a * factor, b * factor, head * factor, width * factor, q if q in BOUNDS else None)


def _overlap(x: Span, y: Span) -> bool:
    return x.lo <= y.hi and y.lo <= x.hi


def _fmt(f: dict) -> str:
    return f"'{f.get('value_text')}' ({f['figure_id']})"


# ------------------------------------------------------------------ keys

def _key_value(f: dict, field: str):
    v = f.get(field)
    if field in ("timepoint", "timepoint_end") and v is not None:
        return duration_days(v)
    return v


def key_compare(a: dict, b: dict) -> tuple[list[str], list[str]]:
    """(differences, unspecified matches) between two figures over the comparison key.

    A difference reads ``field: a → b``; an unspecified match ``field (a unspecified)``.
    """
    diffs, wild = [], []
    for k in _schema.comparison()["key"]:
        field = k["field"]
        va, vb = _key_value(a, field), _key_value(b, field)
        if k["match"] == "equal":
            if va != vb:
                diffs.append(f"{field}: {a.get(field) or '∅'} → {b.get(field) or '∅'}")
            continue
        unspecified = k.get("unspecified", "")
        ua = va is None or va == "" or va == unspecified
        ub = vb is None or vb == "" or vb == unspecified
        if ua and ub:
            continue
        if ua or ub:
            wild.append(f"{field} ({'a' if ua else 'b'} unspecified)")
        elif va != vb:
            diffs.append(f"{field}: {a.get(field)} → {b.get(field)}")
    return diffs, wild


# ------------------------------------------------------------------ claim checks

def _claim_row(a: dict, verdict: str, rule: str, reason: str, study: dict | None = None,
               compared: list[dict] = (), diffs=(), wild=()) -> dict:
    return {
        "figure_id": a["figure_id"], "source_id": a["source_id"], "attributed_to": a["attributed_to"],
        "verdict": verdict, "rule": rule, "article_value_text": a["value_text"],
        "study_figure_id": study["figure_id"] if study else None,
        "study_value_text": study["value_text"] if study else None,
        "compared_with": "; ".join(s["figure_id"] for s in compared) or None,
        "key_differences": "; ".join(diffs) or None,
        "unspecified_matches": "; ".join(w.replace("(a ", "(article ").replace("(b ", "(study ") for w in wild) or None,
        "reason": reason,
    }


def _agrees(a: Span, s: Span) -> tuple[bool, str]:
    """Does the study's span support the article's? Returns (agree, rule when not)."""
    if a.bound == "up_to" and s.hi < a.head - a.tol:
        return False, "ceiling_not_reached"  # 'up to X' says X is reached; the study stays below
    return _overlap(a, s), "values_differ"


def check_claim(a: dict, study_source: dict | None, study_figures: list[dict]) -> dict:
    """One claim_checks row for article figure ``a``."""
    cited = a["attributed_to"]
    if study_source is None or study_source.get("resolution") == "unresolved":
        return _claim_row(a, "unverifiable", "study_unresolved",
                          f"{cited} could not be matched to a document, so {_fmt(a)} cannot be checked.")
    if not study_figures:
        return _claim_row(a, "unverifiable", "study_not_read",
                          f"{cited} was identified but none of its text could be read, so {_fmt(a)} cannot be checked.")
    sa = span(a)
    if sa is None:
        return _claim_row(a, "not_comparable", "qualitative_claim",
                          f"{_fmt(a)} states no number to compare with {cited}.")
    same = [s for s in study_figures if s.get("measure") == a.get("measure") and s.get("event") == a.get("event")
            and span(s) is not None]
    if not same:
        dim = _schema.measure_dimension(a["measure"])
        # the same printed number under another measure: both stated as plain values, equal within rounding
        echoes = [s for s in study_figures if s.get("measure") != a.get("measure") and a.get("qualifier") == "exact"
                  and s.get("qualifier") == "exact" and _schema.measure_dimension(s["measure"]) == dim
                  and abs(span(s).head - sa.head) <= sa.tol + span(s).tol]
        if echoes:
            s = echoes[0]
            return _claim_row(a, "inconsistent", "measure_changed",
                              f"{cited} prints {_fmt(s)} as {s['measure']}, but the article gives it as "
                              f"{a['measure']} ({_fmt(a)}).", s, echoes)
        what = a["measure"] + (f" ({a['event']})" if a.get("event") else "")
        return _claim_row(a, "not_reported", "no_figure_for_measure",
                          f"What could be read of {cited} has no figure for {what}; the article says {_fmt(a)}.")
    if a["measure"] in CONTRASTS:
        like = [s for s in same if s.get("comparator") == a.get("comparator")]
        if not like:
            s = same[0]
            return _claim_row(a, "not_comparable", "comparator_differs",
                              f"{_fmt(a)} is against {a.get('comparator') or 'no stated comparator'}; "
                              f"{cited}'s {_fmt(s)} is against {s.get('comparator') or 'no stated comparator'}.",
                              s, same)
        same = like
    scored = []
    for s in same:
        diffs, wild = key_compare(a, s)
        agree, why = _agrees(sa, span(s))
        scored.append((len(diffs), not agree, len(wild), s["figure_id"], s, diffs, wild, agree, why))
    scored.sort(key=lambda t: t[:4])
    _, _, _, _, s, diffs, wild, agree, why = scored[0]
    if diffs:
        return _claim_row(a, "inconsistent", "key_changed",
                          f"{cited} states {a['measure']} only for another key ({'; '.join(diffs)}); its closest "
                          f"figure is {_fmt(s)} against the article's {_fmt(a)}.", s, same, diffs, wild)
    note = f" (matched although {', '.join(wild)})" if wild else ""
    if agree:
        return _claim_row(a, "consistent", "values_agree",
                          f"{cited} states {_fmt(s)}; the article's {_fmt(a)} agrees within its qualifier and rounding{note}.",
                          s, same, diffs, wild)
    if why == "ceiling_not_reached":
        return _claim_row(a, "inconsistent", why,
                          f"The article says {_fmt(a)}, but {cited}'s figure is {_fmt(s)}{note}.", s, same, diffs, wild)
    return _claim_row(a, "inconsistent", "values_differ",
                      f"{cited} states {_fmt(s)}; the article says {_fmt(a)}{note}.", s, same, diffs, wild)


def claim_checks(figures: list[dict], sources: list[dict]) -> list[dict]:
    by_source: dict[str, list[dict]] = {}
    for f in figures:
        by_source.setdefault(f["source_id"], []).append(f)
    src = {s["source_id"]: s for s in sources}
    return [check_claim(f, src.get(f["attributed_to"]), by_source.get(f["attributed_to"], []))
            for f in figures if f.get("attributed_to")]


# ------------------------------------------------------------------ contradictions

def _pair(a: dict, b: dict, severity: str, rule: str, reason: str, wild) -> dict:
    return {
        "figure_id_a": a["figure_id"], "figure_id_b": b["figure_id"], "source_id": a["source_id"],
        "measure": a["measure"], "severity": severity, "rule": rule,
        "value_text_a": a["value_text"], "value_text_b": b["value_text"],
        "unspecified_matches": "; ".join(wild) or None, "reason": reason,
    }


def contradiction(a: dict, b: dict) -> dict | None:
    """The contradictions row for figures ``a`` and ``b`` of one source, or None if they agree."""
    sa, sb = span(a), span(b)
    if sa is None or sb is None:
        return None
    diffs, wild = key_compare(a, b)
    if diffs:
        return None
    both = f"{_fmt(a)} and {_fmt(b)}"
    bounded = sa.bound or sb.bound
    if not _overlap(sa, sb):
        if wild:
            return _pair(a, b, "tension", "unspecified_only",
                         f"{both} disagree unless they are about different {', '.join(w.split(' ')[0] for w in wild)}.", wild)
        return _pair(a, b, "conflict", "values_conflict", f"{both} cannot both be true.", wild)
    if bounded and abs(sa.head - sb.head) > sa.tol + sb.tol:
        # compatible, but only as bounds: the headline numbers differ beyond rounding
        return _pair(a, b, "tension", "qualifier_only",
                     f"{both} hold together only through their qualifiers ({a['qualifier']}, {b['qualifier']}).", wild)
    return None


def contradictions(figures: list[dict]) -> list[dict]:
    by_source: dict[str, list[dict]] = {}
    for f in figures:
        if span(f) is not None:
            by_source.setdefault(f["source_id"], []).append(f)
    out = []
    for figs in by_source.values():
        figs = sorted(figs, key=lambda f: f["figure_id"])
        groups: dict[tuple, list[dict]] = {}
        for f in figs:  # only figures with equal 'equal' fields can pair
            key = tuple(f.get(k["field"]) for k in _schema.comparison()["key"] if k["match"] == "equal")
            groups.setdefault(key, []).append(f)
        for group in groups.values():
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    row = contradiction(a, b)
                    if row:
                        out.append(row)
    return out
