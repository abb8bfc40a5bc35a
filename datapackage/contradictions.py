"""Contradictions within a source, found by grouping on the comparison key.

Figures of one source that share every key field exactly (an unspecified field counts as a
value of its own) form a group. A group disagrees when (schemas/comparison.json,
``contradiction_rules``; written out in docs/verdict-rules.md):

- values_conflict (conflict): some figure's lowest value lies above another's highest. In one
  dimension, intervals overlap pairwise exactly when the largest low is at most the smallest
  high, so one pass finds it and names the two extremes;
- ranges_share_endpoint (conflict): two printed ranges differ and meet at most in one endpoint
  (2–6 weeks and 6–8 weeks);
- ceilings_differ (tension): two 'up to' figures state ceilings that differ beyond rounding.

A value inside a stated ceiling or window is no contradiction. Two groups whose keys match
only because one leaves a field unspecified are compared as wholes (unspecified_only, severity
possible: a lower class, not counted as a contradiction). One row per disagreeing group or
pair of groups, so the output grows with the disagreements, not with the square of the figures.

Pure functions over figure records; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .comparison import in_days, is_unspecified, key_fields, key_text, printed_ranges, reached_bounds
from .durations import duration_days
from .spans import span

# What the contradictions read of a figure besides the comparison key (schemas/comparison.json):
# the build gives them records of these fields only.
FIELDS = ("figure_id", "source_id", "value_text", "locator", "qualifier", "value", "low", "high", "unit", "measure")


@dataclass
class _Group:
    key: tuple
    figs: list = field(default_factory=list)  # (figure, span)
    lo_fig: tuple | None = None  # figure with the largest lowest value
    hi_fig: tuple | None = None  # figure with the smallest highest value
    ceil_lo: tuple | None = None  # 'up to' figure with the lowest ceiling
    ceil_hi: tuple | None = None  # 'up to' figure with the highest ceiling
    range_lo: dict | None = None  # printed range with the lowest upper end
    range_hi: dict | None = None  # printed range with the highest lower end
    n_ceil: int = 0  # 'up to' figures
    n_range: int = 0  # printed ranges


def _neg(f) -> tuple:
    """Sort key preferring the lower figure_id among equal values."""
    return tuple(-ord(c) for c in f["figure_id"])


def _top(items: list, value):
    """``max(items, key=lambda t: (value(t), _neg(t[0])))``, with ``_neg`` computed for ties only."""
    m = max(map(value, items))
    tied = [t for t in items if value(t) == m]
    return tied[0] if len(tied) == 1 else max(tied, key=lambda t: _neg(t[0]))


def _head_then_text(item: tuple) -> tuple:
    return item[1][0], item[0]


def _members(pairs, in_id_order: bool = False) -> tuple[int, str]:
    """The number of figures and the members text: each value_text (by lowest head, then text) with
    its figure ids in order (``in_id_order``: ``pairs`` come in figure_id order already)."""
    by_text: dict[str, list] = {}  # value_text: [lowest head, figure ids]
    for f, s in pairs:
        t = f["value_text"]
        e = by_text.get(t)
        if e is None:
            by_text[t] = [s.head, [f["figure_id"]]]
        else:
            if s.head < e[0]:
                e[0] = s.head
            e[1].append(f["figure_id"])
    parts = sorted(by_text.items(), key=_head_then_text)  # the texts differ: their ids are never compared
    if in_id_order:
        return len(pairs), " | ".join([t + ": " + ", ".join(ids) for t, (_, ids) in parts])
    return len(pairs), " | ".join([t + ": " + ", ".join(sorted(ids)) for t, (_, ids) in parts])


def _row(a, b, severity, rule, reason, key, pairs, wild=None, in_id_order: bool = False) -> dict:
    size, members = _members(pairs, in_id_order)
    return {
        "figure_id_a": a["figure_id"],
        "figure_id_b": b["figure_id"],
        "source_id": a["source_id"],
        "measure": a["measure"],
        "severity": severity,
        "rule": rule,
        "value_text_a": a["value_text"],
        "value_text_b": b["value_text"],
        "locator_a": a["locator"],
        "locator_b": b["locator"],
        "key": key,
        "group_size": size,
        "members": members,
        "unspecified_matches": wild,
        "reason": reason,
    }


def _q(f) -> str:
    return f"'{f['value_text']}' ({f['figure_id']})"


def _in(x: float, f: dict) -> str:
    """A canonical value in the figure's own unit, for the reason text."""
    from . import schemas

    unit = f.get("unit")
    if not unit or unit == "1":
        return f"{x:.4g}"
    return f"{x / schemas.unit_factor(unit):.4g} {unit}"


def _within(g: _Group) -> dict | None:
    if len(g.figs) < 2 or g.hi_fig is None or g.lo_fig is None:
        return None
    key = key_text(g.figs[0][0])
    hi_f, hi_s = g.hi_fig
    lo_f, lo_s = g.lo_fig
    if lo_s.lo > hi_s.hi:
        return _row(
            hi_f,
            lo_f,
            "conflict",
            "values_conflict",
            f"{_q(hi_f)} and {_q(lo_f)} are about the same thing ({key}) and cannot both be true: the first "
            f"allows at most {_in(hi_s.hi, hi_f)}, the second at least {_in(lo_s.lo, lo_f)} (after rounding and "
            f"qualifiers).",
            key,
            g.figs,
            in_id_order=True,
        )
    ranges = [(f, s) for f, s in g.figs if f.get("qualifier") in printed_ranges()] if g.n_range > 1 else ()
    if len(ranges) > 1:
        low_f = _top(ranges, lambda t: t[0]["low"])[0]
        high_f = min(ranges, key=lambda t: (t[0]["high"], t[0]["figure_id"]))[0]
        if low_f["low"] >= high_f["high"] and (low_f["low"], low_f["high"]) != (high_f["low"], high_f["high"]):
            return _row(
                high_f,
                low_f,
                "conflict",
                "ranges_share_endpoint",
                f"{_q(high_f)} and {_q(low_f)} give different ranges for the same thing ({key}) that meet at "
                f"most at one endpoint: they cannot both describe it.",
                key,
                g.figs,
                in_id_order=True,
            )
    ceilings = [(f, s) for f, s in g.figs if f.get("qualifier") in reached_bounds()] if g.n_ceil > 1 else ()
    if len(ceilings) > 1:
        low_c = min(ceilings, key=lambda t: (t[1].head, t[0]["figure_id"]))
        high_c = _top(ceilings, lambda t: t[1].head)
        if high_c[1].head - low_c[1].head > low_c[1].tol + high_c[1].tol:
            return _row(
                low_c[0],
                high_c[0],
                "tension",
                "ceilings_differ",
                f"{_q(low_c[0])} and {_q(high_c[0])} give different ceilings for the same thing ({key}): "
                f"at most one of them is the ceiling.",
                key,
                g.figs,
                in_id_order=True,
            )
    return None


def _link(g: _Group, h: _Group) -> list[str] | None:
    """Fields that link two groups only through an unspecified value; None if a stated field differs."""
    wild = []
    a, b = g.figs[0][0], h.figs[0][0]
    keys = key_fields()
    at = {k["field"]: i for i, k in enumerate(keys)}
    for _i, (k, va, vb) in enumerate(zip(keys, g.key, h.key)):
        if va == vb:
            continue
        if k["match"] == "equal":
            return None
        start = k.get("point_of")
        if (
            start
            and (va, vb) == (g.key[at[start]], h.key[at[start]])
            and not a.get(k["field"])
            and not b.get(k["field"])
        ):
            continue  # the end of a single time-point mirrors its start, which is listed already
        ua, ub = is_unspecified(k, va), is_unspecified(k, vb)
        if ua == ub:  # both stated and different (both unspecified would be equal)
            return None
        f = k["field"]
        wild.append(
            f"{f} ({'a' if ua else 'b'} unspecified; other: {(b if ua else a).get(f) or (b if ua else a).get(start)})"
        )
    return wild


def _cross_ceilings(g: _Group, h: _Group):
    """The two 'up to' figures, one of each group, whose ceilings differ most beyond rounding; else None."""
    best = None
    for x, y in ((g, h), (h, g)):
        if x.ceil_lo is None or y.ceil_hi is None:
            return None
        low, high = x.ceil_lo, y.ceil_hi
        gap = high[1].head - low[1].head
        if gap > low[1].tol + high[1].tol and (best is None or gap > best[0]):
            best = (gap, low[0], high[0], x is g)
    return best[1:] if best else None


def _cross_ranges(g: _Group, h: _Group):
    """Two printed ranges, one of each group, that differ and meet at most in one endpoint; else None."""
    for x, y in ((g, h), (h, g)):
        if x.range_lo is None or y.range_hi is None:
            return None
        high_f, low_f = x.range_lo, y.range_hi
        if low_f["low"] >= high_f["high"] and (low_f["low"], low_f["high"]) != (high_f["low"], high_f["high"]):
            return high_f, low_f, x is g
    return None


def _between(g: _Group, h: _Group) -> dict | None:
    """A 'possible' row between two groups linked only through unspecified fields, if they would disagree.

    They would disagree as a group does (values_conflict, ranges_share_endpoint, ceilings_differ),
    with one figure of each group; the row names that pair and the kind of disagreement.
    """
    found = None
    for x, y in ((g, h), (h, g)):
        if y.lo_fig is not None and x.hi_fig is not None and y.lo_fig[1].lo > x.hi_fig[1].hi:
            found = (x.hi_fig[0], y.lo_fig[0], x is g, "would conflict")
            break
    if found is None and (hit := _cross_ranges(g, h)):
        found = hit + ("would be different ranges meeting at most at one endpoint",)
    if found is None and (hit := _cross_ceilings(g, h)):
        found = hit + ("would give different ceilings",)
    if found is None:
        return None
    wild = _link(g, h)
    if not wild:
        return None
    a, b, a_in_g, kind = found
    x, y = (g, h) if a_in_g else (h, g)
    w = wild if a_in_g else [w.replace("(a ", "(x ").replace("(b ", "(a ").replace("(x ", "(b ") for w in wild]
    shared = [k["field"] for k, va, vb in zip(key_fields(), g.key, h.key) if va == vb]
    key = key_text(a, shared)
    fields = ", ".join(w.split(" ")[0] for w in wild)
    return _row(
        a,
        b,
        "possible",
        "unspecified_only",
        f"{_q(a)} and {_q(b)} {kind} if they were about the same {fields}; one of them leaves "
        f"it unspecified, so they may simply be about different things (not counted as a "
        f"contradiction).",
        key,
        x.figs + y.figs,
        "; ".join(w),
    )


def _key_spec() -> list[tuple]:
    return [
        (k["field"], in_days(k["field"]), k["match"] == "equal", k.get("unspecified", ""), k.get("point_of"))
        for k in key_fields()
    ]


def group_keys(figures: list[dict]) -> list[tuple]:
    """Each figure's group: its source and every key field, an unspecified value as None and a
    time-point in days (the end of a single time-point is its start, not unspecified)."""
    spec = _key_spec()
    days = lru_cache(maxsize=4096)(duration_days)
    out = []
    for f in figures:
        key = [f["source_id"]]
        for name, is_tp, eq, unspecified, start in spec:  # unspecified values compare as one value (None)
            v = f.get(name)
            if start and (v is None or v == ""):
                v = f.get(start)
            key.append(None if v is None or v == "" or (not eq and v == unspecified) else days(v) if is_tp else v)
        out.append(tuple(key))
    return out


def group_keys_of_columns(columns: dict[str, list]) -> list[tuple]:
    """:func:`group_keys` of figures given as columns (``source_id`` and the key fields), a
    column at a time."""
    days = lru_cache(maxsize=4096)(duration_days)
    parts = [columns["source_id"]]
    for name, is_tp, eq, unspecified, start in _key_spec():
        col = columns[name]
        if start:
            col = [columns[start][i] if v is None or v == "" else v for i, v in enumerate(col)]
        if is_tp:
            parts.append([None if v is None or v == "" or (not eq and v == unspecified) else days(v) for v in col])
        elif eq or unspecified == "":
            parts.append([None if v is None or v == "" else v for v in col])
        else:
            parts.append([None if v is None or v == "" or v == unspecified else v for v in col])
    return list(zip(*parts))


def contradictions(figures: list[dict], spans: list | None = None, keys: list[tuple] | None = None) -> list[dict]:
    """The contradiction rows of ``figures``; ``spans`` and ``keys`` (each figure's span and
    :func:`group_keys`, in the order of ``figures``) when the caller has them already."""
    keys_ = key_fields()
    equal = [i for i, k in enumerate(keys_) if k["match"] == "equal"]
    groups: dict[tuple, _Group] = {}
    spans = [span(f) for f in figures] if spans is None else spans
    keys = group_keys(figures) if keys is None else keys
    ids = [f["figure_id"] for f in figures]
    order = (
        range(len(figures))
        if all(a < b for a, b in zip(ids, ids[1:]))
        else sorted(range(len(figures)), key=ids.__getitem__)
    )
    reached, ranged = reached_bounds(), printed_ranges()
    for i in order:  # _Group.add, inlined: the loop runs once per figure
        s = spans[i]
        if s is None:
            continue
        key = keys[i]
        g = groups.get(key)
        if g is None:
            g = groups[key] = _Group(key[1:])
        f = figures[i]
        t = (f, s)
        g.figs.append(t)
        if g.lo_fig is None or s.lo > g.lo_fig[1].lo:
            g.lo_fig = t
        if g.hi_fig is None or s.hi < g.hi_fig[1].hi:
            g.hi_fig = t
        q = f.get("qualifier")
        if q in reached:
            g.n_ceil += 1
            if g.ceil_lo is None or s.head < g.ceil_lo[1].head:
                g.ceil_lo = t
            if g.ceil_hi is None or s.head > g.ceil_hi[1].head:
                g.ceil_hi = t
        elif q in ranged:
            g.n_range += 1
            if g.range_lo is None or f["high"] < g.range_lo["high"]:
                g.range_lo = f
            if g.range_hi is None or f["low"] > g.range_hi["low"]:
                g.range_hi = f
    out = [r for g in groups.values() if (r := _within(g))]
    buckets: dict[tuple, list[_Group]] = {}
    for key, g in groups.items():
        buckets.setdefault((key[0],) + tuple(g.key[i] for i in equal), []).append(g)
    loose = [i for i, k in enumerate(keys_) if k["match"] != "equal"]
    for gs in buckets.values():
        if len(gs) > 1:
            out.extend(_across(gs, loose))
    return out


def _across(gs: list[_Group], loose: list[int]) -> list[dict]:
    """Rows between groups of one bucket that are linked only through unspecified fields.

    Two groups are linked when they agree on every field both state. Groups are indexed by
    which fields they state, so each group with an unspecified field finds the groups it is
    linked with by a lookup, not by examining every other group.
    """
    masks = [tuple(i for i in loose if g.key[i] is not None) for g in gs]
    by_mask: dict[tuple, list[int]] = {}
    for j, m in enumerate(masks):
        by_mask.setdefault(m, []).append(j)
    index: dict[tuple, dict[tuple, list[int]]] = {}
    plans: dict[tuple, list[tuple]] = {}  # a mask of stated fields: [(fields in common with a mask, index)]
    out = []
    for i, g in enumerate(gs):
        if len(masks[i]) == len(loose):
            continue  # states every field: found from the other side
        plan = plans.get(masks[i])
        if plan is None:
            plan = plans[masks[i]] = []
            mine = set(masks[i])
            for m, js in by_mask.items():
                common = tuple(x for x in m if x in mine)
                look = index.get((m, common))
                if look is None:
                    look = index[(m, common)] = {}
                    for j in js:
                        look.setdefault(tuple(gs[j].key[x] for x in common), []).append(j)
                plan.append((common, look))
        key = g.key
        for common, look in plan:
            for j in look.get(tuple([key[x] for x in common]), ()):
                h = gs[j]
                if j == i or (len(masks[j]) < len(loose) and j < i):  # two groups with gaps: once
                    continue
                r = _between(g, h)
                if r:
                    out.append(r)
    return out
