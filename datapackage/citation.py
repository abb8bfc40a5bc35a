"""CITATION.cff, generated: how to cite the dataset, and the documents its figures come from.

    citation_cff()                 # the current release
    citation_cff("0.3.0", "2026-12-01")

The dataset's own entry comes from ``schemas/package.json``; ``references`` lists every source
of ``raw/*/source.yaml`` that was identified (the archived articles, and the studies and other
documents they cite), with its title, authors, year, DOI and address. Citations that could
not be resolved to a document are left out: there is nothing to reference.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import schemas
from .releases import current_release, package_metadata

MESSAGE = "If you use this dataset, please cite it as below, with the version you used."
ABSTRACT = (
    "Every figure that web articles and the studies they cite state about ketamine therapy "
    "versus SSRI antidepressants for depression, exactly as printed and where it is printed, "
    "normalised to codes for measure, treatment, route, population, unit and time-point, and "
    "released as versioned Parquet and CSV tables with a Frictionless Data Package descriptor."
)
# CFF reference types for the kinds of source (schemas/vocab/source_kind.csv); others: generic
REFERENCE_TYPES = {
    "web_article": "webpage",
    "report": "report",
    "rct": "article",
    "cohort": "article",
    "chart_review": "article",
    "meta_analysis": "article",
    "systematic_review": "article",
}


def _q(text) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _person(name: str) -> dict | None:
    """'Andrade C' -> family and given names; 'et al.' -> None (CFF has no way to say it)."""
    name = name.strip()
    if not name or name.rstrip(".").lower() in ("et al", "et. al"):
        return None
    parts = name.rsplit(" ", 1)
    if len(parts) == 2 and parts[1].isupper():
        return {"family-names": parts[0], "given-names": parts[1]}
    return {"name": name}


def _sources(raw_dir=None) -> list[dict]:
    import yaml

    raw = Path(raw_dir) if raw_dir is not None else schemas.ROOT / "raw"
    out = []
    for path in sorted(raw.glob("*/source.yaml")):
        s = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if s.get("resolution") != "unresolved" and s.get("title"):
            out.append(s)
    return out


def _reference(s: dict) -> list[str]:
    authors = [p for p in (_person(a) for a in (s.get("authors") or [])) if p]
    if not authors:  # CFF requires authors: the publisher stands in, as the page names no person
        authors = [{"name": s.get("publisher") or "Unknown"}]
    lines = [
        f"  - type: {REFERENCE_TYPES.get(str(s.get('kind')), 'generic')}",
        f"    title: {_q(s['title'])}",
        "    authors:",
    ]
    for a in authors:
        keys = list(a)
        lines.append(f"      - {keys[0]}: {_q(a[keys[0]])}")
        lines += [f"        {k}: {_q(a[k])}" for k in keys[1:]]
    published = str(s.get("published") or "")
    if published[:4].isdigit():
        lines.append(f"    year: {int(published[:4])}")
    if s.get("publisher") and REFERENCE_TYPES.get(str(s.get("kind"))) == "article":
        lines.append(f"    journal: {_q(s['publisher'])}")
    elif s.get("publisher"):
        lines.append(f"    publisher:\n      name: {_q(s['publisher'])}")
    if s.get("doi"):
        lines.append(f"    doi: {_q(s['doi'])}")
    if s.get("url"):
        lines.append(f"    url: {_q(s['url'])}")
    return lines


def citation_cff(version: str | None = None, date: str | None = None, raw_dir=None) -> str:
    """The text of CITATION.cff for release ``version`` released on ``date`` (default: the current release)."""
    meta = package_metadata()
    if version is None or date is None:
        release = current_release() if version is None else next(r for r in meta["releases"] if r["version"] == version)
        version, date = version or release["version"], date or release["date"]
    lines = [
        "cff-version: 1.2.0",
        f"message: {_q(MESSAGE)}",
        "type: dataset",
        f"title: {_q(meta['title'])}",
        "abstract: >-",
    ]
    words, line = ABSTRACT.split(), "  "
    for w in words:
        if len(line) + len(w) > 92:
            lines.append(line.rstrip())
            line = "  "
        line += w + " "
    lines.append(line.rstrip())
    lines.append("authors:")
    for c in meta.get("contributors") or [{"title": "The contributors"}]:
        lines.append(f"  - name: {_q(c['title'])}")
    lines += [f"version: {_q(version)}", f"date-released: {_q(date)}"]
    if meta.get("id"):
        lines += [
            "identifiers:",
            "  - type: other",
            f"    value: {_q(meta['id'])}",
            '    description: "The identifier of the dataset across its versions (Data Package id)."',
        ]
    if meta.get("homepage"):
        lines.append(f"url: {_q(meta['homepage'])}")
    data_licence = next((lic["name"] for lic in meta.get("licenses", []) if lic["name"].startswith("CC")), None)
    if data_licence:
        lines.append(f"license: {data_licence}")
    lines.append("keywords:")
    lines += [f"  - {k}" for k in meta.get("keywords", [])]
    refs = _sources(raw_dir)
    if refs:
        lines.append("references:")
        for s in refs:
            lines += _reference(s)
    return "\n".join(lines) + "\n"
