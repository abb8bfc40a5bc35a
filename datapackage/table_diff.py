"""Compare two releases: rows added, removed and changed by each table's full primary key,
and schema changes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .loader import release_dir

KEY_JOIN = " | "  # how the values of a key of several fields are shown as one string


class DiffError(LookupError):
    """A release folder or one of its files cannot be read."""


def _folder(v: str | Path, root=None) -> Path:
    """A release folder: a path to one (holding datapackage.json), or a version number."""
    p = Path(v)
    if (p / "datapackage.json").is_file():
        return p
    return release_dir(str(v), root)


def _descriptor(folder: Path) -> dict:
    try:
        return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise DiffError(f"{folder / 'datapackage.json'}: cannot be read ({e})") from None


def _schemas(folder: Path) -> dict[str, dict]:
    desc = _descriptor(folder)
    return {r["name"]: r.get("schema", {}) for r in desc.get("resources", []) if r.get("format") == "csv"}


def primary_key(folder: Path, table: str) -> list[str]:
    """The table's primary key, from the release's own Table Schema (else from schemas/)."""
    pk = _schemas(folder).get(table, {}).get("primaryKey")
    if not pk:
        from . import schemas

        try:
            pk = list(schemas.table(table).primary_key)
        except Exception:  # a table schemas/ no longer has
            pk = []
    return [pk] if isinstance(pk, str) else list(pk)


def _rows(folder: Path, table: str, key: str | list[str] | tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The rows of ``table``'s CSV, by the values of ``key`` (joined with ``KEY_JOIN``)."""
    key = [key] if isinstance(key, str) else list(key)
    path = folder / f"{table}.csv"
    if not path.is_file():
        return {}
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DiffError(f"{path}: cannot be read ({e})") from None
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        if any(k not in r for k in key):
            raise DiffError(f"{path}: has no column {', '.join(k for k in key if k not in r)} of the key")
        out[KEY_JOIN.join(r[k] for k in key)] = r
    return out


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


def diff(v1: str | Path, v2: str | Path, table: str = "figures", key: str | list[str] | None = None, root=None) -> dict:
    """Rows of ``table`` added, removed and changed from release ``v1`` to ``v2``.

    ``v1``/``v2`` are versions or release folders. Rows are matched by ``key`` (default: the
    table's full primary key, read from ``v2``'s Table Schema). Returns ``{"from", "to",
    "table", "key": [fields], "added": [key], "removed": [key], "changed": {key: {field:
    (old, new)}}, "schema": [every schema change of the release]}``; a key of several fields
    is shown as its values joined by ``" | "``.
    """
    a, b = _folder(v1, root), _folder(v2, root)
    key = primary_key(b, table) if key is None else ([key] if isinstance(key, str) else list(key))
    old, new = _rows(a, table, key), _rows(b, table, key)
    changed = {}
    for k in sorted(set(old) & set(new)):
        fields = {
            f: (old[k].get(f, ""), new[k].get(f, ""))
            for f in sorted(set(old[k]) | set(new[k]))
            if old[k].get(f, "") != new[k].get(f, "")
        }
        if fields:
            changed[k] = fields
    return {
        "from": str(v1),
        "to": str(v2),
        "table": table,
        "key": key,
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": changed,
        "schema": _schema_changes(_schemas(a), _schemas(b)),
    }


def table_names(v1: str | Path, v2: str | Path, root=None) -> list[str]:
    """Every table of either release, in the newer release's order, then removed ones."""
    a, b = _schemas(_folder(v1, root)), _schemas(_folder(v2, root))
    return list(b) + [t for t in a if t not in b]


def diff_all(v1: str | Path, v2: str | Path, root=None) -> list[dict]:
    """:func:`diff` of every table of either release (computed tables included)."""
    return [diff(v1, v2, t, root=root) for t in table_names(v1, v2, root)]


def headline(d: dict) -> str:
    return (
        f"{d['table']} {d['from']} → {d['to']}: {len(d['added'])} added, {len(d['removed'])} removed, "
        f"{len(d['changed'])} changed"
    )


def render(d: dict, limit: int | None = None, schema: bool = True) -> str:
    """The diff as text: a headline, then every key added, removed and changed (each changed
    field as old → new, ∅ for empty) and the schema changes. ``limit`` caps each list."""
    buf = io.StringIO()
    w = buf.write
    head = headline(d)
    if schema:
        head += f"; {len(d['schema'])} schema changes"
    w(f"{head} (key: {', '.join(d['key'])})\n")
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
    if schema and d["schema"]:
        w("\nschema:\n")
        for s in d["schema"]:
            w(f"  {s}\n")
    return buf.getvalue()


def render_all(diffs: list[dict], limit: int | None = None) -> str:
    """Every table's diff, then the schema changes once."""
    parts = [render(d, limit, schema=False) for d in diffs]
    schema = diffs[0]["schema"] if diffs else []
    tail = "schema: no changes\n" if not schema else "schema:\n" + "".join(f"  {s}\n" for s in schema)
    return "\n".join(parts + [tail])
