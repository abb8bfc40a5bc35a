"""The schemas and vocabularies are complete, consistent and documented."""

from __future__ import annotations

import re

import pytest

from ketamine_ssri_evidence import schemas

TABLES = schemas.table_names()
VOCABS = schemas.vocabulary_names()


@pytest.mark.parametrize("table", TABLES)
def test_every_field_is_described(table):
    for f in schemas.table(table).fields:
        assert f.description.strip(), f"{table}.{f.name} has no description"
        assert f.type in ("string", "number", "integer", "date", "duration", "boolean"), f.name
        if f.vocabulary:
            assert f.vocabulary in VOCABS, f"{table}.{f.name}: no vocab file {f.vocabulary}"


@pytest.mark.parametrize("table", TABLES)
def test_keys_refer_to_fields(table):
    t = schemas.table(table)
    names = {f.name for f in t.fields}
    assert set(t.primary_key) <= names
    for fld, ref, ref_field in t.foreign_keys:
        assert fld in names and ref in TABLES and ref_field in {f.name for f in schemas.table(ref).fields}


@pytest.mark.parametrize("vocab", VOCABS)
def test_every_code_is_defined(vocab):
    codes = schemas.vocabulary(vocab)
    assert codes
    for code, row in codes.items():
        assert code.isascii() and code == code.strip(), code
        assert row["label"].strip() and row["definition"].strip(), f"{vocab}:{code} lacks label or definition"
        if vocab not in ("unit", "dimension"):
            assert re.fullmatch(r"[a-z0-9_]+", code), code


def test_units_and_measures_have_known_dimensions():
    dims = schemas.vocabulary("dimension")
    for code, row in schemas.vocabulary("unit").items():
        assert row["dimension"] in dims, code
        assert float(row["factor"]) > 0
    for code, row in schemas.vocabulary("measure").items():
        assert row["dimension"] in dims, code
        assert row["requires"] in ("", "event", "comparator"), code
    for code, row in dims.items():
        canonical = schemas.vocabulary("unit")[row["canonical_unit"]]
        assert canonical["dimension"] == code and float(canonical["factor"]) == 1.0
