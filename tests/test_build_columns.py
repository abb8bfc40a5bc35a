"""The build's column-at-a-time steps give what the row-at-a-time reference gives."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from conftest import ROOT
from ketamine_ssri_evidence import contradictions, release_build, schemas
from ketamine_ssri_evidence.claim_checks import check_claim, claim_checks
from ketamine_ssri_evidence.csv_text import rows_bytes, table_bytes
from ketamine_ssri_evidence.derived_figures import derive_figure, derived_columns
from ketamine_ssri_evidence.field_types import field_type
from ketamine_ssri_evidence.spans import SPAN_FIELDS, span, spans_of_columns


@pytest.fixture(scope="module")
def result():
    from ketamine_ssri_evidence.validation import validate

    r = validate(raw_dir=ROOT / "raw")
    assert not r.issues
    return r


@pytest.fixture(scope="module")
def figures(result):
    return release_build._records("figures", result.rows["figures"])


# ---------------------------------------------------------------- CSV

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["", ",", '"', 'a "b", c', "line\nbreak", "cr\rlf", " lead", "6–12 months"]
)
_COLUMNS = {
    "s": (pa.string(), _text),
    "f": (
        pa.float64(),
        st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([72.0, 1e15, 1e16, -0.0, 0.1 * 3, 1e-05]),
    ),
    "i": (pa.int64(), st.integers(-(2**62), 2**62)),
    "d": (pa.date32(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))),
    "b": (pa.bool_(), st.booleans()),
}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*(st.none() | s for _, s in _COLUMNS.values())), max_size=30))
def test_csv_from_arrow_is_the_csv_writer_output(rows):
    names = list(_COLUMNS)
    tbl = pa.Table.from_arrays(
        [pa.array([r[i] for r in rows], type=t) for i, (t, _) in enumerate(_COLUMNS.values())], names=names
    )
    assert table_bytes(tbl, names) == rows_bytes(names, rows)


def test_csv_from_arrow_across_batches(monkeypatch):
    import ketamine_ssri_evidence.csv_text as csv_text

    monkeypatch.setattr(csv_text, "BATCH_ROWS", 3)
    rows = [(f'r{i}, "{i}"', float(i) / 4, i) for i in range(10)]
    tbl = pa.Table.from_arrays([pa.array([r[i] for r in rows]) for i in range(3)], names=["a", "b", "c"])
    assert table_bytes(tbl, ["a", "b", "c"]) == rows_bytes(["a", "b", "c"], rows)


@pytest.mark.parametrize("table", ["sources", "figures"])
def test_the_release_tables_by_column_are_the_records(result, table):
    typed = release_build._typed_tables(result)[table]
    released = release_build.release_table(table, typed)
    records = release_build._records(table, result.rows[table])
    assert released.to_pylist() == records
    assert released.schema == release_build._release_schema(table)
    assert release_build.csv_bytes(table, released) == release_build.csv_bytes(table, records)
    assert release_build.parquet_bytes(table, released) == release_build.parquet_bytes(table, records)


# ---------------------------------------------------------------- typed tables, derived columns


def test_typed_tables_follow_the_schema(result):
    tables = release_build._typed_tables(result)
    for name in schemas.contributed_table_names():
        t = schemas.table(name)
        tbl = tables[name]
        assert tbl.column_names == [f.name for f in t.raw_fields] + ["_folder", "_path", "_line"]
        assert [tbl.schema.field(f.name).type for f in t.raw_fields] == [
            field_type(f.type).arrow_type() for f in t.raw_fields
        ]
        assert tbl.num_rows == len(result.rows[name])


def test_typed_tables_of_the_validator_are_used_as_they_are():
    class WithTables:
        tables = {"figures": "the validator's"}

    assert release_build._typed_tables(WithTables()) == {"figures": "the validator's"}


def test_derived_columns_are_derive_figure_row_by_row(result):
    typed = release_build._typed_tables(result)["figures"]
    cols = derived_columns(typed)
    raw = typed.to_pylist()
    for i, row in enumerate(raw):
        want = derive_figure({f.name: row[f.name] for f in schemas.table("figures").raw_fields})
        for name, arr in cols.items():
            assert arr[i].as_py() == want[name], (row["figure_id"], name)


# ---------------------------------------------------------------- contradictions and claim checks


def test_group_keys_by_column_are_the_keys_by_figure(figures):
    names = {"source_id"} | {k["field"] for k in schemas.comparison()["key"]}
    columns = {n: [f.get(n) for f in figures] for n in names}
    assert contradictions.group_keys_of_columns(columns) == contradictions.group_keys(figures)
    spans = spans_of_columns({n: [f.get(n) for f in figures] for n in SPAN_FIELDS})
    assert spans == [span(f) for f in figures]


def test_contradictions_from_the_arrow_table_are_those_of_the_records(result, figures):
    tbl = release_build.release_table("figures", release_build._typed_tables(result)["figures"])
    assert release_build._contradictions(tbl) == contradictions.contradictions(figures)
    shuffled = figures[::-1]
    assert contradictions.contradictions(shuffled) == contradictions.contradictions(figures)


def test_claims_that_say_the_same_get_their_own_ids(figures, result):
    sources = release_build._records("sources", result.rows["sources"])
    src = {s["source_id"]: s for s in sources}
    claims = [f for f in figures if f.get("attributed_to")]
    assert claims
    twins = [dict(c, figure_id=c["figure_id"] + "9", note="another note") for c in claims]
    rows = claim_checks(figures + twins, sources)
    by_source: dict[str, list] = {}
    for f in figures + twins:
        by_source.setdefault(f["source_id"], []).append(f)
    for row, c in zip(rows, claims + twins):
        assert row == check_claim(c, src.get(c["attributed_to"]), by_source.get(c["attributed_to"], []))


def test_claim_checks_of_the_fields_they_read_are_those_of_whole_figures(result, figures):
    tbl = release_build.release_table("figures", release_build._typed_tables(result)["figures"])
    sources = release_build._records("sources", result.rows["sources"])
    projected = release_build._figures_for_claims(tbl)
    assert claim_checks(projected, sources) == claim_checks(figures, sources)
