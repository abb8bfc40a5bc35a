"""Any reader gets the same rows and values: pandas, frictionless, DuckDB, Polars."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import ROOT
from ketamine_ssri_evidence import schemas
from ketamine_ssri_evidence.durations import duration_days
from ketamine_ssri_evidence.releases import current_release

RELEASE = ROOT / "build" / current_release()["version"]
TABLES = schemas.table_names()


def _cell(v, kind):
    """One comparable form per cell, whatever the reader's own types."""
    if v is None or v is pd.NA or v is pd.NaT or v == "" or (isinstance(v, float) and math.isnan(v)):
        return None
    if kind in ("number", "integer"):
        return float(v)
    if kind == "duration":
        if not isinstance(v, str):  # frictionless parses durations (and writes PT24H as P1D)
            import isodate

            v = isodate.duration_isoformat(v)
        return duration_days(v)
    if kind == "date":
        return str(v)[:10]
    return str(v)


def _rows(records, table):
    fields = [(f.name, f.type) for f in schemas.table(table).fields]
    return [tuple(_cell(r[name], kind) for name, kind in fields) for r in records]


def _pandas_parquet(table):
    df = pd.read_parquet(RELEASE / f"{table}.parquet")
    return _rows(df.astype(object).where(df.notna(), None).to_dict("records"), table)


def _pandas_csv(table):
    return _rows(pd.read_csv(RELEASE / f"{table}.csv", dtype=str, keep_default_na=False).to_dict("records"), table)


def _duckdb(table, fmt):
    duckdb = pytest.importorskip("duckdb")
    path = str(RELEASE / f"{table}.{fmt}")
    q = (
        f"SELECT * FROM read_parquet('{path}')"
        if fmt == "parquet"
        else f"SELECT * FROM read_csv('{path}', all_varchar=true, header=true)"
    )
    cur = duckdb.connect().execute(q)
    cols = [d[0] for d in cur.description]
    return _rows([dict(zip(cols, r)) for r in cur.fetchall()], table)


def _polars(table, fmt):
    pl = pytest.importorskip("polars")
    path = RELEASE / f"{table}.{fmt}"
    df = pl.read_parquet(path) if fmt == "parquet" else pl.read_csv(path, infer_schema=False)
    return _rows(df.to_dicts(), table)


def _frictionless(table):
    from frictionless import Package
    from frictionless.resources import TableResource

    resource = Package(str(ROOT / "datapackage.json")).get_resource(table)
    assert isinstance(resource, TableResource)
    return _rows([dict(r) for r in resource.read_rows()], table)


READERS = {
    "pandas-csv": _pandas_csv,
    "duckdb-parquet": lambda t: _duckdb(t, "parquet"),
    "duckdb-csv": lambda t: _duckdb(t, "csv"),
    "polars-parquet": lambda t: _polars(t, "parquet"),
    "polars-csv": lambda t: _polars(t, "csv"),
    "frictionless": _frictionless,
}


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("reader", sorted(READERS))
def test_same_rows_everywhere(table, reader):
    """Parquet read by pandas is the reference; the CSV and every other reader agree with it."""
    expected = _pandas_parquet(table)
    got = READERS[reader](table)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a == b


# ------------------------------------------------------------------ catalogues and tools

PROFILE_V2 = ROOT / "tests" / "profiles" / "datapackage-2.0.json"
DESCRIPTORS = {"release": RELEASE / "datapackage.json", "root": ROOT / "datapackage.json"}


@pytest.mark.parametrize("which", sorted(DESCRIPTORS))
def test_descriptor_validates_against_the_official_v2_json_schema(which):
    """tests/profiles/datapackage-2.0.json: https://datapackage.org/profiles/2.0/datapackage.json
    (frictionlessdata/datapackage, profiles/target/2.0/datapackage.json, as shipped in dplib-py 1.1.0)."""
    import json

    import jsonschema

    desc = json.loads(DESCRIPTORS[which].read_text(encoding="utf-8"))
    profile = json.loads(PROFILE_V2.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(profile).iter_errors(desc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:10])
    assert desc["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"


@pytest.mark.slow  # frictionless reads and checks every cell of every format
@pytest.mark.parametrize("which", sorted(DESCRIPTORS))
def test_frictionless_validates_every_descriptor(which):
    from frictionless import Package

    pkg = Package(str(DESCRIPTORS[which]))
    report = pkg.validate()
    assert report.valid, report.flatten(["taskName", "type", "message"])[:10]
    types = {r.name: r.type for r in pkg.resources}
    assert all(types[f"{t}-parquet"] == "file" for t in TABLES)  # bytes and sha256 checked
    assert all(types[t] == types[f"{t}-xlsx"] == "table" for t in TABLES)  # every cell checked


def test_descriptor_names_the_package_and_labels_every_code():
    import json

    from ketamine_ssri_evidence.releases import package_metadata

    desc = json.loads(DESCRIPTORS["release"].read_text(encoding="utf-8"))
    meta = package_metadata()
    for key in ("id", "contributors"):
        assert desc[key] == meta[key]
    assert desc.get("homepage") == (meta["homepage"] or None)
    sources = pd.read_parquet(RELEASE / "sources.parquet")
    assert [s["title"] for s in desc["sources"]] == sources["title"].fillna(sources["source_id"]).tolist()
    checked = 0
    for res in desc["resources"]:
        for f in res.get("schema", {}).get("fields", []):
            vocab = schemas.table(res["name"].removesuffix("-xlsx")).field(f["name"]).vocabulary
            if vocab:
                codes = schemas.vocabulary(vocab)
                assert f["constraints"]["enum"] == list(codes)
                assert f["categories"] == [{"value": c, "label": r["label"]} for c, r in codes.items()]
                checked += 1
    assert checked


@pytest.mark.slow  # mlcroissant
def test_croissant_validates_and_every_record_set_loads():
    mlc = pytest.importorskip("mlcroissant")
    dataset = mlc.Dataset(jsonld=str(RELEASE / "croissant.json"))  # raises on any validation error
    assert not dataset.metadata.ctx.issues.errors
    for table in TABLES:
        fields = [(f.name, f.type) for f in schemas.table(table).fields]
        records = list(dataset.records(record_set=table))
        got = [tuple(_cell(_croissant_value(r[f"{table}/{name}"]), kind) for name, kind in fields) for r in records]
        assert got == _pandas_parquet(table)


def _croissant_value(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


@pytest.mark.slow  # Hugging Face datasets, in a fresh interpreter
def test_dataset_card_loads_each_table_with_hugging_face_datasets(tmp_path, monkeypatch):
    pytest.importorskip("datasets")
    import subprocess
    import sys

    # a fresh interpreter: the offline switches are read when the library is imported
    code = (
        "import json, sys, datasets\n"
        "out = {}\n"
        f"for t in {list(TABLES)!r}:\n"
        f"    ds = datasets.load_dataset({str(RELEASE)!r}, t, split='train')\n"
        "    out[t] = [ds.num_rows, ds.column_names, ds.to_pandas().astype(object).where(lambda d: d.notna(), None).astype(str).values.tolist()[:3]]\n"
        "print(json.dumps(out))\n"
    )
    env = {
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for table in TABLES:
        rows, columns, _ = out[table]
        assert columns == [f.name for f in schemas.table(table).fields]
        assert rows == len(_pandas_parquet(table))


def test_citation_is_generated_and_references_the_cited_studies():
    import yaml

    from ketamine_ssri_evidence.citation import citation_cff

    text = citation_cff()
    assert (ROOT / "CITATION.cff").read_text(encoding="utf-8") == text, (
        "CITATION.cff is generated: write ketamine_ssri_evidence.citation.citation_cff() to it"
    )
    cff = yaml.safe_load(text)
    sources = pd.read_parquet(RELEASE / "sources.parquet")
    read = sources[sources["resolution"] != "unresolved"]
    assert [r["title"] for r in cff["references"]] == read["title"].tolist()
    for ref, (_, s) in zip(cff["references"], read.iterrows()):
        assert ref["authors"] and ref["type"]
        if pd.notna(s["doi"]):
            assert ref["doi"] == s["doi"]
        if pd.notna(s["url"]):
            assert ref["url"] == s["url"]
