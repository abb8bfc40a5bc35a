"""The release's Data Package descriptor (``datapackage.json``), Data Package v2.

Valid for two readers at once: frictionless 5 (which checks every CSV cell against its Table
Schema, and the bytes and sha256 of every file) and the official Data Package v2 JSON Schema.

- The package carries ``$schema`` (v2), ``id``, ``homepage`` and ``contributors`` from
  ``schemas/package.json``, and ``sources``: the documents the figures come from, from the
  release's ``sources`` table.
- Each table is a CSV resource with its Table Schema; a coded field lists its codes as
  ``constraints.enum`` and, with their labels, as v2 ``categories``.
- Each table is also a sheet of the workbook: a table resource with the same schema, whose
  dialect names its sheet (``sheetName`` for v2 readers, ``excel.sheet`` for frictionless).
- The Parquet files are plain file resources (no ``type``: the v2 schema allows only
  ``"table"``), with ``mediatype`` application/vnd.apache.parquet and ``format`` "Parquet".
  The format is capitalised on purpose: frictionless 5 sends the lower-case extension to its
  own Parquet table reader, which reads nullable integers as floats and cannot count bytes, so
  the files would fail; as file resources their bytes and sha256 are checked.
"""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

from . import schemas
from .file_hashes import sha256
from .releases import current_release, package_metadata

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
TABLE_SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
PARQUET_FORMAT = "Parquet"
# package-level keys copied from schemas/package.json, in this order, when set
PACKAGE_KEYS = ("id", "name", "title", "description", "homepage")
LIST_KEYS = ("keywords", "licenses", "contributors")


def categories(vocabulary: str) -> list[dict]:
    """A vocabulary as v2 ``categories``: each code with its label."""
    return [{"value": code, "label": row["label"]} for code, row in schemas.vocabulary(vocabulary).items()]


def resource_schema(table: str) -> dict:
    """The published Table Schema: vocabularies resolved to enums and categories, private keys dropped."""
    d = copy.deepcopy(schemas.table(table).descriptor)
    d.pop("raw", None)
    d.pop("computed", None)
    d["$schema"] = TABLE_SCHEMA_PROFILE
    d = {"$schema": d.pop("$schema"), **d}
    for f in d["fields"]:
        vocab = f.pop("vocabulary", None)
        if f.pop("derived", False):
            f["description"] = f["description"] + " (Derived by the build.)"
        if vocab:
            f.setdefault("constraints", {})["enum"] = list(schemas.vocabulary(vocab))
            f["categories"] = categories(vocab)
    return d


def _file(path: str, data: bytes) -> dict:
    return {"path": path, "bytes": len(data), "hash": "sha256:" + sha256(data)}


def package_sources(sources: list[dict]) -> list[dict]:
    """v2 ``sources``: every document of the release, with its address where it has one."""
    out = []
    for s in sources:
        src = {"title": s.get("title") or s["source_id"]}
        if s.get("url"):
            src["path"] = s["url"]
        elif s.get("doi"):
            src["path"] = f"https://doi.org/{s['doi']}"
        out.append(src)
    return out


def descriptor(version: str, files: dict[str, bytes], prefix: str = "", meta: dict | None = None) -> dict:
    """The descriptor of release ``version`` whose files are ``files`` (paths under ``prefix``).

    ``meta`` is the package metadata (default: schemas/package.json)."""
    from . import workbook

    meta = meta if meta is not None else package_metadata()
    release = next((r for r in meta["releases"] if r["version"] == version), {"date": current_release()["date"]})
    pkg: dict[str, Any] = {"$schema": PROFILE}
    pkg.update({k: meta[k] for k in PACKAGE_KEYS if meta.get(k)})
    pkg["version"] = version
    pkg["created"] = f"{release['date']}T00:00:00Z"
    pkg.update({k: meta[k] for k in LIST_KEYS if meta.get(k)})
    if "sources.csv" in files:
        rows = csv.DictReader(io.StringIO(files["sources.csv"].decode("utf-8"), newline=""))
        pkg["sources"] = package_sources(list(rows))
    tables = schemas.table_names()
    resources = []
    for table in tables:
        t = schemas.table(table)
        resources.append(
            {
                "name": table,
                "type": "table",
                **_file(f"{prefix}{table}.csv", files[f"{table}.csv"]),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": t.description,
                "dialect": {
                    "delimiter": ",",
                    "lineTerminator": "\n",
                    "quoteChar": '"',
                    "doubleQuote": True,
                    "header": True,
                },
                "schema": resource_schema(table),
            }
        )
    for table in tables:
        resources.append(
            {
                "name": f"{table}-parquet",
                **_file(f"{prefix}{table}.parquet", files[f"{table}.parquet"]),
                "format": PARQUET_FORMAT,
                "mediatype": PARQUET_MEDIATYPE,
                "description": f"The {table} table as Parquet (zstd): the same rows and columns as resource '{table}'.",
            }
        )
    book = workbook.file_name()
    if book in files:
        for table in tables:
            resources.append(
                {
                    "name": f"{table}-xlsx",
                    "type": "table",
                    **_file(f"{prefix}{book}", files[book]),
                    "format": "xlsx",
                    "mediatype": workbook.MEDIATYPE,
                    "description": (
                        f"The {table} table as the sheet '{table}' of the workbook {book}, whose first "
                        f"sheet '{workbook.ABOUT_SHEET}' explains the release and its codes."
                    ),
                    "dialect": {"sheetName": table, "header": True, "excel": {"sheet": table}},
                    "schema": resource_schema(table),
                }
            )
    # the metadata files for other readers are resources too, so that a descriptor pinned by
    # its hash covers every file of the release
    from .reader_files import CARD, CROISSANT

    for name, path, fmt, mediatype, what in (
        ("croissant", CROISSANT, "JSON-LD", "application/ld+json", "Croissant metadata of the release"),
        ("dataset-card", CARD, "Markdown", "text/markdown", "the dataset card (for dataset hubs)"),
    ):
        if path in files:
            resources.append(
                {
                    "name": name,
                    **_file(f"{prefix}{path}", files[path]),
                    "format": fmt,
                    "mediatype": mediatype,
                    "description": f"{what[0].upper()}{what[1:]}.",
                }
            )
    pkg["resources"] = resources
    return pkg
