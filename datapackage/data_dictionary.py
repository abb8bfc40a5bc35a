"""DATA_DICTIONARY.md, written from schemas/ alone."""

from __future__ import annotations

from . import schemas

VOCAB_USERS_NOTE = (
    "Codes are never renamed or deleted once published; new ones are added when a real figure needs them."
)


def _constraints(f: schemas.Field) -> str:
    parts = []
    if f.required:
        parts.append("required")
    if f.unique:
        parts.append("unique")
    if f.vocabulary:
        parts.append(f"code from [{f.vocabulary}](#vocabulary-{f.vocabulary.replace('_', '-')})")
    if f.pattern:
        parts.append(f"pattern `{f.pattern}`")
    if f.minimum is not None:
        parts.append(f"≥ {f.minimum:g}")
    if f.maximum is not None:
        parts.append(f"≤ {f.maximum:g}")
    if f.max_length is not None:
        parts.append(f"at most {f.max_length} characters")
    if f.derived:
        parts.append("derived by the build")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def data_dictionary() -> str:
    out = [
        "# Data dictionary\n\n",
        "Every table, field, type and constraint of the dataset, and every code of its vocabularies. "
        "Generated from `schemas/` by `python -m ketamine_ssri_evidence docs`; do not edit by hand.\n\n",
    ]
    out.append("## Tables\n\n| table | how it is made | what a row is |\n|---|---|---|\n")
    for name in schemas.table_names():
        t = schemas.table(name)
        how = f"contributed as `raw/<source_id>/{t.raw_file}`" if t.raw_file else "computed by the build"
        out.append(f"| [{name}](#table-{name.replace('_', '-')}) | {how} | {_cell(t.description)} |\n")
    for name in schemas.table_names():
        t = schemas.table(name)
        out.append(f"\n## Table {name}\n\n{t.description}\n\n")
        out.append(f"Primary key: {', '.join(f'`{k}`' for k in t.primary_key)}.")
        if t.foreign_keys:
            refs = "; ".join(f"`{f}` → `{rt}.{rf}`" for f, rt, rf in t.foreign_keys)
            out.append(f" Foreign keys: {refs}.")
        out.append("\n\n| field | type | constraints | description |\n|---|---|---|---|\n")
        for f in t.fields:
            out.append(f"| `{f.name}` | {f.type} | {_cell(_constraints(f))} | {_cell(f.description)} |\n")
    comp = schemas.comparison()
    out.append("\n## Comparison key\n\n" + _cell(comp["description"]) + "\n\n| field | match |\n|---|---|\n")
    for k in comp["key"]:
        how = (
            "must be equal"
            if k["match"] == "equal"
            else f"equal, or unspecified (`{k.get('unspecified') or 'empty'}`) on one side"
        )
        out.append(f"| `{k['field']}` | {how} |\n")
    out.append(
        f"\nRounding: {comp['rounding']} {comp['approx_note']} "
        f"(approx_relative_tolerance = {comp['approx_relative_tolerance']}).\n"
    )
    out.append(f"\n## Vocabularies\n\n{VOCAB_USERS_NOTE}\n")
    for v in schemas.vocabulary_names():
        codes = schemas.vocabulary(v)
        extra = [c for c in next(iter(codes.values())) if c not in ("code", "label", "definition")]
        out.append(f"\n### Vocabulary {v}\n\n| code | label | definition |{''.join(f' {c} |' for c in extra)}\n")
        out.append("|---|---|---|" + "---|" * len(extra) + "\n")
        for code, row in codes.items():
            out.append(
                f"| `{_cell(code)}` | {_cell(row['label'])} | {_cell(row['definition'])} |"
                + "".join(f" {_cell(row[c])} |" for c in extra)
                + "\n"
            )
    return "".join(out)


# ------------------------------------------------------------------ the README's counts

COUNTS_BEGIN = (
    "<!-- counts: generated from the current release by `python -m ketamine_ssri_evidence docs`; do not edit -->"
)
COUNTS_END = "<!-- end of counts -->"


def _csv_rows(folder, table: str) -> list[dict[str, str]]:
    import csv

    path = folder / f"{table}.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _tally(values, vocab: str | None = None) -> str:
    from collections import Counter

    c = Counter(values)
    order = list(schemas.vocabulary(vocab)) if vocab else sorted(c)
    label = (lambda code: schemas.vocabulary(vocab)[code]["label"].lower()) if vocab else str
    return ", ".join(f"{label(k)} {c[k]}" for k in order + sorted(set(c) - set(order)) if c.get(k))


def readme_counts(version: str | None = None, root=None) -> str:
    """The README's block of counts (figures per source, computed tables) of a release."""
    from collections import Counter

    from .loader import current_version, release_dir

    version = version or current_version(root)
    folder = release_dir(version, root, download=False)
    sources, figures = _csv_rows(folder, "sources"), _csv_rows(folder, "figures")
    per = Counter(f["source_id"] for f in figures)
    articles = [s for s in sources if s.get("resolution") == "archived"]
    cited = [s for s in sources if s.get("resolution") != "archived"]
    n_art = sum(per[s["source_id"]] for s in articles)
    lines = [
        COUNTS_BEGIN,
        "",
        f"Release **{version}** holds **{len(figures)} figures** from **{len(sources)} sources**: "
        f"{n_art} figures from the {len(articles)} archived web articles and "
        f"{len(figures) - n_art} from {len(cited)} other documents (the studies and pages they cite, and "
        "related pages).",
    ]
    claims, pairs = _csv_rows(folder, "claim_checks"), _csv_rows(folder, "contradictions")
    if claims or pairs:
        headline = set(schemas.comparison()["contradiction_rules"]["headline_severities"])
        counted = [r for r in pairs if r["severity"] in headline]
        lower = [r for r in pairs if r["severity"] not in headline]
        reviewed = [r for r in claims if r.get("reviewed_verdict")]
        text = (
            f" The computed tables: **claim_checks** has {len(claims)} rows "
            f"({_tally((r['verdict'] for r in claims), 'verdict')}"
        )
        if reviewed:
            text += (
                f"; {len(reviewed)} also reviewed, final verdicts: "
                f"{_tally((r.get('final_verdict') or r['verdict'] for r in claims), 'verdict')}"
            )
        text += (
            f"); **contradictions** has {len(counted)} contradictions "
            f"({_tally((r['severity'] for r in counted), 'severity')})"
        )
        if lower:
            text += f" and {len(lower)} rows of a lower class ({_tally((r['severity'] for r in lower), 'severity')})"
        lines[-1] += text + "."
    lines += ["", "| source | figures | what it is |", "|---|---:|---|"]
    for s in sorted(articles, key=lambda s: (-per[s["source_id"]], s["source_id"])):
        what = s.get("title", "") + (f" — {s['publisher']}" if s.get("publisher") else "")
        lines.append(f"| `{s['source_id']}` | {per[s['source_id']]} | {_cell(what)} |")
    resolution = schemas.vocabulary("resolution")
    for code, row in resolution.items():
        group = [s for s in cited if s.get("resolution") == code]
        if group:
            n = sum(per[s["source_id"]] for s in group)
            kinds = _tally((s["kind"] for s in group), "source_kind")
            lines.append(f"| {len(group)} cited sources: {row['label'].lower()} | {n} | {kinds} |")
    return "\n".join(lines + ["", COUNTS_END])


def with_readme_counts(readme: str, block: str) -> str:
    """``readme`` with its counts block replaced by ``block``; ValueError if it has no block."""
    start, end = readme.find(COUNTS_BEGIN), readme.find(COUNTS_END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no block of counts (the lines {COUNTS_BEGIN!r} and {COUNTS_END!r})")
    return readme[:start] + block + readme[end + len(COUNTS_END) :]
