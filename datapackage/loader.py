"""Load a released table as a pandas DataFrame (or an Arrow table), with its meaning attached.

A release is looked up in the project's (or the installed package's) ``build/``, then in
the download cache, and finally downloaded (see :mod:`ketamine_ssri_evidence.download`).
Frames carry in ``.attrs`` the release version, licence, citation and every field's
description, all read from the release's own ``datapackage.json`` (written from
``schemas/``); :func:`vocabulary` gives the codes of a coded field with their labels and
definitions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from . import schemas
from .field_types import field_type
from .releases import ReleaseError, check_version, is_prerelease, is_version, shipped_manifest, show, version_key

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "ReleaseError",
    "VersionInfo",
    "versions",
    "current_version",
    "latest_version",
    "release_dir",
    "tables",
    "dtypes",
    "load",
    "vocabulary",
]

TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
PathLike = str | os.PathLike


@dataclass(frozen=True, eq=False)
class VersionInfo:
    """One published version, as :func:`versions` lists it.

    ``where``: ``local`` (its files are in this package's ``build/``), ``cached`` (in the
    download cache, verified), ``shipped`` (this package knows its hashes; it downloads on
    first use) or ``server`` (only the server lists it). ``trusted``: ``shipped-hash`` (the
    package's own hashes), ``pinned`` (hashes the user pinned), ``tofu`` (the server's word,
    trusted on first use) or ``local`` (a folder given as ``root``, not listed by the package).
    """

    version: str
    date: str | None
    where: str
    trusted: str
    current: bool = False

    # a record equals its version string, so that ``"0.2.0" in versions()`` reads naturally
    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.version == other
        if isinstance(other, VersionInfo):
            return (self.version, self.date, self.where, self.trusted, self.current) == (
                other.version,
                other.date,
                other.where,
                other.trusted,
                other.current,
            )
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.version)

    def __str__(self) -> str:
        return self.version


def _build_dir(root: PathLike | None) -> Path:
    return Path(root) if root is not None else schemas.ROOT / "build"


def _local_versions(root: PathLike | None) -> list[str]:
    d = _build_dir(root)
    try:
        found = [
            p.name
            for p in d.iterdir()
            if is_version(p.name) and not p.is_symlink() and (p / "datapackage.json").is_file()
        ]
    except OSError:
        found = []
    return sorted(found, key=version_key)


def _net(base_url, cache, sha256, allow_http, timeout) -> dict:
    return {"base_url": base_url, "cache": cache, "sha256": sha256, "allow_http": allow_http, "timeout": timeout}


def _collect(
    root: PathLike | None,
    server: bool | None,
    base_url: str | None,
    cache: PathLike | None,
    allow_http: bool | None,
    timeout: float | None,
    strict: bool = False,
) -> tuple[list[VersionInfo], bool]:
    local = _local_versions(root)
    if root is not None:
        shipped = shipped_manifest()
        return [
            VersionInfo(v, shipped.get(v, {}).get("date"), "local", "shipped-hash" if v in shipped else "local")
            for v in local
        ], False
    import importlib

    dl = importlib.import_module(".download", __package__)  # the package attribute is the function download()
    shipped = shipped_manifest()
    cache_root = dl.cache_dir(cache)
    cached: dict[str, tuple[dict, str]] = {}
    try:
        names = [p.name for p in (cache_root / "releases").iterdir() if is_version(p.name)]
    except OSError:
        names = []
    for v in names:
        known = dl.cached_release(v, cache_root)
        if known is not None:
            cached[v] = known
    remote: dict[str, dict] = {}
    reached = False
    if server is not False:
        try:
            url = dl.resolve_base_url(base_url)
        except dl.DownloadError:
            if server:
                raise
            url = None
        if url is not None:
            try:
                remote = dl.server_manifest(
                    url, cache=cache_root, allow_http=allow_http, timeout=timeout if timeout is not None else 15.0
                )
                reached = True
            except dl.DownloadError as e:
                if server or (strict and not isinstance(e, dl.Offline)):
                    raise
                if not isinstance(e, dl.Offline):
                    import warnings

                    warnings.warn(f"the server's version list was not used: {e}", dl.TrustWarning, stacklevel=3)
                remote = dl.cached_server_manifest(url, cache_root)
    current = current_version()
    out = []
    for v in sorted(set(local) | set(cached) | set(shipped) | set(remote), key=version_key):
        where = "local" if v in local else "cached" if v in cached else "shipped" if v in shipped else "server"
        trusted = "shipped-hash" if v in shipped else cached[v][1] if v in cached else "tofu"
        entry = shipped.get(v) or (cached[v][0] if v in cached else remote.get(v)) or {}
        out.append(VersionInfo(v, entry.get("date"), where, trusted, v == current))
    return out, reached


def versions(
    root: PathLike | None = None,
    *,
    server: bool | None = None,
    base_url: str | None = None,
    cache: PathLike | None = None,
    allow_http: bool | None = None,
    timeout: float | None = None,
) -> list[VersionInfo]:
    """Every published version, oldest first, with where it is and why it is trusted.

    Lists the versions this package ships (with their hashes), those in its ``build/`` and
    in the download cache, and, when a download address is set and reachable, the server's
    (``server=None``: ask if an address is set; ``True``: the server must answer; ``False``:
    never ask). With ``root``, only the release folders under ``root``.
    ``pandas.DataFrame(versions())`` makes a table of them.

    >>> import ketamine_ssri_evidence as kse
    >>> [(v.version, v.trusted) for v in kse.versions(server=False)][:2]
    [('0.1.0', 'shipped-hash'), ('0.2.0', 'shipped-hash')]
    """
    return _collect(root, server, base_url, cache, allow_http, timeout)[0]


def current_version(root: PathLike | None = None) -> str:
    """The current release: the one the root ``datapackage.json`` describes.

    >>> import ketamine_ssri_evidence as kse
    >>> kse.current_version() in [v.version for v in kse.versions(server=False)]
    True
    """
    desc = schemas.ROOT / "datapackage.json"
    if root is None and desc.is_file():
        try:
            v = json.loads(desc.read_text(encoding="utf-8"))["version"]
            if is_version(v):
                return v
        except (OSError, ValueError, KeyError, TypeError):
            pass
    found = _local_versions(root)
    if not found:
        raise ReleaseError(f"no release in {_build_dir(root)}; run: python -m ketamine_ssri_evidence build")
    return found[-1]


def latest_version(
    *,
    base_url: str | None = None,
    cache: PathLike | None = None,
    allow_http: bool | None = None,
    timeout: float | None = None,
) -> str:
    """The newest published version (not a pre-release): the server's when it answers, else
    the newest one here (in ``build/`` or the cache) when it cannot be reached. A server that
    answers with a list this package refuses is an error, not a reason to fall back."""
    records, reached = _collect(None, None, base_url, cache, allow_http, timeout, strict=True)
    usable = [r.version for r in records if reached or r.where in ("local", "cached")]
    final = [v for v in usable if not is_prerelease(v)] or usable
    if not final:
        raise ReleaseError("no release here and the server could not be reached to find the latest: pass base_url=URL")
    return max(final, key=version_key)


def release_dir(
    version: str | None = None,
    root: PathLike | None = None,
    *,
    download: bool = True,
    base_url: str | None = None,
    cache: PathLike | None = None,
    sha256: str | Mapping[str, str] | None = None,
    allow_http: bool | None = None,
    timeout: float | None = None,
) -> Path:
    """The folder holding release ``version``: local, cached, or freshly downloaded.

    ``version`` is a semantic version, ``"latest"``, or None for the current release. Any
    other string is refused before a path is made of it.
    """
    if version is None:
        version = current_version(root)
    elif version == "latest" and root is None:
        version = latest_version(base_url=base_url, cache=cache, allow_http=allow_http, timeout=timeout)
    elif version == "latest":
        version = current_version(root)
    if not is_version(version):
        raise ReleaseError(
            f"version {show(version)} is not a semantic version (MAJOR.MINOR.PATCH, such as 0.2.0) or 'latest'"
        )
    version = check_version(version)
    local = _build_dir(root) / version
    if not local.is_symlink() and (local / "datapackage.json").is_file():
        return local
    known = ", ".join(_local_versions(root)) or "none"
    if root is None and download:
        from .download import DownloadError, fetch

        try:
            return fetch(version, **_net(base_url, cache, sha256, allow_http, timeout))
        except DownloadError as e:
            raise e.prefixed(f"version {version} is not here (known versions here: {known}); ") from None
    raise ReleaseError(f"version {version} is not released here (known versions: {known})")


def _descriptor(folder: Path) -> dict:
    path = folder / "datapackage.json"
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(desc, dict) or not isinstance(desc.get("resources"), list):
            raise ValueError
        return desc
    except (OSError, ValueError, RecursionError):
        raise ReleaseError(f"{path} is not a release descriptor (unreadable or not JSON)") from None


def _table_resources(desc: dict) -> dict[str, dict]:
    return {
        r["name"]: r
        for r in desc["resources"]
        if isinstance(r, dict)
        and r.get("format") == "csv"
        and isinstance(r.get("name"), str)
        and TABLE_NAME.fullmatch(r["name"])
    }


def tables(version: str | None = None, root: PathLike | None = None) -> list[str]:
    """Names of the tables a release holds.

    >>> import ketamine_ssri_evidence as kse
    >>> kse.tables()[:2]
    ['sources', 'figures']
    """
    return list(_table_resources(_descriptor(release_dir(version, root))))


def dtypes(table: str, schema: dict | None = None) -> dict[str, Any]:
    """The pandas dtype of every column of ``table``.

    From the release's own Table Schema when given (so an old release loads with the codes
    it was published with), else from ``schemas/``.
    """
    import pandas as pd

    if schema is None:
        t = schemas.table(table)
        fields = [(f.name, f.type, list(schemas.vocabulary(f.vocabulary)) if f.vocabulary else None) for f in t.fields]
    else:
        try:
            fields = [
                (f["name"], f.get("type", "string"), f.get("constraints", {}).get("enum")) for f in schema["fields"]
            ]
            if not all(
                isinstance(n, str) and (c is None or (isinstance(c, list) and all(isinstance(x, str) for x in c)))
                for n, _, c in fields
            ):
                raise TypeError
        except (KeyError, TypeError, AttributeError):
            raise ReleaseError(f"the release's Table Schema of {show(table)} is malformed") from None
    out: dict[str, Any] = {}
    for name, typ, codes in fields:  # an unknown type loads as text (field_types.field_type)
        if codes is not None:
            out[name] = pd.CategoricalDtype(codes, ordered=False)
        else:
            out[name] = pd.api.types.pandas_dtype(field_type(typ).pandas)
    return out


def _names(people: Any) -> list[str]:
    out = []
    for p in people if isinstance(people, list) else []:
        if isinstance(p, dict) and isinstance(p.get("title"), str):
            out.append(p["title"])
        elif isinstance(p, str):
            out.append(p)
    return out


def _citation(desc: dict) -> str:
    """How to cite the release: from its descriptor (and the package metadata for what it lacks)."""
    if isinstance(desc.get("citation"), str):
        return desc["citation"]
    try:
        from .releases import package_metadata

        meta = package_metadata()
    except (OSError, ValueError):
        meta = {}
    authors = _names(desc.get("contributors")) or _names(meta.get("contributors"))
    year = str(desc.get("created", ""))[:4]
    where = desc.get("homepage") or desc.get("id") or meta.get("homepage") or meta.get("id") or ""
    parts = [
        ", ".join(authors) or "ketamine-ssri-evidence contributors",
        f"({year})." if year else "",
        f"{desc.get('title') or meta.get('title') or desc.get('name', '')}",
        f"(version {desc.get('version')}) [Data set].",
        where,
    ]
    return " ".join(p for p in parts if p).strip()


def _metadata(desc: dict, resource: dict, table: str) -> dict:
    given = resource.get("schema")
    schema: dict = given if isinstance(given, dict) else {}
    fields = {
        f["name"]: f.get("description", "")
        for f in schema.get("fields", [])
        if isinstance(f, dict) and isinstance(f.get("name"), str)
    }
    vocabularies: dict[str, str] = {}
    try:
        vocabularies = {f.name: f.vocabulary for f in schemas.table(table).fields if f.vocabulary and f.name in fields}
    except (OSError, KeyError, ValueError):
        pass
    licenses = [dict(x) for x in desc.get("licenses", []) if isinstance(x, dict)]
    return {
        "table": table,
        "version": desc.get("version"),
        "title": desc.get("title", ""),
        "description": resource.get("description", ""),
        # the data's licence comes first in the descriptor; the code's follows
        "license": next((x["name"] for x in licenses if isinstance(x.get("name"), str)), ""),
        "licenses": licenses,
        "citation": _citation(desc),
        "fields": fields,
        "vocabularies": vocabularies,
        "primary_key": list(schema.get("primaryKey", [])),
    }


def _arrow(table, meta: dict):
    import pyarrow as pa

    fields = [f.with_metadata({"description": meta["fields"].get(f.name, "")}) for f in table.schema]
    extra = {k: v for k, v in meta.items() if k != "fields"}
    schema = pa.schema(fields, metadata={"ketamine_ssri_evidence": json.dumps(extra, ensure_ascii=False)})
    return pa.Table.from_arrays(table.columns, schema=schema)


@overload
def load(
    table: str = ...,
    version: str | None = ...,
    root: PathLike | None = ...,
    *,
    as_arrow: Literal[False] = ...,
    base_url: str | None = ...,
    cache: PathLike | None = ...,
    sha256: str | Mapping[str, str] | None = ...,
    allow_http: bool | None = ...,
    timeout: float | None = ...,
) -> pd.DataFrame: ...
@overload
def load(
    table: str = ...,
    version: str | None = ...,
    root: PathLike | None = ...,
    *,
    as_arrow: Literal[True],
    base_url: str | None = ...,
    cache: PathLike | None = ...,
    sha256: str | Mapping[str, str] | None = ...,
    allow_http: bool | None = ...,
    timeout: float | None = ...,
) -> pa.Table: ...


def load(
    table: str = "figures",
    version: str | None = None,
    root: PathLike | None = None,
    *,
    as_arrow: bool = False,
    base_url: str | None = None,
    cache: PathLike | None = None,
    sha256: str | Mapping[str, str] | None = None,
    allow_http: bool | None = None,
    timeout: float | None = None,
) -> pd.DataFrame | pa.Table:
    """Return ``table`` of release ``version`` as a DataFrame (or, with ``as_arrow``, an Arrow table).

    ``version``: None for the current release, ``"latest"`` for the newest published, or a
    semantic version. A version not present locally is downloaded once (verified against the
    hashes this package ships, the ``sha256`` you pin, or else trusted on first use with a
    warning) and cached, after which it loads offline with no address set. ``base_url``,
    ``cache``, ``sha256``, ``allow_http`` and ``timeout`` are as for
    :func:`ketamine_ssri_evidence.download.fetch`.

    Coded fields are categoricals over their vocabulary, numbers are nullable
    ``Float64``/``Int64``, text is ``string``. ``.attrs`` holds ``version``, ``license`` (the data's),
    ``licenses``, ``citation``, ``description``, ``fields`` (each field's description) and
    ``vocabularies`` (the vocabulary of each coded field, see :func:`vocabulary`). An Arrow
    table keeps the Parquet types, each field's description in its field metadata and the
    rest in the schema metadata under ``ketamine_ssri_evidence``.

    >>> import ketamine_ssri_evidence as kse
    >>> figures = kse.load("figures")
    >>> figures.attrs["version"] == kse.current_version(), figures.attrs["license"]
    (True, 'CC-BY-4.0')
    >>> figures.attrs["fields"]["value_text"][:25]
    'The figure exactly as pri'
    >>> kse.load("sources", as_arrow=True).schema.field("source_id").metadata[b"description"][:12]
    b'Stable slug '
    """
    if not isinstance(table, str) or not TABLE_NAME.fullmatch(table):
        raise ReleaseError(f"table {show(table)} is not a table name (tables: {', '.join(schemas.table_names())})")
    folder = release_dir(version, root, **_net(base_url, cache, sha256, allow_http, timeout))
    desc = _descriptor(folder)
    resources = _table_resources(desc)
    if table not in resources:
        raise ReleaseError(f"release {desc.get('version')} has no table {table!r} (tables: {', '.join(resources)})")
    import pyarrow.parquet as pq

    path = folder / f"{table}.parquet"
    try:
        arrow = pq.read_table(path)
    except (OSError, ValueError) as e:
        raise ReleaseError(f"{path} cannot be read as Parquet ({show(str(e), 100)})") from None
    meta = _metadata(desc, resources[table], table)
    if as_arrow:
        return _arrow(arrow, meta)
    df = arrow.to_pandas()
    schema = resources[table].get("schema")
    for name, dtype in dtypes(table, schema if isinstance(schema, dict) else None).items():
        if name in df.columns:
            try:
                df[name] = df[name].astype(dtype)
            except (ValueError, TypeError):
                raise ReleaseError(f"{path}: column {show(name)} does not hold its schema's type") from None
    df.attrs.update(meta)
    return df


def vocabulary(name: str) -> pd.DataFrame:
    """The codes of vocabulary ``name`` with their labels and definitions (from ``schemas/vocab/``).

    One row per code, in the vocabulary's order; columns ``code``, ``label``, ``definition``
    and any the vocabulary adds (a measure's ``dimension``, a unit's ``factor``).
    ``.attrs["fields"]`` names the fields coded with it. The names are those of
    ``load(...).attrs["vocabularies"]``.

    >>> import ketamine_ssri_evidence as kse
    >>> v = kse.vocabulary("treatment")
    >>> list(v.columns[:3]), "ketamine" in set(v["code"])
    (['code', 'label', 'definition'], True)
    """
    import pandas as pd

    names = schemas.vocabulary_names()
    if not isinstance(name, str) or name not in names:
        raise ReleaseError(f"no vocabulary {show(name)} (vocabularies: {', '.join(names)})")
    rows = list(schemas.vocabulary(name).values())
    df = pd.DataFrame(rows, columns=list(rows[0]) if rows else ["code", "label", "definition"], dtype="string")
    df.attrs["vocabulary"] = name
    df.attrs["fields"] = [
        f"{t}.{f.name}" for t in schemas.table_names() for f in schemas.table(t).fields if f.vocabulary == name
    ]
    return df
