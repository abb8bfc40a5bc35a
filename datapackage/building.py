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
from .release_metadata import parse_version
from .releases import (MANIFEST, ReleaseConflict, check_not_rewritten, current_release, described_with, manifest_bytes,
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


def _computed(table: str, built: dict[str, list[dict]], raw_dir=None, issues: list | None = None) -> list[dict]:
    """A table the build computes from the contributed ones (``computed`` in its schema)."""
    from . import claim_checks, contradictions, derive, reviews

    t = _schema.table(table)
    steps = {
        "derived_figures": lambda: derive.derived_figures(built["figures"], raw_dir, issues),
        "claim_checks": lambda: reviews.apply_reviews(claim_checks.claim_checks(
            built["figures"], built["sources"], built.get("derived_figures", ())), raw_dir, issues),
        "contradictions": lambda: contradictions.contradictions(built["figures"]),
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

class BuildWriteError(Exception):
    """The release could not be written (read-only folder, full disk, no permission, a
    corrupt ``versions.json``). The message is one line; the release folder in place is the
    old one or the complete new one, never a mixture."""


def release_files(version: str, built: dict[str, list[dict]], meta: dict | None = None) -> dict[str, bytes]:
    """Every file of a release, ``{file name: bytes}``, from its tables' final records.

    The one place that says what a release holds: to add a file to every release, add one
    line here (the bytes must depend on ``version`` and ``built`` only, so that the build
    stays deterministic).
    """
    files: dict[str, bytes] = {}
    for table, records in built.items():
        files[f"{table}.csv"] = csv_bytes(table, records)
        files[f"{table}.parquet"] = parquet_bytes(table, records)
    files.update(reader_files(version, built, files))
    files["datapackage.json"] = _json_bytes(descriptor(version, files, meta=meta))
    return files


def render_release(raw_dir=None, snapshots=None, version: str | None = None,
                   meta: dict | None = None) -> dict[str, bytes]:
    """Validate and render every file of a release in memory: ``{file name: bytes}``.

    ``meta`` is the package metadata to describe it with (default: schemas/package.json)."""
    result = validate(raw_dir=raw_dir, snapshots=snapshots)
    if result.issues:
        raise BuildError(result.issues)
    meta = meta if meta is not None else package_metadata()
    version = version or meta["releases"][-1]["version"]
    built: dict[str, list[dict]] = {}
    issues: list[Issue] = []  # from derived figures and reviews, which the build checks
    for table in _schema.table_names():
        t = _schema.table(table)
        if t.computed:
            records = _computed(table, built, raw_dir, issues)
            if issues:
                raise BuildError(issues)
        else:
            records = _records(table, result.rows[table])
        built[table] = records
        check_with_pandera(table, records)
    with described_with(meta):
        return release_files(version, built, meta)


# ------------------------------------------------------------------ writing, crash-safe

STAGING, OLD = ".staging-", ".old-"  # prefixes of the build's scratch folders inside build/


def _fault(e: OSError, path) -> BuildWriteError:
    """One line for a file-system fault, by its kind."""
    import errno

    where = str(path)
    kinds = {
        errno.EROFS: f"{where}: the file system is read-only; build into a writable folder with --out DIR",
        errno.EACCES: f"{where}: permission denied; check the owner and mode of the build folder",
        errno.EPERM: f"{where}: operation not permitted; check the owner and mode of the build folder",
        errno.ENOSPC: f"{where}: no space left on the device; free some space and build again",
        errno.EDQUOT: f"{where}: disk quota exceeded; free some space and build again",
        errno.ENOTDIR: f"{where}: a file stands where a folder is expected",
        errno.EISDIR: f"{where}: a folder stands where a file is expected",
    }
    msg = kinds.get(e.errno) or f"{where}: cannot write ({e.strerror or type(e).__name__})"
    return BuildWriteError(msg + " (no file is left half-written; build again once this is fixed)")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # a platform that cannot open folders (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, 0o644)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a temporary file beside ``path``, fsync it, and rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        _write_file(Path(tmp), data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE).

    False where the system has no such call; the caller then falls back to two renames,
    and :func:`recover` repairs a crash between them on the next run.
    """
    import ctypes
    import errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def recover(out_dir: Path) -> None:
    """Repair what an interrupted build left in ``out_dir``.

    A release folder that was moved aside (``.old-<version>-*/<version>``) and not replaced
    is moved back; then every scratch folder (``.staging-*``, ``.old-*``) is removed.
    """
    if not out_dir.is_dir():
        return
    for old in sorted(out_dir.glob(f"{OLD}*")):
        for inner in old.iterdir() if old.is_dir() else ():
            if inner.is_dir() and not (out_dir / inner.name).exists():
                os.replace(inner, out_dir / inner.name)
    for leftover in sorted(out_dir.glob(f"{STAGING}*")) + sorted(out_dir.glob(f"{OLD}*")):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)
    for tmp in out_dir.glob(f".{MANIFEST}.*"):
        tmp.unlink(missing_ok=True)


def _same_files(folder: Path, files: dict[str, bytes]) -> bool:
    if not folder.is_dir():
        return False
    names = {p.name for p in folder.iterdir()}
    return names == set(files) and all((folder / n).read_bytes() == d for n, d in files.items())


def write_release(out_dir: Path, version: str, files: dict[str, bytes]) -> Path:
    """Put ``files`` in ``out_dir/<version>/`` so that a crash at any point leaves either the
    folder that was there (or none) or the complete new one, never a mixture or a gap.

    The files are written and fsynced in a staging folder, which then takes the release
    folder's place in one step (an atomic exchange where the system has one; else two
    renames, repaired by :func:`recover` on the next run). An unchanged release is left
    untouched.
    """
    target = out_dir / version
    if _same_files(target, files):
        return target
    staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=f"{STAGING}{version}-"))
    try:
        for name, data in sorted(files.items()):
            _write_file(staging / name, data)
        os.chmod(staging, 0o755)
        _fsync_dir(staging)
        if not target.exists():
            os.replace(staging, target)
        elif _exchange(staging, target):
            shutil.rmtree(staging)  # it now holds the replaced folder
        else:
            old = Path(tempfile.mkdtemp(dir=out_dir, prefix=f"{OLD}{version}-"))
            os.replace(target, old / version)
            os.replace(staging, target)
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # what is left is removed by the next run's recover()
        raise
    _fsync_dir(out_dir)
    return target


def checked_manifest(out_dir: Path) -> dict:
    """``versions.json``, refused in one line when it is not what the build wrote."""
    path = out_dir / MANIFEST
    try:
        m = read_manifest(out_dir)
    except (ValueError, UnicodeDecodeError) as e:
        raise BuildWriteError(f"{path}: corrupt ({type(e).__name__}: {e}); restore it "
                              f"(git checkout -- {MANIFEST} in that folder) and build again") from None
    except OSError as e:
        raise _fault(e, path) from None
    ok = isinstance(m, dict) and isinstance(m.get("versions"), list) and all(
        isinstance(e, dict) and parse_version(e.get("version")) is not None and isinstance(e.get("files"), list)
        and all(isinstance(f, dict) and {"path", "bytes", "sha256"} <= set(f) for f in e["files"])
        for e in m["versions"])
    if not ok:
        raise BuildWriteError(f"{path}: corrupt (not a list of versions with their files); restore it "
                              f"(git checkout -- {MANIFEST} in that folder) and build again")
    return m


def check_bump_kind(out_dir: Path, version: str, files: dict[str, bytes], meta: dict | None = None) -> None:
    """Raise :class:`ReleaseConflict` when a new ``version`` is too small a step for what
    changed since the release before it (when that one is in ``out_dir``)."""
    from .diff import diff_all
    from .versioning import changes, check_bump, needed

    rels = (meta or package_metadata())["releases"]
    index = next((i for i, r in enumerate(rels) if r["version"] == version), None)
    if not index or not (out_dir / rels[index - 1]["version"] / "datapackage.json").is_file():
        return
    prev = rels[index - 1]["version"]
    with tempfile.TemporaryDirectory(prefix=".bump-", dir=None) as tmp:
        folder = Path(tmp)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        found = changes(diff_all(out_dir / prev, folder), out_dir / prev, folder)
    why = check_bump(prev, version, needed(found), strict=False)
    if why:
        raise ReleaseConflict(f"{why}: change the version of the last release in schemas/package.json "
                              f"(or cut it with python -m ketamine_ssri_evidence release)")


def build(*, raw_dir=None, out_dir=None, root_descriptor=None, snapshots=None,
          version: str | None = None, meta: dict | None = None, files: dict[str, bytes] | None = None) -> Path:
    """Build ``<out_dir>/<version>/``, record it in ``versions.json`` and point
    ``root_descriptor`` at it.

    Defaults: the project's ``raw/``, ``build/`` and ``datapackage.json``, and the last
    release of ``schemas/package.json``. Raises :class:`BuildError` (writing nothing) when
    the data does not validate, :class:`ReleaseConflict` when the build would change a
    published version, and :class:`BuildWriteError` (one line) on a file-system fault.
    Leftovers of an interrupted build are cleaned up first. ``meta`` replaces the package
    metadata of schemas/package.json (a release not yet recorded there); ``files`` are the
    release's files already rendered by :func:`render_release` for it (not validated again).
    """
    release = (current_release() if meta is None else meta["releases"][-1]) if version is None else next(
        (r for r in (meta or package_metadata())["releases"] if r["version"] == version), None)
    if release is None:
        raise ReleaseConflict(f"version {version} is not in the releases of schemas/package.json")
    version = release["version"]
    if files is None:
        files = render_release(raw_dir=raw_dir, snapshots=snapshots, version=version, meta=meta)
    out_dir = Path(out_dir) if out_dir is not None else _schema.ROOT / "build"
    root_descriptor = Path(root_descriptor) if root_descriptor is not None else _schema.ROOT / "datapackage.json"
    entry = manifest_entry(version, release["date"], files)
    manifest = checked_manifest(out_dir)
    check_not_rewritten(out_dir, entry)
    if not any(e["version"] == version for e in manifest["versions"]):
        check_bump_kind(out_dir, version, files, meta)
    step = out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        recover(out_dir)
        target = write_release(out_dir, version, files)
        step = out_dir / MANIFEST
        manifest["versions"] = [e for e in manifest["versions"] if e["version"] != version] + [entry]
        data = manifest_bytes(manifest)
        if not step.is_file() or step.read_bytes() != data:
            _write_atomic(step, data)
        step = root_descriptor
        rel = os.path.relpath(target, root_descriptor.parent).replace(os.sep, "/")
        release_files = {k: v for k, v in files.items() if k != "datapackage.json"}
        data = _json_bytes(descriptor(version, release_files, prefix=f"{rel}/", meta=meta))
        if not step.is_file() or step.read_bytes() != data:
            _write_atomic(step, data)
    except OSError as e:
        raise _fault(e, getattr(e, "filename", None) or step) from None
    return target
