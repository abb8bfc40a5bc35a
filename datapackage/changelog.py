"""CHANGELOG.md: one entry per release, its human summary plus what the diff shows."""

from __future__ import annotations

import os
from collections import Counter

from .releases import releases
from .table_diff import diff_all


def _source_counts(ids) -> str:
    c = Counter(i.split("/")[0] for i in ids)
    return ", ".join(f"{s} {n}" for s, n in sorted(c.items()))


def _per_source(table: str) -> bool:
    """A contributed table whose rows belong to a source (ids ``<source_id>/...``): counted by source."""
    from . import schemas

    t = schemas.table(table) if table in schemas.table_names() else None
    return t is not None and not t.computed and any(ref == "sources" for _, ref, _ in t.foreign_keys)


def changelog(root: str | os.PathLike | None = None) -> str:
    """CHANGELOG.md's text: every release, newest first, with its summary and its diff."""
    rels = releases()
    out = [
        "# Changelog\n\n",
        "Every release of the dataset, newest first. Each entry is the release's summary from "
        "`schemas/package.json` followed by what `python -m ketamine_ssri_evidence diff` finds against the "
        "previous release. Regenerate with `python -m ketamine_ssri_evidence changelog`.\n",
    ]
    for i in range(len(rels) - 1, -1, -1):
        r = rels[i]
        out.append(f"\n## {r['version']} ({r['date']})\n\n{r['summary']}\n")
        if i == 0:
            from .loader import release_dir
            from .table_diff import _rows

            figs = _rows(release_dir(r["version"], root), "figures", "figure_id")
            out.append(f"\n- figures: {len(figs)} ({_source_counts(figs)})\n")
            continue
        schema: list[str] = []
        for d in diff_all(rels[i - 1]["version"], r["version"], root):
            table = d["table"]
            line = f"\n- {table}: {len(d['added'])} added, {len(d['removed'])} removed, {len(d['changed'])} changed"
            per_source = _per_source(table)
            if per_source and d["added"]:
                line += f" (added by source: {_source_counts(d['added'])})"
            if per_source and d["removed"]:
                line += f"; removed: {', '.join(d['removed'])}"
            out.append(line + "\n")
            schema = d["schema"]
        if schema:
            out.append("\n- schema changes:\n")
            out.extend(f"  - {s}\n" for s in schema)
    return "".join(out)
