"""Every published version, not only the current one: intact, readable, and loaded as itself.

Parametrised from build/versions.json, so a new release is covered without editing this file.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
import pytest

import ketamine_ssri_evidence as kse
from conftest import ROOT
from ketamine_ssri_evidence.releases import read_manifest

MANIFEST = read_manifest(ROOT / "build")
VERSIONS = [e["version"] for e in MANIFEST["versions"]]
CURRENT = kse.current_version()


def _descriptor(version: str) -> dict:
    return json.loads((ROOT / "build" / version / "datapackage.json").read_text(encoding="utf-8"))


def _tables(version: str) -> dict[str, dict]:
    """Each table of ``version`` with its own Table Schema, as published."""
    return {r["name"]: r["schema"] for r in _descriptor(version)["resources"] if r.get("format") == "csv"}


TABLES = [(v, t) for v in VERSIONS for t in _tables(v)]


def _csv(version: str, table: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "build" / version / f"{table}.csv", dtype=str, keep_default_na=False)


def test_the_manifest_lists_every_release():
    assert len(VERSIONS) >= 2 and VERSIONS[-1] == CURRENT
    assert kse.versions() == VERSIONS


@pytest.mark.parametrize("entry", MANIFEST["versions"], ids=VERSIONS)
def test_files_match_their_recorded_bytes_and_hashes(entry):
    folder = ROOT / "build" / entry["version"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f["path"].split("/", 1)[1] for f in entry["files"])
    for f in entry["files"]:
        data = (ROOT / "build" / f["path"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (f["bytes"], f["sha256"]), f["path"]
    for res in _descriptor(entry["version"])["resources"]:  # the release's own descriptor agrees
        data = (folder / res["path"]).read_bytes()
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest() and res["bytes"] == len(data)


@pytest.mark.parametrize("version,table", TABLES)
def test_csv_and_parquet_hold_the_same_rows(version, table):
    csv = _csv(version, table)
    parquet = pd.read_parquet(ROOT / "build" / version / f"{table}.parquet")
    fields = [f["name"] for f in _tables(version)[table]["fields"]]
    assert list(csv.columns) == fields and list(parquet.columns) == fields
    assert len(csv) == len(parquet) > 0
    key = _tables(version)[table]["primaryKey"]
    key = key if isinstance(key, list) else [key]
    assert parquet[key].astype(str).values.tolist() == csv[key].values.tolist()


@pytest.mark.parametrize("version,table", TABLES)
def test_duckdb_reads_both_formats(version, table):
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    n = len(_csv(version, table))
    for q in ("read_parquet('{}.parquet')", "read_csv('{}.csv', all_varchar=true, header=true)"):
        path = (ROOT / "build" / version / table).as_posix()
        assert con.execute(f"SELECT count(*) FROM {q.format(path)}").fetchone()[0] == n


@pytest.mark.slow  # frictionless parses every cell; the fast tier reads every version with pandas and DuckDB
@pytest.mark.parametrize("version", VERSIONS)
def test_frictionless_reads_every_row(version):
    from frictionless import Package

    package = Package(str(ROOT / "build" / version / "datapackage.json"))
    for table in _tables(version):
        resource: Any = package.get_resource(table)  # a TableResource
        rows = resource.read_rows()  # every cell parsed by its field's type
        assert len(rows) == len(_csv(version, table))
        assert [r.errors for r in rows if not r.valid] == []


@pytest.mark.parametrize("version,table", TABLES)
def test_load_a_pinned_version(version, table):
    """load(version=v) returns v's rows, in v's columns, with dtypes from v's own schema."""
    df = kse.load(table, version=version)
    schema = _tables(version)[table]
    csv = _csv(version, table)
    assert list(df.columns) == [f["name"] for f in schema["fields"]]
    assert len(df) == len(csv)
    key = schema["primaryKey"]
    key = key[0] if isinstance(key, list) else key
    assert df[key].astype(str).tolist() == csv[key].tolist()
    for f in schema["fields"]:
        dtype, codes = df[f["name"]].dtype, f.get("constraints", {}).get("enum")
        if codes is not None:
            assert isinstance(dtype, pd.CategoricalDtype) and list(dtype.categories) == codes, f["name"]
        elif f["type"] == "number":
            assert dtype == pd.Float64Dtype(), f["name"]
        elif f["type"] == "integer":
            assert dtype == pd.Int64Dtype(), f["name"]
        elif f["type"] == "date":
            assert pd.api.types.is_datetime64_dtype(dtype), f["name"]
        elif f["type"] in ("string", "duration"):
            assert isinstance(dtype, pd.StringDtype), f["name"]


@pytest.mark.parametrize("version", VERSIONS)
def test_tables_of_a_pinned_version(version):
    assert kse.tables(version) == list(_tables(version))


def test_an_older_pinned_version_is_not_the_current_one():
    """0.1.0 is still on disk: pinning it must give its 417 figures, not 0.2.0's 490."""
    old, new = kse.load("figures", version="0.1.0"), kse.load("figures", version="0.2.0")
    assert (len(old), len(new)) == (417, 490)
    assert len(kse.load("figures")) == len(_csv(CURRENT, "figures"))
    assert set(old["figure_id"]) != set(new["figure_id"])
    assert "claim_checks" not in kse.tables("0.1.0") and "claim_checks" in kse.tables("0.2.0")
    with pytest.raises(kse.ReleaseError, match="no table 'claim_checks'"):
        kse.load("claim_checks", version="0.1.0")
