"""Claim checks: each article figure that credits a study, against that study's figures.

A claim is read as a careful reviewer reads it (schemas/comparison.json, ``claim_rules``;
written out in docs/verdict-rules.md): the study confirms a claim only if it states every
detail the claim states. A claim that leaves a field unspecified matches any study value
(the claim says less); a claim that states a time-point, population, route, treatment or
subgroup the study's figure does not state ADDS it, and the study does not confirm it
(not_reported, rule claim_adds_<field>). Unspecified on the study's side is no wildcard.
Derived study figures (a complement, a count over its denominator) are compared like
printed ones, and the row says so.

Pure functions over figure, derived-figure and source records; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import cast

from . import schemas
from .comparison import (
    fid,
    is_unspecified,
    key_fields,
    key_shown,
    key_value,
    overlap,
    own_end_missing,
    reached_bounds,
    shown,
)
from .spans import span

# What the checks read of a figure besides the comparison key (schemas/comparison.json): the
# build gives them records of these fields only.
FIELDS = (
    "figure_id",
    "source_id",
    "attributed_to",
    "value_text",
    "qualifier",
    "value",
    "low",
    "high",
    "unit",
    "measure",
    "event",
    "comparator",
)


def _narrower(field: str, claim, study) -> bool:
    """Is the claim's code a part of the study's broader code (ssri within antidepressant)?"""
    table = schemas.comparison()["claim_rules"]["narrower"].get(field, {})
    return claim in table.get(study, [])


def claim_key_compare(a: dict, s: dict) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(differences, unspecified matches, added details) of claim ``a`` against study figure ``s``.

    An added detail is ``(field, 'field: claim value (study: value or none)')``.
    """
    diffs, wild, adds = [], [], []
    for k in key_fields():
        field = k["field"]
        if own_end_missing(a, s, field):
            continue
        va, vs = key_value(a, field), key_value(s, field)
        if va == vs:
            continue
        ua, us = is_unspecified(k, va), is_unspecified(k, vs)
        if ua and us:
            continue
        if k["match"] != "equal" and ua:
            wild.append(f"{field} (article unspecified)")
        elif k["match"] != "equal" and us:
            adds.append((field, f"{field}: {a.get(field)} (study: none)"))
        elif _narrower(field, a.get(field), s.get(field)):
            adds.append((field, f"{field}: {a.get(field)} (study: {s.get(field)}, which is broader)"))
        else:
            diffs.append(f"{field}: {key_shown(a, field)} → {key_shown(s, field)}")
    return diffs, wild, adds


@lru_cache(maxsize=1)
def _key_names() -> tuple[str, ...]:
    return tuple(k["field"] for k in key_fields())


@lru_cache(maxsize=1 << 16)
def _compare_keys(ka: tuple, ks: tuple):
    names = _key_names()
    return claim_key_compare(dict(zip(names, ka)), dict(zip(names, ks)))


def _keys(f: dict) -> tuple:
    return tuple([f.get(n) for n in _key_names()])


def _compare(a: dict, s: dict):
    """:func:`claim_key_compare`, once per distinct pair of keys (it reads the key fields only)."""
    return _compare_keys(_keys(a), _keys(s))


def _row(
    a: dict,
    verdict: str,
    rule: str,
    reason: str,
    study: dict | None = None,
    compared: Sequence[dict] = (),
    diffs=(),
    wild=(),
    adds=(),
) -> dict:
    derived = bool(study and study.get("derived_id"))
    return {
        "figure_id": a["figure_id"],
        "source_id": a["source_id"],
        "attributed_to": a["attributed_to"],
        "verdict": verdict,
        "rule": rule,
        "article_value_text": a["value_text"],
        "study_figure_id": study["figure_id"] if study and not derived else None,
        "study_derived_id": study["derived_id"] if study and derived else None,
        "study_value_text": (f"[derived: {study['expression']}]" if derived else study["value_text"])
        if study
        else None,
        "compared_with": "; ".join(fid(s) for s in compared) or None,
        "key_differences": "; ".join(diffs) or None,
        "unspecified_matches": "; ".join(wild) or None,
        "claim_adds": "; ".join(t for _, t in adds) or None,
        "reason": reason,
    }


def _agrees(a, s) -> tuple[bool, str]:
    """Does the study's span support the article's? Returns (agree, rule when not)."""
    if a.bound in reached_bounds() and s.hi < a.head - a.tol:
        return False, "ceiling_not_reached"  # 'up to X' says X is reached; the study stays below
    return overlap(a, s), "values_differ"


def _echo(a: dict, sa, s: dict) -> tuple[bool, list[str], list[str]]:
    """Is study figure ``s`` the claim's number under another measure? (echo, differences, added details)

    It is when the claim states a value (not a bound), the study's printed value lies within the
    claim's interval, its measure (or event) is another of the same dimension, and every other detail
    of the claim is stated by it as the claim checks require (no key difference, no added detail):
    then the article gave the study's number another name. The details are returned for the reason.
    """
    ss = span(s)
    if ss is None or sa.bound or (s.get("measure"), s.get("event")) == (a.get("measure"), a.get("event")):
        return False, [], []
    if schemas.measure_dimension(s["measure"]) != schemas.measure_dimension(a["measure"]):
        return False, [], []
    if not sa.lo <= ss.head <= sa.hi:
        return False, [], []
    diffs, wild, adds = _compare(dict(a, measure=s.get("measure"), event=s.get("event")), s)
    said = [f"its {w.split(' ')[0]} is {s.get(w.split(' ')[0])}, which the article does not state" for w in wild]
    return not diffs and not adds, diffs, [t for _, t in adds] + said


def _no_measure(a: dict, sa, cited: str, pool: list[dict], ordered: list[dict] | None = None) -> dict:
    """The verdict when the study has no figure for the claim's measure: measure_changed or no_figure_for_measure."""
    echoes, near = [], []
    for s in ordered if ordered is not None else sorted(pool, key=_pool_order):
        hit, diffs, adds = _echo(a, sa, s)
        if hit:
            echoes.append(s)
        elif diffs or any("(study:" in t for t in adds):
            near.append((s, diffs + adds))
    if echoes:
        s = echoes[0]
        return _row(
            a,
            "inconsistent",
            "measure_changed",
            f"{cited} has no figure for {a['measure']}, but prints {shown(s)} as {s['measure']} for the claim's "
            f"treatment, route, population, subgroup and time-point; the article gives that number as "
            f"{a['measure']} ({shown(a)}).",
            s,
            echoes,
        )
    what = a["measure"] + (f" ({a['event']})" if a.get("event") else "")
    also = ""
    if near:
        s, why = near[0]
        also = (
            f" Its {shown(s)}, a {s['measure']} figure, lies within the claim's number but is not the claim's "
            f"figure under another name: {'; '.join(why)}."
        )
    return _row(
        a,
        "not_reported",
        "no_figure_for_measure",
        f"What could be read of {cited} has no figure for {what}; the article says {shown(a)}.{also}",
    )


def _pool_order(s: dict) -> tuple:
    return bool(s.get("derived_id")), fid(s)


class _Pool:
    """A study's figures and derived figures, ordered and indexed by measure and event once for
    all the claims that credit it."""

    def __init__(self, figures: Sequence[dict], derived: Sequence[dict]):
        self.all = list(figures) + list(derived)
        self._ordered: list[dict] | None = None
        self._by_measure: dict[tuple, list[dict]] = {}
        for s in self.all:
            self._by_measure.setdefault((s.get("measure"), s.get("event")), []).append(s)
        self._entries: dict[tuple, list[tuple]] = {}

    @property
    def ordered(self) -> list[dict]:
        """The figures, printed ones first, each kind by id."""
        if self._ordered is None:
            self._ordered = sorted(self.all, key=_pool_order)
        return self._ordered

    def entries(self, measure, event) -> list[tuple]:
        """``(figure, its span, its key, its pool order)`` of the figures of a measure and event that have a
        span, in pool order."""
        hit = self._entries.get((measure, event))
        if hit is None:
            hit = self._entries[(measure, event)] = [
                (s, ss, _keys(s), _pool_order(s))
                for s in self._by_measure.get((measure, event), ())
                if (ss := span(s)) is not None
            ]
        return hit


def check_claim(
    a: dict,
    study_source: dict | None,
    study_figures: Sequence[dict],
    study_derived: Sequence[dict] = (),
    _pool: _Pool | None = None,
) -> dict:
    """One claim_checks row for article figure ``a`` (derived study figures carry ``_tol``)."""
    cited = a["attributed_to"]
    if study_source is None or study_source.get("resolution") == "unresolved":
        return _row(
            a,
            "unverifiable",
            "study_unresolved",
            f"{cited} could not be matched to a document, so {shown(a)} cannot be checked.",
        )
    if not study_figures:
        return _row(
            a,
            "unverifiable",
            "study_not_read",
            f"{cited} was identified but none of its text could be read, so {shown(a)} cannot be checked.",
        )
    sa = span(a)
    if sa is None:
        return _row(a, "not_comparable", "qualitative_claim", f"{shown(a)} states no number to compare with {cited}.")
    pool = _pool if _pool is not None else _Pool(study_figures, study_derived)
    entries = pool.entries(a.get("measure"), a.get("event"))
    if not entries:
        return _no_measure(a, sa, cited, pool.all, pool.ordered)
    same = [e[0] for e in entries]
    if a["measure"] in schemas.contrast_measures():
        like = [s for s in same if s.get("comparator") == a.get("comparator")]
        if not like:
            s = same[0]
            return _row(
                a,
                "not_comparable",
                "comparator_differs",
                f"{shown(a)} is against {a.get('comparator') or 'no stated comparator'}; "
                f"{cited}'s {shown(s)} is against {s.get('comparator') or 'no stated comparator'}.",
                s,
                same,
            )
        same = like
        entries = [e for e in entries if e[0].get("comparator") == a.get("comparator")]
    best = None
    ka = _keys(a)
    for s, ss, ks, order in entries:  # the first of the lowest scores, as a stable sort would put first
        diffs, wild, adds = _compare_keys(ka, ks)
        agree, why = _agrees(sa, ss)
        score = (len(diffs), len(adds), not agree, len(wild)) + order
        if best is None or score < best[0]:
            best = (score, s, diffs, wild, adds, agree, why)
    _, s, diffs, wild, adds, agree, why = cast(tuple, best)  # entries is not empty
    rest = (s, same, diffs, wild, adds)
    derived = " (derived from its printed figures)" if s.get("derived_id") else ""
    if diffs:
        return _row(
            a,
            "inconsistent",
            "key_changed",
            f"{cited} states {a['measure']} only for another key ({'; '.join(diffs)}); its closest "
            f"figure is {shown(s)}{derived} against the article's {shown(a)}.",
            *rest,
        )
    if adds:
        field = adds[0][0]
        rule = schemas.comparison()["claim_rules"]["adds_rule"][field]
        numbers = "the numbers agree" if agree else "the numbers differ too"
        return _row(
            a,
            "not_reported",
            rule,
            f"The article's {shown(a)} states {'; '.join(t for _, t in adds)}, which {cited}'s closest figure "
            f"{shown(s)}{derived} does not state ({numbers}): the study does not confirm the claim as worded.",
            *rest,
        )
    note = f" (the article leaves {', '.join(w.split(' ')[0] for w in wild)} unspecified)" if wild else ""
    if agree:
        return _row(
            a,
            "consistent",
            "values_agree",
            f"{cited} states {shown(s)}{derived}; the article's {shown(a)} agrees within its qualifier and "
            f"rounding{note}.",
            *rest,
        )
    if why == "ceiling_not_reached":
        return _row(
            a,
            "inconsistent",
            why,
            f"The article says {shown(a)}, but {cited}'s figure is {shown(s)}{derived}{note}.",
            *rest,
        )
    return _row(
        a,
        "inconsistent",
        "values_differ",
        f"{cited} states {shown(s)}{derived}; the article says {shown(a)}{note}.",
        *rest,
    )


def claim_checks(figures: list[dict], sources: list[dict], derived: Sequence[dict] = ()) -> list[dict]:
    from .derived_figures import tolerance

    by_source: dict[str, list[dict]] = {}
    for f in figures:
        by_source.setdefault(f["source_id"], []).append(f)
    by_id = {f["figure_id"]: f for f in figures}
    derived_by_source: dict[str, list[dict]] = {}
    for d in derived:
        d = dict(d, qualifier="exact", _tol=tolerance(d, by_id))
        derived_by_source.setdefault(d["source_id"], []).append(d)
    src = {s["source_id"]: s for s in sources}
    pools: dict[str, _Pool] = {}
    # Claims that state the same thing of the same study get the same verdict: it is computed
    # once, for a stand-in claim, and the claim's own ids are put in its place.
    done: dict[tuple, dict] = {}
    out = []
    for f in figures:
        cited = f.get("attributed_to")
        if not cited:
            continue
        what_ = dict(f)
        del what_["figure_id"], what_["source_id"]
        what = tuple(what_.items())
        hit = done.get(what)
        if hit is None:
            pool = pools.get(cited)
            if pool is None:
                pool = pools[cited] = _Pool(by_source.get(cited, []), derived_by_source.get(cited, []))
            hit = done[what] = check_claim(
                dict(f, figure_id=_STAND_IN, source_id=_STAND_IN),
                src.get(cited),
                by_source.get(cited, []),
                derived_by_source.get(cited, []),
                pool,
            )
        row = dict(hit, figure_id=f["figure_id"], source_id=f["source_id"])
        row["reason"] = hit["reason"].replace(_STAND_IN, f["figure_id"])
        out.append(row)
    return out


_STAND_IN = "\x00claim\x00"  # the ids of a stand-in claim: no validated text holds a NUL
