"""Load a released table as a pandas DataFrame with meaningful dtypes.

A release is looked up in the project's (or the installed package's) ``build/``, then in
the download cache, and finally downloaded (see :mod:`ketamine_ssri_evidence.download`).
"""
from __future__ import annotations

import json
from pathlib import Path

from . import _schema
from .releases import version_key


class ReleaseError(LookupError):
    """The requested version or table does not exist."""


def _build_dir(root) -> Path:
    return Path(root) if root is not None else _schema.ROOT / "build"


def versions(root=None) -> list[str]:
    """Versions present in the local ``build/``, oldest first.

    >>> versions()[:2]
    ['0.1.0', '0.2.0']
    """
    d = _build_dir(root)
    found = [p.name for p in d.iterdir() if p.is_dir() and (p / "datapackage.json").is_file()] if d.is_dir() else []
    return sorted(found, key=version_key)


def current_version(root=None) -> str:
    """The current release: the one the root ``datapackage.json`` describes."""
    desc = _schema.ROOT / "datapackage.json"
    if root is None and desc.is_file():
        return json.loads(desc.read_text(encoding="utf-8"))["version"]
    found = versions(root)
    if not found:
        raise ReleaseError(f"no release in {_build_dir(root)}; run: python -m ketamine_ssri_evidence build")
    return found[-1]


def release_dir(version: str | None = None, root=None, *, download: bool = True) -> Path:
    """The folder holding release ``version``: local, cached, or freshly downloaded."""
    version = version or current_version(root)
    local = _build_dir(root) / version
    if (local / "datapackage.json").is_file():
        return local
    if root is None and download:
        from .download import DownloadError, fetch

        try:
            return fetch(version)
        except DownloadError as e:
            known = ", ".join(versions(root)) or "none"
            raise ReleaseError(f"version {version} is not here (known versions here: {known}) and "
                               f"could not be downloaded: {e}") from None
    known = ", ".join(versions(root)) or "none"
    raise ReleaseError(f"version {version} is not released here (known versions: {known})")


def _descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def tables(version: str | None = None, root=None) -> list[str]:
    """Names of the tables a release holds.

    >>> tables("0.1.0")
    ['sources', 'figures']
    """
    desc = _descriptor(release_dir(version, root))
    return [r["name"] for r in desc["resources"] if r.get("format") == "csv"]


def dtypes(table: str, schema: dict | None = None) -> dict:
    """The pandas dtype of every column of ``table``.

    From the release's own Table Schema when given (so an old release loads with the codes
    it was published with), else from ``schemas/``.
    """
    import pandas as pd

    if schema is None:
        t = _schema.table(table)
        fields = [(f.name, f.type, list(_schema.vocabulary(f.vocabulary)) if f.vocabulary else None) for f in t.fields]
    else:
        fields = [(f["name"], f.get("type", "string"), f.get("constraints", {}).get("enum")) for f in schema["fields"]]
    out: dict[str, object] = {}
    for name, typ, codes in fields:
        if codes is not None:
            out[name] = pd.CategoricalDtype(codes, ordered=False)
        elif typ in ("string", "duration"):
            out[name] = pd.StringDtype()
        elif typ == "number":
            out[name] = pd.Float64Dtype()
        elif typ == "integer":
            out[name] = pd.Int64Dtype()
        elif typ == "date":
            out[name] = "datetime64[ms]"
        elif typ == "boolean":
            out[name] = pd.BooleanDtype()
        else:
            out[name] = pd.StringDtype()
    return out


def load(table: str = "figures", version: str | None = None, root=None):
    """Return ``table`` of release ``version`` (default: the current one) as a DataFrame.

    Coded fields are categoricals over their whole vocabulary, numbers are nullable
    ``Float64``/``Int64``, text is ``string``. A version not present locally is downloaded
    once (checksums verified) and cached; see :mod:`ketamine_ssri_evidence.download`.

    >>> import ketamine_ssri_evidence as kse
    >>> figures = kse.load("figures", version="0.1.0")
    >>> len(figures), str(figures["value"].dtype), figures["qualifier"].dtype.name
    (417, 'Float64', 'category')
    >>> figures.loc[0, "figure_id"]
    'aijoining-ketamine-vs-ssri-new-data/001'
    """
    import pyarrow.parquet as pq

    folder = release_dir(version, root)
    desc = _descriptor(folder)
    schemas = {r["name"]: r.get("schema") for r in desc["resources"] if r.get("format") == "csv"}
    if table not in schemas:
        raise ReleaseError(f"release {desc['version']} has no table {table!r} (tables: {', '.join(schemas)})")
    df = pq.read_table(folder / f"{table}.parquet").to_pandas()
    for name, dtype in dtypes(table, schemas[table]).items():
        if name in df.columns:
            df[name] = df[name].astype(dtype)
    return df
