"""Fetch a published release over HTTP, with caching and checksums (pooch).

The address is, in order: the ``base_url`` argument (``--base-url``), the
``DATAPACKAGE_BASE_URL`` environment variable, and ``download_base_url`` in
``schemas/package.json``. Under it lie ``versions.json`` and ``<version>/<file>``, as in
``build/``. Files are verified against the sha256 in ``versions.json``; a tampered,
truncated or missing file is refused and nothing half-written is kept.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from .releases import MANIFEST, package_metadata, sha256, version_key

BASE_URL_ENV = "DATAPACKAGE_BASE_URL"
CACHE_ENV = "DATAPACKAGE_CACHE"


class DownloadError(Exception):
    """A release could not be fetched; the message says why and what to do."""


def base_url(override: str | None = None) -> str:
    url = override or os.environ.get(BASE_URL_ENV) or package_metadata().get("download_base_url") or ""
    if not url:
        raise DownloadError(f"no download address: pass --base-url URL or set {BASE_URL_ENV} to the "
                            "address where the repository publishes build/")
    return url if url.endswith("/") else url + "/"


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    import pooch

    return Path(pooch.os_cache("ketamine-ssri-evidence"))


def _cached_manifest(cache: Path, url: str) -> Path:
    # one cache per address, so two servers never mix
    return cache / sha256(url.encode())[:16] / MANIFEST


def _get(url: str, timeout: float = 30) -> bytes:
    import requests

    r = requests.get(url, timeout=timeout)
    r.raise_for_status()
    return r.content


def manifest(url: str, cache: Path) -> dict:
    """``versions.json`` from the server, or the cached copy when offline."""
    import requests

    local = _cached_manifest(cache, url)
    try:
        data = _get(url + MANIFEST)
        parsed = json.loads(data)
    except requests.HTTPError as e:
        raise DownloadError(f"{url}{MANIFEST}: the server answered {e.response.status_code}; is the address right?") from None
    except (requests.ConnectionError, requests.Timeout):
        if local.is_file():
            return json.loads(local.read_text(encoding="utf-8"))
        raise DownloadError(f"cannot reach {url} and nothing is cached yet: you seem to be offline. "
                            "Connect once to download the release; later loads work offline.") from None
    except ValueError:
        raise DownloadError(f"{url}{MANIFEST} is not a release manifest (not JSON)") from None
    local.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=local.parent, prefix=".versions.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, local)
    return parsed


def _entry(man: dict, version: str | None) -> dict:
    versions = sorted((e["version"] for e in man.get("versions", [])), key=version_key)
    if not versions:
        raise DownloadError("the server lists no published version")
    version = version or versions[-1]
    for e in man["versions"]:
        if e["version"] == version:
            return e
    raise DownloadError(f"unknown version {version}; known versions: {', '.join(versions)}")


def _complete(folder: Path, entry: dict) -> bool:
    for f in entry["files"]:
        p = folder / Path(f["path"]).name
        if not p.is_file() or p.stat().st_size != f["bytes"] or sha256(p.read_bytes()) != f["sha256"]:
            return False
    return True


def fetch(version: str | None = None, *, base: str | None = None, cache: str | os.PathLike | None = None) -> Path:
    """Download (or find in the cache) release ``version`` (default: the newest); return its folder."""
    import pooch
    import requests

    url = base_url(base)
    root = cache_dir(cache) / sha256(url.encode())[:16]
    local_manifest = root / MANIFEST
    # fully cached and verified: no network needed
    if version and local_manifest.is_file():
        try:
            entry = _entry(json.loads(local_manifest.read_text(encoding="utf-8")), version)
            if _complete(root / version, entry):
                return root / version
        except DownloadError:
            pass
    entry = _entry(manifest(url, cache_dir(cache)), version)
    folder = root / entry["version"]
    folder.mkdir(parents=True, exist_ok=True)
    for f in entry["files"]:
        name = Path(f["path"]).name
        try:
            pooch.retrieve(url=url + f["path"], known_hash=f"sha256:{f['sha256']}", fname=name,
                           path=folder, progressbar=False)
        except ValueError as e:
            if "hash" in str(e).lower():
                raise DownloadError(f"{url}{f['path']} failed its checksum (truncated or tampered); "
                                    "it was not kept") from None
            raise
        except requests.HTTPError as e:
            raise DownloadError(f"{url}{f['path']}: the server answered {e.response.status_code} "
                                "(missing file); the release is incomplete on the server") from None
        except (requests.ConnectionError, requests.Timeout):
            raise DownloadError(f"cannot reach {url} to fetch {f['path']} and it is not cached: "
                                "you seem to be offline") from None
    return folder


def download(version: str | None = None, dest: str | os.PathLike = ".", *, base: str | None = None,
             cache: str | os.PathLike | None = None) -> Path:
    """Fetch a release and copy it to ``dest/<version>/`` (atomically)."""
    folder = fetch(version, base=base, cache=cache)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / folder.name
    staging = Path(tempfile.mkdtemp(dir=dest, prefix=f".download-{folder.name}-"))
    try:
        for p in sorted(folder.iterdir()):
            if p.is_file() and not p.name.startswith("."):
                shutil.copyfile(p, staging / p.name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
