"""Build a release: validate ``raw/``, derive columns, write Parquet, CSV and descriptors.

Deterministic (same input, same bytes) and atomic (a failed validation or an interrupted
build leaves the previous ``build/`` as it was).
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from . import _schema
from .derive import derive_figure
from .issues import Issue
from .package_descriptor import descriptor
from .reader_files import reader_files
from .releases import (MANIFEST, ReleaseConflict, check_not_rewritten, current_release, manifest_bytes,
                       manifest_entry, package_metadata, read_manifest)
from .validation import validate

PARQUET_OPTIONS = dict(
    compression="zstd", compression_level=9, row_group_size=1_000_000, version="2.6",
    data_page_version="1.0", use_dictionary=True, write_statistics=True, store_schema=False,
)


class BuildError(Exception):
    """The data did not validate; ``issues`` says why. Nothing was written."""

    def __init__(self, issues: list[Issue]):
        super().__init__(f"{len(issues)} problems")
        self.issues = issues


# ------------------------------------------------------------------ tables

def _records(table: str, rows: list[dict]) -> list[dict]:
    t = _schema.table(table)
    out = []
    for r in rows:
        rec = {f.name: r.get(f.name) for f in t.raw_fields}
        if table == "figures":
            rec = derive_figure(rec)
        out.append({f.name: rec.get(f.name) for f in t.fields})
    key = t.primary_key
    return sorted(out, key=lambda r: tuple(r[k] for k in key))


def _computed(table: str, built: dict[str, list[dict]]) -> list[dict]:
    """A table the build computes from the contributed ones (``computed`` in its schema)."""
    from . import checks

    t = _schema.table(table)
    steps = {
        "claim_checks": lambda: checks.claim_checks(built["figures"], built["sources"]),
        "contradictions": lambda: checks.contradictions(built["figures"]),
    }
    rows = steps[t.computed]()
    key = t.primary_key
    return sorted(({f.name: r.get(f.name) for f in t.fields} for r in rows), key=lambda r: tuple(r[k] for k in key))


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v)


def csv_bytes(table: str, records: list[dict]) -> bytes:
    names = [f.name for f in _schema.table(table).fields]
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for r in records:
        w.writerow([_cell(r[n]) for n in names])
    return buf.getvalue().encode("utf-8")


def arrow_table(table: str, records: list[dict]):
    import pyarrow as pa

    types = {"string": pa.string(), "duration": pa.string(), "number": pa.float64(),
             "integer": pa.int64(), "date": pa.date32(), "boolean": pa.bool_()}
    fields = _schema.table(table).fields
    schema = pa.schema([pa.field(f.name, types[f.type], nullable=not f.required) for f in fields])
    arrays = [pa.array([r[f.name] for r in records], type=types[f.type]) for f in fields]
    return pa.Table.from_arrays(arrays, schema=schema).combine_chunks()


def parquet_bytes(table: str, records: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(arrow_table(table, records), sink, **PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()


def check_with_pandera(table: str, records: list[dict]) -> None:
    """A second, independent check of the final table against its schema."""
    import pandas as pd

    from ._pandera import PANDAS_DTYPES, dataframe_schema

    t = _schema.table(table)
    df = pd.DataFrame({f.name: pd.Series([r[f.name] for r in records], dtype="object") for f in t.fields})
    for f in t.fields:
        df[f.name] = df[f.name].astype(PANDAS_DTYPES[f.type]) if f.type != "date" else pd.to_datetime(df[f.name]).astype(PANDAS_DTYPES["date"])
    dataframe_schema(table).validate(df, lazy=True)


# ------------------------------------------------------------------ descriptors

def _json_bytes(d: dict) -> bytes:
    return (json.dumps(d, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# ------------------------------------------------------------------ build

def render_release(raw_dir=None, snapshots=None, version: str | None = None) -> dict[str, bytes]:
    """Validate and render every file of a release in memory: ``{file name: bytes}``."""
    result = validate(raw_dir=raw_dir, snapshots=snapshots)
    if result.issues:
        raise BuildError(result.issues)
    version = version or current_release()["version"]
    files: dict[str, bytes] = {}
    built: dict[str, list[dict]] = {}
    for table in _schema.table_names():
        t = _schema.table(table)
        if t.computed:
            records = _computed(table, built)
        else:
            records = _records(table, result.rows[table])
        built[table] = records
        check_with_pandera(table, records)
        files[f"{table}.csv"] = csv_bytes(table, records)
        files[f"{table}.parquet"] = parquet_bytes(table, records)
    files.update(reader_files(version, built, files))
    files["datapackage.json"] = _json_bytes(descriptor(version, files))
    return files


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(*, raw_dir=None, out_dir=None, root_descriptor=None, snapshots=None,
          version: str | None = None) -> Path:
    """Build ``<out_dir>/<version>/``, record it in ``versions.json`` and point
    ``root_descriptor`` at it.

    Defaults: the project's ``raw/``, ``build/`` and ``datapackage.json``, and the last
    release of ``schemas/package.json``. Raises :class:`BuildError` (writing nothing) when
    the data does not validate, and :class:`ReleaseConflict` when the build would change a
    published version.
    """
    release = current_release() if version is None else next(
        (r for r in package_metadata()["releases"] if r["version"] == version), None)
    if release is None:
        raise ReleaseConflict(f"version {version} is not in the releases of schemas/package.json")
    version = release["version"]
    files = render_release(raw_dir=raw_dir, snapshots=snapshots, version=version)
    out_dir = Path(out_dir) if out_dir is not None else _schema.ROOT / "build"
    root_descriptor = Path(root_descriptor) if root_descriptor is not None else _schema.ROOT / "datapackage.json"
    entry = manifest_entry(version, release["date"], files)
    check_not_rewritten(out_dir, entry)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / version
    staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".staging-{version}-"))
    try:
        for name, data in sorted(files.items()):
            (staging / name).write_bytes(data)
        os.chmod(staging, 0o755)
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".old-{version}-"))
            os.replace(target, old / version)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest = read_manifest(out_dir)
    manifest["versions"] = [e for e in manifest["versions"] if e["version"] != version] + [entry]
    _write_atomic(out_dir / MANIFEST, manifest_bytes(manifest))
    rel = os.path.relpath(target, root_descriptor.parent).replace(os.sep, "/")
    release_files = {k: v for k, v in files.items() if k != "datapackage.json"}
    _write_atomic(root_descriptor, _json_bytes(descriptor(version, release_files, prefix=f"{rel}/")))
    return target
