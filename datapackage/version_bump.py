"""Which version a change needs: the kind of change a diff shows, and the next versions.

The rule (also in the README, "Versions"):

- **major**: something a user's code can rely on is gone or different: a table or field
  removed (a rename is a removal plus an addition), a field's type changed, a code
  removed, a primary key changed;
- **minor**: more data or more description: rows added to or removed from a contributed
  table (sources, figures), a table, field, code or release file added, a constraint
  changed; it may also correct;
- **patch**: corrections only: values of existing rows changed, rows of the computed tables
  (claim_checks, contradictions) added or removed as a consequence, descriptions changed.

While the major version is 0, a minor release may also make major changes. A release
may be of a larger kind than its changes need (a minor release of corrections), except
that a major release needs a major change (or is 1.0.0, the first stable release).
"""

from __future__ import annotations

from pathlib import Path

from .release_metadata import parse_version

KINDS = ("patch", "minor", "major")
RANK = {k: i for i, k in enumerate(KINDS)}


def _schema_kind(line: str) -> str:
    """The kind of one line of :func:`.diff._schema_changes`."""
    what = line.split(": ", 1)[1] if ": " in line else line
    if what in ("removed", "field removed") or what.startswith(("type ", "codes removed", "primary key ")):
        return "major"
    return "minor"  # table added, field added, codes added, constraint changed


def changes(diffs: list[dict], old: Path | None = None, new: Path | None = None) -> list[tuple[str, str]]:
    """``[(kind, what)]`` for every change in ``diffs`` (from :func:`.diff.diff_all`) and,
    given the two release folders, in their file lists and descriptors."""
    from . import schemas

    out: list[tuple[str, str]] = []
    schema = diffs[0]["schema"] if diffs else []
    for line in schema:
        out.append((_schema_kind(line), line))
    for d in diffs:
        try:
            computed = bool(schemas.table(d["table"]).computed)
        except Exception:
            computed = False
        rows = "patch" if computed else "minor"
        if d["added"]:
            out.append((rows, f"{d['table']}: {len(d['added'])} rows added"))
        if d["removed"]:
            out.append((rows, f"{d['table']}: {len(d['removed'])} rows removed"))
        if d["changed"]:
            out.append(("patch", f"{d['table']}: {len(d['changed'])} rows changed"))
    if old is not None and new is not None:
        a = {p.name for p in old.iterdir() if p.is_file()}
        b = {p.name for p in new.iterdir() if p.is_file()}
        for name in sorted(b - a):
            out.append(("minor", f"release file added: {name}"))
        for name in sorted(a - b):
            out.append(("major", f"release file removed: {name}"))
        if not out and _descriptor_text(old) != _descriptor_text(new):
            out.append(("patch", "descriptions in datapackage.json changed"))
    return out


def _descriptor_text(folder: Path) -> str:
    import json

    try:
        d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    for k in ("version", "created"):
        d.pop(k, None)
    for r in d.get("resources", []):
        for k in ("bytes", "hash"):
            r.pop(k, None)
    return json.dumps(d, sort_keys=True)


def needed(found: list[tuple[str, str]]) -> str | None:
    """The smallest kind of release the changes need (None: nothing changed)."""
    return max((k for k, _ in found), key=RANK.__getitem__, default=None)


def next_versions(previous: str) -> dict[str, str]:
    major, minor, patch = parse_version(previous) or (0, 0, 0)
    return {"patch": f"{major}.{minor}.{patch + 1}", "minor": f"{major}.{minor + 1}.0", "major": f"{major + 1}.0.0"}


def bump_kind(previous: str, version: str) -> str | None:
    """'patch', 'minor' or 'major' when ``version`` is a next version of ``previous``, else None."""
    for kind, v in next_versions(previous).items():
        if v == version:
            return kind
    return None


def check_bump(previous: str, version: str, need: str | None, *, strict: bool = True) -> str | None:
    """Why ``version`` cannot follow ``previous`` for changes that need ``need``; None if it can.

    ``strict`` (the release command) also refuses a release with no change and a major
    release without a major change; the build refuses only a version that is not a next
    one or too small a bump.
    """
    nxt = next_versions(previous)
    options = f"{nxt['patch']} (patch), {nxt['minor']} (minor) or {nxt['major']} (major)"
    if parse_version(version) is None:
        return f"{version!r} is not a semantic version MAJOR.MINOR.PATCH; after {previous} comes {options}"
    kind = bump_kind(previous, version)
    if kind is None:
        return f"{version} does not follow {previous}: the next version is {options}"
    if need is None:
        return f"nothing changed since {previous}: no release is needed" if strict else None
    prev_major = (parse_version(previous) or (0,))[0]
    least = "minor" if need == "major" and prev_major == 0 else need
    if RANK[kind] < RANK[least]:
        return f"{version} is a {kind} release, but the changes since {previous} need a {least} release ({nxt[least]})"
    if strict and kind == "major" and need != "major" and version != "1.0.0":
        return f"{version} is a major release, but nothing since {previous} breaks a user's code: use {nxt[least]}"
    return None
