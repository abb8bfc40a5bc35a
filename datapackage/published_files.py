"""Published releases never change: check every file under ``build/`` against ``versions.json``.

``build/versions.json`` records, for each published version, every file's path, size and
SHA-256. :func:`verify_published` reports a missing, changed or unlisted file, and a
manifest that cannot be read, as issues; it never raises. The build calls it through
:func:`ketamine_ssri_evidence.validation.validate`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

from .issues import Issue

MANIFEST = "versions.json"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
_VERSION = re.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})")
_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
_HEX = re.compile(r"[0-9a-f]{64}")


def _manifest(build_dir: Path, shown: str, issues: list[Issue]) -> list[tuple[str, list[tuple[str, int, str]]]] | None:
    path = build_dir / MANIFEST
    where = f"{shown}/{MANIFEST}"

    def bad(why: str) -> None:
        issues.append(Issue(where, 0, "", "", "manifest-unreadable", why))

    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None  # nothing published here
    except OSError as e:
        bad(f"cannot read it: {e.strerror or e}")
        return None
    if not stat.S_ISREG(st.st_mode):
        bad("it is not a regular file (a link, folder or device); restore it from the repository")
        return None
    if st.st_size > MAX_MANIFEST_BYTES:
        bad(f"it has {st.st_size:,} bytes; the limit is {MAX_MANIFEST_BYTES:,}")
        return None
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        bad(f"it is not valid UTF-8 JSON ({type(e).__name__}); restore it from the repository (git checkout build/)")
        return None
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, list):
        bad('it must be an object with a list "versions"; restore it from the repository')
        return None
    out = []
    for k, entry in enumerate(versions):
        v = entry.get("version") if isinstance(entry, dict) else None
        files = entry.get("files") if isinstance(entry, dict) else None
        if not isinstance(v, str) or not _VERSION.fullmatch(v) or not isinstance(files, list):
            bad(f"entry {k + 1} of versions is not a version (X.Y.Z) with a list of files")
            continue
        good: list[tuple[str, int, str]] = []
        for f in files:
            p, n, h = (f.get("path"), f.get("bytes"), f.get("sha256")) if isinstance(f, dict) else (None,) * 3
            if not (
                isinstance(p, str)
                and p.count("/") == 1
                and p.split("/")[0] == v
                and _FILE.fullmatch(p.split("/")[1])
                and ".." not in p
                and isinstance(n, int)
                and not isinstance(n, bool)
                and n >= 0
                and isinstance(h, str)
                and _HEX.fullmatch(h)
            ):
                bad(f"version {v} lists a file that is not <version>/<name> with bytes and a sha256")
                continue
            good.append((p, n, h))
        out.append((v, good))
    return out


def _digest(path: Path) -> tuple[int, str] | None:
    """Size and SHA-256 of a regular file (never following a link), or None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        h = hashlib.sha256()
        size = 0
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def verify_published(build_dir: str | os.PathLike, shown: str = "build") -> list[Issue]:
    """Every published file under ``build_dir`` is present with its recorded bytes and sha256.

    ``shown`` is how ``build_dir`` is named in messages. An absent ``versions.json`` means
    nothing is published there: no issues.
    """
    build_dir = Path(build_dir)
    issues: list[Issue] = []
    manifest = _manifest(build_dir, shown, issues)
    for version, files in manifest or []:
        listed = set()
        for rel, size, sha in files:
            listed.add(rel.split("/")[1])
            where = f"{shown}/{rel}"
            try:
                kind = os.lstat(build_dir / rel).st_mode
            except OSError:
                issues.append(
                    Issue(
                        where,
                        0,
                        "",
                        "",
                        "published-missing",
                        f"{MANIFEST} lists it as published in {version}; restore it (git checkout {shown}/)",
                    )
                )
                continue
            got = _digest(build_dir / rel) if stat.S_ISREG(kind) else None
            if got is None:
                issues.append(
                    Issue(
                        where,
                        0,
                        "",
                        "",
                        "published-changed",
                        "it is not a regular file (a link, folder or device); published files never change",
                    )
                )
            elif got != (size, sha):
                issues.append(
                    Issue(
                        where,
                        0,
                        "",
                        "",
                        "published-changed",
                        f"it has {got[0]:,} bytes and sha256 {got[1][:12]}..., but {MANIFEST} records "
                        f"{size:,} bytes and {sha[:12]}...; published files never change: restore it "
                        f"(git checkout {shown}/) and put changes in a new release",
                    )
                )
        folder = build_dir / version
        try:
            names = sorted(os.listdir(folder)) if os.path.isdir(folder) and not os.path.islink(folder) else []
        except OSError:
            names = []
        for name in names[:1000]:
            if name not in listed:
                from .text_safety import safe_text

                issues.append(
                    Issue(
                        f"{shown}/{version}/{safe_text(name)}",
                        0,
                        "",
                        "",
                        "published-unlisted",
                        f"release {version} is published without this file; remove it",
                    )
                )
    return issues
