"""Read the Table Schema JSON and vocabulary files under ``schemas/``.

Everything the validator, the build, the loader and the docs know about tables, fields,
codes and units comes from here. Standard library only, so that ``import ketamine_ssri_evidence``
stays light.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# In a checkout the project root holds schemas/, raw/ and build/; an installed wheel carries
# schemas/ and the current release under ketamine_ssri_evidence/_data/ (the wheel) instead.
ROOT = _PACKAGE.parent if (_PACKAGE.parent / "schemas" / "package.json").is_file() else _PACKAGE / "_data"
SCHEMAS = ROOT / "schemas"
VOCAB_DIR = SCHEMAS / "vocab"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    title: str = ""
    description: str = ""
    required: bool = False
    unique: bool = False
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    vocabulary: str | None = None
    derived: bool = False
    format: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...]  # (field, table, field)
    raw_file: str | None  # None for a table the build computes
    raw_format: str | None  # "csv" (many rows) or "yaml" (one record)
    computed: str | None = None  # name of the build step that computes the table
    descriptor: dict = field(repr=False, compare=False, default_factory=dict)

    @property
    def raw_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.derived)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _field(d: dict) -> Field:
    c = d.get("constraints", {})
    return Field(
        name=d["name"],
        type=d.get("type", "string"),
        title=d.get("title", ""),
        description=d.get("description", ""),
        required=bool(c.get("required", False)),
        unique=bool(c.get("unique", False)),
        pattern=c.get("pattern"),
        minimum=c.get("minimum"),
        maximum=c.get("maximum"),
        max_length=c.get("maxLength"),
        vocabulary=d.get("vocabulary"),
        derived=bool(d.get("derived", False)),
        format=d.get("format"),
    )


@lru_cache(maxsize=None)
def table(name: str) -> Table:
    path = SCHEMAS / f"{name}.schema.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    fks = tuple(
        (fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0]) for fk in d.get("foreignKeys", [])
    )
    raw = d.get("raw") or {}
    return Table(
        name=name,
        description=d.get("description", ""),
        fields=tuple(_field(f) for f in d["fields"]),
        primary_key=tuple(d.get("primaryKey", [])),
        foreign_keys=fks,
        raw_file=raw.get("file"),
        raw_format=raw.get("format"),
        computed=d.get("computed"),
        descriptor=d,
    )


@lru_cache(maxsize=None)
def table_names() -> tuple[str, ...]:
    """All tables with a schema, referenced tables before the tables that reference them."""
    names = sorted(p.name[: -len(".schema.json")] for p in SCHEMAS.glob("*.schema.json"))
    ordered: list[str] = []

    def visit(n: str, seen: tuple[str, ...] = ()) -> None:
        if n in ordered or n in seen:
            return
        for _, ref, _ in table(n).foreign_keys:
            if ref != n:
                visit(ref, seen + (n,))
        ordered.append(n)

    for n in names:
        visit(n)
    return tuple(ordered)


def contributed_table_names() -> tuple[str, ...]:
    """Tables contributed under raw/ (the others are computed by the build)."""
    return tuple(n for n in table_names() if table(n).raw_file)


@lru_cache(maxsize=None)
def comparison() -> dict:
    """The comparison key and tolerances of schemas/comparison.json."""
    return json.loads((SCHEMAS / "comparison.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def vocabulary(name: str) -> dict[str, dict[str, str]]:
    """Codes of one vocabulary file, in file order: ``{code: row}``."""
    path = VOCAB_DIR / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


@lru_cache(maxsize=None)
def vocabulary_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in VOCAB_DIR.glob("*.csv")))


def unit_factor(unit: str) -> float:
    return float(vocabulary("unit")[unit]["factor"])


def measure_dimension(measure: str) -> str:
    return vocabulary("measure")[measure]["dimension"]


# ------------------------------------------------------------------ facts of the vocabularies
# What a qualifier means (shape, bound, hedge, which wordings of value_text it agrees with)
# and which measures are contrasts or may be negative are columns of schemas/vocab/*.csv;
# every module reads them through these functions.


@lru_cache(maxsize=None)
def qualifiers_of_shape(shape: str) -> tuple[str, ...]:
    """The qualifier codes whose ``shape`` is ``point``, ``range`` or ``none`` (qualitative)."""
    return tuple(c for c, r in vocabulary("qualifier").items() if r["shape"] == shape)


def qualifier_shape(code: str | None) -> str | None:
    """``point``, ``range`` or ``none`` for a qualifier code; None for an unknown code."""
    row = vocabulary("qualifier").get(code or "")
    return row["shape"] if row else None


def qualifier_bound(code: str | None) -> str | None:
    """``upper`` (up to, at most), ``lower`` (at least), or None when the figure is no bound."""
    row = vocabulary("qualifier").get(code or "")
    return (row["bound"] or None) if row else None


def qualifier_hedged(code: str | None) -> bool:
    """Whether the qualifier hedges its numbers (about, roughly)."""
    row = vocabulary("qualifier").get(code or "")
    return row is not None and row["hedged"] == "true"


def qualifier_reads_as(code: str) -> frozenset[str]:
    """The wordings of value_text (the hints ``figure_text.parse`` finds) the qualifier agrees with."""
    return frozenset(vocabulary("qualifier")[code]["reads_as"].split())


@lru_cache(maxsize=None)
def bound_qualifiers() -> tuple[str, ...]:
    return tuple(c for c in vocabulary("qualifier") if qualifier_bound(c))


@lru_cache(maxsize=None)
def contrast_measures() -> tuple[str, ...]:
    """Measures stated against a comparator (effect sizes, ratios, differences)."""
    return tuple(c for c, r in vocabulary("measure").items() if r["contrast"] == "true")


def measure_signed(measure: str | None) -> bool:
    """Whether a measure's values may be negative (a difference of rates, an effect size)."""
    row = vocabulary("measure").get(measure or "")
    return row is not None and row["signed"] == "true"
