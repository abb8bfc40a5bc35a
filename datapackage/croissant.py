"""Croissant metadata (``croissant.json``): the release for machine-learning tools and dataset search.

Croissant 1.0 (MLCommons) is schema.org ``Dataset`` JSON-LD with a description of the files
(``distribution``: each table's Parquet file with its sha256) and of the records in them
(``recordSet``: one per table, a field per column with its type and description, the primary
key as key). Everything comes from ``schemas/`` and the release's files.

:func:`schema_org_dataset` is the plain schema.org part, for a web page's head.
"""

from __future__ import annotations

from typing import Any

from . import schemas
from .field_types import field_type
from .file_hashes import sha256
from .releases import package_metadata

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
PARQUET = "application/x-parquet"
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def _release_date(version: str) -> str:
    meta = package_metadata()
    return next((r["date"] for r in meta["releases"] if r["version"] == version), meta["releases"][-1]["date"])


def _data_licence(meta: dict) -> dict | None:
    return next((lic for lic in meta.get("licenses", []) if lic["name"].startswith("CC")), None)


def schema_org_dataset(version: str) -> dict:
    """schema.org ``Dataset`` metadata of release ``version`` (JSON-LD), as search engines read it."""
    from .workbook import citation_text

    meta = package_metadata()
    date = _release_date(version)
    d = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": meta["title"],
        "alternateName": meta["name"],
        "description": meta["description"],
        "version": version,
        "datePublished": date,
        "keywords": meta.get("keywords", []),
        "creator": [{"@type": "Organization", "name": c["title"]} for c in meta.get("contributors", [])],
        "citation": citation_text(version, date),
        "isAccessibleForFree": True,
    }
    lic = _data_licence(meta)
    if lic:
        d["license"] = lic["path"]
    if meta.get("id"):
        d["identifier"] = meta["id"]
    if meta.get("homepage"):
        d["url"] = meta["homepage"]
    return d


def croissant(version: str, files: dict[str, bytes]) -> dict:
    """The Croissant JSON-LD of release ``version`` whose files are ``files``."""
    base = schema_org_dataset(version)
    d: dict[str, Any] = {"@context": CONTEXT, "@type": "sc:Dataset", "conformsTo": CONFORMS_TO}
    d.update({k: v for k, v in base.items() if k not in ("@context", "@type", "citation")})
    d["citeAs"] = base["citation"]
    d["distribution"] = []
    d["recordSet"] = []
    for table in schemas.table_names():
        t = schemas.table(table)
        name = f"{table}.parquet"
        d["distribution"].append(
            {
                "@type": "cr:FileObject",
                "@id": name,
                "name": name,
                "description": f"The {table} table as Parquet.",
                "contentUrl": name,
                "encodingFormat": PARQUET,
                "sha256": sha256(files[name]),
            }
        )
        fields = []
        for f in t.fields:
            desc = f.description
            if f.vocabulary:
                desc += (
                    f" A code from the vocabulary {f.vocabulary}: "
                    + "; ".join(f"{c} ({row['label']})" for c, row in schemas.vocabulary(f.vocabulary).items())
                    + "."
                )
            fields.append(
                {
                    "@type": "cr:Field",
                    "@id": f"{table}/{f.name}",
                    "name": f.name,
                    "description": desc,
                    "dataType": field_type(f.type).croissant,
                    "source": {"fileObject": {"@id": name}, "extract": {"column": f.name}},
                }
            )
        rs = {"@type": "cr:RecordSet", "@id": table, "name": table, "description": t.description, "field": fields}
        if t.primary_key:
            rs["key"] = [{"@id": f"{table}/{k}"} for k in t.primary_key]
        d["recordSet"].append(rs)
    return d
