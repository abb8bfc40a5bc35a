"""Rules over one typed row of a table that span its fields (the figure rules, the source rules).

Job: the registry of row rules. Each rule is registered for a table with the fields it reads::

    def shape(row, emit): ...
    rule("figures", ("qualifier", "value", "low", "high"), shape)

and sees only those fields (reading another raises :class:`~.rows.UndeclaredField`), so the
fields a table's rules read (:func:`reads`) are computed from the registry: the columnar
driver runs the rules once per distinct combination of them, and a result is memoised across
sources. ``emit(field, code, reason, value=None)`` reports a problem at a field of the row.

Reads: the vocabularies through ``schemas`` (qualifier shapes and wordings, measure dimensions,
signs and requirements, unit dimensions). May import: ``schemas``, ``durations``,
``figure_text``, ``.rows``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import schemas
from ..durations import duration_days
from ..figure_text import parse as parse_figure_text
from .rows import RuleRow, fmt

Emit = Callable[..., None]


@dataclass(frozen=True)
class Rule:
    table: str
    reads: frozenset[str]
    order: tuple[str, ...]  # the declared fields, in declared order (a memo key)
    fn: Callable[[RuleRow, Emit], None]


RULES: list[Rule] = []


def rule(
    table: str, reads: tuple[str, ...] | Callable[[], tuple[str, ...]], fn: Callable[[RuleRow, Emit], None]
) -> None:
    """Register ``fn`` as a row rule of ``table`` that reads the fields ``reads`` (or a function
    giving them). Rules are registered by a call after their definition, not by a decorator,
    so that mutation testing reaches their bodies (mutmut leaves decorated functions alone)."""
    fields = reads() if callable(reads) else reads
    RULES.append(Rule(table, frozenset(fields), tuple(fields), fn))


def rules_of(table: str) -> list[Rule]:
    return [r for r in RULES if r.table == table]


def reads(table: str) -> tuple[str, ...]:
    """Every field the rules of ``table`` read, in the table's field order."""
    wanted = set().union(*(r.reads for r in rules_of(table)))
    return tuple(f.name for f in schemas.table(table).raw_fields if f.name in wanted)


Finding = tuple[str, str, str, Any]  # (field, code, reason, value shown; None: the field's value)


class Memo:
    """Each rule's findings per distinct combination of the fields it reads, across sources."""

    def __init__(self) -> None:
        self.seen: dict[tuple, list[Finding]] = {}

    def run(self, table: str, values: dict[str, Any], bad: frozenset[str]) -> list[Finding]:
        out: list[Finding] = []
        for k, r in enumerate(rules_of(table)):
            key = (table, k) + tuple((values.get(f), f in bad) for f in r.order)
            hit = self.seen.get(key)
            if hit is None:
                hit = []

                def emit(fld: str, code: str, why: str, value: Any = None, _hit: list = hit) -> None:
                    _hit.append((fld, code, why, value))

                r.fn(RuleRow(values, bad, r.reads), emit)
                self.seen[key] = hit
            out.extend(hit)
        return out


# ------------------------------------------------------------------ figures


def _shape(q: Any) -> str | None:
    return schemas.qualifier_shape(q) if q is not None else None


def numbers_fit_the_qualifier(row: RuleRow, emit: Emit) -> None:
    """A qualitative figure has no numbers, a range has low and high, a point has value."""
    q = row["qualifier"]
    have = {k for k in ("value", "low", "high") if row[k] is not None}
    shape = _shape(q)
    if shape == "none":
        for k in sorted(have):
            emit(
                k,
                "qualitative-numbers",
                "a qualitative figure has no numbers; empty value, low and high or change the qualifier",
            )
    elif shape == "range":
        if not {"low", "high"} <= have or "value" in have:
            for k in ("low", "high"):
                if k not in have and not row.bad(k):
                    emit(k, "range-ends", f"a {q} figure needs both low and high")
            if "value" in have:
                emit("value", "range-ends", f"a {q} figure fills low and high, not value")
    elif shape == "point":
        if "value" not in have and not row.bad("value"):
            emit("value", "point-value", f"a {q} figure needs value")
        for k in ("low", "high"):
            if k in have:
                emit(k, "point-value", f"a {q} figure fills value only, not {k}")


rule("figures", ("qualifier", "value", "low", "high"), numbers_fit_the_qualifier)


def numbers_have_a_unit(row: RuleRow, emit: Emit) -> None:
    q = row["qualifier"]
    if q and _shape(q) != "none" and row["unit"] is None and not row.bad("unit"):
        emit("unit", "unit-missing", "a figure with numbers needs a unit")


rule("figures", ("qualifier", "unit"), numbers_have_a_unit)


def _dimension(measure: Any) -> str | None:
    measures = schemas.vocabulary("measure")
    return measures[measure]["dimension"] if measure in measures else None


def unit_measures_the_measure(row: RuleRow, emit: Emit) -> None:
    unit, measure = row["unit"], row["measure"]
    units = schemas.vocabulary("unit")
    dim = _dimension(measure)
    if unit in units and dim is not None and units[unit]["dimension"] != dim:
        emit("unit", "unit-dimension", f"unit {unit} measures {units[unit]['dimension']}, but {measure} is a {dim}")


rule("figures", ("unit", "measure"), unit_measures_the_measure)


def proportions_lie_within_100(row: RuleRow, emit: Emit) -> None:
    measure = row["measure"]
    if _dimension(measure) != "proportion":
        return
    floor = -100 if schemas.measure_signed(measure) else 0
    for k in ("value", "low", "high"):
        v = row[k]
        if v is not None and not floor <= v <= 100:
            emit(k, "proportion-range", f"a proportion must lie between {floor} and 100 %")


rule("figures", ("measure", "value", "low", "high"), proportions_lie_within_100)


def value_lies_within_low_and_high(row: RuleRow, emit: Emit) -> None:
    lo, hi, val = row["low"], row["high"], row["value"]
    if lo is not None and hi is not None and lo > hi:
        emit("low", "value-order", f"low {fmt(lo)} is greater than high {fmt(hi)}")
    if val is not None and ((lo is not None and lo > val) or (hi is not None and hi < val)):
        emit("value", "value-order", f"value {fmt(val)} lies outside low–high")


rule("figures", ("value", "low", "high"), value_lies_within_low_and_high)


def value_text_agrees(row: RuleRow, emit: Emit) -> None:
    """value_text holds the figure's numbers, worded as its qualifier says."""
    text, q, unit = row["value_text"], row["qualifier"], row["unit"]
    if text is None or q is None or row.bad("value", "low", "high", "qualifier", "unit"):
        return
    p = parse_figure_text(text)
    shape = _shape(q)
    if shape == "none":
        if p.numbers:
            emit(
                "value_text",
                "text-mismatch",
                f"value_text holds the number(s) {', '.join(fmt(n) for n in p.numbers)} but qualifier is qualitative",
            )
        return
    expected = [row["low"], row["high"]] if shape == "range" else [row["value"]]
    if None in expected:
        return  # the shape is wrong: reported by point-value / range-ends
    if not p.numbers:
        emit(
            "value_text",
            "text-mismatch",
            f"value_text holds no number, but the figure is {q} {', '.join(fmt(e) for e in expected)}",
        )
        return
    printed = []
    for n, frac in zip(p.numbers, p.fractions):
        printed.append((n * 100 if frac and unit == "%" else n, 0.5 if frac else 1e-9 * max(1.0, abs(n))))
    agree = len(printed) == len(expected) and all(abs(e - n) <= tol for e, (n, tol) in zip(expected, printed))
    if not agree and len(expected) == 2 and len(printed) > 2:
        # a list read as a range: "3, 4, or even 5" is low 3, high 5
        lo_p, hi_p = min(printed), max(printed)
        agree = abs(lo_p[0] - expected[0]) <= lo_p[1] and abs(hi_p[0] - expected[1]) <= hi_p[1]
    if not agree:
        shown = ", ".join(fmt(round(n, 4)) for n, _ in printed)
        want = ", ".join(fmt(e) for e in expected)
        emit("value_text", "text-mismatch", f"value_text says {shown} but the numbers are {want}")
        return
    # a wording no qualifier claims (none of the vocabulary's reads_as) agrees with every one
    if p.hint and p.hint in _wordings() and p.hint not in schemas.qualifier_reads_as(q):
        emit("qualifier", "qualifier-mismatch", f"value_text reads as {p.hint}, not {q}")


rule("figures", ("value_text", "qualifier", "unit", "value", "low", "high"), value_text_agrees)


def _wordings() -> frozenset[str]:
    return frozenset().union(*(schemas.qualifier_reads_as(c) for c in schemas.vocabulary("qualifier")))


_TIMEPOINTS = (("timepoint", "timepoint_end"), ("timepoint_sessions", "timepoint_sessions_end"))


def time_points_in_order(row: RuleRow, emit: Emit) -> None:
    for start, end in _TIMEPOINTS:
        a, b = row[start], row[end]
        if b is not None and a is None and not row.bad(start):
            emit(end, "timepoint-end-alone", f"{end} needs {start}")
        elif a is not None and b is not None:
            da = duration_days(a) if start == "timepoint" else a
            db = duration_days(b) if start == "timepoint" else b
            if da is not None and db is not None and da > db:
                emit(end, "timepoint-order", f"{end} {b} is before {start} {a}")


rule("figures", ("timepoint", "timepoint_end", "timepoint_sessions", "timepoint_sessions_end"), time_points_in_order)


def time_points_have_an_anchor(row: RuleRow, emit: Emit) -> None:
    has_tp = row["timepoint"] is not None or row["timepoint_sessions"] is not None
    if has_tp and row["timepoint_anchor"] is None and not row.bad("timepoint_anchor"):
        emit("timepoint_anchor", "anchor-missing", "a time-point needs timepoint_anchor (what it is counted from)")
    if not has_tp and row["timepoint_anchor"] is not None and not row.bad("timepoint", "timepoint_sessions"):
        emit("timepoint_anchor", "anchor-alone", "timepoint_anchor is set but no time-point is")


rule("figures", ("timepoint", "timepoint_sessions", "timepoint_anchor"), time_points_have_an_anchor)


def _required_by_measures() -> tuple[str, ...]:
    needs = sorted({r["requires"] for r in schemas.vocabulary("measure").values() if r.get("requires")})
    return ("measure", *needs)


def measure_has_what_it_requires(row: RuleRow, emit: Emit) -> None:
    measure = row["measure"]
    measures = schemas.vocabulary("measure")
    if measure in measures:
        need = measures[measure].get("requires") or ""
        if need and row[need] is None and not row.bad(need):
            code = "event-missing" if need == "event" else "comparator-missing"
            emit(need, code, f"{measure} needs {need}")


rule("figures", _required_by_measures, measure_has_what_it_requires)


# ------------------------------------------------------------------ sources


def snapshot_has_its_hash(row: RuleRow, emit: Emit) -> None:
    if row["snapshot"] is not None and row["snapshot_sha256"] is None and not row.bad("snapshot_sha256"):
        emit("snapshot_sha256", "snapshot-hash-missing", "snapshot is set, so snapshot_sha256 is required")


rule("sources", ("snapshot", "snapshot_sha256"), snapshot_has_its_hash)
