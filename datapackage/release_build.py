"""Build a release: validate ``raw/``, derive columns, write Parquet, CSV and descriptors.

Deterministic (same input, same bytes) and atomic (a failed validation or an interrupted
build leaves the previous ``build/`` as it was).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from . import schemas
from .csv_text import cell, rows_bytes, table_bytes
from .derived_figures import derive_figure
from .field_types import field_type
from .file_hashes import computed_once
from .issues import Issue
from .package_descriptor import descriptor
from .reader_files import reader_files
from .release_metadata import parse_version
from .releases import (
    MANIFEST,
    ReleaseConflict,
    check_not_rewritten,
    current_release,
    described_with,
    manifest_bytes,
    manifest_entry,
    package_metadata,
    read_manifest,
)
from .validation import validate

PARQUET_OPTIONS = dict(
    compression="zstd",
    compression_level=9,
    row_group_size=1_000_000,
    version="2.6",
    data_page_version="1.0",
    use_dictionary=True,
    write_statistics=True,
    store_schema=False,
)


class BuildError(Exception):
    """The data did not validate; ``issues`` says why. Nothing was written."""

    def __init__(self, issues: list[Issue]):
        super().__init__(f"{len(issues)} problems")
        self.issues = issues


# ------------------------------------------------------------------ tables
#
# The build holds every table as one Arrow table (``pyarrow.Table``): the contributed tables
# come typed from the validator, their derived columns are computed over columns, they are
# sorted by primary key in Arrow and written to Parquet and CSV from Arrow. The rules that
# compute tables (claim checks, contradictions, derived figures) read records (dicts) of only
# the rows and fields they need.

META = ("_folder", "_path", "_line")  # columns of a typed table besides its raw fields


def _arrow_type(f: schemas.Field):
    return field_type(f.type).arrow_type()


def _typed_tables(result) -> dict:
    """Each contributed table's typed rows as one Arrow table: a column per raw field of its
    Table Schema, in schema order, typed by :mod:`.field_types` (None where a cell is empty or
    faulty), then ``_folder``, ``_path`` and ``_line``.

    The validator's ``Result.tables`` when it has them; else made from ``Result.rows``.
    """
    tables = getattr(result, "tables", None)
    if tables is not None:
        return tables
    import pyarrow as pa

    out = {}
    for name in schemas.contributed_table_names():
        t = schemas.table(name)
        rows = result.rows.get(name, [])
        arrays = [pa.array([r.get(f.name) for r in rows], type=_arrow_type(f)) for f in t.raw_fields]
        arrays += [pa.array([r.get(m) for r in rows], type=pa.int64() if m == "_line" else pa.string()) for m in META]
        out[name] = pa.Table.from_arrays(arrays, names=[f.name for f in t.raw_fields] + list(META))
    return out


def _release_schema(table: str):
    import pyarrow as pa

    return pa.schema([pa.field(f.name, _arrow_type(f), nullable=not f.required) for f in schemas.table(table).fields])


def _in_key_order(table: str, tbl):
    """``tbl`` sorted by the table's primary key (a stable sort), in one chunk."""
    import pyarrow.compute as pc

    key = schemas.table(table).primary_key
    if key and tbl.num_rows > 1:
        tbl = tbl.take(pc.sort_indices(tbl, sort_keys=[(k, "ascending") for k in key]))
    return tbl.combine_chunks()


def release_table(table: str, typed):
    """A contributed table as released, from its typed Arrow table: derived columns added, the
    schema's fields in order with their types, sorted by primary key."""
    import pyarrow as pa

    from .derived_figures import derived_columns

    columns = {n: typed.column(n) for n in typed.column_names}
    if any(f.derived for f in schemas.table(table).fields):  # the fields the build computes
        columns.update(derived_columns(typed))
    schema = _release_schema(table)
    tbl = pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)
    return _in_key_order(table, tbl)


def _records(table: str, rows: list[dict]) -> list[dict]:
    """A contributed table's final records from the validator's typed rows (dicts), sorted by key."""
    t = schemas.table(table)
    out = []
    for r in rows:
        rec = {f.name: r.get(f.name) for f in t.raw_fields}
        if any(f.derived for f in t.fields):
            rec = derive_figure(rec)
        out.append({f.name: rec.get(f.name) for f in t.fields})
    key = t.primary_key
    return sorted(out, key=lambda r: tuple(r[k] for k in key))


def _rows(data, fields: tuple[str, ...] | None = None, where=None) -> list[dict]:
    """Records of a built table (an Arrow table, or records already), of ``fields`` only
    (default all) and of the rows where the Arrow mask ``where`` holds."""
    if isinstance(data, list):
        return data
    if where is not None:
        data = data.filter(where)
    if fields is not None:
        data = data.select([n for n in data.column_names if n in fields])
    names = data.column_names
    cols = [_pylist(data.column(n)) for n in names]
    return [dict(zip(names, row)) for row in zip(*cols)]


def _figures_for_claims(figures):
    """The figures the claim checks read: the claims (figures that credit a study) and every
    figure of a credited study, with the fields they read."""
    if isinstance(figures, list):
        return figures
    import pyarrow as pa
    import pyarrow.compute as pc

    from .claim_checks import FIELDS

    fields = set(FIELDS) | {k["field"] for k in schemas.comparison()["key"]}
    cited = pc.unique(pc.drop_null(figures.column("attributed_to")))
    where = pc.or_(
        pc.is_valid(figures.column("attributed_to")),
        pc.is_in(figures.column("source_id"), value_set=cited.cast(pa.string())),
    )
    return _rows(figures, tuple(fields), where)


def _pylist(col) -> list:
    """An Arrow column as a list, each distinct value one Python object (shared by its rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    uniq = pc.unique(col)
    if len(uniq) * 2 > len(col):
        return col.to_pylist()
    objects = uniq.to_pylist()
    return list(map(objects.__getitem__, pc.index_in(col, value_set=uniq).to_numpy(zero_copy_only=False).tolist()))


def _contradictions(figures) -> list[dict]:
    """The contradictions of the figures (an Arrow table in figure_id order, or records), the
    spans and group keys computed a column at a time."""
    from . import contradictions
    from .spans import SPAN_FIELDS, spans_of_columns

    if isinstance(figures, list):
        return contradictions.contradictions(figures)
    names = list(
        dict.fromkeys(contradictions.FIELDS + tuple(k["field"] for k in schemas.comparison()["key"]) + SPAN_FIELDS)
    )
    cols = {n: _pylist(figures.column(n)) for n in names}
    records = [dict(zip(names, row)) for row in zip(*(cols[n] for n in names))]
    return contradictions.contradictions(records, spans_of_columns(cols), contradictions.group_keys_of_columns(cols))


def _figures_for_derived(figures, raw_dir):
    """Every field of the figures of the sources that have a derived-figures file."""
    if isinstance(figures, list):
        return figures
    import pyarrow as pa
    import pyarrow.compute as pc

    from .derived_figures import DERIVED_FILE

    raw_dir = Path(raw_dir) if raw_dir is not None else schemas.ROOT / "raw"
    with_derived = sorted(p.parent.name for p in raw_dir.glob(f"*/{DERIVED_FILE}"))
    return _rows(figures, where=pc.is_in(figures.column("source_id"), value_set=pa.array(with_derived, pa.string())))


def _computed(table: str, built: dict, raw_dir=None, issues: list | None = None, as_table: bool = False):
    """A table the build computes from the contributed ones (``computed`` in its schema), as
    records sorted by primary key (``as_table``: as an Arrow table in that order). ``built``:
    the tables so far (Arrow tables or records)."""
    from . import claim_checks, derived_figures, reviews

    t = schemas.table(table)

    def claims():
        figures = _figures_for_claims(built["figures"])
        derived = _rows(built.get("derived_figures", []))
        if derived:  # a derived figure's tolerance comes from its inputs, which the claims may not hold
            have = {f["figure_id"] for f in figures}
            figures = figures + [
                f for f in _figures_for_derived(built["figures"], raw_dir) if f["figure_id"] not in have
            ]
        return reviews.apply_reviews(
            claim_checks.claim_checks(figures, _rows(built["sources"]), derived), raw_dir, issues
        )

    steps = {
        "derived_figures": lambda: derived_figures.derived_figures(
            _figures_for_derived(built["figures"], raw_dir), raw_dir, issues
        ),
        "claim_checks": claims,
        "contradictions": lambda: _contradictions(built["figures"]),
    }
    rows = steps[str(t.computed)]()
    if as_table:
        return _in_key_order(table, arrow_table(table, rows))
    key = t.primary_key
    return sorted(({f.name: r.get(f.name) for f in t.fields} for r in rows), key=lambda r: tuple(r[k] for k in key))


def _cell(v) -> str:
    return cell(v)


def _as_arrow(table: str, data):
    return data if not isinstance(data, list) else arrow_table(table, data)


def csv_bytes(table: str, records) -> bytes:
    """The CSV file of a table (an Arrow table in release order, or its records)."""
    names = [f.name for f in schemas.table(table).fields]
    if isinstance(records, list):
        return rows_bytes(names, ([r[n] for n in names] for r in records))
    return table_bytes(records, names)


def arrow_table(table: str, records: list[dict]):
    """Records (dicts) of a table as an Arrow table of its schema, in the records' order."""
    import pyarrow as pa

    schema = _release_schema(table)
    arrays = [pa.array([r.get(f.name) for r in records], type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema).combine_chunks()


def parquet_bytes(table: str, records) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(_as_arrow(table, records), sink, **PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()


def _pandas_column(f: schemas.Field, col):
    """An Arrow column as the pandas Series pandera checks (dtype of :data:`PANDAS_DTYPES`)."""
    import pandas as pd
    import pyarrow as pa

    from .pandera_schema import PANDAS_DTYPES

    if f.type == "date":
        return col.to_pandas(date_as_object=False).astype(PANDAS_DTYPES["date"])
    nullable = {
        pa.float64(): pd.Float64Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
    }
    return col.to_pandas(types_mapper=nullable.get).astype(PANDAS_DTYPES[f.type])


def check_with_pandera(table: str, records) -> None:
    """A second, independent check of the final table (Arrow, or records) against its schema."""
    import pandas as pd

    from .pandera_schema import dataframe_schema

    t = schemas.table(table)
    tbl = _as_arrow(table, records)
    df = pd.DataFrame({f.name: _pandas_column(f, tbl.column(f.name)) for f in t.fields})
    dataframe_schema(table).validate(df, lazy=True)


# ------------------------------------------------------------------ descriptors


def _json_bytes(d: dict) -> bytes:
    return (json.dumps(d, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# ------------------------------------------------------------------ build


class BuildWriteError(Exception):
    """The release could not be written (read-only folder, full disk, no permission, a
    corrupt ``versions.json``). The message is one line; the release folder in place is the
    old one or the complete new one, never a mixture."""


def release_files(version: str, built: dict, meta: dict | None = None, *, consume: bool = False) -> dict[str, bytes]:
    """Every file of a release, ``{file name: bytes}``, from its tables' final records (Arrow
    tables in release order, or lists of records).

    The one place that says what a release holds: to add a file to every release, add one
    line here (the bytes must depend on ``version`` and ``built`` only, so that the build
    stays deterministic). ``consume``: each table leaves ``built`` once its files are made
    (what the files for readers need of it stays: its rows if the workbook holds them, else
    its number of rows), so that a large release never holds its tables and files at once.
    """
    from .workbook import MAX_SHEET_ROWS

    files: dict[str, bytes] = {}
    readers: dict = {}
    for table in list(built):
        records = built.pop(table) if consume else built[table]
        files[f"{table}.csv"] = csv_bytes(table, records)
        files[f"{table}.parquet"] = parquet_bytes(table, records)
        readers[table] = records if not consume or len(records) <= MAX_SHEET_ROWS else RowCount(len(records))
        del records
        _release_unused()
    files.update(reader_files(version, readers, files))
    files["datapackage.json"] = _json_bytes(descriptor(version, files, meta=meta))
    return files


class RowCount:
    """A table that the files for readers know only by its number of rows (``len``)."""

    def __init__(self, rows: int):
        self.rows = rows

    def __len__(self) -> int:
        return self.rows


def _release_unused() -> None:
    """Give the memory Arrow holds for freed tables back to the system (a 1M-figure build
    frees several tables of hundreds of MB)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


@computed_once
def render_release(
    raw_dir=None, snapshots=None, version: str | None = None, meta: dict | None = None
) -> dict[str, bytes]:
    """Validate and render every file of a release in memory: ``{file name: bytes}``.

    ``meta`` is the package metadata to describe it with (default: schemas/package.json)."""
    result = validate(raw_dir=raw_dir, snapshots=snapshots)
    if result.issues:
        raise BuildError(result.issues)
    meta = meta if meta is not None else package_metadata()
    version = version or meta["releases"][-1]["version"]
    typed = _typed_tables(result)
    del result  # the typed rows are in ``typed`` now
    built: dict = {}  # table name: Arrow table in release order
    issues: list[Issue] = []  # from derived figures and reviews, which the build checks
    for table in schemas.table_names():
        t = schemas.table(table)
        if t.computed:
            tbl = _computed(table, built, raw_dir, issues, as_table=True)
            if issues:
                raise BuildError(issues)
        else:
            tbl = release_table(table, typed.pop(table))
        check_with_pandera(table, tbl)
        built[table] = tbl
        del tbl
        _release_unused()
    with described_with(meta):
        return release_files(version, built, meta, consume=True)


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
    msg = kinds.get(e.errno or 0) or f"{where}: cannot write ({e.strerror or type(e).__name__})"
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
        raise BuildWriteError(
            f"{path}: corrupt ({type(e).__name__}: {e}); restore it "
            f"(git checkout -- {MANIFEST} in that folder) and build again"
        ) from None
    except OSError as e:
        raise _fault(e, path) from None
    ok = (
        isinstance(m, dict)
        and isinstance(m.get("versions"), list)
        and all(
            isinstance(e, dict)
            and parse_version(e.get("version")) is not None
            and isinstance(e.get("files"), list)
            and all(isinstance(f, dict) and {"path", "bytes", "sha256"} <= set(f) for f in e["files"])
            for e in m["versions"]
        )
    )
    if not ok:
        raise BuildWriteError(
            f"{path}: corrupt (not a list of versions with their files); restore it "
            f"(git checkout -- {MANIFEST} in that folder) and build again"
        )
    return m


def check_bump_kind(out_dir: Path, version: str, files: dict[str, bytes], meta: dict | None = None) -> None:
    """Raise :class:`ReleaseConflict` when a new ``version`` is too small a step for what
    changed since the release before it (when that one is in ``out_dir``)."""
    from .table_diff import diff_all
    from .version_bump import changes, check_bump, needed

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
        raise ReleaseConflict(
            f"{why}: change the version of the last release in schemas/package.json "
            f"(or cut it with python -m ketamine_ssri_evidence release)"
        )


@computed_once
def build(
    *,
    raw_dir=None,
    out_dir=None,
    root_descriptor=None,
    snapshots=None,
    version: str | None = None,
    meta: dict | None = None,
    files: dict[str, bytes] | None = None,
) -> Path:
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
    release = (
        (current_release() if meta is None else meta["releases"][-1])
        if version is None
        else next((r for r in (meta or package_metadata())["releases"] if r["version"] == version), None)
    )
    if release is None:
        raise ReleaseConflict(f"version {version} is not in the releases of schemas/package.json")
    version = release["version"]
    if files is None:
        files = render_release(raw_dir=raw_dir, snapshots=snapshots, version=version, meta=meta)
    out_dir = Path(out_dir) if out_dir is not None else schemas.ROOT / "build"
    root_descriptor = Path(root_descriptor) if root_descriptor is not None else schemas.ROOT / "datapackage.json"
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
