"""Fetch a published release over HTTPS into a cache that heals, and copy it into a folder.

The address is, in order: the ``base_url`` argument, the ``DATAPACKAGE_BASE_URL``
environment variable, and ``download_base_url`` in ``schemas/package.json``. Under it lie
``versions.json`` and ``<version>/<file>``, as in ``build/``.

What is trusted, in order:

1. the hashes this package ships (its ``build/versions.json``): authoritative for every
   version they list. A served file that disagrees is refused, and so is a server manifest
   that changes a known version's files, sizes or hashes;
2. hashes the caller pins (``sha256=``): either the sha256 of the release's
   ``datapackage.json``, which lists every file's bytes and hash, or ``{file: sha256}``;
3. otherwise the server's own manifest, trusted on first use (a :class:`TrustWarning`
   says so) and remembered: a later manifest that changes that version is refused.

Every name (version, file) is checked against its grammar before it is used in a path;
nothing is written outside the cache and the destination, and only what a download
created is ever removed. Work is bounded: one deadline covers a whole download
(``timeout=``, default 120 s), each file may not exceed the size its trusted manifest
gives, manifests are capped in size, redirects are limited, and compressed transfer
encodings are refused (so nothing is inflated). Plain ``http://`` is refused except on
loopback addresses unless the caller opts in (``allow_http=True``,
``DATAPACKAGE_ALLOW_HTTP=1``). The standard library's HTTP client does the transfers; it
never decompresses and lets a watchdog close the connection at the deadline.

Every failure is a :class:`DownloadError` whose message is one line and names the Python
parameters to change; :meth:`DownloadError.cli` names the command-line options instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from pathlib import Path

from .http_client import (
    ALLOW_HTTP_ENV,
    Deadline,
    DownloadError,
    Offline,
    Param,
    TrustWarning,
    check_url,
    fetch_bytes,
    transfer,
)
from .releases import (
    MANIFEST,
    MAX_MANIFEST_BYTES,
    InvalidName,
    ManifestError,
    check_file_name,
    check_version,
    file_name,
    is_file_name,
    is_prerelease,
    is_sha256,
    package_metadata,
    parse_entry,
    parse_manifest,
    same_files,
    sha256,
    shipped_manifest,
    show,
    version_key,
)

# the errors and the warning are part of this module's API (and print under its name)
for _cls in (DownloadError, TrustWarning, Param):
    _cls.__module__ = __name__

__all__ = [
    "DownloadError",
    "TrustWarning",
    "fetch",
    "download",
    "resolve_base_url",
    "cache_dir",
    "server_manifest",
    "cached_entry",
    "cached_release",
    "DEFAULT_TIMEOUT",
]

BASE_URL_ENV = "DATAPACKAGE_BASE_URL"
CACHE_ENV = "DATAPACKAGE_CACHE"
TIMEOUT_ENV = "DATAPACKAGE_TIMEOUT"
DEFAULT_TIMEOUT = 120.0
DESCRIPTOR = "datapackage.json"
ENTRY = ".entry.json"  # the trusted manifest entry of a cached version (a hidden name no release file can have)
TRUST_LEVELS = ("shipped-hash", "pinned", "tofu")
_STALE_PART_SECONDS = 3600
# never follow a symlink, never block on a FIFO or device put where a file should be
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _cache_error(path: Path, e: OSError, action: str) -> DownloadError:
    return DownloadError(
        f"cannot {action} in the cache folder {path} ({e.strerror or type(e).__name__}): pass ",
        Param("cache", "DIR"),
        f" or set {CACHE_ENV} to a folder you can write to",
    )


# ---------------------------------------------------------------------------------------
# settings


def resolve_base_url(override: str | None = None) -> str:
    """The download address: ``override``, else ``$DATAPACKAGE_BASE_URL``, else the package's."""
    url = override or os.environ.get(BASE_URL_ENV) or package_metadata().get("download_base_url") or ""
    if not url:
        raise DownloadError(
            "no download address: pass ",
            Param("base_url", "URL"),
            f" or set {BASE_URL_ENV} to the address where the repository publishes build/",
        )
    if not isinstance(url, str):
        raise DownloadError("base_url must be a string URL")
    return url if url.endswith("/") else url + "/"


def _allow_http(override: bool | None) -> bool:
    if override is not None:
        return bool(override)
    return os.environ.get(ALLOW_HTTP_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _timeout(override: float | None) -> float:
    value: object = override
    if value is None:
        value = os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT
    try:
        t = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        t = float("nan")
    if not 0 < t <= 24 * 3600:
        raise DownloadError(
            f"timeout {show(value)} is not a number of seconds between 0 and 86400: pass ",
            Param("timeout", "SECONDS"),
            f" or set {TIMEOUT_ENV}",
        )
    return t


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The download cache: ``override``, else ``$DATAPACKAGE_CACHE``, else the user cache folder."""
    if override:
        return Path(override)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    app = "ketamine-ssri-evidence"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / app / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / app
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / app


def _pins(sha: str | Mapping[str, str] | None) -> dict[str, str]:
    """Normalise ``sha256=``: a hash (of datapackage.json) or ``{file name: hash}``."""
    if sha is None:
        return {}
    items = {DESCRIPTOR: sha}.items() if isinstance(sha, str) else sha.items() if isinstance(sha, Mapping) else None
    if items is None:
        raise DownloadError(
            "sha256 must be the sha256 of the release's datapackage.json, or a mapping of file name to sha256"
        )
    out = {}
    for name, h in items:
        if not is_file_name(name):
            raise DownloadError(f"sha256: {show(name)} is not a bare file name of a release")
        h = h.strip().lower().removeprefix("sha256:") if isinstance(h, str) else h
        if not is_sha256(h):
            raise DownloadError(f"sha256 of {name}: {show(h)} is not 64 hex digits")
        out[name] = h
    return out


# ---------------------------------------------------------------------------------------
# the cache: <cache>/releases/<version>/{files, .entry.json}, <cache>/servers/<id>/versions.json


def _lexists(p: Path) -> os.stat_result | None:
    try:
        return os.lstat(p)
    except FileNotFoundError:
        return None
    except OSError:
        return None


def _discard(p: Path) -> None:
    """Remove one damaged cache entry; a symlink is unlinked, never followed."""
    st = _lexists(p)
    if st is None:
        return
    try:
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(p)
        else:
            os.unlink(p)
    except OSError as e:
        raise _cache_error(p.parent, e, f"remove the damaged entry {p.name}") from None


def _real_dir(parent: Path, name: str, heal: bool = True) -> Path:
    """``parent/name`` as a real directory (a symlink or file in its place is removed first,
    or, for the cache's own top folders, which may sit in a folder the user shares, refused)."""
    p = parent / name
    st = _lexists(p)
    if st is not None and not stat.S_ISDIR(st.st_mode):  # a file or a symlink (to anything)
        if not heal and not stat.S_ISLNK(st.st_mode):
            raise DownloadError(
                f"the cache {parent} holds a file named {name} where the cache keeps a folder; it "
                "was left untouched: pass another ",
                Param("cache", "DIR"),
            )
        _discard(p)
        st = None
    if st is None:
        try:
            p.mkdir()
        except FileExistsError:
            if not p.is_dir() or p.is_symlink():
                raise _cache_error(parent, FileExistsError(17, "File exists"), f"create {name}") from None
        except OSError as e:
            raise _cache_error(parent, e, f"create {name}") from None
    return p


def _cache_root(cache: Path, create: bool) -> Path:
    if create:
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _cache_error(cache, e, "create the folder") from None
        if not cache.is_dir():
            raise DownloadError(
                f"the cache {cache} is not a folder: pass ", Param("cache", "DIR"), f" or set {CACHE_ENV} to a folder"
            )
    return cache


def _version_dir(cache: Path, version: str, create: bool = False) -> Path:
    version = check_version(version)
    if not create:
        return cache / "releases" / version
    return _real_dir(_real_dir(_cache_root(cache, True), "releases", heal=False), version)


def _read_small(p: Path, limit: int = MAX_MANIFEST_BYTES) -> bytes | None:
    """The bytes of regular file ``p`` (never through a symlink), or None if it is not one."""
    try:
        fd = os.open(p, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
        return data if len(data) <= limit else None
    finally:
        os.close(fd)


def _file_ok(p: Path, f: dict) -> bool:
    """``p`` is a regular file (not a symlink) with the entry's bytes and sha256."""
    try:
        fd = os.open(p, _OPEN_FLAGS)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != f["bytes"]:
            return False
        h = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            h.update(chunk)
        return h.hexdigest() == f["sha256"]
    except OSError:
        return False
    finally:
        os.close(fd)


def cached_entry(version: str, cache: str | os.PathLike | None = None) -> tuple[dict, str] | None:
    """The trusted entry of a cached ``version`` and its trust level, or None.

    A shipped version's entry is always the package's own. A damaged record is discarded.
    """
    version = check_version(version)
    shipped = shipped_manifest()
    record = _version_dir(cache_dir(cache), version) / ENTRY
    if version in shipped:
        return shipped[version], "shipped-hash"
    data = _read_small(record)
    if data is None:
        if _lexists(record) is not None:
            _try_discard(record)
        return None
    try:
        doc = json.loads(data.decode("utf-8"))
        entry = parse_entry(doc, str(record))
        trust = doc.get("trust")
        if entry["version"] != version or trust not in ("pinned", "tofu"):
            raise ManifestError("mismatch")
    except (ValueError, RecursionError, ManifestError, AttributeError):
        _try_discard(record)
        return None
    return entry, trust


def cached_release(version: str, cache: str | os.PathLike | None = None) -> tuple[dict, str] | None:
    """Like :func:`cached_entry`, but only for a version whose every file is in the cache, verified."""
    known = cached_entry(version, cache)
    folder = _version_dir(cache_dir(cache), version)
    if known is None or _missing(folder, known[0]) or not (_is_real_dir(folder.parent) and _is_real_dir(folder)):
        return None
    return known


def _try_discard(p: Path) -> None:
    try:
        _discard(p)
    except DownloadError:
        pass  # a read-only cache: reported when something must be written


def _missing(folder: Path, entry: dict) -> list[str]:
    return [file_name(f) for f in entry["files"] if not _file_ok(folder / file_name(f), f)]


def _write_atomic(folder: Path, name: str, data: bytes) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, folder / name)
        except BaseException:
            _unlink_quiet(tmp)
            raise
    except OSError as e:
        raise _cache_error(folder, e, f"write {name}") from None


def _unlink_quiet(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _clean_stale_parts(folder: Path) -> None:
    now = time.time()
    try:
        for p in folder.iterdir():
            if p.name.startswith(".part-"):
                st = _lexists(p)
                if st and (now - st.st_mtime > _STALE_PART_SECONDS or not stat.S_ISREG(st.st_mode)):
                    _try_discard(p)
    except OSError:
        pass


def _download_file(url: str, folder: Path, f: dict, deadline: Deadline, allow_http: bool) -> None:
    """Stream one file into ``folder`` under its name, verified; nothing half-written is kept."""
    name = check_file_name(file_name(f))
    what = f"{url}{f['path']}"
    target = folder / name
    st = _lexists(target)
    if st is not None and (stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        _discard(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    except OSError as e:
        raise _cache_error(folder, e, f"write {name}") from None
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:

            def sink(chunk: bytes) -> None:
                h.update(chunk)
                try:
                    out.write(chunk)
                except OSError as e:
                    raise _cache_error(folder, e, f"write {name}") from None

            count = transfer(url + f["path"], deadline, allow_http, what, f["bytes"], sink, exact=f["bytes"])
        if count != f["bytes"]:
            raise DownloadError(
                f"{what}: the server sent {count} of the {f['bytes']} bytes the trusted manifest "
                "lists (truncated); refused, nothing kept"
            )
        if h.hexdigest() != f["sha256"]:
            raise DownloadError(
                f"{what}: its sha256 differs from the trusted one (tampered or damaged); refused, nothing kept"
            )
        try:
            os.replace(tmp, target)
        except OSError as e:
            raise _cache_error(folder, e, f"write {name}") from None
    except BaseException:
        _unlink_quiet(tmp)
        raise


# ---------------------------------------------------------------------------------------
# manifests


def _server_id(url: str) -> str:
    return sha256(url.encode("utf-8"))[:16]


def server_manifest(
    url: str | None = None,
    *,
    cache: str | os.PathLike | None = None,
    allow_http: bool | None = None,
    timeout: float | None = None,
    _deadline: Deadline | None = None,
) -> dict[str, dict]:
    """The server's ``versions.json``, checked: ``{version: entry}``.

    Refused (:class:`DownloadError`) when it is not a manifest, larger than the cap, or
    when it changes the files of a version this package ships or one the cache already
    holds. A good one is kept in the cache (to list versions while offline).
    """
    url = resolve_base_url(url)
    allow = _allow_http(allow_http)
    deadline = _deadline or Deadline(_timeout(timeout))
    try:
        what = url + MANIFEST
        data = fetch_bytes(what, deadline, allow, what, MAX_MANIFEST_BYTES)
    finally:
        if _deadline is None:
            deadline.cancel()
    try:
        man = parse_manifest(data, what)
    except ManifestError as e:
        raise DownloadError(f"{show(str(e), 300)[1:-1]}; refused") from None
    shipped = shipped_manifest()
    root = cache_dir(cache)
    for v, entry in man.items():
        if v in shipped:
            changed = same_files(shipped[v], entry)
            if changed:
                raise DownloadError(
                    f"{what} changes the published files of release {v} ({', '.join(changed)}): this package's "
                    "own hashes are authoritative, so the server's list is refused. Is ",
                    Param("base_url"),
                    " the right address?",
                )
            continue
        known = cached_entry(v, root) if (root / "releases" / v).is_dir() else None
        if known is not None:
            changed = same_files(known[0], entry)
            if changed:
                raise DownloadError(
                    f"{what} changes release {v} ({', '.join(changed)}) since it was first downloaded and "
                    f"{'pinned' if known[1] == 'pinned' else 'trusted on first use'}; refused. If the change is "
                    "genuine, pin the new hash with ",
                    Param("sha256", "HASH"),
                )
    try:
        folder = _real_dir(_real_dir(_cache_root(root, True), "servers", heal=False), _server_id(url))
        _write_atomic(folder, MANIFEST, data)
    except DownloadError:
        pass  # remembering the list is a convenience; a read-only cache only matters for files
    return man


def cached_server_manifest(url: str, cache: str | os.PathLike | None = None) -> dict[str, dict]:
    """The last good ``versions.json`` of ``url`` in the cache (empty if none or damaged)."""
    p = cache_dir(cache) / "servers" / _server_id(resolve_base_url(url)) / MANIFEST
    data = _read_small(p)
    if data is None:
        if _lexists(p) is not None:
            _try_discard(p)
        return {}
    try:
        return parse_manifest(data, str(p))
    except ManifestError:
        _try_discard(p)
        return {}


def _descriptor_pins(data: bytes, where: str) -> dict[str, tuple[int, str]]:
    """``{file: (bytes, sha256)}`` of every resource a release's datapackage.json lists."""
    try:
        doc = json.loads(data.decode("utf-8"))
        out = {}
        for r in doc["resources"]:
            path, size, h = r["path"], r["bytes"], r["hash"]
            h = h.removeprefix("sha256:")
            if not is_file_name(path) or type(size) is not int or not is_sha256(h):
                raise ValueError(path)
            out[path] = (size, h)
        return out
    except (UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError, AttributeError):
        raise DownloadError(
            f"{where}: the pinned datapackage.json does not list its files' bytes and sha256 "
            "hashes; pin each file instead with ",
            Param("sha256", "{FILE: HASH}"),
        ) from None


def _check_pins(entry: dict, pins: dict[str, str], descriptor: bytes | None, where: str) -> None:
    """Raise unless every file of ``entry`` is covered by the caller's pins and agrees with them.

    A pinned datapackage.json (``descriptor``: its bytes, already verified against the pin)
    covers every file it lists with its bytes and sha256.
    """
    v = entry["version"]
    files = {file_name(f): f for f in entry["files"]}
    for name, h in pins.items():
        if name not in files:
            raise DownloadError(
                f"the pinned file {name} is not part of release {v} (its files: {', '.join(sorted(files))})"
            )
        if files[name]["sha256"] != h:
            raise DownloadError(
                f"release {v}: {name} has sha256 {files[name]['sha256'][:12]}… on the server, not the "
                f"pinned {h[:12]}…; refused (tampered, or the wrong hash was pinned)"
            )
    covered = set(pins)
    if DESCRIPTOR in pins:
        for name, (size, h) in _descriptor_pins(descriptor or b"", where).items():
            if name in files and (files[name]["bytes"], files[name]["sha256"]) != (size, h):
                raise DownloadError(
                    f"release {v}: the server's manifest lists {name} with other bytes or sha256 "
                    "than the pinned datapackage.json; refused"
                )
            covered.add(name)
    loose = sorted(set(files) - covered)
    if loose:
        raise DownloadError(
            f"release {v}: {', '.join(loose)} not covered by the pinned hashes; pin them too with ",
            Param("sha256", "{FILE: HASH}"),
        )


def _pinned_descriptor(entry: dict, folder: Path) -> bytes | None:
    for f in entry["files"]:
        if file_name(f) == DESCRIPTOR and _file_ok(folder / DESCRIPTOR, f):
            return _read_small(folder / DESCRIPTOR, f["bytes"])
    return None


def _is_real_dir(p: Path) -> bool:
    st = _lexists(p)
    return st is not None and stat.S_ISDIR(st.st_mode)


# ---------------------------------------------------------------------------------------
# the public functions


def _renamed(base_url: str | None, deprecated: dict) -> str | None:
    """Accept the parameter's former name, ``base=``, with a DeprecationWarning."""
    unknown = set(deprecated) - {"base"}
    if unknown:
        raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
    if "base" in deprecated:
        warnings.warn("base= is now base_url=", DeprecationWarning, stacklevel=3)
        return base_url if base_url is not None else deprecated["base"]
    return base_url


def _newest(versions) -> str | None:
    final = [v for v in versions if not is_prerelease(v)] or list(versions)
    return max(final, key=version_key) if final else None


def fetch(
    version: str | None = None,
    *,
    base_url: str | None = None,
    cache: str | os.PathLike | None = None,
    sha256: str | Mapping[str, str] | None = None,
    allow_http: bool | None = None,
    timeout: float | None = None,
    **deprecated: str,
) -> Path:
    """Find release ``version`` in the cache, or download it there; return its folder.

    ``version`` is a semantic version, or ``None``/``"latest"`` for the newest the server
    publishes. A complete, verified cached copy is used without any network access (no
    address needed); a damaged one is discarded and fetched again. ``sha256`` pins a version
    this package does not ship: the sha256 of its ``datapackage.json`` (which lists every
    file's hash), or ``{file name: sha256}`` for every file. ``allow_http`` accepts plain
    http:// beyond loopback; ``timeout`` bounds the whole download in seconds (default 120,
    or ``$DATAPACKAGE_TIMEOUT``).
    """
    base_url = _renamed(base_url, deprecated)
    pins = _pins(sha256)
    if version == "latest":
        version = None
    if version is not None:
        try:
            version = check_version(version)
        except InvalidName as e:
            raise DownloadError(str(e), " (or 'latest')") from None
    root = cache_dir(cache)
    damaged: list[str] = []
    if version is not None:
        folder = _version_dir(root, version)
        known = cached_entry(version, root)
        if _lexists(folder) is not None and not (_is_real_dir(root / "releases") and _is_real_dir(folder)):
            damaged = ["the folder is not a real folder"]
        elif known is not None and _lexists(folder) is not None:
            entry, trust = known
            damaged = _missing(folder, entry)
            if not damaged and pins:
                if trust == "shipped-hash":
                    _check_shipped_pins(entry, pins)
                else:
                    try:
                        _check_pins(entry, pins, _pinned_descriptor(entry, folder), str(folder))
                    except DownloadError:
                        damaged = ["it disagrees with the pinned hashes"]
                    else:
                        if trust == "tofu":
                            try:
                                _record(folder, entry, "pinned", None)
                            except DownloadError:
                                pass  # a read-only cache: the copy is still the pinned one
            if not damaged:
                return folder
        elif known is None and _lexists(folder) is not None and version not in shipped_manifest():
            damaged = ["its record of trusted hashes is missing or damaged"]
    try:
        url = resolve_base_url(base_url)
    except DownloadError as e:
        if damaged:
            raise DownloadError(
                f"the cached copy of release {version} is incomplete or damaged "
                f"({', '.join(damaged[:3])}) and no download address is set to fetch it again: pass ",
                Param("base_url", "URL"),
                f" or set {BASE_URL_ENV}",
            ) from None
        if version:
            raise e.prefixed(f"release {version} is not in the cache ({root}) and there is ") from None
        raise
    allow = _allow_http(allow_http)
    check_url(url, allow)
    deadline = Deadline(_timeout(timeout))
    try:
        return _fetch_online(version, url, root, pins, allow, deadline)
    except Offline as e:
        if damaged:
            raise DownloadError(
                f"the cached copy of release {version} is incomplete or damaged "
                f"({', '.join(damaged[:3])}) and could not be fetched again: ",
                *e.parts,
                ". Connect to the network and try again.",
            ) from None
        if version:
            raise e.prefixed(f"release {version} is not in the cache and ") from None
        raise
    finally:
        deadline.cancel()


def _check_shipped_pins(entry: dict, pins: dict[str, str]) -> None:
    files = {file_name(f): f["sha256"] for f in entry["files"]}
    if any(files.get(n) != h for n, h in pins.items()):
        raise DownloadError(
            f"the pinned sha256 disagrees with the hashes this package ships for release "
            f"{entry['version']}, which are authoritative; refused"
        )


def _fetch_online(
    version: str | None, url: str, root: Path, pins: dict[str, str], allow: bool, deadline: Deadline
) -> Path:
    shipped = shipped_manifest()
    # the server's list is read (and refused if it contradicts what the package or the cache
    # knows) even for a version the package ships: a server that lies about one version is
    # not asked for any
    man = server_manifest(url, cache=root, allow_http=allow, _deadline=deadline)
    if version is None:
        version = _newest(set(man) | set(shipped))
        if version is None:
            raise DownloadError(f"{url}{MANIFEST} lists no published version")
    if version not in shipped and version not in man:
        known = sorted(set(man) | set(shipped), key=version_key)
        raise DownloadError(f"unknown version {version}; known versions: {', '.join(known) or 'none'}")
    if version in shipped:
        entry, trust = shipped[version], "shipped-hash"
        if pins:
            _check_shipped_pins(entry, pins)
    else:
        entry = man[version]
        previous = cached_entry(version, root)
        trust = "pinned" if pins or (previous and previous[1] == "pinned") else "tofu"
    folder = _version_dir(root, version, create=True)
    _clean_stale_parts(folder)
    if trust != "shipped-hash" and pins:
        descriptor = None
        if DESCRIPTOR in pins:
            f = next((f for f in entry["files"] if file_name(f) == DESCRIPTOR), None)
            if f is None:
                raise DownloadError(f"release {version} has no {DESCRIPTOR} to check the pinned hash against")
            if f["sha256"] == pins[DESCRIPTOR] and not _file_ok(folder / DESCRIPTOR, f):
                _download_file(url, folder, f, deadline, allow)
            descriptor = _pinned_descriptor(entry, folder)
        _check_pins(entry, pins, descriptor, f"{url}{version}/{DESCRIPTOR}")
    elif trust == "tofu" and previous is None:
        warnings.warn(
            TrustWarning(
                f"release {version} is not known to this package, so its files are checked only against the server's "
                f"own manifest ({url}{MANIFEST}): trusted on first use. To be sure, pin the sha256 of its "
                "datapackage.json (sha256=HASH, or download --sha256 HASH)"
            ),
            stacklevel=4,
        )
    for f in entry["files"]:
        if not _file_ok(folder / file_name(f), f):
            _download_file(url, folder, f, deadline, allow)
    # anything else in this version folder is not a release file
    names = {file_name(f) for f in entry["files"]} | {ENTRY}
    for p in list(folder.iterdir()):
        if p.name not in names and not p.name.startswith(".part-"):
            _discard(p)
    _record(folder, entry, trust, url)
    return folder


def _record(folder: Path, entry: dict, trust: str, url: str | None) -> None:
    doc = dict(entry, trust=trust)
    if url:
        doc["url"] = url
    _write_atomic(folder, ENTRY, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))


def download(
    version: str | None = None,
    dest: str | os.PathLike = ".",
    *,
    base_url: str | None = None,
    cache: str | os.PathLike | None = None,
    sha256: str | Mapping[str, str] | None = None,
    allow_http: bool | None = None,
    timeout: float | None = None,
    **deprecated: str,
) -> Path:
    """Fetch release ``version`` (default: the newest published) and copy it to ``dest/<version>/``.

    The copy is verified as it is written and appears at once (renamed from a staging
    folder inside ``dest``). An existing ``dest/<version>/`` is never removed: if it already
    holds exactly the release it is kept, otherwise the download stops and says so.
    Parameters as for :func:`fetch`.

    >>> try:
    ...     download("9.9.9/..", "data")
    ... except DownloadError as e:
    ...     print(e)
    version '9.9.9/..' is not a semantic version (MAJOR.MINOR.PATCH, such as 0.2.0) (or 'latest')
    """
    base_url = _renamed(base_url, deprecated)
    folder = fetch(version, base_url=base_url, cache=cache, sha256=sha256, allow_http=allow_http, timeout=timeout)
    version = check_version(folder.name)
    entry = cached_entry(version, folder.parent.parent)
    if entry is None:
        raise DownloadError(f"the cache lost release {version} while it was being copied; try again")
    files = entry[0]["files"]
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DownloadError(
            f"cannot create the folder {dest} ({e.strerror or type(e).__name__}): pass another ", Param("dest", "DIR")
        ) from None
    if not dest.is_dir():
        raise DownloadError(f"{dest} is not a folder: pass another ", Param("dest", "DIR"))
    target = dest / version
    st = _lexists(target)
    if st is not None:
        if (
            stat.S_ISDIR(st.st_mode)
            and not _missing(target, entry[0])
            and sorted(p.name for p in target.iterdir()) == sorted(file_name(f) for f in files)
        ):
            return target
        raise DownloadError(
            f"{target} already exists and does not hold exactly release {version}; it was left "
            "untouched. Remove it, or pass another ",
            Param("dest", "DIR"),
        )
    try:
        staging = Path(tempfile.mkdtemp(dir=dest, prefix=f".download-{version}-"))
    except OSError as e:
        raise DownloadError(
            f"cannot write in {dest} ({e.strerror or type(e).__name__}): pass another ", Param("dest", "DIR")
        ) from None
    try:
        for f in files:
            name = check_file_name(file_name(f))
            _copy_verified(folder / name, staging / name, f)
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, target)
        except OSError as e:
            raise DownloadError(
                f"cannot create {target} ({e.strerror or type(e).__name__}); nothing was changed"
            ) from None
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise DownloadError(
            f"cannot write in {dest} ({e.strerror or type(e).__name__}); nothing was kept: pass another ",
            Param("dest", "DIR"),
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _copy_verified(src: Path, dst: Path, f: dict) -> None:
    h = hashlib.sha256()
    n = 0
    fd = os.open(src, _OPEN_FLAGS)
    try:
        with open(dst, "xb") as out:
            while chunk := os.read(fd, 1 << 20):
                n += len(chunk)
                if n > f["bytes"]:
                    break
                h.update(chunk)
                out.write(chunk)
    finally:
        os.close(fd)
    if n != f["bytes"] or h.hexdigest() != f["sha256"]:
        raise DownloadError(f"the cached {f['path']} changed while it was being copied; nothing was kept, try again")
