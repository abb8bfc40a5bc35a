"""Published versions: the release list in schemas/package.json and build/versions.json.

``schemas/package.json`` says which releases exist (version, date, human summary; the last
one is current). ``build/versions.json`` is the manifest of what was published: each
version's date and every file's path, bytes and sha256. A published version's files never
change; the build refuses to rewrite them.

The read side is strict: a version is a semantic version, a file is a bare name, and a
manifest read from anywhere (the package, a cache, a server) is checked field by field by
:func:`parse_manifest` before any of its names is used to build a path. The manifest the
package ships (:func:`shipped_manifest`) is the trust root for every version it lists.
"""

from __future__ import annotations

import contextlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TypeGuard

from . import schemas

MANIFEST = "versions.json"
# A manifest or descriptor larger than this is refused before it is parsed.
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
# No release file, and no release, may be larger than this, whatever a manifest says.
MAX_FILE_BYTES = 1024**3
MAX_RELEASE_BYTES = 4 * 1024**3
MAX_VERSION_LENGTH = 64
MAX_FILES_PER_VERSION = 1000

# semver.org 2.0.0, without build metadata (two versions that differ only by it would name
# two folders with one precedence): MAJOR.MINOR.PATCH[-PRERELEASE]
_NUM = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
SEMVER = re.compile(rf"({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?")
# a bare file name: no separator, no leading dot, nothing a shell or a file system reads twice
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")
MAX_FILE_NAME_LENGTH = 128
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ReleaseConflict(Exception):
    """A build would rewrite a published version."""


class ReleaseError(LookupError):
    """A version or table does not exist, or cannot be used; the message says why."""


class InvalidName(ReleaseError, ValueError):
    """A version, file or table name that does not follow its grammar."""


class ManifestError(ReleaseError):
    """A release manifest (versions.json) that is not one, or that breaks a rule."""


def show(value: object, limit: int = 80) -> str:
    """``value`` as one short, printable line (for messages quoting untrusted text)."""
    text = value if isinstance(value, str) else repr(value)
    out = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text[: limit + 1])
    return "'" + (out[:limit] + "…" if len(out) > limit else out) + "'"


def is_version(v: object) -> TypeGuard[str]:
    """True for a strict semantic version such as ``0.2.0`` or ``1.0.0-rc.1``.

    >>> is_version("0.2.0"), is_version("9.9.9/.."), is_version("01.2.3")
    (True, False, False)
    """
    return isinstance(v, str) and len(v) <= MAX_VERSION_LENGTH and SEMVER.fullmatch(v) is not None


def check_version(v: object, what: str = "version") -> str:
    """Return ``v`` if it is a semantic version, else raise :class:`InvalidName`."""
    if not is_version(v):
        raise InvalidName(f"{what} {show(v)} is not a semantic version (MAJOR.MINOR.PATCH, such as 0.2.0)")
    return v


_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def is_file_name(name: object) -> TypeGuard[str]:
    """True for a bare file name (``figures.csv``), never a path, ``..``, a hidden file or a
    name some file system reserves (``NUL.csv``).

    >>> is_file_name("figures.csv"), is_file_name("../x.csv"), is_file_name(".bashrc")
    (True, False, False)
    """
    return (
        isinstance(name, str)
        and len(name) <= MAX_FILE_NAME_LENGTH
        and FILE_NAME.fullmatch(name) is not None
        and name.split(".")[0].upper() not in _WINDOWS_RESERVED
    )


def check_file_name(name: object, what: str = "file name") -> str:
    if not is_file_name(name):
        raise InvalidName(f"{what} {show(name)} is not a bare file name")
    return name


def is_sha256(h: object) -> TypeGuard[str]:
    return isinstance(h, str) and _SHA256.fullmatch(h) is not None


_METADATA_OVERRIDE: list[dict] = []  # set by described_with() while a release is rendered


@contextlib.contextmanager
def described_with(meta: dict):
    """Within the block, :func:`package_metadata` returns ``meta``: a release is rendered, by
    every module that describes it, with the metadata it will be published under (the release
    command renders a new release before writing it to schemas/package.json)."""
    _METADATA_OVERRIDE.append(meta)
    try:
        yield
    finally:
        _METADATA_OVERRIDE.pop()


def package_metadata() -> dict:
    """schemas/package.json, its release list checked strictly (see :mod:`.release_metadata`)."""
    from .release_metadata import ReleaseMetadataError, parse

    if _METADATA_OVERRIDE:
        return _METADATA_OVERRIDE[-1]

    path = schemas.ROOT / "schemas" / "package.json"
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
    """Sort key in semantic-version precedence (1.0.0-rc.1 < 1.0.0 < 1.0.1 < 1.10.0).

    Anything that is not a semantic version sorts first, by its text, and never raises.
    """
    m = SEMVER.fullmatch(v) if isinstance(v, str) else None
    if m is None:
        return (0, str(v))
    pre = m.group(4)
    pre_key = () if pre is None else tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in pre.split("."))
    return (1, int(m.group(1)), int(m.group(2)), int(m.group(3)), pre is None, pre_key)


def is_prerelease(v: str) -> bool:
    m = SEMVER.fullmatch(v)
    return bool(m and m.group(4))


def sha256(data: bytes) -> str:
    """The hex sha256 of ``data`` (computed once per file while a build describes its files)."""
    from .file_hashes import sha256 as once

    return once(data)


def read_manifest(build_dir: Path) -> dict:
    path = Path(build_dir) / MANIFEST
    if not path.is_file():
        return {"versions": []}
    return json.loads(path.read_text(encoding="utf-8"))


def manifest_entry(version: str, date: str, files: dict[str, bytes]) -> dict:
    return {
        "version": version,
        "date": date,
        "files": [
            {"path": f"{version}/{name}", "bytes": len(data), "sha256": sha256(data)}
            for name, data in sorted(files.items())
        ],
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
    changed = sorted(
        {f["path"] for f in old["files"]} ^ {f["path"] for f in entry["files"]}
        | {
            a["path"]
            for a in old["files"]
            for b in entry["files"]
            if a["path"] == b["path"] and a["sha256"] != b["sha256"]
        }
    )
    raise ReleaseConflict(
        f"version {entry['version']} is already published and this build would change "
        f"{', '.join(changed)}. Published files never change: add a new release (next version, "
        f"date and summary) at the end of 'releases' in schemas/package.json, then run "
        f"python -m ketamine_ssri_evidence build again."
    )


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


def _fail(where: str, reason: str) -> ManifestError:
    return ManifestError(f"{where}: {reason}")


def parse_manifest(data: bytes, where: str) -> dict[str, dict]:
    """Check a ``versions.json`` field by field; return ``{version: entry}``.

    Each entry is ``{"version", "date", "files": [{"path", "bytes", "sha256"}]}`` with every
    path ``<version>/<bare file name>``. Anything else (not JSON, too large, too deep, a
    version or file name off its grammar, a duplicate) raises :class:`ManifestError`
    naming ``where``; nothing is half-accepted.
    """
    if len(data) > MAX_MANIFEST_BYTES:
        raise _fail(where, f"larger than {MAX_MANIFEST_BYTES} bytes, so not a release manifest")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _fail(where, "not a release manifest (not valid JSON): it may be truncated or damaged") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("versions"), list):
        raise _fail(where, 'not a release manifest (no "versions" list)')
    out: dict[str, dict] = {}
    for i, e in enumerate(doc["versions"]):
        out_e = parse_entry(e, f"{where}: versions[{i}]")
        if out_e["version"] in out:
            raise _fail(where, f"version {out_e['version']} is listed twice")
        out[out_e["version"]] = out_e
    return out


def parse_entry(e: object, where: str) -> dict:
    """Check one version entry of a manifest (see :func:`parse_manifest`)."""
    if not isinstance(e, dict):
        raise ManifestError(f"{where}: not an object")
    v = e.get("version")
    if not is_version(v):
        raise ManifestError(f"{where}: version {show(v)} is not a semantic version")
    date = e.get("date")
    if not (isinstance(date, str) and _DATE.fullmatch(date)):
        raise ManifestError(f"{where}: version {v}: date {show(date)} is not YYYY-MM-DD")
    files = e.get("files")
    if not isinstance(files, list) or not files or len(files) > MAX_FILES_PER_VERSION:
        raise ManifestError(f"{where}: version {v}: no list of files (or more than {MAX_FILES_PER_VERSION})")
    seen: set[str] = set()
    total = 0
    out_files = []
    for f in files:
        if not isinstance(f, dict):
            raise ManifestError(f"{where}: version {v}: a file entry is not an object")
        path, size, digest = f.get("path"), f.get("bytes"), f.get("sha256")
        name = path[len(v) + 1 :] if isinstance(path, str) and path.startswith(f"{v}/") else None
        if not is_file_name(name):
            raise ManifestError(f"{where}: version {v}: path {show(path)} is not {v}/<bare file name>")
        if name.casefold() in seen:  # two names one case-insensitive file system would merge
            raise ManifestError(f"{where}: version {v}: {name} is listed twice")
        seen.add(name.casefold())
        if type(size) is not int or not 0 <= size <= MAX_FILE_BYTES:
            raise ManifestError(f"{where}: {path}: bytes {show(size)} is not a size of 0 to {MAX_FILE_BYTES}")
        if not is_sha256(digest):
            raise ManifestError(f"{where}: {path}: sha256 {show(digest)} is not 64 lowercase hex digits")
        total += size
        if total > MAX_RELEASE_BYTES:
            raise ManifestError(f"{where}: version {v}: its files add up to more than {MAX_RELEASE_BYTES} bytes")
        out_files.append({"path": path, "bytes": size, "sha256": digest})
    return {"version": v, "date": date, "files": sorted(out_files, key=lambda f: f["path"])}


def file_name(f: dict) -> str:
    """The bare name of a checked manifest file entry (``0.2.0/figures.csv`` -> ``figures.csv``)."""
    return f["path"].rsplit("/", 1)[1]


def same_files(a: dict, b: dict) -> list[str]:
    """Names of the files on which two checked entries disagree (path, bytes or sha256)."""
    fa = {file_name(f): (f["bytes"], f["sha256"]) for f in a["files"]}
    fb = {file_name(f): (f["bytes"], f["sha256"]) for f in b["files"]}
    return sorted(n for n in fa.keys() | fb.keys() if fa.get(n) != fb.get(n))


@lru_cache(maxsize=None)
def _shipped(path: Path, mtime_ns: int, size: int) -> dict[str, dict]:
    return parse_manifest(path.read_bytes(), str(path))


def shipped_manifest() -> dict[str, dict]:
    """The manifest this package ships (its ``build/versions.json``): the trust root.

    Its hashes are authoritative for every version it lists. Missing means an empty trust
    root (every download is then pinned or trusted on first use).
    """
    path = schemas.ROOT / "build" / MANIFEST
    try:
        st = path.stat()
    except OSError:
        return {}
    return _shipped(path, st.st_mtime_ns, st.st_size)
