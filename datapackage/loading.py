"""Load a released table as a pandas DataFrame with meaningful dtypes."""
from __future__ import annotations

import json
from pathlib import Path

from . import _schema


class ReleaseError(LookupError):
    """The requested version or table is not in the release folder."""


def _build_dir(root) -> Path:
    return Path(root) if root is not None else _schema.ROOT / "build"


def versions(root=None) -> list[str]:
    """Versions present under ``build/``, oldest first."""
    d = _build_dir(root)
    found = [p.name for p in d.iterdir() if p.is_dir() and (p / "datapackage.json").is_file()] if d.is_dir() else []
    return sorted(found, key=lambda v: tuple(int(x) if x.isdigit() else x for x in v.split(".")))


def current_version(root=None) -> str:
    desc = _schema.ROOT / "datapackage.json"
    if root is None and desc.is_file():
        return json.loads(desc.read_text(encoding="utf-8"))["version"]
    found = versions(root)
    if not found:
        raise ReleaseError(f"no release in {_build_dir(root)}; run: python -m datapackage build")
    return found[-1]


def _release(version, root) -> tuple[str, dict]:
    version = version or current_version(root)
    path = _build_dir(root) / version / "datapackage.json"
    if not path.is_file():
        known = ", ".join(versions(root)) or "none"
        raise ReleaseError(f"version {version} is not released here (known versions: {known})")
    return version, json.loads(path.read_text(encoding="utf-8"))


def tables(version: str | None = None, root=None) -> list[str]:
    """Names of the tables a release holds."""
    _, desc = _release(version, root)
    return [r["name"] for r in desc["resources"] if r.get("format") == "csv"]


def dtypes(table: str) -> dict:
    """The pandas dtype of every column of ``table``, from ``schemas/``."""
    import pandas as pd

    out = {}
    for f in _schema.table(table).fields:
        if f.vocabulary:
            out[f.name] = pd.CategoricalDtype(list(_schema.vocabulary(f.vocabulary)), ordered=False)
        elif f.type in ("string", "duration"):
            out[f.name] = pd.StringDtype()
        elif f.type == "number":
            out[f.name] = pd.Float64Dtype()
        elif f.type == "integer":
            out[f.name] = pd.Int64Dtype()
        elif f.type == "date":
            out[f.name] = "datetime64[ms]"
        elif f.type == "boolean":
            out[f.name] = pd.BooleanDtype()
    return out


def load(table: str = "figures", version: str | None = None, root=None):
    """Return ``table`` of release ``version`` (default: the current one) as a DataFrame.

    Coded fields are categoricals over their whole vocabulary, numbers are nullable
    ``Float64``/``Int64``, text is ``string``.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    version, desc = _release(version, root)
    names = [r["name"] for r in desc["resources"] if r.get("format") == "csv"]
    if table not in names:
        raise ReleaseError(f"release {version} has no table {table!r} (tables: {', '.join(names)})")
    path = _build_dir(root) / version / f"{table}.parquet"
    arrow = pq.read_table(path)
    df = arrow.to_pandas()
    for name, dtype in dtypes(table).items():
        if name in df.columns:
            if dtype == "datetime64[ms]":
                df[name] = pd.to_datetime(df[name]).astype(dtype)
            else:
                df[name] = df[name].astype(dtype)
    return df
