"""kse.load and kse.tables: dtypes, versions, and a light import."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import ketamine_ssri_evidence as kse
from conftest import ROOT
from ketamine_ssri_evidence import _schema


def test_import_is_light():
    code = ("import sys, ketamine_ssri_evidence; heavy = [m for m in ('pandera', 'frictionless', 'matplotlib', 'pyarrow', 'yaml') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_tables_lists_the_release():
    assert kse.tables() == list(_schema.table_names())


@pytest.mark.parametrize("table", _schema.table_names())
def test_dtypes_follow_the_schema(table):
    df = kse.load(table)
    t = _schema.table(table)
    assert list(df.columns) == [f.name for f in t.fields]
    for f in t.fields:
        dtype = df[f.name].dtype
        if f.vocabulary:
            assert isinstance(dtype, pd.CategoricalDtype)
            assert list(dtype.categories) == list(_schema.vocabulary(f.vocabulary))
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
    assert df["value"].astype("string").fillna("").str.replace(r"\.0$", "", regex=True).tolist() == csv["value"].tolist()


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
