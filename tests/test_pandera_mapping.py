"""Our Table Schema -> pandera mapping keeps what pandera's own reader gets wrong."""

from __future__ import annotations

import pandas as pd
import pytest

from ketamine_ssri_evidence import schemas
from ketamine_ssri_evidence.pandera_schema import PANDAS_DTYPES, dataframe_schema


def _schema_error() -> type[Exception]:
    """pandera's SchemaError (pandera is imported by the tests that run, not at collection)."""
    return pytest.importorskip("pandera.pandas").errors.SchemaError


def _table(*fields):
    return schemas.Table(
        name="t",
        description="",
        fields=tuple(fields),
        primary_key=(),
        foreign_keys=(),
        raw_file="t.csv",
        raw_format="csv",
    )


def test_durations_stay_iso_strings():
    schema = dataframe_schema(_table(schemas.Field("tp", "duration", description="x")))
    df = pd.DataFrame({"tp": pd.Series(["P6M", "PT24H", None], dtype="string")})
    schema.validate(df)
    with pytest.raises(_schema_error()):
        schema.validate(pd.DataFrame({"tp": pd.Series(["6 minutes"], dtype="string")}))


def test_integers_with_blanks_are_nullable():
    schema = dataframe_schema(_table(schemas.Field("n", "integer", description="x", minimum=1)))
    schema.validate(pd.DataFrame({"n": pd.Series([5, None], dtype="Int64")}))
    with pytest.raises(_schema_error()):
        schema.validate(pd.DataFrame({"n": pd.Series([0], dtype="Int64")}))


def test_booleans_are_real_booleans():
    schema = dataframe_schema(_table(schemas.Field("b", "boolean", description="x")))
    schema.validate(pd.DataFrame({"b": pd.Series([True, False, None], dtype="boolean")}))
    with pytest.raises(_schema_error()):
        schema.validate(pd.DataFrame({"b": pd.Series(["no"], dtype="string")}))


def test_vocabulary_required_and_pattern():
    schema = dataframe_schema(
        _table(
            schemas.Field("unit", "string", description="x", vocabulary="unit", required=True),
            schemas.Field("id", "string", description="x", pattern="[a-z]+/[0-9]{3}", unique=True),
        )
    )
    schema.validate(
        pd.DataFrame({"unit": pd.Series(["%"], dtype="string"), "id": pd.Series(["a/001"], dtype="string")})
    )
    for bad in (
        {"unit": ["percent"], "id": ["a/001"]},
        {"unit": [None], "id": ["a/001"]},
        {"unit": ["%"], "id": ["a/001x"]},
    ):
        with pytest.raises(_schema_error()):
            schema.validate(pd.DataFrame({k: pd.Series(v, dtype="string") for k, v in bad.items()}))


@pytest.mark.parametrize("table", schemas.table_names())
def test_every_published_table_maps(table):
    schema = dataframe_schema(table)
    assert list(schema.columns) == [f.name for f in schemas.table(table).fields]
    for f in schemas.table(table).fields:
        want = "datetime64" if f.type == "date" else str(pd.api.types.pandas_dtype(PANDAS_DTYPES[f.type]))
        assert str(schema.columns[f.name].dtype).startswith(want), f.name
