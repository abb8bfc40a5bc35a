"""DATA_DICTIONARY.md, written from schemas/ alone."""
from __future__ import annotations

from . import _schema

VOCAB_USERS_NOTE = "Codes are never renamed or deleted once published; new ones are added when a real figure needs them."


def _constraints(f: _schema.Field) -> str:
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
    out = ["# Data dictionary\n\n",
           "Every table, field, type and constraint of the dataset, and every code of its vocabularies. "
           "Generated from `schemas/` by `python -m ketamine_ssri_evidence docs`; do not edit by hand.\n\n"]
    out.append("## Tables\n\n| table | how it is made | what a row is |\n|---|---|---|\n")
    for name in _schema.table_names():
        t = _schema.table(name)
        how = f"contributed as `raw/<source_id>/{t.raw_file}`" if t.raw_file else "computed by the build"
        out.append(f"| [{name}](#table-{name.replace('_', '-')}) | {how} | {_cell(t.description)} |\n")
    for name in _schema.table_names():
        t = _schema.table(name)
        out.append(f"\n## Table {name}\n\n{t.description}\n\n")
        out.append(f"Primary key: {', '.join(f'`{k}`' for k in t.primary_key)}.")
        if t.foreign_keys:
            refs = "; ".join(f"`{f}` → `{rt}.{rf}`" for f, rt, rf in t.foreign_keys)
            out.append(f" Foreign keys: {refs}.")
        out.append("\n\n| field | type | constraints | description |\n|---|---|---|---|\n")
        for f in t.fields:
            out.append(f"| `{f.name}` | {f.type} | {_cell(_constraints(f))} | {_cell(f.description)} |\n")
    comp = _schema.comparison()
    out.append("\n## Comparison key\n\n" + _cell(comp["description"]) + "\n\n| field | match |\n|---|---|\n")
    for k in comp["key"]:
        how = "must be equal" if k["match"] == "equal" else f"equal, or unspecified (`{k.get('unspecified') or 'empty'}`) on one side"
        out.append(f"| `{k['field']}` | {how} |\n")
    out.append(f"\nRounding: {comp['rounding']} {comp['approx_note']} "
               f"(approx_relative_tolerance = {comp['approx_relative_tolerance']}).\n")
    out.append(f"\n## Vocabularies\n\n{VOCAB_USERS_NOTE}\n")
    for v in _schema.vocabulary_names():
        codes = _schema.vocabulary(v)
        extra = [c for c in next(iter(codes.values())) if c not in ("code", "label", "definition")]
        out.append(f"\n### Vocabulary {v}\n\n| code | label | definition |{''.join(f' {c} |' for c in extra)}\n")
        out.append("|---|---|---|" + "---|" * len(extra) + "\n")
        for code, row in codes.items():
            out.append(f"| `{_cell(code)}` | {_cell(row['label'])} | {_cell(row['definition'])} |"
                       + "".join(f" {_cell(row[c])} |" for c in extra) + "\n")
    return "".join(out)
