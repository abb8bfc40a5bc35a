"""Any reader gets the same rows and values: pandas, frictionless, DuckDB, Polars."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import ROOT
from ketamine_ssri_evidence import _schema
from ketamine_ssri_evidence.durations import duration_days
from ketamine_ssri_evidence.releases import current_release

RELEASE = ROOT / "build" / current_release()["version"]
TABLES = _schema.table_names()


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
    fields = [(f.name, f.type) for f in _schema.table(table).fields]
    return [tuple(_cell(r[name], kind) for name, kind in fields) for r in records]


def _pandas_parquet(table):
    df = pd.read_parquet(RELEASE / f"{table}.parquet")
    return _rows(df.astype(object).where(df.notna(), None).to_dict("records"), table)


def _pandas_csv(table):
    return _rows(pd.read_csv(RELEASE / f"{table}.csv", dtype=str, keep_default_na=False).to_dict("records"), table)


def _duckdb(table, fmt):
    duckdb = pytest.importorskip("duckdb")
    path = str(RELEASE / f"{table}.{fmt}")
    q = (f"SELECT * FROM read_parquet('{path}')" if fmt == "parquet"
         else f"SELECT * FROM read_csv('{path}', all_varchar=true, header=true)")
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

    return _rows([dict(r) for r in Package(str(ROOT / "datapackage.json")).get_resource(table).read_rows()], table)


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
