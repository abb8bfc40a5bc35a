"""kse.load and kse.tables: dtypes, versions, and a light import."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import ketamine_ssri_evidence as kse
from conftest import ROOT
from ketamine_ssri_evidence import schemas


def test_import_is_light():
    code = (
        "import sys, ketamine_ssri_evidence; heavy = [m for m in ('pandera', 'frictionless', 'matplotlib', 'altair', 'vl_convert', 'xlsxwriter', 'pyarrow', 'yaml') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_tables_lists_the_release():
    assert kse.tables() == list(schemas.table_names())


@pytest.mark.parametrize("table", schemas.table_names())
def test_dtypes_follow_the_schema(table):
    df = kse.load(table)
    t = schemas.table(table)
    assert list(df.columns) == [f.name for f in t.fields]
    for f in t.fields:
        dtype = df[f.name].dtype
        if f.vocabulary:
            assert isinstance(dtype, pd.CategoricalDtype)
            assert list(dtype.categories) == list(schemas.vocabulary(f.vocabulary))
        elif f.type in ("string", "duration"):
            assert isinstance(dtype, pd.StringDtype), f.name
        elif f.type == "number":
            assert dtype == pd.Float64Dtype(), f.name
        elif f.type == "integer":
            assert dtype == pd.Int64Dtype(), f.name
        elif f.type == "date":
            assert pd.api.types.is_datetime64_dtype(dtype), f.name


def test_load_matches_csv():
    df = kse.load("figures")
    csv = pd.read_csv(ROOT / "build" / kse.current_version() / "figures.csv", dtype=str, keep_default_na=False)
    assert len(df) == len(csv)
    assert df["figure_id"].tolist() == csv["figure_id"].tolist()
    assert (
        df["value"].astype("string").fillna("").str.replace(r"\.0$", "", regex=True).tolist() == csv["value"].tolist()
    )


def test_load_a_pinned_version():
    v = kse.current_version()
    assert kse.load("sources", version=v).shape[0] == kse.load("sources").shape[0]


def test_unknown_version_and_table_say_what_exists():
    with pytest.raises(kse.ReleaseError, match="known versions"):
        kse.load("figures", version="9.9.9")
    with pytest.raises(kse.ReleaseError, match="tables: sources, figures, derived_figures, claim_checks"):
        kse.load("nope")


def test_derived_columns():
    df = kse.load("figures")
    p6m = df[df["timepoint"] == "P6M"]
    assert len(p6m) and (p6m["timepoint_days"] == 182.625).all()
    weeks = df[(df["unit"] == "wk") & df["low"].notna()]
    assert ((weeks["low_canonical"] - weeks["low"] * 7).abs() < 1e-9).all()
    assert (df["unit_canonical"].notna()).all()


# ---------------------------------------------------------------------------------------
# names are checked before a path is made of them


@pytest.mark.parametrize(
    "version",
    [
        "../../x",
        "..",
        "/etc",
        "0.2.0/..",
        "0.2",
        "01.2.0",
        "0.2.0 ",
        "0.2.0\n",
        "v0.2.0",
        "0.2.0+build",
        "",
        "0.2.0/../../build",
    ],
)
def test_a_version_that_is_not_a_semantic_version_is_refused(version, tmp_path):
    # a folder that looks like a release right where a traversal would land
    with pytest.raises(kse.ReleaseError, match="not a semantic version") as info:
        kse.load("figures", version=version)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("table", ["../figures", "figures/../sources", "/etc/passwd", "Figures", "", "figures.parquet"])
def test_a_table_name_that_is_not_one_is_refused(table):
    with pytest.raises(kse.ReleaseError, match="table"):
        kse.load(table)


def test_load_never_loads_a_folder_outside_build(tmp_path):
    fake = tmp_path / "x"
    (fake).mkdir()
    (fake / "datapackage.json").write_text((ROOT / "build" / kse.current_version() / "datapackage.json").read_text())
    rel = __import__("os").path.relpath(fake, ROOT / "build")
    with pytest.raises(kse.ReleaseError, match="not a semantic version"):
        kse.load("figures", version=rel)


# ---------------------------------------------------------------------------------------
# meaning in pandas: attrs, vocabularies, Arrow


@pytest.mark.parametrize("table", schemas.table_names())
def test_attrs_carry_version_licence_citation_and_descriptions(table):
    df = kse.load(table)
    a = df.attrs
    assert a["version"] == kse.current_version() and a["table"] == table
    desc = __import__("json").loads((ROOT / "build" / kse.current_version() / "datapackage.json").read_text())
    assert a["license"] == desc["licenses"][0]["name"] and a["licenses"] == desc["licenses"]
    assert kse.current_version() in a["citation"] and desc["title"] in a["citation"]
    # each field's description, as the release's descriptor gives it (written from schemas/)
    (resource,) = [r for r in desc["resources"] if r["name"] == table]
    assert a["fields"] == {f["name"]: f["description"] for f in resource["schema"]["fields"]}
    assert all(a["fields"][f.name].startswith(f.description) for f in schemas.table(table).fields)
    assert a["vocabularies"] == {f.name: f.vocabulary for f in schemas.table(table).fields if f.vocabulary}
    assert a["primary_key"] == list(schemas.table(table).primary_key)


@pytest.mark.parametrize("name", schemas.vocabulary_names())
def test_vocabulary_gives_codes_labels_and_definitions(name):
    v = kse.vocabulary(name)
    rows = schemas.vocabulary(name)
    assert list(v["code"]) == list(rows)
    assert list(v["label"]) == [r["label"] for r in rows.values()]
    assert list(v["definition"]) == [r["definition"] for r in rows.values()]
    assert v.attrs["vocabulary"] == name


def test_vocabulary_names_the_fields_it_codes():
    assert "figures.measure" in kse.vocabulary("measure").attrs["fields"]
    assert {"figures.treatment", "figures.comparator"} <= set(kse.vocabulary("treatment").attrs["fields"])


@pytest.mark.parametrize("name", ["nope", "../measure", "measure.csv", ""])
def test_unknown_vocabulary(name):
    with pytest.raises(kse.ReleaseError, match="vocabularies: "):
        kse.vocabulary(name)


@pytest.mark.parametrize("table", schemas.table_names())
def test_arrow_table(table):
    import json

    t = kse.load(table, as_arrow=True)
    df = kse.load(table)
    assert t.num_rows == len(df) and t.column_names == list(df.columns)
    for f in schemas.table(table).fields:
        assert t.schema.field(f.name).metadata[b"description"].decode() == df.attrs["fields"][f.name]
    meta = json.loads(t.schema.metadata[b"ketamine_ssri_evidence"])
    assert meta["version"] == kse.current_version() and meta["citation"] == df.attrs["citation"]


def test_public_functions_have_docstrings_and_hints():
    import inspect

    for name in ("load", "tables", "versions", "current_version", "latest_version", "vocabulary", "download"):
        fn = getattr(kse, name)
        assert fn.__doc__ and ">>>" in fn.__doc__ or name in ("latest_version",), name
        sig = inspect.signature(fn)
        assert sig.return_annotation is not inspect.Signature.empty, name


def test_import_stays_light_with_downloads():
    code = (
        "import sys, ketamine_ssri_evidence; heavy = [m for m in ('pandas', 'ssl', 'http.client', 'pyarrow') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
