"""Compare two releases: figures added, removed and changed, and schema changes."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .loading import release_dir


def _folder(v: str, root=None) -> Path:
    """A release folder: a path to one (holding datapackage.json), or a version number."""
    p = Path(v)
    if (p / "datapackage.json").is_file():
        return p
    return release_dir(v, root)


def _rows(folder: Path, table: str, key: str) -> dict[str, dict[str, str]]:
    path = folder / f"{table}.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {r[key]: r for r in csv.DictReader(f)}


def _schemas(folder: Path) -> dict[str, dict]:
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: r.get("schema", {}) for r in desc["resources"] if r.get("format") == "csv"}


def _schema_changes(old: dict[str, dict], new: dict[str, dict]) -> list[str]:
    out = []
    for t in sorted(set(old) | set(new)):
        if t not in old:
            out.append(f"table {t}: added")
            continue
        if t not in new:
            out.append(f"table {t}: removed")
            continue
        of = {f["name"]: f for f in old[t].get("fields", [])}
        nf = {f["name"]: f for f in new[t].get("fields", [])}
        for name in nf:
            if name not in of:
                out.append(f"{t}.{name}: field added ({nf[name].get('type', 'string')})")
        for name in of:
            if name not in nf:
                out.append(f"{t}.{name}: field removed")
        for name in sorted(set(of) & set(nf)):
            a, b = of[name], nf[name]
            if a.get("type") != b.get("type"):
                out.append(f"{t}.{name}: type {a.get('type')} → {b.get('type')}")
            ac, bc = a.get("constraints", {}), b.get("constraints", {})
            ea, eb = ac.get("enum"), bc.get("enum")
            if ea is not None and eb is not None:
                added, removed = [c for c in eb if c not in ea], [c for c in ea if c not in eb]
                if added:
                    out.append(f"{t}.{name}: codes added: {', '.join(added)}")
                if removed:
                    out.append(f"{t}.{name}: codes removed: {', '.join(removed)}")
            for k in sorted((set(ac) | set(bc)) - {"enum"}):
                if ac.get(k) != bc.get(k):
                    out.append(f"{t}.{name}: constraint {k} {ac.get(k)!r} → {bc.get(k)!r}")
        if old[t].get("primaryKey") != new[t].get("primaryKey"):
            out.append(f"table {t}: primary key {old[t].get('primaryKey')} → {new[t].get('primaryKey')}")
    return out


def diff(v1: str, v2: str, table: str = "figures", key: str = "figure_id", root=None) -> dict:
    """``{"added": [...], "removed": [...], "changed": {id: {field: (old, new)}}, "schema": [...]}``."""
    a, b = _folder(v1, root), _folder(v2, root)
    old, new = _rows(a, table, key), _rows(b, table, key)
    changed = {}
    for k in sorted(set(old) & set(new)):
        fields = {f: (old[k].get(f, ""), new[k].get(f, "")) for f in sorted(set(old[k]) | set(new[k]))
                  if old[k].get(f, "") != new[k].get(f, "")}
        if fields:
            changed[k] = fields
    return {
        "from": v1, "to": v2, "table": table,
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": changed,
        "schema": _schema_changes(_schemas(a), _schemas(b)),
    }


def render(d: dict, limit: int | None = None) -> str:
    buf = io.StringIO()
    w = buf.write
    w(f"{d['table']} {d['from']} → {d['to']}: {len(d['added'])} added, {len(d['removed'])} removed, "
      f"{len(d['changed'])} changed; {len(d['schema'])} schema changes\n")
    for title, items in (("added", d["added"]), ("removed", d["removed"])):
        if items:
            w(f"\n{title}:\n")
            for k in items[:limit]:
                w(f"  {k}\n")
            if limit and len(items) > limit:
                w(f"  ... and {len(items) - limit} more\n")
    if d["changed"]:
        w("\nchanged:\n")
        for i, (k, fields) in enumerate(d["changed"].items()):
            if limit and i >= limit:
                w(f"  ... and {len(d['changed']) - limit} more\n")
                break
            w(f"  {k}\n")
            for f, (o, n) in fields.items():
                w(f"    {f}: {o or '∅'} → {n or '∅'}\n")
    if d["schema"]:
        w("\nschema:\n")
        for s in d["schema"]:
            w(f"  {s}\n")
    return buf.getvalue()
