"""Published versions: the release list in schemas/package.json and build/versions.json.

``schemas/package.json`` says which releases exist (version, date, human summary; the last
one is current). ``build/versions.json`` is the manifest of what was published: each
version's date and every file's path, bytes and sha256. A published version's files never
change; the build refuses to rewrite them.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import _schema

MANIFEST = "versions.json"


class ReleaseConflict(Exception):
    """A build would rewrite a published version."""


def package_metadata() -> dict:
    """schemas/package.json, its release list checked strictly (see :mod:`.release_metadata`)."""
    from .release_metadata import ReleaseMetadataError, parse

    path = _schema.ROOT / "schemas" / "package.json"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ReleaseMetadataError.unreadable(path, e) from None
    return parse(text)


def releases() -> list[dict]:
    return package_metadata()["releases"]


def current_release() -> dict:
    return releases()[-1]


def version_key(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in v.split("."))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(build_dir: Path) -> dict:
    path = Path(build_dir) / MANIFEST
    if not path.is_file():
        return {"versions": []}
    return json.loads(path.read_text(encoding="utf-8"))


def manifest_entry(version: str, date: str, files: dict[str, bytes]) -> dict:
    return {
        "version": version,
        "date": date,
        "files": [{"path": f"{version}/{name}", "bytes": len(data), "sha256": sha256(data)}
                  for name, data in sorted(files.items())],
    }


def manifest_bytes(manifest: dict) -> bytes:
    manifest = {"versions": sorted(manifest["versions"], key=lambda e: version_key(e["version"]))}
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


def published(build_dir: Path, version: str) -> dict | None:
    for e in read_manifest(build_dir)["versions"]:
        if e["version"] == version:
            return e
    return None


def check_not_rewritten(build_dir: Path, entry: dict) -> None:
    """Raise :class:`ReleaseConflict` if ``entry`` differs from the published one."""
    old = published(build_dir, entry["version"])
    if old is None or old["files"] == entry["files"]:
        return
    changed = sorted({f["path"] for f in old["files"]} ^ {f["path"] for f in entry["files"]}
                     | {a["path"] for a in old["files"] for b in entry["files"]
                        if a["path"] == b["path"] and a["sha256"] != b["sha256"]})
    raise ReleaseConflict(
        f"version {entry['version']} is already published and this build would change "
        f"{', '.join(changed)}. Published files never change: add a new release (next version, "
        f"date and summary) at the end of 'releases' in schemas/package.json, then run "
        f"python -m ketamine_ssri_evidence build again.")


def verify(build_dir: Path) -> list[str]:
    """Every published file is present with its recorded bytes and sha256."""
    problems = []
    for e in read_manifest(build_dir)["versions"]:
        for f in e["files"]:
            path = Path(build_dir) / f["path"]
            if not path.is_file():
                problems.append(f"{f['path']}: missing")
                continue
            data = path.read_bytes()
            if len(data) != f["bytes"] or sha256(data) != f["sha256"]:
                problems.append(f"{f['path']}: differs from versions.json (published files never change)")
    return problems
